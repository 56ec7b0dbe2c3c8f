"""``gaemi sweep`` through the command line: shocks on one parameter set, a full grid,
serial and on 2 local Dask workers (issue 21).

Each run is the installed ``gaemi`` console script in a fresh process, timed wall-clock
from spawn to exit (interpreter start and imports included, as a user pays them), rows
written to a Parquet file; the child's peak RSS (``wait4``) is recorded to show memory
flat in the grid size (rows are written chunk by chunk).

Runs:

* ``shocks_100k`` — ``--shocks=-10%:-0.0001%:0.0001%``: 100,000 shocks on the default
  parameter set, ``--serial`` (target <= 3 s);
* ``grid`` — ``--korean-aum 0:150B:1.5B --liquidity-scale 0.1:1:0.01 --impact-y
  0.5:1.4:0.1 --shocks=-10%:-1%:1%`` = 919,100 points, ``--serial`` (target <= 12x the
  100k run) and ``--workers 2`` (processes; target: no slower than serial).

Correctness first: the Dask rows equal the serial rows exactly (same file contents once
read), and the grid has every combination once. Configs: ``small`` one timing per run;
``large`` best of 3.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import load_average

CONFIGS = {"small": 1, "large": 3}
SHOCKS_100K = ["--shocks=-10%:-0.0001%:0.0001%"]
GRID = [
    "--korean-aum",
    "0:150B:1.5B",
    "--liquidity-scale",
    "0.1:1:0.01",
    "--impact-y",
    "0.5:1.4:0.1",
    "--shocks=-10%:-1%:1%",
]


def _cli(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one ``gaemi`` run in a fresh process."""
    exe = str(Path(sys.executable).with_name("gaemi"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [exe, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise AssertionError(f"gaemi {' '.join(args)} failed: {err.strip()}")
    return wall, usage.ru_maxrss / 1024.0  # Linux: KiB


def _best(args: list[str], repeat: int) -> tuple[float, float]:
    runs = [_cli(args) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def run(config: str) -> dict[str, Any]:
    import pandas as pd

    repeat = CONFIGS[config]
    with tempfile.TemporaryDirectory(prefix="gaemi-bench-sweep-") as tmp:
        d = Path(tmp)
        load_before = load_average()
        s100_s, s100_rss = _best(
            ["sweep", *SHOCKS_100K, "--serial", "-o", str(d / "s.parquet")], repeat
        )
        shocks = pd.read_parquet(d / "s.parquet")
        if len(shocks) != 100_000:
            raise AssertionError(f"100k sweep wrote {len(shocks)} rows")
        grid_s, grid_rss = _best(["sweep", *GRID, "--serial", "-o", str(d / "g1.parquet")], repeat)
        dask_s, dask_rss = _best(
            ["sweep", *GRID, "--workers", "2", "-o", str(d / "g2.parquet")], repeat
        )
        a, b = pd.read_parquet(d / "g1.parquet"), pd.read_parquet(d / "g2.parquet")
        if len(a) != 919_100:
            raise AssertionError(f"grid wrote {len(a)} rows")
        if a.groupby(
            ["korean_aum_usd", "liquidity_scale", "impact_y", "shock_frac"]
        ).ngroups != len(a):
            raise AssertionError("grid rows repeat a combination")
        identical = bool(a.equals(b))
        if not identical:
            raise AssertionError("Dask rows differ from the serial rows")
        return {
            "shocks_100k_serial_s": s100_s,
            "shocks_100k_peak_rss_mib": s100_rss,
            "grid_points": len(a),
            "grid_serial_s": grid_s,
            "grid_serial_peak_rss_mib": grid_rss,
            "grid_dask_2_workers_s": dask_s,
            "grid_dask_parent_peak_rss_mib": dask_rss,
            "grid_dask_rows_identical": identical,
            "grid_over_shocks_100k": grid_s / s100_s,
            "grid_serial_points_per_second": len(a) / grid_s,
            "targets": {
                "shocks_100k_serial_s_max": 3.0,
                "grid_over_shocks_100k_max": 12.0,
                "dask_2_workers_no_slower_than_serial": True,
            },
            "meets_targets": bool(s100_s <= 3.0 and grid_s <= 12 * s100_s and dask_s <= grid_s),
            "load_average_1min": [load_before, load_average()],
        }
