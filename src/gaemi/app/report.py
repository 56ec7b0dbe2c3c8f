"""The daily report as one result: status, indicators, flows and every engine's section.

:func:`report` builds it from a :class:`~gaemi.data.state.MarketState`. The model is plain
data (numbers with units, DataFrames) so the terminal, HTML and JSON renderers show the same
numbers; every number carries its as-of date and source, stale observations are flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from gaemi.app.result import Result, format_usd, records
from gaemi.app.state import market_known_on, parse_day
from gaemi.core.flows import compute_flows, ladder_moves, projected_close_flow
from gaemi.core.universe import Universe
from gaemi.data.market import MarketSnapshot
from gaemi.monitor.indicators import (
    Indicator,
    MonitorRules,
    compute_indicators,
    first_aum_date,
)
from gaemi.monitor.replay import universe_known_on
from gaemi.monitor.status import Status, composite_status

if TYPE_CHECKING:
    from gaemi.data.state import MarketState

#: Underlyings shown in the ladder (ids), in order.
LADDER_UNDERLYINGS: tuple[str, ...] = ("NDX", "SOX", "SPX", "TSLA", "NVDA")
LADDER_MOVES = (-0.05, 0.05, 0.01)


@dataclass(frozen=True)
class Section:
    """One part of the report: a title, a sentence, tables and figures (by name)."""

    key: str
    title: str
    summary: str
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    #: figure data: in the JSON output and the charts, not printed as tables
    data: Mapping[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class Report(Result):
    """Everything the renderers need (frozen): the report's result."""

    report_date: dt.date
    status: Status
    indicators: tuple[Indicator, ...]
    sections: tuple[Section, ...]
    universe_label: str
    market_label: str
    usdkrw: float | None
    usdkrw_as_of: dt.date | None
    stale_after_days: int
    notes: tuple[str, ...] = ()
    kind: str = field(default="report", init=False, repr=False)

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """The indicators (default) or a section's table: ``view="flows.ladder"``."""
        if view is None or view == "indicators":
            return self.indicator_frame()
        key, _, table = view.partition(".")
        sec = self.section(key)
        both = {**sec.tables, **sec.data}
        if table not in both:
            raise KeyError(f"view = {view!r}: section {key} has {', '.join(both)}")
        return both[table]

    def summary(self) -> str:
        """The status and its reason."""
        return f"{self.report_date}: {self.status.status} — {self.status.reason}"

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def indicator_frame(self) -> pd.DataFrame:
        from gaemi.app.status import indicator_frame

        return indicator_frame(self.indicators, self.report_date, self.stale_after_days)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN → None)."""
        return {
            "report_date": self.report_date.isoformat(),
            "status": self.status.status,
            "status_level": self.status.level,
            "reason": self.status.reason,
            "universe": self.universe_label,
            "market": self.market_label,
            "usdkrw": self.usdkrw,
            "usdkrw_as_of": self.usdkrw_as_of.isoformat() if self.usdkrw_as_of else None,
            # every amount in the JSON is USD (keys ending _usd; _krw keys are won), with or
            # without --krw; usdkrw above is the rate the terminal and HTML convert at
            "currency": "USD",
            "indicators": records(self.indicator_frame()),
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "summary": s.summary,
                    "sources": list(s.sources),
                    "tables": {k: records(v) for k, v in {**s.tables, **s.data}.items()},
                }
                for s in self.sections
            ],
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }


# ------------------------------------------------------------------- known on the report day
def universe_not_known(universe: Universe, day: dt.date) -> str | None:
    """Why the fund universe is not known on ``day`` (its earliest AUM date is after it),
    else None — the same rule as the AUM-based indicators."""
    first = first_aum_date(universe)
    if first is not None and first > day:
        return f"the fund AUM snapshot ({first}) is after {day}"
    return None


def not_known_section(key: str, title: str, why: str) -> Section:
    """A section whose inputs were published after the report day: says so, no numbers."""
    return Section(key, title, f"Not known that day: {why}.")


SECTION_TITLES: dict[str, str] = {
    "flows": "Rebalancing into the close",
    "today": "Projected close flow at the latest move",
    "stress": "Closing liquidity and the feedback loop",
    "cascade": "Contagion: the six-step chain",
    "decay": "Decay outlook in a sideways market",
    "crypto": "Crypto: leveraged positions and liquidation cascades",
}


def flows_section(universe: Universe) -> Section:
    """The rebalancing ladder by underlying with its Korean part, and the per-1% table."""
    present = [u for u in LADDER_UNDERLYINGS if u in set(universe.underlying_id.tolist())]
    sub = universe.where_underlying(present)
    long = compute_flows(sub, ladder_moves(*LADDER_MOVES)).to_frame("underlying")
    ladder = pd.DataFrame({"move_frac": sorted(set(long["move_frac"]))})
    for uid in present:
        g = long[long["underlying_id"] == uid].set_index("move_frac")
        ladder[f"{uid.lower()}_flow_usd"] = ladder["move_frac"].map(g["flow_usd"])
        if g["korean_flow_usd"].notna().any():
            ladder[f"{uid.lower()}_korean_flow_usd"] = ladder["move_frac"].map(g["korean_flow_usd"])
    sens = compute_flows(universe, [0.01]).to_frame("group")
    sens = sens[
        [
            "underlying_group",
            "n_funds",
            "aum_usd",
            "korean_aum_usd",
            "flow_per_pct_usd",
            "korean_flow_usd",
            "korean_coverage_frac",
        ]
    ]
    sens = sens.rename(columns={"korean_flow_usd": "korean_flow_per_pct_usd"})
    total = float(sens["flow_per_pct_usd"].sum())
    kor = float(sens["korean_flow_per_pct_usd"].sum(min_count=1))
    asof = sorted(set(universe.aum_as_of.tolist()) - {""})
    at5 = long[(long["move_frac"] == -0.05)].set_index("underlying_id")["flow_usd"]
    worst = ", ".join(f"{k} ${-v / 1e9:.1f}B" for k, v in at5.items())
    summary = (
        f"Leveraged and inverse funds must trade ${total / 1e9:.2f}B per 1% move of all "
        f"underlyings (${kor / 1e9:.2f}B of it Korean-held where the Korean share is "
        f"known). At −5% they must sell: {worst}."
    )
    return Section(
        "flows",
        SECTION_TITLES["flows"],
        summary,
        {"ladder": ladder, "sensitivity": sens},
        (
            f"fund AUM as of {', '.join(asof)} (aggregator snapshot, ../shared/facts)",
            "Korean holdings: KSD custody via the press, dated per fund (korean_as_of)",
            "ΔE = L(L−1)·A·r (Cheng & Madhavan 2009)",
        ),
    )


def today_flow_section(
    universe: Universe, moves: Mapping[str, float], market: MarketSnapshot
) -> Section:
    """Projected close flow at today's (or the snapshot's latest) moves."""
    used: dict[str, float] = {}
    src = []
    for label, series in (("NDX", "ndx_move_1d"), ("SOX", "sox_move_1d")):
        if label in moves:
            used[label] = moves[label]
            src.append(f"{label} move: user input")
        elif market.has(series):
            o = market.latest(series)
            used[label] = o.value
            src.append(f"{label} move {o.value:+.2%} on {o.as_of}: {o.source}")
    if not used:
        return Section(
            "today",
            SECTION_TITLES["today"],
            "No NDX or SOX move is known on this day: pass today's move with --move NDX=-3%.",
        )
    res = projected_close_flow(universe, used)
    df = res.to_frame("underlying")
    df = df[df["underlying_id"].isin(list(used))][
        ["underlying_id", "move_frac", "flow_usd", "korean_flow_usd"]
    ]
    total = float(df["flow_usd"].sum())
    summary = (
        "At "
        + ", ".join(f"{k} {v:+.2%}" for k, v in used.items())
        + f", the funds on those underlyings must trade {format_usd(total)} at the close "
        "(+ = buying)."
    )
    return Section("today", SECTION_TITLES["today"], summary, {"flow": df}, tuple(src))


STRESS_UNDERLYINGS: tuple[str, ...] = ("NDX", "SOX")
STRESS_GRID = tuple(round(-0.005 * i, 4) for i in range(21))  # 0 … −10%


def stress_section(universe: Universe, scenario: Any) -> Section:
    """Closing capacity, the move where it fills, the feedback at −2%/−5% and the curve."""
    import numpy as np

    from gaemi.app.stress import curve_direction, stress_setup
    from gaemi.core.feedback import critical_shock, curve

    present = set(universe.underlying_id.tolist())
    rows, curves = [], []
    for und in STRESS_UNDERLYINGS:
        if und not in present:
            continue
        setup = stress_setup(None, und, scenario=scenario, universe=universe)
        res = curve(setup.model, np.asarray(STRESS_GRID))
        crit = critical_shock(setup.model, curve_direction(STRESS_GRID))
        at = dict(zip(STRESS_GRID, res.final_move_frac.tolist(), strict=True))
        rows.append(
            {
                "underlying_id": und,
                "letf_flow_per_pct_usd": setup.letf_flow_per_pct_usd,
                "closing_capacity_usd": setup.capacity_usd,
                "close_full_at_move_frac": setup.threshold_move_frac(-1.0),
                "final_move_at_minus_2pct_frac": at[-0.02],
                "final_move_at_minus_5pct_frac": at[-0.05],
                "critical_shock_frac": float(crit.shock_frac[0]),
            }
        )
        curves.append(
            pd.DataFrame(
                {
                    "underlying_id": und,
                    "shock_frac": list(STRESS_GRID),
                    "final_move_frac": res.final_move_frac,
                }
            )
        )
    table = pd.DataFrame(rows)
    parts = []
    for r in rows:
        crit_text = (
            "no critical shock before the breaker floor"
            if np.isnan(r["critical_shock_frac"])
            else f"critical shock {r['critical_shock_frac']:+.1%}"
        )
        parts.append(
            f"{r['underlying_id']}: the leveraged funds' flow alone fills the close at "
            f"{r['close_full_at_move_frac']:+.1%}; "
            f"−2% ends at {r['final_move_at_minus_2pct_frac']:+.2%}, −5% at "
            f"{r['final_move_at_minus_5pct_frac']:+.2%}; {crit_text}"
        )
    return Section(
        "stress",
        SECTION_TITLES["stress"],
        ". ".join(parts) + ".",
        {"stress": table},
        (
            f"stress scenario: {scenario.name} ({scenario.source})",
            "closing capacity = ADV × closing-auction share (9.44% of notional, NYSE Q2 2024)",
            (
                "square-root impact Δp/p = Y·σ_d·√(Q/V) (Tóth et al. 2011); participants and their "
                "sources in stress_default.yaml and docs/stress.md"
            ),
        ),
        {"curve": pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()},
    )


def cascade_section(
    moves: Mapping[str, float] | None = None, universe: Universe | None = None
) -> Section:
    """The contagion chain: event table and the verdict on each step of the research
    note's chain.

    Without ``moves`` the scenario's fixed shock (−5% NDX/SOX near the close); with them
    (``--move``) the shock is exactly the given moves — an underlying not given is not
    shocked. The close feedback uses ``universe`` (default: the embedded one).
    """
    from gaemi.app.contagion import event_table, fmt_amount
    from gaemi.core.contagion import Shock, find_fuse, simulate, step_verdicts
    from gaemi.core.contagion.analysis import verdicts_frame
    from gaemi.data.cascade import engine_feedback_models, load_cascade

    model = load_cascade()
    fixed = {s.node for s in model.shocks}
    if moves:
        nodes = {n.id for n in model.nodes}
        model = replace(
            model,
            shocks=tuple(
                Shock(k, 0, float(v), "user input (--move)")
                for k, v in moves.items()
                if k in nodes and v != 0
            ),
        )
    fm = engine_feedback_models(model, universe=universe)
    central = simulate(model, deterministic=True, feedback_models=fm)
    ev = event_table(central, frozenset(k.split(":", 1)[1] for k in (fm or {})))
    cols = [
        "step",
        "day",
        "action",
        "node",
        "amount",
        "amount_unit",
        "impact",
        "impact_unit",
        "parameters",
        "source",
    ]
    ev = ev[cols].copy()
    ev.insert(
        4,
        "amount_text",
        [
            fmt_amount(float(v), str(u))
            for v, u in zip(ev["amount"], ev["amount_unit"], strict=True)
        ],
    )
    ev.insert(
        5,
        "impact_text",
        [
            fmt_amount(float(v), str(u))
            for v, u in zip(ev["impact"], ev["impact_unit"], strict=True)
        ],
    )
    verdicts = verdicts_frame(step_verdicts(central))[
        ["step", "title", "verdict", "follows", "reason"]
    ]
    fuse = find_fuse(model, feedback_models=fm) if model.shocks else None
    broken = [f"step {r.step}" for r in verdicts.itertuples(index=False) if r.verdict == "no"]
    partly = [f"step {r.step}" for r in verdicts.itertuples(index=False) if r.verdict == "partly"]
    if moves:
        shocks = ", ".join(f"{s.node} {s.move:+.1%}" for s in model.shocks) or "none"
        unshocked = sorted(fixed - {s.node for s in model.shocks})
        head = f"Shock from --move: {shocks}" + (
            f" ({', '.join(unshocked)} not shocked)" if unshocked else ""
        )
        what = "these moves"
    else:
        shocks = ", ".join(f"{s.node} {s.move:+.0%}" for s in model.shocks)
        head = f"The scenario's fixed shock {shocks} (--move drives it from today's moves)"
        what = "the shock"
    if fuse is None:
        fuse_text = "; with no shock nothing fires."
    elif fuse.reached:
        fuse_text = f"; the full chain fires from {fuse.scale:.2g}x {what}."
    elif moves:
        fuse_text = "; the full chain never fires from any multiple of these moves."
    else:
        fuse_text = "; the full chain never fires from a single US day of any size."
    summary = (
        f"{head}: {len(ev)} rules fire over {model.horizon_days} days. "
        + (
            f"The note's chain breaks at {', '.join(broken)}"
            if broken
            else "Every step of the note's chain follows from the mechanics"
        )
        + (f"{'; ' if broken else ', except '}{', '.join(partly)} only partly" if partly else "")
        + (" (reasons below)" if broken or partly else "")
        + fuse_text
    )
    return Section(
        "cascade",
        SECTION_TITLES["cascade"],
        summary,
        {"events": ev, "steps": verdicts},
        (
            (
                f"scenario: {model.name} (cascade_default.yaml; calibrated on 2004–2019 by "
                "scripts/calibrate_cascade.py) — every row names its parameters and source"
            ),
            "close feedback on NDX/SOX: the liquidity engine (gaemi stress); docs/cascade.md",
        ),
    )


CRYPTO_SHOCKS: tuple[float, ...] = (-0.02, -0.04, -0.06, -0.08, -0.10)


def crypto_section(market: MarketSnapshot, day: dt.date | None = None) -> Section:
    """Liquidation cascades after BTC shocks on the calibrated population; Korea's loss.

    Not known before the population's calibration day (``as_of`` of the crypto config)."""
    import numpy as np

    from gaemi.core.crypto import cascade, korean_slice_loss
    from gaemi.data.crypto import load_crypto_config

    cfg = load_crypto_config()
    if day is not None and cfg.as_of and dt.date.fromisoformat(cfg.as_of) > day:
        return not_known_section(
            "crypto",
            SECTION_TITLES["crypto"],
            f"the leveraged crypto population is calibrated to {cfg.as_of}, after {day}",
        )
    pop, _ = cfg.population()
    shocks = np.asarray(CRYPTO_SHOCKS)
    res = cascade(pop, cfg.market(), {"BTC": shocks})
    # the report converts at the snapshot's latest USD/KRW (the same rate as every other
    # KRW figure of the report); the crypto config's own rate is the calibration day's
    fx = market.latest("usdkrw_level") if market.has("usdkrw_level") else None
    ks = cfg.korean_slice(usdkrw=fx.value if fx is not None else None)
    loss = korean_slice_loss(ks, res.final_move_frac)
    names = list(res.asset_names)
    final = res.final_move_frac
    df = pd.DataFrame(
        {
            "btc_shock_frac": shocks,
            "liquidated_usd": res.total_usd(),
            "long_share_frac": res.long_share(),
            "btc_final_move_frac": final[:, names.index("BTC")],
            "alt_final_move_frac": final[:, names.index("ALT")] if "ALT" in names else np.nan,
            "korean_loss_krw": loss.total_pnl_krw,
            "korean_loss_usd": loss.total_pnl_krw / ks.usdkrw,
        }
    )
    row4 = df.iloc[int(np.argmin(np.abs(shocks + 0.04)))]
    kp = cfg.korea_params
    summary = (
        f"A {row4['btc_shock_frac']:.0%} BTC shock sets off "
        f"${row4['liquidated_usd'] / 1e9:.1f}B of liquidations "
        f"({row4['long_share_frac']:.0%} longs); BTC ends {row4['btc_final_move_frac']:+.1%}, "
        f"altcoins {row4['alt_final_move_frac']:+.1%}; Korean holders lose about "
        f"₩{-row4['korean_loss_krw'] / 1e12:.1f}tn."
    )
    return Section(
        "crypto",
        SECTION_TITLES["crypto"],
        summary,
        {"cascade": df},
        (
            (
                f"population and depth: {cfg.src} ({cfg.name}); calibrated to 10-11 Oct 2025 "
                "(≈$19B liquidated, ≈87% longs; FACTS.md f) — docs/crypto.md"
            ),
            f"Korean holdings: {kp['holdings_krw'].source.strip()}",
            (
                f"USD/KRW {ks.usdkrw:,.2f} on {fx.as_of}: {fx.source}"
                if fx is not None
                else f"USD/KRW {ks.usdkrw:,.2f}: {kp['usdkrw'].source}"
            ),
        ),
    )


