"""The ``gaemi`` command line (Typer + Rich).

Each command lives in its own module with a ``register(app)`` function; heavy libraries
are imported inside the commands so ``gaemi --help`` stays fast.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

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


def reflow(text: str) -> str:
    """Help text with each prose paragraph on one line, so the terminal wraps it at its own
    width (a docstring's line breaks showed as hard breaks mid-sentence at any width).

    Paragraphs are separated by blank lines; a paragraph whose lines are indented, or start
    like a list item (``-``, ``*``, ``•``) or with Click's ``\\b`` no-rewrap marker, is
    left as it is.
    """
    out = []
    for para in inspect.cleandoc(text).split("\n\n"):
        lines = para.split("\n")
        listy = any(ln[:1] in (" ", "-", "*", "•", "\b") for ln in lines)
        out.append(para if listy else " ".join(ln.strip() for ln in lines))
    return "\n\n".join(out)


#: An example's command, split from its trailing ``  # comment``.
_COMMENT = "  #"


def _example_lines(epilog: str) -> list[tuple[int, str, str]]:
    """The epilog as (indent, kind, text) lines: kind ``cmd`` for a ``gaemi …`` command (a
    shell ``\\`` continuation joined into one line), ``text`` for prose (the lines of a
    paragraph joined), ``blank``."""
    raw = inspect.cleandoc(epilog).split("\n")
    out: list[tuple[int, str, str]] = []
    i = 0
    while i < len(raw):
        line = raw[i]
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if not stripped:
            out.append((0, "blank", ""))
        elif stripped.startswith(("gaemi ", "# ")):
            parts = [stripped]
            while parts[-1].split(_COMMENT)[0].rstrip().endswith("\\") and i + 1 < len(raw):
                cmd, sep, comment = parts[-1].partition(_COMMENT)
                parts[-1] = cmd.rstrip()[:-1].rstrip() + (f"{sep}{comment}" if sep else "")
                i += 1
                parts.append(raw[i].strip())
            # a comment on a continued line belongs to the whole command
            cmds, comments = [], []
            for p in parts:
                cmd, sep, comment = p.partition(_COMMENT)
                cmds.append(cmd.strip())
                if sep:
                    comments.append(comment.strip())
            if len(parts) == 1:
                text = stripped  # as written (aligned comments keep their column)
            else:
                text = " ".join(c for c in cmds if c)
                if comments:
                    text += "  # " + "; ".join(comments)
            out.append((indent, "cmd", text))
        elif out and out[-1][1] == "text" and out[-1][0] == indent:
            out[-1] = (indent, "text", f"{out[-1][2]} {stripped}")
        else:
            out.append((indent, "text", stripped))
        i += 1
    return out


def _wrap_command(cmd: str, width: int, indent: int) -> list[str]:
    """A shell command wrapped at spaces to ``width`` cells: every line but the last ends
    with `` \\`` (copy-pastable) and the continuation lines are indented 4 more."""
    from rich.cells import cell_len

    words: list[str] = []
    for token in cmd.split():
        if (
            words
            and words[-1].startswith("-")
            and " " not in words[-1]
            and not token.startswith("-")
        ):
            words[-1] += f" {token}"  # an option stays on the line of its value
        else:
            words.append(token)
    lines: list[str] = []
    current = " " * indent
    for word in words:
        first = current.strip() == ""
        candidate = current + word if first else f"{current} {word}"
        if not first and cell_len(candidate) + 2 > width:
            lines.append(current + " \\")
            current = " " * (indent + 4) + word
        else:
            current = candidate
    lines.append(current)
    return lines


def render_epilog(epilog: str, width: int) -> list[str]:
    """The Examples section of a command's help as plain lines no wider than ``width``:
    an example stays on one line when it fits; its ``# comment`` moves to the line above
    when the two do not fit side by side; a command still too wide is wrapped with a
    `` \\`` continuation under itself; prose wraps under its own first line."""
    import textwrap

    from rich.cells import cell_len

    out: list[str] = []
    for indent, kind, text in _example_lines(epilog):
        pad = " " * indent
        if kind == "blank":
            out.append("")
        elif kind == "text":
            out.extend(
                textwrap.wrap(
                    text,
                    width=max(20, width),
                    initial_indent=pad,
                    subsequent_indent=pad,
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
        elif cell_len(pad + text) <= width:
            out.append(pad + text)
        else:
            cmd, sep, comment = text.partition(_COMMENT)
            cmd = cmd.rstrip()
            packed = f"{pad}{cmd}  # {comment.strip()}"  # without the aligning spaces
            if sep and cell_len(packed) <= width:
                out.append(packed)
                continue
            if sep:
                out.extend(
                    textwrap.wrap(
                        "# " + comment.strip(),
                        width=max(20, width),
                        initial_indent=pad,
                        subsequent_indent=pad + "# ",
                        break_long_words=False,
                    )
                )
            out.extend(_wrap_command(cmd, width, indent))
    while out and not out[-1]:
        out.pop()
    return out


def _print_epilog(epilog: str) -> None:
    """Print the Examples section the way Typer pads the rest of the help (one column
    each side), at the width Typer's Rich console uses."""
    from rich.console import Console
    from rich.text import Text

    env_width = os.environ.get("TERMINAL_WIDTH", "").strip()
    console = Console(width=int(env_width) if env_width.isdigit() else None, highlight=False)
    console.print()
    for line in render_epilog(epilog, int(console.width) - 2):
        console.print(Text(" " + line if line else ""), soft_wrap=False, overflow="fold")
    console.print()


def _help_then_examples(cmd: Any, base: Any, ctx: Any, formatter: Any) -> None:
    """``base``'s help of ``cmd`` without its epilog, then the epilog through
    :func:`_print_epilog` (one body for commands and groups)."""
    epilog, cmd.epilog = cmd.epilog, None
    try:
        base.format_help(cmd, ctx, formatter)
    finally:
        cmd.epilog = epilog
    if epilog:
        _print_epilog(epilog)


class _HelpCommand(TyperCommand):
    """A command whose --help prints its examples through :func:`render_epilog` (Typer
    wraps an example at the terminal edge back to column 1)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _help_then_examples(self, TyperCommand, ctx, formatter)


class _HelpGroup(TyperGroup):
    """A command group (``gaemi data``) with the same examples section."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _help_then_examples(self, TyperGroup, ctx, formatter)


def _tidy_help(typer_app: typer.Typer) -> None:
    """Every command of ``typer_app`` (and of its groups): help text reflowed, examples
    printed by :func:`render_epilog`."""
    for info in typer_app.registered_commands:
        doc = info.help or inspect.getdoc(info.callback) or ""
        if doc:
            info.help = reflow(doc)
        if info.cls is None or info.cls is TyperCommand:
            info.cls = _HelpCommand
    for group in typer_app.registered_groups:
        group.cls = _HelpGroup
        sub = group.typer_instance
        if sub is not None:
            if isinstance(sub.info.help, str):
                sub.info.help = reflow(sub.info.help)
            _tidy_help(sub)


for _mod in COMMAND_MODULES:
    importlib.import_module(f"gaemi.present.cli.{_mod}").register(app)
_tidy_help(app)


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
