"""`gaemi crypto`: closed forms through the CLI, the Korean slice, formats, one-line errors."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from gaemi.data.crypto import load_crypto_config
from gaemi.present.cli import main
from gaemi.present.cli.crypto import format_krw, parse_shock, premium_signal


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["crypto", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def section(recs: list[dict[str, object]], name: str) -> list[dict[str, object]]:
    return [r for r in recs if r["section"] == name]


@pytest.fixture
def one_long(tmp_path: Path) -> Path:
    p = tmp_path / "one.csv"
    p.write_text(
        "asset,side,leverage,entry_frac,size_usd,maintenance_margin_frac\nBTC,long,10,1,1e9,0.005\n",
        encoding="utf-8",
    )
    return p


def test_one_position_closed_form(capsys: pytest.CaptureFixture[str], one_long: Path) -> None:
    # 10x long, mm 0.5 %: liquidated at 1 - 0.1 + 0.005 = 0.905 of the price, so a -10 %
    # shock liquidates its $1B at $0.905B (round 0) and -9 % liquidates nothing.
    recs = run_json(capsys, "--shock", "BTC=-10%", "--population", str(one_long))
    rounds = section(recs, "rounds")
    assert len(rounds) == 1
    assert rounds[0]["liquidated_long_usd"] == pytest.approx(0.905e9)
    btc = next(r for r in section(recs, "assets") if r["asset"] == "BTC")
    assert btc["forced_flow_usd"] == pytest.approx(-0.905e9, rel=1e-9)
    assert btc["shock_move_frac"] == pytest.approx(-0.10)
    assert btc["final_move_frac"] < -0.10  # the forced sale pushed it further
    recs = run_json(capsys, "--shock", "BTC=-9%", "--population", str(one_long))
    assert section(recs, "rounds") == []
    btc = next(r for r in section(recs, "assets") if r["asset"] == "BTC")
    assert btc["final_move_frac"] == pytest.approx(-0.09)


def test_long_only_file_up_move_liquidates_nothing(
    capsys: pytest.CaptureFixture[str], one_long: Path
) -> None:
    recs = run_json(capsys, "--shock", "BTC=+30%", "--population", str(one_long))
    assert section(recs, "rounds") == []


def test_default_population_and_korean_slice(capsys: pytest.CaptureFixture[str]) -> None:
    recs = run_json(capsys, "--shock", "BTC=-10%", "--kimchi-premium-after", "8%")
    rounds = section(recs, "rounds")
    assets = {r["asset"]: r for r in section(recs, "assets")}
    korea = {r["holder"]: r for r in section(recs, "korea")}
    total = sum(float(r["liquidated_total_usd"]) for r in rounds)
    assert total == pytest.approx(sum(float(a["liquidated_total_usd"]) for a in assets.values()))
    assert total > 0
    # altcoins follow BTC by their beta in log terms (the config's all-day OLS beta)
    beta = load_crypto_config().av("ETH", "beta_to_btc")
    assert math.log1p(float(assets["ETH"]["shock_move_frac"])) == pytest.approx(
        beta * math.log(0.9)
    )
    # KRW move = (1 + global move)·(1 + 8 %)/(1 + 0 %) − 1; spot P&L = holdings × move
    for a, row in assets.items():
        k = korea[f"spot {a}"]
        assert k["krw_move_frac"] == pytest.approx((1 + float(row["final_move_frac"])) * 1.08 - 1)
        assert k["pnl_krw"] == pytest.approx(float(k["holdings_krw"]) * float(k["krw_move_frac"]))
    spot = sum(float(korea[f"spot {a}"]["pnl_krw"]) for a in assets)
    lending = float(korea["coin lending (exposure)"]["pnl_krw"])
    assert korea["total"]["pnl_krw"] == pytest.approx(spot + lending)


def test_deeper_books_smaller_cascade_via_cli(capsys: pytest.CaptureFixture[str]) -> None:
    def total(scale: str) -> float:
        recs = run_json(capsys, "--shock", "BTC=-6%", "--depth-scale", scale)
        return sum(float(r["liquidated_total_usd"]) for r in section(recs, "assets"))

    assert total("4") <= total("1") <= total("0.5")


def test_table_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crypto", "--shock", "BTC=-5%"]) == 0
    out, err = capsys.readouterr()
    assert "Liquidations by round" in out
    assert "Korean holder slice" in out
    assert "조" in out
    assert "read -5% as percent: move_frac = -0.05 (-5.00%) for BTC" in err
    assert "DEXKOUS" in err  # the FX source is said
    assert main(["crypto", "--shock", "BTC=-0.05", "--format", "csv"]) == 0
    df = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert set(df["section"]) == {"rounds", "assets", "korea"}


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ([], "give at least one --shock"),
        (["--shock", "BTC"], "must be ASSET=MOVE"),
        (["--shock", "BTC=-5"], "ambiguous"),
        (["--shock", "DOGE=-5%"], "--shock = 'DOGE=-5%': ASSET must be one of BTC, ETH, SOL, ALT"),
        (["--shock", "BTC=-100%"], "--shock BTC = '-100%' must be above -100%"),
        (
            ["--shock", "BTC=-5%", "--shock", "btc=-6%"],
            "--shock BTC is given twice (BTC=-5%, btc=-6%); give one move per asset",
        ),
        (["--shock", "BTC=-5%", "--depth-scale", "0"], "depth-scale"),
        (["--shock", "BTC=-5%", "--usdkrw", "-1"], "usdkrw"),
        (["--shock", "BTC=-5%", "--population", "nope.csv"], "does not exist"),
    ],
)
def test_bad_input_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], match: str
) -> None:
    assert main(["crypto", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ")
    assert match in err[-1]
    assert not any("Traceback" in line for line in err)


def test_seed_redraws_the_population(capsys: pytest.CaptureFixture[str]) -> None:
    a = run_json(capsys, "--shock", "BTC=-6%")
    b = run_json(capsys, "--shock", "BTC=-6%")
    c = run_json(capsys, "--shock", "BTC=-6%", "--seed", "7")
    assert a == b  # same seed (the config's), same numbers
    assert a != c


def test_bad_population_row_via_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("asset,side,leverage,entry_frac,size_usd\nBTC,long,0,1,1\n", encoding="utf-8")
    assert main(["crypto", "--shock", "BTC=-5%", "--population", str(p)]) == 2
    assert "bad.csv line 2: leverage = 0 must be > 0" in capsys.readouterr().err


def test_helpers() -> None:
    assert parse_shock("eth=+5%")[:2] == ("ETH", pytest.approx(0.05))
    assert format_krw(-1.234e12) == "-₩1.23조"
    assert format_krw(4.5e10) == "₩450억"
    # FACTS.md (f): premium >8 % after the crash reads hot; -0.28 % (Dec 2025) a discount
    assert premium_signal(0.08, 0.05).startswith("hot")
    assert premium_signal(-0.0028, 0.05).startswith("discount")
    assert premium_signal(0.02, 0.05) == "normal"


# ------------------------------------------------------------------ dated positioning
@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--open-interest", "abc"], "--open-interest = 'abc' is not an amount"),
        (["--open-interest", "1e3"], "open_interest_usd = 1000.0 must be between"),
        (["--leveraged-share", "150%"], "--leveraged-share = '150%' must be at most 100%"),
        (["--long-share", "-5%"], "--long-share = '-5%' must be >= 0"),
        (["--funding", "50%"], "funding_rate_frac = 0.5 is outside"),
        (["--date", "2019-01-01"], "date = 2019-01-01: no positioning on file"),
        (["--date", "2025-10-10", "--date", "2025-10-11"], "--date is given twice"),
        (["--data-dir", "."], "give the date too"),
    ],
)
def test_bad_positioning_flags_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], match: str
) -> None:
    assert main(["crypto", "--shock", "BTC=-10%", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ")
    assert match in err[-1]
    assert not any("Traceback" in line for line in err)


def test_open_interest_flag_scales_the_run(capsys: pytest.CaptureFixture[str]) -> None:
    # The same leveraged and long shares on a third of the open interest (books scaled with
    # it, the config's assumption) liquidate less; the flag is read as $70B
    full = run_json(capsys, "--shock", "BTC=-10%")
    small = run_json(capsys, "--shock", "BTC=-10%", "--open-interest", "70B")
    tot = [
        sum(float(str(r["liquidated_total_usd"])) for r in section(x, "rounds"))
        for x in (full, small)
    ]
    assert 0 < tot[1] < tot[0]
