"""Terminal versions of a contagion run's tables (amounts and changes in their units).

The tables themselves (event table, bands, attribution) are built once, in
:mod:`gaemi.app.contagion`; they are re-exported here for the callers that import them
from this module. Every string is written by :mod:`gaemi.units` (issue 19: one number
formatter for every face): a change by :func:`~gaemi.units.format_change` (a move as
:func:`~gaemi.units.format_frac`, a rate's change in bp), an amount by
:func:`~gaemi.units.format_amount`, a baseline by :func:`~gaemi.units.format_level`, the
equity loss by :func:`~gaemi.units.format_cell` (the cell of ``equity_loss_frac``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gaemi.app.contagion import (
    ENGINE_SOURCE,
    attribution_frame,
    bands_frame,
    event_table,
    fmt_amount,
    fmt_change,
    shocks_text,
)
from gaemi.units import format_amount, format_cell, format_change, format_level

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ENGINE_SOURCE",
    "attribution_frame",
    "bands_frame",
    "display_attribution",
    "display_bands",
    "display_events",
    "event_table",
    "fmt_amount",
    "fmt_change",
    "shocks_text",
]


def display_events(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`event_table` for the terminal: amounts and impacts in their units."""
    import pandas as pd

    return pd.DataFrame(
        {
            "step": df["step"],
            "day": df["day"],
            "action": df["action"],
            "node": df["node"],
            "amount": [
                format_amount(a, u) for a, u in zip(df["amount"], df["amount_unit"], strict=True)
            ],
            "impact (first day)": [
                format_change(v, u) for v, u in zip(df["impact"], df["impact_unit"], strict=True)
            ],
            "impact (all days)": [
                format_change(v, u)
                for v, u in zip(df["total_impact"], df["impact_unit"], strict=True)
            ],
            "event": df["event"],
        }
    )


def display_bands(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`bands_frame` for the terminal: changes as % (price nodes) or bp (rates)."""
    out = df.copy()
    units = list(df["change_unit"])
    for col in df.columns:
        if col.startswith(("change_", "lowest_change", "highest_change")) and col != "change_unit":
            out[col] = [format_change(v, u) for v, u in zip(df[col], units, strict=True)]
    out["baseline"] = [
        format_level(b, u) for b, u in zip(df["baseline"], df["baseline_unit"], strict=True)
    ]
    return out.drop(columns=["baseline_unit", "change_unit"])


def display_attribution(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`attribution_frame` for the terminal: changes as % (price nodes) or bp (rates),
    the equity loss as the cell of ``equity_loss_frac`` (an unsigned percent, ``5.0%``)."""
    if df.empty:
        return df
    out = df.copy()
    out["change_contribution"] = [
        format_change(v, u)
        for v, u in zip(df["change_contribution"], df["change_unit"], strict=True)
    ]
    out["equity_loss_frac"] = [format_cell("equity_loss_frac", v) for v in df["equity_loss_frac"]]
    return out.drop(columns=["change_unit"])
