"""Decay of a daily-reset fund: one set-up for every face (CLI, HTTP API, report, Python).

The judgement every face used to make on its own — which volatility "a flat half-year"
is priced at — is :func:`sideways_vol`, here and nowhere else; every result says which
volatility it used, from where and as of which day.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gaemi.app.result import Choice, Result
from gaemi.errors import GaemiInputError
from gaemi.limits import MAX_FUND_LEVERAGE, is_fund_leverage
from gaemi.units import format_frac, format_percent

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.core.decay import DecayResult as CoreDecayResult
    from gaemi.core.nav import FundTerms
    from gaemi.core.paths import ReturnModel
    from gaemi.data.returns import VolDefaults
    from gaemi.data.state import MarketState

#: Return models of the underlying.
MODELS = ("constant", "garch", "bootstrap")
ModelName = Literal["constant", "garch", "bootstrap"]
#: The erosion grid when neither volatilities nor horizons are given.
EROSION_VOLS: tuple[float, ...] = (0.2, 0.3, 0.45, 0.6, 0.8, 1.0)
EROSION_MONTHS: tuple[float, ...] = (1.0, 3.0, 6.0, 12.0)
#: Trading days in a month of the horizon.
DAYS_PER_MONTH = 21
#: A 60-day volatility older than this many days before the state's day is named stale.
STALE_VOL_DAYS = 7

#: The closed form every decay number rests on.
REFERENCE = (
    "Avellaneda & Zhang (2010), Path-dependence of leveraged ETF returns, SIAM J. Financial "
    "Math. 1, eq. 10: F_T/F_0 = (S_T/S_0)^L exp(-(L^2-L)/2 int sigma^2 dt + c T)"
)
#: The sideways-decay volatility rule, in words (results and docs quote it).
SIDEWAYS_VOL_RULE = (
    "the underlying's 60-day realised volatility on the state's day (close-to-close log "
    "returns x sqrt(252), the number the monitor's sideways indicator uses), held for the "
    "horizon; where the state has none, its one-year realised volatility from "
    "vol_params.yaml if that is dated on or before the state's day"
)


# --------------------------------------------------------------------------- helpers
def resolve_state(state: MarketState | None) -> MarketState:
    """``state``, or the embedded default (:func:`gaemi.app.state.load_state`) when None."""
    if state is not None:
        return state
    from gaemi.app.state import load_state

    return load_state()


def state_warnings(state: MarketState) -> tuple[str, ...]:
    """What the state itself could not find (``state.warnings``)."""
    return tuple(getattr(state, "warnings", ()) or ())


def state_sources(state: MarketState) -> tuple[str, ...]:
    """``part: source`` for each part of the state."""
    return tuple(f"{k}: {v}" for k, v in dict(state.sources).items())


def state_day(state: MarketState) -> dt.date:
    """The calendar day the state describes."""
    return state.as_of.date()


@functools.lru_cache(maxsize=1)
def vol_defaults() -> VolDefaults:
    """The embedded volatility, rate and spread figures (``vol_params.yaml``, read once)."""
    from gaemi.data.returns import load_vol_defaults

    return load_vol_defaults()


def horizon_days(months: float | None = None, days: int | None = None) -> int:
    """Trading days from ``months`` (21 a month) or ``days``; default six months.

    Raises
    ------
    GaemiInputError
        Both given, or a horizon below one day.
    """
    if months is not None and days is not None:
        raise GaemiInputError("give either months or days, not both")
    if days is not None:
        if days < 1:
            raise GaemiInputError(f"days = {days} must be >= 1 (horizon 0 has no risk to measure)")
        return int(days)
    m = 6.0 if months is None else float(months)
    if not math.isfinite(m) or m <= 0:
        raise GaemiInputError(f"months = {months} must be > 0")
    return max(1, round(m * DAYS_PER_MONTH))


#: Most memory the per-path results of one Monte Carlo may take (checked before any work).
MAX_PATH_RESULT_BYTES = 4 * 1024**3
#: Per-path bytes a fund run keeps (NAV, underlying and closed-form ratios, float64) and
#: about as much again for the percentiles.
DECAY_BYTES_PER_PATH = 48


def check_seed(rng: Any, name: str = "seed") -> Any:
    """An integer seed must be >= 0 (NumPy's SeedSequence refuses negatives with a
    traceback); SeedSequence and Generator pass through."""
    if isinstance(rng, bool):
        raise GaemiInputError(f"{name} = {rng!r} must be an integer >= 0")
    if hasattr(rng, "__index__") and int(rng) < 0:  # a Python or NumPy integer
        raise GaemiInputError(f"{name} = {int(rng)} must be an integer >= 0")
    return rng


def check_paths_memory(paths: int, bytes_per_path: int, name: str = "paths") -> int:
    """Refuse, before any work, a path count whose per-path results alone would not fit:
    ``paths × bytes_per_path`` above :data:`MAX_PATH_RESULT_BYTES` (4 GiB)."""
    need = int(paths) * int(bytes_per_path)
    if need > MAX_PATH_RESULT_BYTES:
        raise GaemiInputError(
            f"{name} = {paths} needs about {need / 1024**3:,.1f} GiB for the per-path "
            f"results (limit {MAX_PATH_RESULT_BYTES / 1024**3:.0f} GiB): use fewer paths"
        )
    return paths


def check_leverage(value: float, option: str = "leverage") -> float:
    """A leveraged (L > 1) or inverse (L < 0) fund's leverage with |L| <= 10
    (:func:`gaemi.limits.is_fund_leverage`); anything else is refused in one line."""
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


@dataclass(frozen=True)
class Fund:
    """A fund as the decay engines see it: terms, underlying and assets.

    Attributes
    ----------
    terms : FundTerms
        Leverage, expense ratio and financing spread.
    underlying_id : str or None
        The universe's underlying (None for a hypothetical fund).
    aum_usd : float or None
        Assets now (None for a hypothetical fund).
    rate_annual : float
        Short rate used for the carry, decimal per year.
    rate_source : str
        Where the rate came from.
    """

    terms: FundTerms
    underlying_id: str | None
    aum_usd: float | None
    rate_annual: float
    rate_source: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, unit-bearing keys."""
        return {
            "ticker": self.terms.ticker,
            "leverage": float(self.terms.leverage),
            "expense_ratio": float(self.terms.expense_ratio),
            "spread_annual": float(self.terms.spread_annual),
            "rate_annual": float(self.rate_annual),
            "carry_annual": float(self.terms.carry_annual(self.rate_annual)),
            "underlying_id": self.underlying_id,
            "aum_usd": self.aum_usd,
        }


