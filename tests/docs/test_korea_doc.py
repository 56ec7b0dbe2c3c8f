"""docs/korea.md holds (issue 19 item 7): the Korean-share table and the per-year ranges
(``gaemi.data.korean_share.korean_share_daily`` on ../shared/data) and the press table
(the check of ``tests/validation/test_ksd_press.py``: the weekly KSD lists around each
FACTS.md §(a) press figure, widened by the week's move, and the earlier list carried to the
day by the fund's return) are regenerated here and compared with the page.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "korea.md"
FUNDS = ("TQQQ", "SOXL", "TSLL", "NVDL", "SQQQ", "SOXS")
DATES = (
    "2020-12-31", "2021-12-31", "2022-12-31", "2023-12-31", "2024-08-05", "2024-12-31",
    "2025-06-30", "2025-12-31", "2026-01-12", "2026-04-21", "2026-05-13",
)  # fmt: skip
#: FACTS.md §(a) "Holdings by ticker" [P], as in tests/validation/test_ksd_press.py
PRESS = [
    ("TQQQ", "2024-08-02", 2.625e9, "$2.625B"),
    ("SOXL", "2024-08-02", 1.616e9, "$1.616B"),
    ("TQQQ", "2024-11-04", 3.109e9, "$3.109B"),
    ("TSLL", "2025-01-21", 2.29e9, "$2.29B"),
    ("TSLL", "2025-02-26", 1.5e9, "$1.5B"),
]


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _flat() -> str:
    return " ".join(_text().split())


def _m(s: str) -> str:
    return s.replace("-", "−")


@pytest.fixture(scope="module")
def share(shared_data: Path) -> pd.DataFrame:
    from gaemi.data.korean_share import korean_share_daily

    df = korean_share_daily(shared_data, FUNDS)
    df["date"] = pd.to_datetime(df["date"])
    return df


def _cell(sub: pd.DataFrame, day: str) -> str:
    s = sub[sub["date"] <= pd.Timestamp(day)]
    if s.empty:
        return "not listed"  # no price yet: the fund did not exist
    r = s.iloc[-1]
    if pd.isna(r["korean_held_usd"]):
        return "unknown"
    star = "\\*" if r["basis"] == "estimated" else ""
    held = f"${r['korean_held_usd'] / 1e9:.2f}B{star}"
    if pd.isna(r["aum_usd"]):
        return f"{held} / AUM unknown"
    return f"{held} / ${r['aum_usd'] / 1e9:.1f}B = **{r['korean_share'] * 100:.1f}%**"


def share_rows(df: pd.DataFrame) -> list[str]:
    return [
        f"| {d} | " + " | ".join(_cell(df[df["ticker"] == t], d) for t in FUNDS) + " |"
        for d in DATES
    ]


@pytest.mark.slow
def test_share_table_is_the_engines(share: pd.DataFrame) -> None:
    part = _text().split("## 2. Korean share per fund over time", 1)[1].split("\n## ", 1)[0]
    starts = tuple(f"| {d} |" for d in DATES)
    got = [ln.strip() for ln in part.splitlines() if ln.startswith(starts)]
    assert got == share_rows(share)


@pytest.mark.slow
def test_share_ranges_per_year(share: pd.DataFrame) -> None:
    obs = share[(share["basis"] == "observed") & share["korean_share"].notna()].copy()
    obs["year"] = obs["date"].dt.year

    def rng(g: pd.DataFrame) -> str:
        return f"{g['korean_share'].min() * 100:.1f}–{g['korean_share'].max() * 100:.1f}%"

    tq = obs[obs["ticker"] == "TQQQ"]
    want_tq = ", ".join(f"{rng(g)} ({y})" for y, g in tq.groupby("year"))
    text = _flat()
    assert f"TQQQ {want_tq};" in text
    sq = obs[obs["ticker"] == "SQQQ"]
    early, late = sq[sq["year"] == 2020], sq[sq["year"] >= 2022]
    assert set(sq["year"]) == {2020} | set(late["year"])  # no observed share in 2021
    assert (
        f"SQQQ {rng(early)} (2020), {rng(late)} ({late['year'].min()}–{late['year'].max()})" in text
    )
    rest = [obs[obs["ticker"] == t] for t in ("SOXL", "TSLL", "NVDL")]
    assert all(set(g["year"]) == {2026} for g in rest)
    assert f"SOXL {rng(rest[0])}, TSLL {rng(rest[1])}, NVDL {rng(rest[2])} (2026 only)" in text


def press_rows(shared_data: Path) -> list[str]:
    from gaemi.data.importers import ksd
    from gaemi.data.korean_share import fund_price

    w = ksd.read_custody_weekly(
        shared_data / "korea-holdings-ksd/seohak-index/custody_weekly_clean.csv", duplicates="drop"
    )
    weekly = ksd.holdings_by_ticker(w, {t for t, *_ in PRESS})
    rows = []
    for ticker, day, usd, shown in PRESS:
        d = pd.Timestamp(day)
        s = weekly[weekly.ticker == ticker].set_index("as_of")["holdings_usd"]
        a, b = s[s.index <= d].index[-1], s[s.index > d].index[0]
        p = fund_price(shared_data, ticker)
        pa, pb = p[p.index <= a].iloc[-1], p[p.index <= b].iloc[-1]
        move = pb / pa - 1
        lo, hi = min(s[a], s[b]) * (1 - abs(move)), max(s[a], s[b]) * (1 + abs(move))
        carried = s[a] * p[p.index <= d].iloc[-1] / pa
        cells = [
            f"{ticker} {day} {shown}",
            f"{a:%m-%d} ${s[a] / 1e9:.3f}B",
            f"{b:%m-%d} ${s[b] / 1e9:.3f}B",
            _m(f"{move * 100:+.1f}%"),
            f"${lo / 1e9:.2f}–{hi / 1e9:.2f}B",
            f"${carried / 1e9:.3f}B",
            _m(f"{(carried / usd - 1) * 100:+.1f}%"),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


@pytest.mark.slow
def test_press_table_is_the_check(shared_data: Path) -> None:
    want = press_rows(shared_data)
    got = [
        ln.strip()
        for ln in _text().splitlines()
        if ln.startswith(tuple(f"| {t} {d} " for t, d, *_ in PRESS))
    ]
    assert got == want
    # "The TQQQ 2024-11-04 figure is 4.4% above KSD's own list of that day"
    row = next(r for r in want if r.startswith("| TQQQ 2024-11-04"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    listed = float(cells[1].split("$")[1].rstrip("B"))
    assert cells[1].startswith("11-04")
    above = 3.109 / listed - 1  # the press figure, FACTS.md §(a)
    assert f"The TQQQ 2024-11-04 figure is {above * 100:.1f}% above KSD's own list" in _flat()
    # "the carry underestimates in all five cases"
    assert all(r.rstrip(" |").split("|")[-1].strip().startswith("−") for r in want)
