"""``gaemi history``: replay the close flows over real history and study stress days.

Reads a store (``gaemi data import …``) or a folder laid out like ../shared/data, rebuilds
fund AUM backwards from the universe's dated snapshot, replays each day's required close
flow per underlying with its pressure on the close and the feedback loop's share of the
move, and tests whether heavy flow days reverse the next day (Bai, Bond & Hatch 2015).
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    FormatOption,
    OutputFormat,
    check_creations,
    creations_note,
    describe_move,
    format_cell,
    note,
    note_lines,
    note_read,
    output_format,
    parse_move,
    single,
    stderr_progress,
    writable_file,
)

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.data.history import HistoryRun

#: First day of the replay when --from is not given.
DEFAULT_FROM = dt.date(2020, 1, 1)

#: First day of the statistic when --from is not given (an explicit --from sets it).
DEFAULT_STATS_FROM = dt.date(2010, 1, 1)

#: Fewest bootstrap draws --boot accepts (the 95 % interval needs its 2.5 % tails).
MIN_BOOT = 50

EPILOG = """
Examples:

  gaemi history --from 2020-01-01 --events              # named stress days (store)

  gaemi history --from 2010-01-01 --events --threshold 5% --data-dir ../shared/data

  gaemi history --from 2024-01-01 --to 2024-12-31 --format csv > flows-2024.csv

  gaemi history --from 2010-01-01 --stats --html history.html --data-dir ../shared/data
"""


def _date(text: str | None, name: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` option (:func:`gaemi.app.state.parse_day`, the rule and words of
    every command's dates); None when left out (not today, as ``parse_day`` reads it)."""
    if text is None:
        return None
    from gaemi.app.state import parse_day

    return parse_day(text, name)


def load_run(
    *,
    start: dt.date,
    end: dt.date | None,
    db: Path | None,
    data_dir: Path | None,
    threshold: float | None,
    aum_basis: str,
    scenario: Path | None,
    n_boot: int,
    seed: int,
    stats_since: dt.date = DEFAULT_STATS_FROM,
    creations: str | None = None,
) -> HistoryRun:
    """Load the data (store or folder) and run the history, with progress bars.

    ``creations`` (``--creations``): none (default), measured or a β — C = β·A_{t−1}·r
    added to each fund's close trade (:func:`gaemi.app.flows.creations_beta_by_sign`);
    the choice is the run's first note when given."""
    from dataclasses import replace

    from gaemi.app.flows import creations_beta_by_sign
    from gaemi.data.history import load_folder, load_store, run_history, universe_for
    from gaemi.data.store import Store, resolve_db_path
    from gaemi.data.stress import load_default_stress, load_stress_scenario

    scen = load_stress_scenario(scenario) if scenario is not None else load_default_stress()
    with stderr_progress(terminal_only=True) as bar:
        if data_dir is not None:
            from gaemi.data.universe import load_default_universe

            universe = load_default_universe()
            task = bar.add_task("importing the data folder", total=None)
            data = load_folder(
                data_dir,
                universe.ticker.tolist(),
                progress=lambda i, n: bar.update(task, completed=i, total=n),
            )
        else:
            path = resolve_db_path(db)
            if not path.is_file():
                raise GaemiInputError(
                    f"store {str(path)!r} does not exist: import history with `gaemi data "
                    "import` or pass --data-dir FOLDER (laid out like ../shared/data)"
                )
            with Store(path, read_only=True) as store:
                universe = universe_for(store)
                data = load_store(store, universe.ticker.tolist())
        betas, choice = creations_beta_by_sign(universe, creations)
        task2 = bar.add_task("replaying", total=None)
        run = run_history(
            data,
            universe,
            start=start,
            end=end,
            scenario=scen,
            threshold_frac=threshold,
            aum_basis=aum_basis,
            n_boot=n_boot,
            seed=seed,
            stats_since=stats_since,
            progress=lambda what, i, n: bar.update(task2, completed=i, total=n, description=what),
            creations_beta=betas,
        )
    if creations is not None:
        run = replace(run, notes=(creations_note(choice), *run.notes))
    return run


