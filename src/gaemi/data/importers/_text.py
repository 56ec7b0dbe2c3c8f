"""Reading tabular text and Parquet files: layout sniffing, dates, numbers, and the fast
(pyarrow) and exact (row by row) CSV readers."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from gaemi.data.importers._base import Table, _check_day, _norm
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import NDArray


DATE_NAMES = frozenset(
    {"date", "observationdate", "날짜", "일자", "timestamp", "datetime", "data", "opentime"}
)


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


def csv_text_reader(path: str | Path) -> tuple[str, Any]:
    """Open a small text CSV whole: ``(file name, csv.reader)``, refusing in one line a
    missing file, an empty file, NUL bytes and text that is not UTF-8 (a BOM is fine).
    Used by the per-kind readers that check every row themselves (issuer NAV, universe
    snapshots)."""
    p = Path(path)
    name = p.name
    if not p.is_file():
        raise GaemiInputError(f"file {str(p)!r} does not exist or is not a file")
    raw = p.read_bytes()
    if not raw.strip():
        raise GaemiInputError(f"{name}: empty file")
    if b"\x00" in raw:
        raise GaemiInputError(f"{name}: not a text CSV file (NUL byte)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GaemiInputError(
            f"{name}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    return name, csv.reader(io.StringIO(text, newline=""))


def csv_text_header(name: str, reader: Any) -> list[str]:
    """The header row of a :func:`csv_text_reader` file, as written (one line if none)."""
    try:
        return list(next(reader))
    except (StopIteration, csv.Error):
        raise GaemiInputError(f"{name}: no header line") from None


def csv_text_rows(name: str, reader: Any, n_fields: int) -> Iterator[tuple[int, str, list[str]]]:
    """The data rows of a :func:`csv_text_reader` file after its header: ``(line, where,
    fields)`` with ``where`` = ``"NAME line N"``, blank rows skipped. A row whose field
    count is not the header's ``n_fields``, or text the csv module cannot parse, is one
    :class:`~gaemi.errors.GaemiInputError` naming the file and line."""
    try:
        for row in reader:
            if not any(v.strip() for v in row):
                continue
            where = f"{name} line {reader.line_num}"
            if len(row) != n_fields:
                raise GaemiInputError(
                    f"{where}: {len(row)} fields, header has {n_fields}"
                    + (" (truncated file?)" if len(row) < n_fields else "")
                )
            yield reader.line_num, where, row
    except csv.Error as exc:
        raise GaemiInputError(f"{name} line {reader.line_num}: {exc}") from None


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
    return _check_day(src, fieldname, d)


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
