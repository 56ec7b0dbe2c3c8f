"""Render a :class:`~gaemi.app.report.Report` to the terminal (Rich) or to one
self-contained HTML file (Plotly charts inline, no CDN, works offline from file://)."""

from __future__ import annotations

import datetime as dt
import html
import math
import numbers
from typing import TYPE_CHECKING, Any

import pandas as pd

from gaemi.app.report import Report
from gaemi.monitor.indicators import Indicator
from gaemi.present.console import format_krw, format_number
from gaemi.present.report.charts import money_scale, wrap_title
from gaemi.units import column_header, format_cell, format_percent

if TYPE_CHECKING:
    from rich.text import Text

    from gaemi.present.report.engines import EngineCharts

STATUS_COLOURS = {
    "LOW": "#2e7d32",
    "GUARDED": "#1565c0",
    "ELEVATED": "#f9a825",
    "HIGH": "#ef6c00",
    "CRITICAL": "#c62828",
    "n/a": "#757575",
}
#: Long text columns left out of the terminal tables (shown in HTML and JSON).
TERMINAL_HIDDEN = ("parameters", "source", "amount", "amount_unit", "impact", "impact_unit")
RICH_COLOURS = {
    "LOW": "green",
    "GUARDED": "blue",
    "ELEVATED": "yellow",
    "HIGH": "dark_orange",
    "CRITICAL": "bold red",
    "n/a": "grey50",
}


# ----------------------------------------------------------------------------- units
def money(value: float | None, *, krw_per_usd: float | None = None) -> str:
    """USD as ``$1.23B``, or KRW as ``₩1.86조`` when ``krw_per_usd`` is given (the one
    house style of :func:`gaemi.present.console.format_krw`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if krw_per_usd is None:
        from gaemi.app.result import format_usd

        return format_usd(float(value))
    return format_krw(float(value) * krw_per_usd)


def cell(col: str, v: Any, krw: float | None) -> str:
    """One table value as a person reads it: :func:`gaemi.units.format_cell`, the rule of
    the terminal tables too (money in ``$``/``₩`` with B/M or 조/억, moves as signed
    percents with two decimals, shares as percents with one, no scientific notation); with
    ``krw`` (a USD/KRW rate) a ``*_usd`` amount is written in won."""
    if krw is not None and col.endswith("_usd") and isinstance(v, numbers.Real):
        return money(float(v), krw_per_usd=krw)
    return format_cell(col, v)


def column_label(col: str, krw: float | None = None) -> str:
    """The human header of a table column, with its unit: ``ndx_flow_usd`` →
    ``NDX flow at close ($)``; with ``krw`` (a USD/KRW rate) money is in ₩.

    The one rule of every face, :func:`gaemi.units.column_header` (the terminal tables
    of the command line say the same header for the same key)."""
    return column_header(col, "KRW" if krw else "USD")


def krw_columns(df: pd.DataFrame, fx: float | None) -> pd.DataFrame:
    """The frame as shown when amounts are converted to KRW: ``*_usd`` columns are
    renamed ``*_krw`` (a ``*_usd`` column with a ``*_krw`` twin is dropped). Unchanged
    when ``fx`` is None."""
    if fx is None:
        return df
    usd = [str(c) for c in df.columns if str(c).endswith("_usd")]
    twins = [c for c in usd if c[:-4] + "_krw" in df.columns]
    return df.drop(columns=twins).rename(
        columns={c: c[:-4] + "_krw" for c in usd if c not in twins}
    )


def _convert(df: pd.DataFrame, fx: float | None) -> pd.DataFrame:
    """:func:`krw_columns` with the renamed columns' values converted to KRW at ``fx``."""
    if fx is None:
        return df
    out = krw_columns(df, fx)
    for c in map(str, df.columns):
        if c.endswith("_usd") and c[:-4] + "_krw" not in df.columns:
            out[c[:-4] + "_krw"] = df[c].map(
                lambda v: v * fx if isinstance(v, float | int) and not isinstance(v, bool) else v
            )
    return out


