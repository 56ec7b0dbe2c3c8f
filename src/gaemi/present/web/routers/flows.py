"""Flows endpoints: the close-rebalancing ladder, one move, today's moves, what-ifs.

ΔE = L(L−1)·A·r + L·C per fund (:mod:`gaemi.core.flows`), grouped by fund, underlying,
group, issuer, holder or in total. Money in USD, moves as decimal fractions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from gaemi.present.web.aggregate import grouped_records
from gaemi.present.web.deps import State
from gaemi.present.web.models import (
    ERROR_RESPONSES,
    MAX_MOVES,
    FundLeverageJson,
    MoveFrac,
    MoveFracJson,
    Name,
    StrictModel,
    UsdAmountJson,
    UsdAssets,
    UsdAssetsJson,
    clean,
    fold_case,
    json_data_response,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from gaemi.app.flows import FlowsResult
    from gaemi.data.state import MarketState
    from gaemi.present.web.settings import WebState

router = APIRouter(prefix="/api/flows", tags=["flows"], responses=ERROR_RESPONSES)

GroupBy = Literal["fund", "underlying", "group", "issuer", "holder", "total"]
#: Creations that respond to the move, C = β·A·r (gaemi.app.flows.creations_beta).
CreationsJson = (
    Literal["measured", "none"]
    | Annotated[float, Field(ge=-5, le=5, allow_inf_nan=False, strict=True)]
)
_CREATIONS_DOC = (
    "Creations that respond to the move, C = β·A·r: 'measured' (β per fund class from the "
    "issuer data), 'none' (default) or a β for every fund; the choice is in `choices`."
)
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False, strict=True)]


# ---------------------------------------------------------------- request models
class _Common(StrictModel):
    korean_aum_usd: UsdAssets | None = Field(
        None,
        description="What-if: Korean holdings of the 3x funds total this (USD), spread "
        "like today's known Korean holdings; non-Korean assets kept.",
    )
    underlying: list[Name] = Field(
        default_factory=list,
        max_length=20,
        description="Only funds on these underlying ids or groups (NDX, SOX, semiconductors).",
    )
    by: GroupBy = Field("underlying", description="How rows are grouped.")


class FlowQuery(_Common):
    """One move of every underlying."""

    move_frac: MoveFrac = Field(0.01, description="Underlying move, fraction (−0.05 = −5 %).")


class LadderQuery(_Common):
    """An inclusive grid of moves from ``move_from_frac`` to ``move_to_frac``."""

    move_from_frac: MoveFrac = Field(-0.10, description="First move of the ladder, fraction.")
    move_to_frac: MoveFrac = Field(0.10, description="Last move of the ladder, fraction.")
    move_step_frac: Annotated[float, Field(ge=1e-4, le=1.0, allow_inf_nan=False)] = Field(
        0.01, description="Step between moves, fraction (> 0)."
    )
    by: GroupBy = Field("holder", description="How rows are grouped.")

    @model_validator(mode="after")
    def _bounded_grid(self) -> LadderQuery:
        n = int(abs(self.move_to_frac - self.move_from_frac) / self.move_step_frac + 1e-9) + 1
        if n > MAX_MOVES:
            raise ValueError(
                f"the ladder has {n} moves; at most {MAX_MOVES} (widen move_step_frac)"
            )
        return self


class HypotheticalFund(StrictModel):
    """A what-if fund: signed leverage, assets, underlying, Korean share."""

    leverage: FundLeverageJson = Field(
        description="Signed daily leverage (3, 2, −1, −3): L > 1 or L < 0, |L| ≤ 10."
    )
    aum_usd: UsdAssetsJson = Field(description="Start-of-day net assets, USD.")
    underlying_id: Name = "HYP"
    korean_share: Share | None = Field(None, description="Korean-held fraction, 0–1.")


class FlowRequest(StrictModel):
    """A full what-if: own funds or the default universe, holdings, creations, moves."""

    moves_frac: list[MoveFracJson] = Field(
        min_length=1, max_length=MAX_MOVES, description="Moves of every underlying, fractions."
    )
    funds: list[HypotheticalFund] | None = Field(
        None, max_length=200, description="Hypothetical funds instead of the universe."
    )
    korean_aum_usd: UsdAssetsJson | None = None
    korean_holdings_usd: dict[Name, UsdAssetsJson] = Field(
        default_factory=dict, max_length=200, description="Korean holdings per ticker, USD."
    )
    creations_usd: dict[Name, UsdAmountJson] = Field(
        default_factory=dict,
        max_length=200,
        description="Net creations per ticker, USD (negative for redemptions).",
    )
    underlying: list[Name] = Field(default_factory=list, max_length=20)
    by: GroupBy = "underlying"
    creations: CreationsJson | None = Field(None, description=_CREATIONS_DOC)
    by_holder: bool = Field(
        False,
        strict=True,
        description="Also answer by_holder: every fund's flow split into Korean / other / "
        "unattributed with its Korean share's date, basis (observed/estimated) and source "
        "(the served state's: the depository's on a past day with serve --data-dir/--db).",
    )


class ProjectedRequest(StrictModel):
    """Intraday: each underlying's move so far today; others unchanged."""

    moves_frac_by_underlying: dict[Name, MoveFracJson] = Field(
        min_length=1,
        max_length=50,
        description="Move so far per underlying id or group (case-insensitive; one name per "
        'fund), e.g. {"NDX": -0.031}.',
    )
    korean_aum_usd: UsdAssetsJson | None = None
    creations_usd: dict[Name, UsdAmountJson] = Field(default_factory=dict, max_length=200)
    by: GroupBy = "underlying"
    creations: CreationsJson | None = Field(None, description=_CREATIONS_DOC)


