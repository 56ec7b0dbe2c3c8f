"""The monitor's reference growth of Korean leveraged custody is the report's measure.

:data:`gaemi.monitor.indicators.MEASURED_MEDIAN_GROWTH_60D` (the figure beside the x2
line of ``korean_leveraged_growth``) is recomputed here from the depository's weekly top-50
lists in ../shared/data/korea-holdings-ksd (PROVENANCE.md there) with the functions the
report's claims table uses, and the texts that quote it say the same number.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from gaemi.monitor.indicators import (
    GROWTH_WINDOW_DAYS,
    MEASURED_MEDIAN_GROWTH_60D,
    custody_growth_ratios,
    leveraged_custody_sums,
)

ROOT = Path(__file__).resolve().parents[2]
#: A day after every custody list of the folder (weekly to 2026-01-12, daily to 2026-05-13).
AFTER_ALL = dt.date(2026, 6, 2)


def test_growth_ratios_by_hand() -> None:
    # lists 0, 28, 61, 90 days apart: the 61-day ratio exists at day 61 (61 back: day 0,
    # 300/100) and day 90 (target day 29, nearest list day 28 within 4 days: 360/200)
    days = pd.to_datetime(["2024-01-01", "2024-01-29", "2024-03-02", "2024-03-31"])
    s = pd.Series([100.0, 200.0, 300.0, 360.0], index=days)
    r = custody_growth_ratios(s, 61)
    assert list(r.index) == [days[2], days[3]]
    assert r.tolist() == pytest.approx([3.0, 1.8])
    # only the weekly lists count, summed per date over the given funds
    hold = pd.DataFrame(
        {
            "as_of": [days[0], days[0], days[0], days[1]],
            "ticker": ["TQQQ", "SOXL", "AAPL", "TQQQ"],
            "holdings_usd": [1.0, 2.0, 50.0, 7.0],
            "source": ["KSD weekly", "KSD weekly", "KSD weekly", "KSD daily"],
        }
    )
    sums = leveraged_custody_sums(hold, {"TQQQ", "SOXL"})
    assert sums.to_dict() == {days[0]: 3.0}


@pytest.fixture(scope="module")
def claims(shared_data: Path) -> pd.DataFrame:
    from gaemi.app.report import claims_checked
    from gaemi.data.universe import load_default_universe

    return claims_checked(shared_data, AFTER_ALL, load_default_universe())


def test_reference_is_the_measured_median(shared_data: Path, claims: pd.DataFrame) -> None:
    from gaemi.app.report import _custody_before
    from gaemi.data import fund_history as fh
    from gaemi.data.universe import load_default_universe

    # the claims table's fund list: the issuer funds and every fund of the default universe
    # with |leverage| > 1 (gaemi.app.report.claims_checked)
    u = load_default_universe()
    lev = set(fh.ISSUER_FUNDS) | {
        str(t) for t, x in zip(u.ticker, u.leverage, strict=True) if abs(x) > 1
    }
    hold = _custody_before(shared_data, sorted(lev), pd.Timestamp(AFTER_ALL))
    sums = leveraged_custody_sums(hold, lev)
    two = custody_growth_ratios(sums, GROWTH_WINDOW_DAYS)
    # measured: 291 two-month windows of the weekly lists 2020-01-06 .. 2026-01-12,
    # median ×1.1178
    assert len(two) > 250
    assert str(sums.index[0].date())[:4] == "2020"
    assert round(float(two.median()), 2) == MEASURED_MEDIAN_GROWTH_60D
    # the report's claims table writes the same figure
    text = str(claims.iloc[2]["measured_text"])
    m = re.search(r"×([\d.]+) per two months \((\d+) windows", text)
    assert m is not None, text
    assert float(m.group(1)) == MEASURED_MEDIAN_GROWTH_60D
    assert int(m.group(2)) == len(two)


def test_texts_quote_the_reference() -> None:
    ref = f"{MEASURED_MEDIAN_GROWTH_60D:.2f}"
    korea = " ".join((ROOT / "docs" / "korea.md").read_text(encoding="utf-8").split())
    assert f"grew by a median ×{ref} per two months 2020–2026" in korea  # §5
    assert f"beside the monitor's fixed reference, §5's median ×{ref}" in korea  # §7
    monitor = (ROOT / "docs" / "monitor.md").read_text(encoding="utf-8")
    assert f"measured median ×{ref} (docs/korea.md §5)" in monitor
    rules = (ROOT / "src" / "gaemi" / "data" / "defaults" / "monitor_rules.yaml").read_text(
        encoding="utf-8"
    )
    assert f"measured median 2020-2026 is x{ref}" in " ".join(rules.split())
    # no other figure is given as the measured median
    for text in (korea, monitor, rules):
        assert not re.search(r"(?:reference|measured) median[^.;|]*[x×]1\.1[013-9]\b", text)
