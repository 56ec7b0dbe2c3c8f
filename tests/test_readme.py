"""The README's examples run (STYLE.md: examples double as tests)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from gaemi.present.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def console_blocks() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every `$ gaemi …` line in console blocks."""
    out: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(), flags=re.S):
        lines = block.splitlines()
        i = 0
        while i < len(lines):
            if lines[i].startswith("$ gaemi "):
                cmd = lines[i][2:]
                i += 1
                expected = []
                while i < len(lines) and not lines[i].startswith("$ "):
                    expected.append(lines[i])
                    i += 1
                out.append((cmd, expected))
            else:
                i += 1
    return out


def test_readme_has_the_two_setup_commands() -> None:
    text = README.read_text()
    assert "make run" in text
    assert "make check" in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert "make check" in ci  # CI runs exactly the README's test command


@pytest.mark.parametrize(("cmd", "expected"), console_blocks(), ids=lambda v: str(v)[:60])
def test_readme_command(cmd: str, expected: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    argv = shlex.split(cmd)[1:]
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    if expected:  # the README shows the output: it must be what the command prints
        assert out.splitlines() == expected
