"""Macro series files (kind ``macro``): FRED single series and wide tables."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gaemi.data.importers._base import (
    ImportOptions,
    Table,
    _check_file,
    _norm,
    _provenance,
    _stamp,
)
from gaemi.data.importers._checks import _check_dates, _check_finite, _check_unique, _order_note
from gaemi.data.importers._text import DATE_NAMES, IGNORED_COLUMNS, _dates_from_text, _read_any
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pyarrow as pa


MACRO_VALUE_NAMES = ("value", "close", "price", "종가")


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
    source, now = _provenance(p, opts)
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
                    **_stamp(source, now, k),
                }
            )
        )
    if blanks:
        table.notes.append(f"{name}: {blanks} blank values skipped (no observation)")
    arrow = pa.concat_tables(parts).sort_by([("series_id", "ascending"), ("date", "ascending")])
    if arrow.num_rows == 0:
        raise GaemiInputError(f"{name}: no values (every value is blank)")
    return table, arrow
