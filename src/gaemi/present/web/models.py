"""Pydantic models shared by every router: errors, bounded scalar types, common rows.

Field names carry their units (``move_frac``, ``flow_usd``, ``aum_usd``); floats refuse
NaN and infinity; every number and list has a bound, so a request cannot ask for an
unbounded computation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from gaemi.errors import GaemiInputError, given_twice
from gaemi.limits import MAX_AUM_USD, MAX_FUND_LEVERAGE, is_fund_leverage

V = TypeVar("V")

#: A move of an underlying as a decimal fraction (−0.05 = −5 %); a price cannot go negative.
MoveFrac = Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)]
#: An amount in USD, bounded to ±$10 trillion.
UsdAmount = Annotated[float, Field(ge=-MAX_AUM_USD, le=MAX_AUM_USD, allow_inf_nan=False)]
#: A non-negative amount in USD up to $10 trillion.
UsdAssets = Annotated[float, Field(ge=0.0, le=MAX_AUM_USD, allow_inf_nan=False)]
#: The same in a JSON body: strict, so ``true`` or ``"0.1"`` is refused rather than coerced.
MoveFracJson = Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False, strict=True)]
UsdAmountJson = Annotated[
    float, Field(ge=-MAX_AUM_USD, le=MAX_AUM_USD, allow_inf_nan=False, strict=True)
]
UsdAssetsJson = Annotated[float, Field(ge=0.0, le=MAX_AUM_USD, allow_inf_nan=False, strict=True)]


def _fund_leverage(value: float) -> float:
    """A leveraged (L > 1) or inverse (L < 0) fund: :func:`gaemi.limits.is_fund_leverage`."""
    if not is_fund_leverage(value):
        raise ValueError(
            f"leverage = {value!r} is not a leveraged or inverse fund "
            "(need L > 1 or L < 0, e.g. 3 or -2)"
        )
    return value


#: A fund's signed daily leverage as a user gives it: L > 1 or L < 0, |L| <= 10 — the one
#: rule of the CLI (flows --fund, decay --leverage) and every endpoint.
FundLeverage = Annotated[
    float,
    Field(ge=-MAX_FUND_LEVERAGE, le=MAX_FUND_LEVERAGE, allow_inf_nan=False),
    AfterValidator(_fund_leverage),
]
#: The same in a JSON body: strict, so ``true`` or ``"3"`` is refused rather than coerced.
FundLeverageJson = Annotated[
    float,
    Field(ge=-MAX_FUND_LEVERAGE, le=MAX_FUND_LEVERAGE, allow_inf_nan=False, strict=True),
    AfterValidator(_fund_leverage),
]
#: A fund ticker, an underlying id or group name.
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
]

#: Most moves in one request (a ladder of −100 % … +100 % by 0.5 %).
MAX_MOVES = 401


class StrictModel(BaseModel):
    """Requests: unknown fields are errors, NaN and infinity are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class ErrorResponse(BaseModel):
    """Every 4xx/5xx answer: one line naming the field and the value, or the limit."""

    detail: Any = Field(description="What was wrong (a string, or FastAPI's list of fields)")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "Request body too large"},
    422: {"model": ErrorResponse, "description": "Invalid input (field and value named)"},
    503: {"model": ErrorResponse, "description": "Computation took longer than the limit"},
}


def clean(value: Any) -> Any:
    """NumPy scalars to Python, NaN/inf to ``None`` (JSON has no NaN)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fold_case(
    mapping: Mapping[str, V], field: str, *, per: str | None = None, day: int | None = None
) -> dict[str, V]:
    """``mapping`` keyed by upper-cased ids; two keys naming one id are a one-line error.

    Ids (underlyings, tickers, nodes, assets) are case-insensitive, so ``{"ndx": …,
    "NDX": …}`` names NDX twice; keeping either value would silently drop the other.
    With ``per`` (what one move is for: ``asset``, ``node and day``) the mapping holds
    moves and the error is the CLI's (:func:`gaemi.errors.given_twice`, ``day`` as there):
    ``shocks_frac_by_asset BTC is given twice (BTC=-0.05, btc=-0.01); give one move per
    asset``.
    """
    out: dict[str, V] = {}
    given: dict[str, str] = {}
    for key, value in mapping.items():
        up = key.upper()
        if up in given:
            if per is not None:
                first = f"{given[up]}={_move_text(mapping[given[up]])}"
                raise given_twice(field, up, first, f"{key}={_move_text(value)}", per, day)
            raise GaemiInputError(
                f"{field}: {given[up]!r} and {key!r} both name {up} (ids are "
                "case-insensitive); give it once"
            )
        given[up] = key
        out[up] = value
    return out


def refuse_below_minus_100(move_frac: float, field: str) -> None:
    """A move below -100 % is out of every move's range: one line in the words of the CLI
    and the core (:func:`gaemi.core.flows.validate_moves`: ``shocks_frac_by_asset.BTC =
    -1.5 is below -100% (a price cannot go negative)``, as ``--shock BTC = '-150%' is below
    -100% …``). -100 % itself is left to the caller's rule
    (:func:`gaemi.errors.check_above_minus_100` for a price; a rate node may take -1 pp)."""
    if move_frac < -1.0:
        from gaemi.core.flows import validate_moves

        validate_moves([move_frac], field)


def _move_text(value: object) -> str:
    """A move as the API's errors write it (``-0.05``), as app.contagion does."""
    return f"{float(value):g}" if isinstance(value, int | float) else str(value)


def json_response(model: BaseModel, *, exclude_unset: bool = False) -> Response:
    """Serialise ``model`` once with pydantic's Rust encoder (NaN → null).

    Endpoints still declare ``response_model`` for the OpenAPI schema; returning a ready
    ``Response`` skips FastAPI's second validation of the same data, which costs more
    than computing a flow ladder.
    """
    return Response(
        model.model_dump_json(exclude_unset=exclude_unset), media_type="application/json"
    )


def json_data_response(data: Any) -> Response:
    """JSON-ready data (NaN already ``None``) as a response; NaN or infinity is a bug."""
    import json

    return Response(
        json.dumps(data, allow_nan=False, separators=(",", ":")), media_type="application/json"
    )
