"""FastAPI dependencies: the shared :class:`~gaemi.present.web.settings.WebState`, the
market state of a request, and answers cached per state version."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel

from gaemi.present.web.models import json_response
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


async def answer(
    state: WebState, name: str, q: BaseModel, fn: Callable[..., BaseModel], *args: Any
) -> Response:
    """The JSON answer of ``fn(*args)`` to the request ``q`` of endpoint ``name``: kept per
    state version when ``q`` asks for the defaults (:func:`request_key`), else computed
    under the app's limiter and time bound each time."""
    if (key := request_key(name, q)) is not None:
        return await state_cached(state, key, fn, *args)
    return json_response(await state.compute(fn, *args))


def request_key(name: str, q: BaseModel) -> Hashable | None:
    """A cache key for a request model when it asks for the defaults (no field given),
    else ``None``: parameterised answers are not kept (their number is unbounded)."""
    return (name,) if not q.model_fields_set else None


def known_ids(web: WebState) -> dict[str, list[str]]:
    """The ids each kind of name accepts on this server (canonical case; the API also
    takes them in any case): what the OpenAPI schema lists as enums."""
    from gaemi.app.crypto import default_setup
    from gaemi.monitor.indicators import MOVE_UNDERLYINGS
    from gaemi.present.web.routers.cascade import default_cascade
    from gaemi.present.web.routers.stress import stress_underlyings_of

    u = web.universe
    underlyings = sorted(set(u.underlying_id.tolist()) | set(u.underlying_group.tolist()))
    return {
        "underlying": [x for x in underlyings if x],
        "ticker": sorted(set(u.ticker.tolist())),
        "stress_underlying": list(stress_underlyings_of(u)),
        "asset": list(default_setup()[0].asset_names),
        "node": list(default_cascade().node_ids),
        "status_underlying": list(MOVE_UNDERLYINGS),
    }


#: (path, method, query parameter) → kind of id (a key of :func:`known_ids`).
QUERY_IDS: dict[tuple[str, str, str], str] = {
    ("/api/universe", "get", "underlying"): "underlying",
    ("/api/flows", "get", "underlying"): "underlying",
    ("/api/flows/ladder", "get", "underlying"): "underlying",
    ("/api/stress", "get", "underlying"): "stress_underlying",
    ("/api/stress/curve", "get", "underlying"): "stress_underlying",
    ("/api/decay/erosion", "get", "ticker"): "ticker",
    ("/api/decay/simulate", "get", "ticker"): "ticker",
    ("/api/crypto", "get", "asset"): "asset",
}
#: (request model, field) → kind of id of the mapping's keys.
BODY_IDS: dict[tuple[str, str], str] = {
    ("StatusRequest", "moves_frac_by_underlying"): "status_underlying",
    ("CascadeRequest", "shocks_frac_by_node"): "node",
    ("CryptoRequest", "shocks_frac_by_asset"): "asset",
    ("ProjectedRequest", "moves_frac_by_underlying"): "underlying",
    ("ProjectedRequest", "creations_usd"): "ticker",
    ("FlowRequest", "korean_holdings_usd"): "ticker",
    ("FlowRequest", "creations_usd"): "ticker",
}


def _with_enum(schema: dict[str, Any], ids: list[str]) -> None:
    """Restrict the string schema (or the string branch of an ``anyOf``, or the items of
    an array) to ``ids``."""
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        _with_enum(schema["items"], ids)
    elif schema.get("type") == "string":
        for k in ("pattern", "minLength", "maxLength"):
            schema.pop(k, None)
        schema["enum"] = list(ids)
    for branch in schema.get("anyOf", []):
        _with_enum(branch, ids)


def _keys_enum(schema: dict[str, Any], ids: list[str]) -> None:
    """A mapping whose keys must be ``ids``: ``properties`` per id, nothing else."""
    value = next(iter(schema.pop("patternProperties", {}).values()), None)
    if value is None:
        value = schema.get("additionalProperties")
    if not isinstance(value, dict):
        return
    schema.pop("propertyNames", None)
    schema["properties"] = {i: dict(value) for i in ids}
    schema["additionalProperties"] = False
    if "maxProperties" in schema:
        schema["maxProperties"] = min(schema["maxProperties"], len(ids))


def install_openapi_ids(app: FastAPI) -> None:
    """Make the app's OpenAPI schema list the ids this server knows (tickers, underlyings,
    scenario nodes, crypto assets) as enums, for query parameters and for the keys of the
    mappings in JSON bodies: the schema then states exactly what is accepted (any other
    id is a 422 naming it). Ids are listed in canonical case; the API takes any case."""
    base = app.openapi
    done: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if done:
            return done[0]
        schema = base()
        ids = known_ids(app.state.gaemi)
        for path, ops in schema.get("paths", {}).items():
            for method, op in ops.items():
                for p in op.get("parameters", []):
                    kind = QUERY_IDS.get((path, method, p.get("name", "")))
                    if kind is not None and p.get("in") == "query":
                        _with_enum(p["schema"], ids[kind])
        comps = schema.get("components", {}).get("schemas", {})
        for (model, field_name), kind in BODY_IDS.items():
            prop = comps.get(model, {}).get("properties", {}).get(field_name)
            if isinstance(prop, dict):
                _keys_enum(prop, ids[kind])
        done.append(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
