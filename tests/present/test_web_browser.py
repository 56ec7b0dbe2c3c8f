"""The dashboard in a real headless Chromium: sliders drive the ladder, table and chart.

The server runs in a thread on a free 127.0.0.1 port and stops with the fixture. The
browser is Debian's ``chromium`` driven by Playwright (the ``chromium_launch`` fixture of
``tests/conftest.py``: skipped locally without it, a failure in CI, where ``.ci/run``
installs it). A screenshot is left in ``test-artifacts/dashboard.png``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gaemi.present.cli.common import format_cell, format_usd
from gaemi.units import format_change, format_frac

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``gaemi serve``'s app on a free loopback port, in a thread that stops on teardown."""
    yield from serve_app()


@pytest.fixture(scope="module")
def server_beyond() -> Iterator[str]:
    """``gaemi serve --date 2030-01-01``: a day past every embedded figure."""
    from gaemi.app.state import load_state

    yield from serve_app(load_state(as_of="2030-01-01"))


def serve_app(market_state: Any = None) -> Iterator[str]:
    import uvicorn

    from gaemi.present.web.app import create_app
    from gaemi.present.web.settings import WebSettings

    port = free_port()
    app = create_app(
        WebSettings(port=port, allowed_hosts=("127.0.0.1", "localhost")),
        market_state=market_state,
    )
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def page(server: str, tmp_path: Path, chromium_launch: dict[str, Any]) -> Iterator[Any]:
    """A fresh Chromium profile and page; console errors are collected on ``page.errors``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            **chromium_launch,
            viewport={"width": 1280, "height": 1100},
        )
        try:
            pg = ctx.new_page()
            errors: list[str] = []
            foreign: list[str] = []
            pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.on(
                "request",
                lambda r: (
                    None if r.url.startswith((server, "data:", "blob:")) else foreign.append(r.url)
                ),
            )
            pg.errors = errors
            pg.foreign = foreign
            yield pg
        finally:
            ctx.close()


def wait_renders(pg: Any, more_than: int) -> int:
    pg.wait_for_function(
        f"() => Number(document.body.dataset.renders || 0) > {more_than}", timeout=20_000
    )
    return int(pg.evaluate("Number(document.body.dataset.renders)"))


def table(pg: Any) -> dict[str, list[str]]:
    rows = pg.eval_on_selector_all(
        "#ladder-table tbody tr",
        "trs => trs.map(tr => Array.from(tr.children).map(c => c.textContent))",
    )
    return {r[0]: r[1:] for r in rows}


def chart_y(pg: Any) -> dict[str, list[float]]:
    return dict(
        pg.evaluate(
            "Array.from(document.getElementById('ladder-chart').data)"
            ".map(t => [t.name, Array.from(t.y)])"
        )
    )


def api(server: str, path: str, **params: Any) -> dict[str, Any]:
    r = httpx.get(f"{server}{path}", params=params, timeout=10)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_dashboard_sliders_update_ladder_and_chart(
    page: Any, server: str, artifacts_dir: Path
) -> None:
    pg = page
    pg.goto(server + "/")
    n = wait_renders(pg, 0)
    assert pg.title().startswith("gaemi")
    # Accessible names: every control has a label.
    for label in ("Korean holdings of 3x funds", "Move of every underlying", "KRW per USD"):
        assert pg.get_by_label(label).count() == 1, label
    aum_b = float(pg.input_value("#korean-aum"))
    assert pg.input_value("#move") == "-5"
    before_table = table(pg)
    before_chart = chart_y(pg)
    pg.wait_for_selector("#cascade-section:not([hidden])")
    pg.screenshot(path=str(artifacts_dir / "dashboard-default.png"), full_page=True)
    # The table shows what the API says for −5 % (formatting as the CLI's format_usd).
    want = api(server, "/api/flows", move_frac=-0.05, korean_aum_usd=aum_b * 1e9)
    ndx = next(r for r in want["rows"] if r["underlying_id"] == "NDX")
    assert before_table["NDX"][2] == format_usd(ndx["flow_usd"])
    # the count and the percent cells by the terminal's and the report's rule (format_cell)
    assert before_table["NDX"][0] == format_cell("n_funds", ndx["n_funds"])
    coverage = format_cell("korean_coverage_frac", ndx["korean_coverage_frac"])
    assert before_table["NDX"][5] == coverage
    assert set(before_chart) == {
        "Korean-held",
        "Other holders (known)",
        "Unattributed (no Korean data)",
        "All funds",
    }

    # Move slider: ten steps of 0.5 % down with the keyboard, −5 % → −10 %.
    pg.focus("#move")
    for _ in range(10):
        pg.keyboard.press("ArrowLeft")
    pg.wait_for_function("() => document.getElementById('move').value === '-10'")
    # the sentence writes the move as the tables do (gaemi.units.format_frac: -10.00%)
    pg.wait_for_function(
        f"() => document.getElementById('summary').textContent.includes('{format_frac(-0.10)}')",
        timeout=20_000,
    )
    n = wait_renders(pg, n)
    after_move = table(pg)
    want = api(server, "/api/flows", move_frac=-0.10, korean_aum_usd=aum_b * 1e9)
    ndx10 = next(r for r in want["rows"] if r["underlying_id"] == "NDX")
    # The flow is linear in the move (ΔE = L(L−1)·A·r): twice the −5 % flow.
    assert ndx10["flow_usd"] == pytest.approx(2 * ndx["flow_usd"])
    assert after_move["NDX"][2] == format_usd(ndx10["flow_usd"])
    assert after_move["NDX"][2] != before_table["NDX"][2]
    shape_x = pg.evaluate("document.getElementById('ladder-chart').layout.shapes[0].x0")
    assert shape_x == pytest.approx(-10.0)

    # Korean AUM slider to its maximum: the Korean bars of the chart grow.
    pg.focus("#korean-aum")
    pg.keyboard.press("End")
    pg.wait_for_function("() => document.getElementById('korean-aum').value === '100'")
    pg.wait_for_function(
        "() => document.getElementById('korean-aum-value').textContent === '$100.00B'"
    )
    wait_renders(pg, n)
    pg.wait_for_function(
        "() => document.getElementById('ladder-caption').textContent.includes('$100.00B')",
        timeout=20_000,
    )
    after_aum = chart_y(pg)
    kor_before = sum(abs(v) for v in before_chart["Korean-held"])
    kor_after = sum(abs(v) for v in after_aum["Korean-held"])
    assert kor_after > 5 * kor_before > 0
    want = api(
        server,
        "/api/flows/ladder",
        korean_aum_usd=100e9,
        move_from_frac=-0.2,
        move_to_frac=0.2,
        move_step_frac=0.01,
        by="holder",
    )
    kor_api = [r["flow_usd"] / 1e9 for r in want["rows"] if r["holder"] == "korean"]
    assert after_aum["Korean-held"] == pytest.approx(kor_api)
    assert table(pg)["NDX"][3] != after_move["NDX"][3]  # the Korean flow column moved too

    # Stress: the feedback curve is drawn; less closing liquidity deepens the close.
    pg.wait_for_selector("#stress-section:not([hidden])")
    pg.wait_for_selector("#status-banner:not([hidden])")
    assert pg.text_content("#status-banner").startswith("Status: ")
    final_before = pg.evaluate("document.getElementById('stress-chart').data[2].y[0]")
    curve_before = pg.evaluate("Array.from(document.getElementById('stress-chart').data[1].y)")
    n = int(pg.evaluate("Number(document.body.dataset.renders)"))
    pg.focus("#liquidity")
    pg.keyboard.press("Home")  # ×0.25 of the scenario's liquidity
    pg.wait_for_function("() => document.getElementById('liquidity-value').textContent === '×0.25'")
    n = wait_renders(pg, n)
    pg.wait_for_function(
        f"() => document.getElementById('stress-chart').data[2].y[0] !== {final_before}",
        timeout=20_000,
    )
    final_after = pg.evaluate("document.getElementById('stress-chart').data[2].y[0]")
    curve_after = pg.evaluate("Array.from(document.getElementById('stress-chart').data[1].y)")
    want = api(
        server,
        "/api/stress",
        underlying="NDX",
        shock_frac=-0.10,
        korean_aum_usd=100e9,
        liquidity_scale=0.25,
    )["result"]
    assert final_after == pytest.approx(want["final_move_frac"] * 100)
    assert final_after < final_before <= -10.0  # a thinner close amplifies the fall
    assert curve_after != curve_before
    assert "shock into the close ends at" in pg.text_content("#stress-summary")

    # Cascade: the −10 % move reaches KOSPI; the chart shows what the API says for the
    # same Korean AUM slider ($100B), which now drives the cascade too.
    pg.wait_for_selector("#cascade-section:not([hidden])")
    casc = api(server, "/api/cascade", shock_frac=-0.10, korean_aum_usd=100e9)
    kospi = next(b for b in casc["bands"] if b["node"] == "KOSPI")
    y = pg.evaluate("Array.from(document.getElementById('cascade-chart').data[0].y)")
    x = pg.evaluate("Array.from(document.getElementById('cascade-chart').data[0].x)")
    assert x[y.index("KOSPI")] == pytest.approx(kospi["change_mean"] * 100)
    # the sentence writes each change as the terminal's bands table (gaemi.units.format_change)
    pg.wait_for_function(
        f"() => document.getElementById('cascade-summary').textContent.includes("
        f"'KOSPI {format_change(kospi['change_mean'], kospi['change_unit'])}')",
        timeout=20_000,
    )
    assert pg.locator("#cascade-steps tbody tr").count() == len(casc["steps"])

    # Decay: the closed-form erosion of the chosen fund, as the API computes it.
    pg.wait_for_selector("#decay-section:not([hidden])")
    pg.wait_for_function("() => Number(document.body.dataset.decayRenders || 0) > 0")
    fund = pg.input_value("#decay-fund")
    ero = api(server, "/api/decay/erosion", ticker=fund, vol_annual=[0.45], months=[6])
    traces = pg.evaluate(
        "Array.from(document.getElementById('decay-chart').data)"
        ".map(t => [t.name, Array.from(t.x), Array.from(t.y)])"
    )
    _, xs, ys = next(t for t in traces if t[0] == "σ 45%")
    assert ys[xs.index(6)] == pytest.approx(-ero["rows"][0]["loss_frac"] * 100)

    # Crypto: a deeper BTC move liquidates more; the chart matches the API.
    pg.wait_for_selector("#crypto-section:not([hidden])")
    c0 = pg.evaluate("Number(document.body.dataset.cryptoRenders || 0)")
    pg.focus("#crypto-move")
    for _ in range(5):
        pg.keyboard.press("ArrowLeft")  # −10 % → −15 %
    pg.wait_for_function("() => document.getElementById('crypto-move').value === '-15'")
    pg.wait_for_function(
        "() => document.getElementById('crypto-summary').textContent"
        f".startsWith('A {format_frac(-0.15)} BTC')",
        timeout=20_000,
    )
    assert pg.evaluate("Number(document.body.dataset.cryptoRenders)") > c0
    crypto = api(server, "/api/crypto", asset="BTC", shock_frac=-0.15)
    longs = pg.evaluate("Array.from(document.getElementById('crypto-chart').data[0].y)")
    assert sum(longs) == pytest.approx(
        sum(a["liquidated_long_usd"] for a in crypto["assets"]) / 1e9
    )
    # The summary's Korean figure is the API's total row, converted at its own rate.
    total = next(r for r in crypto["korea"] if r["holder"] == "total")
    want_text = f"Korean holders: {format_usd(total['pnl_krw'] / crypto['usdkrw'])} "
    assert want_text in pg.text_content("#crypto-summary")

    # KRW with 조/억 units, and Seoul time.
    pg.click("label[for=ccy-krw]")
    pg.wait_for_function("() => document.getElementById('summary').textContent.includes('₩')")
    assert "조" in table(pg)["NDX"][2]
    assert pg.evaluate(
        "document.getElementById('ladder-chart').layout.yaxis.title.text"
    ).startswith("KRW 조")
    pg.click("label[for=tz-kst]")
    pg.wait_for_function("() => document.getElementById('clock').textContent.includes('KST')")
    assert "06:00 KST" in pg.text_content("#clock") or "05:00 KST" in pg.text_content("#clock")

    pg.screenshot(path=str(artifacts_dir / "dashboard.png"), full_page=True)
    assert pg.is_hidden("#error-banner"), pg.text_content("#error-banner")
    assert pg.errors == [], pg.errors
    assert pg.foreign == [], f"the page fetched from elsewhere: {pg.foreign}"


def test_dashboard_reports_api_errors(page: Any, server: str) -> None:
    # A rate outside its bounds is refused on the page, with a message, not a console error.
    pg = page
    pg.goto(server + "/")
    wait_renders(pg, 0)
    pg.fill("#fx-rate", "5")
    pg.dispatch_event("#fx-rate", "change")
    pg.wait_for_selector("#error-banner:not([hidden])")
    assert "KRW per USD = 5" in pg.text_content("#error-banner")
    assert pg.errors == [], pg.errors


def overflow_px(pg: Any) -> int:
    """How far the page is wider than its viewport (0 = no horizontal scrolling)."""
    return int(
        pg.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        )
    )


def wide_elements(pg: Any) -> list[str]:
    """Elements whose right edge passes the viewport (to name the culprit on failure)."""
    return list(
        pg.evaluate(
            "Array.from(document.querySelectorAll('body *'))"
            ".filter(e => e.getBoundingClientRect().right"
            " > document.documentElement.clientWidth + 1)"
            ".slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className"
            " + ' ' + Math.round(e.getBoundingClientRect().right))"
        )
    )


def test_dashboard_fits_a_phone(page: Any, server: str, artifacts_dir: Path) -> None:
    # Issue 19: the dashboard was 656 px wide on a 390 px phone. At 390×844 (an iPhone 12-15
    # viewport) every section renders and nothing scrolls sideways; at 1280 neither.
    pg = page
    for width, height, name in (
        (1280, 1100, "dashboard-wide.png"),
        (390, 844, "dashboard-390.png"),
    ):
        pg.set_viewport_size({"width": width, "height": height})
        pg.goto(server + "/")
        wait_renders(pg, 0)
        for section in ("#stress-section", "#cascade-section", "#decay-section", "#crypto-section"):
            pg.wait_for_selector(f"{section}:not([hidden])", timeout=20_000)
        pg.wait_for_timeout(500)  # Plotly's responsive resize runs after the first draw
        pg.screenshot(path=str(artifacts_dir / name), full_page=True)
        assert overflow_px(pg) <= 0, (width, overflow_px(pg), wide_elements(pg))
    assert pg.errors == [], pg.errors
    assert pg.foreign == [], f"the page fetched from elsewhere: {pg.foreign}"


def test_api_docs_render_offline(page: Any, server: str, artifacts_dir: Path) -> None:
    # /api/docs is Swagger UI from the fastapi-offline package (web extra): the page loads
    # nothing from a CDN (pg.foreign) and lists the endpoints of /api/openapi.json.
    pg = page
    paths = api(server, "/api/openapi.json")["paths"]
    pg.goto(server + "/api/docs")
    pg.wait_for_selector(".opblock-summary-path", timeout=20_000)
    shown = set(
        pg.eval_on_selector_all(
            ".opblock-summary-path", "els => els.map(e => e.getAttribute('data-path'))"
        )
    )
    assert shown == set(paths), sorted(set(paths) ^ shown)
    pg.screenshot(path=str(artifacts_dir / "api-docs.png"))
    assert pg.foreign == [], f"the docs page fetched from elsewhere: {pg.foreign}"
    assert pg.errors == [], pg.errors


#: Each chart's widest Plotly svg, its own div and its card's content box, in CSS px.
CHART_WIDTHS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
  .filter(d => d.offsetParent !== null)
  .map(d => {
    const card = d.closest('section');
    const cs = getComputedStyle(card);
    const inner = card.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const svg = Math.max(...Array.from(d.querySelectorAll('svg.main-svg'))
      .map(s => s.getBoundingClientRect().width));
    return [d.id, svg, inner];
  })"""


