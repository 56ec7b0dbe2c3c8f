"""Every self-contained example in the commands' --help runs (STYLE.md: examples are tests).

Examples that need a server, a network, a Dask scheduler, a loop, the user's own files or
a store are left out by the rules in ``needs_outside``; the rest run on the embedded data.
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest

from gaemi.present.cli import COMMAND_MODULES, main

#: Substrings that mark an example needing something outside the embedded defaults.
OUTSIDE = (
    "serve",
    "--scheduler",
    "--every",
    "my_",
    "FILE",
    "universe.csv",
    "--db",
    "data ",
    "../shared",
    "gaemi history",
    ">",
    "\\",
    ";",
)


def examples() -> list[str]:
    out = []
    for name in COMMAND_MODULES:
        epilog = getattr(importlib.import_module(f"gaemi.present.cli.{name}"), "EPILOG", "")
        for line in epilog.splitlines():
            cmd = line.strip().split("  #")[0].strip()
            if cmd.startswith("gaemi ") and not any(o in cmd for o in OUTSIDE):
                out.append(cmd)
    return out


def test_every_command_has_examples() -> None:
    for name in COMMAND_MODULES:
        epilog = getattr(importlib.import_module(f"gaemi.present.cli.{name}"), "EPILOG", "")
        assert "gaemi " in epilog, f"`gaemi {name} --help` shows no example"


@pytest.mark.parametrize("cmd", examples())
def test_help_example_runs(
    cmd: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files (report HTML) write here
    rc = main(shlex.split(cmd)[1:])
    err = capsys.readouterr().err
    # 0 = done; the monitor's --once exits with the status (0 or 11…14)
    assert rc in ((0, 11, 12, 13, 14) if "monitor" in cmd else (0,)), err


# --- --help reads cleanly at 80 and 100 columns (issue 19 item 1) -------------------------


def help_paths() -> list[tuple[str, ...]]:
    """Every command path of the app: the root, each command, each group's subcommands."""
    import typer

    from gaemi.present.cli import app

    def walk(cmd: object, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        out = [path]
        for name, sub in getattr(cmd, "commands", {}).items():
            out += walk(sub, (*path, name))
        return out

    return walk(typer.main.get_command(app), ())


def render_help(
    path: tuple[str, ...],
    columns: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.delenv("TERMINAL_WIDTH", raising=False)
    assert main([*path, "--help"]) == 0
    return capsys.readouterr().out


def source_commands(epilog: str) -> list[str]:
    """The example commands an epilog states, shell continuations joined, comments dropped."""
    joined = re.sub(r"\\[ \t]*(#[^\n]*)?\n", " ", epilog)
    out = []
    for line in joined.splitlines():
        cmd = line.split("  #")[0].strip()
        if cmd.startswith("gaemi "):
            out.append(" ".join(cmd.split()))
    return out


def shown_commands(help_text: str) -> list[str]:
    """The example commands as printed: a `` \\`` continuation line joined to the next."""
    text = help_text.split(" Examples:", 1)[1] if " Examples:" in help_text else ""
    text = re.sub(r" \\\n", " ", text)
    return [
        " ".join(ln.split("  #")[0].split())
        for ln in text.splitlines()
        if ln.strip().startswith("gaemi ")
    ]


def epilog_of(path: tuple[str, ...]) -> str:
    import typer

    from gaemi.present.cli import app

    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return cmd.epilog or ""


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("path", help_paths(), ids=lambda p: " ".join(p) or "gaemi")
def test_help_fits_terminal(
    path: tuple[str, ...],
    columns: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No line wider than the terminal, and every example either on one line or wrapped
    under itself with a `` \\`` continuation: the commands read back from the printed help
    are exactly the epilog's (an example wrapped to column 1 would be cut in two; the
    `monitor --webhook` example was 84 characters)."""
    from rich.cells import cell_len

    out = render_help(path, columns, monkeypatch, capsys)
    wide = [ln for ln in out.splitlines() if cell_len(ln) > columns]
    assert not wide, f"{len(wide)} lines wider than {columns}: {wide[0]!r}"
    assert shown_commands(out) == source_commands(epilog_of(path))
    for ln in out.split(" Examples:", 1)[-1].splitlines() if " Examples:" in out else []:
        if ln.strip().startswith("gaemi "):
            assert ln.startswith("   gaemi "), f"example not under its indent: {ln!r}"


@pytest.mark.parametrize("path", help_paths(), ids=lambda p: " ".join(p) or "gaemi")
def test_help_has_no_hard_line_breaks(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """At 1000 columns nothing needs wrapping: a help text on two lines there is a line
    break written into it (the cascade, decay, investor and validate summaries broke
    mid-sentence at every width)."""
    out = render_help(path, 1000, monkeypatch, capsys)
    lines = [ln.rstrip() for ln in out.splitlines()]
    # a table row continued on the next line starts at the help column, not at the name
    continued = [ln for ln in lines if ln.startswith("│") and len(ln) - len(ln[1:].lstrip()) > 7]
    assert not continued, f"help cell broken over lines: {continued[0]!r}"
    # the description paragraphs between the usage line and the first panel: one line each
    top = out.split("╭", 1)[0].split("\n")
    desc = [ln.strip() for ln in top if not ln.strip().startswith("Usage:")]
    paragraphs = "\n".join(desc).strip().split("\n\n")
    broken = [p for p in paragraphs if "\n" in p.strip()]
    assert not broken, f"description broken over lines: {broken[0]!r}"
