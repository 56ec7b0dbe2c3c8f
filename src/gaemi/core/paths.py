"""Random daily return paths of one or more underlyings, for the decay and investor engines.

Three regimes: constant volatility (geometric Brownian motion), GJR-GARCH(1,1) with
Student-t innovations (fat tails, volatility clustering, leverage effect), and a block
bootstrap of real daily history. Every model draws from the ``rng`` it is given and
returns simple returns shaped ``(n_days, n_assets, n_paths)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gaemi.core.chunks import Draws
from gaemi.errors import GaemiInputError

FloatArray = NDArray[np.float64]

#: Trading days per year (daily step dt = 1/252 year).
TRADING_DAYS = 252


@runtime_checkable
class ReturnModel(Protocol):
    """Anything that draws daily simple returns of ``n_assets`` underlyings."""

    @property
    def names(self) -> tuple[str, ...]:
        """Underlying ids, one per asset."""
        ...

    @property
    def label(self) -> str:
        """A short description for reports (``"constant σ=45%"``)."""
        ...

    def sample(self, rng: Draws, n_days: int, n_paths: int) -> FloatArray:
        """Simple returns, shape ``(n_days, n_assets, n_paths)``.

        ``rng`` is a NumPy generator or a chunk's :class:`~gaemi.core.chunks.BlockedRng`;
        every draw must put the path axis last so chunking cannot change the numbers.
        """
        ...


def _check_dims(n_days: int, n_paths: int) -> None:
    if n_days < 1:
        raise GaemiInputError(f"horizon n_days = {n_days} must be >= 1")
    if n_paths < 1:
        raise GaemiInputError(f"n_paths = {n_paths} must be >= 1")


def _correlation(corr: ArrayLike | None, n: int, who: str) -> FloatArray:
    """A validated correlation matrix and its Cholesky factor's source."""
    if corr is None:
        if n > 1:
            raise GaemiInputError(f"{who}: {n} assets need a correlation matrix")
        return np.ones((1, 1))
    c = np.asarray(corr, dtype=np.float64)
    if c.shape != (n, n):
        raise GaemiInputError(f"{who}: correlation shape {c.shape} must be ({n}, {n})")
    if not np.allclose(c, c.T) or not np.allclose(np.diag(c), 1.0):
        raise GaemiInputError(f"{who}: correlation must be symmetric with a unit diagonal")
    if np.any(np.abs(c) > 1.0):
        raise GaemiInputError(f"{who}: correlations must lie in [-1, 1]")
    try:
        np.linalg.cholesky(c + 1e-12 * np.eye(n))
    except np.linalg.LinAlgError:
        raise GaemiInputError(f"{who}: correlation matrix is not positive definite") from None
    return c


def _correlated_normals(rng: Draws, chol: FloatArray, n_days: int, n_paths: int) -> FloatArray:
    n = chol.shape[0]
    z = rng.standard_normal((n_days, n, n_paths))
    if n == 1:
        return z
    return np.asarray(np.einsum("ij,tjp->tip", chol, z), dtype=np.float64)


@dataclass(frozen=True)
class ConstantVol:
    """Geometric Brownian motion: log S grows by (μ − σ²/2)·dt + σ·√dt·Z each day.

    Parameters
    ----------
    vol_annual : float or sequence of float
        Annual volatility σ of each underlying, decimal (0.45 = 45 %).
    drift_annual : float or sequence of float
        Expected simple return μ per year (E[S_T/S_0] = e^{μT}); 0 makes the price a
        martingale, σ²/2 makes the median path flat.
    names : sequence of str
        Underlying ids.
    corr : array, optional
        Correlation of the daily shocks (required for more than one asset).
    """

    vol_annual: float | Sequence[float]
    drift_annual: float | Sequence[float] = 0.0
    names: tuple[str, ...] = ("underlying",)
    corr: FloatArray | None = None
    dt_years: float = 1.0 / TRADING_DAYS
    _vol: FloatArray = field(init=False, repr=False)
    _drift: FloatArray = field(init=False, repr=False)
    _chol: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.names)
        vol = np.broadcast_to(np.asarray(self.vol_annual, dtype=np.float64), (n,)).copy()
        drift = np.broadcast_to(np.asarray(self.drift_annual, dtype=np.float64), (n,)).copy()
        for name, v in zip(self.names, vol, strict=True):
            if not (np.isfinite(v) and 0.0 <= v <= 5.0):
                raise GaemiInputError(f"{name}: vol_annual = {v:g} must be in [0, 5]")
        if not np.all(np.isfinite(drift)) or np.any(np.abs(drift) > 5.0):
            raise GaemiInputError(f"drift_annual = {self.drift_annual!r} must be in [-5, 5]")
        c = _correlation(self.corr, n, "constant-vol model")
        object.__setattr__(self, "_vol", vol)
        object.__setattr__(self, "_drift", drift)
        object.__setattr__(self, "_chol", np.linalg.cholesky(c + 1e-12 * np.eye(n)))

    @property
    def label(self) -> str:
        vols = ", ".join(f"{v:.0%}" for v in self._vol)
        return f"constant σ={vols}"

    @property
    def vol(self) -> FloatArray:
        """Annual vols as an array."""
        return self._vol

    @property
    def drift(self) -> FloatArray:
        """Annual drifts as an array."""
        return self._drift

    def log_step(self) -> tuple[FloatArray, FloatArray]:
        """Per-day mean a = (μ − σ²/2)·dt and scale b = σ·√dt of the log return."""
        a = (self._drift - 0.5 * self._vol**2) * self.dt_years
        b = self._vol * np.sqrt(self.dt_years)
        return a, b

    def sample(self, rng: Draws, n_days: int, n_paths: int) -> FloatArray:
        _check_dims(n_days, n_paths)
        z = _correlated_normals(rng, self._chol, n_days, n_paths)
        a, b = self.log_step()
        return np.expm1(a[:, None] + b[:, None] * z)


