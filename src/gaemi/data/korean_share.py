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

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.data.store import Store

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


def _root(root: str | Path | Store) -> Path:
    if _is_store(root):
        raise GaemiInputError("a folder is needed here, not a store")
    p = Path(root)  # type: ignore[arg-type]
    if not p.is_dir():
        raise GaemiInputError(f"data-dir {str(p)!r} is not a folder")
    return p


def _is_store(source: object) -> bool:
    from gaemi.data.store import Store

    return isinstance(source, Store)


def repair_splits(s: pd.Series) -> pd.Series:
    """Positive finite closes, one per day, oldest first, with unadjusted split days
    repaired (a one-day ratio above :data:`SPLIT_RATIO` rescales the earlier prices)."""
    import pandas as pd

    s = s.sort_index()
    s = s[np.isfinite(s.to_numpy()) & (s.to_numpy() > 0)]
    s = s[~s.index.duplicated(keep="last")]
    ratio = (s / s.shift()).to_numpy()
    v = s.to_numpy().copy()
    for k in np.flatnonzero((ratio > SPLIT_RATIO) | (ratio < 1 / SPLIT_RATIO)):
        v[:k] *= ratio[k]
    return pd.Series(v, index=s.index, name=s.name)


def fund_price(root: str | Path | Store, ticker: str) -> pd.Series:
    """The fund's adjusted close (``us-adjclose-1993-2026/<TICKER>.csv``, or the store's
    ``prices`` of the ticker), unadjusted split days repaired (a one-day ratio above
    :data:`SPLIT_RATIO` rescales the past)."""
    import pandas as pd

    if _is_store(root):
        px = root.prices(ticker)  # type: ignore[union-attr]
        if px.empty:
            raise GaemiInputError(f"ticker = {ticker!r}: no prices in the store")
        col = "adj_close" if "adj_close" in px and px["adj_close"].notna().any() else "close"
        return repair_splits(
            pd.Series(
                px[col].to_numpy(float),
                index=pd.DatetimeIndex(pd.to_datetime(px["date"])),
                name=ticker,
            )
        )
    f = _root(root) / ADJCLOSE_DIR / f"{ticker}.csv"
    if not f.is_file():
        raise GaemiInputError(f"ticker = {ticker!r}: no price file {f.name} in {ADJCLOSE_DIR}")
    df = pd.read_csv(f)
    if list(df.columns[:2]) != ["Date", "Close"]:
        raise GaemiInputError(f"{f.name}: expected columns Date,Close")
    return repair_splits(
        pd.Series(
            df["Close"].to_numpy(float),
            index=pd.DatetimeIndex(pd.to_datetime(df["Date"])),
            name=ticker,
        )
    )


def korean_holdings(root: str | Path | Store, tickers: Sequence[str] | None = None) -> pd.DataFrame:
    """Every dated KSD custody figure of the funds: ``as_of, ticker, holdings_usd, source``.

    The weekly top-50 list (2020-01 .. 2026-01), the 2026-04-21 top-50 list and the
    2026-05-11..13 per-ISIN snapshots (a reported 0.0 is unknown and left out). From a
    store: its ``ksd_holdings`` table (``gaemi data import --kind ksd``), the ISINs of a
    fund summed per date and list, the weekly list first when lists share a date.
    """
    import pandas as pd

    if _is_store(root):
        return _store_holdings(root, tickers)  # type: ignore[arg-type]

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


def _store_holdings(store: Store, tickers: Sequence[str] | None) -> pd.DataFrame:
    import pandas as pd

    cols = ["as_of", "ticker", "holdings_usd", "source"]
    df = store.ksd_holdings()
    df = df[df["ticker"].notna() & df["holdings_usd"].notna()]
    if tickers is not None:
        df = df[df["ticker"].isin(list(tickers))]
    if df.empty:
        return pd.DataFrame(columns=cols)
    df = df.assign(as_of=pd.to_datetime(df["as_of"]), _w=(df["list"] != "weekly_top50"))
    g = df.groupby(["ticker", "as_of", "list", "_w"], as_index=False).agg(
        holdings_usd=("holdings_usd", "sum"), source=("source", "first")
    )
    g = g.sort_values(["ticker", "as_of", "_w"]).drop_duplicates(["ticker", "as_of"])
    return g[cols].reset_index(drop=True)


