"""Monitor endpoints: the composite risk status (LOW … CRITICAL) and every indicator.

Indicators and rules come from :mod:`gaemi.app.status` on the served market state (the
embedded snapshot, or the store of ``gaemi serve --db`` — the same as ``gaemi monitor --db``);
each carries its value, thresholds, rationale, as-of date and age, so a stale figure is
visible as stale.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gaemi.errors import GaemiInputError
from gaemi.present.web.deps import State, state_cached
from gaemi.present.web.models import (
    ERROR_RESPONSES,
    MoveFracJson,
    Name,
    StrictModel,
    clean,
    fold_case,
)

if TYPE_CHECKING:
    from gaemi.core.universe import Universe
    from gaemi.data.state import MarketState

router = APIRouter(prefix="/api", tags=["monitor"], responses=ERROR_RESPONSES)


@lru_cache(maxsize=1)
def default_rules() -> Any:
    """The embedded monitor rules (read once)."""
    from gaemi.monitor.indicators import load_default_rules

    return load_default_rules()


class StatusRequest(StrictModel):
    """Today's moves so far, overriding the snapshot's (``{"NDX": -0.031}``)."""

    moves_frac_by_underlying: dict[Name, MoveFracJson] = Field(
        default_factory=dict,
        max_length=50,
        description="Today's move so far of NDX and/or SOX (the underlyings the status "
        'reads; case-insensitive), e.g. {"NDX": -0.031}. Any other id is a 422.',
    )


def status_moves(u: Universe, moves: dict[str, float]) -> dict[str, float]:
    """``moves`` keyed by the status engine's underlying ids (NDX, SOX), case-insensitive.

    Any other name is a one-line error naming the field and the value, never dropped:
    the status would otherwise answer the unchanged baseline as if the move were read.
    """
    import numpy as np

    from gaemi.monitor.indicators import MOVE_UNDERLYINGS

    field = "moves_frac_by_underlying"
    out = fold_case(moves, field, per="underlying")  # as monitor --move says it
    for key in out:
        if key in MOVE_UNDERLYINGS:
            continue
        name = next(k for k in moves if k.upper() == key)
        hit = np.flatnonzero(np.char.upper(u.ticker) == key)
        hint = f"; {name} is a fund on {u.underlying_id[hit[0]]}" if hit.size else ""
        raise GaemiInputError(
            f"{field}: underlying = {name!r} is not one the status reads "
            f"(it takes {' and '.join(MOVE_UNDERLYINGS)}, case-insensitive{hint})"
        )
    return out


class IndicatorOut(BaseModel):
    id: str
    name: str
    value: float | None
    unit: str
    level: int | None = Field(description="Thresholds reached (null: not available).")
    state: str
    detail: str
    thresholds: list[float]
    rationale: str
    as_of: str | None
    age_days: int | None = Field(description="Days between the figure and today (UTC).")
    source: str


class StatusResponse(BaseModel):
    status: str = Field(
        description="LOW, GUARDED, ELEVATED, HIGH or CRITICAL; n/a when there is none (a "
        "served day past every observation by more than stale_after_days: status_past_data)."
    )
    level: int
    reason: str
    rule: str
    drivers: list[str] = Field(description="Ids of the indicators that drive the status.")
    stale: bool = Field(description="Every figure is older than the rules' staleness limit.")
    stale_after_days: int
    status_level: int = Field(description="0-4 (0 for n/a), as in gaemi report --format json.")
    status_text: str = Field(
        description="The headline with its age, the words of gaemi monitor and gaemi report: "
        "'HIGH (data as of 2026-08-03, 1 day old)', 'HIGH — stale: newest market data 125 "
        "days old (as of 2026-08-03; limit 7 days)' or 'no status: 2030-01-01 is 1,247 days "
        "after the newest market data (2026-08-03; limit 7 days)'."
    )
    status_as_of: str | None = Field(description="The newest dated indicator input (ISO).")
    status_age_days: int | None = Field(description="The served day minus status_as_of.")
    status_stale: bool = Field(description="status_age_days > stale_after_days.")
    status_past_data: bool = Field(
        description="The served day (gaemi serve --date) is past every observation by more "
        "than stale_after_days: no status (n/a)."
    )
    market: str
    indicators: list[IndicatorOut]


def day_asked(ms: MarketState) -> bool:
    """The served state's day was asked for (``gaemi serve --date``), not read today.

    :func:`gaemi.app.state.load_state` stamps a state loaded for a given day at midnight
    UTC of that day and today's with the time it was loaded; a server started without
    ``--date`` and still running after midnight keeps "today" (its status is flagged
    stale, never replaced by "no status").
    """
    import datetime as dt

    t = ms.as_of.astimezone(dt.UTC) if ms.as_of.tzinfo else ms.as_of
    return t.time() == dt.time() and t.date() == ms.day


def _status(ms: MarketState, moves: dict[str, float]) -> StatusResponse:
    """The status on the served state; a served day asked for (:func:`day_asked`) past
    every observation by more than the limit has no status, as in ``gaemi monitor --date``
    and ``gaemi report --date`` (:func:`gaemi.app.status.is_past_data`)."""
    from gaemi.app.status import status

    res = status(ms, moves=moves, rules=default_rules(), day_asked=day_asked(ms))
    fields = res.status_fields()
    return StatusResponse(
        status=res.status.status,
        level=res.level,
        reason=res.status.reason,
        rule=res.status.rule,
        drivers=[i.id for i in res.status.drivers],
        stale=res.stale,
        stale_after_days=res.stale_after_days,
        status_level=fields["status_level"],
        status_text=fields["status_text"],
        status_as_of=fields["status_as_of"],
        status_age_days=fields["status_age_days"],
        status_stale=fields["status_stale"],
        status_past_data=fields["status_past_data"],
        market=res.market_label,
        indicators=[
            IndicatorOut(
                id=i.id,
                name=i.name,
                value=clean(i.value),
                unit=i.unit,
                level=i.level,
                state=i.state,
                detail=i.detail,
                thresholds=list(i.thresholds),
                rationale=i.rationale,
                as_of=i.as_of.isoformat() if i.as_of else None,
                age_days=i.age_days(res.day),
                source=i.source,
            )
            for i in res.indicators
        ],
    )


@router.get("/status", response_model=StatusResponse, summary="Composite risk status")
async def status(state: State) -> Response:
    """The status on the served market state (the store with --db), its reason and every
    indicator (computed once per served state, then answered from memory)."""
    return await state_cached(state, "status", _status, state.state, {})


@router.post("/status", response_model=StatusResponse, summary="Status at today's moves")
async def status_at(req: StatusRequest, state: State) -> StatusResponse:
    """The status with today's moves so far (e.g. ``{"NDX": -0.031}``)."""
    moves = status_moves(state.universe, dict(req.moves_frac_by_underlying))
    return await state.compute(_status, state.state, moves)
