"""`gaemi monitor`: state changes, JSONL alerts, webhook on 127.0.0.1, cron exit codes."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from gaemi.present.cli import main


def run(tmp_path: Path, *args: str) -> int:
    return main(
        [
            "monitor",
            "--once",
            "--alerts",
            str(tmp_path / "a.jsonl"),
            "--state-file",
            str(tmp_path / "s.json"),
            *args,
        ]
    )


def alerts(tmp_path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in (tmp_path / "a.jsonl").read_text().splitlines()]


def test_first_run_then_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = run(tmp_path)
    state = json.loads((tmp_path / "s.json").read_text())
    # exit code: 0 for LOW, 10 + level otherwise (status.py)
    assert rc == (0 if state["level"] == 0 else 10 + state["level"])
    first = alerts(tmp_path)
    assert first[0]["kind"] == "status"
    assert first[0]["to"] == state["status"]
    # same inputs: no new alert
    run(tmp_path)
    assert len(alerts(tmp_path)) == len(first)
    assert "no change" in capsys.readouterr().out
    # a 5.2% NDX drop is the research note's trigger → CRITICAL, exit 14
    assert run(tmp_path, "--move", "NDX=-5.2%") == 14
    new = alerts(tmp_path)[len(first) :]
    assert {"kind": "status", "to": "CRITICAL"}.items() <= new[0].items()
    assert any(a.get("indicator") == "ndx_move" and a["to"] == "CRITICAL" for a in new)


def test_webhook_receives_alerts(tmp_path: Path) -> None:
    received: list[dict[str, object]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            n = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(n)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        run(tmp_path, "--webhook", url)
    finally:
        server.shutdown()
        server.server_close()
    assert received
    assert received[0]["kind"] == "status"
    assert received == alerts(tmp_path)


def test_unreachable_webhook_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # port 9 on loopback: nothing listens; monitoring goes on and says so
    rc = run(tmp_path, "--webhook", "http://127.0.0.1:9/hook")
    assert rc in (0, 11, 12, 13, 14)
    assert "warning: webhook" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "0"], "every = 0 must be > 0"),
        (["--webhook", "ftp://x"], "must start with http"),
        (["--move", "NDX=abc"], "is not a move"),
    ],
)
def test_bad_input(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, *args) == 2
    assert message in capsys.readouterr().err
