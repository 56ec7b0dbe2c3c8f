"""Crypto endpoints: the liquidation cascade of leveraged perpetuals after a price shock.

Shock → liquidations → forced market orders → impact through each asset's depth curve
→ more liquidations, to the fixed point (:mod:`gaemi.core.crypto`), on the calibrated
default population (:mod:`gaemi.data.crypto`, anchored on 10–11 Oct 2025). The Korean
holder slice's loss is in KRW.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gaemi.app.crypto import default_setup
from gaemi.errors import check_above_minus_100
from gaemi.present.web.deps import State, request_key, state_cached
from gaemi.present.web.models import (
    ERROR_RESPONSES,
    Name,
    StrictModel,
    fold_case,
    json_response,
    refuse_below_minus_100,
)

__all__ = ["default_setup", "router"]

router = APIRouter(prefix="/api/crypto", tags=["crypto"], responses=ERROR_RESPONSES)

#: A crypto shock, fraction: above −100 %, at most +200 %. The lower bound (the schema's
#: exclusiveMinimum −1) is the rule of every face (:func:`gaemi.errors.check_above_minus_100`,
#: called by :func:`gaemi.app.crypto.crypto_cascade`; below −100 %
#: :func:`~gaemi.present.web.models.refuse_below_minus_100`), not pydantic's, so −100 % and
#: below read as on the CLI: ``… = -1.0 must be above -100%``, ``… = -1.5 is below -100% …``.
_ABOVE_MINUS_1 = {"exclusiveMinimum": -1.0}
CryptoMove = Annotated[float, Field(le=2.0, allow_inf_nan=False, json_schema_extra=_ABOVE_MINUS_1)]
CryptoMoveJson = Annotated[
    float, Field(le=2.0, allow_inf_nan=False, strict=True, json_schema_extra=_ABOVE_MINUS_1)
]
DepthScale = Annotated[float, Field(ge=0.05, le=20.0, allow_inf_nan=False)]


class PositioningFields(StrictModel):
    """A dated positioning in place of the config's Oct-2025 snapshot (all optional)."""

    date: dt.date | None = Field(
        None,
        description="Positioning before this day: a FACTS.md (i) event's open interest, or "
        "the Coinalyze BTC-perp open interest and funding of the day before (2022-01-03.."
        "2024-09-20, when the server has --data-dir).",
    )
    open_interest_usd: Annotated[float, Field(allow_inf_nan=False)] | None = Field(
        None, description="All-coin open interest, USD ($0.1B-$5T); overrides the date's."
    )
    leveraged_frac_of_oi: Annotated[float, Field(allow_inf_nan=False)] | None = Field(
        None, description="Share of open interest in liquidatable leveraged positions."
    )
    long_share_frac: Annotated[float, Field(allow_inf_nan=False)] | None = Field(
        None, description="Long share of those positions."
    )
    funding_rate_frac: Annotated[float, Field(allow_inf_nan=False)] | None = Field(
        None, description="Funding per 8 h (reported with the positioning, not used)."
    )

    def positioning(self, data_dir: Path | None) -> dict[str, Any]:
        """Keyword arguments of :func:`gaemi.app.crypto.crypto_cascade`."""
        return {
            "date": None if self.date is None else self.date.isoformat(),
            "data_dir": data_dir if self.date is not None else None,
            "open_interest_usd": self.open_interest_usd,
            "leveraged_frac_of_oi": self.leveraged_frac_of_oi,
            "long_share_frac": self.long_share_frac,
            "funding_rate_frac": self.funding_rate_frac,
        }


class CryptoQuery(PositioningFields):
    asset: Name = Field("BTC", description="Asset shocked; the others follow BTC by beta.")
    shock_frac: CryptoMove = Field(-0.10, description="Its move, fraction (above -1).")
    depth_scale: DepthScale = Field(1.0, description="Multiple of every order-book depth.")


class CryptoRequest(PositioningFields):
    shocks_frac_by_asset: dict[Name, CryptoMoveJson] = Field(
        min_length=1,
        max_length=10,
        description='Moves by asset, fractions above -1, e.g. {"BTC": -0.1}.',
    )
    depth_scale: Annotated[float, Field(ge=0.05, le=20.0, allow_inf_nan=False, strict=True)] = 1.0


class CryptoResponse(BaseModel):
    config: str
    population_positions: int
    total_liquidated_usd: float
    long_share_frac: float | None = Field(description="Fraction of liquidations that are longs.")
    rounds: int
    converged: bool
    usdkrw: float = Field(description="KRW per USD used for the Korean slice.")
    assets: list[dict[str, Any]] = Field(
        description="Per asset: shock_move_frac, low_move_frac, final_move_frac, "
        "liquidated_long_usd, liquidated_short_usd, liquidated_total_usd, forced_flow_usd."
    )
    rounds_table: list[dict[str, Any]] = Field(
        description="Per round: liquidated_long_usd, liquidated_short_usd, cumulative_usd."
    )
    korea: list[dict[str, Any]] = Field(
        description="Korean holder slice: holdings_krw, krw_move_frac, pnl_krw per holder."
    )


def _in_range(shocks: dict[str, float]) -> dict[str, float]:
    """``shocks``, each above -100 % or less low (the CLI's words below -100 %)."""
    for key, move in shocks.items():
        refuse_below_minus_100(move, f"shocks_frac_by_asset.{key}")
    return shocks


def _run(
    shocks: dict[str, float],
    depth_scale: float,
    positioning: dict[str, Any] | None = None,
    field_name: str = "shocks_frac_by_asset",
) -> CryptoResponse:
    from gaemi.app.crypto import crypto_cascade

    res = crypto_cascade(
        None,
        _in_range(fold_case(shocks, "shocks_frac_by_asset", per="asset")),  # the CLI's words
        depth_scale=depth_scale,
        field_name=field_name,  # the errors name the request's field, in the CLI's words
        **(positioning or {}),
    )
    d = res.to_dict()
    return CryptoResponse(
        config=d["config"],
        population_positions=d["population_positions"],
        total_liquidated_usd=d["total_liquidated_usd"],
        long_share_frac=d["long_share_frac"],
        rounds=d["rounds"],
        converged=d["converged"],
        usdkrw=d["usdkrw"],
        assets=d["records"],
        rounds_table=d["rounds_table"],
        korea=d["korea"],
    )


def _get(q: CryptoQuery, data_dir: Path | None = None) -> CryptoResponse:
    refuse_below_minus_100(q.shock_frac, "shock_frac")
    check_above_minus_100(q.shock_frac, "shock_frac")  # the query names the move apart
    return _run({q.asset: q.shock_frac}, q.depth_scale, q.positioning(data_dir), "asset")


def _post(req: CryptoRequest, data_dir: Path | None = None) -> CryptoResponse:
    return _run(dict(req.shocks_frac_by_asset), req.depth_scale, req.positioning(data_dir))


@router.get("", response_model=CryptoResponse, summary="Liquidation cascade after one shock")
async def crypto_get(q: Annotated[CryptoQuery, Query()], state: State) -> Response:
    """Liquidations by round and asset, and the Korean slice's loss in KRW."""
    if (key := request_key("crypto", q)) is not None:
        return await state_cached(state, key, _get, q)
    result = await state.compute(_get, q, state.settings.data_dir)
    return json_response(result)


@router.post("", response_model=CryptoResponse, summary="Liquidation cascade after shocks")
async def crypto_post(req: CryptoRequest, state: State) -> Response:
    """The cascade after moves of several assets (BTC, ETH, SOL, ALT)."""
    result = await state.compute(_post, req, state.settings.data_dir)
    return json_response(result)
