"""DESIGN.md section 3: lower layers never import higher ones; `import gaemi` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "gaemi"
# The core is numerics only: no CLI, web, plotting, network or storage libraries.
CORE_FORBIDDEN = {
    "typer",
    "rich",
    "click",
    "fastapi",
    "uvicorn",
    "starlette",
    "plotly",
    "matplotlib",
    "requests",
    "httpx",
    "urllib",
    "socket",
    "duckdb",
    "yfinance",
    "dask",
    "distributed",
}
LAYER_ORDER = ["core", "data", "monitor", "present"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


@pytest.mark.parametrize("layer", LAYER_ORDER[:-1])
def test_lower_layers_do_not_import_higher(layer: str) -> None:
    higher = LAYER_ORDER[LAYER_ORDER.index(layer) + 1 :]
    for path in (SRC / layer).rglob("*.py"):
        for mod in imported_modules(path):
            for h in higher:
                assert not mod.startswith(f"gaemi.{h}"), f"{path} imports {mod}"


def test_core_imports_no_edge_libraries() -> None:
    for path in (SRC / "core").rglob("*.py"):
        for mod in imported_modules(path):
            assert mod.split(".")[0] not in CORE_FORBIDDEN, f"{path} imports {mod}"


def test_import_gaemi_is_light() -> None:
    code = (
        "import sys, gaemi, gaemi.core.flows, gaemi.core.universe; "
        "heavy = [m for m in ('pandas', 'typer', 'rich', 'duckdb', 'scipy', 'fastapi', "
        "'arch', 'plotly') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import gaemi pulled in: {out}"
