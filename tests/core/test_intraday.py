"""The last hour minute by minute: timing of each participant, decay, and the link to the
static loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaemi.core.feedback import StressModel, solve
from gaemi.core.impact import SquareRootImpact
from gaemi.core.intraday import IntradaySpec, simulate_last_hour, time_labels
from gaemi.core.participants import (
    DealerGamma,
    LetfRebalancing,
    MarginSellers,
    RetailRedemptions,
    StopLossLadder,
)
from gaemi.errors import GaemiInputError


def a(x: object) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype=float))


def full_model(k: object = 293e9, v: object = 14e9) -> StressModel:
    """The five participants near the default NDX calibration (see test_feedback.py)."""
    return StressModel(
        (
            LetfRebalancing(a(k)),
            DealerGamma(a(1.5e9)),
            StopLossLadder(
                np.array([[-0.03, -0.05, -0.07]]), np.array([[3e9, 6e9, 6e9]]), a(0.005)
            ),
            MarginSellers(a(7e9), np.array([[1.6, 1.8, 2.0, 2.5]]), a(1.4), a(3.0), a(0.25)),
            RetailRedemptions(a(3.4e9), a(3.0), a(0.5), a(0.03)),
        ),
        SquareRootImpact(a(0.7), a(0.015), a(v)),
        spx_beta=a(1.155),
    )


def test_clock_is_1500_to_1600_et() -> None:
    labels = time_labels()
    assert labels[0] == "15:00"
    assert labels[50] == "15:50"  # NYSE imbalance publication (FACTS.md (b))
    assert labels[-1] == "16:00"


def test_letf_only_is_one_pass_of_the_loop() -> None:
    # Funds size their MOC on the 15:45 move and trade only at 16:00, so with permanent
    # impact the close is G(r₀) = r₀ + I(K·r₀): the first step of the static dynamics.
    k, c = 2.9e11, SquareRootImpact(a(0.7), a(0.015), a(14e9))
    model = StressModel((LetfRebalancing(a(k)),), c)
    r0 = np.array([-0.02, -0.05, 0.03])
    res = simulate_last_hour(model, r0)
    expected = r0 + np.sign(r0) * 0.7 * 0.015 * np.sqrt(k * np.abs(r0) / 14e9)
    np.testing.assert_allclose(res.close_move_frac, expected, rtol=1e-12)
    letf = res.trades_usd["letf_rebalancing"]
    assert (letf[:, :-1] == 0).all()  # nothing before the auction
    np.testing.assert_allclose(letf[:, -1], k * r0)
    np.testing.assert_allclose(res.moc_imbalance_usd, k * r0)


def test_who_trades_when() -> None:
    res = simulate_last_hour(full_model(), -0.06, IntradaySpec(anticipation_frac=0.5))
    df = res.to_frame()
    assert list(df["time_et"])[:2] == ["15:00", "15:01"]
    assert (df.loc[df["minute"] < 30, "margin_calls_trade_usd"] == 0).all()
    assert (df.loc[df["minute"] >= 30, "margin_calls_trade_usd"] < 0).any()
    assert (df.loc[df["minute"] < 50, "anticipators_trade_usd"] == 0).all()
    assert (df.loc[(df["minute"] >= 50) & (df["minute"] < 60), "anticipators_trade_usd"] < 0).all()
    # anticipators hand back in the auction exactly what they sold ahead
    assert df["anticipators_trade_usd"].sum() == pytest.approx(0.0, abs=1e-3)
    stops = df["stop_loss_trade_usd"]
    assert (stops <= 0).all()  # stop fills are never undone


def test_anticipation_moves_the_path_earlier_not_the_close() -> None:
    model = StressModel((LetfRebalancing(a(2.9e11)),), SquareRootImpact(a(0.7), a(0.015), a(14e9)))
    plain = simulate_last_hour(model, -0.03)
    ahead = simulate_last_hour(model, -0.03, IntradaySpec(anticipation_frac=1.0))
    assert ahead.move_frac[0, 55] < plain.move_frac[0, 55]
    assert ahead.close_move_frac[0] == pytest.approx(plain.close_move_frac[0], rel=1e-12)


shock = st.floats(-0.15, -0.005)


@settings(max_examples=30, deadline=None)
@given(
    r0=shock,
    ant=st.floats(0.0, 1.0),
    half=st.sampled_from([2.0, 10.0, float("inf")]),
    path=st.sampled_from(["at_start", "linear"]),
)
def test_path_never_goes_beyond_the_static_equilibrium(
    r0: float, ant: float, half: float, path: str
) -> None:
    # every participant acts on prices no deeper than the static equilibrium r*, so
    # (monotone flows, increasing impact) no minute can close below it
    model = full_model()
    star = solve(model, r0).final_move_frac[0]
    res = simulate_last_hour(
        model,
        r0,
        IntradaySpec(half_life_min=half, anticipation_frac=ant, shock_path=path),  # type: ignore[arg-type]
    )
    assert (res.move_frac[0] >= star - 1e-12).all()


@settings(max_examples=20, deadline=None)
@given(r0=shock)
def test_decay_never_deepens_the_close(r0: float) -> None:
    model = full_model()
    perm = simulate_last_hour(model, r0).close_move_frac[0]
    fast = simulate_last_hour(model, r0, IntradaySpec(half_life_min=3.0)).close_move_frac[0]
    assert fast >= perm - 1e-12


def test_vectorised_over_scenarios() -> None:
    rng = np.random.default_rng(5)
    n = 50
    model = full_model(k=rng.uniform(5e10, 6e11, n), v=rng.uniform(5e9, 1e11, n))
    r0 = rng.uniform(-0.1, -0.01, n)
    many = simulate_last_hour(model, r0)
    for i in (0, 17, 49):
        one = simulate_last_hour(model.take(i), r0[i])
        np.testing.assert_allclose(many.move_frac[i], one.move_frac[0], rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"half_life_min": 0.0}, "half_life_min"),
        ({"moc_minute": 70}, "moc_minute"),
        ({"moc_minute": 50, "publish_minute": 45}, "publish_minute"),
        ({"anticipation_frac": 1.5}, "anticipation_frac"),
    ],
)
def test_bad_spec(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(GaemiInputError, match=match):
        IntradaySpec(**kwargs)  # type: ignore[arg-type]


def test_no_phantom_drift_minute_by_minute() -> None:
    # issue 18: with the square-root law linear below Q× (the close's capacity, as the
    # default scenario builds it) a zero shock moves nothing and a tiny one closes in
    # proportion, with its sign, never beyond the static loop's small-signal gain
    # 1/(1 − λ×·(K + 100·G)) (the intraday close is at most the static equilibrium).
    k, g, v, qx = 293e9, 1.5e9, 150e9, 14.16e9
    imp = SquareRootImpact(a(0.7), a(0.0147), a(v), a(qx))
    model = StressModel((LetfRebalancing(a(k)), DealerGamma(a(g))), imp, spx_beta=a(1.155))
    gain = 1.0 / (1.0 - float(imp.small_flow_lambda[0]) * (k + 100.0 * g))
    res = simulate_last_hour(model, np.array([0.0, -1e-6, 1e-6]))
    assert res.close_move_frac[0] == 0.0
    ratio = res.close_move_frac[1:] / np.array([-1e-6, 1e-6])
    assert (ratio >= 1.0).all()
    assert (ratio <= gain * (1 + 1e-12)).all()
    # the pure law (Q× = 0) carried the same tiny shock to −0.0185 % (185x) by the close
    pure = StressModel(
        (LetfRebalancing(a(k)), DealerGamma(a(g))), SquareRootImpact(a(0.7), a(0.0147), a(v))
    )
    assert abs(simulate_last_hour(pure, -1e-6).close_move_frac[0]) > 10e-6
