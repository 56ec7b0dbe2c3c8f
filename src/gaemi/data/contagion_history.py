"""Real history for the contagion graph: the series, one day calendar, stress days, coverage.

Reads ../shared/data (never at package run time: only the calibration script, the
validation tests and ``gaemi validate`` call this). Files used (one per node):

=========  ===================================================================
NDX        us-adjclose-1993-2026/QQQ.csv (QQQ adjusted close as the NDX proxy)
SOX        us-adjclose-1993-2026/SOXX.csv (SOXX tracked PHLX SOX until mid-2021)
SPX        us-adjclose-1993-2026/SPY.csv
VIX        vix-cboe/vix-daily.csv (CBOE close)
USDKRW     fx-daily/DEXKOUS.csv (FRED noon buying rate in New York)
KOSPI      kospi-kr-rates/kospi.csv, extended after its last date by
           korea-2026/KOSPI_2026_transcribed.csv
SAMSUNG    korea-equities/005930.KS_2000_2026.csv (zero-volume stale rows dropped)
HYNIX      korea-equities/000660.KS_2000_2026.csv (zero-volume stale rows dropped)
JGB10Y     jgb-yields/jgbcm_all_iso.csv (MOF 10-year, percent)
BTC        crypto/BTC-USD_2014_2022.csv then crypto/BTC-USD_2020_2025.csv (UTC day)
ALTS       crypto/XRP-USD_2014_2022.csv (XRP as the altcoin proxy)
=========  ===================================================================

Time zones. Seoul closes (15:30 KST = 01:30/02:30 ET) before New York opens on the same
calendar date, and the FRED won rate is fixed at noon in New York, before the US close.
So the model's day t is: the Asian session on date t (it has seen the US close of
day t - 1, not of day t), then the US session t, then the crypto UTC day t (it closes at
00:00 UTC, after the US close). :func:`day_frame` puts every series on that calendar.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.core.contagion.model import CascadeModel, Node

#: Files read, by node (relative to the data folder) - named in every output.
FILES: dict[str, str] = {
    "NDX": "us-adjclose-1993-2026/QQQ.csv",
    "SOX": "us-adjclose-1993-2026/SOXX.csv",
    "SPX": "us-adjclose-1993-2026/SPY.csv",
    "VIX": "vix-cboe/vix-daily.csv",
    "USDKRW": "fx-daily/DEXKOUS.csv",
    "KOSPI": "kospi-kr-rates/kospi.csv + korea-2026/KOSPI_2026_transcribed.csv",
    "SAMSUNG": "korea-equities/005930.KS_2000_2026.csv",
    "HYNIX": "korea-equities/000660.KS_2000_2026.csv",
    "JGB10Y": "jgb-yields/jgbcm_all_iso.csv",
    "BTC": "crypto/BTC-USD_2014_2022.csv + crypto/BTC-USD_2020_2025.csv",
    "ALTS": "crypto/XRP-USD_2014_2022.csv",
}
#: Nodes whose session is Asian (they close before New York opens).
ASIAN = frozenset({"USDKRW", "KOSPI", "SAMSUNG", "HYNIX", "JGB10Y"})
#: Nodes whose change is absolute (percentage points), all others relative.
ABSOLUTE = frozenset({"JGB10Y"})
#: The out-of-sample stress rule of issue 18: QQQ <= -4 % or SOXX <= -6 % close to close.
STRESS_NDX = -0.04
STRESS_SOX = -0.06
#: Nodes and horizons (sessions) of the coverage table.
COVERAGE_NODES: tuple[str, ...] = ("VIX", "USDKRW", "KOSPI", "SAMSUNG", "HYNIX", "BTC")
HORIZONS: tuple[int, ...] = (1, 5, 20)


def _need(path: Path) -> Path:
    if not path.is_file():
        raise GaemiInputError(f"data file {path} not found (see ../shared/data/README.md)")
    return path


def _close(path: Path, date_col: str, value_col: str, skiprows: Sequence[int] = ()) -> pd.Series:
    import pandas as pd

    df = pd.read_csv(_need(path), skiprows=list(skiprows))
    s = pd.Series(
        pd.to_numeric(df[value_col], errors="coerce").to_numpy(),
        index=pd.to_datetime(df[date_col]),
        name=path.stem,
    )
    s = s.dropna().sort_index()
    return s.loc[~s.index.duplicated()]


def load_series(data_dir: str | Path) -> dict[str, pd.Series]:
    """Daily levels of every node, indexed by local trade date (files in :data:`FILES`).

    Raises
    ------
    GaemiInputError
        When a file is missing (one line naming it).
    """
    import pandas as pd

    data = Path(data_dir)
    us = data / "us-adjclose-1993-2026"
    out: dict[str, pd.Series] = {
        "NDX": _close(us / "QQQ.csv", "Date", "Close"),
        "SOX": _close(us / "SOXX.csv", "Date", "Close"),
        "SPX": _close(us / "SPY.csv", "Date", "Close"),
        "VIX": _close(data / "vix-cboe" / "vix-daily.csv", "DATE", "CLOSE"),
        "USDKRW": _close(data / "fx-daily" / "DEXKOUS.csv", "observation_date", "DEXKOUS"),
        "JGB10Y": _close(data / "jgb-yields" / "jgbcm_all_iso.csv", "Date", "Y10"),
    }
    kospi = _close(data / "kospi-kr-rates" / "kospi.csv", "date", "close")
    k26 = data / "korea-2026" / "KOSPI_2026_transcribed.csv"
    if k26.is_file():
        extra = _close(k26, "date", "close")
        kospi = pd.concat([kospi, extra.loc[extra.index > kospi.index[-1]]])
    out["KOSPI"] = kospi
    krx = (("SAMSUNG", "005930.KS_2000_2026.csv"), ("HYNIX", "000660.KS_2000_2026.csv"))
    for node, fname in krx:
        df = pd.read_csv(_need(data / "korea-equities" / fname))
        df = df[df["Volume"] > 0]
        out[node] = pd.Series(
            df["Close"].to_numpy(float), index=pd.to_datetime(df["Date"]), name=node
        ).sort_index()
    btc_old = _close(data / "crypto" / "BTC-USD_2014_2022.csv", "Date", "Close")
    btc_new = _close(data / "crypto" / "BTC-USD_2020_2025.csv", "Price", "Close", skiprows=(1, 2))
    out["BTC"] = pd.concat([btc_old.loc[btc_old.index < btc_new.index[0]], btc_new])
    out["ALTS"] = _close(data / "crypto" / "XRP-USD_2014_2022.csv", "Date", "Close")
    return out


def day_frame(series: Mapping[str, pd.Series], us_node: str = "NDX") -> pd.DataFrame:
    """Every node's change on the model's day calendar (the US trading days of ``us_node``).

    Row t holds: for an Asian node, its change over its sessions dated in
    (US day t-1, US day t] (the sessions that saw the US close of t-1 but not of t);
    for a US node, its change on day t; for BTC / ALTS, the change from the UTC close of
    the calendar day before US day t - 1 ... precisely, from the close on the date of
    US day t-1 to the close on the date of US day t. Relative nodes: simple returns over
    the interval; JGB10Y: difference in percentage points. NaN when the node has no
    observation on both ends.
    """
    import pandas as pd

    days = pd.DatetimeIndex(series[us_node].index)
    out: dict[str, Any] = {}
    for node, s in series.items():
        s = s.dropna()
        # level at the last observation on or before each US date
        pos = s.index.searchsorted(days, side="right") - 1
        lvl = np.where(pos >= 0, s.to_numpy()[np.maximum(pos, 0)], np.nan)
        obs_date = np.where(pos >= 0, s.index.to_numpy()[np.maximum(pos, 0)], np.datetime64("NaT"))
        lvl_s = pd.Series(lvl, index=days)
        ch = lvl_s - lvl_s.shift(1) if node in ABSOLUTE else lvl_s / lvl_s.shift(1) - 1.0
        # the last observation must be recent (not a stale level across a data gap)
        stale = np.asarray((days.to_numpy() - obs_date) > np.timedelta64(7, "D"), dtype=bool)
        ch = ch.where(pd.Series(~stale, index=days))
        out[node] = ch
    return pd.DataFrame(out, index=days)


def stress_days(
    series: Mapping[str, pd.Series], start: str, end: str | None = None
) -> list[pd.Timestamp]:
    """US trading days in [start, end] with QQQ <= -4 % or SOXX <= -6 % (close to close)."""
    import pandas as pd

    ndx = series["NDX"].pct_change()
    sox = series["SOX"].pct_change().reindex(ndx.index)
    hit = (ndx <= STRESS_NDX) | (sox <= STRESS_SOX)
    sel = hit.loc[start:end] if end else hit.loc[start:]
    return [pd.Timestamp(d) for d in sel.index[sel.to_numpy(dtype=bool)]]


def _base_and_path(
    s: pd.Series,
    d: pd.Timestamp,
    asian: bool,
    us_days: pd.DatetimeIndex,
    horizons: Sequence[int],
    crypto: bool = False,
) -> tuple[float, list[float]]:
    """The level before the shock's news and the levels ``h`` sessions after it.

    Asian node: base = last close on or before d (Seoul closed before New York opened),
    session h = the h-th observation strictly after d. US node: base = last close before
    d, session h = the h-th observation from d on. Crypto (UTC days): sampled on the US
    trading days; base = the close of the calendar day before d.
    """
    s = s.dropna()
    if asian:
        b = s.loc[:d]
        base = float(b.iloc[-1]) if len(b) else np.nan
        after = s.loc[s.index > d]
    elif crypto:
        b = s.loc[: d - np.timedelta64(1, "D")]
        base = float(b.iloc[-1]) if len(b) else np.nan
        after = s.reindex(us_days[us_days >= d])
        gap = np.flatnonzero(after.isna().to_numpy())
        if gap.size:  # the crypto file ended: cut at its end
            after = after.iloc[: int(gap[0])]
    else:
        b = s.loc[s.index < d]
        base = float(b.iloc[-1]) if len(b) else np.nan
        after = s.loc[s.index >= d]
    path = [float(after.iloc[h - 1]) if h - 1 < len(after) else np.nan for h in horizons]
    return base, path


#: Sessions of realised volatility before a shock that scale the residuals (the regime
#: measure known at the shock; scripts/calibrate_cascade.py standardises by the same).
VOL_WINDOW = 20
#: Fewest finite changes among those sessions for a volatility (else the floor).
VOL_MIN_OBS = 10


def pre_shock_vol(
    frame: pd.DataFrame,
    row: int,
    floor: Mapping[str, float] | None = None,
    window: int = VOL_WINDOW,
) -> dict[str, float]:
    """Every node's realised daily volatility (sample standard deviation of its changes
    on the day calendar, :func:`day_frame`) over the ``window`` rows before ``row`` —
    what is known when the shock of row ``row`` happens. At least ``floor[node]`` (a
    stale or flat stretch would make it ~0); NaN with fewer than VOL_MIN_OBS changes
    and no floor."""
    flo = floor or {}
    blk = frame.iloc[max(0, row - window) : row]
    out: dict[str, float] = {}
    for node in frame.columns:
        x = blk[node].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        v = float(np.std(x, ddof=1)) if x.size >= VOL_MIN_OBS else np.nan
        f = float(flo.get(node, np.nan))
        out[node] = max(v, f) if np.isfinite(v) and np.isfinite(f) else (v if np.isfinite(v) else f)
    return out


def vol_floors() -> dict[str, float]:
    """The volatility floors of the default calibration (``residual_scaling.nodes.*.floor``
    of cascade_calibration.yaml); empty when it has none."""
    from gaemi.data.cascade import DEFAULTS, read_yaml

    doc = read_yaml(DEFAULTS / "cascade_calibration.yaml")
    sc = doc.get("residual_scaling") if isinstance(doc, Mapping) else None
    nodes = sc.get("nodes", {}) if isinstance(sc, Mapping) else {}
    return {str(k): float(v["floor"]) for k, v in nodes.items() if "floor" in v}


def model_for_day(
    model: CascadeModel,
    levels: Mapping[str, float],
    vols: Mapping[str, float] | None = None,
) -> CascadeModel:
    """The model with its close feedback off (a realised close already contains it) and
    the baselines set to the given levels (nodes outside ``levels`` keep theirs); with
    ``vols`` (:func:`pre_shock_vol`), a node with standardised residuals is run at that
    realised volatility (nodes outside ``vols`` or with a NaN keep theirs)."""
    from gaemi.core.contagion.model import CascadeModel as Model

    v = {k: float(x) for k, x in (vols or {}).items() if np.isfinite(x) and x > 0}
    nodes = tuple(
        replace(
            n,
            close_feedback=None,
            baseline=float(levels.get(n.id, n.baseline)),
            residual_vol=v.get(n.id, n.residual_vol) if n.residual_vol is not None else None,
        )
        for n in model.nodes
    )
    # the narrative steps are dropped: they name feedback events that no longer exist
    return Model(model.name, nodes, model.edges, model.shocks, model.horizon_days, (), "")


def coverage_table(
    model: CascadeModel,
    series: Mapping[str, pd.Series],
    days: Sequence[pd.Timestamp],
    *,
    nodes: Sequence[str] = COVERAGE_NODES,
    horizons: Sequence[int] = HORIZONS,
    draws: int = 1000,
    seed: int = 0,
    band: tuple[float, float] = (0.05, 0.95),
    shock_nodes: Sequence[str] = ("NDX", "SOX"),
    residuals: bool = True,
    floor: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Shock the model with each day's realised moves and compare with what happened.

    For each day ``d``: the shock nodes get their realised close-to-close move on model
    day 0; the Monte Carlo (``draws``, ``seed``) gives the 90 % band of every node's
    change ``h`` sessions after the shock (a US or crypto node's session 1 is day 0, an
    Asian node's is day 1: Seoul has not seen day 0's US close); the central run
    (every parameter at its central value) gives the point forecast. ``residuals=False``
    gives bands from parameter uncertainty alone (the method before issue 18). A node
    with standardised residuals is run at its realised volatility of the VOL_WINDOW
    sessions before ``d`` (:func:`pre_shock_vol`, floors ``floor`` or those of the
    default calibration): known at the shock, nothing after it.

    Returns
    -------
    DataFrame
        One row per (date, node, horizon): ``actual``, ``central``, ``lo``, ``hi``,
        ``inside`` (lo <= actual <= hi), ``abs_err`` (central), ``abs_err_zero``
        (the "no change" forecast); NaN where the data has no observation.
    """
    import pandas as pd

    from gaemi.core.contagion import Shock, simulate

    us_days = pd.DatetimeIndex(series["NDX"].index)
    H = max(horizons) + 1
    rows: list[dict[str, Any]] = []
    q = (band[0], 0.5, band[1])
    scaled = any(n.residual_vol is not None for n in model.nodes)
    frame = day_frame(series) if scaled else None
    floors = vol_floors() if scaled and floor is None else (floor or {})
    for d in days:
        levels: dict[str, float] = {}
        actual: dict[str, list[float]] = {}
        for nid in {*nodes, *shock_nodes}:
            base, path = _base_and_path(
                series[nid], d, nid in ASIAN, us_days, horizons, nid in ("BTC", "ALTS")
            )
            levels[nid] = base
            actual[nid] = path
        if not all(np.isfinite(levels[n]) for n in shock_nodes):
            continue
        shocks = []
        for n in shock_nodes:
            mv = actual[n][0] / levels[n] - 1.0 if n not in ABSOLUTE else actual[n][0] - levels[n]
            shocks.append(Shock(n, 0, float(mv), f"realised {d.date()}"))
        usable = {k: v for k, v in levels.items() if np.isfinite(v)}
        vols = None
        if frame is not None:
            vols = pre_shock_vol(frame, int(frame.index.searchsorted(d)), floors)
        m = model_for_day(model, usable, vols).with_horizon(H).with_shocks(shocks)
        central = simulate(m, deterministic=True, log_events=False)
        mc = simulate(
            m,
            draws,
            rng=seed,
            quantiles=q,
            log_events=False,
            keep_paths=False,
            residuals=residuals,
        )
        for nid in nodes:
            if not np.isfinite(levels[nid]):
                continue
            i = m.index(nid)
            node = m.nodes[i]
            off = 1 if node.session == "asia" else 0
            for h, act in zip(horizons, actual[nid], strict=True):
                col = h + off
                rel, b0 = node.change == "relative", node.baseline

                def ch(x: float, rel: bool = rel, b0: float = b0) -> float:
                    return x / b0 - 1.0 if rel else x - b0

                a = ch(act) if np.isfinite(act) else np.nan
                lo = ch(float(mc.band_path[0, i, col]))
                hi = ch(float(mc.band_path[2, i, col]))
                c = ch(float(central.mean_path[i, col]))
                rows.append(
                    {
                        "date": d.date().isoformat(),
                        "node": nid,
                        "h": h,
                        "ndx_move": shocks[0].move,
                        "actual": a,
                        "central": c,
                        "lo": lo,
                        "hi": hi,
                        "inside": bool(lo <= a <= hi) if np.isfinite(a) else np.nan,
                        "abs_err": abs(c - a) if np.isfinite(a) else np.nan,
                        "abs_err_zero": abs(a) if np.isfinite(a) else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def coverage_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per node and horizon: days scored, band coverage, MAE of the central path and of
    "no change", and their ratio (< 1: the model beats "no change")."""
    t = table.dropna(subset=["actual"])
    g = t.groupby(["node", "h"], sort=False)
    out = g.agg(
        n=("actual", "size"),
        coverage=("inside", "mean"),
        mae_model=("abs_err", "mean"),
        mae_zero=("abs_err_zero", "mean"),
    )
    out["mae_ratio"] = out["mae_model"] / out["mae_zero"]
    out["coverage"] = out["coverage"].astype(float)
    return out


#: First day of the out-of-sample test window (the fit window ends on 2019-12-31).
TEST_START = "2020-01-01"


@dataclass(frozen=True)
class Coverage:
    """The contagion scorecard: test days, per-row table and per node/horizon summary."""

    days: tuple[str, ...]
    table: pd.DataFrame
    summary: pd.DataFrame
    files: Mapping[str, str]
    fit_window: tuple[str, str]
    draws: int
    seed: int


def contagion_coverage(
    data_dir: str | Path,
    model: CascadeModel | None = None,
    *,
    draws: int = 1000,
    seed: int = 0,
    start: str = TEST_START,
) -> Coverage:
    """Coverage of the default cascade's 90 % bands and its error against "no change" on
    the stress days since ``start`` (QQQ <= -4 % or SOXX <= -6 %), read from
    ``data_dir`` (../shared/data). The model is fitted on 2004-2019 only
    (scripts/calibrate_cascade.py); every test day is after its fit window."""
    from gaemi.data.cascade import DEFAULTS, load_calibration, load_cascade

    m = model if model is not None else load_cascade()
    cal = load_calibration(DEFAULTS / "cascade_calibration.yaml")
    wins = [tuple(map(str, e["window"])) for e in cal.values() if "window" in e]
    series = load_series(data_dir)
    days = stress_days(series, start)
    table = coverage_table(m, series, days, draws=draws, seed=seed)
    return Coverage(
        tuple(d.date().isoformat() for d in days),
        table,
        coverage_summary(table),
        dict(FILES),
        (min(w[0] for w in wins), max(w[1] for w in wins)),
        draws,
        seed,
    )


def _with_scale(n: Node, scale: float | Sequence[float] | None) -> Node:
    if scale is None:
        return n
    if isinstance(scale, int | float):
        return replace(n, residual_scale=float(scale))
    return replace(n, residual_scale=1.0, residual_scale_sessions=tuple(map(float, scale)))


def episodes(days: Sequence[pd.Timestamp], us_days: pd.DatetimeIndex, gap_days: int) -> list[int]:
    """Episode number of each (sorted) day: a new episode when more than ``gap_days`` US
    sessions separate two consecutive days."""
    pos = [int(us_days.searchsorted(e)) for e in days]
    out = [0] if pos else []
    for a, b in itertools.pairwise(pos):
        out.append(out[-1] + int(b - a > gap_days))
    return out


def episode_coverage(
    model: CascadeModel,
    series: Mapping[str, pd.Series],
    *,
    gap_days: int = 40,
    draws: int = 500,
    seed: int = 0,
    events: Sequence[str] | None = None,
    days: Sequence[pd.Timestamp] | None = None,
    nodes: Sequence[str] = COVERAGE_NODES,
    scales: Mapping[str, float | Sequence[float]] | None = None,
    floor: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Leave-one-episode-out (block) coverage on the fit window itself.

    ``days`` (default: the stress days of 2004-2019, :func:`stress_days`) are grouped
    into episodes (a new episode when more than ``gap_days`` US sessions separate two
    days); each episode's days are scored (:func:`coverage_table`) with the residual
    rows of the model whose event date (``events``, one ISO date per row; default: the
    2004-2019 stress days) lies more than ``gap_days`` sessions from every day of the
    episode — no residual path of the held-out episode, nor of its neighbourhood, is
    used to score it. ``scales``: node id → residual_scale to run with, or a sequence:
    its residual_scale_sessions (with residual_scale 1) — the cross-validation of
    scripts/calibrate_cascade.py. Returns the per-row table of
    :func:`coverage_table`, with an ``episode`` column.
    """
    import pandas as pd

    from gaemi.core.contagion.model import CascadeModel as Model

    test = list(days) if days is not None else stress_days(series, "2004-01-01", "2019-12-31")
    ev = (
        [pd.Timestamp(e) for e in events]
        if events is not None
        else stress_days(series, "2004-01-01", "2019-12-31")
    )
    n_rows = {n.residual.shape[0] for n in model.nodes if n.residual is not None}
    if n_rows != {len(ev)}:
        raise GaemiInputError(
            f"episode_coverage: the model's residual tables have {sorted(n_rows)} events, "
            f"events has {len(ev)} dates"
        )
    us_days = pd.DatetimeIndex(series["NDX"].index)
    episode = episodes(test, us_days, gap_days)
    ev_pos = np.array([int(us_days.searchsorted(e)) for e in ev])
    sc = dict(scales or {})
    out = []
    for ep in sorted(set(episode)):
        mine = [test[k] for k, e in enumerate(episode) if e == ep]
        lo = int(us_days.searchsorted(mine[0])) - gap_days
        hi = int(us_days.searchsorted(mine[-1])) + gap_days
        keep = np.flatnonzero((ev_pos < lo) | (ev_pos > hi))
        new_nodes = tuple(
            _with_scale(replace(n, residual=n.residual[keep]), sc.get(n.id))
            if n.residual is not None
            else n
            for n in model.nodes
        )
        m = Model(model.name, new_nodes, model.edges, model.shocks, model.horizon_days, (), "")
        t = coverage_table(m, series, mine, nodes=nodes, draws=draws, seed=seed, floor=floor)
        t["episode"] = ep
        out.append(t)
    return pd.concat(out, ignore_index=True)


@dataclass(frozen=True)
class SessionCheck:
    """A Korean-session day scored: the band of ``node`` when ``shocked`` are given their
    realised moves on that session (after the previous US session's realised NDX and SOX
    moves), against what ``node`` did."""

    day: str
    node: str
    shocked: tuple[str, ...]
    actual: float
    lo: float
    hi: float
    central: float

    @property
    def inside(self) -> bool:
        return self.lo <= self.actual <= self.hi


def korean_session_check(
    series: Mapping[str, pd.Series],
    model: CascadeModel,
    day: str = "2026-03-04",
    *,
    node: str = "KOSPI",
    shocked: Sequence[str] = ("SAMSUNG", "HYNIX"),
    draws: int = 2000,
    seed: int = 0,
    band: tuple[float, float] = (0.05, 0.95),
) -> SessionCheck:
    """Shock the Korean session of ``day`` on ``shocked`` (their realised close-to-close
    moves) after the previous US session (day 0: its realised NDX and SOX moves; the
    Korean session is day 1) and return ``node``'s band on that session. Baselines are
    the levels before the US session; the residuals run at the realised volatility of
    the 20 sessions before it (:func:`pre_shock_vol`) — nothing after the shock."""
    import pandas as pd

    from gaemi.core.contagion import Shock, simulate

    d1 = pd.Timestamp(day)
    us = series["NDX"].index
    d0 = pd.Timestamp(us[us < d1][-1])

    def move(n: str, d: pd.Timestamp) -> float:
        s = series[n].dropna()
        if d not in s.index:
            raise GaemiInputError(f"day = {d.date()}: no {n} close in the data")
        i = int(s.index.get_loc(d))  # type: ignore[arg-type]
        return float(s.iloc[i] / s.iloc[i - 1] - 1.0)

    levels = {n: float(series[n].dropna().loc[:d0].iloc[-1]) for n in ASIAN if n in series}
    for n in ("NDX", "SOX", "SPX", "VIX", "BTC", "ALTS"):
        s = series[n].dropna()
        levels[n] = float(s.loc[s.index < d0].iloc[-1])
    frame = day_frame(series)
    vols = pre_shock_vol(frame, int(frame.index.searchsorted(d0)), vol_floors())
    base = model_for_day(model, levels, vols).with_horizon(3)
    shocks = [Shock("NDX", 0, move("NDX", d0)), Shock("SOX", 0, move("SOX", d0))]
    shocks += [Shock(n, 1, move(n, d1)) for n in shocked]
    m = base.with_shocks(shocks)
    r = simulate(m, draws, rng=seed, quantiles=(band[0], 0.5, band[1]), log_events=False)
    c = simulate(m, deterministic=True, log_events=False)
    i = m.index(node)
    b = m.nodes[i].baseline
    return SessionCheck(
        d1.date().isoformat(),
        node,
        tuple(shocked),
        move(node, d1),
        float(r.band_path[0, i, 2] / b - 1),
        float(r.band_path[2, i, 2] / b - 1),
        float(c.mean_path[i, 2] / b - 1),
    )
