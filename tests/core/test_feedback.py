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
    assert res.total_flow_usd[0] == pytest.approx(total, rel=1e-12, abs=1e-3)
    # filled + unfilled = wanted; liquidity providers absorb what was filled
    assert res.filled_usd[0] + res.unfilled_usd[0] == pytest.approx(total, rel=1e-12, abs=1e-3)
    assert res.absorbed_usd[0] == -res.filled_usd[0]
    if not res.halted[0]:
        assert res.unfilled_usd[0] == 0.0
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


# ------------------------------------------------ no phantom drift (issue 18 item 4)
_PARTS = ("letf", "gamma", "stops", "margin", "panic")


def _subset_model(
    which: frozenset[str], d: dict[str, float], linear: bool
) -> tuple[StressModel, float]:
    """A model with the participants in ``which`` and its small-signal gain λ×·F'(0).

    F'(0) = K + 100·G: the stops, margin calls (start ratios above maintenance) and
    redemptions (threshold > 0) have no slope at a zero move. λ× is the impact's slope
    below the crossover flow (the linear model's λ).
    """
    parts: list[object] = []
    if "letf" in which:
        parts.append(LetfRebalancing(a(d["k"])))
    if "gamma" in which:
        parts.append(DealerGamma(a(d["gamma"])))
    if "stops" in which:
        parts.append(
            StopLossLadder(
                np.array([[-0.03, -0.05, 0.04]]), a(d["stop"])[None, :].repeat(3, 1), a(0.005)
            )
        )
    if "margin" in which:
        parts.append(MarginSellers(a(d["margin"]), np.array([[1.6, 2.5]]), a(1.4), a(3.0), a(0.5)))
    if "panic" in which:
        parts.append(RetailRedemptions(a(3e10), a(3.0), a(d["panic"]), a(d["theta"])))
    slope = ("letf" in which) * d["k"] + ("gamma" in which) * 100.0 * d["gamma"]
    if linear:
        lam = d["gain"] / max(slope, 1.0)
        imp: object = LinearImpact(a(lam))
    else:
        imp = SquareRootImpact(a(0.7), a(0.015), a(d["v"]), a(d["qx"]))
        lam = float(imp.small_flow_lambda[0])  # type: ignore[attr-defined]
    return StressModel(tuple(parts), imp, spx_beta=a(1.155)), lam * slope  # type: ignore[arg-type]


subsets = st.sets(st.sampled_from(_PARTS), min_size=1).map(frozenset)
draws = st.fixed_dictionaries(
    {
        "k": st.floats(1e9, 1e12),
        "gamma": st.floats(0, 1e10),
        "stop": st.floats(0, 1e10),
        "margin": st.floats(0, 5e10),
        "panic": st.floats(0, 3),
        "theta": st.floats(0.005, 0.1),
        "v": st.floats(1e9, 5e11),
        "qx": st.floats(1e9, 1e11),
        "gain": st.floats(1e-6, 0.99),
    }
)


@settings(max_examples=80, deadline=None)
@given(which=subsets, d=draws, linear=st.booleans())
def test_zero_shock_moves_nothing_for_every_participant_set(
    which: frozenset[str], d: dict[str, float], linear: bool
) -> None:
    model, _ = _subset_model(which, d, linear)
    res = solve(model, [0.0, -0.0])
    np.testing.assert_array_equal(res.final_move_frac, 0.0)
    for name, flow in res.flow_usd.items():
        np.testing.assert_array_equal(flow, 0.0, err_msg=name)
    np.testing.assert_array_equal(res.unfilled_usd, 0.0)
    assert not res.halted.any()


@settings(max_examples=120, deadline=None)
@given(
    which=subsets,
    d=draws,
    linear=st.booleans(),
    size=st.floats(1e-12, 1e-7),
    sign=st.sampled_from([-1.0, 1.0]),
)
def test_tiny_shock_closes_at_the_shock_times_the_small_signal_gain(
    which: frozenset[str], d: dict[str, float], linear: bool, size: float, sign: float
) -> None:
    # Below the crossover flow the loop is linear: r = r₀ + λ×·F'(0)·r, so
    # r = r₀/(1 − λ×F'(0)) (independent algebra). No phantom: r → 0 with r₀, the sign of
    # r is the sign of r₀, and r is within 1 % of r₀ whenever λ×F'(0) <= 0.0099.
    model, gain = _subset_model(which, d, linear)
    if gain >= 1.0:
        return  # unstable at zero (λK >= 1): runs away, tested elsewhere
    r0 = sign * size
    final = solve(model, r0).final_move_frac[0]
    assert np.sign(final) == np.sign(r0)
    assert final == pytest.approx(r0 / (1.0 - gain), rel=1e-9)
    if gain <= 0.0099:
        assert abs(final / r0 - 1.0) <= 0.01


@settings(max_examples=60, deadline=None)
@given(p=params)
def test_the_sign_of_the_close_is_the_sign_of_the_shock(p: dict[str, float]) -> None:
    res = solve(_m(p), p["r0"])
    assert np.sign(res.final_move_frac[0]) == np.sign(p["r0"])


