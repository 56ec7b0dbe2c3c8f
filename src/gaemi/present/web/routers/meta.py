"""Service endpoints: health, what this server offers, data as-of dates, the funds, the clock.

The dashboard reads ``/api/meta`` to learn which engines are mounted, so a control for an
engine that is not installed is never shown.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from gaemi.errors import GaemiInputError
from gaemi.present.web.deps import State, state_cached
from gaemi.present.web.models import ERROR_RESPONSES, MAX_MOVES, Name, StrictModel, clean
from gaemi.units import column_header

if TYPE_CHECKING:
    from gaemi.data.market import MarketSnapshot
    from gaemi.present.web.settings import WebState

router = APIRouter(prefix="/api", tags=["meta"], responses=ERROR_RESPONSES)


class Health(BaseModel):
    status: str
    version: str
    computations_running: int = Field(
        description="Computation threads not yet finished, cancelled ones included until "
        "they have stopped (at most the concurrency limit)."
    )


class FxDefault(BaseModel):
    krw_per_usd: float
    as_of: str
    source: str


class Limits(BaseModel):
    max_body_bytes: int
    compute_timeout_s: float
    max_moves: int


class Meta(BaseModel):
    """What this server offers."""

    version: str
    engines: list[str] = Field(description="Mounted engine routers (flows, stress, …).")
    read_only: bool = Field(description="True: no endpoint writes to the store.")
    universe: str
    n_funds: int
    limits: Limits
    fx_default: FxDefault | None = Field(
        description="KRW per USD of the market snapshot, the dashboard's default rate."
    )
    column_headers: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="The human header with its unit of each dashboard table column, by "
        "display currency (USD, KRW): gaemi.units.column_header, the rule of the terminal "
        "tables and the HTML report (the JSON keys stay machine names).",
    )


class UniverseAsOf(BaseModel):
    label: str
    source: str
    n_funds: int
    aum_usd: float
    aum_as_of_min: str | None
    aum_as_of_max: str | None
    korean_as_of_min: str | None
    korean_as_of_max: str | None
    korean_known_aum_frac: float = Field(description="Fraction of AUM with a known Korean share.")


class AsOf(BaseModel):
    """How old the data behind every answer is."""

    universe: UniverseAsOf
    store: list[dict[str, Any]] | None = Field(
        None, description="Per store table: rows and as-of dates (null without --db)."
    )


class Fund(BaseModel):
    ticker: str
    name: str
    issuer: str
    leverage: float
    underlying_id: str
    underlying_group: str
    underlying_kind: str
    expense_ratio: float | None
    aum_usd: float
    aum_as_of: str
    korean_share: float | None
    korean_aum_usd: float | None
    korean_as_of: str
    source_aum: str
    source_korean: str


class UniverseQuery(StrictModel):
    underlying: list[Name] = Field(default_factory=list, max_length=20)


class Clock(BaseModel):
    """The next US close (NYSE), in UTC, New York and Seoul time."""

    now_utc: str
    next_close_utc: str
    next_close_et: str
    next_close_kst: str
    early_close: bool = Field(description="True on a 13:00 ET early-close day.")
    session_date: str


@router.get("/health", response_model=Health, summary="Liveness")
async def health() -> Health:
    from gaemi import __version__
    from gaemi.present.web.limits import running_computations

    return Health(status="ok", version=__version__, computations_running=running_computations())


#: The dashboard's table columns (static/index.html ``th[data-key]``); money in the shown
#: currency is keyed ``*_usd`` (``column_header`` writes ₩ for KRW).
DASHBOARD_COLUMNS = (
    "underlying_id", "n_funds", "aum_usd", "flow_usd", "korean_flow_usd", "flow_per_pct_usd",
    "korean_coverage_frac", "holder", "holdings_usd", "krw_move_frac", "pnl_usd",
)  # fmt: skip


@router.get("/meta", response_model=Meta, summary="What this server offers")
async def meta(state: State) -> Response:
    """Version, mounted engines, limits, the default KRW rate (cached per served state)."""
    return await state_cached(state, "meta", _meta, state, bounded=False)


def _meta(state: WebState) -> Meta:
    from gaemi import __version__

    s = state.settings
    return Meta(
        version=__version__,
        engines=list(state.engines),
        read_only=True,
        universe=state.universe.label,
        n_funds=len(state.universe),
        limits=Limits(
            max_body_bytes=s.max_body_bytes,
            compute_timeout_s=s.compute_timeout_s,
            max_moves=MAX_MOVES,
        ),
        fx_default=_fx_default(state.state.market),
        column_headers={
            k: {cur: column_header(k, cur) for cur in ("USD", "KRW")} for k in DASHBOARD_COLUMNS
        },
    )


def _fx_default(m: MarketSnapshot) -> FxDefault | None:
    """The served state's latest USD/KRW (the store's with --db)."""
    if not m.has("usdkrw_level"):
        return None
    o = m.latest("usdkrw_level")
    return FxDefault(krw_per_usd=o.value, as_of=o.as_of.isoformat(), source=o.source)


def _dates(values: np.ndarray) -> tuple[str | None, str | None]:
    vals = sorted(str(v) for v in values if str(v).strip())
    return (vals[0], vals[-1]) if vals else (None, None)


@router.get("/asof", response_model=AsOf, summary="Data as-of dates")
async def asof(state: State) -> Response:
    """The dates of the fund figures (and of each store table when serving a store)."""
    return await state_cached(state, "asof", _asof, state, bounded=False)


def _asof(state: WebState) -> AsOf:
    u = state.universe
    a0, a1 = _dates(u.aum_as_of)
    k0, k1 = _dates(u.korean_as_of)
    total = float(u.aum_usd.sum())
    known = float(u.aum_usd[u.korean_known].sum())
    uni = UniverseAsOf(
        label=u.label,
        source=state.universe_source,
        n_funds=len(u),
        aum_usd=total,
        aum_as_of_min=a0,
        aum_as_of_max=a1,
        korean_as_of_min=k0,
        korean_as_of_max=k1,
        korean_known_aum_frac=known / total if total > 0 else 0.0,
    )
    return AsOf(universe=uni, store=state.store_status)


@router.get("/universe", response_model=list[Fund], summary="The funds")
async def universe(q: Annotated[UniverseQuery, Query()], state: State) -> Response:
    """Every fund with its leverage, assets, Korean share and sources."""
    key = ("universe", tuple(q.underlying))
    return await state_cached(state, key, _universe, state, q, bounded=False)


def _universe(state: WebState, q: UniverseQuery) -> list[Fund]:
    u = state.universe.where_underlying(q.underlying) if q.underlying else state.universe
    cols = u.columns()
    out = []
    for i in range(len(u)):
        rec = {k: clean(v[i]) for k, v in cols.items()}
        rec["korean_aum_usd"] = clean(u.korean_aum_usd[i])
        out.append(Fund(**rec))
    return out


@lru_cache(maxsize=1)
def _nyse_closes() -> Any:
    """NYSE session closes (UTC) from ``exchange-calendars``, built once.

    The calendar's constructor trips pandas deprecation warnings inside the library; they
    are not ours to fix and are silenced for this one call only.
    """
    import warnings

    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar("XNYS")
        return cal.schedule["close"].copy()


def _clock() -> Clock:
    import pandas as pd

    closes = _nyse_closes()
    now = pd.Timestamp.now(tz="UTC")
    upcoming = closes[closes > now]
    if upcoming.empty:
        raise GaemiInputError(
            "the NYSE calendar has no session after now; update exchange-calendars"
        )
    close = upcoming.iloc[0]
    et = close.tz_convert("America/New_York")
    kst = close.tz_convert("Asia/Seoul")
    return Clock(
        now_utc=now.isoformat(),
        next_close_utc=close.isoformat(),
        next_close_et=et.isoformat(),
        next_close_kst=kst.isoformat(),
        early_close=bool(et.hour < 16),
        session_date=str(et.date()),
    )


@router.get("/clock", response_model=Clock, summary="Next US close in ET and KST")
async def clock(state: State) -> Clock:
    """The next NYSE close (16:00 ET, 13:00 on early-close days) and its Seoul time."""
    return await state.compute(_clock)
