"""``--creations`` on ``gaemi report`` and ``gaemi history`` (issue 16 item 5): the CLI's
JSON equals the Python result for one past day (2025-04-04, ../shared/data), the choice
is in the result's choices / notes, and the measured creations offset the rebalancing of
that day's fall (the direction-dependent β of ``creations_beta.csv`` on a fall).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

DAY = "2025-04-04"


@pytest.fixture(scope="module")
def report_py(shared_data: Path) -> Any:
    from gaemi.app.report import report
    from gaemi.app.state import load_state

    state = load_state(data_dir=shared_data, as_of=DAY)
    return report(state, day=DAY, data_dir=shared_data, creations="measured")


@pytest.mark.slow  # two reports with the folder's replay: ~20 s of CPU
def test_report_cli_json_is_the_python_report(
    report_py: Any, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gaemi.present.cli import main

    rc = main(
        [
            "report",
            "--data-dir",
            str(shared_data),
            "--date",
            DAY,
            "--format",
            "json",
            "--no-html",
            "--creations",
            "measured",
        ]
    )
    out = capsys.readouterr()
    assert rc in (0, None)
    cli = json.loads(out.out)
    py = json.loads(json.dumps(report_py.to_dict(), allow_nan=False, default=str))
    assert cli == py
    (choice,) = cli["choices"]
    assert choice["name"] == "creations"
    assert choice["value"] == "measured"
    assert "creations: measured" in out.err
    assert any(n.startswith("creations: measured") for n in cli["notes"])


def test_report_today_flow_is_the_formula_with_the_fall_beta(
    report_py: Any, shared_data: Path
) -> None:
    from gaemi.core.creations import fund_class
    from gaemi.data.fund_history import load_directional_creation_betas

    d = load_directional_creation_betas()
    assert d is not None
    assert d.model == "direction"
    today = report_py.to_frame("today.flow").set_index("underlying_id")
    r = float(today.loc["NDX", "move_frac"])
    assert r < 0  # a fall: β_down
    # the day's funds as the report lists them (AUM of the previous close, its source)
    known = report_py.to_frame("funds.known")
    ndx = known[known["underlying_id"] == "NDX"]
    lev, a = ndx["leverage"].to_numpy(float), ndx["aum_usd"].to_numpy(float)
    beta = np.array([d.beta_down_by_class.get(str(c), 0.0) for c in fund_class(lev)])
    # ΔE = A·r·(L(L−1) + L·β) per fund (issue 16 item 5), summed by hand
    want = float(np.sum(a * r * (lev * (lev - 1) + lev * beta)))
    assert float(today.loc["NDX", "flow_usd"]) == pytest.approx(want, rel=1e-9)
    # dip-buying: smaller than the identity alone
    assert abs(want) < abs(float(np.sum(a * r * lev * (lev - 1))))


@pytest.mark.slow  # two replays of the folder: ~10 s of CPU
def test_history_cli_json_is_the_python_replay(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gaemi.app.flows import creations_beta_by_sign
    from gaemi.data.history import load_folder, run_history
    from gaemi.data.universe import load_default_universe
    from gaemi.present.cli import main

    day = dt.date.fromisoformat(DAY)
    u = load_default_universe()
    data = load_folder(shared_data, u.ticker.tolist())
    betas, choice = creations_beta_by_sign(u, "measured")
    assert betas is not None
    assert choice.value == "measured"
    kw: dict[str, Any] = {"start": day, "end": day, "stats_since": day, "n_boot": 50}
    py = run_history(data, u, creations_beta=betas, **kw).daily_frame()
    rc = main(
        [
            "history",
            "--data-dir",
            str(shared_data),
            "--from",
            DAY,
            "--to",
            DAY,
            "--boot",
            "50",
            "--creations",
            "measured",
            "--format",
            "json",
        ]
    )
    out = capsys.readouterr()
    assert rc in (0, None)
    cli = json.loads(out.out)
    assert "creations: measured" in out.err
    py = py.assign(date=[str(x)[:10] for x in py["date"]])
    want = py.to_dict(orient="records")
    assert [r["underlying_id"] for r in cli] == [r["underlying_id"] for r in want]
    for c, w in zip(cli, want, strict=True):
        for k, v in w.items():
            if isinstance(v, float | np.floating) and not np.isfinite(v):
                assert c[k] is None, (c["underlying_id"], k)
            elif isinstance(v, float | np.floating):
                assert c[k] == pytest.approx(float(v), rel=1e-12), (c["underlying_id"], k)
            else:
                assert c[k] == v, (c["underlying_id"], k)
    # on the day's fall the measured creations offset part of the NDX funds' selling:
    # K (flow per 1 %) is Σ (L(L−1) + L·β_down)·A, below the identity's Σ L(L−1)·A
    ndx = py.set_index("underlying_id").loc["NDX"]
    assert ndx["move_frac"] < 0
    assert ndx["flow_usd"] == pytest.approx(ndx["flow_per_pct_usd"] * ndx["move_frac"] / 0.01)
