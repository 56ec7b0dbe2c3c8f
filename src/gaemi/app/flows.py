"""Close rebalancing flows of leveraged/inverse funds: ΔE = L(L−1)·A·r + L·C, in USD.

One function (:func:`flows`) serves ``gaemi flows``, ``/api/flows*``, the report and a
notebook: the state's funds (or your own), the what-ifs applied in one order (Korean
holdings per ticker, then a Korean total, then the underlying filter), one move, a grid of
moves, or each underlying's move so far.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from gaemi.app.result import Result, format_usd
from gaemi.errors import GaemiInputError
from gaemi.limits import MAX_AUM_USD

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

    from gaemi.core.flows import FlowResult
    from gaemi.core.universe import Universe
    from gaemi.data.state import MarketState

GroupBy = Literal["fund", "underlying", "group", "issuer", "holder", "total"]
#: The default move: per-1 % sensitivity.
DEFAULT_MOVE_FRAC = 0.01


@dataclass(frozen=True, kw_only=True)
class FlowsResult(Result):
    """The flow of every fund at each move (frozen).

    Attributes
    ----------
    result : FlowResult
        The engine's arrays (funds × moves): ``flow_usd``, ``korean_flow_usd`` …
    by : str
        The grouping :meth:`to_frame` uses by default.

    Notes
    -----
    ``to_frame(by)`` groups by ``fund``, ``underlying``, ``group``, ``issuer``, ``holder``
    or ``total``. ``to_dict()`` holds, per move, ``total_flow_usd``, the Korean part where
    a fund's Korean share is known (``korean_flow_usd``; null when no fund's is) and the
    ``unattributed_flow_usd`` of funds without Korean data — never guessed.
    """

    result: FlowResult
    by: GroupBy = "underlying"
    kind: str = field(default="flows", init=False, repr=False)

    @property
    def universe(self) -> Universe:
        return self.result.universe

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        return self.result.to_frame(view or self.by)  # type: ignore[arg-type]

    def totals(self) -> dict[str, Any]:
        """Per move: total, Korean and unattributed flow (USD), and the counts."""
        import numpy as np

        r = self.result
        known = r.universe.korean_known
        kor = np.where(known[:, None], np.nan_to_num(r.korean_flow_usd), 0.0).sum(axis=0)
        unattributed = np.where(known[:, None], 0.0, r.flow_usd).sum(axis=0)
        n_known = int(np.count_nonzero(known))
        return {
            "universe": r.universe.label,
            "n_funds": len(r.universe),
            "moves_frac": [None if math.isnan(m) else float(m) for m in r.scenario_move_frac],
            "total_flow_usd": [float(x) for x in r.total_usd()],
            # no fund with Korean data: the Korean part is unknown (null), not zero
            "korean_flow_usd": [float(x) if n_known else None for x in kor],
            "n_funds_korean_known": n_known,
            "unattributed_flow_usd": [float(x) for x in unattributed],
        }

    def extra_dict(self) -> dict[str, Any]:
        return {"by": self.by, **self.totals()}

    def summary(self) -> str:
        t = self.totals()
        parts = [
            (f"{m:+.1%}: " if m is not None else "at the given moves: ") + format_usd(v)
            for m, v in zip(t["moves_frac"], t["total_flow_usd"], strict=True)
        ]
        shown = "; ".join(parts[:4]) + (f"; … ({len(parts)} moves)" if len(parts) > 4 else "")
        return f"Close rebalancing flow of {t['n_funds']} funds (+ = buying): {shown}"


def check_korean_aum_usd(value: float, name: str = "korean_aum_usd") -> float:
    """A what-if total of Korean holdings, USD: finite, in [0, $10T]."""
    if not (math.isfinite(value) and 0.0 <= value <= MAX_AUM_USD):
        raise GaemiInputError(
            f"{name} = {value!r} must be between 0 and $10T ({MAX_AUM_USD:g} USD)"
        )
    return float(value)


def flows(
    state: MarketState | None = None,
    *,
    move_frac: float | None = None,
    moves_frac: ArrayLike | None = None,
    at: Mapping[str, float] | None = None,
    korean_aum_usd: float | None = None,
    korean_holdings_usd: Mapping[str, float] | None = None,
    creations_usd: Mapping[str, float] | None = None,
    underlying: str | Sequence[str] | None = None,
    universe: Universe | None = None,
    by: GroupBy = "underlying",
) -> FlowsResult:
    """What the leveraged and inverse funds must trade at the close.

    ΔE = L(L−1)·A·r + L·C per fund (Cheng & Madhavan 2009; C the day's creations), in USD,
    + = buying the underlying. The Korean part is each fund's Korean share times its flow.

    Parameters
    ----------
    state : MarketState, optional
        Its fund universe (default: :func:`gaemi.load_state`'s embedded default).
    move_frac : float, optional
        One move of every underlying, fraction (−0.05 = −5 %); default +1 % (sensitivity).
    moves_frac : array-like, optional
        A grid of moves instead (:func:`gaemi.core.flows.ladder_moves`).
    at : mapping, optional
        Each underlying's move so far (``{"NDX": -0.031}``); others unchanged.
    korean_aum_usd : float, optional
        What-if: Korean holdings of the 3x funds total this, USD, spread like today's.
    korean_holdings_usd : mapping, optional
        What-if: Korean holdings per ticker, USD (applied first).
    creations_usd : mapping, optional
        Creations (+) / redemptions (−) per ticker, USD.
    underlying : str or list, optional
        Only funds on these underlying ids or groups.
    universe : Universe, optional
        Your own funds instead of the state's (``Universe.hypothetical``).
    by : str
        Default grouping of :meth:`FlowsResult.to_frame`.

    Returns
    -------
    FlowsResult
    """
    import numpy as np

    from gaemi.core.flows import compute_flows, ladder_moves, projected_close_flow

    given = sum(x is not None for x in (move_frac, moves_frac, at))
    if given > 1:
        raise GaemiInputError("give only one of move_frac, moves_frac and at")
    if universe is not None:
        u = universe
    else:
        from gaemi.app.state import load_state

        u = (state if state is not None else load_state()).universe
    if korean_holdings_usd:
        u = u.with_korean_holdings(dict(korean_holdings_usd))
    if korean_aum_usd is not None:
        u = u.with_korean_aum(check_korean_aum_usd(float(korean_aum_usd)))
    if underlying:
        u = u.where_underlying([underlying] if isinstance(underlying, str) else list(underlying))
    creations = dict(creations_usd) if creations_usd else None
    if at is not None:
        result = projected_close_flow(u, dict(at), creations)
    else:
        if moves_frac is not None:
            grid = np.asarray(moves_frac, dtype=float).ravel()
        else:
            m = DEFAULT_MOVE_FRAC if move_frac is None else float(move_frac)
            grid = ladder_moves(m, m, 1.0)
        result = compute_flows(u, grid, creations)
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ("ΔE = L(L−1)·A·r + L·C (Cheng & Madhavan 2009)",)
    if universe is None and state is not None:
        warnings = tuple(state.warnings)
        sources = (*sources, *(f"{k}: {v}" for k, v in state.sources.items()))
    return FlowsResult(result=result, by=by, warnings=warnings, sources=sources)
