"""Monitor indicators: hand-computed values, threshold boundaries, composite rules table."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import numpy as np
import pytest

from gaemi import units
from gaemi.core.universe import Universe
from gaemi.data.market import MarketSnapshot, Observation, load_default_market
from gaemi.data.universe import load_default_universe
from gaemi.errors import GaemiInputError
from gaemi.monitor.indicators import (
    INDICATORS,
    Indicator,
    compute_indicators,
    growth_per_days,
    load_default_rules,
    rules_from_dict,
    sideways_decay,
)
from gaemi.monitor.status import composite_status

RULES = load_default_rules()
D = dt.date(2026, 1, 1)


def obs(name: str, value: float, day: dt.date = D, unit: str = "frac") -> Observation:
    return Observation(name, value, unit, day, "test")


def snap(*points: Observation) -> MarketSnapshot:
    series: dict[str, list[Observation]] = {}
    for p in points:
        series.setdefault(p.name, []).append(p)
    return MarketSnapshot({k: tuple(sorted(v, key=lambda o: o.as_of)) for k, v in series.items()})


U = Universe.hypothetical([3.0, 2.0], [5e9, 2e9], ["NDX", "TSLA"], [0.25, 0.6])


def one(
    key: str, m: MarketSnapshot, ctx: dict[str, object] | None = None, u: Universe = U
) -> Indicator:
    return INDICATORS[key](RULES.specs[key], m, u, ctx or {})


def test_sideways_decay_matches_design() -> None:
    # DESIGN.md section 1: at sigma = 45% a flat half-year costs a 3x fund about a quarter:
    # 1 - exp(-(9-3)/2 * 0.45^2 * 0.5) = 1 - exp(-0.30375) = 0.2620.
    assert sideways_decay(0.45) == pytest.approx(1 - math.exp(-0.30375), rel=1e-12)
    assert 0.24 < sideways_decay(0.45) < 0.27


@pytest.mark.parametrize(
    ("value", "level"),
    # monitor_rules.yaml ndx_move thresholds 2/3/4/5%: the research note's 5% trigger.
    [
        (-0.0199, 0),
        (-0.02, 1),
        (0.03, 2),
        (-0.0399, 2),
        (-0.04, 3),
        (-0.0499, 3),
        (-0.05, 4),
        (-0.12, 4),
    ],
)
def test_index_move_threshold_boundaries(value: float, level: int) -> None:
    ind = one("ndx_move", snap(obs("ndx_move_1d", value)))
    assert ind.level == level


def test_user_move_overrides_snapshot() -> None:
    ind = one("sox_move", snap(obs("sox_move_1d", 0.001)), {"moves": {"SOX": -0.051}})
    assert ind.level == 4
    assert ind.source == "user input"


def test_growth_per_60_days_by_hand() -> None:
    # ₩27.62tn (2026-01-05) → ₩33.7tn (2026-03-05), 59 days: (33.7/27.62)^(60/59) - 1.
    a = obs("korea_margin_loans_krw", 27.62e12, dt.date(2026, 1, 5), "krw")
    b = obs("korea_margin_loans_krw", 33.7e12, dt.date(2026, 3, 5), "krw")
    expected = (33.7 / 27.62) ** (60 / 59) - 1
    assert growth_per_days(a, b) - 1 == pytest.approx(expected, rel=1e-12)
    ind = one("margin_loan_growth", snap(a, b))
    assert ind.value == pytest.approx(expected)
    assert ind.level == 3  # 0.2243 reaches 0.20 (HIGH) but not 0.30
    # won and the growth by gaemi.units (issue 19; it was "₩33.7tn"): 33.7e12 / 1e12 =
    # 33.70조, 27.62e12 / 1e12 = 27.62조; the growth a move in whole percent (+22.43%)
    growth = units.format_frac(expected, decimals=0)
    assert growth == "+22%"  # (33.7 / 27.62)^(60/59) - 1 = 0.2243 -> +22%
    assert ind.detail == f"₩33.70조 on 2026-03-05 (₩27.62조 on 2026-01-05): {growth} per 60 days"


def test_korean_fund_share_picks_largest_big_fund() -> None:
    # HYP2 has 60% but only $2B; both above $1B → the largest share is 60% → level 4 (≥ 50%).
    ind = one("korean_fund_share", snap())
    assert ind.value == pytest.approx(0.6)
    assert ind.level == 4
    small = Universe.hypothetical([3.0, 2.0], [5e9, 0.5e9], ["NDX", "TSLA"], [0.25, 0.6])
    ind = one("korean_fund_share", snap(), u=small)
    assert ind.value == pytest.approx(0.25)
    assert ind.level == 2


def test_korean_fund_share_needs_aum_known_that_day() -> None:
    # replay: the AUM (which decides "above $1B" and is shown) must be dated on or before
    # the day, else the indicator is n/a like close pressure (no look-ahead)
    u = Universe.hypothetical([3.0, 2.0], [5e9, 2e9], ["NDX", "TSLA"], [0.25, 0.6])
    u = replace(u, aum_as_of=np.array(["2026-06-01", "2026-06-01"]))
    ind = one("korean_fund_share", snap(), {"day": dt.date(2025, 4, 4)}, u=u)
    assert ind.level is None
    assert math.isnan(ind.value)
    assert "not known that day" in ind.detail
    assert one("korean_fund_share", snap(), {"day": dt.date(2026, 6, 1)}, u=u).level == 4
    # a fund whose own AUM is dated after the day is left out of the "above $1B" pick
    u = replace(u, aum_as_of=np.array(["2025-01-02", "2026-06-01"]))
    ind = one("korean_fund_share", snap(), {"day": dt.date(2025, 4, 4)}, u=u)
    assert ind.value == pytest.approx(0.25)


def test_sideways_regime_only_when_flat() -> None:
    flat = snap(obs("sox_vol_60d", 0.45, unit="frac_annual"), obs("sox_return_60d", 0.05))
    trend = snap(obs("sox_vol_60d", 0.45, unit="frac_annual"), obs("sox_return_60d", 0.25))
    assert one("sideways_decay", flat).value == pytest.approx(sideways_decay(0.45))
    assert one("sideways_decay", flat).level == 2  # 26.2% reaches 0.10 and 0.20, not 0.30
    assert one("sideways_decay", trend).value == 0.0


def test_bok_hike_scores_only_hikes() -> None:
    hold = snap(
        obs("bok_base_rate", 0.025, dt.date(2025, 5, 29), "rate_annual"),
        obs("bok_base_rate", 0.025, D, "rate_annual"),
    )
    hike = snap(
        obs("bok_base_rate", 0.025, dt.date(2025, 5, 29), "rate_annual"),
        obs("bok_base_rate", 0.0275, D, "rate_annual"),
    )
    cut = snap(
        obs("bok_base_rate", 0.025, dt.date(2025, 5, 29), "rate_annual"),
        obs("bok_base_rate", 0.0225, D, "rate_annual"),
    )
    assert one("bok_hike", hold).level == 0
    assert one("bok_hike", hike).level == 2  # +25 bp reaches 0.0025
    assert one("bok_hike", cut).level == 0
    # the rate as quoted (a rate a year, two decimals), the step in whole basis points:
    # 0.0275 - 0.025 = 0.0025 = 0.25 pp = +25 bp, by gaemi.units
    step = units.format_change(0.25, "pp", decimals=0)
    assert step == "+25 bp"
    rate = units.format_percent(0.0275, decimals=2)
    assert one("bok_hike", hike).detail == f"hike at {rate} on {D} ({step})"
    assert one("bok_hike", hold).detail.endswith("(0 bp)")  # no sign on a zero step
    assert one("bok_hike", cut).detail.endswith(f"({units.format_change(-0.25, 'pp', decimals=0)})")


def test_details_write_moves_by_the_units_rule() -> None:
    # a move that rounds to zero has no sign (format_frac: 0.00%, never +0.00%), as in
    # every other face; a move keeps its sign and two decimals
    flat = one("ndx_move", snap(obs("ndx_move_1d", 0.0)))
    assert flat.detail == f"NDX {units.format_frac(0.0)} on {D}"
    assert "+0.00%" not in flat.detail
    fall = one("sox_move", snap(), {"moves": {"SOX": -0.031}})
    assert fall.detail == f"SOX {units.format_frac(-0.031)} today (user input)"
    premium = one("kimchi_premium", snap(obs("kimchi_premium", 0.0312)))
    assert premium.detail == f"{units.format_frac(0.0312)} on {D}"
    vix = one("vix_jump", snap(obs("vix_change_1d", 0.25)))
    assert vix.detail == f"VIX {units.format_frac(0.25, decimals=0)} on {D}"


def test_missing_data_is_not_guessed() -> None:
    ind = one("vix_level", snap())
    assert ind.level is None
    assert ind.state == "n/a"
    assert math.isnan(ind.value)


def _ind(key: str, level: int | None) -> Indicator:
    return Indicator(key, key, 0.0, "", level, key, (1, 2, 3, 4), "", D, "test")


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ({"ndx_move": 4}, "CRITICAL"),  # a trigger at its critical line
        ({"usdkrw_level": 4, "vix_level": 4, "bok_hike": 4}, "CRITICAL"),  # three criticals
        ({"usdkrw_level": 4}, "HIGH"),  # one non-trigger critical
        ({"a": 3, "b": 3, "c": 3, "d": 3}, "HIGH"),
        ({"a": 3, "b": 3, "c": 3}, "ELEVATED"),
        ({"a": 2, "b": 2, "c": 2}, "ELEVATED"),
        ({"a": 2, "b": 2}, "GUARDED"),
        ({"a": 1, "b": 1, "c": 1}, "GUARDED"),
        ({"a": 1, "b": 1}, "LOW"),
        ({"a": None, "ndx_move": None}, "LOW"),  # n/a never raises the status
    ],
)
def test_composite_rules_table(levels: dict[str, int | None], expected: str) -> None:
    st = composite_status([_ind(k, v) for k, v in levels.items()], RULES)
    assert st.status == expected
    assert st.reason.startswith(expected + ":")


def test_default_snapshot_status_and_reason() -> None:
    inds = compute_indicators(load_default_market(), load_default_universe(), RULES)
    st = composite_status(inds, RULES)
    # SOXX 60-day vol from shared/data is ~67% with a flat 60-day return (build script), so
    # the sideways-decay indicator is critical and the status is at least HIGH.
    side = next(i for i in inds if i.id == "sideways_decay")
    assert side.level == 4
    assert st.level >= 3
    assert "sideways" in st.reason
    assert all(i.source for i in inds if i.level is not None)  # every number has a source


def test_rules_validation() -> None:
    with pytest.raises(GaemiInputError, match="must be ascending"):
        rules_from_dict(
            {
                "indicators": {"x": {"thresholds": [3, 2, 1, 0]}},
                "status_rules": [{"status": "LOW", "level": 0, "count": 0}],
            }
        )
    with pytest.raises(GaemiInputError, match="status = 'PANIC'"):
        rules_from_dict(
            {
                "indicators": {"x": {"thresholds": [0, 1, 2, 3]}},
                "status_rules": [{"status": "PANIC", "level": 0, "count": 0}],
            }
        )
    with pytest.raises(GaemiInputError, match="unknown indicator 'y'"):
        rules_from_dict(
            {
                "indicators": {"x": {"thresholds": [0, 1, 2, 3]}},
                "status_rules": [{"status": "LOW", "level": 0, "count": 0, "among": ["y"]}],
            }
        )
    assert np.isfinite(RULES.stale_after_days)


def test_close_pressure_by_hand() -> None:
    from gaemi.data.stress import load_default_stress

    u = load_default_universe()
    ind = INDICATORS["close_pressure"](
        RULES.specs["close_pressure"], snap(), u, {"moves": {"NDX": -0.04}}
    )
    # K_NDX from universe.csv (TQQQ 3x, QLD 2x, SQQQ −3x, PSQ −1x, QID −2x, XQQI 1.5x);
    # capacity = ADV × closing share from stress_default.yaml (9.44% of notional: NYSE Q2
    # 2024, FACTS.md b).
    k = (
        6 * 39.349e9
        + 2 * 14.3761e9
        + 12 * 2.2748e9
        + 2 * 0.639995e9
        + 6 * 0.244839e9
        + 0.75 * 0.182533e9
    )
    liq = load_default_stress().liquidity("NDX")
    expected = k * 0.04 / (liq.adv_usd * liq.closing_share)
    assert ind.value == pytest.approx(expected, rel=1e-9)
    assert ind.level == RULES.specs["close_pressure"].level(expected)


def test_critical_proximity_without_a_jump_is_low() -> None:
    u = load_default_universe()
    ind = INDICATORS["critical_proximity"](
        RULES.specs["critical_proximity"], snap(), u, {"moves": {"NDX": -0.02}}
    )
    assert ind.level is not None
    assert ind.value >= 0.0


# ------------------------------------------------ the depository's Korean figures (17.4)
def _holdings() -> object:
    import pandas as pd

    # three lists: 01-05 (A, B), 02-02 (A only), 03-09 (A, B, C)
    return pd.DataFrame(
        {
            "as_of": pd.to_datetime(
                ["2026-01-05", "2026-01-05", "2026-02-02", "2026-03-09", "2026-03-09", "2026-03-09"]
            ),
            "ticker": ["A", "B", "A", "A", "B", "C"],
            "holdings_usd": [1e9, 2e9, 1.5e9, 2e9, 2.5e9, 9e9],
            "source": "test",
        }
    )


def test_korean_growth_from_the_depository_same_funds() -> None:
    # later list 03-09; the last list >= 60 days before it: 01-05 (63 days). Same funds on
    # both dates: A and B (C is not listed on 01-05: unknown, not zero) → 3e9 → 4.5e9;
    # growth per 60 days = 1.5^(60/63) (compound, as growth_per_days)
    ind = one("korean_leveraged_growth", snap(), {"korean_holdings": _holdings()})
    assert ind.value == pytest.approx(1.5 ** (60 / 63))
    assert ind.as_of == dt.date(2026, 3, 9)
    assert ind.source.startswith("KSD depository")
    assert "A, B:" in ind.detail
    # 1.47 reaches 1.20 and 1.46 (ELEVATED), not 2.46: the thresholds of monitor_rules.yaml
    # (fitted to the depository, tests/monitor/test_growth_reference.py)
    spec = RULES.specs["korean_leveraged_growth"]
    assert spec.thresholds[1] <= ind.value < spec.thresholds[2]
    assert ind.level == 2


def test_korean_growth_depository_needs_two_dates() -> None:
    h = _holdings()
    one_day = h[h["as_of"] == h["as_of"].max()]  # type: ignore[index]
    ind = one("korean_leveraged_growth", snap(), {"korean_holdings": one_day})
    assert ind.level is None
    assert "fewer than two" in ind.detail


def test_korean_fund_share_from_the_depository() -> None:
    import pandas as pd

    ks = pd.DataFrame(
        {
            "ticker": ["BIG", "HUGE", "SMALL"],
            "korean_share": [0.25, np.nan, 0.6],
            "korean_held_usd": [1.25e9, np.nan, 0.3e9],
            "korean_as_of": ["2026-05-11", "", "2026-05-13"],
            "basis": ["estimated", "", "observed"],
            "source_korean": ["ksd file", "", "ksd file"],
            "aum_usd": [5e9, 9e9, 0.5e9],
            "aum_as_of": ["2026-05-13"] * 3,
            "aum_source": ["reported"] * 3,
        }
    )
    # SMALL is below $1B, HUGE's share unknown → BIG's 25% (ELEVATED), dated by its custody
    ind = one("korean_fund_share", snap(), {"korean_shares": ks})
    assert ind.value == pytest.approx(0.25)
    assert ind.level == 2
    assert ind.as_of == dt.date(2026, 5, 11)
    assert "KSD depository" in ind.source
    # without the depository the press figures are used and the source says so
    assert one("korean_fund_share", snap()).source.startswith("press figure")
    none = one("korean_fund_share", snap(), {"korean_shares": ks.iloc[1:2]})
    assert none.level is None


def test_status_uses_the_depository_when_the_state_has_it(shared_data: object) -> None:
    """On 2026-05-13 from ../shared/data: the largest depository share of a fund above $1B
    (TSLL: custody of that day over its AUM carried from the 2026-05-01 snapshot) and the
    custody growth of the same funds 2026-01-12 → 2026-05-12 (the state is the start of the
    day: the list dated 05-13 is not known yet), not the press figures."""
    from gaemi.app.state import load_state
    from gaemi.app.status import status

    st = load_state(data_dir=shared_data, as_of="2026-05-13")  # type: ignore[arg-type]
    by = {i.id: i for i in status(st).indicators}
    ks = st.korean_shares
    assert ks is not None
    big = ks[(ks["aum_usd"] >= 1e9) & ks["korean_share"].notna()]
    top = big.loc[big["korean_share"].idxmax()]
    share = by["korean_fund_share"]
    assert share.value == pytest.approx(float(top["korean_share"]))
    assert share.source.startswith("KSD depository")
    assert share.as_of <= dt.date(2026, 5, 13)  # type: ignore[operator]
    growth = by["korean_leveraged_growth"]
    assert growth.source.startswith("KSD depository")
    assert growth.as_of == dt.date(2026, 5, 12)  # the previous close's custody list
    # the embedded default keeps the press figures and says so
    press = {i.id: i for i in status(load_state()).indicators}
    assert press["korean_leveraged_growth"].source.startswith("press figures")
