"""Full-universe snapshots: every US leveraged/inverse ETF on one day (aggregator layout).

The layout is the one in ``../shared/data/us-letf-universe-2026/`` (leveragedposition.com
via the Leveraged-ETF-Data-Scraper, ``leveraged_etf_data_<YYYY-MM-DD>.csv``): one row per
fund with text leverage (``2x``, ``1.25x``, ``variable``, blank), ``direction``
(``long``/``short``/blank), a free-text underlying and its ticker, AUM, issuer
(``fund_family``), inception date, ``updated_at`` (when the aggregator refreshed the row).

What is read, and how:

* **leverage** is signed as gaemi's universe signs it: ``+L`` for ``long``, ``-L`` for
  ``short``. ``variable``, a blank, or a blank direction give NaN — never guessed; the
  text is kept in ``leverage_text``.
* **underlying** is gaemi's underlying id (``NDX``, ``SOX``, ``TSLA`` …, as in
  ``data/defaults/universe.csv``) or None when the free text cannot be mapped:
  (1) the curated id of the embedded universe for the funds it lists (with sources);
  (2) a table of index names seen in the files (:data:`INDEX_IDS`); (3) for
  ``fund_type = Single Stock`` the stock's ticker, when it is a plain ticker. Everything
  else stays None (``underlying_raw`` keeps the text).
* **as_of** is the snapshot day: the date in the file name, else the latest
  ``updated_at`` day. ``aum_as_of`` is each row's own ``updated_at`` day (the day its AUM
  describes; up to 10 days before the file-name date in these files).
"""

from __future__ import annotations

import csv
import math
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from gaemi.data.importers._base import ImportOptions, Table, _check_day, _date32, _frame_import
from gaemi.data.importers._text import csv_text_header, csv_text_reader, csv_text_rows
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: Output columns of :func:`read_universe_snapshot`, in order.
COLUMNS = (
    "as_of",
    "ticker",
    "name",
    "underlying",
    "underlying_raw",
    "underlying_ticker",
    "leverage",
    "leverage_text",
    "direction",
    "aum_usd",
    "aum_as_of",
    "issuer",
    "inception_date",
    "fund_type",
)
#: Columns of the aggregator layout (all must be present; no other is accepted).
LAYOUT = (
    "ticker",
    "name",
    "underlying_asset",
    "underlying_ticker",
    "leverage",
    "direction",
    "created_at",
    "fund_type",
    "price",
    "avg_volume",
    "aum",
    "expense_ratio",
    "fund_family",
    "asset_class",
    "updated_at",
    "url",
    "exchange",
    "inception_date",
    "percent_change_from_prev_day",
    "ytd_returns",
    "options_enabled",
    "options_expiration_type",
    "weekly_returns",
)
#: The columns the reader needs; the others of :data:`LAYOUT` are optional.
REQUIRED = (
    "ticker",
    "name",
    "underlying_asset",
    "underlying_ticker",
    "leverage",
    "direction",
    "fund_type",
    "aum",
    "fund_family",
    "updated_at",
    "inception_date",
)


def _key(text: str) -> str:
    """Underlying text for matching: letters and digits only, lower case (so ``S&P 500®``,
    its mojibake ``S&P 500Â®`` and ``S&P 500 Index`` meet)."""
    t = re.sub(r"[^0-9a-z]+", "", text.lower().replace("â", ""))
    return re.sub(r"index$", "", t)


#: Index / asset names found in the snapshot files -> gaemi's underlying id (the ids of
#: ``data/defaults/universe.csv``; the names as the aggregator writes them).
INDEX_IDS: dict[str, str] = {
    _key(k): v
    for k, v in {
        "Nasdaq-100 Index": "NDX",
        "S&P 500 Index": "SPX",
        "S&P 500®": "SPX",
        "NYSE Semiconductor Index": "SOX",
        "ICESEMI Index": "SOX",
        "Dow Jones Industrial Average": "INDU",
        "Dow Jones U.S. SemiconductorsSM Index": "DJUSSC",
        "NYSE FANG+ Index": "NYFANG",
        "Russell 2000 Index": "RTY",
        "MSCI Korea 25-50": "MSCIKR",
        "FTSE China 50 Index": "FTSECN50",
        "NYSE Arca Gold Miners Index": "GDM",
        "Arca Gold Miners Index": "GDM",
        "ICE U.S. Treasury 20+ Year Bond Index": "UST20",
        "Bloomberg Gold Subindex": "GOLD",
        "Bloomberg Silver Subindex": "SILVER",
        "Bloomberg Commodity Balanced WTI Crude Oil Index": "WTI",
        "S&P Financial Select Sector Index": "IXM",
        "S&P Technology Select Sector Index": "IXT",
        "S&P Biotechnology Select Industry": "SPSIBI",
        "S&P Regional Banks Select Industry": "SPSIRBK",
        "Solactive FANG Innovation Index": "SOLFANG",
        "DJ US Select / Home Construction": "DJSHMB",
        "Bitcoin": "BTC",
        "Ether futures": "ETH",
        "Ethereum": "ETH",
    }.items()
}
_TICKER = re.compile(r"[A-Z][A-Z0-9]{0,5}(\.[A-Z])?")
_LEVERAGE = re.compile(r"(\d+(?:\.\d+)?)\s*[xX]")
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_MIN_DATE = date(1990, 1, 1)


