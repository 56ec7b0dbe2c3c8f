"""Importers: every supported file of ../shared/data imports; bad files change nothing.

Reference values are read off the files in ../shared/data (their PROVENANCE.md notes).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaemi.data.importers import (
    SKIPPED_FILES,
    ImportOptions,
    import_file,
    import_files,
    iter_importable,
    parse_number,
    symbol_from_filename,
)
from gaemi.data.store import Store
from gaemi.data.universe import default_universe_path, load_default_universe
from gaemi.errors import GaemiInputError


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "s.duckdb")
    yield s
    s.close()


# Layouts of ../shared/data that no importer reads yet, each with the issue that adds it.
# Every file under these folders must still be refused in one line (never read as prices);
# the issue that teaches the importer a layout removes its entry here.
NOT_YET_SUPPORTED: dict[str, str] = {}


def _unsupported(rel: str) -> str | None:
    return next((why for pre, why in NOT_YET_SUPPORTED.items() if rel.startswith(pre)), None)


@pytest.mark.slow
def test_every_supported_shared_file_imports(shared_data: Path, tmp_path: Path) -> None:
    seen = 0
    refused: dict[str, str] = {}
    for i, (f, kind, kw) in enumerate(iter_importable(shared_data)):
        rel = f.relative_to(shared_data).as_posix()
        why = _unsupported(rel)
        # one store per file: the same symbol from two sources would (rightly) conflict
        with Store(tmp_path / f"{i}.duckdb") as s:
            if why is not None:
                before = s.checksum()
                with pytest.raises(GaemiInputError) as err:
                    import_file(s, f, ImportOptions(kind=kind, **kw))
                assert "\n" not in str(err.value), rel  # one line
                assert s.checksum() == before, rel  # nothing written
                refused[rel] = why
                continue
            r = import_file(s, f, ImportOptions(kind=kind, **kw))
            assert r.rows > 0, f
            assert r.inserted == r.rows, f
        seen += 1
    # README.md table: all csv files but jgbcm_all.csv (Shift-JIS era dates; the ISO copy
    # is imported instead), us_market_holidays.csv (a holiday list, not a series),
    # Coinalyze's two code lists, the KSD folder's two ISIN/name maps and SHIB-USD's
    # rounded zero prices (SKIPPED_FILES),
    # and the layouts named in NOT_YET_SUPPORTED
    assert len(SKIPPED_FILES) == 7  # + SHIB-USD: zero prices (PROVENANCE.md: avoid)
    assert seen == len(list(shared_data.rglob("*.csv"))) - len(SKIPPED_FILES) - len(refused)
    # each not-yet-supported folder exists (else its entry is stale and must go)
    for pre in NOT_YET_SUPPORTED:
        assert any(r.startswith(pre) for r in refused), f"stale NOT_YET_SUPPORTED entry {pre}"


def test_two_sources_of_one_symbol_conflict(shared_data: Path, store: Store) -> None:
    """BTC-USD from two crypto files: overlapping dates with different columns/values are
    refused unless the user chooses a rule, and the refusal writes nothing."""
    import_file(store, shared_data / "crypto" / "BTC-USD_2014_2022.csv", ImportOptions("prices"))
    before = store.checksum()
    newer = shared_data / "crypto" / "BTC-USD_2020_2025.csv"
    with pytest.raises(GaemiInputError, match="rows differ from the stored prices"):
        import_file(store, newer, ImportOptions("prices"))
    assert store.checksum() == before
    r = import_file(store, newer, ImportOptions("prices", on_conflict="keep"))
    # 2014-09-17..2022-02-14 stored; the newer file adds 2022-02-15..2025-12-30
    assert r.inserted == len(pd.date_range("2022-02-15", "2025-12-30"))


def test_yahoo_newest_first_tz_aware(shared_data: Path, store: Store) -> None:
    f = shared_data / "us-letf-ohlcv-2024-2026" / "SOXS.csv"
    r = import_file(store, f, ImportOptions(kind="prices"))
    assert any("newest-first" in n for n in r.notes)
    df = store.prices("SOXS")
    assert df["date"].is_monotonic_increasing
    # first data line of the file: "2026-01-02 00:00:00-05:00,2.91,2.91,2.69,2.75,457790628"
    last = df.iloc[-1]
    assert str(last["date"]) == "2026-01-02"
    assert (last["open"], last["close"], last["volume"]) == (2.91, 2.75, 457790628)
    assert len(df) == 502  # PROVENANCE.md rows


def test_yfinance_three_row_header(shared_data: Path, store: Store) -> None:
    r = import_file(
        store, shared_data / "crypto" / "BTC-USD_2020_2025.csv", ImportOptions("prices")
    )
    assert r.series == ("BTC-USD",)  # from the Ticker row
    df = store.prices("BTC-USD")
    assert len(df) == 2191  # PROVENANCE.md rows
    # file line 4: 2020-01-01,7200.17431640625,7254.33056640625,7174.9443359375,7194.89…
    assert df.iloc[0]["close"] == pytest.approx(7200.17431640625)
    assert df.iloc[0]["open"] == pytest.approx(7194.89208984375)


def test_investing_korean_export(shared_data: Path, store: Store) -> None:
    f = shared_data / "kospi-kr-rates" / "kospi_ohlcv_1996_2015_investing.csv"
    import_file(store, f, ImportOptions("prices", symbol="^KS11"))
    df = store.prices("^KS11").set_index("date")
    # file line 2: "2015- 08- 28","1,937.67","1,932.39","1,938.61","1,927.39","446.75M"
    row = df.loc[pd.Timestamp("2015-08-28").date()]
    assert (row["close"], row["open"], row["high"], row["low"]) == (
        1937.67,
        1932.39,
        1938.61,
        1927.39,
    )
    assert row["volume"] == pytest.approx(446.75e6)
    assert len(df) == 5000  # PROVENANCE.md rows


def test_fred_blanks_are_skipped_and_counted(shared_data: Path, store: Store) -> None:
    r = import_file(
        store, shared_data / "fx-daily" / "DEXKOUS.csv", ImportOptions("macro", unit="KRW/USD")
    )
    # PROVENANCE.md: 11730 rows, 494 blank values (US holidays)
    assert r.rows == 11730 - 494
    assert any("494 blank values" in n for n in r.notes)
    m = store.macro_series("DEXKOUS")
    assert m["value"].iloc[-1] == 1509.86  # last line: 2026-03-27,1509.86
    assert (m["unit"] == "KRW/USD").all()


def test_wide_macro_table(shared_data: Path, store: Store) -> None:
    import_file(
        store,
        shared_data / "jgb-yields" / "jgbcm_all_iso.csv",
        ImportOptions("macro", symbol="JGB", unit="percent"),
    )
    ids = set(store.series_ids())
    assert {"JGB.Y1", "JGB.Y10", "JGB.Y40"} <= ids
    y10 = store.macro_series("JGB.Y10")
    assert y10["value"].iloc[-1] == 2.690  # last line: 2026-06-30,…,Y10 = 2.690


def test_real_file_import_twice_changes_nothing(shared_data: Path, store: Store) -> None:
    f = shared_data / "korea-equities" / "005930.KS_2000_2026.csv"
    import_file(store, f, ImportOptions("prices"))
    before = store.checksum()
    r = import_file(store, f, ImportOptions("prices"))
    assert store.checksum() == before
    assert (r.inserted, r.unchanged) == (0, 6601)  # PROVENANCE.md: 6601 rows


def test_symbol_from_filename() -> None:
    assert symbol_from_filename(Path("IDX_NDX.csv")) == "^NDX"
    assert symbol_from_filename(Path("005930.KS_2000_2026.csv")) == "005930.KS"
    assert symbol_from_filename(Path("BTC-USD_2014_2022.csv")) == "BTC-USD"
    assert symbol_from_filename(Path("soxs.csv")) == "SOXS"


def test_parse_number_styles() -> None:
    assert parse_number("1,937.67", "investing") == 1937.67
    assert parse_number("446.75M", "investing") == pytest.approx(446.75e6)
    assert parse_number("-0.91%", "investing") == pytest.approx(-0.0091)
    assert np.isnan(parse_number("", "plain"))
    assert np.isnan(parse_number(".", "plain"))  # FRED's missing value
    with pytest.raises(ValueError):
        parse_number("abc", "plain")
    with pytest.raises(ValueError):
        parse_number("inf", "plain")


def test_funds_round_trip_to_universe(store: Store) -> None:
    """The embedded universe imported as fund snapshots gives back the same universe."""
    r = import_file(store, default_universe_path(), ImportOptions("funds"))
    ref = load_default_universe()
    assert r.results[0].inserted == len(ref)  # one snapshot per fund
    u = store.universe()
    assert sorted(u.ticker) == sorted(ref.ticker)
    a = dict(zip(u.ticker, u.aum_usd, strict=True))
    k = dict(zip(u.ticker, u.korean_share, strict=True))
    for t, aum, share in zip(ref.ticker, ref.aum_usd, ref.korean_share, strict=True):
        assert a[t] == aum
        assert (np.isnan(share) and np.isnan(k[t])) or k[t] == pytest.approx(share)
    # universe.csv: TQQQ Korean holdings as of 2026-01-15, AUM as of 2026-06-01
    i = list(u.ticker).index("TQQQ")
    assert (u.aum_as_of[i], u.korean_as_of[i]) == ("2026-06-01", "2026-01-15")
    # an older as_of cut-off sees no snapshot
    with pytest.raises(GaemiInputError, match="no fund snapshots"):
        store.universe("2020-01-01")


def test_holdings_newer_snapshot_is_used(store: Store, tmp_path: Path) -> None:
    import_file(store, default_universe_path(), ImportOptions("funds"))
    h = tmp_path / "h.csv"
    h.write_text("ticker,as_of,korean_held_usd,source\nTQQQ,2026-06-15,5e9,test\n")
    import_file(store, h, ImportOptions("holdings"))
    u = store.universe()
    i = list(u.ticker).index("TQQQ")
    assert u.korean_aum_usd[i] == pytest.approx(5e9)
    assert u.korean_as_of[i] == "2026-06-15"
    old = store.universe("2026-06-01")  # before the new holding: the 2026-01-15 figure
    j = list(old.ticker).index("TQQQ")
    assert old.korean_aum_usd[j] == pytest.approx(3.4e9)  # universe.csv


def test_parquet_prices(store: Store, tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2024-01-03", "2024-01-02"]),
            "Close": [2.0, 1.0],
            "Volume": [10, 20],
        }
    )
    p = tmp_path / "XYZ.parquet"
    df.to_parquet(p)
    r = import_file(store, p, ImportOptions("prices"))
    assert r.series == ("XYZ",)
    got = store.prices("XYZ")
    assert got["close"].tolist() == [1.0, 2.0]


def test_symbol_column_names_normalised_and_unsorted_rows(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "multi.csv"
    p.write_text(
        "Symbol,Date,Close\n"
        " aaa ,2020-01-03,2\nBBB,2020-01-02,5\nAAA,2020-01-02,1\nbbb,2020-01-03,6\n"
    )
    r = import_file(store, p, ImportOptions("prices"))
    assert r.series == ("AAA", "BBB")
    assert store.prices("AAA")["close"].tolist() == [1.0, 2.0]
    assert store.prices("BBB")["close"].tolist() == [5.0, 6.0]
    # the same symbol/date in two separate blocks of rows (names differ in case only)
    q = tmp_path / "dup.csv"
    q.write_text("Symbol,Date,Close\nAAA,2020-01-02,1\nBBB,2020-01-02,5\naaa,2020-01-02,1\n")
    with pytest.raises(
        GaemiInputError, match=r"dup.csv line 4: symbol/date AAA 2020-01-02 duplicates line 2"
    ):
        import_file(store, q, ImportOptions("prices"))


# ---------------------------------------------------------------- malformed inputs
GOOD = "Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,1,2,0.5,1.5,1.5,100\n"


def _text(tmp: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp / name
    p.write_bytes(text.encode(encoding))
    return p


def _funds(tmp: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    p = tmp / "funds.csv"
    with p.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header or ["ticker", "leverage", "underlying_id", "aum_usd", "as_of"])
        w.writerows(rows)
    return p


# Binance klines (crypto-derivatives/binance-spot-daily/BTCUSDT_1d_2024-2026.csv layout)
KLINES_HEADER = (
    "open_time,open,high,low,close,volume,close_time,quote_asset_volume,number_of_trades\n"
)
NAV_HEADER = "date,nav,prior_nav,shares_outstanding_thousands,aum_usd\n"
# the first two data lines of us-letf-nav-proshares/TQQQ.csv
NAV_ROWS = (
    "2026-10-01,78.6484,77.9601,485800,38207392720\n2026-09-30,77.9601,77.4405,483950,37728790395\n"
)


# korea-holdings-ksd/seohak-index/custody_weekly_clean.csv: header and line 48
KSD_WEEKLY = "date,stock,isin,ticker,name_en,amount,price_stock\n"
KSD_TQQQ = "2020-01-06,Stock,US74347X8314,TQQQ,PROSHARES ULTRAPRO QQQ ETF,46925149,11.26\n"


def _ksd_net_buys_unknown_isin(tmp: Path) -> Path:
    """A net-buy list whose ISIN (valid check digit) is not in the ticker_map.json beside it."""
    (tmp / "ticker_map.json").write_text('{"US74347X8314": "TQQQ"}')
    return _text(
        tmp,
        "1W_history.csv",
        "date,period,country_filter,rank,country,isin,name,buy_amount,sell_amount,"
        "net_buy_amount\n"
        "2026-03-08,1W,미국,1,미국,US74347X8314,PROSHARES,10,4,6\n"
        "2026-03-08,1W,미국,2,미국,US0970231058,BOEING,10,4,6\n",
    )


def _sparse(tmp: Path) -> Path:
    p = tmp / "huge.csv"
    with p.open("wb") as fh:
        fh.write(GOOD.encode())
        fh.truncate(5 * 1024**3)  # a sparse 5 GiB file: no disk used
    return p


def _bad_parquet(tmp: Path) -> Path:
    p = tmp / "bad.parquet"
    p.write_bytes(b"PAR1 this is not parquet")
    return p


MALFORMED = {
    "truncated": ("prices", lambda t: _text(t, "A.csv", GOOD + "2020-01-03,1,2,0.")),
    "latin1": (
        "prices",
        lambda t: _text(t, "A.csv", GOOD + "2020-01-03,1,2,0.5,1.5,1.5,9 é\n", "latin-1"),
    ),
    "utf16": ("prices", lambda t: _text(t, "A.csv", GOOD, "utf-16")),
    "text_in_number": (
        "prices",
        lambda t: _text(t, "A.csv", GOOD + "2020-01-03,1,2,0.5,abc,1.5,1\n"),
    ),
    "future_date": ("prices", lambda t: _text(t, "A.csv", GOOD + "2099-01-03,1,2,0.5,1.5,1.5,1\n")),
    "duplicate_date": ("prices", lambda t: _text(t, "A.csv", GOOD + GOOD.splitlines()[1] + "\n")),
    "nan_close": ("prices", lambda t: _text(t, "A.csv", GOOD + "2020-01-03,1,2,0.5,NaN,1.5,1\n")),
    "missing_close": ("prices", lambda t: _text(t, "A.csv", GOOD + "2020-01-03,1,2,0.5,,1.5,1\n")),
    "inf_price": ("prices", lambda t: _text(t, "A.csv", GOOD + "2020-01-03,1,inf,0.5,1,1.5,1\n")),
    "negative_volume": (
        "prices",
        lambda t: _text(t, "A.csv", GOOD + "2020-01-03,1,2,0.5,1,1,-5\n"),
    ),
    "bad_date": ("prices", lambda t: _text(t, "A.csv", GOOD + "2020-13-45,1,2,0.5,1,1,5\n")),
    "ancient_date": ("prices", lambda t: _text(t, "A.csv", GOOD + "1700-01-04,1,2,0.5,1,1,5\n")),
    "missing_date": ("prices", lambda t: _text(t, "A.csv", GOOD + ",1,2,0.5,1,1,5\n")),
    "extra_field": ("prices", lambda t: _text(t, "A.csv", GOOD + "2020-01-03,1,2,0.5,1,1,5,7\n")),
    "empty_file": ("prices", lambda t: _text(t, "A.csv", "")),
    "header_only": ("prices", lambda t: _text(t, "A.csv", GOOD.splitlines()[0] + "\n")),
    "no_date_column": ("prices", lambda t: _text(t, "A.csv", "Day,Close\n2020-01-02,1\n")),
    "no_close_column": ("prices", lambda t: _text(t, "A.csv", "Date,Open\n2020-01-02,1\n")),
    "unknown_column": ("prices", lambda t: _text(t, "A.csv", "Date,Close,Bid\n2020-01-02,1,1\n")),
    "duplicate_column": (
        "prices",
        lambda t: _text(t, "A.csv", "Date,Close,Close\n2020-01-02,1,1\n"),
    ),
    "binary": ("prices", lambda t: _text(t, "A.csv", "Date,Close\n\x00\x01\x02\x03")),
    "huge_5gb": ("prices", _sparse),
    "bad_parquet": ("prices", _bad_parquet),
    "wrong_extension": ("prices", lambda t: _text(t, "A.xlsx", GOOD)),
    "missing_file": ("prices", lambda t: t / "nope.csv"),
    "directory": ("prices", lambda t: t),
    "macro_text": (
        "macro",
        lambda t: _text(t, "M.csv", "date,value\n2020-01-02,1\n2020-01-03,x\n"),
    ),
    "macro_nan": (
        "macro",
        lambda t: _text(t, "M.csv", "date,value\n2020-01-02,1\n2020-01-03,NaN\n"),
    ),
    "funds_nan_aum": ("funds", lambda t: _funds(t, [["AAA", "3", "NDX", "NaN", "2026-01-02"]])),
    "funds_negative_aum": ("funds", lambda t: _funds(t, [["AAA", "3", "NDX", "-1", "2026-01-02"]])),
    "funds_leverage_1": ("funds", lambda t: _funds(t, [["AAA", "1", "NDX", "1e9", "2026-01-02"]])),
    "funds_no_as_of": (
        "funds",
        lambda t: _funds(
            t, [["AAA", "3", "NDX", "1e9"]], ["ticker", "leverage", "underlying_id", "aum_usd"]
        ),
    ),
    "funds_future_as_of": (
        "funds",
        lambda t: _funds(t, [["AAA", "3", "NDX", "1e9", "2099-01-02"]]),
    ),
    "funds_duplicate": (
        "funds",
        lambda t: _funds(t, [["AAA", "3", "NDX", "1e9", "2026-01-02"]] * 2),
    ),
    "holdings_share_above_1": (
        "holdings",
        lambda t: _text(t, "H.csv", "ticker,as_of,korean_share\nTQQQ,2026-01-02,1.5\n"),
    ),
    "holdings_duplicate": (
        "holdings",
        lambda t: _text(
            t, "H.csv", "ticker,as_of,korean_held_usd\nA,2026-01-02,1\nA,2026-01-02,2\n"
        ),
    ),
    "unknown_kind": ("bogus", lambda t: _text(t, "A.csv", GOOD)),
    # issuer daily NAV (us-letf-nav-proshares layout)
    "nav_duplicate_date": (
        "fund_nav",
        lambda t: _text(t, "TQQQ.csv", NAV_HEADER + NAV_ROWS + NAV_ROWS.splitlines()[1] + "\n"),
    ),
    "nav_nan": (
        "fund_nav",
        lambda t: _text(t, "TQQQ.csv", NAV_HEADER + "2026-10-01,NaN,77.9601,485800,1\n"),
    ),
    "nav_negative": (
        "fund_nav",
        lambda t: _text(t, "TQQQ.csv", NAV_HEADER + "2026-10-01,-78.6484,77.9601,485800,1\n"),
    ),
    "nav_columns_swapped": (
        "fund_nav",
        lambda t: _text(
            t, "TQQQ.csv", NAV_HEADER + "2026-10-01,78.6484,77.9601,38207392720,485800\n"
        ),
    ),
    "nav_truncated": (
        "fund_nav",
        lambda t: _text(t, "TQQQ.csv", NAV_HEADER + NAV_ROWS + "2026-09-29,77.4"),
    ),
    "nav_wrong_layout": ("fund_nav", lambda t: _text(t, "TQQQ.csv", GOOD)),
    "nav_header_only": ("fund_nav", lambda t: _text(t, "TQQQ.csv", NAV_HEADER)),
    # full-universe snapshot (us-letf-universe-2026 layout)
    "universe_bad_leverage": (
        "universe",
        lambda t: _snapshot(t, [{**SNAP_ROW, "leverage": "3 times"}]),
    ),
    "universe_duplicate_ticker": ("universe", lambda t: _snapshot(t, [SNAP_ROW, SNAP_ROW])),
    "universe_negative_aum": ("universe", lambda t: _snapshot(t, [{**SNAP_ROW, "aum": "-1"}])),
    "universe_wrong_layout": ("universe", lambda t: _text(t, "u.csv", NAV_HEADER + NAV_ROWS)),
    # Coinalyze positioning and Binance klines
    "derivatives_negative_oi": (
        "derivatives",
        lambda t: _text(t, "open_interest_history.csv", "t,BTC/USDT - Binance\n2024-08-05,-1\n"),
    ),
    "derivatives_duplicate_day": (
        "derivatives",
        lambda t: _text(
            t, "open_interest_history.csv", "t,BTC/USDT - Binance\n2024-08-05,1\n2024-08-05,2\n"
        ),
    ),
    "derivatives_unknown_file": (
        "derivatives",
        lambda t: _text(t, "positions.csv", "t,BTC/USDT - Binance\n2024-08-05,1\n"),
    ),
    # Korea Securities Depository lists (korea-holdings-ksd layouts)
    "ksd_negative_amount": (
        "ksd",
        lambda t: _text(
            t, "custody_weekly_clean.csv", KSD_WEEKLY + KSD_TQQQ.replace(",46925149,", ",-5,")
        ),
    ),
    "ksd_duplicate_date": (
        "ksd",
        lambda t: _text(
            t, "custody_weekly_clean.csv", KSD_WEEKLY + KSD_TQQQ + KSD_TQQQ.replace("46925149", "1")
        ),
    ),
    "ksd_bad_isin": (
        "ksd",
        lambda t: _text(
            t, "custody_weekly_clean.csv", KSD_WEEKLY + KSD_TQQQ.replace("X8314", "X8315")
        ),
    ),
    "ksd_unknown_isin": ("ksd", _ksd_net_buys_unknown_isin),
    "ksd_wrong_layout": ("ksd", lambda t: _text(t, "custody_weekly_clean.csv", GOOD)),
    "ksd_unknown_file": ("ksd", lambda t: _text(t, "holdings.csv", KSD_WEEKLY + KSD_TQQQ)),
    "klines_bad_close": (
        "prices",
        lambda t: _text(
            t,
            "A.csv",
            KLINES_HEADER
            + "2024-03-17 00:00:00+00:00,1,2,0.5,x,10,2024-03-17 23:59:59.999000+00:00,1,1\n",
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_input_one_line_error_store_unchanged(
    case: str, tmp_path: Path, store: Store
) -> None:
    seed = _text(tmp_path, "SEED.csv", GOOD)
    import_file(store, seed, ImportOptions("prices"))
    import_file(store, default_universe_path(), ImportOptions("funds"))
    before = store.checksum()
    kind, make = MALFORMED[case]
    sub = tmp_path / "case"
    sub.mkdir()
    path = make(sub)
    with pytest.raises(GaemiInputError) as exc:
        import_file(store, path, ImportOptions(kind, symbol="A" if kind == "prices" else None))
    msg = str(exc.value)
    assert "\n" not in msg, msg
    assert msg.strip()
    assert len(msg) < 400, msg
    assert store.checksum() == before


def test_malformed_corpus_size() -> None:
    assert len(MALFORMED) >= 25  # issue 5: a corpus of at least 25 malformed inputs


def test_errors_name_file_and_line(tmp_path: Path, store: Store) -> None:
    p = _text(tmp_path, "A.csv", GOOD + "2020-01-03,1,2,0.5,1,1,1\n2020-01-06,1,2,0.5,abc,1,1\n")
    with pytest.raises(GaemiInputError, match=r"A.csv line 4: Close = 'abc' is not a number"):
        import_file(store, p, ImportOptions("prices"))
    p = _text(tmp_path, "B.csv", GOOD + "2020-01-02,1,2,0.5,1,1,1\n")
    with pytest.raises(
        GaemiInputError, match=r"B.csv line 3: symbol/date B 2020-01-02 duplicates line 2"
    ):
        import_file(store, p, ImportOptions("prices"))
    p = _text(tmp_path, "C.csv", GOOD + "2099-01-02,1,2,0.5,1,1,1\n")
    with pytest.raises(GaemiInputError, match=r"C.csv line 3: Date = 2099-01-02 is in the future"):
        import_file(store, p, ImportOptions("prices"))


def test_holdings_above_aum_are_refused_not_hidden(store: Store, tmp_path: Path) -> None:
    import_file(store, default_universe_path(), ImportOptions("funds"))
    h = tmp_path / "h.csv"
    # universe.csv: TQQQ AUM 39.349e9 on 2026-06-01; a holding of 50e9 cannot be right
    h.write_text("ticker,as_of,korean_held_usd\nTQQQ,2026-06-15,50e9\n")
    import_file(store, h, ImportOptions("holdings"))
    with pytest.raises(GaemiInputError, match=r"TQQQ Korean holdings 5e\+10 USD"):
        store.universe()


# ---------------------------------------------------------------- batches (several files)
def _prices(tmp: Path, name: str, rows: str) -> Path:
    return _text(tmp, name, "Date,Close\n" + rows)


def test_batch_validates_every_file_before_writing(store: Store, tmp_path: Path) -> None:
    """A bad second file: nothing of the first is written, the error names the bad file."""
    import_file(store, _prices(tmp_path, "SEED.csv", "2020-01-02,1\n"), ImportOptions("prices"))
    before = store.checksum()
    a = _prices(tmp_path, "A.csv", "2020-01-02,1\n2020-01-03,2\n")
    b = _prices(tmp_path, "B.csv", "2020-01-02,1\n2020-01-03,abc\n")
    c = _prices(tmp_path, "C.csv", "2020-01-02,1\n")
    with pytest.raises(GaemiInputError) as exc:
        import_files(store, [a, b, c], ImportOptions("prices"))
    msg = str(exc.value)
    assert msg.startswith("B.csv line 3: Close = 'abc' is not a number"), msg
    assert "file 2 of 3; nothing was imported" in msg
    assert "\n" not in msg
    assert store.checksum() == before
    assert store.symbols() == ["SEED"]


def test_batch_conflict_in_a_later_file_rolls_back_the_whole_batch(
    store: Store, tmp_path: Path
) -> None:
    """One transaction for the batch: a conflict in file 3 leaves files 1-2 unwritten and
    the import log untouched; with --on-conflict keep the whole batch lands, one log row
    per file that changed something."""
    import_file(store, _prices(tmp_path, "X.csv", "2020-01-02,1\n"), ImportOptions("prices"))
    before = store.checksum()
    sub = tmp_path / "batch"
    sub.mkdir()
    files = [
        _prices(sub, "A.csv", "2020-01-02,1\n"),
        _prices(sub, "B.csv", "2020-01-02,1\n"),
        _prices(sub, "X.csv", "2020-01-02,5\n2020-01-03,6\n"),  # differs from stored X
        _prices(sub, "D.csv", "2020-01-02,1\n"),
    ]
    with pytest.raises(GaemiInputError) as exc:
        import_files(store, files, ImportOptions("prices"))
    msg = str(exc.value)
    assert msg.startswith("X.csv: 1 rows differ from the stored prices"), msg
    assert "file 3 of 4; the 4 files are one transaction: nothing was imported" in msg
    assert store.checksum() == before
    assert store.symbols() == ["X"]
    results = import_files(store, files, ImportOptions("prices", on_conflict="keep"))
    assert [r.inserted for r in results] == [1, 1, 1, 1]
    assert results[2].kept == 1
    assert sorted(store.symbols()) == ["A", "B", "D", "X"]
    assert store.checksum()["imports"][0] == before["imports"][0] + 4
    # the same batch again changes nothing, not even the log
    again = import_files(store, files, ImportOptions("prices", on_conflict="keep"))
    assert sum(r.inserted for r in again) == 0
    assert store.checksum()["imports"][0] == before["imports"][0] + 4


def test_batch_files_that_disagree_conflict_with_each_other(store: Store, tmp_path: Path) -> None:
    """Within a batch, a later file meets an earlier one's rows as stored rows."""
    a = _text(tmp_path, "one.csv", "Symbol,Date,Close\nQ,2020-01-02,1\n")
    b = _text(tmp_path, "two.csv", "Symbol,Date,Close\nQ,2020-01-02,2\n")
    with pytest.raises(GaemiInputError, match=r"two.csv: 1 rows differ .* stored from file:"):
        import_files(store, [a, b], ImportOptions("prices"))
    assert store.symbols() == []


