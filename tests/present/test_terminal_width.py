"""Tables fit the terminal (issue 19): at ``COLUMNS=80`` and ``COLUMNS=100`` every help
example that prints a table has no table line wider than the terminal, no header or cell cut to
``…`` and no two identical headers in one table.

The examples are those of ``test_help_examples.py`` (every command's own, run on the
embedded data) minus the ones printing JSON/CSV or writing HTML; ``present.console.
print_table`` (used by ``cli.common.emit``, ``gaemi validate`` and the report's terminal
output) is what makes them fit (transposed or one record per block when the columns do
not fit).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from rich.cells import cell_len
from test_help_examples import examples  # tests/present is on sys.path (rootdir conftest)

from gaemi.present.cli import main
from gaemi.present.cli.common import format_krw, format_number

#: Characters that only a table draws (prose lines soft-wrap in the terminal and are not
#: checked for width; Rich wraps titles and captions itself).
BOX = set("┃│━─┏┓┗┛┡┩┼╇╈╋└┘┌┐├┤┬┴")

#: Each command's default view, besides its help examples (the issue's cases: the bare
#: stress table cut 11 of 17 headers; decay's summary showed five `prob_los…` columns).
DEFAULTS = [
    "gaemi stress",
    "gaemi flows",
    "gaemi cascade",
    "gaemi decay --ticker TQQQ --view summary",
    "gaemi crypto --shock BTC=-10%",
]
TABLE_EXAMPLES = DEFAULTS + [
    c for c in examples() if not any(x in c for x in ("--format json", "--format csv", "--html"))
]


def header_cells(out: str) -> list[list[str]]:
    """The header cells of each Rich table in ``out`` (the ``┃ a ┃ b ┃`` lines; a header
    on two lines is joined cell by cell)."""
    tables: list[list[str]] = []
    current: list[str] | None = None
    for line in out.splitlines():
        if line.lstrip().startswith("┃"):
            cells = [c.strip() for c in line.strip().strip("┃").split("┃")]
            if current is None:
                current = cells
            else:
                current = [f"{a} {b}".strip() for a, b in zip(current, cells, strict=False)]
        elif current is not None:
            tables.append(current)
            current = None
    return tables


@pytest.mark.parametrize("columns", [80, 100, 120])
@pytest.mark.parametrize("cmd", TABLE_EXAMPLES)
def test_table_fits_terminal(
    cmd: str,
    columns: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", str(columns))
    rc = main(shlex.split(cmd)[1:])
    out, err = capsys.readouterr()
    assert rc in ((0, 11, 12, 13, 14) if "monitor" in cmd else (0,)), err
    wide = [ln for ln in out.splitlines() if cell_len(ln) > columns and BOX & set(ln)]
    assert not wide, f"{len(wide)} lines wider than {columns}: {wide[0]!r}"
    # a table wider than the console is cropped by Rich (text lost) while every line still
    # measures `columns`: a row that starts with a border must end with one
    cropped = [
        ln for ln in out.splitlines() if ln.startswith("│") and not ln.rstrip().endswith("│")
    ]
    assert not cropped, f"{len(cropped)} cropped table lines: {cropped[0]!r}"
    assert "…" not in out, next(ln for ln in out.splitlines() if "…" in ln)
    for headers in header_cells(out):
        named = [h for h in headers if h]
        assert len(named) == len(set(named)), f"duplicated headers: {headers}"


def test_format_krw_house_style() -> None:
    # 1조 = 10^12, 1억 = 10^8, 1만 = 10^4 (Korean number units); one token, no space
    assert format_krw(-2.2151e13) == "-₩22.15조"
    assert format_krw(1.514e11) == "₩1,514억"
    assert format_krw(3.5e7) == "₩3,500만"
    assert format_krw(1234.0) == "₩1,234"
    assert format_krw(float("nan")) == "—"
    assert all(" " not in format_krw(v) for v in (-2.2151e13, 1.514e11, 3.5e7, 12.0))


def test_format_number_has_no_scientific_notation_for_amounts() -> None:
    # the investor drawdown view printed -1.184e+06 (issue 19)
    assert format_number(-1.184e6) == "-1,184,000"
    assert format_number(12.3456) == "12.35"
    assert format_number(0.123456) == "0.1235"
    assert format_number(3.2e-7) == "3.2e-07"
    assert "e" not in format_number(4.5e10)
