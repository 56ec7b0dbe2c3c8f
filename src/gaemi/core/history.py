"""History replay: fund AUM paths, each day's required close flow, and reversal statistics.

Three pure pieces over NumPy arrays (dates on the last axis):

* :func:`reconstruct_aum` — a fund's AUM path from a dated AUM snapshot and its NAV path,
  ``A_t = S_t·NAV_t``; where shares outstanding ``S_t`` are observed they are used, elsewhere
  the shares of the nearest later anchor (an observed day or the snapshot) are held
  constant, so AUM moves with NAV only — creations and redemptions are not seen. Every
  day is marked ``observed``, ``snapshot``, ``estimated`` or ``not_listed``.
* :func:`replay_flows` — each fund's required close trade ΔE = L(L−1)·A_{t−1}·r_t from the
  previous close's AUM and the day's move, summed per underlying, the pressure ratio
  |flow| / closing capacity and, given a feedback model per underlying vectorised over
  days, the loop's share of the observed close r − r₀ with r₀ = ``implied_shock_frac(r)``.
  Day t uses nothing after the close of t; the next day's move is kept as an outcome.
* :func:`ols_hac` — OLS of the next-day move on the day's flow-to-liquidity with
  Newey–West (Bartlett) standard errors and a moving-block bootstrap interval: the test
  of temporary price pressure (a reversal the next day) of Bai, Bond & Hatch (2015).

References
----------
Cheng, M. & Madhavan, A. (2009). The dynamics of leveraged and inverse exchange-traded
funds. Journal of Investment Management 7(4).
Bai, Q., Bond, S. A. & Hatch, B. (2015). The impact of leveraged and inverse ETFs on
underlying real estate returns. Real Estate Economics 43(1), 37–66.
Newey, W. K. & West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity
and autocorrelation consistent covariance matrix. Econometrica 55(3), 703–708.
Künsch, H. R. (1989). The jackknife and the bootstrap for general stationary
observations. Annals of Statistics 17(3) (moving-block bootstrap).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gaemi.core.feedback import StressModel, implied_shock_frac
from gaemi.core.flows import rebalance_flow_usd, rebalance_multiplier
from gaemi.core.liquidity import pressure_ratio
from gaemi.core.universe import FloatArray, StrArray
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

DateArray = NDArray[np.datetime64]
BoolArray = NDArray[np.bool_]

#: Codes of :attr:`AumPath.basis`.
NOT_LISTED, ESTIMATED, SNAPSHOT, OBSERVED = 0, 1, 2, 3
BASIS_NAMES: tuple[str, ...] = ("not_listed", "estimated", "snapshot", "observed")


def _dates(dates: ArrayLike) -> DateArray:
    d = np.asarray(dates).astype("datetime64[D]")
    if d.ndim != 1 or d.size == 0:
        raise GaemiInputError(f"dates: expected a non-empty 1-D array, got shape {d.shape}")
    if d.size > 1 and not (np.diff(d) > np.timedelta64(0, "D")).all():
        raise GaemiInputError("dates must be strictly increasing")
    return d


def _fill_back_then_forward(values: FloatArray) -> FloatArray:
    """Each NaN takes the next finite value on its row, else the previous one."""
    out = values.copy()
    n = out.shape[-1]
    idx = np.arange(n)
    for row in out.reshape(-1, n):
        ok = np.isfinite(row)
        if not ok.any():
            continue
        pos = idx[ok]
        nxt = np.searchsorted(pos, idx, side="left")  # first finite at or after t
        has_next = nxt < pos.size
        prev = np.clip(nxt - 1, 0, pos.size - 1)
        src = np.where(has_next, pos[np.minimum(nxt, pos.size - 1)], pos[prev])
        row[:] = row[src]
    return out


@dataclass(frozen=True, eq=False)
class AumPath:
    """Net assets of funds at each close (frozen).

    Attributes
    ----------
    dates : ndarray of datetime64[D], shape (T,)
    ticker : ndarray of str, shape (n,)
    aum_usd : ndarray, shape (n, T)
        Net assets at the close of each day, USD (0 before a fund is listed).
    basis : ndarray of int8, shape (n, T)
        0 not listed, 1 estimated (NAV × the shares of the nearest anchor), 2 the dated
        snapshot itself, 3 observed (shares outstanding × NAV).
    """

    dates: DateArray
    ticker: StrArray
    aum_usd: FloatArray
    basis: NDArray[np.int8]

    @property
    def estimated(self) -> BoolArray:
        """True where the AUM is an estimate (not observed and not the snapshot)."""
        out: BoolArray = self.basis == ESTIMATED
        return out

    @property
    def listed(self) -> BoolArray:
        out: BoolArray = self.basis != NOT_LISTED
        return out

    def start_of_day_usd(self) -> FloatArray:
        """AUM at the previous close (the A of day t's flow); NaN on the first day."""
        out = np.full(self.aum_usd.shape, np.nan)
        out[:, 1:] = self.aum_usd[:, :-1]
        return out

    def start_of_day_estimated(self) -> BoolArray:
        """Whether the start-of-day AUM of each day is an estimate."""
        out = np.zeros(self.basis.shape, dtype=bool)
        out[:, 1:] = self.basis[:, :-1] == ESTIMATED
        return out

    def to_frame(self) -> pd.DataFrame:
        """Long table: date, ticker, aum_usd, basis, aum_estimated."""
        import pandas as pd

        n, t = self.aum_usd.shape
        return pd.DataFrame(
            {
                "date": np.tile(self.dates, n),
                "ticker": np.repeat(self.ticker, t),
                "aum_usd": self.aum_usd.ravel(),
                "basis": np.asarray(BASIS_NAMES)[self.basis.ravel()],
                "aum_estimated": self.estimated.ravel(),
            }
        )


def reconstruct_aum(
    dates: ArrayLike,
    nav: ArrayLike,
    snapshot_aum_usd: ArrayLike,
    snapshot_index: ArrayLike,
    shares_outstanding: ArrayLike | None = None,
    ticker: Sequence[str] | None = None,
) -> AumPath:
    """AUM of each fund on each day from a dated snapshot, NAVs and any observed shares.

    Parameters
    ----------
    dates : array_like of dates, shape (T,)
        Strictly increasing.
    nav : array_like, shape (n, T)
        NAV (or close) per share; NaN where the fund is not listed (or has no price).
    snapshot_aum_usd : array_like, shape (n,)
        Each fund's dated AUM figure, USD (>= 0).
    snapshot_index : array_like of int, shape (n,)
        Index into ``dates`` of the snapshot's date (the fund must have a NAV there).
    shares_outstanding : array_like, shape (n, T), optional
        Observed shares outstanding; NaN where unknown.
    ticker : sequence of str, optional

    Returns
    -------
    AumPath
        ``A_t = S_t·NAV_t`` with ``S_t`` observed where known and otherwise the implied
        shares ``A/NAV`` of the nearest anchor at or after t (before t where none is later):
        the path backwards from a snapshot is ``A_s·NAV_t/NAV_s`` — constant shares.
    """
    d = _dates(dates)
    p = np.atleast_2d(np.asarray(nav, dtype=np.float64))
    n, t = p.shape
    if t != d.size:
        raise GaemiInputError(f"nav: {t} days but {d.size} dates")
    a_snap = np.asarray(snapshot_aum_usd, dtype=np.float64).reshape(-1)
    k = np.asarray(snapshot_index).astype(np.intp).reshape(-1)
    tick = np.asarray(ticker if ticker is not None else [f"fund{i + 1}" for i in range(n)], str)
    if a_snap.shape != (n,) or k.shape != (n,) or tick.shape != (n,):
        raise GaemiInputError(f"snapshot_aum_usd, snapshot_index and ticker need {n} values each")
    if not np.isfinite(a_snap).all() or (a_snap < 0).any():
        raise GaemiInputError("snapshot_aum_usd: every value must be a finite number >= 0")
    if ((k < 0) | (k >= t)).any():
        raise GaemiInputError(f"snapshot_index must be in [0, {t - 1}]")
    if (p[np.isfinite(p)] <= 0).any():
        raise GaemiInputError("nav: every price must be > 0 (NaN where not listed)")
    rows = np.arange(n)
    nav_at = p[rows, k]
    if not np.isfinite(nav_at).all():
        bad = tick[~np.isfinite(nav_at)][0]
        raise GaemiInputError(f"fund {bad}: no NAV on its snapshot date")
    if shares_outstanding is None:
        s_obs = np.full((n, t), np.nan)
    else:
        s_obs = np.array(np.broadcast_to(np.asarray(shares_outstanding, float), (n, t)))
        s_obs[~np.isfinite(p)] = np.nan
        if (s_obs[np.isfinite(s_obs)] < 0).any():
            raise GaemiInputError("shares_outstanding must be >= 0")
    observed = np.isfinite(s_obs)
    anchors = s_obs.copy()
    snap_free = ~observed[rows, k]  # an observed day beats the snapshot on the same date
    anchors[rows[snap_free], k[snap_free]] = a_snap[snap_free] / nav_at[snap_free]
    shares = _fill_back_then_forward(anchors)
    listed = np.isfinite(p)
    aum = np.where(listed, shares * np.where(listed, p, 0.0), 0.0)
    basis = np.full((n, t), ESTIMATED, dtype=np.int8)
    basis[rows[snap_free], k[snap_free]] = SNAPSHOT
    basis[observed] = OBSERVED
    basis[~listed] = NOT_LISTED
    aum.flags.writeable = False
    basis.flags.writeable = False
    return AumPath(d, tick, aum, basis)


# ----------------------------------------------------------------------------- replay
@dataclass(frozen=True, eq=False)
class DailyReplay:
    """Each underlying's close flow on each day (frozen). Arrays are (n_underlyings, T).

    Attributes
    ----------
    dates, underlying : the axes.
    move_frac : the underlying's close-to-close move of the day (NaN: no session/data).
    next_move_frac : the next session's move — an outcome, never an input of day t.
    aum_usd : start-of-day AUM of the funds on the underlying (previous close).
    k_usd : Σ L(L−1)·A_{t−1}, USD per unit move (with creations Σ (L(L−1) + L·β)·A_{t−1}:
        :func:`replay_flows` ``creations_beta``; the feedback loop's K as well).
    flow_usd : required close trade K·r_t, USD (+ buys).
    korean_flow_usd : the part of funds whose Korean share was known that day (NaN: none).
    capacity_usd : closing capacity; pressure_ratio = |flow| / capacity.
    model_extra_move_frac : the feedback loop's share of the observed close, r − r₀
        (NaN without a model).
    n_funds : funds listed at the start of the day.
    aum_estimated : True where any contributing fund's AUM was an estimate.
    fund_flow_usd : (n_funds, T) each fund's flow.
    """

    dates: DateArray
    underlying: StrArray
    move_frac: FloatArray
    next_move_frac: FloatArray
    aum_usd: FloatArray
    k_usd: FloatArray
    flow_usd: FloatArray
    korean_flow_usd: FloatArray
    capacity_usd: FloatArray
    pressure_ratio: FloatArray
    model_extra_move_frac: FloatArray
    n_funds: NDArray[np.int64]
    aum_estimated: BoolArray
    fund_flow_usd: FloatArray = field(repr=False)
    #: (m, T) where each row's start-of-day AUM comes from (``reported``, ``interpolated``,
    #: ``carried`` … or a mix by share of K, e.g. ``reported 96%+carried 4%``); None when
    #: the AUM path has no sources (the older backward reconstruction).
    aum_source: StrArray | None = field(default=None, repr=False)

    @property
    def flow_to_capacity(self) -> FloatArray:
        """Signed flow / capacity (the regressor of the reversal test)."""
        out: FloatArray = self.flow_usd / self.capacity_usd
        return out

    def to_frame(self) -> pd.DataFrame:
        """Long table, one row per day and underlying, unit-bearing columns."""
        import pandas as pd

        m, t = self.flow_usd.shape
        df = pd.DataFrame(
            {
                "date": np.tile(self.dates, m),
                "underlying_id": np.repeat(self.underlying, t),
                "move_frac": self.move_frac.ravel(),
                "n_funds": self.n_funds.ravel(),
                "aum_usd": self.aum_usd.ravel(),
                "flow_per_pct_usd": self.k_usd.ravel() * 0.01,
                "flow_usd": self.flow_usd.ravel(),
                "korean_flow_usd": self.korean_flow_usd.ravel(),
                "capacity_usd": self.capacity_usd.ravel(),
                "pressure_ratio": self.pressure_ratio.ravel(),
                "model_extra_move_frac": self.model_extra_move_frac.ravel(),
                "next_move_frac": self.next_move_frac.ravel(),
                "aum_estimated": self.aum_estimated.ravel(),
            }
        )
        if self.aum_source is not None:
            df["aum_source"] = self.aum_source.ravel()
        return df.sort_values(["date", "underlying_id"], kind="stable").reset_index(drop=True)


def next_move(move_frac: FloatArray) -> FloatArray:
    """The next finite move on each row (NaN at the end): the outcome of day t."""
    out = np.full(move_frac.shape, np.nan)
    idx = np.arange(move_frac.shape[-1])
    for i, row in enumerate(np.atleast_2d(move_frac)):
        ok = np.flatnonzero(np.isfinite(row))
        j = np.searchsorted(ok, idx, side="right")
        has = j < ok.size
        out[i, has] = row[ok[j[has]]]
    return out


def replay_flows(
    dates: ArrayLike,
    underlying: Sequence[str],
    move_frac: ArrayLike,
    fund_underlying: ArrayLike,
    leverage: ArrayLike,
    aum: AumPath,
    capacity_usd: ArrayLike,
    *,
    korean_share: ArrayLike | None = None,
    models: Mapping[str, StressModel] | None = None,
    progress: Callable[[int, int], None] | None = None,
    creations_beta: ArrayLike | None = None,
) -> DailyReplay:
    """Replay each day's required close flow per underlying.

    Parameters
    ----------
    dates : array_like, shape (T,)
        The days (must equal ``aum.dates``).
    underlying : sequence of str, length m
    move_frac : array_like, shape (m, T)
        Each underlying's close-to-close move (NaN where it has none).
    fund_underlying : array_like of int, shape (n,)
        Row of ``underlying`` each fund tracks.
    leverage : array_like, shape (n,) or (n, T)
        Signed daily leverage (per day where a fund changed it, FACTS.md §(j)).
    aum : AumPath
        The funds' AUM at each close, in the same fund order.
    capacity_usd : array_like, shape (m,) or (m, T)
        Closing capacity of each underlying (> 0), USD.
    korean_share : array_like, shape (n, T), optional
        Korean share of each fund known on each day (NaN where not yet known).
    models : mapping underlying → StressModel, optional
        Feedback model whose parameters are vectorised over the T days (or shared); the
        loop's share of the close is r − ``implied_shock_frac(model, r)``.
    progress : callable (done, total), optional
        Called after each underlying.
    creations_beta : array_like, shape (n,) or (n, T), optional
        Creations that respond to the day's move, C = β·A_{t−1}·r per fund (and day): the
        flow is A·r·(L(L−1) + L·β) and K = Σ (L(L−1) + L·β)·A (default none: β = 0).

    Returns
    -------
    DailyReplay
        Day t depends only on moves up to t and AUM up to the close of t − 1 (plus the
        model parameters given); ``next_move_frac`` is the only column that looks ahead.
    """
    d = _dates(dates)
    if d.shape != aum.dates.shape or (d != aum.dates).any():
        raise GaemiInputError("dates must equal the AUM path's dates")
    names = np.asarray(list(underlying), dtype=str)
    m, t = names.size, d.size
    r = np.atleast_2d(np.asarray(move_frac, dtype=np.float64))
    if r.shape != (m, t):
        raise GaemiInputError(f"move_frac: expected shape {(m, t)}, got {r.shape}")
    if (r[np.isfinite(r)] <= -1.0).any():
        raise GaemiInputError("move_frac: a move at or below -100% is impossible")
    fu = np.asarray(fund_underlying).astype(np.intp)
    lev = np.asarray(leverage, dtype=np.float64)
    n = aum.aum_usd.shape[0]
    if fu.shape != (n,) or lev.shape not in ((n,), (n, t)):
        raise GaemiInputError(
            f"fund_underlying needs {n} values and leverage {n} (or {n} x {t} by day)"
        )
    lev2 = lev[:, None] if lev.ndim == 1 else lev  # (n, 1) or (n, T): leverage by day
    if ((fu < 0) | (fu >= m)).any():
        raise GaemiInputError(f"fund_underlying must index the {m} underlyings")
    cap = np.array(np.broadcast_to(np.asarray(capacity_usd, dtype=np.float64).T, (t, m)).T)
    # NaN: no closing-liquidity figure for that underlying (its pressure is then NaN)
    if np.isinf(cap).any() or (cap[np.isfinite(cap)] <= 0).any():
        raise GaemiInputError("capacity_usd: every value must be a finite number > 0 (or NaN)")
    a0 = np.nan_to_num(aum.start_of_day_usd(), nan=0.0)
    est0 = aum.start_of_day_estimated()
    listed0 = a0 > 0
    share = (
        np.full((n, t), np.nan)
        if korean_share is None
        else np.broadcast_to(np.asarray(korean_share, dtype=np.float64), (n, t))
    )
    r_f = r[fu]  # (n, T): each fund's underlying move
    beta2: Any = 0.0
    if creations_beta is not None:
        beta2 = np.asarray(creations_beta, dtype=np.float64)
        beta2 = beta2[:, None] if beta2.ndim == 1 else beta2
    fund_flow = np.where(
        np.isfinite(r_f), rebalance_flow_usd(lev2, a0, r_f, creations_beta=beta2), np.nan
    )
    kor_flow_f = share * fund_flow
    mult = (rebalance_multiplier(lev2) + lev2 * beta2) * a0
    shape = (m, t)
    out_aum, out_k, out_flow, out_kor = (np.zeros(shape) for _ in range(4))
    n_funds = np.zeros(shape, dtype=np.int64)
    est = np.zeros(shape, dtype=bool)
    kor_known = np.zeros(shape, dtype=bool)
    extra = np.full(shape, np.nan)
    for j in range(m):
        sel = fu == j
        out_aum[j] = a0[sel].sum(axis=0)
        out_k[j] = mult[sel].sum(axis=0)
        out_flow[j] = np.where(np.isfinite(r[j]), np.nan_to_num(fund_flow[sel]).sum(axis=0), np.nan)
        kf = kor_flow_f[sel]
        kor_known[j] = np.isfinite(kf).any(axis=0)
        out_kor[j] = np.nansum(np.where(np.isfinite(kf), kf, 0.0), axis=0)
        n_funds[j] = listed0[sel].sum(axis=0)
        est[j] = (est0[sel] & listed0[sel]).any(axis=0)
        model = (models or {}).get(str(names[j]))
        if model is not None:
            extra[j] = loop_share_of_close(model, r[j])
        if progress is not None:
            progress(j + 1, m)
    out_kor = np.where(kor_known & np.isfinite(r), out_kor, np.nan)
    cap_ok = np.isfinite(cap)
    pr = np.where(
        np.isfinite(out_flow) & cap_ok,
        pressure_ratio(np.nan_to_num(out_flow), np.where(cap_ok, cap, 1.0)),
        np.nan,
    )
    return DailyReplay(
        dates=d,
        underlying=names,
        move_frac=r,
        next_move_frac=next_move(r),
        aum_usd=out_aum,
        k_usd=out_k,
        flow_usd=out_flow,
        korean_flow_usd=out_kor,
        capacity_usd=cap,
        pressure_ratio=pr,
        model_extra_move_frac=extra,
        n_funds=n_funds,
        aum_estimated=est,
        fund_flow_usd=fund_flow,
    )


def loop_share_of_close(model: StressModel, move_frac: ArrayLike) -> FloatArray:
    """r − r₀ for each day: the part of the observed close the feedback loop supplies.

    ``model`` has one scenario per day (or one shared); days with no move give NaN.
    """
    r = np.asarray(move_frac, dtype=np.float64).reshape(-1)
    out = np.full(r.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(r))
    if ok.size == 0:
        return out
    nm = model.n_scenarios()
    if nm not in (1, r.size):
        raise GaemiInputError(f"model has {nm} scenarios but there are {r.size} days")
    sub = model if nm == 1 else model.subset(ok)
    out[ok] = r[ok] - implied_shock_frac(sub, r[ok])
    return out


# ----------------------------------------------------------------------------- statistics
def newey_west_lags(n: int) -> int:
    """Default Bartlett truncation lag floor(4·(n/100)^(2/9)) (Newey & West 1994)."""
    lag: int = math.floor(4.0 * (max(n, 1) / 100.0) ** (2.0 / 9.0))
    return lag


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


@dataclass(frozen=True)
class Regression:
    """OLS with Newey–West standard errors and a block-bootstrap interval (frozen).

    ``coef``, ``se_nw``, ``ci_nw_low/high`` (coef ± 1.96·se), ``p_value`` (two-sided,
    normal), ``ci_boot_low/high`` (percentile interval of the moving-block bootstrap) are
    per regressor, in the order of ``names`` (the intercept first).
    """

    names: tuple[str, ...]
    coef: tuple[float, ...]
    se_nw: tuple[float, ...]
    p_value: tuple[float, ...]
    ci_boot_low: tuple[float, ...]
    ci_boot_high: tuple[float, ...]
    n_obs: int
    lags: int
    block: int
    n_boot: int
    r2: float
    level: float = 0.95

    def ci_nw(self, i: int) -> tuple[float, float]:
        z = _z(self.level)
        return self.coef[i] - z * self.se_nw[i], self.coef[i] + z * self.se_nw[i]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for i, name in enumerate(self.names):
            lo, hi = self.ci_nw(i)
            rows.append(
                {
                    "term": name,
                    "coef": self.coef[i],
                    "se_newey_west": self.se_nw[i],
                    "ci_nw_low": lo,
                    "ci_nw_high": hi,
                    "p_value": self.p_value[i],
                    "ci_boot_low": self.ci_boot_low[i],
                    "ci_boot_high": self.ci_boot_high[i],
                    "significant_5pct": bool(self.p_value[i] < 0.05),
                    "n_obs": self.n_obs,
                    "nw_lags": self.lags,
                    "r2": self.r2,
                }
            )
        return pd.DataFrame(rows)


def _z(level: float) -> float:
    # two-sided normal quantile by bisection on erfc (no SciPy needed here)
    target = (1.0 - level) / 2.0
    lo, hi = 0.0, 10.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if _normal_sf(mid) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def newey_west_cov(x: FloatArray, resid: FloatArray, lags: int) -> FloatArray:
    """HAC covariance (X'X)⁻¹ S (X'X)⁻¹ with Bartlett weights 1 − l/(L+1)."""
    xe = x * resid[:, None]
    s = xe.T @ xe
    for lag in range(1, lags + 1):
        w = 1.0 - lag / (lags + 1.0)
        g = xe[lag:].T @ xe[:-lag]
        s += w * (g + g.T)
    xtx_inv = np.linalg.inv(x.T @ x)
    out: FloatArray = xtx_inv @ s @ xtx_inv
    return out


def ols_hac(
    y: ArrayLike,
    regressors: Mapping[str, ArrayLike],
    *,
    lags: int | None = None,
    block: int = 10,
    n_boot: int = 999,
    level: float = 0.95,
    rng: Any = None,
) -> Regression:
    """OLS of y on an intercept and ``regressors``; Newey–West SE and a block bootstrap.

    Rows with any NaN are dropped. The bootstrap resamples moving blocks of ``block``
    consecutive rows (keeping serial dependence) ``n_boot`` times and reports the
    percentile interval at ``level``. Same ``rng`` seed, same interval.
    """
    yy = np.asarray(y, dtype=np.float64).reshape(-1)
    names = ("intercept", *regressors)
    cols = [np.ones_like(yy)] + [
        np.asarray(v, dtype=np.float64).reshape(-1) for v in regressors.values()
    ]
    if any(c.shape != yy.shape for c in cols):
        raise GaemiInputError("regression: y and every regressor need the same length")
    x = np.column_stack(cols)
    ok = np.isfinite(yy) & np.isfinite(x).all(axis=1)
    yy, x = yy[ok], x[ok]
    n, k = x.shape
    if n < max(30, 3 * k):
        raise GaemiInputError(f"regression: {n} complete observations; need at least 30")
    if np.linalg.matrix_rank(x) < k:
        raise GaemiInputError("regression: the regressors are collinear (or constant)")
    if not (0 < level < 1):
        raise GaemiInputError(f"level = {level!r} must be in (0, 1)")
    beta, *_ = np.linalg.lstsq(x, yy, rcond=None)
    resid = yy - x @ beta
    nl = newey_west_lags(n) if lags is None else int(lags)
    if nl < 0:
        raise GaemiInputError(f"lags = {lags} must be >= 0")
    cov = newey_west_cov(x, resid, nl)
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    pv = [
        2.0 * _normal_sf(abs(b / s)) if s > 0 else float("nan")
        for b, s in zip(beta, se, strict=True)
    ]
    tss = float(((yy - yy.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / tss if tss > 0 else float("nan")
    # moving-block bootstrap of rows, in chunks to bound memory
    b = max(1, min(int(block), n))
    gen = np.random.default_rng(rng)
    n_blocks = -(-n // b)
    boots = np.empty((n_boot, k))
    chunk = 100
    offs = np.arange(b)
    for lo in range(0, n_boot, chunk):
        m = min(chunk, n_boot - lo)
        starts = gen.integers(0, n - b + 1, size=(m, n_blocks))
        idx = (starts[:, :, None] + offs).reshape(m, -1)[:, :n]
        xb, yb = x[idx], yy[idx]
        xtx = np.einsum("bni,bnj->bij", xb, xb)
        xty = np.einsum("bni,bn->bi", xb, yb)
        boots[lo : lo + m] = np.linalg.solve(xtx, xty[:, :, None])[:, :, 0]
    alpha = (1.0 - level) / 2.0
    qlo = np.quantile(boots, alpha, axis=0)
    qhi = np.quantile(boots, 1.0 - alpha, axis=0)
    return Regression(
        names=names,
        coef=tuple(float(v) for v in beta),
        se_nw=tuple(float(v) for v in se),
        p_value=tuple(float(v) for v in pv),
        ci_boot_low=tuple(float(v) for v in qlo),
        ci_boot_high=tuple(float(v) for v in qhi),
        n_obs=n,
        lags=nl,
        block=b,
        n_boot=n_boot,
        r2=r2,
        level=level,
    )


# ----------------------------------------------------------------------------- events
def window_moves(
    dates: ArrayLike, close: ArrayLike, events: ArrayLike, horizons: Sequence[int] = (1, 5)
) -> dict[str, FloatArray]:
    """Moves of one series around event dates (sessions of the series itself).

    ``d0``: close on the event date over the previous close (NaN if the series has no
    session that date). ``next_h``: close h sessions after the event date over the last
    close on or before it — the response over the following sessions (for a market that
    closes before New York, e.g. KRX, the first session after a US event day is the one
    that can react to it).
    """
    d = _dates(dates)
    c = np.asarray(close, dtype=np.float64)
    ev = np.asarray(events).astype("datetime64[D]").reshape(-1)
    if c.shape != d.shape:
        raise GaemiInputError("close and dates differ in length")
    out: dict[str, FloatArray] = {}
    pos = np.searchsorted(d, ev, side="right") - 1  # last session on or before the event
    inside = (pos >= 0) & (ev <= d[-1] + np.timedelta64(7, "D"))
    same = inside & (d[np.clip(pos, 0, d.size - 1)] == ev)
    prev = pos - 1
    ok0 = same & (prev >= 0)
    d0 = np.full(ev.shape, np.nan)
    d0[ok0] = c[pos[ok0]] / c[prev[ok0]] - 1.0
    out["d0"] = d0
    for h in horizons:
        tgt = pos + h
        okh = inside & (tgt < d.size) & (pos >= 0)
        # stale data: the base session must be within a week of the event
        okh &= (ev - d[np.clip(pos, 0, d.size - 1)]) <= np.timedelta64(7, "D")
        v = np.full(ev.shape, np.nan)
        v[okh] = c[tgt[okh]] / c[pos[okh]] - 1.0
        out[f"next_{h}"] = v
    return out


# ----------------------------------------------------------------------------- AUM sources
#: Codes of :func:`aum_from_anchors`'s ``source`` (names in :data:`AUM_SOURCES`).
SRC_NOT_LISTED, SRC_REPORTED, SRC_SNAPSHOT, SRC_INTERPOLATED, SRC_CARRIED, SRC_EXTRAPOLATED = (
    0,
    1,
    2,
    3,
    4,
    5,
)
AUM_SOURCES: tuple[str, ...] = (
    "not_listed",
    "reported",
    "snapshot",
    "interpolated",
    "carried",
    "extrapolated",
)


@dataclass(frozen=True, eq=False)
class SourcedAum:
    """Net assets at each close with where each figure comes from (frozen).

    ``aum_usd`` (n, T), USD (0 where not listed); ``source`` (n, T) int8 codes of
    :data:`AUM_SOURCES`.
    """

    dates: DateArray
    ticker: StrArray
    aum_usd: FloatArray
    source: NDArray[np.int8]

    def start_of_day_source(self) -> NDArray[np.int8]:
        """Source of A_{t−1}, the AUM a day's flow uses (not_listed on the first day)."""
        out = np.zeros(self.source.shape, dtype=np.int8)
        out[:, 1:] = self.source[:, :-1]
        return out

    def as_aum_path(self) -> AumPath:
        """The same figures as an :class:`AumPath` (reported → observed, snapshot →
        snapshot, interpolated/carried/extrapolated → estimated)."""
        basis = np.full(self.source.shape, ESTIMATED, dtype=np.int8)
        basis[self.source == SRC_REPORTED] = OBSERVED
        basis[self.source == SRC_SNAPSHOT] = SNAPSHOT
        basis[self.source == SRC_NOT_LISTED] = NOT_LISTED
        return AumPath(self.dates, self.ticker, self.aum_usd, basis)


def aum_from_anchors(
    dates: ArrayLike,
    nav: ArrayLike,
    snapshot_aum_usd: ArrayLike,
    reported_aum_usd: ArrayLike | None = None,
    *,
    far_scale: ArrayLike | None = None,
    carry_days: int | None = None,
    max_log_move: float | None = None,
    ticker: Sequence[str] | None = None,
) -> SourcedAum:
    """Each fund's AUM at each close from reported figures and dated snapshots.

    Parameters
    ----------
    dates : array_like, shape (T,)
    nav : array_like, shape (n, T)
        The fund's own NAV or price (NaN where not listed).
    snapshot_aum_usd : array_like, shape (n, T)
        Dated AUM snapshots (e.g. monthly), NaN on every other day.
    reported_aum_usd : array_like, shape (n, T), optional
        The issuer's daily net assets where it publishes them (exact).
    far_scale : array_like, shape (n, T), optional
        A level path used beyond ``carry_days`` from the nearest anchor (e.g. the
        underlying's level); without it the NAV carry continues.
    carry_days : int, optional
        Trading days over which an anchor's shares are carried along the NAV.
    max_log_move : float, optional
        Also stop the carry once the fund's NAV has moved more than this (|ln NAV_t /
        NAV_anchor|) from the nearest anchor: constant shares fail when the price runs.
    ticker : sequence of str, optional

    Returns
    -------
    SourcedAum
        Anchors are the reported days and the snapshots, each as shares S = A/NAV. On
        an anchor day the figure is the anchor's (``reported`` or ``snapshot``); between
        two anchors the shares are interpolated linearly in trading days and multiplied
        by the day's NAV (``interpolated``); outside them the nearest anchor's shares
        are carried along the fund's own NAV (``carried``: A_t = S·NAV_t — each day's
        A_{t−1} updated by the fund's own return). Beyond ``carry_days`` from the
        nearest anchor (or past a NAV move of ``max_log_move``), with ``far_scale``, the
        carried AUM at the horizon is scaled by ``far_scale`` (``extrapolated``).
    """
    d = _dates(dates)
    p = np.atleast_2d(np.asarray(nav, dtype=np.float64))
    n, t = p.shape
    if t != d.size:
        raise GaemiInputError(f"nav: {t} days but {d.size} dates")
    snap = np.broadcast_to(np.asarray(snapshot_aum_usd, dtype=np.float64), (n, t))
    rep = (
        np.full((n, t), np.nan)
        if reported_aum_usd is None
        else np.broadcast_to(np.asarray(reported_aum_usd, dtype=np.float64), (n, t))
    )
    for name, arr in (("snapshot_aum_usd", snap), ("reported_aum_usd", rep)):
        v = arr[np.isfinite(arr)]
        if (v < 0).any():
            raise GaemiInputError(f"{name}: every AUM must be >= 0")
    if (p[np.isfinite(p)] <= 0).any():
        raise GaemiInputError("nav: every price must be > 0 (NaN where not listed)")
    if carry_days is not None and carry_days < 1:
        raise GaemiInputError(f"carry_days = {carry_days} must be >= 1")
    if max_log_move is not None and not max_log_move > 0:
        raise GaemiInputError(f"max_log_move = {max_log_move} must be > 0")
    tick = np.asarray(ticker if ticker is not None else [f"fund{i + 1}" for i in range(n)], str)
    if tick.shape != (n,):
        raise GaemiInputError(f"ticker needs {n} values")
    listed = np.isfinite(p)
    is_rep = np.isfinite(rep) & listed
    is_snap = np.isfinite(snap) & listed & ~is_rep
    shares_anchor = np.full((n, t), np.nan)
    safe_p = np.where(listed, p, 1.0)
    shares_anchor[is_snap] = snap[is_snap] / safe_p[is_snap]
    shares_anchor[is_rep] = rep[is_rep] / safe_p[is_rep]
    scale = None if far_scale is None else np.broadcast_to(np.asarray(far_scale, float), (n, t))
    aum = np.zeros((n, t))
    src = np.zeros((n, t), dtype=np.int8)
    idx = np.arange(t)
    for i in range(n):
        li = np.flatnonzero(listed[i])
        anc = np.flatnonzero(np.isfinite(shares_anchor[i]))
        if li.size == 0 or anc.size == 0:
            continue
        s_anc = shares_anchor[i, anc]
        nxt = np.searchsorted(anc, idx, side="left")  # first anchor at or after t
        has_next = nxt < anc.size
        has_prev = nxt > 0
        k_next = anc[np.minimum(nxt, anc.size - 1)]
        k_prev = anc[np.maximum(nxt - 1, 0)]
        s_next = s_anc[np.minimum(nxt, anc.size - 1)]
        s_prev = s_anc[np.maximum(nxt - 1, 0)]
        inside = has_next & has_prev
        w = np.where(inside, (idx - k_prev) / np.maximum(k_next - k_prev, 1), 0.0)
        outside = np.where(has_next, s_next, s_prev)
        shares = np.where(inside, s_prev + w * (s_next - s_prev), outside)
        code = np.where(inside, SRC_INTERPOLATED, SRC_CARRIED).astype(np.int8)
        a = shares * np.where(listed[i], p[i], np.nan)
        if scale is not None and (carry_days is not None or max_log_move is not None):
            edge = _carry_edges(p[i], anc, carry_days, max_log_move)
            far = ~inside & (edge >= 0)
            e = np.maximum(edge, 0)
            sc = scale[i]
            a_edge = (shares * np.where(listed[i], p[i], np.nan))[e]
            ok = far & np.isfinite(a_edge) & np.isfinite(sc) & np.isfinite(sc[e])
            a = np.where(ok, a_edge * sc / np.where(ok, sc[e], 1.0), a)
            code = np.where(ok, SRC_EXTRAPOLATED, code).astype(np.int8)
        code[anc] = np.where(is_rep[i, anc], SRC_REPORTED, SRC_SNAPSHOT)
        a[anc] = s_anc * p[i, anc]
        a[~listed[i]] = 0.0
        code[~listed[i]] = SRC_NOT_LISTED
        aum[i] = np.nan_to_num(a, nan=0.0)
        src[i] = code
    aum.flags.writeable = False
    src.flags.writeable = False
    return SourcedAum(d, tick, aum, src)


def _carry_edges(
    nav: FloatArray, anc: NDArray[np.intp], carry_days: int | None, max_log_move: float | None
) -> NDArray[np.intp]:
    """For each day outside the anchors: the last day the NAV carry still holds (going
    away from the nearest anchor), or −1 where the carry holds on the day itself."""
    t = nav.size
    out = np.full(t, -1, dtype=np.intp)
    big = t + 1
    h = big if carry_days is None else int(carry_days)
    c = np.inf if max_log_move is None else float(max_log_move)
    lo, hi = int(anc[0]), int(anc[-1])
    for k, seg in ((hi, np.arange(hi + 1, t)), (lo, np.arange(lo - 1, -1, -1))):
        if seg.size == 0:
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            dev = np.abs(np.log(nav[seg] / nav[k]))
        dev = np.where(np.isfinite(dev), dev, 0.0)
        stop = (np.abs(seg - k) > h) | (dev > c)
        if not stop.any():
            continue
        first = int(np.argmax(stop))
        edge = k if first == 0 else int(seg[first - 1])
        out[seg[first:]] = edge
    return out


def k_usd(leverage: ArrayLike, aum_prev_usd: ArrayLike) -> FloatArray:
    """K = Σ L(L−1)·A_{t−1} over the funds (axis 0), USD per unit move."""
    lev = np.asarray(leverage, dtype=np.float64).reshape(-1, 1)
    a = np.atleast_2d(np.asarray(aum_prev_usd, dtype=np.float64))
    return np.asarray(np.nansum(lev * (lev - 1.0) * a, axis=0), dtype=np.float64)


def source_label(codes: ArrayLike, weights: ArrayLike) -> str:
    """One label for a group of funds: the single source, or the sources by weight share,
    e.g. ``reported`` or ``reported 96%+carried 4%`` (weights: e.g. each fund's L(L−1)·A)."""
    c = np.asarray(codes).reshape(-1)
    w = np.abs(np.asarray(weights, dtype=np.float64).reshape(-1))
    keep = (c != SRC_NOT_LISTED) & np.isfinite(w) & (w > 0)
    c, w = c[keep], w[keep]
    if c.size == 0:
        return "not_listed"
    tot = w.sum()
    shares = sorted(
        ((float(w[c == k].sum()) / tot, AUM_SOURCES[int(k)]) for k in np.unique(c)), reverse=True
    )
    if len(shares) == 1:
        return shares[0][1]
    return "+".join(f"{name} {frac:.0%}" for frac, name in shares)


def source_labels(
    fund_underlying: ArrayLike, leverage: ArrayLike, aum: SourcedAum, m: int
) -> StrArray:
    """:func:`source_label` of each underlying (row of ``fund_underlying``) on each day,
    weighted by each fund's L(L−1)·A_{t−1} — what the day's K is made of."""
    fu = np.asarray(fund_underlying).astype(np.intp)
    lev = np.asarray(leverage, dtype=np.float64)
    lev2 = lev[:, None] if lev.ndim == 1 else lev
    a0 = np.zeros(aum.aum_usd.shape)
    a0[:, 1:] = aum.aum_usd[:, :-1]
    w = np.abs(lev2 * (lev2 - 1.0)) * a0
    src = aum.start_of_day_source()
    t = int(aum.aum_usd.shape[-1])
    n_src = len(AUM_SOURCES)
    share = np.zeros((m, t, n_src))
    for j in range(m):
        sel = fu == j
        for k in range(1, n_src):
            share[j, :, k] = np.where(src[sel] == k, w[sel], 0.0).sum(axis=0)
    tot = share.sum(axis=2, keepdims=True)
    frac = np.divide(share, tot, out=np.zeros_like(share), where=tot > 0)
    pct = np.rint(frac * 100).astype(np.int64)
    out = np.empty((m, t), dtype=object)
    cache: dict[bytes, str] = {}
    for j in range(m):
        for i in range(t):
            key = pct[j, i].tobytes()
            lab = cache.get(key)
            if lab is None:
                p = pct[j, i]
                ks = [k for k in np.argsort(-p, kind="stable") if p[k] > 0]
                if not ks:
                    lab = "not_listed"
                elif len(ks) == 1:
                    lab = AUM_SOURCES[ks[0]]
                else:
                    lab = "+".join(f"{AUM_SOURCES[k]} {p[k]}%" for k in ks)
                cache[key] = lab
            out[j, i] = lab
    return np.asarray(out, dtype=str)
