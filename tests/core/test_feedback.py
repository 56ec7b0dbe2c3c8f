"""The close feedback loop r = r₀ + I(Σ flows(r)): closed forms, a scalar root-finder,
the dynamics themselves, laws (Hypothesis), jumps and circuit breakers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from gaemi.core.feedback import (
    StressModel,
    all_equilibria,
    critical_shock,
    iterate_dynamics,
    solve,
    solve_reference,
)
from gaemi.core.impact import LinearImpact, SquareRootImpact
from gaemi.core.participants import (
    DealerGamma,
    LetfRebalancing,
    MarginSellers,
    RetailRedemptions,
    StopLossLadder,
)
from gaemi.errors import GaemiInputError


def a(x: object) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype=float))


def sqrt_impact(y: object = 0.7, sig: object = 0.015, v: object = 14e9) -> SquareRootImpact:
    return SquareRootImpact(a(y), a(sig), a(v))


def full_model(
    k: object = 293e9,
    gamma: object = 1.5e9,
    stops: object = ((0.3e9, 0.6e9, 0.6e9),),
    margin: object = 0.7e9,
    panic: object = 0.5,
    v: object = 14e9,
    cb: bool = True,
) -> StressModel:
    return StressModel(
        (
            LetfRebalancing(a(k)),
            DealerGamma(a(gamma)),
            StopLossLadder(np.array([[-0.03, -0.05, -0.07]]), np.asarray(stops, float), a(0.005)),
            MarginSellers(a(margin), np.array([[1.6, 1.8, 2.0, 2.5]]), a(1.4), a(3.0), a(0.25)),
            RetailRedemptions(a(3.4e9), a(3.0), a(panic), a(0.03)),
        ),
        sqrt_impact(v=v),
        spx_beta=a(1.155),
        circuit_breakers=cb,
    )


# ------------------------------------------------------------------ must-show checks
def test_linear_letf_matches_closed_form() -> None:
    # r = r₀ + λK·r  ⇒  r = r₀/(1 − λK) for λK < 1 (independent closed form)
    rng = np.random.default_rng(1)
    n = 500
    k = rng.uniform(1e10, 1e12, n)
    lk = rng.uniform(0.0, 0.95, n)
    r0 = rng.uniform(-0.05, 0.05, n)
    model = StressModel((LetfRebalancing(k),), LinearImpact(lk / k), circuit_breakers=False)
    res = solve(model, r0)
    expected = np.clip(r0 / (1 - lk), -1.0, 1.0)
    np.testing.assert_allclose(res.final_move_frac, expected, rtol=1e-12, atol=1e-15)
    assert not res.runaway[np.abs(r0 / (1 - lk)) < 1].any()


@pytest.mark.parametrize("lk", [1.0, 1.3, 5.0])
def test_linear_letf_unstable_when_lambda_k_at_least_one(lk: float) -> None:
    # λK >= 1: r = r₀/(1 − λK) has the wrong sign or no solution; the loop runs away.
    k = 3e11
    model = StressModel((LetfRebalancing(a(k)),), LinearImpact(a(lk / k)), spx_beta=a(1.0))
    res = solve(model, [-0.001, -0.02])
    assert res.runaway.all()
    np.testing.assert_allclose(res.final_move_frac, -0.20)  # level-3 breaker floor, beta 1
    crit = critical_shock(model)
    assert crit.unstable[0]
    assert crit.shock_frac[0] == 0.0


def test_linear_letf_stable_just_below_one() -> None:
    k = 3e11
    model = StressModel((LetfRebalancing(a(k)),), LinearImpact(a(0.999 / k)))
    assert not critical_shock(model).unstable[0]
    assert solve(model, [-1e-4]).final_move_frac[0] == pytest.approx(-1e-4 / 0.001, rel=1e-9)


def test_sqrt_letf_matches_scalar_root_finder_on_random_cases() -> None:
    # issue 3: with square-root impact the engine matches a scalar root-finder to 1e-9
    rng = np.random.default_rng(7)
    n = 200
    k = rng.uniform(1e10, 2e12, n)
    y, sig, v = rng.uniform(0.3, 1.5, n), rng.uniform(0.005, 0.05, n), rng.uniform(1e9, 5e11, n)
    r0 = rng.uniform(-0.15, 0.15, n)
    model = StressModel((LetfRebalancing(k),), SquareRootImpact(y, sig, v), circuit_breakers=False)
    res = solve(model, r0)
    c = y * sig / np.sqrt(v)
    checked = 0
    for i in range(n):

        def h(r: float, i: int = i) -> float:
            q = k[i] * r
            return r - r0[i] - np.sign(q) * c[i] * np.sqrt(abs(q))

        d = np.sign(r0[i])
        end = -1.0 if d < 0 else 1.0
        if h(end) * h(r0[i]) > 0:  # no root before the limit: must be a runaway
            assert res.runaway[i]
            continue
        root = brentq(h, min(r0[i], end), max(r0[i], end), xtol=1e-15, rtol=1e-15)
        assert res.final_move_frac[i] == pytest.approx(root, abs=1e-9)
        # and the closed form u = (c²K + sqrt(c⁴K² + 4c²K·s₀))/2 (independent algebra)
        c2k = c[i] ** 2 * k[i]
        u = 0.5 * (c2k + np.sqrt(c2k**2 + 4 * c2k * abs(r0[i])))
        assert abs(res.final_move_frac[i]) == pytest.approx(abs(r0[i]) + u, abs=1e-12)
        checked += 1
    assert checked > n // 2


def test_full_model_matches_reference_and_dynamics() -> None:
    # All five participants, random parameters: the fast solver, the plain per-scenario
    # reference (scan + Brent) and the dynamics r_{k+1} = G(r_k) agree.
    rng = np.random.default_rng(11)
    n = 40
    model = full_model(
        k=rng.uniform(5e10, 6e11, n),
        gamma=rng.uniform(0, 5e9, n),
        stops=rng.uniform(0, 3e9, (n, 3)),
        margin=rng.uniform(0, 3e10, n),
        panic=rng.uniform(0, 2, n),
        v=rng.uniform(5e9, 1e11, n),
    )
    r0 = rng.uniform(-0.12, 0.06, n)
    fast = solve(model, r0)
    ref, ref_run = solve_reference(model, r0, step=2e-4)
    np.testing.assert_allclose(fast.final_move_frac, ref, atol=1e-9)
    np.testing.assert_array_equal(fast.runaway, ref_run)
    dyn = iterate_dynamics(model, r0, iterations=3000)
    slow = np.abs(dyn - fast.final_move_frac) > 1e-9
    # the dynamics converge linearly; only near-tangent cases may still be creeping
    assert slow.sum() <= 2
    assert np.all(np.sign(dyn - r0) * np.sign(fast.final_move_frac - dyn) >= 0)


def test_chunking_does_not_change_results() -> None:
    rng = np.random.default_rng(3)
    n = 301
    model = full_model(k=rng.uniform(5e10, 6e11, n), v=rng.uniform(5e9, 1e11, n))
    r0 = rng.uniform(-0.1, 0.1, n)
    np.testing.assert_array_equal(
        solve(model, r0, chunk=7).final_move_frac, solve(model, r0).final_move_frac
    )


# ------------------------------------------------------------------ laws (Hypothesis)
params = st.fixed_dictionaries(
    {
        "k": st.floats(1e9, 1e12),
        "gamma": st.floats(0, 1e10),
        "stop": st.floats(0, 1e10),
        "margin": st.floats(0, 5e10),
        "panic": st.floats(0, 3),
        "v": st.floats(1e9, 5e11),
        "r0": st.floats(-0.3, 0.3),
    }
)


def _m(p: dict[str, float], k_mult: float = 1.0, v_mult: float = 1.0) -> StressModel:
    return full_model(
        k=p["k"] * k_mult,
        gamma=p["gamma"],
        stops=[[p["stop"], p["stop"], p["stop"]]],
        margin=p["margin"] * k_mult,
        panic=p["panic"],
        v=p["v"] * v_mult,
    )


@settings(max_examples=60, deadline=None)
@given(p=params, more=st.floats(1.0, 10.0))
def test_more_aum_never_reduces_the_move(p: dict[str, float], more: float) -> None:
    base = solve(_m(p), p["r0"]).final_move_frac[0]
    big = solve(_m(p, k_mult=more), p["r0"]).final_move_frac[0]
    assert abs(big) >= abs(base) - 1e-12


@settings(max_examples=60, deadline=None)
@given(p=params, less=st.floats(0.05, 1.0))
def test_less_liquidity_never_reduces_the_move(p: dict[str, float], less: float) -> None:
    base = solve(_m(p), p["r0"]).final_move_frac[0]
    thin = solve(_m(p, v_mult=less), p["r0"]).final_move_frac[0]
    assert abs(thin) >= abs(base) - 1e-12


@settings(max_examples=40, deadline=None)
@given(p=params)
def test_zero_shock_stays_zero(p: dict[str, float]) -> None:
    res = solve(_m(p), 0.0)
    assert res.final_move_frac[0] == 0.0
    assert res.total_flow_usd[0] == 0.0


@settings(max_examples=60, deadline=None)
@given(p=params)
def test_flows_conserve(p: dict[str, float]) -> None:
    # what participants sell, liquidity providers absorb; and at an equilibrium that
    # absorption is exactly what the impact model prices: I(Σ flows) = r − r₀
    model = _m(p)
    res = solve(model, p["r0"])
    total = sum(v[0] for v in res.flow_usd.values())
    assert res.absorbed_usd[0] == pytest.approx(-total, rel=1e-12, abs=1e-3)
    if not res.runaway[0] and p["r0"] != 0:
        implied = model.impact.impact_frac(np.array([total]))[0]
        assert implied == pytest.approx(res.extra_move_frac[0], abs=1e-12)
        assert np.sign(total) == np.sign(p["r0"]) or total == 0


# ------------------------------------------------------------------ jumps, breakers
def _cliff_model() -> StressModel:
    # a large stop cluster at -4% in a thin close: a Gennotte–Leland cliff
    return StressModel(
        (
            LetfRebalancing(a(2.9e11)),
            StopLossLadder(np.array([[-0.04]]), np.array([[30e9]]), a(0.002)),
        ),
        sqrt_impact(v=14e9),
        spx_beta=a(1.155),
    )


def test_critical_shock_is_a_jump_with_several_equilibria() -> None:
    model = _cliff_model()
    crit = critical_shock(model)
    c = crit.shock_frac[0]
    assert -0.04 < c < 0
    before = solve(model, c * (1 - 1e-6)).final_move_frac[0]
    after = solve(model, c * (1 + 1e-6)).final_move_frac[0]
    assert before == pytest.approx(crit.move_before_frac[0], abs=1e-6)
    assert after == pytest.approx(crit.move_after_frac[0], abs=1e-6)
    assert after - before < -0.005  # a jump of more than half a percent
    # a slightly smaller shock has three equilibria beyond zero's side; the loop stops at
    # the first one, which all_equilibria lists
    eq = all_equilibria(model, c * 0.999)
    fall = eq[eq < 0]
    assert fall.size >= 3
    assert solve(model, c * 0.999).final_move_frac[0] == pytest.approx(fall.max(), abs=1e-9)


def test_no_jump_in_a_smooth_model() -> None:
    model = StressModel((LetfRebalancing(a(2.9e11)),), sqrt_impact(), spx_beta=a(1.155))
    crit = critical_shock(model)
    assert np.isnan(crit.shock_frac[0])
    assert not crit.unstable[0]


def test_circuit_breaker_flags_after_1525() -> None:
    # SEC/NYSE market-wide breakers: 7/13/20% of the S&P 500; at the close (after 15:25 ET)
    # only level 3 halts. Linear model with a known closed form r = r₀/(1 − λK).
    k = 3e11
    model = StressModel((LetfRebalancing(a(k)),), LinearImpact(a(0.5 / k)), spx_beta=a(1.0))
    res = solve(model, [-0.04, -0.07, -0.11, -0.2])
    np.testing.assert_allclose(res.final_move_frac[:2], [-0.08, -0.14])
    np.testing.assert_array_equal(res.cb_level, [1, 2, 3, 3])
    np.testing.assert_array_equal(res.cb_halt, [False, False, True, True])
    assert res.final_move_frac[2] == pytest.approx(-0.2)  # capped at level 3
    assert res.runaway[2]
    np.testing.assert_array_equal(res.cb_level_at_shock, [0, 1, 1, 3])


def test_without_breakers_the_floor_is_minus_100pct() -> None:
    k = 3e11
    model = StressModel((LetfRebalancing(a(k)),), LinearImpact(a(2.0 / k)), circuit_breakers=False)
    assert solve(model, -0.01).final_move_frac[0] == pytest.approx(-1.0)


def test_result_frame_columns() -> None:
    df = solve(full_model(), [-0.02, 0.02]).to_frame()
    for col in (
        "shock_frac",
        "final_move_frac",
        "amplification",
        "letf_rebalancing_flow_usd",
        "margin_calls_flow_usd",
        "total_flow_usd",
        "cb_level",
    ):
        assert col in df.columns


@pytest.mark.parametrize("bad", [-1.5, -1.0, np.nan])
def test_bad_shock_is_an_input_error(bad: float) -> None:
    with pytest.raises(GaemiInputError, match="shock"):
        solve(full_model(), bad)


def test_implied_shock_inverts_the_loop() -> None:
    # r₀ = r − I(F(r)) is the exact inverse of solve at a (stable) equilibrium
    model = full_model()
    r0 = np.array([-0.08, -0.03, -0.01, 0.02])
    res = solve(model, r0)
    from gaemi.core.feedback import implied_shock_frac

    np.testing.assert_allclose(implied_shock_frac(model, res.final_move_frac), r0, atol=1e-12)
