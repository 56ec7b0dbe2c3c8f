"""Real daily history for ``gaemi history``: load it, replay the flows, study events.

Series come from a DuckDB store (``gaemi data import …``) or, for convenience, from a
folder laid out like ``../shared/data`` (the known files are imported into a temporary
store first, so both paths read the same validated rows). Which stored symbol stands for
what is :data:`SERIES` (first candidate present wins, as in ``calibration_nodes.yaml``).

:func:`run_history` reconstructs fund AUM backwards from the universe's dated snapshot
(:func:`gaemi.core.history.reconstruct_aum`), replays each day's close flow per
underlying with the closing capacity and the feedback model of the stress scenario,
builds the event table for the named stress days and any day over a threshold, and
regresses the next day's move on the day's flow-to-liquidity (the reversal test).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.core.history import (
    AumPath,
    DailyReplay,
    Regression,
    SourcedAum,
    loop_share_of_close,
    ols_hac,
    reconstruct_aum,
    replay_flows,
    source_labels,
    window_moves,
)
from gaemi.core.participants import LetfRebalancing, MarginSellers, RetailRedemptions
from gaemi.core.universe import Universe
from gaemi.data.store import Store
from gaemi.data.stress import StressScenario, build_stress_model, load_default_stress
from gaemi.errors import GaemiInputError
from gaemi.units import format_usd

if TYPE_CHECKING:
    import pandas as pd

ProgressFn = Callable[[str, int, int], None]

#: key -> (what it is, stored candidates as (table, id)); the first one present is used.
SERIES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "NDX": ("Nasdaq-100 (QQQ adjusted close as proxy)", (("prices", "QQQ"), ("prices", "^NDX"))),
    "SOX": ("semiconductors (SOXX as proxy)", (("prices", "SOXX"), ("prices", "SMH"))),
    "SPX": ("S&P 500 (SPY as proxy)", (("prices", "SPY"), ("prices", "^GSPC"))),
    "TSLA": ("Tesla", (("prices", "TSLA"),)),
    "NVDA": ("NVIDIA", (("prices", "NVDA"),)),
    "VIX": ("CBOE VIX close", (("prices", "^VIX"), ("macro", "VIXCLS"))),
    "USDKRW": ("USD/KRW, KRW per USD (FRED DEXKOUS)", (("macro", "DEXKOUS"),)),
    "KOSPI": ("KOSPI index", (("prices", "^KS11"),)),
    "SAMSUNG": ("Samsung Electronics 005930.KS", (("prices", "005930.KS"),)),
    "SKHYNIX": ("SK Hynix 000660.KS", (("prices", "000660.KS"),)),
    "BTC": ("Bitcoin BTC-USD", (("prices", "BTC-USD"),)),
    # further underlyings of the universe that have a price file in ../shared/data
    "ETH": ("Ether ETH-USD", (("prices", "ETH-USD"),)),
    "MU": ("Micron", (("prices", "MU"),)),
    "AMD": ("AMD", (("prices", "AMD"),)),
    "AVGO": ("Broadcom", (("prices", "AVGO"),)),
    "TSM": ("TSMC ADR", (("prices", "TSM"),)),
    "MSTR": ("Strategy (MicroStrategy)", (("prices", "MSTR"),)),
    "UST20": ("20+ year Treasuries (TLT as proxy)", (("prices", "TLT"),)),
    "MSCIKR": ("MSCI Korea (EWY as proxy)", (("prices", "EWY"),)),
}
#: Keys whose series trade on calendar days (sampled at the replay's sessions).
CALENDAR_DAY_KEYS: frozenset[str] = frozenset({"BTC", "ETH"})
#: Underlyings replayed (those with closing liquidity in the default stress scenario).
REPLAY_UNDERLYINGS: tuple[str, ...] = ("NDX", "SOX", "SPX", "TSLA", "NVDA")
#: Assets of the event table, in column order.
EVENT_ASSETS: tuple[str, ...] = (
    "NDX",
    "SOX",
    "VIX",
    "USDKRW",
    "KOSPI",
    "SAMSUNG",
    "SKHYNIX",
    "BTC",
)
#: Named stress days of issue 11 (FACTS.md section e and SANITY.md).
NAMED_EVENTS: tuple[str, ...] = (
    "2018-02-05",
    "2020-03-12",
    "2020-03-16",
    "2022-09-13",
    "2024-08-05",
    "2025-04-03",
    "2025-04-04",
    "2025-04-09",
    "2025-10-10",
)
#: Files of a ../shared/data-like folder that :func:`load_folder` imports.
FOLDER_FILES: tuple[str, ...] = (
    "vix-cboe/vix-daily.csv",
    "fx-daily/DEXKOUS.csv",
    "kospi-kr-rates/kospi.csv",
    "korea-equities/005930.KS_2000_2026.csv",
    "korea-equities/000660.KS_2000_2026.csv",
    "crypto/BTC-USD_2014_2022.csv",
    "crypto/BTC-USD_2020_2025.csv",
    "crypto/ETH-USD_2014_2022.csv",
    "crypto/ETH-USD_2020_2025.csv",
)
ADJCLOSE_DIR = "us-adjclose-1993-2026"
#: A daily fund return beyond this factor (×5 or ÷5) is an unadjusted split, not a move.
SPLIT_FACTOR = 5.0
#: Trading days of NAV carry from the nearest dated AUM (gaemi.data.fund_history.CARRY_DAYS).
CARRY_DAYS_NOTE = 252


@dataclass(frozen=True)
class HistoryData:
    """Daily closes by key (pandas Series indexed by date) and fund closes by ticker."""

    closes: dict[str, Any]
    fund_closes: dict[str, Any]
    shares: dict[str, Any]
    sources: dict[str, str]
    notes: tuple[str, ...] = ()
    #: the issuer's daily net assets by ticker (exact where given; issue 16)
    reported_aum: dict[str, Any] = field(default_factory=dict)
    #: the issuer's daily NAV by ticker (a fund's own path where it has no price file)
    reported_nav: dict[str, Any] = field(default_factory=dict)
    #: stacked dated universe snapshots (ticker, aum_usd, aum_as_of, inception_date …)
    snapshots: Any = None

    @property
    def has_fund_data(self) -> bool:
        """Whether reported AUM or dated snapshots are loaded (the sourced AUM path)."""
        return bool(self.reported_aum) or (self.snapshots is not None and len(self.snapshots) > 0)

    def cut(self, end: dt.date) -> HistoryData:
        """The same data with everything after ``end`` removed (for no-look-ahead tests)."""
        import pandas as pd

        ts = pd.Timestamp(end)
        snaps = self.snapshots
        if snaps is not None and len(snaps):
            snaps = snaps[pd.to_datetime(snaps["aum_as_of"]) <= ts]
        return HistoryData(
            {k: v[v.index <= ts] for k, v in self.closes.items()},
            {k: v[v.index <= ts] for k, v in self.fund_closes.items()},
            {k: v[v.index <= ts] for k, v in self.shares.items()},
            dict(self.sources),
            self.notes,
            {k: v[v.index <= ts] for k, v in self.reported_aum.items()},
            {k: v[v.index <= ts] for k, v in self.reported_nav.items()},
            snaps,
        )


# ----------------------------------------------------------------------------- loading
def _level(store: Store, table: str, ident: str) -> pd.Series | None:
    import pandas as pd

    if table == "prices":
        df = store.prices(ident, drop_zero_volume=True)
        if df.empty:
            return None
        adj = df["adj_close"].to_numpy(float)
        level = np.where(np.isnan(adj), df["close"].to_numpy(float), adj)
    else:
        df = store.macro_series(ident)
        if df.empty:
            return None
        level = df["value"].to_numpy(float)
    s = pd.Series(level, index=pd.DatetimeIndex(pd.to_datetime(df["date"])), name=ident)
    s = s[np.isfinite(s.to_numpy()) & (s.to_numpy() > 0)]
    return s[~s.index.duplicated(keep="last")].sort_index()


def load_store(store: Store, tickers: Sequence[str]) -> HistoryData:
    """The series of :data:`SERIES` and the fund closes (and shares) of ``tickers``.

    Raises
    ------
    GaemiInputError
        If the store has no Nasdaq-100 proxy (QQQ or ^NDX): the replay's calendar.
    """
    closes: dict[str, Any] = {}
    sources: dict[str, str] = {}
    notes: list[str] = []
    for key, (what, cands) in SERIES.items():
        for table, ident in cands:
            s = _level(store, table, ident)
            if s is not None and len(s) > 1:
                closes[key] = s
                sources[key] = f"{what}: store {store.path.name} {table}:{ident}"
                break
        else:
            notes.append(f"{key}: none of {[c[1] for c in cands]} is in the store")
    if "NDX" not in closes:
        raise GaemiInputError(
            f"store {store.path.name}: no QQQ or ^NDX prices (the replay needs the "
            "Nasdaq-100 proxy; import us-adjclose-1993-2026/QQQ.csv with `gaemi data import`)"
        )
    funds: dict[str, Any] = {}
    for t in tickers:
        s = _level(store, "prices", t)
        if s is not None and len(s) > 1:
            funds[t] = s
    shares: dict[str, Any] = {}
    df = store.fetch_df(
        "SELECT ticker, as_of, shares_outstanding FROM fund_snapshots "
        "WHERE shares_outstanding IS NOT NULL ORDER BY ticker, as_of"
    )
    import pandas as pd

    for tick, g in df.groupby("ticker"):
        shares[str(tick)] = pd.Series(
            g["shares_outstanding"].to_numpy(float), index=pd.DatetimeIndex(g["as_of"])
        )
    rep_aum, rep_nav, snaps = _store_fund_data(store)
    if rep_aum:
        sources["reported_aum"] = f"issuer daily NAV: store {store.path.name} fund_nav"
    if snaps is not None:
        sources["snapshots"] = f"universe snapshots: store {store.path.name} universe_snapshots"
    return HistoryData(closes, funds, shares, sources, tuple(notes), rep_aum, rep_nav, snaps)


def _store_fund_data(store: Store) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """The store's issuer daily rows (``fund_nav``) and dated universe snapshots
    (``universe_snapshots``), when its schema has them (empty otherwise)."""
    import duckdb
    import pandas as pd

    rep_aum: dict[str, Any] = {}
    rep_nav: dict[str, Any] = {}
    try:
        nav = store.fetch_df("SELECT ticker, date, nav_usd, aum_usd FROM fund_nav ORDER BY date")
        snaps = store.fetch_df(
            "SELECT ticker, as_of, underlying_id AS underlying, leverage, aum_usd, aum_as_of, "
            "inception_date FROM universe_snapshots WHERE aum_usd IS NOT NULL"
        )
    except duckdb.Error:  # an older store without the v5 tables
        return rep_aum, rep_nav, None
    for tick, g in nav.groupby("ticker"):
        idx = pd.DatetimeIndex(pd.to_datetime(g["date"]))
        rep_aum[str(tick)] = pd.Series(g["aum_usd"].to_numpy(float), index=idx)
        rep_nav[str(tick)] = pd.Series(g["nav_usd"].to_numpy(float), index=idx)
    if snaps.empty:
        return rep_aum, rep_nav, None
    for col in ("as_of", "aum_as_of", "inception_date"):
        snaps[col] = pd.to_datetime(snaps[col])
    return rep_aum, rep_nav, snaps


def folder_files(root: Path) -> list[Path]:
    """The files of a ../shared/data-like folder that the history needs (those present)."""
    out = sorted((root / ADJCLOSE_DIR).glob("*.csv")) if (root / ADJCLOSE_DIR).is_dir() else []
    out += [root / rel for rel in FOLDER_FILES if (root / rel).is_file()]
    return out


def load_folder(
    root: str | Path, tickers: Sequence[str], progress: Callable[[int, int], None] | None = None
) -> HistoryData:
    """Import the known files of ``root`` into a temporary store, then :func:`load_store`."""
    from gaemi.data.importers import ImportOptions, import_file, iter_importable

    p = Path(root)
    if not p.is_dir():
        raise GaemiInputError(f"data-dir {str(p)!r} is not a folder")
    wanted = set(folder_files(p))
    if not any(f.parent.name == ADJCLOSE_DIR for f in wanted):
        raise GaemiInputError(
            f"data-dir {str(p)!r} has no {ADJCLOSE_DIR}/*.csv (lay it out like ../shared/data: "
            f"{ADJCLOSE_DIR}/QQQ.csv, vix-cboe/vix-daily.csv, fx-daily/DEXKOUS.csv, …)"
        )
    todo = [(f, k, o) for f, k, o in iter_importable(p) if f in wanted]
    with tempfile.TemporaryDirectory(prefix="gaemi-history-") as tmp:
        store = Store(Path(tmp) / "history.duckdb")
        try:
            for i, (f, kind, opts) in enumerate(todo):
                import_file(store, f, ImportOptions(kind=kind, on_conflict="keep", **opts))
                if progress is not None:
                    progress(i + 1, len(todo))
            data = load_store(store, tickers)
        finally:
            store.close()
    srcs = {
        k: v.replace("store history.duckdb", f"folder {p.name}") for k, v in data.sources.items()
    }
    return add_fund_data(replace(data, sources=srcs), p)


def add_fund_data(data: HistoryData, root: str | Path) -> HistoryData:
    """``data`` with the issuer daily files and the dated universe snapshots of ``root``
    (``us-letf-nav-proshares/``, ``us-letf-universe-2026/``; those present) — the
    start-of-day AUM of each fund then comes from them (:func:`run_history`)."""
    from gaemi.data import fund_history as fh

    issuer = fh.load_issuer_funds(root)
    snaps = fh.load_snapshots(root)
    srcs = dict(data.sources)
    if issuer:
        srcs["reported_aum"] = (
            f"issuer daily NAV and net assets: {fh.ISSUER_DIR}/ ({', '.join(issuer)})"
        )
    if len(snaps):
        days = sorted({str(d)[:10] for d in snaps["as_of"]})
        srcs["snapshots"] = f"universe snapshots {fh.UNIVERSE_DIR}/ ({', '.join(days)})"
    return replace(
        data,
        sources=srcs,
        reported_aum={t: df["aum_usd"] for t, df in issuer.items()},
        reported_nav={t: df["nav_usd"] for t, df in issuer.items()},
        snapshots=snaps if len(snaps) else None,
    )


# ----------------------------------------------------------------------------- the run
@dataclass(frozen=True, eq=False)
class HistoryRun:
    """Everything ``gaemi history`` shows (frozen)."""

    aum: AumPath
    replay: DailyReplay
    events: pd.DataFrame
    stats: pd.DataFrame
    regressions: dict[str, Regression]
    universe: Universe
    excluded: tuple[str, ...]
    notes: tuple[str, ...]
    sources: dict[str, str] = field(default_factory=dict)
    #: the loaded closes by key (for the monitor's status and the charts)
    closes: dict[str, Any] = field(default_factory=dict)
    #: the whole universe given (``universe`` holds the replayed funds only)
    universe_all: Universe | None = None

    def daily_frame(self) -> pd.DataFrame:
        return self.replay.to_frame()


def _to_days(s: pd.Series, days: pd.DatetimeIndex, limit: int = 5) -> np.ndarray:
    """Values on ``days``: exact dates, short gaps inside the series carried forward."""
    r = s.reindex(s.index.union(days)).ffill(limit=limit).reindex(days)
    r[days > s.index[-1]] = np.nan
    return np.asarray(r.to_numpy(float))


def _fix_splits(nav: np.ndarray, lev: float, r_u: np.ndarray) -> tuple[np.ndarray, int]:
    """Replace split-like jumps of a price path by the fund's model return L·r_u."""
    ok = np.isfinite(nav)
    if ok.sum() < 2:
        return nav, 0
    idx = np.flatnonzero(ok)
    p = nav[idx]
    ret = p[1:] / p[:-1] - 1.0
    bad = np.abs(np.log1p(ret)) > np.log(SPLIT_FACTOR)
    if not bad.any():
        return nav, 0
    model = lev * np.nan_to_num(r_u[idx[1:]])
    ret = np.where(bad, model, ret)
    growth = np.concatenate([[1.0], np.cumprod(1.0 + ret)])
    out = nav.copy()
    out[idx] = p[-1] * growth / growth[-1]  # keep the latest price (the snapshot's scale)
    return out, int(bad.sum())


