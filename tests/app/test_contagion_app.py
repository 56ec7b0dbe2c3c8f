"""gaemi.app.contagion: one cascade set-up (shocks replaced by node and day, one move for
every scenario shock), seeds, the envelope."""

from __future__ import annotations

import json

import pytest

from gaemi.app.contagion import cascade_model, contagion
from gaemi.errors import GaemiInputError


def test_shock_frac_gives_every_scenario_shock_that_move() -> None:
    base, replaced = cascade_model()
    assert not replaced
    m, replaced = cascade_model(shock_frac=-0.08)
    assert replaced
    assert [(s.node, s.day) for s in m.shocks] == [(s.node, s.day) for s in base.shocks]
    assert all(s.move == -0.08 for s in m.shocks)
    assert "graph only" in m.name


def test_given_shocks_are_case_insensitive_and_once_per_day() -> None:
    m, _ = cascade_model(shocks={"ndx": -0.05})
    assert [(s.node, s.move, s.day) for s in m.shocks] == [("NDX", -0.05, 0)]
    with pytest.raises(GaemiInputError, match="given twice for day 0"):
        cascade_model(shocks=[("NDX", -0.05, 0), ("ndx", -0.01, 0)])
    with pytest.raises(GaemiInputError, match=r"^shocks = 'MOON': NODE must be one of NDX, "):
        cascade_model(shocks={"MOON": -0.1})


def test_a_price_node_moves_above_minus_100_a_rate_node_in_pp() -> None:
    """-100 % is refused for a price node (the engine floors a price change at -99 %, so
    it ran as -99 %), in the words of every face; a rate node's -1.0 is a 1 pp cut."""
    with pytest.raises(GaemiInputError, match=r"^shocks\.NDX = -1\.0 must be above -100%$"):
        cascade_model(shocks={"ndx": -1.0})
    with pytest.raises(GaemiInputError, match=r"^shock_frac = -1\.0 must be above -100%$"):
        cascade_model(shock_frac=-1.0)  # the default scenario shocks NDX and SOX
    m, _ = cascade_model(shocks={"BOK_RATE": -1.0})
    assert [(s.node, s.move) for s in m.shocks] == [("BOK_RATE", -1.0)]


def test_same_seed_same_bands_and_json_ready() -> None:
    a = contagion(None, draws=10, rng=3, horizon_days=5)
    b = contagion(None, draws=10, rng=3, horizon_days=5)
    assert a.bands().equals(b.bands())
    d = a.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["kind"] == "contagion"
    assert {"change_mean", "change_unit"} <= set(d["bands"][0])
