"""docs/web.md holds (issue 19 item 7): the ranges the page gives for the dashboard's
controls and charts, and the API's money bound, are those of the code it describes
(``static/index.html``, ``static/app.js``, ``gaemi.limits``)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "src" / "gaemi" / "present" / "web" / "static"


def _text() -> str:
    return " ".join((ROOT / "docs" / "web.md").read_text(encoding="utf-8").split())


def _js_list(name: str) -> list[float]:
    js = (STATIC / "app.js").read_text(encoding="utf-8")
    m = re.search(rf"const {name} = \[([^\]]*)\]", js)
    assert m is not None, name
    return [float(x) for x in m.group(1).split(",")]


def _js_range(name: str) -> tuple[float, float]:
    js = (STATIC / "app.js").read_text(encoding="utf-8")
    m = re.search(rf"const {name} = {{ from: ([-\d.]+), to: ([-\d.]+),", js)
    assert m is not None, name
    return float(m.group(1)), float(m.group(2))


def _pct(v: float) -> str:
    return f"{v * 100:+.0f} %".replace("-", "−")


def test_dashboard_ranges_are_the_pages() -> None:
    text = _text()
    html = (STATIC / "index.html").read_text(encoding="utf-8")
    move = re.search(r'<input type="range" id="move" min="([-\d.]+)" max="([-\d.]+)"', html)
    assert move is not None
    lo, hi = float(move.group(1)) / 100, float(move.group(2)) / 100  # the slider is in %
    assert f"the move of every underlying ({_pct(lo)} … {_pct(hi)})" in text
    ladder = _js_range("LADDER")
    assert f"at every move from {_pct(ladder[0])} to {_pct(ladder[1])}" in text
    vols, months = _js_list("DECAY_VOLS"), _js_list("DECAY_MONTHS")
    assert (
        f"over {min(months):.0f}–{max(months):.0f} months at "
        f"{min(vols) * 100:.0f} %–{max(vols) * 100:.0f} % volatility"
    ) in text
    js = (STATIC / "app.js").read_text(encoding="utf-8")
    case = re.search(r"Math.abs\(r.vol_annual - ([\d.]+)\) < 1e-9 && r.months === (\d+)", js)
    assert case is not None
    words = {6: "six"}
    assert f"the {words[int(case.group(2))]}-month, {float(case.group(1)) * 100:.0f} % case" in text


def test_money_bound_is_the_limit() -> None:
    from gaemi.limits import MAX_AUM_USD
    from gaemi.present.web.models import MAX_MOVES

    assert f"money in USD up to ${MAX_AUM_USD / 1e12:.0f}T, at most {MAX_MOVES} moves" in _text()
