"""Risk indicators: each a value, its thresholds with their rationale, a level and a source.

An indicator's level is the number of its (ascending) thresholds the value reaches:
0 LOW, 1 GUARDED, 2 ELEVATED, 3 HIGH, 4 CRITICAL. Thresholds and rationales live in
``data/defaults/monitor_rules.yaml``; the functions here only compute values from a
:class:`~gaemi.data.market.MarketSnapshot` and the fund universe, and never guess a missing
input: an indicator without data is reported as not available.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gaemi.core.decay import closed_form_value
from gaemi.core.universe import Universe
from gaemi.data.market import MarketSnapshot, Observation
from gaemi.errors import GaemiInputError
from gaemi.units import format_change, format_frac, format_krw, format_percent, format_usd

LEVELS: tuple[str, ...] = ("LOW", "GUARDED", "ELEVATED", "HIGH", "CRITICAL")


@dataclass(frozen=True)
class IndicatorSpec:
    """Thresholds and rationale of one indicator (from the rules file)."""

    id: str
    name: str
    thresholds: tuple[float, ...]
    measure: str
    rationale: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def level(self, value: float) -> int:
        """Number of thresholds reached by ``value`` (|value| when measure is abs)."""
        if math.isnan(value):
            raise GaemiInputError(f"indicator {self.id}: value is NaN")
        v = abs(value) if self.measure == "abs" else value
        # a value within 1e-9 (relative) of a threshold counts as reaching it, so that
        # 0.0275 - 0.025 reaches a 0.0025 threshold despite binary rounding
        return int(sum(v >= t - 1e-9 * max(1.0, abs(t)) for t in self.thresholds))


@dataclass(frozen=True)
class Indicator:
    """A computed indicator (frozen)."""

    id: str
    name: str
    value: float
    unit: str
    level: int | None  # None: not available
    detail: str
    thresholds: tuple[float, ...]
    rationale: str
    as_of: dt.date | None
    source: str

    @property
    def state(self) -> str:
        return "n/a" if self.level is None else LEVELS[self.level]

    def age_days(self, today: dt.date) -> int | None:
        return None if self.as_of is None else (today - self.as_of).days


@dataclass(frozen=True)
class MonitorRules:
    """All indicator specs, composite rules and the staleness limit."""

    specs: Mapping[str, IndicatorSpec]
    status_rules: tuple[Mapping[str, Any], ...]
    stale_after_days: int


def rules_from_dict(doc: Any, src: str = "monitor rules") -> MonitorRules:
    """Validate a parsed rules document."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("indicators"), Mapping):
        raise GaemiInputError(f"{src}: expected a mapping with 'indicators'")
    specs: dict[str, IndicatorSpec] = {}
    for key, body in doc["indicators"].items():
        th = body.get("thresholds")
        if not isinstance(th, list) or len(th) != 4:
            raise GaemiInputError(f"{src}: {key}.thresholds must be a list of 4 numbers")
        try:
            thresholds = tuple(float(x) for x in th)
        except (TypeError, ValueError):
            raise GaemiInputError(f"{src}: {key}.thresholds = {th!r} must be numbers") from None
        if any(b < a for a, b in itertools.pairwise(thresholds)):
            raise GaemiInputError(f"{src}: {key}.thresholds = {th!r} must be ascending")
        measure = str(body.get("measure", "value"))
        if measure not in ("value", "abs"):
            raise GaemiInputError(f"{src}: {key}.measure = {measure!r} must be value or abs")
        params = {
            k: v for k, v in body.items() if k not in ("name", "thresholds", "measure", "rationale")
        }
        specs[str(key)] = IndicatorSpec(
            str(key),
            str(body.get("name", key)),
            thresholds,
            measure,
            str(body.get("rationale", "")).strip(),
            params,
        )
    rules = doc.get("status_rules")
    if not isinstance(rules, list) or not rules:
        raise GaemiInputError(f"{src}: status_rules must be a non-empty list")
    for i, r in enumerate(rules):
        if r.get("status") not in LEVELS:
            raise GaemiInputError(
                f"{src}: status_rules[{i}].status = {r.get('status')!r} "
                f"must be one of {', '.join(LEVELS)}"
            )
        if not isinstance(r.get("level"), int) or not 0 <= r["level"] <= 4:
            raise GaemiInputError(f"{src}: status_rules[{i}].level must be an integer 0-4")
        if not isinstance(r.get("count"), int) or r["count"] < 0:
            raise GaemiInputError(f"{src}: status_rules[{i}].count must be an integer >= 0")
        for ind in r.get("among", []) or []:
            if ind not in specs:
                raise GaemiInputError(
                    f"{src}: status_rules[{i}].among names unknown indicator {ind!r}"
                )
    return MonitorRules(specs, tuple(rules), int(doc.get("stale_after_days", 7)))


