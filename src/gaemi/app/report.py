"""The daily report as one result: status, indicators, flows and every engine's section.

:func:`report` builds it from a :class:`~gaemi.data.state.MarketState`. The model is plain
data (numbers with units, DataFrames) so the terminal, HTML and JSON renderers show the same
numbers; every number carries its as-of date and source, stale observations are flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from gaemi.app.result import Result, format_usd, records
from gaemi.app.state import market_known_on, parse_day
from gaemi.app.status import (
    DataAge,
    data_age,
    is_past_data,
    past_data_status,
    past_data_text,
    status_text,
)
from gaemi.core.flows import compute_flows, ladder_moves, projected_close_flow
from gaemi.core.universe import Universe
from gaemi.data.market import MarketSnapshot
from gaemi.monitor.indicators import (
    GROWTH_WINDOW_DAYS,
    Indicator,
    MonitorRules,
    compute_indicators,
    custody_growth_ratios,
    first_aum_date,
    leveraged_custody_sums,
)
from gaemi.monitor.replay import universe_known_on
from gaemi.monitor.status import Status, composite_status
from gaemi.units import format_frac, format_krw, format_percent

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
    #: the day was asked for (``--date``, ``day=``) and lies after every market
    #: observation by more than the staleness limit: no status (``status`` is ``n/a``)
    past_data: bool = False
    kind: str = field(default="report", init=False, repr=False)

    @property
    def data_age(self) -> DataAge:
        """The newest dated indicator input and its age on the report day (the monitor's
        rule: :func:`gaemi.app.status.data_age`)."""
        return data_age(self.indicators, self.report_date, self.stale_after_days)

    @property
    def headline(self) -> str:
        """The status with its age, as every face shows it: ``HIGH (data as of 2026-08-03,
        1 day old)``, ``HIGH — stale: newest market data 125 days old (as of 2026-08-03;
        limit 7 days)`` (today's report on old data), or for a day asked past the data
        ``no status: 2030-01-01 is 1,247 days after the newest market data (2026-08-03;
        limit 7 days)``."""
        age = self.data_age
        if self.past_data:
            return past_data_text(age)
        return status_text(self.status.status, age.newest, age.age_days, age.stale, age.limit_days)

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
        """The headline (the status with its age, :attr:`headline`) and the reason."""
        return f"{self.report_date}: {self.headline}. {self.status.reason}"

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)

    def indicator_frame(self) -> pd.DataFrame:
        from gaemi.app.status import indicator_frame

        return indicator_frame(self.indicators, self.report_date, self.stale_after_days)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN → None).

        The status stays machine-readable: ``status`` is one of LOW, GUARDED, ELEVATED,
        HIGH, CRITICAL, or ``n/a`` when there is none (nothing known on the day, or a day
        asked past the data: ``status_past_data``), ``status_level`` 0–4 (0 for ``n/a``).
        Its age: ``status_as_of`` (the newest dated indicator input, ISO date or null),
        ``status_age_days`` (report day minus it), ``status_stale`` (older than
        ``stale_after_days``, the monitor's limit; a stale status is still given for
        today's report, flagged) and ``status_text`` (the headline the terminal and HTML
        show).
        """
        age = self.data_age
        return {
            "report_date": self.report_date.isoformat(),
            "status": self.status.status,
            "status_level": self.status.level,
            "status_text": self.headline,
            "status_as_of": age.newest.isoformat() if age.newest is not None else None,
            "status_age_days": age.age_days,
            "status_stale": age.stale,
            "status_past_data": self.past_data,
            "stale_after_days": self.stale_after_days,
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
            "choices": [c.to_dict() for c in self.choices],
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


def _grid_flows(universe: Universe, grid: Any, creations: str | float | None) -> Any:
    """The engine's flows over ``grid``: the identity alone (no ``creations``) or with the
    creations that respond to the move (:func:`gaemi.app.flows.flows_over_grid`)."""
    if creations is None:
        return compute_flows(universe, grid)
    from gaemi.app.flows import flows_over_grid

    return flows_over_grid(universe, grid, None, creations)[0]


def flows_section(universe: Universe, creations: str | float | None = None) -> Section:
    """The rebalancing ladder by underlying with its Korean part, and the per-1% table.

    ``creations`` (``none``, ``measured`` or a β; default none): C = β·A·r added to each
    fund's close trade (:func:`gaemi.app.flows.creations_beta`)."""
    present = [u for u in LADDER_UNDERLYINGS if u in set(universe.underlying_id.tolist())]
    sub = universe.where_underlying(present)
    long = _grid_flows(sub, ladder_moves(*LADDER_MOVES), creations).to_frame("underlying")
    ladder = pd.DataFrame({"move_frac": sorted(set(long["move_frac"]))})
    for uid in present:
        g = long[long["underlying_id"] == uid].set_index("move_frac")
        ladder[f"{uid.lower()}_flow_usd"] = ladder["move_frac"].map(g["flow_usd"])
        if g["korean_flow_usd"].notna().any():
            ladder[f"{uid.lower()}_korean_flow_usd"] = ladder["move_frac"].map(g["korean_flow_usd"])
    sens = _grid_flows(universe, [0.01], creations).to_frame("group")
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
    worst = ", ".join(f"{k} {format_usd(-v)}" for k, v in at5.items())
    summary = (
        f"Leveraged and inverse funds must trade {format_usd(total)} per 1% move of all "
        f"underlyings ({format_usd(kor)} of it Korean-held where the Korean share is "
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
            _identity_source(creations),
        ),
    )


def _identity_source(creations: str | float | None) -> str:
    if creations is None:
        return "ΔE = L(L−1)·A·r (Cheng & Madhavan 2009)"
    return (
        f"ΔE = L(L−1)·A·r + L·β·A·r (Cheng & Madhavan 2009; creations {creations}: "
        "gaemi.app.flows.creations_beta, the report's choices)"
    )


def today_flow_section(
    universe: Universe,
    moves: Mapping[str, float],
    market: MarketSnapshot,
    creations: str | float | None = None,
) -> Section:
    """Projected close flow at today's (or the snapshot's latest) moves (``creations``:
    as :func:`flows_section`, each fund's β by the sign of its move)."""
    used: dict[str, float] = {}
    src = []
    present = set(universe.underlying_id.tolist())
    for label, series in (("NDX", "ndx_move_1d"), ("SOX", "sox_move_1d")):
        if label not in present:
            src.append(f"{label}: no fund on it in the universe (not projected)")
        elif label in moves:
            used[label] = moves[label]
            src.append(f"{label} move: user input")
        elif market.has(series):
            o = market.latest(series)
            used[label] = o.value
            src.append(f"{label} move {format_frac(o.value)} on {o.as_of}: {o.source}")
    if not used:
        return Section(
            "today",
            SECTION_TITLES["today"],
            "No NDX or SOX move is known on this day: pass today's move with --move NDX=-3%.",
        )
    if creations is None:
        res = projected_close_flow(universe, used)
    else:
        from gaemi.app.flows import creations_beta

        moved = projected_close_flow(universe, used).move_frac[:, 0]
        beta, _ = creations_beta(universe, creations, move_frac=moved)
        res = projected_close_flow(universe, used, creations_beta=beta)
    df = res.to_frame("underlying")
    df = df[df["underlying_id"].isin(list(used))][
        ["underlying_id", "move_frac", "flow_usd", "korean_flow_usd"]
    ]
    total = float(df["flow_usd"].sum())
    summary = (
        "At "
        + ", ".join(f"{k} {format_frac(v)}" for k, v in used.items())
        + f", the funds on those underlyings must trade {format_usd(total)} at the close "
        "(+ = buying)."
    )
    return Section("today", SECTION_TITLES["today"], summary, {"flow": df}, tuple(src))


STRESS_UNDERLYINGS: tuple[str, ...] = ("NDX", "SOX")
#: 0 … −10% by 0.5%, then to −30% by 2.5% (where the level-3 breaker halts the day)
STRESS_GRID = tuple(round(-0.005 * i, 4) for i in range(21)) + tuple(
    round(-0.10 - 0.025 * i, 4) for i in range(1, 9)
)


def stress_section(
    universe: Universe, scenario: Any, creations: str | float | None = None
) -> Section:
    """Closing capacity, the move where it fills, the feedback at −2%/−5% and the curve
    (``creations``: :func:`gaemi.app.stress.stress_setup`'s, on a fall)."""
    import numpy as np

    from gaemi.app.stress import curve_direction, stress_setup
    from gaemi.core.feedback import critical_shock, curve

    present = set(universe.underlying_id.tolist())
    rows, curves = [], []
    for und in STRESS_UNDERLYINGS:
        if und not in present:
            continue
        setup = stress_setup(
            None,
            und,
            scenario=scenario,
            universe=universe,
            creations=creations,
            move_sign=curve_direction(STRESS_GRID),
        )
        res = curve(setup.model, np.asarray(STRESS_GRID))
        crit = critical_shock(setup.model, curve_direction(STRESS_GRID))
        at = dict(zip(STRESS_GRID, res.final_move_frac.tolist(), strict=True))
        n = len(STRESS_GRID)
        halted = np.asarray(res.halted, bool) if res.halted.shape == (n,) else np.zeros(n, bool)
        unfilled = (
            np.asarray(res.unfilled_usd, float) if res.unfilled_usd.shape == (n,) else np.zeros(n)
        )
        filled = (
            np.asarray(res.filled_usd, float)
            if res.filled_usd.shape == (n,)
            else np.asarray(res.total_flow_usd, float)
        )
        k2, k5 = STRESS_GRID.index(-0.02), STRESS_GRID.index(-0.05)
        first_halt = [g for g, h in zip(STRESS_GRID, halted, strict=True) if h]
        rows.append(
            {
                "underlying_id": und,
                "letf_flow_per_pct_usd": setup.letf_flow_per_pct_usd,
                "closing_capacity_usd": setup.capacity_usd,
                "close_full_at_move_frac": setup.threshold_move_frac(-1.0),
                "final_move_at_minus_2pct_frac": at[-0.02],
                "halted_at_minus_2pct": bool(halted[k2]),
                "final_move_at_minus_5pct_frac": at[-0.05],
                "halted_at_minus_5pct": bool(halted[k5]),
                "unfilled_at_minus_5pct_usd": float(unfilled[k5]),
                "halt_from_shock_frac": max(first_halt) if first_halt else float("nan"),
                "critical_shock_frac": float(crit.shock_frac[0]),
            }
        )
        curves.append(
            pd.DataFrame(
                {
                    "underlying_id": und,
                    "shock_frac": list(STRESS_GRID),
                    "final_move_frac": res.final_move_frac,
                    "halted": halted,
                    "filled_usd": filled,
                    "unfilled_usd": unfilled,
                }
            )
        )
    table = pd.DataFrame(rows)
    parts = []
    for r in rows:
        crit_text = (
            "no critical shock before the breaker floor"
            if np.isnan(r["critical_shock_frac"])
            else f"critical shock {format_frac(r['critical_shock_frac'], decimals=1)}"
        )

        def end(pct: str, r: dict[str, Any] = r) -> str:
            move = r[f"final_move_at_minus_{pct}pct_frac"]
            if r[f"halted_at_minus_{pct}pct"]:  # a halt, not an impact
                return f"−{pct}% halts trading (level-3 breaker) at {format_frac(move)}"
            return f"−{pct}% ends at {format_frac(move)}"

        halt = r["halt_from_shock_frac"]
        halt_text = (
            ""
            if np.isnan(halt)
            else f"; from {format_frac(halt, decimals=1)} the level-3 breaker halts the day "
            "(during the close, or before it for larger shocks): the day ends at the halt "
            "level and the rest of the selling is unfilled"
        )
        parts.append(
            f"{r['underlying_id']}: the leveraged funds' flow alone fills the close at "
            f"{format_frac(r['close_full_at_move_frac'], decimals=1)}; {end('2')}, {end('5')}"
            + (
                f" with {format_usd(r['unfilled_at_minus_5pct_usd'])} of selling unfilled"
                if r["halted_at_minus_5pct"]
                else ""
            )
            + f"; {crit_text}{halt_text}"
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
    from gaemi.data.stress import load_default_stress

    sc = load_default_stress()
    no_funds: list[str] = []
    if universe is not None:  # the engine only where the universe has funds (a past day)
        present = {str(x).upper() for x in universe.underlying_id.tolist()}
        no_funds = sorted(k for k in sc.underlyings if k.upper() not in present)
        sc = replace(sc, underlyings={k: v for k, v in sc.underlyings.items() if k not in no_funds})
    fm = engine_feedback_models(model, universe=universe, stress=sc)
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
        shocks = (
            ", ".join(f"{s.node} {format_frac(s.move, decimals=1)}" for s in model.shocks) or "none"
        )
        unshocked = sorted(fixed - {s.node for s in model.shocks})
        head = f"Shock from --move: {shocks}" + (
            f" ({', '.join(unshocked)} not shocked)" if unshocked else ""
        )
        what = "these moves"
    else:
        shocks = ", ".join(f"{s.node} {format_frac(s.move, decimals=0)}" for s in model.shocks)
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
            *(
                [
                    (
                        f"no fund known on {', '.join(no_funds)} that day: their close feedback "
                        "is the cascade scenario's linear hook, not the engine"
                    )
                ]
                if no_funds
                else []
            ),
        ),
    )


