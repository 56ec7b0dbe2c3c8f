"""Shared pieces of the command line: parsing moves and money, printing results, errors.

Conventions every command follows: moves are read from ``-5%`` or ``-0.05`` and the
command says on stderr which it read; ``--format table|json|csv``; JSON is a list of
records whose keys carry units (``move_frac``, ``flow_usd`` …); bad input exits with
code 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gaemi.app.result import records
from gaemi.errors import (
    GaemiInputError,
    check_above_minus_100,
    check_choice,
    check_known_name,
    given_twice,
    quoted,
)
from gaemi.limits import MAX_MOVE_FRAC
from gaemi.present.console import (
    BLOCK_ROWS,
    NBSP,
    WRAP_TEXT_OVER,
    has_width,
    print_table,
    terminal_width,
)
from gaemi.units import (
    format_cell,
    format_frac,
    format_krw,
    format_number,
    format_usd,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.text import Text

    from gaemi.data.state import MarketState

__all__ = [  # re-exported (gaemi.errors, gaemi.units, app.result, present.console) for the commands
    "BLOCK_ROWS",
    "NBSP",
    "WRAP_TEXT_OVER",
    "check_choice",
    "format_cell",
    "format_frac",
    "format_krw",
    "format_number",
    "format_usd",
    "records",
    "terminal_width",
]


class OutputFormat(StrEnum):
    """How a command prints its result."""

    table = "table"
    json = "json"
    csv = "csv"


# ---------------------------------------------------------------- options shared by commands
# Declared once; each is a list so that a repeat can be refused (:func:`single`). Use as
# ``db: DbOption = None`` and read with ``single(db, "--db")`` or :func:`state_from_options`.
#: ``--db STORE``: the market state from a DuckDB store, as of ``--date``.
DbOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--db",
        metavar="STORE",
        help="Build the market state from this DuckDB store (`gaemi data import`) as of "
        "--date: prices up to that day only.",
    ),
]
#: ``--data-dir FOLDER``: the market state from a folder laid out like ../shared/data.
DataDirOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--data-dir",
        metavar="FOLDER",
        help="Build the market state from a folder laid out like ../shared/data (instead of --db).",
    ),
]
#: ``--date YYYY-MM-DD``: the day of the market state (nothing later is used).
DateOption = Annotated[
    list[str] | None,
    typer.Option(
        "--date",
        metavar="YYYY-MM-DD",
        help="The day (default: today, UTC); nothing dated after it is used.",
    ),
]
#: ``--format table|json|csv``.
FormatOption = Annotated[
    list[OutputFormat] | None,
    typer.Option("--format", "-f", metavar="table|json|csv", help="Output format (table)."),
]
#: ``--seed SEED``.
SeedOption = Annotated[
    list[int] | None,
    typer.Option("--seed", metavar="SEED", help="Random seed (same seed, same numbers; 0)."),
]
#: ``--korean-aum USD``: a what-if total of Korean holdings of the 3x funds.
KoreanAumOption = Annotated[
    list[str] | None,
    typer.Option(
        "--korean-aum",
        metavar="USD",
        help="What-if: Korean holdings of the 3x funds total this (USD, e.g. 45e9).",
    ),
]


def state_from_options(
    db: list[Path] | Path | None,
    data_dir: list[Path] | Path | None = None,
    date: list[str] | str | dt.date | None = None,
    *,
    universe: Path | None = None,
) -> MarketState:
    """The market state for ``--db``/``--data-dir``/``--date`` (each given at most once)
    and ``--universe FILE``; the loader's warnings are printed as ``note:`` lines."""
    from gaemi.app.state import load_state

    one_db = single(db, "--db") if isinstance(db, list) else db
    one_dir = single(data_dir, "--data-dir") if isinstance(data_dir, list) else data_dir
    one_date = single(date, "--date") if isinstance(date, list) else date
    state = load_state(db=one_db, data_dir=one_dir, as_of=one_date, universe=universe)
    note_lines(state.warnings)
    return state


_MONEY_SUFFIX = {
    "": 1.0,
    "k": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "t": 1e12,
    "tn": 1e12,
}
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"

