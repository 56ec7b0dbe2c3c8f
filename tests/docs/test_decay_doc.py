"""docs/decay.md holds (issue 19 item 7): its tables and the figures of its prose are
recomputed here from the engines and compared with the text.

* Sections 2–5 (the closed form, the discretisation gap, the embedded answers, the embedded
  volatility and investor defaults) and the worked examples of section 7 run on the
  embedded default (no data needed; the examples use the CLI's defaults: 20,000 paths,
  seed 0).
* The real-history figures (section 2's rolling windows, section 6 against market closes,
  section 6b against the issuer's NAV, SOXL's worst three days, the past-day sideways
  answer from a store) are recomputed on ../shared/data and skipped without it.

Each figure is rendered as the document prints it (same rounding, a true minus sign) and
looked up in the document's text, so an engine change fails here until the page is
rewritten (``python tests/docs/test_decay_doc.py [../shared/data]`` prints every rendered
piece).
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "decay.md"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _flat() -> str:
    return " ".join(_text().split())


def _section(start: str, end: str) -> str:
    return _text().split(start, 1)[1].split(end, 1)[0]


def _pct(v: float, nd: int = 1, *, sign: bool = False) -> str:
    """As the document writes a fraction: ``+8.8 %`` / ``−5.6 %`` (true minus, a space)."""
    s = f"{v * 100:+.{nd}f}" if sign else f"{v * 100:.{nd}f}"
    return s.replace("-", "−") + " %"


def _num(v: float, nd: int = 2, *, sign: bool = False) -> str:
    s = f"{v:+.{nd}f}" if sign else f"{v:.{nd}f}"
    return s.replace("-", "−")


def _missing(pieces: list[str]) -> list[str]:
    flat = _flat()
    return [p for p in pieces if p not in flat]


# --------------------------------------------------------------------- section 2 (embedded)
EROSION_VOLS = (0.30, 0.45, 0.60)
EROSION_MONTHS = (1, 3, 6, 12)


def erosion_rows() -> list[str]:
    """The drag-only table: 1 − exp(−3σ²T) for a 3x fund, no carry (core engine)."""
    from gaemi.core.decay import sideways_erosion
    from gaemi.core.nav import FundTerms

    rows = []
    for vol in EROSION_VOLS:
        cells = []
        for m in EROSION_MONTHS:
            c = _pct(float(sideways_erosion(FundTerms(3.0), vol, m / 12.0)))
            cells.append(f"**{c}**" if (vol, m) == (0.45, 6) else c)
        rows.append(f"| {vol * 100:.0f} % | " + " | ".join(cells) + " |")
    return rows


def test_erosion_table_is_the_closed_form() -> None:
    part = _section("## 2. Closed form", "**Which volatility")
    doc = [ln.strip() for ln in part.splitlines() if re.match(r"\| \d+ % \|", ln)]
    assert doc == erosion_rows()


#: The discretisation check: GBM paths, 3x, σ = 45 %, 6 months (stated in the document).
GAP_PATHS, GAP_SEED, GAP_K = 1_000, 0, (1, 4, 16, 64)  # 64/day: 8,064 steps


def _sig2(v: float) -> str:
    return f"{v * 100:#.2g}".rstrip(".") + " %"


def gap_rows() -> list[str]:
    """Mean |closed form − exact| per unit of starting NAV, k rebalances a day."""
    from gaemi.core.decay import discretisation_gap
    from gaemi.core.nav import FundTerms

    rows = []
    for k in GAP_K:
        ex, cf_model, cf_real = discretisation_gap(
            FundTerms(3.0), 0.45, 0.5, 252 * k, GAP_PATHS, GAP_SEED
        )
        a = float(np.mean(np.abs(cf_model - ex)))
        b = float(np.mean(np.abs(cf_real - ex)))
        rows.append(f"| {k} | {_sig2(a)} | {_sig2(b)} |")
    return rows


def test_discretisation_table_is_the_engines() -> None:
    part = _section("**Exact vs closed form.**", "With the model variance")
    assert f"{GAP_PATHS:,} GBM paths, seed {GAP_SEED}" in " ".join(part.split())
    doc = [ln.strip() for ln in part.splitlines() if re.match(r"\| \d+ \|", ln)]
    assert doc == gap_rows()


@cache
def _soxl_45() -> Any:
    """``gaemi decay --ticker SOXL --months 6 --vol 45%`` (the CLI's 20,000 paths, seed 0)."""
    from gaemi.app.decay import decay

    return decay(None, "SOXL", months=6, vol_annual=0.45)


def sideways_pieces() -> list[str]:
    """Section 2's embedded answers: the 45 % half-year with carry, the one-rule answer."""
    from gaemi.app.decay import erosion, sideways_decay

    given = sideways_decay(None, "SOXL", 6.0, vol_annual=0.45)
    grid = erosion(None, "SOXL", vols_annual=[0.45], months=[6.0])
    assert len(grid.rows) == 1
    assert grid.rows[0]["loss_frac"] == pytest.approx(given.loss_frac, rel=1e-12)
    rule = sideways_decay(None, "SOXL", 6.0)
    assert rule.vol.as_of is not None
    med_gap = _soxl_45().extra_dict()["closed_form_median_abs_err_frac"]
    from gaemi.app.decay import vol_defaults

    vd = vol_defaults()
    return [
        (
            f"All with the embedded defaults (rate {_pct(vd.rate_annual, 2)}, spread "
            f"{_pct(vd.spread_annual, 2)}, USD/KRW {vd.usdkrw:,.2f} on {vd.usdkrw_as_of})"
        ),
        (
            f"at the embedded {_pct(given.fund.rate_annual, 2)} rate, SOXL's flat half-year at "
            f"45 % costs {_pct(given.loss_frac)}."
        ),
        (
            f"**{_pct(rule.loss_frac)} at σ = {_pct(rule.vol.vol_annual)} (60-day realised, "
            f"{rule.vol.as_of.isoformat()})**"
        ),
        f"--months 6` is the one row {_pct(grid.rows[0]['loss_frac'])}",
        f"(median |gap| {_pct(med_gap, 2)} for SOXL at 45 % over 6 months)",
    ]


def test_sideways_answers_are_the_engines() -> None:
    assert not _missing(sideways_pieces())


def test_erosion_grid_is_the_default() -> None:
    from gaemi.app.decay import EROSION_MONTHS as MS
    from gaemi.app.decay import EROSION_VOLS as VS

    vols = "/".join(f"{v * 100:.0f}" for v in VS)
    months = "/".join(f"{m:g}" for m in MS)
    assert f"(σ {vols} %, {months} months)" in _flat()


# ----------------------------------------------------------------- section 4/5 (embedded)
def test_long_run_vols_are_the_embedded_garch() -> None:
    # long-run vol = √(252·ω/(1 − α − γ/2 − β)) of each embedded GJR-GARCH fit
    from gaemi.app.decay import vol_defaults

    vd = vol_defaults()
    parts = []
    for u in ("NDX", "SOX", "TSLA", "NVDA"):
        g = vd.get(u).garch
        lr = math.sqrt(252 * g.omega / (1 - g.alpha - g.gamma / 2 - g.beta))
        assert lr == pytest.approx(g.long_run_vol_annual, rel=1e-9)
        parts.append(f"{u} {lr * 100:.0f} %")
    assert "give long-run vols " + ", ".join(parts[:-1]) + ", " + parts[-1] in _flat()


def test_investor_defaults_are_the_yaml() -> None:
    from gaemi.app.investor import margin_rules

    r = margin_rules()
    flat = _flat()
    assert f"maintenance {r.maintenance_ratio * 100:.0f} % (FACTS.md (d)" in flat
    assert f"{r.grace_days} grace days, loan rate {r.loan_rate_annual * 100:.0f} %" in flat


# ---------------------------------------------------------------- section 7 (embedded runs)
def _investor(**kw: Any) -> Any:
    from gaemi.app.investor import investor

    return investor(None, kw.pop("capital"), kw.pop("positions"), **kw)


@cache
def _krw_runs() -> tuple[Any, Any]:
    common: dict[str, Any] = {
        "capital": 140_000_000,
        "positions": [("SOXL", 1.0)],
        "months": 6,
        "target": 280_000_000,
    }
    return _investor(**common), _investor(margin=0.5, **common)


def _won(v: float) -> str:
    return f"₩{v / 1e8:.2f}억"


def examples_pieces() -> list[str]:
    """Section 7: the SOXL decay run, TQQQ GARCH, and the two ₩140M accounts."""
    from gaemi.app.decay import decay

    so = _soxl_45()
    s = so.extra_dict()
    pf = so.to_frame().set_index("prob")
    tq = decay(None, "TQQQ", months=6, model="garch").extra_dict()
    a, b = (r.summary_dict() for r in _krw_runs())

    def p0(x: float) -> str:
        return f"{x * 100:.0f} %"

    return [
        f"sideways erosion (closed form) {_pct(s['sideways_closed_form_loss_frac'])}",
        f"the fund's median change {_pct(s['median_change_frac'], sign=True)}",
        f"P(lose ≥ 50 %) {_pct(s['prob_loss_frac']['0.5'])}",
        (
            f"the fund's 5th–95th percentiles {_pct(pf.loc[0.05, 'fund_change_frac'], sign=True)} "
            f"… {_pct(pf.loc[0.95, 'fund_change_frac'], sign=True)}"
        ),
        (
            f"the underlying's {_pct(pf.loc[0.05, 'underlying_move_frac'], sign=True)} … "
            f"{_pct(pf.loc[0.95, 'underlying_move_frac'], sign=True)}"
        ),
        f"the underlying's median falls {_pct(-pf.loc[0.5, 'underlying_move_frac'])}",
        f"the *mean* fund value barely moves ({_pct(s['mean_change_frac'], 0, sign=True)})",
        (
            f"TQQQ under GJR-GARCH-t: median {_pct(tq['median_change_frac'], sign=True)}, "
            f"P(lose ≥ 50 %) {_pct(tq['prob_loss_frac']['0.5'])}"
        ),
        (
            f"down half or more at some point in {p0(a['prob_loss_50pct_ever'])}, down 90 % or "
            f"more in {p0(a['prob_loss_90pct_ever'])}"
        ),
        f"median end {_won(a['median_end_krw'])} ({_pct(a['median_change_frac'], 0)})",
        f"typical worst fall from a high {p0(a['median_max_drawdown_frac'])}",
        f"the target before losing 90 % in {p0(a['prob_target_before_ruin'])}",
        (
            f"margin call in {p0(b['prob_margin_call'])} (median first call on trading day "
            f"{b['median_first_call_day']:.0f}), forced sale in {p0(b['prob_forced_sale'])}"
        ),
        (
            f"down half in {p0(b['prob_loss_50pct_ever'])}, down 90 % in "
            f"{p0(b['prob_loss_90pct_ever'])}"
        ),
        f"median end {_won(b['median_end_krw'])} ({_pct(b['median_change_frac'], 0)})",
        f"target in {p0(b['prob_target_before_ruin'])}",
        (
            f'("graduating": {p0(a["prob_target_before_ruin"])} → '
            f"{p0(b['prob_target_before_ruin'])})"
        ),
        f"(ruin: {p0(a['prob_ruin'])} → {p0(b['prob_ruin'])})",
    ]


def test_examples_are_the_engines() -> None:
    assert not _missing(examples_pieces())


def usd_examples_pieces(shared: Path | None) -> list[str]:
    """$900 → $13,000 (GARCH, 12 months) and the 3-day margined bootstrap of SOXX."""
    from gaemi.data.returns import history_file

    a = _investor(
        capital=900, positions=[("SOXL", 1.0)], currency="USD", target=13_000, months=12
    ).summary_dict()
    out = [f"the target before losing 90 % in {a['prob_target_before_ruin'] * 100:.1f} %"]
    if shared is not None:
        b = _investor(
            capital=13_000,
            positions=[("SOXL", 1.0)],
            currency="USD",
            margin=1.0,
            days=3,
            model="bootstrap",
            history=[history_file("SOXX", shared)],
        ).summary_dict()
        assert b["prob_forced_sale"] == 0.0
        from gaemi.app.decay import decay

        boot = decay(
            None,
            "SOXL",
            months=6,
            model="bootstrap",
            drift_annual=0.0,
            history=[history_file("SOXX", shared)],
        ).extra_dict()
        out += [
            (
                f"SOXL bootstrapped from SOXX's history (20-day blocks, drift removed): median "
                f"{_pct(boot['median_change_frac'], sign=True)}, P(lose ≥ 50 %) "
                f"{_pct(boot['prob_loss_frac']['0.5'])}"
            ),
            f"P(margin call) {b['prob_margin_call'] * 100:.1f} %",
            f"P(down half) {b['prob_loss_50pct_ever'] * 100:.1f} %",
            f"is a {b['prob_loss_50pct_ever'] * 100:.1f} % draw from SOXX's history",
        ]
    return out


@pytest.mark.slow
def test_usd_examples_are_the_engines(shared_data: Path) -> None:
    assert not _missing(usd_examples_pieces(shared_data))


# ------------------------------------------------------------------ real history (shared)
@pytest.fixture(scope="module")
def shared(shared_data: Path) -> Path:
    return shared_data


def closes_pieces(d: Path) -> list[str]:
    """Section 2's rolling windows and section 6 against market closes (nothing fitted):
    ``gaemi.app.validate``'s NAV recipe (rate + 0.40 %, fees from the universe)."""
    from gaemi.app import validate as v
    from gaemi.core.nav import FundTerms

    def terms(tk: str, lev: float) -> FundTerms:
        return FundTerms(lev, v.NAV_ER[tk], v.RECIPE_SPREAD, tk)

    def growth(df: Any, a: str, b: str) -> float:
        x = df.loc[a:b, "f"]
        return float(x.iloc[-1] / x.iloc[0])

    out = []
    tq = v._nav_frame(d, "TQQQ", "QQQ")
    roll = v.rolling_closed_form(tq, terms("TQQQ", 3))
    out.append(
        f"on {roll['windows']} rolling 6-month windows of QQQ/TQQQ "
        f"{roll['first_day'][:4]}–{roll['last_day'][:4]}"
    )
    out.append(
        f"median |error| of {_pct(roll['median_abs_err'], 2)} (5–95 % range "
        f"{_pct(roll['p05_err'], 2, sign=True)} … {_pct(roll['p95_err'], 2, sign=True)}, "
        f"worst {_pct(roll['max_abs_err'])})"
    )
    w = ("2015-01-05", "2024-12-31")
    out.append(f"(real growth {growth(tq, *w):.2f}×; ER {_pct(v.NAV_ER['TQQQ'], 2)})")
    out.append(f"modelled **{_pct(v.nav_growth_error(tq, *w, terms('TQQQ', 3)), sign=True)}**")
    years = v.nav_per_year(tq, 2015, 2024, terms("TQQQ", 3))
    out.append(", ".join(f"{y} {_pct(e, 2, sign=True)}" for y, e in years.items()))
    # the two crash days: real TQQQ's day against 3× QQQ's day, as growth ratios
    g = (1 + tq["f"].pct_change()) / (1 + 3 * tq["u"].pct_change())
    g1, g2 = float(g["2020-03-16"]), float(g["2020-03-17"])
    # "carry most of that": the two days are more than half of the ten-year error
    assert 1 / (g1 * g2) - 1 > 0.5 * v.nav_growth_error(tq, *w, terms("TQQQ", 3))
    out.append(
        f"on 2020-03-16 TQQQ closed {_pct(g1 - 1)} better than 3× QQQ's day gives, on "
        f"2020-03-17 {_pct(1 - g2)} worse; together they put the model "
        f"{_pct(1 / (g1 * g2) - 1)} above the fund"
    )
    out.append(f"notional; ER {_pct(v.NAV_ER['SQQQ'], 2)})")
    out.append(f"index; ER {_pct(v.NAV_ER['SOXL'], 2)})")
    sq = v._nav_frame(d, "SQQQ", "QQQ")
    sy = v.nav_per_year(sq, 2015, 2024, terms("SQQQ", -3)).values()
    out.append(
        f"real growth {growth(sq, *w):.2g}×, modelled "
        f"{_pct(v.nav_growth_error(sq, *w, terms('SQQQ', -3)), sign=True)} (per year "
        f"between {_pct(min(sy), sign=True)} and {_pct(max(sy), sign=True)})"
    )
    so = v._nav_frame(d, "SOXL", "SOXX")
    end = str(so.index[-1].date())
    s_err = v.nav_growth_error(so, "2021-09-01", end, terms("SOXL", 3))
    s_years = v.nav_per_year(so, 2022, 2025, terms("SOXL", 3))
    out.append(
        f"real growth {growth(so, '2021-09-01', end):.2f}× to {end}; modelled "
        f"{_pct(s_err, sign=True)}; per year "
        + ", ".join(f"{y} {_pct(e, sign=True)}" for y, e in s_years.items())
    )
    # SOXL's three worst three-day returns (adjusted closes of SOXL.csv)
    f = so["f"]
    r3 = (f / f.shift(3) - 1).dropna().sort_values()
    worst = ", ".join(f"{_pct(x, sign=True)} (to {t:%Y-%m-%d})" for t, x in r3.iloc[:3].items())
    out.append(f"SOXL's real worst three-day returns are {worst}")
    return out


@pytest.mark.slow
def test_closes_figures_are_the_engines(shared: Path) -> None:
    assert not _missing(closes_pieces(shared))


def past_day_piece(d: Path, db: Path) -> str:
    from gaemi.app.decay import sideways_decay
    from gaemi.app.state import load_state

    past = sideways_decay(load_state(db=db, as_of="2025-04-30"), "SOXL", 6.0)
    return f"it is {_pct(past.loss_frac)} at σ = {_pct(past.vol.vol_annual)}"


def _store(d: Path, where: Path) -> Path:
    from gaemi.data.universe import default_universe_path
    from gaemi.present.cli import main

    db = where / "decay-doc.duckdb"
    for args in (
        [str(default_universe_path()), "--kind", "funds"],
        [str(d / "us-adjclose-1993-2026" / "SOXX.csv")],
        [str(d / "us-adjclose-1993-2026" / "QQQ.csv")],
    ):
        assert main(["data", "import", *args, "--db", str(db)]) == 0
    return db


@pytest.mark.slow
def test_past_day_sideways_answer(
    shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    piece = past_day_piece(shared, _store(shared, tmp_path))
    capsys.readouterr()
    assert piece in _flat()


# ------------------------------------------------------------ section 6b (issuer NAV, shared)
@cache
def _issuer(d: Path) -> dict[str, Any]:
    from gaemi.data import fund_history as fh

    return {
        "tqqq": fh.tqqq_must_show(d),
        "nav": fh.nav_tracking_table(d),
        "cost": fh.financing_cost_by_year(d),
        "aum": fh.aum_spread_check(d),
    }


def _window(s: str) -> str:
    return str(s).replace("..", " → ")


def nav_table_rows(d: Path) -> list[str]:
    """The per-fund table of section 6b, one row per fund of ``nav_tracking_table``."""
    df = _issuer(d)["nav"]
    rows = []
    for r in df.to_dict(orient="records"):
        pn = r.get("full_err_price_nav")
        cells = [
            r["ticker"],
            str(r["compared_with"]),
            r["driven_by"],
            str(r["leverage"]).replace("-", "−"),
            _window(r["train"]),
            _pct(r["spread_fitted"], 2).replace("−", "−"),
            _window(r["test"]),
            _pct(r["full_err"], sign=True),
            _pct(r["five_year_err"], sign=True),
            f"{r['median_abs_daily_err'] * 1e4:.1f} bp",
            _pct(r["walk_forward_err"], sign=True),
            _pct(r["full_err_turnover"], sign=True),
            "—" if pn is None or not math.isfinite(pn) else _pct(pn, sign=True),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def tqqq_rows(d: Path) -> list[str]:
    """The TQQQ model table of section 6b (``tqqq_must_show``)."""
    t = _issuer(d)["tqqq"]
    sp = _pct(t["spread_fitted_2011_2014"], 2)
    return [
        (
            f"| rate + spread on 2×NAV + fee | spread {sp} | "
            f"**{_pct(t['err_fitted_2011_2014'], sign=True)}** |"
        ),
        (
            "| rate + fee, a cost on the rebalancing trade \\|L(L−1)·r\\|·NAV instead of a "
            "spread | "
            f"{_pct(t['turnover_cost_fitted_2011_2014'], 3)} of the trade | "
            f"{_pct(t['err_turnover_2011_2014'], sign=True)} |"
        ),
        f"| rate + fee, no spread | — | {_pct(t['err_spread_zero'], sign=True)} |",
        (
            "| rate + spread, driven by the **price** index NDX (no dividends) | spread "
            f"{_pct(t['spread_fitted_2011_2014_price_index'], 2)} | "
            f"{_pct(t['err_price_index'], sign=True)} |"
        ),
        (
            "| rate + spread, against the per-share NAV (the first session's comparison) | "
            f"{_pct(t['spread_fitted_2011_2014_price_nav'], 2)} | "
            f"{_pct(t['err_fitted_2011_2014_price_nav'], sign=True)} |"
        ),
        (
            "| rate + spread, walk-forward: each year's spread fitted on the four years before it "
            f"| refitted yearly | **{_pct(t['walk_forward_err'], sign=True)}** |"
        ),
    ]


def carry_rows(d: Path) -> list[str]:
    t = _issuer(d)["tqqq"]
    keys = (
        ("per-share NAV (first session)", "implied_cost_by_year_price_nav"),
        ("NAV + distributions", "implied_cost_by_year"),
        ("distributions paid", "distributions_by_year"),
        ("13-week bill (discount)", "mean_tbill_discount_by_year"),
    )
    return [
        f"| {label} | " + " | ".join(f"{v * 100:.2f}" for v in t[k].values()) + " |"
        for label, k in keys
    ]


def rise_rows(d: Path) -> list[str]:
    """Per-notional carry by period for the four long funds (``financing_cost_by_year``)."""
    df = _issuer(d)["cost"]
    names = {
        "TQQQ": "TQQQ (3x NDX)",
        "QLD": "QLD (2x NDX)",
        "UPRO": "UPRO (3x SPX)",
        "SSO": "SSO (2x SPX)",
    }
    rows = []
    for tk, name in names.items():
        x = df[df["ticker"] == tk].set_index("year")
        m = [float(x.loc[a:b, "per_notional_frac"].mean()) * 100 for a, b in PERIODS]
        aum = float(x.loc[2022:2024, "mean_aum_usd"].mean())
        cells = [f"{v:.2f}" for v in m] + [f"{m[-1] - m[0]:+.2f}", f"~${aum / 1e9:.0f}B"]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    return rows


PERIODS = ((2011, 2014), (2015, 2019), (2020, 2021), (2022, 2024))


def issuer_pieces(d: Path) -> list[str]:
    """Prose figures of section 6b, from the same engine results as its tables."""
    i = _issuer(d)
    t, nav, cost = i["tqqq"], i["nav"].set_index("ticker"), i["cost"]
    paid = t["distributions_by_year"]
    ic = t["implied_cost_by_year"]
    bill = t["mean_tbill_discount_by_year"]

    def rng(a: int, b: int) -> str:
        v = [ic[str(y)] * 100 for y in range(a, b + 1)]
        return f"{min(v):.2f}–{max(v):.2f} %"

    def early_late(a: int, b: int) -> str:
        v = []
        for tk in ("TQQQ", "QLD", "UPRO", "SSO"):
            x = cost[cost["ticker"] == tk].set_index("year")
            v.append(float(x.loc[a:b, "per_notional_frac"].mean()) * 100)
        return f"{min(v):.2f}–{max(v):.2f} %"

    tq_aum = cost[cost["ticker"] == "TQQQ"].set_index("year")["mean_aum_usd"]
    closed = 1 - t["err_turnover_2011_2014"] / t["err_fitted_2011_2014"]
    inv_pn = [float(nav.loc[tk, "full_err_price_nav"]) for tk in ("SQQQ", "SPXU")]
    spreads = [float(nav.loc[tk, "spread_fitted"]) * 100 for tk in ("TSLL", "NVDL")]
    bills = [bill[str(y)] * 100 for y in range(2011, 2015)]
    aum = i["aum"]
    slopes, trended = [], []
    for tk in ("TQQQ", "QLD", "UPRO", "SSO"):  # in sample 2015–2025, per fund
        x = cost[(cost["ticker"] == tk) & (cost["year"] >= 2015)]
        r = x["mean_tbill_discount"].to_numpy(float)
        y = x["per_notional_frac"].to_numpy(float)
        yr = x["year"].to_numpy(float) - 2015.0
        one = np.ones_like(r)
        slopes.append(np.linalg.lstsq(np.c_[one, r], y, rcond=None)[0][1])
        trended.append(np.linalg.lstsq(np.c_[one, r, yr], y, rcond=None)[0][1])
    return [
        f"rises {min(slopes):.2f}–{max(slopes):.2f} points per point of bill rate",
        (
            f"the rate slope is {_num(min(trended), sign=True).lstrip('+')} to "
            f"{_num(max(trended), sign=True)}"
        ),
        (
            f"TQQQ paid {_pct(paid['2022'], 2)} of NAV in 2022, {_pct(paid['2023'], 2)} in 2023, "
            f"{_pct(paid['2024'], 2)} in 2024"
        ),
        (
            f"against NAV + distributions (growth {t['nav_total_return_growth']:.2f}×; the "
            f"per-share NAV grew {t['reported_nav_growth']:.2f}×)"
        ),
        f"Median daily error {t['median_abs_daily_err'] * 1e4:.2f} bp",
        (
            f"is still not met: {_pct(t['err_fitted_2011_2014'], sign=True)} "
            f"({_pct(t['err_turnover_2011_2014'], sign=True)} with the rebalancing-cost form).**"
        ),
        (
            f"In 2021 the rate was zero and the cost was {_pct(ic['2021'], 2)}/yr; in 2023 the "
            f"rate was {bill['2023'] * 100:.0f} % and the cost {_pct(ic['2023'], 2)}/yr"
        ),
        (
            f"{rng(2011, 2012)}/yr in 2011–2012, {rng(2013, 2014)} in 2013–2014, "
            f"{rng(2015, 2021)} in 2015–2021 and {rng(2022, 2025)} in 2022–2025"
        ),
        f"closes about {round(closed * 10) * 10:.0f} % of the gap",
        (
            f"as TQQQ grew from ~${tq_aum.loc[2011] / 1e9:.1f}B to ~${tq_aum.loc[2025] / 1e9:.0f}B "
            "(mean AUM of 2011 and 2025)"
        ),
        f"(the universe's {_pct(float(nav.loc['TQQQ', 'expense_ratio']), 2)} for every year)",
        (
            f"all pay {early_late(2011, 2014)} per unit of notional in 2011–2014 and "
            f"{early_late(2022, 2024)} in 2022–2024"
        ),
        (
            f"overshoots: TQQQ {_pct(aum['TQQQ']['err'], sign=True)}, UPRO "
            f"{_pct(aum['UPRO']['err'], sign=True)} on 2015–2024"
        ),
        f"when the bill averaged {min(bills):.2f}–{max(bills):.2f} %",
        (
            f"the inverse funds are no longer {min(inv_pn) * 100:.0f}–{max(inv_pn) * 100:.0f} % "
            f"too high: SQQQ {_pct(float(nav.loc['SQQQ', 'full_err']), sign=True)}, SPXU "
            f"{_pct(float(nav.loc['SPXU', 'full_err']), sign=True)}"
        ),
        (
            f"stay at {_pct(float(nav.loc['QID', 'full_err']), 0, sign=True)} / "
            f"{_pct(float(nav.loc['SDS', 'full_err']), 0, sign=True)}"
        ),
        (
            f"(TQQQ {_pct(float(nav.loc['TQQQ', 'full_err']), sign=True)}, UPRO "
            f"{_pct(float(nav.loc['UPRO', 'full_err']), sign=True)})"
        ),
        f"({min(spreads):.0f}–{max(spreads):.0f} %/yr on the financed notional)",
    ]


@pytest.mark.slow
def test_issuer_nav_section_is_the_engines(shared: Path) -> None:
    """Section 6b in one test (one run of the fund-history engines, ~7 s, whichever
    worker runs it): the per-fund table row by row, the TQQQ model, carry-by-year and
    spread-rise tables, and the prose figures drawn from them."""
    part = _section("The table for every fund with data.", "With the payouts added back")
    tickers = tuple(f"| {t} |" for t in _issuer(shared)["nav"]["ticker"])
    doc = [ln.strip() for ln in part.splitlines() if ln.startswith(tickers)]
    assert doc == nav_table_rows(shared)
    lines = [ln.strip() for ln in _text().splitlines()]
    for want in (*tqqq_rows(shared), *carry_rows(shared), *rise_rows(shared)):
        assert want in lines, want
    assert not _missing(issuer_pieces(shared))


def _all(d: Path | None) -> Iterator[str]:  # pragma: no cover - a tool
    yield from erosion_rows()
    yield from gap_rows()
    yield from sideways_pieces()
    yield from examples_pieces()
    yield from usd_examples_pieces(d)
    if d is not None:
        yield from closes_pieces(d)
        yield from tqqq_rows(d)
        yield from carry_rows(d)
        yield from rise_rows(d)
        yield from issuer_pieces(d)
        yield from nav_table_rows(d)
        import tempfile

        yield past_day_piece(d, _store(d, Path(tempfile.mkdtemp())))


if __name__ == "__main__":  # pragma: no cover - prints every rendered piece
    sys.path.insert(0, str(ROOT / "src"))
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    for piece in _all(root):
        print(("" if piece in _flat() else "MISSING  ") + piece)
