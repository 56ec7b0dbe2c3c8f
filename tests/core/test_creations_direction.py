"""The direction-dependent creation coefficient (issue 16 item 5): β_down on falls, β_up
on rises — the fit recovers known coefficients, and the flows use each move's β."""

from __future__ import annotations

import numpy as np
import pytest

from gaemi.core.creations import (
    directional_beta,
    fit_class_beta_by_direction,
    signed_grid_flows,
)
from gaemi.core.flows import compute_flows
from gaemi.core.universe import Universe


def test_fit_recovers_known_down_and_up_coefficients() -> None:
    # two funds on one index, 3000 days: C = A·(a + β_down·min(r,0) + β_up·max(r,0)) +
    # noise, by construction (the reference values are the ones planted)
    rng = np.random.default_rng(7)
    n = 3000
    r = np.tile(rng.normal(0.0, 0.015, size=n), (2, 1))
    a = np.vstack([np.full(n, 1e9), np.full(n, 3e9)])
    y = 1e-4 + (-0.6) * np.minimum(r, 0) + (-0.1) * np.maximum(r, 0)
    c = a * (y + rng.normal(0, 1e-4, size=(2, n)))
    fit = fit_class_beta_by_direction(c, a, r)
    assert fit.ci_down[0] < -0.6 < fit.ci_down[1]
    assert fit.ci_up[0] < -0.1 < fit.ci_up[1]
    assert fit.beta_down == pytest.approx(-0.6, abs=0.02)
    assert fit.beta_up == pytest.approx(-0.1, abs=0.02)
    assert fit.n_down + fit.n_up == fit.n_obs == n


def test_directional_beta_picks_by_sign() -> None:
    got = directional_beta(np.array([-0.6, 0.2]), np.array([-0.1, 0.3]), np.array([-0.01, 0.0]))
    np.testing.assert_array_equal(got, [-0.6, 0.3])


def test_signed_grid_is_each_moves_formula() -> None:
    u = Universe.hypothetical(leverage=[3.0, -3.0], aum_usd=[10e9, 2e9], underlying_id=["NDX"] * 2)
    grid = np.array([-0.05, 0.0, 0.02])
    bd, bu = np.array([-0.6, 0.6]), np.array([-0.1, 0.65])
    res = signed_grid_flows(u, grid, beta_down=bd, beta_up=bu)
    lev, a = u.leverage, u.aum_usd
    for j, r in enumerate(grid):
        b = bd if r < 0 else bu
        # ΔE = A·r·(L(L−1) + L·β) per fund, and C = β·A·r
        np.testing.assert_allclose(res.flow_usd[:, j], a * r * (lev * (lev - 1) + lev * b))
        np.testing.assert_allclose(res.total_creations_usd()[:, j], b * a * r, atol=1e-6)
    # one sign: the same as the engine with that β
    one = compute_flows(u, [-0.05], creations_beta=bd)
    np.testing.assert_allclose(res.flow_usd[:, :1], one.flow_usd)


def test_flows_measured_over_a_mixed_grid_uses_each_moves_class_beta() -> None:
    from gaemi.app.flows import flows
    from gaemi.core.creations import fund_class
    from gaemi.data.fund_history import load_directional_creation_betas

    d = load_directional_creation_betas()
    if d is None or d.model != "direction":
        pytest.skip("the embedded table uses the single β")
    u = Universe.hypothetical(
        leverage=[3.0, 2.0, -3.0, -2.0], aum_usd=[10e9, 4e9, 2e9, 1e9], underlying_id=["NDX"] * 4
    )
    grid = [-0.04, 0.03]
    res = flows(universe=u, moves_frac=grid, creations="measured")
    lev, a = u.leverage, u.aum_usd
    cls = [str(c) for c in fund_class(lev)]
    for j, r in enumerate(grid):
        by = d.beta_down_by_class if r < 0 else d.beta_up_by_class
        b = np.array([by[c] for c in cls])
        want = float(np.sum(a * r * (lev * (lev - 1) + lev * b)))
        assert res.totals()["total_flow_usd"][j] == pytest.approx(want, rel=1e-12)
    assert "β_down on a fall and β_up on a rise" in res.choice("creations").why
    # one move per underlying (``at``): the fund's own move picks the β
    at = flows(universe=u, at={"NDX": -0.04}, creations="measured")
    assert at.totals()["total_flow_usd"][0] == pytest.approx(
        res.totals()["total_flow_usd"][0], rel=1e-12
    )


def test_sensitivity_of_each_row_takes_the_beta_of_its_side() -> None:
    """``gaemi flows --creations measured`` over a grid of falls and rises: the per-1 %
    column of a fall's row is (L(L−1) + L·β_down)·A·0.01, of a rise's (L(L−1) + L·β_up)·A·0.01
    (it took β_up for every row), in the fund, grouped and API views."""
    from gaemi.app.flows import flows
    from gaemi.core.creations import fund_class
    from gaemi.data.fund_history import load_directional_creation_betas
    from gaemi.present.web.aggregate import grouped_records

    d = load_directional_creation_betas()
    if d is None or d.model != "direction":
        pytest.skip("the embedded table uses the single β")
    u = Universe.hypothetical(
        leverage=[3.0, 2.0, -3.0, -2.0], aum_usd=[10e9, 4e9, 2e9, 1e9], underlying_id=["NDX"] * 4
    )
    grid = [-0.04, 0.03, -0.01]
    res = flows(universe=u, moves_frac=grid, creations="measured")
    lev, a = u.leverage, u.aum_usd
    cls = [str(c) for c in fund_class(lev)]
    want: dict[float, np.ndarray] = {}
    for r in grid:
        by = d.beta_down_by_class if r < 0 else d.beta_up_by_class
        b = np.array([by[c] for c in cls])
        want[r] = (lev * (lev - 1) + lev * b) * a * 0.01  # the row side's slope, per 1 %
    # the two sides differ (long 3x: −0.577 on a fall, −0.124 on a rise): the test can fail
    assert abs(want[-0.04][0] - want[0.03][0]) > 1e6
    fund = res.to_frame("fund")
    for r in grid:
        rows = fund[fund["move_frac"] == r]
        np.testing.assert_allclose(rows["flow_per_pct_usd"].to_numpy(), want[r], rtol=1e-12)
    by_u = res.to_frame("underlying").set_index("move_frac")["flow_per_pct_usd"]
    api = {
        rec["move_frac"]: rec["flow_per_pct_usd"]
        for rec in grouped_records(res.result, "underlying") or []
    }
    for r in grid:
        assert by_u.loc[r] == pytest.approx(float(want[r].sum()), rel=1e-12)
        assert api[r] == pytest.approx(float(want[r].sum()), rel=1e-12)
    assert "β of its move's side" in res.choice("creations").why
    # one side only: the engine's per-fund sensitivity, unchanged
    falls = flows(universe=u, moves_frac=[-0.04, -0.01], creations="measured").to_frame("fund")
    np.testing.assert_allclose(falls["flow_per_pct_usd"].to_numpy()[:4], want[-0.04], rtol=1e-12)
