"""Issuer daily-NAV files: NAV, prior NAV, shares outstanding and net assets per day.

The layout is ProShares' "historical NAV" file (``…/etfdata/ByFund/<TICKER>-historical_nav.csv``)
as kept in ``../shared/data/us-letf-nav-proshares/``::

    date,nav,prior_nav,shares_outstanding_thousands,aum_usd
    2026-10-01,78.6484,77.9601,485800,38207392720

The issuer's own column names are read too (``Date, ProShares Name, Ticker, NAV, Prior
NAV, NAV Change (%), NAV Change ($), Shares Outstanding (000), Assets Under Management``;
the name and the two NAV changes are derived or descriptive and not stored; ``$`` and
thousands separators in numbers are accepted).

Rows come newest-first in the source; any order is accepted and the result is ascending.
The share count is in **thousands** in the file and in units here. Every row is checked:
a date (ISO ``YYYY-MM-DD`` or US ``MM/DD/YYYY``), not in the future, not repeated; NAV and
prior NAV finite and > 0; shares and net assets finite and >= 0; and net assets equal to
``nav × shares`` within the issuer's rounding of the share count to 0.01 thousand (so a
file with two columns swapped is refused). The first bad row raises a one-line
:class:`~gaemi.errors.GaemiInputError` naming file, line, field and value.
"""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from gaemi.data.importers._base import ImportOptions, Table, _check_day, _date32, _frame_import
from gaemi.data.importers._text import csv_text_header, csv_text_reader, csv_text_rows
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: Output columns of :func:`read_issuer_nav`, in order.
COLUMNS = ("date", "ticker", "nav_usd", "prior_nav_usd", "shares_outstanding", "aum_usd")
#: File column -> field, after :func:`_norm` (the archive's names and the issuer's own).
_ALIASES: dict[str, str] = {
    "date": "date",
    "asofdate": "date",
    "nav": "nav",
    "priornav": "prior_nav",
    "sharesoutstandingthousands": "shares_thousands",
    "sharesoutstanding000": "shares_thousands",
    "aumusd": "aum_usd",
    "assetsundermanagement": "aum_usd",
    "netassets": "aum_usd",
    "ticker": "ticker",
}
_REQUIRED = ("date", "nav", "prior_nav", "shares_thousands", "aum_usd")
#: Columns of the issuer's own file that are recognised and not stored (the fund's name;
#: the NAV change in % and $, derived from nav and prior_nav).
_IGNORED = frozenset({"prosharesname", "fundname", "name", "navchange"})
#: Half of the issuer's share-count rounding (0.01 thousand shares), in shares.
_SHARE_ROUNDING = 5.0
#: Relative slack on net assets (the issuer rounds NAV to 4 decimals).
_AUM_REL_TOL = 1e-6


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.strip().lstrip("\ufeff").lower())


def ticker_from_filename(path: Path) -> str:
    """``TQQQ.csv``, ``TQQQ-historical_nav.csv``, ``tqqq_historical_nav_raw.csv`` -> TQQQ."""
    stem = re.sub(r"[-_]?historical[-_]nav([-_]raw)?$", "", path.stem, flags=re.IGNORECASE)
    return stem.strip().upper()


def _date(where: str, text: str) -> date:
    s = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            d = date.fromisoformat(s)
        elif re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", s):
            m, dd, y = (int(x) for x in s.split("/"))
            d = date(y, m, dd)
        else:
            raise ValueError(s)
    except ValueError:
        raise GaemiInputError(
            f"{where}: date = {text!r} is not a date (expected YYYY-MM-DD)"
        ) from None
    return _check_day(where, "date", d)


def _number(where: str, field: str, text: str) -> float:
    s = text.strip().replace(",", "").lstrip("$")
    if not s:
        raise GaemiInputError(f"{where}: {field} is missing")
    try:
        v = float(s)
    except ValueError:
        raise GaemiInputError(f"{where}: {field} = {text!r} is not a number") from None
    if not math.isfinite(v):
        raise GaemiInputError(f"{where}: {field} = {text!r} must be a finite number")
    return v


