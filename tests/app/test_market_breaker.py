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
* A trigger that needs an earlier node's close (reached through a link from it): that
  close stops part-way, at the closed form of a linear link (``ndx_spx`` at 0.98: NDX at
  −20 % / 0.98, the traded flow the stress model's inverse square-root impact of the move
  made); seeded single-node shocks in a Monte Carlo: every halted session at an implied
  S&P 500 of −20 % (1e-12), no close kept before the trigger, the shocked node between its
  shock and its hook's close; draws that never halt, and runs without a halt, equal the
  run without the breaker bit for bit; ``--shock NDX=-21% --draws 200`` bands equal on
  CLI, Python and ``/api/cascade``.
* A halted close row says when the halt came, each kind with its share of the draws
  (``SOX=-29.5%``, 48 draws: part-way, during its own close, before it, after a full
  close; classified from the paths and the hook); no "before the close" clause with
  flow traded, no "$0 ... left unfilled" in any halted run above.
"""

from __future__ import annotations

import json
import re
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


#: A "before the close" clause of a close row: what was left unfilled, then what traded.
_BEFORE = re.compile(
    r"before the close(?: in \d+% of draws)? at [-+][\d.]+%: \S+ of (?:selling|buying) "
    r"left unfilled, (\S+) traded"
)


def _check_close_rows(res: Any) -> None:
    """Every halted close row says when the halt came: a close halted before it traded
    nothing ("before the close ... $0 traded"); one that traded is "during" or "after"
    it, and a close that ran whole ("after a full close") has no "$0 ... unfilled"."""
    for e in res.events:
        if not (e.event.startswith("feedback:") and "circuit breaker halts" in e.action):
            continue
        assert all(x == "$0" for x in _BEFORE.findall(e.action)), e.action
        assert "$0 of selling left unfilled" not in e.action, e.action
        assert "$0 of buying left unfilled" not in e.action, e.action


@pytest.mark.parametrize("k", range(12))
def test_no_us_node_ends_below_its_halt_level_and_all_halt_together(k: int) -> None:
    from gaemi.app.contagion import feedback_models
    from gaemi.core.contagion import simulate

    shocks = _shock_sets()[k]
    m, _ = cascade_model(shocks=shocks)
    fm = feedback_models(m, "engine")
    res = simulate(m, deterministic=True, feedback_models=fm, keep_paths=True)
    _check_session_rule(res, m.horizon_days)
    _check_close_rows(res)
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


# ------------------------------------------- a trigger that needs an earlier node's close
# Issue 18, build item 4: when the node that reaches its halt level does so only through a
# link from an EARLIER node's close (SOX or SPX after NDX's close, NDX after SOX's), the
# earlier closes stop part-way, where the trigger just reaches its halt level: the
# session's implied S&P 500 move is -20 %, every US node at or above its halt level, all
# halted together, nothing left "halted after its close", the rest of the selling unfilled.
def _day0(res: Any, node: str) -> np.ndarray:
    i = res.model.index(node)
    out: np.ndarray = res.paths[i, 1] / res.paths[i, 0] - 1.0
    return out


def test_a_linear_link_trigger_stops_the_earlier_close_at_its_closed_form() -> None:
    # NDX -20 % alone with the ndx_spx link at 0.98 (a what-if of its beta): NDX's own
    # close (about -20.8 %) would carry SPX past -20 %, its shock alone (-19.6 %) not.
    # Closed form of the linear link: SPX reaches -20 % when NDX is at -20 % / 0.98.
    from gaemi.app.contagion import feedback_models
    from gaemi.app.state import load_state
    from gaemi.app.stress import stress
    from gaemi.core.contagion import simulate

    m, _ = cascade_model(shocks={"NDX": -0.20})
    fm = feedback_models(m, "engine")
    res = simulate(
        m,
        deterministic=True,
        feedback_models=fm,
        keep_paths=True,
        params={("ndx_spx", "beta"): 0.98},
    )
    ndx, sox, spx = (float(_day0(res, n)[0]) for n in US)
    assert spx == pytest.approx(-0.20, abs=1e-12)
    assert spx >= -0.20
    assert ndx == pytest.approx(-0.20 / 0.98, abs=1e-12)
    for n in US:
        assert bool(res.halted[n][0, 0]), n
    # the day order would have let NDX close (the stress engine's answer from -20 %)
    state = load_state()
    full = stress(state, "NDX", -0.20)
    assert full.final_move_frac < ndx < -0.20
    t = event_table(res, engine_nodes(fm))
    day0 = t[t["day"] == 0].set_index("event")
    assert not day0["action"].str.contains("after .* close", regex=True).any()
    fb = day0.loc["feedback:NDX"]
    # traded: the flow whose square-root impact is the move made (the stress model's
    # inverse impact); unfilled: the rest of the close flow (as gaemi stress, to the
    # 1e-5 of the Korean AUM rounding, see test_session_resolve)
    impact = full.setup.model.impact
    want = float(np.reshape(impact.flow_for_move(np.array([[ndx + 0.20]])), -1)[0])
    assert fb["amount"] == pytest.approx(want, rel=1e-9)
    assert fb["amount"] < 0
    assert fb["unfilled_usd"] < 0
    assert fb["amount"] + fb["unfilled_usd"] == pytest.approx(
        float(full.result.total_flow_usd[0]), rel=1e-5
    )
    assert fb["impact"] == pytest.approx(ndx + 0.20, abs=1e-15)  # a fall, never positive
    # the row says the halt came during the close, with its own traded and unfilled flow
    # (the amounts just checked against the inverse impact), not "before the close"
    from gaemi.units import format_usd

    for node in ("NDX", "SOX"):
        row = day0.loc[f"feedback:{node}"]
        move = float(_day0(res, node)[0])
        traded, left = (float(np.asarray(row[k], dtype=float)) for k in ("amount", "unfilled_usd"))
        assert row["action"].startswith(
            f"level-3 circuit breaker halts {node} during the close (a linked node reached "
            f"its halt level) at {move:+.2%}: {format_usd(traded, signed=True)} "
            f"traded, {format_usd(abs(left))} of selling left unfilled "
            "(close flow of all participants: "
        ), row["action"]
    # SOX (stepped between NDX and SPX) stops at the same fraction of its close
    frac = (ndx + 0.20) / (full.final_move_frac + 0.20)
    pre_sox = float(res.params[("ndx_sox", "beta")][0]) * ndx
    close_sox = stress(state, "SOX", pre_sox).final_move_frac
    assert sox == pytest.approx(pre_sox + frac * (close_sox - pre_sox), abs=1e-6)
    halts = day0[day0.index.str.startswith("halt:")]
    assert (halts["impact"] == 0).all()
    assert list(halts.index) == ["halt:SPX"]


@cache
def _link_sets() -> list[dict[str, float]]:
    """Seeded single-node shocks just short of the halt: in some draws the trigger is a
    node the links reach after the shocked node's close."""
    rng = np.random.default_rng(1804)  # fixed seed: the same sets every run
    return [
        {"NDX": float(rng.uniform(-0.225, -0.19))},
        {"NDX": float(rng.uniform(-0.225, -0.19))},
        {"SOX": float(rng.uniform(-0.295, -0.27))},
    ]


