"""Investor endpoints: an account replayed on real history (issue 20).

``POST /api/investor/replay`` takes the account of ``gaemi investor --replay`` as JSON and
answers :meth:`gaemi.app.account.AccountReplayResult.to_dict` unchanged, so the CLI's
``--format json``, this endpoint and the Python call give the same document. Prices and
USD/KRW are read from the folder laid out like ../shared/data that the server was given
(``WebSettings.data_dir`` when present), else ``$GAEMI_SHARED_DATA`` or ../shared/data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from gaemi.errors import GaemiInputError
from gaemi.present.web.deps import State, market_state
from gaemi.present.web.models import (
    ERROR_RESPONSES,
    Name,
    StrictModel,
    fold_case,
    json_data_response,
)

if TYPE_CHECKING:
    from gaemi.present.web.settings import WebState

router = APIRouter(prefix="/api/investor", tags=["investor"], responses=ERROR_RESPONSES)

#: Most forward-simulation paths one request may ask for.
MAX_FORWARD_PATHS = 20_000
#: Most simulated path-days (forward paths × trading days) per request: about two seconds.
MAX_PATH_DAYS = 10_000_000
#: Largest amount (capital, deposit, target, top-up) in the account's currency.
MAX_AMOUNT = 1e15

Amount = Annotated[float, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, allow_inf_nan=False)]


class ReplayRequest(StrictModel):
    """The account and strategy (the options of ``gaemi investor --replay``)."""

    #: One valid small replay (SOXL only, one quarter of 2024, which ../shared/data
    #: covers): the OpenAPI example schemathesis' explicit-examples phase sends, so the
    #: operation reaches a 2xx (issue 21); generated bodies rarely hit history dates.
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "start": "2024-07-01",
                    "end": "2024-09-30",
                    "capital": 10_000_000.0,
                    "currency": "KRW",
                    "positions": {"SOXL": 1.0},
                }
            ]
        }
    )

    start: dt.date = Field(description="First day (bought at its close), YYYY-MM-DD.")
    end: dt.date | None = Field(None, description="Last day (default: the data's last).")
    capital: Amount = Field(description="Own money at the start, in currency (> 0).")
    currency: Literal["KRW", "USD"] = "KRW"
    positions: dict[Name, Annotated[float, Field(allow_inf_nan=False)]] = Field(
        default_factory=lambda: {"SOXL": 1.0},
        min_length=1,
        max_length=20,
        description="Ticker → weight of the money invested; weights sum to 1.",
    )
    margin: Annotated[float, Field(ge=0.0, le=20.0, allow_inf_nan=False)] = Field(
        0.0, description="Loan / capital at the start (0.5 = borrow half the capital)."
    )
    maintenance_ratio: Annotated[float, Field(gt=1.0, le=10.0, allow_inf_nan=False)] | None = None
    grace_days: Annotated[int, Field(ge=0, le=30)] | None = None
    loan_rate_annual: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] | None = None
    forced_sale_discount: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)] | None = None
    deposit: Amount = Field(0.0, description="Added on the first trading day of each month.")
    rebalance: str = Field("none", description="none | monthly | quarterly")
    stop_loss_frac: Annotated[float, Field(allow_inf_nan=False)] | None = None
    target: Amount | None = Field(None, description="Cash out at this equity (graduate).")
    top_up_max: Amount = Field(0.0, description="Money added per margin call to cure it.")
    backfill: bool = Field(False, description="Extend a fund before it existed (synthetic).")
    forward_paths: Annotated[int, Field(ge=0, le=MAX_FORWARD_PATHS)] = Field(
        0, description="Paths of the forward simulation from the first day (0: none)."
    )
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 0


class ReplayResponse(BaseModel):
    """:meth:`AccountReplayResult.to_dict` (money keys carry the account's currency)."""

    model_config = ConfigDict(extra="allow")

    kind: str
    summary: str
    start: str
    end: str
    currency: str
    positions: dict[str, float]
    margin: float
    end_equity_krw: float | None
    end_equity_usd: float | None
    max_drawdown_frac: float | None
    margin_calls: int
    forced_sales: int
    first_margin_call: str | None
    first_forced_sale: str | None
    ruined_on: str | None
    graduated_on: str | None
    synthetic_until: dict[str, str]
    synthetic_days: int
    end_value_percentile_in_forward_sim: float | None
    records: list[dict[str, Any]] = Field(
        description="One per trading day: date, equity_krw, equity_usd, loan, ratio, "
        "drawdown_frac, usdkrw, synthetic, close_<TICKER>_usd."
    )
    events: list[dict[str, Any]] = Field(
        description="margin_call, call_cured, top_up, forced_sale, stop_loss, ruined, "
        "graduated: date, amount in the account's currency and USD, price basis, detail."
    )
    forward: list[dict[str, Any]]
    backfilled: list[dict[str, Any]]
    warnings: list[str]
    choices: list[dict[str, Any]]
    sources: list[str]


def price_folder(web: WebState) -> Path:
    """The ../shared/data-like folder the replay reads (one-line error when none)."""
    from gaemi.app.validate import default_data_dir

    given = getattr(web.settings, "data_dir", None)
    folder = Path(given) if given is not None else default_data_dir()
    if folder is None:
        raise GaemiInputError(
            "data_dir = None: the server has no price folder (serve with --data-dir or set "
            "GAEMI_SHARED_DATA to a folder laid out like ../shared/data)"
        )
    return folder


def check_work(req: ReplayRequest) -> None:
    """Refuse a forward simulation above :data:`MAX_PATH_DAYS` before any work."""
    import numpy as np

    if not req.forward_paths:
        return
    end = req.end or dt.datetime.now(dt.UTC).date()
    days = int(np.busday_count(req.start, max(end, req.start)))
    if req.forward_paths * days > MAX_PATH_DAYS:
        raise GaemiInputError(
            f"forward_paths = {req.forward_paths}: × {days} trading days is above "
            f"{MAX_PATH_DAYS:,} path-days (fewer paths or a shorter replay)"
        )


def replay(web: WebState, req: ReplayRequest) -> dict[str, Any]:
    """Run the replay; the result's ``to_dict()``."""
    from gaemi.app.account import replay_account

    check_work(req)
    res = replay_account(
        market_state(web),
        req.capital,
        list(fold_case(req.positions, "positions").items()),
        start=req.start,
        end=req.end,
        data_dir=price_folder(web),
        currency=req.currency,
        margin=req.margin,
        maintenance_ratio=req.maintenance_ratio,
        grace_days=req.grace_days,
        loan_rate_annual=req.loan_rate_annual,
        forced_sale_discount=req.forced_sale_discount,
        deposit=req.deposit,
        rebalance=req.rebalance,
        stop_loss_frac=req.stop_loss_frac,
        target=req.target,
        top_up_max=req.top_up_max,
        backfill=req.backfill,
        forward_paths=req.forward_paths,
        rng=req.seed,
    )
    return res.to_dict()


@router.post("/replay", response_model=ReplayResponse, summary="Replay an account on history")
async def investor_replay(req: ReplayRequest, state: State) -> Response:
    """Daily equity (KRW and USD), drawdown, every margin call, top-up and forced sale of
    the account on real prices and USD/KRW; optionally where the realised outcome falls in
    the forward simulation started on the first day."""
    result = await state.compute(replay, state, req)
    return json_data_response(result)
