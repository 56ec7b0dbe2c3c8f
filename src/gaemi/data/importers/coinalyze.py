"""Read Coinalyze daily derivatives files: liquidations, open interest, funding.

The layout is the one of ``../shared/data/crypto-derivatives/coinalyze-btc-perp-2022-2024/``
(see its PROVENANCE.md): a wide CSV with a ``t`` column (``YYYY-MM-DD``, UTC day; rows are
**not** date-sorted) and one column per market, ``"<pair> - <exchange>"``:

* ``liquidation_history.csv``: ``<market>_long`` and ``<market>_short``, USD liquidated that
  day (a lower bound: exchange feeds are throttled);
* ``open_interest_history.csv``: ``<market>``, open interest in USD (perpetuals only);
* ``funding_rate_history.csv``: ``<market>``, funding in **percent per 8 hours**
  (0.01 = the 0.01 % baseline); returned as a fraction per 8 h (``funding_rate_frac``).

Each reader returns a tidy frame sorted by (date, market), one row per date and market with
a value, blanks dropped: ``date`` (datetime64), ``exchange`` (e.g. ``Binance``), ``market``
(e.g. ``BTC/USDT - Binance``) and the value column(s) with units in the name. Bad input is
one line naming the file, the line and the field (:class:`~gaemi.errors.GaemiInputError`);
nothing is written anywhere (these readers do not touch the store).
"""

from __future__ import annotations

import csv
import math
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from gaemi.errors import GaemiInputError

if TYPE_CHECKING:  # pandas is imported lazily
    import pandas as pd

LIQUIDATIONS_FILE = "liquidation_history.csv"
OPEN_INTEREST_FILE = "open_interest_history.csv"
FUNDING_FILE = "funding_rate_history.csv"
#: Funding in the file is percent per 8 h; the frames carry a fraction per 8 h.
PERCENT = 100.0
#: |funding| above this (fraction per 8 h, i.e. 10 %/8 h) is not a funding rate.
MAX_ABS_FUNDING_FRAC = 0.1


def _exchange(market: str) -> str:
    """``"BTC/USDT - Binance"`` → ``"Binance"`` (after the last ``" - "``, without ``" #2"``)."""
    return market.rsplit(" - ", 1)[-1].split(" #", 1)[0].strip()


def _disambiguate(cols: list[str]) -> list[str]:
    """Repeated market names get ``" #2"``, ``" #3"``: two contracts of one exchange and pair.

    The shared files name, e.g., Kraken's ``pi_xbtusd`` and ``pf_xbtusd`` both
    ``BTC/USD - Kraken``; they are distinct markets (coin- and stablecoin-margined).
    """
    seen: dict[str, int] = {}
    out = []
    for c in cols:
        seen[c] = seen.get(c, 0) + 1
        out.append(c if seen[c] == 1 else f"{c} #{seen[c]}")
    return out


def _read_wide(path: str | Path) -> tuple[Path, list[str], list[tuple[int, date, list[str]]]]:
    """Header (market columns) and rows (line, date, cells) of a wide Coinalyze file."""
    p = Path(path)
    if not p.is_file():
        raise GaemiInputError(f"coinalyze file {str(p)!r} does not exist")
    with p.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise GaemiInputError(f"{p.name}: the file is empty")
        if not header or header[0].strip() != "t":
            first = header[0] if header else ""
            raise GaemiInputError(
                f"{p.name}: first column = {first!r} must be 't' (a Coinalyze daily file)"
            )
        cols = [h.strip() for h in header[1:]]
        if not cols:
            raise GaemiInputError(f"{p.name}: no market columns after 't'")
        cols = _disambiguate(cols)
        rows: list[tuple[int, date, list[str]]] = []
        seen: dict[date, int] = {}
        for i, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            if len(row) != len(header):
                raise GaemiInputError(
                    f"{p.name} line {i}: {len(row)} fields, the header has {len(header)}"
                )
            try:
                d = date.fromisoformat(row[0].strip())
            except ValueError:
                raise GaemiInputError(
                    f"{p.name} line {i}: t = {row[0]!r} is not a date (YYYY-MM-DD)"
                ) from None
            if d in seen:
                raise GaemiInputError(
                    f"{p.name} line {i}: t = {d} repeats line {seen[d]} (one row per day)"
                )
            seen[d] = i
            rows.append((i, d, row[1:]))
    if not rows:
        raise GaemiInputError(f"{p.name}: no rows after the header")
    return p, cols, rows


def _value(p: Path, line: int, col: str, cell: str, *, signed: bool) -> float:
    """A cell as a float (NaN for a blank); negative refused unless ``signed``."""
    s = cell.strip()
    if not s:
        return math.nan
    try:
        v = float(s)
    except ValueError:
        raise GaemiInputError(f"{p.name} line {line}: {col} = {cell!r} is not a number") from None
    if not math.isfinite(v):
        raise GaemiInputError(f"{p.name} line {line}: {col} = {cell!r} must be finite")
    if not signed and v < 0:
        raise GaemiInputError(f"{p.name} line {line}: {col} = {cell!r} must be >= 0")
    return v


def _frame(records: dict[str, list[object]]) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(records)
    df["date"] = pd.to_datetime(df["date"])
    return df.sort_values(["date", "market"], kind="stable").reset_index(drop=True)


