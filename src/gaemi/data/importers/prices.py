"""Prices files (kind ``prices``): Yahoo/yfinance, close-only, CBOE, investing.com and
Binance klines."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.data.importers._base import (
    ImportOptions,
    Table,
    _check_file,
    _norm,
    _provenance,
    _stamp,
    symbol_from_filename,
)
from gaemi.data.importers._checks import _check_dates, _check_finite, _check_unique, _order_note
from gaemi.data.importers._text import DATE_NAMES, IGNORED_COLUMNS, _dates_from_text, _read_any
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pyarrow as pa
    from numpy.typing import NDArray


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


PRICE_VALUES = ("open", "high", "low", "close", "adj_close", "volume")


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
    # no silent data: a price <= 0 (unless the documented flag), infinite or absurd (1e308)
    # is a bad row, named in one line, and nothing is written
    from gaemi.data.quality import PRICE_COLUMNS, refuse_bad_prices

    refuse_bad_prices(
        name,
        {c: vals[c] for c in PRICE_COLUMNS if c in vals},
        where=table.where,
        allow_nonpositive=opts.allow_nonpositive_prices,
    )
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
    source, now = _provenance(p, opts)
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
            **_stamp(source, now, n),
        }
    )
    table.provenance = (source, now)
    if sym_col is None:
        table.series = (sym,)
    elif not blank:  # (with blank rows skipped, a name may have no row left)
        table.series = tuple(sym_names)
    return table, arrow
