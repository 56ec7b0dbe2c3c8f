"""Out-of-sample coverage of the contagion bands (issue 18, item 2).

Fit window: 2004-2019 (scripts/calibrate_cascade.py -> cascade_calibration.yaml and the
standardised residual paths of the 145 fit-window days with QQQ <= -2.5 % or SOXX <=
-3.75 %, cascade_residuals.csv; the width multipliers by leave-one-episode-out
cross-validation inside 2004-2019). Test window: every US trading day since 2020-01-01
with QQQ <= -4 % or SOXX <= -6 % close to close (30 days), read from ../shared/data
(files: gaemi.data.contagion_history.FILES). Each day the default cascade (close
feedback off: the realised close already contains it) is shocked with that day's
realised NDX (QQQ) and SOX (SOXX) moves, baselines at the levels before the news, the
residuals at each node's realised volatility of the 20 sessions before the day, and the
90 % Monte Carlo band (1000 draws, seed 0) of VIX, USD/KRW, KOSPI, Samsung, SK hynix and
BTC 1, 5 and 20 sessions later is compared with what happened
(gaemi.data.contagion_history.coverage_table). Nothing here was tuned on the test window;
the issue's target is 80-95 % coverage. Where it is not reached the measured value is
asserted (to one day) and the comment says why. The table is written to
test-artifacts/contagion_coverage*.csv and docs/cascade.md quotes it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gaemi.data.cascade import DEFAULTS, load_calibration, load_cascade, load_residuals, read_yaml
from gaemi.data.contagion_history import (
    Coverage,
    contagion_coverage,
    coverage_summary,
    coverage_table,
    episode_coverage,
    korean_session_check,
    load_series,
    stress_days,
)

pytestmark = pytest.mark.slow

#: Target of issue 18 for the 90 % bands.
LO, HI = 0.80, 0.95
#: Coverage measured on 2026-12-06 (1000 draws, seed 0) for the cells outside the
#: target, each with why. Asserted to within one test day. With 27-30 days a perfectly
#: calibrated 90 % band lands outside 80-95 % in a cell about a quarter of the time
#: (binomial); "by one day" marks those one outcome away from the target.
MISSES: dict[tuple[str, int], tuple[float, str]] = {
    ("VIX", 20): (0.966, "wide by one day (28 of 29)"),
    ("USDKRW", 20): (0.963, "wide by one day (26 of 27)"),
    ("SAMSUNG", 1): (1.0, "wide: 27 of 27"),
    ("SAMSUNG", 5): (0.778, "narrow (21 of 27)"),
    ("HYNIX", 20): (0.963, "wide by one day (26 of 27)"),
    # BTC hardly moved with US tech in 2014-2019 (beta 0.10, corr 0.02 in the fit
    # window) and moved with it strongly since 2020 - a break the fit window cannot see
    ("BTC", 5): (0.741, "narrow: BTC-NDX link appeared after 2019"),
    ("BTC", 20): (1.0, "wide: BTC's own 2014-2019 residuals"),
}


@pytest.fixture(scope="module")
def cov(shared_data: Path) -> Coverage:
    return contagion_coverage(shared_data, draws=1000, seed=0)


def test_the_test_days_are_after_the_fit_window(cov: Coverage) -> None:
    assert len(cov.days) == 30  # QQQ <= -4 % or SOXX <= -6 % since 2020 (issue 18)
    assert cov.days[0] == "2020-02-27"
    assert cov.days[-1] == "2026-07-01"
    assert cov.fit_window[1] <= "2019-12-31" < cov.days[0]
    for key, entry in load_calibration(DEFAULTS / "cascade_calibration.yaml").items():
        assert entry["window"][1] <= "2019-12-31", key
    m = load_cascade()
    assert "145 days 2004-03-08" in str(m.node("KOSPI").residual_source)
    events = load_residuals(DEFAULTS / "cascade_residuals.csv")["_events"]
    assert len(events) == 145
    assert max(events) <= "2019-12-31"  # every residual path starts in the fit window
    # 40 sessions after the last one still end before 2020
    assert max(events) == "2019-08-23"


def test_band_coverage_at_1_5_20_sessions(cov: Coverage, artifacts_dir: Path) -> None:
    cov.table.to_csv(artifacts_dir / "contagion_coverage.csv", index=False)
    s = cov.summary
    s.to_csv(artifacts_dir / "contagion_coverage_summary.csv")
    print(s.round(3).to_string())
    nodes = ("VIX", "USDKRW", "KOSPI", "SAMSUNG", "HYNIX", "BTC")
    reached = []
    for node in nodes:
        for h in (1, 5, 20):
            n = int(s.loc[(node, h), "n"])
            c = float(s.loc[(node, h), "coverage"])
            assert n >= 27, (node, h)  # days with data at that horizon (BTC file ends 2025)
            if (node, h) in MISSES:
                want, why = MISSES[(node, h)]
                assert c == pytest.approx(want, abs=1.01 / n), (node, h, why)
                assert not LO <= c <= HI, (node, h, "now inside the target: move it out of MISSES")
            else:
                assert LO <= c <= HI, (node, h, c)
                reached.append((node, h))
    # 11 of the 18 cells inside 80-95 % (7 with the unstandardised 2008-heavy paths);
    # the others are listed in MISSES with the reason
    assert len(reached) == 11
    assert {("KOSPI", 1), ("KOSPI", 5), ("KOSPI", 20), ("USDKRW", 1)} <= set(reached)
    # every cell is at least 74 %: before issue 18 the bands covered 0-26 % (next test)
    assert float(s["coverage"].min()) >= 0.74


def test_bands_from_parameters_alone_cover_far_less(shared_data: Path, cov: Coverage) -> None:
    # the pre-issue-18 method (parameter ranges only, no residuals) on the same days:
    # measured 0-26 %, never more than 26 % in any cell
    series = load_series(shared_data)
    days = stress_days(series, "2020-01-01")
    t = coverage_table(load_cascade(), series, days, draws=1000, seed=0, residuals=False)
    s = coverage_summary(t)
    assert float(s["coverage"].max()) <= 0.26
    assert float(s["coverage"].mean()) < 0.15
    assert (cov.summary["coverage"] > s["coverage"] + 0.3).all()


def test_one_session_error_beats_no_change(cov: Coverage) -> None:
    s = cov.summary
    # issue 18: VIX, KOSPI and USD/KRW; measured ratios 0.43, 0.79, 0.98
    for node in ("VIX", "KOSPI", "USDKRW"):
        assert s.loc[(node, 1), "mae_ratio"] < 1.0, node
    assert s.loc[("VIX", 1), "mae_ratio"] < 0.5
    assert s.loc[("KOSPI", 1), "mae_ratio"] < 0.85
    # 20 sessions out the central path does not beat "no change" for VIX (1.18: the
    # bounce after a stress day reverts faster than the 2004-2019 AR(1)), nor KOSPI (1.11)
    assert s.loc[("VIX", 20), "mae_ratio"] > 1.0


def test_2026_03_04_korean_session(shared_data: Path) -> None:
    # 2026-03-04: KOSPI -12.06 % (kospi.csv; korea-2026/KOSPI_2026_transcribed.csv
    # agrees: 5791.91 -> 5093.54), Samsung -11.74 %, SK hynix -9.58 % (korea-equities),
    # after the US session of 2026-03-03 (QQQ -1.07 %, SOXX -4.91 %). Model day 0 is the
    # US session of 03-03, day 1 the Korean session of 03-04; residuals at the realised
    # vol of the 20 sessions before 03-03 (KOSPI 2.74 %/day)
    series = load_series(shared_data)
    m = load_cascade()

    def check(shocked: tuple[str, ...], node: str) -> tuple[float, float, float]:
        k = korean_session_check(series, m, node=node, shocked=shocked, seed=0)
        return k.actual, k.lo, k.hi

    kospi, lo, hi = check(("KOSPI",), "KOSPI")
    assert kospi == pytest.approx(-0.1206, abs=5e-5)
    assert lo == pytest.approx(kospi)  # the shocked node is its shock
    assert hi == pytest.approx(kospi)
    # KOSPI shocked: Samsung and SK hynix inside their bands through the conditional links
    a, lo, hi = check(("KOSPI",), "SAMSUNG")
    assert lo < a < hi  # measured -21.2 % .. -6.1 % around -11.74 %
    a, lo, hi = check(("KOSPI",), "HYNIX")
    assert lo < a < hi  # measured -26.2 % .. -9.1 % around -9.58 %
    # Samsung and SK hynix shocked: KOSPI's band reaches -12.0 % (-9.0 % before the
    # reverse-regression bound on kospi_on_samsung / kospi_on_hynix, 0.747 / 0.180) but
    # its 5 % quantile is -12.01 %, 0.05 pp short of the -12.06 % (2000 draws, seed 0;
    # -12.00 % with 20000 draws; seeds 1-4: -12.1, -11.9, -12.0, -12.2 %): on the edge,
    # NOT inside
    a, lo, hi = check(("SAMSUNG", "HYNIX"), "KOSPI")
    assert a == kospi
    assert lo == pytest.approx(a, abs=0.005)
    assert lo - a == pytest.approx(0.0005, abs=0.0004)  # outside by 0.05 pp
    assert -0.06 < hi < -0.03
    # the US session alone does not reach it (-7.8 % .. +4.1 %)
    a, lo, hi = check((), "KOSPI")
    assert a < lo < -0.07


def test_held_out_coverage_inside_the_fit_window(shared_data: Path) -> None:
    # the width multipliers were chosen by leave-one-episode-out coverage on the 145
    # library days (scripts/calibrate_cascade.py; recorded in cascade_calibration.yaml):
    # 88-95 % for every node and horizon at the chosen values
    doc = read_yaml(DEFAULTS / "cascade_calibration.yaml")["residual_scaling"]
    rec = doc["cross_validation"]["coverage_at_chosen"]
    assert len(rec) == 31  # 11 nodes x 3 horizons, less NDX and SOX at 1 (the shock)
    assert all(0.87 <= v <= 0.95 for v in rec.values()), rec
    # the 31 fit-window stress days (10 episodes), each scored with the residual paths
    # of the other episodes only (and none within 40 sessions): mean 0.90, was 0.6-0.7
    # with the unstandardised 2008-heavy paths (USD/KRW 48-52 %, KOSPI 61-74 %)
    series = load_series(shared_data)
    events = load_residuals(DEFAULTS / "cascade_residuals.csv")["_events"]
    t = episode_coverage(load_cascade(), series, draws=500, seed=0, events=events)
    assert t["episode"].nunique() == 10
    s = coverage_summary(t)
    assert int(s.loc[("KOSPI", 1), "n"]) == 31
    assert float(s["coverage"].mean()) == pytest.approx(0.90, abs=0.02)
    assert float(s.loc[("USDKRW", 1), "coverage"]) == pytest.approx(0.806, abs=0.033)
    assert float(s.loc[("KOSPI", 20), "coverage"]) == pytest.approx(0.935, abs=0.033)
    assert float(s.loc[("VIX", 20), "coverage"]) == pytest.approx(0.774, abs=0.033)
