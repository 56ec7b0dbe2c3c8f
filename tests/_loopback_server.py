"""A ``gaemi`` web server run as its own process on a free 127.0.0.1 port, until its
``/api/health`` answers: shared by tests/present/test_web_load.py and
benchmarks/bench_web.py (the load benchmark imports it as ``tests._loopback_server``; the
tests as ``_loopback_server``, tests/ being on sys.path through its conftest.py).

Loopback only: the server listens on 127.0.0.1 and every request goes there.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Callable, Iterator


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def loopback_server(
    command: Callable[[int], list[str]], *, start_timeout_s: float
) -> Iterator[tuple[str, int]]:
    """Run ``command(port)`` (a server on ``127.0.0.1:port``) and yield its base URL and
    process id once ``GET /api/health`` answers 200.

    Raises :class:`RuntimeError` with the end of its stderr when the process exits before
    that, or when it does not answer within ``start_timeout_s`` seconds. On leaving, the
    process is terminated (killed after 10 s) and its stderr closed.
    """
    import httpx

    port = free_port()
    proc = subprocess.Popen(command(port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"server exited: {err[-2000:]}")
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start within {start_timeout_s:g} s")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


def rss_mib(pid: int) -> float:
    """The resident memory of process ``pid``, MiB (psutil, from /proc)."""
    import psutil

    return float(psutil.Process(pid).memory_info().rss) / 2**20