def load_default_rules() -> MonitorRules:
    """The embedded rules (``data/defaults/monitor_rules.yaml``)."""
    from gaemi.data.yamlio import default_path, read_yaml

    doc = read_yaml(default_path("monitor_rules.yaml"), "monitor rules file")
    return rules_from_dict(doc, "monitor_rules.yaml")


# --------------------------------------------------------------------------- helpers
def _make(
    spec: IndicatorSpec,
    value: float,
    unit: str,
    detail: str,
    obs: Observation | None,
    source: str | None = None,
    as_of: dt.date | None = None,
) -> Indicator:
    """An indicator at ``value``; its date and source default to the observation's."""
    return Indicator(
        spec.id,
        spec.name,
        value,
        unit,
        spec.level(value),
        detail,
        spec.thresholds,
        spec.rationale,
        as_of if as_of is not None else (obs.as_of if obs else None),
        source if source is not None else (obs.source if obs else ""),
    )


def _worst(spec: IndicatorSpec, candidates: list[Indicator], why_none: str) -> Indicator:
    """The candidate with the highest value (the first on ties), or not available."""
    return max(candidates, key=lambda i: i.value) if candidates else _missing(spec, why_none)


def _missing(spec: IndicatorSpec, why: str) -> Indicator:
    return Indicator(
        spec.id, spec.name, math.nan, "", None, why, spec.thresholds, spec.rationale, None, ""
    )


def growth_per_days(a: Observation, b: Observation, days: float = 60.0) -> float:
    """Growth multiple per ``days`` between two dated points (compound, b after a)."""
    span = (b.as_of - a.as_of).days
    if span <= 0 or a.value <= 0:
        raise GaemiInputError(f"{b.name}: need two increasing dates with a positive start")
    return float((b.value / a.value) ** (days / span))


def sideways_decay(vol_annual: float, leverage: float = 3.0, years: float = 0.5) -> float:
    """Fraction lost by an L-times fund over ``years`` if the underlying ends flat.

    1 − exp(−(L²−L)/2·σ²·T), volatility drag only (Avellaneda & Zhang 2010; DESIGN.md
    section 1), from :func:`gaemi.core.decay.closed_form_value`.
    """
    return 1.0 - float(closed_form_value(leverage, 1.0, vol_annual**2 * years))


# --------------------------------------------------------------------------- indicators
Context = Mapping[str, Any]


def ind_index_move(key: str, series: str, label: str) -> Callable[..., Indicator]:
    def compute(spec: IndicatorSpec, m: MarketSnapshot, u: Universe, ctx: Context) -> Indicator:
        moves = ctx.get("moves", {})
        if label in moves:
            v = float(moves[label])
            return _make(
                spec, v, "frac", f"{label} {format_frac(v)} today (user input)", None, "user input"
            )
        if not m.has(series):
            return _missing(spec, f"no {series} in the snapshot")
        o = m.latest(series)
        return _make(spec, o.value, "frac", f"{label} {format_frac(o.value)} on {o.as_of}", o)

    compute.__name__ = f"ind_{key}"
    return compute


