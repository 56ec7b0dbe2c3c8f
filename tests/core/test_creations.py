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


# ------------------------------------------------------------ class β in the engines
from gaemi.core.creations import (  # noqa: E402
    class_creations_beta,
    close_flow_multiplier,
    fit_class_beta,
    fund_class,
)


def test_fund_class_by_sign_and_size() -> None:
    got = fund_class([3, 2, 1.5, 1.25, -3, -2, -1, 1, 0.5, 4]).tolist()
    assert got == [
        "long_3x",
        "long_2x",
        "long_2x",
        "long_2x",
        "inverse_3x",
        "inverse_2x",
        "inverse_2x",
        "",
        "",
        "long_3x",
    ]


def test_class_beta_maps_each_fund_and_leaves_unclassed_at_zero() -> None:
    beta = class_creations_beta([3, -3, 2, 1], {"long_3x": -0.36, "inverse_3x": 0.63})
    np.testing.assert_array_equal(beta, [-0.36, 0.63, 0.0, 0.0])
    with pytest.raises(GaemiInputError, match="long_3x"):
        class_creations_beta([3], {"long_3x": float("nan")})


def test_close_flow_multiplier_is_rebalancing_plus_creations() -> None:
    # L(L−1) + L·β by hand: 3·2 + 3·(−0.36) = 4.92; −3·−4 + (−3)·0.63 = 10.11
    np.testing.assert_allclose(close_flow_multiplier([3, -3], [-0.36, 0.63]), [4.92, 10.11])
    np.testing.assert_allclose(close_flow_multiplier([3, 2]), [6.0, 2.0])


def test_fit_class_beta_recovers_a_known_slope() -> None:
    # two funds, C_i,t = (a + β·x_t)·A_i,t−1 + noise with x_t the AUM-weighted move: the
    # aggregate regression must give back β (0.002 intercept, β = −0.4)
    rng = np.random.default_rng(7)
    n = 2000
    a = np.vstack([rng.uniform(1e9, 2e9, n), rng.uniform(3e8, 6e8, n)])
    r = np.vstack([rng.normal(0, 0.015, n), rng.normal(0, 0.012, n)])
    x = (a * r).sum(axis=0) / a.sum(axis=0)
    c = (0.002 - 0.4 * x) * a + rng.normal(0, 1e6, a.shape)
    fit = fit_class_beta(c, a, r)
    assert fit.beta == pytest.approx(-0.4, abs=0.01)
    assert fit.ci[0] < -0.4 < fit.ci[1]
    assert fit.intercept == pytest.approx(0.002, abs=2e-4)
    assert fit.n_obs == n
    # a fund absent on a day (NaN) is left out of that day's sums, not the whole day
    c2 = c.copy()
    c2[1, :100] = np.nan
    assert fit_class_beta(c2, a, r).n_obs == n
    with pytest.raises(GaemiInputError, match="differ"):
        fit_class_beta(c[:, :10], a, r)
