"""The replay's own HTML page: one self-contained file (Plotly inlined, no CDN, opens offline
from file://) with the equity in KRW and USD, the drawdown and the collateral ratio over
time, every margin call, top-up and forced sale marked on the charts and listed below.

The page style, the table helper and the Plotly bundle are the report's
(:mod:`gaemi.present.report.render`), imported, not copied.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from gaemi.present.report.render import CSS, _html_table
from gaemi.units import format_percent

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.app.account import AccountReplayResult

#: How each event is drawn on the charts: (label, marker symbol, colour).
EVENT_STYLE: dict[str, tuple[str, str, str]] = {
    "margin_call": ("margin call", "triangle-down", "#ef6c00"),
    "call_cured": ("call cured", "circle-open", "#2e7d32"),
    "top_up": ("top-up", "triangle-up", "#1565c0"),
    "forced_sale": ("forced sale", "x", "#c62828"),
    "stop_loss": ("stop-loss", "square", "#6a1b9a"),
    "ruined": ("ruined (−90 %)", "star", "#000000"),
    "graduated": ("graduated", "star", "#2e7d32"),
}
#: Extra CSS of the replay page (on top of the report's).
REPLAY_CSS = """
.figs>div{margin:0 0 10px 0}ul.sum{margin:6px 0 0 18px;padding:0;font-size:15px}
@media (max-width:600px){main{padding:4px 8px 24px 8px}header{padding:14px 12px}
section{padding:10px 10px}header h1{font-size:18px}}
"""
_CONFIG = {"displaylogo": False, "responsive": True}


def _money_axis(cur: str) -> tuple[float, str]:
    """(divisor, axis title) for the equity chart: 억 원 for KRW, thousands of USD."""
    return (1e8, "억 원") if cur == "KRW" else (1e3, "USD k")


def _event_traces(
    res: AccountReplayResult, y: pd.Series, *, scale: float = 1.0, show_legend: bool = True
) -> list[Any]:
    """One marker trace per event kind, placed on ``y`` (a daily series) at the event days."""
    import plotly.graph_objects as go

    ev = res.events
    if ev.empty:
        return []
    at = dict(zip(res.daily["date"], y, strict=True))
    cur = res.currency
    traces = []
    for kind, (label, symbol, colour) in EVENT_STYLE.items():
        hit = ev[ev["event"] == kind]
        if hit.empty:
            continue
        amount = hit[f"amount_{cur.lower()}"].to_numpy(float)
        text = [
            f"{d:%Y-%m-%d} {label}: {_money(a, cur)} — {det}"
            for d, a, det in zip(hit["date"], amount, hit["detail"], strict=True)
        ]
        traces.append(
            go.Scatter(
                x=hit["date"],
                y=[float(at[d]) / scale for d in hit["date"]],
                mode="markers",
                name=label,
                legendgroup=kind,
                showlegend=show_legend,
                marker={"symbol": symbol, "size": 11, "color": colour, "line": {"width": 1.5}},
                text=text,
                hoverinfo="text",
            )
        )
    return traces


def _money(v: float, cur: str) -> str:
    from gaemi.app.investor import format_money

    return format_money(float(v), cur)


def _synthetic_shade(fig: Any, res: AccountReplayResult) -> None:
    syn = res.daily.loc[res.daily["synthetic"], "date"]
    if len(syn):
        fig.add_vrect(
            x0=syn.iloc[0],
            x1=syn.iloc[-1],
            fillcolor="#9e9e9e",
            opacity=0.15,
            line_width=0,
            annotation_text="synthetic (index + NAV engine)",
            annotation_position="top left",
        )


def _layout(fig: Any, title: str, ytitle: str, **kw: Any) -> None:
    fig.update_layout(
        title={"text": title, "font": {"size": 15}},
        yaxis_title=ytitle,
        template="plotly_white",
        height=380,
        margin={"t": 48, "b": 36, "l": 56, "r": 56},
        legend={"orientation": "h", "y": -0.14},
        hovermode="closest",
        **kw,
    )


def equity_figure(res: AccountReplayResult) -> Any:
    """Equity in the account's currency (left axis) and the other one (right), events on it."""
    import plotly.graph_objects as go

    d = res.daily
    cur = res.currency
    other = "USD" if cur == "KRW" else "KRW"
    scale, unit = _money_axis(cur)
    oscale, ounit = _money_axis(other)
    y = d[f"equity_{cur.lower()}"]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=d["date"],
            y=d[f"equity_{other.lower()}"] / oscale,
            name=f"equity in {other} (right)",
            yaxis="y2",
            line={"color": "#90a4ae", "width": 1.2, "dash": "dot"},
        )
    )
    fig.add_trace(
        go.Scatter(x=d["date"], y=y / scale, name=f"equity in {cur}", line={"color": "#1565c0"})
    )
    if float(d["contributed"].iloc[-1]) != float(d["contributed"].iloc[0]):
        fig.add_trace(
            go.Scatter(
                x=d["date"],
                y=d["contributed"] / scale,
                name="money put in",
                line={"color": "#757575", "width": 1, "shape": "hv"},
            )
        )
    for t in _event_traces(res, y, scale=scale):
        fig.add_trace(t)
    _synthetic_shade(fig, res)
    _layout(
        fig,
        f"Equity (holdings − loan) in {cur} and {other}",
        unit,
        yaxis2={"title": ounit, "overlaying": "y", "side": "right", "showgrid": False},
    )
    return fig


