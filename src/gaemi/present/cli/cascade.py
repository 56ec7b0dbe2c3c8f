"""``gaemi cascade``: the contagion network ("Indra's Net") after a shock near the close."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gaemi.errors import GaemiInputError, check_above_minus_100, check_known_name
from gaemi.present.cascade_tables import (
    display_attribution,
    display_bands,
    display_events,
    shocks_text,
)
from gaemi.present.cli.common import (
    DataDirOption,
    DateOption,
    DbOption,
    FormatOption,
    KoreanAumOption,
    NamedMove,
    OutputFormat,
    SeedOption,
    check_choice,
    emit,
    note,
    output_format,
    parse_korean_aum,
    parse_move,
    parse_named_moves,
    parse_number,
    single,
    state_from_options,
    stderr_progress,
)
from gaemi.units import column_header, format_cell, format_usd

if TYPE_CHECKING:
    from gaemi.core.contagion import CascadeModel

EPILOG = """
Examples:

  gaemi cascade                                # the six-step chain, -5% NDX/SOX near the close

  gaemi cascade --shock NDX=-8% --shock SOX=-10% --draws 10000 --seed 7

  gaemi cascade --korean-aum 45e9              # the research note's $45B of Korean 3x AUM

  gaemi cascade --explain                      # the graph, every edge and its source

  gaemi cascade --view steps --format json     # does each step of the note follow?

  gaemi cascade --reverse "USDKRW>=1600"       # smallest shock per Korean AUM to get there

  gaemi cascade --reverse "KOSPI<=-10%"
