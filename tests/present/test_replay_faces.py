"""The account replay on every face (issue 20): the CLI's JSON, POST /api/investor/replay
and the Python call give one document; bad input is one line naming the field and value;
the HTML page is self-contained.

Prices and USD/KRW come from ../shared/data (the ``shared_data`` fixture; skipped without it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gaemi.present.cli import main

#: A mixed account: two funds, a loan, monthly deposits, quarterly rebalancing and a short
#: forward simulation (seeded), so every part of the document is filled.
ACCOUNT: dict[str, Any] = {
    "start": "2024-07-01",
    "end": "2025-06-30",
    "capital": 100_000_000.0,
    "currency": "KRW",
    "positions": {"TSLL": 0.5, "NVDL": 0.5},
    "margin": 0.3,
    "deposit": 1_000_000.0,
    "rebalance": "quarterly",
    "forward_paths": 300,
    "seed": 3,
}
CLI_ARGS = [
    "investor",
    "--replay",
    "--from",
    "2024-07-01",
    "--to",
    "2025-06-30",
    "--capital",
    "100M",
    "-p",
    "TSLL=0.5",
    "-p",
    "NVDL=0.5",
    "--margin",
    "0.3",
    "--deposit",
    "1M",
    "--rebalance",
    "quarterly",
    "--compare-paths",
    "300",
    "--seed",
    "3",
    "--format",
    "json",
]


@pytest.fixture
def client(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import warnings

    from gaemi.present.web.app import create_app

    # Starlette warns that its httpx-based TestClient is deprecated; it is what FastAPI ships
    # (as in tests/present/test_web_api.py).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    monkeypatch.setenv("GAEMI_SHARED_DATA", str(shared_data))
    with TestClient(create_app()) as c:
        yield c


def test_cli_json_equals_api_equals_python(
    client: Any, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gaemi.app.account import replay_account
    from gaemi.app.state import load_state

    res = replay_account(
        load_state(),
        ACCOUNT["capital"],
        list(ACCOUNT["positions"].items()),
        start=ACCOUNT["start"],
        end=ACCOUNT["end"],
        data_dir=shared_data,
        margin=ACCOUNT["margin"],
        deposit=ACCOUNT["deposit"],
        rebalance=ACCOUNT["rebalance"],
        forward_paths=ACCOUNT["forward_paths"],
        rng=ACCOUNT["seed"],
    )
    python = json.loads(json.dumps(res.to_dict(), allow_nan=False))

    rc = main(CLI_ARGS)
    out = capsys.readouterr()
    assert rc == 0, out.err
    cli = json.loads(out.out)

    r = client.post("/api/investor/replay", json=ACCOUNT)
    assert r.status_code == 200, r.text
    api = r.json()

    assert cli == python
    assert api == python
    # the document is not empty: every part the faces show is there
    assert python["kind"] == "replay"
    assert len(python["records"]) > 200
    assert python["forward"]
    assert {"date", "equity_krw", "equity_usd", "drawdown_frac"} <= set(python["records"][0])
    assert python["contributed_krw"] == 100e6 + 1e6 * 11  # 11 month starts after July 2024


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (
            {"start": "1990-01-02", "forward_paths": 0},
            "from = '1990-01-02' is before TSLL's first close 2022-08-09",
        ),
        (
            {"start": "2005-01-03", "positions": {"TSLA": 1.0}, "backfill": True},
            (
                "positions: 'TSLA' has no history before 2010-06-29 and is not a fund in the "
                "universe (no index to backfill from since 2005-01-03)"
            ),
        ),
        ({"positions": {"TSLL": 0.5, "NVDL": 0.4}}, "weights sum to 0.9; they must sum to 1"),
        ({"deposit": -1e6}, "deposit = -1000000.0 must be >= 0"),
        ({"positions": {"NOPE": 1.0}}, "positions: 'NOPE' has no us-adjclose-1993-2026/NOPE.csv"),
        (
            {"start": "2010-01-04", "end": None, "forward_paths": 20_000},
            "forward_paths = 20000: × ",
        ),
        ({"rebalance": "weekly"}, "rebalance = 'weekly' must be one of none, monthly, quarterly"),
    ],
)
def test_api_bad_input_is_one_line_422(client: Any, change: dict[str, Any], detail: str) -> None:
    body = {**ACCOUNT, "forward_paths": 0, **change}
    r = client.post("/api/investor/replay", json=body)
    assert r.status_code == 422, r.text
    got = r.json()["detail"]
    assert isinstance(got, str)
    assert "\n" not in got
    assert got.startswith(detail)


def test_api_rejects_unknown_fields_and_types(client: Any) -> None:
    r = client.post("/api/investor/replay", json={**ACCOUNT, "leverage": 3})
    assert r.status_code == 422
    r = client.post("/api/investor/replay", json={**ACCOUNT, "margin": -0.5})
    assert r.status_code == 422


def test_html_page_backfilled_usd_account(shared_data: Path) -> None:
    # A USD account without a loan, SOXL backfilled from SOXX before its 2010-03-11 start:
    # the page marks the synthetic days and has no collateral-ratio chart.
    from gaemi.app.account import replay_account
    from gaemi.present.report.replay_html import figures, render_replay_html

    res = replay_account(
        None,
        100_000.0,
        [("SOXL", 1.0)],
        start="2009-01-02",
        end="2012-12-31",
        data_dir=shared_data,
        currency="USD",
        backfill=True,
    )
    assert res.daily["synthetic"].any()
    assert len(figures(res)) == 2  # equity and drawdown; no loan, no ratio chart
    page = render_replay_html(res)
    assert page.startswith("<!DOCTYPE html>")
    assert "synthetic (index + NAV engine)" in page
    assert "SOXL: synthetic before 2010-03-11" in page
    assert 'src="http' not in page
    assert "<script src" not in page  # Plotly inlined: works offline from file://


def test_html_page_margin_account_marks_events(shared_data: Path, tmp_path: Path) -> None:
    from gaemi.app.account import replay_account
    from gaemi.present.report.replay_html import figures, render_replay_html

    res = replay_account(
        None, 140e6, [("SOXL", 1.0)], start="2024-07-01", data_dir=shared_data, margin=0.5
    )
    figs = figures(res)
    assert len(figs) == 3
    names = {t.name for t in figs[0].data}
    assert {"margin call", "forced sale", "ruined (−90 %)"} <= names
    # the markers sit on the days of the events
    calls = next(t for t in figs[0].data if t.name == "margin call")
    first = min(str(x)[:10] for x in calls.x)
    assert first == "2024-09-06"
    page = render_replay_html(res)
    assert "2025-01-30" in page
    assert "<html lang='en'>" in page


@pytest.mark.browser
def test_dashboard_section_and_html_page_in_chromium(
    shared_data: Path,
    chromium_launch: dict[str, Any],
    artifacts_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The dashboard's replay section fills from the API on load (the seed account), and the
    # --html page opens from file:// with its charts, both wide (1280 px) and on a phone
    # (390 px); screenshots in test-artifacts/replay-*.png.
    import socket
    import threading
    import time

    import uvicorn
    from playwright.sync_api import sync_playwright

    from gaemi.app.account import replay_account
    from gaemi.present.report.replay_html import render_replay_html
    from gaemi.present.web.app import create_app
    from gaemi.present.web.settings import WebSettings

    monkeypatch.setenv("GAEMI_SHARED_DATA", str(shared_data))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    srv = uvicorn.Server(
        uvicorn.Config(create_app(WebSettings(port=port)), port=port, log_level="warning")
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    page_file = tmp_path / "replay.html"
    res = replay_account(
        None, 140e6, [("SOXL", 1.0)], start="2024-07-01", data_dir=shared_data, margin=0.5
    )
    page_file.write_text(render_replay_html(res), encoding="utf-8")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(**chromium_launch)
            for width in (1280, 390):
                pg = browser.new_page(viewport={"width": width, "height": 900})
                errors: list[str] = []

                def on_console(m: Any, errs: list[str] = errors) -> None:
                    if m.type == "error":
                        errs.append(m.text)

                def on_error(e: Any, errs: list[str] = errors) -> None:
                    errs.append(str(e))

                pg.on("console", on_console)
                pg.on("pageerror", on_error)
                pg.goto(f"http://127.0.0.1:{port}/")
                pg.wait_for_selector("#replay-events tbody tr", timeout=60_000)
                summary = pg.locator("#replay-summary").text_content() or ""
                assert "first on 2024-09-06" in summary
                assert "first on 2025-01-30" in summary
                assert pg.locator("#replay-chart .main-svg").count() >= 1
                rows = pg.locator("#replay-events tbody tr").all_text_contents()
                assert any("2025-01-30" in r and "forced sale" in r for r in rows)
                # the amounts of a won account: the header carries ₩ (as the terminal's)
                heads = pg.locator("#replay-events thead th").all_text_contents()
                assert "Amount (₩)" in heads
                # the section fits the phone: no sideways scroll of the page
                assert pg.evaluate("document.documentElement.scrollWidth") <= width
                pg.locator("#replay-section").screenshot(
                    path=str(artifacts_dir / f"replay-dashboard-{width}.png")
                )
                pg.goto(page_file.as_uri())
                pg.wait_for_selector("#replay-chart-0 .main-svg")
                assert pg.locator(".main-svg").count() >= 3
                assert pg.evaluate("document.documentElement.scrollWidth") <= width
                pg.screenshot(path=str(artifacts_dir / f"replay-html-{width}.png"), full_page=True)
                assert errors == []
                pg.close()
            browser.close()
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
