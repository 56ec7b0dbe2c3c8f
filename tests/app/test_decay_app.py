"""gaemi.app.decay: the one sideways-decay volatility rule, its fall-backs and refusals, the
result envelope, seeds; and the same rule in the report's decay outlook."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from gaemi.app.decay import SIDEWAYS_VOL_RULE, decay, erosion, sideways_decay, sideways_vol
from gaemi.app.state import load_state
from gaemi.data.returns import load_vol_defaults
from gaemi.errors import GaemiInputError


def test_rule_reads_the_states_60_day_vol() -> None:
    state = load_state()
    vol, _ = sideways_vol(state, "SOX")
    o = state.market.latest("sox_vol_60d")  # market_derived.yaml: SOXX 60-day realised
    assert vol.vol_annual == o.value
    assert vol.source == "60-day realised"
    assert vol.as_of == o.as_of
    assert vol.rule == SIDEWAYS_VOL_RULE


def test_rule_falls_back_to_the_one_year_vol_and_says_so() -> None:
    # TSLA has no 60-day series in the state: vol_params.yaml's one-year vol (last 252
    # daily log returns, scripts/build_vol_params.py), dated on or before the day.
    vd = load_vol_defaults()
    state = load_state()
    vol, warns = sideways_vol(state, "TSLA")
    assert vol.vol_annual == vd.underlyings["TSLA"].recent_vol_annual
    assert vol.source == "one-year realised"
    assert any("no 60-day volatility" in w for w in warns)
    r = sideways_decay(state, "TSLL", 6.0)
    assert r.vol == vol
    assert r.choice("vol_annual").value == vol.vol_annual


def test_no_volatility_known_that_day_is_refused() -> None:
    # a day before both the embedded 60-day point and vol_params.yaml's date: nothing is
    # known, so no number (never the later figure)
    vd = load_vol_defaults()
    day = dt.date.fromisoformat(vd.as_of) - dt.timedelta(days=30)
    state = load_state(as_of=day)
    with pytest.raises(GaemiInputError, match="no volatility known on"):
        sideways_decay(state, "SOXL", 6.0)
    # given a volatility, the answer is the closed form at it (and says "given")
    r = sideways_decay(state, "SOXL", 6.0, vol_annual=0.45)
    assert r.vol.source == "given"
    assert r.choices == ()


def test_the_report_uses_the_same_answer() -> None:
    # the report's decay outlook and the decay capability give one number per fund
    from gaemi.app.report import report

    state = load_state()
    rep = report(state)
    (sec,) = [s for s in rep.sections if s.key == "decay"]
    df = sec.tables["erosion"].set_index("ticker")
    for t in ("SOXL", "TQQQ"):
        r = sideways_decay(state, t, 6.0)
        assert df.loc[t, "loss_6m_flat_frac"] == pytest.approx(r.loss_frac, rel=1e-12)
        assert df.loc[t, "vol_frac"] == pytest.approx(r.vol.vol_annual, rel=1e-12)


def test_results_are_json_ready_with_unit_keys() -> None:
    state = load_state()
    for res in (
        sideways_decay(state, "SOXL"),
        erosion(state, "SOXL", vols_annual=[0.45], months=[6.0]),
        decay(state, "SOXL", months=1, paths=200, rng=1),
        decay(state, leverage=-3, vol_annual=0.6, months=1, paths=200, rng=1),
    ):
        d = res.to_dict()
        json.dumps(d, allow_nan=False)
        assert d["kind"] in ("sideways_decay", "decay_erosion", "decay")
        assert isinstance(res.summary(), str)


def test_same_seed_same_numbers() -> None:
    state = load_state()
    a = decay(state, "TQQQ", months=1, paths=300, rng=7).to_frame()
    b = decay(state, "TQQQ", months=1, paths=300, rng=7).to_frame()
    c = decay(state, "TQQQ", months=1, paths=300, rng=8).to_frame()
    assert a.equals(b)
    assert not a.equals(c)


def test_hypothetical_fund_needs_a_vol() -> None:
    with pytest.raises(GaemiInputError, match="needs vol_annual"):
        decay(None, leverage=3, paths=10)
    with pytest.raises(GaemiInputError, match="not a leveraged or inverse fund"):
        decay(None, leverage=0.5, vol_annual=0.3, paths=10)
