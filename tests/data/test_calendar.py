"""Calendar helpers: US close in ET and KST, early closes, minutes to close, KRX session.

Reference times: NYSE hours 09:30-16:00 ET, 13:00 on early-close days (NYSE holiday
calendar); KST = UTC+9 with no daylight saving; KRX hours 09:00-15:30 KST, first session
of the year opening at 10:00 (KRX notice).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gaemi.data import calendar as cal
from gaemi.errors import GaemiInputError

ET = ZoneInfo("America/New_York")
KST = ZoneInfo("Asia/Seoul")


def test_us_close_summer_and_winter_in_kst() -> None:
    summer = cal.next_us_close(datetime(2026, 5, 26, 15, 0, tzinfo=ET))
    assert summer.close_et.hour == 16
    assert (summer.close_kst.date(), summer.close_kst.hour) == (date(2026, 5, 27), 5)  # EDT
    winter = cal.next_us_close(datetime(2026, 1, 6, 10, 0, tzinfo=ET))
    assert (winter.close_kst.date(), winter.close_kst.hour) == (date(2026, 1, 7), 6)  # EST


def test_minutes_to_close() -> None:
    assert cal.minutes_to_us_close(datetime(2026, 5, 26, 15, 0, tzinfo=ET)) == 60.0
    # the same instant given in Seoul time
    assert cal.minutes_to_us_close(datetime(2026, 5, 27, 4, 30, tzinfo=KST)) == 30.0


def test_early_close_day_after_thanksgiving() -> None:
    c = cal.next_us_close(datetime(2026, 11, 27, 9, 0, tzinfo=ET))
    assert c.early_close
    assert c.close_et.hour == 13
    assert date(2026, 11, 27) in cal.early_closes("XNYS", "2026-11-01", "2026-12-31")


def test_after_close_and_holiday_roll_forward() -> None:
    # Friday 2026-07-03 is the observed Independence Day holiday: next close Monday 07-06
    c = cal.next_us_close(datetime(2026, 7, 2, 17, 0, tzinfo=ET))
    assert c.session == date(2026, 7, 6)
    assert not cal.is_session("XNYS", "2026-07-03")
    assert cal.last_completed_session("XNYS", datetime(2026, 7, 6, 12, 0, tzinfo=ET)) == date(
        2026, 7, 2
    )


def test_krx_session() -> None:
    s = cal.krx_session("2026-05-26")
    assert s.is_session
    assert (s.open_kst.hour, s.close_kst.hour, s.close_kst.minute) == (9, 15, 30)
    assert s.is_open(datetime(2026, 5, 26, 10, 0, tzinfo=KST))
    assert not s.is_open(datetime(2026, 5, 26, 16, 0, tzinfo=KST))
    first = cal.krx_session("2026-01-02")
    assert first.open_kst.hour == 10  # first session of the year opens an hour late
    assert not cal.krx_session("2026-01-01").is_session


def test_naive_time_refused() -> None:
    with pytest.raises(GaemiInputError, match="no time zone"):
        cal.next_us_close(datetime(2026, 5, 26, 15, 0))


def test_calendar_for_symbol() -> None:
    assert cal.calendar_for_symbol("005930.KS") == "XKRX"
    assert cal.calendar_for_symbol("^KS11") == "XKRX"
    assert cal.calendar_for_symbol("BTC-USD") is None
    assert cal.calendar_for_symbol("SOXL") == "XNYS"
