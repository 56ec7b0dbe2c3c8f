"""One loader for the market state every capability and every face consumes.

:func:`load_state` builds a :class:`~gaemi.data.state.MarketState` from the embedded
default, a DuckDB store (``--db``) or a folder laid out like ../shared/data
(``--data-dir``), as of a day (``--date``), with nothing dated after that day (no
look-ahead). What it could not find is in ``state.warnings``, never filled in silently.
"""

from __future__ import annotations

import atexit
import datetime as dt
import itertools
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.core.universe import Universe
    from gaemi.data.calibration import Calibration
    from gaemi.data.market import DerivedHistory, MarketSnapshot
    from gaemi.data.state import MarketState
    from gaemi.data.store import Store

#: The files of a ../shared/data-like folder the market state reads (the inputs of
#: :data:`gaemi.data.market.STORE_SYMBOLS`: QQQ for NDX, SOXX for SOX, VIX, USD/KRW).
FOLDER_FILES: tuple[str, ...] = (
    "us-adjclose-1993-2026/QQQ.csv",
    "us-adjclose-1993-2026/SOXX.csv",
    "vix-cboe/vix-daily.csv",
    "fx-daily/DEXKOUS.csv",
)
#: Fund files of a folder the state also reads when present: the issuer's daily NAV and
#: net assets, the dated universe snapshots, the depository's custody lists (issue 17),
#: and the closes of the funds (to carry a custody figure or a snapshot by the fund's own
#: return). Globs relative to the folder.
FOLDER_FUND_GLOBS: tuple[str, ...] = (
    "us-letf-nav-proshares/*.csv",
    "us-letf-universe-2026/leveraged_etf_data_*.csv",
    "korea-holdings-ksd/seohak-index/custody_weekly_clean.csv",
    "korea-holdings-ksd/seohak-index/daily-snapshots/custody_daily_*.csv",
)
#: The directory of the funds' adjusted closes (only the universe's tickers are read).
FOLDER_FUND_PRICES = "us-adjclose-1993-2026"


def today_utc() -> dt.date:
    """Today's date in UTC (the day every face means when ``--date`` is left out)."""
    return dt.datetime.now(dt.UTC).date()


def parse_day(date: str | dt.date | dt.datetime | None, name: str = "date") -> dt.date:
    """``YYYY-MM-DD`` (or a date) as a date; ``None`` is today (UTC). Anything else, the
    empty string included, is a one-line error naming ``name``."""
    if date is None:
        return today_utc()
    if isinstance(date, dt.datetime):
        return date.astimezone(dt.UTC).date() if date.tzinfo else date.date()
    if isinstance(date, dt.date):
        return date
    try:
        return dt.date.fromisoformat(str(date))
    except ValueError:
        raise GaemiInputError(f"{name} = {date!r} is not a YYYY-MM-DD date") from None


def market_known_on(
    market: MarketSnapshot, day: dt.date
) -> tuple[MarketSnapshot, dict[str, dt.date]]:
    """``market`` with only the points dated on or before ``day`` (no look-ahead), and the
    series that had points after it → the first such date.

    Uses :meth:`DerivedHistory.snapshot_on` (the replay's filter) with ``market`` as the
    base; a series with no point on or before ``day`` is left out (not known that day).
    """
    from gaemi.data.market import DerivedHistory, MarketSnapshot

    known = DerivedHistory({}, {}, {}).snapshot_on(day, base=market)
    later = {
        name: min(p.as_of for p in pts if p.as_of > day)
        for name, pts in market.series.items()
        if any(p.as_of > day for p in pts)
    }
    return MarketSnapshot(known.series, label=market.label), later


def aum_dates(u: Universe) -> list[dt.date]:
    """The universe's AUM dates, oldest first."""
    return sorted(dt.date.fromisoformat(d) for d in set(u.aum_as_of.tolist()) - {""})


