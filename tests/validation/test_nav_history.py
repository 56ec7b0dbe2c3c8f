"""The NAV engine against real TQQQ and SOXL history (../shared/data/us-adjclose-1993-2026).

Underlying: QQQ (Nasdaq-100; its adjusted closes include dividends) and SOXX (semis; both
SOXX and SOXL track the ICE semiconductor index since mid/late 2021, FACTS.md). Rate:
^IRX, the 13-week T-bill discount yield, of the previous close.

Three models of the fund's day:

* ``recipe`` — the usual synthetic series: 3·r − [2·(^IRX + 0.40%) + ER]/252 per
  trading day. Issue 4 says it is about 5% off TQQQ's 2015–2024 growth.
* ``modelled`` — what the recipe leaves out: ^IRX converted from a discount yield to the
  money-market yield a swap pays (360·d/(360 − 91·d)), financing accrued act/360 over
  calendar days (weekends and holidays cost money), the fee accrued act/365.
* ``fitted`` — ``modelled`` with the spread fitted on 2011–2014 only, tested on 2015–2024.

Results are written to test-artifacts/nav_history.json and quoted in docs/decay.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from gaemi.app.validate import rolling_closed_form
from gaemi.core.nav import FundTerms, discount_to_money_market_yield, fund_returns

# Expense ratios from the default universe (src/gaemi/data/defaults/universe.csv, 2026-06-01
# snapshot of leveragedposition.com): TQQQ 0.82%, SOXL 0.75%, SQQQ 0.95%.
TQQQ_ER = 0.0082
SOXL_ER = 0.0075
SQQQ_ER = 0.0095  # same universe snapshot
RECIPE_SPREAD = 0.004  # issue 4: "financing at the rate plus a fixed 0.40% spread"


def load(shared: Path, fund: str, underlying: str) -> pd.DataFrame:
    d = shared / "us-adjclose-1993-2026"

    def rd(t: str) -> pd.Series:
        return pd.read_csv(d / f"{t}.csv", parse_dates=["Date"]).set_index("Date")["Close"]

    df = pd.concat({"f": rd(fund), "u": rd(underlying), "irx": rd("IDX_IRX")}, axis=1, sort=True)
    df["irx"] = df["irx"].ffill()
    return df.dropna(subset=["f", "u"])


def sim_ratio(
    df: pd.DataFrame, start: str, end: str, terms: FundTerms, mode: str, rate_scale: float = 1.0
) -> float:
    """Simulated fund growth over [start, end] divided by the real fund's growth."""
    x = df.loc[start:end]
    r = x["u"].pct_change().iloc[1:].to_numpy()
    disc = rate_scale * (x["irx"].shift(1).iloc[1:] / 100.0).to_numpy()
    if mode == "recipe":
        rf = fund_returns(r, terms, disc, 1.0 / 252)
    else:
        days = x.index.to_series().diff().dt.days.iloc[1:].to_numpy()
        rate = discount_to_money_market_yield(disc)
        rf = fund_returns(r, terms, rate, days / 360.0, days / 365.0)
    actual = float(x["f"].iloc[-1] / x["f"].iloc[0])
    return float(np.prod(1.0 + rf)) / actual


def daily_residuals(df: pd.DataFrame, start: str, end: str, terms: FundTerms) -> pd.Series:
    """ln(1 + real fund return) − ln(1 + modelled return), per day."""
    x = df.loc[start:end]
    r = x["u"].pct_change().iloc[1:]
    days = x.index.to_series().diff().dt.days.iloc[1:].to_numpy()
    rate = discount_to_money_market_yield((x["irx"].shift(1).iloc[1:] / 100.0).to_numpy())
    rf = fund_returns(r.to_numpy(), terms, rate, days / 360.0, days / 365.0)
    actual = x["f"].pct_change().iloc[1:].to_numpy()
    return pd.Series(np.log1p(actual) - np.log1p(rf), index=r.index)


