"""Live adapters against a local HTTP server on 127.0.0.1 (tests never reach the internet).

The server answers in the sources' published layouts: Yahoo's v8 chart JSON (the layout
of a recorded query1.finance.yahoo.com answer: chart.result[0].meta / timestamp /
indicators.quote[0] / indicators.adjclose[0], bar timestamps at the 09:30 ET open), the
FRED ``fredgraph.csv`` CSV (observation_date,SERIES with blanks), Upbit's
``/v1/candles/days`` list. The values are made up for the test.
"""

from __future__ import annotations

import json
import os
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


def _bad_chart(close_19: float) -> dict[str, object]:
    chart = json.loads(json.dumps(CHART))
    chart["chart"]["result"][0]["indicators"]["quote"][0]["close"][1] = close_19
    return dict(chart)


#: charts whose 2026-11-19 close is not a price (json.dumps writes inf as Infinity, which
#: Python's json reads back: a source answering so must still be refused)
BAD_CHARTS = {"BADP": _bad_chart(-1.0), "BADPINF": _bad_chart(float("inf"))}


class Handler(BaseHTTPRequestHandler):
    calls: ClassVar[dict[str, int]] = {}
    #: issuer NAV files served under /ByFund/<TICKER>-historical_nav.csv (set by tests)
    nav_files: ClassVar[dict[str, bytes]] = {}
    #: tickers whose first request answers HTTP 503
    nav_flaky: ClassVar[set[str]] = set()

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
        elif u.path.startswith("/v8/finance/chart/BADP"):  # SOXL's chart, one bad close
            self._send(200, json.dumps(BAD_CHARTS[u.path.rsplit("/", 1)[-1]]).encode())
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
        elif u.path.startswith("/ByFund/") and u.path.endswith("-historical_nav.csv"):
            ticker = u.path[len("/ByFund/") : -len("-historical_nav.csv")]
            if ticker in Handler.nav_flaky and n == 1:
                self._send(503, b"", "text/plain")
            elif ticker in Handler.nav_files:
                self._send(200, Handler.nav_files[ticker], "text/csv")
            else:
                self._send(404, b"", "text/plain")
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


@pytest.mark.parametrize(
    ("symbol", "why"),
    [("BADP", "close = -1 must be > 0 (a price)"), ("BADPINF", "close = inf must be finite")],
)
def test_update_refuses_a_bad_live_price_and_writes_nothing(
    local_sources: str, tmp_path: Path, symbol: str, why: str
) -> None:
    """Issue 21: a live price <= 0 or non-finite is refused as the importers refuse it
    (one line, nothing of the series written), not stored."""
    hist = tmp_path / f"{symbol}.csv"
    hist.write_text("Date,Close\n2026-11-17,29.5\n")
    with Store(tmp_path / "s.duckdb") as s:
        import_file(s, hist, ImportOptions("prices"))
        before = s.checksum()
        (line,) = update_store(s, now=datetime(2026, 11, 21, 12, tzinfo=UTC), retries=0)
        assert s.checksum() == before
        assert s.prices(symbol)["close"].tolist() == [29.5]
    assert isinstance(line, NotRefreshed)  # `gaemi data update` exits 1
    assert line == (
        f"{symbol}: yahoo:chart 2026-11-19: {why}; nothing written, "
        "stored data ends 2026-11-17 (4 days old)"
    )


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


# ---------------------------------------------------------------- issuer NAV files, live
def _nav_store(tmp_path: Path, real: Path, upto: str) -> Store:
    """A store holding the real issuer file's rows up to ``upto`` (the older part)."""
    lines = real.read_text().splitlines(keepends=True)
    older = [ln for ln in lines[1:] if ln[:10] <= upto]
    part = tmp_path / real.name
    part.write_text(lines[0] + "".join(older))
    s = Store(tmp_path / "nav.duckdb")
    import_file(s, part, ImportOptions("fund_nav"))
    return s


