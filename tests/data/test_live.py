"""Live adapters against a local HTTP server on 127.0.0.1 (tests never reach the internet).

The server answers in the sources' published layouts: Yahoo's v8 chart JSON (the layout
of a recorded query1.finance.yahoo.com answer: chart.result[0].meta / timestamp /
indicators.quote[0] / indicators.adjclose[0], bar timestamps at the 09:30 ET open), the
FRED ``fredgraph.csv`` CSV (observation_date,SERIES with blanks), Upbit's
``/v1/candles/days`` list. The values are made up for the test.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from gaemi.data.importers import ImportOptions, import_file
from gaemi.data.live.http import LiveSourceError, get
from gaemi.data.live.sources import fred_series, upbit_candles, yahoo_prices
from gaemi.data.live.update import NotRefreshed, update_store
from gaemi.data.store import Store

# 2026-11-18..20 sessions, bar time 09:30 ET = 14:30 UTC (EST)
STAMPS = [int(datetime(2026, 11, d, 14, 30, tzinfo=UTC).timestamp()) for d in (18, 19, 20)]
CHART = {
    "chart": {
        "result": [
            {
                "meta": {
                    "currency": "USD",
                    "symbol": "SOXL",
                    "exchangeName": "PCX",
                    "exchangeTimezoneName": "America/New_York",
                    "dataGranularity": "1d",
                },
                "timestamp": STAMPS,
                "indicators": {
                    "quote": [
                        {
                            "open": [30.0, 31.0, 29.0],
                            "high": [31.5, 32.0, 30.0],
                            "low": [29.5, 30.2, 27.5],
                            "close": [31.0, 30.5, 28.0],
                            "volume": [100, 200, 300],
                        }
                    ],
                    "adjclose": [{"adjclose": [31.0, 30.5, 28.0]}],
                },
            }
        ],
        "error": None,
    }
}
FRED = (
    "observation_date,DEXKOUS\n2026-03-26,1504.57\n2026-03-27,1509.86\n"
    "2026-03-30,\n2026-03-31,1512.00\n"
)
UPBIT = [
    {
        "market": "KRW-BTC",
        "candle_date_time_utc": "2026-11-21T00:00:00",
        "candle_date_time_kst": "2026-11-21T09:00:00",
        "opening_price": 130000000.0,
        "high_price": 132000000.0,
        "low_price": 128000000.0,
        "trade_price": 131000000.0,
        "candle_acc_trade_price": 2.5e11,
        "candle_acc_trade_volume": 1900.5,
    },
    {
        "market": "KRW-BTC",
        "candle_date_time_utc": "2026-11-20T00:00:00",
        "candle_date_time_kst": "2026-11-20T09:00:00",
        "opening_price": 129000000.0,
        "high_price": 131000000.0,
        "low_price": 127000000.0,
        "trade_price": 130000000.0,
        "candle_acc_trade_price": 2.1e11,
        "candle_acc_trade_volume": 1610.0,
    },
]


class Handler(BaseHTTPRequestHandler):
    calls: ClassVar[dict[str, int]] = {}

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, code: int, body: bytes, ctype: str = "application/json", **hdr: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in hdr.items():
            self.send_header(k.replace("_", "-"), v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        n = Handler.calls[u.path] = Handler.calls.get(u.path, 0) + 1
        if u.path.startswith("/v8/finance/chart/SOXL"):
            self._send(200, json.dumps(CHART).encode())
        elif u.path.startswith("/v8/finance/chart/NOPE"):
            body = {
                "chart": {
                    "result": None,
                    "error": {
                        "code": "Not Found",
                        "description": "No data found, symbol may be delisted",
                    },
                }
            }
            self._send(404 if q.get("strict") else 200, json.dumps(body).encode())
        elif u.path == "/graph/fredgraph.csv":
            self._send(200, FRED.encode(), "text/csv")
        elif u.path == "/v1/candles/days":
            self._send(200, json.dumps(UPBIT).encode())
        elif u.path == "/flaky":  # 429 twice, then fine
            if n <= 2:
                self._send(429, b"slow down", "text/plain", Retry_After="0")
            else:
                self._send(200, b"ok", "text/plain")
        elif u.path == "/down":
            self._send(503, b"", "text/plain")
        elif u.path == "/slow":
            time.sleep(1.0)
            self._send(200, b"late", "text/plain")
        else:
            self._send(404, b"", "text/plain")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def local_sources(server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for env in ("GAEMI_YAHOO_URL", "GAEMI_FRED_URL", "GAEMI_UPBIT_URL"):
        monkeypatch.setenv(env, server)
    return server


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return int(port)


def test_retry_on_429_then_success(server: str) -> None:
    waits: list[float] = []
    assert get(f"{server}/flaky", retries=3, backoff=0.01, sleep=waits.append) == b"ok"
    assert len(waits) == 2  # two 429s, two waits


def test_bounded_retries_then_one_line(server: str) -> None:
    waits: list[float] = []
    with pytest.raises(LiveSourceError, match=r"HTTP 503 after 3 tries") as exc:
        get(f"{server}/down", retries=2, backoff=0.01, sleep=waits.append)
    assert waits == [0.01, 0.02]  # exponential backoff, bounded
    assert "\n" not in str(exc.value)


def test_offline_message(tmp_path: Path) -> None:
    with pytest.raises(LiveSourceError, match=r"^offline: cannot reach 127\.0\.0\.1"):
        get(f"http://127.0.0.1:{closed_port()}/x", retries=1, backoff=0.0, sleep=lambda s: None)


def test_timeout(server: str) -> None:
    with pytest.raises(LiveSourceError, match=r"timed out after 0\.2 s"):
        get(f"{server}/slow", timeout=0.2, retries=0)


def test_client_error_is_not_retried(server: str) -> None:
    with pytest.raises(LiveSourceError, match="HTTP 404"):
        get(f"{server}/missing", retries=5, sleep=lambda s: pytest.fail("retried a 404"))


def test_yahoo_chart_parsing(local_sources: str) -> None:
    t = yahoo_prices("SOXL", date(2026, 11, 18), date(2026, 11, 20))
    # bars at 14:30 UTC are 09:30 in New York: the session dates are 18, 19, 20 November
    assert [d.isoformat() for d in t.column("date").to_pylist()] == [
        "2026-11-18",
        "2026-11-19",
        "2026-11-20",
    ]
    assert t.column("close").to_pylist() == [31.0, 30.5, 28.0]
    assert set(t.column("source").to_pylist()) == {"yahoo:chart"}
    with pytest.raises(LiveSourceError, match="Not Found"):
        yahoo_prices("NOPE", date(2026, 11, 18), date(2026, 11, 20))


def test_fred_and_upbit_parsing(local_sources: str) -> None:
    f = fred_series("DEXKOUS")
    assert f.num_rows == 3  # the blank 2026-03-30 is no observation
    u = upbit_candles("KRW-BTC")
    assert [d.isoformat() for d in u.column("date").to_pylist()] == ["2026-11-20", "2026-11-21"]


def test_update_fetches_only_new_rows_and_is_idempotent(local_sources: str, tmp_path: Path) -> None:
    hist = tmp_path / "SOXL.csv"
    hist.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2026-11-17,29,30,28,29.5,29.5,90\n2026-11-18,1,1,1,1,1,1\n"
    )
    dex = tmp_path / "DEXKOUS.csv"
    dex.write_text("observation_date,DEXKOUS\n2026-03-26,1504.57\n2026-03-27,1509.86\n")
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # Saturday: last session Friday 11-20
    with Store(tmp_path / "s.duckdb") as s:
        import_file(s, hist, ImportOptions("prices"))
        import_file(s, dex, ImportOptions("macro"))
        lines = list(update_store(s, now=now, retries=0))
        assert "SOXL: 2 new rows (now to 2026-11-20)" in lines
        assert not any(isinstance(x, NotRefreshed) for x in lines)
        assert "DEXKOUS: 1 new values (now to 2026-03-31)" in lines
        soxl = s.prices("SOXL")
        # the stored 2026-11-18 row (close 1) is kept: a refresh never rewrites history
        assert soxl["close"].tolist() == [29.5, 1.0, 30.5, 28.0]
        assert set(soxl["source"]) == {"file:" + tmp_path.name + "/SOXL.csv", "yahoo:chart"}
        before = s.checksum()
        again = list(update_store(s, now=now, retries=0))
        assert "SOXL: up to date (last 2026-11-20)" in again
        assert s.checksum() == before


def test_update_offline_reports_age(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAEMI_YAHOO_URL", f"http://127.0.0.1:{closed_port()}")
    hist = tmp_path / "SOXL.csv"
    hist.write_text("Date,Close\n2026-08-03,50\n")
    with Store(tmp_path / "s.duckdb") as s:
        import_file(s, hist, ImportOptions("prices"))
        before = s.checksum()
        (line,) = update_store(s, now=datetime(2026, 11, 21, 12, tzinfo=UTC), retries=0)
        assert s.checksum() == before
    assert isinstance(line, NotRefreshed)  # the CLI exits 1 on such a line
    assert line.startswith("SOXL: offline: cannot reach 127.0.0.1")
    # 2026-08-03 to 2026-11-21 is 110 days
    assert line.endswith("stored data ends 2026-08-03 (110 days old)")


def test_fund_aum_refresh(tmp_path: Path) -> None:
    from gaemi.data.live.funds import aum_from_info, refresh_fund_aum
    from gaemi.data.universe import default_universe_path

    # keys of yfinance's Ticker.info for an ETF (totalAssets, sharesOutstanding, navPrice)
    infos = {
        "TQQQ": {"totalAssets": 41.0e9, "sharesOutstanding": 4.0e8, "navPrice": 102.5},
        "SOXL": {"sharesOutstanding": 1.0e9, "navPrice": 27.0},
    }

    def info(t: str) -> dict[str, float]:
        if t not in infos:
            raise LiveSourceError(f"yfinance {t}: offline")
        return infos[t]

    assert aum_from_info(infos["SOXL"])[0] == pytest.approx(27.0e9)
    with Store(tmp_path / "f.duckdb") as s:
        import_file(s, default_universe_path(), ImportOptions("funds"))
        now = datetime(2026, 11, 21, 12, tzinfo=UTC)
        lines = list(refresh_fund_aum(s, tickers=["TQQQ", "SOXL", "QLD"], now=now, info_fn=info))
        assert lines[0].startswith("QLD: yfinance QLD: offline; stored AUM is as of 2026-06-01")
        # `gaemi data update --funds` exits 1 on such a line
        assert [isinstance(x, NotRefreshed) for x in lines] == [True, False, False]
        u = s.universe()
        i = list(u.ticker).index("TQQQ")
        assert u.aum_usd[i] == 41.0e9
        assert u.aum_as_of[i] == "2026-11-21"
        # the Korean holding (universe.csv: $3.4B on 2026-01-15) is kept with its own date
        assert u.korean_aum_usd[i] == pytest.approx(3.4e9)
        old = s.universe("2026-06-01")
        assert old.aum_usd[list(old.ticker).index("TQQQ")] == 39_349_000_000  # universe.csv
        again = list(refresh_fund_aum(s, tickers=["TQQQ"], now=now, info_fn=info))
        assert again == ["TQQQ: AUM up to date (as of 2026-11-21)"]