def fund(
    state: MarketState,
    ticker: str | None = None,
    *,
    leverage: float | None = None,
    expense_ratio: float | None = None,
    spread_annual: float | None = None,
    rate_annual: float | None = None,
    leverage_must_match: bool = False,
) -> Fund:
    """The fund: from the state's universe by ticker, or hypothetical from ``leverage``.

    ``leverage`` with a ticker overrides the fund's own, unless ``leverage_must_match``
    (the HTTP API's rule: a different leverage is an error). Rate and spread default to
    the embedded ``vol_params.yaml`` figures.
    """
    from gaemi.core.nav import FundTerms

    vd = vol_defaults()
    rate = vd.rate_annual if rate_annual is None else float(rate_annual)
    rate_src = vd.rate_source if rate_annual is None else "given"
    spread = vd.spread_annual if spread_annual is None else float(spread_annual)
    if leverage is not None:
        check_leverage(leverage)
    if ticker is None:
        if leverage is None:
            raise GaemiInputError("give ticker (a fund in the universe) or leverage")
        terms = FundTerms(leverage, expense_ratio or 0.0, spread, f"{leverage:+g}x")
        return Fund(terms, None, None, rate, rate_src)
    u = state.universe.where_ticker([ticker])
    own = float(u.leverage[0])
    if leverage is not None and leverage_must_match and abs(leverage - own) > 1e-9:
        raise GaemiInputError(
            f"ticker = {ticker!r} is a {own:+g}x fund but leverage = {leverage:g}: "
            "give the ticker alone, or leverage alone for a hypothetical fund"
        )
    lev = own if leverage is None else float(leverage)
    er = float(u.expense_ratio[0]) if expense_ratio is None else float(expense_ratio)
    if math.isnan(er):
        raise GaemiInputError(f"{ticker}: expense ratio unknown in the universe; give expense")
    terms = FundTerms(lev, er, spread, str(u.ticker[0]))
    return Fund(terms, str(u.underlying_id[0]), float(u.aum_usd[0]), rate, rate_src)


