"""Close-market participants: each a signed flow (USD, + buys) as a function of the move.

Every participant is a small frozen class behind the :class:`Participant` protocol,
vectorised over scenarios: scalar parameters have shape ``(n,)`` or ``(1,)``, ladders
``(n, m)`` or ``(1, m)``, and ``flow_usd(move)`` takes moves of shape ``(n, k)`` and returns
``(n, k)``. All participants here are *procyclical* (flow non-decreasing in the move, zero
at a zero move) and *piecewise linear* in the move, with their kinks listed by
``kinks_frac()``; the feedback engine relies on both to find equilibria exactly.

Participants: leveraged-ETF rebalancing (Cheng & Madhavan 2009), dealer short gamma,
stop-loss ladders, margin-call sellers (maintenance ratio, e.g. Korean brokers' 140 %),
and retail redemptions of leveraged funds as a function of the day's drawdown.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Protocol, TypeVar, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from gaemi.core.flows import rebalance_multiplier
from gaemi.core.impact import col, scenario_param
from gaemi.core.universe import FloatArray, Universe
from gaemi.errors import GaemiInputError

P = TypeVar("P")


@runtime_checkable
class Participant(Protocol):
    """A flow function of the move: ``flow_usd(move (n, k)) -> (n, k)`` USD, + buys."""

    @property
    def name(self) -> str:
        """Short identifier, used in result columns (``<name>_flow_usd``)."""
        ...

    def flow_usd(self, move_frac: FloatArray) -> FloatArray:
        """Cumulative signed flow (USD) of this participant at each move."""
        ...

    def kinks_frac(self) -> FloatArray:
        """Moves where the flow's slope changes, shape ``(n, m)`` (NaN pads); may be empty."""
        ...

    def n_scenarios(self) -> int:
        """Length of the scenario axis of the parameters (1 = shared by all)."""
        ...


