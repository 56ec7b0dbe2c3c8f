"""Figures of docs/stress.md and what reproduces each (read by tests/test_docs_figures.py).

Each entry is ``(anchor, by)`` or ``(anchor, by, figs)`` as in that file's ``Claim``: the
figures on a line of the document containing ``anchor`` (only ``figs`` when given) are
reproduced by every reference in ``by`` (``tests/…py::test_name``, a benchmark key
``benchmarks/bench_x.py:key``, ``FACTS``, or ``"not a result: <why>"``).
"""

from __future__ import annotations

DOC = "docs/stress.md"

T = "tests/docs/test_stress_doc.py::test_"
_ROW = "| `participants.retail_redemptions.elasticity` |"

CLAIMS: list[tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    (_ROW, ("not a result: the unit of the elasticity, an example (0.5% per 1%)",), ("0.5%", "1%")),
    (
        _ROW,
        ("not a result: the day selection (index fell > 3%) and the funds' leverage",),
        ("3%", "3x"),
    ),
    (_ROW, (T + "redemption_row_issuer_figures",), ("+2.2%", "85%")),
    (_ROW, ("FACTS",), ("$1.3B",)),
    (
        "implied S&P 500 move is the lowest move ÷ beta; when the shock reaches −20 %",
        ("not a result: the level-3 market-wide circuit-breaker rule (NYSE Rule 7.12)",),
    ),
    (
        "every underlying stops at the shock scaled to the S&P 500's −20 %",
        ("not a result: the level-3 market-wide circuit-breaker rule",),
    ),
    ("selling unfilled (`cb_halt` true, `cb_level` 3", ("not a result: the breaker level",)),
    ("`--shock=-30% -u NDX -u", ("not a result: the example's input shock",), ("-30%",)),
    ("SOX`: both halted at −23.10 %", (T + "session_halt_figures_are_the_engines",)),
    ("−31.24 %. One underlying alone", (T + "session_halt_figures_are_the_engines",)),
]
