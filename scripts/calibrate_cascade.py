"""Calibrate the contagion edges and residuals of the default cascade from ../shared/data.

Writes two files in ``src/gaemi/data/defaults/``:

``cascade_calibration.yaml``
    One entry per edge: the betas of a distributed-lag regression (ordinary least
    squares of the target's daily change on the source's change on the edge's lag and
    the ``PROFILE`` sessions after it, jointly with the target's other parents), their
    standard errors, the residual standard deviation, a "stress" beta fitted through the
    origin on the source's large down days, and local projections (the target's
    cumulative change h = 1, 5, 20 sessions after the source's move) as the check of
    how much of a move persists, reverts or builds; plus the latest level of every
    series (the scenario's baselines).
``cascade_residuals.csv``
    The residual paths ("other news") of every node on the ``RESIDUAL_DAYS`` days from
    each stress day of the fit window (QQQ <= -4 % or SOXX <= -6 %, the rule of the
    out-of-sample test): actual change minus what the fitted edges give from the
    moves inside the block. The engine draws one event per Monte Carlo draw.

All fits use the model's day calendar (gaemi.data.contagion_history.day_frame: the
Asian session of day t has seen the US close of day t-1, not of day t) and end on
2019-12-31, so every stress day since 2020 is out of sample
(tests/validation/test_contagion_coverage.py).

Usage::

    .venv/bin/python scripts/calibrate_cascade.py [--data ../shared/data] [--end 2019-12-31]

The package never reads ../shared/data at run time; it reads the files this writes.
Moves are decimal fractions (simple returns); JGB10Y changes in percentage points.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gaemi.data.contagion_history import FILES, VOL_WINDOW, day_frame, pre_shock_vol, stress_days
from gaemi.data.contagion_history import load_series as _load_series

REPO = Path(__file__).resolve().parents[1]
DEFAULTS = REPO / "src" / "gaemi" / "data" / "defaults"
OUT = DEFAULTS / "cascade_calibration.yaml"
RESIDUALS = DEFAULTS / "cascade_residuals.csv"
START = "2004-01-01"
END = "2019-12-31"
#: A "large down day" of the source for the stress beta: at most this move.
STRESS_MOVE = -0.025
#: Sessions after the edge's lag over which a response is estimated (beta_1..beta_20):
#: the issue's horizon (how much of a move persists, reverts or builds over 20 sessions).
PROFILE = 20
#: Days of residual path kept after each stress day.
RESIDUAL_DAYS = 40
#: Seed of the windows that fill a node's missing blocks (reproducible file).
FILL_SEED = 20191231
#: Horizons of the local projections (sessions).
LP_HORIZONS = (1, 5, 20)
#: Korean same-session links (a Korean-session shock on Samsung / SK hynix / KOSPI): their
#: range also spans a "stress" refit of the same equation on the days the source fell at
#: least this much (on such days the market factor, not the stock's own news, dominates).
KR_STRESS_MOVE = -0.04
KR_STRESS_ENTRIES = ("kospi_on_samsung", "kospi_on_hynix")
#: Residual library: the paths after every fit-window day with QQQ <= LIB_NDX or SOXX <=
#: LIB_SOX (a wider net than the stress rule, so that 2008 is 1 regime among many: each
#: path is standardised by the node's realised volatility before it).
LIB_NDX = -0.025
LIB_SOX = -0.0375
#: A volatility floor per node: this fraction of its fit-window daily standard deviation
#: (a stale or flat stretch, e.g. JGB10Y at the zero bound, would make z = r / vol explode).
FLOOR_FRAC = 0.25
#: Width multipliers tried by the block cross-validation, and its target coverage.
CV_GRID = (0.5, 0.7, 0.85, 1.0, 1.2, 1.45, 1.75, 2.1)
CV_TARGET = 0.90
CV_DRAWS = 400
#: Sessions between two stress days that start a new episode (held out together, with
#: every library path within this many sessions of the episode).
CV_GAP = 40


def load_series(data: Path) -> dict[str, pd.Series]:
    """Daily levels of every node (gaemi.data.contagion_history.FILES)."""
    return _load_series(data)


def change(level: pd.Series, kind: str) -> pd.Series:
    """Daily change: simple return ("relative") or difference ("absolute")."""
    return level.pct_change() if kind == "relative" else level.diff()


def window(s: pd.Series | pd.DataFrame, start: str, end: str) -> pd.Series | pd.DataFrame:
    return s.loc[(s.index >= pd.Timestamp(start)) & (s.index <= pd.Timestamp(end))]


# ------------------------------------------------------------------ the structure
@dataclass(frozen=True)
class Eq:
    """One target's regression: its parents (source, lag, profile length, entry name)."""

    target: str
    parents: tuple[tuple[str, int, int, str], ...]
    what: str
    conditional: bool = False  # the entries are reverse (conditional) edges


