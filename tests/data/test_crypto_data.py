"""Crypto config YAML and population files: the shipped default loads, bad input is one line."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from gaemi.core.crypto import LONG, SHORT
from gaemi.data.crypto import (
    crypto_config_from_dict,
    default_config_path,
    load_crypto_config,
    load_population,
)
from gaemi.errors import GaemiInputError


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(default_config_path().read_text(encoding="utf-8"))
    return data


def test_default_config_loads_with_sources(raw: dict[str, Any]) -> None:
    cfg = load_crypto_config()
    assert cfg.asset_names[0] == "BTC"
    # FACTS.md (f): open interest $217B before the crash
    assert cfg.v("open_interest_usd") == pytest.approx(217e9)
    # FRED DEXKOUS 2025-10-10 = 1428.39 (../shared/data/fx-daily)
    assert float(cfg.korea_params["usdkrw"].value) == pytest.approx(1428.39)
    assert cfg.korea_params["usdkrw"].as_of == "2025-10-10"
    for p in [*cfg.params.values(), *cfg.korea_params.values(), *cfg.calibration.values()]:
        assert p.source.strip()
        assert p.range[0] <= p.range[1]
    m = cfg.market()
    assert m.names == cfg.asset_names
    np.testing.assert_allclose(m.beta_to_anchor[0], 1.0)


def test_default_population_is_reproducible() -> None:
    cfg = load_crypto_config()
    a, da = cfg.population(n_per_side=500)
    b, db = cfg.population(n_per_side=500)
    np.testing.assert_array_equal(a.size_usd, b.size_usd)
    assert da == db
    # the drawn notional is the configured OI share × side fraction of $217B
    oi = cfg.v("open_interest_usd")
    expected_long = oi * cfg.v("long_frac_of_oi")
    np.testing.assert_allclose(a.notional_usd(len(cfg.asset_names))[:, 0].sum(), expected_long)


def _set(d: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(d)
    node = out
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[k]
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return out


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        ("population.long_frac_of_oi.value", 0.9, r"outside its range \[0.02, 0.6\]"),
        ("population.long_frac_of_oi.source", "", "source is empty"),
        ("population.long_frac_of_oi.range", [1], "must be \\[low, high\\]"),
        ("population.long_frac_of_oi", 0.1, "must be a mapping with value, source and range"),
        ("population.colour", 1, "unknown field population.'colour'"),
        ("market.depth_floor_frac", _DELETE, "market.depth_floor_frac is missing"),
        ("assets.BTC.oi_share.value", 0.5, "oi_share sum to"),
        ("assets.ALT.maintenance_margin_frac.value", 0.02, "0.02 x leverage_max 50 must be < 1"),
        ("korea.weights.BTC.value", 0.3, "korea.weights sum to"),
        ("korea.lending.bucket_weights.value", [0.5, 0.5], "same length"),
        ("korea.usdkrw.value", "abc", "is not a number"),
        ("bogus", 1, "unknown field 'bogus'"),
    ],
)
def test_bad_config_one_line(raw: dict[str, Any], path: str, value: Any, match: str) -> None:
    with pytest.raises(GaemiInputError, match=match) as exc:
        crypto_config_from_dict(_set(raw, path, value), "crypto.yaml")
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith("crypto.yaml")


def test_first_asset_must_be_btc(raw: dict[str, Any]) -> None:
    d = copy.deepcopy(raw)
    d["assets"] = {k: d["assets"][k] for k in ("ETH", "BTC", "SOL", "ALT")}
    with pytest.raises(GaemiInputError, match="first asset must be BTC"):
        crypto_config_from_dict(d, "x.yaml")


def test_bad_yaml_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("population: [1, 2\n", encoding="utf-8")
    with pytest.raises(GaemiInputError, match=r"bad\.yaml line 2: not valid YAML"):
        load_crypto_config(p)
    with pytest.raises(GaemiInputError, match="does not exist"):
        load_crypto_config(tmp_path / "missing.yaml")


# ------------------------------------------------------------------ population files
HEADER = "asset,side,leverage,entry_price_usd,size_usd,maintenance_margin_frac\n"


def _write(tmp_path: Path, body: str, header: str = HEADER, name: str = "pop.csv") -> Path:
    p = tmp_path / name
    p.write_text(header + body, encoding="utf-8")
    return p


def test_population_file_reads(tmp_path: Path) -> None:
    cfg = load_crypto_config()
    btc = cfg.price_usd["BTC"]
    p = _write(tmp_path, f"BTC,long,10,{btc},1e6,0.005\neth,SHORT,5,{cfg.price_usd['ETH']},2e6,\n")
    pop = load_population(p, cfg)
    assert len(pop) == 2
    np.testing.assert_array_equal(pop.side, [LONG, SHORT])
    np.testing.assert_array_equal(pop.asset, [0, 1])
    # long 10x at the current price, mm 0.5 %: liquidation at 1 - 0.1 + 0.005 = 0.905
    assert float(pop.liquidation_frac()[0]) == pytest.approx(0.905)
    # a blank maintenance margin takes the asset's (ETH 0.4 % in the default config)
    assert float(pop.maintenance_margin_frac[1]) == pytest.approx(
        cfg.av("ETH", "maintenance_margin_frac")
    )


def test_population_parquet(tmp_path: Path) -> None:
    cfg = load_crypto_config()
    df = pd.DataFrame(
        {
            "asset": ["ALT"],
            "side": ["long"],
            "leverage": [3.0],
            "entry_frac": [1.0],
            "size_usd": [5.0],
        }
    )
    p = tmp_path / "pop.parquet"
    df.to_parquet(p)
    pop = load_population(p, cfg)
    assert len(pop) == 1
    # ALT has no price in the config: entry_price_usd would be refused, entry_frac works
    bad = df.drop(columns="entry_frac").assign(entry_price_usd=[1.0])
    bad.to_parquet(p)
    with pytest.raises(GaemiInputError, match=r"pop\.parquet line 1: entry_price_usd needs"):
        load_population(p, cfg)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("BTC,long,0,100000,1e6,", "pop.csv line 2: leverage = 0 must be > 0"),
        ("BTC,long,-3,100000,1e6,", "pop.csv line 2: leverage = -3 must be > 0"),
        ("BTC,long,10,100000,-5,", "pop.csv line 2: size_usd = -5 must be >= 0"),
        ("BTC,long,10,100000,1e6,0.2", "line 2: liquidation above entry for a long"),
        ("BTC,short,10,100000,1e6,0.2", "line 2: liquidation below entry for a short"),
        ("BTC,sideways,10,100000,1e6,", "side = 'sideways' must be long or short"),
        ("DOGE,long,10,1,1e6,", "asset = 'DOGE' is not in the config"),
        ("BTC,long,,100000,1e6,", "line 2: leverage is empty"),
        ("BTC,long,ten,100000,1e6,", "line 2: leverage = 'ten' is not a number"),
    ],
)
def test_bad_population_rows(tmp_path: Path, row: str, match: str) -> None:
    cfg = load_crypto_config()
    p = _write(tmp_path, row + "\n")
    with pytest.raises(GaemiInputError, match=match) as exc:
        load_population(p, cfg)
    assert "\n" not in str(exc.value)


def test_explicit_liquidation_price_checked(tmp_path: Path) -> None:
    cfg = load_crypto_config()
    header = (
        "asset,side,leverage,entry_price_usd,size_usd,maintenance_margin_frac,"
        "liquidation_price_usd\n"
    )
    # long 10x at 100,000 with mm 0.5 %: the formula gives 90,500
    ok = _write(tmp_path, "BTC,long,10,100000,1,0.005,90500\n", header)
    assert len(load_population(ok, cfg)) == 1
    above = _write(tmp_path, "BTC,long,10,100000,1,0.005,101000\n", header)
    with pytest.raises(GaemiInputError, match="is above the entry 100000 for a long"):
        load_population(above, cfg)
    off = _write(tmp_path, "BTC,long,10,100000,1,0.005,80000\n", header)
    with pytest.raises(GaemiInputError, match="disagrees with entry"):
        load_population(off, cfg)


def test_population_file_structure_errors(tmp_path: Path) -> None:
    cfg = load_crypto_config()
    with pytest.raises(GaemiInputError, match="missing column 'size_usd'"):
        load_population(
            _write(tmp_path, "BTC,long,10,1\n", "asset,side,leverage,entry_frac\n"), cfg
        )
    with pytest.raises(GaemiInputError, match="entry_price_usd or an entry_frac"):
        load_population(_write(tmp_path, "BTC,long,10,1\n", "asset,side,leverage,size_usd\n"), cfg)
    with pytest.raises(GaemiInputError, match="unknown column 'colour'"):
        load_population(
            _write(
                tmp_path,
                "BTC,long,10,1,1,red\n",
                "asset,side,leverage,entry_frac,size_usd,colour\n",
            ),
            cfg,
        )
    with pytest.raises(GaemiInputError, match="no positions"):
        load_population(_write(tmp_path, ""), cfg)
    with pytest.raises(GaemiInputError, match="does not exist"):
        load_population(tmp_path / "nope.csv", cfg)


# ------------------------------------------------------------------ Coinalyze reader
COINALYZE = "crypto-derivatives/coinalyze-btc-perp-2022-2024"


def _write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_coinalyze_readers_make_tidy_frames(tmp_path: Path) -> None:
    from gaemi.data.importers.coinalyze import read_funding, read_liquidations, read_open_interest

    # rows out of date order, a blank cell, one market name repeated (two contracts)
    oi = _write_csv(
        tmp_path / "oi.csv",
        "t,BTC/USD - Kraken,BTC/USDT - Binance,BTC/USD - Kraken\n"
        "2024-01-02,10,,3\n2024-01-01,5,100,2\n",
    )
    df = read_open_interest(oi)
    assert list(df.columns) == ["date", "exchange", "market", "open_interest_usd"]
    assert df["date"].is_monotonic_increasing
    assert len(df) == 5  # six cells, one blank
    assert set(df["market"]) == {"BTC/USD - Kraken", "BTC/USD - Kraken #2", "BTC/USDT - Binance"}
    assert set(df["exchange"]) == {"Kraken", "Binance"}
    day1 = df[df["date"] == "2024-01-01"].set_index("market")["open_interest_usd"]
    assert day1["BTC/USDT - Binance"] == 100.0
    fund = _write_csv(
        tmp_path / "f.csv", "t,BTC/USDT - Binance\n2024-01-01,0.01\n2024-01-02,-0.03\n"
    )
    fr = read_funding(fund)
    # the file is % per 8 h: 0.01 -> 1e-4 as a fraction
    assert fr["funding_rate_frac"].tolist() == pytest.approx([1e-4, -3e-4])
    liq = _write_csv(
        tmp_path / "l.csv",
        "t,BTC/USDT - OKX_short,BTC/USDT - OKX_long\n2024-01-01,2.5,7.5\n2024-01-02,,\n",
    )
    lq = read_liquidations(liq)
    assert lq.columns.tolist() == [
        "date",
        "exchange",
        "market",
        "liquidations_long_usd",
        "liquidations_short_usd",
    ]
    assert len(lq) == 1  # the all-blank day is left out
    assert (lq["liquidations_long_usd"].iloc[0], lq["liquidations_short_usd"].iloc[0]) == (7.5, 2.5)


@pytest.mark.parametrize(
    ("reader", "text", "message"),
    [
        ("oi", "date,X - A\n2024-01-01,1\n", "first column = 'date' must be 't'"),
        ("oi", "t,X - A\n2024-13-01,1\n", "line 2: t = '2024-13-01' is not a date"),
        ("oi", "t,X - A\n2024-01-01,-1\n", "line 2: X - A = '-1' must be >= 0"),
        ("oi", "t,X - A\n2024-01-01,abc\n", "line 2: X - A = 'abc' is not a number"),
        ("oi", "t,X - A\n2024-01-01,1\n2024-01-01,2\n", "line 3: t = 2024-01-01 repeats line 2"),
        ("oi", "t,X - A\n2024-01-01,1,2\n", "line 2: 3 fields, the header has 2"),
        ("oi", "t,X - A\n", "no rows after the header"),
        ("fund", "t,X - A\n2024-01-01,12\n", "beyond ±10 %: not a funding rate"),
        ("liq", "t,X - A_long\n2024-01-01,1\n", "column 'X - A_short' is missing"),
        ("liq", "t,X - A\n2024-01-01,1\n", "column 'X - A' must end in _long or _short"),
    ],
)
def test_coinalyze_bad_input_is_one_line(
    tmp_path: Path, reader: str, text: str, message: str
) -> None:
    from gaemi.data.importers import coinalyze

    fn = {
        "oi": coinalyze.read_open_interest,
        "fund": coinalyze.read_funding,
        "liq": coinalyze.read_liquidations,
    }[reader]
    path = _write_csv(tmp_path / "bad.csv", text)
    with pytest.raises(GaemiInputError) as exc:
        fn(path)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_coinalyze_missing_file_is_named(tmp_path: Path) -> None:
    from gaemi.data.importers.coinalyze import read_coinalyze_dir

    with pytest.raises(GaemiInputError, match=r"liquidation_history\.csv.*does not exist"):
        read_coinalyze_dir(tmp_path)


def test_coinalyze_shared_files_match_facts(shared_data: Path) -> None:
    from gaemi.data.importers.coinalyze import daily_totals

    d = daily_totals(shared_data / COINALYZE).set_index("date")
    # PROVENANCE.md: 2022-01-02 .. 2024-09-20, 993 days, rows not date-sorted
    assert len(d) == 993
    assert str(d.index.min().date()) == "2022-01-02"
    assert str(d.index.max().date()) == "2024-09-20"
    # FACTS.md (i).3: 2024-08-05 BTC-perp liquidations $329.1M, 67% long; OI $15.82B -> $12.85B
    day = d.loc["2024-08-05"]
    total = day["liquidations_long_usd"] + day["liquidations_short_usd"]
    assert total == pytest.approx(329.1e6, rel=2e-3)
    assert day["liquidations_long_usd"] / total == pytest.approx(0.67, abs=0.01)
    assert d.loc["2024-08-04", "open_interest_usd"] == pytest.approx(15.82e9, rel=2e-3)
    assert day["open_interest_usd"] == pytest.approx(12.85e9, rel=2e-3)
    # FACTS.md (i).3: 2022-06-13 $258.0M, 72% long; funding the day before ~0 (0.000-0.005 %/8h)
    day = d.loc["2022-06-13"]
    total = day["liquidations_long_usd"] + day["liquidations_short_usd"]
    assert total == pytest.approx(258.0e6, rel=2e-3)
    assert day["liquidations_long_usd"] / total == pytest.approx(0.72, abs=0.01)
    assert abs(d.loc["2022-06-12", "funding_rate_frac"]) < 6e-5
    # 2024-03-04 funding 0.064-0.083 %/8h on the three big venues (FACTS.md (i).3)
    assert 5e-4 < d.loc["2024-03-04", "funding_rate_frac"] < 9e-4


# ------------------------------------------------------------------ dated positioning
def test_open_interest_outside_2025_is_accepted_and_nonsense_refused() -> None:
    from gaemi.data.crypto import Positioning

    # 2020-03-12: BTC futures OI ~$4.25B (FACTS.md (i).4) - refused before issue 18
    assert Positioning("2020-03-11", 10e9).open_interest_usd == 10e9
    for bad in (5e7, 1e13, float("nan"), -1.0):
        with pytest.raises(GaemiInputError, match=r"open_interest_usd = .* must be between"):
            Positioning("2020-03-11", bad)
    with pytest.raises(GaemiInputError, match=r"long_share_frac = 1\.0 is outside"):
        Positioning("2020-03-11", 10e9, long_share_frac=1.0)
    with pytest.raises(GaemiInputError, match=r"funding_rate_frac = 0\.5 is outside"):
        Positioning("2020-03-11", 10e9, funding_rate_frac=0.5)


def test_with_positioning_replaces_the_snapshot() -> None:
    from gaemi.data.crypto import Positioning, with_positioning

    cfg = load_crypto_config()
    pos = Positioning(
        "2024-08-04",
        70e9,
        leveraged_frac_of_oi=0.08,
        long_share_frac=0.75,
        long_leverage_median=6.0,
        sources={"open_interest_usd": "test"},
    )
    c = with_positioning(cfg, pos)
    assert c.as_of == "2024-08-04"
    assert c.v("open_interest_usd") == 70e9
    # long / short fractions of OI = leveraged fraction x (long share, 1 - long share)
    assert c.v("long_frac_of_oi") == pytest.approx(0.06)
    assert c.v("short_frac_of_oi") == pytest.approx(0.02)
    assert float(c.params["long.leverage_median"].value) == 6.0
    # depth proportional to open interest (the default's assumption)
    assert c.v("btc_depth_usd_per_pct") == pytest.approx(
        cfg.v("btc_depth_usd_per_pct") * 70e9 / 217e9
    )
    pop, _ = c.population()
    assert pop.notional_usd(len(c.asset_names))[:, 0].sum() == pytest.approx(70e9 * 0.06)
    # the shipped config is unchanged
    assert cfg.v("open_interest_usd") == 217e9


def test_event_table_loads_with_sources() -> None:
    from gaemi.data.crypto import load_crypto_events

    evs = load_crypto_events()
    assert len(evs.events) >= 5
    assert evs.regime_split == "2021-07-19"
    for e in evs.events:
        assert e.reported_total_usd.source.strip()
        assert e.data == "coinalyze" or (
            e.btc_open_interest_usd is not None and e.btc_open_interest_usd.source.strip()
        )


def test_positioning_for_date_without_the_shared_data() -> None:
    from gaemi.data.crypto import positioning_for_date

    # a FACTS.md event: BTC OI $70B (CoinDesk) / BTC share 0.42 (assumption)
    pos = positioning_for_date("2025-10-10")
    assert pos.open_interest_usd == pytest.approx(70e9 / 0.42)
    assert "CoinDesk" in pos.sources["open_interest_usd"]
    with pytest.raises(GaemiInputError, match="date = 2019-01-01: no positioning on file"):
        positioning_for_date("2019-01-01")
    with pytest.raises(GaemiInputError, match=r"date = .10/10/2025. is not a YYYY-MM-DD date"):
        positioning_for_date("10/10/2025")


def test_positioning_from_coinalyze(shared_data: Path) -> None:
    from gaemi.data.crypto import positioning_for_date

    pos = positioning_for_date("2024-08-05", shared_dir=shared_data)
    # FACTS.md (i).3: BTC-perp OI $15.82B the day before; x coverage 1.848 / BTC share 0.42
    assert pos.open_interest_usd == pytest.approx(15.82e9 * 1.848 / 0.42, rel=2e-3)
    assert pos.funding_rate_frac is not None
    assert abs(pos.funding_rate_frac) < 1e-4
    assert "assumption" in pos.sources["open_interest_usd"]
    with pytest.raises(GaemiInputError, match=r"Coinalyze file covers 2022-01-02\.\.2024-09-20"):
        positioning_for_date("2025-01-05", shared_dir=shared_data)


# ------------------------------------------------------- measured liquidation density
def test_coinalyze_day_features_are_facts_md(shared_data: Path) -> None:
    from gaemi.data.crypto import coinalyze_day_features

    f = coinalyze_day_features(shared_data)
    day = f.loc["2024-08-05"]
    # FACTS.md (i).3: BTC-perp OI $15.82B on 2024-08-04, liquidations $329.1M, 67 % long
    assert day["oi_prev_usd"] == pytest.approx(15.82e9, rel=2e-3)
    total = (day["long_rate"] + day["short_rate"]) * day["oi_prev_usd"]
    assert total == pytest.approx(329.1e6, rel=2e-3)
    assert day["long_rate"] / (day["long_rate"] + day["short_rate"]) == pytest.approx(
        0.67, abs=0.01
    )
    # FACTS.md (i).2: Binance BTC 2024-08-05 high 58,306 (the open, ~58.1k) -> low 49,000
    assert day["down"] == pytest.approx(-math.log(49000.0 / 58116.0), abs=0.01)
    assert day["runup"] >= 0 >= day["drawdown"]


def test_event_law_never_sees_an_event_day(shared_data: Path) -> None:
    from gaemi.data.crypto import (
        DENSITY_EXCLUDED_DAYS,
        coinalyze_day_features,
        fit_event_law,
        load_crypto_events,
    )

    law, desc = fit_event_law(shared_data)
    n_all = len(coinalyze_day_features(shared_data))
    # every FACTS.md (i) event day in the Coinalyze window is excluded, with a day either side
    coinalyze_events = {e.start for e in load_crypto_events().events if e.data == "coinalyze"}
    assert coinalyze_events <= set(DENSITY_EXCLUDED_DAYS)
    assert law.n_days <= n_all - len(DENSITY_EXCLUDED_DAYS)
    assert "left out" in desc
    # more fall, more long liquidations; more rise, more short ones (measured, not imposed)
    lo1, sh1 = law.rates(0.05, 0.01, 0.1, -0.05)
    lo2, _ = law.rates(0.10, 0.01, 0.1, -0.05)
    assert lo2 > lo1 > 0
    _, sh3 = law.rates(0.05, 0.05, 0.1, -0.05)
    assert sh3 > sh1 > 0
    # a refit with one more excluded day differs: the exclusion is applied
    law2, _ = fit_event_law(shared_data, exclude_days=(*DENSITY_EXCLUDED_DAYS, "2023-08-17"))
    assert law2.n_days == law.n_days - 3
    assert law2.long_coef != law.long_coef


def test_law_leveraged_share_matches_the_law_at_the_reference_move(shared_data: Path) -> None:
    from gaemi.core.crypto import liquidations_at_extremes
    from gaemi.data.crypto import (
        event_path,
        fit_event_law,
        law_leveraged_share,
        path_runup_drawdown,
        positioning_for_date,
        with_positioning,
    )

    cfg = load_crypto_config()
    pos = positioning_for_date("2024-08-05", shared_dir=shared_data)
    kappa, src = law_leveraged_share(shared_data, cfg, pos)
    assert 0 < kappa < 1
    assert "measured liquidation law" in src
    # the defining property, recomputed independently: the population with that leveraged
    # share liquidates, read statically at BTC -10 % (others by beta), what the law gives
    import dataclasses

    c = with_positioning(cfg, dataclasses.replace(pos, leveraged_frac_of_oi=kappa))
    beta = np.array([c.av(a, "beta_to_btc") for a in c.asset_names])
    down = -math.log(0.9) * beta
    pop, _ = c.population()
    nl, ns = liquidations_at_extremes(pop, len(beta), -down, np.zeros_like(down))
    law, _ = fit_event_law(shared_data)
    ru, dd = path_runup_drawdown(event_path(shared_data, "2024-08-05", "2024-08-05", c.asset_names))
    lr, sr = law.rates(down, np.zeros_like(down), ru, dd)
    share = np.array([c.av(a, "oi_share") for a in c.asset_names])
    target = float((pos.open_interest_usd * share / share.sum()) @ (lr + sr))
    assert float(nl.sum() + ns.sum()) == pytest.approx(target, rel=1e-9)
    with pytest.raises(GaemiInputError, match="must be a fall"):
        law_leveraged_share(shared_data, cfg, pos, reference_move_frac=0.1)


def _scalars(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [kv for k, v in node.items() for kv in _scalars(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [kv for i, v in enumerate(node) for kv in _scalars(v, f"{path}[{i}]")]
    return [(path, node)]


@pytest.mark.parametrize("name", ["crypto_default.yaml", "crypto_events.yaml"])
def test_shipped_numbers_are_yaml_floats(name: str) -> None:
    # YAML 1.1 (PyYAML) reads 55.3e12 as a string (a float needs a dot and a signed
    # exponent: 55.3e+12); our loader's float() copes, other readers would not
    data = yaml.safe_load((default_config_path().parent / name).read_text(encoding="utf-8"))
    as_text = []
    for path, v in _scalars(data):
        if isinstance(v, str):
            try:
                float(v)
            except ValueError:
                continue
            as_text.append((path, v))
    assert as_text == []