#: Largest amount ``parse_money`` reads, in the stated currency (1e15: a thousand trillion;
#: every market figure gaemi uses is far below it, so anything above is a typo and would
#: only overflow the engines to inf).
MAX_MONEY = 1e15
#: Most points a ``START:STOP:STEP`` grid may have (the flow engine's own limit).
MAX_GRID_POINTS = 100_001


def readable(value: float) -> str:
    """A number for an error message: ``1e+308``, ``-0.05``, ``4.5e+10`` — never a repr."""
    return f"{float(value):.6g}"


def _refuse_non_finite(text: str, name: str, strip: str = "%") -> None:
    """``nan``, ``inf``, ``-inf%`` … are numbers Python reads but no input may be: say so."""
    s = str(text).strip().replace(" ", "").replace(",", "").replace("_", "").strip(strip)
    try:
        v = float(s)
    except ValueError:
        return
    if not math.isfinite(v):
        raise GaemiInputError(f"{name} = {text!r} must be a finite number")


def parse_number(text: str, name: str, what: str = "a number") -> float:
    """A finite number from ``1.4``, ``-0.3`` or ``140%`` (the percent divided by 100).

    ``what`` names the expected kind in the error (``is not a ratio (write 140% or 1.4)``).
    NaN and infinities are refused as such: ``vol = 'nan' must be a finite number``.
    """
    s = str(text).strip()
    try:
        v = float(s[:-1]) / 100.0 if s.endswith("%") else float(s)
    except ValueError:
        raise GaemiInputError(f"{name} = {text!r} is not {what}") from None
    if not math.isfinite(v):
        raise GaemiInputError(f"{name} = {text!r} must be a finite number")
    return v


def parse_positive_number(text: str, name: str) -> float:
    """A number > 0 read by :func:`parse_number` (``0.5``, ``50%``):
    ``--liquidity-scale = '0' must be > 0``."""
    v = parse_number(text, name)
    if not v > 0:
        raise GaemiInputError(f"{name} = {text!r} must be > 0")
    return v


def _checked_float(value: float | None, option: str, *, allow_inf: bool = False) -> float | None:
    """A float option's value with NaN refused as such, and inf too unless ``allow_inf``:
    ``--margin = nan must be a finite number``, ``--half-life = nan must be a number, not
    NaN`` (the words of :func:`finite_option`, :func:`not_nan_option` and
    :func:`single_float`)."""
    if value is not None and (math.isnan(value) or (math.isinf(value) and not allow_inf)):
        what = "a number, not NaN" if allow_inf else "a finite number"
        raise GaemiInputError(f"{option} = {value!r} must be {what}")
    return value


def finite_option(param: typer.CallbackParam, value: float | None) -> float | None:
    """Typer callback for a float option: ``nan`` and ``inf`` are refused as such.

    Typer reads ``--margin nan`` as a float; without this the NaN reaches a range check
    and the error says ``must be >= 0``, which hides what is wrong.
    """
    return _checked_float(value, param.opts[0])


def not_nan_option(param: typer.CallbackParam, value: float | None) -> float | None:
    """Typer callback for a float option where ``inf`` means something (``--half-life``)."""
    return _checked_float(value, param.opts[0], allow_inf=True)


def parse_positive_frac(text: str, name: str) -> float:
    """A vol or rate from ``45%`` or ``0.45`` (>= 0); a bare number above 5 is ambiguous."""
    s = str(text).strip()
    v = parse_number(text, name)
    if not s.endswith("%") and abs(v) > 5:
        raise GaemiInputError(f"{name} = {text!r} is ambiguous: write {v:g}% or a fraction")
    if v < 0:
        raise GaemiInputError(f"{name} = {text!r} must be >= 0")
    return v


