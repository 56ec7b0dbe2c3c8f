"""docs/history.md holds (issue 19 item 7): the AUM-reconstruction check and the two
creations tables are the output of ``scripts/fund_history_tables.py`` (gaemi.data.fund_history
on ../shared/data, nothing fitted there), run here and compared with the page, with the
figures the text draws from them. Skipped without ../shared/data (slow: ~12 s).
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
    import contextlib
    import io

    sys.path.insert(0, str(ROOT / "scripts"))
    import fund_history_tables as script

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        script.main(shared_data)
    out: dict[str, list[str]] = {}
    for block in ("\n" + buf.getvalue()).split("\n## ")[1:]:
        title, _, body = block.partition("\n")
        rows = [ln for ln in body.splitlines() if ln.startswith("| ")]
        out[title.strip()] = [r for r in rows[1:] if not r.startswith("|---")]
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
