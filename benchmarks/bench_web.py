"""Loopback load test of ``gaemi serve``: latency percentiles, errors and server memory.

The server runs as its own process (uvicorn, one worker, 127.0.0.1, a free port); the
load comes from this process: N concurrent clients (asyncio + httpx), each sending a
request every ``interval_s`` (or at once when the previous answer came later), mixing
the flows endpoints (one move, the ladder) and the stress endpoints (one shock, the
curve) with random sliders, as the dashboard does. Targets (issue 9): p50 of the flows
endpoint under 20 ms and of the stress curve under 200 ms, zero errors, and no memory
growth of the server across the run. ``small``: 10 clients for 4 s; ``large``: 50
clients for 20 s; ``long`` (the issue's must-show, ``python -m benchmarks.bench_web
--config long``): 50 clients for 2 min. The mix adds the status, meta, cascade, decay and
crypto endpoints; before the load, cached ``GET /api/status`` throughput (target ≥ 500
answers a second, issue 21).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from typing import Any

import numpy as np

# the server start and memory probe of the web load test (tests/present/test_web_load.py)
from tests._loopback_server import loopback_server, rss_mib

CONFIGS: dict[str, dict[str, float]] = {
    "small": {"clients": 10, "duration_s": 4.0, "interval_s": 0.25},
    "large": {"clients": 50, "duration_s": 20.0, "interval_s": 0.5},
    # the must-show: python -m benchmarks.bench_web --config long
    "long": {"clients": 50, "duration_s": 120.0, "interval_s": 0.5},
}
TARGET_P50_S = {"flows": 0.020, "stress_curve": 0.200}
SEED = 20261122


#: The server process: ``create_app`` with uvicorn and the settings of ``gaemi serve``
#: (:meth:`WebSettings.uvicorn_kwargs`: read timeout, keep-alive, header limit); it ends
#: itself after ``life`` seconds should this process die first.
SERVER = (
    "import os, threading; threading.Timer({life}, os._exit, (3,)).start()\n"
    "import uvicorn\n"
    "from gaemi.present.web.app import create_app\n"
    "from gaemi.present.web.settings import WebSettings\n"
    "s = WebSettings(port={port})\n"
    "uvicorn.run(create_app(s), host='127.0.0.1', port={port}, log_level='warning', "
    "access_log=False, **s.uvicorn_kwargs())\n"
)


def _server(life_s: float = 600.0) -> contextlib.AbstractContextManager[tuple[str, int]]:
    """The server of :data:`SERVER` on a free port: (base URL, pid) once it answers."""
    return loopback_server(
        lambda port: [sys.executable, "-c", SERVER.format(life=life_s, port=port)],
        start_timeout_s=30,
    )


def _cpu_s(pid: int) -> float:
    import psutil

    t = psutil.Process(pid).cpu_times()
    return float(t.user + t.system)


def _request(kind: str, rng: np.random.Generator) -> tuple[str, dict[str, Any]]:
    kaum = float(rng.uniform(0, 100e9))
    move = float(np.round(rng.uniform(-0.2, 0.2), 3))
    if kind == "flows":
        return "/api/flows", {"move_frac": move, "korean_aum_usd": kaum, "by": "underlying"}
    if kind == "ladder":
        return "/api/flows/ladder", {
            "korean_aum_usd": kaum,
            "move_from_frac": -0.2,
            "move_to_frac": 0.2,
            "move_step_frac": 0.01,
            "by": "holder",
        }
    if kind == "status":
        return "/api/status", {}
    if kind == "meta":
        return "/api/meta", {}
    if kind == "cascade":
        return "/api/cascade", {"shock_frac": min(move, -0.001), "korean_aum_usd": kaum}
    if kind == "decay":
        return "/api/decay/erosion", {"ticker": "TQQQ", "vol_annual": float(rng.uniform(0.1, 1))}
    if kind == "crypto":
        return "/api/crypto", {"shock_frac": min(move, -0.001)}
    liq = float(rng.uniform(0.25, 4.0))
    if kind == "stress":
        return "/api/stress", {"shock_frac": min(move, -0.001), "liquidity_scale": liq}
    return "/api/stress/curve", {"korean_aum_usd": kaum, "liquidity_scale": liq}


KINDS = (
    "flows",
    "ladder",
    "stress",
    "stress_curve",
    "status",
    "meta",
    "cascade",
    "decay",
    "crypto",
)
#: Target of the cached status (issue 21): at least this many answers a second.
TARGET_STATUS_RPS = 500.0


def status_throughput(base: str, connections: int = 4, duration_s: float = 5.0) -> dict[str, Any]:
    """Cached ``GET /api/status`` answers per second over ``connections`` keep-alive
    connections (raw sockets in threads: the client costs far less than httpx)."""
    import threading

    host, port = base.removeprefix("http://").rsplit(":", 1)
    request = f"GET /api/status HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    counts = [0] * connections
    errors: list[str] = []
    t_end = time.perf_counter() + duration_s

    def client(i: int) -> None:
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            buf = b""
            while time.perf_counter() < t_end:
                sock.sendall(request)
                while b"\r\n\r\n" not in buf:
                    buf += sock.recv(65536)
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                while len(buf) < length:
                    buf += sock.recv(65536)
                buf = buf[length:]
                if not head.startswith(b"HTTP/1.1 200"):
                    errors.append(head.split(b"\r\n", 1)[0].decode())
                counts[i] += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    rps = sum(counts) / wall
    return {
        "connections": connections,
        "duration_s": wall,
        "requests": sum(counts),
        "errors": len(errors),
        "rps": rps,
        "target_rps": TARGET_STATUS_RPS,
        "met": bool(rps >= TARGET_STATUS_RPS and not errors),
    }


def _check(base: str) -> None:
    """Correctness before timing: the research note's $45B 3x ladder through the API."""
    import httpx

    r = httpx.post(
        base + "/api/flows",
        json={"moves_frac": [-0.05, -0.01], "funds": [{"leverage": 3, "aum_usd": 45e9}]},
        timeout=10,
    )
    r.raise_for_status()
    got = r.json()["total_flow_usd"]
    if not np.allclose(got, [-13.5e9, -2.7e9]):
        raise RuntimeError(f"API ladder {got} != research note's [-13.5e9, -2.7e9]")


