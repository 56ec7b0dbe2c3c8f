"""Small helpers that more than one test file needs (tests/ is on sys.path through its
conftest.py, so this module is imported as ``_helpers``).

* :func:`stress_history_rows`: the rows of the real-history table of docs/stress.md, as
  tests/validation/test_stress_history.py writes them to test-artifacts/stress_history.md
  and tests/docs/test_stress_doc.py compares them with the page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The stress-history column the tables leave out (the round trip is in the prose).
STRESS_HISTORY_HIDDEN = "roundtrip_frac"


def _stress_cell(column: str, value: object) -> str:
    """A fraction as a signed percent with 2 decimals, ``clv`` (a 0..1 position) with 2
    decimals, a missing value as —, anything else as written."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if isinstance(value, float) and column != "clv":
        return f"{value:+.2%}"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def stress_history_columns(df: pd.DataFrame) -> list[str]:
    """The columns of :func:`gaemi.app.validate.stress_history_table` that the tables show."""
    return [c for c in df.columns if c != STRESS_HISTORY_HIDDEN]


def stress_history_rows(df: pd.DataFrame) -> list[str]:
    """One GitHub-markdown row per day of ``stress_history_table`` (no header)."""
    cols = stress_history_columns(df)
    return [
        "| " + " | ".join(_stress_cell(c, rec[c]) for c in cols) + " |"
        for rec in df[cols].to_dict(orient="records")
    ]
