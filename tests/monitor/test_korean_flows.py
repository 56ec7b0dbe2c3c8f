"""Korean behaviour study: net buying beyond price moves, relations with CI, stress weeks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaemi.errors import GaemiInputError
from gaemi.monitor import korean_flows as kf


def _prices() -> dict[str, pd.Series]:
    days = pd.bdate_range("2024-01-01", "2024-03-29")
    return {"AAA": pd.Series(np.linspace(100, 160, len(days)), index=days)}


def test_net_buying_is_change_beyond_price() -> None:
    p = _prices()["AAA"]
    d = pd.to_datetime(["2024-01-08", "2024-01-15", "2024-01-22", "2024-02-05"])
    hold = pd.DataFrame({"as_of": d, "ticker": "AAA", "holdings_usd": [100.0, 120.0, 90.0, 95.0]})
    w = kf.weekly_net_buying(hold, {"AAA": p}, list_dates=[*d, pd.Timestamp("2024-01-29")])
    # H_b − H_a·P_b/P_a (closed form); 01-22 -> 02-05 spans the 01-29 list: not a week
    assert len(w) == 2
    r1 = p["2024-01-15"] / p["2024-01-08"] - 1
    assert w["net_buy_usd"].iloc[0] == pytest.approx(120 - 100 * (1 + r1))
    assert w["net_buy_frac"].iloc[0] == pytest.approx((120 - 100 * (1 + r1)) / 100)
    assert w["prev_return_frac"].iloc[1] == pytest.approx(r1)
    assert np.isnan(w["prev_return_frac"].iloc[0])
    # holding only the price move gives zero net buying
    hold2 = hold.assign(holdings_usd=100 * p.reindex(d).to_numpy() / p["2024-01-08"])
    w2 = kf.weekly_net_buying(hold2, {"AAA": p})
    assert np.allclose(w2["net_buy_usd"], 0, atol=1e-9)


def test_relation_recovers_slope_and_ci() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(0, 0.1, 400)
    y = -0.3 * x + rng.normal(0, 0.02, 400)
    r = kf.relation(x, y, "synthetic")
    assert r.ci_low < -0.3 < r.ci_high
    assert r.ci_high < 0
    assert r.n == 400
    assert "dip-buying" in r.reading
    noise = kf.relation(x, rng.normal(0, 0.02, 400))
    assert noise.reading == "no significant relation"
    with pytest.raises(GaemiInputError, match="need at least 3"):
        kf.relation(np.array([1.0, 2.0]), np.array([1.0, 2.0]))


def test_stress_week_rebalance_identity() -> None:
    days = pd.bdate_range("2024-08-01", "2024-08-09")
    nav = np.array([100, 90, 81, 81, 90, 90, 90], dtype=float)
    shares = np.array([10, 10, 11, 11, 11, 10, 10], dtype=float)
    issuer = pd.DataFrame({"date": days, "nav_usd": nav, "aum_usd": nav * shares})
    weeks = pd.DataFrame(
        {
            "ticker": ["F"],
            "week_start": [pd.Timestamp("2024-08-01")],
            "week_end": [pd.Timestamp("2024-08-08")],
            "fund_return_frac": [-0.1],
            "net_buy_usd": [5.0],
        }
    )
    t = kf.stress_week_flows(weeks, issuer, "F", 3.0, ["2024-08-05"])
    # creations Σ ΔS·NAV over 08-02..08-08: +1 share at 81, −1 at 90
    assert t["creations_usd"].item() == pytest.approx(81 - 90)
    # rebalancing Σ L(L−1)·A_{t−1}·(r_fund/L) over the same days (closed form)
    a = nav * shares
    r = nav[1:] / nav[:-1] - 1
    expect = sum(6 * a[i] * r[i] / 3 for i in range(5))  # days 08-02 .. 08-08
    assert t["rebalance_usd"].item() == pytest.approx(expect)


def test_study_on_real_data(shared_data: Path) -> None:
    s = kf.study(str(shared_data))
    b = s["behaviour"].set_index(["fund", "move"])
    pooled = b.loc[("long funds pooled", "previous week")]
    assert pooled["n"] > 500
    assert pooled["ci_low"] < pooled["slope"] < pooled["ci_high"]
    # the placebo (next week's move) must not show a relation of the same strength
    placebo = b.loc[("long funds pooled", "next week (placebo)")]
    assert abs(placebo["slope"]) < abs(pooled["slope"])
    stress = s["stress_TQQQ"].set_index("stress_day")
    assert len(stress) >= 6
    assert np.isfinite(stress["creations_usd"]).all()


def test_korean_close_flow_share_times_rebalance() -> None:
    days = pd.bdate_range("2024-08-01", "2024-08-06")
    nav = np.array([100.0, 100.0, 91.0, 91.0])
    issuer = {"F": pd.DataFrame({"date": days, "nav_usd": nav, "aum_usd": nav * 10.0})}
    share = pd.DataFrame(
        {
            "ticker": "F",
            "date": days,
            "korean_share": [0.2, 0.25, np.nan, 0.3],
            "basis": ["observed", "estimated", "", "observed"],
            "korean_as_of": days,
        }
    )
    t = kf.korean_close_flow(share, issuer, {"F": 3.0}, ["2024-08-05", "2024-08-06"])
    # 08-05: L(L−1)·A_{t−1}·r/L = 6·1000·(−0.09/3) = −180; share at 08-02 close 0.25
    first = t.iloc[0]
    assert first["rebalance_usd"] == pytest.approx(-180.0)
    assert first["korean_usd"] == pytest.approx(-45.0)
    assert first["unattributed_usd"] == 0.0
    # 08-06: share at 08-05 unknown -> the whole flow (0 here, flat NAV) is unattributed
    assert np.isnan(t.iloc[1]["korean_usd"])
