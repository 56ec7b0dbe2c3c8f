"""Decay endpoints: what a daily-reset fund loses to volatility over a horizon.

The sideways-market erosion is the Avellaneda–Zhang closed form (:mod:`gaemi.core.decay`),
1 − exp(−(L²−L)/2·σ²T + c·T); the simulation compounds the NAV daily on Monte Carlo paths
(constant volatility or GJR-GARCH-t with the embedded fitted parameters). Rates, spreads
and volatilities default to the embedded ``vol_params.yaml`` figures.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from gaemi.errors import GaemiInputError
from gaemi.present.web.deps import State
from gaemi.present.web.models import (
    ERROR_RESPONSES,
    FundLeverage,
    Name,
    StrictModel,
    json_response,
)

if TYPE_CHECKING:
    from gaemi.core.nav import FundTerms
    from gaemi.core.universe import Universe

router = APIRouter(prefix="/api/decay", tags=["decay"], responses=ERROR_RESPONSES)

VolAnnual = Annotated[float, Field(ge=0.0, le=3.0, allow_inf_nan=False)]
Months = Annotated[float, Field(gt=0.0, le=120.0, allow_inf_nan=False)]
RateAnnual = Annotated[float, Field(ge=-0.05, le=0.5, allow_inf_nan=False)]
#: Most Monte Carlo paths one request may ask for (about a second of compute).
MAX_PATHS = 100_000
#: Most simulated path-days (paths × trading days) per request: about a second of work.
MAX_PATH_DAYS = 15_000_000


@lru_cache(maxsize=1)
def vol_defaults() -> Any:
    """The embedded volatility, rate and spread figures (read once)."""
    from gaemi.data.returns import load_vol_defaults

    return load_vol_defaults()


class _Fund(StrictModel):
    ticker: Name | None = Field(None, description="A fund of the served universe (SOXL, TQQQ).")
    leverage: FundLeverage | None = Field(
        None,
        description="Signed leverage of a hypothetical fund (L > 1 or L < 0, |L| ≤ 10); with "
        "ticker it must equal the fund's own (a different one is a 422).",
    )
    expense_ratio: Annotated[float, Field(ge=0.0, lt=0.2, allow_inf_nan=False)] | None = None
    rate_annual: RateAnnual | None = Field(None, description="Short rate; default embedded.")

    @model_validator(mode="after")
    def _one_fund(self) -> _Fund:
        if self.ticker is None and self.leverage is None:
            raise ValueError("give ticker (a fund in the universe) or leverage")
        return self


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


class ErosionResponse(BaseModel):
    fund: FundOut
    rows: list[ErosionRow]


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
    sideways_closed_form_loss_frac: float
    median_change_frac: float
    mean_change_frac: float
    prob_loss_frac: dict[str, float] = Field(
        description="P(losing at least x) for x = 0.1, 0.25, 0.5, 0.75, 0.9 (keys)."
    )
    closed_form_median_abs_err_frac: float
    percentiles: list[Percentile]


def _fund(u: Universe, q: _Fund) -> tuple[FundTerms, FundOut, float]:
    from gaemi.core.nav import FundTerms

    vd = vol_defaults()
    rate = vd.rate_annual if q.rate_annual is None else q.rate_annual
    uid: str | None = None
    aum: float | None = None
    if q.ticker is not None:
        f = u.where_ticker([q.ticker])
        lev = float(f.leverage[0])
        if q.leverage is not None and abs(q.leverage - lev) > 1e-9:
            raise GaemiInputError(
                f"ticker = {q.ticker!r} is a {lev:+g}x fund but leverage = {q.leverage:g}: "
                "give the ticker alone, or leverage alone for a hypothetical fund"
            )
        er = float(f.expense_ratio[0]) if q.expense_ratio is None else q.expense_ratio
        if np.isnan(er):
            raise GaemiInputError(f"{q.ticker}: expense ratio unknown; give expense_ratio")
        name, uid, aum = str(f.ticker[0]), str(f.underlying_id[0]), float(f.aum_usd[0])
    else:
        assert q.leverage is not None
        lev, er, name = q.leverage, q.expense_ratio or 0.0, f"{q.leverage:+g}x"
    terms = FundTerms(lev, er, vd.spread_annual, name)
    out = FundOut(
        ticker=name,
        leverage=lev,
        expense_ratio=er,
        spread_annual=vd.spread_annual,
        rate_annual=rate,
        carry_annual=float(terms.carry_annual(rate)),
        underlying_id=uid,
        aum_usd=aum,
    )
    return terms, out, rate


def _erosion(u: Universe, q: ErosionQuery) -> ErosionResponse:
    from gaemi.core.decay import erosion_table

    terms, fund, rate = _fund(u, q)
    df = erosion_table(terms, q.vol_annual, q.months, rate).to_frame()
    rows = [
        ErosionRow(
            vol_annual=float(r["vol_annual"]),
            months=float(r["months"]),
            loss_frac=float(r["loss_frac"]),
            drag_only_loss_frac=float(r["drag_only_loss_frac"]),
        )
        for r in df.to_dict("records")
    ]
    return ErosionResponse(fund=fund, rows=rows)


def _simulate(u: Universe, q: SimulateQuery) -> SimulateResponse:
    from gaemi.core.decay import DEFAULT_LOSSES, simulate_fund
    from gaemi.core.paths import ConstantVol, GjrGarchT, ReturnModel

    terms, fund, rate = _fund(u, q)
    uid = fund.underlying_id
    vd = vol_defaults()
    model: ReturnModel
    if q.model == "constant":
        if q.vol_annual is None:
            if uid is None:
                raise GaemiInputError(
                    "a hypothetical fund (leverage without ticker) needs vol_annual"
                )
            vol = vd.get(uid).realised_vol_annual
        else:
            vol = q.vol_annual
        model = ConstantVol([vol], q.drift_annual, (uid or "underlying",), None)
    else:
        if q.vol_annual is not None:
            raise GaemiInputError("vol_annual sets a constant vol; it cannot be used with garch")
        if uid is None:
            raise GaemiInputError(
                "model = 'garch' needs a ticker (fitted parameters per underlying)"
            )
        model = GjrGarchT((vd.get(uid).garch,), None, drift_annual=q.drift_annual)
    n_days = max(1, round(q.months * 21))
    res = simulate_fund(
        terms,
        model,
        n_days,
        q.paths,
        q.seed,
        rate_annual=rate,
        aum0_usd=fund.aum_usd or 1.0,
        workers=1,
    )
    s = res.summary()
    pct = res.to_frame()
    return SimulateResponse(
        fund=fund,
        model=res.model_label,
        paths=res.n_paths,
        days=n_days,
        seed=q.seed,
        vol_annual=float(res.vol_annual),
        sideways_closed_form_loss_frac=float(s["sideways_closed_form_loss_frac"]),
        median_change_frac=float(s["median_change_frac"]),
        mean_change_frac=float(s["mean_change_frac"]),
        prob_loss_frac={f"{x:g}": res.prob_loss(x) for x in DEFAULT_LOSSES},
        closed_form_median_abs_err_frac=float(s["closed_form_median_abs_err_frac"]),
        percentiles=[
            Percentile(
                prob=float(r["prob"]),
                fund_change_frac=float(r["fund_change_frac"]),
                closed_form_change_frac=float(r["closed_form_change_frac"]),
                underlying_move_frac=float(r["underlying_move_frac"]),
                aum_usd=float(r["aum_usd"]) if fund.aum_usd is not None else None,
            )
            for r in pct.to_dict("records")
        ],
    )


@router.get("/erosion", response_model=ErosionResponse, summary="Sideways-market erosion")
async def decay_erosion(q: Annotated[ErosionQuery, Query()], state: State) -> Response:
    """Closed-form loss of a flat market for each (volatility, horizon) pair."""
    result = await state.compute(_erosion, state.universe, q)
    return json_response(result)


@router.get("/simulate", response_model=SimulateResponse, summary="Monte Carlo of a fund's NAV")
async def decay_simulate(q: Annotated[SimulateQuery, Query()], state: State) -> Response:
    """Percentiles of the fund's value after the horizon, next to the closed form; seeded."""
    result = await state.compute(_simulate, state.universe, q)
    return json_response(result)