#: The depository's median two-month growth of Korean leveraged custody: the median of
#: :func:`custody_growth_ratios` (61 days) of :func:`leveraged_custody_sums` over the weekly
#: top-50 lists 2020-01-06 .. 2026-01-12 (291 windows: ×1.1178), the figure of the report's
#: claims table (:func:`gaemi.app.report.claims_checked`) and of docs/korea.md §5 and §7;
#: the reference beside the x2 line. tests/monitor/test_growth_reference.py recomputes it
#: from ../shared/data.
MEASURED_MEDIAN_GROWTH_60D = 1.12
#: Calendar days of the "two months" of :data:`MEASURED_MEDIAN_GROWTH_60D` and the claims
#: table, and how far from them the earlier list may be.
GROWTH_WINDOW_DAYS = 61
GROWTH_WINDOW_TOLERANCE_DAYS = 4


def leveraged_custody_sums(holdings: Any, tickers: Collection[str]) -> Any:
    """Σ Korean custody of the leveraged/inverse funds ``tickers`` per weekly top-50 list.

    ``holdings``: ``as_of, ticker, holdings_usd, source`` (the depository's lists; only
    rows whose source names the weekly list count, so every sum is of the same kind of
    list). Returns a Series of USD by list date, ascending.
    """
    h = holdings[
        holdings["ticker"].isin(set(tickers))
        & holdings["source"].astype(str).str.contains("weekly")
    ]
    return h.groupby("as_of")["holdings_usd"].sum().sort_index()


def custody_growth_ratios(
    sums: Any, days: int = GROWTH_WINDOW_DAYS, tolerance_days: int = GROWTH_WINDOW_TOLERANCE_DAYS
) -> Any:
    """s_t / s_{t−days} for every list date t, with the list nearest ``days`` calendar days
    earlier (within ``tolerance_days``; a date without one, or with a zero sum there, is
    left out). ``sums``: a Series by date (:func:`leveraged_custody_sums`)."""
    import pandas as pd

    idx = sums.index
    out = {}
    for d in idx:
        target = d - pd.Timedelta(days=days)
        k = idx.searchsorted(target)
        cands = [j for j in (k - 1, k) if 0 <= j < len(idx)]
        if not cands:
            continue
        j = min(cands, key=lambda j: abs((idx[j] - target).days))
        if abs((idx[j] - target).days) <= tolerance_days and sums.iloc[j] > 0:
            out[d] = float(sums.loc[d] / sums.iloc[j])
    return pd.Series(out, dtype=float)


def depository_growth(holdings: Any, days: float = 60.0) -> tuple[float, str, dt.date, str] | None:
    """Growth per ``days`` of the depository's Korean custody of the same funds at two dates.

    ``holdings``: ``as_of, ticker, holdings_usd, source`` (every custody figure of the
    leveraged funds on or before the day, :attr:`MarketState.korean_holdings`). The later
    date is the last list; the earlier the last list at least ``days`` before it (else
    the first list). Only funds listed on both dates are summed (a fund absent from a
    top-50 list is unknown, not zero). Returns (growth, detail, later date, source) or
    None when fewer than two dates or no fund on both.
    """
    import pandas as pd

    if holdings is None or len(holdings) == 0:
        return None
    h = holdings.assign(as_of=pd.to_datetime(holdings["as_of"]))
    h = h[h["holdings_usd"].notna()]
    dates = sorted(h["as_of"].unique())
    if len(dates) < 2:
        return None
    b = pd.Timestamp(dates[-1])
    earlier = [pd.Timestamp(d) for d in dates if pd.Timestamp(d) <= b - pd.Timedelta(days=days)]
    a = earlier[-1] if earlier else pd.Timestamp(dates[0])
    ha = h[h["as_of"] == a].groupby("ticker")["holdings_usd"].sum()
    hb = h[h["as_of"] == b].groupby("ticker")["holdings_usd"].sum()
    both = sorted(set(ha.index) & set(hb.index))
    if not both or ha[both].sum() <= 0:
        return None
    sa, sb = float(ha[both].sum()), float(hb[both].sum())
    span = (b - a).days
    g = (sb / sa) ** (days / span)
    shown = ", ".join(both[:6]) + (f" and {len(both) - 6} more" if len(both) > 6 else "")
    detail = (
        f"KSD custody of {shown}: {format_usd(sa)} ({a.date()}) → {format_usd(sb)} "
        f"({b.date()}): x{sb / sa:.2f} in {span} days, x{g:.2f} per 60 days (measured "
        f"median 2020–2026: x{MEASURED_MEDIAN_GROWTH_60D:.2f})"
    )
    srcs = sorted(set(h[h["as_of"].isin([a, b]) & h["ticker"].isin(both)]["source"].astype(str)))
    source = "KSD depository custody (same funds at both dates): " + "; ".join(srcs)
    return g, detail, b.date(), source


