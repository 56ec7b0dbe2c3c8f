"""Calibration: time alignment (closed form on synthetic data), the committed default
re-derived from ../shared/data, and the MarketState built from it."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaemi.data.calibration import (
    NodeSpec,
    calibrate,
    load_default_calibration,
    save_calibration,
)
from gaemi.data.importers import ImportOptions, import_file
from gaemi.data.state import default_market_state, market_state_from_store
from gaemi.data.store import Store
from gaemi.errors import GaemiInputError

REPO = Path(__file__).resolve().parents[2]


def _write(path: Path, dates: pd.DatetimeIndex, close: np.ndarray) -> Path:
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": close}).to_csv(path, index=False)
    return path


@pytest.fixture
def synthetic(tmp_path: Path) -> Store:
    """US driver on weekdays; a 'Korean' node moving 0.5x the US sessions it has not yet
    seen; a 'US' node moving -2x the same day. Known betas by construction."""
    rng = np.random.default_rng(5)
    us = pd.bdate_range("2020-01-01", periods=800)
    r = rng.normal(0, 0.02, us.size)
    r[::40] = -0.05  # some big drops
    drv = 100 * np.exp(np.cumsum(r))
    kr = us[::2] + pd.Timedelta(days=1)  # a slower market, closing before New York
    cum = np.concatenate([[0.0], np.cumsum(r)])
    # Korean interval [kr[i-1], kr[i]) sees US days d with kr[i-1] <= d < kr[i]
    lo = np.searchsorted(us, kr[:-1], side="left")
    hi = np.searchsorted(us, kr[1:], side="left")
    kr_ret = 0.5 * (cum[hi] - cum[lo])
    kr_close = 50 * np.exp(np.concatenate([[0.0], np.cumsum(kr_ret)]))
    us_node = 20 * np.exp(-2 * np.concatenate([[0.0], np.cumsum(r[1:])]))
    s = Store(tmp_path / "syn.duckdb")
    import_file(s, _write(tmp_path / "DRV.csv", us, drv), ImportOptions("prices"))
    import_file(s, _write(tmp_path / "KRN.csv", kr, kr_close), ImportOptions("prices"))
    import_file(s, _write(tmp_path / "USN.csv", us, us_node), ImportOptions("prices"))
    yield s
    s.close()


NODES = [
    NodeSpec("DRV", (("prices", "DRV"),), False),
    NodeSpec("KRN", (("prices", "KRN"),), True),
    NodeSpec("USN", (("prices", "USN"),), False),
]


def test_alignment_recovers_known_betas(synthetic: Store) -> None:
    cal = calibrate(synthetic, nodes=NODES, drivers=("DRV",))
    # by construction (fixture docstring): 0.5 for the node closing before New York,
    # -2 for the same-day node, correlation +-1
    assert cal.value("beta.KRN.DRV") == pytest.approx(0.5, abs=1e-9)
    assert cal.value("corr.KRN.DRV") == pytest.approx(1.0, abs=1e-9)
    assert cal.value("beta.USN.DRV") == pytest.approx(-2.0, abs=1e-9)
    # drop days counted independently from the stored driver closes
    closes = synthetic.prices("DRV")["close"].to_numpy()
    expected = int((closes[1:] / closes[:-1] - 1 < -0.03).sum())
    assert cal.get("drop_response.USN.DRV").n == expected
    assert cal.value("drop_beta.USN.DRV") == pytest.approx(
        np.mean(np.expm1(-2 * np.log(closes[1:] / closes[:-1]))[closes[1:] / closes[:-1] < 0.97])
        / np.mean((closes[1:] / closes[:-1] - 1)[closes[1:] / closes[:-1] < 0.97])
    )


def test_misaligned_lag_is_detected(synthetic: Store) -> None:
    """Pairing the Korean node with the same-day session (wrong lag) loses the relation."""
    wrong = [NODES[0], NodeSpec("KRN", (("prices", "KRN"),), False)]
    cal = calibrate(synthetic, nodes=wrong, drivers=("DRV",))
    assert abs(cal.value("corr.KRN.DRV")) < 0.9


def test_no_driver_is_an_error(tmp_path: Path) -> None:
    with Store(tmp_path / "e.duckdb") as s, pytest.raises(GaemiInputError, match="no driver"):
        calibrate(s)


def test_committed_default_is_derived_from_shared_data(shared_data: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "calibrate_defaults", REPO / "scripts" / "calibrate_defaults.py"
    )
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = mod.derive(shared_data)
    committed = (REPO / "src" / "gaemi" / "data" / "defaults" / "calibration.yaml").read_text()
    assert text == committed, "run scripts/calibrate_defaults.py"


def test_default_calibration_values() -> None:
    cal = load_default_calibration()
    # SANITY.md-style checks on ../shared/data: SOXX moves more than QQQ (beta > 1), the
    # won weakens (USD/KRW up) and KOSPI falls after NDX's big down days
    assert cal.value("beta.SOX.NDX") > 1.0
    assert cal.value("drop_response.USDKRW.NDX") > 0
    assert cal.value("drop_response.KOSPI.NDX") < 0
    assert cal.get("drop_response.KOSPI.NDX").n > 100
    assert 2 < cal.value("tail_df.NDX") < 10  # fat tails, finite variance


def _n_universe_rows() -> int:
    """Data rows of the embedded universe.csv, counted with csv (scripts/build_universe.py
    writes every fund of the 2026-06-01 snapshot with a known daily leverage)."""
    import csv

    from gaemi.data.universe import default_universe_path

    with default_universe_path().open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def test_market_state_default_and_from_store(synthetic: Store) -> None:
    st = default_market_state(dt.datetime(2026, 8, 4, tzinfo=dt.UTC))
    assert len(st.universe) == _n_universe_rows()
    assert st.calibration.value("beta.SOX.NDX") > 1
    assert not st.staleness().empty
    with pytest.raises(GaemiInputError, match="no fund snapshots"):
        market_state_from_store(synthetic)
    from gaemi.data.universe import default_universe_path

    import_file(synthetic, default_universe_path(), ImportOptions("funds"))
    with pytest.raises(GaemiInputError, match="no calibration"):
        market_state_from_store(synthetic)
    save_calibration(synthetic, calibrate(synthetic, nodes=NODES, drivers=("DRV",)))
    st = market_state_from_store(synthetic, dt.datetime(2026, 8, 4, tzinfo=dt.UTC))
    assert st.calibration.value("beta.KRN.DRV") == pytest.approx(0.5, abs=1e-9)
    assert st.market.has("close.DRV")
    assert len(st.universe) == _n_universe_rows()
    with pytest.raises(GaemiInputError, match="no time zone"):
        default_market_state(dt.datetime(2026, 8, 4))
