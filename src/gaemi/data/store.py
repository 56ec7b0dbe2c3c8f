"""The DuckDB store: one database file holding everything the engines consume.

Tables (see ``docs/data.md``): ``prices`` (daily OHLC, adjusted close, volume per symbol;
a view joining the rows in ``price_rows`` to their ``provenance``),
``fund_snapshots`` (AUM, shares outstanding per fund and date), ``holdings`` (Korean
holdings per fund and date), ``macro`` (macro series values), ``calibration`` (derived
parameters with their sample), ``runs`` (engine runs: inputs, version, seed, results),
``imports`` (what was imported from which file), ``meta`` (the schema version) and, since
v5, ``fund_nav`` (the issuer's daily NAV, shares and net assets per fund),
``universe_snapshots`` (every leveraged/inverse fund per snapshot day) and ``derivatives``
(crypto open interest, funding and liquidations per market and day); since v6
``ksd_holdings`` and ``ksd_flows`` (the Korea Securities Depository's lists).

Every write is one transaction: a failed or killed import leaves the store as it was.
Merges are idempotent: a row equal to the stored one changes nothing; a row that differs
from the stored one is an error unless the caller chose ``on_conflict="keep"`` (stored
value wins) or ``"replace"`` (the new value wins) — never a silent mix.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

    from gaemi.core.universe import Universe

#: Environment variable naming the store file.
ENV_DB = "GAEMI_DB"
#: Environment variable: seconds to wait for another process's lock on the store.
ENV_LOCK_TIMEOUT = "GAEMI_DB_LOCK_TIMEOUT"
#: Default wait for the lock, seconds (an import of the shipped data takes a few seconds).
DEFAULT_LOCK_TIMEOUT_S = 30.0
#: The bytes at offset 8 of every DuckDB database file.
DUCKDB_MAGIC = b"DUCK"
#: Current schema version; :data:`MIGRATIONS` upgrades older stores step by step.
SCHEMA_VERSION = 6
OnConflict = Literal["error", "keep", "replace"]
ON_CONFLICT: tuple[str, ...] = ("error", "keep", "replace")


@dataclass(frozen=True)
class TableSpec:
    """A data table: its key columns and its value columns (compared on merge)."""

    name: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    #: Columns describing where a row came from; not compared on merge.
    provenance: tuple[str, ...] = ("source", "retrieved_at")
    #: When set, ``name`` is a view and the rows live in this table, which holds a
    #: ``provenance_id`` into the ``provenance`` table (source, retrieved_at) instead of
    #: the two columns: one import writes one provenance row, not a million copies.
    rows_table: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.keys, *self.values, *self.provenance)


TABLES: dict[str, TableSpec] = {
    "prices": TableSpec(
        "prices",
        ("symbol", "date"),
        ("open", "high", "low", "close", "adj_close", "volume"),
        rows_table="price_rows",
    ),
    "fund_snapshots": TableSpec(
        "fund_snapshots",
        ("ticker", "as_of"),
        (
            "name",
            "issuer",
            "leverage",
            "underlying_id",
            "underlying_kind",
            "underlying_group",
            "expense_ratio",
            "aum_usd",
            "shares_outstanding",
            "nav_usd",
        ),
    ),
    "holdings": TableSpec("holdings", ("ticker", "as_of"), ("korean_held_usd", "korean_share")),
    "macro": TableSpec("macro", ("series_id", "date"), ("value", "unit")),
    # v5: issuer daily NAV files, full-universe snapshots, crypto derivatives positioning
    "fund_nav": TableSpec(
        "fund_nav",
        ("ticker", "date"),
        ("nav_usd", "prior_nav_usd", "shares_outstanding", "aum_usd"),
    ),
    "universe_snapshots": TableSpec(
        "universe_snapshots",
        ("ticker", "as_of"),
        (
            "name",
            "underlying_id",
            "underlying_raw",
            "underlying_ticker",
            "leverage",
            "leverage_text",
            "direction",
            "aum_usd",
            "aum_as_of",
            "issuer",
            "inception_date",
            "fund_type",
        ),
    ),
    "derivatives": TableSpec(
        "derivatives", ("metric", "market", "date"), ("exchange", "value", "unit")
    ),
    # v6: the Korea Securities Depository's lists (issue 17)
    "ksd_holdings": TableSpec(
        "ksd_holdings", ("list", "isin", "as_of"), ("ticker", "name", "holdings_usd", "rank")
    ),
    "ksd_flows": TableSpec(
        "ksd_flows",
        ("list", "period", "isin", "as_of"),
        ("ticker", "name", "rank", "buy_usd", "sell_usd", "net_buy_usd"),
    ),
}

_V1 = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE prices (
    symbol VARCHAR NOT NULL, date DATE NOT NULL,
    open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, adj_close DOUBLE, volume DOUBLE,
    source VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL);
CREATE TABLE fund_snapshots (
    ticker VARCHAR NOT NULL, as_of DATE NOT NULL, name VARCHAR, issuer VARCHAR,
    leverage DOUBLE NOT NULL, underlying_id VARCHAR NOT NULL, underlying_kind VARCHAR,
    underlying_group VARCHAR, expense_ratio DOUBLE, aum_usd DOUBLE NOT NULL,
    shares_outstanding DOUBLE, nav_usd DOUBLE,
    source VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL);
CREATE TABLE holdings (
    ticker VARCHAR NOT NULL, as_of DATE NOT NULL, korean_held_usd DOUBLE,
    korean_share DOUBLE, source VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL);
CREATE TABLE macro (
    series_id VARCHAR NOT NULL, date DATE NOT NULL, value DOUBLE NOT NULL, unit VARCHAR,
    source VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL);
CREATE TABLE runs (
    run_id VARCHAR PRIMARY KEY, engine VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL,
    version VARCHAR NOT NULL, seed BIGINT, inputs JSON, results JSON);
CREATE TABLE imports (
    import_id VARCHAR PRIMARY KEY, imported_at TIMESTAMPTZ NOT NULL, kind VARCHAR NOT NULL,
    file VARCHAR, sha256 VARCHAR, rows BIGINT, inserted BIGINT, replaced BIGINT,
    unchanged BIGINT, kept BIGINT, source VARCHAR, notes JSON);
"""