def ind_korean_leveraged_growth(
    spec: IndicatorSpec, m: MarketSnapshot, u: Universe, ctx: Context
) -> Indicator:
    if ctx.get("korean_holdings") is not None:
        found = depository_growth(ctx["korean_holdings"])
        if found is None:
            return _missing(
                spec, "fewer than two depository custody lists of the funds on or before the day"
            )
        g, detail, b_day, source = found
        return _make(spec, g, "multiple_per_60d", detail, None, source, b_day)
    name = "korea_overseas_leveraged_krw"
    if not m.has(name) or len(m.history(name)) < 2:
        return _missing(spec, "fewer than two dated Korean leveraged-holdings points")
    a, b = m.history(name)[-2:]
    g = growth_per_days(a, b)
    detail = (
        f"{format_krw(a.value)} ({a.as_of}) → {format_krw(b.value)} ({b.as_of}): "
        f"x{b.value / a.value:.0f}, x{g:.2f} per 60 days"
    )
    return _make(spec, g, "multiple_per_60d", detail, b, f"press figures: {a.source}; {b.source}")


def ind_korean_fund_share(
    spec: IndicatorSpec, m: MarketSnapshot, u: Universe, ctx: Context
) -> Indicator:
    ks = ctx.get("korean_shares")
    if ks is not None:  # the depository: custody / AUM on the day, both on or before it
        ok = ks[(ks["aum_usd"] >= 1e9) & ks["korean_share"].notna()]
        if ok.empty:
            return _missing(
                spec,
                "no fund above $1B with a depository Korean share on the day (custody "
                "observed or carried at most 8 days, AUM known that day)",
            )
        r = ok.loc[ok["korean_share"].idxmax()]
        share = float(r["korean_share"])
        detail = (
            f"{r['ticker']} {format_percent(share)} Korean-held: KSD custody "
            f"{format_usd(float(r['korean_held_usd']))} ({r['basis']} {r['korean_as_of']}) / "
            f"AUM {format_usd(float(r['aum_usd']))} ({r['aum_as_of']})"
        )
        return _make(
            spec,
            share,
            "frac",
            detail,
            None,
            f"KSD depository: {r['source_korean']}",
            dt.date.fromisoformat(str(r["korean_as_of"])),
        )
    # the AUM decides both the "above $1B" filter and the detail: a fund snapshot dated
    # after the replay day is not known that day (no look-ahead), as for close pressure
    why = _aum_after_day(u, ctx)
    if why:
        return _missing(spec, why)
    big = (u.aum_usd >= 1e9) & u.korean_known & _aum_known_rows(u, ctx)
    if not big.any():
        return _missing(spec, "no fund above $1B with a known Korean share")
    idx = np.flatnonzero(big)
    i = int(idx[np.argmax(u.korean_share[idx])])
    share = float(u.korean_share[i])
    asof = dt.date.fromisoformat(u.korean_as_of[i]) if u.korean_as_of[i] else None
    detail = (
        f"{u.ticker[i]} {format_percent(share, decimals=0)} Korean-held "
        f"(AUM {format_usd(float(u.aum_usd[i]))})"
    )
    return _make(spec, share, "frac", detail, None, f"press figure: {u.source_korean[i]}", asof)