#: Within :func:`store_lookups`: the store and the symbols it has closes / issuer rows for.
_LOOKUPS: contextvars.ContextVar[tuple[object, frozenset[str], frozenset[str]] | None] = (
    contextvars.ContextVar("gaemi_store_lookups", default=None)
)


@contextlib.contextmanager
def store_lookups(store: Store) -> Iterator[None]:
    """Answer :func:`has_price` and "has issuer rows" for ``store`` from two queries made
    once, for the duration of the block (a state load asks them for every fund of the
    universe: 500+ single-symbol scans of the prices table otherwise). The store must not
    be written inside the block."""
    priced = frozenset(
        r[0] for r in store.con.execute("SELECT DISTINCT symbol FROM prices").fetchall()
    )
    navs = frozenset(
        r[0] for r in store.con.execute("SELECT DISTINCT ticker FROM fund_nav").fetchall()
    )
    token = _LOOKUPS.set((store, priced, navs))
    try:
        yield
    finally:
        _LOOKUPS.reset(token)


def _known(root: object, which: int, symbol: str) -> bool | None:
    """True/False from the :func:`store_lookups` in force for ``root``, else None."""
    got = _LOOKUPS.get()
    if got is None or got[0] is not root:
        return None
    return symbol in (got[1] if which == 1 else got[2])


def _nav_aum(root: str | Path | Store, ticker: str) -> tuple[pd.Series | None, str]:
    """The issuer's daily net assets of the fund (date-indexed) and their label."""
    import pandas as pd

    if _is_store(root):
        if _known(root, 2, ticker) is False:
            return None, ""
        nav = root.fund_nav(ticker)  # type: ignore[union-attr]
        if nav.empty:
            return None, ""
        s = pd.Series(
            nav["aum_usd"].to_numpy(float), index=pd.DatetimeIndex(pd.to_datetime(nav["date"]))
        )
        return s, "reported (issuer NAV, store fund_nav)"
    nav_file = _root(root) / ISSUER_DIR / f"{ticker}.csv"
    if not nav_file.is_file():
        return None, ""
    from gaemi.data.importers.issuer_nav import read_issuer_nav

    s = read_issuer_nav(nav_file, ticker=ticker).set_index("date")["aum_usd"]
    return s, "reported (issuer NAV file)"


def _snapshot_anchors(root: str | Path | Store, ticker: str) -> list[tuple[pd.Timestamp, float]]:
    """(aum_as_of, aum_usd) of the fund in every universe snapshot that lists it."""
    import pandas as pd

    out: list[tuple[pd.Timestamp, float]] = []
    if _is_store(root):
        df = root.fetch_df(  # type: ignore[union-attr]
            "SELECT aum_as_of, aum_usd FROM universe_snapshots WHERE ticker = ? "
            "AND aum_usd IS NOT NULL ORDER BY as_of",
            [ticker],
        )
        for d, a in zip(df["aum_as_of"], df["aum_usd"], strict=True):
            if pd.notna(d) and np.isfinite(a):
                out.append((pd.Timestamp(d), float(a)))
        return out
    snaps_dir = _root(root) / UNIVERSE_DIR
    if not snaps_dir.is_dir():
        return out
    from gaemi.data.importers.universe_snapshot import read_universe_snapshot

    for f in sorted(snaps_dir.glob("leveraged_etf_data_*.csv")):
        s = read_universe_snapshot(f)
        row = s[s["ticker"] == ticker]
        if row.empty or not np.isfinite(row["aum_usd"].iloc[0]):
            continue
        out.append((pd.Timestamp(row["aum_as_of"].iloc[0]), float(row["aum_usd"].iloc[0])))
    return out