CRYPTO_SHOCKS: tuple[float, ...] = (-0.02, -0.04, -0.06, -0.08, -0.10)


def positioning_before(day: dt.date, data_dir: str | Path | None = None) -> tuple[Any, str] | None:
    """The crypto positioning known before ``day`` and which one it is; None when nothing
    on file is dated on or before the day. The rule of ``gaemi crypto --date`` too:
    :func:`gaemi.app.crypto.positioning_known_before` (the day's own — a FACTS.md event or
    the Coinalyze files of the day before, with ``data_dir`` — else the latest dated before
    it, the crypto config's own snapshot included)."""
    from gaemi.app.crypto import positioning_known_before

    known = positioning_known_before(day, data_dir)
    return None if known is None else (known.positioning, known.what)


def crypto_section(
    market: MarketSnapshot, day: dt.date | None = None, data_dir: str | Path | None = None
) -> Section:
    """Liquidation cascades after BTC shocks on the calibrated population; Korea's loss.

    On a day the config is :func:`gaemi.app.crypto.crypto_setup`'s, the one rule of
    ``gaemi crypto --date`` (so the −10 % row is that command's answer): the positioning
    known before the day (:func:`positioning_before`; the config's own snapshot when it is
    the latest, i.e. after its calibration day unless the day has a dated one) and, with
    ``data_dir``, the leveraged share from the measured liquidation law; the population's
    shape and the depth per dollar of open interest stay the calibration's (said in the
    sources). No positioning on file before the day: not known. Korean losses convert at
    the report's USD/KRW."""
    import numpy as np

    from gaemi.app.crypto import NoPositioningError, crypto_setup, default_setup
    from gaemi.core.crypto import cascade, korean_slice_loss

    cfg, pop, _ = default_setup()
    past_note: list[str] = []
    if day is not None:
        try:  # positioning_before's rule, looked up once
            setup = crypto_setup(cfg, date=day, data_dir=data_dir)
        except NoPositioningError:
            return not_known_section(
                "crypto",
                SECTION_TITLES["crypto"],
                f"the leveraged crypto population is calibrated to {cfg.as_of}, after {day}, "
                "and no positioning on file is dated before the day",
            )
        if not setup.snapshot:
            calibrated = cfg.as_of
            cfg = setup.config
            pop, _ = cfg.population()
            law = "measured liquidation law" in setup.leveraged_share_source
            past_note = [*setup.notes, *(f"warning: {w}" for w in setup.warnings)]
            if calibrated and dt.date.fromisoformat(calibrated) > day:
                past_note.append(
                    f"model structure (leverage mix, entry ages, depth per $ of open "
                    f"interest) from the {calibrated} calibration"
                    + (
                        "; the liquidation law of the leveraged share is fitted on the "
                        "whole Coinalyze file (dates above)"
                        if law
                        else ""
                    )
                    + f": model choices, some dated after {day}, not figures of that "
                    "day (docs/crypto.md)"
                )
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
        f"A {format_percent(row4['btc_shock_frac'], decimals=0)} BTC shock sets off "
        f"{format_usd(row4['liquidated_usd'])} of liquidations "
        f"({format_percent(row4['long_share_frac'], decimals=0)} longs); BTC ends "
        f"{format_frac(row4['btc_final_move_frac'], decimals=1)}, "
        f"altcoins {format_frac(row4['alt_final_move_frac'], decimals=1)}; Korean holders lose "
        "about "
        f"{format_krw(-row4['korean_loss_krw'])}."
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
            *past_note,
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
            f"{worst['ticker']} loses {format_percent(worst['loss_6m_flat_frac'], decimals=0)} of "
            "its value "
            f"(σ = {format_percent(worst['vol_frac'], decimals=0)} a year; drag plus its financing "
            "and fees)"
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
                f"short rate {format_percent(vd.rate_annual, decimals=2)} ({vd.rate_source}); "
                "financing spread "
                f"{format_percent(vd.spread_annual, decimals=2)} ({vd.spread_source})"
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


