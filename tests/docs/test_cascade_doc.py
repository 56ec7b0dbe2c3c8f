"""docs/cascade.md holds (issue 19 item 7): its tables and the figures of its prose are
regenerated here from the contagion engine and compared with the page.

* the default chain (``gaemi.app.contagion.contagion``, embedded state, close-liquidity
  engine on NDX/SOX): the event table, the step verdicts, the attribution and the central
  levels at the horizon, and the Monte Carlo bands (10,000 draws, seed 0) with the share
  of draws in which each rule fires;
* the fuse, the reverse-stress table and the other shocks the page runs (Korean-session
  shocks, repeated −8% days, the −99% shock that meets the circuit breaker);
* on ../shared/data (skipped without it): the out-of-sample coverage table
  (``gaemi.data.contagion_history.contagion_coverage``, 1000 draws, seed 0), the
  2026-03-04 Korean-session check, and the point errors on the large drops
  (tests/validation/test_cascade_history.py's own computation).

Each engine result is computed once per module. ``python tests/docs/test_cascade_doc.py``
prints the document's tables from the engine (to rewrite the page when the engine moves).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "cascade.md"
CALIBRATION = ROOT / "src" / "gaemi" / "data" / "defaults" / "cascade_calibration.yaml"


# ------------------------------------------------------------------------------ helpers
def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _flat() -> str:
    """The page on one line, the typographic minus as ``-`` (the engine prints ``-``)."""
    return " ".join(_text().replace("−", "-").split())


def _section(title: str) -> str:
    return _text().split(title, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def _table(title: str, k: int = 0) -> list[str]:
    """The body rows of the ``k``-th table of a section (header and rule left out)."""
    tables: list[list[str]] = []
    prev = False
    for ln in _section(title).splitlines():
        row = ln.startswith("|")
        if row and not prev:
            tables.append([])
        if row:
            tables[-1].append(ln.strip())
        prev = row
    return list(tables[k][2:]) if len(tables) > k else []


def pct(v: Any, d: int = 2, sign: bool = True) -> str:
    """A fraction as the page prints it: ``-0.0542`` → ``-5.42%``."""
    x = float(v) * 100
    return f"{x:+.{d}f}%" if sign else f"{x:.{d}f}%"


def _missing(phrases: Iterable[str]) -> list[str]:
    flat = _flat()
    return [p for p in phrases if p not in flat]


def _row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


# ------------------------------------------------------------------------ engine results
@cache
def default_run() -> Any:
    """The default chain: central run and 10,000 draws (seed 0), close engine on NDX/SOX."""
    from gaemi.app.contagion import contagion

    return contagion(draws=10_000, rng=0)


@cache
def run(shocks: tuple[tuple[str, float, int], ...], feedback: str = "engine") -> Any:
    from gaemi.app.contagion import contagion

    return contagion(shocks=list(shocks), feedback=feedback)


def _eight_days(n: int) -> tuple[tuple[str, float, int], ...]:
    return tuple((node, -0.08, d) for d in range(n) for node in ("NDX", "SOX"))


def _change(res: Any, node: str, col: str = "change_mean") -> float:
    b = res.bands()
    return float(b.loc[b["node"] == node, col].iloc[0])


def _attribution(res: Any) -> dict[tuple[str, str], float]:
    from gaemi.app.contagion import attribution_frame

    a = attribution_frame(res.central)
    return {
        (e, t): float(v)
        for e, t, v in zip(a["event"], a["target"], a["change_contribution"], strict=True)
    }


def _reasons(res: Any) -> dict[str, str]:
    s = res.steps()
    return {str(k): str(v) for k, v in zip(s["step"], s["reason"], strict=True)}


# -------------------------------------------------------------------------- table rows
def _short_params(text: str) -> str:
    """The engine's parameter text with a 20-session profile summed: ``beta=0.82267;
    beta_1..beta_20 sum -0.0407; lag=0``."""
    items = text.split("; ")
    prof = [float(x.split("=")[1]) for x in items if x.startswith("beta_")]
    rest = [x for x in items if not x.startswith("beta_")]
    if prof:
        rest.insert(1, f"beta_1..beta_{len(prof)} sum {sum(prof):+.4f}")
    return "; ".join(rest)


def event_rows() -> list[str]:
    from gaemi.app.contagion import fmt_amount, fmt_change

    ev = default_run().events()
    return [
        _row(
            [
                r.step,
                r.day,
                r.action,
                r.node,
                fmt_amount(r.amount, r.amount_unit),
                fmt_change("", r.impact_unit, r.impact),
                fmt_change("", r.impact_unit, r.total_impact),
                f"`{_short_params(r.parameters)}`",
                r.source.split(" | ")[0],
            ]
        )
        for r in ev.itertuples()
    ]


def step_rows() -> list[str]:
    s = default_run().steps()
    return [_row([r.step, r.title, r.claim, f"**{r.verdict}**", r.reason]) for r in s.itertuples()]


def band_rows() -> list[str]:
    from gaemi.app.contagion import fmt_change

    b = default_run().bands()
    cols = ("change_mean", "change_q05", "change_q50", "change_q95")
    return [
        _row([r["node"], *(fmt_change("", r["change_unit"], float(r[c])) for c in cols)])
        for _, r in b.iterrows()
    ]


def reverse_rows() -> list[str]:
    from gaemi.app.contagion import reverse
    from gaemi.units import format_usd

    eng = reverse(outcome=("NDX", "change", "<=", -0.10)).to_frame()
    lin = reverse(outcome=("NDX", "change", "<=", -0.10), feedback="linear").to_frame()
    keep = (0, 2, 4, 5)  # 0.25, 1, 4 and 8 × today's Korean AUM
    return [
        _row(
            [
                format_usd(float(eng["korean_aum_usd"].iloc[i])),
                pct(float(eng["NDX_shock_frac"].iloc[i])),
                pct(float(lin["NDX_shock_frac"].iloc[i])),
            ]
        )
        for i in keep
    ]


# ---------------------------------------------------------------------- the default chain
def test_event_table_is_the_engines() -> None:
    want = event_rows()
    got = _table("## The default chain", 0)
    assert got == want


def test_step_table_is_the_engines() -> None:
    want = step_rows()
    got = _table("## The default chain", 1)
    assert got == want


def test_default_chain_prose_is_the_engines() -> None:
    r = default_run()
    att = _attribution(r)
    ev = r.events()
    ndx = ev[ev["event"] == "feedback:NDX"].iloc[0]
    from gaemi.units import format_usd

    ndx_close = float(ev[ev["event"] == "shock:NDX"]["total_impact"].iloc[0]) + float(
        ndx["total_impact"]
    )
    phrases = [
        f"so {format_usd(float(ndx['amount']))} on NDX",
        f"after a {pct(ndx_close)} day",  # the NDX close that drives the lag-1 links
        f"`sox_hynix` ({pct(att[('sox_hynix', 'HYNIX')])} on SK hynix",
        f"`ndx_spx` ({pct(att[('ndx_spx', 'SPX')])} on the S&P 500)",
        f"`sox_samsung` ({pct(att[('sox_samsung', 'SAMSUNG')])})",
        (
            f"`ndx_kospi` ({pct(att[('ndx_kospi', 'KOSPI')])}, plus "
            f"{pct(att[('samsung_kospi', 'KOSPI')])} and {pct(att[('hynix_kospi', 'KOSPI')])}"
        ),
        (
            f"the close feedback adds {pct(att[('feedback:NDX', 'NDX')])} (NDX), "
            f"{pct(att[('feedback:SOX', 'SOX')])} (SOX) and {pct(att[('feedback:HYNIX', 'HYNIX')])}"
            " (SK hynix)"
        ),
    ]
    from gaemi.app.contagion import bands_frame

    b = bands_frame(r.central).set_index("node")["change_mean"]  # the central run
    phrases += [
        f"central run): VIX {pct(b['VIX'], 1)}",
        (
            f"KOSPI {pct(b['KOSPI'])}, USD/KRW {pct(b['USDKRW'])}, SK hynix {pct(b['HYNIX'])}, "
            f"JGB 10y {b['JGB10Y'] * 100:+.2f} bp"
        ),
    ]
    assert not _missing(phrases)


def test_stability_is_the_engines() -> None:
    # "ρ = 0 … Close gains at −1%: NDX 1.11, SOX 1.19 (engine), Samsung 1.10, SK hynix 1.22"
    from gaemi.core.contagion.analysis import spectral_radius

    r = default_run()
    st = spectral_radius(r.model, feedback_models=r.fm)
    g = st.close_gain
    assert st.spectral_radius == 0.0
    assert all(c.has_rule for c in st.cycles)  # every loop closes through a rule
    phrases = [
        "In the default scenario ρ = 0",
        (
            f"Close gains at -1%: NDX {g['NDX']:.2f}, SOX {g['SOX']:.2f} (engine), "
            f"Samsung {g['SAMSUNG']:.2f}, SK hynix {g['HYNIX']:.2f} (linear)"
        ),
    ]
    assert not _missing(phrases)


def test_vix_reversion_is_the_calibration() -> None:
    # "mean reversion 2%/day": the calibrated daily reversion of VIX towards its baseline
    import yaml

    cal = yaml.safe_load(CALIBRATION.read_text(encoding="utf-8"))
    rate = float(cal["edges"]["vix_reversion"]["value"])  # fraction of the deviation per day
    assert f"mean reversion {rate:.0%}/day" in _flat()


def test_quoted_parameters_are_the_scenarios() -> None:
    """Parameters the prose quotes, from the embedded scenario: NDX → SOX's beta, the BoK
    rule's speed, where margin calls start, and the fall GPIF's band needs."""
    from gaemi.data.cascade import load_cascade

    m = load_cascade()
    ndx_sox = m.edge("ndx_sox").params["beta"].value
    bok = m.edge("bok_hike").params["speed"].value
    mc = m.edge("kospi_margin").params
    start = mc["maintenance"].value / mc["ratio_lo"].value  # collateral ratio of the first call
    kospi_fall = (1 - start) / mc["beta"].value  # collateral moves beta × KOSPI's change
    # GPIF: the foreign-equity weight w0 falls to the band's low edge when foreign equities
    # fall by x relative to the other sleeves: w0(1 - x) / (1 - w0 x) = lo
    why = _reasons(default_run())["4"]
    w0 = float(why.split("went from ")[1].split("%")[0]) / 100
    lo = float(why.split("inside its band ")[1].split("%")[0]) / 100
    x = (w0 - lo) / (w0 * (1 - lo))
    phrases = [
        f"not -5% plus {ndx_sox:.2f} × NDX",
        f"risen faster than {pct(bok, 0)} in 5 days",
        f"collateral falls below ~{start:.0%} of its start",
        f"(a KOSPI fall of about {kospi_fall:.0%})",
        f"calls start below ~{start:.0%}",
        f"foreign equities of about {round(x * 100, -1):.0f}% relative",
    ]
    assert not _missing(phrases)


def test_monte_carlo_bands_are_the_engines() -> None:
    want = band_rows()
    got = _table("## The default chain", 2)
    assert got == want
    fired = {k: float(np.mean(v)) for k, v in default_run().mc.fired.items()}  # share of draws
    phrases = [
        f"VIX stops in {fired['vix_stops']:.0%}",
        f"Korean margin calls in {fired['kospi_margin']:.0%}",
        f"the BoK hike in {fired['bok_hike']:.0%}",
        f"GPIF rebalancing in {fired['gpif_rebalance']:.0%}",
    ]
    assert not _missing(phrases)


def test_residual_volatilities_are_the_calibration() -> None:
    # "KOSPI 4.1%/day, SK hynix 5.0%, …": residual_scaling.nodes.*.vol of the calibration
    import yaml

    cal = yaml.safe_load(CALIBRATION.read_text(encoding="utf-8"))
    nodes = cal["residual_scaling"]["nodes"]
    vol = {k: float(v["vol"]) for k, v in nodes.items()}
    phrases = [
        (
            f"KOSPI {pct(vol['KOSPI'], 1, False)}/day, SK hynix {pct(vol['HYNIX'], 1, False)}, "
            f"Samsung {pct(vol['SAMSUNG'], 1, False)}, USD/KRW {pct(vol['USDKRW'], 2, False)}, "
            f"VIX {pct(vol['VIX'], 1, False)}"
        ),
        f"BTC {pct(vol['BTC'], 1, False)} as of",
    ]
    assert not _missing(phrases)


# ------------------------------------------------------------------- fuse and reverse stress
def test_fuse_is_the_engines() -> None:
    from gaemi.app.contagion import contagion, fuse

    f: Any = fuse().to_frame().set_index("step")
    s1, s3 = (
        float(f.loc["1", "first_fires_at_shock_scale"]),
        float(f.loc["3", "first_fires_at_shock_scale"]),
    )
    assert all(pd.isna(f.loc[k, "first_fires_at_shock_scale"]) for k in ("4", "5", "6"))
    assert all(float(f.loc[k, "first_fires_at_shock_scale"]) == s1 for k in ("2", "7", "8"))
    deep = contagion(shock_frac=-0.99)  # the largest shock the fuse tries
    b: Any = deep.bands().set_index("node")
    why = _reasons(deep)
    phrases = [
        f"({s1:.2f} × -5%); step 3 from {s3:.2f} × ({pct(-0.05 * s3, 1)} before the close)",
        (
            f"{pct(float(b.loc['NDX', 'change_mean']), 1)} on NDX), which moves KOSPI "
            f"{pct(float(b.loc['KOSPI', 'change_mean']), 1)} and USD/KRW "
            f"{pct(float(b.loc['USDKRW', 'change_mean']), 1)}"
        ),
        f"VIX at most {pct(float(b.loc['VIX', 'highest_change_mean']), 0)}",
        "collateral at " + why["6"].split("fell to ")[1].split(" of its")[0],
    ]
    peak = why["5"].split("USDKRW peak ")[1].split(" ")[0]
    assert f"(peak {peak})" in _flat()
    from gaemi.app.contagion import fmt_amount, fmt_change

    # the halt is a halt (issue 18): the shock stops at the halt level, nothing traded,
    # the selling is unfilled and no row on NDX/SOX that day has a positive impact
    table = deep.events()
    evs: Any = table.set_index("event")
    shock, sox, fb = evs.loc["shock:NDX"], evs.loc["shock:SOX"], evs.loc["feedback:NDX"]
    assert bool(fb["halted"])
    assert float(fb["amount"]) == 0.0
    assert float(fb["impact"]) == 0.0
    day0 = table[table["node"].isin(["NDX", "SOX"]) & (table["day"] == 0)]
    assert (day0["impact"] <= 0).all(), day0[["event", "impact"]]
    unfilled = float(fb["unfilled_usd"])
    phrases += [
        f"shows the {pct(float(shock['amount']))} given and an impact of {pct(shock['impact'])}",
        f"(SOX: {pct(float(sox['impact']))})",
        "`" + str(fb["action"]).split(" (close flow")[0] + "`",
        (
            # as the event table writes it (gaemi.units.format_change: no sign on zero)
            f"impact of {fmt_change('', 'frac', float(fb['impact']))} (JSON: `halted` true, "
            f"`amount` "
            f"{float(fb['amount']):g}, `unfilled_usd` {unfilled / 1e9:.2f}e9)"
        ),
        f'reason adds "{why["2"].split("; ")[-1]}"',
        # what the table printed before: the gap from the shock to the halted close
        (
            f"as {fmt_amount(unfilled, 'usd')} of NDX selling with an "
            f'"impact" of {pct(float(shock["impact"]) - float(shock["amount"]))}'
        ),
    ]
    assert not _missing(phrases)


def test_reverse_table_is_the_engines() -> None:
    from gaemi.app.contagion import reverse

    want = reverse_rows()
    got = _table("## Fuse and reverse stress", 0)
    assert got == want
    from gaemi.data.cascade import load_cascade
    from gaemi.units import format_usd

    m = load_cascade()
    aum = {
        n.id: n.close_feedback.params["korean_aum_usd"].value
        for n in m.nodes
        if n.close_feedback is not None and "korean_aum_usd" in n.close_feedback.params
    }
    assert format_usd(sum(aum.values())) in got[1]  # "today's" is the second row
    parts = [
        f"${aum['NDX'] / 1e9:.1f}B",
        f"${aum['SOX'] / 1e9:.1f}B",
        f"${aum['HYNIX'] / 1e9:.2f}B",
    ]
    assert f"TQQQ {parts[0]} + SOXL {parts[1]} + SK hynix 2x {parts[2]}" in _flat(), parts
    k = reverse(outcome=("KOSPI", "change", "<=", -0.10)).to_frame()
    today = k.iloc[2]  # 1 × today's Korean AUM
    phrases = [
        (
            f"shock multiple {float(today['shock_scale']):.2f}, NDX/SOX "
            f"{pct(float(today['NDX_shock_frac']), 1)} before the close"
        )
    ]
    assert not _missing(phrases)


# -------------------------------------------------------------------------- other shocks
def test_korean_session_shocks_are_the_engines() -> None:
    k12 = run((("KOSPI", -0.12, 0),))
    k20 = run((("KOSPI", -0.20, 0),))
    k20_lin = run((("KOSPI", -0.20, 0),), "linear")
    why12 = _reasons(k12)
    phrases = [
        (
            f"KOSPI {pct(_change(k12, 'KOSPI'))}, Samsung {pct(_change(k12, 'SAMSUNG'))}, "
            f"SK hynix {pct(_change(k12, 'HYNIX'))}"
        ),
        f"USD/KRW {pct(_change(k12, 'USDKRW'))} at the horizon",
        why12["6"].split(";")[0],  # kospi_margin did not fire: collateral … of its start
        (
            f"KOSPI {pct(_change(k20, 'KOSPI'))} (the forced sales add "
            f"{pct(_change(k20, 'KOSPI') + 0.20)})"
        ),
        f"margin loans {pct(_change(k20, 'KR_MARGIN'))}",
        f"NDX {pct(_change(k20, 'NDX'), 4)} (the linear hook: {pct(_change(k20_lin, 'NDX'), 4)})",
        (
            f"USD/KRW {pct(_change(k20, 'USDKRW'))} (KOSPI → won), Samsung "
            f"{pct(_change(k20, 'SAMSUNG'))} and SK hynix {pct(_change(k20, 'HYNIX'))}"
        ),
    ]
    assert not _missing(phrases)
    # -12%: step 7 is the only one that follows
    assert [
        str(s)
        for s, v in zip(k12.steps()["step"], k12.steps()["verdict"], strict=True)
        if v == "yes"
    ] == ["7"]
    # the NDX move of a Korean shock is the margin-call rule's (Korean forced selling),
    # amplified by the close: nothing else moves NDX (no drift of the close engine)
    att = _attribution(k20)
    assert att[("kospi_margin", "NDX")] < 0
    others = [
        v for (e, t), v in att.items() if t == "NDX" and e not in ("kospi_margin", "feedback:NDX")
    ]
    assert all(abs(v) < 1e-12 for v in others), others
    assert abs(att[("feedback:NDX", "NDX")]) < abs(att[("kospi_margin", "NDX")])
    # and a zero Korean shock moves nothing at all
    zero = run((("KOSPI", 0.0, 0),))
    assert (zero.bands()["change_mean"].abs() == 0).all()
    # -20%: a move that prints as zero is no move (steps 2 and 8 say no, with the move)
    from gaemi.core.contagion.analysis import MIN_STEP_MOVE

    s20 = k20.steps()
    assert [str(s) for s, v in zip(s20["step"], s20["verdict"], strict=True) if v == "yes"] == [
        "6",
        "7",
    ]
    why20 = _reasons(k20)
    sox, alts = _path_extreme(k20, "SOX"), _path_extreme(k20, "ALTS")
    assert 0 < -sox < MIN_STEP_MOVE, sox
    assert 0 < -alts < MIN_STEP_MOVE, alts
    assert f"it moves {pct(sox, 4)}, less than the {pct(MIN_STEP_MOVE, 4, False)}" in why20["2"]
    assert f"it moves {pct(alts, 4)}" in why20["8"]
    phrases = [
        (
            f"SOX moves {pct(sox, 4)} and ALTS {pct(alts, 4)}, less than the "
            f"{pct(MIN_STEP_MOVE, 3, False)} a verdict needs"
        ),
        # the reasons printed before: the same moves at the verdicts' two decimals
        f'on "SOX down {pct(sox)}" and "ALTS down {pct(alts)}"',
    ]
    assert not _missing(phrases)


def _path_extreme(res: Any, node: str) -> float:
    """The lowest change of the central run's mean path (what a step's "down" checks)."""
    m = res.model
    i = m.index(node)
    return float(np.min(res.central.mean_path[i]) / m.nodes[i].baseline - 1.0)


def test_verdict_minimum_is_the_engines() -> None:
    from gaemi.core.contagion.analysis import MIN_STEP_MOVE

    # half a unit of the printed 0.01% (a fraction) or 0.01 bp (1e-4 pp)
    assert MIN_STEP_MOVE == 0.5 * 1e-4
    phrases = [
        (
            f"A claimed move counts from {pct(MIN_STEP_MOVE, 3, False)} "
            f"({MIN_STEP_MOVE * 100:.3f} bp for a rate; `MIN_STEP_MOVE`"
        )  # pp → bp
    ]
    assert not _missing(phrases)


def test_repeated_us_shocks_are_the_engines() -> None:
    three = run((("NDX", -0.08, 0), ("NDX", -0.08, 1), ("NDX", -0.08, 2)))
    why3 = _reasons(three)
    eight = run(_eight_days(8))
    five = run(_eight_days(5))
    why8 = _reasons(eight)
    ev8 = eight.events().set_index("event")
    gpif = why8["4"]
    phrases = [
        f"(NDX {pct(_change(three, 'NDX'))}): steps 1, 2, 3 (the stops fire), 7 and 8",
        f"SOX ({pct(_change(three, 'SOX'))}) now follows NDX",
        "sleeve goes from " + why3["4"].split("went from ")[1].split(" of the fund")[0],
        why3["5"].split("bok_hike did not fire: ")[1].split(" (fires")[0],
        "collateral " + why3["6"].split("fell to ")[1].split(";")[0],
        (
            f"NDX {pct(_change(eight, 'NDX'))}, S&P 500 {pct(_change(eight, 'SPX'))}, KOSPI "
            f"{pct(_change(eight, 'KOSPI'))}, USD/KRW {pct(_change(eight, 'USDKRW'))} "
            "at the horizon"
        ),
        (
            f"The stops fire on day {int(ev8.loc['vix_stops', 'day'])}, the BoK's 25 bp hike lands "
            f"on day {int(ev8.loc['bok_hike', 'day'].min())} (USD/KRW "
            f"{float(ev8.loc['bok_hike', 'amount'].min()):.0f} the day before), "
            "GPIF's trade on day "
            f"{int(ev8.loc['gpif_rebalance', 'day'].min())} and forced margin sales from day "
            f"{int(ev8.loc['kospi_margin', 'day'].min())}"
        ),
        gpif.split(", the other way")[0].split("gpif_rebalance ")[1],
    ]
    assert [
        str(s)
        for s, v in zip(eight.steps()["step"], eight.steps()["verdict"], strict=True)
        if v != "yes"
    ] == ["4"]
    fired5 = set(five.events()["event"])
    assert {"bok_hike", "kospi_margin"} <= fired5
    ev5 = five.events().set_index("event")
    phrases.append(f"fire the BoK rule (USD/KRW {float(ev5.loc['bok_hike', 'amount'].min()):.0f})")
    assert not _missing(phrases)


# ------------------------------------------------------------------ out of sample (data)
@pytest.fixture(scope="module")
def coverage(shared_data: Path) -> Any:
    from gaemi.data.contagion_history import contagion_coverage

    return contagion_coverage(shared_data, draws=1000, seed=0)


NODES = (
    ("VIX", "VIX"),
    ("USDKRW", "USD/KRW"),
    ("KOSPI", "KOSPI"),
    ("SAMSUNG", "Samsung"),
    ("HYNIX", "SK hynix"),
    ("BTC", "BTC"),
)


def coverage_rows(s: Any) -> list[str]:
    rows = []
    for node, name in NODES:
        cells = []
        for h in (1, 5, 20):
            c = float(s.loc[(node, h), "coverage"])
            t = f"{c * 100:.1f}%".replace("100.0%", "100%")
            cells.append(t if 0.80 <= c <= 0.95 else f"**{t}**")
        ns = sorted({int(s.loc[(node, h), "n"]) for h in (1, 5, 20)})
        n = str(ns[0]) if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"
        m1 = s.loc[(node, 1)]
        mae = (
            f"{pct(float(m1['mae_model']), 2, False)} / {pct(float(m1['mae_zero']), 2, False)} "
            f"({float(m1['mae_ratio']):.2f})"
        )
        rows.append(_row([name, " / ".join(cells), n, mae]))
    return rows


def test_coverage_table_is_the_engines(coverage: Any) -> None:
    s = coverage.summary
    want = coverage_rows(s)
    got = _table("### Coverage of the bands", 0)
    assert got == want
    cov = s["coverage"]
    inside = int(((cov >= 0.80) & (cov <= 0.95)).sum())
    phrases = [
        (
            f"the 90% bands cover {cov.min() * 100:.0f}–{cov.max() * 100:.0f}% of what happened, "
            f"{inside} of {len(cov)} node/horizon cells inside 80–95%"
        ),
        f"{inside} of the {len(cov)} cells are inside it",
        f"BTC** at 5 sessions ({cov[('BTC', 5)] * 100:.0f}%)",
        f"the 20-session band ({cov[('BTC', 20)]:.0%})",
        f"Samsung at 1 session ({cov[('SAMSUNG', 1)]:.0%})",
        f"22 would be {22 / int(s.loc[('SAMSUNG', 5), 'n']) * 100:.1f}%",
    ]
    assert not _missing(phrases)
    assert round(cov[("SAMSUNG", 5)] * int(s.loc[("SAMSUNG", 5), "n"])) == 21


def test_calibrated_multipliers_are_the_calibration() -> None:
    # "1.06 × its pre-shock vol … at 89% coverage"; "88–95% for every node and horizon";
    # VIX's 20-session multiplier at the grid's end (2.1) covering 88% in the fit window
    import yaml

    rs = yaml.safe_load(CALIBRATION.read_text(encoding="utf-8"))["residual_scaling"]
    cv = rs["cross_validation"]["coverage_at_chosen"]
    lo, hi = min(cv.values()), max(cv.values())
    flat = _flat()
    assert f"episodes left out): {lo * 100:.0f}–{hi * 100:.0f}% for every node" in flat
    vix20 = [cv["VIX 20.0"]]
    assert vix20
    assert f"covers {vix20[0]:.0%} in the fit window" in flat
    assert f"(VIX at 20 sessions: {vix20[0]:.0%}," in flat
    sam1 = [cv["SAMSUNG 1.0"]]
    mult = rs["nodes"]["SAMSUNG"]["scale_sessions"]
    assert f"({float(mult[0]):.2f} × its pre-shock vol) came out of the fit window at " in flat
    assert sam1
    assert f"at {sam1[0]:.0%} coverage" in flat


def test_korean_session_day_is_the_engines(shared_data: Path) -> None:
    from gaemi.data.cascade import load_cascade
    from gaemi.data.contagion_history import korean_session_check, load_series

    series = load_series(shared_data)
    m = load_cascade()

    def check(shocked: tuple[str, ...], node: str) -> Any:
        return korean_session_check(series, m, node=node, shocked=shocked, seed=0)

    sam, hyn = check(("KOSPI",), "SAMSUNG"), check(("KOSPI",), "HYNIX")
    kos, us = check(("SAMSUNG", "HYNIX"), "KOSPI"), check((), "KOSPI")

    def band(k: Any) -> str:
        return f"{pct(k.lo, 1)} … {pct(k.hi, 1)}"

    phrases = [
        f"Samsung's band {band(sam)} holds its {pct(sam.actual)}",
        f"SK hynix's {band(hyn)} its {pct(hyn.actual)}",
        f"KOSPI's band is **{pct(kos.lo)} … {pct(kos.hi, 1)}**",
        f"{pct(kos.actual)} is {abs(kos.lo - kos.actual) * 100:.2f} pp below the 5% quantile",
        f"The US session alone gives {band(us)}",
        f"(KOSPI {pct(kos.actual)}, Samsung {pct(sam.actual)}, SK hynix {pct(hyn.actual)}",
        f"On 2026-03-04 itself (KOSPI {pct(kos.actual)})",
        f"(central {pct(kos.central, 1)})",
    ]
    # the US session before it (QQQ and SOXX on 03-03)
    for node, name in (("NDX", "QQQ"), ("SOX", "SOXX")):
        x = series[node].dropna().loc[:"2026-03-03"]
        phrases.append(f"{name} {pct(float(x.iloc[-1] / x.iloc[-2] - 1))}")
    # the reverse-regression bounds (top of the Monte Carlo ranges) on the realised moves
    bound = {e: m.edge(e).params["beta"].hi for e in ("samsung_kospi", "hynix_kospi")}
    kospi = bound["samsung_kospi"] * sam.actual + bound["hynix_kospi"] * hyn.actual
    phrases.append(f"stocks' moves give KOSPI {pct(kospi, 1)} before residuals")
    assert not _missing(phrases)


def _history_module() -> Any:
    path = ROOT / "tests" / "validation" / "test_cascade_history.py"
    spec = importlib.util.spec_from_file_location("_cascade_history_for_docs", path)
    assert spec is not None
    assert spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


SERIES = (
    ("vix_d0", "VIX, same day"),
    ("kospi_d1", "KOSPI, next session"),
    ("kospi_d5", "KOSPI, 5 sessions"),
    ("usdkrw_d1", "USD/KRW, next day"),
    ("usdkrw_d5", "USD/KRW, 5 days"),
)


def point_errors(data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-event errors and their summary, as tests/validation/test_cascade_history.py
    computes them (its fixture's own function)."""
    mod = _history_module()
    err = mod.errors.__wrapped__(data)
    return err, mod.summary(err)


