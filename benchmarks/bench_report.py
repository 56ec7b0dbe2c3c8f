"""`gaemi report` end to end (process start, imports, engines, HTML) — target < 10 s.

Issue 8: the README's main job must produce the HTML report in under 10 s on this machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _once(out: Path) -> float:
    exe = Path(sys.executable).with_name("gaemi")
    t0 = time.perf_counter()
    subprocess.run(
        [str(exe), "report", "--html", str(out)], check=True, capture_output=True, text=True
    )
    return time.perf_counter() - t0


def run(config: str = "small") -> dict[str, Any]:
    repeat = 2 if config == "small" else 5
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "r.html"
        first = _once(out)  # warm-up and correctness check
        html = out.read_text(encoding="utf-8")
        if "gaemi risk status" not in html or "Plotly.newPlot" not in html:
            raise RuntimeError("report HTML is missing its status or charts")
        times = [_once(out) for _ in range(repeat)]
        size = out.stat().st_size
    return {
        "first_run_s": first,
        "best_s": min(times),
        "runs_s": times,
        "html_bytes": size,
        "target_s": 10.0,
        "meets_target": min(times) < 10.0,
    }
