"""``gaemi investor``: the research examples, reproducibility and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
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
        if line.startswith("gaemi ") and "--replay" not in line  # replays: test below
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


# ----------------------------------------------------------------------------- --replay
def _reference() -> Any:
    """The independent plain-csv calculation of tests/app/test_account_replay.py (loaded by
    path: the test folders are not packages)."""
    import importlib.util

    path = Path(__file__).parents[1] / "app" / "test_account_replay.py"
    spec = importlib.util.spec_from_file_location("_account_replay_reference", path)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SEED = ["--replay", "--from", "2024-07-01", "--capital", "140M", "--position", "SOXL=1"]


def test_replay_seed_account_matches_the_plain_loop(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    # The seed: ₩140M all-in SOXL with a 50% margin loan from 2024-07-01. Reference: the
    # plain csv loop of tests/app/test_account_replay.py over ../shared/data (same broker:
    # 140 %, D+2 deadline, sale at the D+3 open, 8 %/yr calendar-day interest, no discount).
    ref = _reference()
    days, equity, first_call, first_sale = ref.reference_soxl_margin(shared_data, "2024-07-01")
    rc, out, err = run(
        capsys,
        *SEED,
        "--margin",
        "0.5",
        "--maintenance",
        "140%",
        "--grace-days",
        "2",
        "--loan-rate",
        "8%",
        "--sale-discount",
        "0",
        "--to",
        days[-1],
        "--data-dir",
        str(shared_data),
        "--format",
        "json",
    )
    assert rc == 0, err
    d = json.loads(out)
    assert (first_call, first_sale) == ("2024-09-06", "2025-01-30")  # what the loop finds
    assert d["first_margin_call"] == first_call
    assert d["first_forced_sale"] == first_sale
    n = len(equity)
    assert [r["date"] for r in d["records"][:n]] == days[:n]
    got = np.array([r["equity_krw"] for r in d["records"][:n]])
    np.testing.assert_allclose(got, equity, rtol=1e-9, atol=1.0)
    ev = {(e["date"], e["event"]) for e in d["events"]}
    assert (first_call, "margin_call") in ev
    assert (first_sale, "forced_sale") in ev
    assert d["kind"] == "replay"
    assert d["currency"] == "KRW"


def test_replay_table_and_html(
    capsys: pytest.CaptureFixture[str], shared_data: Path, tmp_path: Path
) -> None:
    page = tmp_path / "replay.html"
    rc, out, err = run(
        capsys, *SEED, "--margin", "0.5", "--data-dir", str(shared_data), "--html", str(page)
    )
    assert rc == 0, err
    assert "first on 2024-09-06" in out
    assert "first on 2025-01-30" in out
    assert "forced_sale" in out
    assert "2025-01-30" in out
    # the events' amounts carry their currency in the header, by the one header rule
    # (issue 19: "Amount" had no unit while its cells carried ₩ or $)
    assert "Amount (₩)" in out
    assert "Amount ($)" in out
    assert "Amount " not in out.replace("Amount (₩)", "").replace("Amount ($)", "")
    assert f"wrote {page}" in err
    text = page.read_text(encoding="utf-8")
    assert "Plotly" in text
    assert 'src="http' not in text
    assert text.count("replay-chart-") >= 3  # equity, drawdown, collateral ratio


def test_replay_csv_is_the_daily_frame(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    rc, out, err = run(
        capsys, *SEED, "--to", "2024-07-31", "--data-dir", str(shared_data), "--format", "csv"
    )
    assert rc == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("date,equity_krw,equity_usd")
    # July 2024 has 22 NYSE sessions (the 4th closed): the first of July through the 31st
    assert len(lines) - 1 == 22


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--from", "1990-01-02", "-p", "SOXL=1"],
            (
                "error: from = '1990-01-02' is before SOXL's first close 2010-03-11 (backfill "
                "extends a fund from its index)"
            ),
        ),
        (
            ["--from", "2005-01-03", "-p", "TSLA=1", "--backfill"],
            (
                "error: positions: 'TSLA' has no history before 2010-06-29 and is not a fund in "
                "the universe (no index to backfill from since 2005-01-03)"
            ),
        ),
        (
            ["--from", "2024-07-01", "-p", "NOPE=1"],
            "error: positions: 'NOPE' has no us-adjclose-1993-2026/NOPE.csv in data_dir",
        ),
        (
            ["--from", "2024-07-01", "-p", "SOXL=0.5", "-p", "TQQQ=0.4"],
            "error: weights sum to 0.9; they must sum to 1",
        ),
        (
            ["--from", "2024-07-01", "-p", "SOXL=1", "--deposit", "-1M"],
            "error: deposit = -1000000.0 must be >= 0",
        ),
        (
            ["--from", "2024-07-01", "-p", "SOXL=1", "--months", "3"],
            (
                "error: --months = 3.0 does not apply to --replay (the replay runs from --from to "
                "--to)"
            ),
        ),
        (
            ["--from", "2024-07-01", "-p", "SOXL=1", "--rebalance", "weekly"],
            "error: rebalance = 'weekly' must be one of none, monthly, quarterly",
        ),
        (["-p", "SOXL=1"], "error: --from is missing: --replay needs a first day, e.g. 2024-07-01"),
    ],
)
def test_replay_bad_input_one_line(
    capsys: pytest.CaptureFixture[str],
    shared_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    line: str,
) -> None:
    # the price folder from $GAEMI_SHARED_DATA: the state is the embedded one (no notes)
    monkeypatch.setenv("GAEMI_SHARED_DATA", str(shared_data))
    rc, out, err = run(capsys, "--replay", "--capital", "140M", *args)
    assert rc == 2
    assert out == ""
    assert err.strip().splitlines() == [line]


def test_replay_options_need_replay(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _out, err = run(capsys, "--capital", "1M", "-p", "SOXL=1", "--deposit", "1M")
    assert rc == 2
    assert err.strip().splitlines() == ["error: --deposit = '1M' needs --replay"]


def test_replay_help_examples_run(
    capsys: pytest.CaptureFixture[str],
    shared_data: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The --replay examples of `gaemi investor --help`, with ../shared/data where it is here
    # and a smaller forward simulation.
    import shlex

    from gaemi.present.cli.investor import EPILOG

    monkeypatch.chdir(tmp_path)  # --html writes here
    text = EPILOG.replace("\\\n", " ")
    cmds = [
        shlex.split(line.replace("../shared/data", str(shared_data)))[1:]
        for line in (raw.strip() for raw in text.splitlines())
        if line.startswith("gaemi ") and "--replay" in line
    ]
    assert len(cmds) == 3
    for argv in cmds:
        argv = ["300" if a == "4000" else a for a in argv]
        rc = main(argv)
        err = capsys.readouterr().err
        assert rc == 0, (argv, err)
    assert (tmp_path / "tqqq.html").is_file()


def test_account_risk_table_is_the_one_cell_rule(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The "Account risk" table writes each key by :func:`gaemi.units.format_cell` under
    its :func:`gaemi.units.column_header` (issue 19 item 2: it had its own rule, a move
    unsigned with one decimal, ``maintenance_ratio`` a percent by name): the JSON of the
    same run (same seed) gives the values."""
    from gaemi import units
    from gaemi.present.cli.investor import account_risk_rows

    monkeypatch.setenv("COLUMNS", "120")
    args = ["--capital", "140M", "--currency", "KRW", "--position", "SOXL=1", "--margin", "0.5"]
    args += ["--months", "3", "--paths", "500", "--model", "constant"]
    _, out_json, _ = run(capsys, *args, "--format", "json")
    (s,) = json.loads(out_json)
    rc, out, err = run(capsys, *args)
    assert rc == 0, err
    rows = account_risk_rows(s)
    assert [r["metric"] for r in rows] == [units.column_header(k) for k in s]
    assert [r["value"] for r in rows] == [units.format_cell(k, v) for k, v in s.items()]
    by = {r["metric"]: r["value"] for r in rows}
    # the broker's 140% (investor.yaml), as Korean brokers quote it, by the header's unit
    assert by["Maintenance, collateral / loan (%)"] == "140.0%"
    assert by["Capital (₩)"] == "₩1.40억"  # 1.4e8 won
    # the median change is a move: signed, two decimals, as format_frac
    assert by["Median change (%)"] == units.format_frac(s["median_change_frac"])
    for r in rows:  # and the terminal prints them
        assert r["metric"] in out
        assert r["value"] in out
