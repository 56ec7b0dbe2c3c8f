"""One retail account in leveraged funds: margin calls, forced sales, ruin and "graduation".

An account holds daily-reset funds bought with its own capital plus a margin loan; the
broker checks collateral/loan against a maintenance ratio at each close and, if the
shortfall is not cured within the grace period (Korea: top up by D+2, forced sale at
the D+3 open), sells enough to restore the ratio. A Monte Carlo over return paths gives
the probabilities a user asks about and the drawdown distribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from gaemi.core.chunks import CHUNK_PATHS, Draws, Progress, run_blocks
from gaemi.core.nav import TRADING_DAYS, FundTerms
from gaemi.core.paths import ReturnModel
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

FloatArray = NDArray[np.float64]
Currency = Literal["KRW", "USD"]

#: Drawdown percentiles reported.
DRAWDOWN_PROBS: tuple[float, ...] = (0.05, 0.25, 0.50, 0.75, 0.95)


@dataclass(frozen=True)
class MarginRules:
    """A broker's margin rules (defaults live in ``data/defaults/investor.yaml``).

    Parameters
    ----------
    maintenance_ratio : float
        Collateral / loan below which the broker issues a call (1.4 = 140 %); > 1.
    grace_days : int
        Closes the investor has to cure the call (Korea: 2, the sale is on D+3).
    loan_rate_annual : float
        Interest on the margin loan, decimal per year.
    forced_sale_discount : float
        Fraction below the last close at which a forced sale executes (open gap, limit).
    cure_on_recovery : bool
        A call lapses if the ratio recovers by a close before the deadline.
    """

    maintenance_ratio: float = 1.4
    grace_days: int = 2
    loan_rate_annual: float = 0.0
    forced_sale_discount: float = 0.0
    cure_on_recovery: bool = True

    def __post_init__(self) -> None:
        m = self.maintenance_ratio
        if not (np.isfinite(m) and 1.0 < m <= 10.0):
            raise GaemiInputError(
                f"maintenance_ratio = {m!r} must be > 1.0 (100%): below that the loan is "
                "not covered"
            )
        if self.grace_days < 0:
            raise GaemiInputError(f"grace_days = {self.grace_days} must be >= 0")
        if not (np.isfinite(self.loan_rate_annual) and 0.0 <= self.loan_rate_annual < 1.0):
            raise GaemiInputError(f"loan_rate_annual = {self.loan_rate_annual!r} must be in [0, 1)")
        if not 0.0 <= self.forced_sale_discount < 1.0:
            raise GaemiInputError(
                f"forced_sale_discount = {self.forced_sale_discount!r} must be in [0, 1)"
            )


@dataclass(frozen=True)
class Position:
    """A holding: a fund and its share of the money invested."""

    terms: FundTerms
    underlying_id: str
    weight: float


@dataclass(frozen=True)
class Account:
    """One investor's account.

    Parameters
    ----------
    capital : float
        Own money, in ``currency`` (> 0).
    currency : "KRW" or "USD"
        The account's currency; funds are priced in USD and converted at ``usdkrw``.
    positions : sequence of Position
        Weights are fractions of the money invested (capital + loan) and must sum to 1.
    margin : float
        Loan as a multiple of capital (0.5: borrow half of the capital, invest 1.5×).
    usdkrw : float
        KRW per USD at the start.
    rules : MarginRules
        The broker's rules.
    target : float, optional
        Account value (in ``currency``) at which the investor cashes out ("graduates").
    ruin_loss_frac : float
        Loss of capital that counts as ruin (0.9: down 90 %).
    """

    capital: float
    currency: Currency
    positions: tuple[Position, ...]
    margin: float = 0.0
    usdkrw: float = 1.0
    rules: MarginRules = MarginRules()
    target: float | None = None
    ruin_loss_frac: float = 0.9

    def __post_init__(self) -> None:
        if not (np.isfinite(self.capital) and self.capital > 0):
            raise GaemiInputError(f"capital = {self.capital!r} must be > 0")
        if self.currency not in ("KRW", "USD"):
            raise GaemiInputError(f"currency = {self.currency!r} must be KRW or USD")
        if not self.positions:
            raise GaemiInputError("positions: give at least one, e.g. SOXL=1.0")
        for p in self.positions:
            if not (np.isfinite(p.weight) and p.weight > 0):
                raise GaemiInputError(
                    f"position {p.terms.ticker} weight = {p.weight!r} must be > 0"
                )
        total = sum(p.weight for p in self.positions)
        if abs(total - 1.0) > 1e-6:
            raise GaemiInputError(
                f"position weights sum to {total:g}; they must sum to 1 (the money invested)"
            )
        if not (np.isfinite(self.margin) and 0.0 <= self.margin <= 20.0):
            raise GaemiInputError(f"margin = {self.margin!r} must be in [0, 20] (loan / capital)")
        if not (np.isfinite(self.usdkrw) and self.usdkrw > 0):
            raise GaemiInputError(f"usdkrw = {self.usdkrw!r} must be > 0")
        if self.currency == "USD" and self.usdkrw != 1.0:
            object.__setattr__(self, "usdkrw", 1.0)
        if self.target is not None and not (
            np.isfinite(self.target) and self.target > self.capital
        ):
            raise GaemiInputError(
                f"target = {self.target!r} must be above the capital {self.capital:g}"
            )
        if not 0.0 < self.ruin_loss_frac <= 1.0:
            raise GaemiInputError(f"ruin_loss_frac = {self.ruin_loss_frac!r} must be in (0, 1]")

    @property
    def loan(self) -> float:
        """Margin loan at the start, in the account's currency."""
        return self.capital * self.margin

    @property
    def invested(self) -> float:
        """Capital + loan, in the account's currency."""
        return self.capital * (1.0 + self.margin)

    @property
    def underlyings(self) -> tuple[str, ...]:
        """Distinct underlyings in order of first appearance."""
        seen: list[str] = []
        for p in self.positions:
            if p.underlying_id not in seen:
                seen.append(p.underlying_id)
        return tuple(seen)