def _moves(s: pd.Series | None, days: pd.DatetimeIndex, key: str = "") -> np.ndarray:
    """Close-to-close move of each day in ``days`` (NaN where the series has no session).

    A calendar-day series (:data:`CALENDAR_DAY_KEYS`, e.g. BTC) is sampled at the
    sessions of ``days`` first, so Monday's move runs from Friday's value."""
    if s is None:
        return np.full(len(days), np.nan)
    if key in CALENDAR_DAY_KEYS:
        lv = s.reindex(s.index.union(days)).ffill(limit=3).reindex(days)
        lv[days > s.index[-1]] = np.nan
        return np.asarray(lv.pct_change().to_numpy(float))
    r = s.pct_change()
    return np.asarray(r.reindex(days).to_numpy(float))


def _fund_path(data: HistoryData, ticker: str, days: pd.DatetimeIndex) -> np.ndarray:
    """The fund's own price on ``days`` (its price file, else the issuer's NAV, else NaN)."""
    s = data.fund_closes.get(ticker)
    if s is None:
        s = data.reported_nav.get(ticker)
    if s is None:
        return np.full(len(days), np.nan)
    return _to_days(s, days)


def _first_known(data: HistoryData, ticker: str) -> Any:
    """First day a fund without a price file is known to exist: its inception date in the
    snapshots, else its first dated AUM (None if the snapshots do not list it)."""
    import pandas as pd

    sn = data.snapshots
    if sn is None or not len(sn):
        return None
    rows = sn[sn["ticker"] == ticker]
    if rows.empty:
        return None
    if "inception_date" in rows.columns:
        inc = pd.to_datetime(rows["inception_date"]).dropna()
        if len(inc):
            return inc.min()
    return pd.to_datetime(rows["aum_as_of"]).min()


