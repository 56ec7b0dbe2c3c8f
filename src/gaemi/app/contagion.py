"""The contagion network ("Indra's Net") after a shock: one set-up for every face.

Builds the cascade model (scenario, shocks, Korean AUM what-if, horizon), the close
feedback (the close-liquidity engine on NDX/SOX or the scenario's linear rule), runs the
central path and the Monte Carlo (:func:`gaemi.core.contagion.simulate`), and makes the
tables every face shows: the note-style event table, the step verdicts, the bands.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from gaemi.app.result import Result
from gaemi.errors import (
    GaemiInputError,
    check_above_minus_100,
    check_known_name,
    given_twice,
)
from gaemi.limits import MAX_AUM_USD
from gaemi.units import format_usd

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.core.contagion import CascadeModel, CascadeResult
    from gaemi.data.state import MarketState

#: Views of :meth:`ContagionResult.to_frame`.
VIEWS = ("events", "steps", "paths", "bands", "attribution")
#: Close feedback on the equity nodes.
Feedback = Literal["engine", "linear"]
#: Most days one run may simulate.
MAX_HORIZON_DAYS = 2000
REFERENCE = (
    "docs/cascade.md: the research note's six-step chain as a graph stepped day by day; "
    "close feedback r = r0 + I(sum of flows(r)) solved by the close-liquidity engine"
)


def fmt_change(kind: str, unit: str, v: float) -> str:
    """A change for display: ``frac`` as a percent (−1.94%), ``pp`` (a rate's change in
    percentage points) in basis points (−1.43 bp), anything else in its unit: the one rule
    of :func:`gaemi.units.format_change` (no sign on a change that rounds to zero)."""
    from gaemi.units import format_change

    return format_change(v, "frac" if kind == "relative" else unit)


def fmt_amount(v: float, unit: str) -> str:
    """An event's amount in its unit: USD as $1.2B, fractions and pp as changes
    (:func:`gaemi.units.format_amount`, the one rule)."""
    from gaemi.units import format_amount

    return format_amount(v, unit)


def shocks_text(model: CascadeModel) -> str:
    """The shocks a run applies, e.g. ``KOSPI -12.00% on day 0, NDX -8.00% on day 1``."""
    if not model.shocks:
        return "no shock"
    days: dict[tuple[str, float], list[int]] = {}
    for s in model.shocks:  # one phrase per node and move: "NDX -8.00% on days 0, 1, 2"
        days.setdefault((s.node, s.move), []).append(s.day)
    return ", ".join(
        f"{node} {fmt_change('', model.node(node).change_unit, move)} on "
        + (f"day {d[0]}" if len(d) == 1 else "days " + ", ".join(map(str, d)))
        for (node, move), d in days.items()
    )


#: Where a ``halt:<node>`` row comes from (the close-liquidity engine's breaker).
HALT_SOURCE = (
    "NYSE Rule 7.12 / Nasdaq Rule 4121: the level-3 market-wide circuit breaker (the "
    "S&P 500 -20% from the prior close, read from the session's US equity nodes as the "
    "lowest move / beta of stress_default.yaml) halts all US equities for the day, "
    "gaemi.core.contagion.breaker"
)

ENGINE_SOURCE = (
    "close-liquidity engine (gaemi stress): participants and square-root impact of "
    "src/gaemi/data/defaults/stress_default.yaml for this underlying, Korean AUM from the scenario"
)


def event_table(result: CascadeResult, engine_nodes: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The note-style event table: one row per (step, rule, node) that fired, first day
    and total impact over the horizon.

    A close the level-3 circuit breaker halted (the close-liquidity engine, as
    ``gaemi stress`` reports it) is a halt, not an impact: the shock row's ``impact`` is
    the move as the market saw it (stopped at the halt level), the close-feedback row's
    ``amount`` is the flow that traded before the halt and ``unfilled_usd`` the selling
    the halt left unfilled (first day, like ``amount``); ``halted`` is True when that
    first day halted and ``days_halted`` counts the days that did. The breaker is
    market-wide (:mod:`gaemi.core.contagion.breaker`): every US equity node of a halted
    session is halted; a ``halt:<node>`` row's ``amount`` is the move the links carried
    past the node's halt level (left unfilled, never traded) and its ``impact`` 0, and a
    halted node with no close row of its own (SPX) gets one with ``amount`` 0."""
    import pandas as pd

    ev = result.events_frame()
    m = result.model
    if ev.empty:
        return pd.DataFrame(
            columns=[
                "step",
                "day",
                "event",
                "action",
                "node",
                "amount",
                "impact",
                "total_impact",
                "halted",
                "unfilled_usd",
                "days_halted",
            ]
        )
    step_of = {e: st.id for st in m.steps for e in st.events}
    # a halt row belongs to the step of the node's close feedback (the close it halts)
    step_of.update(
        {
            f"halt:{n.id}": step_of[f"feedback:{n.id}"]
            for n in m.nodes
            if f"feedback:{n.id}" in step_of
        }
    )
    for n in m.nodes:  # a node with no close of its own (SPX): the step of the link into it
        into = [
            e.step or step_of.get(e.id, "")
            for e in m.edges
            if n.id in e.targets and e.lag == 0 and (e.step or e.id in step_of)
        ]
        if f"halt:{n.id}" not in step_of and into:
            step_of[f"halt:{n.id}"] = into[0]
    ev["step"] = [s or step_of.get(e, "") for s, e in zip(ev["step"], ev["event"], strict=True)]
    ev["weighted"] = ev["impact"] * ev["prob"]
    g = ev.groupby(["step", "event", "target"], sort=False)
    rows = []
    for (step, event, target), grp in g:
        first = grp.iloc[0]
        rows.append(
            {
                "step": step,
                "day": int(first["day"]),
                "event": event,
                "action": first["action"],
                "node": target,
                "amount": float(first["amount"]),
                "amount_unit": first["amount_unit"],
                "impact": float(first["impact"]),
                "impact_unit": first["impact_unit"],
                "total_impact": float(grp["weighted"].sum()),
                "days_fired": len(grp),
                "prob": float(grp["prob"].max()),
                "halted": bool(first["halted"] > 0),
                "unfilled_usd": float(first["unfilled_usd"]),
                "days_halted": int((grp["halted"] > 0).sum()),
            }
        )
    out = pd.DataFrame(rows)
    out["parameters"] = [_params_text(m, e, engine_nodes) for e in out["event"]]
    out["source"] = [
        ENGINE_SOURCE
        if e.partition(":")[2] in engine_nodes and e.startswith("feedback:")
        else _source_text(m, e)
        for e in out["event"]
    ]
    out["_s"] = pd.to_numeric(out["step"], errors="coerce").fillna(99)
    return out.sort_values(["_s", "day"], kind="stable").drop(columns="_s").reset_index(drop=True)


