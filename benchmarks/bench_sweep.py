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
  100k run) and ``--workers 2`` (the default local Dask: 2 threads on Dask's threaded
  scheduler; target: no slower than serial); ``--workers 2 --processes`` (a
  ``LocalCluster`` of 2 worker processes) is timed for reference, without a target.

The machine is shared, so its load moves every figure: the serial and the 2-worker grid
runs are interleaved in pairs (serial then workers, then workers then serial, …) so that
both see the same load, and the JSON gives each run's wall and CPU seconds and the
1-minute load average at its start, the best and the median of each, and their ratio.

Where 2 workers start to pay (``large`` only): the same interleaved pairs on the 100,000
shocks and on the grid with 4x the shocks (``--shocks=-10%:-1%:0.25%``, 3,400,670 points),
keys ``x100k_*`` and ``x3400k_*``. And why they pay so little on 2 cores: the CPU seconds
of the grid's chunks in one thread of this process, and of the part that is Python
holding the GIL (each parameter set's universe and stress model), ``grid_chunks_cpu_s``
and ``grid_parameter_sets_cpu_s``.

Correctness first: the Dask rows equal the serial rows exactly (same file contents once
read), and the grid has every combination once. Configs: ``small`` one timing per run;
``large`` best of 5 (the process cluster: best of 2).
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

CONFIGS = {"small": 1, "large": 5}
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


#: 1-minute load average when each timed run started (the machine is shared).
LOADS: list[float] = []
#: CPU seconds (user + system) of each timed run, in the order run.
CPUS: list[float] = []


def _cli(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one ``gaemi`` run in a fresh process (its CPU
    seconds go to :data:`CPUS`, the load average at its start to :data:`LOADS`)."""
    LOADS.append(os.getloadavg()[0])
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
    CPUS.append(usage.ru_utime + usage.ru_stime)
    return wall, usage.ru_maxrss / 1024.0  # Linux: KiB


def _pairs(serial_args: list[str], dask_args: list[str], repeat: int) -> dict[str, Any]:
    """``repeat`` pairs of a serial and a 2-worker run, interleaved (serial then workers,
    then workers then serial, …: both see the same load, a drift favours neither)."""
    out: dict[str, list[float]] = {k: [] for k in ("s", "d", "s_cpu", "d_cpu", "s_ld", "d_ld")}
    rss = {"s": 0.0, "d": 0.0}
    for r in range(repeat):
        for which in ("s", "d") if r % 2 == 0 else ("d", "s"):
            t, m = _cli(serial_args if which == "s" else dask_args)
            out[which].append(t)
            out[f"{which}_cpu"].append(CPUS[-1])
            out[f"{which}_ld"].append(LOADS[-1])
            rss[which] = max(rss[which], m)
    return {**out, "s_rss": rss["s"], "d_rss": rss["d"]}


def _times(args: list[str], repeat: int) -> tuple[list[float], float]:
    runs = [_cli(args) for _ in range(repeat)]
    return [r[0] for r in runs], max(r[1] for r in runs)


def _python_share() -> dict[str, float]:
    """CPU seconds of the grid's chunks in this process, and of the part that is Python
    holding the GIL: each parameter set's Korean-AUM universe and its stress model (one
    per (underlying, Korean AUM) per chunk). What two threads cannot run in parallel."""
    import gaemi.app.sweep as sw
    import gaemi.data.stress as st

    spent = [0.0]

    def timed(fn: Any) -> Any:
        def inner(*a: Any, **k: Any) -> Any:
            t0 = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                spent[0] += time.process_time() - t0

        return inner

    axes = {
        "korean_aum_usd": [i * 1.5e9 for i in range(101)],
        "liquidity_scale": [round(0.1 + 0.01 * i, 2) for i in range(91)],
        "impact_y": [round(0.5 + 0.1 * i, 1) for i in range(10)],
        "shock_frac": [round(-0.10 + 0.01 * i, 2) for i in range(10)],
    }
    spec = sw.sweep_spec("feedback", axes)
    real_universe, real_build = sw._with_korean_aum, st.build_stress_model
    sw._KOREAN_AUM_CACHE.clear()
    sw._with_korean_aum = timed(real_universe)
    st.build_stress_model = timed(real_build)
    try:
        t0 = time.process_time()
        for a, b in spec.chunks():
            sw.evaluate_chunk(spec, a, b)
        total = time.process_time() - t0
    finally:
        sw._with_korean_aum = real_universe
        st.build_stress_model = real_build
    if spec.n_points != 919_100:
        raise AssertionError(f"in-process grid has {spec.n_points} points")
    return {
        "grid_chunks_cpu_s": total,
        "grid_parameter_sets_cpu_s": spent[0],
        "grid_parameter_sets_cpu_share": spent[0] / total,
    }


def _dask_import_cpu_s(repeat: int = 3) -> float:
    """CPU seconds of ``import dask.threaded`` in a fresh interpreter (best of ``repeat``):
    the fixed cost of the thread workers, which small grids do not pay back."""
    code = (
        "import time; t = time.process_time(); import dask.threaded; print(time.process_time() - t)"
    )
    out = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(repeat)
    ]
    return min(out)


def run(config: str) -> dict[str, Any]:
    import statistics

    import pandas as pd

    repeat = CONFIGS[config]
    with tempfile.TemporaryDirectory(prefix="gaemi-bench-sweep-") as tmp:
        d = Path(tmp)
        load_before = load_average()
        s100, s100_rss = _times(
            ["sweep", *SHOCKS_100K, "--serial", "-o", str(d / "s.parquet")], repeat
        )
        shocks = pd.read_parquet(d / "s.parquet")
        if len(shocks) != 100_000:
            raise AssertionError(f"100k sweep wrote {len(shocks)} rows")
        serial_args = ["sweep", *GRID, "--serial", "-o", str(d / "g1.parquet")]
        dask_args = ["sweep", *GRID, "--workers", "2", "-o", str(d / "g2.parquet")]
        pr = _pairs(serial_args, dask_args, repeat)
        grid, dask = pr["s"], pr["d"]
        grid_cpu, dask_cpu, grid_load, dask_load = pr["s_cpu"], pr["d_cpu"], pr["s_ld"], pr["d_ld"]
        grid_rss, dask_rss = pr["s_rss"], pr["d_rss"]
        # where 2 workers start to pay: the same pairs on 100,000 shocks (one parameter
        # set) and on the grid with 4x the shocks (3,400,670 points); large config only
        crossover: dict[str, Any] = {}
        if config == "large":
            sizes = {
                "x100k": (100_000, SHOCKS_100K),
                "x3400k": (3_400_670, [*GRID[:-1], "--shocks=-10%:-1%:0.25%"]),
            }
            for tag, (n_pts, axes) in sizes.items():
                x = _pairs(
                    ["sweep", *axes, "--serial", "-o", str(d / "x1.parquet")],
                    ["sweep", *axes, "--workers", "2", "-o", str(d / "x2.parquet")],
                    3,
                )
                xa, xb = pd.read_parquet(d / "x1.parquet"), pd.read_parquet(d / "x2.parquet")
                if len(xa) != n_pts or not xa.equals(xb):
                    raise AssertionError(f"crossover {n_pts}: rows differ or miscounted")
                crossover[tag] = {
                    "serial_s": min(x["s"]),
                    "dask_2_workers_s": min(x["d"]),
                    "dask_over_serial_best": min(x["d"]) / min(x["s"]),
                    "serial_runs_s": x["s"],
                    "dask_2_workers_runs_s": x["d"],
                    "load_average_1min": x["s_ld"] + x["d_ld"],
                }
        proc, _ = _times(
            ["sweep", *GRID, "--workers", "2", "--processes", "-o", str(d / "g3.parquet")],
            min(repeat, 2),
        )
        a, b = pd.read_parquet(d / "g1.parquet"), pd.read_parquet(d / "g2.parquet")
        c = pd.read_parquet(d / "g3.parquet")
        if len(a) != 919_100:
            raise AssertionError(f"grid wrote {len(a)} rows")
        if a.groupby(
            ["korean_aum_usd", "liquidity_scale", "impact_y", "shock_frac"]
        ).ngroups != len(a):
            raise AssertionError("grid rows repeat a combination")
        identical = bool(a.equals(b)) and bool(a.equals(c))
        if not identical:
            raise AssertionError("Dask rows differ from the serial rows")
        s100_s, grid_s, dask_s = min(s100), min(grid), min(dask)
        med_grid, med_dask = statistics.median(grid), statistics.median(dask)
        return {
            "shocks_100k_serial_s": s100_s,
            "shocks_100k_serial_runs_s": s100,
            "shocks_100k_peak_rss_mib": s100_rss,
            "grid_points": len(a),
            "grid_serial_s": grid_s,
            "grid_serial_runs_s": grid,
            "grid_serial_median_s": med_grid,
            "grid_serial_peak_rss_mib": grid_rss,
            "grid_dask_2_workers_s": dask_s,
            "grid_dask_2_workers_runs_s": dask,
            "grid_dask_2_workers_median_s": med_dask,
            "grid_dask_2_workers_kind": "threads (Dask threaded scheduler)",
            "grid_dask_peak_rss_mib": dask_rss,
            "grid_dask_over_serial_best": dask_s / grid_s,
            "grid_dask_over_serial_median": med_dask / med_grid,
            # each 2-worker run over the serial run just before it (the same load)
            "grid_serial_cpu_s": grid_cpu,
            "grid_dask_2_workers_cpu_s": dask_cpu,
            "grid_serial_load_average_1min": grid_load,
            "grid_dask_2_workers_load_average_1min": dask_load,
            "grid_dask_over_serial_pairs": [t / g for g, t in zip(grid, dask, strict=True)],
            "grid_dask_over_serial_pairs_median": statistics.median(
                t / g for g, t in zip(grid, dask, strict=True)
            ),
            # flat keys (docs/scale.md maps its figures to them)
            "x100k_serial_s": crossover.get("x100k", {}).get("serial_s"),
            "x100k_dask_2_workers_s": crossover.get("x100k", {}).get("dask_2_workers_s"),
            "x100k_dask_over_serial_best": crossover.get("x100k", {}).get("dask_over_serial_best"),
            "x3400k_serial_s": crossover.get("x3400k", {}).get("serial_s"),
            "x3400k_dask_2_workers_s": crossover.get("x3400k", {}).get("dask_2_workers_s"),
            "x3400k_dask_over_serial_best": crossover.get("x3400k", {}).get(
                "dask_over_serial_best"
            ),
            "crossover_runs": crossover,
            "grid_serial_cpu_best_s": min(grid_cpu),
            "grid_dask_2_workers_cpu_best_s": min(dask_cpu),
            **_python_share(),
            "dask_import_cpu_s": _dask_import_cpu_s(),
            "grid_dask_2_processes_s": min(proc),
            "grid_dask_2_processes_runs_s": proc,
            "grid_dask_rows_identical": identical,
            "grid_over_shocks_100k": grid_s / s100_s,
            "grid_serial_points_per_second": len(a) / grid_s,
            "targets": {
                "shocks_100k_serial_s_max": 3.0,
                "grid_over_shocks_100k_max": 12.0,
                "dask_2_workers_no_slower_than_serial": True,
            },
            "meets_targets": bool(
                s100_s <= 3.0 and grid_s <= 12 * s100_s and dask_s <= grid_s and identical
            ),
            "load_average_1min": [load_before, load_average()],
        }
