"""The API under abandoned heavy work and slow clients, on a real server (issue 21, item 4).

The server runs as its own process (uvicorn on a free 127.0.0.1 port, the settings of
``gaemi serve`` through :meth:`WebSettings.uvicorn_kwargs`) with a short computation
bound, and exits by itself after :data:`SERVER_LIFETIME_S` even if a test fails to stop
it. Its memory is read from ``/proc`` (psutil); the computations still running from its
``/api/health``.
"""

from __future__ import annotations

import socket
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from _loopback_server import loopback_server, rss_mib

pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
psutil = pytest.importorskip("psutil")

#: The server process ends itself after this many seconds (a safety net).
SERVER_LIFETIME_S = 240
#: The computation bound of the test server, seconds (``gaemi serve --timeout``).
TIMEOUT_S = 1.5
#: The request read bound of the test server, seconds.
READ_TIMEOUT_S = 1.0
#: Computations running at once (the default of ``WebSettings``).
LIMIT = 4
#: The issue's request: 5,000 Monte Carlo draws over 250 days (about 2.6 s alone on this
#: machine, so > TIMEOUT_S with four at once).
HEAVY = "/api/cascade?draws=5000&horizon_days=250"

SERVER = """
import os, sys, threading
threading.Timer({life}, os._exit, (3,)).start()
import uvicorn
from gaemi.present.web.app import create_app
from gaemi.present.web.settings import WebSettings
s = WebSettings(port={port}, compute_timeout_s={timeout}, request_read_timeout_s={read},
                max_concurrent_computations={limit})
uvicorn.run(create_app(s), host="127.0.0.1", port={port}, log_level="warning",
            access_log=False, **s.uvicorn_kwargs())
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    script = Path(tmp_path_factory.mktemp("server")) / "serve.py"

    def command(port: int) -> list[str]:
        settings = {"timeout": TIMEOUT_S, "read": READ_TIMEOUT_S, "limit": LIMIT}
        code = SERVER.format(life=SERVER_LIFETIME_S, port=port, **settings)
        script.write_text(textwrap.dedent(code))
        return [sys.executable, str(script)]

    with loopback_server(command, start_timeout_s=60) as (base, pid):
        yield base, pid


def _running(base: str) -> int:
    return int(httpx.get(base + "/api/health", timeout=5).json()["computations_running"])


def test_abandoned_heavy_requests_stop_and_free_memory(server: tuple[str, int]) -> None:
    """60 × the issue's heavy cascade at once: the ones past the bound answer 503, and
    within 2 s at most LIMIT computations still run (the issue measured 24 threads for
    ≥150 s) and the server's RSS is within 10 % of before (it measured 269 → 726 MB)."""
    base, pid = server
    # warm-up: imports, the scenario, the first allocations of a heavy run (a first run can
    # exceed the 1.5 s bound on a loaded machine, as the rest of the suite runs beside it:
    # up to five tries; once imported, a 200-draw cascade takes a fraction of the bound)
    codes = [httpx.get(base + "/api/cascade?draws=200", timeout=60).status_code]
    while codes[-1] == 503 and len(codes) < 5:
        time.sleep(1.0)
        codes.append(httpx.get(base + "/api/cascade?draws=200", timeout=60).status_code)
    assert codes[-1] == 200, codes
    time.sleep(0.5)
    rss_before = rss_mib(pid)
    assert _running(base) == 0

    def one(_: int) -> int:
        return int(httpx.get(base + HEAVY, timeout=120).status_code)

    t0 = time.monotonic()
    with ThreadPoolExecutor(60) as ex:
        codes = list(ex.map(one, range(60)))
    wall = time.monotonic() - t0
    assert set(codes) <= {200, 503}, codes
    assert codes.count(503) >= 50, codes  # the work really was abandoned
    # every answer comes by the bound (plus scheduling slack), not after the work
    assert wall < TIMEOUT_S + 10, wall

    deadline = time.monotonic() + 2.0
    running = _running(base)
    while running > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        running = _running(base)
    assert running <= LIMIT, f"{running} computations still running 2 s after the answers"
    assert running == 0  # cancelled ones stop within one step of their loop
    time.sleep(0.2)
    rss_after = rss_mib(pid)
    print(  # the figures for the issue note (pytest -s)
        f"60 heavy: {codes.count(503)} × 503, {codes.count(200)} × 200 in {wall:.1f} s; "
        f"running after: {running}; RSS {rss_before:.0f} → {rss_after:.0f} MiB"
    )
    assert rss_after <= 1.10 * rss_before, (rss_before, rss_after)
    # the server still answers, and a small cascade completes
    assert httpx.get(base + "/api/cascade?draws=10", timeout=30).status_code == 200


def _read_all(sock: socket.socket, limit_s: float) -> tuple[bytes, float]:
    """What the server sends until it closes, and when it closed (seconds)."""
    sock.settimeout(limit_s)
    t0 = time.monotonic()
    chunks = []
    try:
        while chunk := sock.recv(4096):
            chunks.append(chunk)
    except TimeoutError:
        pass
    return b"".join(chunks), time.monotonic() - t0


def test_slow_headers_get_408_and_close(server: tuple[str, int]) -> None:
    """A client trickling its headers (one byte every 0.2 s, the slowloris pattern) is
    answered 408 and closed about READ_TIMEOUT_S after its first byte."""
    base, _ = server
    port = int(base.rsplit(":", 1)[1])
    request = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        t0 = time.monotonic()
        sock.settimeout(0.2)
        closed = False
        for b in request:
            try:
                sock.sendall(bytes([b]))
            except OSError:
                closed = True
                break
            try:
                if sock.recv(4096, socket.MSG_PEEK):
                    break
            except TimeoutError:
                continue
            if time.monotonic() - t0 > READ_TIMEOUT_S + 5:
                break
        data, _ = _read_all(sock, 5.0)
        elapsed = time.monotonic() - t0
    assert closed or data.startswith(b"HTTP/1.1 408"), data[:200]
    assert READ_TIMEOUT_S - 0.1 <= elapsed <= READ_TIMEOUT_S + 3, elapsed


def test_silent_connection_closed(server: tuple[str, int]) -> None:
    """A connection that sends nothing is answered 408 and closed after the read bound
    (uvicorn alone keeps it open: its keep-alive timer starts only after a response)."""
    base, _ = server
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        data, elapsed = _read_all(sock, READ_TIMEOUT_S + 5)
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert b"request not received within 1 s" in data
    assert elapsed <= READ_TIMEOUT_S + 3, elapsed


def test_normal_keep_alive_requests_unaffected(server: tuple[str, int]) -> None:
    """Requests on one keep-alive connection, spaced beyond the read bound, all succeed:
    the bound covers reading a request, not the idle time between requests."""
    base, _ = server
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(3):
            assert client.get("/api/health").status_code == 200
            time.sleep(READ_TIMEOUT_S + 0.3)
        assert client.get("/api/meta").status_code == 200
