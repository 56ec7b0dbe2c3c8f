"""Results of a cascade run: the event log and the frozen result with its frames."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from gaemi.core.contagion.model import BoolArray, CascadeModel, FloatArray, Node

if TYPE_CHECKING:
    import pandas as pd

ParamKey = tuple[str, str]


@dataclass(frozen=True)
class Event:
    """A rule that fired on a day (in a Monte Carlo run: averaged over the draws
    where it fired; ``prob`` is the share of draws).

    ``halted`` is the share of those draws in which the level-3 circuit breaker halted
    the node's close that day (close feedback and shock rows; 0 otherwise), and
    ``unfilled_usd`` the mean selling (or buying) the halt left unfilled, USD (+ buys):
    a halted close-feedback row's ``amount`` is only what traded before the halt."""

    day: int
    event: str
    kind: str
    step: str
    source: str
    target: str
    action: str
    amount: float
    amount_unit: str
    impact: float
    impact_unit: str
    prob: float
    halted: float = 0.0
    unfilled_usd: float = 0.0


@dataclass(frozen=True, eq=False)
class CascadeResult:
    """Node paths, events and attributions of one (Monte Carlo) run (frozen).

    Attributes
    ----------
    model : CascadeModel
    n_draws : int
    mean_path : ndarray (n_nodes, horizon + 1)
        Mean level; column 0 is the baseline, column t + 1 the level after day t.
    band_path : ndarray (n_quantiles, n_nodes, horizon + 1)
        Quantiles of the level over the draws (``quantiles``).
    paths : ndarray (n_nodes, horizon + 1, n_draws) or None
        Every draw's path (kept for small runs only).
    min_level, max_level, final_level : ndarray (n_nodes, n_draws)
    events : tuple of Event
    fired : mapping event name → bool (n_draws,)
        Whether the edge / feedback / shock fired at least once in each draw.
    contribution : mapping (event, target) → float
        Sum over days of the mean contribution to the target's daily change.
    diagnostics : mapping edge id → str
        Why a rule did or did not fire (extremes of what it watches).
    residual_event : ndarray (n_draws,) of int or None
        Which historical stress event's residuals each draw used (replay with
        ``simulate(..., residual_event=...)``).
    halted : mapping node id → bool ndarray (horizon, n_draws)
        Where the market-wide level-3 circuit breaker halted the node's session (every
        US equity node of a halted session; :mod:`gaemi.core.contagion.breaker`). Empty
        when the run had no market-wide breaker (``spx_beta`` not given).
    """

    model: CascadeModel
    n_draws: int
    quantiles: tuple[float, ...]
    mean_path: FloatArray
    band_path: FloatArray
    paths: FloatArray | None
    min_level: FloatArray
    max_level: FloatArray
    final_level: FloatArray
    events: tuple[Event, ...]
    fired: Mapping[str, BoolArray]
    contribution: Mapping[tuple[str, str], float]
    diagnostics: Mapping[str, str]
    params: Mapping[ParamKey, FloatArray] = field(repr=False)
    #: The historical event (row of the nodes' residual tables) of each draw; None when
    #: the run drew no residuals (a central run, or a scenario without residuals).
    residual_event: NDArray[np.int64] | None = field(default=None, repr=False)
    #: node id → (horizon, n_draws) bool: the level-3 breaker halted that node's session.
    halted: Mapping[str, NDArray[np.bool_]] = field(default_factory=dict, repr=False)

    def change(self, node_id: str, which: str = "final") -> FloatArray:
        """Per-draw change from the baseline: fraction (relative nodes) or units.

        ``which`` is ``final`` (end of the horizon), ``min`` or ``max`` (over the path).
        """
        i = self.model.index(node_id)
        node = self.model.nodes[i]
        lvl = {"final": self.final_level, "min": self.min_level, "max": self.max_level}[which][i]
        if node.change == "relative":
            out: FloatArray = lvl / node.baseline - 1.0
            return out
        diff: FloatArray = lvl - node.baseline
        return diff

    # ------------------------------------------------------------ frames
    def paths_frame(self) -> pd.DataFrame:
        """Long table: node, day (−1 = baseline), mean level and bands, change from baseline."""
        import pandas as pd

        rows = []
        for i, n in enumerate(self.model.nodes):
            for t in range(self.mean_path.shape[1]):
                m = float(self.mean_path[i, t])
                rec: dict[str, object] = {
                    "node": n.id,
                    "day": t - 1,
                    "level": m,
                    "unit": n.unit,
                    "change_from_baseline": _change(n, m),
                    "change_kind": n.change,
                }
                for q, v in zip(self.quantiles, self.band_path[:, i, t], strict=True):
                    rec[f"level_q{round(q * 100):02d}"] = float(v)
                rows.append(rec)
        return pd.DataFrame(rows)

    def events_frame(self) -> pd.DataFrame:
        import pandas as pd

        cols = [f.name for f in Event.__dataclass_fields__.values()]
        return pd.DataFrame([[getattr(e, c) for c in cols] for e in self.events], columns=cols)

    def attribution_frame(self) -> pd.DataFrame:
        """Total contribution of each link to each node's change, largest loss first.

        ``contribution`` is in the target's change unit (fraction for relative nodes);
        ``loss`` is the negative part on equity nodes (the link that carried the most
        loss tops the table).
        """
        import pandas as pd

        rows = []
        for (ev, tgt), v in self.contribution.items():
            node = self.model.node(tgt)
            rows.append(
                {
                    "event": ev,
                    "target": tgt,
                    "contribution": v,
                    "change_kind": node.change,
                    "equity_loss_frac": max(-v, 0.0) if node.equity else 0.0,
                }
            )
        df = pd.DataFrame(rows)
        if df.empty:
            return df
        return df.sort_values(
            ["equity_loss_frac", "contribution"], ascending=[False, True]
        ).reset_index(drop=True)

    def most_loss_link(self) -> tuple[str, float] | None:
        """The link (other than the initial shock and the measured residuals) with the
        largest total equity loss."""
        best: tuple[str, float] | None = None
        totals: dict[str, float] = {}
        for (ev, tgt), v in self.contribution.items():
            if ev.startswith(("shock:", "residual:")) or not self.model.node(tgt).equity:
                continue
            totals[ev] = totals.get(ev, 0.0) + max(-v, 0.0)
        for ev, v in totals.items():
            if v > 0 and (best is None or v > best[1]):
                best = (ev, v)
        return best


def _change(n: Node, level: float) -> float:
    return level / n.baseline - 1.0 if n.change == "relative" else level - n.baseline
