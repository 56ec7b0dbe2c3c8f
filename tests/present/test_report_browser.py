"""The HTML report in a real headless Chromium, opened from a file:// URL, offline: it
loads without errors, fits a wide screen (1400 px) and a phone (390×844) with no
horizontal page overflow, and every engine section has a drawn chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gaemi.present.cli import main

pytestmark = pytest.mark.browser

#: (name, viewport) of the screens the report must fit (issue 19: 1400 px and 390×844).
SCREENS = [("wide", {"width": 1400, "height": 900}), ("phone", {"width": 390, "height": 844})]

#: What the page says about itself: sections, those with a drawn Plotly chart, the page's
#: width against the viewport's, and any element wider than the viewport.
MEASURE = """() => {
  const secs = [...document.querySelectorAll('section.engine')];
  const vw = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter((e) => !(e instanceof SVGElement) && !e.closest('.tbl'))
    .filter((e) => e.getBoundingClientRect().right > vw + 1)
    .slice(0, 5).map((e) => e.tagName + '.' + e.className + '#' + e.id);
  return {
    sections: secs.map((s) => s.id),
    with_numbers: secs.filter((s) => s.querySelector('table')).map((s) => s.id),
    charted: secs.filter((s) => s.querySelector('.js-plotly-plot .main-svg')).map((s) => s.id),
    scroll_width: document.documentElement.scrollWidth,
    viewport: vw,
    wide: wide,
  };
}"""


def _open(
    chromium_launch: dict[str, Any], out: Path, shots: Path, tag: str
) -> tuple[dict[str, dict[str, Any]], list[str], list[str]]:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    seen: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch)
        try:
            for name, viewport in SCREENS:
                page = browser.new_page(viewport=viewport)
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("request", lambda r: requests.append(r.url))
                page.goto(out.as_uri())
                page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20_000)
                page.wait_for_timeout(500)  # responsive charts resize to their box
                seen[name] = page.evaluate(MEASURE)
                seen[name]["status"] = page.locator("#status").inner_text()
                page.screenshot(path=str(shots / f"report-{tag}-{name}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    return seen, errors, requests


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="embedded"),
        pytest.param(["--krw"], id="krw"),
    ],
)
def test_report_fits_and_charts_every_section(
    args: list[str],
    chromium_launch: dict[str, Any],
    tmp_path: Path,
    artifacts_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "report.html"
    assert main(["report", "--html", str(out), "--format", "json", *args]) == 0
    capsys.readouterr()
    tag = "-".join(a.strip("-") for a in args) or "default"
    seen, errors, requests = _open(chromium_launch, out, artifacts_dir, tag)
    assert errors == []
    # offline: nothing but the file itself (and inline data: URIs) was requested
    assert all(u.startswith(("file:", "data:", "blob:")) for u in requests), requests
    for name, m in seen.items():
        assert "gaemi risk status" in m["status"]
        # the engine sections of the embedded report, each with numbers and a chart
        assert set(m["sections"]) >= {
            "sec-flows",
            "sec-today",
            "sec-stress",
            "sec-cascade",
            "sec-decay",
            "sec-crypto",
        }, name
        missing = [s for s in m["with_numbers"] if s not in m["charted"]]
        assert missing == [], f"{name}: sections without a chart: {missing}"
        assert m["scroll_width"] <= m["viewport"], f"{name}: page overflows: {m}"
        assert m["wide"] == [], f"{name}: elements wider than the screen: {m['wide']}"


def test_report_past_day_with_data_fits(
    chromium_launch: dict[str, Any],
    shared_data: Path,
    tmp_path: Path,
    artifacts_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A past day from ../shared/data adds the funds, replay and Korean-money sections:
    each with its chart, on both screens."""
    out = tmp_path / "report.html"
    rc = main(
        ["report", "--data-dir", str(shared_data), "--date", "2025-04-04", "--html", str(out)]
    )
    assert rc == 0
    capsys.readouterr()
    seen, errors, _ = _open(chromium_launch, out, artifacts_dir, "2025-04-04")
    assert errors == []
    for name, m in seen.items():
        assert {"sec-funds", "sec-replay", "sec-korea"} <= set(m["sections"]), name
        missing = [s for s in m["with_numbers"] if s not in m["charted"]]
        assert missing == [], f"{name}: sections without a chart: {missing}"
        assert m["scroll_width"] <= m["viewport"], f"{name}: page overflows: {m}"
