"""The creations choice of the flow and stress engines (issue 16 item 5): none | measured |
a β, recorded in ``Result.choices`` with its source, the same through Python, CLI, API."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gaemi.app.flows import DEFAULT_CREATIONS, creations_beta, flows, parse_creations
from gaemi.app.state import load_state
from gaemi.app.stress import stress, stress_setup
from gaemi.core.creations import fund_class
from gaemi.core.flows import rebalance_multiplier
from gaemi.data.universe import load_creation_betas
from gaemi.errors import GaemiInputError


def _fall_betas() -> dict[str, float]:
    """The class β ``measured`` uses on a fall: β_down when the table's model is
    direction-dependent (scripts/build_creation_betas.py chose it out of sample), else β."""
    from gaemi.data.fund_history import load_directional_creation_betas

    d = load_directional_creation_betas()
    if d is not None and d.model == "direction":
        return d.beta_down_by_class
    return load_creation_betas().beta_by_class


def test_default_is_none_and_says_what_the_data_say() -> None:
    assert DEFAULT_CREATIONS == "none"
    res = flows(move_frac=-0.05)
    c = res.choice("creations")
    assert c.value == "none"
    assert "default" in c.why
    assert "long_3x" in c.why
    assert "creations_beta.csv" in c.why
    u = res.universe
    # the identity alone: Σ L(L−1)·A·r
    want = float(np.sum(rebalance_multiplier(u.leverage) * u.aum_usd * -0.05))
    assert res.totals()["total_flow_usd"][0] == pytest.approx(want, rel=1e-12)
    assert res.to_dict()["choices"][0]["name"] == "creations"


def test_measured_is_the_class_beta_of_the_embedded_table() -> None:
    betas = load_creation_betas()
    res = flows(move_frac=-0.05, creations="measured")
    u = res.universe
    beta = np.array([_fall_betas().get(str(c), 0.0) for c in fund_class(u.leverage)])
    # ΔE = A·r·(L(L−1) + L·β), β of each fund's class (computed here, not by the engine)
    want = float(np.sum(u.aum_usd * -0.05 * (u.leverage * (u.leverage - 1) + u.leverage * beta)))
    assert res.totals()["total_flow_usd"][0] == pytest.approx(want, rel=1e-12)
    c = res.choice("creations")
    assert c.value == "measured"
    assert betas.train[1] in c.why
    # dip-buying: the measured 3x-long β is negative, so a fall's flow is smaller
    assert betas.beta_by_class["long_3x"] < 0
    assert abs(want) < abs(flows(move_frac=-0.05).totals()["total_flow_usd"][0])


def test_a_value_is_one_beta_for_every_fund_and_bad_values_are_one_line() -> None:
    u = load_state().universe
    beta, c = creations_beta(u, "-0.2")
    assert beta is not None
    assert np.all(beta == -0.2)
    assert c.value == -0.2
    assert parse_creations(None) == "none"
    assert parse_creations("MEASURED") == "measured"
    for bad in ("bogus", "nan", "inf", 6.0, "-5.5"):
        with pytest.raises(GaemiInputError, match=r"creations = .* must be 'measured'"):
            parse_creations(bad)


def test_stress_with_measured_creations_scales_k_and_drops_the_panic_rule() -> None:
    st = load_state()
    base = stress_setup(st, "NDX")
    meas = stress_setup(st, "NDX", creations="measured")
    sel = st.universe.where_underlying("NDX")
    beta = np.array([_fall_betas().get(str(c), 0.0) for c in fund_class(sel.leverage)])
    lev = sel.leverage
    assert meas.letf_k_usd == pytest.approx(
        float(np.sum((lev * (lev - 1) + lev * beta) * sel.aum_usd)), rel=1e-12
    )
    assert base.letf_k_usd == pytest.approx(float(np.sum(lev * (lev - 1) * sel.aum_usd)))
    parts = {p.name: p for p in meas.model.participants}
    assert float(parts["letf_rebalancing"].k_usd[0]) == pytest.approx(meas.letf_k_usd)
    assert float(np.max(parts["retail_redemptions"].elasticity)) == 0.0
    r = stress(st, "NDX", -0.05, creations="measured")
    assert r.choice("creations").value == "measured"
    row = r.to_frame().iloc[0]
    assert row["retail_redemptions_flow_usd"] == 0.0
    assert row["letf_rebalancing_flow_usd"] == pytest.approx(
        meas.letf_k_usd * row["final_move_frac"], rel=1e-9
    )
    # a β that turns the funds against the move is refused in one line
    with pytest.raises(GaemiInputError, match="trade against the move"):
        stress_setup(st, "NDX", creations=-4.5)


def test_cli_and_api_agree_with_python(capsys: pytest.CaptureFixture[str]) -> None:
    import warnings

    from gaemi.present.cli import main
    from gaemi.present.web.app import create_app

    want = flows(moves_frac=[-0.05], creations="measured").totals()["total_flow_usd"][0]
    rc = main(
        ["flows", "--move", "-5%", "--by", "total", "--creations", "measured", "--format", "json"]
    )
    out = capsys.readouterr()
    assert rc in (0, None)
    (row,) = json.loads(out.out)
    assert row["flow_usd"] == pytest.approx(want, rel=1e-12)
    assert "creations: measured" in out.err
    with warnings.catch_warnings():  # Starlette's httpx-based TestClient warns (as test_web_api)
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    client = TestClient(create_app())
    resp = client.post(
        "/api/flows", json={"moves_frac": [-0.05], "by": "total", "creations": "measured"}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["total_flow_usd"][0] == pytest.approx(want, rel=1e-12)
    assert body["choices"][0]["value"] == "measured"
    bad = client.post("/api/flows", json={"moves_frac": [-0.05], "creations": "bogus"})
    assert bad.status_code == 422