@pytest.mark.parametrize("k", range(3))
def test_link_carried_triggers_halt_consistently_in_every_draw(k: int) -> None:
    from gaemi.app.contagion import feedback_models
    from gaemi.core.contagion import simulate

    shocks = _link_sets()[k]
    m, _ = cascade_model(shocks=shocks)
    fm = feedback_models(m, "engine")
    assert fm is not None
    res = simulate(m, 48, rng=18 + k, feedback_models=fm, keep_paths=True)
    _check_session_rule(res, m.horizon_days)
    _check_close_rows(res)
    moves = {n: _day_moves(res, n) for n in US}
    spx = np.min(np.stack([moves[n] / BETA[n] for n in US]), axis=0)
    halted = res.halted["NDX"]
    assert halted[0].any(), shocks
    # a halted session stopped where its implied S&P 500 move just reached -20 %
    assert spx[halted] == pytest.approx(-0.20, abs=1e-12)
    assert (spx[~halted] > -0.20).all()
    # no node kept a close made before the trigger (the day order no longer stands)
    assert not any("after" in e.action for e in res.events if e.event.startswith("halt:"))
    # the shocked node's close stopped part-way in some draws: between its shock and the
    # close the engine's hook makes from it with the draw's parameters
    ((node, x),) = shocks.items()
    keys = m.node(node).close_feedback.params  # type: ignore[union-attr]
    hook = fm[f"node:{node}"]({p: res.params[(f"feedback:{node}", p)] for p in keys})
    close = np.asarray(hook(np.full(48, x)).move_frac)
    day0 = _day0(res, node)
    part = halted[0] & (day0 < x - 1e-12)
    assert part.any(), shocks
    assert (day0[part] >= close[part] - 1e-12).all()
    # its close row says so for the draws stopped short of both its hook's close and its
    # own halt level (not those that closed to it, the node itself the trigger, nor those
    # whose whole close ran before a later node halted): halted during the close
    during = part & (day0 > close + 1e-9) & (day0 > -0.20 * BETA[node] + 1e-9)
    t = event_table(res, engine_nodes(fm))
    action = t[(t["day"] == 0) & (t["event"] == f"feedback:{node}")]["action"].iloc[0]
    assert f"halts {node} during the close in {during.mean():.0%} of draws (" in action, action
    # draws that never halted are the breaker-off run's, bit for bit
    off = simulate(m, 48, rng=18 + k, feedback_models=dict(fm), keep_paths=True)
    never = ~np.any([res.halted[n].any(axis=0) for n in US], axis=0)
    assert never.any()
    assert res.paths is not None
    assert off.paths is not None
    assert np.array_equal(res.paths[:, :, never], off.paths[:, :, never])