def _params_text(m: CascadeModel, event: str, engine_nodes: frozenset[str] = frozenset()) -> str:
    """The central parameter values behind an event: ``beta=0.3586; lag=1``."""
    kind, _, nid = event.partition(":")
    if kind == "feedback" and nid in engine_nodes:
        fb = m.node(nid).close_feedback
        used = ("korean_aum_usd", "korean_multiplier")
        return "; ".join(f"{k}={fb.params[k].value:g}" for k in used if fb and k in fb.params) + (
            f"; stress_default.yaml[{nid}]"
        )
    if kind == "shock":
        return "; ".join(f"move={s.move:g}@day{s.day}" for s in m.shocks if s.node == nid)
    if kind == "feedback":
        fb = m.node(nid).close_feedback
        return "; ".join(f"{k}={p.value:g}" for k, p in fb.params.items()) if fb else ""
    if kind in ("bound", "reversion", "halt"):
        return ""
    e = m.edge(event)
    items = [f"{k}={p.value:g}" for k, p in e.params.items()]
    items += [f"effect[{k}]={p.value:g}" for k, p in e.effects.items()]
    return "; ".join([*items, f"lag={e.lag}"])


def _source_text(m: CascadeModel, event: str) -> str:
    kind, _, nid = event.partition(":")
    if kind == "shock":
        return "; ".join(s.source for s in m.shocks if s.node == nid)
    if kind == "feedback":
        fb = m.node(nid).close_feedback
        return fb.source if fb else ""
    if kind in ("bound", "reversion"):
        return m.node(nid).source
    if kind == "halt":
        return HALT_SOURCE
    e = m.edge(event)
    srcs = [e.source_ref, *(p.source for p in e.params.values() if p.source != e.source_ref)]
    return " | ".join(dict.fromkeys(x for x in srcs if x))


