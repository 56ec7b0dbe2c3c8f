"""Cascade scenario files: the default chain loads and is sourced; bad files fail in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from gaemi.data.cascade import DEFAULTS, load_calibration, load_cascade, read_yaml
from gaemi.errors import GaemiInputError

MINI = """
name: mini
horizon_days: 3
nodes:
  A: {unit: u, change: absolute, session: us, baseline: 0, bounds: [-10, 10]}
  B: {unit: u, change: absolute, session: us, baseline: 0, bounds: [-10, 10]}
edges:
  - {id: ab, kind: linear, from: A, to: B, lag: 1, beta: 0.5, source: test}
shocks:
  - {node: A, day: 0, move: -1}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_default_scenario_loads_with_sources_everywhere() -> None:
    m = load_cascade()
    assert {"NDX", "SOX", "VIX", "USDKRW", "KOSPI", "BOK_RATE", "JGB10Y", "HYNIX"} <= set(
        m.node_ids
    )
    assert [s.id for s in m.steps][:6] == ["1", "2", "3", "4", "5", "6"]  # the note's six steps
    for key, p in m.parameters().items():
        assert p.source, f"parameter {key} has no source"
    for e in m.edges:
        assert e.source_ref, f"edge {e.id} has no source"
    for n in m.nodes:
        assert n.source, f"node {n.id} has no source"


def test_default_uses_the_calibration_file() -> None:
    # the calibrated betas are read from cascade_calibration.yaml, not copied by hand
    cal = load_calibration(DEFAULTS / "cascade_calibration.yaml")
    m = load_cascade()
    assert m.edge("ndx_kospi").params["beta"].value == cal["kospi_on_ndx"]["value"]
    assert m.edge("ndx_vix").params["beta"].bounds == tuple(cal["vix_on_ndx"]["range"])
    assert m.edge("ndx_usdkrw").params["beta"].value < 0  # the won weakens when NDX falls


def test_default_baselines_match_the_data_derived_levels() -> None:
    # baselines taken from ../shared/data are the calibration file's latest levels
    doc = yaml.safe_load((DEFAULTS / "cascade_calibration.yaml").read_text(encoding="utf-8"))
    base = doc["baselines"]
    m = load_cascade()
    for nid in ("VIX", "USDKRW", "KOSPI", "JGB10Y", "SAMSUNG", "HYNIX"):
        assert m.node(nid).baseline == pytest.approx(base[nid]["value"]), nid
    assert m.node("BTC").baseline == pytest.approx(base["BTC"]["value"], rel=1e-6)


def test_mini_scenario_roundtrip(tmp_path: Path) -> None:
    m = load_cascade(write(tmp_path, MINI))
    assert m.node_ids == ("A", "B")
    assert m.edge("ab").params["beta"].value == 0.5


@pytest.mark.parametrize(
    ("old", "new", "msg"),
    [
        ("lag: 1, beta", "lag: -1, beta", "lag = -1 must be >= 0"),
        ("to: B, lag", "to: Z, lag", "to = 'Z' is not a node"),
        ("from: A", "from: Q", "from = 'Q' is not a node"),
        ("beta: 0.5, source: test", "beta: 0.5", "needs a source"),
        ("kind: linear", "kind: magic", "kind = 'magic'"),
        ("beta: 0.5,", "beta: 0.5, gamma: 2,", "unknown field 'gamma'"),
        ("beta: 0.5,", "beta: {value: 0.5, range: [0.6, 0.9]},", "outside range"),
        ("move: -1", "move: oops", "is not a number"),
        ("bounds: [-10, 10]}\n  B", "bounds: [10, -10]}\n  B", "lower < upper"),
    ],
)
def test_bad_fields_fail_in_one_line(tmp_path: Path, old: str, new: str, msg: str) -> None:
    assert old in MINI
    p = write(tmp_path, MINI.replace(old, new, 1))
    with pytest.raises(GaemiInputError, match=msg) as exc:
        load_cascade(p)
    text = str(exc.value)
    assert "\n" not in text
    assert text.startswith("s.yaml")


