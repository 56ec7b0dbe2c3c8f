"""GJR-GARCH(1,1)-t paths: gaemi's kernel against ``arch``, NumPy and a spreadsheet loop.

The same work everywhere: N paths × 252 days of daily log returns y = μ + σ_t·z_t from an
NDX-like GJR-GARCH(1,1) with standardised Student-t innovations (ν = 5.77), innovations
drawn inside the timed call. Throughput is path-steps (paths × days) per second.

* ``gaemi`` — :func:`gaemi.core.garch.simulate_gjr_garch_t` (Bailey polar t from float32
  draws, numba recursion when installed), all threads, per-path sums kept (memory
  bounded by a chunk per thread); also ``gaemi_keep_paths`` (every y_t kept, float64),
  ``gaemi_1thread`` and ``gaemi_numpy_kernel`` (no numba);
* ``arch`` — ``arch``'s own simulation forecast (``ConstantMean`` + ``GARCH(1,1,1)`` +
  ``StudentsT``, ``forecast(method="simulation")``) on fewer paths (it keeps every path);
* ``numpy_loop`` — the plain vectorised NumPy loop of :class:`gaemi.core.paths.GjrGarchT`
  (normal over chi-square innovations, float64, a day per step);
* ``pandas_loop`` — a spreadsheet-style baseline: one DataFrame per path, row by row.

Physical references: ``rng_draws_*`` (only the float32 exponential + uniform the kernel
draws, and the issue's float64 normals on one thread) and ``memory_pass_*`` (one write
pass over a float32 per path-step, from a measured bandwidth). Correctness before timing:
numba/NumPy/loop recursions agree on the same innovations, the pandas baseline matches
the loop, and gaemi's and arch's paths have the same variance late in the horizon.

Configs: ``small`` 100,000 gaemi paths (arch 10,000); ``large`` 1,000,000 (arch 20,000).
The issue's target: gaemi ≥ 20× arch's throughput on this machine.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from benchmarks._common import best_of, load_average, peak_memory
from gaemi.core.chunks import SEED_BLOCK, BlockedRng, default_workers, run_blocks
from gaemi.core.garch import (
    gjr_numpy,
    gjr_reference,
    numba_kernel,
    simulate_gjr_garch_t,
    standardized_t,
)
from gaemi.core.paths import GarchParams, GjrGarchT

DAYS = 252
# NDX-like daily parameters (tests/core/test_paths.py), mean log return 4 bp a day
PARAMS = GarchParams(3.5e-6, 0.0125, 0.1995, 0.868, 5.77, 0.0004, None, "NDX")
CONFIGS: dict[str, dict[str, int]] = {
    "small": {"paths": 100_000, "arch_paths": 10_000, "numpy_paths": 50_000, "pandas_paths": 8},
    "large": {
        "paths": 1_000_000,
        "arch_paths": 20_000,
        "numpy_paths": 100_000,
        "pandas_paths": 20,
    },
}


def _arch_model() -> Any:
    """arch's model with PARAMS, on a history drawn from the same process."""
    from arch.univariate import GARCH, ConstantMean, StudentsT

    hist = simulate_gjr_garch_t(PARAMS, 2000, 1, 1, keep_paths=True).log_returns
    assert hist is not None
    am = ConstantMean(
        hist[:, 0], volatility=GARCH(1, 1, 1), distribution=StudentsT(seed=np.random.default_rng(2))
    )
    return am


def _arch_params() -> np.ndarray:
    p = PARAMS
    return np.array([p.mu, p.omega, p.alpha, p.gamma, p.beta, p.nu])


def arch_simulate(am: Any, n_paths: int) -> np.ndarray:
    """arch's simulated returns, shape (n_paths, DAYS)."""
    f = am.forecast(
        _arch_params(), horizon=DAYS, method="simulation", simulations=n_paths, reindex=False
    )
    return np.asarray(f.simulations.values[-1])