def _leverage_by_day(
    tickers: Sequence[str], leverage: np.ndarray, days: pd.DatetimeIndex
) -> np.ndarray:
    """Each fund's leverage on each day: today's, except where FACTS.md §(j) dates a change
    (:data:`gaemi.data.fund_history.LEVERAGE_CHANGES`, e.g. TSLL 1.5x before 2024-04-02)."""
    from gaemi.core.nav import leverage_schedule
    from gaemi.data.fund_history import LEVERAGE_CHANGES

    out = np.repeat(np.asarray(leverage, float)[:, None], len(days), axis=1)
    d = days.to_numpy().astype("datetime64[D]")
    for i, t in enumerate(tickers):
        if t in LEVERAGE_CHANGES:
            base, changes = LEVERAGE_CHANGES[t]
            out[i] = leverage_schedule(d, changes, base)
    return out


def _modelled_path(
    move: np.ndarray, lev: Any, days: pd.DatetimeIndex, data: HistoryData, ticker: str
) -> np.ndarray:
    """A fund's path without a price file: Π(1 + L·r) of its underlying from the first day
    it is known to exist (:func:`_first_known`); NaN before."""
    import pandas as pd

    first = _first_known(data, ticker)
    out = np.full(len(days), np.nan)
    if first is None:
        return out
    on = (days >= pd.Timestamp(first)) & np.isfinite(move)
    if not on.any():
        return out
    r = np.where(on, np.maximum(lev * np.nan_to_num(move), -0.99), 0.0)
    path = np.cumprod(1.0 + r)
    k = int(np.argmax(on))
    out[k:] = path[k:] / path[k]
    out[~np.isfinite(move) & (np.arange(len(days)) > k)] = np.nan
    return _ffill_inside(out, k)


