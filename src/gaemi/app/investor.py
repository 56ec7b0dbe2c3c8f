"""One account's risk of a margin call, ruin and graduation: the set-up every face shares.

The funds come from the state's universe, the return model from :mod:`gaemi.app.decay`
(one rule for the volatility when none is given), USD/KRW from the state's market on its
day, and the won's response to the funds' underlyings from the state's calibration.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gaemi.app.result import Choice, Result
from gaemi.errors import GaemiInputError

# Summary texts write money by the one rule of every face (``₩1.40억``, ``$13.0k``; it was
# ``₩140,000,000 (₩1.40억)`` here); re-exported as ``gaemi.app.investor.format_money``.
from gaemi.units import format_frac, format_money, format_percent

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.core.investor import InvestorResult, MarginRules
    from gaemi.data.state import MarketState

#: Underlyings with a calibrated USD/KRW response (calibration ``beta/corr.USDKRW.*``).
FX_DRIVERS = ("NDX", "SOX")
#: Per-path bytes of an account run: its results (equity, low, drawdown: float64; call,
#: sale, target, ruin flags; first call day) and the day's working state per path.
INVESTOR_BYTES_PER_PATH = 160
#: Views of :meth:`AccountRiskResult.to_frame`.
VIEWS = ("summary", "drawdown")


def _pct(p: float) -> str:
    if p <= 0.0:
        return "none"
    if p < 0.01:
        return format_percent(p)
    return format_percent(p, decimals=0)


def plain_summary(res: InvestorResult) -> str:
    """A few sentences a retail investor can read."""
    a = res.account
    s = res.summary()
    cur = a.currency
    held = " + ".join(
        f"{p.terms.ticker} {format_percent(p.weight, decimals=0)}" for p in a.positions
    )
    lines = [
        f"You put {format_money(a.capital, cur)} into {held}"
        + (
            f" with a margin loan of {format_money(a.loan, cur)} "
            f"(maintenance {format_percent(a.rules.maintenance_ratio, decimals=0)}, "
            f"{a.rules.grace_days} days to top up)"
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
        f"({format_frac(s['median_change_frac'], decimals=0)}); the typical worst fall from a high "
        "along the way "
        f"is {format_percent(s['median_max_drawdown_frac'], decimals=0)}."
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


@dataclass(frozen=True)
class FxLink:
    """How USD/KRW moves with the account's underlyings.

    Attributes
    ----------
    usdkrw : float
        KRW per USD at the start.
    usdkrw_source : str
        Where the level came from and its date.
    vol_annual : float
        USD/KRW annual volatility, decimal.
    driver : str or None
        NDX or SOX (the underlying holding most of the account), or None (independent).
    beta : float
        USD/KRW daily log change per unit of the driver's daily log return.
    corr : float
        Correlation of the two (calibration).
    source : str
        Where beta and the correlation come from.
    """

    usdkrw: float
    usdkrw_source: str
    vol_annual: float
    driver: str | None
    beta: float
    corr: float
    source: str

    def text(self) -> str:
        link = (
            f", beta {self.beta:+.3f} to {self.driver}'s daily log return "
            f"(corr {self.corr:+.2f}; {self.source})"
            if self.driver
            else ", independent of the funds' underlyings"
        )
        vol = format_percent(self.vol_annual)
        return f"USD/KRW {self.usdkrw:,.2f} ({self.usdkrw_source}), vol {vol}{link}"


@dataclass(frozen=True, kw_only=True)
class AccountRiskResult(Result):
    """Monte Carlo of one account: margin call, forced sale, ruin, graduation, drawdown.

    Attributes
    ----------
    core : gaemi.core.investor.InvestorResult
        Per-path outcomes (amounts in the account's currency).
    fx : FxLink or None
        The won's link (KRW accounts only).
    seed : object
        The ``rng`` given.
    notes : tuple of str
        What the model was built from.
    """

    core: InvestorResult
    fx: FxLink | None
    seed: Any
    notes: tuple[str, ...] = ()
    kind: str = field(default="investor", init=False, repr=False)

    def summary_dict(self) -> dict[str, Any]:
        """Headline probabilities and levels, keys with units (``median_end_krw``)."""
        return dict(self.core.summary())

    def summary(self) -> str:
        """Plain sentences for a retail investor."""
        return plain_summary(self.core)

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """``summary`` (default, one row) or ``drawdown`` (percentiles)."""
        import pandas as pd

        if view in (None, "summary"):
            return pd.DataFrame([self.summary_dict()])
        if view == "drawdown":
            return self.core.drawdown_frame()
        raise GaemiInputError(f"view = {view!r} must be one of {', '.join(VIEWS)}")

    def extra_dict(self) -> dict[str, Any]:
        return {
            "currency": self.core.account.currency,
            "seed": self.seed if isinstance(self.seed, int) else None,
            "usdkrw": None if self.fx is None else self.fx.usdkrw,
            "fx_beta": None if self.fx is None else self.fx.beta,
            "fx_driver": None if self.fx is None else self.fx.driver,
            "drawdown": _records(self.core.drawdown_frame()),
            "notes": list(self.notes),
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    from gaemi.app.result import records

    return records(df)


def margin_rules(
    *,
    maintenance_ratio: float | None = None,
    grace_days: int | None = None,
    loan_rate_annual: float | None = None,
    forced_sale_discount: float | None = None,
) -> MarginRules:
    """The broker's rules: each one given, else ``investor.yaml`` (Korean practice:
    maintenance 140 %, two closes to top up, the loan rate and forced-sale discount
    with their sources)."""
    from gaemi.core.investor import MarginRules
    from gaemi.data.returns import load_investor_defaults

    idef = load_investor_defaults()
    return MarginRules(
        maintenance_ratio=idef.maintenance_ratio
        if maintenance_ratio is None
        else maintenance_ratio,
        grace_days=idef.grace_days if grace_days is None else grace_days,
        loan_rate_annual=idef.loan_rate_annual if loan_rate_annual is None else loan_rate_annual,
        forced_sale_discount=idef.forced_sale_discount
        if forced_sale_discount is None
        else forced_sale_discount,
        cure_on_recovery=idef.cure_on_recovery,
    )


def fx_link(
    state: MarketState,
    underlying_weights: Sequence[tuple[str, float]],
    *,
    usdkrw: float | None = None,
    fx_vol_annual: float | None = None,
    fx_beta: float | None = None,
) -> tuple[FxLink, tuple[str, ...]]:
    """USD/KRW level, volatility and response to the account's NDX/SOX exposure.

    The level is the state's ``usdkrw_level`` on its day (else the embedded
    ``vol_params.yaml`` figure, said in a warning); the driver is the NDX/SOX underlying
    holding most of the account; beta and the correlation come from the state's
    calibration (each Korean session paired with the US session it had not yet seen).
    ``fx_beta = 0`` makes the won independent.
    """
    from gaemi.app.decay import state_day, vol_defaults

    vd = vol_defaults()
    warns: list[str] = []
    if usdkrw is not None:
        level, level_src = float(usdkrw), "given"
    elif state.market.has("usdkrw_level"):
        o = state.market.latest("usdkrw_level")
        level, level_src = float(o.value), f"as of {o.as_of}"
        age = (state_day(state) - o.as_of).days if isinstance(o.as_of, dt.date) else 0
        if age > 7:
            warns.append(f"USD/KRW is as of {o.as_of}, {age} days before the state's day")
    else:
        level, level_src = vd.usdkrw, f"vol_params.yaml, as of {vd.usdkrw_as_of}"
        warns.append(f"no USD/KRW in the state; the embedded {level:,.2f} ({level_src}) is used")
    if not (math.isfinite(level) and level > 0):
        raise GaemiInputError(f"fx = {usdkrw!r} must be > 0")
    fxv = vd.usdkrw_vol_annual if fx_vol_annual is None else float(fx_vol_annual)
    weights: dict[str, float] = {}
    for uid, w in underlying_weights:
        if uid in FX_DRIVERS:
            weights[uid] = weights.get(uid, 0.0) + w
    if not weights or fx_beta == 0.0:
        return FxLink(level, level_src, fxv, None, 0.0, 0.0, ""), tuple(warns)
    driver = max(weights, key=lambda k: weights[k])
    cal = state.calibration
    c = cal.get(f"corr.USDKRW.{driver}")
    beta = cal.value(f"beta.USDKRW.{driver}") if fx_beta is None else float(fx_beta)
    if not (math.isfinite(beta) and abs(beta) < 5.0):
        raise GaemiInputError(f"fx-beta = {fx_beta!r} must be finite and within ±5")
    src = (
        f"{'beta given, ' if fx_beta is not None else ''}calibration: "
        f"{c.n:,} days {c.start}..{c.end}"
    )
    return FxLink(level, level_src, fxv, driver, beta, c.value, src), tuple(warns)


def investor(
    state: MarketState | None,
    capital: float,
    positions: Sequence[tuple[str, float]],
    *,
    currency: Literal["KRW", "USD"] | str = "KRW",
    margin: float = 0.0,
    maintenance_ratio: float | None = None,
    grace_days: int | None = None,
    loan_rate_annual: float | None = None,
    target: float | None = None,
    months: float | None = None,
    days: int | None = None,
    model: str = "garch",
    vol_annual: float | None = None,
    drift_annual: float | None = None,
    history: Sequence[Path] | None = None,
    usdkrw: float | None = None,
    fx_vol_annual: float | None = None,
    fx_beta: float | None = None,
    paths: int = 20_000,
    rng: Any = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AccountRiskResult:
    """Monte Carlo of one leveraged-ETF account with an optional margin loan.

    Each day the funds compound exactly (r_f = L·r + c·dt); the account's equity is
    holdings − loan; a call comes when holdings/loan < ``maintenance_ratio`` and a forced
    sale when it is not cured within ``grace_days`` closes. KRW accounts also carry
    USD/KRW, log-linked to the NDX/SOX exposure by the calibrated beta.

    Parameters
    ----------
    state : MarketState or None
        Universe (fund terms), USD/KRW on the day, calibration (None: embedded default).
    capital : float
        Own money, in ``currency``.
    positions : sequence of (ticker, weight)
        Weights of the money invested; they sum to 1.
    margin : float
        Loan as a multiple of capital (0.5 = +50 %).
    maintenance_ratio, grace_days, loan_rate_annual : optional
        Broker rules (default ``investor.yaml``: Korean practice).
    target : float, optional
        Cash out ("graduate") at this account value.
    months, days : optional
        Horizon (21 trading days a month; default 6 months).
    model : {"garch", "constant", "bootstrap"}
        Return model (:func:`gaemi.app.decay.return_model`); ``vol_annual`` makes it constant.
    rng : int, SeedSequence or Generator
        Same seed, same numbers.

    References
    ----------
    Avellaneda & Zhang (2010) for the fund compounding; Glosten, Jagannathan & Runkle
    (1993) for the GJR-GARCH-t return model.
    """
    from gaemi.app.decay import (
        check_paths_memory,
        check_seed,
        fund,
        horizon_days,
        rate_warnings,
        resolve_state,
        return_model,
        state_sources,
        state_warnings,
        vol_defaults,
    )
    from gaemi.core.investor import Account, Position, simulate_account
    from gaemi.data.returns import load_investor_defaults

    if paths < 1:
        raise GaemiInputError(f"paths = {paths} must be >= 1")
    check_paths_memory(paths, INVESTOR_BYTES_PER_PATH)
    check_seed(rng)
    st = resolve_state(state)
    cur = str(currency).strip().upper()
    if cur not in ("KRW", "USD"):
        raise GaemiInputError(f"currency = {currency!r} must be KRW or USD")
    if not (math.isfinite(capital) and capital > 0):
        raise GaemiInputError(f"capital = {capital!r} must be > 0")
    if not positions:
        raise GaemiInputError("give at least one position, e.g. SOXL=1.0")
    n_days = horizon_days(months, days)
    vd = vol_defaults()
    idef = load_investor_defaults()
    rules = margin_rules(
        maintenance_ratio=maintenance_ratio,
        grace_days=grace_days,
        loan_rate_annual=loan_rate_annual,
    )
    pos = []
    for tic, weight in positions:
        f = fund(st, tic, spread_annual=vd.spread_annual)
        pos.append(Position(f.terms, f.underlying_id or tic, weight))
    fx, fx_warns = (
        fx_link(
            st,
            [(p.underlying_id, p.weight) for p in pos],
            usdkrw=usdkrw,
            fx_vol_annual=fx_vol_annual,
            fx_beta=fx_beta,
        )
        if cur == "KRW"
        else (None, ())
    )
    acct = Account(
        capital=capital,
        currency="KRW" if cur == "KRW" else "USD",
        positions=tuple(pos),
        margin=margin,
        usdkrw=fx.usdkrw if fx is not None else 1.0,
        rules=rules,
        target=target,
        ruin_loss_frac=idef.ruin_loss_frac,
    )
    if vol_annual is not None and model == "garch":
        model = "constant"  # a volatility means a constant-vol run
    ret_model, notes, choices, vol_warns = return_model(
        model,
        list(acct.underlyings),
        vol_annual=vol_annual,
        drift_annual=drift_annual if (drift_annual is not None or model == "bootstrap") else 0.0,
        history=history,
        state=st,
    )
    res = simulate_account(
        acct,
        ret_model,
        n_days,
        paths,
        rng,
        rate_annual=vd.rate_annual,
        fx_vol_annual=fx.vol_annual if fx is not None else 0.0,
        fx_driver=fx.driver if fx is not None else None,
        fx_beta=fx.beta if fx is not None else 0.0,
        fx_corr=fx.corr if fx is not None else 0.0,
        workers=workers,
        progress=progress,
    )
    made: list[Choice] = [
        c.choice(u) for u, c in zip(acct.underlyings, choices, strict=False) if c.source != "given"
    ]
    if fx is not None and fx.driver:
        made.append(Choice("fx_beta", fx.beta, f"USD/KRW to {fx.driver}: {fx.source}"))
    return AccountRiskResult(
        core=res,
        fx=fx,
        seed=rng,
        notes=(*notes, *([fx.text()] if fx is not None else [])),
        warnings=(
            *state_warnings(st),
            *vol_warns,
            *fx_warns,
            *rate_warnings(st, "vol_params.yaml"),
        ),
        choices=tuple(made),
        sources=(*state_sources(st), "investor.yaml (margin rules)", "vol_params.yaml"),
    )


__all__ = [
    "FX_DRIVERS",
    "AccountRiskResult",
    "FxLink",
    "format_money",
    "fx_link",
    "investor",
    "margin_rules",
    "plain_summary",
]
