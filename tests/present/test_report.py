"""`gaemi report`: JSON for machines, a self-contained HTML file, KRW units, sources."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gaemi.present.cli import main
from gaemi.units import format_frac


@pytest.mark.parametrize(
    ("col", "value", "fx", "text"),
    [
        # money: $ with B/M (gaemi.app.result.format_usd), ₩ with 조/억 (format_krw), the
        # one rule of every face — not the old "22조 1,514억 원" nor "-2.497e+10"
        ("flow_usd", -2.497e10, None, "-$24.97B"),
        ("flow_usd", -5.97e7, None, "-$59.7M"),
        ("flow_usd", 1e9, 1500.0, "₩1.50조"),  # 1e9 USD × 1500 KRW/USD = 1.5e12 = 1.5조
        ("korean_loss_krw", -2.2151e13, None, "-₩22.15조"),
        ("korean_held_krw", 1.514e11, None, "₩1,514억"),
        # moves carry a sign and two decimals, shares no sign and one decimal (the one
        # rule of gaemi.units.format_cell: the terminal writes the same cell)
        ("move_frac", -0.05, None, "-5.00%"),  # -0.05 × 100 = -5.00 %
        ("move_frac", 0.0, None, "0.00%"),  # no sign on zero
        ("move_frac", -4e-6, None, "0.00%"),  # -0.0004 % rounds to zero: never "-0.00%"
        ("move_frac", 0.013270549, None, "+1.33%"),
        ("btc_final_move_frac", -0.14159, None, "-14.16%"),
        ("korean_share_frac", 0.43, None, "43.0%"),
        ("korean_share", 0.1178076, None, "11.8%"),
        ("loss_6m_flat_frac", 0.13539, None, "13.5%"),
        # plain amounts: digits, never scientific notation
        ("claimed", 43_100_000_000.0, None, "43,100,000,000"),
        ("n_funds", 3.0, None, "3"),
        ("leverage", -3.0, None, "-3×"),
        ("pressure_ratio", 0.667445, None, "0.67×"),
        ("ndx_pressure_ratio", 0.3406, None, "0.34×"),
        ("halted", False, None, "no"),
        ("flow_usd", float("nan"), None, "—"),
    ],
)
def test_report_cell_formats(col: str, value: float, fx: float | None, text: str) -> None:
    from gaemi.present.report.render import cell

    assert cell(col, value, fx) == text


@pytest.mark.parametrize(
    ("col", "fx", "label"),
    [
        ("ndx_flow_usd", None, "NDX flow at close ($)"),
        ("sox_korean_flow_usd", None, "SOX Korean-held flow at close ($)"),
        ("sox_korean_flow_krw", 1500.0, "SOX Korean-held flow at close (₩)"),  # --krw
        ("move_frac", None, "Move (%)"),
        ("korean_share_frac", None, "Korean share (%)"),
        ("korean_loss_krw", None, "Korean holders' loss (₩)"),
        ("aum_usd", 1500.0, "AUM (₩)"),
        ("some_new_share_frac", None, "Some new share (%)"),  # a column not in LABELS
        # the history page's event study (same table helper): markets as written
        ("ndx_d0_move_frac", None, "NDX day-0 move (%)"),
        ("usdkrw_next1_move_frac", None, "USD/KRW next-session move (%)"),
        ("sox_pressure_ratio", None, "SOX pressure ratio (×)"),
    ],
)
def test_report_column_labels(col: str, fx: float | None, label: str) -> None:
    from gaemi.present.report.render import column_label

    assert column_label(col, fx) == label


def _headers_and_cells(page: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The table headers, and each cell as (its column's label, its text)."""
    import html as html_lib

    heads = [html_lib.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", page)]
    cells = [
        (html_lib.unescape(lab), html_lib.unescape(c))
        for lab, c in re.findall(r"<td[^>]*data-label='([^']*)'[^>]*>(.*?)</td>", page, re.S)
    ]
    return heads, cells


@pytest.mark.parametrize("krw", [False, True], ids=["usd", "krw"])
def test_report_html_reads_as_a_person_reads(
    krw: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 19 item 3: human headers with units, formatted numbers, money on one line,
    a chart in every engine section; the JSON keeps its machine names."""
    out = tmp_path / "r.html"
    args = ["report", "--format", "json", "--html", str(out)] + (["--krw"] if krw else [])
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    page = out.read_text(encoding="utf-8")
    heads, cells = _headers_and_cells(page)
    assert heads
    snake = [h for h in heads if re.search(r"[a-z]_[a-z]", h)]
    assert snake == [], snake  # no machine name as a header
    assert not [h for h in heads if re.search(r"\bfrac\b", h)]
    # no -2.497e+10: amounts in digits; a model parameter far below 1 (impact per USD,
    # 1.7e-11) keeps its exponent, the amounts among the parameters do not
    sci = [(lab, c) for lab, c in cells if re.search(r"\d[eE][+-]\d", c)]
    assert [(lab, c) for lab, c in sci if lab != "Parameters"] == []
    assert not [c for _, c in sci if re.search(r"_(usd|krw|frac) ?= ?[-\d.]+e", c)]
    # one KRW style: ₩22.15조, never the report's old "22조 1,514억 원"
    assert not [c for _, c in cells if "원" in c or re.search(r"조 \d", c)]
    won = [c for lab, c in cells if ("조" in c or "억" in c) and lab not in ("Value", "Source")]
    assert all(c.lstrip("-").startswith("₩") for c in won), won[:5]
    if krw:
        assert won  # amounts converted
        # the cascade's amounts too (its amount_text is written by the app in USD)
        assert any(lab == "Amount" and "₩" in c for lab, c in cells)
        assert not [c for lab, c in cells if lab == "Amount" and "$" in c]
        assert any("(₩)" in h for h in heads)
    else:
        assert any(h.endswith("($)") for h in heads)
    # money cells never wrap: every $ or ₩ cell is numeric (td.num: white-space nowrap)
    money_tds = re.findall(r"<td class='([^']*)'[^>]*>-?[$₩][\d.,]+[BMk조억만]?</td>", page)
    assert money_tds
    assert all(c == "num" for c in money_tds)
    assert "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}" in page
    # a chart in every engine section that has numbers
    for s in doc["sections"]:
        body = page.split(f"<section id='sec-{s['key']}'", 1)[1].split("</section>", 1)[0]
        if s["tables"]:
            assert "plotly-graph-div" in body, s["key"]
    assert "chart-cascade-" in page
    assert "Contagion paths" in page  # paths with bands
    assert "Decay: the fund" in page
    assert "Crypto liquidation cascade" in page
    # JSON: the machine names and USD, unchanged by --krw and by the HTML headers
    flows = next(s for s in doc["sections"] if s["key"] == "flows")
    assert "ndx_flow_usd" in flows["tables"]["ladder"][0]
    assert doc["currency"] == "USD"


def test_report_charts_run_the_report_scenario() -> None:
    """The charts' engine runs (gaemi.present.report.engines) use the report's inputs:
    the decay curves at 3 and 6 months are the table's numbers (the same closed form,
    Avellaneda & Zhang 2010, via gaemi.app.decay.erosion instead of the report's
    sideways rule), and the contagion Monte Carlo follows --move."""
    from gaemi.app.report import report
    from gaemi.app.state import load_state
    from gaemi.present.report.engines import engine_charts

    st = load_state()
    for moves in ({}, {"NDX": -0.031}):
        rep = report(st, moves=moves)
        eng = engine_charts(st, rep, moves=moves)
        curves = eng.frames["decay.curves"]
        table = rep.section("decay").tables["erosion"].set_index("ticker")
        for m in (3, 6):
            at = curves[curves["months"] == m].set_index("ticker")["loss_frac"]
            assert at.to_dict() == pytest.approx(table[f"loss_{m}m_flat_frac"].to_dict(), rel=1e-12)
        paths = eng.frames["cascade.paths"]
        ndx = paths[paths["node"] == "NDX"].sort_values("day")
        day0 = float(ndx["level"].iloc[1] / ndx["level"].iloc[0] - 1)
        ev = rep.section("cascade").tables["events"]
        central = float(ev[(ev["day"] == 0) & (ev["node"] == "NDX")]["impact"].sum())
        # Monte Carlo mean against the central run of the same shock: within 0.5 pp
        # (−3.1% given: −3.4% both; the fixed −5% scenario: −5.4% both)
        assert day0 == pytest.approx(central, abs=0.005)
        assert {"level_q05", "level_q95"} <= set(paths.columns)


#: K = Σ L(L−1)·A of the NDX funds of universe.csv (2026-06-01 AUM), by hand
_K_NDX = (
    6 * 39.349e9
    + 2 * 14.3761e9
    + 12 * 2.2748e9
    + 2 * 0.639995e9
    + 6 * 0.244839e9
    + 0.75 * 0.182533e9
)


def test_report_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    # the embedded snapshot's newest market day (a day asked after every observation by
    # more than 7 days has no status: test_stale_faces.py)
    rc = main(["report", "--format", "json", "--html", str(out), "--date", "2026-08-03"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] in ("LOW", "GUARDED", "ELEVATED", "HIGH", "CRITICAL")
    assert doc["status_text"] == f"{doc['status']} (data as of 2026-08-03, 0 days old)"
    assert doc["reason"].startswith(doc["status"] + ":")
    for ind in doc["indicators"]:
        if ind["level"] is not None:  # no number without its as-of date and source
            assert ind["as_of"]
            assert ind["source"]
    flows = next(s for s in doc["sections"] if s["key"] == "flows")
    row = next(r for r in flows["tables"]["ladder"] if r["move_frac"] == pytest.approx(-0.05))
    # NDX funds in universe.csv (TQQQ 3x, QLD 2x, SQQQ −3x, PSQ −1x, QID −2x, XQQI 1.5x):
    # K = 6·39.349e9 + 2·14.3761e9 + 12·2.2748e9 + 2·0.639995e9 + 6·0.244839e9 + 0.75·0.182533e9
    k = _K_NDX
    assert row["ndx_flow_usd"] == pytest.approx(-0.05 * k, rel=1e-9)
    assert flows["sources"]
    html = out.read_text()
    # self-contained: no script or stylesheet fetched from elsewhere
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"?https?:", html)
    assert "Plotly.newPlot" in html
    assert doc["status"] in html


def test_report_user_move_sets_trigger(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["report", "--format", "json", "--no-html", "--move", "NDX=-5.2%"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    # research note: a >= 5% NDX drop is the trigger → a trigger indicator at CRITICAL.
    assert doc["status"] == "CRITICAL"
    ndx = next(i for i in doc["indicators"] if i["indicator"] == "ndx_move")
    assert ndx["state"] == "CRITICAL"


def test_report_krw_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--krw", "--no-html"]) == 0
    out = capsys.readouterr().out
    assert "조" in out
    assert "KRW at ₩" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--move", "DAX=-3%"], "UNDERLYING must be one of NDX, SOX"),
        (["--move", "NDX=-300%"], "below -100%"),
        (["--date", "yesterday"], "is not a YYYY-MM-DD date"),
        (["--format", "csv"], "'csv' is not one of"),
        (["--date", ""], "date = '' is not a YYYY-MM-DD date"),
        (["--move", "NDX=-3%", "--move", "NDX=-6%"], "move NDX is given twice"),
        # audit: a repeated single-valued option silently kept the last value
        (["--korean-aum", "1e9", "--korean-aum", "2e9"], "--korean-aum is given twice"),
        (["--date", "2025-04-04", "--date", "2026-06-01"], "--date is given twice"),
        (["--db", "a.duckdb", "--db", "b.duckdb"], "--db is given twice"),
        (["--universe", "a.csv", "--universe", "b.csv"], "--universe is given twice"),
        (["--html", "a.html", "--html", "b.html"], "--html is given twice"),
        (["--format", "json", "-f", "table"], "--format is given twice"),
    ],
)
def test_report_bad_input(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--no-html", *args]) == 2
    assert message in capsys.readouterr().err


def test_decay_section_matches_closed_form(capsys: pytest.CaptureFixture[str]) -> None:
    import math

    import yaml

    from gaemi.data.market import load_default_market

    assert main(["report", "--format", "json", "--no-html"]) == 0
    doc = json.loads(capsys.readouterr().out)
    decay = next(s for s in doc["sections"] if s["key"] == "decay")
    soxl = next(r for r in decay["tables"]["erosion"] if r["ticker"] == "SOXL")
    sigma = load_default_market().latest("sox_vol_60d").value
    vp = yaml.safe_load(
        (
            Path(__file__).resolve().parents[2] / "src/gaemi/data/defaults/vol_params.yaml"
        ).read_text()
    )
    rate, spread = vp["financing"]["rate_annual"], vp["financing"]["spread_annual"]
    # Avellaneda & Zhang: 1 − exp(−(L²−L)/2·σ²·T + carry·T), L = 3, T = 0.5,
    # carry = (1−L)·rate − (L−1)·spread − expense; SOXL expense 0.75% (universe.csv).
    carry = -2 * rate - 2 * spread - 0.0075
    expected = 1 - math.exp(-3 * sigma**2 * 0.5 + carry * 0.5)
    assert soxl["vol_frac"] == pytest.approx(sigma)
    assert soxl["loss_6m_flat_frac"] == pytest.approx(expected, rel=1e-9)


def test_stress_section(capsys: pytest.CaptureFixture[str]) -> None:
    from gaemi.data.stress import load_default_stress

    assert main(["report", "--format", "json", "--no-html"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sec = next(s for s in doc["sections"] if s["key"] == "stress")
    ndx = next(r for r in sec["tables"]["stress"] if r["underlying_id"] == "NDX")
    # the close is full where K·|r| = ADV × closing share (stress_default.yaml; FACTS.md b)
    k = _K_NDX
    liq = load_default_stress().liquidity("NDX")
    assert ndx["close_full_at_move_frac"] == pytest.approx(-liq.adv_usd * liq.closing_share / k)
    # the feedback loop only deepens a drop: −2% ends at or below −2%
    assert ndx["final_move_at_minus_2pct_frac"] <= -0.02
    curve = [r for r in sec["tables"]["curve"] if r["underlying_id"] == "NDX"]
    assert curve[0]["shock_frac"] == 0.0
    assert curve[0]["final_move_frac"] == pytest.approx(0.0)  # zero shock stays zero


def test_crypto_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--format", "json", "--no-html"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sec = next(s for s in doc["sections"] if s["key"] == "crypto")
    rows = sec["tables"]["cascade"]
    shocks = [r["btc_shock_frac"] for r in rows]
    assert shocks == sorted(shocks, reverse=True)
    liq = [r["liquidated_usd"] for r in rows]
    # docs/crypto.md: long-only populations never liquidate less on a bigger down shock
    assert liq == sorted(liq)
    for r in rows:
        assert r["btc_final_move_frac"] <= r["btc_shock_frac"]  # the cascade only deepens it
        assert r["korean_loss_krw"] < 0
    assert any("KoFIU" in s for s in sec["sources"])
    # the sentence's won amount in the one style (gaemi.units.format_krw: ₩22.15조, never
    # "₩22.2tn"): the -4% row's loss, from the same table
    from gaemi.units import format_krw

    row4 = min(rows, key=lambda r: abs(r["btc_shock_frac"] + 0.04))
    assert f"Korean holders lose about {format_krw(-row4['korean_loss_krw'])}." in sec["summary"]
    assert "조" in sec["summary"]
    assert "tn" not in sec["summary"]


def test_cascade_section_traceable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--format", "json", "--no-html"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sec = next(s for s in doc["sections"] if s["key"] == "cascade")
    events = sec["tables"]["events"]
    assert events
    for e in events:  # issue 6: every number traceable to a parameter and its source
        assert e["parameters"]
        assert e["source"]
    steps = {s["step"]: s for s in sec["tables"]["steps"]}
    # docs/cascade.md: at −5% GPIF stays inside its band — step 4 of the note does not follow
    assert steps["4"]["follows"] is False
    assert steps["4"]["verdict"] == "no"
    # docs/cascade.md: step 3 holds only partly — VIX rises but stays below the stop level 30
    assert steps["3"]["verdict"] == "partly"
    assert "only partly" in sec["summary"]
    assert "did not fire" in steps["4"]["reason"] or "band" in steps["4"]["reason"]


def test_report_past_date_uses_nothing_after_it(capsys: pytest.CaptureFixture[str]) -> None:
    # audit: --date 2021-06-01 on the embedded snapshot read HIGH from 2026 observations
    # (negative ages, no stale note) and printed the 2026-06-01 ladder
    day = "2021-06-01"
    assert main(["report", "--format", "json", "--no-html", "--date", day]) == 0
    doc = json.loads(capsys.readouterr().out)
    for ind in doc["indicators"]:
        assert ind["as_of"] is None or ind["as_of"] <= day
        assert ind["age_days"] is None or ind["age_days"] >= 0
    ndx = next(i for i in doc["indicators"] if i["indicator"] == "ndx_move")
    assert ndx["state"] == "n/a"
    assert "not known that day" in ndx["detail"]
    assert doc["status"] == "n/a"  # nothing of the embedded snapshot is known in 2021
    assert doc["usdkrw"] is None
    for key in ("flows", "today", "stress", "cascade", "decay"):
        sec = next(s for s in doc["sections"] if s["key"] == key)
        assert sec["summary"].startswith("Not known that day")
        assert not sec["tables"]
    assert any("not known that day" in n for n in doc["notes"])


def test_report_date_between_observations(capsys: pytest.CaptureFixture[str]) -> None:
    # 2026-06-15: the universe (AUM 2026-06-01) is known, the 2026-08-03 moves are not
    day = "2026-06-15"
    assert main(["report", "--format", "json", "--no-html", "--date", day]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert all(i["as_of"] is None or i["as_of"] <= day for i in doc["indicators"])
    flows = next(s for s in doc["sections"] if s["key"] == "flows")
    assert flows["tables"]["ladder"]
    today = next(s for s in doc["sections"] if s["key"] == "today")
    assert "No NDX or SOX move is known" in today["summary"]
    decay = next(s for s in doc["sections"] if s["key"] == "decay")
    assert all("2026-08-03" not in (r["vol_source"] or "") for r in decay["tables"]["erosion"])


def test_report_date_before_every_observation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--no-html", "--date", "1990-01-01"]) == 2
    err = capsys.readouterr().err.strip()
    assert "nothing is known that day" in err
    assert "--db STORE" in err
    assert len(err.splitlines()) == 1


def test_report_default_date_unchanged_by_the_filter() -> None:
    import datetime as dt

    from gaemi.app.state import market_known_on
    from gaemi.data.market import load_default_market

    market = load_default_market()
    last = max(p.as_of for pts in market.series.values() for p in pts)
    known, later = market_known_on(market, last)
    assert not later
    assert dict(known.series) == dict(market.series)
    known, later = market_known_on(market, last - dt.timedelta(days=1))
    assert later
    assert all(p.as_of < last for pts in known.series.values() for p in pts)


def test_report_cascade_follows_the_moves(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--format", "json", "--no-html", "--move", "NDX=-3.1%"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sec = next(s for s in doc["sections"] if s["key"] == "cascade")
    # the move as the summary writes a shock, by gaemi.units with one decimal
    shock = format_frac(-0.031, decimals=1)
    assert sec["summary"].startswith(f"Shock from --move: NDX {shock} (SOX not shocked)")
    first = [e for e in sec["tables"]["events"] if e["step"] == "1"]
    assert [(e["node"], e["amount"]) for e in first] == [("NDX", pytest.approx(-0.031))]
    assert main(["report", "--format", "json", "--no-html"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sec = next(s for s in doc["sections"] if s["key"] == "cascade")
    five = format_frac(-0.05, decimals=0)  # the scenario's −5% near the close
    assert f"fixed shock NDX {five}, SOX {five}" in sec["summary"]


def test_report_krw_labels_columns_and_rate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--krw", "--no-html"]) == 0
    out = capsys.readouterr().out
    assert out.count("Amounts in KRW at ₩1,509.9/USD (as of 2026-03-27)") == 1
    flat = re.sub(r"[\s│┃]", "", out)
    assert "Korean-heldflowatclose(₩)" in flat  # the human header, in won
    assert "Korean-heldflowatclose($)" not in flat  # no USD header over won amounts
    assert "korean_flow" not in flat  # no machine name
    assert main(["report", "--format", "json", "--no-html", "--krw"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["currency"] == "USD"  # JSON stays USD with _usd keys


def test_report_help_lists_only_working_formats(capsys: pytest.CaptureFixture[str]) -> None:
    main(["report", "--help"])
    out = capsys.readouterr().out
    assert "table|json" in out.replace(" ", "")
    assert "csv" not in out


@pytest.mark.parametrize(
    ("utc", "text"),
    [
        # EST = UTC−5 in December, EDT = UTC−4 in July; KST = UTC+9 all year (no DST)
        ((2026, 12, 6, 17, 34), "written 2026-12-06 12:34 ET · 2026-12-07 02:34 KST (17:34 UTC)"),
        ((2026, 7, 1, 17, 0), "written 2026-07-01 13:00 ET · 2026-07-02 02:00 KST (17:00 UTC)"),
    ],
)
def test_report_says_when_in_et_kst_and_utc(utc: tuple[int, ...], text: str) -> None:
    import datetime as dt

    from gaemi.app.report import report
    from gaemi.present.report.render import render_html, written_line

    now = dt.datetime(*utc, tzinfo=dt.UTC)
    assert written_line(now).startswith(text)
    assert text in render_html(report(), now=now)
