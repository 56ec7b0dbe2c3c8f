"""Net asset value of a daily-reset leveraged or inverse fund, compounded exactly day by day.

The fund holds exposure L·A to the underlying, pays its expense ratio and finances the
part of the exposure it does not hold in cash; this module turns underlying returns into
fund returns and NAV paths, vectorised over any leading axes (paths, scenarios).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gaemi.errors import GaemiInputError

FloatArray = NDArray[np.float64]

#: Trading days per year used to turn annual rates into daily ones (act/252).
TRADING_DAYS = 252


@dataclass(frozen=True)
class FundTerms:
    """What a daily-reset fund promises and what it costs.

    Parameters
    ----------
    leverage : float
        Signed daily leverage L (3, 2, -1, -3 …); 0 and 1 are refused.
    expense_ratio : float
        Annual expense ratio, decimal (0.0075 = 0.75 %).
    spread_annual : float
        Financing spread over the short rate, decimal per year, charged on the financed
        notional: (L−1)·A for L > 1 (borrowed), |L|·A for L < 0 (the short leg's
        swap/borrow spread). 0 for 0 < L < 1.
    ticker : str
        Label only.

    Notes
    -----
    One day of length ``dt`` (years) with underlying return r and short rate ρ gives the
    fund return

    .. math:: r_f = L·r + [(1−L)·ρ − n(L)·s − e]·dt,\\quad
              n(L) = \\max(L−1, 0) + \\max(−L, 0)

    For L > 1 the carry is −(L−1)(ρ+s) − e: the fund borrows (L−1)·A. For L < 0 it is
    (1+|L|)·ρ − |L|·s − e: the fund's cash and the proceeds of its short earn the rate
    (swap accounting, as in Avellaneda & Zhang 2010, eq. 2).
    """

    leverage: float
    expense_ratio: float = 0.0
    spread_annual: float = 0.0
    ticker: str = "fund"

    def __post_init__(self) -> None:
        lev = float(self.leverage)
        if not np.isfinite(lev) or lev in (0.0, 1.0):
            raise GaemiInputError(
                f"{self.ticker}: leverage = {self.leverage!r} must be a finite number "
                "other than 0 and 1"
            )
        if not (np.isfinite(self.expense_ratio) and 0.0 <= self.expense_ratio < 0.2):
            raise GaemiInputError(
                f"{self.ticker}: expense_ratio = {self.expense_ratio!r} must be a decimal "
                "in [0, 0.2)"
            )
        if not (np.isfinite(self.spread_annual) and -0.05 < self.spread_annual < 0.2):
            raise GaemiInputError(
                f"{self.ticker}: spread_annual = {self.spread_annual!r} must be a decimal "
                "in (-0.05, 0.2)"
            )

    @property
    def financed_notional(self) -> float:
        """n(L): notional per unit of NAV that pays the spread (L−1 long, |L| short)."""
        lev = float(self.leverage)
        return max(lev - 1.0, 0.0) + max(-lev, 0.0)

    def carry_annual(self, rate_annual: ArrayLike) -> FloatArray:
        """Annual carry (1−L)·ρ − n(L)·s − e of the fund at short rate ρ, decimal."""
        rho = np.asarray(rate_annual, dtype=np.float64)
        return np.asarray(
            (1.0 - self.leverage) * rho
            - self.financed_notional * self.spread_annual
            - self.expense_ratio,
            dtype=np.float64,
        )


def fund_returns(
    underlying_returns: ArrayLike,
    terms: FundTerms,
    rate_annual: ArrayLike = 0.0,
    dt_years: ArrayLike = 1.0 / TRADING_DAYS,
    fee_dt_years: ArrayLike | None = None,
) -> FloatArray:
    """Daily fund returns from underlying simple returns (any shape, days on the last axis).

    ``rate_annual`` and ``dt_years`` broadcast against the returns (a scalar, or one value
    per day). ``fee_dt_years``, if given, is the accrual period of the expense ratio
    (e.g. calendar days/365) while rate and spread accrue over ``dt_years`` (e.g.
    calendar days/360, the money-market convention). A day that would take the fund below
    zero is floored at −100 %: a fund cannot owe money, it is wiped out.

    Returns
    -------
    numpy.ndarray
        r_f = L·r + carry·dt, floored at −1 (see :class:`FundTerms`).
    """
    r = np.asarray(underlying_returns, dtype=np.float64)
    dt = np.asarray(dt_years, dtype=np.float64)
    if fee_dt_years is None:
        carry = terms.carry_annual(rate_annual) * dt
    else:  # financing on one day count (act/360), the fee on another (act/365)
        fin = terms.carry_annual(rate_annual) + terms.expense_ratio
        carry = fin * dt - terms.expense_ratio * np.asarray(fee_dt_years, dtype=np.float64)
    out = terms.leverage * r + carry
    return np.maximum(out, -1.0)


def nav_path(
    underlying_returns: ArrayLike,
    terms: FundTerms,
    rate_annual: ArrayLike = 0.0,
    dt_years: ArrayLike = 1.0 / TRADING_DAYS,
    nav0: float = 1.0,
) -> FloatArray:
    """NAV after each day, starting at ``nav0``: shape of the returns with one more day.

    The first entry on the last axis is ``nav0``; entry t is nav0·Π_{s<t}(1 + r_f,s).
    Once the fund is wiped out it stays at zero.
    """
    rf = fund_returns(underlying_returns, terms, rate_annual, dt_years)
    growth = np.cumprod(1.0 + rf, axis=-1)
    first = np.ones((*growth.shape[:-1], 1))
    return nav0 * np.concatenate([first, growth], axis=-1)


def terminal_nav(
    underlying_returns: ArrayLike,
    terms: FundTerms,
    rate_annual: ArrayLike = 0.0,
    dt_years: ArrayLike = 1.0 / TRADING_DAYS,
    nav0: float = 1.0,
) -> FloatArray:
    """NAV at the end of the last day (the product of daily growth factors)."""
    rf = fund_returns(underlying_returns, terms, rate_annual, dt_years)
    return np.asarray(nav0 * np.prod(1.0 + rf, axis=-1), dtype=np.float64)


def nav_path_reference(
    underlying_returns: ArrayLike,
    terms: FundTerms,
    rate_annual: float = 0.0,
    dt_years: float = 1.0 / TRADING_DAYS,
    nav0: float = 1.0,
) -> list[float]:
    """Plain-Python, obviously-correct day loop over one path (the reference for tests)."""
    nav = float(nav0)
    out = [nav]
    lev = float(terms.leverage)
    for r in np.asarray(underlying_returns, dtype=np.float64).ravel().tolist():
        exposure = lev * nav  # the fund holds L·A of the underlying at the start of the day
        pnl = exposure * r
        cash = nav - exposure  # negative for L > 1 (borrowed), > nav for L < 0 (short)
        borrowed = max(-cash, 0.0)
        short = max(-exposure, 0.0)
        interest = cash * rate_annual * dt_years
        spread = (borrowed + short) * terms.spread_annual * dt_years
        fee = nav * terms.expense_ratio * dt_years
        nav = max(nav + pnl + interest - spread - fee, 0.0)
        out.append(nav)
    return out


def discount_to_money_market_yield(discount_annual: ArrayLike, days: int = 91) -> FloatArray:
    """A T-bill discount yield d (e.g. ^IRX/100) as a money-market (act/360) yield.

    A bill bought at 1 − d·days/360 pays 1, so the act/360 simple yield is
    360·d / (360 − d·days). ^IRX quotes the 13-week (91-day) discount rate.
    """
    d = np.asarray(discount_annual, dtype=np.float64)
    return np.asarray(360.0 * d / (360.0 - d * days), dtype=np.float64)


def scheduled_fund_returns(
    underlying_returns: ArrayLike,
    leverage: ArrayLike,
    expense_ratio: float = 0.0,
    spread_annual: float = 0.0,
    rate_annual: ArrayLike = 0.0,
    dt_years: ArrayLike = 1.0 / TRADING_DAYS,
    fee_dt_years: ArrayLike | None = None,
    *,
    turnover_cost: float = 0.0,
) -> FloatArray:
    """Daily fund returns with a leverage that may change from day to day.

    The same day as :func:`fund_returns` (carry (1−L)·ρ − n(L)·s − e), with ``leverage``
    one value per day (or a scalar): a fund that changed its objective (UVXY 2x → 1.5x on
    2018-02-28, TSLL and NVDL 1.5x → 2x, FACTS.md §(j)) resets on each day's leverage.
    ``fee_dt_years`` as in :func:`fund_returns`. ``turnover_cost``: the cost of the
    day's rebalancing trade, a fraction of its notional |L(L−1)·r|·NAV (0: none), paid
    the same day. Floored at −100 %.
    """
    r = np.asarray(underlying_returns, dtype=np.float64)
    lev = np.broadcast_to(np.asarray(leverage, dtype=np.float64), r.shape)
    if not np.isfinite(lev).all():
        raise GaemiInputError("leverage: every day needs a finite leverage")
    rho = np.asarray(rate_annual, dtype=np.float64)
    dt = np.asarray(dt_years, dtype=np.float64)
    fin = np.maximum(lev - 1.0, 0.0) + np.maximum(-lev, 0.0)
    carry_fin = ((1.0 - lev) * rho - fin * spread_annual) * dt
    fee_dt = dt if fee_dt_years is None else np.asarray(fee_dt_years, dtype=np.float64)
    out = lev * r + carry_fin - expense_ratio * fee_dt
    if turnover_cost:
        out = out - turnover_cost * np.abs(lev * (lev - 1.0) * r)
    return np.asarray(np.maximum(out, -1.0), dtype=np.float64)


def leverage_schedule(
    dates: ArrayLike, changes: Sequence[tuple[str, float]], default: float
) -> FloatArray:
    """Each day's leverage from dated changes ``[(first_day_iso, leverage), …]``.

    Days before the first change take ``default`` (the launch leverage); a change applies
    from its first day on (e.g. ``[("2024-04-02", 2.0)]`` with default 1.5 for TSLL).
    """
    d = np.asarray(dates).astype("datetime64[D]")
    out = np.full(d.shape, float(default))
    for first, lev in sorted(changes):
        out[d >= np.datetime64(first, "D")] = float(lev)
    return out


def fit_spread(
    underlying_returns: ArrayLike,
    actual_growth: float,
    leverage: ArrayLike,
    expense_ratio: float,
    rate_annual: ArrayLike = 0.0,
    dt_years: ArrayLike = 1.0 / TRADING_DAYS,
    fee_dt_years: ArrayLike | None = None,
    bounds: tuple[float, float] = (-0.049, 0.19),
    *,
    parameter: str = "spread",
) -> float:
    """The financing spread s that makes the model's growth equal ``actual_growth``.

    Bisection on ln(model growth) − ln(actual growth), which falls monotonically in s
    (each unit of financed notional pays s). Raises if no s in ``bounds`` matches (e.g.
    an unlevered schedule, which pays no spread). ``parameter="turnover"`` fits the
    rebalancing cost of :func:`scheduled_fund_returns` instead (spread 0), with the same
    bisection (it too lowers growth monotonically).
    """
    if parameter not in ("spread", "turnover"):
        raise GaemiInputError(f"parameter = {parameter!r} must be 'spread' or 'turnover'")
    if not (np.isfinite(actual_growth) and actual_growth > 0):
        raise GaemiInputError(f"actual_growth = {actual_growth!r} must be > 0")
    target = float(np.log(actual_growth))

    def gap(s: float) -> float:
        sp, tc = (s, 0.0) if parameter == "spread" else (0.0, s)
        rf = scheduled_fund_returns(
            underlying_returns,
            leverage,
            expense_ratio,
            sp,
            rate_annual,
            dt_years,
            fee_dt_years,
            turnover_cost=tc,
        )
        return float(np.sum(np.log1p(np.maximum(rf, -1.0 + 1e-12)))) - target

    lo, hi = bounds
    g_lo, g_hi = gap(lo), gap(hi)
    if not (g_lo >= 0 >= g_hi):
        raise GaemiInputError(
            f"no financing spread in [{lo:.3f}, {hi:.3f}] matches the growth {actual_growth:.4g}"
        )
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if gap(mid) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
