"""The ``gaemi`` command line (Typer + Rich).

Each command lives in its own module with a ``register(app)`` function; heavy libraries
are imported inside the commands so ``gaemi --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

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
    "validate",
)

app = typer.Typer(
    name="gaemi",
    help="Measure, stress-test and monitor the fragility built by concentrated retail "
    "leverage (leveraged/inverse ETFs and the Korean 'ant army').",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from gaemi import __version__

        typer.echo(f"gaemi {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        is_eager=True,  # before the "Missing command." check: `gaemi --version` alone works
        callback=_print_version,
    ),
) -> None:
    """gaemi: leveraged-ETF close flows, feedback stress, contagion and monitoring."""


for _mod in COMMAND_MODULES:
    importlib.import_module(f"gaemi.present.cli.{_mod}").register(app)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app; bad input exits 2 with one line on stderr.

    Click's own usage errors (a missing required option, a value that is not an integer,
    an unknown option) are printed the same way as the project's ``GaemiInputError``:
    ``error: gaemi investor: Missing option '--position' / '-p'. (gaemi investor --help)``
    — one line, exit code 2 — instead of Typer's multi-line usage box.
    """
    try:  # Typer >= 0.22 carries its own copy of click; older versions use click itself
        from typer._click import exceptions as cx
    except ImportError:  # pragma: no cover - depends on the installed Typer
        from click import exceptions as cx  # type: ignore[no-redef]

    from gaemi.present.cli.common import drop_reads, flush_reads

    try:
        rv = app(args=argv, prog_name="gaemi", standalone_mode=False)
    except (GaemiInputError, cx.ClickException) as exc:
        drop_reads()  # "read -5% as …" notes are not shown when the input was bad
        return _input_error(exc, cx)
    except SystemExit as exc:  # typer/click exit codes pass through
        flush_reads()
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except typer.Abort:
        print("Aborted!", file=sys.stderr)
        return 1
    flush_reads()
    return rv if isinstance(rv, int) else 0


def _input_error(exc: Exception, cx: Any) -> int:
    """One line on stderr for bad input (ours or click's); the exit code."""
    if isinstance(exc, GaemiInputError):
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if isinstance(exc, cx.NoArgsIsHelpError):  # bare `gaemi`/`gaemi data`: show help
        exc.show()
        return int(exc.exit_code)
    if isinstance(exc, cx.UsageError):
        where = exc.ctx.command_path if exc.ctx is not None else "gaemi"
        print(
            f"error: {where}: {_one_line(exc.format_message())} (see {where} --help)",
            file=sys.stderr,
        )
        return int(exc.exit_code)
    print(f"error: {_one_line(exc.format_message())}", file=sys.stderr)  # type: ignore[attr-defined]
    return int(exc.exit_code)  # type: ignore[attr-defined]


def run() -> None:  # pragma: no cover - console-script shim
    sys.exit(main())
