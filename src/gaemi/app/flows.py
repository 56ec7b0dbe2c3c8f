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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gaemi.app.result import Choice, Result, format_usd
from gaemi.errors import GaemiInputError
from gaemi.limits import MAX_AUM_USD
from gaemi.monitor.korean_flows import STRESS_DAYS as KOREAN_STRESS_DAYS
from gaemi.units import format_frac

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

    from gaemi.core.flows import FlowResult
    from gaemi.core.universe import Universe
    from gaemi.data.state import MarketState

GroupBy = Literal["fund", "underlying", "group", "issuer", "holder", "total"]
#: The default move: per-1 % sensitivity.
DEFAULT_MOVE_FRAC = 0.01
#: The default creations model: none (the identity ΔE = L(L−1)·A·r alone). Why not the
#: measured β: the identity is exact, while β is a statistical average fitted on eight
#: ProShares index funds only and applied by class to every other fund (single-stock
#: funds included); the report, sweeps, replays and validation compute the identity, and
#: published flow estimates judge the identity — one default keeps the faces in agreement.
#: The choice is recorded with the measured figures either way, so every face says what
#: the data say (dip-buying offsets part of the rebalancing of 3x funds).
DEFAULT_CREATIONS = "none"
#: Largest |β| accepted for ``creations=<value>`` (fraction of AUM per unit move).
MAX_CREATIONS_BETA = 5.0
CREATIONS_MODES: tuple[str, ...] = ("measured", "none")


def parse_creations(value: str | float | None) -> str | float:
    """``measured``, ``none`` or a β (fraction of AUM created per unit move, in [−5, 5])."""
    if value is None:
        return DEFAULT_CREATIONS
    if isinstance(value, str):
        v = value.strip().lower()
        if v in CREATIONS_MODES:
            return v
        try:
            num = float(v)
        except ValueError:
            num = math.nan
    else:
        num = float(value)
    if not (math.isfinite(num) and abs(num) <= MAX_CREATIONS_BETA):
        raise GaemiInputError(
            f"creations = {value!r} must be 'measured', 'none' or a number in "
            f"[-{MAX_CREATIONS_BETA:g}, {MAX_CREATIONS_BETA:g}] (fraction of AUM per unit move)"
        )
    return num


def creations_beta(
    universe: Universe,
    creations: str | float | None,
    *,
    move_frac: ArrayLike | None = None,
) -> tuple[Any, Choice]:
    """β per fund (None for ``none``) and the :class:`Choice` that says which and why.

    ``measured``: each fund's class β from the embedded ``creations_beta.csv`` (ProShares
    issuer data, training window in the choice). The table says which model is used
    (its ``model`` column, chosen out of sample by ``scripts/build_creation_betas.py``):
    ``direction`` — β_down where the fund's move is a fall, β_up where it is a rise or
    nothing (:func:`gaemi.core.creations.directional_beta`) — or ``single``
    (:func:`gaemi.core.creations.class_creations_beta`). ``move_frac`` is each fund's move
    (shape (n_funds,) or broadcastable, e.g. ``-1.0`` for a fall); without it the β of a
    fall is used (gaemi's stress questions are falls) and the choice says so. A number:
    that β for every fund; ``none``: no move-driven creations.
    """
    import numpy as np

    from gaemi.core.creations import class_creations_beta, directional_beta
    from gaemi.data.fund_history import load_directional_creation_betas
    from gaemi.data.universe import load_creation_betas

    mode = parse_creations(creations)
    betas = load_creation_betas()
    directional = load_directional_creation_betas()
    said = betas.describe()
    if directional is not None and directional.model == "direction":
        said = directional.describe() + f" (single β: {said})"
    if mode == "none":
        why = (
            "default: the rebalancing identity alone, C = 0"
            if creations is None
            else "user input: C = 0"
        )
        return None, Choice("creations", "none", f"{why}; the data say: {said}")
    if mode == "measured":
        if directional is None or directional.model != "direction":
            beta = class_creations_beta(universe.leverage, betas.beta_by_class)
            return beta, Choice("creations", "measured", f"C = β·A·r by fund class; {said}")
        down = class_creations_beta(universe.leverage, directional.beta_down_by_class)
        up = class_creations_beta(universe.leverage, directional.beta_up_by_class)
        if move_frac is None:
            return down, Choice(
                "creations",
                "measured",
                f"C = β_down·A·r by fund class (no move given: the β of a fall); {said}",
            )
        r = np.broadcast_to(np.asarray(move_frac, dtype=np.float64), down.shape)
        return directional_beta(down, up, r), Choice(
            "creations",
            "measured",
            f"C = β·A·r by fund class, β_down on a fall and β_up on a rise; {said}",
        )
    return np.full(len(universe), float(mode)), Choice(
        "creations", float(mode), f"user input: C = {float(mode):g}·A·r for every fund"
    )