@dataclass(frozen=True)
class InvestorResult:
    """Per-path outcomes of an account (amounts in the account's currency)."""

    account: Account
    model_label: str
    n_days: int
    terminal_equity: FloatArray
    min_equity: FloatArray
    max_drawdown_frac: FloatArray
    margin_call: NDArray[np.bool_]
    forced_sale: NDArray[np.bool_]
    graduated: NDArray[np.bool_]
    ruined: NDArray[np.bool_]
    first_call_day: NDArray[np.int64]
    fx_vol_annual: float
    fx_driver: str | None = None
    fx_beta: float = 0.0

    @property
    def n_paths(self) -> int:
        return int(self.terminal_equity.shape[0])

    def prob_loss_ever(self, loss_frac: float) -> float:
        """P(equity fell to (1 − loss_frac)·capital or below at some close)."""
        return float(np.mean(self.min_equity <= (1.0 - loss_frac) * self.account.capital))

    def summary(self) -> dict[str, Any]:
        """Headline probabilities and levels with unit-bearing keys."""
        a = self.account
        cur = a.currency.lower()
        calls = self.first_call_day[self.first_call_day >= 0]
        out: dict[str, Any] = {
            "paths": self.n_paths,
            "days": self.n_days,
            "model": self.model_label,
            f"capital_{cur}": a.capital,
            f"loan_{cur}": a.loan,
            "maintenance_ratio": a.rules.maintenance_ratio,
            "prob_margin_call": float(self.margin_call.mean()),
            "prob_forced_sale": float(self.forced_sale.mean()),
            "prob_loss_50pct_ever": self.prob_loss_ever(0.5),
            "prob_loss_90pct_ever": self.prob_loss_ever(0.9),
            "prob_loss_50pct_at_end": float(np.mean(self.terminal_equity <= 0.5 * a.capital)),
            "prob_ruin": float(self.ruined.mean()),
            "prob_target_before_ruin": float(self.graduated.mean()) if a.target else None,
            f"target_{cur}": a.target,
            f"median_end_{cur}": float(np.median(self.terminal_equity)),
            "median_change_frac": float(np.median(self.terminal_equity) / a.capital - 1.0),
            "median_max_drawdown_frac": float(np.median(self.max_drawdown_frac)),
            "median_first_call_day": float(np.median(calls)) if calls.size else None,
        }
        return out

    def to_frame(self) -> pd.DataFrame:
        """The summary as a one-row frame."""
        import pandas as pd

        return pd.DataFrame([self.summary()])

    def drawdown_frame(self, probs: Sequence[float] = DRAWDOWN_PROBS) -> pd.DataFrame:
        """Percentiles of the maximum drawdown and of the end value."""
        import pandas as pd

        cur = self.account.currency.lower()
        return pd.DataFrame(
            {
                "prob": np.asarray(probs, dtype=np.float64),
                "max_drawdown_frac": np.quantile(self.max_drawdown_frac, probs),
                "end_change_frac": np.quantile(self.terminal_equity, probs) / self.account.capital
                - 1.0,
                f"end_value_{cur}": np.quantile(self.terminal_equity, probs),
            }
        )


