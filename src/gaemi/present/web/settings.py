"""Settings of the web app and the state it shares between requests.

The settings are a frozen dataclass built once by ``gaemi serve`` (or a test); the state
holds what every request reads but never changes: the fund universe and the limits.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from gaemi.errors import GaemiInputError

T = TypeVar("T")

if TYPE_CHECKING:
    import anyio
    from fastapi.responses import Response

    from gaemi.core.universe import Universe
    from gaemi.data.state import MarketState

#: Host names that only reach this machine.
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str) -> bool:
    """True when ``host`` (an address or ``localhost``) is reachable only from here."""
    h = host.strip().strip("[]").lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebSettings:
    """How the app is served and bounded.

    Parameters
    ----------
    host, port : str, int
        Where ``gaemi serve`` binds (loopback by default).
    db : Path, optional
        A DuckDB store to read (read-only); ``None`` uses the embedded default data.
    data_dir : Path, optional
        A folder laid out like ../shared/data (``gaemi serve --data-dir``); the account
        replay reads its daily prices and USD/KRW there.
    max_body_bytes : int
        Largest request body accepted; larger bodies get 413.
    compute_timeout_s : float
        Wall-clock bound of one computation; past it the request gets 503.
    max_concurrent_computations : int
        Computations running at once (threads); others wait their turn.
    allowed_hosts : tuple of str, optional
        Accepted ``Host`` headers (guards a loopback server against DNS rebinding);
        ``None`` accepts any.
    request_read_timeout_s : float
        A request's line, headers and body must arrive within this many seconds of its
        first byte (or of the connection opening): a slow client is answered 408 and
        closed instead of holding a connection (see :meth:`uvicorn_kwargs`).
    keep_alive_timeout_s : int
        An idle keep-alive connection is closed after this many seconds.
    max_header_bytes : int
        Largest request line plus headers; larger ones are refused (h11's limit).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    db: Path | None = None
    data_dir: Path | None = None
    max_body_bytes: int = 64 * 1024
    compute_timeout_s: float = 10.0
    max_concurrent_computations: int = 4
    allowed_hosts: tuple[str, ...] | None = None
    request_read_timeout_s: float = 10.0
    keep_alive_timeout_s: int = 30
    max_header_bytes: int = 16 * 1024

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise GaemiInputError(f"port = {self.port} must be in 0..65535")
        if self.max_body_bytes < 1024:
            raise GaemiInputError(f"max_body_bytes = {self.max_body_bytes} must be >= 1024")
        if not 0 < self.compute_timeout_s <= 600:
            raise GaemiInputError(
                f"compute_timeout_s = {self.compute_timeout_s} must be in (0, 600] seconds"
            )
        if self.max_concurrent_computations < 1:
            raise GaemiInputError(
                f"max_concurrent_computations = {self.max_concurrent_computations} must be >= 1"
            )

        if not 0 < self.request_read_timeout_s <= 600:
            raise GaemiInputError(
                f"request_read_timeout_s = {self.request_read_timeout_s} must be in (0, 600] "
                "seconds"
            )
        if not 1 <= self.keep_alive_timeout_s <= 600:
            raise GaemiInputError(
                f"keep_alive_timeout_s = {self.keep_alive_timeout_s} must be in 1..600 seconds"
            )
        if not 1024 <= self.max_header_bytes <= 1024 * 1024:
            raise GaemiInputError(
                f"max_header_bytes = {self.max_header_bytes} must be in 1024..1048576"
            )

    def uvicorn_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``uvicorn.run``/``uvicorn.Config`` for these settings: the
        HTTP protocol with the request read timeout, the keep-alive timeout and the header
        size limit (``gaemi serve`` passes them: ``uvicorn.run(app, host=…, port=…,
        **settings.uvicorn_kwargs())``)."""
        from gaemi.present.web.limits import read_timeout_protocol

        return {
            "http": read_timeout_protocol(self.request_read_timeout_s),
            "timeout_keep_alive": self.keep_alive_timeout_s,
            "h11_max_incomplete_event_size": self.max_header_bytes,
        }

    @property
    def loopback(self) -> bool:
        """True when bound to this machine only."""
        return is_loopback(self.host)


class ResponseCache:
    """A bounded LRU of ready answers (body bytes, media type) with one computation per
    key in flight.

    Parameters
    ----------
    max_entries : int
        Answers kept; the least recently used goes first.
    max_bytes : int
        Total body bytes kept.
    """

    def __init__(self, max_entries: int = 512, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[Hashable, tuple[bytes, str]] = OrderedDict()
        self._bytes = 0
        self._pending: dict[Hashable, asyncio.Future[tuple[bytes, str]]] = {}
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    async def get(
        self, key: Hashable, make: Callable[[], Awaitable[tuple[bytes, str]]]
    ) -> tuple[bytes, str]:
        """The cached value of ``key``, or ``await make()`` stored under it."""
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
            self.hits += 1
            return hit
        pending = self._pending.get(key)
        if pending is not None:
            self.hits += 1
            return await asyncio.shield(pending)
        self.misses += 1
        fut: asyncio.Future[tuple[bytes, str]] = asyncio.get_running_loop().create_future()
        self._pending[key] = fut
        try:
            value = await make()
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()  # retrieved: waiters re-raise it, nobody else has to
            raise
        else:
            fut.set_result(value)
            self._put(key, value)
            return value
        finally:
            self._pending.pop(key, None)

    def _put(self, key: Hashable, value: tuple[bytes, str]) -> None:
        size = len(value[0])
        if size > self.max_bytes:
            return
        self._items[key] = value
        self._bytes += size
        while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
            _, (old, _) = self._items.popitem(last=False)
            self._bytes -= len(old)


@dataclass(frozen=True, eq=False)
class WebState:
    """What every request reads: the settings, the universe and the compute limiter."""

    settings: WebSettings
    universe: Universe
    universe_source: str
    limiter: anyio.CapacityLimiter
    engines: list[str] = field(default_factory=list)
    store_status: list[dict[str, Any]] | None = None
    #: the market state every capability reads (gaemi.app.state.load_state; set by create_app)
    market_state: MarketState | None = None
    #: answers that depend only on the state and the request (see :meth:`cached`)
    response_cache: ResponseCache = field(default_factory=lambda: ResponseCache())

    @property
    def state_version(self) -> Hashable:
        """What identifies the served market state: cached answers are kept per version
        (the state is read once at start, so one version per app unless it is replaced)."""
        ms = self.market_state
        return (id(ms), getattr(ms, "version", None), getattr(ms, "day", None))

    async def cached(
        self, key: Hashable, make: Callable[[], Awaitable[tuple[bytes, str]]]
    ) -> Response:
        """The answer for ``key`` under the current :attr:`state_version`: made once by
        ``make`` (body bytes and media type), then served from memory. Concurrent first
        requests of one key wait for the same computation; a failure is not cached."""
        from fastapi.responses import Response

        body, media_type = await self.response_cache.get((self.state_version, key), make)
        return Response(body, media_type=media_type, headers={"x-gaemi-cache": "state"})

    @property
    def state(self) -> MarketState:
        """:attr:`market_state`, which :func:`~gaemi.present.web.app.create_app` always sets."""
        if self.market_state is None:  # pragma: no cover - create_app sets it
            raise RuntimeError("WebState.market_state is not set (use create_app)")
        return self.market_state

    async def compute(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker thread under this app's limiter and time bound."""
        from gaemi.present.web.limits import run_bounded

        return await run_bounded(
            fn, *args, limiter=self.limiter, timeout_s=self.settings.compute_timeout_s
        )
