"""Helpers shared by the benchmarks: timing with warm-up, machine info, JSON results.

Each ``benchmarks/bench_*.py`` module defines ``run(config: str) -> dict`` (configs
``small`` and ``large``), checks correctness before timing, and is run by
``python -m benchmarks.run [--config small|large] [NAME ...]``, which writes
``benchmarks/results/<name>.json``. Compare two result files with
``python -m benchmarks.compare OLD.json NEW.json`` (ratios, same machine only).
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import numpy as np

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "platform": platform.platform(),
    }


def best_of(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """Best wall time of ``repeat`` calls after ``warmup`` calls, seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def peak_memory(fn: Callable[[], object], interval_s: float = 0.002) -> dict[str, float]:
    """Peak memory of one call of ``fn``, MiB.

    ``peak_traced_mib``: tracemalloc's peak of Python and NumPy allocations during the
    call (NumPy reports its buffers to tracemalloc). ``peak_rss_delta_mib``: the highest
    resident set size sampled every ``interval_s`` during a second, untraced call, minus
    the RSS before it (what the call adds to the process; threads' arenas included).
    """
    import threading
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        traced = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    base = _rss_bytes()
    peak = base
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _rss_bytes())
            stop.wait(interval_s)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        fn()
    finally:
        stop.set()
        t.join()
    peak = max(peak, _rss_bytes())
    return {"peak_traced_mib": traced / 2**20, "peak_rss_delta_mib": (peak - base) / 2**20}


def load_average() -> float:
    """The machine's 1-minute load average (the machine is shared: say what it was)."""
    return os.getloadavg()[0]


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` with the machine description."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "machine": machine(),
        "created_unix": time.time(),
        "load_average_1min_at_end": load_average(),
        **result,
    }
    out.write_text(json.dumps(payload, indent=1, sort_keys=True))
    return out