#: Funds shown in the decay outlook (the largest Korean favourites), if in the universe.
DECAY_TICKERS: tuple[str, ...] = ("TQQQ", "SOXL", "SOXS", "SQQQ", "TSLL", "NVDL")


def decay_section(
    universe: Universe,
    market: MarketSnapshot,
    day: dt.date | None = None,
    state: MarketState | None = None,
) -> Section:
    """Sideways-market erosion of the big funds, at the one sideways-decay volatility.

    Each fund's answer is :func:`gaemi.app.decay.sideways_decay`'s (the same as ``gaemi
    decay`` and the dashboard): the state's 60-day realised vol of the underlying, else
    the one-year realised vol of ``vol_params.yaml`` if dated on or before ``day`` (the
    ``vol_source`` column says which); a fund with no volatility known that day is left
    out and named.

    1 − exp(−(L²−L)/2·σ²·T + carry·T) for a flat underlying (Avellaneda & Zhang 2010), with
    each fund's expense ratio and the embedded short rate and financing spread.
    """
    from dataclasses import replace as dc_replace

    from gaemi.app.decay import _sideways, fund, vol_defaults
    from gaemi.data.state import MarketState as State
    from gaemi.errors import GaemiInputError

    vd = vol_defaults()
    when = day or (state.day if state is not None else dt.datetime.now(dt.UTC).date())
    t0 = dt.datetime.combine(when, dt.time(), dt.UTC)
    if state is None:
        from gaemi.data.calibration import load_default_calibration

        st = State(universe, market, load_default_calibration(), t0)
    else:
        st = dc_replace(state, universe=universe, market=market, as_of=t0)
    rows = []
    unknown_vol: list[str] = []
    tickers = universe.ticker.tolist()
    for t in DECAY_TICKERS:
        if t not in tickers:
            continue
        i = tickers.index(t)
        uid = str(universe.underlying_id[i])
        if uid not in vd.underlyings:
            continue
        er = float(universe.expense_ratio[i])
        f = fund(st, t, expense_ratio=0.0 if er != er else None)
        try:
            res = {m: _sideways(st, f, float(m), None) for m in (3, 6)}
        except GaemiInputError:  # no volatility known on the day
            unknown_vol.append(t)
            continue
        v = res[6].vol
        when_vol = f", {v.as_of}" if v.as_of is not None else ""
        row: dict[str, object] = {
            "ticker": t,
            "leverage": float(universe.leverage[i]),
            "underlying_id": uid,
            "vol_frac": v.vol_annual,
            "vol_source": f"{v.source}{when_vol}",
            "aum_usd": float(universe.aum_usd[i]),
            "loss_3m_flat_frac": res[3].loss_frac,
            "loss_6m_flat_frac": res[6].loss_frac,
            "aum_lost_6m_flat_usd": -res[6].loss_frac * float(universe.aum_usd[i]),
        }
        rows.append(row)
    df = pd.DataFrame(rows)
    worst = df.sort_values("loss_6m_flat_frac", ascending=False).iloc[0] if len(df) else None
    summary = (
        "If the underlyings end six months flat at their recent volatility, "
        + (
            f"{worst['ticker']} loses {worst['loss_6m_flat_frac']:.0%} of its value "
            f"(σ = {worst['vol_frac']:.0%} a year; drag plus its financing and fees)"
            if worst is not None
            else "no fund is shown"
        )
        + (
            "; the table gives 3 and 6 months for each big fund."
            if worst is not None
            else (
                f" (no volatility known on {day} for {', '.join(unknown_vol)})."
                if unknown_vol
                else "."
            )
        )
    )
    return Section(
        "decay",
        SECTION_TITLES["decay"],
        summary,
        {"erosion": df},
        (
            (
                "vol: the one sideways-decay rule (gaemi.app.decay.sideways_vol): the state's "
                "60-day realised vol for NDX and SOX, else vol_params.yaml one-year realised "
                f"vol as of {vd.as_of} (scripts/build_vol_params.py)"
            ),
            (
                f"short rate {vd.rate_annual:.2%} ({vd.rate_source}); financing spread "
                f"{vd.spread_annual:.2%} ({vd.spread_source})"
            ),
            "erosion = 1 − exp(−(L²−L)/2·σ²·T + carry·T) (Avellaneda & Zhang 2010)",
            *(
                [
                    (
                        f"left out: {', '.join(unknown_vol)} — no volatility known on {day} "
                        f"(vol_params.yaml is as of {vd.as_of})"
                    )
                ]
                if unknown_vol
                else []
            ),
        ),
    )


