"""Figures of docs/scale.md and what reproduces each (read by tests/test_docs_figures.py).

Each entry is ``(anchor, by)`` or ``(anchor, by, figs)`` as in that file's ``Claim``: the
figures on a line of the document containing ``anchor`` (only ``figs`` when given) are
reproduced by every reference in ``by`` (``tests/…py::test_name``, a benchmark key
``benchmarks/bench_x.py:key``, ``FACTS``, or ``"not a result: <why>"``).
"""

from __future__ import annotations

DOC = "docs/scale.md"

CLAIMS: list[tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], tuple[str, ...]]] = []

#: What is not mapped yet (the document's figure test is a strict xfail until it is).
PENDING = "owned by the scale engineer"
#: Some timings are among what is left.
PENDING_TIMINGS = True
