"""``gaemi investor``: one account's risk of margin call, ruin and graduation."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    OutputFormat,
    check_count,
    emit,
    finite_option,
    note,
    parse_money,
    parse_move,
    parse_number,
    parse_positive_frac,
    progress_bar,
)
from gaemi.present.cli.decay import PROGRESS_MIN_PATHS, build_model, horizon_days

if TYPE_CHECKING:
    from gaemi.core.investor import InvestorResult

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


def format_money(value: float, currency: str) -> str:
    """₩1.40억 / ₩2.3조 for KRW (with the full figure), $13.0k for USD."""
    if value is None or not math.isfinite(value):
        return "—"
    sign = "-" if value < 0 else ""
    v = abs(value)
    if currency == "KRW":
        if v >= 1e12:
            short = f"{v / 1e12:.2f}조"
        elif v >= 1e8:
            short = f"{v / 1e8:.2f}억"
        elif v >= 1e4:
            short = f"{v / 1e4:,.0f}만"
        else:
            short = f"{v:,.0f}"
        return f"{sign}₩{v:,.0f} ({sign}{short})"
    if v >= 1e6:
        return f"{sign}${v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{sign}${v / 1e3:.1f}k"
    return f"{sign}${v:,.0f}"


def _pct(p: float) -> str:
    """A probability for prose: 35%, 0.2%, "none"."""
    if p <= 0.0:
        return "none"
    if p < 0.01:
        return f"{p:.1%}"
    return f"{p:.0%}"


def plain_summary(res: InvestorResult) -> str:
    """A few sentences a retail investor can read."""
    a = res.account
    s = res.summary()
    cur = a.currency
    held = " + ".join(f"{p.terms.ticker} {p.weight:.0%}" for p in a.positions)
    lines = [
        f"You put {format_money(a.capital, cur)} into {held}"
        + (
            f" with a margin loan of {format_money(a.loan, cur)} "
            f"(maintenance {a.rules.maintenance_ratio:.0%}, {a.rules.grace_days} days to top up)"
            if a.loan > 0
            else " without a loan"
        )
        + f". Over {res.n_days} trading days ({res.model_label}, {res.n_paths:,} paths):"
    ]
    if a.loan > 0:
        day = s["median_first_call_day"]
        when = f", typically on trading day {day + 1:.0f}" if day is not None else ""
        lines.append(
            f"- the broker calls for more money in {_pct(s['prob_margin_call'])} of the "
            f"futures{when}; it sells your holdings by force in {_pct(s['prob_forced_sale'])}."
        )
    lines.append(
        f"- at some point you are down half or more in {_pct(s['prob_loss_50pct_ever'])} of "
        f"the futures, and down 90% or more in {_pct(s['prob_loss_90pct_ever'])}."
    )
    lines.append(
        "- the typical (median) outcome at the end is "
        f"{format_money(s[f'median_end_{cur.lower()}'], cur)} "
        f"({s['median_change_frac']:+.0%}); the typical worst fall from a high along the way "
        f"is {s['median_max_drawdown_frac']:.0%}."
    )
    if a.target is not None:
        lines.append(
            f"- you reach your target of {format_money(a.target, cur)} before losing 90% in "
            f"{_pct(s['prob_target_before_ruin'])} of the futures."
        )
    selling = (
        "you sell only to cash out at your target"
        if a.target is not None
        else "you do not sell early"
    )
    lines.append(
        "These are model odds, not forecasts: they assume the volatility model holds, you "
        f"add no money and {selling}."
    )
    return "\n".join(lines)


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
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    view: Annotated[str, typer.Option("--view", help="summary | drawdown | text")] = "summary",
    workers: Annotated[int | None, typer.Option("--workers", help="Threads.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Monte Carlo of one account: probabilities of a margin call, a forced sale, losing
    50% and 90%, and reaching a target before ruin; drawdown distribution.
    """
    from gaemi.core.investor import Account, MarginRules, Position, simulate_account
    from gaemi.data.returns import load_investor_defaults, load_vol_defaults
    from gaemi.present.cli.decay import fund_terms

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
    vd = load_vol_defaults()
    idef = load_investor_defaults()
    rules = MarginRules(
        maintenance_ratio=idef.maintenance_ratio
        if maintenance is None
        else parse_ratio(maintenance, "maintenance"),
        grace_days=idef.grace_days if grace_days is None else grace_days,
        loan_rate_annual=idef.loan_rate_annual
        if loan_rate is None
        else parse_positive_frac(loan_rate, "loan-rate"),
        forced_sale_discount=idef.forced_sale_discount,
        cure_on_recovery=idef.cure_on_recovery,
    )
    positions = []
    for tic, weight in parse_positions(position):
        terms, uid, _aum = fund_terms(tic, None, None, vd.spread_annual)
        positions.append(Position(terms, uid or tic, weight))
    usdkrw = vd.usdkrw if fx is None else parse_money(fx, "fx")
    fxv = vd.usdkrw_vol_annual if fx_vol is None else parse_positive_frac(fx_vol, "fx-vol")
    acct = Account(
        capital=cap,
        currency="KRW" if cur == "KRW" else "USD",
        positions=tuple(positions),
        margin=margin,
        usdkrw=usdkrw,
        rules=rules,
        target=None if target is None else parse_money(target, "target"),
        ruin_loss_frac=idef.ruin_loss_frac,
    )
    vol_v = None if vol is None else parse_positive_frac(vol, "vol")
    if vol_v is not None and model == "garch":
        model = "constant"  # --vol means a constant-vol run
    drift_v = None if drift is None else parse_move(drift, "drift")
    ret_model = build_model(
        model,
        list(acct.underlyings),
        vol=vol_v,
        drift=drift_v if (drift_v is not None or model == "bootstrap") else 0.0,
        history=history,
        start="long_run",
        block_days=20,
        vd=vd,
    )
    driver, beta, corr, fx_src = _fx_link(acct, fx_beta) if cur == "KRW" else (None, 0.0, 0.0, "")
    if cur == "KRW":
        link = (
            f", beta {beta:+.3f} to {driver}'s daily log return (corr {corr:+.2f}; {fx_src})"
            if driver
            else ", independent of the funds' underlyings"
        )
        note(
            f"USD/KRW {usdkrw:,.2f} ({'given' if fx else 'as of ' + vd.usdkrw_as_of}), "
            f"vol {fxv:.1%}{link}"
        )
    with progress_bar(paths, "accounts", paths >= PROGRESS_MIN_PATHS) as cb:
        res = simulate_account(
            acct,
            ret_model,
            n_days,
            paths,
            seed,
            rate_annual=vd.rate_annual,
            fx_vol_annual=fxv,
            fx_driver=driver,
            fx_beta=beta,
            fx_corr=corr,
            workers=workers,
            progress=cb,
        )
    if view == "text":
        print(plain_summary(res))
        return
    if fmt == OutputFormat.table:
        note(plain_summary(res))
    if view == "drawdown":
        emit(res.drawdown_frame(), fmt, title="Maximum drawdown and end value, by percentile")
        return
    import pandas as pd

    s: dict[str, Any] = res.summary()
    if fmt == OutputFormat.table:
        rows = [{"metric": k, "value": _fmt_value(k, v, cur)} for k, v in s.items()]
        emit(pd.DataFrame(rows), fmt, title="Account risk")
        return
    emit(pd.DataFrame([s]), fmt)


