"""Figures of docs/monitor.md kept beside their own test (read by tests/test_docs_figures.py,
which holds the page's other claims): the fitted thresholds of ``korean_leveraged_growth``.

Each entry is ``(anchor, by)`` or ``(anchor, by, figs)`` as in that file's ``Claim``.
"""

from __future__ import annotations

DOC = "docs/monitor.md"

T = "tests/monitor/test_growth_reference.py::test_"

CLAIMS: list[tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # the out-of-sample table: rule, fitted threshold, expected, in-sample and test shares
    *(
        (a, (T + "out_of_sample_frequencies_are_the_docs",))
        for a in ("| ≥ GUARDED | ", "| ≥ ELEVATED | ", "| ≥ HIGH | ", "| ≥ CRITICAL | ")
    ),
    ("×2.0 or more in 19 of 187 fit windows (", (T + "thresholds_are_the_fit_windows_quantiles",)),
]
