"""The report's "no status" rule is the one of every face (issue 19 leftover): the report
(:func:`gaemi.app.report.report`) and the monitor's status (:func:`gaemi.app.status.status`)
give the same ``past_data`` answer — both :func:`gaemi.app.status.is_past_data` — on the
embedded data (its newest day, asked or not; today, not asked) and for a --date beyond
the data.
"""

from __future__ import annotations

from typing import Any

import pytest

from gaemi.app.report import report
from gaemi.app.state import load_state, market_known_on
from gaemi.app.status import is_past_data, past_data_status, status


@pytest.fixture(scope="module")
def newest_day() -> str:
    """The embedded data's newest dated indicator input (its report's data age)."""
    newest = report(load_state()).data_age.newest
    assert newest is not None
    return newest.isoformat()


@pytest.mark.parametrize(
    ("which", "asked", "past"),
    [
        ("newest", True, False),  # a day the data covers: its status
        ("newest", False, False),
        ("today", False, False),  # today's report on old data: a status, flagged stale
        ("2030-01-01", True, True),  # asked years past the data: no status
        ("2030-01-01", False, False),
    ],
)
def test_report_and_status_apply_one_past_data_rule(
    which: str, asked: bool, past: bool, newest_day: str
) -> None:
    day = {"newest": newest_day, "today": None}.get(which, which)
    st = load_state(as_of=day)
    rep: Any = report(st, day=st.day, day_asked=asked)
    mon = status(st, day_asked=asked)
    later = market_known_on(st.market_unfiltered or st.market, st.day)[1]
    # the rule applied here to the report's own data age and what is dated after the day
    want = is_past_data(rep.data_age, day_asked=asked, later=bool(later))
    assert want is past
    assert rep.past_data is want
    assert mon.past_data is want
    assert rep.to_dict()["status_past_data"] is want
    if want:
        assert rep.status == past_data_status(rep.data_age)
        assert rep.status.status == mon.status.status == "n/a"
    else:
        assert rep.status.status == mon.status.status != "n/a"
