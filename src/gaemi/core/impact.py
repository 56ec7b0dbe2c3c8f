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
"""

from __future__ import annotations

from dataclasses import dataclass
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
    """Square-root law Δp/p = sign(Q)·Y·σ_d·sqrt(|Q|/V_d) (Tóth et al. 2011).

    Parameters
    ----------
    y : array_like
        Dimensionless prefactor Y (> 0), of order 0.5–1 in the literature.
    sigma_daily : array_like
        Daily volatility σ_d of the underlying, a decimal (0.015 = 1.5 % a day).
    volume_usd : array_like
        Daily dollar volume V_d of the instruments that absorb the flow, USD (> 0).
    """

    y: FloatArray
    sigma_daily: FloatArray
    volume_usd: FloatArray
    kind: str = "sqrt"

    def __post_init__(self) -> None:
        object.__setattr__(self, "y", scenario_param(self.y, "impact.y", positive=True))
        object.__setattr__(
            self, "sigma_daily", scenario_param(self.sigma_daily, "impact.sigma_daily")
        )
        object.__setattr__(
            self, "volume_usd", scenario_param(self.volume_usd, "impact.volume_usd", positive=True)
        )

    @property
    def coefficient(self) -> FloatArray:
        """c = Y·σ_d/sqrt(V_d): |I| = c·sqrt(|Q|), per scenario (1/sqrt(USD))."""
        out: FloatArray = self.y * self.sigma_daily / np.sqrt(self.volume_usd)
        return out

    def _c(self, ndim: int) -> FloatArray:
        c = self.coefficient
        return col(c) if ndim == 2 else c

    def impact_frac(self, flow_usd: ArrayLike) -> FloatArray:
        q = np.asarray(flow_usd, dtype=np.float64)
        out: FloatArray = np.sign(q) * self._c(q.ndim) * np.sqrt(np.abs(q))
        return out

    def flow_for_move(self, move_frac: ArrayLike) -> FloatArray:
        r = np.asarray(move_frac, dtype=np.float64)
        out: FloatArray = np.sign(r) * (r / self._c(r.ndim)) ** 2
        return out

    def piece_root(self, gamma_usd: FloatArray, beta_usd: FloatArray) -> FloatArray:
        # u = c·sqrt(γ + β u)  ⇒  u² − c²β·u − c²γ = 0; the larger root is the down-crossing
        c2 = self.coefficient**2
        b = c2 * beta_usd
        disc = b * b + 4.0 * c2 * gamma_usd
        root = np.sqrt(np.where(disc >= 0.0, disc, np.nan))
        out: FloatArray = 0.5 * (b + root)
        return out

    def take(self, index: int) -> SquareRootImpact:
        return SquareRootImpact(
            _take(self.y, index), _take(self.sigma_daily, index), _take(self.volume_usd, index)
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
