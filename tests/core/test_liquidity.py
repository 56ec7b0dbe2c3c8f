"""Closing liquidity: capacity, pressure ratio, threshold move, basket limits."""

from __future__ import annotations

import numpy as np
import pytest

from gaemi.core.liquidity import (
    LiquidityProfile,
    basket_capacity_usd,
    capacity_usd,
    pressure_ratio,
    threshold_move_frac,
)
from gaemi.errors import GaemiInputError


def test_capacity_is_closing_share_times_adv() -> None:
    # FACTS.md (b): closes matched 9.44% of notional (Q2 2024); QQQ ADV $23.7B (2025).
    assert float(capacity_usd(23.7e9, 0.0944)) == pytest.approx(2.23728e9, rel=1e-12)


def test_threshold_of_the_research_note_ladder() -> None:
    # Research note: $45B of 3x AUM sells $13.5B at -5% (K = 6·45e9 per unit move);
    # a close that absorbs exactly $13.5B reaches pressure 1 at a 5% move.
    k = 6 * 45e9
    assert float(threshold_move_frac(k, 13.5e9)) == pytest.approx(0.05, rel=1e-12)
    assert float(pressure_ratio(k * -0.05, 13.5e9)) == pytest.approx(1.0, rel=1e-12)
    assert float(pressure_ratio(k * -0.02, 13.5e9)) == pytest.approx(0.4, rel=1e-12)


def test_zero_capacity_and_zero_sensitivity() -> None:
    assert float(pressure_ratio(1e9, 0.0)) == np.inf
    assert float(pressure_ratio(0.0, 0.0)) == 0.0
    assert float(threshold_move_frac(0.0, 1e9)) == np.inf


def test_basket_is_limited_by_its_least_liquid_name() -> None:
    # independent arithmetic: capacities 0.1·[10, 1, 4]e9 = [1, 0.1, 0.4]e9 over weights
    # [0.5, 0.1, 0.4] give [2, 1, 1]e9 → the basket absorbs $1B; B binds first (ties: first).
    b = basket_capacity_usd(["A", "B", "C"], [0.5, 0.1, 0.4], [10e9, 1e9, 4e9], 0.1)
    assert b.capacity_usd == pytest.approx(1e9, rel=1e-12)
    assert b.binding == "B"
    np.testing.assert_allclose(b.name_capacity_usd, [1e9, 0.1e9, 0.4e9])


def test_profile_frame_has_units() -> None:
    prof = LiquidityProfile(
        np.array(["NDX"]), np.array([150e9]), np.array([0.0944]), np.array([293e9])
    )
    df = prof.to_frame(move_frac=-0.02)
    assert df.loc[0, "capacity_usd"] == pytest.approx(150e9 * 0.0944)
    assert df.loc[0, "threshold_move_frac"] == pytest.approx(-150e9 * 0.0944 / 293e9)
    assert df.loc[0, "pressure_ratio"] == pytest.approx(293e9 * 0.02 / (150e9 * 0.0944))


@pytest.mark.parametrize(
    ("adv", "share", "match"),
    [(-1e9, 0.1, "adv_usd"), (1e9, 1.5, "closing_share"), (1e9, -0.1, "closing_share")],
)
def test_bad_liquidity(adv: float, share: float, match: str) -> None:
    with pytest.raises(GaemiInputError, match=match):
        capacity_usd(adv, share)
