"""Cascade endpoints: the contagion network ("Indra's Net") after a shock near the close.

The default scenario (:mod:`gaemi.data.cascade`) encodes the research note's six-step
chain; :mod:`gaemi.core.contagion` steps it day by day with the close-liquidity engine as
the feedback on NDX/SOX. The answer carries the event table (step, action, node, impact,
the parameters and sources of every rule that fired), whether each step of the chain
follows from the mechanics, and the change of every node at the horizon (Monte Carlo
bands over the parameter ranges when ``draws`` > 1).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gaemi.present.web.deps import State, answer, market_state
from gaemi.present.web.models import (
    ERROR_RESPONSES,
    Name,
    StrictModel,
    UsdAssets,
    fold_case,
    json_response,
    refuse_below_minus_100,
)

if TYPE_CHECKING:
    from gaemi.core.contagion import CascadeModel
    from gaemi.present.web.settings import WebState

router = APIRouter(prefix="/api/cascade", tags=["cascade"], responses=ERROR_RESPONSES)

#: Most Monte Carlo draws one request may ask for.
MAX_DRAWS = 5_000


def default_cascade() -> CascadeModel:
    """The embedded six-step scenario (read once, by :mod:`gaemi.app.contagion`)."""
    from gaemi.app.contagion import cascade_model

    model, _ = cascade_model()
    return model


class _CascadeCommon(StrictModel):
    date: dt.date | None = Field(
        None,
        description="Day of the market state whose fund universe feeds the close feedback "
        "(default today); nothing later is used.",
    )
    draws: Annotated[int, Field(ge=1, le=MAX_DRAWS)] = Field(
        1, description="1: the central run only; more: Monte Carlo over parameter ranges."
    )
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0
    horizon_days: Annotated[int, Field(ge=1, le=250)] | None = Field(
        None, description="Days to simulate (default: the scenario's)."
    )
    feedback: Literal["engine", "linear"] = Field(
        "engine", description="Close feedback on NDX/SOX: the stress engine or r0/(1-λK)."
    )
    korean_aum_usd: UsdAssets | None = Field(
        None,
        description="What-if: Korean 3x AUM on the close-feedback nodes totals this, USD "
        "(spread like the scenario's own Korean AUM).",
    )


#: A node's day-0 move, fraction, at most +100 %. Its lower bound (the schema's minimum −1)
#: is the rule of every face, not pydantic's: a price must move above −100 %
#: (:func:`gaemi.errors.check_above_minus_100`, called by :func:`gaemi.app.contagion.cascade_model`;
#: below −100 % :func:`~gaemi.present.web.models.refuse_below_minus_100`, as the CLI), a rate
#: node (pp) may take −1 itself.
_FROM_MINUS_1 = {"minimum": -1.0}
NodeMove = Annotated[float, Field(le=1.0, allow_inf_nan=False, json_schema_extra=_FROM_MINUS_1)]
NodeMoveJson = Annotated[
    float, Field(le=1.0, allow_inf_nan=False, strict=True, json_schema_extra=_FROM_MINUS_1)
]


class CascadeQuery(_CascadeCommon):
    shock_frac: NodeMove | None = Field(
        None,
        description="Move given to every shocked node of the scenario (NDX and SOX, −5 % "
        "by default), fraction.",
    )


class CascadeRequest(_CascadeCommon):
    shocks_frac_by_node: dict[Name, NodeMoveJson] = Field(
        min_length=1, max_length=20, description='Day-0 moves by node, e.g. {"NDX": -0.08}.'
    )


class StepVerdict(BaseModel):
    step: str
    title: str
    claim: str
    prob: float | None
    follows: bool = Field(description="True only when the whole claim follows (verdict yes).")
    reason: str
    verdict: Literal["yes", "partly", "no"] = Field(
        description="partly: the claimed move happened but a rule the step names "
        "(e.g. the stop-loss level) was not reached."
    )


class Band(BaseModel):
    node: str
    unit: str = Field(
        description="Kept for existing clients: 'frac' for price nodes, else the level's "
        "unit ('percent' for rates, whose changes are in pp). Prefer change_unit."
    )
    change_unit: str = Field(
        description="Unit of every change_* value: frac (decimal fraction) or pp "
        "(percentage points, rate nodes)."
    )
    baseline: float | None
    baseline_unit: str
    change_mean: float | None
    change_q05: float | None
    change_q50: float | None
    change_q95: float | None


class CascadeResponse(BaseModel):
    scenario: str
    shocks_frac: dict[str, float]
    horizon_days: int
    draws: int
    seed: int
    events: list[dict[str, Any]] = Field(
        description="Event table: step, day, event, action, node, amount (amount_unit), "
        "impact (impact_unit), total_impact, days_fired, prob, parameters, source."
    )
    steps: list[StepVerdict]
    bands: list[Band] = Field(description="Change of every node at the horizon.")
    most_loss_link: str | None


def _run(
    web: WebState, shocks: dict[str, float] | float | None, q: _CascadeCommon
) -> CascadeResponse:
    from gaemi.app.contagion import contagion

    if isinstance(shocks, dict):
        # one shock per node, whatever the case; said as app.contagion and the CLI say it
        for key, move in fold_case(
            shocks, "shocks_frac_by_node", per="node and day", day=0
        ).items():
            refuse_below_minus_100(move, f"shocks_frac_by_node.{key}")
    elif shocks is not None:
        refuse_below_minus_100(shocks, "shock_frac")
    res = contagion(
        market_state(web, q.date),
        shocks=shocks if isinstance(shocks, dict) else None,
        shock_frac=shocks if isinstance(shocks, float) else None,
        korean_aum_usd=q.korean_aum_usd,
        horizon_days=q.horizon_days,
        draws=q.draws,
        rng=q.seed,
        feedback=q.feedback,
        shock_source="request (shocks_frac)",
        field_name="shocks_frac_by_node",
    )
    d = res.to_dict()
    fields = Band.model_fields
    return CascadeResponse(
        scenario=d["scenario"],
        shocks_frac=d["shocks_frac"],
        horizon_days=d["horizon_days"],
        draws=q.draws,
        seed=q.seed,
        events=d["records"],
        steps=[StepVerdict(**r) for r in d["steps"]],
        bands=[
            Band(
                unit="frac" if r["change_unit"] == "frac" else r["baseline_unit"],
                **{k: v for k, v in r.items() if k in fields},
            )
            for r in d["bands"]
        ],
        most_loss_link=d["most_loss_link"],
    )


def _get(web: WebState, q: CascadeQuery) -> CascadeResponse:
    return _run(web, q.shock_frac, q)


def _post(web: WebState, req: CascadeRequest) -> CascadeResponse:
    return _run(web, dict(req.shocks_frac_by_node), req)


@router.get("", response_model=CascadeResponse, summary="Cascade of the default scenario")
async def cascade_get(q: Annotated[CascadeQuery, Query()], state: State) -> Response:
    """The six-step chain after the scenario's shocks (or ``shock_frac`` on each)."""
    return await answer(state, "cascade", q, _get, state, q)


@router.post("", response_model=CascadeResponse, summary="Cascade after given shocks")
async def cascade_post(req: CascadeRequest, state: State) -> Response:
    """The chain after day-0 moves of the named nodes (NDX, SOX, USDKRW, BTC …)."""
    result = await state.compute(_post, state, req)
    return json_response(result)