def test_cycle_with_no_lag_is_rejected(tmp_path: Path) -> None:
    text = MINI.replace(
        "  - {id: ab, kind: linear, from: A, to: B, lag: 1, beta: 0.5, source: test}\n",
        "  - {id: ab, kind: linear, from: A, to: B, lag: 0, beta: 0.5, source: test}\n"
        "  - {id: ba, kind: linear, from: B, to: A, lag: 0, beta: 0.5, source: test}\n",
    )
    with pytest.raises(GaemiInputError, match="cycle with no lag among A, B"):
        load_cascade(write(tmp_path, text))
    # the same cycle with a lag is fine
    ok = text.replace("to: A, lag: 0", "to: A, lag: 1")
    assert load_cascade(write(tmp_path, ok)).edge("ba").lag == 1


def test_threshold_outside_node_bounds_is_rejected(tmp_path: Path) -> None:
    text = MINI.replace(
        "shocks:",
        "  - {id: t, kind: threshold, from: A, to: B, lag: 1, level: 50, impact: 1, "
        "source: test}\nshocks:",
    )
    with pytest.raises(GaemiInputError, match=r"threshold level range \[50, 50\] is outside"):
        load_cascade(write(tmp_path, text))


def test_object_constructing_yaml_tags_are_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = MINI.replace("name: mini", f"name: !!python/object/apply:os.system ['touch {marker}']")
    with pytest.raises(GaemiInputError, match=r"YAML tag .* is not allowed") as exc:
        load_cascade(write(tmp_path, text))
    assert "\n" not in str(exc.value)
    assert not marker.exists()  # nothing was executed


def test_unknown_calibration_key(tmp_path: Path) -> None:
    text = MINI.replace("beta: 0.5", "beta: {calibrated: nope}").replace(
        "name: mini", f"name: mini\ncalibration: {DEFAULTS / 'cascade_calibration.yaml'}"
    )
    with pytest.raises(GaemiInputError, match="calibrated = 'nope'"):
        load_cascade(write(tmp_path, text))


def test_missing_file_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(GaemiInputError, match="does not exist"):
        load_cascade(tmp_path / "none.yaml")
    with pytest.raises(GaemiInputError, match="line 2: not valid YAML"):
        load_cascade(write(tmp_path, "a: [1\nb: }"))


def test_engine_hook_is_the_feedback_solver() -> None:
    # the default close-feedback hook on NDX is gaemi.core.feedback.solve on the stress
    # scenario's NDX model (issue 3), unchanged at today's Korean AUM
    import numpy as np

    from gaemi.core.feedback import solve
    from gaemi.data.cascade import engine_feedback_models
    from gaemi.data.stress import build_stress_model, korean_long_aum, load_default_stress
    from gaemi.data.universe import load_default_universe

    m = load_cascade()
    fm = engine_feedback_models(m)
    assert set(fm) == {"node:NDX", "node:SOX"}
    uni = load_default_universe()
    kor0, _ = korean_long_aum(uni, "NDX")
    hook = fm["node:NDX"](
        {"korean_aum_usd": np.array([kor0]), "korean_multiplier": np.array([6.0])}
    )
    ref = solve(build_stress_model(load_default_stress(), uni, "NDX"), np.array([-0.05]))
    out = hook(np.array([-0.05]))
    assert out.move_frac[0] == pytest.approx(ref.final_move_frac[0])
    assert out.flow_usd[0] == pytest.approx(ref.total_flow_usd[0])
    more = fm["node:NDX"](
        {"korean_aum_usd": np.array([4 * kor0]), "korean_multiplier": np.array([6.0])}
    )
    assert more(np.array([-0.05])).move_frac[0] < out.move_frac[0]  # more Korean AUM, deeper close


