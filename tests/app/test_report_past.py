"""``gaemi report --data-dir ../shared/data --date 2025-04-04``: every section computed from
what was known that day (issue 16), and nothing dated after the day used.

The no-look-ahead test builds a copy of the folder with every row dated on or after the
cut removed (prices, VIX, USD/KRW, the issuer's daily files, the depository's weekly
list; the 2026 universe snapshots and the 2026 depository files left out) and checks the
report's numbers are the same from the full folder and from the cut one.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

DAY = dt.date(2025, 4, 4)


def _report(data_dir: Path, day: dt.date = DAY) -> Any:
    from gaemi.app.report import report
    from gaemi.app.state import load_state

    state = load_state(data_dir=data_dir, as_of=day)
    return report(state, data_dir=data_dir)


@pytest.fixture(scope="module")
def rep(shared_data: Path) -> Any:
    return _report(shared_data)


def _cut_csv(src: Path, dst: Path, last: dt.date) -> None:
    """Copy a CSV whose first column is an ISO date, keeping rows dated <= ``last``."""
    df = pd.read_csv(src, dtype=str, encoding="utf-8-sig")
    keep = df.iloc[:, 0].str[:10] <= last.isoformat()
    dst.parent.mkdir(parents=True, exist_ok=True)
    df[keep].to_csv(dst, index=False)


@pytest.fixture(scope="module")
def cut_folder(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder as it could have been on the morning of DAY: rows dated on or after
    DAY removed (the close of DAY itself is kept for the market series: the report is of
    the day's close; funds use A_{t-1} and custody dated before the day)."""
    root = tmp_path_factory.mktemp("cut") / "data"
    last = DAY
    for f in (shared_data / "us-adjclose-1993-2026").glob("*.csv"):
        _cut_csv(f, root / "us-adjclose-1993-2026" / f.name, last)
    for rel in ("vix-cboe/vix-daily.csv", "fx-daily/DEXKOUS.csv"):
        _cut_csv(shared_data / rel, root / rel, last)
    for f in (shared_data / "us-letf-nav-proshares").glob("*.csv"):
        _cut_csv(f, root / "us-letf-nav-proshares" / f.name, last)
    ksd = "korea-holdings-ksd/seohak-index"
    _cut_csv(
        shared_data / ksd / "custody_weekly_clean.csv",
        root / ksd / "custody_weekly_clean.csv",
        last,
    )
    for name in ("ticker_universe.csv", "ticker_korean_map.csv"):
        if (shared_data / ksd / name).is_file():
            shutil.copy(shared_data / ksd / name, root / ksd / name)
    # the ISIN -> ticker map (not dated data); the 2026 net-buy lists are left out
    imap = "korea-holdings-ksd/seibro-net-buys/ticker_map.json"
    (root / imap).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(shared_data / imap, root / imap)
    # crypto: the daily candles cut at the day; the Coinalyze files end 2024-09-20, before it
    for f in (shared_data / "crypto-derivatives" / "binance-spot-daily").glob("*.csv"):
        _cut_csv(f, root / "crypto-derivatives" / "binance-spot-daily" / f.name, last)
    cz = "crypto-derivatives/coinalyze-btc-perp-2022-2024"
    shutil.copytree(shared_data / cz, root / cz)
    return root


def test_every_section_is_computed(rep: Any) -> None:
    keys = [s.key for s in rep.sections]
    for k in ("funds", "flows", "today", "stress", "cascade", "decay", "crypto", "replay"):
        assert k in keys, k
    for s in rep.sections:
        assert "Not known that day" not in s.summary, (s.key, s.summary)
        assert s.tables, s.key  # every section has numbers
    assert not any("not known that day" in n for n in rep.notes), rep.notes


def test_fund_aum_is_the_issuers_previous_close(rep: Any, shared_data: Path) -> None:
    """TQQQ's start-of-day AUM on 2025-04-04 is the issuer's net assets of 2025-04-03
    (read here from the CSV, independently of the readers)."""
    raw = pd.read_csv(shared_data / "us-letf-nav-proshares" / "TQQQ.csv")
    want = float(raw.loc[raw["date"] == "2025-04-03", "aum_usd"].iloc[0])
    known = rep.section("funds").tables["known"].set_index("ticker")
    assert known.loc["TQQQ", "aum_usd"] == pytest.approx(want, rel=1e-12)
    assert known.loc["TQQQ", "aum_source"].startswith("reported")
    # every figure is dated before the day
    assert all(dt.date.fromisoformat(d) < DAY for d in known["aum_as_of"])
    kor = [d for d in known["korean_as_of"] if d]
    assert kor
    assert all(dt.date.fromisoformat(d) < DAY for d in kor)
    # the flows ladder's K is built on these funds only: −5% NDX = Σ L(L−1)·A·(−5%)
    sub = known[known["underlying_id"] == "NDX"]
    k = float((sub["leverage"] * (sub["leverage"] - 1) * sub["aum_usd"]).sum())
    ladder = rep.section("flows").tables["ladder"].set_index("move_frac")
    assert ladder.loc[-0.05, "ndx_flow_usd"] == pytest.approx(-0.05 * k, rel=1e-9)


