"""The DuckDB store: schema and migrations, idempotent merges, atomic imports.

The kill test runs a real subprocess that imports a large file and is killed with SIGKILL
at random points; afterwards the store must be exactly as before or fully updated.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaemi.data.importers import ImportOptions, import_file
from gaemi.data.store import ENV_DB, MIGRATIONS, SCHEMA_VERSION, Store, resolve_db_path
from gaemi.errors import GaemiInputError


def write_prices(path: Path, symbols: list[str], days: int, seed: int = 0) -> Path:
    """A long-format prices CSV (Symbol column) with positive random-walk closes."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("1990-01-01", periods=days).strftime("%Y-%m-%d")
    frames = []
    for s in symbols:
        close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, days)))
        frames.append(
            pd.DataFrame(
                {
                    "Symbol": s,
                    "Date": dates,
                    "Open": close,
                    "High": close * 1.01,
                    "Low": close * 0.99,
                    "Close": close,
                    "Adj Close": close,
                    "Volume": rng.integers(1, 10**6, days),
                }
            )
        )
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_db_path_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_DB, str(tmp_path / "env.duckdb"))
    assert resolve_db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"
    assert resolve_db_path(None) == tmp_path / "env.duckdb"
    monkeypatch.delenv(ENV_DB)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert resolve_db_path(None) == tmp_path / "xdg" / "gaemi" / "gaemi.duckdb"


def test_schema_version_and_migration_from_v1(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(MIGRATIONS[0])  # a store written by schema version 1
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.close()
    with Store(db) as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert s.fetch_df("SELECT * FROM calibration").empty  # table added by v2
    with Store(db, read_only=True) as s:
        assert s.schema_version() == SCHEMA_VERSION


def test_migration_from_v2_keeps_each_rows_source(tmp_path: Path) -> None:
    """v3 moves prices' source/retrieved_at to a provenance table; ``prices`` stays a
    queryable view with the same rows, each with its own source and retrieval time."""
    import duckdb

    db = tmp_path / "v2.duckdb"
    con = duckdb.connect(str(db))
    con.execute(MIGRATIONS[0] + MIGRATIONS[1])  # a store written by schema version 2
    con.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    con.execute(
        "INSERT INTO prices VALUES "
        "('AAA', '2020-01-02', 1, 2, 0.5, 1.5, 1.5, 100, 'file:a/A.csv', '2026-01-01 10:00Z'),"
        "('AAA', '2020-01-03', 1, 2, 0.5, 1.6, NULL, NULL, 'yahoo:chart', '2026-02-01 10:00Z'),"
        "('BBB', '2020-01-02', NULL, NULL, NULL, 7, 7, 0, 'file:a/A.csv', '2026-01-01 10:00Z'),"
        "('BBB', '2020-01-03', NULL, NULL, NULL, 8, 8, 0, 'file:a/A.csv', '2026-03-01 10:00Z')"
    )
    query = (
        "SELECT symbol, date, open, high, low, close, adj_close, volume, source, "
        "epoch_us(retrieved_at) FROM prices ORDER BY symbol, date"
    )
    rows_v2 = con.execute(query).fetchall()
    con.close()
    with Store(db) as s:
        assert s.schema_version() == SCHEMA_VERSION
        assert s.con.execute(query).fetchall() == rows_v2
        # three distinct (source, retrieved_at) pairs, each stored once
        assert s.con.execute("SELECT count(*) FROM provenance").fetchall() == [(3,)]
        assert s.prices("AAA")["source"].tolist() == ["file:a/A.csv", "yahoo:chart"]


def test_migration_from_v3_names_the_digest_algorithm(tmp_path: Path) -> None:
    """v4 renames imports.sha256 to digest; old SHA-256 values get their algorithm prefix
    and new imports record BLAKE3 (``blake3:`` + 64 hex digits, the BLAKE3 default)."""
    import duckdb

    db = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(db))
    con.execute(MIGRATIONS[0] + MIGRATIONS[1] + MIGRATIONS[2])  # schema version 3
    con.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    old = "ab" * 32
    con.execute(
        "INSERT INTO imports VALUES ('i1', now(), 'prices', 'a.csv', ?, 1, 1, 0, 0, 0, "
        "'file:x/a.csv', '[]')",
        [old],
    )
    con.close()
    f = write_prices(tmp_path / "p.csv", ["AAA"], 5)
    with Store(db) as s:
        assert s.schema_version() == SCHEMA_VERSION
        import_file(s, f, ImportOptions(kind="prices"))
        got = dict(s.con.execute("SELECT import_id, digest FROM imports").fetchall())
    assert got.pop("i1") == f"sha256:{old}"
    (new,) = got.values()
    from blake3 import blake3

    assert new == "blake3:" + blake3(f.read_bytes()).hexdigest()  # independent one-shot