def bands_frame(result: CascadeResult) -> pd.DataFrame:
    """Change from the baseline at the horizon (mean and Monte Carlo bands) and the
    lowest / highest change on any day (means over the draws), per node.

    ``baseline`` is a level in ``baseline_unit`` (the node's unit); every ``change_*``
    column is in ``change_unit``: ``frac`` (a decimal fraction, price nodes) or ``pp``
    (percentage points, rate nodes quoted in percent)."""
    import numpy as np
    import pandas as pd

    rows = []
    for n in result.model.nodes:
        ch = result.change(n.id, "final")
        rec: dict[str, Any] = {
            "node": n.id,
            "baseline": n.baseline,
            "baseline_unit": n.unit,
            "change_unit": n.change_unit,
            "change_mean": float(ch.mean()),
        }
        for q in result.quantiles:
            rec[f"change_q{round(q * 100):02d}"] = float(np.quantile(ch, q))
        rec["lowest_change_mean"] = float(result.change(n.id, "min").mean())
        rec["highest_change_mean"] = float(result.change(n.id, "max").mean())
        rows.append(rec)
    return pd.DataFrame(rows)


def attribution_frame(result: CascadeResult) -> pd.DataFrame:
    """Each link's total contribution to each node's change, largest equity loss first.

    ``change_contribution`` is in ``change_unit`` (the target's: ``frac``, a decimal
    fraction for price nodes, or ``pp``, percentage points for rates), as in
    :func:`bands_frame`; ``equity_loss_frac`` is the loss part on equity nodes (a fraction).
    """
    df = result.attribution_frame()
    if df.empty:
        return df
    units = [result.model.node(t).change_unit for t in df["target"]]
    out = df.rename(columns={"contribution": "change_contribution"}).assign(change_unit=units)
    return out[["event", "target", "change_contribution", "change_unit", "equity_loss_frac"]]


