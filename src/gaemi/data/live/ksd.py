"""Adapter for the depository's public lists (KSD SEIBro): top-50 holdings and settlement.

**UNTESTED AGAINST THE LIVE SERVICE.** No recorded response of SEIBro exists here; the
request and the response layout follow the description in
``../shared/data/korea-holdings-ksd/PROVENANCE.md`` only, and the parser is tested on
responses constructed from it (``tests/data/test_ksd.py``). Treat the first live run as a
check of this module: :data:`TESTED_LIVE` is False until a recorded response is added.

What the portal serves (PROVENANCE.md): an XML POST without login to the websquare
servlet ``callServletService.jsp`` with header ``submissionid: submission_<action>``, task
``ksd.safe.bip.cnts.OvsSec.process.OvsSecIsinPTask`` and

* ``getImptFrcurStkCusRemaList`` — holdings top 50 as of ``END_DT`` (rows ``RNUM,
  NATION_NM, ISIN, KOR_SECN_NM, SUM_FRSEC_AMT``; about 2 business days late);
* ``getImptFrcurStkSetlAmtList`` — settlement top 50 over ``START_DT..END_DT``
  (``D_TYPE`` 1 buy / 2 sell / 3 total / 4 net buy; ``SUM_FRSEC_BUY_AMT``,
  ``SUM_FRSEC_SELL_AMT``, ``SUM_FRSEC_TOT_AMT``, ``SUM_FRSEC_NET_BUY_AMT``);

parameters ``S_COUNTRY`` (ALL/US/HK/CN/JP/VN), ``PG_START``/``PG_END``. Assumed, not
documented: parameters as ``<NAME value="…"/>`` elements of a ``<reqParam>`` root, and
row fields either as ``value`` attributes or as element text (both are parsed).
"""

from __future__ import annotations

import datetime as dt
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from gaemi.data.live.http import USER_AGENT, LiveSourceError
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

TESTED_LIVE = False
BASE_URL = "https://seibro.or.kr/websquare/engine/proworks/callServletService.jsp"
TASK = "ksd.safe.bip.cnts.OvsSec.process.OvsSecIsinPTask"
HOLDINGS = "getImptFrcurStkCusRemaList"
SETTLEMENT = "getImptFrcurStkSetlAmtList"
COUNTRIES = ("ALL", "US", "HK", "CN", "JP", "VN")
D_TYPES = {"buy": 1, "sell": 2, "total": 3, "net_buy": 4}
_SETTLE_FIELDS = {
    "SUM_FRSEC_BUY_AMT": "buy_usd",
    "SUM_FRSEC_SELL_AMT": "sell_usd",
    "SUM_FRSEC_TOT_AMT": "gross_usd",
    "SUM_FRSEC_NET_BUY_AMT": "net_buy_usd",
}


def build_request(
    action: str,
    *,
    end: dt.date,
    start: dt.date | None = None,
    country: str = "US",
    d_type: str = "net_buy",
    first: int = 1,
    last: int = 50,
) -> tuple[dict[str, str], bytes]:
    """Headers and XML body of one list request (see the module docstring)."""
    if action not in (HOLDINGS, SETTLEMENT):
        raise GaemiInputError(f"action = {action!r} must be {HOLDINGS} or {SETTLEMENT}")
    if country not in COUNTRIES:
        raise GaemiInputError(f"country = {country!r} must be one of {', '.join(COUNTRIES)}")
    if not 1 <= first <= last:
        raise GaemiInputError(f"rows {first}..{last}: need 1 <= first <= last")
    params = {
        "S_COUNTRY": country,
        "PG_START": str(first),
        "PG_END": str(last),
        "END_DT": end.strftime("%Y%m%d"),
    }
    if action == SETTLEMENT:
        if start is None or start > end:
            raise GaemiInputError("settlement list: give start <= end")
        if d_type not in D_TYPES:
            raise GaemiInputError(f"d_type = {d_type!r} must be one of {', '.join(D_TYPES)}")
        params["START_DT"] = start.strftime("%Y%m%d")
        params["D_TYPE"] = str(D_TYPES[d_type])
    body = "".join(f"<{k} value={quoteattr(v)}/>" for k, v in params.items())
    xml = f"<reqParam action={quoteattr(action)} task={quoteattr(TASK)}>{body}</reqParam>"
    headers = {
        "Content-Type": "application/xml; charset=UTF-8",
        "submissionid": f"submission_{action}",
        "User-Agent": USER_AGENT,
    }
    return headers, xml.encode("utf-8")


def _field(row: ET.Element, name: str) -> str | None:
    el = row.find(name)
    if el is None:
        return None
    v = el.get("value")
    return (v if v is not None else (el.text or "")).strip()