def point_rows(s: Any) -> list[str]:
    return [
        _row(
            [
                name,
                int(s.loc[k, "n"]),
                pct(s.loc[k, "mae_model"], 2, False),
                pct(s.loc[k, "mae_zero_change"], 2, False),
                pct(s.loc[k, "bias"]),
                f"{s.loc[k, 'sign_hit']:.0%}",
                f"{s.loc[k, 'corr']:.2f}",
            ]
        )
        for k, name in SERIES
    ]


def test_point_errors_are_the_engines(shared_data: Path, coverage: Any) -> None:
    err: Any
    s: Any
    err, s = point_errors(shared_data)
    want = point_rows(s)
    got = _table("### Point errors", 0)
    assert got == want
    gain = [
        1 - s.loc[k, "mae_model"] / s.loc[k, "mae_zero_change"] for k in ("kospi_d5", "usdkrw_d5")
    ]
    hit = [s.loc[k, "sign_hit"] for k in ("kospi_d5", "usdkrw_d5")]
    e = err.set_index("date")
    march = e.loc[["2020-03-09", "2020-03-11", "2020-03-12", "2020-03-16"]]
    t = coverage.table
    k5 = t[(t["node"] == "KOSPI") & (t["h"] == 5)].set_index("date").loc[list(march.index)]
    held = [d[5:] for d in k5.index[k5["inside"].astype(bool)]]
    missed = k5[~k5["inside"].astype(bool)]
    phrases = [
        f"the gain is {min(gain) * 100:.0f}–{max(gain) * 100:.0f}% of the error",
        f"right only {min(hit) * 100:.0f}–{max(hit) * 100:.0f}% of the",
        f"(bias {s.loc['vix_d0', 'bias'] * 100:+.1f} pp;",
        (
            f"2024-08-05: {pct(e.loc['2024-08-05', 'vix_d0_model'], 0)} modelled vs "
            f"{pct(e.loc['2024-08-05', 'vix_d0_actual'], 0)}"
        ),
        (
            f"2024-12-18: {pct(e.loc['2024-12-18', 'vix_d0_model'], 0)} vs "
            f"{pct(e.loc['2024-12-18', 'vix_d0_actual'], 0)}"
        ),
        (
            f"(KOSPI {pct(march['kospi_d5_actual'].max(), 0)} to "
            f"{pct(march['kospi_d5_actual'].min(), 0)} actual vs "
            f"{pct(march['kospi_d5_model'].max(), 0)} to {pct(march['kospi_d5_model'].min(), 0)}"
        ),
        f"(corr {s.loc['usdkrw_d1', 'corr']:.2f})",
        f"The 90% bands held only {', '.join(held)}; "
        + ", ".join(
            f"{d[5:]} ({pct(a, 1)})" for d, a in zip(missed.index, missed["actual"], strict=True)
        ).replace(f", {missed.index[-1][5:]}", f" and {missed.index[-1][5:]}")
        + " fell below them (bands down to "
        + ", ".join(pct(v, 1) for v in missed["lo"]).replace(
            f", {pct(missed['lo'].iloc[-1], 1)}", f" and {pct(missed['lo'].iloc[-1], 1)}"
        ),
        f"({pct(s.loc['usdkrw_d1', 'bias'])} bias)",
    ]
    assert not _missing(phrases)