def test_source_of_a_bare_file_name_names_its_folder(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/data.md: source = file:FOLDER/NAME.csv, also for a file in the current folder."""
    here = tmp_path / "here"
    here.mkdir()
    _prices(here, "trunc.csv", "2020-01-02,1\n")
    monkeypatch.chdir(here)
    import_file(store, Path("trunc.csv"), ImportOptions("prices"))
    (src,) = store.list_series("prices")["sources"].tolist()
    assert src == "file:here/trunc.csv"
    logged = store.fetch_df("SELECT source FROM imports")["source"].tolist()
    assert logged == ["file:here/trunc.csv"]


def test_funds_summary_counts_snapshots_and_holdings(store: Store) -> None:
    """The embedded universe.csv: every fund a row, 4 of them with Korean holdings (counted in
    the file: TQQQ, SOXL, TSLL and TSLT carry korean_held_usd or korean_share)."""
    import csv

    with default_universe_path().open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    n_rows = len(rows)
    n_held = sum(1 for r in rows if r["korean_held_usd"] or r["korean_share"])
    ref = load_default_universe()
    n_korean = int(np.isfinite(ref.korean_share).sum())
    r = import_file(store, default_universe_path(), ImportOptions("funds"))
    assert f"{len(ref)} fund snapshots + {n_korean} holdings —" in r.summary()
    assert (len(ref), n_korean) == (n_rows, n_held)
    assert n_held == 4


# ---------------------------------------------------------------- issuer NAV / universe
def test_issuer_nav_reader_real_files(shared_data: Path) -> None:
    from gaemi.data.importers.issuer_nav import read_issuer_nav

    # PROVENANCE.md of us-letf-nav-proshares: rows and range per file
    expected = {
        "TQQQ": (4187, "2010-02-09"),
        "SQQQ": (4187, "2010-02-09"),
        "QLD": (5104, "2006-06-19"),
        "QID": (5089, "2006-07-11"),
        "UPRO": (4346, "2009-06-23"),
        "SPXU": (4346, "2009-06-23"),
        "SSO": (5104, "2006-06-19"),
        "SDS": (5089, "2006-07-11"),
    }
    for t, (rows, first) in expected.items():
        df = read_issuer_nav(shared_data / "us-letf-nav-proshares" / f"{t}.csv")
        assert len(df) == rows, t
        assert (df["ticker"] == t).all()
        assert str(df["date"].iloc[0].date()) == first
        assert str(df["date"].iloc[-1].date()) == "2026-10-01"
        assert df["date"].is_monotonic_increasing
        assert df["date"].dtype == "datetime64[ns]"
    # TQQQ.csv line 2: 2026-10-01,78.6484,77.9601,485800,38207392720 (shares in thousands)
    last = read_issuer_nav(shared_data / "us-letf-nav-proshares" / "TQQQ.csv").iloc[-1]
    assert (last["nav_usd"], last["prior_nav_usd"]) == (78.6484, 77.9601)
    assert last["shares_outstanding"] == 485_800_000
    assert last["aum_usd"] == 38_207_392_720


def test_issuer_nav_reader_any_order_same_frame(tmp_path: Path) -> None:
    from gaemi.data.importers.issuer_nav import read_issuer_nav

    a = _text(tmp_path, "TQQQ.csv", NAV_HEADER + NAV_ROWS)
    sub = tmp_path / "b"
    sub.mkdir()
    rows = NAV_ROWS.splitlines(keepends=True)
    b = _text(sub, "TQQQ.csv", NAV_HEADER + rows[1] + rows[0])
    da, db = read_issuer_nav(a), read_issuer_nav(b)
    pd.testing.assert_frame_equal(da, db)
    assert da.attrs["notes"] == ["TQQQ.csv: rows are newest-first (stored by date)"]
    assert db.attrs["notes"] == []


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (
            NAV_ROWS + NAV_ROWS.splitlines()[0] + "\n",
            r"TQQQ.csv line 4: date 2026-10-01 duplicates line 2",
        ),
        ("2026-10-01,NaN,77.9601,485800,38207392720\n", r"line 2: nav = 'NaN' must be a finite"),
        ("2026-10-01,,77.9601,485800,38207392720\n", r"line 2: nav is missing"),
        ("2026-10-01,-78.6,77.9601,485800,38207392720\n", r"line 2: nav = -78.6 must be > 0"),
        ("2026-10-01,0,77.9601,0,0\n", r"line 2: nav = 0 must be > 0"),
        ("2026-10-01,78.6484,77.9601,38207392720,485800\n", r"line 2: aum_usd = 485800 differs"),
        ("2026-10-01,78.6484,77.9601,485800\n", r"line 2: 4 fields, header has 5"),
        ("2026-13-01,78.6484,77.9601,485800,38207392720\n", r"line 2: date = '2026-13-01'"),
        ("2099-10-01,78.6484,77.9601,485800,38207392720\n", r"line 2: date = 2099-10-01 is in"),
    ],
)
def test_issuer_nav_reader_refuses_bad_rows(tmp_path: Path, rows: str, match: str) -> None:
    from gaemi.data.importers.issuer_nav import read_issuer_nav

    with pytest.raises(GaemiInputError, match=match) as exc:
        read_issuer_nav(_text(tmp_path, "TQQQ.csv", NAV_HEADER + rows))
    assert "\n" not in str(exc.value)


def test_issuer_nav_reader_refuses_wrong_layout(tmp_path: Path) -> None:
    from gaemi.data.importers.issuer_nav import read_issuer_nav

    with pytest.raises(GaemiInputError, match=r"line 1: column 'Open' is not an issuer NAV"):
        read_issuer_nav(_text(tmp_path, "TQQQ.csv", GOOD))
    with pytest.raises(GaemiInputError, match=r"required column 'aum_usd' is missing"):
        read_issuer_nav(
            _text(tmp_path, "X.csv", "date,nav,prior_nav,shares_outstanding_thousands\n")
        )


def test_universe_snapshot_reader_real_files(shared_data: Path) -> None:
    from gaemi.data.importers.universe_snapshot import read_universe_snapshot

    folder = shared_data / "us-letf-universe-2026"
    # PROVENANCE.md of us-letf-universe-2026: funds and total AUM per snapshot
    expected = {
        "2026-02-05": (755, 160.0e9),
        "2026-03-01": (743, 155.3e9),
        "2026-04-01": (719, 137.2e9),
        "2026-05-01": (721, 170.0e9),
        "2026-06-01": (745, 216.9e9),
    }
    for day, (n, aum) in expected.items():
        df = read_universe_snapshot(folder / f"leveraged_etf_data_{day}.csv")
        assert len(df) == n, day
        assert (df["as_of"] == pd.Timestamp(day)).all()
        assert df["aum_usd"].sum() == pytest.approx(aum, abs=0.05e9)
    by = df.set_index("ticker")
    # 2026-06-01 file: TQQQ 3x long Nasdaq-100, SQQQ 3x short, SOXL 3x long NYSE Semi.
    assert (by.loc["TQQQ", "leverage"], by.loc["TQQQ", "underlying"]) == (3.0, "NDX")
    assert (by.loc["SQQQ", "leverage"], by.loc["SQQQ", "underlying"]) == (-3.0, "NDX")
    assert (by.loc["SOXL", "leverage"], by.loc["SOXL", "underlying"]) == (3.0, "SOX")
    assert by.loc["TSLL", "underlying"] == "TSLA"
    # 'variable' and leverage without a direction: unknown, never guessed
    var = df[df["leverage_text"] == "variable"]
    assert len(var) == 45
    assert var["leverage"].isna().all()
    nodir = df[(df["direction"] == "") & (df["leverage_text"] != "")]
    assert nodir["leverage"].isna().all()
    assert len(nodir) > 0
    # PROVENANCE: 'Σ L(L−1)·AUM per 1% move = $9.37B' counts the 42 funds with leverage text
    # and no direction as long; with their sign left unknown it is lower
    lev = df["leverage"].to_numpy(float)
    k = np.nansum(lev * (lev - 1) * df["aum_usd"].to_numpy(float)) / 100
    assert 9.0e9 < k < 9.37e9


def _snapshot(
    tmp: Path, rows: list[dict[str, str]], name: str = "leveraged_etf_data_2026-06-01.csv"
) -> Path:
    from gaemi.data.importers.universe_snapshot import LAYOUT

    p = tmp / name
    with p.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.DictWriter(fh, fieldnames=list(LAYOUT))
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in LAYOUT})
    return p


SNAP_ROW = {
    "ticker": "TQQQ",
    "name": "ProShares UltraPro QQQ",
    "underlying_asset": "Nasdaq-100 Index",
    "underlying_ticker": "QQQ",
    "leverage": "3x",
    "direction": "long",
    "fund_type": "Broad Market",
    "aum": "39349000000",
    "fund_family": "ProShares",
    "updated_at": "2026-06-01T00:00:02.381+00:00",
    "inception_date": "2010-02-09",
}


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"leverage": "three"}, r"line 2: leverage = 'three' is not like 2x"),
        ({"direction": "up"}, r"line 2: direction = 'up' must be long, short or blank"),
        ({"aum": "-5"}, r"line 2: aum = '-5' must be finite and >= 0"),
        ({"aum": "abc"}, r"line 2: aum = 'abc' is not a number"),
        ({"updated_at": ""}, r"line 2: updated_at is missing"),
        ({"ticker": ""}, r"line 2: ticker = '' is not a ticker"),
    ],
)
def test_universe_snapshot_reader_refuses_bad_rows(
    tmp_path: Path, change: dict[str, str], match: str
) -> None:
    from gaemi.data.importers.universe_snapshot import read_universe_snapshot

    with pytest.raises(GaemiInputError, match=match) as exc:
        read_universe_snapshot(_snapshot(tmp_path, [{**SNAP_ROW, **change}]))
    assert "\n" not in str(exc.value)


def test_universe_snapshot_reader_duplicates_and_layout(tmp_path: Path) -> None:
    from gaemi.data.importers.universe_snapshot import read_universe_snapshot

    with pytest.raises(GaemiInputError, match=r"line 3: ticker TQQQ duplicates line 2"):
        read_universe_snapshot(_snapshot(tmp_path, [SNAP_ROW, SNAP_ROW]))
    with pytest.raises(GaemiInputError, match=r"line 1: column 'Date' is not a universe-snapshot"):
        read_universe_snapshot(_text(tmp_path, "u.csv", GOOD))
    df = read_universe_snapshot(
        _snapshot(
            tmp_path,
            [
                {
                    **SNAP_ROW,
                    "leverage": "2x",
                    "direction": "short",
                    "ticker": "ZZZZ",
                    "underlying_asset": "Some Free Text",
                }
            ],
            "u.csv",
        )
    )
    # no date in the file name: the updated_at day; free text unmapped -> None
    assert df["as_of"].iloc[0] == pd.Timestamp("2026-06-01")
    assert df["leverage"].iloc[0] == -2.0
    assert df["underlying"].iloc[0] is None


# ---------------------------------------------------------------- new kinds in the store
def _nav_values(store: Store) -> pd.DataFrame:
    return store.fetch_df(
        "SELECT ticker, date, nav_usd, prior_nav_usd, shares_outstanding, aum_usd, source "
        "FROM fund_nav ORDER BY ticker, date"
    )


def test_nav_rows_in_either_order_give_the_same_store(shared_data: Path, tmp_path: Path) -> None:
    """TQQQ.csv as published (newest-first) and reversed (oldest-first): one store."""
    real = shared_data / "us-letf-nav-proshares" / "TQQQ.csv"
    lines = real.read_text().splitlines(keepends=True)
    rev_dir = tmp_path / "rev"
    rev_dir.mkdir()
    rev = _text(rev_dir, "TQQQ.csv", lines[0] + "".join(reversed(lines[1:])))
    got = []
    for i, f in enumerate((real, rev)):
        with Store(tmp_path / f"{i}.duckdb") as s:
            r = import_file(s, f, ImportOptions("fund_nav", source="issuer:TQQQ"))
            assert (r.rows, r.inserted) == (4187, 4187)  # PROVENANCE.md: 4,187 rows
            got.append(_nav_values(s))
    pd.testing.assert_frame_equal(got[0], got[1])
    assert got[0]["date"].is_monotonic_increasing


def test_new_kinds_import_twice_changes_nothing(shared_data: Path, store: Store) -> None:
    nav = sorted((shared_data / "us-letf-nav-proshares").glob("*.csv"))
    snaps = sorted((shared_data / "us-letf-universe-2026").glob("*.csv"))
    assert (len(nav), len(snaps)) == (8, 5)
    first = import_files(store, nav, ImportOptions("fund_nav"))
    import_files(store, snaps, ImportOptions("universe"))
    # PROVENANCE.md rows: 4187+4187+5104+5089+4346+4346+5104+5089 NAV rows; 755+743+719+
    # 721+745 funds in the five snapshots
    assert sum(r.inserted for r in first) == 37_452
    assert store.checksum()["fund_nav"][0] == 37_452
    assert store.checksum()["universe_snapshots"][0] == 3_683
    before = store.checksum()
    again = import_files(store, [*nav], ImportOptions("fund_nav"))
    again += import_files(store, [*snaps], ImportOptions("universe"))
    assert sum(r.inserted + r.replaced for r in again) == 0
    assert store.checksum() == before  # not even a log row
    # the store's answers: TQQQ's last line; the snapshot in force on 2026-04-15
    tq = store.fund_nav("TQQQ").iloc[-1]
    assert (str(tq["date"]), tq["shares_outstanding"], tq["aum_usd"]) == (
        "2026-10-01",
        485_800_000,
        38_207_392_720,
    )
    snap = store.universe_snapshot("2026-04-15")
    assert len(snap) == 719
    assert str(snap["as_of"].iloc[0]) == "2026-04-01"
    soxl = snap.set_index("ticker").loc["SOXL"]
    assert (soxl["leverage"], soxl["underlying_id"]) == (3.0, "SOX")
    assert store.universe_snapshot("2026-01-01").empty  # before the first snapshot


def test_new_kinds_batch_with_a_bad_file_writes_nothing(
    shared_data: Path, store: Store, tmp_path: Path
) -> None:
    nav = sorted((shared_data / "us-letf-nav-proshares").glob("*.csv"))
    bad = _text(tmp_path, "ZZZZ.csv", NAV_HEADER + NAV_ROWS + NAV_ROWS)
    before = store.checksum()
    with pytest.raises(GaemiInputError) as exc:
        import_files(store, [*nav, bad], ImportOptions("fund_nav"))
    msg = str(exc.value)
    assert msg.startswith("ZZZZ.csv line 4: date 2026-10-01 duplicates line 2"), msg
    assert "file 9 of 9; nothing was imported" in msg
    assert "\n" not in msg
    assert store.checksum() == before


def test_coinalyze_and_klines_into_the_store(shared_data: Path, store: Store) -> None:
    folder = shared_data / "crypto-derivatives" / "coinalyze-btc-perp-2022-2024"
    for f in ("liquidation_history.csv", "open_interest_history.csv"):
        import_file(store, folder / f, ImportOptions("derivatives"))
    long = store.derivatives("liquidations_long_usd")
    short = store.derivatives("liquidations_short_usd")
    day = pd.Timestamp("2024-08-05").date()
    lv = long.loc[long["date"] == day, "value"].sum()
    sv = short.loc[short["date"] == day, "value"].sum()
    # PROVENANCE.md of crypto-derivatives: 2024-08-05 BTC-perp liquidations $329M, 67% long
    assert lv + sv == pytest.approx(329e6, rel=0.01)
    assert lv / (lv + sv) == pytest.approx(0.67, abs=0.01)
    oi = store.derivatives("open_interest_usd").groupby("date")["value"].sum()
    # PROVENANCE.md: open interest -18.7% that day
    d0 = pd.Timestamp("2024-08-04").date()
    assert oi[day] / oi[d0] - 1 == pytest.approx(-0.187, abs=0.002)
    k = shared_data / "crypto-derivatives" / "binance-spot-daily" / "BTCUSDT_1d_2024-2026.csv"
    r = import_file(store, k, ImportOptions("prices"))
    assert r.series == ("BTCUSDT",)
    first = store.prices("BTCUSDT").iloc[0]
    # file line 2: 2024-03-17 00:00:00+00:00,65300.64,68904.4,64533.0,68393.48,49742.21589,…
    assert str(first["date"]) == "2024-03-17"
    assert (first["open"], first["close"], first["volume"]) == (65300.64, 68393.48, 49742.21589)


KILL_CHILD = """
import sys
from pathlib import Path
from gaemi.data.store import Store
from gaemi.data.importers import ImportOptions, import_files

def progress(done, total):
    if done == total // 2:
        print("WRITING", flush=True)

files = [Path(x) for x in sys.argv[3:]]
with Store(sys.argv[1]) as s:
    import_files(s, files, ImportOptions(kind=sys.argv[2]), progress=progress)
print("DONE", flush=True)
"""


@pytest.mark.slow
def test_killed_new_kind_import_leaves_store_whole(shared_data: Path, tmp_path: Path) -> None:
    """The eight NAV files, then the five universe snapshots, each as one batch killed
    (SIGKILL) at random points of the write: the store is as before or holds the whole
    batch (37,452 NAV rows; 3,683 fund rows), never part of it."""
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import time

    batches = (
        ("fund_nav", "us-letf-nav-proshares", "fund_nav", 37_452),
        ("universe", "us-letf-universe-2026", "universe_snapshots", 3_683),
    )
    base = tmp_path / "base.duckdb"
    with Store(base) as s:
        import_file(s, default_universe_path(), ImportOptions("funds"))
        before = s.checksum()
    rng = np.random.default_rng(20261206)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    outcomes = {"unchanged": 0, "updated": 0}
    for kind, folder, table, rows in batches:
        files = [str(f) for f in sorted((shared_data / folder).glob("*.csv"))]
        full = tmp_path / f"full-{kind}.duckdb"
        shutil.copy(base, full)
        t0 = time.perf_counter()
        with Store(full) as s:
            import_files(s, files, ImportOptions(kind))
            after = s.checksum()
        write_s = time.perf_counter() - t0
        assert after[table][0] == rows
        for i in range(5):
            db = tmp_path / f"k-{kind}-{i}.duckdb"
            shutil.copy(base, db)
            child = subprocess.Popen(
                [sys.executable, "-c", KILL_CHILD, str(db), kind, *files],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
                text=True,
            )
            assert child.stdout is not None
            line = child.stdout.readline()  # validation done, the write phase starts
            time.sleep(float(rng.uniform(0.0, 0.5 * write_s)))
            child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdout.close()
            assert line.strip() in ("WRITING", "")
            with Store(db) as s:
                got = s.checksum()
            if got == before:
                outcomes["unchanged"] += 1
            else:
                assert got[table][0] == rows, f"partial {kind} import in run {i}: {got}"
                assert got["imports"][0] == after["imports"][0]
                outcomes["updated"] += 1
    assert sum(outcomes.values()) == 10
    print(f"kill test outcomes: {outcomes}")


def test_a_snapshot_that_disagrees_with_the_stored_one_is_refused(
    shared_data: Path, store: Store, tmp_path: Path
) -> None:
    """The same snapshot day imported again with one fund's AUM changed: a conflict, one
    line naming the fund, nothing written (unless --on-conflict keep/replace)."""
    real = shared_data / "us-letf-universe-2026" / "leveraged_etf_data_2026-06-01.csv"
    import_file(store, real, ImportOptions("universe"))
    before = store.checksum()
    text = real.read_text(encoding="utf-8-sig")
    # 2026-06-01 file: TQQQ aum 39349000000
    assert ",39349000000," in text
    changed = tmp_path / real.name
    changed.write_text(text.replace(",39349000000,", ",39349000001,"), encoding="utf-8-sig")
    with pytest.raises(GaemiInputError) as exc:
        import_file(store, changed, ImportOptions("universe"))
    msg = str(exc.value)
    assert msg.startswith(
        "leveraged_etf_data_2026-06-01.csv: 1 rows differ from the stored universe_snapshots "
        "(first: TQQQ 2026-06-01: aum_usd 39349000001.0 vs stored 39349000000.0"
    ), msg
    assert "\n" not in msg
    assert store.checksum() == before


def test_ksd_lists_into_the_store(shared_data: Path, store: Store) -> None:
    """Every KSD list of korea-holdings-ksd/ in one batch (the shipped files' conflicting
    pairs and stale weeks dropped as unknown and noted), then again: nothing changes."""
    files = [f for f, k, _ in iter_importable(shared_data) if k == "ksd"]
    assert len(files) == 11  # 13 csv files in the folder less its two maps (SKIPPED_FILES)
    results = import_files(store, files, ImportOptions("ksd", duplicates="drop"))
    rows = {r.file: r.rows for r in results}
    # PROVENANCE.md: 15,085 weekly rows; less the 12 rows of the 6 conflicting pairs and the
    # rows of 7 stale list dates (importers.ksd); 5,550 US rows per net-buy file (50 of
    # them 2026-03-08 repeated); 50 rows in the 2026-04-21 top-50 list
    assert rows["custody_weekly_clean.csv"] == 14_740
    assert (rows["1W_history.csv"], rows["1M_history.csv"]) == (5550, 5550)
    assert rows["custody_daily_top50_20260421.csv"] == 50
    weekly = store.ksd_holdings("TQQQ", list_="weekly_top50")
    # PROVENANCE.md: TQQQ in 313 weekly lists; 7 stale list dates are left unknown
    assert 313 - 7 <= len(weekly) <= 313
    assert weekly["holdings_usd"].iloc[0] == 46_925_149  # custody_weekly_clean.csv line 48
    day = store.ksd_holdings("TQQQ", list_="daily_isin")
    # PROVENANCE.md: TQQQ $4.55B on 2026-05-13
    v = day.loc[day["as_of"].astype(str) == "2026-05-13", "holdings_usd"].iloc[0]
    assert v == pytest.approx(4.55e9, rel=0.01)
    before = store.checksum()
    again = import_files(store, files, ImportOptions("ksd", duplicates="drop"))
    assert sum(r.inserted + r.replaced for r in again) == 0
    assert store.checksum() == before
    # without duplicates="drop" the conflicting pairs are refused in one line
    s2 = Store(store.path.parent / "refuse.duckdb")
    try:
        with pytest.raises(GaemiInputError, match=r"custody_weekly_clean.csv line 8548") as e:
            import_file(s2, files[2], ImportOptions("ksd"))
        assert "\n" not in str(e.value)
        assert s2.checksum()["ksd_holdings"][0] == 0
    finally:
        s2.close()


def test_one_reader_per_kind_and_the_old_names_still_import() -> None:
    """Issue 15 item 5: one reader module per kind behind one protocol and one pipeline;
    every name the 1,500-line module offered is still importable from the package."""
    import gaemi.data.importers as imp
    from gaemi.data.importers.pipeline import READERS

    assert set(READERS) == set(imp.KINDS)
    for name in [
        "ImportOptions",
        "ImportResult",
        "Table",
        "Layout",
        "PreparedImport",
        "KINDS",
        "DEFAULT_MAX_BYTES",
        "MIN_DATE",
        "DATE_NAMES",
        "PRICE_COLUMNS",
        "IGNORED_COLUMNS",
        "PRICE_VALUES",
        "MACRO_VALUE_NAMES",
        "FUND_EXTRA",
        "HOLDING_COLUMNS",
        "DIGEST",
        "parse_date",
        "parse_number",
        "file_digest",
        "symbol_from_filename",
        "read_prices",
        "read_macro",
        "read_funds",
        "read_holdings",
        "validate_file",
        "import_file",
        "import_files",
        "prepare_import",
        "prepare_imports",
        "write_imports",
        "iter_importable",
        "_validated",
    ]:
        assert hasattr(imp, name), name


def test_issuer_nav_reader_reads_the_issuers_own_column_names(tmp_path: Path) -> None:
    """The live file's header (Date, ProShares Name, Ticker, NAV, Prior NAV, NAV Change (%),
    NAV Change ($), Shares Outstanding (000), Assets Under Management — the layout as
    documented for accounts.profunds.com/etfdata/ByFund/<TICKER>-historical_nav.csv) with
    the two data lines of us-letf-nav-proshares/TQQQ.csv gives the archive's frame."""
    from gaemi.data.importers.issuer_nav import read_issuer_nav

    header = (
        "Date,ProShares Name,Ticker,NAV,Prior NAV,NAV Change (%),NAV Change ($),"
        "Shares Outstanding (000),Assets Under Management\n"
    )
    rows = (
        '10/01/2026,"ProShares UltraPro QQQ",TQQQ,78.6484,77.9601,0.88,0.6883,485800,'
        '"$38,207,392,720"\n'
        '09/30/2026,"ProShares UltraPro QQQ",TQQQ,77.9601,77.4405,0.67,0.5196,483950,'
        '"$37,728,790,395"\n'
    )
    sub = tmp_path / "issuer"
    sub.mkdir()
    own = read_issuer_nav(_text(sub, "TQQQ-historical_nav.csv", header + rows))
    archive = read_issuer_nav(_text(tmp_path, "TQQQ.csv", NAV_HEADER + NAV_ROWS))
    pd.testing.assert_frame_equal(own, archive)
    bad = rows.replace(",TQQQ,77.9601", ",SQQQ,77.9601")
    with pytest.raises(GaemiInputError, match=r"line 3: ticker = 'SQQQ' differs from 'TQQQ'"):
        read_issuer_nav(_text(sub, "X.csv", header + bad))