#: Forward (structural) equations, in the engine's day order, then the conditional ones.
EQUATIONS: tuple[Eq, ...] = (
    Eq("SOX", (("NDX", 0, PROFILE, "sox_on_ndx"),), "SOX on NDX, same session"),
    Eq("SPX", (("NDX", 0, PROFILE, "spx_on_ndx"),), "SPX on NDX, same session"),
    # VIX: no profile, its persistence is the node's mean reversion (vix_reversion):
    # 0.98^19 = 0.68 of the day-0 response left after 20 sessions, the local
    # projection's -2.62 / -4.31 = 0.61
    Eq("VIX", (("NDX", 0, 0, "vix_on_ndx"),), "VIX relative change on NDX"),
    Eq("SAMSUNG", (("SOX", 1, PROFILE, "samsung_on_sox"),), "Samsung on SOX, next session"),
    Eq("HYNIX", (("SOX", 1, PROFILE, "hynix_on_sox"),), "SK hynix on SOX, next session"),
    Eq(
        "KOSPI",
        (
            ("NDX", 1, PROFILE, "kospi_on_ndx"),
            ("SAMSUNG", 0, 0, "kospi_on_samsung"),
            ("HYNIX", 0, 0, "kospi_on_hynix"),
        ),
        "KOSPI on NDX (next session) and Samsung, SK hynix (same session)",
    ),
    Eq(
        "USDKRW",
        (("NDX", 1, PROFILE, "usdkrw_on_ndx"), ("KOSPI", 0, 0, "usdkrw_on_kospi")),
        "USD/KRW (noon NY) on NDX (previous US session) and KOSPI (same day)",
    ),
    Eq("JGB10Y", (("NDX", 1, PROFILE, "jgb10y_on_ndx"),), "JGB 10y (pp) on NDX, next session"),
    Eq("BTC", (("NDX", 0, PROFILE, "btc_on_ndx"),), "BTC (UTC day) on NDX, same day"),
    Eq("ALTS", (("BTC", 0, 0, "alts_on_btc"),), "XRP on BTC, same UTC day"),
    Eq("NDX", (("SOX", 0, 0, "ndx_on_sox"),), "NDX on SOX (used when SOX is shocked)", True),
    Eq(
        "SAMSUNG",
        (("KOSPI", 0, 0, "samsung_on_kospi"), ("SOX", 1, 0, "")),
        "Samsung on KOSPI, same session, controlling for SOX (used when KOSPI is shocked)",
        True,
    ),
    Eq(
        "HYNIX",
        (("KOSPI", 0, 0, "hynix_on_kospi"), ("SOX", 1, 0, "")),
        "SK hynix on KOSPI, same session, controlling for SOX (used when KOSPI is shocked)",
        True,
    ),
)


def _design(F: pd.DataFrame, eq: Eq) -> tuple[pd.DataFrame, list[tuple[str, str, int]]]:
    """Regressors of an equation: (column, entry, k) for every parent lag."""
    cols: dict[str, pd.Series] = {}
    meta: list[tuple[str, str, int]] = []
    for src, lag, prof, entry in eq.parents:
        for k in range(prof + 1):
            name = f"{src}_l{lag + k}"
            cols[name] = F[src].shift(lag + k)
            meta.append((name, entry, k))
    return pd.DataFrame(cols), meta


@dataclass(frozen=True)
class Fit:
    coef: dict[str, float]
    se: dict[str, float]
    n: int
    resid_sd: float
    start: str = ""
    end: str = ""


