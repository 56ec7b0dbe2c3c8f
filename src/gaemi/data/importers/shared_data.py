"""Which files of a ``../shared/data``-like folder import, and as which kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Files of ``../shared/data`` that are not series and are never imported.
SKIPPED_FILES: dict[str, str] = {
    "jgb-yields/jgbcm_all.csv": "Shift-JIS era dates (the ISO copy is imported)",
    "us-ohlcv-2000-2022/us_market_holidays.csv": "a holiday list, not a series",
    "crypto-derivatives/coinalyze-btc-perp-2022-2024/btc_perpetual_futures_usd.csv": (
        "Coinalyze's market list (codes), not a series"
    ),
    "crypto-derivatives/coinalyze-btc-perp-2022-2024/supported_exchanges.csv": (
        "Coinalyze's exchange codes, not a series"
    ),
    "korea-holdings-ksd/seohak-index/ticker_universe.csv": (
        "ISIN -> ticker map (read by the KSD lists that need it)"
    ),
    "korea-holdings-ksd/seohak-index/ticker_korean_map.csv": "ticker -> Korean name map",
    "crypto/SHIB-USD_2014_2022.csv": (
        "258 zero prices, rounding of tiny prices (its PROVENANCE.md: avoid); a price <= 0 "
        "is refused at import"
    ),
}
#: Price files whose values may be <= 0 for real: imported with
#: ``allow_nonpositive_prices`` (a yield index is not a price).
NONPOSITIVE_OK: dict[str, str] = {
    "us-adjclose-1993-2026/IDX_IRX.csv": "13-week T-bill yield in %, zero or negative in "
    "2008/2015/2020 (its PROVENANCE.md)",
}


def iter_importable(root: Path) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """The files of ``../shared/data`` this importer supports, with kind and options.

    Used by tests and by ``scripts/`` to build a store from the real history. The
    ``us-adjclose`` folder holds adjusted closes in a ``Close`` column; the issuer NAV
    files are ``fund_nav``, the universe snapshots ``universe``, the Coinalyze files
    ``derivatives``; Binance klines (``open_time``/``close_time``) are prices.
    """
    macro_files = {
        "fx-daily/DEXKOUS.csv": {"unit": "KRW per USD"},
        "fx-daily/fred_h10_daily_1971_2017_wide.csv": {"symbol": "H10", "unit": "FRED H.10"},
        "kospi-kr-rates/kr10y_yield.csv": {"symbol": "KR10Y", "unit": "percent"},
        "kospi-kr-rates/us10y_yield.csv": {"symbol": "US10Y", "unit": "percent"},
        "kospi-kr-rates/kospi_credit_balance_2010_2025.csv": {"symbol": "KOSPI_CREDIT"},
        "jgb-yields/jgbcm_all_iso.csv": {"symbol": "JGB", "unit": "percent"},
    }
    price_symbols = {
        "kospi-kr-rates/kospi.csv": "^KS11",
        "kospi-kr-rates/sp500.csv": "^GSPC",
        "kospi-kr-rates/kospi_ohlcv_1996_2015_investing.csv": "^KS11",
        "kospi-kr-rates/kospi_ohlcv_2015_2026_investing.csv": "^KS11",
        "vix-cboe/vix-daily.csv": "^VIX",
    }
    for f in sorted(root.rglob("*.csv")):
        rel = f.relative_to(root).as_posix()
        if rel in macro_files:
            yield f, "macro", dict(macro_files[rel])
        elif rel in SKIPPED_FILES:
            continue  # see SKIPPED_FILES
        elif rel.startswith("us-letf-nav-proshares/"):
            yield f, "fund_nav", {}
        elif rel.startswith("us-letf-universe-2026/"):
            yield f, "universe", {}
        elif rel.startswith("crypto-derivatives/coinalyze-"):
            yield f, "derivatives", {}
        elif rel.startswith("korea-holdings-ksd/"):
            # the shipped files hold conflicting pairs (see importers.ksd): dropped, noted
            yield f, "ksd", {"duplicates": "drop"}
        elif rel.startswith("us-adjclose-1993-2026/"):
            opts: dict[str, Any] = {"close_is_adjusted": True}
            if rel in NONPOSITIVE_OK:
                opts["allow_nonpositive_prices"] = True  # see NONPOSITIVE_OK
            yield f, "prices", opts
        elif rel in price_symbols:
            yield f, "prices", {"symbol": price_symbols[rel]}
        else:
            yield f, "prices", {}
