"""The history replay's feedback-loop share with creations (issue 16 item 5): on a replayed
day the loop's leveraged funds trade the flow column's (L(L−1) + L·β)·A_{t−1}·r, the panic
rule is off (as ``gaemi stress --creations``), and the share moves the way β says.

One stress day from ../shared/data, 2025-04-04 (NDX −6.2 %: the tariff sell-off), replayed
with ``creations`` none and measured (β per fund class and side from the embedded
``creations_beta.csv``). The hand computation assembles the day's model from its parts —
the NDX funds with their start-of-day AUM from the run's AUM path, the scenario's other
participants, K from the class β by hand — and reads the loop's share by its definition,
r − r₀ = I(F(r)) (:func:`gaemi.core.feedback.implied_shock_frac`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

DAY = dt.date(2025, 4, 4)


@pytest.fixture(scope="module")
def runs(shared_data: Path) -> dict[str, Any]:
    from gaemi.app.flows import creations_beta_by_sign
    from gaemi.data.history import load_folder, run_history
    from gaemi.data.universe import load_default_universe

    u = load_default_universe()
    data = load_folder(shared_data, u.ticker.tolist())
    betas, _ = creations_beta_by_sign(u, "measured")
    assert betas is not None
    kw: dict[str, Any] = {"start": DAY, "end": DAY, "stats_since": DAY, "n_boot": 20}
    return {
        "none": run_history(data, u, **kw),
        "measured": run_history(data, u, creations_beta=betas, **kw),
        "inputs": (data, u, betas, kw),
    }


def _hand_share(
    run: Any, underlying: str, beta_by_class: dict[str, float] | None, scenario: Any = None
) -> tuple[float, float, Any]:
    """(K, loop share) of ``underlying`` on DAY assembled by hand: K = Σ (L(L−1) + L·β)·A
    over its replayed funds (β by class, 0 without creations), the scenario's model of a
    universe of those funds at their start-of-day AUM with K replaced (and the panic rule
    off with creations), share = I(F(r)) at the day's move r."""
    from gaemi.core.creations import fund_class
    from gaemi.core.participants import LetfRebalancing, RetailRedemptions
    from gaemi.core.universe import Universe
    from gaemi.data.stress import build_stress_model, load_default_stress

    u, aum = run.universe, run.aum
    col = int(np.flatnonzero(aum.dates == np.datetime64(DAY, "D"))[0])
    a_by_t = dict(zip(aum.ticker.tolist(), aum.aum_usd[:, col - 1], strict=True))  # A_{t−1}
    sel = np.flatnonzero(u.underlying_id == underlying)
    lev = u.leverage[sel]
    a = np.nan_to_num(np.array([a_by_t[str(t)] for t in u.ticker[sel]]), nan=0.0)
    # Korean shares known that day (dated after it: unknown), as the replay reads them
    ko = [bool(d) and dt.date.fromisoformat(str(d)) <= DAY for d in u.korean_as_of[sel]]
    share = np.where(ko, u.korean_share[sel], np.nan)
    beta = (
        np.zeros(sel.size)
        if beta_by_class is None
        else np.array([beta_by_class.get(str(c), 0.0) for c in fund_class(lev)])
    )
    k = float(np.sum((lev * (lev - 1) + lev * beta) * a))
    day_funds = Universe.hypothetical(
        leverage=lev.tolist(),
        aum_usd=a.tolist(),
        underlying_id=[underlying] * sel.size,
        korean_share=share.tolist(),
    )
    model = build_stress_model(scenario or load_default_stress(), day_funds, underlying)
    parts = []
    for p in model.participants:
        if isinstance(p, LetfRebalancing):
            p = LetfRebalancing(np.array([k]))
        elif isinstance(p, RetailRedemptions) and beta_by_class is not None:
            p = dataclasses.replace(p, elasticity=np.zeros_like(p.elasticity))
        parts.append(p)
    model = dataclasses.replace(model, participants=tuple(parts))
    row = run.daily_frame().set_index("underlying_id").loc[underlying]
    r = float(row["move_frac"])
    loop = float(model.impact.impact_frac(model.total_flow_usd(np.array([[r]])))[0, 0])
    return k, loop, row


