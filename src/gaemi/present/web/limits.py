"""Request limits: body size (413), computation time (503), security headers.

Heavy computations run in their own thread under a capacity limiter and a deadline, so a
slow request answers with a clear 503 instead of holding the server; past the deadline the
computation is cancelled (stopped in its thread) and keeps its place in the limit until it
has really stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

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


class ComputeCancelled(BaseException):
    """Raised inside a computation's thread when its request gave up (the deadline).

    A ``BaseException`` so that the computation's own ``except Exception`` blocks do not
    swallow it: the stack unwinds and its arrays are freed.
    """


#: Seconds between two cancel signals to a computation that has not stopped yet.
CANCEL_RESEND_S = 0.05

_count_lock = threading.Lock()
_running = 0


def running_computations() -> int:
    """Computation threads of this process that have not finished yet (cancelled ones
    included until they really stop)."""
    return _running


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> int:
    """Raise ``exc`` in thread ``ident`` at its next Python bytecode (``None`` clears a
    pending one); the number of threads modified."""
    return int(
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(ident), ctypes.py_object(exc) if exc is not None else None
        )
    )


class _Job:
    """One computation in its own thread, cancellable, holding a limiter token until the
    thread really ends (so the limit counts abandoned work too)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        loop: asyncio.AbstractEventLoop,
        limiter: anyio.CapacityLimiter,
    ) -> None:
        self.fn, self.args, self.loop, self.limiter = fn, args, loop, limiter
        self.lock = threading.Lock()
        self.active = False
        self.cancel_sent = False
        self.ident: int | None = None
        self.outcome: tuple[bool, Any] = (False, ComputeCancelled())
        self.done: asyncio.Future[None] = loop.create_future()

    def start(self) -> None:
        global _running
        with _count_lock:
            _running += 1
        threading.Thread(target=self._main, name="gaemi-compute", daemon=True).start()

    def _main(self) -> None:
        global _running
        try:
            try:
                with self.lock:
                    self.ident = threading.get_ident()
                    self.active = not self.cancel_sent
                if self.active:
                    try:
                        self.outcome = (True, self.fn(*self.args))
                    except BaseException as exc:  # handed to the request (or dropped)
                        self.outcome = (False, exc)
                    finally:
                        with self.lock:
                            self.active = False
                            _set_async_exc(self.ident, None)  # a cancel not yet delivered
            except ComputeCancelled:  # delivered between the call and the lock above
                self.active = False
                self.outcome = (False, ComputeCancelled())
        finally:
            self.fn = self.args = None  # type: ignore[assignment]
            with _count_lock:
                _running -= 1
            with contextlib.suppress(RuntimeError):  # the event loop closed (server stopped)
                self.loop.call_soon_threadsafe(self._finish)

    def _finish(self) -> None:  # on the event loop
        self.limiter.release_on_behalf_of(self)
        if not self.done.done():
            self.done.set_result(None)

    def cancel(self) -> None:
        """Stop the computation: raise :class:`ComputeCancelled` in its thread, again every
        :data:`CANCEL_RESEND_S` until it has ended (an exception raised while the thread
        runs a ``__del__`` is swallowed by Python, so one is not always enough)."""
        with self.lock:
            self.cancel_sent = True
            if self.active and self.ident is not None:
                _set_async_exc(self.ident, ComputeCancelled)
        if not self.done.done():
            self.loop.call_later(CANCEL_RESEND_S, self.cancel)


