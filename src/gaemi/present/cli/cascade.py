"""``gaemi cascade``: the contagion network ("Indra's Net") after a shock near the close."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import OutputFormat, describe_move, emit, note, parse_move

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.core.contagion import CascadeModel, CascadeResult

EPILOG = """
Examples:

  gaemi cascade                                # the six-step chain, -5% NDX/SOX near the close

  gaemi cascade --shock NDX=-8% --shock SOX=-10% --draws 10000 --seed 7

  gaemi cascade --explain                      # the graph, every edge and its source

  gaemi cascade --view steps --format json     # does each step of the note follow?

  gaemi cascade --reverse "USDKRW>=1600"       # smallest shock per Korean AUM to get there

  gaemi cascade --reverse "KOSPI<=-10%"
"""

#: Every draw of a run is held in memory (nodes × draws × (max lag + 1) floats).
MAX_DRAWS = 100_000

VIEWS = ("events", "steps", "paths", "bands", "attribution", "fuse", "reverse")


def parse_shock(text: str) -> tuple[str, float, int, str]:
    """``NODE=MOVE[@DAY]`` → (node, move_frac, day, the move's text)."""
    name, sep, rest = text.partition("=")
    if not sep or not name.strip():
        raise GaemiInputError(f"shock = {text!r} must be NODE=MOVE[@DAY], e.g. NDX=-5%")
    move_text, _, day_text = rest.partition("@")
    day = 0
    if day_text:
        if not day_text.strip().isdigit():
            raise GaemiInputError(f"shock day = {day_text!r} must be a whole number >= 0")
        day = int(day_text)
    return name.strip().upper(), parse_move(move_text, f"shock {name.strip()}"), day, move_text


def parse_outcome(text: str) -> tuple[str, str, str, float]:
    """``NODE>=VALUE`` or ``NODE<=VALUE``; a trailing % means change from the baseline."""
    m = re.fullmatch(r"\s*([A-Za-z0-9_]+)\s*(>=|<=)\s*([^\s]+)\s*", text)
    if not m:
        raise GaemiInputError(
            f"reverse = {text!r} must be NODE>=VALUE or NODE<=VALUE "
            "(e.g. USDKRW>=1600, KOSPI<=-10%)"
        )
    node, op, val = m.group(1).upper(), m.group(2), m.group(3)
    if val.endswith("%"):
        return node, "change", op, parse_move(val, f"reverse {node}")
    try:
        return node, "level", op, float(val)
    except ValueError:
        raise GaemiInputError(f"reverse value = {val!r} is not a number") from None


def _fmt_change(kind: str, unit: str, v: float) -> str:
    if v != v:
        return "—"
    return f"{v:+.2%}" if kind == "relative" or unit == "frac" else f"{v:+.4g} {unit}"


def _fmt_amount(v: float, unit: str) -> str:
    if v != v:
        return "—"
    if unit == "usd":
        from gaemi.present.cli.common import format_usd

        return format_usd(v)
    if unit == "frac":
        return f"{v:+.2%}"
    return f"{v:+,.4g} {unit}".strip()


ENGINE_SOURCE = (
    "close-liquidity engine (gaemi stress): participants and square-root impact of "
    "src/gaemi/data/defaults/stress_default.yaml for this underlying, Korean AUM from the scenario"
)


def event_table(result: CascadeResult, engine_nodes: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The note-style event table: one row per (step, rule, node) that fired, first day
    and total impact over the horizon."""
    import pandas as pd

    ev = result.events_frame()
    m = result.model
    if ev.empty:
        return pd.DataFrame(
            columns=["step", "day", "event", "action", "node", "amount", "impact", "total_impact"]
        )
    step_of = {e: st.id for st in m.steps for e in st.events}
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
    if kind in ("bound", "reversion"):
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
    e = m.edge(event)
    srcs = [e.source_ref, *(p.source for p in e.params.values() if p.source != e.source_ref)]
    return " | ".join(dict.fromkeys(x for x in srcs if x))


def _display_events(df: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "step": df["step"],
            "day": df["day"],
            "action": df["action"],
            "node": df["node"],
            "amount": [
                _fmt_amount(a, u) for a, u in zip(df["amount"], df["amount_unit"], strict=True)
            ],
            "impact (first day)": [
                _fmt_change("", u, v) for v, u in zip(df["impact"], df["impact_unit"], strict=True)
            ],
            "impact (all days)": [
                _fmt_change("", u, v)
                for v, u in zip(df["total_impact"], df["impact_unit"], strict=True)
            ],
            "event": df["event"],
        }
    )


def bands_frame(result: CascadeResult) -> pd.DataFrame:
    """Change from the baseline at the horizon (mean and Monte Carlo bands) and the
    lowest / highest change on any day (means over the draws), per node."""
    import numpy as np
    import pandas as pd

    rows = []
    for n in result.model.nodes:
        ch = result.change(n.id, "final")
        rec: dict[str, Any] = {
            "node": n.id,
            "unit": "frac" if n.change == "relative" else n.unit,
            "baseline": n.baseline,
            "change_mean": float(ch.mean()),
        }
        for q in result.quantiles:
            rec[f"change_q{round(q * 100):02d}"] = float(np.quantile(ch, q))
        rec["lowest_change_mean"] = float(result.change(n.id, "min").mean())
        rec["highest_change_mean"] = float(result.change(n.id, "max").mean())
        rows.append(rec)
    return pd.DataFrame(rows)


def explain(model: CascadeModel, fmt: OutputFormat, fm: Any = None) -> None:
    """Print the graph: nodes, edges with parameters and sources, stability."""
    import pandas as pd

    from gaemi.core.contagion import spectral_radius

    nodes = pd.DataFrame(
        [
            {
                "node": n.id,
                "name": n.name,
                "unit": n.unit,
                "change": n.change,
                "session": n.session,
                "baseline": n.baseline,
                "bounds": f"[{n.lower:g}, {n.upper:g}]",
                "close_feedback": n.close_feedback.model if n.close_feedback else "",
                "source": n.source,
            }
            for n in model.nodes
        ]
    )
    engine_nodes = {k.split(":", 1)[1] for k in (fm or {})}
    rows = []
    for (owner, name), p in model.parameters().items():
        lo, hi = p.bounds
        unused = (
            owner.startswith("feedback:")
            and owner.split(":", 1)[1] in engine_nodes
            and name not in ("korean_aum_usd", "korean_multiplier")
        )
        rows.append(
            {
                "owner": owner,
                "parameter": name,
                "value": p.value,
                "low": lo,
                "high": hi,
                "dist": p.dist,
                "used": "--feedback linear only" if unused else "yes",
                "source": p.source,
            }
        )
    params = pd.DataFrame(rows)
    edges = pd.DataFrame(
        [
            {
                "edge": e.id,
                "kind": e.kind,
                "from": e.source,
                "to": ",".join(e.targets),
                "lag_days": e.lag,
                "step": e.step,
                "action": e.action,
                "source": e.source_ref,
            }
            for e in model.edges
        ]
    )
    if fmt != OutputFormat.table:
        emit(params, fmt)
        return
    emit(nodes, fmt, title=f"Nodes — {model.name}")
    emit(
        edges,
        fmt,
        title="Edges (day order: " + " → ".join(model.nodes[i].id for i in model.order) + ")",
    )
    emit(params, fmt, title="Parameters (value, range, source)")
    note(spectral_radius(model, fm).summary())


def cascade(
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="Cascade scenario YAML (default: the six-step chain)."),
    ] = None,
    shock: Annotated[
        list[str] | None,
        typer.Option(
            "--shock",
            help="Initial move NODE=MOVE[@DAY] (e.g. NDX=-5%); repeatable; "
            "replaces the scenario's shocks.",
        ),
    ] = None,
    draws: Annotated[
        int, typer.Option("--draws", help="Monte Carlo draws over the parameter ranges.")
    ] = 1,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same numbers).")] = 0,
    horizon: Annotated[int | None, typer.Option("--horizon", help="Days to simulate.")] = None,
    view: Annotated[
        str | None,
        typer.Option(
            "--view", help="events | steps | paths | bands | attribution | fuse | reverse"
        ),
    ] = None,
    reverse: Annotated[
        str | None,
        typer.Option("--reverse", help="Reverse stress to an outcome: USDKRW>=1600, KOSPI<=-10% …"),
    ] = None,
    feedback: Annotated[
        str,
        typer.Option(
            "--feedback",
            help="Close feedback on NDX/SOX: engine (the close-liquidity solver of "
            "`gaemi stress`) or linear (r0/(1-λK) from the scenario).",
        ),
    ] = "engine",
    explain_: Annotated[
        bool, typer.Option("--explain", help="Print the graph, parameters and sources.")
    ] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Propagate a shock through the contagion graph day by day: event table, node paths,
    which link carried the most loss, the fuse, Monte Carlo bands and reverse stress.

    The central run uses every parameter's central value; --draws N adds a Monte Carlo
    over the parameter ranges (bands). Each step of the research note's chain is checked
    against the mechanics and the output says when it does not follow.
    """
    from gaemi.core.contagion import (
        Outcome,
        Shock,
        find_fuse,
        reverse_stress,
        simulate,
        spectral_radius,
        step_verdicts,
    )
    from gaemi.core.contagion.analysis import verdicts_frame
    from gaemi.data.cascade import load_cascade

    if view is not None and view not in VIEWS:
        raise GaemiInputError(f"view = {view!r} must be one of {', '.join(VIEWS)}")
    if draws < 1 or draws > MAX_DRAWS:
        raise GaemiInputError(
            f"draws = {draws} must be between 1 and {MAX_DRAWS} "
            "(one run holds every draw in memory)"
        )
    outcome = parse_outcome(reverse) if reverse is not None else None
    if feedback not in ("engine", "linear"):
        raise GaemiInputError(f"feedback = {feedback!r} must be engine or linear")
    model = load_cascade(scenario)
    if horizon is not None:
        if horizon < 1 or horizon > 2000:
            raise GaemiInputError(f"horizon = {horizon} must be between 1 and 2000 days")
        model = model.with_horizon(horizon)
    if shock:
        new = []
        for s in shock:
            node, mv, day, text = parse_shock(s)
            model.index(node)
            note(describe_move(text, mv) + f" for {node} on day {day}")
            new.append(Shock(node, day, mv, "command line"))
        from gaemi.core.contagion import CascadeModel

        model = CascadeModel(
            model.name,
            model.nodes,
            model.edges,
            tuple(new),
            model.horizon_days,
            model.steps,
            model.description,
        )
    if outcome is not None:
        model.index(outcome[0])
    fm = None
    if feedback == "engine":
        from gaemi.data.cascade import engine_feedback_models

        fm = engine_feedback_models(model)
        if fm:
            note(
                "close feedback: the close-liquidity engine (gaemi stress) on "
                + ", ".join(k.split(":", 1)[1] for k in fm)
                + "; linear r0/(1-λK) on the other equity nodes"
            )
    if explain_:
        explain(model, fmt, fm)
        return
    if reverse is not None or view == "reverse":
        if reverse is None:
            raise GaemiInputError("view reverse needs --reverse NODE>=VALUE")
        assert outcome is not None
        node, measure, op, value = outcome
        model.index(node)
        rs = reverse_stress(
            model,
            Outcome(node, measure, op, value),  # type: ignore[arg-type]
            feedback_models=fm,
        )
        emit(
            rs.to_frame(),
            fmt,
            title=f"Reverse stress: smallest shock reaching {reverse} per Korean AUM",
            caption=f"shock_scale multiplies the scenario shocks {dict(rs.shocks)}; "
            f"today's Korean AUM in the scenario {rs.base_korean_aum_usd / 1e9:.1f}B USD; "
            "NaN = not reached even at a -99% shock",
        )
        return
    central = simulate(model, deterministic=True, feedback_models=fm)
    verdicts = step_verdicts(central)
    mc = None
    if draws > 1:
        from rich.progress import Progress

        with Progress(transient=True, console=_stderr_console()) as bar:
            task = bar.add_task(f"Monte Carlo {draws} draws", total=model.horizon_days)
            mc = simulate(
                model,
                draws,
                rng=seed,
                progress=lambda d, n: bar.update(task, completed=d),
                feedback_models=fm,
                log_events=False,  # the event table comes from the central run
            )
    ev = event_table(central, frozenset(k.split(":", 1)[1] for k in (fm or {})))
    if view in (None, "events") and fmt != OutputFormat.table:
        emit(ev, fmt)
        return
    if view == "steps":
        emit(verdicts_frame(verdicts), fmt, title="Does each step follow from the mechanics?")
        return
    if view == "paths":
        emit((mc or central).paths_frame(), fmt, title="Node paths (mean and bands)")
        return
    if view == "bands":
        emit(bands_frame(mc or central), fmt, title="Change from baseline at the horizon")
        return
    if view == "attribution":
        emit((mc or central).attribution_frame(), fmt, title="Contribution of each link")
        return
    fuse = find_fuse(model, feedback_models=fm)
    if view == "fuse":
        import pandas as pd

        emit(
            pd.DataFrame(
                [
                    {
                        "step": k,
                        "first_fires_at_shock_scale": v,
                        **{
                            f"{n}_shock_frac": m * v
                            for n, m in ((s.node, s.move) for s in model.shocks)
                        },
                    }
                    for k, v in fuse.step_scale.items()
                ]
            ),
            fmt,
            title="Fuse: the smallest multiple of the shocks at which each step fires",
        )
        return
    # full table report
    emit(_display_events(ev), fmt, title=f"Cascade event table — {model.name}")
    emit(
        verdicts_frame(verdicts)[["step", "title", "claim", "follows", "reason"]],
        fmt,
        title="Does each step of the chain follow from the mechanics?",
    )
    for st in model.steps:
        if st.note:
            note(f"step {st.id} note: {st.note}")
    worst = central.most_loss_link()
    if worst is not None:
        note(f"link that carried the most equity loss: {worst[0]} ({-worst[1]:+.2%} summed)")
    note(spectral_radius(model, fm).summary().split("\n")[0])
    if fuse.reached:
        note(f"fuse: the full chain fires at {fuse.scale:.3g} x the shocks: {dict(fuse.shocks)}")
    else:
        note(
            "fuse: the full chain never fires, even at -99% shocks; steps that never fire: "
            + ", ".join(fuse.missing_at_max)
        )
    if mc is not None:
        emit(
            bands_frame(mc),
            fmt,
            title=f"Monte Carlo: change at day {model.horizon_days - 1} "
            f"({draws} draws, seed {seed})",
        )


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add ``cascade`` to the app."""
    app.command("cascade", epilog=EPILOG)(cascade)