def fund_aum(root: str | Path | Store, ticker: str, days: pd.DatetimeIndex) -> pd.DataFrame:
    """AUM on ``days`` (the fund's trading days): ``aum_usd`` (NaN where unknown),
    ``aum_source`` (``reported``, ``snapshot``, ``interpolated``, ``carried N d`` or "").

    A snapshot dated after the last of ``days`` is not used (no look-ahead when ``days``
    ends on a replay day)."""
    import pandas as pd

    from gaemi.core.history import AUM_SOURCES, SRC_CARRIED, aum_from_anchors

    out = pd.DataFrame(index=days, data={"aum_usd": np.nan, "aum_source": ""})
    nav, nav_label = _nav_aum(root, ticker)
    if nav is not None:
        a = nav.reindex(days)
        ok = a.notna() & (a > 0)
        out.loc[ok, "aum_usd"] = a[ok]
        out.loc[ok, "aum_source"] = nav_label
        return out
    anchors = [(d, a) for d, a in _snapshot_anchors(root, ticker) if len(days) and d <= days[-1]]
    if not anchors:
        return out
    price = fund_price(root, ticker).reindex(days)
    snap = np.full(len(days), np.nan)
    for d, value in anchors:
        k = int(days.searchsorted(d, side="right")) - 1
        if k >= 0 and np.isfinite(price.iloc[k]):
            snap[k] = value
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
    root: str | Path | Store,
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

    rt = root if _is_store(root) else _root(root)
    hold = holdings if holdings is not None else korean_holdings(rt, tickers)
    if end is not None:  # an observation after the last day is not known then
        hold = hold[pd.to_datetime(hold["as_of"]) <= pd.Timestamp(end)]
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


#: Calendar days a per-day share row may lag the day it describes (the custody carry).
SHARE_ROW_MAX_LAG_DAYS = MAX_GAP_DAYS


def has_price(root: str | Path | Store, ticker: str) -> bool:
    """True if the folder or store has the fund's closes (needed to carry figures)."""
    if _is_store(root):
        known = _known(root, 1, ticker)
        if known is not None:
            return known
        rows = root.con.execute(  # type: ignore[union-attr]
            "SELECT count(*) FROM prices WHERE symbol = ?", [ticker]
        ).fetchall()
        return bool(rows[0][0])
    return (_root(root) / ADJCLOSE_DIR / f"{ticker}.csv").is_file()


def shares_on_day(
    root: str | Path | Store,
    day: str | dt.date,
    tickers: Sequence[str],
    *,
    holdings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each fund's Korean share on ``day`` from data dated on or before it only.

    The row of :func:`korean_share_daily` on the last trading day on or before ``day``
    (holdings observed or carried at most :data:`MAX_GAP_DAYS` days, AUM reported or
    carried from a snapshot dated on or before the day), for the ``tickers`` that have
    closes; ``row_date`` is the trading day the row describes. Funds without closes or
    rows are left out (unknown).
    """
    import pandas as pd

    d = pd.Timestamp(day)
    usable = [t for t in dict.fromkeys(tickers) if has_price(root, t)]
    cols = [
        "date",
        "ticker",
        "korean_held_usd",
        "basis",
        "korean_as_of",
        "source_korean",
        "aum_usd",
        "aum_source",
        "korean_share",
    ]
    if not usable:
        return pd.DataFrame(columns=cols)
    hold = holdings if holdings is not None else korean_holdings(root, usable)
    start = d - pd.Timedelta(days=3 * 31)  # covers the 8-day and 21-trading-day carries
    try:
        table = korean_share_daily(root, usable, start=start, end=d, holdings=hold)
    except GaemiInputError:
        return pd.DataFrame(columns=cols)
    return share_on(table, d)