@pytest.fixture
def nav_server(server: str, shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real ../shared/data issuer files served as ProShares ByFund files on 127.0.0.1."""
    folder = shared_data / "us-letf-nav-proshares"
    Handler.nav_files = {f.stem: f.read_bytes() for f in folder.glob("*.csv")}
    Handler.nav_flaky = set()
    monkeypatch.setenv("GAEMI_PROSHARES_URL", f"{server}/ByFund")
    return folder


def test_issuer_nav_refresh_adds_only_new_days(nav_server: Path, tmp_path: Path) -> None:
    from gaemi.data.importers.issuer_nav import read_issuer_nav
    from gaemi.data.live.nav import refresh_fund_nav

    real = nav_server / "TQQQ.csv"
    s = _nav_store(tmp_path, real, "2026-09-01")
    try:
        now = datetime(2026, 10, 2, 12, tzinfo=UTC)  # last completed session: 2026-10-01
        Handler.nav_flaky = {"TQQQ"}  # the first request answers 503: retried
        (line,) = refresh_fund_nav(s, now=now, retries=2, timeout=5)
        assert not isinstance(line, NotRefreshed), line
        # TQQQ.csv: 21 rows after 2026-09-01 (Sep 2-30 less Labor Day, Oct 1); last AUM
        # 38,207,392,720
        assert line == "TQQQ: 21 new days (now to 2026-10-01; AUM 38.207B USD)"
        got = s.fund_nav("TQQQ")
        ref = read_issuer_nav(real)
        assert len(got) == len(ref) == 4187  # PROVENANCE.md rows
        assert got["nav_usd"].tolist() == ref["nav_usd"].tolist()
        assert got["source"].iloc[-1] == f"issuer:{os.environ['GAEMI_PROSHARES_URL']}"
        before = s.checksum()
        again = list(refresh_fund_nav(s, now=now, retries=0))
        assert again == ["TQQQ: NAV up to date (last 2026-10-01)"]
        assert s.checksum() == before
    finally:
        s.close()


def test_issuer_nav_stale_file_is_flagged(nav_server: Path, tmp_path: Path) -> None:
    from gaemi.data.live.nav import refresh_fund_nav

    s = _nav_store(tmp_path, nav_server / "SQQQ.csv", "2026-09-30")
    try:
        # on 2026-11-21 (Saturday) the last session is Friday 2026-11-20; the file ends
        # 2026-10-01: the new day is stored and the fund is flagged stale (exit 1)
        (line,) = refresh_fund_nav(s, now=datetime(2026, 11, 21, 12, tzinfo=UTC), retries=0)
        assert isinstance(line, NotRefreshed)
        # NYSE sessions 2026-10-02..2026-11-20: 36 (Oct 22 + Nov 14; no holiday before
        # Thanksgiving 2026-11-26)
        assert line == (
            "SQQQ: 1 new days; the issuer file ends 2026-10-01, 36 NYSE sessions before "
            "the last completed session 2026-11-20 (stale)"
        )
        assert str(s.fund_nav("SQQQ")["date"].iloc[-1]) == "2026-10-01"
    finally:
        s.close()


def test_issuer_nav_restated_or_bad_or_missing_writes_nothing(
    nav_server: Path, tmp_path: Path
) -> None:
    from gaemi.data.live.nav import refresh_fund_nav

    real = nav_server / "UPRO.csv"
    s = _nav_store(tmp_path, real, "2026-09-01")
    now = datetime(2026, 10, 2, 12, tzinfo=UTC)
    try:
        before = s.checksum()
        # a split restates the whole history: NAV x2, shares /2 (AUM unchanged)
        lines = real.read_text().splitlines()
        split = [lines[0]]
        for ln in lines[1:]:
            d, nav, prior, sh, aum = ln.split(",")
            split.append(f"{d},{float(nav) * 2!r},{float(prior) * 2!r},{float(sh) / 2!r},{aum}")
        Handler.nav_files["UPRO"] = ("\n".join(split) + "\n").encode()
        (line,) = refresh_fund_nav(s, now=now, retries=0)
        assert isinstance(line, NotRefreshed)
        # every stored day: UPRO.csv has 4,346 rows, 21 of them after 2026-09-01
        assert line.startswith("UPRO: the issuer restated 4325 stored days (first: 2009-06-23")
        assert s.checksum() == before
        # an answer that is not an issuer NAV file: the import's one-line error
        Handler.nav_files["UPRO"] = b"<html>maintenance</html>"
        (line,) = refresh_fund_nav(s, now=now, retries=0)
        assert isinstance(line, NotRefreshed)
        assert "is not an issuer NAV column" in line
        assert line.endswith("stored NAV ends 2026-09-01 (31 days old)")
        # the issuer does not have the file
        del Handler.nav_files["UPRO"]
        (line,) = refresh_fund_nav(s, now=now, retries=0)
        assert isinstance(line, NotRefreshed)
        assert "answered HTTP 404" in line
        assert s.checksum() == before
    finally:
        s.close()


def test_data_update_funds_cli_reads_the_issuer_files(
    nav_server: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gaemi.data.live.funds as live_funds
    from gaemi.data.live.update import expected_last
    from gaemi.present.cli import main

    # --funds needs the `live` extra (yfinance); this store holds no fund snapshots, so
    # yfinance is never called: stand in for an installed one
    monkeypatch.setattr(live_funds, "require_yfinance", lambda: None)
    s = _nav_store(tmp_path, nav_server / "QLD.csv", "2026-09-25")
    s.close()
    rc = main(["data", "update", "--funds", "--retries", "0", "--db", str(tmp_path / "nav.duckdb")])
    out = capsys.readouterr().out
    with Store(tmp_path / "nav.duckdb") as s2:
        assert str(s2.fund_nav("QLD")["date"].iloc[-1]) == "2026-10-01"
    # the served file ends 2026-10-01: stale (exit 1, said on its line) once a later NYSE
    # session has closed, which depends on today's date
    stale = expected_last("QLD", datetime.now(UTC)) > date(2026, 10, 1)
    assert rc == (1 if stale else 0), out
    assert ("(stale)" in out) == stale
    assert "QLD: 4 new days" in out  # QLD.csv rows after 2026-09-25: 09-28..10-01


def test_fund_aum_without_yfinance_is_one_line_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21: without the `live` extra, `gaemi data update --funds` printed yfinance's
    install hint once per fund (77 lines); now one error line, exit 2, nothing fetched."""
    import sys

    from gaemi.data.live.funds import NEEDS_YFINANCE, refresh_fund_aum
    from gaemi.data.universe import default_universe_path
    from gaemi.errors import GaemiInputError
    from gaemi.present.cli import main

    monkeypatch.setitem(sys.modules, "yfinance", None)  # `import yfinance` fails
    monkeypatch.setenv("GAEMI_YAHOO_URL", f"http://127.0.0.1:{closed_port()}")
    db = tmp_path / "f.duckdb"
    with Store(db) as s:
        import_file(s, default_universe_path(), ImportOptions("funds"))
        before = s.checksum()
        with pytest.raises(GaemiInputError, match=r"pip install 'gaemi\[live\]'"):
            list(refresh_fund_aum(s))
        assert s.checksum() == before
    capsys.readouterr()
    rc = main(["data", "update", "--funds", "--retries", "0", "--db", str(db)])
    out, err = capsys.readouterr()
    assert rc == 2
    assert out == ""  # not even the price lines: refused before any work
    assert err == f"error: {NEEDS_YFINANCE}\n"
