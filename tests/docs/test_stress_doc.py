"""docs/stress.md holds (issue 19 item 7): its tables are regenerated here and compared
with the page —

* the calibration table from ``stress_default.yaml`` (value, range, source as written), and
  the [D] figures of it re-derived from ../shared/data as scripts/derive_stress_params.py
  derives them (calendar-2025 close × volume and std of daily log returns; betas to SPY
  2020-01-01 onward);
* what the default gives at the close (``gaemi.data.stress`` + ``gaemi.core.feedback``);
* the research note's two tables (``scripts/stress_calibration_table.py``);
* the real-history table (``gaemi.app.validate.stress_history_table``, ../shared/data).

The rows are built by the functions below (``parameter_rows``, ``default_close_rows``)
and by ``history_rows`` (tests/_helpers.py, the formatter with which
tests/validation/test_stress_history.py writes the table the page copies); the research
note's tables are the script's own output.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from _helpers import stress_history_rows as history_rows

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "stress.md"
YAML = ROOT / "src" / "gaemi" / "data" / "defaults" / "stress_default.yaml"
FACTS = ROOT.parent / "shared" / "facts" / "FACTS.md"
UNDERLYINGS = ("NDX", "SOX", "SPX", "TSLA", "NVDA")


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _flat() -> str:
    return " ".join(_text().split())


def _section(title: str) -> str:
    return _text().split(title, 1)[1].split("\n## ", 1)[0]


def _rows(part: str, first: tuple[str, ...]) -> list[str]:
    return [
        ln.strip() for ln in part.splitlines() if ln.startswith(tuple(f"| {f} |" for f in first))
    ]


# ------------------------------------------------------------------ the calibration table
def _leaves(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict) and "value" in node and "source" in node:
        return [(path, node)]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _leaves(v, f"{path}.{k}" if path else k)
    return out


def _cell(v: Any) -> str:
    if isinstance(v, bool | str):
        return str(v)
    if isinstance(v, list):
        return ", ".join(_cell(x) for x in v)
    return f"{float(v):g}"


def parameter_rows() -> list[str]:
    doc = yaml.safe_load(YAML.read_text(encoding="utf-8"))
    rows = []
    for path, leaf in _leaves(
        {k: doc[k] for k in ("circuit_breakers", "impact", "underlyings", "participants")}
    ):
        lo, hi = leaf["range"]
        rows.append(
            f"| `{path}` | {_cell(leaf['value'])} | {_cell(lo)} … {_cell(hi)} | {leaf['source']} |"
        )
    return rows


def test_parameter_table_is_the_scenario_file() -> None:
    want = parameter_rows()
    got = [ln.strip() for ln in _text().splitlines() if ln.startswith("| `") and " … " in ln]
    assert got == want
    # the published ([P]/[S]) percentages quoted in the sources are those of FACTS.md
    if FACTS.is_file():
        facts = FACTS.read_text(encoding="utf-8")
        for row in want:
            if "[P]" in row or "[S]" in row:
                for pct in re.findall(r"\d+(?:\.\d+)?%", row.split("|")[4]):
                    assert pct.rstrip("%") in facts, (pct, row[:60])


def _ohlcv_2025(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df["Date"] = pd.to_datetime(df["Date"].astype(str).str[:10])
    df = df.set_index("Date").sort_index()
    out = df[df["Volume"] > 0].loc["2025"]
    assert isinstance(out, pd.DataFrame)
    return out


def _adj(shared: Path, ticker: str) -> pd.Series:
    s = pd.read_csv(shared / "us-adjclose-1993-2026" / f"{ticker}.csv", parse_dates=["Date"])
    return s.set_index("Date")["Close"].sort_index()


def test_derived_parameters_from_shared_data(shared_data: Path) -> None:
    # [D]: ADV = mean close × volume over 2025; σ_d = std of daily log returns in 2025;
    # beta = cov/var of daily returns against SPY from 2020-01-01 (the script's recipe)
    # (an independent re-derivation on purpose: it repeats scripts/derive_stress_params.py's
    # file list and recipe rather than importing them, so a drift in the script shows here)
    files = {
        "QQQ": shared_data / "us-ohlcv-2023-2026" / "QQQ.csv",
        "SPY": shared_data / "us-ohlcv-2023-2026" / "SPY.csv",
        "SOXX": shared_data / "us-ohlcv-2023-2026" / "SOXX.csv",
        "SMH": shared_data / "us-ohlcv-2023-2026" / "SMH.csv",
        "NVDA": shared_data / "korea-equities" / "NVDA_1999_2026.csv",
        "TSLA": shared_data / "korea-equities" / "TSLA_2010_2026.csv",
    }
    adv = {
        t: float((d["Close"] * d["Volume"]).mean())
        for t, d in ((t, _ohlcv_2025(f)) for t, f in files.items())
    }
    spy = _adj(shared_data, "SPY")
    sigma, beta = {}, {}
    for t in ("QQQ", "SOXX", "SPY", "NVDA", "TSLA"):
        s = _adj(shared_data, t)
        sigma[t] = float(np.log(s).diff().dropna().loc["2025"].std())
        both = pd.concat({"x": s.pct_change(), "m": spy.pct_change()}, axis=1, sort=True).dropna()
        both = both.loc["2020-01-01":]
        beta[t] = float(np.cov(both["x"], both["m"])[0, 1] / both["m"].var())
    sc = yaml.safe_load(YAML.read_text(encoding="utf-8"))["underlyings"]
    proxy = {"NDX": "QQQ", "SOX": "SOXX", "SPX": "SPY", "TSLA": "TSLA", "NVDA": "NVDA"}
    for und, t in proxy.items():
        assert sc[und]["sigma_daily"]["value"] == pytest.approx(sigma[t], abs=5e-5), und
        if und != "SPX":
            assert sc[und]["spx_beta"]["value"] == pytest.approx(beta[t], abs=5e-4), und
    assert sc["TSLA"]["adv_usd"]["value"] == pytest.approx(adv["TSLA"], rel=0.01)
    assert sc["NVDA"]["adv_usd"]["value"] == pytest.approx(adv["NVDA"], rel=0.01)
    text = _flat()
    b = {t: adv[t] / 1e9 for t in adv}
    assert f"QQQ alone ${b['QQQ']:.1f}B/day [D]" in text
    assert f"NVDA ${b['NVDA']:.1f}B and TSLA ${b['TSLA']:.1f}B [D]" in text
    assert f"SOXX + SMH ${b['SOXX'] + b['SMH']:.1f}B/day in 2025 [D]" in text
    assert f"SPY alone ${b['SPY']:.1f}B/day in 2025 [D]" in text
    assert f"(QQQ ${b['QQQ']:.1f}B, SOXX+SMH ${b['SOXX'] + b['SMH']:.1f}B [D])" in text


def test_redemption_row_issuer_figures(shared_data: Path) -> None:
    # [D] of participants.retail_redemptions.elasticity: the 3x long ProShares funds'
    # net creations C_t/A_{t-1} (issuer files, us-letf-nav-proshares) on the 2011-2024
    # days their total-return index fell more than 3 % (index-levels XNDX / SPXTR)
    from gaemi.core.creations import creations_frac, net_creations_usd
    from gaemi.data import fund_history as fh

    frames = fh.load_issuer_funds(shared_data, ["TQQQ", "UPRO"])
    levels = fh.index_levels(shared_data)
    got = {}
    for tk, df in frames.items():
        days = pd.DatetimeIndex(df.index)
        c = net_creations_usd(df["shares"].to_numpy(), df["nav_usd"].to_numpy())
        cf = creations_frac(c, df["aum_usd"].to_numpy())
        lv = levels[fh.ISSUER_FUNDS[tk].index].reindex(days)
        r = (lv / lv.shift(1) - 1).to_numpy()
        span = (days >= pd.Timestamp("2011-01-01")) & (days <= pd.Timestamp("2024-12-31"))
        k = span & (r < -0.03) & np.isfinite(cf)
        assert k.sum() > 30, tk
        got[tk] = (float(cf[k].mean()) * 100, float((cf[k] > 0).mean()) * 100)
    row = next(ln for ln in _text().splitlines() if "retail_redemptions.elasticity" in ln)
    (tq, tq_pos), (up, _) = got["TQQQ"], got["UPRO"]
    assert (
        f"(TQQQ {tq:+.1f}% of assets on average, {tq_pos:.0f}% of those days; UPRO {up:+.1f}%)"
        in row
    )


# ------------------------------------------------------------ what the default gives
def _pct(v: float, decimals: int = 2) -> str:
    return f"{v * 100:.{decimals}f} %".replace("-", "−")


def _json(capsys: pytest.CaptureFixture[str], args: str) -> Any:
    import json

    from gaemi.present.cli import main

    capsys.readouterr()
    assert main(args.split()) == 0
    return json.loads(capsys.readouterr().out)


def _money_b(v: float) -> str:
    return f"${v / 1e9:.2f}B"


def _thr(v: float) -> str:
    return _pct(v, 2 if abs(v) < 0.1 else 1)


def default_close_rows(capsys: pytest.CaptureFixture[str]) -> list[str]:
    two = {r["underlying"]: r for r in _json(capsys, "stress --shock -2% --format json")}
    five = {r["underlying"]: r for r in _json(capsys, "stress --shock -5% --format json")}
    rows = []
    for und in UNDERLYINGS:
        a, b = two[und], five[und]
        per_pct = b["capacity_usd"] / abs(b["threshold_move_frac"]) * 0.01  # K · 1 %
        cells = [
            und,
            _money_b(b["capacity_usd"]),
            _money_b(per_pct),
            _thr(b["threshold_move_frac"]),
            _pct(a["final_move_frac"]),
            _pct(b["final_move_frac"]),
            f"{b['letf_pressure_ratio']:.2f}",
            f"{b['total_pressure_ratio']:.2f}",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def test_default_close_table_is_the_engines(capsys: pytest.CaptureFixture[str]) -> None:
    part = _text().split("What the default gives at the close", 1)[1].split("\n\n", 2)[1]
    assert _rows(part, UNDERLYINGS) == default_close_rows(capsys)
    five = {r["underlying"]: r for r in _json(capsys, "stress --shock -5% --format json")}
    ndx = five["NDX"]
    text = _flat()
    ratio = f"{abs(ndx['final_move_frac']) * 100:.2f} / {abs(ndx['threshold_move_frac']) * 100:.2f}"
    assert f"({ratio} = {ndx['letf_pressure_ratio']:.2f} for NDX)" in text
    # "dealer gamma (half the LETF flow for NDX)"
    half = ndx["dealer_gamma_flow_usd"] / ndx["letf_rebalancing_flow_usd"]
    assert 0.4 <= half <= 0.6, half
    assert "dealer gamma (half the LETF flow for NDX)" in text


# --------------------------------------------------------- the research note's tables
def test_research_note_tables_are_the_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import stress_calibration_table as script

    capsys.readouterr()
    script.main()
    out = capsys.readouterr().out
    want = [ln for ln in out.splitlines() if re.match(r"\| (NDX|SOX) \| (adv|close) \|", ln)]
    part = _section("## The research note's question")
    got = [
        ln.strip() for ln in part.splitlines() if re.match(r"\| (NDX|SOX) \| (adv|close) \|", ln)
    ]
    assert got == want
    # the answer's figures: known Korean 3x AUM, the $45B what-if, close-volume needs
    known = re.search(r"Korean 3x AUM known in the default universe: (\$\d+B)", out)
    assert known is not None
    text = _flat()
    assert f"against about {known.group(1)} of known Korean 3x holdings today" in text
    rows = {tuple(c.strip() for c in ln.strip("|").split("|")[:3]): ln for ln in want}
    ndx_adv_x1 = [c.strip() for c in rows[("NDX", "adv", "x1")].strip("|").split("|")]
    assert (
        f"(which moves NDX −2 % only to {ndx_adv_x1[4].replace('-', '−').replace('%', ' %')})"
        in text
    )
    req = next(ln for ln in want if ln.startswith("| NDX | close | $"))
    cells = [c.strip() for c in req.strip("|").split("|")]
    want_text = (
        f"needs about {cells[2]} of Korean 3x AUM on NDX at today's judgement liquidity, "
        f"{cells[4]} at a quarter"
    )
    assert want_text in text


# ------------------------------------------------------------------ real history
@pytest.mark.slow
def test_history_table_is_the_engines(shared_data: Path) -> None:
    from gaemi.app.validate import STRESS_DAYS, stress_history_table

    df = stress_history_table(shared_data, STRESS_DAYS)
    part = _section("## Real history: the largest NDX/SOX days since 2020")
    got = [ln.strip() for ln in part.splitlines() if re.match(r"\| (NDX|SOX) \| 20", ln)]
    assert got == history_rows(df)


# ------------------------------------------------------------------ the model's prose
def _model(und: str, **kw: Any) -> Any:
    from gaemi.data.stress import build_stress_model, load_default_stress
    from gaemi.data.universe import load_default_universe

    u = load_default_universe()
    if "korean" in kw:
        u = u.with_korean_aum(kw.pop("korean"))
    return build_stress_model(load_default_stress(), u, und, **kw)


def test_model_section_figures_are_the_engines(capsys: pytest.CaptureFixture[str]) -> None:
    from gaemi.core.feedback import solve
    from gaemi.data.stress import load_default_stress

    text = _flat()
    sc = yaml.safe_load(YAML.read_text(encoding="utf-8"))
    # NDX −2 % with $45B Korean AUM: both pressures and the threshold
    r = _json(capsys, "stress --shock -2% -u NDX --korean-aum 45e9 --format json")[0]
    assert (
        f"(NDX −2 % with $45B Korean AUM: close {_pct(r['final_move_frac'])}, leveraged-fund "
        f"pressure {r['letf_pressure_ratio']:.2f}, total {r['total_pressure_ratio']:.2f}, "
        f"threshold {_pct(r['threshold_move_frac'])})"
    ) in text
    # the threshold's sign follows the shock's
    down = _json(capsys, "stress --shock -2% -u NDX --format json")[0]["threshold_move_frac"]
    up = _json(capsys, "stress --shock +2% -u NDX --format json")[0]["threshold_move_frac"]
    assert up == pytest.approx(-down)
    plus = _pct(up).replace("−", "") if up > 0 else _pct(up)
    assert f"{_pct(down)} for NDX under `--shock -2%`, +{plus} under `--shock +2%`" in text
    # small-signal gains 1/(1 − λ×F′(0)) at a −0.0001 % shock, per underlying
    gains = {}
    for und in UNDERLYINGS:
        res = solve(_model(und), [-1e-6])
        gains[und] = float(res.final_move_frac[0] / -1e-6)
    assert min(gains.values()) > 1.01  # "It is **not** within 1 % of the shock"
    assert "It is **not** within 1 % of the shock" in text
    ndx_close = -1e-6 * gains["NDX"]
    assert (
        f"−0.0001 % → {_pct(ndx_close, 6)} for NDX (gain {gains['NDX']:.3f}), "
        f"{gains['SOX']:.3f} SOX, {gains['SPX']:.3f} SPX, {gains['TSLA']:.3f} TSLA, "
        f"{gains['NVDA']:.3f} NVDA"
    ) in text
    # λ× at the close's capacity: $1B moves NDX Y·σ_d·sqrt(Q×/V)·(1e9/Q×)
    liq = load_default_stress().liquidity("NDX")
    y = sc["impact"]["y"]["value"]
    c = y * liq.sigma_daily / np.sqrt(liq.adv_usd)
    lam = c / np.sqrt(liq.capacity_usd)
    assert f"($1B moving NDX {_pct(lam * 1e9 / 10, 4)} instead of {_pct(lam * 1e9, 3)})" in text
    # the pure law's floor c²·F′(0), F′(0) = K + 100·G (per unit move)
    k = liq.capacity_usd / abs(down)
    g = sc["participants"]["dealer_gamma"]["usd_per_pct_adv_frac"]["value"] * liq.adv_usd
    floor = c**2 * (k + 100 * g)
    assert (
        f"closes at c²·F′(0) = {_pct(-floor, 4)} on today's universe, {floor / 1e-6:.0f}×" in text
    )
    # Q× = the close's capacity and the close at which the total flow reaches it
    grid = np.linspace(-0.02, -0.05, 3001)
    res = solve(_model("NDX"), grid)
    reach = res.final_move_frac[np.argmax(np.abs(res.total_flow_usd) >= liq.capacity_usd)]
    five = _json(capsys, "stress --shock -5% -u NDX --format json")[0]["final_move_frac"]
    assert (
        f"Flows above Q× (${liq.capacity_usd / 1e9:.2f}B for NDX, a {_pct(reach, 1)} close)" in text
    )
    assert f"so −5 % still closes at {_pct(five)}" in text
    # the stop clusters fill over the scenario's width
    width = sc["participants"]["stop_loss"]["width_frac"]["value"]
    assert f"fills linearly over a {width * 100:.1f} % band below its" in text


def test_halt_figures_are_the_engines() -> None:
    from gaemi.core.feedback import solve

    text = _flat()
    ndx = solve(_model("NDX"), [-0.30])
    beta = float(ndx.spx_beta[0])
    assert bool(ndx.halted[0])
    assert float(ndx.filled_usd[0]) == 0.0
    assert (
        f"halted at {_pct(float(ndx.final_move_frac[0]))} (−20 % × beta {beta:.3f}), "
        f"${-float(ndx.unfilled_usd[0]) / 1e9:.2f}B of selling wanted, none filled"
    ) in text
    sox = solve(_model("SOX"), [-0.30])
    assert bool(sox.halted[0])
    assert (
        f"SOX −30 %: the floor is {_pct(float(sox.final_move_frac[0]))}; the loop carries the "
        f"close there, ${-float(sox.filled_usd[0]) / 1e9:.2f}B filled and "
        f"${-float(sox.unfilled_usd[0]) / 1e9:.2f}B unfilled"
    ) in text


def test_scenario_inputs_quoted_in_the_text() -> None:
    sc = yaml.safe_load(YAML.read_text(encoding="utf-8"))
    text = _flat()
    nd, so = (sc["underlyings"][u]["adv_usd"] for u in ("NDX", "SOX"))
    assert f"the judgement ADVs (${nd['value'] / 1e9:.0f}B, ${so['value'] / 1e9:.0f}B)" in text
    sizes = sc["participants"]["stop_loss"]["sizes_adv_frac"]["value"]
    assert f"its stop clusters ({min(sizes) * 100:.1f}–{max(sizes) * 100:.1f} % of ADV)" in text
    # ETF-only liquidity: the range's lower end (QQQ; SOXX + SMH) as the ADV
    from gaemi.data.stress import load_default_stress

    s = load_default_stress()
    thr = []
    for u, adv in (("NDX", nd), ("SOX", so)):
        liq = s.liquidity(u)
        k = liq.capacity_usd / abs(float(_threshold(u)))
        thr.append(liq.closing_share * adv["range"][0] / k)
    assert f"the thresholds are {thr[0] * 100:.1f} % and {thr[1] * 100:.1f} %" in text
    from gaemi.limits import MAX_AUM_USD

    assert f"reads an amount between 0 and ${MAX_AUM_USD / 1e12:.0f}T" in text


def _threshold(und: str) -> float:
    """capacity / K, K = the leveraged funds' flow per unit move at the −5 % close."""
    from gaemi.core.feedback import solve
    from gaemi.data.stress import load_default_stress

    res = solve(_model(und), [-0.05])
    k = float(res.flow_usd["letf_rebalancing"][0]) / float(res.final_move_frac[0])
    return load_default_stress().liquidity(und).capacity_usd / k