def ols(y: pd.Series, X: pd.DataFrame) -> Fit:
    """y = a + X b + e by OLS (rows with a missing value dropped)."""
    df = pd.concat([y.rename("_y"), X], axis=1).dropna()
    A = np.column_stack([np.ones(len(df)), df[X.columns].to_numpy()])
    yv = df["_y"].to_numpy()
    coef, *_ = np.linalg.lstsq(A, yv, rcond=None)
    resid = yv - A @ coef
    s2 = float(resid @ resid / (len(df) - A.shape[1]))
    cov = s2 * np.linalg.inv(A.T @ A)
    names = list(X.columns)
    return Fit(
        {c: float(coef[j + 1]) for j, c in enumerate(names)},
        {c: float(np.sqrt(cov[j + 1, j + 1])) for j, c in enumerate(names)},
        len(df),
        float(np.sqrt(s2)),
        str(df.index[0].date()),
        str(df.index[-1].date()),
    )


def stress_beta(y: pd.Series, x: pd.Series) -> tuple[float, int]:
    """Slope through the origin on the days the source fell at least ``STRESS_MOVE``."""
    df = pd.concat({"y": y, "x": x}, axis=1).dropna()
    st = df[df["x"] <= STRESS_MOVE]
    if len(st) < 5:
        return float("nan"), len(st)
    return float((st["x"] * st["y"]).sum() / (st["x"] ** 2).sum()), len(st)


def local_projection(F: pd.DataFrame, target: str, source: str, lag: int) -> dict[int, list[float]]:
    """Cumulative change of the target over sessions lag .. lag+h-1 after the source's
    move, on that move (controls: the source's and the target's previous change).
    Overlapping windows: the standard errors are OLS ones and too small for h > 1."""
    out: dict[int, list[float]] = {}
    y0 = F[target]
    for h in LP_HORIZONS:
        cum = pd.concat([y0.shift(-(lag + j)) for j in range(h)], axis=1).sum(axis=1, min_count=h)
        X = pd.DataFrame(
            {"x": F[source], "x_prev": F[source].shift(1), "y_prev": y0.shift(1 - lag)}
        )
        f = ols(cum, X)
        out[h] = [round(f.coef["x"], 4), round(f.se["x"], 4)]
    return out


def fit_edges(F: pd.DataFrame, start: str, end: str) -> dict[str, dict[str, object]]:
    """Every edge's betas on [start, end] of the day calendar."""
    W = window(F, start, end)
    assert isinstance(W, pd.DataFrame)
    out: dict[str, dict[str, object]] = {}
    for eq in EQUATIONS:
        X, meta = _design(W, eq)
        f = ols(W[eq.target], X)
        for src, lag, _prof, entry in eq.parents:
            if not entry:
                continue
            mine = [(c, k) for c, e, k in meta if e == entry]
            beta = f.coef[mine[0][0]]
            se = f.se[mine[0][0]]
            sb, sn = stress_beta(W[eq.target], W[src].shift(lag))
            if len(eq.parents) > 1:
                sb, sn = float("nan"), 0  # a through-origin slope ignores the other parents
            if entry in KR_STRESS_ENTRIES:
                # the same joint regression on the days any same-session Korean parent
                # fell >= 4 %: the beta when the Korean session itself is the shock
                lag0 = [p for p, lg, pr, en in eq.parents if lg == 0 and pr == 0 and en]
                mask = (W[lag0] <= KR_STRESS_MOVE).any(axis=1)
                fs = ols(W[eq.target][mask], X[mask])
                sb, sn = fs.coef[mine[0][0]], fs.n
            lo = min(beta - 2 * se, sb if np.isfinite(sb) else beta)
            hi = max(beta + 2 * se, sb if np.isfinite(sb) else beta)
            entry_doc: dict[str, object] = {
                "value": round(beta, 5),
                "se": round(se, 5),
                "n": f.n,
                "stress_value": round(sb, 5) if np.isfinite(sb) else None,
                **(
                    {"stress_rule": f"joint refit, parent <= {KR_STRESS_MOVE}"}
                    if entry in KR_STRESS_ENTRIES
                    else {}
                ),
                "stress_n": sn,
                "resid_sd": round(f.resid_sd, 6),
                "range": [round(lo, 5), round(hi, 5)],
                "what": f"{eq.what}, lag {lag}"
                + (f", beta_1..beta_{len(mine) - 1} on the next sessions" if len(mine) > 1 else ""),
                "window": [f.start, f.end],
            }
            if len(mine) > 1:
                entry_doc["profile"] = [round(f.coef[c], 5) for c, _ in mine[1:]]
                entry_doc["profile_se"] = [round(f.se[c], 5) for c, _ in mine[1:]]
            if not eq.conditional and src in ("NDX", "SOX"):
                entry_doc["local_projection"] = local_projection(W, eq.target, src, lag)
            if eq.conditional:
                entry_doc["conditional"] = True
            out[entry] = entry_doc
    factor_bounds(out)
    # VIX mean reversion: dlog VIX_t = a - kappa log VIX_{t-1}
    return out


