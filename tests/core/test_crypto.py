"""Crypto liquidation cascade: closed forms on tiny populations, kernel vs reference, laws."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaemi.core.crypto import (
    LONG,
    SHORT,
    KoreanSlice,
    Ladder,
    Market,
    Population,
    SideSpec,
    cascade,
    cascade_reference,
    depth_usd_per_pct,
    exogenous_log_moves,
    generate_path_population,
    generate_population,
    impact_log_move,
    invert_shock,
    korean_slice_loss,
    linked_log_move,
    liquidations_at_extremes,
)
from gaemi.errors import GaemiInputError

ONE = Market.from_lists(["BTC"], [1.0], [1e9])  # linear book: 1 % per $1B


def _pop(
    seed: int, n: int, n_assets: int = 2, sides: tuple[int, ...] = (LONG, SHORT)
) -> Population:
    rng = np.random.default_rng(seed)
    lev = np.exp(rng.uniform(np.log(1.5), np.log(50.0), n))
    mm = rng.uniform(0.0, 0.9, n) / lev  # always < 1/L
    return Population.from_arrays(
        rng.integers(0, n_assets, n),
        rng.choice(np.array(sides), n),
        lev,
        np.exp(rng.normal(0.0, 0.05, n)),
        rng.lognormal(18.0, 1.0, n),
        mm,
    )


def _survivors(pop: Population) -> Population:
    return pop.where(~pop.underwater())


def _market(depth: float, floor: float = 0.3, scale: float = 0.05) -> Market:
    return Market.from_lists(["BTC", "ALT"], [1.0, 1.4], [depth, 0.3 * depth], floor, scale)


# ------------------------------------------------------------------ closed forms
def test_liquidation_price_formula() -> None:
    # Binance USDⓈ-M isolated margin, fees ignored: long 10x at 100 with mm 0.5 % →
    # 100·(1 − 0.1 + 0.005) = 90.5; short → 100·(1 + 0.1 − 0.005) = 109.5.
    p = Population.from_arrays([0, 0], ["long", "short"], 10.0, 1.0, 1.0, 0.005)
    np.testing.assert_allclose(p.liquidation_frac(), [0.905, 1.095], rtol=1e-15)
    np.testing.assert_allclose(p.liquidation_notional_usd(), [0.905, 1.095], rtol=1e-15)


def test_one_long_position_closed_form() -> None:
    # One 10x long, mm 0.5 %, $2B notional: liquidated at -9.5 %, sells 2e9·0.905 USD
    # into a linear $1B-per-1 % book → a further log move of -1.81 %.
    p = Population.from_arrays([0], ["long"], 10.0, 1.0, 2e9, 0.005)
    res = cascade(p, ONE, {"BTC": [-0.09, -0.0951]})
    assert res.total_usd()[0] == 0.0
    assert res.total_usd()[1] == pytest.approx(2e9 * 0.905, rel=1e-12)
    assert res.final_log[1, 0] == pytest.approx(math.log(1 - 0.0951) - 0.0181, rel=1e-12)
    assert res.final_log[0, 0] == pytest.approx(math.log(1 - 0.09), rel=1e-15)
    np.testing.assert_array_equal(res.rounds, [0, 1])


@pytest.mark.parametrize(
    ("size_a", "second_goes"),
    [
        # A (10x, no mm) goes at ln(0.9); it sells 0.9·size_a; B (5x) goes at ln(0.8).
        # -10.6 % shock: ln(0.894) − 0.9·size_a/1e11 ≤ ln(0.8) ⇔ size_a ≥ 12.33e9.
        (13e9, True),
        (12e9, False),
    ],
)
def test_two_longs_chain(size_a: float, second_goes: bool) -> None:
    p = Population.from_arrays([0, 0], ["long", "long"], [10.0, 5.0], 1.0, [size_a, 1e9], 0.0)
    res = cascade(p, ONE, {"BTC": -0.106})
    expected = 0.9 * size_a + (0.8 * 1e9 if second_goes else 0.0)
    assert res.total_usd()[0] == pytest.approx(expected, rel=1e-12)
    assert int(res.rounds[0]) == (2 if second_goes else 1)
    ref = cascade_reference(p, ONE, {"BTC": -0.106})
    np.testing.assert_allclose(ref.total_usd(), res.total_usd(), rtol=1e-12)


def test_short_squeeze_closed_form() -> None:
    # A 20x short, no mm, liquidated at +5 %: a +6 % shock makes it buy 1.05·$1B.
    p = Population.from_arrays([0], ["short"], 20.0, 1.0, 1e9, 0.0)
    res = cascade(p, ONE, {"BTC": 0.06})
    assert res.liquidated_short_usd[0, 0] == pytest.approx(1.05e9, rel=1e-12)
    assert res.final_log[0, 0] == pytest.approx(math.log(1.06) + 0.0105, rel=1e-12)
    assert res.forced_flow_usd[0, 0] == pytest.approx(1.05e9, rel=1e-9)


def test_depth_curve_closed_form() -> None:
    # f = 1: linear, 1 % per D0 dollars. Thinning: Q(x) = 100·D0·(f·x + (1−f)·h·x/(h+x));
    # at x = h, Q = 100·D0·h·(f + (1−f)/2) and depth = D0·(f + (1−f)/4).
    lin = Market.from_lists(["BTC"], [1.0], [5e8])
    assert float(impact_log_move(lin, [-1e9])[0]) == pytest.approx(-0.02, rel=1e-14)
    m = Market.from_lists(["BTC"], [1.0], [1e9], 0.2, 0.05)
    q_at_h = 100 * 1e9 * 0.05 * (0.2 + 0.8 / 2)
    assert float(impact_log_move(m, [q_at_h])[0]) == pytest.approx(0.05, rel=1e-12)
    assert float(impact_log_move(m, [-q_at_h])[0]) == pytest.approx(-0.05, rel=1e-12)
    assert float(depth_usd_per_pct(m, [0.05])[0]) == pytest.approx(1e9 * (0.2 + 0.8 / 4))


@given(
    flow=st.floats(min_value=1e3, max_value=1e13),
    floor=st.floats(min_value=0.01, max_value=1.0),
    h=st.floats(min_value=0.005, max_value=0.5),
)
def test_depth_curve_is_the_derivative_of_cumulative_orders(
    flow: float, floor: float, h: float
) -> None:
    # dQ/dx = 100·D(x): a central difference of the inverted curve agrees with D(x).
    m = Market.from_lists(["BTC"], [1.0], [1e9], floor, h)
    x = float(impact_log_move(m, [flow])[0])
    eps = 1e-6 * max(flow, 1e6)
    dx = float(impact_log_move(m, [flow + eps])[0] - impact_log_move(m, [flow - eps])[0])
    slope = 2 * eps / dx / 100.0  # USD per 1 %
    assert slope == pytest.approx(float(depth_usd_per_pct(m, [x])[0]), rel=1e-4)
    assert x > 0


def test_beta_link() -> None:
    # Unnamed assets follow the anchor by beta in log terms; BTC's impact drags them too.
    m = Market.from_lists(["BTC", "ETH"], [1.0, 1.21], [1e9, 1e9])
    z = exogenous_log_moves(m, {"BTC": -0.1})
    np.testing.assert_allclose(z, [[math.log(0.9), 1.21 * math.log(0.9)]], rtol=1e-15)
    z2 = exogenous_log_moves(m, {"BTC": -0.1, "ETH": 0.02})
    np.testing.assert_allclose(z2, [[math.log(0.9), math.log(1.02)]], rtol=1e-15)
    moved = linked_log_move(m, np.zeros((1, 2)), np.array([[-1e9, 0.0]]))
    np.testing.assert_allclose(moved, [[-0.01, -0.0121]], rtol=1e-12)


# ------------------------------------------------------------------ kernel vs reference
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), shock=st.floats(-0.4, 0.4), depth=st.floats(1e8, 1e11))
def test_vectorised_kernel_matches_reference_loop(seed: int, shock: float, depth: float) -> None:
    pop = _pop(seed, 60)
    m = _market(depth)
    shocks = {"BTC": np.array([shock, shock / 2, 0.0])}
    v = cascade(pop, m, shocks, touched_high_frac=0.01)
    r = cascade_reference(pop, m, shocks, touched_high_frac=0.01)
    np.testing.assert_array_equal(v.n_liquidated_long, r.n_liquidated_long)
    np.testing.assert_array_equal(v.n_liquidated_short, r.n_liquidated_short)
    np.testing.assert_array_equal(v.rounds, r.rounds)
    np.testing.assert_allclose(v.liquidated_long_usd, r.liquidated_long_usd, rtol=1e-12)
    np.testing.assert_allclose(v.liquidated_short_usd, r.liquidated_short_usd, rtol=1e-12)
    np.testing.assert_allclose(v.final_log, r.final_log, rtol=1e-9, atol=1e-12)
    assert v.round_long_usd is not None
    assert r.round_long_usd is not None
    np.testing.assert_allclose(v.round_long_usd, r.round_long_usd, rtol=1e-9, atol=1e-3)
    np.testing.assert_allclose(v.underwater_usd, r.underwater_usd, rtol=1e-12)


# ------------------------------------------------------------------ laws
shock_pairs = st.tuples(st.floats(0.0, 0.5), st.floats(0.0, 0.5)).map(sorted)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), pair=shock_pairs, depth=st.floats(1e8, 1e11))
def test_bigger_down_shock_never_liquidates_fewer_longs(
    seed: int, pair: list[float], depth: float
) -> None:
    # Monotone system: a lower price path liquidates a superset of longs (mixed population).
    small, big = pair
    pop = _pop(seed, 200)
    res = cascade(pop, _market(depth), {"BTC": np.array([-small, -big])})
    assert (res.n_liquidated_long[1] >= res.n_liquidated_long[0]).all()
    assert res.liquidated_long_usd[1].sum() >= res.liquidated_long_usd[0].sum()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), pair=shock_pairs, depth=st.floats(1e8, 1e11))
def test_bigger_shock_never_liquidates_less_one_sided(
    seed: int, pair: list[float], depth: float
) -> None:
    small, big = pair
    longs = _pop(seed, 200, sides=(LONG,))
    res = cascade(longs, _market(depth), {"BTC": np.array([-small, -big])})
    assert res.total_usd()[1] >= res.total_usd()[0]
    shorts = _pop(seed, 200, sides=(SHORT,))
    res = cascade(shorts, _market(depth), {"BTC": np.array([small, big])})
    assert res.total_usd()[1] >= res.total_usd()[0]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    shock=st.floats(0.0, 0.5),
    d=st.tuples(st.floats(1e8, 1e11), st.floats(1e8, 1e11)).map(sorted),
)
def test_deeper_books_never_increase_liquidations(seed: int, shock: float, d: list[float]) -> None:
    thin, deep = d
    longs = _pop(seed, 200, sides=(LONG,))
    a = cascade(longs, _market(thin), {"BTC": -shock}).total_usd()[0]
    b = cascade(longs, _market(deep), {"BTC": -shock}).total_usd()[0]
    assert b <= a
    shorts = _pop(seed, 200, sides=(SHORT,))
    a = cascade(shorts, _market(thin), {"BTC": shock}).total_usd()[0]
    b = cascade(shorts, _market(deep), {"BTC": shock}).total_usd()[0]
    assert b <= a


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), up=st.floats(0.0, 2.0), depth=st.floats(1e7, 1e11))
def test_long_only_population_never_liquidates_on_an_up_move(
    seed: int, up: float, depth: float
) -> None:
    longs = _survivors(_pop(seed, 200, sides=(LONG,)))
    if len(longs) == 0:
        return
    res = cascade(longs, _market(depth), {"BTC": up, "ALT": up})
    assert res.total_usd()[0] == 0.0
    assert res.rounds[0] == 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), depth=st.floats(1e7, 1e11))
def test_zero_shock_liquidates_only_what_is_already_underwater(seed: int, depth: float) -> None:
    pop = _pop(seed, 200)
    uw = pop.underwater()
    survivors = pop.where(~uw)
    res = cascade(survivors, _market(depth), {"BTC": 0.0})
    assert res.total_usd()[0] == 0.0  # nothing underwater: nothing at all
    res = cascade(pop, _market(depth), {"BTC": 0.0})
    assert res.round_long_usd is not None
    assert res.round_short_usd is not None
    expected = pop.liquidation_notional_usd()[uw].sum()
    # round 0 is exactly the underwater set; later rounds are their orders' own cascade
    assert res.round_long_usd[0, 0] + res.round_short_usd[0, 0] == pytest.approx(
        expected, rel=1e-12, abs=1e-6
    )
    np.testing.assert_allclose(res.underwater_usd.sum(), expected, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), shock=st.floats(-0.5, 0.5), depth=st.floats(1e7, 1e11))
def test_money_conserved_and_fixed_point_reached(seed: int, shock: float, depth: float) -> None:
    pop = _pop(seed, 300)
    m = _market(depth)
    res = cascade(pop, m, {"BTC": np.array([shock, -shock])})
    assert res.converged.all()
    # liquidated notional = forced orders that reached the book (two bookkeepings)
    scale = max(1.0, float(np.abs(res.forced_flow_usd).max()))
    assert float(res.conservation_gap_usd().max()) <= 1e-9 * scale
    # per-round new liquidations add up to the totals
    assert res.round_long_usd is not None
    assert res.round_short_usd is not None
    np.testing.assert_allclose(
        res.round_long_usd.sum(axis=0), res.liquidated_long_usd.sum(axis=1), rtol=1e-9, atol=1e-3
    )
    np.testing.assert_allclose(
        res.round_short_usd.sum(axis=0),
        res.liquidated_short_usd.sum(axis=1),
        rtol=1e-9,
        atol=1e-3,
    )
    # fixed point: the map sends the final state to itself and touches nothing new
    z = linked_log_move(m, res.exo_log, res.liquidated_short_usd - res.liquidated_long_usd)
    np.testing.assert_allclose(z, res.final_log, rtol=1e-12, atol=1e-15)
    lad = Ladder.build(pop, len(m))
    kl, ks = lad.counts(np.minimum(res.low_log, z), np.maximum(res.high_log, z))
    np.testing.assert_array_equal(kl, res.n_liquidated_long)
    np.testing.assert_array_equal(ks, res.n_liquidated_short)


def test_max_rounds_reports_non_convergence() -> None:
    # 20 longs 2x, entered at 2·e^(-0.01k): thresholds exactly at -1 %, -2 %, … (log).
    # Each sells ~$1.2-1.5B into a $1B-per-1 % book, enough to reach the next rung, so the
    # cascade climbs down the whole ladder over several rounds.
    n = 20
    k = np.arange(1, n + 1)
    p = Population.from_arrays(np.zeros(n, dtype=int), "long", 2.0, 2 * np.exp(-0.01 * k), 1.5e9)
    np.testing.assert_allclose(p.threshold_log(), -0.01 * k, rtol=1e-12)
    shock = {"BTC": math.expm1(-0.0100001)}
    full = cascade(p, ONE, shock)
    assert full.converged[0]
    assert int(full.n_liquidated_long[0, 0]) == n
    assert int(full.rounds[0]) > 5
    short = cascade(p, ONE, shock, max_rounds=3)
    assert not short.converged[0]
    assert int(short.n_liquidated_long[0, 0]) < n


# ------------------------------------------------------------------ population
def _specs() -> dict[tuple[int, int], SideSpec]:
    return {
        (0, LONG): SideSpec(10e9, 10.0, 0.7, 1.5, 100.0, 0.0, 0.04),
        (0, SHORT): SideSpec(5e9, 5.0, 0.7, 1.5, 100.0, 0.0, 0.04),
    }


def test_generated_population_is_seeded_and_sized() -> None:
    a, da = generate_population(_specs(), [0.004], 2000, rng=7)
    b, db = generate_population(_specs(), [0.004], 2000, rng=7)
    c, _ = generate_population(_specs(), [0.004], 2000, rng=8)
    np.testing.assert_array_equal(a.leverage, b.leverage)
    assert da == db
    assert not np.array_equal(a.leverage, c.leverage)
    # survivors sum to the side's notional exactly; nothing left underwater
    np.testing.assert_allclose(a.notional_usd(1), [[10e9, 5e9]], rtol=1e-12)
    assert not a.underwater().any()
    assert (a.leverage >= 1.5).all()
    assert (a.leverage <= 100.0).all()


def test_static_ladder_reading() -> None:
    # 10x long (liq -10 %) and 10x short (liq +10 %), no mm: the touched range decides.
    p = Population.from_arrays([0, 0], ["long", "short"], 10.0, 1.0, [1.0, 2.0], 0.0)
    nl, ns = liquidations_at_extremes(p, 1, [math.log(0.89)], [math.log(1.05)])
    assert float(nl.sum()) == pytest.approx(0.9)
    assert float(ns.sum()) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"leverage": 0.0}, "leverage = 0.0 must be > 0"),
        ({"leverage": -2.0}, "leverage = -2.0 must be > 0"),
        ({"size_usd": -1.0}, "size_usd = -1.0 must be >= 0"),
        ({"entry_frac": 0.0}, "entry_frac"),
        ({"maintenance_margin_frac": 0.2}, "wrong side of the entry"),
    ],
)
def test_bad_population_one_line_error(kwargs: dict[str, float], match: str) -> None:
    args: dict[str, float] = {
        "leverage": 10.0,
        "entry_frac": 1.0,
        "size_usd": 1.0,
        "maintenance_margin_frac": 0.005,
    }
    args.update(kwargs)
    with pytest.raises(GaemiInputError, match=match) as exc:
        Population.from_arrays([0], ["long"], **args)
    assert "\n" not in str(exc.value)


def test_bad_market_and_shock() -> None:
    with pytest.raises(GaemiInputError, match="depth_usd_per_pct"):
        Market.from_lists(["BTC"], [1.0], [0.0])
    with pytest.raises(GaemiInputError, match="beta_to_anchor = 1"):
        Market.from_lists(["BTC", "ETH"], [1.2, 1.0], [1e9, 1e9])
    with pytest.raises(GaemiInputError, match="above -100%"):
        cascade(Population.from_arrays([0], ["long"], 2.0, 1.0, 1.0), ONE, {"BTC": -1.0})
    with pytest.raises(GaemiInputError, match=r"^asset = 'DOGE': ASSET must be one of BTC$"):
        cascade(Population.from_arrays([0], ["long"], 2.0, 1.0, 1.0), ONE, {"DOGE": -0.1})


# ------------------------------------------------------------------ Korean slice
def _slice(premium: float = 0.0) -> KoreanSlice:
    return KoreanSlice(
        holdings_krw=np.array([100.0, 300.0]),
        lending_equity_krw=np.array([10.0, 10.0]),
        lending_leverage=np.array([2.0, 4.0]),
        lending_weights=np.array([0.25, 0.75]),
        lending_liquidation_margin_frac=0.1,
        usdkrw=1400.0,
        kimchi_premium_frac=premium,
    )


def test_korean_slice_closed_form() -> None:
    # BTC -10 %, ALT -20 %: spot 100·-0.1 + 300·-0.2 = -70. Lending move -0.175:
    # 2x bucket -3.5 (equity ratio (1-0.35)/(2·0.825) = 0.39, kept), 4x bucket -7
    # ((1-0.7)/(4·0.825) = 0.091 <= 0.1, liquidated).
    loss = korean_slice_loss(_slice(), [[-0.1, -0.2]])
    assert float(loss.spot_pnl_krw[0]) == pytest.approx(-70.0)
    assert float(loss.lending_pnl_krw[0]) == pytest.approx(-3.5 - 7.0)
    assert float(loss.lending_liquidated_equity_share[0]) == pytest.approx(0.5)


def test_kimchi_premium_change_moves_krw_prices() -> None:
    # (1 - 0.1)·(1.08/1.0) - 1 = -2.8 %: a premium opening to 8 % (FACTS.md f: >8 % after
    # the Oct 2025 crash) cushions the KRW loss.
    loss = korean_slice_loss(_slice(0.0), [[-0.1, -0.1]], premium_after_frac=0.08)
    np.testing.assert_allclose(loss.krw_move_frac, [[-0.028, -0.028]], rtol=1e-12)
    same = korean_slice_loss(_slice(0.05), [[-0.1, -0.1]])
    np.testing.assert_allclose(same.krw_move_frac, [[-0.1, -0.1]], rtol=1e-12)


def test_lending_loss_floored_at_equity() -> None:
    loss = korean_slice_loss(_slice(), [[-0.5, -0.5]])
    assert float(loss.lending_pnl_krw[0]) == pytest.approx(-20.0)  # both buckets wiped out
    assert float(loss.lending_liquidated_equity_share[0]) == pytest.approx(1.0)


def test_mixed_population_total_need_not_grow_with_the_shock() -> None:
    # Why the total-liquidation law is stated for one-sided populations: an underwater
    # short (entry 0.9, 10x → liquidation at 0.99) buys $1.98B, +1.98 % in a $1B-per-1 %
    # book. After a -0.5 % shock that lifts the price past +1 % and squeezes a 100x short
    # (liquidation at 1.01); after a -2 % shock it does not. Longs are still monotone.
    p = Population.from_arrays([0, 0], ["short", "short"], [10.0, 100.0], [0.9, 1.0], [2e9, 1e9])
    res = cascade(p, ONE, {"BTC": [-0.005, -0.02]})
    assert res.total_usd()[0] == pytest.approx(0.99 * 2e9 + 1.01 * 1e9)
    assert res.total_usd()[1] == pytest.approx(0.99 * 2e9)


# ------------------------------------------------------------------ dated positioning
def _spec(notional: float, lev: float, lev_sd: float = 0.0) -> SideSpec:
    return SideSpec(notional, lev, lev_sd, 1.0, 125.0, 0.0, 0.0, 0.0)


def test_path_population_flat_path_keeps_everything() -> None:
    # a flat path (every low and high = the current price): entries are 1, nothing dropped
    flat = np.ones((1, 30))
    pop, dropped = generate_path_population(
        {(0, LONG): _spec(5e9, 10.0, 0.5), (0, SHORT): _spec(2e9, 5.0, 0.5)},
        [0.005],
        2000,
        7,
        path_low_frac=flat,
        path_high_frac=flat,
        entry_age_days=5.0,
    )
    assert dropped == 0
    np.testing.assert_allclose(pop.entry_frac, 1.0)
    assert pop.notional_usd(1)[0, 0] == pytest.approx(5e9, rel=1e-12)
    assert pop.notional_usd(1)[0, 1] == pytest.approx(2e9, rel=1e-12)


def test_path_population_survivorship_along_the_path() -> None:
    # 30 days at 1.0, then a day whose low is 0.85, then 9 days at 1.0 (yesterday last).
    # A 10x long (mm 0) entered at 1.0 before the dip has P_liq 0.9 > 0.85: it was
    # liquidated by the dip and must not be in today's population; one entered after it
    # survives. Shorts: a 5x short entered at 1.0 has P_liq 1.2, nothing touched it.
    low = np.ones((1, 40))
    high = np.ones((1, 40))
    low[0, 30] = 0.85
    pop, dropped = generate_path_population(
        {(0, LONG): _spec(1e9, 10.0), (0, SHORT): _spec(1e9, 5.0)},
        [0.0],
        5000,
        3,
        path_low_frac=low,
        path_high_frac=high,
        entry_age_days=10.0,
    )
    # P(age >= 10 days) = exp(-10/10): the longs entered on or before the dip day
    n_old = dropped
    assert n_old / 5000 == pytest.approx(math.exp(-1.0), abs=0.03)
    # the dip day's own entries (age 9: P = e^-0.9 - e^-1) enter between 0.85 and 1 and survive
    longs = pop.side == LONG
    dip_day = (pop.entry_frac[longs] < 1.0).mean() * (5000 - dropped) / 5000
    assert dip_day == pytest.approx(math.exp(-0.9) - math.exp(-1.0), abs=0.01)
    assert (pop.liquidation_frac()[longs] <= 0.9 + 1e-12).all()
    assert int((pop.side == SHORT).sum()) == 5000


def test_path_population_bad_input() -> None:
    with pytest.raises(GaemiInputError, match="entry_age_days"):
        generate_path_population(
            {(0, LONG): _spec(1.0, 10.0)},
            [0.0],
            10,
            0,
            path_low_frac=np.ones((1, 5)),
            path_high_frac=np.ones((1, 5)),
            entry_age_days=0.0,
        )
    with pytest.raises(GaemiInputError, match="high is below its low"):
        generate_path_population(
            {(0, LONG): _spec(1.0, 10.0)},
            [0.0],
            10,
            0,
            path_low_frac=np.ones((1, 5)),
            path_high_frac=np.full((1, 5), 0.5),
            entry_age_days=3.0,
        )


def test_invert_shock_closed_form() -> None:
    # One 10x long, mm 0.5 %, $2B into a linear $1B-per-1 % book (test above): a shock s at
    # or below -9.5 % ends at ln(1+s) - 0.0181. The realised low of s = -9.51 % inverts back
    # to s; the double count: giving that realised low as the shock goes 1.81 % further.
    p = Population.from_arrays([0], ["long"], 10.0, 1.0, 2e9, 0.005)
    target = math.expm1(math.log(1 - 0.0951) - 0.0181)
    inv = invert_shock(p, ONE, target)
    assert inv.exact
    assert inv.shock_frac == pytest.approx(-0.0951, abs=1e-6)
    assert inv.realised_move_frac == pytest.approx(target, abs=1e-4)
    assert float(inv.result.total_usd()[0]) == pytest.approx(2e9 * 0.905, rel=1e-12)
    twice = cascade(p, ONE, {"BTC": target})
    assert float(twice.low_log[0, 0]) == pytest.approx(math.log1p(target) - 0.0181, rel=1e-12)


def test_invert_shock_reports_a_cliff() -> None:
    # Same position: no shock ends between -9.5 % (nothing liquidated) and about -11.1 %
    # (ln(0.905) - 0.0181): a realised -10 % lies in the jump, so the answer is not exact and
    # is the near side, -9.5 %.
    p = Population.from_arrays([0], ["long"], 10.0, 1.0, 2e9, 0.005)
    inv = invert_shock(p, ONE, -0.10)
    assert not inv.exact
    assert inv.shock_frac == pytest.approx(-0.095, abs=1e-6)
    assert inv.shock_frac > -0.10


@given(seed=st.integers(0, 10_000), shock=st.floats(-0.2, -0.005))
@settings(max_examples=25, deadline=None)
def test_invert_shock_round_trip(seed: int, shock: float) -> None:
    # Any shock's realised low inverts to a shock no bigger than the low, whose cascade
    # reaches that low (up to the tolerance) unless the low sits in a jump.
    pop = _pop(seed, 60, n_assets=1, sides=(LONG,))
    m = Market.from_lists(["BTC"], [1.0], [3e8], 0.5, 0.1)
    low = float(cascade(pop, m, {"BTC": shock}).low_move_frac[0, 0])
    inv = invert_shock(pop, m, low)
    assert inv.shock_frac >= low - 1e-12
    if inv.exact:
        assert inv.realised_move_frac == pytest.approx(low, abs=1e-4)


# ------------------------------------------------------------ measured liquidation law
def test_liquidation_law_recovers_known_coefficients() -> None:
    from gaemi.core.crypto import fit_liquidation_law

    # synthetic days whose rates are exact linear combinations of the four terms: least
    # squares must return the generating coefficients (an independent closed form)
    rng = np.random.default_rng(0)
    d, u = rng.uniform(0, 0.2, 200), rng.uniform(0, 0.2, 200)
    r, w = rng.uniform(0, 0.5, 200), -rng.uniform(0, 0.5, 200)
    cl, cs = (0.09, 0.02, 0.4, -0.07, 0.05), (0.06, 0.025, 0.15, -0.02, -0.1)
    yl = cl[0] * d + cl[1] * u + cl[2] * d * d + cl[3] * d * r + cl[4] * u * r
    ys = cs[0] * u + cs[1] * d + cs[2] * u * u + cs[3] * u * w + cs[4] * d * w
    law = fit_liquidation_law(d, u, r, w, yl, ys)
    assert law.long_coef == pytest.approx(cl, abs=1e-10)
    assert law.short_coef == pytest.approx(cs, abs=1e-10)
    assert law.n_days == 200
    # no move, no liquidation (no intercept); the rates are clipped to [0, 1]
    lo, sh = law.rates(0.0, 0.0, 0.3, -0.2)
    assert float(lo) == 0.0
    assert float(sh) == 0.0
    lo, _ = law.rates(5.0, 0.0, 0.0, 0.0)
    assert float(lo) == 1.0


def test_liquidation_law_refuses_too_few_days() -> None:
    from gaemi.core.crypto import fit_liquidation_law

    with pytest.raises(GaemiInputError, match="need >= 10 days"):
        fit_liquidation_law([0.1] * 3, [0.0] * 3, [0.0] * 3, [0.0] * 3, [0.01] * 3, [0.0] * 3)
    nan = [float("nan")] * 12
    with pytest.raises(GaemiInputError, match="fewer than 10 days with finite data"):
        fit_liquidation_law(nan, nan, nan, nan, nan, nan)


def test_time_weighted_log_mean_closed_form() -> None:
    from gaemi.core.crypto import time_weighted_log_mean

    v, t = [0.0, 1.0, 3.0], [2020.0, 2021.0, 2023.0]
    # infinite half-life: the plain mean
    assert time_weighted_log_mean(v, t, 2030.0, math.inf) == pytest.approx(4.0 / 3.0)
    # half-life 1 year at 2021: weights 1/2, 1, 1/4
    want = (0.5 * 0.0 + 1.0 * 1.0 + 0.25 * 3.0) / 1.75
    assert time_weighted_log_mean(v, t, 2021.0, 1.0) == pytest.approx(want)
    with pytest.raises(GaemiInputError, match="no event to calibrate on"):
        time_weighted_log_mean([], [], 2021.0, 1.0)
    with pytest.raises(GaemiInputError, match="half_life_years = 0"):
        time_weighted_log_mean(v, t, 2021.0, 0)


def test_choose_half_life_by_inner_leave_one_out() -> None:
    from gaemi.core.crypto import choose_half_life

    # a constant: every half-life predicts it exactly; the tie goes to the longest
    assert choose_half_life([1.0] * 5, [2020, 2021, 2022, 2023, 2024]) == math.inf
    # two eras far apart, each internally constant: the shortest half-life of the grid
    # predicts each held-out point from its own era
    v = [0.0, 0.0, 0.0, 2.0, 2.0, 2.0]
    t = [2020.0, 2020.2, 2020.4, 2025.0, 2025.2, 2025.4]
    assert choose_half_life(v, t) == 0.25
    assert choose_half_life([1.0], [2020.0]) == math.inf


def test_location_estimators_and_their_inner_choice() -> None:
    from gaemi.core.crypto import (
        choose_estimator,
        describe_estimator,
        location_estimate,
    )

    v, t = [0.0, 0.1, 0.2, 5.0], [2020.0, 2021.0, 2022.0, 2023.0]
    assert location_estimate("median", v, t, 2024.0) == pytest.approx(0.15)
    assert location_estimate(math.inf, v, t, 2024.0) == pytest.approx(5.3 / 4)
    with pytest.raises(GaemiInputError, match="must be 'median' or a half-life"):
        location_estimate("mode", v, t, 2024.0)
    # many equal points and one far outlier: the median predicts every held-out point of
    # the cluster exactly, each mean is pulled by the outlier, so the inner choice is it
    w = [1.0, 1.0, 1.0, 1.0, 1.0, 9.0]
    assert choose_estimator(w, [2020, 2021, 2022, 2023, 2024, 2025]) == "median"
    # a constant: every candidate is exact; the tie goes to the first (the plain mean)
    assert choose_estimator([2.0] * 4, [2020, 2021, 2022, 2023]) == math.inf
    assert describe_estimator(math.inf) == "mean"
    assert describe_estimator(2.0) == "mean weighted by half-life 2 y"
