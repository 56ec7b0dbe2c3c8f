"""Build the embedded default universe from the full 2026 snapshots (issue 16 item 3).

Reads the five monthly aggregator snapshots of ``us-letf-universe-2026/`` (every US
leveraged/inverse ETF, through the importer's ``read_universe_snapshot``) and the curated
77-fund file (``src/gaemi/data/defaults/universe_curated.csv``: Korean shares, underlying
ids and notes with their sources), and writes derived files into
``src/gaemi/data/defaults/`` — never a copy of a raw file:

* ``universe.csv`` — every fund of the 2026-06-01 snapshot with a known leverage other
  than +1x and an underlying mapped to a gaemi id, in the columns of the embedded
  universe: the curated row where the fund is curated (its Korean share and sources as
  before), else the snapshot's figures with ``source_aum`` naming the snapshot commit;
* ``universe_excluded.csv`` — every fund of that snapshot left out, with the reason
  (``leverage 1x``, ``leverage variable``, ``leverage unknown``, ``AUM unknown``,
  ``not daily reset``, ``underlying not mapped``);
* ``universe_aum_history.csv`` — the AUM of each included fund in each of the five
  snapshots (dated, with its source);
* ``leverage_history.csv`` — leverage with validity dates for the funds whose leverage
  changed (FACTS.md §(j)).

Underlyings: the importer's mapping (curated id, index-name table, a single stock's
ticker), then this script's tables (:data:`TICKER_IDS`, :data:`TEXT_IDS`), then the
underlying ticker when it is a plain ticker, then a ticker named in the fund's own name
("2X Long TSM"); anything else is excluded, never guessed.

Usage: ``python scripts/build_universe.py [DATA_DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
from pathlib import Path

from gaemi.data.importers.universe_snapshot import read_universe_snapshot

REPO = Path(__file__).resolve().parents[1]
DEFAULTS = REPO / "src/gaemi/data/defaults"
CURATED = DEFAULTS / "universe_curated.csv"
SNAP_DIR = "us-letf-universe-2026"
#: Snapshot file day -> commit of pokedo0/Leveraged-ETF-Data-Scraper (PROVENANCE.md).
COMMITS = {
    "2026-02-05": "dd76349",
    "2026-03-01": "679e096",
    "2026-04-01": "ee1ba95",
    "2026-05-01": "5cdd00c",
    "2026-06-01": "30d410bee813fe922c7793618c7038595a4f700e",
}
LATEST = "2026-06-01"
REPO_URL = "https://github.com/pokedo0/Leveraged-ETF-Data-Scraper/blob/{}/leveraged_etf_data.csv"

#: Underlying tickers of the aggregator that name an index or asset gaemi already knows.
TICKER_IDS = {
    "QQQ": "NDX",
    "SPY": "SPX",
    "CL": "WTI",
    "XAUUSD": "GOLD",
    "GLD": "GOLD",
    "GDX": "GDM",
    "BCOMNG": "NATGAS",
    "IBOXHY": "IBOXHY",
}
#: Free-text underlyings (as the aggregator writes them, matched on letters and digits)
#: with no ticker in the file.
TEXT_IDS = {
    "Long VIX Futures Index": "VIXF",
    "Short VIX Futures Index": "VIXF",
    "DJ US Select / Aerospace & Defense": "DJSDEF",
    "S&P Energy Select Sector": "IXE",
    "S&P Energy Select Sector Index": "IXE",
    "S&P Health Care Select Sector": "IXV",
    "S&P Health Care Select Sector Index": "IXV",
    "CSI Overseas China Internet": "CSIOCI",
    "MSCI EM": "MXEF",
    "MSCI Emerging Markets Index": "MXEF",
    "Deutsche Bank Liquid Commodity Index - Optimum Yield Gold": "GOLD",
    "Gold": "GOLD",
    "Copper": "COPPER",
    "S&P MidCap 400": "MID",
    "S&P Mid Cap 400": "MID",
    "MSCI Brazil 25-50": "MSCIBR",
    "China Shenzhen SE / CSI 300 Index": "CSI300",
    "Indxx Magnificent 7 Index": "MAG7",
    "Magnificent Seven Companies": "MAG7",
    "FTSE Developed Europe All Cap": "FTSEDEU",
    "FTSE Developed Europe All Cap Index": "FTSEDEU",
    "MSCI India": "MSCIIN",
    "S&P Industrial Select Sector": "IXI",
    "S&P Industrials Select Sector Index": "IXI",
    "S&P Real Estate Select Sector": "IXRE",
    "S&P Real Estate Select Sector Index": "IXRE",
    "S&P Utilities Select Sector": "IXU",
    "S&P Retail Select Industry": "SPSIRE",
    "U.S. Treasuries": "UST",
    "MSCI EAFE Index": "MXEA",
    "S&P SmallCap 600": "SML",
    "MSCI Mexico IMI 25-50": "MSCIMX",
    "S&P Consumer Discretionary Select Sector": "IXY",
    "S&P Transportation Select Industry FMC Capped Index": "SPSITN",
    "S&P Pharmaceuticals Select Industry": "SPSIPH",
    "MSCI Japan Index": "MXJP",
    "ICE U.S. Treasury 7-10 Year Bond Index": "UST710",
    "MicroStrategy": "MSTR",
    "MicroStrategy Inc": "MSTR",
    "Berkshire Hathaway Inc.": "BRK.B",
    "Boeing Company": "BA",
    "Shopify, Inc": "SHOP",
    "IonQ Inc. (IONQ)": "IONQ",
    "PDD Holdings Inc": "PDD",
    "NuScale Power Corporation": "SMR",
    "Exxon Mobil Corporation": "XOM",
    "MercadoLibre, Inc.": "MELI",
}
CRYPTO = {"BTC", "ETH", "SOL", "XRP"}
COMMODITY = {"WTI", "GOLD", "SILVER", "NATGAS", "COPPER"}
RATES = {"UST", "UST20", "UST710", "IDCOT7TR", "IBOXHY"}
_NAME_TICKER = (
    re.compile(r"\b(?:Long|Short|Bull|Bear)\s+([A-Z]{1,5})\b"),
    re.compile(r"\bDaily\s+([A-Z]{2,5})\s+(?:Bull|Bear)\b"),
)
#: An index or asset ticker as the aggregator writes it (NDXMEGA, IDCOT7TR …).
_ID = re.compile(r"[A-Z][A-Z0-9]{0,9}(\.[A-Z])?")
_TICKER = re.compile(r"[A-Z][A-Z0-9]{0,5}(\.[A-Z])?")
#: Names of funds that reset their leverage weekly, monthly or quarterly (Roundhill
#: WeeklyPay: 1.2x the weekly return; Tradr/Innovator quarterly and monthly; UBS ETRACS
#: Monthly/Quarterly Pay ETNs): no daily rebalancing at the close.
_NOT_DAILY = re.compile(r"weekly\s*pay|\bmonthly\b|\bquarterly\b", re.IGNORECASE)

#: Leverage with validity dates, FACTS.md §(j): (ticker, leverage, first day, last day).
LEVERAGE_HISTORY = [
    ("UVXY", 2.0, "", "2018-02-27"),
    ("UVXY", 1.5, "2018-02-28", ""),
    ("SVXY", -1.0, "", "2018-02-27"),
    ("SVXY", -0.5, "2018-02-28", ""),
    ("TSLL", 1.5, "2022-08-09", "2024-04-01"),
    ("TSLL", 2.0, "2024-04-02", ""),
    ("NVDL", 1.5, "2022-12-13", "2024-01-19"),
    ("NVDL", 2.0, "2024-01-22", ""),
    ("MSTX", 1.75, "2024-08-15", "2024-10-29"),
    ("MSTX", 2.0, "2024-10-30", ""),
    *(
        row
        for tk, sign in (
            ("BRZU", 1), ("RUSL", 1), ("NUGT", 1), ("DUST", -1), ("JNUG", 1),
            ("JDST", -1), ("ERX", 1), ("ERY", -1), ("GUSH", 1), ("DRIP", -1),
        )
        for row in ((tk, 3.0 * sign, "", "2020-03-31"), (tk, 2.0 * sign, "2020-04-01", ""))
    ),
]  # fmt: skip
FACTS_J = "FACTS.md (j): leverage changes (issuer notices via Reuters, ETF Trends; [D] NVDL/MSTX)"


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower().replace("â", ""))


_TEXT = {_key(k): v for k, v in TEXT_IDS.items()}


def underlying_id(row: dict) -> str | None:
    """gaemi's id for a snapshot row (see the module docstring), or None."""
    if row["underlying"]:
        return TICKER_IDS.get(row["underlying"], row["underlying"])
    t = (row["underlying_ticker"] or "").strip().upper()
    if t in TICKER_IDS:
        return TICKER_IDS[t]
    hit = _TEXT.get(_key(row["underlying_raw"] or ""))
    if hit:
        return hit
    if t and _ID.fullmatch(t):
        return t
    for pat in _NAME_TICKER:
        m = pat.search(row["name"] or "")
        if m and m.group(1) not in {"ETF", "DAILY"}:
            return m.group(1)
    return None