def history(
    start_given: Annotated[
        list[str] | None,
        typer.Option(
            "--from",
            metavar="YYYY-MM-DD",
            help="First day of the replay (2020-01-01) and, when given, of the --stats statistic.",
        ),
    ] = None,
    end_given: Annotated[
        list[str] | None,
        typer.Option(
            "--to",
            metavar="YYYY-MM-DD",
            help="Last day (default: the latest in the data).",
        ),
    ] = None,
    events: Annotated[
        bool, typer.Option("--events", help="Print the event-study table instead of days.")
    ] = False,
    stats: Annotated[
        bool,
        typer.Option(
            "--stats",
            help="Print the next-day reversal statistic, from --from when given, else "
            "since 2010-01-01.",
        ),
    ] = False,
    threshold_given: Annotated[
        list[str] | None,
        typer.Option(
            "--threshold",
            metavar="MOVE",
            help="Also study every day with |NDX| or |SOX| move >= this (5%).",
        ),
    ] = None,
    db_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--db",
            metavar="STORE",
            help="Store file (default: $GAEMI_DB or the user data directory).",
        ),
    ] = None,
    data_dir_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--data-dir",
            metavar="FOLDER",
            help="A folder laid out like ../shared/data (instead of --db).",
        ),
    ] = None,
    html_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Also write a self-contained HTML page.",
        ),
    ] = None,
    aum_basis_given: Annotated[
        list[str] | None,
        typer.Option(
            "--aum-basis",
            metavar="underlying|nav",
            help="AUM backwards by the underlying's level (underlying, the default) or the "
            "fund's own price, constant shares (nav).",
        ),
    ] = None,
    scenario_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            metavar="FILE",
            help="Stress scenario YAML (liquidity, loop).",
        ),
    ] = None,
    boot_given: Annotated[
        list[int] | None,
        typer.Option(
            "--boot",
            metavar="N",
            help="Bootstrap draws for the CI (999; at least 50).",
        ),
    ] = None,
    seed_given: Annotated[
        list[int] | None,
        typer.Option(
            "--seed",
            metavar="SEED",
            help="Bootstrap seed (20151).",
        ),
    ] = None,
    status: Annotated[
        bool,
        typer.Option("--status/--no-status", help="Add the monitor's status to each event day."),
    ] = True,
    daily_status: Annotated[
        bool,
        typer.Option(
            "--daily-status",
            help="Add the monitor's status to every day (about 50 ms a day: slow over years).",
        ),
    ] = False,
    fmt_given: FormatOption = None,
    creations_given: Annotated[
        list[str] | None,
        typer.Option(
            "--creations",
            metavar="MODE",
            help="Creations that respond to the day's move, C = β·A·r: measured (β per fund "
            "class and direction from the issuer data), none (default) or a β for every fund.",
        ),
    ] = None,
) -> None:
    """Replay leveraged-ETF close flows over real history; event studies of stress days.

    For each day from --from: every fund's required close trade L(L-1)·A·r from its AUM at
    the previous close (reconstructed backwards from the universe's dated snapshot and
    marked aum_estimated), the total per underlying, its ratio to the close's capacity, and
    the feedback loop's share of the day's move. --events: the named stress days (and days
    over --threshold) with the real moves of NDX, SOX, VIX, USD/KRW, KOSPI, Samsung, SK
    Hynix and BTC over the next sessions beside the model. --stats: does the next day
    reverse heavy-flow days? (OLS with Newey-West and block-bootstrap CIs.)
    """
    from gaemi.data.history import events_summary
    from gaemi.present.cli.common import emit

    # declared as lists so that a repeat is refused, not silently the last one (single())
    start: str | None = single(start_given, "--from")
    end: str | None = single(end_given, "--to")
    threshold: str | None = single(threshold_given, "--threshold")
    db: Path | None = single(db_given, "--db")
    data_dir: Path | None = single(data_dir_given, "--data-dir")
    html: Path | None = single(html_given, "--html")
    if html is not None:  # before any work (issue 21: a folder was a traceback at the end)
        writable_file(html, "--html")
    aum_basis: str = single(aum_basis_given, "--aum-basis", "underlying")
    scenario: Path | None = single(scenario_given, "--scenario")
    boot: int = single(boot_given, "--boot", 999)
    seed: int = single(seed_given, "--seed", 20151)
    fmt = output_format(fmt_given)
    creations: str | None = check_creations(single(creations_given, "--creations"))
    d0 = _date(start, "from") or DEFAULT_FROM
    d1 = _date(end, "to")
    # the statistic starts at an explicit --from; without it, at its documented 2010 start
    stats_since = d0 if start is not None else DEFAULT_STATS_FROM
    if d1 is not None and d1 < d0:
        raise GaemiInputError(f"to = {d1} is before from = {d0}")
    thr = None
    if threshold is not None:
        thr = abs(parse_move(threshold, "threshold"))
        note_read(describe_move(threshold, thr) + " (threshold on |move|)")
        if not (0 < thr < 1):
            raise GaemiInputError(f"threshold = {threshold!r} must be between 0% and 100%")
    if boot < MIN_BOOT:
        raise GaemiInputError(f"--boot = {boot} must be >= {MIN_BOOT} (bootstrap draws)")
    from gaemi.app.decay import check_seed

    check_seed(seed, "--seed")
    if db is not None and data_dir is not None:
        raise GaemiInputError("give --db or --data-dir, not both")
    run = load_run(
        start=d0,
        end=d1,
        db=db,
        data_dir=data_dir,
        threshold=thr,
        aum_basis=aum_basis,
        scenario=scenario,
        n_boot=boot,
        seed=seed,
        stats_since=stats_since,
        creations=creations,
    )
    ev = run.events
    if status and not ev.empty:
        ev = add_event_status(run, ev)
        run = _with_events(run, ev)
    note_lines(run.notes)
    if run.excluded:
        note("excluded (no history): " + "; ".join(run.excluded))
    if "aum" in run.sources:
        note(run.sources["aum"])
    note(
        "AUM not reported by the issuer is an estimate (aum_estimated = true); liquidity is "
        "the stress scenario's, fixed over time (pressure only where it has a figure)"
    )
    if html is not None:
        html.write_text(render_history_html(run), encoding="utf-8")
        note(f"wrote {html} ({html.stat().st_size / 1e6:.1f} MB, self-contained)")
    if stats:
        out = run.stats
        title = "Next-day move on the day's flow / closing capacity (Newey-West, block bootstrap)"
    elif events:
        if fmt == OutputFormat.table and not ev.empty:
            real, model = events_terminal(events_summary(ev).assign(**_status_col(ev)))
            emit(real, fmt, title="Stress days: real moves (d0 = the day, next = next session)")
            emit(
                model,
                fmt,
                title="Stress days: the model (flow, leveraged-fund pressure, loop share)",
            )
            _print_stat_line(run)
            return
        out = ev
        title = "Event study"
    else:
        out = run.daily_frame()
        if daily_status:
            days = sorted({dt.date.fromisoformat(str(d)[:10]) for d in run.replay.dates})
            with stderr_progress(terminal_only=True) as bar:
                task = bar.add_task("monitor status", total=len(days))
                st = monitor_status(
                    run, days, progress=lambda i, n: bar.update(task, completed=i, total=n)
                )
            by_day = dict(zip([str(d) for d in days], st, strict=True))
            out = out.assign(status=[by_day[str(d)[:10]] for d in out["date"]])
        if fmt == OutputFormat.table:
            out = _daily_summary(out)
            title = (
                "Largest pressure days per underlying (pressure = |leveraged funds' flow| / "
                "closing capacity; the full table: --format csv)"
            )
        else:
            title = ""
    if out.empty:
        note("no rows: nothing in the chosen window")
    if "date" in out.columns:
        out = out.assign(date=[str(d)[:10] for d in out["date"]])
    emit(out, fmt, title=title)
    if fmt == OutputFormat.table and not stats:
        _print_stat_line(run)


