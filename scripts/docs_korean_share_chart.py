"""Draw docs/img/korean_share.png: the Korean share of six leveraged funds, 2020-2026.

The figure is computed by :func:`gaemi.data.korean_share.korean_share_daily` from
../shared/data (KSD custody over the fund's AUM; see docs/korea.md §2) and drawn with the
Plotly bundle the report already ships, then photographed by headless Chromium (Debian's
``chromium``: ``bash scripts/install_chromium.sh``). Gaps (share unknown) stay gaps.

Usage: ``python scripts/docs_korean_share_chart.py [DATA_DIR] [OUT_PNG]``
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from gaemi.data.korean_share import STUDY_FUNDS, korean_share_daily

# the browser flags of the tests (tests/_chromium.py): one list for Debian's chromium here
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _chromium import CHROMIUM_ARGS


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parents[2] / "shared/data"
    out = (
        Path(argv[2])
        if len(argv) > 2
        else Path(__file__).resolve().parents[1] / "docs/img/korean_share.png"
    )
    chromium = shutil.which("chromium")
    if chromium is None:
        print("error: chromium not found (bash scripts/install_chromium.sh)", file=sys.stderr)
        return 2
    import plotly

    table = korean_share_daily(root, STUDY_FUNDS)
    traces = []
    for t in STUDY_FUNDS:
        d = table[table["ticker"] == t].sort_values("date")
        if d["korean_share"].notna().sum() == 0:
            continue  # e.g. SOXS: never a known share (docs/korea.md §2)
        traces.append(
            {
                "x": [x.strftime("%Y-%m-%d") for x in d["date"]],
                "y": [None if v != v else round(100 * float(v), 3) for v in d["korean_share"]],
                "name": t,
                "mode": "lines",
                "connectgaps": False,
            }
        )
    layout = {
        "title": {"text": "Korean share of fund AUM (KSD custody / AUM), 2020–2026"},
        "yaxis": {"title": {"text": "% of AUM"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        "margin": {"l": 60, "r": 20, "t": 80, "b": 70},
        "annotations": [
            {
                "text": "gaps: share unknown (fund off the top-50 list, or AUM not known that day)",
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": -0.16,
                "showarrow": False,
                "font": {"size": 11, "color": "#555"},
            }
        ],
    }
    bundle = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    html = (
        "<html><body style='margin:0'><div id='c' style='width:1000px;height:520px'></div>"
        f"<script>{bundle}</script><script>Plotly.newPlot('c',{json.dumps(traces)},"
        f"{json.dumps(layout)},{{staticPlot:true}});</script></body></html>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "chart.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                chromium,
                *CHROMIUM_ARGS,
                f"--user-data-dir={tmp}/profile",
                "--hide-scrollbars",
                "--window-size=1000,540",
                "--virtual-time-budget=5000",
                f"--screenshot={out}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(f"wrote {out} ({len(traces)} funds)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
