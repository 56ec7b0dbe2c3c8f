"""/api/cascade: change units of the bands and the yes/partly/no verdict of each step."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from gaemi.present.web.app import create_app


@pytest.fixture(scope="module")
def body() -> dict[str, Any]:
    with warnings.catch_warnings():  # Starlette's TestClient deprecation (see test_web_api)
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    with TestClient(create_app()) as c:
        r = c.get("/api/cascade")
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out


def test_bands_say_the_unit_of_their_changes(body: dict[str, Any]) -> None:
    bands = {b["node"]: b for b in body["bands"]}
    # JGB 10y moves −1.89 bp = −0.0189 pp by the horizon (docs/cascade.md); KOSPI as a fraction
    assert (bands["JGB10Y"]["change_unit"], bands["JGB10Y"]["baseline_unit"]) == ("pp", "percent")
    assert bands["JGB10Y"]["change_mean"] == pytest.approx(-0.0189, abs=1e-4)
    assert bands["KOSPI"]["change_unit"] == "frac"
    jgb = next(e for e in body["events"] if e["node"] == "JGB10Y")
    assert jgb["impact_unit"] == "pp"


def test_steps_carry_the_verdict(body: dict[str, Any]) -> None:
    steps = {s["step"]: s for s in body["steps"]}
    assert (steps["3"]["verdict"], steps["3"]["follows"]) == ("partly", False)
    assert steps["1"]["verdict"] == "yes"