#: KOSPI's same-session links and the reverse (conditional) regressions that bound them.
FACTOR_LINKS = (("kospi_on_samsung", "samsung_on_kospi"), ("kospi_on_hynix", "hynix_on_kospi"))


def factor_bounds(edges: dict[str, dict[str, object]]) -> None:
    """Widen the ranges of KOSPI's same-session links to Samsung and SK hynix to the
    reverse-regression bound. The OLS beta of KOSPI on a stock is the response to the
    stock's average move, much of which is its own news; when the Korean session itself
    falls (a market-wide shock) KOSPI moves by the stock's move / its beta on KOSPI
    (``samsung_on_kospi``, ``hynix_on_kospi``, fitted on the same window). The two
    regressions bracket the response (errors-in-variables bounds); the market-wide
    bound is split between the two stocks in proportion to their OLS betas, so that
    both shocked together give KOSPI at most the move the factor implies."""
    fwd = {k: float(edges[k]["value"]) for k, _ in FACTOR_LINKS}  # type: ignore[arg-type]
    total = sum(fwd.values())
    for k, rev_key in FACTOR_LINKS:
        rev = float(edges[rev_key]["value"])  # type: ignore[arg-type]
        bound = fwd[k] / total / rev
        e = edges[k]
        rng: list[float] = list(e["range"])  # type: ignore[call-overload]
        lo, hi = rng
        e["factor_value"] = round(bound, 5)
        e["factor_rule"] = (
            f"share {fwd[k] / total:.3f} of the KOSPI factor / {rev_key} {rev:.4f}: "
            "the response when the Korean session itself is the shock"
        )
        e["range"] = [round(min(lo, bound), 5), round(max(hi, bound), 5)]


def vix_reversion(series: dict[str, pd.Series], start: str, end: str) -> dict[str, object]:
    lv = np.log(window(series["VIX"], start, end))
    assert isinstance(lv, pd.Series)
    f = ols(lv.diff(), pd.DataFrame({"lvl": lv.shift(1)}))
    return {
        "value": round(-f.coef["lvl"], 5),
        "se": round(f.se["lvl"], 5),
        "n": f.n,
        "what": "daily fraction of log VIX's deviation from its mean that decays "
        "(AR(1) on log VIX)",
        "window": [start, end],
    }


def residual_blocks(
    F: pd.DataFrame,
    edges: dict[str, dict[str, object]],
    events: list[pd.Timestamp],
    end: str,
    kappa: float,
    floors: dict[str, float],
) -> pd.DataFrame:
    """Standardised residual paths after each library day: actual change minus what the
    forward edges give from the moves inside the block (moves before the day count as
    news); VIX also minus its reversion towards the level before the day; each node's
    path divided by its realised volatility over the VOL_WINDOW sessions before the day
    (gaemi.data.contagion_history.pre_shock_vol, at least ``floors``). A node with no
    data in a block (BTC before 2014-09) takes a window of its own standardised
    residuals from a random day of the fit window (``fill_window``)."""
    nodes = list(F.columns)
    col = {n: j for j, n in enumerate(nodes)}
    rows = []
    F_end = F.loc[: pd.Timestamp(end)]
    for ev in events:
        s = int(F_end.index.searchsorted(ev))
        res = block_residual(F_end, edges, kappa, s)
        if res is None:
            continue
        rows.append((ev, standardise(F_end, s, res, floors)))
    return _fill(rows, nodes, col, F_end, edges, kappa, floors)