def test_migration_from_v4_adds_the_new_kinds_and_keeps_rows(tmp_path: Path) -> None:
    """v5 adds fund_nav, universe_snapshots and derivatives, v6 ksd_holdings and ksd_flows;
    the v4 rows stay as they were and a migrated store takes the new kinds like a new one."""
    import duckdb

    db = tmp_path / "v4.duckdb"
    con = duckdb.connect(str(db))
    con.execute("".join(MIGRATIONS[v] for v in range(4)))  # a store at schema version 4
    con.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    con.execute(
        "INSERT INTO macro VALUES ('DEXKOUS', '2026-03-27', 1509.86, 'KRW per USD', "
        "'file:fx-daily/DEXKOUS.csv', '2026-04-01 10:00Z')"
    )
    con.close()
    nav = tmp_path / "TQQQ.csv"
    # the first data line of ../shared/data/us-letf-nav-proshares/TQQQ.csv
    nav.write_text(
        "date,nav,prior_nav,shares_outstanding_thousands,aum_usd\n"
        "2026-10-01,78.6484,77.9601,485800,38207392720\n"
    )
    with Store(db) as s:
        assert s.schema_version() == SCHEMA_VERSION == 6
        assert s.macro_series("DEXKOUS")["value"].tolist() == [1509.86]
        for t in ("fund_nav", "universe_snapshots", "derivatives", "ksd_holdings", "ksd_flows"):
            assert s.fetch_df(f"SELECT * FROM {t}").empty
        r = import_file(s, nav, ImportOptions(kind="fund_nav"))
        assert r.inserted == 1
        assert s.fund_nav("TQQQ")["shares_outstanding"].tolist() == [485_800_000.0]
        assert set(s.status()["table"]) >= {"fund_nav", "universe_snapshots", "derivatives"}


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    with Store(db) as s:
        s.con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(GaemiInputError, match="newer than this gaemi"):
        Store(db)


def test_read_only_missing_store(tmp_path: Path) -> None:
    with pytest.raises(GaemiInputError, match="does not exist"):
        Store(tmp_path / "none.duckdb", read_only=True)


def test_import_twice_changes_nothing(tmp_path: Path) -> None:
    f = write_prices(tmp_path / "p.csv", ["AAA", "BBB"], 300)
    with Store(tmp_path / "s.duckdb") as s:
        r1 = import_file(s, f, ImportOptions(kind="prices"))
        before = s.checksum()
        r2 = import_file(s, f, ImportOptions(kind="prices"))
        assert s.checksum() == before
    assert (r1.inserted, r1.unchanged) == (600, 0)
    assert (r2.inserted, r2.unchanged, r2.replaced) == (0, 600, 0)


