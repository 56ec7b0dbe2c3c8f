"""FastAPI dependencies: the shared :class:`~gaemi.present.web.settings.WebState`."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

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
