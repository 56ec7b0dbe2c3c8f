"""Stress scenarios (YAML): close liquidity per underlying, impact and participants.

The embedded default is ``defaults/stress_default.yaml``; a user file has the same layout
and may leave out whole sections (they come from the default). Each parameter is either
a bare value or ``{value: …, source: …, range: […]}``; the default gives every parameter a
source and a range. Errors are one line naming the file and the field, e.g.
``my.yaml: participants.margin_calls.maintenance_ratio = 0.9 must be > 1.0 (140% = 1.4)``.

:func:`build_stress_model` turns a scenario, a fund universe and an underlying into a
:class:`~gaemi.core.feedback.StressModel`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gaemi.core.feedback import StressModel
from gaemi.core.flows import rebalance_multiplier
from gaemi.core.impact import ImpactModel, LinearImpact, SquareRootImpact, lambda_from_sqrt
from gaemi.core.liquidity import basket_capacity_usd, capacity_usd
from gaemi.core.participants import (
    DealerGamma,
    LetfRebalancing,
    MarginSellers,
    Participant,
    RetailRedemptions,
    StopLossLadder,
)
from gaemi.core.universe import FloatArray, Universe
from gaemi.errors import GaemiInputError

DEFAULT_RESOURCE = "stress_default.yaml"
TOP_KEYS = frozenset(
    {"name", "source", "notes", "circuit_breakers", "impact", "underlyings", "participants"}
)
IMPACT_KEYS = frozenset({"model", "y", "volume_basis"})
UNDERLYING_KEYS = frozenset({"adv_usd", "closing_share", "sigma_daily", "spx_beta", "basket"})
BASKET_KEYS = frozenset({"names", "weights", "adv_usd", "source"})
PARTICIPANT_KEYS: dict[str, frozenset[str]] = {
    "letf_rebalancing": frozenset({"enabled"}),
    "dealer_gamma": frozenset({"enabled", "usd_per_pct_adv_frac"}),
    "stop_loss": frozenset({"enabled", "levels_frac", "sizes_adv_frac", "width_frac"}),
    "margin_calls": frozenset(
        {
            "enabled",
            "position_korean_aum_frac",
            "start_ratios",
            "maintenance_ratio",
            "fraction_today",
        }
    ),
    "retail_redemptions": frozenset({"enabled", "elasticity", "threshold_frac"}),
}


@dataclass(frozen=True)
class Param:
    """One scenario parameter with where it comes from."""

    value: Any
    source: str = ""
    range: tuple[Any, ...] = ()


@dataclass(frozen=True)
class UnderlyingLiquidity:
    """Close liquidity and volatility of one underlying (all validated)."""

    name: str
    adv_usd: float
    closing_share: float
    sigma_daily: float
    spx_beta: float
    basket_binding: str = ""

    @property
    def capacity_usd(self) -> float:
        """closing share × ADV, USD."""
        return float(capacity_usd(self.adv_usd, self.closing_share))


@dataclass(frozen=True)
class StressScenario:
    """A validated stress scenario (frozen). ``params`` keeps every value with its source."""

    name: str
    source: str
    circuit_breakers: bool
    impact_model: str
    y: float
    volume_basis: str
    underlyings: dict[str, UnderlyingLiquidity]
    participants: dict[str, dict[str, Any]]
    params: dict[str, Param] = field(default_factory=dict)

    def liquidity(self, underlying: str) -> UnderlyingLiquidity:
        """The liquidity entry of an underlying (case-insensitive)."""
        key = underlying.upper()
        if key not in self.underlyings:
            raise GaemiInputError(
                f"stress scenario {self.name!r} has no liquidity for {underlying!r} "
                f"(known: {', '.join(self.underlyings)}); add it under underlyings: in a "
                "--scenario file"
            )
        return self.underlyings[key]


# ----------------------------------------------------------------------------- parsing
def _param(src: str, path: str, raw: Any) -> Param:
    if isinstance(raw, Mapping):
        unknown = sorted(set(map(str, raw)) - {"value", "source", "range"})
        if unknown:
            raise GaemiInputError(
                f"{src}: {path}.{unknown[0]} is not a field (value, source, range)"
            )
        if "value" not in raw:
            raise GaemiInputError(f"{src}: {path} needs a value")
        rng = raw.get("range", ())
        return Param(raw["value"], str(raw.get("source", "")), tuple(rng) if rng else ())
    return Param(raw)


def _num(
    src: str,
    path: str,
    p: Param,
    *,
    lo: float | None = None,
    lo_open: bool = False,
    hi: float | None = None,
    hint: str = "",
) -> float:
    v = p.value
    if isinstance(v, bool):
        raise GaemiInputError(f"{src}: {path} = {v!r} is not a number")
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise GaemiInputError(f"{src}: {path} = {v!r} is not a number") from None
    if not math.isfinite(x):
        raise GaemiInputError(f"{src}: {path} = {v!r} must be finite")
    if lo is not None and (x <= lo if lo_open else x < lo):
        raise GaemiInputError(
            f"{src}: {path} = {x:g} must be {'>' if lo_open else '>='} {lo:g}{hint}"
        )
    if hi is not None and x > hi:
        raise GaemiInputError(f"{src}: {path} = {x:g} must be <= {hi:g}{hint}")
    return x


def _nums(src: str, path: str, p: Param, **kw: Any) -> list[float]:
    if not isinstance(p.value, list | tuple) or not p.value:
        raise GaemiInputError(f"{src}: {path} must be a non-empty list of numbers")
    return [_num(src, f"{path}[{i}]", Param(v), **kw) for i, v in enumerate(p.value)]


def _bool(src: str, path: str, p: Param) -> bool:
    if not isinstance(p.value, bool):
        raise GaemiInputError(f"{src}: {path} = {p.value!r} must be true or false")
    return p.value


def _choice(src: str, path: str, p: Param, options: tuple[str, ...]) -> str:
    if p.value not in options:
        raise GaemiInputError(f"{src}: {path} = {p.value!r} must be one of {', '.join(options)}")
    return str(p.value)


def _mapping(
    src: str, path: str, raw: Any, known: frozenset[str] | None, what: str
) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise GaemiInputError(f"{src}: {path} must be a mapping")
    if known is not None:
        unknown = sorted(set(map(str, raw)) - known)
        if unknown:
            raise GaemiInputError(
                f"{src}: {path}.{unknown[0]} is not {what} (known: {', '.join(sorted(known))})"
            )
    return raw


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) and "value" not in v:
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _basket_adv(src: str, path: str, raw: Any, share: float) -> tuple[float, str]:
    """Index-equivalent ADV of a constituent basket: min_j ADV_j / w_j (least liquid name).

    With one closing share for all names, capacity = share × that, as
    :func:`gaemi.core.liquidity.basket_capacity_usd` computes.
    """
    b = _mapping(src, path, raw, BASKET_KEYS, "a basket field")
    names = b.get("names")
    if not isinstance(names, list) or not names:
        raise GaemiInputError(f"{src}: {path}.names must be a non-empty list of tickers")
    weights = _nums(src, f"{path}.weights", Param(b.get("weights")), lo=0.0, lo_open=True)
    advs = _nums(
        src,
        f"{path}.adv_usd",
        Param(b.get("adv_usd")),
        lo=0.0,
        hint=" (liquidity cannot be negative)",
    )
    if not len(names) == len(weights) == len(advs):
        raise GaemiInputError(
            f"{src}: {path}: {len(names)} names, {len(weights)} weights, {len(advs)} adv_usd "
            "(give one of each per name)"
        )
    cap = basket_capacity_usd([str(x) for x in names], weights, advs, 1.0)
    return cap.capacity_usd, cap.binding


def stress_scenario_from_dict(
    data: Any, src: str = "scenario", *, base: Mapping[str, Any] | None = None
) -> StressScenario:
    """Validate a parsed YAML document (merged over ``base``, the default, if given)."""
    if not isinstance(data, Mapping):
        raise GaemiInputError(f"{src}: expected a mapping at the top level")
    _mapping(src, "(top level)", data, TOP_KEYS, "a field")
    doc = _merge(base, data) if base is not None else dict(data)
    params: dict[str, Param] = {}

    def get(path: str, raw: Any) -> Param:
        if raw is None:
            raise GaemiInputError(f"{src}: {path} is missing")
        p = _param(src, path, raw)
        params[path] = p
        return p

    cb = _bool(src, "circuit_breakers", get("circuit_breakers", doc.get("circuit_breakers", True)))
    imp = _mapping(src, "impact", doc.get("impact"), IMPACT_KEYS, "an impact field")
    model = _choice(
        src, "impact.model", get("impact.model", imp.get("model", "sqrt")), ("sqrt", "linear")
    )
    y = _num(src, "impact.y", get("impact.y", imp.get("y")), lo=0.0, lo_open=True)
    basis = _choice(
        src,
        "impact.volume_basis",
        get("impact.volume_basis", imp.get("volume_basis", "adv")),
        ("adv", "close"),
    )
    unds = _mapping(src, "underlyings", doc.get("underlyings"), None, "")
    if not unds:
        raise GaemiInputError(f"{src}: underlyings: give at least one underlying's liquidity")
    underlyings: dict[str, UnderlyingLiquidity] = {}
    for name, raw in unds.items():
        key = str(name).upper()
        pre = f"underlyings.{key}"
        entry = _mapping(src, pre, raw, UNDERLYING_KEYS, "a liquidity field")
        share = _num(
            src,
            f"{pre}.closing_share",
            get(f"{pre}.closing_share", entry.get("closing_share")),
            lo=0.0,
            hi=1.0,
        )
        binding = ""
        if entry.get("basket") is not None:
            adv, binding = _basket_adv(src, f"{pre}.basket", entry["basket"], share)
        else:
            adv = _num(
                src,
                f"{pre}.adv_usd",
                get(f"{pre}.adv_usd", entry.get("adv_usd")),
                lo=0.0,
                hint=" (liquidity cannot be negative)",
            )
        underlyings[key] = UnderlyingLiquidity(
            key,
            adv,
            share,
            _num(
                src,
                f"{pre}.sigma_daily",
                get(f"{pre}.sigma_daily", entry.get("sigma_daily")),
                lo=0.0,
            ),
            _num(
                src,
                f"{pre}.spx_beta",
                get(f"{pre}.spx_beta", entry.get("spx_beta", 1.0)),
                lo=0.0,
                lo_open=True,
            ),
            binding,
        )
    parts_raw = _mapping(
        src, "participants", doc.get("participants"), frozenset(PARTICIPANT_KEYS), "a participant"
    )
    participants: dict[str, dict[str, Any]] = {}
    for pname, praw in parts_raw.items():
        pre = f"participants.{pname}"
        entry = _mapping(src, pre, praw or {}, PARTICIPANT_KEYS[str(pname)], f"a field of {pname}")
        if "enabled" in entry and not _bool(
            src, f"{pre}.enabled", get(f"{pre}.enabled", entry["enabled"])
        ):
            continue
        vals: dict[str, Any] = {}
        for k in sorted(PARTICIPANT_KEYS[str(pname)] - {"enabled"}):
            path = f"{pre}.{k}"
            p = get(path, entry.get(k))
            if k == "levels_frac":
                lv = _nums(src, path, p, lo=-1.0, lo_open=True, hi=1.0)
                if any(v == 0 for v in lv):
                    raise GaemiInputError(f"{src}: {path} = 0 is not a trigger level")
                vals[k] = lv
            elif k in ("sizes_adv_frac", "start_ratios"):
                vals[k] = _nums(
                    src,
                    path,
                    p,
                    lo=1.0 if k == "start_ratios" else 0.0,
                    lo_open=k == "start_ratios",
                )
            elif k == "maintenance_ratio":
                vals[k] = _num(src, path, p, lo=1.0, lo_open=True, hint=" (140% = 1.4)")
            elif k in ("fraction_today", "position_korean_aum_frac"):
                vals[k] = _num(src, path, p, lo=0.0, hi=1.0)
            elif k == "width_frac":
                vals[k] = _num(src, path, p, lo=0.0, lo_open=True)
            else:
                vals[k] = _num(src, path, p, lo=0.0)
        if pname == "stop_loss" and len(vals["levels_frac"]) != len(vals["sizes_adv_frac"]):
            raise GaemiInputError(
                f"{src}: {pre}: {len(vals['levels_frac'])} levels_frac but "
                f"{len(vals['sizes_adv_frac'])} sizes_adv_frac"
            )
        if pname == "margin_calls":
            m = vals["maintenance_ratio"]
            low = [r for r in vals["start_ratios"] if r <= m]
            if low:
                raise GaemiInputError(
                    f"{src}: {pre}.start_ratios = {low[0]:g} must be above "
                    f"maintenance_ratio = {m:g}"
                )
        participants[str(pname)] = vals
    if not participants:
        raise GaemiInputError(f"{src}: participants: enable at least one participant")
    return StressScenario(
        str(doc.get("name", src)),
        str(doc.get("source", "")),
        cb,
        model,
        y,
        basis,
        underlyings,
        participants,
        params,
    )


def _read_yaml(p: Path) -> Any:
    from gaemi.data.yamlio import read_yaml

    return read_yaml(p)


def default_stress_path() -> Path:
    """Path of the embedded default stress scenario."""
    return Path(str(resources.files("gaemi.data.defaults").joinpath(DEFAULT_RESOURCE)))


def load_default_stress() -> StressScenario:
    """The embedded default scenario (see docs/stress.md for its calibration)."""
    p = default_stress_path()
    return stress_scenario_from_dict(_read_yaml(p), p.name)


def load_stress_scenario(path: str | Path) -> StressScenario:
    """A user scenario file, merged over the default (sections left out are the default's)."""
    p = Path(path)
    data = _read_yaml(p)
    base = _read_yaml(default_stress_path())
    return stress_scenario_from_dict(data, p.name, base=base)


# ----------------------------------------------------------------------------- building
def korean_long_aum(universe: Universe, underlying: str) -> tuple[float, float]:
    """Korean-held AUM of the long leveraged funds on an underlying and their mean leverage.

    Funds whose Korean share is unknown count as zero (a lower bound, never a guess).
    """
    u = universe.where_underlying(underlying)
    long = u.leverage > 1
    kor = np.nan_to_num(u.korean_share * u.aum_usd, nan=0.0) * long
    total = float(kor.sum())
    lev = float((kor * u.leverage).sum() / total) if total > 0 else 3.0
    return total, lev


def _a(x: Any) -> FloatArray:
    return np.atleast_1d(np.asarray(x, dtype=np.float64))


def build_stress_model(
    scenario: StressScenario,
    universe: Universe,
    underlying: str,
    *,
    adv_scale: float | FloatArray = 1.0,
    y: float | FloatArray | None = None,
) -> StressModel:
    """The feedback model of one underlying: participants sized from the universe and
    the scenario, impact from its liquidity. ``adv_scale`` multiplies the ADV (what-if).

    ``adv_scale`` and ``y`` (the square-root law's Y, default the scenario's) may be
    arrays of n values: the model then has n scenarios (what a parameter sweep solves
    in one vectorised call); scalars give the one-scenario model.
    """
    scale = np.asarray(adv_scale, dtype=np.float64).reshape(-1)
    bad = ~(np.isfinite(scale) & (scale > 0))
    if bad.any():
        raise GaemiInputError(f"adv_scale = {float(scale[bad][0])!r} must be > 0")
    yy = _a(scenario.y if y is None else y)
    bad = ~(np.isfinite(yy) & (yy > 0))
    if bad.any():
        raise GaemiInputError(f"impact y = {float(yy[bad][0])!r} must be > 0")
    liq = scenario.liquidity(underlying)
    if not liq.adv_usd > 0:
        raise GaemiInputError(f"underlyings.{liq.name}.adv_usd = 0: the close has no liquidity")
    adv = liq.adv_usd * scale
    cap = adv * liq.closing_share
    volume = adv if scenario.volume_basis == "adv" else cap
    if (volume <= 0).any():
        raise GaemiInputError(f"underlyings.{liq.name}: closing capacity is 0")
    # Below the close's capacity the square-root law gives way to the linear (Kyle) impact
    # that matches it there (the scenario's 'linear' model): the pure law's infinite slope
    # at zero flow let the loop sustain a move of its own, c²K, from any shock however
    # small (NDX: a 0.0001 % shock closed at 0.0315 %). See core/impact.py.
    sqrt = SquareRootImpact(yy, _a(liq.sigma_daily), volume, cap)
    impact: ImpactModel = sqrt
    if scenario.impact_model == "linear":
        # λ matches the square-root law at a flow equal to the close's capacity
        impact = LinearImpact(lambda_from_sqrt(sqrt, cap))
    parts: list[Participant] = []
    sel = universe.where_underlying(underlying)
    kor, kor_lev = korean_long_aum(universe, underlying)
    pp = scenario.participants
    if "letf_rebalancing" in pp:
        k = _a(np.sum(rebalance_multiplier(sel.leverage) * sel.aum_usd))
        # the funds too: past a wipe-out (1 + L·r <= 0) a fund unwinds, −L·A·(1+r)
        parts.append(LetfRebalancing(k, fund_leverage=sel.leverage, fund_aum_usd=sel.aum_usd))
    if "dealer_gamma" in pp:
        parts.append(DealerGamma(_a(pp["dealer_gamma"]["usd_per_pct_adv_frac"] * adv)))
    if "stop_loss" in pp:
        s = pp["stop_loss"]
        parts.append(
            StopLossLadder(
                _a(s["levels_frac"]),
                _a(s["sizes_adv_frac"])[None, :] * adv[:, None],
                _a(s["width_frac"]),
            )
        )
    if "margin_calls" in pp:
        m = pp["margin_calls"]
        parts.append(
            MarginSellers(
                _a(m["position_korean_aum_frac"] * kor),
                _a(m["start_ratios"]),
                _a(m["maintenance_ratio"]),
                _a(max(kor_lev, 1.0)),
                _a(m["fraction_today"]),
            )
        )
    if "retail_redemptions" in pp:
        r = pp["retail_redemptions"]
        parts.append(
            RetailRedemptions(
                _a(kor), _a(max(kor_lev, 1.0 + 1e-9)), _a(r["elasticity"]), _a(r["threshold_frac"])
            )
        )
    return StressModel(
        tuple(parts),
        impact,
        spx_beta=np.array([liq.spx_beta]),
        circuit_breakers=scenario.circuit_breakers,
    )
