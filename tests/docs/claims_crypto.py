"""Figures of docs/crypto.md and what reproduces each (read by tests/test_docs_figures.py).

Each entry is ``(anchor, by)`` or ``(anchor, by, figs)`` as in that file's ``Claim``: the
figures on a line of the document containing ``anchor`` (only ``figs`` when given) are
reproduced by every reference in ``by`` (``tests/…py::test_name``, a benchmark key
``benchmarks/bench_x.py:key``, ``FACTS``, or ``"not a result: <why>"``).
"""

from __future__ import annotations

DOC = "docs/crypto.md"

T = "tests/docs/test_crypto_doc.py::test_"
NR = "not a result: "
SHOCK = T + "shock_and_inversion_are_the_engines"
CLIFF = T + "cliff_table_is_the_engines"
KOREA = T + "korean_example_is_the_engines"
INPUTS = T + "inputs_are_the_configs"
OBSERVED = T + "observed_table_and_fitted_values"
FIT = T + "fit_table_is_the_engines"
WHATIF = T + "fit_what_ifs"
LOO = T + "leave_one_out_table_is_the_engines"
LAW = T + "law_and_the_2024_08_05_miss"
DATED = T + "positioning_by_date"
AMPL = T + "amplification_is_the_engines"
UNIT = NR + "a unit (USD of market orders per 1 % move)"

