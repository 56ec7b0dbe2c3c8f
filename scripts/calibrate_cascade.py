"""Calibrate the contagion edges of the default cascade scenario from ../shared/data.

Writes ``src/gaemi/data/defaults/cascade_calibration.yaml``: one entry per edge beta
(ordinary least squares of the target's daily change on the source's daily change,
with the lag the scenario uses), its standard error, the sample, and a "stress" beta
fitted on the large down days of the source only; plus the latest level of every
series (the scenario baselines). The fit window ends on 2019-12-31 so that every
large US tech drop since 2020 is out of sample (tests/validation/test_cascade_history.py).

Usage::

    .venv/bin/python scripts/calibrate_cascade.py [--data ../shared/data] [--end 2019-12-31]

The package never reads ../shared/data at run time; it reads the YAML this writes.
Moves are decimal fractions (simple returns); rates and yields change in percentage
points.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "gaemi" / "data" / "defaults" / "cascade_calibration.yaml"
START = "2004-01-01"
END = "2019-12-31"
#: A "large down day" of the source for the stress beta: at most this move.
STRESS_MOVE = -0.025


# ------------------------------------------------------------------ series
def _close(path: Path, date_col: str, value_col: str) -> pd.Series:
    df = pd.read_csv(path)
    s = pd.Series(
        pd.to_numeric(df[value_col], errors="coerce").to_numpy(),
        index=pd.to_datetime(df[date_col]),
        name=path.stem,
    )
    return s.dropna().sort_index().loc[lambda x: ~x.index.duplicated()]


def load_series(data: Path) -> dict[str, pd.Series]:
    """Daily levels of every node the calibration uses, indexed by local trade date.

    NDX is proxied by QQQ adjusted closes and SOX by SOXX (SOXX tracked PHLX SOX until
    mid-2021, FACTS.md); USD/KRW is FRED DEXKOUS (noon buying rate in New York); Korean
    stocks drop Yahoo's zero-volume stale rows (korea-equities/PROVENANCE.md).
    """
    out: dict[str, pd.Series] = {
        "NDX": _close(data / "us-adjclose-1993-2026" / "QQQ.csv", "Date", "Close"),
        "SOX": _close(data / "us-adjclose-1993-2026" / "SOXX.csv", "Date", "Close"),
        "SPX": _close(data / "us-adjclose-1993-2026" / "SPY.csv", "Date", "Close"),
        "VIX": _close(data / "vix-cboe" / "vix-daily.csv", "DATE", "CLOSE"),
        "USDKRW": _close(data / "fx-daily" / "DEXKOUS.csv", "observation_date", "DEXKOUS"),
        "KOSPI": _close(data / "kospi-kr-rates" / "kospi.csv", "date", "close"),
        "JGB10Y": _close(data / "jgb-yields" / "jgbcm_all_iso.csv", "Date", "Y10"),
    }
    korea = (("SAMSUNG", "005930.KS_2000_2026.csv"), ("HYNIX", "000660.KS_2000_2026.csv"))
    for node, fname in korea:
        df = pd.read_csv(data / "korea-equities" / fname)
        df = df[df["Volume"] > 0]
        out[node] = pd.Series(
            df["Close"].to_numpy(), index=pd.to_datetime(df["Date"]), name=node
        ).sort_index()
    btc_old = _close(data / "crypto" / "BTC-USD_2014_2022.csv", "Date", "Close")
    out["BTC"] = btc_old
    out["ALTS"] = _close(data / "crypto" / "XRP-USD_2014_2022.csv", "Date", "Close")
    return out


def change(level: pd.Series, kind: str) -> pd.Series:
    """Daily change: simple return ("relative") or difference ("absolute")."""
    return level.pct_change() if kind == "relative" else level.diff()


def next_session_change(target_change: pd.Series, us_dates: pd.DatetimeIndex) -> pd.Series:
    """For each US date t, the target's change on its first session strictly after t.

    An Asian market's session on the next calendar day follows the US close of day t
    (US close 16:00 ET = 05:00/06:00 KST the next day), so a lag-1 edge from a US node
    to an Asian node pairs US day t with the Asian session after it.
    """
    tc = target_change.dropna()
    pos = tc.index.searchsorted(us_dates, side="right")
    ok = pos < len(tc)
    vals = np.full(len(us_dates), np.nan)
    vals[ok] = tc.to_numpy()[pos[ok]]
    return pd.Series(vals, index=us_dates)


# ------------------------------------------------------------------ fitting
@dataclass(frozen=True)
class Fit:
    beta: float
    se: float
    n: int
    stress_beta: float
    stress_n: int
    resid_sd: float


def ols(y: pd.Series, x: pd.Series) -> Fit:
    """y = a + b·x + e by OLS; plus b on the days with x <= STRESS_MOVE."""
    df = pd.concat({"y": y, "x": x}, axis=1).dropna()
    X = np.column_stack([np.ones(len(df)), df["x"].to_numpy()])
    yv = df["y"].to_numpy()
    coef, *_ = np.linalg.lstsq(X, yv, rcond=None)
    resid = yv - X @ coef
    s2 = resid @ resid / (len(df) - 2)
    cov = s2 * np.linalg.inv(X.T @ X)
    stress = df[df["x"] <= STRESS_MOVE]
    # stress beta through the origin: the big days are few and the intercept is noise
    sx, sy = stress["x"], stress["y"]
    sb = float((sx * sy).sum() / (sx**2).sum()) if len(stress) else np.nan
    se = float(np.sqrt(cov[1, 1]))
    return Fit(float(coef[1]), se, len(df), sb, len(stress), float(np.sqrt(s2)))


def window(s: pd.Series, start: str, end: str) -> pd.Series:
    return s.loc[(s.index >= pd.Timestamp(start)) & (s.index <= pd.Timestamp(end))]


#: (entry, target, target change kind, source, lag in sessions)
EDGES: tuple[tuple[str, str, str, str, int], ...] = (
    ("vix_on_ndx", "VIX", "relative", "NDX", 0),
    ("spx_on_ndx", "SPX", "relative", "NDX", 0),
    ("kospi_on_ndx", "KOSPI", "relative", "NDX", 1),
    ("usdkrw_on_ndx", "USDKRW", "relative", "NDX", 1),
    ("samsung_on_sox", "SAMSUNG", "relative", "SOX", 1),
    ("hynix_on_sox", "HYNIX", "relative", "SOX", 1),
    ("jgb10y_on_ndx", "JGB10Y", "absolute", "NDX", 1),
    ("btc_on_ndx", "BTC", "relative", "NDX", 0),
)


def fit_edges(series: dict[str, pd.Series], start: str, end: str) -> dict[str, dict[str, object]]:
    """Every edge beta on [start, end] (dates of the source, a US trading day)."""
    out: dict[str, dict[str, object]] = {}
    for entry, target, kind, source, lag in EDGES:
        x = window(change(series[source], "relative"), start, end).dropna()
        tc = change(series[target], kind)
        dates = pd.DatetimeIndex(x.index)
        y = tc.reindex(dates) if lag == 0 else next_session_change(tc, dates)
        f = ols(y, x)
        out[entry] = _entry(f, f"{target} {kind} change on {source} move, lag {lag}", start, end)
    # altcoins on bitcoin, same UTC day (XRP as the altcoin proxy; data from 2017)
    x = window(change(series["BTC"], "relative"), max(start, "2017-01-01"), end).dropna()
    y = change(series["ALTS"], "relative").reindex(x.index)
    what = "XRP relative change on BTC move, lag 0"
    out["alts_on_btc"] = _entry(ols(y, x), what, "2017-01-01", end)
    # VIX mean reversion: Δlog VIX_t = a − κ·log VIX_{t−1}
    lv = np.log(window(series["VIX"], start, end))
    d = lv.diff()
    f = ols(d, lv.shift(1))
    out["vix_reversion"] = {
        "value": round(-f.beta, 5),
        "se": round(f.se, 5),
        "n": f.n,
        "what": "daily fraction of log VIX's deviation from its mean that decays "
        "(AR(1) on log VIX)",
        "window": [start, end],
    }
    return out


def _entry(f: Fit, what: str, start: str, end: str) -> dict[str, object]:
    lo = min(f.beta - 2 * f.se, f.stress_beta if np.isfinite(f.stress_beta) else f.beta)
    hi = max(f.beta + 2 * f.se, f.stress_beta if np.isfinite(f.stress_beta) else f.beta)
    return {
        "value": round(f.beta, 5),
        "se": round(f.se, 5),
        "n": f.n,
        "stress_value": round(f.stress_beta, 5),
        "stress_n": f.stress_n,
        "resid_sd": round(f.resid_sd, 6),
        "range": [round(lo, 5), round(hi, 5)],
        "what": what,
        "window": [start, end],
    }


def baselines(series: dict[str, pd.Series], data: Path) -> dict[str, dict[str, object]]:
    """Latest level of every series with its date (the default scenario's baselines)."""
    series = dict(series)
    btc = pd.read_csv(data / "crypto" / "BTC-USD_2020_2025.csv", skiprows=[1, 2])
    series["BTC"] = pd.Series(
        pd.to_numeric(btc["Close"], errors="coerce").to_numpy(), index=pd.to_datetime(btc["Price"])
    ).dropna()
    return {
        k: {"value": round(float(s.iloc[-1]), 4), "as_of": s.index[-1].date().isoformat()}
        for k, s in series.items()
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--start", default=START)
    p.add_argument("--end", default=END)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    import yaml

    series = load_series(args.data)
    doc = {
        "generated_by": "scripts/calibrate_cascade.py",
        "generated_on": dt.date.today().isoformat(),
        "data": "../shared/data (QQQ for NDX, SOXX for SOX, SPY for SPX, CBOE VIX, FRED "
        "DEXKOUS, KOSPI close, MOF JGB 10y, Yahoo 005930.KS / 000660.KS, BTC/XRP USD)",
        "method": "OLS of the target's daily change on the source's daily move; lag-1 edges "
        "pair US day t with the next Asian session; range = [min(beta-2se, stress), "
        f"max(beta+2se, stress)], stress = through-origin fit on source moves <= {STRESS_MOVE}",
        "edges": fit_edges(series, args.start, args.end),
        "baselines": baselines(series, args.data),
    }
    args.out.write_text(
        "# Generated by scripts/calibrate_cascade.py from ../shared/data; do not edit.\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    for k, v in doc["edges"].items():
        stress = v.get("stress_value")
        print(f"{k:16s} {v['value']:+.4f} ± {v['se']:.4f}  stress {stress}  n={v['n']}")
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