def ladder_param(value: ArrayLike, name: str) -> FloatArray:
    """A ladder (levels or sizes) as a 2-D float array ``(n|1, m)``; must be finite."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise GaemiInputError(f"{name}: expected a list or a (scenarios, levels) array")
    if not np.isfinite(arr).all():
        raise GaemiInputError(f"{name}: every value must be finite")
    arr.flags.writeable = False
    return arr


def take_scenario(obj: P, index: int) -> P:
    """The same participant restricted to scenario ``index`` (parameters of length 1)."""
    changes = {}
    for f in fields(obj):  # type: ignore[arg-type]
        v = getattr(obj, f.name)
        if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] > 1:
            changes[f.name] = v[index : index + 1]
    return replace(obj, **changes)  # type: ignore[type-var]


def _n(*params: FloatArray) -> int:
    return max(int(p.shape[0]) for p in params)


def _empty_kinks(n: int) -> FloatArray:
    return np.empty((n, 0))


@dataclass(frozen=True, eq=False)
class LetfRebalancing:
    """Leveraged/inverse funds restoring leverage at the close: flow = K·r (+ buys).

    With the funds behind K given (``fund_leverage``, ``fund_aum_usd``) a fund the move
    wipes out (1 + L·r <= 0, :func:`gaemi.core.flows.wiped_out`) trades the unwind of its
    exposure −L·A·(1+r) instead of its L(L−1)·A·r (:func:`gaemi.core.flows.rebalance_flow_usd`):
    flow = K·r − Σ L·A·min(0, 1 + L·r), with a kink at each r = −1/L. Where no fund is
    wiped out the flow is K·r bit for bit. The unwind replaces the identity's part of K;
    with each fund's creation coefficient given (``fund_creations_beta``, the β of
    ``gaemi stress --creations`` whose L·β·A is in K) a wiped fund's creations part
    L·β·A·r is dropped as well — it takes no creations, as in
    :func:`gaemi.core.flows.rebalance_flow_usd` — so the flow jumps by that amount at its
    r = −1/L (the feedback kernel takes the one-sided limits there).

    Parameters
    ----------
    k_usd : array_like
        K = Σ L(L−1)·A over the funds on the underlying, USD per unit move (>= 0).
    fund_leverage, fund_aum_usd : array_like, optional
        Each fund's signed leverage L and start-of-day assets A (USD), shared by every
        scenario (stored with shape ``(1, n_funds)``); both or neither.
    fund_creations_beta : array_like, optional
        Each fund's creation coefficient β (fraction of A per unit move) whose L·β·A is
        part of K, shape ``(n_funds,)`` or ``(n, n_funds)`` (per scenario: a fall and a
        rise may take different β); needs the funds.
    """

    k_usd: FloatArray
    name: str = "letf_rebalancing"
    fund_leverage: FloatArray | None = None
    fund_aum_usd: FloatArray | None = None
    fund_creations_beta: FloatArray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "k_usd", scenario_param(self.k_usd, "letf.k_usd"))
        if (self.fund_leverage is None) != (self.fund_aum_usd is None):
            raise GaemiInputError("letf: give both fund_leverage and fund_aum_usd, or neither")
        if self.fund_leverage is None or self.fund_aum_usd is None:
            if self.fund_creations_beta is not None:
                raise GaemiInputError(
                    "letf.fund_creations_beta needs fund_leverage and fund_aum_usd"
                )
            return
        lev = np.asarray(self.fund_leverage, dtype=np.float64).reshape(1, -1)
        aum = np.asarray(self.fund_aum_usd, dtype=np.float64).reshape(1, -1)
        if lev.shape != aum.shape or not (np.isfinite(lev).all() and np.isfinite(aum).all()):
            raise GaemiInputError(
                "letf: fund_leverage and fund_aum_usd need one finite value per fund"
            )
        if (aum < 0).any():
            raise GaemiInputError("letf.fund_aum_usd: every value must be >= 0")
        for name, arr in (("fund_leverage", lev), ("fund_aum_usd", aum)):
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        if self.fund_creations_beta is not None:
            beta = ladder_param(self.fund_creations_beta, "letf.fund_creations_beta")
            if beta.shape[1] != lev.shape[1]:
                raise GaemiInputError(
                    f"letf.fund_creations_beta: {beta.shape[1]} values for {lev.shape[1]} funds"
                )
            object.__setattr__(self, "fund_creations_beta", beta)

    @classmethod
    def from_universe(cls, universe: Universe, underlying: str | None = None) -> LetfRebalancing:
        """K from the funds (on ``underlying``, an id or group, if given), with the funds
        themselves for the unwind past a wipe-out."""
        u = universe.where_underlying(underlying) if underlying else universe
        k = float(np.sum(rebalance_multiplier(u.leverage) * u.aum_usd))
        return cls(np.array([k]), fund_leverage=u.leverage, fund_aum_usd=u.aum_usd)

    def n_scenarios(self) -> int:
        if self.fund_creations_beta is not None:
            return _n(self.k_usd, self.fund_creations_beta)
        return int(self.k_usd.shape[0])

    def flow_usd(self, move_frac: FloatArray) -> FloatArray:
        out: FloatArray = col(self.k_usd) * move_frac
        if self.fund_leverage is None or self.fund_aum_usd is None:
            return out
        lev, aum = self.fund_leverage[0], self.fund_aum_usd[0]
        if lev.size == 0:
            return out
        r = np.asarray(move_frac, dtype=np.float64)
        # cheap test first: the most levered long / inverse fund decides whether any is gone
        any_gone = (1.0 + r * lev.max() <= 0.0) | (1.0 + r * lev.min() <= 0.0)
        if not any_gone.any():
            return out
        x = 1.0 + r[..., None] * lev  # 1 + L·r per fund, (n, k, n_funds)
        gone = x <= 0.0  # wiped out (gaemi.core.flows.wiped_out)
        unwind = np.sum(np.where(gone, -lev * aum * x, 0.0), axis=-1)
        if self.fund_creations_beta is not None:  # a wiped fund takes no creations
            lba = (lev * aum * self.fund_creations_beta)[:, None, :]  # L·β·A, (n|1, 1, n_funds)
            unwind = unwind - r * np.sum(np.where(gone, lba, 0.0), axis=-1)
        wiped: FloatArray = np.where(any_gone, out + unwind, out)
        return wiped

    @property
    def drops_creations(self) -> bool:
        """A wiped fund's creations part of K is dropped (some fund has β != 0): the flow
        jumps at that fund's r = −1/L instead of only bending."""
        beta = self.fund_creations_beta
        return beta is not None and bool(np.any(beta != 0.0))

    def kinks_frac(self) -> FloatArray:
        if self.fund_leverage is None:
            return _empty_kinks(self.n_scenarios())
        lev = self.fund_leverage[0]
        with np.errstate(divide="ignore"):
            at = -1.0 / lev[lev != 0.0]
        at = np.unique(at[at > -1.0])  # a wipe-out at −100 % or below is no kink
        out: FloatArray = at[None, :]
        return out

    def wipe_out_frac(self, direction: float) -> float:
        """The smallest |move| in ``direction`` (−1 fall, +1 rise) that wipes out a fund
        (inf without funds, or when none can be wiped that way)."""
        if self.fund_leverage is None:
            return float("inf")
        x = -float(np.sign(direction)) * self.fund_leverage[0]
        return float(1.0 / x.max()) if (x > 0).any() else float("inf")

    def without_unwind(self) -> LetfRebalancing:
        """The same K without the funds: flow = K·r at every move."""
        return replace(self, fund_leverage=None, fund_aum_usd=None, fund_creations_beta=None)