def rate_warnings(state: MarketState, rate_source: str) -> tuple[str, ...]:
    """A warning when the embedded rate and spread are dated after the state's day (the
    state carries no dated short rate; the figure is used, and said)."""
    if rate_source == "given":
        return ()
    vd = vol_defaults()
    day = state_day(state)
    if vd.as_of and dt.date.fromisoformat(vd.as_of) > day:
        text = (
            f"short rate {format_percent(vd.rate_annual, decimals=2)} and financing spread "
            f"{format_percent(vd.spread_annual, decimals=2)} are "
            f"vol_params.yaml's as of {vd.as_of}, after the state's day {day} (no dated rate "
            "in the state)"
        )
        return (text,)
    return ()


# --------------------------------------------------------------------------- the rule
@dataclass(frozen=True)
class VolChoice:
    """The volatility a sideways-decay answer is priced at, and why.

    Attributes
    ----------
    vol_annual : float
        Annualised volatility of the underlying, decimal (0.45 = 45 %).
    source : str
        What the number is (``"60-day realised"``, ``"one-year realised"``, ``"given"``).
    as_of : date or None
        The day it describes (None when given by the user).
    origin : str
        The file or series it was read from.
    rule : str
        :data:`SIDEWAYS_VOL_RULE`, or ``"given"``.
    """

    vol_annual: float
    source: str
    as_of: dt.date | None
    origin: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, unit-bearing keys."""
        return {
            "vol_annual": float(self.vol_annual),
            "vol_source": self.source,
            "vol_as_of": None if self.as_of is None else self.as_of.isoformat(),
            "vol_origin": self.origin,
            "vol_rule": self.rule,
        }

    def choice(self, underlying_id: str) -> Choice:
        """The judgement recorded in a result's ``choices``."""
        when = f", as of {self.as_of}" if self.as_of is not None else ""
        return Choice(
            "vol_annual",
            float(self.vol_annual),
            f"{underlying_id} {self.source}{when} ({self.origin}); rule: {self.rule}",
        )

    def text(self) -> str:
        """``σ = 67.0% (60-day realised, 2026-08-03)``."""
        when = f", {self.as_of}" if self.as_of is not None else ""
        return f"σ = {format_percent(self.vol_annual)} ({self.source}{when})"


def sideways_vol(state: MarketState, underlying_id: str) -> tuple[VolChoice, tuple[str, ...]]:
    """The volatility a flat-market decay is priced at for one underlying (the one rule).

    Rule (:data:`SIDEWAYS_VOL_RULE`): the state's 60-day realised volatility of the
    underlying (``<id>_vol_60d``: σ = sd(ln S_t/S_{t−1}, 60 days)·√252, as of the state's
    day — the monitor's sideways indicator reads the same series); where the state has
    none (underlyings other than NDX and SOX), the one-year realised volatility of
    ``vol_params.yaml`` (last 252 daily log returns of the proxy) if it is dated on or
    before the state's day. The recent window is chosen over a long-run average because
    the question is what a flat half-year costs *from here*: volatility clusters
    (Engle 1982; Bollerslev 1986), so the current regime is the better guide over months.

    Returns
    -------
    VolChoice, tuple of str
        The choice and warnings (a stale 60-day figure).

    Raises
    ------
    GaemiInputError
        No volatility known on the state's day for this underlying.
    """
    day = state_day(state)
    key = f"{underlying_id.lower()}_vol_60d"
    warnings: list[str] = []
    m = state.market
    if m.has(key):
        o = m.latest(key)
        as_of = o.as_of if isinstance(o.as_of, dt.date) else dt.date.fromisoformat(str(o.as_of))
        if as_of <= day:
            age = (day - as_of).days
            if age > STALE_VOL_DAYS:
                warnings.append(
                    f"{underlying_id} 60-day volatility is as of {as_of}, {age} days before "
                    f"the state's day {day}"
                )
            return (
                VolChoice(
                    float(o.value), "60-day realised", as_of, str(o.source), SIDEWAYS_VOL_RULE
                ),
                tuple(warnings),
            )
    vd = vol_defaults()
    uv = vd.underlyings.get(underlying_id.upper())
    if uv is not None and vd.as_of and dt.date.fromisoformat(vd.as_of) <= day:
        warnings.append(
            f"{underlying_id}: no 60-day volatility in the state; the one-year realised "
            f"volatility of vol_params.yaml ({vd.as_of}) is used"
        )
        return (
            VolChoice(
                float(uv.recent_vol_annual),
                "one-year realised",
                dt.date.fromisoformat(vd.as_of),
                f"vol_params.yaml ({uv.source})",
                SIDEWAYS_VOL_RULE,
            ),
            tuple(warnings),
        )
    raise GaemiInputError(
        f"underlying = {underlying_id!r}: no volatility known on {day} "
        f"(no 60-day volatility in the state; vol_params.yaml is as of {vd.as_of or 'n/a'}); "
        "give vol_annual"
    )