def charts_too_wide(pg: Any) -> list[tuple[str, float, float]]:
    """Charts drawn wider than their card (id, svg px, card px)."""
    rows = pg.evaluate(CHART_WIDTHS_JS)
    assert rows, "no chart on the page"
    return [(i, s, c) for i, s, c in rows if s > c + 0.5]


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1400, 1000)])
def test_dashboard_charts_fit_their_cards(
    page: Any, server: str, artifacts_dir: Path, width: int, height: int
) -> None:
    # Issue 19: in a 390 px screenshot the flow-ladder chart was drawn wider than its card
    # (x axis cut at +10%) though the page did not scroll sideways: Plotly's `responsive`
    # follows window resizes only. Every chart's svg is within its card after the first
    # draw, after its card narrows with no window resize (as when a scrollbar appears or
    # the grid re-flows: 48 px of padding added to <main>), and after a full-page capture.
    pg = page
    pg.set_viewport_size({"width": width, "height": height})
    pg.goto(server + "/")
    wait_renders(pg, 0)
    for section in ("#stress-section", "#cascade-section", "#decay-section", "#crypto-section"):
        pg.wait_for_selector(f"{section}:not([hidden])", timeout=20_000)
    pg.wait_for_function(
        "() => document.querySelectorAll('#crypto-chart svg.main-svg').length > 0"
        " && document.querySelectorAll('#decay-chart svg.main-svg').length > 0",
        timeout=20_000,
    )
    pg.wait_for_timeout(300)
    assert charts_too_wide(pg) == []
    before = {i: c for i, _s, c in pg.evaluate(CHART_WIDTHS_JS)}
    pg.evaluate("document.querySelector('main').style.paddingRight = '56px'")
    pg.wait_for_timeout(600)
    after = {i: c for i, _s, c in pg.evaluate(CHART_WIDTHS_JS)}
    assert after["ladder-chart"] < before["ladder-chart"] - 20  # the cards did narrow
    assert charts_too_wide(pg) == []
    pg.evaluate("document.querySelector('main').style.paddingRight = ''")
    pg.wait_for_timeout(600)
    pg.screenshot(path=str(artifacts_dir / f"dashboard-charts-{width}.png"), full_page=True)
    pg.locator("section:has(#ladder-chart)").screenshot(
        path=str(artifacts_dir / f"dashboard-ladder-{width}.png")
    )
    assert charts_too_wide(pg) == []
    assert pg.errors == [], pg.errors


