"""One answer to "what does a BTC shock liquidate, positioned as on day D" (issue 18, item 3).

``gaemi report --date D``'s crypto section and ``gaemi crypto --date D`` (Python, CLI) use
one rule, :func:`gaemi.app.crypto.crypto_setup`: the positioning known before D (the day's
own, else the latest dated before it), the leveraged share given > the measured liquidation
law (with the data folder) > the config's. Every reference figure below is the engine's own
answer through the other face, never a hard-coded output.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gaemi.app.crypto import crypto_cascade
from gaemi.app.report import CRYPTO_SHOCKS, crypto_section
from gaemi.data.market import MarketSnapshot, Observation
from gaemi.errors import GaemiInputError

#: A report market with only its USD/KRW: the crypto section reads nothing else from it.
FX = 1300.0
MARKET_FX = MarketSnapshot(
    {
        "usdkrw_level": (
            Observation("usdkrw_level", FX, "KRW per USD", dt.date(2024, 8, 2), "test rate"),
        )
    }
)
EMPTY = MarketSnapshot({})


def row(sec: Any, shock: float) -> pd.Series:
    """The section's cascade row nearest the BTC shock."""
    df: pd.DataFrame = sec.tables["cascade"]
    return df.iloc[int(np.argmin(np.abs(df["btc_shock_frac"].to_numpy() - shock)))]


def by_name(res: Any) -> dict[str, Any]:
    return {c.name: c for c in res.choices}


@pytest.fixture(scope="module")
def aug5(shared_data: Path) -> tuple[Any, Any]:
    """The report's section and ``crypto_cascade`` for 2024-08-05, BTC −10 %."""
    sec = crypto_section(MARKET_FX, dt.date(2024, 8, 5), shared_data)
    py = crypto_cascade(shocks_frac={"BTC": -0.10}, date="2024-08-05", data_dir=shared_data)
    return sec, py


def test_report_row_is_gaemi_crypto(aug5: tuple[Any, Any]) -> None:
    sec, py = aug5
    r = row(sec, -0.10)
    assert r["btc_shock_frac"] == -0.10
    assert r["liquidated_usd"] == pytest.approx(py.total_liquidated_usd, rel=1e-9)
    assert r["long_share_frac"] == pytest.approx(py.long_share_frac, rel=1e-9)
    btc = py.to_frame("assets").set_index("asset").loc["BTC"]
    assert r["btc_final_move_frac"] == pytest.approx(btc["final_move_frac"], rel=1e-9)
    # the one rule: Coinalyze OI of the day before (2024-08-04) and the law's leveraged share
    ch = by_name(py)
    assert ch["positioning_date"].value == "2024-08-05"
    assert "Coinalyze" in ch["positioning_date"].why
    assert "on 2024-08-04" in ch["open_interest_usd"].why
    assert "measured liquidation law" in ch["leveraged_frac_of_oi"].why
    assert ch["leveraged_frac_of_oi"].value < 0.16  # below the Oct-2025 snapshot's
    # the report says the same positioning line as the command
    assert py.notes[0] in sec.sources
    # the Korean loss stays at the report's USD/KRW (the market's), not the config's
    assert f"USD/KRW {FX:,.2f}" in " ".join(sec.sources)
    np.testing.assert_allclose(
        sec.tables["cascade"]["korean_loss_usd"] * FX,
        sec.tables["cascade"]["korean_loss_krw"],
        rtol=1e-12,
    )


def test_cli_gives_the_same(
    aug5: tuple[Any, Any], shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gaemi.present.cli import main

    sec, _py = aug5
    capsys.readouterr()
    rc = main(
        ["crypto", "--shock", "BTC=-10%", "--date", "2024-08-05", "--data-dir",
         str(shared_data), "--format", "json"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert rc == 0, err
    recs = json.loads(out)
    assets = {r["asset"]: r for r in recs if r["section"] == "assets"}
    total = sum(float(a["liquidated_total_usd"]) for a in assets.values())
    longs = sum(float(a["liquidated_long_usd"]) for a in assets.values())
    r = row(sec, -0.10)
    assert total == pytest.approx(r["liquidated_usd"], rel=1e-9)
    assert longs / total == pytest.approx(r["long_share_frac"], rel=1e-9)
    assert assets["BTC"]["final_move_frac"] == pytest.approx(r["btc_final_move_frac"], rel=1e-9)


@pytest.mark.parametrize("data", [False, True])
def test_facts_event_only_day_says_which(shared_data: Path, data: bool) -> None:
    # 2021-06-01: no Coinalyze file covers it (2022-01..2024-09) and no event starts that
    # day, so the positioning is the latest FACTS.md (i) event before it: 2021-05-19
    d = shared_data if data else None
    py = crypto_cascade(shocks_frac={"BTC": -0.10}, date="2021-06-01", data_dir=d)
    ch = by_name(py)
    assert ch["positioning_date"].value == "2021-05-19"
    assert "2021-05-19 liquidation event" in ch["positioning_date"].why
    assert "latest dated before 2021-06-01" in ch["positioning_date"].why
    assert "2021-05-19 liquidation event" in py.notes[0]
    lev = ch["leveraged_frac_of_oi"]
    if data:  # the law with the candles of the event's 30 days
        assert "measured liquidation law" in lev.why
        sec = crypto_section(EMPTY, dt.date(2021, 6, 1), shared_data)
        r = row(sec, -0.10)
        assert r["liquidated_usd"] == pytest.approx(py.total_liquidated_usd, rel=1e-9)
        assert "2021-05-19 liquidation event" in " ".join(sec.sources)
    else:  # without the folder the config's share (crypto_default.yaml: 0.1103 + 0.05)
        from gaemi.data.crypto import load_crypto_config

        cfg = load_crypto_config()
        assert lev.value == pytest.approx(cfg.v("long_frac_of_oi") + cfg.v("short_frac_of_oi"))
        assert "config's" in lev.why


def test_default_report_unchanged(shared_data: Path) -> None:
    """After the calibration day with no dated positioning (the default report, 2026-08)
    the section is the calibrated config's own cascade, as before the rule."""
    from gaemi.app.crypto import default_setup
    from gaemi.core.crypto import cascade

    cfg, pop, _ = default_setup()
    ref = cascade(pop, cfg.market(), {"BTC": np.asarray(CRYPTO_SHOCKS)})
    for day in (None, dt.date(2026, 8, 3)):
        df = crypto_section(EMPTY, day, shared_data).tables["cascade"]
        np.testing.assert_allclose(df["liquidated_usd"], ref.total_usd(), rtol=1e-12)
        i = list(ref.asset_names).index("BTC")
        np.testing.assert_allclose(df["btc_final_move_frac"], ref.final_move_frac[:, i], rtol=1e-12)
    # gaemi crypto --date after the calibration day: the config's own snapshot, said so
    py = crypto_cascade(shocks_frac={"BTC": -0.10}, date="2026-08-03", data_dir=shared_data)
    base = crypto_cascade(shocks_frac={"BTC": -0.10})
    assert py.total_liquidated_usd == base.total_liquidated_usd
    ch = by_name(py)
    assert ch["positioning_date"].value == cfg.as_of
    assert "config's own snapshot" in ch["positioning_date"].why


def test_before_any_positioning() -> None:
    sec = crypto_section(EMPTY, dt.date(2019, 1, 1))
    assert sec.summary.startswith("Not known that day")
    assert not sec.tables
    with pytest.raises(GaemiInputError, match="date = 2019-01-01: no positioning on file") as e:
        crypto_cascade(shocks_frac={"BTC": -0.10}, date="2019-01-01")
    assert "\n" not in str(e.value)
