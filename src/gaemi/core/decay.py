"""Volatility decay of daily-reset funds: the Avellaneda–Zhang closed form, sideways-market
erosion, and a chunked Monte Carlo of fund NAV/AUM next to the closed form.

A fund with daily leverage L on an underlying S with instantaneous variance σ²_t and a
constant carry c = (1−L)·ρ − n(L)·s − e (see :class:`gaemi.core.nav.FundTerms`) is worth,
in continuous time (Avellaneda & Zhang 2010, "Path-dependence of leveraged ETF returns",
SIAM J. Financial Math. 1, eq. 10):

    F_T / F_0 = (S_T / S_0)^L · exp(−(L² − L)/2 · ∫σ²_t dt + c·T)

With S_T = S_0 (a sideways market) the fund loses 1 − exp(−(L²−L)/2·σ²·T + c·T).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtri

from gaemi.core.chunks import CHUNK_PATHS, Draws, Progress, run_blocks
from gaemi.core.nav import TRADING_DAYS, FundTerms
from gaemi.core.paths import ConstantVol, ReturnModel
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]

#: Percentiles reported by default.
DEFAULT_PROBS: tuple[float, ...] = (0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99)
#: Loss thresholds reported by default (fractions of the starting NAV).
DEFAULT_LOSSES: tuple[float, ...] = (0.10, 0.25, 0.50, 0.75, 0.90)


def volatility_drag_coef(leverage: float) -> float:
    """(L² − L)/2: the multiple of ∫σ²dt a daily-reset fund loses (0 for L = 0 or 1)."""
    return 0.5 * (leverage * leverage - leverage)


def closed_form_value(
    leverage: float,
    underlying_ratio: ArrayLike,
    integrated_var: ArrayLike,
    carry_annual: ArrayLike = 0.0,
    years: ArrayLike = 0.0,
) -> FloatArray:
    """Avellaneda–Zhang value F_T/F_0 = (S_T/S_0)^L · exp(−(L²−L)/2·∫σ²dt + c·T).

    Parameters
    ----------
    leverage : float
        Signed daily leverage L.
    underlying_ratio : array
        S_T / S_0 (> 0).
    integrated_var : array
        ∫σ²_t dt over the horizon (σ²·T for constant vol; Σ (ln(1+r))² from data).
    carry_annual, years : array
        The fund's carry c per year (rate, spread, fees) and the horizon T in years.
    """
    s = np.asarray(underlying_ratio, dtype=np.float64)
    v = np.asarray(integrated_var, dtype=np.float64)
    log_v = (
        leverage * np.log(s)
        - volatility_drag_coef(leverage) * v
        + np.asarray(carry_annual, dtype=np.float64) * np.asarray(years, dtype=np.float64)
    )
    return np.asarray(np.exp(log_v), dtype=np.float64)


def sideways_erosion(
    terms: FundTerms,
    vol_annual: ArrayLike,
    years: ArrayLike,
    rate_annual: ArrayLike = 0.0,
) -> FloatArray:
    """Fraction of value lost when the underlying ends where it started (S_T = S_0).

    1 − exp(−(L²−L)/2·σ²·T + c·T). DESIGN.md section 1: at σ = 45 % a flat half-year
    costs a 3x fund about a quarter (1 − e^{−0.304} = 26.2 % before costs).
    """
    vol = np.asarray(vol_annual, dtype=np.float64)
    t = np.asarray(years, dtype=np.float64)
    if np.any(vol < 0) or np.any(t < 0):
        raise GaemiInputError("vol_annual and years must be >= 0")
    value = closed_form_value(
        terms.leverage, 1.0, vol * vol * t, terms.carry_annual(rate_annual), t
    )
    return np.asarray(1.0 - value, dtype=np.float64)


@dataclass(frozen=True)
class ErosionTable:
    """Sideways-market erosion over a grid of volatilities and horizons."""

    terms: FundTerms
    vol_annual: FloatArray
    months: FloatArray
    rate_annual: float
    loss_frac: FloatArray  # (n_vol, n_months)

    def to_frame(self) -> pd.DataFrame:
        """Long table: ``vol_annual``, ``months``, ``loss_frac``, ``drag_only_loss_frac``."""
        import pandas as pd

        rows = []
        for i, v in enumerate(self.vol_annual):
            for j, m in enumerate(self.months):
                drag = 1.0 - math.exp(-volatility_drag_coef(self.terms.leverage) * v * v * m / 12)
                rows.append(
                    {
                        "ticker": self.terms.ticker,
                        "leverage": self.terms.leverage,
                        "vol_annual": float(v),
                        "months": float(m),
                        "drag_only_loss_frac": drag,
                        "loss_frac": float(self.loss_frac[i, j]),
                    }
                )
        return pd.DataFrame(rows)


def erosion_table(
    terms: FundTerms,
    vols_annual: Sequence[float],
    months: Sequence[float],
    rate_annual: float = 0.0,
) -> ErosionTable:
    """Sideways erosion for every (vol, horizon) pair; see :func:`sideways_erosion`."""
    v = np.asarray(vols_annual, dtype=np.float64)
    m = np.asarray(months, dtype=np.float64)
    loss = sideways_erosion(terms, v[:, None], m[None, :] / 12.0, rate_annual)
    return ErosionTable(terms, v, m, float(rate_annual), loss)


def closed_form_quantiles(
    terms: FundTerms,
    vol_annual: float,
    drift_annual: float,
    years: float,
    probs: Sequence[float],
    rate_annual: float = 0.0,
) -> FloatArray:
    """Quantiles of F_T/F_0 under GBM: ln F_T is normal (Avellaneda–Zhang, constant σ).

    ln F = L·ln(S_T/S_0) − (L²−L)/2·σ²T + cT with ln(S_T/S_0) ~ N((μ−σ²/2)T, σ²T).
    """
    lev = terms.leverage
    mean = (
        lev * (drift_annual - 0.5 * vol_annual**2) * years
        - volatility_drag_coef(lev) * vol_annual**2 * years
        + float(terms.carry_annual(rate_annual)) * years
    )
    sd = abs(lev) * vol_annual * math.sqrt(years)
    z = ndtri(np.asarray(probs, dtype=np.float64))
    return np.asarray(np.exp(mean + sd * z), dtype=np.float64)


@dataclass(frozen=True)
class DecayResult:
    """A Monte Carlo of one fund's NAV over a horizon, next to the closed form.

    Attributes
    ----------
    nav_ratio : array (n_paths,)
        Exact daily-compounded F_T/F_0 on each path.
    underlying_ratio : array (n_paths,)
        S_T/S_0 on each path.
    closed_form_ratio : array (n_paths,)
        Avellaneda–Zhang value on the same path, with its S_T and its realised
        ∫σ²dt = Σ(ln(1+r))² (the per-path closed form; the gap is O(dt)).
    """

    terms: FundTerms
    model_label: str
    n_days: int
    rate_annual: float
    aum0_usd: float
    nav_ratio: FloatArray
    underlying_ratio: FloatArray
    closed_form_ratio: FloatArray
    analytic_quantiles: FloatArray | None  # GBM only: exact quantiles of the closed form
    vol_annual: float  # the model's vol (constant) or the mean realised vol over paths
    probs: tuple[float, ...] = DEFAULT_PROBS

    @property
    def years(self) -> float:
        return self.n_days / TRADING_DAYS

    @property
    def n_paths(self) -> int:
        return int(self.nav_ratio.shape[0])

    def prob_loss(self, loss_frac: float) -> float:
        """P(F_T/F_0 ≤ 1 − loss_frac): the chance of losing at least ``loss_frac``."""
        return float(np.mean(self.nav_ratio <= 1.0 - loss_frac))

    def sideways_loss_frac(self) -> float:
        """Closed-form erosion at this vol, horizon and carry with S_T = S_0."""
        return float(sideways_erosion(self.terms, self.vol_annual, self.years, self.rate_annual))

    def closed_form_abs_error(self) -> FloatArray:
        """|exact − closed form| per path, as a fraction of F_0."""
        return np.asarray(np.abs(self.nav_ratio - self.closed_form_ratio), dtype=np.float64)

    def to_frame(self) -> pd.DataFrame:
        """One row per percentile: simulated vs closed-form fund value and AUM."""
        import pandas as pd

        q_sim = np.quantile(self.nav_ratio, self.probs)
        q_path = np.quantile(self.closed_form_ratio, self.probs)
        q_und = np.quantile(self.underlying_ratio, self.probs)
        cf = self.analytic_quantiles if self.analytic_quantiles is not None else q_path
        if self.terms.leverage < 0:  # fund value falls as the underlying rises
            q_und = q_und[::-1]
        return pd.DataFrame(
            {
                "ticker": self.terms.ticker,
                "prob": np.asarray(self.probs),
                "fund_change_frac": q_sim - 1.0,
                "closed_form_change_frac": cf - 1.0,
                "underlying_move_frac": q_und - 1.0,
                "aum_usd": self.aum0_usd * q_sim,
            }
        )

    def summary(self, losses: Sequence[float] = DEFAULT_LOSSES) -> dict[str, Any]:
        """Headline numbers with unit-bearing keys; ``prob_loss_<X>pct`` for each loss X."""
        err = self.closed_form_abs_error()
        out: dict[str, Any] = {
            "ticker": self.terms.ticker,
            "leverage": self.terms.leverage,
            "model": self.model_label,
            "paths": self.n_paths,
            "days": self.n_days,
            "vol_annual": self.vol_annual,
            "rate_annual": self.rate_annual,
            "carry_annual": float(self.terms.carry_annual(self.rate_annual)),
            "mean_change_frac": float(self.nav_ratio.mean() - 1.0),
            "median_change_frac": float(np.median(self.nav_ratio) - 1.0),
            "sideways_closed_form_loss_frac": self.sideways_loss_frac(),
            "closed_form_median_abs_err_frac": float(np.median(err)),
            "underlying_median_move_frac": float(np.median(self.underlying_ratio) - 1.0),
        }
        for x in sorted(set(losses)):
            out[f"prob_loss_{x * 100:g}pct"] = self.prob_loss(x)
        return out


def _constant_vol_block(
    rng: Draws,
    n_days: int,
    n: int,
    a: float,
    b: float,
    lev: float,
    carry_day: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Fast float32 kernel: terminal fund growth, Σz and Σz² for one block of GBM paths.

    The day's growth is 1 + L·(e^{a+bz} − 1) + c·dt, computed in place on one
    (n_days, n) float32 buffer that stays in cache; products accumulate in float64.
    """
    z = np.asarray(rng.standard_normal((n_days, n), dtype=np.float32), dtype=np.float32)
    sum_z = np.sum(z, axis=0, dtype=np.float64)
    sum_z2 = np.einsum("tp,tp->p", z, z, dtype=np.float64)
    z *= np.float32(b)
    z += np.float32(a)
    np.exp(z, out=z)
    z *= np.float32(lev)
    z += np.float32(1.0 - lev + carry_day)
    np.maximum(z, np.float32(0.0), out=z)
    growth = np.prod(z, axis=0, dtype=np.float64)
    return (
        np.asarray(growth, dtype=np.float64),
        np.asarray(sum_z, dtype=np.float64),
        np.asarray(sum_z2, dtype=np.float64),
    )