def creations_beta_by_sign(
    universe: Universe, creations: str | float | None
) -> tuple[tuple[dict[str, float], dict[str, float]] | None, Choice]:
    """(β on a fall, β on a rise) per ticker for a replay over many days, and the choice.

    The same rule as :func:`creations_beta` (each day's move picks the β); None for
    ``none``. Used by ``gaemi history`` / :func:`gaemi.data.history.run_history` and the
    report's replay.
    """
    down, choice = creations_beta(universe, creations, move_frac=-1.0)
    up, _ = creations_beta(universe, creations, move_frac=1.0)
    if down is None or up is None:
        return None, choice
    tickers = [str(t) for t in universe.ticker]
    by_down = dict(zip(tickers, (float(b) for b in down), strict=True))
    by_up = dict(zip(tickers, (float(b) for b in up), strict=True))
    return (by_down, by_up), choice


def flows_over_grid(
    universe: Universe,
    grid: Any,
    fixed: Mapping[str, float] | None,
    creations: str | float | None,
) -> tuple[FlowResult, Choice]:
    """:func:`compute_flows` over a grid with each move's β (falls and rises may differ):
    one engine call with the β of the grid's sign, or
    :func:`gaemi.core.creations.signed_grid_flows` for a grid holding both — then the
    per-1 % sensitivity of each row (``flow_per_pct_usd``) is the slope on its own side,
    (L(L−1) + L·β_down)·A·0.01 on a fall, (L(L−1) + L·β_up)·A·0.01 on a rise, and the
    choice says so."""
    import numpy as np

    from gaemi.core.creations import signed_grid_flows
    from gaemi.core.flows import compute_flows

    g = np.asarray(grid, dtype=float).ravel()
    signs = np.unique(np.where(g < 0, -1.0, 1.0))
    if signs.size <= 1:
        sign = float(signs[0]) if signs.size else -1.0
        beta, choice = creations_beta(universe, creations, move_frac=sign)
        return compute_flows(universe, g, fixed, creations_beta=beta), choice
    beta_up, choice = creations_beta(universe, creations, move_frac=1.0)
    beta_down, _ = creations_beta(universe, creations, move_frac=-1.0)
    if beta_up is None or beta_down is None:
        return compute_flows(universe, g, fixed), choice
    choice = Choice(
        choice.name,
        choice.value,
        choice.why + "; the flow per 1 % move of each row takes the β of its move's side",
    )
    return signed_grid_flows(universe, g, fixed, beta_down=beta_down, beta_up=beta_up), choice


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
    #: each fund's Korean share before any what-if, with its date, basis and source
    #: (:func:`korean_detail`); the ``by_holder`` view reads it
    korean: pd.DataFrame | None = None
    kind: str = field(default="flows", init=False, repr=False)

    @property
    def universe(self) -> Universe:
        return self.result.universe

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """Rows of ``view`` (default :attr:`by`): a grouping of
        :meth:`gaemi.core.flows.FlowResult.to_frame`, or ``by_holder`` — every fund's
        flow split into Korean / other / unattributed with its share's date, basis and
        source, then one ``total`` row per move (:func:`holder_frame`)."""
        if view == "by_holder":
            return holder_frame(self.result, self.korean)
        return self.result.to_frame(view or self.by)  # type: ignore[arg-type]

    def totals(self) -> dict[str, Any]:
        """Per move: total, Korean and unattributed flow (USD), and the counts."""
        import numpy as np

        r = self.result
        known = r.universe.korean_known
        kor = np.where(known[:, None], np.nan_to_num(r.korean_flow_usd), 0.0).sum(axis=0)
        other = np.where(known[:, None], r.flow_usd - np.nan_to_num(r.korean_flow_usd), 0.0)
        unattributed = np.where(known[:, None], 0.0, r.flow_usd).sum(axis=0)
        n_known = int(np.count_nonzero(known))
        gone = r.wiped_out
        return {
            "universe": r.universe.label,
            "n_funds": len(r.universe),
            "moves_frac": [None if math.isnan(m) else float(m) for m in r.scenario_move_frac],
            "total_flow_usd": [float(x) for x in r.total_usd()],
            # no fund with Korean data: the Korean part is unknown (null), not zero
            "korean_flow_usd": [float(x) if n_known else None for x in kor],
            "n_funds_korean_known": n_known,
            # the rest of the funds whose Korean share is known: (1 − share) × flow
            "other_flow_usd": [float(x) if n_known else None for x in other.sum(axis=0)],
            "unattributed_flow_usd": [float(x) for x in unattributed],
            # funds the move wipes out (1 + L·r <= 0): their flow is the unwind −L·A·(1+r)
            "n_funds_wiped_out": [int(x) for x in gone.sum(axis=0)],
            "wiped_out_tickers": [[str(t) for t in r.universe.ticker[col]] for col in gone.T],
        }

    def wiped_out_note(self) -> str | None:
        """One line naming the funds the move(s) wipe out and the rule, or None."""
        return wiped_out_note(self.result)

    def extra_dict(self) -> dict[str, Any]:
        return {"by": self.by, **self.totals()}

    def summary(self) -> str:
        t = self.totals()
        parts = [
            (f"{format_frac(m, decimals=1)}: " if m is not None else "at the given moves: ")
            + format_usd(v)
            for m, v in zip(t["moves_frac"], t["total_flow_usd"], strict=True)
        ]
        shown = "; ".join(parts[:4]) + (f"; … ({len(parts)} moves)" if len(parts) > 4 else "")
        wiped = self.wiped_out_note()
        return f"Close rebalancing flow of {t['n_funds']} funds (+ = buying): {shown}" + (
            f". {wiped[0].upper()}{wiped[1:]}" if wiped else ""
        )


