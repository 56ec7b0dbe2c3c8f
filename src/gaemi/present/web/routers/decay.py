"""Decay endpoints: what a daily-reset fund loses to volatility over a horizon.

The sideways-market erosion is the Avellaneda–Zhang closed form (:mod:`gaemi.core.decay`),
1 − exp(−(L²−L)/2·σ²T + c·T); the simulation compounds the NAV daily on Monte Carlo paths
(constant volatility or GJR-GARCH-t with the embedded fitted parameters). Rates, spreads
and volatilities default to the embedded ``vol_params.yaml`` figures.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from gaemi.present.web.deps import State, answer, market_state
from gaemi.present.web.models import (
    ERROR_RESPONSES,
    FundLeverage,
    Name,
    StrictModel,
)

if TYPE_CHECKING:
    from gaemi.present.web.settings import WebState

router = APIRouter(prefix="/api/decay", tags=["decay"], responses=ERROR_RESPONSES)

VolAnnual = Annotated[float, Field(ge=0.0, le=3.0, allow_inf_nan=False)]
Months = Annotated[float, Field(gt=0.0, le=120.0, allow_inf_nan=False)]
RateAnnual = Annotated[float, Field(ge=-0.05, le=0.5, allow_inf_nan=False)]
#: Most Monte Carlo paths one request may ask for (about a second of compute).
MAX_PATHS = 100_000
#: Most simulated path-days (paths × trading days) per request: about a second of work.
MAX_PATH_DAYS = 15_000_000


class _Fund(StrictModel):
    #: SOXL as the OpenAPI example: schemathesis' explicit-examples phase sends it, so the
    #: operations reach a 2xx (issue 21); most of the 547 funds' underlyings have no
    #: volatility in the state and answer 422 "give vol_annual" to a generated ticker.
    ticker: Name | None = Field(
        None, description="A fund of the served universe (SOXL, TQQQ).", examples=["SOXL"]
    )
    leverage: FundLeverage | None = Field(
        None,
        description="Signed leverage of a hypothetical fund (L > 1 or L < 0, |L| ≤ 10); with "
        "ticker it must equal the fund's own (a different one is a 422).",
    )
    expense_ratio: Annotated[float, Field(ge=0.0, lt=0.2, allow_inf_nan=False)] | None = None
    rate_annual: RateAnnual | None = Field(None, description="Short rate; default embedded.")
    date: dt.date | None = Field(
        None, description="Day of the market state (default today); nothing later is used."
    )

    @model_validator(mode="after")
    def _one_fund(self) -> _Fund:
        if self.ticker is None and self.leverage is None:
            raise ValueError("give ticker (a fund in the universe) or leverage")
        return self

    def fund_options(self) -> dict[str, Any]:
        """The fund's keywords of :func:`gaemi.app.decay.erosion` and
        :func:`~gaemi.app.decay.decay`: a leverage given with a ticker must equal the
        fund's own (the API's rule, a different one is a 422)."""
        return {
            "leverage": self.leverage,
            "expense_ratio": self.expense_ratio,
            "rate_annual": self.rate_annual,
            "leverage_must_match": True,
        }


class ErosionQuery(_Fund):
    vol_annual: list[VolAnnual] = Field(
        default_factory=lambda: [0.2, 0.3, 0.45, 0.6, 0.8, 1.0], min_length=1, max_length=20
    )
    months: list[Months] = Field(
        default_factory=lambda: [1.0, 3.0, 6.0, 12.0], min_length=1, max_length=20
    )


class SimulateQuery(_Fund):
    months: Months = 6.0
    model: Literal["constant", "garch"] = Field(
        "constant", description="Constant vol (GBM) or GJR-GARCH-t with fitted parameters."
    )
    vol_annual: VolAnnual | None = Field(
        None, description="Constant vol; default the underlying's realised vol (embedded)."
    )
    drift_annual: Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)] = 0.0
    paths: Annotated[int, Field(ge=100, le=MAX_PATHS)] = 20_000
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0

    @model_validator(mode="after")
    def _bounded_work(self) -> SimulateQuery:
        days = max(1, round(self.months * 21))
        if self.paths * days > MAX_PATH_DAYS:
            raise ValueError(
                f"paths × days = {self.paths} × {days} is above {MAX_PATH_DAYS:,} "
                "(fewer paths or a shorter horizon)"
            )
        return self


class ErosionRow(BaseModel):
    vol_annual: float
    months: float
    loss_frac: float = Field(description="Value lost when the underlying ends flat.")
    drag_only_loss_frac: float = Field(description="(L²−L)/2·σ²T alone, without costs.")


class FundOut(BaseModel):
    ticker: str
    leverage: float
    expense_ratio: float
    spread_annual: float
    rate_annual: float
    carry_annual: float = Field(description="Rate, spread and fee carry per year.")
    underlying_id: str | None
    aum_usd: float | None


class Sideways(BaseModel):
    """The fund's flat half-year at the sideways-decay volatility (gaemi.app.decay rule)."""

    months: float
    vol_annual: float
    vol_source: str = Field(description="60-day realised | one-year realised | given")
    vol_as_of: str | None
    vol_origin: str
    vol_rule: str
    loss_frac: float
    drag_only_loss_frac: float
    aum_lost_usd: float | None