def _amount(where: str, name: str, text: str | None) -> float:
    if text is None or not text:
        raise GaemiInputError(f"{where}: {name} is missing")
    try:
        v = float(text.replace(",", ""))
    except ValueError:
        raise GaemiInputError(f"{where}: {name} = {text!r} is not a number") from None
    if v != v or v in (float("inf"), float("-inf")):
        raise GaemiInputError(f"{where}: {name} = {text!r} is not finite")
    return v


def parse_response(
    payload: bytes, action: str, *, as_of: dt.date, period_days: int | None = None
) -> pd.DataFrame:
    """Rows of one SEIBro list response as a frame like the file readers'.

    Holdings: ``as_of, rank, isin, name, country, holdings_usd, source``. Settlement:
    ``as_of, period_days, rank, isin, name, country`` and whichever of ``buy_usd,
    sell_usd, gross_usd, net_buy_usd`` the answer carries. Every row is validated like a
    file row (ISIN check digit, finite amounts, holdings >= 0, no ISIN twice); a response
    without rows or with an error element is refused in one line.
    """
    import pandas as pd

    from gaemi.data.importers.ksd import isin_ok

    src = f"SEIBro {action}"
    try:
        root = ET.fromstring(payload)
    except ET.ParseError as exc:
        raise LiveSourceError(f"{src}: the answer is not XML ({exc})") from None
    err = root.find(".//error")
    if err is not None:
        msg = (err.get("value") or err.text or "").strip().splitlines()
        raise LiveSourceError(f"{src}: the service answered an error: {msg[0] if msg else '?'}")
    rows = [el for el in root.iter() if el.find("ISIN") is not None]
    if not rows:
        raise LiveSourceError(f"{src}: no rows in the answer (layout changed or empty list)")
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    for i, row in enumerate(rows, start=1):
        where = f"{src} row {i}"
        isin = (_field(row, "ISIN") or "").upper()
        if not isin_ok(isin):
            raise GaemiInputError(f"{where}: ISIN = {isin!r} is not a valid ISIN")
        if isin in seen:
            raise GaemiInputError(f"{where}: ISIN = {isin} appears twice")
        seen.add(isin)
        rank_txt = _field(row, "RNUM")
        rec: dict[str, object] = {
            "as_of": pd.Timestamp(as_of),
            "rank": int(_amount(where, "RNUM", rank_txt)) if rank_txt else i,
            "isin": isin,
            "name": _field(row, "KOR_SECN_NM") or "",
            "country": _field(row, "NATION_NM") or "",
        }
        if action == HOLDINGS:
            v = _amount(where, "SUM_FRSEC_AMT", _field(row, "SUM_FRSEC_AMT"))
            if v < 0:
                raise GaemiInputError(f"{where}: SUM_FRSEC_AMT = {v:g} must be >= 0")
            rec["holdings_usd"] = v
        else:
            got = False
            for f, col in _SETTLE_FIELDS.items():
                t = _field(row, f)
                if t is not None:
                    v = _amount(where, f, t)
                    if col != "net_buy_usd" and v < 0:
                        raise GaemiInputError(f"{where}: {f} = {v:g} must be >= 0")
                    rec[col] = v
                    got = True
            if not got:
                raise GaemiInputError(f"{where}: no settlement amount field")
            rec["period_days"] = period_days
        out.append(rec)
    df = pd.DataFrame(out).sort_values("rank", kind="stable").reset_index(drop=True)
    df["source"] = f"{src} (live, adapter untested against the service)"
    return df


def fetch(
    action: str,
    *,
    end: dt.date,
    start: dt.date | None = None,
    country: str = "US",
    d_type: str = "net_buy",
    base_url: str = BASE_URL,
    timeout: float = 15.0,
    retries: int = 2,
    sleep: Callable[[float], None] = time.sleep,
    opener: Callable[..., Any] | None = None,
) -> pd.DataFrame:
    """POST one list request and parse it (UNTESTED against the live service)."""
    headers, body = build_request(action, end=end, start=start, country=country, d_type=d_type)
    open_url = opener or urllib.request.urlopen
    last = ""
    for attempt in range(retries + 1):
        req = urllib.request.Request(base_url, data=body, headers=headers, method="POST")
        try:
            with open_url(req, timeout=timeout) as resp:
                payload = resp.read()
            period = (end - start).days + 1 if start is not None else None
            return parse_response(payload, action, as_of=end, period_days=period)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            last = str(getattr(exc, "reason", exc))
            if attempt < retries:
                sleep(0.5 * 2**attempt)
    raise LiveSourceError(f"SEIBro {action}: no answer after {retries + 1} tries ({last})")