def wiped_out_note(result: FlowResult, shown: int = 6) -> str | None:
    """One line for the faces: the funds wiped out at the move(s), counted, and the rule;
    None when every fund survives (1 + L·r > 0 for all)."""
    import numpy as np

    gone = result.wiped_out
    if not gone.any():
        return None
    tickers = [str(t) for t in result.universe.ticker[gone.any(axis=1)]]
    names = ", ".join(tickers[:shown]) + (
        f" … (+{len(tickers) - shown})" if len(tickers) > shown else ""
    )
    m = gone.shape[1]
    per_move = gone.sum(axis=0)
    if m == 1:
        where = "at this move"
    else:
        hit = np.flatnonzero(per_move)
        where = f"at {hit.size} of {m} moves (up to {int(per_move.max())} funds at one move)"
    return (
        f"{len(tickers)} of {gone.shape[0]} funds wiped out {where}: {names} — "
        "1 + L·r <= 0 leaves a NAV <= 0, so their flow is the unwind of the exposure left, "
        "−L·A·(1+r), not L(L−1)·A·r (issuers may terminate such a fund earlier)"
    )


#: Columns of :func:`korean_detail` (one row per fund).
KOREAN_DETAIL_COLUMNS: tuple[str, ...] = (
    "ticker",
    "korean_share",
    "korean_as_of",
    "basis",
    "source_korean",
    "aum_as_of",
)


def korean_detail(universe: Universe) -> pd.DataFrame:
    """Each fund's Korean share as the universe states it, with date, basis and source.

    ``basis``: ``observed`` when the share and the AUM are of the same day,
    ``estimated`` when a share of one day is applied to the AUM of another (the
    embedded press figures: a share of 2024-08 … 2026-01 on the AUM of 2026-06-01),
    ``given`` for a share without a date (your own funds), ``unknown`` when NaN.
    """
    import numpy as np
    import pandas as pd

    basis = []
    for share, k_day, a_day in zip(
        universe.korean_share, universe.korean_as_of, universe.aum_as_of, strict=True
    ):
        if np.isnan(share):
            basis.append("unknown")
        elif not k_day:
            basis.append("given")
        else:
            basis.append("observed" if k_day == a_day else "estimated")
    return pd.DataFrame(
        {
            "ticker": universe.ticker.astype(str),
            "korean_share": universe.korean_share,
            "korean_as_of": universe.korean_as_of.astype(str),
            "basis": basis,
            "source_korean": universe.source_korean.astype(str),
            "aum_as_of": universe.aum_as_of.astype(str),
        }
    )


