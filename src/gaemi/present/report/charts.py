"""The report's engine charts, built from the application layer's results (the same ones
the dashboard plots: ``/api/cascade`` paths and bands, ``/api/decay/erosion`` curves,
``/api/crypto`` liquidations) and from the report's own section tables.

Every function takes plain frames and returns a Plotly figure; nothing here reads files or
runs an engine (:mod:`gaemi.present.report.engines` does, through ``gaemi.app``).
Amounts are drawn in $B, or 조 원 when a USD/KRW rate is given; moves in %.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from gaemi.units import format_frac, format_percent

#: Nodes drawn in the contagion chart, in order (those the scenario has).
PATH_NODES: tuple[str, ...] = (
    "NDX",
    "SOX",
    "VIX",
    "USDKRW",
    "KOSPI",
    "SAMSUNG",
    "HYNIX",
    "BTC",
)
NODE_NAMES = {
    "NDX": "Nasdaq-100",
    "SOX": "Semiconductors (SOX)",
    "SPX": "S&P 500",
    "VIX": "VIX",
    "USDKRW": "USD/KRW",
    "KOSPI": "KOSPI",
    "SAMSUNG": "Samsung Electronics",
    "HYNIX": "SK Hynix",
    "BTC": "Bitcoin",
    "ALTS": "Altcoins",
    "BOK_RATE": "BOK base rate",
    "JGB10Y": "JGB 10-year yield",
    "KR_MARGIN": "Korean margin debt",
    "KR_CRE": "Korean CRE rate",
}
_BLUE, _RED, _GREY = "#1565c0", "#c62828", "#757575"


def money_scale(krw_per_usd: float | None) -> tuple[float, str]:
    """(multiplier from USD, axis unit): $B, or 조 원 at ``krw_per_usd``."""
    if krw_per_usd:
        return krw_per_usd / 1e12, "₩ 조"
    return 1e-9, "$B"


#: A chart title longer than this breaks over lines (Plotly does not wrap titles; a phone
#: shows about 38 characters of a 15 px title).
TITLE_CHARS = 36


def wrap_title(title: str, width: int = TITLE_CHARS) -> str:
    """The title with ``<br>`` between words so that no line is longer than ``width``."""
    import textwrap

    return "<br>".join(textwrap.wrap(title, width)) or title


def _layout(fig: Any, title: str, ytitle: str, *, height: int = 380, **kw: Any) -> Any:
    lines = wrap_title(title).count("<br>") + 1
    base: dict[str, Any] = {
        "title": {"text": wrap_title(title), "font": {"size": 15}},
        "yaxis_title": ytitle,
        "template": "plotly_white",
        "height": height,
        "autosize": True,
        "margin": {"t": 30 + 20 * lines, "b": 40, "l": 60, "r": 20},
        "legend": {"orientation": "h", "y": -0.22, "yanchor": "top"},
    }
    fig.update_layout(**{**base, **kw})
    return fig


def _band_columns(paths: pd.DataFrame) -> tuple[str, str] | None:
    qs = sorted(c for c in paths.columns if re.fullmatch(r"level_q\d\d", str(c)))
    return (qs[0], qs[-1]) if len(qs) >= 2 else None


def _change(level: pd.Series, base: float, kind: str) -> pd.Series:
    """Change from the baseline: % for a relative node, the unit's points otherwise."""
    if kind == "relative":
        return (level / base - 1.0) * 100.0
    return level - base