def _status_col(ev: pd.DataFrame) -> dict[str, Any]:
    return {"status": ev["status"].to_numpy()} if "status" in ev.columns else {}


#: Short terminal labels of the event table: column -> (label, kind).
_REAL = {
    "ndx_d0_move_frac": "NDX d0",
    "ndx_next1_move_frac": "NDX next",
    "sox_d0_move_frac": "SOX d0",
    "sox_next1_move_frac": "SOX next",
    "vix_d0_move_frac": "VIX d0",
    "usdkrw_next1_move_frac": "KRW next",
    "kospi_next1_move_frac": "KOSPI next",
    "samsung_next1_move_frac": "Samsung next",
    "skhynix_next1_move_frac": "Hynix next",
    "btc_next1_move_frac": "BTC next",
}
_MODEL = {
    "ndx_flow_usd": "NDX flow",
    "sox_flow_usd": "SOX flow",
    "ndx_pressure_ratio": "NDX LETF pressure",
    "sox_pressure_ratio": "SOX LETF pressure",
    "ndx_model_extra_move_frac": "NDX loop",
    "sox_model_extra_move_frac": "SOX loop",
    "ndx_reversed": "NDX reversed",
    "sox_reversed": "SOX reversed",
    "status": "status",
}


def events_terminal(ev: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The event table as two narrow frames of cells (terminal only), each cell by
    :func:`gaemi.units.format_cell` (the one cell rule of every table and the report):
    ``-5.12%``, ``-$2.30B``, ``0.67×``, yes/no, ``—`` for a missing value."""
    import pandas as pd

    def frame(cols: dict[str, str]) -> pd.DataFrame:
        out = {"date": [str(d)[:10] for d in ev["date"]]}
        for c, label in cols.items():
            if c in ev.columns:
                out[label] = [format_cell(c, v) for v in ev[c]]
        return pd.DataFrame(out)

    return frame(_REAL), frame(_MODEL)


def _with_events(run: HistoryRun, ev: pd.DataFrame) -> HistoryRun:
    from dataclasses import replace

    return replace(run, events=ev)


def monitor_status(run: HistoryRun, days: list[dt.date], progress: Any = None) -> list[str]:
    """The monitor's composite status on each day, from the data known at that close
    (:func:`gaemi.monitor.replay.replay_status`); ``n/a`` for all without the NDX, SOX,
    VIX and USD/KRW series."""
    from gaemi.data.market import derive_history, load_facts_market
    from gaemi.monitor.indicators import load_default_rules
    from gaemi.monitor.replay import replay_status

    keys: tuple[str, ...] = ("NDX", "SOX", "VIX", "USDKRW")
    closes: dict[str, Any] = {k: run.closes[k] for k in keys if k in run.closes}
    if len(closes) < len(keys):
        note(f"monitor status n/a: the data lack {sorted(set(keys) - set(closes))}")
        return ["n/a"] * len(days)
    hist = derive_history(closes, {k: run.sources.get(k, k) for k in closes})
    universe = run.universe_all if run.universe_all is not None else run.universe
    st = replay_status(
        hist, load_facts_market(), universe, load_default_rules(), days, progress=progress
    )
    return [str(x) for x in st["status"]]


def add_event_status(run: HistoryRun, ev: pd.DataFrame) -> pd.DataFrame:
    """The event table with the monitor's status of each event day."""
    return ev.assign(status=monitor_status(run, list(ev["date"])))


def _daily_summary(df: pd.DataFrame) -> pd.DataFrame:
    import numpy as np

    # every replayed underlying: those without a closing-liquidity figure (pressure NaN)
    # are ranked by |flow| and listed after the others
    df = df[(df["n_funds"] > 0) & np.isfinite(df["flow_usd"].to_numpy(float))]
    rank = df["pressure_ratio"].fillna(-1.0 / (1.0 + df["flow_usd"].abs()))
    top = (
        df.assign(_rank=rank)
        .sort_values("_rank", ascending=False)
        .groupby("underlying_id", sort=False)
        .head(5)
        .sort_values(["underlying_id", "_rank"], ascending=[True, False])
    )
    cols = [
        "date",
        "underlying_id",
        "move_frac",
        "aum_usd",
        "flow_usd",
        "pressure_ratio",
        "model_extra_move_frac",
        "next_move_frac",
        "aum_estimated",
    ]
    if "aum_source" in top.columns:
        cols.append("aum_source")
    if "status" in top.columns:
        cols.append("status")
    return top[cols].reset_index(drop=True)


def _print_stat_line(run: HistoryRun) -> None:
    s = run.stats
    if s.empty or "coef" not in s.columns:
        return
    for rec in s.to_dict("records"):
        if rec.get("coef") is None:
            continue
        sig = "significant" if rec["significant_5pct"] else "not significant"
        note(
            f"{rec['sample']}, {rec['spec']} ({rec['first_date']}..{rec['last_date']}, "
            f"n={rec['n_obs']}): coef {rec['coef']:+.4f} per unit flow/capacity, 95% CI "
            f"[{rec['ci_nw_low']:+.4f}, {rec['ci_nw_high']:+.4f}] (Newey-West), "
            f"[{rec['ci_boot_low']:+.4f}, {rec['ci_boot_high']:+.4f}] (bootstrap), "
            f"p={rec['p_value']:.3f}: {sig}"
        )


# ----------------------------------------------------------------------------- HTML
def _figures(run: HistoryRun) -> list[tuple[str, Any]]:
    import numpy as np
    import plotly.graph_objects as go

    figs: list[tuple[str, Any]] = []
    rep = run.replay
    dates = rep.dates.astype("datetime64[D]").astype(str)
    fig = go.Figure()
    for j, u in enumerate(rep.underlying.tolist()):
        if u not in ("NDX", "SOX", "SPX"):
            continue
        fig.add_trace(
            go.Scattergl(x=dates, y=rep.flow_usd[j] / 1e9, mode="lines", name=f"{u} close flow")
        )
    fig.update_layout(
        title="Required close flow per day (USD bn, + = buying)",
        yaxis_title="USD bn",
        template="plotly_white",
        height=380,
        margin={"t": 50, "b": 40},
    )
    figs.append(("daily", fig))
    fig = go.Figure()
    for j, u in enumerate(rep.underlying.tolist()):
        if u not in ("NDX", "SOX"):
            continue
        fig.add_trace(
            go.Scattergl(x=dates, y=rep.pressure_ratio[j], mode="lines", name=f"{u} LETF pressure")
        )
    fig.add_hline(y=1.0, line_dash="dash", annotation_text="LETF flow = closing capacity")
    fig.update_layout(
        title="Leveraged-fund pressure |LETF flow| / closing capacity",
        template="plotly_white",
        height=340,
        margin={"t": 50, "b": 40},
    )
    figs.append(("daily", fig))
    aum = run.aum
    fig = go.Figure()
    adates = aum.dates.astype(str)
    order = np.argsort(-aum.aum_usd[:, -1])[:6]
    for i in order:
        est = np.where(aum.estimated[i], aum.aum_usd[i] / 1e9, np.nan)
        known = np.where(~aum.estimated[i] & aum.listed[i], aum.aum_usd[i] / 1e9, np.nan)
        fig.add_trace(
            go.Scattergl(x=adates, y=est, mode="lines", name=f"{aum.ticker[i]} (estimated)")
        )
        if np.isfinite(known).any():
            fig.add_trace(
                go.Scattergl(
                    x=adates, y=known, mode="markers", name=f"{aum.ticker[i]} (snapshot/observed)"
                )
            )
    fig.update_layout(
        title="Reconstructed AUM (USD bn; dots are dated figures, lines estimates)",
        template="plotly_white",
        height=380,
        margin={"t": 50, "b": 40},
    )
    figs.append(("aum", fig))
    ev = run.events
    if not ev.empty and "ndx_d0_move_frac" in ev.columns:
        x = [str(d) for d in ev["date"]]
        fig = go.Figure()
        for col, name in (
            ("ndx_d0_move_frac", "NDX move (real)"),
            ("ndx_next1_move_frac", "NDX next session (real)"),
            ("ndx_model_extra_move_frac", "NDX loop share (model)"),
            ("sox_d0_move_frac", "SOX move (real)"),
            ("sox_next1_move_frac", "SOX next session (real)"),
            ("sox_model_extra_move_frac", "SOX loop share (model)"),
        ):
            if col in ev.columns:
                fig.add_trace(go.Bar(x=x, y=ev[col] * 100, name=name))
        fig.update_layout(
            title="Stress days: real moves and the model's loop share (%)",
            barmode="group",
            xaxis={"type": "category"},
            yaxis_title="%",
            template="plotly_white",
            height=420,
            margin={"t": 50, "b": 40},
        )
        figs.append(("events", fig))
    k = rep.dates >= np.datetime64("2010-01-01")
    fig = go.Figure()
    for j, u in enumerate(rep.underlying.tolist()):
        if u not in ("NDX", "SOX"):
            continue
        fig.add_trace(
            go.Scattergl(
                x=rep.flow_to_capacity[j, k],
                y=rep.next_move_frac[j, k] * 100,
                mode="markers",
                marker={"size": 4, "opacity": 0.5},
                name=f"{u} days",
            )
        )
    fig.update_layout(
        title="Next-session move (%) against the day's signed flow / closing capacity",
        xaxis_title="flow / capacity",
        yaxis_title="next-session move (%)",
        template="plotly_white",
        height=400,
        margin={"t": 50, "b": 40},
    )
    figs.append(("stats", fig))
    return figs


def render_history_html(run: HistoryRun) -> str:
    """One self-contained page: charts, the event table and the statistic."""
    from plotly.offline import get_plotlyjs

    from gaemi.data.history import events_summary
    from gaemi.present.report.render import CSS, _html_table

    rep = run.replay
    first, last = str(rep.dates[0]), str(rep.dates[-1])
    figs = _figures(run)

    def plots(key: str) -> str:
        return "".join(
            f.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
            for k, f in figs
            if k == key
        )

    esc = html_lib.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>gaemi history {first} – {last}</title>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>",
        "<header style='background:#37474f' role='banner'>",
        f"<h1 id='title'>gaemi history {first} – {last}</h1>",
        (
            "<p>Leveraged-ETF close flows replayed over real history; AUM before each fund's "
            "dated snapshot is an estimate.</p></header><main>"
        ),
    ]
    parts.extend(f"<div class='note' role='note'>{esc(n)}</div>" for n in run.notes)
    if run.excluded:
        parts.append(
            "<div class='note' role='note'>Excluded (no price history): "
            + esc("; ".join(run.excluded))
            + "</div>"
        )
    parts.append(
        "<section id='sec-daily'><h2>Daily close flows and pressure</h2>"
        + plots("daily")
        + "</section>"
    )
    parts.append(
        "<section id='sec-events'><h2>Stress days</h2>"
        "<p>Real moves: d0 = the day's close-to-close move, next1 = the next session (the "
        "first KRX session after a US day is the one that can react to it). Model: required "
        "close flow, its pressure on the close (|leveraged funds' flow| / closing capacity), "
        "the feedback loop's share of the move.</p>" + plots("events")
    )
    if not run.events.empty:
        parts.append(_html_table(events_summary(run.events), None, "event study"))
    parts.append("</section>")
    parts.append(
        "<section id='sec-stats'><h2>Next-day reversal (Bai, Bond &amp; Hatch 2015)</h2>"
        + plots("stats")
    )
    if not run.stats.empty:
        parts.append(_html_table(run.stats, None, "next-day move on flow / capacity"))
    parts.append("</section>")
    parts.append("<section id='sec-aum'><h2>Reconstructed AUM</h2>" + plots("aum") + "</section>")
    srcs = "; ".join(f"{k}: {v}" for k, v in run.sources.items())
    parts.append(f"<section id='about'><h2>Data</h2><p class='src'>{esc(srcs)}</p></section>")
    parts.append("</main></body></html>")
    return "".join(parts)


def register(app: typer.Typer) -> None:
    """Add ``history`` to the app."""
    app.command("history", epilog=EPILOG)(history)
