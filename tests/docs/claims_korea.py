"""Figures of docs/korea.md and what reproduces each (read by tests/test_docs_figures.py).

Each entry is ``(anchor, by)`` or ``(anchor, by, figs)`` as in that file's ``Claim``: the
figures on a line of the document containing ``anchor`` (only ``figs`` when given) are
reproduced by every reference in ``by`` (``tests/…py::test_name``, a benchmark key
``benchmarks/bench_x.py:key``, ``FACTS``, or ``"not a result: <why>"``).
"""

from __future__ import annotations

DOC = "docs/korea.md"

T = "tests/docs/test_korea_files_doc.py::test_"
NOT = "not a result: "
NOTE = '| "$43.1 billion AUM" of Korean leveraged money |'
SELL = '| "$45B Korean AUM" (the sell-amount arithmetic) |'

CLAIMS: list[tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # §1 reading the files; §4's net-buy list floor
    *(
        (a, (T + "reading_the_files",))
        for a in (
            "(AAPL on 2026-05-13 after $",
            "Seven weekly lists repeat the previous list's amounts",
            "TSLA's 0.8%, against",
            "M), so a week out of the list is unknown",
        )
    ),
    # §2 the constant-share carry on the issuer files
    *(
        (a, (T + "carry_error_on_the_issuer_files",))
        for a in ("misses TQQQ's AUM by a median", "after 252, and SQQQ's by", "(p90 81%).")
    ),
    # §5 the research note's figures (the note's own words are its inputs here)
    (NOTE, (NOT + "the research note's figure, quoted",), ("$43.1",)),
    (NOTE, (NOT + "fund leverage",), ("1x",)),
    (NOTE, ("FACTS",), ("$38.5B", "43.2%")),
    (
        NOTE,
        (T + "note_table_is_the_data",),
        ("$12.7B", "$18.3B", "$65.5B", "$39.3B", "$40.6B", "$34.1B"),
    ),
    # the note's $45B is EPFR/Goldman's (FACTS.md (l).5), on the row twice
    (SELL, ("FACTS",), ("$45B",)),
    (SELL, (T + "note_table_is_the_data",), ("$13–18B", "11–13%", "18–31%", "35–41%")),
    *(
        (a, (T + "note_table_is_the_data",))
        for a in (
            '| "doubling monthly"; "nearly doubled in two months"',
            '| "AUM in US-listed Korean-focused leveraged ETFs surged 18-fold',
            '| "SOXL was the #1 purchased security in early 2026" |',
        )
    ),
    # §7 what the rest of gaemi reads
    *(
        (a, (T + "state_share_and_growth",))
        for a in (
            "carried by its price to the 05-12 close ($",
            "which interpolates to the 2026-06-01 snapshot, has $",
            "TQQQ, TSLL $11.51B on 2026-01-12",
            "days; to the 05-13 list, i.e. on 2026-05-14",
        )
    ),
    ("of a fund above $1B at the start of the day", (NOT + "the indicator's AUM floor",), ("$1B",)),
    ("of a fund above $1B at the start of the day", (T + "state_share_and_growth",), ("38.9%",)),
    ("press figure was TSLL 43% of 2025-02-26", ("FACTS",)),
    ("never 0% Korean),", (NOT + "a share the split never assumes",)),
    ("| −5% move | total | Korean |", (NOT + "the input move and the table's column heads",)),
    ("| embedded default (press shares) |", (T + "embedded_flows_by_holder",)),
]