def test_engine_hook_mc_mean_equals_deterministic_when_ranges_collapse() -> None:
    # n identical draws through the engine hook average to the single deterministic run
    import numpy as np

    from gaemi.core.contagion import simulate
    from gaemi.data.cascade import engine_feedback_models

    m = load_cascade().with_horizon(5)
    fm = engine_feedback_models(m)
    det = simulate(m, deterministic=True, feedback_models=fm)
    same = simulate(m, 64, deterministic=True, feedback_models=fm)
    np.testing.assert_allclose(same.mean_path, det.mean_path, rtol=1e-12)


def test_margin_rule_matches_its_calibration_episode() -> None:
    # FACTS (d): KOSPI -7.24% (2026-03-03) and -12.06% (2026-03-04); forced sales of
    # KRW 77.6bn/day reported on 2026-03-05. The hand-calibrated margin rule must give a
    # first forced sale of that order (KRW 0.05-0.5tn), and none after a -5% KOSPI day.
    from gaemi.core.contagion import Shock, simulate

    m = load_cascade()
    ep = m.with_shocks([Shock("KOSPI", 0, -0.0724), Shock("KOSPI", 1, -0.1206)])
    first = next(e for e in simulate(ep, deterministic=True).events if e.event == "kospi_margin")
    assert first.day == 1 + 3  # forced sale on D+3 (FACTS (d): misu D+2, sale D+3)
    assert -0.5 < first.amount < -0.05
    calm = m.with_shocks([Shock("KOSPI", 0, -0.05)])
    assert not simulate(calm, deterministic=True).fired["kospi_margin"].any()


def test_default_chain_is_monotone_in_the_shock() -> None:
    # law: every edge of the default chain is procyclical or a one-way rule, so a deeper
    # US shock never leaves KOSPI, SK hynix or the won better off on any day
    import numpy as np

    from gaemi.core.contagion import simulate
    from gaemi.data.cascade import engine_feedback_models

    m = load_cascade()
    scales = np.linspace(0.0, 6.0, 61)  # 0 to -30% on NDX and SOX
    r = simulate(
        m, deterministic=True, shock_scale=scales, feedback_models=engine_feedback_models(m)
    )
    # except across the level-3 halt (market-wide, issue 18): from -22.5% NDX's close loop
    # reaches its halt level and SOX's close never runs, so the law holds on each side
    halted = r.halted["NDX"][0]
    assert not halted[:45].any()  # the halt starts at 4.5 x -5%
    assert halted[45:].all()
    for node, worse in (("KOSPI", "min"), ("HYNIX", "min"), ("USDKRW", "max")):
        for side in (~halted, halted):
            x = r.change(node, worse)[side]
            step = np.diff(x)
            assert (step <= 1e-12).all() if worse == "min" else (step >= -1e-12).all(), node