# ------------------------------------------------------------------------------- printer
def _print(title: str, rows: Callable[[], list[str]]) -> None:
    print(f"\n{title}")
    print("\n".join(rows()))


if __name__ == "__main__":  # pragma: no cover - a maintenance aid
    for t, f in (
        ("events", event_rows),
        ("steps", step_rows),
        ("bands", band_rows),
        ("reverse", reverse_rows),
    ):
        _print(t, f)
    if len(sys.argv) > 1:
        from gaemi.data.contagion_history import contagion_coverage

        _print(
            "coverage",
            lambda: coverage_rows(
                contagion_coverage(Path(sys.argv[1]), draws=1000, seed=0).summary
            ),
        )
        _print("points", lambda: point_rows(point_errors(Path(sys.argv[1]))[1]))


def test_market_wide_halt_paragraph_is_the_engines() -> None:
    # `--shock NDX=-99%` alone: every US equity node halts together (issue 18); the page
    # quotes the day-0 moves of the engine's central run
    from gaemi.app.contagion import contagion

    res = contagion(shocks={"NDX": -0.99})
    c = res.central
    day0 = {
        n: float(c.mean_path[c.model.index(n), 1] / c.model.node(n).baseline - 1.0)
        for n in ("NDX", "SOX", "SPX")
    }
    assert all(bool(c.halted[n][0, 0]) for n in day0)
    phrases = [
        f"`--shock NDX=-99%` alone: NDX {pct(day0['NDX'])}, SOX {pct(day0['SOX'])}",
        f"SPX {pct(day0['SPX'])} (the calibrated `ndx_spx` link)",
    ]
    assert not _missing(phrases)


