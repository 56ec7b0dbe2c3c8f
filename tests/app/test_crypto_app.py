"""gaemi.app.crypto: the cascade set-up and the Korea table, laws of the result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gaemi.app.crypto import crypto_cascade
from gaemi.errors import GaemiInputError
from gaemi.units import format_frac


def test_money_adds_up_and_json_ready() -> None:
    r = crypto_cascade(None, {"BTC": -0.10})
    assets = r.to_frame("assets")
    # the per-asset liquidations and the per-round ones are the same money
    assert assets["liquidated_total_usd"].sum() == pytest.approx(r.total_liquidated_usd)
    rounds = r.to_frame("rounds")
    assert rounds["liquidated_total_usd"].sum() == pytest.approx(r.total_liquidated_usd)
    korea = r.to_frame("korea").set_index("holder")
    spot = korea.loc[[h for h in korea.index if h.startswith("spot ")], "pnl_krw"].sum()
    lending = korea.loc["coin lending (exposure)", "pnl_krw"]
    assert korea.loc["total", "pnl_krw"] == pytest.approx(spot + lending)
    json.dumps(r.to_dict(), allow_nan=False)


def test_bad_input() -> None:
    with pytest.raises(GaemiInputError, match="at least one shock"):
        crypto_cascade(None, {})
    with pytest.raises(GaemiInputError, match="depth-scale"):
        crypto_cascade(None, {"BTC": -0.1}, depth_scale=0.0)


# ------------------------------------------------------------------ dated positioning
def test_dated_positioning_replaces_the_snapshot() -> None:
    from gaemi.data.crypto import load_crypto_config

    base = crypto_cascade(None, {"BTC": -0.10})
    # FACTS.md (i).4: BTC OI ~$70B before 2025-10-10 (CoinDesk) / BTC share 0.42
    r = crypto_cascade(None, {"BTC": -0.10}, date="2025-10-10")
    assert "open interest $166.67B" in r.notes[0]  # 70e9 / 0.42 = 166.67e9 (gaemi.units)
    assert "CoinDesk" in r.notes[0]
    choice = {c.name: c for c in r.choices}["open_interest_usd"]
    assert choice.value == pytest.approx(70e9 / 0.42)
    # the same leveraged share and long share on less open interest (and books scaled
    # with it: the config's assumption) liquidate less than the $217B snapshot
    assert r.total_liquidated_usd < base.total_liquidated_usd
    # given values replace the date's; half the leveraged share of the same OI, with the
    # same long share, liquidates less (monotone in the notional at risk)
    cfg = load_crypto_config()
    kappa = cfg.v("long_frac_of_oi") + cfg.v("short_frac_of_oi")
    half = crypto_cascade(None, {"BTC": -0.10}, date="2025-10-10", leveraged_frac_of_oi=kappa / 2)
    assert half.total_liquidated_usd < r.total_liquidated_usd
    # funding is reported, not used: the same run with funding given is identical
    f = crypto_cascade(None, {"BTC": -0.10}, date="2025-10-10", funding_rate_frac=4e-4)
    assert f.total_liquidated_usd == r.total_liquidated_usd
    # a funding rate per 8 h in hundredths of a percent (gaemi.units, four decimals)
    assert f"funding {format_frac(4e-4, decimals=4)} per 8 h" in f.notes[0]


def test_positioning_from_the_coinalyze_files(shared_data: Path) -> None:
    r = crypto_cascade(None, {"BTC": -0.10}, date="2024-08-05", data_dir=shared_data)
    # FACTS.md (i).3: BTC-perp OI $15.82B on 2024-08-04 x coverage 1.848 / BTC share 0.42
    oi = {c.name: c for c in r.choices}["open_interest_usd"].value
    assert oi == pytest.approx(15.82e9 * 1.848 / 0.42, rel=2e-3)
    assert "Coinalyze" in r.notes[0]
    # with the data folder the leveraged share comes from the measured liquidation law
    kappa = {c.name: c for c in r.choices}["leveraged_frac_of_oi"]
    assert "measured liquidation law" in kappa.why
    assert 0 < kappa.value < 0.16  # below the Oct-2025 snapshot's 0.16 (2024-08-05: ~0.05)
    given = crypto_cascade(
        None, {"BTC": -0.10}, date="2024-08-05", data_dir=shared_data, leveraged_frac_of_oi=0.2
    )
    assert {c.name: c for c in given.choices}["leveraged_frac_of_oi"].why == "given"
    assert given.total_liquidated_usd > r.total_liquidated_usd


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"open_interest_usd": 1e3}, r"open_interest_usd = 1000\.0 must be between"),
        ({"long_share_frac": 1.5}, r"long_share_frac = 1\.5 is outside"),
        ({"leveraged_frac_of_oi": -0.1}, r"leveraged_frac_of_oi = -0\.1 must be > 0"),
        ({"leveraged_frac_of_oi": 0.0}, r"leveraged_frac_of_oi = 0\.0 must be > 0"),
        ({"funding_rate_frac": 0.5}, r"funding_rate_frac = 0\.5 is outside"),
        ({"date": "2019-01-01"}, "date = 2019-01-01: no positioning on file"),
        ({"date": "10/10/2025"}, "date = '10/10/2025' is not a YYYY-MM-DD date"),
        ({"data_dir": "."}, "give the date too"),
        ({"date": "2025-10-10", "population": "x.csv"}, "not with a population file"),
    ],
)
def test_bad_positioning_one_line(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(GaemiInputError, match=match) as e:
        crypto_cascade(None, {"BTC": -0.1}, **kwargs)
    assert "\n" not in str(e.value)


def test_positioning_agrees_cli_python_api(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    import warnings

    from gaemi.present.cli import main
    from gaemi.present.web.app import create_app
    from gaemi.present.web.settings import WebSettings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    kw: dict[str, Any] = {
        "date": "2024-08-05",
        "data_dir": shared_data,
        "long_share_frac": 0.75,
        "funding_rate_frac": 1e-4,
    }
    py = crypto_cascade(None, {"BTC": -0.10}, **kw)
    capsys.readouterr()
    rc = main(
        ["crypto", "--shock", "BTC=-10%", "--date", "2024-08-05", "--data-dir",
         str(shared_data), "--long-share", "75%",
         "--funding", "0.01%", "-f", "json"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert rc == 0, err
    cli = json.loads(out)
    with TestClient(create_app(WebSettings(data_dir=shared_data))) as client:
        resp = client.get(
            "/api/crypto",
            params={"asset": "BTC", "shock_frac": -0.10, "date": "2024-08-05",
                    "long_share_frac": 0.75, "funding_rate_frac": 1e-4},
        )  # fmt: skip
        assert resp.status_code == 200, resp.text
        api = resp.json()
        bad = client.get("/api/crypto", params={"open_interest_usd": 1e3})
        assert bad.status_code == 422
        assert "open_interest_usd = 1000.0 must be between" in bad.text
    cli_total = sum(r["liquidated_total_usd"] for r in cli if r["section"] == "rounds")
    assert cli_total == pytest.approx(py.total_liquidated_usd, rel=1e-9)
    assert api["total_liquidated_usd"] == pytest.approx(py.total_liquidated_usd, rel=1e-12)
    api_assets = {r["asset"]: r for r in api["assets"]}
    for a, row in py.to_frame("assets").set_index("asset").iterrows():
        assert api_assets[str(a)]["final_move_frac"] == pytest.approx(
            row["final_move_frac"], rel=1e-12
        )


def test_positioning_known_before_rule(shared_data: Path) -> None:
    """The one rule (gaemi.app.crypto.positioning_known_before): the day's own, else the
    latest dated before it; the config's snapshot only after its calibration day."""
    from gaemi.app.crypto import positioning_known_before
    from gaemi.data.crypto import load_crypto_config

    cfg = load_crypto_config()
    # the day's own Coinalyze OI (the day before) beats the 2024-03-05 event before it
    k = positioning_known_before("2024-08-05", shared_data)
    assert k is not None
    assert not k.snapshot
    assert k.positioning.date == "2024-08-05"
    assert "on 2024-08-04" in k.positioning.sources["open_interest_usd"]
    # past the Coinalyze file (ends 2024-09-20): the latest event before, read from it
    k = positioning_known_before("2024-10-01", shared_data)
    assert k is not None
    assert "2024-08-05 liquidation event" in k.what
    # without the folder the Coinalyze-read events are not on file: 2021-12-04 is the latest
    k = positioning_known_before("2024-10-01")
    assert k is not None
    assert "2021-12-04 liquidation event" in k.what
    # an event starting on the day is the day's own (the config's calibration day too)
    k = positioning_known_before(cfg.as_of)
    assert k is not None
    assert not k.snapshot
    assert "liquidation event" in k.what
    # the day after: the config's snapshot (it wins the tie with the event of its day)
    k = positioning_known_before("2025-10-11")
    assert k is not None
    assert k.snapshot
    assert k.positioning.open_interest_usd == cfg.v("open_interest_usd")
    assert positioning_known_before("2020-03-11") is None  # before the first event
