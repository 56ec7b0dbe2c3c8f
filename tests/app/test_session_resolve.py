"""A cascade session halted by a LATER node's close is re-solved from its start (issue 18).

Reference: :func:`gaemi.app.stress.stress_session` for the same shocks — the market-wide
level-3 breaker (NYSE Rule 7.12) as ``gaemi stress`` applies it: when one underlying's
close loop reaches its halt level (−20 % × its S&P 500 beta, stress_default.yaml), every
other underlying stops at its pre-close move (the shock) with its close flow unfilled,
and the trigger keeps :func:`gaemi.app.stress.stress`'s halted answer.

* Property (seeded shock sets on NDX, SOX and sometimes SPX where SOX — stepped after
  NDX — is the node whose own close halts, :func:`stress` alone says so): every US node
  of day 0 is halted, no node but the trigger has traded close volume, the trigger's
  traded volume is ``stress_session``'s, no "halted after its close" row is left, and
  the cascade's day-0 moves equal ``stress_session``'s final moves.
* Monte Carlo: per draw, a halted day 0 leaves NDX exactly at its shock (no close ran),
  a day 0 that did not halt lets NDX's close move it.
* ``gaemi cascade --shock NDX=-10% --shock SOX=-30.5% --format json`` equals Python.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pytest

from gaemi.app.contagion import cascade_model, contagion, feedback_models
from gaemi.present.cli import main

US = ("NDX", "SOX", "SPX")


@cache
def _state() -> Any:
    from gaemi.app.state import load_state

    return load_state()


@cache
def _sets() -> list[dict[str, float]]:
    """Seeded shock sets in which SOX's own close reaches its halt level and NDX's does
    not, and the shocks alone imply an S&P 500 move above −20 % (no halt before the
    close): a later node triggers."""
    from gaemi.app.stress import stress

    rng = np.random.default_rng(1818)  # fixed seed: the same sets every run
    out: list[dict[str, float]] = []
    while len(out) < 6:
        s = {"NDX": float(rng.uniform(-0.20, -0.01)), "SOX": float(rng.uniform(-0.3120, -0.2950))}
        if rng.random() < 0.5:
            s["SPX"] = float(rng.uniform(-0.15, 0.0))
        sox = stress(_state(), "SOX", s["SOX"]).result
        ndx = stress(_state(), "NDX", s["NDX"]).result
        if bool(sox.halted[0]) and not bool(ndx.halted[0]):
            out.append(s)
    return out


def _day0(res: Any, node: str) -> np.ndarray:
    i = res.model.index(node)
    out: np.ndarray = res.paths[i, 1] / res.paths[i, 0] - 1.0
    return out


@pytest.mark.parametrize("k", range(6))
def test_a_later_trigger_halts_the_whole_session_as_stress_session(k: int) -> None:
    from gaemi.app.stress import stress_session

    shocks = _sets()[k]
    res = contagion(shocks=shocks)
    central = res.central
    names = list(shocks)
    sess = {r.setup.underlying: r for r in stress_session(_state(), names, shocks)}
    assert all(r.session_halted for r in sess.values())
    for n in US:
        assert bool(central.halted[n][0, 0]), (n, shocks)  # every US node halted
    ev = res.events()
    day0 = ev[ev["day"] == 0].set_index("event")
    # no node kept a close made before the trigger
    assert not day0["action"].str.contains("after .* close", regex=True).any()
    for n in names:
        moved = (
            float(central.mean_path[central.model.index(n), 1])
            / float(central.mean_path[central.model.index(n), 0])
            - 1.0
        )
        want = sess[n].final_move_frac
        assert moved == pytest.approx(want, abs=1e-12), (n, shocks, moved, want)
        fb = f"feedback:{n}"
        if fb not in day0.index:  # SPX has no close feedback: it stops at its shock
            assert want == shocks[n]
            continue
        row = day0.loc[fb]
        assert bool(row["halted"])
        filled = float(sess[n].result.filled_usd[0])
        # the cascade's hook starts from the scenario's Korean AUM, rounded (SOX $1.616B
        # against the universe's $1.61609B): the flows agree to 1e-5, as in
        # test_contagion_halt; the moves exactly
        assert row["amount"] == pytest.approx(filled, rel=1e-5, abs=1.0)
        assert row["unfilled_usd"] == pytest.approx(float(sess[n].result.unfilled_usd[0]), rel=1e-5)
        if n != "SOX":  # not the trigger: stopped at its shock, nothing traded
            assert row["amount"] == 0.0
            assert row["impact"] == 0.0
            assert want == shocks[n]
            assert row["unfilled_usd"] < 0


def test_monte_carlo_draws_are_resolved_one_by_one() -> None:
    from gaemi.core.contagion import simulate

    # SOX near the shock at which its own close halts: the parameter draws decide
    m, _ = cascade_model(shocks={"NDX": -0.10, "SOX": -0.294})
    fm = feedback_models(m, "engine")
    res = simulate(m, 48, rng=11, feedback_models=fm, keep_paths=True)
    halted = res.halted["NDX"][0]
    assert 0 < halted.mean() < 1  # the draws differ
    for n in US:
        assert (res.halted[n][0] == halted).all()
    ndx = _day0(res, "NDX")
    # a halted session ran no close: NDX stays exactly at its shock; else its close moved it
    assert ndx[halted] == pytest.approx(-0.10, abs=1e-14)
    assert (ndx[~halted] < -0.10 - 1e-6).all()
    sox = _day0(res, "SOX")
    assert sox[halted] == pytest.approx(-0.2 * 1.562, abs=1e-12)  # SOX at its halt level


def test_cli_json_equals_python(capsys: pytest.CaptureFixture[str]) -> None:
    keys = ["event", "node", "day", "amount", "impact", "halted", "unfilled_usd", "action"]
    want = contagion(shocks={"NDX": -0.10, "SOX": -0.305}).events()[keys].to_dict("records")
    capsys.readouterr()
    argv = ["cascade", "--shock", "NDX=-10%", "--shock", "SOX=-30.5%", "--format", "json"]
    assert main(argv) == 0
    cli = json.loads(capsys.readouterr().out)
    assert [{k: r[k] for k in keys} for r in cli] == want
    ndx = next(r for r in cli if r["event"] == "feedback:NDX" and r["day"] == 0)
    assert ndx["amount"] == 0.0
    assert ndx["halted"]
    assert ndx["unfilled_usd"] < 0


# ------------------------------------------------------------------ gaemi stress --curve
@pytest.mark.parametrize("names", [("NDX", "SOX"), ("NDX", "SOX", "SPX")])
def test_curve_applies_the_session_rule_per_grid_move(names: tuple[str, ...]) -> None:
    # reference: stress_session at each grid move (the session rule for one shock)
    from gaemi.app.stress import stress_curve, stress_curve_session, stress_session

    grid = np.array([-0.99, -0.40, -0.305, -0.30, -0.25, -0.22, -0.10, -0.02, 0.0, 0.03])
    curves = stress_curve_session(_state(), list(names), grid)
    assert [c.setup.underlying for c in curves] == list(names)
    halted_any = False
    for j, x in enumerate(grid):
        sess = stress_session(_state(), list(names), float(x))
        halted = [bool(c.session_halted[j]) for c in curves]  # type: ignore[index]
        assert all(halted) or not any(halted)
        halted_any |= halted[0]
        for c, r in zip(curves, sess, strict=True):
            got, want = c.result, r.result
            assert halted[0] == r.session_halted, (x, c.setup.underlying)
            for f in ("final_move_frac", "filled_usd", "unfilled_usd", "total_flow_usd"):
                assert float(getattr(got, f)[j]) == pytest.approx(
                    float(getattr(want, f)[0]), rel=1e-12, abs=1e-6
                ), (x, c.setup.underlying, f)
            assert bool(got.halted[j]) == bool(want.halted[0])
            row = c.to_frame().iloc[j]
            assert bool(row["cb_halt"]) == (halted[0] or bool(want.cb_halt[0]))
    assert halted_any  # the grid reaches the halt
    # one underlying alone: stress_curve's own answer
    one = stress_curve_session(_state(), ["SOX"], grid)[0]
    alone = stress_curve(_state(), "SOX", grid)
    assert (one.result.final_move_frac == alone.result.final_move_frac).all()


def test_cli_curve_json_equals_python(capsys: pytest.CaptureFixture[str]) -> None:
    from gaemi.app.stress import stress_curve_session
    from gaemi.core.flows import ladder_moves

    argv = ["stress", "-u", "NDX", "-u", "SOX", "--curve", "--shocks=-32%:-28%:1%"]
    capsys.readouterr()
    assert main([*argv, "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    grid = ladder_moves(-0.32, -0.28, 0.01)
    py = [
        r
        for c in stress_curve_session(_state(), ["NDX", "SOX"], grid)
        for r in c.to_frame().to_dict("records")
    ]
    keys = ["underlying", "shock_frac", "final_move_frac", "halted", "cb_halt", "unfilled_usd"]
    assert [{k: r[k] for k in keys} for r in cli] == [{k: r[k] for k in keys} for r in py]
    # -30 %: SOX's shock alone is above its halt level, but NDX's (-30 % / 1.155) is past
    # the S&P 500's -20 %: both stop at the trigger, nothing filled
    at = [r for r in cli if r["shock_frac"] == pytest.approx(-0.30)]
    assert all(r["halted"] and r["cb_halt"] and r["filled_usd"] == 0 for r in at)