def pandas_loop(n_paths: int, seed: int) -> list[Any]:
    """A spreadsheet: per path a table of z, σ², ε, y filled row by row.

    Cells are read and written with ``.at`` (pandas' fast scalar accessor, hence the
    ``noqa: PD008``): the fairest row-by-row baseline.
    """
    import pandas as pd

    p, g = PARAMS, np.random.default_rng(seed)
    scale = math.sqrt((p.nu - 2.0) / p.nu)
    out = []
    for _ in range(n_paths):
        df = pd.DataFrame({"z": g.standard_t(p.nu, DAYS) * scale})
        df["sigma2"] = np.nan
        df["eps"] = np.nan
        df["y"] = np.nan
        df.at[0, "sigma2"] = p.long_run_var  # noqa: PD008
        for t in range(DAYS):
            s2 = df.at[t, "sigma2"]  # noqa: PD008
            eps = math.sqrt(s2) * df.at[t, "z"]  # noqa: PD008
            df.at[t, "eps"] = eps  # noqa: PD008
            df.at[t, "y"] = p.mu + eps  # noqa: PD008
            if t + 1 < DAYS:
                lev = p.gamma if eps < 0 else 0.0
                df.at[t + 1, "sigma2"] = p.omega + (p.alpha + lev) * eps * eps + p.beta * s2  # noqa: PD008
        out.append(df)
    return out


def _draws_only(n_paths: int, workers: int) -> None:
    """The kernel's random numbers alone: float32 exponential + uniform per path-step."""

    def fn(d: BlockedRng, a: int, b: int) -> None:
        d.standard_exponential((DAYS, b - a), dtype=np.float32)
        d.random((DAYS, b - a), dtype=np.float32)

    run_blocks(n_paths, 3, fn, workers=workers)


def _t_only(n_paths: int, workers: int) -> None:
    """The kernel's Student-t innovations alone (draws + Bailey transform)."""
    run_blocks(
        n_paths, 3, lambda d, a, b: standardized_t(d, PARAMS.nu, (DAYS, b - a)), workers=workers
    )


