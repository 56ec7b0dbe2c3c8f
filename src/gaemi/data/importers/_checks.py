"""Row checks shared by the readers: dates in range, unique keys, finite values, row
order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from gaemi.data.importers._base import MIN_DATE, Table, _today
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    from numpy.typing import NDArray


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
