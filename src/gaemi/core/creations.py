"""Creations and redemptions of leveraged funds, measured: pure numerics over NumPy arrays.

A fund's net creations on day t are the change in its shares outstanding valued at the
day's NAV, ``C_t = (S_t − S_{t−1})·NAV_t`` (USD; > 0 money in). A fund of leverage L
that receives C_t must add L·C_t of exposure at the close, on top of its rebalancing
trade L(L−1)·A_{t−1}·r_t, so its whole close trade in the underlying is

    ΔE_t = L(L−1)·A_{t−1}·r_t + L·C_t.

:func:`creation_regression` regresses the creations as a fraction of the start-of-day
assets, C_t / A_{t−1}, on the same day's and the previous days' index moves (OLS,
Newey–West errors and a moving-block bootstrap, :func:`gaemi.core.history.ols_hac`).
A negative same-day coefficient on a long fund is dip-buying: money comes in when the
index falls, and L·C_t then offsets part of the selling the rebalancing requires.
:func:`offset_frac` says how much, day by day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gaemi.core.flows import FlowResult, compute_flows, rebalance_flow_usd
from gaemi.core.history import Regression, newey_west_cov, ols_hac
from gaemi.core.universe import FloatArray, Universe
from gaemi.errors import GaemiInputError


def shares_from_aum(aum_usd: ArrayLike, nav: ArrayLike) -> FloatArray:
    """Shares outstanding implied by net assets and NAV, S = A / NAV (NaN where NAV ≤ 0).

    Issuers restate share counts for splits (and round small counts), so A / NAV is the
    share count on one consistent basis: the NAV's.
    """
    a = np.asarray(aum_usd, dtype=np.float64)
    p = np.asarray(nav, dtype=np.float64)
    out = np.full(np.broadcast(a, p).shape, np.nan)
    ok = np.isfinite(a) & np.isfinite(p) & (p > 0)
    np.divide(a, p, out=out, where=ok)
    return out


def net_creations_usd(shares: ArrayLike, nav: ArrayLike) -> FloatArray:
    """Daily net creations C_t = (S_t − S_{t−1})·NAV_t, USD (days on the last axis).

    The first day is NaN (no previous share count); so is any day next to a NaN.
    """
    s = np.asarray(shares, dtype=np.float64)
    p = np.asarray(nav, dtype=np.float64)
    if s.shape != p.shape:
        raise GaemiInputError(f"shares {s.shape} and nav {p.shape} differ in shape")
    out = np.full(s.shape, np.nan)
    out[..., 1:] = (s[..., 1:] - s[..., :-1]) * p[..., 1:]
    return out


def creations_frac(creations_usd: ArrayLike, aum_usd: ArrayLike) -> FloatArray:
    """C_t / A_{t−1}: creations as a fraction of the previous close's assets (NaN day 0)."""
    c = np.asarray(creations_usd, dtype=np.float64)
    a = np.asarray(aum_usd, dtype=np.float64)
    if c.shape != a.shape:
        raise GaemiInputError(f"creations {c.shape} and aum {a.shape} differ in shape")
    out = np.full(c.shape, np.nan)
    prev = a[..., :-1]
    ok = np.isfinite(prev) & (prev > 0)
    np.divide(c[..., 1:], prev, out=out[..., 1:], where=ok)
    return out


def lagged(move_frac: ArrayLike, lag: int) -> FloatArray:
    """The move ``lag`` days earlier on the same row (NaN for the first ``lag`` days)."""
    r = np.asarray(move_frac, dtype=np.float64)
    if lag < 0:
        raise GaemiInputError(f"lag = {lag} must be >= 0")
    if lag == 0:
        return r.copy()
    out = np.full(r.shape, np.nan)
    out[..., lag:] = r[..., :-lag]
    return out


@dataclass(frozen=True)
class CreationFit:
    """C_t / A_{t−1} on the index moves of days t, t−1, …, t−k (frozen).

    ``regression`` holds the coefficients (per unit move: −0.36 means a −1 % day brings
    +0.36 % of the fund's assets in) with Newey–West and bootstrap intervals;
    ``cumulative`` is the sum of the move coefficients (the response over k + 1 days),
    ``cumulative_ci`` its Newey–West 95 % interval.
    """

    regression: Regression
    lags: tuple[int, ...]
    cumulative: float
    cumulative_ci: tuple[float, float]


