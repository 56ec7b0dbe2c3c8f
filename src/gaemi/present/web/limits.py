"""Request limits: body size (413), computation time (503), security headers.

Heavy computations run in a worker thread under a capacity limiter and a deadline, so a
slow request answers with a clear 503 instead of holding the server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gaemi.errors import GaemiInputError

T = TypeVar("T")

#: Headers sent with every response: the page loads nothing from elsewhere.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        (
            b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            b"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
            b"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        ),
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


class ComputeTimeoutError(RuntimeError):
    """A computation ran past the app's ``compute_timeout_s``."""


async def run_bounded(
    fn: Callable[..., T], *args: Any, limiter: anyio.CapacityLimiter, timeout_s: float
) -> T:
    """Run ``fn(*args)`` in a worker thread; raise :class:`ComputeTimeoutError` past the deadline.

    The thread cannot be killed, but the request returns at the deadline and the limiter
    keeps the number of running computations bounded.
    """
    try:
        with anyio.fail_after(timeout_s):
            return await anyio.to_thread.run_sync(
                fn, *args, limiter=limiter, abandon_on_cancel=True
            )
    except TimeoutError:
        raise ComputeTimeoutError(
            f"the computation took longer than {timeout_s:g} s; ask for less work "
            "(fewer moves, paths or draws)"
        ) from None


def _json_error(status: int, detail: str) -> tuple[Message, Message]:
    import json

    body = json.dumps({"detail": detail}).encode()
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413 (by header, then by count)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"request body larger than {self.max_bytes} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = True
                if too_big:
                    for msg in _json_error(413, detail):
                        await send(msg)
                    return
        seen = 0
        started = False
        refused = False

        async def counted_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.max_bytes:
                    # Answer 413 now; the app sees a client that went away.
                    refused = True
                    if not started:
                        for out in _json_error(413, detail):
                            await send(out)
                    return {"type": "http.disconnect"}
            return msg

        async def tracked_send(msg: Message) -> None:
            nonlocal started
            if refused:
                return
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except Exception:
            if not refused:
                raise


def host_of(header: str | None) -> str | None:
    """The host of a ``Host`` header, lower case, without the port (``[::1]`` keeps its
    brackets); ``None`` when the header is missing or malformed."""
    h = (header or "").strip().lower()
    if h.startswith("["):
        end = h.find("]")
        host, rest = (h[: end + 1], h[end + 1 :]) if end > 0 else ("", "")
    elif h.count(":") == 1:
        host, _, port = h.partition(":")
        rest = ":" + port
    else:  # no port, or a bare IPv6 address
        host, rest = h, ""
    if not host or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
        return None
    return host


class HostCheckMiddleware:
    """Refuse a ``Host`` header not in ``allowed_hosts`` with 400 and a JSON ``detail``
    naming it (a loopback server's guard against DNS rebinding)."""

    def __init__(self, app: ASGIApp, allowed_hosts: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = tuple(h.lower() for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = next((v for k, v in scope.get("headers", []) if k == b"host"), None)
        header = None if raw is None else raw.decode("latin-1")
        host = host_of(header)
        if host is not None and host in self.allowed:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if header is None:
            what = "missing"
        else:
            shown = header if len(header) <= 100 else f"{header[:100]}…"
            what = f"= {shown!r} is not accepted"
        detail = (
            f"Host header {what}: this server answers only {', '.join(self.allowed)} "
            "(it is bound to loopback; a guard against DNS rebinding)"
        )
        for msg in _json_error(400, detail):
            await send(msg)


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                msg = {**msg, "headers": [*msg.get("headers", []), *SECURITY_HEADERS]}
            await send(msg)

        await self.app(scope, receive, with_headers)


def input_error_detail(exc: GaemiInputError) -> str:
    """The one-line message of an input error, as the API returns it."""
    return str(exc).splitlines()[0] if str(exc) else "invalid input"


class StaticGZipMiddleware:
    """Compress the page and its assets (Plotly is 4.6 MB) but not ``/api`` answers.

    API answers are small and mostly served on loopback, where compressing them costs
    more CPU than it saves time.
    """

    def __init__(self, app: ASGIApp, minimum_size: int = 1024) -> None:
        from starlette.middleware.gzip import GZipMiddleware

        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not str(scope.get("path", "")).startswith("/api/"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
