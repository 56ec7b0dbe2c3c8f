"""Universe loading: the embedded default snapshot and one-line errors for bad files."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from gaemi.data.universe import default_universe_path, load_default_universe, load_universe
from gaemi.errors import GaemiInputError

HEADER = ["ticker", "leverage", "underlying_id", "aum_usd", "korean_held_usd"]


def write(tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    p = tmp_path / "u.csv"
    with p.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return p


def _curated_rows() -> dict[str, dict[str, str]]:
    """The curated 77-fund file (../shared/facts/universe.csv as embedded before issue 16)."""
    p = default_universe_path().with_name("universe_curated.csv")
    with p.open(encoding="utf-8", newline="") as fh:
        return {r["ticker"]: r for r in csv.DictReader(fh)}


def test_default_snapshot_matches_facts() -> None:
    u = load_default_universe()
    curated = _curated_rows()
    # ../shared/facts/FACTS.md section 0: the curated file has 77 rows; the embedded
    # default holds them all plus the rest of the 2026-06-01 snapshot
    assert len(curated) == 77
    assert set(curated) <= set(u.ticker.tolist())
    assert len(set(u.ticker.tolist())) == len(u)
    i = list(u.ticker).index("TQQQ")
    # universe.csv: TQQQ 3x NDX, $39.349B AUM on 2026-06-01, Koreans $3.4B on 2026-01-15.
    assert u.leverage[i] == 3
    assert u.underlying_id[i] == "NDX"
    assert u.aum_usd[i] == 39_349_000_000
    assert u.aum_as_of[i] == "2026-06-01"
    assert u.korean_aum_usd[i] == pytest.approx(3.4e9)
    j = list(u.ticker).index("TSLL")
    assert u.korean_share[j] == pytest.approx(0.43)  # Bloomberg/KSD 2025-02-26, FACTS.md (a)
    assert list(u.ticker).index("SOXL") >= 0
    assert set(np.unique(u.underlying_group)) >= {"NDX", "semiconductors", "SPX", "single_stock"}
    assert all(s for s in u.source_aum)  # every AUM figure carries its source


def test_default_file_keeps_source_columns() -> None:
    header = default_universe_path().read_text().splitlines()[0].split(",")
    assert {"source_aum", "source_korean", "aum_as_of", "korean_as_of", "confidence"} <= set(header)


def test_user_csv_roundtrip(tmp_path: Path) -> None:
    p = write(tmp_path, [["AAA", "3", "NDX", "45e9", "9e9"], ["BBB", "-3", "NDX", "1e9", ""]])
    u = load_universe(p)
    assert list(u.ticker) == ["AAA", "BBB"]
    assert u.korean_share[0] == pytest.approx(0.2)
    assert np.isnan(u.korean_share[1])


def test_parquet(tmp_path: Path) -> None:
    import pandas as pd

    p = tmp_path / "u.parquet"
    pd.DataFrame(
        {
            "ticker": ["AAA"],
            "leverage": [2.0],
            "underlying_id": ["TSLA"],
            "aum_usd": [5e9],
            "korean_share": [0.43],
        }
    ).to_parquet(p)
    u = load_universe(p)
    assert u.korean_aum_usd[0] == pytest.approx(0.43 * 5e9)


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([["AAA", "3", "NDX", "1e9", ""]], [*HEADER[:-1], "colour"], "unknown column 'colour'"),
        ([["AAA", "3", "1e9"]], ["ticker", "leverage", "aum_usd"], "'underlying_id' is missing"),
        (
            [["AAA", "3", "NDX", "lots", ""]],
            HEADER,
            "u.csv row 2: aum_usd = 'lots' is not a number",
        ),
        ([["AAA", "3", "NDX", "-5", ""]], HEADER, "u.csv row 2: aum_usd = -5 must be >= 0"),
        ([["AAA", "1", "NDX", "5", ""]], HEADER, "row 2: leverage = 1 is not a leveraged"),
        ([["AAA", "0", "NDX", "5", ""]], HEADER, "row 2: leverage = 0 is not a leveraged"),
        # audit: 0 < L < 1 (a `3%` typo read as 0.03) bought on a down day
        (
            [["AAA", "0.03", "NDX", "5", ""]],
            HEADER,
            "row 2: leverage = 0.03 is not a leveraged or inverse fund (need L > 1 or L < 0)",
        ),
        ([["AAA", "0.5", "NDX", "5", ""]], HEADER, "row 2: leverage = 0.5 is not a leveraged"),
        # audit: a 1e308 AUM overflowed the flow engine to inf; the web API's limit is $10T
        (
            [["AAA", "3", "NDX", "1e308", ""]],
            HEADER,
            "row 2: aum_usd = 1e+308 is above the 1e+13 ($10T) limit",
        ),
        (
            [["AAA", "3", "NDX", "1e9", "2e13"]],
            HEADER,
            "row 2: korean_held_usd = 2e+13 is above the 1e+13 ($10T) limit",
        ),
        (
            [["AAA", "3", "NDX", "5", ""], ["aaa", "2", "NDX", "5", ""]],
            HEADER,
            "row 3: ticker = 'AAA' duplicates row 2",
        ),
        ([["AAA", "3", "NDX", "5e9", "6e9"]], HEADER, "Korean share 120% > 100%"),
        ([["AAA", "3", "NDX", "nan", ""]], HEADER, "aum_usd = NaN"),
        ([["AAA", "3", "NDX", "", ""]], HEADER, "row 2: aum_usd is missing"),
        ([["AAA", "3", "NDX", "5"]], HEADER, "line 2: 4 fields, header has 5"),
    ],
)
def test_bad_rows_one_line_errors(
    tmp_path: Path, rows: list[list[str]], header: list[str], message: str
) -> None:
    p = write(tmp_path, rows, header)
    with pytest.raises(GaemiInputError) as info:
        load_universe(p)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_korean_share_above_one(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        [["AAA", "3", "NDX", "5e9", "1.2"]],
        ["ticker", "leverage", "underlying_id", "aum_usd", "korean_share"],
    )
    with pytest.raises(GaemiInputError, match=r"korean_share = 1.2 must be in \[0, 1\]"):
        load_universe(p)


def test_holdings_older_than_aum_above_it_are_unattributed(tmp_path: Path) -> None:
    # ../shared/facts/universe.csv row 71: TSLT $327.21M Korean-held on 2025-01-21 against
    # AUM $282.737M on 2026-06-01 — no share of today's AUM; the file must still load.
    header = [*HEADER, "aum_as_of", "korean_as_of"]
    rows = [
        ["TSLT", "2", "TSLA", "282737000", "327210000", "2026-06-01", "2025-01-21"],
        ["TQQQ", "3", "NDX", "39349000000", "3400000000", "2026-06-01", "2026-01-15"],
    ]
    u = load_universe(write(tmp_path, rows, header))
    assert np.isnan(u.korean_share[0])  # unknown, not guessed
    assert u.korean_share[1] == pytest.approx(3.4e9 / 39.349e9)  # held / AUM as before
    same_day = [["TSLT", "2", "TSLA", "282737000", "327210000", "2026-06-01", "2026-06-01"]]
    with pytest.raises(GaemiInputError, match=r"Korean share 116% > 100%"):
        load_universe(write(tmp_path, same_day, header))


def test_facts_universe_loads(shared_data: Path) -> None:
    # the sourced facts file itself (not only the embedded snapshot built from it) loads
    u = load_universe(shared_data.parent / "facts" / "universe.csv")
    assert len(u) == 77
    assert np.isnan(u.korean_share[list(u.ticker).index("TSLT")])


def test_missing_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(GaemiInputError, match="does not exist"):
        load_universe(tmp_path / "nope.csv")
    bad = tmp_path / "u.xlsx"
    bad.write_text("x")
    with pytest.raises(GaemiInputError, match="unknown format"):
        load_universe(bad)
    broken = tmp_path / "u.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(GaemiInputError, match="not a readable Parquet"):
        load_universe(broken)


def test_inverse_leverages_stay_valid(tmp_path: Path) -> None:
    rows = [
        ["A", "-1", "NDX", "1e9", ""],
        ["B", "-3", "NDX", "1e9", ""],
        ["C", "-0.5", "X", "1", ""],
    ]
    u = load_universe(write(tmp_path, rows))
    assert list(u.leverage) == [-1.0, -3.0, -0.5]


# ------------------------------------------------------ the whole universe (issue 16 item 3)
def test_whole_universe_keeps_curated_rows_and_lists_what_it_leaves_out() -> None:
    from gaemi.data.universe import load_excluded_funds
    from gaemi.limits import is_fund_leverage

    u = load_default_universe()
    with default_universe_path().open(encoding="utf-8", newline="") as fh:
        rows = {r["ticker"]: r for r in csv.DictReader(fh)}
    for tk, r in _curated_rows().items():
        assert rows[tk] == r, tk  # Korean shares, ids, sources and notes as curated
    assert all(is_fund_leverage(float(v)) for v in u.leverage)  # no 1x, no 0 <= L <= 1
    assert all(u.underlying_id)  # every fund mapped to an id
    assert all(u.source_aum)
    excluded = load_excluded_funds()
    reasons = {r["reason"].split(" (")[0] for r in excluded}
    assert reasons <= {
        "leverage variable",
        "leverage unknown",
        "leverage 1x",
        "AUM unknown",
        "not daily reset",
        "underlying not mapped",
    }
    assert "leverage variable" in reasons
    assert not {r["ticker"] for r in excluded} & set(u.ticker.tolist())
    assert all(r["source"] for r in excluded)


def test_leverage_with_validity_dates() -> None:
    from gaemi.data.universe import leverage_on

    # FACTS.md (j): TSLL 1.5x until 2024-04-01, 2x from 2024-04-02; NVDL 2x from 2024-01-22;
    # UVXY 2x -> 1.5x on 2018-02-28; Direxion ERY -3x -> -2x after the 2020-03-31 close
    assert leverage_on("TSLL", "2024-04-01", 2.0) == 1.5
    assert leverage_on("TSLL", "2024-04-02", 2.0) == 2.0
    assert leverage_on("NVDL", "2024-01-19", 2.0) == 1.5
    assert leverage_on("NVDL", "2024-01-22", 2.0) == 2.0
    assert leverage_on("UVXY", "2018-02-27", 1.5) == 2.0
    assert leverage_on("ERY", "2020-03-31", -2.0) == -3.0
    assert leverage_on("TQQQ", "2015-01-02", 3.0) == 3.0  # no change: today's


def _raw_snapshot(shared: Path, day: str) -> dict[str, dict[str, str]]:
    p = shared / "us-letf-universe-2026" / f"leveraged_etf_data_{day}.csv"
    with p.open(encoding="utf-8-sig", newline="") as fh:
        return {r["ticker"].strip().upper(): r for r in csv.DictReader(fh)}


def _signed(r: dict[str, str]) -> float:
    text = r["leverage"].strip().lower().rstrip("x")
    sign = {"long": 1.0, "short": -1.0}.get(r["direction"].strip().lower(), float("nan"))
    try:
        return sign * float(text)
    except ValueError:
        return float("nan")


def test_whole_universe_against_the_raw_snapshot(shared_data: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from gaemi.data.universe import load_excluded_funds

    u = load_default_universe()
    raw = _raw_snapshot(shared_data, "2026-06-01")
    excluded = {r["ticker"] for r in load_excluded_funds()}
    # every fund of the snapshot is either in the universe or listed as excluded
    assert set(raw) == set(u.ticker.tolist()) | excluded
    # funds read with csv here, leverage from text + direction: variable/blank never in
    for tk, r in raw.items():
        lev = _signed(r)
        if not np.isfinite(lev) or lev == 1.0:
            assert tk in excluded, tk
    # K = Σ L(L−1)·A over the included funds, from the raw rows (PROVENANCE: $9.37B per 1 %
    # over every parseable row; the unmapped and no-AUM rows are left out here)
    mine = {t: i for i, t in enumerate(u.ticker.tolist())}
    k_raw = sum(
        _signed(raw[t]) * (_signed(raw[t]) - 1) * float(raw[t]["aum"]) for t in mine if t in raw
    )
    k_u = float(np.sum(u.leverage * (u.leverage - 1) * u.aum_usd))
    assert k_u == pytest.approx(k_raw, rel=1e-9)
    assert 0.9 * 9.37e11 < k_u <= 9.37e11 * 1.0001
    # the embedded derived files are what the script writes from the folder today
    script = Path(__file__).resolve().parents[2] / "scripts" / "build_universe.py"
    subprocess.run(
        [sys.executable, str(script), str(shared_data), "--out-dir", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in ("universe.csv", "universe_excluded.csv", "universe_aum_history.csv"):
        built = (tmp_path / name).read_text(encoding="utf-8")
        assert built == default_universe_path().with_name(name).read_text(encoding="utf-8"), name


def test_a_past_day_takes_the_dated_snapshot_aum(shared_data: Path) -> None:
    import datetime as dt

    from gaemi.app.state import load_state

    state = load_state(as_of="2026-03-15")
    u = state.universe
    raw = _raw_snapshot(shared_data, "2026-03-01")  # the latest snapshot before the day
    assert len(u) < len(load_default_universe())  # funds launched later are left out
    for tk, a, as_of in zip(u.ticker.tolist(), u.aum_usd, u.aum_as_of.tolist(), strict=True):
        assert a == pytest.approx(float(raw[tk]["aum"]), rel=1e-12), tk
        assert dt.date.fromisoformat(as_of) <= dt.date(2026, 3, 15)
    assert "dated snapshot" in state.sources["universe"]
