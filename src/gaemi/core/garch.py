"""Fast GJR-GARCH(1,1)-t path kernels for large Monte Carlo, with plain references beside them.

One underlying, N paths × H days of daily log returns y_t = μ + ε_t, ε_t = σ_t·z_t,
σ²_{t+1} = ω + (α + γ·1[ε_t < 0])·ε_t² + β·σ²_t, z_t standardised Student-t (the model of
:class:`gaemi.core.paths.GarchParams`, and of ``arch``'s ``ConstantMean`` + ``GARCH(1,1,1)``
+ ``StudentsT``). Three implementations of the recursion, tested to agree on the same
innovations: :func:`gjr_reference` (a Python double loop, obviously correct),
:func:`gjr_numpy` (vectorised over paths) and a numba kernel (optional extra ``fast``;
used when numba is installed, else the NumPy one).

The innovations come from Bailey's (1994) polar form of the Student-t,
t = sqrt(ν·(U^{−2/ν} − 1))·cos(2πV), written with U^{−2/ν} = exp(2E/ν) for a unit
exponential E = −ln U: a float32 ziggurat exponential, a float32 uniform and three SIMD
float32 functions (``expm1``, ``sqrt``, ``cos``) per draw — several times cheaper than a
normal over a chi-square. They are drawn and used ``SLAB_DAYS`` days at a time, so they
stay in cache; the recursion runs in float64. Paths are drawn in 2,048-path
seed blocks (:mod:`gaemi.core.chunks`): same seed, same numbers for any chunking or thread
count, and memory bounded by one chunk per thread unless the paths are kept.

References
----------
Glosten, L., Jagannathan, R. & Runkle, D. (1993). J. Finance 48(5), 1779–1801.
Bailey, R. W. (1994). Polar generation of random variates with the t-distribution.
Mathematics of Computation 62(206), 779–781.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from gaemi.core.chunks import CHUNK_PATHS, Draws, Progress, run_blocks
from gaemi.core.paths import GarchParams
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]
Kernel = Literal["auto", "numba", "numpy", "reference"]
#: Days of innovations drawn and run at a time (about 0.5 MB per 2,048-path block, in
#: cache). Part of the random-number layout: changing it changes the draws.
SLAB_DAYS = 32


def standardized_t(draws: Draws, nu: float, size: tuple[int, ...]) -> NDArray[np.float32]:
    """Unit-variance Student-t variates (float32), path axis last, by Bailey's polar form.

    z = sqrt((ν − 2)·expm1(2E/ν))·cos(2πV), E ~ Exp(1), V ~ U[0, 1): t_ν scaled by
    sqrt((ν − 2)/ν). Exact in distribution; float32 resolution only (|z| is unbounded:
    the exponential's ziggurat has an exact tail).
    """
    if not nu > 2.0:
        raise GaemiInputError(f"nu = {nu!r} must be > 2 for a unit-variance Student-t")
    e = draws.standard_exponential(size, dtype=np.float32)
    v = draws.random(size, dtype=np.float32)
    e *= np.float32(2.0 / nu)
    np.expm1(e, out=e)
    e *= np.float32(nu - 2.0)
    np.sqrt(e, out=e)
    v *= np.float32(2.0 * np.pi)
    np.cos(v, out=v)
    e *= v
    return e


def gjr_reference(
    z: NDArray[Any], p: GarchParams, var0: float | FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Plain double loop: log returns y (n_days, n_paths) and σ² after the last day.

    ``var0`` is the starting conditional variance, one number or one per path.
    """
    n_days, n_paths = z.shape
    start = np.broadcast_to(np.asarray(var0, dtype=np.float64), (n_paths,))
    y = np.empty((n_days, n_paths))
    var_end = np.empty(n_paths)
    for j in range(n_paths):
        var = float(start[j])
        for t in range(n_days):
            eps = np.sqrt(var) * float(z[t, j])
            y[t, j] = p.mu + eps
            lev = p.gamma if eps < 0.0 else 0.0
            var = p.omega + (p.alpha + lev) * eps * eps + p.beta * var
        var_end[j] = var
    return y, var_end


def gjr_numpy(
    z: NDArray[Any], p: GarchParams, var0: float | FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Vectorised over paths, one step per day: same numbers as :func:`gjr_reference`."""
    n_days, n_paths = z.shape
    y = np.empty((n_days, n_paths))
    var = np.broadcast_to(np.asarray(var0, dtype=np.float64), (n_paths,)).copy()
    for t in range(n_days):
        eps = np.sqrt(var) * z[t].astype(np.float64)
        y[t] = p.mu + eps
        lev = np.where(eps < 0.0, p.gamma, 0.0)
        var = p.omega + (p.alpha + lev) * eps * eps + p.beta * var
    return y, var


def _numba_source(
    z: NDArray[np.float32],
    omega: float,
    alpha: float,
    gamma: float,
    beta: float,
    mu: float,
    keep: bool,
    y: FloatArray,
    total: FloatArray,
    sumsq: FloatArray,
    var: FloatArray,
) -> None:  # pragma: no cover - compiled by numba; its twin is gjr_numpy
    """Advance every path over the days of ``z``: ``var`` in/out, sums accumulated."""
    n_days, n_paths = z.shape
    for t in range(n_days):
        for j in range(n_paths):
            eps = np.sqrt(var[j]) * np.float64(z[t, j])
            r = mu + eps
            if keep:
                y[t, j] = r
            total[j] += r
            sumsq[j] += r * r
            lev = gamma if eps < 0.0 else 0.0
            var[j] = omega + (alpha + lev) * eps * eps + beta * var[j]


@functools.cache
def numba_kernel() -> Callable[..., None] | None:
    """The compiled recursion step, or None when numba is not installed (extra ``fast``).

    Signature ``(z, omega, alpha, gamma, beta, mu, keep, y, total, sumsq, var)``: advances
    ``var`` (in/out) over the days of ``z``, adds Σy and Σy² into ``total`` and ``sumsq``
    and, if ``keep``, writes y.
    """
    try:
        import numba
    except ImportError:
        return None
    fn: Callable[..., None] = numba.njit(nogil=True, cache=False)(_numba_source)
    return fn


def _step_kernel(kernel: Kernel) -> Callable[..., None]:
    """A function with the numba kernel's signature for the chosen implementation."""
    if kernel in ("auto", "numba"):
        nb = numba_kernel()
        if nb is not None:
            return nb
        if kernel == "numba":
            raise GaemiInputError("kernel = 'numba' needs numba: pip install 'gaemi[fast]'")
    ref = gjr_reference if kernel == "reference" else gjr_numpy

    def step(
        z: NDArray[np.float32],
        omega: float,
        alpha: float,
        gamma: float,
        beta: float,
        mu: float,
        keep: bool,
        y: FloatArray,
        total: FloatArray,
        sumsq: FloatArray,
        var: FloatArray,
    ) -> None:
        p = GarchParams(omega, alpha, gamma, beta, 3.0, mu)  # ν is not used by the recursion
        yy, var[:] = ref(z, p, var)
        if keep:
            y[:] = yy
        for t in range(yy.shape[0]):  # day by day, like the kernel, so the sums agree exactly
            total += yy[t]
            sumsq += yy[t] * yy[t]

    return step


@dataclass(frozen=True)
class GarchSimulation:
    """N simulated GJR-GARCH-t paths: per-path sums and, if kept, every daily log return.

    Attributes
    ----------
    log_return_total : array (n_paths,)
        Σ_t y_t, the path's log return over the horizon.
    sum_sq_log_return : array (n_paths,)
        Σ_t y_t², its realised variance.
    var_end : array (n_paths,)
        Conditional daily variance σ² for the day after the horizon.
    log_returns : array (n_days, n_paths) or None
        y_t, if ``keep_paths``.
    """

    params: GarchParams
    n_days: int
    kernel: str
    log_return_total: FloatArray
    sum_sq_log_return: FloatArray
    var_end: FloatArray
    log_returns: FloatArray | None = None

    @property
    def n_paths(self) -> int:
        return int(self.log_return_total.shape[0])

    @property
    def path_steps(self) -> int:
        """Paths × days simulated."""
        return self.n_paths * self.n_days

    def to_frame(self) -> pd.DataFrame:
        """One row per path: total log return, realised vol (annual), end variance."""
        import pandas as pd

        return pd.DataFrame(
            {
                "log_return_total": self.log_return_total,
                "realised_vol_annual": np.sqrt(252.0 * self.sum_sq_log_return / self.n_days),
                "var_end_daily": self.var_end,
            }
        )


def simulate_gjr_garch_t(
    params: GarchParams,
    n_days: int,
    n_paths: int,
    rng: Any = None,
    *,
    start: Literal["long_run", "last"] = "long_run",
    keep_paths: bool = False,
    kernel: Kernel = "auto",
    chunk_paths: int = CHUNK_PATHS,
    workers: int | None = None,
    progress: Progress | None = None,
) -> GarchSimulation:
    """Simulate ``n_paths`` GJR-GARCH(1,1)-t paths of ``n_days`` daily log returns.

    Parameters
    ----------
    params : GarchParams
        Decimal daily units (ω in variance per day, μ the mean daily log return).
    rng : seed, SeedSequence or Generator
        Same seed → same numbers, whatever ``chunk_paths``, ``workers`` and ``kernel``.
    start : "long_run" or "last"
        Initial variance: ω/(1 − α − γ/2 − β), or ``params.sigma_last``².
    keep_paths : bool
        Also return every y_t (8 bytes per path-step); otherwise memory is one chunk
        of innovations per thread plus three numbers per path.
    kernel : "auto", "numba", "numpy" or "reference"
        Recursion implementation ("auto": numba if installed, else NumPy).
    """
    if n_days < 1:
        raise GaemiInputError(f"horizon n_days = {n_days} must be >= 1")
    if n_paths < 1:
        raise GaemiInputError(f"n_paths = {n_paths} must be >= 1")
    if start not in ("long_run", "last"):
        raise GaemiInputError(f"start = {start!r} must be 'long_run' or 'last'")
    if kernel not in ("auto", "numba", "numpy", "reference"):
        raise GaemiInputError(f"kernel = {kernel!r} must be auto, numba, numpy or reference")
    if start == "last" and params.sigma_last is None:
        raise GaemiInputError(f"{params.name}: start = 'last' needs sigma_last")
    var0 = params.long_run_var if start == "long_run" else float(params.sigma_last or 0.0) ** 2
    fn = _step_kernel(kernel)
    used = "numba" if fn is numba_kernel() else ("reference" if kernel == "reference" else "numpy")
    total = np.zeros(n_paths)
    sumsq = np.zeros(n_paths)
    var_end = np.full(n_paths, var0)
    y = np.empty((n_days, n_paths)) if keep_paths else np.empty((0, 0))
    p = params

    def chunk(draws: Draws, a: int, b: int) -> None:
        w = b - a
        var, tot, ssq = np.full(w, var0), np.zeros(w), np.zeros(w)
        buf = np.empty((SLAB_DAYS, w)) if keep_paths else np.empty((1, 1))
        for d0 in range(0, n_days, SLAB_DAYS):  # a slab of days stays in cache
            d1 = min(n_days, d0 + SLAB_DAYS)
            z = standardized_t(draws, p.nu, (d1 - d0, w))
            yb = buf[: d1 - d0]
            fn(z, p.omega, p.alpha, p.gamma, p.beta, p.mu, keep_paths, yb, tot, ssq, var)
            if keep_paths:
                y[d0:d1, a:b] = yb
        total[a:b], sumsq[a:b], var_end[a:b] = tot, ssq, var

    run_blocks(n_paths, rng, chunk, chunk_paths=chunk_paths, workers=workers, progress=progress)
    return GarchSimulation(params, n_days, used, total, sumsq, var_end, y if keep_paths else None)
