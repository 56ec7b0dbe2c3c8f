"""The HTTP API: endpoints against the flow engine, the OpenAPI schema, bounds → 422,
size limit → 413, deadline → 503, read-only, loopback binding, and no 5xx on fuzzed input.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaemi.core.flows import compute_flows, ladder_moves
from gaemi.core.universe import Universe
from gaemi.data.universe import load_default_universe
from gaemi.present.web.app import create_app
from gaemi.present.web.settings import WebSettings, is_loopback


def _test_client(app: Any, **kw: Any) -> Any:
    # Starlette warns that its httpx-based TestClient is deprecated; it is what FastAPI ships.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    return TestClient(app, **kw)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with _test_client(create_app()) as c:
        yield c


@pytest.fixture(scope="module")
def universe() -> Universe:
    return load_default_universe()


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# ------------------------------------------------------------------ flows
def test_research_ladder_what_if(client: Any) -> None:
    # Research note: $45B of 3x AUM → $2.7B … $13.5B of selling at −1 % … −5 %.
    body = ok(
        client.post(
            "/api/flows",
            json={
                "moves_frac": [-0.05, -0.04, -0.03, -0.02, -0.01],
                "funds": [{"leverage": 3, "aum_usd": 45e9}],
            },
        )
    )
    assert body["total_flow_usd"] == pytest.approx([-13.5e9, -10.8e9, -8.1e9, -5.4e9, -2.7e9])
    assert body["universe"] == "hypothetical funds"
    assert [r["move_frac"] for r in body["rows"]] == pytest.approx(
        [-0.05, -0.04, -0.03, -0.02, -0.01]
    )


def test_ladder_matches_engine(client: Any, universe: Universe) -> None:
    body = ok(client.get("/api/flows/ladder", params={"korean_aum_usd": 45e9, "by": "holder"}))
    want = compute_flows(universe.with_korean_aum(45e9), ladder_moves(-0.10, 0.10, 0.01))
    assert body["moves_frac"] == pytest.approx(want.scenario_move_frac.tolist())
    assert body["total_flow_usd"] == pytest.approx(want.total_usd().tolist())
    holders = want.to_frame("holder")
    kor = holders[holders["holder"] == "korean"]["flow_usd"].to_numpy()
    assert body["korean_flow_usd"] == pytest.approx(kor.tolist())
    # Korean + non-Korean + unattributed = all funds, at every move (money is conserved).
    by_move: dict[float, float] = {}
    for r in body["rows"]:
        by_move[r["move_frac"]] = by_move.get(r["move_frac"], 0.0) + r["flow_usd"]
    assert list(by_move.values()) == pytest.approx(body["total_flow_usd"])
    # $45B of Korean 3x money: 6 × 45e9 × 1 % = $2.7B of Korean flow per 1 %.
    i = body["moves_frac"].index(pytest.approx(-0.01))
    assert body["korean_flow_usd"][i] == pytest.approx(-2.7e9, rel=0.05)


def test_one_move_by_underlying(client: Any, universe: Universe) -> None:
    body = ok(client.get("/api/flows", params={"move_frac": -0.05, "underlying": ["NDX", "SOX"]}))
    ids = {r["underlying_id"] for r in body["rows"]}
    assert ids == {"NDX", "SOX"}
    sub = universe.where_underlying(["NDX", "SOX"])
    want = float((sub.leverage * (sub.leverage - 1) * sub.aum_usd * -0.05).sum())
    assert body["total_flow_usd"] == pytest.approx([want])
    row = body["rows"][0]
    # Keys carry units; keys of other groupings are absent, not null.
    assert {"move_frac", "flow_usd", "korean_flow_usd", "aum_usd", "flow_per_pct_usd"} <= set(row)
    assert "ticker" not in row
    assert "holder" not in row


def test_sensitivity_per_pct_is_linear_in_move(client: Any) -> None:
    a = ok(client.get("/api/flows", params={"move_frac": 0.01, "by": "total"}))
    b = ok(client.get("/api/flows", params={"move_frac": -0.07, "by": "total"}))
    assert b["total_flow_usd"][0] == pytest.approx(-7 * a["total_flow_usd"][0])
    assert a["rows"][0]["flow_per_pct_usd"] == pytest.approx(a["total_flow_usd"][0])


def test_projected_close_flow(client: Any, universe: Universe) -> None:
    body = ok(
        client.post("/api/flows/projected", json={"moves_frac_by_underlying": {"NDX": -0.031}})
    )
    ndx = universe.where_underlying("NDX")
    want = float((ndx.leverage * (ndx.leverage - 1) * ndx.aum_usd * -0.031).sum())
    assert body["total_flow_usd"] == pytest.approx([want])
    assert body["moves_frac"] == [None]  # moves differ by underlying


def test_creations_add_leverage_times_amount(client: Any) -> None:
    # ΔE = L(L−1)·A·r + L·C: a $1B redemption of a 3x fund adds $3B of selling.
    base = {"moves_frac": [0.0], "funds": [{"leverage": 3, "aum_usd": 1e10}]}
    body = ok(client.post("/api/flows", json={**base, "creations_usd": {"HYP1": -1e9}}))
    assert body["total_flow_usd"] == pytest.approx([-3e9])


def test_fund_rows_and_korean_share(client: Any) -> None:
    body = ok(
        client.post(
            "/api/flows",
            json={
                "moves_frac": [-0.02],
                "funds": [{"leverage": 3, "aum_usd": 45e9, "korean_share": 1.0}],
                "by": "fund",
            },
        )
    )
    (row,) = body["rows"]
    assert row["ticker"] == "HYP1"
    assert row["korean_flow_usd"] == pytest.approx(-5.4e9)  # 6 × 45e9 × 0.02, all Korean


# ------------------------------------------------------------------ meta
def test_meta_asof_universe_clock(client: Any, universe: Universe) -> None:
    meta = ok(client.get("/api/meta"))
    assert meta["read_only"] is True
    assert "flows" in meta["engines"]
    assert meta["n_funds"] == len(universe)
    asof = ok(client.get("/api/asof"))["universe"]
    assert asof["aum_as_of_max"] == max(universe.aum_as_of.tolist())
    assert asof["aum_usd"] == pytest.approx(float(universe.aum_usd.sum()))
    funds = ok(client.get("/api/universe", params={"underlying": "SOX"}))
    assert {f["ticker"] for f in funds} == set(universe.where_underlying("SOX").ticker.tolist())
    clock = ok(client.get("/api/clock"))
    # The US close is 16:00 ET (13:00 early) = 05:00/06:00 KST the next day (DESIGN.md §3).
    assert clock["next_close_et"][11:16] in ("16:00", "13:00")
    assert clock["next_close_kst"][11:16] in ("05:00", "06:00", "02:00", "03:00")
    assert ok(client.get("/api/health"))["status"] == "ok"


def test_dashboard_assets_are_local(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "http://" not in page.text
    assert "https://" not in page.text
    for path in ("/static/app.js", "/static/app.css", "/vendor/plotly.min.js"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert "https://cdn" not in r.text[:2000]
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_openapi_schema_has_units_and_bounds(client: Any) -> None:
    schema = ok(client.get("/api/openapi.json"))
    paths = schema["paths"]
    for p in ("/api/flows", "/api/flows/ladder", "/api/flows/projected", "/api/asof"):
        assert p in paths, p
    params = {p["name"]: p for p in paths["/api/flows"]["get"]["parameters"]}
    move = params["move_frac"]["schema"]
    assert move["minimum"] == -1.0
    assert move["maximum"] == 1.0
    assert params["korean_aum_usd"]["schema"]["anyOf"][0]["minimum"] == 0.0
    # No write methods anywhere: the API is read-only.
    methods = {m for ops in paths.values() for m in ops}
    assert methods <= {"get", "post"}


# ------------------------------------------------------------------ errors and limits
@pytest.mark.parametrize(
    ("method", "path", "kwargs", "needle"),
    [
        ("get", "/api/flows", {"params": {"move_frac": -1.5}}, "move_frac"),
        ("get", "/api/flows", {"params": {"move_frac": "nan"}}, "finite"),
        ("get", "/api/flows", {"params": {"korean_aum_usd": -1}}, "korean_aum_usd"),
        ("get", "/api/flows", {"params": {"by": "planet"}}, "by"),
        ("get", "/api/flows", {"params": {"bogus": 1}}, "bogus"),
        ("get", "/api/flows", {"params": {"underlying": "MOON"}}, "'MOON' is not in the universe"),
        ("get", "/api/flows/ladder", {"params": {"move_step_frac": 1e-4}}, "at most 401"),
        (
            "post",
            "/api/flows",
            {"json": {"moves_frac": [0.01], "funds": [{"leverage": 1, "aum_usd": 1e9}]}},
            "leverage = 1.0 is not a leveraged or inverse fund",
        ),
        ("post", "/api/flows", {"json": {"moves_frac": []}}, "moves_frac"),
        (
            "post",
            "/api/flows",
            {"json": {"moves_frac": [0.01], "creations_usd": {"NOPE": 1.0}}},
            "NOPE",
        ),
        ("post", "/api/flows/projected", {"json": {"moves_frac_by_underlying": {}}}, "moves"),
    ],
)
def test_bad_input_is_422_naming_the_field(
    client: Any, method: str, path: str, kwargs: dict[str, Any], needle: str
) -> None:
    r = getattr(client, method)(path, **kwargs)
    assert r.status_code == 422, r.text
    assert needle in r.text


def test_body_size_limit_413() -> None:
    with _test_client(create_app(WebSettings(max_body_bytes=2048))) as c:
        big = {"moves_frac": [0.0123456789] * 300}  # ~4 kB of JSON
        r = c.post("/api/flows", json=big)
        assert r.status_code == 413
        assert "2048 bytes" in r.json()["detail"]
        # Without a content-length (chunked), the body is counted as it arrives.
        chunks = (b"x" * 1000 for _ in range(5))
        r = c.post("/api/flows", content=chunks, headers={"content-type": "application/json"})
        assert r.status_code == 413
        small = c.post("/api/flows", json={"moves_frac": [0.01]})
        assert small.status_code == 200


def test_slow_computation_is_503(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from gaemi.present.web.routers import flows as flows_router

    real = flows_router._grid

    def slow(*args: Any) -> Any:
        time.sleep(0.5)
        return real(*args)

    monkeypatch.setattr(flows_router, "_grid", slow)
    with _test_client(create_app(WebSettings(compute_timeout_s=0.05))) as c:
        r = c.get("/api/flows")
        assert r.status_code == 503
        assert "longer than 0.05 s" in r.json()["detail"]
        assert r.headers["retry-after"] == "5"


def test_unknown_host_refused_when_loopback_only() -> None:
    app = create_app(WebSettings(allowed_hosts=("127.0.0.1", "localhost", "[::1]")))
    with _test_client(app, base_url="http://127.0.0.1") as c:
        assert c.get("/api/health").status_code == 200
        for ok_host in ("127.0.0.1:8000", "LOCALHOST", "[::1]:8000"):
            assert c.get("/api/health", headers={"host": ok_host}).status_code == 200
        for bad in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "127.0.0.1:x"):
            r = c.get("/api/health", headers={"host": bad})
            # web.md: errors are JSON {"detail": …} naming what was refused
            assert r.status_code == 400, bad
            assert r.headers["content-type"] == "application/json"
            assert f"Host header = {bad!r} is not accepted" in r.json()["detail"]


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("LocalHost", "localhost"),
        ("[::1]:8000", "[::1]"),
        ("::1", "::1"),
        ("evil.example:80", "evil.example"),
        ("127.0.0.1:x", None),
        ("[::1", None),
        ("", None),
        (None, None),
    ],
)
def test_host_of(header: str | None, host: str | None) -> None:
    from gaemi.present.web.limits import host_of

    assert host_of(header) == host


def test_write_methods_are_not_allowed(client: Any) -> None:
    for method in ("put", "delete", "patch"):
        assert getattr(client, method)("/api/flows").status_code == 405


@pytest.mark.parametrize(
    ("host", "loop"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loop: bool) -> None:
    assert is_loopback(host) is loop


def test_serve_warns_when_bound_wider(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    import uvicorn

    from gaemi.present.cli import main

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    assert main(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    err = capsys.readouterr().err
    assert "warning: binding 0.0.0.0" in err
    assert calls[0]["host"] == "0.0.0.0"
    assert calls[0]["port"] == 8123
    assert main(["serve"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert calls[-1]["host"] == "127.0.0.1"
    assert calls[-1]["port"] == 8000


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--timeout", "-1"], "--timeout = -1 must be in (0, 600] seconds"),
        (["--timeout", "0"], "--timeout = 0 must be in (0, 600] seconds"),
        (["--timeout", "601"], "--timeout = 601 must be in (0, 600] seconds"),
        (["--timeout", "nan"], "--timeout = nan must be a finite number"),
        (["--port", "70000"], "--port = 70000 must be in 0..65535"),
    ],
)
def test_serve_errors_name_the_option(
    monkeypatch: pytest.MonkeyPatch, capsys: Any, args: list[str], needle: str
) -> None:
    import uvicorn

    from gaemi.present.cli import main

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: pytest.fail("must not serve"))
    assert main(["serve", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {needle}"  # the option typed, not WebSettings' field name


# ------------------------------------------------------------------ property tests
moves = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    move=moves,
    kaum=st.none() | st.floats(min_value=0.0, max_value=1e13, allow_nan=False),
    by=st.sampled_from(["fund", "underlying", "group", "issuer", "holder", "total"]),
)
def test_flow_sign_follows_move_and_no_5xx(
    client: Any, move: float, kaum: float | None, by: str
) -> None:
    params: dict[str, Any] = {"move_frac": move, "by": by}
    if kaum is not None:
        params["korean_aum_usd"] = kaum
    body = ok(client.get("/api/flows", params=params))
    total = body["total_flow_usd"][0]
    # L(L−1) ≥ 0 for every fund, so the aggregate flow has the sign of the move.
    assert np.sign(total) == np.sign(move) or abs(total) < 1e-6 * max(1.0, abs(move) * 1e12)


# ------------------------------------------------------------------ stress and monitor
def test_stress_single_matches_engine(client: Any, universe: Universe) -> None:
    from gaemi.core.feedback import solve
    from gaemi.data.stress import build_stress_model, load_default_stress

    body = ok(
        client.get(
            "/api/stress",
            params={"underlying": "NDX", "shock_frac": -0.05, "liquidity_scale": 0.5},
        )
    )
    model = build_stress_model(load_default_stress(), universe, "NDX", adv_scale=0.5)
    want = solve(model, np.array([-0.05]))
    r = body["result"]
    assert r["final_move_frac"] == pytest.approx(float(want.final_move_frac[0]))
    assert r["total_flow_usd"] == pytest.approx(sum(r["flows_usd"].values()))
    # Procyclical participants only deepen a fall: the close is at or below the shock.
    assert r["final_move_frac"] <= -0.05
    liq = body["liquidity"]
    assert liq["capacity_usd"] == pytest.approx(liq["adv_usd"] * liq["closing_share"])
    # Pressure = |LETF flow| / capacity; threshold move = capacity / K (per unit move).
    k = liq["letf_flow_per_pct_usd"] * 100
    # signed like the shock analysed: this −5 % shock's threshold is a fall (docs/web.md)
    assert liq["threshold_move_frac"] == pytest.approx(-liq["capacity_usd"] / k)
    # two pressures, named: the funds' own (1 at the threshold move) and every participant's
    cap = liq["capacity_usd"]
    assert r["letf_pressure_ratio"] == pytest.approx(abs(r["flows_usd"]["letf_rebalancing"]) / cap)
    assert r["letf_pressure_ratio"] == pytest.approx(
        r["final_move_frac"] / liq["threshold_move_frac"]
    )
    assert r["total_pressure_ratio"] == pytest.approx(abs(r["total_flow_usd"]) / cap)
    assert r["total_pressure_ratio"] > r["letf_pressure_ratio"]
    assert "pressure_ratio" not in r


def test_stress_curve_is_monotone_and_thinner_close_is_deeper(client: Any) -> None:
    thick = ok(client.get("/api/stress/curve", params={"liquidity_scale": 2.0}))
    thin = ok(client.get("/api/stress/curve", params={"liquidity_scale": 0.25}))
    shocks = [p["shock_frac"] for p in thick["points"]]
    assert shocks[0] == pytest.approx(-0.20)
    assert shocks[-1] == pytest.approx(0.0)
    finals = [p["final_move_frac"] for p in thick["points"]]
    assert all(a <= b + 1e-12 for a, b in itertools.pairwise(finals))  # monotone in the shock
    deeper = [
        a["final_move_frac"] <= b["final_move_frac"] + 1e-12
        for a, b in zip(thin["points"], thick["points"], strict=True)
    ]
    assert all(deeper)
    assert thin["points"][0]["final_move_frac"] < thick["points"][0]["final_move_frac"]
    assert {"shock_frac", "unstable"} <= set(thick["critical"])


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"underlying": "MOON"}, "underlying = 'MOON' has no close liquidity"),
        ({"shock_frac": -1.0}, "shock_frac"),
        ({"liquidity_scale": 0}, "liquidity_scale"),
        ({"liquidity_scale": 100}, "liquidity_scale"),
    ],
)
def test_stress_bad_input_422(client: Any, params: dict[str, Any], needle: str) -> None:
    r = client.get("/api/stress", params=params)
    assert r.status_code == 422, r.text
    assert needle in r.text


def test_stress_curve_bounded(client: Any) -> None:
    r = client.get("/api/stress/curve", params={"shock_step_frac": 1e-4})
    assert r.status_code == 422
    assert "at most 401" in r.text


def test_status_and_moves(client: Any) -> None:
    calm = ok(client.get("/api/status"))
    assert calm["status"] in ("LOW", "GUARDED", "ELEVATED", "HIGH", "CRITICAL")
    assert calm["indicators"]
    for ind in calm["indicators"]:
        assert {"value", "unit", "thresholds", "rationale", "as_of", "source"} <= set(ind)
    # A 6 % NDX fall is past the research note's 5 % trigger: the status cannot be lower.
    hit = ok(client.post("/api/status", json={"moves_frac_by_underlying": {"NDX": -0.06}}))
    assert hit["level"] >= calm["level"]
    ndx = next(i for i in hit["indicators"] if i["id"] == "ndx_move")
    assert ndx["value"] == pytest.approx(-0.06)
    assert ndx["level"] == len(ndx["thresholds"])


# ------------------------------------------------------------------ fast aggregation
@settings(max_examples=30, deadline=None)
@given(
    moves=st.lists(
        st.floats(min_value=-1.0, max_value=1.0, allow_nan=False), min_size=1, max_size=6
    ),
    kaum=st.none() | st.floats(min_value=0.0, max_value=2e11, allow_nan=False),
    by=st.sampled_from(["underlying", "group", "issuer", "total"]),
)
def test_fast_grouping_equals_to_frame(
    universe: Universe, moves: list[float], kaum: float | None, by: str
) -> None:
    # The web layer's bincount sums are the reference to_frame's rows, in the same order.
    from gaemi.present.cli.common import records
    from gaemi.present.web.aggregate import grouped_records

    u = universe if kaum is None else universe.with_korean_aum(kaum)
    res = compute_flows(u, moves)
    fast = grouped_records(res, by)
    slow = records(res.to_frame(by))  # type: ignore[arg-type]
    assert fast is not None
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        assert set(a) == set(b)
        for k, v in b.items():
            if isinstance(v, float):
                assert a[k] == pytest.approx(v, rel=1e-12, abs=1e-3), k
            else:
                assert a[k] == v, k


def test_fast_grouping_declines_per_underlying_moves(universe: Universe) -> None:
    from gaemi.core.flows import projected_close_flow
    from gaemi.present.web.aggregate import grouped_records

    res = projected_close_flow(universe, {"NDX": -0.03})
    assert grouped_records(res, "underlying") is None
    assert grouped_records(compute_flows(universe, [0.01]), "holder") is None


def test_page_assets_compressed_api_not(client: Any) -> None:
    js = client.get("/vendor/plotly.min.js", headers={"accept-encoding": "gzip"})
    assert js.headers.get("content-encoding") == "gzip"
    api = client.get("/api/flows/ladder", headers={"accept-encoding": "gzip"})
    assert api.status_code == 200
    assert "content-encoding" not in api.headers


# ------------------------------------------------------------------ --db
def test_serve_from_a_store(tmp_path: Any, capsys: Any) -> None:
    # A store with the default universe imported as fund snapshots: the API serves its
    # funds and reports every table's dates; the store is opened read-only.
    from gaemi.data.universe import default_universe_path
    from gaemi.present.cli import main

    db = tmp_path / "s.duckdb"
    rc = main(["data", "import", str(default_universe_path()), "--kind", "funds", "--db", str(db)])
    assert rc == 0, capsys.readouterr().err
    with _test_client(create_app(WebSettings(db=db))) as c:
        asof = ok(c.get("/api/asof"))
        assert asof["universe"]["source"] == "store s.duckdb (fund_snapshots)"
        assert asof["universe"]["n_funds"] == len(load_default_universe())
        tables = {t["table"]: t for t in asof["store"]}
        assert tables["fund_snapshots"]["series"] == len(load_default_universe())
        assert tables["fund_snapshots"]["last_date"] == asof["universe"]["aum_as_of_max"]
        body = ok(c.get("/api/flows", params={"move_frac": 0.01, "by": "total"}))
        want = compute_flows(load_default_universe(), [0.01]).total_usd()
        assert body["total_flow_usd"] == pytest.approx(want.tolist())


def test_serve_refuses_a_missing_store(tmp_path: Any) -> None:
    from gaemi.errors import GaemiInputError

    with pytest.raises(GaemiInputError, match="does not exist"):
        create_app(WebSettings(db=tmp_path / "nope.duckdb"))


# ------------------------------------------------------------------ decay
def test_decay_erosion_closed_form(client: Any) -> None:
    # DESIGN.md §1: at σ = 45 % a flat half-year costs a 3x fund about a quarter:
    # 1 − exp(−(L²−L)/2·σ²·T) = 1 − exp(−3 · 0.45² · 0.5) = 26.2 % before costs.
    body = ok(
        client.get(
            "/api/decay/erosion",
            params={"leverage": 3, "vol_annual": [0.45], "months": [6], "rate_annual": 0.0},
        )
    )
    (row,) = body["rows"]
    assert row["drag_only_loss_frac"] == pytest.approx(1 - np.exp(-3 * 0.45**2 * 0.5))
    # Costs (spread on the borrowed 2×, no fee here) only add to the loss.
    assert row["loss_frac"] >= row["drag_only_loss_frac"]
    soxl = ok(client.get("/api/decay/erosion", params={"ticker": "SOXL"}))
    assert soxl["fund"]["underlying_id"] == "SOX"
    assert len(soxl["rows"]) == 6 * 4  # default grid: 6 vols × 4 horizons


def test_decay_simulation_seeded_and_ordered(client: Any) -> None:
    params = {"ticker": "TQQQ", "months": 3, "paths": 2000, "seed": 7}
    a = ok(client.get("/api/decay/simulate", params=params))
    b = ok(client.get("/api/decay/simulate", params=params))
    assert a == b  # same seed, same numbers
    changes = [p["fund_change_frac"] for p in a["percentiles"]]
    assert changes == sorted(changes)
    probs = [a["prob_loss_frac"][k] for k in ("0.1", "0.25", "0.5", "0.75", "0.9")]
    assert probs == sorted(probs, reverse=True)
    c = ok(client.get("/api/decay/simulate", params={**params, "seed": 8}))
    assert c["percentiles"] != a["percentiles"]


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({}, "give ticker"),
        ({"leverage": 3}, "needs vol_annual"),
        ({"ticker": "NOPE"}, "'NOPE' is not in the universe"),
        ({"ticker": "SOXL", "paths": 10**7}, "paths"),
        ({"ticker": "SOXL", "paths": 100_000, "months": 120}, "paths × days"),
        ({"ticker": "SOXL", "model": "garch", "vol_annual": 0.5}, "constant vol"),
        ({"leverage": 1, "vol_annual": 0.3}, "leverage"),
    ],
)
def test_decay_bad_input_422(client: Any, params: dict[str, Any], needle: str) -> None:
    r = client.get("/api/decay/simulate", params=params)
    assert r.status_code == 422, r.text
    assert needle in r.text


# ------------------------------------------------------------------ cascade
def test_cascade_default_chain(client: Any) -> None:
    body = ok(client.get("/api/cascade"))
    # The default scenario: the research note's −5 % NDX and SOX near the close.
    assert body["shocks_frac"] == {"NDX": -0.05, "SOX": -0.05}
    first = body["events"][0]
    assert {"step", "day", "event", "node", "impact", "impact_unit", "source"} <= set(first)
    assert [s["step"] for s in body["steps"]][:2] == ["1", "2"]
    ndx = next(b for b in body["bands"] if b["node"] == "NDX")
    # The close feedback only deepens the fall: NDX ends at or below its −5 % shock.
    assert ndx["change_mean"] <= -0.05


def test_cascade_bigger_shock_deeper_and_seeded(client: Any) -> None:
    a = ok(client.get("/api/cascade", params={"shock_frac": -0.10, "draws": 50, "seed": 3}))
    b = ok(client.get("/api/cascade", params={"shock_frac": -0.10, "draws": 50, "seed": 3}))
    assert a == b
    base = ok(client.get("/api/cascade"))
    ndx = {r["node"]: r["change_mean"] for r in a["bands"]}
    ndx0 = {r["node"]: r["change_mean"] for r in base["bands"]}
    assert ndx["NDX"] < ndx0["NDX"]
    post = ok(client.post("/api/cascade", json={"shocks_frac_by_node": {"usdkrw": 0.05}}))
    assert post["shocks_frac"] == {"USDKRW": 0.05}
    # the default's name says "-5% NDX/SOX": a response with other shocks must not
    assert "shocks from the request" in post["scenario"]
    assert "shocks from the request" in a["scenario"]
    assert "shocks from the request" not in base["scenario"]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"json": {"shocks_frac_by_node": {"MOON": -0.1}}}, "'MOON': NODE must be one of"),
        ({"json": {"shocks_frac_by_node": {}}}, "shocks_frac_by_node"),
        ({"json": {"shocks_frac_by_node": {"NDX": -0.1}, "draws": 10**6}}, "draws"),
    ],
)
def test_cascade_bad_input_422(client: Any, kwargs: dict[str, Any], needle: str) -> None:
    r = client.post("/api/cascade", **kwargs)
    assert r.status_code == 422, r.text
    assert needle in r.text


# ------------------------------------------------------------------ crypto
def test_crypto_cascade_matches_engine_and_laws(client: Any) -> None:
    from gaemi.core.crypto import cascade
    from gaemi.present.web.routers.crypto import default_setup

    body = ok(client.get("/api/crypto", params={"asset": "BTC", "shock_frac": -0.10}))
    cfg, pop, _ = default_setup()
    want = cascade(pop, cfg.market(depth_scale=1.0), {"BTC": -0.10})
    assert body["total_liquidated_usd"] == pytest.approx(float(want.total_usd()[0]))
    assert body["converged"] is True
    # Money adds up: the per-asset liquidations sum to the total.
    assert sum(a["liquidated_total_usd"] for a in body["assets"]) == pytest.approx(
        body["total_liquidated_usd"]
    )
    bigger = ok(client.get("/api/crypto", params={"shock_frac": -0.15}))
    deeper_books = ok(client.get("/api/crypto", params={"shock_frac": -0.10, "depth_scale": 4}))
    assert bigger["total_liquidated_usd"] >= body["total_liquidated_usd"]
    assert deeper_books["total_liquidated_usd"] <= body["total_liquidated_usd"]
    assert {r["holder"] for r in body["korea"]} >= {"spot BTC"}


def test_crypto_bad_input_422(client: Any) -> None:
    r = client.get("/api/crypto", params={"asset": "DOGE"})
    assert r.status_code == 422
    assert "asset = 'DOGE': ASSET must be one of BTC" in r.text
    r = client.get("/api/crypto", params={"shock_frac": -1.0})
    assert r.status_code == 422


def test_cascade_takes_the_korean_aum_what_if(client: Any) -> None:
    def ndx_rebalancing(**q: Any) -> dict[str, Any]:
        r = client.get("/api/cascade", params={"shock_frac": -0.05, **q})
        assert r.status_code == 200, r.text
        return next(e for e in r.json()["events"] if e["node"] == "NDX" and e["step"] == "2")

    base, big = ndx_rebalancing(), ndx_rebalancing(korean_aum_usd=45e9)
    # more Korean 3x money → more forced selling at the close (DESIGN.md section 1)
    assert big["amount"] < base["amount"] < 0
    assert client.get("/api/cascade", params={"korean_aum_usd": -1}).status_code == 422


# ------------------------------------------------------------------ ids in mappings
@pytest.mark.parametrize("name", ["NDX", "ndx", "Ndx", "SOX", "sox"])
def test_status_moves_are_case_insensitive(client: Any, name: str) -> None:
    calm = ok(client.get("/api/status"))
    hit = ok(client.post("/api/status", json={"moves_frac_by_underlying": {name: -0.06}}))
    ind = next(i for i in hit["indicators"] if i["id"] == f"{name.lower()}_move")
    # the move is read (not dropped): the indicator shows the input, past its last line
    assert ind["value"] == pytest.approx(-0.06)
    assert "user input" in ind["detail"]
    assert ind["level"] == len(ind["thresholds"])
    assert hit["level"] >= calm["level"]


@pytest.mark.parametrize(
    ("moves", "needle"),
    [
        # QQQ/TQQQ are funds, not the status engine's underlyings (NDX, SOX: monitor --move)
        ({"QQQ": -0.06}, "underlying = 'QQQ' is not one the status reads"),
        ({"TQQQ": -0.06}, "underlying = 'TQQQ' is not one the status reads"),
        ({"MOON": -0.06}, "underlying = 'MOON' is not one the status reads"),
        ({"TSLA": -0.06}, "underlying = 'TSLA' is not one the status reads"),
        ({"NDX": -0.06, "moon": 0.01}, "underlying = 'moon'"),
        (  # gaemi.errors.given_twice, as monitor --move says it
            {"ndx": -0.06, "NDX": -0.01},
            " NDX is given twice (ndx=-0.06, NDX=-0.01); give one move per underlying",
        ),
    ],
)
def test_status_refuses_ids_it_would_drop(
    client: Any, moves: dict[str, float], needle: str
) -> None:
    r = client.post("/api/status", json={"moves_frac_by_underlying": moves})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith("moves_frac_by_underlying")
    assert needle in detail
    if "status reads" in detail:
        assert "NDX and SOX" in detail


def test_status_accepts_what_monitor_move_accepts() -> None:
    from gaemi.errors import GaemiInputError
    from gaemi.monitor.indicators import MOVE_UNDERLYINGS
    from gaemi.present.cli.report import parse_moves
    from gaemi.present.web.routers.monitor import status_moves

    u = load_default_universe()
    for name in ("NDX", "sox", "QQQ", "TQQQ", "SPX", "semiconductors"):
        try:
            cli: dict[str, float] | None = parse_moves([f"{name}=-1%"])
        except GaemiInputError:
            cli = None
        try:
            web: dict[str, float] | None = status_moves(u, {name: -0.01})
        except GaemiInputError:
            web = None
        assert cli == web, name
    assert set(MOVE_UNDERLYINGS) == {"NDX", "SOX"}


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        (
            "/api/flows/projected",
            {"moves_frac_by_underlying": {"sox": -0.05, "SOX": -0.01}},
            (
                "moves_frac_by_underlying SOX is given twice (sox=-0.05, SOX=-0.01); give one "
                "move per underlying"
            ),
        ),
        (
            "/api/flows/projected",  # SOX's funds are in the group semiconductors
            {"moves_frac_by_underlying": {"SOX": -0.05, "semiconductors": -0.01}},
            "would get two moves",
        ),
        (
            "/api/flows/projected",
            {"moves_frac_by_underlying": {"NDX": -0.01}, "creations_usd": {"tqqq": 1, "TQQQ": 2}},
            "creations_usd: 'tqqq' and 'TQQQ' both name TQQQ",
        ),
        (
            "/api/flows",
            {"moves_frac": [-0.01], "korean_holdings_usd": {"soxl": 1e9, "SOXL": 2e9}},
            "korean_holdings_usd: 'soxl' and 'SOXL' both name SOXL",
        ),
        (
            "/api/flows",
            {"moves_frac": [-0.01], "korean_holdings_usd": {"MOON": 1e9}},
            "ticker = 'MOON' is not in the universe",
        ),
        (
            "/api/cascade",
            {"shocks_frac_by_node": {"ndx": -0.05, "NDX": -0.08}},
            (
                "shocks_frac_by_node NDX is given twice for day 0 (ndx=-0.05, NDX=-0.08); give "
                "one move per node and day"
            ),
        ),
        (
            "/api/cascade",
            {"shocks_frac_by_node": {"moon": -0.05}},
            "shocks_frac_by_node = 'moon': NODE must be one of NDX, SOX",
        ),
        (
            "/api/crypto",
            {"shocks_frac_by_asset": {"btc": -0.1, "BTC": -0.2}},
            "shocks_frac_by_asset BTC is given twice (btc=-0.1, BTC=-0.2); give one move per asset",
        ),
        (
            "/api/crypto",
            {"shocks_frac_by_asset": {"moon": -0.1}},
            "shocks_frac_by_asset = 'MOON': ASSET must be one of BTC",
        ),
    ],
)
def test_mappings_refuse_unknown_and_repeated_ids(
    client: Any, path: str, body: dict[str, Any], needle: str
) -> None:
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]


def test_mapping_ids_are_case_insensitive(client: Any) -> None:
    for path, body in [
        ("/api/flows/projected", {"moves_frac_by_underlying": {"ndx": -0.03}}),
        ("/api/flows", {"moves_frac": [-0.01], "korean_holdings_usd": {"soxl": 5e9}}),
        ("/api/flows", {"moves_frac": [-0.01], "creations_usd": {"soxl": 1e9}}),
        ("/api/cascade", {"shocks_frac_by_node": {"ndx": -0.08}}),
        ("/api/crypto", {"shocks_frac_by_asset": {"eth": -0.1}}),
    ]:
        key = next(k for k, v in body.items() if isinstance(v, dict))
        shouted = {**body, key: {k.upper(): v for k, v in body[key].items()}}
        assert ok(client.post(path, json=body)) == ok(client.post(path, json=shouted)), path


def test_korean_flow_is_null_when_no_fund_has_korean_data(client: Any) -> None:
    # README "JSON key conventions": korean_flow_usd is null where unknown, never 0.0.
    body = ok(
        client.post(
            "/api/flows",
            json={"moves_frac": [-0.05, -0.01], "funds": [{"leverage": 3, "aum_usd": 45e9}]},
        )
    )
    assert [r["korean_flow_usd"] for r in body["rows"]] == [None, None]
    assert body["korean_flow_usd"] == [None, None]
    assert body["n_funds_korean_known"] == 0
    assert body["unattributed_flow_usd"] == pytest.approx(body["total_flow_usd"])
    # With one fund of known share: the sum over that fund alone (6 × 10e9 × −0.05 × 0.5).
    mixed = ok(
        client.post(
            "/api/flows",
            json={
                "moves_frac": [-0.05],
                "funds": [
                    {"leverage": 3, "aum_usd": 10e9, "korean_share": 0.5},
                    {"leverage": 3, "aum_usd": 20e9},
                ],
                "by": "fund",
            },
        )
    )
    assert mixed["n_funds_korean_known"] == 1
    assert mixed["korean_flow_usd"] == pytest.approx([6 * 10e9 * -0.05 * 0.5])
    assert mixed["unattributed_flow_usd"] == pytest.approx([6 * 20e9 * -0.05])
    # A known share of zero is known: 0.0, not null.
    zero = ok(
        client.post(
            "/api/flows",
            json={
                "moves_frac": [-0.05],
                "funds": [{"leverage": 3, "aum_usd": 1e9, "korean_share": 0}],
            },
        )
    )
    assert zero["korean_flow_usd"] == [0.0]
    assert zero["n_funds_korean_known"] == 1


def test_default_universe_counts_its_korean_known_funds(client: Any, universe: Universe) -> None:
    body = ok(client.get("/api/flows", params={"move_frac": -0.01}))
    assert body["n_funds_korean_known"] == int(universe.korean_known.sum()) > 0
    assert all(isinstance(x, float) for x in body["korean_flow_usd"])


@pytest.mark.parametrize("path", ["/api/decay/erosion", "/api/decay/simulate"])
def test_decay_ticker_and_a_different_leverage_is_422(client: Any, path: str) -> None:
    r = client.get(path, params={"ticker": "SOXL", "leverage": 2})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "ticker = 'SOXL' is a +3x fund" in detail
    assert "leverage = 2" in detail
    # the ticker's own leverage is no contradiction (any case of the ticker)
    same = ok(client.get("/api/decay/erosion", params={"ticker": "soxl", "leverage": 3}))
    assert same["fund"]["ticker"] == "SOXL"
    assert same["fund"]["leverage"] == 3.0


@pytest.mark.parametrize("path", ["/api/stress", "/api/stress/curve"])
def test_stress_unknown_underlying_names_what_the_api_accepts(client: Any, path: str) -> None:
    listed = [x["underlying"] for x in client.get("/api/stress/underlyings").json()]
    r = client.get(path, params={"underlying": "MOON"})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert detail.startswith("underlying = 'MOON'")
    assert f"accepted: {', '.join(listed)}" in detail
    assert "--scenario" not in detail  # a CLI hint the API cannot act on
    for name in listed:
        assert client.get(path, params={"underlying": name.lower()}).status_code == 200


def test_docs_endpoint_table_names_only_accepted_parameters(client: Any) -> None:
    """docs/web.md's table: every parameter a row names is one its method takes."""
    import re
    from pathlib import Path

    spec = client.get("/api/openapi.json").json()

    def accepted(method: str, path: str) -> set[str]:
        op = spec["paths"][path][method.lower()]
        names = {p["name"] for p in op.get("parameters", [])}
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            ref = body["schema"]["$ref"].rsplit("/", 1)[1]
            names |= set(spec["components"]["schemas"][ref]["properties"])
        return names

    doc = (Path(__file__).parents[2] / "docs" / "web.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if re.match(r"\| `(GET|POST) /api/", line)]
    assert len(rows) > 15
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        params = re.findall(r"`([a-z][a-z0-9_]*)`", re.sub(r"\([^)]*\)", "", cells[2]))
        for method, path in re.findall(r"`(GET|POST) (/api/[^`]*)`", cells[0]):
            missing = set(params) - accepted(method, path)
            assert not missing, f"{method} {path}: docs name {missing}"


# ------------------------------------------------------------------ audit: one rule, one sign
def test_stress_threshold_has_the_sign_of_the_shock_like_the_cli(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from gaemi.present.cli import main

    # The API's threshold used to be always positive while the CLI's was always negative
    # (−0.0155 against +0.0155): both now carry the sign of the shock analysed.
    for shock in (-0.02, 0.02):
        body = ok(client.get("/api/stress", params={"underlying": "NDX", "shock_frac": shock}))
        api = body["liquidity"]["threshold_move_frac"]
        assert np.sign(api) == np.sign(shock)
        assert main(["stress", "--shock", f"{shock:+.2%}", "-u", "NDX", "--format", "json"]) == 0
        (row,) = json.loads(capsys.readouterr().out)
        assert row["threshold_move_frac"] == pytest.approx(api, rel=1e-9)
        # letf_pressure_ratio is 1 at the threshold: final / threshold is positive both ways
        r = body["result"]
        assert r["letf_pressure_ratio"] == pytest.approx(r["final_move_frac"] / api, rel=1e-6)
    rise = ok(
        client.get("/api/stress/curve", params={"shock_from_frac": 0.01, "shock_to_frac": 0.05})
    )
    assert rise["liquidity"]["threshold_move_frac"] > 0
    fall = ok(client.get("/api/stress/curve"))  # default grid −20 % … 0
    assert fall["liquidity"]["threshold_move_frac"] < 0
    listed = client.get("/api/stress/underlyings").json()
    assert all(x["threshold_move_frac"] is None or x["threshold_move_frac"] < 0 for x in listed)
    assert all("pressure_threshold_move_frac" not in x for x in listed)


@pytest.mark.parametrize("leverage", [0.5, 0, 1, 11, -10.5, 20])
@pytest.mark.parametrize("path", ["/api/decay/erosion", "/api/decay/simulate"])
def test_decay_leverage_rule_is_the_clis(client: Any, path: str, leverage: float) -> None:
    # gaemi flows --fund's rule (is_fund_leverage, |L| <= 10): 0.5 used to answer +0.5x
    r = client.get(path, params={"leverage": leverage, "vol_annual": 0.45})
    assert r.status_code == 422, r.text
    assert any(e["loc"][-1] == "leverage" for e in r.json()["detail"]), r.text


@pytest.mark.parametrize("leverage", [0.5, 0, 1, 11, -10.5])
def test_flows_fund_leverage_rule_is_the_clis(client: Any, leverage: float) -> None:
    body = {"moves_frac": [0.01], "funds": [{"leverage": leverage, "aum_usd": 1e9}]}
    r = client.post("/api/flows", json=body)
    assert r.status_code == 422, r.text
    assert any(e["loc"][-1] == "leverage" for e in r.json()["detail"]), r.text


@pytest.mark.parametrize("leverage", [10, -10, 6, -7, 1.5])
def test_leverages_the_cli_accepts_the_api_accepts(client: Any, leverage: float) -> None:
    # [−5, 5] used to refuse what gaemi flows --fund takes (up to ±10)
    body = {"moves_frac": [0.01], "funds": [{"leverage": leverage, "aum_usd": 1e9}]}
    got = ok(client.post("/api/flows", json=body))
    assert got["total_flow_usd"][0] == pytest.approx(leverage * (leverage - 1) * 1e9 * 0.01)
    ero = ok(client.get("/api/decay/erosion", params={"leverage": leverage}))
    assert ero["fund"]["leverage"] == leverage


def test_cli_erosion_view_answers_the_apis_point(
    client: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from gaemi.present.cli import main

    # `gaemi decay --view erosion --vol 45% --months 6` used to print the default 6×4 grid
    rc = main(
        [
            "decay",
            "--ticker",
            "SOXL",
            "--view",
            "erosion",
            "--vol",
            "45%",
            "--months",
            "6",
            "--format",
            "json",
        ]
    )
    assert rc == 0
    cli = json.loads(capsys.readouterr().out)
    api = ok(
        client.get("/api/decay/erosion", params={"ticker": "SOXL", "vol_annual": 0.45, "months": 6})
    )["rows"]
    assert len(cli) == len(api) == 1
    assert cli[0]["loss_frac"] == pytest.approx(api[0]["loss_frac"], rel=1e-12)
    assert cli[0]["drag_only_loss_frac"] == pytest.approx(api[0]["drag_only_loss_frac"], rel=1e-12)
    # docs/decay.md: SOXL's flat half-year at 45 % costs 29.5 % with rate, spread and fee
    assert api[0]["loss_frac"] == pytest.approx(0.295, abs=5e-4)


def test_state_only_answers_cached_per_state() -> None:
    """/api/status, /api/meta, /api/asof and the default cascade are computed once per
    served state: the second answer comes from memory, byte for byte the first; a request
    with parameters (POST /api/status with a move) is computed, and another app (another
    state version) has its own cache."""
    app = create_app()
    web = app.state.gaemi
    with _test_client(app) as c:
        for path in ("/api/status", "/api/meta", "/api/asof", "/api/cascade"):
            first, second = c.get(path), c.get(path)
            assert first.status_code == second.status_code == 200, path
            assert first.content == second.content, path
        cache = web.response_cache
        assert (cache.misses, cache.hits, len(cache)) == (4, 4, 4)
        moved = c.post("/api/status", json={"moves_frac_by_underlying": {"NDX": -0.2}})
        assert moved.status_code == 200
        assert "x-gaemi-cache" not in moved.headers
        assert len(cache) == 4
        # a cascade with a parameter is not kept (their number is unbounded)
        assert c.get("/api/cascade", params={"shock_frac": -0.06}).status_code == 200
        assert len(cache) == 4
        other = create_app().state.gaemi
        assert other.state_version != web.state_version
        assert len(other.response_cache) == 0


def test_timeout_cancels_and_frees_the_limit() -> None:
    """A computation past the bound answers 503 and is stopped in its thread: the limiter
    token comes back within 2 s (it used to be released at the 503 while the thread went
    on), so the next request runs."""
    import time

    from gaemi.present.web.limits import running_computations

    # 5,000 draws over 250 days take about 2.6 s alone here; a 2-draw run well under 0.1 s
    app = create_app(WebSettings(compute_timeout_s=1.0, max_concurrent_computations=1))
    web = app.state.gaemi
    with _test_client(app) as c:
        assert c.get("/api/cascade", params={"draws": 2}).status_code == 200  # warm-up
        r = c.get("/api/cascade", params={"draws": 5000, "horizon_days": 250})
        assert r.status_code == 503
        assert r.headers["retry-after"] == "5"
        deadline = time.monotonic() + 2.0
        while web.limiter.borrowed_tokens and time.monotonic() < deadline:
            time.sleep(0.02)
        assert web.limiter.borrowed_tokens == 0
        assert running_computations() == 0
        assert c.get("/api/cascade", params={"draws": 2}).status_code == 200


def test_status_day_asked_only_for_a_served_date() -> None:
    """/api/status treats the served day as asked for (so past the data it has no status,
    like gaemi monitor --date) only when load_state was given that day (stamped at midnight
    UTC); a server started without --date keeps "today", flagged stale, even after midnight."""
    import datetime as dt
    from dataclasses import replace

    from gaemi.app.state import load_state
    from gaemi.present.web.routers.monitor import day_asked

    asked = load_state(as_of="2030-01-01")
    assert day_asked(asked)
    today = load_state()
    assert not day_asked(today) or today.as_of.time() == dt.time()  # loaded at 00:00:00.0
    yesterday = replace(today, as_of=dt.datetime(2029, 12, 31, 15, 4, tzinfo=dt.UTC))
    assert not day_asked(yesterday)


def test_wiped_out_flows_one_answer(client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # NDX −40 % wipes out the 3x funds (1 + 3·(−0.4) < 0): the API, the CLI and Python give
    # one answer, the unwind −L·A·(1+r) for those funds (gaemi.core.flows.rebalance_flow_usd).
    import json

    from gaemi.app.flows import flows
    from gaemi.present.cli import main

    body = ok(
        client.post(
            "/api/flows/projected", json={"moves_frac_by_underlying": {"NDX": -0.4}, "by": "fund"}
        )
    )
    py = flows(at={"NDX": -0.4}, by="fund")
    assert main(["flows", "--at", "NDX=-40%", "--by", "fund", "--format", "json"]) == 0
    cli = {r["ticker"]: r for r in json.loads(capsys.readouterr().out)}
    api = {r["ticker"]: r for r in body["rows"]}
    frame = py.to_frame().set_index("ticker")
    gone = [t for t, w in frame["wiped_out"].items() if w]
    assert "TQQQ" in gone
    assert body["wiped_out_tickers"] == [gone]
    assert body["n_funds_wiped_out"] == [len(gone)]
    for t in ("TQQQ", "QLD", "SQQQ"):
        assert api[t]["flow_usd"] == cli[t]["flow_usd"] == float(frame.loc[t, "flow_usd"])
        assert api[t]["wiped_out"] is cli[t]["wiped_out"] is bool(frame.loc[t, "wiped_out"])
    assert body["total_flow_usd"] == py.totals()["total_flow_usd"]