def load_state(
    db: str | Path | None = None,
    data_dir: str | Path | None = None,
    as_of: str | dt.date | dt.datetime | None = None,
    *,
    universe: str | Path | Universe | None = None,
) -> MarketState:
    """The market state as of a day: embedded default, a store, or a data folder.

    Parameters
    ----------
    db : path, optional
        A DuckDB store (``gaemi data import``), opened read-only: market levels derived
        from its prices and USD/KRW up to the day (plus the dated facts of
        ``market_facts.yaml`` up to it), its latest fund snapshot on or before the day, its
        calibration when it has one.
    data_dir : path, optional
        A folder laid out like ../shared/data: the files in :data:`FOLDER_FILES` are
        imported into a temporary store with the ordinary importer, then read as ``db``.
    as_of : str or date, optional
        The day (``YYYY-MM-DD``); default today (UTC). Nothing dated after it is used.
    universe : path or Universe, optional
        A fund universe file (CSV/Parquet) or object replacing the loaded one.

    Returns
    -------
    MarketState
        ``state.market`` holds only observations known on the day; ``state.universe``
        hides Korean shares published after it; ``state.warnings`` says what is missing.

    Raises
    ------
    GaemiInputError
        ``db`` and ``data_dir`` both given, a store that does not exist, a day before
        every embedded observation (nothing known that day: use a store).
    """

    from gaemi.data.market import load_default_market
    from gaemi.data.state import MarketState
    from gaemi.data.store import open_store
    from gaemi.monitor.replay import universe_known_on

    if db is not None and data_dir is not None:
        raise GaemiInputError("give --db or --data-dir, not both")
    given_time = isinstance(as_of, dt.datetime)
    day = parse_day(as_of)
    warnings: list[str] = []
    sources: dict[str, str] = {}
    store_universe: Universe | None = None
    calibration: Calibration | None = None
    korean: Any = None
    if db is not None:
        path = Path(db)
        if not path.is_file():
            raise GaemiInputError(f"db = {str(db)!r} does not exist")
        with open_store(path, read_only=True) as store:
            market, store_universe, calibration = _from_store(store, day, warnings)
            if universe is None:
                store_universe, korean = dated_universe(
                    store, store_universe, day, warnings, label=f"store {path.name}"
                )
                _drop_fallback_warning(warnings, korean)
        label = f"store {path.name}"
    elif data_dir is not None:
        root = Path(data_dir)
        with (
            tempfile.TemporaryDirectory(prefix="gaemi-state-") as tmp,
            _folder_store(root, Path(tmp)) as store,
        ):
            market, store_universe, calibration = _from_store(
                store, day, warnings, label=f"folder {root.name}"
            )
            if universe is None:
                store_universe, korean = dated_universe(
                    store, store_universe, day, warnings, label=f"folder {root.name}"
                )
                _drop_fallback_warning(warnings, korean)
        label = f"folder {root.name}"
    else:
        market = load_default_market()
        label = "embedded default"
    sources["market"] = label
    if isinstance(universe, str | Path):
        from gaemi.data.universe import load_universe

        u = load_universe(universe)
        sources["universe"] = f"file {Path(universe).name}"
    elif universe is not None:
        u = universe
        sources["universe"] = universe.label
    elif store_universe is not None:
        u = store_universe
        sources["universe"] = (
            f"{label} (AUM: issuer NAV / universe snapshots on or before the day; Korean "
            "shares: KSD custody; fund list: "
            f"{'embedded default' if korean.based_on_embedded else 'fund_snapshots'})"
            if korean is not None
            else f"{label} (fund_snapshots)"
        )
    else:
        from gaemi.data.universe import default_universe_on, load_default_universe

        u, dated = default_universe_on(load_default_universe(), day)
        sources["universe"] = "embedded default" + (f" ({dated})" if dated else "")
    if db is None and data_dir is None and universe is None:
        aum = aum_dates(u)
        if aum and aum[0] > day:
            warnings.append(
                f"the embedded fund universe's AUM ({', '.join(map(str, aum))}) is after "
                f"{day}: not known that day (the report's sections that need it say so; "
                "flows and stress use it as a what-if)"
            )
    if db is None and data_dir is None:
        first = min(
            [p.as_of for pts in market.series.values() for p in pts] + aum_dates(u),
            default=None,
        )
        if first is not None and day < first:
            raise GaemiInputError(
                f"date = '{day}' is before every observation of the {market.label} (the "
                f"first is {first}): nothing is known that day; replay a past day from your "
                "own history with --db STORE (`gaemi data import`)"
            )
    if calibration is None:
        from gaemi.data.calibration import load_default_calibration

        calibration = load_default_calibration()
        sources["calibration"] = (
            "embedded default"
            if label == "embedded default"
            else f"embedded default ({label} has no calibration: `gaemi data calibrate`)"
        )
    else:
        sources["calibration"] = label
    known, later = market_known_on(market, day)
    t = (
        as_of
        if given_time and isinstance(as_of, dt.datetime) and as_of.tzinfo
        else dt.datetime.now(dt.UTC)
        if as_of is None
        else dt.datetime.combine(day, dt.time(), dt.UTC)
    )
    return MarketState(
        universe=universe_known_on(u, day),
        market=known,
        calibration=calibration,
        as_of=t,
        sources=sources,
        warnings=tuple(warnings),
        later=later,
        market_unfiltered=market if later else None,
        korean_shares=None if korean is None else korean.shares,
        korean_holdings=None if korean is None else korean.holdings,
    )