def parse_move(text: str, name: str = "move") -> float:
    """Read a move from ``-5%`` (percent) or ``-0.05`` (fraction); returns the fraction.

    A bare number with an absolute value above 1 is refused as ambiguous (``-5`` could
    mean −5 % or −500 %): write ``-5%``. NaN and infinities are refused as such.
    """
    _refuse_non_finite(text, name)
    s = str(text).strip().replace(" ", "")
    m = re.fullmatch(rf"({_NUMBER})(%?)", s)
    if not m:
        raise GaemiInputError(f"{name} = {text!r} is not a move (write -5% or -0.05)")
    value = float(m.group(1))
    if m.group(2):
        value /= 100.0
    elif abs(value) > 1.0:
        raise GaemiInputError(
            f"{name} = {text!r} is ambiguous: write {value:g}% for a percent or a fraction "
            "between -1 and 1"
        )
    if value < -1.0:
        raise GaemiInputError(f"{name} = {text!r} is below -100% (a price cannot go negative)")
    if value > MAX_MOVE_FRAC:
        raise GaemiInputError(
            f"{name} = {_short(text)} is above +{MAX_MOVE_FRAC:.0%} (a move is at most "
            f"+{MAX_MOVE_FRAC:.0%} in a day)"
        )
    return value


def _short(text: str, limit: int = 40) -> str:
    """The user's text quoted for an error, cut if absurdly long (a 300-digit number)."""
    return quoted(str(text), limit)


def describe_move(text: str, value: float) -> str:
    """The note a command prints about how it read a move."""
    unit = "percent" if str(text).strip().endswith("%") else "fraction"
    return f"read {text} as {unit}: move_frac = {value:+.6g} ({format_frac(value)})"


@dataclass(frozen=True)
class NamedMove:
    """One ``NAME=MOVE[@DAY]`` item of ``--move``, ``--at`` or ``--shock``."""

    name: str
    move_frac: float
    day: int
    text: str  # the item as given, e.g. "ndx=-3%"
    move_text: str  # its MOVE part, e.g. "-3%"


def parse_named_moves(
    items: Iterable[str] | None,
    option: str,
    *,
    what: str = "UNDERLYING",
    example: str = "NDX=-3%",
    names: Collection[str] | None = None,
    with_day: bool = False,
    above_minus_100: bool = False,
    upper: bool = True,
    read_note: bool = True,
) -> list[NamedMove]:
    """Read the ``NAME=MOVE`` items of one option: the one parser and the one wording of
    ``report``/``monitor --move``, ``flows --at``, ``crypto --shock`` and ``cascade --shock``.

    Each item is checked in this order, every error one line naming the option and the
    value (``option`` is e.g. ``--shock``, ``what`` the kind of name, ``NODE``):

    * its form — ``--shock = 'SOX' must be NODE=MOVE[@DAY], e.g. NDX=-5%``;
    * its move, by :func:`parse_move` named ``{option} {NAME}`` —
      ``--shock SOX = 'abc' is not a move (write -5% or -0.05)``; with ``above_minus_100``
      a move of -100 % is refused too (``--shock BTC = '-100%' must be above -100%``);
    * its day (``with_day``: ``NAME=MOVE@DAY``, DAY a whole number >= 0, 0 when left out)
      — ``--shock SOX day = '-1' must be a whole number >= 0 (NODE=MOVE@DAY)``;
    * its name, when ``names`` are given (case-insensitive) —
      ``--move = 'QQQ=-1%': UNDERLYING must be one of NDX, SOX``;
    * a name given twice (on the same day) — ``--move NDX is given twice (NDX=-3%,
      ndx=-1%); give one move per underlying``.

    The move is read before the name, so the same bad move reads the same on every option
    whatever name it carries. Names are upper-cased when ``upper`` (else kept as typed).
    With ``read_note`` each move's reading is noted once every item has passed
    (``read -3% as percent: move_frac = -0.03 (-3.00%) for NDX``, ``… on day 1``).
    """
    form = f"{what}=MOVE[@DAY]" if with_day else f"{what}=MOVE"
    out: list[NamedMove] = []
    seen: dict[tuple[str, int], str] = {}
    for item in items or []:
        raw, sep, rest = str(item).partition("=")
        name = raw.strip()
        if not sep or not name:
            raise GaemiInputError(f"{option} = {_short(item)} must be {form}, e.g. {example}")
        name = name.upper() if upper else name
        move_text, at, day_text = rest.partition("@") if with_day else (rest, "", "")
        move = parse_move(move_text, f"{option} {name}")
        if above_minus_100:
            check_above_minus_100(move, f"{option} {name}", given=str(move_text))
        day = 0
        if at:
            if not day_text.strip().isdigit():
                raise GaemiInputError(
                    f"{option} {name} day = {_short(day_text)} must be a whole number >= 0 "
                    f"({what}=MOVE@DAY)"
                )
            day = int(day_text)
        if names is not None:  # as the market or graph spells it
            name = check_known_name(name, names, option, what, given=str(item))
        key = (name.upper(), day)
        if key in seen:
            per = (
                f"{what.lower()} and day ({what}=MOVE@DAY for later days)"
                if with_day
                else (what.lower())
            )
            raise given_twice(
                option, name, seen[key], str(item).strip(), per, day if with_day else None
            )
        seen[key] = str(item).strip()
        out.append(NamedMove(name, move, day, str(item), move_text))
    if read_note:
        for m in out:
            on_day = f" on day {m.day}" if with_day else ""
            note_read(describe_move(m.move_text, m.move_frac) + f" for {m.name}{on_day}")
    return out


