"""NAV engine: vectorised compounding against a plain day loop, carry and wipe-out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaemi.core.nav import FundTerms, fund_returns, nav_path, nav_path_reference, terminal_nav
from gaemi.errors import GaemiInputError

leverages = st.sampled_from([3.0, 2.0, 1.5, -1.0, -2.0, -3.0, 0.5])


@settings(max_examples=40, deadline=None)
@given(
    lev=leverages,
    er=st.floats(0.0, 0.02),
    spread=st.floats(0.0, 0.01),
    rate=st.floats(0.0, 0.08),
    seed=st.integers(0, 2**32 - 1),
)
def test_vectorised_matches_day_loop(
    lev: float, er: float, spread: float, rate: float, seed: int
) -> None:
    # Reference: the plain balance-sheet loop (exposure, cash, borrowed, short) in nav.py.
    terms = FundTerms(lev, er, spread)
    r = np.random.default_rng(seed).normal(0.0, 0.02, 60)
    ref = nav_path_reference(r, terms, rate, 1 / 252)
    np.testing.assert_allclose(nav_path(r, terms, rate), ref, rtol=1e-12, atol=1e-15)
    assert terminal_nav(r, terms, rate) == pytest.approx(ref[-1], rel=1e-12)


def test_carry_signs_from_design() -> None:
    # DESIGN.md section 4: L>1 pays (L-1)(rate+spread); inverse funds earn interest on cash.
    rate, spread, er = 0.05, 0.004, 0.01
    assert float(FundTerms(3, er, spread).carry_annual(rate)) == pytest.approx(
        -2 * (rate + spread) - er
    )
    # -3x: cash A plus short proceeds 3A earn the rate, the short pays the spread on 3A
    assert float(FundTerms(-3, er, spread).carry_annual(rate)) == pytest.approx(
        4 * rate - 3 * spread - er
    )
    assert FundTerms(0.5).financed_notional == 0.0


def test_flat_underlying_grows_at_carry() -> None:
    # With r = 0 every day the fund compounds its daily carry: (1 + c/252)^252.
    terms = FundTerms(3, 0.0075, 0.004)
    c = float(terms.carry_annual(0.04))
    assert terminal_nav(np.zeros(252), terms, 0.04) == pytest.approx((1 + c / 252) ** 252)


def test_pure_leverage_no_costs() -> None:
    # Without costs a daily-reset fund returns exactly L·r each day (its mandate).
    r = np.array([0.01, -0.02, 0.03])
    np.testing.assert_allclose(fund_returns(r, FundTerms(-2)), -2 * r)
    np.testing.assert_allclose(nav_path(r, FundTerms(3))[-1], np.prod(1 + 3 * r))


def test_wipe_out_is_absorbing() -> None:
    # A -40% day takes a 3x fund to -120%: floored at zero and stays there.
    path = nav_path([0.01, -0.4, 0.5], FundTerms(3))
    assert path[2] == 0.0
    assert path[3] == 0.0


def test_vectorised_over_paths_and_rates() -> None:
    r = np.random.default_rng(0).normal(0, 0.02, (5, 30))
    rates = np.linspace(0.0, 0.05, 30)  # one rate per day
    terms = FundTerms(2, 0.009, 0.002)
    out = terminal_nav(r, terms, rates)
    for i in range(5):
        nav = 1.0
        for t in range(30):
            nav *= 1 + 2 * r[i, t] + float(terms.carry_annual(rates[t])) / 252
        assert out[i] == pytest.approx(nav, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"leverage": 1.0}, "leverage"),
        ({"leverage": 0.0}, "leverage"),
        ({"leverage": 3.0, "expense_ratio": -0.01}, "expense_ratio"),
        ({"leverage": 3.0, "spread_annual": 0.5}, "spread_annual"),
    ],
)
def test_bad_terms_are_one_line_errors(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(GaemiInputError, match=match) as exc:
        FundTerms(**kwargs)
    assert "\n" not in str(exc.value)


def test_scheduled_returns_match_fund_returns_and_switch_leverage() -> None:
    from gaemi.core.nav import (
        FundTerms,
        fit_spread,
        fund_returns,
        leverage_schedule,
        scheduled_fund_returns,
    )

    r = np.array([0.01, -0.02, 0.03, -0.01])
    terms = FundTerms(3.0, 0.0095, 0.004)
    a = fund_returns(r, terms, 0.05, 1 / 252)
    b = scheduled_fund_returns(r, 3.0, 0.0095, 0.004, 0.05, 1 / 252)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)
    lev = leverage_schedule(
        np.array(["2024-03-29", "2024-04-01", "2024-04-02", "2024-04-03"], "datetime64[D]"),
        [("2024-04-02", 2.0)],
        1.5,
    )
    assert lev.tolist() == [1.5, 1.5, 2.0, 2.0]
    c = scheduled_fund_returns(r, lev)
    np.testing.assert_allclose(c, lev * r)
    # fit_spread recovers the spread that generated a growth (round trip)
    g = float(np.prod(1 + scheduled_fund_returns(r, 3.0, 0.0095, 0.012, 0.02, 1 / 252)))
    assert fit_spread(r, g, 3.0, 0.0095, 0.02, 1 / 252) == pytest.approx(0.012, abs=1e-9)


def test_turnover_cost_charges_the_rebalancing_trade() -> None:
    from gaemi.core.nav import fit_spread, scheduled_fund_returns

    # Reference: a 3x fund trades L(L−1)·r·NAV = 6·r·NAV at the close (the flow identity);
    # a cost k on that notional takes k·6·|r| off the day's return, on either sign of r.
    r = np.array([0.01, -0.02, 0.03, -0.01])
    base = scheduled_fund_returns(r, 3.0, 0.0095, 0.004, 0.05, 1 / 252)
    k = 0.001
    with_cost = scheduled_fund_returns(r, 3.0, 0.0095, 0.004, 0.05, 1 / 252, turnover_cost=k)
    np.testing.assert_allclose(base - with_cost, k * 6.0 * np.abs(r), rtol=1e-12)
    # -3x: L(L−1) = 12, the inverse fund trades twice as much per unit move
    inv = scheduled_fund_returns(r, -3.0, turnover_cost=k) - scheduled_fund_returns(r, -3.0)
    np.testing.assert_allclose(inv, -k * 12.0 * np.abs(r), rtol=1e-12)
    # fit_spread(parameter="turnover") recovers the cost that generated a growth
    g = float(np.prod(1 + scheduled_fund_returns(r, 3.0, 0.0095, 0.0, 0.02, turnover_cost=k)))
    fitted = fit_spread(r, g, 3.0, 0.0095, 0.02, parameter="turnover")
    assert fitted == pytest.approx(k, abs=1e-9)
    with pytest.raises(GaemiInputError, match="parameter"):
        fit_spread(r, g, 3.0, 0.0095, parameter="vol")