def build_report(
    universe: Universe,
    market: MarketSnapshot,
    rules: MonitorRules,
    *,
    report_date: dt.date,
    moves: Mapping[str, float] | None = None,
    state: MarketState | None = None,
) -> Report:
    """Compute every available section for ``report_date`` (``state``: the market state
    the inputs came from, for its calibration and sources).

    Nothing dated after ``report_date`` is used (no look-ahead): market points after it
    are dropped (their indicators read n/a, "not known that day"), Korean shares
    published later are hidden, and if the fund universe's AUM is dated after it the
    sections that need the universe say it is not known that day.
    """
    from gaemi.data.stress import load_default_stress

    moves = dict(moves or {})
    scenario = load_default_stress()
    full_market = market
    market, later = market_known_on(market, report_date)
    # only what was known on the report date: Korean shares published later are hidden and
    # AUM-based indicators need a fund snapshot dated on or before it (no look-ahead)
    known = universe_known_on(universe, report_date)
    ctx = {"moves": moves, "stress_scenario": scenario, "day": report_date}
    indicators = tuple(compute_indicators(market, known, rules, ctx))
    if later:
        # say why an indicator is n/a when only observations after the day would feed it
        full = compute_indicators(full_market, known, rules, ctx)
        indicators = tuple(
            replace(
                i,
                detail=(
                    f"latest observation ({f.as_of}) is after {report_date}: not known that day"
                    if f.as_of is not None and f.as_of > report_date
                    else f"needs observations dated after {report_date}: not known that day"
                ),
            )
            if i.level is None and f.level is not None
            else i
            for i, f in zip(indicators, full, strict=True)
        )
    status = composite_status(indicators, rules)
    if all(i.level is None for i in indicators):
        status = Status(
            "n/a",
            0,
            f"n/a: nothing in the snapshot is known on {report_date} (every indicator is n/a)",
            "nothing_known",
            (),
        )
    why_universe = universe_not_known(known, report_date)
    if why_universe is None:
        sections = [
            flows_section(known),
            today_flow_section(known, moves, market),
            stress_section(known, scenario),
            cascade_section(moves, known),
            decay_section(known, market, report_date, state),
        ]
    else:
        sections = [
            not_known_section(k, SECTION_TITLES[k], why_universe)
            for k in ("flows", "today", "stress", "cascade", "decay")
        ]
    sections.append(crypto_section(market, report_date))
    fx = market.latest("usdkrw_level") if market.has("usdkrw_level") else None
    notes = []
    if later:
        names = sorted(later, key=lambda k: (later[k], k))
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        notes.append(
            f"Report for {report_date}: observations dated after it are not used (not known "
            f"that day) — {len(later)} series of the {full_market.label} have some: {shown}."
        )
    if why_universe is not None:
        notes.append(
            f"The fund universe is not known on {report_date} ({why_universe}): the "
            "rebalancing, close-flow, stress, contagion and decay sections say so."
        )
    if all(i.level is None for i in indicators):
        notes.append(
            f"Nothing in this snapshot is known on {report_date}: every indicator is n/a. "
            "Replay a past day from your own history: `gaemi data import`, then --db STORE."
        )
    ages = [a for a in (i.age_days(report_date) for i in indicators if i.as_of) if a is not None]
    if ages and min(ages) > rules.stale_after_days:
        notes.append(
            f"Every observation is older than {rules.stale_after_days} days "
            f"(newest {min(ages)} days): this is the "
            "embedded snapshot, not today's market. Import fresh data with "
            "`gaemi data import` or pass today's moves with --move NDX=-3%."
        )
    return Report(
        report_date,
        status,
        indicators,
        tuple(sections),
        universe.label,
        market.label,
        fx.value if fx else None,
        fx.as_of if fx else None,
        rules.stale_after_days,
        tuple(notes),
    )


