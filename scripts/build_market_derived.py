"""Derive the market observations of the embedded snapshot from ../shared/data.

Writes ``src/gaemi/data/defaults/market_derived.yaml``: the latest day's move and the
realised volatility of QQQ (NDX proxy) and SOXX (SOX proxy), the VIX level and its
one-day change, USD/KRW level and its 20-day change, each with its as-of date and the file
it came from. The arithmetic is :func:`gaemi.data.market.derive_history` (the same the
history replay uses). The package never reads ../shared/data at run time; run this again
to refresh the snapshot:

    python scripts/build_market_derived.py ../shared/data
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import yaml

from gaemi.data.market import derive_history

OUT = Path(__file__).resolve().parents[1] / "src/gaemi/data/defaults/market_derived.yaml"

#: key -> (file under shared/data, date column, value column, source text)
INPUTS = {
    "NDX": (
        "us-adjclose-1993-2026/QQQ.csv",
        "Date",
        "Close",
        "shared/data/us-adjclose-1993-2026/QQQ.csv (adjusted close; QQQ as NDX proxy)",
    ),
    "SOX": (
        "us-adjclose-1993-2026/SOXX.csv",
        "Date",
        "Close",
        "shared/data/us-adjclose-1993-2026/SOXX.csv (adjusted close; SOXX as SOX proxy)",
    ),
    "VIX": (
        "vix-cboe/vix-daily.csv",
        "DATE",
        "CLOSE",
        "shared/data/vix-cboe/vix-daily.csv (CBOE VIX close)",
    ),
    "USDKRW": (
        "fx-daily/DEXKOUS.csv",
        "observation_date",
        "DEXKOUS",
        "shared/data/fx-daily/DEXKOUS.csv (FRED DEXKOUS, noon buying rate, KRW per USD)",
    ),
}


def read_closes(shared: Path) -> tuple[dict[str, pd.Series], dict[str, str]]:
    """The four input series from ../shared/data (read where they are)."""
    closes, sources = {}, {}
    for key, (rel, dcol, vcol, src) in INPUTS.items():
        df = pd.read_csv(shared / rel)
        closes[key] = pd.Series(
            pd.to_numeric(df[vcol], errors="coerce").to_numpy(), index=pd.to_datetime(df[dcol])
        )
        sources[key] = src
    return closes, sources


def main(shared_dir: str) -> None:
    closes, sources = read_closes(Path(shared_dir))
    hist = derive_history(closes, sources)
    obs = {}
    for name, s in hist.series.items():
        obs[name] = {
            "value": float(s.iloc[-1]),
            "unit": hist.units[name],
            "as_of": s.index[-1].date().isoformat(),
            "source": hist.sources[name],
        }
    doc = {
        "note": "Derived by scripts/build_market_derived.py from ../shared/data; do not edit.",
        "observations": obs,
    }
    OUT.write_text(yaml.safe_dump(doc, sort_keys=True, allow_unicode=True))
    print(f"wrote {len(obs)} observations to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