def test_a_mixed_monte_carlo_close_row_gives_each_halt_its_share() -> None:
    # --shock SOX=-29.5 %, 48 draws (seed 18; a shock chosen so that all four occur): the
    # halted draws of SOX's close row, classified from the paths alone (SOX is shocked:
    # its day-0 move is its close, no residual) and its hook's close from -29.5 % with the
    # draw's parameters: stopped at the shock (halted before its close), at its own halt
    # level -20 % x 1.562 (its close reached it), at its hook's close above that level
    # (the whole close ran; a later node halted the session) or in between (part-way).
    # Issue 18 wrote the last-but-one "before the close ... $0 of selling left unfilled"
    # and folded the own-close draws into "before the close" with their flow "traded".
    from gaemi.app.contagion import feedback_models
    from gaemi.core.contagion import simulate

    x, lvl = -0.295, -0.2 * BETA["SOX"]
    m, _ = cascade_model(shocks={"SOX": x})
    fm = feedback_models(m, "engine")
    assert fm is not None
    res = simulate(m, 48, rng=18, feedback_models=fm, keep_paths=True)
    _check_close_rows(res)
    keys = m.node("SOX").close_feedback.params  # type: ignore[union-attr]
    hook = fm["node:SOX"]({p: res.params[("feedback:SOX", p)] for p in keys})
    close = np.asarray(hook(np.full(48, x)).move_frac)
    day0, halted = _day0(res, "SOX"), res.halted["SOX"][0]
    before = halted & (np.abs(day0 - x) <= 1e-12)
    own = halted & (day0 <= lvl + 1e-9)
    full = halted & (np.abs(day0 - close) <= 1e-9) & ~own
    part = halted & ~before & ~own & ~full
    assert (day0[part] < x).all()
    assert (day0[part] > close[part]).all()
    assert all(k.any() for k in (before, own, full, part))
    # the node that halted the session after the whole close: at its own halt level
    late = [n for n in US if n != "SOX" and (_day0(res, n)[full] <= -0.2 * BETA[n] + 1e-9).all()]
    assert late == ["SPX"]

    def share(k: np.ndarray) -> str:
        return f"in {k.mean():.0%} of draws"

    row = next(e for e in res.events if e.event == "feedback:SOX" and e.day == 0).action
    want = [
        f"during the close {share(part)} (a linked node reached its halt level) at ",
        f"; during its own close {share(own)} (its close reached its halt level) at {lvl:+.2%}: ",
        f"; before the close {share(before)} at {x:+.2%}: ",
        f"; after a full close {share(full)} at {float(np.mean(close[full])):+.2%}: ",
        " traded; the session halted later, at SPX (close flow of all participants: ",
    ]
    assert all(w in row for w in want), (row, [w for w in want if w not in row])
    assert row.startswith("level-3 circuit breaker halts SOX during the close ")
    # NDX (stepped after SOX, before SPX) closed whole before SPX halted in some draws
    ndx = next(e for e in res.events if e.event == "feedback:NDX" and e.day == 0).action
    assert "; after a full close in " in ndx, ndx
    assert " traded; the session halted later, at SPX (" in ndx, ndx


