"""Impact models: the square-root law (Tóth et al. 2011) and linear Kyle λ."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gaemi.core.impact import LinearImpact, SquareRootImpact, lambda_from_sqrt
from gaemi.errors import GaemiInputError


def test_sqrt_law_at_one_daily_volume_is_y_sigma() -> None:
    # Tóth et al. (2011): Δp/p = Y·σ_d·sqrt(Q/V_d); a metaorder of one day's volume moves Y·σ_d.
    imp = SquareRootImpact(np.array([0.7]), np.array([0.02]), np.array([1e10]))
    assert imp.impact_frac(np.array([-1e10]))[0] == pytest.approx(-0.7 * 0.02, rel=1e-15)
    # a quarter of the volume moves half as much (square root)
    assert imp.impact_frac(np.array([2.5e9]))[0] == pytest.approx(0.5 * 0.7 * 0.02, rel=1e-15)


def test_linear_kyle_lambda() -> None:
    # Kyle (1985): Δp/p = λ·Q
    imp = LinearImpact(np.array([1e-12]))
    np.testing.assert_allclose(imp.impact_frac(np.array([-5e9, 2e9])), [-5e-3, 2e-3], rtol=1e-15)


def test_vectorised_over_scenarios() -> None:
    imp = SquareRootImpact(np.array([0.5, 1.0]), np.array([0.01, 0.02]), np.array([1e10, 4e10]))
    out = imp.impact_frac(np.array([[1e10, 4e10], [1e10, 4e10]]))  # (n, k)
    # independent: Y σ sqrt(Q/V) per row
    expected = np.array([[0.005, 0.01], [0.01, 0.02]])
    np.testing.assert_allclose(out, expected, rtol=1e-14)


@given(
    q=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    y=st.floats(min_value=0.1, max_value=2.0),
    sig=st.floats(min_value=0.001, max_value=0.1),
    v=st.floats(min_value=1e8, max_value=1e12),
)
def test_inverse_and_oddness(q: float, y: float, sig: float, v: float) -> None:
    for imp in (
        SquareRootImpact(np.array([y]), np.array([sig]), np.array([v])),
        LinearImpact(np.array([y * sig / v])),
    ):
        r = imp.impact_frac(np.array([q]))
        assert imp.impact_frac(np.array([-q]))[0] == pytest.approx(-r[0], abs=1e-300)
        assert imp.flow_for_move(r)[0] == pytest.approx(q, rel=1e-9, abs=1e-6)


@given(
    gamma=st.floats(min_value=0.0, max_value=1e12),
    beta=st.floats(min_value=0.0, max_value=1e13),
    c=st.floats(min_value=1e-9, max_value=1e-6),
)
def test_sqrt_piece_root_solves_its_equation(gamma: float, beta: float, c: float) -> None:
    # u = c·sqrt(γ + β·u): the closed form used inside the feedback solver
    imp = SquareRootImpact(np.array([1.0]), np.array([c]), np.array([1.0]))
    u = float(imp.piece_root(np.array([gamma]), np.array([beta]))[0])
    assert u >= 0
    assert u == pytest.approx(c * np.sqrt(gamma + beta * u), rel=1e-9, abs=1e-15)


def test_linear_piece_root_and_no_root_when_unstable() -> None:
    imp = LinearImpact(np.array([1e-12]))
    # u = λ(γ + βu) ⇒ u = λγ/(1 − λβ)
    u = imp.piece_root(np.array([1e9, 1e9]), np.array([5e11, 2e12]))
    assert u[0] == pytest.approx(1e-3 / 0.5, rel=1e-14)
    assert np.isnan(u[1])  # λβ = 2 >= 1: no equilibrium on this stretch


def test_lambda_from_sqrt_matches_at_the_calibration_flow() -> None:
    sq = SquareRootImpact(np.array([0.7]), np.array([0.015]), np.array([1.5e11]))
    lam = lambda_from_sqrt(sq, 1.4e10)
    lin = LinearImpact(lam)
    assert lin.impact_frac(np.array([1.4e10]))[0] == pytest.approx(
        sq.impact_frac(np.array([1.4e10]))[0], rel=1e-14
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y": [0.0], "sigma_daily": [0.01], "volume_usd": [1e9]}, "impact.y"),
        ({"y": [0.7], "sigma_daily": [-0.01], "volume_usd": [1e9]}, "sigma_daily"),
        ({"y": [0.7], "sigma_daily": [0.01], "volume_usd": [-1e9]}, "volume_usd"),
        ({"y": [0.7], "sigma_daily": [np.nan], "volume_usd": [1e9]}, "finite"),
    ],
)
def test_bad_parameters_are_one_line_errors(kwargs: dict[str, list[float]], match: str) -> None:
    with pytest.raises(GaemiInputError, match=match) as exc:
        SquareRootImpact(**{k: np.array(v) for k, v in kwargs.items()})  # type: ignore[arg-type]
    assert "\n" not in str(exc.value)


# ------------------------------------------------------- linear below the crossover flow Q×
def _cross(qx: float, c: float = 2e-8) -> SquareRootImpact:
    return SquareRootImpact(np.array([1.0]), np.array([c]), np.array([1.0]), np.array([qx]))


def test_crossover_is_linear_below_and_the_law_above() -> None:
    # |I| = c·Q/sqrt(Q×) below Q×, c·sqrt(Q) above (continuous at Q×): independent algebra
    imp = _cross(1e10)
    c = 2e-8
    out = imp.impact_frac(np.array([-1e9, 1e10, 4e10, 0.0]))
    np.testing.assert_allclose(out, [-c * 1e9 / 1e5, c * 1e5, c * 2e5, 0.0], rtol=1e-14, atol=0.0)
    assert imp.small_flow_lambda[0] == pytest.approx(c / 1e5, rel=1e-15)
    # Q× = 0 is the pure law
    assert _cross(0.0).impact_frac(np.array([1e6]))[0] == pytest.approx(c * 1e3, rel=1e-15)


@given(
    q=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    qx=st.floats(min_value=0.0, max_value=1e11),
)
@example(q=1e12, qx=5e-324)  # found by Hypothesis: |Q|/Q× overflowed (no warning now)
def test_crossover_inverse_oddness_and_never_above_the_law(q: float, qx: float) -> None:
    imp = _cross(qx)
    pure = _cross(0.0)
    r = imp.impact_frac(np.array([q]))
    assert imp.impact_frac(np.array([-q]))[0] == pytest.approx(-r[0], abs=1e-300)
    assert abs(r[0]) <= abs(pure.impact_frac(np.array([q]))[0]) * (1 + 1e-12)
    assert imp.flow_for_move(r)[0] == pytest.approx(q, rel=1e-9, abs=1e-6)


@given(
    gamma=st.floats(min_value=0.0, max_value=1e12),
    beta=st.floats(min_value=0.0, max_value=1e13),
    qx=st.floats(min_value=1.0, max_value=1e11),
)
def test_crossover_piece_root_is_the_down_crossing(gamma: float, beta: float, qx: float) -> None:
    # u = |I|(γ + β·u), the larger root: ψ(u) = |I|(γ+βu) − u is >= 0 just below it and
    # < 0 just above (or no root: ψ stays >= 0, NaN)
    imp = _cross(qx, c=2e-8)
    u = float(imp.piece_root(np.array([gamma]), np.array([beta]))[0])

    def psi(x: float) -> float:
        return float(imp.impact_frac(np.array([gamma + beta * x]))[0]) - x

    if np.isnan(u):
        assert psi(1e3) >= 0  # runs away: the linear part has λ×β >= 1
        return
    assert u >= 0
    assert psi(u) == pytest.approx(0.0, abs=1e-12 * max(1.0, u))
    assert psi(u * (1 + 1e-6) + 1e-15) < 0


_SCALAR_FLOWS = [0.0, -0.0, 1.0, -1.0, 5e-324, 1e8, -1e8, 3e8, -3e8, 1e12, -1e12, np.inf, np.nan]


@pytest.mark.parametrize("qx", [0.0, 5e-324, 3e8, 1e308])
def test_one_scenario_scalar_path_has_the_bits_of_the_array_path(qx: float) -> None:
    # impact_frac of one flow on a one-scenario model takes a float path (the scalar
    # reference solver); the reference is the NumPy path, which a (1, k) array with k > 1
    # takes: the same IEEE operations, so float.hex must agree, at Q× and its neighbours too
    imp = SquareRootImpact(np.array([0.7]), np.array([0.015]), np.array([2e10]), qx)
    flows = [*_SCALAR_FLOWS, qx, -qx, np.nextafter(qx, 0.0), np.nextafter(qx, np.inf)]
    with np.errstate(all="ignore"):
        ref = imp.impact_frac(np.array([flows, flows]).reshape(1, -1))[0, : len(flows)]
    for f, want in zip(flows, ref, strict=True):
        for arg in (f, np.float64(f), np.array(f), np.array([f])):
            got = imp.impact_frac(arg)
            assert got.shape == (1,)
            assert float(got[0]).hex() == float(want).hex(), (f, arg)
        got2 = imp.impact_frac(np.array([[f]]))
        assert got2.shape == (1, 1)
        assert float(got2[0, 0]).hex() == float(want).hex()
