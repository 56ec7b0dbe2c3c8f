"""Issue 16 on the real files of ../shared/data: AUM with its source, creations, NAV vs NAV.

Reference data: ``us-letf-nav-proshares/`` (the issuer's own daily NAV, shares and net
assets for TQQQ SQQQ QLD QID UPRO SPXU SSO SDS), ``index-levels/`` (XNDX, SPXTR, ^NDX),
``us-adjclose-1993-2026/IDX_IRX.csv`` (13-week T-bill). Figures are written to
test-artifacts/fund_history.json and quoted in docs/history.md and docs/decay.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gaemi.data import fund_history as fh


@pytest.fixture(scope="module")
def report(shared_data: Path) -> dict[str, Any]:
    out: dict[str, Any] = {
        "aum_check": fh.aum_replay_check(shared_data),
        "tqqq": fh.tqqq_must_show(shared_data),
    }
    nav = fh.nav_tracking_table(shared_data)
    out["nav_table"] = nav.to_dict(orient="records")
    cr = fh.creations_table(shared_data, n_boot=199)
    out["creations"] = cr.to_dict(orient="records")
    sd = fh.stress_day_creations(shared_data)
    out["stress_days"] = sd.to_dict(orient="records")
    art = Path(__file__).resolve().parents[2] / "test-artifacts"
    art.mkdir(exist_ok=True)
    (art / "fund_history.json").write_text(json.dumps(out, indent=1, default=str))
    return out


def test_k_from_month_start_snapshots_matches_reported(report: dict[str, Any]) -> None:
    # Issue 16 must-show: with the daily AUM withheld and only month-start snapshots,
    # K = Σ L(L−1)·A_{t−1} of the four Nasdaq-100 funds within median 2 % / p95 10 % of
    # the reported AUM's K over 2015–2026, at least as well as the plain carry of the
    # month-start shares along NAV (issue: 1.5 % / 7.9 %; measured here the same).
    c = report["aum_check"]
    assert c["interpolated"]["n_days"] > 2900  # 2015-01-02..2026-10-01
    assert c["interpolated"]["median_abs_err"] < 0.02
    assert c["interpolated"]["p95_abs_err"] < 0.10
    assert c["plain_carry"]["median_abs_err"] == pytest.approx(0.015, abs=0.002)
    assert c["plain_carry"]["p95_abs_err"] == pytest.approx(0.079, abs=0.005)
    assert c["interpolated"]["median_abs_err"] <= c["plain_carry"]["median_abs_err"]
    assert c["interpolated"]["p95_abs_err"] <= c["plain_carry"]["p95_abs_err"]
    # with the daily AUM given the replay's A is the reported one: exact
    assert c["reported"]["max_abs_err"] < 1e-12


def test_tqqq_nav_engine_out_of_sample(report: dict[str, Any]) -> None:
    # TQQQ 2015-01-05 → 2024-12-31 driven by XNDX, spread fitted on 2011–2014 only,
    # against the reported NAV with its distributions added back (the NAV file is per
    # share: it drops by each payout; TQQQ paid 1.7 % of NAV in 2023, 1.4 % in 2024).
    # The 2 % goal is NOT met with a 2011–2014 fit: measured +6.6 % (+10.6 %
    # against the per-share NAV alone); the walk-forward refit (each year from the four
    # before it) is +1.6 %. Bounds: the measured values ± a margin.
    t = report["tqqq"]
    assert t["compared_with"] == "reported NAV + distributions"
    assert t["reported_nav_growth"] == pytest.approx(20.59, rel=0.01)  # the NAV file
    # 20.59 × Π(1 + D/NAV) over 2015–2024 (the payouts of the close files): 21.40
    assert t["nav_total_return_growth"] == pytest.approx(21.40, rel=0.01)
    assert 0.0 < t["spread_fitted_2011_2014"] < 0.01
    assert 0.03 < t["err_fitted_2011_2014"] < 0.10
    assert t["err_fitted_2011_2014_price_nav"] > t["err_fitted_2011_2014"] + 0.03
    assert abs(t["walk_forward_err"]) < 0.02  # the issue-16 goal (2 %), met only walk-forward
    assert abs(t["walk_forward_err"]) < abs(t["walk_forward_err_price_nav"])
    # the rebalancing-cost alternative (one parameter, 2011–2014): +4.0 %, still > 2 %
    assert 0.0 < t["turnover_cost_fitted_2011_2014"] < 0.003
    assert abs(t["err_turnover_2011_2014"]) < abs(t["err_fitted_2011_2014"])
    # the price index (no dividends) is the wrong driver: +14 % with a negative spread
    assert t["err_price_index"] > t["err_fitted_2011_2014"]
    assert t["median_abs_daily_err"] < 2e-4  # daily tracking is ~0.7 bp
    # Most of the carry that grew with the short rate was the payouts: against the
    # per-share NAV 2023–2024 cost 2.4 points a year more than 2011–2014; with the
    # payouts added back, under one point.
    early = ("2011", "2012", "2013", "2014")
    for key, lo, hi in (
        ("implied_cost_by_year_price_nav", 0.015, 0.04),
        ("implied_cost_by_year", 0.0, 0.015),
    ):
        cost = t[key]
        step = np.mean([cost[y] for y in ("2023", "2024")]) - np.mean([cost[y] for y in early])
        assert lo < step < hi, key
    paid = t["distributions_by_year"]
    assert paid["2023"] == pytest.approx(0.0169, abs=0.001)  # 4 payouts, 0.32–0.58 % each
    assert paid["2012"] == 0.0


def test_distributions_from_close_files(shared_data: Path) -> None:
    # The quarterly estimate (ln adjusted close − ln NAV, quarter end to quarter end)
    # used where no exact file covers the days, checked against the exact payouts
    # (korea-equities raw close / us-adjclose ratio, us-ohlcv Adj Close/Close,
    # us-letf-ohlcv-2024-2026 Dividends): per year within 0.2 points, measured 0.15.
    frames = fh.load_issuer_funds(shared_data, ["TQQQ", "UPRO"])
    for tk, nav in ((t, frames[t]["nav_usd"]) for t in ("TQQQ", "UPRO")):
        ex = fh.fund_distributions(shared_data, tk, nav).yield_frac
        qu = fh.fund_distributions(shared_data, tk, nav, use_exact=False).yield_frac
        ey = np.log1p(ex).groupby(ex.index.year).sum()
        qy = np.log1p(qu).groupby(qu.index.year).sum()
        d = (qy.reindex(range(2011, 2026), fill_value=0.0)
             - ey.reindex(range(2011, 2026), fill_value=0.0))  # fmt: skip
        assert d.abs().max() < 0.002, tk
        assert abs(d.sum()) < 0.002, tk
    # the Dividends column (2024-03-20: $0.1075 on the 03-19 close $29.24) and the raw/adjusted
    # ratio of the other files agree on the same ex-date
    tq = fh.fund_distributions(shared_data, "TQQQ", frames["TQQQ"]["nav_usd"])
    assert tq.yield_frac.loc["2024-03-20"] == pytest.approx(0.1075 / 29.24, rel=0.03)
    assert tq.known_to is not None
    # QID and SDS: no close file at all, so nothing is known and the NAV stays per share
    qid = fh.fund_distributions(shared_data, "QID")
    assert qid.known_to is None
    assert qid.yield_frac.empty


def test_nav_table_covers_every_fund_with_data(report: dict[str, Any]) -> None:
    df = pd.DataFrame(report["nav_table"])
    need = {"TQQQ", "SQQQ", "QLD", "QID", "UPRO", "SPXU", "SSO", "SDS", "TSLL", "NVDL"}
    assert need <= set(df["ticker"])
    lev = dict(zip(df["ticker"], df["leverage"], strict=True))
    assert lev["TSLL"] == "1.5→2"
    assert lev["NVDL"] == "1.5→2"
    issuer = df[df["compared_with"].str.startswith("reported NAV")]
    assert len(issuer) == 8
    # daily tracking against reported NAV: median |error| under 2 bp for every fund
    assert (issuer["median_abs_daily_err"] < 2e-4).all()
    by = issuer.set_index("ticker")
    # with the payouts added back the inverse funds are no longer ~25 % too high
    # (measured SQQQ −5.6 %, SPXU −1.0 %; per-share NAV +23.0 %, +25.8 %); QID and SDS
    # have no payout data and stay where they were (+21 %, +24 %)
    for tk in ("SQQQ", "SPXU"):
        assert abs(by.loc[tk, "full_err"]) < 0.08
        assert by.loc[tk, "full_err_price_nav"] > 0.15
    assert (by.loc[["QID", "SDS"], "full_err"] > 0.15).all()
    # 2x long funds are the best tracked out of sample (measured QLD +4.4 %, SSO +3.4 %)
    assert (by.loc[["QLD", "SSO"], "full_err"].abs() < 0.07).all()


def test_creations_lean_against_the_move(report: dict[str, Any]) -> None:
    # Dip-buying in the 3x funds: a −1 % index day brings ≈ +0.38 % of TQQQ's assets in the
    # same day (95 % CI excludes 0); inverse 3x funds are redeemed after down days.
    df = pd.DataFrame(report["creations"]).set_index(["ticker", "term"])
    tq = df.loc[("TQQQ", "move_lag0")]
    assert tq["ci_nw_high"] < 0
    assert tq["n_obs"] > 3000
    assert df.loc[("TQQQ", "cumulative"), "ci_nw_high"] < 0
    assert df.loc[("UPRO", "cumulative"), "ci_nw_high"] < 0
    assert df.loc[("SQQQ", "move_lag0"), "ci_nw_low"] > 0
    assert df.loc[("SPXU", "cumulative"), "ci_nw_low"] > 0


def test_stress_day_creations_beside_rebalancing(report: dict[str, Any]) -> None:
    df = pd.DataFrame(report["stress_days"])
    days = set(df["date"])
    assert days == set(fh.STRESS_DAYS)
    ndx = df[df["underlying"] == "NDX"].set_index("date")
    # rebalancing sign follows the index move (reported A, the identity)
    assert (np.sign(ndx["rebalance_flow_usd"]) == np.sign(ndx["index_move_frac"])).all()
    # 2025-04-03/04: money flowed in on the way down (creations > 0), offsetting part of
    # the selling; over two days about three quarters or more (measured 0.77 and 0.92)
    for d in ("2025-04-03", "2025-04-04"):
        assert ndx.loc[d, "net_creations_usd"] > 0
        assert ndx.loc[d, "offset_two_days_frac"] > 0.5


def test_leverage_history_is_replayed(shared_data: Path) -> None:
    # FACTS.md §(j): TSLL first 2x day 2024-04-02, NVDL 2024-01-22 (after the 01-19 close);
    # the NAV table's model resets on each day's leverage (1.5 before, 2 from then on).
    series = {n.ticker: n for n in fh.nav_inputs(shared_data)}
    for tk, last15, first2 in (
        ("TSLL", "2024-04-01", "2024-04-02"),
        ("NVDL", "2024-01-19", "2024-01-22"),
    ):
        lev = pd.Series(series[tk].leverage, index=series[tk].fund.index)
        assert lev.loc[last15] == 1.5
        assert lev.loc[first2] == 2.0
        assert set(lev.unique()) == {1.5, 2.0}
        assert (lev.loc[:last15] == 1.5).all()


def test_financing_spread_rose_for_every_long_fund(shared_data: Path) -> None:
    # Why no 2011–2014 fit reaches TQQQ's 2 % goal: per unit of financed notional (L−1),
    # the carry beyond rate and fee rose by about the same amount in all four long
    # ProShares funds (2x and 3x, Nasdaq-100 and S&P 500) from 2011–2014 to 2022–2024
    # (measured +0.32 to +0.47 points a year, from 0.46–0.53 %), although UPRO stayed a
    # fifth of TQQQ's size: a market-wide change, neither the fund's size nor the rate.
    df = fh.financing_cost_by_year(shared_data)
    assert not set(df["ticker"]) & {"QID", "SDS"}  # no payout data: left out

    def mean(tk: str, a: int, b: int, col: str = "per_notional_frac") -> float:
        x = df[(df["ticker"] == tk) & (df["year"] >= a) & (df["year"] <= b)]
        return float(x[col].mean())

    late = {}
    for tk in ("TQQQ", "UPRO", "QLD", "SSO"):
        early = mean(tk, 2011, 2014)
        late[tk] = mean(tk, 2022, 2024)
        assert 0.003 < early < 0.007, tk
        assert 0.002 < late[tk] - early < 0.006, tk
    assert max(late.values()) - min(late.values()) < 0.0025
    assert mean("UPRO", 2022, 2024, "mean_aum_usd") < mean("TQQQ", 2022, 2024, "mean_aum_usd") / 4


def test_size_dependent_spread_does_not_reach_the_goal(shared_data: Path) -> None:
    # The alternative "the spread grows with the fund's size", fitted on 2011–2014 (a + b·ln
    # AUM from the four training years), overshoots 2015–2024: measured TQQQ −6.1 %,
    # UPRO −6.2 % (docs/decay.md 6b). Bounds: the measured values ± a margin.
    out = fh.aum_spread_check(shared_data)
    for tk in ("TQQQ", "UPRO"):
        assert out[tk]["slope_per_ln_aum"] > 0, tk
        assert -0.10 < out[tk]["err"] < -0.03, tk
