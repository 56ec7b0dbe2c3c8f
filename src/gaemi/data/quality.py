"""Data-quality checks: reported, never silently fixed.

Checks on a price series (dates ascending):

``stale_zero_volume``  zero volume with the close copied from the previous row (the Yahoo
                       Korea artefact: drop these before computing returns)
``split_jump``         a one-day price ratio beyond :data:`SPLIT_RATIO` either way — an
                       unadjusted split (SOXS 1:15 on 2026-05-26) or a real collapse; look
``nonpositive_price``  a close, open, high or low that is zero or negative
``calendar_gap``       consecutive rows with exchange sessions missing between them
                       (holidays of the exchange's calendar are not gaps)
``off_calendar``       rows on days that are not sessions of the exchange

Refusals (raise, nothing is stored): :func:`refuse_bad_prices` — a price that is zero,
negative, infinite or above :data:`MAX_PRICE` is a :class:`~gaemi.errors.GaemiInputError`
naming the row, the column and the value, unless the caller passes the explicit
``allow_nonpositive=True`` (a series that is really quoted at or below zero, e.g. a
spread or the 2020 WTI future; documented in docs/data.md). Importers call it on every
price column before anything is written.

Checks on a macro series: ``isolated_zero`` (a 0 between non-zero neighbours, e.g. the KR
10y yield on 2010-09-28) and ``nonpositive_price`` is not applied (rates can be ≤ 0).
Checks on a file: ``order`` (newest-first or not in order), ``duplicate_date`` and any
validation error (reported, the file is not imported).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

    from gaemi.data.importers import ImportOptions
    from gaemi.data.store import Store

#: A one-day price ratio above this (or below its inverse) is reported as ``split_jump``.
#: 2.5 is wider than any one-day move of the 3x funds in ../shared/data other than splits
#: (the largest real moves are about +/-60 %; SANITY.md lists |r| > 90 % as split-like).
SPLIT_RATIO = 2.5
#: At most this many example dates in a finding.
EXAMPLES = 5
#: Largest price accepted (any currency): far above any quoted security (Berkshire A is
#: below $1M, the dearest KRX share below 10M KRW); 1e308 is a corrupt row, not a price.
MAX_PRICE = 1e12
#: The price columns :func:`refuse_bad_prices` checks, in order.
PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close")


def refuse_bad_prices(
    name: str,
    columns: Mapping[str, NDArray[np.float64]],
    *,
    where: Callable[[int], str] | None = None,
    allow_nonpositive: bool = False,
) -> None:
    """Refuse the first price that is <= 0, infinite or above :data:`MAX_PRICE`.

    NaN is a blank (a column the row does not have) and passes.

    Parameters
    ----------
    name : str
        File (or series) name used when ``where`` is not given.
    columns : mapping
        Column name → float array of prices (all of one length).
    where : callable, optional
        Row index → location text, e.g. ``"prices.csv line 7"`` (an importer's
        ``Table.where``); default ``"NAME row i+1"``.
    allow_nonpositive : bool
        Accept zero and negative prices (the explicit flag for series that can be <= 0);
        infinities and values above the limit are refused regardless.

    Raises
    ------
    GaemiInputError
        ``"prices.csv line 7: close = -3 must be > 0 (a price)"``.
    """
    loc = where if where is not None else (lambda i: f"{name} row {i + 1}")
    first: tuple[int, str, float, str] | None = None
    for col, values in columns.items():
        v = np.asarray(values, dtype=float)
        with np.errstate(invalid="ignore"):
            bad = np.isinf(v) | (v > MAX_PRICE)
            if not allow_nonpositive:
                bad |= v <= 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            x = float(v[i])
            if not np.isfinite(x):
                why = "must be finite"
            elif x > MAX_PRICE:
                why = f"is above the {MAX_PRICE:g} limit of a price"
            else:
                why = "must be > 0 (a price)"
            if first is None or i < first[0]:
                first = (i, col, x, why)
    if first is not None:
        i, col, x, why = first
        raise GaemiInputError(f"{loc(i)}: {col} = {x:g} {why}")


@dataclass(frozen=True)
class Finding:
    """One quality finding: which check, on what, how often, first dates, details."""

    check: str
    severity: str  # "info" | "warning" | "error"
    series: str
    count: int
    dates: tuple[str, ...]
    detail: str

    def line(self) -> str:
        when = ", ".join(self.dates) + (" …" if self.count > len(self.dates) else "")
        return f"{self.severity}: {self.series}: {self.check} x{self.count} ({when}): {self.detail}"


def _dates_text(dates: NDArray[Any]) -> tuple[str, ...]:
    return tuple(str(d)[:10] for d in dates[:EXAMPLES])


def check_prices(
    symbol: str,
    dates: NDArray[np.datetime64],
    close: NDArray[np.float64],
    volume: NDArray[np.float64] | None = None,
    *,
    other_prices: NDArray[np.float64] | None = None,
    exchange: str | None = "auto",
    split_ratio: float = SPLIT_RATIO,
) -> list[Finding]:
    """Checks of one price series (``dates`` ascending, unique).

    Parameters
    ----------
    close : array
        The close used for returns (adjusted close where that is what the series holds).
    other_prices : 2-D array, optional
        Open/high/low columns, checked for non-positive values too.
    exchange : "XNYS", "XKRX", None or "auto"
        Calendar for gap checks; ``auto`` picks it from the symbol, None skips them.
    """
    from gaemi.data.calendar import calendar_for_symbol

    out: list[Finding] = []
    d = np.asarray(dates, dtype="datetime64[D]")
    c = np.asarray(close, dtype=float)
    if d.size == 0:
        return out
    # non-positive prices
    bad = c <= 0
    if other_prices is not None:
        op = np.asarray(other_prices, dtype=float)
        bad = bad | (np.nan_to_num(op, nan=1.0) <= 0).any(axis=tuple(range(1, op.ndim)))
    if bad.any():
        out.append(
            Finding(
                "nonpositive_price",
                "warning",
                symbol,
                int(bad.sum()),
                _dates_text(d[bad]),
                "price <= 0 (a rounding of a tiny price, or a bad row); returns undefined",
            )
        )
    # stale zero-volume rows
    if volume is not None and c.size > 1:
        v = np.asarray(volume, dtype=float)
        has_volume = np.nan_to_num(v, nan=0.0) > 0
        if has_volume.any():
            same = np.zeros(c.size, dtype=bool)
            same[1:] = c[1:] == c[:-1]
            stale = (v == 0) & same
            zero_other = (v == 0) & ~same
            if stale.any():
                out.append(
                    Finding(
                        "stale_zero_volume",
                        "warning",
                        symbol,
                        int(stale.sum()),
                        _dates_text(d[stale]),
                        "volume 0 and close copied from the previous row; "
                        "drop these rows before computing returns",
                    )
                )
            if zero_other.any():
                out.append(
                    Finding(
                        "zero_volume",
                        "info",
                        symbol,
                        int(zero_other.sum()),
                        _dates_text(d[zero_other]),
                        "volume 0 with a changed close",
                    )
                )
    # split-like jumps
    valid = (c > 0) & np.isfinite(c)
    if valid.sum() > 1:
        idx = np.flatnonzero(valid)
        ratio = c[idx[1:]] / c[idx[:-1]]
        jump = (ratio > split_ratio) | (ratio < 1.0 / split_ratio)
        if jump.any():
            days = d[idx[1:]][jump]
            r = ratio[jump]
            parts = [
                f"{str(day)[:10]} x{x:.4g} (" + (f"1/{1 / x:.1f}" if x < 1 else f"{x:.1f}") + ")"
                for day, x in zip(days[:EXAMPLES], r[:EXAMPLES], strict=False)
            ]
            out.append(
                Finding(
                    "split_jump",
                    "warning",
                    symbol,
                    int(jump.sum()),
                    tuple(str(x)[:10] for x in days[:EXAMPLES]),
                    "one-day price ratio beyond "
                    f"{split_ratio:g}x: unadjusted split or real collapse — " + "; ".join(parts),
                )
            )
    # calendar
    ex = calendar_for_symbol(symbol) if exchange == "auto" else exchange
    if ex is not None and d.size > 1:
        out.extend(_calendar_findings(symbol, d, ex))
    return out


def _calendar_findings(symbol: str, d: NDArray[np.datetime64], exchange: str) -> list[Finding]:
    import pandas as pd

    from gaemi.data.calendar import get_calendar, sessions

    cal = get_calendar(exchange)
    first = max(pd.Timestamp(d[0]), cal.first_session)
    last = min(pd.Timestamp(d[-1]), cal.last_session)
    if first >= last:
        return []
    sess = sessions(exchange, first, last).to_numpy().astype("datetime64[D]")
    inside = d[(d >= np.datetime64(first.date(), "D")) & (d <= np.datetime64(last.date(), "D"))]
    out: list[Finding] = []
    off = ~np.isin(inside, sess)
    if off.any():
        out.append(
            Finding(
                "off_calendar",
                "info",
                symbol,
                int(off.sum()),
                _dates_text(inside[off]),
                f"rows on days that are not {exchange} sessions",
            )
        )
    # missing sessions between consecutive rows
    pos = np.searchsorted(sess, inside)
    on = ~off
    p = pos[on]
    days = inside[on]
    if p.size > 1:
        missing = np.diff(p) - 1
        gap = missing > 0
        if gap.any():
            starts = days[:-1][gap]
            n_missing = missing[gap]
            worst = int(np.argmax(n_missing))
            out.append(
                Finding(
                    "calendar_gap",
                    "warning" if int(n_missing.max()) >= 3 else "info",
                    symbol,
                    int(gap.sum()),
                    _dates_text(starts),
                    f"{int(n_missing.sum())} {exchange} sessions missing in {int(gap.sum())} "
                    f"gaps (longest {int(n_missing[worst])} after {str(starts[worst])[:10]})",
                )
            )
    return out


def check_macro(
    series_id: str, dates: NDArray[np.datetime64], values: NDArray[np.float64]
) -> list[Finding]:
    """Checks of one macro series: isolated zeros (a bad row between real values)."""
    v = np.asarray(values, dtype=float)
    d = np.asarray(dates, dtype="datetime64[D]")
    out: list[Finding] = []
    if v.size >= 3:
        mid = v[1:-1]
        iso = (mid == 0) & (v[:-2] != 0) & (v[2:] != 0)
        if iso.any():
            days = d[1:-1][iso]
            out.append(
                Finding(
                    "isolated_zero",
                    "warning",
                    series_id,
                    int(iso.sum()),
                    _dates_text(days),
                    "value 0 between non-zero neighbours (a missing value written as 0?)",
                )
            )
    return out


def check_store(store: Store, *, symbols: list[str] | None = None) -> list[Finding]:
    """Run every check on every price and macro series in the store."""
    out: list[Finding] = []
    syms = sorted(symbols) if symbols else sorted(store.symbols())
    for sym in syms:
        df = store.prices(sym)
        if df.empty:
            raise GaemiInputError(f"symbol = {sym!r} is not in the store")
        out.extend(check_price_frame(sym, df))
    if not symbols:
        for sid in sorted(store.series_ids()):
            m = store.macro_series(sid)
            out.extend(check_macro(sid, m["date"].to_numpy(), m["value"].to_numpy(float)))
    return out


def check_price_frame(symbol: str, df: pd.DataFrame) -> list[Finding]:
    """Checks of a prices frame (columns date, open, high, low, close, adj_close, volume)."""
    close = df["close"].to_numpy(float)
    adj = df["adj_close"].to_numpy(float)
    main = np.where(np.isnan(adj), close, adj) if np.isnan(close).all() else close
    findings = check_prices(
        symbol,
        df["date"].to_numpy().astype("datetime64[D]"),
        main,
        df["volume"].to_numpy(float) if df["volume"].notna().any() else None,
        other_prices=df[["open", "high", "low"]].to_numpy(float),
    )
    # a split visible in the close but not in the adjusted close is fine; one in the
    # adjusted close is the defect the README warns about (SOXS)
    if not np.isnan(adj).all() and not np.isnan(close).all():
        adj_only = check_prices(symbol, df["date"].to_numpy(), adj, exchange=None)
        findings.extend(
            Finding(f.check + "_adj", f.severity, f.series, f.count, f.dates, f.detail)
            for f in adj_only
            if f.check == "split_jump"
        )
    return findings


def check_file(path: str | Path, opts: ImportOptions) -> list[Finding]:
    """Validate a file (without importing it) and run the series checks on its rows."""
    import dataclasses

    from gaemi.data.importers.pipeline import _validated

    p = Path(path)
    # prices <= 0 are refused by an import but reported here with the other findings
    # (nonpositive_price: how many rows, which dates), so the file is read under the flag
    opts = dataclasses.replace(opts, allow_nonpositive_prices=True)
    try:
        table, tables = _validated(p, opts)
    except GaemiInputError as exc:
        check = "duplicate_date" if "duplicates" in str(exc) else "invalid"
        return [Finding(check, "error", p.name, 1, (), str(exc))]
    out: list[Finding] = []
    out.extend(
        Finding(
            "order",
            "info" if "newest-first" in note else "warning",
            p.name,
            1,
            (),
            note.split(": ", 1)[-1],
        )
        for note in table.notes
        if "newest-first" in note or "not in order" in note
    )
    if "prices" in tables:
        df = tables["prices"].to_pandas()
        for sym, g in df.groupby("symbol", sort=True):
            g = g.assign(date=g["date"].astype("datetime64[s]"))
            out.extend(check_price_frame(str(sym), g.reset_index(drop=True)))
    if "macro" in tables:
        df = tables["macro"].to_pandas()
        for sid, g in df.groupby("series_id", sort=True):
            out.extend(
                check_macro(
                    str(sid),
                    g["date"].astype("datetime64[s]").to_numpy(),
                    g["value"].to_numpy(float),
                )
            )
    return out


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a table (severity, series, check, count, first dates, detail)."""
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "severity": f.severity,
                "series": f.series,
                "check": f.check,
                "count": f.count,
                "first_dates": ", ".join(f.dates),
                "detail": f.detail,
            }
            for f in findings
        ],
        columns=["severity", "series", "check", "count", "first_dates", "detail"],
    )
