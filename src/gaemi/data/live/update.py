"""``gaemi data update``: refresh what is stale in the store from the live sources.

A price series is stale when its last date is before the last completed session of its
exchange (yesterday in UTC for crypto); a macro series when its last date is more than
``macro_stale_days`` old. Only rows after the stored last date are fetched and merged
(one transaction per series), so a refresh never rewrites history. A series that cannot
be refreshed is reported with the age of what the store holds — stale data is said out
loud, never mixed silently with fresh data — and its line is a :class:`NotRefreshed`, so
the CLI can exit non-zero (``gaemi data update`` exits 1) for cron to notice. New prices
pass the importers' check (:func:`gaemi.data.quality.refuse_bad_prices`): a source's price
that is <= 0, infinite or absurd refuses that series' refresh in one line, nothing of it
written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from gaemi.data.live.http import LiveSourceError
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pyarrow as pa

    from gaemi.data.store import Store

_FRED_ID = re.compile(r"^[A-Z0-9]{2,30}$")


class NotRefreshed(str):
    """A report line for a series that could not be refreshed (offline, no live source,
    not in the store). It compares and prints like the plain line; callers test
    ``isinstance(line, NotRefreshed)`` to count failures."""

    __slots__ = ()


def _last_dates(store: Store, table: str, key: str) -> dict[str, date]:
    rows = store.con.execute(f"SELECT {key}, max(date) FROM {table} GROUP BY {key}").fetchall()
    return {str(k): d for k, d in rows}


def expected_last(symbol: str, now: datetime) -> date:
    """The last date a complete daily series of ``symbol`` should have at ``now``."""
    from gaemi.data.calendar import calendar_for_symbol, last_completed_session

    ex = calendar_for_symbol(symbol)
    if ex is None or symbol.startswith("KRW-"):
        return (now.astimezone(UTC) - timedelta(days=1)).date()
    return last_completed_session(ex, now)


def _merge_new(store: Store, table: str, data: pa.Table, after: date) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc

    new = data.filter(pc.greater(data.column("date"), pa.scalar(after, pa.date32())))
    if new.num_rows == 0:
        return 0
    if table == "prices":  # the importers' check: a price <= 0, infinite or absurd is refused
        from gaemi.data.quality import PRICE_COLUMNS, refuse_bad_prices

        dates = new.column("date").to_pylist()
        sources = new.column("source").to_pylist()
        refuse_bad_prices(
            "live prices",
            {
                c: new.column(c).to_numpy(zero_copy_only=False)
                for c in PRICE_COLUMNS
                if c in new.column_names
            },
            where=lambda i: f"{sources[i]} {dates[i]}",
        )
    with store.transaction():
        r = store.merge(table, new, on_conflict="error", label=f"live {table}")
    return r.inserted


def update_store(
    store: Store,
    *,
    symbols: list[str] | None = None,
    now: datetime | None = None,
    timeout: float = 10.0,
    retries: int = 3,
    macro_stale_days: int = 3,
) -> Iterator[str]:
    """Refresh stale series; yields one line per series (what was done or why not).

    A series that could not be refreshed yields a :class:`NotRefreshed` line."""
    from gaemi.data.live.sources import fred_series, upbit_candles, yahoo_prices

    t = now or datetime.now(UTC)
    today = t.astimezone(UTC).date()
    prices = _last_dates(store, "prices", "symbol")
    macro = _last_dates(store, "macro", "series_id")
    wanted = symbols or sorted(prices) + sorted(macro)
    if not wanted:
        yield "the store holds no series to update (import some first)"
        return
    for name in wanted:
        if name in prices:
            last = prices[name]
            due = expected_last(name, t)
            if last >= due:
                yield f"{name}: up to date (last {last})"
                continue
            try:
                if name.startswith("KRW-"):
                    data = upbit_candles(name, timeout=timeout, retries=retries)
                else:
                    data = yahoo_prices(
                        name, last + timedelta(days=1), today, timeout=timeout, retries=retries
                    )
                n = _merge_new(store, "prices", data, last)
            except LiveSourceError as exc:
                yield NotRefreshed(
                    f"{name}: {exc}; stored data ends {last} ({(today - last).days} days old)"
                )
                continue
            except GaemiInputError as exc:  # a bad price: refused, nothing of it written
                yield NotRefreshed(
                    f"{name}: {exc}; nothing written, stored data ends {last} "
                    f"({(today - last).days} days old)"
                )
                continue
            yield f"{name}: {n} new rows (now to {max(last, _max_date(data, last))})"
        elif name in macro:
            last = macro[name]
            if (today - last).days <= macro_stale_days:
                yield f"{name}: up to date (last {last})"
                continue
            if not _FRED_ID.match(name):
                yield NotRefreshed(
                    f"{name}: no live source for this series; stored data ends {last} "
                    f"({(today - last).days} days old)"
                )
                continue
            try:
                data = fred_series(name, timeout=timeout, retries=retries)
                n = _merge_new(store, "macro", data, last)
            except LiveSourceError as exc:
                yield NotRefreshed(
                    f"{name}: {exc}; stored data ends {last} ({(today - last).days} days old)"
                )
                continue
            yield f"{name}: {n} new values (now to {max(last, _max_date(data, last))})"
        else:
            yield NotRefreshed(f"{name}: not in the store (import its history first)")


def _max_date(data: pa.Table, default: date) -> date:
    import pyarrow.compute as pc

    if data.num_rows == 0:
        return default
    d = pc.max(data.column("date")).as_py()
    return d if isinstance(d, date) else default
