"""Render a :class:`~gaemi.app.report.Report` to the terminal (Rich) or to one
self-contained HTML file (Plotly charts inline, no CDN, works offline from file://)."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from gaemi.app.report import Report
from gaemi.monitor.indicators import Indicator

if TYPE_CHECKING:
    from rich.text import Text

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
    """USD as $1.23B, or KRW in 조/억 when ``krw_per_usd`` is given."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if krw_per_usd is None:
        from gaemi.app.result import format_usd

        return format_usd(float(value))
    return krw_units(float(value) * krw_per_usd)


def krw_units(krw: float) -> str:
    """₩ in Korean large-number units: 1조 = 10¹², 1억 = 10⁸ (e.g. 19조 4,000억 원)."""
    sign = "-" if krw < 0 else ""
    v = abs(krw)
    jo = int(v // 1e12)
    eok = round((v - jo * 1e12) / 1e8)
    if eok == 10_000:
        jo, eok = jo + 1, 0
    if jo and eok:
        return f"{sign}{jo:,}조 {eok:,}억 원"
    if jo:
        return f"{sign}{jo:,}조 원"
    if eok:
        return f"{sign}{eok:,}억 원"
    return f"{sign}{v:,.0f} 원"


def cell(col: str, v: Any, krw: float | None) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        if col.endswith("_usd"):
            return money(v, krw_per_usd=krw)
        if col.endswith("_krw"):
            return krw_units(v)
        if col == "move_frac":
            return f"{v:+.0%}" if abs(v * 100 - round(v * 100)) < 1e-9 else f"{v:+.2%}"
        if col.endswith("_frac") and ("move" in col or "shock" in col):
            return f"{v:+.2%}"
        if col.endswith("_frac"):
            return f"{v:.1%}"
        return f"{v:,.4g}"
    return str(v)


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
        "table columns ending _krw are in 조/억 원; the sentences and indicator details "
        "stay in USD."
    )