def parse_move_grid(text: str, name: str = "moves") -> tuple[float, float, float]:
    """Read ``START:STOP:STEP`` (each ``-5%`` or ``-0.05``) into fractions."""
    parts = str(text).split(":")
    if len(parts) != 3:
        raise GaemiInputError(f"{name} = {text!r} must be START:STOP:STEP, e.g. -10%:10%:1%")
    start = parse_move(parts[0], f"{name} start")
    stop = parse_move(parts[1], f"{name} stop")
    step_text = parts[2].lstrip("+")
    step = parse_move(step_text, f"{name} step")
    if step <= 0:
        raise GaemiInputError(f"{name} step = {parts[2]!r} must be > 0")
    points = abs(stop - start) / step + 1.0
    if not points <= MAX_GRID_POINTS + 1e-6:
        many = (
            "too many points"
            if not math.isfinite(points)
            else f"{points:,.0f} points"
            if points < 1e12
            else f"{points:.3g} points"
        )
        raise GaemiInputError(
            f"{name} = {_short(text)} would give {many}; at most {MAX_GRID_POINTS} are "
            "allowed (use a larger STEP)"
        )
    return start, stop, step


def check_count(value: int | None, option: str, hint: str = "") -> int | None:
    """A count option (``--top``, ``--workers`` …) must be a whole number >= 1 when given.

    ``None`` (the option left out) passes through; 0 and negatives are refused with one
    line naming the option and the value, e.g. ``--top = -3 must be >= 1``.
    """
    if value is not None and value < 1:
        raise GaemiInputError(f"{option} = {value} must be >= 1" + (f" ({hint})" if hint else ""))
    return value


def parse_money(text: str, name: str = "amount", *, maximum: float = MAX_MONEY) -> float:
    """Read an amount: ``45e9``, ``45B``, ``45bn``, ``$1.2T``, ``700M``, ``45_000_000_000``.

    Amounts whose size exceeds ``maximum`` (default :data:`MAX_MONEY`, 1e15) are refused
    with one line naming ``name`` and the text, so no overflow to inf reaches an engine.
    """
    _refuse_non_finite(text, name, strip="$")
    s = str(text).strip().replace(",", "").replace("_", "").lstrip("$")
    m = re.fullmatch(rf"({_NUMBER})\s*([A-Za-z]*)", s)
    if not m or m.group(2).lower() not in _MONEY_SUFFIX:
        raise GaemiInputError(f"{name} = {text!r} is not an amount (write 45e9 or 45B)")
    value = float(m.group(1)) * _MONEY_SUFFIX[m.group(2).lower()]
    if not math.isfinite(value):
        raise GaemiInputError(f"{name} = {_short(text)} must be finite")
    if abs(value) > maximum:
        raise GaemiInputError(
            f"{name} = {_short(text)} is too large: amounts above {maximum:g} are refused"
        )
    return value


