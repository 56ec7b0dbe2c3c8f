"""Real fund history from issuer and aggregator files: AUM with its source, creations, NAV.

Reads a folder laid out like ``../shared/data`` through the validated readers of
:mod:`gaemi.data.importers.issuer_nav` (the issuer's daily NAV, shares and net assets —
the eight ProShares index funds) and :mod:`gaemi.data.importers.universe_snapshot` (the
monthly 2026 snapshots of the whole US leveraged universe), plus the index levels of
``index-levels/`` and the T-bill rate. Four results, each a plain table:

* :func:`aum_replay_check` — the AUM estimator used for every fund without daily data,
  checked where the truth is known (the ProShares Nasdaq-100 funds with their daily AUM
  withheld and only month-start snapshots given).
* :func:`creations_table` and :func:`stress_day_creations` — daily net creations
  C_t = ΔS·NAV, their relation to the same day's and the previous days' index moves, and
  on stress days the creations beside the modelled rebalancing flow.
* :func:`nav_tracking_table` — the NAV engine driven by the index each fund tracks
  against its reported NAV, with the financing spread fitted on a training window and
  the error reported out of sample.
* :func:`sourced_aum` — start-of-day AUM of any set of funds with ``aum_source`` (used
  by ``gaemi history``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.core.creations import (
    creation_regression,
    creations_frac,
    net_creations_usd,
    shares_from_aum,
)
from gaemi.core.history import SourcedAum, aum_from_anchors
from gaemi.core.nav import (
    discount_to_money_market_yield,
    fit_spread,
    leverage_schedule,
    scheduled_fund_returns,
)
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

ISSUER_DIR = "us-letf-nav-proshares"
UNIVERSE_DIR = "us-letf-universe-2026"
INDEX_DIR = "index-levels"
ADJCLOSE_DIR = "us-adjclose-1993-2026"


@dataclass(frozen=True)
class IssuerFund:
    """An issuer fund with daily data: leverage, underlying id, the index it tracks."""

    ticker: str
    leverage: float
    underlying: str
    index: str  # key of :func:`index_levels`


#: The eight ProShares funds of ``us-letf-nav-proshares/`` (PROVENANCE.md).
ISSUER_FUNDS: dict[str, IssuerFund] = {
    f.ticker: f
    for f in (
        IssuerFund("TQQQ", 3.0, "NDX", "XNDX"),
        IssuerFund("SQQQ", -3.0, "NDX", "XNDX"),
        IssuerFund("QLD", 2.0, "NDX", "XNDX"),
        IssuerFund("QID", -2.0, "NDX", "XNDX"),
        IssuerFund("UPRO", 3.0, "SPX", "SPXTR"),
        IssuerFund("SPXU", -3.0, "SPX", "SPXTR"),
        IssuerFund("SSO", 2.0, "SPX", "SPXTR"),
        IssuerFund("SDS", -2.0, "SPX", "SPXTR"),
    )
}
NDX_FUNDS: tuple[str, ...] = ("TQQQ", "SQQQ", "QLD", "QID")

#: Dated leverage changes, FACTS.md §(j): (launch leverage, [(first day, leverage), …]).
LEVERAGE_CHANGES: dict[str, tuple[float, tuple[tuple[str, float], ...]]] = {
    "TSLL": (1.5, (("2024-04-02", 2.0),)),
    "NVDL": (1.5, (("2024-01-22", 2.0),)),
    "MSTX": (1.75, (("2024-10-30", 2.0),)),
    "UVXY": (2.0, (("2018-02-28", 1.5),)),
    "SVXY": (-1.0, (("2018-02-28", -0.5),)),
}

#: Stress days of issue 16 for the creations table.
STRESS_DAYS: tuple[str, ...] = (
    "2020-03-16",
    "2022-09-13",
    "2025-04-03",
    "2025-04-04",
    "2025-04-09",
    "2025-10-10",
)

#: Trading days an anchor's shares are carried along the NAV before the far rule applies,
#: and the largest NAV move |ln NAV_t/NAV_anchor| it is carried over. Chosen on the eight
#: ProShares funds with only the five 2026 snapshot dates given, 2016–2025 (median |log
#: error| of A: long 0.20, inverse 0.60 — against 0.23 / 0.77 for the days limit alone and
#: 0.26 / 1.09 with a 0.1 move limit; docs/history.md). Constant shares fail once the
#: price runs (SOXS's price fell ~10x from 2025-04 to 2026-02).
CARRY_DAYS = 252
CARRY_MAX_LOG_MOVE = 0.5


# ----------------------------------------------------------------------------- loading
def _root(root: str | Path) -> Path:
    p = Path(root)
    if not p.is_dir():
        raise GaemiInputError(f"data-dir {str(p)!r} is not a folder")
    return p


def load_issuer_funds(
    root: str | Path, tickers: Sequence[str] | None = None
) -> dict[str, pd.DataFrame]:
    """The issuer daily files of ``root/us-letf-nav-proshares`` (those present), by ticker.

    Each frame is indexed by date (ascending) with ``nav_usd``, ``aum_usd`` and
    ``shares`` = aum/nav (one consistent, split-adjusted basis).
    """
    from gaemi.data.importers.issuer_nav import read_issuer_nav

    d = _root(root) / ISSUER_DIR
    out: dict[str, pd.DataFrame] = {}
    for t in tickers or tuple(ISSUER_FUNDS):
        f = d / f"{t}.csv"
        if not f.is_file():
            continue
        df = read_issuer_nav(f, ticker=t).set_index("date")
        df["shares"] = shares_from_aum(df["aum_usd"].to_numpy(), df["nav_usd"].to_numpy())
        out[t] = df[["nav_usd", "aum_usd", "shares"]]
    return out


def load_snapshots(root: str | Path) -> pd.DataFrame:
    """Every monthly universe snapshot of ``root/us-letf-universe-2026``, stacked.

    Columns of :func:`read_universe_snapshot` (``ticker``, ``underlying``, signed
    ``leverage``, ``aum_usd``, ``aum_as_of`` …). Empty when the folder is absent.
    """
    import pandas as pd

    from gaemi.data.importers.universe_snapshot import read_universe_snapshot

    d = _root(root) / UNIVERSE_DIR
    files = sorted(d.glob("leveraged_etf_data_*.csv")) if d.is_dir() else []
    if not files:
        return pd.DataFrame(columns=["ticker", "underlying", "leverage", "aum_usd", "aum_as_of"])
    frames = []
    for f in files:
        df = read_universe_snapshot(f)
        df.attrs = {}  # per-file notes; pandas cannot merge them across files
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _series(df: pd.DataFrame, date_col: str, value_col: str) -> pd.Series:
    import pandas as pd

    s = pd.Series(
        df[value_col].to_numpy(float), index=pd.DatetimeIndex(pd.to_datetime(df[date_col]))
    )
    s = s[np.isfinite(s.to_numpy()) & (s.to_numpy() > 0)]
    out: pd.Series = s[~s.index.duplicated(keep="last")].sort_index()
    return out


def index_levels(root: str | Path) -> dict[str, pd.Series]:
    """Index closes of ``root/index-levels``: XNDX (Nasdaq-100 total return), NDX (price,
    the Yahoo file's 3-line header), SPXTR (S&P 500 total return) — those present."""
    import pandas as pd

    d = _root(root) / INDEX_DIR
    out: dict[str, pd.Series] = {}
    for key in ("XNDX", "SPXTR"):
        f = d / f"{key}.csv"
        if f.is_file():
            df = pd.read_csv(f)
            if list(df.columns[:2]) != ["date", "close"]:
                raise GaemiInputError(f"{f}: expected columns date,close, got {list(df.columns)}")
            out[key] = _series(df, "date", "close")
    f = d / "NDX_yahoo.csv"
    if f.is_file():
        df = pd.read_csv(f, skiprows=3, header=None)
        if df.shape[1] < 3:
            raise GaemiInputError(f"{f}: expected the yfinance layout (Date, Adj Close, Close …)")
        out["NDX"] = _series(df.rename(columns={0: "date", 2: "close"}), "date", "close")
    return out


def adj_close(root: str | Path, ticker: str) -> pd.Series | None:
    """``us-adjclose-1993-2026/<ticker>.csv`` (Date, Close), or None when absent."""
    import pandas as pd

    f = _root(root) / ADJCLOSE_DIR / f"{ticker}.csv"
    if not f.is_file():
        return None
    df = pd.read_csv(f)
    if "Date" not in df.columns or "Close" not in df.columns:
        raise GaemiInputError(f"{f}: expected columns Date,Close")
    return _series(df, "Date", "Close")


def tbill_rate(root: str | Path) -> pd.Series:
    """The 13-week T-bill discount yield (^IRX close / 100), decimal per year."""
    s = adj_close(root, "IDX_IRX")
    if s is None:
        raise GaemiInputError(f"data-dir {str(root)!r} has no {ADJCLOSE_DIR}/IDX_IRX.csv")
    return s / 100.0


# ----------------------------------------------------------------------------- AUM
def month_start_snapshots(aum_usd: pd.Series) -> pd.Series:
    """The AUM on the first trading day of each month (NaN on the other days)."""
    import pandas as pd

    per = pd.DatetimeIndex(aum_usd.index).to_period("M")
    first = ~per.duplicated()
    return aum_usd.where(first)


def _rel_err_stats(est: np.ndarray, true: np.ndarray) -> dict[str, float]:
    ok = np.isfinite(est) & np.isfinite(true) & (true > 0)
    e = np.abs(est[ok] / true[ok] - 1.0)
    return {
        "n_days": int(ok.sum()),
        "median_abs_err": float(np.median(e)),
        "p95_abs_err": float(np.quantile(e, 0.95)),
        "max_abs_err": float(np.max(e)),
    }


def aum_replay_check(
    data_dir: str | Path,
    *,
    funds: Sequence[str] = NDX_FUNDS,
    start: str = "2015-01-01",
    end: str | None = None,
) -> dict[str, Any]:
    """K = Σ L(L−1)·A_{t−1} of ``funds`` from month-start snapshots vs the reported AUM.

    The issuer's daily AUM is withheld; only each month's first-day AUM is given (as for
    every fund without daily data, which has dated snapshots only). Three estimators of
    A_{t−1}: ``interpolated`` (the replay's: shares interpolated between the bracketing
    snapshots, carried beyond them, times the fund's own NAV —
    :func:`gaemi.core.history.aum_from_anchors`), ``plain_carry`` (the previous
    snapshot's shares × NAV: the baseline of issue 16) and ``reported`` (the daily AUM
    given: exact). Errors |K_est/K_true − 1| over the trading days of [start, end].
    """
    import pandas as pd

    frames = load_issuer_funds(data_dir, funds)
    missing = [t for t in funds if t not in frames]
    if missing:
        raise GaemiInputError(f"data-dir {str(data_dir)!r}: no {ISSUER_DIR}/{missing[0]}.csv")
    days = frames[funds[0]].index
    for t in funds[1:]:
        days = days.union(frames[t].index)
    lev = np.array([ISSUER_FUNDS[t].leverage for t in funds])
    nav = np.vstack([frames[t]["nav_usd"].reindex(days).to_numpy(float) for t in funds])
    rep = np.vstack([frames[t]["aum_usd"].reindex(days).to_numpy(float) for t in funds])
    snap = np.vstack([month_start_snapshots(frames[t]["aum_usd"]).reindex(days) for t in funds])
    est = aum_from_anchors(days.to_numpy(), nav, snap, ticker=list(funds)).aum_usd
    exact = aum_from_anchors(days.to_numpy(), nav, snap, rep, ticker=list(funds)).aum_usd
    carry_sh = pd.DataFrame((snap / nav).T, index=days).ffill().to_numpy().T
    plain = carry_sh * nav
    mult = (lev * (lev - 1.0))[:, None]

    def k_prev(a: np.ndarray) -> np.ndarray:
        k = np.nansum(mult * a, axis=0)
        out = np.full(k.shape, np.nan)
        out[1:] = k[:-1]
        return out

    k_true = k_prev(np.nan_to_num(rep))
    win = (days >= pd.Timestamp(start)) & (days <= (pd.Timestamp(end) if end else days[-1]))
    return {
        "funds": list(funds),
        "window": f"{days[win][0].date()}..{days[win][-1].date()}",
        "snapshots": "first trading day of each month (daily AUM withheld)",
        "interpolated": _rel_err_stats(k_prev(est)[win], k_true[win]),
        "plain_carry": _rel_err_stats(k_prev(plain)[win], k_true[win]),
        "reported": _rel_err_stats(k_prev(exact)[win], k_true[win]),
    }


def sourced_aum(
    days: pd.DatetimeIndex,
    tickers: Sequence[str],
    nav: np.ndarray,
    *,
    snapshots: pd.DataFrame | None = None,
    reported: Mapping[str, pd.Series] | None = None,
    fallback_aum: Mapping[str, tuple[str, float]] | None = None,
    far_scale: np.ndarray | None = None,
    carry_days: int = CARRY_DAYS,
    max_log_move: float | None = CARRY_MAX_LOG_MOVE,
) -> SourcedAum:
    """Start-of-day AUM of ``tickers`` on ``days`` with each figure's source.

    ``nav`` (n, T): each fund's own NAV/price path (NaN where not listed). ``snapshots``:
    stacked universe snapshots (ticker, aum_usd, aum_as_of); each is placed on the last
    trading day on or before its ``aum_as_of``. ``reported``: the issuer's daily AUM by
    ticker (exact, wins over snapshots). ``fallback_aum``: ticker → (date, AUM) for funds
    with no snapshot in ``snapshots`` (e.g. the embedded universe's dated figure).
    ``far_scale``: the level path used beyond ``carry_days`` (see
    :func:`gaemi.core.history.aum_from_anchors`).
    """
    import pandas as pd

    n, t = len(tickers), len(days)
    snap = np.full((n, t), np.nan)
    rep = np.full((n, t), np.nan)
    pos_of = {tk: i for i, tk in enumerate(tickers)}

    def place(i: int, when: Any, value: float) -> None:
        k = int(days.searchsorted(pd.Timestamp(when), side="right")) - 1
        if k >= 0 and np.isfinite(value) and value >= 0 and np.isfinite(nav[i, k]):
            snap[i, k] = value

    have_snap: set[str] = set()
    if snapshots is not None and len(snapshots):
        sel = snapshots[snapshots["ticker"].isin(pos_of)]
        for tk, when, a in zip(sel["ticker"], sel["aum_as_of"], sel["aum_usd"], strict=True):
            if pd.notna(when) and np.isfinite(a):
                place(pos_of[tk], when, float(a))
                have_snap.add(str(tk))
    for tk, (when, a) in (fallback_aum or {}).items():
        if tk in pos_of and tk not in have_snap and when:
            place(pos_of[tk], when, float(a))
    for tk, s in (reported or {}).items():
        if tk in pos_of:
            rep[pos_of[tk]] = s.reindex(days).to_numpy(float)
    return aum_from_anchors(
        days.to_numpy(),
        nav,
        snap,
        rep,
        far_scale=far_scale,
        carry_days=carry_days,
        max_log_move=max_log_move,
        ticker=list(tickers),
    )


# ----------------------------------------------------------------------------- creations
def _index_moves(levels: Mapping[str, pd.Series], key: str, days: pd.DatetimeIndex) -> np.ndarray:
    s = levels.get(key)
    if s is None:
        return np.full(len(days), np.nan)
    return np.asarray(s.pct_change().reindex(days).to_numpy(float))


def creations_table(
    data_dir: str | Path,
    *,
    start: str = "2011-01-01",
    lags: Sequence[int] = (0, 1, 2, 3),
    n_boot: int = 499,
    seed: int = 20151,
) -> pd.DataFrame:
    """Per issuer fund: C_t/A_{t−1} regressed on the index moves of days t … t−k.

    One row per fund and term (``move_lag0`` = same day, ``move_lag1`` = the previous
    day …, and ``cumulative`` = their sum) with the coefficient (fraction of assets per
    unit move), Newey–West 95 % CI, bootstrap CI, p-value and n, plus the fund's mean
    |C|/A. The index is the one the fund tracks (total return); days from ``start`` to
    the index's last day.
    """
    import pandas as pd

    frames = load_issuer_funds(data_dir)
    levels = index_levels(data_dir)
    rows: list[dict[str, Any]] = []
    for tk, df in frames.items():
        f = ISSUER_FUNDS[tk]
        if f.index not in levels:
            continue
        days = pd.DatetimeIndex(df.index)
        c = net_creations_usd(df["shares"].to_numpy(), df["nav_usd"].to_numpy())
        cf = creations_frac(c, df["aum_usd"].to_numpy())
        r = _index_moves(levels, f.index, days)
        keep = (days >= pd.Timestamp(start)) & (days <= levels[f.index].index[-1])
        fit = creation_regression(cf[keep], r[keep], lags, n_boot=n_boot, seed=seed)
        reg = fit.regression
        for i, name in enumerate(reg.names[1:], start=1):
            lo, hi = reg.ci_nw(i)
            rows.append(
                {
                    "ticker": tk,
                    "leverage": f.leverage,
                    "index": f.index,
                    "term": name,
                    "coef_frac_per_move": reg.coef[i],
                    "ci_nw_low": lo,
                    "ci_nw_high": hi,
                    "ci_boot_low": reg.ci_boot_low[i],
                    "ci_boot_high": reg.ci_boot_high[i],
                    "p_value": reg.p_value[i],
                    "n_obs": reg.n_obs,
                    "first_date": str(days[keep][0].date()),
                    "last_date": str(days[keep][-1].date()),
                    "mean_abs_creations_frac": float(np.nanmean(np.abs(cf[keep]))),
                    "r2": reg.r2,
                }
            )
        rows.append(
            {
                "ticker": tk,
                "leverage": f.leverage,
                "index": f.index,
                "term": "cumulative",
                "coef_frac_per_move": fit.cumulative,
                "ci_nw_low": fit.cumulative_ci[0],
                "ci_nw_high": fit.cumulative_ci[1],
                "ci_boot_low": float("nan"),
                "ci_boot_high": float("nan"),
                "p_value": float("nan"),
                "n_obs": reg.n_obs,
                "first_date": str(days[keep][0].date()),
                "last_date": str(days[keep][-1].date()),
                "mean_abs_creations_frac": float(np.nanmean(np.abs(cf[keep]))),
                "r2": reg.r2,
            }
        )
    return pd.DataFrame(rows)


def stress_day_creations(
    data_dir: str | Path, days_iso: Sequence[str] = STRESS_DAYS
) -> pd.DataFrame:
    """On each stress day, per underlying (NDX, SPX funds of the issuer data): the
    modelled rebalancing flow Σ L(L−1)·A_{t−1}·r_t (reported A, the tracked index's
    move), the real net creations Σ C_t and the exposure they add Σ L·C_t the same day
    and the next day, and the share of the rebalancing they offset."""
    import pandas as pd

    frames = load_issuer_funds(data_dir)
    levels = index_levels(data_dir)
    rows: list[dict[str, Any]] = []
    for d in days_iso:
        ts = pd.Timestamp(d)
        for und in ("NDX", "SPX"):
            tot = {"reb": 0.0, "c0": 0.0, "lc0": 0.0, "c1": 0.0, "lc1": 0.0, "a0": 0.0}
            move = float("nan")
            n = 0
            for tk, f in ISSUER_FUNDS.items():
                if f.underlying != und or tk not in frames or f.index not in levels:
                    continue
                df = frames[tk]
                if ts not in df.index:
                    continue
                k = int(df.index.searchsorted(ts))
                if k == 0 or k + 1 >= len(df):
                    continue
                lv = levels[f.index]
                if ts not in lv.index:
                    continue
                j = int(lv.index.searchsorted(ts))
                move = float(lv.iloc[j] / lv.iloc[j - 1] - 1.0)
                a_prev = float(df["aum_usd"].iloc[k - 1])
                sh, nav = df["shares"].to_numpy(), df["nav_usd"].to_numpy()
                c0 = (sh[k] - sh[k - 1]) * nav[k]
                c1 = (sh[k + 1] - sh[k]) * nav[k + 1]
                tot["reb"] += f.leverage * (f.leverage - 1.0) * a_prev * move
                tot["c0"] += c0
                tot["lc0"] += f.leverage * c0
                tot["c1"] += c1
                tot["lc1"] += f.leverage * c1
                tot["a0"] += a_prev
                n += 1
            if n == 0:
                continue
            rows.append(
                {
                    "date": d,
                    "underlying": und,
                    "n_funds": n,
                    "index_move_frac": move,
                    "aum_prev_usd": tot["a0"],
                    "rebalance_flow_usd": tot["reb"],
                    "net_creations_usd": tot["c0"],
                    "creation_trade_usd": tot["lc0"],
                    "net_creations_next_day_usd": tot["c1"],
                    "creation_trade_next_day_usd": tot["lc1"],
                    "offset_same_day_frac": -tot["lc0"] / tot["reb"] if tot["reb"] else np.nan,
                    "offset_two_days_frac": -(tot["lc0"] + tot["lc1"]) / tot["reb"]
                    if tot["reb"]
                    else np.nan,
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class DirectionalCreationBetas:
    """The measured creation coefficients of each class on falls and on rises (frozen).

    ``beta_down_by_class`` / ``beta_up_by_class``: C = β·A·r for r < 0 / r ≥ 0, with their
    Newey–West 95 % intervals; ``model`` is the one ``--creations measured`` uses
    (``direction`` or ``single``), chosen out of sample (``oos_check`` says how);
    ``train`` the fit window.
    """

    beta_down_by_class: dict[str, float]
    ci_down_by_class: dict[str, tuple[float, float]]
    beta_up_by_class: dict[str, float]
    ci_up_by_class: dict[str, tuple[float, float]]
    model: str
    oos_check: str
    train: tuple[str, str]

    def describe(self) -> str:
        """One line: each class's β on falls and on rises with CIs, the window, the check."""
        parts = [
            f"{c} down {b:+.3f} [{self.ci_down_by_class[c][0]:+.3f}, "
            f"{self.ci_down_by_class[c][1]:+.3f}] up {self.beta_up_by_class[c]:+.3f} "
            f"[{self.ci_up_by_class[c][0]:+.3f}, {self.ci_up_by_class[c][1]:+.3f}]"
            for c, b in self.beta_down_by_class.items()
        ]
        return (
            f"same-day creations per unit move by direction, fitted "
            f"{self.train[0]}..{self.train[1]}: " + "; ".join(parts) + f"; {self.oos_check}"
        )


#: The direction-dependent columns of ``defaults/creations_beta.csv``.
DIRECTION_COLUMNS: tuple[str, ...] = (
    "beta_down",
    "ci_down_low",
    "ci_down_high",
    "beta_up",
    "ci_up_low",
    "ci_up_high",
)


def load_directional_creation_betas(
    path: str | Path | None = None,
) -> DirectionalCreationBetas | None:
    """β_down and β_up per class from ``defaults/creations_beta.csv`` (or ``path``).

    None when the file has no direction columns (a table written before they existed:
    its single β is then the one used). A present but malformed value is one line
    naming the file, row and field (:class:`gaemi.errors.GaemiInputError`).
    """
    from gaemi.data.universe import (
        creation_beta_class,
        creation_beta_number,
        creation_beta_rows,
    )

    src, rows, fields = creation_beta_rows(path)
    if not set(DIRECTION_COLUMNS) <= fields:
        return None
    vals: dict[str, dict[str, float]] = {c: {} for c in DIRECTION_COLUMNS}
    models: set[str] = set()
    checks: set[str] = set()
    windows: set[tuple[str, str]] = set()
    for i, row in enumerate(rows, start=2):
        cls = creation_beta_class(row, src, i)
        for f in DIRECTION_COLUMNS:
            vals[f][cls] = creation_beta_number(row, f, src, i)
        model = (row.get("model") or "single").strip()
        if model not in ("single", "direction"):
            raise GaemiInputError(f"{src} row {i}: model = {model!r} must be single or direction")
        models.add(model)
        checks.add((row.get("oos_check") or "").strip())
        windows.add((row.get("train_first", ""), row.get("train_last", "")))
    if not rows:
        raise GaemiInputError(f"creations beta file {src}: no rows")
    if len(models) != 1:
        raise GaemiInputError(f"{src}: model = {sorted(models)} differs between rows")
    return DirectionalCreationBetas(
        beta_down_by_class=vals["beta_down"],
        ci_down_by_class={
            c: (vals["ci_down_low"][c], vals["ci_down_high"][c]) for c in vals["beta_down"]
        },
        beta_up_by_class=vals["beta_up"],
        ci_up_by_class={c: (vals["ci_up_low"][c], vals["ci_up_high"][c]) for c in vals["beta_up"]},
        model=models.pop(),
        oos_check="; ".join(sorted(c for c in checks if c)),
        train=(min(w[0] for w in windows), max(w[1] for w in windows)),
    )


def creation_offsets_by_model(
    data_dir: str | Path,
    days_iso: Sequence[str],
    betas: Mapping[str, Mapping[str, tuple[float, float]]],
) -> pd.DataFrame:
    """On each day, the share of the rebalancing the real and the modelled creations offset.

    For each day D and underlying (NDX, SPX) and for both together (``ALL``), over the
    issuer funds: the rebalancing flow R = Σ L(L−1)·A_{t−1}·r (reported A_{t−1}, the
    tracked total-return index's move r), the real creation trade Σ L·C_t
    (C_t = ΔS·NAV) and, per model of ``betas`` (name → class → (β_down, β_up); a
    single-β model gives the same β twice), the modelled Σ L·β(r)·A_{t−1}·r with
    β(r) = β_down for r < 0 and β_up for r ≥ 0. Offsets are −(creation trade)/R: 1
    cancels the rebalancing, < 0 adds to it. Columns: ``date``, ``underlying``,
    ``index_move_frac`` (NaN for ``ALL``), ``rebalance_flow_usd``,
    ``real_creation_trade_usd``, ``real_offset_frac``, and per model ``<name>_trade_usd``,
    ``<name>_offset_frac``. Days absent from the data are left out.
    """
    import pandas as pd

    from gaemi.core.creations import directional_beta, fund_class

    frames = load_issuer_funds(data_dir)
    levels = index_levels(data_dir)
    rows: list[dict[str, Any]] = []
    for d in days_iso:
        ts = pd.Timestamp(d)
        tot: dict[str, dict[str, float]] = {}
        moves: dict[str, float] = {}
        for tk, f in ISSUER_FUNDS.items():
            if tk not in frames or f.index not in levels:
                continue
            df, lv = frames[tk], levels[f.index]
            if ts not in df.index or ts not in lv.index:
                continue
            k, j = int(df.index.searchsorted(ts)), int(lv.index.searchsorted(ts))
            if k == 0 or j == 0:
                continue
            move = float(lv.iloc[j] / lv.iloc[j - 1] - 1.0)
            a_prev = float(df["aum_usd"].iloc[k - 1])
            sh, nav = df["shares"].to_numpy(), df["nav_usd"].to_numpy()
            lev = f.leverage
            cls = str(fund_class(lev))
            part = {
                "reb": lev * (lev - 1.0) * a_prev * move,
                "real": lev * (sh[k] - sh[k - 1]) * nav[k],
            }
            for name, by_class in betas.items():
                b_down, b_up = by_class[cls]
                part[name] = lev * float(directional_beta(b_down, b_up, move)) * a_prev * move
            for key in (f.underlying, "ALL"):
                acc = tot.setdefault(key, dict.fromkeys(part, 0.0))
                for n, v in part.items():
                    acc[n] += v
            moves[f.underlying] = move
        for key in sorted(tot, key=lambda k: (k == "ALL", k)):
            acc = tot[key]
            reb = acc["reb"]
            row: dict[str, Any] = {
                "date": d,
                "underlying": key,
                "index_move_frac": moves.get(key, float("nan")),
                "rebalance_flow_usd": reb,
                "real_creation_trade_usd": acc["real"],
                "real_offset_frac": -acc["real"] / reb if reb else float("nan"),
            }
            for name in betas:
                row[f"{name}_trade_usd"] = acc[name]
                row[f"{name}_offset_frac"] = -acc[name] / reb if reb else float("nan")
            rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- NAV engine
#: Files whose closes give a fund's distributions exactly (all under ``root``): Yahoo
#: layouts with both the raw (split-adjusted) close and the adjusted close, and the one
#: with a ``Dividends`` column. ``korea-equities/<T>_*.csv`` holds a raw close only; it
#: is paired with ``us-adjclose-1993-2026/<T>.csv``.
RAW_ADJ_DIRS: tuple[str, ...] = ("us-ohlcv-2000-2022", "us-ohlcv-2023-2026")
DIVIDEND_DIR = "us-letf-ohlcv-2024-2026"
RAW_CLOSE_DIR = "korea-equities"
#: Smallest adjusted/raw step read as a distribution (the files' own rounding of early,
#: small split-adjusted prices moves the ratio by up to ~5e-5; TQQQ's smallest payout,
#: 2014-06-25, is 1.7e-4 of the price).
RATIO_STEP_MIN = 1e-4


@dataclass(frozen=True)
class Distributions:
    """A fund's cash distributions as a fraction of the previous close, with coverage.

    ``yield_frac``: D/C_{t−1} on each ex-date; ``source``: where each came from
    (``exact: …`` from a file, ``quarterly from adj close vs NAV`` where no exact file
    covers the days); ``known_to``: the last day the series is complete (None when
    nothing is known: the NAV cannot be put on a total-return basis).
    """

    ticker: str
    yield_frac: pd.Series
    source: pd.Series
    known_to: pd.Timestamp | None
    note: str


def _steps_from_ratio(raw: pd.Series, adj: pd.Series) -> pd.Series:
    """D/C_{t−1} on each day where adjusted/raw steps up (Yahoo's adjusted close scales
    every close before an ex-date by 1 − D/C_{t−1})."""
    ratio = (adj / raw).dropna()
    ratio = ratio[np.isfinite(ratio.to_numpy()) & (ratio.to_numpy() > 0)]
    step = np.log(ratio).diff().iloc[1:]
    step = step[step > RATIO_STEP_MIN]
    return pd_series(-np.expm1(-step.to_numpy(float)), step.index)


def _yahoo_frame(f: Path) -> pd.DataFrame:
    import pandas as pd

    df = pd.read_csv(f)
    if "Date" not in df.columns or "Close" not in df.columns:
        raise GaemiInputError(f"{f}: expected columns Date,Close")
    idx = pd.DatetimeIndex(pd.to_datetime(df["Date"].astype(str).str[:10]))
    df = df.set_index(idx).sort_index()
    return df[~df.index.duplicated(keep="last")]


def _exact_distributions(root: Path, ticker: str) -> list[tuple[pd.Series, Any, Any, str]]:
    """(yield_frac, first day, last day, source) of every exact source present."""
    out: list[tuple[pd.Series, Any, Any, str]] = []
    f = root / DIVIDEND_DIR / f"{ticker}.csv"
    if f.is_file():
        df = _yahoo_frame(f)
        if "Dividends" in df.columns:
            c = df["Close"].astype(float)
            y = (df["Dividends"].astype(float) / c.shift(1)).iloc[1:]
            out.append((y[y > 0], df.index[0], df.index[-1], f"exact: {DIVIDEND_DIR} Dividends"))
    for d in RAW_ADJ_DIRS:
        f = root / d / f"{ticker}.csv"
        if f.is_file():
            df = _yahoo_frame(f)
            if "Adj Close" in df.columns:
                y = _steps_from_ratio(df["Close"].astype(float), df["Adj Close"].astype(float))
                out.append((y, df.index[0], df.index[-1], f"exact: {d} Adj Close/Close"))
    adj = adj_close(root, ticker)
    for f in sorted((root / RAW_CLOSE_DIR).glob(f"{ticker}_*.csv")):
        if adj is None:
            break
        raw = _yahoo_frame(f)["Close"].astype(float)
        both = raw.index.intersection(adj.index)
        if len(both) > 2:
            y = _steps_from_ratio(raw.loc[both], adj.loc[both])
            out.append((y, both[0], both[-1], f"exact: {ADJCLOSE_DIR} / {RAW_CLOSE_DIR} raw close"))
    return out


def fund_distributions(
    data_dir: str | Path,
    ticker: str,
    nav_usd: pd.Series | None = None,
    *,
    use_exact: bool = True,
) -> Distributions:
    """The cash distributions of ``ticker`` from the files of ``data_dir``.

    The issuer's NAV file is the per-share NAV: it drops on each ex-date by the cash paid
    out. ProShares funds distribute their net income (T-bill interest on the collateral
    less fees) quarterly, so the payouts scale with the short rate: TQQQ 1.8 % of NAV in
    2023, SQQQ ~9 % a year in 2023–2024. A NAV engine models the fund's total return, so
    its growth is compared with NAV × Π(1 + D/NAV) (:func:`nav_total_return`).

    Exact ex-dates and amounts come from every file that has them
    (:data:`DIVIDEND_DIR`'s ``Dividends`` column; the adjusted/raw close ratio of
    :data:`RAW_ADJ_DIRS` and of :data:`RAW_CLOSE_DIR` paired with the adjusted close).
    Days that no such file covers but the adjusted close does get, when ``nav_usd`` is
    given, one figure per calendar quarter: the step of ln(adjusted close / NAV) between
    the quarter ends (median of the last five days at each end, to damp the
    premium/discount), booked on the quarter's last day — accurate to the premium noise
    (a few bp), the ex-date itself approximate. ``use_exact=False`` uses the quarterly
    figures alone (to check them against the exact files).
    """
    import pandas as pd

    root = _root(data_dir)
    exact = _exact_distributions(root, ticker) if use_exact else []
    ys: dict[pd.Timestamp, float] = {}
    src: dict[pd.Timestamp, str] = {}
    covered: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    for y, a, b, label in exact:  # the Dividends column first: it wins on shared dates
        covered.append((pd.Timestamp(a), pd.Timestamp(b)))
        for t, v in zip(pd.DatetimeIndex(y.index), y.to_numpy(float), strict=True):
            if t not in ys:
                ys[pd.Timestamp(t)] = float(v)
                src[pd.Timestamp(t)] = label
    adj = adj_close(root, ticker)
    known_to: pd.Timestamp | None = max((b for _, b in covered), default=None)
    notes = sorted({lab for *_, lab in exact})
    if adj is not None and nav_usd is not None and len(nav_usd):
        logr = (np.log(adj) - np.log(nav_usd)).dropna()
        if len(logr) > 10:
            days = logr.index
            inside = np.zeros(len(days), dtype=bool)
            for a, b in covered:
                inside |= (days >= a) & (days <= b)
            med = logr.rolling(5, min_periods=1).median()
            q_end = days.to_series().groupby(days.to_period("Q")).max()
            bounds = sorted(set(q_end.to_numpy()) | {days[0], days[-1]})
            filled = 0
            for t0, t1 in itertools.pairwise(bounds):
                span = (days > t0) & (days <= t1)
                gap = days[span & ~inside]  # the days no exact file covers
                if not len(gap):
                    continue
                i0 = int(days.get_loc(gap[0]))
                t0, t1 = days[max(i0 - 1, 0)], gap[-1]
                v = float(np.expm1(med.loc[t1] - med.loc[t0]))
                ys[pd.Timestamp(t1)] = ys.get(pd.Timestamp(t1), 0.0) + v
                src[pd.Timestamp(t1)] = "quarterly from adj close vs NAV"
                filled += 1
            if filled:
                notes.append(f"quarterly from adj close vs NAV ({filled} quarters)")
            known_to = days[-1] if known_to is None else max(known_to, days[-1])
    idx = pd.DatetimeIndex(sorted(ys))
    yield_s = pd.Series([ys[t] for t in idx], index=idx, dtype=float)
    src_s = pd.Series([src[t] for t in idx], index=idx, dtype=object)
    note = "; ".join(notes) if notes else "no distribution data (raw NAV only)"
    return Distributions(ticker, yield_s, src_s, known_to, note)


def nav_total_return(nav_usd: pd.Series, dist: Distributions) -> pd.Series:
    """NAV with each distribution reinvested: NAV_t · Π_{ex ≤ t}(1 + D/NAV_{ex−1}),
    up to ``dist.known_to`` (the raw NAV when nothing is known)."""
    if dist.known_to is None:
        return nav_usd
    nav = nav_usd[nav_usd.index <= dist.known_to]
    f = (1.0 + dist.yield_frac).reindex(nav.index).fillna(1.0).cumprod()
    out: pd.Series = nav * f
    return out


@dataclass(frozen=True)
class NavSeries:
    """What one fund's NAV test compares: the fund's series, the driving index, terms."""

    ticker: str
    fund: pd.Series  # reported NAV with distributions (or the adjusted market close)
    index: pd.Series
    leverage: np.ndarray  # per day of ``fund``'s index
    expense_ratio: float
    compared_with: str
    index_name: str
    fund_price: pd.Series | None = None  # the reported per-share NAV, no distributions
    distributions: str = ""


def _with_fund(ns: NavSeries, fund: pd.Series) -> NavSeries:
    """``ns`` compared with another series of the same fund (leverage carried over)."""
    lev = pd_series(ns.leverage, ns.fund.index).reindex(fund.index).ffill().bfill()
    return replace(ns, fund=fund, leverage=lev.to_numpy(float))


def pd_series(values: Any, index: Any) -> pd.Series:
    """A pandas Series (pandas imported lazily, as everywhere in this module)."""
    import pandas as pd

    return pd.Series(values, index=index)


def _expense_ratio(ticker: str) -> float:
    from gaemi.data.universe import load_default_universe

    u = load_default_universe()
    hit = np.flatnonzero(u.ticker == ticker)
    if hit.size and np.isfinite(u.expense_ratio[hit[0]]):
        return float(u.expense_ratio[hit[0]])
    return 0.0095


def nav_inputs(data_dir: str | Path) -> list[NavSeries]:
    """Every fund with data the NAV engine can be tested on.

    The eight issuer funds against their reported NAV with the distributions added back
    (:func:`nav_total_return`; the raw NAV kept as ``fund_price``), driven by the
    total-return index they track (XNDX, SPXTR); and funds with only market closes
    (``us-adjclose``, Yahoo's adjusted close: distributions already reinvested) driven
    by their underlying's adjusted close: TSLL (TSLA) and NVDL (NVDA) with their leverage
    history (FACTS.md §(j)), SOXL/SOXS (SOXX, since 2021-09-01 when both track the ICE
    index), SPXL/SPXS (SPXTR).
    """
    import pandas as pd

    levels = index_levels(data_dir)
    out: list[NavSeries] = []
    for tk, df in load_issuer_funds(data_dir).items():
        f = ISSUER_FUNDS[tk]
        if f.index in levels:
            raw = df["nav_usd"]
            dist = fund_distributions(data_dir, tk, raw)
            s = nav_total_return(raw, dist)
            out.append(
                NavSeries(
                    tk,
                    s,
                    levels[f.index],
                    np.full(len(s), f.leverage),
                    _expense_ratio(tk),
                    "reported NAV + distributions"
                    if dist.known_to is not None
                    else "reported NAV (distributions unknown)",
                    f.index,
                    fund_price=raw,
                    distributions=dist.note,
                )
            )
    others = (
        ("TSLL", "TSLA", 2.0, None),
        ("NVDL", "NVDA", 2.0, None),
        ("SOXL", "SOXX", 3.0, "2021-09-01"),
        ("SOXS", "SOXX", -3.0, "2021-09-01"),
        ("SPXL", "SPXTR", 3.0, None),
        ("SPXS", "SPXTR", -3.0, None),
    )
    for tk, und, lev, since in others:
        fs = adj_close(data_dir, tk)
        us = levels.get(und) if und in levels else adj_close(data_dir, und)
        if fs is None or us is None:
            continue
        if since:
            fs = fs[fs.index >= pd.Timestamp(since)]
        if tk == "SOXS":  # the unadjusted 1:15 reverse split of 2026-05-26 (PROVENANCE.md)
            fs = fs[fs.index < pd.Timestamp("2026-05-26")]
        base, changes = LEVERAGE_CHANGES.get(tk, (lev, ()))
        sched = leverage_schedule(fs.index.to_numpy(), changes, base)
        sched = np.sign(lev) * np.abs(sched)
        out.append(
            NavSeries(tk, fs, us, sched, _expense_ratio(tk), "market close (no NAV file)", und)
        )
    return out


def _aligned(
    ns: NavSeries, rate: pd.Series, start: pd.Timestamp, end: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """(index moves, leverage, rate, calendar days, fund log growth, dates) over (start, end]."""
    import pandas as pd

    df = pd.concat(
        {"f": ns.fund, "u": ns.index, "irx": rate, "lev": pd.Series(ns.leverage, ns.fund.index)},
        axis=1,
        sort=True,
    )
    df["irx"] = df["irx"].ffill()
    df = df.dropna(subset=["f", "u", "lev"])
    df = df[(df.index >= start) & (df.index <= end)]
    if len(df) < 3:
        raise GaemiInputError(f"{ns.ticker}: fewer than 3 days in {start.date()}..{end.date()}")
    r = df["u"].pct_change().to_numpy()[1:]
    days = np.diff(df.index.to_numpy()).astype("timedelta64[D]").astype(float)
    rho = np.nan_to_num(discount_to_money_market_yield(df["irx"].shift(1).to_numpy()[1:]))
    lev = df["lev"].to_numpy()[1:]
    fund = np.diff(np.log(df["f"].to_numpy(float)))
    return r, lev, rho, days, fund, pd.DatetimeIndex(df.index[1:])


def _model_growth_log(
    ns: NavSeries,
    rate: pd.Series,
    start: pd.Timestamp,
    end: pd.Timestamp,
    spread: float,
    parameter: str = "spread",
) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex]:
    """Daily log growth of the model and of the fund over (start, end]. ``spread`` is
    the financing spread, or with ``parameter="turnover"`` the rebalancing cost."""
    r, lev, rho, days, fund, idx = _aligned(ns, rate, start, end)
    sp, tc = (spread, 0.0) if parameter == "spread" else (0.0, spread)
    rf = scheduled_fund_returns(
        r, lev, ns.expense_ratio, sp, rho, days / 360.0, days / 365.0, turnover_cost=tc
    )
    return np.log1p(np.maximum(rf, -1 + 1e-12)), fund, idx


def _fit(
    ns: NavSeries, rate: pd.Series, a: pd.Timestamp, b: pd.Timestamp, parameter: str = "spread"
) -> float:
    r, lev, rho, days, fund, _ = _aligned(ns, rate, a, b)
    growth = float(np.exp(fund.sum()))
    return fit_spread(
        r, growth, lev, ns.expense_ratio, rho, days / 360.0, days / 365.0, parameter=parameter
    )


def _err(
    ns: NavSeries, rate: pd.Series, a: Any, b: Any, s: float, parameter: str = "spread"
) -> tuple[float, float, int]:
    """(model growth / fund growth − 1, median |daily log error|, days) over (a, b]."""
    import pandas as pd

    m, f, _ = _model_growth_log(ns, rate, pd.Timestamp(a), pd.Timestamp(b), s, parameter)
    return float(np.expm1(m.sum() - f.sum())), float(np.median(np.abs(m - f))), int(m.size)


def _train_window(ns: NavSeries) -> tuple[pd.Timestamp, pd.Timestamp]:
    import pandas as pd

    first = max(ns.fund.index[0], ns.index.index[0])
    if first <= pd.Timestamp("2011-01-03"):
        return pd.Timestamp("2010-12-31"), pd.Timestamp("2014-12-31")
    return first, first + pd.DateOffset(years=1)


def nav_tracking_table(data_dir: str | Path, *, extras: bool = True) -> pd.DataFrame:
    """The NAV engine against every fund with data, fitted in sample, tested out of it.

    Per fund: the training window (2011–2014 for funds listed by then, else the first
    year), the financing spread fitted there (:func:`gaemi.core.nav.fit_spread`; the
    rate is the 13-week T-bill as a money-market yield, act/360 over calendar days, the
    fee act/365), and out of sample — everything after the training window to the last
    day both series share — the model's growth over the fund's (``full_err``), the same
    over the last five years (``five_year_err``), the median |daily log error|, and the
    walk-forward error (each calendar year with the spread fitted on the four years
    before it, or all earlier years when fewer exist; ``walk_forward_err``). The issuer
    funds are compared with their NAV plus distributions (:func:`nav_total_return`; the
    source in ``distributions``); ``full_err_price_nav`` is the same fit and test on the
    per-share NAV alone, which counts each payout as a loss. ``turnover_cost_fitted`` /
    ``full_err_turnover``: the one-parameter alternative, a cost on the day's rebalancing
    trade |L(L−1)·r|·NAV instead of the spread, fitted on the same window
    (``extras=False`` leaves these four columns NaN, for speed).
    """
    import pandas as pd

    rate = tbill_rate(data_dir)
    rows: list[dict[str, Any]] = []
    for ns in nav_inputs(data_dir):
        a, b = _train_window(ns)
        last = min(ns.fund.index[-1], ns.index.index[-1])
        try:
            s = _fit(ns, rate, a, b)
        except GaemiInputError as exc:
            rows.append({"ticker": ns.ticker, "note": str(exc)})
            continue
        full, med, n = _err(ns, rate, b, last, s)
        five0 = max(b, last - pd.DateOffset(years=5))
        five, _, _ = _err(ns, rate, five0, last, s)
        wf = _walk_forward(ns, rate, b, last)
        k = k_err = raw_err = raw_spread = float("nan")
        if extras:  # the one-parameter alternative: a cost on the rebalancing trade
            try:
                k = _fit(ns, rate, a, b, "turnover")
                k_err = _err(ns, rate, b, last, k, "turnover")[0]
            except GaemiInputError:
                k = k_err = float("nan")
        if extras and ns.fund_price is not None and ns.compared_with.endswith("+ distributions"):
            # the same fit and test on the per-share NAV without its distributions (the
            # comparison of the first issue-16 session): what the payouts change
            raw = _with_fund(ns, ns.fund_price)
            raw_spread = _fit(raw, rate, a, b)
            raw_err = _err(raw, rate, b, last, raw_spread)[0]
        rows.append(
            {
                "ticker": ns.ticker,
                "compared_with": ns.compared_with,
                "driven_by": ns.index_name,
                "leverage": "→".join(f"{v:g}" for v in dict.fromkeys(ns.leverage.tolist())),
                "expense_ratio": ns.expense_ratio,
                "train": f"{a.date()}..{b.date()}",
                "spread_fitted": s,
                "test": f"{b.date()}..{last.date()}",
                "test_days": n,
                "full_err": full,
                "five_year_test": f"{five0.date()}..{last.date()}",
                "five_year_err": five,
                "median_abs_daily_err": med,
                "walk_forward_err": wf,
                "distributions": ns.distributions,
                "turnover_cost_fitted": k,
                "full_err_turnover": k_err,
                "spread_fitted_price_nav": raw_spread,
                "full_err_price_nav": raw_err,
            }
        )
    return pd.DataFrame(rows)


def _walk_forward(ns: NavSeries, rate: pd.Series, first: Any, last: Any) -> float:
    """Growth error with each calendar year's spread fitted on the (up to) four years
    before it — every parameter from data before the day it is used."""
    import pandas as pd

    start = pd.Timestamp(first)
    total = 0.0
    year = start.year + 1 if start.month == 12 and start.day >= 28 else start.year
    while pd.Timestamp(f"{year}-01-01") <= last:
        a = max(pd.Timestamp(f"{year - 4}-12-31") - pd.DateOffset(days=0), ns.fund.index[0])
        a = max(a, ns.index.index[0])
        b = max(pd.Timestamp(f"{year - 1}-12-31"), start)
        y0 = max(pd.Timestamp(f"{year - 1}-12-31"), start)
        y1 = min(pd.Timestamp(f"{year}-12-31"), last)
        try:
            s = _fit(ns, rate, a, b)
            m, f, _ = _model_growth_log(ns, rate, y0, y1, s)
        except GaemiInputError:
            return float("nan")
        total += float(m.sum() - f.sum())
        year += 1
    return float(np.expm1(total))


def _yearly_residual(ns: NavSeries, rate: pd.Series, first: int, last: int) -> dict[str, float]:
    """Per calendar year, model log growth at spread 0 minus the fund's: the carry the
    fund paid beyond the short rate on (L−1)·NAV and the fee (a constant spread s on
    (L−1)·NAV reads (L−1)·s)."""
    import pandas as pd

    out: dict[str, float] = {}
    for y in range(first, last + 1):
        try:
            m, f, _ = _model_growth_log(
                ns, rate, pd.Timestamp(f"{y - 1}-12-31"), pd.Timestamp(f"{y}-12-31"), 0.0
            )
        except GaemiInputError:
            continue
        out[str(y)] = float(m.sum() - f.sum())
    return out


def financing_cost_by_year(
    data_dir: str | Path, first: int = 2011, last: int = 2025
) -> pd.DataFrame:
    """Per issuer fund and calendar year, the carry beyond rate and fee that its NAV
    (with distributions) implies: :func:`_yearly_residual` (log, per year), the same per
    unit of financed notional n(L) = L−1 (long) or |L| (inverse) — the spread a constant
    per-notional model would need that year — with the fund's mean AUM and the mean
    13-week bill. Funds without distribution data are left out (their per-share NAV
    reads each payout as a cost)."""
    import pandas as pd

    rate = tbill_rate(data_dir)
    frames = load_issuer_funds(data_dir)
    rows: list[dict[str, Any]] = []
    for ns in nav_inputs(data_dir):
        if ns.ticker not in frames or not ns.compared_with.endswith("+ distributions"):
            continue
        lev = float(ns.leverage[0])
        n_fin = max(lev - 1.0, 0.0) + max(-lev, 0.0)
        aum = frames[ns.ticker]["aum_usd"]
        for y, cost in _yearly_residual(ns, rate, first, last).items():
            rows.append(
                {
                    "ticker": ns.ticker,
                    "leverage": lev,
                    "year": int(y),
                    "carry_frac": cost,
                    "per_notional_frac": cost / n_fin,
                    "mean_aum_usd": float(aum.loc[y].mean()),
                    "mean_tbill_discount": float(rate.loc[y].mean()),
                }
            )
    return pd.DataFrame(rows)


def aum_spread_check(
    data_dir: str | Path,
    tickers: Sequence[str] = ("TQQQ", "UPRO"),
    train: tuple[int, int] = (2011, 2014),
    test: tuple[str, str] = ("2015-01-05", "2024-12-31"),
) -> dict[str, dict[str, float]]:
    """A size-dependent carry, fitted on ``train`` and tested on ``test``: the yearly
    carry beyond rate and fee (:func:`_yearly_residual`) regressed on the year's mean
    ln AUM over the training years, then charged daily as a + b·ln A_{t−1} (the issuer's
    reported AUM). Per fund: slope b (per unit ln AUM), intercept a, test growth error."""
    import pandas as pd

    rate = tbill_rate(data_dir)
    frames = load_issuer_funds(data_dir, tickers)
    out: dict[str, dict[str, float]] = {}
    for ns in nav_inputs(data_dir):
        if ns.ticker not in tickers or ns.ticker not in frames:
            continue
        aum = frames[ns.ticker]["aum_usd"]
        cost = _yearly_residual(ns, rate, train[0], train[1])
        years = [int(y) for y in cost]
        x = np.array([float(np.log(aum.loc[str(y)]).mean()) for y in years])
        b1, b0 = np.polyfit(x, np.array([cost[str(y)] for y in years]), 1)
        r, lev, rho, days, fund, idx = _aligned(
            ns, rate, pd.Timestamp(test[0]), pd.Timestamp(test[1])
        )
        a_prev = aum.shift(1).reindex(idx).ffill().to_numpy(float)
        rf = (
            scheduled_fund_returns(r, lev, ns.expense_ratio, 0.0, rho, days / 360.0, days / 365.0)
            - (b0 + b1 * np.log(a_prev)) * days / 365.0
        )
        err = float(np.expm1(np.log1p(np.maximum(rf, -1 + 1e-12)).sum() - fund.sum()))
        out[ns.ticker] = {"slope_per_ln_aum": float(b1), "intercept": float(b0), "err": err}
    return out


def tqqq_must_show(data_dir: str | Path) -> dict[str, Any]:
    """TQQQ 2015-01-05 → 2024-12-31 driven by the Nasdaq-100 total-return index (XNDX),
    against the reported NAV with its distributions added back, the spread fitted on
    2011–2014 only; the same against the per-share NAV alone (``*_price_nav``) and
    driven by the price index (``err_price_index``, NDX without dividends); and the
    year-by-year carry beyond rate and fee the NAV implies (spread 0), with the
    distributions per year.
    """
    import pandas as pd

    rate = tbill_rate(data_dir)
    ns = next(n for n in nav_inputs(data_dir) if n.ticker == "TQQQ")
    a, b = pd.Timestamp("2010-12-31"), pd.Timestamp("2014-12-31")
    w0, w1 = "2015-01-05", "2024-12-31"
    s = _fit(ns, rate, a, b)
    err, med, n = _err(ns, rate, w0, w1, s)
    err0, _, _ = _err(ns, rate, w0, w1, 0.0)
    growth = float(ns.fund.loc[w1] / ns.fund.loc[w0])
    wf = _walk_forward(ns, rate, b, pd.Timestamp(w1))
    k = _fit(ns, rate, a, b, "turnover")
    out: dict[str, Any] = {
        "window": f"{w0}..{w1}",
        "index": "XNDX (Nasdaq-100 total return)",
        "compared_with": ns.compared_with,
        "distributions": ns.distributions,
        "nav_total_return_growth": growth,
        "spread_fitted_2011_2014": s,
        "err_fitted_2011_2014": err,
        "err_spread_zero": err0,
        "median_abs_daily_err": med,
        "days": n,
        "walk_forward_err": wf,
        "turnover_cost_fitted_2011_2014": k,
        "err_turnover_2011_2014": _err(ns, rate, w0, w1, k, "turnover")[0],
        "implied_cost_by_year": _yearly_residual(ns, rate, 2011, 2025),
    }
    if ns.fund_price is not None:
        raw = _with_fund(ns, ns.fund_price)
        s_raw = _fit(raw, rate, a, b)
        out["reported_nav_growth"] = float(raw.fund.loc[w1] / raw.fund.loc[w0])
        out["spread_fitted_2011_2014_price_nav"] = s_raw
        out["err_fitted_2011_2014_price_nav"] = _err(raw, rate, w0, w1, s_raw)[0]
        out["walk_forward_err_price_nav"] = _walk_forward(raw, rate, b, pd.Timestamp(w1))
        out["implied_cost_by_year_price_nav"] = _yearly_residual(raw, rate, 2011, 2025)
        paid = fund_distributions(data_dir, "TQQQ", raw.fund).yield_frac
        years = pd.DatetimeIndex(paid.index).year
        out["distributions_by_year"] = {
            str(y): float(np.prod(1.0 + paid.to_numpy()[years == y]) - 1.0)
            for y in range(2011, 2026)
        }
    levels = index_levels(data_dir)
    if "NDX" in levels:
        px = replace(ns, index=levels["NDX"], index_name="NDX")
        s_px = _fit(px, rate, a, b)
        out["spread_fitted_2011_2014_price_index"] = s_px
        out["err_price_index"] = _err(px, rate, w0, w1, s_px)[0]
    out["mean_tbill_discount_by_year"] = {
        str(y): float(rate.loc[str(y)].mean()) for y in range(2011, 2026)
    }
    return out


def first_day(s: pd.Series) -> dt.date:
    """First date of a series (helper for notes)."""
    d: dt.date = s.index[0].date()
    return d
