"""``gaemi data``: the store — import files, check quality, list, status, calibrate, update."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    OutputFormat,
    check_choice,
    emit,
    finite_option,
    note,
    note_lines,
    stderr_progress,
)

EPILOG = """
Examples:

  gaemi data import ../shared/data/us-adjclose-1993-2026/SOXS.csv --kind prices --close-is-adjusted

  gaemi data import ../shared/data/fx-daily/DEXKOUS.csv --kind macro --unit "KRW per USD"

  gaemi data import universe.csv --kind funds --db ./gaemi.duckdb

  gaemi data import ../shared/data/us-letf-nav-proshares/*.csv --kind fund_nav

  gaemi data import ../shared/data/us-letf-universe-2026/*.csv --kind universe

  gaemi data import KSD/seohak-index/custody_weekly_clean.csv --kind ksd --duplicates drop

  gaemi data check                     # quality findings for everything in the store

  gaemi data check FILE --kind prices  # check a file without importing it

  gaemi data list --kind macro ; gaemi data status ; gaemi data clock

  gaemi data calibrate                 # betas, vols, tails from the stored history
"""

data_app = typer.Typer(
    help="The local DuckDB store: import, check, list, calibrate, update.",
    no_args_is_help=True,
    epilog=EPILOG,
)

DbOpt = Annotated[
    Path | None,
    typer.Option("--db", help="Store file (default: $GAEMI_DB or the user data directory)."),
]
KindOpt = Annotated[
    str,
    typer.Option(
        "--kind",
        "-k",
        help="prices | funds | holdings | macro | fund_nav (issuer daily NAV) | universe "
        "(full-universe snapshot) | derivatives (Coinalyze) | ksd (depository lists)",
    ),
]
FmtOpt = Annotated[OutputFormat, typer.Option("--format", "-f")]


def _parse_size(text: str) -> int:
    from gaemi.present.cli.common import parse_money

    units = {"kb": 1024, "mb": 1024**2, "gb": 1024**3, "kib": 1024, "mib": 1024**2}
    t = text.strip().lower()
    for u in sorted(units, key=len, reverse=True):
        if t.endswith(u):
            return int(parse_money(t[: -len(u)], "max-size") * units[u])
    return int(parse_money(t, "max-size"))


@contextmanager
def _import_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A transient progress bar on stderr, only on a terminal: elsewhere a finished Rich
    bar leaves blank lines, and a failed import must print exactly one line."""
    if not sys.stderr.isatty():
        yield None
        return
    with stderr_progress() as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@data_app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="CSV or Parquet files.")],
    kind: KindOpt = "prices",
    symbol: Annotated[
        str | None,
        typer.Option(
            "--symbol",
            "-s",
            help="Symbol (prices) or series id / prefix (macro); "
            "default from the file name or a Symbol column.",
        ),
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source label stored.")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Unit of macro values.")] = None,
    close_is_adjusted: Annotated[
        bool,
        typer.Option("--close-is-adjusted", help="The file's Close column is an adjusted close."),
    ] = False,
    on_conflict: Annotated[
        str,
        typer.Option(
            "--on-conflict",
            help="When a row differs from the stored one: error (default), keep, replace.",
        ),
    ] = "error",
    max_size: Annotated[str, typer.Option("--max-size", help="Refuse larger files.")] = "2GB",
    duplicates: Annotated[
        str,
        typer.Option(
            "--duplicates",
            help="KSD lists: two different rows for one security and date are refused "
            "(refuse, default) or both dropped as unknown and noted (drop).",
        ),
    ] = "refuse",
    allow_nonpositive_prices: Annotated[
        bool,
        typer.Option(
            "--allow-nonpositive-prices",
            help="prices: accept prices <= 0 (only for series that trade there, e.g. WTI "
            "futures on 2020-04-20); refused by default.",
        ),
    ] = False,
    db: DbOpt = None,
) -> None:
    """Validate every file first, then write them all in ONE transaction (idempotent).

    Nothing is written until all FILES have been read and validated; a bad file, or a
    conflict in any file (with --on-conflict error), leaves the store unchanged and the
    one-line error names the file.
    """
    from gaemi.data.importers import ImportOptions, prepare_imports, write_imports
    from gaemi.data.store import ON_CONFLICT, Store, check_store_file, resolve_db_path

    check_store_file(resolve_db_path(db))  # a CSV/Parquet given as --db: before any work
    check_choice(on_conflict, ON_CONFLICT, "--on-conflict")
    if duplicates not in ("refuse", "drop"):
        raise GaemiInputError(f"--duplicates = {duplicates!r} must be refuse or drop")
    if symbol and len(files) > 1:
        raise GaemiInputError("--symbol applies to one file; import files one at a time")
    opts = ImportOptions(
        kind=kind,
        symbol=symbol,
        source=source,
        unit=unit,
        close_is_adjusted=close_is_adjusted,
        on_conflict=on_conflict,  # type: ignore[arg-type]
        max_bytes=_parse_size(max_size),
        duplicates=duplicates,  # type: ignore[arg-type]
        allow_nonpositive_prices=allow_nonpositive_prices,
    )
    label = f"import {files[0].name}" if len(files) == 1 else f"import {len(files)} files"
    n = len(files)
    with _import_bar(label) as bar:
        # every file is validated before the store is even opened (or created)
        prepared = prepare_imports(
            files, opts, progress=None if bar is None else (lambda i, _n: bar(i, 2 * n))
        )
        with Store(db) as store:
            results = write_imports(
                store,
                prepared,
                opts,
                progress=None if bar is None else (lambda i, _n: bar(n + i, 2 * n)),
            )
            path = store.path
    for result in results:
        note_lines(result.notes)
        typer.echo(result.summary())
    note(f"store: {path}")


@data_app.command("check")
def check_cmd(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Check these files instead of the store.")
    ] = None,
    kind: KindOpt = "prices",
    symbol: Annotated[
        list[str] | None, typer.Option("--symbol", "-s", help="Only these symbols.")
    ] = None,
    close_is_adjusted: Annotated[bool, typer.Option("--close-is-adjusted")] = False,
    info: Annotated[bool, typer.Option("--info", help="Show info-level findings too.")] = False,
    fmt: FmtOpt = OutputFormat.table,
    db: DbOpt = None,
) -> None:
    """Quality findings (stale rows, split jumps, bad prices, gaps) — reported, not fixed."""
    from gaemi.data.importers import ImportOptions
    from gaemi.data.quality import check_file, check_store, findings_frame
    from gaemi.data.store import Store

    if files:
        findings = []
        for f in files:
            opts = ImportOptions(
                kind=kind, symbol=symbol[0] if symbol else None, close_is_adjusted=close_is_adjusted
            )
            findings.extend(check_file(f, opts))
        title = f"Quality of {len(files)} file(s)"
    else:
        with Store(db, read_only=True) as store:
            findings = check_store(store, symbols=symbol or None)
            title = f"Quality of store {store.path.name}"
    shown = [f for f in findings if info or f.severity != "info"]
    hidden = len(findings) - len(shown)
    emit(
        findings_frame(shown),
        fmt,
        title=title,
        caption=f"{hidden} info-level findings hidden (--info)" if hidden else "",
    )
    if any(f.severity == "error" for f in findings):
        raise typer.Exit(1)


@data_app.command("list")
def list_cmd(kind: KindOpt = "prices", fmt: FmtOpt = OutputFormat.table, db: DbOpt = None) -> None:
    """Symbols / series / funds in the store with their date ranges and sources."""
    from gaemi.data.store import Store

    with Store(db, read_only=True) as store:
        emit(store.list_series(kind), fmt, title=f"{kind} in {store.path.name}")


@data_app.command("status")
def status_cmd(fmt: FmtOpt = OutputFormat.table, db: DbOpt = None) -> None:
    """Tables of the store: rows, date range, last retrieval; the schema version."""
    from gaemi.data.store import Store

    with Store(db, read_only=True) as store:
        emit(
            store.status(),
            fmt,
            title=f"Store {store.path} (schema v{store.schema_version()})",
        )


@data_app.command("clock")
def clock_cmd(
    at: Annotated[
        str | None, typer.Option("--at", help="A time with zone, e.g. 2026-05-26T15:00-04:00.")
    ] = None,
    fmt: FmtOpt = OutputFormat.table,
) -> None:
    """Next US close in New York and Seoul, minutes to it, and the KRX session."""
    from datetime import datetime

    import pandas as pd

    from gaemi.data.calendar import krx_session, next_us_close

    if at is not None:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            raise GaemiInputError(f"--at = {at!r} is not an ISO time") from None
    else:
        now = pd.Timestamp.now(tz="UTC").to_pydatetime()
    c = next_us_close(now)
    k = krx_session(now)
    df = pd.DataFrame(
        [
            {
                "now_utc": str(pd.Timestamp(now).tz_convert("UTC")),
                "us_session": str(c.session),
                "us_close_et": c.close_et.strftime("%Y-%m-%d %H:%M %Z"),
                "us_close_kst": c.close_kst.strftime("%Y-%m-%d %H:%M %Z"),
                "early_close": c.early_close,
                "minutes_to_us_close": round(c.minutes_from(now), 1),
                "krx_session_today": k.is_session,
                "krx_open_now": k.is_open(now),
            }
        ]
    )
    emit(df, fmt, title="US close and KRX session")


@data_app.command("calibrate")
def calibrate_cmd(
    drop: Annotated[
        float,
        typer.Option(
            "--drop",
            help="Conditional betas on days the driver falls more.",
            callback=finite_option,
        ),
    ] = 0.03,
    save: Annotated[bool, typer.Option("--save/--no-save", help="Write to the store.")] = True,
    fmt: FmtOpt = OutputFormat.table,
    db: DbOpt = None,
) -> None:
    """Derive betas, vols and tail parameters from the stored history (with sample sizes)."""
    from gaemi.data.calibration import calibrate, save_calibration
    from gaemi.data.store import Store

    with Store(db, read_only=not save) as store:
        cal = calibrate(store, big_drop=drop)
        note_lines(cal.notes)
        if save:
            save_calibration(store, cal)
            note(f"saved {len(cal.params)} parameters to {store.path.name}")
    emit(cal.to_frame(), fmt, title="Calibration from stored history")


@data_app.command("update")
def update_cmd(
    symbol: Annotated[
        list[str] | None, typer.Option("--symbol", "-s", help="Only these symbols.")
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", help="Seconds per request.", callback=finite_option),
    ] = 10.0,
    retries: Annotated[
        int, typer.Option("--retries", help="Retries per request (backoff 0.5 s, doubling).")
    ] = 3,
    funds: Annotated[
        bool,
        typer.Option(
            "--funds",
            help="Also refresh funds: the issuer daily-NAV files of the funds with NAV history "
            "(ProShares ByFund, base URL $GAEMI_PROSHARES_URL) and fund AUM (yfinance, "
            "`live` extra).",
        ),
    ] = False,
    db: DbOpt = None,
) -> None:
    """Fetch what is stale from the live sources (needs the network).

    Exit code: 0 when every series is up to date or was refreshed; 1 when any series
    (or, with --funds, any fund's AUM) could not be refreshed — offline, no live source,
    not in the store — so cron can notice; 2 on bad input, including a store file that
    does not exist (nothing is created just to say it is empty).
    """
    from gaemi.data.live.funds import refresh_fund_aum, require_yfinance
    from gaemi.data.live.nav import refresh_fund_nav
    from gaemi.data.live.update import NotRefreshed, update_store
    from gaemi.data.store import Store, resolve_db_path

    if not 0 <= retries <= 10:
        raise GaemiInputError(f"--retries = {retries} must be in [0, 10]")
    if funds:
        require_yfinance()  # one line before any work, not one per fund
    path = resolve_db_path(db)
    if not path.is_file():
        raise GaemiInputError(
            f"store {str(path)!r} does not exist (import data with `gaemi data import`)"
        )
    failed = 0
    with Store(path) as store:
        for line in update_store(store, symbols=symbol or None, timeout=timeout, retries=retries):
            failed += isinstance(line, NotRefreshed)
            typer.echo(line)
        if funds:
            for line in refresh_fund_nav(store, timeout=timeout, retries=retries):
                failed += isinstance(line, NotRefreshed)
                typer.echo(line)
            for line in refresh_fund_aum(store):
                failed += isinstance(line, NotRefreshed)
                typer.echo(line)
    if failed:  # the lines above already say which and why: no extra message
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``data`` to the app."""
    app.add_typer(data_app, name="data")
