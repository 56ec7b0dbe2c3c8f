"""Figures of docs/cascade.md and what reproduces each (read by tests/test_docs_figures.py).

Each entry is ``(anchor, by)`` or ``(anchor, by, figs)`` as in that file's ``Claim``: the
figures on a line of the document containing ``anchor`` (only ``figs`` when given) are
reproduced by every reference in ``by`` (``tests/…py::test_name``, a benchmark key
``benchmarks/bench_x.py:key``, ``FACTS``, or ``"not a result: <why>"``).

The tables are regenerated whole by tests/docs/test_cascade_doc.py: one claim per row,
the row's own text its anchor (:func:`_rows`).
"""

from __future__ import annotations

import re
from pathlib import Path

DOC = "docs/cascade.md"

T = "tests/docs/test_cascade_doc.py::"
COVERAGE = "tests/validation/test_contagion_coverage.py::"
NOT = "not a result: "
INPUT = NOT + "the shock given (an input)"
BAND = NOT + "the band's definition (5%/95% quantiles of the draws)"
TARGET = NOT + "issue 18's coverage target for the 90% bands"
LEVERAGE = NOT + "a fund's leverage"
LINK = T + "test_link_carried_halt_paragraph_is_the_engines"

_FIG = re.compile(r"\d\s?%|\$\d|₩\d|\d\s?[×x](?!\w)")

Entry = tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], tuple[str, ...]]


def _rows(start: str, end: str, test: str) -> list[Entry]:
    """One claim per body row of the tables between the headings ``start`` and ``end``."""
    text = (Path(__file__).resolve().parents[2] / DOC).read_text(encoding="utf-8")
    if start not in text:
        return []
    part = text.split(start, 1)[1].split(end, 1)[0]
    out: list[Entry] = []
    for ln in part.splitlines():
        s = ln.strip()
        headers = ("| step |", "| node |", "| Korean AUM", "| series |", "| kind |", "| piece |")
        # rows with a figure (bp is no unit of the figure test: rows of rates only are left)
        if s.startswith("| ") and not s.startswith(headers) and _FIG.search(s):
            out.append((s, (T + test,)))
    return out


