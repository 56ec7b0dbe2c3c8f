"""Import CSV/Parquet files into the store: prices, funds, holdings and macro series.

A file is read, every row validated and only then written, in one transaction
(:meth:`gaemi.data.store.Store.transaction`): a bad row — reported by file and line —
or a killed process leaves the store exactly as it was; importing the same file twice
changes nothing. Several files (:func:`import_files`) are validated all before any is
written, then written together in one transaction: all or nothing. The layouts found in
``../shared/data`` are recognised from the header:

* Yahoo/yfinance ``Date,Open,High,Low,Close,Adj Close,Volume`` (any column order; extra
  ``Dividends``/``Stock Splits``/``Capital Gains``; tz-aware timestamps, where the date
  is the exchange's local date; the 3-row ``Price/Ticker/Date`` header of yfinance ≥0.2.5)
* ``Date,Close`` and ``date,close,change_pct`` (close only; ``change_pct`` is derived and
  ignored), CBOE ``DATE,OPEN,HIGH,LOW,CLOSE``
* FRED ``observation_date,SERIES`` (blank = no observation, skipped and counted) and wide
  tables (one series per column)
* investing.com exports (``Date,Price,Open,High,Low,Vol.,Change %`` or the Korean
  ``날짜,종가,시가,고가,저가,거래량,변동 %`` with ``"2015- 08- 28"`` dates, thousands
  separators and ``446.75M`` volumes)

Rows may come newest-first; they are stored by date and the order is reported.
The schema of each kind is documented in ``docs/data.md``.
"""

from __future__ import annotations

import csv
import io
import math
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from gaemi.data.store import MergeResult, OnConflict, Store
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
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
ProgressFn = Callable[[int, int], None]


def _norm(name: str) -> str:
    """Header name for matching: lower case, no spaces, dots, underscores or quotes."""
    return re.sub(r"[\s._\"'\-]+", "", name.strip().lstrip("\ufeff")).lower()


DATE_NAMES = frozenset(
    {"date", "observationdate", "날짜", "일자", "timestamp", "datetime", "data", "opentime"}
)
PRICE_COLUMNS: dict[str, str] = {
    "open": "open",
    "시가": "open",
    "high": "high",
    "고가": "high",
    "low": "low",
    "저가": "low",
    "close": "close",
    "종가": "close",
    "price": "close",  # investing.com's English layout calls the close "Price"
    "adjclose": "adj_close",
    "adjustedclose": "adj_close",
    "volume": "volume",
    "vol": "volume",
    "거래량": "volume",
    "symbol": "symbol",
    "ticker": "symbol",
}
#: Columns that are recognised and deliberately not stored (derived or not ours).
IGNORED_COLUMNS = frozenset(
    {
        "dividends",
        "stocksplits",
        "capitalgains",
        "change%",
        "changepct",
        "change",
        "변동%",
        "dayofweek",
        # Binance klines: the day is open_time's UTC date; the rest is not stored
        "closetime",
        "quoteassetvolume",
        "numberoftrades",
        "takerbuybaseassetvolume",
        "takerbuyquoteassetvolume",
        "ignore",
    }
)
PRICE_VALUES = ("open", "high", "low", "close", "adj_close", "volume")
MACRO_VALUE_NAMES = ("value", "close", "price", "종가")


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


# ---------------------------------------------------------------------- reading
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