# --------------------------------------------------------------------------- set-up
def cascade_model(
    *,
    scenario: str | Path | None = None,
    shocks: Sequence[tuple[str, float, int]] | Mapping[str, float] | None = None,
    shock_frac: float | None = None,
    korean_aum_usd: float | None = None,
    horizon_days: int | None = None,
    shock_source: str = "given",
    field_name: str = "shocks",
) -> tuple[CascadeModel, bool]:
    """The cascade model of a run, and whether its shocks were replaced.

    Parameters
    ----------
    scenario : path, optional
        Cascade scenario YAML (default: the six-step chain, -5 % NDX/SOX near the close).
    shocks : sequence of (node, move_frac, day), or mapping node → move_frac (day 0)
        Replace the scenario's shocks; node ids are case-insensitive; one move per node
        and day; a price node's move above -100 % (a rate node's is a change in pp).
    shock_frac : float, optional
        Give every shock of the scenario this move instead (a fraction).
    korean_aum_usd : float, optional
        What-if: Korean 3x AUM on the close-feedback nodes totals this (USD, 0 to 1e13),
        spread like the scenario's own.
    horizon_days : int, optional
        Days to simulate (1 to 2000; default the scenario's).
    shock_source : str
        How the replaced shocks are labelled (``command line``, ``API request``).
    field_name : str
        The input's name in error messages (``shocks_frac_by_node`` for the HTTP API).
    """
    from gaemi.core.contagion import Shock
    from gaemi.data.cascade import load_cascade

    if shocks is not None and shock_frac is not None:
        raise GaemiInputError("give shocks or shock_frac, not both")
    model = _default_cascade() if scenario is None else load_cascade(Path(scenario))
    if korean_aum_usd is not None:
        if not 0 <= korean_aum_usd <= MAX_AUM_USD:
            raise GaemiInputError(
                f"korean_aum_usd = {korean_aum_usd:g} must be between 0 and "
                f"{MAX_AUM_USD:.0e} USD ($10T)"
            )
        model = model.with_korean_aum(korean_aum_usd)
    if horizon_days is not None:
        if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
            raise GaemiInputError(
                f"horizon = {horizon_days} must be between 1 and {MAX_HORIZON_DAYS} days"
            )
        model = model.with_horizon(horizon_days)
    if shocks is None and shock_frac is None:
        return model, False
    new = []
    # the words of every face (gaemi.errors): the CLI names --shock, the API its field
    if shock_frac is not None:
        if any(model.node(s.node).change == "relative" for s in model.shocks):
            check_above_minus_100(shock_frac, "shock_frac")
        new = [Shock(s.node, s.day, shock_frac, shock_source) for s in model.shocks]
    else:
        assert shocks is not None
        items = [(k, v, 0) for k, v in shocks.items()] if isinstance(shocks, Mapping) else shocks
        seen: dict[tuple[str, int], str] = {}
        for node, move, day in items:
            key = check_known_name(str(node), model.node_ids, field_name, "NODE", given=node)
            given = f"{node}={float(move):g}"
            if (key, day) in seen:
                raise given_twice(field_name, key, seen[key, day], given, "node and day", day)
            seen[key, day] = given
            if model.node(key).change == "relative":  # a price: above -100 %; rates move in pp
                check_above_minus_100(move, f"{field_name}.{key}")
            new.append(Shock(key, int(day), float(move), shock_source))
    import dataclasses

    # the scenario's name describes its own shocks; only its graph is used now
    name = f"{model.name} — graph only; shocks from the {shock_source}"
    return dataclasses.replace(model.with_shocks(new), name=name), True


@functools.lru_cache(maxsize=1)
def _default_cascade() -> CascadeModel:
    """The embedded six-step scenario (read once; models are frozen)."""
    from gaemi.data.cascade import load_cascade

    return load_cascade(None)


def feedback_models(
    model: CascadeModel, feedback: Feedback | str, state: MarketState | None = None
) -> dict[str, Any] | None:
    """Close feedback: ``engine`` — the close-liquidity solver of ``gaemi stress`` on
    every node the stress scenario has liquidity for, with the state's fund universe;
    ``linear`` — the scenario's r0/(1 − λK) (None)."""
    if feedback not in ("engine", "linear"):
        raise GaemiInputError(f"feedback = {feedback!r} must be engine or linear")
    if feedback == "linear":
        return None
    from gaemi.data.cascade import engine_feedback_models

    return engine_feedback_models(model, universe=None if state is None else state.universe)


