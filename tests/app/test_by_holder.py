"""Issue 17.2: every flow split into Korean / other / unattributed, on any date.

``gaemi flows --move -5% --by holder`` (CLI JSON), ``POST /api/flows`` with
``by_holder`` (API JSON) and ``gaemi.flows(...).to_frame("by_holder")`` (Python) give the
same rows on the embedded default and on a past day read from ../shared/data. The Korean
share on the past day is checked against an independent computation from the files: the
KSD weekly custody figure of the list before the day, carried by the fund's own adjusted
close, over the issuer's reported net assets that day (PROVENANCE.md of
korea-holdings-ksd/ and us-letf-nav-proshares/).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import gaemi
from gaemi.app.state import load_state
from gaemi.present.cli import main
from gaemi.present.web.app import create_app
from gaemi.present.web.settings import WebSettings

PAST = "2025-04-04"
MOVE = -0.05


def _client(app: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    return TestClient(app)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    capsys.readouterr()
    rc = main(["flows", "--move", "-5%", "--by", "holder", *args, "--format", "json"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    recs: list[dict[str, Any]] = json.loads(out)
    return recs


def _api(state: Any) -> dict[str, Any]:
    app = create_app(WebSettings(), market_state=state)
    with _client(app) as c:
        r = c.post("/api/flows", json={"moves_frac": [MOVE], "by_holder": True})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _same(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    assert [r["ticker"] for r in a] == [r["ticker"] for r in b]
    for x, y in zip(a, b, strict=True):
        assert set(x) == set(y)
        for k, v in x.items():
            if isinstance(v, float):
                assert y[k] == pytest.approx(v, rel=1e-12), (x["ticker"], k)
            else:
                assert y[k] == v, (x["ticker"], k)


def _check_split(rows: list[dict[str, Any]]) -> None:
    """Korean + other + unattributed = flow for every fund; unknown share → unattributed."""
    for r in rows:
        if r["ticker"] == "total":
            continue
        if r["korean_share"] is None:
            assert r["korean_flow_usd"] is None
            assert r["other_flow_usd"] is None
            assert r["unattributed_flow_usd"] == r["flow_usd"]
            assert r["basis"] == "unknown"
        else:
            assert r["korean_flow_usd"] == pytest.approx(r["korean_share"] * r["flow_usd"])
            assert r["korean_flow_usd"] + r["other_flow_usd"] == pytest.approx(r["flow_usd"])
            assert r["unattributed_flow_usd"] == 0.0
            assert r["korean_as_of"]
            assert r["source_korean"]
            assert r["basis"] in ("observed", "estimated")
    funds = [r for r in rows if r["ticker"] != "total"]
    (tot,) = [r for r in rows if r["ticker"] == "total"]
    assert tot["flow_usd"] == pytest.approx(sum(r["flow_usd"] for r in funds))
    assert tot["unattributed_flow_usd"] == pytest.approx(
        sum(r["unattributed_flow_usd"] for r in funds)
    )
    assert tot["korean_flow_usd"] + tot["other_flow_usd"] + tot[
        "unattributed_flow_usd"
    ] == pytest.approx(tot["flow_usd"])


def test_default_cli_api_python_agree(capsys: pytest.CaptureFixture[str]) -> None:
    state = load_state()
    py = gaemi.flows(state, move_frac=MOVE).to_frame("by_holder")
    from gaemi.app.result import records

    want = records(py)
    _same(_cli(capsys), want)
    _same(_api(state)["by_holder"], want)
    _check_split(want)
    # the embedded press figures: a share of one day on the AUM of another = estimated
    tqqq = next(r for r in want if r["ticker"] == "TQQQ")
    assert tqqq["basis"] == "estimated"
    assert tqqq["korean_as_of"] < tqqq["aum_as_of"]


@pytest.fixture(scope="module")
def past_state(shared_data: Path) -> Any:
    return load_state(data_dir=shared_data, as_of=PAST)


def test_past_day_cli_api_python_agree(
    capsys: pytest.CaptureFixture[str], shared_data: Path, past_state: Any
) -> None:
    from gaemi.app.result import records

    want = records(gaemi.flows(past_state, move_frac=MOVE).to_frame("by_holder"))
    _same(_cli(capsys, "--data-dir", str(shared_data), "--date", PAST), want)
    _same(_api(past_state)["by_holder"], want)
    _check_split(want)
    # nothing after the day: every AUM and Korean figure is dated on or before it
    for r in want:
        if r["ticker"] != "total":
            assert r["aum_as_of"] <= PAST
            assert r["korean_as_of"] <= PAST


def test_past_day_share_is_the_depository_figure(shared_data: Path, past_state: Any) -> None:
    """TQQQ on 2025-04-04: KSD custody of 2025-03-31 × P(04-03)/P(03-31) / issuer AUM of
    04-03 (the start-of-day AUM A_{t-1} of the flow identity), from the raw files."""
    rows = {
        r["ticker"]: r
        for r in gaemi.flows(past_state, move_frac=MOVE).to_frame("by_holder").to_dict("records")
    }
    ksd = pd.read_csv(
        shared_data / "korea-holdings-ksd/seohak-index/custody_weekly_clean.csv",
        encoding="utf-8-sig",
    )
    h = ksd[(ksd["ticker"] == "TQQQ") & (ksd["date"] == "2025-03-31")]["amount"]
    assert len(h) == 1
    px = pd.read_csv(shared_data / "us-adjclose-1993-2026/TQQQ.csv", index_col="Date")["Close"]
    nav = pd.read_csv(shared_data / "us-letf-nav-proshares/TQQQ.csv", index_col="date")
    aum = float(nav.loc["2025-04-03", "aum_usd"])  # the previous close
    held = float(h.iloc[0]) * px.loc["2025-04-03"] / px.loc["2025-03-31"]
    t = rows["TQQQ"]
    assert t["aum_usd"] == pytest.approx(aum, rel=1e-9)
    assert t["korean_share"] == pytest.approx(held / aum, rel=1e-9)
    assert t["basis"] == "estimated"
    assert t["korean_as_of"] == "2025-03-31"
    # ΔE = L(L−1)·A·r (Cheng & Madhavan 2009), Korean part = share × ΔE
    assert t["flow_usd"] == pytest.approx(3 * 2 * aum * MOVE, rel=1e-12)
    assert t["korean_flow_usd"] == pytest.approx(held / aum * 3 * 2 * aum * MOVE, rel=1e-9)
    # SQQQ: out of the weekly list that week (docs/korea.md §2) → unknown, unattributed
    s = rows["SQQQ"]
    assert math.isnan(s["korean_share"])
    assert s["unattributed_flow_usd"] == s["flow_usd"]
    # a fund whose AUM is only known after the day (SOXL: 2026 snapshots) is left out
    assert "SOXL" not in rows
    assert any("SOXL" in w and "left out" in w for w in past_state.warnings)


def test_what_if_share_is_marked(past_state: Any) -> None:
    r = gaemi.flows(past_state, move_frac=MOVE, korean_holdings_usd={"SQQQ": 1e8})
    rows = r.to_frame("by_holder").set_index("ticker")
    assert rows.loc["SQQQ", "basis"] == "what-if"
    assert rows.loc["TQQQ", "basis"] == "estimated"
    assert np.isfinite(rows.loc["SQQQ", "korean_share"])


def test_stress_day_korean_close_flow(shared_data: Path) -> None:
    """2024-08-05: TQQQ's replayed close flow = 6·A(08-02, issuer file)·r(QQQ, 08-05)
    (Cheng & Madhavan 2009), its Korean part = the Korean share at the 08-02 close from
    gaemi.data.korean_share.korean_share_daily over the whole files (H7's table)."""
    from gaemi.app.flows import stress_day_korean_flows
    from gaemi.data.korean_share import korean_share_daily

    t = stress_day_korean_flows(shared_data, ["2024-08-05"]).set_index("ticker")
    nav = pd.read_csv(shared_data / "us-letf-nav-proshares/TQQQ.csv", index_col="date")
    qqq = pd.read_csv(shared_data / "us-adjclose-1993-2026/QQQ.csv", index_col="Date")["Close"]
    r = qqq.loc["2024-08-05"] / qqq.loc["2024-08-02"] - 1
    flow = 6 * float(nav.loc["2024-08-02", "aum_usd"]) * r
    tab = korean_share_daily(shared_data, ["TQQQ"], start="2024-07-01", end="2024-08-31")
    share = float(tab.set_index("date").loc["2024-08-02", "korean_share"])
    assert t.loc["TQQQ", "flow_usd"] == pytest.approx(flow, rel=1e-9)
    assert t.loc["TQQQ", "korean_share"] == pytest.approx(share, rel=1e-9)
    assert t.loc["TQQQ", "korean_flow_usd"] == pytest.approx(share * flow, rel=1e-9)
    # the day's total: Korean + other + unattributed = the flow of every fund known that day
    tot = t.loc["total"]
    funds = t.drop(index="total")
    assert tot["flow_usd"] == pytest.approx(funds["flow_usd"].sum())
    assert tot["korean_flow_usd"] + tot["other_flow_usd"] + tot[
        "unattributed_flow_usd"
    ] == pytest.approx(tot["flow_usd"])
    assert (funds["aum_as_of"] <= "2024-08-04").all()  # the previous close, none after
