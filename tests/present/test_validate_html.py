"""``gaemi validate --html`` / ``--format html``: the scorecard as one self-contained page
(issue 18 item 1: table, json and HTML output), the same lines as ``--format json``."""

from __future__ import annotations

import html as html_lib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from gaemi.present.cli import main

#: feedback_laws needs no data folder (runs on any); flows_identity needs
#: us-adjclose-1993-2026/ (skipped, saying so, in an empty folder).
FAST = ["--check", "feedback_laws", "--check", "flows_identity"]


def _rows(page: str) -> list[dict[str, str]]:
    """Every scorecard row as {column label: cell text}."""
    out = []
    for tr in re.findall(r"<tr class='st-[^']*'>(.*?)</tr>", page, re.S):
        cells = re.findall(r"<td[^>]*data-label='([^']*)'>(.*?)</td>", tr, re.S)
        out.append(
            {html_lib.unescape(k): html_lib.unescape(re.sub(r"<[^>]+>", "", v)) for k, v in cells}
        )
    return out


def test_validate_html_matches_json_and_says_what_it_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "data"
    empty.mkdir()
    out = tmp_path / "scorecard.html"
    assert main(["validate", "--data-dir", str(empty), *FAST, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert main(["validate", "--data-dir", str(empty), *FAST, "--html", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"wrote {out}" in err
    page = out.read_text(encoding="utf-8")
    # self-contained: no script, stylesheet or image fetched from anywhere
    assert not re.search(r"<(script|link|img)\b", page)
    rows = _rows(page)
    recs = doc["records"]
    assert len(rows) == len(recs)
    for row, rec in zip(rows, recs, strict=True):
        assert row["Check"] == rec["check"]
        assert row["Metric"] == rec["metric"]
        assert row["Result"] == rec["status"]
        assert row["Test set (never used in fitting)"] == rec["test_set"]
        assert row["Fitted on"] == rec["fitted_on"]
        if rec["value"] is None:
            assert row["Value"] == "—"
        else:
            op = {"<=": "≤", ">=": "≥"}[rec["op"]]
            assert row["Tolerance"].startswith(op)
    laws = [r for r in rows if r["Check"] == "feedback_laws"]
    assert laws
    assert all(r["Result"] == "pass" for r in laws)
    # the check whose folder is missing is listed as skipped, with the folder it needs
    skipped = [r for r in rows if r["Check"] == "flows_identity"]
    assert [r["Result"] for r in skipped] == ["skipped"]
    assert "us-adjclose-1993-2026/ missing" in skipped[0]["Note"]
    # one section per engine with its verdict; the summary line of the JSON in the header
    assert "<section id='engine-stress' class='engine'>" in page
    assert "<section id='engine-flows' class='engine'>" in page
    assert html_lib.escape(doc["summary"]) in page
    # --format html prints the same page on stdout
    assert main(["validate", "--data-dir", str(empty), *FAST, "--format", "html"]) == 0

    def timeless(text: str) -> str:  # each run's timing differs
        return re.sub(r"; [\d.]+ s</p>", "</p>", text)

    assert timeless(capsys.readouterr().out.strip()) == timeless(page)


def test_validate_html_on_real_history(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On ../shared/data the flows identity is scored; the page shows each value as the
    JSON has it (digits, no exponent above 1e-4) against its tolerance."""
    out = tmp_path / "s.html"
    rc = main(["validate", "--data-dir", str(shared_data), *FAST, "--html", str(out)])
    capsys.readouterr()
    assert main(["validate", "--data-dir", str(shared_data), *FAST, "--format", "json"]) == rc
    doc = json.loads(capsys.readouterr().out)
    rows = _rows(out.read_text(encoding="utf-8"))
    flows = [
        (r, rec) for r, rec in zip(rows, doc["records"], strict=True) if rec["engine"] == "flows"
    ]
    assert flows
    for row, rec in flows:
        assert row["Result"] in ("pass", "fail")
        assert row["Result"] == rec["status"]
        assert not re.search(r"e[+-]\d", row["Value"])
        assert float(row["Value"].replace(",", "")) == pytest.approx(rec["value"], rel=1e-3)


def test_validate_html_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["validate", *FAST, "--html", str(tmp_path / "no" / "s.html")])
    assert rc == 2
    err = capsys.readouterr().err.strip()
    assert "--html" in err
    assert "does not exist" in err
    assert len(err.splitlines()) == 1


@pytest.mark.browser
def test_validate_html_fits_wide_and_phone(
    chromium_launch: dict[str, Any],
    tmp_path: Path,
    artifacts_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The scorecard page at 1400 px and 390×844: no sideways page scroll, no request."""
    from playwright.sync_api import sync_playwright

    empty = tmp_path / "data"
    empty.mkdir()
    out = tmp_path / "scorecard.html"
    assert main(["validate", "--data-dir", str(empty), *FAST, "--html", str(out)]) == 0
    capsys.readouterr()
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch)
        try:
            for name, vp in (("wide", (1400, 900)), ("phone", (390, 844))):
                page = browser.new_page(viewport={"width": vp[0], "height": vp[1]})
                page.on("request", lambda r: requests.append(r.url))
                page.goto(out.as_uri())
                widths = page.evaluate(
                    "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
                )
                n_rows = page.locator("tbody tr").count()
                page.screenshot(path=str(artifacts_dir / f"validate-{name}.png"), full_page=True)
                page.close()
                assert widths[0] <= widths[1], f"{name}: page overflows: {widths}"
                assert n_rows >= 2
        finally:
            browser.close()
    assert all(u.startswith("file:") for u in requests), requests