# ---------------------------------------------------------------- response models
class FlowRow(BaseModel):
    """One row: a group (or fund, or holder) at one move. Absent keys do not apply."""

    move_frac: float | None = None
    underlying_id: str | None = None
    underlying_group: str | None = None
    issuer: str | None = None
    ticker: str | None = None
    name: str | None = None
    holder: str | None = None
    group: str | None = None
    leverage: float | None = None
    n_funds: int | None = None
    aum_usd: float | None = None
    korean_aum_usd: float | None = None
    korean_share: float | None = None
    creations_usd: float | None = None
    flow_usd: float | None = None
    korean_flow_usd: float | None = None
    flow_per_pct_usd: float | None = None
    korean_coverage_frac: float | None = None
    wiped_out: bool | None = Field(
        None,
        description="The move wipes the fund out (1 + L·r <= 0): its flow is the unwind "
        "−L·A·(1+r) of the exposure left, not L(L−1)·A·r.",
    )
    n_funds_wiped_out: int | None = Field(None, description="Funds of the group wiped out.")


class HolderRow(BaseModel):
    """One fund (or the ``total`` of a move) split by holder: Korean = share × flow,
    other = (1 − share) × flow; a fund with an unknown share is wholly unattributed."""

    move_frac: float | None = None
    ticker: str
    underlying_id: str
    aum_usd: float | None = None
    aum_as_of: str
    flow_usd: float | None = None
    korean_share: float | None = None
    korean_as_of: str
    basis: str = Field(description="observed | estimated | given | what-if | unknown")
    source_korean: str
    korean_flow_usd: float | None = None
    other_flow_usd: float | None = None
    unattributed_flow_usd: float | None = None


class FlowResponse(BaseModel):
    """Rows of the chosen grouping, and totals per move."""

    by: GroupBy
    universe: str = Field(description="Which funds: the universe's label.")
    n_funds: int
    moves_frac: list[float | None] = Field(description="One per scenario (null: moves differ).")
    total_flow_usd: list[float] = Field(description="All funds' flow per scenario, USD.")
    korean_flow_usd: list[float | None] = Field(
        description="Korean-held part per scenario, USD: the sum over the "
        "n_funds_korean_known funds whose Korean share is known; null when no fund in the "
        "answer has one (unknown, not zero)."
    )
    n_funds_korean_known: int = Field(
        description="Funds whose Korean share is known: those korean_flow_usd sums over."
    )
    other_flow_usd: list[float | None] = Field(
        description="(1 − Korean share) × flow of the funds whose Korean share is known, "
        "per scenario, USD; null when no fund has one."
    )
    unattributed_flow_usd: list[float] = Field(
        description="Flow of funds with no Korean data, per scenario, USD."
    )
    n_funds_wiped_out: list[int] = Field(
        default_factory=list,
        description="Per scenario, funds the move wipes out (1 + L·r <= 0); their flow is "
        "the unwind −L·A·(1+r) of the exposure left.",
    )
    wiped_out_tickers: list[list[str]] = Field(
        default_factory=list, description="Per scenario, the tickers of those funds."
    )
    rows: list[FlowRow]
    by_holder: list[HolderRow] | None = Field(
        None, description="With by_holder: every fund split by holder, then the totals."
    )
    choices: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Judgement values used and why (name, value, why): the creations model.",
    )


