"""The market-wide level-3 circuit breaker: one rule for ``gaemi stress`` and the cascade.

Reference: NYSE Rule 7.12 / Nasdaq Rule 4121 — the S&P 500 down 20 % from the prior close
halts all US equities for the rest of the day. A node's halt level is −20 % x its beta to
the S&P 500 in stress_default.yaml (NDX 1.155 → −23.10 %, SOX 1.562 → −31.24 %, SPX 1).

* Property (random shock sets on NDX/SOX/SPX, the close-liquidity engine, central run
  and a small Monte Carlo with residuals): no US equity node ends a session below its
  halt level; when one node sits at its halt level, every US equity node of that session
  is marked halted; a halted session's close rows trade nothing after the trigger.
* The rule itself (:func:`stop_at_trigger`) against its closed form.
* ``gaemi stress`` with several underlyings: one halts → all halt; one underlying alone
  keeps :func:`gaemi.app.stress.stress`'s answer.
* ``--shock NDX=-99%`` alone: NDX stops at −23.10 %, SOX and SPX stop where the links had
  carried them at the trigger and are marked halted; the CLI's JSON, Python and
  ``POST /api/cascade`` agree.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from typing import Any

import numpy as np
import pytest

from gaemi.app.contagion import cascade_model, contagion, engine_nodes, event_table
from gaemi.core.contagion.breaker import stop_at_trigger
from gaemi.present.cli import main

#: stress_default.yaml spx_beta of each US equity node of the default cascade.
BETA = {"NDX": 1.155, "SOX": 1.562, "SPX": 1.0}
US = tuple(BETA)


def _day_moves(res: Any, node: str) -> np.ndarray:
    """(horizon, draws) day-on-day move of a node from its paths."""
    i = res.model.index(node)
    p = res.paths[i]  # (horizon + 1, draws)
    out: np.ndarray = p[1:] / p[:-1] - 1.0
    return out


def test_the_rule_is_its_closed_form() -> None:
    # NDX -99 % and SOX -10 % together: the implied S&P 500 is min(-0.99/1.155,
    # -0.10/1.562) = -85.71 %; both scale by 0.20 / 0.8571
    halted, stopped, spx = stop_at_trigger(np.array([-0.99, -0.10]), np.array([1.155, 1.562]))
    assert bool(halted)
    assert float(spx) == pytest.approx(-0.99 / 1.155)
    f = 0.20 / (0.99 / 1.155)
    assert stopped == pytest.approx([-0.99 * f, -0.10 * f])
    assert stopped[0] == pytest.approx(-0.2 * 1.155)  # the trigger at its own halt level
    # no trigger: nothing changes
    h2, s2, _ = stop_at_trigger(np.array([-0.2, -0.25]), np.array([1.155, 1.562]))
    assert not bool(h2)
    assert s2 == pytest.approx([-0.2, -0.25])


@cache
def _shock_sets() -> list[dict[str, float]]:
    rng = np.random.default_rng(18)  # fixed seed: the same sets every run
    sets: list[dict[str, float]] = [{"NDX": -0.99}, {"SOX": -0.99}, {"NDX": -0.05, "SOX": -0.45}]
    for _ in range(9):
        k = int(rng.integers(1, 4))
        nodes = rng.choice(US, size=k, replace=False)
        sets.append({str(n): float(rng.uniform(-0.6, 0.05)) for n in nodes})
    return sets


def _check_session_rule(res: Any, t_max: int) -> None:
    from gaemi.core.contagion.breaker import HALT_TOL

    moves = {n: _day_moves(res, n)[:t_max] for n in US}
    for n in US:
        # no US equity node ends a session below its halt level
        assert (moves[n] >= -0.2 * BETA[n] - 1e-9).all(), (n, moves[n].min())
    at_level = np.zeros_like(moves["NDX"], dtype=bool)
    for n in US:
        at_level |= moves[n] <= -0.2 * BETA[n] + 1e-9 + HALT_TOL
    for n in US:
        # when any node sits at its halt level, every US node of that session is halted
        assert res.halted[n][:t_max][at_level].all(), n
        # and the same sessions for every node: the halt is market-wide
        assert (res.halted[n][:t_max] == res.halted["NDX"][:t_max]).all(), n


@pytest.mark.parametrize("k", range(12))
def test_no_us_node_ends_below_its_halt_level_and_all_halt_together(k: int) -> None:
    from gaemi.app.contagion import feedback_models
    from gaemi.core.contagion import simulate

    shocks = _shock_sets()[k]
    m, _ = cascade_model(shocks=shocks)
    fm = feedback_models(m, "engine")
    res = simulate(m, deterministic=True, feedback_models=fm, keep_paths=True)
    _check_session_rule(res, m.horizon_days)
    t = event_table(res, engine_nodes(fm))
    halted_day0 = bool(res.halted["NDX"][0, 0])
    moved0 = {n: float(_day_moves(res, n)[0, 0]) for n in US}
    s0 = min(moved0[n] / BETA[n] for n in US)
    # a halted day 0 is one whose session reached the S&P 500's -20 %: some node at its
    # halt level (the trigger), every other above its own
    assert halted_day0 == (s0 <= -0.2 + 1e-9), (shocks, moved0)
    if halted_day0:
        rows = t[(t["day"] == 0) & t["event"].str.startswith(("halt:", "feedback:"))]
        assert rows["impact"].where(rows["event"].str.startswith("halt:"), 0.0).eq(0).all()
        assert (rows["amount"].where(rows["event"].str.startswith("halt:"), 0.0) <= 0).all()


def test_monte_carlo_draws_keep_the_rule() -> None:
    from gaemi.app.contagion import feedback_models
    from gaemi.core.contagion import simulate

    # a shock near the halt level: residuals and parameter draws push some draws past it
    m, _ = cascade_model(shocks={"NDX": -0.2, "SOX": -0.25})
    fm = feedback_models(m, "engine")
    res = simulate(m, 64, rng=7, feedback_models=fm, keep_paths=True)
    _check_session_rule(res, m.horizon_days)
    share = res.halted["NDX"][0].mean()
    assert 0 < share <= 1  # the draws differ: some halt


# --------------------------------------------------------------------- gaemi stress
def test_stress_session_one_halts_all_halt() -> None:
    from gaemi.app.state import load_state
    from gaemi.app.stress import stress, stress_session

    state = load_state()
    for shock in (-0.99, -0.25, -0.02):
        single = [stress(state, u, shock) for u in ("NDX", "SOX")]
        sess = stress_session(state, ["NDX", "SOX"], shock)
        finals = [r.final_move_frac for r in sess]
        for r, f in zip(sess, finals, strict=True):
            assert f >= -0.2 * BETA[r.setup.underlying] - 1e-12
        halted = [bool(r.to_frame()["cb_halt"].iloc[0]) for r in sess]
        assert all(halted) or not any(halted), (shock, halted)
        if not any(bool(r.result.halted[0]) for r in single):
            assert finals == [r.final_move_frac for r in single]  # no halt: as before
        if shock == -0.99:
            # both stop at the shock scaled to the S&P 500's -20 % (NDX triggers first):
            # -0.99 x 0.2 / (0.99 / 1.155) = -23.10 %
            assert finals == pytest.approx([-0.231, -0.231])
            assert all(float(r.result.filled_usd[0]) == 0.0 for r in sess)
            assert all(float(r.result.unfilled_usd[0]) < 0 for r in sess)
            assert all(float(r.result.extra_move_frac[0]) == 0.0 for r in sess)
    # one underlying alone: the stress engine's own answer
    one = stress_session(state, ["SOX"], -0.99)[0]
    assert one.final_move_frac == stress(state, "SOX", -0.99).final_move_frac == -0.3124


# ------------------------------------------------------------------ -99 % NDX alone
@cache
def _ndx() -> Any:
    return contagion(shocks={"NDX": -0.99})


def test_ndx_alone_halts_every_us_node() -> None:
    res = _ndx()
    central = res.central
    moved = {n: float(_day_moves_central(central, n)) for n in US}
    assert moved["NDX"] == pytest.approx(-0.2 * 1.155)
    assert moved["SOX"] > -0.2 * 1.562  # stopped where the link had carried it
    assert moved["SPX"] > -0.2
    for n in US:
        assert bool(central.halted[n][0, 0]), n
        assert not central.halted[n][1:].any(), n  # the next session trades again
    ev = res.events()
    by = {(r["event"], r["day"]): r for r in ev.to_dict("records")}
    for n in ("NDX", "SOX"):
        fb = by[(f"feedback:{n}", 0)]
        assert fb["halted"]
        assert fb["amount"] == 0.0
        assert fb["impact"] == 0.0
        assert fb["unfilled_usd"] < 0
    spx = by[("halt:SPX", 0)]
    assert spx["halted"]
    assert spx["impact"] == 0.0


def _day_moves_central(central: Any, node: str) -> float:
    i = central.model.index(node)
    return float(central.mean_path[i, 1] / central.mean_path[i, 0] - 1.0)


def test_ndx_alone_is_the_same_on_every_face(capsys: pytest.CaptureFixture[str]) -> None:
    keys = ["event", "node", "day", "amount", "impact", "halted", "unfilled_usd", "action"]
    want = _ndx().events()[keys].to_dict("records")
    capsys.readouterr()
    assert main(["cascade", "--shock", "NDX=-99%", "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert [{k: r[k] for k in keys} for r in cli] == want
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from gaemi.present.web.app import create_app

    with TestClient(create_app()) as client:
        r = client.post("/api/cascade", json={"shocks_frac_by_node": {"NDX": -0.99}})
    assert r.status_code == 200, r.text
    api = r.json()["events"]
    assert [{k: x[k] for k in keys} for x in api] == want
    assert any(x["event"] == "halt:SPX" and x["halted"] for x in api)
