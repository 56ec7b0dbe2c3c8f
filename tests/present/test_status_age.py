"""The monitor's status line states the data's age, in the status itself (issue 19: the
status read HIGH from data 125 days old; staleness was a separate note), and its clock
shows KST beside UTC."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from gaemi.present.cli import main
from gaemi.present.cli.monitor import clock, status_text


def test_status_text_says_stale_with_the_age() -> None:
    newest = dt.date(2026, 8, 3)
    assert status_text("HIGH", newest, 125, True, 7) == (
        "HIGH — stale: newest market data 125 days old (as of 2026-08-03; limit 7 days)"
    )
    assert status_text("LOW", newest, 1, False, 7) == "LOW (data as of 2026-08-03, 1 day old)"


def test_clock_shows_kst_nine_hours_ahead() -> None:
    # KST = UTC+9 all year (Korea has no daylight saving): 15:33 UTC is 00:33 the next day
    assert clock("2026-12-06T15:33:12+00:00") == "2026-12-06 15:33:12 UTC (12-07 00:33 KST)"


def test_monitor_date_past_the_data_has_no_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state.json"
    rc = main(
        [
            "monitor",
            "--once",
            "--date",
            "2030-01-01",
            "--alerts",
            str(tmp_path / "a.jsonl"),
            "--state-file",
            str(state),
        ]
    )
    out = capsys.readouterr().out
    # a --date past every observation by more than the limit: no status (exit 10, n/a),
    # the rule of gaemi.app.status.is_past_data shared with the report (test_stale_faces.py)
    assert rc == 10
    saved = json.loads(state.read_text(encoding="utf-8"))
    # the age is the day asked minus the newest dated indicator input, in days
    newest = dt.date.fromisoformat(saved["as_of"])
    assert saved["age_days"] == (dt.date(2030, 1, 1) - newest).days > saved["stale_after_days"]
    assert saved["stale"] is True
    assert (saved["status"], saved["status_past_data"]) == ("n/a", True)
    last = out.strip().splitlines()[-1]
    assert f"no status: 2030-01-01 is {saved['age_days']:,} days after" in last
    assert "UTC (" in last
    assert "KST)" in last
