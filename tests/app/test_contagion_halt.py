"""No phantom drift and the circuit-breaker halt in the cascade (issue 18, build item 4).

* A zero shock, on any start node, any day, either close feedback, central run or Monte
  Carlo, moves nothing at all (every level stays exactly at its baseline, no event is
  logged) and every step of the chain says ``no``; a shock too small to print (±1e-6)
  makes no step follow either (:data:`gaemi.core.contagion.analysis.MIN_STEP_MOVE`).
* A −99 % shock on NDX and SOX meets the level-3 circuit breaker: the event table reports
  the halt as ``gaemi stress`` does for the same session (the reference:
  :func:`gaemi.app.stress.stress_session` on NDX and SOX at the same shock, its
  ``FeedbackResult`` halt fields; the halt is market-wide, so both stop at −23.10 %) —
  the shock stopped at the halt level, nothing traded, the selling unfilled, no positive
  impact — and the Python result, the CLI's JSON and table, and the HTTP API say the same.
* A close that reaches its own halt level (``--shock NDX=-10% --shock SOX=-30.5%``,
  ``--shock NDX=-23%``) halts during that close: its row says so, with what traded and
  what was left unfilled (the reference: ``gaemi stress`` of that node alone at that
  shock), the other node's row "before the close" with $0 traded; CLI JSON and HTTP API.
* A move that links carry past the halt level is stopped there and logged as
  ``halt:<node>`` with that part as an unfilled amount and no impact; the link's impact
  less that amount plus the close's is the node's move.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaemi.app.contagion import cascade_model, contagion
from gaemi.core.contagion.analysis import MIN_STEP_MOVE
from gaemi.present.cli import main

NODES = tuple(cascade_model()[0].node_ids)


def _flat(res: Any) -> bool:
    """Every level of every draw exactly at its baseline on every day (each draw's lowest,
    highest and final level; the mean over draws only to rounding: a mean of n equal
    floats need not be that float)."""
    r = res.mc or res.central
    base = np.array([n.baseline for n in res.model.nodes])[:, None]
    exact = all((x == base).all() for x in (r.min_level, r.max_level, r.final_level))
    return exact and bool(np.allclose(r.mean_path, base, rtol=1e-15, atol=0))


# ------------------------------------------------------------------------- no drift
@pytest.mark.parametrize("feedback", ["engine", "linear"])
def test_zero_shock_on_every_node_moves_nothing(feedback: str) -> None:
    for node in NODES:
        res = contagion(shocks={node: 0.0}, feedback=feedback)
        assert _flat(res), node
        assert res.events().empty, node
        assert set(res.steps()["verdict"]) == {"no"}, node
        assert (res.bands()["change_mean"] == 0).all(), node


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    node=st.sampled_from(NODES),
    day=st.integers(0, 3),
    feedback=st.sampled_from(["engine", "linear"]),
    draws=st.sampled_from([1, 7]),
)
def test_zero_shock_any_day_any_draws_moves_nothing(
    node: str, day: int, feedback: str, draws: int
) -> None:
    res = contagion(
        shocks=[(node, 0.0, day)], feedback=feedback, draws=draws, rng=1, horizon_days=6
    )
    assert _flat(res)
    assert set(res.steps()["verdict"]) == {"no"}


@settings(max_examples=10, deadline=None)
@given(node=st.sampled_from(NODES), move=st.sampled_from([-1e-6, 1e-6]))
def test_a_shock_too_small_to_print_makes_no_step_follow(node: str, move: float) -> None:
    # 1e-6 is 1/50 of MIN_STEP_MOVE: whatever the links and the close make of it, no node
    # moves by a printable amount, so no step may say yes
    res = contagion(shocks={node: move})
    steps = res.steps()
    assert set(steps["verdict"]) == {"no"}, steps[["step", "reason"]]
    b = res.bands()
    assert (b["change_mean"].abs() < MIN_STEP_MOVE).all()


# ------------------------------------------------------------------------- the halt
@cache
def _deep() -> Any:
    return contagion(shock_frac=-0.99)


def _check_halt(rows: list[dict[str, Any]]) -> None:
    """A −99 % NDX/SOX day: halted, nothing traded, selling unfilled, no positive impact."""
    by = {r["event"]: r for r in rows}
    for node in ("NDX", "SOX"):
        fb, shock = by[f"feedback:{node}"], by[f"shock:{node}"]
        assert fb["halted"] is True
        assert shock["halted"] is True
        assert fb["amount"] == 0.0
        assert fb["impact"] == 0.0
        assert fb["unfilled_usd"] < 0
        assert shock["amount"] == -0.99
        assert -0.99 < shock["impact"] < 0
        # halted before its close: nothing traded, all of the flow unfilled
        assert f"halts {node} before the close at " in fb["action"]
        assert "left unfilled, $0 traded (" in fb["action"]
        assert "level-3 circuit breaker" in fb["action"]
        day0 = [r for r in rows if r["node"] == node and r["day"] == 0]
        assert all(r["impact"] <= 0 for r in day0), day0


def test_minus_99_is_a_halt_as_gaemi_stress_reports_it() -> None:
    from gaemi.app.state import load_state
    from gaemi.app.stress import stress_session

    res = _deep()
    rows = res.events().to_dict("records")
    _check_halt(rows)
    by = {r["event"]: r for r in rows}
    state = load_state()
    # the close engine's own answer for the same session (`gaemi stress -u NDX -u SOX`):
    # the market-wide breaker stops both at the shock scaled to the S&P 500's -20 %
    session = stress_session(state, ["NDX", "SOX"], -0.99)
    for node, one in zip(("NDX", "SOX"), session, strict=True):
        s = one.result
        assert bool(s.halted[0])
        assert by[f"shock:{node}"]["impact"] == pytest.approx(float(s.final_move_frac[0]))
        assert by[f"feedback:{node}"]["impact"] == float(s.extra_move_frac[0]) == 0.0
        assert by[f"feedback:{node}"]["amount"] == float(s.filled_usd[0])
        # the cascade's hook starts from the scenario's Korean AUM, rounded (SOX $1.616B
        # against the universe's $1.61609B: 6 × $90k × 31 % = $0.17M of $88B)
        assert by[f"feedback:{node}"]["unfilled_usd"] == pytest.approx(
            float(s.unfilled_usd[0]), rel=1e-5
        )
    # the step that names those closes says they were halted
    why = dict(zip(res.steps()["step"], res.steps()["reason"], strict=True))
    assert "halted the close of NDX (day 0), SOX (day 0)" in why["2"]
    assert all("halted" not in w for k, w in why.items() if k != "2")
    # the day's move of NDX is the halt level, as the impacts say
    i = res.model.index("NDX")
    day0 = res.central.mean_path[i, 1] / res.model.nodes[i].baseline - 1.0
    assert day0 == pytest.approx(by["shock:NDX"]["impact"] + by["feedback:NDX"]["impact"])


def test_minus_99_halt_is_the_same_on_every_face(capsys: pytest.CaptureFixture[str]) -> None:
    py = _deep().events()
    keys = ["event", "node", "day", "amount", "impact", "halted", "unfilled_usd", "action"]
    want = py[keys].to_dict("records")
    capsys.readouterr()
    args = ["cascade", "--shock", "NDX=-99%", "--shock", "SOX=-99%"]
    assert main([*args, "--format", "json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert [{k: r[k] for k in keys} for r in cli] == want
    _check_halt(cli)
    assert main(args) == 0  # the terminal table says it too, and no +75.90%
    table = capsys.readouterr().out
    # words, not phrases: the table wraps the action over lines at any terminal width
    assert "unfilled" in table
    assert "level-3" in table
    assert "+75.90%" not in table
    assert "+67.76%" not in table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from gaemi.present.web.app import create_app

    with TestClient(create_app()) as client:
        r = client.get("/api/cascade", params={"shock_frac": -0.99})
    assert r.status_code == 200, r.text
    api = r.json()["events"]
    assert [{k: x[k] for k in keys} for x in api] == want
    _check_halt(api)


@pytest.mark.parametrize(
    ("argv", "node", "before"),
    [
        (["--shock", "NDX=-10%", "--shock", "SOX=-30.5%"], "SOX", {"NDX": -0.10}),
        (["--shock", "NDX=-23%"], "NDX", {"SOX": None}),
    ],
)
def test_a_close_that_reaches_its_halt_level_halts_during_it(
    argv: list[str], node: str, before: dict[str, float | None], capsys: pytest.CaptureFixture[str]
) -> None:
    # `gaemi cascade --shock NDX=-10% --shock SOX=-30.5%` (SOX's own close carries it from
    # -30.5 % to its halt level, -20 % x beta 1.562 = -31.24 %) and `--shock NDX=-23%`
    # (NDX to -20 % x 1.155 = -23.10 %): the node halts DURING its own close, after trading
    # part of it (the reference: `gaemi stress` of that node alone at that shock, which
    # halts in its close: its filled flow). The other US node, stopped before its close,
    # traded nothing. Issue 18 wrote both "before the close", the first with -$18.17B traded.
    from gaemi.app.state import load_state
    from gaemi.app.stress import stress
    from gaemi.units import format_usd

    shock = {"SOX": -0.305, "NDX": -0.23}[node]
    lvl = {"SOX": -0.2 * 1.562, "NDX": -0.2 * 1.155}[node]  # stress_default.yaml spx_beta
    alone = stress(load_state(), node, shock).result
    assert bool(alone.halted[0])
    assert float(alone.filled_usd[0]) < 0  # it traded part of its close
    capsys.readouterr()
    assert main(["cascade", *argv, "--format", "json"]) == 0
    by = {r["event"]: r for r in json.loads(capsys.readouterr().out) if r["day"] == 0}
    fb = by[f"feedback:{node}"]
    assert fb["halted"] is True
    # the cascade's hook starts from the scenario's Korean AUM, rounded (as above)
    assert fb["amount"] == pytest.approx(float(alone.filled_usd[0]), rel=1e-5)
    assert fb["unfilled_usd"] == pytest.approx(float(alone.unfilled_usd[0]), rel=1e-5)
    assert fb["action"].startswith(
        f"level-3 circuit breaker halts {node} during its own close (its close reached its "
        f"halt level) at {lvl:+.2%}: {format_usd(fb['amount'], signed=True)} traded, "
        f"{format_usd(-fb['unfilled_usd'])} of selling left unfilled (close flow of all "
        "participants: "
    ), fb["action"]
    assert "before the close" not in fb["action"]
    ((other, move),) = before.items()
    row = by[f"feedback:{other}"]
    assert row["halted"] is True
    assert row["amount"] == 0.0
    at = "" if move is None else f" at {move:+.2%}"
    assert row["action"].startswith(f"level-3 circuit breaker halts {other} before the close{at}")
    assert "left unfilled, $0 traded (close flow of all participants: " in row["action"]
    # the HTTP API says the same words (POST /api/cascade with the same shocks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from gaemi.present.web.app import create_app

    shocks = {a.split("=")[0]: float(a.split("=")[1][:-1]) / 100 for a in argv[1::2]}
    with TestClient(create_app()) as client:
        r = client.post("/api/cascade", json={"shocks_frac_by_node": shocks})
    assert r.status_code == 200, r.text
    api = {x["event"]: x["action"] for x in r.json()["events"] if x["day"] == 0}
    assert api[f"feedback:{node}"] == fb["action"]
    assert api[f"feedback:{other}"] == row["action"]


def test_links_past_the_halt_level_stop_there() -> None:
    # NDX −99 % with the NDX → SOX beta at 2: SOX's pre-close move (2 × −23.10 %) lies past
    # its own halt level; the breaker stops it there and the rest is logged as halt:SOX
    from gaemi.app.contagion import engine_nodes, event_table, feedback_models
    from gaemi.core.contagion import simulate

    m, _ = cascade_model(shocks={"NDX": -0.99})
    fm = feedback_models(m, "engine")
    res = simulate(m, deterministic=True, feedback_models=fm, params={("ndx_sox", "beta"): [2.0]})
    t = event_table(res, engine_nodes(fm))
    sox: Any = t[(t["node"] == "SOX") & (t["day"] == 0)].set_index("event")
    link, halt, fb = sox.loc["ndx_sox"], sox.loc["halt:SOX"], sox.loc["feedback:SOX"]
    i = m.index("SOX")
    moved = float(res.mean_path[i, 1] / m.nodes[i].baseline - 1.0)
    assert float(link["impact"]) < moved < 0  # the links asked for more than the halt level
    assert bool(halt["halted"])
    assert bool(fb["halted"])
    # the halt level: -20 % of the S&P 500 x SOX's beta in stress_default.yaml (1.562)
    assert moved == pytest.approx(-0.2 * 1.562)
    # the part of the move the links asked for past the halt level never traded: an
    # unfilled amount, no impact (issue 18: it was a "positive impact")
    assert float(halt["impact"]) == 0.0
    assert float(halt["amount"]) == pytest.approx(float(link["impact"]) - moved)
    assert float(halt["amount"]) < 0
    assert float(fb["amount"]) == 0.0
    assert float(fb["unfilled_usd"]) < 0
    assert float(link["impact"]) - float(halt["amount"]) + float(fb["impact"]) == pytest.approx(
        moved, abs=1e-12
    )
    assert halt["step"] == fb["step"] == "2"
