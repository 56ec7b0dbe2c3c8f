"""Build the embedded default fund universe from ../shared/facts/universe.csv.

The facts file names each fund's underlying in prose ("ICESEMIT (NYSE/ICE Semiconductor
Index; PHLX SOX until 2021-08-25)"); the engines need a short identifier, a kind and a
group. This script adds those three columns (``underlying_id``, ``underlying_kind``,
``underlying_group``) and a ``korean_share`` column where the source states the share
directly, and keeps every source column as it is. Run it again when the facts change:

    python scripts/build_default_universe.py ../shared/facts/universe.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/gaemi/data/defaults/universe.csv"

# prose underlying -> (id, kind, group). Groups: NDX, semiconductors, SPX, single_stock,
# other_equity_index, korea, commodity, rates, crypto. Written by (kind, group): prose -> id.
_BY_KIND_GROUP: dict[tuple[str, str], dict[str, str]] = {
    ("index", "NDX"): {"NDX": "NDX"},
    ("index", "semiconductors"): {
        "ICESEMIT (NYSE/ICE Semiconductor Index; PHLX SOX until 2021-08-25)": "SOX",
        "DJUSSC (Dow Jones US Semiconductors)": "DJUSSC",
    },
    ("index", "SPX"): {"SPX": "SPX"},
    ("index", "other_equity_index"): {
        "IXT (S&P Technology Select Sector)": "IXT",
        "S&P Technology Select Sector (per aggregator)": "IXT",
        "Solactive FANG Innovation Index": "SOLFANG",
        "NYFANG (NYSE FANG+)": "NYFANG",
        "IXM (S&P Financial Select Sector)": "IXM",
        "S&P Financial Select Sector (per aggregator)": "IXM",
        "RTY (Russell 2000)": "RTY",
        "Gold miners index (aggregator says GDM; unverified)": "GDM",
        "Junior gold miners index (aggregator says GDM; unverified)": "GDXJ",
        "GDM (NYSE Arca Gold Miners)": "GDM",
        "INDU (DJIA)": "INDU",
        "DJ US Select Home Construction": "DJSHMB",
        "FTSE China 50": "FTSECN50",
        "S&P Biotechnology Select Industry": "SPSIBI",
        "S&P Regional Banks Select Industry": "SPSIRBK",
    },
    ("index", "rates"): {"IDCOT20 (ICE US Treasury 20+ Year)": "UST20"},
    ("index", "korea"): {"MSCI Korea 25/50": "MSCIKR"},
    ("commodity", "commodity"): {
        "BCOMSI (Bloomberg Silver)": "SILVER",
        "BCOMGC (Bloomberg Gold)": "GOLD",
        "Bloomberg Commodity Balanced WTI Crude Oil": "WTI",
    },
    ("crypto", "crypto"): {
        "BTC (CME bitcoin futures)": "BTC",
        "BTC (Bloomberg Bitcoin Index)": "BTC",
        "ETH (CME ether futures)": "ETH",
    },
}
UNDERLYINGS: dict[str, tuple[str, str, str]] = {
    prose: (uid, kind, group)
    for (kind, group), ids in _BY_KIND_GROUP.items()
    for prose, uid in ids.items()
}

# Korean share stated directly by the source (the USD figure alone would be divided by a
# later, different AUM). TSLL: 43% of fund assets on 2025-02-26 (Bloomberg/KSD, FACTS.md
# section a); TSLT: 59.76% of NAV on 2025-01-21 (Bizwatch, FACTS.md section a).
KOREAN_SHARE: dict[str, str] = {"TSLL": "0.43", "TSLT": "0.5976"}


def main(src: str) -> None:
    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out_rows = []
    for row in rows:
        prose = row["underlying"]
        if prose in UNDERLYINGS:
            uid, kind, group = UNDERLYINGS[prose]
        elif prose.isupper() and prose.isalpha() and len(prose) <= 5:
            uid, kind, group = prose, "single_stock", "single_stock"
        else:
            raise SystemExit(f"unmapped underlying {prose!r} for {row['ticker']}")
        row = {
            "ticker": row["ticker"],
            "name": row["name"],
            "issuer": row["issuer"],
            "leverage": row["leverage"],
            "underlying_id": uid,
            "underlying_kind": kind,
            "underlying_group": group,
            "underlying": prose,
            "asset_class": row["asset_class"],
            "expense_ratio": row["expense_ratio"],
            "aum_usd": row["aum_usd"],
            "aum_as_of": row["aum_as_of"],
            "korean_held_usd": row["korean_held_usd"],
            "korean_share": KOREAN_SHARE.get(row["ticker"], ""),
            "korean_as_of": row["korean_as_of"],
            "source_aum": row["source_aum"],
            "source_korean": row["source_korean"],
            "confidence": row["confidence"],
            "notes": row["notes"],
        }
        out_rows.append(row)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(out_rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(out_rows)
    print(f"wrote {len(out_rows)} funds to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/facts/universe.csv")
