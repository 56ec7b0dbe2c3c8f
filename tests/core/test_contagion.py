"""Contagion engine: small graphs against closed forms, Monte Carlo, seeds, rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaemi.core.contagion import (
    CascadeModel,
    Edge,
    FeedbackSpec,
    Node,
    Outcome,
    Param,
    Shock,
    Step,
    find_fuse,
    reverse_stress,
    simulate,
    spectral_radius,
    step_verdicts,
)
from gaemi.errors import GaemiInputError


def node(nid: str, change: str = "absolute", session: str = "us", **kw: object) -> Node:
    base = float(kw.pop("baseline", 100.0 if change == "relative" else 0.0))  # type: ignore[arg-type]
    return Node(
        id=nid,
        name=nid,
        unit="u",
        change=change,  # type: ignore[arg-type]
        session=session,  # type: ignore[arg-type]
        baseline=base,
        lower=float(kw.pop("lower", -1e6 if change == "absolute" else 1e-3)),  # type: ignore[arg-type]
        upper=float(kw.pop("upper", 1e6)),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def linear(eid: str, src: str, dst: str, beta: float | Param, lag: int = 0) -> Edge:
    p = beta if isinstance(beta, Param) else Param(beta)
    return Edge(eid, "linear", src, (dst,), lag, {"beta": p}, source_ref="test")


def threshold(
    eid: str, src: str, dst: str, level: float, impact: float, lag: int = 1, **kw: object
) -> Edge:
    """``dst`` moves by ``impact`` ``lag`` days after ``src`` crosses ``level``."""
    params = {"level": Param(level), "impact": Param(impact)}
    return Edge(eid, "threshold", src, (dst,), lag, params, source_ref="test", **kw)  # type: ignore[arg-type]


def model(nodes, edges, shocks, horizon=5, steps=()) -> CascadeModel:  # type: ignore[no-untyped-def]
    return CascadeModel("t", tuple(nodes), tuple(edges), tuple(shocks), horizon, tuple(steps))


def gpif_rebalance(band: float, aum: float, jgb_effect: float, **kw: object) -> Edge:
    """A rebalancing fund ("gpif") holding 30 % of ``aum`` in EQ against a 25 % target
    ± ``band``: it trades EQ back to the target on day 1 and moves JGB by ``jgb_effect``
    per unit traded."""
    return Edge(
        "gpif",
        "rebalance",
        "EQ",
        ("JGB",),
        1,
        {"weight": Param(0.3), "target": Param(0.25), "band": Param(band), "aum": Param(aum)},
        effects={"JGB": Param(jgb_effect)},
        source_ref="test",
        **kw,  # type: ignore[arg-type]
    )


def close_fb(
    k_other_usd: float,
    korean_aum_usd: float,
    impact_per_usd: float,
    max_move_frac: float | None = 0.2,
) -> FeedbackSpec:
    """The linear close loop F(r) = K·r, K = k_other + 6·A_kr (DESIGN.md 1: a 3x fund
    trades L(L−1) = 6 times its AUM times the move), impact λ per USD, capped at
    ``max_move_frac`` (no cap when None)."""
    params = {
        "k_other_usd": Param(k_other_usd),
        "korean_aum_usd": Param(korean_aum_usd),
        "korean_multiplier": Param(6.0),
        "impact_per_usd": Param(impact_per_usd),
    }
    if max_move_frac is not None:
        params["max_move_frac"] = Param(max_move_frac)
    return FeedbackSpec("linear", params)


# ------------------------------------------------------------------ closed forms
def test_two_node_linear_lag_closed_form() -> None:
    # closed form: B's change on day 1 = beta · A's change on day 0; levels absolute
    m = model(
        [node("A"), node("B")], [linear("ab", "A", "B", 0.5, lag=1)], [Shock("A", 0, -2.0)], 4
    )
    r = simulate(m, deterministic=True)
    np.testing.assert_allclose(r.mean_path[0], [0, -2, -2, -2, -2])
    np.testing.assert_allclose(r.mean_path[1], [0, 0, -1, -1, -1])
    ev = [e for e in r.events if e.event == "ab"]
    assert [(e.day, e.impact) for e in ev] == [(1, -1.0)]  # logged on the day it lands


def test_two_node_cycle_geometric_series_and_spectral_radius() -> None:
    # A→B (b1, lag 1), B→A (b2, lag 1): A's level after day t is x·Σ_{k≤t/2} (b1·b2)^k,
    # and the companion matrix has ρ = sqrt(|b1·b2|) (independent closed form).
    b1, b2, x, H = 0.8, 0.5, -1.0, 9
    m = model(
        [node("A"), node("B")],
        [linear("ab", "A", "B", b1, 1), linear("ba", "B", "A", b2, 1)],
        [Shock("A", 0, x)],
        H,
    )
    r = simulate(m, deterministic=True)
    for t in range(H):
        expect_a = x * sum((b1 * b2) ** k for k in range(t // 2 + 1))
        assert r.mean_path[0, t + 1] == pytest.approx(expect_a)
    s = spectral_radius(m)
    assert s.spectral_radius == pytest.approx(math.sqrt(b1 * b2))
    assert not s.amplifying
    (cyc,) = s.cycles
    assert cyc.lag_days == 2
    assert cyc.gain == pytest.approx(b1 * b2)


def test_amplifying_cycle_is_reported() -> None:
    # loop gain 1.5 over 2 days → ρ = sqrt(1.5) ≥ 1 (closed form)
    m = model(
        [node("A"), node("B")],
        [linear("ab", "A", "B", 1.5, 1), linear("ba", "B", "A", 1.0, 1)],
        [Shock("A", 0, -1.0)],
    )
    s = spectral_radius(m)
    assert s.spectral_radius == pytest.approx(math.sqrt(1.5))
    assert s.amplifying
    assert "AMPLIFYING" in s.summary()


def test_three_node_linear_then_threshold() -> None:
    # A→B linear beta 2 (lag 0), B→C threshold "below -3" impact -7 (lag 1):
    # B = 2x; C gets −7 on day 1 iff 2x < −3 (closed form).
    def build(x: float) -> CascadeModel:
        thr = threshold("bc", "B", "C", -3.0, -7.0, direction="below")
        return model(
            [node("A"), node("B"), node("C")],
            [linear("ab", "A", "B", 2.0), thr],
            [Shock("A", 0, x)],
            3,
        )

    below = simulate(build(-2.0), deterministic=True)  # B = −4 < −3: fires
    assert below.mean_path[2].tolist() == [0, 0, -7, -7]
    assert below.fired["bc"].all()
    above = simulate(build(-1.0), deterministic=True)  # B = −2: does not fire
    assert above.mean_path[2].tolist() == [0, 0, 0, 0]
    assert "did not fire" in above.diagnostics["bc"]


def test_close_feedback_linear_closed_form() -> None:
    # r = r0 / (1 − λK) with K = k_other + 6·A_kr (DESIGN.md 1: a 3x fund trades 6·A·r)
    k_other, a_kr, lam, r0 = 100e9, 20e9, 1e-12, -0.05
    K = k_other + 6 * a_kr
    fb = close_fb(k_other, a_kr, lam)
    m = model(
        [node("NDX", "relative", equity=True, close_feedback=fb)], [], [Shock("NDX", 0, r0)], 1
    )
    r = simulate(m, deterministic=True)
    expect = r0 / (1 - lam * K)
    assert r.change("NDX")[0] == pytest.approx(expect)
    (ev,) = [e for e in r.events if e.event == "feedback:NDX"]
    assert ev.amount == pytest.approx(K * expect)  # the close flow K·r, USD
    assert spectral_radius(m).close_gain["NDX"] == pytest.approx(1 / (1 - lam * K))
    # the research note's reference: $45B of 3x AUM and a 5% drop → $13.5B to sell
    fb45 = close_fb(0.0, 45e9, 0.0, max_move_frac=None)
    m45 = model([node("NDX", "relative", close_feedback=fb45)], [], [Shock("NDX", 0, -0.05)], 1)
    (ev45,) = simulate(m45, deterministic=True).events[1:]
    assert ev45.amount == pytest.approx(-13.5e9)


def test_close_feedback_without_equilibrium_hits_the_cap() -> None:
    # λK ≥ 1: the linear loop has no stable fixed point; the move runs to the 20% cap
    fb = close_fb(2e12, 0.0, 1e-12)
    m = model([node("NDX", "relative", close_feedback=fb)], [], [Shock("NDX", 0, -0.01)], 1)
    assert simulate(m, deterministic=True).change("NDX")[0] == pytest.approx(-0.2)
    assert spectral_radius(m).amplifying


def test_rebalance_buys_the_falling_asset() -> None:
    # weight 30% → after a −50% fall w = 0.15/0.85 = 17.6% < 25% − 4%: trade back to 25%,
    # trade = (0.25 − w)·V·0.85 > 0, i.e. the fund BUYS the asset that fell.
    eq = node("EQ", "relative")
    bond = node("JGB")
    reb = gpif_rebalance(band=0.04, aum=200.0, jgb_effect=0.01)
    r = simulate(model([eq, bond], [reb], [Shock("EQ", 0, -0.5)], 3), deterministic=True)
    w = 0.15 / 0.85
    trade = (0.25 - w) * 200 * 0.85
    (ev,) = [e for e in r.events if e.event == "gpif"]
    assert ev.amount == pytest.approx(trade)
    assert ev.amount > 0
    assert r.mean_path[1, 2] == pytest.approx(0.01 * trade)
    small = simulate(model([eq, bond], [reb], [Shock("EQ", 0, -0.05)], 3), deterministic=True)
    assert not small.fired["gpif"].any()  # 28.9% stays inside 25% ± 4%


def test_margin_call_closed_form() -> None:
    # ratios uniform on [1.5, 2.5], maintenance 1.4, collateral beta 1: after a −25% fall
    # p = 0.75, accounts with ratio < 1.4/0.75 = 1.8667 are called: q = 0.3667;
    # sale = sale_frac·m·loan·q, logged as a negative flow, effect = coef × flow.
    mc = Edge(
        "mc",
        "margin_call",
        "K",
        ("K", "BAL"),
        2,
        {
            "loan": Param(30.0),
            "maintenance": Param(1.4),
            "ratio_lo": Param(1.5),
            "ratio_hi": Param(2.5),
            "beta": Param(1.0),
            "sale_frac": Param(0.5),
        },
        effects={"K": Param(0.001), "BAL": Param(1.0)},
        source_ref="test",
    )
    m = model([node("K", "relative"), node("BAL")], [mc], [Shock("K", 0, -0.25)], 4)
    r = simulate(m, deterministic=True)
    q = (1.4 / 0.75 - 1.5) / 1.0
    sale = 0.5 * 1.4 * 30.0 * q
    assert r.mean_path[1, 3] == pytest.approx(-sale)  # lands on day 2 (lag 2)
    assert r.mean_path[0, 3] == pytest.approx(75.0 * (1 - 0.001 * sale))


def test_policy_rule_level_speed_and_cooldown() -> None:
    # hike 0.25 when FX > 1500 and its 1-day change > 1%; cooldown 3 days
    fx = node("FX", "relative", "asia", baseline=1480.0, lower=900, upper=2500)
    rate = node("RATE", session="asia", baseline=2.5, lower=0, upper=10)
    pol = Edge(
        "hike",
        "policy",
        "FX",
        ("RATE",),
        1,
        {"level": Param(1500.0), "speed": Param(0.01), "step": Param(0.25)},
        direction="above",
        window=1,
        cooldown=3,
        source_ref="test",
    )
    shocks = [Shock("FX", d, 0.02) for d in range(5)]
    r = simulate(model([fx, rate], [pol], shocks, 6), deterministic=True)
    days = [e.day for e in r.events if e.event == "hike"]
    assert days == [1, 4]  # fires day 0 (1509.6 > 1500, +2%) and day 3; lands a day later
    assert r.mean_path[1, -1] == pytest.approx(3.0)


# ------------------------------------------------------------------ Monte Carlo
def _mc_model(rng_width: float) -> CascadeModel:
    beta = Param(0.4, 0.4 - rng_width, 0.4 + rng_width, "uniform")
    return model(
        [node("A", "relative"), node("B", "relative")],
        [linear("ab", "A", "B", beta, 1)],
        [Shock("A", 0, -0.1)],
        4,
    )


def test_mc_mean_equals_deterministic_when_ranges_collapse() -> None:
    m = _mc_model(0.0)
    det = simulate(m, deterministic=True)
    mc = simulate(m, 500, rng=3)
    np.testing.assert_allclose(mc.mean_path, det.mean_path, rtol=0, atol=1e-12)
    np.testing.assert_allclose(mc.band_path[0], det.mean_path, atol=1e-12)


def test_mc_mean_of_linear_edge_matches_mean_beta() -> None:
    # B's change is linear in beta, so its mean is beta_mean · shock (law of large numbers;
    # uniform on [0.2, 0.6]: sd of the mean over 20000 draws ≈ 0.1155·0.1/141 ≈ 8e-5)
    mc = simulate(_mc_model(0.2), 20000, rng=11)
    assert mc.change("B").mean() == pytest.approx(0.4 * -0.1, abs=4e-4)
    lo, hi = np.quantile(mc.change("B"), [0.05, 0.95])
    assert lo == pytest.approx(-0.1 * 0.58, abs=2e-3)
    assert hi == pytest.approx(-0.1 * 0.22, abs=2e-3)


def test_same_seed_same_result() -> None:
    m = _mc_model(0.2)
    a, b, c = simulate(m, 200, rng=5), simulate(m, 200, rng=5), simulate(m, 200, rng=6)
    np.testing.assert_array_equal(a.final_level, b.final_level)
    assert not np.array_equal(a.final_level, c.final_level)


@settings(max_examples=25, deadline=None)
@given(x=st.floats(-0.5, 0.5), beta=st.floats(-2, 2))
def test_linear_chain_is_linear_in_the_shock(x: float, beta: float) -> None:
    # law: a linear graph's response scales with the shock
    m = model(
        [node("A"), node("B"), node("C")],
        [linear("ab", "A", "B", beta), linear("bc", "B", "C", 0.5, 1)],
        [Shock("A", 0, x)],
        3,
    )
    r = simulate(m, deterministic=True)
    assert r.mean_path[2, -1] == pytest.approx(0.5 * beta * x, abs=1e-12)


# ------------------------------------------------------------------ fuse, reverse, steps
def test_fuse_finds_the_threshold_closed_form() -> None:
    # B = 1·(s·−1); threshold below −3 fires when s > 3 (grid resolution smax/400/100)
    thr = threshold("bc", "B", "C", -3.0, -1.0)
    steps = [Step("1", "t", "c", ("shock:A",)), Step("2", "u", "d", ("bc",))]
    m = model(
        [node("A"), node("B"), node("C")],
        [linear("ab", "A", "B", 1.0), thr],
        [Shock("A", 0, -1.0)],
        3,
        steps,
    )
    f = find_fuse(m)
    assert f.reached
    assert f.scale == pytest.approx(3.0, abs=0.01)
    assert f.step_scale["2"] == pytest.approx(3.0, abs=0.3)


def test_reverse_stress_closed_form() -> None:
    # NDX close r = s·r0/(1 − λK), K = 6·A_kr·f: reaching −10% needs s = 0.1(1 − λK)/0.05
    fb = close_fb(0.0, 20e9, 2e-12)
    m = model([node("NDX", "relative", close_feedback=fb)], [], [Shock("NDX", 0, -0.05)], 1)
    rs = reverse_stress(m, Outcome("NDX", "change", "<=", -0.10), [0.5, 1.0, 2.0], n_shock=2000)
    for f, s in zip([0.5, 1.0, 2.0], rs.min_scale, strict=True):
        lk = 2e-12 * 6 * 20e9 * f
        assert s == pytest.approx(0.1 * (1 - lk) / 0.05, abs=0.01)
    assert rs.min_scale[0] > rs.min_scale[1] > rs.min_scale[2]  # more Korean AUM, smaller fuse
    assert not rs.met_at_baseline
    assert set(rs.to_frame()["outcome"]) == {"reached"}


def test_reverse_stress_outcome_met_at_baseline_needs_no_shock() -> None:
    # audit: USDKRW>=1500 with the won at 1509.86 reported a shock of 0.00198 x (the
    # first grid point); the baseline already meets it, so the answer is "no shock"
    fb = close_fb(0.0, 20e9, 2e-12)
    m = model(
        [
            node("NDX", "relative", close_feedback=fb),
            node("FX", "relative", baseline=1509.86, upper=1e5),
        ],
        [linear("nf", "NDX", "FX", -0.15)],
        [Shock("NDX", 0, -0.05)],
        2,
    )
    for oc in (Outcome("FX", "level", ">=", 1500.0), Outcome("NDX", "change", "<=", 0.0)):
        rs = reverse_stress(m, oc, [0.5, 1.0, 2.0], n_shock=50)
        assert rs.met_at_baseline
        assert rs.min_scale.tolist() == [0.0, 0.0, 0.0]
        df = rs.to_frame()
        assert set(df["outcome"]) == {"met at baseline (no shock needed)"}
        assert df["NDX_shock_frac"].tolist() == [0.0, 0.0, 0.0]
    # just above the baseline is not met: a real (positive) multiple is searched for
    rs = reverse_stress(m, Outcome("FX", "level", ">=", 1520.0), [1.0], n_shock=50)
    assert not rs.met_at_baseline
    assert rs.min_scale[0] > 0


def test_step_verdict_says_when_a_step_does_not_follow() -> None:
    eq, bond = node("EQ", "relative"), node("JGB")
    reb = gpif_rebalance(band=0.04, aum=1.0, jgb_effect=-0.01)
    from gaemi.core.contagion import Expectation

    st4 = Step(
        "4",
        "unwind",
        "sells equities into bonds",
        ("gpif",),
        (Expectation(edge="gpif", direction="down", text="sells equities"),),
    )
    r = simulate(model([eq, bond], [reb], [Shock("EQ", 0, -0.5)], 3, [st4]), deterministic=True)
    (v,) = step_verdicts(r)
    assert not v.follows
    # the reason says what happened (the fall leaves equities under weight: the fund
    # buys them, amount > 0 = buying) and quotes the step's claim as the claim
    assert "gpif buys " in v.reason
    assert "+ = buying" in v.reason
    assert 'the other way from the note\'s claim: "sells equities"' in v.reason
    assert "(sells equities)" not in v.reason  # the claim no longer reads as what happened


def test_bounds_clip_and_are_logged() -> None:
    m = model([node("A", lower=-1.0, upper=1.0)], [], [Shock("A", 0, -5.0)], 2)
    r = simulate(m, deterministic=True)
    assert r.mean_path[0, -1] == -1.0
    assert any(e.event == "bound:A" for e in r.events)


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("edges", "msg"),
    [
        ([linear("ab", "A", "B", 1.0), linear("ba", "B", "A", 1.0)], "cycle with no lag"),
        ([linear("ab", "A", "Z", 1.0)], "is not a node"),
        ([linear("ab", "A", "B", 1.0, lag=-1)], "must be >= 0"),
        ([linear("aa", "A", "A", 1.0)], "self-loop"),
    ],
)
def test_bad_graphs_are_rejected(edges: list[Edge], msg: str) -> None:
    with pytest.raises(GaemiInputError, match=msg):
        model([node("A"), node("B")], edges, [])


def test_same_day_edge_from_us_close_into_asia_is_rejected() -> None:
    with pytest.raises(GaemiInputError, match="runs backwards in the day"):
        model([node("US"), node("KR", session="asia")], [linear("x", "US", "KR", 1.0)], [])


def test_threshold_outside_source_bounds_is_rejected() -> None:
    thr = Edge("t", "threshold", "A", ("B",), 1, {"level": Param(5.0), "impact": Param(1.0)})
    with pytest.raises(GaemiInputError, match="outside the bounds"):
        model([node("A", lower=-1, upper=1), node("B")], [thr], [])


def test_vectorised_draws_equal_one_draw_at_a_time() -> None:
    # reference: every Monte Carlo draw re-run alone with its own parameters must give the
    # same path as inside the vectorised run (rules firing included: a −15% US day and a
    # −15% KOSPI day trigger the VIX stop rule and Korean margin calls)
    from gaemi.data.cascade import load_cascade

    m = load_cascade().with_shocks(
        [Shock("NDX", 0, -0.15), Shock("SOX", 0, -0.15), Shock("KOSPI", 1, -0.15)]
    )
    mc = simulate(m, 12, rng=2, keep_paths=True)
    assert mc.paths is not None
    assert mc.fired["kospi_margin"].any()
    assert mc.fired["vix_stops"].any()
    for i in range(12):
        one = simulate(
            m,
            deterministic=True,
            params={k: v[i] for k, v in mc.params.items()},
            residual_event=None if mc.residual_event is None else mc.residual_event[i],
        )
        np.testing.assert_allclose(one.mean_path, mc.paths[:, :, i], rtol=1e-12, atol=0)


def test_param_sampling_respects_ranges_and_seed() -> None:
    rng = np.random.default_rng(0)
    u = Param(0.5, 0.2, 0.6, "uniform").sample(rng, 5000)
    assert u.min() >= 0.2
    assert u.max() <= 0.6
    t = Param(0.5, 0.2, 0.6, "triangular").sample(rng, 20000)
    assert t.mean() == pytest.approx((0.2 + 0.5 + 0.6) / 3, abs=0.005)  # triangular mean
    neg = Param(-0.01, -0.1, -0.001, "loguniform").sample(rng, 5000)
    assert (neg <= -0.001).all()
    assert (neg >= -0.1).all()
    assert np.median(np.abs(neg)) == pytest.approx(0.01, rel=0.1)  # geometric midpoint
    assert (Param(3.0).sample(rng, 4) == 3.0).all()
    with pytest.raises(GaemiInputError, match="outside range"):
        Param(1.0, 2.0, 3.0, "uniform")
    with pytest.raises(GaemiInputError, match="must not contain 0"):
        Param(0.5, -1.0, 1.0, "loguniform")


# ------------------------------------------------------------------ verdicts: partly, units
def _stops_model(shock: float) -> CascadeModel:
    # NDX → VIX (beta −4, lag 0), VIX → NDX threshold "above 30" (lag 1); step 3 names both
    # (the shape of the default scenario's step 3). A −5% move takes VIX 20 → 24: the
    # move happens but the stop level is not reached (closed form 20·(1 + 4·0.05) = 24).
    from gaemi.core.contagion import Expectation

    ndx = node("NDX", "relative")
    vix = node("VIX", "relative", baseline=20.0, lower=1, upper=200)
    stops = Edge(
        "vix_stops",
        "threshold",
        "VIX",
        ("NDX",),
        1,
        {"level": Param(30.0), "impact": Param(-0.005)},
        direction="above",
        source_ref="test",
    )
    st3 = Step(
        "3",
        "contagion",
        "stops trigger, VIX spikes",
        ("ndx_vix", "vix_stops"),
        (Expectation(node="VIX", direction="up"),),
    )
    return model(
        [ndx, vix],
        [linear("ndx_vix", "NDX", "VIX", -4.0), stops],
        [Shock("NDX", 0, shock)],
        3,
        [st3],
    )


def test_step_follows_only_partly_when_a_rule_it_names_does_not_fire() -> None:
    (v,) = step_verdicts(simulate(_stops_model(-0.05), deterministic=True))
    assert v.verdict == "partly"
    assert v.follows is False  # the claim "stops trigger" does not follow
    assert v.reason.startswith("partly: VIX up +20.00%")  # closed form 4 × 5%
    assert "vix_stops did not fire: VIX peaked at 24, below the level 30" in v.reason
    # −15%: VIX 20 → 32 > 30, the stops fire: the whole claim follows
    (w,) = step_verdicts(simulate(_stops_model(-0.15), deterministic=True))
    assert (w.verdict, w.follows) == ("yes", True)
    assert "vix_stops fired" in w.reason


def test_fuse_of_a_step_waits_for_every_rule_it_names() -> None:
    # VIX > 30 needs 20·(1 + 4x) > 30 → x > 12.5% = 2.5 × the −5% shock (closed form)
    f = find_fuse(_stops_model(-0.05))
    grid_step = 0.99 / 0.05 / 400  # find_fuse's per-step scale is read off its grid
    assert 2.5 < f.step_scale["3"] <= 2.5 + grid_step


def test_rebalance_diagnostic_names_the_holding_and_says_did_not_fire_once() -> None:
    eq, bond = node("EQ", "relative"), node("JGB")
    reb = gpif_rebalance(band=0.07, aum=1.0, jgb_effect=-0.01, holding="the foreign-equity sleeve")
    st4 = Step("4", "unwind", "rebalances", ("gpif",))
    r = simulate(model([eq, bond], [reb], [Shock("EQ", 0, -0.05)], 3, [st4]), deterministic=True)
    (v,) = step_verdicts(r)
    # closed form: w = 0.3·0.95 / (0.3·0.95 + 0.7) = 28.93%, inside 18%–32%
    assert v.verdict == "no"
    assert "the foreign-equity sleeve went from 30.00% to 28.93%" in v.reason
    assert "inside its band 18.00%–32.00%" in v.reason
    assert v.reason.count("did not fire") == 1
    assert "weight of EQ" not in v.reason


def test_rate_nodes_change_in_percentage_points() -> None:
    # a rate quoted in percent changes in percentage points ("pp"), a price by fractions
    rate = Node("R", "rate", "percent", "absolute", "us", 2.5, 0.0, 10.0)
    px = Node("P", "price", "index", "relative", "us", 100.0, 1.0, 1000.0)
    other = Node("O", "other", "index points", "absolute", "us", 0.0, -1e3, 1e3)
    assert (rate.change_unit, px.change_unit, other.change_unit) == ("pp", "frac", "index points")
    m = CascadeModel(
        "t",
        (px, rate),
        (linear("pr", "P", "R", 0.2), linear("rp", "R", "P", -0.01, lag=1)),
        (Shock("P", 0, -0.05),),
        3,
    )
    r = simulate(m, deterministic=True)
    by = {e.event: e for e in reversed(r.events)}  # the first event of each edge
    assert by["pr"].impact == pytest.approx(-0.01)
    assert by["pr"].impact_unit == "pp"
    assert by["rp"].amount_unit == "pp"  # the driver of R → P is R's change, in pp


# ------------------------------------------------------------------ issue 18: dynamics
def test_a_shock_is_the_node_s_whole_move_that_session() -> None:
    # B would get 2 x A's -1 = -2 from the link; the shock -0.5 on B replaces it that day
    m = model(
        [node("A"), node("B")],
        [linear("ab", "A", "B", 2.0)],
        [Shock("A", 0, -1.0), Shock("B", 0, -0.5), Shock("A", 1, -1.0)],
        3,
    )
    r = simulate(m, deterministic=True)
    b = m.index("B")
    np.testing.assert_allclose(r.mean_path[b], [0.0, -0.5, -2.5, -2.5])  # day 1: link only
    assert not any(e.event == "ab" and e.day == 0 for e in r.events)  # replaced, not logged


def test_conditional_edge_acts_only_from_a_shocked_source() -> None:
    # NDX -> SOX 1.2 (structural), SOX -> NDX 0.6 (conditional): a shock on either node
    # reaches the other; both shocked: each keeps its own move
    nodes = [node("NDX", "relative"), node("SOX", "relative")]
    fwd = linear("ndx_sox", "NDX", "SOX", 1.2)
    back = Edge("sox_ndx", "linear", "SOX", ("NDX",), 0, {"beta": Param(0.6)}, conditional=True)
    for shocks, want in (
        ([Shock("NDX", 0, -0.05)], (-0.05, -0.06)),
        ([Shock("SOX", 0, -0.05)], (-0.03, -0.05)),
        ([Shock("NDX", 0, -0.02), Shock("SOX", 0, -0.05)], (-0.02, -0.05)),
    ):
        r = simulate(model(nodes, [fwd, back], shocks, 2), deterministic=True)
        assert float(r.change("NDX")[0]) == pytest.approx(want[0], abs=1e-15)
        assert float(r.change("SOX")[0]) == pytest.approx(want[1], abs=1e-15)
    # the reverse link never adds a same-day cycle, a plain one still is refused
    with pytest.raises(GaemiInputError, match="cycle with no lag"):
        model(nodes, [fwd, linear("sox_ndx", "SOX", "NDX", 0.6)], [], 2)
    with pytest.raises(GaemiInputError, match="conditional edge must be linear with lag 0"):
        model(
            nodes,
            [fwd, Edge("x", "linear", "SOX", ("NDX",), 1, {"beta": Param(0.6)}, conditional=True)],
            [],
            2,
        )


def test_beta_profile_spreads_the_response_over_later_sessions() -> None:
    # closed form: B's change on day k = beta_k x A's change on day 0 (beta_0 = beta)
    e = Edge(
        "ab",
        "linear",
        "A",
        ("B",),
        1,
        {"beta": Param(1.0), "beta_1": Param(0.5), "beta_2": Param(-0.25)},
    )
    m = model([node("A"), node("B")], [e], [Shock("A", 0, -1.0)], 5)
    assert m.max_lag == 3
    r = simulate(m, deterministic=True)
    np.testing.assert_allclose(r.mean_path[m.index("B")], [0, 0, -1.0, -1.5, -1.25, -1.25])
    with pytest.raises(GaemiInputError, match="has no parameter 'beta_x'"):
        model(
            [node("A"), node("B")],
            [Edge("ab", "linear", "A", ("B",), 0, {"beta": Param(1.0), "beta_x": Param(1.0)})],
            [],
            2,
        )


def _with_residual(n: Node, table: list[list[float]]) -> Node:
    from dataclasses import replace

    return replace(n, residual=np.array(table, dtype=float))


def test_residuals_are_drawn_by_event_and_start_after_the_shock() -> None:
    # A (US) shocked on day 0; B (US) and K (Asia) carry residual tables of 2 events x 3
    # days. B gets event row from day 0; K, whose session came before the US shock on
    # day 0, from day 1; the central run and a zero shock draw nothing
    nodes = [
        node("K", session="asia"),
        node("A"),
        _with_residual(node("B"), [[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]]),
    ]
    nodes[0] = _with_residual(nodes[0], [[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]])
    m = model(nodes, [linear("ab", "A", "B", 1.0)], [Shock("A", 0, -1.0)], 4)
    r = simulate(m, 2, residual_event=[0, 1], keep_paths=True)
    assert r.paths is not None
    b, k = m.index("B"), m.index("K")
    # B: -1 (link) + cumulative residual 1, 2, 3 / 10, 20, 30; nothing after day 2
    np.testing.assert_allclose(r.paths[b, :, 0], [0, 0.0, 2.0, 5.0, 5.0])
    np.testing.assert_allclose(r.paths[b, :, 1], [0, 9.0, 29.0, 59.0, 59.0])
    np.testing.assert_allclose(r.paths[k, :, 1], [0, 0.0, 2.0, 5.0, 5.0])  # rows 1, 2 only
    assert list(r.residual_event) == [0, 1]  # type: ignore[arg-type]
    assert float(simulate(m, deterministic=True).change("B")[0]) == -1.0  # central: link only
    off = simulate(m.with_shocks([Shock("A", 0, 0.0)]), 50, rng=1)
    assert not off.final_level[b].any()  # zero shock: nothing moves, no residual either
    assert not simulate(m.with_shocks([]), 50, rng=1).final_level.any()
    no_res = simulate(m, 50, rng=1, residuals=False)
    np.testing.assert_allclose(no_res.change("B"), -1.0)


def test_residual_tables_must_agree_on_their_events() -> None:
    a = _with_residual(node("A"), [[1.0], [2.0]])
    b = _with_residual(node("B"), [[1.0], [2.0], [3.0]])
    with pytest.raises(GaemiInputError, match="different event counts"):
        model([a, b], [], [], 2)
    with pytest.raises(GaemiInputError, match="missing or infinite"):
        model([_with_residual(node("A"), [[math.nan]])], [], [], 2)
    m = model([a], [], [Shock("A", 0, 1.0)], 2)
    with pytest.raises(GaemiInputError, match=r"residual_event must lie in \[0, 1\]"):
        simulate(m, residual_event=[2])


def test_an_asian_first_shock_starts_the_residuals_one_column_later() -> None:
    # the tables start on a US stress day: column 0 holds the US stress move itself; a
    # Korean-session shock on day 0 is the session after such a day, column 1, for the
    # US node the same day too (never the stress day's own move)
    k = node("K", session="asia")
    u = _with_residual(node("U"), [[-8.0, 1.0, 2.0]])
    m = model([k, u], [], [Shock("K", 0, -1.0)], 3)
    r = simulate(m, 1, residual_event=[0], keep_paths=True)
    assert r.paths is not None
    np.testing.assert_allclose(r.paths[m.index("U"), :, 0], [0.0, 1.0, 3.0, 3.0])


def test_standardised_residuals_scale_with_the_vol_and_the_session() -> None:
    # issue 18: a table of standardised residuals (units of the node's pre-shock daily
    # vol) is multiplied by residual_vol x residual_scale x the session's multiplier.
    # B (US) is in its session 1 on the shock day (column 0); K (Asia) traded before the
    # US shock, so its session 1 is day 1 (column 1). Hand computation below.
    from dataclasses import replace

    b = replace(
        _with_residual(node("B"), [[1.0, 2.0, 3.0]]),
        residual_vol=0.5,
        residual_scale=2.0,
        residual_scale_sessions=(1.0, 3.0),
    )
    k = replace(
        _with_residual(node("K", session="asia"), [[0.1, 0.2, 0.3]]),
        residual_vol=1.0,
        residual_scale_sessions=(10.0, 1.0),
    )
    m = model([k, node("A"), b], [linear("ab", "A", "B", 1.0)], [Shock("A", 0, -1.0)], 4)
    r = simulate(m, 1, residual_event=[0], keep_paths=True)
    assert r.paths is not None
    # B: day 0 -1 (link) + 1 x 0.5 x 2 x 1 = 0; day 1 + 2 x 1 x 3 = 6; day 2 + 3 x 1 x 3 = 9
    np.testing.assert_allclose(r.paths[m.index("B"), :, 0], [0.0, 0.0, 6.0, 15.0, 15.0])
    # K: day 1 = session 1: 0.2 x 10 = 2; day 2 = session 2: 0.3 x 1
    np.testing.assert_allclose(r.paths[m.index("K"), :, 0], [0.0, 0.0, 2.0, 2.3, 2.3])
    # a zero shock still draws nothing
    off = simulate(m.with_shocks([Shock("A", 0, 0.0)]), 20, rng=1)
    assert not off.final_level.any()
    with pytest.raises(GaemiInputError, match=r"residual_vol = 0\.0 must be > 0"):
        model([replace(b, residual_vol=0.0)], [], [], 2)
    with pytest.raises(GaemiInputError, match="residual_scale_sessions"):
        model([replace(b, residual_scale_sessions=(1.0, -1.0))], [], [], 2)


# ------------------------------------------- level-3 halt that needs an earlier close
def test_a_link_carried_halt_stops_the_earlier_close_part_way_closed_form() -> None:
    # Two US equity nodes, S&P 500 betas 1 (halt levels -20 %): A has the linear close
    # r = r0 / (1 - λK) (gain 1.25 here: r0 -10 % closes at -12.5 %), B = b · A (lag 0).
    # Per draw (b given), the closed form of issue 18's rule:
    #   b·r0 <= -20 %: B halts on A's shock alone, A stops at its shock (nothing traded);
    #   b·r0 > -20 % >= b·close: A's close stops part-way, at -20 %/b, where B just reaches
    #     -20 %; A trades that fraction φ of its flow K·close (linear impact) and the rest
    #     is unfilled;
    #   else no halt: A closes, B = b·close.
    k, lam, r0 = 200e9, 0.2 / 200e9 * 1.0, -0.10  # λK = 0.2: gain 1 / 0.8 = 1.25
    fb = close_fb(k, 0.0, lam, 0.99)
    m = model(
        [node("A", "relative", equity=True, close_feedback=fb), node("B", "relative", equity=True)],
        [linear("ab", "A", "B", 1.0)],
        [Shock("A", 0, r0)],
        2,
    )
    b = np.array([1.0, 1.5, 1.7, 1.8, 1.9, 1.99, 2.0, 2.5])
    res = simulate(m, b.size, rng=0, params={("ab", "beta"): b}, spx_beta={"A": 1.0, "B": 1.0})
    close = r0 / (1 - lam * k)
    assert close == pytest.approx(-0.125)
    a_day0 = res.change("A", "min")
    b_day0 = res.change("B", "min")
    first = b * r0 <= -0.2 + 1e-12
    part = ~first & (b * close <= -0.2)
    want_a = np.where(first, r0, np.where(part, -0.2 / b, close))
    np.testing.assert_allclose(a_day0, want_a, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b_day0, np.maximum(b * want_a, -0.2), rtol=0, atol=1e-12)
    assert (b_day0 >= -0.2 - 1e-15).all()
    halted = first | part
    assert part.sum() == 4  # b = 1.7, 1.8, 1.9, 1.99 (b·-12.5 % <= -20 % < b·-10 %)
    for n in ("A", "B"):
        assert (res.halted[n][0] == halted).all(), n
    # the close row: traded φ of K·close in the part-way draws, the rest unfilled (the
    # event averages over the halted draws; replayed here with the halted draws alone)
    only = simulate(
        m, int(part.sum()), rng=0, params={("ab", "beta"): b[part]}, spx_beta={"A": 1.0, "B": 1.0}
    )
    (ev,) = [e for e in only.events if e.event == "feedback:A"]
    # (the search stops within 1e-12 of the halt level: φ to ~1e-12 / 2.5 %, so rel 1e-9)
    phi = (-0.2 / b[part] - r0) / (close - r0)
    assert ev.amount == pytest.approx(float(np.mean(phi * k * close)), rel=1e-9)
    assert ev.unfilled_usd == pytest.approx(float(np.mean((1 - phi) * k * close)), rel=1e-9)
    assert ev.impact == pytest.approx(float(np.mean(-0.2 / b[part] - r0)), rel=1e-9)
    assert ev.halted == 1.0
    assert not [e for e in only.events if e.event.startswith("halt:") and e.amount != 0]