def test_conflict_rules(tmp_path: Path) -> None:
    f1 = write_prices(tmp_path / "a.csv", ["AAA"], 50, seed=1)
    f2 = write_prices(tmp_path / "b.csv", ["AAA"], 60, seed=2)  # same dates, other values
    with Store(tmp_path / "s.duckdb") as s:
        import_file(s, f1, ImportOptions(kind="prices"))
        before = s.checksum()
        with pytest.raises(GaemiInputError, match="50 rows differ") as exc:
            import_file(s, f2, ImportOptions(kind="prices"))
        assert "\n" not in str(exc.value)
        assert s.checksum() == before  # nothing written, not even the 10 new dates
        kept = import_file(s, f2, ImportOptions(kind="prices", on_conflict="keep"))
        assert (kept.inserted, kept.kept) == (10, 50)
        old_close = s.prices("AAA")["close"].to_numpy()[:50]
        rep = import_file(s, f2, ImportOptions(kind="prices", on_conflict="replace"))
        assert (rep.inserted, rep.replaced, rep.unchanged) == (0, 50, 10)
        new = s.prices("AAA")
        assert len(new) == 60
        assert not np.allclose(new["close"].to_numpy()[:50], old_close)
        expected = pd.read_csv(f2)["Close"].to_numpy()
        np.testing.assert_allclose(new["close"].to_numpy(), expected)


def test_replace_gives_replaced_rows_the_new_source(tmp_path: Path) -> None:
    f1 = write_prices(tmp_path / "a.csv", ["AAA"], 50, seed=1)
    f2 = write_prices(tmp_path / "b.csv", ["AAA"], 20, seed=2)  # first 20 dates differ
    with Store(tmp_path / "s.duckdb") as s:
        import_file(s, f1, ImportOptions(kind="prices"))
        rep = import_file(s, f2, ImportOptions(kind="prices", on_conflict="replace"))
        assert (rep.replaced, rep.inserted) == (20, 0)
        src = s.prices("AAA")["source"].tolist()
        assert src == [f"file:{tmp_path.name}/b.csv"] * 20 + [f"file:{tmp_path.name}/a.csv"] * 30
        # replacing every row of a.csv leaves no provenance row behind that nothing uses
        import_file(s, f1, ImportOptions(kind="prices", on_conflict="replace"))
        import_file(s, f2, ImportOptions(kind="prices", on_conflict="replace"))
        f3 = write_prices(tmp_path / "c.csv", ["AAA"], 50, seed=3)
        import_file(s, f3, ImportOptions(kind="prices", on_conflict="replace"))
        assert set(s.prices("AAA")["source"]) == {f"file:{tmp_path.name}/c.csv"}
        assert s.con.execute("SELECT count(*) FROM provenance").fetchall() == [(1,)]


def test_merge_rows_with_their_own_sources(tmp_path: Path) -> None:
    """A table whose rows carry their own source and retrieval time (live fetches)."""
    from datetime import UTC, datetime

    import pyarrow as pa

    t1 = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
    t2 = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)
    data = pa.table(
        {
            "symbol": ["AAA", "AAA", "BBB"],
            "date": pa.array([date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 20)]),
            "open": [1.0, 2.0, 3.0],
            "high": [1.0, 2.0, 3.0],
            "low": [1.0, 2.0, 3.0],
            "close": [1.0, 2.0, 3.0],
            "adj_close": [None, None, None],
            "volume": [10.0, 20.0, 30.0],
            "source": ["yahoo:chart", "yahoo:chart", "upbit:candles"],
            "retrieved_at": pa.array([t1, t2, t2], pa.timestamp("us", tz="UTC")),
        }
    )
    with Store(tmp_path / "s.duckdb") as s:
        with s.transaction():
            r = s.merge("prices", data)
        assert r.inserted == 3
        got = s.con.execute(
            "SELECT symbol, source, epoch_us(retrieved_at) FROM prices ORDER BY symbol, date"
        ).fetchall()
        us1, us2 = (int(t.timestamp() * 1e6) for t in (t1, t2))
        assert got == [
            ("AAA", "yahoo:chart", us1),
            ("AAA", "yahoo:chart", us2),
            ("BBB", "upbit:candles", us2),
        ]
        before = s.checksum()
        with s.transaction():
            again = s.merge("prices", data)
        assert (again.inserted, again.unchanged) == (0, 3)
        assert s.checksum() == before
        assert s.con.execute("SELECT count(*) FROM provenance").fetchall() == [(3,)]


