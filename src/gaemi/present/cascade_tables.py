"""Tables of a contagion run shared by the CLI, the report and the web API.

The note-style event table (one row per step, rule and node with its parameters and
source), the display version with amounts in their units, and the Monte Carlo bands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.core.contagion import CascadeModel, CascadeResult


def fmt_change(kind: str, unit: str, v: float) -> str:
    """A change for display: ``frac`` as a percent (−1.94%), ``pp`` (a rate's change in
    percentage points) in basis points (−1.43 bp), anything else in its unit."""
    if v != v:
        return "—"
    if kind == "relative" or unit == "frac":
        return f"{v:+.2%}"
    if unit == "pp":
        return f"{v * 100:+.2f} bp"
    return f"{v:+.4g} {unit}"


def fmt_amount(v: float, unit: str) -> str:
    if v != v:
        return "—"
    if unit == "usd":
        from gaemi.present.cli.common import format_usd

        return format_usd(v)
    if unit in ("frac", "pp"):
        return fmt_change("", unit, v)
    return f"{v:+,.4g} {unit}".strip()


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


def display_events(df: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        {
            "step": df["step"],
            "day": df["day"],
            "action": df["action"],
            "node": df["node"],
            "amount": [
                fmt_amount(a, u) for a, u in zip(df["amount"], df["amount_unit"], strict=True)
            ],
            "impact (first day)": [
                fmt_change("", u, v) for v, u in zip(df["impact"], df["impact_unit"], strict=True)
            ],
            "impact (all days)": [
                fmt_change("", u, v)
                for v, u in zip(df["total_impact"], df["impact_unit"], strict=True)
            ],
            "event": df["event"],
        }
    )


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


def display_bands(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`bands_frame` for the terminal: changes as % (price nodes) or bp (rates)."""
    out = df.copy()
    units = list(df["change_unit"])
    for col in df.columns:
        if col.startswith(("change_", "lowest_change", "highest_change")) and col != "change_unit":
            out[col] = [fmt_change("", u, float(v)) for v, u in zip(df[col], units, strict=True)]
    out["baseline"] = [
        f"{float(b):,.10g} {u}" for b, u in zip(df["baseline"], df["baseline_unit"], strict=True)
    ]
    return out.drop(columns=["baseline_unit", "change_unit"])


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


def display_attribution(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`attribution_frame` for the terminal: changes as % (price nodes) or bp (rates),
    the equity loss as %."""
    if df.empty:
        return df
    out = df.copy()
    out["change_contribution"] = [
        fmt_change("", u, float(v))
        for v, u in zip(df["change_contribution"], df["change_unit"], strict=True)
    ]
    out["equity_loss_frac"] = [f"{float(v):.2%}" for v in df["equity_loss_frac"]]
    return out.drop(columns=["change_unit"])
