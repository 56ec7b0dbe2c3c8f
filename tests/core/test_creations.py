"""gaemi.core.creations and the sourced-AUM estimator of gaemi.core.history (hand-computed)."""

from __future__ import annotations

import numpy as np
import pytest

from gaemi.core.creations import (
    close_trade_usd,
    creation_regression,
    creations_frac,
    lagged,
    net_creations_usd,
    offset_frac,
    shares_from_aum,
)
from gaemi.core.history import (
    AUM_SOURCES,
    SRC_CARRIED,
    SRC_EXTRAPOLATED,
    SRC_INTERPOLATED,
    SRC_NOT_LISTED,
    SRC_REPORTED,
    SRC_SNAPSHOT,
    aum_from_anchors,
    k_usd,
    source_label,
)
from gaemi.errors import GaemiInputError

DATES = np.arange("2024-01-01", "2024-01-07", dtype="datetime64[D]")


def test_net_creations_by_hand() -> None:
    s = np.array([100.0, 110.0, 105.0])
    p = np.array([10.0, 12.0, 11.0])
    c = net_creations_usd(s, p)
    assert np.isnan(c[0])
    assert c[1:].tolist() == [10 * 12.0, -5 * 11.0]
    a = s * p
    f = creations_frac(c, a)
    assert f[1] == pytest.approx(120.0 / 1000.0)
    assert shares_from_aum([1000.0, 5.0], [10.0, 0.0])[0] == 100.0
    assert np.isnan(shares_from_aum([5.0], [0.0])[0])


def test_close_trade_and_offset() -> None:
    # L=3, A=100, r=-10%: rebalancing 3·2·100·(−0.1) = −60; creations +10 add L·C = +30
    total = close_trade_usd(3.0, 100.0, -0.1, 10.0)
    assert total == pytest.approx(-30.0)
    assert offset_frac(-60.0, 30.0) == pytest.approx(0.5)
    assert np.isnan(offset_frac(0.0, 1.0))


def test_regression_recovers_a_planted_response() -> None:
    rng = np.random.default_rng(1)
    r = rng.normal(0, 0.01, 2000)
    y = -0.4 * r - 0.2 * lagged(r, 1) + rng.normal(0, 0.001, 2000)
    fit = creation_regression(y, r, (0, 1, 2), n_boot=60)
    assert fit.regression.coef[1] == pytest.approx(-0.4, abs=0.02)
    assert fit.regression.coef[2] == pytest.approx(-0.2, abs=0.02)
    assert fit.regression.coef[3] == pytest.approx(0.0, abs=0.02)
    assert fit.cumulative == pytest.approx(-0.6, abs=0.03)
    lo, hi = fit.cumulative_ci
    assert lo < -0.6 < hi
    with pytest.raises(GaemiInputError):
        creation_regression(y, r, ())


def test_aum_sources_by_hand() -> None:
    nav = np.array([[np.nan, 10.0, 11.0, 12.0, 13.0, 14.0]])
    snap = np.array([[np.nan, 1000.0, np.nan, np.nan, 1560.0, np.nan]])  # 100 and 120 shares
    out = aum_from_anchors(DATES, nav, snap)
    # interpolated shares 100 → 120 over 3 trading days: 106.67, 113.33 (× NAV)
    assert out.aum_usd[0, 2] == pytest.approx((100 + 20 / 3) * 11.0)
    assert out.aum_usd[0, 3] == pytest.approx((100 + 40 / 3) * 12.0)
    assert out.aum_usd[0, 5] == pytest.approx(120 * 14.0)  # carried after the last anchor
    assert out.source[0].tolist() == [
        SRC_NOT_LISTED,
        SRC_SNAPSHOT,
        SRC_INTERPOLATED,
        SRC_INTERPOLATED,
        SRC_SNAPSHOT,
        SRC_CARRIED,
    ]
    rep = np.array([[np.nan, np.nan, 999.0, np.nan, np.nan, np.nan]])
    out2 = aum_from_anchors(DATES, nav, snap, rep)
    assert out2.aum_usd[0, 2] == pytest.approx(999.0)  # reported wins, exactly
    assert out2.source[0, 2] == SRC_REPORTED
    assert out2.start_of_day_source()[0, 3] == SRC_REPORTED
    assert AUM_SOURCES[SRC_REPORTED] == "reported"


def test_far_rule_scales_beyond_the_horizon() -> None:
    nav = np.array([[10.0, 10.0, 10.0, 10.0, 10.0, 10.0]])
    snap = np.array([[np.nan, np.nan, np.nan, np.nan, np.nan, 100.0]])
    scale = np.array([[1.0, 2.0, 4.0, 4.0, 4.0, 4.0]])
    out = aum_from_anchors(DATES, nav, snap, far_scale=scale, carry_days=2)
    # days 3, 4 carried (within 2 days of the anchor); days 0–2 scaled from day 3 on
    assert out.source[0, 3] == SRC_CARRIED
    assert out.source[0, 1] == SRC_EXTRAPOLATED
    assert out.aum_usd[0, 1] == pytest.approx(100.0 * 2.0 / 4.0)
    assert out.aum_usd[0, 0] == pytest.approx(100.0 * 1.0 / 4.0)


def test_k_and_label() -> None:
    k = k_usd([3.0, -3.0], np.array([[1.0, 2.0], [1.0, 0.0]]))
    assert k.tolist() == [6.0 + 12.0, 12.0]
    assert source_label([SRC_REPORTED, SRC_CARRIED], [96.0, 4.0]) == "reported 96%+carried 4%"
    assert source_label([SRC_REPORTED], [1.0]) == "reported"
    assert source_label([SRC_NOT_LISTED], [1.0]) == "not_listed"