@pytest.mark.parametrize("case", ["embedded", "beyond"])
def test_dashboard_status_reads_stale_with_its_age(
    page: Any, server: str, server_beyond: str, case: str, artifacts_dir: Path
) -> None:
    # Issue 19 item 4: the headline status carries the age of its newest input and reads
    # stale past the rules' limit, in the words of `gaemi monitor` (tests/present/
    # test_stale_faces.py for the terminal, JSON and HTML): on the embedded snapshot served
    # today and on `gaemi serve --date 2030-01-01`. The age is the served day minus the
    # newest indicator as-of date of /api/status.
    import datetime as dt

    base = server if case == "embedded" else server_beyond
    body = api(base, "/api/status")
    dated = [i for i in body["indicators"] if i["as_of"]]
    newest = max(i["as_of"] for i in dated)
    day = dt.date(2030, 1, 1) if case == "beyond" else dt.datetime.now(dt.UTC).date()
    age = (day - dt.date.fromisoformat(newest)).days
    assert body["stale"] is True
    assert age > body["stale_after_days"]
    pg = page
    pg.goto(base + "/")
    pg.wait_for_selector("#status-banner:not([hidden])", timeout=20_000)
    text = " ".join(pg.text_content("#status-banner").split())
    if case == "beyond":  # a served day past the data: no status (gaemi.app.status rule)
        assert text == body["status_text"], text
        assert text.startswith(f"no status: 2030-01-01 is {age:,} days after"), text
        assert pg.get_attribute("#status-banner", "data-level") == "n/a"  # no LOW green
        assert f"({newest}; limit {body['stale_after_days']} days)" in text, text
    else:
        assert text.startswith(
            f"Status: {body['status']} — stale: newest market data {age} days"
        ), text
        assert f"(as of {newest}; limit {body['stale_after_days']} days)" in text, text
    assert pg.get_attribute("#status-banner", "data-stale") == "true"
    pg.locator("#status-banner").screenshot(path=str(artifacts_dir / f"status-{case}.png"))
    assert pg.errors == [], pg.errors