def krw_line(report: Report) -> str:
    """The one sentence that says what ``--krw`` converts, at which rate (or that it cannot)."""
    if report.usdkrw is None:
        return f"--krw: no USD/KRW rate is known on {report.report_date}; amounts stay in USD."
    return (
        f"Amounts in KRW at ₩{report.usdkrw:,.1f}/USD (as of {report.usdkrw_as_of}): "
        "table columns marked (₩) are in won (1조 = 10¹², 1억 = 10⁸); the sentences and "
        "indicator details stay in USD."
    )


# ----------------------------------------------------------------------------- terminal
def render_terminal(report: Report, *, krw: bool = False) -> None:
    """Print the summary with Rich, fitted to the terminal (``COLUMNS``): a table too
    wide for it prints transposed or one record per block
    (:func:`gaemi.present.console.print_table`); a pipe or file gets 120 columns."""
    from rich.markup import escape
    from rich.panel import Panel
    from rich.text import Text

    from gaemi.present.console import make_console, print_table

    fx = report.usdkrw if krw else None
    con = make_console(pipe_width=120)
    colour = RICH_COLOURS[report.status.status]
    con.print(
        Panel(
            f"[{colour}]{escape(report.headline)}[/]\n{escape(report.status.reason)}",
            title=f"gaemi — {report.report_date}",
            expand=True,
        )
    )
    if krw:
        con.print(f"[bold]{krw_line(report)}[/]")
    for n in report.notes:
        con.print(f"[yellow]note:[/] {n}")
    rows: list[list[str | Text]] = []
    for i in report.indicators:
        asof = (
            "—"
            if i.as_of is None
            else i.as_of.isoformat() + (" (stale)" if _stale(report, i) else "")
        )
        rows.append([Text(i.state, style=RICH_COLOURS[i.state]), i.name, i.detail, asof, i.source])
    # every field shown: one indicator per block when the columns do not fit
    print_table(
        con,
        ["state", "indicator", "detail", "as of", "source"],
        rows,
        title="Indicators",
        block_rows=math.inf,
    )
    for s in report.sections:
        con.print(f"\n[bold]{s.title}[/]: {s.summary}")
        for name, frame in s.tables.items():
            long_text = [c for c in TERMINAL_HIDDEN if c in frame.columns]
            headers, cells, numeric = _terminal_cells(frame.drop(columns=long_text), fx)
            print_table(
                con,
                headers,
                cells,
                numeric=numeric,
                title=f"{s.title} — {name}",
                block_rows=math.inf,
            )
            if long_text:
                shown = ", ".join(column_label(c, fx) for c in long_text)
                con.print(f"  [dim]{shown} of each row: in the HTML and JSON[/]")
        for src in s.sources:
            con.print(f"  [dim]source: {src}[/]")


def _stale(report: Report, ind: Indicator) -> bool:
    age = ind.age_days(report.report_date)
    return age is not None and age > report.stale_after_days


def _terminal_cells(
    df: pd.DataFrame, fx: float | None
) -> tuple[list[str], list[list[str | Text]], list[bool]]:
    """(headers, formatted cells, numeric columns) of a section table for the terminal."""
    df = _convert(df, fx)
    names = [str(c) for c in df.columns]
    cells: list[list[str | Text]] = [
        [cell(h, v, fx) for h, v in zip(names, row, strict=True)]
        for row in df.itertuples(index=False)
    ]
    # the HTML's human headers with their units ("Flow at close ($)", "Move (%)")
    headers = [column_label(h, fx) for h in names]
    return headers, cells, [df[c].dtype.kind in "fiu" for c in df.columns]


# ----------------------------------------------------------------------------- HTML
#: Legends go under the plot: on a phone a legend on the right leaves no room to the plot.
LEGEND_BELOW = {"orientation": "h", "y": -0.22, "yanchor": "top"}


def _plot_layout(fig: Any, title: str, *, height: int, **kw: Any) -> Any:
    """The frame of every plot of the report: the title wrapped for a phone
    (:func:`~gaemi.present.report.charts.wrap_title`), the white template, ``height``
    pixels, the legend under the plot; ``kw`` the plot's own (axis titles, bar mode)."""
    fig.update_layout(
        title=wrap_title(title),
        template="plotly_white",
        height=height,
        margin={"t": 70, "b": 40, "l": 60, "r": 20},
        legend=LEGEND_BELOW,
        autosize=True,
        **kw,
    )
    return fig


