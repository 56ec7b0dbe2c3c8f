"""Replay a real account over real history: margin calls, forced sales, ruin, graduation.

Prices and USD/KRW come from a folder laid out like ``../shared/data``:

* closes: ``us-adjclose-1993-2026/<TICKER>.csv`` (split- and dividend-adjusted). SOXS's
  file carries an unadjusted 1:15 reverse split on 2026-05-26 (data README); its closes
  before that day are divided by 15 here, and said in the warnings.
* opens (for a forced sale or stop-loss at the next open): the day's Open/Close ratio of
  ``us-ohlcv-2023-2026/<TICKER>.csv``, else ``us-letf-ohlcv-2024-2026/<TICKER>.csv``, times
  the adjusted close (the ratio is the same on any adjustment basis). Where neither file
  has the day, the sale is at that day's close, and the event says so.
* USD/KRW: FRED DEXKOUS (``fx-daily/DEXKOUS.csv``, noon New York buying rate, to
  2026-03-27), then ``korea-2026/USDKRW_2026_transcribed.csv`` (a Yahoo quote, transcribed;
  PROVENANCE.md) for later days; holidays carry the previous value (at most 5 days).

The broker is :class:`gaemi.core.investor.MarginRules` (defaults ``investor.yaml``); the
replay itself is :func:`gaemi.core.account.replay_account`. A fund may be backfilled
before it existed from the index it tracks (:func:`gaemi.core.nav.scheduled_fund_returns`;
every output marks those days synthetic), and the realised outcome can be placed in the
distribution of :func:`gaemi.app.investor.investor`'s forward simulation started on the
replay's first day with the same account.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from gaemi.app.result import Choice, Result
from gaemi.errors import GaemiInputError
from gaemi.units import format_percent

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.data.state import MarketState

ADJCLOSE_DIR = "us-adjclose-1993-2026"
OHLC_DIRS = ("us-ohlcv-2023-2026", "us-letf-ohlcv-2024-2026")
FX_FILE = "fx-daily/DEXKOUS.csv"
FX_LATER_FILE = "korea-2026/USDKRW_2026_transcribed.csv"
#: SOXS's unadjusted reverse split (data README): (first day on the new basis, ratio).
SOXS_SPLIT = ("2026-05-26", 15.0)
#: The adjusted-close file standing in for each underlying when backfilling (total return:
#: dividends reinvested; QQQ and SPY also pay their 0.20 %/0.09 % fee, a small drag).
UNDERLYING_PROXY: dict[str, str] = {"NDX": "QQQ", "SOX": "SOXX", "SPX": "SPY", "MSCIKR": "EWY"}
#: Views of :meth:`AccountReplayResult.to_frame`.
VIEWS = ("daily", "events", "forward", "summary")
#: Rebalance schedules.
REBALANCE = ("none", "monthly", "quarterly")
#: Percentiles the forward simulation reports beside the realised value.
FWD_PROBS = (0.05, 0.25, 0.5, 0.75, 0.95)


# ----------------------------------------------------------------------------- data
def _root(data_dir: str | Path | None) -> Path:
    if data_dir is None:
        raise GaemiInputError(
            "data_dir = None: give a folder laid out like ../shared/data (prices, USD/KRW)"
        )
    p = Path(data_dir)
    if not (p / ADJCLOSE_DIR).is_dir():
        raise GaemiInputError(f"data_dir = {str(p)!r} has no {ADJCLOSE_DIR}/ folder")
    return p


def load_close(root: Path, ticker: str) -> pd.Series | None:
    """Adjusted closes of ``ticker`` (SOXS's split defect repaired), or None if absent."""
    import pandas as pd

    from gaemi.data.fund_history import adj_close

    s = adj_close(root, ticker.upper())
    if s is None:
        return None
    if ticker.upper() == "SOXS":
        first, ratio = SOXS_SPLIT
        s = s.copy()
        s[s.index < pd.Timestamp(first)] /= ratio
    return s


def load_open_ratio(root: Path, ticker: str) -> pd.Series:
    """Open/close of each day from the OHLC files (first file wins; empty if none)."""
    import pandas as pd

    parts = []
    for d in OHLC_DIRS:
        f = root / d / f"{ticker.upper()}.csv"
        if not f.is_file():
            continue
        df = pd.read_csv(f)
        if not {"Date", "Open", "Close"} <= set(df.columns):
            raise GaemiInputError(f"{f}: expected columns Date, Open, Close")
        day = pd.to_datetime(df["Date"].astype(str).str[:10])
        ratio = df["Open"].to_numpy(float) / df["Close"].to_numpy(float)
        s = pd.Series(ratio, index=pd.DatetimeIndex(day))
        s = s[np.isfinite(s.to_numpy()) & (s.to_numpy() > 0)]
        parts.append(s[~s.index.duplicated(keep="first")])
    if not parts:
        return pd.Series(dtype=float)
    out = parts[0]
    for p in parts[1:]:
        out = out.combine_first(p)
    res: pd.Series = out.sort_index()
    return res


def load_usdkrw(root: Path) -> tuple[pd.Series, dt.date | None]:
    """KRW per USD: DEXKOUS, then the transcribed 2026 file after its last day.

    Returns the series and the first day taken from the transcribed file (None if absent).
    """
    import pandas as pd

    f = root / FX_FILE
    if not f.is_file():
        raise GaemiInputError(f"data_dir = {str(root)!r} has no {FX_FILE}")
    df = pd.read_csv(f)
    s = pd.Series(
        pd.to_numeric(df["DEXKOUS"], errors="coerce").to_numpy(float),
        index=pd.DatetimeIndex(pd.to_datetime(df["observation_date"])),
    ).dropna()
    later_first: dt.date | None = None
    f2 = root / FX_LATER_FILE
    if f2.is_file():
        d2 = pd.read_csv(f2)
        s2 = pd.Series(
            d2["close"].to_numpy(float), index=pd.DatetimeIndex(pd.to_datetime(d2["date"]))
        ).dropna()
        s2 = s2[s2.index > s.index.max()]
        if len(s2):
            later_first = s2.index[0].date()
            s = pd.concat([s, s2])
    s = s[s > 0]
    return s.sort_index(), later_first


# ----------------------------------------------------------------------------- backfill
@dataclass(frozen=True)
class Backfill:
    """How a fund was extended before its first real close."""

    ticker: str
    proxy: str
    leverage: float
    expense_ratio: float
    spread_annual: float
    first_real: dt.date


def _fund_terms(state: MarketState | None, ticker: str) -> tuple[float, str, float] | None:
    """(leverage, underlying id, expense ratio) from the universe, or None (a stock)."""
    from gaemi.data.universe import load_default_universe

    u = state.universe if state is not None else load_default_universe()
    hit = np.flatnonzero(np.char.upper(u.ticker.astype(str)) == ticker.upper())
    if not hit.size:
        return None
    i = int(hit[0])
    er = float(u.expense_ratio[i])
    return float(u.leverage[i]), str(u.underlying_id[i]), er if math.isfinite(er) else 0.0095


def synthetic_closes(
    root: Path,
    ticker: str,
    days: pd.DatetimeIndex,
    anchor: pd.Timestamp,
    anchor_close: float,
    *,
    state: MarketState | None = None,
    spread_annual: float | None = None,
    dated_leverage: bool = False,
) -> tuple[np.ndarray, Backfill]:
    """The fund's closes on ``days`` built by the NAV engine from its index proxy.

    Daily fund return r_f = L·r + [(1−L)·ρ − n(L)·s]·days/360 − e·days/365 (the 13-week
    T-bill as the rate ρ, :func:`gaemi.core.nav.scheduled_fund_returns`), scaled so that
    the path passes through ``anchor_close`` on ``anchor`` (the first real close). The
    leverage is the universe's (today's objective); with ``dated_leverage`` the fund's
    dated changes (TSLL/NVDL 1.5x → 2x, FACTS.md §(j), ``LEVERAGE_CHANGES``) apply from
    the launch leverage on — used when comparing with the real fund.
    """
    import pandas as pd

    from gaemi.app.decay import vol_defaults
    from gaemi.core.nav import (
        discount_to_money_market_yield,
        leverage_schedule,
        scheduled_fund_returns,
    )
    from gaemi.data.fund_history import LEVERAGE_CHANGES, tbill_rate

    terms = _fund_terms(state, ticker)
    if terms is None:
        raise GaemiInputError(
            f"positions: {ticker!r} has no history before {anchor.date()} and is not a fund "
            "in the universe (no index to backfill from)"
        )
    lev, uid, er = terms
    proxy = UNDERLYING_PROXY.get(uid, uid)
    idx = load_close(root, proxy)
    if idx is None:
        raise GaemiInputError(
            f"positions: {ticker!r} has no history before {anchor.date()} and its index "
            f"{uid} has no {ADJCLOSE_DIR}/{proxy}.csv to backfill from"
        )
    spread = vol_defaults().spread_annual if spread_annual is None else float(spread_annual)
    want = days[days <= anchor]
    u = idx.reindex(want.union(pd.DatetimeIndex([anchor]))).ffill(limit=5)
    if not np.isfinite(u.to_numpy()).all():
        raise GaemiInputError(
            f"positions: {ticker!r}'s index proxy {proxy} starts {idx.index[0].date()}, after "
            f"the replay's first day {want[0].date()}: no history to backfill from"
        )
    irx = tbill_rate(root).reindex(u.index, method="ffill").fillna(0.0).to_numpy()
    r = u.pct_change().to_numpy()[1:]
    gap = np.diff(u.index.to_numpy()).astype("timedelta64[D]").astype(float)
    rho = np.asarray(discount_to_money_market_yield(irx[:-1]))
    lev_days: Any = lev
    if dated_leverage and ticker.upper() in LEVERAGE_CHANGES:
        base, changes = LEVERAGE_CHANGES[ticker.upper()]
        sched = leverage_schedule(u.index.to_numpy()[1:], changes, base)
        lev_days = np.sign(lev) * np.abs(sched)
    rf = scheduled_fund_returns(r, lev_days, er, spread, rho, gap / 360.0, gap / 365.0)
    growth = np.concatenate([[1.0], np.cumprod(1.0 + rf)])
    path = anchor_close * growth / growth[-1]
    out = pd.Series(path, index=u.index).reindex(days).to_numpy()
    return out, Backfill(ticker, proxy, lev, er, spread, anchor.date())


def backfill_error_table(
    data_dir: str | Path,
    tickers: Sequence[str] = ("TQQQ", "SOXL"),
    *,
    state: MarketState | None = None,
    spread_annual: float | None = None,
) -> pd.DataFrame:
    """Synthetic (index + NAV engine) against the real fund over their common history.

    The synthetic path starts at the fund's first real close and is driven by the proxy's
    daily moves only (no refit: the spread is ``vol_params.yaml``'s unless given). Columns:
    window, days, real and synthetic growth, end error (synthetic/real − 1), annualised
    tracking error and median |daily log error|, worst |log gap| along the path.
    """
    import pandas as pd

    root = _root(data_dir)
    rows = []
    for tk in tickers:
        real = load_close(root, tk)
        if real is None:
            raise GaemiInputError(f"tickers: {tk!r} has no {ADJCLOSE_DIR}/{tk}.csv")
        terms = _fund_terms(state, tk)
        if terms is None:
            raise GaemiInputError(f"tickers: {tk!r} is not a fund in the universe")
        proxy = UNDERLYING_PROXY.get(terms[1], terms[1])
        idx = load_close(root, proxy)
        if idx is None:
            continue
        days = real.index[real.index <= idx.index[-1]]
        end = days[-1]
        # build forward from the first real day: anchor at the end, then rescale to start
        syn, bf = synthetic_closes(
            root,
            tk,
            days,
            end,
            1.0,
            state=state,
            spread_annual=spread_annual,
            dated_leverage=True,
        )
        syn = syn / syn[0] * real.iloc[0]
        re = real.reindex(days).to_numpy()
        dl = np.diff(np.log(syn)) - np.diff(np.log(re))
        gap = np.log(syn / re)
        rows.append(
            {
                "ticker": tk,
                "index_proxy": proxy,
                "leverage": bf.leverage,
                "start": days[0].date().isoformat(),
                "end": end.date().isoformat(),
                "days": len(days) - 1,
                "real_growth": float(re[-1] / re[0]),
                "synthetic_growth": float(syn[-1] / syn[0]),
                "end_error_frac": float(syn[-1] / re[-1] - 1.0),
                "tracking_error_annual": float(np.std(dl) * math.sqrt(252.0)),
                "median_abs_daily_log_err": float(np.median(np.abs(dl))),
                "max_abs_log_gap": float(np.max(np.abs(gap))),
                "spread_annual": bf.spread_annual,
                "expense_ratio": bf.expense_ratio,
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True, kw_only=True)
class AccountReplayResult(Result):
    """One account replayed over real history.

    Attributes
    ----------
    daily : DataFrame
        One row per trading day: ``date``, ``equity_krw``, ``equity_usd``,
        ``collateral_krw``/``loan_krw`` (or ``_usd`` for a USD account), ``cash``,
        ``contributed``, ``unit_value``, ``drawdown_frac``, ``ratio``, ``usdkrw``,
        ``synthetic`` (any holding backfilled that day) and ``close_<TICKER>_usd``.
    events : DataFrame
        ``date``, ``event`` (margin_call, top_up, forced_sale, stop_loss, call_cured,
        ruined, graduated), ``amount_<cur>``, ``amount_usd``, ``price_basis``, ``detail``.
    forward : DataFrame or None
        Realised value beside the forward simulation's distribution (percentile).
    backfilled : tuple of Backfill
        Funds extended before their first real close.
    """

    currency: str
    capital: float
    tickers: tuple[str, ...]
    weights: tuple[float, ...]
    margin: float
    daily: pd.DataFrame
    events: pd.DataFrame
    forward: pd.DataFrame | None = None
    backfilled: tuple[Backfill, ...] = ()
    ruined_on: dt.date | None = None
    graduated_on: dt.date | None = None
    kind: str = field(default="replay", init=False, repr=False)

    @property
    def start(self) -> dt.date:
        return self.daily["date"].iloc[0].date()  # type: ignore[no-any-return]

    @property
    def end(self) -> dt.date:
        return self.daily["date"].iloc[-1].date()  # type: ignore[no-any-return]

    def first_event(self, kind: str) -> dt.date | None:
        """Date of the first event of ``kind`` (None if none)."""
        hit = self.events[self.events["event"] == kind]
        return None if hit.empty else hit["date"].iloc[0].date()

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """``daily`` (default), ``events``, ``forward`` or ``summary`` (one row)."""
        import pandas as pd

        if view in (None, "daily"):
            return self.daily
        if view == "events":
            return self.events
        if view == "forward":
            return self.forward if self.forward is not None else pd.DataFrame()
        if view == "summary":
            return pd.DataFrame([self.extra_dict()])
        raise GaemiInputError(f"view = {view!r} must be one of {', '.join(VIEWS)}")

    def extra_dict(self) -> dict[str, Any]:
        cur = self.currency.lower()
        last = self.daily.iloc[-1]

        def iso(d: dt.date | None) -> str | None:
            return None if d is None else d.isoformat()

        pct = None
        if self.forward is not None and not self.forward.empty:
            row = self.forward[self.forward["measure"] == "end_value"]
            pct = float(row["realised_percentile"].iloc[0]) if len(row) else None
        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "currency": self.currency,
            f"capital_{cur}": self.capital,
            "positions": dict(zip(self.tickers, self.weights, strict=True)),
            "margin": self.margin,
            "end_equity_krw": float(last["equity_krw"]),
            "end_equity_usd": float(last["equity_usd"]),
            f"contributed_{cur}": float(last["contributed"]),
            "max_drawdown_frac": float(self.daily["drawdown_frac"].max()),
            "margin_calls": int((self.events["event"] == "margin_call").sum()),
            "forced_sales": int((self.events["event"] == "forced_sale").sum()),
            "first_margin_call": iso(self.first_event("margin_call")),
            "first_forced_sale": iso(self.first_event("forced_sale")),
            "ruined_on": iso(self.ruined_on),
            "graduated_on": iso(self.graduated_on),
            "synthetic_until": {b.ticker: b.first_real.isoformat() for b in self.backfilled},
            "synthetic_days": int(self.daily["synthetic"].sum()),
            "end_value_percentile_in_forward_sim": pct,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the summary scalars, ``records`` (daily, dates as YYYY-MM-DD),
        ``events`` and ``forward`` (lists of dicts; NaN/inf as null), ``backfilled``."""
        from gaemi.app.result import records

        def dated(df: pd.DataFrame) -> list[dict[str, Any]]:
            if df.empty:
                return []
            out = df.copy()
            if "date" in out.columns:
                out["date"] = out["date"].dt.strftime("%Y-%m-%d")
            return records(out)

        d = super().to_dict()
        d["records"] = dated(self.daily)
        d["events"] = dated(self.events)
        d["forward"] = dated(self.forward) if self.forward is not None else []
        d["backfilled"] = [
            {
                "ticker": b.ticker,
                "index_proxy": b.proxy,
                "leverage": b.leverage,
                "expense_ratio": b.expense_ratio,
                "spread_annual": b.spread_annual,
                "first_real": b.first_real.isoformat(),
            }
            for b in self.backfilled
        ]
        return d

    def summary(self) -> str:
        """Plain sentences: what happened to the account."""
        from gaemi.app.investor import format_money

        cur = self.currency
        e = self.extra_dict()
        held = " + ".join(
            f"{t} {format_percent(w, decimals=0)}"
            for t, w in zip(self.tickers, self.weights, strict=True)
        )
        loan = (
            f" with a {format_percent(self.margin, decimals=0)} margin loan"
            if self.margin > 0
            else ""
        )
        lines = [
            f"{format_money(self.capital, cur)} in {held}{loan}, {e['start']} to {e['end']} "
            f"(real prices; {e['synthetic_days']} synthetic days)"
            if self.backfilled
            else f"{format_money(self.capital, cur)} in {held}{loan}, {e['start']} to {e['end']} "
            "(real prices and USD/KRW):",
            (
                f"- ends at {format_money(e['end_equity_krw'], 'KRW')} / "
                f"{format_money(e['end_equity_usd'], 'USD')} (money put in "
                f"{format_money(e[f'contributed_{cur.lower()}'], cur)}); worst fall from a high "
                f"{format_percent(e['max_drawdown_frac'], decimals=0)}."
            ),
        ]
        if self.margin > 0:
            lines.append(
                f"- {e['margin_calls']} margin call(s), first on {e['first_margin_call'] or '—'}; "
                f"{e['forced_sales']} forced sale(s), first on {e['first_forced_sale'] or '—'}."
            )
        if self.ruined_on:
            lines.append(f"- ruined (down 90% of the money put in) on {e['ruined_on']}.")
        if self.graduated_on:
            lines.append(f"- graduated (target reached, cashed out) on {e['graduated_on']}.")
        if e["end_value_percentile_in_forward_sim"] is not None:
            lines.append(
                "- the realised end value sits at the "
                f"{format_percent(e['end_value_percentile_in_forward_sim'], decimals=0)} "
                "percentile of the forward "
                "simulation started on the first day."
            )
        if self.backfilled:
            lines.append(
                "- synthetic (index + NAV engine) before: "
                + ", ".join(f"{b.ticker} {b.first_real}" for b in self.backfilled)
                + "."
            )
        return "\n".join(lines)


# ----------------------------------------------------------------------------- replay
def _positions(positions: Sequence[tuple[str, float]]) -> tuple[tuple[str, ...], np.ndarray]:
    if not positions:
        raise GaemiInputError("positions: give at least one, e.g. SOXL=1.0")
    tickers = tuple(str(t).strip().upper() for t, _ in positions)
    w = np.array([float(x) for _, x in positions])
    for t, x in zip(tickers, w, strict=True):
        if not (math.isfinite(x) and x > 0):
            raise GaemiInputError(f"weight of {t} = {float(x):g} must be > 0")
    if len(set(tickers)) != len(tickers):
        raise GaemiInputError(f"positions: a ticker appears twice in {list(tickers)}")
    if abs(float(w.sum()) - 1.0) > 1e-6:
        raise GaemiInputError(f"weights sum to {float(w.sum()):g}; they must sum to 1")
    return tickers, w


def _period_starts(days: pd.DatetimeIndex, months: int) -> np.ndarray:
    """True on the first trading day of each ``months``-month period (not the start day)."""
    per = days.to_period("M")
    first = np.r_[False, per[1:] != per[:-1]]
    if months > 1:
        first &= (days.month - 1) % months == 0
    return np.asarray(first, dtype=bool)


def replay_account(
    state: MarketState | None = None,
    capital: float = 140_000_000.0,
    positions: Sequence[tuple[str, float]] = (("SOXL", 1.0),),
    *,
    start: str | dt.date,
    end: str | dt.date | None = None,
    data_dir: str | Path | None = None,
    currency: Literal["KRW", "USD"] | str = "KRW",
    margin: float = 0.0,
    maintenance_ratio: float | None = None,
    grace_days: int | None = None,
    loan_rate_annual: float | None = None,
    forced_sale_discount: float | None = None,
    deposit: float = 0.0,
    rebalance: str = "none",
    stop_loss_frac: float | None = None,
    target: float | None = None,
    top_up_max: float = 0.0,
    backfill: bool = False,
    forward_paths: int = 0,
    rng: Any = 0,
    progress: Callable[[int, int], None] | None = None,
) -> AccountReplayResult:
    """Replay an account on real prices and USD/KRW (see the module docstring).

    Parameters
    ----------
    state : MarketState, optional
        Universe (fund terms for backfill and the forward simulation) and calibration.
    capital : float
        Own money at the start, in ``currency``.
    positions : sequence of (ticker, weight)
        Funds or stocks of ``us-adjclose``; weights of the money invested, summing to 1.
    start, end : date or YYYY-MM-DD
        First day (bought at its close; the next trading day if a holiday) and last day
        (default: the last day every price is known).
    data_dir : path
        A folder laid out like ../shared/data.
    margin : float
        Loan / capital at the start (0.5: borrow half the capital).
    maintenance_ratio, grace_days, loan_rate_annual, forced_sale_discount : optional
        The broker (default ``investor.yaml``).
    deposit : float
        Money added on the first trading day of each month (적립식), in ``currency``.
    rebalance : {"none", "monthly", "quarterly"}
        Reset holdings to the weights on the first trading day of each period.
    stop_loss_frac, target, top_up_max : optional
        See :class:`gaemi.core.account.Strategy`.
    backfill : bool
        Extend a fund with no price on ``start`` from its index (marked synthetic).
    forward_paths : int
        Paths of the forward simulation started on the first day (0: none).
    rng : int or Generator
        Seed of the forward simulation.
    progress : callable, optional
        ``progress(done, total)`` with total = trading days + ``forward_paths``: the
        replay reports every 250 days, then the forward simulation its paths.
    """
    import pandas as pd

    from gaemi.app.investor import margin_rules
    from gaemi.app.state import parse_day
    from gaemi.core.account import Strategy
    from gaemi.core.account import replay_account as replay_kernel

    root = _root(data_dir)
    cur = str(currency).strip().upper()
    if cur not in ("KRW", "USD"):
        raise GaemiInputError(f"currency = {currency!r} must be KRW or USD")
    if not (math.isfinite(capital) and capital > 0):
        raise GaemiInputError(f"capital = {capital!r} must be > 0")
    if not (math.isfinite(deposit) and deposit >= 0):
        raise GaemiInputError(f"deposit = {deposit!r} must be >= 0")
    if rebalance not in REBALANCE:
        raise GaemiInputError(f"rebalance = {rebalance!r} must be one of {', '.join(REBALANCE)}")
    if forward_paths < 0:
        raise GaemiInputError(f"forward_paths = {forward_paths} must be >= 0")
    tickers, w = _positions(positions)
    d0 = parse_day(start, "from")
    d1 = None if end is None else parse_day(end, "to")
    if d1 is not None and d1 <= d0:
        raise GaemiInputError(f"to = '{d1}' must be after from = '{d0}'")
    strat = Strategy(
        deposit=deposit, stop_loss_frac=stop_loss_frac, target=target, top_up_max=top_up_max
    )
    rules = margin_rules(
        maintenance_ratio=maintenance_ratio,
        grace_days=grace_days,
        loan_rate_annual=loan_rate_annual,
        forced_sale_discount=forced_sale_discount,
    )
    warnings: list[str] = []
    closes: dict[str, pd.Series] = {}
    for t in tickers:
        s = load_close(root, t)
        if s is None:
            raise GaemiInputError(f"positions: {t!r} has no {ADJCLOSE_DIR}/{t}.csv in data_dir")
        closes[t] = s
        if t == "SOXS":
            warnings.append(
                "SOXS: the adjusted closes before 2026-05-26 are divided by 15 (the file's "
                "unadjusted 1:15 reverse split, data README)"
            )
    fx, fx_later = load_usdkrw(root)
    # the calendar: days the first-listed... every real close of any position after start
    ts0 = pd.Timestamp(d0)
    last = min(s.index[-1] for s in closes.values())
    if d1 is not None:
        last = min(last, pd.Timestamp(d1))
    cal = pd.DatetimeIndex(sorted(set().union(*(set(s.index) for s in closes.values()))))
    for t in tickers:
        if closes[t].index[0] <= ts0:
            continue
        if not backfill:
            raise GaemiInputError(
                f"from = '{d0}' is before {t}'s first close {closes[t].index[0].date()} "
                "(backfill extends a fund from its index)"
            )
        terms = _fund_terms(state, t)
        proxy = None if terms is None else UNDERLYING_PROXY.get(terms[1], terms[1])
        px = None if proxy is None else load_close(root, proxy)
        if terms is None or px is None or px.index[0] > ts0:
            why = (
                "is not a fund in the universe"
                if terms is None
                else f"its index {terms[1]} has no {ADJCLOSE_DIR}/{proxy}.csv"
                if px is None
                else f"its index proxy {proxy} starts {px.index[0].date()}"
            )
            raise GaemiInputError(
                f"positions: {t!r} has no history before {closes[t].index[0].date()} and {why} "
                f"(no index to backfill from since {d0})"
            )
        cal = cal.union(pd.DatetimeIndex(px.index))
    days = cal[(cal >= ts0) & (cal <= last)]
    if len(days) < 2 or (days[0] - ts0).days > 7:
        earliest = max(s.index[0] for s in closes.values())
        raise GaemiInputError(
            f"from = '{d0}' leaves no trading days in the data ({earliest.date()}..{last.date()})"
        )
    if fx.index[0] > days[0] and cur == "KRW":
        raise GaemiInputError(f"from = '{d0}' is before the first USD/KRW {fx.index[0].date()}")
    backfills: list[Backfill] = []
    synth = np.zeros(len(days), dtype=bool)
    close_arr = np.empty((len(days), len(tickers)))
    open_arr = np.full((len(days), len(tickers)), np.nan)
    for j, t in enumerate(tickers):
        s = closes[t].reindex(days)
        real_first = closes[t].index[0]
        if real_first > days[0]:
            syn, bf = synthetic_closes(
                root, t, days, real_first, float(closes[t].iloc[0]), state=state
            )
            before = days < real_first
            s[before] = syn[before]
            synth |= before
            backfills.append(bf)
            warnings.append(
                f"{t}: synthetic before {real_first.date()} (NAV engine on {bf.proxy}, "
                f"{bf.leverage:+g}x, spread {format_percent(bf.spread_annual, decimals=2)}, "
                f"expense {format_percent(bf.expense_ratio, decimals=2)})"
            )
        s = s.ffill(limit=5)
        if not np.isfinite(s.to_numpy()).all():
            bad = days[~np.isfinite(s.to_numpy())][0]
            raise GaemiInputError(f"positions: {t!r} has no close on or before {bad.date()}")
        close_arr[:, j] = s.to_numpy()
        ratio = load_open_ratio(root, t).reindex(days).to_numpy()
        open_arr[:, j] = close_arr[:, j] * ratio
    has_open = np.isfinite(open_arr).all(axis=1)
    if cur == "KRW":
        fx_arr = fx.reindex(fx.index.union(days)).ffill(limit=5).reindex(days).to_numpy()
        if not np.isfinite(fx_arr).all():
            bad = days[~np.isfinite(fx_arr)][0]
            raise GaemiInputError(f"to = '{last.date()}': no USD/KRW on {bad.date()}")
    else:
        fx_arr = np.ones(len(days))
    gap_days = np.r_[1.0, np.diff(days.to_numpy()).astype("timedelta64[D]").astype(float)]
    deposit_days = _period_starts(days, 1)
    reb_days = (
        np.zeros(len(days), bool)
        if rebalance == "none"
        else _period_starts(days, 1 if rebalance == "monthly" else 3)
    )
    total_steps = len(days) + forward_paths
    day_progress = None
    if progress is not None:
        cb = progress

        def day_progress(done: int, _n: int) -> None:
            cb(done, total_steps)

    rep = replay_kernel(
        close_arr,
        fx_arr,
        w,
        capital,
        margin=margin,
        rules=rules,
        open_usd=open_arr,
        calendar_days=gap_days,
        deposit_days=deposit_days,
        rebalance_days=reb_days,
        strategy=strat,
        progress=day_progress,
    )
    krw = cur == "KRW"
    to_krw = fx_arr if not krw else np.ones(len(days))
    to_usd = 1.0 / fx_arr if krw else np.ones(len(days))
    if not krw:  # a USD account: the won figures still use the day's real rate
        fxk = fx.reindex(fx.index.union(days)).ffill(limit=5).reindex(days).to_numpy()
        to_krw = fxk
    c = cur.lower()
    daily = pd.DataFrame(
        {
            "date": days,
            "equity_krw": rep.equity * to_krw,
            "equity_usd": rep.equity * to_usd,
            f"collateral_{c}": rep.collateral,
            f"loan_{c}": rep.loan,
            f"cash_{c}": rep.cash,
            "contributed": rep.contributed,
            "unit_value": rep.unit_value,
            "drawdown_frac": rep.drawdown_frac,
            "ratio": rep.ratio,
            "usdkrw": fx_arr if krw else to_krw,
            "synthetic": synth,
        }
    )
    for j, t in enumerate(tickers):
        daily[f"close_{t}_usd"] = close_arr[:, j]
    ev_rows = []
    for t_i, kind, amount, detail in rep.events:
        basis = ""
        if kind in ("forced_sale", "stop_loss"):
            basis = "open" if has_open[t_i] else "close (no open in the data)"
        ev_rows.append(
            {
                "date": days[t_i],
                "event": kind,
                f"amount_{c}": amount,
                "amount_usd": amount * to_usd[t_i],
                "price_basis": basis,
                "synthetic": bool(synth[t_i]),
                "detail": detail,
            }
        )
    events = pd.DataFrame(
        ev_rows,
        columns=[
            "date",
            "event",
            f"amount_{c}",
            "amount_usd",
            "price_basis",
            "synthetic",
            "detail",
        ],
    )
    if krw and fx_later is not None and days[-1].date() >= fx_later:
        warnings.append(
            f"USD/KRW from {fx_later} on is the transcribed Yahoo quote "
            f"({FX_LATER_FILE}), not FRED's noon rate"
        )
    no_open = [str(r["date"].date()) for r in ev_rows if r["price_basis"].startswith("close")]
    if no_open:
        warnings.append(f"no open price on {', '.join(no_open)}: those sales use the close")
    forward = None
    if forward_paths > 0:
        forward, fwarns = forward_comparison(
            state,
            rep_end=float(rep.equity[-1]),
            rep_growth=float(rep.unit_value[-1]),
            rep_maxdd=rep.max_drawdown_frac,
            rep_forced=rep.first("forced_sale") >= 0,
            capital=capital,
            tickers=tickers,
            weights=w,
            currency=cur,
            margin=margin,
            rules=rules,
            target=target,
            n_days=len(days) - 1,
            usdkrw=float(fx_arr[0]) if krw else None,
            deposits=deposit > 0 or rebalance != "none",
            paths=forward_paths,
            rng=rng,
            progress=None
            if progress is None
            else (lambda done, _t: progress(len(days) + done, total_steps)),
        )
        warnings.extend(fwarns)
    if progress is not None:
        progress(total_steps, total_steps)
    sources = (
        f"{ADJCLOSE_DIR}/ (adjusted closes)",
        f"{' / '.join(OHLC_DIRS)} (open/close ratio for sales at the open)",
        f"{FX_FILE} (FRED) then {FX_LATER_FILE} after it ends" if krw else "USD account",
    )
    choices = (
        Choice("maintenance_ratio", rules.maintenance_ratio, "investor.yaml or given"),
        Choice("grace_days", rules.grace_days, "investor.yaml or given"),
        Choice("loan_rate_annual", rules.loan_rate_annual, "investor.yaml or given"),
        Choice("loan_interest_day_count", "calendar days/365", "Korean broker practice"),
    )
    return AccountReplayResult(
        currency=cur,
        capital=float(capital),
        tickers=tickers,
        weights=tuple(float(x) for x in w),
        margin=float(margin),
        daily=daily,
        events=events,
        forward=forward,
        backfilled=tuple(backfills),
        ruined_on=days[rep.ruined_day].date() if rep.ruined_day >= 0 else None,
        graduated_on=days[rep.graduated_day].date() if rep.graduated_day >= 0 else None,
        warnings=tuple(warnings),
        choices=choices,
        sources=sources,
    )


def forward_comparison(
    state: MarketState | None,
    *,
    rep_end: float,
    rep_growth: float,
    rep_maxdd: float,
    rep_forced: bool,
    capital: float,
    tickers: Sequence[str],
    weights: np.ndarray,
    currency: str,
    margin: float,
    rules: Any,
    target: float | None,
    n_days: int,
    usdkrw: float | None,
    deposits: bool,
    paths: int,
    rng: Any,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The realised outcome's percentile in :func:`gaemi.app.investor.investor`'s forward
    simulation of the same account over the same number of trading days.

    The forward simulation adds no money and never rebalances: with deposits or
    rebalancing the realised *time-weighted* growth (unit value × capital) is compared.
    """
    import pandas as pd

    from gaemi.app.investor import investor

    warns: list[str] = []
    for t in tickers:
        if _fund_terms(state, t) is None:
            warns.append(f"forward simulation skipped: {t} is not a fund in the universe")
            return pd.DataFrame(), warns
    res = investor(
        state,
        capital,
        [(t, float(x)) for t, x in zip(tickers, weights, strict=True)],
        currency=currency,
        margin=margin,
        maintenance_ratio=rules.maintenance_ratio,
        grace_days=rules.grace_days,
        loan_rate_annual=rules.loan_rate_annual,
        target=target,
        days=n_days,
        usdkrw=usdkrw,
        paths=paths,
        rng=rng,
        progress=progress,
    )
    known = () if state is None else state.warnings  # said once, by the state
    warns.extend(f"forward simulation: {x}" for x in res.warnings if x not in known)
    warns.append(
        f"forward simulation: {res.core.model_label}, {res.core.n_paths:,} paths, fitted on "
        "the state's calibration, not only on what was known on the first day"
    )
    core = res.core
    realised_end = rep_growth * capital if deposits else rep_end
    if deposits:
        warns.append(
            "forward simulation has no deposits/rebalancing: the realised time-weighted "
            "growth × capital is compared"
        )
    rows = []
    for name, sim, real in (
        ("end_value", core.terminal_equity, realised_end),
        ("max_drawdown_frac", core.max_drawdown_frac, rep_maxdd),
    ):
        row: dict[str, Any] = {
            "measure": name,
            "realised": real,
            "realised_percentile": float(np.mean(sim <= real)),
        }
        for p in FWD_PROBS:
            row[f"sim_p{int(p * 100):02d}"] = float(np.quantile(sim, p))
        rows.append(row)
    rows.append(
        {
            "measure": "forced_sale",
            "realised": float(rep_forced),
            "realised_percentile": float("nan"),
            "sim_prob": float(core.forced_sale.mean()),
        }
    )
    df = pd.DataFrame(rows)
    df.attrs["model"] = core.model_label
    df.attrs["paths"] = core.n_paths
    return df, warns