def _given_vol(vol_annual: float) -> VolChoice:
    if not (math.isfinite(vol_annual) and vol_annual >= 0):
        raise GaemiInputError(f"vol_annual = {vol_annual!r} must be >= 0")
    return VolChoice(float(vol_annual), "given", None, "given", "given")


# --------------------------------------------------------------------------- sideways decay
@dataclass(frozen=True, kw_only=True)
class SidewaysDecayResult(Result):
    """What a flat market costs one fund over a horizon (closed form), and at which σ.

    Attributes
    ----------
    fund : Fund
    months : float
        Horizon in months (T = months/12 years).
    vol : VolChoice
        The volatility used and why (also in ``choices`` as ``vol_annual``).
    loss_frac : float
        1 − exp(−(L²−L)/2·σ²·T + c·T): value lost when S_T = S_0, with carry c.
    drag_only_loss_frac : float
        1 − exp(−(L²−L)/2·σ²·T): the volatility drag alone.
    """

    fund: Fund
    months: float
    vol: VolChoice
    loss_frac: float
    drag_only_loss_frac: float
    kind: str = field(default="sideways_decay", init=False, repr=False)

    @property
    def aum_lost_usd(self) -> float | None:
        """Dollars lost by the fund's current assets (no creations or redemptions)."""
        return None if self.fund.aum_usd is None else -self.loss_frac * self.fund.aum_usd

    def summary(self) -> str:
        """One sentence."""
        t = self.fund.terms
        return (
            f"{t.ticker} ({t.leverage:+g}x): if {self.fund.underlying_id or 'the underlying'} "
            f"ends {self.months:g} months where it started, the fund loses "
            f"{format_percent(self.loss_frac)} ({format_percent(self.drag_only_loss_frac)} from "
            "volatility alone) at "
            f"{self.vol.text()}"
        )

    def row(self) -> dict[str, Any]:
        """The answer as one flat record (unit-bearing keys)."""
        return {
            **self.fund.to_dict(),
            "months": float(self.months),
            **self.vol.to_dict(),
            "loss_frac": float(self.loss_frac),
            "drag_only_loss_frac": float(self.drag_only_loss_frac),
            "aum_lost_usd": self.aum_lost_usd,
        }

    def extra_dict(self) -> dict[str, Any]:
        return self.row()

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """One row: :meth:`row`."""
        import pandas as pd

        return pd.DataFrame([self.row()])


def _drag_only(leverage: float, vol_annual: float, years: float) -> float:
    from gaemi.core.decay import volatility_drag_coef

    return 1.0 - math.exp(-volatility_drag_coef(leverage) * vol_annual**2 * years)


def sideways_decay(
    state: MarketState | None,
    ticker: str,
    months: float = 6.0,
    *,
    vol_annual: float | None = None,
    rate_annual: float | None = None,
) -> SidewaysDecayResult:
    """What a flat ``months`` costs fund ``ticker``, at the sideways-decay volatility.

    Parameters
    ----------
    state : MarketState or None
        The market (None: the embedded default).
    ticker : str
        A fund of the state's universe.
    months : float
        Horizon, months (T = months/12 years).
    vol_annual : float, optional
        Override the volatility; default :func:`sideways_vol` (the one rule).
    rate_annual : float, optional
        Short rate, decimal per year; default the embedded ^IRX figure.

    Returns
    -------
    SidewaysDecayResult
        loss_frac = 1 − exp(−(L²−L)/2·σ²·T + c·T), c the fund's carry (rate, spread, fee).

    References
    ----------
    Avellaneda, M. & Zhang, S. (2010), "Path-dependence of leveraged ETF returns",
    SIAM J. Financial Math. 1, eq. 10.
    """
    st = resolve_state(state)
    return _sideways(st, fund(st, ticker, rate_annual=rate_annual), months, vol_annual)


