"""Figures of docs/decay.md and what reproduces each (read by tests/test_docs_figures.py).

Each entry is ``(anchor, by)`` or ``(anchor, by, figs)`` as in that file's ``Claim``: the
figures on a line of the document containing ``anchor`` (only ``figs`` when given) are
reproduced by every reference in ``by`` (``tests/…py::test_name``, a benchmark key
``benchmarks/bench_x.py:key``, ``FACTS``, or ``"not a result: <why>"``). Almost every
figure is recomputed by tests/docs/test_decay_doc.py; its tables are claimed row by row
(each row's own text is its anchor).
"""

from __future__ import annotations

import re
from pathlib import Path

DOC = "docs/decay.md"

_T = "tests/docs/test_decay_doc.py::"
EROSION = _T + "test_erosion_table_is_the_closed_form"
GAP = _T + "test_discretisation_table_is_the_engines"
SIDEWAYS = _T + "test_sideways_answers_are_the_engines"
PAST_DAY = _T + "test_past_day_sideways_answer"
VOLS = _T + "test_long_run_vols_are_the_embedded_garch"
INVESTOR_YAML = _T + "test_investor_defaults_are_the_yaml"
EXAMPLES = _T + "test_examples_are_the_engines"
USD_EXAMPLES = _T + "test_usd_examples_are_the_engines"
CLOSES = _T + "test_closes_figures_are_the_engines"
NAV_TABLE = ISSUER_TABLES = ISSUER_PROSE = _T + "test_issuer_nav_section_is_the_engines"
MARGIN = "tests/core/test_investor.py::test_forced_sale_restores_maintenance_on_d_plus_3"
LEVERAGE_HISTORY = "tests/validation/test_fund_history.py::test_leverage_history_is_replayed"
NOT = "not a result: "

_FIG = re.compile(r"\d[\d,]*(?:\.\d+)?\s?(?:%|×|x\b|bp)|[$₩]\d")


def _rows(start: str, pattern: str, ref: str) -> list[tuple[str, tuple[str, ...]]]:
    """One claim per table row after the line starting with ``start`` (until the first
    line that is not a row), rows matching ``pattern``; each row's text is its anchor."""
    lines = (Path(__file__).resolve().parents[2] / DOC).read_text(encoding="utf-8").splitlines()
    out: list[tuple[str, tuple[str, ...]]] = []
    for i, ln in enumerate(lines):
        if not ln.startswith(start):
            continue
        for row in lines[i + 2 :]:
            if not row.startswith("|"):
                break
            if re.match(pattern, row) and _FIG.search(row):
                out.append((row.strip(), (ref,)))
        break
    return out


