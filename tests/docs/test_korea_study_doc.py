"""docs/korea.md §4 holds (issue 19 item 7): the Korean-behaviour tables are
``gaemi.monitor.korean_flows.study`` on ../shared/data (the weekly KSD custody and net-buy
lists, fund prices, the issuer files), rendered here and compared with the page; the text's
figures are read from the same tables. Skipped without ../shared/data.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "korea.md"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _flat() -> str:
    return " ".join(_text().split())


def _section4() -> str:
    return _text().split("## 4. Korean behaviour", 1)[1].split("\n## ", 1)[0]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


@pytest.fixture(scope="module")
def s(shared_data: Path) -> dict[str, pd.DataFrame]:
    from gaemi.monitor.korean_flows import study

    return study(str(shared_data))


def behaviour_rows(b: pd.DataFrame) -> list[str]:
    return [
        _row(
            [
                r.fund,
                r.move,
                str(r.n),
                f"{r.slope:+.3f}",
                f"{r.ci_low:+.3f} .. {r.ci_high:+.3f}",
                f"{r.corr:+.2f}",
                r.reading,
            ]
        )
        for r in b.itertuples()
    ]


def big_rows(b: pd.DataFrame) -> list[str]:
    return [
        _row(
            [
                r.weeks,
                str(r.n),
                f"{r.mean_net_buy_frac * 100:+.1f}%",
                f"{r.ci_low * 100:+.1f}% .. {r.ci_high * 100:+.1f}%",
                f"{r.net_buy_usd_total / 1e9:+.2f}",
            ]
        )
        for r in b.itertuples()
    ]


def presence_rows(p: pd.DataFrame) -> list[str]:
    rows = []
    for r in p.itertuples():
        slope = (
            "n < 5"
            if pd.isna(r.slope_musd)
            else f"{r.slope_musd:+.0f} ({r.ci_low:+.0f} .. {r.ci_high:+.0f})"
        )
        rows.append(
            _row(
                [
                    r.fund,
                    str(r.weeks),
                    str(r.listed),
                    f"{r.prev_move_listed * 100:+.1f}%",
                    f"{r.prev_move_not_listed * 100:+.1f}%",
                    f"{r.median_net_buy_usd / 1e6:.0f}",
                    slope,
                ]
            )
        )
    return rows


def stress_rows(t: pd.DataFrame) -> list[str]:
    return [
        _row(
            [
                str(r.stress_day),
                f"{r.week_start} → {r.week_end}",
                f"{r.fund_return_frac * 100:+.1f}%",
                f"{r.korean_net_buy_usd / 1e6:+.0f}",
                f"{r.creations_usd / 1e6:+.0f}",
                f"{r.rebalance_usd / 1e6:+.0f}",
            ]
        )
        for r in t.itertuples()
    ]


def close_rows(c: pd.DataFrame) -> list[str]:
    rows = []
    for r in c.itertuples():
        if pd.isna(r.korean_share):
            share, part = "unknown", "–"
        else:
            share = f"{r.korean_share * 100:.1f}% ({str(r.korean_as_of)[:10]}, {r.basis})"
            part = f"{r.korean_usd / 1e6:+,.0f}"
        rows.append(
            _row(
                [
                    str(r.day),
                    r.ticker,
                    f"{r.rebalance_usd / 1e6:+,.0f}",
                    share,
                    part,
                    f"{r.unattributed_usd / 1e6:+,.0f}",
                ]
            )
        )
    return rows


def _lines(part: str, starts: tuple[str, ...]) -> list[str]:
    return [ln.strip() for ln in part.splitlines() if ln.startswith(starts)]


@pytest.mark.slow
def test_behaviour_tables_are_the_study(s: dict[str, pd.DataFrame]) -> None:
    part = _section4()
    want = behaviour_rows(s["behaviour"])
    funds = tuple(f"| {f} | " for f in s["behaviour"]["fund"].unique())
    got = [ln for ln in _lines(part, funds) if " week" in ln.split("|")[2]]
    assert got == want
    long_part, inv_part = part.split("Inverse funds (SQQQ, SOXS):", 1)
    starts = tuple(f"| {w} | " for w in s["big_moves_long"]["weeks"])
    assert _lines(long_part.split("Large moves", 1)[1], starts) == big_rows(s["big_moves_long"])
    assert _lines(inv_part.split("**Reading.**", 1)[0], starts) == big_rows(s["big_moves_inverse"])


@pytest.mark.slow
def test_list_and_stress_tables_are_the_study(s: dict[str, pd.DataFrame]) -> None:
    part = _section4()
    lists = part.split("**The depository's net-buy lists**", 1)[1].split("**Stress weeks**", 1)[0]
    starts = tuple(f"| {f} | " for f in s["list_presence"]["fund"])
    assert _lines(lists, starts) == presence_rows(s["list_presence"])
    stress = part.split("**Stress weeks**", 1)[1].split("Korean net buying per fund", 1)[0]
    tq, sq = stress.split("| stress day | custody week |")[1:3]
    assert _lines(tq, ("| 20",)) == stress_rows(s["stress_TQQQ"])
    assert _lines(sq, ("| 20",)) == stress_rows(s["stress_SQQQ"])
    close = part.split("**The Korean part of the replayed close flow**", 1)[1].split(
        "**Through", 1
    )[0]
    assert _lines(close, ("| 20",)) == close_rows(s["close_flow"])


def engine_rows(f: pd.DataFrame) -> list[str]:
    """The table of §4 "Through the flows engine": per stress day each fund, then the
    engine's own total row."""

    def m(v: float) -> str:
        return "–" if pd.isna(v) else f"{v / 1e6:+,.0f}".replace("+-", "-")

    rows = []
    for r in f.itertuples():
        if r.ticker == "total":
            k, o, u = m(r.korean_flow_usd), m(r.other_flow_usd), m(r.unattributed_flow_usd)
            rows.append(
                f"| {r.day} | **total** ({r.basis}) | | {m(r.flow_usd)} | | **{k}** | {o} | {u} |"
            )
            continue
        share = (
            "unknown"
            if pd.isna(r.korean_share)
            else f"{r.korean_share * 100:.1f}% ({str(r.korean_as_of)[:10]}, {r.basis})"
        )
        cells = [str(r.day), r.ticker, f"{r.move_frac * 100:+.1f}%", m(r.flow_usd), share,
                 m(r.korean_flow_usd), m(r.other_flow_usd), m(r.unattributed_flow_usd)]  # fmt: skip
        rows.append(_row(cells))
    return rows


