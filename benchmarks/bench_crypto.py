"""Benchmark: liquidation cascade over many scenarios (issue 7).

``large``: 100,000 scenarios (random BTC shocks) over a 1,000,000-position population
(issue 7 target: under 10 s on this machine). ``small``: 10,000 scenarios over 100,000
positions. The population is the calibrated default's shape (crypto_default.yaml) drawn
at the requested size; the shocks are N(0, 5 %) with a fixed seed. Correctness first:
the vectorised kernel must agree with the reference loop on a small sample, and money
must be conserved in every timed scenario.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks._common import best_of, load_average, peak_memory
from gaemi.core.crypto import Ladder, cascade, cascade_reference
from gaemi.data.crypto import load_crypto_config

CONFIGS = {"small": (100_000, 10_000), "large": (1_000_000, 100_000)}


def _check() -> dict[str, float]:
    """Kernel vs reference loop on 400 positions × 9 shocks."""
    cfg = load_crypto_config()
    pop, _ = cfg.population(n_per_side=50)
    shocks = {"BTC": np.linspace(-0.2, 0.2, 9)}
    v = cascade(pop, cfg.market(), shocks)
    r = cascade_reference(pop, cfg.market(), shocks)
    if not np.array_equal(v.n_liquidated_long, r.n_liquidated_long):
        raise AssertionError("vectorised and reference cascades disagree")
    err = float(np.max(np.abs(v.final_log - r.final_log)))
    if err > 1e-9:
        raise AssertionError(f"final moves differ by {err}")
    return {"check_max_abs_err_final_log": err}


def run(config: str) -> dict[str, Any]:
    n_positions, n_scenarios = CONFIGS[config]
    check = _check()
    cfg = load_crypto_config()
    n_sides = 2 * len(cfg.asset_names)
    t0 = time.perf_counter()
    # draw ~10 % extra (survivorship drops the underwater ones), keep exactly n_positions
    pop, _ = cfg.population(n_per_side=-(-n_positions * 11 // (10 * n_sides)))
    if len(pop) < n_positions:
        raise AssertionError(f"drew {len(pop)} positions, need {n_positions}")
    pop = pop.where(np.arange(len(pop)) < n_positions)
    t_pop = time.perf_counter() - t0
    market = cfg.market()
    shocks = {"BTC": np.random.default_rng(0).normal(0.0, 0.05, n_scenarios).clip(-0.9, 2.0)}
    t0 = time.perf_counter()
    ladder = Ladder.build(pop, len(market))
    t_ladder = time.perf_counter() - t0
    res = cascade(pop, market, shocks, ladder=ladder, record_rounds=False)
    gap = float(res.conservation_gap_usd().max())
    scale = float(np.abs(res.forced_flow_usd).max())
    if gap > 1e-9 * max(scale, 1.0) or not res.converged.all():
        raise AssertionError(f"conservation gap {gap} or non-convergence")

    def timed() -> None:
        cascade(pop, market, shocks, record_rounds=False)  # ladder build included

    load_before = load_average()
    seconds = best_of(timed, repeat=3, warmup=1)
    memory = peak_memory(timed)
    return {
        "n_positions": len(pop),
        "n_scenarios": n_scenarios,
        "seconds": seconds,
        "seconds_population_draw": t_pop,
        "seconds_ladder_build": t_ladder,
        "target_seconds": 10.0 if config == "large" else None,
        "max_rounds": int(res.rounds.max()),
        "mean_rounds": float(res.rounds.mean()),
        "scenarios_per_second": n_scenarios / seconds,
        **check,
        **memory,
        "load_average_1min": [load_before, load_average()],
    }
