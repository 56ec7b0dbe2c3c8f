"""``gaemi investor``: one account's risk of margin call, ruin and graduation."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``investor`` to the app (being written)."""
