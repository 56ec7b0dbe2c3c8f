"""Shared fixtures: the real history in ../shared/data (read where it is, never copied)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """``$GAEMI_SHARED_DATA`` or ``../shared/data`` beside the repository."""
    env = os.environ.get("GAEMI_SHARED_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-history folder; skipped locally without it, an error in CI."""
    d = shared_data_dir()
    if d is None:
        if os.environ.get("CI"):
            pytest.fail("../shared/data is missing in CI: the validation tests need it")
        pytest.skip("../shared/data not found (set GAEMI_SHARED_DATA)")
    return d


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests leave files a human may look at (screenshots, reports)."""
    d = REPO / "test-artifacts"
    d.mkdir(exist_ok=True)
    return d
