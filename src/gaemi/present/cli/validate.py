"""``gaemi validate``: the scorecard — every engine against history it was not fitted on."""

from __future__ import annotations

import math
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from gaemi.present.cli.common import note, note_lines, print_json, print_text, single, writable_file

EPILOG = """
Examples:

  gaemi validate --data-dir ../shared/data         # every check (default: $GAEMI_SHARED_DATA)

  gaemi validate --data-dir ../shared/data --format json > scorecard.json

  gaemi validate --check feedback_laws             # the laws that need no data

  gaemi validate --data-dir ../shared/data --html scorecard.html   # a page to share

Exit code 0 when no scored line fails, 1 when one does, 2 on bad input.
"""


class ScoreFormat(StrEnum):
    """How the scorecard is printed."""

    table = "table"
    json = "json"
    html = "html"


def _value(v: float | None, metric: str) -> str:
    if v is None:
        return "—"
    if metric.endswith("USD") or "sign differs" in metric:
        return f"{v:,.4g}"
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 100):
        return f"{v:.3g}"
    return f"{v:.4f}"


def validate(
    data_dir_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--data-dir",
            metavar="FOLDER",
            help="A folder laid out like ../shared/data (default: $GAEMI_SHARED_DATA, else "
            "../shared/data). Checks whose folders are missing are skipped, saying which.",
        ),
    ] = None,
    fmt_given: Annotated[
        list[ScoreFormat] | None,
        typer.Option(
            "--format",
            metavar="table|json|html",
            help="table (default), json, or html (one self-contained page on stdout).",
        ),
    ] = None,
    html_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Also write the scorecard as one self-contained HTML page to FILE.",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--check", metavar="ID", help="Run only this check (repeatable)."),
    ] = None,
) -> None:
    """Run every engine against real history it was not fitted on: per check the test set
    (dates never used in fitting), what was fitted and where, the metric, the stated
    tolerance, the value and pass/fail. Engines not yet built say so."""
    from gaemi.app.validate import validate as run

    data_dir: Path | None = single(data_dir_given, "--data-dir")
    fmt: ScoreFormat = single(fmt_given, "--format", ScoreFormat.table)
    html_file: Path | None = single(html_given, "--html")
    if html_file is not None:
        writable_file(html_file, "--html")
    res = run(data_dir, only=tuple(only or ()))
    if fmt == ScoreFormat.html or html_file is not None:
        from gaemi.present.report.render import render_scorecard_html

        page = render_scorecard_html(res)
        if html_file is not None:
            html_file.write_text(page, encoding="utf-8")
            note(f"wrote {html_file} ({html_file.stat().st_size / 1e3:.0f} kB, self-contained)")
    if fmt == ScoreFormat.html:
        sys.stdout.write(page)
        sys.stdout.write("\n")
    elif fmt == ScoreFormat.json:
        print_json(res.to_dict())
    else:
        from rich.text import Text

        from gaemi.present.console import make_console, print_table

        headers = [
            "engine",
            "metric",
            "value",
            "tolerance",
            "result",
            "test set (never fitted)",
            "fitted on",
        ]
        style = {"pass": "green", "fail": "bold red"}
        rows: list[list[str | Text]] = []
        for o in res.outcomes:
            if o.value is None:
                tol = "—"
            elif o.op == "in":
                tol = f"{_value(o.tolerance, o.metric)}–{_value(o.tolerance_high, o.metric)}"
            else:
                tol = f"{o.op} {_value(o.tolerance, o.metric)}"
            status = o.status if o.value is not None else f"{o.status}: {o.note}"
            rows.append(
                [
                    o.engine,
                    o.metric,
                    _value(o.value, o.metric),
                    tol,
                    Text(status, style=style.get(o.status, "yellow")),
                    o.test_set,
                    o.fitted_on,
                ]
            )
        # fits the terminal (COLUMNS); a pipe or file gets 200 columns as before. Every
        # field is shown: a scorecard too wide for the screen prints one check per block.
        print_table(
            make_console(pipe_width=200),
            headers,
            rows,
            numeric=[False, False, True, True, False, False, False],
            title=f"gaemi validate — {res.data_dir or 'no data folder'}",
            show_lines=True,
            block_rows=math.inf,
        )
        # the counts line names the data folder: wrapped at words to the terminal's width
        print_text(res.summary())
    note_lines(res.warnings)
    if not res.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``validate`` to the app."""
    app.command("validate", epilog=EPILOG)(validate)


__all__: list[Any] = ["register", "validate"]
