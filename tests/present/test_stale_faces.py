"""The status carries its age in every face (issue 19 item 4): terminal, JSON, HTML and the
dashboard (``test_web_browser.py``), on the embedded snapshot (read today, its newest market
figure is months old) and with ``--date`` beyond the data (2030-01-01).

The expected age is the day asked minus the newest dated indicator input, computed here
from :func:`gaemi.app.status.status` on the same state; each face must state that figure.
The report's headline carries it too: today's report on old data reads stale, a day
asked past every observation reads "no status: ..." (JSON ``status`` "n/a").
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from gaemi.present.cli import main

#: A day past every embedded figure (the issue's `--date 2030-01-01` case).
BEYOND = "2030-01-01"
CASES = [None, BEYOND]  # None: the embedded snapshot read today (UTC)


def expected(date: str | None) -> tuple[dt.date, int, int]:
    """(newest dated input, its age in days on the day, the staleness limit in days)."""
    from gaemi.app.state import load_state
    from gaemi.app.status import status
    from gaemi.monitor.indicators import load_default_rules

    res = status(load_state(as_of=date), moves={}, rules=load_default_rules())
    newest = max(i.as_of for i in res.indicators if i.as_of is not None)
    day = dt.date.fromisoformat(date) if date else dt.datetime.now(dt.UTC).date()
    return newest, (day - newest).days, int(res.stale_after_days)


def date_args(date: str | None) -> list[str]:
    return ["--date", date] if date else []


def run_monitor(date: str | None, tmp_path: Path) -> tuple[int, str, dict[str, Any], str]:
    """``gaemi monitor --once`` (exit code, last printed line, the state file's JSON, the
    alerts file's text) on the embedded snapshot, today or on ``date``."""
    import contextlib
    import io

    state = tmp_path / "state.json"
    alerts = tmp_path / "a.jsonl"
    args = ["monitor", "--once", "--alerts", str(alerts), "--state-file", str(state)]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main([*args, *date_args(date)])
    saved = json.loads(state.read_text(encoding="utf-8"))
    text = alerts.read_text(encoding="utf-8") if alerts.exists() else ""
    return rc, buf.getvalue().strip().splitlines()[-1], saved, text


def test_terminal_monitor_status_today_is_stale_with_its_age(tmp_path: Path) -> None:
    """The embedded snapshot read today: the status is given, flagged stale with its age."""
    newest, age, limit = expected(None)
    assert age > limit  # the snapshot is past the documented limit today
    rc, last, saved, _alerts = run_monitor(None, tmp_path)
    assert rc in (0, 11, 12, 13, 14)
    assert (
        f"— stale: newest market data {age} days old (as of {newest}; limit {limit} days)" in last
    ), last
    # the state file (JSON, what a script reads) says the same
    assert (saved["stale"], saved["age_days"], saved["as_of"]) == (True, age, newest.isoformat())
    assert (saved["status_past_data"], saved["status_age_days"]) == (False, age)


def test_terminal_monitor_day_past_the_data_has_no_status(tmp_path: Path) -> None:
    """``gaemi monitor --once --date 2030-01-01``: "no status: ..." instead of a stale
    status, JSON status n/a, exit code 10 (documented: not LOW's 0, not an alert's 11-14)
    and no alert record."""
    newest, age, limit = expected(BEYOND)
    rc, last, saved, alerts = run_monitor(BEYOND, tmp_path)
    want = (
        f"no status: {BEYOND} is {age:,} days after the newest market data "
        f"({newest}; limit {limit} days)"
    )
    assert last.endswith(want), last
    for word in ("LOW", "GUARDED", "ELEVATED", "HIGH", "CRITICAL"):
        assert word not in last, last
    assert rc == 10
    assert alerts == ""
    assert (saved["status"], saved["level"], saved["status_text"]) == ("n/a", 0, want)
    assert (saved["status_past_data"], saved["status_stale"]) == (True, True)
    assert (saved["status_age_days"], saved["status_as_of"]) == (age, newest.isoformat())


def api_status(date: str | None) -> dict[str, Any]:
    """``/api/status`` of the app serving the embedded snapshot today or on ``date`` (what
    ``gaemi serve --date`` builds)."""
    import warnings

    pytest.importorskip("fastapi")
    with warnings.catch_warnings():  # Starlette's httpx-based TestClient warns it is deprecated
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from gaemi.app.state import load_state
    from gaemi.present.web.app import create_app

    app = create_app(market_state=load_state(as_of=date))
    with TestClient(app) as client:
        body: dict[str, Any] = client.get("/api/status").json()
    return body


@pytest.mark.parametrize("date", CASES, ids=["embedded", "beyond"])
def test_json_api_status_is_stale_with_its_age(date: str | None) -> None:
    newest, age, limit = expected(date)
    body = api_status(date)
    assert body["stale"] is True
    assert body["stale_after_days"] == limit
    dated = [i for i in body["indicators"] if i["as_of"]]
    assert max(i["as_of"] for i in dated) == newest.isoformat()
    assert min(i["age_days"] for i in dated) == age
    assert (body["status_as_of"], body["status_age_days"]) == (newest.isoformat(), age)
    if date is None:  # today: the status is given, flagged stale
        assert body["status"] != "n/a"
        assert body["status_past_data"] is False
        assert " — stale: newest market data" in body["status_text"]
    else:  # a served day past the data: no status
        assert (body["status"], body["level"], body["status_past_data"]) == ("n/a", 0, True)
        assert body["status_text"].startswith(f"no status: {date} is {age:,} days after")


@pytest.mark.parametrize("date", CASES, ids=["embedded", "beyond"])
def test_monitor_api_and_report_agree_on_the_status(
    date: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    """One answer per question: ``gaemi monitor`` (its state file), ``/api/status`` and
    ``gaemi report --format json`` carry the same status, headline, age and no-status flag
    (all from gaemi.app.status), today and with --date 2030-01-01."""
    keys = ("status", "status_text", "status_age_days", "status_past_data", "status_as_of")
    _rc, _last, mon, _alerts = run_monitor(date, tmp_path)
    api = api_status(date)
    monkeypatch.chdir(tmp_path)
    rep = json.loads(report_text([*date_args(date), "--format", "json"], capsys))
    faces = {"monitor": mon, "api": api, "report": rep}
    got = {face: tuple(doc[k] for k in keys) for face, doc in faces.items()}
    assert got["monitor"] == got["api"] == got["report"], got
    assert (mon["status"] == "n/a") is (date is not None)  # the two cases differ


def report_text(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["report", *args]) == 0
    return capsys.readouterr().out


def html_text(path: Path) -> str:
    """The words of an HTML report (scripts, styles and tags removed)."""
    t = path.read_text(encoding="utf-8")
    t = re.sub(r"<(script|style)\b.*?</\1>", " ", t, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", t))


def report_faces(
    date: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> dict[str, str]:
    """The report's terminal text, JSON text and HTML words for the case."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    terminal = report_text([*date_args(date), "--html", "r.html"], capsys)
    js = report_text([*date_args(date), "--format", "json"], capsys)
    return {"terminal": terminal, "json": js, "html": html_text(tmp_path / "r.html")}


@pytest.mark.parametrize("date", CASES, ids=["embedded", "beyond"])
def test_report_faces_state_the_age_of_the_data(
    date: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    # today: a note "Every observation is older than 7 days (newest 125 days)" in each face
    _newest, age, limit = expected(date)
    for face, text in report_faces(date, tmp_path, capsys, monkeypatch).items():
        flat = " ".join(text.split())
        assert f"older than {limit} days (newest {age} days)" in flat, face


def panel(terminal: str) -> str:
    """The words of the terminal report's status panel (its first box)."""
    return " ".join(terminal.split("╰", 1)[0].replace("│", " ").split())


def html_top(html_words: str) -> str:
    """The HTML report's header: everything before the first note."""
    return " ".join(html_words.split("Every observation", 1)[0].split())


def test_report_headline_today_reads_stale_with_its_age(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    """The embedded snapshot read today (no --date): the status is given, flagged stale,
    in the monitor's words (the same function, gaemi.app.status.status_text)."""
    from gaemi.present.cli.monitor import status_text as monitor_text

    newest, age, limit = expected(None)
    faces = report_faces(None, tmp_path, capsys, monkeypatch)
    doc = json.loads(faces["json"])
    assert doc["status"] in ("LOW", "GUARDED", "ELEVATED", "HIGH", "CRITICAL")
    want = (
        f"{doc['status']} — stale: newest market data {age} days old "
        f"(as of {newest}; limit {limit} days)"
    )
    assert monitor_text(doc["status"], newest, age, True, limit) == want
    assert want in panel(faces["terminal"])
    assert want in html_top(faces["html"])
    assert doc["status_text"] == want
    assert (doc["status_stale"], doc["status_age_days"], doc["status_as_of"]) == (
        True,
        age,
        newest.isoformat(),
    )
    assert (doc["status_past_data"], doc["stale_after_days"]) == (False, limit)


def test_report_day_past_the_data_has_no_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    """--date 2030-01-01: the headline says how far past the data the day is, instead of
    a status (exit code 0, checked by report_text); JSON status is "n/a", level 0."""
    newest, age, limit = expected(BEYOND)
    faces = report_faces(BEYOND, tmp_path, capsys, monkeypatch)
    want = (
        f"no status: {BEYOND} is {age:,} days after the newest market data "
        f"({newest}; limit {limit} days)"
    )
    top = panel(faces["terminal"])
    assert want in top
    for word in ("LOW", "GUARDED", "ELEVATED", "HIGH", "CRITICAL"):
        assert word not in top, top  # no status, not even in the reason
    assert want in html_top(faces["html"])
    doc = json.loads(faces["json"])
    assert (doc["status"], doc["status_level"], doc["status_text"]) == ("n/a", 0, want)
    assert (doc["status_stale"], doc["status_past_data"]) == (True, True)
    assert (doc["status_age_days"], doc["status_as_of"]) == (age, newest.isoformat())


def test_report_on_a_day_the_data_covers_is_not_stale() -> None:
    """The newest day of the embedded snapshot, asked with day=: its own inputs are 0
    days old, so the status stands, not stale (the same rule and words as the monitor)."""
    from gaemi.app.report import report

    newest, _age, _limit = expected(None)
    rep = report(day=newest)
    doc = rep.to_dict()
    assert doc["status"] != "n/a"
    assert doc["status_text"] == f"{doc['status']} (data as of {newest}, 0 days old)"
    assert (doc["status_stale"], doc["status_past_data"], doc["status_age_days"]) == (
        False,
        False,
        0,
    )


def test_report_on_a_gap_inside_the_data_keeps_its_status_flagged_stale() -> None:
    """2026-07-31, inside the embedded snapshot (it has points up to 2026-08-03) but the
    series known that day end earlier (the one-day moves are dated 2026-08-03 only): the
    status is given, flagged stale — only a day after every observation has none."""
    from gaemi.app.report import report
    from gaemi.app.state import load_state

    day = dt.date(2026, 7, 31)
    newest, _age, _limit = expected(None)
    assert newest > day  # the snapshot has data after the day
    rep = report(load_state(), day=day)
    age = rep.data_age
    assert age.stale
    assert age.newest is not None
    assert age.newest < day
    assert not rep.past_data
    assert rep.status.status != "n/a"
    assert f"— stale: newest market data {age.age_days} days old" in rep.headline
    assert rep.summary().startswith(f"{day}: {rep.headline}. ")  # the Python face too


def test_report_on_the_shared_data_read_today_is_stale(shared_data: Path) -> None:
    """``gaemi report --data-dir ../shared/data`` without --date (today is past the
    folder's data): the status is given with its age, flagged stale; the same folder
    with a day asked past it has no status."""
    from gaemi.app.report import report
    from gaemi.app.state import load_state

    state = load_state(data_dir=shared_data)
    today = report(state)
    age = today.data_age
    assert age.newest is not None
    assert age.age_days == (state.day - age.newest).days
    if not age.stale:
        pytest.skip(f"the shared data is fresh today (newest {age.newest})")
    assert today.status.status != "n/a"
    assert today.headline.startswith(f"{today.status.status} — stale: newest market data")
    later = age.newest + dt.timedelta(days=age.limit_days + 1)
    past = report(load_state(data_dir=shared_data, as_of=later), day=later)
    assert past.status.status == "n/a"
    assert past.headline.startswith(f"no status: {later} is {age.limit_days + 1} days after")