#: Columns of a section table left out of the HTML (shown another way there; every one
#: stays in the JSON): the cascade's raw amount/impact (the ``*_text`` columns show them
#: with their unit) and ``follows`` (the verdict says it).
HTML_HIDDEN: dict[str, tuple[str, ...]] = {
    "events": ("amount", "amount_unit", "impact", "impact_unit"),
    "steps": ("follows",),
}
#: Long-text columns: smaller type, wrapped anywhere (a URL or a parameter string).
_LONG_TEXT = frozenset(
    {"parameters", "source", "aum_source", "source_korean", "vol_source", "reason", "claim",
     "measured_text", "could_reconcile"}
)  # fmt: skip


#: Text columns that hold one formatted figure (right-aligned, never wrapped).
_NUMBER_TEXT = frozenset({"amount_text", "impact_text"})
#: Columns whose long values fold into a <details> (the cascade's parameter lists).
_FOLDED = frozenset({"parameters"})
FOLD_OVER = 90
#: A table longer than this many rows is folded (a <details> the reader opens).
FOLD_ROWS = 25


def _params_text(text: str) -> str:
    """A cascade parameter list (``korean_aum_usd=3.4e+09; beta=0.8``) with its amounts
    as a person reads them (``korean_aum_usd = $3.40B``); other values unchanged."""

    def one(part: str) -> str:
        key, sep, val = part.partition("=")
        try:
            x = float(val)
        except ValueError:
            return part
        k = key.strip()
        if not sep or not math.isfinite(x):
            return part
        if k.endswith(("_usd", "_krw", "_frac")):
            return f"{k} = {cell(k, x, None)}"
        if abs(x) >= 1e4:
            return f"{k} = {format_number(x)}"
        return part

    return "; ".join(one(p) for p in text.split("; "))


