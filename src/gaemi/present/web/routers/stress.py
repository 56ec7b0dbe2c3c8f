"""Stress endpoints: the close feedback loop for one shock and over a grid of shocks.

The closing move solves r = r₀ + I(Σ_p flow_p(r)) (:mod:`gaemi.core.feedback`) with the
participants and liquidity of the embedded stress scenario (:mod:`gaemi.data.stress`),
sized from the fund universe. ``liquidity_scale`` multiplies the underlying's ADV.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from gaemi.errors import GaemiInputError
from gaemi.present.web.deps import State, answer, state_cached
from gaemi.present.web.models import (
    ERROR_RESPONSES,
    MAX_MOVES,
    Name,
    StrictModel,
    UsdAssets,
    clean,
)

if TYPE_CHECKING:
    from gaemi.app.stress import StressSetup
    from gaemi.core.feedback import CriticalShock, FeedbackResult
    from gaemi.core.universe import Universe
    from gaemi.data.state import MarketState
    from gaemi.data.stress import StressScenario

router = APIRouter(prefix="/api/stress", tags=["stress"], responses=ERROR_RESPONSES)

#: A shock into the close, fraction; a price cannot fall 100 %.
ShockFrac = Annotated[float, Field(ge=-0.99, le=1.0, allow_inf_nan=False)]
LiquidityScale = Annotated[float, Field(ge=0.05, le=20.0, allow_inf_nan=False)]


@lru_cache(maxsize=1)
def default_scenario() -> StressScenario:
    """The embedded default stress scenario (read once)."""
    from gaemi.data.stress import load_default_stress

    return load_default_stress()


# ---------------------------------------------------------------- request models
class _StressCommon(StrictModel):
    underlying: Name = Field("NDX", description="Underlying id with liquidity in the scenario.")
    korean_aum_usd: UsdAssets | None = Field(
        None, description="What-if: Korean holdings of the 3x funds total this, USD."
    )
    liquidity_scale: LiquidityScale = Field(
        1.0, description="Multiple of the scenario's ADV (and so of the close's capacity)."
    )

    def setup_options(self) -> dict[str, Any]:
        """The set-up keywords of :func:`gaemi.app.stress.stress` and
        :func:`~gaemi.app.stress.stress_curve`: the served scenario, the what-if Korean
        holdings and the liquidity multiple."""
        return {
            "scenario": default_scenario(),
            "korean_aum_usd": self.korean_aum_usd,
            "liquidity_scale": self.liquidity_scale,
        }


class StressQuery(_StressCommon):
    shock_frac: ShockFrac = Field(-0.05, description="Move into the close r₀, fraction.")


class CurveQuery(_StressCommon):
    shock_from_frac: ShockFrac = Field(-0.20, description="First shock of the grid.")
    shock_to_frac: ShockFrac = Field(0.0, description="Last shock of the grid.")
    shock_step_frac: Annotated[float, Field(ge=1e-4, le=1.0, allow_inf_nan=False)] = Field(
        0.005, description="Step between shocks, fraction."
    )

    @model_validator(mode="after")
    def _bounded_grid(self) -> CurveQuery:
        n = int(abs(self.shock_to_frac - self.shock_from_frac) / self.shock_step_frac + 1e-9) + 1
        if n > MAX_MOVES:
            raise ValueError(
                f"the curve has {n} shocks; at most {MAX_MOVES} (widen shock_step_frac)"
            )
        return self


# ---------------------------------------------------------------- response models
class Liquidity(BaseModel):
    underlying: str
    adv_usd: float = Field(description="Average daily value traded, USD (after the scale).")
    closing_share: float = Field(description="Fraction of the day's value traded at the close.")
    capacity_usd: float = Field(description="Close capacity: closing share × ADV, USD.")
    sigma_daily: float = Field(description="Daily volatility, fraction.")
    spx_beta: float
    letf_flow_per_pct_usd: float = Field(description="LETF rebalancing per 1 % move, USD.")
    threshold_move_frac: float | None = Field(
        None,
        description="The close move at which the leveraged funds' flow alone equals the "
        "close capacity (letf_pressure_ratio = 1), signed like the shock analysed: negative "
        "for a fall (shock_frac <= 0, and in /api/stress/underlyings, which has no shock), "
        "positive for a rise (a +2 % shock fills the close at +threshold). The CLI's "
        "threshold_move_frac.",
    )


class Critical(BaseModel):
    """Where the outcome jumps (Gennotte–Leland); null where it never jumps."""

    shock_frac: float | None
    move_before_frac: float | None
    move_after_frac: float | None
    unstable: bool


class StressPoint(BaseModel):
    shock_frac: float
    final_move_frac: float
    extra_move_frac: float
    amplification: float | None
    runaway: bool
    total_flow_usd: float
    flows_usd: dict[str, float] = Field(description="Each participant's flow, USD (+ buys).")
    letf_pressure_ratio: float = Field(
        description="|Leveraged funds' flow| / close capacity at the final move (1 at "
        "|liquidity.threshold_move_frac|; the monitor's close_pressure)."
    )
    total_pressure_ratio: float = Field(
        description="|All participants' flow| (total_flow_usd) / close capacity at the final move."
    )
    spx_move_frac: float
    cb_level: int = Field(description="Market-wide circuit-breaker level reached (0–3).")
    cb_halt: bool


class StressResponse(BaseModel):
    scenario: str
    liquidity: Liquidity
    critical: Critical
    result: StressPoint


class CurveResponse(BaseModel):
    scenario: str
    liquidity: Liquidity
    critical: Critical
    points: list[StressPoint]


# ---------------------------------------------------------------- computation
def stress_underlyings_of(u: Universe) -> list[str]:
    """Underlyings the stress endpoints take: close liquidity in the scenario and funds on
    them in the served universe (the same list as ``/api/stress/underlyings``)."""
    from gaemi.app.stress import stress_underlyings

    return stress_underlyings(u, default_scenario())


def _check_underlying(u: Universe, underlying: str) -> None:
    accepted = stress_underlyings_of(u)
    if underlying.upper() not in accepted:
        raise GaemiInputError(
            f"underlying = {underlying!r} has no close liquidity in the stress scenario "
            f"(accepted: {', '.join(accepted)}; see /api/stress/underlyings)"
        )


def _liquidity(setup: StressSetup, direction: float = -1.0) -> Liquidity:
    return Liquidity(**setup.liquidity_dict(direction))


def _critical(c: CriticalShock) -> Critical:
    return Critical(
        shock_frac=clean(c.shock_frac[0]),
        move_before_frac=clean(c.move_before_frac[0]),
        move_after_frac=clean(c.move_after_frac[0]),
        unstable=bool(c.unstable[0]),
    )


def _points(setup: StressSetup, res: FeedbackResult, direction: float) -> list[StressPoint]:
    from gaemi.app.stress import point_frame

    df = point_frame(setup, res, direction)
    flows = list(res.flow_usd)
    return [
        StressPoint(
            shock_frac=float(r["shock_frac"]),
            final_move_frac=float(r["final_move_frac"]),
            extra_move_frac=float(r["extra_move_frac"]),
            amplification=clean(r["amplification"]),
            runaway=bool(r["runaway"]),
            total_flow_usd=float(r["total_flow_usd"]),
            flows_usd={k: float(r[f"{k}_flow_usd"]) for k in flows},
            letf_pressure_ratio=float(r["letf_pressure_ratio"]),
            total_pressure_ratio=float(r["total_pressure_ratio"]),
            spx_move_frac=float(r["spx_move_frac"]),
            cb_level=int(r["cb_level"]),
            cb_halt=bool(r["cb_halt"]),
        )
        for r in df.to_dict(orient="records")
    ]


def _head(r: Any) -> dict[str, Any]:
    """What a single shock and a curve answer alike: the scenario, the underlying's close
    liquidity in the direction of the shock, and its critical shock."""
    return {
        "scenario": r.setup.scenario_name,
        "liquidity": _liquidity(r.setup, r.direction),
        "critical": _critical(r.critical),
    }


def _single(ms: MarketState, q: StressQuery) -> StressResponse:
    from gaemi.app.stress import stress

    _check_underlying(ms.universe, q.underlying)
    r = stress(ms, q.underlying, q.shock_frac, **q.setup_options())
    return StressResponse(**_head(r), result=_points(r.setup, r.result, r.direction)[0])


def _curve(ms: MarketState, q: CurveQuery) -> CurveResponse:
    from gaemi.app.stress import stress_curve
    from gaemi.core.flows import ladder_moves

    _check_underlying(ms.universe, q.underlying)
    shocks = ladder_moves(q.shock_from_frac, q.shock_to_frac, q.shock_step_frac)
    r = stress_curve(ms, q.underlying, shocks, **q.setup_options())
    return CurveResponse(**_head(r), points=_points(r.setup, r.result, r.direction))


def _underlyings(ms: MarketState) -> list[Liquidity]:
    from gaemi.app.stress import stress_setup

    return [
        _liquidity(stress_setup(ms, uid, scenario=default_scenario()))
        for uid in stress_underlyings_of(ms.universe)
    ]


# ---------------------------------------------------------------- endpoints
@router.get("/underlyings", response_model=list[Liquidity], summary="Underlyings with liquidity")
async def stress_underlyings(state: State) -> Response:
    """The underlyings the stress scenario has close liquidity for (and funds on)."""
    return await state_cached(state, "stress_underlyings", _underlyings, state.state)


@router.get("", response_model=StressResponse, summary="Feedback loop for one shock")
async def stress_single(q: Annotated[StressQuery, Query()], state: State) -> Response:
    """Closing move reached from ``shock_frac``, each participant's flow, breaker level."""
    return await answer(state, "stress", q, _single, state.state, q)


@router.get("/curve", response_model=CurveResponse, summary="Feedback curve over shocks")
async def stress_curve(q: Annotated[CurveQuery, Query()], state: State) -> Response:
    """Closing move against the shock (default −20 % … 0 by 0.5 %) and the critical shock."""
    return await answer(state, "stress_curve", q, _curve, state.state, q)
