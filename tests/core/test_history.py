"""History replay kernels: AUM reconstruction, daily flows, no look-ahead, statistics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaemi.core.feedback import StressModel
from gaemi.core.history import (
    ESTIMATED,
    NOT_LISTED,
    OBSERVED,
    SNAPSHOT,
    AumPath,
    loop_share_of_close,
    newey_west_lags,
    next_move,
    ols_hac,
    reconstruct_aum,
    replay_flows,
    window_moves,
)
from gaemi.core.impact import LinearImpact, SquareRootImpact
from gaemi.core.participants import LetfRebalancing
from gaemi.errors import GaemiInputError

DATES = np.arange("2024-01-01", "2024-03-01", dtype="datetime64[D]")


def test_constant_shares_closed_form() -> None:
    # NAV_t = 100·1.01^t; snapshot A = $10B on day 40 ⇒ A_t = 10e9·1.01^(t−40) (closed form)
    t = np.arange(DATES.size)
    nav = 100.0 * 1.01**t
    nav_2 = nav.copy()
    nav_2[:5] = np.nan  # second fund listed on day 5
    path = reconstruct_aum(DATES, np.vstack([nav, nav_2]), [10e9, 2e9], [40, 40])
    np.testing.assert_allclose(path.aum_usd[0], 10e9 * 1.01 ** (t - 40), rtol=1e-12)
    np.testing.assert_allclose(path.aum_usd[1, 5:], 2e9 * 1.01 ** (t[5:] - 40), rtol=1e-12)
    assert (path.aum_usd[1, :5] == 0).all()
    assert (path.basis[1, :5] == NOT_LISTED).all()
    assert path.basis[0, 40] == SNAPSHOT
    assert (path.basis[0, np.arange(t.size) != 40] == ESTIMATED).all()
    assert path.estimated[0].sum() == t.size - 1
    # start-of-day AUM is the previous close's
    np.testing.assert_allclose(path.start_of_day_usd()[0, 1:], path.aum_usd[0, :-1])
    df = path.to_frame()
    assert set(df.columns) >= {"date", "ticker", "aum_usd", "basis", "aum_estimated"}
    assert len(df) == 2 * t.size


def test_observed_shares_win_and_anchor_backwards() -> None:
    t = np.arange(DATES.size)
    nav = 50.0 + t  # any positive path
    shares = np.full(t.size, np.nan)
    shares[10], shares[30] = 1e6, 3e6
    path = reconstruct_aum(DATES, nav[None], [9e9], [50], shares[None])
    a = path.aum_usd[0]
    # observed days: exactly shares × NAV
    assert a[10] == pytest.approx(1e6 * nav[10])
    assert a[30] == pytest.approx(3e6 * nav[30])
    assert path.basis[0, 10] == OBSERVED
    assert path.basis[0, 30] == OBSERVED
    # before day 10: the shares of the next anchor (day 10); days 11..29: day 30's shares
    np.testing.assert_allclose(a[:10], 1e6 * nav[:10])
    np.testing.assert_allclose(a[11:30], 3e6 * nav[11:30])
    # days 31..: the snapshot's implied shares 9e9/nav[50] (the next anchor), after it too
    np.testing.assert_allclose(a[31:], 9e9 / nav[50] * nav[31:])


def test_observed_aum_uses_no_later_data() -> None:
    # with shares outstanding observed every day, AUM on day k is shares_k·NAV_k: cutting
    # the data after day k changes nothing up to k
    rng = np.random.default_rng(7)
    nav = 20 * np.cumprod(1 + rng.normal(0, 0.02, DATES.size))
    shares = rng.uniform(1e6, 2e6, DATES.size)
    full = reconstruct_aum(DATES, nav[None], [1e9], [DATES.size - 1], shares[None])
    for k in (5, 20, 41):
        cut = reconstruct_aum(DATES[: k + 1], nav[None, : k + 1], [1e9], [k], shares[None, : k + 1])
        np.testing.assert_allclose(cut.aum_usd[0], full.aum_usd[0, : k + 1], rtol=1e-14)


def test_reconstruct_errors() -> None:
    nav = np.ones((1, DATES.size))
    with pytest.raises(GaemiInputError, match="snapshot_index"):
        reconstruct_aum(DATES, nav, [1e9], [DATES.size])
    bad = nav.copy()
    bad[0, 3] = np.nan
    with pytest.raises(GaemiInputError, match="no NAV on its snapshot"):
        reconstruct_aum(DATES, bad, [1e9], [3])
    with pytest.raises(GaemiInputError, match="strictly increasing"):
        reconstruct_aum(DATES[::-1], nav, [1e9], [0])
    with pytest.raises(GaemiInputError, match=">= 0"):
        reconstruct_aum(DATES, nav, [-1.0], [0])


def _toy(seed: int = 1) -> tuple[np.ndarray, AumPath, np.ndarray]:
    rng = np.random.default_rng(seed)
    moves = rng.normal(0, 0.02, (2, DATES.size))
    moves[1, 7] = np.nan  # a holiday on one market
    nav = np.vstack(
        [
            100 * np.cumprod(1 + 3 * moves[0]),
            100 * np.cumprod(1 - 3 * moves[0]),
            100 * np.cumprod(1 + 2 * np.nan_to_num(moves[1])),
        ]
    )
    nav[2, :3] = np.nan
    path = reconstruct_aum(DATES, nav, [30e9, 2e9, 5e9], [DATES.size - 1] * 3)
    return moves, path, np.array([3.0, -3.0, 2.0])


def test_replay_flow_closed_form() -> None:
    moves, path, lev = _toy()
    fu = np.array([0, 0, 1])
    rep = replay_flows(DATES, ["NDX", "SOX"], moves, fu, lev, path, [10e9, 5e9])
    a0 = path.start_of_day_usd()
    t = 20
    # ΔE = L(L−1)·A_{t−1}·r_t: 6·A_3x·r + 12·A_−3x·r (DESIGN.md section 1)
    want = 6 * a0[0, t] * moves[0, t] + 12 * a0[1, t] * moves[0, t]
    assert rep.flow_usd[0, t] == pytest.approx(want, rel=1e-12)
    assert rep.k_usd[0, t] == pytest.approx(6 * a0[0, t] + 12 * a0[1, t], rel=1e-12)
    assert rep.pressure_ratio[0, t] == pytest.approx(abs(want) / 10e9, rel=1e-12)
    assert rep.flow_usd[1, t] == pytest.approx(2 * a0[2, t] * moves[1, t], rel=1e-12)
    # no session: no flow, no pressure; not listed: no fund counted
    assert np.isnan(rep.flow_usd[1, 7])
    assert np.isnan(rep.pressure_ratio[1, 7])
    assert rep.n_funds[1, 2] == 0
    assert rep.n_funds[1, 10] == 1
    # the first day has no previous close: no AUM, no flow
    assert rep.aum_usd[0, 0] == 0
    assert rep.flow_usd[0, 0] == 0
    assert rep.next_move_frac[0, t] == moves[0, t + 1]
    assert rep.next_move_frac[1, 6] == moves[1, 8]  # skips the holiday
    assert rep.aum_estimated[0, t]
    df = rep.to_frame()
    assert {"flow_usd", "pressure_ratio", "next_move_frac", "aum_estimated"} <= set(df.columns)
    assert len(df) == 2 * DATES.size


def _models(k_usd: np.ndarray) -> dict[str, StressModel]:
    return {
        "NDX": StressModel((LetfRebalancing(k_usd[0]),), SquareRootImpact(0.7, 0.015, 150e9)),
        "SOX": StressModel((LetfRebalancing(k_usd[1]),), SquareRootImpact(0.7, 0.025, 100e9)),
    }


def test_replay_uses_no_later_information() -> None:
    # Day k's row (everything but the next-day outcome) is the same when the data stop at k.
    moves, path, lev = _toy(3)
    fu = np.array([0, 0, 1])
    full0 = replay_flows(DATES, ["NDX", "SOX"], moves, fu, lev, path, [10e9, 5e9])
    full = replay_flows(
        DATES, ["NDX", "SOX"], moves, fu, lev, path, [10e9, 5e9], models=_models(full0.k_usd)
    )
    cols = ("move_frac", "aum_usd", "k_usd", "flow_usd", "pressure_ratio", "n_funds")
    for k in (1, 12, 30, DATES.size - 2):
        n = k + 1
        cut_path = AumPath(path.dates[:n], path.ticker, path.aum_usd[:, :n], path.basis[:, :n])
        cut0 = replay_flows(DATES[:n], ["NDX", "SOX"], moves[:, :n], fu, lev, cut_path, [10e9, 5e9])
        cut = replay_flows(
            DATES[:n],
            ["NDX", "SOX"],
            moves[:, :n],
            fu,
            lev,
            cut_path,
            [10e9, 5e9],
            models=_models(cut0.k_usd),
        )
        for c in (*cols, "model_extra_move_frac"):
            np.testing.assert_array_equal(getattr(cut, c)[:, k], getattr(full, c)[:, k], err_msg=c)
        assert np.isnan(cut.next_move_frac[:, k]).all()  # the outcome is not known yet


def test_loop_share_linear_closed_form() -> None:
    # LETF only, linear impact λ: r = r0 + λKr ⇒ r − r0 = λ·K·r exactly (docs/stress.md)
    k = np.array([2e11, 3e11, 4e11])
    lam = 1e-13
    model = StressModel((LetfRebalancing(k),), LinearImpact(lam))
    r = np.array([-0.05, np.nan, 0.03])
    out = loop_share_of_close(model, r)
    assert out[0] == pytest.approx(lam * k[0] * r[0], rel=1e-12)
    assert np.isnan(out[1])
    assert out[2] == pytest.approx(lam * k[2] * r[2], rel=1e-12)


def test_ols_hac_recovers_and_matches_white() -> None:
    rng = np.random.default_rng(11)
    n = 2000
    x = rng.normal(size=n)
    y = 0.5 - 2.0 * x + rng.normal(size=n) * (1 + 0.5 * np.abs(x))
    reg = ols_hac(y, {"x": x}, lags=0, n_boot=200, rng=5)
    assert reg.coef[1] == pytest.approx(-2.0, abs=0.1)
    # lags = 0 is White's HC0 estimator: (X'X)^-1 X' diag(e²) X (X'X)^-1 (independent form)
    xm = np.column_stack([np.ones(n), x])
    e = y - xm @ np.array(reg.coef)
    inv = np.linalg.inv(xm.T @ xm)
    hc0 = inv @ (xm.T * e**2) @ xm @ inv
    assert reg.se_nw[1] == pytest.approx(np.sqrt(hc0[1, 1]), rel=1e-10)
    lo, hi = reg.ci_nw(1)
    assert lo < -2.0 < hi
    assert reg.ci_boot_low[1] < -2.0 < reg.ci_boot_high[1]
    again = ols_hac(y, {"x": x}, lags=0, n_boot=200, rng=5)
    assert again.ci_boot_low == reg.ci_boot_low  # same seed, same interval
    assert newey_west_lags(4000) == 9  # floor(4·40^(2/9)) = floor(9.08)
    assert list(reg.to_frame()["term"]) == ["intercept", "x"]


def test_ols_hac_serial_correlation_widens_se() -> None:
    # AR(1) regressor and errors: HAC SE > HC0 SE (positive autocorrelation)
    rng = np.random.default_rng(2)
    n = 3000
    x, u = np.zeros(n), np.zeros(n)
    for i in range(1, n):
        x[i] = 0.8 * x[i - 1] + rng.normal()
        u[i] = 0.8 * u[i - 1] + rng.normal()
    y = 1.0 * x + u
    hac = ols_hac(y, {"x": x}, lags=20, n_boot=50, rng=1)
    white = ols_hac(y, {"x": x}, lags=0, n_boot=50, rng=1)
    assert hac.se_nw[1] > 1.5 * white.se_nw[1]


def test_ols_errors() -> None:
    with pytest.raises(GaemiInputError, match="at least 30"):
        ols_hac(np.arange(10.0), {"x": np.arange(10.0)})
    with pytest.raises(GaemiInputError, match="collinear"):
        ols_hac(np.arange(100.0), {"x": np.ones(100)})


def test_window_moves_and_next_move() -> None:
    d = np.array(["2024-01-02", "2024-01-03", "2024-01-05", "2024-01-08"], dtype="datetime64[D]")
    c = np.array([100.0, 90.0, 99.0, 108.9])
    ev = np.array(["2024-01-03", "2024-01-04", "2024-01-08"], dtype="datetime64[D]")
    w = window_moves(d, c, ev, (1, 2))
    assert w["d0"][0] == pytest.approx(-0.1)
    assert np.isnan(w["d0"][1])  # no session on the 4th
    assert w["next_1"][0] == pytest.approx(0.1)  # 90 → 99
    assert w["next_1"][1] == pytest.approx(0.1)  # from the last close on or before the 4th
    assert w["next_2"][0] == pytest.approx(108.9 / 90 - 1)
    assert np.isnan(w["next_1"][2])  # no later data
    nm = next_move(np.array([[0.01, np.nan, -0.02, 0.03]]))
    np.testing.assert_array_equal(nm[0, :3], [-0.02, -0.02, 0.03])
    assert np.isnan(nm[0, 3])


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.floats(0.1, 10.0),
    lev=st.sampled_from([-3.0, -2.0, -1.0, 2.0, 3.0]),
)
def test_laws_sign_and_linearity(seed: int, scale: float, lev: float) -> None:
    # DESIGN.md section 1: L(L−1) > 0 for L > 1 and L < 0, so the flow has the sign of the
    # move; and the flow is linear in AUM (scaling the snapshot scales every flow)
    rng = np.random.default_rng(seed)
    moves = rng.normal(0, 0.03, (1, DATES.size))
    nav = 100 * np.cumprod(1 + lev * moves[0])[None]
    a = reconstruct_aum(DATES, nav, [5e9], [DATES.size - 1])
    b = reconstruct_aum(DATES, nav, [5e9 * scale], [DATES.size - 1])
    ra = replay_flows(DATES, ["U"], moves, [0], [lev], a, [1e10])
    rb = replay_flows(DATES, ["U"], moves, [0], [lev], b, [1e10])
    f = ra.flow_usd[0, 1:]
    assert (np.sign(f) == np.sign(moves[0, 1:])).all()
    np.testing.assert_allclose(rb.flow_usd[0], scale * ra.flow_usd[0], rtol=1e-12)
    np.testing.assert_allclose(rb.pressure_ratio[0], scale * ra.pressure_ratio[0], rtol=1e-12)


def test_replay_with_leverage_by_day() -> None:
    # A fund that went 1.5x -> 2x (TSLL, FACTS.md §(j)): the close trade is L(L-1)·A·r
    # with each day's L — 0.75·A·r before, 2·A·r after (hand-computed).
    from gaemi.core.history import AumPath, replay_flows

    days = np.arange("2024-03-28", "2024-04-04", dtype="datetime64[D]")[:4]
    aum = AumPath(days, np.array(["TSLL"]), np.full((1, 4), 100.0), np.full((1, 4), 3, np.int8))
    r = np.array([[0.0, 0.10, -0.10, 0.10]])
    lev = np.array([[1.5, 1.5, 2.0, 2.0]])
    out = replay_flows(days, ["TSLA"], r, [0], lev, aum, [np.nan])
    np.testing.assert_allclose(out.flow_usd[0, 1:], [0.75 * 100 * 0.10, 2 * 100 * -0.10, 20.0])
    np.testing.assert_allclose(out.k_usd[0, 1:], [75.0, 200.0, 200.0])
    assert np.isnan(out.pressure_ratio).all()  # no capacity figure: no pressure
    const = replay_flows(days, ["TSLA"], r, [0], [2.0], aum, [1e9])
    np.testing.assert_allclose(const.flow_usd[0, 2:], out.flow_usd[0, 2:])
