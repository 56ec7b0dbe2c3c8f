"""`gaemi report`: JSON for machines, a self-contained HTML file, KRW units, sources."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gaemi.present.cli import main
from gaemi.present.report.render import krw_units


@pytest.mark.parametrize(
    ("krw", "text"),
    # 1조 = 10^12 won, 1억 = 10^8 won.
    [
        (19.4e12, "19조 4,000억 원"),
        (33.7e12, "33조 7,000억 원"),
        (77.6e9, "776억 원"),
        (-2e12, "-2조 원"),
        (5e7, "50,000,000 원"),
    ],
)
def test_krw_units(krw: float, text: str) -> None:
    assert krw_units(krw) == text


def test_report_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    rc = main(["report", "--format", "json", "--html", str(out), "--date", "2026-11-22"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] in ("LOW", "GUARDED", "ELEVATED", "HIGH", "CRITICAL")
    assert doc["reason"].startswith(doc["status"] + ":")
    for ind in doc["indicators"]:
        if ind["level"] is not None:  # no number without its as-of date and source
            assert ind["as_of"]
            assert ind["source"]
    flows = next(s for s in doc["sections"] if s["key"] == "flows")
    row = next(r for r in flows["tables"]["ladder"] if r["move_frac"] == pytest.approx(-0.05))
    # NDX funds in universe.csv: K = 6·39.349e9 + 2·14.3761e9 + 12·2.2748e9 + 2·0.639995e9
    k = 6 * 39.349e9 + 2 * 14.3761e9 + 12 * 2.2748e9 + 2 * 0.639995e9
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
        (["--move", "DAX=-3%"], "must be NDX=MOVE or SOX=MOVE"),
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
    k = 6 * 39.349e9 + 2 * 14.3761e9 + 12 * 2.2748e9 + 2 * 0.639995e9
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
    assert sec["summary"].startswith("Shock from --move: NDX -3.1% (SOX not shocked)")
    first = [e for e in sec["tables"]["events"] if e["step"] == "1"]
    assert [(e["node"], e["amount"]) for e in first] == [("NDX", pytest.approx(-0.031))]
    assert main(["report", "--format", "json", "--no-html"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sec = next(s for s in doc["sections"] if s["key"] == "cascade")
    assert "fixed shock NDX -5%, SOX -5%" in sec["summary"]


def test_report_krw_labels_columns_and_rate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--krw", "--no-html"]) == 0
    out = capsys.readouterr().out
    assert out.count("Amounts in KRW at ₩1,509.9/USD (as of 2026-03-27)") == 1
    flat = re.sub(r"[\s│┃]", "", out)
    assert "korean_flow_krw" in flat
    assert "korean_flow_usd" not in flat  # no USD header over won amounts
    assert main(["report", "--format", "json", "--no-html", "--krw"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["currency"] == "USD"  # JSON stays USD with _usd keys


def test_report_help_lists_only_working_formats(capsys: pytest.CaptureFixture[str]) -> None:
    main(["report", "--help"])
    out = capsys.readouterr().out
    assert "table|json" in out.replace(" ", "")
    assert "csv" not in out
