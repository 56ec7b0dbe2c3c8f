"""gaemi.app.crypto: the cascade set-up and the Korea table, laws of the result."""

from __future__ import annotations

import json

import pytest

from gaemi.app.crypto import crypto_cascade
from gaemi.errors import GaemiInputError


def test_money_adds_up_and_json_ready() -> None:
    r = crypto_cascade(None, {"BTC": -0.10})
    assets = r.to_frame("assets")
    # the per-asset liquidations and the per-round ones are the same money
    assert assets["liquidated_total_usd"].sum() == pytest.approx(r.total_liquidated_usd)
    rounds = r.to_frame("rounds")
    assert rounds["liquidated_total_usd"].sum() == pytest.approx(r.total_liquidated_usd)
    korea = r.to_frame("korea").set_index("holder")
    spot = korea.loc[[h for h in korea.index if h.startswith("spot ")], "pnl_krw"].sum()
    lending = korea.loc["coin lending (exposure)", "pnl_krw"]
    assert korea.loc["total", "pnl_krw"] == pytest.approx(spot + lending)
    json.dumps(r.to_dict(), allow_nan=False)


def test_bad_input() -> None:
    with pytest.raises(GaemiInputError, match="at least one shock"):
        crypto_cascade(None, {})
    with pytest.raises(GaemiInputError, match="depth-scale"):
        crypto_cascade(None, {"BTC": -0.1}, depth_scale=0.0)
