"""`gaemi cascade`: event table, step verdicts, JSON keys, Monte Carlo seeds, errors."""

from __future__ import annotations

import json

import pytest

from gaemi.present.cli import main


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["cascade", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_default_table_runs_and_says_what_does_not_follow(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["cascade"]) == 0
    out, err = capsys.readouterr()
    assert "Cascade event table" in out
    assert "Does each step" in out
    assert "BUYS falling foreign equities" in err  # step 4 note: GPIF rebalancing buys
    assert "spectral radius" in err
    assert "fuse:" in err


def test_events_json_traceable(capsys: pytest.CaptureFixture[str]) -> None:
    recs = run_json(capsys)
    keys = {"step", "day", "event", "action", "node", "amount", "amount_unit", "impact"}
    assert keys <= set(recs[0])
    by = {(r["event"], r["node"]): r for r in recs}
    # the initial shock is the research note's -5% (default scenario, shocks)
    assert by[("shock:NDX", "NDX")]["impact"] == pytest.approx(-0.05)
    # the close flow is K·r with K from the scenario (negative: selling), in USD
    fb = by[("feedback:NDX", "NDX")]
    assert fb["amount_unit"] == "usd"
    assert float(fb["amount"]) < -10e9
    # every number is traceable: parameters and a source on every row
    for r in recs:
        assert r["parameters"], r["event"]
        assert r["source"], r["event"]
    assert "stress_default.yaml" in str(fb["source"])  # the engine hook (issue 3) by default
    # KOSPI reacts on the next Seoul session (lag 1 after the US close)
    assert by[("ndx_kospi", "KOSPI")]["day"] == 1


def test_steps_view(capsys: pytest.CaptureFixture[str]) -> None:
    recs = run_json(capsys, "--view", "steps")
    v = {r["step"]: r for r in recs}
    assert v["1"]["follows"] is True
    assert v["4"]["follows"] is False
    assert "did not fire" in str(v["4"]["reason"])


def test_bigger_shock_moves_more(capsys: pytest.CaptureFixture[str]) -> None:
    small = run_json(capsys, "--view", "bands", "--shock", "NDX=-3%")
    big = run_json(capsys, "--view", "bands", "--shock", "NDX=-0.08")
    k = {r["node"]: r["change_mean"] for r in small}
    K = {r["node"]: r["change_mean"] for r in big}
    assert K["KOSPI"] < k["KOSPI"] < 0
    assert K["USDKRW"] > k["USDKRW"] > 0
    assert K["SOX"] == 0.0  # only NDX shocked: SOX has no edge from NDX in the default


def test_monte_carlo_same_seed_same_bands(capsys: pytest.CaptureFixture[str]) -> None:
    a = run_json(capsys, "--view", "bands", "--draws", "300", "--seed", "4")
    b = run_json(capsys, "--view", "bands", "--draws", "300", "--seed", "4")
    assert a == b
    r = {x["node"]: x for x in a}["KOSPI"]
    assert r["change_q05"] <= r["change_q50"] <= r["change_q95"]


def test_explain_and_reverse(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cascade", "--explain"]) == 0
    out, _ = capsys.readouterr()
    assert "gpif_rebalance" in out
    assert "FACTS" in out
    recs = run_json(capsys, "--reverse", "NDX<=-10%")
    scales = [r["shock_scale"] for r in recs]
    assert all(s is None or s > 1 for s in scales)  # -5% alone does not reach -10%
    finite = [s for s in scales if s is not None]
    assert finite == sorted(finite, reverse=True)  # more Korean AUM, smaller shock needed


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        (["--shock", "NDX"], "must be NODE=MOVE"),
        (["--shock", "FOO=-5%"], "'FOO' is not in the scenario"),
        (["--shock", "NDX=-500"], "ambiguous"),
        (["--draws", "0"], "draws = 0"),
        (["--view", "nope"], "view = 'nope'"),
        (["--reverse", "KOSPI=>5"], "must be NODE>=VALUE"),
        (["--scenario", "/nonexistent.yaml"], "does not exist"),
    ],
)
def test_bad_input_one_line(capsys: pytest.CaptureFixture[str], args: list[str], msg: str) -> None:
    assert main(["cascade", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:")
    assert msg in err
    assert "\n" not in err


def test_every_help_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # the --help examples double as tests (STYLE.md 11)
    import shlex

    from gaemi.present.cli.cascade import EPILOG

    cmds = [
        shlex.split(line.split("#")[0])[1:]
        for line in EPILOG.splitlines()
        if line.strip().startswith("gaemi cascade")
    ]
    assert len(cmds) >= 5
    for args in cmds:
        assert main(args) == 0, args
        capsys.readouterr()