def per_year(df: pd.DataFrame, first: int, last: int, terms: FundTerms, mode: str) -> dict:
    out = {}
    for y in range(first, last + 1):
        prev = df.index[df.index < f"{y}-01-01"]
        start = str(prev[-1].date()) if len(prev) else f"{y}-01-01"
        out[str(y)] = sim_ratio(df, start, f"{y}-12-31", terms, mode) - 1.0
    return out


@pytest.fixture(scope="module")
def report(shared_data: Path) -> dict:
    tq = load(shared_data, "TQQQ", "QQQ")
    so = load(shared_data, "SOXL", "SOXX")
    test_window = ("2015-01-05", "2024-12-31")
    fit_window = ("2011-01-03", "2014-12-31")
    out: dict = {"tqqq_actual_growth": float(tq.loc["2024-12-31", "f"] / tq.loc["2015-01-05", "f"])}
    recipe = FundTerms(3, TQQQ_ER, RECIPE_SPREAD, "TQQQ")
    out["recipe_err"] = sim_ratio(tq, *test_window, recipe, "recipe") - 1
    out["modelled_err"] = sim_ratio(tq, *test_window, recipe, "modelled") - 1
    spread = brentq(
        lambda s: sim_ratio(tq, *fit_window, FundTerms(3, TQQQ_ER, s), "modelled") - 1,
        -0.03,
        0.03,
    )
    fitted = FundTerms(3, TQQQ_ER, spread, "TQQQ")
    out["fitted_spread_2011_2014"] = spread
    out["fitted_err"] = sim_ratio(tq, *test_window, fitted, "modelled") - 1
    out["per_year_err_modelled"] = per_year(tq, 2015, 2024, recipe, "modelled")
    res = daily_residuals(tq, *test_window, recipe)
    crash = pd.to_datetime(["2020-03-16", "2020-03-17"])
    out["crash_days_residual"] = {str(d.date()): float(res[d]) for d in crash}
    out["modelled_err_excluding_2020_03_16_17"] = float(np.expm1(-res.drop(crash).sum()))
    out["mean_daily_residual_bp"] = {
        p: float(res.loc[a:b].drop(crash, errors="ignore").mean() * 1e4)
        for p, (a, b) in {
            "2015-2019": ("2015", "2019-12-31"),
            "2020-2024": ("2020", "2024-12-31"),
        }.items()
    }
    out["implied_cost_by_year"] = implied_cost_by_year(tq, 2011, 2024)
    cost = out["implied_cost_by_year"]
    out["implied_cost_mean"] = {
        f"{a}-{b}": float(np.mean([cost[str(y)] for y in range(a, b + 1)]))
        for a, b in ((2011, 2014), (2015, 2019), (2021, 2024))
    }
    out["covid_window_2020"] = covid_window(shared_data, tq, recipe)
    out["per_year_err_fitted"] = per_year(tq, 2015, 2024, fitted, "modelled")
    out["per_year_err_recipe"] = per_year(tq, 2015, 2024, recipe, "recipe")
    soxl = FundTerms(3, SOXL_ER, RECIPE_SPREAD, "SOXL")
    end_s = str(so.index[-1].date())
    out["soxl_window"] = f"2021-09-01..{end_s}"
    out["soxl_actual_growth"] = float(so["f"].iloc[-1] / so.loc["2021-09-01":, "f"].iloc[0])
    out["soxl_modelled_err"] = sim_ratio(so, "2021-09-01", end_s, soxl, "modelled") - 1
    out["soxl_recipe_err"] = sim_ratio(so, "2021-09-01", end_s, soxl, "recipe") - 1
    out["soxl_per_year_err_modelled"] = per_year(so, 2022, 2025, soxl, "modelled")
    out["rolling_6m_closed_form"] = rolling_closed_form(tq, recipe)
    # Inverse fund: SQQQ from QQQ. The model's carry is (1 - L)·rate = 4·rate (cash plus the
    # short leg's floating rate); "cash only" (rate scaled by 1/4) is DESIGN's literal wording.
    sq = load(shared_data, "SQQQ", "QQQ")
    sqqq = FundTerms(-3, SQQQ_ER, RECIPE_SPREAD, "SQQQ")
    out["sqqq_actual_growth"] = float(sq.loc["2024-12-31", "f"] / sq.loc["2015-01-05", "f"])
    out["sqqq_modelled_err"] = sim_ratio(sq, *test_window, sqqq, "modelled") - 1
    out["sqqq_cash_only_err"] = sim_ratio(sq, *test_window, sqqq, "modelled", 0.25) - 1
    out["sqqq_per_year_err_modelled"] = per_year(sq, 2015, 2024, sqqq, "modelled")
    (Path(__file__).resolve().parents[2] / "test-artifacts").mkdir(exist_ok=True)
    path = Path(__file__).resolve().parents[2] / "test-artifacts" / "nav_history.json"
    path.write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))
    return out