async def _load(base: str, cfg: dict[str, float]) -> dict[str, Any]:
    import httpx

    n = int(cfg["clients"])
    duration, interval = cfg["duration_s"], cfg["interval_s"]
    seeds = np.random.SeedSequence(SEED).spawn(n)
    lat: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: list[str] = []
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        t_end = time.perf_counter() + duration

        async def one(i: int) -> None:
            rng = np.random.default_rng(seeds[i])
            await asyncio.sleep(interval * i / n)  # spread the first requests
            k = i
            while True:
                start = time.perf_counter()
                if start >= t_end:
                    return
                kind = KINDS[k % len(KINDS)]
                k += 1
                path, params = _request(kind, rng)
                try:
                    r = await client.get(path, params=params)
                    if r.status_code != 200:
                        errors.append(f"{path} {r.status_code} {r.text[:120]}")
                    else:
                        lat[kind].append(time.perf_counter() - start)
                except httpx.HTTPError as exc:
                    errors.append(f"{path} {type(exc).__name__}")
                wait = interval - (time.perf_counter() - start)
                if wait > 0:
                    await asyncio.sleep(wait)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        wall = time.perf_counter() - t0
    return {"latencies": lat, "errors": errors, "wall_s": wall}


def _pct(v: list[float]) -> dict[str, float]:
    a = np.asarray(v)
    if a.size == 0:
        return {"n": 0}
    return {
        "n": int(a.size),
        "p50_ms": float(np.percentile(a, 50) * 1e3),
        "p90_ms": float(np.percentile(a, 90) * 1e3),
        "p99_ms": float(np.percentile(a, 99) * 1e3),
        "max_ms": float(a.max() * 1e3),
    }


def run(config: str = "small") -> dict[str, Any]:
    cfg = CONFIGS[config]
    with _server(life_s=cfg["duration_s"] + 300) as (base, pid):
        _check(base)
        # the status is computed once per served state, then answered from memory
        status = status_throughput(base, duration_s=2.0 if config == "small" else 5.0)
        warm = {**cfg, "duration_s": min(2.0, cfg["duration_s"]), "clients": 4}
        asyncio.run(_load(base, warm))  # warm-up: imports, caches, first allocations
        rss_start = rss_mib(pid)
        cpu_start = _cpu_s(pid)
        first = asyncio.run(_load(base, {**cfg, "duration_s": cfg["duration_s"] / 2}))
        rss_mid = rss_mib(pid)
        second = asyncio.run(_load(base, {**cfg, "duration_s": cfg["duration_s"] / 2}))
        rss_end = rss_mib(pid)
        cpu_used = _cpu_s(pid) - cpu_start
    lat = {k: first["latencies"][k] + second["latencies"][k] for k in KINDS}
    errors = first["errors"] + second["errors"]
    n_req = sum(len(v) for v in lat.values()) + len(errors)
    wall = first["wall_s"] + second["wall_s"]
    stats = {k: _pct(v) for k, v in lat.items()}
    targets = {
        k: {
            "target_p50_ms": t * 1e3,
            "p50_ms": stats[k].get("p50_ms"),
            "met": bool(stats[k].get("p50_ms", np.inf) < t * 1e3),
        }
        for k, t in TARGET_P50_S.items()
    }
    return {
        "clients": int(cfg["clients"]),
        "duration_s": cfg["duration_s"],
        "interval_s": cfg["interval_s"],
        "offered_rps": cfg["clients"] / cfg["interval_s"],
        "requests": n_req,
        "throughput_rps": n_req / wall,
        "errors": len(errors),
        # the server's own CPU per request: independent of what else runs on the machine
        "server_cpu_ms_per_request": cpu_used / max(n_req, 1) * 1e3,
        "machine_load_avg_1min": os.getloadavg()[0],
        "error_examples": errors[:5],
        "latency": stats,
        "targets": targets,
        "server_rss_mib": {"start": rss_start, "mid": rss_mid, "end": rss_end},
        # growth over the second half only: the first half still fills allocator pools
        "rss_growth_second_half_mib": rss_end - rss_mid,
        "memory_stable": bool(rss_end - rss_mid < max(5.0, 0.05 * rss_mid)),
        "load_cpu_count": os.cpu_count(),
        "status_cached": status,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.bench_web [--config small|large|long]`` → results JSON."""
    import argparse

    from benchmarks._common import write_result

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", default="small", choices=sorted(CONFIGS))
    args = p.parse_args(argv)
    result = run(args.config)
    out = write_result(f"web-{args.config}", {"config": args.config, **result})
    print(f"web [{args.config}] -> {out}")
    keys = ("requests", "errors", "throughput_rps", "server_rss_mib", "status_cached")
    print({k: result[k] for k in keys})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
