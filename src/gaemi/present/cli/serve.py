"""``gaemi serve``: the HTTP API and the dashboard on a local port."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    DataDirOption,
    DateOption,
    DbOption,
    finite_option,
    note,
    single,
    state_from_options,
)

EPILOG = """
Examples:

  gaemi serve  # http://127.0.0.1:8000 (this machine only)

  gaemi serve --port 8765  # another port

  gaemi serve --db ~/gaemi.duckdb  # serve the market state of a store

  # a past day, nothing later
  gaemi serve --data-dir ../shared/data --date 2025-04-04

  gaemi serve --host 0.0.0.0  # reachable from the network: warns, no auth
"""


def missing_extra(exc: ImportError) -> str:
    """The one line for a missing optional dependency of ``gaemi serve``."""
    name = (exc.name or "").split(".")[0] or "a web package"
    return f"gaemi serve needs the web extra ({name} is not installed): pip install 'gaemi[web]'"


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; 127.0.0.1 keeps it on this machine.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (0 = any free port).")] = 8000,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    date: DateOption = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            help="Seconds one computation may take before a 503 (0 < SECONDS <= 600).",
            callback=finite_option,
        ),
    ] = 10.0,
) -> None:
    """Serve the JSON API (OpenAPI at /api/docs) and the dashboard at http://HOST:PORT/.

    The market state (--db, --data-dir, --date: the same as every command) is read once at
    start. Read-only: no endpoint writes anything. Bound to 127.0.0.1 by default; any other
    address is reachable by anyone on the network and is warned about.
    """
    try:
        import uvicorn

        from gaemi.present.web.app import create_app
        from gaemi.present.web.settings import WebSettings, is_loopback
    except ImportError as exc:  # plain `pip install gaemi`: one line, exit 2, no traceback
        raise GaemiInputError(missing_extra(exc)) from None

    # Checked here too so the error names the option typed, not WebSettings' field.
    if not 0 <= port <= 65535:
        raise GaemiInputError(f"--port = {port} must be in 0..65535")
    if not 0 < timeout <= 600:
        raise GaemiInputError(f"--timeout = {timeout:g} must be in (0, 600] seconds")
    loopback = is_loopback(host)
    allowed = ("127.0.0.1", "localhost", "[::1]", "::1") if loopback else None
    one_db: Path | None = single(db, "--db")
    one_dir: Path | None = (
        single(data_dir, "--data-dir") if isinstance(data_dir, list) else data_dir
    )
    settings = WebSettings(
        host=host,
        port=port,
        db=one_db,
        data_dir=one_dir,  # the account replay reads its price history there
        compute_timeout_s=timeout,
        allowed_hosts=allowed,
    )
    state = state_from_options(one_db, data_dir, date)
    if not loopback:
        note(
            f"warning: binding {host}: the API and dashboard are reachable from other machines "
            "and have no authentication; use --host 127.0.0.1 to keep them local"
        )
    app = create_app(settings, market_state=state)
    if one_db is not None or data_dir:
        source = app.state.gaemi.universe_source
        note(f"funds from {source}; the data is read once at start (restart to reload)")
    shown = f"[{host}]" if ":" in host else host
    note(f"gaemi serving on http://{shown}:{port}/ (API docs at /api/docs); Ctrl-C stops")
    # the slow-client limits (request read timeout, keep-alive, header size) come from
    # WebSettings, the one place that defines them for every way the app is served
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        **settings.uvicorn_kwargs(),
    )


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the app."""
    app.command("serve", epilog=EPILOG)(serve)
