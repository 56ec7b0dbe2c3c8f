"""Fast group sums of a flow result for the API: NumPy ``bincount`` instead of pandas.

:func:`grouped_records` gives the same rows as ``FlowResult.to_frame(by)`` for
``by`` in underlying/group/issuer/total on a ladder (every scenario one move), in the
same order, as JSON-ready dicts; ``tests/present/test_web_api.py`` checks that the two
agree. It exists because pandas' per-group aggregation costs tens of milliseconds per
request, which would dominate the flows endpoint's latency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from gaemi.core.flows import FlowResult

FAST_GROUPINGS = ("underlying", "group", "issuer", "total")


def _f(v: float) -> float | None:
    return float(v) if np.isfinite(v) else None


def grouped_records(result: FlowResult, by: str) -> list[dict[str, Any]] | None:
    """Rows of ``result.to_frame(by)`` as dicts (NaN → None), or ``None`` when not covered.

    Covered: ``by`` in :data:`FAST_GROUPINGS` and every scenario a single finite move
    (``compute_flows``); per-underlying moves (``projected_close_flow``) return ``None``
    and the caller uses ``to_frame``.
    """
    moves = result.scenario_move_frac
    if by not in FAST_GROUPINGS or not np.isfinite(moves).all():
        return None
    u = result.universe
    n, m = result.flow_usd.shape
    if by == "total":
        key_name, keys, inv = "group", np.array(["all funds"]), np.zeros(n, dtype=np.intp)
    else:
        key_name = {"underlying": "underlying_id", "group": "underlying_group", "issuer": "issuer"}[
            by
        ]
        col = getattr(u, key_name)
        uniq, first, inv0 = np.unique(col, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")  # groups in order of first appearance
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        keys, inv = uniq[order], rank[inv0]
    g = keys.size
    known = u.korean_known
    kaum_w = np.where(known, u.korean_share * u.aum_usd, 0.0)
    n_funds = np.bincount(inv, minlength=g)
    aum = np.bincount(inv, weights=u.aum_usd, minlength=g)
    has_known = np.bincount(inv, weights=known.astype(np.float64), minlength=g) > 0
    kaum = np.where(has_known, np.bincount(inv, weights=kaum_w, minlength=g), np.nan)
    known_aum = np.bincount(inv, weights=np.where(known, u.aum_usd, 0.0), minlength=g)
    sens = result.sensitivity_by_move_usd_per_pct()  # β of each move's side (falls/rises)
    coverage = np.divide(known_aum, aum, out=np.full(g, np.nan), where=aum > 0)
    kflow_all = np.where(known[:, None], np.nan_to_num(result.korean_flow_usd), 0.0)
    wiped = result.wiped_out.astype(np.float64)
    rows: list[dict[str, Any]] = []
    sort_move: list[float] = []
    sort_pct: list[float] = []
    for s in range(m):
        flow = np.bincount(inv, weights=result.flow_usd[:, s], minlength=g)
        per_pct = np.bincount(inv, weights=sens[:, s], minlength=g)
        kflow = np.where(has_known, np.bincount(inv, weights=kflow_all[:, s], minlength=g), np.nan)
        n_wiped = np.bincount(inv, weights=wiped[:, s], minlength=g)  # 1 + L·r <= 0
        for j in range(g):
            rows.append(
                {
                    key_name if by != "total" else "group": str(keys[j]),
                    "move_frac": float(moves[s]),
                    "n_funds": int(n_funds[j]),
                    "aum_usd": float(aum[j]),
                    "korean_aum_usd": _f(kaum[j]),
                    "flow_usd": float(flow[j]),
                    "korean_flow_usd": _f(kflow[j]),
                    "flow_per_pct_usd": float(per_pct[j]),
                    "korean_coverage_frac": _f(coverage[j]),
                    "n_funds_wiped_out": int(n_wiped[j]),
                }
            )
            sort_move.append(float(moves[s]))
            sort_pct.append(float(per_pct[j]))
    if by == "total":
        return rows
    # to_frame sorts by move (ascending), then per-1 % flow (descending), stably.
    idx = np.lexsort((np.arange(len(rows)), -np.asarray(sort_pct), np.asarray(sort_move)))
    return [rows[i] for i in idx]
