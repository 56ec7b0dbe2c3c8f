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
