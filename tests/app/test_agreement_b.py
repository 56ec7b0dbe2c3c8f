"""Agreement of the faces for decay, investor, crypto, contagion and sweep (issue 15).

For each capability the CLI's ``--format json``, the HTTP API's JSON and the Python result
(:mod:`gaemi.app`) give the same numbers on the same inputs: with the embedded default,
with a store (``--db``) and on a past ``--date``. The faces are compared with each other,
never with hard-coded engine outputs; where a number has an independent source (the
60-day volatility from ../shared/data, the Avellaneda–Zhang closed form) it is checked
against it too.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gaemi.app.state import load_state
from gaemi.present.cli import main
from gaemi.present.web.app import create_app
from gaemi.present.web.settings import WebSettings

#: A past day with real SOXX/QQQ history on both sides (the April 2025 sell-off).
PAST = "2025-04-30"


def _client(app: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    return TestClient(app)


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()  # drop what fixtures printed (the store's import lines)
    rc = main(list(args))
    out, err = capsys.readouterr()
    assert rc == 0, err
    return json.loads(out)


def ok(r: Any) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the default universe as fund snapshots and the SOXX/QQQ history of
    ../shared/data (the NDX/SOX proxies the market state derives its volatility from)."""
    from gaemi.data.universe import default_universe_path

    db = tmp_path_factory.mktemp("agree") / "agree.duckdb"
    for args in (
        [str(default_universe_path()), "--kind", "funds"],
        [str(shared_data / "us-adjclose-1993-2026" / "SOXX.csv")],
        [str(shared_data / "us-adjclose-1993-2026" / "QQQ.csv")],
    ):
        assert main(["data", "import", *args, "--db", str(db)]) == 0
    return db


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with _client(create_app()) as c:
        yield c


@pytest.fixture(scope="module")
def client_db(store: Path) -> Iterator[Any]:
    with _client(create_app(WebSettings(db=store))) as c:
        yield c


