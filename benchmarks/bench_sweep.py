"""``gaemi sweep`` throughput: a feedback grid in one process and on a local Dask cluster.

The grid is Korean AUM × liquidity scale × impact Y × shock on NDX (the default stress
scenario), evaluated by :func:`gaemi.present.dist.run_serial` and by
:func:`gaemi.present.dist.run_dask` on a ``LocalCluster`` of 2 single-threaded worker
processes on 127.0.0.1 (cluster start-up included, since a user pays it). Correctness
first: the Dask result equals the serial one to the bit on a smaller grid.

Configs: ``small`` 10 × 10 × 10 × 100 = 100,000 points; ``large`` 10 × 10 × 10 × 1,000 =
1,000,000 points.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from benchmarks._common import best_of, load_average, peak_memory
from gaemi.core.sweep import Axis, SweepSpec
from gaemi.present.dist import run_dask, run_serial

CONFIGS = {"small": 100, "large": 1000}


def spec(n_shocks: int) -> SweepSpec:
    return SweepSpec(
        "feedback",
        (
            Axis("korean_aum_usd", tuple(float(x) for x in np.linspace(5e9, 150e9, 10))),
            Axis("liquidity_scale", tuple(float(x) for x in np.linspace(0.1, 1.5, 10))),
            Axis("impact_y", tuple(float(x) for x in np.linspace(0.4, 1.4, 10))),
            Axis("shock_frac", tuple(float(x) for x in np.linspace(-0.15, -0.001, n_shocks))),
        ),
    )


def run(config: str) -> dict[str, Any]:
    small = spec(10)
    a, b = run_serial(small), run_dask(small, workers=2)
    if not a.equals(b):
        raise AssertionError("Dask sweep differs from the serial sweep")
    s = spec(CONFIGS[config])
    load_before = load_average()
    serial_s = best_of(lambda: run_serial(s), repeat=2, warmup=1)
    memory = peak_memory(lambda: run_serial(s))
    t0 = time.perf_counter()
    run_dask(s, workers=2)
    dask_s = time.perf_counter() - t0
    return {
        "points": s.n_points,
        "chunks": len(s.chunks()),
        "serial_s": serial_s,
        "dask_2_processes_s": dask_s,
        "serial_points_per_second": s.n_points / serial_s,
        "dask_points_per_second": s.n_points / dask_s,
        "serial_peak_traced_mib": memory["peak_traced_mib"],
        "serial_peak_rss_delta_mib": memory["peak_rss_delta_mib"],
        "load_average_1min": [load_before, load_average()],
    }