def test_link_carried_halt_paragraph_is_the_engines() -> None:
    # a trigger that needs an earlier node's close (issue 18): that close stops part-way,
    # where the trigger just reaches its halt level. (1) the closed form of a linear link:
    # ndx_spx at 0.98, NDX -20 %: SPX reaches -20 % when NDX is at -20 % / 0.98;
    # (2) `gaemi cascade --shock NDX=-21% --draws 200` (seed 0): the halted draws
    from gaemi.app.contagion import cascade_model, feedback_models
    from gaemi.core.contagion import simulate
    from gaemi.units import format_usd

    m, _ = cascade_model(shocks={"NDX": -0.20})
    fm = feedback_models(m, "engine")
    assert fm is not None
    c = simulate(m, deterministic=True, feedback_models=fm, params={("ndx_spx", "beta"): 0.98})
    day0 = {
        n: float(c.mean_path[c.model.index(n), 1] / c.model.node(n).baseline - 1.0)
        for n in ("NDX", "SOX", "SPX")
    }
    assert day0["NDX"] == pytest.approx(-0.20 / 0.98, abs=1e-12)
    assert all(bool(c.halted[n][0, 0]) for n in day0)
    keys = m.node("NDX").close_feedback.params  # type: ignore[union-attr]
    hook = fm["node:NDX"]({k: c.params[("feedback:NDX", k)] for k in keys})
    full = float(np.asarray(hook(np.array([-0.20])).move_frac)[0])  # the close it had coming
    fb = next(e for e in c.events if e.event == "feedback:NDX" and e.day == 0)
    # the Monte Carlo of `gaemi cascade --shock NDX=-21% --draws 200` (contagion's own call,
    # app/contagion.run_cascade), its event rows logged: no close kept before a trigger
    m21, _ = cascade_model(shocks={"NDX": -0.21})
    mc = simulate(m21, 200, rng=0, feedback_models=feedback_models(m21, "engine"))
    assert mc.paths is not None
    assert not [e for e in mc.events if e.event.startswith("halt:") and "after" in e.action]
    moved = {n: mc.paths[mc.model.index(n), 1] / mc.paths[mc.model.index(n), 0] - 1.0 for n in day0}
    beta = {"NDX": 1.155, "SOX": 1.562, "SPX": 1.0}  # stress_default.yaml spx_beta
    spx = np.min(np.stack([moved[n] / beta[n] for n in day0]), axis=0)
    halted = mc.halted["NDX"][0]
    assert spx[halted] == pytest.approx(-0.20, abs=1e-12)
    part = halted & (moved["NDX"] < -0.21 - 1e-12)
    phrases = [
        (
            f"an NDX shock of -20% halts when NDX reaches {pct(day0['NDX'])} (= -20% ÷ 0.98) on "
            f"its way to {pct(full)}: -{format_usd(-fb.amount)} of its close selling traded and "
            f"{format_usd(-fb.unfilled_usd)} unfilled, SOX stopped at {pct(day0['SOX'])}"
        ),
        (
            f"SPX at {pct(day0['SPX'])}. `gaemi cascade --shock NDX=-21% --draws 200`: "
            f"{int(halted.sum())} of the 200 draws halt on day 0, {int(part.sum())} of them "
            f"part-way through NDX's close (NDX between {pct(moved['NDX'][part].min())} and "
            f"{pct(moved['NDX'][part].max())}); in all {int(halted.sum())} the implied S&P 500 "
            f"move is {pct(float(spx[halted].max()))}"
        ),
    ]
    assert not _missing(phrases)


