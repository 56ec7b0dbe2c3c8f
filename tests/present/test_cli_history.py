"""``gaemi history`` on a small synthetic folder laid out like ../shared/data (fast)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaemi.data.importers import ImportOptions, import_file, iter_importable
from gaemi.data.store import Store
from gaemi.data.universe import load_default_universe
from gaemi.present.cli import main


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """QQQ/SOXX and their 3x funds, VIX and USD/KRW, 2025-01-02 .. 2026-06-30."""
    root = tmp_path_factory.mktemp("shared")
    rng = np.random.default_rng(4)
    days = pd.bdate_range("2025-01-02", "2026-06-30")
    adj = root / "us-adjclose-1993-2026"
    adj.mkdir()
    for und, funds, vol in (("QQQ", ("TQQQ",), 0.012), ("SOXX", ("SOXL", "SOXS"), 0.02)):
        r = rng.normal(0, vol, days.size)
        r[200] = -0.06  # a stress day
        pd.DataFrame({"Date": days.date, "Close": 100 * np.cumprod(1 + r)}).to_csv(
            adj / f"{und}.csv", index=False
        )
        for f in funds:
            lev = -3.0 if f == "SOXS" else 3.0
            pd.DataFrame({"Date": days.date, "Close": 50 * np.cumprod(1 + lev * r)}).to_csv(
                adj / f"{f}.csv", index=False
            )
    (root / "vix-cboe").mkdir()
    v = 15 + np.abs(rng.normal(0, 2, days.size))
    pd.DataFrame({"DATE": days.date, "OPEN": v, "HIGH": v, "LOW": v, "CLOSE": v}).to_csv(
        root / "vix-cboe" / "vix-daily.csv", index=False
    )
    (root / "fx-daily").mkdir()
    fx = 1400 * np.cumprod(1 + rng.normal(0, 0.004, days.size))
    pd.DataFrame({"observation_date": days.date, "DEXKOUS": fx.round(2)}).to_csv(
        root / "fx-daily" / "DEXKOUS.csv", index=False
    )
    return root


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["history", *args])
    out, err = capsys.readouterr()
    return rc, out, err


def _ok(capsys: pytest.CaptureFixture[str], argline: str, *args: str) -> tuple[str, str]:
    """``gaemi history`` with the words of ``argline`` then ``args``: exit code 0 (else
    the stderr is shown); returns stdout and stderr."""
    rc, out, err = _run(capsys, *argline.split(), *args)
    assert rc == 0, err
    return out, err


def test_daily_json_flows(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "--from", "2025-06-02", "--data-dir", str(folder), "-f", "json")
    assert rc == 0, err
    rows = pd.DataFrame(json.loads(out))
    assert {"flow_usd", "pressure_ratio", "aum_estimated", "model_extra_move_frac"} <= set(
        rows.columns
    )
    ndx = rows[rows["underlying_id"] == "NDX"].reset_index(drop=True)
    # one 3x fund: flow = L(L−1)·A·r = 6·A·r (DESIGN.md section 1) with A the previous close
    np.testing.assert_allclose(ndx["flow_usd"], 6 * ndx["aum_usd"] * ndx["move_frac"], rtol=1e-9)
    assert ndx["aum_estimated"].iloc[:50].all()  # before the 2026-06-01 snapshot
    assert "excluded (no history)" in err  # funds without a price file are named
    assert "estimate" in err


def test_events_csv_and_threshold(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argline = "--from 2025-01-02 --events --threshold 5% --format csv"
    out, err = _ok(capsys, argline, "--data-dir", str(folder))
    assert "read 5% as percent" in err
    from io import StringIO

    df = pd.read_csv(StringIO(out))
    assert {"ndx_d0_move_frac", "ndx_next1_move_frac", "ndx_flow_usd", "status"} <= set(df.columns)
    # the synthetic −6% day (row 200 of the business days) is found by the threshold
    assert str(pd.bdate_range("2025-01-02", periods=201)[-1].date()) in set(df["date"])
    assert (df["ndx_d0_move_frac"].abs() >= 0.05).any()


def test_stats_json(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argline = "--from 2025-01-02 --stats --boot 60 -f json"
    out, _ = _ok(capsys, argline, "--data-dir", str(folder))
    recs = json.loads(out)
    assert {r["sample"] for r in recs} == {"NDX", "SOX", "NDX+SOX"}
    for r in recs:
        assert r["ci_nw_low"] < r["coef"] < r["ci_nw_high"]


def test_stats_honour_an_explicit_from(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # audit: --stats ignored --from (always since 2010); an explicit --from now sets the
    # statistic's first day, and without --from it keeps its documented 2010 start
    def first_dates(*args: str) -> set[str]:
        rc, out, err = _run(
            capsys, *args, "--stats", "--boot", "60", "--data-dir", str(folder), "-f", "json"
        )
        assert rc == 0, err
        return {str(r["first_date"])[:10] for r in json.loads(out)}

    assert first_dates("--from", "2025-06-02") == {"2025-06-02"}  # a Monday
    early = first_dates("--from", "2025-01-02")
    assert early == first_dates()  # the folder starts 2025-01-02, after the 2010 default
    assert max(early) < "2025-06-02"


def test_help_shows_the_boot_minimum(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "at least 50" in out


def test_html_and_table(folder: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "h.html"
    out, err = _ok(
        capsys, "--from 2025-06-02 --boot 60", "--data-dir", str(folder), "--html", str(page)
    )
    text = page.read_text(encoding="utf-8")
    for part in ("Plotly", "Stress days", "Reconstructed AUM", "Next-day reversal"):
        assert part in text
    assert "cdn" not in text.lower().split("<script>")[0]  # self-contained head
    assert "Largest pressure days" in out
    assert "not significant" in err or "significant" in err


def test_store_gives_the_same_numbers(
    folder: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "g.duckdb"
    with Store(db) as store:
        for f, kind, opts in iter_importable(folder):
            import_file(store, f, ImportOptions(kind=kind, **opts))
    rc, a, err = _run(capsys, "--from", "2025-06-02", "--db", str(db), "-f", "csv")
    assert rc == 0, err
    rc, b, err = _run(capsys, "--from", "2025-06-02", "--data-dir", str(folder), "-f", "csv")
    assert rc == 0, err
    assert a == b
    assert len(load_default_universe()) > 2  # the store has no funds: the default is used


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (["--from", "2025-13-01"], "from = '2025-13-01' is not a YYYY-MM-DD date"),
        (["--from", "2025-06-02", "--to", "2025-01-01"], "is before from"),
        (["--threshold", "-7"], "ambiguous"),
        (["--db", "/nonexistent/x.duckdb"], "does not exist"),
        (["--from", "2030-01-01"], "is after the last day"),
        (["--aum-basis", "shares"], "must be underlying or nav"),
        # audit: "boot = 0 must be >= 50" did not name the option
        (["--boot", "0"], "--boot = 0 must be >= 50"),
        # audit: a repeated single-valued option silently kept the last value
        (["--from", "2025-01-02", "--from", "2025-06-02"], "--from is given twice"),
        (["--to", "2025-06-02", "--to", "2025-07-01"], "--to is given twice"),
        (["--threshold", "5%", "--threshold", "3%"], "--threshold is given twice"),
        (["--boot", "60", "--boot", "99"], "--boot is given twice"),
        (["--seed", "1", "--seed", "2"], "--seed is given twice"),
        (["--aum-basis", "nav", "--aum-basis", "underlying"], "--aum-basis is given twice"),
        (["--format", "csv", "-f", "json"], "--format is given twice"),
        # the seed check of every command (app.decay.check_seed), same words as cascade's
        (["--seed", "-1"], "error: --seed = -1 must be an integer >= 0"),
    ],
)
def test_bad_input_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str], args: list[str], msg: str
) -> None:
    extra = [] if "--db" in args else ["--data-dir", str(folder)]
    rc, _, err = _run(capsys, *args, *extra)
    assert rc == 2
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, err
    assert msg in lines[0], err
    assert "Traceback" not in err


def test_data_dir_without_history(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, _, err = _run(capsys, "--data-dir", str(tmp_path))
    assert rc == 2
    assert "has no us-adjclose-1993-2026/*.csv" in err
    rc, _, err = _run(capsys, "--data-dir", str(tmp_path), "--db", str(tmp_path / "x"))
    assert rc == 2
    assert "not both" in err


def test_format_help_is_the_shared_one(capsys: pytest.CaptureFixture[str]) -> None:
    """``--format`` reads as in every other command (cli.common.FormatOption)."""
    helps = []
    for command in ("history", "flows"):
        assert main([command, "--help"]) == 0
        out = " ".join(capsys.readouterr().out.split())
        helps.append("Output format (table)." in out and "table|json|csv" in out)
    assert helps == [True, True]


def test_events_terminal_cells_are_the_shared_cell_rule() -> None:
    """The stress-day tables write each cell by gaemi.units.format_cell (the rule of every
    terminal table and the report): the history command has no cell format of its own."""
    from gaemi.present.cli.history import events_terminal
    from gaemi.units import format_cell

    ev = pd.DataFrame(
        {
            "date": ["2024-08-05", "2025-04-04"],
            "ndx_d0_move_frac": [-0.0298, 0.0],
            "vix_d0_move_frac": [0.649, float("nan")],
            "ndx_flow_usd": [-4.82e9, 1.5e8],
            "ndx_pressure_ratio": [0.3412, 1.0],
            "ndx_reversed": [True, False],
            "status": ["HIGH", "LOW"],
        }
    )
    real, model = events_terminal(ev)
    assert list(real.columns) == ["date", "NDX d0", "VIX d0"]
    assert list(model.columns) == [
        "date",
        "NDX flow",
        "NDX LETF pressure",
        "NDX reversed",
        "status",
    ]
    for frame, labels in (
        (real, {"NDX d0": "ndx_d0_move_frac", "VIX d0": "vix_d0_move_frac"}),
        (
            model,
            {
                "NDX flow": "ndx_flow_usd",
                "NDX LETF pressure": "ndx_pressure_ratio",
                "NDX reversed": "ndx_reversed",
                "status": "status",
            },
        ),
    ):
        for label, key in labels.items():
            assert list(frame[label]) == [format_cell(key, v) for v in ev[key]], label
    # what that rule writes (gaemi.units docstring): signed moves with 2 decimals and no
    # sign on zero, money by format_usd, multiples with ×, yes/no, — for a missing value
    assert list(real["NDX d0"]) == ["-2.98%", "0.00%"]
    assert list(real["VIX d0"]) == ["+64.90%", "—"]
    assert list(model["NDX LETF pressure"]) == ["0.34×", "1.00×"]
    assert list(model["NDX reversed"]) == ["yes", "no"]


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["history", "--help"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "gaemi history --from 2020-01-01 --events" in out


def test_daily_status(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argline = "--from 2026-05-01 --to 2026-05-08 --daily-status -f json"
    out, _ = _ok(capsys, argline, "--data-dir", str(folder))
    recs = json.loads(out)
    # the monitor's levels (monitor_rules.yaml), one per day, the same for every underlying
    assert {r["status"] for r in recs} <= {"LOW", "GUARDED", "ELEVATED", "HIGH", "CRITICAL"}
    by_day = pd.DataFrame(recs).groupby("date")["status"].nunique()
    assert (by_day == 1).all()


def test_events_table_two_narrow_tables(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _ok(capsys, "--from 2025-01-02 --events --threshold 5%", "--data-dir", str(folder))
    assert "Stress days: real moves" in out
    assert "Stress days: the model" in out
    assert "-6.00%" in out  # the synthetic −6% day of QQQ (the fixture)


def _store_with(db: Path, files: list[tuple[Path, str]]) -> None:
    from gaemi.data.universe import default_universe_path

    with Store(db) as store:
        import_file(store, default_universe_path(), ImportOptions("funds"))
        for f, kind in files:
            import_file(store, f, ImportOptions(kind))


def test_store_without_usable_fund_prices_says_what_is_missing(
    folder: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The audit's store: fund snapshots, QQQ and a short TQQQ that ends before its AUM
    date (2026-06-01 in universe.csv). The old message blamed an underlying the user never
    passed ("underlying = 'NDX' is not in the universe"); now it names what the store lacks."""
    adj = folder / "us-adjclose-1993-2026"
    short = tmp_path / "TQQQ.csv"
    lines = (adj / "TQQQ.csv").read_text().splitlines()
    short.write_text("\n".join(lines[:50]) + "\n")  # 49 rows: 49 weekdays from 2025-01-02
    db = tmp_path / "g.duckdb"
    _store_with(db, [(adj / "QQQ.csv", "prices"), (short, "prices")])
    rc, out, err = _run(capsys, "--events", "--db", str(db))
    assert rc == 2
    assert out == ""
    (line,) = err.splitlines()
    assert "is not in the universe" not in line
    assert line.startswith("error: no fund of the universe can be replayed:")
    assert "TQQQ (NDX): no price on its AUM date 2026-06-01 (prices 2025-01-02..2025-03-11)" in (
        line
    )
    # every other NDX fund of universe.csv, in its order, has no price series in the store
    from gaemi.data.universe import load_default_universe

    others = [t for t in load_default_universe().where_underlying("NDX").ticker if t != "TQQQ"]
    assert f"{', '.join(others)}: no price history" in line
    assert "no underlying series for SOX (SOXX/SMH)" in line
    assert "us-adjclose-1993-2026/TQQQ.csv" in line