def simulate_fund(
    terms: FundTerms,
    model: ReturnModel,
    n_days: int,
    n_paths: int,
    rng: Any = None,
    *,
    rate_annual: float = 0.0,
    aum0_usd: float = 1.0,
    probs: Sequence[float] = DEFAULT_PROBS,
    chunk_paths: int = CHUNK_PATHS,
    workers: int | None = None,
    progress: Progress | None = None,
) -> DecayResult:
    """Monte Carlo of a fund's NAV: exact daily compounding, in blocks of paths.

    Parameters
    ----------
    terms : FundTerms
        The fund (leverage, fees, spread).
    model : ReturnModel
        One-asset model of the underlying's daily returns.
    n_days, n_paths : int
        Horizon in trading days and the number of paths.
    rng : seed, SeedSequence or Generator
        Same seed → same numbers, whatever ``workers`` and ``chunk_paths`` are.
    rate_annual : float
        Short rate ρ (decimal per year), constant over the horizon.
    aum0_usd : float
        Starting assets; AUM percentiles are ``aum0_usd`` × NAV ratio (no flows).

    Notes
    -----
    For :class:`ConstantVol` a float32 kernel draws the shocks (about half the cost of
    float64 draws); other models draw float64 returns. Memory is one block per worker
    plus three float64 numbers per path.
    """
    if n_days < 1:
        raise GaemiInputError(f"horizon = {n_days} days must be >= 1")
    if n_paths < 1:
        raise GaemiInputError(f"paths = {n_paths} must be >= 1")
    if len(model.names) != 1:
        raise GaemiInputError(f"decay needs a one-asset model, got {len(model.names)} assets")
    if not (np.isfinite(aum0_usd) and aum0_usd >= 0):
        raise GaemiInputError(f"aum_usd = {aum0_usd!r} must be >= 0")
    dt = 1.0 / TRADING_DAYS
    lev = float(terms.leverage)
    carry = float(terms.carry_annual(rate_annual))
    years = n_days * dt
    nav = np.empty(n_paths)
    log_s = np.empty(n_paths)
    ivar = np.empty(n_paths)

    if isinstance(model, ConstantVol):
        a_arr, b_arr = model.log_step()
        a, b = float(a_arr[0]), float(b_arr[0])

        def block(g: Draws, start: int, stop: int) -> None:
            growth, sz, sz2 = _constant_vol_block(g, n_days, stop - start, a, b, lev, carry * dt)
            nav[start:stop] = growth
            log_s[start:stop] = a * n_days + b * sz
            # realised Σ(ln(1+r))² = Σ(a + b·z)²: the path's own ∫σ²dt
            ivar[start:stop] = n_days * a * a + 2.0 * a * b * sz + b * b * sz2

        run_blocks(n_paths, rng, block, chunk_paths=chunk_paths, workers=workers, progress=progress)
        vol = float(model.vol[0])
        analytic = closed_form_quantiles(
            terms, vol, float(model.drift[0]), years, probs, rate_annual
        )
    else:

        def block(g: Draws, start: int, stop: int) -> None:
            r = model.sample(g, n_days, stop - start)[:, 0, :]
            rf = np.maximum(lev * r + carry * dt, -1.0)
            nav[start:stop] = np.prod(1.0 + rf, axis=0)
            lg = np.log1p(r)
            log_s[start:stop] = lg.sum(axis=0)
            ivar[start:stop] = np.einsum("tp,tp->p", lg, lg)

        run_blocks(n_paths, rng, block, chunk_paths=chunk_paths, workers=workers, progress=progress)
        vol = float(np.sqrt(ivar.mean() / years))
        analytic = None
    cf = closed_form_value(lev, np.exp(log_s), ivar, carry, years)
    return DecayResult(
        terms=terms,
        model_label=model.label,
        n_days=n_days,
        rate_annual=float(rate_annual),
        aum0_usd=float(aum0_usd),
        nav_ratio=nav,
        underlying_ratio=np.exp(log_s),
        closed_form_ratio=cf,
        analytic_quantiles=analytic,
        vol_annual=vol,
        probs=tuple(float(p) for p in probs),
    )


