"""Agreement of the faces for flows, stress and the status (issue 15).

On the same inputs the CLI's JSON (``--format json``; the monitor's state file), the HTTP
API's JSON (FastAPI TestClient) and the Python result (:mod:`gaemi`) give the same
numbers: with the embedded default, with a store (``--db``; ``gaemi serve --db``) and on a
past ``--date`` (``gaemi serve --date`` hands the same state to the app). The faces are
compared with each other; one number per capability is also checked against an
independent closed form (ΔE = L(L−1)·A·r, Cheng & Madhavan 2009; threshold = capacity / K).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gaemi
from gaemi.app.state import load_state
from gaemi.present.cli import main
from gaemi.present.web.app import create_app
from gaemi.present.web.settings import WebSettings

#: A past day inside the shared history (QQQ/SOXX to 2026-08, VIX to 2026-07, USD/KRW to
#: 2026-03): the April 2025 sell-off.
PAST = "2025-04-07"
REL = 1e-12


def _client(app: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    return TestClient(app)


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    capsys.readouterr()
    rc = main(list(args))
    out, err = capsys.readouterr()
    assert rc == 0, err
    return json.loads(out)


def ok(r: Any) -> Any:
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny store from ../shared/data with the ordinary importer: the default universe
    as fund snapshots, QQQ and SOXX adjusted closes, the CBOE VIX and FRED USD/KRW."""
    from gaemi.data.universe import default_universe_path

    db = tmp_path_factory.mktemp("agree") / "agree.duckdb"
    for args in (
        [str(default_universe_path()), "--kind", "funds"],
        [str(shared_data / "us-adjclose-1993-2026" / "QQQ.csv"), "--close-is-adjusted"],
        [str(shared_data / "us-adjclose-1993-2026" / "SOXX.csv"), "--close-is-adjusted"],
        [str(shared_data / "vix-cboe" / "vix-daily.csv"), "--symbol", "^VIX"],
        [str(shared_data / "fx-daily" / "DEXKOUS.csv"), "--kind", "macro"],
    ):
        assert main(["data", "import", *args, "--db", str(db)]) == 0
    return db


#: (label, CLI options, how the server is started) for the three sources of the state.
CASES = ["default", "store", "store_past"]


def _cli_opts(case: str, store: Path | None) -> list[str]:
    if case == "default":
        return []
    assert store is not None
    return ["--db", str(store)] + (["--date", PAST] if case == "store_past" else [])


def _state(case: str, store: Path | None) -> gaemi.MarketState:
    if case == "default":
        return load_state()
    return load_state(db=store, as_of=PAST if case == "store_past" else None)


@pytest.fixture(scope="module", params=CASES)
def setup(request: pytest.FixtureRequest) -> Iterator[tuple[str, Path | None, Any, Any]]:
    """(case, store, the Python state, a TestClient serving that state)."""
    case = str(request.param)
    db = None if case == "default" else request.getfixturevalue("store")
    state = _state(case, db)
    settings = WebSettings(db=db)
    # `gaemi serve --db STORE --date D` builds this state and hands it to create_app
    app = create_app(settings, market_state=state if case == "store_past" else None)
    with _client(app) as c:
        yield case, db, state, c


def test_the_cases_differ(store: Path) -> None:
    """The three states are not the same state (else the agreement would prove little)."""
    a, b, c = (_state(k, store) for k in CASES)
    assert a.sources["market"] == "embedded default"
    assert b.sources["market"] == f"store {store.name}"
    assert c.day.isoformat() == PAST
    fx = [s.market.latest("usdkrw_level") for s in (a, b, c)]
    assert fx[2].as_of <= c.day < fx[0].as_of  # no look-ahead on the past day


