"""``gaemi validate``: the scorecard's structure, and pass/fail agreeing with value vs tolerance.

Runs the command on ../shared/data (skipped without it); a folder without data gives
skipped lines that name the missing folder, and the data-free laws still run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gaemi.app.validate import REGISTRY, validate
from gaemi.present.cli import main

KEYS = {
    "engine", "check", "metric", "value", "op", "tolerance", "tolerance_high", "status",
    "test_set", "fitted_on", "note",
}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["validate", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def _agrees(rec: dict[str, object]) -> bool:
    v, tol, op = rec["value"], rec["tolerance"], rec["op"]
    assert isinstance(v, float | int)
    assert isinstance(tol, float | int)
    if op == "in":
        hi = rec["tolerance_high"]
        assert isinstance(hi, float | int)
        ok = tol <= v <= hi
    else:
        assert rec["tolerance_high"] is None
        ok = v <= tol if op == "<=" else v >= tol
    return ok == (rec["status"] == "pass")


@pytest.fixture(scope="module")
def scorecard(shared_data: Path) -> dict[str, object]:
    import subprocess
    import sys
    import time

    t0 = time.perf_counter()
    cmd = [
        sys.executable, "-c", "from gaemi.present.cli import run; run()",
        "validate", "--data-dir", str(shared_data), "--format", "json",
    ]  # fmt: skip
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t0
    assert p.returncode in (0, 1), p.stderr
    doc = json.loads(p.stdout)
    doc["_rc"] = p.returncode
    doc["_seconds"] = took
    return doc


def test_scorecard_structure(scorecard: dict[str, object]) -> None:
    assert scorecard["kind"] == "validate"
    recs = scorecard["records"]
    assert isinstance(recs, list)
    assert recs
    for r in recs:
        assert set(r) == KEYS
        assert r["status"] in ("pass", "fail", "skipped", "not available")
        assert r["test_set"]
        assert r["fitted_on"]
        assert r["metric"]
    # every registered check reports at least one line, in registry order
    seen = list(dict.fromkeys(r["check"] for r in recs))
    assert seen == list(REGISTRY)
    counts = scorecard["counts"]
    assert isinstance(counts, dict)
    assert sum(counts.values()) == len(recs)
    # exit code 1 exactly when a scored line fails
    assert (scorecard["_rc"] == 1) == (counts["fail"] > 0)


def test_pass_fail_agrees_with_value_and_tolerance(scorecard: dict[str, object]) -> None:
    recs = scorecard["records"]
    assert isinstance(recs, list)
    scored = [r for r in recs if r["status"] in ("pass", "fail")]
    assert len(scored) >= 20  # every data check ran on ../shared/data
    for r in scored:
        assert _agrees(r), r
    for r in recs:
        if r["status"] not in ("pass", "fail"):
            assert r["value"] is None
            assert r["note"]  # says why: the missing folder, or 'not yet available'


def test_test_sets_are_never_the_fit_windows(scorecard: dict[str, object]) -> None:
    # the NAV checks with a fitted spread test after the training window
    recs = scorecard["records"]
    assert isinstance(recs, list)
    for r in recs:
        if r["check"] == "nav_per_fund" and r["status"] in ("pass", "fail"):
            train_end = r["fitted_on"].split("..")[1][:10]
            test_start = r["test_set"].split(" ")[1][:10]
            assert test_start >= train_end, r


def test_scorecard_runs_within_a_minute(scorecard: dict[str, object]) -> None:
    assert float(scorecard["_seconds"]) < 90  # brief: ~60 s; slack for a loaded machine


def test_without_data_every_data_check_is_skipped_saying_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = run(capsys, "--data-dir", str(tmp_path), "--format", "json")
    doc = json.loads(out)
    by = {}
    for r in doc["records"]:
        by.setdefault(r["check"], []).append(r)
    for cid, c in REGISTRY.items():
        if c.needs:
            (r,) = by[cid]
            assert r["status"] == "skipped"
            assert c.needs[0] in r["note"]
            assert str(tmp_path) in r["note"]
            assert r["value"] is None
    # the laws need no data and still run (and pass)
    laws = by["feedback_laws"]
    assert laws
    assert all(r["status"] == "pass" for r in laws)
    assert "skipped" in err
    assert rc == 0


def test_one_check_and_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    res = validate(tmp_path, only=("feedback_laws",))
    assert {o.check for o in res.outcomes} == {"feedback_laws"}
    assert all(o.passed for o in res.outcomes)
    assert not math.isnan(res.outcomes[0].tolerance)
    rc, _out, err = run(capsys, "--check", "nope", "--data-dir", str(tmp_path))
    assert rc == 2
    assert "nope" in err
    assert len(err.strip().splitlines()) == 1
    rc, _, err = run(capsys, "--data-dir", str(tmp_path / "missing"))
    assert rc == 2
    assert "--data-dir" in err
