"""Every self-contained example in the commands' --help runs (STYLE.md: examples are tests).

Examples that need a server, a network, a Dask scheduler, a loop, the user's own files or
a store are left out by the rules in ``needs_outside``; the rest run on the embedded data.
"""

from __future__ import annotations

import importlib
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