def engine_nodes(fm: Mapping[str, Any] | None) -> frozenset[str]:
    """The nodes whose close feedback is the engine (``node:NDX`` → ``NDX``)."""
    return frozenset(k.split(":", 1)[1] for k in (fm or {}))


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, kw_only=True)
class ContagionResult(Result):
    """The cascade's central run (every parameter at its central value) and, with draws,
    the Monte Carlo over the parameter ranges.

    Attributes
    ----------
    model : CascadeModel
        The graph and the shocks run.
    central : CascadeResult
        The central run (event log, step verdicts).
    mc : CascadeResult or None
        The Monte Carlo (``draws`` > 1).
    engine_nodes : frozenset of str
        Nodes whose close feedback is the close-liquidity engine.
    draws, seed : int, object
    shocks_replaced : bool
        True when the scenario's shocks were replaced by given ones.
    """

    model: CascadeModel
    central: CascadeResult
    mc: CascadeResult | None
    engine_nodes: frozenset[str]
    fm: Mapping[str, Any] | None
    draws: int
    seed: Any
    shocks_replaced: bool
    kind: str = field(default="contagion", init=False, repr=False)

    def events(self) -> pd.DataFrame:
        """The note-style event table of the central run (:func:`event_table`)."""
        return event_table(self.central, self.engine_nodes)

    def steps(self) -> pd.DataFrame:
        """Does each step of the chain follow from the mechanics (central run)?"""
        from gaemi.core.contagion import step_verdicts
        from gaemi.core.contagion.analysis import verdicts_frame

        return verdicts_frame(step_verdicts(self.central))

    def bands(self) -> pd.DataFrame:
        """Change of every node at the horizon (Monte Carlo bands when drawn)."""
        return bands_frame(self.mc or self.central)

    def most_loss_link(self) -> tuple[str, float] | None:
        """The link that carried the most equity loss (central run), and its sum."""
        w = self.central.most_loss_link()
        return None if w is None else (str(w[0]), float(w[1]))

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """``events`` (default), ``steps``, ``paths``, ``bands`` or ``attribution``."""
        if view in (None, "events"):
            return self.events()
        if view == "steps":
            return self.steps()
        if view == "paths":
            return (self.mc or self.central).paths_frame()
        if view == "bands":
            return self.bands()
        if view == "attribution":
            return attribution_frame(self.mc or self.central)
        raise GaemiInputError(f"view = {view!r} must be one of {', '.join(VIEWS)}")

    def summary(self) -> str:
        w = self.most_loss_link()
        b = self.bands()
        ndx = b[b["node"] == "NDX"]
        return (
            f"{shocks_text(self.model)} over {self.model.horizon_days} days"
            + (f": NDX {float(ndx['change_mean'].iloc[0]):+.2%} at the horizon" if len(ndx) else "")
            + (f"; the link that carried the most equity loss: {w[0]}" if w else "")
        )

    def extra_dict(self) -> dict[str, Any]:
        from gaemi.app.result import records

        w = self.most_loss_link()
        return {
            "scenario": self.model.name,
            "shocks_frac": {s.node: s.move for s in self.model.shocks},
            "horizon_days": self.model.horizon_days,
            "draws": self.draws,
            "seed": self.seed if isinstance(self.seed, int) else None,
            "steps": records(self.steps()),
            "bands": records(self.bands()),
            "most_loss_link": None if w is None else w[0],
        }


def contagion(
    state: MarketState | None = None,
    *,
    scenario: str | Path | None = None,
    shocks: Sequence[tuple[str, float, int]] | Mapping[str, float] | None = None,
    shock_frac: float | None = None,
    korean_aum_usd: float | None = None,
    horizon_days: int | None = None,
    draws: int = 1,
    rng: Any = 0,
    feedback: Feedback | str = "engine",
    shock_source: str = "given",
    field_name: str = "shocks",
    progress: Callable[[int, int], None] | None = None,
) -> ContagionResult:
    """Propagate shocks through the contagion graph day by day.

    Each day every node's move is its shock plus the lagged, typed effects of its parents
    (betas, thresholds, flows); equity nodes near the close add the close feedback
    r = r0 + I(Σ flows(r)). The central run uses every parameter's central value; with
    ``draws`` > 1 a Monte Carlo over the parameter ranges gives the bands.

    Parameters
    ----------
    state : MarketState, optional
        Its fund universe feeds the close-liquidity engine (default: embedded).
    scenario, shocks, shock_frac, korean_aum_usd, horizon_days
        See :func:`cascade_model`.
    draws : int
        1: central run only; more: Monte Carlo draws (1 to 100,000).
    rng : int, SeedSequence or Generator
        Same seed, same bands.
    feedback : {"engine", "linear"}
        Close feedback on NDX/SOX (see :func:`feedback_models`).

    References
    ----------
    docs/cascade.md; Bouchaud et al. (2018), *Trades, Quotes and Prices*, ch. 12
    (square-root impact of the close feedback).
    """
    from gaemi.app.decay import resolve_state

    if not 1 <= draws <= 100_000:
        raise GaemiInputError(
            f"draws = {draws} must be between 1 and 100000 (one run holds every draw in memory)"
        )
    st = resolve_state(state)
    model, replaced = cascade_model(
        scenario=scenario,
        shocks=shocks,
        shock_frac=shock_frac,
        korean_aum_usd=korean_aum_usd,
        horizon_days=horizon_days,
        shock_source=shock_source,
        field_name=field_name,
    )
    fm = feedback_models(model, feedback, st)
    return run_cascade(
        st, model, fm=fm, shocks_replaced=replaced, draws=draws, rng=rng, progress=progress
    )


