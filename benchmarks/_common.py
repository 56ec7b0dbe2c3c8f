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


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json`` with the machine description."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "machine": machine(), "created_unix": time.time(), **result}
    out.write_text(json.dumps(payload, indent=1, sort_keys=True))
    return out