def parse_korean_aum(text: str, option: str = "--korean-aum") -> float:
    """``--korean-aum``: an amount in [0, $10T]; one message for every value outside it."""
    from gaemi.limits import MAX_AUM_USD

    # no maximum in parse_money: the range check below words both ends (and any size) alike
    v = parse_money(text, option, maximum=math.inf)
    if not 0.0 <= v <= MAX_AUM_USD:
        raise GaemiInputError(
            f"{option} = {_short(text)} must be between 0 and $10T ({MAX_AUM_USD:g} USD)"
        )
    return v


def writable_file(path: Path, option: str) -> Path:
    """An output file option: refused in one line when it is a folder or its folder is
    missing (checked before any work, so nothing is computed or half-written)."""
    if path.is_dir():
        raise GaemiInputError(f"{option} = {str(path)!r} is a directory: give a file name")
    if not path.parent.is_dir():
        raise GaemiInputError(
            f"{option} = {str(path)!r}: folder {str(path.parent)!r} does not exist"
        )
    return path


def single(values: list[Any] | None, option: str, default: Any = None) -> Any:
    """The one value of an option declared as a list so that a repeat can be seen, or
    ``default`` when the option is left out.

    Typer keeps the last of ``--move -5% --move -3%`` silently; declared as a list, the
    command sees both and refuses: ``--move is given twice (-5%, -3%); give it once``.
    """
    if not values:
        return default
    if len(values) > 1:
        shown = ", ".join(_short(str(v), 20).strip("'") for v in values)
        times = "twice" if len(values) == 2 else f"{len(values)} times"
        raise GaemiInputError(f"{option} is given {times} ({shown}); give it once")
    return values[0]


def single_float(
    values: list[float] | None, option: str, *, allow_inf: bool = False
) -> float | None:
    """The one value of a float option declared as a list (:func:`single`); NaN refused as
    such, and inf too unless ``allow_inf`` (``--half-life inf`` means no decay):
    ``--months = nan must be a finite number``, ``--half-life = nan must be a number, not
    NaN`` (the words of :func:`finite_option` and :func:`not_nan_option`)."""
    return _checked_float(single(values, option), option, allow_inf=allow_inf)


def output_format(values: list[OutputFormat] | None) -> OutputFormat:
    """``--format`` (:data:`FormatOption`) given at most once; table when left out."""
    fmt: OutputFormat = single(values, "--format", OutputFormat.table)
    return fmt


def check_creations(text: str | None) -> str | None:
    """``--creations MODE`` checked before any work (a bad value is one line); passed on."""
    if text is not None:
        from gaemi.app.flows import parse_creations

        parse_creations(text)
    return text


#: "read -5% as percent …" lines waiting for the command to get past its input checks:
#: printed before the next note, table or progress bar (or when the command ends well),
#: dropped if the input turns out bad, so that bad input stays one `error:` line.
_PENDING_READS: list[str] = []


def print_text(text: str) -> None:
    """Sentences for a person on stdout, wrapped at words to the terminal's width in
    terminal cells (a Korean syllable takes two; a ``- `` bullet's continuation lines sit
    under its text); to a pipe or a file with no ``COLUMNS`` the lines are printed as they
    are (no width to fit)."""
    from rich.cells import cell_len

    if not has_width():
        print(text)
        return
    width = terminal_width()
    for line in text.splitlines():
        body = line.lstrip()
        lead = line[: len(line) - len(body)]
        hang = lead + ("  " if body.startswith(("- ", "• ", "* ")) else "")
        current = lead
        for word in body.split(" "):
            fresh = current.strip() == ""
            candidate = current + word if fresh else f"{current} {word}"
            if not fresh and cell_len(candidate) > width:
                print(current)
                current = hang + word
            else:
                current = candidate
        print(current)


def note(message: str) -> None:
    """A line for the human on stderr (stdout stays machine-readable)."""
    flush_reads()
    print(message, file=sys.stderr)


def note_read(message: str) -> None:
    """How an input was read (``describe_move``): shown once the input checks pass."""
    _PENDING_READS.append(message)