def kind_of(uid: str, fund_type: str) -> tuple[str, str, str]:
    """(underlying_kind, underlying_group, asset_class) of a new fund's underlying."""
    ft = fund_type.strip().lower()
    if uid in CRYPTO or ft == "crypto-linked":
        return "crypto", "crypto", "crypto"
    if uid in COMMODITY or ft == "commodity":
        return "commodity", "commodity", "commodity"
    if uid in RATES or ft == "fixed income":
        return "rates", "rates", "rates"
    if ft in ("single stock", "equity") or (
        _TICKER.fullmatch(uid)
        and len(uid) <= 4
        and (
            ft == "" and uid not in {"MID", "SML", "MAG7", "IXE", "IXV", "IXI", "IXU", "IXY", "UST"}
        )
    ):
        return "single_stock", "single_stock", "equity"
    return "index", "other_equity_index", "equity"


def _num(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def _fmt(v: float) -> str:
    return "" if not math.isfinite(v) else f"{v:.10g}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", nargs="?", default=str(REPO.parent / "shared/data"))
    ap.add_argument(
        "--out-dir", default=str(DEFAULTS), help="where to write (default: the package)"
    )
    args = ap.parse_args(argv)
    snap_dir = Path(args.data_dir) / SNAP_DIR
    out_dir = Path(args.out_dir)
    with CURATED.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        curated = {r["ticker"].strip().upper(): r for r in reader}
    curated_groups = {r["underlying_id"]: r["underlying_group"] for r in curated.values()}
    snaps = {}
    expense: dict[str, float] = {}
    for day in COMMITS:
        path = snap_dir / f"leveraged_etf_data_{day}.csv"
        snaps[day] = read_universe_snapshot(path)
        if day == LATEST:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                expense = {
                    r["ticker"].strip().upper(): _num(r["expense_ratio"]) / 100.0
                    for r in csv.DictReader(fh)
                }
    latest = snaps[LATEST]
    out_rows: list[dict[str, str]] = []
    excluded: list[dict[str, str]] = []
    src_latest = REPO_URL.format(COMMITS[LATEST])
    for rec in latest.to_dict("records"):
        tk = str(rec["ticker"]).strip().upper()
        lev = float(rec["leverage"])
        text = str(rec["leverage_text"] or "").strip()
        reason = ""
        if not math.isfinite(lev):
            reason = (
                "leverage variable"
                if text.lower() == "variable"
                else f"leverage unknown (text {text!r}, direction {rec['direction'] or 'blank'})"
            )
        elif lev == 1.0:
            reason = "leverage 1x (no rebalancing flow)"
        elif not (lev < 0 or lev > 1):
            reason = f"leverage {lev:g} (a de-levered fund, not leveraged)"
        if not reason and not (math.isfinite(float(rec["aum_usd"])) or tk in curated):
            reason = "AUM unknown"
        if not reason and tk not in curated and _NOT_DAILY.search(str(rec["name"] or "")):
            reason = "not daily reset (weekly, monthly or quarterly: no daily close trade)"
        uid = None if reason else underlying_id(rec)
        if not reason and tk not in curated and uid is None:
            reason = f"underlying not mapped ({rec['underlying_raw'] or 'blank'!s})"
        if reason:
            excluded.append(
                {
                    "ticker": tk,
                    "name": str(rec["name"] or ""),
                    "leverage_text": text,
                    "direction": str(rec["direction"] or ""),
                    "aum_usd": _fmt(float(rec["aum_usd"])),
                    "reason": reason,
                    "source": src_latest,
                }
            )
            continue
        if tk in curated:
            out_rows.append(dict(curated[tk]))
            continue
        assert uid is not None
        kind, group, asset = kind_of(uid, str(rec["fund_type"] or ""))
        group = curated_groups.get(uid, group)
        as_of = rec["aum_as_of"]
        out_rows.append(
            {
                "ticker": tk,
                "name": str(rec["name"] or ""),
                "issuer": str(rec["issuer"] or ""),
                "leverage": _fmt(lev),
                "underlying_id": uid,
                "underlying_kind": kind,
                "underlying_group": group,
                "underlying": str(rec["underlying_raw"] or uid),
                "asset_class": asset,
                "expense_ratio": _fmt(expense.get(tk, math.nan)),
                "aum_usd": _fmt(float(rec["aum_usd"])),
                "aum_as_of": str(as_of.date()) if hasattr(as_of, "date") else LATEST,
                "korean_held_usd": "",
                "korean_share": "",
                "korean_as_of": "",
                "source_aum": src_latest,
                "source_korean": "",
                "confidence": "medium",
                "notes": f"{LATEST} snapshot (scripts/build_universe.py)",
            }
        )
    missing = sorted(set(curated) - {r["ticker"] for r in out_rows})
    if missing:  # a curated fund absent from the snapshot is kept as curated
        out_rows.extend(curated[t] for t in missing)
    out_rows.sort(key=lambda r: -_num(r["aum_usd"]))
    with (out_dir / "universe.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(out_rows)
    with (out_dir / "universe_excluded.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(excluded[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(sorted(excluded, key=lambda r: (r["reason"], r["ticker"])))
    included = {r["ticker"] for r in out_rows}
    hist = []
    for day, df in snaps.items():
        for rec in df.to_dict("records"):
            tk = str(rec["ticker"]).strip().upper()
            a = float(rec["aum_usd"])
            if tk in included and math.isfinite(a):
                as_of = rec["aum_as_of"]
                hist.append(
                    {
                        "ticker": tk,
                        "snapshot": day,
                        "aum_as_of": str(as_of.date()) if hasattr(as_of, "date") else day,
                        "aum_usd": _fmt(a),
                        "leverage_text": str(rec["leverage_text"] or ""),
                        "source": REPO_URL.format(COMMITS[day]),
                    }
                )
    with (out_dir / "universe_aum_history.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(hist[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(sorted(hist, key=lambda r: (r["ticker"], r["snapshot"])))
    with (out_dir / "leverage_history.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["ticker", "leverage", "valid_from", "valid_to", "source"])
        for tk, lev, a, b in LEVERAGE_HISTORY:
            w.writerow([tk, f"{lev:g}", a, b, FACTS_J])
    n_ex: dict[str, int] = {}
    for r in excluded:
        k = r["reason"].split(" (")[0]
        n_ex[k] = n_ex.get(k, 0) + 1
    total = sum(_num(r["aum_usd"]) for r in out_rows)
    print(
        f"{len(out_rows)} funds (${total / 1e9:.1f}B; {len(curated)} curated), "
        f"{len(excluded)} excluded {n_ex}, {len(hist)} dated AUM rows"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