def implied_cost_by_year(df: pd.DataFrame, first: int, last: int) -> dict[str, float]:
    """The yearly cost beyond the rate and the fee that real TQQQ implies.

    −Σ ln(1 + real return) − ln(1 + modelled return) over the year, with the modelled NAV
    at spread 0 (money-market rate act/360, fee act/365): the fund's whole unexplained
    carry, per year. A constant spread s on (L − 1) = 2 times NAV would show as 2·s.
    """
    zero = FundTerms(3, TQQQ_ER, 0.0, "TQQQ")
    res = daily_residuals(df, "2010-12-31", f"{last}-12-31", zero)
    return {str(y): float(-res.loc[str(y)].sum()) for y in range(first, last + 1)}


def covid_window(shared: Path, tq: pd.DataFrame, terms: FundTerms) -> dict[str, float]:
    """2020-02-20 → 2020-04-30 driven by QQQ's market closes vs by the Nasdaq-100 index.

    The fund resets on its NAV, priced at the index's closing values; QQQ's close is an
    ETF's market price, which on the crash days moved less than the index (QQQ +8.5% vs
    NDX +10.1% on 2020-03-13, +7.6% vs +6.5% on 03-17). The index file
    (us-ohlcv-2000-2022/IDX_NDX.csv, price index, no dividends) ends in 2022-11, so it can
    test only this window, not 2015–2024.
    """
    ndx = pd.read_csv(shared / "us-ohlcv-2000-2022" / "IDX_NDX.csv", parse_dates=["Date"])
    x = tq.loc["2020-02-20":"2020-04-30"].join(ndx.set_index("Date")["Close"].rename("ndx"))
    actual = float(x["f"].iloc[-1] / x["f"].iloc[0])
    days = x.index.to_series().diff().dt.days.iloc[1:].to_numpy()
    rate = discount_to_money_market_yield((x["irx"].shift(1).iloc[1:] / 100.0).to_numpy())
    out = {}
    for key, col in (("qqq_err", "u"), ("ndx_err", "ndx")):
        r = x[col].pct_change().iloc[1:].to_numpy()
        rf = fund_returns(r, terms, rate, days / 360.0, days / 365.0)
        out[key] = float(np.prod(1.0 + rf)) / actual - 1.0
    return out


def test_tqqq_actual_growth_matches_issue(report: dict) -> None:
    # Issue 4: TQQQ's adjusted closes give about 21.4x from 2015-01-05 to 2024-12-31.
    assert report["tqqq_actual_growth"] == pytest.approx(21.4, rel=0.01)


def test_recipe_is_about_five_percent_off(report: dict) -> None:
    # Issue 4: "the usual synthetic-series recipe … is about 5% off on the same window".
    assert 0.03 < report["recipe_err"] < 0.07


def test_modelled_beats_the_recipe(report: dict) -> None:
    # Day counts and the money-market rate close part of the gap (measured: +4.3% vs +5.5%).
    # This does NOT reach the issue's 2% goal; see docs/decay.md.
    assert abs(report["modelled_err"]) < abs(report["recipe_err"])
    assert abs(report["modelled_err"]) < 0.05


