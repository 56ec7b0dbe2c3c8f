"""Crypto derivatives positioning (kind ``derivatives``): Coinalyze files read by
:mod:`.coinalyze`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gaemi.data.importers._base import (
    ImportOptions,
    Table,
    _checked_csv,
    _date32,
    _provenance,
    _stamp,
    _today,
)
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pyarrow as pa


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

    p = _checked_csv(path, opts)
    name = p.name
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
    source, now = _provenance(p, opts)
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
                    **_stamp(source, now, k),
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
