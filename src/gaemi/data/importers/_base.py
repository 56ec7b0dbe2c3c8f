"""Shared pieces of every importer: options, the parsed-file table, results and the
reader protocol."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from gaemi.data.store import MergeResult, OnConflict
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from numpy.typing import NDArray


Kind = Literal["prices", "funds", "holdings", "macro", "fund_nav", "universe", "derivatives", "ksd"]


KINDS: tuple[str, ...] = (
    "prices",
    "funds",
    "holdings",
    "macro",
    "fund_nav",
    "universe",
    "derivatives",
    "ksd",
)


#: Files larger than this are refused unless the caller raises the limit.
DEFAULT_MAX_BYTES = 2 * 1024**3


#: Oldest date accepted in any file.
MIN_DATE = date(1800, 1, 1)


def _check_day(where: str, field: str, d: date, min_date: date = MIN_DATE) -> date:
    """A date of a file row, no later than tomorrow (UTC) and no earlier than
    ``min_date``, else one line: ``f.csv line 3: date = 2999-01-01 is in the future``,
    ``… = 1700-01-01 is before 1800-01-01``."""
    if d > datetime.now(UTC).date() + timedelta(days=1):
        raise GaemiInputError(f"{where}: {field} = {d} is in the future")
    if d < min_date:
        raise GaemiInputError(f"{where}: {field} = {d} is before {min_date}")
    return d


ProgressFn = Callable[[int, int], None]


def _norm(name: str) -> str:
    """Header name for matching: lower case, no spaces, dots, underscores or quotes."""
    return re.sub(r"[\s._\"'\-]+", "", name.strip().lstrip("\ufeff")).lower()


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the merge counts and the notes worth telling the user."""

    file: str
    kind: str
    results: tuple[MergeResult, ...]
    notes: tuple[str, ...] = ()
    series: tuple[str, ...] = ()
    first_date: str = ""
    last_date: str = ""

    @property
    def rows(self) -> int:
        return sum(r.rows for r in self.results)

    @property
    def inserted(self) -> int:
        return sum(r.inserted for r in self.results)

    @property
    def replaced(self) -> int:
        return sum(r.replaced for r in self.results)

    @property
    def unchanged(self) -> int:
        return sum(r.unchanged for r in self.results)

    @property
    def kept(self) -> int:
        return sum(r.kept for r in self.results)

    def rows_text(self) -> str:
        """``4124 rows``; per table where a file fills two (``77 fund snapshots + 4
        holdings``: a funds file's Korean columns become holdings rows)."""
        if self.kind != "funds" and len(self.results) < 2:
            return f"{self.rows} rows"
        names = {"fund_snapshots": "fund snapshot", "holdings": "holdings"}

        def one(r: MergeResult) -> str:
            what = names.get(r.table, r.table)
            return f"{r.rows} {what}" + ("s" if r.rows != 1 and not what.endswith("s") else "")

        return " + ".join(one(r) for r in self.results)

    def summary(self) -> str:
        what = ", ".join(self.series[:5]) + (" …" if len(self.series) > 5 else "")
        span = f" {self.first_date}..{self.last_date}" if self.first_date else ""
        return (
            f"{self.file}: {self.kind} {what}{span}: {self.rows_text()} — "
            f"{self.inserted} new, {self.replaced} replaced, {self.unchanged} unchanged"
            + (f", {self.kept} kept (stored value differs)" if self.kept else "")
        )


@dataclass
class Table:
    """A parsed file: named columns (NumPy arrays) with the file line of each row."""

    name: str
    header: list[str]
    columns: dict[str, NDArray[Any]]
    lines: NDArray[np.int64]
    line_word: str = "line"
    notes: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    #: Per numeric column: True where the file had no value (blank, '.', null).
    nulls: dict[str, NDArray[np.bool_]] = field(default_factory=dict)
    #: ``(source, retrieved_at)`` shared by every row the reader produced (prices), passed
    #: to :meth:`Store.merge` so that the store records it once.
    provenance: tuple[str, datetime] | None = None
    #: The symbols the validated rows hold, sorted, when the reader knows them.
    series: tuple[str, ...] = ()

    def where(self, i: int) -> str:
        return f"{self.name} {self.line_word} {int(self.lines[i])}"


def _check_file(path: Path, max_bytes: int) -> int:
    if not path.exists():
        raise GaemiInputError(f"file {str(path)!r} does not exist")
    if not path.is_file():
        raise GaemiInputError(f"{str(path)!r} is not a file")
    size = path.stat().st_size
    if size == 0:
        raise GaemiInputError(f"{path.name}: empty file")
    if size > max_bytes:
        raise GaemiInputError(
            f"{path.name}: file is {size / 1024**3:.1f} GiB, above the import limit of "
            f"{max_bytes / 1024**3:.1f} GiB (raise it with --max-size)"
        )
    return size