def read_issuer_nav(path: str | Path, ticker: str | None = None) -> pd.DataFrame:
    """Read and validate one issuer daily-NAV file.

    Parameters
    ----------
    path : path-like
        A CSV in the issuer layout (see the module docstring).
    ticker : str, optional
        The fund; default from the file name (``TQQQ.csv`` -> TQQQ) or a ``ticker`` column.

    Returns
    -------
    pandas.DataFrame
        One row per day, ascending: ``date`` (datetime64[ns]), ``ticker``, ``nav_usd``,
        ``prior_nav_usd``, ``shares_outstanding`` (shares, units — the file's thousands
        × 1000), ``aum_usd`` (the issuer's net assets). ``attrs["notes"]`` says when the
        file was newest-first; ``attrs["lines"]`` holds each row's file line.

    Raises
    ------
    GaemiInputError
        One line naming file, line, field and value for the first bad row or a wrong layout.
    """
    import numpy as np
    import pandas as pd

    p = Path(path)
    name, reader = csv_text_reader(p)
    header = csv_text_header(name, reader)
    fields: list[str | None] = []
    for h in header:
        f = _ALIASES.get(_norm(h))
        if f is None and _norm(h) and _norm(h) not in _IGNORED:
            raise GaemiInputError(
                f"{name} line 1: column {h.strip()!r} is not an issuer NAV column "
                "(expected date,nav,prior_nav,shares_outstanding_thousands,aum_usd)"
            )
        if f is not None and f in fields:
            raise GaemiInputError(f"{name} line 1: column {h.strip()!r} appears twice")
        fields.append(f)
    missing = [f for f in _REQUIRED if f not in fields]
    if missing:
        raise GaemiInputError(
            f"{name} line 1: required column {missing[0]!r} is missing (header {header!r})"
        )
    idx = {f: i for i, f in enumerate(fields) if f is not None}
    fund = (ticker or "").strip().upper()
    dates: list[date] = []
    vals: dict[str, list[float]] = {f: [] for f in _REQUIRED[1:]}
    lines: list[int] = []
    seen: dict[date, int] = {}
    file_ticker = ""
    for ln, where, row in csv_text_rows(name, reader, len(header)):
        d = _date(where, row[idx["date"]])
        if d in seen:
            raise GaemiInputError(f"{where}: date {d} duplicates line {seen[d]}")
        seen[d] = ln
        if "ticker" in idx:
            t = row[idx["ticker"]].strip().upper()
            if file_ticker and t != file_ticker:
                raise GaemiInputError(
                    f"{where}: ticker = {t!r} differs from {file_ticker!r} (one fund a file)"
                )
            file_ticker = t
        v = {f: _number(where, f, row[idx[f]]) for f in _REQUIRED[1:]}
        for f in ("nav", "prior_nav"):
            if v[f] <= 0:
                raise GaemiInputError(f"{where}: {f} = {v[f]:g} must be > 0")
        for f in ("shares_thousands", "aum_usd"):
            if v[f] < 0:
                raise GaemiInputError(f"{where}: {f} = {v[f]:g} must be >= 0")
        implied = v["nav"] * v["shares_thousands"] * 1000.0
        tol = v["nav"] * _SHARE_ROUNDING + _AUM_REL_TOL * max(v["aum_usd"], implied)
        if abs(v["aum_usd"] - implied) > tol:
            raise GaemiInputError(
                f"{where}: aum_usd = {v['aum_usd']:.6g} differs from nav × "
                f"shares_outstanding_thousands × 1000 = {implied:.6g} (columns swapped?)"
            )
        dates.append(d)
        for f in _REQUIRED[1:]:
            vals[f].append(v[f])
        lines.append(ln)
    if not dates:
        raise GaemiInputError(f"{name}: no rows (the file has a header only)")
    if fund and file_ticker and fund != file_ticker:
        raise GaemiInputError(f"{name}: ticker = {fund!r} given but the file says {file_ticker!r}")
    fund = fund or file_ticker or ticker_from_filename(p)
    if not re.fullmatch(r"[A-Z0-9.\-^]{1,15}", fund):
        raise GaemiInputError(f"{name}: ticker = {fund!r} is not a fund ticker (give ticker=)")
    order = np.argsort(np.asarray([d.toordinal() for d in dates]), kind="stable")
    notes: list[str] = []
    if len(order) > 1:
        step = np.diff(order)
        if (step == -1).all():
            notes.append(f"{name}: rows are newest-first (stored by date)")
        elif not (step == 1).all():
            notes.append(f"{name}: dates are not in order (stored by date)")
    shares_k = np.asarray(vals["shares_thousands"], float)
    df = pd.DataFrame(
        {
            "date": pd.to_datetime([dates[i] for i in order]).astype("datetime64[ns]"),
            "ticker": fund,
            "nav_usd": np.asarray(vals["nav"], float)[order],
            "prior_nav_usd": np.asarray(vals["prior_nav"], float)[order],
            "shares_outstanding": np.round(shares_k[order] * 1000.0, 3),
            "aum_usd": np.asarray(vals["aum_usd"], float)[order],
        }
    )
    df.attrs["notes"] = notes
    df.attrs["lines"] = np.asarray(lines, dtype=np.int64)[order]
    df.attrs["file"] = name
    return df


# ---------------------------------------------------------------------- store adapter
def read_fund_nav(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table]:
    """An issuer daily-NAV file (:mod:`.issuer_nav`) as ``fund_nav`` rows."""
    import pyarrow as pa

    df, t, stamp = _frame_import(path, opts, lambda p: read_issuer_nav(p, opts.symbol))
    arrow = pa.table(
        {
            "ticker": pa.array(df["ticker"].astype(str).tolist(), pa.string()),
            "date": _date32(df["date"].to_numpy()),
            **{
                c: pa.array(df[c].to_numpy(float), pa.float64())
                for c in ("nav_usd", "prior_nav_usd", "shares_outstanding", "aum_usd")
            },
            **stamp,
        }
    )
    t.series = (str(df["ticker"].iloc[0]),)
    return t, arrow
