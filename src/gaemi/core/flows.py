"""Rebalancing flows of daily-reset leveraged and inverse funds.

A fund with signed leverage L and start-of-day net assets A whose underlying moves r must
trade ΔE = L(L−1)·A·r of the underlying at the close to restore its leverage, plus L·C
for net creations C (USD). The identity holds while the fund survives the move,
1 + L·r > 0; at 1 + L·r <= 0 (a 3x fund at r <= −1/3, a −2x fund at r >= +1/2) its NAV
would be <= 0: the fund is wiped out and what trades is the unwind of all the exposure it
still holds, −L·A·(1+r) (:func:`rebalance_flow_usd`, :func:`wiped_out`). Results are
aggregated by fund, underlying, group, issuer and holder (Korean vs the rest).

References
----------
Cheng, M. & Madhavan, A. (2009). The dynamics of leveraged and inverse exchange-traded
funds. Journal of Investment Management 7(4).
Tuzun, T. (2013). Are leveraged and inverse ETFs the new portfolio insurers? FEDS 2013-48
(about $1.04B per 1% move for the 2012–13 universe).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

from gaemi.core.universe import FloatArray, Universe
from gaemi.errors import GaemiInputError
from gaemi.limits import MAX_MOVE_FRAC
from gaemi.units import format_usd

if TYPE_CHECKING:  # pandas is imported lazily: `import gaemi.core` stays light
    import pandas as pd

GroupBy = Literal["fund", "underlying", "group", "issuer", "holder", "total"]
GROUPINGS: tuple[str, ...] = ("fund", "underlying", "group", "issuer", "holder", "total")

#: The largest move accepted anywhere: an underlying cannot fall more than 100 %.
MIN_MOVE_FRAC = -1.0
#: Most moves a ladder may have.
MAX_GRID_POINTS = 100_001


def rebalance_multiplier(leverage: ArrayLike) -> FloatArray:
    """L(L−1): dollars of underlying a fund trades per dollar of AUM per unit move.

    Positive for every L > 1 and every L < 0, so long and inverse funds both trade with
    the market. 3x → 6, −3x → 12, 2x → 2, −1x → 2, 1x → 0.
    """
    lev = np.asarray(leverage, dtype=np.float64)
    return lev * (lev - 1.0)


def wiped_out(leverage: ArrayLike, move_frac: ArrayLike) -> np.ndarray:
    """True where the move wipes the fund out: 1 + L·r <= 0 (its NAV would be <= 0).

    A 3x fund at r <= −1/3, a 2x fund at r <= −1/2, a −3x fund at r >= +1/3, a −2x fund
    at r >= +1/2; a 1x fund only at r = −1. Broadcasts like NumPy.

    >>> wiped_out([3, 3, -2, 2], [-0.30, -0.40, 0.5, -0.4]).tolist()
    [False, True, True, False]
    """
    lev = np.asarray(leverage, dtype=np.float64)
    r = np.asarray(move_frac, dtype=np.float64)
    out: np.ndarray = 1.0 + lev * r <= 0.0
    return out


def unwind_flow_usd(leverage: ArrayLike, aum_usd: ArrayLike, move_frac: ArrayLike) -> FloatArray:
    """−L·A·(1+r): the trade that closes all the exposure a fund still holds, USD (+ buys).

    A long fund's exposure L·A grew by the move to L·A·(1+r) and is sold; an inverse
    fund buys back its short. Equals L(L−1)·A·r at 1 + L·r = 0 (both are −(L−1)·A).
    """
    lev = np.asarray(leverage, dtype=np.float64)
    out: FloatArray = (
        -lev
        * np.asarray(aum_usd, dtype=np.float64)
        * (1.0 + np.asarray(move_frac, dtype=np.float64))
    )
    return out


def rebalance_flow_usd(
    leverage: ArrayLike,
    aum_usd: ArrayLike,
    move_frac: ArrayLike,
    creations_usd: ArrayLike = 0.0,
    *,
    creations_beta: ArrayLike = 0.0,
) -> FloatArray:
    """Required close trade of the underlying, ΔE = L(L−1)·A·r + L·C, in USD.

    C is the given creations plus the part that responds to the move, β·A·r (β the
    fund's creation coefficient, :mod:`gaemi.core.creations`), so with β the trade is
    A·r·(L(L−1) + L·β) + L·C_given. Where the move wipes the fund out (1 + L·r <= 0,
    :func:`wiped_out`) the trade is the unwind −L·A·(1+r) alone: a fund whose NAV is
    <= 0 takes no creations (given or β), it closes its exposure.

    All arguments broadcast against each other (NumPy rules), so a column of funds
    against a row of moves gives the whole ladder in one call.

    Parameters
    ----------
    leverage : array_like
        Signed daily leverage L.
    aum_usd : array_like
        Start-of-day net assets A, USD.
    move_frac : array_like
        Underlying's move r over the day as a decimal fraction (−0.05 = −5 %).
    creations_usd : array_like, default 0
        Net creations C during the day, USD (negative for redemptions).
    creations_beta : array_like, default 0
        Creations per unit move as a fraction of A (C = β·A·r on top of ``creations_usd``);
        negative on a long fund is dip-buying, which offsets part of the rebalancing.

    Returns
    -------
    ndarray
        Signed flow in USD; positive is buying the underlying.

    Examples
    --------
    The research note's ladder: $45B of 3x AUM and a 5 % drop.

    >>> float(rebalance_flow_usd(3, 45e9, -0.05))
    -13500000000.0

    Past the wipe-out (3x at r <= −1/3) the sale is the unwind, continuous at −1/3 and
    shrinking to 0 at r = −1 instead of growing with the move (issuers usually terminate
    such a fund before; the unwind bounds what could still trade):

    >>> float(rebalance_flow_usd(3, 1e9, -0.2)), float(rebalance_flow_usd(3, 1e9, -0.4))
    (-1200000000.0, -1800000000.0)
    """
    lev = np.asarray(leverage, dtype=np.float64)
    r = np.asarray(move_frac, dtype=np.float64)
    a = np.asarray(aum_usd, dtype=np.float64)
    mult = rebalance_multiplier(lev) + lev * np.asarray(creations_beta, dtype=np.float64)
    linear = mult * a * r + lev * np.asarray(creations_usd, dtype=np.float64)
    gone = wiped_out(lev, r)
    if not gone.any():  # every fund survives: the identity, bit for bit
        out: FloatArray = linear
        return out
    out = np.where(gone, unwind_flow_usd(lev, a, r), linear)
    return out


def validate_moves(moves: ArrayLike, name: str = "move_frac") -> FloatArray:
    """Moves as a 1-D float array; NaN, inf and moves below −100 % are input errors."""
    arr = np.atleast_1d(np.asarray(moves, dtype=np.float64))
    if arr.ndim != 1 or arr.size == 0:
        raise GaemiInputError(f"{name}: expected a non-empty list of moves, got shape {arr.shape}")
    for v in arr:
        if not np.isfinite(v):
            raise GaemiInputError(f"{name} = {float(v)!r} must be a finite number")
        if v < MIN_MOVE_FRAC:
            raise GaemiInputError(f"{name} = {v:g} is below -100% (a price cannot go negative)")
        if v > MAX_MOVE_FRAC:
            raise GaemiInputError(f"{name} = {v:g} is above +{MAX_MOVE_FRAC:.0%}")
    return arr


@dataclass(frozen=True, eq=False)
class FlowResult:
    """Close flows of every fund in every scenario (frozen).

    Attributes
    ----------
    universe : Universe
        The funds, in row order.
    move_frac : ndarray, shape (n_funds, n_scenarios)
        Each fund's underlying move in each scenario.
    creations_usd : ndarray, shape (n_funds,)
        Net creations per fund used in every scenario, USD.
    flow_usd : ndarray, shape (n_funds, n_scenarios)
        Required trade of the underlying, USD (+ buys).
    scenario_move_frac : ndarray, shape (n_scenarios,)
        The scenario's headline move (NaN when moves differ by underlying).
    creations_beta : ndarray, shape (n_funds,), optional
        Each fund's creation coefficient β (C = β·A·r on top of ``creations_usd``);
        None means 0 for every fund.
    """

    universe: Universe
    move_frac: FloatArray
    creations_usd: FloatArray
    flow_usd: FloatArray
    scenario_move_frac: FloatArray
    creations_beta: FloatArray | None = None

    @property
    def beta(self) -> FloatArray:
        """β per fund (zeros when none was given)."""
        if self.creations_beta is None:
            return np.zeros(len(self.universe))
        return self.creations_beta

    @property
    def wiped_out(self) -> np.ndarray:
        """(n_funds, n_scenarios) bool: the move wipes the fund out, 1 + L·r <= 0; its flow
        there is the unwind −L·A·(1+r) (:func:`rebalance_flow_usd`)."""
        return wiped_out(self.universe.leverage[:, None], self.move_frac)

    def total_creations_usd(self) -> FloatArray:
        """Net creations per fund and scenario, USD: the given C plus β·A·r (0 where the
        fund is wiped out: it takes no creations)."""
        out: FloatArray = (
            self.creations_usd[:, None]
            + (self.beta * self.universe.aum_usd)[:, None] * self.move_frac
        )
        return self._no_creations_when_wiped(out)

    def _no_creations_when_wiped(self, creations: FloatArray) -> FloatArray:
        gone = self.wiped_out
        if not gone.any():
            return creations
        out: FloatArray = np.where(gone, 0.0, creations)
        return out

    @property
    def korean_flow_usd(self) -> FloatArray:
        """Korean-held part of each fund's flow (share × flow; NaN where unknown)."""
        return self.universe.korean_share[:, None] * self.flow_usd

    def total_usd(self) -> FloatArray:
        """Aggregate flow per scenario, USD."""
        total: FloatArray = self.flow_usd.sum(axis=0)
        return total

    def sensitivity_usd_per_pct(self) -> FloatArray:
        """Per-fund flow for a 1 % move of its underlying: (L(L−1) + L·β)·A·0.01, USD."""
        lev = self.universe.leverage
        return (rebalance_multiplier(lev) + lev * self.beta) * self.universe.aum_usd * 0.01

    def sensitivity_by_move_usd_per_pct(self) -> FloatArray:
        """Per fund and scenario, the per-1 % flow with the β of that scenario's move,
        (n_funds, n_scenarios), USD: :meth:`sensitivity_usd_per_pct` in every column
        here; a result whose β differs by move (falls and rises) overrides it."""
        sens = self.sensitivity_usd_per_pct()
        out: FloatArray = np.repeat(sens[:, None], self.flow_usd.shape[1], axis=1)
        return out

    # ---------------------------------------------------------------- frames
    def to_frame(self, by: GroupBy = "fund") -> pd.DataFrame:
        """Long table of flows: one row per scenario and group.

        Columns carry their units: ``move_frac``, ``flow_usd``, ``korean_flow_usd``,
        ``aum_usd``, ``flow_per_pct_usd`` (the per-1 % sensitivity of the group, the
        coefficient (L(L−1) + L·β)·A·0.01 even where a fund is wiped out),
        ``korean_coverage_frac`` (share of the group's AUM whose Korean holding is known),
        ``wiped_out`` per fund (1 + L·r <= 0: the flow is the unwind −L·A·(1+r)) and
        ``n_funds_wiped_out`` per group.
        For ``by="holder"`` the rows are ``korean``, ``non_korean`` (rest of funds whose
        Korean share is known) and ``unattributed`` (funds with no Korean data).
        """
        import pandas as pd

        if by not in GROUPINGS:
            raise GaemiInputError(f"by = {by!r} must be one of {', '.join(GROUPINGS)}")
        u = self.universe
        n, m = self.flow_usd.shape
        scen = np.repeat(np.arange(m), n)
        fund = np.tile(np.arange(n), m)
        long = pd.DataFrame(
            {
                "scenario": scen,
                "move_frac": self.move_frac.T.ravel(),
                "ticker": u.ticker[fund],
                "name": u.name[fund],
                "issuer": u.issuer[fund],
                "leverage": u.leverage[fund],
                "underlying_id": u.underlying_id[fund],
                "underlying_group": u.underlying_group[fund],
                "aum_usd": u.aum_usd[fund],
                "creations_usd": self.total_creations_usd().T.ravel(),
                "korean_share": u.korean_share[fund],
                "flow_usd": self.flow_usd.T.ravel(),
                "korean_flow_usd": self.korean_flow_usd.T.ravel(),
                "flow_per_pct_usd": self.sensitivity_by_move_usd_per_pct().T.ravel(),
                "wiped_out": self.wiped_out.T.ravel(),
            }
        )
        if by == "fund":
            return long.drop(columns=["scenario"]).reset_index(drop=True)
        if by == "holder":
            return self._holder_frame(long)
        key = {
            "underlying": "underlying_id",
            "group": "underlying_group",
            "issuer": "issuer",
            "total": None,
        }[by]
        keys = ["scenario"] + ([key] if key else [])
        long["known_aum_usd"] = np.where(np.isnan(long["korean_share"]), 0.0, long["aum_usd"])
        long["korean_aum_usd"] = long["korean_share"] * long["aum_usd"]
        g = long.groupby(keys, sort=False)
        out = g.agg(
            move_frac=("move_frac", "first"),
            n_funds=("ticker", "size"),
            aum_usd=("aum_usd", "sum"),
            korean_aum_usd=("korean_aum_usd", lambda s: s.sum(min_count=1)),
            known_aum_usd=("known_aum_usd", "sum"),
            flow_usd=("flow_usd", "sum"),
            korean_flow_usd=("korean_flow_usd", lambda s: s.sum(min_count=1)),
            flow_per_pct_usd=("flow_per_pct_usd", "sum"),
            n_funds_wiped_out=("wiped_out", "sum"),
        ).reset_index()
        if self._moves_differ():
            out["move_frac"] = np.nan if key is None or by != "underlying" else out["move_frac"]
        out["korean_coverage_frac"] = np.divide(
            out["known_aum_usd"].to_numpy(),
            out["aum_usd"].to_numpy(),
            out=np.full(len(out), np.nan),
            where=out["aum_usd"].to_numpy() > 0,
        )
        out = out.drop(columns=["known_aum_usd", "scenario"])
        out["n_funds_wiped_out"] = out.pop("n_funds_wiped_out")  # last: an added column
        if by == "total":
            out.insert(0, "group", "all funds")
        else:
            out = out.sort_values(
                ["move_frac", "flow_per_pct_usd"], ascending=[True, False], kind="stable"
            )
        return out.reset_index(drop=True)

    def _moves_differ(self) -> bool:
        return bool(np.isnan(self.scenario_move_frac).any())

    def _holder_frame(self, long: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        known = ~np.isnan(long["korean_share"].to_numpy())
        korean = np.where(known, long["korean_flow_usd"].to_numpy(), 0.0)
        rows = []
        for s in range(self.flow_usd.shape[1]):
            sel = long["scenario"].to_numpy() == s
            flow = long["flow_usd"].to_numpy()[sel]
            k = known[sel]
            kor = korean[sel].sum()
            move = self.scenario_move_frac[s]
            rows.extend(
                [
                    {"move_frac": move, "holder": "korean", "flow_usd": kor},
                    {"move_frac": move, "holder": "non_korean", "flow_usd": flow[k].sum() - kor},
                    {"move_frac": move, "holder": "unattributed", "flow_usd": flow[~k].sum()},
                ]
            )
        return pd.DataFrame(rows)


def compute_flows(
    universe: Universe,
    moves: ArrayLike,
    creations_usd: Mapping[str, float] | ArrayLike | None = None,
    *,
    creations_beta: ArrayLike | None = None,
) -> FlowResult:
    """Close flows of every fund for a grid of moves applied to every underlying.

    Parameters
    ----------
    universe : Universe
        The funds.
    moves : array_like, shape (n_scenarios,)
        Underlying moves as decimal fractions; each scenario moves every underlying by
        the same fraction (the "ladder").
    creations_usd : mapping ticker → USD, or array, optional
        Net creations per fund (negative for redemptions), USD.
    creations_beta : array, shape (n_funds,), optional
        Creations that respond to the move, C = β·A·r per fund (default none).

    Returns
    -------
    FlowResult
    """
    r = validate_moves(moves)
    c = _creations(universe, creations_usd)
    beta = _beta(universe, creations_beta)
    move = np.broadcast_to(r[None, :], (len(universe), r.size)).astype(np.float64)
    flow = rebalance_flow_usd(
        universe.leverage[:, None],
        universe.aum_usd[:, None],
        move,
        c[:, None],
        creations_beta=(0.0 if beta is None else beta[:, None]),
    )
    return FlowResult(universe, move, c, flow, r, beta)


def projected_close_flow(
    universe: Universe,
    move_by_underlying: Mapping[str, float],
    creations_usd: Mapping[str, float] | ArrayLike | None = None,
    *,
    creations_beta: ArrayLike | None = None,
) -> FlowResult:
    """Close flow implied by each underlying's move so far today (one scenario).

    Underlyings not named are taken as unchanged (move 0) — only funds on the named
    underlyings trade. Names are underlying ids or groups, case-insensitive; two names
    reaching one fund (``NDX`` and ``ndx``, ``SOX`` and its group) are an error.
    """
    if not move_by_underlying:
        raise GaemiInputError("move_by_underlying: give at least one underlying and its move")
    move = np.zeros(len(universe))
    ids = np.char.upper(universe.underlying_id)
    groups = np.char.upper(universe.underlying_group)
    named_by: list[str | None] = [None] * len(universe)
    for name, r in move_by_underlying.items():
        validate_moves([r], name=f"move of {name}")
        hit = (ids == name.upper()) | (groups == name.upper())
        if not hit.any():
            raise GaemiInputError(f"underlying = {name!r} is not in the universe")
        for i in np.flatnonzero(hit):
            if named_by[i] is not None:  # two moves for one fund: neither may win silently
                raise GaemiInputError(
                    f"underlying = {name!r} overlaps {named_by[i]!r}: fund "
                    f"{universe.ticker[i]} would get two moves; name each underlying once"
                )
            named_by[i] = name
        move[hit] = r
    c = _creations(universe, creations_usd)
    beta = _beta(universe, creations_beta)
    flow = rebalance_flow_usd(
        universe.leverage, universe.aum_usd, move, c, creations_beta=0.0 if beta is None else beta
    )
    return FlowResult(universe, move[:, None], c, flow[:, None], np.array([np.nan]), beta)


def _beta(universe: Universe, creations_beta: ArrayLike | None) -> FloatArray | None:
    """β per fund as a float array (None stays None: no move-driven creations)."""
    if creations_beta is None:
        return None
    arr = np.broadcast_to(np.asarray(creations_beta, dtype=np.float64), (len(universe),))
    if not np.isfinite(arr).all():
        raise GaemiInputError("creations_beta: every value must be a finite number")
    return arr.astype(np.float64)


def _creations(
    universe: Universe, creations_usd: Mapping[str, float] | ArrayLike | None
) -> FloatArray:
    n = len(universe)
    if creations_usd is None:
        return np.zeros(n)
    if isinstance(creations_usd, Mapping):
        out = np.zeros(n)
        upper = np.char.upper(universe.ticker)
        for t, v in creations_usd.items():
            hit = upper == str(t).upper()
            if not hit.any():
                raise GaemiInputError(f"creations: ticker = {t!r} is not in the universe")
            if not np.isfinite(v):
                raise GaemiInputError(
                    f"creations for {t} = {float(v)!r} must be a finite USD amount"
                )
            out[hit] = v
        _check_redemptions(universe, out)
        return out
    arr = np.asarray(creations_usd, dtype=np.float64)
    if arr.shape != (n,):
        raise GaemiInputError(f"creations_usd: expected {n} values, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise GaemiInputError("creations_usd: every value must be a finite USD amount")
    _check_redemptions(universe, arr)
    return arr


def _check_redemptions(universe: Universe, creations: FloatArray) -> None:
    """A fund cannot redeem more than it holds: −C > A is an input error."""
    over = np.flatnonzero(-creations > universe.aum_usd)
    if over.size:
        i = int(over[0])
        raise GaemiInputError(
            f"creations for {universe.ticker[i]} = {format_usd(float(creations[i]))} redeems more "
            f"than the fund's AUM of {format_usd(float(universe.aum_usd[i]))}"
        )


def ladder_moves(start: float, stop: float, step: float) -> FloatArray:
    """Inclusive grid of moves from ``start`` to ``stop`` in ``step`` (fractions).

    Rounded to 1e-12 so that ``ladder_moves(-0.05, -0.01, 0.01)`` gives exactly five
    moves. ``step`` must be positive; ``start`` may be above ``stop`` (descending grid).
    """
    for name, v in (("start", start), ("stop", stop), ("step", step)):
        if not np.isfinite(v):
            raise GaemiInputError(f"moves {name} = {float(v)!r} must be a finite number")
    if step <= 0:
        raise GaemiInputError(f"moves step = {step:g} must be > 0")
    for name, v in (("start", start), ("stop", stop)):
        if not MIN_MOVE_FRAC <= v <= MAX_MOVE_FRAC:
            raise GaemiInputError(f"moves {name} = {v:g} must be in [-100%, +1000%]")
    points = abs(stop - start) / step + 1.0
    if not points <= MAX_GRID_POINTS + 1e-6:
        many = (
            "too many points"
            if not np.isfinite(points)
            else f"{points:,.0f} points"
            if points < 1e12
            else f"{points:.3g} points"
        )
        raise GaemiInputError(
            f"moves grid would have {many}; at most {MAX_GRID_POINTS} are allowed "
            "(use a larger step)"
        )
    n = int(np.floor(abs(stop - start) / step + 1e-9)) + 1
    sign = 1.0 if stop >= start else -1.0
    grid = start + sign * step * np.arange(n)
    return validate_moves(np.round(grid, 12), name="moves")


def concentrated_sensitivity(
    universe: Universe, creations_beta: ArrayLike | None = None
) -> dict[str, float]:
    """K_u = Σ (L(L−1) + L·β)·A per underlying id, USD per unit move (divide by 100 for
    1 %); β = 0 (the rebalancing alone) unless ``creations_beta`` is given."""
    lev = universe.leverage
    given = _beta(universe, creations_beta)
    beta = np.zeros(len(universe)) if given is None else given
    k = (rebalance_multiplier(lev) + lev * beta) * universe.aum_usd
    out: dict[str, float] = {}
    for uid, val in zip(universe.underlying_id.tolist(), k.tolist(), strict=True):
        out[uid] = out.get(uid, 0.0) + val
    return out


def parse_groupings(values: Sequence[str]) -> list[GroupBy]:
    """Validate a list of grouping names."""
    out: list[GroupBy] = []
    for v in values:
        if v not in GROUPINGS:
            raise GaemiInputError(f"by = {v!r} must be one of {', '.join(GROUPINGS)}")
        out.append(v)  # type: ignore[arg-type]
    return out
