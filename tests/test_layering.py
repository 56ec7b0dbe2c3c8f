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
LAYER_ORDER = ["core", "data", "monitor", "app", "present"]
#: The faces of the presentation layer: each renders the application layer's results and
#: never imports another face (a route importing a CLI helper is how faces drifted apart).
FACES: dict[str, list[Path]] = {
    "cli": [SRC / "present" / "cli"],
    "web": [SRC / "present" / "web"],
    "report": [SRC / "present" / "report"],
    "dist": [SRC / "present" / "dist.py"],
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


#: Upward imports still being moved, if any (each entry must still be there: the list can
#: only shrink).
PENDING_UP: set[str] = set()


def _upward(layer: str) -> list[str]:
    higher = LAYER_ORDER[LAYER_ORDER.index(layer) + 1 :]
    return [
        f"{path.relative_to(SRC).as_posix()} imports {mod}"
        for path in sorted((SRC / layer).rglob("*.py"))
        for mod in imported_modules(path)
        for h in higher
        if mod == f"gaemi.{h}" or mod.startswith(f"gaemi.{h}.")
    ]


@pytest.mark.parametrize("layer", LAYER_ORDER[:-1])
def test_lower_layers_do_not_import_higher(layer: str) -> None:
    bad = [v for v in _upward(layer) if v not in PENDING_UP]
    assert not bad, "\n".join(bad)


def test_pending_upward_imports_are_still_there() -> None:
    found = {v for layer in LAYER_ORDER[:-1] for v in _upward(layer)}
    assert found >= PENDING_UP, f"remove from PENDING_UP: {sorted(PENDING_UP - found)}"


def _face_files(face: str) -> list[Path]:
    out: list[Path] = []
    for p in FACES[face]:
        out.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return out


def _face_module(face: str) -> str:
    p = FACES[face][0]
    return "gaemi." + ".".join(p.relative_to(SRC).with_suffix("").parts)


#: What the command line may import of the other faces: only what it launches (``gaemi
#: serve`` starts the web app, ``gaemi report`` writes the HTML, ``gaemi sweep`` runs the
#: Dask runner). Their inputs come from ``gaemi.app``, never from a face's model.
CLI_LAUNCHES = {
    "gaemi.present.web.app",
    "gaemi.present.web.settings",
    "gaemi.present.report.render",
    "gaemi.present.report.replay_html",  # gaemi investor --replay --html (H13)
    "gaemi.present.dist",
}
#: Files still importing another face while issue 15 moves them (owner: H1b). Each entry
#: must still be a violation (test below), so the list can only shrink.
PENDING: set[str] = set()


def _face_violations(face: str) -> list[str]:
    others = [_face_module(f) for f in FACES if f != face]
    return [
        f"{path.relative_to(SRC).as_posix()} imports {mod}"
        for path in _face_files(face)
        for mod in imported_modules(path)
        for o in others
        if (mod == o or mod.startswith(o + ".")) and not (face == "cli" and mod in CLI_LAUNCHES)
    ]


@pytest.mark.parametrize("face", sorted(FACES))
def test_no_face_imports_another_face(face: str) -> None:
    """web, report and dist never import ``gaemi.present.cli`` (nor each other); the CLI
    imports only what it launches (:data:`CLI_LAUNCHES`)."""
    bad = [v for v in _face_violations(face) if v.split(" ")[0] not in PENDING]
    assert not bad, "\n".join(bad)


def test_pending_face_imports_are_still_there() -> None:
    """An entry of :data:`PENDING` that no longer imports another face must be removed."""
    found = {v.split(" ")[0] for face in FACES for v in _face_violations(face)}
    assert found >= PENDING, f"remove from PENDING: {sorted(PENDING - found)}"


def test_faces_are_all_named() -> None:
    """Every module of ``gaemi.present`` is a face or a shared, face-free helper."""
    shared = {"__init__.py", "cascade_tables.py", "console.py"}
    tops = {p.name for p in (SRC / "present").iterdir() if not p.name.startswith("__py")}
    named = {p[0].name for p in FACES.values()}
    assert tops - named == shared, tops - named


def test_imported_modules_sees_function_level_imports(tmp_path: Path) -> None:
    """The checker reads imports inside functions (where the faces import lazily)."""
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from gaemi.present.cli.common import records\n")
    assert "gaemi.present.cli.common" in imported_modules(f)


#: Modules under every layer (any layer may import them): the error type, the input
#: limits and the money/number rule of text (``gaemi.units``). Standard library only.
BOTTOM = {"errors.py", "limits.py", "units.py"}


def test_bottom_modules_import_only_the_standard_library() -> None:
    """Every top-level module of ``gaemi`` is a layer or a bottom module (``__init__``
    aside), and a bottom module imports no layer nor third-party library."""
    tops = {p.name for p in SRC.iterdir() if p.suffix == ".py" or p.is_dir()}
    tops -= {"__init__.py", "__pycache__"}
    assert tops == BOTTOM | set(LAYER_ORDER), tops ^ (BOTTOM | set(LAYER_ORDER))
    allowed = {"gaemi." + b.removesuffix(".py") for b in BOTTOM}
    for name in sorted(BOTTOM):
        for mod in imported_modules(SRC / name):
            top = mod.split(".")[0]
            assert mod in allowed or top in sys.stdlib_module_names, f"{name} imports {mod}"


def test_core_imports_no_edge_libraries() -> None:
    for path in (SRC / "core").rglob("*.py"):
        for mod in imported_modules(path):
            assert mod.split(".")[0] not in CORE_FORBIDDEN, f"{path} imports {mod}"


def test_import_gaemi_is_light() -> None:
    code = (
        "import sys, gaemi, gaemi.core.flows, gaemi.core.universe, gaemi.app, "
        "gaemi.app.result, gaemi.app.state; "
        "heavy = [m for m in ('pandas', 'typer', 'rich', 'duckdb', 'scipy', 'fastapi', "
        "'arch', 'plotly') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"import gaemi pulled in: {out}"
