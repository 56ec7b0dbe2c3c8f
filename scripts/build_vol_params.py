"""Derive the embedded volatility defaults from real history in ../shared/data.

Writes ``src/gaemi/data/defaults/vol_params.yaml``: per underlying a GJR-GARCH(1,1)-t fit
(``arch``) to the daily returns of a liquid proxy (QQQ for NDX, SOXX for SOX …), its
realised vol over the window and the last 252 days; pairwise correlations; the short
rate (last ^IRX close) and USD/KRW (last FRED DEXKOUS value, vol of the last 3 years).
The package reads only the YAML; run this again to refresh it:

    python scripts/build_vol_params.py ../shared/data [SPREAD_ANNUAL]

SPREAD_ANNUAL is the financing spread fitted on TQQQ 2011–2014 by
tests/validation/test_nav_history.py (see docs/decay.md).
"""

from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from gaemi.core.nav import discount_to_money_market_yield
from gaemi.data.returns import fit_gjr_garch_t, joint_returns

OUT = Path(__file__).resolve().parents[1] / "src/gaemi/data/defaults/vol_params.yaml"
START = "2015-01-01"
#: underlying id (as in the universe) -> proxy ticker with a daily adjusted-close file.
PROXIES = {
    "NDX": "QQQ",
    "SOX": "SOXX",
    "SPX": "SPY",
    "TSLA": "TSLA",
    "NVDA": "NVDA",
    "MU": "MU",
    "AVGO": "AVGO",
    "AMD": "AMD",
    "TSM": "TSM",
    "MSCIKR": "EWY",
    "UST20": "TLT",
}


def main(data_dir: Path, spread: float) -> None:
    adj = data_dir / "us-adjclose-1993-2026"
    files = {uid: adj / f"{tic}.csv" for uid, tic in PROXIES.items()}
    unds = {}
    rets = {}
    for uid, tic in PROXIES.items():
        r = joint_returns({uid: files[uid]}, start=START)[uid]
        rets[uid] = r
        g = fit_gjr_garch_t(r.to_numpy(), uid)
        lg = np.log1p(r.to_numpy())
        unds[uid] = {
            "proxy": tic,
            "window": f"{r.index[0].date()}..{r.index[-1].date()}",
            "days": len(r),
            "realised_vol_annual": round(float(lg.std() * np.sqrt(252)), 4),
            "recent_vol_annual": round(float(lg[-252:].std() * np.sqrt(252)), 4),
            "garch": {
                "omega": float(f"{g.omega:.6g}"),
                "alpha": round(g.alpha, 5),
                "gamma": round(g.gamma, 5),
                "beta": round(g.beta, 5),
                "nu": round(g.nu, 3),
                "mu": float(f"{g.mu:.6g}"),
                "sigma_last": float(f"{(g.sigma_last or 0.0):.6g}"),
                "long_run_vol_annual": round(g.long_run_vol_annual, 4),
            },
            "source": f"../shared/data/us-adjclose-1993-2026/{tic}.csv (Yahoo adjusted closes)",
        }
        print(uid, unds[uid]["realised_vol_annual"], g)
    frame = pd.DataFrame(rets).dropna()
    corr = {}
    for a, b in combinations(PROXIES, 2):
        pair = frame[[a, b]].dropna()
        corr[f"{a}/{b}"] = round(float(np.corrcoef(pair[a], pair[b])[0, 1]), 3)
    irx = pd.read_csv(adj / "IDX_IRX.csv", parse_dates=["Date"]).set_index("Date")["Close"]
    irx = irx.dropna().sort_index()
    fx = pd.read_csv(data_dir / "fx-daily" / "DEXKOUS.csv", na_values=["."])
    fx = fx.dropna()
    fx_s = pd.Series(fx["DEXKOUS"].to_numpy(float), index=pd.to_datetime(fx["observation_date"]))
    fx_recent = fx_s[fx_s.index >= fx_s.index[-1] - pd.Timedelta(days=3 * 365)]
    fx_vol = float(np.log(fx_recent).diff().dropna().std() * np.sqrt(252))
    doc = {
        "as_of": str(max(r.index[-1] for r in rets.values()).date()),
        "source": "scripts/build_vol_params.py on ../shared/data (see each entry)",
        "notes": "GJR-GARCH(1,1)-t fitted with arch to 100*ln(1+r) since 2015-01-01; "
        "omega, mu, sigma_last in decimal daily units. Judgement: the proxy of each "
        "underlying (SOXX for SOX; it tracked PHLX SOX until mid-2021, see FACTS.md).",
        "financing": {
            "rate_annual": round(
                float(discount_to_money_market_yield(float(irx.iloc[-1]) / 100.0)) * 365 / 360,
                5,
            ),
            "rate_source": f"^IRX 13-week T-bill discount yield {float(irx.iloc[-1]):.3f}% on "
            f"{irx.index[-1].date()} (../shared/data/us-adjclose-1993-2026/IDX_IRX.csv) as a "
            "money-market act/360 yield, times 365/360 for one year of calendar accrual",
            "spread_annual": spread,
            "spread_source": "the usual synthetic-series recipe's 0.40% over the short rate. "
            "Fitted on TQQQ vs QQQ 2011-2014 alone the spread is 0.25%, which underprices "
            "2020-2024 (tests/validation/test_nav_history.py, docs/decay.md)",
            "range": [0.0025, 0.012],
        },
        "fx": {
            "usdkrw": round(float(fx_s.iloc[-1]), 2),
            "as_of": str(fx_s.index[-1].date()),
            "vol_annual": round(fx_vol, 4),
            "source": "FRED DEXKOUS (../shared/data/fx-daily/DEXKOUS.csv); vol of the last "
            "3 years of daily log changes",
        },
        "underlyings": unds,
        "correlation": corr,
    }
    OUT.write_text(
        "# Generated by scripts/build_vol_params.py — do not edit by hand.\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100),
        encoding="utf-8",
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    d = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data")
    s = float(sys.argv[2]) if len(sys.argv) > 2 else 0.004
    main(d, s)