@dataclass(frozen=True)
class GarchParams:
    """GJR-GARCH(1,1)-t parameters of one underlying in decimal daily units.

    ε_t = σ_t·z_t, σ²_{t+1} = ω + (α + γ·1[ε_t < 0])·ε_t² + β·σ²_t, z_t standardised
    Student-t with ν degrees of freedom (Glosten, Jagannathan & Runkle 1993).
    ``mu`` is the mean daily log return; ``sigma_last`` the conditional daily vol at the
    end of the fitted sample (None: start at the long-run level).
    """

    omega: float
    alpha: float
    gamma: float
    beta: float
    nu: float
    mu: float = 0.0
    sigma_last: float | None = None
    name: str = "underlying"

    def __post_init__(self) -> None:
        ok = (
            self.omega > 0
            and self.alpha >= 0
            and self.beta >= 0
            and self.alpha + self.gamma >= 0
            and self.persistence < 1.0
            and self.nu > 2.0
        )
        if not ok:
            raise GaemiInputError(
                f"{self.name}: GJR-GARCH parameters omega={self.omega:g} alpha={self.alpha:g} "
                f"gamma={self.gamma:g} beta={self.beta:g} nu={self.nu:g} are not stationary "
                "(need omega > 0, alpha, beta >= 0, alpha + gamma/2 + beta < 1, nu > 2)"
            )

    @property
    def persistence(self) -> float:
        """α + γ/2 + β (symmetric innovations): below 1 for a stationary variance."""
        return self.alpha + 0.5 * self.gamma + self.beta

    @property
    def long_run_var(self) -> float:
        """Unconditional daily variance ω / (1 − α − γ/2 − β)."""
        return self.omega / (1.0 - self.persistence)

    @property
    def long_run_vol_annual(self) -> float:
        """√(252 · long-run daily variance)."""
        return float(np.sqrt(TRADING_DAYS * self.long_run_var))


