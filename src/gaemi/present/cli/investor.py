"""``gaemi investor``: one account's risk of margin call, ruin and graduation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gaemi.app.investor import format_money
from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    DataDirOption,
    DateOption,
    DbOption,
    FormatOption,
    OutputFormat,
    SeedOption,
    check_count,
    emit,
    finite_option,
    note,
    parse_money,
    parse_move,
    parse_number,
    parse_positive_frac,
    progress_bar,
    single,
    state_from_options,
)

#: Paths above which a progress bar is shown on stderr.
PROGRESS_MIN_PATHS = 50_000

EPILOG = """
Examples:

  gaemi investor --capital 140000000 --currency KRW --position SOXL=1.0 --margin 0.5

  gaemi investor --capital 140000000 --position SOXL=1 --target 280000000 --months 12

  gaemi investor --capital 50000 --currency USD --position TSLL=0.5 --position NVDL=0.5 \\
      --model garch --months 6

  gaemi investor --capital 13000 --currency USD --position SOXL=1 --days 3 --vol 80%

  gaemi investor --capital 140e6 --position SOXL=1 --margin 0.5 --view text
"""

VIEWS = ("summary", "drawdown", "text")


def parse_positions(items: list[str]) -> list[tuple[str, float]]:
    """``SOXL=1.0`` or ``TSLL=0.5,NVDL=0.5`` (repeatable) → [(ticker, weight)]."""
    out: list[tuple[str, float]] = []
    for item in items:
        for part in str(item).split(","):
            if not part.strip():
                continue
            tic, sep, w = part.partition("=")
            if not sep or not tic.strip():
                raise GaemiInputError(f"position = {part!r} must be TICKER=WEIGHT, e.g. SOXL=1.0")
            weight = parse_number(w.strip(), f"position {tic.strip()} weight")
            out.append((tic.strip().upper(), weight))
    if not out:
        raise GaemiInputError("give at least one --position, e.g. --position SOXL=1.0")
    tickers = [t for t, _ in out]
    dup = sorted({t for t in tickers if tickers.count(t) > 1})
    if dup:
        raise GaemiInputError(f"position {dup[0]} is given twice")
    return out


def parse_ratio(text: str, name: str) -> float:
    """``140%`` or ``1.4`` → 1.4."""
    return parse_number(text, name, "a ratio (write 140% or 1.4)")


def investor(
    capital: Annotated[
        str, typer.Option("--capital", help="Your own money: 140000000, 140M, 13000.")
    ],
    position: Annotated[
        list[str],
        typer.Option("--position", "-p", help="TICKER=WEIGHT of the money invested; repeatable."),
    ],
    currency: Annotated[str, typer.Option("--currency", help="KRW or USD.")] = "KRW",
    margin: Annotated[
        float,
        typer.Option(
            "--margin",
            help="Margin loan as a multiple of capital (0.5 = +50%).",
            callback=finite_option,
        ),
    ] = 0.0,
    maintenance: Annotated[
        str | None,
        typer.Option("--maintenance", help="Maintenance ratio collateral/loan: 140% or 1.4."),
    ] = None,
    grace_days: Annotated[
        int | None, typer.Option("--grace-days", help="Closes to cure a call (Korea: 2).")
    ] = None,
    loan_rate: Annotated[
        str | None, typer.Option("--loan-rate", help="Margin loan interest, e.g. 8%.")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="Cash out ('graduate') at this account value.")
    ] = None,
    months: Annotated[
        float | None, typer.Option("--months", help="Horizon in months.", callback=finite_option)
    ] = None,
    days: Annotated[int | None, typer.Option("--days", help="Horizon in trading days.")] = None,
    model: Annotated[str, typer.Option("--model", help="constant | garch | bootstrap")] = "garch",
    vol: Annotated[
        str | None, typer.Option("--vol", help="Constant annual vol of every underlying: 60%.")
    ] = None,
    drift: Annotated[
        str | None, typer.Option("--drift", help="Expected annual return of the underlyings.")
    ] = None,
    history: Annotated[
        list[Path] | None,
        typer.Option("--history", help="Bootstrap: CSV Date,Close per underlying."),
    ] = None,
    fx: Annotated[str | None, typer.Option("--fx", help="KRW per USD (default: embedded).")] = None,
    fx_vol: Annotated[
        str | None, typer.Option("--fx-vol", help="USD/KRW annual vol (default: embedded).")
    ] = None,
    fx_beta: Annotated[
        float | None,
        typer.Option(
            "--fx-beta",
            help="USD/KRW log change per unit NDX/SOX log return (default: calibrated; "
            "0 = the won moves independently).",
            callback=finite_option,
        ),
    ] = None,
    paths: Annotated[int, typer.Option("--paths", help="Monte Carlo paths.")] = 20_000,
    seed_given: SeedOption = None,
    view: Annotated[str, typer.Option("--view", help="summary | drawdown | text")] = "summary",
    workers: Annotated[int | None, typer.Option("--workers", help="Threads.")] = None,
    fmt_given: FormatOption = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    date: DateOption = None,
) -> None:
    """Monte Carlo of one account: probabilities of a margin call, a forced sale, losing
    50% and 90%, and reaching a target before ruin; drawdown distribution.
    """
    from gaemi.app.decay import check_paths_memory, check_seed, horizon_days
    from gaemi.app.investor import INVESTOR_BYTES_PER_PATH
    from gaemi.app.investor import investor as run

    seed_one: int | None = single(seed_given, "--seed")
    seed = 0 if seed_one is None else seed_one
    fmt: OutputFormat = single(fmt_given, "--format") or OutputFormat.table
    if view not in VIEWS:
        raise GaemiInputError(f"view = {view!r} must be one of {', '.join(VIEWS)}")
    if paths < 1:
        raise GaemiInputError(f"paths = {paths} must be >= 1")
    check_count(workers, "--workers")
    cur = currency.strip().upper()
    if cur not in ("KRW", "USD"):
        raise GaemiInputError(f"currency = {currency!r} must be KRW or USD")
    cap = parse_money(capital, "capital")
    if cap <= 0:
        raise GaemiInputError(f"capital = {capital!r} must be > 0")
    n_days = horizon_days(months, days)
    maint = None if maintenance is None else parse_ratio(maintenance, "maintenance")
    loan_r = None if loan_rate is None else parse_positive_frac(loan_rate, "loan-rate")
    pos = parse_positions(position)
    fx_v = None if fx is None else parse_money(fx, "fx")
    fxv = None if fx_vol is None else parse_positive_frac(fx_vol, "fx-vol")
    target_v = None if target is None else parse_money(target, "target")
    vol_v = None if vol is None else parse_positive_frac(vol, "vol")
    drift_v = None if drift is None else parse_move(drift, "drift")
    check_seed(seed, "--seed")
    check_paths_memory(paths, INVESTOR_BYTES_PER_PATH, "--paths")
    state = state_from_options(db, data_dir, date)
    with progress_bar(paths, "accounts", paths >= PROGRESS_MIN_PATHS) as cb:
        res = run(
            state,
            cap,
            pos,
            currency=cur,
            margin=margin,
            maintenance_ratio=maint,
            grace_days=grace_days,
            loan_rate_annual=loan_r,
            target=target_v,
            days=n_days,
            model=model,
            vol_annual=vol_v,
            drift_annual=drift_v,
            history=history,
            usdkrw=fx_v,
            fx_vol_annual=fxv,
            fx_beta=fx_beta,
            paths=paths,
            rng=seed,
            workers=workers,
            progress=cb,
        )
    for n in res.notes:
        note(n)
    for w in res.warnings:
        if w not in state.warnings:
            note(f"warning: {w}")
    if view == "text":
        print(res.summary())
        return
    if fmt == OutputFormat.table:
        note(res.summary())
    if view == "drawdown":
        emit(res.to_frame("drawdown"), fmt, title="Maximum drawdown and end value, by percentile")
        return
    import pandas as pd

    s: dict[str, Any] = res.summary_dict()
    if fmt == OutputFormat.table:
        rows = [{"metric": k, "value": _fmt_value(k, v, cur)} for k, v in s.items()]
        emit(pd.DataFrame(rows), fmt, title="Account risk")
        return
    emit(res.to_frame(), fmt)


def _fmt_value(key: str, value: Any, cur: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if key.startswith("prob") or key.endswith("_frac") or key == "maintenance_ratio":
            return f"{value:.1%}"
        if key.endswith(("_krw", "_usd")):
            return format_money(value, cur)
        return f"{value:,.4g}"
    return str(value)


def register(app: typer.Typer) -> None:
    """Add ``investor`` to the app."""
    app.command("investor", epilog=EPILOG)(investor)
