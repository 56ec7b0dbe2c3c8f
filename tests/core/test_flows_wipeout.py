"""The close flow past a fund's wipe-out: ΔE = L(L−1)·A·r only while 1 + L·r > 0, the unwind
−L·A·(1+r) of the exposure left beyond (task brief; DESIGN.md section 1 for the identity)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from gaemi.core.flows import (
    compute_flows,
    projected_close_flow,
    rebalance_flow_usd,
    rebalance_multiplier,
    wiped_out,
)
from gaemi.core.universe import Universe

if TYPE_CHECKING:
    from gaemi.core.feedback import StressModel
    from gaemi.core.participants import LetfRebalancing

LONG = (1.5, 2.0, 3.0, 4.0)
INVERSE = (-1.0, -2.0, -3.0)
AUM = 7.3e9


@pytest.mark.parametrize("lev", LONG + INVERSE)
def test_continuous_at_the_wipe_out(lev: float) -> None:
    # At r* = −1/L both branches are −(L−1)·A: L(L−1)·A·(−1/L) = −(L−1)·A = −L·A·(1 − 1/L).
    r_star = -1.0 / lev
    closed_form = -(lev - 1.0) * AUM
    assert float(rebalance_flow_usd(lev, AUM, r_star)) == pytest.approx(closed_form, rel=1e-12)
    assert bool(wiped_out(lev, r_star))
    eps = 1e-9
    inside = r_star + eps if lev > 0 else r_star - eps  # the fund survives this move
    beyond = r_star - eps if lev > 0 else r_star + eps
    assert not bool(wiped_out(lev, inside))
    assert bool(wiped_out(lev, beyond))
    # each side within its slope × eps of the closed form: no jump
    slope = max(abs(lev * (lev - 1.0)), abs(lev)) * AUM
    for r in (inside, beyond):
        assert abs(float(rebalance_flow_usd(lev, AUM, r)) - closed_form) <= slope * eps * 1.01


@pytest.mark.parametrize("lev", LONG)
def test_long_fund_sale_shrinks_to_zero_at_minus_100pct(lev: float) -> None:
    r = np.linspace(-1.0 / lev, -1.0, 201)
    flow = rebalance_flow_usd(lev, AUM, r)
    assert (flow <= 0).all()
    assert (np.diff(np.abs(flow)) < 0).all()  # each further fall sells less
    assert float(flow[-1]) == 0.0  # nothing left to sell at −100 %
    # below the identity's straight line beyond the wipe-out (in size)
    linear = rebalance_multiplier(lev) * AUM * r
    assert (np.abs(flow[1:]) < np.abs(linear[1:])).all()


def test_inverse_fund_buys_back_its_short() -> None:
    # −3x, +50 %: wiped at +1/3; it buys back −L·A·(1+r) = 3·A·1.5 = 4.5·A, not 12·A·0.5 = 6·A.
    assert bool(wiped_out(-3, 0.5))
    assert float(rebalance_flow_usd(-3, AUM, 0.5)) == pytest.approx(4.5 * AUM, rel=1e-15)
    # −2x at +60 %: 2·A·1.6 = 3.2·A (identity: 6·A·0.6 = 3.6·A); survives +40 %: 6·A·0.4
    assert float(rebalance_flow_usd(-2, AUM, 0.6)) == pytest.approx(3.2 * AUM, rel=1e-15)
    assert float(rebalance_flow_usd(-2, AUM, 0.4)) == pytest.approx(2.4 * AUM, rel=1e-15)
    # past the wipe-out the buy-back still grows with the rise, at slope |L|·A, not L(L−1)·A
    r = np.linspace(1 / 3, 2.0, 50)
    np.testing.assert_allclose(np.diff(rebalance_flow_usd(-3, AUM, r)), 3 * AUM * np.diff(r))
    # an inverse fund is never wiped out by a fall, a long fund never by a rise
    assert not wiped_out(INVERSE, -0.99).any()
    assert not wiped_out(LONG, 10.0).any()


def test_survivable_moves_are_bit_identical_to_the_identity() -> None:
    # Inside 1 + L·r > 0 the piecewise rule must return the identity's very bits.
    lev = np.array(LONG + INVERSE + (-1.5, 2.5))[:, None]
    a = np.array([1e3, 4.2e7, 3.9e10, 1.1e12, 5.5e8, 2.27e9, 6.4e8, 1.2e11, 3.3e9])[:, None]
    r = np.linspace(-0.2, 0.2, 4001)[None, :]  # every L here survives ±20 % (|L| <= 4)
    beta = np.linspace(-0.5, 0.5, lev.shape[0])[:, None]
    assert not wiped_out(lev, r).any()
    np.testing.assert_array_equal(rebalance_flow_usd(lev, a, r), lev * (lev - 1.0) * a * r)
    np.testing.assert_array_equal(
        rebalance_flow_usd(lev, a, r, 1e8, creations_beta=beta),
        (lev * (lev - 1.0) + lev * beta) * a * r + lev * 1e8,
    )


def test_creations_do_not_enter_a_wiped_fund() -> None:
    # A fund with NAV <= 0 takes no creations: the trade is the unwind alone.
    u = Universe.hypothetical([3.0, 2.0], [10e9, 10e9])
    res = compute_flows(u, [-0.4], {"HYP1": -1e9, "HYP2": -1e9}, creations_beta=[-0.3, -0.3])
    np.testing.assert_allclose(
        res.flow_usd[:, 0], [-3 * 10e9 * 0.6, 2.0 * 10e9 * -0.4 * (1 - 0.3) - 2e9]
    )
    np.testing.assert_array_equal(res.wiped_out[:, 0], [True, False])
    assert res.total_creations_usd()[0, 0] == 0.0
    assert res.total_creations_usd()[1, 0] == pytest.approx(-1e9 + -0.3 * 10e9 * -0.4)


def test_ndx_minus_40pct_by_hand(default_universe: Universe) -> None:
    # Every NDX fund of the default universe, one by one: L(L−1)·A·r if 1 + L·r > 0, else
    # −L·A·(1+r) — the brief's rule written as a loop, against the engine and its frames.
    u = default_universe
    r = -0.40
    want, n_gone = {}, 0
    for t, lev, a, uid in zip(u.ticker, u.leverage, u.aum_usd, u.underlying_id, strict=True):
        if uid != "NDX":
            continue
        if 1 + lev * r > 0:
            want[str(t)] = lev * (lev - 1) * a * r
        else:
            want[str(t)] = -lev * a * (1 + r)
            n_gone += 1
    assert n_gone >= 1  # TQQQ (3x) is wiped at −33.3 %
    res = projected_close_flow(u, {"NDX": r})
    fund = res.to_frame("fund").set_index("ticker")
    got = fund.loc[list(want), "flow_usd"]
    np.testing.assert_allclose(got.to_numpy(), list(want.values()), rtol=1e-12)
    assert int(fund.loc[list(want), "wiped_out"].sum()) == n_gone
    assert not fund.drop(index=list(want))["wiped_out"].any()  # unmoved funds survive
    by_u = res.to_frame("underlying").set_index("underlying_id")
    assert by_u.loc["NDX", "flow_usd"] == pytest.approx(sum(want.values()), rel=1e-12)
    assert by_u.loc["NDX", "n_funds_wiped_out"] == n_gone
    assert res.total_usd()[0] == pytest.approx(sum(want.values()), rel=1e-12)
    # the identity alone would overstate the sale
    linear = sum(
        lev * (lev - 1) * a * r
        for lev, a, uid in zip(u.leverage, u.aum_usd, u.underlying_id, strict=True)
        if uid == "NDX"
    )
    assert abs(linear) > abs(sum(want.values()))


@pytest.fixture(scope="module")
def default_universe() -> Universe:
    from gaemi.data.universe import load_default_universe

    return load_default_universe()


# ------------------------------------------------------------------ the feedback kernel
def _loop_models(lam_per_usd: float) -> tuple[StressModel, StressModel]:
    """One NDX-like underlying: 3x $40B, 2x $10B, −3x $5B; linear impact λ per USD; no
    breakers (so falls may run past −1/3). (with the funds' unwind, K·r alone)."""
    from gaemi.core.feedback import StressModel
    from gaemi.core.impact import LinearImpact
    from gaemi.core.participants import LetfRebalancing

    u = Universe.hypothetical([3.0, 2.0, -3.0], [40e9, 10e9, 5e9], ["NDX"] * 3)
    full = LetfRebalancing.from_universe(u)
    impact = LinearImpact(np.array([lam_per_usd]))
    return (
        StressModel((full,), impact, circuit_breakers=False),
        StressModel((full.without_unwind(),), impact, circuit_breakers=False),
    )


def test_feedback_kernel_unwinds_past_the_wipe_out() -> None:
    from gaemi.core.feedback import solve, solve_reference

    # K = 6·40e9 + 2·10e9 + 12·5e9 = $320B per unit move; λ = 1e-12/USD: K·λ = 0.32 < 1,
    # so the linear loop settles at r₀ / (1 − 0.32) — until the 3x fund is wiped (−1/3).
    full, plain = _loop_models(1e-12)
    shocks = np.r_[np.linspace(-0.6, -0.01, 60), np.linspace(0.01, 0.6, 60)]
    a, b = solve(full, shocks), solve(plain, shocks)
    # short of every wipe-out (falls: 3x at −1/3; rises: −3x at +1/3) the same bits
    short = np.where(shocks < 0, a.final_move_frac > -1 / 3, a.final_move_frac < 1 / 3)
    assert short.sum() > 40
    np.testing.assert_array_equal(a.final_move_frac[short], b.final_move_frac[short])
    np.testing.assert_array_equal(a.total_flow_usd[short], b.total_flow_usd[short])
    np.testing.assert_allclose(b.final_move_frac, shocks / (1 - 0.32), rtol=1e-12)
    # beyond: the exact kernel agrees with the slow reference walk on the piecewise flow,
    # and its flow is the piecewise rule at the closing move
    ref, _ = solve_reference(full, shocks[~short])
    np.testing.assert_allclose(a.final_move_frac[~short], ref, rtol=1e-9, atol=1e-12)
    r = a.final_move_frac[~short]
    lev = np.array([3.0, 2.0, -3.0])[:, None]
    aum = np.array([40e9, 10e9, 5e9])[:, None]
    np.testing.assert_allclose(
        a.total_flow_usd[~short], rebalance_flow_usd(lev, aum, r[None, :]).sum(axis=0), rtol=1e-12
    )
    assert (np.abs(a.final_move_frac[~short]) < np.abs(b.final_move_frac[~short])).all()


def test_close_trade_of_a_wiped_fund_is_the_unwind() -> None:
    # gaemi.core.creations.close_trade_usd goes through the same rule: 2x at −60 % with a
    # $1B redemption trades −2·A·0.4 (no creations into a fund with NAV <= 0).
    from gaemi.core.creations import close_trade_usd

    got = close_trade_usd([2.0, 2.0], [5e9, 5e9], [-0.6, -0.2], [-1e9, -1e9])
    np.testing.assert_allclose(got, [-2 * 5e9 * 0.4, 2 * 5e9 * -0.2 - 2e9], rtol=1e-15)


# --- the feedback kernel with creations: a wiped fund takes none (as rebalance_flow_usd)
_LEV = np.array([3.0, 2.0, -3.0])
_AUM = np.array([40e9, 10e9, 5e9])


def _creations_model(
    beta: list[float], lam_per_usd: float = 1e-12
) -> tuple[StressModel, LetfRebalancing]:
    """The kernel's LETF participant with K = Σ (L(L−1) + L·β)·A (as gaemi stress
    --creations builds it) and each fund's β, on a linear impact, no breakers."""
    from gaemi.core.feedback import StressModel
    from gaemi.core.impact import LinearImpact
    from gaemi.core.participants import LetfRebalancing

    b = np.asarray(beta)
    k = float(np.sum((_LEV * (_LEV - 1.0) + _LEV * b) * _AUM))
    p = LetfRebalancing(np.array([k]), fund_leverage=_LEV, fund_aum_usd=_AUM, fund_creations_beta=b)
    return StressModel((p,), LinearImpact(np.array([lam_per_usd])), circuit_breakers=False), p


def test_kernel_flow_past_a_wipe_out_drops_the_wiped_funds_creations() -> None:
    from gaemi.core.creations import close_trade_usd

    beta = [-0.36, -0.2, 0.1]
    _, p = _creations_model(beta)
    # by hand at r = −40 %: 3x wiped, −3·40e9·(1 − 0.4) = −72e9 (no creations); the 2x
    # (2 − 0.4)·10e9·(−0.4) = −6.4e9; the −3x (12 − 0.3)·5e9·(−0.4) = −23.4e9
    by_hand = -72e9 - 6.4e9 - 23.4e9
    got = float(p.flow_usd(np.array([[-0.4]]))[0, 0])
    assert got == pytest.approx(by_hand, rel=1e-12)
    # at +40 %: the −3x fund wiped, it buys back 3·5e9·1.4 = 21e9; 3x 4.92·40e9·0.4 =
    # 78.72e9; 2x 1.6·10e9·0.4 = 6.4e9
    got_up = float(p.flow_usd(np.array([[0.4]]))[0, 0])
    assert got_up == pytest.approx(21e9 + 78.72e9 + 6.4e9, rel=1e-12)
    # the core rule (gaemi flows) over a grid incl. both wipe-outs, and close_trade_usd
    r = np.linspace(-0.95, 0.95, 191)
    core = rebalance_flow_usd(
        _LEV[:, None], _AUM[:, None], r[None, :], creations_beta=np.array(beta)[:, None]
    )
    np.testing.assert_allclose(p.flow_usd(r[None, :])[0], core.sum(axis=0), rtol=1e-12, atol=1e-3)
    ct = close_trade_usd(_LEV, _AUM, -0.4, np.array(beta) * _AUM * -0.4)
    assert float(np.sum(ct)) == pytest.approx(by_hand, rel=1e-12)
    # short of every wipe-out the flow is K·r bit for bit
    inside = r[(r > -1 / 3) & (r < 1 / 3)]
    np.testing.assert_array_equal(p.flow_usd(inside[None, :])[0], p.k_usd[0] * inside)


@pytest.mark.parametrize(
    "beta",
    [
        [-0.36, -0.2, 0.1],  # creations offset the 3x fund: dropping them adds selling
        [0.3, 0.0, 0.0],  # they add to it: dropping them stops the fall at the wipe-out
    ],
)
def test_kernel_closing_move_past_a_wipe_out_with_creations(beta: list[float]) -> None:
    from gaemi.core.feedback import solve, solve_reference

    model, _ = _creations_model(beta)
    shocks = np.r_[np.linspace(-0.5, -0.05, 46), np.linspace(0.05, 0.5, 46)]
    res = solve(model, shocks)
    ref, _ = solve_reference(model, shocks)
    np.testing.assert_allclose(res.final_move_frac, ref, rtol=1e-9, atol=1e-12)
    r = res.final_move_frac
    core = rebalance_flow_usd(
        _LEV[:, None], _AUM[:, None], r[None, :], creations_beta=np.array(beta)[:, None]
    ).sum(axis=0)
    np.testing.assert_allclose(res.total_flow_usd, core, rtol=1e-12)
    gone = wiped_out(_LEV[:, None], r[None, :]).any(axis=0)
    assert gone.sum() >= 10
    assert (~gone).sum() >= 10
    if beta[0] > 0:  # some fall stops at the jump, where the 3x fund is wiped out
        assert np.isclose(r, -1 / 3, rtol=1e-12).sum() >= 1
