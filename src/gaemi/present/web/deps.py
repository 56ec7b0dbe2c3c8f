"""FastAPI dependencies: the shared :class:`~gaemi.present.web.settings.WebState`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gaemi.present.web.settings import WebState


async def get_state(request: Request) -> WebState:
    """The app's state, set by :func:`gaemi.present.web.app.create_app`.

    ``async`` so FastAPI calls it on the event loop instead of hopping to a thread.
    """
    state: WebState = request.app.state.gaemi
    return state


State = Annotated[WebState, Depends(get_state)]
