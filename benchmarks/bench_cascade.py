"""Contagion Monte Carlo: draws × nodes × days with the close-feedback engine on equity nodes.

The graph is the default six-step scenario (14 nodes, the close-liquidity engine of
:mod:`gaemi.core.feedback` on NDX and SOX, the linear hook on Samsung and SK hynix) plus
16 synthetic regional nodes fed by NDX, KOSPI and USD/KRW with lags of 1–3 days, a
lag-1 chain among themselves and lag-1 edges back into NDX and SOX (so the US equity
nodes move, and the engine runs, on every one of the 60 days) — 30 nodes; every
uncertain parameter is drawn from its range.

Correctness before timing: (1) with every parameter at its central value, the mean of
n identical draws equals the single deterministic run to 1e-12 (relative); (2) the same seed gives
the same numbers. Timings (best of 3 after a warm-up):

* ``mc_engine_every_day_s`` — the Monte Carlo (as ``gaemi cascade --draws`` runs it:
  bands kept, no per-draw event log) with the engine hook on NDX/SOX running on every
  one of the 60 days (the issue's target: < 2 s for 10,000 draws × 30 nodes × 60 days);
* ``mc_engine_shock_day_only_s`` — the same graph without the edges back into NDX/SOX
  (the engine runs on the shock day; a zero move needs no close solve);
* ``mc_linear_s`` — the every-day graph with the linear hook r₀/(1 − λK) everywhere.

The 1-minute load average is recorded: the machine is shared, compare runs only at
similar load.

Configs: ``small`` 2,000 draws; ``large`` 10,000 draws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from benchmarks._common import best_of, peak_memory
from gaemi.core.contagion import CascadeModel, Edge, Node, Param, simulate
from gaemi.data.cascade import engine_feedback_models, load_cascade

CONFIGS = {"small": 2_000, "large": 10_000}
N_EXTRA, HORIZON, SEED = 16, 60, 20261122


def build(every_day: bool = True) -> CascadeModel:
    """The default scenario grown to 30 nodes and 60 days (``every_day``: with the edges
    back into NDX/SOX that make the engine run every day)."""
    m = load_cascade()
    nodes = list(m.nodes)
    edges = list(m.edges)
    feeders = ("NDX", "KOSPI", "USDKRW")
    for k in range(N_EXTRA):
        nid = f"R{k + 1:02d}"
        nodes.append(
            Node(
                nid,
                nid,
                "index",
                "relative",
                "asia",
                100.0,
                1.0,
                1000.0,
                equity=True,
                source="bench",
            )
        )
        src = feeders[k % 3]
        edges.append(
            Edge(
                f"{src.lower()}_{nid}",
                "linear",
                src,
                (nid,),
                1 + k % 3,
                {"beta": Param(0.4, 0.2, 0.6, "uniform")},
                source_ref="bench",
            )
        )
        if k:
            edges.append(
                Edge(
                    f"r{k}_{nid}",
                    "linear",
                    f"R{k:02d}",
                    (nid,),
                    1,
                    {"beta": Param(0.1, 0.0, 0.2, "uniform")},
                    source_ref="bench",
                )
            )
    # regional selling feeds back into US tech the next day, so NDX and SOX move (and
    # the close-feedback engine runs) on every one of the 60 days
    back = (("NDX", f"R{N_EXTRA:02d}"), ("SOX", f"R{N_EXTRA - 1:02d}")) if every_day else ()
    for tgt, src in back:
        edges.append(
            Edge(
                f"{src.lower()}_{tgt.lower()}",
                "linear",
                src,
                (tgt,),
                1,
                {"beta": Param(0.05, 0.0, 0.1, "uniform")},
                source_ref="bench",
            )
        )
    return CascadeModel(m.name, tuple(nodes), tuple(edges), m.shocks, HORIZON, m.steps)


def run(config: str) -> dict[str, Any]:
    import os

    draws = CONFIGS[config]
    m = build()
    quiet = build(every_day=False)
    assert len(m.nodes) == 30
    fm = engine_feedback_models(m)

    # correctness before timing
    det = simulate(m, deterministic=True, feedback_models=fm)
    same = simulate(m, draws, deterministic=True, feedback_models=fm, keep_paths=False)
    err = float(np.max(np.abs(same.mean_path / det.mean_path - 1.0)))
    if err > 1e-12:
        raise AssertionError(f"mean of identical draws != deterministic run: {err:g}")
    a = simulate(m, 500, rng=SEED, feedback_models=fm)
    b = simulate(m, 500, rng=SEED, feedback_models=fm)
    if not np.array_equal(a.final_level, b.final_level):
        raise AssertionError("same seed gave different numbers")
    hook_days = sum(e.event == "feedback:NDX" for e in a.events)
    if hook_days < HORIZON - 2:
        raise AssertionError(f"the engine ran on {hook_days} days only")

    def mc(model: CascadeModel, hooks: Any) -> Any:
        return lambda: simulate(
            model, draws, rng=SEED, feedback_models=hooks, keep_paths=False, log_events=False
        )

    load_before = os.getloadavg()[0]
    eng_s = best_of(mc(m, fm), repeat=3, warmup=1)
    quiet_s = best_of(mc(quiet, engine_feedback_models(quiet)), repeat=3, warmup=1)
    lin_s = best_of(mc(m, None), repeat=3, warmup=1)
    memory = peak_memory(mc(m, fm))
    res = simulate(m, draws, rng=SEED, feedback_models=fm, keep_paths=False)
    i = m.index("KOSPI")
    return {
        "draws": draws,
        "nodes": len(m.nodes),
        "edges": len(m.edges),
        "days": HORIZON,
        "engine_hook_nodes": sorted(k.split(":", 1)[1] for k in fm),
        "engine_hook_days": hook_days,
        "mc_engine_every_day_s": eng_s,
        "mc_engine_shock_day_only_s": quiet_s,
        "mc_linear_s": lin_s,
        "target_s": 2.0,
        "meets_target": bool(eng_s < 2.0) if draws == 10_000 else None,
        "load_average_1min": [load_before, os.getloadavg()[0]],
        **memory,
        "check_mean_vs_deterministic_max_rel": err,
        "kospi_final_change_q05_q50_q95": [
            float(np.quantile(res.final_level[i] / m.nodes[i].baseline - 1, q))
            for q in (0.05, 0.5, 0.95)
        ],
    }
