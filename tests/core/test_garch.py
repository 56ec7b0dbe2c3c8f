"""GJR-GARCH-t kernels: numba, NumPy and the plain loop agree; draws are Student-t."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from gaemi.core.chunks import BlockedRng
from gaemi.core.garch import (
    Kernel,
    gjr_numpy,
    gjr_reference,
    numba_kernel,
    simulate_gjr_garch_t,
    standardized_t,
)
from gaemi.core.paths import GarchParams, GjrGarchT
from gaemi.errors import GaemiInputError

# NDX-like daily parameters, the same set tests/core/test_paths.py uses
NDX_LIKE = GarchParams(3.5e-6, 0.0125, 0.1995, 0.868, 5.77, 0.0011, 0.016, "NDX")


def innovations(n_days: int = 30, n_paths: int = 40, seed: int = 0) -> np.ndarray:
    g = np.random.default_rng(seed)
    return (g.standard_t(5.0, (n_days, n_paths)) * np.sqrt(3 / 5)).astype(np.float32)


def test_numpy_recursion_equals_the_plain_loop() -> None:
    z = innovations()
    y_ref, v_ref = gjr_reference(z, NDX_LIKE, NDX_LIKE.long_run_var)
    y, v = gjr_numpy(z, NDX_LIKE, NDX_LIKE.long_run_var)
    np.testing.assert_allclose(y, y_ref, rtol=1e-13, atol=0)
    np.testing.assert_allclose(v, v_ref, rtol=1e-13, atol=0)


def test_numba_kernel_equals_the_plain_loop() -> None:
    kernel = numba_kernel()
    if kernel is None:
        pytest.skip("numba not installed (extra 'fast')")
    z = innovations()
    y_ref, v_ref = gjr_reference(z, NDX_LIKE, 2e-4)
    n = z.shape[1]
    y, total, sumsq, var = np.empty(z.shape), np.zeros(n), np.zeros(n), np.full(n, 2e-4)
    p = NDX_LIKE
    kernel(z, p.omega, p.alpha, p.gamma, p.beta, p.mu, True, y, total, sumsq, var)
    np.testing.assert_allclose(y, y_ref, rtol=1e-13, atol=0)
    np.testing.assert_allclose(var, v_ref, rtol=1e-13, atol=0)
    np.testing.assert_allclose(total, y_ref.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(sumsq, (y_ref**2).sum(axis=0), rtol=1e-12)


class _Fixed:
    """A stand-in rng handing GjrGarchT.sample fixed normals and chi-squares."""

    def __init__(self, z: np.ndarray, w: np.ndarray):
        self.z, self.w = z, w

    def standard_normal(self, size: tuple[int, ...]) -> np.ndarray:
        return self.z.reshape(size).copy()  # the model scales it in place

    def chisquare(self, df: float, size: tuple[int, ...]) -> np.ndarray:
        return self.w.reshape(size)


def test_recursion_matches_the_decay_engines_garch_model() -> None:
    # reference: gaemi.core.paths.GjrGarchT (the decay engine's model, written separately)
    g = np.random.default_rng(3)
    nz, w = g.standard_normal((25, 1, 12)), g.chisquare(NDX_LIKE.nu, (25, 1, 12))
    model = GjrGarchT((NDX_LIKE,), drift_annual=None)
    simple = model.sample(_Fixed(nz, w), 25, 12)[:, 0, :]
    nu = NDX_LIKE.nu
    z = nz[:, 0, :] * np.sqrt((nu - 2) / nu) / np.sqrt(w[:, 0, :] / nu)
    y, _ = gjr_reference(z, NDX_LIKE, NDX_LIKE.long_run_var)
    np.testing.assert_allclose(np.expm1(y), simple, rtol=1e-12, atol=1e-15)


def test_innovations_are_unit_variance_student_t() -> None:
    nu = 5.0
    g = np.random.default_rng(11)
    z = standardized_t(BlockedRng([g], [200_000]), nu, (1, 200_000))[0].astype(np.float64)
    # reference: scipy's Student-t scaled to unit variance, sqrt((nu-2)/nu)
    ref = stats.t(nu, scale=np.sqrt((nu - 2) / nu))
    assert stats.kstest(z, ref.cdf).pvalue > 0.01
    assert z.var() == pytest.approx(1.0, abs=0.03)
    for q in (0.001, 0.01, 0.99, 0.999):
        assert np.quantile(z, q) == pytest.approx(ref.ppf(q), rel=0.08)
    # the normal mixture used elsewhere would give kurtosis 3 + 6/(nu-4) = 9; Gaussian has 3
    assert stats.kurtosis(z, fisher=False) > 5.0


@pytest.mark.parametrize("kernel", ["numpy", "auto"])
def test_same_seed_same_paths_whatever_the_chunking(kernel: Kernel) -> None:
    a = simulate_gjr_garch_t(NDX_LIKE, 40, 5000, 9, kernel="reference", keep_paths=True)
    b = simulate_gjr_garch_t(
        NDX_LIKE,
        40,
        5000,
        9,
        kernel=kernel,
        keep_paths=True,
        chunk_paths=4096,
        workers=2,
    )
    assert a.log_returns is not None
    assert b.log_returns is not None
    np.testing.assert_allclose(b.log_returns, a.log_returns, rtol=1e-13, atol=0)
    np.testing.assert_allclose(b.log_return_total, a.log_return_total, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b.var_end, a.var_end, rtol=1e-13)
    c = simulate_gjr_garch_t(NDX_LIKE, 40, 5000, 10, kernel=kernel)
    assert not np.allclose(c.log_return_total, a.log_return_total)


def test_stationary_start_keeps_the_long_run_variance() -> None:
    # closed form: started at omega/(1 - alpha - gamma/2 - beta), E[eps_t^2] stays there
    p = GarchParams(2e-6, 0.03, 0.1, 0.87, 8.0, 0.0)
    res = simulate_gjr_garch_t(p, 20, 100_000, 5)
    mean_sq = res.sum_sq_log_return.mean() / 20
    assert mean_sq == pytest.approx(p.long_run_var, rel=0.03)
    df = res.to_frame()
    assert list(df.columns) == ["log_return_total", "realised_vol_annual", "var_end_daily"]
    assert len(df) == 100_000


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"n_days": 0}, "n_days"),
        ({"n_paths": 0}, "n_paths"),
        ({"start": "first"}, "start"),
        ({"kernel": "gpu"}, "kernel"),
        ({"start": "last", "params": GarchParams(1e-6, 0.05, 0.1, 0.8, 5.0)}, "sigma_last"),
    ],
)
def test_bad_input_is_one_line(kw: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"params": NDX_LIKE, "n_days": 5, "n_paths": 10, **kw}
    with pytest.raises(GaemiInputError, match=message):
        simulate_gjr_garch_t(**args)
    with pytest.raises(GaemiInputError, match="nu"):
        standardized_t(BlockedRng([np.random.default_rng(0)], [3]), 2.0, (1, 3))