_V2 = """
CREATE TABLE calibration (
    param VARCHAR PRIMARY KEY, value DOUBLE, n BIGINT, start_date DATE, end_date DATE,
    method VARCHAR, computed_at TIMESTAMPTZ NOT NULL);
"""

# Per-row provenance of prices moves to a small table: the rows keep an integer id, and
# ``prices`` becomes a view with the same columns as before (every reader is unchanged).
_V3 = """
CREATE TABLE provenance (
    provenance_id INTEGER PRIMARY KEY, source VARCHAR NOT NULL,
    retrieved_at TIMESTAMPTZ NOT NULL);
INSERT INTO provenance
    SELECT (row_number() OVER (ORDER BY source, retrieved_at))::INTEGER, source, retrieved_at
    FROM (SELECT DISTINCT source, retrieved_at FROM prices);
CREATE TABLE price_rows (
    symbol VARCHAR NOT NULL, date DATE NOT NULL,
    open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, adj_close DOUBLE, volume DOUBLE,
    provenance_id INTEGER NOT NULL);
INSERT INTO price_rows
    SELECT p.symbol, p.date, p.open, p.high, p.low, p.close, p.adj_close, p.volume,
           v.provenance_id
    FROM prices p JOIN provenance v
      ON p.source = v.source AND p.retrieved_at = v.retrieved_at
    ORDER BY p.symbol, p.date;
DROP TABLE prices;
CREATE VIEW prices AS
    SELECT r.symbol, r.date, r.open, r.high, r.low, r.close, r.adj_close, r.volume,
           v.source, v.retrieved_at
    FROM price_rows r JOIN provenance v ON r.provenance_id = v.provenance_id;
"""

# The file digest names its algorithm (``blake3:…``; stores before v4 hold SHA-256).
_V4 = """
ALTER TABLE imports RENAME COLUMN sha256 TO digest;
UPDATE imports SET digest = 'sha256:' || digest WHERE digest IS NOT NULL AND digest <> '';
"""

# New kinds (issues 16, 18): the issuer's daily NAV / shares / net assets per fund; the
# whole leveraged-ETF universe per snapshot day (leverage NULL = variable or unknown, never
# guessed; underlying_id NULL = not mapped to a gaemi id); crypto derivatives positioning
# per market and day (metric: open_interest_usd, funding_rate_frac, liquidations_*_usd).
_V5 = """
CREATE TABLE fund_nav (
    ticker VARCHAR NOT NULL, date DATE NOT NULL, nav_usd DOUBLE NOT NULL,
    prior_nav_usd DOUBLE, shares_outstanding DOUBLE, aum_usd DOUBLE NOT NULL,
    source VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL);
CREATE TABLE universe_snapshots (
    ticker VARCHAR NOT NULL, as_of DATE NOT NULL, name VARCHAR, underlying_id VARCHAR,
    underlying_raw VARCHAR, underlying_ticker VARCHAR, leverage DOUBLE, leverage_text VARCHAR,
    direction VARCHAR, aum_usd DOUBLE, aum_as_of DATE, issuer VARCHAR, inception_date DATE,
    fund_type VARCHAR, source VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL);
CREATE TABLE derivatives (
    metric VARCHAR NOT NULL, market VARCHAR NOT NULL, date DATE NOT NULL, exchange VARCHAR,
    value DOUBLE NOT NULL, unit VARCHAR,
    source VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL);
"""

# The Korea Securities Depository's lists (issue 17), amounts in USD as KSD publishes them.
# ``ksd_holdings``: custody per security and date; ``list`` = weekly_top50 (the weekly top
# ~50), daily_isin (per-ISIN custody), daily_top50; holdings_usd NULL where the list
# reports 0.0 (stale pre-split ISINs, scraper gaps: unknown, not zero). A security absent
# from a top-50 list has no row (unknown). ``ksd_flows``: buys/sells per security over a
# period ending (or, for ``month``, starting) on as_of; ``list`` = settlement_top50,
# daily_isin, netbuy_top50_US; ``period`` = month, 7d, 30d.
_V6 = """
CREATE TABLE ksd_holdings (
    list VARCHAR NOT NULL, isin VARCHAR NOT NULL, as_of DATE NOT NULL, ticker VARCHAR,
    name VARCHAR, holdings_usd DOUBLE, rank DOUBLE,
    source VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL);
CREATE TABLE ksd_flows (
    list VARCHAR NOT NULL, period VARCHAR NOT NULL, isin VARCHAR NOT NULL, as_of DATE NOT NULL,
    ticker VARCHAR, name VARCHAR, rank DOUBLE, buy_usd DOUBLE, sell_usd DOUBLE,
    net_buy_usd DOUBLE, source VARCHAR NOT NULL, retrieved_at TIMESTAMPTZ NOT NULL);
"""

#: ``MIGRATIONS[v]`` upgrades a store at version ``v`` to ``v + 1``.
MIGRATIONS: dict[int, str] = {0: _V1, 1: _V2, 2: _V3, 3: _V4, 4: _V5, 5: _V6}


