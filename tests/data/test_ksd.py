"""KSD (SEIBro) readers: layouts, one-line refusals, unknown-not-zero, and the real files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaemi.data.importers import ksd
from gaemi.errors import GaemiInputError

TQQQ, SOXL, TSLA = "US74347X8314", "US25459W4583", "US88160R1014"
WEEKLY_HEAD = "\ufeffdate,stock,isin,ticker,name_en,amount,price_stock\n"


def _write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def _weekly(tmp: Path, rows: list[str]) -> Path:
    return _write(tmp, "custody_weekly_clean.csv", WEEKLY_HEAD + "\n".join(rows) + "\n")


GOOD_WEEKLY = [
    f"2024-07-29,ETF,{TQQQ},TQQQ,PROSHARES ULTRAPRO QQQ ETF,2800000000,70.1",
    f"2024-07-29,ETF,{SOXL},SOXL,DIREXION SOXL,1900000000,40.2",
    f"2024-08-05,ETF,{TQQQ},TQQQ,PROSHARES ULTRAPRO QQQ ETF,2500000000,60.3",
    f"2024-08-12,ETF,{TQQQ},TQQQ,PROSHARES ULTRAPRO QQQ ETF,2600000000,64.0",
    f"2024-08-12,ETF,{SOXL},SOXL,DIREXION SOXL,1500000000,35.0",
]


def test_isin_check_digit() -> None:
    # check digits of real ISINs (TQQQ, Apple) and a one-digit change that breaks them
    assert ksd.isin_ok(TQQQ)
    assert ksd.isin_ok("US0378331005")
    assert not ksd.isin_ok("US0378331006")
    assert not ksd.isin_ok("US037833100")


def test_weekly_tidy_and_absent_is_unknown(tmp_path: Path) -> None:
    df = ksd.read_custody_weekly(_weekly(tmp_path, GOOD_WEEKLY))
    assert list(df.columns[:7]) == [
        "as_of",
        "isin",
        "ticker",
        "name",
        "kind",
        "holdings_usd",
        "price_usd",
    ]
    assert df["holdings_usd"].sum() == pytest.approx(11.3e9)
    wide = ksd.holdings_by_ticker(df).pivot_table(
        index="as_of", columns="ticker", values="holdings_usd", aggfunc="sum"
    )
    # SOXL was not in the 2024-08-05 list: unknown, not zero
    assert math.isnan(wide.loc[pd.Timestamp("2024-08-05"), "SOXL"])
    store = ksd.to_store_holdings(df)
    assert list(store.columns) == ["ticker", "as_of", "korean_held_usd", "korean_share", "source"]
    assert store["source"].str.contains("custody_weekly_clean.csv").all()


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("2024-08-19,ETF,US74347X8315,TQQQ,X,1,1", "isin = 'US74347X8315' is not a valid ISIN"),
        (f"2024-08-19,ETF,{TQQQ},TQQQ,X,-5,1", "amount = -5 must be >= 0"),
        (f"2024-08-19,ETF,{TQQQ},TQQQ,X,abc,1", "amount = 'abc' is not a finite number"),
        (f"2024-08-19,ETF,{TQQQ},TQQQ,X,inf,1", "amount = 'inf' is not a finite number"),
        (f"19/08/2024,ETF,{TQQQ},TQQQ,X,1,1", "date = '19/08/2024' is not a YYYY-MM-DD date"),
        (f"2024-08-12,ETF,{TQQQ},TQQQ,X,1,1", "duplicate date for one security"),
        (f"2024-08-19,ETF,{TQQQ},,X,1,1", "ticker is missing"),
    ],
)
def test_weekly_bad_row_one_line(tmp_path: Path, row: str, needle: str) -> None:
    p = _weekly(tmp_path, [*GOOD_WEEKLY, row])
    with pytest.raises(GaemiInputError) as exc:
        ksd.read_custody_weekly(p)
    msg = str(exc.value)
    assert "\n" not in msg
    assert needle in msg
    assert "custody_weekly_clean.csv line 7" in msg or "line 7" in msg


def test_weekly_wrong_layout(tmp_path: Path) -> None:
    p = _write(tmp_path, "w.csv", "date,isin,ticker,value\n2024-01-01,US74347X8314,TQQQ,1\n")
    with pytest.raises(GaemiInputError, match=r"w.csv: not a KSD weekly custody file \(column"):
        ksd.read_custody_weekly(p)
    empty = _write(tmp_path, "e.csv", WEEKLY_HEAD)
    with pytest.raises(GaemiInputError, match="no rows"):
        ksd.read_custody_weekly(empty)


def test_weekly_duplicates_drop_and_exact(tmp_path: Path) -> None:
    rows = [*GOOD_WEEKLY, f"2024-08-12,ETF,{TQQQ},TQQQ,X,2700000000,64.0"]
    df = ksd.read_custody_weekly(_weekly(tmp_path, rows), duplicates="drop")
    # both conflicting TQQQ rows of 2024-08-12 are gone: that week is unknown for TQQQ
    sel = df[(df.ticker == "TQQQ") & (df.as_of == "2024-08-12")]
    assert sel.empty
    assert len(df.attrs["dropped"]) == 2
    # an exact repeat is kept once
    df2 = ksd.read_custody_weekly(_weekly(tmp_path, [*GOOD_WEEKLY, GOOD_WEEKLY[-1]]))
    assert len(df2) == len(GOOD_WEEKLY)
    assert df2.attrs["exact_duplicates"] == 1


def test_weekly_stale_copy_dropped(tmp_path: Path) -> None:
    # 2024-08-19 repeats every amount of 2024-08-12 (a list the scraper did not refresh)
    rows = [
        *GOOD_WEEKLY,
        f"2024-08-19,ETF,{TQQQ},TQQQ,X,2600000000,66.0",
        f"2024-08-19,ETF,{SOXL},SOXL,X,1500000000,36.0",
    ]
    df = ksd.read_custody_weekly(_weekly(tmp_path, rows))
    assert df.attrs["stale_dates"] == ["2024-08-19"]
    assert pd.Timestamp("2024-08-19") not in set(df["as_of"])
    kept = ksd.read_custody_weekly(_weekly(tmp_path, rows), keep_stale=True)
    assert pd.Timestamp("2024-08-19") in set(kept["as_of"])


def test_daily_zero_is_unknown_and_top50_needs_map(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        "custody_daily_2026-05-13.csv",
        "isin,ticker,name_en,amount,date\n"
        f"{TQQQ},TQQQ,x,4554657557.0,2026-05-13\n{TSLA},TSLA,x,0.0,2026-05-13\n",
    )
    df = ksd.read_custody_daily(p)
    assert df.loc[df.ticker == "TSLA", "reported_zero"].item()
    assert math.isnan(df.loc[df.ticker == "TSLA", "holdings_usd"].item())
    top = _write(
        tmp_path,
        "custody_daily_top50_20260421.csv",
        f"date,rank,isin,name_kr,amount\n2026-04-21,1,{TSLA},TESLA INC,24719600251\n",
    )
    with pytest.raises(GaemiInputError, match="pass isin_map"):
        ksd.read_custody_daily(top)
    with pytest.raises(GaemiInputError, match=r"US88160R1014' is unknown \(not in the ISIN map\)"):
        ksd.read_custody_daily(top, isin_map={TQQQ: "TQQQ"})
    ok = ksd.read_custody_daily(top, isin_map={TSLA: "TSLA"})
    assert ok["ticker"].tolist() == ["TSLA"]


NET_HEAD = (
    "date,period,country_filter,rank,country,isin,name,buy_amount,sell_amount,net_buy_amount\n"
)


def test_net_buys(tmp_path: Path) -> None:
    rows = [
        f"2026-03-08,1W,미국,1,미국,{SOXL},SOXL,1493437711,471083798,1022353913",
        f"2026-03-08,1W,미국,1,미국,{SOXL},SOXL,1493437711,471083798,1022353913",
        f"2026-03-08,1W,전체,1,미국,{SOXL},SOXL,1493437711,471083798,1022353913",
        "2026-03-08,1W,베트남,1,베트남,VN000000VNM8,X,5,1,4",
    ]
    p = _write(tmp_path, "1W_history.csv", NET_HEAD + "\n".join(rows) + "\n")
    df = ksd.read_net_buys(p, isin_map={SOXL: "SOXL"})
    assert len(df) == 1  # US list only, the exact repeat kept once
    assert df.attrs["exact_duplicates"] == 1
    assert df["net_buy_usd"].item() == 1022353913
    assert df["period_days"].item() == 7
    # the US rows must all be mapped; an unmapped ISIN is refused with its file line
    with pytest.raises(GaemiInputError, match=r"1W_history.csv line 2: isin = .* is unknown"):
        ksd.read_net_buys(p, isin_map={TQQQ: "TQQQ"})
    bad = rows[0].replace("1022353913", "1022353999")
    p2 = _write(tmp_path, "1W_bad.csv", NET_HEAD + bad + "\n")
    with pytest.raises(GaemiInputError, match="is not buy - sell"):
        ksd.read_net_buys(p2, isin_map={SOXL: "SOXL"})


def test_isin_map_conflicts(tmp_path: Path) -> None:
    csv = _write(tmp_path, "u.csv", f"isin,ticker,name_en\n{SOXL},SOXL,x\n{TQQQ},TQQQ,y\n")
    js = _write(tmp_path, "m.json", json.dumps({SOXL: "SOXL", TQQQ: "TQQQ2"}))
    m = ksd.read_isin_map(csv, js)
    assert ksd.isin_to_ticker(m) == {SOXL: "SOXL", TQQQ: "TQQQ"}
    assert len(m.attrs["conflicts"]) == 1
    badjs = _write(tmp_path, "b.json", json.dumps({"XX123": "A"}))
    with pytest.raises(GaemiInputError, match="is not a valid ISIN"):
        ksd.read_isin_map(badjs)


# ---------------------------------------------------------------------- the real files
def test_real_folder(shared_data: Path) -> None:
    r = ksd.read_ksd_folder(shared_data / "korea-holdings-ksd")
    w = r["custody_weekly"]
    # PROVENANCE.md: 314 dates, 15,085 rows; 7 stale copies and 6 conflicting pairs removed
    assert len(w.attrs["stale_dates"]) == 7
    assert len(w.attrs["dropped"]) == 12
    assert w["as_of"].nunique() == 314 - 7
    weeks = ksd.holdings_by_ticker(w).groupby("ticker").size()
    # PROVENANCE.md week counts (TQQQ 313, SOXL 259, TSLL 142) less the stale dates
    assert 300 <= weeks["TQQQ"] <= 313
    assert 250 <= weeks["SOXL"] <= 259
    assert 135 <= weeks["TSLL"] <= 142
    # KSD's own H1-2025 release (etoday.co.kr/news/view/2487385, PROVENANCE.md): TSLA
    row = w[(w.ticker == "TSLA") & (w.as_of == "2025-06-30")]
    assert row["holdings_usd"].item() == 21_293_986_028
    # SQQQ has three ISINs in the weekly list (reverse splits) and one more in 2026
    assert w.loc[w.ticker == "SQQQ", "isin"].nunique() == 3
    imap = ksd.isin_to_ticker(r["isin_map"])
    assert imap["US74350P6759"] == "SQQQ"
    daily = r["custody_daily"]
    sqqq = daily[(daily.ticker == "SQQQ")]
    assert sqqq["reported_zero"].all()  # the pre-split ISIN's 0.0 is unknown
    nb = r["net_buys_1w"]
    assert nb["as_of"].min() == pd.Timestamp("2026-03-08")
    assert (nb.ticker == "SOXL").sum() >= 50  # PROVENANCE.md: SOXL 53 weekly US rows


# ---------------------------------------------------------------------- Korean share
def _fund_folder(tmp: Path, *, nav: bool) -> tuple[Path, pd.Series]:
    """A fund FUNDX: adjusted closes rising 1% a day; issuer AUM = price × 10M shares."""
    days = pd.bdate_range("2024-01-01", "2024-03-29")
    price = pd.Series(100.0 * 1.01 ** np.arange(len(days)), index=days)
    (tmp / "us-adjclose-1993-2026").mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Close": price.to_numpy()}).to_csv(
        tmp / "us-adjclose-1993-2026" / "FUNDX.csv", index=False
    )
    if nav:
        (tmp / "us-letf-nav-proshares").mkdir(exist_ok=True)
        shares_k = 10_000.0
        pd.DataFrame(
            {
                "date": days.strftime("%Y-%m-%d"),
                "nav": price.round(4).to_numpy(),
                "prior_nav": price.shift(fill_value=100.0).round(4).to_numpy(),
                "shares_outstanding_thousands": shares_k,
                "aum_usd": (price.round(4) * shares_k * 1000).to_numpy(),
            }
        ).to_csv(tmp / "us-letf-nav-proshares" / "FUNDX.csv", index=False)
    return tmp, price


def test_korean_share_observed_carried_unknown(tmp_path: Path) -> None:
    from gaemi.data.korean_share import korean_share_daily

    root, price = _fund_folder(tmp_path, nav=True)
    hold = pd.DataFrame(
        {
            "as_of": pd.to_datetime(["2024-01-08", "2024-01-15", "2024-01-29"]),
            "ticker": "FUNDX",
            "holdings_usd": [100e6, 110e6, 90e6],
            "source": "test",
        }
    )
    t = korean_share_daily(root, ["FUNDX"], start="2024-01-01", holdings=hold).set_index("date")
    # before the first observation: unknown
    assert math.isnan(t.loc["2024-01-05", "korean_held_usd"])
    # observed day: the figure itself, share = holdings / issuer AUM (price × 10M shares)
    assert t.loc["2024-01-08", "basis"] == "observed"
    aum = round(price["2024-01-08"], 4) * 1e7
    assert t.loc["2024-01-08", "korean_share"] == pytest.approx(100e6 / aum)
    # carried by the fund's own return: 4 trading days at +1% a day
    assert t.loc["2024-01-12", "basis"] == "estimated"
    assert t.loc["2024-01-12", "korean_held_usd"] == pytest.approx(100e6 * 1.01**4)
    assert t.loc["2024-01-12", "korean_as_of"] == pd.Timestamp("2024-01-08")
    # 2024-01-15 + 8 days: carried to 01-22, unknown 01-23 .. 01-26 (no list that week)
    assert t.loc["2024-01-22", "basis"] == "estimated"
    assert math.isnan(t.loc["2024-01-23", "korean_held_usd"])
    assert t.loc["2024-01-23", "basis"] == ""
    assert t.loc["2024-01-29", "korean_held_usd"] == 90e6


SNAP_HEAD = (
    "ticker,name,underlying_asset,underlying_ticker,leverage,direction,created_at,fund_type,"
    "price,avg_volume,aum,expense_ratio,fund_family,asset_class,updated_at,url,exchange,"
    "inception_date,percent_change_from_prev_day,ytd_returns,options_enabled,"
    "options_expiration_type\n"
)


def test_aum_from_snapshot_within_carry_limit(tmp_path: Path) -> None:
    from gaemi.data.korean_share import MAX_AUM_CARRY_DAYS, fund_aum

    root, price = _fund_folder(tmp_path, nav=False)
    (root / "us-letf-universe-2026").mkdir()
    stamp = "2024-02-15T19:43:26+00:00"
    row = (
        f"FUNDX,Fund X,Nasdaq-100 Index,,3x,long,{stamp},Index,1,1,500000000,0.9,Issuer,"
        f"equity,{stamp},u,NYSE,2010-01-01,0,0,True,Weekly\n"
    )
    (root / "us-letf-universe-2026" / "leveraged_etf_data_2024-02-16.csv").write_text(
        SNAP_HEAD + row, encoding="utf-8"
    )
    days = pd.DatetimeIndex(price.index)
    a = fund_aum(root, "FUNDX", days)
    k = days.get_loc(pd.Timestamp("2024-02-15"))
    assert a["aum_usd"].iloc[k] == pytest.approx(500e6)
    # constant shares along the price: 21 trading days later the AUM grew 1.01**21
    assert a["aum_usd"].iloc[k + MAX_AUM_CARRY_DAYS] == pytest.approx(500e6 * 1.01**21)
    assert "carried 21 trading days" in a["aum_source"].iloc[k + MAX_AUM_CARRY_DAYS]
    assert math.isnan(a["aum_usd"].iloc[k + MAX_AUM_CARRY_DAYS + 1])
    assert math.isnan(a["aum_usd"].iloc[k - MAX_AUM_CARRY_DAYS - 1])


def test_real_shares(shared_data: Path) -> None:
    from gaemi.data.korean_share import korean_share_daily

    t = korean_share_daily(shared_data, ["TQQQ", "SOXL"], start="2024-07-01", end="2026-06-30")
    t = t.set_index(["ticker", "date"])
    # TQQQ 2024-08-05: KSD weekly custody / the issuer's net assets that day (both files)
    w = ksd.read_custody_weekly(
        shared_data / "korea-holdings-ksd/seohak-index/custody_weekly_clean.csv",
        duplicates="drop",
    )
    held = w[(w.ticker == "TQQQ") & (w.as_of == "2024-08-05")]["holdings_usd"].item()
    from gaemi.data.importers.issuer_nav import read_issuer_nav

    nav = read_issuer_nav(shared_data / "us-letf-nav-proshares/TQQQ.csv").set_index("date")
    row = t.loc[("TQQQ", pd.Timestamp("2024-08-05"))]
    assert row["korean_share"] == pytest.approx(held / nav.loc["2024-08-05", "aum_usd"])
    assert row["aum_source"].startswith("reported")
    # SOXL in 2024 has no AUM within 21 trading days of a snapshot: share unknown
    assert math.isnan(t.loc[("SOXL", pd.Timestamp("2024-08-05")), "korean_share"])
    assert t.loc[("SOXL", pd.Timestamp("2024-08-05")), "korean_held_usd"] > 0


# ---------------------------------------------------------------------- live adapter
# Responses constructed from the layout PROVENANCE.md documents (no recorded response
# exists): rows with RNUM, NATION_NM, ISIN, KOR_SECN_NM, SUM_FRSEC_AMT.
HOLD_XML = f"""<vector result="1"><data vectorkey="0">
<result><RNUM value="1"/><NATION_NM value="미국"/><ISIN value="{TSLA}"/>
<KOR_SECN_NM value="TESLA INC"/><SUM_FRSEC_AMT value="24719600251"/></result>
<result><RNUM value="2"/><NATION_NM value="미국"/><ISIN value="{TQQQ}"/>
<KOR_SECN_NM value="PROSHARES ULTRAPRO QQQ"/><SUM_FRSEC_AMT value="3780806415"/></result>
</data></vector>"""


def test_live_request_and_parser() -> None:
    import datetime as dt

    from gaemi.data.live import ksd as live

    assert live.TESTED_LIVE is False
    headers, body = live.build_request(
        live.SETTLEMENT, end=dt.date(2026, 3, 9), start=dt.date(2026, 3, 2), d_type="net_buy"
    )
    assert headers["submissionid"] == "submission_getImptFrcurStkSetlAmtList"
    assert b'<D_TYPE value="4"/>' in body
    assert b'<START_DT value="20260302"/>' in body
    df = live.parse_response(HOLD_XML.encode(), live.HOLDINGS, as_of=dt.date(2026, 4, 21))
    assert df["isin"].tolist() == [TSLA, TQQQ]
    assert df["holdings_usd"].tolist() == [24719600251.0, 3780806415.0]
    assert "untested" in df["source"].iloc[0]
    # element-text variant and a settlement row
    settle = (
        f"<r><row><RNUM>1</RNUM><ISIN>{SOXL}</ISIN><SUM_FRSEC_BUY_AMT>1,493,437,711"
        "</SUM_FRSEC_BUY_AMT><SUM_FRSEC_NET_BUY_AMT>-5</SUM_FRSEC_NET_BUY_AMT></row></r>"
    )
    s = live.parse_response(
        settle.encode(), live.SETTLEMENT, as_of=dt.date(2026, 3, 9), period_days=8
    )
    assert s["buy_usd"].item() == 1493437711.0
    assert s["net_buy_usd"].item() == -5.0


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"<html>maintenance", "not XML"),
        (b"<vector><error value='session expired'/></vector>", "answered an error: session"),
        (b"<vector><data/></vector>", "no rows"),
        (HOLD_XML.replace("24719600251", "-1").encode(), "SUM_FRSEC_AMT = -1 must be >= 0"),
        (HOLD_XML.replace(TQQQ, TSLA).encode(), "appears twice"),
        (HOLD_XML.replace(TQQQ, "US74347X8315").encode(), "is not a valid ISIN"),
        (HOLD_XML.replace("3780806415", "n/a").encode(), "'n/a' is not a number"),
    ],
)
def test_live_parser_refuses(payload: bytes, needle: str) -> None:
    import datetime as dt

    from gaemi.data.live import ksd as live

    with pytest.raises(GaemiInputError) as exc:
        live.parse_response(payload, live.HOLDINGS, as_of=dt.date(2026, 4, 21))
    assert needle in str(exc.value)
    assert "\n" not in str(exc.value)


def test_live_fetch_retries_then_one_line() -> None:
    import datetime as dt
    import urllib.error

    from gaemi.data.live import ksd as live

    calls: list[object] = []

    def down(req: object, timeout: float) -> object:
        calls.append(req)
        raise urllib.error.URLError("offline")

    with pytest.raises(GaemiInputError, match=r"no answer after 3 tries \(offline\)"):
        live.fetch(live.HOLDINGS, end=dt.date(2026, 4, 21), opener=down, sleep=lambda s: None)
    assert len(calls) == 3
