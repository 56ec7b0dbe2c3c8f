"""``gaemi data``: import, check, list, status, clock through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gaemi.present.cli import COMMAND_MODULES, main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_registered() -> None:
    assert "data" in COMMAND_MODULES


def test_import_check_list_status(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "s.duckdb")
    soxs = str(shared_data / "us-adjclose-1993-2026" / "SOXS.csv")
    rc, out, err = run(capsys, "data", "import", soxs, "--close-is-adjusted", "--db", db)
    assert rc == 0, err
    # PROVENANCE.md: SOXS.csv 2010-03-11 .. 2026-08-03, 4124 rows
    assert "SOXS 2010-03-11..2026-08-03: 4124 rows — 4124 new" in out
    rc, out, _ = run(capsys, "data", "import", soxs, "--close-is-adjusted", "--db", db)
    assert rc == 0
    assert "0 new, 0 replaced, 4124 unchanged" in out
    rc, out, _ = run(capsys, "data", "check", "--db", db, "--format", "json")
    assert rc == 0
    rows = json.loads(out)
    split = [r for r in rows if r["check"] == "split_jump" and r["series"] == "SOXS"]
    assert split
    assert split[0]["first_dates"] == "2026-05-26"
    rc, out, _ = run(capsys, "data", "list", "--db", db, "--format", "json")
    (rec,) = json.loads(out)
    assert (rec["symbol"], rec["rows"], rec["last_date"]) == ("SOXS", 4124, "2026-08-03")
    rc, out, _ = run(capsys, "data", "status", "--db", db, "--format", "json")
    status = {r["table"]: r for r in json.loads(out)}
    assert status["prices"]["rows"] == 4124
    assert status["imports"]["rows"] == 1  # the second, no-op import is not logged


def test_db_from_environment(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("GAEMI_DB", str(tmp_path / "env.duckdb"))
    f = str(shared_data / "fx-daily" / "DEXKOUS.csv")
    rc, _, err = run(capsys, "data", "import", f, "--kind", "macro")
    assert rc == 0, err
    assert (tmp_path / "env.duckdb").is_file()
    rc, out, _ = run(capsys, "data", "list", "--kind", "macro", "--format", "json")
    assert json.loads(out)[0]["series_id"] == "DEXKOUS"


def test_bad_file_one_line_rc2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "X.csv"
    bad.write_text("Date,Close\n2020-01-02,1\n2020-01-03,abc\n")
    rc, _out, err = run(capsys, "data", "import", str(bad), "--db", str(tmp_path / "s.duckdb"))
    assert rc == 2
    lines = [x for x in err.splitlines() if x.startswith("error:")]
    assert lines == ["error: X.csv line 3: Close = 'abc' is not a number"]
    assert "Traceback" not in err


def test_check_file_without_store(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = str(shared_data / "kospi-kr-rates" / "kr10y_yield.csv")
    rc, out, _ = run(capsys, "data", "check", f, "--kind", "macro", "--format", "json")
    assert rc == 0
    rows = json.loads(out)
    # README.md: kr10y_yield has a 0.0 on 2010-09-28
    assert any(r["check"] == "isolated_zero" and r["first_dates"] == "2010-09-28" for r in rows)


def test_clock(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = run(capsys, "data", "clock", "--at", "2026-11-27T12:00-05:00", "--format", "json")
    assert rc == 0
    (rec,) = json.loads(out)
    # NYSE closes at 13:00 ET the day after Thanksgiving = 03:00 KST next day
    assert rec["us_close_et"].startswith("2026-11-27 13:00")
    assert rec["us_close_kst"].startswith("2026-11-28 03:00")
    assert rec["early_close"] is True
    assert rec["minutes_to_us_close"] == 60.0


def test_missing_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "data", "status", "--db", str(tmp_path / "none.duckdb"))
    assert rc == 2
    assert err.strip().startswith("error: store")
    assert "does not exist" in err


def test_calibrate_prints_betas_with_sample_sizes(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.duckdb")
    for args in (
        [str(shared_data / "us-adjclose-1993-2026" / "QQQ.csv"), "--close-is-adjusted"],
        [str(shared_data / "kospi-kr-rates" / "kospi.csv"), "--symbol", "^KS11"],
        [str(shared_data / "fx-daily" / "DEXKOUS.csv"), "--kind", "macro"],
    ):
        assert run(capsys, "data", "import", *args, "--db", db)[0] == 0
    rc, out, err = run(capsys, "data", "calibrate", "--db", db, "--format", "json")
    assert rc == 0, err
    p = {r["param"]: r for r in json.loads(out)}
    # the same files feed src/gaemi/data/defaults/calibration.yaml (scripts/calibrate_defaults.py)
    from gaemi.data.calibration import load_default_calibration

    ref = load_default_calibration()
    for name in ("drop_response.KOSPI.NDX", "drop_response.USDKRW.NDX", "beta.KOSPI.NDX"):
        assert p[name]["n"] == ref.get(name).n
        assert p[name]["value"] == pytest.approx(ref.value(name), rel=1e-8)
    assert "none of ['SOXX', 'SMH'] is in the store" in err  # missing nodes are said
    rc, out, _ = run(capsys, "data", "status", "--db", db, "--format", "json")
    assert {r["table"]: r["rows"] for r in json.loads(out)}["calibration"] == len(p)


def test_update_offline_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there: the adapter sees a refused connection, not the internet
    monkeypatch.setenv("GAEMI_YAHOO_URL", f"http://127.0.0.1:{port}")
    f = tmp_path / "SOXL.csv"
    f.write_text("Date,Close\n2026-08-03,50\n")
    db = str(tmp_path / "u.duckdb")
    assert run(capsys, "data", "import", str(f), "--db", db)[0] == 0
    rc, out, err = run(capsys, "data", "update", "--db", db, "--timeout", "1", "--retries", "0")
    # nothing was fetched: exit 1 (docs/data.md, `gaemi data update --help`) so cron notices
    assert rc == 1
    assert out.count("\n") == 1  # still the one line per series
    assert "SOXL: offline: cannot reach 127.0.0.1" in out
    assert "stored data ends 2026-08-03" in out
    assert err == ""


def test_update_missing_store_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "none.duckdb"
    rc, out, err = run(capsys, "data", "update", "--db", str(db), "--retries", "0")
    assert rc == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "does not exist" in err
    assert "none.duckdb" in err
    assert not db.exists()  # no store file is created just to say it is empty
    assert list(tmp_path.iterdir()) == []


def test_update_empty_store_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gaemi.data.store import Store

    db = tmp_path / "empty.duckdb"
    with Store(db):
        pass
    rc, out, _ = run(capsys, "data", "update", "--db", str(db), "--retries", "0")
    assert rc == 0  # nothing failed to refresh: there is nothing to refresh
    assert "holds no series" in out


def test_update_unknown_symbol_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "SOXL.csv"
    f.write_text("Date,Close\n2026-08-03,50\n")
    db = str(tmp_path / "u.duckdb")
    assert run(capsys, "data", "import", str(f), "--db", db)[0] == 0
    rc, out, _ = run(capsys, "data", "update", "--db", db, "--symbol", "NOPE", "--retries", "0")
    assert rc == 1
    assert out.strip() == "NOPE: not in the store (import its history first)"


def test_failed_import_is_exactly_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/data.md: bad input gives one line on stderr — no `store:` line, no blank line."""
    bad = tmp_path / "X.csv"
    bad.write_text("Date,Close\n2020-01-02,1\n2020-01-03,abc\n")
    db = tmp_path / "s.duckdb"
    rc, out, err = run(capsys, "data", "import", str(bad), "--db", str(db))
    assert rc == 2
    assert out == ""
    assert err == "error: X.csv line 3: Close = 'abc' is not a number\n"
    assert not db.exists()  # validated before the store is created