def _decode_head(path: Path, name: str, n: int = 1 << 16) -> str:
    with path.open("rb") as fh:
        raw = fh.read(n)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise GaemiInputError(f"{name}: UTF-16 text; save the file as UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise GaemiInputError(f"{name}: not a text CSV file (NUL byte at offset {nul})")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 4 and len(raw) == n:  # a character cut by the read size
            return raw[: exc.start].decode("utf-8-sig")
        raise GaemiInputError(
            f"{name}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8"
        ) from None


@dataclass
class Layout:
    """How a CSV file is laid out: header line, data start, date format, number style."""

    header: list[str]
    header_line: int  # 1-based
    skip_after_header: int
    date_col: str
    date_style: str
    numbers: Literal["plain", "investing"]
    meta: dict[str, str]
    #: The first date is exactly YYYY-MM-DD (no time part): pyarrow parses it natively.
    date_only: bool = False


_DATE_STYLES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"^\d{4}-\d{2}-\d{2}([ T].*)?$")),
    ("spaced", re.compile(r"^\d{4}-\s*\d{1,2}-\s*\d{1,2}$")),
    ("slash_ymd", re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$")),
    ("dot_ymd", re.compile(r"^\d{4}\.\s*\d{1,2}\.\s*\d{1,2}\.?$")),
    ("us", re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")),
    ("compact", re.compile(r"^\d{8}$")),
)


def _date_style(value: str, where: str) -> str:
    v = value.strip().strip('"')
    for style, pat in _DATE_STYLES:
        if pat.match(v):
            return style
    raise GaemiInputError(f"{where}: date = {value!r} is not a date (expected YYYY-MM-DD)")


def parse_date(value: str, style: str) -> date:
    """One date string in a detected style; ValueError if it is not a valid date."""
    v = value.strip()
    if style == "iso":
        return date.fromisoformat(v[:10])
    if style in ("spaced", "slash_ymd", "dot_ymd"):
        parts = [p for p in re.split(r"[-/.\s]+", v) if p]
        if len(parts) != 3:
            raise ValueError(v)
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    if style == "us":
        m, d, y = (int(p) for p in v.split("/"))
        return date(y, m, d)
    if style == "compact":
        return date(int(v[:4]), int(v[4:6]), int(v[6:8]))
    raise ValueError(v)


_SUFFIX = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
_NULLS = frozenset({"", ".", "null", "NULL", "-", "None", "#N/A", "N/A"})


def parse_number(text: str, style: str) -> float:
    """One number: ``1,937.67``, ``446.75M`` (investing.com) or plain; NaN for blanks.

    Raises ValueError for anything else. The literal ``NaN`` is returned as NaN only in
    the plain style, where it means the file says NaN (and validation rejects it where a
    value is required).
    """
    s = text.strip()
    if s in _NULLS:
        return math.nan
    if style == "investing":
        s = s.replace(",", "")
        if s.endswith("%"):
            return float(s[:-1]) / 100.0
        mult = _SUFFIX.get(s[-1:].upper())
        if mult is not None:
            return float(s[:-1]) * mult
    out = float(s)
    if math.isinf(out):
        raise ValueError(text)
    return out


def _sniff(path: Path, name: str, date_names: frozenset[str]) -> Layout:
    head = _decode_head(path, name)
    lines = head.splitlines()
    if not lines or not lines[0].strip():
        raise GaemiInputError(f"{name}: no header line")
    rows = list(csv.reader(lines[:4]))
    header = [h.strip().lstrip("\ufeff") for h in rows[0]]
    meta: dict[str, str] = {}
    skip = 0
    # yfinance >= 0.2.5: "Price,Close,…" / "Ticker,SYM,…" / "Date,,,…"
    if (
        _norm(header[0]) == "price"
        and len(rows) >= 3
        and rows[1]
        and _norm(rows[1][0]) == "ticker"
        and rows[2]
        and _norm(rows[2][0]) == "date"
    ):
        skip = 2
        header[0] = "Date"
        tick = {v.strip() for v in rows[1][1:] if v.strip()}
        if len(tick) == 1:
            meta["symbol"] = tick.pop()
    date_cols = [h for h in header if _norm(h) in date_names]
    if not date_cols:
        raise GaemiInputError(
            f"{name}: no date column in header {header[:8]!r} "
            "(expected Date, observation_date, 날짜 …)"
        )
    if len(header) != len(set(header)):
        dup = next(h for h in header if header.count(h) > 1)
        raise GaemiInputError(f"{name} line 1: column {dup!r} appears twice")
    date_col = date_cols[0]
    first = rows[1 + skip] if len(rows) > 1 + skip else None
    if first is None or not any(v.strip() for v in first):
        # find the first non-blank data line for the style
        first = next(
            (r for r in csv.reader(lines[1 + skip :]) if any(v.strip() for v in r)),
            None,
        )
    if first is None:
        raise GaemiInputError(f"{name}: no rows (the file has a header only)")
    idx = header.index(date_col)
    if idx >= len(first):
        raise GaemiInputError(f"{name} line {2 + skip}: fewer fields than the header")
    style = _date_style(first[idx], f"{name} line {2 + skip}")
    investing = any(_norm(h) in ("변동%", "change%", "vol", "거래량") for h in header) or any(
        re.fullmatch(r"-?[\d,]+\.?\d*[KMB%]|-?\d{1,3}(,\d{3})+(\.\d+)?", v.strip())
        for v in first
        if v.strip()
    )
    return Layout(
        header=header,
        header_line=1,
        skip_after_header=skip,
        date_col=date_col,
        date_style=style,
        numbers="investing" if investing else "plain",
        meta=meta,
        date_only=bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", first[idx].strip())),
    )


def _read_csv_slow(path: Path, name: str, layout: Layout, numeric: Sequence[str]) -> Table:
    """Row-by-row reader: exact line numbers and messages (investing.com files, errors)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GaemiInputError(
            f"{name}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start}); save the file as UTF-8"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = layout.header
    n = len(header)
    num_idx = {h: header.index(h) for h in numeric}
    d_idx = header.index(layout.date_col)
    other = [h for h in header if h not in numeric and h != layout.date_col]
    dates: list[date | None] = []
    nums: dict[str, list[float]] = {h: [] for h in numeric}
    nulls: dict[str, list[bool]] = {h: [] for h in numeric}
    texts: dict[str, list[str]] = {h: [] for h in other}
    lines: list[int] = []
    first_data = 2 + layout.skip_after_header
    try:
        for values in reader:
            lineno = reader.line_num
            if lineno < first_data:
                continue
            if not any(v.strip() for v in values):
                continue
            if len(values) != n:
                raise GaemiInputError(
                    f"{name} line {lineno}: {len(values)} fields, header has {n}"
                    + (" (truncated file?)" if len(values) < n else "")
                )
            raw_date = values[d_idx].strip()
            if not raw_date:
                raise GaemiInputError(f"{name} line {lineno}: {layout.date_col} is missing")
            try:
                d = parse_date(raw_date, layout.date_style)
            except ValueError:
                raise GaemiInputError(
                    f"{name} line {lineno}: {layout.date_col} = {raw_date!r} is not a date"
                ) from None
            dates.append(d)
            for h, i in num_idx.items():
                try:
                    nums[h].append(parse_number(values[i], layout.numbers))
                    nulls[h].append(values[i].strip() in _NULLS)
                except ValueError:
                    raise GaemiInputError(
                        f"{name} line {lineno}: {h} = {values[i]!r} is not a number"
                    ) from None
            for h in other:
                texts[h].append(values[header.index(h)].strip())
            lines.append(lineno)
    except csv.Error as exc:
        raise GaemiInputError(f"{name} line {reader.line_num}: {exc}") from None
    cols: dict[str, NDArray[Any]] = {
        layout.date_col: np.array(
            [np.datetime64(d, "D") if d else np.datetime64("NaT") for d in dates],
            dtype="datetime64[D]",
        )
    }
    for h in numeric:
        cols[h] = np.asarray(nums[h], dtype=float)
    for h in other:
        cols[h] = np.asarray(texts[h], dtype=object)
    return Table(
        name,
        header,
        cols,
        np.asarray(lines, dtype=np.int64),
        meta=dict(layout.meta),
        nulls={h: np.asarray(nulls[h], dtype=bool) for h in numeric},
    )


def _read_csv_fast(path: Path, name: str, layout: Layout, numeric: Sequence[str]) -> Table:
    """pyarrow's multi-threaded reader for plain layouts; falls back to the slow reader
    (which names the bad line) on any parse error."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    if layout.numbers != "plain" or layout.date_style != "iso":
        return _read_csv_slow(path, name, layout, numeric)
    types: dict[str, pa.DataType] = {h: pa.string() for h in layout.header}
    for h in numeric:
        types[h] = pa.float64()
    if layout.date_only:
        types[layout.date_col] = pa.date32()
    try:
        tbl = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(
                column_names=layout.header,
                skip_rows=1 + layout.skip_after_header,
                use_threads=True,
            ),
            parse_options=pcsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=types,
                null_values=sorted(_NULLS),
                strings_can_be_null=False,
                quoted_strings_can_be_null=True,
            ),
        )
        dcol = tbl.column(layout.date_col)
        if layout.date_only:
            dates = dcol  # parsed as date32 by the reader (blank -> null)
        else:
            blank = pc.equal(pc.utf8_trim_whitespace(dcol), "")
            dtxt = pc.if_else(blank, None, pc.utf8_slice_codeunits(dcol, 0, 10))
            dates = pc.cast(pc.strptime(dtxt, format="%Y-%m-%d", unit="s"), pa.date32())
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, UnicodeDecodeError):
        return _read_csv_slow(path, name, layout, numeric)
    n = tbl.num_rows
    first_line = 2 + layout.skip_after_header
    lines = np.arange(first_line, first_line + n, dtype=np.int64)
    cols: dict[str, NDArray[Any]] = {
        layout.date_col: np.asarray(dates.to_numpy(zero_copy_only=False), dtype="datetime64[D]")
    }
    nulls: dict[str, NDArray[np.bool_]] = {}
    for h in numeric:
        col = tbl.column(h)
        cols[h] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=float)
        nulls[h] = (
            np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            if col.null_count
            else np.zeros(n, dtype=bool)
        )
    text: dict[str, Any] = {}
    for h in layout.header:
        if h not in cols:
            text[h] = tbl.column(h).combine_chunks()
    # blank lines: no date and no values -> dropped (a blank date with values is an error)
    has_date = np.ones(n, dtype=bool) if not dates.null_count else ~np.isnat(cols[layout.date_col])
    any_value = np.zeros(n, dtype=bool)
    if not has_date.all():  # only rows without a date need a look at their other fields
        for h in numeric:
            any_value |= ~np.isnan(cols[h])
        for col in text.values():
            filled = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(col)), 0)
            any_value |= np.asarray(pc.fill_null(filled, False).to_numpy(zero_copy_only=False))
    bad = ~has_date & any_value
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise GaemiInputError(f"{name} line {int(lines[i])}: {layout.date_col} is missing")
    keep = has_date
    if not keep.all():
        cols = {k: v[keep] for k, v in cols.items()}
        nulls = {k: v[keep] for k, v in nulls.items()}
        mask = pa.array(keep)
        text = {k: v.filter(mask) for k, v in text.items()}
        lines = lines[keep]
    cols.update(text)  # text columns stay Arrow arrays (no Python objects per row)
    return Table(name, layout.header, cols, lines, meta=dict(layout.meta), nulls=nulls)


def _read_parquet(path: Path, name: str) -> Table:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        tbl = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GaemiInputError(f"{name}: not a readable Parquet file ({first})") from exc
    header = list(tbl.column_names)
    date_cols = [h for h in header if _norm(h) in DATE_NAMES | {"asof", "aumasof"}]
    cols: dict[str, NDArray[Any]] = {}
    nulls: dict[str, NDArray[np.bool_]] = {}
    for h in header:
        col = tbl.column(h)
        t = col.type
        if h in date_cols[:1] and (pa.types.is_timestamp(t) or pa.types.is_date(t)):
            cols[h] = (
                pc.cast(col, pa.date32()).to_numpy(zero_copy_only=False).astype("datetime64[D]")
            )
        elif pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t):
            cols[h] = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False).astype(float)
            nulls[h] = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        else:
            cols[h] = np.asarray(
                ["" if v is None else str(v) for v in col.to_pylist()], dtype=object
            )
    lines = np.arange(1, tbl.num_rows + 1, dtype=np.int64)
    return Table(name, header, cols, lines, line_word="row", nulls=nulls)


def _dates_from_text(table: Table, col: str) -> None:
    """Convert a text date column (Parquet) to datetime64[D] in place, naming bad rows."""
    values = table.columns[col]
    if values.dtype.kind == "M":
        return
    out = np.empty(len(values), dtype="datetime64[D]")
    style = None
    for i, v in enumerate(values):
        s = str(v).strip()
        if not s:
            raise GaemiInputError(f"{table.where(i)}: {col} is missing")
        if style is None:
            style = _date_style(s, table.where(i))
        try:
            out[i] = np.datetime64(parse_date(s, style), "D")
        except ValueError:
            raise GaemiInputError(f"{table.where(i)}: {col} = {s!r} is not a date") from None
    table.columns[col] = out


def _numbers_from_text(table: Table, col: str) -> None:
    values = table.columns[col]
    if values.dtype.kind == "f":
        return
    out = np.empty(len(values), dtype=float)
    nul = np.zeros(len(values), dtype=bool)
    for i, v in enumerate(values):
        try:
            out[i] = parse_number(str(v), "plain")
            nul[i] = str(v).strip() in _NULLS
        except ValueError:
            raise GaemiInputError(f"{table.where(i)}: {col} = {v!r} is not a number") from None
    table.columns[col] = out
    table.nulls[col] = nul


