"""Issuer daily-NAV files, live: ProShares ``ByFund/<TICKER>-historical_nav.csv``.

For every fund with issuer NAV history in the store (``fund_nav``, imported with
``gaemi data import FILE --kind fund_nav``), ``gaemi data update --funds`` fetches the
issuer's file, validates it exactly as an import does
(:func:`gaemi.data.importers.issuer_nav.read_issuer_nav`) and merges only the days after
the stored last day, in one transaction per fund — history is never rewritten. It says so
out loud (a :class:`~gaemi.data.live.update.NotRefreshed` line, exit code 1) when:

* the request fails (offline, timeout, HTTP errors; bounded retries with backoff);
* the file does not validate (one line naming line, field and value);
* the issuer has **restated** stored days (a split: NAV and shares change for the whole
  history) — nothing is written; re-import the file with ``--on-conflict replace``;
* the file is **stale**: its last day is before the last completed NYSE session (the new
  days it has are stored, and the line gives how many sessions it is behind).

The base URL is ``$GAEMI_PROSHARES_URL`` or :data:`PROSHARES_URL`; the tests serve the real
files of ``../shared/data/us-letf-nav-proshares/`` from 127.0.0.1 (the reader also takes
the issuer's own column names). The default host has not been reached from this project's
test environment (no network there): no recorded live answer exists.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gaemi.data.live.http import get
from gaemi.data.live.update import NotRefreshed, expected_last
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.data.store import Store

#: The issuer's folder of per-fund files (``<base>/<TICKER>-historical_nav.csv``).
PROSHARES_URL = "https://accounts.profunds.com/etfdata/ByFund"
ENV_URL = "GAEMI_PROSHARES_URL"
#: Relative difference above which a stored day counts as restated by the issuer.
RESTATED_REL_TOL = 1e-9


def nav_url(ticker: str, base_url: str | None = None) -> str:
    """``<base>/<TICKER>-historical_nav.csv``; base: the argument, else
    ``$GAEMI_PROSHARES_URL``, else :data:`PROSHARES_URL`."""
    base = (base_url or os.environ.get(ENV_URL) or PROSHARES_URL).rstrip("/")
    return f"{base}/{ticker.upper()}-historical_nav.csv"


def fetch_issuer_nav(
    ticker: str,
    *,
    base_url: str | None = None,
    timeout: float = 10.0,
    retries: int = 3,
) -> pd.DataFrame:
    """Fetch and validate one fund's issuer file; the frame of ``read_issuer_nav``.

    Raises
    ------
    LiveSourceError
        The request failed (one line, see :func:`gaemi.data.live.http.get`).
    GaemiInputError
        The answer is not a valid issuer NAV file (one line naming line, field, value).
    """
    from gaemi.data.importers.issuer_nav import read_issuer_nav

    body = get(nav_url(ticker, base_url), timeout=timeout, retries=retries)
    with tempfile.TemporaryDirectory(prefix="gaemi-nav-") as tmp:
        p = Path(tmp) / f"{ticker.upper()}-historical_nav.csv"
        p.write_bytes(body)
        return read_issuer_nav(p, ticker.upper())


def _restated(stored: pd.DataFrame, fetched: pd.DataFrame) -> tuple[int, str]:
    """How many stored days the fetched file gives other values for, and the first."""
    import numpy as np

    old = stored.assign(date=stored["date"].astype("datetime64[ns]")).set_index("date")
    new = fetched.set_index("date")
    common = old.index.intersection(new.index)
    if common.empty:
        return 0, ""
    bad = np.zeros(len(common), dtype=bool)
    for c in ("nav_usd", "shares_outstanding", "aum_usd"):
        a = old.loc[common, c].to_numpy(float)
        b = new.loc[common, c].to_numpy(float)
        bad |= np.abs(a - b) > RESTATED_REL_TOL * np.maximum(np.abs(a), 1.0)
    if not bad.any():
        return 0, ""
    i = int(np.flatnonzero(bad)[0])
    d = common[i]
    return int(bad.sum()), (
        f"{d.date()} nav {old.loc[d, 'nav_usd']:g} -> {new.loc[d, 'nav_usd']:g}, "
        f"shares {old.loc[d, 'shares_outstanding']:g} -> {new.loc[d, 'shares_outstanding']:g}"
    )


def _sessions_between(after: date, upto: date) -> int:
    """NYSE sessions in (after, upto]."""
    from gaemi.data.calendar import is_session, sessions

    return len(sessions("XNYS", after, upto)) - (1 if is_session("XNYS", after) else 0)


def refresh_fund_nav(
    store: Store,
    *,
    tickers: list[str] | None = None,
    now: datetime | None = None,
    base_url: str | None = None,
    timeout: float = 10.0,
    retries: int = 3,
) -> Iterator[str]:
    """Fetch the issuer files of the funds with NAV history in the store; one line per
    fund (a :class:`NotRefreshed` line when it failed, was refused or is stale)."""
    import pyarrow as pa

    t = now or datetime.now(UTC)
    rows = store.con.execute(
        "SELECT ticker, max(date), any_value(source) FROM fund_nav GROUP BY ticker ORDER BY ticker"
    ).fetchall()
    last_of = {str(k): d for k, d, _ in rows}
    if not last_of:
        yield "the store holds no issuer NAV history (import files with --kind fund_nav first)"
        return
    wanted = [x.upper() for x in tickers] if tickers else sorted(last_of)
    url_src = f"issuer:{(base_url or os.environ.get(ENV_URL) or PROSHARES_URL).rstrip('/')}"
    for ticker in wanted:
        last = last_of.get(ticker)
        if last is None:
            yield NotRefreshed(f"{ticker}: no issuer NAV history in the store (import it first)")
            continue
        due = expected_last(ticker, t)
        age = (t.astimezone(UTC).date() - last).days
        if last >= due:
            yield f"{ticker}: NAV up to date (last {last})"
            continue
        try:
            df = fetch_issuer_nav(ticker, base_url=base_url, timeout=timeout, retries=retries)
        except GaemiInputError as exc:  # LiveSourceError is one too
            yield NotRefreshed(f"{ticker}: {exc}; stored NAV ends {last} ({age} days old)")
            continue
        n_bad, first = _restated(store.fund_nav(ticker), df)
        if n_bad:
            yield NotRefreshed(
                f"{ticker}: the issuer restated {n_bad} stored days (first: {first}; a split?): "
                "nothing written; re-import the file with --on-conflict replace"
            )
            continue
        new = df[df["date"] > datetime(last.year, last.month, last.day)]
        end = df["date"].iloc[-1].date()
        if len(new):
            now_utc = t.astimezone(UTC)
            arrow = pa.table(
                {
                    "ticker": pa.array([ticker] * len(new), pa.string()),
                    "date": pa.array(new["date"].dt.date.tolist(), pa.date32()),
                    **{
                        c: pa.array(new[c].to_numpy(float), pa.float64())
                        for c in ("nav_usd", "prior_nav_usd", "shares_outstanding", "aum_usd")
                    },
                    "source": pa.array([url_src] * len(new), pa.string()),
                    "retrieved_at": pa.array([now_utc] * len(new), pa.timestamp("us", tz="UTC")),
                }
            )
            with store.transaction():
                store.merge("fund_nav", arrow, on_conflict="error", label=f"issuer {ticker}")
        if end < due:
            behind = _sessions_between(end, due)
            yield NotRefreshed(
                f"{ticker}: {len(new)} new days; the issuer file ends {end}, {behind} NYSE "
                f"sessions before the last completed session {due} (stale)"
            )
            continue
        aum = float(df["aum_usd"].iloc[-1])
        yield f"{ticker}: {len(new)} new days (now to {end}; AUM {aum / 1e9:.3f}B USD)"
