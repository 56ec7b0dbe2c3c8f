"""Investor account: margin arithmetic, the Korean D+3 forced-sale timing, laws, seeds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaemi.core.investor import Account, MarginRules, Position, simulate_account
from gaemi.core.nav import FundTerms, terminal_nav
from gaemi.core.paths import ConstantVol
from gaemi.errors import GaemiInputError

SOXL = FundTerms(3.0, 0.0, 0.0, "SOXL")  # costs off: the margin arithmetic is exact


@dataclass(frozen=True)
class FixedPath:
    """Every path follows the same daily returns of one underlying (a test double)."""

    returns: tuple[float, ...]
    names: tuple[str, ...] = ("SOX",)
    label: str = "fixed path"

    def sample(self, rng: object, n_days: int, n_paths: int) -> np.ndarray:
        r = np.asarray(self.returns[:n_days], dtype=float)
        return np.broadcast_to(r[:, None, None], (n_days, 1, n_paths)).copy()


def account(margin: float = 0.5, target: float | None = None, **rules: float) -> Account:
    return Account(
        capital=1.0,
        currency="USD",
        positions=(Position(SOXL, "SOX", 1.0),),
        margin=margin,
        rules=MarginRules(**rules),  # type: ignore[arg-type]
        target=target,
    )


def test_forced_sale_restores_maintenance_on_d_plus_3() -> None:
    # Day 0: SOX -20% → SOXL -60%. Capital 1, loan 0.5: collateral 1.5·0.4 = 0.6, ratio 1.2 <
    # 1.4 → call at the D close. Flat days D+1, D+2 do not cure it; the broker sells at the
    # D+3 start (FACTS.md: misu by D+2, forced sale on D+3) just enough to restore 140%:
    # x = (1.4·0.5 − 0.6)/(1.4 − 1) = 0.25 → collateral 0.35, loan 0.25, equity 0.10.
    path = FixedPath((-0.2, 0.0, 0.0, 0.0))
    res = simulate_account(account(), path, 4, 3, 0)
    assert res.margin_call.all()
    assert res.forced_sale.all()
    assert res.first_call_day[0] == 0
    np.testing.assert_allclose(res.terminal_equity, 0.10, rtol=1e-12)
    # one day earlier (the D+2 close) the sale has not happened yet
    early = simulate_account(account(), path, 3, 3, 0)
    assert early.margin_call.all()
    assert not early.forced_sale.any()
    np.testing.assert_allclose(early.terminal_equity, 0.6 - 0.5)


def test_call_cured_by_recovery() -> None:
    # Day 1: SOX +10% → SOXL +30%: collateral 0.6·1.3 = 0.78 ≥ 1.4·0.5 = 0.7, the call lapses.
    res = simulate_account(account(), FixedPath((-0.2, 0.1, 0.0, 0.0, 0.0)), 5, 2, 0)
    assert res.margin_call.all()
    assert not res.forced_sale.any()
    strict = simulate_account(
        account(cure_on_recovery=False), FixedPath((-0.2, 0.1, 0.0, 0.0, 0.0)), 5, 2, 0
    )
    assert strict.forced_sale.all()


def test_no_loan_tracks_the_fund_exactly() -> None:
    # Without a loan the account is the fund: equity = capital × NAV (nav.py).
    r = (0.01, -0.03, 0.02, 0.015, -0.01)
    terms = FundTerms(3.0, 0.0075, 0.004, "SOXL")
    acct = Account(1e6, "USD", (Position(terms, "SOX", 1.0),))
    res = simulate_account(acct, FixedPath(r), 5, 2, 0, rate_annual=0.04)
    assert res.terminal_equity[0] == pytest.approx(1e6 * terminal_nav(r, terms, 0.04), rel=1e-12)
    assert not res.margin_call.any()


def test_graduation_cashes_out() -> None:
    # +10% a day on 3x: 1.3, 1.69 → target 1.5 reached on day 1, then frozen despite a crash.
    res = simulate_account(account(margin=0.0, target=1.5), FixedPath((0.1, 0.1, -0.3)), 3, 2, 0)
    assert res.graduated.all()
    np.testing.assert_allclose(res.terminal_equity, 1.69)


def test_ruin_before_target_does_not_graduate() -> None:
    res = simulate_account(
        account(margin=0.0, target=1.5), FixedPath((-0.31, 0.5, 0.5, 0.5)), 4, 2, 0
    )
    assert res.ruined.all()  # -93% on day 0
    assert not res.graduated.any()


def test_same_seed_same_numbers_any_workers_and_chunks() -> None:
    m = ConstantVol(0.5, 0.0, ("SOX",))
    a = simulate_account(account(), m, 40, 5000, 8, chunk_paths=2048, workers=1)
    b = simulate_account(account(), m, 40, 5000, 8, chunk_paths=8192, workers=2)
    np.testing.assert_array_equal(a.terminal_equity, b.terminal_equity)
    np.testing.assert_array_equal(a.margin_call, b.margin_call)


def test_krw_account_scales_with_fx() -> None:
    # With FX held fixed a KRW account is the USD account times the rate.
    m = ConstantVol(0.5, 0.0, ("SOX",))
    usd = simulate_account(account(), m, 30, 500, 1)
    krw_acct = Account(1500.0, "KRW", (Position(SOXL, "SOX", 1.0),), 0.5, usdkrw=1500.0)
    krw = simulate_account(krw_acct, m, 30, 500, 1, fx_vol_annual=0.0)
    np.testing.assert_allclose(krw.terminal_equity, 1500.0 * usd.terminal_equity, rtol=1e-10)
    np.testing.assert_array_equal(krw.margin_call, usd.margin_call)


@settings(max_examples=15, deadline=None)
@given(m1=st.floats(0.05, 2.0), m2=st.floats(0.05, 2.0))
def test_more_margin_never_fewer_calls(m1: float, m2: float) -> None:
    # Law: collateral/loan = (1+m)/m · V_t / loan growth falls with m on every path, so with
    # common random numbers a larger loan is called whenever a smaller one is.
    lo, hi = sorted((m1, m2))
    model = ConstantVol(0.6, 0.0, ("SOX",))
    a = simulate_account(account(margin=lo), model, 30, 400, 2)
    b = simulate_account(account(margin=hi), model, 30, 400, 2)
    assert np.all(b.margin_call | ~a.margin_call)


def test_two_funds_two_underlyings() -> None:
    tsll = FundTerms(2.0, 0.0083, 0.004, "TSLL")
    nvdl = FundTerms(2.0, 0.0105, 0.004, "NVDL")
    acct = Account(
        5e4, "USD", (Position(tsll, "TSLA", 0.5), Position(nvdl, "NVDA", 0.5)), margin=0.3
    )
    corr = np.array([[1.0, 0.4], [0.4, 1.0]])
    model = ConstantVol([0.6, 0.5], 0.0, ("TSLA", "NVDA"), corr)
    res = simulate_account(acct, model, 63, 2000, 3)
    s = res.summary()
    assert 0.0 < s["prob_margin_call"] < 1.0
    assert s["prob_forced_sale"] <= s["prob_margin_call"]
    assert s["prob_loss_90pct_ever"] <= s["prob_loss_50pct_ever"]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Account(-1.0, "USD", (Position(SOXL, "SOX", 1.0),)), "capital"),
        (lambda: Account(1.0, "USD", (Position(SOXL, "SOX", 0.8),)), "sum to 0.8"),
        (lambda: MarginRules(maintenance_ratio=1.0), "maintenance_ratio"),
        (lambda: Account(1.0, "EUR", (Position(SOXL, "SOX", 1.0),)), "currency"),  # type: ignore[arg-type]
        (lambda: account(target=0.5), "target"),
    ],
)
def test_bad_input(make: object, match: str) -> None:
    with pytest.raises(GaemiInputError, match=match):
        make()  # type: ignore[operator]


def test_horizon_zero_is_an_error() -> None:
    with pytest.raises(GaemiInputError, match="horizon"):
        simulate_account(account(), ConstantVol(0.5, 0.0, ("SOX",)), 0, 10)


def test_fx_follows_the_driver_exactly_without_a_residual() -> None:
    # With |fx_corr| = 1 the USD/KRW move is beta × the driver's log return and nothing
    # else, so with no loan the KRW account = capital × NAV × (S_T/S_0)^beta exactly
    # (closed form of Π exp(beta·ln(1 + r))).
    r = (0.01, -0.05, 0.02, -0.03)
    terms = FundTerms(3.0, 0.0075, 0.004, "SOXL")
    acct = Account(1.5e8, "KRW", (Position(terms, "SOX", 1.0),), usdkrw=1500.0)
    beta = -0.08  # calibration.yaml beta.USDKRW.NDX is -0.081 (log returns since 2000)
    res = simulate_account(
        acct, FixedPath(r), 4, 3, 0, rate_annual=0.04,
        fx_vol_annual=0.10, fx_driver="SOX", fx_beta=beta, fx_corr=-1.0,
    )  # fmt: skip
    growth = float(np.prod(1.0 + np.asarray(r)))
    want = 1.5e8 * terminal_nav(r, terms, 0.04) * growth**beta
    np.testing.assert_allclose(res.terminal_equity, want, rtol=1e-12)
    assert res.fx_beta == beta
    assert res.fx_driver == "SOX"


def test_a_weaker_won_in_a_fall_cushions_a_krw_account() -> None:
    # The won weakens when US stocks fall (calibration.yaml: corr.USDKRW.SOX = -0.19): a KRW
    # holder of a US fund loses less in won than in dollars, so with the same random
    # numbers a negative beta gives fewer margin calls and a higher 5th percentile.
    m = ConstantVol(0.5, 0.0, ("SOX",))
    acct = Account(1.5e8, "KRW", (Position(SOXL, "SOX", 1.0),), 0.5, usdkrw=1500.0)
    kw = {"fx_vol_annual": 0.10, "fx_driver": "SOX", "fx_corr": -0.19}
    indep = simulate_account(acct, m, 126, 20_000, 3, **kw)  # type: ignore[arg-type]
    linked = simulate_account(acct, m, 126, 20_000, 3, fx_beta=-0.06, **kw)  # type: ignore[arg-type]
    assert linked.margin_call.mean() < indep.margin_call.mean()
    assert np.quantile(linked.terminal_equity, 0.05) > np.quantile(indep.terminal_equity, 0.05)


def test_fx_driver_must_be_an_underlying() -> None:
    acct = Account(1.5e8, "KRW", (Position(SOXL, "SOX", 1.0),), usdkrw=1500.0)
    with pytest.raises(GaemiInputError, match="fx_driver = 'NDX'"):
        simulate_account(acct, FixedPath((0.01,)), 1, 1, 0, fx_driver="NDX", fx_beta=-0.1)
    with pytest.raises(GaemiInputError, match=r"fx_corr = 1\.5"):
        simulate_account(acct, FixedPath((0.01,)), 1, 1, 0, fx_driver="SOX", fx_corr=1.5)