def drawdown_figure(res: AccountReplayResult) -> Any:
    """Fall from the running high of the (time-weighted) unit value, in %."""
    import plotly.graph_objects as go

    d = res.daily
    y = -d["drawdown_frac"] * 100
    fig = go.Figure(
        [
            go.Scatter(
                x=d["date"],
                y=y,
                name="drawdown",
                fill="tozeroy",
                line={"color": "#c62828", "width": 1},
            )
        ]
    )
    for t in _event_traces(res, y, show_legend=False):
        fig.add_trace(t)
    _synthetic_shade(fig, res)
    _layout(fig, "Drawdown from the high (time-weighted)", "%")
    return fig


def ratio_figure(res: AccountReplayResult) -> Any | None:
    """Collateral / loan against the broker's maintenance ratio (None without a loan)."""
    import plotly.graph_objects as go

    if res.margin <= 0:
        return None
    d = res.daily
    ratio = d["ratio"].where(d["ratio"].map(math.isfinite)) * 100
    m = float(res.choice("maintenance_ratio").value) * 100
    fig = go.Figure(
        [go.Scatter(x=d["date"], y=ratio, name="collateral / loan", line={"color": "#37474f"})]
    )
    fig.add_hline(
        y=m,
        line_dash="dash",
        line_color="#ef6c00",
        annotation_text=f"maintenance {m:.0f} %",
        annotation_position="bottom right",
    )
    for t in _event_traces(res, ratio.fillna(m), show_legend=False):
        fig.add_trace(t)
    _layout(fig, "Collateral ratio and margin events", "% (collateral / loan)")
    fig.update_yaxes(rangemode="tozero")
    return fig


def figures(res: AccountReplayResult) -> list[Any]:
    """The page's charts in order: equity, drawdown, collateral ratio (with a loan)."""
    out = [equity_figure(res), drawdown_figure(res)]
    r = ratio_figure(res)
    if r is not None:
        out.append(r)
    return out


def _events_frame(res: AccountReplayResult) -> pd.DataFrame:
    ev = res.events.copy()
    if ev.empty:
        return ev
    ev["date"] = ev["date"].dt.strftime("%Y-%m-%d")
    ev["synthetic"] = ev["synthetic"].map({True: "yes", False: ""})
    return ev


def render_replay_html(res: AccountReplayResult) -> str:
    """One self-contained HTML document for a replay (Plotly JS inlined once)."""
    from plotly.offline import get_plotlyjs

    e = res.extra_dict()
    weights = zip(res.tickers, res.weights, strict=True)
    held = " + ".join(f"{t} {format_percent(w, decimals=0)}" for t, w in weights)
    loan = f", {format_percent(res.margin, decimals=0)} margin loan" if res.margin > 0 else ""
    title = f"Replay: {_money(res.capital, res.currency)} in {held}{loan}"
    colour = "#c62828" if res.ruined_on else "#2e7d32" if res.graduated_on else "#263238"
    lines = res.summary().split("\n")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>gaemi {html.escape(title)} ({e['start']} to {e['end']})</title>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<style>{CSS}{REPLAY_CSS}</style><script>{get_plotlyjs()}</script></head><body>",
        f"<header style='background:{colour}' role='banner'>",
        f"<h1 id='title'>{html.escape(title)}</h1>",
        f"<p id='period'>{e['start']} to {e['end']}: real prices and USD/KRW"
        + (f", {e['synthetic_days']} synthetic days" if res.backfilled else "")
        + "</p></header><main>",
    ]
    parts.extend(f"<div class='note' role='note'>{html.escape(w)}</div>" for w in res.warnings)
    parts.append(
        "<section id='what-happened'><h2>What happened</h2><ul class='sum'>"
        + "".join(f"<li>{html.escape(x.lstrip('- '))}</li>" for x in lines[1:])
        + "</ul></section>"
    )
    parts.append("<section id='charts'><h2>Over time</h2><div class='figs'>")
    for i, fig in enumerate(figures(res)):
        parts.append(
            fig.to_html(
                full_html=False,
                include_plotlyjs=False,
                config=_CONFIG,
                div_id=f"replay-chart-{i}",
                default_width="100%",
            )
        )
    parts.append("</div></section>")
    parts.append(
        "<section id='events'><h2>Margin calls, top-ups and forced sales</h2>"
        + (
            _html_table(_events_frame(res), None)
            if not res.events.empty
            else "<p>No margin call, sale, ruin or graduation.</p>"
        )
        + "</section>"
    )
    if res.forward is not None and not res.forward.empty:
        parts.append(
            "<section id='forward'><h2>Where the real path fell in the forward simulation</h2>"
            f"<p class='src'>{html.escape(str(res.forward.attrs.get('model', '')))}, "
            f"{res.forward.attrs.get('paths', '')} paths started on {e['start']} with the "
            "same account; realised_percentile = share of simulated paths at or below the "
            "realised value.</p>" + _html_table(res.forward, None) + "</section>"
        )
    choices = "; ".join(f"{c.name} = {c.value} ({c.why})" for c in res.choices)
    parts.append(
        "<section id='about'><h2>Data and choices</h2><p class='src'>"
        + html.escape("Sources: " + "; ".join(res.sources) + ". Choices: " + choices + ".")
        + " Replay kernel: gaemi.core.account; the broker of gaemi.core.investor."
        "</p></section>"
    )
    parts.append("</main></body></html>")
    return "".join(parts)
