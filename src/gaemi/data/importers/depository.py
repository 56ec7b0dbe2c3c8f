"""Korea Securities Depository lists (kind ``ksd``) via :mod:`.ksd`, into the store's
``ksd_holdings`` / ``ksd_flows``."""

from __future__ import annotations

import re
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

    p = _checked_csv(path, opts)
    name = p.name
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
    prov = _stamp(*_provenance(p, opts), n)

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
