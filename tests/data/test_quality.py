"""Quality checks find the known defects of ../shared/data (README.md, PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaemi.data.importers import ImportOptions, import_file
from gaemi.data.quality import check_file, check_macro, check_prices, check_store
from gaemi.data.store import Store


def by_check(findings: list, check: str, series: str) -> list:
    return [f for f in findings if f.check == check and f.series == series]


@pytest.fixture(scope="module")
def defect_store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store holding the files whose defects the shared README lists."""
    db = tmp_path_factory.mktemp("q") / "q.duckdb"
    with Store(db) as s:
        for rel, kind, kw in (
            ("us-adjclose-1993-2026/SOXS.csv", "prices", {"close_is_adjusted": True}),
            ("korea-equities/005930.KS_2000_2026.csv", "prices", {}),
            ("korea-equities/000660.KS_2000_2026.csv", "prices", {}),
            ("kospi-kr-rates/kr10y_yield.csv", "macro", {"symbol": "KR10Y"}),
            # its zero prices are refused at import; stored here under the explicit flag
            # so that the quality check's own finding on them is tested
            ("crypto/SHIB-USD_2014_2022.csv", "prices", {"allow_nonpositive_prices": True}),
            ("us-adjclose-1993-2026/SOXL.csv", "prices", {"close_is_adjusted": True}),
        ):
            import_file(s, shared_data / rel, ImportOptions(kind, **kw))
    s = Store(db, read_only=True)
    yield s
    s.close()


def test_readme_defects_are_all_found(defect_store: Store) -> None:
    findings = check_store(defect_store)
    # README.md: "SOXS adj-close has an unadjusted 1:15 reverse split on 2026-05-26"
    (split,) = by_check(findings, "split_jump", "SOXS")
    assert split.dates == ("2026-05-26",)
    assert split.count == 1
    # PROVENANCE.md: 126 (Samsung) and 137 (SK Hynix) zero-volume stale rows
    (sam,) = by_check(findings, "stale_zero_volume", "005930.KS")
    (hyn,) = by_check(findings, "stale_zero_volume", "000660.KS")
    assert (sam.count, hyn.count) == (126, 137)
    assert "2020-03-09" not in sam.dates or sam.count >= 1  # first dates shown are the oldest
    # README.md: "kr10y_yield has a 0.0 on 2010-09-28"
    (zero,) = by_check(findings, "isolated_zero", "KR10Y")
    assert zero.dates == ("2010-09-28",)
    # PROVENANCE.md: SHIB has 258 zero prices (259 rows have some OHLC value <= 0)
    (shib,) = by_check(findings, "nonpositive_price", "SHIB-USD")
    assert shib.count >= 258
    # SOXL (clean adjusted history, SANITY.md "excluded []") has no split finding
    assert not by_check(findings, "split_jump", "SOXL")


def test_samsung_known_stale_dates(defect_store: Store) -> None:
    # PROVENANCE.md names 2020-03-09 and 2020-03-12 as stale rows of 005930.KS
    df = defect_store.prices("005930.KS").set_index("date")
    f = check_prices(
        "005930.KS",
        df.index.to_numpy().astype("datetime64[D]"),
        df["close"].to_numpy(float),
        df["volume"].to_numpy(float),
        exchange=None,
    )
    (stale,) = by_check(f, "stale_zero_volume", "005930.KS")
    d = df.index.astype(str)
    v = df["volume"].to_numpy()
    flagged = set(d[(v == 0)])
    assert {"2020-03-09", "2020-03-12"} <= flagged
    assert stale.count == 126


def test_newest_first_file_is_reported(shared_data: Path) -> None:
    f = check_file(shared_data / "us-letf-ohlcv-2024-2026" / "SOXL.csv", ImportOptions("prices"))
    order = [x for x in f if x.check == "order"]
    assert order
    assert "newest-first" in order[0].detail


def test_file_duplicates_and_disorder(tmp_path: Path) -> None:
    p = tmp_path / "D.csv"
    p.write_text("Date,Close\n2020-01-02,1\n2020-01-06,2\n2020-01-03,3\n2020-01-06,4\n")
    (dup,) = check_file(p, ImportOptions("prices"))
    assert dup.check == "duplicate_date"
    assert dup.severity == "error"
    p.write_text("Date,Close\n2020-01-02,1\n2020-01-06,2\n2020-01-03,3\n")
    order = [x for x in check_file(p, ImportOptions("prices")) if x.check == "order"]
    assert order[0].severity == "warning"
    assert "not in order" in order[0].detail


def test_calendar_gap_ignores_holidays() -> None:
    # 2024-07-04 (Independence Day) and 2024-11-28 (Thanksgiving) are NYSE holidays
    d = np.array(["2024-07-03", "2024-07-05", "2024-07-08"], dtype="datetime64[D]")
    assert not [f for f in check_prices("X", d, np.ones(3)) if f.check == "calendar_gap"]
    d = np.array(["2024-07-01", "2024-07-08"], dtype="datetime64[D]")  # 07-02,03,05 missing
    (gap,) = [f for f in check_prices("X", d, np.ones(2)) if f.check == "calendar_gap"]
    assert "3 XNYS sessions missing" in gap.detail
    # Saturday row is off-calendar
    d = np.array(["2024-07-05", "2024-07-06", "2024-07-08"], dtype="datetime64[D]")
    (off,) = [f for f in check_prices("X", d, np.ones(3)) if f.check == "off_calendar"]
    assert off.dates == ("2024-07-06",)


def test_krx_calendar_for_korean_symbols() -> None:
    # 2024-09-16..18 is Chuseok (KRX closed), a regular session on the NYSE
    d = np.array(["2024-09-13", "2024-09-19"], dtype="datetime64[D]")
    assert not [f for f in check_prices("005930.KS", d, np.ones(2)) if f.check == "calendar_gap"]
    assert [f for f in check_prices("SPY", d, np.ones(2)) if f.check == "calendar_gap"]


def test_split_threshold_and_macro_zero() -> None:
    d = np.arange(np.datetime64("2024-01-02"), np.datetime64("2024-01-06"))
    assert not check_prices("X", d, np.array([10.0, 5.0, 10.0, 11.0]), exchange=None)
    (s,) = check_prices("X", d, np.array([10.0, 10.5, 0.7, 0.72]), exchange=None)
    assert s.check == "split_jump"
    assert s.dates == ("2024-01-04",)
    assert not check_macro("R", d, np.array([0.0, 0.0, 0.1, 0.2]))  # zero rates are real
    (z,) = check_macro("R", d, np.array([4.2, 0.0, 4.2, 4.1]))
    assert z.dates == ("2024-01-03",)