def default_data_dir() -> Path:
    """The user's data directory for gaemi (XDG on Linux, the usual places elsewhere)."""
    if sys.platform == "win32":  # pragma: no cover - platform specific
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":  # pragma: no cover - platform specific
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "gaemi"


def resolve_db_path(db: str | Path | None = None) -> Path:
    """The store file: ``db`` if given, else ``$GAEMI_DB``, else ``<data dir>/gaemi.duckdb``."""
    if db is not None and str(db).strip():
        return Path(db).expanduser()
    env = os.environ.get(ENV_DB, "").strip()
    if env:
        return Path(env).expanduser()
    return default_data_dir() / "gaemi.duckdb"


def lock_timeout_s(value: float | str | None = None) -> float:
    """The wait for the store's lock: ``value``, else ``$GAEMI_DB_LOCK_TIMEOUT``, else 30 s."""
    raw: float | str = value if value is not None else os.environ.get(ENV_LOCK_TIMEOUT, "")
    if isinstance(raw, str) and not raw.strip():
        return DEFAULT_LOCK_TIMEOUT_S
    try:
        out = float(raw)
    except ValueError:
        raise GaemiInputError(
            f"{ENV_LOCK_TIMEOUT} = {raw!r} must be a number of seconds >= 0"
        ) from None
    if not (out >= 0 and out < 1e6):
        raise GaemiInputError(f"{ENV_LOCK_TIMEOUT} = {raw!r} must be a number of seconds >= 0")
    return out


#: Store files this process has open (device, inode) -> number of open :class:`Store`
#: objects. DuckDB guards a file with a POSIX ``fcntl`` lock, and POSIX drops every lock a
#: process holds on a file when the process closes ANY descriptor of that file: reading
#: the header of a store this process has open (:func:`check_store_file`, e.g. a nested
#: ``Store(path)``) silently unlocked it, and another process could then open it for
#: writing beside this one; the last of the two to checkpoint overwrote the other's
#: commits. A file listed here is never opened by gaemi outside DuckDB.
_OPEN_HERE: Counter[tuple[int, int]] = Counter()
_OPEN_HERE_LOCK = threading.Lock()  # (the web app opens stores from several threads)


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def check_store_file(path: Path) -> None:
    """Refuse a path that exists but is not a DuckDB database (a CSV, a Parquet file, a
    folder …): DuckDB would open some of those as something else and the import would
    report rows it never wrote. A new path is fine (the store is created)."""
    if path.is_dir():
        raise GaemiInputError(f"store {str(path)!r} is a folder, not a DuckDB file")
    if not path.exists():
        return
    if _file_id(path) in _OPEN_HERE:
        # open in this process, so a DuckDB file; and reading it here would close a
        # descriptor of it, which drops this process's lock on it (see _OPEN_HERE)
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise GaemiInputError(f"store {str(path)!r}: cannot read ({exc.strerror})") from None
    if head[8:12] != DUCKDB_MAGIC:
        raise GaemiInputError(
            f"store {str(path)!r} is not a DuckDB database (give a .duckdb file or a new "
            "path; nothing was written)"
        )


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "could not set lock" in text or "conflicting lock" in text


#: Longest pause between two tries for the lock, seconds: a reader (a quick, shared
#: open) retries often so that it gets in between writers; a writer less often.
LOCK_PAUSE_MAX_S = {True: 0.05, False: 0.25}
#: First pause, seconds, and its growth per try (each pause is jittered by x0.5-1.5).
LOCK_PAUSE_START_S = 0.01
LOCK_PAUSE_GROWTH = 1.5
#: After this process had to wait for the lock, for this long a writer first steps aside
#: for :data:`LOCK_YIELD_S` before it tries, so that a writer looping on the store (an
#: importer, a monitor) leaves the other waiters a gap instead of re-taking the lock at once.
LOCK_CONTENDED_S = 5.0
LOCK_YIELD_S = (0.02, 0.06)
_contended_until = [0.0]  # monotonic time (this process)


def _connect(
    path: Path, read_only: bool, timeout_s: float
) -> tuple[duckdb.DuckDBPyConnection, float]:
    """``duckdb.connect``, waiting for another process's lock up to ``timeout_s`` seconds
    (retries with a growing, jittered pause, capped lower for readers; a writer that has
    seen the lock contended lately steps aside briefly first), then one clear line.
    Returns the connection and the seconds spent waiting."""
    import random
    import time

    import duckdb

    start = time.monotonic()
    deadline = start + timeout_s
    if not read_only and start < _contended_until[0] and timeout_s > 0:
        time.sleep(random.uniform(*LOCK_YIELD_S))
    pause = LOCK_PAUSE_START_S
    cap = LOCK_PAUSE_MAX_S[read_only]
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only), time.monotonic() - start
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise GaemiInputError(f"store {str(path)!r}: cannot open ({first})") from exc
            now = time.monotonic()
            _contended_until[0] = now + LOCK_CONTENDED_S
            left = deadline - now
            if left <= 0:
                raise GaemiInputError(
                    f"store {str(path)!r} is in use by another process: waited "
                    f"{timeout_s:g} s for its lock ({ENV_LOCK_TIMEOUT} sets the wait)"
                ) from None
            time.sleep(min(left, pause * (0.5 + random.random())))
            pause = min(pause * LOCK_PAUSE_GROWTH, cap)


@dataclass(frozen=True)
class MergeResult:
    """What one merge into a table did (row counts)."""

    table: str
    rows: int
    inserted: int
    replaced: int
    unchanged: int
    kept: int

    @property
    def changed(self) -> bool:
        return self.inserted + self.replaced > 0


