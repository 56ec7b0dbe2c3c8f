"""gaemi.app.sweep: the grid check, chunking that does not change numbers, the envelope."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from gaemi.app.sweep import sweep, sweep_spec
from gaemi.errors import GaemiInputError


def test_chunking_does_not_change_the_numbers() -> None:
    axes = {"leverage": (3.0, -3.0), "vol_annual": (0.3, 0.6)}
    a = sweep(None, "decay", axes=axes, paths=200, rng=5, chunk_points=1).to_frame()
    b = sweep(None, "decay", axes=axes, paths=200, rng=5, chunk_points=3).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_grid_check_refuses_in_one_line() -> None:
    with pytest.raises(GaemiInputError, match="shock_frac axis is required"):
        sweep_spec("feedback", {"impact_y": (0.7,)})
    with pytest.raises(GaemiInputError, match="unknown axis"):
        sweep_spec("decay", {"vol_annual": (0.3,), "shock_frac": (-0.05,)})
    with pytest.raises(GaemiInputError, match="engine"):
        sweep_spec("nope", {"vol_annual": (0.3,)})


def test_json_ready() -> None:
    r = sweep(None, "feedback", axes={"shock_frac": (-0.05, -0.01)})
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["points"] == 2
    assert len(d["records"]) == 2


def test_chunks_for_local_workers() -> None:
    from gaemi.app.sweep import CHUNK_POINTS, CHUNKS_PER_WORKER, chunk_for_workers

    # 100,000 shocks on 2 workers: ceil(100000 / (4 * 2)) = 12,500 points, 8 chunks
    assert chunk_for_workers("feedback", 100_000, 2) == 12_500
    # the 919,100-point grid gives more than 4 chunks per worker at the default size
    assert chunk_for_workers("feedback", 919_100, 2) == CHUNK_POINTS["feedback"]
    assert chunk_for_workers("decay", 9, 2) == 2  # ceil(9 / 8)
    assert chunk_for_workers("feedback", 1, 8) == 1
    for n in (1, 7, 1000, 100_000, 919_100):
        for w in (1, 2, 3, 8):
            c = chunk_for_workers("feedback", n, w)
            n_chunks = -(-n // c)
            assert n_chunks >= min(n, CHUNKS_PER_WORKER * w) or c == CHUNK_POINTS["feedback"]
    with pytest.raises(GaemiInputError, match="workers = 0"):
        chunk_for_workers("feedback", 10, 0)


def test_creations_rows_equal_the_stress_model_point_by_point() -> None:
    """The vectorised chunk with ``creations`` (one n-scenario model, K of each point's
    shock side) equals :func:`feedback_points_reference`, which solves each point on
    :func:`gaemi.app.stress.stress_setup`'s model (the ``gaemi stress --creations`` path),
    over falls, no move and rises, Korean AUM, liquidity and Y; β = −0.2 as well."""
    from gaemi.app.sweep import evaluate_chunk, feedback_points_reference

    axes = {
        "underlying": ("NDX", "SOX"),
        "korean_aum_usd": (10e9, 45e9),
        "liquidity_scale": (0.5, 1.0),
        "impact_y": (0.7,),
        "shock_frac": (-0.08, -0.02, 0.0, 0.03),
    }
    plain = evaluate_chunk(sweep_spec("feedback", axes), 0, 32)
    for creations in ("measured", -0.2):
        spec = sweep_spec("feedback", axes, creations=creations)
        got = evaluate_chunk(spec, 0, spec.n_points)
        pd.testing.assert_frame_equal(got, feedback_points_reference(spec, 0, spec.n_points))
        moved = got["shock_frac"] != 0
        assert (got["final_move_frac"][moved] != plain["final_move_frac"][moved]).all()


def test_default_sweep_has_no_creations_option_and_says_none() -> None:
    spec = sweep_spec("feedback", {"shock_frac": (-0.05,)})
    assert spec.option("creations") is None  # the kernel path is the one without creations
    assert sweep_spec("feedback", {"shock_frac": (-0.05,)}, creations="none") == spec
    r = sweep(None, "feedback", axes={"shock_frac": (-0.05, 0.04)}, creations="measured")
    (c,) = r.choices
    assert (c.name, c.value) == ("creations", "measured")
    assert "β of its shock's side" in c.why
    assert r.to_dict()["options"]["creations"] == "measured"
    assert sweep(None, "feedback", axes={"shock_frac": (-0.05,)}).choices[0].value == "none"
    with pytest.raises(GaemiInputError, match="feedback engine only"):
        sweep_spec("decay", {"vol_annual": (0.3,)}, creations="measured")