def _ffill_inside(x: np.ndarray, start: int) -> np.ndarray:
    """Carry the last value over NaN days after ``start`` (holidays of the underlying)."""
    import pandas as pd

    s = pd.Series(x)
    s.iloc[start:] = s.iloc[start:].ffill()
    return np.asarray(s.to_numpy(float))


def run_history(
    data: HistoryData,
    universe: Universe,
    *,
    start: dt.date,
    end: dt.date | None = None,
    scenario: StressScenario | None = None,
    threshold_frac: float | None = None,
    named_events: Sequence[str] = NAMED_EVENTS,
    stats_since: dt.date = dt.date(2010, 1, 1),
    n_boot: int = 999,
    seed: int = 20151,
    aum_basis: str = "underlying",
    aum_path: AumPath | None = None,
    progress: ProgressFn | None = None,
    creations_beta: tuple[Mapping[str, float], Mapping[str, float]] | None = None,
) -> HistoryRun:
    """Reconstruct AUM, replay the daily flows, build the event table and the statistic.

    ``aum_basis``: ``"underlying"`` (default) scales each fund's snapshot AUM by its
    underlying's level, ``"nav"`` by the fund's own price (constant shares). Against the
    dated TQQQ AUM figures of FACTS.md (2023-09-28, 2024-12-20, 2025-10-31) the first is
    within 8 %, the second 13–57 % low, and constant shares make an inverse fund's past AUM
    explode (SOXS's price fell ~10⁶-fold since 2010): see docs/history.md.

    The AUM path is reconstructed over the whole history (anchored at each fund's dated
    snapshot, the one deliberate use of later information — marked ``aum_estimated``);
    day t's flow, pressure and loop share use only moves up to t and AUM up to the close
    of t − 1 — given ``aum_path`` (the AUM path of an earlier run, covering these days)
    nothing after t is used at all. ``end`` cuts the replay; the statistic uses days from
    ``stats_since`` (independent of ``start``) up to ``end``.

    ``creations_beta``: (β on a fall, β on a rise) per ticker — creations that respond
    to the day's move, C = β·A_{t−1}·r, added to each fund's close trade as L·C
    (:func:`gaemi.app.flows.creations_beta_by_sign`; tickers not named: β = 0). Default
    none: the identity ΔE = L(L−1)·A_{t−1}·r alone. With creations the feedback-loop
    share (``model_extra_move_frac``) uses the same flow as the flow column — its
    leveraged funds trade K_t·r with K_t = Σ (L(L−1) + L·β)·A_{t−1} (``flow_per_pct_usd``
    × 100) — and the scenario's panic rule is off, as ``gaemi stress --creations``
    (:func:`gaemi.app.stress.stress_setup`): the measured creations are every holder's.
    """
    import pandas as pd

    scen = scenario or load_default_stress()
    notes = list(data.notes)
    ndx = data.closes["NDX"]
    last = ndx.index[-1].date() if end is None else end
    if start > last:
        raise GaemiInputError(f"from = {start} is after the last day of the history ({last})")
    first_needed = min(start, stats_since)
    all_days = ndx.index[ndx.index >= pd.Timestamp(first_needed) - pd.Timedelta(days=10)]
    if all_days.empty:  # an end past the data: no day of the window has prices
        raise GaemiInputError(
            f"from = {start} is after the last day of the NDX prices ({ndx.index[-1].date()})"
        )
    # --- funds: on a replayed underlying, with a price history and a price at the snapshot
    sourced = data.has_fund_data and aum_path is None
    if sourced:  # every underlying of the universe with price data (issue 16)
        in_universe = {str(u) for u in universe.underlying_id}
        unds = [u for u in REPLAY_UNDERLYINGS if u in data.closes and u in in_universe]
        unds += sorted(u for u in data.closes if u in in_universe and u not in unds)
    else:
        unds = [u for u in REPLAY_UNDERLYINGS if u in data.closes and u in scen.underlyings]
    und_set = set(unds)
    keep, excluded = [], []
    modelled_nav: list[str] = []
    for i, t in enumerate(universe.ticker.tolist()):
        uid = str(universe.underlying_id[i])
        if uid not in und_set:
            continue
        if t not in data.fund_closes and t not in data.reported_nav:
            if sourced and _first_known(data, t) is not None:
                modelled_nav.append(t)
                keep.append(i)
                continue
            aum_text = format_usd(float(universe.aum_usd[i]))
            excluded.append(f"{t} ({uid}, {aum_text}): no price history")
            continue
        keep.append(i)
    if not keep:
        raise GaemiInputError(_nothing_to_replay(data, universe, scen, excluded))
    sub = universe.select(np.isin(np.arange(len(universe)), keep))
    # the AUM path needs every day from each fund's listing to its snapshot
    hist_days = ndx.index
    tickers = sub.ticker.tolist()
    lev = sub.leverage
    und_idx = np.array([unds.index(str(u)) for u in sub.underlying_id])
    moves_all = np.vstack([_moves(data.closes.get(u), hist_days, u) for u in unds])
    nav = np.vstack([_fund_path(data, t, hist_days) for t in tickers])
    lev_full = _leverage_by_day(tickers, lev, hist_days) if sourced else None
    if modelled_nav and lev_full is not None:
        for i, t in enumerate(tickers):
            if t in modelled_nav:
                nav[i] = _modelled_path(moves_all[und_idx[i]], lev_full[i], hist_days, data, t)
        notes.append(
            f"{len(modelled_nav)} funds without a price file follow L x their underlying "
            f"from their inception or first dated AUM: {', '.join(modelled_nav)}"
        )
    n_split = 0
    for i in range(len(tickers)):
        nav[i], k = _fix_splits(nav[i], float(lev[i]), moves_all[und_idx[i]])
        if k:
            notes.append(f"{tickers[i]}: {k} split-like price jump(s) replaced by L x move")
        n_split += k
    sourced_aum = None
    if sourced:
        from gaemi.data import fund_history as fh

        if aum_basis == "underlying":
            far = np.vstack([_to_days(data.closes[unds[j]], hist_days) for j in und_idx])
            far = np.where(np.isfinite(nav), far, np.nan)
        elif aum_basis == "nav":
            far = None
        else:
            raise GaemiInputError(f"aum basis = {aum_basis!r} must be underlying or nav")
        fallback = {
            t: (str(sub.aum_as_of[i]), float(sub.aum_usd[i])) for i, t in enumerate(tickers)
        }
        sourced_aum = fh.sourced_aum(
            hist_days,
            tickers,
            nav,
            snapshots=data.snapshots,
            reported=data.reported_aum,
            fallback_aum=fallback,
            far_scale=far,
        )
        aum_full = sourced_aum.as_aum_path()
    elif aum_path is None:
        snap_idx = np.empty(len(tickers), dtype=np.intp)
        drop: list[int] = []
        for i, t in enumerate(tickers):
            as_of = str(sub.aum_as_of[i]) or str(hist_days[-1].date())
            pos = int(hist_days.searchsorted(pd.Timestamp(as_of), side="right")) - 1
            if pos < 0 or not np.isfinite(nav[i, pos]):
                drop.append(i)
                fc = data.fund_closes[t]
                excluded.append(
                    f"{t} ({sub.underlying_id[i]}): no price on its AUM date {as_of} "
                    f"(prices {fc.index[0].date()}..{fc.index[-1].date()})"
                )
                continue
            snap_idx[i] = pos
        if drop:
            m = ~np.isin(np.arange(len(tickers)), drop)
            sub, nav, snap_idx, und_idx = sub.select(m), nav[m], snap_idx[m], und_idx[m]
            tickers, lev = sub.ticker.tolist(), sub.leverage
        shares = np.full(nav.shape, np.nan)
        for i, t in enumerate(tickers):
            if t in data.shares:
                shares[i] = data.shares[t].reindex(hist_days).to_numpy(float)
        if aum_basis == "underlying":
            # AUM moves with the underlying's level: the holders' dollars follow the market
            # (leveraged funds are refilled after falls, inverse funds drained by growth);
            # the fund's own prices still say when it was listed.
            und_level = (
                np.vstack([_to_days(data.closes[unds[j]], hist_days) for j in und_idx])
                if len(und_idx)
                else nav
            )
            scale = np.where(np.isfinite(nav), und_level, np.nan)
        elif aum_basis == "nav":
            scale = nav
        else:
            raise GaemiInputError(f"aum basis = {aum_basis!r} must be underlying or nav")
        aum_full = reconstruct_aum(
            hist_days.to_numpy(), scale, sub.aum_usd, snap_idx, shares, tickers
        )
    else:  # a given AUM path (e.g. from the full history): its funds, on these days
        pos_t = {t: k for k, t in enumerate(aum_path.ticker.tolist())}
        rows = [pos_t[t] for t in tickers if t in pos_t]
        m = np.isin(np.array(tickers), aum_path.ticker)
        sub, und_idx = sub.select(m), und_idx[m]
        tickers, lev = sub.ticker.tolist(), sub.leverage
        col = np.searchsorted(aum_path.dates, hist_days.to_numpy().astype("datetime64[D]"))
        col = np.clip(col, 0, aum_path.dates.size - 1)
        if (aum_path.dates[col] != hist_days.to_numpy().astype("datetime64[D]")).any():
            raise GaemiInputError("aum_path does not cover every day of the data")
        aum_full = AumPath(
            aum_path.dates[col],
            aum_path.ticker[rows],
            aum_path.aum_usd[np.ix_(rows, col)],
            aum_path.basis[np.ix_(rows, col)],
        )
    # --- underlyings none of whose funds is left are not replayed (said in the notes)
    used = sorted(set(und_idx.tolist()))
    if not used:
        raise GaemiInputError(_nothing_to_replay(data, universe, scen, excluded))
    if len(used) < len(unds):
        for j, u in enumerate(unds):
            if j not in used:
                notes.append(
                    f"{u}: not replayed, none of its funds has a price history covering its "
                    "AUM date (import the funds' price files, e.g. "
                    f"{ADJCLOSE_DIR}/{_example_fund(universe, u)}.csv)"
                )
        remap = {j: k for k, j in enumerate(used)}
        unds = [unds[j] for j in used]
        moves_all = moves_all[used]
        und_idx = np.array([remap[int(j)] for j in und_idx], dtype=np.intp)
    if sourced_aum is not None:  # a fund with no AUM anywhere (no snapshot, no report)
        none = np.flatnonzero(~(sourced_aum.source > 0).any(axis=1)).tolist()
        excluded.extend(f"{tickers[i]} ({sub.underlying_id[i]}): no dated AUM" for i in none)
    # --- the replay window (plus the stats window)
    cut = (hist_days >= all_days[0]) & (hist_days <= pd.Timestamp(last))
    days = hist_days[cut]
    aum = AumPath(
        aum_full.dates[cut], aum_full.ticker, aum_full.aum_usd[:, cut], aum_full.basis[:, cut]
    )
    moves = moves_all[:, cut]
    korean = np.full(aum.aum_usd.shape, np.nan)
    for i in range(len(tickers)):
        ko = str(sub.korean_as_of[i])
        if ko and np.isfinite(sub.korean_share[i]):
            known = days >= pd.Timestamp(ko)
            korean[i, known] = sub.korean_share[i]
    caps = np.array(
        [scen.liquidity(u).capacity_usd if u in scen.underlyings else np.nan for u in unds]
    )
    lev_days = lev if lev_full is None else lev_full[:, cut]
    beta_days = None
    if creations_beta is not None:
        b_down = np.array([float(creations_beta[0].get(t, 0.0)) for t in tickers])
        b_up = np.array([float(creations_beta[1].get(t, 0.0)) for t in tickers])
        beta_days = np.where(moves[und_idx] < 0, b_down[:, None], b_up[:, None])
    replay = replay_flows(
        days.to_numpy(),
        unds,
        moves,
        und_idx,
        lev_days,
        aum,
        caps,
        korean_share=korean,
        creations_beta=beta_days,
    )
    if sourced_aum is not None:
        src_cut = SourcedAum(
            sourced_aum.dates[cut],
            sourced_aum.ticker,
            sourced_aum.aum_usd[:, cut],
            sourced_aum.source[:, cut],
        )
        labels = source_labels(und_idx, lev_days, src_cut, len(unds))
        replay = replace(replay, aum_source=labels)
    # --- feedback loop's share of each close, with per-day sizes (underlyings with a
    # closing-liquidity figure in the scenario; the others have none)
    extra = np.full(replay.flow_usd.shape, np.nan)
    for j, u in enumerate(unds):
        if u in scen.underlyings:
            model = _daily_model(
                scen, sub, u, replay, korean, aum, j, creations=creations_beta is not None
            )
            extra[j] = loop_share_of_close(model, moves[j])
        if progress is not None:
            progress("feedback", j + 1, len(unds))
    replay = replace(replay, model_extra_move_frac=extra)
    sources = dict(data.sources)
    sources["liquidity"] = f"closing capacity per underlying from the stress scenario {scen.name!r}"
    sources["aum"] = (
        "start-of-day AUM: the issuer's reported net assets where they exist, else the "
        "dated snapshots' shares interpolated between them and carried along the fund's "
        f"own price for up to {CARRY_DAYS_NOTE} trading days or a 0.5 log move, beyond "
        "that scaled by "
        + ("the underlying's level" if aum_basis == "underlying" else "the fund's own price")
        + " (column aum_source)"
        if sourced
        else "AUM backwards from the universe's dated snapshot, scaled by "
        + ("the underlying's level" if aum_basis == "underlying" else "the fund's own price")
        + " (estimated) unless shares outstanding are stored (observed)"
    )
    stats, regs = reversal_statistics(replay, since=stats_since, n_boot=n_boot, seed=seed)
    events = event_table(data, replay, named_events, threshold_frac, start=start, end=last)
    if n_split:
        notes.append("split-like jumps are data defects (e.g. SOXS 2026-05-26, PROVENANCE.md)")
    win = replay_window(replay, start)
    return HistoryRun(
        aum_full,
        win,
        events,
        stats,
        regs,
        sub,
        tuple(excluded),
        tuple(notes),
        sources,
        dict(data.closes),
        universe,
    )


