"""``gaemi report``: the daily status, why, and what to watch (terminal + HTML)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import OutputFormat, describe_move, note, parse_move

if TYPE_CHECKING:
    from gaemi.core.universe import Universe
    from gaemi.data.market import MarketSnapshot

EPILOG = """
Examples:

  gaemi report                                # terminal summary + gaemi-report.html

  gaemi report --move NDX=-3.1% --move SOX=-4% --html today.html

  gaemi report --krw                          # amounts in 조/억 원

  gaemi report --format json > status.json

  gaemi report --db gaemi.duckdb --date 2025-04-04   # a past day from your store
"""


def parse_moves(items: list[str] | None) -> dict[str, float]:
    """``NDX=-3%`` items → {"NDX": -0.03}."""
    from gaemi.monitor.indicators import MOVE_UNDERLYINGS

    out: dict[str, float] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        name = name.strip().upper()
        if not sep or name not in MOVE_UNDERLYINGS:
            forms = " or ".join(f"{n}=MOVE" for n in MOVE_UNDERLYINGS)
            raise GaemiInputError(f"move = {item!r} must be {forms}, e.g. NDX=-3%")
        out[name] = parse_move(text, f"move of {name}")
        note(describe_move(text, out[name]) + f" for {name}")
    return out


def parse_day(date: str | None) -> dt.date:
    """``YYYY-MM-DD`` (default today) as a date; anything else is a one-line error."""
    try:
        return dt.date.fromisoformat(date) if date else dt.date.today()
    except ValueError:
        raise GaemiInputError(f"date = {date!r} is not a YYYY-MM-DD date") from None


def load_inputs(
    day: dt.date, db: Path | None, universe: Path | None
) -> tuple[Universe, MarketSnapshot]:
    """The universe and market snapshot for ``day``: the embedded defaults, or a store.

    With ``db`` the market is derived from the store's prices up to ``day`` (plus the
    dated facts up to ``day``) and the universe is the store's latest fund snapshot on or
    before ``day``; what the store lacks is said on stderr, never filled in silently.
    """
    from gaemi.data.market import history_from_store, load_default_market, load_facts_market
    from gaemi.data.store import open_store
    from gaemi.data.universe import load_default_universe, load_universe

    market = load_default_market()
    store_universe = None
    if db is not None:
        if not db.is_file():
            raise GaemiInputError(f"db = {str(db)!r} does not exist")
        with open_store(db, read_only=True) as store:
            hist, missing = history_from_store(store)
            for m in missing:
                note(f"note: {m}; its indicators are not available")
            market = hist.snapshot_on(day, base=load_facts_market())
            try:
                store_universe = store.universe(day.isoformat())
            except GaemiInputError as exc:
                note(f"note: {exc}; using the embedded fund universe (AUM as of 2026-06-01)")
    if universe is not None:
        return load_universe(universe), market
    if store_universe is not None:
        return store_universe, market
    return load_default_universe(), market


def report(
    move: Annotated[
        list[str] | None,
        typer.Option(
            "--move",
            help="Today's move so far, NDX=-3.1% or SOX=-4%; repeatable. Without it the "
            "snapshot's latest daily move is used.",
        ),
    ] = None,
    html: Annotated[Path, typer.Option("--html", help="Where to write the HTML report.")] = Path(
        "gaemi-report.html"
    ),
    no_html: Annotated[bool, typer.Option("--no-html", help="Do not write the HTML file.")] = False,
    krw: Annotated[bool, typer.Option("--krw", help="Show amounts in KRW (조/억 원).")] = False,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Report date YYYY-MM-DD (default: today); observations are aged against it.",
        ),
    ] = None,
    universe: Annotated[
        Path | None, typer.Option("--universe", help="Universe CSV/Parquet.")
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Build the market state from this DuckDB store (`gaemi data import`) as of "
            "--date: prices up to that day only.",
        ),
    ] = None,
    korean_aum: Annotated[
        str | None,
        typer.Option("--korean-aum", help="What-if: Korean 3x holdings total this (USD)."),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table (terminal summary) or json")
    ] = OutputFormat.table,
) -> None:
    """The daily report: status, why, and what to watch (terminal + self-contained HTML).

    Composite status with its reason, indicators with thresholds, the rebalancing ladder
    with the Korean share, and every engine's section, each number with its as-of date and
    source. Runs offline on the embedded default snapshot.
    """
    from gaemi.monitor.indicators import load_default_rules
    from gaemi.present.cli.common import parse_money
    from gaemi.present.report.model import build_report
    from gaemi.present.report.render import render_html, render_terminal

    if fmt == OutputFormat.csv:
        raise GaemiInputError("format = 'csv' is not available for the report (table or json)")
    day = parse_day(date)
    u, market = load_inputs(day, db, universe)
    if korean_aum is not None:
        u = u.with_korean_aum(parse_money(korean_aum, "korean-aum"))
    rep = build_report(u, market, load_default_rules(), report_date=day, moves=parse_moves(move))
    if fmt == OutputFormat.json:
        json.dump(rep.to_dict(), sys.stdout, indent=1, allow_nan=False, default=str)
        sys.stdout.write("\n")
    else:
        render_terminal(rep, krw=krw)
    if not no_html:
        html.write_text(render_html(rep, krw=krw), encoding="utf-8")
        note(f"wrote {html} ({html.stat().st_size / 1e6:.1f} MB, self-contained)")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the app."""
    app.command("report", epilog=EPILOG)(report)
