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

import re
import shlex
from pathlib import Path

import pytest
from rich.cells import cell_len
from test_help_examples import examples  # tests/present is on sys.path (rootdir conftest)

from gaemi.present.cli import main
from gaemi.present.cli.common import format_krw, format_number
from gaemi.present.console import format_money

#: Characters that only a table draws (prose lines soft-wrap in the terminal and are not
#: checked for width; Rich wraps titles and captions itself).
BOX = set("┃│━─┏┓┗┛┡┩┼╇╈╋└┘┌┐├┤┬┴")

#: Each command's default view, besides its help examples (the issue's cases: the bare
#: stress table cut 11 of 17 headers; decay's summary showed five `prob_los…` columns).
DEFAULTS = [
    "gaemi stress",
    "gaemi flows",
    "gaemi cascade",
    "gaemi cascade --view steps",
    "gaemi cascade --view paths",
    "gaemi cascade --view bands --draws 500",
    "gaemi cascade --view attribution",
    "gaemi cascade --view fuse",
    "gaemi decay --ticker TQQQ",
    "gaemi decay --ticker TQQQ --view summary",
    "gaemi investor --capital 140M --position SOXL=1 --paths 2000",
    # the drawdown view printed -1.184e+06 (issue 19)
    "gaemi investor --capital 140M --position SOXL=1 --paths 2000 --view drawdown",
    "gaemi crypto --shock BTC=-10%",
    "gaemi monitor --once",
    "gaemi report",
    "gaemi data clock",
]
TABLE_EXAMPLES = DEFAULTS + [
    c for c in examples() if not any(x in c for x in ("--format json", "--format csv", "--html"))
]