def standardise(F: pd.DataFrame, s: int, res: np.ndarray, floors: dict[str, float]) -> np.ndarray:
    """Each node's column of ``res`` divided by its realised volatility before row s."""
    vol = pre_shock_vol(F, s, floors)
    out: np.ndarray = res / np.array([vol[n] for n in F.columns])[None, :]
    return out


def block_residual(
    F: pd.DataFrame, edges: dict[str, dict[str, object]], kappa: float, s: int
) -> np.ndarray | None:
    """Residual path of every node on the RESIDUAL_DAYS rows from row ``s``."""
    nodes = list(F.columns)
    col = {n: j for j, n in enumerate(nodes)}
    blk = F.iloc[s : s + RESIDUAL_DAYS]
    if len(blk) < RESIDUAL_DAYS:
        return None
    act = blk.to_numpy()
    res = act.copy()
    for eq in EQUATIONS:
        if eq.conditional:
            continue
        j = col[eq.target]
        for src, lag, prof, entry in eq.parents:
            e = edges[entry]
            prof_b: list[float] = list(e.get("profile") or [])  # type: ignore[call-overload]
            betas = [float(e["value"]), *prof_b]  # type: ignore[arg-type]
            for k, b in enumerate(betas[: prof + 1]):
                off = lag + k
                res[off:, j] -= b * np.nan_to_num(act[: len(act) - off, col[src]])
    # VIX reversion towards its level before the stress day
    v = col["VIX"]
    lvl = np.cumprod(1.0 + act[:, v])  # level / pre-stress level after each day
    res[1:, v] += kappa * np.log(lvl[:-1])
    return res


def fill_window(
    F: pd.DataFrame,
    edges: dict[str, dict[str, object]],
    kappa: float,
    node: str,
    rng: np.random.Generator,
    floors: dict[str, float],
) -> np.ndarray:
    """A RESIDUAL_DAYS window of the node's standardised residuals from a random row
    with data."""
    j = list(F.columns).index(node)
    ok = np.flatnonzero(F[node].notna().to_numpy())
    for _ in range(1000):
        s = int(rng.choice(ok[ok < len(F) - RESIDUAL_DAYS]))
        r = block_residual(F, edges, kappa, s)
        if r is not None and np.isfinite(r[:, j]).all():
            return standardise(F, s, r, floors)[:, j]
    return np.zeros(RESIDUAL_DAYS)


def _fill(
    rows: list[tuple[pd.Timestamp, np.ndarray]],
    nodes: list[str],
    col: dict[str, int],
    F_end: pd.DataFrame,
    edges: dict[str, dict[str, object]],
    kappa: float,
    floors: dict[str, float],
) -> pd.DataFrame:
    # a node with no data in an event's block (BTC before 2014-09, XRP before 2017) takes
    # a RESIDUAL_DAYS window of its own residuals from a random day of the fit window
    # where it has data (seeded, so the file is reproducible)
    rng = np.random.default_rng(FILL_SEED)
    out: list[dict[str, object]] = []
    for ev, r in rows:
        r = r.copy()
        for n in nodes:
            j = col[n]
            if not np.isfinite(r[1:, j]).all():
                r[:, j] = fill_window(F_end, edges, kappa, n, rng, floors)
            r[0, j] = 0.0 if not np.isfinite(r[0, j]) else r[0, j]
        out.extend(
            {"event": ev.date().isoformat(), "day": tau, **{n: r[tau, col[n]] for n in nodes}}
            for tau in range(RESIDUAL_DAYS)
        )
    return pd.DataFrame(out)


def library_days(series: dict[str, pd.Series], start: str, end: str) -> list[pd.Timestamp]:
    """Fit-window days with QQQ <= LIB_NDX or SOXX <= LIB_SOX (close to close)."""
    ndx = series["NDX"].pct_change()
    sox = series["SOX"].pct_change().reindex(ndx.index)
    hit = ((ndx <= LIB_NDX) | (sox <= LIB_SOX)).loc[start:end]
    return [pd.Timestamp(d) for d in hit.index[hit.to_numpy(dtype=bool)]]


