"""Benchmark: Monte Carlo of a 3x fund's NAV (constant-vol GBM, exact daily compounding).

``large``: 1,000,000 paths × 252 days (issue 4 target: under 2.5 s on the 2-core machine,
peak memory under 1 GiB). ``small``: 100,000 paths × 252 days. Beside the figure it
records what the random numbers alone cost (float32 and float64 standard normals, one
thread and all threads), since they are most of the work.
"""

from __future__ import annotations

import resource
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from benchmarks._common import best_of, load_average, peak_memory
from gaemi.core.chunks import SEED_BLOCK, default_workers
from gaemi.core.decay import closed_form_quantiles, simulate_fund
from gaemi.core.nav import FundTerms
from gaemi.core.paths import ConstantVol

CONFIGS = {"small": 100_000, "large": 1_000_000}
DAYS = 252
TERMS = FundTerms(3.0, 0.0075, 0.004, "SOXL")
MODEL = ConstantVol(0.45, 0.0)
RATE = 0.04


def _check() -> dict[str, float]:
    """Correctness before timing: simulated quantiles vs the GBM closed form."""
    res = simulate_fund(TERMS, MODEL, DAYS, 50_000, 1, rate_annual=RATE)
    probs = [0.1, 0.5, 0.9]
    q = np.quantile(res.nav_ratio, probs)
    cf = closed_form_quantiles(TERMS, 0.45, 0.0, 1.0, probs, RATE)
    err = float(np.max(np.abs(q / cf - 1.0)))
    if err > 0.05:
        raise AssertionError(f"simulated quantiles {q} vs closed form {cf}: {err:.3f}")
    return {"check_max_rel_err_quantiles": err}


def _rng_cost(n: int, dtype: Any, workers: int) -> float:
    """Seconds to draw n × 252 standard normals in blocks, with ``workers`` threads."""
    blocks = -(-n // SEED_BLOCK)
    seeds = np.random.SeedSequence(0).spawn(blocks)

    def job(k: int) -> None:
        g = np.random.Generator(np.random.PCG64(seeds[k]))
        g.standard_normal((DAYS, SEED_BLOCK), dtype=dtype)

    t0 = time.perf_counter()
    if workers == 1:
        for k in range(blocks):
            job(k)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(job, range(blocks)))
    return time.perf_counter() - t0


def run(config: str) -> dict[str, Any]:
    n = CONFIGS[config]
    out: dict[str, Any] = {"paths": n, "days": DAYS, "workers": default_workers()}
    out.update(_check())

    def go() -> None:
        simulate_fund(TERMS, MODEL, DAYS, n, 7, rate_annual=RATE)

    load_before = load_average()
    out["seconds"] = best_of(go, repeat=3, warmup=1)
    out["load_average_1min"] = [load_before, load_average()]
    out.update(peak_memory(go))  # peak_traced_mib, peak_rss_delta_mib
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["paths_per_second"] = n / out["seconds"]
    w = default_workers()
    for label, dtype, threads in (
        ("rng_float32_1thread_s", np.float32, 1),
        ("rng_float32_all_threads_s", np.float32, w),
        ("rng_float64_1thread_s", np.float64, 1),
    ):
        out[label] = best_of(lambda d=dtype, t=threads: _rng_cost(n, d, t), repeat=2, warmup=0)
    if config == "large":
        out["target_seconds"] = 2.5
        out["target_peak_mib"] = 1024
        out["meets_target"] = out["seconds"] < 2.5 and out["peak_traced_mib"] < 1024
    return out
