"""``gaemi validate``: every engine against real history it was not fitted on.

A scorecard for a model-risk reviewer. Each check is one function in :data:`REGISTRY`
(:func:`check` registers it) that reads a folder laid out like ``../shared/data`` and
returns :class:`Outcome` rows: the engine, the test set (dates never used in fitting),
what was fitted and on which window, the metric, the stated tolerance, the measured value
and pass/fail. A check whose folders are missing is *skipped* and says which folder; a
check whose engine has not landed yet says *not yet available*. Nothing is faked: a
value that misses its tolerance is a fail.

Published figures (FACTS.md, reported liquidation totals, issuer AUM) judge the models
here; none of them is fitted.

Checks
------
* ``flows_identity`` — the daily-reset identity on real TQQQ/QQQ and SOXL/SOXX days.
* ``nav_recipe`` — the NAV engine with issue 4's fixed recipe (nothing fitted) per year.
* ``nav_per_fund`` — the NAV engine per fund, spread fitted before the test window.
* ``nav_tqqq_goal`` — TQQQ's 2015–2024 growth, spread fitted on 2011–2014 (issue 4's 2 %).
* ``closed_form_rolling`` — Avellaneda–Zhang on rolling 6-month windows of real QQQ/TQQQ.
* ``aum_replay`` — the fund-history AUM replay against the issuer's daily AUM.
* ``stress_history`` — the close loop on the largest NDX/SOX days since 2020.
* ``feedback_laws`` — no phantom drift and the circuit-breaker halt (no data needed).
* ``crypto_loo`` — the crypto cascade, leave one event out, on FACTS.md (i) events.
* ``contagion_coverage`` — the contagion engine's 90 % bands on the stress days since 2020
  (fitted on 2004–2019), and its 1-session error against "no change" (issue 18.2).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from gaemi.app.result import Result
from gaemi.units import format_frac, format_percent, format_usd

if TYPE_CHECKING:
    import pandas as pd

Op = Literal["<=", ">=", "in"]

#: Folders of ../shared/data the checks read.
ADJCLOSE = "us-adjclose-1993-2026"
OHLCV_OLD = "us-ohlcv-2000-2022"
OHLCV_NEW = "us-ohlcv-2023-2026"
NAV_DIR = "us-letf-nav-proshares"
CRYPTO = "crypto"

NOT_YET = "not yet available (issue 18/16)"


@dataclass(frozen=True)
class Outcome:
    """One scored line of the scorecard.

    Attributes
    ----------
    engine : str
        The engine judged (``flows``, ``nav``, ``decay``, ``stress``, ``crypto`` …).
    check : str
        The registry id of the check that produced the line.
    test_set : str
        The dates (or events) the metric is measured on; never used in fitting.
    fitted_on : str
        What was fitted, and on which window ("nothing fitted" when nothing was).
    metric : str
        What is measured, with its unit.
    value : float or None
        The measured value (None when skipped or not available).
    op : {"<=", ">=", "in"}
        How the value must compare with the tolerance to pass (``in``: inside
        [tolerance, tolerance_high]).
    tolerance : float
        The stated tolerance (the lower end for ``in``).
    status : {"pass", "fail", "skipped", "not available"}
        ``pass``/``fail`` from value ``op`` tolerance; otherwise why there is no value.
    note : str
        Where the tolerance comes from, or why the check was skipped.
    tolerance_high : float or None
        The upper end for ``op == "in"``.
    """

    engine: str
    check: str
    test_set: str
    fitted_on: str
    metric: str
    value: float | None
    op: Op
    tolerance: float
    status: str
    note: str = ""
    tolerance_high: float | None = None

    @property
    def passed(self) -> bool | None:
        """True/False for a scored line, None for skipped or not available."""
        if self.status in ("pass", "fail"):
            return self.status == "pass"
        return None


def scored(
    engine: str,
    check_id: str,
    *,
    test_set: str,
    fitted_on: str,
    metric: str,
    value: float,
    op: Op,
    tolerance: float,
    note: str = "",
    tolerance_high: float | None = None,
) -> Outcome:
    """A line whose status is value ``op`` tolerance (NaN fails)."""
    v = float(value)
    if op == "in":
        if tolerance_high is None:
            raise ValueError("op 'in' needs tolerance_high")
        ok = tolerance <= v <= tolerance_high
    else:
        ok = v <= tolerance if op == "<=" else v >= tolerance
    ok = ok and math.isfinite(v)
    return Outcome(
        engine, check_id, test_set, fitted_on, metric, v, op, tolerance,
        "pass" if ok else "fail", note, tolerance_high,
    )  # fmt: skip


@dataclass(frozen=True)
class Check:
    """A registered check: its id, engine, the folders it needs, and the function."""

    id: str
    engine: str
    needs: tuple[str, ...]
    fn: Callable[[Path], list[Outcome]]
    title: str


#: Every check, in scorecard order (:func:`check` adds to it).
REGISTRY: dict[str, Check] = {}


def check(
    id_: str, engine: str, *, needs: tuple[str, ...] = (), title: str = ""
) -> Callable[[Callable[[Path], list[Outcome]]], Callable[[Path], list[Outcome]]]:
    """Register a check function ``fn(data_dir) -> list[Outcome]`` under ``id_``."""

    def deco(fn: Callable[[Path], list[Outcome]]) -> Callable[[Path], list[Outcome]]:
        REGISTRY[id_] = Check(id_, engine, needs, fn, title or (fn.__doc__ or "").split("\n")[0])
        return fn

    return deco


def _unavailable(c: Check, status: str, note: str) -> Outcome:
    return Outcome(c.engine, c.id, "—", "—", c.title, None, "<=", math.nan, status, note)


# ----------------------------------------------------------------------------- helpers
def _adj(data_dir: Path, ticker: str) -> pd.Series:
    import pandas as pd

    s = pd.read_csv(data_dir / ADJCLOSE / f"{ticker}.csv", parse_dates=["Date"])
    out: pd.Series = s.set_index("Date")["Close"].sort_index()
    return out


# ------------------------------------------------------------------- flows identity
def identity_report(data_dir: Path, fund: str, underlying: str, leverage: float) -> dict[str, Any]:
    """The daily-reset identity on real days since 2010-03-12 (TQQQ's launch).

    A fund with leverage L holds L·A; after the underlying moves r_u it needs L·A·(1+r_f),
    so the trade it actually needed is L·A·(r_f − r_u). The engine computes L(L−1)·A·r_u,
    the same when r_f = L·r_u. Measured per dollar of start-of-day assets.
    """
    import pandas as pd

    from gaemi.core.flows import rebalance_flow_usd

    df = pd.concat(
        {"fund": _adj(data_dir, fund), "und": _adj(data_dir, underlying)}, axis=1, join="inner"
    )
    r = df.sort_index().dropna().pct_change().dropna()
    r = r[(r.abs() < 0.9).all(axis=1)]  # split-like jumps (shared/data/SANITY.md)
    r = r[r.index >= "2010-03-12"]
    a = 1.0
    needed = leverage * a * (1 + r["fund"])
    actual_trade = needed - leverage * a * (1 + r["und"])
    computed = rebalance_flow_usd(leverage, a, r["und"].to_numpy())
    gap = (leverage * a + leverage * a * r["und"].to_numpy() + computed) - needed.to_numpy()
    big = r["und"].abs().to_numpy() > 0.02
    rel_err = np.abs(actual_trade.to_numpy()[big] - computed[big]) / np.abs(computed[big])
    return {
        "pair": f"{fund}/{underlying}",
        "first_day": str(r.index[0].date()),
        "last_day": str(r.index[-1].date()),
        "days": len(r),
        "beta": float(np.polyfit(r["und"], r["fund"], 1)[0]),
        "share_days_within_1pct_of_L_times_r": float(
            (np.abs(r["fund"] - leverage * r["und"]) < 0.01).mean()
        ),
        "big_days_abs_move_gt_2pct": int(big.sum()),
        "median_rel_err_trade_big_days": float(np.median(rel_err)),
        "p90_rel_err_trade_big_days": float(np.quantile(rel_err, 0.9)),
        "median_abs_gap_per_dollar": float(np.median(np.abs(gap))),
    }


#: Pairs and stated tolerances (shared/data/SANITY.md: TQQQ/QQQ 99.7 % of days within 1 %
#: of 3·r, median |dev| 6.5 bp; SOXL/SOXX 98.1 %, 15.4 bp; the exposure gap is L × dev).
IDENTITY_PAIRS: tuple[tuple[str, str, float, float, float, float], ...] = (
    ("TQQQ", "QQQ", 3.0, 0.05, 0.99, 3 * 0.0010),
    ("SOXL", "SOXX", 3.0, 0.10, 0.97, 3 * 0.0020),
)


@check("flows_identity", "flows", needs=(ADJCLOSE,))
def _flows_identity(data_dir: Path) -> list[Outcome]:
    """The daily-reset identity L(L−1)·A·r on real fund days."""
    out = []
    for fund, und, lev, rel_tol, within_tol, gap_tol in IDENTITY_PAIRS:
        r = identity_report(data_dir, fund, und, lev)
        ts = f"{r['pair']} {r['first_day']}..{r['last_day']} ({r['days']} days)"
        fit = "nothing fitted (L from the prospectus)"
        src = "tolerance: shared/data/SANITY.md daily tracking of the pair"
        out += [
            scored("flows", "flows_identity", test_set=ts, fitted_on=fit,
                   metric=f"{fund}: share of days with |r_f − L·r_u| < 1%",
                   value=r["share_days_within_1pct_of_L_times_r"], op=">=",
                   tolerance=within_tol, note=src),
            scored("flows", "flows_identity", test_set=ts + ", |r_u| > 2% days", fitted_on=fit,
                   metric=f"{fund}: median relative error of the trade on big days",
                   value=r["median_rel_err_trade_big_days"], op="<=", tolerance=rel_tol,
                   note=src),
            scored("flows", "flows_identity", test_set=ts, fitted_on=fit,
                   metric=f"{fund}: median |exposure gap| per dollar of assets",
                   value=r["median_abs_gap_per_dollar"], op="<=", tolerance=gap_tol,
                   note="L × the pair's median daily deviation (SANITY.md)"),
        ]  # fmt: skip
    return out


# ------------------------------------------------------------------------ NAV engine
#: Expense ratios of the default universe (2026-06-01 snapshot): TQQQ, SOXL, SQQQ.
NAV_ER = {"TQQQ": 0.0082, "SOXL": 0.0075, "SQQQ": 0.0095}
#: Issue 4's recipe: financing at the rate plus a fixed 0.40 % spread (not fitted).
RECIPE_SPREAD = 0.004


def _nav_frame(data_dir: Path, fund: str, underlying: str) -> pd.DataFrame:
    import pandas as pd

    df = pd.concat(
        {"f": _adj(data_dir, fund), "u": _adj(data_dir, underlying),
         "irx": _adj(data_dir, "IDX_IRX")}, axis=1, sort=True,
    )  # fmt: skip
    df["irx"] = df["irx"].ffill()
    return df.dropna(subset=["f", "u"])


def nav_growth_error(df: pd.DataFrame, start: str, end: str, terms: Any) -> float:
    """Modelled fund growth over [start, end] / the real fund's growth − 1.

    The modelled day: ^IRX as a money-market yield (360·d/(360 − 91·d)) accrued act/360
    over calendar days, the fee act/365 (:func:`gaemi.core.nav.fund_returns`).
    """
    from gaemi.core.nav import discount_to_money_market_yield, fund_returns

    x = df.loc[start:end]
    r = x["u"].pct_change().iloc[1:].to_numpy()
    days = x.index.to_series().diff().dt.days.iloc[1:].to_numpy()
    rate = discount_to_money_market_yield((x["irx"].shift(1).iloc[1:] / 100.0).to_numpy())
    rf = fund_returns(r, terms, rate, days / 360.0, days / 365.0)
    return float(np.prod(1.0 + rf)) / float(x["f"].iloc[-1] / x["f"].iloc[0]) - 1.0


def nav_per_year(df: pd.DataFrame, first: int, last: int, terms: Any) -> dict[str, float]:
    """:func:`nav_growth_error` per calendar year (from the last close of the year before)."""
    out = {}
    for y in range(first, last + 1):
        prev = df.index[df.index < f"{y}-01-01"]
        start = str(prev[-1].date()) if len(prev) else f"{y}-01-01"
        out[str(y)] = nav_growth_error(df, start, f"{y}-12-31", terms)
    return out


@check("nav_recipe", "nav", needs=(ADJCLOSE,))
def _nav_recipe(data_dir: Path) -> list[Outcome]:
    """The NAV engine with issue 4's fixed recipe (rate + 0.40 %), nothing fitted."""
    from gaemi.core.nav import FundTerms

    fit = "nothing fitted (issue 4's fixed 0.40% spread; fees from the universe)"
    out = []
    tq = _nav_frame(data_dir, "TQQQ", "QQQ")
    years = nav_per_year(tq, 2015, 2024, FundTerms(3, NAV_ER["TQQQ"], RECIPE_SPREAD, "TQQQ"))
    out.append(
        scored(
            "nav",
            "nav_recipe",
            test_set="TQQQ from QQQ, each year 2015..2024",
            fitted_on=fit,
            metric="TQQQ: worst |yearly growth error|",
            value=max(abs(v) for v in years.values()),
            op="<=",
            tolerance=0.025,
            note="tolerance of tests/validation/test_nav_history.py (2.5% a year)",
        )
    )
    so = _nav_frame(data_dir, "SOXL", "SOXX")
    end = str(so.index[-1].date())
    soxl = FundTerms(3, NAV_ER["SOXL"], RECIPE_SPREAD, "SOXL")
    out.append(
        scored(
            "nav",
            "nav_recipe",
            test_set=f"SOXL from SOXX 2021-09-01..{end}",
            fitted_on=fit,
            metric="SOXL: |growth error| over the window",
            value=abs(nav_growth_error(so, "2021-09-01", end, soxl)),
            op="<=",
            tolerance=0.10,
            note="10% (SOXX is an ETF with its own fee, not SOXL's index)",
        )
    )
    sq = _nav_frame(data_dir, "SQQQ", "QQQ")
    sqqq = FundTerms(-3, NAV_ER["SQQQ"], RECIPE_SPREAD, "SQQQ")
    out.append(
        scored(
            "nav",
            "nav_recipe",
            test_set="SQQQ from QQQ 2015-01-05..2024-12-31",
            fitted_on=fit,
            metric="SQQQ: |growth error| (inverse carry (1−L)·rate)",
            value=abs(nav_growth_error(sq, "2015-01-05", "2024-12-31", sqqq)),
            op="<=",
            tolerance=0.03,
            note="3% over ten years (test_nav_history)",
        )
    )
    return out  # fmt: skip


@check("nav_per_fund", "nav", needs=(ADJCLOSE, NAV_DIR, "index-levels"))
def _nav_per_fund(data_dir: Path) -> list[Outcome]:
    """The NAV engine per fund, spread fitted before the test window (issue 16)."""
    from gaemi.data.fund_history import nav_tracking_table

    df = nav_tracking_table(data_dir, extras=False)
    out = []
    for rec in df.to_dict(orient="records"):
        if not isinstance(rec.get("test"), str):
            continue
        nav_file = str(rec["compared_with"]).startswith("reported NAV")
        tol = 2e-4 if nav_file else 2e-3
        note = (
            "2 bp against the reported NAV (tests/validation/test_fund_history.py)"
            if nav_file
            else "20 bp against the market close (premium/discount noise: SOXL/SOXX "
            "median daily deviation 15.4 bp, SANITY.md)"
        )
        ts = f"{rec['ticker']} {rec['test']} ({rec['test_days']} days)"
        out.append(scored(
            "nav", "nav_per_fund", test_set=ts,
            fitted_on=f"financing spread on {rec['train']} ({format_frac(rec['spread_fitted'])})",
            metric=f"{rec['ticker']}: median |daily log error| vs {rec['compared_with']}",
            value=float(rec["median_abs_daily_err"]), op="<=", tolerance=tol, note=note,
        ))  # fmt: skip
    return out


@check("nav_tqqq_goal", "nav", needs=(NAV_DIR, "index-levels"))
def _nav_tqqq_goal(data_dir: Path) -> list[Outcome]:
    """TQQQ's ten-year NAV growth from the index, spread fitted on 2011–2014 (issue 4/16)."""
    from gaemi.data.fund_history import tqqq_must_show

    t = tqqq_must_show(data_dir)
    ts = f"TQQQ {t['compared_with']} {t['window']} ({t['days']} days), driven by {t['index']}"
    return [
        scored("nav", "nav_tqqq_goal", test_set=ts,
               fitted_on="financing spread on 2011–2014 "
               f"({format_frac(t['spread_fitted_2011_2014'])})",
               metric="TQQQ: |10-year growth error|", value=abs(t["err_fitted_2011_2014"]),
               op="<=", tolerance=0.02,
               note="issue 4/16 goal (2%); against the per-share NAV (payouts counted as "
               "losses) "
               f"{format_frac(t.get('err_fitted_2011_2014_price_nav', float('nan')), decimals=1)}"
               "; the "
               "carry beyond rate and fee rose from ~1.0%/yr (2011–14) to ~1.5–2%/yr "
               "(docs/decay.md 6b), which no 2011–2014 fit sees"),
        scored("nav", "nav_tqqq_goal", test_set=ts,
               fitted_on="rebalancing cost on 2011–2014 "
               f"({format_percent(t['turnover_cost_fitted_2011_2014'], decimals=2)} of "
               "|L(L−1)·r|·NAV), no spread",
               metric="TQQQ: |10-year growth error|, rebalancing-cost model",
               value=abs(t["err_turnover_2011_2014"]), op="<=", tolerance=0.02,
               note="issue 4/16 goal (2%); the one-parameter alternative to the spread"),
        scored("nav", "nav_tqqq_goal", test_set=ts,
               fitted_on="each year's spread on the four years before it (walk-forward)",
               metric="TQQQ: |10-year growth error|, walk-forward",
               value=abs(t["walk_forward_err"]), op="<=", tolerance=0.02,
               note="the issue-16 goal (2%); each year out of sample, but fitted on data "
               "after 2014, so not the goal's 2011–2014-only test"),
    ]  # fmt: skip


# ------------------------------------------------------------------ decay closed form
def rolling_closed_form(df: pd.DataFrame, terms: Any) -> dict[str, Any]:
    """Avellaneda–Zhang on 126-day windows (step 21) of real QQQ vs real TQQQ, 2011–2024."""
    from gaemi.core.decay import closed_form_value
    from gaemi.core.nav import discount_to_money_market_yield

    x = df.loc["2011-01-03":"2024-12-31"]
    lg = np.log1p(x["u"].pct_change().to_numpy()[1:])
    fund = x["f"].to_numpy()
    und = x["u"].to_numpy()
    rate = discount_to_money_market_yield(x["irx"].shift(1).to_numpy()[1:] / 100.0)
    errs = []
    for s in range(0, len(lg) - 126, 21):
        e = s + 126
        carry = float(np.mean(terms.carry_annual(rate[s:e])))
        cf = closed_form_value(3.0, und[e] / und[s], np.sum(lg[s:e] ** 2), carry, 126 / 252)
        errs.append(float(cf) / (fund[e] / fund[s]) - 1.0)
    a = np.asarray(errs)
    return {
        "windows": len(a),
        "first_day": str(x.index[0].date()),
        "last_day": str(x.index[-1].date()),
        "median_err": float(np.median(a)),
        "median_abs_err": float(np.median(np.abs(a))),
        "p05_err": float(np.quantile(a, 0.05)),
        "p95_err": float(np.quantile(a, 0.95)),
        "max_abs_err": float(np.max(np.abs(a))),
    }


@check("closed_form_rolling", "decay", needs=(ADJCLOSE,))
def _closed_form(data_dir: Path) -> list[Outcome]:
    """The decay closed form on rolling 6-month windows of real TQQQ."""
    from gaemi.core.nav import FundTerms

    tq = _nav_frame(data_dir, "TQQQ", "QQQ")
    r = rolling_closed_form(tq, FundTerms(3, NAV_ER["TQQQ"], RECIPE_SPREAD, "TQQQ"))
    ts = f"{r['windows']} windows of 126 days (step 21), {r['first_day']}..{r['last_day']}"
    fit = "nothing fitted (realised variance of each window; issue 4's carry)"
    return [
        scored("decay", "closed_form_rolling", test_set=ts, fitted_on=fit,
               metric="median |closed form / real TQQQ growth − 1|",
               value=r["median_abs_err"], op="<=", tolerance=0.005,
               note="tolerance of tests/validation/test_nav_history.py"),
        scored("decay", "closed_form_rolling", test_set=ts, fitted_on=fit,
               metric="worst |closed form / real TQQQ growth − 1|",
               value=r["max_abs_err"], op="<=", tolerance=0.05,
               note="tolerance of tests/validation/test_nav_history.py"),
    ]  # fmt: skip


# ------------------------------------------------------------------------ AUM replay
@check("aum_replay", "history", needs=(NAV_DIR,))
def _aum_replay(data_dir: Path) -> list[Outcome]:
    """The fund-history AUM replay against the issuer's daily AUM (issue 16)."""
    from gaemi.data.fund_history import aum_replay_check

    c = aum_replay_check(data_dir)
    ts = f"{', '.join(c['funds'])} {c['window']} ({c['interpolated']['n_days']} days)"
    fit = "nothing fitted (month-start AUM snapshots only; the daily AUM is withheld)"
    src = "tests/validation/test_fund_history.py"
    return [
        scored("history", "aum_replay", test_set=ts, fitted_on=fit,
               metric="K = ΣL(L−1)A: median |K_est/K_reported − 1|",
               value=c["interpolated"]["median_abs_err"], op="<=", tolerance=0.02, note=src),
        scored("history", "aum_replay", test_set=ts, fitted_on=fit,
               metric="K = ΣL(L−1)A: 95th percentile |K_est/K_reported − 1|",
               value=c["interpolated"]["p95_abs_err"], op="<=", tolerance=0.10, note=src),
    ]  # fmt: skip


# ------------------------------------------------------------------ stress history
STRESS_DAYS = ("2020-03-16", "2024-08-05", "2025-04-03", "2025-04-04", "2025-04-09", "2025-10-10")


def _ohlc(data_dir: Path, ticker: str) -> pd.DataFrame:
    import pandas as pd

    frames = []
    for folder in (OHLCV_OLD, OHLCV_NEW):
        f = data_dir / folder / f"{ticker}.csv"
        if f.is_file():
            df = pd.read_csv(f, parse_dates=["Date"]).set_index("Date")
            frames.append(df[["High", "Low", "Close"]])
    if not frames:
        return pd.DataFrame(columns=["High", "Low", "Close"])
    out = pd.concat(frames).sort_index()
    return out[~out.index.duplicated(keep="last")]


def stress_history_table(data_dir: Path, days: tuple[str, ...] = STRESS_DAYS) -> pd.DataFrame:
    """The close loop on real stress days: observed move, implied shock, the loop's part.

    Per underlying (NDX from QQQ, SOX from SOXX, adjusted closes) and day: the observed
    close-to-close move r, the shock r₀ = r − I(F(r)) the default scenario needs to reach
    it (:func:`gaemi.core.feedback.implied_shock_frac`, today's AUM), the loop's share,
    where the close sat in the day's range (CLV), whether the implied pre-close price was
    traded that day, the next day's move and the forward round trip solve(r₀).
    """
    import pandas as pd

    from gaemi.core.feedback import implied_shock_frac, solve
    from gaemi.data.stress import build_stress_model, load_default_stress
    from gaemi.data.universe import load_default_universe
    from gaemi.errors import GaemiInputError

    sc = load_default_stress()
    u = load_default_universe()
    rows = []
    for und, proxy in (("NDX", "QQQ"), ("SOX", "SOXX")):
        model = build_stress_model(sc, u, und)
        adj = _adj(data_dir, proxy)
        ret = adj.pct_change()
        ohlc = _ohlc(data_dir, proxy)
        for day in days:
            t = pd.Timestamp(day)
            i = int(np.searchsorted(adj.index.to_numpy(), t.to_datetime64()))
            if i >= len(adj) or adj.index[i] != t:
                raise GaemiInputError(f"{proxy}: no close on {day} in {ADJCLOSE}/")
            r = float(ret.to_numpy()[i])
            r0 = float(implied_shock_frac(model, r)[0])
            row: dict[str, Any] = {"underlying": und, "date": day, "observed_move_frac": r}
            row["implied_shock_frac"] = r0
            row["model_extra_move_frac"] = r - r0
            row["extra_share_of_move"] = (r - r0) / r
            if t in ohlc.index:
                h, lo, c = ohlc.loc[t, ["High", "Low", "Close"]].to_numpy(dtype=float)
                pre = c / (1.0 + r) * (1.0 + r0)  # previous close implied by the return
                row["clv"] = (c - lo) / (h - lo)
                row["implied_preclose_in_range"] = bool(lo - 1e-9 <= pre <= h + 1e-9)
            else:
                row["clv"] = np.nan
                row["implied_preclose_in_range"] = None
            row["next_day_move_frac"] = float(ret.iloc[i + 1])
            row["roundtrip_frac"] = float(solve(model, r0).final_move_frac[0])
            rows.append(row)
    return pd.DataFrame(rows)


@check("stress_history", "stress", needs=(ADJCLOSE,))
def _stress_history(data_dir: Path) -> list[Outcome]:
    """The close feedback loop on the largest NDX/SOX days since 2020."""
    t = stress_history_table(data_dir)
    ts = f"NDX (QQQ), SOX (SOXX) on {', '.join(STRESS_DAYS)}"
    fit = ("nothing fitted to closes; inputs σ_d and ADV measured on calendar 2025 "
           "(stress_default.yaml [D]), the rest judgement")  # fmt: skip
    known = t["implied_preclose_in_range"].dropna()
    share = t["extra_share_of_move"]
    return [
        scored("stress", "stress_history", test_set=ts, fitted_on=fit,
               metric="|solve(implied shock) − observed close| (round trip)",
               value=float(np.max(np.abs(t["roundtrip_frac"] - t["observed_move_frac"]))),
               op="<=", tolerance=1e-9, note="algebra: the inverse must be exact"),
        scored("stress", "stress_history", test_set=ts + f" ({len(known)} with OHLC)",
               fitted_on=fit, metric="share of days whose implied pre-close price was traded",
               value=float(known.mean()) if len(known) else math.nan, op=">=", tolerance=1.0,
               note="the model may not need a price the market never printed"),
        scored("stress", "stress_history", test_set=ts, fitted_on=fit,
               metric="largest share of a day's move the loop claims",
               value=float(share.max()), op="<=", tolerance=0.35,
               note="the loop is a minority of a stress day (docs/stress.md)"),
    ]  # fmt: skip


# -------------------------------------------------------------------- feedback laws
@check("feedback_laws", "stress")
def _feedback_laws(data_dir: Path) -> list[Outcome]:
    """No phantom drift and the circuit-breaker halt, on the default scenario."""
    from gaemi.core.feedback import solve
    from gaemi.data.stress import build_stress_model, load_default_stress
    from gaemi.data.universe import load_default_universe

    sc = load_default_stress()
    u = load_default_universe()
    zero, gain_err, sign_bad, halt_extra, halt_unfilled = 0.0, 0.0, 0, 0.0, 0.0
    names = list(sc.underlyings)
    for und in names:
        m = build_stress_model(sc, u, und)
        res = solve(m, [0.0, -1e-6, 1e-6, -0.9])
        zero = max(zero, abs(float(res.final_move_frac[0])))
        zero = max(zero, max(abs(float(f[0])) for f in res.flow_usd.values()))
        # small-signal gain 1/(1 − λ×·F'(0)); F'(0) = K + 100·G of the default participants
        slope = 0.0
        for p in m.participants:
            slope += float(p.flow_usd(np.array([[1e-9]]))[0, 0]) / 1e-9
        lam = float(getattr(m.impact, "small_flow_lambda", [np.inf])[0])
        if not math.isfinite(lam):
            lam = float(m.impact.impact_frac(np.array([1.0]))[0])
        g = 1.0 / (1.0 - lam * slope)
        for i, r0 in ((1, -1e-6), (2, 1e-6)):
            gain_err = max(gain_err, abs(float(res.final_move_frac[i]) / r0 - g))
            sign_bad += int(np.sign(res.final_move_frac[i]) != np.sign(r0))
        halt_extra = max(halt_extra, abs(float(res.extra_move_frac[3])) * bool(res.halted[3]))
        if not res.halted[3]:
            halt_extra = math.inf
        halt_unfilled = max(halt_unfilled, abs(float(res.unfilled_usd[3] - res.total_flow_usd[3])))
    ts = f"default scenario, {', '.join(names)}"
    fit = "nothing fitted (laws)"
    return [
        scored("stress", "feedback_laws", test_set=ts + ", shock 0", fitted_on=fit,
               metric="largest |move| or |flow| with no shock", value=zero, op="<=",
               tolerance=0.0, note="issue 18: with no shock nothing moves"),
        scored("stress", "feedback_laws", test_set=ts + ", shocks ±0.0001%", fitted_on=fit,
               metric="|close/shock − 1/(1 − λ×F'(0))| (no phantom drift)", value=gain_err,
               op="<=", tolerance=1e-6,
               note="a tiny shock closes at the loop's small-signal gain (was 315x for NDX)"),
        scored("stress", "feedback_laws", test_set=ts + ", shocks ±0.0001%", fitted_on=fit,
               metric="closes whose sign differs from the shock's", value=float(sign_bad),
               op="<=", tolerance=0.0, note="issue 18"),
        scored("stress", "feedback_laws", test_set=ts + ", shock −90%", fitted_on=fit,
               metric="|extra move| at a circuit-breaker halt", value=halt_extra, op="<=",
               tolerance=0.0, note="a halt is a halt, not a positive impact (issue 18)"),
        scored("stress", "feedback_laws", test_set=ts + ", shock −90%", fitted_on=fit,
               metric="|unfilled − wanted| selling at a halt before the close, USD",
               value=halt_unfilled, op="<=", tolerance=1e-3,
               note="trading halted before the close: nothing fills"),
    ]  # fmt: skip


# ------------------------------------------------------------------------- crypto
@check("crypto_loo", "crypto", needs=(CRYPTO, "crypto-derivatives"))
def _crypto_loo(data_dir: Path) -> list[Outcome]:
    """The crypto cascade, leave one event out, on the FACTS.md (i) events (issue 18.3)."""
    try:
        from gaemi.data.crypto import crypto_leave_one_out
    except ImportError:
        c = REGISTRY["crypto_loo"]
        return [_unavailable(c, "not available", NOT_YET)]
    df = crypto_leave_one_out(data_dir)
    events = ", ".join(str(e) for e in df["event"])
    fit = (
        "liquidation law: " + str(df["law_fitted_on"].iloc[0]) + "; scale to the all-coin "
        "total and long-share offset: on the other events each time"
    )
    out = [
        scored("crypto", "crypto_loo", test_set=f"{len(df)} held-out events: {events}",
               fitted_on=fit,
               metric="share of held-out events with the total within ×1.5 of the reported",
               value=float(df["total_ok"].astype(bool).mean()), op=">=", tolerance=1.0,
               note="issue 18: on each held-out event; totals from FACTS.md (i)"),
    ]  # fmt: skip
    split = df[df["long_share_ok"].notna()]
    if len(split):
        out.append(scored(
            "crypto", "crypto_loo",
            test_set=f"{len(split)} held-out events with a reported long/short split",
            fitted_on=fit, metric="share of held-out events with the long share within 10 points",
            value=float(split["long_share_ok"].astype(bool).mean()), op=">=", tolerance=1.0,
            note="issue 18: on each held-out event",
        ))  # fmt: skip
    # the per-event table: one line per held-out event and figure
    for r in df.to_dict(orient="records"):
        eid, oi = str(r["event"]), float(r["open_interest_usd"])
        note = (
            f"model {format_usd(r['model_total_usd'])} vs reported "
            f"{format_usd(r['reported_total_usd'])}; OI {format_usd(oi)}; BTC low "
            f"{format_frac(r['btc_low_move_frac'], decimals=1)}, exogenous shock "
            f"{format_frac(r['implied_btc_shock_frac'], decimals=1)}"
        )
        out.append(scored(
            "crypto", "crypto_loo", test_set=f"held-out event {eid}", fitted_on=fit,
            metric=f"{eid}: model / reported 24 h total", value=float(r["total_ratio"]),
            op="in", tolerance=1 / 1.5, tolerance_high=1.5, note=note,
        ))  # fmt: skip
        if r["long_share_ok"] is not None and r["reported_long_share"] is not None:
            out.append(scored(
                "crypto", "crypto_loo", test_set=f"held-out event {eid}", fitted_on=fit,
                metric=f"{eid}: |model − reported long share|, points",
                value=abs(float(r["long_share_error_pp"])), op="<=", tolerance=10.0,
                note=(f"model {format_percent(r['model_long_share'], decimals=0)} vs reported "
                      f"{format_percent(r['reported_long_share'], decimals=0)}"),
            ))  # fmt: skip
    return out


# ----------------------------------------------------------------------- contagion
#: Folders the contagion history reads (gaemi.data.contagion_history.FILES).
CONTAGION_NEEDS = (ADJCLOSE, "vix-cboe", "fx-daily", "kospi-kr-rates", "korea-equities", CRYPTO)
#: Issue 18: the 90 % bands cover 80–95 % of real outcomes at 1, 5 and 20 sessions.
COVERAGE_LO, COVERAGE_HI = 0.80, 0.95
#: Draws and seed of the Monte Carlo (as tests/validation/test_contagion_coverage.py).
CONTAGION_DRAWS, CONTAGION_SEED = 1000, 0


@check("contagion_coverage", "contagion", needs=CONTAGION_NEEDS)
def _contagion(data_dir: Path) -> list[Outcome]:
    """Contagion 90 % band coverage at 1, 5 and 20 sessions (issue 18.2)."""
    c = REGISTRY["contagion_coverage"]
    try:
        from gaemi.data.contagion_history import contagion_coverage
    except ImportError:
        return [_unavailable(c, "not available", NOT_YET)]
    cov = contagion_coverage(data_dir, draws=CONTAGION_DRAWS, seed=CONTAGION_SEED)
    summ = cov.summary
    if not {"coverage", "mae_ratio", "n"} <= set(summ.columns):
        return [_unavailable(c, "not available", NOT_YET + ": coverage columns missing")]
    fit = (f"edge profiles and residual paths on {cov.fit_window[0]}..{cov.fit_window[1]} "
           "(scripts/calibrate_cascade.py)")  # fmt: skip
    days = f"{len(cov.days)} days with QQQ <= −4% or SOXX <= −6%, {cov.days[0]}..{cov.days[-1]}"
    out = []
    recs = summ.reset_index().to_dict(orient="records")
    for rec in recs:
        node, h = str(rec["node"]), int(rec["h"])
        out.append(scored(
            "contagion", "contagion_coverage",
            test_set=f"{days} ({int(rec['n'])} with a {h}-session outcome)", fitted_on=fit,
            metric=f"{node}: share of outcomes inside the 90% band, {h} sessions",
            value=float(rec["coverage"]), op="in", tolerance=COVERAGE_LO,
            tolerance_high=COVERAGE_HI,
            note=f"issue 18: 80–95%; {CONTAGION_DRAWS} draws, seed {CONTAGION_SEED}",
        ))  # fmt: skip
    one = {str(r["node"]): r for r in recs if int(r["h"]) == 1}
    for node in ("VIX", "KOSPI", "USDKRW"):
        if node not in one:
            continue
        out.append(scored(
            "contagion", "contagion_coverage", test_set=f"{days}, next session",
            fitted_on=fit, metric=f"{node}: 1-session mean |error| / that of 'no change'",
            value=float(one[node]["mae_ratio"]), op="<=", tolerance=1.0,
            note="issue 18: the model beats 'no change' at 1 session",
        ))  # fmt: skip
    from gaemi.data.cascade import load_cascade
    from gaemi.data.contagion_history import korean_session_check, load_series
    from gaemi.errors import GaemiInputError

    try:  # the Korean session of 2026-03-04 shocked on Samsung and SK hynix
        k = korean_session_check(load_series(data_dir), load_cascade(), seed=CONTAGION_SEED)
    except GaemiInputError:
        return out  # the data has no 2026-03-04 Korean session
    out.append(scored(
        "contagion", "contagion_coverage",
        test_set=f"Korean session {k.day}: Samsung and SK hynix shocked with their "
        "realised moves, after the realised US session", fitted_on=fit,
        metric=f"{k.node} {format_frac(k.actual)} inside the 90% band "
        f"[{format_frac(k.lo)}, {format_frac(k.hi)}] (1 = inside)",
        value=float(k.inside), op=">=", tolerance=1.0,
        note="issue 18: a Korean-session shock reaches KOSPI; 2000 draws",
    ))  # fmt: skip
    return out


# --------------------------------------------------------------------------- result
@dataclass(frozen=True, kw_only=True)
class ValidateResult(Result):
    """The scorecard: one :class:`Outcome` per scored metric, and what was skipped.

    ``to_frame()``: one row per outcome; ``to_dict()`` adds ``data_dir``, ``counts`` and
    ``seconds``.
    """

    data_dir: str | None
    outcomes: tuple[Outcome, ...]
    seconds: dict[str, float] = field(default_factory=dict)
    kind: str = field(default="validate", init=False, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        """How many lines pass, fail, were skipped or are not available."""
        out = {"pass": 0, "fail": 0, "skipped": 0, "not available": 0}
        for o in self.outcomes:
            out[o.status] = out.get(o.status, 0) + 1
        return out

    @property
    def ok(self) -> bool:
        """No scored line fails."""
        return self.counts["fail"] == 0

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "engine": o.engine,
                    "check": o.check,
                    "metric": o.metric,
                    "value": o.value,
                    "op": o.op,
                    "tolerance": o.tolerance,
                    "tolerance_high": o.tolerance_high,
                    "status": o.status,
                    "test_set": o.test_set,
                    "fitted_on": o.fitted_on,
                    "note": o.note,
                }
                for o in self.outcomes
            ],
            columns=[
                "engine", "check", "metric", "value", "op", "tolerance", "tolerance_high",
                "status", "test_set", "fitted_on", "note",
            ],
        )  # fmt: skip

    def summary(self) -> str:
        c = self.counts
        where = self.data_dir or "no data folder"
        return (
            f"{c['pass']} pass, {c['fail']} fail, {c['skipped']} skipped, "
            f"{c['not available']} not yet available ({where})"
        )

    def extra_dict(self) -> dict[str, Any]:
        return {"data_dir": self.data_dir, "counts": self.counts, "seconds": self.seconds}