# ------------------------------------------------------------- a past day from a data folder
#: Calendar days a KSD custody figure is carried to the report day by the fund's return
#: (gaemi.data.korean_share.MAX_GAP_DAYS: the weekly lists are 6–8 days apart).
KOREAN_CARRY_DAYS = 8


@dataclass(frozen=True)
class DayFunds:
    """The funds as known at the start of a past day, from a ../shared/data-like folder.

    ``universe`` holds the funds whose start-of-day AUM (the previous close's) is known
    from data dated before the day; ``table`` lists every fund of the universe given with
    its ``aum_source`` (or why it is left out). Nothing dated on or after the day is read.
    """

    day: dt.date
    universe: Universe
    table: pd.DataFrame
    sources: tuple[str, ...]

    @property
    def left_out(self) -> list[str]:
        """Tickers left out (AUM or listing not known that day)."""
        return self.table.loc[self.table["aum_usd"].isna(), "ticker"].tolist()


def _leverage_on(ticker: str, leverage: float, day: dt.date) -> float:
    """The fund's leverage on ``day``: FACTS.md §(j) dated changes, else today's."""
    from gaemi.data.fund_history import LEVERAGE_CHANGES

    if ticker not in LEVERAGE_CHANGES:
        return leverage
    base, changes = LEVERAGE_CHANGES[ticker]
    out = base
    for first, lev in changes:
        if dt.date.fromisoformat(first) <= day:
            out = lev
    return out


