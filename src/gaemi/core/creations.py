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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from gaemi.core.history import Regression, newey_west_cov, ols_hac
from gaemi.core.universe import FloatArray
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
    """The fund's whole close trade L(L−1)·A_{t−1}·r_t + L·C_t, USD (+ buys)."""
    lev = np.asarray(leverage, dtype=np.float64)
    return np.asarray(
        lev * (lev - 1.0) * np.asarray(aum_prev_usd, dtype=np.float64) * np.asarray(move_frac)
        + lev * np.asarray(creations_usd, dtype=np.float64),
        dtype=np.float64,
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