def test_the_pure_square_root_law_sustains_a_move_of_its_own() -> None:
    # Why the crossover exists: with Q× = 0 the loop from any shock, however small, reaches
    # s₀ + (c²K + sqrt(c⁴K² + 4c²K·s₀))/2 >= c²K (the closed form above): K = $443B per unit
    # and c from Y = 0.7, σ = 1.47 %, V = $150B (the default NDX) give c²K = 0.0315 %, the
    # 315x of issue 18. With Q× = the close's capacity ($14.16B) the same shock closes at
    # r₀/(1 − λ×K), λ× = c/sqrt(Q×).
    k, v, cap = 4.43e11, 1.5e11, 14.16e9
    pure = SquareRootImpact(a(0.7), a(0.0147), a(v))
    c2k = float(pure.coefficient[0]) ** 2 * k
    assert c2k == pytest.approx(3.13e-4, rel=0.01)
    r0 = -1e-6
    phantom = solve(StressModel((LetfRebalancing(a(k)),), pure), r0).final_move_frac[0]
    assert phantom <= -c2k
    cross = SquareRootImpact(a(0.7), a(0.0147), a(v), a(cap))
    lam_k = float(cross.small_flow_lambda[0]) * k
    fixed = solve(StressModel((LetfRebalancing(a(k)),), cross), r0).final_move_frac[0]
    assert fixed == pytest.approx(r0 / (1 - lam_k), rel=1e-12)


def test_default_ndx_tiny_shock_has_no_phantom() -> None:
    # `gaemi stress --shock=-0.0001% -u NDX`: the close is the shock × the small-signal gain
    # of the default scenario, 1/(1 − λ×·(K + 100·G)), not the 315x of the pure law
    from gaemi.data.stress import build_stress_model, load_default_stress
    from gaemi.data.universe import load_default_universe

    model = build_stress_model(load_default_stress(), load_default_universe(), "NDX")
    k = float(model.participants[0].k_usd[0])  # type: ignore[attr-defined]
    g = float(model.participants[1].usd_per_pct[0])  # type: ignore[attr-defined]
    lam = float(model.impact.small_flow_lambda[0])  # type: ignore[attr-defined]
    res = solve(model, [-1e-6, 1e-6, 0.0])
    gain = 1.0 / (1.0 - lam * (k + 100.0 * g))
    np.testing.assert_allclose(res.final_move_frac, [-1e-6 * gain, 1e-6 * gain, 0.0], rtol=1e-9)
    assert 1.0 < gain < 1.2


# ------------------------------------------------ circuit-breaker halt (issue 18 item 4)
def test_a_shock_beyond_the_breaker_halts_with_the_selling_unfilled() -> None:
    # linear λK = 0.5, beta 1: the level-3 floor is −20 %. A −30 % shock halts trading before
    # the close: the close is the halt level, the loop adds nothing, nothing is filled and
    # the funds' K·(−20 %) stays unsold (not a '+10 % impact').
    k = 3e11
    model = StressModel((LetfRebalancing(a(k)),), LinearImpact(a(0.5 / k)), spx_beta=a(1.0))
    res = solve(model, [-0.3, -0.11, -0.04])
    np.testing.assert_array_equal(res.halted, [True, True, False])
    assert res.final_move_frac[0] == pytest.approx(-0.2)
    assert res.extra_move_frac[0] == 0.0
    assert res.amplification[0] == pytest.approx(1.0)
    assert res.filled_usd[0] == 0.0
    assert res.unfilled_usd[0] == pytest.approx(-0.2 * k)
    assert res.absorbed_usd[0] == 0.0
    # −11 %: the loop's equilibrium (−22 %) lies beyond the floor; the selling that moved the
    # price from −11 % to −20 % was filled, I⁻¹(−9 %) = −0.09·k/0.5, the rest is not
    assert res.final_move_frac[1] == pytest.approx(-0.2)
    assert res.extra_move_frac[1] == pytest.approx(-0.09)
    assert res.filled_usd[1] == pytest.approx(-0.18 * k)
    assert res.unfilled_usd[1] == pytest.approx(-0.02 * k)
    # −4 %: an ordinary close, everything filled
    assert res.final_move_frac[2] == pytest.approx(-0.08)
    assert res.unfilled_usd[2] == 0.0
    assert res.filled_usd[2] == pytest.approx(-0.08 * k)
    df = res.to_frame()
    assert list(df["halted"]) == [True, True, False]


def test_no_halt_without_breakers_or_on_a_rise() -> None:
    k = 3e11
    model = StressModel((LetfRebalancing(a(k)),), LinearImpact(a(0.5 / k)), circuit_breakers=False)
    res = solve(model, [-0.3, 0.3])
    assert not res.halted.any()
    np.testing.assert_array_equal(res.unfilled_usd, 0.0)


def test_margin_accounts_already_under_maintenance_are_refused() -> None:
    with pytest.raises(GaemiInputError, match="above maintenance_ratio") as exc:
        MarginSellers(a(1e9), np.array([[1.3, 1.8]]), a(1.4), a(3.0), a(0.25))
    assert "\n" not in str(exc.value)
