"""How Debian's chromium must be started here (no sandbox as root, no network chatter):
the flags of the browser tests (``chromium_launch`` in tests/conftest.py) and of
scripts/docs_korean_share_chart.py, which photographs a chart with the same browser.

Imported as ``_chromium`` (tests/ is on sys.path through its conftest.py; the script adds
tests/ itself). Standard library only: the script must not need pytest."""

from __future__ import annotations

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