def _sideways(
    st: MarketState, f: Fund, months: float, vol_annual: float | None
) -> SidewaysDecayResult:
    from gaemi.core.decay import sideways_erosion

    if not (math.isfinite(months) and months > 0):
        raise GaemiInputError(f"months = {months!r} must be > 0")
    if f.underlying_id is None:
        raise GaemiInputError("a sideways answer needs a fund of the universe (a ticker)")
    if vol_annual is None:
        vol, warns = sideways_vol(st, f.underlying_id)
    else:
        vol, warns = _given_vol(vol_annual), ()
    years = months / 12.0
    loss = float(sideways_erosion(f.terms, vol.vol_annual, years, f.rate_annual))
    return SidewaysDecayResult(
        fund=f,
        months=float(months),
        vol=vol,
        loss_frac=loss,
        drag_only_loss_frac=_drag_only(f.terms.leverage, vol.vol_annual, years),
        warnings=(*state_warnings(st), *warns, *rate_warnings(st, f.rate_source)),
        choices=(vol.choice(f.underlying_id),) if vol.source != "given" else (),
        sources=(*state_sources(st), f"rate: {f.rate_source}", REFERENCE),
    )


# --------------------------------------------------------------------------- erosion grid
@dataclass(frozen=True, kw_only=True)
class ErosionResult(Result):
    """Closed-form sideways erosion over a grid of volatilities and horizons.

    ``sideways`` is the fund's own answer at the rule's volatility over six months (only
    for a fund of the universe with a known volatility), so a grid never stands alone
    without the number the report and the CLI give.
    """

    fund: Fund
    rows: tuple[dict[str, float], ...]
    sideways: SidewaysDecayResult | None
    kind: str = field(default="decay_erosion", init=False, repr=False)

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """``ticker, leverage, vol_annual, months, drag_only_loss_frac, loss_frac``."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"ticker": self.fund.terms.ticker, "leverage": self.fund.terms.leverage, **r}
                for r in self.rows
            ]
        )

    def summary(self) -> str:
        """The fund's sideways answer when known, else the grid's size."""
        if self.sideways is not None:
            return self.sideways.summary()
        return f"{self.fund.terms.ticker}: erosion at {len(self.rows)} (vol, horizon) points"

    def extra_dict(self) -> dict[str, Any]:
        return {
            "fund": self.fund.to_dict(),
            "sideways": None if self.sideways is None else self.sideways.row(),
        }


def erosion(
    state: MarketState | None = None,
    ticker: str | None = None,
    *,
    leverage: float | None = None,
    vols_annual: Sequence[float] | None = None,
    months: Sequence[float] | None = None,
    expense_ratio: float | None = None,
    rate_annual: float | None = None,
    spread_annual: float | None = None,
    leverage_must_match: bool = False,
) -> ErosionResult:
    """Sideways erosion 1 − exp(−(L²−L)/2·σ²·T + c·T) on a (vol × months) grid.

    Parameters
    ----------
    vols_annual, months : sequence of float, optional
        The grid; each left out takes :data:`EROSION_VOLS` / :data:`EROSION_MONTHS`.

    References
    ----------
    Avellaneda & Zhang (2010), eq. 10.
    """
    from gaemi.core.decay import erosion_table

    st = resolve_state(state)
    f = fund(
        st,
        ticker,
        leverage=leverage,
        expense_ratio=expense_ratio,
        spread_annual=spread_annual,
        rate_annual=rate_annual,
        leverage_must_match=leverage_must_match,
    )
    vols = list(EROSION_VOLS if vols_annual is None else vols_annual)
    ms = list(EROSION_MONTHS if months is None else months)
    for v in vols:
        _given_vol(v)
    for mo in ms:
        if not (math.isfinite(mo) and mo > 0):
            raise GaemiInputError(f"months = {mo!r} must be > 0")
    df = erosion_table(f.terms, vols, ms, f.rate_annual).to_frame()
    rows = tuple(
        {
            "vol_annual": float(r["vol_annual"]),
            "months": float(r["months"]),
            "drag_only_loss_frac": float(r["drag_only_loss_frac"]),
            "loss_frac": float(r["loss_frac"]),
        }
        for r in df.to_dict("records")
    )
    side = None
    warns: tuple[str, ...] = (*state_warnings(st), *rate_warnings(st, f.rate_source))
    choices: tuple[Choice, ...] = ()
    if f.underlying_id is not None and leverage in (None, f.terms.leverage):
        try:
            side = _sideways(st, f, 6.0, None)
        except GaemiInputError as e:
            warns = (*warns, f"no sideways answer: {e}")
        else:
            warns, choices = side.warnings, side.choices
    return ErosionResult(
        fund=f,
        rows=rows,
        sideways=side,
        warnings=warns,
        choices=choices,
        sources=(*state_sources(st), f"rate: {f.rate_source}", REFERENCE),
    )


# --------------------------------------------------------------------------- Monte Carlo
def return_model(
    model: ModelName | str,
    underlying_ids: Sequence[str],
    *,
    vol_annual: float | None = None,
    drift_annual: float | None = None,
    history: Sequence[Path] | None = None,
    start: str = "long_run",
    block_days: int = 20,
    state: MarketState | None = None,
) -> tuple[ReturnModel, tuple[str, ...], tuple[VolChoice, ...], tuple[str, ...]]:
    """A return model of one or more underlyings, and notes on what it was built from.

    ``constant`` without ``vol_annual`` takes each underlying's :func:`sideways_vol` (the
    one rule, needs ``state``); ``garch`` the embedded GJR-GARCH-t fits; ``bootstrap``
    real history (``history`` files, or ``GAEMI_SHARED_DATA``).

    Returns
    -------
    ReturnModel, notes, vol choices (constant model only), warnings
    """
    import numpy as np

    from gaemi.core.paths import BlockBootstrap, ConstantVol, GjrGarchT
    from gaemi.data.returns import history_file, joint_returns, shared_data_dir

    if model not in MODELS:
        raise GaemiInputError(f"model = {model!r} must be one of {', '.join(MODELS)}")
    vd = vol_defaults()
    names = tuple(underlying_ids)
    n = len(names)
    corr = vd.corr_matrix(list(names)) if n > 1 else None
    warns: list[str] = []
    if model == "constant":
        if vol_annual is not None:
            choices = tuple(_given_vol(vol_annual) for _ in names)
        else:
            st = resolve_state(state)
            picked = [sideways_vol(st, u) for u in names]
            choices = tuple(c for c, _ in picked)
            warns.extend(w for _, ws in picked for w in ws)
        notes = (
            "constant vol: "
            + ", ".join(f"{u} {c.text()}" for u, c in zip(names, choices, strict=True)),
        )
        model_obj = ConstantVol([c.vol_annual for c in choices], drift_annual or 0.0, names, corr)
        return model_obj, notes, choices, tuple(warns)
    if vol_annual is not None:
        raise GaemiInputError(f"vol sets a constant vol; it cannot be used with model {model}")
    if model == "garch":
        params = tuple(vd.get(u).garch for u in names)
        return GjrGarchT(params, corr, drift_annual=drift_annual, start=start), (), (), ()
    files: dict[str, Path] = {}
    if history:
        if len(history) != n:
            raise GaemiInputError(
                f"history: give one file per underlying ({n}: {', '.join(names)})"
            )
        files = dict(zip(names, [Path(h) for h in history], strict=True))
    else:
        d = shared_data_dir()
        if d is None:
            raise GaemiInputError(
                "bootstrap needs real history: give --history FILE (CSV Date,Close) per "
                "underlying or set GAEMI_SHARED_DATA"
            )
        files = {u: history_file(vd.get(u).proxy, d) for u in names}
    df = joint_returns({k: str(v) for k, v in files.items()})
    note = (
        f"bootstrap history: {len(df)} common days {df.index[0].date()}..{df.index[-1].date()} "
        f"from {', '.join(Path(str(f)).name for f in files.values())}"
    )
    bb = BlockBootstrap(
        np.asarray(df.to_numpy(), dtype=float),
        names,
        block_days,
        drift_annual,
        source=", ".join(Path(str(f)).stem for f in files.values()),
    )
    return bb, (note,), (), ()


@dataclass(frozen=True, kw_only=True)
class DecayResult(Result):
    """A Monte Carlo of one fund's NAV over a horizon next to the Avellaneda–Zhang form.

    Attributes
    ----------
    fund : Fund
    core : gaemi.core.decay.DecayResult
        The engine's result (paths, per-path closed form).
    vol : VolChoice or None
        The constant volatility and why (None for garch and bootstrap).
    seed : object
        The ``rng`` given (an int seed is echoed in the JSON).
    losses : tuple of float
        Loss thresholds whose probabilities the summary reports.
    notes : tuple of str
        What the model was built from (for a human; not warnings).
    """

    fund: Fund
    core: CoreDecayResult
    vol: VolChoice | None
    seed: Any
    losses: tuple[float, ...]
    notes: tuple[str, ...] = ()
    kind: str = field(default="decay", init=False, repr=False)

    @property
    def hypothetical(self) -> bool:
        """True for a fund given by its leverage alone (no AUM)."""
        return self.fund.underlying_id is None

    @property
    def n_days(self) -> int:
        return int(self.core.n_days)

    def summary_dict(self) -> dict[str, Any]:
        """Headline numbers (unit-bearing keys), as ``gaemi decay --view summary``."""
        return dict(self.core.summary(self.losses))

    def summary(self) -> str:
        """Prose: the model, the sideways erosion, the median and P(lose ≥50%)."""
        s = self.summary_dict()
        vol = (
            self.vol.text()
            if self.vol is not None
            else f"σ = {format_percent(self.core.vol_annual)}"
        )
        return (
            f"model: {self.core.model_label}; {self.core.n_paths:,} paths, seed {self.seed}. "
            f"Sideways erosion (closed form, {vol}): "
            f"{format_percent(s['sideways_closed_form_loss_frac'])}; median change "
            f"{format_frac(s['median_change_frac'], decimals=1)}; P(lose ≥50%) "
            f"{format_percent(s['prob_loss_50pct'])}; "
            f"closed form vs exact, median |gap| per path "
            f"{format_percent(s['closed_form_median_abs_err_frac'], decimals=2)}"
        )

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """``percentiles`` (default): simulated vs closed-form change per percentile (and
        AUM for a fund of the universe); ``summary``: one row of :meth:`summary_dict`."""
        import pandas as pd

        if view == "summary":
            return pd.DataFrame([self.summary_dict()])
        if view not in (None, "percentiles"):
            raise GaemiInputError(f"view = {view!r} must be percentiles or summary")
        df = self.core.to_frame()
        if self.hypothetical:
            df = df.drop(columns=["aum_usd"])
        return df

    def extra_dict(self) -> dict[str, Any]:
        from gaemi.core.decay import DEFAULT_LOSSES

        s = self.summary_dict()
        return {
            "fund": self.fund.to_dict(),
            "model": self.core.model_label,
            "paths": int(self.core.n_paths),
            "days": self.n_days,
            "seed": self.seed if isinstance(self.seed, int) else None,
            "vol_annual": float(self.core.vol_annual),
            "vol": None if self.vol is None else self.vol.to_dict(),
            "sideways_closed_form_loss_frac": float(s["sideways_closed_form_loss_frac"]),
            "median_change_frac": float(s["median_change_frac"]),
            "mean_change_frac": float(s["mean_change_frac"]),
            "prob_loss_frac": {
                f"{x:g}": self.core.prob_loss(x) for x in sorted({*DEFAULT_LOSSES, *self.losses})
            },
            "closed_form_median_abs_err_frac": float(s["closed_form_median_abs_err_frac"]),
            "notes": list(self.notes),
        }


def decay(
    state: MarketState | None = None,
    ticker: str | None = None,
    *,
    months: float | None = None,
    days: int | None = None,
    leverage: float | None = None,
    model: ModelName | str = "constant",
    vol_annual: float | None = None,
    drift_annual: float | None = None,
    rate_annual: float | None = None,
    spread_annual: float | None = None,
    expense_ratio: float | None = None,
    paths: int = 20_000,
    rng: Any = 0,
    history: Sequence[Path] | None = None,
    start: str = "long_run",
    block_days: int = 20,
    losses: Sequence[float] = (),
    leverage_must_match: bool = False,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DecayResult:
    """Monte Carlo of a daily-reset fund's NAV over a horizon, next to the closed form.

    Each path compounds the fund exactly day by day, r_f = L·r + c·dt, and is compared with
    the Avellaneda–Zhang value F_T/F_0 = (S_T/S_0)^L·exp(−(L²−L)/2·∫σ²dt + c·T) on the
    same path.

    Parameters
    ----------
    state : MarketState or None
        The market (the fund's AUM and expense ratio; the sideways volatility).
    ticker : str, optional
        A fund of the universe; else ``leverage`` (and ``vol_annual``) for a hypothetical one.
    months, days : float, int, optional
        Horizon: months of 21 trading days, or trading days (default 6 months).
    model : {"constant", "garch", "bootstrap"}
        Return model of the underlying. ``constant`` without ``vol_annual`` prices at the
        sideways-decay volatility (:func:`sideways_vol`).
    vol_annual, drift_annual, rate_annual, spread_annual, expense_ratio : float, optional
        Decimal per year (0.45 = 45 %); rate and spread default to ``vol_params.yaml``;
        drift defaults to 0 (bootstrap: the history's own drift).
    paths : int
        Monte Carlo paths.
    rng : int, SeedSequence or Generator
        Same seed, same numbers (whatever ``workers``).
    losses : sequence of float
        Extra loss thresholds (fractions in (0, 1]) whose probabilities are reported.

    References
    ----------
    Avellaneda & Zhang (2010), SIAM J. Financial Math. 1, eq. 10.
    """
    from gaemi.core.decay import DEFAULT_LOSSES, simulate_fund

    st = resolve_state(state)
    if model not in MODELS:
        raise GaemiInputError(f"model = {model!r} must be one of {', '.join(MODELS)}")
    if paths < 1:
        raise GaemiInputError(f"paths = {paths} must be >= 1")
    check_paths_memory(paths, DECAY_BYTES_PER_PATH)
    check_seed(rng)
    for x in losses:
        if not 0.0 < x <= 1.0:
            raise GaemiInputError(f"loss = {x:g} must be between 0% and 100%")
    n_days = horizon_days(months, days)
    if vol_annual is not None and model != "constant":
        raise GaemiInputError(f"vol sets a constant vol; it cannot be used with model {model}")
    f = fund(
        st,
        ticker,
        leverage=leverage,
        expense_ratio=expense_ratio,
        spread_annual=spread_annual,
        rate_annual=rate_annual,
        leverage_must_match=leverage_must_match,
    )
    if f.underlying_id is None and vol_annual is None:
        if model == "constant":
            raise GaemiInputError(
                "a hypothetical fund (leverage without ticker) needs vol_annual (--vol)"
            )
        raise GaemiInputError(
            f"model = {model!r} needs a ticker (fitted parameters per underlying)"
        )
    ret_model, notes, choices, vol_warns = return_model(
        model,
        [f.underlying_id or "underlying"],
        vol_annual=vol_annual,
        drift_annual=drift_annual if (drift_annual is not None or model == "bootstrap") else 0.0,
        history=history,
        start=start,
        block_days=block_days,
        state=st,
    )
    vol = choices[0] if choices else None
    res = simulate_fund(
        f.terms,
        ret_model,
        n_days,
        paths,
        rng,
        rate_annual=f.rate_annual,
        aum0_usd=f.aum_usd if f.aum_usd is not None else 1.0,
        workers=workers,
        progress=progress,
    )
    return DecayResult(
        fund=f,
        core=res,
        vol=vol,
        seed=rng,
        losses=tuple(sorted({*DEFAULT_LOSSES, *losses})),
        notes=notes,
        warnings=(*state_warnings(st), *vol_warns, *rate_warnings(st, f.rate_source)),
        choices=()
        if vol is None or vol.source == "given"
        else (vol.choice(f.underlying_id or ""),),
        sources=(*state_sources(st), f"rate: {f.rate_source}", REFERENCE),
    )


__all__ = [
    "EROSION_MONTHS",
    "EROSION_VOLS",
    "MODELS",
    "SIDEWAYS_VOL_RULE",
    "DecayResult",
    "ErosionResult",
    "Fund",
    "SidewaysDecayResult",
    "VolChoice",
    "check_leverage",
    "check_paths_memory",
    "check_seed",
    "decay",
    "erosion",
    "fund",
    "horizon_days",
    "resolve_state",
    "return_model",
    "sideways_decay",
    "sideways_vol",
]
