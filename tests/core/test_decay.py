"""Decay: the Avellaneda–Zhang closed form, sideways erosion and the chunked Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaemi.core.decay import (
    closed_form_quantiles,
    closed_form_value,
    discretisation_gap,
    erosion_table,
    sideways_erosion,
    simulate_fund,
    volatility_drag_coef,
)
from gaemi.core.nav import FundTerms
from gaemi.core.paths import BlockBootstrap, ConstantVol, GarchParams, GjrGarchT
from gaemi.errors import GaemiInputError


def test_quarter_of_value_from_design() -> None:
    # DESIGN.md section 1: "at σ = 45% a flat half-year costs a 3x fund about a quarter".
    # Closed form: 1 - exp(-(9-3)/2 · 0.45² · 0.5) = 1 - e^-0.30375 = 26.2%.
    loss = float(sideways_erosion(FundTerms(3), 0.45, 0.5))
    assert loss == pytest.approx(1 - math.exp(-0.30375), rel=1e-12)
    assert 0.22 < loss < 0.30


def test_drag_coefficients() -> None:
    # (L²-L)/2: 3x → 3, 2x → 1, -1x → 1, -3x → 6 (Avellaneda & Zhang 2010, eq. 10).
    assert [volatility_drag_coef(x) for x in (3, 2, -1, -3, 1)] == [3, 1, 1, 6, 0]


def test_closed_form_converges_as_step_shrinks() -> None:
    # The closed form is exact for continuous rebalancing (Avellaneda & Zhang 2010):
    # with the path's realised variance the gap shrinks like dt; with σ²T like √dt.
    terms = FundTerms(3)
    gaps_real, gaps_model = [], []
    for k in (1, 4, 16):
        exact, cf_model, cf_real = discretisation_gap(terms, 0.45, 0.5, 252 * k, 400, rng=1)
        gaps_real.append(float(np.mean(np.abs(exact - cf_real))))
        gaps_model.append(float(np.mean(np.abs(exact - cf_model))))
    assert gaps_real[0] / gaps_real[2] > 10  # ~16 for O(dt)
    assert gaps_model[0] / gaps_model[2] > 3  # ~4 for O(√dt)
    assert gaps_real[2] < 5e-4


def test_monte_carlo_matches_closed_form_quantiles_and_mean() -> None:
    terms = FundTerms(3, 0.0075, 0.004, "SOXL")
    model = ConstantVol(0.45, 0.05)
    res = simulate_fund(terms, model, 126, 20_000, 11, rate_annual=0.04)
    # lognormal closed form of F_T under GBM (exact up to the daily step)
    q = np.quantile(res.nav_ratio, [0.1, 0.5, 0.9])
    cf = closed_form_quantiles(terms, 0.45, 0.05, 0.5, [0.1, 0.5, 0.9], 0.04)
    np.testing.assert_allclose(q, cf, rtol=0.04)
    # exact discrete mean: each day E[1 + L(e^{a+bz} - 1) + c·dt] = 1 + L(e^{μ dt} - 1) + c·dt
    c = float(terms.carry_annual(0.04))
    mean = (1 + 3 * math.expm1(0.05 / 252) + c / 252) ** 126
    se = res.nav_ratio.std() / math.sqrt(res.n_paths)
    assert abs(res.nav_ratio.mean() - mean) < 4 * se
    # per-path closed form with realised variance is within a fraction of a percent
    assert res.summary()["closed_form_median_abs_err_frac"] < 0.005


def test_same_seed_same_numbers_any_workers() -> None:
    terms = FundTerms(3, 0.0075, 0.004)
    model = ConstantVol(0.45)
    a = simulate_fund(terms, model, 21, 5000, 3, workers=1)
    b = simulate_fund(terms, model, 21, 5000, 3, workers=3)
    c = simulate_fund(terms, model, 21, 5000, 4, workers=1)
    np.testing.assert_array_equal(a.nav_ratio, b.nav_ratio)
    assert not np.array_equal(a.nav_ratio, c.nav_ratio)
    g = GjrGarchT((GarchParams(2e-6, 0.03, 0.1, 0.9, 5.0, name="X"),))
    d1 = simulate_fund(terms, g, 21, 3000, 3, workers=1)
    d2 = simulate_fund(terms, g, 21, 3000, 3, workers=2)
    np.testing.assert_array_equal(d1.nav_ratio, d2.nav_ratio)


@pytest.mark.parametrize(
    "model",
    [
        ConstantVol(0.45),
        GjrGarchT((GarchParams(2e-6, 0.03, 0.1, 0.9, 5.0, name="X"),)),
        BlockBootstrap(np.random.default_rng(0).normal(0, 0.02, 400), ("X",), 10),
    ],
)
def test_chunk_size_does_not_change_results(model: object) -> None:
    # Issue 4: "results do not depend on the chunk size" — exactly, for every model
    # (chunks are whole seed blocks; each block's columns come from its own stream).
    terms = FundTerms(3)
    runs = [
        simulate_fund(terms, model, 21, 7000, 5, chunk_paths=c, workers=w)  # type: ignore[arg-type]
        for c, w in ((2048, 1), (4096, 2), (10_000, 1), (1, 2))
    ]
    for r in runs[1:]:
        np.testing.assert_array_equal(r.nav_ratio, runs[0].nav_ratio)
        np.testing.assert_array_equal(r.underlying_ratio, runs[0].underlying_ratio)


def test_generic_path_closed_form_with_realised_variance() -> None:
    # GARCH and bootstrap paths: AZ with each path's own Σ ln²(1+r) tracks exact compounding.
    terms = FundTerms(-3, 0.0095, 0.0)
    g = GjrGarchT((GarchParams(4e-6, 0.02, 0.15, 0.88, 6.0, name="NDX"),))
    res = simulate_fund(terms, g, 63, 2000, 9)
    assert res.summary()["closed_form_median_abs_err_frac"] < 0.01
    hist = np.random.default_rng(0).normal(0.0005, 0.02, 1000)
    boot = BlockBootstrap(hist, ("X",), 10)
    res2 = simulate_fund(FundTerms(2), boot, 63, 2000, 9)
    assert res2.summary()["closed_form_median_abs_err_frac"] < 0.01


@settings(max_examples=50, deadline=None)
@given(
    lev=st.sampled_from([3.0, 2.0, -1.0, -2.0, -3.0, 1.5, 4.0]),
    v1=st.floats(0.0, 1.5),
    v2=st.floats(0.0, 1.5),
    years=st.floats(0.01, 2.0),
)
def test_higher_vol_never_reduces_erosion(lev: float, v1: float, v2: float, years: float) -> None:
    # Law: for |L|>1 or L<0, (L²-L)/2 > 0, so sideways erosion is increasing in σ.
    lo, hi = sorted((v1, v2))
    terms = FundTerms(lev, 0.009, 0.004)
    assert sideways_erosion(terms, hi, years, 0.03) >= sideways_erosion(terms, lo, years, 0.03)


@settings(max_examples=30, deadline=None)
@given(lev=st.sampled_from([3.0, 2.0, -3.0]), v=st.floats(0.05, 1.0), t1=st.floats(0.01, 2.0))
def test_erosion_grows_with_horizon(lev: float, v: float, t1: float) -> None:
    # With non-positive carry net of drag, a longer flat market never costs less.
    terms = FundTerms(lev, 0.0095, 0.004)
    assert sideways_erosion(terms, v, t1 * 1.5, 0.0) >= sideways_erosion(terms, v, t1, 0.0)


def test_closed_form_value_identity() -> None:
    # L=1 reproduces the underlying; a 2x fund on a flat path loses exp(-σ²T).
    assert float(closed_form_value(1.0, 1.3, 0.2)) == pytest.approx(1.3)
    assert float(closed_form_value(2.0, 1.0, 0.09)) == pytest.approx(math.exp(-0.09))


def test_erosion_table_shape() -> None:
    tab = erosion_table(FundTerms(3, 0.0075), [0.3, 0.45], [3, 6], 0.04)
    df = tab.to_frame()
    assert len(df) == 4
    assert (df["loss_frac"] >= df["drag_only_loss_frac"]).all()


def test_bad_inputs() -> None:
    with pytest.raises(GaemiInputError, match="horizon"):
        simulate_fund(FundTerms(3), ConstantVol(0.4), 0, 10)
    with pytest.raises(GaemiInputError, match="paths"):
        simulate_fund(FundTerms(3), ConstantVol(0.4), 10, 0)


def test_progress_reaches_total() -> None:
    seen: list[tuple[int, int]] = []
    simulate_fund(
        FundTerms(3),
        ConstantVol(0.3),
        5,
        2500,
        0,
        chunk_paths=1000,
        progress=lambda d, n: seen.append((d, n)),
    )
    assert len(seen) == 2  # one call per chunk (1,000 rounds up to a 2,048-path seed block)
    assert max(d for d, _ in seen) == 2500
    assert all(n == 2500 for _, n in seen)
