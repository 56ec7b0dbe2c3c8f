"""The market observations the monitor and report consume, each dated and sourced.

A :class:`MarketSnapshot` maps a series name (``usdkrw_level``, ``vix_level``,
``korea_margin_loans_krw`` …) to its dated points. The embedded default merges two package
files: ``market_derived.yaml`` (computed from real history by
``scripts/build_market_derived.py``) and ``market_facts.yaml`` (hand-curated figures from
../shared/facts/FACTS.md with their URLs). Nothing here is guessed: a series that is
missing is missing, and asking for it raises.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gaemi.errors import GaemiInputError


@dataclass(frozen=True)
class Observation:
    """One dated value of a series, with its unit and source."""

    name: str
    value: float
    unit: str
    as_of: dt.date
    source: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    def age_days(self, today: dt.date) -> int:
        """Days between the observation and ``today``."""
        return (today - self.as_of).days


@dataclass(frozen=True)
class MarketSnapshot:
    """Dated, sourced series by name; the last point of a series is its current value."""

    series: Mapping[str, tuple[Observation, ...]]
    label: str = "embedded default snapshot"

    def has(self, name: str) -> bool:
        return name in self.series and len(self.series[name]) > 0

    def latest(self, name: str, on: dt.date | None = None) -> Observation:
        """The last point of ``name`` (on or before ``on`` when given)."""
        points = self.history(name, on)
        if not points:
            raise GaemiInputError(f"market series {name!r} has no point on or before {on}")
        return points[-1]

    def history(self, name: str, on: dt.date | None = None) -> tuple[Observation, ...]:
        """All points of ``name``, oldest first (up to ``on`` when given)."""
        if name not in self.series:
            raise GaemiInputError(f"market series {name!r} is not in the {self.label}")
        pts = self.series[name]
        return pts if on is None else tuple(p for p in pts if p.as_of <= on)

    def as_of_dates(self) -> dict[str, dt.date]:
        """Latest as-of date of every series."""
        return {k: v[-1].as_of for k, v in self.series.items() if v}

    def with_observation(self, obs: Observation) -> MarketSnapshot:
        """A new snapshot with ``obs`` appended to (or starting) its series."""
        s = dict(self.series)
        s[obs.name] = tuple(sorted((*s.get(obs.name, ()), obs), key=lambda o: o.as_of))
        return MarketSnapshot(s, label=f"{self.label} + user input")


def _date(src: str, name: str, value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise GaemiInputError(f"{src}: {name}.as_of = {value!r} is not a YYYY-MM-DD date") from None


def _point(src: str, name: str, unit: str, raw: Mapping[str, Any]) -> Observation:
    for key in ("value", "as_of", "source"):
        if key not in raw:
            raise GaemiInputError(f"{src}: {name} point is missing {key!r}")
    try:
        value = float(raw["value"])
    except (TypeError, ValueError):
        raise GaemiInputError(f"{src}: {name}.value = {raw['value']!r} is not a number") from None
    if not math.isfinite(value):
        raise GaemiInputError(f"{src}: {name}.value = {raw['value']!r} must be finite")
    extra = {k: v for k, v in raw.items() if k not in ("value", "as_of", "source", "unit")}
    return Observation(name, value, unit, _date(src, name, raw["as_of"]), str(raw["source"]), extra)


def snapshot_from_documents(docs: Iterable[tuple[str, Any]], label: str) -> MarketSnapshot:
    """Build a snapshot from parsed YAML documents ``(source_name, document)``."""
    series: dict[str, list[Observation]] = {}
    for src, doc in docs:
        if not isinstance(doc, Mapping) or not isinstance(doc.get("observations"), Mapping):
            raise GaemiInputError(f"{src}: expected a mapping with an 'observations' mapping")
        for name, body in doc["observations"].items():
            if not isinstance(body, Mapping):
                raise GaemiInputError(f"{src}: {name} must be a mapping")
            unit = str(body.get("unit", ""))
            if not unit:
                raise GaemiInputError(f"{src}: {name} is missing 'unit'")
            points = body.get("series", [body])
            if not isinstance(points, list):
                raise GaemiInputError(f"{src}: {name}.series must be a list")
            series.setdefault(str(name), []).extend(_point(src, str(name), unit, p) for p in points)
    return MarketSnapshot(
        {k: tuple(sorted(v, key=lambda o: o.as_of)) for k, v in series.items()}, label=label
    )


def load_default_market() -> MarketSnapshot:
    """The embedded snapshot: derived history plus hand-curated, sourced facts."""
    from gaemi.data.yamlio import default_path, read_yaml

    docs = [
        (name, read_yaml(default_path(name), "market file"))
        for name in ("market_derived.yaml", "market_facts.yaml")
    ]
    return snapshot_from_documents(docs, label="embedded default snapshot")


# --------------------------------------------------------------------------- from history
#: Which price history each derived series needs: key → (label in names, what it is).
HISTORY_INPUTS: dict[str, str] = {
    "NDX": "NDX proxy close (QQQ adjusted close)",
    "SOX": "SOX proxy close (SOXX adjusted close)",
    "VIX": "CBOE VIX close",
    "USDKRW": "USD/KRW (FRED DEXKOUS, KRW per USD)",
}


@dataclass(frozen=True)
class DerivedHistory:
    """Daily derived series (each on its own dates) and where each came from."""

    series: Mapping[str, Any]  # name -> pandas Series indexed by date
    units: Mapping[str, str]
    sources: Mapping[str, str]

    def snapshot_on(self, day: dt.date, base: MarketSnapshot | None = None) -> MarketSnapshot:
        """The snapshot a user would have had at the close of ``day``: for every series
        its last point on or before ``day`` (no look-ahead), plus ``base``'s points up to
        ``day``."""
        import pandas as pd

        out: dict[str, tuple[Observation, ...]] = {}
        if base is not None:
            for name in base.series:
                pts = base.history(name, day)
                if pts:
                    out[name] = pts
        ts = pd.Timestamp(day)
        for name, s in self.series.items():
            i = int(s.index.searchsorted(ts, side="right"))
            if i == 0:
                continue
            out[name] = (
                Observation(
                    name,
                    float(s.iloc[i - 1]),
                    self.units[name],
                    s.index[i - 1].date(),
                    self.sources[name],
                ),
            )
        return MarketSnapshot(out, label=f"history as of {day}")


def derive_history(close: Mapping[str, Any], sources: Mapping[str, str]) -> DerivedHistory:
    """Derived daily series from closes (pandas Series indexed by date, any order).

    ``close`` keys: ``NDX``, ``SOX`` (moves, 20/60-day realised vol of log returns × √252,
    60-day return), ``VIX`` (level, one-day change) and ``USDKRW`` (level, 20-day change).
    Each value at date D uses closes up to D only.
    """
    import numpy as np
    import pandas as pd

    series: dict[str, pd.Series] = {}
    units: dict[str, str] = {}
    srcs: dict[str, str] = {}
    for key, s in close.items():
        if key not in HISTORY_INPUTS:
            raise GaemiInputError(
                f"history input {key!r} must be one of {', '.join(HISTORY_INPUTS)}"
            )
        s = pd.Series(s, dtype=float).dropna().sort_index()
        s = s[~s.index.duplicated(keep="last")]
        if (s <= 0).any():
            raise GaemiInputError(f"history input {key}: prices must be > 0")
        src = sources.get(key, HISTORY_INPUTS[key])
        if key in ("NDX", "SOX"):
            p = key.lower()
            r = s.pct_change()
            log = pd.Series(np.log(s.to_numpy()), index=s.index).diff()
            for name, val, unit, extra in (
                (f"{p}_move_1d", r, "frac", ""),
                (
                    f"{p}_vol_20d",
                    log.rolling(20).std(ddof=1) * np.sqrt(252),
                    "frac_annual",
                    ", close-to-close log returns x sqrt(252)",
                ),
                (
                    f"{p}_vol_60d",
                    log.rolling(60).std(ddof=1) * np.sqrt(252),
                    "frac_annual",
                    ", close-to-close log returns x sqrt(252)",
                ),
                (f"{p}_return_60d", s / s.shift(60) - 1, "frac", ""),
            ):
                series[name], units[name], srcs[name] = val.dropna(), unit, src + extra
        elif key == "VIX":
            for name, val, unit in (
                ("vix_level", s, "index_points"),
                ("vix_change_1d", s.pct_change(), "frac"),
            ):
                series[name], units[name], srcs[name] = val.dropna(), unit, src
        else:
            for name, val, unit in (
                ("usdkrw_level", s, "krw_per_usd"),
                ("usdkrw_change_20d", s / s.shift(20) - 1, "frac"),
            ):
                series[name], units[name], srcs[name] = val.dropna(), unit, src
    return DerivedHistory(series, units, srcs)


def load_facts_market() -> MarketSnapshot:
    """Only the hand-curated, sourced facts (``market_facts.yaml``)."""
    from gaemi.data.yamlio import default_path, read_yaml

    doc = read_yaml(default_path("market_facts.yaml"), "market file")
    return snapshot_from_documents([("market_facts.yaml", doc)], label="facts")


#: Store names tried for each history input, in order (prices symbols; USDKRW: macro ids).
STORE_SYMBOLS: dict[str, tuple[str, ...]] = {
    "NDX": ("QQQ", "^NDX", "NDX"),
    "SOX": ("SOXX", "^SOX", "SOX"),
    "VIX": ("VIX", "^VIX", "VIX-DAILY"),
    "USDKRW": ("DEXKOUS", "USDKRW"),
}


def history_from_store(store: Any) -> tuple[DerivedHistory, list[str]]:
    """Derived history from a :class:`~gaemi.data.store.Store`, and notes on what is missing.

    Prices use the adjusted close where present (else the close); USD/KRW is a macro
    series. Names tried are in :data:`STORE_SYMBOLS`; an input that is not in the store is
    left out and named in the notes (its indicators are then not available).
    """
    import pandas as pd

    closes: dict[str, Any] = {}
    sources: dict[str, str] = {}
    notes: list[str] = []
    symbols = set(store.symbols())
    series_ids = set(store.series_ids())
    for key, names in STORE_SYMBOLS.items():
        found = None
        for name in names:
            if key == "USDKRW" and name in series_ids:
                df = store.macro_series(name)
                found = (
                    name,
                    pd.Series(df["value"].to_numpy(float), index=pd.to_datetime(df["date"])),
                    df["source"],
                )
                break
            if key != "USDKRW" and name in symbols:
                df = store.prices(name)
                px = df["adj_close"].where(df["adj_close"].notna(), df["close"])
                found = (
                    name,
                    pd.Series(px.to_numpy(float), index=pd.to_datetime(df["date"])),
                    df["source"],
                )
                break
        if found is None:
            notes.append(f"{key}: none of {', '.join(names)} is in store {store.path.name}")
            continue
        name, s, src = found
        closes[key] = s
        sources[key] = f"store {store.path.name}: {name} ({src.iloc[-1] if len(src) else ''})"
    return derive_history(closes, sources), notes
