"""Korean behaviour, measured: net buying of leveraged funds against the funds' moves.

Two measurements from the depository (KSD/SEIBro) lists:

* **Weekly net buying from custody** (2020-01 .. 2026-01). Between two consecutive weekly
  lists a and b (at most :data:`MAX_WEEK_DAYS` apart, the fund in both), with the fund's
  adjusted close P:

      r_w = P_b / P_a − 1,      net_buy_usd = H_b − H_a · (1 + r_w),

  the change in custody beyond the price move (Korean buying minus selling, valued at
  the end of the week; the split between days inside the week is not known).
  ``net_buy_frac`` = net_buy_usd / H_a.
* **The depository's net-buy lists** (1W, 2026-03 .. 2026-08): the top 50 US securities by
  net buying over the 7 days to each run. A fund is listed only when it is a top-50 net
  *buyer* (every value in the files is positive; the 50th is $3M–$14M): weeks of net
  selling are absent, so these lists measure buying intensity, not selling (censored).

:func:`relation` regresses net buying on the fund's move in the same week and in the week
before (lag 1), with heteroskedasticity-robust (HC1) 95% confidence intervals and n.
Reading: a negative same-week or lag-1 slope is buying after/while the fund falls
(dip-buying), a positive one chasing; panic is net selling after large falls, shown by
:func:`big_move_weeks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gaemi.errors import GaemiInputError
from gaemi.units import format_percent

if TYPE_CHECKING:
    import pandas as pd

#: Two custody lists further apart than this are not one week (a gap in the lists or the
#: fund out of the top 50 in between): no net buying is computed across them.
MAX_WEEK_DAYS = 8
LONG_FUNDS: tuple[str, ...] = ("TQQQ", "SOXL", "TSLL", "NVDL")
INVERSE_FUNDS: tuple[str, ...] = ("SQQQ", "SOXS")


def _price_on(price: pd.Series, day: pd.Timestamp) -> float:
    s = price[price.index <= day]
    return float(s.iloc[-1]) if len(s) else float("nan")


def weekly_net_buying(
    holdings: pd.DataFrame,
    prices: dict[str, pd.Series],
    list_dates: Sequence[pd.Timestamp] | None = None,
) -> pd.DataFrame:
    """Net buying per fund and custody week (see the module docstring).

    Parameters
    ----------
    holdings : DataFrame
        ``as_of, ticker, holdings_usd`` (e.g. :func:`gaemi.data.importers.ksd.holdings_by_ticker`).
    prices : dict
        Adjusted close per ticker (:func:`gaemi.data.korean_share.fund_price`).
    list_dates : sequence, optional
        Every list date of the source; a week is used only when its two lists are
        consecutive list dates (no list between them in which the fund was absent).

    Returns
    -------
    DataFrame
        ``ticker, week_start, week_end, holdings_start_usd, holdings_end_usd,
        fund_return_frac, net_buy_usd, net_buy_frac, prev_return_frac,
        next_return_frac`` (the fund's move over the previous / next list week, NaN when
        that week is not one week long).
    """
    import pandas as pd

    all_dates = (
        pd.DatetimeIndex(sorted(set(pd.to_datetime(list(list_dates)))))
        if list_dates is not None
        else None
    )
    rows = []
    for t, g in holdings.groupby("ticker", sort=True):
        if t not in prices:
            continue
        p = prices[str(t)]
        g = g.sort_values("as_of")
        d = pd.DatetimeIndex(g["as_of"])
        h = g["holdings_usd"].to_numpy(float)
        for i in range(1, len(d)):
            a, b = d[i - 1], d[i]
            if (b - a).days > MAX_WEEK_DAYS:
                continue
            if all_dates is not None:
                between = all_dates[(all_dates > a) & (all_dates < b)]
                if len(between):
                    continue
            pa, pb = _price_on(p, a), _price_on(p, b)
            if not (np.isfinite(pa) and np.isfinite(pb)) or h[i - 1] <= 0:
                continue
            r = pb / pa - 1
            nb = h[i] - h[i - 1] * (1 + r)
            rows.append((t, a, b, h[i - 1], h[i], r, nb, nb / h[i - 1]))
    cols = [
        "ticker",
        "week_start",
        "week_end",
        "holdings_start_usd",
        "holdings_end_usd",
        "fund_return_frac",
        "net_buy_usd",
        "net_buy_frac",
    ]
    out = pd.DataFrame(rows, columns=cols)
    # the fund's move in the list week before (one week long and ending where this starts)
    # and in the list week after (a placebo: buying cannot answer a move not yet made)
    out["prev_return_frac"] = np.nan
    out["next_return_frac"] = np.nan
    for _t, g in out.groupby("ticker"):
        prev = g.set_index("week_end")["fund_return_frac"]
        nxt = g.set_index("week_start")["fund_return_frac"]
        out.loc[g.index, "prev_return_frac"] = g["week_start"].map(prev).to_numpy(float)
        out.loc[g.index, "next_return_frac"] = g["week_end"].map(nxt).to_numpy(float)
    return out


@dataclass(frozen=True)
class Relation:
    """OLS slope of y on x with an HC1 95% CI, the correlation and n (frozen)."""

    what: str
    n: int
    slope: float
    ci_low: float
    ci_high: float
    corr: float
    mean_y: float
    mean_y_ci: tuple[float, float]

    @property
    def reading(self) -> str:
        if self.n < 10:
            return "too few weeks"
        if self.ci_high < 0:
            return "buys falls / sells rises (dip-buying, contrarian)"
        if self.ci_low > 0:
            return "buys rises / sells falls (chasing)"
        return "no significant relation"


def relation(x: np.ndarray, y: np.ndarray, what: str = "") -> Relation:
    """Slope of ``y`` on ``x`` (with intercept), HC1 standard error, 95% normal CI."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(x.size)
    if n < 3:
        raise GaemiInputError(f"relation {what}: n = {n} observations, need at least 3")
    X = np.column_stack([np.ones(n), x])
    xtx_inv = np.linalg.inv(X.T @ X)
    beta = xtx_inv @ X.T @ y
    e = y - X @ beta
    meat = (X * e[:, None] ** 2).T @ X
    cov = xtx_inv @ meat @ xtx_inv * n / max(n - 2, 1)
    se = float(np.sqrt(cov[1, 1]))
    z = 1.959963984540054  # 97.5% normal quantile
    corr = float(np.corrcoef(x, y)[0, 1]) if np.std(x) > 0 and np.std(y) > 0 else float("nan")
    m = float(y.mean())
    sm = float(y.std(ddof=1) / np.sqrt(n))
    return Relation(
        what,
        n,
        float(beta[1]),
        beta[1] - z * se,
        beta[1] + z * se,
        corr,
        m,
        (m - z * sm, m + z * sm),
    )


