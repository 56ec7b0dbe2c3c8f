"""``gaemi decay``: how much a daily-reset fund loses to volatility over a horizon."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    DataDirOption,
    DateOption,
    DbOption,
    FormatOption,
    SeedOption,
    check_choice,
    check_count,
    emit,
    format_usd,
    note,
    note_lines,
    output_format,
    parse_move,
    parse_positive_frac,
    progress_bar,
    single,
    single_float,
    state_from_options,
)

EPILOG = """
Examples:

  gaemi decay --ticker SOXL --months 6 --vol 45%      # DESIGN: a flat half-year at 45% costs ~1/4

  gaemi decay --ticker TQQQ --months 3 --model garch --paths 100000 --seed 7

  gaemi decay --ticker SOXL --months 6 --model bootstrap \\
      --history ../shared/data/us-adjclose-1993-2026/SOXX.csv

  gaemi decay --ticker SOXL --view erosion             # closed-form grid of vol × horizon

  gaemi decay --leverage -3 --vol 60% --months 6 --view summary --format json
"""

VIEWS = ("percentiles", "summary", "erosion")
#: Paths above which a progress bar is shown on stderr.
PROGRESS_MIN_PATHS = 50_000


def decay(
    ticker_given: Annotated[
        list[str] | None,
        typer.Option(
            "--ticker",
            "-t",
            metavar="TICKER",
            help="A fund in the default universe (SOXL, TQQQ …).",
        ),
    ] = None,
    months_given: Annotated[
        list[float] | None,
        typer.Option(
            "--months",
            metavar="MONTHS",
            help="Horizon in months (21 trading days each); default 6.",
        ),
    ] = None,
    days_given: Annotated[
        list[int] | None,
        typer.Option("--days", metavar="DAYS", help="Horizon in trading days."),
    ] = None,
    vol_given: Annotated[
        list[str] | None,
        typer.Option(
            "--vol", metavar="VOL", help="Constant annual vol of the underlying: 45% or 0.45."
        ),
    ] = None,
    model_given: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            metavar="MODEL",
            help="constant (default) | garch (GJR-GARCH-t) | bootstrap (real history)",
        ),
    ] = None,
    paths_given: Annotated[
        list[int] | None,
        typer.Option("--paths", metavar="N", help="Monte Carlo paths (default 20000)."),
    ] = None,
    seed_given: SeedOption = None,
    drift_given: Annotated[
        list[str] | None,
        typer.Option(
            "--drift",
            metavar="RATE",
            help="Expected annual return of the underlying (default 0%; "
            "bootstrap default: history's own drift).",
        ),
    ] = None,
    rate_given: Annotated[
        list[str] | None,
        typer.Option(
            "--rate", metavar="RATE", help="Short rate, e.g. 4% (default: embedded ^IRX)."
        ),
    ] = None,
    spread_given: Annotated[
        list[str] | None,
        typer.Option(
            "--spread",
            metavar="RATE",
            help="Financing spread over the rate (default: embedded, fitted).",
        ),
    ] = None,
    leverage_given: Annotated[
        list[float] | None,
        typer.Option(
            "--leverage",
            metavar="L",
            help="Hypothetical fund leverage (or override): L > 1 or L < 0, |L| <= 10.",
        ),
    ] = None,
    expense_given: Annotated[
        list[str] | None,
        typer.Option("--expense", metavar="RATIO", help="Expense ratio override, e.g. 0.95%."),
    ] = None,
    history: Annotated[
        list[Path] | None,
        typer.Option("--history", help="CSV Date,Close of the underlying for --model bootstrap."),
    ] = None,
    start_given: Annotated[
        list[str] | None,
        typer.Option(
            "--start",
            metavar="START",
            help="GARCH start variance: long_run (default) | last (end of data).",
        ),
    ] = None,
    block_days_given: Annotated[
        list[int] | None,
        typer.Option("--block-days", metavar="DAYS", help="Bootstrap block length (default 20)."),
    ] = None,
    view_given: Annotated[
        list[str] | None,
        typer.Option(
            "--view",
            metavar="VIEW",
            help="percentiles (default) | summary | erosion (closed form, no MC; the given "
            "--vol and horizon, else a grid).",
        ),
    ] = None,
    loss: Annotated[
        list[str] | None,
        typer.Option("--loss", help="Also report P(lose at least X), e.g. --loss 30%; repeatable."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Threads (results do not depend on it).")
    ] = None,
    fmt_given: FormatOption = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    date: DateOption = None,
) -> None:
    """Volatility decay of a daily-reset fund: exact daily compounding next to the
    Avellaneda–Zhang closed form (S_T/S_0)^L·exp(−(L²−L)/2·∫σ²dt)·carry.

    Fund values are changes of NAV (−0.25 = lost a quarter); AUM assumes no creations or
    redemptions.
    """
    import numpy as np

    from gaemi.app import decay as app

    ticker: str | None = single(ticker_given, "--ticker")
    months = single_float(months_given, "--months")
    days: int | None = single(days_given, "--days")
    vol: str | None = single(vol_given, "--vol")
    model: str = single(model_given, "--model") or "constant"
    paths: int = single(paths_given, "--paths", 20_000)
    seed: int = single(seed_given, "--seed", 0)
    drift: str | None = single(drift_given, "--drift")
    rate: str | None = single(rate_given, "--rate")
    spread: str | None = single(spread_given, "--spread")
    leverage = single_float(leverage_given, "--leverage")
    expense: str | None = single(expense_given, "--expense")
    start: str = single(start_given, "--start") or "long_run"
    block_days: int = single(block_days_given, "--block-days", 20)
    view: str = single(view_given, "--view") or "percentiles"
    fmt = output_format(fmt_given)
    check_choice(view, VIEWS, "view")
    check_count(paths, "paths")
    check_count(workers, "--workers")
    n_days = app.horizon_days(months, days)
    rate_v = None if rate is None else parse_move(rate, "rate")
    spread_v = None if spread is None else parse_move(spread, "spread")
    er = None if expense is None else parse_positive_frac(expense, "expense")
    vol_v = None if vol is None else parse_positive_frac(vol, "vol")
    drift_v = None if drift is None else parse_move(drift, "drift")
    if leverage is not None:
        app.check_leverage(leverage, "--leverage")
    if vol_v is not None and model != "constant":
        raise GaemiInputError(f"--vol sets a constant vol; it cannot be used with --model {model}")
    if ticker is None and leverage is None:
        raise GaemiInputError("give --ticker (a fund in the universe) or --leverage")
    losses = []
    for text in loss or []:
        x = parse_positive_frac(text, "loss")
        if not 0.0 < x <= 1.0:
            raise GaemiInputError(f"loss = {text!r} must be between 0% and 100%")
        losses.append(x)
    app.check_seed(seed, "--seed")
    if view != "erosion":
        app.check_paths_memory(paths, app.DECAY_BYTES_PER_PATH, "--paths")
    state = state_from_options(db, data_dir, date)
    f = app.fund(
        state,
        ticker,
        leverage=leverage,
        expense_ratio=er,
        spread_annual=spread_v,
        rate_annual=rate_v,
    )
    t = f.terms
    fund_note = (
        f"{t.ticker}: L={t.leverage:+g}, expense {t.expense_ratio:.2%}, "
        f"rate {f.rate_annual:.2%} ({f.rate_source}), spread {t.spread_annual:.2%}; "
        f"horizon {n_days} trading days"
    )
    if view == "erosion":
        # the given vol and horizon (as /api/decay/erosion answers them); the grid only for
        # what was left out
        if months is not None:  # the months as given (not rounded to whole days)
            months_grid: list[float] | None = [months]
        elif days is not None:
            months_grid = [n_days / 21.0]
        else:
            months_grid = None
        ero = app.erosion(
            state,
            ticker,
            leverage=leverage,
            vols_annual=None if vol_v is None else [vol_v],
            months=months_grid,
            expense_ratio=er,
            rate_annual=rate_v,
            spread_annual=spread_v,
        )
        note(fund_note)
        note_lines(ero.warnings, "warning", state.warnings)
        if ero.sideways is not None:
            note(f"sideways: {ero.sideways.summary()}")
        emit(
            ero.to_frame(),
            fmt,
            title=f"Sideways-market erosion of {t.ticker} (S_T = S_0, closed form)",
            caption="loss_frac includes rate, spread and fees; drag_only is (L²−L)/2·σ²T alone",
        )
        return
    with progress_bar(paths, f"{t.ticker} paths", paths >= PROGRESS_MIN_PATHS) as cb:
        res = app.decay(
            state,
            ticker,
            days=n_days,
            leverage=leverage,
            model=model,
            vol_annual=vol_v,
            drift_annual=drift_v,
            rate_annual=rate_v,
            spread_annual=spread_v,
            expense_ratio=er,
            paths=paths,
            rng=seed,
            history=history,
            start=start,
            block_days=block_days,
            losses=losses,
            workers=workers,
            progress=cb,
        )
    note(fund_note)  # after the run: a bad --history is then one error line
    for n in res.notes:
        note(n)
    note_lines(res.warnings, "warning", state.warnings)
    s = res.summary_dict()
    extra = "; ".join(f"P(lose ≥{x:.0%}) {s[f'prob_loss_{x * 100:g}pct']:.1%}" for x in losses)
    note(res.summary() + (f"; {extra}" if extra else ""))
    if view == "summary":
        emit(res.to_frame("summary"), fmt, title=f"Decay of {t.ticker} over {n_days} days")
        return
    df = res.to_frame()
    cap = (
        (f"AUM now {format_usd(f.aum_usd)}; " if f.aum_usd is not None else "")
        + "prob = percentile; closed form "
        + (
            "exact for GBM"
            if res.core.analytic_quantiles is not None
            else "per path, realised ∫σ²dt"
        )
    )
    emit(
        df.assign(prob=np.round(df["prob"], 4)),
        fmt,
        title=f"{t.ticker} after {n_days} trading days — {res.core.model_label}",
        caption=cap,
    )


def register(app: typer.Typer) -> None:
    """Add ``decay`` to the app."""
    app.command("decay", epilog=EPILOG)(decay)


__all__ = ["register"]