def _example_fund(universe: Universe, underlying: str) -> str:
    """The largest fund on ``underlying`` (for a hint of what to import)."""
    sel = np.flatnonzero(universe.underlying_id == underlying)
    if sel.size == 0:
        return "TQQQ"
    return str(universe.ticker[sel[np.argmax(universe.aum_usd[sel])]])


def _nothing_to_replay(
    data: HistoryData, universe: Universe, scen: StressScenario, excluded: Sequence[str]
) -> str:
    """One line saying why no fund can be replayed: which underlying series and which fund
    price histories the data lack, and what to import."""
    parts: list[str] = []
    have = [u for u in REPLAY_UNDERLYINGS if u in scen.underlyings and u in data.closes]
    lack = [u for u in REPLAY_UNDERLYINGS if u in scen.underlyings and u not in data.closes]
    for u in have:
        on_u = [
            t for t, uid in zip(universe.ticker, universe.underlying_id, strict=True) if uid == u
        ]
        why = [e for e in excluded if e.startswith(tuple(f"{t} (" for t in on_u))]
        no_hist = [e.split(" ", 1)[0] for e in why if e.endswith("no price history")]
        late = [e for e in why if "AUM date" in e]
        bits = late[:3]
        if no_hist:
            bits.append(
                ", ".join(no_hist[:6]) + (" …" if len(no_hist) > 6 else "") + ": no price history"
            )
        if not on_u:
            bits.append("the universe has no fund on it")
        parts.append(f"{u} has {len(on_u)} funds but none with usable prices ({'; '.join(bits)})")
    if lack:
        cands = {u: "/".join(c[1] for c in SERIES[u][1]) for u in lack}
        parts.append("no underlying series for " + ", ".join(f"{u} ({cands[u]})" for u in lack))
    examples = [_example_fund(universe, u) for u in (have or ["NDX", "SOX"])][:3]
    return (
        "no fund of the universe can be replayed: "
        + "; ".join(parts)
        + ". A store needs each fund's own daily prices up to its AUM date as well as the "
        "underlyings': import them with `gaemi data import` (e.g. "
        + ", ".join(f"{ADJCLOSE_DIR}/{t}.csv" for t in examples)
        + " --close-is-adjusted) or pass --data-dir ../shared/data"
    )


