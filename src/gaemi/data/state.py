"""``MarketState``: one typed snapshot of everything the engines read, with its as-of time.

It bundles the fund universe, the dated market/macro levels (a
:class:`~gaemi.data.market.MarketSnapshot`), the calibrated parameters and the traded
value of the hedge instruments, and says where each part came from. Build it from the
embedded default (:func:`default_market_state`, offline) or from the store
(:func:`market_state_from_store`). The numerical core never imports this module (core
must not import the data layer): callers hand the engines its typed parts
(``state.universe``, ``state.calibration.value("beta.KOSPI.NDX")`` …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gaemi.data.calibration import Calibration, load_default_calibration
from gaemi.data.market import MarketSnapshot, Observation, load_default_market
from gaemi.data.universe import load_default_universe
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.core.universe import Universe
    from gaemi.data.store import Store


@dataclass(frozen=True)
class MarketState:
    """A snapshot the engines consume.

    Attributes
    ----------
    universe : Universe
        Leveraged/inverse funds (AUM, Korean holdings, their dates).
    market : MarketSnapshot
        Dated levels by series name (USD/KRW, rates, VIX …), each with its source.
    calibration : Calibration
        Derived statistical parameters with sample sizes and periods.
    as_of : datetime
        Time-zone-aware time the state describes.
    sources : mapping
        Where each part came from (``"embedded default"``, ``"store PATH"``).
    warnings : tuple of str
        What the loader could not find or had to stand in for (a series missing from the
        store, the embedded universe used for a store without fund snapshots); each
        capability's result repeats them.
    """

    universe: Universe
    market: MarketSnapshot
    calibration: Calibration
    as_of: dt.datetime
    sources: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: series with observations after the day -> the first such date (left out of market)
    later: Mapping[str, dt.date] = field(default_factory=dict)
    #: the market before the day's filter: only to say *why* an indicator is n/a that day
    #: (its next observation is later), never for a number
    market_unfiltered: MarketSnapshot | None = None
    #: depository-based Korean shares per fund on the day (a store or folder with KSD
    #: custody; gaemi.app.state.dated_universe): ticker, korean_share, korean_held_usd,
    #: korean_as_of, basis, source_korean, aum_usd, aum_as_of, aum_source. None: the
    #: universe's own (press) figures
    korean_shares: pd.DataFrame | None = None
    #: every KSD custody figure on or before the day of the universe's funds (as_of,
    #: ticker, holdings_usd, source); None without depository data
    korean_holdings: pd.DataFrame | None = None

    @property
    def day(self) -> dt.date:
        """The calendar day the state describes (``as_of`` in UTC)."""
        return self.as_of.astimezone(dt.UTC).date()

    def with_universe(self, universe: Universe, source: str | None = None) -> MarketState:
        """The same state with another fund universe (a what-if, a user's file)."""
        from dataclasses import replace

        srcs = dict(self.sources)
        srcs["universe"] = source or universe.label
        return replace(self, universe=universe, sources=srcs)

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None:
            raise GaemiInputError(f"MarketState as_of = {self.as_of} has no time zone")

    def staleness(self) -> pd.DataFrame:
        """Age in days of every dated input at ``as_of`` (market levels and fund figures)."""
        import pandas as pd

        today = self.as_of.date()
        rows = [
            {"input": name, "as_of": str(d), "age_days": (today - d).days}
            for name, d in sorted(self.market.as_of_dates().items())
        ]
        aum = [dt.date.fromisoformat(s) for s in self.universe.aum_as_of if s]
        if aum:
            d = max(aum)
            rows.append({"input": "universe.aum", "as_of": str(d), "age_days": (today - d).days})
        return pd.DataFrame(rows, columns=["input", "as_of", "age_days"])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def default_market_state(as_of: dt.datetime | None = None) -> MarketState:
    """The embedded default (package data; no network, no store)."""
    return MarketState(
        universe=load_default_universe(),
        market=load_default_market(),
        calibration=load_default_calibration(),
        as_of=as_of or _now(),
        sources={
            "universe": "embedded default",
            "market": "embedded default",
            "calibration": "embedded default",
        },
    )


def market_state_from_store(store: Store, as_of: dt.datetime | None = None) -> MarketState:
    """A state from the store: its latest fund snapshots, macro levels and calibration.

    Macro levels are the latest stored value of each macro series (and the latest close of
    each price symbol) on or before ``as_of``. The calibration is the store's
    ``calibration`` table; if it is empty, an error says to run ``gaemi data calibrate``
    (the embedded default is not mixed in silently).
    """
    t = as_of or _now()
    day = t.date().isoformat()
    universe = store.universe(day)
    series: dict[str, tuple[Observation, ...]] = {}
    macro: list[Any] = store.con.execute(
        "SELECT series_id, date, value, unit, source FROM macro WHERE date <= CAST(? AS DATE) "
        "QUALIFY row_number() OVER (PARTITION BY series_id ORDER BY date DESC) = 1",
        [day],
    ).fetchall()
    for sid, d, value, unit, source in macro:
        series[str(sid)] = (Observation(str(sid), float(value), str(unit), d, str(source)),)
    px: list[Any] = store.con.execute(
        "SELECT symbol, date, coalesce(close, adj_close), source FROM prices "
        "WHERE date <= CAST(? AS DATE) "
        "QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY date DESC) = 1",
        [day],
    ).fetchall()
    for sym, d, value, source in px:
        name = f"close.{sym}"
        series[name] = (Observation(name, float(value), "price", d, str(source)),)
    cal = store_calibration(store)
    if cal is None:
        raise GaemiInputError(
            f"store {store.path.name} has no calibration: run `gaemi data calibrate` first"
        )
    label = f"store {store.path.name}"
    return MarketState(
        universe=universe,
        market=MarketSnapshot(series, label=label),
        calibration=cal,
        as_of=t,
        sources={"universe": label, "market": label, "calibration": label},
    )


def store_calibration(store: Store) -> Calibration | None:
    """The store's ``calibration`` table as a :class:`Calibration`; None when it is empty."""
    from gaemi.data.calibration import Param

    cal_rows: list[Any] = store.con.execute(
        "SELECT param, value, n, start_date::VARCHAR, end_date::VARCHAR, method "
        "FROM calibration ORDER BY param"
    ).fetchall()
    if not cal_rows:
        return None
    return Calibration(
        tuple(
            Param(str(k), float(v), int(n), str(a or ""), str(b or ""), str(m))
            for k, v, n, a, b, m in cal_rows
        )
    )
