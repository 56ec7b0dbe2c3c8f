"""What the crypto doc and validation tests share: scripts/calibrate_crypto_oct2025.py
loaded as a module, and the observed 10 Oct 2025 candles it reads (each once a session).

Imported as ``_crypto_helpers`` (tests/ is on sys.path through its conftest.py)."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def calibration_script() -> ModuleType:
    """``scripts/calibrate_crypto_oct2025.py`` as the module ``calibrate_crypto_oct2025``."""
    path = REPO / "scripts" / "calibrate_crypto_oct2025.py"
    spec = importlib.util.spec_from_file_location("calibrate_crypto_oct2025", path)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    return mod


@functools.cache
def observed_event(shared_data: Path) -> dict[str, dict[str, float]]:
    """The script's ``observed_event``: 2025-10-10 moves per coin from ../shared/data."""
    obs: dict[str, dict[str, float]] = calibration_script().observed_event(shared_data)
    return obs
