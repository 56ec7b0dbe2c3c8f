"""Calibrate the crypto cascade to 10-11 Oct 2025 and print the fit table.

Reads the observed 2025-10-10 daily candles (UTC) of BTC, ETH and SOL in
../shared/data/crypto (read where they are, never copied), measures altcoin/BTC
amplification on the worst BTC days, and fits three numbers of
``src/gaemi/data/defaults/crypto_default.yaml``:

1. ``population.long_frac_of_oi`` and ``population.short_frac_of_oi``: liquidated notional
   is proportional to each (the population's shape is fixed by the seed), so the fit to
   the reported total ($19.2B, the middle of $19.1-19.3B) and long share (87%) is exact
   in closed form when the observed lows and highs are applied to the ladder.
2. ``market.btc_depth_usd_per_pct``: bisection so that the assumed exogenous news move
   plus the cascade reaches BTC's observed low.

Run: ``.venv/bin/python scripts/calibrate_crypto_oct2025.py [--shared ../shared/data]``;
copy the printed values into the YAML. The validation test re-checks the fit.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gaemi.core.crypto import (
    CascadeResult,
    Market,
    Population,
    cascade,
    liquidations_at_extremes,
)
from gaemi.data.crypto import CryptoConfig, crash_short_population, load_crypto_config

REPO = Path(__file__).resolve().parents[1]
EVENT_DAY = "2025-10-10"
#: FACTS.md (f): ~$19.1-19.3B liquidated in ~24h; issue 7: ~87% longs.
REPORTED_TOTAL_USD = 19.2e9
REPORTED_LONG_SHARE = 0.87
HISTORY_ALTS = ("XRP", "DOGE", "ADA", "BNB", "LTC", "LINK", "BCH", "ETC", "XLM", "TRX")


def read_recent(shared: Path, coin: str) -> pd.DataFrame:
    """A 2020-2025 yfinance file (3-row header, see PROVENANCE.md)."""
    df = pd.read_csv(shared / "crypto" / f"{coin}-USD_2020_2025.csv", skiprows=[1, 2])
    df = df.rename(columns={"Price": "Date"})
    df["Date"] = pd.to_datetime(df["Date"])
    return df.set_index("Date").astype(float)


def read_old(shared: Path, coin: str) -> pd.DataFrame:
    """A 2014-2022 file (empty rows before listing)."""
    df = pd.read_csv(shared / "crypto" / f"{coin}-USD_2014_2022.csv", parse_dates=["Date"])
    return df.set_index("Date").dropna().astype(float)


def btc_alt_days(shared: Path) -> list[tuple[str, pd.DataFrame]]:
    """Per altcoin (ETH, SOL, then the older history's), its days with BTC's: daily log
    returns ``btc`` and ``alt`` on the days both have, listing artefacts (|alt| >= 1.5)
    dropped."""
    btc_new = np.log(read_recent(shared, "BTC")["Close"]).diff()
    btc_old = np.log(read_old(shared, "BTC")["Close"]).diff()
    pairs = [(c, btc_new, np.log(read_recent(shared, c)["Close"]).diff()) for c in ("ETH", "SOL")]
    pairs += [(c, btc_old, np.log(read_old(shared, c)["Close"]).diff()) for c in HISTORY_ALTS]
    out = []
    for coin, b, a in pairs:
        df = pd.concat({"btc": b, "alt": a}, axis=1).dropna()
        out.append((coin, df[df["alt"].abs() < 1.5]))  # drop listing artefacts
    return out


def all_day_betas(shared: Path) -> dict[str, float]:
    """OLS slope of each coin's daily log return on BTC's, over all common days."""
    return {
        coin: float(np.polyfit(df["btc"], df["alt"], 1)[0]) for coin, df in btc_alt_days(shared)
    }


def observed_event(shared: Path) -> dict[str, dict[str, float]]:
    """Open→low and open→high log moves of 2025-10-10 for BTC, ETH, SOL."""
    out = {}
    for coin in ("BTC", "ETH", "SOL"):
        row = read_recent(shared, coin).loc[EVENT_DAY]
        out[coin] = {
            "open_usd": float(row["Open"]),
            "low_log": float(np.log(row["Low"] / row["Open"])),
            "high_log": float(np.log(row["High"] / row["Open"])),
            "close_log": float(np.log(row["Close"] / row["Open"])),
        }
    return out


def worst_day_ratios(shared: Path, n_days: int = 30) -> dict[str, dict[str, float]]:
    """Altcoin / BTC one-day log-move ratio on the n worst BTC close-to-close days."""
    out: dict[str, dict[str, float]] = {}
    for coin, df in btc_alt_days(shared):
        worst = df.nsmallest(n_days, "btc")
        ratio = worst["alt"] / worst["btc"]
        out[coin] = {
            "median": float(ratio.median()),
            "q25": float(ratio.quantile(0.25)),
            "q75": float(ratio.quantile(0.75)),
            "n_days": float(len(worst)),
            "first": str(df.index.min().date()),
        }
    return out


def per_asset(cfg: CryptoConfig, obs: dict[str, dict[str, float]], key: str) -> np.ndarray:
    """An observed log move per config asset.

    Assets without 2025 data (the ALT basket) take the mean of the observed altcoins
    (ETH, SOL) that day — the only altcoin moves in ../shared/data for the event.
    """
    alts = [a for a in obs if a != "BTC"]
    proxy = float(np.mean([obs[a][key] for a in alts]))
    return np.array([obs[a][key] if a in obs else proxy for a in cfg.asset_names])


def rebound_short_usd(cfg: CryptoConfig, notional_usd: float, rebound_log: np.ndarray) -> float:
    """Crash shorts liquidated when prices bounce ``rebound_log`` off the low."""
    if notional_usd <= 0:
        return 0.0
    # shorts opened during the fall, priced relative to the day's low (entry ~ the low)
    pop = crash_short_population(cfg, notional_usd, seed=cfg.seed + 1)
    A = len(cfg.asset_names)
    _, ns = liquidations_at_extremes(pop, A, np.zeros(A), rebound_log)
    return float(ns.sum())


@dataclass
class Fit:
    long_frac_of_oi: float
    crash_short_notional_usd: float
    btc_depth_usd_per_pct: float
    alt_depth_factor: float


def fit_counts(
    cfg: CryptoConfig, obs: dict[str, dict[str, float]]
) -> tuple[float, float, dict[str, float]]:
    """Long fraction and crash-short notional from the observed moves (closed form).

    Liquidated notional is proportional to each (the seed fixes the population's shape).
    """
    A = len(cfg.asset_names)
    lo, hi = per_asset(cfg, obs, "low_log"), per_asset(cfg, obs, "high_log")
    total = float(cfg.calibration["reported_total_usd"].value)
    share = float(cfg.calibration["reported_long_share"].value)
    pop1, _ = cfg.population(long_frac=1.0)
    nl1, _ = liquidations_at_extremes(pop1, A, lo, hi)
    long_frac = share * total / float(nl1.sum())
    pop, _ = cfg.population(long_frac=long_frac)
    nl, ns = liquidations_at_extremes(pop, A, lo, hi)
    rebound = per_asset(cfg, obs, "close_log") - lo
    per_usd = rebound_short_usd(cfg, 1e9, rebound) / 1e9
    crash = max((1 - share) * total - float(ns.sum()), 0.0) / per_usd
    detail = {
        "long_usd": float(nl.sum()),
        "standing_short_usd": float(ns.sum()),
        "crash_short_usd": rebound_short_usd(cfg, crash, rebound),
    }
    return long_frac, crash, detail


def run_cascade(
    cfg: CryptoConfig,
    obs: dict[str, dict[str, float]],
    long_frac: float,
    btc_depth: float,
    alt_factor: float,
    pop: Population | None = None,
) -> CascadeResult:
    """The crash leg: the assumed news move on BTC, the day's earlier highs already touched."""
    if pop is None:
        pop, _ = cfg.population(long_frac=long_frac)
    scale = btc_depth / cfg.v("btc_depth_usd_per_pct")
    market = Market.from_lists(
        cfg.asset_names,
        cfg.market().beta_to_anchor,
        cfg.depth_usd_per_pct(depth_scale=scale, alt_depth_factor=alt_factor),
        cfg.v("depth_floor_frac"),
        cfg.v("thinning_scale_frac"),
    )
    return cascade(
        pop,
        market,
        {"BTC": float(cfg.calibration["exogenous_btc_move_frac"].value)},
        touched_high_frac=np.expm1(per_asset(cfg, obs, "high_log")),
    )


def fit_depths(
    cfg: CryptoConfig, obs: dict[str, dict[str, float]], long_frac: float, iters: int = 40
) -> tuple[float, float]:
    """Nested bisection: BTC depth to BTC's low, the alt factor to ETH's and SOL's mean low."""
    pop, _ = cfg.population(long_frac=long_frac)
    alts = [i for i, a in enumerate(cfg.asset_names) if a in obs and a != "BTC"]
    target_alt = float(np.mean([obs[cfg.asset_names[i]]["low_log"] for i in alts]))

    def btc_depth_for(alt: float) -> float:
        a, b = np.log(1e7), np.log(1e12)
        for _ in range(iters):
            mid = 0.5 * (a + b)
            res = run_cascade(cfg, obs, long_frac, float(np.exp(mid)), alt, pop)
            if float(res.low_log[0, 0]) < obs["BTC"]["low_log"]:
                a = mid  # fell too far: the book is too thin
            else:
                b = mid
        return float(np.exp(b))  # the deeper side: the low stays at or above the target

    a, b = np.log(0.05), np.log(20.0)
    for _ in range(iters // 2):
        mid = 0.5 * (a + b)
        d = btc_depth_for(float(np.exp(mid)))
        res = run_cascade(cfg, obs, long_frac, d, float(np.exp(mid)), pop)
        if float(res.low_log[0, alts].mean()) < target_alt:
            a = mid
        else:
            b = mid
    alt = float(np.exp(b))
    return btc_depth_for(alt), alt


def fit_table(
    cfg: CryptoConfig, obs: dict[str, dict[str, float]], *, long_frac: float | None = None
) -> list[dict[str, object]]:
    """Model vs reported with the config's values (no fitting): the rows of the fit table."""
    lf = cfg.v("long_frac_of_oi") if long_frac is None else long_frac
    res = run_cascade(cfg, obs, lf, cfg.v("btc_depth_usd_per_pct"), cfg.v("alt_depth_factor"))
    crash = float(cfg.calibration["crash_short_notional_usd"].value)
    rebound = per_asset(cfg, obs, "close_log") - res.low_log[0]
    crash_usd = rebound_short_usd(cfg, crash, rebound)
    long_usd = float(res.liquidated_long_usd.sum())
    short_usd = float(res.liquidated_short_usd.sum()) + crash_usd
    total = long_usd + short_usd
    rows: list[dict[str, object]] = [
        {"quantity": "total liquidated, USD", "reported": "19.1e9-19.3e9", "model": total},
        {"quantity": "long share", "reported": 0.87, "model": long_usd / total},
    ]
    for i, a in enumerate(cfg.asset_names):
        rows.append(
            {
                "quantity": f"{a} open->low move",
                "reported": float(np.expm1(obs[a]["low_log"])) if a in obs else None,
                "model": float(res.low_move_frac[0, i]),
            }
        )
    rows.append({"quantity": "cascade rounds", "reported": None, "model": int(res.rounds[0])})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--config", type=Path, default=None)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    args = p.parse_args(argv)
    cfg = load_crypto_config(args.config)
    obs = observed_event(args.shared)
    ratios = worst_day_ratios(args.shared)
    betas = all_day_betas(args.shared)
    lf, crash, detail = fit_counts(cfg, obs)
    depth, alt = fit_depths(cfg, obs, lf)
    fit = Fit(lf, crash, depth, alt)
    out = {
        "observed": obs,
        "worst_btc_day_ratios": ratios,
        "all_day_betas": betas,
        "fit": asdict(fit),
        "counts": detail,
    }
    if args.json:
        json.dump(out, sys.stdout, indent=1)
        return 0
    print("worst-30-BTC-day altcoin/BTC log-move ratio (median [q25, q75]):")
    for c, r in ratios.items():
        print(f"  {c:5s} {r['median']:.2f} [{r['q25']:.2f}, {r['q75']:.2f}] since {r['first']}")
    alt_betas = [betas[c] for c in HISTORY_ALTS]
    print(
        f"all-day OLS betas: ETH {betas['ETH']:.2f}, SOL {betas['SOL']:.2f}, "
        f"median of ten altcoins {float(np.median(alt_betas)):.2f}"
    )
    print("observed 2025-10-10 (UTC candle) open->low / open->high / open->close:")
    for c, o in obs.items():
        print(
            f"  {c:5s} {np.expm1(o['low_log']):+.2%} / {np.expm1(o['high_log']):+.2%} / "
            f"{np.expm1(o['close_log']):+.2%}"
        )
    print("counting at the observed moves:", {k: f"${v / 1e9:.2f}B" for k, v in detail.items()})
    print("fit (copy into crypto_default.yaml):")
    print(f"  population.long_frac_of_oi.value:            {lf:.4f}")
    print(f"  calibration.crash_short_notional_usd.value:  {crash:.4g}")
    print(f"  market.btc_depth_usd_per_pct.value:          {depth:.4g}")
    print(f"  market.alt_depth_factor.value:               {alt:.4g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
