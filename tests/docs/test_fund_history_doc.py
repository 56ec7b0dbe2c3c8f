"""docs/history.md holds (issue 19 item 7): the AUM-reconstruction check and the two
creations tables are those ``scripts/fund_history_tables.py`` prints (gaemi.data.fund_history
on ../shared/data, nothing fitted there), built here from the same calls with the script's own
formatting helpers and compared with the page, with the figures the text draws from them.
The script's other sections (the NAV tables of docs/decay.md, the stress-day totals of a
replay from 2018: ~15 s) are not used by this page and not run here. Skipped without
../shared/data.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "history.md"


@pytest.fixture(scope="module")
def tables(shared_data: Path) -> dict[str, list[str]]:
    """The rows of the script's sections "AUM check", "Creations on same-day and lagged
    index moves" and "Creations on the stress days", as ``main`` prints them."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import fund_history_tables as script

    from gaemi.data import fund_history as fh

    pct, usd_b = script.pct, script.usd_b
    c = fh.aum_replay_check(shared_data)
    out: dict[str, list[str]] = {
        "AUM check": [
            f"| {k} | {c[k]['median_abs_err']:.4f} | {c[k]['p95_abs_err']:.4f} | "
            f"{c[k]['max_abs_err']:.4g} |"
            for k in ("interpolated", "plain_carry", "reported")
        ]
    }
    reg = []
    terms = ("move_lag0", "move_lag1", "move_lag2", "move_lag3", "cumulative")
    for tk, g in fh.creations_table(shared_data).groupby("ticker", sort=False):
        d = g.set_index("term")
        cells = [
            f"{d.loc[k, 'coef_frac_per_move']:+.2f} [{d.loc[k, 'ci_nw_low']:+.2f}, "
            f"{d.loc[k, 'ci_nw_high']:+.2f}]".replace("-", "−")
            for k in terms
        ]
        reg.append(f"| {tk} | " + " | ".join(cells) + f" | {int(d['n_obs'].iloc[0])} |")
    out["Creations on same-day and lagged index moves"] = reg
    out["Creations on the stress days"] = [
        f"| {x['date']} | {x['underlying']} | {pct(x['index_move_frac'], 2)} | "
        f"${x['aum_prev_usd'] / 1e9:.1f}B | {usd_b(x['rebalance_flow_usd'])} | "
        f"{usd_b(x['net_creations_usd'])} | {usd_b(x['creation_trade_usd'])} | "
        f"{usd_b(x['creation_trade_next_day_usd'])} | {pct(x['offset_same_day_frac'], 0)} | "
        f"{pct(x['offset_two_days_frac'], 0)} |"
        for x in fh.stress_day_creations(shared_data).to_dict("records")
    ]
    return out


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _flat() -> str:
    return " ".join(_text().split())


def _section(title: str) -> str:
    return _text().split(title, 1)[1].split("\n## ", 1)[0]


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


@pytest.mark.slow
def test_creations_tables_are_the_scripts(tables: dict[str, list[str]]) -> None:
    part = _section("## Creations and redemptions, measured")
    reg = tables["Creations on same-day and lagged index moves"]
    funds = tuple(_cells(r)[0] for r in reg)
    got = [
        ln.strip() for ln in part.splitlines() if ln.startswith(tuple(f"| {f} |" for f in funds))
    ]
    assert got == reg
    days = tables["Creations on the stress days"]
    got_days = [
        ln.strip()
        for ln in part.splitlines()
        if re.match(r"\| 20\d\d-\d\d-\d\d \| (NDX|SPX) \|", ln)
    ]
    assert got_days == days
    # the text: the worked example of the coefficients and the 2025-10-10 NDX signs
    coef = {_cells(r)[0]: float(_cells(r)[1].split()[0].replace("−", "-")) for r in reg}
    text = _flat()
    # [L(L−1) + L·β]·A·r with β the same-day coefficient: TQQQ L = 3, SQQQ L = −3
    tq, sq = 6 + 3 * coef["TQQQ"], 12 - 3 * coef["SQQQ"]

    def m(s: str) -> str:
        return s.replace("-", "−")

    tq_text = (
        f"TQQQ 6 − 3·{abs(coef['TQQQ']):.2f} = {tq:.1f} instead of 6 ({(tq / 6 - 1) * 100:+.0f} %)"
    )
    assert m(tq_text) in text
    sq_text = f"SQQQ 12 − 3·{coef['SQQQ']:.2f} = {sq:.1f} ({(sq / 12 - 1) * 100:+.0f} %)"
    assert m(sq_text) in text
    row = {(_cells(r)[0], _cells(r)[1]): _cells(r) for r in days}
    ndx = row[("2025-10-10", "NDX")]
    assert f"(2025-10-10 NDX: {ndx[5]} net, yet {ndx[6]} of exposure)" in text
    spx9 = row[("2025-04-09", "SPX")]
    assert f"creations *added* to the buying (SPX: {spx9[8].replace('−', '+')})" in text
    # 2020 and 2022: the offsets, same day and over two days
    early = [
        abs(int(c.strip(" %").replace("−", "-")))
        for k, r in row.items()
        if k[0] < "2023"
        for c in (r[8], r[9])
    ]
    assert f"they hardly mattered (±{min(early)}–{max(early)} %)" in text


@pytest.mark.slow
def test_aum_check_is_the_scripts(tables: dict[str, list[str]]) -> None:
    rows = {
        _cells(r)[0]: [float(x) for x in _cells(r)[1:]]
        for r in next(v for k, v in tables.items() if k.startswith("AUM check"))
    }
    part = _section("## AUM: where each day's A_{t−1} comes from")

    def pct(v: float, d: int) -> str:
        return f"{v * 100:.{d}f} %"

    i, c = rows["interpolated"], rows["plain_carry"]
    assert f"| **{pct(i[0], 2)}** | **{pct(i[1], 1)}** | {pct(i[2], 1)} |" in part
    assert f"| {pct(c[0], 2)} | {pct(c[1], 1)} | {pct(c[2], 1)} |" in part