def behaviour_table(weeks: pd.DataFrame) -> pd.DataFrame:
    """Same-week, lag-1 and lead-1 (placebo) relations of ``net_buy_frac`` to the fund's
    move, per fund and pooled (long funds; inverse funds), with 95% CI and n."""
    import pandas as pd

    groups: list[tuple[str, pd.DataFrame]] = [
        (str(t), g) for t, g in weeks.groupby("ticker", sort=False)
    ]
    groups.append(("long funds pooled", weeks[weeks.ticker.isin(LONG_FUNDS)]))
    groups.append(("inverse funds pooled", weeks[weeks.ticker.isin(INVERSE_FUNDS)]))
    rows = []
    for name, g in groups:
        for lag, col in (
            ("same week", "fund_return_frac"),
            ("previous week", "prev_return_frac"),
            ("next week (placebo)", "next_return_frac"),
        ):
            sub = g.dropna(subset=[col, "net_buy_frac"])
            if len(sub) < 3:
                continue
            r = relation(sub[col].to_numpy(), sub["net_buy_frac"].to_numpy(), f"{name} {lag}")
            rows.append(
                {
                    "fund": name,
                    "move": lag,
                    "n": r.n,
                    "slope": r.slope,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "corr": r.corr,
                    "reading": r.reading,
                }
            )
    return pd.DataFrame(rows)


