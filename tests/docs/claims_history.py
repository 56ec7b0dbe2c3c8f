"""Figures of docs/history.md and what reproduces each (read by tests/test_docs_figures.py).

Each entry is ``(anchor, by)`` or ``(anchor, by, figs)`` as in that file's ``Claim``: the
figures on a line of the document containing ``anchor`` (only ``figs`` when given) are
reproduced by every reference in ``by`` (``tests/…py::test_name``, a benchmark key
``benchmarks/bench_x.py:key``, ``FACTS``, or ``"not a result: <why>"``).
"""

from __future__ import annotations

DOC = "docs/history.md"

T = "tests/docs/test_history_doc.py::test_"

CLAIMS: list[tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("so a one-year carry put $21B in SOXS", (T + "aum_sources_against_the_issuer",)),
    ("2026 AUM is $1–2B); the move stop gives", (T + "aum_sources_against_the_issuer",)),
    ("snapshot days: median |difference|", (T + "aum_sources_against_the_issuer",)),
    # TQQQ's press AUM (FACTS.md §0) against the issuer's file on the same day
    ("against the issuer's file for TQQQ: $18.29B vs", ("FACTS",), ("$18.29B",)),
    ("(2024-12-20, −10 %), $30.6B vs", ("FACTS",), ("$28.74B", "$30.6B")),
    (
        "(2024-12-20, −10 %), $30.6B vs",
        (T + "aum_sources_against_the_issuer",),
        ("$16.24B", "−11 %", "$25.86B", "−10 %", "$30.45B"),
    ),
    ("the NDX row is 99–100 % reported, SPX", (T + "reported_shares_are_the_replays",)),
    ("(NDX 99–100 % reported) and the", (T + "reported_shares_are_the_replays",)),
    ("49.6 % (NDX) and 49.8 % (SOX) of all days", (T + "sign_frequency_is_the_replays",)),
]
