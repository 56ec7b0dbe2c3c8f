"""``gaemi investor``: the research examples, reproducibility and one-line errors."""

from __future__ import annotations

import json

import pytest

from gaemi.present.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["investor", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_all_in_140m_krw_with_margin(capsys: pytest.CaptureFixture[str]) -> None:
    # Research example: ₩140M all-in on one stock (here SOXL) with a 50% margin loan.
    args = [
        "--capital",
        "140000000",
        "--currency",
        "KRW",
        "--position",
        "SOXL=1.0",
        "--margin",
        "0.5",
        "--months",
        "3",
        "--paths",
        "2000",
        "--format",
        "json",
    ]
    rc, out, err = run(capsys, *args)
    assert rc == 0, err
    (s,) = json.loads(out)
    assert s["capital_krw"] == 140_000_000
    assert s["loan_krw"] == 70_000_000
    assert 0 < s["prob_margin_call"] < 1
    assert s["prob_forced_sale"] <= s["prob_margin_call"]
    _rc2, out2, _ = run(capsys, *args)
    assert json.loads(out2) == [s]  # same seed, same numbers


def test_900_to_13000_text(capsys: pytest.CaptureFixture[str]) -> None:
    # Research example: $900 turned into $13,000 and lost in three days.
    rc, out, err = run(
        capsys,
        "--capital",
        "13000",
        "--currency",
        "USD",
        "--position",
        "SOXL=1",
        "--days",
        "3",
        "--vol",
        "80%",
        "--paths",
        "2000",
        "--view",
        "text",
    )
    assert rc == 0, err
    assert "$13.0k" in out
    assert "3 trading days" in out


def test_two_positions_drawdown(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(
        capsys,
        "--capital",
        "50000",
        "--currency",
        "USD",
        "--position",
        "TSLL=0.5,NVDL=0.5",
        "--months",
        "2",
        "--paths",
        "1000",
        "--view",
        "drawdown",
        "--format",
        "json",
    )
    assert rc == 0, err
    rows = json.loads(out)
    dd = [r["max_drawdown_frac"] for r in rows]
    assert dd == sorted(dd)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--capital", "-5", "--position", "SOXL=1"], "capital"),
        (["--capital", "1e6", "--position", "SOXL=0.5,TQQQ=0.3"], "sum to 0.8"),
        (["--capital", "1e6", "--position", "NOPE=1"], "ticker"),
        (
            [
                "--capital",
                "1e6",
                "--position",
                "SOXL=1",
                "--margin",
                "0.5",
                "--maintenance",
                "100%",
            ],
            "maintenance_ratio",
        ),
        (["--capital", "1e6", "--position", "SOXL=1", "--days", "0"], "days"),
        (["--capital", "1e6", "--position", "SOXL=1", "--months", "0"], "months"),
        (["--capital", "1e6", "--position", "SOXL"], "TICKER=WEIGHT"),
        (["--capital", "1e6", "--position", "SOXL=1", "--currency", "EUR"], "currency"),
        (["--capital", "1e6", "--position", "SOXL=1", "--fx-beta", "nan"], "fx-beta"),
    ],
)
def test_bad_input_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], match: str
) -> None:
    rc, _, err = run(capsys, *args, "--paths", "10")
    lines = err.strip().splitlines()
    assert rc == 2
    assert lines[-1].startswith("error: ")
    assert match in lines[-1]
    assert "Traceback" not in err


def test_won_follows_the_fund_underlying(capsys: pytest.CaptureFixture[str]) -> None:
    # A KRW account in SOXL: USD/KRW gets the calibrated beta to SOX (calibration.yaml
    # beta.USDKRW.SOX, real history since 2001) and says so; --fx-beta 0 makes it
    # independent and, with the same random numbers, gives a different account.
    base = ["--capital", "140M", "--position", "SOXL=1", "--margin", "0.5"]
    base += ["--months", "3", "--paths", "4000", "--model", "constant", "--format", "json"]
    rc, out, err = run(capsys, *base)
    assert rc == 0, err
    assert "beta -0.061 to SOX" in err
    rc0, out0, err0 = run(capsys, *base, "--fx-beta", "0")
    assert rc0 == 0, err0
    assert "independent" in err0
    (linked,), (indep,) = json.loads(out), json.loads(out0)
    assert linked["median_end_krw"] != indep["median_end_krw"]


def test_help_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    # Every example in `gaemi investor --help` runs (small path counts).
    import shlex

    from gaemi.present.cli.investor import EPILOG

    text = EPILOG.replace("\\\n", " ")
    cmds = [
        shlex.split(line.split("#")[0])[1:]
        for line in (raw.strip() for raw in text.splitlines())
        if line.startswith("gaemi ")
    ]
    assert len(cmds) >= 4
    for argv in cmds:
        rc = main([*argv, "--paths", "300"])
        err = capsys.readouterr().err
        assert rc == 0, (argv, err)


def test_missing_position_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    # audit: a missing required option gave Typer's multi-line usage box
    rc, out, err = run(capsys, "--capital", "1e6")
    assert rc == 2
    assert out == ""
    assert err.strip().splitlines() == [
        "error: gaemi investor: Missing option '--position' / '-p'. (see gaemi investor --help)"
    ]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--position", "SOXL=nan"], "error: position SOXL weight = 'nan' must be a finite number"),
        (["--position", "SOXL=1", "--vol", "nan"], "error: vol = 'nan' must be a finite number"),
        (
            ["--position", "SOXL=1", "--margin", "nan"],
            "error: --margin = nan must be a finite number",
        ),
        (["--position", "SOXL=1", "--workers", "0"], "error: --workers = 0 must be >= 1"),
    ],
)
def test_nan_and_counts_named(
    capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    rc, _, err = run(capsys, "--capital", "1e6", *args, "--paths", "10")
    assert rc == 2
    assert err.strip().splitlines() == [line]
