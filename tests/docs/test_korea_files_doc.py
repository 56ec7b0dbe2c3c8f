"""docs/korea.md §1, §2 (the AUM carry), §5 and §7 hold (issue 19 item 7): what the page
says of the depository files, the carry error, the research note's figures beside the
measured series and what the rest of gaemi reads from them is recomputed here from
../shared/data (the KSD readers ``gaemi.data.importers.ksd``, the issuer files, the
universe snapshots, the fund closes, ``gaemi.data.korean_share``) and from the embedded
default (the flows table), and compared with the page's text. Skipped without
../shared/data, except the embedded-default flows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "korea.md"
KSD = "korea-holdings-ksd"


def _flat() -> str:
    return " ".join(DOC.read_text(encoding="utf-8").split())


def _m(s: str) -> str:
    return s.replace("-", "−")


def _b(v: float, d: int = 1) -> str:
    return _m(f"{'-' if v < 0 else ''}${abs(v) / 1e9:.{d}f}B")


@pytest.fixture(scope="module")
def folder(shared_data: Path) -> dict[str, pd.DataFrame]:
    from gaemi.data.importers import ksd

    return ksd.read_ksd_folder(shared_data / KSD)


@pytest.fixture(scope="module")
def leveraged() -> set[str]:
    # the report's fund list for the note's claims (gaemi.app.report.claims_checked): the
    # issuer funds and every fund of the default universe with |leverage| > 1
    from gaemi.data import fund_history as fh
    from gaemi.data.universe import load_default_universe

    u = load_default_universe()
    return set(fh.ISSUER_FUNDS) | {
        str(t) for t, lev in zip(u.ticker, u.leverage, strict=True) if abs(lev) > 1
    }


# ------------------------------------------------------------------ §1 reading the files
def test_reading_the_files(shared_data: Path, folder: dict[str, pd.DataFrame]) -> None:
    from gaemi.data.importers import ksd

    text = _flat()
    daily = folder["custody_daily"]
    aapl = daily[daily["ticker"] == "AAPL"].set_index("as_of")
    assert bool(aapl.loc["2026-05-13", "reported_zero"])
    assert f"(AAPL on 2026-05-13 after {_b(aapl['holdings_usd'].loc['2026-05-12'], 2)} the" in text
    # stale lists: the share of a dropped list's (ISIN, amount) pairs that repeat the last
    # fresh list (the reader's rule, ksd.STALE_REPEAT_FRAC)
    w = ksd.read_custody_weekly(
        shared_data / KSD / "seohak-index" / "custody_weekly_clean.csv",
        duplicates="drop",
        keep_stale=True,
    )
    stale = set(w.attrs["stale_dates"])
    prev: set[tuple[str, float]] = set()
    frac = []
    for d in sorted(w["as_of"].unique()):
        rows = w[w["as_of"] == d]
        cur = set(zip(rows["isin"], rows["holdings_usd"], strict=True))
        if str(d)[:10] in stale:
            frac.append(len(cur & prev) / len(cur) * 100)
        else:
            prev = cur
    assert len(frac) == 7
    assert (
        f"repeat the previous list's amounts exactly for {min(frac):.0f}–{max(frac):.0f}%" in text
    )
    # valuation day: median |Δ ln(amount / close)| week to week, TSLA, with the as-of day's
    # close against the previous trading day's (us-adjclose-1993-2026/TSLA.csv)
    h = ksd.holdings_by_ticker(folder["custody_weekly"], ["TSLA"]).set_index("as_of")
    hold = h["holdings_usd"]
    px = pd.read_csv(shared_data / "us-adjclose-1993-2026" / "TSLA.csv", parse_dates=["Date"])
    p = px.set_index("Date")["Close"].sort_index()
    same = p.reindex(hold.index, method="ffill")
    before = pd.Series([p[p.index < d].iloc[-1] for d in hold.index], index=hold.index)

    def med(close: pd.Series) -> float:
        ratio = pd.Series(np.log(hold / close), index=hold.index)
        return float(np.median(np.abs(ratio.diff().dropna()))) * 100

    assert f"TSLA's {med(same):.1f}%, against {med(before):.1f}% with the previous close)" in text
    # §4: the 50th net buyer of the 1W lists (every run of the file)
    nb = folder["net_buys_1w"]
    last = nb.groupby("as_of")["net_buy_usd"].min() / 1e6
    assert (nb.groupby("as_of").size() == 50).all()
    assert f"(every value is positive; the 50th is ${last.min():.0f}–{last.max():.0f}M)" in text


# --------------------------------------------------------------- §2 the constant-share carry
def test_carry_error_on_the_issuer_files(shared_data: Path) -> None:
    # |shares_t · NAV_{t+h} / A_{t+h} − 1| over every start day t, issuer files from 2015
    from gaemi.data import fund_history as fh

    got = {}
    for tk, df in fh.load_issuer_funds(shared_data, ["TQQQ", "SQQQ"]).items():
        df = df[df.index >= pd.Timestamp("2015-01-01")]
        sh, nav, a = (df[c].to_numpy(float) for c in ("shares", "nav_usd", "aum_usd"))
        for h in (21, 252):
            e = np.abs(sh[:-h] * nav[h:] / a[h:] - 1) * 100
            got[tk, h] = (np.median(e), np.percentile(e, 90))
    text = _flat()
    t21, t252, s21, s252 = got["TQQQ", 21], got["TQQQ", 252], got["SQQQ", 21], got["SQQQ", 252]
    assert (
        f"misses TQQQ's AUM by a median {t21[0]:.0f}% (p90 {t21[1]:.0f}%) after h = 21 trading "
        f"days but {t252[0]:.0f}% (p90 {t252[1]:.0f}%) after 252, and SQQQ's by {s21[0]:.0f}% "
        f"(p90 {s21[1]:.0f}%) and {s252[0]:.0f}% (p90 {s252[1]:.0f}%)."
    ) in text


# ------------------------------------------------------- §5 the note's figures, measured
def _ratio_over(s: pd.Series, days: int) -> pd.Series:
    # s_t / s_{t−days}, the list nearest ``days`` earlier within ±4 days (the report's
    # two-month growth, gaemi.app.report.claims_checked)
    out = {}
    for d in s.index:
        target = d - pd.Timedelta(days=days)
        k = s.index.searchsorted(target)
        cands = [j for j in (k - 1, k) if 0 <= j < len(s)]
        j = min(cands, key=lambda j: abs((s.index[j] - target).days))
        if abs((s.index[j] - target).days) <= 4 and s.iloc[j] > 0:
            out[d] = float(s.loc[d] / s.iloc[j])
    return pd.Series(out, dtype=float)


@pytest.mark.slow
def test_note_table_is_the_data(
    shared_data: Path, folder: dict[str, pd.DataFrame], leveraged: set[str]
) -> None:
    from gaemi.data import fund_history as fh
    from gaemi.data.korean_share import fund_price, korean_share_daily

    text = _flat()
    w, daily = folder["custody_weekly"], folder["custody_daily"]
    jan = w[(w["as_of"] == "2026-01-12") & w["ticker"].isin(leveraged)]
    jan = jan.sort_values("holdings_usd", ascending=False)
    may = daily[(daily["as_of"] == "2026-05-11") & daily["ticker"].isin(leveraged)]
    n_may = int(may["holdings_usd"].notna().sum())
    assert (
        f"**{_b(jan['holdings_usd'].sum())}** on 2026-01-12 (weekly top 50: "
        f"{', '.join(jan['ticker'])}); **{_b(may['holdings_usd'].sum())}** on 2026-05-11 "
        f"(per-ISIN list: {n_may} leveraged funds with a value"
    ) in text
    lo, hi = jan["holdings_usd"].sum() / 1e9, may["holdings_usd"].sum() / 1e9
    assert f"as above, ${lo:.0f}–{hi:.0f}B in US-listed leveraged funds" in text
    etf = w[(w["as_of"] == "2026-01-12") & (w["kind"] == "ETF")]["holdings_usd"].sum()
    assert f"{_b(etf)} of ETFs in the 2026-01-12 top 50 alone" in text
    snaps = fh.load_snapshots(shared_data)
    when = snaps["aum_as_of"].astype(str).str[:10]
    june = snaps[when == "2026-06-01"].set_index("ticker")["aum_usd"]
    tq = fh.load_issuer_funds(shared_data, ["TQQQ"])["TQQQ"]["aum_usd"]
    tq26 = tq[tq.index >= pd.Timestamp("2026-01-01")]
    assert (
        f"TQQQ + SOXL were {_b(june['TQQQ'] + june['SOXL'])} on 2026-06-01, TQQQ alone "
        f"{_b(june['TQQQ'])} (its 2026 peak {_b(tq26.max())} on "
        f"{tq26.idxmax():%m-%d}, issuer file)"
    ) in text
    # the Korean share in 2026 (§2's method: korean_share_daily, observed days)
    sh = korean_share_daily(shared_data, ["TQQQ", "SOXL", "TSLL", "KORU"])
    sh["date"] = pd.to_datetime(sh["date"])
    obs = sh[(sh["basis"] == "observed") & sh["korean_share"].notna()]
    y26 = obs[obs["date"].dt.year == 2026].groupby("ticker")["korean_share"]
    r = {t: (y26.min()[t] * 100, y26.max()[t] * 100) for t in ("TQQQ", "SOXL", "TSLL")}
    assert (
        f"{r['TQQQ'][0]:.0f}–{r['TQQQ'][1]:.0f}% of TQQQ, {r['SOXL'][0]:.0f}–{r['SOXL'][1]:.0f}% "
        f"of SOXL, {r['TSLL'][0]:.0f}–{r['TSLL'][1]:.0f}% of TSLL in 2026 (§2)"
    ) in text
    # two-month growth of the weekly top-50 leveraged custody
    sums = w[w["ticker"].isin(leveraged)].groupby("as_of")["holdings_usd"].sum().sort_index()
    two = _ratio_over(sums, 61)
    years = pd.DatetimeIndex(two.index).year
    y25 = two[years == 2025]
    assert set(years[two.to_numpy() >= 2]) <= {2020, 2021, 2022}
    assert (
        f"grew by a median ×{two.median():.2f} per two months 2020–2026; ×2 or more in "
        f"{(two >= 2).mean() * 100:.0f}% of two-month windows, all in 2020–22 from a small base "
        f"(max ×{two.max():.2f} to {two.idxmax():%Y-%m-%d}); 2025 median ×{y25.median():.2f}, "
        f"max ×{y25.max():.2f}"
    ) in text
    five = ["NVDL", "QLD", "SOXL", "TQQQ", "TSLL"]
    a = w[(w["as_of"] == "2026-01-12") & w["ticker"].isin(five)]["holdings_usd"].sum()
    b = daily[(daily["as_of"] == "2026-05-11") & daily["ticker"].isin(five)]["holdings_usd"].sum()
    assert (
        f"same five funds 2026-01-12 {_b(a)} → 2026-05-11 {_b(b)} (×{b / a:.2f} in four months)"
    ) in text
    # prices (us-adjclose-1993-2026) and snapshot AUM of SOXL and KORU
    soxl, koru = fund_price(shared_data, "SOXL"), fund_price(shared_data, "KORU")

    def at(p: pd.Series, d: str) -> float:
        return float(p[p.index <= pd.Timestamp(d)].iloc[-1])

    s0, s1 = at(soxl, "2026-03-26"), at(soxl, "2026-06-01")
    snap = snaps.assign(when=when).set_index(["ticker", "when"])["aum_usd"]
    sa, sb = snap["SOXL", "2026-03-26"], snap["SOXL", "2026-06-01"]
    assert (
        f"SOXL rose from ${s0:.2f} (2026-03-26) to ${s1:.2f} (2026-06-01), ×{s1 / s0:.1f}, and "
        f"its AUM {_b(sa)} → {_b(sb)} (×{sb / sa:.1f})"
    ) in text
    ka, kb = snap["KORU", "2026-02-04"], snap["KORU", "2026-06-01"]
    assert f"{_b(ka, 2)} (2026-02-04) → {_b(kb, 2)} (2026-06-01), ×{kb / ka:.1f}" in text
    kc = daily[(daily["as_of"] == "2026-05-11") & (daily["ticker"] == "KORU")]["holdings_usd"]
    ks = sh[(sh["ticker"] == "KORU") & (sh["date"] == pd.Timestamp("2026-05-11"))]
    assert (
        f"Korean custody of KORU {_b(kc.iloc[0], 2)} on 2026-05-11 "
        f"({ks['korean_share'].iloc[0] * 100:.0f}% of its AUM)"
    ) in text
    k0, k1 = at(koru, "2025-12-31"), at(koru, "2026-06-01")
    assert f"18-fold needs a start near {_b(kb / 18, 2)} on 2026-01-01" in text
    assert f"rose ×{k1 / k0:.1f} (2025-12-31 ${k0:.2f} → 2026-06-01 ${k1:.2f})" in text
    # SOXL in the net-buy and settlement lists
    nb = folder["net_buys_1w"]
    first = nb[nb["as_of"] == "2026-03-08"].sort_values("rank").iloc[0]
    assert first["ticker"] == "SOXL"
    assert f"of 2026-03-08 ({_b(first['net_buy_usd'], 2)} net in 7 days)" in text
    sm = folder["settlement_monthly"]
    months = ["2026-01-01", "2026-02-01", "2026-03-01"]
    top = [
        sm[sm["month"].astype(str).str[:10] == m].sort_values("gross_usd").iloc[-1] for m in months
    ]
    assert [t["ticker"] for t in top] == ["SOXL"] * 3
    gross = ", ".join(_b(t["gross_usd"]) for t in top)
    net = [t["net_buy_usd"] for t in top]
    assert f"in Jan, Feb and Mar 2026 ({gross})" in text
    assert (
        f"in January ({_b(net[0], 2)}) and February ({_b(net[1], 2)}) and bought it in March "
        f"(+{_b(net[2], 2)})"
    ) in text


# ------------------------------------------------------------------ §7 what gaemi reads
def test_embedded_flows_by_holder() -> None:
    import gaemi

    fr = gaemi.flows(gaemi.load_state(), move_frac=-0.05).to_frame("by_holder")
    tot = fr[fr["ticker"] == "total"].iloc[0]
    known = int(fr[fr["ticker"] != "total"]["korean_share"].notna().sum())
    n = int((fr["ticker"] != "total").sum())
    cells = [
        _b(tot["flow_usd"], 2),
        _b(tot["korean_flow_usd"], 2),
        _b(tot["other_flow_usd"], 2),
        _b(tot["unattributed_flow_usd"], 2),
        f"{known} of {n}",
    ]
    assert "| embedded default (press shares) | " + " | ".join(cells) + " |" in _flat()


@pytest.mark.slow
def test_state_share_and_growth(
    shared_data: Path, folder: dict[str, pd.DataFrame], leveraged: set[str]
) -> None:
    # the state of 2026-05-13 is the start of the day: shares_on_day of the 05-12 close;
    # the growth indicator on the custody known then (and a day later)
    from gaemi.data.korean_share import korean_share_daily, shares_on_day
    from gaemi.monitor.indicators import depository_growth

    text = _flat()
    funds = ["TSLL", "TQQQ", "SOXL", "NVDL", "QLD"]
    day = shares_on_day(shared_data, "2026-05-12", funds).set_index("ticker")
    big = day[day["aum_usd"] >= 1e9]["korean_share"]
    assert big.idxmax() == "TSLL"
    t = day.loc["TSLL"]
    assert str(t["korean_as_of"])[:10] == "2026-05-12"
    assert (
        f"carried by its price to the 05-12 close ({_b(day['aum_usd'].loc['TSLL'], 2)}, share "
        f"{t['korean_share'] * 100:.1f}% on the 05-12 custody list)"
    ) in text
    assert f"(on 2026-05-13: TSLL {t['korean_share'] * 100:.1f}% on the 05-12 list;" in text
    # §2's table interpolates to the later snapshot
    sh = korean_share_daily(shared_data, ["TSLL"])
    r = sh[pd.to_datetime(sh["date"]) == pd.Timestamp("2026-05-13")].iloc[0]
    assert f"has {_b(r['aum_usd'])} and {r['korean_share'] * 100:.1f}% on 05-13." in text
    hold = pd.concat([folder["custody_weekly"], folder["custody_daily"]])
    hold = hold[hold["ticker"].isin(leveraged)][["as_of", "ticker", "holdings_usd", "source"]]

    def growth(upto: str) -> Any:
        g = depository_growth(hold[hold["as_of"] <= pd.Timestamp(upto)])
        assert g is not None
        return g

    g12, g13 = growth("2026-05-12"), growth("2026-05-13")
    assert f"KSD custody of {', '.join(five := sorted(funds))}:" in g12[1]
    assert five == ["NVDL", "QLD", "SOXL", "TQQQ", "TSLL"]

    def sums(detail: str) -> list[str]:
        return [x.strip().split(" ")[0] for x in detail.split(": ", 1)[1].split("→")]

    a12, b12 = sums(g12[1])
    _a13, b13 = sums(g13[1])
    assert (
        f"TQQQ, TSLL {a12} on 2026-01-12 → {b12} on the 05-12 list, ×{g12[0]:.2f} per 60 days; "
        f"to the 05-13 list, i.e. on 2026-05-14, → {b13}, ×{g13[0]:.2f}"
    ) in text