def test_gennotte_leland_jump_figures() -> None:
    # "A single stop cluster at −4 % creates a Gennotte–Leland jump once it reaches about
    # 40 % of ADV (NDX) or 20 % (SOX) with daily-volume impact, 10 % / 5 % with close-volume
    # impact; the critical shock is then … (−2.9 % NDX, −2.1 % SOX with close-volume
    # impact), and the close jumps past −4 %": the default scenario with that one cluster
    import copy

    from gaemi.core.feedback import critical_shock
    from gaemi.data.stress import build_stress_model, stress_scenario_from_dict
    from gaemi.data.universe import load_default_universe

    base = yaml.safe_load(YAML.read_text(encoding="utf-8"))
    u = load_default_universe()

    def jump(und: str, basis: str, size: float) -> Any:
        d = copy.deepcopy(base)
        d["participants"]["stop_loss"]["levels_frac"]["value"] = [-0.04]
        d["participants"]["stop_loss"]["sizes_adv_frac"]["value"] = [size]
        d["impact"]["volume_basis"]["value"] = basis
        return critical_shock(build_stress_model(stress_scenario_from_dict(d, "gl"), u, und))

    stated = {("NDX", "adv"): 0.40, ("SOX", "adv"): 0.20, ("NDX", "close"): 0.10,
              ("SOX", "close"): 0.05}  # fmt: skip
    for (und, basis), size in stated.items():
        at, below = jump(und, basis, size), jump(und, basis, size * 0.75)
        assert np.isfinite(at.shock_frac[0]), (und, basis)
        assert at.move_after_frac[0] < -0.04
        assert np.isnan(below.shock_frac[0]), (und, basis)  # "about": not at 3/4 of it
    ndx, sox = jump("NDX", "close", 0.10), jump("SOX", "close", 0.05)
    text = _flat()
    assert "the close jumps past −4 %" in text
    assert (
        f"({_pct(float(ndx.shock_frac[0]), 1)} NDX, {_pct(float(sox.shock_frac[0]), 1)} SOX "
        "with close-volume impact)"
    ) in text
    assert "about 40 % of ADV (NDX) or 20 % (SOX) with daily-volume impact, 10 % / 5 % with" in text