def note_lines(lines: Iterable[str], label: str = "note", shown: Collection[str] = ()) -> None:
    """Messages for the human as ``note: …`` lines on stderr (``label="warning"``: a
    result's warnings), less those already ``shown`` (a result's warnings repeat the
    market state's, printed as notes when it was loaded)."""
    for line in lines:
        if line not in shown:
            note(f"{label}: {line}")


def creations_note(choice: Any) -> str:
    """The line naming the ``--creations`` choice and why (``creations: measured — …``),
    one wording for every command; ``choice`` has ``value`` and ``why``."""
    return f"creations: {choice.value} — {choice.why}"


def flush_reads() -> None:
    """Print the pending :func:`note_read` lines (the input was good)."""
    while _PENDING_READS:
        print(_PENDING_READS.pop(0), file=sys.stderr)


def drop_reads() -> None:
    """Forget the pending :func:`note_read` lines (the command failed on its input)."""
    _PENDING_READS.clear()


def _cell(column: str, value: Any) -> str:
    """One terminal cell: :func:`gaemi.units.format_cell`, the rule of the HTML report too."""
    return format_cell(column, value)


def emit(df: pd.DataFrame, fmt: OutputFormat, *, title: str = "", caption: str = "") -> None:
    """Print a result frame as a Rich table, JSON records or CSV on stdout.

    The table fits the terminal (:func:`terminal_width`): headers and cells are never cut
    to ``…`` nor wrapped mid-figure (long text columns wrap at words). When the columns do
    not fit, a table of at most :data:`BLOCK_ROWS` rows is printed transposed (fields as
    rows, records as columns) when that fits, else one record per block (``field  value``
    lines); a longer one keeps the leading columns that fit and names the
    others in a note (``--format csv`` or a wider terminal shows them). The layout is
    :func:`gaemi.present.console.print_table`, shared with the report.
    """
    flush_reads()
    if fmt == OutputFormat.json:  # machines read the machine names (units in the keys)
        print_json(records(df))
        return
    if fmt == OutputFormat.csv:
        df.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    from rich.console import Console

    width = terminal_width(len(df.columns))
    keys = [str(c) for c in df.columns]
    rows: list[list[str | Text]] = [
        [_cell(k, v) for k, v in zip(keys, rec, strict=True)] for rec in df.itertuples(index=False)
    ]
    # the machine names go in: print_table writes the headers a person reads, with their
    # units ("Flow at close ($)" for flow_usd), by gaemi.units.column_header
    hidden = print_table(
        Console(width=width),
        keys,
        rows,
        numeric=[df[c].dtype.kind in "fiu" for c in df.columns],
        title=title,
        caption=caption,
    )
    if hidden:
        note(
            f"note: {len(hidden)} of {len(keys)} columns do not fit {width} columns and "
            f"are not shown: {', '.join(hidden)} (widen the terminal or use --format csv)"
        )


def print_json(obj: Any, **dump: Any) -> None:
    """JSON on stdout as every command writes it: indented by 1, no NaN or inf (a
    ``ValueError`` rather than invalid JSON), a final newline; ``dump`` adds
    :func:`json.dump` options (``ensure_ascii=False``, ``default=str``)."""
    json.dump(obj, sys.stdout, indent=1, allow_nan=False, **dump)
    sys.stdout.write("\n")


def stderr_progress(*columns: Any, disable: bool = False, terminal_only: bool = False) -> Any:
    """A transient Rich ``Progress`` on stderr (stdout stays machine-readable), off when
    ``disable``, or with ``terminal_only`` when stderr is not a terminal: there a finished
    Rich bar leaves blank lines, and bad input must print exactly one line."""
    from rich.console import Console
    from rich.progress import Progress

    off = disable or (terminal_only and not sys.stderr.isatty())
    return Progress(*columns, console=Console(stderr=True), transient=True, disable=off)


@contextmanager
def progress_bar(
    total: int, label: str, enabled: bool
) -> Iterator[Callable[[int, int], None] | None]:
    """A Rich progress bar on stderr, or None when the run is small."""
    flush_reads()
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TimeRemainingColumn

    with stderr_progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task(label, total=total)

        def update(done: int, _total: int) -> None:
            bar.update(task, completed=done)

        yield update
