"""What the report's charts need beyond the report's own tables, asked of the application
layer the way the dashboard asks it: the contagion Monte Carlo's paths and bands
(:func:`gaemi.app.contagion.contagion`, as ``/api/cascade``) and each fund's decay curve
(:func:`gaemi.app.decay.erosion`, as ``/api/decay/erosion``).

The figures themselves are :mod:`gaemi.present.report.charts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from gaemi.app.report import Report
    from gaemi.data.state import MarketState

#: Monte Carlo draws of the contagion chart (≈1 s) and its seed (same seed, same bands).
CASCADE_DRAWS = 500
CASCADE_SEED = 0
#: Horizons of the decay curves (months).
DECAY_MONTHS: tuple[float, ...] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)


@dataclass(frozen=True)
class EngineCharts:
    """Frames for the charts, by name (``cascade.paths``, ``decay.curves``), and why a
    chart could not be computed (by section key)."""

    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    draws: int = CASCADE_DRAWS
    missing: Mapping[str, str] = field(default_factory=dict)


def _known(report: Report, key: str, table: str) -> pd.DataFrame | None:
    for s in report.sections:
        if s.key == key and table in s.tables and len(s.tables[table]):
            return s.tables[table]
    return None


def _report_state(
    state: MarketState | None,
    report: Report,
    korean_aum_usd: float | None,
    data_dir: str | Path | None,
) -> MarketState | None:
    """``state`` with the fund universe the report used."""
    if state is None:
        return None
    u = state.universe
    if data_dir is not None and any(s.key == "funds" for s in report.sections):
        from gaemi.app.report import _base_universe, universe_on

        u = universe_on(_base_universe(state), data_dir, report.report_date).universe
    if korean_aum_usd is not None:
        u = u.with_korean_aum(float(korean_aum_usd))
    return state if u is state.universe else state.with_universe(u)


def engine_charts(
    state: MarketState | None,
    report: Report,
    *,
    moves: Mapping[str, float] | None = None,
    korean_aum_usd: float | None = None,
    data_dir: str | Path | None = None,
) -> EngineCharts:
    """Run what the charts need for the sections the report could compute.

    The contagion run takes the report's shocks (``moves``, else the scenario's fixed
    shock) on the report's funds (with ``korean_aum_usd`` and, for a past day rebuilt
    from ``data_dir``, each fund's AUM on that day — as :func:`gaemi.app.report.report`
    does), as the report's event table; the decay curves take each fund of the report's
    erosion table at the volatility the table states.
    """
    from gaemi.app.contagion import contagion
    from gaemi.app.decay import erosion
    from gaemi.errors import GaemiInputError

    frames: dict[str, pd.DataFrame] = {}
    missing: dict[str, str] = {}
    state = _report_state(state, report, korean_aum_usd, data_dir)
    if _known(report, "cascade", "events") is not None:
        shocks = {k: v for k, v in moves.items() if v != 0} if moves else None
        try:
            res = contagion(
                state,
                shocks=shocks,
                draws=CASCADE_DRAWS,
                rng=CASCADE_SEED,
                shock_source="command line (--move)",
            )
        except GaemiInputError as exc:
            missing["cascade"] = str(exc)
        else:
            frames["cascade.paths"] = res.to_frame("paths")
    ero = _known(report, "decay", "erosion")
    if ero is not None:
        parts = []
        for r in ero.to_dict("records"):
            try:
                e = erosion(
                    state, str(r["ticker"]), vols_annual=[float(r["vol_frac"])], months=DECAY_MONTHS
                )
            except GaemiInputError as exc:
                missing["decay"] = str(exc)
                continue
            df = pd.DataFrame(list(e.rows))
            df.insert(0, "ticker", str(r["ticker"]))
            df.insert(1, "leverage", float(r["leverage"]))
            parts.append(df)
        if parts:
            frames["decay.curves"] = pd.concat(parts, ignore_index=True)
    return EngineCharts(frames, CASCADE_DRAWS, missing)