def contagion_paths_figure(
    paths: pd.DataFrame, *, nodes: Sequence[str] = PATH_NODES, draws: int | None = None
) -> Any:
    """Small multiples, one per node: the mean path of the change from the baseline over
    the days after the shock, with the Monte Carlo band (lowest to highest quantile of
    ``level_qNN``) shaded.

    ``paths`` is :meth:`gaemi.app.contagion.ContagionResult.to_frame` ``("paths")``: node,
    day (−1 = baseline), level, unit, change_kind and ``level_qNN`` columns.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    have = [n for n in nodes if n in set(paths["node"])]
    band = _band_columns(paths)
    cols = 2
    rows = max(1, math.ceil(len(have) / cols))
    titles = []
    for n in have:
        g = paths[paths["node"] == n]
        unit = (
            "%" if str(g["change_kind"].iloc[0]) == "relative" else _points(str(g["unit"].iloc[0]))
        )
        titles.append(f"{NODE_NAMES.get(n, n)} ({unit})")
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        vertical_spacing=0.34 / rows,
        horizontal_spacing=0.12,
    )
    for k, n in enumerate(have):
        r, c = k // cols + 1, k % cols + 1
        g = paths[paths["node"] == n].sort_values("day")
        kind = str(g["change_kind"].iloc[0])
        base = float(g.loc[g["day"] == g["day"].min(), "level"].iloc[0])
        x = g["day"]
        first = k == 0
        if band is not None:
            lo = _change(g[band[0]], base, kind)
            hi = _change(g[band[1]], base, kind)
            q0, q1 = (int(b[-2:]) for b in band)
            fig.add_trace(
                go.Scatter(
                    x=x, y=hi, mode="lines", line={"width": 0}, showlegend=False,
                    hoverinfo="skip", legendgroup="band",
                ),
                row=r, col=c,
            )  # fmt: skip
            fig.add_trace(
                go.Scatter(
                    x=x, y=lo, mode="lines", line={"width": 0}, fill="tonexty",
                    fillcolor="rgba(21,101,192,0.18)", name=f"{q0}–{q1}% band",
                    showlegend=first, legendgroup="band", hoverinfo="skip",
                ),
                row=r, col=c,
            )  # fmt: skip
        fig.add_trace(
            go.Scatter(
                x=x,
                y=_change(g["level"], base, kind),
                mode="lines",
                line={"color": _BLUE, "width": 2},
                name="mean path",
                showlegend=first,
                legendgroup="mean",
                hovertemplate=f"{n} day %{{x}}: %{{y:+.2f}}<extra></extra>",
            ),
            row=r,
            col=c,
        )
        fig.add_hline(y=0, line_color=_GREY, line_width=1, row=r, col=c)
    fig.update_annotations(font_size=12)
    fig.update_xaxes(title_text="", dtick=5)
    fig.update_xaxes(title_text="sessions after the shock", row=rows, col=1)
    what = f"{draws:,} Monte Carlo draws" if draws else "Monte Carlo"
    return _layout(
        fig,
        f"Contagion paths: mean and band ({what})",
        "",
        height=210 * rows + 130,
        margin={"t": 100, "b": 40, "l": 60, "r": 20},
        legend={"orientation": "h", "y": -0.06 if rows > 2 else -0.18, "yanchor": "top"},
    )


def _points(unit: str) -> str:
    return "pp" if unit == "percent" else unit


def cascade_impact_figure(events: pd.DataFrame) -> Any:
    """Without the Monte Carlo paths: the summed impact on each node of the central run
    (the report's event table, fractions as %)."""
    import plotly.graph_objects as go

    ev = events[events["impact_unit"] == "frac"]
    tot = ev.groupby("node", sort=False)["impact"].sum() * 100
    fig = go.Figure(
        go.Bar(
            x=tot.to_numpy(),
            y=list(tot.index),
            orientation="h",
            marker={"color": [_RED if v < 0 else _BLUE for v in tot]},
            hovertemplate="%{y}: %{x:+.2f}%<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Contagion: summed impact per node (central run)", "", xaxis_title="%")


def decay_curves_figure(curves: pd.DataFrame) -> Any:
    """Change of each fund's value when its underlying ends where it started, by months,
    at the fund's own volatility (columns ticker, leverage, vol_annual, months,
    loss_frac — :meth:`gaemi.app.decay.ErosionResult.to_frame` rows per fund)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for t, g in curves.groupby("ticker", sort=False):
        g = g.sort_values("months")
        lev = float(g["leverage"].iloc[0])
        vol = float(g["vol_annual"].iloc[0])
        fig.add_trace(
            go.Scatter(
                x=[0.0, *g["months"]],
                y=[0.0, *(-g["loss_frac"] * 100)],
                mode="lines+markers",
                marker={"size": 5},
                name=f"{t} ({lev:+g}×, σ {format_percent(vol, decimals=0)})",
                hovertemplate=f"{t}, %{{x}} months: %{{y:.1f}}%<extra></extra>",
            )
        )
    return _layout(
        fig,
        "Decay: the fund's value with the underlying flat",
        "change of the fund's value (%)",
        xaxis_title="months with the underlying back where it started",
    )


def crypto_cascade_figure(cascade: pd.DataFrame, *, krw_per_usd: float | None = None) -> Any:
    """Liquidations (longs and shorts stacked) for each BTC shock, and the final BTC and
    altcoin moves on the right axis (the report's crypto table)."""
    import plotly.graph_objects as go

    mult, unit = money_scale(krw_per_usd)
    x = [format_frac(v, decimals=0) for v in cascade["btc_shock_frac"]]
    liq = cascade["liquidated_usd"] * mult
    longs = liq * cascade["long_share_frac"].fillna(1.0)
    fig = go.Figure(
        [
            go.Bar(x=x, y=longs, name="longs liquidated", marker={"color": _RED}),
            go.Bar(x=x, y=liq - longs, name="shorts liquidated", marker={"color": _BLUE}),
            go.Scatter(
                x=x,
                y=cascade["btc_final_move_frac"] * 100,
                name="BTC final move (right, %)",
                yaxis="y2",
                mode="lines+markers",
                line={"color": "#000"},
            ),
        ]
    )
    if "alt_final_move_frac" in cascade and cascade["alt_final_move_frac"].notna().any():
        fig.add_trace(
            go.Scatter(
                x=x,
                y=cascade["alt_final_move_frac"] * 100,
                name="altcoins final move (right, %)",
                yaxis="y2",
                mode="lines+markers",
                line={"color": "#6a1b9a", "dash": "dot"},
            )
        )
    return _layout(
        fig,
        "Crypto liquidation cascade by BTC shock",
        f"liquidated ({unit})",
        barmode="stack",
        xaxis_title="BTC shock before any liquidation",
        yaxis2={
            "title": "final move (%)",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "tickmode": "auto",
        },
        margin={"t": 70, "b": 40, "l": 60, "r": 60},
    )


def flow_bars_figure(
    flow: pd.DataFrame, *, krw_per_usd: float | None = None, title: str = ""
) -> Any:
    """Projected close flow per underlying, all holders and the Korean-held part
    (the report's ``today`` table: underlying_id, move_frac, flow_usd, korean_flow_usd)."""
    import plotly.graph_objects as go

    mult, unit = money_scale(krw_per_usd)
    flow = flow[flow["flow_usd"].notna() & flow["move_frac"].notna()]  # no fund or no move
    moves = zip(flow["underlying_id"], flow["move_frac"], strict=True)
    x = [f"{u} {format_frac(m)}" for u, m in moves]
    fig = go.Figure([go.Bar(x=x, y=flow["flow_usd"] * mult, name="all holders")])
    if "korean_flow_usd" in flow and flow["korean_flow_usd"].notna().any():
        fig.add_trace(go.Bar(x=x, y=flow["korean_flow_usd"] * mult, name="Korean-held (known)"))
    return _layout(
        fig,
        title or "Projected close flow at the latest move (+ = buying)",
        f"flow at the close ({unit})",
        barmode="group",
    )


def funds_figure(known: pd.DataFrame, *, krw_per_usd: float | None = None) -> Any:
    """Each fund's AUM on the day and its Korean-held part (the report's funds table)."""
    import plotly.graph_objects as go

    mult, unit = money_scale(krw_per_usd)
    aum = known["aum_usd"] * mult
    kor = aum * known["korean_share_frac"].fillna(0.0)
    fig = go.Figure(
        [
            go.Bar(x=known["ticker"], y=kor, name="Korean-held (depository)"),
            go.Bar(x=known["ticker"], y=aum - kor, name="other holders"),
        ]
    )
    return _layout(fig, "Fund AUM known that day", f"AUM ({unit})", barmode="stack")


def recent_flows_figure(recent: pd.DataFrame, *, krw_per_usd: float | None = None) -> Any:
    """The replayed close flow on the days before the report day, per underlying."""
    import plotly.graph_objects as go

    mult, unit = money_scale(krw_per_usd)
    fig = go.Figure()
    for uid, g in recent.groupby("underlying_id", sort=False):
        fig.add_trace(go.Bar(x=g["date"].astype(str), y=g["flow_usd"] * mult, name=str(uid)))
    return _layout(
        fig,
        "Replayed close flow, recent sessions (+ = buying)",
        f"flow at the close ({unit})",
        barmode="group",
    )
