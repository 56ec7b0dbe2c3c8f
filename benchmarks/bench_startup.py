"""Start-up cost: ``import gaemi`` (target < 0.05 s beyond the interpreter's own start)
and ``gaemi --help`` (target < 0.5 s); issue 15.

Each is a fresh interpreter (``python -c "import gaemi"`` and the installed ``gaemi``
console script), timed wall-clock from spawn to exit, best of n after a warm-up run (the
warm-up fills the OS file cache; bytecode is already compiled). The interpreter's own
start (``python -c pass``) is recorded beside them, and the heavy libraries that
``import gaemi`` must *not* load are checked (correctness before timing).

Configs: ``small`` best of 5; ``large`` best of 15.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._common import load_average

CONFIGS = {"small": 5, "large": 15}
#: Libraries ``import gaemi`` must leave unloaded (DESIGN: heavy imports stay lazy).
HEAVY = ("pandas", "scipy", "numba", "dask", "distributed", "duckdb", "plotly", "arch", "typer")
#: ``import gaemi`` loads no capability either: the public names are lazy (PEP 562).
LAZY = ("gaemi.app", "gaemi.core", "gaemi.data", "gaemi.monitor", "gaemi.present")
TARGET_IMPORT_NET_S = 0.05
TARGET_HELP_S = 0.5


def _time(cmd: list[str], repeat: int) -> float:
    subprocess.run(cmd, check=True, capture_output=True)  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


def run(config: str) -> dict[str, Any]:
    repeat = CONFIGS[config]
    py = sys.executable
    cli = str(Path(py).with_name("gaemi"))
    probe = f"import sys, gaemi; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([py, "-c", probe], check=True, capture_output=True, text=True)
    heavy = [m for m in loaded.stdout.strip().split(",") if m]
    if heavy:
        raise AssertionError(f"import gaemi loads heavy libraries: {heavy}")
    probe = f"import sys, gaemi; print(','.join(m for m in {LAZY!r} if m in sys.modules))"
    loaded = subprocess.run([py, "-c", probe], check=True, capture_output=True, text=True)
    eager = [m for m in loaded.stdout.strip().split(",") if m]
    if eager:
        raise AssertionError(f"import gaemi loads subpackages eagerly: {eager}")
    probe = "import gaemi; print(callable(gaemi.flows) and callable(gaemi.stress))"
    if (
        subprocess.run([py, "-c", probe], check=True, capture_output=True, text=True).stdout.strip()
        != "True"
    ):
        raise AssertionError("gaemi.flows / gaemi.stress do not resolve")
    helptext = subprocess.run([cli, "--help"], check=True, capture_output=True, text=True)
    if "sweep" not in helptext.stdout or "stress" not in helptext.stdout:
        raise AssertionError("gaemi --help does not list the commands")
    load_before = load_average()
    python_s = _time([py, "-c", "pass"], repeat)
    import_s = _time([py, "-c", "import gaemi"], repeat)
    help_s = _time([cli, "--help"], repeat)
    return {
        "repeat": repeat,
        "python_start_s": python_s,
        "import_gaemi_s": import_s,
        "import_gaemi_net_s": import_s - python_s,
        "gaemi_help_s": help_s,
        "target_import_net_s": TARGET_IMPORT_NET_S,
        "target_help_s": TARGET_HELP_S,
        "meets_target": bool(import_s - python_s < TARGET_IMPORT_NET_S and help_s < TARGET_HELP_S),
        "heavy_modules_loaded_by_import": heavy,
        "load_average_1min": [load_before, load_average()],
    }
