"""docs/validate.md holds (issue 19 item 7): its scorecard table and the figures of "What
fails" are regenerated from ``gaemi validate`` on ../shared/data and compared with the text.

The table is rendered here exactly as the document writes it (:func:`scorecard_rows`, the
terminal table's own value formatter ``gaemi.present.cli.validate._value``); when an engine
changes a figure, this test fails until the document is rewritten from the engine
(``python -c "from tests.docs.test_validate_doc import print_doc_table; print_doc_table()"``
prints the rows). Skipped without ../shared/data.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "validate.md"


def _cell(s: str) -> str:
    return s.replace("|", "\\|")


def scorecard_rows(records: list[dict[str, Any]]) -> list[str]:
    """The document's scorecard rows: engine, metric, value, tolerance, result, test set,
    fitted on — formatted as the terminal table formats them."""
    from gaemi.present.cli.validate import _value

    rows = []
    for r in records:
        if r["value"] is None:
            tol = "—"
        elif r["op"] == "in":
            lo, hi = _value(r["tolerance"], r["metric"]), _value(r["tolerance_high"], r["metric"])
            tol = f"{lo}–{hi}"
        else:
            tol = f"{r['op']} {_value(r['tolerance'], r['metric'])}"
        cells = [
            r["engine"],
            r["metric"],
            _value(r["value"], r["metric"]),
            tol,
            f"**{r['status']}**",
            r["test_set"],
            r["fitted_on"],
        ]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return rows


def _scorecard(shared_data: Path) -> dict[str, Any]:
    from gaemi.app.validate import validate

    out: dict[str, Any] = validate(shared_data).to_dict()
    return out


@pytest.fixture(scope="module")
def card(shared_data: Path) -> dict[str, Any]:
    return _scorecard(shared_data)


def print_doc_table(data_dir: str = "../shared/data") -> None:  # pragma: no cover - a tool
    d = _scorecard(Path(data_dir))
    print(d["summary"])
    print("\n".join(scorecard_rows(d["records"])))


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.slow
def test_scorecard_table_is_the_engines(card: dict[str, Any]) -> None:
    text = _doc()
    part = text.split("## The scorecard on ../shared/data", 1)[1].split("\n## ", 1)[0]
    doc_rows = [ln.strip() for ln in part.splitlines() if re.match(r"\| \w+ \| ", ln)]
    doc_rows = [r for r in doc_rows if "**pass**" in r or "**fail**" in r or "**skipped**" in r]
    want = scorecard_rows(card["records"])
    assert len(doc_rows) == len(want)
    for got, exp in zip(doc_rows, want, strict=True):
        assert got == exp
    # the counts line above the table: "(61 pass, 20 fail, 0 skipped, …)"
    counts = re.sub(r" \(.*\)$", "", card["summary"])
    assert f"({counts}" in part


def _rec(card: dict[str, Any], check: str, metric_start: str) -> dict[str, Any]:
    recs = [r for r in card["records"] if r["check"] == check]
    hit = [r for r in recs if r["metric"] == metric_start]
    hit = hit or [r for r in recs if r["metric"].startswith(metric_start)]
    assert len(hit) == 1, (check, metric_start, [r["metric"] for r in recs])
    return hit[0]


@pytest.mark.slow
def test_what_fails_figures_are_the_engines(card: dict[str, Any]) -> None:
    text = " ".join(_doc().split("What fails, and why", 1)[1].split())

    def pct(v: float) -> str:
        return f"{v * 100:.1f} %"

    fitted = _rec(card, "nav_tqqq_goal", "TQQQ: |10-year growth error|")["value"]
    cost = _rec(card, "nav_tqqq_goal", "TQQQ: |10-year growth error|, rebalancing")["value"]
    walk = _rec(card, "nav_tqqq_goal", "TQQQ: |10-year growth error|, walk")["value"]
    assert f"spread fitted on 2011–2014: {pct(fitted)} against the 2 % goal" in text
    assert f"rebalancing-cost model misses by {pct(cost)}" in text
    assert f"The walk-forward fit passes ({pct(walk)}" in text
    # the goal and the walk-forward tolerance are the records' tolerances
    goal = _rec(card, "nav_tqqq_goal", "TQQQ: |10-year growth error|")["tolerance"]
    walk_tol = _rec(card, "nav_tqqq_goal", "TQQQ: |10-year growth error|, walk")["tolerance"]
    assert f"against the {goal * 100:.0f} % goal" in text
    assert walk_tol == goal  # the walk-forward is judged by the same goal
    assert f"({pct(walk)} against the same {walk_tol * 100:.0f} % goal)" in text
    # the per-share comparison and the implied carry, as the check's note states them
    note = _rec(card, "nav_tqqq_goal", "TQQQ: |10-year growth error|")["note"]
    per_share = re.search(r"payouts counted as losses\) \+([\d.]+)%", note)
    carry = re.search(r"from ~([\d.]+)%/yr \(2011–14\) to ~([\d.–]+)%/yr", note)
    assert per_share is not None
    assert carry is not None
    assert f"counted as a loss, the error was {per_share.group(1)} %" in text
    assert f"about {carry.group(1)} % a year in 2011–2014 to about {carry.group(2)} %" in text

    loo = [r for r in card["records"] if r["check"] == "crypto_loo"]
    totals = [r for r in loo if r["metric"].endswith("model / reported 24 h total")]
    longs = [r for r in loo if "long share|, points" in r["metric"]]
    n_tot = sum(2 / 3 <= r["value"] <= 1.5 for r in totals)  # within ×1.5 either way
    n_long = sum(r["value"] <= 10 for r in longs)  # within 10 points
    assert f"{n_tot} of {len(totals)} held-out totals within ×1.5" in text
    assert f"{n_long} of {len(longs)} long shares within 10 points" in text
    share_tot = _rec(card, "crypto_loo", "share of held-out events with the total")["value"]
    assert share_tot == pytest.approx(n_tot / len(totals))

    cells = [r for r in card["records"] if "share of outcomes inside the 90% band" in r["metric"]]
    inside = sum(r["status"] == "pass" for r in cells)
    assert f"{inside} of {len(cells)} cells are inside 80–95 %" in text
    kospi = _rec(card, "contagion_coverage", "KOSPI -")
    m = re.match(r"KOSPI (\S+) inside the 90% band \[(\S+), (\S+)\]", kospi["metric"])
    assert m is not None
    assert f"KOSPI {m.group(1)} against the band {m.group(2)}…{m.group(3)}" in text
