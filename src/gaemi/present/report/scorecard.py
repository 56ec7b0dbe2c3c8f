"""``gaemi validate --html``: the scorecard as one self-contained HTML page (no script, no
request: it opens offline from file://).

Per engine, one table: the check, what is measured, the value, the stated tolerance,
pass/fail (or why there is no value: skipped with its reason, not yet available), the test
set (dates never used in fitting) and what was fitted on which window. The numbers are the
:class:`gaemi.app.validate.ValidateResult`'s, as in ``--format json``.
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

from gaemi.present.console import format_number

if TYPE_CHECKING:
    from gaemi.app.validate import Outcome, ValidateResult

#: Colour of each status (the report's palette: LOW green … CRITICAL red).
STATUS_COLOURS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "skipped": "#757575",
    "not available": "#9e9e9e",
}
SCORECARD_CSS = """
.badge{font-weight:700;color:#fff;border-radius:3px;padding:1px 6px;white-space:nowrap}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0 0 0;padding:0;list-style:none}
.counts li{background:rgba(255,255,255,.18);border-radius:4px;padding:2px 8px}
h2 .badge{font-size:13px;vertical-align:middle;margin-left:6px}
"""


def value_text(v: float | None, metric: str) -> str:
    """A scorecard value: USD metrics as money, others as plain numbers (digits, never an
    exponent above 10⁻⁴; :func:`gaemi.present.console.format_number`)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if metric.rstrip(")").endswith("USD"):
        from gaemi.app.result import format_usd

        return format_usd(float(v))
    return format_number(float(v))


def _bound(v: float | None, metric: str) -> str:
    """A tolerance as stated: ``0.005``, not ``0.005000``."""
    t = value_text(v, metric)
    if "." in t and not any(ch in t for ch in "e$BMk"):
        t = t.rstrip("0").rstrip(".")
    return t


def tolerance_text(o: Outcome) -> str:
    """The stated tolerance with its comparison: ``≤ 0.05``, ``≥ 0.99``, ``0.8 – 0.95``."""
    if o.value is None and o.status not in ("pass", "fail"):
        return "—"
    if o.op == "in":
        return f"{_bound(o.tolerance, o.metric)} – {_bound(o.tolerance_high, o.metric)}"
    return f"{'≤' if o.op == '<=' else '≥'} {_bound(o.tolerance, o.metric)}"


def _engine_status(outcomes: list[Outcome]) -> str:
    st = {o.status for o in outcomes}
    if "fail" in st:
        return "fail"
    if "pass" in st:
        return "pass"
    return "skipped" if "skipped" in st else "not available"


def render_scorecard_html(res: ValidateResult) -> str:
    """One self-contained HTML document of the scorecard."""
    from gaemi.present.report.render import CSS

    esc = html.escape
    c = res.counts
    worst = "fail" if c["fail"] else "pass" if c["pass"] else "skipped"
    where = res.data_dir or "no data folder"
    heads = [
        "Check",
        "Metric",
        "Value",
        "Tolerance",
        "Result",
        "Test set (never used in fitting)",
        "Fitted on",
        "Note",
    ]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>gaemi validate — {esc(res.summary())}</title>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<style>{CSS}{SCORECARD_CSS}</style></head><body>",
        f"<header style='background:{STATUS_COLOURS[worst]}' role='banner'>",
        "<h1 id='status'>gaemi validate: every engine against history it was not fitted on</h1>",
        f"<p id='summary'>{esc(res.summary())}</p><ul class='counts'>",
        *(f"<li>{n} {esc(k)}</li>" for k, n in c.items()),
        "</ul></header><main>",
    ]
    parts.extend(f"<div class='note' role='note'>{esc(w)}</div>" for w in res.warnings)
    engines: dict[str, list[Outcome]] = {}
    for o in res.outcomes:
        engines.setdefault(o.engine, []).append(o)
    for engine, outs in engines.items():
        st = _engine_status(outs)
        secs = sum(res.seconds.get(k, 0.0) for k in dict.fromkeys(o.check for o in outs))
        parts.append(
            f"<section id='engine-{esc(engine, quote=True)}' class='engine'>"
            f"<h2>{esc(engine)}<span class='badge' style='background:{STATUS_COLOURS[st]}'>"
            f"{esc(st)}</span></h2>"
            f"<p class='src'>{len(outs)} line(s); checks: "
            f"{esc(', '.join(dict.fromkeys(o.check for o in outs)))}"
            + (f"; {secs:.1f} s" if secs else "")
            + "</p><div class='tbl'><table class='stack'><thead><tr>"
            + "".join(f"<th scope='col'>{esc(h)}</th>" for h in heads)
            + "</tr></thead><tbody>"
        )
        lab = [esc(h, quote=True) for h in heads]
        for o in outs:
            colour = STATUS_COLOURS.get(o.status, "#757575")
            cells = [
                (esc(o.check), ""),
                (esc(o.metric), ""),
                (esc(value_text(o.value, o.metric)), "num"),
                (esc(tolerance_text(o)), "num"),
                (f"<span class='badge' style='background:{colour}'>{esc(o.status)}</span>", ""),
                (esc(o.test_set), "long"),
                (esc(o.fitted_on), "long"),
                (esc(o.note), "long"),
            ]
            parts.append(
                f"<tr class='st-{esc(o.status.replace(' ', '-'), quote=True)}'>"
                + "".join(
                    f"<td class='{cls}' data-label='{lab[i]}'>{text}</td>"
                    for i, (text, cls) in enumerate(cells)
                )
                + "</tr>"
            )
        parts.append("</tbody></table></div></section>")
    parts.append(
        f"<section id='about'><h2>Data</h2><p class='src'>Data folder: {esc(where)}. "
        "Pass/fail: the value against the stated tolerance (≤, ≥ or inside a range); "
        "skipped: the folder a check needs is missing (the note says which); not "
        "available: the engine is not built yet. The same scorecard as "
        "<code>gaemi validate --format json</code>.</p></section></main></body></html>"
    )
    return "".join(parts)