#: Default views that need the real history (``{data}`` = ../shared/data) or a store
#: (``{db}``: SOXX, SOXL and USD/KRW imported from it): run at 80 and 100 columns.
DATA_VIEWS = [
    "gaemi history --from 2024-07-01 --to 2024-09-30 --data-dir {data}",
    "gaemi history --from 2024-01-01 --events --data-dir {data}",
    "gaemi history --from 2024-01-01 --stats --data-dir {data}",
    "gaemi report --data-dir {data} --date 2025-04-04",
    "gaemi validate --data-dir {data}",
    "gaemi investor --replay --from 2024-07-01 --capital 140M -p SOXL=1 --data-dir {data}",
    "gaemi data list --db {db}",
    "gaemi data status --db {db}",
    "gaemi data check --db {db}",
    "gaemi data calibrate --db {db}",
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
@pytest.mark.parametrize("cmd", list(dict.fromkeys(TABLE_EXAMPLES)))
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
    check_fits(out, columns, prose="monitor" not in cmd)


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two price series and one macro series of ../shared/data."""
    db = tmp_path_factory.mktemp("store") / "gaemi.duckdb"
    prices = [shared_data / "us-adjclose-1993-2026" / f"{s}.csv" for s in ("SOXX", "SOXL")]
    args = ["data", "import", *map(str, prices), "--kind", "prices", "--db", str(db)]
    assert main(args) == 0
    fx = shared_data / "fx-daily" / "DEXKOUS.csv"
    macro = ["--kind", "macro", "--unit", "KRW per USD", "--db", str(db)]
    assert main(["data", "import", str(fx), *macro]) == 0
    return db


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize("cmd", DATA_VIEWS)
def test_data_view_fits_terminal(
    cmd: str,
    columns: int,
    shared_data: Path,
    store: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The views that need the real history or a store: history (flows, --events,
    --stats), the report of a past day with every section, validate, the investor
    replay and the store's list/status/check/calibrate."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", str(columns))
    capsys.readouterr()
    rc = main(shlex.split(cmd.format(data=shared_data, db=store))[1:])
    out, err = capsys.readouterr()
    # validate exits 1 when a scored line fails: the layout is still checked
    assert rc in ((0, 1) if "validate" in cmd else (0,)), err
    check_fits(out, columns, prose="monitor" not in cmd)


def check_fits(out: str, columns: int, *, prose: bool = True) -> None:
    """No line wider than ``columns`` (tables, and sentences unless ``prose`` is False: the
    monitor's log lines are one event per line by design), none cropped, nothing cut to
    ``…``, no two identical headers in one table."""
    wide = [ln for ln in out.splitlines() if cell_len(ln) > columns and (prose or BOX & set(ln))]
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
        # human headers with their unit (gaemi.units.column_header), never a machine name
        # (`flow_usd`, `final_move_frac`: the JSON/CSV keys)
        machine = [h for h in named if re.fullmatch(r"[A-Za-z0-9]+(_[A-Za-z0-9]+)+", h)]
        assert not machine, f"machine names as headers: {machine}"


def test_format_krw_house_style() -> None:
    # 1조 = 10^12, 1억 = 10^8, 1만 = 10^4 (Korean number units); one token, no space
    assert format_krw(-2.2151e13) == "-₩22.15조"
    assert format_krw(1.514e11) == "₩1,514억"
    assert format_krw(3.5e7) == "₩3,500만"
    assert format_krw(1234.0) == "₩1,234"
    # at least three significant figures: ₩140,000,000 was "₩1억" (a 29% rounding)
    assert format_krw(1.4e8) == "₩1.40억"
    assert format_krw(4.5e9) == "₩45.0억"
    assert format_krw(150_000.0) == "₩150,000"
    assert format_money(1.4e8, "KRW") == "₩1.40억"
    assert format_money(13_000.0, "USD") == "$13.0k"
    assert format_krw(float("nan")) == "—"
    assert all(" " not in format_krw(v) for v in (-2.2151e13, 1.514e11, 3.5e7, 12.0))


def test_format_number_has_no_scientific_notation_for_amounts() -> None:
    # the investor drawdown view printed -1.184e+06 (issue 19)
    assert format_number(-1.184e6) == "-1,184,000"
    assert format_number(12.3456) == "12.35"
    assert format_number(0.123456) == "0.1235"
    assert format_number(3.2e-7) == "3.2e-07"
    assert "e" not in format_number(4.5e10)


#: Hand-made money text: a won or dollar formatter of its own, or an amount divided by hand
#: into 만/억/조/tn or B/M/T next to its currency sign.
OWN_MONEY = [
    r"def (format_krw|format_money|format_usd|_krw|_won|_usd_text)\b",
    r"/ ?1e(4|8|12)[^\n]*(조|억|만)",
    r"₩\{[^}]*/ ?1e(4|8|12)\b",
    r"\$\{[^}]*/ ?1e(3|6|9|12)\b",
    r"/ ?1e(6|9|12)[^}]*\}[BMT]? ?USD",
]
#: Files still writing money by hand, each with who routes it through ``gaemi.units``.
OWN_MONEY_PENDING = {
    "app/report.py": "issue 19: the report text's engineer (₩…tn, $…B)",
    "data/live/funds.py": "a loader's progress line (AUM 38.207B USD, tests/data/test_live.py)",
    "data/live/nav.py": "a loader's progress line (AUM 38.207B USD, tests/data/test_live.py)",
    "present/report/charts.py": "a chart axis scaled to 조 (a unit of the axis, not a text)",
}


def own_money_formatters() -> list[str]:
    """Modules of ``gaemi`` (``gaemi/units.py`` aside) that write money their own way."""

    import gaemi

    root = Path(gaemi.__file__).parent
    own = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name == "units.py":
            continue
        text = path.read_text(encoding="utf-8")
        if any(re.search(p, text) for p in OWN_MONEY):
            own.append(name)
    return own


def test_one_money_formatter_in_the_package() -> None:
    """Every module writes money through ``gaemi.units`` (issue 19: Korean won was written
    four ways — ``₩19.4tn``, ``22조 1,514억 원``, ``₩140,000,000 (₩1.40억)``, ``₩22.15조``);
    none keeps its own 조/억/만, tn or B/M formatter."""
    own = [n for n in own_money_formatters() if n not in OWN_MONEY_PENDING]
    assert not own, f"own money formatter in {own}"


def test_own_money_check_finds_a_hand_made_amount(tmp_path: Path) -> None:
    """The check above catches the forms it was written for (it can fail)."""

    for line in (
        'f"₩{v / 1e12:.1f}tn"',
        'f"{v / 1e8:.2f}억"',
        'f"${v / 1e9:.2f}B"',
        'f"{v / 1e9:.1f}B USD"',
        "def format_usd(value):",
    ):
        assert any(re.search(p, line) for p in OWN_MONEY), line
    for line in ('f"{format_krw(v)} on {day}"', 'f"{share:.0%} of AUM"', "x / 1e9 * 2"):
        assert not any(re.search(p, line) for p in OWN_MONEY), line
