"""docs/scale.md holds (issue 19 item 7): the figures of the page that are not timings are
computed here from the code they describe (the timings map to benchmark keys in
tests/docs/claims_scale.py, held to the stored results by tests/test_docs_figures.py).

* the peak-memory sampling interval is ``benchmarks/_common.py::peak_memory``'s default;
* ``arch``'s memory at 1,000,000 paths is its three float64 arrays of paths x horizon
  (horizon and paths from ``benchmarks/bench_garch.py``);
* the sweep's chunking and the size below which the command line runs a feedback sweep
  in one process are the constants of ``gaemi.app.sweep`` and ``gaemi.present.cli.sweep``.

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
    from gaemi.present.cli.sweep import AUTO_SERIAL_BELOW

    text = " ".join(_text().split())
    assert (
        f"chunks of `--chunk` points: {CHUNK_POINTS['feedback']:,} by default for feedback, "
        f"{CHUNK_POINTS['decay']} for decay" in text
    )
    c = chunk_for_workers("feedback", 100_000, 2)
    assert f"at least {CHUNKS_PER_WORKER} chunks per worker" in text
    assert f"100,000 shocks on 2 workers → {-(-100_000 // c)} chunks of {c:,}" in text
    below = AUTO_SERIAL_BELOW["feedback"]
    found = re.findall(r"feedback grid under ([\d,]+) points runs in this process", text)
    assert found
    assert {int(x.replace(",", "")) for x in found} == {below}
