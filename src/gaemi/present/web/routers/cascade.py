"""Cascade endpoints: the contagion network ("Indra's Net") after a shock near the close.

The default scenario (:mod:`gaemi.data.cascade`) encodes the research note's six-step
chain; :mod:`gaemi.core.contagion` steps it day by day with the close-liquidity engine as
the feedback on NDX/SOX. The answer carries the event table (step, action, node, impact,
the parameters and sources of every rule that fired), whether each step of the chain
follows from the mechanics, and the change of every node at the horizon (Monte Carlo
bands over the parameter ranges when ``draws`` > 1).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gaemi.errors import GaemiInputError
from gaemi.present.web.deps import State
from gaemi.present.web.models import (
    ERROR_RESPONSES,
    MoveFrac,
    MoveFracJson,
    Name,
    StrictModel,
    UsdAssets,
    fold_case,
    json_response,
)

if TYPE_CHECKING:
    from gaemi.core.contagion import CascadeModel

router = APIRouter(prefix="/api/cascade", tags=["cascade"], responses=ERROR_RESPONSES)

#: Most Monte Carlo draws one request may ask for.
MAX_DRAWS = 5_000


@lru_cache(maxsize=1)
def default_cascade() -> CascadeModel:
    """The embedded six-step scenario (read once)."""
    from gaemi.data.cascade import load_cascade

    return load_cascade(None)


class _CascadeCommon(StrictModel):
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


class CascadeQuery(_CascadeCommon):
    shock_frac: MoveFrac | None = Field(
        None,
        description="Move given to every shocked node of the scenario (NDX and SOX, −5 % "
        "by default), fraction.",
    )


class CascadeRequest(_CascadeCommon):
    shocks_frac_by_node: dict[Name, MoveFracJson] = Field(
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


def _run(shocks: dict[str, float] | float | None, q: _CascadeCommon) -> CascadeResponse:
    from gaemi.core.contagion import CascadeModel, Shock, simulate, step_verdicts
    from gaemi.core.contagion.analysis import verdicts_frame
    from gaemi.present.cascade_tables import bands_frame, event_table
    from gaemi.present.cli.common import records

    model = default_cascade()
    if q.korean_aum_usd is not None:
        model = model.with_korean_aum(q.korean_aum_usd)
    if q.horizon_days is not None:
        model = model.with_horizon(q.horizon_days)
    if shocks is not None:
        if isinstance(shocks, dict):
            new = []
            ids = {n.id.upper(): n.id for n in model.nodes}  # node ids are case-insensitive
            fold_case(shocks, "shocks_frac_by_node")  # one shock per node, whatever the case
            for node, mv in shocks.items():
                key = ids.get(node.upper())
                if key is None:
                    raise GaemiInputError(
                        f"shocks_frac_by_node: node = {node!r} is not in the scenario "
                        f"(nodes: {', '.join(model.node_ids)})"
                    )
                new.append(Shock(key, 0, mv, "API request"))
        else:
            new = [Shock(s.node, s.day, shocks, "API request") for s in model.shocks]
        model = CascadeModel(
            # the default's name says "-5% NDX/SOX"; only its graph is used now
            f"{model.name} — graph only; shocks from the request (shocks_frac)",
            model.nodes,
            model.edges,
            tuple(new),
            model.horizon_days,
            model.steps,
            model.description,
        )
    fm = None
    if q.feedback == "engine":
        from gaemi.data.cascade import engine_feedback_models

        fm = engine_feedback_models(model)
    central = simulate(model, deterministic=True, feedback_models=fm)
    mc = simulate(model, q.draws, rng=q.seed, feedback_models=fm) if q.draws > 1 else None
    ev = event_table(central, frozenset(k.split(":", 1)[1] for k in (fm or {})))
    steps = records(verdicts_frame(step_verdicts(central)))
    bands = records(bands_frame(mc or central))
    worst = central.most_loss_link()
    fields = Band.model_fields
    return CascadeResponse(
        scenario=model.name,
        shocks_frac={s.node: s.move for s in model.shocks},
        horizon_days=model.horizon_days,
        draws=q.draws,
        seed=q.seed,
        events=records(ev),
        steps=[StepVerdict(**r) for r in steps],
        bands=[
            Band(
                unit="frac" if r["change_unit"] == "frac" else r["baseline_unit"],
                **{k: v for k, v in r.items() if k in fields},
            )
            for r in bands
        ],
        most_loss_link=None if worst is None else str(worst[0]),
    )


def _get(q: CascadeQuery) -> CascadeResponse:
    return _run(q.shock_frac, q)


def _post(req: CascadeRequest) -> CascadeResponse:
    return _run(dict(req.shocks_frac_by_node), req)


@router.get("", response_model=CascadeResponse, summary="Cascade of the default scenario")
async def cascade_get(q: Annotated[CascadeQuery, Query()], state: State) -> Response:
    """The six-step chain after the scenario's shocks (or ``shock_frac`` on each)."""
    result = await state.compute(_get, q)
    return json_response(result)


@router.post("", response_model=CascadeResponse, summary="Cascade after given shocks")
async def cascade_post(req: CascadeRequest, state: State) -> Response:
    """The chain after day-0 moves of the named nodes (NDX, SOX, USDKRW, BTC …)."""
    result = await state.compute(_post, req)
    return json_response(result)