def replay_window(replay: DailyReplay, start: dt.date) -> DailyReplay:
    """The replay from ``start`` on (all arrays cut on the day axis)."""
    k = replay.dates >= np.datetime64(start, "D")
    kw: dict[str, Any] = {}
    for f in (
        "move_frac",
        "next_move_frac",
        "aum_usd",
        "k_usd",
        "flow_usd",
        "korean_flow_usd",
        "capacity_usd",
        "pressure_ratio",
        "model_extra_move_frac",
        "n_funds",
        "aum_estimated",
        "fund_flow_usd",
    ):
        kw[f] = getattr(replay, f)[:, k]
    if replay.aum_source is not None:
        kw["aum_source"] = replay.aum_source[:, k]
    return replace(replay, dates=replay.dates[k], **kw)


def _daily_model(
    scen: StressScenario,
    universe: Universe,
    underlying: str,
    replay: DailyReplay,
    korean: np.ndarray,
    aum: AumPath,
    j: int,
    *,
    creations: bool = False,
) -> Any:
    """The scenario's feedback model of one underlying with one scenario per day: the LETF
    sensitivity K and the Korean-sized participants follow the start-of-day AUM.

    K is the replay's (``replay.k_usd``: with creations Σ (L(L−1) + L·β)·A_{t−1}, the
    flow column's); ``creations`` switches the panic rule off (the measured creations
    replace it, as :func:`gaemi.app.stress.stress_setup`) and refuses a day whose K < 0
    in one line (the loop needs K >= 0).
    """
    base = build_stress_model(scen, universe, underlying)
    if creations:
        k = replay.k_usd[j]
        bad = np.flatnonzero(k < 0)
        if bad.size:
            i = int(bad[0])
            day = str(np.datetime_as_string(replay.dates[i], unit="D"))
            raise GaemiInputError(
                f"creations make the leveraged funds on {underlying} trade against the move "
                f"on {day} (Σ (L(L−1) + L·β)·A = {float(k[i]):.3g} < 0); the feedback loop "
                "needs >= 0"
            )
    sel = universe.underlying_id == underlying
    a0 = np.nan_to_num(aum.start_of_day_usd(), nan=0.0)
    long = (universe.leverage > 1) & sel
    kor = np.nansum(np.where(np.isfinite(korean), korean, 0.0)[long] * a0[long], axis=0)
    snap_kor = float(np.nansum(np.nan_to_num(universe.korean_share) * universe.aum_usd * long))
    parts = []
    for p in base.participants:
        if isinstance(p, LetfRebalancing):
            p = replace(p, k_usd=replay.k_usd[j])
        elif isinstance(p, MarginSellers):
            scale = kor / snap_kor if snap_kor > 0 else np.zeros_like(kor)
            p = replace(p, position_usd=p.position_usd[0] * scale)
        elif isinstance(p, RetailRedemptions):
            p = replace(p, aum_usd=kor)
            if creations:
                p = replace(p, elasticity=np.zeros_like(p.elasticity))
        parts.append(p)
    return replace(base, participants=tuple(parts))