def vol_floor(F: pd.DataFrame, start: str, end: str) -> dict[str, float]:
    """FLOOR_FRAC x each node's daily standard deviation over the fit window."""
    W = window(F, start, end)
    return {n: float(FLOOR_FRAC * W[n].std()) for n in F.columns}


def current_vols(F: pd.DataFrame, floors: dict[str, float]) -> dict[str, tuple[float, str]]:
    """Each node's realised volatility over its last VOL_WINDOW changes in the data (the
    regime the default scenario is run in) and the date of the last one."""
    out: dict[str, tuple[float, str]] = {}
    for n in F.columns:
        x = F[n].dropna()
        out[n] = (
            max(float(x.iloc[-VOL_WINDOW:].std()), floors[n]),
            x.index[-1].date().isoformat(),
        )
    return out


#: Session groups with their own width multiplier, and the horizon (sessions) whose
#: coverage chooses it: session 1 by the 1-session band, 2-5 by the 5-session band,
#: 6 and later by the 20-session band.
CV_STAGES: tuple[tuple[int, int], ...] = ((1, 1), (5, 5), (6, 20))
#: Nodes scored on fewer fit-window stress days than this (BTC, XRP: data from 2014-09 /
#: 2017) are cross-validated on the library days instead (every one with their data).
CV_MIN_DAYS = 15


def _sessions(s1: float, s2: float, s3: float) -> list[float]:
    """Multipliers by session: session 1, sessions 2-5, sessions 6 and later."""
    return [s1, s2, s2, s2, s2, s3]


def cross_validate(
    series: dict[str, pd.Series],
    stress: list[pd.Timestamp],
    events: list[str],
    floors: dict[str, float],
    draws: int = CV_DRAWS,
    on: str = "library",
) -> tuple[dict[str, list[float]], dict[str, dict[str, list[float]]], pd.DataFrame]:
    """Leave-one-episode-out coverage of the 90 % bands inside the fit window, in three
    stages (CV_STAGES): for the session-1 multiplier, then sessions 2-5 (session 1 fixed
    at its choice), then sessions 6+, every multiplier of CV_GRID is tried (the same for
    all nodes) and, per node, the one where the coverage of its stage's horizon crosses
    CV_TARGET is interpolated linearly (the grid's end when it never does). Days scored:
    the fit window's stress days; BTC and ALTS (too few such days with data) the library
    days with their data. NDX and SOX are the shocked nodes: no session-1 residual is
    scored, theirs is set to their sessions-2-5 multiplier. Reads the default scenario
    just written. Returns the multipliers by session, the coverage curves, and the per
    node / horizon summary at the chosen multipliers."""
    from gaemi.data.cascade import load_cascade
    from gaemi.data.contagion_history import coverage_summary, episode_coverage

    m = load_cascade()
    nodes = [n.id for n in m.nodes if n.residual is not None]
    lib = [pd.Timestamp(e) for e in events]
    if on == "library":
        stress = lib  # every library day is scored
    few = [n for n in nodes if sum(series[n].dropna().index[0] < d for d in stress) < CV_MIN_DAYS]
    many = [n for n in nodes if n not in few]
    lib_few = [d for d in lib if all(series[n].dropna().index[0] < d for n in few)]

    def run(scales: dict[str, list[float]]) -> pd.DataFrame:
        parts = [
            episode_coverage(
                m,
                series,
                gap_days=CV_GAP,
                draws=draws,
                seed=0,
                events=events,
                days=days,
                nodes=which,
                scales=scales,
                floor=floors,
            )
            for days, which in ((stress, many), (lib_few, few))
        ]
        t = pd.concat(parts, ignore_index=True)
        return t[~(t["node"].isin(["NDX", "SOX"]) & (t["h"] == 1))]

    chosen: dict[str, list[float]] = {n: [1.0, 1.0, 1.0] for n in nodes}
    curves: dict[str, dict[str, list[float]]] = {}
    for stage, (_first, h) in enumerate(CV_STAGES):
        curve: dict[str, list[float]] = {n: [] for n in nodes}
        for c in CV_GRID:
            sc = {}
            for n in nodes:
                v = chosen[n][:stage] + [c] * (3 - stage)
                sc[n] = _sessions(*v)
            t = run(sc).dropna(subset=["actual"])
            cov = t[t["h"] == h].groupby("node")["inside"].mean()
            for n in nodes:
                curve[n].append(round(float(cov.get(n, np.nan)), 4))
            print(
                f"cv stage {stage + 1} scale {c}: "
                + " ".join(f"{n} {curve[n][-1]:.2f}" for n in nodes)
            )
        for n in nodes:
            y = np.array(curve[n])
            if not np.isfinite(y).any():
                continue  # not scored at this horizon (NDX, SOX at 1): set below
            y = np.maximum.accumulate(np.nan_to_num(y, nan=0.0))
            if y[0] >= CV_TARGET:
                pick = CV_GRID[0]
            elif y[-1] < CV_TARGET:
                pick = CV_GRID[-1]
            else:
                k = int(np.argmax(y >= CV_TARGET))
                x0, x1, y0, y1 = CV_GRID[k - 1], CV_GRID[k], y[k - 1], y[k]
                pick = round(x0 + (x1 - x0) * (CV_TARGET - y0) / max(y1 - y0, 1e-9), 3)
            chosen[n][stage] = float(pick)
        curves[f"sessions {_first}-{h if stage < 2 else 'on'}, by the {h}-session band"] = curve
        if stage == 1:
            for n in ("NDX", "SOX"):
                if n in chosen:
                    chosen[n][0] = chosen[n][1]
    summary = coverage_summary(run({n: _sessions(*v) for n, v in chosen.items()}))
    return chosen, curves, summary