def _from_store(
    store: Store, day: dt.date, warnings: list[str], *, label: str | None = None
) -> tuple[MarketSnapshot, Universe | None, Calibration | None]:
    """Market (derived history up to ``day`` + facts), universe and calibration of a store."""
    from gaemi.data.market import history_from_store, load_facts_market
    from gaemi.data.state import store_calibration
    from gaemi.data.universe import load_default_universe

    hist, missing = history_from_store(store)
    if label is not None:
        hist = _relabel(hist, f"store {store.path.name}", label)
        missing = [m.replace(f"store {store.path.name}", label) for m in missing]
    warnings.extend(f"{m}; its indicators are not available" for m in missing)
    market = hist.snapshot_on(day, base=load_facts_market())
    store_universe = None
    try:
        store_universe = store.universe(day.isoformat())
    except GaemiInputError as exc:
        aum = aum_dates(load_default_universe())
        late = bool(aum) and aum[0] > day
        text = str(exc)
        if label is not None:
            text = text.replace(f"store {store.path.name}", label)
        warnings.append(
            f"{text}; using the embedded fund universe (AUM as of "
            f"{', '.join(map(str, aum))})"
            + (
                f", which is after {day}: not known that day (the report's sections that need "
                "it say so; flows and stress use it as a what-if)"
                if late
                else ""
            )
        )
    return market, store_universe, store_calibration(store)


def _relabel(hist: DerivedHistory, old: str, new: str) -> DerivedHistory:
    from gaemi.data.market import DerivedHistory

    srcs: Mapping[str, str] = {k: v.replace(old, new) for k, v in hist.sources.items()}
    return DerivedHistory(hist.series, hist.units, srcs)


#: Distinct folders whose imported store a process keeps (oldest dropped first).
FOLDER_CACHE_SIZE = 4
_folder_cache: dict[tuple[Any, ...], Path] = {}
_folder_cache_dir: list[Path] = []
_folder_cache_lock = threading.Lock()
_folder_cache_names = itertools.count()


def _folder_key(root: Path, todo: list[tuple[Path, str, dict[str, Any]]]) -> tuple[Any, ...]:
    """What the imported store of ``root`` depends on: every file imported (path, size,
    modification time, kind, options) and the ``GAEMI_*`` settings (limits)."""
    files = []
    for f, kind, opts in todo:
        st = f.stat()
        files.append((str(f), st.st_size, st.st_mtime_ns, kind, repr(sorted(opts.items()))))
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("GAEMI_")))
    return (str(root.resolve()), env, tuple(files))