def ind_sideways_decay(
    spec: IndicatorSpec, m: MarketSnapshot, u: Universe, ctx: Context
) -> Indicator:
    band = float(spec.params.get("sideways_abs_return_60d", 0.10))
    found: list[Indicator] = []
    for label in ("ndx", "sox"):
        vol_name, ret_name = f"{label}_vol_60d", f"{label}_return_60d"
        if not (m.has(vol_name) and m.has(ret_name)):
            continue
        vol, ret = m.latest(vol_name), m.latest(ret_name)
        sideways = abs(ret.value) <= band
        decay = sideways_decay(vol.value) if sideways else 0.0
        detail = (
            f"{label.upper()} 60-day vol {format_percent(vol.value, decimals=0)}, 60-day return "
            f"{format_frac(ret.value, decimals=1)} → "
            + (
                f"sideways: a 3x fund loses {format_percent(decay, decimals=0)} to volatility drag "
                "alone in 6 "
                "months if it stays flat (before financing and fees)"
                if sideways
                else "trending, not sideways"
            )
        )
        found.append(_make(spec, decay, "frac", detail, vol))
    return _worst(spec, found, "no 60-day volatility in snapshot")


def _latest_ind(
    series: str, unit: str, fmt: Callable[[Observation], str]
) -> Callable[..., Indicator]:
    def compute(spec: IndicatorSpec, m: MarketSnapshot, u: Universe, ctx: Context) -> Indicator:
        if not m.has(series):
            return _missing(spec, f"no {series} in the snapshot")
        o = m.latest(series)
        return _make(spec, o.value, unit, fmt(o), o)

    compute.__name__ = f"ind_{series}"
    return compute


def ind_bok_hike(spec: IndicatorSpec, m: MarketSnapshot, u: Universe, ctx: Context) -> Indicator:
    name = "bok_base_rate"
    if not m.has(name) or len(m.history(name)) < 2:
        return _missing(spec, "fewer than two BoK decisions in the snapshot")
    a, b = m.history(name)[-2:]
    change = b.value - a.value
    verb = "hike" if change > 0 else ("cut" if change < 0 else "hold")
    # the rate as quoted (two decimals), the step in whole basis points (+25 bp)
    step = format_change(change * 100, "pp", decimals=0)
    detail = f"{verb} at {format_percent(b.value, decimals=2)} on {b.as_of} ({step})"
    return _make(spec, max(change, 0.0), "rate_change", detail, b)


def ind_margin_growth(
    spec: IndicatorSpec, m: MarketSnapshot, u: Universe, ctx: Context
) -> Indicator:
    name = "korea_margin_loans_krw"
    if not m.has(name) or len(m.history(name)) < 2:
        return _missing(spec, "fewer than two margin-loan points in the snapshot")
    a, b = m.history(name)[-2:]
    g = growth_per_days(a, b) - 1.0
    detail = (
        f"{format_krw(b.value)} on {b.as_of} ({format_krw(a.value)} on {a.as_of}): "
        f"{format_frac(g, decimals=0)} per 60 days"
    )
    return _make(spec, g, "frac_per_60d", detail, b, f"{a.source}; {b.source}")


#: Underlyings whose move today the indicators read from ``context["moves"]`` (upper case);
#: ``gaemi monitor --move`` and ``POST /api/status`` accept exactly these.
MOVE_UNDERLYINGS: tuple[str, ...] = ("NDX", "SOX")


def _today_moves(
    m: MarketSnapshot, ctx: Context
) -> dict[str, tuple[float, str, Observation | None]]:
    """NDX/SOX move for today: user input, else the snapshot's latest daily move."""
    out: dict[str, tuple[float, str, Observation | None]] = {}
    moves = ctx.get("moves", {})
    for label, series in (("NDX", "ndx_move_1d"), ("SOX", "sox_move_1d")):
        if label in moves:
            out[label] = (float(moves[label]), "user input", None)
        elif m.has(series):
            o = m.latest(series)
            out[label] = (o.value, o.source, o)
    return out


