"""``gaemi decay``: output, reproducibility and one-line errors."""

from __future__ import annotations

import json
import math

import pytest

from gaemi.present.cli import main


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    rc = main(["decay", *args, "--format", "json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return json.loads(out.out)  # type: ignore[no-any-return]


def test_design_quarter_of_value(capsys: pytest.CaptureFixture[str]) -> None:
    # DESIGN.md section 1: flat half-year at σ=45% costs a 3x fund about a quarter.
    rows = run_json(
        capsys,
        "--leverage",
        "3",
        "--vol",
        "45%",
        "--months",
        "6",
        "--view",
        "erosion",
        "--rate",
        "0",
        "--spread",
        "0",
    )
    hit = [r for r in rows if r["vol_annual"] == 0.45 and r["months"] == 6.0]
    assert hit[0]["drag_only_loss_frac"] == pytest.approx(1 - math.exp(-0.30375), rel=1e-9)


def test_percentiles_reproducible(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--ticker", "SOXL", "--months", "3", "--vol", "45%", "--paths", "3000", "--seed", "5")
    a = run_json(capsys, *args)
    b = run_json(capsys, *args, "--workers", "1")
    assert a == b
    assert [r["prob"] for r in a][4] == 0.5
    assert {"fund_change_frac", "closed_form_change_frac", "aum_usd"} <= set(a[0])


def test_summary_garch_and_bootstrap(
    capsys: pytest.CaptureFixture[str], shared_data: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    (s,) = run_json(
        capsys,
        "--ticker",
        "TQQQ",
        "--months",
        "3",
        "--model",
        "garch",
        "--paths",
        "2000",
        "--view",
        "summary",
    )
    assert s["model"].startswith("GJR-GARCH-t")  # type: ignore[union-attr]
    assert 0.0 <= s["prob_loss_50pct"] <= 1.0  # type: ignore[operator]
    monkeypatch.setenv("GAEMI_SHARED_DATA", str(shared_data))
    (b,) = run_json(
        capsys,
        "--ticker",
        "SOXL",
        "--months",
        "3",
        "--model",
        "bootstrap",
        "--paths",
        "2000",
        "--view",
        "summary",
    )
    assert b["model"].startswith("block bootstrap")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--ticker", "NOPE"], "ticker"),
        (["--ticker", "SOXL", "--months", "0"], "months"),
        (["--ticker", "SOXL", "--days", "0"], "days"),
        (["--ticker", "SOXL", "--vol", "45"], "ambiguous"),
        (["--ticker", "SOXL", "--model", "garch", "--vol", "45%"], "constant"),
        (["--ticker", "SOXL", "--paths", "0"], "paths"),
        (["--leverage", "3"], "--vol"),
    ],
)
def test_bad_input_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], match: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GAEMI_SHARED_DATA", raising=False)
    rc = main(["decay", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err[-1].startswith("error: ")
    assert match in err[-1]
    assert "Traceback" not in "\n".join(err)


def test_bootstrap_without_history_is_clear(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GAEMI_SHARED_DATA", raising=False)
    rc = main(["decay", "--ticker", "SOXL", "--model", "bootstrap", "--paths", "10"])
    assert rc == 2
    assert "--history" in capsys.readouterr().err


def epilog_commands(epilog: str) -> list[list[str]]:
    """The example command lines of a command's --help (continuations joined)."""
    import shlex

    text = epilog.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line.startswith("gaemi "):
            out.append(shlex.split(line)[1:])
    return out


def test_help_examples_run(capsys: pytest.CaptureFixture[str], shared_data: object) -> None:
    # Every example in `gaemi decay --help` runs (small path counts, real history for
    # the bootstrap example read where it is).
    from gaemi.present.cli.decay import EPILOG

    cmds = epilog_commands(EPILOG)
    assert len(cmds) >= 4
    for argv in cmds:
        argv = [a.replace("../shared/data", str(shared_data)) for a in argv]
        if "--paths" in argv:
            argv[argv.index("--paths") + 1] = "500"
        else:
            argv += ["--paths", "500"]
        # --format is single-valued (a repeat is refused): add it only where not given
        rc = main([*argv, *([] if "--format" in argv else ["--format", "json"])])
        err = capsys.readouterr().err
        assert rc == 0, (argv, err)


def test_loss_thresholds(capsys: pytest.CaptureFixture[str]) -> None:
    (s,) = run_json(
        capsys,
        "--ticker",
        "SOXL",
        "--months",
        "3",
        "--vol",
        "45%",
        "--paths",
        "2000",
        "--view",
        "summary",
        "--loss",
        "30%",
        "--loss",
        "0.6",
    )
    # a larger loss is never more likely (the probabilities are one CDF)
    assert s["prob_loss_25pct"] >= s["prob_loss_30pct"] >= s["prob_loss_50pct"]  # type: ignore[operator]
    assert s["prob_loss_50pct"] >= s["prob_loss_60pct"]  # type: ignore[operator]
    assert main(["decay", "--ticker", "SOXL", "--loss", "150%"]) == 2
    assert "loss" in capsys.readouterr().err


def test_progress_bar_path(capsys: pytest.CaptureFixture[str]) -> None:
    # Runs of >= 50,000 paths show a Rich progress bar on stderr; stdout stays JSON.
    (s,) = run_json(
        capsys,
        "--ticker",
        "TQQQ",
        "--days",
        "5",
        "--vol",
        "20%",
        "--paths",
        "60000",
        "--view",
        "summary",
    )
    assert s["paths"] == 60000


# ------------------------------------------------ audit: repeats, leverage, erosion
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ticker", "SOXL", "--ticker", "TQQQ"], "--ticker is given twice (SOXL, TQQQ)"),
        (["--ticker", "SOXL", "--vol", "45%", "--vol", "50%"], "--vol is given twice (45%, 50%)"),
        (["--ticker", "SOXL", "--months", "3", "--months", "6"], "--months is given twice"),
        (["--ticker", "SOXL", "--days", "5", "--days", "9"], "--days is given twice (5, 9)"),
        (["--ticker", "SOXL", "--model", "garch", "--model", "constant"], "--model is given"),
        (["--ticker", "SOXL", "--paths", "100", "--paths", "200"], "--paths is given twice"),
        (["--ticker", "SOXL", "--seed", "1", "--seed", "2"], "--seed is given twice (1, 2)"),
        (["--ticker", "SOXL", "--drift", "0%", "--drift", "5%"], "--drift is given twice"),
        (["--ticker", "SOXL", "--rate", "4%", "--rate", "0"], "--rate is given twice"),
        (["--ticker", "SOXL", "--spread", "0", "--spread", "1%"], "--spread is given twice"),
        (["--leverage", "3", "--leverage", "-3", "--vol", "45%"], "--leverage is given twice"),
        (["--ticker", "SOXL", "--expense", "1%", "--expense", "0"], "--expense is given twice"),
        (["--ticker", "SOXL", "--start", "last", "--start", "long_run"], "--start is given"),
        (["--ticker", "SOXL", "--block-days", "5", "--block-days", "20"], "--block-days is"),
        (["--ticker", "SOXL", "--view", "summary", "--view", "erosion"], "--view is given twice"),
    ],
)
def test_repeated_single_valued_option_is_refused(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    # Typer used to keep the last value silently (--vol 45% --vol 50% ran at 50%).
    rc = main(["decay", *args])
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"error: {message}")
    assert line.endswith("; give it once")


@pytest.mark.parametrize(
    ("leverage", "message"),
    [
        # the rule of gaemi flows --fund and is_fund_leverage: L > 1 or L < 0, |L| <= 10
        ("20", "--leverage = 20 is outside [-10, 10]"),
        ("-10.5", "--leverage = -10.5 is outside [-10, 10]"),
        ("0.5", "--leverage = 0.5 is not a leveraged or inverse fund"),
        ("1", "--leverage = 1 is not a leveraged or inverse fund"),
        ("0", "--leverage = 0 is not a leveraged or inverse fund"),
        ("nan", "--leverage = nan must be a finite number"),
    ],
)
@pytest.mark.parametrize("fund", [[], ["--ticker", "SOXL"]])
def test_leverage_outside_the_fund_rule_is_refused(
    capsys: pytest.CaptureFixture[str], leverage: str, message: str, fund: list[str]
) -> None:
    rc = main(["decay", *fund, "--leverage", leverage, "--vol", "45%", "--view", "erosion"])
    captured = capsys.readouterr()
    assert rc == 2
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith(f"error: {message}")


@pytest.mark.parametrize("leverage", ["10", "-10", "1.5", "-0.5"])
def test_leverage_within_the_rule_runs(capsys: pytest.CaptureFixture[str], leverage: str) -> None:
    rows = run_json(capsys, "--leverage", leverage, "--vol", "45%", "--view", "erosion")
    assert rows[0]["leverage"] == float(leverage)


def test_erosion_view_answers_the_given_vol_and_months(capsys: pytest.CaptureFixture[str]) -> None:
    # It used to print the default 6×4 grid whatever --vol/--months said.
    (row,) = run_json(
        capsys, "--ticker", "SOXL", "--view", "erosion", "--vol", "45%", "--months", "6"
    )
    assert (row["vol_annual"], row["months"]) == (0.45, 6.0)
    # months as given, not rounded to whole trading days (2.5 months is not 52/21)
    (row,) = run_json(
        capsys, "--ticker", "SOXL", "--view", "erosion", "--vol", "45%", "--months", "2.5"
    )
    assert row["months"] == 2.5
    # --days is read as days / 21 months
    (row,) = run_json(
        capsys, "--ticker", "SOXL", "--view", "erosion", "--vol", "30%", "--days", "42"
    )
    assert row["months"] == pytest.approx(2.0)
    # only --vol: that vol over the grid's horizons; only --months: the grid's vols
    rows = run_json(capsys, "--ticker", "SOXL", "--view", "erosion", "--vol", "45%")
    assert [(r["vol_annual"], r["months"]) for r in rows] == [(0.45, m) for m in (1, 3, 6, 12)]
    rows = run_json(capsys, "--ticker", "SOXL", "--view", "erosion", "--months", "6")
    assert sorted(r["vol_annual"] for r in rows) == [0.2, 0.3, 0.45, 0.6, 0.8, 1.0]
    assert {r["months"] for r in rows} == {6.0}
    # nothing given: the 6×4 grid (the API's default too)
    assert len(run_json(capsys, "--ticker", "SOXL", "--view", "erosion")) == 24
