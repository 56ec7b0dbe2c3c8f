"""Figures of docs/scale.md and what reproduces each (read by tests/test_docs_figures.py).

Each entry is ``(anchor, by)`` or ``(anchor, by, figs)`` as in that file's ``Claim``: the
figures on a line of the document containing ``anchor`` (only ``figs`` when given) are
reproduced by every reference in ``by`` (``tests/…py::test_name``, a benchmark key
``benchmarks/bench_x.py:key``, ``FACTS``, or ``"not a result: <why>"``).

A table row holds several timings: its claim lists the benchmark keys in the order of the
row's timings (tests/test_docs_figures.py compares the k-th key's stored result with the
k-th timing of the line, within a factor of 2). Ratios (×) sit on lines without a timing.
"""

from __future__ import annotations

DOC = "docs/scale.md"

T = "tests/docs/test_scale_doc.py::test_"
B_DECAY = "benchmarks/bench_decay.py:"
B_GARCH = "benchmarks/bench_garch.py:"
B_FEEDBACK = "benchmarks/bench_feedback.py:"
B_CASCADE = "benchmarks/bench_cascade.py:"
B_CRYPTO = "benchmarks/bench_crypto.py:"
B_SWEEP = "benchmarks/bench_sweep.py:"
B_STARTUP = "benchmarks/bench_startup.py:"
TARGET = "not a result: the issue's target, which the benchmark records beside the timing"

_DECAY = "| NAV of a 3× fund, **1,000,000 paths × 252 days** (`decay`) |"
_GARCH = "| **GJR-GARCH-t, 1,000,000 paths × 252 days** (`garch`) |"
_FEEDBACK = "| **1,000,000 feedback scenarios** (`feedback`) |"
_CASCADE = "| **contagion, 10,000 draws × 30 nodes × 60 days** (`cascade`) |"
_CRYPTO = "| **crypto, 100,000 cascades on 1,000,000 positions** (`crypto`) |"
_STARTUP = "| **start-up** (`startup`) |"
_SWEEP = "| **sweep through the command line** (`sweep`;"

CLAIMS: list[tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("sampled every 2 ms during a", (T + "rss_sampling_interval_is_the_harness_default",)),
    # --- the benchmark table: timings in the order of the row ----------------------------
    (_DECAY, ("not a result: the fund's leverage",), ("3×",)),
    (
        _DECAY,
        (
            B_DECAY + "seconds",
            B_DECAY + "rng_float32_1thread_s",
            B_DECAY + "rng_float32_all_threads_s",
            B_DECAY + "target_seconds",
        ),
        ("1.42 s", "2.14 s", "1.11 s", "2.5 s"),
    ),
    (
        _GARCH,
        (
            B_GARCH + "gaemi_s",
            B_GARCH + "rng_draws_all_threads_s",
            B_GARCH + "rng_normal64_1thread_s",
            B_GARCH + "memory_pass_float32_per_step_s",
        ),
        ("0.82–0.83 s", "0.59–0.85 s", "2.57 s", "0.039 s"),
    ),
    (_GARCH, (TARGET,), ("20×",)),
    (_FEEDBACK, (B_FEEDBACK + "vectorised_s",), ("0.85 s",)),
    (_FEEDBACK, (TARGET,), ("2 s",)),
    (
        _CASCADE,
        (B_CASCADE + "mc_engine_every_day_s", B_CASCADE + "mc_linear_s", B_CASCADE + "target_s"),
    ),
    (_CRYPTO, (B_CRYPTO + "seconds", B_CRYPTO + "target_seconds")),
    (_SWEEP, (TARGET,), ("3 s", "12×")),  # first: the row's other figures are the keys'
    (
        _SWEEP,
        (
            B_SWEEP + "shocks_100k_serial_s",
            B_SWEEP + "grid_serial_s",
            B_SWEEP + "grid_dask_2_workers_s",
        ),
    ),
    (
        _STARTUP,
        (
            B_STARTUP + "import_gaemi_s",
            B_STARTUP + "import_gaemi_net_s",
            B_STARTUP + "gaemi_help_s",
            B_STARTUP + "target_import_net_s",
            B_STARTUP + "target_help_s",
        ),
    ),
    # --- notes on the peers (ratios only on these lines) --------------------------------
    (
        "(20,000 paths) is **42–46× slower** than the kernel on 2 threads",
        (B_GARCH + "speedup_vs_arch", B_GARCH + "speedup_1thread_vs_arch"),
    ),
    (
        "kernel on one thread, 7–10× against the NumPy kernel without numba",
        (B_GARCH + "speedup_numpy_kernel_vs_arch",),
    ),
    ("normal/χ² innovations) is 11–12× slower, and", (B_GARCH + "speedup_vs_numpy_loop",)),
    ("the pandas row-by-row spreadsheet 14,000× slower", (B_GARCH + "speedup_vs_pandas_loop",)),
    ("it costs 1.0–1.4× its exponential and", (B_GARCH + "gaemi_over_rng_draws",)),
    (
        "the draws are nearly the whole cost, and 21× one write",
        (B_GARCH + "gaemi_over_memory_pass",),
    ),
    ("(the target is at least 20× `arch`)", (B_GARCH + "target_speedup_vs_arch",)),
    (
        "`brentq` per scenario is 334× slower, the scan + Brent reference 4,180× slower",
        (B_FEEDBACK + "speedup_vs_brentq", B_FEEDBACK + "speedup_vs_reference"),
    ),
    ("`arch` would need about 6 GB of", (T + "arch_memory_at_a_million_paths",)),
    # --- section 3 ----------------------------------------------------------------------
    ("(scales the Korean 3× holdings, as", ("not a result: the funds' leverage",)),
    (
        "* the 919,100-point grid, best of 5 pairs:",
        (B_SWEEP + "grid_serial_s", B_SWEEP + "grid_dask_2_workers_s"),
    ),
    (
        "* 100,000 shocks on one parameter set, best of 3 pairs:",
        (B_SWEEP + "x100k_serial_s", B_SWEEP + "x100k_dask_2_workers_s"),
    ),
    (
        "* the grid with 4 times the shocks, 3,400,670 points, best of 3 pairs:",
        (B_SWEEP + "x3400k_serial_s", B_SWEEP + "x3400k_dask_2_workers_s"),
    ),
    (
        "* 2 workers over serial, best against best:",
        (
            B_SWEEP + "x100k_dask_over_serial_best",
            B_SWEEP + "grid_dask_over_serial_best",
            B_SWEEP + "x3400k_dask_over_serial_best",
        ),
    ),
    (
        "* the grid's 2-worker runs used",
        (B_SWEEP + "grid_dask_2_workers_cpu_best_s", B_SWEEP + "grid_serial_cpu_best_s"),
    ),
    (
        "The run before it (21:17 UTC, load",
        (
            B_SWEEP + "x100k_dask_over_serial_best",
            B_SWEEP + "grid_dask_over_serial_best",
            B_SWEEP + "x3400k_dask_over_serial_best",
        ),
    ),
    ("* what Dask adds is fixed: importing it costs", (B_SWEEP + "dask_import_cpu_s",)),
    (
        "Korean-AUM universe and stress model alone took",
        (B_SWEEP + "grid_parameter_sets_cpu_s", B_SWEEP + "grid_chunks_cpu_s"),
    ),
]
