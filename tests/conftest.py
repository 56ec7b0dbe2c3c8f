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


#: How Debian's chromium must be started here (no sandbox as root, no network chatter);
#: in tests/_chromium.py, which scripts/docs_korean_share_chart.py reads too.
from _chromium import CHROMIUM_ARGS  # noqa: E402


@pytest.fixture(scope="session")
def chromium_launch() -> dict[str, object]:
    """Playwright ``chromium.launch`` keyword arguments for Debian's chromium.

    Skips locally when chromium or Playwright is missing, fails in CI (``.ci/run`` installs
    chromium; Playwright's own browser download does not work here).
    """
    import shutil

    path = os.environ.get("GAEMI_CHROMIUM") or shutil.which("chromium")
    missing = [] if path else ["the chromium executable"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (extra dev)")
    if missing:
        msg = f"browser test needs {' and '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(msg + " (.ci/run installs chromium)")
        pytest.skip(msg)
    return {"executable_path": path, "args": CHROMIUM_ARGS, "headless": True}
