"""docs/monitor.md holds (issue 19 item 7): the replay table (days by status and the NDX
return over the next five trading days, 2020-01-02 onwards) and the figures of the prose
under it are recomputed here from the monitor replay on ../shared/data — the same replay as
``tests/validation/test_monitor_replay.py`` (QQQ, SOXX, VIX, DEXKOUS closes; the embedded
facts, universe and rules) — and compared with the document. Skipped without the data.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "monitor.md"
ORDER = ("CRITICAL", "HIGH", "ELEVATED", "GUARDED", "LOW")


@pytest.fixture(scope="module")
def replay(shared_data: Path) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    sys.path.insert(0, str(ROOT / "scripts"))
    from build_market_derived import read_closes

    from gaemi.data.market import derive_history, load_facts_market
    from gaemi.data.universe import load_default_universe
    from gaemi.monitor.indicators import load_default_rules
    from gaemi.monitor.replay import replay_status

    data, src = read_closes(shared_data)
    hist = derive_history(data, src)
    days = [d.date() for d in data["NDX"].index if d >= pd.Timestamp("2020-01-02")]
    df = replay_status(
        hist, load_facts_market(), load_default_universe(), load_default_rules(), days
    )
    qqq = data["NDX"].sort_index()
    when = pd.to_datetime(df["date"])
    df["next5"] = (qqq.shift(-5) / qqq - 1).reindex(when).to_numpy()
    sox = data["SOX"].sort_index()
    df["sox1"] = (sox / sox.shift(1) - 1).reindex(when).to_numpy()
    return df, data


def _pct(v: float, signed: bool) -> str:
    s = f"{v * 100:+.2f}%" if signed else f"{v * 100:.2f}%"
    return s.replace("-", "−")


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.slow
def test_replay_table_is_the_monitors(replay: tuple[pd.DataFrame, Any]) -> None:
    df, _data = replay
    want = []
    for s in ORDER:
        x = df.loc[df["status"] == s, "next5"]
        n, m = len(x), int(x.notna().sum())  # the last five days have no next week yet
        days = f"{n:,}" if m == n else f"{n:,} ({m:,} with 5 days after)"
        want.append(f"| {s} | {days} | {_pct(x.mean(), True)} | {_pct(x.std(), False)} |")
    want.append(f"| all days | {len(df):,} | {_pct(df['next5'].mean(), True)} | |")
    part = _text().split("## Replay over real history", 1)[1].split("\n## ", 1)[0]
    first, by_year = part.split("Counts by year:", 1)
    got = [ln.strip() for ln in first.splitlines() if ln.startswith("| ") and "---" not in ln]
    assert got[1:] == want  # got[0] is the header
    # counts by year (the last year: "2026 (to Aug 3)", the last replayed day)
    year = pd.to_datetime(df["date"]).dt.year
    last = pd.Timestamp(df["date"].iloc[-1])
    rows = []
    for y in sorted(set(year)):
        n = df.loc[year == y, "status"].value_counts()
        label = f"{y} (to {last:%b} {last.day})" if y == last.year else str(y)
        cells = [str(int(n.get(s, 0))) for s in reversed(ORDER)]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    got_years = [ln.strip() for ln in by_year.splitlines() if ln.startswith("| 20")]
    assert got_years == rows


@pytest.mark.slow
def test_replay_prose_is_the_monitors(replay: tuple[pd.DataFrame, Any]) -> None:
    df, _data = replay
    text = " ".join(_text().split("## Replay over real history", 1)[1].split())
    crit = df.loc[df["status"] == "CRITICAL", "next5"].dropna()
    low = df.loc[df["status"] == "LOW", "next5"].dropna()
    every = df["next5"].dropna()
    assert f"(std {crit.std() * 100:.1f}% against {low.std() * 100:.1f}% on LOW days)" in text
    gap_pp = (every.mean() - crit.mean()) * 100
    se_pp = crit.std() * 100 / math.sqrt(len(crit))  # naive: independent days
    assert f"is {gap_pp:.2f} pp below the all-days average" in text
    assert f"about {gap_pp / se_pp:.1f} naive standard errors" in text
    assert f"({crit.std() * 100:.2f}%/√{len(crit)} ≈ {se_pp:.2f} pp;" in text
    # the June–July 2026 CRITICAL cluster: SOXX's close-to-close move those days
    when = pd.to_datetime(df["date"])
    june_july = (when >= "2026-06-01") & (when <= "2026-07-31") & (df["status"] == "CRITICAL")
    moves = df.loc[june_july, "sox1"].abs()
    assert len(moves) >= 5
    assert f"SOXX moved {moves.min() * 100:.0f}–{moves.max() * 100:.0f}% a day" in text
