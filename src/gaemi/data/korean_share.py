"""Korean share of a fund over time: KSD custody / the fund's AUM on the same day.

For every trading day of a fund, from a folder laid out like ``../shared/data``:

* ``korean_held_usd`` — the depository's custody figure on its as-of day (``basis``
  ``observed``); on the days after it, up to the next observation and at most
  :data:`MAX_GAP_DAYS` calendar days, the last figure carried by the fund's own return
  (H_t = H_obs · P_t / P_obs, ``estimated``: no buying or selling assumed); otherwise
  unknown (NaN, basis ""), e.g. while the fund is out of the top 50 or after the data end.
* ``aum_usd`` — the issuer's daily net assets where published (the eight ProShares funds,
  ``aum_source`` ``reported``); otherwise the monthly 2026 universe snapshots, each as
  shares = AUM/price carried along the fund's own adjusted close and interpolated between
  snapshots (:func:`gaemi.core.history.aum_from_anchors`), used only within
  :data:`MAX_AUM_CARRY_DAYS` trading days of a snapshot (beyond it the AUM — and so the
  share — is unknown: with constant shares the AUM of TQQQ is off by a median 6% after
  21 trading days but 23% after 252, SQQQ's by 12% and 89%; measured on the issuer files).
* ``korean_share`` = korean_held_usd / aum_usd with ``korean_as_of`` (the observation it
  comes from), ``source_korean`` and ``aum_source``.

``H6``'s general AUM-per-day estimator (``gaemi.data.fund_history.sourced_aum``) builds on
the same :func:`~gaemi.core.history.aum_from_anchors`; this module calls that core
function directly and adds the carry limit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

KSD_DIR = "korea-holdings-ksd"
ADJCLOSE_DIR = "us-adjclose-1993-2026"
ISSUER_DIR = "us-letf-nav-proshares"
UNIVERSE_DIR = "us-letf-universe-2026"

#: The funds of the must-show table.
STUDY_FUNDS: tuple[str, ...] = ("TQQQ", "SOXL", "TSLL", "NVDL", "SQQQ", "SOXS")
#: Calendar days a custody figure is carried forward: the weekly lists are 6-8 days apart
#: (17 irregular gaps up to 14 days); a fund missing from the next list is unknown.
MAX_GAP_DAYS = 8
#: Trading days a snapshot's shares are carried along the price (see module docstring).
MAX_AUM_CARRY_DAYS = 21
#: A one-day price ratio beyond this is an unadjusted split in the price file (SOXS
#: 2026-05-26, 1146.15 -> 62.18, PROVENANCE.md); the earlier prices are rescaled.
SPLIT_RATIO = 4.0


def _root(root: str | Path) -> Path:
    p = Path(root)
    if not p.is_dir():
        raise GaemiInputError(f"data-dir {str(p)!r} is not a folder")
    return p


def fund_price(root: str | Path, ticker: str) -> pd.Series:
    """The fund's adjusted close (``us-adjclose-1993-2026/<TICKER>.csv``), unadjusted
    split days repaired (a one-day ratio above :data:`SPLIT_RATIO` rescales the past)."""
    import pandas as pd

    f = _root(root) / ADJCLOSE_DIR / f"{ticker}.csv"
    if not f.is_file():
        raise GaemiInputError(f"ticker = {ticker!r}: no price file {f.name} in {ADJCLOSE_DIR}")
    df = pd.read_csv(f)
    if list(df.columns[:2]) != ["Date", "Close"]:
        raise GaemiInputError(f"{f.name}: expected columns Date,Close")
    s = pd.Series(
        df["Close"].to_numpy(float), index=pd.DatetimeIndex(pd.to_datetime(df["Date"]))
    ).sort_index()
    s = s[np.isfinite(s.to_numpy()) & (s.to_numpy() > 0)]
    s = s[~s.index.duplicated(keep="last")]
    ratio = (s / s.shift()).to_numpy()
    v = s.to_numpy().copy()
    for k in np.flatnonzero((ratio > SPLIT_RATIO) | (ratio < 1 / SPLIT_RATIO)):
        v[:k] *= ratio[k]
    return pd.Series(v, index=s.index, name=ticker)


def korean_holdings(root: str | Path, tickers: Sequence[str] | None = None) -> pd.DataFrame:
    """Every dated KSD custody figure of the funds: ``as_of, ticker, holdings_usd, source``.

    The weekly top-50 list (2020-01 .. 2026-01), the 2026-04-21 top-50 list and the
    2026-05-11..13 per-ISIN snapshots (a reported 0.0 is unknown and left out).
    """
    import pandas as pd

    from gaemi.data.importers import ksd

    r = _root(root) / KSD_DIR
    if not r.is_dir():
        raise GaemiInputError(f"no {KSD_DIR}/ folder in {str(root)!r}")
    folder = ksd.read_ksd_folder(r)
    parts = [ksd.holdings_by_ticker(folder["custody_weekly"], tickers)]
    if "custody_daily" in folder:
        parts.append(ksd.holdings_by_ticker(folder["custody_daily"], tickers))
    out = pd.concat(parts, ignore_index=True)[["as_of", "ticker", "holdings_usd", "source"]]
    out = out.sort_values(["ticker", "as_of"]).drop_duplicates(["ticker", "as_of"], keep="first")
    return out.reset_index(drop=True)


def fund_aum(root: str | Path, ticker: str, days: pd.DatetimeIndex) -> pd.DataFrame:
    """AUM on ``days`` (the fund's trading days): ``aum_usd`` (NaN where unknown),
    ``aum_source`` (``reported``, ``snapshot``, ``interpolated``, ``carried N d`` or "")."""
    import pandas as pd

    from gaemi.core.history import AUM_SOURCES, SRC_CARRIED, aum_from_anchors

    rt = _root(root)
    out = pd.DataFrame(index=days, data={"aum_usd": np.nan, "aum_source": ""})
    nav_file = rt / ISSUER_DIR / f"{ticker}.csv"
    if nav_file.is_file():
        from gaemi.data.importers.issuer_nav import read_issuer_nav

        nav = read_issuer_nav(nav_file, ticker=ticker).set_index("date")["aum_usd"]
        a = nav.reindex(days)
        ok = a.notna() & (a > 0)
        out.loc[ok, "aum_usd"] = a[ok]
        out.loc[ok, "aum_source"] = "reported (issuer NAV file)"
        return out
    snaps_dir = rt / UNIVERSE_DIR
    if not snaps_dir.is_dir():
        return out
    from gaemi.data.importers.universe_snapshot import read_universe_snapshot

    price = fund_price(rt, ticker).reindex(days)
    snap = np.full(len(days), np.nan)
    for f in sorted(snaps_dir.glob("leveraged_etf_data_*.csv")):
        s = read_universe_snapshot(f)
        row = s[s["ticker"] == ticker]
        if row.empty or not np.isfinite(row["aum_usd"].iloc[0]):
            continue
        k = int(days.searchsorted(pd.Timestamp(row["aum_as_of"].iloc[0]), side="right")) - 1
        if k >= 0 and np.isfinite(price.iloc[k]):
            snap[k] = float(row["aum_usd"].iloc[0])
    if not np.isfinite(snap).any():
        return out
    res = aum_from_anchors(
        days.to_numpy(), price.to_numpy()[None, :], snap[None, :], ticker=[ticker]
    )
    code = res.source[0]
    anc = np.flatnonzero(np.isfinite(snap))
    idx = np.arange(len(days))
    dist = np.min(np.abs(idx[:, None] - anc[None, :]), axis=1)
    keep = (code != 0) & ((code != SRC_CARRIED) | (dist <= MAX_AUM_CARRY_DAYS))
    label = np.array([AUM_SOURCES[c] for c in code], dtype=object)
    carried = code == SRC_CARRIED
    label[carried] = [f"carried {d} trading days from a snapshot" for d in dist[carried]]
    label = np.where(code == SRC_CARRIED, label, [f"{x} (universe snapshots)" for x in label])
    out.loc[keep, "aum_usd"] = res.aum_usd[0][keep]
    out.loc[keep, "aum_source"] = label[keep]
    return out


def korean_share_daily(
    root: str | Path,
    tickers: Sequence[str] = STUDY_FUNDS,
    *,
    start: str | dt.date = "2020-01-01",
    end: str | dt.date | None = None,
    holdings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Korean holdings, AUM and Korean share per fund and trading day.

    Returns
    -------
    pandas.DataFrame
        ``date, ticker, korean_held_usd, basis (observed | estimated | ""), korean_as_of,
        source_korean, aum_usd, aum_source, korean_share`` — NaN where unknown.
    """
    import pandas as pd

    rt = _root(root)
    hold = holdings if holdings is not None else korean_holdings(rt, tickers)
    frames = []
    for t in tickers:
        price = fund_price(rt, t)
        price = price[price.index >= pd.Timestamp(start)]
        if end is not None:
            price = price[price.index <= pd.Timestamp(end)]
        days = pd.DatetimeIndex(price.index)
        if len(days) == 0:
            continue
        h = hold[hold["ticker"] == t]
        held = np.full(len(days), np.nan)
        basis = np.full(len(days), "", dtype=object)
        as_of = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
        src = np.full(len(days), "", dtype=object)
        obs_days = h["as_of"].to_numpy(dtype="datetime64[ns]")
        # each observation sits on the last trading day on or before its as-of date
        pos = days.searchsorted(obs_days, side="right") - 1
        order = np.argsort(pos, kind="stable")
        pv = price.to_numpy()
        for j, oi in enumerate(order):
            k = int(pos[oi])
            if k < 0:
                continue
            value = float(h["holdings_usd"].iloc[oi])
            nxt_day = days[int(pos[order[j + 1]])] if j + 1 < len(order) else pd.Timestamp.max
            limit = min(nxt_day, pd.Timestamp(obs_days[oi]) + pd.Timedelta(days=MAX_GAP_DAYS))
            held[k] = value
            basis[k] = "observed"
            as_of[k] = obs_days[oi]
            src[k] = h["source"].iloc[oi]
            m = k + 1
            while m < len(days) and days[m] < limit:
                held[m] = value * pv[m] / pv[k]
                basis[m] = "estimated"
                as_of[m] = obs_days[oi]
                src[m] = h["source"].iloc[oi]
                m += 1
        aum = fund_aum(rt, t, days)
        df = pd.DataFrame(
            {
                "date": days,
                "ticker": t,
                "korean_held_usd": held,
                "basis": basis,
                "korean_as_of": as_of,
                "source_korean": src,
                "aum_usd": aum["aum_usd"].to_numpy(float),
                "aum_source": aum["aum_source"].to_numpy(),
            }
        )
        df["korean_share"] = df["korean_held_usd"] / df["aum_usd"]
        frames.append(df)
    if not frames:
        raise GaemiInputError("no price data for any of the funds asked")
    return pd.concat(frames, ignore_index=True)


def share_on(table: pd.DataFrame, day: str | dt.date) -> pd.DataFrame:
    """Each fund's row on ``day`` (the last trading day on or before it) from
    :func:`korean_share_daily`; a fund with no row by then is left out."""
    import pandas as pd

    d = pd.Timestamp(day)
    sub = table[table["date"] <= d]
    return sub.sort_values("date").groupby("ticker", sort=True).tail(1).reset_index(drop=True)
