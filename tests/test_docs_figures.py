"""Docs that hold (issue 19 item 7): every figure README.md and docs/*.md state is
reproduced by a test or a benchmark, or removed.

:func:`figures` lists every number with a unit in a document (``$…B``, ``₩…``, ``%``,
``s``/``ms``/``min``, ``×``, ``MB`` …), outside ```` ```python ```` blocks and command
lines (``$ gaemi …``: what a user types) and outside inline code spans (options typed,
``--move -5%``). :data:`CLAIMS` maps each such figure, by document and a piece of its line,
to what reproduces it:

* ``tests/…py::test_name``: a test that asserts the figure (checked: the test exists);
* ``benchmarks/bench_x.py:key``: a benchmark measuring it (checked: the benchmark writes
  that key; when ``benchmarks/results/*.json`` holds the key, its value must agree with
  the figure within a factor of 2 — timings are machine- and load-dependent);
* ``here::test_name``: a test of this file that computes the figure from the engine and
  compares it with the document's text (the README's figures, which move with the
  embedded universe: the test fails when the engine and the README part);
* ``FACTS``: a published figure quoted with its source, present in
  ``../shared/facts/FACTS.md`` (skipped without it);
* ``not a result: …``: an input, a setting or a definition (the reason says which).

A document in :data:`PENDING` is not fully mapped yet: its test is a strict xfail that
names how many figures are left (it fails once the document is complete, so the mark
goes). Timings are held to the stricter :func:`test_every_timing_is_accounted_for`.
"""

from __future__ import annotations

import ast
import json
import math
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))]
FACTS = ROOT.parent / "shared" / "facts" / "FACTS.md"

_NUM = r"\d[\d,]*(?:\.\d+)?"
#: A number with a unit: money, percent, time, speed-up, size.
FIGURE = re.compile(
    rf"""(?<![\w.])(?:
      [-−+]?\${_NUM}(?:–{_NUM})?\s?(?:[kMBT]|bn)?(?![\w])
    | [-−+]?₩{_NUM}(?:tn|조|억|만)?
    | {_NUM}\s?(?:조|억|만)
    | [-−+]?{_NUM}(?:–[-−+]?{_NUM})?\s?%
    | {_NUM}(?:–{_NUM})?\s?(?:ms|s|sec|seconds|min|minutes|hours|h|req/s|MB|GB|KB)(?![\w/])
    | {_NUM}(?:–{_NUM})?\s?[×x](?![\w])
    )""",
    re.X,
)
#: The timing subset (the issue's case: "1M-point sweep in about 3 s").
TIMING = re.compile(r"(?:ms|s|sec|seconds|min|minutes|hours|h|req/s)$")


@dataclass(frozen=True)
class Figure:
    doc: str
    line_no: int
    line: str
    text: str


@dataclass(frozen=True)
class Claim:
    """Figures of ``doc`` on a line containing ``anchor`` (all of them when ``figs`` is
    empty) and what reproduces them."""

    doc: str
    anchor: str
    by: tuple[str, ...]
    figs: tuple[str, ...] = ()