def _html_table(
    df: pd.DataFrame, fx: float | None, caption: str = "", *, hide: tuple[str, ...] = ()
) -> str:
    """A section table as HTML: human headers with units (:func:`column_label`), values
    formatted by :func:`cell`, money and numbers on one line (``nowrap``). On a narrow
    screen a table of more than three columns shows one record per card (CSS)."""
    df = _convert(df.drop(columns=[c for c in hide if c in df.columns]), fx)
    cols = [str(c) for c in df.columns]
    labels = [column_label(c, fx) for c in cols]
    numeric = [df[c].dtype.kind in "fiu" for c in df.columns]
    # on a phone: one card per record when the table has text besides its first column;
    # a table of numbers stays a grid that scrolls inside its box (first column sticky)
    wordy = len(cols) > 3 or any(c in _LONG_TEXT for c in cols)
    stack = wordy and not all(numeric[1:])
    head = "".join(
        f"<th scope='col' class='{'num' if n else ''}'>{html.escape(lab)}</th>"
        for lab, n in zip(labels, numeric, strict=True)
    )
    body = []
    for row in df.itertuples(index=False):
        tds = []
        for c, lab, n, v in zip(cols, labels, numeric, row, strict=True):
            cls = "num" if n or isinstance(v, numbers.Real) or c in _NUMBER_TEXT else ""
            if c in _LONG_TEXT:
                cls = "long"
            text = html.escape(_params_text(str(v)) if c in _FOLDED else cell(c, v, fx))
            if c in _FOLDED and len(text) > FOLD_OVER:
                text = f"<details><summary>{text[: FOLD_OVER - 20]}…</summary>{text}</details>"
            tds.append(f"<td class='{cls}' data-label='{html.escape(lab, quote=True)}'>{text}</td>")
        body.append(f"<tr>{''.join(tds)}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    kind = "stack" if stack else "grid"
    table = (
        f"<div class='tbl'><table class='{kind}'>{cap}<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )
    if len(df) > FOLD_ROWS:  # a long list opens on demand (77 funds are 77 cards on a phone)
        what = html.escape(caption or "table")
        return f"<details class='rows'><summary>{what}: {len(df)} rows</summary>{table}</details>"
    return table


#: Human captions of the section tables (the JSON keeps the names).
TABLE_CAPTIONS: dict[str, str] = {
    "ladder": "Flow at the close by move of the underlying",
    "sensitivity": "Flow per +1% move, by underlying",
    "flow": "Projected close flow",
    "stress": "Closing liquidity and the feedback loop, by underlying",
    "events": "What fires, step by step (central run)",
    "steps": "Does each step of the research note's chain follow?",
    "erosion": "Sideways decay of the big funds",
    "cascade": "Liquidations by BTC shock",
    "known": "Funds known that day",
    "all_funds": "Every fund of the list",
    "day": "The day, replayed",
    "recent": "Recent sessions, replayed",
    "latest": "Latest Korean share per fund",
    "claims": "Published claims against the depository's figures",
}


def _text_amounts_in_krw(df: pd.DataFrame, fx: float | None) -> pd.DataFrame:
    """With ``--krw``: a formatted amount column (the cascade's ``amount_text``) whose unit
    column says ``usd`` is rewritten in ₩ from its raw value, like every other amount."""
    if not fx or not {"amount", "amount_unit", "amount_text"} <= set(df.columns):
        return df
    usd = df["amount_unit"] == "usd"
    if not usd.any():
        return df
    out = df.copy()
    out.loc[usd, "amount_text"] = [money(float(v), krw_per_usd=fx) for v in df.loc[usd, "amount"]]
    return out


def _threshold(t: float, unit: str) -> str:
    """One indicator threshold in the indicator's unit."""
    if unit.startswith("frac"):  # a level in the indicator's text: whole percents stay whole
        whole = abs(t * 100 - round(t * 100)) < 1e-9
        return format_percent(t, decimals=0 if whole else 1)
    if unit == "usd":
        return money(t)
    if unit == "krw_per_usd":
        return f"₩{t:,.0f}"
    if unit == "rate_change":
        return f"{t * 1e4:,.0f} bp"
    if unit in ("ratio", "multiple_per_60d"):
        return f"{t:g}×"
    return format_number(t)


def _ladder_figure(report: Report, fx: float | None) -> Any:
    import plotly.graph_objects as go

    ladder = report.section("flows").tables["ladder"]
    fig = go.Figure()
    scale, unit = money_scale(fx)
    x = ladder["move_frac"] * 100
    for col in ladder.columns[1:]:
        uid = col.split("_")[0].upper()
        korean = "_korean_" in col
        fig.add_trace(
            go.Scatter(
                x=x,
                y=ladder[col] * scale,
                mode="lines" if korean else "lines+markers",
                line={"dash": "dot"} if korean else {},
                name=f"{uid} Korean-held" if korean else f"{uid} all holders",
            )
        )
    return _plot_layout(
        fig,
        "Close rebalancing flow by underlying (+ = buying)",
        height=420,
        xaxis_title="underlying move (%)",
        yaxis_title=f"flow ({unit})",
    )


def _sensitivity_figure(report: Report, fx: float | None) -> Any:
    import plotly.graph_objects as go

    s = report.section("flows").tables["sensitivity"]
    scale, unit = money_scale(fx)
    fig = go.Figure(
        [
            go.Bar(x=s["underlying_group"], y=s["flow_per_pct_usd"] * scale, name="all holders"),
            go.Bar(
                x=s["underlying_group"],
                y=s["korean_flow_per_pct_usd"].fillna(0) * scale,
                name="Korean-held (known)",
            ),
        ]
    )
    return _plot_layout(
        fig,
        "Flow per +1% move, by group",
        height=380,
        barmode="overlay",
        yaxis_title=f"flow per 1% ({unit})",
    )


def _curve_figure(report: Report) -> Any:
    import plotly.graph_objects as go

    sec = report.section("stress")
    c, t = sec.data["curve"], sec.tables["stress"]
    fig = go.Figure()
    for uid, g in c.groupby("underlying_id", sort=False):
        fig.add_trace(
            go.Scatter(
                x=g["shock_frac"] * 100,
                y=g["final_move_frac"] * 100,
                mode="lines+markers",
                name=f"{uid} closing move",
            )
        )
    if "halted" in c.columns and c["halted"].astype(bool).any():
        h = c[c["halted"].astype(bool)]
        fig.add_trace(
            go.Scatter(
                x=h["shock_frac"] * 100,
                y=h["final_move_frac"] * 100,
                mode="markers",
                marker={"symbol": "x", "size": 10, "color": "#c62828"},
                name="halted (level-3 breaker): the close is the halt level",
            )
        )
    lo = float(c["shock_frac"].min()) * 100
    fig.add_trace(
        go.Scatter(
            x=[lo, 0],
            y=[lo, 0],
            mode="lines",
            name="no feedback",
            line={"dash": "dot", "color": "#999"},
        )
    )
    for r in t.to_dict("records"):
        crit = float(r["critical_shock_frac"])
        if not math.isnan(crit):
            fig.add_vline(
                x=crit * 100,
                line_dash="dash",
                annotation_text=f"{r['underlying_id']} critical shock",
            )
    return _plot_layout(
        fig,
        "Feedback curve: shock into the close → closing move",
        height=400,
        xaxis_title="shock (%)",
        yaxis_title="closing move (%)",
    )


def _korea_figure(report: Report) -> Any:
    """Korean share of each fund over time (the depository's weekly observations)."""
    import plotly.graph_objects as go

    h = report.section("korea").data["share_history"]
    fig = go.Figure()
    for t, g in h.groupby("ticker", sort=False):
        # a gap of more than 3 weeks is unknown (out of the top 50): break the line there
        d = pd.to_datetime(g["date"])
        gap = d.diff().dt.days.fillna(0).to_numpy() > 21
        if gap.any():
            breaks = g[gap].assign(korean_share_frac=float("nan"))
            breaks["date"] = (d[gap] - pd.Timedelta(days=1)).dt.date.astype(str).to_numpy()
            g = pd.concat([g, breaks]).sort_values("date", kind="stable")
        fig.add_trace(
            go.Scatter(
                x=g["date"],
                y=g["korean_share_frac"] * 100,
                mode="lines+markers",
                marker={"size": 4},
                name=str(t),
            )
        )
    return _plot_layout(
        fig,
        "Korean share of the fund (KSD custody / fund AUM, weekly)",
        height=400,
        xaxis_title="date",
        yaxis_title="Korean share (%)",
    )


def figures(
    report: Report, fx: float | None, engines: EngineCharts | None = None
) -> list[tuple[str, Any]]:
    """(section key, figure) pairs for the HTML report: every section with numbers gets
    at least one chart. ``engines`` (:func:`gaemi.present.report.engines.engine_charts`)
    adds the contagion paths with their bands and the decay curves; without it the
    contagion chart is the central run's summed impact and the decay chart joins the
    table's 3- and 6-month points."""
    from gaemi.present.report import charts

    frames = engines.frames if engines is not None else {}
    out: list[tuple[str, Any]] = []
    for s in report.sections:
        t = s.tables
        if s.key == "flows" and "ladder" in t:
            out += [(s.key, _ladder_figure(report, fx)), (s.key, _sensitivity_figure(report, fx))]
        elif s.key == "today" and len(t.get("flow", ())):
            out.append((s.key, charts.flow_bars_figure(t["flow"], krw_per_usd=fx)))
        elif s.key == "stress" and len(s.data.get("curve", ())):
            out.append((s.key, _curve_figure(report)))
        elif s.key == "cascade" and len(t.get("events", ())):
            if "cascade.paths" in frames:
                fig = charts.contagion_paths_figure(
                    frames["cascade.paths"], draws=engines.draws if engines else None
                )
            else:
                fig = charts.cascade_impact_figure(t["events"])
            out.append((s.key, fig))
        elif s.key == "decay" and len(t.get("erosion", ())):
            curves = frames.get("decay.curves")
            if curves is None:
                e = t["erosion"]
                curves = pd.concat(
                    [e.assign(months=m, loss_frac=e[f"loss_{m}m_flat_frac"]) for m in (3, 6)]
                ).rename(columns={"vol_frac": "vol_annual"})
            out.append((s.key, charts.decay_curves_figure(curves)))
        elif s.key == "crypto" and len(t.get("cascade", ())):
            out.append((s.key, charts.crypto_cascade_figure(t["cascade"], krw_per_usd=fx)))
        elif s.key == "funds" and len(t.get("known", ())):
            out.append((s.key, charts.funds_figure(t["known"], krw_per_usd=fx)))
        elif s.key == "replay":
            day = t.get("day")
            if day is not None and "flow_usd" in day and day["flow_usd"].notna().any():
                title = f"{report.report_date} replayed: close flow by underlying (+ = buying)"
                out.append((s.key, charts.flow_bars_figure(day, krw_per_usd=fx, title=title)))
            recent = {**s.data, **t}.get("recent")
            if recent is not None and len(recent):
                out.append((s.key, charts.recent_flows_figure(recent, krw_per_usd=fx)))
        elif s.key == "korea" and len(s.data.get("share_history", ())):
            out.append((s.key, _korea_figure(report)))
    return out


CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans KR',sans-serif;
margin:0;color:#1a1a1a;background:#fafafa}
header{padding:18px 28px;color:#fff}
header h1{margin:0 0 6px 0;font-size:22px;overflow-wrap:anywhere}
header p{margin:0;font-size:15px;line-height:1.4;overflow-wrap:anywhere}
main{padding:8px 28px 40px 28px;max-width:1200px}
section{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:14px 18px;
margin:16px 0;min-width:0}
h2{font-size:18px;margin:4px 0 8px 0}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
th{font-weight:600;background:#f5f5f5}th.num{text-align:right}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.long{font-size:12px;color:#444;overflow-wrap:anywhere;min-width:12em}
caption{text-align:left;font-weight:600;padding:4px 0}.tbl{overflow-x:auto;max-width:100%}
.state{font-weight:700;color:#fff;border-radius:3px;padding:1px 6px;white-space:nowrap}
.src{color:#555;font-size:12px;overflow-wrap:anywhere}
section p{overflow-wrap:anywhere}.note{background:#fff8e1;border-left:4px solid #f9a825;
padding:8px 12px;margin:12px 0;overflow-wrap:anywhere}.stale{color:#b71c1c;font-weight:600}
.chart{width:100%;min-width:0;margin:6px 0}
@media (max-width:700px){header{padding:14px 12px}header h1{font-size:18px}
main{padding:4px 8px 30px 8px}section{padding:10px 10px}
table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack caption{display:block}table.stack thead{display:none}
table.stack tr{border-bottom:2px solid #ddd;padding:4px 0}
table.stack td{display:flex;justify-content:space-between;gap:12px;border:none;
padding:2px 4px;text-align:right;min-width:0}
table.stack td::before{content:attr(data-label);font-weight:600;color:#555;text-align:left;
flex:0 1 45%;white-space:normal}
table.stack td.long{display:block;text-align:left}
table.stack td.long::before{display:block}
table.grid th:first-child,table.grid td:first-child{position:sticky;left:0;background:#fff}
table.grid th:first-child{background:#f5f5f5}}
details summary{cursor:pointer;color:#1565c0}
header p.when{font-size:13px;opacity:.9;margin-top:4px}
details.rows{margin:8px 0}details.rows>summary{font-weight:600;font-size:14px}
"""


def render_scorecard_html(res: Any) -> str:
    """:func:`gaemi.present.report.scorecard.render_scorecard_html` (``gaemi validate
    --html``), here so that the command line imports only the renderer it launches."""
    from gaemi.present.report.scorecard import render_scorecard_html as render

    return str(render(res))


def engine_charts(state: Any, report: Report, **kw: Any) -> EngineCharts:
    """:func:`gaemi.present.report.engines.engine_charts` (the engine runs of the charts),
    here so that the command line imports only the renderer it launches."""
    from gaemi.present.report.engines import engine_charts as run

    return run(state, report, **kw)


def written_line(now: dt.datetime | None = None) -> str:
    """When the report was written, in New York and Seoul time, and UTC:
    ``written 2026-12-06 12:34 ET · 2026-12-07 02:34 KST (17:34 UTC)``."""
    from gaemi.data.calendar import ET, KST

    t = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    et, kst = t.astimezone(ET), t.astimezone(KST)
    return (
        f"written {et:%Y-%m-%d %H:%M} ET · {kst:%Y-%m-%d %H:%M} KST ({t:%H:%M} UTC); "
        "dates below are market days"
    )


def render_html(
    report: Report,
    *,
    krw: bool = False,
    engines: EngineCharts | None = None,
    now: dt.datetime | None = None,
) -> str:
    """One self-contained HTML document (Plotly JS inlined once, no request leaves the
    file): the status with its age, the indicators, and every section with its chart(s)
    and tables (human headers with units; JSON keeps the machine names).

    ``engines``: the contagion paths and decay curves run for the charts
    (:func:`gaemi.present.report.engines.engine_charts`; without it those two charts are
    drawn from the section tables). ``now``: when it is written (default: the clock),
    shown in ET, KST and UTC."""
    from plotly.offline import get_plotlyjs

    fx = report.usdkrw if krw else None
    colour = STATUS_COLOURS[report.status.status]
    title_status = "no status" if report.past_data else report.status.status
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>gaemi report {report.report_date} — {html.escape(title_status)}</title>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>",
        f"<header style='background:{colour}' role='banner'>",
        (
            f"<h1 id='status'>gaemi risk status {report.report_date}: "
            f"{html.escape(report.headline)}</h1>"
        ),
        f"<p id='reason'>{html.escape(report.status.reason)}</p>",
        f"<p id='written' class='when'>{html.escape(written_line(now))}</p></header><main>",
    ]
    parts.extend(f"<div class='note' role='note'>{html.escape(n)}</div>" for n in report.notes)
    # indicators
    heads = ["State", "Indicator", "Value", "Thresholds (GUARDED → CRITICAL)", "As of",
             "Source and rationale"]  # fmt: skip
    rows = []
    for i in report.indicators:
        c = STATUS_COLOURS[i.state]
        asof = "—" if i.as_of is None else f"{i.as_of} ({i.age_days(report.report_date)} d old)"
        th = ", ".join(_threshold(t, i.unit) for t in i.thresholds)
        lab = [html.escape(h, quote=True) for h in heads]
        rows.append(
            f"<tr><td data-label='{lab[0]}'><span class='state' style='background:{c}'>"
            f"{i.state}</span></td>"
            f"<td data-label='{lab[1]}'>{html.escape(i.name)}</td>"
            f"<td data-label='{lab[2]}'>{html.escape(i.detail)}</td>"
            f"<td data-label='{lab[3]}'>{html.escape(th)}</td>"
            f"<td data-label='{lab[4]}' class='{'stale' if _stale(report, i) else ''}'>"
            f"{html.escape(asof)}</td>"
            f"<td data-label='{lab[5]}' class='long'>{html.escape(i.source)}<br>"
            f"<em>{html.escape(i.rationale)}</em></td></tr>"
        )
    parts.append(
        "<section id='indicators'><h2>Indicators and triggers</h2>"
        "<div class='tbl'><table class='stack'><thead><tr>"
        + "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in heads)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div></section>"
    )
    figs = figures(report, fx, engines)
    n = 0
    for s in report.sections:
        parts.append(
            f"<section id='sec-{s.key}' class='engine'><h2>{html.escape(s.title)}</h2>"
            f"<p>{html.escape(s.summary)}</p>"
        )
        for key, fig in figs:
            if key == s.key:
                parts.append(
                    "<div class='chart'>"
                    + fig.to_html(
                        full_html=False,
                        include_plotlyjs=False,
                        config={"displaylogo": False, "responsive": True},
                        div_id=f"chart-{s.key}-{n}",
                        default_width="100%",
                    )
                    + "</div>"
                )
                n += 1
        for name, frame in s.tables.items():
            frame = _text_amounts_in_krw(frame, fx)
            parts.append(
                _html_table(
                    frame, fx, TABLE_CAPTIONS.get(name, name), hide=HTML_HIDDEN.get(name, ())
                )
            )
        if s.sources:
            parts.append(
                "<p class='src'>Sources: " + "; ".join(html.escape(x) for x in s.sources) + "</p>"
            )
        parts.append("</section>")
    fxline = (
        f"Amounts in KRW at ₩{report.usdkrw:,.1f}/USD (as of {report.usdkrw_as_of}): "
        "₩ in 조 (10¹²) and 억 (10⁸). "
        if fx
        else (krw_line(report) + " " if krw else "Amounts in USD ($B = 10⁹, $M = 10⁶). ")
    )
    parts.append(
        f"<section id='about'><h2>Data</h2><p class='src'>{html.escape(fxline)}"
        f"Universe: {html.escape(report.universe_label)}. Market: "
        f"{html.escape(report.market_label)}. Moves are signed percents; "
        "flows are signed (+ = buying the underlying). The JSON output "
        "(--format json) has every table with its machine names and units "
        "(_usd, _frac).</p></section>"
    )
    parts.append("</main></body></html>")
    return "".join(parts)
