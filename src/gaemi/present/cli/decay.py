"""``gaemi decay``: how much a daily-reset fund loses to volatility over a horizon."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gaemi.errors import GaemiInputError
from gaemi.limits import MAX_FUND_LEVERAGE, is_fund_leverage
from gaemi.present.cli.common import (
    OutputFormat,
    check_count,
    emit,
    format_usd,
    note,
    parse_move,
    parse_positive_frac,
    progress_bar,
    single,
)

if TYPE_CHECKING:
    from gaemi.core.nav import FundTerms
    from gaemi.core.paths import ReturnModel
    from gaemi.data.returns import VolDefaults

EPILOG = """
Examples:

  gaemi decay --ticker SOXL --months 6 --vol 45%      # DESIGN: a flat half-year at 45% costs ~1/4

  gaemi decay --ticker TQQQ --months 3 --model garch --paths 100000 --seed 7

  gaemi decay --ticker SOXL --months 6 --model bootstrap \
      --history ../shared/data/us-adjclose-1993-2026/SOXX.csv

  gaemi decay --ticker SOXL --view erosion             # closed-form grid of vol × horizon

  gaemi decay --leverage -3 --vol 60% --months 6 --view summary --format json
"""

MODELS = ("constant", "garch", "bootstrap")
#: The erosion view's grid when neither --vol nor a horizon is given.
EROSION_VOLS = (0.2, 0.3, 0.45, 0.6, 0.8, 1.0)
EROSION_MONTHS = (1.0, 3.0, 6.0, 12.0)
VIEWS = ("percentiles", "summary", "erosion")
#: Paths above which a progress bar is shown on stderr.
PROGRESS_MIN_PATHS = 50_000


def horizon_days(months: float | None, days: int | None) -> int:
    """Trading days from ``--months`` (21 a month) or ``--days``; 0 or less is an error."""
    if months is not None and days is not None:
        raise GaemiInputError("give either --months or --days, not both")
    if days is not None:
        if days < 1:
            raise GaemiInputError(f"days = {days} must be >= 1 (horizon 0 has no risk to measure)")
        return int(days)
    m = 6.0 if months is None else float(months)
    if not math.isfinite(m) or m <= 0:
        raise GaemiInputError(f"months = {months} must be > 0")
    return max(1, round(m * 21))


def check_leverage(value: float, option: str = "--leverage") -> float:
    """A leveraged (L > 1) or inverse (L < 0) fund's leverage with |L| <= 10.

    The rule of every place a user gives a fund leverage (``gaemi flows --fund``,
    ``gaemi.core.universe.is_fund_leverage``, the web API): 0 <= L <= 1 is no such fund.
    """
    if not math.isfinite(value):
        raise GaemiInputError(f"{option} = {value!r} must be a finite number")
    if not is_fund_leverage(value):
        raise GaemiInputError(
            f"{option} = {value:g} is not a leveraged or inverse fund "
            "(need L > 1 or L < 0, e.g. 3 or -2)"
        )
    if abs(value) > MAX_FUND_LEVERAGE:
        raise GaemiInputError(
            f"{option} = {value:g} is outside [-{MAX_FUND_LEVERAGE:g}, {MAX_FUND_LEVERAGE:g}]"
        )
    return value


def one_float(values: list[float] | None, option: str) -> float | None:
    """The one value of a float option declared as a list; NaN and inf refused as such."""
    v: float | None = single(values, option)
    if v is not None and not math.isfinite(v):
        raise GaemiInputError(f"{option} = {v!r} must be a finite number")
    return v


def fund_terms(
    ticker: str | None,
    leverage: float | None,
    expense_ratio: float | None,
    spread: float,
) -> tuple[FundTerms, str | None, float]:
    """The fund: from the default universe by ticker, or hypothetical from ``--leverage``.

    Returns (terms, underlying_id or None, aum_usd).
    """
    import numpy as np

    from gaemi.core.nav import FundTerms
    from gaemi.data.universe import load_default_universe

    if leverage is not None:
        check_leverage(leverage)
    if ticker is None:
        if leverage is None:
            raise GaemiInputError("give --ticker (a fund in the universe) or --leverage")
        return (
            FundTerms(leverage, expense_ratio or 0.0, spread, f"{leverage:+g}x"),
            None,
            1.0,
        )
    u = load_default_universe().where_ticker([ticker])
    lev = float(u.leverage[0]) if leverage is None else leverage
    er = float(u.expense_ratio[0])
    if expense_ratio is not None:
        er = expense_ratio
    if np.isnan(er):
        raise GaemiInputError(f"{ticker}: expense ratio unknown in the universe; give --expense")
    return (
        FundTerms(lev, er, spread, str(u.ticker[0])),
        str(u.underlying_id[0]),
        float(u.aum_usd[0]),
    )


def build_model(
    model: str,
    underlying_ids: list[str],
    *,
    vol: float | None,
    drift: float | None,
    history: list[Path] | None,
    start: str,
    block_days: int,
    vd: VolDefaults,
) -> ReturnModel:
    """A return model for one or more underlyings from the options."""
    import numpy as np

    from gaemi.core.paths import BlockBootstrap, ConstantVol, GjrGarchT
    from gaemi.data.returns import history_file, joint_returns, shared_data_dir

    if model not in MODELS:
        raise GaemiInputError(f"model = {model!r} must be one of {', '.join(MODELS)}")
    names = tuple(underlying_ids)
    n = len(names)
    corr = vd.corr_matrix(list(names)) if n > 1 else None
    if model == "constant":
        if vol is not None:
            vols = [vol] * n
        else:
            vols = [vd.get(u).realised_vol_annual for u in names]
            note(
                "constant vol from the embedded history (since 2015): "
                + ", ".join(f"{u} {v:.1%}" for u, v in zip(names, vols, strict=True))
            )
        return ConstantVol(vols, drift or 0.0, names, corr)
    if vol is not None:
        raise GaemiInputError(f"--vol sets a constant vol; it cannot be used with --model {model}")
    if model == "garch":
        params = tuple(vd.get(u).garch for u in names)
        return GjrGarchT(params, corr, drift_annual=drift, start=start)
    # bootstrap
    files: dict[str, Path] = {}
    if history:
        if len(history) != n:
            raise GaemiInputError(
                f"--history: give one file per underlying ({n}: {', '.join(names)})"
            )
        files = dict(zip(names, history, strict=True))
    else:
        d = shared_data_dir()
        if d is None:
            raise GaemiInputError(
                "bootstrap needs real history: give --history FILE (CSV Date,Close) per "
                "underlying or set GAEMI_SHARED_DATA"
            )
        files = {u: history_file(vd.get(u).proxy, d) for u in names}
    df = joint_returns({k: str(v) for k, v in files.items()})
    note(
        f"bootstrap history: {len(df)} common days {df.index[0].date()}..{df.index[-1].date()} "
        f"from {', '.join(Path(str(f)).name for f in files.values())}"
    )
    return BlockBootstrap(
        np.asarray(df.to_numpy(), dtype=float),
        names,
        block_days,
        drift,
        source=", ".join(Path(str(f)).stem for f in files.values()),
    )


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
    seed_given: Annotated[
        list[int] | None,
        typer.Option(
            "--seed", metavar="SEED", help="Random seed (same seed, same numbers; default 0)."
        ),
    ] = None,
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
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Volatility decay of a daily-reset fund: exact daily compounding next to the
    Avellaneda–Zhang closed form (S_T/S_0)^L·exp(−(L²−L)/2·∫σ²dt)·carry.

    Fund values are changes of NAV (−0.25 = lost a quarter); AUM assumes no creations or
    redemptions.
    """
    import numpy as np
    import pandas as pd

    from gaemi.core.decay import DEFAULT_LOSSES, erosion_table, simulate_fund
    from gaemi.data.returns import load_vol_defaults

    ticker: str | None = single(ticker_given, "--ticker")
    months = one_float(months_given, "--months")
    days: int | None = single(days_given, "--days")
    vol: str | None = single(vol_given, "--vol")
    model: str = single(model_given, "--model") or "constant"
    paths_one: int | None = single(paths_given, "--paths")
    paths = 20_000 if paths_one is None else paths_one
    seed_one: int | None = single(seed_given, "--seed")
    seed = 0 if seed_one is None else seed_one
    drift: str | None = single(drift_given, "--drift")
    rate: str | None = single(rate_given, "--rate")
    spread: str | None = single(spread_given, "--spread")
    leverage = one_float(leverage_given, "--leverage")
    expense: str | None = single(expense_given, "--expense")
    start: str = single(start_given, "--start") or "long_run"
    block_one: int | None = single(block_days_given, "--block-days")
    block_days = 20 if block_one is None else block_one
    view: str = single(view_given, "--view") or "percentiles"
    if view not in VIEWS:
        raise GaemiInputError(f"view = {view!r} must be one of {', '.join(VIEWS)}")
    if paths < 1:
        raise GaemiInputError(f"paths = {paths} must be >= 1")
    check_count(workers, "--workers")
    n_days = horizon_days(months, days)
    vd = load_vol_defaults()
    rate_v = vd.rate_annual if rate is None else parse_move(rate, "rate")
    spread_v = vd.spread_annual if spread is None else parse_move(spread, "spread")
    er = None if expense is None else parse_positive_frac(expense, "expense")
    vol_v = None if vol is None else parse_positive_frac(vol, "vol")
    drift_v = None if drift is None else parse_move(drift, "drift")
    if vol_v is not None and model != "constant":
        raise GaemiInputError(f"--vol sets a constant vol; it cannot be used with --model {model}")
    terms, uid, aum = fund_terms(ticker, leverage, er, spread_v)
    note(
        f"{terms.ticker}: L={terms.leverage:+g}, expense {terms.expense_ratio:.2%}, "
        f"rate {rate_v:.2%} ({'given' if rate else vd.rate_source}), spread {spread_v:.2%}; "
        f"horizon {n_days} trading days"
    )
    if view == "erosion":
        # the given vol and horizon (as /api/decay/erosion answers them); the grid only for
        # what was left out
        vols = [vol_v] if vol_v is not None else list(EROSION_VOLS)
        if months is not None:  # the months as given (not rounded to whole days)
            months_grid = [months]
        elif days is not None:
            months_grid = [n_days / 21.0]
        else:
            months_grid = list(EROSION_MONTHS)
        tab = erosion_table(terms, vols, months_grid, rate_v)
        emit(
            tab.to_frame(),
            fmt,
            title=f"Sideways-market erosion of {terms.ticker} (S_T = S_0, closed form)",
            caption="loss_frac includes rate, spread and fees; drag_only is (L²−L)/2·σ²T alone",
        )
        return
    if uid is None and vol_v is None:
        raise GaemiInputError("a hypothetical fund (--leverage without --ticker) needs --vol")
    ret_model = build_model(
        model,
        [uid or "underlying"],
        vol=vol_v,
        drift=drift_v if (drift_v is not None or model == "bootstrap") else 0.0,
        history=history,
        start=start,
        block_days=block_days,
        vd=vd,
    )
    with progress_bar(paths, f"{terms.ticker} paths", paths >= PROGRESS_MIN_PATHS) as cb:
        res = simulate_fund(
            terms,
            ret_model,
            n_days,
            paths,
            seed,
            rate_annual=rate_v,
            aum0_usd=aum,
            workers=workers,
            progress=cb,
        )
    asked = []
    for text in loss or []:
        x = parse_positive_frac(text, "loss")
        if not 0.0 < x <= 1.0:
            raise GaemiInputError(f"loss = {text!r} must be between 0% and 100%")
        asked.append(x)
    s = res.summary([*DEFAULT_LOSSES, *asked])
    extra = "; ".join(f"P(lose ≥{x:.0%}) {s[f'prob_loss_{x * 100:g}pct']:.1%}" for x in asked)
    note(
        f"model: {res.model_label}; {res.n_paths:,} paths, seed {seed}. Sideways erosion "
        f"(closed form, σ={res.vol_annual:.1%}): {s['sideways_closed_form_loss_frac']:.1%}; "
        f"median change {s['median_change_frac']:+.1%}; P(lose ≥50%) {s['prob_loss_50pct']:.1%}; "
        f"closed form vs exact, median |gap| per path {s['closed_form_median_abs_err_frac']:.2%}"
        + (f"; {extra}" if extra else "")
    )
    if view == "summary":
        emit(pd.DataFrame([s]), fmt, title=f"Decay of {terms.ticker} over {n_days} days")
        return
    df = res.to_frame()
    if ticker is None:
        df = df.drop(columns=["aum_usd"])
    cap = (
        (f"AUM now {format_usd(aum)}; " if ticker is not None else "")
        + "prob = percentile; closed form "
        + ("exact for GBM" if res.analytic_quantiles is not None else "per path, realised ∫σ²dt")
    )
    emit(
        df.assign(prob=np.round(df["prob"], 4)),
        fmt,
        title=f"{terms.ticker} after {n_days} trading days — {res.model_label}",
        caption=cap,
    )


def register(app: typer.Typer) -> None:
    """Add ``decay`` to the app."""
    app.command("decay", epilog=EPILOG)(decay)


__all__ = ["build_model", "check_leverage", "fund_terms", "horizon_days", "register"]