@lru_cache(maxsize=1)
def _curated_ids() -> dict[str, str]:
    """Ticker -> underlying id of the embedded universe (curated, with sources)."""
    from gaemi.data.universe import default_universe_path

    with default_universe_path().open(encoding="utf-8") as fh:
        return {
            r["ticker"].strip().upper(): r["underlying_id"].strip().upper()
            for r in csv.DictReader(fh)
            if r.get("ticker") and r.get("underlying_id")
        }


def map_underlying(ticker: str, raw: str, raw_ticker: str, fund_type: str) -> str | None:
    """gaemi's underlying id for one snapshot row, or None (see the module docstring)."""
    curated = _curated_ids().get(ticker)
    if curated:
        return curated
    hit = INDEX_IDS.get(_key(raw)) if raw.strip() else None
    if hit:
        return hit
    t = raw_ticker.strip().upper()
    if fund_type.strip().lower() == "single stock" and t and _TICKER.fullmatch(t):
        return t
    return None


def parse_leverage(text: str, direction: str, where: str) -> float:
    """Signed leverage from ``2x``/``1.25x`` and ``long``/``short``; NaN when unknown."""
    s = text.strip()
    if not s or s.lower() == "variable":
        return math.nan
    m = _LEVERAGE.fullmatch(s)
    if m is None:
        raise GaemiInputError(f"{where}: leverage = {text!r} is not like 2x, 1.25x or variable")
    lev = float(m.group(1))
    if not 0 < lev <= 10:
        raise GaemiInputError(f"{where}: leverage = {text!r} must be in (0x, 10x]")
    if direction == "long":
        return lev
    if direction == "short":
        return -lev
    return math.nan  # no direction: the sign is unknown, never guessed


def _day(where: str, field: str, text: str, *, required: bool) -> date | None:
    s = text.strip()
    if not s:
        if required:
            raise GaemiInputError(f"{where}: {field} is missing")
        return None
    try:
        d = date.fromisoformat(s[:10])
    except ValueError:
        raise GaemiInputError(f"{where}: {field} = {text!r} is not a date") from None
    return _check_day(where, field, d, _MIN_DATE)


