"""gaemi.app.state.load_state: one market state from the default, a store or a folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from gaemi.app.state import FOLDER_FILES, load_state, market_known_on
from gaemi.errors import GaemiInputError

DAY = "2025-04-04"


@pytest.fixture(scope="module")
def store(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four files the state reads, imported with the ordinary importer."""
    from gaemi.data.importers import ImportOptions, import_file, iter_importable
    from gaemi.data.store import Store

    db = tmp_path_factory.mktemp("state") / "s.duckdb"
    wanted = {shared_data / rel for rel in FOLDER_FILES}
    with Store(db) as st:
        for f, kind, opts in iter_importable(shared_data):
            if f in wanted:
                import_file(st, f, ImportOptions(kind=kind, **opts))
    return db


def test_folder_and_store_give_the_same_market(store: Path, shared_data: Path) -> None:
    a = load_state(db=store, as_of=DAY)
    b = load_state(data_dir=shared_data, as_of=DAY)
    assert set(a.market.series) == set(b.market.series)
    for name in a.market.series:
        assert a.market.latest(name).value == b.market.latest(name).value, name
        assert a.market.latest(name).as_of == b.market.latest(name).as_of, name
    assert b.sources["market"] == f"folder {shared_data.name}"


def test_usdkrw_is_the_fred_value_of_the_day(store: Path, shared_data: Path) -> None:
    """Reference: FRED DEXKOUS in ../shared/data, last value on or before the day."""
    fred = pd.read_csv(shared_data / "fx-daily" / "DEXKOUS.csv", na_values=".").dropna()
    fred = fred[fred.iloc[:, 0] <= DAY]
    o = load_state(db=store, as_of=DAY).market.latest("usdkrw_level")
    assert o.value == pytest.approx(float(fred.iloc[-1, 1]))
    assert o.as_of.isoformat() == fred.iloc[-1, 0]


def test_nothing_after_the_day(store: Path) -> None:
    s = load_state(db=store, as_of=DAY)
    day = dt.date.fromisoformat(DAY)
    assert s.day == day
    assert all(p.as_of <= day for pts in s.market.series.values() for p in pts)
    # the store has no fund snapshots: the embedded universe, said out loud
    assert any("no fund snapshots" in w and "not known that day" in w for w in s.warnings)


def test_embedded_default_past_day_hides_later_points() -> None:
    today = load_state()
    past = load_state(as_of="2026-06-30")
    assert past.later  # the embedded snapshot has points after 2026-06-30
    assert all(p.as_of <= past.day for pts in past.market.series.values() for p in pts)
    assert len(today.market.series) >= len(past.market.series)
    known, later = market_known_on(today.market, past.day)
    assert set(known.series) == set(past.market.series)
    assert later == dict(past.later)


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"db": "/nonexistent/x.duckdb"}, "does not exist"),
        ({"as_of": "2025-13-01"}, "date = '2025-13-01' is not a YYYY-MM-DD date"),
        ({"as_of": ""}, "is not a YYYY-MM-DD date"),
        ({"as_of": "1990-01-02"}, "before every observation"),
        ({"data_dir": "/nonexistent"}, "is not a folder"),
    ],
)
def test_bad_input_is_one_line(kwargs: dict[str, str], msg: str) -> None:
    with pytest.raises(GaemiInputError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        load_state(**kwargs)  # type: ignore[arg-type]


def test_db_and_data_dir_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(GaemiInputError, match="give --db or --data-dir, not both"):
        load_state(db=tmp_path / "a.duckdb", data_dir=tmp_path)