def reversal_statistics(
    replay: DailyReplay,
    *,
    since: dt.date = dt.date(2010, 1, 1),
    underlyings: Sequence[str] = ("NDX", "SOX"),
    n_boot: int = 999,
    seed: int = 20151,
) -> tuple[pd.DataFrame, dict[str, Regression]]:
    """Next-day move on the day's signed flow / closing capacity (Bai, Bond & Hatch 2015).

    For each underlying and pooled: (a) ``next ~ flow/capacity``; (b) ``next ~
    flow/capacity + move`` — the day's own move as a control, so the coefficient asks
    whether reversal grows with the LETF share of the close beyond ordinary return
    reversal. Price pressure predicts a negative coefficient. Newey–West SE (default
    lags) and a 10-day moving-block bootstrap (``n_boot`` draws, ``seed``).
    """
    import pandas as pd

    k = replay.dates >= np.datetime64(since, "D")
    regs: dict[str, Regression] = {}
    rows: list[dict[str, Any]] = []
    names = [u for u in underlyings if u in replay.underlying.tolist()]
    groups: list[tuple[str, list[int]]] = [
        (u, [replay.underlying.tolist().index(u)]) for u in names
    ]
    if len(names) > 1:
        groups.append(("+".join(names), [replay.underlying.tolist().index(u) for u in names]))
    for label, js in groups:
        x = np.concatenate([replay.flow_to_capacity[j, k] for j in js])
        y = np.concatenate([replay.next_move_frac[j, k] for j in js])
        r = np.concatenate([replay.move_frac[j, k] for j in js])
        for spec, regressors in (
            ("next ~ flow/capacity", {"flow_to_capacity": x}),
            ("next ~ flow/capacity + move", {"flow_to_capacity": x, "move_frac": r}),
        ):
            try:
                reg = ols_hac(y, regressors, n_boot=n_boot, rng=seed)
            except GaemiInputError as exc:
                rows.append({"sample": label, "spec": spec, "note": str(exc)})
                continue
            regs[f"{label}: {spec}"] = reg
            lo, hi = reg.ci_nw(1)
            ok = np.isfinite(y) & np.isfinite(x)
            d = replay.dates[k]
            rows.append(
                {
                    "sample": label,
                    "spec": spec,
                    "first_date": str(d[0]) if d.size else "",
                    "last_date": str(d[-1]) if d.size else "",
                    "n_obs": reg.n_obs,
                    "coef": reg.coef[1],
                    "se_newey_west": reg.se_nw[1],
                    "ci_nw_low": lo,
                    "ci_nw_high": hi,
                    "ci_boot_low": reg.ci_boot_low[1],
                    "ci_boot_high": reg.ci_boot_high[1],
                    "p_value": reg.p_value[1],
                    "significant_5pct": bool(reg.p_value[1] < 0.05),
                    "reversal_sign": bool(reg.coef[1] < 0),
                    "mean_abs_flow_to_capacity": float(np.mean(np.abs(x[ok]))),
                    "r2": reg.r2,
                }
            )
    return pd.DataFrame(rows), regs


def event_days(
    replay: DailyReplay,
    named: Sequence[str],
    threshold_frac: float | None,
    *,
    start: dt.date,
    end: dt.date,
) -> list[tuple[dt.date, str]]:
    """Named days in [start, end] plus days where |NDX| or |SOX| move ≥ threshold."""
    out: dict[dt.date, str] = {}
    for s in named:
        d = dt.date.fromisoformat(s)
        if start <= d <= end:
            out[d] = "named"
    if threshold_frac is not None:
        if not (0 < threshold_frac < 1):
            raise GaemiInputError(f"threshold = {threshold_frac:g} must be between 0% and 100%")
        for j, u in enumerate(replay.underlying.tolist()):
            if u not in ("NDX", "SOX"):
                continue
            hit = np.abs(np.nan_to_num(replay.move_frac[j])) >= threshold_frac
            for d64 in replay.dates[hit]:
                d = dt.date.fromisoformat(str(d64))
                if start <= d <= end:
                    prev = out.get(d, "threshold")
                    out[d] = "named+threshold" if prev.startswith("named") else prev
    return sorted(out.items())