"""

#: Every draw of a run is held in memory (nodes × draws × (max lag + 1) floats).
MAX_DRAWS = 100_000

#: How a table cell shows a NaN (``gaemi.present.cli.common.emit``); captions say the same.
NOT_REACHED = "—"


VIEWS = ("events", "steps", "paths", "bands", "attribution", "fuse", "reverse")


def parse_shocks(
    items: list[str] | None,
    names: Collection[str] | None = None,
    *,
    read_note: bool = True,
    prices: Collection[str] = (),
) -> list[NamedMove]:
    """``--shock NODE=MOVE[@DAY]`` items (one move per node and day), read by the shared
    :func:`~gaemi.present.cli.common.parse_named_moves`, then checked by the rules of every
    face (:mod:`gaemi.errors`, the API's words too): ``names``, the graph's nodes
    (``--shock = 'FOO=-5%': NODE must be one of NDX, …``); ``prices``, the nodes whose
    move is relative, above -100 % (``--shock NDX = '-100%' must be above -100%``; a rate
    node's move is a change in pp)."""
    out = []
    moves = parse_named_moves(
        items, "--shock", what="NODE", example="NDX=-5%", with_day=True, read_note=read_note
    )
    for m in moves:
        name = (
            m.name if names is None else check_known_name(m.name, names, "--shock", "NODE", m.text)
        )
        if name in prices:
            check_above_minus_100(m.move_frac, f"--shock {name}", given=m.move_text)
        out.append(dataclasses.replace(m, name=name))
    return out


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
    return node, "level", op, parse_number(val, f"reverse {node} value")


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
    scenario_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            metavar="FILE",
            help="Cascade scenario YAML (default: the six-step chain).",
        ),
    ] = None,
    shock: Annotated[
        list[str] | None,
        typer.Option(
            "--shock",
            help="Initial move NODE=MOVE[@DAY] (e.g. NDX=-5%), between -100% and +1000%; "
            "repeatable (one move per node and day); replaces the scenario's shocks.",
        ),
    ] = None,
    draws_given: Annotated[
        list[int] | None,
        typer.Option(
            "--draws", metavar="N", help="Monte Carlo draws over the parameter ranges (1)."
        ),
    ] = None,
    seed_given: SeedOption = None,
    horizon_given: Annotated[
        list[int] | None,
        typer.Option("--horizon", metavar="DAYS", help="Days to simulate (the scenario's)."),
    ] = None,
    korean_aum_given: KoreanAumOption = None,
    view_given: Annotated[
        list[str] | None,
        typer.Option(
            "--view",
            metavar="VIEW",
            help="events | steps | paths | bands | attribution | fuse | reverse",
        ),
    ] = None,
    reverse_given: Annotated[
        list[str] | None,
        typer.Option(
            "--reverse",
            metavar="OUTCOME",
            help="Reverse stress to an outcome: USDKRW>=1600, KOSPI<=-10% …",
        ),
    ] = None,
    feedback_given: Annotated[
        list[str] | None,
        typer.Option(
            "--feedback",
            metavar="engine|linear",
            help="Close feedback on NDX/SOX: engine (the close-liquidity solver of "
            "`gaemi stress`, the default) or linear (r0/(1-λK) from the scenario).",
        ),
    ] = None,
    explain_: Annotated[
        bool, typer.Option("--explain", help="Print the graph, parameters and sources.")
    ] = False,
    fmt_given: FormatOption = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    date: DateOption = None,
) -> None:
    """Propagate a shock through the contagion graph day by day: event table, node paths,
    which link carried the most loss, the fuse, Monte Carlo bands and reverse stress.

    The central run uses every parameter's central value; --draws N adds a Monte Carlo
    over the parameter ranges (bands). Each step of the research note's chain is checked
    against the mechanics and the output says when it does not follow.
    """
    from gaemi.app import contagion as app
    from gaemi.core.contagion import spectral_radius

    # declared as lists so that a repeat is refused, not silently the last one (single())
    scenario: Path | None = single(scenario_given, "--scenario")
    draws: int = single(draws_given, "--draws", 1)
    seed: int = single(seed_given, "--seed", 0)
    horizon: int | None = single(horizon_given, "--horizon")
    korean_aum: str | None = single(korean_aum_given, "--korean-aum")
    view: str | None = single(view_given, "--view")
    reverse: str | None = single(reverse_given, "--reverse")
    feedback: str = single(feedback_given, "--feedback", "engine")
    fmt = output_format(fmt_given)
    if view is not None:
        check_choice(view, VIEWS, "view")
    if draws < 1 or draws > MAX_DRAWS:
        raise GaemiInputError(
            f"draws = {draws} must be between 1 and {MAX_DRAWS} "
            "(one run holds every draw in memory)"
        )
    from gaemi.app.decay import check_seed

    check_seed(seed, "--seed")
    outcome = parse_outcome(reverse) if reverse is not None else None
    if feedback not in ("engine", "linear"):
        raise GaemiInputError(f"feedback = {feedback!r} must be engine or linear")
    aum_usd = parse_korean_aum(korean_aum) if korean_aum is not None else None
    if horizon is not None and (horizon < 1 or horizon > 2000):
        raise GaemiInputError(f"horizon = {horizon} must be between 1 and 2000 days")
    base, _ = app.cascade_model(scenario=scenario, korean_aum_usd=aum_usd, horizon_days=horizon)
    given: list[tuple[str, float, int]] | None = None
    if shock:  # every shock is checked (form, move, day, node, repeats) before any note
        prices = [n.id for n in base.nodes if n.change == "relative"]
        moves = parse_shocks(shock, base.node_ids, prices=prices)
        given = [(m.name, m.move_frac, m.day) for m in moves]
    if outcome is not None:
        base.index(outcome[0])
    state = state_from_options(db, data_dir, date)
    model, replaced = app.cascade_model(
        scenario=scenario,
        shocks=given,
        korean_aum_usd=aum_usd,
        horizon_days=horizon,
        shock_source="command line (--shock)",
    )
    fm = app.feedback_models(model, feedback, state)
    if fm:
        note(
            "close feedback: the close-liquidity engine (gaemi stress) on "
            + ", ".join(sorted(app.engine_nodes(fm), key=list(model.node_ids).index))
            + "; linear r0/(1-λK) on the other equity nodes"
        )
    if explain_:
        explain(model, fmt, fm)
        return
    if reverse is not None or view == "reverse":
        if reverse is None:
            raise GaemiInputError("view reverse needs --reverse NODE>=VALUE")
        assert outcome is not None
        node, measure, _op, _value = outcome
        rev = app.reverse_of(state, model, fm, outcome)
        rs = rev.core
        if rev.met_at_baseline:
            at = model.node(node)
            note(
                f"{reverse} is already met at baseline ({node} {at.baseline:,.10g} {at.unit}"
                + (", change 0" if measure == "change" else "")
                + "): no shock needed"
            )
        emit(
            rev.to_frame(),
            fmt,
            title=f"Reverse stress: smallest shock reaching {reverse} per Korean AUM",
            # the caption names the columns by their headers (gaemi.units.column_header)
            caption=f"{column_header('shock_scale')} multiplies the scenario's shocks ("
            + ", ".join(f"{k} {format_cell('shock_frac', v)}" for k, v in dict(rs.shocks).items())
            + f"); {column_header('korean_aum_usd')} today in the scenario: "
            f"{format_usd(rs.base_korean_aum_usd)}; "
            + (
                f"{format_cell('shock_scale', 0.0)} = already met at baseline, no shock needed"
                if rs.met_at_baseline
                else f"{NOT_REACHED} = not reached even at a -99% shock"
            ),
        )
        return
    with stderr_progress(disable=draws <= 1) as bar:
        task = bar.add_task(f"Monte Carlo {draws} draws", total=model.horizon_days)
        res = app.run_cascade(
            state,
            model,
            fm=fm,
            shocks_replaced=replaced,
            draws=draws,
            rng=seed,
            progress=lambda d, n: bar.update(task, completed=d),
        )
    ev = res.to_frame("events")
    if view in (None, "events") and fmt != OutputFormat.table:
        emit(ev, fmt)
        return
    if view == "steps":
        emit(res.to_frame("steps"), fmt, title="Does each step follow from the mechanics?")
        return
    if view == "paths":
        emit(res.to_frame("paths"), fmt, title="Node paths (mean and bands)")
        return
    if view == "bands":
        bands = res.to_frame("bands")
        emit(
            display_bands(bands) if fmt == OutputFormat.table else bands,
            fmt,
            title=f"Change from baseline at the horizon (day {model.horizon_days - 1}) "
            f"after {shocks_text(model)}",
        )
        return
    if view == "attribution":
        att = res.to_frame("attribution")
        emit(
            display_attribution(att) if fmt == OutputFormat.table else att,
            fmt,
            title="Contribution of each link to each node's change at the horizon",
        )
        return
    fuse = app.fuse_of(state, model, fm)
    if view == "fuse":
        emit(
            fuse.to_frame(),
            fmt,
            title="Fuse: the smallest multiple of the shocks at which each step fires",
        )
        return
    # full table report
    emit(events_for_terminal(ev), fmt, title=event_table_title(model, scenario, bool(shock)))
    steps = res.to_frame("steps")[["step", "title", "claim", "verdict", "reason"]]
    emit(
        steps.rename(columns={"verdict": "follows"}),
        fmt,
        title="Does each step of the chain follow from the mechanics?",
    )
    for st in model.steps:
        if st.note:
            note(f"step {st.id} note: {st.note}")
    worst = res.most_loss_link()
    if worst is not None:
        from gaemi.units import format_frac

        loss = format_frac(-worst[1])
        note(f"link that carried the most equity loss: {worst[0]} ({loss} summed)")
    note(spectral_radius(model, fm).summary().split("\n")[0])
    note(f"fuse: {fuse.summary()}")
    if res.mc is not None:
        emit(
            display_bands(res.bands()),
            fmt,
            title=f"Monte Carlo: change at day {model.horizon_days - 1} "
            f"({draws} draws, seed {seed})",
        )