def report(
    state: MarketState | None = None,
    *,
    day: str | dt.date | None = None,
    moves: Mapping[str, float] | None = None,
    korean_aum_usd: float | None = None,
    rules: MonitorRules | None = None,
) -> Report:
    """The daily report on ``state``: status, why, and every engine's section.

    Parameters
    ----------
    state : MarketState, optional
        From :func:`gaemi.load_state` (default: the embedded default as of ``day``).
    day : str or date, optional
        The report day (default: the state's day). Nothing dated after it is used.
    moves : mapping, optional
        Today's moves so far as fractions, ``{"NDX": -0.031, "SOX": -0.04}``.
    korean_aum_usd : float, optional
        What-if: Korean holdings of the 3x funds total this (USD).
    rules : MonitorRules, optional
        Indicator thresholds (default: the embedded ``monitor_rules.yaml``).

    Returns
    -------
    Report
        ``summary()``, ``to_frame()`` (the indicators; ``"flows.ladder"`` … for a section),
        ``to_dict()`` (the JSON of ``gaemi report --format json``).
    """
    from gaemi.app.state import load_state
    from gaemi.monitor.indicators import load_default_rules

    if state is None:
        state = load_state(as_of=day)
    report_day = parse_day(day, "day") if day is not None else state.day
    u = state.universe
    if korean_aum_usd is not None:
        u = u.with_korean_aum(float(korean_aum_usd))
    market = state.market_unfiltered or state.market  # says why later points are n/a
    rep = build_report(
        u, market, rules or load_default_rules(), report_date=report_day, moves=moves, state=state
    )
    return replace(
        rep,
        warnings=tuple(state.warnings),
        sources=tuple(f"{k}: {v}" for k, v in state.sources.items()),
    )
