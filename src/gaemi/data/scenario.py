"""What-if scenario files for the flow engine (YAML), validated with one-line errors.

Format::

    name: Korean 3x AUM at $45B
    source: research note (Ants), "$45B Korean AUM"
    korean_aum_usd: 45e9            # optional: total Korean 3x holdings, spread pro rata
    korean_holdings_usd:            # optional: per-fund Korean holdings, USD
      TQQQ: 25e9
      SOXL: 20e9
    creations_usd:                  # optional: net creations (-: redemptions), USD
      SOXL: -1e9

Every amount is at most $10T in size; a redemption larger than the fund's AUM is refused
when the scenario meets a universe (:func:`gaemi.core.flows.compute_flows`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gaemi.core.universe import MAX_AUM_USD, Universe
from gaemi.errors import GaemiInputError

FLOW_KEYS = frozenset(
    {"name", "source", "notes", "korean_aum_usd", "korean_holdings_usd", "creations_usd"}
)


def _amount(src: str, fieldname: str, value: Any, *, nonneg: bool) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise GaemiInputError(f"{src}: {fieldname} = {value!r} is not a number") from None
    if not math.isfinite(out):
        raise GaemiInputError(f"{src}: {fieldname} = {value!r} must be finite")
    if nonneg and out < 0:
        raise GaemiInputError(f"{src}: {fieldname} = {out:g} must be >= 0")
    if abs(out) > MAX_AUM_USD:
        raise GaemiInputError(
            f"{src}: {fieldname} = {out:g} is above the {MAX_AUM_USD:g} ($10T) limit"
        )
    return out


def _mapping(src: str, fieldname: str, value: Any, *, nonneg: bool) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise GaemiInputError(f"{src}: {fieldname} must be a mapping TICKER: USD")
    return {
        str(k).upper(): _amount(src, f"{fieldname}.{k}", v, nonneg=nonneg) for k, v in value.items()
    }


@dataclass(frozen=True)
class FlowScenario:
    """A validated what-if for the flow engine."""

    name: str = "scenario"
    source: str = ""
    korean_aum_usd: float | None = None
    korean_holdings_usd: dict[str, float] = field(default_factory=dict)
    creations_usd: dict[str, float] = field(default_factory=dict)

    def apply(self, universe: Universe) -> Universe:
        """The universe with this scenario's Korean holdings."""
        u = universe
        if self.korean_holdings_usd:
            u = u.with_korean_holdings(self.korean_holdings_usd)
        if self.korean_aum_usd is not None:
            u = u.with_korean_aum(self.korean_aum_usd)
        return u


def flow_scenario_from_dict(data: Any, src: str = "scenario") -> FlowScenario:
    """Validate a parsed YAML document."""
    if not isinstance(data, Mapping):
        raise GaemiInputError(f"{src}: expected a mapping at the top level")
    unknown = sorted(set(map(str, data)) - FLOW_KEYS)
    if unknown:
        raise GaemiInputError(
            f"{src}: unknown field {unknown[0]!r} (known: {', '.join(sorted(FLOW_KEYS))})"
        )
    k = data.get("korean_aum_usd")
    return FlowScenario(
        name=str(data.get("name", src)),
        source=str(data.get("source", "")),
        korean_aum_usd=None if k is None else _amount(src, "korean_aum_usd", k, nonneg=True),
        korean_holdings_usd=_mapping(
            src, "korean_holdings_usd", data.get("korean_holdings_usd"), nonneg=True
        ),
        creations_usd=_mapping(src, "creations_usd", data.get("creations_usd"), nonneg=False),
    )


def load_flow_scenario(path: str | Path) -> FlowScenario:
    """Read and validate a flow what-if YAML file."""
    from gaemi.data.yamlio import read_yaml

    p = Path(path)
    return flow_scenario_from_dict(read_yaml(p), p.name)
