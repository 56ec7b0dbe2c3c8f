"""The application layer's, the monitor's, the report's and the web's texts write percents
by gaemi.units (one rule: a move signed by :func:`~gaemi.units.format_frac`, a share, a
probability, a volatility or a rate by :func:`~gaemi.units.format_percent`), never by an
f-string of their own."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from gaemi import units

SRC = Path(__file__).resolve().parents[2] / "src" / "gaemi"
#: The modules whose texts moved to gaemi.units (app/stress.py and app/contagion.py are
#: another piece of work; the CLI another face's).
PROSE = [
    *(
        SRC / "app" / f"{m}.py"
        for m in (
            "account", "crypto", "decay", "flows", "investor", "report", "status", "sweep",
            "validate",
        )
    ),
    *sorted((SRC / "monitor").glob("*.py")),
    *sorted((SRC / "present" / "report").glob("*.py")),
    *sorted((SRC / "present" / "web").rglob("*.py")),
]  # fmt: skip
#: A percent or a dollar amount formatted by an f-string of its own: {x:+.2%}, {x:.0%},
#: {x * 100:.1f}%, ${x / 1e9:.1f}B (format_usd writes money).
OWN_PERCENT = re.compile(
    r"\{[^{}]*:\+?[,]?\.\d+%\}|\{[^{}]*100[^{}]*:\+?\.\d+f\}\s?%"
    r"|\$\{[^{}]*/\s*1e(?:3|6|9|12)\b[^{}]*\}[kMBT]"
)


@pytest.mark.parametrize("path", PROSE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_percent_of_its_own(path: Path) -> None:
    found = [
        f"{path.name}:{i}: {line.strip()}"
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OWN_PERCENT.search(line)
    ]
    assert not found, "\n".join(found)


def test_the_guard_sees_an_own_percent() -> None:
    # the pattern above finds the forms it is there to keep out
    for text in ('f"{x:+.2%}"', 'f"{share:.0%}"', 'f"{v * 100:.1f}%"', 'f"${v / 1e9:.1f}B"'):
        assert OWN_PERCENT.search(text), text
    assert not OWN_PERCENT.search('f"{format_frac(x)}"')


def test_format_percent_is_an_unsigned_percent() -> None:
    # 0.43 × 100 = 43.0 % (one decimal, as the cell of a share column)
    assert units.format_percent(0.43) == "43.0%"
    assert units.format_percent(0.43) == units.format_cell("korean_share_frac", 0.43)
    # a rate a year to the basis point: 0.0435 × 100 = 4.35 %
    assert units.format_percent(0.0435, decimals=units.RATE_DECIMALS) == "4.35%"
    assert units.format_percent(0.05, decimals=0) == "5%"
    # a negative figure keeps its minus, a zero has no sign (never -0.0%), no plus ever
    assert units.format_percent(-0.012) == "-1.2%"
    assert units.format_percent(-1e-5) == "0.0%"
    assert units.format_percent(0.2) == "20.0%"
    for bad in (None, math.nan, math.inf):
        assert units.format_percent(bad) == "—"


def test_format_frac_and_change_take_decimals() -> None:
    assert units.format_frac(-0.05) == units.format_frac(-0.05, decimals=2) == "-5.00%"
    # a funding rate per 8 h: 0.0001 × 100 = 0.0100 %
    assert units.format_frac(0.0001, decimals=4) == "+0.0100%"
    assert units.format_frac(0.2243, decimals=0) == "+22%"
    assert units.format_frac(-0.004, decimals=0) == "0%"  # rounds to zero: no sign
    # a change in percentage points in whole basis points: 0.25 pp = 25 bp
    assert units.format_change(0.25, "pp", decimals=0) == "+25 bp"
    assert units.format_change(0.25, "pp") == "+25.00 bp"
    assert units.format_change(-0.031, "frac", decimals=1) == "-3.1%"
