"""Closing liquidity per underlying: capacity, pressure ratio and the threshold move.

Capacity of the close = closing-auction share × average daily dollar volume of the
instruments that absorb the hedge (an ETF, futures, the constituents). For a basket
traded name by name in index weights, the basket's capacity is limited by its least
liquid name: X_max = min_j capacity_j / w_j. The pressure ratio is |flow| / capacity;
with a flow linear in the move (K·r) the threshold move where it reaches 1 is
capacity / K.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from gaemi.core.universe import FloatArray, StrArray
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd


def capacity_usd(adv_usd: ArrayLike, closing_share: ArrayLike) -> FloatArray:
    """Dollar capacity of the close: closing share × ADV (broadcasts), USD.

    Raises
    ------
    GaemiInputError
        If an ADV is negative or a share is outside [0, 1].
    """
    adv = np.asarray(adv_usd, dtype=np.float64)
    share = np.asarray(closing_share, dtype=np.float64)
    if not np.isfinite(adv).all() or (adv < 0).any():
        raise GaemiInputError("liquidity adv_usd: every value must be a finite number >= 0")
    if not np.isfinite(share).all() or (share < 0).any() or (share > 1).any():
        raise GaemiInputError("liquidity closing_share: every value must be in [0, 1]")
    out: FloatArray = adv * share
    return out


@dataclass(frozen=True)
class BasketCapacity:
    """Capacity of an index basket traded constituent by constituent.

    Attributes
    ----------
    capacity_usd : float
        Largest basket notional the close absorbs, USD: min_j cap_j / w_j.
    binding : str
        The constituent that sets it (the least liquid relative to its weight).
    name_capacity_usd : ndarray
        Each constituent's closing capacity, USD.
    """

    capacity_usd: float
    binding: str
    name_capacity_usd: FloatArray


def basket_capacity_usd(
    names: list[str],
    weights: ArrayLike,
    adv_usd: ArrayLike,
    closing_share: ArrayLike,
) -> BasketCapacity:
    """Capacity of a basket limited by its least liquid name: min_j share_j·ADV_j / w_j.

    Parameters
    ----------
    names : list of str
        Constituent tickers.
    weights : array_like
        Index weights (> 0; they need not sum to 1 — a partial basket is allowed).
    adv_usd : array_like
        Each constituent's average daily dollar volume, USD.
    closing_share : array_like
        Closing-auction share of each name's volume (or one value for all).
    """
    w = np.asarray(weights, dtype=np.float64)
    if len(names) != w.size or w.ndim != 1:
        raise GaemiInputError(f"basket: {len(names)} names but {w.size} weights")
    if not np.isfinite(w).all() or (w <= 0).any():
        raise GaemiInputError("basket weights: every weight must be > 0")
    cap = np.broadcast_to(capacity_usd(adv_usd, closing_share), w.shape)
    per = cap / w
    j = int(np.argmin(per))
    return BasketCapacity(float(per[j]), names[j], np.array(cap, dtype=np.float64))


def pressure_ratio(flow_usd: ArrayLike, capacity: ArrayLike) -> FloatArray:
    """|flow| / capacity (dimensionless); inf where capacity is 0 and flow is not."""
    f = np.abs(np.asarray(flow_usd, dtype=np.float64))
    c = np.asarray(capacity, dtype=np.float64)
    if (c < 0).any():
        raise GaemiInputError("capacity_usd must be >= 0")
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(c > 0, f / np.where(c > 0, c, 1.0), np.where(f > 0, np.inf, 0.0))
    return out


def threshold_move_frac(k_usd: ArrayLike, capacity: ArrayLike) -> FloatArray:
    """Move at which a flow K·r reaches the close's capacity: capacity / K (>= 0).

    Returned as a positive size; the move is −threshold on the way down and +threshold up.
    inf where K = 0.
    """
    k = np.abs(np.asarray(k_usd, dtype=np.float64))
    c = np.asarray(capacity, dtype=np.float64)
    with np.errstate(divide="ignore"):
        out: FloatArray = np.where(k > 0, c / np.where(k > 0, k, 1.0), np.inf)
    return out


@dataclass(frozen=True, eq=False)
class LiquidityProfile:
    """Closing liquidity of several underlyings (one row each), frozen.

    Attributes
    ----------
    underlying : ndarray of str
    adv_usd : ndarray
        ADV of the hedge instruments, USD.
    closing_share : ndarray
        Closing-auction share of that volume.
    k_usd : ndarray
        Rebalancing sensitivity K = Σ L(L−1)·A of the funds on each underlying.
    """

    underlying: StrArray
    adv_usd: FloatArray
    closing_share: FloatArray
    k_usd: FloatArray

    @property
    def capacity_usd(self) -> FloatArray:
        return capacity_usd(self.adv_usd, self.closing_share)

    @property
    def threshold_move_frac(self) -> FloatArray:
        return threshold_move_frac(self.k_usd, self.capacity_usd)

    def to_frame(self, move_frac: float | None = None) -> pd.DataFrame:
        """One row per underlying: capacity, per-1 % flow, threshold move, pressure at a move."""
        import pandas as pd

        df = pd.DataFrame(
            {
                "underlying": self.underlying,
                "adv_usd": self.adv_usd,
                "closing_share": self.closing_share,
                "capacity_usd": self.capacity_usd,
                "flow_per_pct_usd": self.k_usd * 0.01,
                "threshold_move_frac": -self.threshold_move_frac,
            }
        )
        if move_frac is not None:
            df["move_frac"] = move_frac
            df["flow_usd"] = self.k_usd * move_frac
            df["pressure_ratio"] = pressure_ratio(df["flow_usd"].to_numpy(), self.capacity_usd)
        return df