def creation_regression(
    creations_frac_: ArrayLike,
    move_frac: ArrayLike,
    lags: Sequence[int] = (0, 1, 2, 3),
    *,
    n_boot: int = 499,
    seed: int = 20151,
) -> CreationFit:
    """OLS of C_t / A_{t−1} on the index moves r_{t−l} for each l in ``lags``.

    Rows with any NaN are dropped. Errors: Newey–West (default lags) and a 10-day
    moving-block bootstrap (``n_boot`` draws, ``seed``) — :func:`ols_hac`.
    """
    y = np.asarray(creations_frac_, dtype=np.float64).reshape(-1)
    r = np.asarray(move_frac, dtype=np.float64).reshape(-1)
    if y.shape != r.shape:
        raise GaemiInputError("creations and moves differ in length")
    if not lags or min(lags) < 0:
        raise GaemiInputError(f"lags = {tuple(lags)} must be non-empty and >= 0")
    regs = {f"move_lag{lag}": lagged(r, lag) for lag in lags}
    reg = ols_hac(y, regs, n_boot=n_boot, rng=seed)
    # cumulative response: sum of the slope coefficients, its variance from the HAC matrix
    cols = [np.ones_like(y), *regs.values()]
    x = np.column_stack(cols)
    ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
    xs, ys = x[ok], y[ok]
    beta = np.asarray(reg.coef)
    cov = newey_west_cov(xs, ys - xs @ beta, reg.lags)
    w = np.r_[0.0, np.ones(len(lags))]
    cum = float(w @ beta)
    se = float(np.sqrt(max(w @ cov @ w, 0.0)))
    return CreationFit(reg, tuple(int(v) for v in lags), cum, (cum - 1.96 * se, cum + 1.96 * se))


def close_trade_usd(
    leverage: ArrayLike, aum_prev_usd: ArrayLike, move_frac: ArrayLike, creations_usd: ArrayLike
) -> FloatArray:
    """The fund's whole close trade L(L−1)·A_{t−1}·r_t + L·C_t, USD (+ buys); the unwind
    −L·A_{t−1}·(1+r_t) where the move wipes the fund out (1 + L·r <= 0,
    :func:`gaemi.core.flows.rebalance_flow_usd`)."""
    return np.asarray(
        rebalance_flow_usd(leverage, aum_prev_usd, move_frac, creations_usd), dtype=np.float64
    )


def offset_frac(rebalance_usd: ArrayLike, creation_trade_usd: ArrayLike) -> FloatArray:
    """How much of the rebalancing trade the creations undo: −(L·C) / ΔE_rebalance.

    1 means the creations cancel the rebalancing trade, 0 no effect, < 0 they add to it
    (same sign). NaN where the rebalancing trade is 0.
    """
    reb = np.asarray(rebalance_usd, dtype=np.float64)
    cre = np.asarray(creation_trade_usd, dtype=np.float64)
    out = np.full(np.broadcast(reb, cre).shape, np.nan)
    np.divide(-cre, reb, out=out, where=np.isfinite(reb) & (reb != 0))
    return out


# ----------------------------------------------------------------------- fund classes
#: Fund classes of the measured creation coefficient, by signed leverage L: long 3x
#: (L >= 2.5), long 2x (1 < L < 2.5), inverse 3x (L <= −2.5), inverse 1–2x (−2.5 < L < 0).
#: Each is fitted on the issuer funds of that leverage (TQQQ+UPRO, QLD+SSO, SQQQ+SPXU,
#: QID+SDS); a fund of another leverage takes the class of its sign and size.
FUND_CLASSES: tuple[str, ...] = ("long_3x", "long_2x", "inverse_3x", "inverse_2x")


def fund_class(leverage: ArrayLike) -> np.ndarray:
    """The creation class of each signed leverage ('' for 0 ≤ L ≤ 1: no class).

    >>> fund_class([3, 2, 1.5, -3, -1, 1]).tolist()
    ['long_3x', 'long_2x', 'long_2x', 'inverse_3x', 'inverse_2x', '']
    """
    lev = np.asarray(leverage, dtype=np.float64)
    out = np.full(lev.shape, "", dtype="<U10")
    out[lev >= 2.5] = "long_3x"
    out[(lev > 1.0) & (lev < 2.5)] = "long_2x"
    out[lev <= -2.5] = "inverse_3x"
    out[(lev < 0.0) & (lev > -2.5)] = "inverse_2x"
    return out


def class_creations_beta(leverage: ArrayLike, beta_by_class: Mapping[str, float]) -> FloatArray:
    """Per fund, the creation coefficient β of its class (0 where the class has none).

    β is the fraction of the fund's start-of-day assets created per unit move of the
    underlying the same day: C_t = β·A_{t−1}·r_t.
    """
    cls = fund_class(leverage)
    out = np.zeros(cls.shape)
    for name, beta in beta_by_class.items():
        if not np.isfinite(beta):
            raise GaemiInputError(f"creations beta of {name} = {beta!r} must be finite")
        out[cls == name] = float(beta)
    return out


