"""Leveraged crypto perpetual positions and their liquidation cascade.

A population of isolated-margin perpetual positions (asset, side, leverage, entry, size)
gives a liquidation-price ladder. A shock moves prices; positions whose liquidation price
is touched are closed by forced market orders; the orders move prices through a depth
curve that thins as it is eaten; the new prices touch more liquidation prices; the loop
runs to a fixed point. Vectorised over scenarios (a ladder lookup per round), with a plain
reference loop beside it (:func:`cascade_reference`) that the tests hold it to.

Conventions
-----------
* Prices are tracked as log moves ``z = ln(P/P0)`` from the current price ``P0`` so a
  price can never go negative; results report ``move_frac = exp(z) − 1``.
* Liquidation price of an isolated-margin linear (USDT-margined) perpetual, fees ignored:
  long ``P_liq = E·(1 − 1/L + mm)``, short ``P_liq = E·(1 + 1/L − mm)``, with entry price
  ``E``, leverage ``L`` and maintenance-margin rate ``mm < 1/L`` (the Binance USDⓈ-M
  formula with one position per wallet).
* A long is liquidated when the lowest price touched so far is at or below its
  liquidation price; a short when the highest price touched is at or above it. The current
  price counts as touched, so positions already past their liquidation price
  ("underwater") go in round 0.
* A liquidated position sends a forced market order of its whole quantity: a long sells,
  a short buys, for ``qty·P_liq`` USD (its notional at the liquidation price). Money is
  conserved: the liquidated notional of every round is exactly the forced order flow that
  reaches the book in the next round.
* Depth curve: ``D(x) = D0·(f + (1 − f)·h²/(h + x)²)`` USD of market orders per 1 % at a
  distance ``x`` (log move) the forced orders have already pushed the price; ``f`` is the
  share of depth left under deep stress and ``h`` the scale of thinning. Cumulative
  orders ``Q(x) = 100·D0·(f·x + (1 − f)·h·x/(h + x))`` are inverted in closed form.
* Assets are linked to an anchor (asset 0, BTC): ``z_a = z_exo_a + I_a(F_a) + β_a·I_0(F_0)``
  — the anchor's liquidation impact drags every other asset by its beta; altcoins are
  higher-beta, thinner-book assets. The link is one way (altcoin orders do not move BTC).

References
----------
Binance USDⓈ-M futures: liquidation price and maintenance margin (exchange documentation).
Brunnermeier, M. & Pedersen, L. (2009). Market liquidity and funding liquidity. RFS 22(6).
Gennotte, G. & Leland, H. (1990). Market liquidity, hedging, and crashes. AER 80(5).
The anchor event, 10–11 Oct 2025 (≈ $19B liquidated in 24 h, ≈ 87 % longs): see
../shared/facts/FACTS.md section (f) and docs/crypto.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gaemi.errors import GaemiInputError, check_known_name

if TYPE_CHECKING:  # pandas is imported lazily: `import gaemi.core` stays light
    import pandas as pd

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

LONG = 1
SHORT = -1
SIDES: dict[str, int] = {"long": LONG, "short": SHORT}


# --------------------------------------------------------------------------- market
@dataclass(frozen=True, eq=False)
class Market:
    """Assets, their link to the anchor and their depth curves (arrays of length n_assets).

    Attributes
    ----------
    names : tuple of str
        Asset names; ``names[0]`` is the anchor (BTC) whose impact drags the others.
    beta_to_anchor : ndarray
        β_a ≥ 0: log move of asset a per log move of the anchor (β_0 = 1).
    depth_usd_per_pct : ndarray
        D0 > 0: USD of market orders that move the price 1 % in calm conditions.
    depth_floor_frac : ndarray
        f ∈ (0, 1]: share of D0 left when the book is deeply eaten (1 = no thinning).
    thinning_scale_frac : ndarray
        h > 0: log move of impact over which the book thins (depth is f + (1−f)/4 of D0
        at x = h).
    """

    names: tuple[str, ...]
    beta_to_anchor: FloatArray
    depth_usd_per_pct: FloatArray
    depth_floor_frac: FloatArray
    thinning_scale_frac: FloatArray

    def __post_init__(self) -> None:
        n = len(self.names)
        if n == 0:
            raise GaemiInputError("market: give at least one asset")
        if len({s.upper() for s in self.names}) != n:
            raise GaemiInputError(f"market: asset names must be unique, got {self.names}")
        checks: tuple[tuple[str, Callable[[float], bool], str], ...] = (
            ("beta_to_anchor", lambda v: v >= 0, ">= 0"),
            ("depth_usd_per_pct", lambda v: v > 0, "> 0"),
            ("depth_floor_frac", lambda v: 0 < v <= 1, "in (0, 1]"),
            ("thinning_scale_frac", lambda v: v > 0, "> 0"),
        )
        for fld, ok, text in checks:
            arr = np.asarray(getattr(self, fld), dtype=np.float64)
            if arr.shape != (n,):
                raise GaemiInputError(f"market: {fld} must have {n} values, got {arr.shape}")
            for name, v in zip(self.names, arr.tolist(), strict=True):
                if not (np.isfinite(v) and ok(v)):
                    raise GaemiInputError(f"market: {name}.{fld} = {v!r} must be {text}")
        if abs(float(self.beta_to_anchor[0]) - 1.0) > 1e-12:
            raise GaemiInputError(
                f"market: the anchor {self.names[0]} must have beta_to_anchor = 1, "
                f"got {float(self.beta_to_anchor[0])!r}"
            )

    @classmethod
    def from_lists(
        cls,
        names: Sequence[str],
        beta_to_anchor: ArrayLike,
        depth_usd_per_pct: ArrayLike,
        depth_floor_frac: ArrayLike = 1.0,
        thinning_scale_frac: ArrayLike = 1.0,
    ) -> Market:
        """Build from plain lists; scalars broadcast to every asset."""
        n = len(names)

        def arr(v: ArrayLike) -> FloatArray:
            return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy()

        return cls(
            tuple(str(s) for s in names),
            arr(beta_to_anchor),
            arr(depth_usd_per_pct),
            arr(depth_floor_frac),
            arr(thinning_scale_frac),
        )

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        """Position of an asset by name (case-insensitive)."""
        # the words of every face: "asset = 'DOGE': ASSET must be one of BTC, ETH, SOL, ALT";
        # names are unique case-insensitively (__post_init__), so the spelling finds one
        return self.names.index(check_known_name(name, self.names, "asset", "ASSET"))

    def with_depth_scaled(self, factor: float | ArrayLike) -> Market:
        """The same market with every depth multiplied by ``factor`` (> 0)."""
        f = np.broadcast_to(np.asarray(factor, dtype=np.float64), (len(self),))
        if not (np.isfinite(f).all() and (f > 0).all()):
            raise GaemiInputError(f"depth factor = {factor!r} must be > 0")
        return Market(
            self.names,
            self.beta_to_anchor,
            self.depth_usd_per_pct * f,
            self.depth_floor_frac,
            self.thinning_scale_frac,
        )


def depth_usd_per_pct(market: Market, impact_log: ArrayLike) -> FloatArray:
    """Depth left after the forced orders pushed the price ``|x|``: D0·(f + (1−f)h²/(h+|x|)²).

    ``impact_log`` broadcasts against the assets on its last axis.
    """
    x = np.abs(np.asarray(impact_log, dtype=np.float64))
    f, h = market.depth_floor_frac, market.thinning_scale_frac
    return np.asarray(market.depth_usd_per_pct * (f + (1.0 - f) * h * h / (h + x) ** 2))


def impact_log_move(market: Market, flow_usd: ArrayLike) -> FloatArray:
    """Log price move that cumulative net market orders ``flow_usd`` cause, per asset.

    Solves ``Q(x) = |F|`` for the depth curve, with ``Q(x) = 100·D0·(f·x + (1−f)·h·x/(h+x))``
    (the integral of :func:`depth_usd_per_pct`): with ``q = |F|/(100·D0)``,
    ``f·x² + (h − q)·x − q·h = 0``. Signed like the flow (+ buying pushes up). With f = 1
    it is linear: 1 % per D0 dollars. ``flow_usd`` broadcasts with assets on its last axis.
    """
    F = np.asarray(flow_usd, dtype=np.float64)
    q = np.abs(F) / (100.0 * market.depth_usd_per_pct)
    f, h = market.depth_floor_frac, market.thinning_scale_frac
    b = h - q
    disc = np.sqrt(b * b + 4.0 * f * q * h)
    # two algebraically equal roots, each used where it does not cancel
    with np.errstate(divide="ignore", invalid="ignore"):
        small = np.where(b + disc > 0, 2.0 * q * h / (b + disc), 0.0)
    large = (-b + disc) / (2.0 * f)
    x = np.where(b > 0, small, large)
    return np.asarray(np.sign(F) * x)


def linked_log_move(market: Market, z_exo: FloatArray, flow_usd: FloatArray) -> FloatArray:
    """``z_a = z_exo_a + I_a(F_a) + β_a·I_0(F_0)`` for a ≠ 0, ``z_0 = z_exo_0 + I_0(F_0)``."""
    own = impact_log_move(market, flow_usd)
    drag = market.beta_to_anchor * own[..., :1]
    drag[..., 0] = 0.0
    return np.asarray(z_exo + own + drag)


# ------------------------------------------------------------------- population
@dataclass(frozen=True, eq=False)
class Population:
    """Leveraged perpetual positions, one entry per position (arrays of equal length).

    Attributes
    ----------
    asset : ndarray of int
        Index into :attr:`Market.names`.
    side : ndarray of int
        +1 long, −1 short.
    leverage : ndarray
        L > 0 (notional / margin).
    entry_frac : ndarray
        Entry price over the current price, E/P0 > 0.
    size_usd : ndarray
        Notional at the current price, qty·P0 ≥ 0, USD.
    maintenance_margin_frac : ndarray
        mm ∈ [0, 1/L): maintenance-margin rate.
    """

    asset: IntArray
    side: IntArray
    leverage: FloatArray
    entry_frac: FloatArray
    size_usd: FloatArray
    maintenance_margin_frac: FloatArray

    def __post_init__(self) -> None:
        n = self.asset.shape[0]
        for fld in ("side", "leverage", "entry_frac", "size_usd", "maintenance_margin_frac"):
            if getattr(self, fld).shape != (n,):
                raise GaemiInputError(f"population: {fld} must have {n} values")
        bad = _first_bad(self)
        if bad is not None:
            raise GaemiInputError(f"population position {bad[0]}: {bad[1]}")

    def __len__(self) -> int:
        return int(self.asset.shape[0])

    @classmethod
    def from_arrays(
        cls,
        asset: ArrayLike,
        side: ArrayLike,
        leverage: ArrayLike,
        entry_frac: ArrayLike,
        size_usd: ArrayLike,
        maintenance_margin_frac: ArrayLike = 0.0,
    ) -> Population:
        """Build from lists; scalars broadcast. ``side`` may be ±1 or 'long'/'short'."""
        a = np.atleast_1d(np.asarray(asset, dtype=np.int64))
        n = a.shape[0]
        s_raw = np.atleast_1d(np.asarray(side))
        if s_raw.dtype.kind in "US":
            try:
                s = np.array([SIDES[str(v).lower()] for v in s_raw], dtype=np.int64)
            except KeyError as exc:
                raise GaemiInputError(f"side = {exc.args[0]!r} must be long or short") from None
        else:
            s = s_raw.astype(np.int64)

        def arr(v: ArrayLike) -> FloatArray:
            return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy()

        return cls(
            a,
            np.broadcast_to(s, (n,)).copy(),
            arr(leverage),
            arr(entry_frac),
            arr(size_usd),
            arr(maintenance_margin_frac),
        )

    def liquidation_frac(self) -> FloatArray:
        """Liquidation price over the current price: E/P0·(1 − side·(1/L − mm))."""
        return np.asarray(
            self.entry_frac
            * (1.0 - self.side * (1.0 / self.leverage - self.maintenance_margin_frac))
        )

    def threshold_log(self) -> FloatArray:
        """Log move ln(P_liq/P0) at which each position is liquidated."""
        return np.asarray(np.log(self.liquidation_frac()))

    def liquidation_notional_usd(self) -> FloatArray:
        """Forced order size if liquidated: qty·P_liq = size·P_liq/P0, USD."""
        return np.asarray(self.size_usd * self.liquidation_frac())

    def underwater(self) -> BoolArray:
        """Positions already at or past their liquidation price at the current price."""
        t = self.threshold_log()
        return np.asarray(np.where(self.side == LONG, t >= 0.0, t <= 0.0))

    def notional_usd(self, n_assets: int) -> FloatArray:
        """Notional at the current price by asset and side, shape (n_assets, 2) [long, short]."""
        out = np.zeros((n_assets, 2))
        np.add.at(out, (self.asset, (self.side == SHORT).astype(np.int64)), self.size_usd)
        return out

    def where(self, keep: BoolArray) -> Population:
        """The positions where ``keep`` is true."""
        return Population(
            self.asset[keep],
            self.side[keep],
            self.leverage[keep],
            self.entry_frac[keep],
            self.size_usd[keep],
            self.maintenance_margin_frac[keep],
        )


def _first_bad(p: Population) -> tuple[int, str] | None:
    """First invalid position (index, reason) or None; vectorised checks, one message."""
    tests: tuple[tuple[BoolArray, str], ...] = (
        (~np.isin(p.side, (LONG, SHORT)), "side = {side} must be +1 (long) or -1 (short)"),
        (~(np.isfinite(p.leverage) & (p.leverage > 0)), "leverage = {lev!r} must be > 0"),
        (~(np.isfinite(p.size_usd) & (p.size_usd >= 0)), "size_usd = {size!r} must be >= 0"),
        (~(np.isfinite(p.entry_frac) & (p.entry_frac > 0)), "entry_frac = {entry!r} must be > 0"),
        (p.asset < 0, "asset index = {asset} must be >= 0"),
        (
            ~(np.isfinite(p.maintenance_margin_frac) & (p.maintenance_margin_frac >= 0)),
            "maintenance_margin_frac = {mm!r} must be >= 0",
        ),
        (
            p.maintenance_margin_frac * p.leverage >= 1.0,
            (
                "maintenance_margin_frac = {mm!r} >= 1/leverage = {inv:.6g}: the liquidation "
                "price would be on the wrong side of the entry (above it for a long, below for "
                "a short)"
            ),
        ),
    )
    for mask, text in tests:
        hit = np.flatnonzero(mask)
        if hit.size:
            i = int(hit[0])
            lev = float(p.leverage[i])
            return i, text.format(
                side=int(p.side[i]),
                lev=lev,
                size=float(p.size_usd[i]),
                entry=float(p.entry_frac[i]),
                asset=int(p.asset[i]),
                mm=float(p.maintenance_margin_frac[i]),
                inv=1.0 / lev if lev > 0 else float("nan"),
            )
    return None


@dataclass(frozen=True)
class SideSpec:
    """Parametric description of one side of one asset's leveraged positions.

    Leverage is log-normal (median, log-sd) clipped to [min, max]; entry price over the
    current price is log-normal around 1 (log-mean, log-sd); sizes are log-normal with
    log-sd ``size_log_sd`` and scaled so that the surviving positions sum to
    ``notional_usd``.
    """

    notional_usd: float
    leverage_median: float
    leverage_log_sd: float
    leverage_min: float
    leverage_max: float
    entry_log_mean: float
    entry_log_sd: float
    size_log_sd: float = 1.0


def _side_margin(a: int, side: int, sp: SideSpec, mm_all: FloatArray) -> float | None:
    """Check one (asset, side) spec; its maintenance margin, or None for a zero notional."""
    if sp.notional_usd < 0 or not np.isfinite(sp.notional_usd):
        raise GaemiInputError(f"asset {a} side {side}: notional_usd must be >= 0")
    if sp.notional_usd == 0:
        return None
    if not 0 < sp.leverage_min <= sp.leverage_median <= sp.leverage_max:
        raise GaemiInputError(
            f"asset {a} side {side}: need 0 < leverage_min <= leverage_median <= leverage_max"
        )
    mm_a = float(mm_all[a])
    if mm_a * sp.leverage_max >= 1.0:
        raise GaemiInputError(
            f"asset {a}: maintenance margin {mm_a:g} x leverage_max "
            f"{sp.leverage_max:g} must be < 1 (liquidation beyond the entry)"
        )
    return mm_a


def _draw_leverage(sp: SideSpec, gen: np.random.Generator, n: int) -> FloatArray:
    """``n`` leverages: log-normal around the median, clipped to [min, max]."""
    return np.clip(
        sp.leverage_median * np.exp(sp.leverage_log_sd * gen.standard_normal(n)),
        sp.leverage_min,
        sp.leverage_max,
    )


def _joined(parts: Sequence[Population]) -> Population:
    """The drawn sides in order; refused when every side had zero notional."""
    if not parts:
        raise GaemiInputError("population: every side has zero notional")
    return concat_populations(parts)


def generate_population(
    specs: Mapping[tuple[int, int], SideSpec],
    maintenance_margin_frac: ArrayLike,
    n_per_side: int,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
) -> tuple[Population, int]:
    """Draw a parametric population; returns it and the number of positions dropped.

    Parameters
    ----------
    specs : mapping (asset index, side) → SideSpec
    maintenance_margin_frac : array_like, shape (n_assets,)
        mm per asset.
    n_per_side : int
        Positions drawn per (asset, side) before survivorship.
    rng : seed or Generator

    Notes
    -----
    Survivorship: a drawn position already past its liquidation price would have been
    liquidated before today, so it is dropped (the count is returned) and the survivors'
    sizes are scaled to the side's notional.
    """
    if n_per_side < 1:
        raise GaemiInputError(f"n_per_side = {n_per_side} must be >= 1")
    gen = np.random.default_rng(rng)
    mm_all = np.asarray(maintenance_margin_frac, dtype=np.float64)
    parts: list[Population] = []
    dropped = 0
    for (a, side), sp in sorted(specs.items()):
        mm_a = _side_margin(a, side, sp, mm_all)
        if mm_a is None:
            continue
        lev = _draw_leverage(sp, gen, n_per_side)
        entry = np.exp(sp.entry_log_mean + sp.entry_log_sd * gen.standard_normal(n_per_side))
        size = np.exp(sp.size_log_sd * gen.standard_normal(n_per_side))
        mm = np.full(n_per_side, mm_a)
        pop = Population(
            np.full(n_per_side, a, dtype=np.int64),
            np.full(n_per_side, side, dtype=np.int64),
            lev,
            entry,
            size,
            mm,
        )
        keep = ~pop.underwater()
        dropped += int((~keep).sum())
        pop = pop.where(keep)
        if len(pop) == 0:
            raise GaemiInputError(f"asset {a} side {side}: every drawn position was underwater")
        scale = sp.notional_usd / float(pop.size_usd.sum())
        parts.append(
            Population(
                pop.asset,
                pop.side,
                pop.leverage,
                pop.entry_frac,
                pop.size_usd * scale,
                pop.maintenance_margin_frac,
            )
        )
    return _joined(parts), dropped


def generate_path_population(
    specs: Mapping[tuple[int, int], SideSpec],
    maintenance_margin_frac: ArrayLike,
    n_per_side: int,
    rng: int | np.random.Generator | np.random.SeedSequence | None,
    *,
    path_low_frac: ArrayLike,
    path_high_frac: ArrayLike,
    entry_age_days: float,
) -> tuple[Population, int]:
    """Draw a population whose entries come from the recent price path (dated positioning).

    Parameters
    ----------
    specs : mapping (asset index, side) → SideSpec
        Notional and leverage per side; the ``entry_log_*`` fields are not used.
    maintenance_margin_frac : array_like, shape (n_assets,)
    n_per_side : int
        Positions drawn per (asset, side) before survivorship.
    rng : seed or Generator
    path_low_frac, path_high_frac : array_like, shape (n_assets, K)
        Each of the K days before now (oldest first, the last is yesterday): the day's low
        and high over the current price (1.0 = the current price).
    entry_age_days : float
        Mean age of a position in days (> 0): the age is exponential, capped at K − 1.

    Notes
    -----
    A position opened on day j enters uniformly between that day's low and high. It
    survives to now only if no later day (nor the current price) touched its liquidation
    price: a long needs ``P_liq`` below every later low, a short above every later high.
    Dropped draws are counted; the survivors' sizes are scaled to the side's notional. After
    a rally the ladder sits far below the price; after a sell-off the vulnerable longs are
    already gone; after a flat month it is crowded near the price.
    """
    lo = np.atleast_2d(np.asarray(path_low_frac, dtype=np.float64))
    hi = np.atleast_2d(np.asarray(path_high_frac, dtype=np.float64))
    if lo.shape != hi.shape or lo.shape[1] < 1:
        raise GaemiInputError(
            f"path: low and high must have the same shape (n_assets, K >= 1), got "
            f"{lo.shape} and {hi.shape}"
        )
    if not (np.isfinite(lo).all() and np.isfinite(hi).all() and (lo > 0).all()):
        raise GaemiInputError("path: lows and highs must be finite and > 0")
    if (hi < lo).any():
        raise GaemiInputError("path: a day's high is below its low")
    if not (np.isfinite(entry_age_days) and entry_age_days > 0):
        raise GaemiInputError(f"entry_age_days = {entry_age_days!r} must be > 0")
    if n_per_side < 1:
        raise GaemiInputError(f"n_per_side = {n_per_side} must be >= 1")
    K = lo.shape[1]
    # min of the lows / max of the highs strictly after day j, and the current price (1)
    later_low = np.minimum(np.minimum.accumulate(lo[:, ::-1], axis=1)[:, ::-1], 1.0)
    later_low = np.concatenate([later_low[:, 1:], np.ones((lo.shape[0], 1))], axis=1)
    later_high = np.maximum(np.maximum.accumulate(hi[:, ::-1], axis=1)[:, ::-1], 1.0)
    later_high = np.concatenate([later_high[:, 1:], np.ones((hi.shape[0], 1))], axis=1)
    gen = np.random.default_rng(rng)
    mm_all = np.asarray(maintenance_margin_frac, dtype=np.float64)
    parts: list[Population] = []
    dropped = 0
    for (a, side), sp in sorted(specs.items()):
        if a >= lo.shape[0]:
            raise GaemiInputError(f"path: no price path for asset {a}")
        mm_a = _side_margin(a, side, sp, mm_all)
        if mm_a is None:
            continue
        lev = _draw_leverage(sp, gen, n_per_side)
        age = np.minimum(np.floor(gen.exponential(entry_age_days, n_per_side)), K - 1)
        day = (K - 1 - age).astype(np.int64)
        entry = lo[a, day] + (hi[a, day] - lo[a, day]) * gen.random(n_per_side)
        size = np.exp(sp.size_log_sd * gen.standard_normal(n_per_side))
        liq = entry * (1.0 - side * (1.0 / lev - mm_a))
        keep = liq < later_low[a, day] if side == LONG else liq > later_high[a, day]
        dropped += int((~keep).sum())
        if not keep.any():
            raise GaemiInputError(
                f"asset {a} side {side}: every position drawn from the path was liquidated "
                "before now"
            )
        size = size[keep]
        parts.append(
            Population(
                np.full(int(keep.sum()), a, dtype=np.int64),
                np.full(int(keep.sum()), side, dtype=np.int64),
                lev[keep],
                entry[keep],
                size * (sp.notional_usd / float(size.sum())),
                np.full(int(keep.sum()), mm_a),
            )
        )
    return _joined(parts), dropped


def concat_populations(parts: Sequence[Population]) -> Population:
    """Positions of several populations, in order."""
    return Population(
        np.concatenate([p.asset for p in parts]),
        np.concatenate([p.side for p in parts]),
        np.concatenate([p.leverage for p in parts]),
        np.concatenate([p.entry_frac for p in parts]),
        np.concatenate([p.size_usd for p in parts]),
        np.concatenate([p.maintenance_margin_frac for p in parts]),
    )


# ------------------------------------------------------------------- ladders
@dataclass(frozen=True, eq=False)
class Ladder:
    """Liquidation ladder per asset and side: sorted thresholds and cumulative notional.

    For longs, ``long_cum_usd[a][k]`` is the notional of the k longs with the highest
    thresholds (the first k to go as the price falls); for shorts, ``short_cum_usd[a][k]``
    of the k shorts with the lowest thresholds.
    """

    long_t_asc: tuple[FloatArray, ...]
    long_cum_usd: tuple[FloatArray, ...]
    short_t_asc: tuple[FloatArray, ...]
    short_cum_usd: tuple[FloatArray, ...]

    @classmethod
    def build(cls, pop: Population, n_assets: int) -> Ladder:
        """Sort each asset's longs and shorts by liquidation threshold."""
        if len(pop) and int(pop.asset.max()) >= n_assets:
            raise GaemiInputError(
                f"population: asset index {int(pop.asset.max())} but the market has "
                f"{n_assets} assets"
            )
        t = pop.threshold_log()
        notional = pop.liquidation_notional_usd()
        lt: list[FloatArray] = []
        lc: list[FloatArray] = []
        st: list[FloatArray] = []
        sc: list[FloatArray] = []
        for a in range(n_assets):
            for side, ts, cs in ((LONG, lt, lc), (SHORT, st, sc)):
                sel = (pop.asset == a) & (pop.side == side)
                ta, na = t[sel], notional[sel]
                order = np.argsort(ta, kind="stable")
                ta, na = ta[order], na[order]
                ts.append(ta)
                # longs go from the top threshold down; shorts from the bottom up
                ordered = na[::-1] if side == LONG else na
                cs.append(np.concatenate(([0.0], np.cumsum(ordered))))
        return cls(tuple(lt), tuple(lc), tuple(st), tuple(sc))

    @property
    def n_assets(self) -> int:
        return len(self.long_t_asc)

    def counts(self, zmin: FloatArray, zmax: FloatArray) -> tuple[IntArray, IntArray]:
        """Liquidated counts (longs with t ≥ zmin, shorts with t ≤ zmax), shape (S, A)."""
        S, A = zmin.shape
        kl = np.empty((S, A), dtype=np.int64)
        ks = np.empty((S, A), dtype=np.int64)
        for a in range(A):
            lt = self.long_t_asc[a]
            kl[:, a] = lt.size - np.searchsorted(lt, zmin[:, a], side="left")
            ks[:, a] = np.searchsorted(self.short_t_asc[a], zmax[:, a], side="right")
        return kl, ks

    def notional(self, kl: IntArray, ks: IntArray) -> tuple[FloatArray, FloatArray]:
        """Liquidated notional (long, short) for counts, USD, shape (S, A)."""
        S, A = kl.shape
        nl = np.empty((S, A))
        ns = np.empty((S, A))
        for a in range(A):
            nl[:, a] = self.long_cum_usd[a][kl[:, a]]
            ns[:, a] = self.short_cum_usd[a][ks[:, a]]
        return nl, ns