CLAIMS: list[Entry] = [
    # --- introduction -------------------------------------------------------------------
    ("the 90% bands cover", (BAND,)),
    ("74–100% of what happened", (T + "test_coverage_table_is_the_engines",), ("74–100%",)),
    ("74–100% of what happened", (TARGET,), ("80–95%",)),
    (
        "alone, the method before issue 18, cover at most 26%",
        (COVERAGE + "test_bands_from_parameters_alone_cover_far_less",),
    ),
    ("(mean level and 5/50/95% bands", (BAND,)),
    # --- day order, residuals, stability -----------------------------------------------------
    ("gives SOX −5%, not −5% plus", (INPUT,), ("−5%",)),
    ("gives SOX −5%, not −5% plus", (T + "test_quoted_parameters_are_the_scenarios",), ("1.15 ×",)),
    (
        "QQQ ≤ −2.5% or SOXX ≤ −3.75% and adds",
        (NOT + "the residual library's selection rule (scripts/calibrate_cascade.py)",),
    ),
    ("the close-feedback gains at a −1% move", (NOT + "the move the gains are taken at",)),
    ("Close gains at −1%", (T + "test_stability_is_the_engines",)),
    # --- the default chain --------------------------------------------------------------
    ("## The default chain: a −5% NDX/SOX shock", (INPUT,)),
    ("so −$24.93B on NDX", (T + "test_default_chain_prose_is_the_engines",)),
    ("after a −5.42% day", (T + "test_default_chain_prose_is_the_engines",)),
    *_rows("## The default chain", "The linear rows give", "test_event_table_is_the_engines"),
    *_rows("| step | title |", "What the reasons mean", "test_step_table_is_the_engines"),
    ("40% relative to the other sleeves", (T + "test_quoted_parameters_are_the_scenarios",)),
    ("+3% in 5 days; judgement)", (T + "test_quoted_parameters_are_the_scenarios",)),
    ("margin calls on ₩33.7tn of loans at the usual 140%", ("FACTS",)),
    ("collateral falls below ~77% of its", (T + "test_quoted_parameters_are_the_scenarios",)),
    ("start (a KOSPI fall of about 18%)", (T + "test_quoted_parameters_are_the_scenarios",)),
    ("when forced sales of ₩77.6bn/day were reported", ("FACTS",)),
    *(
        (a, (T + "test_default_chain_prose_is_the_engines",))
        for a in (
            "`sox_hynix` (−4.45% on",
            "then `ndx_spx` (−4.19% on the S&P 500)",
            "(−2.06%) and `ndx_kospi` (−1.61%",
            "the close feedback adds −0.42% (NDX)",
            "KOSPI −2.97%, USD/KRW +0.85%",
        )
    ),
    (
        "central run): VIX +15.4% (mean",
        (T + "test_default_chain_prose_is_the_engines",),
        ("+15.4%",),
    ),
    ("central run): VIX +15.4% (mean", (T + "test_vix_reversion_is_the_calibration",), ("2%",)),
    ("4.1%/day, SK hynix 5.0%", (T + "test_residual_volatilities_are_the_calibration",)),
    ("BTC 1.7% as of 2026-01", (T + "test_residual_volatilities_are_the_calibration",)),
    ("| node | mean | 5% | 50% | 95% |", (BAND,)),
    *_rows(
        "| node | mean |", "With the residuals the rules", "test_monte_carlo_bands_are_the_engines"
    ),
    ("24%, Korean margin calls in 38%", (T + "test_monte_carlo_bands_are_the_engines",)),
    ("rebalancing in 1%. ALTS's right tail", (T + "test_monte_carlo_bands_are_the_engines",)),
    (
        "from 0.005% (0.005 bp for a rate; `MIN_STEP_MOVE`",
        (T + "test_verdict_minimum_is_the_engines",),
    ),
    ("so a move that prints as 0.00% is no", (NOT + "the printed form of a zero change",)),
    # --- the market-wide circuit breaker ---------------------------------------------------
    (
        "Nasdaq Rule 4121: the S&P 500 down 20%",
        (NOT + "the level-3 market-wide circuit-breaker rule (NYSE Rule 7.12)",),
    ),
    ("SPX 1); when it reaches −20% every US", (NOT + "the level-3 circuit-breaker rule",)),
    ("shocks given together are scaled to the S&P 500's −20%", (NOT + "the level-3 rule",)),
    ("(the trigger node at its own halt level −20% × beta", (NOT + "the level-3 rule",)),
    ("alone: NDX −23.10%, SOX −26.61%", (T + "test_market_wide_halt_paragraph_is_the_engines",)),
    ("and SPX −19.00% (the calibrated", (T + "test_market_wide_halt_paragraph_is_the_engines",)),
    ("SOX's close reaches −31.24%", (T + "test_later_trigger_paragraph_is_the_engines",)),
    ("`--shock NDX=-10% --shock SOX=-30.5%`", (INPUT,)),
    ("NDX stops at −10.00% with $48.71B", (T + "test_later_trigger_paragraph_is_the_engines",)),
    ("keep its close, −10.59%), SPX at", (T + "test_later_trigger_paragraph_is_the_engines",)),
    ("SPX at −8.23% (the link from NDX", (T + "test_later_trigger_paragraph_is_the_engines",)),
    (
        "SOX with `--shock NDX=-10% --shock SOX=-30.5%`: −$18.17B",
        (T + "test_later_trigger_paragraph_is_the_engines",),
    ),
    (
        "traded, $69.86B unfilled, what `gaemi stress`",
        (T + "test_later_trigger_paragraph_is_the_engines",),
    ),
    ("an NDX shock of −20% halts when NDX", (INPUT,)),
    (
        "reaches −20.41% (= −20% ÷ 0.98) on its way",
        (LINK,),
        ("−20.41%", "−20.82%", "−$23.60B"),
    ),
    ("reaches −20.41% (= −20% ÷ 0.98) on its way", (NOT + "the level-3 rule",), ("−20%",)),
    (
        "traded and $70.73B unfilled, SOX stopped at",
        (LINK,),
    ),
    (
        "SPX at −20.00%. `gaemi cascade --shock NDX",
        (LINK,),
    ),
    (
        "17 of them part-way through NDX's close",
        (LINK,),
    ),
    (
        "in all 26 the implied S&P 500 move is",
        (LINK,),
    ),
    # --- fuse and reverse stress --------------------------------------------------------
    ("scales both initial shocks together (up to −99%)", (NOT + "the fuse's search limit",)),
    ("8 follow from any shock (0.05 × −5%)", (T + "test_fuse_is_the_engines",)),
    ("however large**: at −99% the close-liquidity", (INPUT,)),
    ("circuit breaker (−20% of the S&P 500", (NOT + "the level-3 circuit breaker",), ("−20%",)),
    (
        "circuit breaker (−20% of the S&P 500",
        (T + "test_fuse_is_the_engines",),
        ("−23.5%", "−12.3%"),
    ),
    ("USD/KRW +3.7% (peak 1580)", (T + "test_fuse_is_the_engines",)),
    ("shows the −99.00% given and an impact of −23.10%", (INPUT,), ("−99.00%",)),
    (
        "shows the −99.00% given and an impact of −23.10%",
        (T + "test_fuse_is_the_engines",),
        ("−23.10%",),
    ),
    ("(SOX: −23.10%), the halt being market-wide", (T + "test_fuse_is_the_engines",), ("−23.10%",)),
    ("(SOX: −23.10%), the halt being market-wide", (INPUT,), ("−99%",)),
    (
        "reached the S&P 500's −20%, above its own halt level −31.24%",
        (NOT + "the level-3 rule: −20% of the S&P 500, × SOX's beta 1.562 (stress_default.yaml)",),
    ),
    ("before the close at -23.10%: $104.46B of selling", (T + "test_fuse_is_the_engines",)),
    ("impact of 0.00% (JSON: `halted` true", (T + "test_fuse_is_the_engines",)),
    ('NDX selling with an "impact" of +75.90%', (T + "test_fuse_is_the_engines",)),
    ("the gap between the −99% pre-close move", (INPUT,)),
    ("+102%) — short of the margin-call zone", (T + "test_fuse_is_the_engines",)),
    ("On 2026-03-04 itself (KOSPI −12.06%)", (T + "test_korean_session_day_is_the_engines",)),
    *(
        (a, (T + "test_korean_session_shocks_are_the_engines",))
        for a in (
            "KOSPI −12.00%, Samsung −13.56%",
            "USD/KRW +2.79% at the horizon",
            "collateral value fell to 84.40% of its start",
            "start below ~77%); step 7 is",
            "KOSPI −20.18% (the forced sales add",
            "−0.18%), margin loans −1.95%",
            "NDX −0.0009% (the linear hook",
            "every other step `no`: SOX moves −0.0012%",
            "0.005% a verdict needs, so steps 2 and 8",
            '(before issue 18 both said `yes` on "SOX down',
        )
    ),
    ("(its 2x close rebalancing adds", (LEVERAGE,), ("2x",)),
    (
        "(its 2x close rebalancing adds",
        (T + "test_korean_session_shocks_are_the_engines",),
        ("+2.79%",),
    ),
    (
        "hynix −30.00% (held at the KRX ±30%",
        (T + "test_korean_session_shocks_are_the_engines",),
        ("−30.00%",),
    ),
    (
        "hynix −30.00% (held at the KRX ±30%",
        (NOT + "the KRX daily price limit (max_move_frac)",),
        ("30%",),
    ),
    *(
        (a, (T + "test_repeated_us_shocks_are_the_engines",))
        for a in (
            "--shock NDX=-8%@2` (NDX −23.46%)",
            "SOX (−27.69%) now follows NDX",
            "sleeve goes from 27.64% to 23.68%",
            "fastest 5-day change +4.46% vs speed +3.00%",
            "81.86% of its start).",
            "−50.99%, S&P 500 −42.93%",
        )
    ),
    ("eight consecutive −8% days on both NDX and SOX", (INPUT,)),
    ("−5%/−5% shocks) that takes NDX to −10%", (INPUT,)),
    ("0.25, 1, 4 and 8 ×", (NOT + "the Korean-AUM levels the reverse stress tries",)),
    ("TQQQ $3.4B + SOXL $1.6B + SK hynix 2x", (LEVERAGE,), ("2x",)),
    (
        "TQQQ $3.4B + SOXL $1.6B + SK hynix 2x",
        (T + "test_reverse_table_is_the_engines",),
        ("$3.4B", "$1.6B", "$0.17B"),
    ),
    ("last is near the note's $45B", ("FACTS",)),
    *_rows("| Korean AUM |", "Even at the note's", "test_reverse_table_is_the_engines"),
    ("Even at the note's $45B", ("FACTS",), ("$45B",)),
    ("Even at the note's $45B", (INPUT,), ("−10%",)),
    ("the forced flow it adds ($45B", ("FACTS",), ("$45B",)),
    (
        "the forced flow it adds ($45B",
        (NOT + "arithmetic: the note's AUM × a 3x fund's 6·r rebalancing at r = 10%",),
        ("6 ×", "10%", "$27B"),
    ),
    ("shock multiple 3.47, NDX/SOX −17.4%", (T + "test_reverse_table_is_the_engines",)),
    ("A move must lie between −100% and", (NOT + "an input limit of --shock",)),
    ("+1000%, and `--korean-aum` between 0 and $10T", (NOT + "input limits (gaemi.limits)",)),
    # --- how the bands are built --------------------------------------------------------
    ("| KOSPI ← Samsung, SK hynix (same session) |", (NOT + "a selection rule of the refit",)),
    ("| residual library |", (NOT + "the residual library's selection rule",)),
    ("| width multipliers |", (NOT + "the cross-validation's target coverage",)),
    ("a node whose coverage never reaches 90% takes the", (NOT + "the cross-validation's target",)),
    ("(VIX at 20 sessions: 88%", (T + "test_calibrated_multipliers_are_the_calibration",)),
    (
        "episodes left out): 88–94% for every node",
        (T + "test_calibrated_multipliers_are_the_calibration",),
    ),
    (
        "the other episodes' paths only): mean 90%",
        (COVERAGE + "test_held_out_coverage_inside_the_fit_window",),
    ),
    (
        "(USD/KRW 81% at 1 session, KOSPI 94% and VIX 77%",
        (COVERAGE + "test_held_out_coverage_inside_the_fit_window",),
    ),
    # --- coverage out of sample ---------------------------------------------------------
    ("with QQQ ≤ −4% or SOXX ≤ −6%", (NOT + "the test days' selection rule (issue 18)",)),
    ("before the day, and the 90% band (5%–95%", (BAND,)),
    ("| node | 90% band covers", (BAND,)),
    *_rows("| node | 90% band covers", "(n: the BTC file", "test_coverage_table_is_the_engines"),
    ("**Bold: outside the 80–95% target", (TARGET,)),
    ("perfectly calibrated 90% band lands outside", (TARGET,)),
    ("80–95% in a cell about a quarter", (TARGET,)),
    ("Samsung at 5 sessions: 21/27, 22 would be", (T + "test_coverage_table_is_the_engines",)),
    ("* **BTC** at 5 sessions (74%)", (T + "test_coverage_table_is_the_engines",)),
    ("the 20-session band (100%) is wide", (T + "test_coverage_table_is_the_engines",)),
    ("* **Samsung at 1 session (100%)**", (T + "test_coverage_table_is_the_engines",)),
    (
        "(1.06 × its pre-shock vol) came out",
        (T + "test_calibrated_multipliers_are_the_calibration",),
    ),
    *(
        (a, (T + "test_korean_session_day_is_the_engines",))
        for a in (
            "**2026-03-04** (KOSPI −12.06%",
            "SOXX −4.91% on 03-03",
            "KOSPI is the shock; Samsung's band",
            "SK hynix's −26.2% … −9.1%",
            "KOSPI's band is **−12.01% …",
            "The US session alone gives",
            "is the shock. Even at that bound the two stocks' moves give KOSPI",
        )
    ),
    (
        "−4.2%** (central −5.3%)",
        (T + "test_korean_session_day_is_the_engines",),
        ("−4.2%", "−5.3%", "−12.06%"),
    ),
    ("−4.2%** (central −5.3%)", (BAND,), ("5%",)),
    # --- point errors -------------------------------------------------------------------
    ("2020 (QQQ ≤ −3.5% close to close", (NOT + "the large drops' selection rule",)),
    *_rows("### Point errors", "What this says", "test_point_errors_are_the_engines"),
    *(
        (a, (T + "test_point_errors_are_the_engines",))
        for a in (
            "sessions the gain is",
            "(bias −4.4 pp; 2024-08-05",
            "actual, 2024-12-18",
            "**March 2020 is missed at 5 sessions**",
            "not from one US day. The 90% bands held only",
            "03-12 (−20.5%) fell below them",
            "weakness on average (+0.30% bias)",
        )
    ),
    # --- benchmark ----------------------------------------------------------------------
    ("**1.96 s** on the shared 2-core", ("benchmarks/bench_cascade.py:mc_engine_every_day_s",)),
    (
        'The "shock day only" variant takes',
        ("benchmarks/bench_cascade.py:mc_engine_shock_day_only_s",),
    ),
    ("With the linear hook everywhere: 1.13 s", ("benchmarks/bench_cascade.py:mc_linear_s",)),
    # --- limits -------------------------------------------------------------------------
    ("covers 88% in the fit window", (T + "test_calibrated_multipliers_are_the_calibration",)),
]