@pytest.fixture(params=["embedded", "store", "store_past"])
def where(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The same inputs for the three faces: CLI args, the API client and its date, the state."""
    if request.param == "embedded":
        return {"cli": [], "client": request.getfixturevalue("client"), "api": {}, "state": {}}
    db = request.getfixturevalue("store")
    past = request.param == "store_past"
    return {
        "cli": ["--db", str(db), *(["--date", PAST] if past else [])],
        "client": request.getfixturevalue("client_db"),
        "api": {"date": PAST} if past else {},
        "state": {"db": db, **({"as_of": PAST} if past else {})},
    }


# ------------------------------------------------------------------ decay
def test_sideways_decay_is_one_answer(
    capsys: pytest.CaptureFixture[str], where: dict[str, Any]
) -> None:
    # "What does a flat half-year cost SOXL" used to read 51% / 19% / 29.5% (report, CLI,
    # dashboard) at three volatilities; now one rule, one number, in every face.
    from gaemi.app.decay import sideways_decay

    state = load_state(**where["state"])
    py = sideways_decay(state, "SOXL", 6.0)
    cli = cli_json(
        capsys, "decay", "--ticker", "SOXL", "--months", "6", "--view", "summary",
        "--paths", "100", "-f", "json", *where["cli"],
    )[0]  # fmt: skip
    c = where["client"]
    ero = ok(c.get("/api/decay/erosion", params={"ticker": "SOXL", **where["api"]}))["sideways"]
    sim = ok(c.get("/api/decay/simulate", params={"ticker": "SOXL", "paths": 100, **where["api"]}))
    for got in (
        cli["sideways_closed_form_loss_frac"],
        ero["loss_frac"],
        sim["sideways_closed_form_loss_frac"],
    ):
        assert got == pytest.approx(py.loss_frac, rel=1e-12)
    for vol in (cli["vol_annual"], ero["vol_annual"], sim["vol_annual"]):
        assert vol == pytest.approx(py.vol.vol_annual, rel=1e-12)
    assert ero["vol_source"] == sim["vol"]["vol_source"] == "60-day realised"
    assert ero["vol_as_of"] == py.vol.as_of.isoformat()  # type: ignore[union-attr]
    assert py.choice("vol_annual").value == py.vol.vol_annual
    # the closed form by hand (Avellaneda & Zhang 2010, eq. 10 with S_T = S_0, T = 1/2):
    # carry of a 3x fund c = -(L-1)(rate + spread) - expense
    f = py.fund
    carry = -2.0 * (f.rate_annual + f.terms.spread_annual) - f.terms.expense_ratio
    assert py.loss_frac == pytest.approx(
        1 - math.exp(-3.0 * py.vol.vol_annual**2 * 0.5 + carry * 0.5), rel=1e-12
    )


def test_sideways_vol_on_a_past_day_is_the_60_day_vol_of_the_history(
    shared_data: Path, store: Path
) -> None:
    # Independent source: ../shared/data/us-adjclose-1993-2026/SOXX.csv, the last 60 daily
    # log returns up to the day, sample sd x sqrt(252) (the monitor's definition).
    from gaemi.app.decay import sideways_decay

    px = pd.read_csv(shared_data / "us-adjclose-1993-2026" / "SOXX.csv", parse_dates=["Date"])
    close = px.set_index("Date")["Close"].loc[:PAST]
    want = float(np.log(close).diff().dropna().iloc[-60:].std(ddof=1) * np.sqrt(252))
    got = sideways_decay(load_state(db=store, as_of=PAST), "SOXL", 6.0)
    assert got.vol.vol_annual == pytest.approx(want, rel=1e-9)
    assert got.vol.as_of is not None
    assert got.vol.as_of.isoformat() == PAST
    # vol_params.yaml (rate, spread) is dated after that day: said, not hidden
    assert any("after the state's day" in w for w in got.warnings)


def test_decay_percentiles_agree(capsys: pytest.CaptureFixture[str], where: dict[str, Any]) -> None:
    from gaemi.app.decay import decay

    py = decay(load_state(**where["state"]), "SOXL", months=3, paths=500, rng=3).to_frame()
    cli = pd.DataFrame(
        cli_json(
            capsys, "decay", "--ticker", "SOXL", "--months", "3", "--paths", "500",
            "--seed", "3", "-f", "json", *where["cli"],
        )
    )  # fmt: skip
    api = pd.DataFrame(
        ok(
            where["client"].get(
                "/api/decay/simulate",
                params={"ticker": "SOXL", "months": 3, "paths": 500, "seed": 3, **where["api"]},
            )
        )["percentiles"]
    )
    for col in ("fund_change_frac", "closed_form_change_frac", "underlying_move_frac", "aum_usd"):
        np.testing.assert_allclose(cli[col], py[col], rtol=1e-12)
        np.testing.assert_allclose(api[col], py[col], rtol=1e-12)


# ------------------------------------------------------------------ investor
@pytest.mark.parametrize("model", ["garch", "constant"])
def test_investor_cli_and_python_agree(
    capsys: pytest.CaptureFixture[str], where: dict[str, Any], model: str
) -> None:
    # gaemi investor has no HTTP endpoint: the CLI and the Python result agree.
    from gaemi.app.investor import investor

    py = investor(
        load_state(**where["state"]), 140e6, [("SOXL", 1.0)], margin=0.5, months=3,
        model=model, paths=400, rng=2,
    ).summary_dict()  # fmt: skip
    (cli,) = cli_json(
        capsys, "investor", "--capital", "140000000", "--position", "SOXL=1", "--margin",
        "0.5", "--months", "3", "--model", model, "--paths", "400", "--seed", "2",
        "-f", "json", *where["cli"],
    )  # fmt: skip
    for k in ("prob_margin_call", "prob_forced_sale", "prob_loss_50pct_ever", "median_end_krw"):
        assert cli[k] == pytest.approx(py[k], rel=1e-12), k


# ------------------------------------------------------------------ crypto
def test_crypto_cascade_agrees(capsys: pytest.CaptureFixture[str], client: Any) -> None:
    # The crypto config carries its own dated market (books, USD/KRW, population): no
    # store or date enters, so the embedded case is the only one.
    from gaemi.app.crypto import crypto_cascade

    py = crypto_cascade(None, {"BTC": -0.10})
    recs = cli_json(capsys, "crypto", "--shock", "BTC=-10%", "-f", "json")
    api = ok(client.get("/api/crypto", params={"asset": "BTC", "shock_frac": -0.10}))
    cli_assets = {r["asset"]: r for r in recs if r["section"] == "assets"}
    api_assets = {r["asset"]: r for r in api["assets"]}
    for a, row in py.to_frame("assets").set_index("asset").iterrows():
        for col in ("final_move_frac", "liquidated_total_usd", "forced_flow_usd"):
            assert cli_assets[str(a)][col] == pytest.approx(row[col], rel=1e-12)
            assert api_assets[str(a)][col] == pytest.approx(row[col], rel=1e-12)
    cli_total = sum(r["liquidated_total_usd"] for r in recs if r["section"] == "rounds")
    assert cli_total == pytest.approx(py.total_liquidated_usd, rel=1e-9)
    assert api["total_liquidated_usd"] == pytest.approx(py.total_liquidated_usd, rel=1e-12)
    cli_korea = {r["holder"]: r["pnl_krw"] for r in recs if r["section"] == "korea"}
    api_korea = {r["holder"]: r["pnl_krw"] for r in api["korea"]}
    for holder, pnl in zip(py.korea["holder"], py.korea["pnl_krw"], strict=True):
        assert cli_korea[holder] == pytest.approx(pnl, rel=1e-12)
        assert api_korea[holder] == pytest.approx(pnl, rel=1e-12)
    assert api["usdkrw"] == py.usdkrw


# ------------------------------------------------------------------ contagion
def test_contagion_agrees(capsys: pytest.CaptureFixture[str], where: dict[str, Any]) -> None:
    from gaemi.app.contagion import contagion

    py = contagion(load_state(**where["state"]), draws=20, rng=5)
    bands = py.bands().set_index("node")
    cli_bands = cli_json(
        capsys, "cascade", "--view", "bands", "--draws", "20", "--seed", "5", "-f", "json",
        *where["cli"],
    )  # fmt: skip
    api = ok(where["client"].get("/api/cascade", params={"draws": 20, "seed": 5, **where["api"]}))
    for got in (cli_bands, api["bands"]):
        by = {r["node"]: r for r in got}
        assert set(by) == set(bands.index)
        for node, row in bands.iterrows():
            for col in ("change_mean", "change_q05", "change_q95"):
                assert by[node][col] == pytest.approx(row[col], rel=1e-12, abs=1e-15), (node, col)
    ev = py.events()
    cli_ev = cli_json(capsys, "cascade", "-f", "json", *where["cli"])
    for got in (cli_ev, api["events"]):
        assert [(r["event"], r["node"]) for r in got] == list(
            zip(ev["event"], ev["node"], strict=True)
        )
        np.testing.assert_allclose([r["total_impact"] for r in got], ev["total_impact"], rtol=1e-12)
    assert api["most_loss_link"] == (py.most_loss_link() or (None,))[0]


def test_contagion_shocks_agree(capsys: pytest.CaptureFixture[str], client: Any) -> None:
    # given shocks replace the scenario's in every face the same way
    from gaemi.app.contagion import contagion

    py = contagion(None, shocks={"NDX": -0.08, "SOX": -0.10}).bands().set_index("node")
    cli = cli_json(
        capsys, "cascade", "--shock", "NDX=-8%", "--shock", "SOX=-10%", "--view", "bands",
        "-f", "json",
    )  # fmt: skip
    api = ok(client.post("/api/cascade", json={"shocks_frac_by_node": {"ndx": -0.08, "SOX": -0.1}}))
    for got in (cli, api["bands"]):
        for r in got:
            assert r["change_mean"] == pytest.approx(
                py.loc[r["node"], "change_mean"], rel=1e-12, abs=1e-15
            )


# ------------------------------------------------------------------ sweep
def test_feedback_sweep_agrees(capsys: pytest.CaptureFixture[str], where: dict[str, Any]) -> None:
    # no HTTP endpoint: the CLI (serial runner) and the Python result agree
    from gaemi.app.sweep import sweep

    shocks = (-0.05, -0.04, -0.03, -0.02, -0.01)
    st = load_state(**where["state"]) if where["state"] else None
    py = sweep(st, "feedback", axes={"underlying": ("NDX", "SOX"), "shock_frac": shocks})
    cli = pd.DataFrame(
        cli_json(
            capsys, "sweep", "-u", "NDX,SOX", "--shocks=-5%:-1%:1%", "--serial", "-f", "json",
            *where["cli"],
        )
    )  # fmt: skip
    df = py.to_frame()
    assert list(cli["underlying"]) == list(df["underlying"])
    for col in ("shock_frac", "final_move_frac", "total_flow_usd"):
        np.testing.assert_allclose(cli[col], df[col], rtol=1e-12)


def test_decay_sweep_uses_the_decay_set_up(capsys: pytest.CaptureFixture[str]) -> None:
    # At zero volatility a 3x fund only carries: the sweep's NAV median must equal
    # `gaemi decay --leverage 3 --vol 0%`'s (same rate, spread and fee) — they used to
    # differ (sweep: rate 4% and fee 0.95% hard-coded; decay: vol_params.yaml, no fee).
    from gaemi.app.decay import decay
    from gaemi.app.sweep import sweep

    py = sweep(None, "decay", axes={"leverage": (3.0,), "vol_annual": (0.0, 0.45)}, paths=300)
    cli = pd.DataFrame(
        cli_json(
            capsys, "sweep", "--engine", "decay", "--leverage", "3", "--vol", "0%,45%",
            "--paths", "300", "--serial", "-f", "json",
        )
    )  # fmt: skip
    df = py.to_frame()
    for col in ("nav_ratio_p05", "nav_ratio_p50", "nav_ratio_p95", "loss_half_prob"):
        np.testing.assert_allclose(cli[col], df[col], rtol=1e-12)
    flat = decay(None, leverage=3.0, vol_annual=0.0, days=126, paths=10).summary_dict()
    # the constant-vol kernel compounds in float32 (core.decay.simulate_fund): rel 2e-5
    assert float(df["nav_ratio_p50"].iloc[0]) - 1 == pytest.approx(
        flat["median_change_frac"], rel=2e-5
    )


def test_reverse_stress_and_fuse_agree(capsys: pytest.CaptureFixture[str]) -> None:
    # gaemi cascade --reverse / --view fuse (no HTTP endpoint) and the Python results
    from gaemi.app.contagion import fuse, reverse

    py = reverse(None, ("USDKRW", "level", ">=", 1600.0)).to_frame()
    cli = pd.DataFrame(cli_json(capsys, "cascade", "--reverse", "USDKRW>=1600", "-f", "json"))
    np.testing.assert_allclose(cli["korean_aum_usd"], py["korean_aum_usd"], rtol=1e-12)
    np.testing.assert_allclose(cli["shock_scale"].astype(float), py["shock_scale"], rtol=1e-12)
    fz = fuse(None).to_frame()
    cli_f = pd.DataFrame(cli_json(capsys, "cascade", "--view", "fuse", "-f", "json"))
    assert list(cli_f["step"]) == list(fz["step"])
    np.testing.assert_allclose(
        cli_f["first_fires_at_shock_scale"].astype(float),
        fz["first_fires_at_shock_scale"],
        rtol=1e-12,
    )