@pytest.fixture(scope="module")
def engine(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """``stress_day_korean_flows`` as it is, with one cost cut: it loads a state per stress
    day with ``data_dir``, and each such load imports the folder into a fresh temporary
    store (~7 s of its ~9 s). The import does not depend on the day, so it is done once
    here (the same ``_folder_store``) and every load opens that store."""
    import gaemi.app.state as state_mod
    from gaemi.app.flows import stress_day_korean_flows
    from gaemi.data.store import Store

    tmp = tmp_path_factory.mktemp("ksd-store")
    store = state_mod._folder_store(shared_data, tmp)
    path = Path(store.path)
    store.close()

    def reuse(root: Path, _tmp: Path) -> Store:
        assert root == shared_data
        return Store(path)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(state_mod, "_folder_store", reuse)
        return stress_day_korean_flows(shared_data)


@pytest.mark.slow
def test_flows_engine_table(engine: pd.DataFrame) -> None:
    part = _section4().split("**Through the flows engine", 1)[1]
    assert _lines(part, ("| 20",)) == engine_rows(engine)
    text = _flat()
    tot = engine[engine["ticker"] == "total"].set_index("day")
    tot.index = tot.index.astype(str)
    kshare = tot["korean_flow_usd"] / tot["flow_usd"]
    ushare = tot["unattributed_flow_usd"] / tot["flow_usd"]
    late = [d for d in tot.index if d >= "2022"]
    n = int((engine[engine["ticker"] != "total"].groupby("day")["ticker"].count()).iloc[0])
    assert (
        f"the Korean part is {kshare[late].min() * 100:.1f}–{kshare[late].max() * 100:.1f}% of the "
        f"replayed close flow of these {n} funds"
    ) in text
    for d in ("2024-08-05", "2025-04-04"):
        k, f = tot.loc[d, "korean_flow_usd"], tot.loc[d, "flow_usd"]
        assert f"−${abs(k) / 1e9:.2f}B of −${abs(f) / 1e9:.2f}B on {d}" in text
    tq20 = engine[(engine["day"].astype(str) == "2020-03-16") & (engine["ticker"] == "TQQQ")]
    assert (
        f"{kshare['2020-03-16'] * 100:.1f}% on 2020-03-16, when Koreans held "
        f"{float(tq20['korean_share'].iloc[0]) * 100:.1f}% of TQQQ)"
    ) in text
    assert (
        f"a further {ushare[late].min() * 100:.0f}–{ushare[late].max() * 100:.0f}% "
        f"({ushare['2020-03-16'] * 100:.0f}% in 2020) is unattributed"
    ) in text
    qld = engine[(engine["ticker"] == "QLD") & engine["korean_share"].notna()]["korean_share"]
    assert (
        f"(Korean share {qld.min() * 100:.0f}–{qld.max() * 100:.0f}%, in the weekly top 50" in text
    )


@pytest.mark.slow
def test_engine_and_study_agree_on_tqqq(engine: pd.DataFrame, s: dict[str, pd.DataFrame]) -> None:
    # "TQQQ agrees with it … (−$457M vs −$456M on 2024-08-05)"
    e = engine[(engine["day"].astype(str) == "2024-08-05") & (engine["ticker"] == "TQQQ")]
    c = s["close_flow"]
    c = c[(c["day"].astype(str) == "2024-08-05") & (c["ticker"] == "TQQQ")]
    got_e, got_c = float(e["korean_flow_usd"].iloc[0]), float(c["korean_usd"].iloc[0])
    assert f"(−${abs(got_e) / 1e6:.0f}M vs −${abs(got_c) / 1e6:.0f}M on" in _flat()


@pytest.mark.slow
def test_behaviour_prose_is_the_study(s: dict[str, pd.DataFrame]) -> None:
    text = _flat()
    big = s["big_moves_long"].set_index("weeks")
    fell, rose = (
        big.loc["fund fell > 15% the week before"],
        big.loc["fund rose > 15% the week before"],
    )
    assert (
        f"they add {fell.mean_net_buy_frac * 100:.1f}% of their holdings the next week (95% CI "
        f"{fell.ci_low * 100:.1f}–{fell.ci_high * 100:.1f}%, n = {int(fell.n)}, "
        f"${fell.net_buy_usd_total / 1e9:.1f}B in total)"
    ) in text
    assert (
        f"they take {abs(rose.mean_net_buy_frac) * 100:.1f}% out (CI {abs(rose.ci_high) * 100:.1f}–"
        f"{abs(rose.ci_low) * 100:.1f}%, n = {int(rose.n)})"
    ) in text
    # the weekly net buying of the long funds: median |.|, p80, p90
    from gaemi.monitor.korean_flows import LONG_FUNDS

    w = s["weeks"]
    a = w[w["ticker"].isin(LONG_FUNDS)]["net_buy_frac"].abs().dropna()
    assert (
        f"(median |.| {a.median() * 100:.1f}%, p80 {a.quantile(0.8) * 100:.1f}%, "
        f"p90 {a.quantile(0.9) * 100:.1f}% for the long funds)"
    ) in text
    # "about 1% of TQQQ's rebalancing sale": the TQQQ stress weeks
    tq = s["stress_TQQQ"].set_index(s["stress_TQQQ"]["stress_day"].astype(str))
    for day, label in (("2024-08-05", "2024-08-05 week"), ("2025-04-03", "2025-04-03/04")):
        k, reb = tq.loc[day, "korean_net_buy_usd"], tq.loc[day, "rebalance_usd"]
        assert f"{label}: +${k / 1e6:.0f}M against −${abs(reb) / 1e9:.1f}B" in text
        assert 0.005 <= k / abs(reb) <= 0.015  # "about 1%"
    c = s["close_flow"]
    c = c[c["ticker"] == "TQQQ"].set_index(c[c["ticker"] == "TQQQ"]["day"].astype(str))
    k1, k2 = (c.loc[d, "korean_usd"] / 1e6 for d in ("2024-08-05", "2025-04-03"))
    n1, n2 = (tq.loc[d, "korean_net_buy_usd"] / 1e6 for d in ("2024-08-05", "2025-04-03"))
    assert f"(−${abs(k1):.0f}M on 2024-08-05, −${abs(k2):.0f}M on 2025-04-03)" in text
    assert f"week (+${n1:.0f}M, +${n2:.0f}M)" in text


@pytest.mark.slow
def test_per_fund_stress_week_table(s: dict[str, pd.DataFrame]) -> None:
    # each stress day placed in the custody week (a, b] that contains it, as
    # gaemi.monitor.korean_flows.stress_week_flows does; 2025-04-03 and -04 share a week
    from gaemi.monitor.korean_flows import INVERSE_FUNDS, LONG_FUNDS

    w = s["weeks"].copy()
    w["week_start"], w["week_end"] = pd.to_datetime(w["week_start"]), pd.to_datetime(w["week_end"])
    funds = (*LONG_FUNDS, *INVERSE_FUNDS)
    days = {
        "2020-03-16": "2020-03-16", "2022-09-13": "2022-09-13", "2024-08-05": "2024-08-05",
        "2024-09-03": "2024-09-03", "2025-04-03/04": "2025-04-03", "2025-04-09": "2025-04-09",
        "2025-10-10": "2025-10-10",
    }  # fmt: skip
    want = []
    for label, day in days.items():
        d = pd.Timestamp(day)
        cells, total = [label], 0.0
        for f in funds:
            hit = w[(w["ticker"] == f) & (w["week_start"] < d) & (w["week_end"] >= d)]
            if hit.empty:
                cells.append("–")
                continue
            r = hit.iloc[0]
            total += r["net_buy_usd"]
            cells.append(f"{r['net_buy_usd'] / 1e6:+.0f} ({r['fund_return_frac'] * 100:+.0f}%)")
        cells.append(f"{total / 1e6:+.0f}")
        want.append(_row(cells))
    part = _section4().split("Korean net buying per fund in the custody week", 1)[1]
    part = part.split("In every falling stress week", 1)[0]
    assert _lines(part, ("| 20",)) == want
