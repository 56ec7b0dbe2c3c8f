"""Return-path models: moments, fat tails, leverage effect, bootstrap provenance, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from gaemi.core.paths import BlockBootstrap, ConstantVol, GarchParams, GjrGarchT
from gaemi.errors import GaemiInputError

# A GJR-GARCH-t in the range fitted to QQQ since 2015 (src/gaemi/data/defaults/vol_params.yaml)
NDX_LIKE = GarchParams(3.5e-6, 0.0125, 0.1995, 0.868, 5.77, 0.0011, 0.016, "NDX")


def test_constant_vol_moments() -> None:
    m = ConstantVol(0.45, 0.10)
    r = m.sample(np.random.default_rng(0), 252, 4000)
    assert r.shape == (252, 1, 4000)
    lg = np.log1p(r)
    # GBM: daily log return sd = σ/√252, mean (μ - σ²/2)/252 (definition)
    assert lg.std() * np.sqrt(252) == pytest.approx(0.45, rel=0.01)
    growth = np.exp(lg.sum(axis=0)).mean()
    assert growth == pytest.approx(np.exp(0.10), rel=0.03)


def test_constant_vol_correlation() -> None:
    c = np.array([[1.0, 0.6], [0.6, 1.0]])
    m = ConstantVol([0.5, 0.3], 0.0, ("A", "B"), c)
    r = m.sample(np.random.default_rng(1), 200, 500)
    x = np.log1p(r)
    rho = np.corrcoef(x[:, 0, :].ravel(), x[:, 1, :].ravel())[0, 1]
    assert rho == pytest.approx(0.6, abs=0.02)
    with pytest.raises(GaemiInputError, match="correlation"):
        ConstantVol([0.5, 0.3], 0.0, ("A", "B"))


def test_garch_long_run_vol_and_fat_tails() -> None:
    m = GjrGarchT((NDX_LIKE,))
    r = np.log1p(m.sample(np.random.default_rng(2), 1000, 400))[:, 0, :]
    # unconditional vol ω/(1-α-γ/2-β), annualised (Glosten-Jagannathan-Runkle 1993)
    assert r.std() * np.sqrt(252) == pytest.approx(NDX_LIKE.long_run_vol_annual, rel=0.1)
    z = (r - r.mean()) / r.std()
    assert np.mean(z**4) > 4.0  # Student-t ν≈5.8 plus clustering: kurtosis well above 3
    # leverage effect: a down day raises tomorrow's variance more than an up day
    nxt = r[1:] ** 2
    assert nxt[r[:-1] < 0].mean() > 1.2 * nxt[r[:-1] > 0].mean()


def test_garch_drift_override() -> None:
    m = GjrGarchT((NDX_LIKE,), drift_annual=0.0)
    r = m.sample(np.random.default_rng(3), 252, 4000)[:, 0, :]
    # drift 0: mean simple daily return ≈ 0 (log mean set to -σ²_t/2)
    assert abs(r.mean()) < 3 * r.std() / np.sqrt(r.size) + 1e-5


def test_garch_rejects_non_stationary() -> None:
    with pytest.raises(GaemiInputError, match="stationary"):
        GarchParams(1e-6, 0.1, 0.1, 0.9, 5.0)
    with pytest.raises(GaemiInputError, match="stationary"):
        GarchParams(1e-6, 0.05, 0.1, 0.8, 2.0)


def test_bootstrap_draws_history_in_blocks() -> None:
    hist = np.random.default_rng(4).normal(0.001, 0.02, 300)
    m = BlockBootstrap(hist, ("X",), block_days=5)
    r = m.sample(np.random.default_rng(5), 20, 50)[:, 0, :]
    h = np.round(hist, 12)
    assert np.isin(np.round(r, 12), h).all()  # only historical days
    # days 0..4 of each path are consecutive history
    pos = np.array([np.flatnonzero(h == v)[0] for v in np.round(r[0], 12)])
    np.testing.assert_allclose(np.round(r[1], 12), h[pos + 1])


def test_bootstrap_drift_recentres() -> None:
    hist = np.random.default_rng(6).normal(0.003, 0.02, 2000)  # ~+75%/yr history
    m = BlockBootstrap(hist, ("X",), 10, drift_annual=0.0)
    r = m.sample(np.random.default_rng(7), 252, 2000)[:, 0, :]
    assert abs(r.mean()) < 2e-4


@pytest.mark.parametrize(
    "model",
    [
        ConstantVol(0.3),
        GjrGarchT((NDX_LIKE,)),
        BlockBootstrap(np.random.default_rng(0).normal(0, 0.01, 500), ("X",), 10),
    ],
)
def test_same_seed_same_paths(model: object) -> None:
    a = model.sample(np.random.default_rng(42), 30, 10)  # type: ignore[attr-defined]
    b = model.sample(np.random.default_rng(42), 30, 10)  # type: ignore[attr-defined]
    c = model.sample(np.random.default_rng(43), 30, 10)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_bad_dimensions() -> None:
    with pytest.raises(GaemiInputError, match="n_days"):
        ConstantVol(0.3).sample(np.random.default_rng(0), 0, 10)
    with pytest.raises(GaemiInputError, match="block_days"):
        BlockBootstrap(np.zeros(100), ("X",), 500)