def _custody_before(root: Path, tickers: Sequence[str], ts: pd.Timestamp) -> pd.DataFrame:
    """KSD custody of ``tickers`` dated before ``ts``: the weekly top-50 list and the
    per-ISIN daily files (``as_of, ticker, holdings_usd, source``; empty without them)."""
    from gaemi.data import korean_share as ks
    from gaemi.data.importers import ksd

    d = root / ks.KSD_DIR / "seohak-index"
    parts = []
    weekly = d / "custody_weekly_clean.csv"
    if weekly.is_file():
        w = ksd.read_custody_weekly(weekly, duplicates="drop")
        parts.append(ksd.holdings_by_ticker(w[w["as_of"] < ts], tickers))
    daily = sorted((d / "daily-snapshots").glob("custody_daily_*.csv"))
    daily += sorted(d.glob("custody_daily_top50_*.csv"))
    imap = None
    for f in daily:
        if "top50" in f.name and imap is None:
            imap = ksd.isin_to_ticker(
                ksd.read_isin_map(
                    d / "ticker_universe.csv",
                    root / ks.KSD_DIR / "seibro-net-buys" / "ticker_map.json",
                )
            )
        c = ksd.read_custody_daily(f, isin_map=imap if "top50" in f.name else None)
        if len(c) and (c["as_of"] < ts).any():
            parts.append(ksd.holdings_by_ticker(c[c["as_of"] < ts], tickers))
    cols = ["as_of", "ticker", "holdings_usd", "source"]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)[cols]
    out = out[out["holdings_usd"].notna()]
    return out.sort_values(["ticker", "as_of"]).reset_index(drop=True)


def universe_on(universe: Universe, data_dir: str | Path, day: dt.date) -> DayFunds:
    """Each fund's start-of-day AUM on ``day`` from data dated before it (no look-ahead).

    For every fund of ``universe`` (its tickers, underlyings and expense ratios; the
    leverage of that day, FACTS.md §(j)):

    * ``reported`` — the issuer's net assets at the previous close
      (``us-letf-nav-proshares/``, the eight ProShares funds);
    * ``carried`` — else the latest universe snapshot (``us-letf-universe-2026/``) whose
      AUM date is before the day, as shares S = A/P carried along the fund's own adjusted
      close to the previous close, within the replay's carry limits (252 trading days and
      a 0.5 log move, :data:`gaemi.data.fund_history.CARRY_DAYS`);
    * otherwise unknown: the fund is left out of the day's universe and listed, never
      filled from a figure dated later.

    The Korean share is the latest KSD custody figure dated before the day (at most
    :data:`KOREAN_CARRY_DAYS` old, carried by the fund's own return) over that AUM.
    """
    import numpy as np

    from gaemi.data import fund_history as fh
    from gaemi.data import korean_share as ks
    from gaemi.errors import GaemiInputError

    root = Path(data_dir)
    ts = pd.Timestamp(day)
    tickers = universe.ticker.tolist()
    issuer = fh.load_issuer_funds(root)
    snaps = fh.load_snapshots(root)
    snaps = snaps[pd.to_datetime(snaps["aum_as_of"]) < ts] if len(snaps) else snaps
    hold = _custody_before(root, tickers, ts)
    rows: list[dict[str, Any]] = []
    for i, t in enumerate(tickers):
        row: dict[str, Any] = {
            "ticker": t,
            "underlying_id": str(universe.underlying_id[i]),
            "leverage": _leverage_on(t, float(universe.leverage[i]), day),
            "aum_usd": np.nan,
            "aum_as_of": "",
            "aum_source": "",
            "korean_held_usd": np.nan,
            "korean_share": np.nan,
            "korean_as_of": "",
            "source_korean": "",
        }
        rows.append(row)
        px: pd.Series | None
        try:
            px = ks.fund_price(root, t)
        except GaemiInputError:
            px = issuer[t]["nav_usd"] if t in issuer else None
        if px is None:
            row["aum_source"] = "left out: no price file"
            continue
        px = px[px.index < ts]
        if px.empty:
            row["aum_source"] = f"left out: not listed before {day}"
            continue
        prev, p_prev = px.index[-1], float(px.iloc[-1])
        row["aum_as_of"] = prev.date().isoformat()
        rep = issuer[t]["aum_usd"] if t in issuer else None
        rep = rep[rep.index < ts] if rep is not None else None
        if rep is not None and len(rep) and rep.index[-1] == prev:
            row["aum_usd"] = float(rep.iloc[-1])
            row["aum_source"] = f"reported (issuer net assets {prev.date()})"
        else:
            sn = (
                snaps[(snaps["ticker"] == t) & np.isfinite(snaps["aum_usd"])]
                if len(snaps)
                else snaps
            )
            if len(sn):
                last = sn.sort_values("aum_as_of").iloc[-1]
                a_day = pd.Timestamp(last["aum_as_of"])
                on = px[px.index <= a_day]
                if len(on):
                    n_days = int((px.index > on.index[-1]).sum())
                    move = abs(float(np.log(p_prev / float(on.iloc[-1]))))
                    if n_days <= fh.CARRY_DAYS and move <= fh.CARRY_MAX_LOG_MOVE:
                        row["aum_usd"] = float(last["aum_usd"]) * p_prev / float(on.iloc[-1])
                        row["aum_source"] = (
                            f"snapshot {a_day.date()}"
                            if n_days == 0
                            else f"carried {n_days} trading days from the {a_day.date()} "
                            "snapshot (shares × own close)"
                        )
                    else:
                        row["aum_source"] = (
                            f"left out: the {a_day.date()} snapshot is {n_days} trading days "
                            f"and a {move:.2f} log move away (carry limits "
                            f"{fh.CARRY_DAYS} d, {fh.CARRY_MAX_LOG_MOVE})"
                        )
            if not row["aum_source"]:
                row["aum_source"] = f"left out: no AUM dated before {day}"
        h = hold[hold["ticker"] == t]
        if len(h) and np.isfinite(row["aum_usd"]):
            obs = h.sort_values("as_of").iloc[-1]
            o_day = pd.Timestamp(obs["as_of"])
            at = px[px.index <= o_day]
            if (ts - o_day).days <= KOREAN_CARRY_DAYS and len(at):
                held = float(obs["holdings_usd"]) * p_prev / float(at.iloc[-1])
                share = held / row["aum_usd"]
                if 0 <= share <= 1:
                    row["korean_held_usd"] = held
                    row["korean_share"] = share
                    row["korean_as_of"] = o_day.date().isoformat()
                    row["source_korean"] = (
                        f"KSD custody {o_day.date()} ({obs['source']}), carried by the "
                        f"fund's return to {prev.date()}"
                    )
    table = pd.DataFrame(rows)
    known = table["aum_usd"].notna().to_numpy()
    sub = universe.select(known)
    k = table[known]
    u = replace(
        sub,
        leverage=k["leverage"].to_numpy(float),
        aum_usd=k["aum_usd"].to_numpy(float),
        aum_as_of=k["aum_as_of"].to_numpy(str),
        korean_share=k["korean_share"].to_numpy(float),
        korean_as_of=k["korean_as_of"].to_numpy(str),
        source_aum=k["aum_source"].to_numpy(str),
        source_korean=k["source_korean"].to_numpy(str),
        label=f"{universe.label}: start-of-day AUM on {day} from folder {root.name}",
    )
    sources = (
        (
            f"fund AUM on {day}: {fh.ISSUER_DIR}/ issuer net assets at the previous close "
            f"({', '.join(sorted(set(issuer) & set(k['ticker'])))}), else {fh.UNIVERSE_DIR}/ "
            "snapshots dated before the day carried along the fund's own close; "
            f"{int((~known).sum())} of {len(table)} funds left out (AUM not known that day)"
        ),
        f"Korean shares: {ks.KSD_DIR}/ custody dated before {day} over that AUM",
    )
    return DayFunds(day, u, table, sources)