def test_failed_import_rolls_back(tmp_path: Path) -> None:
    good = write_prices(tmp_path / "g.csv", ["AAA"], 20)
    with Store(tmp_path / "s.duckdb") as s:
        import_file(s, good, ImportOptions(kind="prices"))
        before = s.checksum()

        def fail() -> None:
            with s.transaction() as con:
                con.execute("DELETE FROM price_rows")
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            fail()
        assert s.checksum() == before


def test_record_run(tmp_path: Path) -> None:
    with Store(tmp_path / "s.duckdb") as s:
        rid = s.record_run("flows", inputs={"move_frac": -0.05}, results={"flow_usd": 1.0}, seed=7)
        df = s.fetch_df(
            "SELECT engine, seed, inputs::VARCHAR AS i FROM runs WHERE run_id = ?", [rid]
        )
    assert df.loc[0, "engine"] == "flows"
    assert df.loc[0, "seed"] == 7
    assert '"move_frac": -0.05' in df.loc[0, "i"]


CHILD = """
import sys, time
from gaemi.data.store import Store
from gaemi.data.importers import ImportOptions, import_file

def progress(done, total):
    if done == 1:
        print("WRITING", flush=True)

with Store(sys.argv[1]) as s:
    import_file(s, sys.argv[2], ImportOptions(kind="prices"), progress=progress)
print("COMMITTED", flush=True)
time.sleep(60)  # stay alive: a kill after the commit is a real kill too
"""

#: Kills of the kill test (issue 21: at least 20, both outcomes observed).
KILLS = 24


def _content(db: Path) -> str:
    """SHA-256 of the stored values (prices in key order, the import log's files and row
    counts), without the retrieval times that differ from one run to the next."""
    import hashlib

    with Store(db, read_only=True) as s:
        prices = s.fetch_df(
            "SELECT symbol, date, open, high, low, close, adj_close, volume, source "
            "FROM prices ORDER BY symbol, date"
        )
        imports = s.fetch_df("SELECT * FROM imports")
    # every column but the run's own id and time
    keep = [c for c in imports.columns if c not in ("import_id", "imported_at")]
    log = imports[keep].sort_values(keep).to_csv(index=False)
    return hashlib.sha256((prices.to_csv(index=False) + log).encode()).hexdigest()


@pytest.mark.slow
def test_kill_during_import_leaves_store_whole(tmp_path: Path) -> None:
    """24 SIGKILLs of a real import process at spread-out moments of its write: every
    store afterwards holds exactly the values of before (SHA-256 of its contents) or
    exactly those of the complete import, and both outcomes occur (so kills landed
    before and after the commit, and a kill mid-write is really tested)."""
    base_file = write_prices(tmp_path / "base.csv", ["BASE"], 500)
    big = write_prices(tmp_path / "big.csv", [f"S{i:02d}" for i in range(30)], 4000, seed=3)
    base_db = tmp_path / "base.duckdb"
    with Store(base_db) as s:
        import_file(s, base_file, ImportOptions(kind="prices"))
        before = s.checksum()
    full_db = tmp_path / "full.duckdb"
    shutil.copy(base_db, full_db)
    t0 = time.perf_counter()
    with Store(full_db) as s:
        import_file(s, big, ImportOptions(kind="prices"))
        after = s.checksum()
    write_s = time.perf_counter() - t0
    assert after["prices"][0] == before["prices"][0] + 120_000
    content_before, content_after = _content(base_db), _content(full_db)
    assert content_before != content_after
    # kill moments spread from the start of the write to well past its end, shuffled
    rng = np.random.default_rng(20261122)
    delays = rng.permutation(np.linspace(0.0, 1.2 * write_s, KILLS))
    outcomes = {"unchanged": 0, "complete": 0}
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    for i, delay in enumerate(delays):
        db = tmp_path / f"k{i}.duckdb"
        shutil.copy(base_db, db)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db), str(big)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        assert child.stdout is not None
        line = child.stdout.readline()  # blocks until the write phase starts
        assert line.strip() == "WRITING"
        time.sleep(float(delay))
        assert child.poll() is None  # alive: this is a kill, not a normal exit
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        got = _content(db)
        if got == content_before:
            outcomes["unchanged"] += 1
        else:
            assert got == content_after, f"partial import in run {i} (killed at {delay:.2f} s)"
            outcomes["complete"] += 1
        db.unlink()
    assert sum(outcomes.values()) == KILLS
    assert outcomes["unchanged"] >= 1, outcomes
    assert outcomes["complete"] >= 1, outcomes
    print(f"kill test outcomes: {outcomes}, write phase {write_s:.2f} s")


