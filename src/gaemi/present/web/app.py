"""The FastAPI application: :func:`create_app` mounts one router per engine and the page.

Read-only: no endpoint writes anything. Input errors answer 422 with one line naming the
field and the value; a too-large body 413; a computation past its deadline 503.
"""

from __future__ import annotations

import importlib
from importlib import resources
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from gaemi.core.universe import Universe
from gaemi.data.state import MarketState
from gaemi.errors import GaemiInputError
from gaemi.present.web.deps import install_openapi_ids
from gaemi.present.web.limits import (
    AllowHeaderMiddleware,
    BodySizeLimitMiddleware,
    ComputeTimeoutError,
    HostCheckMiddleware,
    SecurityHeadersMiddleware,
    StaticGZipMiddleware,
    input_error_detail,
)
from gaemi.present.web.routers import ROUTER_MODULES
from gaemi.present.web.settings import WebSettings, WebState


def static_dir() -> Path:
    """The dashboard's HTML, JavaScript and CSS (package data)."""
    return Path(str(resources.files("gaemi.present.web").joinpath("static")))


def plotly_js_path() -> Path:
    """``plotly.min.js`` as bundled in the installed ``plotly`` package (no CDN)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise GaemiInputError(f"plotly bundle {path} is missing: reinstall plotly (extra web)")
    return path


def swagger_ui_dir() -> Path | None:
    """Swagger UI 5 (``swagger-ui-bundle.js``, ``swagger-ui.css``) from the installed
    ``fastapi-offline`` package (web extra), so ``/api/docs`` renders without internet;
    ``None`` when the package is missing (the page then says how to install it)."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    path = Path(fastapi_offline.__file__).parent / "static"
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def read_store(db: Path) -> tuple[list[dict[str, Any]], Universe | None]:
    """Per-table as-of dates and the latest fund universe of a store, read once.

    The store is opened read-only and closed again, so ``gaemi data import`` can write to
    it while the server runs (restart the server to serve the new data). The universe is
    ``None`` when the store has no fund snapshots.
    """
    from gaemi.app.result import records
    from gaemi.data.store import Store

    with Store(db, read_only=True) as store:
        status = records(store.status())
        n_funds = next((r["series"] for r in status if r["table"] == "fund_snapshots"), 0)
        universe = store.universe(label=f"store {db.name}") if n_funds else None
    return status, universe


def create_app(
    settings: WebSettings | None = None,
    *,
    universe: Universe | None = None,
    universe_source: str | None = None,
    market_state: MarketState | None = None,
) -> FastAPI:
    """Build the app.

    Parameters
    ----------
    settings : WebSettings, optional
        Host, limits and the store; defaults to loopback and the embedded data.
    universe : Universe, optional
        The funds every endpoint uses; defaults to the embedded default snapshot.
    universe_source : str, optional
        Where ``universe`` came from, shown by ``/api/asof``.
    market_state : MarketState, optional
        The state every endpoint reads (``gaemi serve --db/--data-dir/--date``); default
        :func:`gaemi.app.state.load_state` on ``settings.db``, today. Its funds are served
        unless ``universe`` is given.
    """
    from gaemi import __version__

    s = settings or WebSettings()
    if market_state is not None and universe is None:
        universe = market_state.universe
        universe_source = universe_source or market_state.sources.get("universe")
    store_status = None
    if s.db is not None:
        store_status, stored = read_store(s.db)
        if universe is None and stored is not None:
            universe, universe_source = stored, f"store {s.db.name} (fund_snapshots)"
    if universe is None:
        from gaemi.data.universe import default_universe_path, load_default_universe

        universe = load_default_universe()
        why = " (the store has no fund snapshots)" if s.db is not None else ""
        universe_source = universe_source or f"embedded {default_universe_path().name}{why}"
    from gaemi.app.state import load_state

    # one market state for every endpoint, read once like the store: the same loader as
    # `gaemi monitor --db` and every command (the status used to read the embedded
    # snapshot even with --db)
    market_state = (market_state or load_state(db=s.db)).with_universe(universe, universe_source)
    engines: list[str] = []
    app = FastAPI(
        title="gaemi",
        version=__version__,
        summary="Close flows, feedback stress and contagion of leveraged/inverse ETFs "
        "held by Korean retail investors.",
        description="Moves are decimal fractions (−0.05 = −5 %); money is USD unless the "
        "field says `_krw`; flows are signed (+ = buying the underlying). Read-only.",
        docs_url=None,  # served below from local assets (FastAPI's default loads a CDN)
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.gaemi = WebState(
        settings=s,
        universe=universe,
        universe_source=universe_source or universe.label,
        limiter=anyio.CapacityLimiter(s.max_concurrent_computations),
        engines=engines,
        store_status=store_status,
        market_state=market_state,
    )
    for name in ROUTER_MODULES:
        module = importlib.import_module(f"gaemi.present.web.routers.{name}")
        app.include_router(module.router)
        if name != "meta":
            engines.append(name)
    install_openapi_ids(app)  # known tickers/underlyings/nodes/assets as schema enums

    @app.exception_handler(GaemiInputError)
    async def _input_error(request: Request, exc: GaemiInputError) -> JSONResponse:
        return JSONResponse({"detail": input_error_detail(exc)}, status_code=422)

    @app.exception_handler(ComputeTimeoutError)
    async def _timeout(request: Request, exc: ComputeTimeoutError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    static = static_dir()
    plotly_js = plotly_js_path()

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(static / "index.html", media_type="text/html")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    async def plotly_bundle() -> FileResponse:
        return FileResponse(
            plotly_js,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    app.mount("/static", StaticFiles(directory=static), name="static")

    swagger = swagger_ui_dir()
    if swagger is not None:
        app.mount("/vendor/swagger", StaticFiles(directory=swagger), name="swagger")

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        if swagger is None:
            return HTMLResponse(
                "<!doctype html><title>gaemi API</title><p>The interactive API page needs "
                "<code>pip install 'gaemi[web]'</code> (fastapi-offline). The schema is at "
                '<a href="/api/openapi.json">/api/openapi.json</a>.</p>'
            )
        return HTMLResponse((static / "api-docs.html").read_text(encoding="utf-8"))

    # Outermost last: size limit first, then host check, headers, compression.
    app.add_middleware(StaticGZipMiddleware, minimum_size=1024)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(AllowHeaderMiddleware)  # 405: every method of the path
    if s.allowed_hosts is not None:
        app.add_middleware(HostCheckMiddleware, allowed_hosts=tuple(s.allowed_hosts))
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=s.max_body_bytes)
    return app