class Store:
    """A DuckDB store file. Use as a context manager or call :meth:`close`.

    Parameters
    ----------
    path : path-like or None
        The database file (see :func:`resolve_db_path`); created with its parent folder
        unless ``read_only``. An existing file that is not a DuckDB database is refused.
    read_only : bool
        Open without write access (several readers may share the file).
    lock_timeout : float, optional
        Seconds to wait while another process holds the store's lock (a writer excludes
        everyone, readers exclude writers); default ``$GAEMI_DB_LOCK_TIMEOUT`` or 30 s.
    verify : bool
        On :meth:`close` after a committed write, reopen the file read-only and check
        that the imports logged and rows stored are there (default; ~10 ms a close).

    Attributes
    ----------
    lock_wait_s : float
        Seconds this open spent waiting for another process's lock (0 when free).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        lock_timeout: float | None = None,
        verify: bool = True,
    ) -> None:
        self.path = resolve_db_path(path)
        wait_s = lock_timeout_s(lock_timeout)
        check_store_file(self.path)
        if read_only and not self.path.is_file():
            raise GaemiInputError(
                f"store {str(self.path)!r} does not exist (import data with `gaemi data import`)"
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.read_only = read_only
        self.verify = verify
        self._lock_timeout_s = wait_s
        #: What this store's committed writes left that :meth:`close` checks is still
        #: in the file: (import id, time) of each import-log row, and (rows table,
        #: provenance id, rows) of each merge that stored rows under a provenance id.
        self._logs: list[tuple[str, datetime]] = []
        self._rows: list[tuple[str, int, int, datetime]] = []
        self._replaced = False  # this store replaced stored rows (fewer under an id)
        self._wrote = False
        self._closed = False
        self.con: duckdb.DuckDBPyConnection
        # listed before the connect (no header read of another thread of this process
        # may fall between DuckDB taking its lock and the listing); a new file after it
        self._file_id = _file_id(self.path)
        self._listed = False
        self._list()
        try:
            self.con, self.lock_wait_s = _connect(self.path, read_only, wait_s)
        except BaseException:
            self._unlist()
            raise
        if self._file_id is None:
            self._file_id = _file_id(self.path)
            self._list()
        try:
            if read_only:
                v = self.schema_version()
                if v != SCHEMA_VERSION:
                    raise GaemiInputError(
                        f"store {self.path.name}: schema version {v}, this gaemi needs "
                        f"{SCHEMA_VERSION} (open it once for writing to migrate)"
                    )
            else:
                self.migrate()
        except BaseException:
            self._release()
            raise

    # ------------------------------------------------------------------ lifecycle
    def _release(self) -> None:
        """Close the connection and forget the file (once)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.con.close()
        finally:
            self._unlist()

    def _list(self) -> None:
        """Count this store in :data:`_OPEN_HERE` (once)."""
        fid = self._file_id
        if fid is not None and not self._listed:
            with _OPEN_HERE_LOCK:
                _OPEN_HERE[fid] += 1
            self._listed = True

    def _unlist(self) -> None:
        fid = self._file_id
        if fid is not None and self._listed:
            with _OPEN_HERE_LOCK:
                _OPEN_HERE[fid] -= 1
                if _OPEN_HERE[fid] <= 0:
                    del _OPEN_HERE[fid]
            self._listed = False

    def close(self) -> None:
        """Close the store. A writer that committed something checkpoints first (its
        commits move from the ``.wal`` into the file while it still holds the lock, and
        a failure is raised instead of being lost in DuckDB's own shutdown), then, with
        ``verify``, reopens the file read-only and checks that every import it logged
        and every row it stored under a provenance id is there: a lost commit is one
        :class:`GaemiInputError` line, never a reported success (see :meth:`_verify`).
        Both are done by the last :class:`Store` of this process on the file to close
        (several share one DuckDB instance; the others only close their connection).
        """
        if self._closed:
            return
        logs, rows = self._logs, self._rows
        self._logs, self._rows = [], []
        fid = self._file_id
        last = fid is None or _OPEN_HERE.get(fid, 0) <= 1
        try:
            if self._wrote and not self.read_only and last:
                # (another Store of this process on the file shares DuckDB's instance:
                # the file is checkpointed when the last of them closes)
                self._checkpoint()
        finally:
            self._release()
        if self.verify and last and (logs or rows):
            self._verify(logs, rows)

    def _checkpoint(self) -> None:
        import duckdb

        try:
            _first(self.con.execute("CHECKPOINT"))
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise GaemiInputError(
                f"store {str(self.path)!r}: the write was committed but its checkpoint "
                f"failed ({first}); the next open of the store replays it from the .wal"
            ) from exc

    def _verify(
        self, logs: list[tuple[str, datetime]], rows: list[tuple[str, int, int, datetime]]
    ) -> None:
        """Reopen the closed file read-only (waiting for the lock like any reader) and
        check, in one query, that this store's committed writes are in it: each import-log
        row by its id, and the rows stored under each provenance id, counted through the
        provenance join every reader uses (fewer is a loss unless this store or a later
        logged import replaced rows). A bare DuckDB open, no schema check: ~15 ms on a
        quiet machine (see docs/data.md)."""
        ids = [i for i, _ in logs]
        parts, params = ["0"], []
        if ids:
            marks = ", ".join("?" * len(ids))
            parts, params = [f"(SELECT count(*) FROM imports WHERE import_id IN ({marks}))"], ids
        for table, pid, _, _ in rows:
            parts.append(
                f"(SELECT count(*) FROM {table} r JOIN provenance v "
                f"ON r.provenance_id = v.provenance_id WHERE r.provenance_id = {int(pid)})"
            )
        since = min(t for *_, t in [*logs, *rows])
        parts.append("(SELECT count(*) FROM imports WHERE imported_at > ? AND replaced > 0)")
        values: list[Any] = [*params, since]
        self._list()  # (listed while DuckDB holds the file again, as any open)
        try:
            con, _ = _connect(self.path, True, self._lock_timeout_s)
            try:
                got = [int(x) for x in _first(con.execute(f"SELECT {', '.join(parts)}", values))]
            finally:
                con.close()
        finally:
            self._unlist()
        found, counts, later = got[0], got[1:-1], got[-1]
        short = [
            f"{table} {c} of {n} rows"
            for (table, _, n, _), c in zip(rows, counts, strict=True)
            if c < n
        ]
        if self._replaced or later:
            short = []  # rows replaced by this store or a later import: not a loss
        if found < len(ids) or short:
            what = (
                f"{len(ids) - found} of {len(ids)} logged imports missing"
                if found < len(ids)
                else ", ".join(short)
            )
            raise GaemiInputError(
                f"store {str(self.path)!r}: a committed write is not in the file after "
                f"close ({what}); another process may have written the store at the same "
                "time — import again"
            )

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """``BEGIN … COMMIT``; any exception rolls everything back (and drops the writes
        it recorded for :meth:`close` to verify)."""
        self.con.execute("BEGIN TRANSACTION")
        n_logs, n_rows = len(self._logs), len(self._rows)  # the records before BEGIN
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            del self._logs[n_logs:], self._rows[n_rows:]
            raise
        self.con.execute("COMMIT")
        self._wrote = True

    # ------------------------------------------------------------------ schema
    def schema_version(self) -> int:
        """The schema version recorded in the store (0 for an empty file)."""
        import duckdb

        try:  # (cheaper than asking the catalog first: that costs ~7 ms on a new file)
            row = _first(self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'"))
        except duckdb.CatalogException:
            return 0
        return int(row[0]) if row else 0

    def migrate(self) -> int:
        """Apply the migrations the store lacks, each in its own transaction (a new,
        empty store gets the whole schema in one transaction)."""
        v = self.schema_version()
        if v > SCHEMA_VERSION:
            raise GaemiInputError(
                f"store {self.path.name}: schema version {v} is newer than this gaemi "
                f"({SCHEMA_VERSION}); upgrade gaemi"
            )
        while v < SCHEMA_VERSION:
            upto = SCHEMA_VERSION if v == 0 else v + 1
            with self.transaction() as con:
                con.execute(
                    "".join(MIGRATIONS[u] for u in range(v, upto))
                    + f"INSERT OR REPLACE INTO meta VALUES ('schema_version', '{upto}');"
                )
            v = upto
        return v

    # ------------------------------------------------------------------ merge
    def merge(
        self,
        table: str,
        data: pa.Table,
        *,
        on_conflict: OnConflict = "error",
        label: str = "",
        provenance: tuple[str, datetime] | None = None,
    ) -> MergeResult:
        """Merge rows into ``table`` (inside the caller's transaction).

        Rows whose key is new are inserted; rows equal to the stored ones (value columns
        compared with ``IS NOT DISTINCT FROM``) change nothing; rows that differ follow
        ``on_conflict``: ``error`` raises :class:`GaemiInputError` naming the first
        differing key, ``keep`` keeps the stored row, ``replace`` stores the new row (with
        the new row's source). ``provenance`` = ``(source, retrieved_at)`` says that every
        row of ``data`` has this source and retrieval time (one file, one fetch); the
        rows' own ``source``/``retrieved_at`` columns are then not read.
        """
        spec = TABLES[table]
        if on_conflict not in ON_CONFLICT:
            raise GaemiInputError(
                f"on_conflict = {on_conflict!r} must be one of {', '.join(ON_CONFLICT)}"
            )
        con = self.con
        rows_table = spec.rows_table or table
        on = " AND ".join(f"s.{k} = t.{k}" for k in spec.keys)
        differs = " OR ".join(f"s.{v} IS DISTINCT FROM t.{v}" for v in spec.values)
        con.register("_stage", data)  # zero-copy view of the validated Arrow table
        try:
            empty = _first(con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {rows_table})"))[0]
            row = (
                (0, 0)
                if empty
                else _first(
                    con.execute(
                        f"SELECT count(*), count(*) FILTER (WHERE {differs}) "
                        f"FROM _stage s JOIN {rows_table} t ON {on}"
                    )
                )
            )
            matched, conflicts = (int(row[0]), int(row[1])) if row else (0, 0)
            if conflicts and on_conflict == "error":
                keys = ", ".join(f"s.{k}" for k in spec.keys)
                diff_cols = ", ".join(f"s.{v}, t.{v}" for v in spec.values)
                first = _first(
                    con.execute(
                        f"SELECT {keys}, {diff_cols}, t.source FROM _stage s "
                        f"JOIN {table} t ON {on} WHERE {differs} ORDER BY {keys} LIMIT 1"
                    )
                )
                assert first is not None
                nk = len(spec.keys)
                key_text = " ".join(str(x) for x in first[:nk])
                vals = first[nk:-1]
                what = next(
                    (
                        f"{v} {vals[2 * i]!r} vs stored {vals[2 * i + 1]!r}"
                        for i, v in enumerate(spec.values)
                        if vals[2 * i] != vals[2 * i + 1]
                    ),
                    "values differ",
                )
                raise GaemiInputError(
                    f"{label or table}: {conflicts} rows differ from the stored {table} "
                    f"(first: {key_text}: {what}, stored from {first[-1]}); "
                    "choose --on-conflict keep or replace"
                )
            n = int(data.num_rows)
            replaced = 0
            if conflicts and on_conflict == "replace":
                keys_t = ", ".join(spec.keys)
                con.execute(
                    f"DELETE FROM {rows_table} WHERE ({keys_t}) IN "
                    f"(SELECT ({', '.join('s.' + k for k in spec.keys)}) FROM _stage s "
                    f"JOIN {rows_table} t ON {on} WHERE {differs})"
                )
                replaced = conflicts
                self._replaced = True
            if n - matched + replaced:
                new_only = (
                    ""
                    if matched == 0
                    else (f" WHERE NOT EXISTS (SELECT 1 FROM {rows_table} t WHERE {on})")
                )
                if spec.rows_table is None:
                    cols = ", ".join(spec.columns)
                    con.execute(
                        f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _stage s{new_only}"
                    )
                else:
                    self._insert_with_provenance(
                        spec, provenance, new_only, rows=n - matched + replaced
                    )
            if replaced and spec.rows_table is not None:
                con.execute(  # provenance rows no stored row points to any more
                    "DELETE FROM provenance WHERE provenance_id NOT IN "
                    f"(SELECT DISTINCT provenance_id FROM {spec.rows_table})"
                )
        finally:
            con.unregister("_stage")
        inserted = n - matched
        unchanged = matched - conflicts
        kept = conflicts if on_conflict == "keep" else 0
        return MergeResult(table, n, inserted, replaced, unchanged, kept)

    def _insert_with_provenance(
        self,
        spec: TableSpec,
        provenance: tuple[str, datetime] | None,
        new_only: str,
        *,
        rows: int | None = None,
    ) -> None:
        """Insert the staged rows (``s``) into ``spec.rows_table`` with provenance ids
        (``rows``: how many the insert stores, checked by :meth:`close` under one id)."""
        con = self.con
        cols = ", ".join((*spec.keys, *spec.values))
        scols = ", ".join(f"s.{c}" for c in (*spec.keys, *spec.values))
        next_id = "(SELECT coalesce(max(provenance_id), 0) FROM provenance)"
        if provenance is not None:
            source, retrieved_at = provenance
            pid = _first(con.execute(f"SELECT {next_id} + 1"))[0]
            con.execute("INSERT INTO provenance VALUES (?, ?, ?)", [pid, source, retrieved_at])
            con.execute(
                f"INSERT INTO {spec.rows_table} ({cols}, provenance_id) "
                f"SELECT {scols}, {int(pid)} FROM _stage s{new_only}"
            )
            if rows is not None and spec.rows_table is not None:
                self._rows.append((spec.rows_table, int(pid), rows, datetime.now(UTC)))
            return
        # rows with their own source/retrieved_at (several fetches in one table): one
        # provenance row per distinct pair not yet known, then the rows point to them
        con.execute(
            f"INSERT INTO provenance SELECT {next_id} + row_number() OVER "
            "(ORDER BY source, retrieved_at), source, retrieved_at FROM "
            "(SELECT DISTINCT source, retrieved_at FROM _stage EXCEPT "
            "SELECT source, retrieved_at FROM provenance)"
        )
        con.execute(
            f"INSERT INTO {spec.rows_table} ({cols}, provenance_id) "
            f"SELECT {scols}, v.provenance_id FROM _stage s JOIN provenance v "
            f"ON s.source = v.source AND s.retrieved_at = v.retrieved_at{new_only}"
        )
        con.execute(  # pairs whose rows were all already stored point nowhere
            "DELETE FROM provenance WHERE provenance_id NOT IN "
            f"(SELECT DISTINCT provenance_id FROM {spec.rows_table})"
        )

    def log_import(
        self,
        kind: str,
        result: MergeResult,
        *,
        file: str,
        digest: str,
        source: str,
        notes: Sequence[str] = (),
    ) -> None:
        """Record an import that changed something (inside the caller's transaction)."""
        import_id, now = uuid.uuid4().hex, datetime.now(UTC)
        self.con.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                import_id,
                now,
                kind,
                file,
                digest,
                result.rows,
                result.inserted,
                result.replaced,
                result.unchanged,
                result.kept,
                source,
                json.dumps(list(notes)),
            ],
        )
        self._logs.append((import_id, now))

    # ------------------------------------------------------------------ reads
    def fetch_df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a query and return a pandas DataFrame (through Arrow)."""
        rel = self.con.sql(sql, params=list(params) or None)
        df: pd.DataFrame = rel.to_arrow_table().to_pandas()
        return df

    def status(self) -> pd.DataFrame:
        """Row counts, date ranges and latest retrieval per table."""
        import pandas as pd

        rows = []
        for name, key, date_col in (
            ("prices", "symbol", "date"),
            ("fund_snapshots", "ticker", "as_of"),
            ("holdings", "ticker", "as_of"),
            ("macro", "series_id", "date"),
            ("fund_nav", "ticker", "date"),
            ("universe_snapshots", "ticker", "as_of"),
            ("derivatives", "metric || ' ' || market", "date"),
            ("ksd_holdings", "isin", "as_of"),
            ("ksd_flows", "isin", "as_of"),
        ):
            r = _first(
                self.con.execute(
                    f"SELECT count(*), count(DISTINCT {key}), min({date_col}), max({date_col}), "
                    f"max(retrieved_at)::VARCHAR FROM {name}"
                )
            )
            assert r is not None
            rows.append(
                {
                    "table": name,
                    "rows": int(r[0]),
                    "series": int(r[1]),
                    "first_date": str(r[2] or ""),
                    "last_date": str(r[3] or ""),
                    "last_retrieved": str(r[4] or ""),
                }
            )
        for name in ("calibration", "runs", "imports"):
            r = _first(self.con.execute(f"SELECT count(*) FROM {name}"))
            assert r is not None
            rows.append(
                {
                    "table": name,
                    "rows": int(r[0]),
                    "series": 0,
                    "first_date": "",
                    "last_date": "",
                    "last_retrieved": "",
                }
            )
        return pd.DataFrame(rows)

    def list_series(self, kind: str = "prices") -> pd.DataFrame:
        """One row per symbol/series/fund: rows, first and last date, sources."""
        if kind == "prices":
            sql = (
                "SELECT symbol, count(*) AS rows, min(date) AS first_date, "
                "max(date) AS last_date, string_agg(DISTINCT source, '; ') AS sources, "
                "max(retrieved_at)::VARCHAR AS last_retrieved FROM prices "
                "GROUP BY symbol ORDER BY symbol"
            )
        elif kind == "macro":
            sql = (
                "SELECT series_id, any_value(unit) AS unit, count(*) AS rows, "
                "min(date) AS first_date, max(date) AS last_date, "
                "string_agg(DISTINCT source, '; ') AS sources, "
                "max(retrieved_at)::VARCHAR AS last_retrieved FROM macro "
                "GROUP BY series_id ORDER BY series_id"
            )
        elif kind in ("funds", "holdings", "universe"):
            table = {"funds": "fund_snapshots", "universe": "universe_snapshots"}.get(
                kind, "holdings"
            )
            sql = (
                f"SELECT ticker, count(*) AS snapshots, min(as_of) AS first_as_of, "
                f"max(as_of) AS last_as_of, string_agg(DISTINCT source, '; ') AS sources "
                f"FROM {table} GROUP BY ticker ORDER BY ticker"
            )
        elif kind == "fund_nav":
            sql = (
                "SELECT ticker, count(*) AS rows, min(date) AS first_date, "
                "max(date) AS last_date, string_agg(DISTINCT source, '; ') AS sources, "
                "max(retrieved_at)::VARCHAR AS last_retrieved FROM fund_nav "
                "GROUP BY ticker ORDER BY ticker"
            )
        elif kind in ("ksd", "ksd_holdings", "ksd_flows"):
            table = "ksd_flows" if kind == "ksd_flows" else "ksd_holdings"
            sql = (
                f"SELECT ticker, list, count(*) AS rows, min(as_of) AS first_as_of, "
                f"max(as_of) AS last_as_of, string_agg(DISTINCT source, '; ') AS sources "
                f"FROM {table} GROUP BY ticker, list ORDER BY ticker, list"
            )
        elif kind == "derivatives":
            sql = (
                "SELECT metric, market, any_value(unit) AS unit, count(*) AS rows, "
                "min(date) AS first_date, max(date) AS last_date, "
                "string_agg(DISTINCT source, '; ') AS sources FROM derivatives "
                "GROUP BY metric, market ORDER BY metric, market"
            )
        else:
            raise GaemiInputError(
                f"kind = {kind!r} must be prices, funds, holdings, macro, fund_nav, universe, "
                "derivatives, ksd_holdings or ksd_flows"
            )
        df = self.fetch_df(sql)
        for c in df.columns:
            if c.startswith(("first_", "last_")):
                df[c] = df[c].astype(str)
        return df

    def prices(self, symbol: str, *, drop_zero_volume: bool = False) -> pd.DataFrame:
        """Daily rows of one symbol, oldest first (empty frame if unknown)."""
        extra = " AND (volume IS NULL OR volume > 0)" if drop_zero_volume else ""
        return self.fetch_df(
            "SELECT date, open, high, low, close, adj_close, volume, source FROM prices "
            f"WHERE symbol = ?{extra} ORDER BY date",
            [symbol],
        )

    def macro_series(self, series_id: str) -> pd.DataFrame:
        """Values of one macro series, oldest first."""
        return self.fetch_df(
            "SELECT date, value, unit, source FROM macro WHERE series_id = ? ORDER BY date",
            [series_id],
        )

    def fund_nav(self, ticker: str) -> pd.DataFrame:
        """The issuer's daily rows of one fund, oldest first: ``date, nav_usd,
        prior_nav_usd, shares_outstanding`` (shares, units), ``aum_usd, source`` (empty
        frame if unknown)."""
        return self.fetch_df(
            "SELECT date, nav_usd, prior_nav_usd, shares_outstanding, aum_usd, source "
            "FROM fund_nav WHERE ticker = ? ORDER BY date",
            [ticker],
        )

    def universe_snapshot(self, as_of: str | None = None) -> pd.DataFrame:
        """The latest full-universe snapshot on or before ``as_of`` (every fund of that
        snapshot day; ``leverage`` NaN where variable or unknown, ``underlying_id`` None
        where unmapped); an empty frame if there is none."""
        return self.fetch_df(
            "SELECT * FROM universe_snapshots WHERE as_of = (SELECT max(as_of) FROM "
            "universe_snapshots WHERE as_of <= CAST(? AS DATE)) ORDER BY ticker",
            [as_of or "9999-12-31"],
        )

    def derivatives(self, metric: str) -> pd.DataFrame:
        """One derivatives metric (``open_interest_usd``, ``funding_rate_frac``,
        ``liquidations_long_usd``, ``liquidations_short_usd``) per market and day."""
        return self.fetch_df(
            "SELECT date, exchange, market, value, unit, source FROM derivatives "
            "WHERE metric = ? ORDER BY date, market",
            [metric],
        )

    def ksd_holdings(self, ticker: str | None = None, *, list_: str | None = None) -> pd.DataFrame:
        """Korean custody (KSD) rows, oldest first: ``as_of, list, isin, ticker, name,
        holdings_usd`` (NaN = reported 0.0, unknown), ``rank, source``; one ticker or all,
        one list (``weekly_top50``, ``daily_isin``, ``daily_top50``) or all. A date on
        which a security has no row is unknown, never zero."""
        where, params = [], []
        if ticker is not None:
            where.append("ticker = ?")
            params.append(ticker)
        if list_ is not None:
            where.append("list = ?")
            params.append(list_)
        cond = f" WHERE {' AND '.join(where)}" if where else ""
        return self.fetch_df(
            "SELECT as_of, list, isin, ticker, name, holdings_usd, rank, source "
            f"FROM ksd_holdings{cond} ORDER BY as_of, list, isin",
            params,
        )

    def symbols(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT DISTINCT symbol FROM prices").fetchall()]

    def series_ids(self) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT DISTINCT series_id FROM macro").fetchall()]

    def universe(self, as_of: str | None = None, *, label: str | None = None) -> Universe:
        """The latest fund snapshot per ticker (on or before ``as_of``) as a Universe.

        The Korean holding of each fund is the latest ``holdings`` row on or before
        ``as_of``; its date is kept in ``korean_as_of``. Raises if there are no funds.
        """
        import numpy as np

        from gaemi.core.universe import Universe

        cutoff = as_of or "9999-12-31"
        df = self.fetch_df(
            """
            WITH f AS (
              SELECT * FROM fund_snapshots WHERE as_of <= CAST(? AS DATE)
              QUALIFY row_number() OVER (PARTITION BY ticker ORDER BY as_of DESC) = 1),
            h AS (
              SELECT * FROM holdings WHERE as_of <= CAST(? AS DATE)
              QUALIFY row_number() OVER (PARTITION BY ticker ORDER BY as_of DESC) = 1)
            SELECT f.*, h.korean_held_usd, h.korean_share, h.as_of AS korean_as_of,
                   h.source AS source_korean
            FROM f LEFT JOIN h USING (ticker) ORDER BY f.aum_usd DESC, f.ticker
            """,
            [cutoff, cutoff],
        )
        if df.empty:
            raise GaemiInputError(
                f"store {self.path.name}: no fund snapshots on or before {cutoff} "
                "(import some with `gaemi data import FILE --kind funds`)"
            )
        aum = df["aum_usd"].to_numpy(float)
        held = df["korean_held_usd"].to_numpy(float)
        share = df["korean_share"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            from_held = np.where(aum > 0, held / np.where(aum > 0, aum, 1.0), np.nan)
        share = np.where(np.isnan(share), from_held, share)
        over = share > 1
        if over.any():
            i = int(np.flatnonzero(over)[0])
            raise GaemiInputError(
                f"store {self.path.name}: fund {df['ticker'].iloc[i]} Korean holdings "
                f"{held[i]:.4g} USD (as of {df['korean_as_of'].iloc[i]}) exceed its AUM "
                f"{aum[i]:.4g} USD (as of {df['as_of'].iloc[i]}): import a newer snapshot"
            )

        def text(col: str) -> Any:
            return df[col].fillna("").astype(str).to_numpy(str)

        return Universe(
            ticker=text("ticker"),
            name=text("name"),
            issuer=text("issuer"),
            leverage=df["leverage"].to_numpy(float),
            underlying_id=text("underlying_id"),
            underlying_kind=text("underlying_kind"),
            underlying_group=text("underlying_group"),
            expense_ratio=df["expense_ratio"].to_numpy(float),
            aum_usd=aum,
            aum_as_of=df["as_of"].astype(str).to_numpy(str),
            korean_share=share,
            korean_as_of=np.asarray(
                ["" if str(x) in ("NaT", "None", "nan") else str(x) for x in df["korean_as_of"]]
            ),
            source_aum=text("source"),
            source_korean=text("source_korean"),
            label=label or f"store {self.path.name} as of {as_of or 'latest'}",
        )

    # ------------------------------------------------------------------ runs
    def record_run(
        self,
        engine: str,
        *,
        inputs: dict[str, Any],
        results: Any,
        seed: int | None = None,
    ) -> str:
        """Store an engine run (inputs, gaemi version, seed, results as JSON); its id."""
        from gaemi import __version__

        run_id = uuid.uuid4().hex
        with self.transaction() as con:
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    engine,
                    datetime.now(UTC),
                    __version__,
                    seed,
                    json.dumps(inputs, default=str),
                    json.dumps(results, default=str),
                ],
            )
        return run_id

    def checksum(self) -> dict[str, tuple[int, float]]:
        """Row count and an order-independent content hash per data table (for tests)."""
        out: dict[str, tuple[int, float]] = {}
        for name, spec in TABLES.items():
            cols = ", ".join(spec.columns)
            r = _first(
                self.con.execute(
                    f"SELECT count(*), coalesce(sum(hash({cols})::HUGEINT), 0)::DOUBLE FROM {name}"
                )
            )
            assert r is not None
            out[name] = (int(r[0]), float(r[1]))
        r = _first(self.con.execute("SELECT count(*) FROM imports"))
        assert r is not None
        out["imports"] = (int(r[0]), 0.0)
        return out


def open_store(
    db: str | Path | None = None, *, read_only: bool = False, lock_timeout: float | None = None
) -> Store:
    """Open (and migrate) the store; a one-line error if it cannot be opened."""
    return Store(db, read_only=read_only, lock_timeout=lock_timeout)


ProgressFn = Callable[[int, int], None]


def _first(cursor: Any) -> Any:
    """The first row of a result, fetching it to the end (this DuckDB build requires a
    result to be consumed before the connection runs anything else)."""
    rows = cursor.fetchall()
    return rows[0] if rows else None