def _cache_dir() -> Path:
    if not _folder_cache_dir:
        path = Path(tempfile.mkdtemp(prefix="gaemi-folder-cache-"))
        atexit.register(shutil.rmtree, path, ignore_errors=True)
        _folder_cache_dir.append(path)
    return _folder_cache_dir[0]


def _folder_store(root: Path, tmp: Path) -> Store:
    """A temporary store holding the :data:`FOLDER_FILES` of ``root`` (ordinary importer).

    The import runs once per process and folder content (:func:`_folder_key`): a later
    load copies the stored result (a 13 MB file for ../shared/data, against ~3–18 s of
    import) into its own temporary directory, so every load still owns its store.
    """
    from gaemi.data.importers import ImportOptions, import_file, iter_importable
    from gaemi.data.store import Store

    if not root.is_dir():
        raise GaemiInputError(f"data-dir {str(root)!r} is not a folder")
    wanted = {root / rel for rel in FOLDER_FILES}
    market_files = {f for f in wanted if f.is_file()}
    wanted |= folder_fund_files(root)
    todo = [(f, k, o) for f, k, o in iter_importable(root) if f in wanted]
    if not any(f in market_files for f, _, _ in todo):
        raise GaemiInputError(
            f"data-dir {str(root)!r} has none of {', '.join(FOLDER_FILES)} (lay it out like "
            "../shared/data)"
        )
    target = tmp / f"{root.name or 'data'}.duckdb"
    key = _folder_key(root, todo)
    with _folder_cache_lock:
        cached = _folder_cache.get(key)
        if cached is not None and cached.is_file():
            shutil.copyfile(cached, target)
            return Store(target)
        store = Store(target)
        try:
            for f, kind, opts in todo:
                import_file(store, f, ImportOptions(kind=kind, on_conflict="keep", **opts))
            # close before copying: reading a file this process holds open would drop
            # DuckDB's fcntl lock on it (gaemi.data.store._OPEN_HERE); the close
            # checkpoints, so the file holds everything and no .wal is left
            store.close()
            keep = _cache_dir() / f"{next(_folder_cache_names)}-{target.name}"
            shutil.copyfile(target, keep)
            store = Store(target)
            _folder_cache[key] = keep
            while len(_folder_cache) > FOLDER_CACHE_SIZE:
                oldest = next(iter(_folder_cache))
                _folder_cache.pop(oldest).unlink(missing_ok=True)
        except BaseException:
            store.close()
            raise
    return store


def _drop_fallback_warning(warnings: list[str], korean: KoreanData | None) -> None:
    """With dated fund data the embedded list is used only for its funds, each with an AUM
    known on the day: the "embedded AUM is a what-if" warning no longer applies."""
    if korean is None or not korean.based_on_embedded:
        return
    kept = [w for w in warnings if "no fund snapshots on or before" not in w]
    note = (
        "fund list: the embedded universe's funds (no fund snapshots), each with its AUM "
        "on or before the day from the issuer NAV or a universe snapshot"
    )
    warnings[:] = [*kept, note]


def folder_fund_files(root: Path) -> set[Path]:
    """The fund files of a folder the state reads (:data:`FOLDER_FUND_GLOBS`, and the
    closes of the embedded universe's funds in :data:`FOLDER_FUND_PRICES`)."""
    from gaemi.data.universe import load_default_universe

    out: set[Path] = set()
    for pattern in FOLDER_FUND_GLOBS:
        out.update(root.glob(pattern))
    prices = root / FOLDER_FUND_PRICES
    for t in load_default_universe().ticker.tolist():
        f = prices / f"{t}.csv"
        if f.is_file():
            out.add(f)
    return out