def state_korean_detail(state: MarketState) -> pd.DataFrame:
    """:func:`korean_detail` of the state: its depository figures when it has them
    (``state.korean_shares``: basis observed/estimated per the custody carry), else the
    universe's own (press) figures."""
    ks = getattr(state, "korean_shares", None)
    if ks is None:
        return korean_detail(state.universe)
    out = ks.copy()
    out["basis"] = out["basis"].where(out["basis"].astype(str) != "", "unknown")
    frame: pd.DataFrame = out[list(KOREAN_DETAIL_COLUMNS)].reset_index(drop=True)
    return frame


def holder_frame(result: FlowResult, korean: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every fund's flow split by holder, then a ``total`` row per move.

    Korean = share × flow, other = (1 − share) × flow for a fund whose Korean share is
    known; the whole flow of a fund whose share is unknown is ``unattributed`` (never 0 %
    Korean). ``korean_as_of``, ``basis`` and ``source_korean`` come from ``korean``
    (:func:`korean_detail`); a share that differs from it was set by a what-if
    (``basis = what-if``).
    """
    import numpy as np
    import pandas as pd

    u = result.universe
    detail = korean if korean is not None else korean_detail(u)
    by_t = {str(r["ticker"]): r for r in detail.to_dict("records")}
    n, m = result.flow_usd.shape
    k_as_of, basis, source = [], [], []
    for t, share in zip(u.ticker.astype(str), u.korean_share, strict=True):
        d = by_t.get(t)
        same = d is not None and (
            (np.isnan(share) and np.isnan(float(d["korean_share"])))
            or abs(float(share) - float(d["korean_share"])) <= 1e-12
        )
        if np.isnan(share):
            k_as_of.append("")
            basis.append("unknown")
            source.append("")
        elif same and d is not None:
            k_as_of.append(str(d["korean_as_of"]))
            basis.append(str(d["basis"]))
            source.append(str(d["source_korean"]))
        else:
            k_as_of.append("")
            basis.append("what-if")
            source.append("what-if (Korean holdings set by the request)")
    known = u.korean_known
    rows = []
    for j in range(m):
        flow = result.flow_usd[:, j]
        kor = np.where(known, u.korean_share * flow, np.nan)
        other = np.where(known, flow - np.nan_to_num(kor), np.nan)
        unat = np.where(known, 0.0, flow)
        move = result.move_frac[:, j]
        rows.append(
            pd.DataFrame(
                {
                    "move_frac": move,
                    "ticker": u.ticker.astype(str),
                    "underlying_id": u.underlying_id.astype(str),
                    "aum_usd": u.aum_usd,
                    "aum_as_of": u.aum_as_of.astype(str),
                    "flow_usd": flow,
                    "korean_share": u.korean_share,
                    "korean_as_of": k_as_of,
                    "basis": basis,
                    "source_korean": source,
                    "korean_flow_usd": kor,
                    "other_flow_usd": other,
                    "unattributed_flow_usd": unat,
                }
            )
        )
        n_known = int(known.sum())
        total_move = float(result.scenario_move_frac[j])
        rows.append(
            pd.DataFrame(
                [
                    {
                        "move_frac": total_move,
                        "ticker": "total",
                        "underlying_id": "",
                        "aum_usd": float(u.aum_usd.sum()),
                        "aum_as_of": "",
                        "flow_usd": float(flow.sum()),
                        "korean_share": np.nan,
                        "korean_as_of": "",
                        "basis": f"{n_known} of {n} funds with a known Korean share",
                        "source_korean": "",
                        "korean_flow_usd": float(np.nansum(kor)) if n_known else np.nan,
                        "other_flow_usd": float(np.nansum(other)) if n_known else np.nan,
                        "unattributed_flow_usd": float(unat.sum()),
                    }
                ]
            )
        )
    return pd.concat(rows, ignore_index=True)


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
    korean: pd.DataFrame | None = None,
    creations: str | float | None = None,
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
    korean : DataFrame, optional
        Each fund's Korean share with date, basis and source before any what-if
        (:func:`korean_detail`); default: the state's (:func:`state_korean_detail`: the
        depository's when the state has it) or the universe's.
    creations : {"none", "measured"} or float, optional
        Creations that respond to the move, C = β·A·r on top of ``creations_usd``:
        ``measured`` (β per fund class from the issuer data), a β for every fund, or
        ``none`` (default, :data:`DEFAULT_CREATIONS`). The result's ``choices`` say which.

    Returns
    -------
    FlowsResult
    """
    import numpy as np

    from gaemi.core.flows import ladder_moves, projected_close_flow

    given = sum(x is not None for x in (move_frac, moves_frac, at))
    if given > 1:
        raise GaemiInputError("give only one of move_frac, moves_frac and at")
    if universe is not None:
        u = universe
        detail = korean if korean is not None else korean_detail(u)
    else:
        from gaemi.app.state import load_state

        st = state if state is not None else load_state()
        u = st.universe
        detail = korean if korean is not None else state_korean_detail(st)
    if korean_holdings_usd:
        u = u.with_korean_holdings(dict(korean_holdings_usd))
    if korean_aum_usd is not None:
        u = u.with_korean_aum(check_korean_aum_usd(float(korean_aum_usd)))
    if underlying:
        u = u.where_underlying([underlying] if isinstance(underlying, str) else list(underlying))
    fixed = dict(creations_usd) if creations_usd else None
    if at is not None:
        # each fund's own move picks its β (falls and rises differ under ``measured``)
        moves = projected_close_flow(u, dict(at)).move_frac[:, 0]
        beta, choice = creations_beta(u, creations, move_frac=moves)
        result = projected_close_flow(u, dict(at), fixed, creations_beta=beta)
    else:
        if moves_frac is not None:
            grid = np.asarray(moves_frac, dtype=float).ravel()
        else:
            m = DEFAULT_MOVE_FRAC if move_frac is None else float(move_frac)
            grid = ladder_moves(m, m, 1.0)
        result, choice = flows_over_grid(u, grid, fixed, creations)
    warnings: tuple[str, ...] = ()
    sources: tuple[str, ...] = ("ΔE = L(L−1)·A·r + L·C (Cheng & Madhavan 2009)",)
    if universe is None and state is not None:
        warnings = tuple(state.warnings)
        sources = (*sources, *(f"{k}: {v}" for k, v in state.sources.items()))
    return FlowsResult(
        result=result,
        by=by,
        korean=detail,
        warnings=warnings,
        sources=sources,
        choices=(choice,),
    )


#: Stress days 2020–2026 of the Korean close-flow table (docs/korea.md; the issue-16 days
#: and the August/September 2024 sell-offs): the monitor's list, one list for both tables.
STRESS_DAYS: tuple[str, ...] = KOREAN_STRESS_DAYS
#: The adjusted-close proxy of each underlying's day move (us-adjclose-1993-2026/).
MOVE_PROXIES: dict[str, str] = {
    "NDX": "QQQ",
    "SPX": "SPY",
    "SOX": "SOXX",
    "TSLA": "TSLA",
    "NVDA": "NVDA",
}


def stress_day_korean_flows(
    data_dir: str | Path, days: Sequence[str] = STRESS_DAYS
) -> pd.DataFrame:
    """The Korean part of the replayed close flow on stress days, by fund.

    For each day D: the state of the previous calendar day from ``data_dir``
    (:func:`gaemi.app.state.load_state`: AUM and Korean share at the previous close, none
    after it), each underlying's move on D from its adjusted-close proxy
    (:data:`MOVE_PROXIES`), the close flow ΔE = L(L−1)·A·r of every fund known that day,
    split by holder (:func:`holder_frame`; unknown share → unattributed).

    Returns
    -------
    DataFrame
        ``day`` plus the columns of the ``by_holder`` view (one ``total`` row per day).
    """
    import datetime as dt

    import pandas as pd

    from gaemi.app.state import load_state
    from gaemi.data.korean_share import fund_price

    out = []
    for d in days:
        day = dt.date.fromisoformat(d)
        state = load_state(data_dir=data_dir, as_of=day - dt.timedelta(days=1))
        moves: dict[str, float] = {}
        for uid in sorted(set(state.universe.underlying_id.tolist())):
            proxy = MOVE_PROXIES.get(uid)
            if proxy is None:
                continue
            px = fund_price(data_dir, proxy)
            px = px[px.index <= pd.Timestamp(day)]
            if len(px) < 2 or px.index[-1] != pd.Timestamp(day):
                continue
            moves[uid] = float(px.iloc[-1] / px.iloc[-2] - 1.0)
        if not moves:
            continue
        u = state.universe.where_underlying(sorted(moves))
        res = flows(state, universe=u, at=moves, korean=state_korean_detail(state))
        frame = res.to_frame("by_holder")
        frame.insert(0, "day", d)
        out.append(frame)
    return pd.concat(out, ignore_index=True)
