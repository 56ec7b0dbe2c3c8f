"""``gaemi monitor``: recompute the status once or on a schedule; alert on changes.

Each run computes every indicator and the composite status, compares them with the last
run's (kept in a small JSON state file), prints what changed, appends one JSON line per
change to the alerts file and, when asked, POSTs the same JSON to a webhook. With
``--once`` the exit code tells the status for use in cron: 0 LOW, 11 GUARDED, 12 ELEVATED,
13 HIGH, 14 CRITICAL, 10 no status (``n/a``: a ``--date`` past every observation by more
than the staleness limit, or nothing known that day; such a run writes no alert), 2 stays
the code for bad input. The status line carries its age and the same keys as the report's
JSON (:func:`gaemi.app.status.status_fields`).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from gaemi.app.state import parse_day, today_utc
from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    DataDirOption,
    DateOption,
    finite_option,
    note,
    single,
    writable_file,
)

EPILOG = """
Examples:

  gaemi monitor --once  # exit 0 LOW, 11 GUARDED … 14 CRITICAL, 10 no status (cron)

  gaemi monitor --every 300 --alerts alerts.jsonl --webhook http://127.0.0.1:9000/hook

  gaemi monitor --once --move NDX=-5.2%

  # after `gaemi data update` in cron
  gaemi monitor --every 600 --db gaemi.duckdb

  gaemi monitor --once --date 2026-07-01  # the status as it stood that day
