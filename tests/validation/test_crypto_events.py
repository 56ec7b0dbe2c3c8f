"""The crypto cascade across events: leave-one-event-out on FACTS.md (i) (issue 18.3).

Judging data: the reported all-coin 24 h liquidation totals and long shares of FACTS.md
section (i) (``src/gaemi/data/defaults/crypto_events.yaml``). They are used in a
leave-one-event-out sense only. The model (``model="density"``): a liquidation law (daily
long / short liquidations over the open interest before, as a function of the day's fall,
rise and the 30-day run-up / drawdown before it: the crowding of each side) fitted on the
measured Coinalyze BTC-perp days 2022-2024 with every FACTS.md event day (±1) left out; the
scale from that law to the reported all-coin total and the long-share offset are fitted on
the OTHER events (median or time-weighted mean, chosen by an inner leave-one-out), and the
held-out event is predicted from its own dated open interest (FACTS.md (i).4 or Coinalyze)
and its observed price range (Binance daily candles). The held-out figure never enters its
own fit.

Issue 18's target: on each held-out event, the total within x1.5 of the reported figure and
the long share within 10 points. MEASURED (2026-12-06, this code): totals within x1.5 on 7 of
11 events, long share within 10 points on 4 of 8 (no regime split: the earlier ladder model
reached 7/11 and 5/8 only with a leverage-regime split chosen after seeing the data, 2/11 and
3/8 without). The target is NOT met; the assertions below pin what was measured so that a
regression fails, and the failing events are named.
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
    # Measured: 7/11 totals within x1.5, 4/8 long shares within 10 pp (issue target: all).
    assert int(ok_total.sum()) >= 7
    assert int(ok_share.sum()) >= 4
    # The misses measured (not hidden): totals 2021-04-18 x0.15, 2024-08-05 x2.91,
    # 2024-12-05 x1.69, 2025-10-10 x0.24: every total within [x0.14, x3] of the report.
    assert ratio.min() > 0.14
    assert ratio.max() < 3.0
    # long shares: 2021-04-18 -10.3, 2022-06-13 +18.3, 2022-11-08 +18.2, 2024-12-05 -13.2
    assert np.abs(err).max() < 19.0


def test_the_law_is_fitted_on_measured_days_only(table: Any) -> None:
    # the liquidation law comes from Coinalyze days with every event day left out, the
    # same for every fold; the scale differs by fold (fitted on the other events)
    assert table["law_fitted_on"].nunique() == 1
    assert "left out" in table["law_fitted_on"].iloc[0]
    assert table["fit_scale"].nunique() > 1


def test_old_failure_modes_are_gone(table: Any) -> None:
    # Issue 18: shocked to the real lows every event liquidated $17-21B, 100 % longs.
    # Now the totals follow the dated positioning and the move (measured: x7.8 between the
    # smallest and the largest) and no event is all longs.
    model = table["model_total_usd"].to_numpy()
    assert model.max() / model.min() > 5
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