class ErosionResponse(BaseModel):
    fund: FundOut
    rows: list[ErosionRow]
    sideways: Sideways | None = Field(
        description="What a flat six months costs the fund at the sideways-decay "
        "volatility (the number of gaemi decay and the report); null for a hypothetical fund."
    )
    warnings: list[str]
    choices: list[dict[str, Any]]


class Percentile(BaseModel):
    prob: float
    fund_change_frac: float
    closed_form_change_frac: float
    underlying_move_frac: float
    aum_usd: float | None


class SimulateResponse(BaseModel):
    fund: FundOut
    model: str
    paths: int
    days: int
    seed: int
    vol_annual: float
    vol: dict[str, Any] | None = Field(
        description="The constant volatility used and why (vol_source, vol_as_of, vol_rule)."
    )
    sideways_closed_form_loss_frac: float
    median_change_frac: float
    mean_change_frac: float
    prob_loss_frac: dict[str, float] = Field(
        description="P(losing at least x) for x = 0.1, 0.25, 0.5, 0.75, 0.9 (keys)."
    )
    closed_form_median_abs_err_frac: float
    percentiles: list[Percentile]
    warnings: list[str]
    choices: list[dict[str, Any]]


def _erosion(web: WebState, q: ErosionQuery) -> ErosionResponse:
    from gaemi.app.decay import erosion

    st = market_state(web, q.date)
    res = erosion(st, q.ticker, vols_annual=q.vol_annual, months=q.months, **q.fund_options())
    d = res.to_dict()
    side = d["sideways"]
    return ErosionResponse(
        fund=FundOut(**d["fund"]),
        rows=[ErosionRow(**{k: r[k] for k in ErosionRow.model_fields}) for r in d["records"]],
        sideways=None if side is None else Sideways(**{k: side[k] for k in Sideways.model_fields}),
        warnings=d["warnings"],
        choices=d["choices"],
    )


def _simulate(web: WebState, q: SimulateQuery) -> SimulateResponse:
    from gaemi.app.decay import decay

    res = decay(
        market_state(web, q.date),
        q.ticker,
        months=q.months,
        model=q.model,
        vol_annual=q.vol_annual,
        drift_annual=q.drift_annual,
        paths=q.paths,
        rng=q.seed,
        workers=1,
        **q.fund_options(),
    )
    d = res.to_dict()
    return SimulateResponse(
        fund=FundOut(**d["fund"]),
        model=d["model"],
        paths=d["paths"],
        days=d["days"],
        seed=q.seed,
        vol_annual=d["vol_annual"],
        vol=d["vol"],
        sideways_closed_form_loss_frac=d["sideways_closed_form_loss_frac"],
        median_change_frac=d["median_change_frac"],
        mean_change_frac=d["mean_change_frac"],
        prob_loss_frac=d["prob_loss_frac"],
        closed_form_median_abs_err_frac=d["closed_form_median_abs_err_frac"],
        percentiles=[
            Percentile(**{"aum_usd": None, **{k: r[k] for k in r if k in Percentile.model_fields}})
            for r in d["records"]
        ],
        warnings=d["warnings"],
        choices=d["choices"],
    )


@router.get("/erosion", response_model=ErosionResponse, summary="Sideways-market erosion")
async def decay_erosion(q: Annotated[ErosionQuery, Query()], state: State) -> Response:
    """Closed-form loss of a flat market for each (volatility, horizon) pair."""
    return await answer(state, "decay_erosion", q, _erosion, state, q)


@router.get("/simulate", response_model=SimulateResponse, summary="Monte Carlo of a fund's NAV")
async def decay_simulate(q: Annotated[SimulateQuery, Query()], state: State) -> Response:
    """Percentiles of the fund's value after the horizon, next to the closed form; seeded."""
    return await answer(state, "decay_simulate", q, _simulate, state, q)