@dataclass(frozen=True)
class GjrGarchT:
    """GJR-GARCH(1,1) with Student-t innovations, one or more underlyings.

    Several assets share one Student-t mixing variable per day (a multivariate t with
    the smallest ν of the assets, i.e. the fattest tail) over correlated normal shocks.

    Parameters
    ----------
    params : sequence of GarchParams
        One set per asset (fitted by :func:`gaemi.data.returns.fit_gjr_garch_t`).
    corr : array, optional
        Correlation of the standardised shocks (required for more than one asset).
    drift_annual : float, optional
        None keeps each fitted mean μ (history's drift); a number sets the conditional
        mean log return to drift·dt − σ²_t/2, so E[simple return] ≈ drift per year.
    start : "long_run" or "last"
        Start the variance at its long-run level or at the end-of-sample conditional level.
    """

    params: tuple[GarchParams, ...]
    corr: FloatArray | None = None
    drift_annual: float | None = 0.0
    start: str = "long_run"
    dt_years: float = 1.0 / TRADING_DAYS
    _chol: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.params:
            raise GaemiInputError("GJR-GARCH model needs at least one asset")
        if self.start not in ("long_run", "last"):
            raise GaemiInputError(f"start = {self.start!r} must be 'long_run' or 'last'")
        n = len(self.params)
        c = _correlation(self.corr, n, "GJR-GARCH model")
        object.__setattr__(self, "_chol", np.linalg.cholesky(c + 1e-12 * np.eye(n)))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def label(self) -> str:
        vols = ", ".join(f"{p.long_run_vol_annual:.0%}" for p in self.params)
        return f"GJR-GARCH-t (long-run σ={vols}, start {self.start})"

    def sample(self, rng: Draws, n_days: int, n_paths: int) -> FloatArray:
        _check_dims(n_days, n_paths)
        n = len(self.params)
        p = self.params
        omega = np.array([q.omega for q in p])[:, None]
        alpha = np.array([q.alpha for q in p])[:, None]
        gamma = np.array([q.gamma for q in p])[:, None]
        beta = np.array([q.beta for q in p])[:, None]
        mu = np.array([q.mu for q in p])[:, None]
        nu = min(q.nu for q in p)
        if self.start == "last":
            s0 = [q.sigma_last if q.sigma_last is not None else np.sqrt(q.long_run_var) for q in p]
            var0 = np.array(s0)[:, None] ** 2
        else:
            var0 = np.array([q.long_run_var for q in p])[:, None]
        z = _correlated_normals(rng, self._chol, n_days, n_paths)
        w = rng.chisquare(nu, (n_days, 1, n_paths)) / nu
        z *= np.sqrt((nu - 2.0) / nu) / np.sqrt(w)  # unit-variance Student-t
        out = np.empty((n_days, n, n_paths))
        var = np.broadcast_to(var0, (n, n_paths)).copy()
        for t in range(n_days):
            eps = np.sqrt(var) * z[t]
            m = mu if self.drift_annual is None else self.drift_annual * self.dt_years - 0.5 * var
            out[t] = m + eps
            var = omega + (alpha + gamma * (eps < 0.0)) * eps * eps + beta * var
        return np.expm1(out)


@dataclass(frozen=True)
class BlockBootstrap:
    """Moving-block bootstrap of real daily returns (Künsch 1989).

    Each path is built from blocks of ``block_days`` consecutive historical days starting
    at uniformly drawn dates; all assets share the dates, so their co-movement, fat tails
    and short-range volatility clustering are kept.

    Parameters
    ----------
    returns : array, shape (n_hist, n_assets)
        Historical daily simple returns on common dates.
    block_days : int
        Block length in days.
    drift_annual : float, optional
        None keeps history's drift; a number recentres each asset's log returns so the
        expected simple return is about ``drift_annual`` per year.
    """

    returns: FloatArray
    names: tuple[str, ...] = ("underlying",)
    block_days: int = 20
    drift_annual: float | None = None
    source: str = "history"
    dt_years: float = 1.0 / TRADING_DAYS
    _log: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        r = np.asarray(self.returns, dtype=np.float64)
        if r.ndim == 1:
            r = r[:, None]
        if r.ndim != 2 or r.shape[1] != len(self.names):
            raise GaemiInputError(
                f"bootstrap history shape {r.shape} must be (days, {len(self.names)})"
            )
        if not np.all(np.isfinite(r)) or np.any(r <= -1.0):
            raise GaemiInputError("bootstrap history has a non-finite return or one <= -100%")
        if not 1 <= self.block_days <= r.shape[0]:
            raise GaemiInputError(
                f"block_days = {self.block_days} must be in [1, {r.shape[0]}] (history length)"
            )
        if r.shape[0] < 60:
            raise GaemiInputError(f"bootstrap history has {r.shape[0]} days; need at least 60")
        lg = np.log1p(r)
        if self.drift_annual is not None:
            var = lg.var(axis=0)
            lg = lg - lg.mean(axis=0) + (self.drift_annual * self.dt_years - 0.5 * var)
        object.__setattr__(self, "_log", lg)

    @property
    def label(self) -> str:
        vol = np.sqrt(TRADING_DAYS) * self._log.std(axis=0)
        vols = ", ".join(f"{v:.0%}" for v in vol)
        return f"block bootstrap of {self.source} ({self._log.shape[0]} days, σ={vols})"

    @property
    def vol_annual(self) -> FloatArray:
        """Realised annual vol of the (possibly recentred) history."""
        return np.asarray(np.sqrt(TRADING_DAYS) * self._log.std(axis=0), dtype=np.float64)

    def sample(self, rng: Draws, n_days: int, n_paths: int) -> FloatArray:
        _check_dims(n_days, n_paths)
        n_hist = self._log.shape[0]
        b = self.block_days
        n_blocks = -(-n_days // b)
        starts = rng.integers(0, n_hist - b + 1, (n_blocks, n_paths)).T  # paths last when drawn
        idx = (starts[:, :, None] + np.arange(b)).reshape(n_paths, n_blocks * b)[:, :n_days]
        picked = self._log[idx.T]  # (n_days, n_paths, n_assets)
        return np.asarray(np.expm1(picked.transpose(0, 2, 1)), dtype=np.float64)
