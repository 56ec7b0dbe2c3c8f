"""The README's examples run (STYLE.md: examples double as tests)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from gaemi.present.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
PYTHON_DOC = README.parent / "docs" / "python.md"


def python_blocks(path: Path) -> list[str]:
    """Every ```python block of a Markdown file, in order."""
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


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


@pytest.mark.parametrize("path", [README, PYTHON_DOC], ids=lambda p: p.name)
def test_python_blocks_run(path: Path) -> None:
    """The Python blocks of the README and docs/python.md run, in order, in one namespace
    (as a notebook would run them)."""
    blocks = python_blocks(path)
    assert blocks, f"{path.name} has no python block"
    ns: dict[str, object] = {}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"{path.name} block {i + 1}", "exec"), ns)
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{path.name} python block {i + 1} fails: {type(exc).__name__}: {exc}")


def test_python_doc_covers_every_capability() -> None:
    """docs/python.md shows every public capability (the namespace test pins the names)."""
    import gaemi

    text = PYTHON_DOC.read_text(encoding="utf-8")
    for name in set(gaemi.__all__) - {"GaemiInputError", "__version__", "MarketState", "Result"}:
        assert f"gaemi.{name}(" in text, f"docs/python.md does not show gaemi.{name}"