@dataclass(frozen=True, eq=False)
class DealerGamma:
    """Option dealers hedging a short-gamma book: flow = G·(r / 1 %), G >= 0 USD per 1 %.

    Short gamma makes dealers sell into a fall and buy into a rise (procyclical). A long
    gamma book (dampening) is not modelled: set G to 0 instead.
    """

    usd_per_pct: FloatArray
    name: str = "dealer_gamma"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "usd_per_pct", scenario_param(self.usd_per_pct, "gamma.usd_per_pct")
        )

    def n_scenarios(self) -> int:
        return int(self.usd_per_pct.shape[0])

    def flow_usd(self, move_frac: FloatArray) -> FloatArray:
        out: FloatArray = col(self.usd_per_pct) * (100.0 * move_frac)
        return out

    def kinks_frac(self) -> FloatArray:
        return _empty_kinks(self.n_scenarios())


@dataclass(frozen=True, eq=False)
class StopLossLadder:
    """Clusters of stop orders: a cluster at level ℓ < 0 sells its size as the move falls
    through [ℓ − w, ℓ] (linearly, so the flow stays continuous); a level ℓ > 0 is a buy
    stop (short covering) filled over [ℓ, ℓ + w].

    Parameters
    ----------
    levels_frac : array_like, shape (m,) or (n, m)
        Trigger moves (decimal fractions, non-zero).
    sizes_usd : array_like, shape (m,) or (n, m)
        Dollar size of each cluster (>= 0).
    width_frac : array_like
        Spread w of each cluster's triggers (> 0), per scenario.
    """

    levels_frac: FloatArray
    sizes_usd: FloatArray
    width_frac: FloatArray
    name: str = "stop_loss"

    def __post_init__(self) -> None:
        lv = ladder_param(self.levels_frac, "stops.levels_frac")
        sz = ladder_param(self.sizes_usd, "stops.sizes_usd")
        if lv.shape[1] != sz.shape[1]:
            raise GaemiInputError(
                f"stops: {lv.shape[1]} levels but {sz.shape[1]} sizes (give one size per level)"
            )
        if (lv == 0).any():
            raise GaemiInputError("stops.levels_frac = 0 is not a trigger (use a non-zero move)")
        if (sz < 0).any():
            raise GaemiInputError(f"stops.sizes_usd = {sz[sz < 0][0]:g} must be >= 0")
        object.__setattr__(self, "levels_frac", lv)
        object.__setattr__(self, "sizes_usd", sz)
        object.__setattr__(
            self, "width_frac", scenario_param(self.width_frac, "stops.width_frac", positive=True)
        )

    def n_scenarios(self) -> int:
        return _n(self.levels_frac, self.sizes_usd, self.width_frac)

    def flow_usd(self, move_frac: FloatArray) -> FloatArray:
        # sign(ℓ)·clip(sign(ℓ)·(r − ℓ)/w, 0, 1): sells below ℓ < 0, buys above ℓ > 0
        sgn = np.sign(self.levels_frac)
        x = move_frac[:, :, None] - self.levels_frac[:, None, :]
        x *= (sgn / col(self.width_frac))[:, None, :]
        np.maximum(x, 0.0, out=x)
        np.minimum(x, 1.0, out=x)
        signed = np.broadcast_to(sgn * self.sizes_usd, (x.shape[0], x.shape[2]))
        out: FloatArray = np.matmul(x, signed[:, :, None])[:, :, 0]
        return out

    def kinks_frac(self) -> FloatArray:
        lv = self.levels_frac
        w = col(self.width_frac)
        far = np.where(lv < 0, lv - w, lv + w)
        n = self.n_scenarios()
        out: FloatArray = np.concatenate(
            [np.broadcast_to(lv, (n, lv.shape[1])), np.broadcast_to(far, (n, lv.shape[1]))],
            axis=1,
        )
        return out


