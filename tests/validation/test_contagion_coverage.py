"""Out-of-sample coverage of the contagion bands (issue 18, item 2).

Fit window: 2004-2019 (scripts/calibrate_cascade.py -> cascade_calibration.yaml and the
residual paths of the 31 fit-window stress days, cascade_residuals.csv). Test window:
every US trading day since 2020-01-01 with QQQ <= -4 % or SOXX <= -6 % close to close
(30 days), read from ../shared/data (files: gaemi.data.contagion_history.FILES). Each
day the default cascade (close feedback off: the realised close already contains it) is
shocked with that day's realised NDX (QQQ) and SOX (SOXX) moves, baselines at the levels
before the news, and the 90 % Monte Carlo band (1000 draws, seed 0) of VIX, USD/KRW,
KOSPI, Samsung, SK hynix and BTC 1, 5 and 20 sessions later is compared with what
happened (gaemi.data.contagion_history.coverage_table). Nothing here was tuned on the
test window; the issue's target is 80-95 % coverage. Where it is not reached the
measured value is asserted (to one day) and the comment says why. The table is written
to test-artifacts/contagion_coverage*.csv and docs/cascade.md quotes it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaemi.core.contagion import Shock, simulate
from gaemi.data.cascade import DEFAULTS, load_calibration, load_cascade
from gaemi.data.contagion_history import (
    Coverage,
    contagion_coverage,
    coverage_summary,
    coverage_table,
    episode_coverage,
    load_series,
    model_for_day,
    stress_days,
)

pytestmark = pytest.mark.slow

#: Target of issue 18 for the 90 % bands.
LO, HI = 0.80, 0.95
#: Coverage measured on 2026-12-06 (1000 draws, seed 0) for the cells outside the
#: target, each with why. Asserted to within one test day.
MISSES: dict[tuple[str, int], tuple[float, str]] = {
    # too wide: the residual paths come from the fit window's stress days, 14 of 31 of
    # them in Sept-Nov 2008; the day after a 2020-2026 stress day was calmer
    ("VIX", 1): (1.0, "wide: 2008 VIX days"),
    ("VIX", 5): (0.967, "wide by one day"),
    ("USDKRW", 20): (1.0, "wide: 2008 won crisis in the fit-window paths"),
    ("KOSPI", 20): (0.964, "wide by one day"),
    ("SAMSUNG", 1): (1.0, "wide: 2008 paths"),
    ("SAMSUNG", 20): (1.0, "wide: 2008 paths"),
    ("HYNIX", 1): (1.0, "wide: 2008 paths (SK hynix's 2008 near-default)"),
    ("HYNIX", 5): (0.963, "wide by one day"),
    ("HYNIX", 20): (0.963, "wide by one day"),
    # too narrow: BTC hardly moved with US tech in 2014-2019 (beta 0.10, corr 0.02 in the
    # fit window) and moved with it strongly since 2020 - a break the fit window cannot see
    ("BTC", 1): (0.593, "narrow: BTC-NDX link appeared after 2019"),
    ("BTC", 5): (0.741, "narrow: BTC-NDX link appeared after 2019"),
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
    assert "2007-" in str(m.node("KOSPI").residual_source)
    assert str(m.node("KOSPI").residual_source).endswith("2018-10-24")  # last stress day used


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
    # 7 of the 18 cells inside 80-95 %; the others are listed in MISSES with the reason
    assert len(reached) == 7
    # every cell is at least 59 %: before issue 18 the bands covered 0-26 % (next test)
    assert float(s["coverage"].min()) >= 0.59


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
    # US session of 03-03, day 1 the Korean session of 03-04.
    series = load_series(shared_data)
    d0, d1 = pd.Timestamp("2026-03-03"), pd.Timestamp("2026-03-04")

    def move(node: str, day: pd.Timestamp) -> float:
        s = series[node].dropna()
        i = int(s.index.get_loc(day))  # type: ignore[arg-type]
        return float(s.iloc[i] / s.iloc[i - 1] - 1.0)

    kospi = move("KOSPI", d1)
    assert kospi == pytest.approx(-0.1206, abs=5e-5)
    levels = {n: float(series[n].dropna().loc[:d0].iloc[-1]) for n in ("KOSPI", "SAMSUNG", "HYNIX")}
    for n in ("NDX", "SOX"):
        levels[n] = float(series[n].loc[:d0].iloc[-2])
    base = model_for_day(load_cascade(), levels).with_horizon(3)
    us = [Shock("NDX", 0, move("NDX", d0)), Shock("SOX", 0, move("SOX", d0))]

    def band(shocks: list[Shock], node: str) -> tuple[float, float]:
        m = base.with_shocks(shocks)
        r = simulate(m, 2000, rng=0, quantiles=(0.05, 0.5, 0.95), log_events=False)
        i = m.index(node)
        b = m.nodes[i].baseline
        return float(r.band_path[0, i, 2] / b - 1), float(r.band_path[2, i, 2] / b - 1)

    # the Korean session shocked on KOSPI itself: the day is the shock (inside its band,
    # trivially), and it reaches Samsung and SK hynix through the conditional links
    lo, hi = band([*us, Shock("KOSPI", 1, kospi)], "KOSPI")
    assert lo == pytest.approx(kospi)
    assert hi == pytest.approx(kospi)
    lo, hi = band([*us, Shock("KOSPI", 1, kospi)], "SAMSUNG")
    assert lo < move("SAMSUNG", d1) < hi  # measured band -17.5 % .. -7.6 %
    lo, hi = band([*us, Shock("KOSPI", 1, kospi)], "HYNIX")
    assert lo < -0.15  # measured -30.1 % .. -9.57 %: SK hynix's -9.58 % sits on the edge
    assert hi == pytest.approx(move("HYNIX", d1), abs=0.01)
    # NOT reached: the Korean session shocked on Samsung and SK hynix (their realised
    # 03-04 moves) gives KOSPI -9.0 % .. -1.6 %, not -12.06 %: the KOSPI betas on them
    # (0.35, 0.11) are 2004-2019 ones, when the two were a far smaller part of KOSPI
    lo, hi = band(
        [*us, Shock("SAMSUNG", 1, move("SAMSUNG", d1)), Shock("HYNIX", 1, move("HYNIX", d1))],
        "KOSPI",
    )
    assert kospi < lo < -0.08
    # NOT reached either from the US session alone (-6.9 % .. +4.8 %)
    lo, hi = band(us, "KOSPI")
    assert kospi < lo
    assert np.isfinite(hi)


def test_leave_one_episode_out_on_the_fit_window(shared_data: Path) -> None:
    # the 31 fit-window stress days fall in 10 episodes; scoring each with the other
    # episodes' residual paths covers less than the out-of-sample test (docs/cascade.md:
    # USD/KRW 48-52 %, KOSPI 61-74 %, VIX 65-90 %, measured 2026-12-06): the episodes
    # differ so much that 2008 is needed to cover 2008
    series = load_series(shared_data)
    t = episode_coverage(load_cascade(), series, draws=500, seed=0)
    assert t["episode"].nunique() == 10
    s = coverage_summary(t)
    assert int(s.loc[("KOSPI", 1), "n"]) == 31
    assert float(s.loc[("USDKRW", 1), "coverage"]) == pytest.approx(0.516, abs=0.033)
    assert float(s.loc[("KOSPI", 20), "coverage"]) == pytest.approx(0.613, abs=0.033)
    assert float(s.loc[("VIX", 1), "coverage"]) == pytest.approx(0.645, abs=0.033)
    assert float(s["coverage"].mean()) < 0.8