def _today() -> np.datetime64:
    return np.datetime64(datetime.now(UTC).date(), "D")


def symbol_from_filename(path: Path) -> str:
    """``SOXS.csv`` → SOXS, ``IDX_NDX.csv`` → ^NDX, ``005930.KS_2000_2026.csv`` → 005930.KS,
    ``BTCUSDT_1d.csv`` and ``BTCUSDT_1d_2024-2026.csv`` → BTCUSDT."""
    stem = re.sub(r"(_\d{4}){1,2}$", "", path.stem)
    stem = re.sub(r"[-_]1d([-_]\d{4}-\d{4})?$", "", stem, flags=re.IGNORECASE)
    if stem.upper().startswith("IDX_"):
        stem = "^" + stem[4:]
    return stem.upper()


@dataclass(frozen=True)
class ImportOptions:
    """Options of one import (see ``gaemi data import --help``)."""

    kind: str
    symbol: str | None = None
    source: str | None = None
    unit: str | None = None
    close_is_adjusted: bool = False
    on_conflict: OnConflict = "error"
    max_bytes: int = DEFAULT_MAX_BYTES
    #: KSD lists: two different rows for one security and date are refused (default) or
    #: both dropped as unknown and noted (``drop``: what the shipped files need).
    duplicates: Literal["refuse", "drop"] = "refuse"
    #: Accept prices <= 0 (``--allow-nonpositive-prices``): only for series that really
    #: trade at or below zero (WTI crude futures settled at -37.63 USD on 2020-04-20).
    #: Infinite prices and prices above :data:`gaemi.data.quality.MAX_PRICE` are refused
    #: regardless.
    allow_nonpositive_prices: bool = False


def _source_label(p: Path) -> str:
    """``file:FOLDER/NAME.csv`` with the folder the file really lies in (also for a bare
    ``NAME.csv`` in the current directory)."""
    return f"file:{p.resolve().parent.name}/{p.name}"


def _date32(values: Any) -> pa.Array:
    """datetime64 values (NaT = null) as an Arrow date32 array."""
    import pyarrow as pa

    d = np.asarray(values, dtype="datetime64[D]")
    nat = np.isnat(d)
    return pa.array(d, pa.date32(), mask=nat if nat.any() else None)


def _csv_only(p: Path, name: str) -> None:
    if p.suffix.lower() not in (".csv", ".txt"):
        raise GaemiInputError(f"{name}: unknown format {p.suffix.lower()!r} (expected .csv)")


def _checked_csv(path: str | Path, opts: ImportOptions) -> Path:
    """The path of a per-kind CSV file, checked (exists, is a file, not empty, within
    ``opts.max_bytes``, a ``.csv``/``.txt`` name) with the one-line messages of
    :func:`_check_file` and :func:`_csv_only`."""
    p = Path(path)
    _check_file(p, opts.max_bytes)
    _csv_only(p, p.name)
    return p


def _provenance(p: Path, opts: ImportOptions) -> tuple[str, datetime]:
    """``(source, retrieved_at)`` of an import of ``p``: ``opts.source`` or the file's
    :func:`_source_label`, and now (UTC)."""
    return opts.source or _source_label(p), datetime.now(UTC)


def _stamp(source: str, now: datetime, n: int) -> dict[str, pa.Array]:
    """The ``source`` and ``retrieved_at`` columns of ``n`` store rows (the same value in
    every row; ``retrieved_at`` a UTC timestamp in microseconds) to end a store table
    with."""
    import pyarrow as pa

    return {
        "source": pa.repeat(source, n),
        "retrieved_at": pa.repeat(pa.scalar(now, pa.timestamp("us", tz="UTC")), n),
    }


def _frame_import(
    path: str | Path, opts: ImportOptions, read: Callable[[Path], pd.DataFrame]
) -> tuple[pd.DataFrame, Table, dict[str, pa.Array]]:
    """One small per-kind CSV through its checked reader ``read`` (issuer NAV, universe
    snapshots): the file checked (:func:`_checked_csv`), the frame, its :class:`Table`
    (lines and notes from ``df.attrs``) and the ``source`` / ``retrieved_at`` columns
    (:func:`_stamp`, the same for every row) to end the store table with."""
    p = _checked_csv(path, opts)
    df = read(p)
    stamp = _stamp(*_provenance(p, opts), len(df))
    t = Table(p.name, list(df.columns), {}, df.attrs["lines"], notes=list(df.attrs["notes"]))
    return df, t, stamp


class Reader(Protocol):
    """What every kind's reader is: read and validate ONE file, touching no store, and
    return the parsed :class:`Table` (lines, notes, provenance) with the store-ready Arrow
    tables keyed by store table name. A bad row raises a one-line
    :class:`~gaemi.errors.GaemiInputError` naming file, line, field and value."""

    def __call__(self, path: Path, opts: ImportOptions, /) -> tuple[Table, dict[str, pa.Table]]: ...