@pytest.mark.parametrize("underlying", ["NDX", "SOX"])
def test_loop_share_uses_the_flow_columns_k_and_moves_the_way_beta_says(
    runs: dict[str, Any], underlying: str
) -> None:
    from gaemi.data.fund_history import load_directional_creation_betas

    d = load_directional_creation_betas()
    if d is None or d.model != "direction":
        pytest.skip("the embedded table uses the single β")
    k0, loop0, row0 = _hand_share(runs["none"], underlying, None)
    k1, loop1, row1 = _hand_share(runs["measured"], underlying, d.beta_down_by_class)
    assert row1["move_frac"] < 0  # a fall: β_down of each class
    # the flow column: K (flow per 1 % × 100) and K·r, by hand
    for k, row in ((k0, row0), (k1, row1)):
        assert row["flow_per_pct_usd"] * 100 == pytest.approx(k, rel=1e-9)
        assert row["flow_usd"] == pytest.approx(k * row["move_frac"], rel=1e-9)
    # the loop's share: the hand model (checked on `none` first, so the assembly is right)
    assert row0["model_extra_move_frac"] == pytest.approx(loop0, rel=1e-9, abs=1e-15)
    assert row1["model_extra_move_frac"] == pytest.approx(loop1, rel=1e-9, abs=1e-15)
    # long 3x dip-buying (β_down −0.577 < 0) offsets part of the sale: a smaller K and a
    # smaller (still negative) loop share than the identity alone
    assert d.beta_down_by_class["long_3x"] < 0
    assert k1 < k0
    assert row0["model_extra_move_frac"] < row1["model_extra_move_frac"] < 0


def test_panic_rule_is_off_with_creations_only(runs: dict[str, Any]) -> None:
    """A scenario with the panic rule on (elasticity 0.5, a what-if: the default is 0):
    without creations the loop's share of SOX (Korean SOXL holders known since 2024-08-02,
    a −7.5 % day, beyond the 3 % threshold) includes the rule; with creations it does not,
    and each equals the hand model of its kind."""
    from gaemi.data.fund_history import load_directional_creation_betas
    from gaemi.data.history import run_history
    from gaemi.data.stress import load_default_stress

    d = load_directional_creation_betas()
    if d is None or d.model != "direction":
        pytest.skip("the embedded table uses the single β")
    sc = load_default_stress()
    pp = {k: dict(v) for k, v in sc.participants.items()}
    pp["retail_redemptions"]["elasticity"] = 0.5
    panic = dataclasses.replace(sc, participants=pp)
    data, u, betas, kw = runs["inputs"]
    none = run_history(data, u, scenario=panic, **kw)
    meas = run_history(data, u, creations_beta=betas, scenario=panic, **kw)
    _, loop0, row0 = _hand_share(none, "SOX", None, panic)
    _, loop1, row1 = _hand_share(meas, "SOX", d.beta_down_by_class, panic)
    assert row0["move_frac"] < -0.03  # beyond the rule's threshold
    assert row0["model_extra_move_frac"] == pytest.approx(loop0, rel=1e-9)
    assert row1["model_extra_move_frac"] == pytest.approx(loop1, rel=1e-9)
    # the rule acted without creations (a deeper share than the default scenario's) and
    # not with them (the measured run's share is the default scenario's: rule off there)
    base0 = runs["none"].daily_frame().set_index("underlying_id").loc["SOX"]
    base1 = runs["measured"].daily_frame().set_index("underlying_id").loc["SOX"]
    assert row0["model_extra_move_frac"] < base0["model_extra_move_frac"] - 1e-6
    assert row1["model_extra_move_frac"] == pytest.approx(base1["model_extra_move_frac"], rel=1e-12)


def test_a_beta_that_turns_k_negative_is_one_line(runs: dict[str, Any]) -> None:
    """β = −3 for every fund: a 3x long fund's K per dollar is 6 − 9 < 0 — refused in one
    line naming the underlying and the day (the loop needs K >= 0), not a bare parameter
    error from deep in the engine."""
    from gaemi.app.flows import creations_beta_by_sign
    from gaemi.data.history import run_history
    from gaemi.errors import GaemiInputError

    data, u, _, kw = runs["inputs"]
    betas, _ = creations_beta_by_sign(u, -3.0)
    with pytest.raises(GaemiInputError, match=r"trade against the move on \d{4}-\d\d-\d\d") as e:
        run_history(data, u, creations_beta=betas, **kw)
    assert "\n" not in str(e.value)