def event_table(
    data: HistoryData,
    replay: DailyReplay,
    named: Sequence[str],
    threshold_frac: float | None,
    *,
    start: dt.date,
    end: dt.date,
) -> pd.DataFrame:
    """One row per event day: real moves of every asset (day 0, next session, next 5
    sessions) beside the model's flows, pressure and loop share for NDX and SOX, and
    whether the next session reversed the day's move."""
    import pandas as pd

    evs = event_days(replay, named, threshold_frac, start=start, end=end)
    if not evs:
        return pd.DataFrame()
    ev_dates = np.array([np.datetime64(d, "D") for d, _ in evs])
    df = pd.DataFrame({"date": [d for d, _ in evs], "why": [w for _, w in evs]})
    for key in EVENT_ASSETS:
        s = data.closes.get(key)
        if s is None:
            continue
        s = s[s.index <= pd.Timestamp(end)] if end is not None else s
        w = window_moves(s.index.to_numpy(), s.to_numpy(float), ev_dates, (1, 5))
        p = key.lower()
        df[f"{p}_d0_move_frac"] = w["d0"]
        df[f"{p}_next1_move_frac"] = w["next_1"]
        df[f"{p}_next5_move_frac"] = w["next_5"]
    pos = np.searchsorted(replay.dates, ev_dates)
    pos_ok = (pos < replay.dates.size) & (
        replay.dates[np.minimum(pos, replay.dates.size - 1)] == ev_dates
    )
    und = replay.underlying.tolist()
    total = np.zeros(len(evs))
    for u in ("NDX", "SOX"):
        if u not in und:
            continue
        j = und.index(u)
        p = u.lower()

        def at(arr: np.ndarray, j: int = j) -> np.ndarray:
            out = np.full(len(evs), np.nan)
            out[pos_ok] = arr[j, pos[pos_ok]]
            return out

        flow = at(replay.flow_usd)
        df[f"{p}_flow_usd"] = flow
        df[f"{p}_korean_flow_usd"] = at(replay.korean_flow_usd)
        df[f"{p}_pressure_ratio"] = at(replay.pressure_ratio)
        df[f"{p}_model_extra_move_frac"] = at(replay.model_extra_move_frac)
        mv, nx = at(replay.move_frac), at(replay.next_move_frac)
        df[f"{p}_reversed"] = np.where(
            np.isfinite(mv) & np.isfinite(nx), np.sign(nx) == -np.sign(mv), False
        )
        total += np.nan_to_num(flow)
        est = np.zeros(len(evs), dtype=bool)
        est[pos_ok] = replay.aum_estimated[j, pos[pos_ok]]
        df[f"{p}_aum_estimated"] = est
    df["ndx_sox_flow_usd"] = total
    return df


def events_summary(events: pd.DataFrame) -> pd.DataFrame:
    """The compact event table of the docs and the terminal: day-0 US moves and the
    model's numbers, the next KRX session for Korean assets (they close before New York)."""
    cols = [
        "date",
        "ndx_d0_move_frac",
        "ndx_next1_move_frac",
        "sox_d0_move_frac",
        "sox_next1_move_frac",
        "vix_d0_move_frac",
        "usdkrw_next1_move_frac",
        "kospi_next1_move_frac",
        "samsung_next1_move_frac",
        "skhynix_next1_move_frac",
        "btc_next1_move_frac",
        "ndx_flow_usd",
        "sox_flow_usd",
        "ndx_pressure_ratio",
        "sox_pressure_ratio",
        "ndx_model_extra_move_frac",
        "sox_model_extra_move_frac",
        "ndx_reversed",
        "sox_reversed",
    ]
    return events[[c for c in cols if c in events.columns]].copy()


def universe_for(store: Store | None) -> Universe:
    """The store's fund snapshot if it has one, else the embedded default universe."""
    from gaemi.data.universe import load_default_universe

    if store is not None:
        n = store.fetch_df("SELECT count(*) AS n FROM fund_snapshots")["n"].iloc[0]
        if int(n) > 0:
            return store.universe()
    return load_default_universe()


def stress_day_totals(run: HistoryRun, days: Sequence[str] = NAMED_EVENTS) -> pd.DataFrame:
    """On each day of ``days`` in the run: the modelled rebalancing flow of every replayed
    underlying (USD), their total, the NDX+SOX+SPX part and the share of the total whose
    A_{t−1} the issuer reported (the rest is estimated: see ``aum_source``)."""
    import pandas as pd

    rp = run.replay
    und = rp.underlying.tolist()
    rows: list[dict[str, Any]] = []
    for d in days:
        k = np.flatnonzero(rp.dates == np.datetime64(d, "D"))
        if k.size == 0:
            continue
        j = int(k[0])
        flows = {u: float(np.nan_to_num(rp.flow_usd[i, j])) for i, u in enumerate(und)}
        rec: dict[str, Any] = {"date": d}
        rec.update({f"{u.lower()}_flow_usd": v for u, v in flows.items()})
        rec["total_flow_usd"] = sum(flows.values())
        rec["ndx_sox_spx_flow_usd"] = sum(flows.get(u, 0.0) for u in ("NDX", "SOX", "SPX"))
        rep = 0.0
        if rp.aum_source is not None:
            for i, u in enumerate(und):
                lab = str(rp.aum_source[i, j])
                if lab == "reported":
                    rep += abs(flows[u])
                elif "reported " in lab:
                    pct = float(lab.split("reported ", 1)[1].split("%", 1)[0]) / 100.0
                    rep += pct * abs(flows[u])
        tot = sum(abs(v) for v in flows.values())
        rec["reported_share_of_abs_flow"] = rep / tot if tot > 0 else float("nan")
        rows.append(rec)
    return pd.DataFrame(rows)