def test_non_halting_runs_are_the_breaker_off_runs_bit_for_bit() -> None:
    # the halt machinery (re-solves, the part-way search) never runs without a halt: the
    # paths and every event row equal the run without the market-wide breaker
    from gaemi.app.contagion import feedback_models
    from gaemi.core.contagion import simulate

    for shocks in ({"NDX": -0.05, "SOX": -0.05}, {"NDX": -0.15}, {"KOSPI": -0.12}):
        m, _ = cascade_model(shocks=shocks)
        fm = feedback_models(m, "engine")
        assert fm is not None
        for n, kw in ((1, {"deterministic": True}), (32, {"rng": 5})):
            on = simulate(m, n, feedback_models=fm, keep_paths=True, **kw)
            off = simulate(m, n, feedback_models=dict(fm), keep_paths=True, **kw)
            assert not any(v.any() for v in on.halted.values())
            assert on.paths is not None
            assert off.paths is not None
            assert np.array_equal(on.paths, off.paths), shocks
            assert on.events == off.events, shocks


@cache
def _ndx21() -> Any:
    return contagion(shocks={"NDX": -0.21}, draws=200)


def test_link_carried_halt_is_the_same_on_every_face(capsys: pytest.CaptureFixture[str]) -> None:
    # gaemi cascade --shock NDX=-21% --draws 200: 26 draws halt on day 0, in 17 of them
    # through the links from NDX's close; the bands (Monte Carlo) agree on every face
    res = _ndx21()
    mc = res.mc
    h = mc.halted["NDX"][0]
    assert (h & (_day0(mc, "NDX") < -0.21 - 1e-12)).any()  # NDX's close stopped part-way
    want = res.bands().to_dict("records")
    capsys.readouterr()
    argv = ["cascade", "--shock", "NDX=-21%", "--draws", "200", "--view", "bands"]
    assert main([*argv, "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli == want
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from gaemi.present.web.app import create_app

    with TestClient(create_app()) as client:
        r = client.post("/api/cascade", json={"shocks_frac_by_node": {"NDX": -0.21}, "draws": 200})
    assert r.status_code == 200, r.text
    api = {b["node"]: b for b in r.json()["bands"]}
    for b in want:
        for key in ("change_mean", "change_q05", "change_q50", "change_q95"):
            assert api[b["node"]][key] == b[key], (b["node"], key)
