"""Replay of a real account (issue 20): checked against a plain loop over ../shared/data.

The reference below reads the CSV files itself with the csv module and walks the days in
plain Python; it shares no code with gaemi.app.account / gaemi.core.account.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from gaemi.app.account import backfill_error_table, replay_account
from gaemi.errors import GaemiInputError

# Broker of investor.yaml (FACTS.md (d)): 140 % maintenance, top up by D+2, sale at the D+3
# open; 8 %/yr loan (judgement in investor.yaml), calendar days/365; no sale discount.
M, GRACE, RATE = 1.4, 2, 0.08


def _read(path: Path, date_col: str, val_col: str) -> dict[str, float]:
    out: dict[str, float] = {}
    with path.open() as f:
        for row in csv.DictReader(f):
            v = row[val_col].strip()
            if v in ("", "."):
                continue
            out[row[date_col][:10]] = float(v)
    return out


def _open_ratio(root: Path, ticker: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for folder in ("us-ohlcv-2023-2026", "us-letf-ohlcv-2024-2026"):
        with (root / folder / f"{ticker}.csv").open() as f:
            for row in csv.DictReader(f):
                day = row["Date"][:10]
                if day not in out:
                    out[day] = float(row["Open"]) / float(row["Close"])
    return out


def reference_soxl_margin(root: Path, start: str) -> tuple[list[str], list[float], str, str]:
    """₩140M own + ₩70M loan in SOXL from ``start``: days, equity (KRW), first call, first sale."""
    close = _read(root / "us-adjclose-1993-2026/SOXL.csv", "Date", "Close")
    fred = _read(root / "fx-daily/DEXKOUS.csv", "observation_date", "DEXKOUS")
    later = _read(root / "korea-2026/USDKRW_2026_transcribed.csv", "date", "close")
    fx = dict(fred)
    fx.update({d: v for d, v in later.items() if d > max(fred)})
    ratio = _open_ratio(root, "SOXL")
    days = sorted(d for d in close if d >= start)
    rate_of_day: dict[str, float] = {}
    last = None
    for d in sorted(set(fx) | set(days)):  # carry the last known rate over holidays
        last = fx.get(d, last)
        rate_of_day[d] = last  # type: ignore[assignment]
    loan = 70e6
    shares = 210e6 / rate_of_day[days[0]] / close[days[0]]
    equity = [210e6 - loan]
    streak = 0
    first_call = first_sale = ""
    for i in range(1, len(days)):
        d, prev = days[i], days[i - 1]
        fx_d = rate_of_day[d]
        if streak > GRACE:  # D+3 open: sell what the broker fixed at the last close
            coll_prev = shares * close[prev] * rate_of_day[prev]
            sell = min(max((M * loan - coll_prev) / (M - 1.0), 0.0), coll_prev)
            frac = sell / coll_prev
            px_open = close[d] * ratio.get(d, 1.0)
            proceeds = shares * frac * px_open * fx_d
            shares *= 1.0 - frac
            loan -= min(proceeds, loan)
            streak = 0
            first_sale = first_sale or d
        gap = (dt.date.fromisoformat(d) - dt.date.fromisoformat(prev)).days
        loan *= 1.0 + RATE * gap / 365.0
        coll = shares * close[d] * fx_d
        if coll < M * loan:
            if streak == 0:
                first_call = first_call or d
            streak += 1
        else:
            streak = 0
        equity.append(coll - loan)
        if shares == 0.0:
            break
    return days[: len(equity)], equity, first_call, first_sale


def test_soxl_140m_margin_matches_plain_loop(shared_data: Path) -> None:
    days, equity, first_call, first_sale = reference_soxl_margin(shared_data, "2024-07-01")
    res = replay_account(
        None,
        140e6,
        [("SOXL", 1.0)],
        start="2024-07-01",
        end=days[-1],
        data_dir=shared_data,
        margin=0.5,
        maintenance_ratio=M,
        grace_days=GRACE,
        loan_rate_annual=RATE,
        forced_sale_discount=0.0,
    )
    got = res.daily
    n = min(len(days), len(got))
    assert [d.date().isoformat() for d in got["date"][:n]] == days[:n]
    np.testing.assert_allclose(got["equity_krw"].to_numpy()[:n], equity[:n], rtol=1e-9, atol=1.0)
    assert res.first_event("margin_call") == dt.date.fromisoformat(first_call)
    assert res.first_event("forced_sale") == dt.date.fromisoformat(first_sale)
    # the dates the plain loop finds (2024-09-06 call, 2025-01-30 sale) are what users see
    d = res.to_dict()
    assert d["first_margin_call"] == first_call
    assert d["first_forced_sale"] == first_sale
    assert d["kind"] == "replay"
    assert len(d["records"]) == len(got)
    assert (res.events["event"] == "forced_sale").sum() >= 1
    sales = res.events[res.events["event"] == "forced_sale"]
    assert set(sales["price_basis"]) <= {"open", "close (no open in the data)"}
    # USD equity is the KRW equity at each day's real rate
    np.testing.assert_allclose(got["equity_usd"] * got["usdkrw"], got["equity_krw"], rtol=1e-12)


def test_usd_account_buy_and_hold_is_price_ratio(shared_data: Path) -> None:
    """No loan, USD: equity = capital × close_t / close_0 (adjusted closes, file read here)."""
    close = _read(shared_data / "us-adjclose-1993-2026/TQQQ.csv", "Date", "Close")
    res = replay_account(
        None,
        10_000.0,
        [("TQQQ", 1.0)],
        start="2020-01-02",
        end="2020-12-31",
        data_dir=shared_data,
        currency="USD",
    )
    days = sorted(d for d in close if "2020-01-02" <= d <= "2020-12-31")
    want = [10_000.0 * close[d] / close[days[0]] for d in days]
    np.testing.assert_allclose(res.daily["equity_usd"], want, rtol=1e-12)
    assert res.daily["drawdown_frac"].max() > 0.6  # March 2020: TQQQ fell ~70 %


def test_monthly_deposits_add_money_not_growth(shared_data: Path) -> None:
    res = replay_account(
        None,
        1e7,
        [("TQQQ", 1.0)],
        start="2022-01-03",
        end="2022-12-30",
        data_dir=shared_data,
        deposit=1e6,
    )
    last = res.daily.iloc[-1]
    assert last["contributed"] == pytest.approx(1e7 + 11 * 1e6)  # Feb..Dec first days
    # unit value: the KRW return of TQQQ over 2022, deposits excluded
    close = _read(shared_data / "us-adjclose-1993-2026/TQQQ.csv", "Date", "Close")
    fx = res.daily["usdkrw"].to_numpy()
    want = close["2022-12-30"] / close["2022-01-03"] * fx[-1] / fx[0]
    assert last["unit_value"] == pytest.approx(want, rel=1e-9)


def test_backfill_marks_synthetic_days(shared_data: Path) -> None:
    res = replay_account(
        None,
        1e8,
        [("TSLL", 0.5), ("NVDL", 0.5)],
        start="2020-01-02",
        end="2023-06-30",
        data_dir=shared_data,
        backfill=True,
    )
    syn = res.daily["synthetic"].to_numpy()
    assert syn[0]
    assert not syn[-1]
    first_real = {b.ticker: b.first_real for b in res.backfilled}
    assert set(first_real) == {"TSLL", "NVDL"}
    assert res.daily["date"][~syn].iloc[0].date() == max(first_real.values())
    assert any("synthetic" in w for w in res.warnings)
    assert "synthetic" in res.summary()


def test_backfill_error_table_tqqq_soxl(shared_data: Path) -> None:
    tab = backfill_error_table(shared_data, ("TQQQ", "SOXL"))
    assert list(tab["ticker"]) == ["TQQQ", "SOXL"]
    # daily errors are small (same index, same day); the end error is reported, not hidden
    assert (tab["median_abs_daily_log_err"] < 0.01).all()
    assert tab["days"].min() > 3000


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": "2005-01-03"}, "from = '2005-01-03'"),
        ({"positions": [("NOPE", 1.0)]}, "positions: 'NOPE'"),
        ({"positions": [("IBIT", 1.0)], "start": "2020-01-02", "backfill": True}, "IBIT"),
        ({"positions": [("SOXL", 0.6), ("TQQQ", 0.3)]}, "weights sum to 0.9"),
        ({"deposit": -1.0}, "deposit = -1.0"),
        ({"start": "2024-13-01"}, "from = '2024-13-01'"),
    ],
)
def test_bad_input_one_line(shared_data: Path, kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"start": "2024-07-01", "positions": [("SOXL", 1.0)]}
    args.update(kwargs)
    positions = args.pop("positions")
    with pytest.raises(GaemiInputError) as e:
        replay_account(None, 1e8, positions, data_dir=shared_data, **args)  # type: ignore[arg-type]
    msg = str(e.value)
    assert field in msg
    assert "\n" not in msg


def test_forward_percentile_beside_the_replay(shared_data: Path) -> None:
    res = replay_account(
        None,
        140e6,
        [("SOXL", 1.0)],
        start="2024-07-01",
        end="2025-06-30",
        data_dir=shared_data,
        margin=0.5,
        forward_paths=300,
        rng=3,
    )
    fwd = res.to_frame("forward").set_index("measure")
    end = fwd.loc["end_value"]
    assert end["realised"] == pytest.approx(res.daily["equity_krw"].iloc[-1])
    assert 0.0 <= float(end["realised_percentile"]) <= 1.0
    assert end["sim_p05"] <= end["sim_p50"] <= end["sim_p95"]
    assert 0.0 <= fwd.loc["forced_sale", "sim_prob"] <= 1.0
    assert any("not only on what was known" in w for w in res.warnings)
    assert res.to_dict()["end_value_percentile_in_forward_sim"] == end["realised_percentile"]


def test_soxs_split_defect_repaired(shared_data: Path) -> None:
    """On 2026-05-26 SOXX rose 6.10 % (file): a −3x fund falls ~18 %, not the file's −95 %."""
    res = replay_account(
        None,
        1e4,
        [("SOXS", 1.0)],
        start="2026-05-20",
        end="2026-05-29",
        data_dir=shared_data,
        currency="USD",
    )
    eq = res.daily.set_index("date")["equity_usd"]
    move = eq["2026-05-26"] / eq["2026-05-22"] - 1.0
    soxx = _read(shared_data / "us-adjclose-1993-2026/SOXX.csv", "Date", "Close")
    want = -3.0 * (soxx["2026-05-26"] / soxx["2026-05-22"] - 1.0)
    assert move == pytest.approx(want, abs=0.02)
    assert any("SOXS" in w for w in res.warnings)