def test_later_trigger_paragraph_is_the_engines() -> None:
    # `--shock NDX=-10% --shock SOX=-30.5%`: SOX's close triggers the halt after NDX's
    # close ran; the session is re-solved as halted (issue 18), as stress_session says
    from gaemi.app.contagion import contagion
    from gaemi.units import format_usd

    res = contagion(shocks={"NDX": -0.10, "SOX": -0.305})
    c = res.central
    day0 = {
        n: float(c.mean_path[c.model.index(n), 1] / c.model.node(n).baseline - 1.0)
        for n in ("NDX", "SOX", "SPX")
    }
    assert all(bool(c.halted[n][0, 0]) for n in day0)
    ev = res.events()
    fb = ev[(ev["event"] == "feedback:NDX") & (ev["day"] == 0)].iloc[0]
    assert fb["amount"] == 0.0
    # the close NDX would have made: the engine's own answer with no halt (stress alone)
    from gaemi.app.state import load_state
    from gaemi.app.stress import stress

    state = load_state()
    alone = stress(state, "NDX", -0.10).final_move_frac
    # SOX halts during its own close: its row's traded and unfilled flow, what the stress
    # engine of SOX alone at -30.5 % fills (the hook's Korean AUM rounded: rel 1e-5)
    sox = ev[(ev["event"] == "feedback:SOX") & (ev["day"] == 0)].iloc[0]
    assert "halts SOX during its own close (its close reached its halt level)" in sox["action"]
    own = stress(state, "SOX", -0.305).result
    assert float(sox["amount"]) == pytest.approx(float(own.filled_usd[0]), rel=1e-5)
    assert float(sox["unfilled_usd"]) == pytest.approx(float(own.unfilled_usd[0]), rel=1e-5)
    phrases = [
        (
            f"SOX with `--shock NDX=-10% --shock SOX=-30.5%`: "
            f"{format_usd(float(sox['amount']), signed=True)} traded, "
            f"{format_usd(-float(sox['unfilled_usd']))} unfilled, what `gaemi stress` of SOX "
            "alone at that shock fills"
        ),
        f"SOX's close reaches {pct(day0['SOX'])}",
        (
            f"NDX stops at {pct(day0['NDX'])} with "
            f"{format_usd(-float(fb['unfilled_usd']))} of selling unfilled"
        ),
        f"keep its close, {pct(alone)})",
        f"SPX at {pct(day0['SPX'])} (the link from NDX's {pct(day0['NDX'])})",
    ]
    assert not _missing(phrases)
