"""One loader for the market state every capability and every face consumes.

:func:`load_state` builds a :class:`~gaemi.data.state.MarketState` from the embedded
default, a DuckDB store (``--db``) or a folder laid out like ../shared/data
(``--data-dir``), as of a day (``--date``), with nothing dated after that day (no
look-ahead). What it could not find is in ``state.warnings``, never filled in silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
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
    import tempfile

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
    if db is not None:
        path = Path(db)
        if not path.is_file():
            raise GaemiInputError(f"db = {str(db)!r} does not exist")
        with open_store(path, read_only=True) as store:
            market, store_universe, calibration = _from_store(store, day, warnings)
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
        sources["universe"] = f"{label} (fund_snapshots)"
    else:
        from gaemi.data.universe import load_default_universe

        u = load_default_universe()
        sources["universe"] = "embedded default"
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


def _folder_store(root: Path, tmp: Path) -> Store:
    """A temporary store holding the :data:`FOLDER_FILES` of ``root`` (ordinary importer)."""
    from gaemi.data.importers import ImportOptions, import_file, iter_importable
    from gaemi.data.store import Store

    if not root.is_dir():
        raise GaemiInputError(f"data-dir {str(root)!r} is not a folder")
    wanted = {root / rel for rel in FOLDER_FILES}
    todo = [(f, k, o) for f, k, o in iter_importable(root) if f in wanted]
    if not todo:
        raise GaemiInputError(
            f"data-dir {str(root)!r} has none of {', '.join(FOLDER_FILES)} (lay it out like "
            "../shared/data)"
        )
    store = Store(tmp / f"{root.name or 'data'}.duckdb")
    try:
        for f, kind, opts in todo:
            import_file(store, f, ImportOptions(kind=kind, on_conflict="keep", **opts))
    except BaseException:
        store.close()
        raise
    return store
