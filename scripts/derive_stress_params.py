"""Derive the data-based numbers of ``stress_default.yaml`` from ../shared/data.

Prints, for calendar 2025: average daily dollar volume (close × volume) of the hedge
ETFs and single stocks, daily volatility (std of daily log returns), and the beta of each
underlying's proxy to SPY over 2020-01-01 .. 2026-08-03. Run:

    .venv/bin/python scripts/derive_stress_params.py [--shared ../shared/data]

The YAML quotes these numbers with ``source: [D] scripts/derive_stress_params.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _ohlcv(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df["Date"] = pd.to_datetime(df["Date"].astype(str).str[:10])
    df = df.set_index("Date").sort_index()
    return df[df["Volume"] > 0]


def _adj(shared: Path, ticker: str) -> pd.Series:
    s = pd.read_csv(shared / "us-adjclose-1993-2026" / f"{ticker}.csv", parse_dates=["Date"])
    return s.set_index("Date")["Close"].sort_index()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    shared = p.parse_args().shared
    files = {
        "QQQ": shared / "us-ohlcv-2023-2026" / "QQQ.csv",
        "SPY": shared / "us-ohlcv-2023-2026" / "SPY.csv",
        "SOXX": shared / "us-ohlcv-2023-2026" / "SOXX.csv",
        "SMH": shared / "us-ohlcv-2023-2026" / "SMH.csv",
        "NVDA": shared / "korea-equities" / "NVDA_1999_2026.csv",
        "TSLA": shared / "korea-equities" / "TSLA_2010_2026.csv",
    }
    print("# ADV 2025 (close x volume), USD")
    for t, f in files.items():
        df = _ohlcv(f)
        y = df.loc["2025"]
        print(f"{t}: adv_usd={float((y['Close'] * y['Volume']).mean()):.4g} days={len(y)}")
    spy = _adj(shared, "SPY")
    print("# daily vol 2025 (std of log returns) and beta to SPY 2020-01-01..")
    for t in ("QQQ", "SOXX", "SMH", "SPY", "NVDA", "TSLA"):
        s = _adj(shared, t)
        lr = np.log(s).diff().dropna()
        vol = float(lr.loc["2025"].std())
        both = pd.concat({"x": s.pct_change(), "m": spy.pct_change()}, axis=1, sort=True).dropna()
        both = both.loc["2020-01-01":]
        beta = float(np.cov(both["x"], both["m"])[0, 1] / both["m"].var())
        print(f"{t}: sigma_daily_2025={vol:.4f} beta_spy_2020_on={beta:.3f}")


if __name__ == "__main__":
    main()
