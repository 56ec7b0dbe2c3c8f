"""Price impact of a signed dollar flow: the square-root law and a linear (Kyle λ) model.

Both models sit behind one protocol, :class:`ImpactModel`, and are vectorised: every
parameter is an array over scenarios (shape ``(n,)`` or ``(1,)``) and flows broadcast as
``(n, k)``. The feedback engine only needs the impact magnitude to be increasing and
concave in |Q| (true for both), which makes its equilibrium search exact.

References
----------
Tóth, B., Lempérière, Y., Deremble, C., de Lataillade, J., Kockelkoren, J. & Bouchaud,
J.-P. (2011). Anomalous price impact and the critical nature of liquidity in financial
markets. Physical Review X 1, 021006 (Δp/p = Y·σ_d·sqrt(Q/V_d), Y of order 1).
Kyle, A. S. (1985). Continuous auctions and insider trading. Econometrica 53(6).
Bucci, F., Benzaquen, M., Lillo, F. & Bouchaud, J.-P. (2019). Crossover from linear to
square-root market impact. Physical Review Letters 122, 108302.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from gaemi.core.universe import FloatArray
from gaemi.errors import GaemiInputError

ImpactKind = Literal["sqrt", "linear"]


def scenario_param(value: ArrayLike, name: str, *, positive: bool = False) -> FloatArray:
    """A per-scenario parameter as a 1-D float array (a scalar becomes shape ``(1,)``).

    Raises :class:`GaemiInputError` on NaN/inf, on a negative value, or (``positive``) on 0.
    """
    arr = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if arr.ndim != 1:
        raise GaemiInputError(f"{name}: expected a scalar or 1-D array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise GaemiInputError(f"{name} = {arr[~np.isfinite(arr)][0]!r} must be finite")
    if (arr < 0).any() or (positive and (arr == 0).any()):
        bad = arr[(arr <= 0) if positive else (arr < 0)][0]
        raise GaemiInputError(f"{name} = {bad:g} must be {'> 0' if positive else '>= 0'}")
    arr.flags.writeable = False
    return arr


def col(param: FloatArray) -> FloatArray:
    """A per-scenario parameter as a column ``(n, 1)`` to broadcast against ``(n, k)``."""
    return param[:, None]


@runtime_checkable
class ImpactModel(Protocol):
    """Price move caused by a signed flow Q (USD, + buys): I(Q), a decimal fraction.

    Implementations are increasing and odd in Q, with |I| concave in |Q|, and take every
    parameter per scenario (leading axis of length n or 1).
    """

    @property
    def kind(self) -> str:
        """``"sqrt"`` or ``"linear"``."""
        ...

    def impact_frac(self, flow_usd: ArrayLike) -> FloatArray:
        """Signed move caused by the flow; flows broadcast as ``(n, k)`` or ``(n,)``."""
        ...

    def flow_for_move(self, move_frac: ArrayLike) -> FloatArray:
        """The inverse: the signed flow whose impact is ``move_frac`` (USD)."""
        ...

    def piece_root(self, gamma_usd: FloatArray, beta_usd: FloatArray) -> FloatArray:
        """Largest u >= 0 solving u = |I|(γ + β·u) (shape ``(n,)``; NaN where none).

        This is the equilibrium extra move on a stretch where the participants' total
        |flow| is linear in the extra move u: |Q| = γ + β·u.
        """
        ...


def _take(param: FloatArray, index: int) -> FloatArray:
    return param if param.shape[0] == 1 else param[index : index + 1]


@dataclass(frozen=True, eq=False)
class SquareRootImpact:
    """Square-root law Δp/p = sign(Q)·Y·σ_d·sqrt(|Q|/V_d) (Tóth et al. 2011), linear below Q×.

    The pure law has an infinite slope at Q = 0: any flow that grows with the move (a
    leveraged fund's K·r) then sustains a move of its own, c²K, however small the shock —
    a 0.0001 % shock closed at 0.0315 % (NDX), 315×. Below a crossover flow Q× the impact
    is linear instead (Bucci, Benzaquen, Lillo & Bouchaud 2019 measure such a crossover
    from a linear to a square-root regime), continuous at Q×:

        |I|(Q) = c·|Q|/sqrt(Q×)   for |Q| <= Q×,      c·sqrt(|Q|)   above,

    i.e. |I| = min(λ×·|Q|, c·sqrt(|Q|)) with λ× = c/sqrt(Q×): increasing and concave, and
    a small flow moves the price in proportion to its size. Q× = 0 is the pure law.

    Parameters
    ----------
    y : array_like
        Dimensionless prefactor Y (> 0), of order 0.5–1 in the literature.
    sigma_daily : array_like
        Daily volatility σ_d of the underlying, a decimal (0.015 = 1.5 % a day).
    volume_usd : array_like
        Daily dollar volume V_d of the instruments that absorb the flow, USD (> 0).
    linear_below_usd : array_like, default 0
        The crossover flow Q× (USD, >= 0); 0 keeps the pure square-root law.
    """

    y: FloatArray
    sigma_daily: FloatArray
    volume_usd: FloatArray
    linear_below_usd: FloatArray | float = 0.0
    kind: str = "sqrt"

    def __post_init__(self) -> None:
        object.__setattr__(self, "y", scenario_param(self.y, "impact.y", positive=True))
        object.__setattr__(
            self, "sigma_daily", scenario_param(self.sigma_daily, "impact.sigma_daily")
        )
        object.__setattr__(
            self, "volume_usd", scenario_param(self.volume_usd, "impact.volume_usd", positive=True)
        )
        object.__setattr__(
            self,
            "linear_below_usd",
            scenario_param(self.linear_below_usd, "impact.linear_below_usd"),
        )

    # computed once per object (cached_property writes the instance __dict__, which a
    # frozen dataclass allows; not dataclass fields, so replace() and slicing ignore them)
    @cached_property
    def coefficient(self) -> FloatArray:
        """c = Y·σ_d/sqrt(V_d): |I| = c·sqrt(|Q|), per scenario (1/sqrt(USD))."""
        out: FloatArray = self.y * self.sigma_daily / np.sqrt(self.volume_usd)
        out.flags.writeable = False
        return out

    @cached_property
    def _one(self) -> tuple[float, float] | None:
        """(c, Q×) as floats when there is one scenario (the scalar path), else None."""
        c = self.coefficient
        qx = np.asarray(self.linear_below_usd)
        return (float(c[0]), float(qx[0])) if c.size == 1 and qx.size == 1 else None

    @property
    def small_flow_lambda(self) -> FloatArray:
        """λ× = c/sqrt(Q×): the move per USD of a flow below Q× (inf for the pure law)."""
        q = np.asarray(self.linear_below_usd)
        with np.errstate(divide="ignore", over="ignore"):
            out: FloatArray = np.where(q > 0, self.coefficient / np.sqrt(q), np.inf)
        return out

    def _c(self, ndim: int) -> FloatArray:
        c = self.coefficient
        return col(c) if ndim == 2 else c

    def _qx(self, ndim: int) -> FloatArray:
        q: FloatArray = np.asarray(self.linear_below_usd)
        return col(q) if ndim == 2 else q

    def _impact_one(self, q: float, c: float, qx: float) -> float:
        # impact_frac for one flow and one scenario, in floats: the same IEEE operations
        # in the same order as the array path, so the same bits (np.sign(±0) is +0)
        aq = abs(q)
        root = math.sqrt(aq)
        shrink = math.sqrt(aq / (qx if qx > 0 else 1.0)) if aq < qx else 1.0
        sign = 1.0 if q > 0 else -1.0 if q < 0 else q if q != q else 0.0
        return sign * c * root * shrink

    def impact_frac(self, flow_usd: ArrayLike) -> FloatArray:
        one = self._one
        if one is not None:
            # one scenario, one flow (the scalar reference solver): no array temporaries
            if isinstance(flow_usd, float | int):
                return np.array([self._impact_one(float(flow_usd), *one)])
            if (
                type(flow_usd) is np.ndarray
                and flow_usd.dtype == np.float64
                and flow_usd.size == 1
                and flow_usd.ndim <= 2
            ):
                v = self._impact_one(float(flow_usd.reshape(-1)[0]), *one)
                return np.array([[v]]) if flow_usd.ndim == 2 else np.array([v])
        q = np.asarray(flow_usd, dtype=np.float64)
        aq = np.abs(q)
        c = self._c(q.ndim)
        qx = self._qx(q.ndim)
        root = np.sqrt(aq)
        # below Q×: c·|Q|/sqrt(Q×) = c·sqrt(|Q|)·sqrt(|Q|/Q×) (no division by a zero Q×)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            shrink = np.where(aq < qx, np.sqrt(aq / np.where(qx > 0, qx, 1.0)), 1.0)
        out: FloatArray = np.sign(q) * c * root * shrink
        return out

    def flow_for_move(self, move_frac: ArrayLike) -> FloatArray:
        r = np.asarray(move_frac, dtype=np.float64)
        c = self._c(r.ndim)
        qx = self._qx(r.ndim)
        ar = np.abs(r)
        edge = c * np.sqrt(qx)  # the move of the flow Q×
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            lin = ar * np.sqrt(qx) / c
        out: FloatArray = np.sign(r) * np.where(ar < edge, lin, (ar / c) ** 2)
        return out

    def piece_root(self, gamma_usd: FloatArray, beta_usd: FloatArray) -> FloatArray:
        # ψ(u) = |I|(γ + βu) − u = min(ψ_lin, ψ_sqrt), both concave: {ψ >= 0} is the
        # intersection of their intervals, so the down-crossing is the smaller of the two.
        # sqrt: u = c·sqrt(γ + β u)  ⇒  u² − c²β·u − c²γ = 0, the larger root
        c2 = self.coefficient**2
        b = c2 * beta_usd
        disc = b * b + 4.0 * c2 * gamma_usd
        root = np.sqrt(np.where(disc >= 0.0, disc, np.nan))
        u_sqrt = 0.5 * (b + root)
        # linear below Q×: u = λ×(γ + β u)  ⇒  u = λ×γ/(1 − λ×β); none where λ×β >= 1
        lam = self.small_flow_lambda
        qx = np.asarray(self.linear_below_usd)
        with np.errstate(invalid="ignore", over="ignore"):
            denom = 1.0 - lam * beta_usd
            u_lin = np.where(
                (qx > 0) & (denom > 0.0),
                lam * gamma_usd / np.where(denom > 0.0, denom, 1.0),
                np.inf,
            )
        u = np.fmin(np.nan_to_num(u_sqrt, nan=np.inf), u_lin)
        out: FloatArray = np.where(np.isinf(u), np.nan, u)
        return out

    def take(self, index: int) -> SquareRootImpact:
        return SquareRootImpact(
            _take(self.y, index),
            _take(self.sigma_daily, index),
            _take(self.volume_usd, index),
            _take(np.asarray(self.linear_below_usd), index),
        )


@dataclass(frozen=True, eq=False)
class LinearImpact:
    """Linear impact Δp/p = λ·Q (Kyle 1985); λ in move per USD (> 0).

    With only leveraged-ETF rebalancing (flow K·r) the closing move solves r = r₀ + λK·r,
    so r = r₀/(1 − λK) while λK < 1, and the loop has no equilibrium when λK >= 1.
    """

    lam_per_usd: FloatArray
    kind: str = "linear"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "lam_per_usd", scenario_param(self.lam_per_usd, "impact.lambda", positive=True)
        )

    def _lam(self, ndim: int) -> FloatArray:
        return col(self.lam_per_usd) if ndim == 2 else self.lam_per_usd

    def impact_frac(self, flow_usd: ArrayLike) -> FloatArray:
        q = np.asarray(flow_usd, dtype=np.float64)
        out: FloatArray = self._lam(q.ndim) * q
        return out

    def flow_for_move(self, move_frac: ArrayLike) -> FloatArray:
        r = np.asarray(move_frac, dtype=np.float64)
        out: FloatArray = r / self._lam(r.ndim)
        return out

    def piece_root(self, gamma_usd: FloatArray, beta_usd: FloatArray) -> FloatArray:
        # u = λ(γ + β u)  ⇒  u = λγ/(1 − λβ); no root where λβ >= 1 and γ > 0
        lam = self.lam_per_usd
        denom = 1.0 - lam * beta_usd
        safe = np.where(denom > 0.0, denom, np.nan)
        out: FloatArray = lam * gamma_usd / safe
        return out

    def take(self, index: int) -> LinearImpact:
        return LinearImpact(_take(self.lam_per_usd, index))


def lambda_from_sqrt(impact: SquareRootImpact, flow_usd: ArrayLike) -> FloatArray:
    """The Kyle λ that gives the same move as the square-root law at ``flow_usd``.

    λ = |I(Q)|/|Q| = c/sqrt(|Q|): a linear model calibrated at one flow size.
    """
    q = np.abs(np.asarray(flow_usd, dtype=np.float64))
    if (q <= 0).any():
        raise GaemiInputError("lambda_from_sqrt: the calibration flow must be non-zero")
    out: FloatArray = impact.coefficient / np.sqrt(q)
    return out