# ---------------------------------------------------------------- computation
#: Keys a flow row may carry (those of :class:`FlowRow`).
ROW_KEYS = frozenset(FlowRow.model_fields)


def _response(res: FlowsResult, *, by_holder: bool = False) -> dict[str, Any]:
    """The :class:`FlowResponse` as JSON-ready data (built as dicts: this is the hot path;
    the schema tests check every answer against the model)."""
    fast = grouped_records(res.result, res.by)
    records: list[dict[str, Any]] = (
        fast
        if fast is not None
        else [{str(k): v for k, v in r.items()} for r in res.to_frame().to_dict("records")]
    )
    out = {
        "by": res.by,
        **res.totals(),
        "rows": [{k: clean(v) for k, v in rec.items() if k in ROW_KEYS} for rec in records],
        "choices": [c.to_dict() for c in res.choices],
    }
    if by_holder:
        from gaemi.app.result import records as json_records

        out["by_holder"] = json_records(res.to_frame("by_holder"))
    return out


def _grid(ms: MarketState, q: FlowQuery | LadderQuery) -> dict[str, Any]:
    from gaemi.app.flows import flows
    from gaemi.core.flows import ladder_moves

    if isinstance(q, LadderQuery):
        moves = ladder_moves(q.move_from_frac, q.move_to_frac, q.move_step_frac)
    else:
        moves = np.array([q.move_frac])
    return _response(
        flows(
            ms,
            moves_frac=moves,
            korean_aum_usd=q.korean_aum_usd,
            underlying=q.underlying or None,
            by=q.by,
        )
    )


def _custom(ms: MarketState, req: FlowRequest) -> dict[str, Any]:
    from gaemi.app.flows import flows
    from gaemi.core.universe import Universe as FundUniverse

    u = None
    if req.funds is not None:
        f = req.funds
        u = FundUniverse.hypothetical(
            [x.leverage for x in f],
            [x.aum_usd for x in f],
            [x.underlying_id.upper() for x in f],
            [np.nan if x.korean_share is None else x.korean_share for x in f],
        )
    fold_case(req.creations_usd, "creations_usd")  # tickers are case-insensitive: once each
    if req.korean_holdings_usd:
        fold_case(req.korean_holdings_usd, "korean_holdings_usd")
    return _response(
        flows(
            ms,
            universe=u,
            moves_frac=req.moves_frac,
            korean_holdings_usd=req.korean_holdings_usd or None,
            korean_aum_usd=req.korean_aum_usd,
            creations_usd=req.creations_usd or None,
            underlying=req.underlying or None,
            by=req.by,
            creations=req.creations,
        ),
        by_holder=req.by_holder,
    )


def _projected(ms: MarketState, req: ProjectedRequest) -> dict[str, Any]:
    from gaemi.app.flows import flows

    fold_case(req.moves_frac_by_underlying, "moves_frac_by_underlying", per="underlying")
    fold_case(req.creations_usd, "creations_usd")  # tickers are case-insensitive: once each
    return _response(
        flows(
            ms,
            at=req.moves_frac_by_underlying,
            korean_aum_usd=req.korean_aum_usd,
            creations_usd=req.creations_usd or None,
            by=req.by,
            creations=req.creations,
        )
    )


# ---------------------------------------------------------------- endpoints
async def _answer(
    state: WebState, fn: Callable[[MarketState, Any], dict[str, Any]], q: Any
) -> Response:
    """``fn(served market state, q)`` under the app's limiter and time bound, as JSON."""
    return json_data_response(await state.compute(fn, state.state, q))


@router.get("", response_model=FlowResponse, summary="Close flow at one move")
async def flows_at_move(q: Annotated[FlowQuery, Query()], state: State) -> Response:
    """Required close trade when every underlying moves by ``move_frac``."""
    return await _answer(state, _grid, q)


@router.get("/ladder", response_model=FlowResponse, summary="Close flow ladder over moves")
async def flows_ladder(q: Annotated[LadderQuery, Query()], state: State) -> Response:
    """The flow for each move of an inclusive grid (default −10 % … +10 % by 1 %)."""
    return await _answer(state, _grid, q)


@router.post("", response_model=FlowResponse, summary="What-if flows")
async def flows_what_if(req: FlowRequest, state: State) -> Response:
    """Own hypothetical funds or the universe with Korean holdings and creations set."""
    return await _answer(state, _custom, req)


@router.post("/projected", response_model=FlowResponse, summary="Projected close flow now")
async def flows_projected(req: ProjectedRequest, state: State) -> Response:
    """Intraday: the close flow implied by each underlying's move so far today."""
    return await _answer(state, _projected, req)