CLAIMS: list[tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    # --- opening: published figures of the event (FACTS.md (f), (i).1) ---------------------
    ("than 80 % of Korean exchange volume", ("FACTS",)),
    ("about $19.1–19.3B was liquidated in", ("FACTS",)),
    ("about 24h, 85–91 % of it longs", ("FACTS",)),
    # --- the shock and its inversion -------------------------------------------------------
    ('means "news moves BTC 7 % before', (NR + "the shock of the example",)),
    ("the cascade then takes BTC to", (SHOCK,)),
    ("population ($18.6B liquidated)", (SHOCK,)),
    ("reaches −7 % (", (NR + "the realised move asked for",), ("−7 %",)),
    ("reaches −7 % (", (SHOCK,)),
    # --- 1. model ----------------------------------------------------------------------------
    ("calm depth D0 (USD of market orders per 1 % move)", (UNIT,)),
    (
        "−9.5 % for 10x with mm 0.5 %",
        ("tests/core/test_crypto.py::test_one_long_position_closed_form",),
    ),
    # --- 2. calibration: observed, assumed, fitted ---------------------------------------------
    ("(low $104,582; FACTS: $101.5–104.8k)", ("FACTS",), ("$101.5–104.8k",)),
    *((f"| {a} | $", (OBSERVED,)) for a in ("BTC", "ETH", "SOL")),
    ("mean of ETH's and SOL's moves that day (low", (OBSERVED,)),
    ("Open interest $217B (FACTS) split", ("FACTS",)),
    ("BTC 42 %, ETH 28 %, SOL 6 %, ALT 24 %", (INPUTS,)),
    ("log-sd 0.7, in [1.5, exchange cap]; shorts median", (INPUTS,)),
    ("current price with sd 4 %", (INPUTS,)),
    ("(0.4 % BTC/ETH, 0.5 % SOL, 1 % small caps)", (INPUTS,)),
    ("leveraged shorts 5 % of OI", (INPUTS,)),
    ("BTC −4 % (range −1 % … −8 %)", (INPUTS,)),
    ("(f = 0.5, h = 10 %)", (INPUTS,)),
    ("87 % of $19.2B in longs.", (INPUTS,)),
    ("the standing population cannot produce", (OBSERVED,)),
    ("the day's high was only", (OBSERVED,)),
    ("it liquidates come to", (OBSERVED,)),
    ("(low → close: BTC", (OBSERVED,)),
    ("ALT +9.7 %). We model them", (OBSERVED,), ("+9.7 %",)),
    ("ALT +9.7 %). We model them", (INPUTS,)),
    ("give the remaining", (OBSERVED,)),
    ("`btc_depth_usd_per_pct` = $743M", (OBSERVED,), ("$743M",)),
    ("`btc_depth_usd_per_pct` = $743M", (UNIT,), ("1 %",)),
    ("`btc_depth_usd_per_pct` = $743M", (NR + "the assumed news move (an input)",)),
    ("snapshot of the 1 % book", (UNIT,)),
    ("Depths: BTC $743M, ETH $978M, SOL $210M", (OBSERVED,)),
    ("ALT basket $838M per 1 %", (OBSERVED,), ("$838M",)),
    ("ALT basket $838M per 1 %", (UNIT,)),
    # the fit table and its note
    ("| total liquidated | $19.1–19.3B", ("FACTS",), ("$19.1–19.3B",)),
    ("| total liquidated | $19.1–19.3B", (FIT,)),
    ("| long share | ≈ 87 %", (FIT,)),
    *((f"| {a} open→low |", (FIT,)) for a in ("BTC", "ETH", "SOL", "ALT")),
    ("the closed-form count (observed moves applied to the ladder) gives exactly", (FIT,)),
    ("and 87 %; the cascade gives a little less", (FIT,)),
    (
        "Tolerances in the test: total ±5 %",
        (NR + "a tolerance of tests/validation/test_crypto_oct2025.py::test_fit_table",),
        ("5 %",),
    ),
    ("Tolerances in the test: total ±5 %", (FIT,)),
    # what the fit does and does not say
    ("ETH would fall ~", (WHATIF,)),
    ("SOL's book is the thinnest", (OBSERVED,), ("$210M", "$743M")),
    ("SOL's book is the thinnest", (UNIT,)),
    ("top-of-book depth falling ~98 %", ("FACTS",)),
    ("low jumps from about", (WHATIF,)),
    ("with f = 0.1 it still passes −14 % continuously", (WHATIF,)),
    ("stopped at −14 %, so we assume", (WHATIF,)),
    ("With −6 % instead of −4 %", (NR + "the two assumed news moves compared",)),
    ("alt factor 1.66 and total", (WHATIF,)),
    ("the calibrated ladder jumps from", (WHATIF,)),
    ("(USDe at ~$0.65 on Binance)", ("FACTS",)),
    # the cliff table and its prose
    ("| BTC shock |", (NR + "the shocks of the table (inputs)",)),
    ("| BTC final |", (CLIFF,)),
    ("| liquidated |", (CLIFF,)),
    ("Amplification r/r₀ peaks near", (CLIFF,)),
    ("(10x longs with entries", (INPUTS,)),
    ("spread ±4 %), and once those rungs", (INPUTS,)),
    # --- 3. across events -------------------------------------------------------------------
    ("and 2024-08-05 it liquidates", (DATED,)),
    ("against reported totals of", (DATED,)),
    ("from $0.1B to $5T", (INPUTS,)),
    ("the long share of that, funding per 8 h", (NR + "a unit (funding per 8 h)",)),
    ("measured on 2024-03-04: >$30B [FACTS (i).4]", ("FACTS",)),
    ("$16.23B [Coinalyze]", ("FACTS",)),
    ("open interest outside $0.1B–$5T", (INPUTS,)),
    ("funding beyond ±10 % per 8 h", (INPUTS,)),
    ("read statically at a realised BTC", (INPUTS,)),
    ("then runs to BTC", (DATED,)),
    ("(reported that day:", (DATED,)),
    ("~1 % of OI per −10 % day", (LAW,)),
    ("with a fall over 4 % the correlation", (NR + "the selection of crash days (a threshold)",)),
    ("~3.3–5.5× on the four 2022–2024 events", (LAW,)),
    *(
        (f"| {e} |", (LOO,))
        for e in (
            "2020-03-12",
            "2021-04-18",
            "2021-05-19",
            "2021-12-04",
            "2022-06-13",
            "2022-11-08",
            "2024-03-05",
            "2024-08-05",
            "2024-12-05",
            "2024-12-09",
            "2025-10-10",
        )
    ),
    ("whose falls (", (LOO,)),
    ("−15 % day, and 2021-12-04", (NR + "a comparison point (an ordinary event-day fall)",)),
    ("% BTC low on a book the law calls ordinary", (LOO,)),
    ("the law (the implied scale;", (LOO,)),
    ("Hyperliquid's $10.28B", ("FACTS",)),
    ("total at $30–40B, FACTS (i).1", ("FACTS",)),
    ("% to its low; with the convex term", (LAW,)),
    ("of OI on ETH's path) carries", (LAW,)),
    ("of non-BTC liquidations (BTC $362M of", ("FACTS",), ("$362M",)),
    ("of non-BTC liquidations (BTC $362M of", (LAW,)),
    ("BTC days whose fall is at most", (LAW,)),
    ("**2024-12-05 (×1.69)**: a", (LOO,)),
    ("snapshots $1.05–1.09B", ("FACTS",)),
    ("2022-06-13 (reported", (LOO,), ("64 %", "82 %")),
    ("2022-06-13 (reported", ("FACTS",), ("52 %",)),
    ("2022-11-08 (73 % /", (LOO,)),
    ("the 2022 days (72 %, 79 %, FACTS (i).3)", ("FACTS",)),
    ("scaled with open interest), e.g. 2024-08-05", (LOO,)),
    ("−30.0 %. The realised low is never", (LOO,)),
    # --- 4. amplification ---------------------------------------------------------------------
    ("for BTC shocks of −2 % … −15 %", (NR + "the shocks of the scan (inputs)",)),
    ("highest near the −2.5 % … −3 % cliff", (AMPL,)),
    # --- 5. Korean exposure -------------------------------------------------------------------
    ("* Holdings ₩55.3tn", (INPUTS,)),
    ("weighted BTC 20 %, ETH 10 %", (INPUTS,)),
    ("(FACTS: altcoins >80 % of Korean volume", ("FACTS",)),
    ("* Coin lending: ₩1.5tn borrowed", ("FACTS",), ("₩1.5tn",)),
    ("* Coin lending: ₩1.5tn borrowed", (INPUTS,)),
    ("3x, 4x exposure/equity (Bithumb offered up to 4x", (INPUTS,)),
    ("force-liquidated when equity falls to", (INPUTS,)),
    ('reads "hot"', (INPUTS,)),
    ("liquidated in 21 rounds, all longs;", (KOREA,)),
    ("Korean slice: spot BTC", (KOREA,)),
    ("of lending equity (the 4x bucket)", (KOREA,)),
    ("(19 % of holdings", (KOREA,)),
    (
        "If the kimchi premium opens from 0 % to 8 %",
        (NR + "the premium before (an input)",),
        ("0 %",),
    ),
    # the premium after is an input set to the reported >8 % (FACTS.md (f))
    ("If the kimchi premium opens from 0 % to 8 %", ("FACTS",), ("8 %",)),
    ("the KRW loss shrinks to", (KOREA,)),
    ("With `--shock BTC=-10%`:", (KOREA,)),
    ("% of lending equity liquidated. (FACTS: 13 %", ("FACTS",), ("13 %",)),
    ("% of lending equity liquidated. (FACTS: 13 %", (KOREA,)),
    # --- 6. population files --------------------------------------------------------------------
    ("consistent with the formula to 0.1 %", (INPUTS,)),
    # --- 7. performance ---------------------------------------------------------------------
    (
        "(BTC shocks N(0, 5 %)), ladder build included",
        (NR + "the benchmark's shock distribution",),
        ("5 %",),
    ),
    ("(BTC shocks N(0, 5 %)), ladder build included", ("benchmarks/bench_crypto.py:seconds",)),
    ("against a target of 10 s", ("benchmarks/bench_crypto.py:target_seconds",)),
    # --- 8. open ends ------------------------------------------------------------------------
    ("meet at one point (BTC", (INPUTS,)),
]
