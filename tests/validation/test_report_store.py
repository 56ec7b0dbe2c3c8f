"""`gaemi report --db STORE --date D`: the status of a past day from the user's store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gaemi.present.cli import main


def test_report_for_a_past_day_from_the_store(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "g.duckdb"
    for rel, kind in (
        ("us-adjclose-1993-2026/QQQ.csv", "prices"),
        ("us-adjclose-1993-2026/SOXX.csv", "prices"),
        ("fx-daily/DEXKOUS.csv", "macro"),
    ):
        assert (
            main(["data", "import", str(shared_data / rel), "--kind", kind, "--db", str(db)]) == 0
        )
    capsys.readouterr()
    assert (
        main(["report", "--db", str(db), "--date", "2025-04-04", "--format", "json", "--no-html"])
        == 0
    )
    out = capsys.readouterr()
    doc = json.loads(out.out)
    inds = {i["indicator"]: i for i in doc["indicators"]}
    # FACTS.md (e): NDX −6.07% on 2025-04-04; QQQ (the proxy) fell about 6.2%.
    assert inds["ndx_move"]["value"] == pytest.approx(-0.062, abs=0.003)
    assert inds["ndx_move"]["as_of"] == "2025-04-04"
    assert doc["status"] == "CRITICAL"
    # no VIX in this store: its indicators are not available, and the command says so
    assert inds["vix_level"]["state"] == "n/a"
    assert "VIX: none of" in out.err
    # no fund snapshot in the store: the embedded universe (AUM 2026-06-01) is after the
    # day, so the sections that need it say so instead of showing the 2026 ladder
    flows = next(s for s in doc["sections"] if s["key"] == "flows")
    assert flows["summary"].startswith("Not known that day")
    assert "which is after 2025-04-04" in out.err
    # nothing after the report date is used: the largest Korean share of a fund above
    # $1B needs the AUM (2026-06-01), so it is n/a, and no 2026 AUM leaks into the reason
    assert all(i["as_of"] is None or i["as_of"] <= "2025-04-04" for i in doc["indicators"])
    share = inds["korean_fund_share"]
    assert share["state"] == "n/a"
    assert "not known that day" in share["detail"]
    assert "TSLL" not in doc["reason"]
    assert "AUM $" not in doc["reason"]


def test_report_db_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", str(tmp_path / "none.duckdb"), "--no-html"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_monitor_reads_the_store(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "g.duckdb"
    assert (
        main(
            [
                "data",
                "import",
                str(shared_data / "us-adjclose-1993-2026/QQQ.csv"),
                "--kind",
                "prices",
                "--db",
                str(db),
            ]
        )
        == 0
    )
    state = tmp_path / "s.json"
    main(
        [
            "monitor",
            "--once",
            "--db",
            str(db),
            "--state-file",
            str(state),
            "--alerts",
            str(tmp_path / "a.jsonl"),
        ]
    )
    capsys.readouterr()
    ndx = json.loads(state.read_text())["indicators"]["ndx_move"]
    # the store's latest QQQ close (shared/data ends 2026-08-03) drives the NDX indicator
    assert ndx["as_of"] == "2026-08-03"
    assert "store g.duckdb: QQQ" in ndx["source"]