#: The event table's halt columns (issue 18: a close the level-3 circuit breaker halted
#: leaves its selling unfilled), shown in the terminal when a row halted.
HALT_COLUMNS = ("halted", "unfilled_usd", "days_halted")


def events_for_terminal(ev: Any) -> Any:
    """The event table as the terminal shows it (:func:`display_events`: amounts and
    impacts in their units) with, when a close or a shock halted, the halt columns
    :data:`HALT_COLUMNS` after the impacts (``Halted`` yes/no, ``Unfilled ($)``, ``Days
    halted``, headers and cells by the one rule of :mod:`gaemi.units`); a halted row's
    action says it halted. With no halt (or a run without the columns) the table is
    :func:`display_events` as it is: three columns of "no" say nothing."""
    out = display_events(ev)
    if not all(c in ev.columns for c in HALT_COLUMNS) or not ev["halted"].astype(bool).any():
        return out
    halted = ev["halted"].astype(bool).to_numpy()
    out["action"] = [
        a if not h or "halt" in str(a).lower() else f"{a} (halted)"
        for a, h in zip(out["action"], halted, strict=True)
    ]
    at = list(out.columns).index("event")
    for i, c in enumerate(HALT_COLUMNS):
        out.insert(at + i, c, ev[c].to_numpy())
    return out


def event_table_title(model: CascadeModel, scenario: Path | None, replaced: bool) -> str:
    """The event table's title names the shocks actually applied: the scenario's own
    (its name describes them) or the ``--shock`` moves that replaced them."""
    if not replaced:
        return f"Cascade event table — {model.name} (shocks: {shocks_text(model)})"
    graph = scenario.name if scenario is not None else "the default six-step graph"
    return f"Cascade event table — {shocks_text(model)} (--shock, on {graph})"


def register(app: typer.Typer) -> None:
    """Add ``cascade`` to the app."""
    app.command("cascade", epilog=EPILOG)(cascade)
