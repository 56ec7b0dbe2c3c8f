"""Issue 21.1 at the command line: malformed input → exit code 2 and exactly one stderr line.

Each case runs ``gaemi`` in a fresh working folder (``$GAEMI_DB`` and ``$XDG_DATA_HOME``
point into it) and asserts: exit code 2, nothing on stdout, the WHOLE stderr is one line
``error: …`` matching the field and value, and no file appeared or changed in the folder.
The ``--paths 10000000000`` cases run in a subprocess with a 3 GB address-space limit
(so a missing up-front check fails as a MemoryError instead of swapping the machine).

Cases whose fix belongs to a face owned by another engineer this session are marked
``xfail(strict=True)``: they fail today and will flag (XPASS → failure) once fixed, so the
mark must then be removed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gaemi.present.cli import main

H1A = "issue 21: {} face owned elsewhere this session (H1a)"

U_HEADER = "ticker,leverage,underlying_id,aum_usd,aum_as_of,korean_share"
P_HEADER = "asset,side,leverage,size_usd,entry_frac"


@dataclass(frozen=True)
class CliCase:
    """One bad command line: the args (``{d}`` = the working folder), the inputs it needs."""

    name: str
    args: tuple[str, ...]
    expect: str
    files: dict[str, bytes] = field(default_factory=dict)
    xfail: str | None = None
    shared: bool = False  # needs ../shared/data ("{shared}" in args)
    subprocess: bool = False


def _u(row: str) -> bytes:
    return f"{U_HEADER}\nTQQQ,3,NDX,39349000000,2026-06-01,0.09\n{row}\n".encode()


def _p(row: str) -> bytes:
    return f"{P_HEADER}\nBTC,long,10,1000000,1\n{row}\n".encode()


SHOCK = "--shocks=-10%:-1%:1%"
BIG = "10000000000"
#: Every command checks --seed by app.decay.check_seed: one wording.
SEED_WORDS = r"^error: --seed = -1 must be an integer >= 0$"
CASES = [
    # ---------------------------------------------------------------- seeds
    CliCase(
        "crypto seed",
        ("crypto", "--shock", "BTC=-10%", "--seed", "-1"),
        SEED_WORDS,
    ),
    CliCase(
        "cascade seed",
        ("cascade", "--draws", "10", "--seed", "-1"),
        SEED_WORDS,
    ),
    CliCase(
        "decay seed",
        ("decay", "--ticker", "SOXL", "--seed", "-1"),
        SEED_WORDS,
    ),
    CliCase(
        "investor seed",
        ("investor", "--capital", "1e7", "--position", "SOXL=1", "--paths", "100", "--seed", "-1"),
        SEED_WORDS,
    ),
    CliCase(
        "history --stats seed",
        ("history", "--stats", "--seed", "-1", "--data-dir", "{shared}"),
        SEED_WORDS,
        shared=True,
    ),
    CliCase("sweep seed", ("sweep", SHOCK, "--seed", "-1"), SEED_WORDS),
    # ---------------------------------------------------------------- sizes (memory)
    CliCase(
        "decay paths",
        ("decay", "--ticker", "SOXL", "--paths", BIG),
        r"paths.*GiB",
        subprocess=True,
    ),
    CliCase(
        "investor paths",
        ("investor", "--capital", "1e7", "--position", "SOXL=1", "--paths", BIG),
        r"paths.*GiB",
        subprocess=True,
    ),
    CliCase(
        "sweep decay paths",
        ("sweep", "--engine", "decay", "--vol", "30%", "--paths", BIG),
        r"paths.*GiB",
        subprocess=True,
    ),
    # ---------------------------------------------------------------- output paths
    CliCase(
        "report --html dir",
        ("report", "--html", "{d}"),
        r"--html.*directory",
    ),
    CliCase(
        "monitor --alerts dir",
        ("monitor", "--once", "--alerts", "{d}"),
        r"--alerts.*directory",
    ),
    CliCase(
        "sweep --out missing folder",
        ("sweep", SHOCK, "--out", "{d}/nonexistent/x.csv"),
        r"--out.*nonexistent",
    ),
    CliCase("sweep --out dir", ("sweep", SHOCK, "--out", "{d}"), r"--out .*suffix"),
]

# ---------------------------------------------------------------- bad input files
# Each row is (name, args, expected regex, files written into the working folder first).
U_FLOWS = ("flows", "--universe", "{d}/u.csv")
U_REPORT = ("report", "--universe", "{d}/u.csv", "--html", "{d}/r.html")
P_CRYPTO = ("crypto", "--shock", "BTC=-10%", "--population", "{d}/p.csv")
S_STRESS = ("stress", "--shock", "-3%", "--scenario", "{d}/s.yaml")
H_DECAY = ("decay", "--ticker", "SOXL", "--model", "bootstrap", "--history", "{d}/h.csv")
U_BAD_DATE = {"u.csv": _u("SOXL,3,SOX,1e10,2026-13-45,")}
U_FUTURE = {"u.csv": _u("SOXL,3,SOX,1e10,2099-06-01,")}
U_UTF16 = {"u.csv": _u("SOXL,3,SOX,1e10,,").decode().encode("utf-16")}
BAD_DATE_WORDS = r"u.csv row 3: aum_as_of = '2026-13-45' is not a YYYY-MM-DD date"
FILE_CASES: list[tuple[str, tuple[str, ...], str, dict[str, bytes]]] = [
    # universe files
    ("flows universe bad aum_as_of", U_FLOWS, BAD_DATE_WORDS, U_BAD_DATE),
    ("report universe bad aum_as_of", U_REPORT, BAD_DATE_WORDS, U_BAD_DATE),
    (
        "flows universe future aum_as_of",
        U_FLOWS,
        r"aum_as_of = 2099-06-01 is after today",
        U_FUTURE,
    ),
    (
        "report universe future aum_as_of",
        U_REPORT,
        r"aum_as_of = 2099-06-01 is after today",
        U_FUTURE,
    ),
    (
        "flows universe aum 1e308",
        U_FLOWS,
        r"aum_usd = 1e\+308 is above",
        {"u.csv": _u("SOXL,3,SOX,1e308,,")},
    ),
    (
        "flows universe leverage nan",
        U_FLOWS,
        r"leverage = NaN",
        {"u.csv": _u("SOXL,nan,SOX,1e10,,")},
    ),
    (
        "flows universe Latin-1",
        U_FLOWS,
        r"u.csv line 3: byte 0xc9 is not UTF-8",
        {"u.csv": _u("ÉTF,3,SOX,1e10,,").decode().encode("latin-1")},
    ),
    ("flows universe UTF-16", U_FLOWS, r"u.csv: the file is UTF-16", U_UTF16),
    ("report universe UTF-16", U_REPORT, r"u.csv: the file is UTF-16", U_UTF16),
    # population files
    (
        "crypto population Latin-1",
        P_CRYPTO,
        r"p.csv line 3: byte 0xf3 is not UTF-8",
        {"p.csv": _p("BTC,lóng,10,1,1").decode().encode("latin-1")},
    ),
    (
        "crypto population UTF-16",
        P_CRYPTO,
        r"p.csv: the file is UTF-16",
        {"p.csv": _p("BTC,long,10,1,1").decode().encode("utf-16")},
    ),
    (
        "crypto population size 1e308",
        P_CRYPTO,
        r"p.csv line 3: size_usd = 1e\+308 is above",
        {"p.csv": _p("BTC,long,10,1e308,1")},
    ),
    (
        "crypto population leverage inf",
        P_CRYPTO,
        r"p.csv line 3: leverage = 'inf' must be finite",
        {"p.csv": _p("BTC,long,inf,1,1")},
    ),
    (
        "crypto population entry 1e-300",
        P_CRYPTO,
        r"entry_frac = '1e-300' puts the entry",
        {"p.csv": _p("BTC,long,10,1,1e-300")},
    ),
    # YAML
    (
        "flows scenario duplicate key",
        ("flows", "--scenario", "{d}/s.yaml"),
        r"s.yaml line 2: duplicate key 'korean_aum_usd' \(first on line 1\)",
        {"s.yaml": b"korean_aum_usd: 1e9\nkorean_aum_usd: 2e9\n"},
    ),
    (
        "flows scenario Latin-1",
        ("flows", "--scenario", "{d}/s.yaml"),
        r"s.yaml line 1: byte 0xe9 is not UTF-8",
        {"s.yaml": b"name: caf\xe9\n"},
    ),
    (
        "stress scenario deep",
        S_STRESS,
        r"nesting deeper than 50 levels",
        {"s.yaml": b"a: " + b"[" * 3000 + b"]" * 3000},
    ),
    (
        "stress scenario duplicate key",
        S_STRESS,
        r"s.yaml line 2: duplicate key 'name'",
        {"s.yaml": b"name: a\nname: b\n"},
    ),
    (
        "crypto config duplicate key",
        ("crypto", "--shock", "BTC=-10%", "--config", "{d}/c.yaml"),
        r"c.yaml line 3: duplicate key 'name'",
        {"c.yaml": b"name: a\nas_of: x\nname: b\n"},
    ),
    (
        "cascade scenario deep",
        ("cascade", "--scenario", "{d}/c.yaml"),
        r"nesting deeper than 50 levels",
        {"c.yaml": b"a: " + b"{b: " * 80 + b"1" + b"}" * 80},
    ),
    # magnitudes, history
    (
        "stress liquidity-scale 1e-300",
        ("stress", "--shock", "-3%", "--liquidity-scale", "1e-300"),
        r"--liquidity-scale.*1e-300",
        {},
    ),
    (
        "decay bootstrap history Latin-1",
        H_DECAY,
        r"h.csv line 2: byte 0xe9 is not UTF-8",
        {"h.csv": b"Date,Close\n2020-01-02,1\xe9\n"},
    ),
    (
        "decay bootstrap history text close",
        H_DECAY,
        r"h.csv line 3: Close = 'abc'",
        {"h.csv": b"Date,Close\n2020-01-02,1\n2020-01-03,abc\n"},
    ),
]
CASES += [CliCase(name, args, expect, files=files) for name, args, expect, files in FILE_CASES]


# ---------------------------------------------------------------- issue 21, second pass
# (HB): dates, moves, amounts, enums, replay options, state files, output paths. Each
# row is (name, args separated by spaces, expected regex[, files]); "{shared}" rows need
# ../shared/data.
STATE_REFUSED = r"--state-file = '.*s\.\w+' is not a state written by gaemi monitor"
REPLAY = "investor --replay --capital 1e7 --data-dir {shared}"
SOXL_Q3 = "--position SOXL=1 --from 2024-07-01"
MORE: list[tuple[str, str, str] | tuple[str, str, str, dict[str, bytes]]] = [
    # dates: malformed or impossible
    ("flows --date month 13", "flows --date 2026-13-01", "date = '2026-13-01' is not a YYYY"),
    ("flows --date Feb 30", "flows --date 2025-02-30", "date = '2025-02-30' is not a YYYY"),
    ("flows --date word", "flows --date yesterday", "date = 'yesterday' is not a YYYY"),
    ("flows --date 1800", "flows --date 1800-01-01", "date = '1800-01-01' is before every"),
    ("monitor --date Feb 30", "monitor --once --date 2026-02-30", "date = '2026-02-30'"),
    ("cascade --date word", "cascade --date notadate", "date = 'notadate' is not a YYYY"),
    ("stress --date Feb 29", "stress --shock -3% --date 2025-02-29", "date = '2025-02-29'"),
    (
        "investor --date slashes",
        "investor --capital 1e7 --position SOXL=1 --date 2026/01/01",
        "date = '2026/01/01' is not a YYYY",
    ),
    ("report --date Feb 30", "report --date 2026-02-30", "date = '2026-02-30' is not a YYYY"),
    # --move / --moves / --shock strings
    ("flows --move word", "flows --move abc", r"--move = 'abc' is not a move"),
    ("flows --move %%", "flows --move 5%%", r"--move = '5%%' is not a move"),
    ("flows --move -150%", "flows --move -150%", r"--move = '-150%' is below -100%"),
    ("flows --move nan", "flows --move nan", r"--move = 'nan' must be a finite number"),
    ("flows --move inf", "flows --move inf", r"--move = 'inf' must be a finite number"),
    ("flows --move 1e308", "flows --move 1e308", r"--move = '1e308' is ambiguous"),
    ("flows --moves list", "flows --moves 1,x,2", r"--moves = '1,x,2' must be START:STOP:STEP"),
    ("flows --at no move", "flows --at 2099-01-01", r"--at = '2099-01-01' must be UNDERLYING="),
    ("flows --fund word", "flows --fund NOPE", r"fund = 'NOPE' must be LEVERAGE:AUM"),
    ("flows --underlying unknown", "flows --underlying NOPE", r"underlying = 'NOPE' is not in"),
    ("stress --shock word", "stress --shock abc", r"shock = 'abc' is not a move"),
    ("stress --shock -150%", "stress --shock -150%", r"shock = '-150%' is below -100%"),
    ("stress --shock nan", "stress --shock nan", r"shock = 'nan' must be a finite number"),
    ("stress --shock 5x", "stress --shock 5x", r"shock = '5x' is not a move"),
    ("crypto --shock no move", "crypto --shock BTC", r"^error: --shock = 'BTC' must be ASSET=MOVE"),
    (
        "crypto --shock unknown asset",
        "crypto --shock DOGE=-10%",
        r"--shock = 'DOGE=-10%': ASSET must be one of BTC, ETH",
    ),
    ("crypto --shock word", "crypto --shock BTC=abc", r"--shock BTC = 'abc' is not a move"),
    ("crypto --shock -200%", "crypto --shock BTC=-200%", r"--shock BTC = '-200%' is below -100%"),
    ("crypto --shock no asset", "crypto --shock =-10%", r"--shock = '=-10%' must be ASSET=MOVE"),
    ("monitor --move word", "monitor --once --move abc", r"--move = 'abc' must be UNDERLYING="),
    ("monitor --move QQQ", "monitor --once --move QQQ=-1%", r"UNDERLYING must be one of NDX, SOX"),
    # cascade
    (
        "cascade --shock unknown node",
        "cascade --shock NOPE=-10%",
        r"--shock = 'NOPE=-10%': NODE must be one of NDX, SOX",
    ),
    ("cascade --shock word", "cascade --shock SOX=abc", r"--shock SOX = 'abc' is not a move"),
    ("cascade --shock no move", "cascade --shock SOX", r"--shock = 'SOX' must be NODE=MOVE"),
    ("cascade --shock day -1", "cascade --shock SOX=-10%@-1", r"--shock SOX day = '-1' must be"),
    ("cascade --shock day word", "cascade --shock SOX=-10%@abc", r"--shock SOX day = 'abc' must"),
    ("cascade --draws -5", "cascade --draws -5", r"draws = -5 must be between 1 and 100000"),
    ("cascade --draws word", "cascade --draws abc", r"'--draws'.*valid integer"),
    ("cascade --horizon 0", "cascade --horizon 0", r"horizon = 0 must be between 1 and 2000"),
    ("cascade --horizon -3", "cascade --horizon -3", r"horizon = -3 must be between"),
    ("cascade --view unknown", "cascade --view nope", r"view = 'nope' must be one of"),
    ("cascade --feedback unknown", "cascade --feedback nope", r"feedback = 'nope' must be"),
    ("cascade --reverse word", "cascade --reverse abc", r"reverse = 'abc' must be NODE>=VALUE"),
    ("cascade scenario missing", "cascade --scenario {d}/none.yaml", r"scenario file .*none.yaml"),
    # --korean-aum forms
    ("flows --korean-aum -5B", "flows --korean-aum -5B", r"--korean-aum = '-5B' must be between"),
    ("flows --korean-aum word", "flows --korean-aum abc", r"--korean-aum = 'abc' is not an amount"),
    ("flows --korean-aum 1e308", "flows --korean-aum 1e308", r"--korean-aum = '1e308' must be"),
    ("flows --korean-aum 5Q", "flows --korean-aum 5Q", r"--korean-aum = '5Q' is not an amount"),
    (
        "flows --korean-aum nan",
        "flows --korean-aum nan",
        r"--korean-aum = 'nan' must be a finite number",
    ),
    ("cascade --korean-aum -1B", "cascade --korean-aum -1B", r"--korean-aum = '-1B' must be"),
    ("stress --korean-aum -1B", "stress --shock -3% --korean-aum -1B", r"--korean-aum = '-1B'"),
    # enums and counts
    ("flows --by unknown", "flows --by colour", r"by = 'colour' must be one of fund, underlying"),
    ("flows --by missing value", "flows --by", r"Option '--by' requires an argument"),
    ("flows --top -1", "flows --top -1", r"--top = -1 must be >= 1"),
    ("flows --top word", "flows --top x", r"'--top'.*valid integer"),
    ("monitor --every 0", "monitor --every 0", r"every = 0 must be > 0 seconds"),
    ("monitor --every -5", "monitor --every -5", r"every = -5 must be > 0 seconds"),
    ("monitor --every word", "monitor --every abc", r"'--every'.*valid number"),
    ("monitor --max-runs -1", "monitor --max-runs -1", r"max-runs = -1 must be >= 0"),
    ("monitor --webhook no scheme", "monitor --once --webhook notaurl", r"webhook = 'notaurl'"),
    ("monitor --webhook ftp", "monitor --once --webhook ftp://x", r"webhook = 'ftp://x' must"),
    # monitor --state-file: a file gaemi did not write is refused, never overwritten
    (
        "state-file CSV",
        "monitor --once --state-file {d}/s.csv",
        STATE_REFUSED,
        {"s.csv": b"a,b\n1,2\n"},
    ),
    (
        "state-file broken JSON",
        "monitor --once --state-file {d}/s.json",
        STATE_REFUSED,
        {"s.json": b"{not json"},
    ),
    (
        "state-file JSON list",
        "monitor --once --state-file {d}/s.json",
        STATE_REFUSED,
        {"s.json": b"[1, 2, 3]"},
    ),
    (
        "state-file other object",
        "monitor --once --state-file {d}/s.json",
        STATE_REFUSED,
        {"s.json": b'{"a": 1}'},
    ),
    (
        "state-file null",
        "monitor --once --state-file {d}/s.json",
        STATE_REFUSED,
        {"s.json": b"null"},
    ),
    ("state-file empty", "monitor --once --state-file {d}/s.json", STATE_REFUSED, {"s.json": b""}),
    (
        "state-file UTF-16",
        "monitor --once --state-file {d}/s.json",
        STATE_REFUSED,
        {"s.json": '{"status": "LOW", "indicators": {}}'.encode("utf-16")},
    ),
    (
        "state-file missing folder",
        "monitor --once --state-file {d}/missing/s.json",
        r"--state-file = .*folder .*missing' does not exist",
    ),
    # output paths
    (
        "report --html missing folder",
        "report --html {d}/missing/r.html",
        r"--html = .*folder .*missing' does not exist",
    ),
    (
        "history --html dir",
        "history --html {d} --data-dir {shared}",
        r"--html = '.*' is a directory",
    ),
    (
        "history --html missing folder",
        "history --html {d}/missing/x.html --data-dir {shared}",
        r"--html = .*missing' does not exist",
    ),
    ("replay --html dir", f"{REPLAY} {SOXL_Q3} --html {{d}}", r"--html = '.*' is a directory"),
    ("sweep --out xlsx", f"sweep {SHOCK} --out {{d}}/x.xlsx", r"--out .*x.xlsx: suffix must be"),
    # sweep grids
    ("sweep --shocks step 0", "sweep --shocks=-10%:-1%:0%", r"--shocks step = '0%' must be > 0"),
    ("sweep --shocks word", "sweep --shocks=abc", r"--shocks = 'abc' is not a move"),
    (
        "sweep --korean-aum step -1B",
        f"sweep {SHOCK} --korean-aum 0:10B:-1B",
        r"--korean-aum step = '-1B'",
    ),
    (
        "sweep --korean-aum words",
        f"sweep {SHOCK} --korean-aum x:y:z",
        r"--korean-aum = 'x' is not an amount",
    ),
    (
        "sweep --liquidity-scale 0",
        f"sweep {SHOCK} --liquidity-scale 0:1:0.1",
        r"--liquidity-scale = '0' must be > 0",
    ),
    ("sweep --impact-y -1", f"sweep {SHOCK} --impact-y -1", r"--impact-y = '-1' must be > 0"),
    (
        "sweep --leverage word",
        "sweep --engine decay --vol 30% --leverage x",
        r"--leverage = 'x' is not a number",
    ),
    ("sweep --days 0", "sweep --engine decay --vol 30% --days 0:5:1", r"--days = '0' must be > 0"),
    (
        "sweep --engine unknown",
        f"sweep {SHOCK} --engine nope",
        r"'nope' is not one of 'feedback', 'decay'",
    ),
    ("sweep --workers -1", f"sweep {SHOCK} --workers -1", r"--workers = -1 must be >= 1"),
    # decay / crypto / report / stress inputs
    ("decay unknown ticker", "decay --ticker NOPE", r"ticker = 'NOPE' is not in the universe"),
    ("decay --vol -1", "decay --ticker SOXL --vol -1", r"vol = '-1' must be >= 0"),
    ("decay --days 0", "decay --ticker SOXL --days 0", r"days = 0 must be >= 1"),
    ("decay --model unknown", "decay --ticker SOXL --model nope", r"model = 'nope' must be one of"),
    ("decay --paths -5", "decay --ticker SOXL --paths -5", r"paths = -5 must be >= 1"),
    ("decay --leverage 0", "decay --leverage 0", r"--leverage = 0 is not a leveraged"),
    (
        "crypto population missing",
        "crypto --shock BTC=-10% --population {d}/none.csv",
        r"population file .*none.csv' does not exist",
    ),
    (
        "crypto config missing",
        "crypto --shock BTC=-10% --config {d}/none.yaml",
        r"crypto config .*none.yaml' does not exist",
    ),
    (
        "report universe missing",
        "report --universe {d}/none.csv",
        r"universe file .*none.csv' does not exist",
    ),
    (
        "stress scenario missing",
        "stress --shock -3% --scenario {d}/none.yaml",
        r"scenario file .*none.yaml' does not exist",
    ),
    # investor (Monte Carlo) options
    (
        "investor --margin -1",
        "investor --capital 1e7 --position SOXL=1 --margin -1",
        r"margin = -1.0 must be in \[0, 20\]",
    ),
    (
        "investor --maintenance 0.5",
        "investor --capital 1e7 --position SOXL=1 --maintenance 0.5",
        r"maintenance_ratio = 0.5 must be > 1.0",
    ),
    (
        "investor --grace-days -1",
        "investor --capital 1e7 --position SOXL=1 --grace-days -1",
        r"grace_days = -1 must be >= 0",
    ),
    (
        "investor --loan-rate 5",
        "investor --capital 1e7 --position SOXL=1 --loan-rate 5",
        r"loan_rate_annual = 5.0 must be in",
    ),
    (
        "investor --target -5",
        "investor --capital 1e7 --position SOXL=1 --target -5",
        r"target = -5.0 must be above",
    ),
    (
        "investor --months 0",
        "investor --capital 1e7 --position SOXL=1 --months 0",
        r"months = 0.0 must be > 0",
    ),
    (
        "investor --days -3",
        "investor --capital 1e7 --position SOXL=1 --days -3",
        r"days = -3 must be >= 1",
    ),
    (
        "investor --model unknown",
        "investor --capital 1e7 --position SOXL=1 --model magic",
        r"model = 'magic' must be one of",
    ),
    (
        "investor --vol -20%",
        "investor --capital 1e7 --position SOXL=1 --vol -20%",
        r"vol = '-20%' must be >= 0",
    ),
    (
        "investor --vol word",
        "investor --capital 1e7 --position SOXL=1 --vol abc",
        r"vol = 'abc' is not a number",
    ),
    (
        "investor --currency EUR",
        "investor --capital 1e7 --position SOXL=1 --currency EUR",
        r"currency = 'EUR' must be KRW or USD",
    ),
    (
        "investor --fx-vol -1",
        "investor --capital 1e7 --position SOXL=1 --fx-vol -1",
        r"fx-vol = '-1' must be >= 0",
    ),
    (
        "investor --workers 0",
        "investor --capital 1e7 --position SOXL=1 --workers 0",
        r"--workers = 0 must be >= 1",
    ),
    (
        "investor --view unknown",
        "investor --capital 1e7 --position SOXL=1 --view nope",
        r"view = 'nope' must be one of",
    ),
    (
        "investor --paths 0",
        "investor --capital 1e7 --position SOXL=1 --paths 0",
        r"paths = 0 must be >= 1",
    ),
    (
        "investor --capital word",
        "investor --capital abc --position SOXL=1",
        r"capital = 'abc' is not an amount",
    ),
    (
        "investor --position no weight",
        "investor --capital 1e7 --position SOXL",
        r"position = 'SOXL' must be TICKER=WEIGHT",
    ),
    # investor --replay (real prices: no note line before the error)
    (
        "replay weight word",
        f"{REPLAY} --position SOXL=abc --from 2024-07-01",
        r"position SOXL weight = 'abc' is not a number",
    ),
    (
        "replay weights sum 0.5",
        f"{REPLAY} --position SOXL=0.5 --from 2024-07-01",
        r"weights sum to 0.5; they must sum to 1",
    ),
    (
        "replay weight -1",
        f"{REPLAY} --position SOXL=-1 --from 2024-07-01",
        r"weight of SOXL = .*-1.* must be > 0",
    ),
    (
        "replay unknown ticker",
        f"{REPLAY} --position NOPE=1 --from 2024-07-01",
        r"positions: 'NOPE' has no .*NOPE.csv",
    ),
    (
        "replay from before data",
        f"{REPLAY} --position SOXL=1 --from 1990-01-01",
        r"from = '1990-01-01' is before SOXL's first close 2010-03-11",
    ),
    (
        "replay from after data",
        f"{REPLAY} --position SOXL=1 --from 2099-01-01",
        r"from = '2099-01-01' leaves no trading days",
    ),
    (
        "replay from impossible",
        f"{REPLAY} --position SOXL=1 --from 2024-13-01",
        r"from = '2024-13-01' is not a YYYY-MM-DD date",
    ),
    ("replay from missing", f"{REPLAY} --position SOXL=1", r"--from is missing"),
    (
        "replay to before from",
        f"{REPLAY} {SOXL_Q3} --to 2024-01-01",
        r"to = '2024-01-01' must be after from = '2024-07-01'",
    ),
    ("replay deposit -5", f"{REPLAY} {SOXL_Q3} --deposit -5", r"deposit = -5.0 must be >= 0"),
    (
        "replay rebalance weekly",
        f"{REPLAY} {SOXL_Q3} --rebalance weekly",
        r"rebalance = 'weekly' must be one of",
    ),
    (
        "replay stop-loss 2",
        f"{REPLAY} {SOXL_Q3} --stop-loss 2",
        r"stop_loss_frac = 2.0 must be in \(0, 1\)",
    ),
    ("replay top-up -1", f"{REPLAY} {SOXL_Q3} --top-up -1", r"top_up_max = -1.0 must be >= 0"),
    (
        "replay sale-discount 1.5",
        f"{REPLAY} {SOXL_Q3} --sale-discount 1.5",
        r"forced_sale_discount = 1.5 must be in",
    ),
    (
        "replay capital -1",
        f"investor --replay --capital -1 {SOXL_Q3} --data-dir {{shared}}",
        r"capital = -1.0 must be > 0",
    ),
    (
        "replay compare-paths -5",
        f"{REPLAY} {SOXL_Q3} --compare-paths -5",
        r"compare-paths = -5 must be >= 0",
    ),
    # history options
    (
        "history --from after --to",
        "history --from 2024-06-01 --to 2024-01-01 --data-dir {shared}",
        r"to = 2024-01-01 is before from = 2024-06-01",
    ),
    (
        "history --from month 13",
        "history --from 2024-13-01 --data-dir {shared}",
        r"from = '2024-13-01' is not a YYYY",
    ),
    (
        "history --to Feb 30",
        "history --to 2024-02-30 --data-dir {shared}",
        r"to = '2024-02-30' is not a YYYY",
    ),
    (
        "history --from after data",
        "history --from 2030-01-01 --data-dir {shared}",
        r"from = 2030-01-01 is after the last day",
    ),
    (
        "history --threshold word",
        "history --threshold abc --data-dir {shared}",
        r"threshold = 'abc' is not a move",
    ),
    (
        "history --boot -1",
        "history --boot -1 --stats --data-dir {shared}",
        r"--boot = -1 must be >= 50",
    ),
    (
        "history --data-dir missing",
        "history --data-dir {d}/nope",
        r"data-dir '.*nope' is not a folder",
    ),
    (
        "history --aum-basis unknown",
        "history --aum-basis weird --data-dir {shared}",
        r"aum basis = 'weird' must be",
    ),
    (
        "history scenario missing",
        "history --scenario {d}/none.yaml --data-dir {shared}",
        r"scenario file .*none.yaml",
    ),
    # issue 21, third pass: a range whose START is above its STOP (the step is > 0), in
    # every range option of the feedback and decay sweeps; a replay weight in plain digits
    (
        "sweep --shocks start above stop",
        "sweep --shocks=-1%:-10%:1%",
        r"^error: --shocks = '-1%:-10%:1%': START -1% is above STOP -10%; ranges go up",
    ),
    (
        "sweep --korean-aum start above stop",
        f"sweep {SHOCK} --korean-aum 10B:1B:1B",
        r"--korean-aum = '10B:1B:1B': START 10B is above STOP 1B",
    ),
    (
        "sweep --liquidity-scale start above stop",
        f"sweep {SHOCK} --liquidity-scale 1:0.1:0.1",
        r"--liquidity-scale = '1:0.1:0.1': START 1 is above STOP 0.1",
    ),
    (
        "sweep --impact-y start above stop",
        f"sweep {SHOCK} --impact-y 1.4:0.5:0.1",
        r"--impact-y = '1.4:0.5:0.1': START 1.4 is above STOP 0.5",
    ),
    (
        "sweep decay --vol start above stop",
        "sweep --engine decay --vol 80%:20%:10%",
        r"--vol = '80%:20%:10%': START 80% is above STOP 20%",
    ),
    (
        "sweep decay --leverage start above stop",
        "sweep --engine decay --vol 30% --leverage 3:-3:1",
        r"--leverage = '3:-3:1': START 3 is above STOP -3",
    ),
    (
        "sweep decay --days start above stop",
        "sweep --engine decay --vol 30% --days 252:63:63",
        r"--days = '252:63:63': START 252 is above STOP 63",
    ),
    (
        "sweep decay --drift start above stop",
        "sweep --engine decay --vol 30% --drift 10%:-10%:5%",
        r"--drift = '10%:-10%:5%': START 10% is above STOP -10%",
    ),
    (
        "sweep --threads and --processes",
        f"sweep {SHOCK} --threads --processes",
        r"^error: --threads and --processes: give one of them$",
    ),
    (
        "replay weight -0.25 in plain digits",
        f"{REPLAY} --position SOXL=-0.25,TQQQ=1.25 --from 2024-07-01",
        r"^error: weight of SOXL = -0\.25 must be > 0$",
    ),
]
for row in MORE:
    name, argline, expect = row[0], row[1], row[2]
    files = row[3] if len(row) > 3 else {}  # type: ignore[misc]
    CASES.append(
        CliCase(
            name,
            tuple(argline.split(" ")),
            expect,
            files=files,  # type: ignore[arg-type]
            shared="{shared}" in argline,
        )
    )


def _params() -> list[object]:
    out: list[object] = []
    for c in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []
        out.append(pytest.param(c, id=c.name, marks=marks))
    return out


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))


@pytest.mark.parametrize("case", _params())
def test_bad_input_is_exit_2_and_one_line(
    case: CliCase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    shared = str(request.getfixturevalue("shared_data")) if case.shared else ""
    work = tmp_path / "work"
    work.mkdir()
    for name, data in case.files.items():
        (work / name).write_bytes(data)
    args = [a.replace("{d}", str(work)).replace("{shared}", shared) for a in case.args]
    monkeypatch.chdir(work)
    monkeypatch.setenv("GAEMI_DB", str(tmp_path / "none.duckdb"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    before = _snapshot(work)
    if case.subprocess:
        proc = subprocess.run(
            [sys.executable, "-c", "import sys; from gaemi.present.cli import run; run()", *args],
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=_limit_memory,  # the child starts no thread before exec
            env=dict(os.environ),
        )
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    else:
        rc = main(args)
        captured = capsys.readouterr()
        out, err = captured.out, captured.err
    assert rc == 2, (rc, err[-2000:])
    assert err.count("\n") == 1, err  # the whole stderr: no note before the error
    assert err.startswith("error: "), err
    assert re.search(case.expect, err), f"{err!r} does not match {case.expect!r}"
    assert out == ""
    assert _snapshot(work) == before  # nothing written
    assert not (tmp_path / "none.duckdb").exists()


def test_bom_population_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid UTF-8-BOM population file runs (issue 21: it used to be refused)."""
    p = tmp_path / "p.csv"
    p.write_bytes(b"\xef\xbb\xbf" + _p("BTC,short,5,2000000,1"))
    monkeypatch.chdir(tmp_path)
    rc = main(["crypto", "--shock", "BTC=-10%", "--population", str(p), "--format", "json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "population: 2 positions from p.csv" in captured.err


def test_report_and_flows_refuse_the_same_universe_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One loader: report and flows print the identical line for a bad ``aum_as_of``."""
    u = tmp_path / "u.csv"
    u.write_bytes(_u("SOXL,3,SOX,1e10,01/06/2026,"))
    monkeypatch.chdir(tmp_path)
    lines = []
    for args in (["flows", "--universe", str(u)], ["report", "--universe", str(u)]):
        assert main(args) == 2
        lines.append(capsys.readouterr().err)
    assert (
        lines[0]
        == lines[1]
        == ("error: u.csv row 3: aum_as_of = '01/06/2026' is not a YYYY-MM-DD date\n")
    )
    assert not (tmp_path / "gaemi-report.html").exists()


#: The five ``NAME=MOVE`` options, all read by ``cli.common.parse_named_moves``: the command
#: line before the value, and the option.
MOVE_OPTIONS = [
    (("report", "--move"), "--move"),
    (("monitor", "--once", "--move"), "--move"),
    (("flows", "--at"), "--at"),
    (("crypto", "--shock"), "--shock"),
    (("cascade", "--shock"), "--shock"),
]
#: Bad moves under a name: each must read as ``parse_move`` words it, named ``OPTION NAME``.
BAD_NAMED_MOVES = ["X=abc", "NDX=-150%", "NDX=", "NDX=5", "NDX=nan", "NDX=+2000%", "NDX=5%%"]


def _one_error_line(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """Run ``gaemi args`` in an empty folder: exit code 2, nothing on stdout, no file
    written, and the whole stderr one ``error:`` line, returned without its newline."""
    work = tmp_path / "w"
    work.mkdir(exist_ok=True)
    monkeypatch.chdir(work)
    monkeypatch.setenv("GAEMI_DB", str(tmp_path / "none.duckdb"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    rc = main(args)
    captured = capsys.readouterr()
    assert rc == 2, (args, captured.err)
    assert captured.out == "", args
    assert captured.err.startswith("error: "), captured.err
    assert captured.err.count("\n") == 1, captured.err
    assert not any(work.iterdir()), args
    return str(captured.err[:-1])


@pytest.mark.parametrize("value", BAD_NAMED_MOVES)
def test_the_five_move_options_word_a_bad_move_alike(
    value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``report/monitor --move``, ``flows --at``, ``crypto --shock`` and ``cascade --shock``
    give the same line for the same bad ``NAME=MOVE`` (the option's name aside), and that
    line is :func:`parse_move`'s own error for the move, named ``OPTION NAME``."""
    from gaemi.errors import GaemiInputError
    from gaemi.present.cli.common import parse_move

    name, _, move_text = value.partition("=")
    with pytest.raises(GaemiInputError) as exc:
        parse_move(move_text, f"OPTION {name}")
    expected = f"error: {exc.value}"
    lines = {}
    for before, option in MOVE_OPTIONS:
        line = _one_error_line([*before, value], tmp_path, monkeypatch, capsys)
        assert line.startswith(f"error: {option} {name} = {move_text!r}"), line
        lines[" ".join(before)] = line.replace(f"error: {option} ", "error: OPTION ", 1)
    assert set(lines.values()) == {expected}, lines


@pytest.mark.parametrize(
    ("value", "expect"),
    [
        # the form: OPTION = 'value' must be KIND=MOVE, e.g. an example
        ("abc", r"^error: {o} = 'abc' must be (UNDERLYING|ASSET|NODE)=MOVE(\[@DAY\])?, e\.g\. "),
        ("=-5%", r"^error: {o} = '=-5%' must be (UNDERLYING|ASSET|NODE)=MOVE(\[@DAY\])?, e\.g\. "),
        # one move per name: the repeat named with both items
        (
            "NDX=-3% SOX=-1% NDX=-3%",
            (
                r"^error: {o} NDX is given twice( for day 0)? \(NDX=-3%, NDX=-3%\); give one "
                r"move per (underlying|asset|node and day)"
            ),
        ),
    ],
)
def test_the_five_move_options_word_a_bad_item_alike(
    value: str,
    expect: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The form and repeat errors have one shape on all five options (the kind of name —
    UNDERLYING, ASSET, NODE — and the example are what differ). Crypto has no NDX asset:
    its repeat case uses BTC and ETH in place of NDX and SOX."""
    for before, option in MOVE_OPTIONS:
        items = value.split(" ")
        pattern = expect.format(o=re.escape(option))
        if before[0] == "crypto":
            items = [i.replace("NDX", "BTC").replace("SOX", "ETH") for i in items]
            pattern = pattern.replace("NDX", "BTC")
        args = list(before[:-1])  # the command, then the option before each item
        for item in items:
            args += [option, item]
        line = _one_error_line(args, tmp_path, monkeypatch, capsys)
        assert re.search(pattern, line), (before, line, pattern)


#: Issue 21's malformed-input corpus, case counts per file (the note quotes them):
#:   tests/present/test_malformed_cli.py   181  (this file: 36 first pass + 132 second
#:                                              + 10 third + 3 of the CLI wording pass)
#:   tests/data/test_malformed_corpus.py   172  (library loaders, GaemiInputError)
#:   tests/data/test_importers.py           58  (test_malformed_input_one_line_error_…)
#:   tests/present/test_cli_data.py         12  (gaemi data …)
#:   total                                 423  (>= 300 asked)
CORPUS_CLI_CASES = 181
CORPUS_LIBRARY_CASES = 172
CORPUS_TOTAL = 423


def test_corpus_counts() -> None:
    by_command: dict[str, int] = {}
    for c in CASES:
        by_command[c.args[0]] = by_command.get(c.args[0], 0) + 1
    assert len(CASES) == CORPUS_CLI_CASES, by_command
    assert len({c.name for c in CASES}) == len(CASES)  # ids are unique
    import importlib.util

    path = Path(__file__).parents[1] / "data" / "test_malformed_corpus.py"
    spec = importlib.util.spec_from_file_location("_gaemi_malformed_corpus", path)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclass looks its module up while defined
    try:
        spec.loader.exec_module(mod)
    finally:
        del sys.modules[spec.name]
    assert len(mod.CASES) == CORPUS_LIBRARY_CASES
    assert CORPUS_TOTAL == CORPUS_CLI_CASES + CORPUS_LIBRARY_CASES + 58 + 12 >= 300