def first_aum_date(u: Universe) -> dt.date | None:
    """The earliest AUM date of the universe (None if no fund is dated): on a day before
    it the universe's AUM was not yet known (the report's replay uses the same rule)."""
    dates = sorted(set(u.aum_as_of.tolist()) - {""})
    return dt.date.fromisoformat(dates[0]) if dates else None


def _aum_after_day(u: Universe, ctx: Context) -> str | None:
    """Why AUM-based indicators are unavailable on ``ctx['day']`` (replay), else None."""
    day = ctx.get("day")
    first = first_aum_date(u)
    if day is None or first is None or first <= day:
        return None
    return f"fund AUM snapshot ({first}) is after {day}: not known that day"


def _aum_known_rows(u: Universe, ctx: Context) -> np.ndarray:
    """Funds whose AUM is dated on or before ``ctx['day']`` (every fund without a day)."""
    day = ctx.get("day")
    if day is None:
        return np.ones(len(u.aum_as_of), dtype=bool)
    return np.array([not d or dt.date.fromisoformat(d) <= day for d in u.aum_as_of.tolist()])


#: What a move indicator says of one underlying's move today on the stress scenario:
#: (value, detail, source after the move's own), or None to leave the underlying out.
MoveReading = Callable[[str, float, Any], "tuple[float, str, str] | None"]


def _worst_move(
    spec: IndicatorSpec,
    m: MarketSnapshot,
    u: Universe,
    ctx: Context,
    read: MoveReading,
    why_none: str,
) -> Indicator:
    """The worst of ``read(label, move, scenario)`` over today's NDX/SOX moves (a ratio),
    on ``ctx['stress_scenario']`` (default: the embedded scenario); not available on a
    replay day before the fund AUM is known, or when no underlying gives a reading."""
    why = _aum_after_day(u, ctx)
    if why:
        return _missing(spec, why)
    from gaemi.data.stress import load_default_stress

    scenario = ctx.get("stress_scenario") or load_default_stress()
    found: list[Indicator] = []
    for label, (move, src, obs) in _today_moves(m, ctx).items():
        reading = read(label, move, scenario)
        if reading is not None:
            value, detail, source = reading
            found.append(_make(spec, value, "ratio", detail, obs, f"{src}; {source}"))
    return _worst(spec, found, why_none)


def ind_close_pressure(
    spec: IndicatorSpec, m: MarketSnapshot, u: Universe, ctx: Context
) -> Indicator:
    """|LETF close flow at today's move| / closing capacity, worst of NDX and SOX."""
    from gaemi.core.flows import concentrated_sensitivity
    from gaemi.core.liquidity import pressure_ratio, threshold_move_frac

    k = concentrated_sensitivity(u)

    def read(label: str, move: float, scenario: Any) -> tuple[float, str, str] | None:
        if label not in k:
            return None
        cap = scenario.liquidity(label).capacity_usd
        flow = k[label] * move
        ratio = float(pressure_ratio(flow, cap))
        full_at = float(threshold_move_frac(k[label], cap))
        detail = (
            f"{label} {format_frac(move)}: LETF close flow {format_usd(abs(flow))} vs closing "
            f"capacity {format_usd(cap)} (leveraged-fund pressure {ratio:.2f}); their flow "
            f"alone fills the close at a ±{format_percent(full_at)} move"
        )
        return ratio, detail, f"capacity: stress_default.yaml ({scenario.source})"

    return _worst_move(spec, m, u, ctx, read, "no NDX/SOX move or funds")


