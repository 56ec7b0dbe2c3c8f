"""gaemi.app.investor: the account set-up on the market state (USD/KRW on its day, the
won's calibrated link, the decay set-up's return model), seeds, the envelope."""

from __future__ import annotations

import json

import pytest

from gaemi.app.investor import investor
from gaemi.app.state import load_state
from gaemi.errors import GaemiInputError


def test_usdkrw_and_its_link_come_from_the_state() -> None:
    state = load_state()
    r = investor(state, 140e6, [("SOXL", 1.0)], margin=0.5, months=1, paths=200, rng=1)
    o = state.market.latest("usdkrw_level")  # market_derived.yaml: FRED DEXKOUS
    assert r.fx is not None
    assert r.fx.usdkrw == o.value
    # calibration: beta.USDKRW.SOX (each Korean session against the US one it had not seen)
    assert r.fx.beta == state.calibration.value("beta.USDKRW.SOX")
    assert r.choice("fx_beta").value == r.fx.beta
    json.dumps(r.to_dict(), allow_nan=False)


def test_same_seed_same_numbers_and_usd_has_no_fx() -> None:
    a = investor(None, 5e4, [("TQQQ", 1.0)], currency="USD", months=1, paths=300, rng=4)
    b = investor(None, 5e4, [("TQQQ", 1.0)], currency="USD", months=1, paths=300, rng=4)
    assert a.summary_dict() == b.summary_dict()
    assert a.fx is None
    assert "median_end_usd" in a.summary_dict()


def test_bad_input_is_one_line() -> None:
    with pytest.raises(GaemiInputError, match="currency"):
        investor(None, 1e6, [("SOXL", 1.0)], currency="EUR", paths=10)
    with pytest.raises(GaemiInputError, match="capital"):
        investor(None, -1.0, [("SOXL", 1.0)], paths=10)