def default_data_dir() -> Path | None:
    """``$GAEMI_SHARED_DATA`` (the shared-data lookup of :mod:`gaemi.data.returns`), else
    ``../shared/data`` from the working directory, else beside the repository."""
    from gaemi.data.returns import shared_data_dir

    env = shared_data_dir()
    if env is not None:
        return env
    for cand in (
        Path("..") / "shared" / "data",
        Path(__file__).resolve().parents[4] / "shared" / "data",
    ):
        if cand.is_dir():
            return cand
    return None


def validate(data_dir: str | Path | None = None, *, only: tuple[str, ...] = ()) -> ValidateResult:
    """Run every registered check (or those in ``only``) on ``data_dir``.

    Parameters
    ----------
    data_dir : path, optional
        A folder laid out like ``../shared/data`` (default: :func:`default_data_dir`).
        A check whose folders are missing is skipped, saying which.
    only : tuple of str
        Registry ids to run (default: all).

    Returns
    -------
    ValidateResult
    """
    from gaemi.errors import GaemiInputError

    unknown = [x for x in only if x not in REGISTRY]
    if unknown:
        raise GaemiInputError(f"check {unknown[0]!r} is not known (known: {', '.join(REGISTRY)})")
    d = Path(data_dir) if data_dir is not None else default_data_dir()
    if d is not None and not d.is_dir():
        raise GaemiInputError(f"--data-dir {str(d)!r} is not a folder")
    outcomes: list[Outcome] = []
    seconds: dict[str, float] = {}
    warnings: list[str] = []
    for c in REGISTRY.values():
        if only and c.id not in only:
            continue
        missing = [n for n in c.needs if d is None or not (d / n).is_dir()]
        if missing:
            where = str(d) if d is not None else "no data folder (give --data-dir)"
            note = f"skipped: {missing[0]}/ missing under {where}"
            outcomes.append(_unavailable(c, "skipped", note))
            warnings.append(f"{c.id} {note}")
            continue
        t0 = time.perf_counter()
        outcomes.extend(c.fn(d if d is not None else Path(os.devnull)))
        seconds[c.id] = round(time.perf_counter() - t0, 2)
    return ValidateResult(
        data_dir=str(d) if d is not None else None,
        outcomes=tuple(outcomes),
        seconds=seconds,
        warnings=tuple(warnings),
        sources=(str(d),) if d is not None else (),
    )