def run_cascade(
    state: MarketState,
    model: CascadeModel,
    *,
    fm: Mapping[str, Any] | None,
    shocks_replaced: bool = False,
    draws: int = 1,
    rng: Any = 0,
    progress: Callable[[int, int], None] | None = None,
) -> ContagionResult:
    """Run a model built by :func:`cascade_model` with the feedback of
    :func:`feedback_models`: the central run and, with ``draws`` > 1, the Monte Carlo."""
    from gaemi.app.decay import check_seed, state_sources, state_warnings
    from gaemi.core.contagion import simulate

    check_seed(rng)
    central = simulate(model, deterministic=True, feedback_models=fm)
    mc = (
        simulate(model, draws, rng=rng, feedback_models=fm, log_events=False, progress=progress)
        if draws > 1
        else None
    )
    return ContagionResult(
        model=model,
        central=central,
        mc=mc,
        engine_nodes=engine_nodes(fm),
        fm=fm,
        draws=draws,
        seed=rng,
        shocks_replaced=shocks_replaced,
        warnings=state_warnings(state),
        sources=(*state_sources(state), f"scenario: {model.name}", REFERENCE),
    )


# --------------------------------------------------------------------------- reverse, fuse
@dataclass(frozen=True, kw_only=True)
class ReverseStressResult(Result):
    """Per Korean-AUM level, the smallest multiple of the shocks that reaches an outcome.

    Attributes
    ----------
    model : CascadeModel
    core : gaemi.core.contagion.ReverseStress
        ``min_scale`` per level (NaN: not reached even at −99 % shocks; 0: met at baseline).
    """

    model: CascadeModel
    core: Any
    kind: str = field(default="contagion_reverse", init=False, repr=False)

    @property
    def met_at_baseline(self) -> bool:
        return bool(self.core.met_at_baseline)

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """``korean_aum_usd, shock_scale, <node>_shock_frac …, outcome``."""
        out: pd.DataFrame = self.core.to_frame()
        return out

    def summary(self) -> str:
        o = self.core.outcome
        if self.met_at_baseline:
            return f"{o.describe()} is already met at baseline: no shock needed"
        return (
            f"smallest multiple of {dict(self.core.shocks)} reaching {o.describe()}, per "
            f"Korean AUM (today's {format_usd(self.core.base_korean_aum_usd)})"
        )

    def extra_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.core.outcome.describe(),
            "shocks_frac": dict(self.core.shocks),
            "base_korean_aum_usd": float(self.core.base_korean_aum_usd),
            "met_at_baseline": self.met_at_baseline,
        }


def reverse(
    state: MarketState | None = None,
    outcome: tuple[str, str, str, float] = ("USDKRW", "level", ">=", 1600.0),
    *,
    scenario: str | Path | None = None,
    shocks: Sequence[tuple[str, float, int]] | Mapping[str, float] | None = None,
    korean_aum_usd: float | None = None,
    horizon_days: int | None = None,
    feedback: Feedback | str = "engine",
) -> ReverseStressResult:
    """Reverse stress: the smallest multiple s of the shocks with which ``outcome`` is
    reached on some day of the horizon, for Korean AUM at 0.25 … 8 × today's.

    Parameters
    ----------
    outcome : (node, measure, op, value)
        ``measure`` is ``"level"`` (in the node's unit) or ``"change"`` (a fraction for
        price nodes, pp for rates); ``op`` is ``">="`` or ``"<="``.
        E.g. ``("USDKRW", "level", ">=", 1600)``, ``("KOSPI", "change", "<=", -0.10)``.

    References
    ----------
    docs/cascade.md (reverse stress by bisection on the shock multiple).
    """
    from gaemi.app.decay import resolve_state

    st = resolve_state(state)
    model, _ = cascade_model(
        scenario=scenario, shocks=shocks, korean_aum_usd=korean_aum_usd, horizon_days=horizon_days
    )
    return reverse_of(st, model, feedback_models(model, feedback, st), outcome)