def test_replay_lists_every_underlying_with_its_aum_source(rep: Any) -> None:
    day = rep.section("replay").tables["day"]
    assert day["aum_source"].map(bool).all()
    replayed = day[day["flow_usd"].notna()]
    assert {"NDX", "SPX"} <= set(replayed["underlying_id"])
    assert (replayed["aum_source"] == "reported").all()  # ProShares funds only that day
    # the NDX replay equals the identity with the day's QQQ move and A_{t-1}
    known = rep.section("funds").tables["known"]
    ndx = known[known["underlying_id"] == "NDX"]
    k = float((ndx["leverage"] * (ndx["leverage"] - 1) * ndx["aum_usd"]).sum())
    row = replayed.set_index("underlying_id").loc["NDX"]
    assert row["flow_usd"] == pytest.approx(k * row["move_frac"], rel=1e-9)
    assert not day["underlying_id"].duplicated().any()


def test_nothing_after_the_day_is_used(rep: Any, cut_folder: Path) -> None:
    """The same numbers from a folder holding only what was dated on or before the day."""
    cut = _report(cut_folder)
    for key, table in (
        ("funds", "known"),
        ("flows", "ladder"),
        ("flows", "sensitivity"),
        ("stress", "stress"),
        ("decay", "erosion"),
        ("replay", "day"),
        ("korea", "latest"),
        ("korea", "claims"),
        ("crypto", "cascade"),
    ):
        a = rep.section(key).tables[table].reset_index(drop=True)
        b = cut.section(key).tables[table].reset_index(drop=True)
        num = [c for c in a.columns if a[c].dtype.kind == "f"]
        assert list(a.columns) == list(b.columns), (key, table)
        np.testing.assert_allclose(
            a[num].to_numpy(float), b[num].to_numpy(float), rtol=1e-9, err_msg=f"{key}.{table}"
        )
    assert rep.status.status == cut.status.status


def test_korean_money_section(rep: Any, shared_data: Path) -> None:
    """The Korean share beside its inputs, and the note's claims beside the custody sum."""
    from gaemi.data.importers import ksd

    sec = rep.section("korea")
    latest = sec.tables["latest"].set_index("ticker")
    known = rep.section("funds").tables["known"].set_index("ticker")
    # TQQQ: the custody list of 2025-03-31 carried by TQQQ's return / the same AUM as the
    # funds section (the issuer's 2025-04-03 net assets)
    assert latest.loc["TQQQ", "korean_share_frac"] == pytest.approx(
        known.loc["TQQQ", "korean_share_frac"], rel=1e-9
    )
    assert latest.loc["TQQQ", "korean_as_of"].startswith("2025-03-31")
    hist = sec.data["share_history"]
    assert (pd.to_datetime(hist["date"]) < pd.Timestamp(DAY)).all()
    assert {"TQQQ", "SQQQ"} <= set(hist["ticker"])
    assert hist["korean_share_frac"].between(0, 1).all()
    # claim 1: the measured figure is the sum of the 2025-03-31 weekly list over the
    # leveraged funds, read here with the reader directly
    w = ksd.read_custody_weekly(
        shared_data / "korea-holdings-ksd/seohak-index/custody_weekly_clean.csv",
        duplicates="drop",
    )
    claims = sec.data["claims_values"]
    assert len(claims) == 4
    assert len(sec.tables["claims"]) == 4
    c = claims.iloc[0]
    assert "2025-03-31" in sec.tables["claims"].iloc[0]["measured_text"]
    wk = w[w["as_of"] == pd.Timestamp("2025-03-31")]
    tqqq = float(wk.loc[wk["ticker"] == "TQQQ", "holdings_usd"].sum())
    # the sum holds TQQQ and more leveraged funds (SOXL, TSLL …) and is under $43.1B
    assert tqqq * 2 < c["measured"] < c["claimed"]
    assert claims.iloc[2]["measured"] < 2.0  # no doubling per month in the median


def test_a_day_after_the_data_replays_nothing_and_says_why(shared_data: Path) -> None:
    """A report day past the folder's last NDX close (the default, today, on a folder
    that ends earlier) used to raise IndexError inside the replay; now the replay section
    says which day the prices end on and every other section still computes."""
    from gaemi.data.history import load_folder

    last = load_folder(shared_data, ["TQQQ"]).closes["NDX"].index[-1].date()
    day = last + dt.timedelta(days=30)
    rep = _report(shared_data, day)
    replay = [s for s in rep.sections if s.key == "replay"]
    assert len(replay) == 1
    assert f"after the last day of the NDX prices ({last})" in replay[0].summary
