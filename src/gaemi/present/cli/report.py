"""``gaemi report``: the daily status, why, and what to watch (terminal + HTML)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gaemi.present.cli.common import (
    DataDirOption,
    DateOption,
    DbOption,
    KoreanAumOption,
    check_creations,
    creations_note,
    note,
    parse_named_moves,
    print_json,
    single,
    state_from_options,
    writable_file,
)

if TYPE_CHECKING:
    pass

EPILOG = """
Examples:

  gaemi report                                # terminal summary + gaemi-report.html

  gaemi report --move NDX=-3.1% --move SOX=-4% --html today.html

  gaemi report --krw                          # amounts in ₩ (조/억)

  gaemi report --format json > status.json

  gaemi report --db gaemi.duckdb --date 2025-04-04   # a past day from your store

  gaemi report --data-dir ../shared/data --date 2025-04-04   # every section, that day's AUM
"""


class ReportFormat(StrEnum):
    """What the report prints on stdout (no csv: the report is one document, not a table)."""

    table = "table"
    json = "json"


def parse_moves(items: list[str] | None, option: str = "--move") -> dict[str, float]:
    """``NDX=-3%`` items → {"NDX": -0.03} (``report``/``monitor --move``): the shared
    :func:`~gaemi.present.cli.common.parse_named_moves`, names NDX and SOX."""
    from gaemi.monitor.indicators import MOVE_UNDERLYINGS

    moves = parse_named_moves(items, option, names=MOVE_UNDERLYINGS)
    return {m.name: m.move_frac for m in moves}


def report(
    move: Annotated[
        list[str] | None,
        typer.Option(
            "--move",
            help="Today's move so far, NDX=-3.1% or SOX=-4%; repeatable. Without it the "
            "snapshot's latest daily move is used.",
        ),
    ] = None,
    html_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--html", metavar="FILE", help="Where to write the HTML report (gaemi-report.html)."
        ),
    ] = None,
    no_html: Annotated[bool, typer.Option("--no-html", help="Do not write the HTML file.")] = False,
    krw: Annotated[bool, typer.Option("--krw", help="Show amounts in KRW (₩, in 조/억).")] = False,
    date_given: DateOption = None,
    universe_given: Annotated[
        list[Path] | None,
        typer.Option("--universe", metavar="FILE", help="Universe CSV/Parquet."),
    ] = None,
    db_given: DbOption = None,
    data_dir_given: DataDirOption = None,
    korean_aum_given: KoreanAumOption = None,
    fmt_given: Annotated[
        list[ReportFormat] | None,
        typer.Option(
            "--format",
            "-f",
            metavar="table|json",
            help="table (terminal summary, the default) or json (amounts in USD, _usd keys)",
        ),
    ] = None,
    creations_given: Annotated[
        list[str] | None,
        typer.Option(
            "--creations",
            metavar="MODE",
            help="Creations that respond to the move, C = β·A·r, in the flow, stress and "
            "replay sections: measured (β per fund class and direction from the issuer "
            "data), none (default) or a β for every fund.",
        ),
    ] = None,
) -> None:
    """The daily report: status, why, and what to watch (terminal + self-contained HTML).

    Composite status with its reason, indicators with thresholds, the rebalancing ladder
    with the Korean share, and every engine's section, each number with its as-of date and
    source. Runs offline on the embedded default snapshot. The headline status carries
    the date and age of its newest input; older than the monitor's limit (7 days) it
    reads stale, and a --date past the data gives no status (exit code 0).
    """
    from gaemi.app.report import report as build
    from gaemi.present.cli.common import parse_korean_aum
    from gaemi.present.report.render import engine_charts, render_html, render_terminal

    # declared as lists so that a repeat is refused, not silently the last one (single())
    html: Path = single(html_given, "--html") or Path("gaemi-report.html")
    if not no_html:
        writable_file(html, "--html")
    universe: Path | None = single(universe_given, "--universe")
    korean_aum: str | None = single(korean_aum_given, "--korean-aum")
    fmt: ReportFormat = single(fmt_given, "--format", ReportFormat.table)
    creations: str | None = check_creations(single(creations_given, "--creations"))
    state = state_from_options(db_given, data_dir_given, date_given, universe=universe)
    day = state.day
    aum = None if korean_aum is None else parse_korean_aum(korean_aum)
    data_dir = single(data_dir_given, "--data-dir")
    moves = parse_moves(move)
    # --date asked past the newest data: no status, said in the headline (today's report
    # on old data keeps its status, flagged stale)
    rep = build(
        state,
        day=day,
        moves=moves,
        korean_aum_usd=aum,
        data_dir=data_dir,
        day_asked=date_given is not None,
        creations=creations,
    )
    if creations is not None:
        note(creations_note(rep.choice("creations")))
    if fmt == ReportFormat.json:
        print_json(rep.to_dict(), default=str)
    else:
        render_terminal(rep, krw=krw)
    if not no_html:
        engines = engine_charts(state, rep, moves=moves, korean_aum_usd=aum, data_dir=data_dir)
        html.write_text(render_html(rep, krw=krw, engines=engines), encoding="utf-8")
        note(f"wrote {html} ({html.stat().st_size / 1e6:.1f} MB, self-contained)")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the app."""
    app.command("report", epilog=EPILOG)(report)
