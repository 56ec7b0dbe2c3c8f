"""docs/replay.md holds (issue 19 item 7): the backfill table, the forward-simulation table
and the figures of the prose around them are regenerated here from ``replay_account`` and
``backfill_error_table`` on ../shared/data and compared with the page (skipped without the
data). The accounts are the page's (first column); 4,000 paths, ``rng=1``, embedded state.

``python -c "from tests.docs.test_replay_doc import print_tables; print_tables()"`` prints
the rows to paste when an engine changes them.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "replay.md"
BACKFILL = ("TQQQ", "SOXL", "TSLL", "NVDL")
PATHS, SEED = 4000, 1

#: (label in the table, replay_account arguments)
ACCOUNTS: list[tuple[str, dict[str, Any]]] = [
    (
        "₩1.40억 SOXL, 50 % loan, from 2024-07-01",
        {"capital": 140e6, "positions": [("SOXL", 1.0)], "start": "2024-07-01", "margin": 0.5},
    ),
    (
        "₩1.40억 SOXL, 50 % loan, from 2020-01-02",
        {"capital": 140e6, "positions": [("SOXL", 1.0)], "start": "2020-01-02", "margin": 0.5},
    ),
    (
        "₩1.40억 SOXL, no loan, from 2020-01-02",
        {"capital": 140e6, "positions": [("SOXL", 1.0)], "start": "2020-01-02"},
    ),
    (
        "₩1.00억 TSLL + NVDL 50/50, from 2020-01-02 (synthetic to 2022-12-13)",
        {
            "capital": 100e6,
            "positions": [("TSLL", 0.5), ("NVDL", 0.5)],
            "start": "2020-01-02",
            "backfill": True,
        },
    ),
    (
        "₩1.00억 TSLL + NVDL 50/50, 50 % loan, from 2024-07-01",
        {
            "capital": 100e6,
            "positions": [("TSLL", 0.5), ("NVDL", 0.5)],
            "start": "2024-07-01",
            "margin": 0.5,
        },
    ),
    (
        "₩1,000만 TQQQ + ₩100만 a month, from 2020-01-02",
        {"capital": 10e6, "positions": [("TQQQ", 1.0)], "start": "2020-01-02", "deposit": 1e6},
    ),
    (
        "$100k TQQQ (USD), from 2020-01-02",
        {"capital": 100e3, "positions": [("TQQQ", 1.0)], "start": "2020-01-02", "currency": "USD"},
    ),
]


def _minus(s: str) -> str:
    return s.replace("-", "−", 1) if s.startswith("-") else s


def money(v: float, currency: str) -> str:
    """The house style (gaemi.units): ₩ in 만/억/조, $ in k/M/B; a true minus sign."""
    from gaemi.units import format_krw, format_usd

    return _minus(format_krw(v) if currency == "KRW" else format_usd(v))


def pct0(v: float) -> str:
    return f"{v * 100:.0f} %"


def pctile(p: float) -> str:
    """A percentile; above 99 % to a tenth (99.1 % and 99.9 % are different news)."""
    return f"{p * 100:.1f} %" if p >= 0.99 else f"{p * 100:.0f} %"


def _run(data: Path, args: dict[str, Any]) -> Any:
    from gaemi.app.account import replay_account

    a = dict(args)
    return replay_account(
        None,
        a.pop("capital"),
        a.pop("positions"),
        data_dir=data,
        forward_paths=PATHS,
        rng=SEED,
        **a,
    )


def forward_row(label: str, res: Any) -> str:
    d = res.to_dict()
    cur = d["currency"]
    end = d["end_equity_usd"] if cur == "USD" else d["end_equity_krw"]
    put_in = d["contributed_usd"] if cur == "USD" else d["contributed_krw"]
    fwd = res.to_frame("forward").set_index("measure")
    loan = d["margin"] > 0
    if not loan:
        calls = "—"
    elif d["margin_calls"] == 0:
        calls = "0"
    else:
        sale = d["first_forced_sale"] or "—"
        basis = [e["price_basis"] for e in d["events"] if e["event"] == "forced_sale"][:1]
        if basis and basis[0] != "open":
            sale += f" ({basis[0].replace(' (', ': ').rstrip(')')})"
        calls = f"{d['margin_calls']} / {d['first_margin_call']} / {sale}"
    pc = pctile(float(fwd.loc["end_value", "realised_percentile"]))
    if "deposit" in label or "a month" in label:
        pc += " (time-weighted)"
    prob = "—" if not loan else pct0(float(fwd.loc["forced_sale", "sim_prob"]))
    cells = [
        label,
        money(end, cur),
        money(put_in, cur),
        pct0(d["max_drawdown_frac"]),
        calls,
        d["ruined_on"] or "—",
        pc,
        money(float(fwd.loc["end_value", "sim_p50"]), cur),
        pct0(float(fwd.loc["max_drawdown_frac", "realised_percentile"])),
        prob,
    ]
    return "| " + " | ".join(cells) + " |"


def backfill_rows(tab: Any) -> list[str]:
    rows = []
    for r in tab.itertuples():
        cells = [
            r.ticker,
            r.index_proxy,
            f"{r.days:,} ({r.start}..{r.end})",
            f"{r.real_growth:.4g}×",
            f"{r.synthetic_growth:.4g}×",
            f"{r.end_error_frac * 100:+.1f} %",
            f"{r.tracking_error_annual * 100:.1f} %",
            f"{r.median_abs_daily_log_err * 100:.3f} %",
            f"{r.max_abs_log_gap * 100:.1f} %",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


@pytest.fixture(scope="module")
def runs(shared_data: Path) -> dict[str, Any]:
    return {label: _run(shared_data, args) for label, args in ACCOUNTS}


@pytest.fixture(scope="module")
def backfill(shared_data: Path) -> Any:
    from gaemi.app.account import backfill_error_table

    return backfill_error_table(shared_data, BACKFILL)


def print_tables(data: str = "../shared/data") -> None:  # pragma: no cover - a tool
    from gaemi.app.account import backfill_error_table

    print("\n".join(backfill_rows(backfill_error_table(Path(data), BACKFILL))))
    for label, args in ACCOUNTS:
        print(forward_row(label, _run(Path(data), args)))


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _flat() -> str:
    return " ".join(_text().split())


def _table_rows(first_cells: tuple[str, ...]) -> list[str]:
    return [
        ln.strip()
        for ln in _text().splitlines()
        if ln.startswith(tuple(f"| {c} |" for c in first_cells))
    ]


@pytest.mark.slow
def test_backfill_table_is_the_engines(backfill: Any) -> None:
    assert _table_rows(BACKFILL) == backfill_rows(backfill)
    # "spread 0.40 % from vol_params.yaml": the spread the table's runs used
    assert set(backfill["spread_annual"]) == {0.004}
    assert "spread 0.40 % from vol_params.yaml" in _flat()
    # the extra cost on the single-stock funds: the end error per year of their span
    per_year = [
        math.log1p(r.end_error_frac) / (r.days / 252) * 100
        for r in backfill.itertuples()
        if r.ticker in ("TSLL", "NVDL")
    ]
    want = f"~{min(per_year):.1f} and {max(per_year):.1f} %/yr of extra cost on TSLL/NVDL"
    assert want in _flat()


@pytest.mark.slow
def test_forward_table_is_the_engines(runs: dict[str, Any]) -> None:
    labels = tuple(label for label, _ in ACCOUNTS)
    want = [forward_row(label, runs[label]) for label in labels]
    got = [ln for ln in _text().splitlines() if ln.startswith(tuple(f"| {x} |" for x in labels))]
    assert got == want
    assert f"{PATHS:,} paths, `rng={SEED}`, embedded state" in _flat()


@pytest.mark.slow
def test_forward_reading_is_the_engines(runs: dict[str, Any]) -> None:
    text = _flat()
    res = list(runs.values())

    def end_pct(r: Any) -> float:
        return float(
            r.to_frame("forward").set_index("measure").loc["end_value", "realised_percentile"]
        )

    no_loan = [r for r in res if r.to_dict()["margin"] == 0]
    assert min(end_pct(r) for r in no_loan) > 0.99
    assert "the unlevered accounts ended above 99 % of the simulated paths" in text
    soxl_plain = runs["₩1.40억 SOXL, no loan, from 2020-01-02"]
    med = soxl_plain.to_frame("forward").set_index("measure").loc["end_value", "sim_p50"]
    assert f"(its median end for ₩1.40억 SOXL is {money(float(med), 'KRW')})" in text
    margin_soxl = [runs[label] for label, a in ACCOUNTS if a.get("margin") and "SOXL" in label]
    pcts = sorted(pct0(end_pct(r)).rstrip(" %") for r in margin_soxl)
    assert f"The margin accounts sit low ({pcts[0]}–{pcts[-1]} %)" in text
    probs = sorted(
        float(r.to_frame("forward").set_index("measure").loc["forced_sale", "sim_prob"])
        for r in margin_soxl
    )
    assert f"P(forced sale) of {probs[0] * 100:.0f}–{probs[-1] * 100:.0f} %" in text
    tn = runs["₩1.00억 TSLL + NVDL 50/50, 50 % loan, from 2024-07-01"]
    maint = {c["name"]: c["value"] for c in tn.to_dict()["choices"]}["maintenance_ratio"]
    assert float(tn.daily["ratio"].min()) >= maint
    assert f"(ratio never below {maint * 100:.0f} %: it had first tripled)" in text


@pytest.mark.slow
def test_checked_paragraph_is_the_engines(runs: dict[str, Any]) -> None:
    # the seed account of tests/app/test_account_replay.py (which checks its equity and
    # first call/sale against a plain loop); here the other figures the page quotes
    res = runs["₩1.40억 SOXL, 50 % loan, from 2024-07-01"]
    d = res.to_dict()
    ev = d["events"]
    calls = [e for e in ev if e["event"] == "margin_call"]
    first_ratio = re.search(r"ratio ([\d.]+)%", calls[0]["detail"])
    assert first_ratio is not None
    text = _flat()
    assert (
        f"the first margin call is **{d['first_margin_call']}** (ratio {first_ratio.group(1)} %)"
        in text
    )
    assert f"first forced sale **{d['first_forced_sale']}**" in text
    ruin = next(e for e in ev if e["event"] == "ruined")
    ruin_at = re.search(r"≤ (\d+)% of money in", ruin["detail"])
    assert ruin_at is not None
    assert f"is ruined (down {100 - int(ruin_at.group(1))} %) on {d['ruined_on']}" in text
    assert f"Ruin: equity ≤ {ruin_at.group(1)} % of the money put in" in text
    last_sale = [e for e in ev if e["event"] == "forced_sale"][-1]
    assert last_sale["detail"].startswith("100.0% of holdings")
    call_before = [e for e in calls if e["date"] < last_sale["date"]][-1]
    r = re.search(r"ratio ([\d.]+)%", call_before["detail"])
    assert r is not None
    assert (
        f"a forced sale on {last_sale['date']} (after the {call_before['date']} fall, ratio "
        f"{r.group(1)} %) sells everything: it ends owing {money(-d['end_equity_krw'], 'KRW')}."
    ) in text
    choices = {c["name"]: c["value"] for c in d["choices"]}
    maint = choices["maintenance_ratio"] * 100
    assert f"is a **margin call** ({maint:.0f} %, FACTS.md (d))" in text
    assert f"({choices['loan_rate_annual'] * 100:.0f} %/yr default: a judgement" in text