def test_multi_file_import_validates_all_then_writes_all_or_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`gaemi data import A.csv B.csv C.csv`: a bad B writes nothing (not even A); a
    conflict in the last file rolls back the whole batch; the error names the file."""
    db = str(tmp_path / "s.duckdb")
    a, b, c = (tmp_path / f"{n}.csv" for n in "ABC")
    a.write_text("Date,Close\n2020-01-02,1\n")
    b.write_text("Date,Close\n2020-01-02,1\n2020-01-03,abc\n")
    c.write_text("Date,Close\n2020-01-02,1\n")
    rc, out, err = run(capsys, "data", "import", str(a), str(b), str(c), "--db", db)
    assert rc == 2
    assert out == ""
    assert err.splitlines() == [
        "error: B.csv line 3: Close = 'abc' is not a number (file 2 of 3; nothing was imported)"
    ]
    assert not Path(db).exists()
    rc, out, err = run(capsys, "data", "import", str(c), "--db", db)
    assert rc == 0, err
    assert f"store: {db}" in err
    c.write_text("Date,Close\n2020-01-02,7\n")  # now differs from the stored C
    rc, out, err = run(capsys, "data", "import", str(a), str(c), "--db", db)
    assert rc == 2
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("error: C.csv: 1 rows differ from the stored prices")
    assert line.endswith("(file 2 of 2; the 2 files are one transaction: nothing was imported)")
    rc, out, _ = run(capsys, "data", "list", "--db", db, "--format", "json")
    assert [r["symbol"] for r in json.loads(out)] == ["C"]  # A was not written
    rc, out, err = run(
        capsys, "data", "import", str(a), str(c), "--db", db, "--on-conflict", "keep"
    )
    assert rc == 0, err
    assert out.splitlines()[0].startswith("A.csv: prices A 2020-01-02..2020-01-02: 1 rows — 1 new")
    assert "1 kept" in out.splitlines()[1]


def test_funds_import_counts_snapshots_and_holdings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gaemi.data.universe import default_universe_path

    db = str(tmp_path / "s.duckdb")
    rc, out, err = run(
        capsys, "data", "import", str(default_universe_path()), "-k", "funds", "--db", db
    )
    assert rc == 0, err
    # the embedded universe.csv: one snapshot per row (counted with csv), 4 with Korean
    # holdings (TQQQ, SOXL, TSLL, TSLT)
    import csv

    with default_universe_path().open(encoding="utf-8", newline="") as fh:
        n = sum(1 for _ in csv.DictReader(fh))
    assert f": {n} fund snapshots + 4 holdings — {n + 4} new" in out


# ------------------------------------------------------------------ issue 21: no silent data
GOOD_PRICES = "Date,Close\n2024-01-02,10\n2024-01-03,11\n"


def _not_duckdb(kind: str, d: Path) -> Path:
    """An existing file that is not a DuckDB store (what `--db` was given by mistake)."""
    if kind == "csv":
        p = d / "prices.csv"
        p.write_text(GOOD_PRICES)
    elif kind == "parquet":
        import pandas as pd

        p = d / "prices.parquet"
        pd.DataFrame({"Date": ["2024-01-02"], "Close": [10.0]}).to_parquet(p)
    elif kind == "empty":
        p = d / "empty.duckdb"
        p.write_bytes(b"")
    elif kind == "text":
        p = d / "notes.duckdb"
        p.write_text("not a database at all\n")
    else:
        p = d / "folder.duckdb"
        p.mkdir()
    return p


@pytest.mark.parametrize("kind", ["csv", "parquet", "empty", "text", "folder"])
def test_db_that_is_not_a_duckdb_file_is_one_line_and_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """Audit: `--db prices.csv` reported "4124 new" and wrote nothing (DuckDB opened the
    CSV as something else). Now: exit 2, one stderr line, the file byte for byte as it was."""
    src = tmp_path / "ABC.csv"
    src.write_text(GOOD_PRICES)
    db = _not_duckdb(kind, tmp_path)
    before = db.read_bytes() if db.is_file() else None
    listing = sorted(p.name for p in tmp_path.iterdir())
    rc, out, err = run(capsys, "data", "import", str(src), "--db", str(db))
    assert rc == 2
    assert out == ""
    why = "is a folder, not a DuckDB file" if kind == "folder" else "is not a DuckDB database"
    assert (
        err
        == f"error: store {str(db)!r} {why}"
        + ("" if kind == "folder" else " (give a .duckdb file or a new path; nothing was written)")
        + "\n"
    )
    assert (db.read_bytes() if db.is_file() else None) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no .wal, no new file
    # the readers refuse it too (status opens read-only)
    rc, out, err = run(capsys, "data", "status", "--db", str(db))
    assert rc == 2
    assert out == ""
    assert err.count("\n") == 1
    assert "DuckDB" in err


BAD_PRICES = [
    ("Close", "-3", "close = -3 must be > 0 (a price)"),
    ("Close", "0", "close = 0 must be > 0 (a price)"),
    ("Close", "1e308", "close = 1e+308 is above the 1e+12 limit of a price"),
    ("Open", "-0.5", "open = -0.5 must be > 0 (a price)"),
    ("High", "0", "high = 0 must be > 0 (a price)"),
    ("Low", "1e300", "low = 1e+300 is above the 1e+12 limit of a price"),
    ("Adj Close", "-1", "adj_close = -1 must be > 0 (a price)"),
]


@pytest.mark.parametrize(("col", "value", "message"), BAD_PRICES)
def test_bad_price_is_refused_in_one_line_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], col: str, value: str, message: str
) -> None:
    header = ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]
    good = ["2024-01-02", "10", "11", "9", "10", "10", "100"]
    bad = ["2024-01-03", "10", "11", "9", "10", "10", "100"]
    bad[header.index(col)] = value
    f = tmp_path / "ABC.csv"
    f.write_text("\n".join(",".join(r) for r in (header, good, bad)) + "\n")
    db = tmp_path / "s.duckdb"
    rc, out, err = run(capsys, "data", "import", str(f), "--db", str(db))
    assert rc == 2
    assert out == ""
    assert err == f"error: ABC.csv line 3: {message}\n"
    assert not db.exists()  # the store is not even created


def test_nonpositive_prices_only_under_the_documented_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # WTI crude front-month futures settled at -37.63 USD on 2020-04-20 (NYMEX; the rare
    # legitimate negative price the flag exists for)
    f = tmp_path / "CL.csv"
    f.write_text("Date,Close\n2020-04-17,18.27\n2020-04-20,-37.63\n2020-04-21,10.01\n")
    db = tmp_path / "s.duckdb"
    rc, _, err = run(capsys, "data", "import", str(f), "--db", str(db))
    assert (rc, err) == (2, "error: CL.csv line 3: close = -37.63 must be > 0 (a price)\n")
    rc, out, err = run(
        capsys, "data", "import", str(f), "--db", str(db), "--allow-nonpositive-prices"
    )
    assert rc == 0, err
    assert "3 rows — 3 new" in out
    from gaemi.data.store import Store

    with Store(db, read_only=True) as s:
        assert s.prices("CL")["close"].tolist() == [18.27, -37.63, 10.01]
    # infinities stay refused under the flag
    g = tmp_path / "CL2.csv"
    g.write_text("Date,Close\n2020-04-22,inf\n")
    rc, _, err = run(
        capsys, "data", "import", str(g), "--db", str(db), "--allow-nonpositive-prices"
    )
    assert rc == 2
    assert err.count("\n") == 1
    assert "close = inf must be finite" in err