# ---------------------------------------------------------------------- validation
def _today() -> np.datetime64:
    return np.datetime64(datetime.now(UTC).date(), "D")


def _check_dates(table: Table, col: str, dates: NDArray[np.datetime64]) -> None:
    if dates.size == 0:
        return
    nat = np.isnat(dates)
    if nat.any():
        raise GaemiInputError(f"{table.where(int(np.flatnonzero(nat)[0]))}: {col} is missing")
    limit = _today() + np.timedelta64(1, "D")
    if dates.min() >= np.datetime64(MIN_DATE, "D") and dates.max() <= limit:
        return  # the common case: two reductions instead of two masks
    future = dates > limit
    if future.any():
        i = int(np.flatnonzero(future)[0])
        raise GaemiInputError(f"{table.where(i)}: {col} = {dates[i]} is in the future")
    old = dates < np.datetime64(MIN_DATE, "D")
    if old.any():
        i = int(np.flatnonzero(old)[0])
        raise GaemiInputError(f"{table.where(i)}: {col} = {dates[i]} is before {MIN_DATE}")


def _check_unique(
    table: Table,
    dates: NDArray[np.datetime64],
    codes: NDArray[np.int64] | None,
    label: str,
    key_of: Callable[[int], str],
) -> None:
    """Duplicated keys (``codes`` × date, or date alone) are an error naming both lines."""
    if len(dates) < 2:
        return
    d = dates.astype("datetime64[D]", copy=False).view(np.int64)
    if codes is None:
        combo = d + 1_000_000
    else:
        combo = codes.astype(np.int64, copy=False) * 10_000_000
        combo += d
        combo += 1_000_000
    if (combo[1:] > combo[:-1]).all():
        return  # already strictly ordered by key: no duplicate (the common case, O(n))
    order = np.argsort(combo, kind="stable")
    sk = combo[order]
    dup = np.flatnonzero(sk[1:] == sk[:-1])
    if dup.size:
        a, b = int(order[dup[0]]), int(order[dup[0] + 1])
        first, second = sorted((a, b), key=lambda i: int(table.lines[i]))
        raise GaemiInputError(
            f"{table.where(second)}: {label} {key_of(second)} duplicates {table.line_word} "
            f"{int(table.lines[first])}"
        )


def _check_finite(table: Table, col: str, values: NDArray[np.float64], *, required: bool) -> None:
    if np.isfinite(values).all():
        return  # the common case: no missing value, no infinity
    if required:
        missing = np.isnan(values)
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise GaemiInputError(f"{table.where(i)}: {col} is missing or NaN")
    inf = np.isinf(values)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise GaemiInputError(f"{table.where(i)}: {col} = {values[i]} must be finite")


def _order_note(dates: NDArray[np.datetime64], what: str) -> str | None:
    if dates.size < 2:
        return None
    diff = np.diff(dates.astype(np.int64))
    if (diff > 0).all():
        return None
    if (diff < 0).all():
        return f"{what}: rows are newest-first (stored by date)"
    return f"{what}: dates are not in order ({int((diff < 0).sum())} steps back; stored by date)"


#: The digest recorded for every imported file (``imports.digest``), with its algorithm as
#: a prefix. BLAKE3 is a cryptographic hash about 4x faster than SHA-256 here (115 MB in
#: 0.016 s against 0.060 s), so it costs the parse running beside it little.
DIGEST = "blake3"


def file_digest(path: Path, stop: threading.Event | None = None) -> str:
    """``blake3:<hex>`` of a file's bytes; ``""`` if ``stop`` is set before the end."""
    from blake3 import blake3

    h = blake3()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            if stop is not None and stop.is_set():
                return ""
            h.update(chunk)
    return f"{DIGEST}:{h.hexdigest()}"


class _BackgroundHash:
    """The digest of a file (:func:`file_digest`), computed in a thread (the hash runs in
    native code beside the parse); :meth:`result` waits for it, :meth:`cancel` stops it
    early."""

    def __init__(self, path: Path) -> None:
        self._stop = threading.Event()
        self._digest = ""
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._digest = file_digest(path, self._stop)
        except BaseException as exc:  # pragma: no cover - re-raised by result()
            self._error = exc

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._digest

    def cancel(self) -> None:
        self._stop.set()
        self._thread.join()


def symbol_from_filename(path: Path) -> str:
    """``SOXS.csv`` → SOXS, ``IDX_NDX.csv`` → ^NDX, ``005930.KS_2000_2026.csv`` → 005930.KS,
    ``BTCUSDT_1d.csv`` and ``BTCUSDT_1d_2024-2026.csv`` → BTCUSDT."""
    stem = re.sub(r"(_\d{4}){1,2}$", "", path.stem)
    stem = re.sub(r"[-_]1d([-_]\d{4}-\d{4})?$", "", stem, flags=re.IGNORECASE)
    if stem.upper().startswith("IDX_"):
        stem = "^" + stem[4:]
    return stem.upper()


# ---------------------------------------------------------------------- kinds
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


def _read_any(path: Path, name: str, numeric_of: Callable[[list[str]], list[str]]) -> Table:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        table = _read_parquet(path, name)
        numeric = numeric_of(table.header)
        for h in numeric:
            _numbers_from_text(table, h)
        _refuse_literal_nan(table, numeric)
        return table
    if suffix not in (".csv", ".txt", ".tsv"):
        raise GaemiInputError(f"{name}: unknown format {suffix!r} (expected .csv or .parquet)")
    layout = _sniff(path, name, DATE_NAMES)
    numeric = numeric_of(layout.header)
    table = _read_csv_fast(path, name, layout, numeric)
    _refuse_literal_nan(table, numeric)
    return table


def _refuse_literal_nan(table: Table, numeric: Sequence[str]) -> None:
    """A value written as NaN is an error; a blank field is "no value" and allowed."""
    for h in numeric:
        nul = table.nulls.get(h)
        if nul is None:
            continue
        nan = np.isnan(table.columns[h])
        if not nan.any():
            continue
        nan &= ~nul
        if nan.any():
            raise GaemiInputError(
                f"{table.where(int(np.flatnonzero(nan)[0]))}: {h} = NaN is not allowed "
                "(leave the field blank for no value)"
            )


def _price_columns(header: list[str], name: str) -> dict[str, str]:
    """Map file columns to store columns for a prices file; unknown columns are errors."""
    out: dict[str, str] = {}
    for h in header:
        n = _norm(h)
        if n in DATE_NAMES:
            continue
        if n in IGNORED_COLUMNS:
            continue
        target = PRICE_COLUMNS.get(n)
        if target is None:
            raise GaemiInputError(
                f"{name}: unknown column {h!r} for prices "
                "(known: Date, Open, High, Low, Close, Adj Close, Volume, Symbol)"
            )
        if target in out.values():
            raise GaemiInputError(f"{name}: two columns map to {target} ({h!r})")
        out[h] = target
    if "close" not in out.values() and "adj_close" not in out.values():
        raise GaemiInputError(f"{name}: no Close or Adj Close column in {header!r}")
    return out