def read_open_interest(path: str | Path) -> pd.DataFrame:
    """Daily open interest per market: ``date, exchange, market, open_interest_usd``."""
    p, cols, rows = _read_wide(path)
    out: dict[str, list[object]] = {
        "date": [],
        "exchange": [],
        "market": [],
        "open_interest_usd": [],
    }
    for line, d, cells in rows:
        for col, cell in zip(cols, cells, strict=True):
            v = _value(p, line, col, cell, signed=False)
            if math.isnan(v):
                continue
            out["date"].append(d)
            out["exchange"].append(_exchange(col))
            out["market"].append(col)
            out["open_interest_usd"].append(v)
    return _frame(out)


def read_funding(path: str | Path) -> pd.DataFrame:
    """Daily funding per market: ``date, exchange, market, funding_rate_frac`` (per 8 h).

    The file's percent per 8 h is divided by 100 (0.01 % → 1e-4); a value whose magnitude
    exceeds 10 % per 8 h is refused as not a funding rate (wrong units).
    """
    p, cols, rows = _read_wide(path)
    out: dict[str, list[object]] = {
        "date": [],
        "exchange": [],
        "market": [],
        "funding_rate_frac": [],
    }
    for line, d, cells in rows:
        for col, cell in zip(cols, cells, strict=True):
            v = _value(p, line, col, cell, signed=True)
            if math.isnan(v):
                continue
            frac = v / PERCENT
            if abs(frac) > MAX_ABS_FUNDING_FRAC:
                raise GaemiInputError(
                    f"{p.name} line {line}: {col} = {cell!r} (% per 8 h) is beyond "
                    f"±{MAX_ABS_FUNDING_FRAC * PERCENT:g} %: not a funding rate"
                )
            out["date"].append(d)
            out["exchange"].append(_exchange(col))
            out["market"].append(col)
            out["funding_rate_frac"].append(frac)
    return _frame(out)


def read_liquidations(path: str | Path) -> pd.DataFrame:
    """Daily liquidations per market.

    Returns ``date, exchange, market, liquidations_long_usd, liquidations_short_usd``; a
    market whose long and short cells are both blank on a day is left out; one blank side
    is NaN. Every ``<market>_long`` needs its ``<market>_short`` and the reverse.
    """
    p, cols, rows = _read_wide(path)
    markets: dict[str, dict[str, int]] = {}
    for j, col in enumerate(cols):
        base, sep, side = col.rpartition("_")
        if not sep or side not in ("long", "short") or not base:
            raise GaemiInputError(
                f"{p.name}: column {col!r} must end in _long or _short (a liquidation file)"
            )
        markets.setdefault(base, {})[side] = j
    for m, sides in markets.items():
        for need in ("long", "short"):
            if need not in sides:
                raise GaemiInputError(f"{p.name}: column {m + '_' + need!r} is missing")
    out: dict[str, list[object]] = {
        "date": [],
        "exchange": [],
        "market": [],
        "liquidations_long_usd": [],
        "liquidations_short_usd": [],
    }
    for line, d, cells in rows:
        for m, sides in markets.items():
            lv = _value(p, line, f"{m}_long", cells[sides["long"]], signed=False)
            sv = _value(p, line, f"{m}_short", cells[sides["short"]], signed=False)
            if math.isnan(lv) and math.isnan(sv):
                continue
            out["date"].append(d)
            out["exchange"].append(_exchange(m))
            out["market"].append(m)
            out["liquidations_long_usd"].append(lv)
            out["liquidations_short_usd"].append(sv)
    return _frame(out)


def read_coinalyze_dir(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The three files of a Coinalyze folder: ``liquidations``, ``open_interest``, ``funding``.

    A missing file is an error naming it.
    """
    d = Path(folder)
    if not d.is_dir():
        raise GaemiInputError(f"coinalyze folder {str(d)!r} does not exist")
    return {
        "liquidations": read_liquidations(d / LIQUIDATIONS_FILE),
        "open_interest": read_open_interest(d / OPEN_INTEREST_FILE),
        "funding": read_funding(d / FUNDING_FILE),
    }


def daily_totals(folder: str | Path) -> pd.DataFrame:
    """One row per day: market totals and the OI-weighted funding.

    Columns: ``date``, ``open_interest_usd`` (sum over markets), ``liquidations_long_usd``,
    ``liquidations_short_usd`` (sums, blanks as 0), ``funding_rate_frac`` (per 8 h,
    weighted by each market's open interest that day; markets without OI get no weight;
    NaN when no market has both), ``n_markets_oi``. Indexed by nothing; sorted by date.
    """
    import pandas as pd

    data = read_coinalyze_dir(folder)
    oi = data["open_interest"]
    liq = data["liquidations"]
    fund = data["funding"]
    oi_day = oi.groupby("date").agg(
        open_interest_usd=("open_interest_usd", "sum"), n_markets_oi=("market", "size")
    )
    liq_day = liq.groupby("date")[["liquidations_long_usd", "liquidations_short_usd"]].sum(
        min_count=0
    )
    both = fund.merge(oi[["date", "market", "open_interest_usd"]], on=["date", "market"])
    both["w"] = both["funding_rate_frac"] * both["open_interest_usd"]
    g = both.groupby("date")[["w", "open_interest_usd"]].sum()
    fw = (g["w"] / g["open_interest_usd"].where(g["open_interest_usd"] > 0)).rename(
        "funding_rate_frac"
    )
    out = pd.concat([oi_day, liq_day, fw], axis=1).sort_index()
    out.index.name = "date"
    return out.reset_index()