def discretisation_gap(
    terms: FundTerms,
    vol_annual: float,
    years: float,
    steps_per_year: int,
    n_paths: int,
    rng: Any = None,
    rate_annual: float = 0.0,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Exact discrete compounding at ``steps_per_year`` vs the closed form on the same paths.

    Returns (exact, closed_form_model_var, closed_form_realised_var): F_T/F_0 for GBM paths
    rebalanced ``steps_per_year`` times a year, the closed form with ∫σ²dt = σ²T, and the
    closed form with the path's realised Σ(ln(1+r))². The closed form is exact for
    continuous rebalancing; the gap shrinks like √dt with σ²T (the realised variance's
    sampling noise) and like dt with the realised variance.
    """
    g = np.random.default_rng(rng)
    n = max(1, round(years * steps_per_year))
    dt = years / n
    model = ConstantVol(vol_annual, 0.0, dt_years=dt)
    r = model.sample(g, n, n_paths)[:, 0, :]
    carry = float(terms.carry_annual(rate_annual))
    rf = np.maximum(terms.leverage * r + carry * dt, -1.0)
    exact = np.prod(1.0 + rf, axis=0)
    lg = np.log1p(r)
    s_ratio = np.exp(lg.sum(axis=0))
    cf_model = closed_form_value(terms.leverage, s_ratio, vol_annual**2 * years, carry, years)
    cf_real = closed_form_value(terms.leverage, s_ratio, np.sum(lg * lg, axis=0), carry, years)
    return np.asarray(exact, dtype=np.float64), cf_model, cf_real
