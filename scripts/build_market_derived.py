"""Derive the market observations of the embedded snapshot from ../shared/data.

Writes ``src/gaemi/data/defaults/market_derived.yaml``: the latest day's move and the
realised volatility of QQQ (NDX proxy) and SOXX (SOX proxy), the VIX level and its
one-day change, USD/KRW level and its 20-day change, each with its as-of date and the file
it came from. The package never reads ../shared/data at run time; run this again to
refresh the snapshot:

    python scripts/build_market_derived.py ../shared/data
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

OUT = Path(__file__).resolve().parents[1] / "src/gaemi/data/defaults/market_derived.yaml"


def _series(path: Path, date_col: str, value_col: str) -> pd.Series:
    df = pd.read_csv(path)
    s = pd.Series(
        pd.to_numeric(df[value_col], errors="coerce").to_numpy(),
        index=pd.to_datetime(df[date_col]),
        name=value_col,
    )
    return s.dropna().sort_index()


def equity(shared: Path, ticker: str, proxy_for: str) -> dict[str, dict[str, object]]:
    rel = f"us-adjclose-1993-2026/{ticker}.csv"
    s = _series(shared / rel, "Date", "Close")
    r = s.pct_change().dropna()
    log = np.log1p(r)
    asof = r.index[-1].date().isoformat()
    src = f"shared/data/{rel} (adjusted close; {ticker} as {proxy_for} proxy)"
    last60 = s.iloc[-61:]
    return {
        f"{proxy_for.lower()}_move_1d": {
            "value": float(r.iloc[-1]),
            "unit": "frac",
            "as_of": asof,
            "source": src,
        },
        f"{proxy_for.lower()}_vol_20d": {
            "value": float(log.iloc[-20:].std(ddof=1) * math.sqrt(252)),
            "unit": "frac_annual",
            "as_of": asof,
            "source": src + ", close-to-close log returns x sqrt(252)",
        },
        f"{proxy_for.lower()}_vol_60d": {
            "value": float(log.iloc[-60:].std(ddof=1) * math.sqrt(252)),
            "unit": "frac_annual",
            "as_of": asof,
            "source": src + ", close-to-close log returns x sqrt(252)",
        },
        f"{proxy_for.lower()}_return_60d": {
            "value": float(last60.iloc[-1] / last60.iloc[0] - 1),
            "unit": "frac",
            "as_of": asof,
            "source": src,
        },
    }


def main(shared_dir: str) -> None:
    shared = Path(shared_dir)
    obs: dict[str, dict[str, object]] = {}
    obs.update(equity(shared, "QQQ", "NDX"))
    obs.update(equity(shared, "SOXX", "SOX"))
    vix = _series(shared / "vix-cboe/vix-daily.csv", "DATE", "CLOSE")
    vsrc = "shared/data/vix-cboe/vix-daily.csv (CBOE VIX close)"
    obs["vix_level"] = {
        "value": float(vix.iloc[-1]),
        "unit": "index_points",
        "as_of": vix.index[-1].date().isoformat(),
        "source": vsrc,
    }
    obs["vix_change_1d"] = {
        "value": float(vix.iloc[-1] / vix.iloc[-2] - 1),
        "unit": "frac",
        "as_of": vix.index[-1].date().isoformat(),
        "source": vsrc,
    }
    fx = _series(shared / "fx-daily/DEXKOUS.csv", "observation_date", "DEXKOUS")
    fsrc = "shared/data/fx-daily/DEXKOUS.csv (FRED DEXKOUS, noon buying rate, KRW per USD)"
    obs["usdkrw_level"] = {
        "value": float(fx.iloc[-1]),
        "unit": "krw_per_usd",
        "as_of": fx.index[-1].date().isoformat(),
        "source": fsrc,
    }
    obs["usdkrw_change_20d"] = {
        "value": float(fx.iloc[-1] / fx.iloc[-21] - 1),
        "unit": "frac",
        "as_of": fx.index[-1].date().isoformat(),
        "source": fsrc,
    }
    doc = {
        "note": "Derived by scripts/build_market_derived.py from ../shared/data; do not edit.",
        "observations": obs,
    }
    OUT.write_text(yaml.safe_dump(doc, sort_keys=True, allow_unicode=True))
    print(f"wrote {len(obs)} observations to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