# ---------------------------------------------------------------------------- flows
def test_flows_agree(setup: Any, capsys: pytest.CaptureFixture[str]) -> None:
    case, db, state, client = setup
    cli = cli_json(
        capsys, "flows", "--move", "-5%", "--korean-aum", "45e9", "-f", "json",
        *_cli_opts(case, db),
    )  # fmt: skip
    api = ok(client.get("/api/flows", params={"move_frac": -0.05, "korean_aum_usd": 45e9}))
    py = gaemi.flows(state, move_frac=-0.05, korean_aum_usd=45e9).to_frame("underlying")
    by_cli = {r["underlying_id"]: r for r in cli}
    by_api = {r["underlying_id"]: r for r in api["rows"]}
    assert set(by_cli) == set(by_api) == set(py["underlying_id"])
    for rec in py.to_dict("records"):
        uid = rec["underlying_id"]
        for key in ("flow_usd", "aum_usd", "korean_flow_usd"):
            want = rec[key]
            for face in (by_cli[uid], by_api[uid]):
                got = face[key]
                if want != want:  # NaN: unknown Korean part is null in JSON
                    assert got is None, (uid, key)
                else:
                    assert got == pytest.approx(want, rel=REL, abs=1e-6), (case, uid, key)
    # independent closed form: the sum over funds of L(L-1)·A·r (Cheng & Madhavan 2009)
    u = state.universe.with_korean_aum(45e9)
    closed = float(np.sum(u.leverage * (u.leverage - 1.0) * u.aum_usd) * -0.05)
    assert api["total_flow_usd"][0] == pytest.approx(closed, rel=1e-12)


# ---------------------------------------------------------------------------- stress
@pytest.mark.parametrize(("underlying", "shock"), [("NDX", -0.03), ("SOX", 0.02)])
def test_stress_agrees(
    setup: Any, capsys: pytest.CaptureFixture[str], underlying: str, shock: float
) -> None:
    case, db, state, client = setup
    cli = cli_json(
        capsys, "stress", "--shock", f"{shock:.2f}", "-u", underlying, "-f", "json",
        *_cli_opts(case, db),
    )  # fmt: skip
    (row,) = cli
    api = ok(client.get("/api/stress", params={"underlying": underlying, "shock_frac": shock}))
    py = gaemi.stress(state, underlying, shock_frac=shock)
    pr = py.to_frame().iloc[0]
    pairs = {
        "final_move_frac": (row["final_move_frac"], api["result"]["final_move_frac"]),
        "total_flow_usd": (row["total_flow_usd"], api["result"]["total_flow_usd"]),
        "letf_pressure_ratio": (row["letf_pressure_ratio"], api["result"]["letf_pressure_ratio"]),
        "total_pressure_ratio": (
            row["total_pressure_ratio"],
            api["result"]["total_pressure_ratio"],
        ),
        "threshold_move_frac": (
            row["threshold_move_frac"],
            api["liquidity"]["threshold_move_frac"],
        ),
        "capacity_usd": (row["capacity_usd"], api["liquidity"]["capacity_usd"]),
        "spx_move_frac": (row["spx_move_frac"], api["result"]["spx_move_frac"]),
    }
    for key, (c, a) in pairs.items():
        assert c == pytest.approx(float(pr[key]), rel=REL), (case, key, "cli")
        assert a == pytest.approx(float(pr[key]), rel=REL), (case, key, "api")
    crit = py.to_dict()["critical"]["shock_frac"]
    assert row["critical_shock_frac"] == api["critical"]["shock_frac"] == crit
    for name, flow in api["result"]["flows_usd"].items():
        assert row[f"{name}_flow_usd"] == pytest.approx(flow, rel=REL)
    # independent: the threshold is capacity / K, K = Σ L(L−1)·A on the underlying,
    # signed like the shock
    sel = state.universe.where_underlying(underlying)
    k = float(np.sum(sel.leverage * (sel.leverage - 1.0) * sel.aum_usd))
    assert row["threshold_move_frac"] == pytest.approx(
        np.sign(shock) * row["capacity_usd"] / k, rel=1e-12
    )