# ----------------------------------------------------------------------------- terminal
def render_terminal(report: Report, *, krw: bool = False) -> None:
    """Print the summary with Rich, fitted to the terminal (``COLUMNS``): a table too
    wide for it prints transposed or one record per block
    (:func:`gaemi.present.console.print_table`); a pipe or file gets 120 columns."""
    from rich.panel import Panel
    from rich.text import Text

    from gaemi.present.console import make_console, print_table

    fx = report.usdkrw if krw else None
    con = make_console(pipe_width=120)
    colour = RICH_COLOURS[report.status.status]
    con.print(
        Panel(
            f"[{colour}]{report.status.status}[/]  {report.status.reason}",
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
                con.print(f"  [dim]{', '.join(long_text)} of each row: in the HTML and JSON[/]")
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
    headers = [str(c) for c in df.columns]
    cells: list[list[str | Text]] = [
        [cell(h, v, fx) for h, v in zip(headers, row, strict=True)]
        for row in df.itertuples(index=False)
    ]
    return headers, cells, [df[c].dtype.kind in "fiu" for c in df.columns]


# ----------------------------------------------------------------------------- HTML
def _html_table(df: pd.DataFrame, fx: float | None, caption: str = "") -> str:
    df = _convert(df, fx)
    head = "".join(f"<th scope='col'>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        tds = "".join(
            f"<td class='{'num' if isinstance(v, float | int) else ''}'>"
            f"{html.escape(cell(str(c), v, fx))}</td>"
            for c, v in zip(df.columns, row, strict=True)
        )
        body.append(f"<tr>{tds}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f"<div class='tbl'><table>{cap}<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _ladder_figure(report: Report, fx: float | None) -> Any:
    import plotly.graph_objects as go

    ladder = report.section("flows").tables["ladder"]
    fig = go.Figure()
    scale = (fx or 1.0) / (1e12 if fx else 1e9)
    unit = "조 원" if fx else "USD bn"
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
    fig.update_layout(
        title="Close rebalancing flow by underlying (+ = buying)",
        xaxis_title="underlying move (%)",
        yaxis_title=f"flow ({unit})",
        template="plotly_white",
        height=420,
        margin={"t": 50, "b": 40},
    )
    return fig


def _sensitivity_figure(report: Report, fx: float | None) -> Any:
    import plotly.graph_objects as go

    s = report.section("flows").tables["sensitivity"]
    scale = (fx or 1.0) / (1e12 if fx else 1e9)
    unit = "조 원" if fx else "USD bn"
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
    fig.update_layout(
        title="Flow per +1% move, by group",
        barmode="overlay",
        yaxis_title=f"flow per 1% ({unit})",
        template="plotly_white",
        height=380,
        margin={"t": 50, "b": 40},
    )
    return fig


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
    fig.update_layout(
        title="Feedback curve: shock into the close → closing move",
        xaxis_title="shock (%)",
        yaxis_title="closing move (%)",
        template="plotly_white",
        height=400,
        margin={"t": 50, "b": 40},
    )
    return fig


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
    fig.update_layout(
        title="Korean share of the fund (KSD custody / fund AUM, weekly)",
        xaxis_title="date",
        yaxis_title="Korean share (%)",
        template="plotly_white",
        height=400,
        margin={"t": 50, "b": 40},
    )
    return fig


def figures(report: Report, fx: float | None) -> list[tuple[str, Any]]:
    """(section key, figure) pairs for the HTML report."""
    out = []
    keys = {s.key: s for s in report.sections}
    if "flows" in keys and "ladder" in keys["flows"].tables:
        out += [("flows", _ladder_figure(report, fx)), ("flows", _sensitivity_figure(report, fx))]
    if "stress" in keys and len(keys["stress"].data.get("curve", ())):
        out.append(("stress", _curve_figure(report)))
    if "korea" in keys and len(keys["korea"].data.get("share_history", ())):
        out.append(("korea", _korea_figure(report)))
    return out


CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans KR',sans-serif;
margin:0;color:#1a1a1a;background:#fafafa}
header{padding:18px 28px;color:#fff}
header h1{margin:0 0 6px 0;font-size:22px} header p{margin:0;font-size:15px;line-height:1.4}
main{padding:8px 28px 40px 28px;max-width:1200px}
section{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:14px 18px;
margin:16px 0}
h2{font-size:18px;margin:4px 0 8px 0}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:4px 0}.tbl{overflow-x:auto}
.state{font-weight:700;color:#fff;border-radius:3px;padding:1px 6px;white-space:nowrap}
.src{color:#555;font-size:12px;overflow-wrap:anywhere}
section p{overflow-wrap:anywhere}.note{background:#fff8e1;border-left:4px solid #f9a825;
padding:8px 12px;margin:12px 0}.stale{color:#b71c1c;font-weight:600}
@media (max-width:700px){header{padding:14px 12px}main{padding:4px 8px 30px 8px}
section{padding:10px 10px}.tbl table{min-width:960px}}
"""


def render_html(report: Report, *, krw: bool = False) -> str:
    """One self-contained HTML document (Plotly JS inlined once)."""
    from plotly.offline import get_plotlyjs

    fx = report.usdkrw if krw else None
    colour = STATUS_COLOURS[report.status.status]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>gaemi report {report.report_date} — {report.status.status}</title>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<style>{CSS}</style><script>{get_plotlyjs()}</script></head><body>",
        f"<header style='background:{colour}' role='banner'>",
        (
            f"<h1 id='status'>gaemi risk status {report.report_date}: "
            f"{html.escape(report.status.status)}</h1>"
        ),
        f"<p id='reason'>{html.escape(report.status.reason)}</p></header><main>",
    ]
    parts.extend(f"<div class='note' role='note'>{html.escape(n)}</div>" for n in report.notes)
    # indicators
    rows = []
    for i in report.indicators:
        c = STATUS_COLOURS[i.state]
        asof = "—" if i.as_of is None else f"{i.as_of} ({i.age_days(report.report_date)} d old)"
        th = ", ".join(f"{t:g}" for t in i.thresholds)
        rows.append(
            f"<tr><td><span class='state' style='background:{c}'>{i.state}</span></td>"
            f"<td>{html.escape(i.name)}</td><td>{html.escape(i.detail)}</td>"
            f"<td>{html.escape(th)}</td>"
            f"<td class='{'stale' if _stale(report, i) else ''}'>{html.escape(asof)}</td>"
            f"<td class='src'>{html.escape(i.source)}<br><em>{html.escape(i.rationale)}</em>"
            "</td></tr>"
        )
    parts.append(
        "<section id='indicators'><h2>Indicators and triggers</h2>"
        "<div class='tbl'><table><thead><tr>"
        "<th scope='col'>state</th><th scope='col'>indicator</th><th scope='col'>value</th>"
        "<th scope='col'>thresholds (GUARDED…CRITICAL)</th><th scope='col'>as of</th>"
        "<th scope='col'>source and rationale</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div></section>"
    )
    figs = figures(report, fx)
    for s in report.sections:
        parts.append(
            f"<section id='sec-{s.key}'><h2>{html.escape(s.title)}</h2>"
            f"<p>{html.escape(s.summary)}</p>"
        )
        for key, fig in figs:
            if key == s.key:
                parts.append(
                    fig.to_html(
                        full_html=False, include_plotlyjs=False, config={"displaylogo": False}
                    )
                )
        for name, frame in s.tables.items():
            parts.append(_html_table(frame, fx, name))
        if s.sources:
            parts.append(
                "<p class='src'>Sources: " + "; ".join(html.escape(x) for x in s.sources) + "</p>"
            )
        parts.append("</section>")
    fxline = (
        f"Amounts in KRW at ₩{report.usdkrw:,.1f}/USD (as of {report.usdkrw_as_of}). "
        if fx
        else (krw_line(report) + " " if krw else "Amounts in USD. ")
    )
    parts.append(
        f"<section id='about'><h2>Data</h2><p class='src'>{html.escape(fxline)}"
        f"Universe: {html.escape(report.universe_label)}. Market: "
        f"{html.escape(report.market_label)}. Moves are decimal fractions shown as %; "
        "flows are signed (+ = buying the underlying).</p></section>"
    )
    parts.append("</main></body></html>")
    return "".join(parts)