# ------------------------------------------------------------------ issue 18
def test_calibrated_profiles_and_residuals_reach_the_default_model() -> None:
    # every beta_k of a calibrated edge comes from cascade_calibration.yaml (value ± 2 se)
    cal = load_calibration(DEFAULTS / "cascade_calibration.yaml")
    m = load_cascade()
    e = m.edge("ndx_kospi")
    prof, ses = cal["kospi_on_ndx"]["profile"], cal["kospi_on_ndx"]["profile_se"]
    assert len(prof) == 20
    assert e.span == 1 + 20
    for k in (1, 20):
        p = e.params[f"beta_{k}"]
        assert p.value == prof[k - 1]
        assert p.bounds == pytest.approx(
            (prof[k - 1] - 2 * ses[k - 1], prof[k - 1] + 2 * ses[k - 1])
        )
    assert "beta_1" not in m.edge("ndx_vix").params  # VIX persists through its reversion
    assert m.edge("sox_ndx").conditional
    assert m.edge("kospi_samsung").conditional
    assert not m.edge("ndx_sox").conditional
    # residual tables: one row per fit-window library day (QQQ <= -2.5 % or SOXX <=
    # -3.75 %, 2004-2019: 145 days), the same events for every node, standardised: each
    # node runs at the realised vol and the session multipliers of the calibration file
    with_res = [n for n in m.nodes if n.residual is not None]
    assert {n.id for n in with_res} >= {"NDX", "SOX", "VIX", "KOSPI", "USDKRW", "BTC"}
    assert {n.residual.shape for n in with_res if n.residual is not None} == {(145, 40)}
    assert "145 days 2004-" in with_res[0].residual_source
    assert with_res[0].residual_source.endswith("2019-08-23")
    assert cal["kospi_on_ndx"]["window"][1] <= "2019-12-31"
    doc = read_yaml(DEFAULTS / "cascade_calibration.yaml")["residual_scaling"]["nodes"]
    for n in with_res:
        assert n.residual_vol == doc[n.id]["vol"] > 0, n.id
        assert n.residual_scale == doc[n.id]["scale"], n.id
        assert n.residual_scale_sessions == tuple(doc[n.id]["scale_sessions"]), n.id
        assert len(n.residual_scale_sessions) == 6  # session 1, 2-5 (x4), 6 on
    # a standardised residual is in units of the pre-shock vol: its spread is O(1)
    # (the raw ones were ~0.01 for KOSPI); fat tails: beyond 3 sd far more often than a
    # normal's 0.27 %
    z = m.node("KOSPI").residual
    assert z is not None
    assert 0.5 < float(np.std(z[:, 1:])) < 3.0
    assert float(np.mean(np.abs(z[:, 1:] / np.std(z[:, 1:])) > 3)) > 0.005


def test_residual_scaling_errors_are_one_line(tmp_path: Path) -> None:
    from gaemi.data.cascade import load_residual_scaling

    p = tmp_path / "c.yaml"
    p.write_text("edges: {}\nresidual_scaling: {nodes: {A: {vol: x, scale: 1}}}\n")
    with pytest.raises(GaemiInputError, match=r"residual_scaling\.nodes\.A needs numbers"):
        load_residual_scaling(p)
    p.write_text("edges: {}\nresidual_scaling: {nodes: [1]}\n")
    with pytest.raises(GaemiInputError, match="residual_scaling needs a 'nodes' mapping"):
        load_residual_scaling(p)
    p.write_text("edges: {}\n")
    assert load_residual_scaling(p) == {}


def test_residual_file_errors_are_one_line(tmp_path: Path) -> None:
    mini = MINI.replace("horizon_days: 3", "horizon_days: 3\nresiduals: r.csv")
    p = write(tmp_path, mini)
    with pytest.raises(GaemiInputError, match=r"residuals = 'r\.csv' not found"):
        load_cascade(p)
    write(tmp_path, "event,day,A\n2008-10-15,0,0.01\n2008-10-15,1,x\n", "r.csv")
    with pytest.raises(GaemiInputError, match="could not convert string to float: 'x'"):
        load_cascade(p)
    write(tmp_path, "event,day,A\n2008-10-15,0,0.01\n2008-10-15,1,0.02\n2008-10-16,0,0\n", "r.csv")
    with pytest.raises(GaemiInputError, match=r"every event needs days 0\.\.1"):
        load_cascade(p)
    write(tmp_path, "# c\nevent,day,A,Z\n2008-10-15,0,0.01,1\n2008-10-15,1,0.02,1\n", "r.csv")
    m = load_cascade(p)  # columns of nodes the scenario lacks are ignored
    assert m.node("A").residual is not None
    assert m.node("A").residual.tolist() == [[0.01, 0.02]]  # type: ignore[union-attr]
    assert m.node("B").residual is None