CLAIMS: list[tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # --- section 2: closed form, the one-rule answers, the discretisation gap ----------
    ("(L² − L)/2 is 3 for a 3x fund", (NOT + "the leverages the coefficient is given for",)),
    *_rows("| σ (annual) |", r"\| \d+ % \|", EROSION),
    ("(3x fund, volatility drag only", (NOT + "the fund's leverage",)),
    ("at the embedded 3.77 % rate", (SIDEWAYS,)),
    (
        "The 45 %/6-month cell is DESIGN.md's",
        ("tests/core/test_decay.py::test_quarter_of_value_from_design",),
    ),
    ("(60-day realised, 20", (SIDEWAYS,)),
    ("With `--db STORE --date 2025-04-30` it is", (PAST_DAY,)),
    ("%, the same number as `GET /api/decay/erosion", (SIDEWAYS,)),
    ("comes from the grid (σ 20/30/45/60/80/100 %", (_T + "test_erosion_grid_is_the_default",)),
    ("compares (3x, σ = 45 %, 6 months", (NOT + "the check's inputs (leverage, volatility)",)),
    *_rows("| rebalances a day |", r"\| \d+ \|", GAP),
    ("(median |gap| 0.20 % for SOXL", (SIDEWAYS,)),
    ("real growth by a median |error| of", (CLOSES,)),
    # --- section 3: speed (benchmarks/bench_decay.py, `--config large`) -----------------
    ("Its `seconds` (best of 3) was", ("benchmarks/bench_decay.py:seconds",)),
    (
        "took 2.0 s on one thread and 1.0 s on two",
        (
            "benchmarks/bench_decay.py:rng_float32_1thread_s",
            "benchmarks/bench_decay.py:rng_float32_all_threads_s",
        ),
    ),
    # --- sections 4–5: embedded volatility and investor defaults ------------------------
    ("give long-run vols NDX", (VOLS,)),
    ("NVDA 52 %. The package needs only the YAML", (VOLS,)),
    ("losing 50 % and 90 % (at any", (NOT + "the loss thresholds reported",)),
    ("ranges: maintenance 140 % (FACTS.md (d)", ("FACTS", INVESTOR_YAML)),
    ("2 grace days, loan rate 8 %", (INVESTOR_YAML,)),
    ("a −20 % day on SOX takes SOXL −60 %", (MARGIN,)),
    ("0.6/0.5 = 120 % < 140 %", (MARGIN,)),
    ("restores 140 % and leaves equity 0.10", (MARGIN,)),
    # --- section 6: against market closes ------------------------------------------------
    ("a 0.40 % spread, the fee act/365", (NOT + "issue 4's fixed recipe spread (an input)",)),
    ("(real growth 21.38×; ER 0.82 %)", (CLOSES,)),
    ("Per year: 2015 ", (CLOSES,)),
    ("2020 +1.47 %, 2021", (CLOSES,)),
    ("on 2020-03-16 TQQQ closed", (CLOSES,)),
    ("than 3× QQQ's day gives, on 2020-03-17", (CLOSES,)),
    ("notional; ER 0.95 %): real growth", (CLOSES,)),
    ("). Earning the rate on the fund's cash alone", (CLOSES,)),
    ("index; ER 0.75 %):", (CLOSES,)),
    ("real growth 2.53× to", (CLOSES,)),
    ("Stated tolerance: 10 % over the window", (CLOSES,), ("+0.9 %", "+2.9 %")),
    (
        "Stated tolerance: 10 % over the window",
        ("tests/validation/test_nav_history.py::test_soxl_since_2021_09",),
        ("10 %", "3.5 %"),
    ),
    ("Issue 4's goal — TQQQ within 2 %", (NOT + "the issue's goal",)),
    (
        "2 % (`tests/validation/test_nav_history.py::test_gap_is_one_crash",
        ("tests/validation/test_nav_history.py::test_gap_is_one_crash_and_post_2020_costs",),
    ),
    ("conventional 0.40 % (`vol_params.yaml` says why)", (NOT + "the embedded default spread",)),
    # --- section 6b: against the issuer's NAV --------------------------------------------
    ("TQQQ paid 0.52 % of NAV", (ISSUER_PROSE,)),
    ("SQQQ paid 8.99 % in 2024", (ISSUER_PROSE,)),
    ("×; the per-share NAV grew", (ISSUER_PROSE,)),
    *_rows("| model (every parameter fitted", r"\| rate", ISSUER_TABLES),
    ("Median daily error", (NOT + "the issue's goal",)),
    ("is still not met:", (ISSUER_PROSE,)),
    ("the walk-forward fit gets within 2 %", (NOT + "the issue's goal",)),
    ("cost was 1.55 %/yr; in 2023 the rate was", (ISSUER_PROSE,)),
    ("**step between the training years and the rest**", (ISSUER_PROSE,)),
    ("in 2013–2014, ", (ISSUER_PROSE,)),
    ("of the gap. It does not explain 2011's", (ISSUER_PROSE,)),
    ("(mean AUM of 2011 and 2025)", (ISSUER_PROSE,)),
    ("universe's 0.82 % for every year", (ISSUER_PROSE,)),
    *_rows("| fund | 2011–14 |", r"\| \w+ \(\dx", ISSUER_TABLES),
    ("a 6:1 range of size all pay", (ISSUER_PROSE,)),
    ("per unit of notional in 2011–2014 and", (ISSUER_PROSE,)),
    ("`aum_spread_check`), overshoots:", (ISSUER_PROSE,)),
    ("the bill averaged", (ISSUER_PROSE,)),
    *_rows("| fund | compared with |", r"\| [A-Z]+ \|", NAV_TABLE),
    ("the inverse funds are no longer", (ISSUER_PROSE,)),
    ('SPXU −1.0 %. Their "missing carry"', (ISSUER_PROSE,)),
    ("with no payout data, stay at", (ISSUER_PROSE,)),
    ("keep a positive error (TQQQ", (ISSUER_PROSE,), ("+8.8 %", "+5.8 %")),
    ("keep a positive error (TQQQ", (NOT + "the funds' leverage",), ("3x",)),
    ("their real leverage history (FACTS.md §(j))", (LEVERAGE_HISTORY,)),
    ("2x from 2024-04-02 and 2024-01-22", (LEVERAGE_HISTORY,)),
    ("Their training year is entirely at 1.5x", (LEVERAGE_HISTORY,)),
    ("on the financed notional) match the WSJ", (ISSUER_PROSE,), ("8–10 %",)),
    ("on the financed notional) match the WSJ", ("FACTS",), ("15–20 %",)),
    # --- section 7: examples ---------------------------------------------------------------
    ("All with the embedded defaults (rate", (SIDEWAYS,)),
    ("SOXL over six months at a constant 45 %", (NOT + "the example's volatility",), ("45 %",)),
    ("SOXL over six months at a constant 45 %", (EXAMPLES,), ("29.5 %",)),
    ("median change −", (EXAMPLES,)),
    ("against the underlying's", (EXAMPLES,)),
    ("median falls ", (EXAMPLES,)),
    ("fund value barely moves", (EXAMPLES,)),
    ("TQQQ under GJR-GARCH-t: median", (EXAMPLES,)),
    ("(20-day blocks, drift removed): median", (USD_EXAMPLES,)),
    ("all-in on one stock** (research example", (NOT + "the research example's capital",)),
    ("₩280M):", (NOT + "the research example's target",)),
    ("Without a loan the account is down half", (EXAMPLES,)),
    ("of the futures; median end", (EXAMPLES,)),
    ("it reaches the target before losing 90 %", (EXAMPLES,)),
    ("(median first call on trading day", (EXAMPLES,)),
    ("; median end ₩", (EXAMPLES,)),
    ('("graduating":', (EXAMPLES,)),
    ("multiplies the chance of ruin (ruin:", (EXAMPLES,)),
    ("an account that cashes out at ₩280M", (NOT + "the example's target",)),
    ("**$900 turned into $13,000", (NOT + "the research example's amounts",)),
    ("the first account reaches the target before losing 90 %", (USD_EXAMPLES,)),
    ("of the futures. Bootstrapped from SOXX's history", (USD_EXAMPLES,)),
    ("P(down half) 1.6 % and no forced sale", (USD_EXAMPLES,)),
    ("half of a 2× margined SOXL position", (NOT + "the position's leverage",), ("2×",)),
    ("half of a 2× margined SOXL position", (USD_EXAMPLES,), ("1.6 %",)),
    ("worst three-day returns are", (CLOSES,)),
    ("(to 2020-03-16), −45.3 %", (CLOSES,)),
    # --- section 8 -------------------------------------------------------------------------
    ("on days NDX falls more than 3 %", (NOT + "the calibration's drop-day threshold",)),
]