def test_list_series_of_the_new_kinds(tmp_path: Path) -> None:
    """`gaemi data list --kind fund_nav|universe|derivatives|ksd` lists what was imported."""
    nav = tmp_path / "TQQQ.csv"
    # the first two data lines of ../shared/data/us-letf-nav-proshares/TQQQ.csv
    nav.write_text(
        "date,nav,prior_nav,shares_outstanding_thousands,aum_usd\n"
        "2026-10-01,78.6484,77.9601,485800,38207392720\n"
        "2026-09-30,77.9601,77.4405,483950,37728790395\n"
    )
    with Store(tmp_path / "s.duckdb") as s:
        import_file(s, nav, ImportOptions(kind="fund_nav"))
        df = s.list_series("fund_nav")
        assert df[["ticker", "rows", "first_date", "last_date"]].values.tolist() == [
            ["TQQQ", 2, "2026-09-30", "2026-10-01"]
        ]
        for kind in ("universe", "derivatives", "ksd", "ksd_flows"):
            assert s.list_series(kind).empty
        with pytest.raises(GaemiInputError, match="must be prices, funds"):
            s.list_series("bogus")


LOCK_PROBE = """
import sys, duckdb
try:
    duckdb.connect(sys.argv[1]).close()
    print("OPENED")
except duckdb.Error as exc:
    print("REFUSED" if "lock" in str(exc).lower() else f"ERROR {exc}")
"""


def _other_process_opens(db: Path) -> str:
    """Whether another process can open ``db`` for writing now (OPENED / REFUSED)."""
    out = subprocess.run(
        [sys.executable, "-c", LOCK_PROBE, str(db)], capture_output=True, text=True, timeout=60
    )
    return out.stdout.strip()


def test_opening_the_store_again_in_one_process_keeps_its_lock(tmp_path: Path) -> None:
    """DuckDB's lock on the file is a POSIX fcntl lock, which the OS drops when the
    process closes ANY descriptor of the file. Store() used to read the file's header
    (check_store_file) before connecting: a second Store on a file the process already
    held unlocked it, and another process could write beside this one (both then
    checkpoint, the last overwrites the other's commits). Without the fix the probe after
    the nested opens prints OPENED."""
    from gaemi.data.store import check_store_file

    db = tmp_path / "s.duckdb"
    with Store(db) as s:
        assert _other_process_opens(db) == "REFUSED"
        check_store_file(db)  # the header check of any later open
        with pytest.raises(GaemiInputError, match="cannot open"):
            Store(db, read_only=True)  # DuckDB refuses a second mode in one process
        with Store(db) as again:  # the same mode shares DuckDB's instance
            assert again.schema_version() == SCHEMA_VERSION
        assert _other_process_opens(db) == "REFUSED"
        s.record_run("flows", inputs={}, results={})
    assert _other_process_opens(db) == "OPENED"  # released on close
    check_store_file(db)  # a closed store is read again (its header is checked)