@pytest.mark.slow
def test_history_prose_is_the_tables(shared_data: Path) -> None:
    from gaemi.app.validate import STRESS_DAYS, stress_history_table

    df = stress_history_table(shared_data, STRESS_DAYS)
    text = _flat()
    share = df.set_index(["underlying", "date"])["extra_share_of_move"]
    small = share.drop(("SOX", "2024-08-05"))
    assert (
        f"attributes {small.min() * 100:.0f}–{small.max() * 100:.0f} % of the day's move to the "
        f"close loop ({share[('SOX', '2024-08-05')] * 100:.0f} % for SOX on 2024-08-05"
    ) in text
    obs = df.set_index(["underlying", "date"])
    nxt = obs["next_day_move_frac"]
    assert f"(−{abs(nxt[('NDX', '2025-04-03')]) * 100:.1f} % NDX on 04-04)" in text
    extra = obs["model_extra_move_frac"]
    assert (
        f"next day gave back {_pct(nxt[('NDX', '2025-04-09')])} (NDX) / "
        f"{_pct(nxt[('SOX', '2025-04-09')], 1)} (SOX), far more than the model's "
        f"+{extra[('NDX', '2025-04-09')] * 100:.2f}/+{extra[('SOX', '2025-04-09')] * 100:.2f} pt"
    ) in text


def test_session_halt_figures_are_the_engines() -> None:
    # `gaemi stress --shock=-30% -u NDX -u SOX`: the market-wide level-3 breaker (issue 18)
    from gaemi.app.state import load_state
    from gaemi.app.stress import stress, stress_session

    state = load_state()
    sess = stress_session(state, ["NDX", "SOX"], -0.30)
    finals = [r.final_move_frac for r in sess]
    assert finals[0] == pytest.approx(finals[1])
    assert all(bool(r.to_frame()["cb_halt"].iloc[0]) for r in sess)
    assert all(float(r.result.filled_usd[0]) == 0.0 for r in sess)
    alone = stress(state, "SOX", -0.30).final_move_frac
    text = _flat()
    assert f"SOX`: both halted at {_pct(finals[0])}, nothing filled" in text
    assert f"where SOX alone runs its close to {_pct(alone)}" in text
