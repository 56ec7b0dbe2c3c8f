"""Flow engine: the research note's ladder, the daily-reset identity and its laws."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gaemi.core.flows import (
    compute_flows,
    concentrated_sensitivity,
    ladder_moves,
    projected_close_flow,
    rebalance_flow_usd,
    rebalance_multiplier,
)
from gaemi.core.universe import Universe
from gaemi.errors import GaemiInputError

leverages = st.sampled_from([-3.0, -2.0, -1.0, 2.0, 3.0, 4.0, -1.5, 1.5, 2.5])
aums = st.floats(min_value=1e3, max_value=1e12, allow_nan=False)
moves = st.floats(min_value=-0.99, max_value=5.0, allow_nan=False).filter(lambda r: r != 0.0)


def test_research_note_ladder_exact() -> None:
    # Research note ("Ants"): Sell = AUM * 6 * |move| with $45B of 3x AUM:
    # $2.7B, $5.4B, $8.1B, $10.8B, $13.5B at -1% ... -5%.
    u = Universe.hypothetical([3.0], [45e9])
    res = compute_flows(u, ladder_moves(-0.01, -0.05, 0.01))
    expected = np.array([-2.7e9, -5.4e9, -8.1e9, -10.8e9, -13.5e9])
    np.testing.assert_allclose(res.total_usd(), expected, rtol=1e-12)
    np.testing.assert_allclose(res.scenario_move_frac, [-0.01, -0.02, -0.03, -0.04, -0.05])


def test_multipliers_from_design() -> None:
    # DESIGN.md section 1: a 3x fund trades 6·A·r, -3x 12·A·r, 2x 2·A·r, -1x 2·A·r, 1x nothing.
    np.testing.assert_array_equal(rebalance_multiplier([3, -3, 2, -1, 1]), [6, 12, 2, 2, 0])


def test_creations_add_leverage_times_c() -> None:
    # L·C: a $1B redemption from a 3x fund is another $3B of selling (DESIGN.md section 1).
    assert rebalance_flow_usd(3, 10e9, 0.0, -1e9) == pytest.approx(-3e9)
    u = Universe.hypothetical([3.0, -3.0], [10e9, 1e9])
    res = compute_flows(u, [-0.02], {"HYP1": -1e9})
    np.testing.assert_allclose(res.flow_usd[:, 0], [6 * 10e9 * -0.02 - 3e9, 12 * 1e9 * -0.02])


@given(lev=leverages, aum=aums, r=moves)
def test_flow_has_sign_of_move(lev: float, aum: float, r: float) -> None:
    flow = float(rebalance_flow_usd(lev, aum, r))
    if lev > 1 or lev < 0:
        assert np.sign(flow) == np.sign(r)
    else:  # 0 < L < 1 would trade against the move; not a leveraged fund
        assert np.sign(flow) == -np.sign(r)


@given(lev=leverages, aum=aums, r=moves, k=st.floats(min_value=0.01, max_value=100))
def test_flow_linear_in_aum_and_move(lev: float, aum: float, r: float, k: float) -> None:
    base = float(rebalance_flow_usd(lev, aum, r))
    assert float(rebalance_flow_usd(lev, k * aum, r)) == pytest.approx(k * base, rel=1e-12)
    # linear in the move only while the fund survives both moves (1 + L·r > 0)
    if r * k >= -1 and 1 + lev * r > 0 and 1 + lev * k * r > 0:
        assert float(rebalance_flow_usd(lev, aum, k * r)) == pytest.approx(k * base, rel=1e-12)


@given(aum=aums, r=moves)
def test_inverse_3x_trades_twice_long_3x(aum: float, r: float) -> None:
    # L(L-1): -3x → 12, +3x → 6 per dollar of AUM per unit move (while both survive).
    assume(abs(r) < 1 / 3)
    assert float(rebalance_flow_usd(-3, aum, r)) == pytest.approx(
        2 * float(rebalance_flow_usd(3, aum, r)), rel=1e-12
    )


@given(aum=aums, r=moves)
def test_one_x_fund_trades_nothing(aum: float, r: float) -> None:
    assert float(rebalance_flow_usd(1, aum, r)) == 0.0


def _toy() -> Universe:
    return Universe(
        ticker=np.array(["A", "B", "C", "D"]),
        name=np.array(["a", "b", "c", "d"]),
        issuer=np.array(["X", "X", "Y", "Y"]),
        leverage=np.array([3.0, -3.0, 2.0, 3.0]),
        underlying_id=np.array(["NDX", "NDX", "TSLA", "SOX"]),
        underlying_kind=np.array(["index", "index", "single_stock", "index"]),
        underlying_group=np.array(["NDX", "NDX", "single_stock", "semiconductors"]),
        expense_ratio=np.array([0.01, 0.01, 0.01, 0.01]),
        aum_usd=np.array([10e9, 2e9, 5e9, 8e9]),
        aum_as_of=np.array([""] * 4),
        korean_share=np.array([0.1, np.nan, 0.5, 0.05]),
        korean_as_of=np.array([""] * 4),
        source_aum=np.array([""] * 4),
        source_korean=np.array([""] * 4),
    )


def test_aggregations_conserve_total() -> None:
    res = compute_flows(_toy(), [-0.05, 0.02])
    total = res.total_usd()
    for by in ("underlying", "group", "issuer"):
        df = res.to_frame(by)
        np.testing.assert_allclose(
            df.groupby("move_frac")["flow_usd"].sum().sort_index(), total
        )  # moves are given in ascending order
    holders = res.to_frame("holder")
    np.testing.assert_allclose(holders.groupby("move_frac")["flow_usd"].sum().sort_index(), total)


def test_holder_split_by_hand() -> None:
    # At -5%: A: 6·10e9·-0.05 = -3e9 (10% Korean), B: 12·2e9·-0.05 = -1.2e9 (unknown),
    # C: 2·5e9·-0.05 = -0.5e9 (50%), D: 6·8e9·-0.05 = -2.4e9 (5%).
    res = compute_flows(_toy(), [-0.05])
    h = res.to_frame("holder").set_index("holder")["flow_usd"]
    assert h["korean"] == pytest.approx(-0.3e9 - 0.25e9 - 0.12e9)
    assert h["unattributed"] == pytest.approx(-1.2e9)
    assert h["non_korean"] == pytest.approx(-2.7e9 - 0.25e9 - 2.28e9)


def test_sensitivity_per_underlying() -> None:
    k = concentrated_sensitivity(_toy())
    assert k == {
        "NDX": pytest.approx(6 * 10e9 + 12 * 2e9),
        "TSLA": pytest.approx(2 * 5e9),
        "SOX": pytest.approx(6 * 8e9),
    }
    df = compute_flows(_toy(), [0.01]).to_frame("underlying").set_index("underlying_id")
    assert df.loc["NDX", "flow_per_pct_usd"] == pytest.approx(0.84e9)
    assert df.loc["NDX", "flow_usd"] == pytest.approx(0.84e9)


def test_projected_close_flow_per_underlying() -> None:
    res = projected_close_flow(_toy(), {"NDX": -0.03, "semiconductors": -0.05})
    np.testing.assert_allclose(
        res.flow_usd[:, 0], [6 * 10e9 * -0.03, 12 * 2e9 * -0.03, 0.0, 6 * 8e9 * -0.05]
    )
    with pytest.raises(GaemiInputError, match="underlying = 'XYZ'"):
        projected_close_flow(_toy(), {"XYZ": -0.01})


@pytest.mark.parametrize(
    "moves",
    [{"SOX": -0.05, "semiconductors": -0.01}, {"ndx": -0.03, "NDX": -0.01}],
)
def test_projected_close_flow_refuses_two_moves_for_one_fund(moves: dict[str, float]) -> None:
    # Either move winning silently would drop the other (the last one used to win).
    with pytest.raises(GaemiInputError, match="would get two moves"):
        projected_close_flow(_toy(), moves)


def test_korean_aum_what_if_keeps_other_holders() -> None:
    u = _toy().with_korean_aum(45e9)
    # 3x funds with known Korean holdings: A (1e9) and D (0.4e9) → 45e9 split 1:0.4.
    kor = np.nan_to_num(u.korean_aum_usd)
    assert kor[[0, 3]].sum() == pytest.approx(45e9)
    assert kor[0] / kor[3] == pytest.approx(1.0 / 0.4)
    assert u.aum_usd[0] == pytest.approx(9e9 + kor[0])  # non-Korean $9B kept
    assert u.aum_usd[1] == 2e9  # -3x fund untouched


@pytest.mark.parametrize(
    ("moves", "match"),
    [
        ([np.nan], "finite"),
        ([-1.5], "below -100%"),
        ([], "non-empty"),
        ([1e306], "above \\+1000%"),  # audit: 1e308% rounded to inf in the ladder
    ],
)
def test_bad_moves(moves: list[float], match: str) -> None:
    with pytest.raises(GaemiInputError, match=match):
        compute_flows(_toy(), moves)


def test_ladder_moves_grid() -> None:
    np.testing.assert_allclose(
        ladder_moves(-0.1, 0.1, 0.01), np.round(np.arange(-10, 11) / 100, 12)
    )
    assert ladder_moves(-0.05, -0.01, 0.01).size == 5
    with pytest.raises(GaemiInputError, match="step"):
        ladder_moves(-0.05, 0.05, 0.0)


def test_result_arrays_are_frozen() -> None:
    u = _toy()
    with pytest.raises(ValueError, match="read-only"):
        u.aum_usd[0] = -1.0


def test_moves_errors_print_plain_numbers() -> None:
    # audit: "moves = np.float64(inf) must be a finite number"
    with pytest.raises(GaemiInputError) as err:
        compute_flows(_toy(), np.array([np.inf]))
    assert str(err.value) == "move_frac = inf must be a finite number"
    with pytest.raises(GaemiInputError) as err:
        ladder_moves(-0.05, 0.05, 1e-308)
    assert str(err.value) == (
        "moves grid would have 1e+307 points; at most 100001 are allowed (use a larger step)"
    )
    with pytest.raises(GaemiInputError, match="must be in \\[-100%, \\+1000%\\]"):
        ladder_moves(1e306, 1e306, 1.0)


def test_redemptions_above_aum_are_refused() -> None:
    # audit: -$50B of creations against a $39.35B fund was accepted; a fund cannot
    # redeem more than it holds. Fund A of _toy() holds $10B.
    with pytest.raises(GaemiInputError) as err:
        compute_flows(_toy(), [-0.02], {"A": -10.5e9})
    assert str(err.value) == (
        "creations for A = -$10.50B redeems more than the fund's AUM of $10.00B"
    )
    with pytest.raises(GaemiInputError, match=r"creations for B = -\$3\.00B"):
        projected_close_flow(_toy(), {"NDX": -0.02}, [0.0, -3e9, 0.0, 0.0])
    # redeeming the whole fund is allowed: L·C = 3 × -10e9 at a flat close
    r = compute_flows(_toy(), [0.0], {"A": -10e9})
    assert r.flow_usd[0, 0] == pytest.approx(-30e9)


# ------------------------------------------------------------ creations that respond to r
def test_creations_beta_enters_as_l_times_beta_a_r() -> None:
    from gaemi.core.flows import compute_flows, concentrated_sensitivity, projected_close_flow
    from gaemi.core.universe import Universe

    u = Universe.hypothetical([3.0, -3.0, 2.0], [40e9, 10e9, 5e9], ["NDX", "NDX", "SPX"])
    beta = np.array([-0.36, 0.63, 0.0])
    moves = [-0.05, 0.02]
    res = compute_flows(u, moves, creations_beta=beta)
    lev, a = np.array([3.0, -3.0, 2.0]), np.array([40e9, 10e9, 5e9])
    for j, r in enumerate(moves):
        # ΔE = A·r·(L(L−1) + L·β), by hand
        want = a * r * (lev * (lev - 1) + lev * beta)
        np.testing.assert_allclose(res.flow_usd[:, j], want, rtol=1e-12)
        np.testing.assert_allclose(res.total_creations_usd()[:, j], beta * a * r, rtol=1e-12)
    np.testing.assert_allclose(
        res.sensitivity_usd_per_pct(), a * 0.01 * (lev * (lev - 1) + lev * beta), rtol=1e-12
    )
    frame = res.to_frame("fund")
    np.testing.assert_allclose(
        frame["creations_usd"].to_numpy(), np.r_[beta * a * -0.05, beta * a * 0.02]
    )
    # no β: the identity alone, and the given creations add L·C on top of β
    np.testing.assert_allclose(
        compute_flows(u, moves).flow_usd[:, 0], a * -0.05 * lev * (lev - 1), rtol=1e-12
    )
    both = projected_close_flow(u, {"NDX": -0.05}, [1e8, 0.0, 0.0], creations_beta=beta)
    want0 = 40e9 * -0.05 * (6 + 3 * -0.36) + 3 * 1e8
    assert both.flow_usd[0, 0] == pytest.approx(want0, rel=1e-12)
    assert both.flow_usd[2, 0] == 0.0  # SPX not named: no move, no flow
    k = concentrated_sensitivity(u, beta)
    assert k["NDX"] == pytest.approx(40e9 * (6 - 1.08) + 10e9 * (12 - 1.89), rel=1e-12)
    assert concentrated_sensitivity(u)["NDX"] == pytest.approx(40e9 * 6 + 10e9 * 12)
    with pytest.raises(GaemiInputError, match="creations_beta"):
        compute_flows(u, moves, creations_beta=[0.0, np.nan, 0.0])
