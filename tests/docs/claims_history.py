"""Figures of docs/history.md and what reproduces each (read by tests/test_docs_figures.py).

Each entry is ``(anchor, by)`` or ``(anchor, by, figs)`` as in that file's ``Claim``: the
figures on a line of the document containing ``anchor`` (only ``figs`` when given) are
reproduced by every reference in ``by`` (``tests/…py::test_name``, a benchmark key
``benchmarks/bench_x.py:key``, ``FACTS``, or ``"not a result: <why>"``).
"""

from __future__ import annotations

DOC = "docs/history.md"

CLAIMS: list[tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], tuple[str, ...]]] = []

#: What is not mapped yet (the document's figure test is a strict xfail until it is).
PENDING = (
    "issue 19: 19 figures left: the far-rule example (SOXS $21B), the reported shares (NDX "
    "99 %, SPX 54-62 %), snapshot-vs-issuer AUM (1.8/7.1/10.2 %), press vs issuer TQQQ AUM,"
    " and the sign frequencies (49 %, 51-52 %): no test computes them yet"
)