@dataclass(frozen=True, eq=False)
class MarginSellers:
    """Margin accounts forced to sell when collateral/loan falls below the maintenance ratio.

    Accounts are grouped in buckets by their start-of-day collateral ratio ρ = P/D
    (position over loan). A bucket's position is worth P(1 + L·r) after the move (L the
    leverage of what it holds: 1 for the stock or index, 3 for a 3x fund). Below the
    maintenance ratio m the broker sells x so that (P(1+Lr) − x)/(D − x) = m, i.e.
    x = (m·D − P(1+Lr))/(m − 1), at most the whole position. Only ``fraction_today`` of
    forced sales reaches today's US close (Korean brokers sell at the next open, D+2/D+3).
    Selling x of an L-times fund makes it sell L·x of the underlying.

    Parameters
    ----------
    position_usd : array_like
        Total position value on margin, USD, spread evenly over the buckets.
    start_ratios : array_like, shape (m,) or (n, m)
        Start-of-day collateral ratios of the buckets (> maintenance ratio).
    maintenance_ratio : array_like
        m (>= 1; Korean brokers typically 1.4).
    exposure_leverage : array_like
        L of the held instrument (>= 1).
    fraction_today : array_like
        Share of forced sales executed at today's close, in [0, 1].
    """

    position_usd: FloatArray
    start_ratios: FloatArray
    maintenance_ratio: FloatArray
    exposure_leverage: FloatArray
    fraction_today: FloatArray
    name: str = "margin_calls"

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "position_usd", scenario_param(self.position_usd, "margin.position_usd")
        )
        m = scenario_param(self.maintenance_ratio, "margin.maintenance_ratio")
        if (m <= 1.0).any():
            raise GaemiInputError(
                f"margin.maintenance_ratio = {m[m <= 1.0][0]:g} must be > 1.0 (e.g. 1.4 = 140%)"
            )
        object.__setattr__(self, "maintenance_ratio", m)
        rho = ladder_param(self.start_ratios, "margin.start_ratios")
        object.__setattr__(self, "start_ratios", rho)
        if (rho <= 1.0).any():
            raise GaemiInputError(
                f"margin.start_ratios = {rho[rho <= 1.0][0]:g} must be > 1 (collateral/loan)"
            )
        below = rho <= col(m)
        if below.any():
            # an account already under maintenance sells with no move at all: that sale
            # is not caused by today's move, and would move a market given no shock
            raise GaemiInputError(
                f"margin.start_ratios = {np.broadcast_to(rho, below.shape)[below][0]:g} must be "
                f"above maintenance_ratio = {np.broadcast_to(col(m), below.shape)[below][0]:g}"
            )
        lev = scenario_param(self.exposure_leverage, "margin.exposure_leverage")
        if (lev < 1.0).any():
            raise GaemiInputError(f"margin.exposure_leverage = {lev[lev < 1][0]:g} must be >= 1")
        object.__setattr__(self, "exposure_leverage", lev)
        ft = scenario_param(self.fraction_today, "margin.fraction_today")
        if (ft > 1.0).any():
            raise GaemiInputError(f"margin.fraction_today = {ft[ft > 1][0]:g} must be in [0, 1]")
        object.__setattr__(self, "fraction_today", ft)

    def n_scenarios(self) -> int:
        return _n(
            self.position_usd,
            self.start_ratios,
            self.maintenance_ratio,
            self.exposure_leverage,
            self.fraction_today,
        )

    def flow_usd(self, move_frac: FloatArray) -> FloatArray:
        nb = self.start_ratios.shape[1]
        p = col(self.position_usd / nb)  # per bucket
        m = col(self.maintenance_ratio)
        lev = col(self.exposure_leverage)
        value = np.maximum(1.0 + lev * move_frac, 0.0) * p  # (n, k), same in every bucket
        # sale_b = clip((m·D_b − value)/(m − 1), 0, value) with D_b = p/ρ_b
        call = (col(self.maintenance_ratio) * p / self.start_ratios)[:, None, :]  # m·D_b
        x = call - value[:, :, None]
        x /= (m - 1.0)[:, :, None]
        np.maximum(x, 0.0, out=x)
        np.minimum(x, value[:, :, None], out=x)
        out: FloatArray = -col(self.fraction_today * self.exposure_leverage) * x.sum(axis=2)
        return out

    def kinks_frac(self) -> FloatArray:
        rho = self.start_ratios
        m = col(self.maintenance_ratio)
        lev = col(self.exposure_leverage)
        call = (m / rho - 1.0) / lev  # value falls to m·D: selling starts
        wiped = (1.0 / rho - 1.0) / lev  # value falls to D: everything is sold
        n = self.n_scenarios()
        zero = np.broadcast_to(-1.0 / lev, (n, 1))
        out: FloatArray = np.concatenate(
            [
                np.broadcast_to(call, (n, rho.shape[1])),
                np.broadcast_to(wiped, (n, rho.shape[1])),
                zero,
            ],
            axis=1,
        )
        return out


