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
from importlib import resources
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
    import yaml

    pkg = resources.files("gaemi.data.defaults")
    docs = [
        (name, yaml.safe_load(pkg.joinpath(name).read_text(encoding="utf-8")))
        for name in ("market_derived.yaml", "market_facts.yaml")
    ]
    return snapshot_from_documents(docs, label="embedded default snapshot")