def _normals64_1thread(n_paths: int) -> None:
    """The issue's yardstick: float64 standard normals, one thread, seed blocks."""
    seeds = np.random.SeedSequence(0).spawn(-(-n_paths // SEED_BLOCK))
    for s in seeds:
        np.random.Generator(np.random.PCG64(s)).standard_normal((DAYS, SEED_BLOCK))


def _bandwidth_gb_s() -> float:
    """Write bandwidth of one pass over a 256 MiB float32 array, all threads."""
    a = np.empty(2**26, dtype=np.float32)
    parts = np.array_split(a, default_workers())

    def fill() -> None:
        with ThreadPoolExecutor(len(parts)) as pool:
            list(pool.map(lambda x: x.fill(1.0), parts))

    return a.nbytes / best_of(fill, repeat=3, warmup=1) / 1e9


def _check(arch_model: Any) -> dict[str, Any]:
    g = np.random.default_rng(5)
    z = (g.standard_t(PARAMS.nu, (DAYS, 64)) * math.sqrt((PARAMS.nu - 2) / PARAMS.nu)).astype(
        np.float32
    )
    y_ref, v_ref = gjr_reference(z, PARAMS, PARAMS.long_run_var)
    y_np, _ = gjr_numpy(z, PARAMS, PARAMS.long_run_var)
    err = float(np.max(np.abs(y_np - y_ref)))
    nb = numba_kernel()
    if nb is not None:
        n = z.shape[1]
        y_nb, tot, ssq = np.empty(z.shape), np.zeros(n), np.zeros(n)
        var = np.full(n, PARAMS.long_run_var)
        p = PARAMS
        nb(z, p.omega, p.alpha, p.gamma, p.beta, p.mu, True, y_nb, tot, ssq, var)
        err = max(err, float(np.max(np.abs(y_nb - y_ref))), float(np.max(np.abs(var - v_ref))))
    if err > 1e-15:
        raise AssertionError(f"GARCH kernels disagree with the reference loop: {err:g}")
    # the pandas baseline computes the same recursion
    df = pandas_loop(1, 9)[0]
    y_pd, _ = gjr_reference(df["z"].to_numpy()[:, None], PARAMS, PARAMS.long_run_var)
    if not np.allclose(df["y"].to_numpy(), y_pd[:, 0], rtol=1e-14, atol=0):
        raise AssertionError("pandas baseline disagrees with the reference loop")
    # same model as arch: mean y^2 over days 127-252 (start forgotten: 0.98^126 ~ 0.08)
    a = arch_simulate(arch_model, 20_000)
    ours = simulate_gjr_garch_t(PARAMS, DAYS, 20_000, 4, keep_paths=True).log_returns
    assert ours is not None
    v_arch = float(np.mean((a[:, 126:] - PARAMS.mu) ** 2))
    v_ours = float(np.mean((ours[126:] - PARAMS.mu) ** 2))
    if abs(v_ours / v_arch - 1) > 0.1:
        raise AssertionError(f"late-horizon variance: gaemi {v_ours:.3g} vs arch {v_arch:.3g}")
    return {
        "check_max_abs_diff_kernels_vs_reference": err,
        "check_late_var_gaemi_over_arch": v_ours / v_arch,
        "check_long_run_var": PARAMS.long_run_var,
    }


def run(config: str) -> dict[str, Any]:
    c = CONFIGS[config]
    n, n_arch, n_np, n_pd = c["paths"], c["arch_paths"], c["numpy_paths"], c["pandas_paths"]
    w = default_workers()
    am = _arch_model()
    out: dict[str, Any] = {
        "days": DAYS,
        "paths": n,
        "workers": w,
        "kernel": simulate_gjr_garch_t(PARAMS, 2, 2, 0).kernel,
        "arch_paths": n_arch,
        "numpy_loop_paths": n_np,
        "pandas_loop_paths": n_pd,
    }
    out.update(_check(am))
    load_before = load_average()

    def gaemi() -> None:
        simulate_gjr_garch_t(PARAMS, DAYS, n, 7)

    out["gaemi_s"] = best_of(gaemi, repeat=3, warmup=1)
    out.update(peak_memory(gaemi))
    keep_n = min(n, 100_000)
    out["gaemi_keep_paths_paths"] = keep_n
    out["gaemi_keep_paths_s"] = best_of(
        lambda: simulate_gjr_garch_t(PARAMS, DAYS, keep_n, 7, keep_paths=True), repeat=2
    )
    out["gaemi_1thread_s"] = best_of(
        lambda: simulate_gjr_garch_t(PARAMS, DAYS, n, 7, workers=1), repeat=1
    )
    out["gaemi_numpy_kernel_s"] = best_of(
        lambda: simulate_gjr_garch_t(PARAMS, DAYS, n, 7, kernel="numpy"), repeat=1
    )
    out["arch_s"] = best_of(lambda: arch_simulate(am, n_arch), repeat=2)
    model = GjrGarchT((PARAMS,), drift_annual=None)
    out["numpy_loop_s"] = best_of(
        lambda: model.sample(np.random.default_rng(1), DAYS, n_np), repeat=2
    )
    t0 = time.perf_counter()
    pandas_loop(n_pd, 1)
    out["pandas_loop_s"] = time.perf_counter() - t0
    out["rng_draws_all_threads_s"] = best_of(lambda: _draws_only(n, w), repeat=2)
    out["rng_draws_1thread_s"] = best_of(lambda: _draws_only(n, 1), repeat=1)
    out["rng_t_innovations_all_threads_s"] = best_of(lambda: _t_only(n, w), repeat=2)
    out["rng_normal64_1thread_s"] = best_of(lambda: _normals64_1thread(n), repeat=1)
    bw = _bandwidth_gb_s()
    out["memory_write_gb_per_second"] = bw
    out["memory_pass_float32_per_step_s"] = n * DAYS * 4 / bw / 1e9
    out["load_average_1min"] = [load_before, load_average()]

    steps = {
        "gaemi": n * DAYS,
        "gaemi_keep_paths": keep_n * DAYS,
        "gaemi_1thread": n * DAYS,
        "gaemi_numpy_kernel": n * DAYS,
        "arch": n_arch * DAYS,
        "numpy_loop": n_np * DAYS,
        "pandas_loop": n_pd * DAYS,
    }
    rate = {k: v / out[f"{k}_s"] for k, v in steps.items()}
    for k, v in rate.items():
        out[f"{k}_path_steps_per_second"] = v
    out["speedup_vs_arch"] = rate["gaemi"] / rate["arch"]
    out["speedup_1thread_vs_arch"] = rate["gaemi_1thread"] / rate["arch"]
    out["speedup_numpy_kernel_vs_arch"] = rate["gaemi_numpy_kernel"] / rate["arch"]
    out["speedup_vs_numpy_loop"] = rate["gaemi"] / rate["numpy_loop"]
    out["speedup_vs_pandas_loop"] = rate["gaemi"] / rate["pandas_loop"]
    out["gaemi_over_rng_draws"] = out["gaemi_s"] / out["rng_draws_all_threads_s"]
    out["gaemi_over_memory_pass"] = out["gaemi_s"] / out["memory_pass_float32_per_step_s"]
    out["target_speedup_vs_arch"] = 20.0
    out["meets_target"] = bool(out["speedup_vs_arch"] >= 20.0)
    return out