def kospi_csv(data: Path) -> pd.Series:
    """KOSPI closes of kospi-kr-rates/kospi.csv alone."""
    df = pd.read_csv(data / "kospi-kr-rates" / "kospi.csv")
    return pd.Series(df["close"].to_numpy(float), index=pd.to_datetime(df["date"])).sort_index()


def baselines(series: dict[str, pd.Series]) -> dict[str, dict[str, object]]:
    """Latest level of every series with its date (the default scenario's baselines)."""
    return {
        k: {"value": round(float(s.iloc[-1]), 4), "as_of": s.index[-1].date().isoformat()}
        for k, s in series.items()
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--start", default=START)
    p.add_argument("--end", default=END)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--residuals", type=Path, default=RESIDUALS)
    p.add_argument("--no-cv", action="store_true", help="skip the cross-validation (scale 1)")
    p.add_argument("--cv-draws", type=int, default=CV_DRAWS)
    p.add_argument(
        "--cv-days",
        choices=("library", "stress"),
        default="library",
        help="days scored by the cross-validation: every library day (default) or the "
        "stress days only (31, in 10 episodes: coverage moves in steps of 3 points)",
    )
    args = p.parse_args(argv)
    import yaml

    series = load_series(args.data)
    F = day_frame(series)
    edges = fit_edges(F, args.start, args.end)
    edges["vix_reversion"] = vix_reversion(series, args.start, args.end)
    stress = stress_days(series, args.start, args.end)
    events = library_days(series, args.start, args.end)
    floors = vol_floor(F, args.start, args.end)
    kappa = float(edges["vix_reversion"]["value"])  # type: ignore[arg-type]
    blocks = residual_blocks(F, edges, events, args.end, kappa, floors)
    n_ev = blocks["event"].nunique()
    now = current_vols(F, floors)
    doc = {
        "generated_by": "scripts/calibrate_cascade.py",
        "generated_on": dt.date.today().isoformat(),
        "data": "../shared/data: " + "; ".join(f"{k} {v}" for k, v in FILES.items()),
        "method": "OLS on the model's day calendar (Asian session t has seen the US close "
        f"of t-1) of the target's daily change on the source's change at the edge's lag "
        f"and the {PROFILE} sessions after it (beta_1..beta_{PROFILE}), jointly with the "
        "target's other parents; range = [min(beta-2se, stress), max(beta+2se, stress)], "
        f"stress = through-origin fit on source moves <= {STRESS_MOVE} (single-parent "
        "edges); local_projection = cumulative target change over h sessions on the "
        "source move (h: [beta, se])",
        "residuals": {
            "file": args.residuals.name,
            "events": int(n_ev),
            "days": RESIDUAL_DAYS,
            "rule": f"fit-window days with QQQ <= {LIB_NDX:.1%} or SOXX <= {LIB_SOX:.2%} "
            "(close to close)",
            "window": [args.start, args.end],
            "standardised": f"each node's path / its realised daily volatility over the "
            f"{VOL_WINDOW} sessions before the day (at least its floor)",
        },
        "residual_scaling": {
            "what": "a draw's residual = standardised path x vol x scale; vol = the node's "
            f"realised daily volatility over the {VOL_WINDOW} sessions before the shock "
            "(here: the last ones in the data; gaemi.data.contagion_history.model_for_day "
            "sets it per test day), scale = width multiplier chosen by leave-one-episode-"
            f"out coverage of the 90% band on the {len(stress)} fit-window stress days "
            f"(QQQ <= -4% or SOXX <= -6%, {args.start}..{args.end}; target {CV_TARGET:.0%}); "
            f"floor = {FLOOR_FRAC} x the node's fit-window daily standard deviation",
            "nodes": {
                n: {
                    "vol": round(now[n][0], 6),
                    "as_of": now[n][1],
                    "floor": round(floors[n], 6),
                    "scale": 1.0,
                }
                for n in F.columns
            },
        },
        "edges": edges,
        # KOSPI's baseline stays kospi.csv's last close: the 2026 extension is transcribed
        "baselines": baselines({**series, "KOSPI": kospi_csv(args.data)}),
    }

    def write() -> None:
        args.out.write_text(
            "# Generated by scripts/calibrate_cascade.py from ../shared/data; do not edit.\n"
            + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )

    write()
    with args.residuals.open("w", encoding="utf-8") as fh:
        fh.write(
            "# Generated by scripts/calibrate_cascade.py: standardised residual daily changes "
            "(residual / the node's realised daily volatility before the day) on the days "
            "from each fit-window library day; do not edit.\n"
        )
        blocks.to_csv(fh, index=False, float_format="%.6g", lineterminator="\n")
    if not args.no_cv:
        ev_dates = [str(e) for e in blocks["event"].unique()]
        chosen, curves, summ = cross_validate(
            series, stress, ev_dates, floors, args.cv_draws, args.cv_days
        )
        sc = doc["residual_scaling"]
        for n, c in chosen.items():
            sc["nodes"][n]["scale_sessions"] = _sessions(*c)  # type: ignore[index]
        sc["cross_validation"] = {  # type: ignore[index]
            "method": "leave-one-episode-out (episodes: stress days less than "
            f"{CV_GAP} sessions apart; library paths within {CV_GAP} sessions of the "
            "episode left out too); multipliers for session 1, sessions 2-5, sessions 6+ "
            "chosen in turn so that the 1-, 5-, 20-session 90% band covers "
            f"{CV_TARGET:.0%} of the held-out outcomes (linear interpolation on the grid); "
            f"days: the fit-window stress days, for nodes with fewer than {CV_MIN_DAYS} "
            "of them with data (BTC, ALTS) the library days with their data",
            "episodes_gap_sessions": CV_GAP,
            "draws": args.cv_draws,
            "grid": list(CV_GRID),
            "coverage_by_scale": curves,
            "coverage_at_chosen": {
                f"{node} {h}": round(float(c), 3)
                for node, h, c in zip(
                    summ.index.get_level_values(0),
                    summ.index.get_level_values(1),
                    summ["coverage"],
                    strict=True,
                )
            },
        }
        write()
        print(summ.round(3).to_string())
    for k, v in edges.items():
        lp = v.get("local_projection")
        print(f"{k:18s} {v['value']:+.4f} ± {v['se']:.4f}  local projection {lp}")
    print(f"residual blocks: {n_ev} events x {RESIDUAL_DAYS} days -> {args.residuals}")
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
