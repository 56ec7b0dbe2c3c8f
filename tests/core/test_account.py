"""The replay kernel on hand-made price paths with closed-form answers."""

from __future__ import annotations

import numpy as np
import pytest

from gaemi.core.account import Strategy, replay_account
from gaemi.core.investor import MarginRules
from gaemi.errors import GaemiInputError

RULES = MarginRules(maintenance_ratio=1.4, grace_days=2, loan_rate_annual=0.0)


def _col(*px: float) -> np.ndarray:
    return np.array(px, dtype=np.float64)[:, None]


def test_buy_and_hold_no_loan_is_price_times_fx() -> None:
    close = _col(10, 11, 9, 12)
    fx = np.array([1000.0, 1100.0, 1200.0, 900.0])
    rep = replay_account(close, fx, np.array([1.0]), 1e6, rules=RULES)
    want = 1e6 * close[:, 0] / 10 * fx / 1000
    np.testing.assert_allclose(rep.equity, want, rtol=1e-12)
    assert rep.events == ()
    # drawdown of the unit value: from 1.1·1.1=1.21 to 0.9·1.2=1.08
    assert rep.max_drawdown_frac == pytest.approx(1 - 0.9 * 1.2 / 1.21)


def test_call_then_forced_sale_on_d_plus_3_restores_the_ratio() -> None:
    # capital 100, loan 50: collateral 150 at price 1. Call when 150·p < 1.4·50 → p < 0.4667
    close = _col(1.0, 1.0, 0.45, 0.44, 0.43, 0.43, 0.43)
    rep = replay_account(close, np.ones(7), np.array([1.0]), 100.0, margin=0.5, rules=RULES)
    assert rep.first("margin_call") == 2
    assert rep.first("forced_sale") == 5  # closes 2, 3, 4 short → sale at day 5's open
    # the amount is fixed at the day-4 close: (m·L − C)/(m − 1); with open = close = 0.43
    # the ratio is exactly restored
    coll4 = 150 * 0.43
    sell = (1.4 * 50 - coll4) / 0.4
    assert rep.loan[5] == pytest.approx(50 - sell)
    assert rep.ratio[5] == pytest.approx(1.4)
    assert rep.equity[5] == pytest.approx(coll4 - 50)  # a sale at the close value is neutral


def test_call_lapses_when_the_ratio_recovers() -> None:
    close = _col(1.0, 0.45, 0.50, 0.50, 0.50)
    rep = replay_account(close, np.ones(5), np.array([1.0]), 100.0, margin=0.5, rules=RULES)
    kinds = [k for _, k, _, _ in rep.events]
    assert kinds == ["margin_call", "call_cured"]


def test_forced_sale_at_a_lower_open() -> None:
    close = _col(1.0, 0.45, 0.45, 0.45, 0.45)
    opn = close.copy()
    opn[4] = 0.30  # gap down at the sale's open
    rep = replay_account(
        close, np.ones(5), np.array([1.0]), 100.0, margin=0.5, rules=RULES, open_usd=opn
    )
    t, kind, proceeds, _ = next(e for e in rep.events if e[1] == "forced_sale")
    frac = (1.4 * 50 - 150 * 0.45) / 0.4 / (150 * 0.45)
    assert (t, kind) == (4, "forced_sale")
    assert proceeds == pytest.approx(150 * frac * 0.30)


def test_top_up_cures_the_call() -> None:
    close = _col(1.0, 0.45, 0.45, 0.45, 0.45)
    strat = Strategy(top_up_max=float("inf"))
    rep = replay_account(
        close, np.ones(5), np.array([1.0]), 100.0, margin=0.5, rules=RULES, strategy=strat
    )
    assert rep.first("forced_sale") == -1
    t, _, add, _ = next(e for e in rep.events if e[1] == "top_up")
    assert t == 3
    assert add == pytest.approx(50 - 150 * 0.45 / 1.4)
    assert rep.contributed[-1] == pytest.approx(100 + add)


def test_interest_accrues_on_calendar_days() -> None:
    rules = MarginRules(loan_rate_annual=0.0365)
    rep = replay_account(
        _col(1, 1, 1),
        np.ones(3),
        np.array([1.0]),
        100.0,
        margin=1.0,
        rules=rules,
        calendar_days=np.array([1.0, 1.0, 3.0]),
    )
    assert rep.loan[2] == pytest.approx(100 * 1.0001 * 1.0003)


def test_deposit_rebalance_stop_loss_and_target() -> None:
    close = np.array([[1.0, 1.0], [2.0, 1.0], [2.0, 1.0]])
    dep = np.array([False, False, True])
    reb = np.array([False, True, False])
    rep = replay_account(
        close,
        np.ones(3),
        np.array([0.5, 0.5]),
        100.0,
        rules=RULES,
        deposit_days=dep,
        rebalance_days=reb,
        strategy=Strategy(deposit=10.0),
    )
    np.testing.assert_allclose(rep.shares[1], [37.5, 75.0])  # 150 split 50/50 at (2, 1)
    assert rep.contributed[-1] == 110.0
    assert rep.equity[-1] == pytest.approx(160.0)
    assert rep.unit_value[-1] == pytest.approx(1.5)  # the deposit buys units at 1.5
    stop = replay_account(
        _col(1.0, 0.6, 0.5, 0.4),
        np.ones(4),
        np.array([1.0]),
        100.0,
        rules=RULES,
        strategy=Strategy(stop_loss_frac=0.3),
    )
    assert stop.first("stop_loss") == 2
    assert stop.equity[-1] == pytest.approx(50.0)
    grad = replay_account(
        _col(1.0, 1.5, 2.5, 1.0),
        np.ones(4),
        np.array([1.0]),
        100.0,
        rules=RULES,
        strategy=Strategy(target=200.0),
    )
    assert grad.graduated_day == 2
    assert grad.equity[-1] == pytest.approx(250.0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weights": np.array([0.5, 0.4])}, "weights sum to 0.9"),
        ({"capital": -5.0}, "capital = -5.0"),
        ({"margin": -0.5}, "margin = -0.5"),
    ],
)
def test_bad_input(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "close_usd": np.ones((3, 2)),
        "fx": np.ones(3),
        "weights": np.array([0.5, 0.5]),
        "capital": 1.0,
    }
    args.update(kwargs)
    with pytest.raises(GaemiInputError, match=field):
        replay_account(**args)  # type: ignore[arg-type]


def test_negative_deposit_refused() -> None:
    with pytest.raises(GaemiInputError, match=r"deposit = -1\.0"):
        Strategy(deposit=-1.0)