def simulate_account(
    account: Account,
    model: ReturnModel,
    n_days: int,
    n_paths: int,
    rng: Any = None,
    *,
    rate_annual: float = 0.0,
    fx_vol_annual: float = 0.0,
    fx_driver: str | None = None,
    fx_beta: float = 0.0,
    fx_corr: float = 0.0,
    chunk_paths: int = CHUNK_PATHS,
    workers: int | None = None,
    progress: Progress | None = None,
) -> InvestorResult:
    """Monte Carlo of one account over ``n_days`` trading days.

    Each day: funds compound exactly (:mod:`gaemi.core.nav`) from the model's underlying
    returns, USD/KRW moves (GBM with ``fx_vol_annual``; with ``fx_driver`` its log change
    is ``fx_beta`` × the driver's log return plus an independent part of volatility
    ``fx_vol_annual·√(1 − fx_corr²)`` — the won weakens when US stocks fall), the loan
    accrues interest, and at the close the broker compares collateral with
    ``maintenance_ratio × loan``. A call not cured within ``grace_days`` closes is met by
    a forced sale at the start of the next day, at the last close less
    ``forced_sale_discount``, of just enough collateral to restore the ratio (everything
    if that is not enough). The investor adds no money. Reaching ``target`` cashes the
    account out ("graduation") unless ruin (equity ≤ (1 − ruin_loss_frac)·capital) came
    first.
    """
    if n_days < 1:
        raise GaemiInputError(f"horizon = {n_days} days must be >= 1")
    if n_paths < 1:
        raise GaemiInputError(f"paths = {n_paths} must be >= 1")
    names = tuple(model.names)
    try:
        which = np.array([names.index(p.underlying_id) for p in account.positions])
    except ValueError:
        raise GaemiInputError(
            f"model underlyings {names} do not cover {account.underlyings}"
        ) from None
    if not (np.isfinite(fx_vol_annual) and 0.0 <= fx_vol_annual < 2.0):
        raise GaemiInputError(f"fx_vol_annual = {fx_vol_annual!r} must be in [0, 2)")
    if not (np.isfinite(fx_beta) and abs(fx_beta) < 5.0):
        raise GaemiInputError(f"fx_beta = {fx_beta!r} must be finite and within ±5")
    if not (np.isfinite(fx_corr) and -1.0 <= fx_corr <= 1.0):
        raise GaemiInputError(f"fx_corr = {fx_corr!r} must be in [-1, 1]")
    driver = -1
    if fx_driver is not None:
        if fx_driver not in names:
            raise GaemiInputError(
                f"fx_driver = {fx_driver!r} is not one of the model's underlyings {names}"
            )
        driver = names.index(fx_driver)
    dt = 1.0 / TRADING_DAYS
    rules = account.rules
    lev = np.array([p.terms.leverage for p in account.positions])[:, None]
    carry = np.array([float(p.terms.carry_annual(rate_annual)) for p in account.positions])[:, None]
    w = np.array([p.weight for p in account.positions])[:, None]
    krw = account.currency == "KRW"
    fx0 = account.usdkrw if krw else 1.0
    fx_vol = fx_vol_annual if krw else 0.0
    beta = fx_beta if (krw and driver >= 0) else 0.0
    # the part of the FX move the driver does not explain (all of it without a driver)
    resid_vol = fx_vol * float(np.sqrt(1.0 - fx_corr**2)) if beta else fx_vol
    cap = account.capital
    ruin_level = (1.0 - account.ruin_loss_frac) * cap
    target = np.inf if account.target is None else account.target
    m, d, g = rules.maintenance_ratio, rules.forced_sale_discount, rules.grace_days
    loan_growth = 1.0 + rules.loan_rate_annual * dt

    out_end = np.empty(n_paths)
    out_min = np.empty(n_paths)
    out_dd = np.empty(n_paths)
    out_call = np.empty(n_paths, dtype=bool)
    out_sale = np.empty(n_paths, dtype=bool)
    out_grad = np.empty(n_paths, dtype=bool)
    out_ruin = np.empty(n_paths, dtype=bool)
    out_first = np.empty(n_paths, dtype=np.int64)

    def block(gen: Draws, start: int, stop: int) -> None:
        b = stop - start
        rets = model.sample(gen, n_days, b)  # (n_days, n_assets, b)
        fx_shock = (
            gen.standard_normal((n_days, b)) * resid_vol * np.sqrt(dt) - 0.5 * resid_vol**2 * dt
            if fx_vol > 0
            else None
        )
        if beta:  # USD/KRW log change = beta × driver's log return + the independent part
            moved = beta * np.log1p(np.maximum(rets[:, driver, :], -0.999999))
            fx_shock = moved if fx_shock is None else fx_shock + moved
        hold = np.broadcast_to(w * account.invested / fx0, (len(w), b)).copy()  # USD
        fx = np.full(b, fx0)
        loan = np.full(b, account.loan)
        cash = np.zeros(b)
        call_days = np.zeros(b, dtype=np.int64)
        first = np.full(b, -1, dtype=np.int64)
        sold = np.zeros(b, dtype=bool)
        grad = np.zeros(b, dtype=bool)
        ruined = np.zeros(b, dtype=bool)
        frozen = np.zeros(b, dtype=bool)  # cashed out at the target
        frozen_value = np.zeros(b)
        peak = np.full(b, cap)
        maxdd = np.zeros(b)
        mn = np.full(b, cap)
        for t in range(n_days):
            # forced sale at the start of the day for calls past their deadline
            due = call_days > g
            if due.any():
                coll = hold[:, due].sum(axis=0) * fx[due]
                ln = loan[due]
                denom = m * (1.0 - d) - 1.0
                need = np.where(denom > 0, (m * ln - coll) / max(denom, 1e-12), np.inf)
                sell = np.clip(need, 0.0, coll)
                frac = np.divide(sell, coll, out=np.ones_like(coll), where=coll > 0)
                hold[:, due] *= 1.0 - frac
                proceeds = sell * (1.0 - d)
                repaid = np.minimum(proceeds, ln)
                loan[due] = ln - repaid
                cash[due] += proceeds - repaid
                sold[due] = True
                call_days[due] = 0
            rf = np.maximum(lev * rets[t][which] + carry * dt, -1.0)
            hold *= 1.0 + rf
            if fx_shock is not None:
                fx *= np.exp(fx_shock[t])
            loan *= loan_growth
            coll = hold.sum(axis=0) * fx
            equity = coll + cash - loan
            equity = np.where(frozen, frozen_value, equity)
            # broker's check at the close
            short = (loan > 0) & (coll < m * loan) & ~frozen
            new = short & (call_days == 0)
            first[new & (first < 0)] = t
            if rules.cure_on_recovery:
                call_days = np.where(short, call_days + 1, 0)
            else:
                call_days = np.where(short | (call_days > 0), call_days + 1, 0)
            # ruin and graduation (first passage)
            ruined |= (equity <= ruin_level) & ~grad
            hit = (equity >= target) & ~ruined & ~grad
            if hit.any():
                grad |= hit
                frozen |= hit
                frozen_value = np.where(hit, equity, frozen_value)
            peak = np.maximum(peak, equity)
            maxdd = np.maximum(maxdd, 1.0 - equity / peak)
            mn = np.minimum(mn, equity)
        end = np.where(frozen, frozen_value, hold.sum(axis=0) * fx + cash - loan)
        sl = slice(start, stop)
        out_end[sl] = end
        out_min[sl] = mn
        out_dd[sl] = maxdd
        out_call[sl] = first >= 0
        out_sale[sl] = sold
        out_grad[sl] = grad
        out_ruin[sl] = ruined
        out_first[sl] = first

    run_blocks(n_paths, rng, block, chunk_paths=chunk_paths, workers=workers, progress=progress)
    return InvestorResult(
        account=account,
        model_label=model.label,
        n_days=n_days,
        terminal_equity=out_end,
        min_equity=out_min,
        max_drawdown_frac=out_dd,
        margin_call=out_call,
        forced_sale=out_sale,
        graduated=out_grad,
        ruined=out_ruin,
        first_call_day=out_first,
        fx_vol_annual=float(fx_vol),
        fx_driver=fx_driver if beta else None,
        fx_beta=float(beta),
    )