def big_move_weeks(
    weeks: pd.DataFrame, threshold_frac: float = 0.15, funds: Sequence[str] = LONG_FUNDS
) -> pd.DataFrame:
    """Mean net buying (fraction of holdings) in weeks after and during large moves.

    Rows: the fund fell by more than ``threshold_frac`` in the same week / the previous
    week, rose by more than it, and all weeks; ``mean_net_buy_frac`` with a 95% CI and n.
    Panic would show as a clearly negative mean after falls.
    """
    import pandas as pd

    w = weeks[weeks.ticker.isin(list(funds))]
    sets = {
        "all weeks": w,
        f"fund fell > {format_percent(threshold_frac, decimals=0)} that week": w[
            w.fund_return_frac < -threshold_frac
        ],
        f"fund fell > {format_percent(threshold_frac, decimals=0)} the week before": w[
            w.prev_return_frac < -threshold_frac
        ],
        f"fund rose > {format_percent(threshold_frac, decimals=0)} that week": w[
            w.fund_return_frac > threshold_frac
        ],
        f"fund rose > {format_percent(threshold_frac, decimals=0)} the week before": w[
            w.prev_return_frac > threshold_frac
        ],
    }
    rows = []
    for name, s in sets.items():
        y = s["net_buy_frac"].to_numpy(float)
        y = y[np.isfinite(y)]
        n = int(y.size)
        m = float(y.mean()) if n else float("nan")
        half = 1.959963984540054 * float(y.std(ddof=1)) / np.sqrt(n) if n > 1 else float("nan")
        usd = float(s["net_buy_usd"].sum()) if n else float("nan")
        rows.append(
            {
                "weeks": name,
                "n": n,
                "mean_net_buy_frac": m,
                "ci_low": m - half,
                "ci_high": m + half,
                "net_buy_usd_total": usd,
            }
        )
    return pd.DataFrame(rows)


def net_buy_list_weeks(
    net_buys: pd.DataFrame, prices: dict[str, pd.Series], tickers: Sequence[str]
) -> pd.DataFrame:
    """One non-overlapping 7-day window per ISO week from the 1W net-buy runs.

    For each fund and ISO week the last run of the week is kept (windows of consecutive
    kept runs do not overlap when runs are a week apart). ``listed`` says whether the fund
    was in that run's top 50; ``net_buy_usd`` is NaN when not (unknown: below the 50th
    buyer, possibly a net seller). ``fund_return_frac`` is the fund's move over the 7 days
    to the run, ``prev_return_frac`` over the 7 days before.
    """
    import pandas as pd

    nb = net_buys[net_buys["period_days"] == 7]
    runs = pd.DatetimeIndex(sorted(nb["as_of"].unique()))
    iso = runs.isocalendar()
    keep = pd.Series(runs, index=runs).groupby([iso.year.to_numpy(), iso.week.to_numpy()]).max()
    rows = []
    for t in tickers:
        if t not in prices:
            continue
        p = prices[t]
        sel = nb[nb["ticker"] == t].set_index("as_of")["net_buy_usd"]
        for run_day in keep.to_numpy():
            run = pd.Timestamp(run_day)
            p0 = _price_on(p, run - pd.Timedelta(days=7))
            p1 = _price_on(p, run)
            pm = _price_on(p, run - pd.Timedelta(days=14))
            listed = run in sel.index
            rows.append(
                {
                    "ticker": t,
                    "run": run,
                    "listed": listed,
                    "net_buy_usd": float(sel.loc[run]) if listed else float("nan"),
                    "fund_return_frac": p1 / p0 - 1,
                    "prev_return_frac": p0 / pm - 1,
                }
            )
    return pd.DataFrame(rows)


