"""The ``gaemi`` command line (Typer + Rich).

Each command lives in its own module with a ``register(app)`` function; heavy libraries
are imported inside the commands so ``gaemi --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from gaemi.errors import GaemiInputError

#: Modules of ``gaemi.present.cli`` that define commands, in ``--help`` order.
COMMAND_MODULES: tuple[str, ...] = (
    "report",
    "monitor",
    "flows",
    "stress",
    "cascade",
    "decay",
    "investor",
    "crypto",
    "history",
    "sweep",
    "data",
    "serve",
)

app = typer.Typer(
    name="gaemi",
    help="Measure, stress-test and monitor the fragility built by concentrated retail "
    "leverage (leveraged/inverse ETFs and the Korean 'ant army').",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """gaemi: leveraged-ETF close flows, feedback stress, contagion and monitoring."""
    if version:
        from gaemi import __version__

        typer.echo(f"gaemi {__version__}")
        raise typer.Exit(0)


for _mod in COMMAND_MODULES:
    importlib.import_module(f"gaemi.present.cli.{_mod}").register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app; bad input exits 2 with one line on stderr."""
    try:
        app(args=argv, standalone_mode=True)
    except GaemiInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # typer/click exit codes pass through
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def run() -> None:  # pragma: no cover - console-script shim
    sys.exit(main())