def liquidations_at_extremes(
    pop: Population, n_assets: int, low_log: ArrayLike, high_log: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Liquidated notional (long, short) by asset if prices touched these extremes.

    No feedback: a static reading of the ladder. ``low_log``/``high_log`` have shape
    (n_assets,) or (S, n_assets) (log moves; 0 is the current price, which always counts).
    """
    lo = np.minimum(np.atleast_2d(np.asarray(low_log, dtype=np.float64)), 0.0)
    hi = np.maximum(np.atleast_2d(np.asarray(high_log, dtype=np.float64)), 0.0)
    lad = Ladder.build(pop, n_assets)
    return lad.notional(*lad.counts(lo, hi))


# ------------------------------------------------------------------- cascade
@dataclass(frozen=True, eq=False)
class CascadeResult:
    """Outcome of a liquidation cascade in every scenario (frozen).

    Attributes
    ----------
    asset_names : tuple of str
    exo_log : ndarray, shape (S, A)
        Exogenous log move (the shock, with betas applied).
    final_log : ndarray, shape (S, A)
        Log move at the fixed point.
    low_log, high_log : ndarray, shape (S, A)
        Lowest / highest log move touched (including 0, the start).
    liquidated_long_usd, liquidated_short_usd : ndarray, shape (S, A)
        Notional liquidated at the liquidation price, USD.
    n_liquidated_long, n_liquidated_short : ndarray of int, shape (S, A)
    forced_flow_usd : ndarray, shape (S, A)
        Net forced market orders that reached the book (+ buying), USD.
    rounds : ndarray of int, shape (S,)
        Rounds with new liquidations (0 = nothing liquidated).
    converged : ndarray of bool, shape (S,)
        Whether the fixed point was reached within ``max_rounds``.
    round_long_usd, round_short_usd : ndarray, shape (R, S) or None
        New liquidations per round summed over assets (round 0: the shock itself and
        positions already underwater); None when not recorded.
    underwater_usd : ndarray, shape (A, 2)
        Notional of positions already past their liquidation price before any shock
        [long, short] (they are liquidated in round 0 of every scenario).
    """

    asset_names: tuple[str, ...]
    exo_log: FloatArray
    final_log: FloatArray
    low_log: FloatArray
    high_log: FloatArray
    liquidated_long_usd: FloatArray
    liquidated_short_usd: FloatArray
    n_liquidated_long: IntArray
    n_liquidated_short: IntArray
    forced_flow_usd: FloatArray
    rounds: IntArray
    converged: BoolArray
    round_long_usd: FloatArray | None
    round_short_usd: FloatArray | None
    underwater_usd: FloatArray

    @property
    def n_scenarios(self) -> int:
        return int(self.final_log.shape[0])

    @property
    def final_move_frac(self) -> FloatArray:
        """Price move at the fixed point, decimal fraction."""
        return np.asarray(np.expm1(self.final_log))

    @property
    def low_move_frac(self) -> FloatArray:
        """Deepest move touched, decimal fraction."""
        return np.asarray(np.expm1(self.low_log))

    def total_usd(self) -> FloatArray:
        """Liquidated notional per scenario (all assets, both sides), USD."""
        return np.asarray((self.liquidated_long_usd + self.liquidated_short_usd).sum(axis=1))

    def long_share(self) -> FloatArray:
        """Long share of the liquidated notional per scenario (NaN when nothing)."""
        tot = self.total_usd()
        lng = self.liquidated_long_usd.sum(axis=1)
        return np.asarray(np.divide(lng, tot, out=np.full_like(tot, np.nan), where=tot > 0))

    def conservation_gap_usd(self) -> FloatArray:
        """|forced orders − (short liquidated − long liquidated)| per scenario and asset.

        Zero up to rounding: every liquidated dollar became a forced order, none more.
        """
        return np.asarray(
            np.abs(self.forced_flow_usd - (self.liquidated_short_usd - self.liquidated_long_usd))
        )

    def to_frame(self, scenario: int | None = None) -> pd.DataFrame:
        """One row per scenario and asset with units in the column names."""
        import pandas as pd

        S, A = self.final_log.shape
        scen = np.repeat(np.arange(S), A)
        asset = np.tile(np.arange(A), S)
        df = pd.DataFrame(
            {
                "scenario": scen,
                "asset": np.asarray(self.asset_names)[asset],
                "shock_move_frac": np.expm1(self.exo_log).ravel(),
                "low_move_frac": np.expm1(self.low_log).ravel(),
                "final_move_frac": np.expm1(self.final_log).ravel(),
                "liquidated_long_usd": self.liquidated_long_usd.ravel(),
                "liquidated_short_usd": self.liquidated_short_usd.ravel(),
                "liquidated_total_usd": (
                    self.liquidated_long_usd + self.liquidated_short_usd
                ).ravel(),
                "n_liquidated_long": self.n_liquidated_long.ravel(),
                "n_liquidated_short": self.n_liquidated_short.ravel(),
                "forced_flow_usd": self.forced_flow_usd.ravel(),
                "rounds": self.rounds[scen],
                "converged": self.converged[scen],
            }
        )
        if scenario is not None:
            df = df[df["scenario"] == scenario]
        return df.reset_index(drop=True)

    def rounds_frame(self, scenario: int = 0) -> pd.DataFrame:
        """New liquidations by round and side for one scenario."""
        import pandas as pd

        if self.round_long_usd is None or self.round_short_usd is None:
            raise GaemiInputError("rounds were not recorded (run with record_rounds=True)")
        lng = self.round_long_usd[:, scenario]
        sht = self.round_short_usd[:, scenario]
        n = int(self.rounds[scenario])
        return pd.DataFrame(
            {
                "round": np.arange(n),
                "liquidated_long_usd": lng[:n],
                "liquidated_short_usd": sht[:n],
                "liquidated_total_usd": lng[:n] + sht[:n],
                "cumulative_usd": np.cumsum(lng[:n] + sht[:n]),
            }
        )


def exogenous_log_moves(market: Market, shocks: Mapping[str, ArrayLike] | ArrayLike) -> FloatArray:
    """Exogenous log moves, shape (S, A), from shocks as fractions.

    A mapping ``{"BTC": -0.10}`` (values scalars or arrays over scenarios) moves the named
    assets; unnamed assets follow the anchor by their beta (ln-move β·ln(1+r_anchor)), or
    stay put when the anchor is not named. An array of shape (S, A) or (A,) gives every
    asset's move directly.
    """
    A = len(market)
    if isinstance(shocks, Mapping):
        if not shocks:
            raise GaemiInputError("shock: name at least one asset, e.g. BTC=-10%")
        cols: dict[int, FloatArray] = {}
        for name, v in shocks.items():
            arr = np.atleast_1d(np.asarray(v, dtype=np.float64))
            _check_moves(arr, f"shock {name}")
            cols[market.index(str(name))] = np.log1p(arr)
        S = max(c.size for c in cols.values())
        for i, c in cols.items():
            if c.size not in (1, S):
                raise GaemiInputError(f"shock {market.names[i]}: {c.size} scenarios, others {S}")
        anchor = np.broadcast_to(cols.get(0, np.zeros(1)), (S,))
        z = market.beta_to_anchor[None, :] * anchor[:, None]
        for i, c in cols.items():
            z[:, i] = np.broadcast_to(c, (S,))
        return np.asarray(z)
    arr = np.atleast_2d(np.asarray(shocks, dtype=np.float64))
    if arr.ndim != 2 or arr.shape[1] != A:
        raise GaemiInputError(f"shock: expected shape (S, {A}), got {np.shape(shocks)}")
    _check_moves(arr.ravel(), "shock")
    return np.asarray(np.log1p(arr))


def _check_moves(arr: FloatArray, name: str) -> None:
    if not np.isfinite(arr).all():
        raise GaemiInputError(f"{name}: moves must be finite numbers")
    if (arr <= -1.0).any():
        raise GaemiInputError(f"{name} = {float(arr.min()):g} must be above -100%")


def cascade(
    pop: Population,
    market: Market,
    shocks: Mapping[str, ArrayLike] | ArrayLike,
    *,
    touched_low_frac: ArrayLike = 0.0,
    touched_high_frac: ArrayLike = 0.0,
    max_rounds: int = 1000,
    record_rounds: bool = True,
    ladder: Ladder | None = None,
) -> CascadeResult:
    """Run the liquidation cascade to its fixed point in every scenario (vectorised).

    Parameters
    ----------
    pop : Population
    market : Market
    shocks : mapping asset → move fraction(s), or array (S, A) / (A,)
        Exogenous moves (see :func:`exogenous_log_moves`).
    touched_low_frac, touched_high_frac : array_like, broadcast to (S, A)
        Moves already touched before the shock in the window (e.g. the day's high before a
        crash); they liquidate like the shock does. Default 0 (only the current price).
    max_rounds : int
        Stop after this many rounds; :attr:`CascadeResult.converged` says where it did.
    record_rounds : bool
        Keep per-round liquidations by side (memory R×S).
    ladder : Ladder, optional
        A prebuilt :class:`Ladder` of ``pop`` (reuse it across calls).

    Returns
    -------
    CascadeResult

    Notes
    -----
    Round 0 liquidates what the shock (and the current price) touches. Round k ≥ 1 moves
    prices by the impact of all forced orders so far, ``z = z_exo + I(F)`` with the anchor
    link, widens the touched range, and liquidates what it newly touches. The liquidated
    set only grows and is finite, so the loop stops — at the first round with no new
    liquidation, where ``z`` is a fixed point of the map.
    """
    A = len(market)
    lad = ladder if ladder is not None else Ladder.build(pop, A)
    z_exo = exogenous_log_moves(market, shocks)
    S = z_exo.shape[0]
    lo0 = np.log1p(_broadcast_moves(touched_low_frac, S, A, "touched_low_frac"))
    hi0 = np.log1p(_broadcast_moves(touched_high_frac, S, A, "touched_high_frac"))
    zmin = np.minimum(np.minimum(z_exo, lo0), 0.0)
    zmax = np.maximum(np.maximum(z_exo, hi0), 0.0)
    kl, ks = lad.counts(zmin, zmax)
    nl, ns = lad.notional(kl, ks)
    z = z_exo.copy()
    rounds = np.zeros(S, dtype=np.int64)
    rounds[(kl.sum(axis=1) + ks.sum(axis=1)) > 0] = 1
    converged = np.zeros(S, dtype=np.bool_)
    rec_l: list[FloatArray] = [nl.sum(axis=1)] if record_rounds else []
    rec_s: list[FloatArray] = [ns.sum(axis=1)] if record_rounds else []
    active = np.arange(S)
    for r in range(1, max_rounds + 1):
        F = ns[active] - nl[active]
        za = linked_log_move(market, z_exo[active], F)
        z[active] = za
        lo = np.minimum(zmin[active], za)
        hi = np.maximum(zmax[active], za)
        zmin[active], zmax[active] = lo, hi
        kl_a, ks_a = lad.counts(lo, hi)
        changed = ((kl_a != kl[active]) | (ks_a != ks[active])).any(axis=1)
        nl_a, ns_a = lad.notional(kl_a, ks_a)
        if record_rounds:
            dl = np.zeros(S)
            ds = np.zeros(S)
            dl[active] = (nl_a - nl[active]).sum(axis=1)
            ds[active] = (ns_a - ns[active]).sum(axis=1)
            rec_l.append(dl)
            rec_s.append(ds)
        kl[active], ks[active] = kl_a, ks_a
        nl[active], ns[active] = nl_a, ns_a
        converged[active[~changed]] = True
        rounds[active[changed]] = r + 1
        active = active[changed]
        if active.size == 0:
            break
    underwater = np.stack(lad.notional(*lad.counts(np.zeros((1, A)), np.zeros((1, A)))), axis=-1)[0]
    R = int(rounds.max()) if S else 0
    return CascadeResult(
        asset_names=market.names,
        exo_log=z_exo,
        final_log=z,
        low_log=zmin,
        high_log=zmax,
        liquidated_long_usd=nl,
        liquidated_short_usd=ns,
        n_liquidated_long=kl,
        n_liquidated_short=ks,
        forced_flow_usd=_forced_flow(nl, ns, z, z_exo, market),
        rounds=rounds,
        converged=converged,
        round_long_usd=np.array(rec_l[: max(R, 1)]) if record_rounds else None,
        round_short_usd=np.array(rec_s[: max(R, 1)]) if record_rounds else None,
        underwater_usd=underwater,
    )


def _forced_flow(
    nl: FloatArray, ns: FloatArray, z: FloatArray, z_exo: FloatArray, market: Market
) -> FloatArray:
    """Net forced orders that reached the book (buys − sells), per scenario and asset.

    Kept separate from the ladder sums so :meth:`CascadeResult.conservation_gap_usd`
    compares two bookkeepings: this one is the flow the impact was computed from at the
    fixed point, recovered by inverting the depth curve on the final own-asset impact.
    """
    own = z - z_exo
    own[:, 1:] -= market.beta_to_anchor[1:] * own[:, :1]
    return _invert_impact(market, own)


def _invert_impact(market: Market, x_signed: FloatArray) -> FloatArray:
    """Cumulative orders Q(x) that cause a signed own-impact log move x, USD."""
    x = np.abs(x_signed)
    f, h = market.depth_floor_frac, market.thinning_scale_frac
    q = f * x + (1.0 - f) * h * x / (h + x)
    return np.asarray(np.sign(x_signed) * q * 100.0 * market.depth_usd_per_pct)


def _broadcast_moves(v: ArrayLike, S: int, A: int, name: str) -> FloatArray:
    arr = np.asarray(v, dtype=np.float64)
    try:
        out = np.broadcast_to(arr, (S, A)).copy()
    except ValueError:
        raise GaemiInputError(f"{name}: shape {arr.shape} does not fit ({S}, {A})") from None
    _check_moves(out.ravel(), name)
    return out


def cascade_reference(
    pop: Population,
    market: Market,
    shocks: Mapping[str, ArrayLike] | ArrayLike,
    *,
    touched_low_frac: ArrayLike = 0.0,
    touched_high_frac: ArrayLike = 0.0,
    max_rounds: int = 1000,
) -> CascadeResult:
    """Plain loop over scenarios, rounds and positions: the obviously-correct version.

    Same model as :func:`cascade`; the tests hold the two to each other. Slow: use it on
    small populations only.
    """
    A = len(market)
    z_exo = exogenous_log_moves(market, shocks)
    S = z_exo.shape[0]
    lo0 = np.log1p(_broadcast_moves(touched_low_frac, S, A, "touched_low_frac"))
    hi0 = np.log1p(_broadcast_moves(touched_high_frac, S, A, "touched_high_frac"))
    t = pop.threshold_log().tolist()
    notional = pop.liquidation_notional_usd().tolist()
    assets = pop.asset.tolist()
    sides = pop.side.tolist()
    n = len(pop)
    out_nl = np.zeros((S, A))
    out_ns = np.zeros((S, A))
    out_kl = np.zeros((S, A), dtype=np.int64)
    out_ks = np.zeros((S, A), dtype=np.int64)
    out_z = np.zeros((S, A))
    out_lo = np.zeros((S, A))
    out_hi = np.zeros((S, A))
    out_flow = np.zeros((S, A))
    rounds = np.zeros(S, dtype=np.int64)
    converged = np.zeros(S, dtype=np.bool_)
    rec_l = np.zeros((max_rounds + 1, S))
    rec_s = np.zeros((max_rounds + 1, S))
    for s in range(S):
        z = z_exo[s].copy()
        lo = [min(0.0, float(z[a]), float(lo0[s, a])) for a in range(A)]
        hi = [max(0.0, float(z[a]), float(hi0[s, a])) for a in range(A)]
        done = [False] * n
        flow = [0.0] * A  # forced orders sent so far, + buys
        for r in range(max_rounds + 1):
            if r > 0:
                z = linked_log_move(market, z_exo[s], np.array(flow))
                for a in range(A):
                    lo[a] = min(lo[a], float(z[a]))
                    hi[a] = max(hi[a], float(z[a]))
            new = 0
            for i in range(n):
                if done[i]:
                    continue
                a = assets[i]
                hit = t[i] >= lo[a] if sides[i] == LONG else t[i] <= hi[a]
                if hit:
                    done[i] = True
                    new += 1
                    if sides[i] == LONG:
                        out_nl[s, a] += notional[i]
                        out_kl[s, a] += 1
                        rec_l[r, s] += notional[i]
                        flow[a] -= notional[i]  # a long's forced order sells
                    else:
                        out_ns[s, a] += notional[i]
                        out_ks[s, a] += 1
                        rec_s[r, s] += notional[i]
                        flow[a] += notional[i]  # a short's forced order buys
            if new == 0:
                converged[s] = True
                if r == 0:  # nothing at all: the price stays at the shock
                    z = z_exo[s].copy()
                break
            rounds[s] = r + 1
        out_z[s], out_lo[s], out_hi[s], out_flow[s] = z, lo, hi, flow
    R = max(int(rounds.max()) if S else 0, 1)
    uw_l = np.zeros(A)
    uw_s = np.zeros(A)
    for i in range(n):
        if sides[i] == LONG and t[i] >= 0.0:
            uw_l[assets[i]] += notional[i]
        elif sides[i] == SHORT and t[i] <= 0.0:
            uw_s[assets[i]] += notional[i]
    return CascadeResult(
        asset_names=market.names,
        exo_log=z_exo,
        final_log=out_z,
        low_log=out_lo,
        high_log=out_hi,
        liquidated_long_usd=out_nl,
        liquidated_short_usd=out_ns,
        n_liquidated_long=out_kl,
        n_liquidated_short=out_ks,
        forced_flow_usd=out_flow,
        rounds=rounds,
        converged=converged,
        round_long_usd=rec_l[:R],
        round_short_usd=rec_s[:R],
        underwater_usd=np.stack([uw_l, uw_s], axis=-1),
    )


# ------------------------------------------------------------------- inversion
@dataclass(frozen=True, eq=False)
class ShockInversion:
    """The exogenous shock whose cascade reaches a given realised move.

    Attributes
    ----------
    asset : str
    target_move_frac : float
        The realised move asked for (e.g. the day's low over the open).
    shock_frac : float
        Exogenous move before any liquidation that reproduces it.
    realised_move_frac : float
        What the cascade from ``shock_frac`` actually reaches (the lowest touched move for a
        fall, the highest for a rise).
    exact : bool
        False when no shock reaches the target within ``tol``: the target lies inside a
        jump of the map shock → realised move (a cliff), or the current price alone already
        goes past it; ``shock_frac`` is then the nearest shock on the near side.
    result : CascadeResult
        The cascade from ``shock_frac`` (one scenario).
    """

    asset: str
    target_move_frac: float
    shock_frac: float
    realised_move_frac: float
    exact: bool
    result: CascadeResult


def invert_shock(
    pop: Population,
    market: Market,
    realised_move_frac: float,
    *,
    asset: str = "BTC",
    touched_low_frac: ArrayLike = 0.0,
    touched_high_frac: ArrayLike = 0.0,
    tol: float = 1e-4,
    grid: int = 48,
    passes: int = 4,
    ladder: Ladder | None = None,
) -> ShockInversion:
    """Find the exogenous shock on ``asset`` whose cascade reaches ``realised_move_frac``.

    The shock is the move *before* any liquidation; the realised move (the day's low, say)
    is the cascade's output. A user who only knows the realised low asks this function
    for the shock, then reads the liquidations off ``result`` — giving the realised low as
    the shock would count the cascade twice.

    Parameters
    ----------
    pop, market : Population, Market
    realised_move_frac : float
        Target realised move of ``asset`` (< 0: its lowest touched move; > 0: its highest).
    asset : str
        The shocked asset; the others follow by beta, as in :func:`cascade`.
    touched_low_frac, touched_high_frac : array_like
        Moves already touched (see :func:`cascade`).
    tol : float
        Accepted gap between the realised and the target move (fraction).
    grid, passes : int
        Each pass runs ``grid`` shocks in one vectorised cascade and narrows the bracket.

    Notes
    -----
    The realised low is never above the shock (the shock itself is touched), so the answer
    lies between 0 and the target. The search keeps the largest shock (closest to 0) whose
    cascade stays at or above the target and the smallest that goes past it.
    """
    if not (np.isfinite(realised_move_frac) and realised_move_frac > -1.0):
        raise GaemiInputError(
            f"realised move = {realised_move_frac!r} must be a finite move above -100%"
        )
    if realised_move_frac == 0.0:
        raise GaemiInputError("realised move = 0: nothing to invert (the shock is 0)")
    i = market.index(asset)
    lad = ladder if ladder is not None else Ladder.build(pop, len(market))
    down = realised_move_frac < 0
    target = float(np.log1p(realised_move_frac))

    def reached(res: CascadeResult) -> FloatArray:
        return np.asarray(res.low_log[:, i] if down else res.high_log[:, i])

    def run(shocks_log: FloatArray) -> CascadeResult:
        return cascade(
            pop,
            market,
            {market.names[i]: np.expm1(shocks_log)},
            touched_low_frac=touched_low_frac,
            touched_high_frac=touched_high_frac,
            record_rounds=False,
            ladder=lad,
        )

    # near: shock whose cascade stays short of the target (or on it); far: goes past it
    near, far = 0.0, target
    for _ in range(passes):
        s = np.linspace(near, far, grid)
        z = reached(run(s))
        past = z < target if down else z > target
        if past[0]:  # even the near end goes past: the current price alone does
            break
        k = int(np.argmax(past)) if past.any() else grid - 1
        near, far = float(s[max(k - 1, 0)]), float(s[k])
        if not past.any():
            near = far
            break
    res = run(np.array([near]))
    got = float(reached(res)[0])
    return ShockInversion(
        asset=market.names[i],
        target_move_frac=float(realised_move_frac),
        shock_frac=float(np.expm1(near)),
        realised_move_frac=float(np.expm1(got)),
        exact=bool(abs(np.expm1(got) - realised_move_frac) <= tol),
        result=res,
    )


# ------------------------------------------------------------------- Korean slice
@dataclass(frozen=True, eq=False)
class KoreanSlice:
    """Korean retail crypto holdings: spot by asset plus exchange coin-lending accounts.

    Attributes
    ----------
    holdings_krw : ndarray, shape (A,)
        Spot holdings by asset at KRW prices, ₩.
    lending_equity_krw : ndarray, shape (B,)
        Own money in lending accounts, by leverage bucket, ₩.
    lending_leverage : ndarray, shape (B,)
        Exposure / equity of each bucket (≥ 1).
    lending_weights : ndarray, shape (A,)
        How lending exposure is spread over assets (sums to 1).
    lending_liquidation_margin_frac : float
        An account is force-liquidated when equity/exposure falls to this.
    usdkrw : float
        ₩ per USD.
    kimchi_premium_frac : float
        Korean price over the global price × FX, minus 1, before the shock.
    """

    holdings_krw: FloatArray
    lending_equity_krw: FloatArray
    lending_leverage: FloatArray
    lending_weights: FloatArray
    lending_liquidation_margin_frac: float
    usdkrw: float
    kimchi_premium_frac: float

    def __post_init__(self) -> None:
        if (self.holdings_krw < 0).any() or not np.isfinite(self.holdings_krw).all():
            raise GaemiInputError("korea: holdings_krw must be >= 0")
        if (self.lending_leverage < 1).any():
            raise GaemiInputError(
                f"korea: lending leverage = {float(self.lending_leverage.min())!r} must be >= 1"
            )
        if not np.isclose(self.lending_weights.sum(), 1.0):
            raise GaemiInputError(
                f"korea: lending weights sum to {float(self.lending_weights.sum())!r}, not 1"
            )
        if not 0 <= self.lending_liquidation_margin_frac < 1:
            raise GaemiInputError(
                "korea: lending_liquidation_margin_frac = "
                f"{self.lending_liquidation_margin_frac!r} must be in [0, 1)"
            )
        if not (np.isfinite(self.usdkrw) and self.usdkrw > 0):
            raise GaemiInputError(f"korea: usdkrw = {self.usdkrw!r} must be > 0")
        if not self.kimchi_premium_frac > -1:
            raise GaemiInputError(
                f"korea: kimchi_premium_frac = {self.kimchi_premium_frac!r} must be > -100%"
            )


@dataclass(frozen=True, eq=False)
class KoreanLoss:
    """Loss of the Korean slice per scenario (₩, negative = loss)."""

    krw_move_frac: FloatArray  # (S, A)
    spot_pnl_krw: FloatArray  # (S,)
    lending_pnl_krw: FloatArray  # (S,)
    lending_liquidated_equity_share: FloatArray  # (S,)

    @property
    def total_pnl_krw(self) -> FloatArray:
        return np.asarray(self.spot_pnl_krw + self.lending_pnl_krw)


def korean_slice_loss(
    ks: KoreanSlice,
    move_frac: ArrayLike,
    *,
    premium_after_frac: float | None = None,
    usdkrw_move_frac: float = 0.0,
) -> KoreanLoss:
    """Profit and loss of the Korean slice in ₩ for global moves ``move_frac`` (S, A).

    A Korean price is the global price × USD/KRW × (1 + kimchi premium), so its move is
    ``(1 + r)·(1 + r_fx)·(1 + p1)/(1 + p0) − 1``. Spot P&L is holdings × move. A lending
    bucket with equity e and leverage L holds exposure L·e; its P&L is L·e·r_p (r_p the
    exposure-weighted move), floored at −e (no negative equity: the exchange liquidates
    first — its shortfall is the exchange's). Its equity is force-liquidated when
    (1 + L·r_p)/(L·(1 + r_p)) ≤ the liquidation margin.
    """
    r = np.atleast_2d(np.asarray(move_frac, dtype=np.float64))
    if r.shape[1] != ks.holdings_krw.shape[0]:
        raise GaemiInputError(
            f"korea: moves for {r.shape[1]} assets, holdings for {ks.holdings_krw.shape[0]}"
        )
    p0 = ks.kimchi_premium_frac
    p1 = p0 if premium_after_frac is None else premium_after_frac
    if not p1 > -1:
        raise GaemiInputError(f"kimchi premium after = {p1!r} must be > -100%")
    if not usdkrw_move_frac > -1:
        raise GaemiInputError(f"usdkrw move = {usdkrw_move_frac!r} must be > -100%")
    krw_move = (1.0 + r) * (1.0 + usdkrw_move_frac) * (1.0 + p1) / (1.0 + p0) - 1.0
    spot = krw_move @ ks.holdings_krw
    rp = krw_move @ ks.lending_weights  # (S,)
    L = ks.lending_leverage[None, :]
    e = ks.lending_equity_krw[None, :]
    pnl = np.maximum(L * e * rp[:, None], -e)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (1.0 + L * rp[:, None]) / (L * (1.0 + rp[:, None]))
    liquidated = ratio <= ks.lending_liquidation_margin_frac
    eq_total = float(ks.lending_equity_krw.sum())
    share = (liquidated * e).sum(axis=1) / eq_total if eq_total > 0 else np.zeros(r.shape[0])
    return KoreanLoss(
        krw_move_frac=np.asarray(krw_move),
        spot_pnl_krw=np.asarray(spot),
        lending_pnl_krw=np.asarray(pnl.sum(axis=1)),
        lending_liquidated_equity_share=np.asarray(share),
    )


# ------------------------------------------------------------ measured liquidation law
#: Regressors of the long side: the day's fall, its rise, the fall squared (convexity), the
#: fall times the run-up before the day (after a rally the long ladder sits lower) and the
#: rise times the run-up (crowded longs: intraday wicks on an up day still liquidate longs).
LAW_LONG_TERMS = ("down", "up", "down^2", "down*runup", "up*runup")
#: Regressors of the short side, mirrored with the drawdown before the day (``drawdown`` <=
#: 0): after a sell-off shorts are crowded and a crash day's whipsaws liquidate more of them.
LAW_SHORT_TERMS = ("up", "down", "up^2", "up*drawdown", "down*drawdown")


def law_design(
    down_log: ArrayLike, up_log: ArrayLike, runup_log: ArrayLike, drawdown_log: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Design matrices (…, 5) of the long and short liquidation law (:data:`LAW_LONG_TERMS`).

    ``down_log = −ln(low/open) >= 0``, ``up_log = ln(high/open) >= 0``, ``runup_log =
    ln(open / lowest low of the 30 days before) >= 0``, ``drawdown_log = ln(open / highest
    high of the 30 days before) <= 0``.
    """
    d = np.asarray(down_log, dtype=np.float64)
    u = np.asarray(up_log, dtype=np.float64)
    r = np.asarray(runup_log, dtype=np.float64)
    w = np.asarray(drawdown_log, dtype=np.float64)
    return (
        np.stack(np.broadcast_arrays(d, u, d * d, d * r, u * r), axis=-1),
        np.stack(np.broadcast_arrays(u, d, u * u, u * w, d * w), axis=-1),
    )


@dataclass(frozen=True)
class LiquidationLaw:
    """Liquidations of a day as fractions of the open interest before it, from its range.

    ``long_coef``/``short_coef`` multiply :func:`law_design`'s columns; the rate is clipped
    to [0, 1] (a side cannot lose more than its open interest). ``n_days``: days fitted on.
    """

    long_coef: tuple[float, ...]
    short_coef: tuple[float, ...]
    n_days: int

    def rates(
        self,
        down_log: ArrayLike,
        up_log: ArrayLike,
        runup_log: ArrayLike,
        drawdown_log: ArrayLike,
    ) -> tuple[FloatArray, FloatArray]:
        """Long and short liquidations per dollar of open interest (each in [0, 1])."""
        xl, xs = law_design(down_log, up_log, runup_log, drawdown_log)
        lo = np.clip(xl @ np.asarray(self.long_coef), 0.0, 1.0)
        sh = np.clip(xs @ np.asarray(self.short_coef), 0.0, 1.0)
        return np.asarray(lo), np.asarray(sh)


def fit_liquidation_law(
    down_log: ArrayLike,
    up_log: ArrayLike,
    runup_log: ArrayLike,
    drawdown_log: ArrayLike,
    long_rate: ArrayLike,
    short_rate: ArrayLike,
) -> LiquidationLaw:
    """Least squares (no intercept: no move, no liquidation) of daily liquidation rates.

    Parameters
    ----------
    down_log, up_log, runup_log, drawdown_log : array_like, shape (n,)
        Day features (see :func:`law_design`).
    long_rate, short_rate : array_like, shape (n,)
        Measured long and short liquidations of the day over the open interest before it.
    """
    xl, xs = law_design(down_log, up_log, runup_log, drawdown_log)
    yl = np.asarray(long_rate, dtype=np.float64)
    ys = np.asarray(short_rate, dtype=np.float64)
    n = yl.shape[0]
    if xl.ndim != 2 or n < 2 * xl.shape[1] or ys.shape != yl.shape:
        raise GaemiInputError(
            f"liquidation law: need >= {2 * xl.shape[-1]} days of matching data, got {n}"
        )
    ok = np.isfinite(xl).all(axis=1) & np.isfinite(xs).all(axis=1)
    ok &= np.isfinite(yl) & np.isfinite(ys)
    if int(ok.sum()) < 2 * xl.shape[1]:
        raise GaemiInputError(
            f"liquidation law: fewer than {2 * xl.shape[1]} days with finite data"
        )
    cl = np.linalg.lstsq(xl[ok], yl[ok], rcond=None)[0]
    cs = np.linalg.lstsq(xs[ok], ys[ok], rcond=None)[0]
    return LiquidationLaw(tuple(float(v) for v in cl), tuple(float(v) for v in cs), int(ok.sum()))


#: Half-lives (years) the scale's time weighting chooses from by inner leave-one-out.
SCALE_HALF_LIFE_GRID_YEARS = (0.25, 0.5, 1.0, 2.0, float("inf"))


def time_weighted_log_mean(
    log_values: ArrayLike, years: ArrayLike, at_year: float, half_life_years: float
) -> float:
    """Mean of ``log_values`` weighted by ``0.5 ** (|years − at_year| / half_life_years)``."""
    v = np.asarray(log_values, dtype=np.float64)
    t = np.asarray(years, dtype=np.float64)
    if v.size == 0:
        raise GaemiInputError("scale: no event to calibrate on")
    if not half_life_years > 0:
        raise GaemiInputError(f"half_life_years = {half_life_years!r} must be > 0")
    w = (
        np.ones_like(v)
        if np.isinf(half_life_years)
        else 0.5 ** (np.abs(t - at_year) / half_life_years)
    )
    return float(np.sum(w * v) / np.sum(w))


def choose_half_life(
    log_values: ArrayLike,
    years: ArrayLike,
    grid: Sequence[float] = SCALE_HALF_LIFE_GRID_YEARS,
) -> float:
    """Half-life of :data:`SCALE_HALF_LIFE_GRID_YEARS` with the smallest inner leave-one-out
    squared error of :func:`time_weighted_log_mean` on the given points (ties: the longer)."""
    v = np.asarray(log_values, dtype=np.float64)
    t = np.asarray(years, dtype=np.float64)
    if v.size < 2:
        return float("inf")
    best, best_err = float("inf"), np.inf
    for h in sorted(grid, reverse=True):
        err = 0.0
        for k in range(v.size):
            keep = np.arange(v.size) != k
            err += (v[k] - time_weighted_log_mean(v[keep], t[keep], float(t[k]), h)) ** 2
        if err < best_err - 1e-12:
            best, best_err = float(h), err
    return best


#: Location estimators the leave-one-out chooses from (inner leave-one-out): the plain
#: mean, time-weighted means with these half-lives (years), and the median (robust to one
#: or two events whose reports are far off the rest). In order of preference on ties.
LOCATION_ESTIMATORS: tuple[float | str, ...] = (float("inf"), 2.0, 1.0, 0.5, 0.25, "median")


def location_estimate(
    kind: float | str, values: ArrayLike, years: ArrayLike, at_year: float
) -> float:
    """``"median"`` of ``values``, or their time-weighted mean with half-life ``kind`` years."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        raise GaemiInputError("scale: no event to calibrate on")
    if kind == "median":
        return float(np.median(v))
    if isinstance(kind, str):
        raise GaemiInputError(f"estimator = {kind!r} must be 'median' or a half-life in years")
    return time_weighted_log_mean(v, years, at_year, float(kind))


def choose_estimator(
    values: ArrayLike,
    years: ArrayLike,
    candidates: Sequence[float | str] = LOCATION_ESTIMATORS,
) -> float | str:
    """The candidate of :func:`location_estimate` with the smallest inner leave-one-out
    squared error on the given points (ties: the earlier candidate)."""
    v = np.asarray(values, dtype=np.float64)
    t = np.asarray(years, dtype=np.float64)
    if not candidates:
        raise GaemiInputError("estimator: no candidate")
    if v.size < 2:
        return candidates[0]
    best, best_err = candidates[0], np.inf
    for kind in candidates:
        err = 0.0
        for k in range(v.size):
            keep = np.arange(v.size) != k
            err += (v[k] - location_estimate(kind, v[keep], t[keep], float(t[k]))) ** 2
        if err < best_err - 1e-12:
            best, best_err = kind, err
    return best


def describe_estimator(kind: float | str) -> str:
    """``median``, ``mean`` or ``mean weighted by half-life 2 y``."""
    if kind == "median":
        return "median"
    if isinstance(kind, float) and np.isinf(kind):
        return "mean"
    return f"mean weighted by half-life {kind:g} y"