#: underlyings with a calibrated USD/KRW response (calibration.yaml beta/corr.USDKRW.*)
FX_DRIVERS = ("NDX", "SOX")


def _fx_link(acct: Any, beta_opt: float | None) -> tuple[str | None, float, float, str]:
    """Driver, beta, correlation of USD/KRW to the account's NDX or SOX exposure, and
    where they come from.

    The driver is the NDX/SOX underlying holding the most of the account; beta and the
    correlation come from the embedded calibration (real history since 2000, each Korean
    session paired with the US session it had not yet seen). Accounts without NDX or SOX
    exposure keep an independent won (no calibrated response for other underlyings).
    """
    from gaemi.data.calibration import load_default_calibration

    weights: dict[str, float] = {}
    for p in acct.positions:
        if p.underlying_id in FX_DRIVERS:
            weights[p.underlying_id] = weights.get(p.underlying_id, 0.0) + p.weight
    if not weights or beta_opt == 0.0:
        return None, 0.0, 0.0, ""
    driver = max(weights, key=lambda k: weights[k])
    cal = load_default_calibration()
    c = cal.get(f"corr.USDKRW.{driver}")
    beta = cal.value(f"beta.USDKRW.{driver}") if beta_opt is None else float(beta_opt)
    if not (math.isfinite(beta) and abs(beta) < 5.0):
        raise GaemiInputError(f"fx-beta = {beta_opt!r} must be finite and within ±5")
    src = (
        f"{'beta given, ' if beta_opt is not None else ''}calibration.yaml: "
        f"{c.n:,} days {c.start}..{c.end}"
    )
    return driver, beta, c.value, src


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