def read_universe_snapshot(path: str | Path) -> pd.DataFrame:
    """Read and validate one full-universe snapshot file.

    Parameters
    ----------
    path : path-like
        A CSV in the aggregator layout (:data:`LAYOUT`; a UTF-8 byte-order mark is fine).

    Returns
    -------
    pandas.DataFrame
        One row per fund in file order, columns :data:`COLUMNS`: ``as_of`` (snapshot day,
        datetime64[ns]), ``ticker``, ``name``, ``underlying`` (gaemi id or None),
        ``underlying_raw``, ``underlying_ticker``, ``leverage`` (signed; NaN when
        ``variable``/blank/no direction), ``leverage_text``, ``direction`` (``long``,
        ``short`` or ``""``), ``aum_usd`` (NaN when blank), ``aum_as_of`` (the row's
        ``updated_at`` day), ``issuer``, ``inception_date`` (NaT when blank),
        ``fund_type``. ``attrs["lines"]`` holds each row's file line; ``attrs["notes"]``
        the inception dates that are not dates (``2025-02-29``: informational, left NaT).

    Raises
    ------
    GaemiInputError
        One line naming file, line, field and value for the first bad row or a wrong layout.
    """
    import numpy as np
    import pandas as pd

    p = Path(path)
    name, reader = csv_text_reader(p)
    header = [h.strip() for h in csv_text_header(name, reader)]
    for h in header:
        if h not in LAYOUT:
            raise GaemiInputError(
                f"{name} line 1: column {h!r} is not a universe-snapshot column "
                "(expected the aggregator layout: ticker,name,underlying_asset,…)"
            )
        if header.count(h) > 1:
            raise GaemiInputError(f"{name} line 1: column {h!r} appears twice")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise GaemiInputError(f"{name} line 1: required column {missing[0]!r} is missing")
    ix = {h: i for i, h in enumerate(header)}
    out: dict[str, list[object]] = {c: [] for c in COLUMNS if c != "as_of"}
    lines: list[int] = []
    seen: dict[str, int] = {}
    notes: list[str] = []
    for ln, where, row in csv_text_rows(name, reader, len(header)):
        rec = {h: row[i].strip() for h, i in ix.items()}
        ticker = rec["ticker"].upper()
        if not _TICKER.fullmatch(ticker):
            raise GaemiInputError(f"{where}: ticker = {rec['ticker']!r} is not a ticker")
        if ticker in seen:
            raise GaemiInputError(f"{where}: ticker {ticker} duplicates line {seen[ticker]}")
        seen[ticker] = ln
        direction = rec["direction"].lower()
        if direction not in ("long", "short", ""):
            raise GaemiInputError(
                f"{where}: direction = {rec['direction']!r} must be long, short or blank"
            )
        lev = parse_leverage(rec["leverage"], direction, where)
        aum_text = rec["aum"].replace(",", "")
        if aum_text:
            try:
                aum = float(aum_text)
            except ValueError:
                raise GaemiInputError(f"{where}: aum = {rec['aum']!r} is not a number") from None
            if not math.isfinite(aum) or aum < 0:
                raise GaemiInputError(f"{where}: aum = {rec['aum']!r} must be finite and >= 0")
        else:
            aum = math.nan
        updated = _day(where, "updated_at", rec["updated_at"], required=True)
        try:
            incept = _day(where, "inception_date", rec["inception_date"], required=False)
        except GaemiInputError as exc:
            # informational only (the 2026-02-05 file has '2025-02-29'): kept unknown
            incept = None
            notes.append(f"{exc}; inception_date left unknown")
        out["ticker"].append(ticker)
        out["name"].append(rec["name"])
        out["underlying"].append(
            map_underlying(
                ticker, rec["underlying_asset"], rec["underlying_ticker"], rec["fund_type"]
            )
        )
        out["underlying_raw"].append(rec["underlying_asset"])
        out["underlying_ticker"].append(rec["underlying_ticker"].upper())
        out["leverage"].append(lev)
        out["leverage_text"].append(rec["leverage"])
        out["direction"].append(direction)
        out["aum_usd"].append(aum)
        out["aum_as_of"].append(updated)
        out["issuer"].append(rec["fund_family"])
        out["inception_date"].append(incept)
        out["fund_type"].append(rec["fund_type"])
        lines.append(ln)
    if not lines:
        raise GaemiInputError(f"{name}: no rows (the file has a header only)")
    m = _FILE_DATE.search(name)
    if m is not None:
        as_of = _day(f"{name} (file name)", "date", m.group(1), required=True)
    else:
        as_of = max(d for d in out["aum_as_of"] if isinstance(d, date))
    assert as_of is not None
    df = pd.DataFrame({"as_of": pd.Timestamp(as_of), **out})
    df["as_of"] = df["as_of"].astype("datetime64[ns]")
    for c in ("aum_as_of", "inception_date"):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[ns]")
    df["leverage"] = df["leverage"].astype(float)
    df["aum_usd"] = df["aum_usd"].astype(float)
    df["underlying"] = pd.Series(out["underlying"], dtype=object, index=df.index)
    df.attrs["lines"] = np.asarray(lines, dtype=np.int64)
    df.attrs["file"] = name
    df.attrs["notes"] = notes
    return df[list(COLUMNS)]


# ---------------------------------------------------------------------- store adapter
def read_universe(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table]:
    """A full-universe snapshot (:mod:`.universe_snapshot`) as ``universe_snapshots`` rows."""
    import pyarrow as pa

    df, t, stamp = _frame_import(path, opts, read_universe_snapshot)
    n = len(df)

    def text(col: str) -> pa.Array:
        return pa.array(df[col].astype(str).tolist(), pa.string())

    arrow = pa.table(
        {
            "ticker": text("ticker"),
            "as_of": _date32(df["as_of"].to_numpy()),
            "name": text("name"),
            "underlying_id": pa.array(
                [u if isinstance(u, str) else None for u in df["underlying"]], pa.string()
            ),
            "underlying_raw": text("underlying_raw"),
            "underlying_ticker": text("underlying_ticker"),
            "leverage": pa.array(df["leverage"].to_numpy(float), pa.float64(), from_pandas=True),
            "leverage_text": text("leverage_text"),
            "direction": text("direction"),
            "aum_usd": pa.array(df["aum_usd"].to_numpy(float), pa.float64(), from_pandas=True),
            "aum_as_of": _date32(df["aum_as_of"].to_numpy()),
            "issuer": text("issuer"),
            "inception_date": _date32(df["inception_date"].to_numpy()),
            "fund_type": text("fund_type"),
            **stamp,
        }
    )
    unmapped = int(df["underlying"].isna().sum())
    unknown = int(df["leverage"].isna().sum())
    t.notes.append(
        f"{t.name}: {n} funds as of {df['as_of'].iloc[0].date()}; {unknown} with leverage "
        f"variable or unknown (stored as NULL), {unmapped} with an unmapped underlying"
    )
    return t, arrow
