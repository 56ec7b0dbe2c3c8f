"""Terminal output shared by the faces that print tables (the command line and the
report): the console width to fit, a table that adapts to it, and the number formatters
(from :mod:`gaemi.units`, the rule every face and text shares).

Face-neutral: it imports no face, so ``gaemi.present.cli`` and ``gaemi.present.report``
both use it (``tests/test_layering.py``). The table never cuts a header or a cell to
``…`` nor wraps mid-figure: when the columns do not fit, it is printed transposed (fields
as rows) or one record per block, or, for a long table, with the leading columns that fit.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

# The one money/number rule lives at the bottom of the package (the monitor and the
# application layer write text with it too); re-exported here under the same names.
from gaemi.units import column_header, format_krw, format_money, format_number, format_usd

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    Cell = str | Text

__all__ = [
    "BLOCK_ROWS",
    "NBSP",
    "WRAP_TEXT_OVER",
    "column_widths",
    "format_krw",
    "format_money",
    "format_number",
    "format_usd",
    "has_width",
    "header_min_width",
    "make_console",
    "print_table",
    "table_width",
    "terminal_width",
]

#: Non-breaking space: joins a figure and its unit so a cell never wraps between them.
NBSP = "\u00a0"


#: A text column whose longest cell is longer than this wraps (at words) instead of
#: widening the table; every other cell and every header stays on one line, uncut.
WRAP_TEXT_OVER = 40
#: With columns that do not fit, tables of at most this many rows are printed one record
#: per block (every field shown); longer tables keep the columns that fit, with a note.
BLOCK_ROWS = 12


def has_width() -> bool:
    """Whether stdout has a width to fit: a terminal, or ``COLUMNS`` set. Output to a pipe
    or a file with no ``COLUMNS`` has none."""
    from rich.console import Console

    return bool(Console().is_terminal or os.environ.get("COLUMNS", "").strip())


def terminal_width(n_columns: int = 0, *, pipe_width: int | None = None) -> int:
    """Columns to fit: the terminal's width (or ``COLUMNS`` when set). Output to a pipe or
    a file with no ``COLUMNS`` has no width to fit (:func:`has_width`): it gets
    ``pipe_width`` when given, else ``24 × n_columns`` within [100, 200], so scripts
    reading it see every column on one line as before."""
    from rich.console import Console

    if has_width():
        return int(Console().width)
    if pipe_width is not None:
        return pipe_width
    return max(100, min(200, 24 * n_columns))


def make_console(*, pipe_width: int) -> Console:
    """A Rich console on stdout as wide as :func:`terminal_width` (``pipe_width`` when
    the output is a pipe or a file and ``COLUMNS`` is not set)."""
    from rich.console import Console

    return Console(width=terminal_width(pipe_width=pipe_width))


def _plain(c: Cell) -> str:
    return c if isinstance(c, str) else c.plain


def header_min_width(header: str) -> int:
    """Narrowest a header gets: its longest word, a unit in brackets kept with the word
    before it (``Flow at close ($)`` wraps to ``Flow at`` / ``close ($)``, never a word cut)."""
    from rich.cells import cell_len

    return max((cell_len(w) for w in re.split(r" (?!\()", header)), default=0)


def column_widths(
    headers: list[str], rows: list[list[Cell]]
) -> tuple[list[int], list[int], list[bool]]:
    """(natural, minimum, wraps) width of each column, in terminal cells. A header wraps
    at words (:func:`header_min_width`) rather than widen a column of narrower figures."""
    from rich.cells import cell_len

    natural: list[int] = []
    minimum: list[int] = []
    wraps: list[bool] = []
    for j, h in enumerate(headers):
        cells = [_plain(r[j]) for r in rows]
        longest = max((cell_len(c) for c in cells), default=0)
        nat = max(cell_len(h), longest)
        wrap = longest > WRAP_TEXT_OVER and any(" " in c for c in cells)
        head = header_min_width(h)
        if wrap:
            word = max((cell_len(w) for c in cells for w in c.split()), default=0)
            mn = max(head, min(word, WRAP_TEXT_OVER), 16)
        else:
            mn = max(head, longest)
        natural.append(nat)
        minimum.append(mn)
        wraps.append(wrap)
    return natural, minimum, wraps


def table_width(widths: list[int]) -> int:
    """Width of a Rich table with the default box: 3 cells per column (padding, border)
    plus the closing border."""
    return sum(w + 3 for w in widths) + 1


def print_table(
    console: Console,
    headers: list[str],
    rows: list[list[Cell]],
    *,
    numeric: list[bool] | None = None,
    title: str = "",
    caption: str = "",
    show_lines: bool = False,
    block_rows: float = BLOCK_ROWS,
) -> list[str]:
    """Print formatted cells (strings, or Rich ``Text`` for a styled cell) as a table that
    fits ``console.width``; returns the headers of the columns left out (empty when all
    are shown). Headers are written by :func:`gaemi.units.column_header` (``flow_usd`` →
    ``Flow at close ($)``) and wrap at words rather than widen a column of figures.

    When the columns do not fit, a table of at most ``block_rows`` rows is printed
    transposed (fields as rows, records as columns) when that fits, else one record per
    block (``field  value`` lines); a longer one keeps the leading columns that fit (the
    caller names the others). ``block_rows=math.inf`` always shows every field.
    """
    width = int(console.width)
    # every terminal table's headers by the one rule (gaemi.units.column_header): a machine
    # name gets its words and unit, a header already in words its capital ("as of" -> "As of")
    headers = [column_header(h) for h in headers]
    numeric = numeric if numeric is not None else [False] * len(headers)
    natural, minimum, wraps = column_widths(headers, rows)
    keep = list(range(len(headers)))
    if table_width(minimum) > width and len(headers) > 1:
        if 0 < len(rows) <= block_rows:
            # fields as rows, records as columns (the stress table of 6 underlyings × 17
            # fields fits 100 columns this way); else one record per block
            t_headers = [headers[0], *(_plain(r[0]) for r in rows)]
            t_rows = [[h, *(r[j] for r in rows)] for j, h in enumerate(headers) if j > 0]
            t_natural, t_min, t_wraps = column_widths(t_headers, t_rows)
            unique = len({_plain(r[0]) for r in rows}) == len(rows)  # they become the headers
            if unique and table_width(t_min) <= width and not any(t_wraps):
                console.print(
                    _grid(
                        t_headers,
                        t_rows,
                        numeric=[False] + [True] * len(rows),
                        natural=t_natural,
                        wraps=t_wraps,
                        minimum=t_min,
                        width=width,
                        title=title,
                        caption=caption,
                        show_lines=show_lines,
                    )
                )
                return []
            _print_blocks(console, headers, rows, title=title, caption=caption)
            return []
        keep = [0]
        for j in range(1, len(headers)):
            if table_width([minimum[k] for k in [*keep, j]]) <= width:
                keep.append(j)
    table = _grid(
        [headers[j] for j in keep],
        [[r[j] for j in keep] for r in rows],
        numeric=[numeric[j] for j in keep],
        natural=[natural[j] for j in keep],
        wraps=[wraps[j] for j in keep],
        minimum=[minimum[j] for j in keep],
        width=width,
        title=title,
        caption=caption,
        show_lines=show_lines,
    )
    if len(keep) == len(headers) and 0 < len(rows) <= block_rows and not _fits(console, table):
        # the estimate fits but Rich's own measure does not (a long unbroken word in a
        # wrapping column): one record per block rather than a cropped table (the title
        # and caption wrap to the table's width, so they never decide it)
        _print_blocks(console, headers, rows, title=title, caption=caption)
        return []
    console.print(table)
    return [h for j, h in enumerate(headers) if j not in keep]


def _grid(
    headers: list[str],
    rows: list[list[Cell]],
    *,
    numeric: list[bool],
    natural: list[int],
    wraps: list[bool],
    minimum: list[int],
    width: int,
    title: str = "",
    caption: str = "",
    show_lines: bool = False,
) -> Any:
    from rich.table import Table

    table = Table(title=title or None, caption=caption or None, show_lines=show_lines)
    fixed = _fixed_widths(natural, wraps=wraps, minimum=minimum, width=width)
    for j, (h, num, wrap, mn) in enumerate(zip(headers, numeric, wraps, minimum, strict=True)):
        table.add_column(
            h,
            justify="right" if num else "left",
            no_wrap=not wrap and fixed is None,
            min_width=mn,
            width=None if fixed is None else fixed[j],
            overflow="fold",
        )
    for r in rows:
        table.add_row(*r)
    return table


def _fixed_widths(
    natural: list[int], *, wraps: list[bool], minimum: list[int], width: int
) -> list[int] | None:
    """Each column's width when the table at its ``natural`` widths (those of
    :func:`column_widths`, which the caller has) is wider than ``width`` (None when it
    fits: Rich lays it out as it is). From the minimum widths (a header at its words, a
    figure whole), the room left goes first to the headers that need least of it to stay
    on one line, then to the wrapping text columns, left to right; a cell of figures never
    wraps (its column is at least its longest cell)."""
    if table_width(natural) <= width:
        return None
    out = list(minimum)
    room = width - table_width(out)
    for j in sorted(
        (j for j in range(len(out)) if not wraps[j]), key=lambda j: natural[j] - out[j]
    ):
        need = natural[j] - out[j]
        if 0 < need <= room:
            out[j] += need
            room -= need
    for j in (j for j in range(len(out)) if wraps[j]):
        more = max(0, min(room, natural[j] - out[j]))
        out[j] += more
        room -= more
    return out


def _fits(console: Console, table: Any) -> bool:
    """Whether the table as Rich lays it out fits the console width: rendered uncropped
    on a scratch console of the same width. It catches what :func:`column_widths` cannot
    (a URL or path longer than the wrap limit is one word for Rich); a table wider than
    the console would be cropped on print, losing text."""
    import io

    from rich.cells import cell_len
    from rich.console import Console as RichConsole

    width = int(console.width)
    scratch = RichConsole(file=io.StringIO(), width=width, color_system=None)
    scratch.print(table, crop=False)
    text = scratch.file.getvalue()  # type: ignore[attr-defined]
    return max((cell_len(line) for line in text.splitlines()), default=0) <= width


def _print_blocks(
    console: Console, headers: list[str], rows: list[list[Cell]], *, title: str, caption: str
) -> None:
    """One record per block: the first field as the block's heading, then ``field  value``."""
    from rich.table import Table
    from rich.text import Text

    if title:
        console.print(Text(title, style="bold"), justify="center")
    key_w = max(len(h) for h in headers[1:])
    for r in rows:
        console.print(Text(f"{headers[0]}: {_plain(r[0])}", style="bold"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, min_width=key_w)
        grid.add_column(overflow="fold")
        for h, v in zip(headers[1:], r[1:], strict=True):
            grid.add_row("  " + h, v)
        console.print(grid)
    if caption:
        console.print(Text(caption, style="dim"))