def test_day_calendar_puts_seoul_before_new_york() -> None:
    # US days Mon 2024-08-05, Tue 08-06; Seoul trades Mon and Tue before New York opens:
    # Tuesday's KOSPI row is the Seoul session of Tuesday (it has seen Monday's US close),
    # BTC's Tuesday row is its UTC day Tuesday (after the US close); a US holiday folds
    # the Seoul sessions since the last US day into the next US row
    import pandas as pd

    from gaemi.data.contagion_history import _base_and_path, day_frame, stress_days

    us = pd.Series(
        [100.0, 90.0, 99.0, 99.0],
        index=pd.to_datetime(["2024-08-02", "2024-08-05", "2024-08-06", "2024-08-08"]),
    )
    kospi = pd.Series(
        [10.0, 9.0, 9.9, 9.9, 9.0],
        index=pd.to_datetime(
            ["2024-08-02", "2024-08-05", "2024-08-06", "2024-08-07", "2024-08-08"]
        ),
    )
    f = day_frame({"NDX": us, "SOX": us, "KOSPI": kospi})
    assert f.loc["2024-08-05", "NDX"] == pytest.approx(-0.10)
    assert f.loc["2024-08-05", "KOSPI"] == pytest.approx(-0.10)  # Seoul Mon, before NY Mon
    assert f.loc["2024-08-08", "KOSPI"] == pytest.approx(9.0 / 9.9 - 1)  # Wed + Thu sessions
    assert [str(d.date()) for d in stress_days({"NDX": us, "SOX": us}, "2024-01-01")] == [
        "2024-08-05"
    ]
    d = pd.Timestamp("2024-08-05")
    days = pd.DatetimeIndex(us.index)
    # Asian node: base = Seoul close on the shock date, session 1 = the next Seoul day
    assert _base_and_path(kospi, d, True, days, (1, 2)) == (9.0, [9.9, 9.9])
    # US node: base = the previous close, session 1 = the shock day itself
    assert _base_and_path(us, d, False, days, (1, 2)) == (100.0, [90.0, 99.0])


def test_profile_and_conditional_edges_from_yaml(tmp_path: Path) -> None:
    text = MINI.replace(
        "  - {id: ab, kind: linear, from: A, to: B, lag: 1, beta: 0.5, source: test}",
        "  - {id: ab, kind: linear, from: A, to: B, lag: 1, beta: 0.5, beta_2: -0.25, source: t}\n"
        "  - {id: ba, kind: linear, from: B, to: A, lag: 0, conditional: true, beta: 2,"
        " source: t}",
    )
    m = load_cascade(write(tmp_path, text))
    assert m.edge("ab").params["beta_2"].value == -0.25
    assert m.edge("ab").span == 3
    assert m.edge("ba").conditional
    bad = text.replace("beta_2: -0.25", "beta_21: -0.25")
    with pytest.raises(GaemiInputError, match="unknown field 'beta_21'"):
        load_cascade(write(tmp_path, bad))
    bad = text.replace("lag: 0, conditional: true", "lag: 1, conditional: true")
    with pytest.raises(GaemiInputError, match="conditional edge must be linear with lag 0"):
        load_cascade(write(tmp_path, bad))


def test_pre_shock_vol_sees_only_the_sessions_before_the_shock() -> None:
    # the residuals of a test day run at the realised vol of the 20 rows before it: a
    # change on or after the shock row does not move it (no look-ahead); sample standard
    # deviation (ddof 1) by hand; the floor holds a flat stretch up; < 10 values -> NaN
    import pandas as pd

    from gaemi.data.contagion_history import pre_shock_vol

    x = np.array([0.01, -0.01] * 15 + [0.5, -0.5, 0.3])
    f = pd.DataFrame({"A": x, "B": np.zeros(x.size)})
    v = pre_shock_vol(f, 30, {"B": 0.002})
    assert v["A"] == pytest.approx(np.std(x[10:30], ddof=1))
    assert v["A"] == pytest.approx(0.01 * np.sqrt(20 / 19))
    assert v["B"] == 0.002
    g = f.copy()
    g.loc[30:, "A"] = 9.0
    assert pre_shock_vol(g, 30)["A"] == v["A"]
    assert np.isnan(pre_shock_vol(f, 5)["A"])
