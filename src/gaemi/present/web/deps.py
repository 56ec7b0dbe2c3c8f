"""FastAPI dependencies: the shared :class:`~gaemi.present.web.settings.WebState`, the
market state of a request, and answers cached per state version."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from gaemi.present.web.settings import WebState

if TYPE_CHECKING:
    from gaemi.data.state import MarketState


async def get_state(request: Request) -> WebState:
    """The app's state, set by :func:`gaemi.present.web.app.create_app`.

    ``async`` so FastAPI calls it on the event loop instead of hopping to a thread.
    """
    state: WebState = request.app.state.gaemi
    return state


State = Annotated[WebState, Depends(get_state)]


def market_state(web: WebState, day: dt.date | None = None) -> MarketState:
    """The market state of a request: the served store (or the embedded default) with the
    served universe, as of ``day`` (default today, UTC) — :func:`gaemi.app.state.load_state`,
    the loader of every face. Read once per app and day (the store is read-only while
    served)."""
    from gaemi.app.state import today_utc

    served = web.market_state  # what `gaemi serve --db/--data-dir/--date` loaded at start
    if served is not None and (day is None or day == served.day):
        return served
    return _state_on(web, day or today_utc())


@functools.lru_cache(maxsize=16)
def _state_on(web: WebState, day: dt.date) -> MarketState:
    from gaemi.app.state import load_state

    return load_state(db=web.settings.db, as_of=day, universe=web.universe)


def _json_bytes(result: Any) -> bytes:
    """A model, or a list of them, as JSON (NaN and infinity → null, as everywhere)."""
    import pydantic_core

    if isinstance(result, BaseModel):
        return result.model_dump_json().encode()
    return pydantic_core.to_json(result, inf_nan_mode="null")


async def state_cached(
    state: WebState, key: Hashable, fn: Callable[..., Any], *args: Any, bounded: bool = True
) -> Response:
    """The JSON answer of ``fn(*args)``, computed once per served state version and ``key``
    (for answers that depend only on the state: the status, the defaults, the meta data).

    ``bounded``: compute under the app's limiter and time bound
    (:meth:`WebState.compute`); otherwise call ``fn`` directly (cheap, no I/O).
    """

    async def make() -> tuple[bytes, str]:
        result = await state.compute(fn, *args) if bounded else fn(*args)
        return _json_bytes(result), "application/json"

    return await state.cached(key, make)


def request_key(name: str, q: BaseModel) -> Hashable | None:
    """A cache key for a request model when it asks for the defaults (no field given),
    else ``None``: parameterised answers are not kept (their number is unbounded)."""
    return (name,) if not q.model_fields_set else None