@dataclass(frozen=True)
class KoreanData:
    """The depository-based figures of a state (see :func:`dated_universe`)."""

    #: one row per fund of the universe: ticker, korean_share, korean_held_usd,
    #: korean_as_of, basis (observed | estimated | ""), source_korean, aum_usd,
    #: aum_as_of, aum_source
    shares: pd.DataFrame
    #: every custody figure on or before the day of the universe's funds: as_of, ticker,
    #: holdings_usd, source (absent = unknown)
    holdings: pd.DataFrame
    based_on_embedded: bool


def _has_rows(store: Store, table: str) -> bool:
    import duckdb

    try:
        row = store.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0]
    except duckdb.Error:  # an older store without the table
        return False
    return bool(row and row[0])


def dated_universe(
    store: Store,
    base: Universe | None,
    day: dt.date,
    warnings: list[str],
    *,
    label: str,
) -> tuple[Universe | None, KoreanData | None]:
    """The fund universe on ``day`` from the store's dated fund data, none after the day
    (:func:`_dated_universe`; the store's "which funds have closes / issuer rows" asked
    once, :func:`gaemi.data.korean_share.store_lookups`)."""
    from gaemi.data import korean_share as ks

    with ks.store_lookups(store):
        return _dated_universe(store, base, day, warnings, label=label)