@dataclass(frozen=True, kw_only=True)
class FuseResult(Result):
    """The smallest multiple of the shocks at which each step of the chain fires."""

    model: CascadeModel
    core: Any
    kind: str = field(default="contagion_fuse", init=False, repr=False)

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """``step, first_fires_at_shock_scale, <node>_shock_frac …``."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "step": k,
                    "first_fires_at_shock_scale": v,
                    **{
                        f"{n}_shock_frac": m * v
                        for n, m in ((s.node, s.move) for s in self.model.shocks)
                    },
                }
                for k, v in self.core.step_scale.items()
            ]
        )

    def summary(self) -> str:
        if self.core.reached:
            return (
                f"the full chain fires at {self.core.scale:.3g} x the shocks: "
                f"{dict(self.core.shocks)}"
            )
        return (
            "the full chain never fires, even at -99% shocks; steps that never fire: "
            + ", ".join(self.core.missing_at_max)
        )

    def extra_dict(self) -> dict[str, Any]:
        return {
            "reached": bool(self.core.reached),
            "scale": float(self.core.scale),
            "shocks_frac": dict(self.core.shocks),
        }


def fuse(
    state: MarketState | None = None,
    *,
    scenario: str | Path | None = None,
    shocks: Sequence[tuple[str, float, int]] | Mapping[str, float] | None = None,
    korean_aum_usd: float | None = None,
    horizon_days: int | None = None,
    feedback: Feedback | str = "engine",
) -> FuseResult:
    """The fuse: the smallest multiple of the shocks at which each step of the chain
    (and the whole chain) first fires, by bisection on the central run."""
    from gaemi.app.decay import resolve_state

    st = resolve_state(state)
    model, _ = cascade_model(
        scenario=scenario, shocks=shocks, korean_aum_usd=korean_aum_usd, horizon_days=horizon_days
    )
    fm = feedback_models(model, feedback, st)
    return fuse_of(st, model, fm)


def fuse_of(state: MarketState, model: CascadeModel, fm: Mapping[str, Any] | None) -> FuseResult:
    """:func:`fuse` of a model built by :func:`cascade_model` (no rebuild)."""
    from gaemi.app.decay import state_sources, state_warnings
    from gaemi.core.contagion import find_fuse

    return FuseResult(
        model=model,
        core=find_fuse(model, feedback_models=fm),
        warnings=state_warnings(state),
        sources=(*state_sources(state), f"scenario: {model.name}", REFERENCE),
    )


def reverse_of(
    state: MarketState,
    model: CascadeModel,
    fm: Mapping[str, Any] | None,
    outcome: tuple[str, str, str, float],
) -> ReverseStressResult:
    """:func:`reverse` of a model built by :func:`cascade_model` (no rebuild)."""
    from gaemi.app.decay import state_sources, state_warnings
    from gaemi.core.contagion import Outcome, reverse_stress

    node, measure, op, value = outcome
    if measure not in ("level", "change") or op not in (">=", "<="):
        raise GaemiInputError(
            f"outcome = {outcome!r}: measure must be level or change, op >= or <="
        )
    model.index(node)
    rs = reverse_stress(
        model,
        Outcome(node.upper(), measure, op, float(value)),  # type: ignore[arg-type]
        feedback_models=fm,
    )
    return ReverseStressResult(
        model=model,
        core=rs,
        warnings=state_warnings(state),
        sources=(*state_sources(state), f"scenario: {model.name}", REFERENCE),
    )


__all__ = [
    "ENGINE_SOURCE",
    "HALT_SOURCE",
    "VIEWS",
    "ContagionResult",
    "FuseResult",
    "ReverseStressResult",
    "attribution_frame",
    "bands_frame",
    "cascade_model",
    "contagion",
    "engine_nodes",
    "event_table",
    "feedback_models",
    "fmt_amount",
    "fmt_change",
    "fuse",
    "fuse_of",
    "reverse",
    "reverse_of",
    "run_cascade",
    "shocks_text",
]
