"""Replay the monitor over history: the status a user would have seen each day.

For each day the snapshot holds only what was known at that day's close: derived price
series up to the day (:meth:`~gaemi.data.market.DerivedHistory.snapshot_on`), the dated
facts up to the day, and Korean fund shares whose ``korean_as_of`` is on or before the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from gaemi.core.universe import Universe
from gaemi.data.market import DerivedHistory, MarketSnapshot
from gaemi.monitor.indicators import MonitorRules, compute_indicators
from gaemi.monitor.status import composite_status


def universe_known_on(universe: Universe, day: dt.date) -> Universe:
    """The universe with Korean shares hidden where their date is after ``day``."""
    dates = np.array(
        [dt.date.fromisoformat(d) if d else dt.date.max for d in universe.korean_as_of.tolist()]
    )
    hide = np.array([d > day for d in dates])
    if not hide.any():
        return universe
    share = np.where(hide, np.nan, universe.korean_share)
    return replace(universe, korean_share=share)


def replay_status(
    history: DerivedHistory,
    facts: MarketSnapshot,
    universe: Universe,
    rules: MonitorRules,
    days: Iterable[dt.date],
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """One row per day: status, level, reason, every indicator's level and value, and
    ``stale_inputs``: the indicators whose latest observation was older than the rules'
    staleness limit that day (flagged, still counted — as in the live report)."""
    from gaemi.data.stress import load_default_stress

    days = list(days)
    ctx = {"stress_scenario": load_default_stress()}  # parsed once, not once a day
    rows = []
    for k, day in enumerate(days):
        snap = history.snapshot_on(day, base=facts)
        inds = compute_indicators(
            snap, universe_known_on(universe, day), rules, {**ctx, "day": day}
        )
        st = composite_status(inds, rules)
        row: dict[str, object] = {
            "date": day,
            "status": st.status,
            "level": st.level,
            "reason": st.reason,
        }
        for i in inds:
            row[f"{i.id}_level"] = i.level
            row[f"{i.id}_value"] = i.value
        rows.append(row)
        if progress is not None:
            progress(k + 1, len(days))
    return pd.DataFrame(rows)