async def run_bounded(
    fn: Callable[..., T], *args: Any, limiter: anyio.CapacityLimiter, timeout_s: float
) -> T:
    """Run ``fn(*args)`` in its own thread under ``limiter``; past ``timeout_s`` (waiting
    for a free slot included) raise :class:`ComputeTimeoutError` and cancel the work.

    Cancelling raises :class:`ComputeCancelled` inside the thread at its next Python
    bytecode (``PyThreadState_SetAsyncExc``): the loops of the engines (cascade days and
    draws, decay days, crypto rounds) stop within one step and their arrays are freed.
    The limiter token is released only when the thread has really ended, so the limit
    bounds the computations running, abandoned ones included. A request cancelled for
    another reason (the server stopping) cancels its computation too.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    job = _Job(fn, args, loop, limiter)
    try:
        with anyio.fail_after(timeout_s):
            await limiter.acquire_on_behalf_of(job)
    except TimeoutError:
        raise _timeout_error(timeout_s) from None
    try:
        job.start()
    except BaseException:
        limiter.release_on_behalf_of(job)
        raise
    try:
        with anyio.fail_after(max(0.0, deadline - loop.time())):
            await asyncio.shield(job.done)
    except TimeoutError:
        job.cancel()
        raise _timeout_error(timeout_s) from None
    except BaseException:
        job.cancel()
        raise
    ok, value = job.outcome
    if ok:
        return cast(T, value)
    raise value


def _timeout_error(timeout_s: float) -> ComputeTimeoutError:
    return ComputeTimeoutError(
        f"the computation took longer than {timeout_s:g} s; ask for less work "
        "(fewer moves, paths or draws)"
    )


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


def read_timeout_protocol(timeout_s: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with a read timeout: each request's line, headers and body
    must arrive within ``timeout_s`` of its first byte (or of the connection opening).

    uvicorn alone has no such bound: its keep-alive timer stops at the first byte, so a
    client sending one byte every few seconds (or nothing after connecting) held a
    connection forever. Past the bound the client gets 408 (while the request is still
    being read) and the connection is closed.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class ReadTimeoutH11Protocol(H11Protocol):
        read_timeout_s = timeout_s
        _read_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            if self._read_timer is None:
                self._read_timer = self.loop.call_later(self.read_timeout_s, self._read_timeout)

        def _disarm(self) -> None:
            if self._read_timer is not None:
                self._read_timer.cancel()
                self._read_timer = None

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
                self._arm()  # a request is being read: from its first byte
            super().data_received(data)
            if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
                self._disarm()  # read completely (or the connection is done)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _read_timeout(self) -> None:
            self._read_timer = None
            if self.transport.is_closing():
                return
            if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
                return
            if self.conn.our_state is h11.IDLE:  # no answer started: say why
                body = f'{{"detail":"request not received within {self.read_timeout_s:g} s"}}'
                self.transport.write(
                    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                    + body.encode()
                )
            if self.cycle is not None and not self.cycle.response_complete:
                self.cycle.disconnected = True
                self.cycle.message_event.set()
            self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._disarm()  # the keep-alive timer now bounds the idle connection

    return ReadTimeoutH11Protocol


class AllowHeaderMiddleware:
    """On a 405, an ``Allow`` header listing every method the path answers.

    Starlette answers 405 from the first route whose path matches, so a path with a GET
    and a POST route (``/api/status``, ``/api/flows``, ``/api/cascade``, ``/api/crypto``)
    said ``Allow: GET`` although POST works too. The methods come from the OpenAPI
    schema of ``scope["app"]`` (the application this middleware wraps), read once; paths
    outside the schema keep Starlette's header.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._paths: list[tuple[re.Pattern[str], list[str]]] | None = None

    def _allowed(self, scope: Scope) -> list[str]:
        if self._paths is None:
            from starlette.routing import compile_path

            schema = scope["app"].openapi() if hasattr(scope.get("app"), "openapi") else {}
            self._paths = [
                (compile_path(path)[0], sorted(m.upper() for m in ops))
                for path, ops in schema.get("paths", {}).items()
            ]
        path = scope.get("path", "")
        return next((methods for rx, methods in self._paths if rx.match(path)), [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_allow(msg: Message) -> None:
            if msg["type"] == "http.response.start" and msg.get("status") == 405:
                allowed = self._allowed(scope)
                if allowed:
                    headers = [(k, v) for k, v in msg.get("headers", []) if k.lower() != b"allow"]
                    headers.append((b"allow", ", ".join(allowed).encode()))
                    msg = {**msg, "headers": headers}
            await send(msg)

        await self.app(scope, receive, with_allow)
