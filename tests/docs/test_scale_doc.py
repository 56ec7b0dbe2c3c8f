"""docs/scale.md holds (issue 19 item 7): the figures of the page that are not timings are
computed here from the code they describe (the timings map to benchmark keys in
tests/docs/claims_scale.py, held to the stored results by tests/test_docs_figures.py).

* the peak-memory sampling interval is ``benchmarks/_common.py::peak_memory``'s default;
* ``arch``'s memory at 1,000,000 paths is its three float64 arrays of paths x horizon
  (horizon and paths from ``benchmarks/bench_garch.py``);
* the sweep's chunking, and the size and idle cores from which the command line sends a
  feedback sweep to Dask by itself, are the constants of ``gaemi.app.sweep`` and
  ``gaemi.present.cli.sweep``; the reasons given for that size are the stored benchmark.

Nothing here runs an engine: the whole file costs well under a second.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "scale.md"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _module(rel: str) -> ModuleType:
    """A benchmark module by path (``benchmarks`` is not on the tests' import path)."""
    import sys

    path = ROOT / rel
    spec = importlib.util.spec_from_file_location(f"_scale_doc_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT))  # bench modules import benchmarks._common
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(ROOT))
    return mod


def test_rss_sampling_interval_is_the_harness_default() -> None:
    common = _module("benchmarks/_common.py")
    interval_s = inspect.signature(common.peak_memory).parameters["interval_s"].default
    assert f"sampled every {round(interval_s * 1000)} ms during a" in _text()


def test_arch_memory_at_a_million_paths() -> None:
    """Three float64 arrays of paths x horizon (``arch``'s simulation keeps the returns,
    the variances and the innovations), at the GARCH benchmark's 1,000,000 paths."""
    garch = _module("benchmarks/bench_garch.py")
    paths, days = garch.CONFIGS["large"]["paths"], garch.DAYS
    gb = 3 * paths * days * 8 / 1e9
    text = " ".join(_text().split())
    assert (
        f"about {round(gb)} GB of memory for that run "
        f"(three float64 arrays of {paths:,} paths by {days} days)" in text
    )


def test_sweep_chunking_and_the_serial_threshold_are_the_code() -> None:
    from gaemi.app.sweep import CHUNK_POINTS, CHUNKS_PER_WORKER, chunk_for_workers
    from gaemi.present.cli.sweep import AUTO_SERIAL_BELOW, FREE_CORES_NEEDED

    text = " ".join(_text().split())
    assert (
        f"chunks of `--chunk` points: {CHUNK_POINTS['feedback']:,} by default for feedback, "
        f"{CHUNK_POINTS['decay']} for decay" in text
    )
    c = chunk_for_workers("feedback", 100_000, 2)
    assert f"at least {CHUNKS_PER_WORKER} chunks per worker" in text
    assert f"100,000 shocks on 2 workers → {-(-100_000 // c)} chunks of {c:,}" in text
    below = AUTO_SERIAL_BELOW["feedback"]
    stated = re.findall(
        r"feedback grid of at least ([\d,]+) points runs on local Dask threads when a core "
        r"is free \(the 1-minute load average, read once at the start, is at most the "
        rf"number of cores minus {FREE_CORES_NEEDED};",
        text,
    )
    stated += re.findall(r"at least ([\d,]+) points \(`AUTO_SERIAL_BELOW`\)", text)
    assert len(stated) == 2
    assert {int(x.replace(",", "")) for x in stated} == {below}
    assert f"cores minus {FREE_CORES_NEEDED} (`FREE_CORES_NEEDED`)" in text
    # the old rule (a feedback grid under N points in this process, whatever the load) is gone
    assert not re.search(r"feedback grid under [\d,]+ points runs in this process", text)


def test_sweep_threshold_reasons_are_the_stored_benchmark() -> None:
    """The reasons docs/scale.md gives for ``AUTO_SERIAL_BELOW["feedback"]``: the grid's 2
    workers ahead in all 5 pairs, behind at 100,000 points, and the break-even of a
    straight line through the grid's best timings at its two sizes (read from
    ``benchmarks/results/sweep-large.json``; skipped where the benchmark has not run)."""
    import json

    import pytest

    from gaemi.present.cli.sweep import AUTO_SERIAL_BELOW

    path = ROOT / "benchmarks" / "results" / "sweep-large.json"
    if not path.exists():
        pytest.skip("no stored sweep-large benchmark here")
    r = json.loads(path.read_text(encoding="utf-8"))
    text = " ".join(_text().split())
    pairs = r["grid_dask_over_serial_pairs"]
    assert f"smallest grid measured with the 2 workers ahead, in all {len(pairs)} pairs" in text
    assert max(pairs) < 1
    assert r["crossover_runs"]["x100k"]["dask_over_serial_best"] > 1
    n1, n2 = r["grid_points"], 3_400_670  # bench_sweep.py: the x3400k grid
    assert f"{n1:,} — the smallest grid" in text
    assert "rounded down" in text
    assert AUTO_SERIAL_BELOW["feedback"] <= n1
    big = r["crossover_runs"]["x3400k"]
    s1, s2 = r["grid_serial_s"], big["serial_s"]
    d1, d2 = r["grid_dask_2_workers_s"], big["dask_2_workers_s"]
    slope_s, slope_d = (s2 - s1) / (n2 - n1), (d2 - d1) / (n2 - n1)
    even = ((d1 - slope_d * n1) - (s1 - slope_s * n1)) / (slope_s - slope_d)
    near = re.findall(r"puts break-even near ([\d,]+) points", text)
    assert near
    assert int(near[0].replace(",", "")) == round(even, -4)
    assert even < AUTO_SERIAL_BELOW["feedback"]  # the line, too, has the workers ahead there
