"""`gaemi flows`: README examples, JSON keys with units, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gaemi.present.cli import main


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main([*args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_research_ladder_json(capsys: pytest.CaptureFixture[str]) -> None:
    # Research note: $45B of 3x AUM → $2.7B … $13.5B of selling at −1% … −5%.
    recs = run_json(capsys, "flows", "--fund", "3:45e9", "--moves=-5%:-1%:1%")
    assert [r["move_frac"] for r in recs] == pytest.approx([-0.05, -0.04, -0.03, -0.02, -0.01])
    assert [r["flow_usd"] for r in recs] == pytest.approx(
        [-13.5e9, -10.8e9, -8.1e9, -5.4e9, -2.7e9]
    )
    assert {"move_frac", "flow_usd", "underlying_id", "korean_flow_usd", "aum_usd"} <= set(recs[0])


def test_move_read_as_percent_or_fraction(capsys: pytest.CaptureFixture[str]) -> None:
    a = run_json(capsys, "flows", "--fund", "3:45e9", "--move", "-5%")
    b = run_json(capsys, "flows", "--fund", "3:45e9", "--move", "-0.05")
    assert a == b
    assert a[0]["flow_usd"] == pytest.approx(-13.5e9)


def test_korean_fund_share(capsys: pytest.CaptureFixture[str]) -> None:
    recs = run_json(
        capsys,
        "flows",
        "--fund",
        "3:45e9:NDX:100%",
        "--fund",
        "3:10e9:NDX",
        "--move",
        "-2%",
        "--by",
        "holder",
    )
    by = {r["ticker"]: r for r in recs}
    assert by["HYP1"]["korean_flow_usd"] == pytest.approx(-5.4e9)  # 6 × 45e9 × 0.02
    assert by["HYP1"]["other_flow_usd"] == pytest.approx(0.0)
    assert by["HYP1"]["basis"] == "given"  # a share without a date: your own
    # no Korean share: wholly unattributed (6 × 10e9 × 0.02), never 0 % Korean
    assert by["HYP2"]["korean_flow_usd"] is None
    assert by["HYP2"]["unattributed_flow_usd"] == pytest.approx(-1.2e9)
    assert by["total"]["korean_flow_usd"] == pytest.approx(-5.4e9)
    assert by["total"]["unattributed_flow_usd"] == pytest.approx(-1.2e9)
    assert by["total"]["flow_usd"] == pytest.approx(-6.6e9)


def test_default_by_underlying_has_korean_share(capsys: pytest.CaptureFixture[str]) -> None:
    recs = run_json(capsys, "flows", "--move", "1%", "--by", "underlying")
    ndx = next(r for r in recs if r["underlying_id"] == "NDX")
    # universe.csv: TQQQ 3x $39.349B, QLD 2x $14.3761B, SQQQ −3x $2.2748B, PSQ −1x $0.64B,
    # QID −2x $0.244839B, XQQI 1.5x $0.182533B (2026-06-01 snapshot)
    k = (
        6 * 39.349e9
        + 2 * 14.3761e9
        + 12 * 2.2748e9
        + 2 * 0.639995e9
        + 6 * 0.244839e9
        + 0.75 * 0.182533e9
    )
    assert ndx["flow_per_pct_usd"] == pytest.approx(k * 0.01, rel=1e-9)
    # Korean: $3.4B of TQQQ (KSD via Herald, 2026-01-15) → 6 × 3.4e9 × 1%.
    assert ndx["korean_flow_usd"] == pytest.approx(6 * 3.4e9 * 0.01, rel=1e-9)


def test_korean_aum_what_if(capsys: pytest.CaptureFixture[str]) -> None:
    recs = run_json(capsys, "flows", "--move", "-5%", "--korean-aum", "45e9", "--by", "fund")
    kor3 = sum(r["korean_flow_usd"] for r in recs if r["leverage"] == 3 and r["korean_flow_usd"])
    # the $45B sits in 3x funds (TQQQ, SOXL pro rata): research note 6 × 45e9 × −5% = −$13.5B.
    assert kor3 == pytest.approx(-13.5e9, rel=1e-9)


def test_scenario_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = tmp_path / "s.yaml"
    sc.write_text(
        "name: t\nkorean_holdings_usd: {TQQQ: 25e9, SOXL: 20e9}\ncreations_usd: {SOXL: -1e9}\n"
    )
    recs = run_json(
        capsys,
        "flows",
        "--scenario",
        str(sc),
        "--move",
        "-1%",
        "--by",
        "fund",
        "--underlying",
        "SOX",
    )
    soxl = next(r for r in recs if r["ticker"] == "SOXL")
    aum = 26_109_800_000 - 1_616_090_000 + 20e9  # non-Korean kept, Korean set to $20B
    assert soxl["aum_usd"] == pytest.approx(aum)
    assert soxl["flow_usd"] == pytest.approx(6 * aum * -0.01 + 3 * -1e9)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--move", "-5"], "move = '-5' is ambiguous"),
        (["--move", "abc"], "move = 'abc' is not a move"),
        (["--move", "-150%"], "below -100%"),
        (["--underlying", "NOPE"], "underlying = 'NOPE' is not in the universe"),
        (["--fund", "1:45e9"], "fund leverage = '1' is not a leveraged or inverse fund"),
        (["--fund", "3:-45e9"], "fund aum_usd = '-45e9' must be >= 0"),
        (["--korean-aum", "-1"], "--korean-aum = '-1' must be between 0 and $10T"),
        (["--universe", "/nonexistent.csv"], "does not exist"),
        (["--by", "planet"], "by = 'planet' must be one of"),
        (["--moves=-5%:5%:0%"], "step"),
    ],
)
def test_bad_input_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["flows", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ")
    assert message in err[-1]
    assert "Traceback" not in "\n".join(err)


def test_console_script_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "u.csv"
    bad.write_text("ticker,leverage,underlying_id,aum_usd\nAAA,3,NDX,-5\n")
    exe = Path(sys.executable).with_name("gaemi")
    proc = subprocess.run(
        [str(exe), "flows", "--universe", str(bad)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == "error: u.csv row 2: aum_usd = -5 must be >= 0"


def test_intraday_at_moves(capsys: pytest.CaptureFixture[str]) -> None:
    recs = run_json(
        capsys,
        "flows",
        "--fund",
        "3:45e9:NDX",
        "--fund",
        "-3:5e9:SOX",
        "--at",
        "NDX=-3%",
        "--by",
        "fund",
    )
    # 6 × 45e9 × −3% for the NDX fund; the SOX fund's underlying is unchanged → 0.
    assert [r["flow_usd"] for r in recs] == pytest.approx([-8.1e9, 0.0])
    assert main(["flows", "--at", "NDX", "--fund", "3:1e9"]) == 2
    assert "must be UNDERLYING=MOVE" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "line"),
    [
        # audit: `--top -3 --by fund` printed all 77 funds with exit 0
        (["--top", "-3"], "error: --top = -3 must be >= 1 (leave it out to show every fund)"),
        (["--top", "0"], "error: --top = 0 must be >= 1 (leave it out to show every fund)"),
    ],
)
def test_top_must_be_positive(
    capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    assert main(["flows", "--by", "fund", "--move", "1%", *args]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [line]


def test_top_needs_by_fund_and_picks_the_largest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "--top", "2", "--move", "1%"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "error: --top = 2 needs --by fund (it picks funds, not underlyings)"
    ]
    recs = run_json(capsys, "flows", "--by", "fund", "--top", "2", "--moves=-1%:1%:2%")
    assert len(recs) == 4  # two funds per move
    every = run_json(capsys, "flows", "--by", "fund", "--move", "1%")
    biggest = sorted((abs(float(str(r["flow_usd"]))) for r in every), reverse=True)[:2]
    top1 = [abs(float(str(r["flow_usd"]))) for r in recs if r["move_frac"] == 0.01]
    assert top1 == pytest.approx(biggest)


@pytest.mark.parametrize(
    ("args", "line"),
    [
        # audit: `--fund 3%:45e9` read leverage 0.03 and bought $26.2M on a -2% day
        (
            ["--fund", "3%:45e9", "--move", "-2%"],
            "error: fund leverage = '3%' must be a multiple like 3 or -2, not a percent",
        ),
        (
            ["--fund", "0.5:45e9", "--move", "-2%"],
            (
                "error: fund leverage = '0.5' is not a leveraged or inverse fund "
                "(need L > 1 or L < 0, e.g. 3 or -2)"
            ),
        ),
        (
            ["--fund", "0:45e9", "--move", "-2%"],
            (
                "error: fund leverage = '0' is not a leveraged or inverse fund "
                "(need L > 1 or L < 0, e.g. 3 or -2)"
            ),
        ),
        (
            ["--fund", "30:45e9", "--move", "-2%"],
            "error: fund leverage = '30' is outside [-10, 10]",
        ),
        # audit: `--fund 3:1e308` printed -$infT (JSON null) with exit 0 and RuntimeWarnings
        (
            ["--fund", "3:1e308", "--move", "-2%"],
            "error: fund aum_usd = '1e308' is too large: amounts above 1e+13 are refused",
        ),
        (
            ["--korean-aum", "1e308", "--move", "-2%"],
            # one wording for --korean-aum in every command (cli/common.parse_korean_aum)
            "error: --korean-aum = '1e308' must be between 0 and $10T (1e+13 USD)",
        ),
        # audit: `--move 1e308%` echoed 300 digits, warned, then blamed `moves = np.float64(inf)`
        (
            ["--move", "1e308%"],
            "error: --move = '1e308%' is above +1000% (a move is at most +1000% in a day)",
        ),
        # audit: `--moves=-5%:5%:1e-308` printed a ~300-digit point count
        (
            ["--moves=-5%:5%:1e-308"],
            (
                "error: --moves = '-5%:5%:1e-308' would give 1e+307 points; at most 100001 are "
                "allowed (use a larger STEP)"
            ),
        ),
        (
            ["--moves=-5%:5%:5e-324"],
            (
                "error: --moves = '-5%:5%:5e-324' would give too many points; at most 100001 "
                "are allowed (use a larger STEP)"
            ),
        ),
        # audit: a repeated option silently kept the last value
        (
            ["--move", "-5%", "--move", "-3%"],
            "error: --move is given twice (-5%, -3%); give it once",
        ),
        (
            ["--moves=-5%:5%:1%", "--moves=-1%:1%:1%"],
            "error: --moves is given twice (-5%:5%:1%, -1%:1%:1%); give it once",
        ),
        (
            ["--korean-aum", "45e9", "--korean-aum", "50e9"],
            "error: --korean-aum is given twice (45e9, 50e9); give it once",
        ),
    ],
)
def test_absurd_and_repeated_input_is_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    assert main(["flows", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == line
    assert not any("np.float64" in e or "Warning" in e for e in err)
    assert all(len(e) < 200 for e in err)


def test_inverse_fund_leverages_stay_valid(capsys: pytest.CaptureFixture[str]) -> None:
    recs = run_json(capsys, "flows", "--fund", "-3:10e9", "--fund", "-1:10e9", "--move", "-2%")
    # closed form L(L-1)·A·r: -3x → 12·10e9·-0.02 = -2.4e9; -1x → 2·10e9·-0.02 = -0.4e9
    assert [float(str(r["flow_usd"])) for r in recs] == pytest.approx([-2.8e9])


def test_at_repeated_underlying_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # audit: `--at NDX=-3% --at NDX=-5%` silently used -5%
    assert main(["flows", "--at", "NDX=-3%", "--at", "ndx=-5%"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: --at ndx is given twice (NDX=-3%, ndx=-5%); give one move per underlying"
    )


def test_at_underlying_left_out_by_filter_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    # audit: `--at TSLA=-10% -u NDX` said TSLA "is not in the universe"
    assert main(["flows", "--at", "TSLA=-10%", "-u", "NDX"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: --at TSLA: TSLA is in the universe but left out by --underlying NDX; "
        "add it there or drop it from --at"
    )
    assert main(["flows", "--at", "NOPE=-10%", "-u", "NDX"]) == 2
    assert "underlying = 'NOPE' is not in the universe" in capsys.readouterr().err


def test_scenario_redemption_above_aum_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # audit: -$50B of TQQQ redemptions against its $39.35B AUM (universe.csv, 2026-06-01)
    # gave a -$161.8B flow and a Korean flow above the Koreans' $3.4B holdings
    sc = tmp_path / "s.yaml"
    sc.write_text("creations_usd:\n  TQQQ: -50e9\n")
    assert main(["flows", "--scenario", str(sc), "--move", "-2%"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: creations for TQQQ = -$50.00B redeems more than the fund's AUM of $39.35B"
    )


def test_scenario_creation_on_filtered_out_fund_is_left_out_with_a_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `-u NDX` with a SOXL creation said "SOXL is not in the universe"
    sc = tmp_path / "s.yaml"
    sc.write_text("creations_usd:\n  SOXL: -1e9\n")
    assert main(["flows", "--scenario", str(sc), "-u", "NDX", "--move", "-2%", "-f", "json"]) == 0
    out = capsys.readouterr()
    assert "scenario creations for SOXL left out: not on --underlying NDX" in out.err
    plain = run_json(capsys, "flows", "-u", "NDX", "--move", "-2%")
    assert json.loads(out.out) == plain


def test_wiped_out_funds_named_and_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    # 3x at −40 %: 1 + 3·(−0.4) < 0, wiped: it sells its exposure left, −3·A·0.6 = −1.8·A
    # ($18B of $10B AUM), not 6·A·0.4 = $24B; the 2x survives: 2·A·(−0.4) = −$8B.
    assert main(["flows", "--fund", "3:10e9", "--fund", "2:10e9", "--move", "-40%",
                 "--by", "fund", "--format", "json"]) == 0  # fmt: skip
    cap = capsys.readouterr()
    recs = {r["ticker"]: r for r in json.loads(cap.out)}
    assert recs["HYP1"]["flow_usd"] == pytest.approx(-18e9)
    assert recs["HYP1"]["wiped_out"] is True
    assert recs["HYP2"]["flow_usd"] == pytest.approx(-8e9)
    assert recs["HYP2"]["wiped_out"] is False
    warn = [ln for ln in cap.err.splitlines() if "wiped out" in ln]
    assert len(warn) == 1
    assert "1 of 2 funds" in warn[0]
    assert "HYP1" in warn[0]
    assert "−L·A·(1+r)" in warn[0]
    # a survivable move: no warning line
    assert main(["flows", "--fund", "3:10e9", "--move", "-30%", "--format", "csv"]) == 0
    assert "wiped out" not in capsys.readouterr().err