"""


#: Korea Standard Time (UTC+9, no daylight saving): shown beside UTC for Korean readers.
KST = dt.timezone(dt.timedelta(hours=9), "KST")


def status_text(
    status: str, newest: dt.date | None, age: int | None, stale: bool, limit: int | None
) -> str:
    """The status with its age, e.g. ``HIGH (data as of 2026-03-27, 1 day old)`` or
    ``HIGH — stale: newest market data 125 days old (as of 2026-08-03; limit 7 days)``
    (the one wording, shared with the report: :func:`gaemi.app.status.status_text`)."""
    from gaemi.app.status import status_text as text

    return text(status, newest, age, stale, limit)


def clock(time_utc: str) -> str:
    """``2026-12-06 15:33:12 UTC (12-07 00:33 KST)`` from an ISO UTC time."""
    t = dt.datetime.fromisoformat(time_utc)
    k = t.astimezone(KST)
    return f"{t:%Y-%m-%d %H:%M:%S} UTC ({k:%m-%d %H:%M} KST)"


#: ``--once`` exit code of a run without a status (``n/a``): not 0 (LOW), not an alert
NO_STATUS_EXIT = 10


def exit_code(status: str, level: int) -> int:
    """0 LOW, 11 GUARDED … 14 CRITICAL, :data:`NO_STATUS_EXIT` (10) for ``n/a``."""
    if status == "n/a":
        return NO_STATUS_EXIT
    return 0 if level == 0 else 10 + level


def evaluate(
    moves: dict[str, float],
    day: dt.date,
    db: Path | None = None,
    data_dir: Path | None = None,
    *,
    day_asked: bool = False,
) -> dict[str, Any]:
    """Indicators and status as a JSON-ready dict (from the store when ``db`` is given).

    ``day_asked``: ``day`` came from ``--date``; past every observation by more than the
    staleness limit it has no status (:func:`gaemi.app.status.is_past_data`). The status
    keys (``status_text``, ``status_as_of``, ``status_age_days``, ``status_stale``,
    ``status_past_data``, ``stale_after_days``) are those of ``gaemi report --format json``
    and ``/api/status``, computed by :func:`gaemi.app.status.status_fields`.
    """
    from gaemi.app.status import status
    from gaemi.present.cli.common import state_from_options

    res = status(state_from_options(db, data_dir, day), moves=moves, day_asked=day_asked)
    now = dt.datetime.now(dt.UTC)
    fields = res.status_fields()
    age = res.data_age
    return {
        "time_utc": now.isoformat(timespec="seconds"),
        "time_kst": now.astimezone(KST).isoformat(timespec="seconds"),
        "date": day.isoformat(),
        "status": res.status.status,
        "level": res.level,
        "reason": res.status.reason,
        "as_of": fields["status_as_of"],
        "age_days": age.age_days,
        "stale": res.stale,
        **fields,
        "indicators": {
            i.id: {
                "state": i.state,
                "value": None if i.level is None else i.value,
                "detail": i.detail,
                "as_of": i.as_of.isoformat() if i.as_of else None,
                "source": i.source,
            }
            for i in res.indicators
        },
    }


def read_state(state_file: Path) -> dict[str, Any] | None:
    """The previous run's state (``None`` when the file does not exist yet).

    A file that is not a state this command wrote (not UTF-8 JSON, or not an object with
    ``status`` and ``indicators``) is a one-line error: it is never overwritten (issue 21:
    ``--state-file some.csv`` used to replace the CSV with JSON; ``[1, 2]`` crashed).
    """
    if not state_file.is_file():
        return None
    try:
        prev = json.loads(state_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        prev = None
    if (
        not isinstance(prev, dict)
        or not isinstance(prev.get("indicators"), dict)
        or "status" not in prev
    ):
        raise GaemiInputError(
            f"--state-file = {str(state_file)!r} is not a state written by gaemi monitor "
            "(not a JSON object with status and indicators); it is left as it is: give "
            "another file name or remove it"
        )
    return prev


def changes(prev: dict[str, Any] | None, cur: dict[str, Any]) -> list[dict[str, Any]]:
    """Alert records for every change of state since ``prev`` (all, on the first run).

    A run without a status for a day past the data (``status_past_data``) raises none.
    """
    out: list[dict[str, Any]] = []
    if cur.get("status_past_data"):
        return out
    if prev is None or prev.get("status") != cur["status"]:
        out.append(
            {
                "kind": "status",
                "from": None if prev is None else prev.get("status"),
                "to": cur["status"],
                "reason": cur["reason"],
            }
        )
    prev_inds = {} if prev is None else prev.get("indicators", {})
    for key, ind in cur["indicators"].items():
        before = prev_inds.get(key, {}).get("state")
        if before != ind["state"] and (prev is not None or ind["state"] not in ("LOW", "n/a")):
            out.append(
                {
                    "kind": "indicator",
                    "indicator": key,
                    "from": before,
                    "to": ind["state"],
                    "detail": ind["detail"],
                }
            )
    for rec in out:
        rec.update({"time_utc": cur["time_utc"], "date": cur["date"], "status": cur["status"]})
    return out


def post_webhook(url: str, payload: dict[str, Any], timeout_s: float = 5.0) -> None:
    """POST JSON to ``url``; a failure is reported on stderr, never fatal to monitoring."""
    import urllib.error
    import urllib.request

    if not url.startswith(("http://", "https://")):
        raise GaemiInputError(f"webhook = {url!r} must start with http:// or https://")
    req = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            resp.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        note(f"warning: webhook {url} failed: {exc}")


def monitor(
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Run once; exit 0 LOW, 11 GUARDED, 12 ELEVATED, 13 HIGH, 14 CRITICAL, "
            "10 no status (a --date past the data).",
        ),
    ] = False,
    every: Annotated[
        float,
        typer.Option("--every", help="Seconds between runs.", callback=finite_option),
    ] = 300.0,
    max_runs: Annotated[int, typer.Option("--max-runs", help="Stop after N runs (0 = never).")] = 0,
    alerts: Annotated[
        Path, typer.Option("--alerts", help="JSONL file alerts are appended to.")
    ] = Path("gaemi-alerts.jsonl"),
    state_file: Annotated[
        Path, typer.Option("--state-file", help="Last run's state (JSON).")
    ] = Path("gaemi-monitor-state.json"),
    webhook: Annotated[str | None, typer.Option("--webhook", help="POST each alert here.")] = None,
    move: Annotated[
        list[str] | None,
        typer.Option("--move", help="Today's move so far, NDX=-3.1% or SOX=-4%; repeatable."),
    ] = None,
    db_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--db",
            metavar="STORE",
            help="Recompute from this DuckDB store, re-read every run (imports and "
            "`gaemi data update` between runs are picked up).",
        ),
    ] = None,
    data_dir_given: DataDirOption = None,
    date_given: DateOption = None,
) -> None:
    """Recompute indicators and the composite status; print and record changes of state."""
    from gaemi.present.cli.report import parse_moves

    if every <= 0:
        raise GaemiInputError(f"every = {every:g} must be > 0 seconds")
    if max_runs < 0:
        raise GaemiInputError(f"max-runs = {max_runs} must be >= 0")
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        raise GaemiInputError(f"webhook = {webhook!r} must start with http:// or https://")
    writable_file(alerts, "--alerts")
    writable_file(state_file, "--state-file")
    moves = parse_moves(move)
    db: Path | None = single(db_given, "--db")
    data_dir: Path | None = single(data_dir_given, "--data-dir")
    fixed_day = parse_day(single(date_given, "--date")) if date_given else None
    read_state(state_file)  # a file gaemi did not write: refused before any work
    runs = 0
    cur: dict[str, Any] = {}
    while True:
        prev = read_state(state_file)
        cur = evaluate(
            moves, fixed_day or today_utc(), db, data_dir, day_asked=fixed_day is not None
        )
        found = changes(prev, cur)
        with alerts.open("a", encoding="utf-8") as fh:
            for rec in found:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        for rec in found:
            typer.echo(
                f"{clock(rec['time_utc'])} {rec['kind']} "
                f"{rec.get('indicator', '')} {rec['from']} -> {rec['to']}".replace("  ", " ")
            )
            if webhook:
                post_webhook(webhook, rec)
        if cur["status_past_data"]:
            typer.echo(f"{clock(cur['time_utc'])} {cur['status_text']}")
        elif not found:
            typer.echo(f"{clock(cur['time_utc'])} no change: {cur['status_text']}")
        else:
            typer.echo(f"{clock(cur['time_utc'])} status: {cur['status_text']}")
        tmp = state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(cur, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(state_file)  # atomic: a killed run never leaves half a state file
        runs += 1
        if once or (max_runs and runs >= max_runs):
            break
        time.sleep(every)
    raise typer.Exit(exit_code(str(cur["status"]), int(cur["level"])) if once else 0)


def register(app: typer.Typer) -> None:
    """Add ``monitor`` to the app."""
    app.command("monitor", epilog=EPILOG)(monitor)