def close_flow_multiplier(leverage: ArrayLike, creations_beta: ArrayLike = 0.0) -> FloatArray:
    """L(L−1) + L·β: close trade per dollar of AUM per unit move, creations included.

    With C = β·A·r the whole close trade ΔE = L(L−1)·A·r + L·C is A·r·(L(L−1) + L·β).
    3x with β = −0.36 → 6 − 1.08 = 4.92.
    """
    lev = np.asarray(leverage, dtype=np.float64)
    return np.asarray(
        lev * (lev - 1.0) + lev * np.asarray(creations_beta, dtype=np.float64), dtype=np.float64
    )


@dataclass(frozen=True)
class ClassBeta:
    """A fund class's creation coefficient fitted on a training window (frozen).

    ``beta`` is the same-day slope of Σ C_t / Σ A_{t−1} on the AUM-weighted move of the
    class's funds (fraction of assets per unit move), ``ci`` its Newey–West 95 % interval,
    ``intercept`` the mean daily creations unrelated to the move (not used by the flows:
    it is the class's drift, not a response to a shock).
    """

    beta: float
    ci: tuple[float, float]
    intercept: float
    n_obs: int
    r2: float


def fit_class_beta(
    creations_usd: ArrayLike, aum_prev_usd: ArrayLike, move_frac: ArrayLike
) -> ClassBeta:
    """β of one class from its funds' daily panel (funds × days, aligned, NaN = absent).

    Aggregates the class each day — y_t = Σ_i C_i,t / Σ_i A_i,t−1 and the AUM-weighted
    move x_t = Σ_i A_i,t−1·r_i,t / Σ_i A_i,t−1 over the funds present — then fits
    y_t = a + β·x_t by OLS with Newey–West errors (:func:`ols_hac`). So L·β·Σ A·r is the
    class's expected creation trade on a day whose moves are r.
    """
    y, x = _class_day_series(creations_usd, aum_prev_usd, move_frac)
    reg = ols_hac(y, {"move_lag0": x}, n_boot=199, rng=20151)
    return ClassBeta(
        beta=float(reg.coef[1]),
        ci=reg.ci_nw(1),
        intercept=float(reg.coef[0]),
        n_obs=reg.n_obs,
        r2=float(reg.r2),
    )


# ------------------------------------------------------------ direction-dependent β
@dataclass(frozen=True)
class DirectionalClassBeta:
    """A fund class's creation coefficient on falls and on rises, one fit (frozen).

    ``y_t = a + β_down·min(x_t, 0) + β_up·max(x_t, 0)`` with y_t, x_t the class's daily
    Σ C / Σ A_{t−1} and AUM-weighted move (as :func:`fit_class_beta`): the creations of a
    day whose move is r are β_down·A·r when r < 0 and β_up·A·r when r ≥ 0. ``ci_down``
    and ``ci_up`` are Newey–West 95 % intervals; ``n_down`` / ``n_up`` the days of each
    sign in the fit.
    """

    beta_down: float
    ci_down: tuple[float, float]
    beta_up: float
    ci_up: tuple[float, float]
    intercept: float
    n_obs: int
    n_down: int
    n_up: int
    r2: float


