"""Fund AUM from yfinance (``totalAssets``, or shares outstanding × NAV), as new snapshots.

For each fund whose latest stored snapshot is older than ``max_age_days``, a snapshot
dated today (UTC) is added with the fresh AUM and the fund's other fields (leverage,
underlying, …) carried from its latest snapshot. Nothing stored is rewritten. yfinance is
optional (the ``live`` extra) and imported only here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gaemi.data.live.http import LiveSourceError
from gaemi.data.live.update import NotRefreshed
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    from gaemi.data.store import Store

InfoFn = Callable[[str], Mapping[str, Any]]


#: The one line a fund AUM refresh without the ``live`` extra ends with.
NEEDS_YFINANCE = "fund AUM refresh needs yfinance: pip install 'gaemi[live]'"


def require_yfinance() -> None:
    """Refuse in one line, before any fund is tried, when yfinance is not installed."""
    import importlib.util

    if importlib.util.find_spec("yfinance") is None:
        raise GaemiInputError(NEEDS_YFINANCE)


def yfinance_info(ticker: str) -> Mapping[str, Any]:
    """``yfinance.Ticker(ticker).info`` (needs the ``live`` extra and the network)."""
    try:
        import yfinance
    except ImportError:
        raise LiveSourceError(
            "yfinance is not installed: pip install 'gaemi[live]' to refresh fund AUM"
        ) from None
    try:
        info: Mapping[str, Any] = yfinance.Ticker(ticker).info
    except Exception as exc:  # yfinance raises many types when offline or throttled
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise LiveSourceError(f"yfinance {ticker}: {first}") from None
    return info


def aum_from_info(info: Mapping[str, Any]) -> tuple[float, float | None, float | None, str]:
    """(aum_usd, shares_outstanding, nav_usd, how) from a yfinance ``info`` mapping."""

    def num(key: str) -> float | None:
        v = info.get(key)
        try:
            x = float(v) if v is not None else math.nan
        except (TypeError, ValueError):
            return None
        return x if math.isfinite(x) and x > 0 else None

    shares = num("sharesOutstanding")
    nav = num("navPrice") or num("previousClose")
    total = num("totalAssets")
    if total is not None:
        return total, shares, nav, "yfinance:info.totalAssets"
    if shares is not None and nav is not None:
        return shares * nav, shares, nav, "yfinance:info.sharesOutstanding*navPrice"
    raise LiveSourceError("yfinance gave neither totalAssets nor sharesOutstanding and a price")


def refresh_fund_aum(
    store: Store,
    *,
    tickers: list[str] | None = None,
    now: datetime | None = None,
    max_age_days: int = 1,
    info_fn: InfoFn = yfinance_info,
) -> Iterator[str]:
    """Add today's AUM snapshot for funds whose latest one is stale; one line per fund.

    With the default ``info_fn`` (yfinance) and yfinance not installed, refuses in one
    :class:`~gaemi.errors.GaemiInputError` line before the first fund (not one
    "not installed" line per fund).
    """
    import pyarrow as pa

    if info_fn is yfinance_info:
        require_yfinance()

    t = now or datetime.now(UTC)
    today = t.astimezone(UTC).date()
    latest = store.fetch_df(
        "SELECT * FROM fund_snapshots "
        "QUALIFY row_number() OVER (PARTITION BY ticker ORDER BY as_of DESC) = 1 "
        "ORDER BY ticker"
    )
    if latest.empty:
        yield "the store holds no fund snapshots (import a universe with --kind funds first)"
        return
    wanted = {x.upper() for x in tickers} if tickers else None
    for rec in latest.to_dict(orient="records"):
        ticker = str(rec["ticker"])
        if wanted is not None and ticker not in wanted:
            continue
        age = (today - rec["as_of"]).days
        if age < max_age_days:
            yield f"{ticker}: AUM up to date (as of {rec['as_of']})"
            continue
        try:
            aum, shares, nav, how = aum_from_info(info_fn(ticker))
        except LiveSourceError as exc:
            yield NotRefreshed(
                f"{ticker}: {exc}; stored AUM is as of {rec['as_of']} ({age} days old)"
            )
            continue
        row = {k: [rec[k]] for k in ("ticker", "name", "issuer", "leverage", "underlying_id")}
        row.update(
            {
                "as_of": [today],
                "underlying_kind": [rec["underlying_kind"]],
                "underlying_group": [rec["underlying_group"]],
                "expense_ratio": [rec["expense_ratio"]],
                "aum_usd": [aum],
                "shares_outstanding": [shares],
                "nav_usd": [nav],
                "source": [how],
                "retrieved_at": [t.astimezone(UTC)],
            }
        )
        table = pa.table(row)
        with store.transaction():
            store.merge("fund_snapshots", table, on_conflict="error", label=f"yfinance {ticker}")
        yield f"{ticker}: AUM {aum / 1e9:.3f}B USD as of {today} ({how})"