def _dated_universe(
    store: Store,
    base: Universe | None,
    day: dt.date,
    warnings: list[str],
    *,
    label: str,
) -> tuple[Universe | None, KoreanData | None]:
    """The fund universe on ``day`` from the store's dated fund data, none after the day.

    When the store holds the issuer's daily NAV (``fund_nav``), universe snapshots
    (``universe_snapshots``) or depository custody (``ksd_holdings``), each fund of
    ``base`` (the store's fund snapshots, else the embedded list) gets:

    * AUM at the start of ``day`` — what the close-flow identity ΔE = L(L−1)·A_{t−1}·r
      needs, and what a user knows during that day: the issuer's reported net assets of
      the last trading day before ``day`` (the previous close), or a snapshot dated on or
      before that previous close carried by the fund's return (at most
      :data:`gaemi.data.korean_share.MAX_AUM_CARRY_DAYS` trading days); else the base
      figure if it is dated on or before the day; else the fund is left out (its AUM is
      not known that day) and a warning names it.
    * Korean share: :func:`gaemi.data.korean_share.shares_on_day` — custody observed, or
      carried by the fund's return at most 8 days (``estimated``), over that AUM; else
      unknown (NaN: its flow is unattributed). Press figures are not mixed in.

    Returns the base unchanged and None when the store has none of these tables.
    """
    import numpy as np
    import pandas as pd

    from gaemi.data import korean_share as ks
    from gaemi.data.universe import load_default_universe

    if not any(_has_rows(store, t) for t in ("fund_nav", "universe_snapshots", "ksd_holdings")):
        return base, None
    based_on_embedded = base is None
    u = base if base is not None else load_default_universe()
    tickers = [str(t) for t in u.ticker]
    # the previous close: the last business day before the day (a holiday there just means
    # the latest figure on or before it is used); the same start-of-day rule as the
    # report's universe_on and the history replay's A_{t-1}
    d = pd.Timestamp(day) - pd.offsets.BDay(1)
    hold = ks.korean_holdings(store, tickers) if _has_rows(store, "ksd_holdings") else None
    if hold is None:
        hold = pd.DataFrame(columns=["as_of", "ticker", "holdings_usd", "source"])
    hold = hold[pd.to_datetime(hold["as_of"]) <= d].reset_index(drop=True)
    rows: dict[str, Any] = {
        str(rec["ticker"]): rec
        for rec in ks.shares_on_day(store, d.date(), tickers, holdings=hold).to_dict("records")
    }
    n = len(u)
    aum = u.aum_usd.copy()
    aum_as_of = u.aum_as_of.astype(object).copy()
    src_aum = u.source_aum.astype(object).copy()
    share = np.full(n, np.nan)
    k_as_of = np.full(n, "", dtype=object)
    src_k = np.full(n, "", dtype=object)
    keep = np.ones(n, dtype=bool)
    detail = []
    lag = pd.Timedelta(days=ks.SHARE_ROW_MAX_LAG_DAYS)
    for i, t in enumerate(tickers):
        cand: list[tuple[pd.Timestamp, float, str]] = []
        r = rows.get(t)
        row_ok = r is not None and pd.Timestamp(r["date"]) >= d - lag
        if r is not None and np.isfinite(r["aum_usd"]):
            cand.append((pd.Timestamp(r["date"]), float(r["aum_usd"]), str(r["aum_source"])))
        nav, nav_label = ks._nav_aum(store, t)
        if nav is not None:
            nav = nav[(nav.index <= d) & (nav > 0)]
            if len(nav):
                cand.append((nav.index[-1], float(nav.iloc[-1]), nav_label))
        base_day = pd.Timestamp(u.aum_as_of[i]) if u.aum_as_of[i] else None
        if base_day is not None and base_day <= pd.Timestamp(
            day
        ):  # a snapshot dated the day is known at its start
            cand.append((base_day, float(u.aum_usd[i]), str(u.source_aum[i])))
        held = np.nan
        basis = ""
        if row_ok and r is not None and np.isfinite(r["korean_share"]):
            # the share's own AUM, so that share × AUM is the custody figure
            aum[i], aum_as_of[i] = float(r["aum_usd"]), pd.Timestamp(r["date"]).date().isoformat()
            src_aum[i] = str(r["aum_source"])
            share[i] = min(1.0, float(r["korean_share"]))
            k_day = pd.Timestamp(r["korean_as_of"]).date()
            k_as_of[i] = k_day.isoformat()
            basis = str(r["basis"])
            held = float(r["korean_held_usd"])
            src_k[i] = f"{r['source_korean']} ({basis} {k_day}; AUM {r['aum_source']})"
        elif cand:
            when, value, srcname = max(cand, key=lambda c: c[0])
            aum[i], aum_as_of[i], src_aum[i] = value, when.date().isoformat(), srcname
        else:
            keep[i] = False
        detail.append(
            {
                "ticker": t,
                "korean_share": share[i],
                "korean_held_usd": held,
                "korean_as_of": k_as_of[i],
                "basis": basis,
                "source_korean": src_k[i],
                "aum_usd": aum[i],
                "aum_as_of": aum_as_of[i],
                "aum_source": src_aum[i],
            }
        )
    if not keep.all():
        gone = [t for t, k in zip(tickers, keep, strict=True) if not k]
        warnings.append(
            f"{label}: {len(gone)} of {n} funds left out on {day}: no AUM known on or before "
            f"that day (no issuer NAV, no snapshot within "
            f"{ks.MAX_AUM_CARRY_DAYS} trading days): {', '.join(gone[:12])}"
            + (" …" if len(gone) > 12 else "")
        )
    if not keep.any():
        raise GaemiInputError(
            f"{label}: no fund has an AUM known on or before {day} (fund_nav, "
            "universe_snapshots and fund_snapshots all start later)"
        )
    n_known = int(np.isfinite(share[keep]).sum())
    last = pd.to_datetime(hold["as_of"]).max() if len(hold) else None
    warnings.append(
        f"{label}: Korean shares from the depository (KSD custody / AUM on the day) for "
        f"{n_known} of {int(keep.sum())} funds on {day}"
        + (f" (last custody list on or before it: {last.date()})" if last is not None else "")
        + "; the others are unknown and their flow unattributed"
    )
    from dataclasses import replace

    out = replace(
        u,
        aum_usd=aum,
        aum_as_of=np.asarray(aum_as_of, dtype=str),
        source_aum=np.asarray(src_aum, dtype=str),
        korean_share=share,
        korean_as_of=np.asarray(k_as_of, dtype=str),
        source_korean=np.asarray(src_k, dtype=str),
        label=f"{label} funds on {day}",
    ).select(keep)
    shares = pd.DataFrame(detail)[keep].reset_index(drop=True)
    return out, KoreanData(shares, hold, based_on_embedded)
