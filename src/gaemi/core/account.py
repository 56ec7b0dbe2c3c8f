"""Replay of one account over a real price history, day by day (pure numerics).

The same broker as :mod:`gaemi.core.investor` (its :class:`~gaemi.core.investor.MarginRules`:
maintenance ratio, grace closes, loan rate, forced-sale discount, cure on recovery) applied
to given daily prices instead of simulated ones, plus what a real investor does: monthly
deposits (적립식), rebalancing to the target weights, a stop-loss, a top-up when called,
and cashing out at a target ("graduation").

Conventions (one trading day ``t`` after the start day 0)
----------------------------------------------------------
* Day 0: capital × (1 + margin) is converted at ``fx[0]`` and buys the funds at their
  close, split by ``weights``; the loan is capital × margin (account currency).
* Open of day t: a call shorter than the ratio at ``grace_days + 1`` closes in a row is met
  by a forced sale. The broker fixes the amount at the last close, exactly as
  :func:`gaemi.core.investor.simulate_account`: ``(m·loan − coll)/(m·(1−d) − 1)`` of the
  collateral (all of it if that is not enough), i.e. that fraction of every holding; the
  shares are sold at day t's ``open`` (its close where no open is known) less the
  discount ``d``, converted at ``fx[t]``; proceeds repay the loan, the rest is cash.
  A stop-loss triggered at the last close sells everything at the same open; the
  account then stops (cash, any unpaid loan), as does one a forced sale emptied.
* Through day t: the loan accrues ``loan_rate_annual × calendar_days / 365`` (simple, per
  day: Korean brokers charge interest on calendar days).
* Close of day t: deposits (first trading day of a month) buy the funds at the weights;
  rebalance days reset holdings to the weights; the broker compares collateral (holdings at
  the close × fx) with ``maintenance_ratio × loan``. On the last close of the grace period
  a still-short account may top up (repay the loan, up to ``top_up_max`` per call). Then
  ruin (equity ≤ (1 − ruin_loss_frac) × money put in) and graduation (equity ≥ target:
  everything sold at that close, the loan repaid, the account frozen) are checked.

Amounts are in the account's currency (KRW or USD); prices in USD; ``fx`` is KRW per USD
(all ones for a USD account).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from gaemi.core.investor import MarginRules
from gaemi.errors import GaemiInputError

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Kinds of event the replay records.
EVENT_KINDS = (
    "margin_call",
    "top_up",
    "forced_sale",
    "stop_loss",
    "ruined",
    "graduated",
    "call_cured",
)


@dataclass(frozen=True)
class Strategy:
    """What the investor does besides holding.

    Parameters
    ----------
    deposit : float
        Money added on each deposit day (account currency, ≥ 0): 적립식.
    stop_loss_frac : float, optional
        Sell everything at the next open once equity is this fraction below the money put
        in (0.3: a 30 % loss). The loan is repaid and the rest kept as cash.
    target : float, optional
        Equity (account currency) at which the investor sells everything ("graduates").
    top_up_max : float
        Money the investor adds, per margin call, on the last close of the grace period to
        cure it (repaying the loan); 0 never tops up, ``inf`` always does.
    ruin_loss_frac : float
        Loss of the money put in that counts as ruin (0.9: down 90 %).
    """

    deposit: float = 0.0
    stop_loss_frac: float | None = None
    target: float | None = None
    top_up_max: float = 0.0
    ruin_loss_frac: float = 0.9

    def __post_init__(self) -> None:
        if not (np.isfinite(self.deposit) and self.deposit >= 0.0):
            raise GaemiInputError(f"deposit = {self.deposit!r} must be >= 0")
        s = self.stop_loss_frac
        if s is not None and not (np.isfinite(s) and 0.0 < s < 1.0):
            raise GaemiInputError(f"stop_loss_frac = {s!r} must be in (0, 1)")
        if self.target is not None and not (np.isfinite(self.target) and self.target > 0):
            raise GaemiInputError(f"target = {self.target!r} must be > 0")
        if not (self.top_up_max >= 0.0):  # inf allowed
            raise GaemiInputError(f"top_up_max = {self.top_up_max!r} must be >= 0")
        if not 0.0 < self.ruin_loss_frac <= 1.0:
            raise GaemiInputError(f"ruin_loss_frac = {self.ruin_loss_frac!r} must be in (0, 1]")


@dataclass(frozen=True)
class Replay:
    """Daily path and events of one replayed account (amounts in the account currency).

    Attributes
    ----------
    equity, collateral, loan, cash : ndarray (T,)
        At each close: holdings + cash − loan, holdings × fx, loan, cash.
    contributed : ndarray (T,)
        Money put in up to each close (capital, deposits, top-ups).
    unit_value : ndarray (T,)
        Time-weighted value of one unit (starts at 1; deposits and top-ups buy units), so
        that drawdowns and growth are not flattered by new money.
    drawdown_frac : ndarray (T,)
        1 − unit_value / its running peak.
    ratio : ndarray (T,)
        Collateral / loan at the close (inf without a loan).
    shares : ndarray (T, n)
        Units of each fund held at each close.
    events : tuple of (day index, kind, amount, detail)
        ``kind`` in :data:`EVENT_KINDS`; amount in the account currency (the shortfall for
        a call, money added for a top-up, proceeds for a sale, equity for ruin/graduation).
    ruined_day, graduated_day : int
        First day index, −1 if never.
    """

    equity: FloatArray
    collateral: FloatArray
    loan: FloatArray
    cash: FloatArray
    contributed: FloatArray
    unit_value: FloatArray
    drawdown_frac: FloatArray
    ratio: FloatArray
    shares: FloatArray
    events: tuple[tuple[int, str, float, str], ...] = field(default=())
    ruined_day: int = -1
    graduated_day: int = -1

    @property
    def max_drawdown_frac(self) -> float:
        return float(np.max(self.drawdown_frac))

    def first(self, kind: str) -> int:
        """Day index of the first event of ``kind`` (−1 if none)."""
        for t, k, _, _ in self.events:
            if k == kind:
                return t
        return -1


def _check_inputs(
    close_usd: FloatArray, open_usd: FloatArray, fx: FloatArray, weights: FloatArray
) -> None:
    t, n = close_usd.shape
    if t < 2:
        raise GaemiInputError(f"days = {t}: a replay needs at least two closes")
    if open_usd.shape != close_usd.shape:
        raise GaemiInputError(f"open shape {open_usd.shape} != close shape {close_usd.shape}")
    if fx.shape != (t,):
        raise GaemiInputError(f"fx has {fx.shape} values for {t} days")
    if not (np.isfinite(close_usd).all() and (close_usd > 0).all()):
        bad = np.argwhere(~(np.isfinite(close_usd) & (close_usd > 0)))[0]
        raise GaemiInputError(f"close day {bad[0]} fund {bad[1]}: price must be a number > 0")
    if not (np.isfinite(fx).all() and (fx > 0).all()):
        raise GaemiInputError(f"fx day {int(np.argmin(np.isfinite(fx) & (fx > 0)))}: must be > 0")
    if weights.shape != (n,):
        raise GaemiInputError(f"weights: {weights.shape[0]} for {n} funds")
    if not (np.isfinite(weights).all() and (weights > 0).all()):
        raise GaemiInputError(f"weights = {weights.tolist()} must all be > 0")
    if abs(float(weights.sum()) - 1.0) > 1e-6:
        raise GaemiInputError(f"weights sum to {float(weights.sum()):g}; they must sum to 1")


def replay_account(
    close_usd: FloatArray,
    fx: FloatArray,
    weights: FloatArray,
    capital: float,
    *,
    margin: float = 0.0,
    rules: MarginRules | None = None,
    open_usd: FloatArray | None = None,
    calendar_days: FloatArray | None = None,
    deposit_days: BoolArray | None = None,
    rebalance_days: BoolArray | None = None,
    strategy: Strategy | None = None,
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 250,
) -> Replay:
    """Replay one account over given daily closes (see the module's conventions).

    Parameters
    ----------
    close_usd : ndarray (T, n)
        Adjusted closes of the n funds, USD.
    fx : ndarray (T,)
        Account currency per USD each day (KRW per USD; ones for a USD account).
    weights : ndarray (n,)
        Fractions of the money invested, summing to 1.
    capital : float
        Own money at the start (account currency, > 0).
    margin : float
        Loan at the start as a multiple of capital.
    rules : MarginRules
        The broker (:mod:`gaemi.core.investor`).
    open_usd : ndarray (T, n), optional
        Opens on the same (adjusted) basis; NaN where unknown (the close is used).
    calendar_days : ndarray (T,), optional
        Calendar days from the previous close to each close (entry 0 unused; default 1).
    deposit_days, rebalance_days : bool ndarray (T,), optional
        Closes at which ``strategy.deposit`` is added / holdings are reset to the weights.
    strategy : Strategy
        Deposits, stop-loss, target, top-up.
    progress : callable, optional
        ``progress(days_done, n_days)`` every ``progress_every`` days and at the end.
    """
    close = np.asarray(close_usd, dtype=np.float64)
    if close.ndim == 1:
        close = close[:, None]
    n_days, n = close.shape
    opn = close.copy() if open_usd is None else np.asarray(open_usd, dtype=np.float64)
    if opn.ndim == 1:
        opn = opn[:, None]
    fxa = np.asarray(fx, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64).ravel()
    _check_inputs(close, opn, fxa, w)
    if not (np.isfinite(capital) and capital > 0):
        raise GaemiInputError(f"capital = {capital!r} must be > 0")
    if not (np.isfinite(margin) and 0.0 <= margin <= 20.0):
        raise GaemiInputError(f"margin = {margin!r} must be in [0, 20] (loan / capital)")
    opn = np.where(np.isfinite(opn) & (opn > 0), opn, close)
    rules = MarginRules() if rules is None else rules
    strat = Strategy() if strategy is None else strategy
    cal = np.ones(n_days) if calendar_days is None else np.asarray(calendar_days, float)
    dep = np.zeros(n_days, bool) if deposit_days is None else np.asarray(deposit_days, bool)
    reb = np.zeros(n_days, bool) if rebalance_days is None else np.asarray(rebalance_days, bool)
    m, d, g = rules.maintenance_ratio, rules.forced_sale_discount, rules.grace_days

    out_eq = np.empty(n_days)
    out_coll = np.empty(n_days)
    out_loan = np.empty(n_days)
    out_cash = np.empty(n_days)
    out_contr = np.empty(n_days)
    out_unit = np.empty(n_days)
    out_ratio = np.empty(n_days)
    out_shares = np.empty((n_days, n))
    events: list[tuple[int, str, float, str]] = []

    loan = capital * margin
    shares = w * capital * (1.0 + margin) / fxa[0] / close[0]
    cash = 0.0
    contributed = capital
    units = float(capital)  # one unit per unit of currency: unit value starts at 1
    unit_value = 1.0
    call_days = 0
    topped_this_call = 0.0
    pending_stop = False
    frozen = False
    ruined_day = -1
    graduated_day = -1

    def value(px: FloatArray, t: int) -> float:
        return float(np.dot(shares, px)) * float(fxa[t])

    every = max(1, int(progress_every))
    for t in range(n_days):
        if progress is not None and t % every == 0:
            progress(t, n_days)
        if t > 0 and not frozen:
            # ---- open: forced sale of a call past its deadline, or a stop-loss
            if call_days > g or pending_stop:
                coll_last = value(close[t - 1], t - 1)
                if pending_stop:
                    frac, why = 1.0, "stop-loss: everything"
                else:
                    denom = m * (1.0 - d) - 1.0
                    need = (m * loan - coll_last) / denom if denom > 0 else np.inf
                    sell = float(np.clip(need, 0.0, coll_last))
                    frac = sell / coll_last if coll_last > 0 else 1.0
                    why = f"{frac:.1%} of holdings (fixed at the last close)"
                proceeds = value(opn[t], t) * frac * (1.0 - d)
                shares = shares * (1.0 - frac)
                repaid = min(proceeds, loan)
                loan -= repaid
                cash += proceeds - repaid
                kind = "stop_loss" if pending_stop else "forced_sale"
                events.append((t, kind, proceeds, why))
                call_days = 0
                topped_this_call = 0.0
                if pending_stop or frac >= 1.0:  # nothing left to hold: the account stops
                    frozen = True
                    shares = np.zeros(n)
                pending_stop = False
            # ---- through the day: interest
            loan *= 1.0 + rules.loan_rate_annual * float(cal[t]) / 365.0
        if frozen:
            coll = 0.0
        else:
            coll = value(close[t], t)
            # ---- close: deposit, rebalance
            if t > 0 and dep[t] and strat.deposit > 0:
                eq_before = coll + cash - loan
                if units > 0 and eq_before > 0:
                    units += strat.deposit / (eq_before / units)
                shares = shares + w * strat.deposit / fxa[t] / close[t]
                contributed += strat.deposit
                coll = value(close[t], t)
            if t > 0 and reb[t] and coll > 0:
                shares = w * coll / fxa[t] / close[t]
            # ---- broker's check at the close
            short = loan > 0 and coll < m * loan
            if short:
                if call_days == 0:
                    events.append(
                        (t, "margin_call", m * loan - coll, f"ratio {coll / loan:.1%} < {m:.0%}")
                    )
                call_days += 1
                if call_days == g + 1 and strat.top_up_max > 0:
                    add = min(loan - coll / m, strat.top_up_max - topped_this_call)
                    if add > 0:
                        eq_pre = coll + cash - loan
                        unit_pre = eq_pre / units if units > 0 else 0.0
                        loan -= add
                        contributed += add
                        topped_this_call += add
                        if unit_pre > 0:
                            units += add / unit_pre
                        events.append((t, "top_up", add, "repays the loan"))
                        if coll >= m * loan * (1 - 1e-12):
                            call_days = 0
                            topped_this_call = 0.0
                            events.append((t, "call_cured", 0.0, "by the top-up"))
            elif call_days > 0:
                if rules.cure_on_recovery:
                    events.append((t, "call_cured", 0.0, f"ratio {coll / loan:.1%}"))
                    call_days = 0
                    topped_this_call = 0.0
                else:
                    call_days += 1
        equity = coll + cash - loan
        unit_value = equity / units if units > 0 else 0.0
        # ---- ruin, stop-loss trigger, graduation
        if not frozen:
            if ruined_day < 0 and equity <= (1.0 - strat.ruin_loss_frac) * contributed:
                ruined_day = t
                events.append(
                    (t, "ruined", equity, f"≤ {1 - strat.ruin_loss_frac:.0%} of money in")
                )
            if (
                strat.stop_loss_frac is not None
                and equity <= (1.0 - strat.stop_loss_frac) * contributed
                and coll > 0
            ):
                pending_stop = True
            if strat.target is not None and equity >= strat.target and ruined_day < 0:
                graduated_day = t
                events.append((t, "graduated", equity, "sold at the close, loan repaid"))
                cash, loan, shares = equity, 0.0, np.zeros(n)
                coll = 0.0
                frozen = True
        out_eq[t] = equity
        out_coll[t] = coll
        out_loan[t] = loan
        out_cash[t] = cash
        out_contr[t] = contributed
        out_unit[t] = unit_value
        out_ratio[t] = coll / loan if loan > 0 else np.inf
        out_shares[t] = shares
    if progress is not None:
        progress(n_days, n_days)
    peak = np.maximum.accumulate(np.maximum(out_unit, 1e-300))
    dd = 1.0 - out_unit / peak
    return Replay(
        equity=out_eq,
        collateral=out_coll,
        loan=out_loan,
        cash=out_cash,
        contributed=out_contr,
        unit_value=out_unit,
        drawdown_frac=np.clip(dd, 0.0, None),
        ratio=out_ratio,
        shares=out_shares,
        events=tuple(events),
        ruined_day=ruined_day,
        graduated_day=graduated_day,
    )