def ind_critical_proximity(
    spec: IndicatorSpec, m: MarketSnapshot, u: Universe, ctx: Context
) -> Indicator:
    """Today's move as a fraction of the feedback engine's critical shock (≥ 1: past it)."""
    from gaemi.core.feedback import critical_shock
    from gaemi.data.stress import build_stress_model

    underlyings = set(u.underlying_id.tolist())

    def read(label: str, move: float, scenario: Any) -> tuple[float, str, str] | None:
        if move == 0 or label not in underlyings:
            return None
        model = build_stress_model(scenario, u, label)
        crit = critical_shock(model, -1.0 if move < 0 else 1.0)
        c = float(crit.shock_frac[0])
        if bool(crit.unstable[0]):
            value, detail = 1.0, f"{label}: unstable — any shock runs to the breaker floor"
        elif np.isnan(c):
            value = 0.0
            detail = (
                f"{label} {format_frac(move)}: no critical shock before the circuit-breaker "
                "floor in the default stress scenario"
            )
        else:
            value = move / c
            before = format_frac(float(crit.move_before_frac[0]), decimals=1)
            after = format_frac(float(crit.move_after_frac[0]), decimals=1)
            detail = (
                f"{label} {format_frac(move)} is {format_percent(value, decimals=0)} of the "
                f"critical shock {format_frac(c)} (the close jumps from {before} to {after})"
            )
        return value, detail, "feedback engine on stress_default.yaml"

    return _worst_move(spec, m, u, ctx, read, "no NDX/SOX move")


INDICATORS: dict[str, Callable[..., Indicator]] = {
    "close_pressure": ind_close_pressure,
    "critical_proximity": ind_critical_proximity,
    "ndx_move": ind_index_move("ndx_move", "ndx_move_1d", "NDX"),
    "sox_move": ind_index_move("sox_move", "sox_move_1d", "SOX"),
    "korean_leveraged_growth": ind_korean_leveraged_growth,
    "korean_fund_share": ind_korean_fund_share,
    "sideways_decay": ind_sideways_decay,
    "usdkrw_level": _latest_ind(
        "usdkrw_level", "krw_per_usd", lambda o: f"₩{o.value:,.1f} per USD on {o.as_of}"
    ),
    "usdkrw_speed": _latest_ind(
        "usdkrw_change_20d",
        "frac",
        lambda o: f"{format_frac(o.value, decimals=1)} in 20 trading days to {o.as_of}",
    ),
    "bok_hike": ind_bok_hike,
    "margin_loan_growth": ind_margin_growth,
    "vix_level": _latest_ind(
        "vix_level", "index_points", lambda o: f"VIX {o.value:.1f} on {o.as_of}"
    ),
    "vix_jump": _latest_ind(
        "vix_change_1d", "frac", lambda o: f"VIX {format_frac(o.value, decimals=0)} on {o.as_of}"
    ),
    "korea_single_stock_2x": _latest_ind(
        "korea_single_stock_2x_aum_usd",
        "usd",
        lambda o: (
            f"SK hynix 2x (CSOP) {format_usd(o.value)} on {o.as_of}; KRX ±2x listed 2026-05-27"
        ),
    ),
    "crypto_altcoin_share": _latest_ind(
        "korea_crypto_altcoin_share",
        "frac",
        lambda o: f">{format_percent(o.value, decimals=0)} of Korean volume ({o.as_of})",
    ),
    "kimchi_premium": _latest_ind(
        "kimchi_premium", "frac", lambda o: f"{format_frac(o.value)} on {o.as_of}"
    ),
}


def compute_indicators(
    market: MarketSnapshot,
    universe: Universe,
    rules: MonitorRules,
    context: Context | None = None,
    extra: Mapping[str, Callable[..., Indicator]] | None = None,
) -> list[Indicator]:
    """Every indicator named in ``rules`` that has a computation, in rules order.

    ``context`` may carry ``moves`` (``{"NDX": -0.031}``: today's moves, overriding the
    snapshot), ``stress_scenario`` (a loaded stress scenario; default: the embedded one)
    and ``day`` (replay: indicators needing data published after it are not available).
    ``extra`` adds computations supplied by other engines.
    """
    ctx = context or {}
    table = {**INDICATORS, **(extra or {})}
    out = []
    for key, spec in rules.specs.items():
        fn = table.get(key)
        if fn is None:
            out.append(_missing(spec, "no computation for this indicator in this build"))
            continue
        out.append(fn(spec, market, universe, ctx))
    return out