def funds_section(day_funds: DayFunds) -> Section:
    """The funds' start-of-day AUM on a past day with each figure's source."""
    t = day_funds.table
    known = t[t["aum_usd"].notna()]
    cols = [
        "ticker",
        "underlying_id",
        "leverage",
        "aum_usd",
        "aum_as_of",
        "aum_source",
        "korean_share",
        "korean_as_of",
    ]
    by_src = known["aum_source"].str.split(" ").str[0].value_counts()
    summary = (
        f"{len(known)} of {len(t)} funds have an AUM known at the start of {day_funds.day} "
        f"({format_usd(float(known['aum_usd'].sum()))}; "
        + ", ".join(f"{n} {k}" for k, n in by_src.items())
        + "); the other "
        f"{len(t) - len(known)} are left out of every section (no AUM dated before the day: "
        "never filled from a later figure)."
    )
    return Section(
        "funds",
        "Funds known that day",
        summary,
        {
            "known": known[cols]
            .rename(columns={"korean_share": "korean_share_frac"})
            .reset_index(drop=True)
        },
        day_funds.sources,
        {"all_funds": t.reset_index(drop=True)},
    )


#: Trading days of replay shown before the report day (the day itself is the last row).
REPLAY_DAYS_BEFORE = 4


def replay_section(
    data_dir: str | Path,
    day: dt.date,
    universe: Universe,
    all_underlyings: Sequence[str] = (),
    creations: str | float | None = None,
) -> Section:
    """The history replay of the report day: every replayed underlying's close flow with
    the source of its A_{t−1} (``aum_source``), from the folder's data cut at the day.

    :func:`gaemi.data.history.run_history` on :meth:`HistoryData.cut` (nothing after
    ``day``: prices, issuer AUM, snapshots) with ``universe`` (the day's funds,
    :func:`universe_on`); the next session's move is therefore unknown (NaN).
    """
    from gaemi.app.flows import creations_beta_by_sign
    from gaemi.data.history import load_folder, run_history
    from gaemi.errors import GaemiInputError

    title = "History replay of the day"
    betas = None if creations is None else creations_beta_by_sign(universe, creations)[0]
    data = load_folder(data_dir, universe.ticker.tolist()).cut(day)
    start = day - dt.timedelta(days=REPLAY_DAYS_BEFORE * 7 // 5 + 3)
    try:
        run = run_history(
            data,
            universe,
            start=start,
            end=day,
            stats_since=start,
            n_boot=50,
            creations_beta=betas,
        )
    except GaemiInputError as exc:
        return Section("replay", title, f"No replay on {day}: {exc}")
    df = run.daily_frame()
    df["date"] = pd.to_datetime(df["date"]).dt.date.astype(str)
    days = sorted(set(df["date"]))
    last = days[-1]
    today = df[df["date"] == last].copy()
    cols = [
        "underlying_id",
        "move_frac",
        "n_funds",
        "aum_usd",
        "flow_per_pct_usd",
        "flow_usd",
        "korean_flow_usd",
        "pressure_ratio",
        "model_extra_move_frac",
        "aum_source",
    ]
    today = today[[c for c in cols if c in today.columns]]
    today = today.sort_values("flow_usd", key=lambda s: -s.abs(), kind="stable")
    # every underlying of the universe with a price series: those with no fund known that
    # day are listed with why (never replayed from a later AUM)
    from gaemi.data.history import SERIES

    missing = [
        {"underlying_id": uid, "aum_source": f"not known that day: no fund AUM dated before {day}"}
        for uid in sorted(set(all_underlyings) - set(today["underlying_id"]))
        if uid in SERIES
    ]
    if missing:
        today = pd.concat([today, pd.DataFrame(missing)], ignore_index=True)
    recent = df[df["date"].isin(days[-(REPLAY_DAYS_BEFORE + 1) :])][
        ["date", "underlying_id", "move_frac", "flow_usd", "aum_source"]
    ]
    total = float(today["flow_usd"].sum(skipna=True))
    big = today.dropna(subset=["flow_usd"]).head(3)
    when = "" if last == day.isoformat() else f" (the last session on or before it, {last})"
    n_rep = int(today["flow_usd"].notna().sum())
    summary = (
        f"On {last}{when} the replay of {n_rep} underlyings with a fund known that day "
        f"gives a close flow of {format_usd(total)}: "
        + ", ".join(
            f"{r.underlying_id} {format_usd(float(r.flow_usd))} at "
            f"{format_frac(float(r.move_frac))} "
            f"(A from {r.aum_source})"
            for r in big.itertuples(index=False)
        )
        + ". Only data dated on or before the day is read; the next session is not known."
        + (
            f" Not replayed (no fund AUM known that day): "
            f"{', '.join(m['underlying_id'] for m in missing)}."
            if missing
            else ""
        )
    )
    return Section(
        "replay",
        title,
        summary,
        {"day": today.reset_index(drop=True)},
        (
            (
                "ΔE = L(L−1)·A_{t−1}·r per fund, summed per underlying (gaemi history; "
                "docs/history.md)"
                if creations is None
                else f"ΔE = A_{{t−1}}·r·(L(L−1) + L·β) per fund (creations {creations}), "
                "summed per underlying (gaemi history --creations; docs/history.md)"
            ),
            run.sources.get("aum", ""),
            *(f"left out: {e}" for e in run.excluded[:8]),
            *run.notes[:4],
        ),
        {"recent": recent.reset_index(drop=True)},
    )


#: The research note's claims about Korean money (issue 17 item 4; docs/korea.md §5): what
#: it says, the claimed figure and its unit. The measured side is computed below.
NOTE_CLAIMS: tuple[tuple[str, str, float, str], ...] = (
    ("aum_43b", '"$43.1 billion AUM" of Korean leveraged money', 43.1e9, "usd"),
    ("korean_aum_45b", '"$45B Korean AUM" (the sell-amount arithmetic)', 45e9, "usd"),
    ("doubling_monthly", '"doubling monthly"', 2.0, "ratio per month"),
    (
        "surge_18x",
        '"18-fold surge" of US-listed Korea-focused leveraged ETFs in 2026',
        18.0,
        "ratio",
    ),
)
KOREA_FUNDS: tuple[str, ...] = ("TQQQ", "SOXL", "TSLL", "NVDL", "SQQQ", "SOXS")


def korean_share_series(data_dir: str | Path, day: dt.date) -> pd.DataFrame:
    """Korean share of :data:`KOREA_FUNDS` per trading day up to ``day`` from
    :func:`gaemi.data.korean_share.korean_share_daily`, with nothing dated on or after the
    day: custody lists dated before it, and a snapshot-based AUM only up to the last
    snapshot dated before it (a later snapshot would enter its interpolation)."""
    from gaemi.data import fund_history as fh
    from gaemi.data import korean_share as ks

    root = Path(data_dir)
    ts = pd.Timestamp(day)
    hold = _custody_before(root, KOREA_FUNDS, ts)
    end = (ts - pd.Timedelta(days=1)).date()
    t = ks.korean_share_daily(root, KOREA_FUNDS, end=end, holdings=hold)
    snaps = fh.load_snapshots(root)
    before = pd.to_datetime(snaps["aum_as_of"]) < ts if len(snaps) else None
    last_snap = pd.to_datetime(snaps["aum_as_of"][before]).max() if before is not None else None
    est = ~t["aum_source"].astype(str).str.startswith("reported")
    bad = est if last_snap is None or pd.isna(last_snap) else est & (t["date"] > last_snap)
    t.loc[bad, ["aum_usd", "korean_share"]] = float("nan")
    t.loc[bad, "aum_source"] = ""
    return t


#: The monitor's measure of the custody growth, one for the claims table and the monitor's
#: reference (:data:`gaemi.monitor.indicators.MEASURED_MEDIAN_GROWTH_60D`).
_leveraged_custody = leveraged_custody_sums
_ratio_over = custody_growth_ratios


def claims_checked(data_dir: str | Path, day: dt.date, universe: Universe) -> pd.DataFrame:
    """The research note's four figures beside the depository series known on ``day``.

    Each measured number is computed here from the folder (custody dated before the day,
    fund prices and AUM up to the previous close); the reconciling definitions are those
    of docs/korea.md §5.
    """
    import numpy as np

    from gaemi.data import fund_history as fh
    from gaemi.data import korean_share as ks

    root = Path(data_dir)
    ts = pd.Timestamp(day)
    from gaemi.data.universe import load_default_universe

    lev = set(fh.ISSUER_FUNDS)
    for u in (load_default_universe(), universe):  # the fund list, and the day's funds
        lev |= {str(t) for t, L in zip(u.ticker, u.leverage, strict=True) if abs(L) > 1}
    hold = _custody_before(root, sorted(lev), ts)
    sums = _leveraged_custody(hold, lev)
    rows: list[dict[str, Any]] = []
    last_day = sums.index[-1] if len(sums) else None
    last_sum = float(sums.iloc[-1]) if len(sums) else float("nan")
    names = (
        hold[(hold["as_of"] == last_day) & hold["ticker"].isin(lev)]
        .sort_values("holdings_usd", ascending=False)["ticker"]
        .tolist()
        if last_day is not None
        else []
    )
    aum = dict(zip(universe.ticker.tolist(), universe.aum_usd.tolist(), strict=True))
    big2 = [t for t in ("TQQQ", "SOXL") if t in aum]
    big2_aum = float(sum(aum[t] for t in big2)) if big2 else float("nan")
    when = f"{last_day.date()}" if last_day is not None else "—"
    for key, text, claimed, unit in NOTE_CLAIMS[:2]:
        rows.append(
            {
                "claim": text,
                "claimed": claimed,
                "unit": unit,
                "measured": last_sum,
                "measured_text": (
                    f"Korean custody of US leveraged/inverse funds {format_usd(last_sum)} on "
                    f"{when} (weekly top 50: {', '.join(names[:7])}) = "
                    f"{format_percent(last_sum / claimed, decimals=0)} of the claim"
                ),
                "could_reconcile": (
                    (
                        f"the funds' total AUM, not the Korean part: "
                        f"{' + '.join(big2)} {format_usd(big2_aum)} at the start of {day}; or "
                        "every overseas ETF Koreans hold, 1x included"
                    )
                    if key == "aum_43b"
                    else (
                        "EPFR/Goldman's ~$45B is the AUM of Korea-related leveraged ETFs, "
                        "domestic (KRX, not in KSD's foreign custody) plus overseas-listed "
                        "(FACTS.md §(l).5) — not Korean holdings of SOXL/TQQQ"
                    )
                ),
            }
        )
    one = _ratio_over(sums, 30)
    two = _ratio_over(sums, GROWTH_WINDOW_DAYS)
    key, text, claimed, unit = NOTE_CLAIMS[2]
    med1 = float(one.median()) if len(one) else float("nan")
    rows.append(
        {
            "claim": text,
            "claimed": claimed,
            "unit": unit,
            "measured": med1,
            "measured_text": (
                f"Korean leveraged custody (weekly top-50 sum) grew by a median ×{med1:.2f} a "
                f"month, ×{float(two.median()):.2f} per two months ({len(two)} windows "
                f"{sums.index[0].date()} → {when}); ×2 or more in a month "
                f"{format_percent(float((one >= 2).mean()), decimals=0)} of the time, max "
                f"×{float(one.max()):.2f}"
                if len(one) and len(two)
                else "no two lists a month apart before the day"
            ),
            "could_reconcile": (
                "the funds' prices and total AUM, not Korean buying: a 3x fund's price can "
                "double in two months while its share count falls"
            ),
        }
    )
    key, text, claimed, unit = NOTE_CLAIMS[3]
    try:
        koru = ks.fund_price(root, "KORU")
        koru = koru[koru.index < ts]
    except Exception:
        koru = pd.Series(dtype=float)
    y0 = koru[koru.index < pd.Timestamp(f"{day.year}-01-01")]
    px = float(koru.iloc[-1] / y0.iloc[-1]) if len(koru) and len(y0) else float("nan")
    snaps = fh.load_snapshots(root)
    k = snaps[(snaps["ticker"] == "KORU") & (pd.to_datetime(snaps["aum_as_of"]) < ts)]
    k = k[pd.to_datetime(k["aum_as_of"]).dt.year == day.year].sort_values("aum_as_of")
    aum_ratio = float(k["aum_usd"].iloc[-1] / k["aum_usd"].iloc[0]) if len(k) >= 2 else float("nan")
    rows.append(
        {
            "claim": text,
            "claimed": claimed,
            "unit": unit,
            "measured": aum_ratio if np.isfinite(aum_ratio) else px,
            "measured_text": (
                f"KORU (the Korea fund of the universe): price ×{px:.1f} in {day.year} to the "
                f"close before {day}"
                + (
                    f"; AUM {format_usd(float(k['aum_usd'].iloc[0]))} "
                    f"({str(k['aum_as_of'].iloc[0])[:10]}) → "
                    f"{format_usd(float(k['aum_usd'].iloc[-1]))} "
                    f"({str(k['aum_as_of'].iloc[-1])[:10]}), ×{aum_ratio:.1f}"
                    if np.isfinite(aum_ratio)
                    else f"; no two {day.year} AUM snapshots before the day"
                )
            ),
            "could_reconcile": (
                "a later peak, new Korea single-stock funds or Korea-listed products (none in "
                "these files); it is about a Korea-focused fund, not Korean money"
            ),
        }
    )
    return pd.DataFrame(rows)


def korea_section(data_dir: str | Path, day: dt.date, universe: Universe) -> Section:
    """Korean money, measured (issue 17): the Korean share of the six funds over time from
    the depository, and the research note's claims beside the measured series."""
    t = korean_share_series(data_dir, day)
    obs = t[(t["basis"] == "observed") & t["korean_share"].notna()]
    chart = obs[["date", "ticker", "korean_share", "korean_held_usd", "aum_usd", "aum_source"]]
    chart = chart.rename(columns={"korean_share": "korean_share_frac"}).reset_index(drop=True)
    chart["date"] = pd.to_datetime(chart["date"]).dt.date.astype(str)
    last = t[t["korean_share"].notna()].sort_values("date").groupby("ticker").tail(1)
    by_fund: dict[str, dict[Any, Any]] = {
        str(r["ticker"]): dict(r) for r in last.to_dict("records")
    }
    recs: list[dict[str, Any]] = []
    for f in KOREA_FUNDS:
        r = by_fund.get(f)
        recs.append(
            {
                "ticker": f,
                "korean_share_frac": float(r["korean_share"]) if r else float("nan"),
                "korean_held_usd": float(r["korean_held_usd"]) if r else float("nan"),
                "korean_as_of": (f"{str(r['korean_as_of'])[:10]} {r['basis']}" if r else "unknown"),
                "aum_source": str(r["aum_source"]) if r else "",
            }
        )
    now = pd.DataFrame(recs)
    claims = claims_checked(data_dir, day, universe)
    parts = [
        f"{r['ticker']} {format_percent(r['korean_share_frac'])} ({r['korean_as_of']})"
        for r in recs
        if r["korean_share_frac"] == r["korean_share_frac"]
    ]
    c0 = claims.iloc[0]
    summary = (
        "Korean share of the fund (KSD custody / the fund's AUM, the latest known before "
        f"{day}): "
        + (", ".join(parts) if parts else "none known")
        + f'. The note\'s "$43.1B" against {format_usd(float(c0["measured"]))} of Korean '
        "custody in US leveraged funds (the claims table says what could reconcile them)."
    )
    return Section(
        "korea",
        "Korean money, measured (depository)",
        summary,
        {"latest": now, "claims": claims[["claim", "measured_text", "could_reconcile"]]},
        (
            (
                "KSD (SEIBro) custody of Korean investors, ../shared/data/korea-holdings-ksd "
                "(weekly top 50 2020-01 → 2026-01, per-ISIN 2026-05); docs/korea.md"
            ),
            (
                "AUM: issuer net assets (TQQQ, SQQQ) or 2026 universe snapshots carried ≤ 21 "
                "trading days (gaemi.data.korean_share); unknown elsewhere — SOXL/TSLL/NVDL "
                "before 2026, SOXS throughout"
            ),
            "claims: the research note (issue 17); reconciling definitions: docs/korea.md §5",
        ),
        {"share_history": chart, "claims_values": claims[["claim", "claimed", "unit", "measured"]]},
    )


def build_report(
    universe: Universe,
    market: MarketSnapshot,
    rules: MonitorRules,
    *,
    report_date: dt.date,
    moves: Mapping[str, float] | None = None,
    state: MarketState | None = None,
    data_dir: str | Path | None = None,
    day_funds: DayFunds | None = None,
    day_asked: bool = False,
    creations: str | float | None = None,
) -> Report:
    """Compute every available section for ``report_date`` (``state``: the market state
    the inputs came from, for its calibration and sources).

    ``day_asked``: the day was asked for, not today's by default; if it lies after every
    observation of ``market`` and its newest indicator input is older than the rules'
    staleness limit, the status is ``n/a`` ("no status: ... days after the newest market
    data"), the sections are still shown. A day inside the data whose inputs are old (a
    gap in the series) keeps its status, flagged stale.

    ``data_dir`` (a ../shared/data-like folder) adds the history replay of the day and
    the Korean money section; ``day_funds`` (:func:`universe_on`) is the table of the
    funds' AUM on a past day, shown as its own section.

    ``creations`` (``none``, ``measured`` or a β; default none, the identity alone): the
    creations that respond to the move, C = β·A·r, in the flows, today's flow, stress and
    replay sections (:func:`gaemi.app.flows.creations_beta`); the choice is in the
    report's ``choices`` and notes.

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
    age = data_age(indicators, report_date, rules.stale_after_days)
    # the one "no status" rule of every face (gaemi.app.status.is_past_data)
    past_data = is_past_data(age, day_asked=day_asked, later=bool(later))
    if past_data:
        status = past_data_status(age)
    why_universe = universe_not_known(known, report_date)
    if why_universe is None:
        sections = [
            flows_section(known, creations),
            today_flow_section(known, moves, market, creations),
            stress_section(known, scenario, creations),
            cascade_section(moves, known),
            decay_section(known, market, report_date, state),
        ]
    else:
        sections = [
            not_known_section(k, SECTION_TITLES[k], why_universe)
            for k in ("flows", "today", "stress", "cascade", "decay")
        ]
    sections.append(crypto_section(market, report_date, data_dir))
    if day_funds is not None:
        sections.insert(0, funds_section(day_funds))
    if data_dir is not None:
        und = sorted(
            set(day_funds.table["underlying_id"] if day_funds else known.underlying_id.tolist())
        )
        sections.append(replay_section(data_dir, report_date, known, und, creations))
        sections.append(korea_section(data_dir, report_date, known))
    fx = market.latest("usdkrw_level") if market.has("usdkrw_level") else None
    notes = []
    from gaemi.app.flows import creations_beta

    # the choice (with what the data say) is recorded either way, as flows and stress do;
    # the rule does not depend on the universe's funds beyond their leverage
    choice = creations_beta(known, creations, move_frac=-1.0)[1]
    if creations is not None:
        notes.append(f"creations: {choice.value} — {choice.why}")
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
            f"(newest {min(ages)} days): the data ends on {age.newest}, this is not the "
            f"market of {report_date}. Import fresh data with "
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
        past_data,
        choices=(choice,),
    )


def _base_universe(state: MarketState) -> Universe:
    """The fund list a past day's universe is rebuilt from: a user's universe file as
    given, else the embedded default (its tickers, underlyings and fees)."""
    if str(state.sources.get("universe", "")).startswith("file "):
        return state.universe
    from gaemi.data.universe import load_default_universe

    return load_default_universe()


def report(
    state: MarketState | None = None,
    *,
    day: str | dt.date | None = None,
    moves: Mapping[str, float] | None = None,
    korean_aum_usd: float | None = None,
    rules: MonitorRules | None = None,
    data_dir: str | Path | None = None,
    day_asked: bool | None = None,
    creations: str | float | None = None,
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
    data_dir : path, optional
        The folder ``state`` was loaded from (``--data-dir``): adds the history replay of
        the day and the Korean money section; on a day before the universe's AUM date,
        every fund's AUM on that day comes from the folder's data dated before it
        (:func:`universe_on`) instead of "not known that day".
    day_asked : bool, optional
        The report day was asked for (default: when ``day`` is given). Today's report
        on old data reads ``HIGH — stale: newest market data 125 days old (...)``; a day
        asked after every market observation, by more than the monitor's staleness limit
        (``monitor_rules.yaml`` ``stale_after_days``, 7 days), has no status: ``status``
        ``n/a``, the headline ``no status: 2030-01-01 is 1,247 days after the newest
        market data (2026-08-03; limit 7 days)``.
    creations : {"none", "measured"} or float, optional
        Creations that respond to the move, C = β·A·r, in the flow, stress and replay
        sections (``gaemi report --creations``; :func:`gaemi.app.flows.creations_beta`):
        default none, the identity alone. The result's ``choices`` say which.

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
    day_funds = None
    warnings = list(state.warnings)
    if data_dir is not None and (
        universe_not_known(u, report_day) is not None
        or universe_not_known(_base_universe(state), report_day) is not None
    ):
        # the fund list's AUM is dated after the day: each fund's start-of-day AUM (the
        # previous close's) from the folder's data dated before the day
        day_funds = universe_on(_base_universe(state), data_dir, report_day)
        u = day_funds.universe
        warnings = [w for w in warnings if "not known that day" not in w]
        warnings.append(
            f"fund AUM on {report_day} from {Path(data_dir).name}/ data dated before the day: "
            f"{len(u)} funds known, {len(day_funds.left_out)} left out "
            f"({', '.join(day_funds.left_out[:8])}{' …' if len(day_funds.left_out) > 8 else ''})"
        )
    if korean_aum_usd is not None:
        u = u.with_korean_aum(float(korean_aum_usd))
    market = state.market_unfiltered or state.market  # says why later points are n/a
    rep = build_report(
        u,
        market,
        rules or load_default_rules(),
        report_date=report_day,
        moves=moves,
        state=state if day_funds is None else state.with_universe(u),
        data_dir=data_dir,
        day_funds=day_funds,
        day_asked=day is not None if day_asked is None else day_asked,
        creations=creations,
    )
    return replace(
        rep,
        warnings=tuple(warnings),
        sources=tuple(f"{k}: {v}" for k, v in state.sources.items()),
    )