def _class_day_series(
    creations_usd: ArrayLike, aum_prev_usd: ArrayLike, move_frac: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Per day, y = Σ C / Σ A_{t−1} and the AUM-weighted move x over the funds present."""
    c = np.atleast_2d(np.asarray(creations_usd, dtype=np.float64))
    a = np.atleast_2d(np.asarray(aum_prev_usd, dtype=np.float64))
    r = np.atleast_2d(np.asarray(move_frac, dtype=np.float64))
    if not (c.shape == a.shape == r.shape):
        raise GaemiInputError(f"creations {c.shape}, aum {a.shape}, moves {r.shape} differ")
    ok = np.isfinite(c) & np.isfinite(a) & np.isfinite(r) & (a > 0)
    a_sum = np.where(ok, a, 0.0).sum(axis=0)
    has = a_sum > 0
    y = np.full(a_sum.shape, np.nan)
    x = np.full(a_sum.shape, np.nan)
    y[has] = np.where(ok, c, 0.0).sum(axis=0)[has] / a_sum[has]
    x[has] = np.where(ok, a * r, 0.0).sum(axis=0)[has] / a_sum[has]
    return y, x


def fit_class_beta_by_direction(
    creations_usd: ArrayLike, aum_prev_usd: ArrayLike, move_frac: ArrayLike
) -> DirectionalClassBeta:
    """β_down and β_up of one class from its funds' daily panel (funds × days, NaN = absent).

    The class is aggregated each day as in :func:`fit_class_beta`; then
    y_t = a + β_down·min(x_t, 0) + β_up·max(x_t, 0) by OLS with Newey–West errors
    (:func:`ols_hac`): one intercept, one slope per sign of the day's move.
    """
    y, x = _class_day_series(creations_usd, aum_prev_usd, move_frac)
    down = np.where(np.isfinite(x), np.minimum(x, 0.0), np.nan)
    up = np.where(np.isfinite(x), np.maximum(x, 0.0), np.nan)
    reg = ols_hac(y, {"move_down": down, "move_up": up}, n_boot=199, rng=20151)
    used = np.isfinite(y) & np.isfinite(x)
    return DirectionalClassBeta(
        beta_down=float(reg.coef[1]),
        ci_down=reg.ci_nw(1),
        beta_up=float(reg.coef[2]),
        ci_up=reg.ci_nw(2),
        intercept=float(reg.coef[0]),
        n_obs=reg.n_obs,
        n_down=int(np.sum(used & (x < 0))),
        n_up=int(np.sum(used & (x >= 0))),
        r2=float(reg.r2),
    )


def directional_beta(beta_down: ArrayLike, beta_up: ArrayLike, move_frac: ArrayLike) -> FloatArray:
    """β of each fund at its move: ``beta_down`` where r < 0, ``beta_up`` where r ≥ 0.

    Broadcasts (funds × moves with ``beta_*[:, None]``). NaN moves take ``beta_up`` (their
    flow is NaN either way).

    >>> directional_beta(-0.6, -0.1, [-0.02, 0.0, 0.03]).tolist()
    [-0.6, -0.1, -0.1]
    """
    r = np.asarray(move_frac, dtype=np.float64)
    return np.asarray(
        np.where(r < 0, np.asarray(beta_down, float), np.asarray(beta_up, float)),
        dtype=np.float64,
    )


@dataclass(frozen=True, eq=False)
class SignedBetaFlowResult(FlowResult):
    """A :class:`gaemi.core.flows.FlowResult` whose β differs by move (frozen).

    ``beta_by_move`` (funds × moves) is each fund's β at each move: β_down on a fall,
    β_up on a rise. ``creations_beta`` is β_up (:meth:`sensitivity_usd_per_pct`, one
    value per fund, is the slope of a rise); the per-1 % column of the frames
    (:meth:`sensitivity_by_move_usd_per_pct`) takes each row's own side: a fall's row
    (L(L−1) + L·β_down)·A·0.01, a rise's (L(L−1) + L·β_up)·A·0.01.
    """

    beta_by_move: FloatArray | None = None

    def sensitivity_by_move_usd_per_pct(self) -> FloatArray:
        """Per fund and move, (L(L−1) + L·β(r))·A·0.01, USD: the slope of the flow on the
        move's own side (β_down on a fall, β_up on a rise), per 1 %."""
        if self.beta_by_move is None:
            return super().sensitivity_by_move_usd_per_pct()
        mult = close_flow_multiplier(self.universe.leverage[:, None], self.beta_by_move)
        out: FloatArray = mult * self.universe.aum_usd[:, None] * 0.01
        return out

    def total_creations_usd(self) -> FloatArray:
        """Net creations per fund and move, USD: the given C plus β(r)·A·r."""
        if self.beta_by_move is None:
            return super().total_creations_usd()
        out: FloatArray = (
            self.creations_usd[:, None]
            + self.beta_by_move * self.universe.aum_usd[:, None] * self.move_frac
        )
        return self._no_creations_when_wiped(out)


def signed_grid_flows(
    universe: Universe,
    moves: ArrayLike,
    creations_usd: Mapping[str, float] | ArrayLike | None = None,
    *,
    beta_down: ArrayLike,
    beta_up: ArrayLike,
) -> SignedBetaFlowResult:
    """:func:`gaemi.core.flows.compute_flows` with β_down on the grid's falls and β_up on
    its rises (and 0): each sign computed by the engine, joined move by move in grid order.

    ``beta_down`` / ``beta_up``: per fund (n_funds,) or one value.
    """
    r = np.asarray(moves, dtype=np.float64).ravel()
    n = len(universe)
    bd = np.broadcast_to(np.asarray(beta_down, dtype=np.float64), (n,))
    bu = np.broadcast_to(np.asarray(beta_up, dtype=np.float64), (n,))
    fall = r < 0
    parts = {
        True: compute_flows(universe, r[fall], creations_usd, creations_beta=bd)
        if fall.any()
        else None,
        False: compute_flows(universe, r[~fall], creations_usd, creations_beta=bu)
        if (~fall).any()
        else None,
    }
    flow = np.empty((n, r.size))
    move = np.empty((n, r.size))
    beta = np.empty((n, r.size))
    c = np.zeros(n)
    for is_fall, res in parts.items():
        if res is None:
            continue
        cols = fall if is_fall else ~fall
        flow[:, cols], move[:, cols] = res.flow_usd, res.move_frac
        beta[:, cols] = (bd if is_fall else bu)[:, None]
        c = res.creations_usd
    return SignedBetaFlowResult(
        universe, move, c, flow, r, bu.astype(np.float64), beta_by_move=beta
    )
