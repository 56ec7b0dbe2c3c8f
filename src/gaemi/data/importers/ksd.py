"""Korea Securities Depository (KSD, SEIBro) lists: what Korean investors hold and trade.

Readers for the layouts kept in ``../shared/data/korea-holdings-ksd/`` (see its
PROVENANCE.md). Every amount is **USD** as KSD publishes it; every row keeps its as-of date.

=============================  ==========================================================
file                           reader
=============================  ==========================================================
custody_weekly_clean.csv       :func:`read_custody_weekly` — weekly top ~50 US holdings
custody_daily_YYYY-MM-DD.csv   :func:`read_custody_daily` — holdings per ISIN (~420)
custody_daily_top50_*.csv      :func:`read_custody_daily` (with an ISIN map) — top 50
trading_daily_YYYY-MM-DD.csv   :func:`read_trading_daily` — buy/sell/net over 5 days
trading_monthly_clean.csv      :func:`read_settlement_monthly` — monthly settlement top 50
1W_history.csv, 1M_history.csv :func:`read_net_buys` — net-buy top 50 over 7 / 30 days
ticker_universe.csv, .json     :func:`read_isin_map` — ISIN -> ticker
=============================  ==========================================================

A security is listed only while it is in a top 50: a week in which a fund is absent is
**unknown** (no row; NaN after a pivot), never zero. In the per-ISIN daily custody files
a reported ``0.0`` is not a holding of zero either (159 of 420 rows on 2026-05-11, among
them AAPL on 2026-05-13 and the pre-reverse-split ISINs of SQQQ, SOXS and MSTU): it is
read as unknown and flagged ``reported_zero``.

Funds get a new ISIN at a reverse split (SQQQ: US74347G4082 → US74347G4322 →
US74347G1922 → US74350P6759; SOXS, TMF, ETHU, BULZ, MSTU likewise); frames carry both the
ISIN and the ticker, and :func:`holdings_by_ticker` sums a ticker's ISINs per date.

Validation: the first bad row raises a one-line :class:`~gaemi.errors.GaemiInputError`
naming file, line, field and value — a wrong layout (missing column), an ISIN that is
malformed (format or check digit) or unknown to the map given, a date that is not a
date, an amount that is not a finite number or is negative, and two different rows for
one security on one date. Rows repeated exactly (the net-buy files append 2026-03-08
twice) are kept once and counted in ``attrs["exact_duplicates"]``. The real weekly file
has six conflicting pairs (BA 2023-06-19, SOXX 2023-06-25, MSFT 2024-04-01, TSLA and PFE
2025-03-10, BITX 2025-06-16) and the monthly file one mislabelled block (2024-05's ranks
2-49 dated 2025-05-01): with ``duplicates="drop"`` both rows of a conflicting pair are
dropped (that security's value that day is unknown) and listed in ``attrs["dropped"]``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

Duplicates = Literal["refuse", "drop"]

#: Source label written into every frame (the ``source`` column).
SOURCE_CUSTODY = "KSD SEIBro custody (seohak-index)"
SOURCE_SETTLEMENT = "KSD SEIBro settlement (seohak-index)"
SOURCE_NET_BUYS = "KSD SEIBro net-buy top 50 (seibro-position-tracker)"

#: SEIBro's country filter (Korean label in the files) -> code.
COUNTRIES: dict[str, str] = {
    "전체": "ALL",
    "미국": "US",
    "홍콩": "HK",
    "중국": "CN",
    "일본": "JP",
    "베트남": "VN",
}

_ISIN_RE = re.compile(r"[A-Z]{2}[A-Z0-9]{9}[0-9]")


# ------------------------------------------------------------------------- helpers
def isin_ok(isin: str) -> bool:
    """True when ``isin`` has the ISIN format and a correct check digit (ISO 6166, Luhn)."""
    if not _ISIN_RE.fullmatch(isin):
        return False
    digits = "".join(str(int(ch, 36)) for ch in isin[:-1])
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n // 10 + n % 10
    return (10 - total % 10) % 10 == int(isin[-1])


def _read_raw(path: str | Path, required: Iterable[str], what: str) -> pd.DataFrame:
    """The file as text columns (BOM stripped); a wrong layout is one line."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise GaemiInputError(f"{what} file {str(p)!r} does not exist or is not a file")
    try:
        df = pd.read_csv(
            p, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True
        )
    except UnicodeDecodeError as exc:
        raise GaemiInputError(f"{p.name}: not UTF-8 text ({exc.reason})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "empty file"
        raise GaemiInputError(f"{p.name}: not a readable CSV ({first})") from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise GaemiInputError(
            f"{p.name}: not a KSD {what} file (column {missing[0]!r} is missing; "
            f"header: {','.join(df.columns)})"
        )
    if df.empty:
        raise GaemiInputError(f"{p.name}: no rows (the file has a header only)")
    df.attrs["file"] = p.name
    return df


def _line(df: pd.DataFrame, i: int) -> str:
    return f"{df.attrs['file']} line {i + 2}"  # header is line 1, first row line 2


def _dates(df: pd.DataFrame, col: str) -> pd.Series:
    import pandas as pd

    s = df[col].str.strip()
    out = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    bad = out.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise GaemiInputError(f"{_line(df, i)}: {col} = {s.iloc[i]!r} is not a YYYY-MM-DD date")
    return out


def _amounts(df: pd.DataFrame, col: str, *, signed: bool = False) -> pd.Series:
    import numpy as np
    import pandas as pd

    s = df[col].str.strip()
    out = pd.to_numeric(s, errors="coerce")
    bad = out.isna() | ~np.isfinite(out.to_numpy(dtype=float))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise GaemiInputError(f"{_line(df, i)}: {col} = {s.iloc[i]!r} is not a finite number")
    if not signed:
        neg = out < 0
        if neg.any():
            i = int(neg.to_numpy().nonzero()[0][0])
            raise GaemiInputError(f"{_line(df, i)}: {col} = {s.iloc[i]} must be >= 0")
    return out.astype(float)


def _isins(df: pd.DataFrame, col: str, known: Mapping[str, str] | None) -> pd.Series:
    s = df[col].str.strip().str.upper()
    for i, v in enumerate(s.to_numpy()):
        if not isin_ok(v):
            raise GaemiInputError(f"{_line(df, i)}: {col} = {v!r} is not a valid ISIN")
        if known is not None and v not in known:
            raise GaemiInputError(f"{_line(df, i)}: {col} = {v!r} is unknown (not in the ISIN map)")
    return s


def _dedupe(
    out: pd.DataFrame, keys: list[str], value_cols: list[str], duplicates: Duplicates
) -> pd.DataFrame:
    """Keep exact repeats once; refuse (or drop) conflicting rows for one key."""
    exact = out.duplicated(keys + value_cols, keep="first")
    n_exact = int(exact.sum())
    out = out[~exact]
    clash = out.duplicated(keys, keep=False)
    dropped: list[str] = []
    if clash.any():
        lines = out.loc[clash, "line"].to_numpy()
        first = out[clash].iloc[0]
        key_txt = " ".join(str(first[k])[:10] if k == "as_of" else str(first[k]) for k in keys)
        if duplicates == "refuse":
            raise GaemiInputError(
                f"{out.attrs['file']} line {lines[1]}: {'/'.join(keys)} {key_txt} repeats "
                f"line {lines[0]} with different values (duplicate date for one security)"
            )
        sub = out[clash]
        dropped = [
            f"line {ln}: {str(d)[:10]} {i}"
            for ln, d, i in zip(sub["line"], sub["as_of"], sub["isin"], strict=True)
        ]
        out = out[~clash]
    out = out.reset_index(drop=True)
    out.attrs["exact_duplicates"] = n_exact
    out.attrs["dropped"] = dropped
    return out


def _finish(out: pd.DataFrame, file: str, source: str) -> pd.DataFrame:
    out["source"] = f"{source}: {file}"
    out.attrs["file"] = file
    return out


# ------------------------------------------------------------------------- ISIN map
def read_isin_map(*paths: str | Path) -> pd.DataFrame:
    """ISIN -> ticker from ``ticker_universe.csv`` layouts and/or ``ticker_map.json``.

    Parameters
    ----------
    *paths : path-like
        CSV files with ``isin,ticker`` (optional ``name_en``) or JSON objects
        ``{"ISIN": "TICKER"}``. The first pair wins where two disagree (a renamed
        ticker, DWAC -> DJT, appears twice in ``ticker_universe.csv``; 14 ISINs differ
        between the two shipped maps, none of them a leveraged fund of this study); each
        disagreement is listed in ``attrs["conflicts"]``.

    Returns
    -------
    pandas.DataFrame
        ``isin, ticker, name, source``, one row per ISIN.
    """
    import pandas as pd

    if not paths:
        raise GaemiInputError("read_isin_map: give at least one map file")
    rows: dict[str, tuple[str, str, str]] = {}
    conflicts: list[str] = []
    for path in paths:
        p = Path(path)
        pairs: list[tuple[str, str, str, str]] = []  # where, isin, ticker, name
        if p.suffix.lower() == ".json":
            if not p.is_file():
                raise GaemiInputError(f"ISIN map file {str(p)!r} does not exist or is not a file")
            try:
                doc = json.loads(p.read_text(encoding="utf-8-sig"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise GaemiInputError(f"{p.name}: not a JSON object ({exc})") from None
            if not isinstance(doc, dict):
                raise GaemiInputError(f"{p.name}: expected a JSON object ISIN -> ticker")
            pairs = [(f"{p.name} key {k!r}", str(k), str(v), "") for k, v in doc.items()]
        else:
            df = _read_raw(p, ("isin", "ticker"), "ISIN map")
            names = df["name_en"] if "name_en" in df.columns else pd.Series([""] * len(df))
            pairs = [
                (_line(df, i), str(a).strip().upper(), str(b).strip(), str(n).strip())
                for i, (a, b, n) in enumerate(zip(df["isin"], df["ticker"], names, strict=True))
            ]
        for where, isin, ticker, name in pairs:
            if not isin_ok(isin):
                raise GaemiInputError(f"{where}: isin = {isin!r} is not a valid ISIN")
            if not ticker or ticker.lower() == "nan":
                raise GaemiInputError(f"{where}: ticker is missing for isin {isin}")
            if isin in rows:
                if rows[isin][0] != ticker:
                    conflicts.append(f"{isin}: {rows[isin][0]} ({rows[isin][2]}) vs {ticker}")
                continue
            rows[isin] = (ticker, name, p.name)
    out = pd.DataFrame(
        [(k, t, n, s) for k, (t, n, s) in rows.items()],
        columns=["isin", "ticker", "name", "source"],
    )
    out.attrs["conflicts"] = conflicts
    return out


def isin_to_ticker(isin_map: pd.DataFrame) -> dict[str, str]:
    """The map as a dict (for the ``isin_map`` parameters of the readers)."""
    return dict(zip(isin_map["isin"], isin_map["ticker"], strict=True))


# ------------------------------------------------------------------------- custody
def read_custody_weekly(
    path: str | Path, *, duplicates: Duplicates = "refuse", keep_stale: bool = False
) -> pd.DataFrame:
    """The weekly top ~50 US securities held in custody for Korean investors.

    Layout ``date,stock,isin,ticker,name_en,amount,price_stock`` (``custody_weekly_clean``).

    Parameters
    ----------
    path : path-like
        The CSV.
    duplicates : {"refuse", "drop"}
        Two different rows for one ISIN and date: refused (default), or both dropped and
        listed in ``attrs["dropped"]`` (the value is then unknown that week).
    keep_stale : bool
        Keep list dates that repeat the previous list's amounts (default: dropped, the
        week is unknown, and named in ``attrs["stale_dates"]``; see ``STALE_REPEAT_FRAC``).

    Returns
    -------
    pandas.DataFrame
        Ascending by ``as_of``: ``as_of`` (datetime64, the custody date; the amount is
        valued at that day's US close), ``isin``, ``ticker``, ``name``, ``kind``
        (Stock/ETF/ETN, "" when blank), ``holdings_usd``, ``price_usd`` (that day's
        close as the scraper added it; NaN when blank), ``line``, ``source``.
        ``attrs["as_of_dates"]``: every list date (a security absent on one is unknown).
    """
    import numpy as np
    import pandas as pd

    df = _read_raw(path, ("date", "isin", "ticker", "amount"), "weekly custody")
    out = pd.DataFrame(
        {
            "as_of": _dates(df, "date"),
            "isin": _isins(df, "isin", None),
            "ticker": df["ticker"].str.strip(),
            "name": df["name_en"].str.strip() if "name_en" in df.columns else "",
            "kind": df["stock"].str.strip() if "stock" in df.columns else "",
            "holdings_usd": _amounts(df, "amount"),
        }
    )
    if "price_stock" in df.columns:
        price = pd.to_numeric(df["price_stock"].str.strip(), errors="coerce")
        out["price_usd"] = np.asarray(price, dtype=float)
    else:
        out["price_usd"] = np.nan
    empty = out["ticker"] == ""
    if empty.any():
        i = int(empty.to_numpy().nonzero()[0][0])
        raise GaemiInputError(f"{_line(df, i)}: ticker is missing for isin {out['isin'].iloc[i]}")
    out["line"] = np.arange(2, len(out) + 2)
    out.attrs["file"] = df.attrs["file"]
    out = _dedupe(out, ["as_of", "isin"], ["holdings_usd"], duplicates)
    out = out.sort_values(["as_of", "holdings_usd"], ascending=[True, False], kind="stable")
    out, stale = _drop_stale_weeks(out.reset_index(drop=True), keep_stale=keep_stale)
    attrs = dict(out.attrs)
    out = _finish(out, df.attrs["file"], SOURCE_CUSTODY)
    out.attrs.update(attrs)
    out.attrs["stale_dates"] = stale
    out.attrs["as_of_dates"] = sorted(pd.unique(out["as_of"]))
    return out


#: A list date whose amounts repeat the previous date's for at least this fraction of its
#: securities is a stale copy (the scraper kept last week's list): 7 dates in the real file
#: repeat 98-100% of the amounts exactly; otherwise at most 2 of ~49 repeat.
STALE_REPEAT_FRAC = 0.9


def _drop_stale_weeks(out: pd.DataFrame, *, keep_stale: bool) -> tuple[pd.DataFrame, list[str]]:
    dates = sorted(out["as_of"].unique())
    prev_amounts: set[tuple[str, float]] = set()
    stale: list[str] = []
    for d in dates:
        rows = out[out["as_of"] == d]
        cur = set(zip(rows["isin"], rows["holdings_usd"], strict=True))
        if prev_amounts and len(cur & prev_amounts) >= STALE_REPEAT_FRAC * len(cur):
            stale.append(str(d)[:10])
            continue  # compare the next date with the last fresh list
        prev_amounts = cur
    if stale and not keep_stale:
        attrs = dict(out.attrs)
        out = out[~out["as_of"].dt.strftime("%Y-%m-%d").isin(stale)].reset_index(drop=True)
        out.attrs.update(attrs)
    return out, stale


def read_custody_daily(
    path: str | Path,
    *,
    isin_map: Mapping[str, str] | None = None,
    duplicates: Duplicates = "refuse",
) -> pd.DataFrame:
    """One day's custody per ISIN (``isin,ticker,name_en,amount,date``) or the top-50 list
    (``date,rank,isin,name_kr,amount``; needs ``isin_map`` for the tickers).

    The same ISIN listed under two tickers with one value (DJT/DWAC) is kept once.
    A reported ``0.0`` is read as unknown (``holdings_usd`` NaN, ``reported_zero`` True):
    the per-ISIN files hold zeros for stale pre-split ISINs and for gaps of the scraper.

    Returns
    -------
    pandas.DataFrame
        ``as_of, isin, ticker, name, holdings_usd, reported_zero, rank, line, source``
        (``rank`` NaN in the per-ISIN layout).
    """
    import numpy as np
    import pandas as pd

    df = _read_raw(path, ("date", "isin", "amount"), "daily custody")
    top50 = "rank" in df.columns
    if not top50 and "ticker" not in df.columns:
        raise GaemiInputError(
            f"{df.attrs['file']}: not a KSD daily custody file (column 'ticker' or 'rank' "
            f"is missing; header: {','.join(df.columns)})"
        )
    isins = _isins(df, "isin", isin_map if top50 else None)
    if top50:
        if isin_map is None:
            raise GaemiInputError(
                f"{df.attrs['file']}: the top-50 layout has no tickers; pass isin_map"
            )
        tickers = isins.map(isin_map)
        name_col = "name_kr" if "name_kr" in df.columns else "isin"
    else:
        tickers = df["ticker"].str.strip()
        name_col = "name_en" if "name_en" in df.columns else "isin"
    amount = _amounts(df, "amount")
    zero = amount == 0
    out = pd.DataFrame(
        {
            "as_of": _dates(df, "date"),
            "isin": isins,
            "ticker": tickers,
            "name": df[name_col].str.strip(),
            "holdings_usd": amount.where(~zero, np.nan),
            "reported_zero": zero,
            "rank": (_amounts(df, "rank") if top50 else pd.Series(np.nan, index=df.index)),
            "line": np.arange(2, len(df) + 2),
        }
    )
    out.attrs["file"] = df.attrs["file"]
    out = _dedupe(out, ["as_of", "isin"], ["holdings_usd"], duplicates)
    return _finish(out, df.attrs["file"], SOURCE_CUSTODY)


def read_trading_daily(path: str | Path, *, duplicates: Duplicates = "refuse") -> pd.DataFrame:
    """Buys, sells and net buys per ISIN summed over the 5 business days ending ``date``.

    Layout ``isin,ticker,name_en,buy,sell,net_buy,date``. ``net_buy_usd`` must equal
    ``buy_usd - sell_usd`` within $1 (a swapped column is refused).

    Returns
    -------
    pandas.DataFrame
        ``as_of, isin, ticker, name, buy_usd, sell_usd, net_buy_usd, period_days (7),
        line, source``.
    """
    import numpy as np
    import pandas as pd

    df = _read_raw(path, ("isin", "ticker", "buy", "sell", "net_buy", "date"), "daily trading")
    buy, sell, net = _amounts(df, "buy"), _amounts(df, "sell"), _amounts(df, "net_buy", signed=True)
    _check_net(df, buy, sell, net, "net_buy")
    out = pd.DataFrame(
        {
            "as_of": _dates(df, "date"),
            "isin": _isins(df, "isin", None),
            "ticker": df["ticker"].str.strip(),
            "name": df["name_en"].str.strip() if "name_en" in df.columns else "",
            "buy_usd": buy,
            "sell_usd": sell,
            "net_buy_usd": net,
            "period_days": 7,
            "line": np.arange(2, len(df) + 2),
        }
    )
    out.attrs["file"] = df.attrs["file"]
    out = _dedupe(out, ["as_of", "isin"], ["buy_usd", "sell_usd"], duplicates)
    return _finish(out, df.attrs["file"], SOURCE_SETTLEMENT)


def _check_net(df: pd.DataFrame, buy: pd.Series, sell: pd.Series, net: pd.Series, col: str) -> None:
    bad = (buy - sell - net).abs() > 1.0
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise GaemiInputError(
            f"{_line(df, i)}: {col} = {net.iloc[i]:.0f} is not buy - sell "
            f"({buy.iloc[i]:.0f} - {sell.iloc[i]:.0f})"
        )


# ------------------------------------------------------------------------- settlement
def read_settlement_monthly(path: str | Path, *, duplicates: Duplicates = "refuse") -> pd.DataFrame:
    """The monthly settlement top 50 (``trading_monthly_clean``): buys, sells, their sum.

    Layout ``date,rank,exchange,isin,name_en,buy,sell,sum,ticker[,price,weekly_sum]``;
    ``date`` is the first day of the month the amounts cover; ``sum`` must equal
    ``buy + sell`` within $1.

    Returns
    -------
    pandas.DataFrame
        ``month`` (datetime64, first day), ``rank``, ``isin``, ``ticker``, ``name``,
        ``buy_usd``, ``sell_usd``, ``gross_usd``, ``net_buy_usd`` (buy − sell), ``line``,
        ``source``. With ``duplicates="drop"`` a month with two rows for one ISIN loses
        both (the real file's 2025-05-01 block mixes 2024-05 and 2025-05: 29 ISINs).
    """
    import numpy as np
    import pandas as pd

    need = ("date", "rank", "isin", "buy", "sell", "sum", "ticker")
    df = _read_raw(path, need, "monthly settlement")
    buy, sell, tot = _amounts(df, "buy"), _amounts(df, "sell"), _amounts(df, "sum")
    bad = (buy + sell - tot).abs() > 1.0
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise GaemiInputError(f"{_line(df, i)}: sum = {tot.iloc[i]:.0f} is not buy + sell")
    out = pd.DataFrame(
        {
            "as_of": _dates(df, "date"),
            "rank": _amounts(df, "rank").astype(int),
            "isin": _isins(df, "isin", None),
            "ticker": df["ticker"].str.strip(),
            "name": df["name_en"].str.strip() if "name_en" in df.columns else "",
            "buy_usd": buy,
            "sell_usd": sell,
            "gross_usd": tot,
            "net_buy_usd": buy - sell,
            "line": np.arange(2, len(df) + 2),
        }
    )
    out.attrs["file"] = df.attrs["file"]
    out = _dedupe(out, ["as_of", "isin"], ["buy_usd", "sell_usd"], duplicates)
    out = out.rename(columns={"as_of": "month"}).sort_values(["month", "rank"], kind="stable")
    return _finish(out.reset_index(drop=True), df.attrs["file"], SOURCE_SETTLEMENT)


# ------------------------------------------------------------------------- net buys
def read_net_buys(
    path: str | Path,
    *,
    isin_map: Mapping[str, str],
    country: str | None = "US",
    duplicates: Duplicates = "refuse",
) -> pd.DataFrame:
    """The depository's net-buy top 50 over the 7 (``1W``) or 30 (``1M``) days to ``date``.

    Layout ``date,period,country_filter,rank,country,isin,name,buy_amount,sell_amount,
    net_buy_amount`` (``seibro-net-buys/*_history.csv``).

    Parameters
    ----------
    path : path-like
        The CSV.
    isin_map : mapping
        ISIN -> ticker (``isin_to_ticker(read_isin_map(.../ticker_map.json))``); an ISIN
        of the selected rows missing from it is refused.
    country : str or None
        Keep the rows of one SEIBro list: ``"US"`` (default), ``"ALL"``, ``"HK"``, ``"CN"``,
        ``"JP"``, ``"VN"``; ``None`` keeps all lists (column ``list``).
    duplicates : {"refuse", "drop"}
        Conflicting rows for one date, list and ISIN (exact repeats are kept once).

    Returns
    -------
    pandas.DataFrame
        ``as_of, period_days (7 or 30), list, rank, isin, ticker, name, buy_usd,
        sell_usd, net_buy_usd, line, source``. A security absent from a list is unknown.
    """
    import numpy as np
    import pandas as pd

    need = ("date", "period", "country_filter", "rank", "isin", "buy_amount", "sell_amount")
    df = _read_raw(path, (*need, "net_buy_amount"), "net-buy")
    lists = df["country_filter"].str.strip()
    unknown = ~lists.isin(list(COUNTRIES))
    if unknown.any():
        i = int(unknown.to_numpy().nonzero()[0][0])
        raise GaemiInputError(
            f"{_line(df, i)}: country_filter = {lists.iloc[i]!r} is not one of "
            f"{', '.join(COUNTRIES)}"
        )
    codes = lists.map(COUNTRIES)
    if country is not None:
        if country not in COUNTRIES.values():
            raise GaemiInputError(
                f"country = {country!r} must be one of {', '.join(COUNTRIES.values())}"
            )
        keep = (codes == country).to_numpy()
        df = df[keep].reset_index(drop=False)
        df.attrs["file"] = Path(path).name
        codes = codes[keep].reset_index(drop=True)
        if df.empty:
            raise GaemiInputError(f"{Path(path).name}: no rows for country {country}")
        lines = df["index"].to_numpy() + 2
    else:
        lines = np.arange(2, len(df) + 2)
    periods = df["period"].str.strip().str.upper()
    bad = ~periods.isin(["1W", "1M"])
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise GaemiInputError(
            f"{df.attrs['file']} line {lines[i]}: period = {periods.iloc[i]!r} must be 1W or 1M"
        )
    try:
        isins = _isins(df, "isin", isin_map)
        buy, sell = _amounts(df, "buy_amount"), _amounts(df, "sell_amount")
        net = _amounts(df, "net_buy_amount", signed=True)
        _check_net(df, buy, sell, net, "net_buy_amount")
        dates = _dates(df, "date")
        rank = _amounts(df, "rank").astype(int)
    except GaemiInputError as exc:  # report the file line, not the filtered position
        msg = str(exc)
        m = re.match(r"(.*?) line (\d+):(.*)", msg)
        if m and country is not None:
            msg = f"{m.group(1)} line {lines[int(m.group(2)) - 2]}:{m.group(3)}"
        raise GaemiInputError(msg) from None
    out = pd.DataFrame(
        {
            "as_of": dates,
            "period_days": periods.map({"1W": 7, "1M": 30}).astype(int),
            "list": codes.to_numpy(),
            "rank": rank,
            "isin": isins,
            "ticker": isins.map(isin_map),
            "name": df["name"].str.strip() if "name" in df.columns else "",
            "buy_usd": buy,
            "sell_usd": sell,
            "net_buy_usd": net,
            "line": lines,
        }
    )
    out.attrs["file"] = df.attrs["file"]
    out = _dedupe(
        out, ["as_of", "period_days", "list", "isin"], ["buy_usd", "sell_usd"], duplicates
    )
    out = out.sort_values(["as_of", "list", "rank"], kind="stable").reset_index(drop=True)
    return _finish(out, df.attrs["file"], SOURCE_NET_BUYS)


# ------------------------------------------------------------------------- per ticker
def holdings_by_ticker(custody: pd.DataFrame, tickers: Iterable[str] | None = None) -> pd.DataFrame:
    """Korean holdings per ticker and custody date, a ticker's ISINs summed.

    Two ISINs of one ticker on one date would be the same fund's custody before and after
    a reverse split; they are added (``n_isins`` says so; none in the shipped files).
    Only observed (date, ticker) pairs appear: pivot and the missing weeks are NaN.

    Returns
    -------
    pandas.DataFrame
        ``as_of, ticker, holdings_usd, n_isins, isins, source``.
    """
    df = custody.dropna(subset=["holdings_usd"])
    if tickers is not None:
        df = df[df["ticker"].isin(list(tickers))]
    g = df.groupby(["as_of", "ticker"], sort=True)
    out = g.agg(
        holdings_usd=("holdings_usd", "sum"),
        n_isins=("isin", "nunique"),
        isins=("isin", lambda s: " ".join(sorted(set(s)))),
        source=("source", "first"),
    ).reset_index()
    return out


def to_store_holdings(frame: pd.DataFrame) -> pd.DataFrame:
    """A holdings frame in the store's ``holdings`` layout.

    ``ticker, as_of (date), korean_held_usd, korean_share (NaN), source`` — the columns of
    ``gaemi.data.importers.read_holdings``' table, so the store can merge them as they are.
    """
    import numpy as np
    import pandas as pd

    df = frame.dropna(subset=["holdings_usd"])
    return pd.DataFrame(
        {
            "ticker": df["ticker"].to_numpy(),
            "as_of": pd.to_datetime(df["as_of"]).dt.date.to_numpy(),
            "korean_held_usd": df["holdings_usd"].to_numpy(dtype=float),
            "korean_share": np.full(len(df), math.nan),
            "source": df["source"].to_numpy(),
        }
    )


def read_ksd_folder(
    root: str | Path, *, duplicates: Duplicates = "drop"
) -> dict[str, pd.DataFrame]:
    """Every KSD file of a ``korea-holdings-ksd/`` folder, read where it lies.

    Returns ``{"custody_weekly", "custody_daily", "trading_daily", "settlement_monthly",
    "net_buys_1w", "net_buys_1m", "isin_map"}``; the daily files are concatenated. The
    default ``duplicates="drop"`` is what the shipped files need (see the module notes).
    """
    import pandas as pd

    r = Path(root)
    seohak, seibro = r / "seohak-index", r / "seibro-net-buys"
    imap = read_isin_map(seohak / "ticker_universe.csv", seibro / "ticker_map.json")
    weekly = read_custody_weekly(seohak / "custody_weekly_clean.csv", duplicates=duplicates)
    m = isin_to_ticker(imap)
    for isin, t in zip(weekly["isin"], weekly["ticker"], strict=True):
        m.setdefault(isin, t)
    snaps = sorted((seohak / "daily-snapshots").glob("custody_daily_*.csv"))
    trades = sorted((seohak / "daily-snapshots").glob("trading_daily_*.csv"))
    out: dict[str, pd.DataFrame] = {
        "isin_map": imap,
        "custody_weekly": weekly,
        "settlement_monthly": read_settlement_monthly(
            seohak / "trading_monthly_clean.csv", duplicates=duplicates
        ),
        "net_buys_1w": read_net_buys(seibro / "1W_history.csv", isin_map=m, duplicates=duplicates),
        "net_buys_1m": read_net_buys(seibro / "1M_history.csv", isin_map=m, duplicates=duplicates),
    }
    if snaps:
        out["custody_daily"] = pd.concat(
            [read_custody_daily(p, isin_map=m, duplicates=duplicates) for p in snaps],
            ignore_index=True,
        )
    if trades:
        out["trading_daily"] = pd.concat(
            [read_trading_daily(p, duplicates=duplicates) for p in trades], ignore_index=True
        )
    return out