def list_presence_table(list_weeks: pd.DataFrame) -> pd.DataFrame:
    """Per fund: weeks in the net-buy top 50 and the fund's previous-week move when listed
    and when not (mean, n), and the relation of the listed amounts to that move."""
    import pandas as pd

    rows = []
    for t, g in list_weeks.groupby("ticker", sort=False):
        on, off = g[g.listed], g[~g.listed]
        row = {
            "fund": t,
            "weeks": len(g),
            "listed": len(on),
            "prev_move_listed": float(on["prev_return_frac"].mean()) if len(on) else np.nan,
            "prev_move_not_listed": float(off["prev_return_frac"].mean()) if len(off) else np.nan,
            "median_net_buy_usd": float(on["net_buy_usd"].median()) if len(on) else np.nan,
        }
        if len(on) >= 5:
            r = relation(on["prev_return_frac"].to_numpy(), on["net_buy_usd"].to_numpy() / 1e6)
            row.update(slope_musd=r.slope, ci_low=r.ci_low, ci_high=r.ci_high)
        rows.append(row)
    return pd.DataFrame(rows)


def stress_week_flows(
    weeks: pd.DataFrame,
    issuer: pd.DataFrame,
    ticker: str,
    leverage: float,
    days: Sequence[str],
) -> pd.DataFrame:
    """Korean net buying beside the fund's creations and rebalancing in stress weeks.

    Parameters
    ----------
    weeks : DataFrame
        :func:`weekly_net_buying` output.
    issuer : DataFrame
        The fund's issuer daily file (``date, nav_usd, aum_usd``;
        :func:`gaemi.data.importers.issuer_nav.read_issuer_nav`).
    ticker, leverage :
        The fund and its (signed) leverage L.
    days : sequence of str
        Stress days; each is placed in the custody week (a, b] that contains it.

    Returns
    -------
    DataFrame
        ``stress_day, week_start, week_end, fund_return_frac, korean_net_buy_usd,
        creations_usd`` (Σ ΔS·NAV over the week's days, S = AUM/NAV, issuer data) and
        ``rebalance_usd`` (Σ L(L−1)·A_{t−1}·r_t with r_t = the fund's NAV return / L, the
        index move the fund tracks). Weeks without a custody week around them are left out.
    """
    import pandas as pd

    w = weeks[weeks.ticker == ticker]
    iss = issuer.set_index(pd.DatetimeIndex(pd.to_datetime(issuer["date"]))).sort_index()
    nav, aum = iss["nav_usd"].to_numpy(float), iss["aum_usd"].to_numpy(float)
    shares = np.where(nav > 0, aum / nav, np.nan)
    cre = np.r_[np.nan, np.diff(shares) * nav[1:]]
    r_idx = np.r_[np.nan, nav[1:] / nav[:-1] - 1] / leverage
    reb = np.r_[np.nan, leverage * (leverage - 1) * aum[:-1] * r_idx[1:]]
    rows = []
    for d in days:
        day = pd.Timestamp(d)
        hit = w[(w.week_start < day) & (w.week_end >= day)]
        if hit.empty:
            continue
        a, b = hit["week_start"].iloc[0], hit["week_end"].iloc[0]
        sel = (iss.index > a) & (iss.index <= b)
        rows.append(
            {
                "stress_day": day.date(),
                "week_start": a.date(),
                "week_end": b.date(),
                "fund_return_frac": float(hit["fund_return_frac"].iloc[0]),
                "korean_net_buy_usd": float(hit["net_buy_usd"].iloc[0]),
                "creations_usd": float(np.nansum(cre[sel])) if sel.any() else np.nan,
                "rebalance_usd": float(np.nansum(reb[sel])) if sel.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


#: Stress days of FACTS.md §(e) and the fund-history issue inside the custody data.
STRESS_DAYS: tuple[str, ...] = (
    "2020-03-16",
    "2022-09-13",
    "2024-08-05",
    "2024-09-03",
    "2025-04-03",
    "2025-04-04",
    "2025-04-09",
    "2025-10-10",
)


def korean_close_flow(
    share_table: pd.DataFrame,
    issuer: dict[str, pd.DataFrame],
    leverage: dict[str, float],
    days: Sequence[str] = STRESS_DAYS,
) -> pd.DataFrame:
    """The Korean part of each fund's close rebalancing on the given days.

    The rebalancing of a fund with leverage L on day t is L(L−1)·A_{t−1}·r_t (r_t = the
    fund's NAV return / L, A from the issuer file); its Korean part is the Korean share at
    the previous close (:func:`gaemi.data.korean_share.korean_share_daily`) times that; a
    fund whose share is unknown that day is **unattributed** (its whole flow).

    Returns
    -------
    DataFrame
        ``day, ticker, rebalance_usd, korean_share, basis, korean_as_of, korean_usd,
        unattributed_usd``.
    """
    import pandas as pd

    tab = share_table.set_index(["ticker", "date"]).sort_index()
    rows = []
    for t, df in issuer.items():
        n = df.set_index(pd.DatetimeIndex(pd.to_datetime(df["date"]))).sort_index()
        lev = leverage[t]
        for d in days:
            day = pd.Timestamp(d)
            if day not in n.index:
                continue
            i = int(n.index.searchsorted(day))
            if i == 0:
                continue
            prev = n.index[i - 1]
            r = (n["nav_usd"].iloc[i] / n["nav_usd"].iloc[i - 1] - 1) / lev
            reb = lev * (lev - 1) * float(n["aum_usd"].iloc[i - 1]) * r
            share = np.nan
            basis, as_of = "", pd.NaT
            if (t, prev) in tab.index:
                row = tab.loc[(t, prev)]
                share = float(row["korean_share"])
                basis, as_of = str(row["basis"]), row["korean_as_of"]
            known = np.isfinite(share)
            rows.append(
                {
                    "day": day.date(),
                    "ticker": t,
                    "rebalance_usd": reb,
                    "korean_share": share,
                    "basis": basis,
                    "korean_as_of": as_of,
                    "korean_usd": share * reb if known else np.nan,
                    "unattributed_usd": 0.0 if known else reb,
                }
            )
    return pd.DataFrame(rows)


def study(root: str, funds: Sequence[str] = LONG_FUNDS + INVERSE_FUNDS) -> dict[str, pd.DataFrame]:
    """Every table of the Korean-behaviour study (docs/korea.md) from a data folder laid out
    like ``../shared/data``: ``weeks``, ``behaviour``, ``big_moves_long``,
    ``big_moves_inverse``, ``list_weeks``, ``list_presence``, ``stress_TQQQ``,
    ``stress_SQQQ``, ``close_flow``."""
    from pathlib import Path

    from gaemi.data.importers import ksd
    from gaemi.data.importers.issuer_nav import read_issuer_nav
    from gaemi.data.korean_share import KSD_DIR, fund_price

    r = Path(root)
    folder = ksd.read_ksd_folder(r / KSD_DIR)
    w = folder["custody_weekly"]
    prices = {t: fund_price(r, t) for t in (*funds, "KORU")}
    weeks = weekly_net_buying(ksd.holdings_by_ticker(w, funds), prices, w.attrs["as_of_dates"])
    lw = net_buy_list_weeks(folder["net_buys_1w"], prices, (*funds, "KORU"))
    out = {
        "weeks": weeks,
        "behaviour": behaviour_table(weeks),
        "big_moves_long": big_move_weeks(weeks),
        "big_moves_inverse": big_move_weeks(weeks, funds=INVERSE_FUNDS),
        "list_weeks": lw,
        "list_presence": list_presence_table(lw),
    }
    issuer: dict[str, pd.DataFrame] = {}
    levs = {"TQQQ": 3.0, "SQQQ": -3.0}
    for t, lev in levs.items():
        f = r / "us-letf-nav-proshares" / f"{t}.csv"
        if f.is_file():
            issuer[t] = read_issuer_nav(f)
            out[f"stress_{t}"] = stress_week_flows(weeks, issuer[t], t, lev, STRESS_DAYS)
    if issuer:
        from gaemi.data.korean_share import korean_share_daily

        shares = korean_share_daily(r, list(issuer))
        out["close_flow"] = korean_close_flow(shares, issuer, levs)
    return out