def read_prices(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table]:
    """Read and validate a prices file; the validated rows as a store-ready Arrow table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    p = Path(path)
    name = p.name
    _check_file(p, opts.max_bytes)
    mapping: dict[str, str] = {}

    def numeric_of(header: list[str]) -> list[str]:
        mapping.update(_price_columns(header, name))
        return [h for h, t in mapping.items() if t != "symbol"]

    table = _read_any(p, name, numeric_of)
    date_col = next(h for h in table.header if _norm(h) in DATE_NAMES)
    _dates_from_text(table, date_col)
    n = len(table.lines)
    if n == 0:
        raise GaemiInputError(f"{name}: no rows (the file has a header only)")
    vals: dict[str, NDArray[np.float64]] = {}
    for h, t in mapping.items():
        if t != "symbol":
            vals[t] = table.columns[h]
    missing_col = np.full(n, np.nan)  # shared, read-only: columns the file does not have
    missing_col.flags.writeable = False
    for c in PRICE_VALUES:
        vals.setdefault(c, missing_col)
    if opts.close_is_adjusted:
        if "adj_close" in mapping.values():
            raise GaemiInputError(f"{name}: --close-is-adjusted but the file has Adj Close")
        vals["adj_close"], vals["close"] = vals["close"], np.full(n, np.nan)
    # symbol
    sym_col = next((h for h, t in mapping.items() if t == "symbol"), None)
    sym_arr: Any = None
    sym_codes: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
    sym_names: list[str] = []
    sym = ""
    if sym_col is not None:
        if opts.symbol:
            raise GaemiInputError(f"{name}: --symbol given but the file has a {sym_col} column")
        raw = table.columns[sym_col]
        if not isinstance(raw, pa.Array | pa.ChunkedArray):
            raw = pa.array(["" if v is None else str(v) for v in raw], pa.string())
        if isinstance(raw, pa.ChunkedArray):
            raw = raw.combine_chunks()
        if raw.null_count:
            raw = pc.fill_null(raw, "")
        # normalise the names of runs of equal names only (a file holds few symbols, each
        # usually in one block of rows): the codes are the runs' codes repeated
        runs = pc.run_end_encode(raw)
        ends = np.asarray(runs.run_ends.to_numpy(zero_copy_only=False), dtype=np.int64)
        run_names = runs.values.to_pylist()
        names = pc.utf8_upper(pc.utf8_trim_whitespace(runs.values)).to_pylist()
        uniq = sorted(set(names))
        index = {x: i for i, x in enumerate(uniq)}
        run_codes = np.asarray([index[x] for x in names], dtype=np.int64)
        sym_codes = np.repeat(run_codes, np.diff(ends, prepend=0))
        sym_names = uniq
        if names == run_names:
            sym_arr = raw  # already upper case and trimmed: the file's column as it is
        if "" in uniq:
            empty = sym_codes == uniq.index("")
            raise GaemiInputError(f"{table.where(int(np.flatnonzero(empty)[0]))}: symbol is empty")
    else:
        sym = (opts.symbol or table.meta.get("symbol") or symbol_from_filename(p)).strip().upper()
        if not sym:
            raise GaemiInputError(f"{name}: no symbol (give --symbol)")
    dates = table.columns[date_col]
    # rows with no value at all (a listing not yet started, a holiday line) are skipped
    if any(not np.isnan(vals[c]).any() for c in PRICE_VALUES):
        present = np.ones(n, dtype=bool)  # one column without a blank: every row has a value
    else:
        present = np.zeros(n, dtype=bool)
        for c in PRICE_VALUES:
            present |= ~np.isnan(vals[c])
    blank = int((~present).sum())
    if blank:
        table.notes.append(f"{name}: {blank} rows with no values skipped (blank lines)")
        keep = present
        vals = {c: v[keep] for c, v in vals.items()}
        dates = dates[keep]
        if sym_col is not None:
            sym_codes = sym_codes[keep]
        table.lines = table.lines[keep]
        n = int(keep.sum())
        if n == 0:
            raise GaemiInputError(f"{name}: no rows with values")
    _check_dates(table, date_col, dates)
    main = "close" if "close" in mapping.values() and not opts.close_is_adjusted else "adj_close"
    _check_finite(table, main if main in mapping.values() else "close", vals[main], required=True)
    for c in PRICE_VALUES:
        _check_finite(table, c, vals[c], required=False)
    neg_vol = vals["volume"] < 0
    if neg_vol.any():
        i = int(np.flatnonzero(neg_vol)[0])
        raise GaemiInputError(f"{table.where(i)}: volume = {vals['volume'][i]:g} must be >= 0")
    if sym_col is not None:
        _check_unique(
            table,
            dates,
            sym_codes,
            "symbol/date",
            lambda i: f"{sym_names[sym_codes[i]]} {dates[i]}",
        )
        if sym_arr is None or blank:
            sym_arr = pa.array(sym_names, pa.string()).take(pa.array(sym_codes))
    else:
        _check_unique(table, dates, None, "symbol/date", lambda i: f"{sym} {dates[i]}")
        note = _order_note(dates, name)
        if note:
            table.notes.append(note)
            order = np.argsort(dates, kind="stable")
            dates = dates[order]
            vals = {c: v[order] for c, v in vals.items()}
    source = opts.source or _source_label(p)
    now = datetime.now(UTC)
    # one contiguous chunk per column (DuckDB inserts that much faster than the reader's
    # ~1 MB chunks); numbers without a blank are shared with NumPy, not copied
    value_cols = {
        c: pa.array(vals[c], pa.float64(), from_pandas=bool(np.isnan(vals[c]).any()))
        for c in PRICE_VALUES
    }
    days = dates.astype("datetime64[D]", copy=False).view(np.int64).astype(np.int32)
    date_col_arrow = pa.Array.from_buffers(pa.date32(), n, [None, pa.py_buffer(days)])
    arrow = pa.table(
        {
            "symbol": sym_arr if sym_arr is not None else pa.repeat(sym, n),
            "date": date_col_arrow,
            **value_cols,
            "source": pa.repeat(source, n),
            "retrieved_at": pa.repeat(pa.scalar(now, pa.timestamp("us", tz="UTC")), n),
        }
    )
    table.provenance = (source, now)
    if sym_col is None:
        table.series = (sym,)
    elif not blank:  # (with blank rows skipped, a name may have no row left)
        table.series = tuple(sym_names)
    return table, arrow


def read_macro(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table]:
    """Read and validate a macro file (one series, or one series per column)."""
    import pyarrow as pa

    p = Path(path)
    name = p.name
    _check_file(p, opts.max_bytes)
    value_cols: list[str] = []

    def numeric_of(header: list[str]) -> list[str]:
        others = [h for h in header if _norm(h) not in DATE_NAMES]
        named = [h for h in others if _norm(h) in MACRO_VALUE_NAMES]
        if named:
            value_cols.append(named[0])
        else:
            value_cols.extend(h for h in others if _norm(h) not in IGNORED_COLUMNS)
        if not value_cols:
            raise GaemiInputError(f"{name}: no value column besides the date")
        return [h for h in others if _norm(h) not in IGNORED_COLUMNS or h in value_cols]

    table = _read_any(p, name, numeric_of)
    date_col = next(h for h in table.header if _norm(h) in DATE_NAMES)
    _dates_from_text(table, date_col)
    dates = table.columns[date_col]
    if len(dates) == 0:
        raise GaemiInputError(f"{name}: no rows (the file has a header only)")
    _check_dates(table, date_col, dates)
    _check_unique(table, dates, None, "date", lambda i: str(dates[i]))
    note = _order_note(dates, name)
    if note:
        table.notes.append(note)
    single = len(value_cols) == 1
    base = opts.symbol or (
        value_cols[0] if single and _norm(value_cols[0]) not in MACRO_VALUE_NAMES else p.stem
    )
    source = opts.source or _source_label(p)
    now = datetime.now(UTC)
    parts = []
    blanks = 0
    for col in value_cols:
        v = table.columns[col]
        # the literal NaN is an error; blanks ('' or '.') are no observation
        _check_finite(table, col, np.where(np.isnan(v), 0.0, v), required=False)
        present = ~np.isnan(v)
        blanks += int((~present).sum())
        sid = base if single else f"{base}.{col}"
        k = int(present.sum())
        parts.append(
            pa.table(
                {
                    "series_id": pa.array([sid] * k, pa.string()),
                    "date": pa.array(dates[present], pa.date32()),
                    "value": pa.array(v[present], pa.float64()),
                    "unit": pa.array([opts.unit or ""] * k, pa.string()),
                    "source": pa.array([source] * k, pa.string()),
                    "retrieved_at": pa.array([now] * k, pa.timestamp("us", tz="UTC")),
                }
            )
        )
    if blanks:
        table.notes.append(f"{name}: {blanks} blank values skipped (no observation)")
    arrow = pa.concat_tables(parts).sort_by([("series_id", "ascending"), ("date", "ascending")])
    if arrow.num_rows == 0:
        raise GaemiInputError(f"{name}: no values (every value is blank)")
    return table, arrow


def _plain_rows(path: Path, name: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]], str]:
    """Small tabular files (funds, holdings): header and ``(line, record)`` rows."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        t = _read_parquet(path, name)
        recs = []
        for i in range(len(t.lines)):
            rec: dict[str, Any] = {}
            for h in t.header:
                v = t.columns[h][i]
                if isinstance(v, np.datetime64):
                    v = "" if np.isnat(v) else str(v)
                elif isinstance(v, np.floating):
                    v = float(v)
                rec[h] = v
            recs.append((int(t.lines[i]), rec))
        return t.header, recs, "row"
    if suffix not in (".csv", ".txt"):
        raise GaemiInputError(f"{name}: unknown format {suffix!r} (expected .csv or .parquet)")
    _decode_head(path, name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GaemiInputError(
            f"{name}: not UTF-8 text (offset {exc.start}); save the file as UTF-8"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise GaemiInputError(f"{name}: empty file (no header)") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise GaemiInputError(
                    f"{name} line {reader.line_num}: {len(values)} fields, header has {len(header)}"
                )
            rows.append((reader.line_num, dict(zip(header, values, strict=True))))
    except csv.Error as exc:
        raise GaemiInputError(f"{name} line {reader.line_num}: {exc}") from None
    return header, rows, "line"


def _opt_date(src: str, value: Any, fieldname: str, *, required: bool) -> date | None:
    s = "" if value is None else str(value).strip()
    if s in ("", "nan", "NaT", "None"):
        if required:
            raise GaemiInputError(f"{src}: {fieldname} is missing")
        return None
    try:
        d = parse_date(s, _date_style(s, src))
    except ValueError:
        raise GaemiInputError(f"{src}: {fieldname} = {s!r} is not a date") from None
    if d > datetime.now(UTC).date() + timedelta(days=1):
        raise GaemiInputError(f"{src}: {fieldname} = {d} is in the future")
    if d < MIN_DATE:
        raise GaemiInputError(f"{src}: {fieldname} = {d} is before {MIN_DATE}")
    return d


def _opt_number(src: str, value: Any, fieldname: str, *, nonneg: bool = True) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and math.isnan(value):
        raise GaemiInputError(f"{src}: {fieldname} = NaN is not allowed")
    try:
        out = float(str(value).replace("_", "")) if isinstance(value, str) else float(value)
    except ValueError:
        raise GaemiInputError(f"{src}: {fieldname} = {value!r} is not a number") from None
    if not math.isfinite(out):
        raise GaemiInputError(f"{src}: {fieldname} = {value!r} must be finite")
    if nonneg and out < 0:
        raise GaemiInputError(f"{src}: {fieldname} = {out:g} must be >= 0")
    return out


FUND_EXTRA = ("as_of", "shares_outstanding", "nav_usd", "source")


def read_funds(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table, pa.Table | None]:
    """Fund snapshots (the universe schema of :mod:`gaemi.data.universe` plus ``as_of``,
    ``shares_outstanding``, ``nav_usd``, ``source``); Korean columns go to ``holdings``."""
    import pyarrow as pa

    from gaemi.data.universe import universe_from_rows

    p = Path(path)
    name = p.name
    _check_file(p, opts.max_bytes)
    header, rows, word = _plain_rows(p, name)
    if "as_of" not in header and "aum_as_of" not in header:
        raise GaemiInputError(f"{name}: required column 'as_of' (or 'aum_as_of') is missing")
    uni_header = [h for h in header if h not in FUND_EXTRA]
    uni_rows = [(ln, {k: v for k, v in r.items() if k not in FUND_EXTRA}) for ln, r in rows]
    u = universe_from_rows(uni_header, uni_rows, source=name, label=name)
    now = datetime.now(UTC)
    default_src = opts.source or _source_label(p)
    fund_recs: dict[str, list[Any]] = {c: [] for c in ("ticker", "as_of", "shares", "nav", "src")}
    hold: dict[str, list[Any]] = {c: [] for c in ("ticker", "as_of", "held", "share", "src")}
    for i, (ln, rec) in enumerate(rows):
        where = f"{name} {word} {ln}"
        as_of = _opt_date(where, rec.get("as_of") or rec.get("aum_as_of"), "as_of", required=True)
        fund_recs["ticker"].append(str(u.ticker[i]))
        fund_recs["as_of"].append(as_of)
        fund_recs["shares"].append(
            _opt_number(where, rec.get("shares_outstanding"), "shares_outstanding")
        )
        fund_recs["nav"].append(_opt_number(where, rec.get("nav_usd"), "nav_usd"))
        src = str(rec.get("source") or rec.get("source_aum") or "").strip()
        fund_recs["src"].append(src or default_src)
        held = _opt_number(where, rec.get("korean_held_usd"), "korean_held_usd")
        share = _opt_number(where, rec.get("korean_share"), "korean_share")
        if held is not None or share is not None:
            k_as_of = (
                _opt_date(where, rec.get("korean_as_of"), "korean_as_of", required=False) or as_of
            )
            hold["ticker"].append(str(u.ticker[i]))
            hold["as_of"].append(k_as_of)
            hold["held"].append(held)
            hold["share"].append(share)
            ksrc = str(rec.get("source_korean") or "").strip()
            hold["src"].append(ksrc or default_src)
    n = len(u)
    funds = pa.table(
        {
            "ticker": pa.array(fund_recs["ticker"], pa.string()),
            "as_of": pa.array(fund_recs["as_of"], pa.date32()),
            "name": pa.array(u.name.tolist(), pa.string()),
            "issuer": pa.array(u.issuer.tolist(), pa.string()),
            "leverage": pa.array(u.leverage, pa.float64()),
            "underlying_id": pa.array(u.underlying_id.tolist(), pa.string()),
            "underlying_kind": pa.array(u.underlying_kind.tolist(), pa.string()),
            "underlying_group": pa.array(u.underlying_group.tolist(), pa.string()),
            "expense_ratio": pa.array(u.expense_ratio, pa.float64(), from_pandas=True),
            "aum_usd": pa.array(u.aum_usd, pa.float64()),
            "shares_outstanding": pa.array(fund_recs["shares"], pa.float64()),
            "nav_usd": pa.array(fund_recs["nav"], pa.float64()),
            "source": pa.array(fund_recs["src"], pa.string()),
            "retrieved_at": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
        }
    )
    holdings = None
    if hold["ticker"]:
        holdings = _holdings_table(hold, now)
    lines = np.asarray([ln for ln, _ in rows], dtype=np.int64)
    t = Table(name, header, {}, lines, line_word=word)
    return t, funds, holdings


def _holdings_table(hold: dict[str, list[Any]], now: datetime) -> pa.Table:
    import pyarrow as pa

    k = len(hold["ticker"])
    return pa.table(
        {
            "ticker": pa.array(hold["ticker"], pa.string()),
            "as_of": pa.array(hold["as_of"], pa.date32()),
            "korean_held_usd": pa.array(hold["held"], pa.float64()),
            "korean_share": pa.array(hold["share"], pa.float64()),
            "source": pa.array(hold["src"], pa.string()),
            "retrieved_at": pa.array([now] * k, pa.timestamp("us", tz="UTC")),
        }
    )


HOLDING_COLUMNS = frozenset(
    {"ticker", "as_of", "korean_as_of", "date", "korean_held_usd", "korean_share", "source"}
)


def read_holdings(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table]:
    """Korean holdings per fund and date (``ticker, as_of, korean_held_usd | korean_share``)."""
    p = Path(path)
    name = p.name
    _check_file(p, opts.max_bytes)
    header, rows, word = _plain_rows(p, name)
    unknown = [h for h in header if h not in HOLDING_COLUMNS]
    if unknown:
        raise GaemiInputError(
            f"{name}: unknown column {unknown[0]!r} for holdings "
            f"(known: {', '.join(sorted(HOLDING_COLUMNS))})"
        )
    if "ticker" not in header:
        raise GaemiInputError(f"{name}: required column 'ticker' is missing")
    if "korean_held_usd" not in header and "korean_share" not in header:
        raise GaemiInputError(f"{name}: needs a korean_held_usd or korean_share column")
    if not rows:
        raise GaemiInputError(f"{name}: no rows (the file has a header only)")
    hold: dict[str, list[Any]] = {c: [] for c in ("ticker", "as_of", "held", "share", "src")}
    seen: dict[tuple[str, date], int] = {}
    default_src = opts.source or _source_label(p)
    for ln, rec in rows:
        where = f"{name} {word} {ln}"
        ticker = str(rec.get("ticker") or "").strip().upper()
        if not ticker:
            raise GaemiInputError(f"{where}: ticker is missing")
        d = _opt_date(
            where,
            rec.get("as_of") or rec.get("korean_as_of") or rec.get("date"),
            "as_of",
            required=True,
        )
        assert d is not None
        if (ticker, d) in seen:
            raise GaemiInputError(
                f"{where}: ticker/as_of {ticker} {d} duplicates {word} {seen[ticker, d]}"
            )
        seen[ticker, d] = ln
        held = _opt_number(where, rec.get("korean_held_usd"), "korean_held_usd")
        share = _opt_number(where, rec.get("korean_share"), "korean_share")
        if held is None and share is None:
            raise GaemiInputError(f"{where}: korean_held_usd and korean_share are both missing")
        if share is not None and share > 1:
            raise GaemiInputError(f"{where}: korean_share = {share:g} must be in [0, 1]")
        hold["ticker"].append(ticker)
        hold["as_of"].append(d)
        hold["held"].append(held)
        hold["share"].append(share)
        src = str(rec.get("source") or "").strip()
        hold["src"].append(src or default_src)
    lines = np.asarray([ln for ln, _ in rows], dtype=np.int64)
    return Table(name, header, {}, lines, line_word=word), _holdings_table(hold, datetime.now(UTC))


def _date32(values: Any) -> pa.Array:
    """datetime64 values (NaT = null) as an Arrow date32 array."""
    import pyarrow as pa

    d = np.asarray(values, dtype="datetime64[D]")
    nat = np.isnat(d)
    return pa.array(d, pa.date32(), mask=nat if nat.any() else None)


def _csv_only(p: Path, name: str) -> None:
    if p.suffix.lower() not in (".csv", ".txt"):
        raise GaemiInputError(f"{name}: unknown format {p.suffix.lower()!r} (expected .csv)")


def read_fund_nav(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table]:
    """An issuer daily-NAV file (:mod:`.issuer_nav`) as ``fund_nav`` rows."""
    import pyarrow as pa

    from gaemi.data.importers.issuer_nav import read_issuer_nav

    p = Path(path)
    _check_file(p, opts.max_bytes)
    _csv_only(p, p.name)
    df = read_issuer_nav(p, opts.symbol)
    n = len(df)
    source = opts.source or _source_label(p)
    now = datetime.now(UTC)
    arrow = pa.table(
        {
            "ticker": pa.array(df["ticker"].astype(str).tolist(), pa.string()),
            "date": _date32(df["date"].to_numpy()),
            **{
                c: pa.array(df[c].to_numpy(float), pa.float64())
                for c in ("nav_usd", "prior_nav_usd", "shares_outstanding", "aum_usd")
            },
            "source": pa.repeat(source, n),
            "retrieved_at": pa.repeat(pa.scalar(now, pa.timestamp("us", tz="UTC")), n),
        }
    )
    t = Table(p.name, list(df.columns), {}, df.attrs["lines"], notes=list(df.attrs["notes"]))
    t.series = (str(df["ticker"].iloc[0]),)
    return t, arrow


def read_universe(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table]:
    """A full-universe snapshot (:mod:`.universe_snapshot`) as ``universe_snapshots`` rows."""
    import pyarrow as pa

    from gaemi.data.importers.universe_snapshot import read_universe_snapshot

    p = Path(path)
    _check_file(p, opts.max_bytes)
    _csv_only(p, p.name)
    df = read_universe_snapshot(p)
    n = len(df)
    source = opts.source or _source_label(p)
    now = datetime.now(UTC)

    def text(col: str) -> pa.Array:
        return pa.array(df[col].astype(str).tolist(), pa.string())

    arrow = pa.table(
        {
            "ticker": text("ticker"),
            "as_of": _date32(df["as_of"].to_numpy()),
            "name": text("name"),
            "underlying_id": pa.array(
                [u if isinstance(u, str) else None for u in df["underlying"]], pa.string()
            ),
            "underlying_raw": text("underlying_raw"),
            "underlying_ticker": text("underlying_ticker"),
            "leverage": pa.array(df["leverage"].to_numpy(float), pa.float64(), from_pandas=True),
            "leverage_text": text("leverage_text"),
            "direction": text("direction"),
            "aum_usd": pa.array(df["aum_usd"].to_numpy(float), pa.float64(), from_pandas=True),
            "aum_as_of": _date32(df["aum_as_of"].to_numpy()),
            "issuer": text("issuer"),
            "inception_date": _date32(df["inception_date"].to_numpy()),
            "fund_type": text("fund_type"),
            "source": pa.repeat(source, n),
            "retrieved_at": pa.repeat(pa.scalar(now, pa.timestamp("us", tz="UTC")), n),
        }
    )
    t = Table(p.name, list(df.columns), {}, df.attrs["lines"], notes=list(df.attrs["notes"]))
    unmapped = int(df["underlying"].isna().sum())
    unknown = int(df["leverage"].isna().sum())
    t.notes.append(
        f"{p.name}: {n} funds as of {df['as_of'].iloc[0].date()}; {unknown} with leverage "
        f"variable or unknown (stored as NULL), {unmapped} with an unmapped underlying"
    )
    return t, arrow


#: Coinalyze file name (part) -> (reader name, metrics with their unit).
_DERIVATIVE_FILES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "liquidation": (
        "read_liquidations",
        (("liquidations_long_usd", "USD"), ("liquidations_short_usd", "USD")),
    ),
    "open_interest": ("read_open_interest", (("open_interest_usd", "USD"),)),
    "funding": ("read_funding", (("funding_rate_frac", "fraction per 8 h"),)),
}


def read_derivatives(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table]:
    """A Coinalyze daily file (:mod:`.coinalyze`: liquidations, open interest or funding
    per market) as ``derivatives`` rows ``metric, market, date, exchange, value, unit``;
    the file's name says which (``liquidation_history.csv``, ``open_interest_history.csv``,
    ``funding_rate_history.csv``)."""
    import pyarrow as pa

    from gaemi.data.importers import coinalyze

    p = Path(path)
    name = p.name
    _check_file(p, opts.max_bytes)
    _csv_only(p, name)
    which = next((k for k in _DERIVATIVE_FILES if k in name.lower()), None)
    if which is None:
        raise GaemiInputError(
            f"{name}: not a Coinalyze file name (expected liquidation_history.csv, "
            "open_interest_history.csv or funding_rate_history.csv)"
        )
    reader, metrics = _DERIVATIVE_FILES[which]
    df = getattr(coinalyze, reader)(p)
    if df.empty:
        raise GaemiInputError(f"{name}: no values (every cell is blank)")
    days = df["date"].to_numpy(dtype="datetime64[D]")
    limit = _today() + np.timedelta64(1, "D")
    if days.max() > limit:
        raise GaemiInputError(f"{name}: t = {days.max()} is in the future")
    source = opts.source or _source_label(p)
    now = datetime.now(UTC)
    parts = []
    for metric, unit in metrics:
        v = df[metric].to_numpy(float)
        ok = ~np.isnan(v)
        k = int(ok.sum())
        parts.append(
            pa.table(
                {
                    "metric": pa.repeat(metric, k),
                    "market": pa.array(df["market"].to_numpy(object)[ok].tolist(), pa.string()),
                    "date": _date32(days[ok]),
                    "exchange": pa.array(df["exchange"].to_numpy(object)[ok].tolist(), pa.string()),
                    "value": pa.array(v[ok], pa.float64()),
                    "unit": pa.repeat(unit, k),
                    "source": pa.repeat(source, k),
                    "retrieved_at": pa.repeat(pa.scalar(now, pa.timestamp("us", tz="UTC")), k),
                }
            )
        )
    arrow = pa.concat_tables(parts)
    t = Table(name, ["t"], {}, np.arange(2, 2 + len(df), dtype=np.int64))
    t.notes.append(
        f"{name}: {df['date'].nunique()} days, {df['market'].nunique()} markets "
        "(rows stored by date)"
    )
    return t, arrow


#: KSD file name pattern -> (list, reader); see :mod:`.ksd`.
_KSD_FILES: tuple[tuple[str, str], ...] = (
    (r"custody_weekly.*\.csv", "weekly_top50"),
    (r"custody_daily_top50.*\.csv", "daily_top50"),
    (r"custody_daily_.*\.csv", "daily_isin"),
    (r"trading_daily_.*\.csv", "trading_daily"),
    (r"trading_monthly.*\.csv", "settlement_top50"),
    (r"1[WM]_history\.csv", "netbuy_top50_US"),
)


def _ksd_isin_map(p: Path) -> dict[str, str]:
    """ISIN -> ticker from the maps of a ``korea-holdings-ksd/`` folder near ``p``
    (``ticker_universe.csv``, ``ticker_map.json`` in its folder, the two above, or their
    sub-folders: the layout of ``korea-holdings-ksd/``)."""
    from gaemi.data.importers import ksd

    found: list[Path] = []
    for folder in (p.parent, p.parent.parent, p.parent.parent.parent):
        for name in ("ticker_universe.csv", "ticker_map.json"):
            found += [f for f in (folder / name, *folder.glob(f"*/{name}")) if f.is_file()]
    if not found:
        raise GaemiInputError(
            f"{p.name}: needs an ISIN map (ticker_universe.csv or ticker_map.json beside "
            "it or in a sibling folder, as in korea-holdings-ksd/)"
        )
    return ksd.isin_to_ticker(ksd.read_isin_map(*sorted(set(found))))


def read_ksd(path: str | Path, opts: ImportOptions) -> tuple[Table, dict[str, pa.Table]]:
    """A Korea Securities Depository list (:mod:`.ksd`) as ``ksd_holdings`` or
    ``ksd_flows`` rows; the file name says which list (the layouts of
    ``korea-holdings-ksd/``). Net-buy files: the US list."""
    import pyarrow as pa

    from gaemi.data.importers import ksd

    p = Path(path)
    name = p.name
    _check_file(p, opts.max_bytes)
    _csv_only(p, name)
    which = next((w for pat, w in _KSD_FILES if re.fullmatch(pat, name)), None)
    if which is None:
        raise GaemiInputError(
            f"{name}: not a KSD list file name (custody_weekly*, custody_daily_*, "
            "trading_daily_*, trading_monthly*, 1W_history.csv or 1M_history.csv)"
        )
    dup = opts.duplicates
    if which == "weekly_top50":
        df = ksd.read_custody_weekly(p, duplicates=dup)
    elif which == "daily_top50":
        df = ksd.read_custody_daily(p, isin_map=_ksd_isin_map(p), duplicates=dup)
    elif which == "daily_isin":
        df = ksd.read_custody_daily(p, duplicates=dup)
    elif which == "trading_daily":
        df = ksd.read_trading_daily(p, duplicates=dup)
    elif which == "settlement_top50":
        df = ksd.read_settlement_monthly(p, duplicates=dup).rename(columns={"month": "as_of"})
    else:
        df = ksd.read_net_buys(p, isin_map=_ksd_isin_map(p), country="US", duplicates=dup)
    n = len(df)
    days = df["as_of"].to_numpy(dtype="datetime64[D]")
    future = days > _today() + np.timedelta64(1, "D")
    if future.any():
        i = int(np.flatnonzero(future)[0])
        line = int(df["line"].iloc[i]) if "line" in df.columns else i + 2
        raise GaemiInputError(f"{name} line {line}: date = {days[i]} is in the future")
    source = opts.source or _source_label(p)
    now = datetime.now(UTC)

    def num(col: str) -> pa.Array:
        v = df[col].to_numpy(float) if col in df.columns else np.full(n, np.nan)
        return pa.array(v, pa.float64(), from_pandas=True)

    def text(col: str) -> pa.Array:
        return pa.array([str(x) for x in df[col]], pa.string())

    base = {
        "list": pa.repeat("daily_isin" if which == "trading_daily" else which, n),
        "isin": text("isin"),
        "as_of": _date32(df["as_of"].to_numpy()),
        "ticker": text("ticker"),
        "name": text("name"),
    }
    prov = {
        "source": pa.repeat(source, n),
        "retrieved_at": pa.repeat(pa.scalar(now, pa.timestamp("us", tz="UTC")), n),
    }
    if which in ("weekly_top50", "daily_top50", "daily_isin"):
        table_name = "ksd_holdings"
        arrow = pa.table({**base, "holdings_usd": num("holdings_usd"), "rank": num("rank"), **prov})
    else:
        table_name = "ksd_flows"
        if which == "settlement_top50":
            period = pa.repeat("month", n)
        else:
            period = pa.array([f"{int(d)}d" for d in df["period_days"]], pa.string())
        arrow = pa.table(
            {
                **base,
                "period": period,
                "rank": num("rank"),
                "buy_usd": num("buy_usd"),
                "sell_usd": num("sell_usd"),
                "net_buy_usd": num("net_buy_usd"),
                **prov,
            }
        )
        arrow = arrow.select(
            [
                "list",
                "period",
                "isin",
                "as_of",
                "ticker",
                "name",
                "rank",
                "buy_usd",
                "sell_usd",
                "net_buy_usd",
                "source",
                "retrieved_at",
            ]
        )
    lines = df["line"].to_numpy(np.int64) if "line" in df.columns else np.arange(n)
    t = Table(name, list(df.columns), {}, lines)
    notes = [f"{name}: {n} rows, list {base['list'][0]}"]
    if df.attrs.get("exact_duplicates"):
        notes.append(f"{name}: {df.attrs['exact_duplicates']} rows repeated exactly, kept once")
    if df.attrs.get("dropped"):
        notes.append(
            f"{name}: {len(df.attrs['dropped'])} conflicting rows dropped (value unknown "
            f"that day): {', '.join(df.attrs['dropped'][:4])}"
            + (" …" if len(df.attrs["dropped"]) > 4 else "")
        )
    if df.attrs.get("stale_dates"):
        notes.append(
            f"{name}: {len(df.attrs['stale_dates'])} list dates repeat the previous list "
            f"(stale copies, left unknown): {', '.join(df.attrs['stale_dates'])}"
        )
    if "reported_zero" in df.columns and bool(df["reported_zero"].any()):
        notes.append(
            f"{name}: {int(df['reported_zero'].sum())} amounts reported as 0.0 stored as "
            "unknown (NULL)"
        )
    t.notes.extend(notes)
    return t, {table_name: arrow}


# ---------------------------------------------------------------------- entry point
def validate_file(path: str | Path, opts: ImportOptions) -> dict[str, pa.Table]:
    """Read and validate a file without touching any store; the tables it would write."""
    return _validated(Path(path), opts)[1]


def _validated(p: Path, opts: ImportOptions) -> tuple[Table, dict[str, pa.Table]]:
    if opts.kind not in KINDS:
        raise GaemiInputError(f"kind = {opts.kind!r} must be one of {', '.join(KINDS)}")
    if opts.kind == "prices":
        t, arrow = read_prices(p, opts)
        return t, {"prices": arrow}
    if opts.kind == "macro":
        t, arrow = read_macro(p, opts)
        return t, {"macro": arrow}
    if opts.kind == "funds":
        t, funds, hold = read_funds(p, opts)
        out = {"fund_snapshots": funds}
        if hold is not None:
            out["holdings"] = hold
        return t, out
    if opts.kind == "fund_nav":
        t, arrow = read_fund_nav(p, opts)
        return t, {"fund_nav": arrow}
    if opts.kind == "universe":
        t, arrow = read_universe(p, opts)
        return t, {"universe_snapshots": arrow}
    if opts.kind == "derivatives":
        t, arrow = read_derivatives(p, opts)
        return t, {"derivatives": arrow}
    if opts.kind == "ksd":
        return read_ksd(p, opts)
    t, arrow = read_holdings(p, opts)
    return t, {"holdings": arrow}


def import_file(
    store: Store,
    path: str | Path,
    opts: ImportOptions,
    *,
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Validate ``path`` completely, then merge it into ``store`` in one transaction.

    Raises
    ------
    GaemiInputError
        On the first bad row (file and line named) or a conflict with stored values
        under ``on_conflict="error"``; the store is then unchanged.
    """
    p = Path(path)
    steps = 3
    if progress:
        progress(0, steps)
    prep = prepare_import(p, opts)
    try:
        if progress:
            progress(1, steps)
        with store.transaction():
            results = _merge_prepared(store, prep, opts)
            if progress:
                progress(2, steps)
    finally:
        prep.cancel()
    if progress:
        progress(3, steps)
    return prep.result(results)


#: Store table -> (the column naming its series, its date column), for summaries.
SERIES_KEYS: dict[str, tuple[str, str]] = {
    "prices": ("symbol", "date"),
    "macro": ("series_id", "date"),
    "fund_nav": ("ticker", "date"),
    "derivatives": ("metric", "date"),
    "ksd_holdings": ("ticker", "as_of"),
    "ksd_flows": ("ticker", "as_of"),
}


@dataclass(eq=False)
class PreparedImport:
    """A file read and validated, not yet written: the tables it would merge.

    Its digest (:func:`file_digest`) is computed in a background thread beside the
    parse, the validation and the merge; it is first needed by the import log.
    """

    path: Path
    kind: str
    table: Table
    tables: dict[str, pa.Table]
    hashing: _BackgroundHash

    def cancel(self) -> None:
        """Stop the background hash (it is done or no longer needed)."""
        self.hashing.cancel()

    def result(self, results: Sequence[MergeResult]) -> ImportResult:
        """The :class:`ImportResult` of merging this file with ``results``."""
        import pyarrow.compute as pc

        tables = self.tables
        first = tables[next(iter(tables))]
        key, dcol = SERIES_KEYS.get(next(iter(tables)), ("ticker", "as_of"))
        series = self.table.series or tuple(sorted(pc.unique(first.column(key)).to_pylist()))
        mm = pc.min_max(first.column(dcol)).as_py()
        return ImportResult(
            file=self.path.name,
            kind=self.kind,
            results=tuple(results),
            notes=tuple(self.table.notes),
            series=series,
            first_date=str(mm["min"] or ""),
            last_date=str(mm["max"] or ""),
        )


def prepare_import(path: str | Path, opts: ImportOptions) -> PreparedImport:
    """Read and validate one file without touching any store (see :func:`import_files`)."""
    p = Path(path)
    if opts.kind not in KINDS:
        raise GaemiInputError(f"kind = {opts.kind!r} must be one of {', '.join(KINDS)}")
    _check_file(p, opts.max_bytes)
    hashing = _BackgroundHash(p)
    try:
        table, tables = _validated(p, opts)
    except BaseException:
        hashing.cancel()
        raise
    return PreparedImport(p, opts.kind, table, tables, hashing)


def _source_label(p: Path) -> str:
    """``file:FOLDER/NAME.csv`` with the folder the file really lies in (also for a bare
    ``NAME.csv`` in the current directory)."""
    return f"file:{p.resolve().parent.name}/{p.name}"


def _merge_prepared(store: Store, prep: PreparedImport, opts: ImportOptions) -> list[MergeResult]:
    """Merge a validated file and log it (inside the caller's transaction)."""
    p, table, tables = prep.path, prep.table, prep.tables
    results: list[MergeResult] = []
    for tname, arrow in tables.items():
        results.append(
            store.merge(
                tname,
                arrow,
                on_conflict=opts.on_conflict,
                label=p.name,
                provenance=table.provenance,
            )
        )
    total = MergeResult(
        "+".join(tables),
        sum(r.rows for r in results),
        sum(r.inserted for r in results),
        sum(r.replaced for r in results),
        sum(r.unchanged for r in results),
        sum(r.kept for r in results),
    )
    if total.changed:
        store.log_import(
            opts.kind,
            total,
            file=str(p.resolve()),
            digest=prep.hashing.result(),
            source=opts.source or _source_label(p),
            notes=table.notes,
        )
    return results


def import_files(
    store: Store,
    paths: Sequence[str | Path],
    opts: ImportOptions,
    *,
    progress: ProgressFn | None = None,
) -> list[ImportResult]:
    """Validate EVERY file first, then merge them all in ONE transaction: all or nothing.

    Nothing is written until every file has been read and validated
    (:func:`prepare_imports`); then the files are merged in the order given
    (:func:`write_imports`): a later file meets the rows of an earlier one as stored rows,
    so two files that disagree on a key are a conflict like any other. A bad file, or a
    conflict in any file under ``on_conflict="error"``, rolls the whole batch back: the
    store is unchanged and the one-line error names the file. The import log gets one row
    per file that changed something, in the same transaction. ``progress(done, total)``
    counts two steps per file: validated, then written. One file is :func:`import_file`.
    """
    ps = [Path(x) for x in paths]
    if len(ps) == 1:
        return [import_file(store, ps[0], opts, progress=progress)]
    n = len(ps)
    prepared = prepare_imports(
        ps, opts, progress=None if progress is None else (lambda i, _n: progress(i, 2 * n))
    )
    return write_imports(
        store,
        prepared,
        opts,
        progress=None if progress is None else (lambda i, _n: progress(n + i, 2 * n)),
    )


def prepare_imports(
    paths: Sequence[str | Path], opts: ImportOptions, *, progress: ProgressFn | None = None
) -> list[PreparedImport]:
    """Read and validate every file, writing nothing; a bad file raises a one-line
    :class:`GaemiInputError` naming it (and, in a batch, its place and that nothing was
    imported). The validated tables are held in memory until :func:`write_imports` (each
    file is at most ``opts.max_bytes``)."""
    ps = [Path(x) for x in paths]
    n = len(ps)
    prepared: list[PreparedImport] = []
    try:
        for i, p in enumerate(ps):
            try:
                prepared.append(prepare_import(p, opts))
            except GaemiInputError as exc:
                if n == 1:
                    raise
                raise GaemiInputError(
                    f"{exc} (file {i + 1} of {n}; nothing was imported)"
                ) from None
            if progress:
                progress(i + 1, n)
    except BaseException:
        for prep in prepared:
            prep.cancel()
        raise
    return prepared


def write_imports(
    store: Store,
    prepared: Sequence[PreparedImport],
    opts: ImportOptions,
    *,
    progress: ProgressFn | None = None,
) -> list[ImportResult]:
    """Merge validated files into ``store`` in ONE transaction, in order; any error (a
    conflict under ``on_conflict="error"``) rolls all of them back and names the file."""
    n = len(prepared)
    all_results: list[list[MergeResult]] = []
    try:
        with store.transaction():
            for i, prep in enumerate(prepared):
                try:
                    all_results.append(_merge_prepared(store, prep, opts))
                except GaemiInputError as exc:
                    if n == 1:
                        raise
                    raise GaemiInputError(
                        f"{exc} (file {i + 1} of {n}; the {n} files are one transaction: "
                        "nothing was imported)"
                    ) from None
                if progress:
                    progress(i + 1, n)
    finally:
        for prep in prepared:
            prep.cancel()
    return [prep.result(r) for prep, r in zip(prepared, all_results, strict=True)]


#: Files of ``../shared/data`` that are not series and are never imported.
SKIPPED_FILES: dict[str, str] = {
    "jgb-yields/jgbcm_all.csv": "Shift-JIS era dates (the ISO copy is imported)",
    "us-ohlcv-2000-2022/us_market_holidays.csv": "a holiday list, not a series",
    "crypto-derivatives/coinalyze-btc-perp-2022-2024/btc_perpetual_futures_usd.csv": (
        "Coinalyze's market list (codes), not a series"
    ),
    "crypto-derivatives/coinalyze-btc-perp-2022-2024/supported_exchanges.csv": (
        "Coinalyze's exchange codes, not a series"
    ),
    "korea-holdings-ksd/seohak-index/ticker_universe.csv": (
        "ISIN -> ticker map (read by the KSD lists that need it)"
    ),
    "korea-holdings-ksd/seohak-index/ticker_korean_map.csv": "ticker -> Korean name map",
}


def iter_importable(root: Path) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """The files of ``../shared/data`` this importer supports, with kind and options.

    Used by tests and by ``scripts/`` to build a store from the real history. The
    ``us-adjclose`` folder holds adjusted closes in a ``Close`` column; the issuer NAV
    files are ``fund_nav``, the universe snapshots ``universe``, the Coinalyze files
    ``derivatives``; Binance klines (``open_time``/``close_time``) are prices.
    """
    macro_files = {
        "fx-daily/DEXKOUS.csv": {"unit": "KRW per USD"},
        "fx-daily/fred_h10_daily_1971_2017_wide.csv": {"symbol": "H10", "unit": "FRED H.10"},
        "kospi-kr-rates/kr10y_yield.csv": {"symbol": "KR10Y", "unit": "percent"},
        "kospi-kr-rates/us10y_yield.csv": {"symbol": "US10Y", "unit": "percent"},
        "kospi-kr-rates/kospi_credit_balance_2010_2025.csv": {"symbol": "KOSPI_CREDIT"},
        "jgb-yields/jgbcm_all_iso.csv": {"symbol": "JGB", "unit": "percent"},
    }
    price_symbols = {
        "kospi-kr-rates/kospi.csv": "^KS11",
        "kospi-kr-rates/sp500.csv": "^GSPC",
        "kospi-kr-rates/kospi_ohlcv_1996_2015_investing.csv": "^KS11",
        "kospi-kr-rates/kospi_ohlcv_2015_2026_investing.csv": "^KS11",
        "vix-cboe/vix-daily.csv": "^VIX",
    }
    for f in sorted(root.rglob("*.csv")):
        rel = f.relative_to(root).as_posix()
        if rel in macro_files:
            yield f, "macro", dict(macro_files[rel])
        elif rel in SKIPPED_FILES:
            continue  # see SKIPPED_FILES
        elif rel.startswith("us-letf-nav-proshares/"):
            yield f, "fund_nav", {}
        elif rel.startswith("us-letf-universe-2026/"):
            yield f, "universe", {}
        elif rel.startswith("crypto-derivatives/coinalyze-"):
            yield f, "derivatives", {}
        elif rel.startswith("korea-holdings-ksd/"):
            # the shipped files hold conflicting pairs (see importers.ksd): dropped, noted
            yield f, "ksd", {"duplicates": "drop"}
        elif rel.startswith("us-adjclose-1993-2026/"):
            yield f, "prices", {"close_is_adjusted": True}
        elif rel in price_symbols:
            yield f, "prices", {"symbol": price_symbols[rel]}
        else:
            yield f, "prices", {}
