"""A data folder is imported once per process and content (gaemi.app.state._folder_store):
a second load reuses the import and gives the same state; a changed file is imported anew.

The folder is a minimal copy of ../shared/data's four market files (FOLDER_FILES) in a
temporary directory, so the test can change one of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gaemi.app import state as app_state


@pytest.fixture
def small_folder(shared_data: Path, tmp_path: Path) -> Path:
    root = tmp_path / "data"
    for rel in app_state.FOLDER_FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_data / rel, root / rel)
    return root


def _count_imports(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import gaemi.data.importers as importers

    calls: list[str] = []
    real = importers.import_file

    def counted(store, path, options):  # type: ignore[no-untyped-def]
        calls.append(Path(path).name)
        return real(store, path, options)

    monkeypatch.setattr(importers, "import_file", counted)
    return calls


def test_second_load_reuses_the_import(small_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_imports(monkeypatch)
    first = app_state.load_state(data_dir=small_folder, as_of="2025-04-04")
    assert sorted(calls) == sorted(Path(r).name for r in app_state.FOLDER_FILES)
    calls.clear()
    second = app_state.load_state(data_dir=small_folder, as_of="2025-04-04")
    assert calls == []  # copied from the process cache
    assert second.market == first.market
    assert second.sources == first.sources


def test_a_changed_file_is_imported_again(
    small_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_imports(monkeypatch)
    fx = small_folder / "fx-daily" / "DEXKOUS.csv"
    lines = fx.read_text(encoding="utf-8").splitlines()
    day, value = lines[-1].split(",")[:2]
    before = app_state.load_state(data_dir=small_folder, as_of=day)
    # the last observation one won higher: the state of that day must see it
    lines[-1] = f"{day},{float(value) + 1.0}"
    fx.write_text("\n".join(lines) + "\n", encoding="utf-8")
    calls.clear()
    after = app_state.load_state(data_dir=small_folder, as_of=day)
    assert "DEXKOUS.csv" in calls
    assert after.market != before.market
