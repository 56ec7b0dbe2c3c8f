"""Trading calendars and clock: NYSE (XNYS) and KRX (XKRX) via ``exchange-calendars``.

The US close is 16:00 America/New_York (13:00 on early-close days), which is 05:00 or
06:00 the next morning in Asia/Seoul depending on US daylight saving time. Helpers
here answer "when is the next US close, in ET and KST", "how many minutes to it" and
"is the KRX open", always with time-zone-aware timestamps.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

ET = ZoneInfo("America/New_York")
KST = ZoneInfo("Asia/Seoul")
UTC = ZoneInfo("UTC")
Exchange = Literal["XNYS", "XKRX"]
EXCHANGES: tuple[str, ...] = ("XNYS", "XKRX")
#: First session the cached calendars cover.
CALENDAR_START = "1980-01-02"


@lru_cache(maxsize=4)
def get_calendar(exchange: str = "XNYS") -> Any:
    """The exchange-calendars calendar (cached; built once per process)."""
    import exchange_calendars as xc

    if exchange not in EXCHANGES:
        raise GaemiInputError(f"exchange = {exchange!r} must be one of {', '.join(EXCHANGES)}")
    start = CALENDAR_START if exchange == "XNYS" else "1990-01-03"
    with warnings.catch_warnings():
        # exchange-calendars 4.x trips pandas' deprecation warnings when it builds a
        # calendar; third-party noise that is not ours to fix
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return xc.get_calendar(exchange, start=start)


def _aware(now: datetime | None) -> pd.Timestamp:
    import pandas as pd

    if now is None:
        return pd.Timestamp.now(tz="UTC")
    ts = pd.Timestamp(now)
    if ts.tzinfo is None:
        raise GaemiInputError(f"time = {now!s} has no time zone (give e.g. 2026-05-26T15:00-04:00)")
    return ts.tz_convert("UTC")


def sessions(exchange: str, start: str | date, end: str | date) -> pd.DatetimeIndex:
    """Trading sessions (dates) of ``exchange`` from ``start`` to ``end`` inclusive."""
    import pandas as pd

    cal = get_calendar(exchange)
    s = max(pd.Timestamp(start), cal.first_session)
    e = min(pd.Timestamp(end), cal.last_session)
    if s > e:
        return pd.DatetimeIndex([])
    out: pd.DatetimeIndex = cal.sessions_in_range(s, e)
    return out


def is_session(exchange: str, day: str | date) -> bool:
    """Whether ``day`` is a trading day of ``exchange``."""
    import pandas as pd

    return bool(get_calendar(exchange).is_session(pd.Timestamp(day)))


def early_closes(exchange: str, start: str | date, end: str | date) -> list[date]:
    """Sessions that close early (e.g. 13:00 ET the day after Thanksgiving)."""
    import pandas as pd

    cal = get_calendar(exchange)
    ec = cal.early_closes
    mask = (ec >= pd.Timestamp(start)) & (ec <= pd.Timestamp(end))
    return [d.date() for d in ec[mask]]


@dataclass(frozen=True)
class SessionClose:
    """One session's close: the session date and the close in UTC, ET and KST."""

    exchange: str
    session: date
    close_utc: datetime
    close_et: datetime
    close_kst: datetime
    early_close: bool

    def minutes_from(self, now: datetime) -> float:
        """Minutes from ``now`` (time-zone aware) to this close."""
        return (self.close_utc - _aware(now).to_pydatetime()).total_seconds() / 60.0


def _close_of(exchange: str, session: pd.Timestamp) -> SessionClose:
    cal = get_calendar(exchange)
    close = cal.session_close(session)
    early = bool(cal.early_closes.isin([session]).any())
    c = close.to_pydatetime()
    return SessionClose(
        exchange=exchange,
        session=session.date(),
        close_utc=c,
        close_et=c.astimezone(ET),
        close_kst=c.astimezone(KST),
        early_close=early,
    )


def next_close(exchange: str = "XNYS", now: datetime | None = None) -> SessionClose:
    """The next close at or after ``now`` (default: the current time)."""
    cal = get_calendar(exchange)
    t = _aware(now)
    day = t.tz_convert(ET if exchange == "XNYS" else KST).normalize().tz_localize(None)
    if day > cal.last_session:
        raise GaemiInputError(f"time = {t} is beyond the calendar ({cal.last_session.date()})")
    session = cal.date_to_session(day, direction="next")
    sc = _close_of(exchange, session)
    if sc.close_utc <= t.to_pydatetime():
        sc = _close_of(exchange, cal.next_session(session))
    return sc


def next_us_close(now: datetime | None = None) -> SessionClose:
    """The next NYSE close, with its time in New York and in Seoul."""
    return next_close("XNYS", now)


def minutes_to_us_close(now: datetime | None = None) -> float:
    """Minutes from ``now`` to the next NYSE close."""
    t = _aware(now).to_pydatetime()
    return next_us_close(t).minutes_from(t)


@dataclass(frozen=True)
class KrxSession:
    """The KRX session of one day (open and close in KST), or ``None`` fields if closed."""

    day: date
    is_session: bool
    open_kst: datetime | None
    close_kst: datetime | None

    def is_open(self, now: datetime) -> bool:
        if not self.is_session or self.open_kst is None or self.close_kst is None:
            return False
        t = _aware(now).to_pydatetime()
        return self.open_kst <= t < self.close_kst


def krx_session(day: str | date | datetime | None = None) -> KrxSession:
    """The KRX session on ``day`` (a date in Seoul, default today in Seoul).

    Regular hours are 09:00–15:30 KST; the first session of the year opens at 10:00 and
    the day of the college entrance exam opens and closes an hour later (the calendar
    knows both).
    """
    import pandas as pd

    cal = get_calendar("XKRX")
    if day is None:
        d = pd.Timestamp.now(tz=KST).date()
    elif isinstance(day, datetime):
        if day.tzinfo is None:
            raise GaemiInputError(f"time = {day!s} has no time zone")
        d = day.astimezone(KST).date()
    else:
        d = pd.Timestamp(day).date()
    ts = pd.Timestamp(d)
    if not cal.is_session(ts):
        return KrxSession(d, False, None, None)
    return KrxSession(
        d,
        True,
        cal.session_open(ts).to_pydatetime().astimezone(KST),
        cal.session_close(ts).to_pydatetime().astimezone(KST),
    )


def last_completed_session(exchange: str = "XNYS", now: datetime | None = None) -> date:
    """The latest session whose close is at or before ``now``."""
    cal = get_calendar(exchange)
    t = _aware(now)
    nc = next_close(exchange, t.to_pydatetime())
    prev = cal.previous_session(pd_ts(nc.session))
    return prev.date() if nc.close_utc > t.to_pydatetime() else nc.session


def pd_ts(d: date) -> pd.Timestamp:
    import pandas as pd

    return pd.Timestamp(d)


def calendar_for_symbol(symbol: str) -> str | None:
    """XKRX for Korean listings (``.KS``, ``.KQ``, ``^KS11``), None for crypto, else XNYS."""
    s = symbol.upper()
    if s.endswith((".KS", ".KQ")) or s in ("^KS11", "^KS200", "^KQ11"):
        return "XKRX"
    if s.endswith(("-USD", "-KRW", "-USDT")) or s.startswith(("KRW-", "USDT-")):
        return None
    return "XNYS"
