"""docs/history.md holds (issue 19 item 7): the event table, the reversal statistic and the
stress-day totals are regenerated here from ``gaemi.data.history`` on ../shared/data (the
runs the page names: from 2010 with 999 bootstrap draws for the events and the statistic,
from 2018 for the totals) and compared with the page, with the figures the text draws from
them. Skipped without ../shared/data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "history.md"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _flat() -> str:
    return " ".join(_text().split())


def _section(title: str) -> str:
    return _text().split(title, 1)[1].split("\n## ", 1)[0]


def _m(s: str) -> str:
    return s.replace("-", "−")


def pct(v: float, d: int = 2) -> str:
    return _m(f"{v * 100:+.{d}f}%")


def usd_b(v: float) -> str:
    return _m(f"{'+' if v >= 0 else '-'}${abs(v) / 1e9:.2f}B")


def yes(v: Any) -> str:
    return "yes" if bool(v) else "no"


@pytest.fixture(scope="module")
def data(shared_data: Path) -> Any:
    from gaemi.data.history import load_folder
    from gaemi.data.universe import load_default_universe

    return load_folder(shared_data, load_default_universe().ticker.tolist())


@pytest.fixture(scope="module")
def run(data: Any) -> Any:
    from gaemi.data.history import run_history
    from gaemi.data.universe import load_default_universe

    return run_history(
        data, load_default_universe(), start=dt.date(2010, 1, 1), threshold_frac=None, n_boot=999
    )


def event_rows(run: Any) -> list[str]:
    rows = []
    for e in run.events.to_dict(orient="records"):
        cells = [
            str(e["date"]),
            pct(e["ndx_d0_move_frac"]),
            pct(e["ndx_next1_move_frac"]),
            pct(e["sox_d0_move_frac"]),
            pct(e["sox_next1_move_frac"]),
            pct(e["vix_d0_move_frac"], 1),
            pct(e["usdkrw_next1_move_frac"]),
            pct(e["kospi_next1_move_frac"]),
            pct(e["samsung_next1_move_frac"]),
            pct(e["skhynix_next1_move_frac"]),
            pct(e["btc_next1_move_frac"]),
            usd_b(e["ndx_flow_usd"]),
            usd_b(e["sox_flow_usd"]),
            f"{e['ndx_pressure_ratio']:.2f}",
            f"{e['sox_pressure_ratio']:.2f}",
            pct(e["ndx_model_extra_move_frac"]),
            pct(e["sox_model_extra_move_frac"]),
            f"{yes(e['ndx_reversed'])}/{yes(e['sox_reversed'])}",
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _p(p: float) -> str:
    return np.format_float_positional(p, precision=2, unique=False, fractional=False, trim="k")


def stat_rows(run: Any) -> list[str]:
    spec = {"next ~ flow/capacity": "next ~ x", "next ~ flow/capacity + move": "next ~ x + r"}
    rows = []
    for s in run.stats.to_dict(orient="records"):
        cells = [
            s["sample"],
            spec[s["spec"]],
            _m(f"{s['coef']:+.4f}"),
            _m(f"[{s['ci_nw_low']:+.4f}, {s['ci_nw_high']:+.4f}]"),
            _m(f"[{s['ci_boot_low']:+.4f}, {s['ci_boot_high']:+.4f}]"),
            _p(s["p_value"]),
            yes(s["significant_5pct"]),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _table(part: str, starts: tuple[str, ...]) -> list[str]:
    return [
        ln.strip() for ln in part.splitlines() if ln.startswith(tuple(f"| {s}" for s in starts))
    ]


@pytest.mark.slow
def test_event_table_is_the_engines(run: Any) -> None:
    part = _section("## Event study: the named days")
    assert _table(part, ("20",)) == event_rows(run)


@pytest.mark.slow
def test_event_prose_is_the_tables(run: Any) -> None:
    from gaemi.data.stress import load_default_stress

    ev = run.events
    text = _flat()
    sc = load_default_stress()
    ndx_cap, sox_cap = (sc.liquidity(u).capacity_usd / 1e9 for u in ("NDX", "SOX"))
    cap = f"(${ndx_cap:.1f}B NDX, ${sox_cap:.1f}B SOX)"
    assert cap in text
    nf, sf = ev["ndx_flow_usd"].abs() / 1e9, ev["sox_flow_usd"].abs() / 1e9
    press = np.concatenate([ev["ndx_pressure_ratio"], ev["sox_pressure_ratio"]])
    assert (
        f"the required flow on these days was ${nf.min():.1f}–{nf.max():.1f}B on NDX and "
        f"${sf.min():.1f}–{sf.max():.1f}B on SOX, between {press.min():.2f} and "
        f"{press.max():.2f} times the default closing capacity"
    ) in text
    above = ev[(ev["ndx_pressure_ratio"] > 1) | (ev["sox_pressure_ratio"] > 1)]
    assert list(above["date"].astype(str)) == ["2025-04-09"]
    assert (ev["sox_pressure_ratio"] <= 1).all()
    nl, sl = (
        ev["ndx_model_extra_move_frac"].abs() * 100,
        ev["sox_model_extra_move_frac"].abs() * 100,
    )
    assert (
        f"The loop's share of the close is {nl.min():.2f}–{nl.max():.2f} pt on NDX and "
        f"{sl.min():.2f}–{sl.max():.2f} pt on SOX"
    ) in text
    kr = ev["sox_korean_flow_usd"]
    kr = kr[(kr < 0)] / 1e6
    assert f"puts −${abs(kr.max()):.0f}M to −${abs(kr.min()):.0f}M of the SOX flow" in text
    assert ev["ndx_korean_flow_usd"].isna().all()  # "TQQQ's (2026-01-15) none"
    both = int((ev["ndx_reversed"] & ev["sox_reversed"]).sum())
    assert f"{both} of {len(ev)} named days reversed the next session on both proxies" in text
    d9 = ev[ev["date"].astype(str) == "2025-04-09"].iloc[0]

    def one(v: float, sign: bool = False) -> str:
        return _m(f"{v * 100:+.1f}" if sign else f"{v * 100:.1f}")

    assert (
        f"2025-04-09's reversal ({one(d9['ndx_next1_move_frac'])} % / "
        f"{one(d9['sox_next1_move_frac'])} %) was far larger than the loop's "
        f"{one(d9['ndx_model_extra_move_frac'], True)} / "
        f"{one(d9['sox_model_extra_move_frac'], True)} pt"
    ) in text
    down = ev[ev["ndx_d0_move_frac"] < 0]
    kospi_fell = int((down["kospi_next1_move_frac"] < 0).sum())
    assert f"fell on {kospi_fell} of {len(down)} down days" in text
    aug = ev[ev["date"].astype(str) == "2024-08-05"].iloc[0]
    assert f"and rebounded {one(aug['kospi_next1_move_frac'], True)} %)" in text
    usd_up = down[down["usdkrw_next1_move_frac"] > 0]
    miss = sorted(set(down["date"].astype(str)) - set(usd_up["date"].astype(str)))
    assert miss == ["2018-02-05"]
    btc = ev.set_index(ev["date"].astype(str))["btc_next1_move_frac"]
    assert (
        f"({one(btc['2018-02-05'], True)} % and {one(btc['2020-03-12'], True)} % after "
        f"2018-02-05 and 2020-03-12, {one(btc['2025-10-10'], True)} % after 2025-10-10"
    ) in text


@pytest.mark.slow
def test_statistic_table_is_the_engines(run: Any) -> None:
    part = _section("## The statistic")
    assert _table(part, ("NDX |", "SOX |", "NDX+SOX |")) == stat_rows(run)
    s = run.stats
    pooled = s[s["sample"] == "NDX+SOX"].set_index("spec")
    x, xr = pooled.loc["next ~ flow/capacity"], pooled.loc["next ~ flow/capacity + move"]
    text = _flat()

    def p2(v: float) -> str:
        return _m(f"{v * 100:.2f} %")

    assert (
        f"goes with a {p2(x['coef'])} next-day move (pooled, 95 % CI {p2(x['ci_nw_high'])} to "
        f"{p2(x['ci_nw_low'])})"
    ) in text
    coef_r = _m(f"{xr['coef'] * 100:+.2f} %")
    hi_r = _m(f"{xr['ci_nw_high'] * 100:+.2f} %")
    assert (
        f"the flow coefficient is {coef_r} per unit, 95 % CI {p2(xr['ci_nw_low'])} to {hi_r}"
    ) in text
    n = int(s["n_obs"].iloc[0])
    assert f"{n:,} days per proxy" in text


@pytest.fixture(scope="module")
def run2018(data: Any) -> Any:
    from gaemi.data.history import run_history
    from gaemi.data.universe import load_default_universe

    # "run from 2018 with --data-dir ../shared/data" (the bootstrap plays no part here)
    return run_history(data, load_default_universe(), start=dt.date(2018, 1, 1), n_boot=19)


def _totals(run2018: Any) -> Any:
    from gaemi.data.history import stress_day_totals

    return stress_day_totals(run2018)


@pytest.mark.slow
def test_stress_day_totals_table_is_the_engines(run2018: Any) -> None:
    t = _totals(run2018)
    main = ["ndx", "sox", "spx", "tsla", "nvda"]

    def b(v: float) -> str:
        return "—" if v == 0 or np.isnan(v) else _m(f"{v / 1e9:+.2f}")

    rows = []
    for r in t.to_dict(orient="records"):
        others = r["total_flow_usd"] - sum(
            0.0 if np.isnan(r[f"{k}_flow_usd"]) else r[f"{k}_flow_usd"] for k in main
        )
        cells = [str(r["date"])]
        cells += [b(r[f"{k}_flow_usd"]) for k in main]
        share = f"{r['reported_share_of_abs_flow'] * 100:.0f} %"
        cells += [b(others), b(r["total_flow_usd"]), share]
        rows.append("| " + " | ".join(cells) + " |")
    part = _section("## Stress-day totals 2018–2025")
    assert _table(part, ("20",)) == rows


@pytest.mark.slow
def test_stress_day_totals_prose(run2018: Any) -> None:
    t = _totals(run2018).set_index("date")
    text = _flat()
    ust = t.loc["2020-03-16", "ust20_flow_usd"]
    assert f"against equities: {usd_b(ust)} on 2020-03-16)" in text
    tsla = t.loc["2022-09-13", "tsla_flow_usd"]
    # FACTS.md (j): TSLL was 1.5x before 2024-04-02; L(L−1) = 0.75 against 2 at 2x
    assert f"TSLA on 2022-09-13 is {usd_b(tsla)} at 1.5x (L(L−1) = 0.75;" in text


def _reported_pct(label: str) -> float:
    """The issuer-reported part of a replay ``aum_source`` label ("reported" = 100,
    "reported 99%+carried 1%" = 99, anything else 0)."""
    if label == "reported":
        return 100.0
    if label.startswith("reported "):
        return float(label.split("reported ", 1)[1].split("%", 1)[0])
    return 0.0


def _reported_range(run: Any, underlying: str, days: Any) -> str:
    rp = run.replay
    i = rp.underlying.tolist().index(underlying)
    got = [
        _reported_pct(str(rp.aum_source[i, int(np.flatnonzero(rp.dates == np.datetime64(d))[0])]))
        for d in days
    ]
    lo, hi = min(got), max(got)
    return f"{lo:.0f} %" if lo == hi else f"{lo:.0f}–{hi:.0f} %"


@pytest.mark.slow
def test_reported_shares_are_the_replays(run: Any, run2018: Any) -> None:
    # the aum_source labels of the replay (reported = the issuer's daily AUM, FACTS-free):
    # the totals table's days (run from 2018) and the named days of the event study (2010)
    text = _flat()
    days = _totals(run2018)["date"].tolist()
    ndx, spx = (_reported_range(run2018, u, days) for u in ("NDX", "SPX"))
    assert f"the NDX row is {ndx} reported, SPX {spx}." in text
    ev = run.events["date"].astype(str).tolist()
    assert f"(NDX {_reported_range(run, 'NDX', ev)} reported)" in text


@pytest.mark.slow
def test_sign_frequency_is_the_replays(run: Any) -> None:
    # a reversal: the next session's move has the sign opposite to the day's (days where
    # both are non-zero, from 2010 as the statistic); pressure = |flow| / closing capacity
    rp = run.replay
    k = rp.dates >= np.datetime64("2010-01-01")
    out = {}
    for u in ("NDX", "SOX"):
        j = rp.underlying.tolist().index(u)
        x, y, p = rp.move_frac[j, k], rp.next_move_frac[j, k], rp.pressure_ratio[j, k]
        ok = np.isfinite(x) & np.isfinite(y) & (x != 0) & (y != 0)
        rev = np.sign(x) != np.sign(y)
        out[u] = (rev[ok].mean() * 100, rev[ok & (p > 0.3)].mean() * 100)
    (na, nh), (sa, sh) = out["NDX"], out["SOX"]
    assert (
        f"the next session moves against the day on {na:.1f} % (NDX) and {sa:.1f} % (SOX) of "
        f"all days, and on {nh:.1f} % and {sh:.1f} % of the days with pressure > 0.3."
    ) in _flat()


def test_aum_sources_against_the_issuer(shared_data: Path) -> None:
    # the issuer's daily files (us-letf-nav-proshares) against the monthly snapshots
    # (us-letf-universe-2026) and the press figures of FACTS.md §0; the far rule on SOXS
    import pandas as pd

    from gaemi.data import fund_history as fh

    text = _flat()
    iss = fh.load_issuer_funds(shared_data)
    snaps = fh.load_snapshots(shared_data)
    s = snaps[snaps["ticker"].isin(list(iss))]
    diff = []
    for tk, when, a in zip(s["ticker"], s["aum_as_of"], s["aum_usd"], strict=True):
        df = iss[tk]
        k = int(df.index.searchsorted(pd.Timestamp(when), side="right")) - 1
        diff.append(abs(a / df["aum_usd"].iloc[k] - 1) * 100)
    d = np.array(diff)
    assert f"same eight funds on the {d.size} snapshot days" in text
    assert (
        f"median |difference| {np.median(d):.1f} %, 90th percentile {np.percentile(d, 90):.1f} %"
        f", worst {d.max():.1f} %"
    ) in text
    # press figures (FACTS.md §0: etfreplay.com, fool.com) against the issuer's AUM that day
    tq = iss["TQQQ"]["aum_usd"]
    press = {"2023-09-28": "18.29", "2024-12-20": "28.74", "2025-10-31": "30.6"}
    parts = []
    for day, p in press.items():
        own = float(tq.loc[day]) / 1e9
        err = (own / float(p) - 1) * 100
        tail = f", {_m(f'{err:.0f}')} %" if abs(err) >= 0.5 else ""
        parts.append(f"${p}B vs ${own:.2f}B ({day}{tail})")
    assert ("for TQQQ: " + ", ".join(parts)) in text
    # the far rule: SOXS with only its 2026 snapshots, carried along its own price with the
    # underlying's level (SOXX) beyond; without and with the 0.5 log-move stop
    nav, lvl = fh.adj_close(shared_data, "SOXS"), fh.adj_close(shared_data, "SOXX")
    assert nav is not None
    assert lvl is not None
    days = pd.DatetimeIndex(nav.index[nav.index >= "2016-01-01"])
    soxs = snaps[snaps["ticker"] == "SOXS"]
    n = nav.reindex(days).to_numpy(float)[None]
    far = lvl.reindex(days).ffill().to_numpy(float)[None]
    k = int(days.searchsorted(pd.Timestamp("2025-04-08")))
    assert days[k] == pd.Timestamp("2025-04-08")
    carry, stop = (
        fh.sourced_aum(days, ["SOXS"], n, snapshots=soxs, far_scale=far, max_log_move=m).aum_usd[
            0, k
        ]
        / 1e9
        for m in (None, fh.CARRY_MAX_LOG_MOVE)
    )
    lo, hi = soxs["aum_usd"].min() / 1e9, soxs["aum_usd"].max() / 1e9
    assert (
        f"a one-year carry put ${carry:.0f}B in SOXS on 2025-04-08 (its 2026 AUM is "
        f"${lo:.0f}–{hi:.0f}B); the move stop gives ${stop:.2f}B"
    ) in text
