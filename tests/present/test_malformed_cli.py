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
CASES = [
    # ---------------------------------------------------------------- seeds
    CliCase(
        "crypto seed",
        ("crypto", "--shock", "BTC=-10%", "--seed", "-1"),
        "seed.*-1",
    ),
    CliCase(
        "cascade seed",
        ("cascade", "--draws", "10", "--seed", "-1"),
        "seed.*-1",
    ),
    CliCase(
        "decay seed",
        ("decay", "--ticker", "SOXL", "--seed", "-1"),
        "seed.*-1",
    ),
    CliCase(
        "investor seed",
        ("investor", "--capital", "1e7", "--position", "SOXL=1", "--paths", "100", "--seed", "-1"),
        "seed.*-1",
    ),
    CliCase(
        "history --stats seed",
        ("history", "--stats", "--seed", "-1", "--data-dir", "{shared}"),
        r"--seed = -1 must be an integer >= 0",
        shared=True,
    ),
    CliCase("sweep seed", ("sweep", SHOCK, "--seed", "-1"), "seed = -1 must be"),
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
    # ---------------------------------------------------------------- universe files
    CliCase(
        "flows universe bad aum_as_of",
        ("flows", "--universe", "{d}/u.csv"),
        r"u.csv row 3: aum_as_of = '2026-13-45' is not a YYYY-MM-DD date",
        files={"u.csv": _u("SOXL,3,SOX,1e10,2026-13-45,")},
    ),
    CliCase(
        "report universe bad aum_as_of",
        ("report", "--universe", "{d}/u.csv", "--html", "{d}/r.html"),
        r"u.csv row 3: aum_as_of = '2026-13-45' is not a YYYY-MM-DD date",
        files={"u.csv": _u("SOXL,3,SOX,1e10,2026-13-45,")},
    ),
    CliCase(
        "flows universe future aum_as_of",
        ("flows", "--universe", "{d}/u.csv"),
        r"aum_as_of = 2099-06-01 is after today",
        files={"u.csv": _u("SOXL,3,SOX,1e10,2099-06-01,")},
    ),
    CliCase(
        "report universe future aum_as_of",
        ("report", "--universe", "{d}/u.csv", "--html", "{d}/r.html"),
        r"aum_as_of = 2099-06-01 is after today",
        files={"u.csv": _u("SOXL,3,SOX,1e10,2099-06-01,")},
    ),
    CliCase(
        "flows universe aum 1e308",
        ("flows", "--universe", "{d}/u.csv"),
        r"aum_usd = 1e\+308 is above",
        files={"u.csv": _u("SOXL,3,SOX,1e308,,")},
    ),
    CliCase(
        "flows universe leverage nan",
        ("flows", "--universe", "{d}/u.csv"),
        r"leverage = NaN",
        files={"u.csv": _u("SOXL,nan,SOX,1e10,,")},
    ),
    CliCase(
        "flows universe Latin-1",
        ("flows", "--universe", "{d}/u.csv"),
        r"u.csv line 3: byte 0xc9 is not UTF-8",
        files={"u.csv": _u("ÉTF,3,SOX,1e10,,").decode().encode("latin-1")},
    ),
    CliCase(
        "flows universe UTF-16",
        ("flows", "--universe", "{d}/u.csv"),
        r"u.csv: the file is UTF-16",
        files={"u.csv": _u("SOXL,3,SOX,1e10,,").decode().encode("utf-16")},
    ),
    CliCase(
        "report universe UTF-16",
        ("report", "--universe", "{d}/u.csv", "--html", "{d}/r.html"),
        r"u.csv: the file is UTF-16",
        files={"u.csv": _u("SOXL,3,SOX,1e10,,").decode().encode("utf-16")},
    ),
    # ---------------------------------------------------------------- population files
    CliCase(
        "crypto population Latin-1",
        ("crypto", "--shock", "BTC=-10%", "--population", "{d}/p.csv"),
        r"p.csv line 3: byte 0xf3 is not UTF-8",
        files={"p.csv": _p("BTC,lóng,10,1,1").decode().encode("latin-1")},
    ),
    CliCase(
        "crypto population UTF-16",
        ("crypto", "--shock", "BTC=-10%", "--population", "{d}/p.csv"),
        r"p.csv: the file is UTF-16",
        files={"p.csv": _p("BTC,long,10,1,1").decode().encode("utf-16")},
    ),
    CliCase(
        "crypto population size 1e308",
        ("crypto", "--shock", "BTC=-10%", "--population", "{d}/p.csv"),
        r"p.csv line 3: size_usd = 1e\+308 is above",
        files={"p.csv": _p("BTC,long,10,1e308,1")},
    ),
    CliCase(
        "crypto population leverage inf",
        ("crypto", "--shock", "BTC=-10%", "--population", "{d}/p.csv"),
        r"p.csv line 3: leverage = 'inf' must be finite",
        files={"p.csv": _p("BTC,long,inf,1,1")},
    ),
    CliCase(
        "crypto population entry 1e-300",
        ("crypto", "--shock", "BTC=-10%", "--population", "{d}/p.csv"),
        r"entry_frac = '1e-300' puts the entry",
        files={"p.csv": _p("BTC,long,10,1,1e-300")},
    ),
    # ---------------------------------------------------------------- YAML
    CliCase(
        "flows scenario duplicate key",
        ("flows", "--scenario", "{d}/s.yaml"),
        r"s.yaml line 2: duplicate key 'korean_aum_usd' \(first on line 1\)",
        files={"s.yaml": b"korean_aum_usd: 1e9\nkorean_aum_usd: 2e9\n"},
    ),
    CliCase(
        "flows scenario Latin-1",
        ("flows", "--scenario", "{d}/s.yaml"),
        r"s.yaml line 1: byte 0xe9 is not UTF-8",
        files={"s.yaml": b"name: caf\xe9\n"},
    ),
    CliCase(
        "stress scenario deep",
        ("stress", "--shock", "-3%", "--scenario", "{d}/s.yaml"),
        r"nesting deeper than 50 levels",
        files={"s.yaml": b"a: " + b"[" * 3000 + b"]" * 3000},
    ),
    CliCase(
        "stress scenario duplicate key",
        ("stress", "--shock", "-3%", "--scenario", "{d}/s.yaml"),
        r"s.yaml line 2: duplicate key 'name'",
        files={"s.yaml": b"name: a\nname: b\n"},
    ),
    CliCase(
        "crypto config duplicate key",
        ("crypto", "--shock", "BTC=-10%", "--config", "{d}/c.yaml"),
        r"c.yaml line 3: duplicate key 'name'",
        files={"c.yaml": b"name: a\nas_of: x\nname: b\n"},
    ),
    CliCase(
        "cascade scenario deep",
        ("cascade", "--scenario", "{d}/c.yaml"),
        r"nesting deeper than 50 levels",
        files={"c.yaml": b"a: " + b"{b: " * 80 + b"1" + b"}" * 80},
    ),
    # ---------------------------------------------------------------- magnitudes, history
    CliCase(
        "stress liquidity-scale 1e-300",
        ("stress", "--shock", "-3%", "--liquidity-scale", "1e-300"),
        r"--liquidity-scale.*1e-300",
    ),
    CliCase(
        "decay bootstrap history Latin-1",
        ("decay", "--ticker", "SOXL", "--model", "bootstrap", "--history", "{d}/h.csv"),
        r"h.csv line 2: byte 0xe9 is not UTF-8",
        files={"h.csv": b"Date,Close\n2020-01-02,1\xe9\n"},
    ),
    CliCase(
        "decay bootstrap history text close",
        ("decay", "--ticker", "SOXL", "--model", "bootstrap", "--history", "{d}/h.csv"),
        r"h.csv line 3: Close = 'abc'",
        files={"h.csv": b"Date,Close\n2020-01-02,1\n2020-01-03,abc\n"},
    ),
]


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


def test_corpus_counts() -> None:
    by_command: dict[str, int] = {}
    for c in CASES:
        by_command[c.args[0]] = by_command.get(c.args[0], 0) + 1
    assert len(CASES) >= 30, by_command