def figures(doc: str) -> list[Figure]:
    """Every figure with a unit stated in ``doc`` (see the module docstring)."""
    out: list[Figure] = []
    fence = ""
    for no, line in enumerate((ROOT / doc).read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if s.startswith("```"):
            fence = "" if fence else (s[3:] or "text")
            continue
        if fence == "python" or s.startswith(("$ gaemi", "gaemi ", "$ python", "python ")):
            continue
        prose = re.sub(r"`[^`]*`", " ", line)  # inline code: what is typed
        out += [Figure(doc, no, line, m.group(0).strip()) for m in FIGURE.finditer(prose)]
    return out


def each_anchor(doc: str, by: tuple[str, ...], *anchors: str, form: str = "{}") -> list[Claim]:
    """One :class:`Claim` per anchor of ``doc`` (written into ``form``), all reproduced by
    ``by``."""
    return [Claim(doc, form.format(a), by) for a in anchors]


def claim_for(f: Figure) -> Claim | None:
    for c in CLAIMS:
        if c.doc == f.doc and c.anchor in f.line and (not c.figs or f.text in c.figs):
            return c
    return None


def unmapped(doc: str, *, timings_only: bool = False) -> list[str]:
    return [
        f"{f.doc}:{f.line_no}: {f.text!r} in {f.line.strip()[:100]!r}"
        for f in figures(doc)
        if (not timings_only or TIMING.search(f.text)) and claim_for(f) is None
    ]


# ------------------------------------------------------------------------------ registry
T_README = "tests/test_readme.py::test_readme_command"
NOT_RESULT = "not a result: "
T_VALIDATE_TABLE = "tests/docs/test_validate_doc.py::test_scorecard_table_is_the_engines"
T_MONITOR_TABLE = "tests/docs/test_monitor_doc.py::test_replay_table_is_the_monitors"
T_MONITOR_PROSE = "tests/docs/test_monitor_doc.py::test_replay_prose_is_the_monitors"
T_DATA = "tests/docs/test_data_doc.py::test_"
T_WEB = "tests/docs/test_web_doc.py::test_"
T_REPLAY = "tests/docs/test_replay_doc.py::test_"
T_STRESS = "tests/docs/test_stress_doc.py::test_"
T_HISTORY = "tests/docs/test_history_doc.py::test_"
T_FUNDH = "tests/docs/test_fund_history_doc.py::test_"
T_KOREA = "tests/docs/test_korea_doc.py::test_"
T_KSTUDY = "tests/docs/test_korea_study_doc.py::test_"
T_VALIDATE_FAILS = "tests/docs/test_validate_doc.py::test_what_fails_figures_are_the_engines"


def _table_claims(doc: str, start: str, end: str, ref: str) -> list[Claim]:
    """One claim per table row ("| 20…") between the markers ``start`` and ``end`` of ``doc``
    (each row's own text is its anchor), all reproduced by the test ``ref`` that regenerates
    that table."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    part = text.split(start, 1)[1].split(end, 1)[0] if start in text else ""
    rows = [ln.strip() for ln in part.splitlines() if ln.startswith("| 20")]
    return [Claim(doc, ln, (ref,)) for ln in rows if FIGURE.search(ln)]


CLAIMS: list[Claim] = [
    # --- README.md -----------------------------------------------------------------------
    Claim("README.md", "in about 1.5–3 s here", ("benchmarks/bench_report.py:best_s",)),
    Claim(
        "README.md",
        "runs the scenario's fixed −5% NDX/SOX shock",
        (NOT_RESULT + "the contagion scenario's input shock",),
    ),
    Claim(
        "README.md",
        "reads CRITICAL (QQQ",
        ("tests/validation/test_report_store.py::test_report_for_a_past_day_from_the_store",),
        ("−6.2%",),
    ),
    Claim("README.md", "reads CRITICAL (QQQ", ("here::test_readme_past_day_moves",), ("−7.5%",)),
    Claim("README.md", "Korea's 2x single-stock ETFs", (NOT_RESULT + "a fund's leverage",)),
    Claim("README.md", "about 67% with a flat 60-day return", ("here::test_readme_status",)),
    Claim("README.md", "USD/KRW at 1,509.9", ("here::test_readme_status",)),
    Claim("README.md", "margin loans +22% in two months", ("here::test_readme_status",)),
    Claim("README.md", "fills the close at", ("here::test_readme_stress",)),
    Claim("README.md", "share: NDX −2% closes at", ("here::test_readme_stress",)),
    Claim("README.md", "on NDX and", ("here::test_readme_history",)),
    Claim(
        "README.md", "heavy-flow days do reverse (significant at", ("here::test_readme_history",)
    ),
    Claim("README.md", "AUM turns −2% into −5%", (NOT_RESULT + "the two moves compared",)),
    # the flow identity's wipe-out (a 3x fund at −1/3, a −2x at +1/2; the unwind to 0 at −100 %)
    Claim(
        "README.md",
        "a move that wipes it out (a 3x fund at",
        ("tests/core/test_flows_wipeout.py::test_continuous_at_the_wipe_out",),
    ),
    Claim(
        "README.md",
        "leaves the unwind of its exposure, −L·A·(1+r), which shrinks to 0 at",
        (
            "tests/core/test_flows_wipeout.py::test_continuous_at_the_wipe_out",
            "tests/core/test_flows_wipeout.py::test_long_fund_sale_shrinks_to_zero_at_minus_100pct",
        ),
    ),
    Claim("README.md", "**cascade** — at −5% on NDX/SOX", (NOT_RESULT + "the input shock",)),
    Claim("README.md", "a flat half-year at σ = 45% costs", ("here::test_readme_decay",)),
    Claim("README.md", "at SOXX's recent 67% it costs", ("here::test_readme_decay",)),
    Claim("README.md", "a −3% NDX shock closes at", ("here::test_readme_sweep",)),
    Claim("README.md", "liquidity, and at", ("here::test_readme_sweep",)),
    Claim(
        "README.md",
        "100,000 shocks take about",
        (
            "benchmarks/bench_sweep.py:shocks_100k_serial_s",
            "benchmarks/bench_sweep.py:grid_serial_s",
        ),
    ),
    # test_fit_table: total == 19.2e9 within rel 0.05, long share == 0.87 within 0.03
    Claim(
        "README.md",
        "the total liquidated within 5% of the reported",
        ("tests/validation/test_crypto_oct2025.py::test_fit_table",),
        ("5%",),
    ),
    Claim(
        "README.md", "the total liquidated within 5% of the reported", ("FACTS",), ("$19.1–19.3B",)
    ),
    Claim(
        "README.md",
        "and longs (≈87% reported) within 3 points",
        ("tests/validation/test_crypto_oct2025.py::test_fit_table",),
    ),
    Claim("README.md", "per 1% and at a given move", (NOT_RESULT + "the unit of a sensitivity",)),
    Claim(
        "README.md",
        "a 3x fund trades 6·A·r",
        (
            "tests/core/test_flows.py::test_multipliers_from_design",
            "tests/core/test_flows.py::test_inverse_3x_trades_twice_long_3x",
        ),
    ),
    Claim("README.md", "The research note's ladder — $45B of 3x AUM", ("FACTS",)),
    Claim("README.md", "of selling at −1% … −5%, as in the note", (T_README,)),
    Claim("README.md", "is the flow for +1%", (NOT_RESULT + "a definition",)),
    Claim("README.md", "Per-1% sensitivity of the default snapshot", (NOT_RESULT + "a unit",)),
    Claim("README.md", "Tuzun (2013, FEDS 2013-48) estimated about", ("FACTS",)),
    Claim("README.md", "sets the Korean holdings of the 3x funds", (NOT_RESULT + "fund leverage",)),
    Claim("README.md", "the underlying's move as a fraction", (NOT_RESULT + "a definition",)),
    Claim("README.md", "flow for a +1% move", (NOT_RESULT + "a definition",)),
    Claim(
        "README.md",
        "shares above 100% are refused",
        ("tests/data/test_universe.py::test_korean_share_above_one",),
    ),
    Claim(
        "README.md",
        "the GJR-GARCH-t path kernel at",
        (
            "benchmarks/bench_garch.py:speedup_vs_arch",
            "benchmarks/bench_garch.py:speedup_numpy_kernel_vs_arch",
        ),
    ),
    # --- docs: timings --------------------------------------------------------------------
    Claim("docs/CONTRIBUTING.md", "mark anything > 10 s `slow`", (NOT_RESULT + "a convention",)),
    Claim(
        "docs/data.md",
        "waited 30 s for its lock",
        (
            "setting:gaemi.data.store:DEFAULT_LOCK_TIMEOUT_S",
            "tests/data/test_store_concurrency.py::test_lock_timeout_from_the_environment",
        ),
    ),
    Claim("docs/data.md", "Funding is stored as a fraction per 8 h", (NOT_RESULT + "a unit",)),
    Claim(
        "docs/data.md",
        "| run ",
        ("benchmarks/bench_import.py:gaemi_s", "benchmarks/bench_import.py:baseline_s"),
    ),
    Claim(
        "docs/stress.md",
        "1,000,000 scenarios, vectorised (best of 3)",
        ("benchmarks/bench_feedback.py:vectorised_s",),
    ),
    Claim(
        "docs/stress.md",
        "per scenario, plain reference (scan + Brent)",
        ("benchmarks/bench_feedback.py:reference_per_scenario_s",),
    ),
    Claim(
        "docs/web.md",
        "repeated every 50 ms until the thread",
        ("setting:gaemi.present.web.limits:CANCEL_RESEND_S",),
    ),
    Claim(
        "docs/web.md",
        "within 10 s of its first byte",
        (
            "setting:gaemi.present.web.settings:WebSettings.request_read_timeout_s",
            "tests/present/test_web_load.py::test_slow_headers_get_408_and_close",
        ),
    ),
    Claim(
        "docs/web.md",
        "keep-alive connections close after 30 s",
        ("setting:gaemi.present.web.settings:WebSettings.keep_alive_timeout_s",),
    ),
    Claim(
        "docs/web.md",
        "own process, 50 clients each sending a request every",
        (NOT_RESULT + "the load test's configuration (benchmarks/bench_web.py CONFIGS)",),
    ),
    Claim(
        "docs/web.md",
        "`benchmarks/results/web-large.json` (`small`: 10 clients for",
        (NOT_RESULT + "the load test's configuration (benchmarks/bench_web.py CONFIGS)",),
    ),
    # --- docs/data.md and CONTRIBUTING: recomputed in tests/docs/test_data_doc.py ----------
    Claim(
        "docs/data.md",
        "| `split_jump` | prices | a one-day price ratio",
        (T_DATA + "input_limits_are_the_codes",),
    ),
    Claim(
        "docs/data.md",
        "| Universe values | NaN/inf anywhere",
        (T_DATA + "input_limits_are_the_codes",),
    ),
    Claim(
        "docs/data.md",
        "| Population values | NaN/inf, `leverage` above",
        (T_DATA + "input_limits_are_the_codes",),
    ),
    Claim("docs/data.md", "more than `--drop` (3 %)", (T_DATA + "calibrate_drop_option_default",)),
    *each_anchor(
        "docs/data.md",
        (T_DATA + "drop_responses_are_the_embedded_calibration",),
        "data); a test re-derives it and compares. From it, on NDX (QQQ) days down more",
        "(1999–2026): KOSPI moves",
        "0.31), USD/KRW",
        "(n = 264), VIX",
    ),
    Claim(
        "docs/data.md",
        "CSV (115 MB; validation included",
        (T_DATA + "import_benchmark_file_and_chunks",),
    ),
    Claim(
        "docs/data.md",
        "chunks of 1 MB; DuckDB inserts",
        (T_DATA + "import_benchmark_file_and_chunks",),
    ),
    Claim(
        "docs/CONTRIBUTING.md",
        "~1 MB chunks (docs/data.md",
        (T_DATA + "import_benchmark_file_and_chunks",),
    ),
    # --- docs/web.md -----------------------------------------------------------------------
    Claim(
        "docs/web.md", "USD up to $10T, at most 401 moves", (T_WEB + "money_bound_is_the_limit",)
    ),
    Claim("docs/web.md", "(−0.05 = −5 %), money is USD", (NOT_RESULT + "a unit's definition",)),
    Claim(
        "docs/web.md",
        "# → total_flow_usd [-13.5e9, -2.7e9]: the research note's $45B 3x ladder",
        ("tests/present/test_web_api.py::test_research_ladder_what_if",),
        ("$45B",),
    ),
    Claim(
        "docs/web.md",
        "the research note's $45B 3x ladder",
        (NOT_RESULT + "fund leverage",),
        ("3x",),
    ),
    Claim("docs/web.md", "Korean holdings of the 3x funds", (NOT_RESULT + "fund leverage",)),
    Claim("docs/web.md", "underlying (−20 % … +20 %)", (T_WEB + "dashboard_ranges_are_the_pages",)),
    Claim(
        "docs/web.md",
        "at every move from −20 % to +20 %",
        (T_WEB + "dashboard_ranges_are_the_pages",),
    ),
    Claim(
        "docs/web.md",
        "market costs over 1–12 months at",
        (T_WEB + "dashboard_ranges_are_the_pages",),
    ),
    Claim(
        "docs/web.md",
        "fees), and the six-month, 45 % case",
        (T_WEB + "dashboard_ranges_are_the_pages",),
    ),
    Claim(
        "docs/web.md",
        "every endpoint against its engine (the $45B ladder",
        ("tests/present/test_web_api.py::test_research_ladder_what_if",),
    ),
    # --- docs/replay.md: tables and prose regenerated in tests/docs/test_replay_doc.py -----
    Claim(
        "docs/replay.md", "*what would my ₩1.40억 of SOXL", (NOT_RESULT + "the example's inputs",)
    ),
    Claim(
        "docs/replay.md",
        "rebuilds the seed's account — ₩1.40억 own",
        (NOT_RESULT + "the seed account's inputs",),
    ),
    *each_anchor(
        "docs/replay.md",
        (T_REPLAY + "checked_paragraph_is_the_engines",),
        "is a **margin call** (140 %, FACTS.md (d))",
        "(8 %/yr default: a judgement",
        "Ruin: equity ≤ 10 % of the money put in",
        "the first margin call is **2024-09-06** (ratio",
        "is ruined (down 90 %) on",
        "sells everything: it ends owing",
    ),
    Claim("docs/replay.md", "is a **margin call** (140 %, FACTS.md (d))", ("FACTS",)),
    Claim(
        "docs/replay.md",
        "spread 0.40 % from vol_params.yaml",
        (T_REPLAY + "backfill_table_is_the_engines",),
    ),
    Claim(
        "docs/replay.md",
        "their dated 1.5x → 2x changes",
        (NOT_RESULT + "fund leverage (FACTS.md (j))",),
    ),
    *each_anchor(
        "docs/replay.md",
        (T_REPLAY + "backfill_table_is_the_engines",),
        "TQQQ",
        "SOXL",
        "TSLL",
        "NVDL",
        form="| {} | ",
    ),
    Claim(
        "docs/replay.md",
        "0.40 % spread is low for single-stock swaps",
        (T_REPLAY + "backfill_table_is_the_engines",),
    ),
    *each_anchor(
        "docs/replay.md",
        (T_REPLAY + "forward_table_is_the_engines",),
        "| ₩1.40억 SOXL, ",
        "| ₩1.00억 TSLL + NVDL",
        "| ₩1,000만 TQQQ",
        "| $100k TQQQ (USD)",
    ),
    *each_anchor(
        "docs/replay.md",
        (T_REPLAY + "forward_reading_is_the_engines",),
        "the unlevered accounts ended above 99 %",
        "its median end for ₩1.40억 SOXL is",
        "₩337만) while the 2020–2026",
        "The margin accounts sit low (",
        "P(forced sale) of",
        "(ratio never below 140 %",
    ),
    # --- docs/stress.md: tables regenerated in tests/docs/test_stress_doc.py ---------------
    *each_anchor(
        "docs/stress.md",
        (
            T_STRESS + "parameter_table_is_the_scenario_file",
            T_STRESS + "derived_parameters_from_shared_data",
        ),
        "circuit_breakers`",
        "underlyings.",
        "participants.dealer",
        "participants.stop_loss",
        "participants.margin_calls",
        "participants.retail_redemptions.threshold",
        form="| `{}",
    ),
    *each_anchor(
        "docs/stress.md",
        (T_STRESS + "default_close_table_is_the_engines",),
        "NDX",
        "SOX",
        "SPX",
        "TSLA",
        "NVDA",
        form="| {} | $",
    ),
    *(
        Claim(
            "docs/stress.md", f"| {u} | {b} |", (T_STRESS + "research_note_tables_are_the_scripts",)
        )
        for u in ("NDX", "SOX")
        for b in ("adv", "close")
    ),
    *each_anchor(
        "docs/stress.md",
        (T_STRESS + "research_note_tables_are_the_scripts",),
        "plausible Korean AUM turns −2 % into −5 %",
        "known Korean 3x holdings today and the note's $45B what-if",
        "−2.31 %). The note's cliff appears only",
        "needs about $482B of Korean 3x AUM on NDX",
    ),
    *each_anchor(
        "docs/stress.md",
        (T_STRESS + "history_table_is_the_engines",),
        "NDX",
        "SOX",
        form="| {} | 20",
    ),
    Claim(
        "docs/stress.md",
        "(QQQ $26.7B, SOXX+SMH $3.6B [D])",
        (T_STRESS + "derived_parameters_from_shared_data",),
        ("$26.7B", "$3.6B"),
    ),
    *each_anchor(
        "docs/stress.md",
        (T_STRESS + "model_section_figures_are_the_engines",),
        "passes 1 before the threshold move (NDX −2 % with $45B",
        "leveraged-fund pressure 0.75, total 0.99, threshold",
        "signed like the shock being analysed: −4.80 %",
        "+4.80 % under `--shock +2%`",
        "1 % of the shock: that would need",
        "c²·F′(0) = −0.0314 %",
        "−0.0001 % → −0.000111 % for NDX",
        "($1B moving NDX",
        "source. Flows above Q×",
        "as before, so −5 % still closes at",
        "stop-loss clusters (each fills linearly over a",
    ),
    *each_anchor(
        "docs/stress.md",
        (T_STRESS + "halt_figures_are_the_engines",),
        "halted at −23.10 %",
        "SOX −30 %: the floor is",
        "−31.24 %; the loop carries",
    ),
    Claim(
        "docs/stress.md",
        "`amplification` 1, measured from the halt level). NDX −30 %",
        (NOT_RESULT + "the example's input shock",),
    ),
    Claim(
        "docs/stress.md",
        "level-3 circuit breaker (−20 % of the",
        (NOT_RESULT + "the market-wide circuit-breaker rule (NYSE Rule 7.12, FACTS), an input",),
    ),
    Claim(
        "docs/stress.md", "S&P 500 × the underlying's beta", (NOT_RESULT + "the S&P 500's name",)
    ),
    Claim(
        "docs/stress.md",
        "Level 1–2 (−7 %/−13 %)",
        (NOT_RESULT + "the circuit-breaker rule, an input",),
    ),
    Claim(
        "docs/stress.md",
        "reads an amount between 0 and $10T",
        (T_STRESS + "scenario_inputs_quoted_in_the_text",),
    ),
    Claim(
        "docs/stress.md",
        "| underlying | capacity | LETF flow per 1 %",
        (NOT_RESULT + "the table's column headings",),
    ),
    Claim(
        "docs/stress.md",
        "Both pressures are at the −5 % shock's",
        (NOT_RESULT + "the input shock",),
    ),
    Claim(
        "docs/stress.md",
        "The NDX and SOX thresholds near 5 %",
        (T_STRESS + "default_close_table_is_the_engines",),
    ),
    *each_anchor(
        "docs/stress.md",
        (T_STRESS + "scenario_inputs_quoted_in_the_text",),
        "the judgement ADVs ($150B",
        "the thresholds are 0.9 %",
        "its stop clusters (",
    ),
    *each_anchor(
        "docs/stress.md",
        (T_STRESS + "gennotte_leland_jump_figures",),
        "A single stop cluster at −4 %",
        "about 40 % of ADV (NDX)",
        "(−2.8 % NDX, −2.1 % SOX",
    ),
    *each_anchor(
        "docs/stress.md",
        (NOT_RESULT + "the research note's question and the tables' inputs",),
        "## The research note's question:",
        "(bisection on the total Korean 3x AUM",
        "Required total Korean 3x AUM for -2% to close at -5%",
        "Closing move after a -2% shock",
        "| underlying | impact volume | ADV | today |",
        "with close-volume impact, −2 % → −5 %",
    ),
    *each_anchor(
        "docs/stress.md",
        (T_STRESS + "history_prose_is_the_tables",),
        "of the day's move to the close loop (",
        "(−6.2 % NDX on 04-04)",
        "next day gave back",
    ),
    Claim(
        "docs/stress.md",
        "within 1 % of it whenever λ×F′(0) ≤ 0.0099",
        (
            "tests/core/test_feedback.py::test_tiny_shock_closes_at_the_shock_times_the_small_signal_gain",
        ),
    ),
    Claim(
        "docs/stress.md",
        "pinned as the reason (its close ≥ c²K",
        ("tests/core/test_feedback.py::test_the_pure_square_root_law_sustains_a_move_of_its_own",),
    ),
    *each_anchor(
        "docs/stress.md",
        (
            "tests/core/test_feedback.py::test_a_shock_beyond_the_breaker_halts_with_the_selling_unfilled",
        ),
        "* Halts: a −30 % shock with linear",
        "K·20 % unfilled; a −11 % shock",
    ),
    Claim(
        "docs/stress.md",
        "maintenance ratio ≤ 100 %, a −150 % shock",
        (
            "tests/core/test_feedback.py::test_bad_shock_is_an_input_error",
            "tests/data/test_stress_scenario.py::test_bad_files_one_line",
        ),
    ),
    Claim(
        "docs/stress.md",
        "in [−8 %, +4 %]); correctness first",
        (NOT_RESULT + "the benchmark's input range",),
    ),
    Claim(
        "docs/stress.md",
        "| speed-up vs `brentq` / vs reference",
        (
            "benchmarks/bench_feedback.py:speedup_vs_brentq",
            "benchmarks/bench_feedback.py:speedup_vs_reference",
        ),
    ),
    Claim(
        "docs/stress.md",
        "the search stops at the breaker floor",
        (NOT_RESULT + "the search's limits",),
    ),
    Claim(
        "docs/stress.md",
        '"a 2 % drop becomes a 5 % crash"',
        (NOT_RESULT + "the research note's words, quoted",),
    ),
    # --- docs/history.md: tables regenerated in tests/docs/test_history_doc.py --------------
    *each_anchor(
        "docs/history.md", (T_HISTORY + "event_table_is_the_engines",), "| yes/yes |", "| no/no |"
    ),
    *each_anchor(
        "docs/history.md",
        (T_HISTORY + "stress_day_totals_table_is_the_engines",),
        "2018-02-05 | −1.16",
        "2020-03-12 | −4.55",
        "2020-03-16 | −5.54",
        "2022-09-13 | −8.27",
        "2024-08-05 | −4.82",
        "2025-04-03 | −9.03",
        "2025-04-04 | −9.65",
        "2025-04-09 | +18.04",
        "2025-10-10 | −8.24",
        form="| {} |",
    ),
    *each_anchor(
        "docs/history.md",
        (T_HISTORY + "event_prose_is_the_tables",),
        "the default scenario's closing capacity ($14.2B NDX",
        "the required flow on these days was $",
        "$0.6–7.1B on SOX, between",
        "SOXL's share (dated 2024-08-02) puts",
        "2025-04-09's reversal (",
        "and rebounded +",
        "BTC's next day is not tied to the US day in sign (",
        "2020-03-12, −2.1 % after 2025-10-10",
    ),
    *each_anchor(
        "docs/history.md",
        ("tests/validation/test_history_events.py::test_real_moves_match_facts",),
        "Checked against FACTS.md (e) in the test: NDX",
        "2020-03-16 / 2025-04-09 / 2025-04-04 / 2025-10-10 (QQQ within",
        "−15.23 %, −6.33 %, +18.7 %; VIX",
        "−8.8 %, Samsung −10.3 %",
        "+1.1 % (2020-03-16). The full table",
        "already fallen 8.8 % that day",
    ),
    *each_anchor(
        "docs/history.md",
        (T_HISTORY + "statistic_table_is_the_engines",),
        "goes with a −0.94 % next-day move",
        "−0.47 % to −1.41 %)",
        "flow coefficient is +0.11 %",
    ),
    *each_anchor(
        "docs/history.md",
        (T_HISTORY + "stress_day_totals_prose",),
        "against equities: +$2.63B",
        "−$0.20B at 1.5x",
    ),
    Claim(
        "docs/history.md", "`--threshold 5%` (also every day", (NOT_RESULT + "an option's input",)
    ),
    Claim(
        "docs/history.md",
        "the 198 with variable/unknown leverage, 1x",
        (NOT_RESULT + "fund leverage",),
    ),
    *each_anchor(
        "docs/history.md",
        (NOT_RESULT + "the confidence level of an interval",),
        "seed 20151), 95 % intervals",
        "| sample | specification | coef | 95 % CI",
    ),
    *each_anchor(
        "docs/history.md",
        (NOT_RESULT + "fund leverage",),
        "Money flows *into* the 3x long funds",
        "*out of* the 3x inverse funds",
        "The 2x long funds show no",
        "count −3×. Built since",
        "per fund class (3x long, 3x inverse, 2x)",
    ),
    *(
        Claim("docs/history.md", f"| {d} | {u} |", (T_FUNDH + "creations_tables_are_the_scripts",))
        for d in (
            "2020-03-16",
            "2022-09-13",
            "2025-04-03",
            "2025-04-04",
            "2025-04-09",
            "2025-10-10",
        )
        for u in ("NDX", "SPX")
    ),
    *each_anchor(
        "docs/history.md",
        (T_FUNDH + "creations_tables_are_the_scripts",),
        "they hardly mattered (±",
        "creations *added* to the buying (SPX:",
        "sign (2025-10-10 NDX:",
        "TQQQ 6 − 3·",
        "(−21 %); the panic-redemption",
    ),
    *each_anchor(
        "docs/history.md",
        (T_FUNDH + "aum_check_is_the_scripts",),
        "| interpolated shares × own NAV (the replay's) |",
        "| plain carry of the month-start shares",
    ),
    *each_anchor(
        "docs/history.md",
        (NOT_RESULT + "the interval level and the coefficient's unit",),
        "three days before (OLS, Newey–West 95 %",
        "−0.38 means a −1 % day brings",
        "| fund | same day | day −1 | day −2 | day −3 | sum (95 % CI)",
    ),
    # --- docs/korea.md: tables regenerated in tests/docs/test_korea_doc.py -----------------
    *each_anchor(
        "docs/korea.md",
        (T_KOREA + "share_table_is_the_engines",),
        "2020-12-31",
        "2021-12-31",
        "2022-12-31",
        "2023-12-31",
        "2024-08-05",
        "2024-12-31",
        "2025-06-30",
        "2025-12-31",
        "2026-01-12",
        "2026-04-21",
        "2026-05-13",
        form="| {} | $",
    ),
    *each_anchor(
        "docs/korea.md",
        (T_KOREA + "share_ranges_per_year",),
        "TQQQ 0.7–2.4% (2020)",
        "(2024), 5.6–13.2% (2025)",
        "TSLL 34.8–41.4%, NVDL",
    ),
    *each_anchor(
        "docs/korea.md",
        (T_KOREA + "press_table_is_the_check",),
        "TQQQ 2024-08-02",
        "SOXL 2024-08-02",
        "TQQQ 2024-11-04",
        "TSLL 2025-01-21",
        "TSLL 2025-02-26",
        form="| {} ",
    ),
    Claim(
        "docs/korea.md", "The TQQQ 2024-11-04 figure is", (T_KOREA + "press_table_is_the_check",)
    ),
    Claim(
        "docs/korea.md",
        "within 10% of it (about the 80th percentile",
        ("tests/validation/test_ksd_press.py::test_press_within_widened_weekly_range",),
        ("10%",),
    ),
    *each_anchor(
        "docs/korea.md",
        (T_KSTUDY + "behaviour_tables_are_the_study",),
        "| all weeks | ",
        "| fund fell > 15% ",
        "| fund rose > 15% ",
    ),
    *each_anchor(
        "docs/korea.md",
        (T_KSTUDY + "list_and_stress_tables_are_the_study",),
        "TQQQ",
        "SOXL",
        "TSLL",
        "NVDL",
        "SQQQ",
        "SOXS",
        "KORU",
        form="| {} | 25 | ",
    ),
    *each_anchor(
        "docs/korea.md",
        (T_KSTUDY + "list_and_stress_tables_are_the_study",),
        "2020-03-09 → 2020-03-16",
        "2022-09-12 → 2022-09-19",
        "2024-07-29 → 2024-08-05",
        "2024-09-02 → 2024-09-09",
        "2025-03-31 → 2025-04-07",
        "2025-04-07 → 2025-04-14",
        "2025-10-06 → 2025-10-13",
        form="| {} |",
    ),
    *_table_claims(
        "docs/korea.md",
        "**The Korean part of the replayed close flow**",
        "**Through the flows engine",
        T_KSTUDY + "list_and_stress_tables_are_the_study",
    ),
    *_table_claims(
        "docs/korea.md",
        "**Through the flows engine",
        "\n## ",
        T_KSTUDY + "flows_engine_table",
    ),
    *each_anchor(
        "docs/korea.md",
        (T_KSTUDY + "flows_engine_table",),
        "On the stress days of 2022–2025 the Korean part is",
        "these 8 funds (−$",
        "2020-03-16, when Koreans held",
        "(Korean share 9–11%, in the weekly top 50",
    ),
    Claim("docs/korea.md", "(−$457M vs −$456M on", (T_KSTUDY + "engine_and_study_agree_on_tqqq",)),
    *each_anchor(
        "docs/korea.md",
        (T_KSTUDY + "behaviour_prose_is_the_study",),
        "(median |.| 4.1%, p80 9.7%, p90 14.3% for the long funds)",
        "week in which their fund fell more than 15% they add",
        "(95% CI 7.5–15.3%, n = 65",
        "3.3% out (CI 2.1–4.5%, n = 93)",
        "about 1% of TQQQ's rebalancing sale alone",
        "2025-04-03/04: +$94M against",
        "Korean-held TQQQ (−$456M on 2024-08-05",
        "−$812M on 2025-04-03) is several times",
        "week (+$79M, +$94M)",
    ),
    *each_anchor(
        "docs/korea.md",
        (NOT_RESULT + "the confidence level or the table's column heads",),
        "after; OLS slope with HC1 95% CI:",
        "| fund | move | n | slope | 95% CI |",
        "| weeks | n | mean net buying / holdings | 95% CI |",
        "| fund | weeks | in top 50 |",
    ),
    *_table_claims(
        "docs/korea.md",
        "Korean net buying per fund in the custody week",
        "In every falling stress week",
        T_KSTUDY + "per_fund_stress_week_table",
    ),
    Claim(
        "docs/korea.md",
        "within 10% of it (about the 80th percentile",
        (T_KSTUDY + "behaviour_prose_is_the_study",),
        ("9.7%",),
    ),
    Claim("docs/korea.md", "press shares (TSLL 47.56% of a $4.8B NAV on 2025-01-21", ("FACTS",)),
    # --- docs/validate.md: the scorecard regenerated from the engine ----------------------
    *each_anchor("docs/validate.md", (T_VALIDATE_TABLE,), "| **pass** |", "| **fail** |"),
    *each_anchor(
        "docs/validate.md",
        (T_VALIDATE_FAILS,),
        "* **TQQQ 10-year growth, spread fitted on 2011–2014:",
        "loss, the error was",
        "a year in 2011–2014 to about",
        "the rebalancing-cost model misses by",
        "The walk-forward fit passes (",
        "cells are inside 80–95 %; of the misses",
        "2026-03-04, KOSPI",
    ),
    Claim(
        "docs/validate.md",
        "wide* (coverage above 95 %",
        (NOT_RESULT + "the tolerance's upper end (issue 18: 80–95 %)",),
    ),
    Claim(
        "docs/validate.md",
        "| `nav_recipe` | nav | the NAV engine with issue 4's fixed 0.40 % spread",
        (NOT_RESULT + "the recipe's fixed input (issue 4)",),
    ),
    Claim("docs/validate.md", "| `nav_tqqq_goal` | nav |", (T_VALIDATE_FAILS,)),
    Claim(
        "docs/validate.md",
        "| `feedback_laws` | stress | no phantom drift",
        (NOT_RESULT + "the input shock of the law",),
    ),
    Claim(
        "docs/validate.md",
        "| `contagion_coverage` | contagion |",
        (NOT_RESULT + "the stress-day definition, the band's level and the tolerance (issue 18)",),
    ),
    # --- docs/monitor.md: the thresholds table -------------------------------------------
    *(
        Claim("docs/monitor.md", f"| {ids} |", ("here::test_monitor_critical_thresholds",), figs)
        for ids, figs in (
            ("ndx_move, sox_move", ("5%",)),
            ("korean_fund_share", ("50%",)),
            ("sideways_decay", ("40%",)),
            ("usdkrw_level, usdkrw_speed", ("5%",)),
            ("margin_loan_growth", ("30%",)),
            ("vix_level, vix_jump", ("+50%",)),
            ("korea_single_stock_2x", ("$10B",)),
            ("crypto_altcoin_share, kimchi_premium", ("90%", "8%")),
        )
    ),
    Claim(
        "docs/monitor.md",
        "| korean_fund_share | largest Korean share of a fund above $1B",
        ("here::test_monitor_critical_thresholds",),
        ("$1B",),
    ),
    Claim(
        "docs/monitor.md",
        "| sideways_decay | 1 − exp(−3σ²·0.5) when the 60-day return is within ±10%",
        (NOT_RESULT + "the indicator's definition (a 3x fund, a flat-market band)",),
        ("10%", "3x"),
    ),
    Claim(
        "docs/monitor.md", "Korea-linked 2x single-stock", (NOT_RESULT + "fund leverage",), ("2x",)
    ),
    # --- docs/monitor.md: the replay table, recomputed from the replay -------------------
    *each_anchor(
        "docs/monitor.md",
        (T_MONITOR_TABLE,),
        "| CRITICAL | ",
        "| HIGH | ",
        "| ELEVATED | ",
        "| GUARDED | ",
        "| LOW | ",
    ),
    Claim("docs/monitor.md", "| all days | ", (T_MONITOR_TABLE,)),
    *each_anchor(
        "docs/monitor.md",
        (T_MONITOR_PROSE,),
        "when SOXX moved",
        "dispersed next week (std",
        "standard errors (",
    ),
    Claim(
        "docs/monitor.md",
        'share of a fund above $1B — the AUM decides "above $1B"',
        ("here::test_monitor_critical_thresholds",),
    ),
    Claim(
        "docs/monitor.md",
        "(margin loans, holdings, single-stock 2x)",
        (NOT_RESULT + "fund leverage",),
    ),
]


def _per_doc_registries() -> tuple[list[Claim], dict[str, str], dict[str, str]]:
    """Claims kept beside a document's own tests: every ``tests/docs/claims_*.py`` defines
    ``DOC`` (the document), ``CLAIMS`` — ``(anchor, by)`` or ``(anchor, by, figs)`` tuples
    with the meaning of :class:`Claim` — and, while the document is not fully mapped,
    ``PENDING`` (what is left and why), with ``PENDING_TIMINGS = True`` when some of its
    timings are among what is left."""
    import importlib.util

    claims: list[Claim] = []
    pending: dict[str, str] = {}
    pending_timings: dict[str, str] = {}
    for path in sorted((ROOT / "tests" / "docs").glob("claims_*.py")):
        spec = importlib.util.spec_from_file_location(f"_gaemi_{path.stem}", path)
        assert spec is not None
        assert spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for entry in mod.CLAIMS:
            anchor, by, *figs = entry
            claims.append(Claim(mod.DOC, anchor, tuple(by), tuple(figs[0]) if figs else ()))
        if getattr(mod, "PENDING", None):
            pending[mod.DOC] = mod.PENDING
            if getattr(mod, "PENDING_TIMINGS", False):
                pending_timings[mod.DOC] = mod.PENDING
    return claims, pending, pending_timings


_MORE, PENDING, PENDING_TIMINGS = _per_doc_registries()
CLAIMS += _MORE


# ------------------------------------------------------------------------------ checks
@pytest.mark.parametrize("doc", DOCS)
def test_every_figure_is_accounted_for(doc: str, request: pytest.FixtureRequest) -> None:
    if doc in PENDING:
        n = len(unmapped(doc))
        request.applymarker(
            pytest.mark.xfail(strict=True, reason=f"{n} figures unmapped: {PENDING[doc]}")
        )
    missing = unmapped(doc)
    assert not missing, f"{len(missing)} figures with no test or benchmark:\n" + "\n".join(
        missing[:40]
    )


@pytest.mark.parametrize("doc", DOCS)
def test_every_timing_is_accounted_for(doc: str, request: pytest.FixtureRequest) -> None:
    if doc in PENDING_TIMINGS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=PENDING_TIMINGS[doc]))
    missing = unmapped(doc, timings_only=True)
    assert not missing, f"{len(missing)} timings with no benchmark:\n" + "\n".join(missing)


def test_every_claim_matches_a_figure() -> None:
    """A mapping whose line is gone (the figure was removed or reworded) is removed too."""
    stale = [
        f"{c.doc}: {c.anchor!r}"
        for c in CLAIMS
        if not any(c.anchor in f.line and (not c.figs or f.text in c.figs) for f in figures(c.doc))
    ]
    assert not stale, stale


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def _results() -> dict[str, list[tuple[str, Any]]]:
    """Benchmark key → [(results file, value)] over benchmarks/results/*.json."""
    out: dict[str, list[tuple[str, Any]]] = {}

    def walk(x: Any, prefix: str, name: str) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, f"{prefix}.{k}" if prefix else k, name)
        else:
            out.setdefault(prefix, []).append((name, x))

    for p in sorted((ROOT / "benchmarks" / "results").glob("*.json")):
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except ValueError:  # a benchmark writing it right now
            continue
        walk(data, "", p.name)
    return out


def _number(text: str) -> tuple[float, float]:
    """(low, high) of a figure's number: ``about 1.5–3 s`` → (1.5, 3)."""
    nums = [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]
    return min(nums), max(nums)


def _check_setting(c: Claim, ref: str) -> list[str]:
    """``setting:module:NAME`` (or ``Class.field``: the default of a settings class): the
    value in code is the document's figure (seconds; ``ms`` converted)."""
    import importlib

    _kind, module, name = ref.split(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj() if isinstance(obj, type) else obj, part)
    for f in figures(c.doc):
        if c.anchor in f.line and TIMING.search(f.text):
            lo, _hi = _number(f.text)
            want = lo / 1000 if f.text.endswith("ms") else lo
            return [] if math.isclose(float(obj), want) else [f"{ref} = {obj} vs {f.text!r}"]
    return [f"{ref}: no timing on the line"]


def test_every_reference_exists() -> None:
    here = _test_names(Path(__file__))
    results = _results()
    problems = []
    for c in CLAIMS:
        for ref in c.by:
            if ref.startswith(NOT_RESULT) or ref == "FACTS":
                continue
            if ref.startswith("setting:"):
                problems += _check_setting(c, ref)
                continue
            if ref.startswith("here::"):
                if ref.split("::")[1] not in here:
                    problems.append(ref)
            elif "::" in ref:
                path, name = ref.split("::")
                if not (ROOT / path).is_file() or name not in _test_names(ROOT / path):
                    problems.append(ref)
            else:
                path, key = ref.split(":")
                src = ROOT / path
                if not src.is_file() or f'"{key}"' not in src.read_text(encoding="utf-8"):
                    problems.append(ref)
                    continue
                # a stored result of that key agrees with the document within a factor 2:
                # the k-th benchmark reference of a claim is the k-th timing of its line
                keys = [r.split(":")[1] for r in c.by if ":" in r and "::" not in r]
                for f in figures(c.doc):
                    if c.anchor not in f.line:
                        continue
                    timed = [
                        g
                        for g in figures(c.doc)
                        if g.line_no == f.line_no and TIMING.search(g.text)
                    ]
                    if key not in keys or keys.index(key) >= len(timed):
                        continue
                    g = timed[keys.index(key)]
                    lo, hi = _number(g.text)
                    got = [(n, v) for n, v in results.get(key, []) if isinstance(v, int | float)]
                    if got and not any(lo / 2 <= v <= hi * 2 for _n, v in got):
                        problems.append(f"{ref}: {got} vs {g.text!r}")
                    break
    assert not problems, problems


def test_quoted_figures_are_in_facts() -> None:
    """Published figures quoted in a document are those of ../shared/facts/FACTS.md."""
    if not FACTS.is_file():
        pytest.skip("../shared/facts/FACTS.md not found")
    facts = FACTS.read_text(encoding="utf-8").replace("−", "-")
    missing = []
    for c in CLAIMS:
        if "FACTS" not in c.by:
            continue
        for f in figures(c.doc):
            if c.anchor in f.line and (not c.figs or f.text in c.figs):
                core = f.text.replace("−", "-").lstrip("+-$").rstrip("BMk%×x ").split("–")[0]
                if core not in facts:
                    missing.append(f"{c.doc}: {f.text}")
    assert not missing, missing


# --------------------------------------------------------- README figures computed here
def _readme() -> str:
    return " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())


def _json(capsys: pytest.CaptureFixture[str], cmd: str) -> Any:
    from gaemi.present.cli import main

    capsys.readouterr()
    assert main(shlex.split(cmd)[1:]) == 0
    return json.loads(capsys.readouterr().out)


def _pct(v: float, decimals: int = 2) -> str:
    """As the README writes a move: −2.22% (a true minus sign)."""
    return f"{v * 100:+.{decimals}f}%".replace("-", "−").lstrip("+")


def test_readme_stress(capsys: pytest.CaptureFixture[str]) -> None:
    # the default stress scenario (gaemi stress): closing moves after the loop and the
    # move at which the leveraged funds' flow alone fills the close (threshold_move_frac)
    text = _readme()
    two = _json(capsys, "gaemi stress --shock -2% --underlying NDX --format json")[0]
    five = {r["underlying"]: r for r in _json(capsys, "gaemi stress --shock -5% --format json")}
    from gaemi.data.stress import load_default_stress

    # 9.44%: FACTS.md (b), tests/data/test_stress_scenario.py::test_default_figures_from_facts
    share = load_default_stress().liquidity("NDX").closing_share
    want = (
        f"closing auction's {share * 100:.2f}% share: NDX −2% closes at "
        f"{_pct(two['final_move_frac'])} and −5% at {_pct(five['NDX']['final_move_frac'])}; "
        f"the leveraged funds' flow alone fills the close at "
        f"{_pct(five['NDX']['threshold_move_frac'])} "
        f"(SOX {_pct(five['SOX']['threshold_move_frac'])};"
    )
    assert want in text


def test_readme_sweep(capsys: pytest.CaptureFixture[str]) -> None:
    base = "gaemi stress --shock -3% --underlying NDX --format json"
    low = _json(capsys, f"{base} --korean-aum 10e9")[0]["final_move_frac"]
    high = _json(capsys, f"{base} --korean-aum 150e9 --liquidity-scale 0.25")[0]
    want = (
        f"a −3% NDX shock closes at {_pct(low)} with $10B of Korean 3x AUM and normal "
        f"liquidity, and at {_pct(high['final_move_frac'])} with $150B and a quarter"
    )
    assert want in _readme()


def test_readme_decay() -> None:
    # the vol drag of a 3x daily-reset fund over T years in a flat market:
    # 1 − exp(−(L²−L)/2·σ²·T) (Avellaneda & Zhang 2010), L = 3, T = 0.5
    text = _readme()
    loss = 1 - math.exp(-3 * 0.45**2 * 0.5)
    assert f"a flat half-year at σ = 45% costs a 3x fund {loss * 100:.0f}%" in text
    import gaemi

    ind = {i.id: i for i in gaemi.status(gaemi.load_state()).indicators}
    vol = re.search(r"SOX 60-day vol (\d+)%", ind["sideways_decay"].detail)
    assert vol is not None
    assert f"at SOXX's recent {vol.group(1)}% it costs SOXL about half" in text
    half = 1 - math.exp(-3 * (int(vol.group(1)) / 100) ** 2 * 0.5)
    assert 0.4 <= half <= 0.6  # "about half"


def test_readme_status() -> None:
    # the embedded snapshot's status and the indicator details it quotes
    import gaemi

    text = _readme()
    res = gaemi.status(gaemi.load_state())
    ind = {i.id: i for i in res.indicators}
    assert f"On the embedded snapshot the report reads **{res.status.status}**" in text
    vol = re.search(r"SOX 60-day vol (\d+%)", ind["sideways_decay"].detail)
    assert vol is not None
    assert f"realised volatility is about {vol.group(1)} with a flat 60-day return" in text
    lvl = re.search(r"₩([\d,.]+) per USD on (\S+)", ind["usdkrw_level"].detail)
    speed = re.search(r"([+-][\d.]+%) in 20", ind["usdkrw_speed"].detail)
    assert lvl is not None
    assert speed is not None
    assert f"USD/KRW at {lvl.group(1)} ({speed.group(1)} in 20 days, FRED, {lvl.group(2)})" in text
    # the detail writes won by gaemi.units (₩33.70조), the README to one decimal (₩33.7tn)
    m = re.search(r"₩([\d.]+)조 on (\S+) .*: ([+-]\d+%)", ind["margin_loan_growth"].detail)
    assert m is not None
    said = re.search(r"margin loans ([+-]\d+%) in two months to a record ₩([\d.]+)tn", text)
    assert said is not None
    assert said.group(1) == m.group(3)
    assert said.group(2) == f"{float(m.group(1)):.1f}"
    assert f"(KOFIA, {m.group(2)})" in text
    share = re.match(r"(\w+) (\d+%) Korean-held", ind["korean_fund_share"].detail)
    assert share is not None
    assert f"{share.group(1)} {share.group(2)} Korean-held." in text


def test_readme_history() -> None:
    # the README's summary of docs/history.md's event table, whose numbers
    # tests/validation/test_history_events.py::test_docs_tables_match_the_engine checks
    # against the engine: the range of the NDX flow and LETF pressure columns, the days
    # that reversed on both proxies and the significance of the two statistics
    doc = (ROOT / "docs" / "history.md").read_text(encoding="utf-8")
    part = doc.split("## Event study: the named days", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in part.splitlines()]
    rows = [r for r in rows if len(r) >= 17 and r[0][:2] == "20"]
    flows = [float(re.sub(r"[^\d.]", "", r[11])) for r in rows]  # |−$4.78B| → 4.78
    press = [float(r[13]) for r in rows]
    both = sum(r[-1] == "yes/yes" for r in rows)
    text = _readme()
    words = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    assert f"on the {words[len(rows)]} named stress days" in text
    assert f"${min(flows):.1f}–{max(flows):.0f}B on NDX" in text
    assert f"{min(press):.1f}–{max(press):.1f}× closing capacity" in text
    assert f"{both} of {len(rows)} days reversed the next session" in text
    stats = doc.split("## The statistic", 1)[1].split("\n## ", 1)[0]
    table = [ln.strip().strip("|").split("|") for ln in stats.splitlines() if ln.startswith("|")]
    ndx = [r for r in table if len(r) >= 7 and r[0].strip() == "NDX"]
    assert [r[6].strip() for r in ndx] == ["yes", "no"]  # x alone; x + the day's move
    assert "heavy-flow days do reverse (significant at 5%), but not once the day's own move" in text


def test_readme_past_day_moves(shared_data: Path) -> None:
    # gaemi report --db … --date 2025-04-04: QQQ and SOXX's close-to-close moves that day,
    # from the adjusted closes of ../shared/data
    import pandas as pd

    text = _readme()
    for sym in ("QQQ", "SOXX"):
        frame = pd.read_csv(shared_data / "us-adjclose-1993-2026" / f"{sym}.csv")
        close = frame.set_index("Date")["Close"]
        move = float(close.loc["2025-04-04"] / close[close.index < "2025-04-04"].iloc[-1] - 1)
        assert f"{sym} {_pct(move, 1)}" in text, (sym, move)


def test_monitor_critical_thresholds() -> None:
    # docs/monitor.md's "CRITICAL at" column is the last threshold of each indicator in
    # monitor_rules.yaml (what the monitor uses), and korean_fund_share's $1B floor is the
    # indicator's own AUM filter
    from gaemi.monitor.indicators import load_default_rules

    specs = load_default_rules().specs
    doc = (ROOT / "docs" / "monitor.md").read_text(encoding="utf-8")
    lines = [ln.replace("\\|", "¦") for ln in doc.splitlines()]  # an escaped | in a cell
    rows = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]
    table = {r[0]: r[2] for r in rows if len(r) == 4 and r[0] and r[0].split(",")[0] in specs}
    assert len(table) >= 12

    def shown(ind: str, v: float) -> str:
        if ind == "usdkrw_level" or ind.endswith(("pressure", "proximity")) or ind == "vix_level":
            return f"{v:,.1f}".removesuffix(".0") if v >= 100 or v == 40 else f"{v:.1f}"
        if ind == "korean_leveraged_growth":
            return f"×{v:.1f}"
        if ind == "korea_single_stock_2x":
            return f"${v / 1e9:.0f}B"
        if ind == "bok_hike":
            return f"+{v * 1e4:.0f} bp"
        return f"{'+' if ind == 'vix_jump' else ''}{v * 100:.0f}%"

    for ids, col in table.items():
        values = [shown(i.strip(), specs[i.strip()].thresholds[-1]) for i in ids.split(",")]
        want = "; ".join(dict.fromkeys(values))  # one figure when both share it
        assert col == want, (ids, col, want)
    src = (ROOT / "src" / "gaemi" / "monitor" / "indicators.py").read_text(encoding="utf-8")
    assert '(ks["aum_usd"] >= 1e9)' in src  # korean_fund_share: funds above $1B