def test_gap_is_one_crash_and_post_2020_costs(report: dict) -> None:
    # Where the 10-year gap comes from (measured): on 2020-03-16/17 (COVID crash) TQQQ's
    # real returns were +2.3% and -5.4% off 3x QQQ (FACTS.md (e): TQQQ -34.47% on 03-16);
    # without those two days the modelled NAV is within 1.2%. The rest is a mean daily
    # shortfall of ~0.11 bp (~0.3%/yr) in 2020-2024 against ~0 in 2015-2019 (swap spreads?).
    assert report["crash_days_residual"]["2020-03-17"] < -0.03
    assert abs(report["modelled_err_excluding_2020_03_16_17"]) < 0.02


def test_spread_fitted_on_2011_2014(report: dict) -> None:
    # Fitted in the zero-rate years the spread is small (~0.25%); out of sample it
    # underprices 2020–2024 financing (measured +7.7%): reported, not hidden.
    assert 0.0 < report["fitted_spread_2011_2014"] < 0.005
    assert abs(report["fitted_err"]) < 0.10


def test_per_year_tracking(report: dict) -> None:
    # Every calendar year 2015–2024 within 2.5% (measured worst: 2020 and 2022, ~+1.5%).
    assert max(abs(v) for v in report["per_year_err_modelled"].values()) < 0.025


def test_soxl_since_2021_09(report: dict) -> None:
    # SOXL from SOXX since both track the ICE index (FACTS.md). Stated tolerance: 10% over
    # the ~5-year window, 3.5% in any calendar year (measured +8.1% and at most +2.9%):
    # SOXX is an ETF with its own fee and capping, not the fund's index (SANITY.md:
    # SOXL/SOXX daily tracking is looser than TQQQ/QQQ).
    assert abs(report["soxl_modelled_err"]) < 0.10
    assert abs(report["soxl_modelled_err"]) < abs(report["soxl_recipe_err"])
    assert max(abs(v) for v in report["soxl_per_year_err_modelled"].values()) < 0.035


def test_rolling_closed_form(report: dict) -> None:
    # Avellaneda–Zhang with realised variance on real 6-month windows (measured: median
    # |error| 0.16%, 5–95% range −0.3%…+1.0%, worst 3.5%), by the function the
    # scorecard's closed_form_rolling row runs (gaemi.app.validate.rolling_closed_form),
    # on this file's own reading of the adjusted closes
    r = report["rolling_6m_closed_form"]
    assert r["windows"] > 150
    assert r["median_abs_err"] < 0.005
    assert r["max_abs_err"] < 0.05


def test_sqqq_inverse_carry(report: dict) -> None:
    # The inverse carry (1 - L)·rate (Avellaneda & Zhang 2010) against real SQQQ 2015-2024:
    # measured -1.3% over ten years; earning the rate on the cash alone would be far off.
    assert abs(report["sqqq_modelled_err"]) < 0.03
    assert abs(report["sqqq_cash_only_err"]) > 5 * abs(report["sqqq_modelled_err"])


def test_cost_regime_changed_after_2020(report: dict) -> None:
    # Why no spread fitted on 2011–2014 can reach 2% on 2015–2024 (issue 4, not met): the
    # carry real TQQQ implies beyond rate and fee (measured, %/yr) averages ~0.5 in
    # 2011–2014 (= 2 × the fitted 0.25% spread) and ~1.6 in 2021–2024 — including 2021, a
    # zero-rate year like 2012–2014. Nothing in 2011–2014 shows the change.
    m = report["implied_cost_mean"]
    assert m["2011-2014"] < 0.008
    assert m["2021-2024"] > m["2011-2014"] + 0.006
    assert report["implied_cost_by_year"]["2021"] > m["2011-2014"] + 0.005


def test_covid_gap_is_qqq_close_not_the_index(report: dict) -> None:
    # 2020-02-20 → 04-30: driven by QQQ's closes the NAV model is ~1.3% above real TQQQ,
    # driven by the Nasdaq-100 index's closes ~0.2% (measured): most of the crash-day gap
    # is QQQ's market close moving less than the index the fund resets on.
    c = report["covid_window_2020"]
    assert c["qqq_err"] > 0.01
    assert abs(c["ndx_err"]) < 0.5 * abs(c["qqq_err"])