@dataclass(frozen=True, eq=False)
class RetailRedemptions:
    """Retail holders redeeming leveraged funds as the day's drawdown deepens (panic).

    Redemptions C = −e·A·max(−r − θ, 0) (USD), and the fund sells L·|C| more of the
    underlying: flow = −L·e·A·max(−r − θ, 0). Rallies cause no flow here.

    Parameters
    ----------
    aum_usd : array_like
        Assets of the (long) leveraged funds whose holders may panic, USD.
    leverage : array_like
        Their (AUM-weighted) leverage L (> 1).
    elasticity : array_like
        e: fraction of AUM redeemed per unit of move beyond the threshold (0.5 → 0.5 %
        of AUM per further 1 % fall), >= 0.
    threshold_frac : array_like
        θ >= 0: the drawdown at which redemptions start.
    """

    aum_usd: FloatArray
    leverage: FloatArray
    elasticity: FloatArray
    threshold_frac: FloatArray
    name: str = "retail_redemptions"

    def __post_init__(self) -> None:
        object.__setattr__(self, "aum_usd", scenario_param(self.aum_usd, "panic.aum_usd"))
        lev = scenario_param(self.leverage, "panic.leverage")
        if (lev <= 1.0).any():
            raise GaemiInputError(f"panic.leverage = {lev[lev <= 1][0]:g} must be > 1")
        object.__setattr__(self, "leverage", lev)
        object.__setattr__(self, "elasticity", scenario_param(self.elasticity, "panic.elasticity"))
        object.__setattr__(
            self, "threshold_frac", scenario_param(self.threshold_frac, "panic.threshold_frac")
        )

    def n_scenarios(self) -> int:
        return _n(self.aum_usd, self.leverage, self.elasticity, self.threshold_frac)

    def flow_usd(self, move_frac: FloatArray) -> FloatArray:
        depth = np.maximum(-move_frac - col(self.threshold_frac), 0.0)
        out: FloatArray = -col(self.leverage * self.elasticity * self.aum_usd) * depth
        return out

    def kinks_frac(self) -> FloatArray:
        out: FloatArray = np.broadcast_to(-col(self.threshold_frac), (self.n_scenarios(), 1))
        return out
