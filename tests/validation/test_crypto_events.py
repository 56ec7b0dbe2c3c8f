"""The crypto cascade across events: leave-one-event-out on FACTS.md (i) (issue 18.3).

Judging data: the reported all-coin 24 h liquidation totals and long shares of FACTS.md
section (i) (``src/gaemi/data/defaults/crypto_events.yaml``). They are used in a
leave-one-event-out sense only: for each event the leveraged fraction of open interest
(per leverage regime), the crash-short ratio and the mean position age are fitted on the
OTHER events, and the held-out event is predicted from its own dated positioning (open
interest from FACTS.md (i).4 or the Coinalyze file) and its observed price path (Binance
daily candles in ../shared/data). The held-out figure never enters its own fit.

Issue 18's target: on each held-out event, the total within x1.5 of the reported figure and
the long share within 10 points. MEASURED (2026-12, this code): totals within x1.5 on 7 of
11 events, long share within 10 points on 5 of 8. The target is NOT met; the assertions
below pin what was measured so that a regression fails, and the failing events are named.
Results land in test-artifacts/crypto_leave_one_out.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gaemi.data.crypto import (
    LOO_LONG_SHARE_PP,
    LOO_TOTAL_FACTOR,
    crypto_leave_one_out,
    load_crypto_events,
)


@pytest.fixture(scope="module")
def table(shared_data: Path) -> Any:
    return crypto_leave_one_out(shared_data, implied_shock=True)


def test_every_event_is_held_out_and_not_fitted_on(table: Any) -> None:
    events = load_crypto_events()
    assert list(table["event"]) == [e.id for e in events.events]
    assert len(table) >= 5  # issue 18: at least five events of FACTS.md (i)
    for _, row in table.iterrows():
        fitted_on = row["fitted_on"].split(",")
        assert row["event"] not in fitted_on
        assert len(fitted_on) == len(table) - 1


def test_reported_figures_are_facts_md(table: Any) -> None:
    rep = dict(zip(table["event"], table["reported_total_usd"], strict=True))
    # FACTS.md (f): ~$19.1-19.3B on 2025-10-10; (i).1: $1.06-1.08B on 2024-08-05,
    # ~$10B on 2021-04-18
    assert 19.1e9 <= rep["2025-10-10"] <= 19.3e9
    assert 1.06e9 <= rep["2024-08-05"] <= 1.08e9
    assert rep["2021-04-18"] == pytest.approx(10e9)


def test_leave_one_out_measured(table: Any, artifacts_dir: Path) -> None:
    ratio = table["total_ratio"].to_numpy()
    ok_total = (ratio >= 1 / LOO_TOTAL_FACTOR) & (ratio <= LOO_TOTAL_FACTOR)
    shares = table.dropna(subset=["reported_long_share"])
    err = shares["long_share_error_pp"].to_numpy(dtype=float)
    ok_share = np.abs(err) <= LOO_LONG_SHARE_PP
    (artifacts_dir / "crypto_leave_one_out.json").write_text(
        json.dumps(
            json.loads(table.to_json(orient="records")),
            indent=1,
        )
    )
    # Measured: 7/11 totals within x1.5, 5/8 long shares within 10 pp (issue target: all).
    assert int(ok_total.sum()) >= 7
    assert int(ok_share.sum()) >= 5
    # The misses measured (not hidden): totals 2020-03-12 x0.53, 2021-05-19 x1.74,
    # 2024-08-05 x3.34, 2025-10-10 x0.27: every held-out total within [x0.2, x4] of the report.
    assert ratio.min() > 0.2
    assert ratio.max() < 4.0
    # long shares: 2021-04-18 -13.9, 2022-06-13 +33.0, 2022-11-08 +17.8 points
    assert np.abs(err).max() < 35.0


def test_old_failure_modes_are_gone(table: Any) -> None:
    # Issue 18: shocked to the real lows every event liquidated $17-21B, 100 % longs.
    # Now the totals follow the dated positioning (x70 between the smallest and largest)
    # and no event is all longs.
    model = table["model_total_usd"].to_numpy()
    assert model.max() / model.min() > 10
    assert (table["model_long_share"] < 0.99).all()


def test_the_shock_is_not_the_realised_move(table: Any) -> None:
    # The exogenous shock that reproduces each observed BTC low is never deeper than the
    # low (the cascade only adds to it); where the inversion is exact it is strictly
    # smaller in size on every event with liquidations.
    shock = table["implied_btc_shock_frac"].to_numpy()
    low = table["btc_low_move_frac"].to_numpy()
    assert (shock >= low - 1e-9).all()
    exact = table["implied_shock_exact"].to_numpy(dtype=bool)
    assert (shock[exact] > low[exact]).all()
