"""Stress scenario files: the embedded default (every parameter sourced) and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from gaemi.core.feedback import solve
from gaemi.data.stress import (
    build_stress_model,
    default_stress_path,
    load_default_stress,
    load_stress_scenario,
    stress_scenario_from_dict,
)
from gaemi.data.universe import load_default_universe
from gaemi.errors import GaemiInputError


def test_every_default_parameter_has_a_source_and_a_range() -> None:
    sc = load_default_stress()
    assert len(sc.params) >= 30
    for path, p in sc.params.items():
        assert p.source.strip(), f"{path} has no source"
        assert len(p.range) == 2, f"{path} has no range"
        lo, hi = p.range
        values = p.value if isinstance(p.value, list) else [p.value]
        if isinstance(lo, int | float) and not isinstance(lo, bool):
            for v in values:
                assert lo <= v <= hi or lo >= v >= hi, f"{path} = {v} outside its range"


def test_default_figures_from_facts() -> None:
    sc = load_default_stress()
    # FACTS.md (b): closing auctions matched 9.44% of notional in Q2 2024
    assert sc.liquidity("NDX").closing_share == 0.0944
    # FACTS.md (d): the usual Korean maintenance ratio is 140%
    assert sc.participants["margin_calls"]["maintenance_ratio"] == 1.4
    # threshold where NDX LETF flow reaches close capacity: the research note says ~5%
    u = load_default_universe()
    model = build_stress_model(sc, u, "NDX")
    k = float(model.participants[0].k_usd[0])  # type: ignore[attr-defined]
    assert 0.04 < sc.liquidity("NDX").capacity_usd / k < 0.06


def test_default_builds_and_solves_for_every_underlying() -> None:
    sc = load_default_stress()
    u = load_default_universe()
    for und in sc.underlyings:
        res = solve(build_stress_model(sc, u, und), [-0.02, 0.0, 0.02])
        assert res.final_move_frac[0] <= -0.02
        assert res.final_move_frac[1] == 0.0
        assert res.final_move_frac[2] >= 0.02


def _default() -> dict[str, object]:
    return yaml.safe_load(default_stress_path().read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"participants": {"whales": {}}},
            (
                "x.yaml: participants.whales is not a participant (known: dealer_gamma, "
                "letf_rebalancing, margin_calls, retail_redemptions, stop_loss)"
            ),
        ),
        (
            {"underlyings": {"NDX": {"adv_usd": -1e9}}},
            "x.yaml: underlyings.NDX.adv_usd = -1e+09 must be >= 0 (liquidity cannot be negative)",
        ),
        (
            {"participants": {"margin_calls": {"maintenance_ratio": 0.9}}},
            "x.yaml: participants.margin_calls.maintenance_ratio = 0.9 must be > 1 (140% = 1.4)",
        ),
        (
            {"underlyings": {"NDX": {"closing_share": 1.5}}},
            "x.yaml: underlyings.NDX.closing_share = 1.5 must be <= 1",
        ),
        (
            {"impact": {"model": "cubic"}},
            "x.yaml: impact.model = 'cubic' must be one of sqrt, linear",
        ),
        (
            {"participants": {"stop_loss": {"levels_frac": [-0.03, -0.05]}}},
            "x.yaml: participants.stop_loss: 2 levels_frac but 3 sizes_adv_frac",
        ),
        ({"whatever": 1}, "x.yaml: (top level).whatever is not a field"),
    ],
)
def test_bad_files_one_line(tmp_path: Path, patch: dict[str, object], message: str) -> None:
    f = tmp_path / "x.yaml"
    f.write_text(yaml.safe_dump(patch))
    with pytest.raises(GaemiInputError) as exc:
        load_stress_scenario(f)
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value)


def test_user_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    f = tmp_path / "thin.yaml"
    f.write_text("underlyings:\n  NDX:\n    adv_usd: 30e9\n")
    sc = load_stress_scenario(f)
    assert sc.liquidity("NDX").adv_usd == 30e9
    assert sc.liquidity("SOX").adv_usd == load_default_stress().liquidity("SOX").adv_usd
    u = load_default_universe()
    thin = solve(build_stress_model(sc, u, "NDX"), -0.02).final_move_frac[0]
    base = solve(build_stress_model(load_default_stress(), u, "NDX"), -0.02).final_move_frac[0]
    assert thin < base


def test_disabling_participants_and_linear_impact() -> None:
    doc = _default()
    doc["participants"] = {"letf_rebalancing": {"enabled": True}}  # type: ignore[index]
    doc["impact"]["model"]["value"] = "linear"  # type: ignore[index]
    sc = stress_scenario_from_dict(doc, "lin")
    model = build_stress_model(sc, load_default_universe(), "NDX")
    assert [p.name for p in model.participants] == ["letf_rebalancing"]
    # linear λ matches the sqrt law at a flow equal to capacity: at that flow both agree
    cap = sc.liquidity("NDX").capacity_usd
    liq = sc.liquidity("NDX")
    expected = 0.7 * liq.sigma_daily * np.sqrt(cap / liq.adv_usd)  # Y σ sqrt(Q/V), Tóth 2011
    assert model.impact.impact_frac(np.array([cap]))[0] == pytest.approx(expected, rel=1e-12)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(GaemiInputError, match="does not exist"):
        load_stress_scenario(tmp_path / "nope.yaml")
    f = tmp_path / "broken.yaml"
    f.write_text("participants: [\n")
    with pytest.raises(GaemiInputError, match=r"broken\.yaml line 2: not valid YAML"):
        load_stress_scenario(f)


def test_docs_table_matches_the_engine() -> None:
    # docs/stress.md quotes the default's closing moves; they must be what the code gives
    docs = (Path(__file__).resolve().parents[2] / "docs" / "stress.md").read_text()
    sc = load_default_stress()
    u = load_default_universe()
    for und in ("NDX", "SOX", "SPX", "TSLA", "NVDA"):
        res = solve(build_stress_model(sc, u, und), [-0.02, -0.05])
        two, five = (f"{v * 100:.2f} %".replace("-", "−") for v in res.final_move_frac)
        assert f"| {und} |" in docs
        row = next(line for line in docs.splitlines() if line.startswith(f"| {und} | $"))
        assert two in row, (und, two, row)
        assert five in row, (und, five, row)


def test_constituent_basket_is_limited_by_its_least_liquid_name(tmp_path: Path) -> None:
    # independent arithmetic: ADV_j / w_j = [20, 10, 10]e9 → $10B index-equivalent ADV,
    # first binding name B; capacity = closing share (9.44%, FACTS (b)) × $10B
    f = tmp_path / "basket.yaml"
    f.write_text(
        "underlyings:\n"
        "  NDX:\n"
        "    basket:\n"
        "      names: [A, B, C]\n"
        "      weights: [0.5, 0.1, 0.4]\n"
        "      adv_usd: [10e9, 1e9, 4e9]\n"
    )
    liq = load_stress_scenario(f).liquidity("NDX")
    assert liq.adv_usd == pytest.approx(10e9)
    assert liq.basket_binding == "B"
    assert liq.capacity_usd == pytest.approx(0.0944 * 10e9)
    f.write_text(
        "underlyings:\n  NDX:\n    basket: {names: [A, B], weights: [1.0], adv_usd: [1e9, 2e9]}\n"
    )
    with pytest.raises(GaemiInputError, match=r"basket: 2 names, 1 weights, 2 adv_usd"):
        load_stress_scenario(f)
