"""The HTML report in a real headless Chromium, opened from a file:// URL, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gaemi.present.cli import main

pytestmark = pytest.mark.browser


def test_report_page_loads_with_charts(
    chromium_launch: dict[str, Any],
    tmp_path: Path,
    artifacts_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report.html"
    assert main(["report", "--html", str(out), "--format", "json"]) == 0
    capsys.readouterr()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1800})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(out.as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=15_000)
            n_charts = page.locator(".js-plotly-plot").count()
            status = page.locator("#status").inner_text()
            page.screenshot(path=str(artifacts_dir / "report.png"), full_page=False)
        finally:
            browser.close()
    assert errors == []
    assert n_charts >= 2
    assert "gaemi risk status" in status
    # offline: nothing but the file itself (and inline data: URIs) was requested
    assert all(u.startswith(("file:", "data:", "blob:")) for u in requests), requests