def test_readers_end_their_rows_with_one_source_and_retrieval_time(
    shared_data: Path, tmp_path: Path
) -> None:
    # prices, derivatives and KSD lists stamp every row alike (_base._stamp): the source is
    # --source or file:FOLDER/NAME (the folder the file lies in), retrieved_at one UTC
    # timestamp (µs) per import, taken during the read
    import datetime as dt

    import pyarrow as pa

    from gaemi.data.importers.depository import read_ksd
    from gaemi.data.importers.derivatives import read_derivatives
    from gaemi.data.importers.prices import read_prices

    (tmp_path / "QQQ.csv").write_text("Date,Close\n2024-01-02,400\n2024-01-03,401\n")
    coin = shared_data / "crypto-derivatives/coinalyze-btc-perp-2022-2024"
    snaps = shared_data / "korea-holdings-ksd/seohak-index/daily-snapshots"
    cases = [
        (read_prices, tmp_path / "QQQ.csv", "prices", f"file:{tmp_path.name}/QQQ.csv"),
        (
            read_derivatives,
            coin / "funding_rate_history.csv",
            "derivatives",
            "file:coinalyze-btc-perp-2022-2024/funding_rate_history.csv",
        ),
        (
            read_ksd,
            snaps / "trading_daily_2026-05-11.csv",
            "ksd",
            "file:daily-snapshots/trading_daily_2026-05-11.csv",
        ),
    ]
    for read, path, kind, label in cases:
        for given, want in ((None, label), ("manual:test", "manual:test")):
            before = dt.datetime.now(dt.UTC)
            _, out = read(path, ImportOptions(kind=kind, source=given))
            after = dt.datetime.now(dt.UTC)
            (arrow,) = out.values() if isinstance(out, dict) else (out,)
            assert arrow.num_rows > 0, path.name
            assert arrow.column_names[-2:] == ["source", "retrieved_at"]
            assert set(arrow.column("source").to_pylist()) == {want}
            stamp = arrow.column("retrieved_at")
            assert stamp.type == pa.timestamp("us", tz="UTC")
            (when,) = set(stamp.to_pylist())
            assert before - dt.timedelta(microseconds=1) <= when <= after, path.name