def test_underlying_without_a_usable_fund_is_left_out_and_said(
    folder: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """SOX funds with prices but no NDX fund: SOX is replayed, NDX is named on stderr."""
    adj = folder / "us-adjclose-1993-2026"
    db = tmp_path / "g.duckdb"
    _store_with(db, [(adj / f"{s}.csv", "prices") for s in ("QQQ", "SOXX", "SOXL", "SOXS")])
    rc, out, err = _run(capsys, "--from", "2025-06-02", "--db", str(db), "-f", "json")
    assert rc == 0, err
    assert {r["underlying_id"] for r in json.loads(out)} == {"SOX"}
    assert "note: NDX: not replayed, none of its funds has a price history" in err


def test_real_day_lists_every_underlying_with_its_aum_source(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 16 must-show: one day on ../shared/data lists every replayed underlying (each
    # underlying of the universe with a price series, not five) with where its A_{t-1} is
    # from; the ProShares funds' AUM is the issuer's (us-letf-nav-proshares/).
    argline = "--from 2025-04-09 --to 2025-04-09 -f csv --no-status"
    out, _ = _ok(capsys, argline, "--data-dir", str(shared_data))
    df = pd.read_csv(io.StringIO(out))
    assert (df["date"] == "2025-04-09").all()
    listed = df[df["n_funds"] > 0]
    assert {"NDX", "SOX", "SPX", "TSLA", "NVDA", "MU", "BTC", "MSTR"} <= set(
        listed["underlying_id"]
    )
    assert listed["aum_source"].notna().all()
    src = dict(zip(df["underlying_id"], df["aum_source"], strict=True))
    assert src["NDX"].startswith("reported")  # TQQQ, SQQQ, QLD: the issuer's daily AUM
    assert "reported" in src["SPX"]  # UPRO, SPXU, SSO
    assert "reported" not in src["SOX"]  # Direxion: snapshots only
    # the identity on the issuer funds: the NDX flow is K × move (FACTS.md e: NDX +12.0 %)
    ndx = df.set_index("underlying_id").loc["NDX"]
    assert ndx["flow_usd"] == pytest.approx(ndx["flow_per_pct_usd"] * 100 * ndx["move_frac"])