def test_stress_curve_agrees(setup: Any, capsys: pytest.CaptureFixture[str]) -> None:
    case, db, state, client = setup
    cli = cli_json(
        capsys, "stress", "--curve", "--shocks=-10%:-1%:1%", "-u", "SOX", "-f", "json",
        *_cli_opts(case, db),
    )  # fmt: skip
    api = ok(
        client.get(
            "/api/stress/curve",
            params={
                "underlying": "SOX",
                "shock_from_frac": -0.10,
                "shock_to_frac": -0.01,
                "shock_step_frac": 0.01,
            },
        )
    )
    py = gaemi.stress_curve(state, "SOX", np.linspace(-0.10, -0.01, 10)).to_frame()
    assert len(cli) == len(api["points"]) == len(py) == 10
    for c, a, p in zip(cli, api["points"], py.to_dict("records"), strict=True):
        assert c["shock_frac"] == pytest.approx(p["shock_frac"], abs=1e-15)
        assert c["final_move_frac"] == pytest.approx(p["final_move_frac"], rel=REL)
        assert a["final_move_frac"] == pytest.approx(p["final_move_frac"], rel=REL)


# ---------------------------------------------------------------------------- status
def test_status_agrees(setup: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``gaemi monitor --once`` (its state file), ``gaemi report --format json``,
    ``/api/status`` and ``gaemi.status`` read the same figures — with ``--db`` too (the
    monitor used to show USD/KRW n/a while ``serve --db`` read the embedded snapshot)."""
    case, db, state, client = setup
    opts = _cli_opts(case, db)
    state_file = tmp_path / "mon.json"
    capsys.readouterr()
    rc = main(
        ["monitor", "--once", "--state-file", str(state_file),
         "--alerts", str(tmp_path / "a.jsonl"), *opts]
    )  # fmt: skip
    capsys.readouterr()
    mon = json.loads(state_file.read_text(encoding="utf-8"))
    rep = cli_json(capsys, "report", "--format", "json", "--no-html", *opts)
    api = ok(client.get("/api/status"))
    py = gaemi.status(state)
    assert rc == (0 if py.level == 0 else 10 + py.level)
    assert mon["status"] == api["status"] == py.status.status
    assert mon["level"] == api["level"] == py.level
    assert mon["reason"] == api["reason"] == py.status.reason
    if case != "store_past":  # the report of a past day adds its "not known" details
        assert rep["status"] == py.status.status
    api_inds = {i["id"]: i for i in api["indicators"]}
    rep_inds = {i["indicator"]: i for i in rep["indicators"]}
    for i in py.indicators:
        want = None if i.level is None else i.value
        assert mon["indicators"][i.id]["state"] == api_inds[i.id]["state"] == i.state, i.id
        assert mon["indicators"][i.id]["value"] == pytest.approx(want), i.id
        if i.level is not None:
            assert api_inds[i.id]["value"] == pytest.approx(i.value), i.id
            assert rep_inds[i.id]["value"] == pytest.approx(i.value), i.id
        assert api_inds[i.id]["as_of"] == mon["indicators"][i.id]["as_of"], i.id


def test_usdkrw_is_read_from_the_store_by_every_face(
    store: Path, shared_data: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The disagreement of issue 15: with the same store, the monitor and /api/status (and
    /api/meta's rate) read the store's last USD/KRW (FRED DEXKOUS, ../shared/data)."""
    import pandas as pd

    from gaemi.monitor.indicators import load_default_rules

    fred = pd.read_csv(shared_data / "fx-daily" / "DEXKOUS.csv", na_values=".")
    last = fred.dropna().iloc[-1]
    state_file = tmp_path / "m.json"
    main(["monitor", "--once", "--db", str(store), "--state-file", str(state_file),
          "--alerts", str(tmp_path / "a.jsonl")])  # fmt: skip
    capsys.readouterr()
    mon = json.loads(state_file.read_text(encoding="utf-8"))["indicators"]
    with _client(create_app(WebSettings(db=store))) as c:
        api = {i["id"]: i for i in ok(c.get("/api/status"))["indicators"]}
        meta = ok(c.get("/api/meta"))
    fx_ids = [k for k in load_default_rules().specs if "usdkrw" in k]
    assert fx_ids
    for fid in fx_ids:
        assert api[fid]["as_of"] == mon[fid]["as_of"]
        assert api[fid]["source"] == mon[fid]["source"]
        assert "store" in api[fid]["source"]
    assert meta["fx_default"]["krw_per_usd"] == pytest.approx(float(last.iloc[1]))
    assert meta["fx_default"]["as_of"] == str(last.iloc[0])
