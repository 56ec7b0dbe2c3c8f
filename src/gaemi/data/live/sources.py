"""Adapters: each turns one source's answer into the store's Arrow layout.

* Yahoo chart API (``/v8/finance/chart/SYMBOL``): daily OHLC, adjusted close, volume;
  the date is the exchange-local date of each bar.
* FRED (``/graph/fredgraph.csv?id=SERIES``): one macro series, no API key needed.
* Upbit (``/v1/candles/days?market=KRW-BTC``): KRW crypto daily candles.
* Bank of Korea ECOS (``/api/StatisticSearch/KEY/json/kr/…``): needs ``ECOS_API_KEY``.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from gaemi.data.live.http import LiveSourceError, get

if TYPE_CHECKING:
    import pyarrow as pa

YAHOO_URL = "https://query1.finance.yahoo.com"
FRED_URL = "https://fred.stlouisfed.org"
UPBIT_URL = "https://api.upbit.com"
ECOS_URL = "https://ecos.bok.or.kr"


def _base(env: str, default: str) -> str:
    return os.environ.get(env, default).rstrip("/")


def _prices_table(
    symbol: str, rows: list[tuple[date, Any, Any, Any, Any, Any, Any]], source: str
) -> pa.Table:
    import pyarrow as pa

    now = datetime.now(UTC)
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 7

    def num(i: int) -> pa.Array:
        return pa.array([None if v is None else float(v) for v in cols[i]], pa.float64())

    n = len(rows)
    return pa.table(
        {
            "symbol": pa.array([symbol] * n, pa.string()),
            "date": pa.array(list(cols[0]), pa.date32()),
            "open": num(1),
            "high": num(2),
            "low": num(3),
            "close": num(4),
            "adj_close": num(5),
            "volume": num(6),
            "source": pa.array([source] * n, pa.string()),
            "retrieved_at": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
        }
    )


def _json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise LiveSourceError(f"{what}: the answer is not JSON") from None


def yahoo_prices(
    symbol: str, start: date, end: date, *, timeout: float = 10.0, retries: int = 3
) -> pa.Table:
    """Daily bars of ``symbol`` from ``start`` to ``end`` (inclusive) from Yahoo's chart API."""
    p1 = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
    p2 = int(datetime(end.year, end.month, end.day, 23, 59, tzinfo=UTC).timestamp())
    body = get(
        f"{_base('GAEMI_YAHOO_URL', YAHOO_URL)}/v8/finance/chart/{symbol}",
        params={"period1": str(p1), "period2": str(p2), "interval": "1d", "events": "div,split"},
        timeout=timeout,
        retries=retries,
    )
    doc = _json(body, f"yahoo {symbol}")
    chart = doc.get("chart") or {}
    if chart.get("error"):
        err = chart["error"]
        raise LiveSourceError(f"yahoo {symbol}: {err.get('code')}: {err.get('description')}")
    try:
        res = chart["result"][0]
        tz = ZoneInfo(res["meta"].get("exchangeTimezoneName") or "America/New_York")
        stamps = res.get("timestamp") or []
        q = res["indicators"]["quote"][0]
        adj = (res["indicators"].get("adjclose") or [{}])[0].get("adjclose") or [None] * len(stamps)
    except (KeyError, IndexError, TypeError):
        raise LiveSourceError(f"yahoo {symbol}: unexpected answer layout") from None
    rows = []
    for i, ts in enumerate(stamps):
        d = datetime.fromtimestamp(int(ts), tz=UTC).astimezone(tz).date()
        close = q["close"][i]
        if close is None:
            continue  # Yahoo's placeholder bar for a session without a print
        rows.append((d, q["open"][i], q["high"][i], q["low"][i], close, adj[i], q["volume"][i]))
    return _prices_table(symbol, rows, "yahoo:chart")


def fred_series(series_id: str, *, timeout: float = 10.0, retries: int = 3) -> pa.Table:
    """A FRED series from its public CSV; validated like a file import."""
    from gaemi.data.importers import ImportOptions, read_macro

    body = get(
        f"{_base('GAEMI_FRED_URL', FRED_URL)}/graph/fredgraph.csv",
        params={"id": series_id},
        timeout=timeout,
        retries=retries,
    )
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / f"{series_id}.csv"
        p.write_bytes(body)
        _, table = read_macro(p, ImportOptions("macro", symbol=series_id, source="fred:csv"))
    return table


def upbit_candles(
    market: str, *, count: int = 200, timeout: float = 10.0, retries: int = 3
) -> pa.Table:
    """Daily KRW candles of an Upbit market (``KRW-BTC``); volume in coins."""
    body = get(
        f"{_base('GAEMI_UPBIT_URL', UPBIT_URL)}/v1/candles/days",
        params={"market": market, "count": str(count)},
        timeout=timeout,
        retries=retries,
    )
    doc = _json(body, f"upbit {market}")
    if not isinstance(doc, list):
        raise LiveSourceError(f"upbit {market}: unexpected answer layout")
    rows = []
    try:
        for c in doc:
            d = date.fromisoformat(str(c["candle_date_time_kst"])[:10])
            rows.append(
                (
                    d,
                    c["opening_price"],
                    c["high_price"],
                    c["low_price"],
                    c["trade_price"],
                    None,
                    c["candle_acc_trade_volume"],
                )
            )
    except (KeyError, TypeError, ValueError):
        raise LiveSourceError(f"upbit {market}: unexpected answer layout") from None
    rows.sort(key=lambda r: r[0])
    return _prices_table(market, rows, "upbit:candles")


def ecos_series(
    stat_code: str,
    item_code: str,
    start: date,
    end: date,
    *,
    series_id: str,
    unit: str = "",
    timeout: float = 10.0,
    retries: int = 3,
) -> pa.Table:
    """A daily Bank of Korea ECOS series (e.g. 722Y001/0101000, the base rate)."""
    import pyarrow as pa

    key = os.environ.get("ECOS_API_KEY", "").strip()
    if not key:
        raise LiveSourceError("ECOS needs an API key: set ECOS_API_KEY (ecos.bok.or.kr)")
    url = (
        f"{_base('GAEMI_ECOS_URL', ECOS_URL)}/api/StatisticSearch/{key}/json/kr/1/10000/"
        f"{stat_code}/D/{start:%Y%m%d}/{end:%Y%m%d}/{item_code}"
    )
    doc = _json(get(url, timeout=timeout, retries=retries), f"ecos {stat_code}")
    if "RESULT" in doc:
        r = doc["RESULT"]
        raise LiveSourceError(f"ecos {stat_code}: {r.get('CODE')}: {r.get('MESSAGE')}")
    try:
        rows = doc["StatisticSearch"]["row"]
        dates = [datetime.strptime(str(r["TIME"]), "%Y%m%d").date() for r in rows]
        values = [float(r["DATA_VALUE"]) for r in rows]
    except (KeyError, TypeError, ValueError):
        raise LiveSourceError(f"ecos {stat_code}: unexpected answer layout") from None
    n = len(dates)
    now = datetime.now(UTC)
    return pa.table(
        {
            "series_id": pa.array([series_id] * n, pa.string()),
            "date": pa.array(dates, pa.date32()),
            "value": pa.array(values, pa.float64()),
            "unit": pa.array([unit] * n, pa.string()),
            "source": pa.array(["ecos:StatisticSearch"] * n, pa.string()),
            "retrieved_at": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
        }
    )
