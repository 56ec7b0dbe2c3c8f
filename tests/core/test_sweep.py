"""Sweep grids: row-major points, chunks that cover the grid, per-point seeds = spawn."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaemi.core.sweep import Axis, SweepSpec, point_seeds
from gaemi.errors import GaemiInputError


def spec(chunk: int = 7) -> SweepSpec:
    return SweepSpec(
        "feedback",
        (
            Axis("underlying", ("NDX", "SOX")),
            Axis("korean_aum_usd", (1e9, 45e9, 90e9)),
            Axis("shock_frac", (-0.05, -0.03, -0.01, 0.02)),
        ),
        chunk_points=chunk,
    )


def test_points_are_the_row_major_product() -> None:
    s = spec()
    assert s.shape == (2, 3, 4)
    assert s.n_points == 24
    pts = s.points(0, s.n_points)
    # reference: itertools.product is row-major (last axis fastest), like np.unravel_index
    expected = list(itertools.product(*(a.values for a in s.axes)))
    got = list(zip(pts["underlying"], pts["korean_aum_usd"], pts["shock_frac"], strict=True))
    assert [(str(u), float(a), float(r)) for u, a, r in got] == expected
    assert pts["point"].tolist() == list(range(24))


@settings(max_examples=40, deadline=None)
@given(chunk=st.integers(1, 30), start=st.integers(0, 24), width=st.integers(0, 24))
def test_chunks_cover_the_grid_once_and_slices_agree(chunk: int, start: int, width: int) -> None:
    s = spec(chunk)
    cs = s.chunks()
    covered = [i for a, b in cs for i in range(a, b)]
    assert covered == list(range(s.n_points))
    assert all(b - a <= chunk for a, b in cs)
    stop = min(s.n_points, start + width)
    whole = s.points(0, s.n_points)
    part = s.points(start, stop)
    for k, v in part.items():
        np.testing.assert_array_equal(v, whole[k][start:stop])


@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3])
def test_point_seeds_equal_spawn(seed: int) -> None:
    # reference: NumPy's own SeedSequence.spawn — child i must draw the same numbers
    children = np.random.SeedSequence(seed).spawn(40)
    mine = point_seeds(seed, 13, 40)
    for a, b in zip(children[13:], mine, strict=True):
        ga, gb = np.random.default_rng(a), np.random.default_rng(b)
        np.testing.assert_array_equal(ga.standard_normal(5), gb.standard_normal(5))
        assert a.spawn_key == b.spawn_key


def test_point_seeds_differ_between_points_and_seeds() -> None:
    a, b = point_seeds(1, 0, 2)
    c = point_seeds(2, 0, 1)[0]
    draws = [np.random.default_rng(s).random() for s in (a, b, c)]
    assert len(set(draws)) == 3


def test_option_lookup() -> None:
    s = SweepSpec("decay", (Axis("vol_annual", (0.2,)),), (("paths", 100),))
    assert s.option("paths") == 100
    assert s.option("missing", 3) == 3


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Axis("bad name", (1.0,)), "identifier"),
        (lambda: Axis("x", ()), "at least one value"),
        (lambda: Axis("x", (1.0, 1.0)), "repeat"),
        (lambda: Axis("x", (float("nan"),)), "not finite"),
        (lambda: SweepSpec("feedback", ()), "at least one axis"),
        (lambda: SweepSpec("f", (Axis("x", (1.0,)), Axis("x", (2.0,)))), "repeat a name"),
        (lambda: SweepSpec("f", (Axis("x", (1.0,)),), chunk_points=0), "chunk_points"),
        (lambda: SweepSpec("f", (Axis("x", (1.0,)),), seed=-1), "seed"),
        (
            lambda: SweepSpec("f", tuple(Axis(f"a{k}", tuple(range(1000))) for k in range(3))),
            "above the limit",
        ),
        (lambda: spec().points(5, 100), "outside"),
        (lambda: point_seeds(0, 3, 2), "not valid"),
    ],
)
def test_bad_input_is_one_line(make: object, message: str) -> None:
    with pytest.raises(GaemiInputError, match=message) as info:
        make()  # type: ignore[operator]
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------ vectorised == per point
def test_vectorised_feedback_sweep_equals_the_per_point_path() -> None:
    """Issue 21: one n-scenario solve per (underlying, Korean AUM) gives, to 1e-12, the
    rows of one scalar model and one solve per point (the path the sweep used to take;
    reference: :func:`gaemi.app.sweep.feedback_points_reference`)."""
    from gaemi.app.sweep import evaluate_chunk, feedback_points_reference, sweep_spec

    s = sweep_spec(
        "feedback",
        {
            "underlying": ["NDX", "SOX"],
            "korean_aum_usd": [0.0, 45e9, 150e9],
            "liquidity_scale": [0.1, 0.4, 1.0],
            "impact_y": [0.5, 0.9, 1.4],
            "shock_frac": [-0.15, -0.08, -0.04, -0.01, 0.02],
        },
        chunk_points=101,  # chunks that cut parameter sets in two
    )
    ref = feedback_points_reference(s, 0, s.n_points)
    got = np.concatenate([evaluate_chunk(s, a, b).to_numpy() for a, b in s.chunks()])
    import pandas as pd

    got_df = pd.DataFrame(got, columns=ref.columns).astype(ref.dtypes.to_dict())
    for c in ("final_move_frac", "extra_move_frac", "total_flow_usd", "amplification"):
        np.testing.assert_allclose(got_df[c], ref[c], rtol=1e-12, atol=1e-12, err_msg=c)
    assert (got_df["runaway"] == ref["runaway"]).all()
    assert (got_df["cb_level"] == ref["cb_level"]).all()
    # the grid reaches both regimes, so the comparison is not only of quiet points
    assert ref["cb_level"].nunique() >= 2
    assert (ref["final_move_frac"] < ref["shock_frac"] - 1e-6).any()


def test_one_parameter_set_is_one_solve_per_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cost follows the points: 5,000 shocks on one parameter set are one model build
    and one vectorised solve (the old path built a model per point)."""
    import gaemi.core.feedback as fb
    from gaemi.app.sweep import evaluate_chunk, sweep_spec

    s = sweep_spec("feedback", {"shock_frac": list(np.linspace(-0.1, -0.0001, 5000))})
    calls: list[int] = []
    real = fb.solve

    def counting(model: fb.StressModel, shock: object, **kw: object) -> fb.FeedbackResult:
        calls.append(np.size(shock))  # type: ignore[arg-type]
        return real(model, shock, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(fb, "solve", counting)
    evaluate_chunk(s, 0, s.n_points)
    assert calls == [5000]