def test_a_writer_checkpoints_and_verifies_on_close(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    f = write_prices(tmp_path / "p.csv", ["AAA"], 30)
    with Store(db) as s:
        r = import_file(s, f, ImportOptions(kind="prices"))
        assert len(s._logs) == 1  # what close() checks: the log row, 30 rows under id 1
        assert s._rows == [("price_rows", 1, 30, s._rows[0][3])]
    assert r.inserted == 30
    assert not Path(f"{db}.wal").exists()  # checkpointed before the lock was released
    with Store(db, read_only=True) as s:
        assert s.con.execute("SELECT count(*) FROM prices").fetchall() == [(30,)]


def test_a_rolled_back_write_is_not_verified(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    good = write_prices(tmp_path / "g.csv", ["AAA"], 20)
    bad = write_prices(tmp_path / "b.csv", ["AAA"], 20, seed=5)  # conflicting values
    with Store(db) as s:
        import_file(s, good, ImportOptions(kind="prices"))
        n_logs, n_rows = len(s._logs), len(s._rows)
        with pytest.raises(GaemiInputError, match="rows differ"):
            import_file(s, bad, ImportOptions(kind="prices"))
        assert (len(s._logs), len(s._rows)) == (n_logs, n_rows) == (1, 1)


def test_a_commit_lost_after_close_is_one_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulate the loss seen once in CI (issue 21): the import commits, the store closes,
    and the file then no longer holds it (here: the file as it was before the import is
    put back, as another writer's checkpoint would). close() must say so in one line
    instead of letting the caller report the import as done."""
    db = tmp_path / "s.duckdb"
    with Store(db):
        pass
    before = db.read_bytes()
    f = write_prices(tmp_path / "p.csv", ["AAA"], 10)
    release = Store._release

    def release_then_lose(self: Store) -> None:
        release(self)
        if not self.read_only:
            db.write_bytes(before)

    monkeypatch.setattr(Store, "_release", release_then_lose)
    s = Store(db)
    r = import_file(s, f, ImportOptions(kind="prices"))
    assert r.inserted == 10  # what the import reports before close
    with pytest.raises(GaemiInputError) as err:
        s.close()
    assert str(err.value) == (
        f"store {str(db)!r}: a committed write is not in the file after close (1 of 1 "
        "logged imports missing); another process may have written the store at the same "
        "time — import again"
    )
    monkeypatch.undo()
    # rows alone lost (the log row kept): named by table and count
    with Store(db) as s:
        import_file(s, f, ImportOptions(kind="prices"))
    g = write_prices(tmp_path / "q.csv", ["BBB"], 10)

    def release_then_drop_rows(self: Store) -> None:
        release(self)
        if not self.read_only:
            import duckdb

            con = duckdb.connect(str(db))
            con.execute("DELETE FROM price_rows WHERE symbol = 'BBB'")
            con.close()

    monkeypatch.setattr(Store, "_release", release_then_drop_rows)
    s = Store(db)
    import_file(s, g, ImportOptions(kind="prices"))
    with pytest.raises(GaemiInputError, match=r"after close \(price_rows 0 of 10 rows\)"):
        s.close()


def test_rows_replaced_by_a_later_import_are_not_a_loss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between a writer's close and its check another process may legitimately replace
    some of its rows (--on-conflict replace): fewer rows under its provenance id then,
    but a later import that replaced rows is logged, so this is not reported."""
    db = tmp_path / "s.duckdb"
    f1 = write_prices(tmp_path / "a.csv", ["AAA"], 20, seed=1)
    f2 = write_prices(tmp_path / "b.csv", ["AAA"], 5, seed=2)  # 5 dates, other values
    release = Store._release
    done: list[int] = []

    def release_then_replace(self: Store) -> None:
        release(self)
        if not self.read_only and not done:
            done.append(1)
            with Store(db) as other:
                r = import_file(other, f2, ImportOptions(kind="prices", on_conflict="replace"))
                assert r.replaced == 5

    monkeypatch.setattr(Store, "_release", release_then_replace)
    with Store(db) as s:
        import_file(s, f1, ImportOptions(kind="prices"))
    assert done == [1]
    with Store(db, read_only=True) as s:
        assert s.con.execute("SELECT count(*) FROM prices").fetchall() == [(20,)]
