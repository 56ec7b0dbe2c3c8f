"""The close feedback loop: the closing move solves r = r₀ + I(Σ_p flow_p(r)).

A shock r₀ (the move into the close) makes every participant trade; the trades move the
price by the impact I; the new move changes the trades. With procyclical participants
(flows non-decreasing in r, zero at r = 0) and an increasing impact, the map
G(r) = r₀ + I(F(r)) is non-decreasing, so the dynamics r_{k+1} = G(r_k) started at r₀
move monotonically away from zero and stop at the **first equilibrium beyond r₀** (the
largest root below r₀ for a fall). If there is none before the market-wide circuit
breaker's level 3 (−20 % of the S&P 500, which halts trading for the day at any time)
the move runs away to that floor.

Exact and vectorised: every participant is piecewise linear in r with known kinks and
|I| is concave in |Q|, so between consecutive kinks ψ(s) = s₀ + |I|(|F|) − s is concave
in s = |r|. Walking the kinks outward from s₀, the first kink where ψ turns negative
brackets the unique crossing, which has a closed form on that linear stretch
(:meth:`~gaemi.core.impact.ImpactModel.piece_root`). A plain per-scenario reference
(:func:`solve_reference`: a scan plus Brent's method) is kept beside it and tested to agree.

The critical shock is where the outcome jumps (Gennotte & Leland 1990): with
φ(s) = s − |I|(|F(s)|) the outcome is the first passage of φ to the level s₀, which jumps
at record local maxima of φ — and φ is convex between kinks, so those are kinks.

References
----------
Gennotte, G. & Leland, H. (1990). Market liquidity, hedging, and crashes. AER 80(5).
NYSE Rule 7.12 / SEC-approved market-wide circuit breakers: level 1 (−7 %) and level 2
(−13 %) halt 15 minutes only before 15:25 ET; level 3 (−20 %) halts for the rest of the day.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from gaemi.core.impact import ImpactModel, scenario_param
from gaemi.core.participants import LetfRebalancing, Participant
from gaemi.core.universe import FloatArray
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

#: Market-wide circuit-breaker levels, declines of the S&P 500 from the prior close.
CB_LEVELS_FRAC: tuple[float, float, float] = (0.07, 0.13, 0.20)
#: Largest shock accepted: a price cannot fall 100 % or more.
MIN_SHOCK_FRAC = -1.0


def _slice(obj: T, sl: slice | np.ndarray[Any, np.dtype[np.intp]]) -> T:
    """A frozen parameter dataclass restricted to scenarios ``sl`` (length-1 params kept)."""
    changes: dict[str, Any] = {}
    for f in fields(obj):  # type: ignore[arg-type]
        v = getattr(obj, f.name)
        if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] > 1:
            changes[f.name] = v[sl]
    return replace(obj, **changes) if changes else obj  # type: ignore[type-var]


@dataclass(frozen=True, eq=False)
class StressModel:
    """Participants, an impact model and the search limits, for n scenarios (frozen).

    Parameters
    ----------
    participants : sequence of Participant
        Each a procyclical, piecewise-linear flow function of the move.
    impact : ImpactModel
        Move caused by the total flow.
    spx_beta : array_like, default 1
        Move of this underlying per unit move of the S&P 500, for the circuit-breaker
        flags (NDX ≈ 1.2, SOX ≈ 1.7 in the default scenario).
    circuit_breakers : bool, default True
        Stop a fall at the level-3 circuit breaker (−20 % of the S&P 500 × beta); without
        them a fall is only floored at −100 %.
    ceiling_frac : float, default 1.0
        Highest closing move searched on the way up (+100 %).
    """

    participants: tuple[Participant, ...]
    impact: ImpactModel
    spx_beta: FloatArray = field(default_factory=lambda: np.ones(1))
    circuit_breakers: bool = True
    ceiling_frac: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "participants", tuple(self.participants))
        if not self.participants:
            raise GaemiInputError("stress model: give at least one participant")
        object.__setattr__(
            self, "spx_beta", scenario_param(self.spx_beta, "spx_beta", positive=True)
        )
        if not (np.isfinite(self.ceiling_frac) and self.ceiling_frac > 0):
            raise GaemiInputError(f"ceiling_frac = {self.ceiling_frac!r} must be > 0")
        names = [p.name for p in self.participants]
        if len(set(names)) != len(names):
            raise GaemiInputError(f"stress model: participant names repeat: {names}")

    @property
    def floor_frac(self) -> FloatArray:
        """Lowest closing move per scenario: the level-3 breaker (−20 % × beta) or −100 %."""
        if self.circuit_breakers:
            out: FloatArray = np.maximum(-CB_LEVELS_FRAC[2] * self.spx_beta, MIN_SHOCK_FRAC)
            return out
        return np.full(self.spx_beta.shape, MIN_SHOCK_FRAC)

    def n_scenarios(self) -> int:
        """Length of the scenario axis (1 when every parameter is shared)."""
        ns = [p.n_scenarios() for p in self.participants]
        ns.append(int(self.spx_beta.shape[0]))
        for f in fields(self.impact):  # type: ignore[arg-type]
            v = getattr(self.impact, f.name)
            if isinstance(v, np.ndarray):
                ns.append(int(v.shape[0]))
        big = {n for n in ns if n > 1}
        if len(big) > 1:
            raise GaemiInputError(f"stress model: parameters disagree on scenarios: {sorted(big)}")
        return big.pop() if big else 1

    def total_flow_usd(self, move_frac: FloatArray) -> FloatArray:
        """Σ_p flow_p(move) for moves of shape ``(n, k)``, USD."""
        total: FloatArray = np.zeros(np.shape(move_frac))
        for p in self.participants:
            total = total + p.flow_usd(move_frac)
        return total

    def kinks_frac(self) -> FloatArray:
        """All participants' kinks, shape ``(n, M)`` (NaN-free, may be empty)."""
        n = self.n_scenarios()
        parts = [
            np.broadcast_to(p.kinks_frac(), (n, p.kinks_frac().shape[1])) for p in self.participants
        ]
        out: FloatArray = np.concatenate([*parts, np.empty((n, 0))], axis=1)
        return out

    def slice(self, sl: slice) -> StressModel:
        """The model restricted to scenarios ``sl``."""
        return replace(
            self,
            participants=tuple(_slice(p, sl) for p in self.participants),
            impact=_slice(self.impact, sl),
            spx_beta=self.spx_beta if self.spx_beta.shape[0] == 1 else self.spx_beta[sl],
        )

    def subset(self, index: ArrayLike) -> StressModel:
        """The model restricted to the scenarios at ``index`` (integer array)."""
        idx = np.asarray(index, dtype=np.intp)
        return replace(
            self,
            participants=tuple(_slice(p, idx) for p in self.participants),
            impact=_slice(self.impact, idx),
            spx_beta=self.spx_beta if self.spx_beta.shape[0] == 1 else self.spx_beta[idx],
        )

    def take(self, index: int) -> StressModel:
        """The model of scenario ``index`` alone."""
        return self.slice(slice(index, index + 1))


def validate_shocks(shock_frac: ArrayLike) -> FloatArray:
    """Shocks as a 1-D array; NaN/inf and shocks at or below −100 % are input errors."""
    r0 = np.atleast_1d(np.asarray(shock_frac, dtype=np.float64))
    if r0.ndim != 1:
        raise GaemiInputError(f"shock_frac: expected a 1-D array, got shape {r0.shape}")
    bad = ~np.isfinite(r0)
    if bad.any():
        raise GaemiInputError(f"shock_frac = {r0[bad][0]!r} must be a finite number")
    low = r0 <= MIN_SHOCK_FRAC
    if low.any():
        raise GaemiInputError(
            f"shock = {r0[low][0]:.4g} ({r0[low][0]:+.0%}) is at or below -100% "
            "(a price cannot fall that far)"
        )
    return r0


def _cb_level(spx_move: FloatArray) -> FloatArray:
    lvl = np.zeros(spx_move.shape)
    for i, x in enumerate(CB_LEVELS_FRAC, start=1):
        lvl = np.where(spx_move <= -x + 1e-12, float(i), lvl)
    return lvl


def _bounds(model: StressModel, d: FloatArray, n: int) -> FloatArray:
    floor = np.broadcast_to(model.floor_frac, (n,))
    return np.where(d < 0, -floor, model.ceiling_frac)


def _crossing(
    model: StressModel, d: FloatArray, s0c: FloatArray, pts: FloatArray
) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], FloatArray]:
    """First stretch [pts_{j-1}, pts_j] where ψ turns <= 0, and the root on it (closed form)."""
    n = pts.shape[0]
    flow = d[:, None] * model.total_flow_usd(d[:, None] * pts)
    absf = np.maximum(flow, 0.0)
    psi = s0c[:, None] + model.impact.impact_frac(absf) - pts
    neg = psi[:, 1:] <= 0.0
    found: np.ndarray[Any, np.dtype[np.bool_]] = np.asarray(neg.any(axis=1), dtype=bool)
    j = 1 + np.argmax(neg, axis=1)
    rows = np.arange(n)
    a, b = pts[rows, j - 1], pts[rows, j]
    return found, _stretch_root(model, s0c, a, b, absf[rows, j - 1], absf[rows, j])


def _stretch_root(
    model: StressModel,
    s0c: FloatArray,
    a: FloatArray,
    b: FloatArray,
    fa: FloatArray,
    fb: FloatArray,
) -> FloatArray:
    """The root of ψ on the stretch [a, b] whose |flow| runs linearly from ``fa`` to ``fb``
    (closed form, :meth:`ImpactModel.piece_root`), clipped to the stretch."""
    width = b - a
    beta = np.where(width > 0, (fb - fa) / np.where(width > 0, width, 1.0), 0.0)
    gamma = fa + beta * (s0c - a)
    u = model.impact.piece_root(gamma, beta)
    s: FloatArray = np.clip(s0c + np.nan_to_num(u, nan=np.inf), a, b)
    return s


def _crossing_one_sided(
    model: StressModel, d: FloatArray, s0c: FloatArray, pts: FloatArray
) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], FloatArray]:
    """:func:`_crossing` for a flow that may jump at a kink (a wiped-out fund's creations
    dropped, :class:`gaemi.core.participants.LetfRebalancing`).

    The flow is linear inside each stretch [a, b], so its one-sided limits at a⁺ and b⁻
    are extrapolated from two inner points (a + w/4, b − w/4). ψ is checked at both ends:
    where ψ(a⁺) <= 0 after ψ(a⁻) > 0 the move stops at the jump itself (s = a, where the
    fund is wiped out), otherwise the root on the stretch has the closed form as before.
    """
    n = pts.shape[0]
    a, b = pts[:, :-1], pts[:, 1:]
    width = b - a
    m1, m2 = a + 0.25 * width, b - 0.25 * width
    f1 = d[:, None] * model.total_flow_usd(d[:, None] * m1)
    f2 = d[:, None] * model.total_flow_usd(d[:, None] * m2)
    fa = np.maximum(f1 - 0.5 * (f2 - f1), 0.0)  # a⁺
    fb = np.maximum(f2 + 0.5 * (f2 - f1), 0.0)  # b⁻
    psi_a = s0c[:, None] + model.impact.impact_frac(fa) - a
    psi_b = s0c[:, None] + model.impact.impact_frac(fb) - b
    neg = (psi_a <= 0.0) | (psi_b <= 0.0)
    found: np.ndarray[Any, np.dtype[np.bool_]] = np.asarray(neg.any(axis=1), dtype=bool)
    j = np.argmax(neg, axis=1)
    rows = np.arange(n)
    aj = a[rows, j]
    s = _stretch_root(model, s0c, aj, b[rows, j], fa[rows, j], fb[rows, j])
    s = np.where(psi_a[rows, j] <= 0.0, aj, s)  # stopped at the jump
    return found, s


#: Kinks tried for every scenario before the rest are tried for the unsettled ones only.
_FIRST_BLOCK = 3


def _solve_chunk(model: StressModel, r0: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Fast exact kernel for one chunk: (final move, runaway flag as 0/1).

    Leveraged funds a move would wipe out (1 + L·r <= 0) trade the unwind of their
    exposure there (:class:`gaemi.core.participants.LetfRebalancing`), which adds kinks at
    r = −1/L. The chunk is first solved without them (flow K·r); the scenarios whose
    closing move stays short of the first wipe-out are final — the two flows are the same
    bits up to there, so is the first crossing — and only the rest are solved again with
    the unwind and its kinks.
    """
    plain = _without_unwind(model)
    final, runaway = _solve_chunk_kinked(plain, r0)
    if plain is model:
        return final, runaway
    n = r0.shape[0]
    d = np.where(r0 < 0, -1.0, 1.0)
    edge = np.full(n, np.inf)
    for p in model.participants:
        if isinstance(p, LetfRebalancing) and p.fund_leverage is not None:
            gone = {s: p.wipe_out_frac(s) for s in (-1.0, 1.0)}
            edge = np.minimum(edge, np.where(d < 0, gone[-1.0], gone[1.0]))
    redo = np.flatnonzero((r0 != 0.0) & (np.abs(final) >= edge))  # a runaway ends at s_end
    if redo.size:
        sub = model.subset(redo) if model.n_scenarios() > 1 else model
        # a wiped fund's creations dropped: the flow jumps at its kink (one-sided limits)
        jumps = any(
            isinstance(p, LetfRebalancing) and p.drops_creations for p in model.participants
        )
        final[redo], runaway[redo] = _solve_chunk_kinked(sub, r0[redo], one_sided=jumps)
    return final, runaway


def _without_unwind(model: StressModel) -> StressModel:
    """The model with every leveraged-fund participant's unwind dropped (flow K·r), or the
    model itself when none has one."""
    parts = tuple(
        p.without_unwind() if isinstance(p, LetfRebalancing) and p.fund_leverage is not None else p
        for p in model.participants
    )
    if all(a is b for a, b in zip(parts, model.participants, strict=True)):
        return model
    return replace(model, participants=parts)


def _solve_chunk_kinked(
    model: StressModel, r0: FloatArray, *, one_sided: bool = False
) -> tuple[FloatArray, FloatArray]:
    """:func:`_solve_chunk` with every participant's kinks at once (``one_sided``: the
    flow may jump at a kink, :func:`_crossing_one_sided`)."""
    crossing = _crossing_one_sided if one_sided else _crossing
    n = r0.shape[0]
    d = np.where(r0 < 0, -1.0, 1.0)
    s0 = np.abs(r0)
    s_end = _bounds(model, d, n)
    s0c = np.minimum(s0, s_end)  # a shock beyond the floor is clipped to it
    kinks = model.kinks_frac()
    sk = d[:, None] * np.broadcast_to(kinks, (n, kinks.shape[1]))
    inside = (sk > s0c[:, None]) & (sk < s_end[:, None])
    sk = np.sort(np.where(inside, sk, np.inf), axis=1)
    sk = sk[:, : int(inside.sum(axis=1).max(initial=0))]  # drop columns no row needs
    pts = np.concatenate([s0c[:, None], sk, s_end[:, None]], axis=1)
    pts = np.where(np.isinf(pts), s_end[:, None], pts)
    if pts.shape[1] <= _FIRST_BLOCK + 2:
        found, s = crossing(model, d, s0c, pts)
    else:
        # most scenarios settle before their third kink: try those first, then the rest
        found, s = crossing(model, d, s0c, pts[:, : _FIRST_BLOCK + 1])
        rest = np.flatnonzero(~found)
        if rest.size:
            sub = model.subset(rest) if model.n_scenarios() > 1 else model
            found_r, s_r = crossing(sub, d[rest], s0c[rest], pts[rest])
            found[rest], s[rest] = found_r, s_r
    s = np.where(found, s, s_end)
    final = np.where(r0 == 0.0, 0.0, d * s)
    runaway = np.where(found | (r0 == 0.0), 0.0, 1.0)
    return final, runaway


@dataclass(frozen=True, eq=False)
class FeedbackResult:
    """Outcome of the close feedback loop for n scenarios (frozen).

    Attributes
    ----------
    shock_frac : ndarray (n,)
        The move into the close, r₀.
    final_move_frac : ndarray (n,)
        Closing move r at the equilibrium reached from r₀ (or the floor on a runaway).
    runaway : ndarray of bool (n,)
        No equilibrium before the floor/ceiling: the loop ran to the limit.
    flow_usd : dict participant → ndarray (n,)
        Each participant's flow at the final move, USD (+ buys).
    absorbed_usd : ndarray (n,)
        What liquidity providers absorbed: −(the filled flow). Equal to −Σ flows unless
        trading halted.
    spx_beta : ndarray (n,)
        Beta used to translate the move into an S&P 500 move for the breaker flags.
    halted : ndarray of bool (n,)
        The level-3 circuit breaker halted trading for the day before the close: the move
        reached −20 % of the S&P 500 × beta (by the shock itself or by the loop's selling).
        The close is then the halt level, not an equilibrium, and part of the selling is
        never filled (``unfilled_usd``).
    filled_usd : ndarray (n,)
        The participants' flow that traded (USD, + buys): all of Σ flows, or on a halt
        only the flow whose impact carried the price from the shock to the halt level
        (none when the shock alone reached it).
    unfilled_usd : ndarray (n,)
        Σ flows − filled: what the participants wanted to trade at the halt level and
        could not (0 unless halted).
    """

    shock_frac: FloatArray
    final_move_frac: FloatArray
    runaway: np.ndarray[Any, np.dtype[np.bool_]]
    flow_usd: dict[str, FloatArray]
    absorbed_usd: FloatArray
    spx_beta: FloatArray
    halted: np.ndarray[Any, np.dtype[np.bool_]] = field(
        default_factory=lambda: np.zeros(0, dtype=bool)
    )
    filled_usd: FloatArray = field(default_factory=lambda: np.zeros(0))
    unfilled_usd: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def effective_shock_frac(self) -> FloatArray:
        """The shock as the market saw it: a shock beyond the halt level stops at it."""
        if self.halted.shape != self.shock_frac.shape:
            return self.shock_frac
        out: FloatArray = np.where(
            self.halted, np.maximum(self.shock_frac, self.final_move_frac), self.shock_frac
        )
        return out

    @property
    def extra_move_frac(self) -> FloatArray:
        """Move added by the loop: r − r₀ (r₀ stopped at the halt level on a halt, so a
        shock beyond the circuit breaker adds nothing instead of a 'positive impact')."""
        out: FloatArray = self.final_move_frac - self.effective_shock_frac
        return out

    @property
    def amplification(self) -> FloatArray:
        """r / r₀ (r₀ as in :attr:`extra_move_frac`; NaN for a zero shock)."""
        r0 = self.effective_shock_frac
        with np.errstate(divide="ignore", invalid="ignore"):
            out: FloatArray = np.where(r0 != 0, self.final_move_frac / r0, np.nan)
        return out

    @property
    def total_flow_usd(self) -> FloatArray:
        """Σ participants' flows at the final move (what they wanted to trade), USD."""
        out: FloatArray = np.sum(np.stack([*self.flow_usd.values(), 0.0 * self.shock_frac]), axis=0)
        return out

    @property
    def spx_move_frac(self) -> FloatArray:
        """The S&P 500 move implied by the final move (÷ beta)."""
        out: FloatArray = self.final_move_frac / self.spx_beta
        return out

    @property
    def cb_level(self) -> FloatArray:
        """Market-wide breaker level reached at the close (0–3) by the S&P-equivalent move."""
        return _cb_level(self.spx_move_frac)

    @property
    def cb_level_at_shock(self) -> FloatArray:
        """Breaker level of the shock itself (a level 1–2 before 15:25 ET halts 15 min)."""
        out: FloatArray = _cb_level(self.shock_frac / self.spx_beta)
        return out

    @property
    def cb_halt(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """True where a breaker would halt the close: only level 3 applies after 15:25 ET."""
        out: np.ndarray[Any, np.dtype[np.bool_]] = self.cb_level >= 3
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per scenario; unit-bearing columns, a ``<participant>_flow_usd`` each."""
        import pandas as pd

        df = pd.DataFrame(
            {
                "shock_frac": self.shock_frac,
                "final_move_frac": self.final_move_frac,
                "extra_move_frac": self.extra_move_frac,
                "amplification": self.amplification,
                "runaway": self.runaway,
                **{f"{k}_flow_usd": v for k, v in self.flow_usd.items()},
                "total_flow_usd": self.total_flow_usd,
                "spx_move_frac": self.spx_move_frac,
                "cb_level": self.cb_level.astype(int),
                "cb_halt": self.cb_halt,
                "halted": self.halted,
                "filled_usd": self.filled_usd,
                "unfilled_usd": self.unfilled_usd,
            }
        )
        return df


def solve(
    model: StressModel,
    shock_frac: ArrayLike,
    *,
    chunk: int = 65_536,
    progress: Callable[[int, int], None] | None = None,
) -> FeedbackResult:
    """Equilibrium closing move reached from each shock, vectorised and exact.

    Parameters
    ----------
    model : StressModel
        Parameters for n scenarios (or shared, length 1).
    shock_frac : array_like, shape (n,) or scalar
        The move into the close r₀ (decimal fraction, > −1).
    chunk : int
        Scenarios solved per vectorised block (memory vs speed).
    progress : callable (done, total), optional
        Called after each block.

    Returns
    -------
    FeedbackResult
    """
    r0 = validate_shocks(shock_frac)
    nm = model.n_scenarios()
    n = max(nm, r0.size)
    if r0.size not in (1, n) or nm not in (1, n):
        raise GaemiInputError(f"shock_frac has {r0.size} values but the model {nm} scenarios")
    r0 = np.broadcast_to(r0, (n,)).copy()
    final = np.empty(n)
    run = np.empty(n)
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        sub = model if nm == 1 else model.slice(slice(lo, hi))
        final[lo:hi], run[lo:hi] = _solve_chunk(sub, r0[lo:hi])
        if progress is not None:
            progress(hi, n)
    flows = {}
    for p in model.participants:
        flows[p.name] = np.broadcast_to(p.flow_usd(final[:, None])[:, 0], (n,)) + 0.0  # no -0.0
    total = np.sum(np.stack(list(flows.values())), axis=0)
    beta = np.broadcast_to(model.spx_beta, (n,)).copy()
    halted, filled = _halt(model, r0, final, total)
    return FeedbackResult(
        r0, final, run > 0, flows, -filled, beta, halted, filled, total - filled + 0.0
    )


def _halt(
    model: StressModel, r0: FloatArray, final: FloatArray, total: FloatArray
) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], FloatArray]:
    """Where the level-3 breaker halted trading, and the flow that was filled before it.

    A fall that reaches the floor (−20 % × beta) halts trading for the day: the closing
    auction never runs. What traded is the flow whose impact carried the price from the
    shock to the floor, I⁻¹(floor − r₀), at most what the participants wanted; a shock at
    or beyond the floor fills nothing.
    """
    n = final.shape[0]
    if not model.circuit_breakers:
        return np.zeros(n, dtype=bool), total.copy()
    floor = np.broadcast_to(model.floor_frac, (n,))
    halted = (r0 < 0) & (final <= floor + 1e-12)
    if not halted.any():
        return halted, total.copy()
    r0e = np.where(halted, np.maximum(r0, final), r0)
    pushed = model.impact.flow_for_move((final - r0e)[:, None])
    pushed = np.broadcast_to(np.asarray(pushed, dtype=np.float64).reshape(-1), (n,))
    # same sign as the wanted flow (selling), never more than it
    part = np.maximum(np.minimum(-pushed, -total), 0.0)
    filled: FloatArray = np.where(halted, -part, total) + 0.0
    return halted, filled


def implied_shock_frac(model: StressModel, final_move_frac: ArrayLike) -> FloatArray:
    """The shock that the loop carries to a given closing move: r₀ = r − I(F(r)).

    Exact (no root-finding): the inverse of the loop at an equilibrium. Used to read a
    historical close: of the observed move r, the loop contributed I(F(r)) = r − r₀.
    """
    r = validate_shocks(final_move_frac)
    n = max(model.n_scenarios(), r.size)
    r = np.broadcast_to(r, (n,))
    out: FloatArray = r - model.impact.impact_frac(model.total_flow_usd(r[:, None]))[:, 0]
    return out


# --------------------------------------------------------------------------- reference
def _psi_scalar(model: StressModel, s0: float, d: float, s: float) -> float:
    f = d * float(model.total_flow_usd(np.array([[d * s]]))[0, 0])
    return s0 + float(model.impact.impact_frac(np.array([max(f, 0.0)]))[0]) - s


def solve_reference(
    model: StressModel, shock_frac: ArrayLike, *, step: float = 1e-4, xtol: float = 1e-15
) -> tuple[FloatArray, np.ndarray[Any, np.dtype[np.bool_]]]:
    """Plain per-scenario solver: walk from r₀ in steps of ``step``, then Brent's method.

    Obviously correct but slow; kept to check :func:`solve`. Returns (final moves,
    runaway flags). It misses two equilibria closer together than ``step`` (the fast
    solver does not).
    """
    from scipy.optimize import brentq

    r0 = validate_shocks(shock_frac)
    nm = model.n_scenarios()
    n = max(nm, r0.size)
    r0 = np.broadcast_to(r0, (n,))
    out = np.empty(n)
    run = np.zeros(n, dtype=bool)
    for i in range(n):
        m = model if nm == 1 else model.take(i)
        x0 = float(r0[i])
        if x0 == 0.0:
            out[i] = 0.0
            continue
        d = -1.0 if x0 < 0 else 1.0
        s_end = float(_bounds(m, np.array([d]), 1)[0])
        s0 = min(abs(x0), s_end)
        lo, g_lo = s0, _psi_scalar(m, s0, d, s0)
        hit = None
        while lo < s_end:
            hi = min(lo + step, s_end)
            g_hi = _psi_scalar(m, s0, d, hi)
            if g_hi <= 0.0:
                hit = (lo, hi, g_lo)
                break
            lo, g_lo = hi, g_hi
        if hit is None:
            out[i], run[i] = d * s_end, True
            continue
        a, b, ga = hit
        if ga == 0.0:
            out[i] = d * a
            continue

        def g(s: float, m: StressModel = m, s0: float = s0, d: float = d) -> float:
            return _psi_scalar(m, s0, d, s)

        out[i] = d * brentq(g, a, b, xtol=xtol, rtol=1e-15)
    return out, run


def iterate_dynamics(
    model: StressModel, shock_frac: ArrayLike, *, iterations: int = 10_000
) -> FloatArray:
    """The dynamics themselves, r_{k+1} = r₀ + I(F(r_k)) from r₀ (vectorised), floored.

    Converges (monotonically) to the equilibrium :func:`solve` returns; slowly near a
    tangency. For tests and teaching.
    """
    r0 = validate_shocks(shock_frac)
    n = max(model.n_scenarios(), r0.size)
    r0 = np.broadcast_to(r0, (n,)).copy()
    floor = np.broadcast_to(model.floor_frac, (n,))
    r = r0.copy()
    for _ in range(iterations):
        r = r0 + model.impact.impact_frac(model.total_flow_usd(r[:, None]))[:, 0]
        r = np.clip(r, floor, model.ceiling_frac)
    return r


# --------------------------------------------------------------------------- structure
def all_equilibria(
    model: StressModel, shock_frac: float, *, points_per_piece: int = 256
) -> FloatArray:
    """Every closing move r in [floor, ceiling] with r = r₀ + I(F(r)), one scenario.

    Scans each stretch between kinks (and zero) on a grid and refines sign changes with
    Brent's method; sorted from the deepest fall up.
    """
    from scipy.optimize import brentq

    if model.n_scenarios() != 1:
        raise GaemiInputError("all_equilibria: give a one-scenario model (model.take(i))")
    x0 = float(validate_shocks([shock_frac])[0])

    def h(r: float) -> float:
        f = model.total_flow_usd(np.array([[r]]))
        return float(r - x0 - float(model.impact.impact_frac(f)[0, 0]))

    lo = float(model.floor_frac[0])
    hi = float(model.ceiling_frac)
    k = model.kinks_frac()[0]
    cuts = np.unique(np.concatenate([[lo, 0.0, hi], k[(k > lo) & (k < hi)]]))
    roots: list[float] = []
    for a, b in itertools.pairwise(cuts):
        grid = np.linspace(a, b, points_per_piece)
        vals = np.array([h(float(x)) for x in grid])
        for i in range(grid.size - 1):
            if vals[i] == 0.0:
                roots.append(float(grid[i]))
            elif vals[i] * vals[i + 1] < 0:
                roots.append(float(brentq(h, grid[i], grid[i + 1], xtol=1e-15)))
        if vals[-1] == 0.0:
            roots.append(float(grid[-1]))
    out: FloatArray = np.unique(np.round(np.array(roots, dtype=np.float64), 13)).astype(np.float64)
    return out


@dataclass(frozen=True, eq=False)
class CriticalShock:
    """Where the outcome of the loop jumps (Gennotte–Leland), per scenario (frozen).

    Attributes
    ----------
    shock_frac : ndarray (n,)
        The smallest shock (in size, in the given direction) at which the closing move
        jumps; 0 where the loop is unstable (any shock runs away); NaN where it never
        jumps before the floor.
    move_before_frac, move_after_frac : ndarray (n,)
        Closing move just before and just after the jump.
    unstable : ndarray of bool (n,)
        True where an infinitesimal shock already runs to the floor (e.g. λK >= 1).
    """

    shock_frac: FloatArray
    move_before_frac: FloatArray
    move_after_frac: FloatArray
    unstable: np.ndarray[Any, np.dtype[np.bool_]]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {
                "critical_shock_frac": self.shock_frac,
                "move_before_frac": self.move_before_frac,
                "move_after_frac": self.move_after_frac,
                "unstable": self.unstable,
            }
        )


def critical_shock(model: StressModel, direction: float = -1.0) -> CriticalShock:
    """The shock at which the equilibrium reached from it jumps, vectorised over scenarios.

    With φ(s) = s − |I|(|F(d·s)|) (s = |r|, d the direction), the closing move is the
    first s where φ(s) reaches the shock size s₀. It jumps where φ has a record local
    maximum followed by a fall; φ is convex between kinks, so those points are kinks.
    """
    if direction == 0 or not np.isfinite(direction):
        raise GaemiInputError(f"direction = {direction!r} must be -1 (falls) or +1 (rallies)")
    d = -1.0 if direction < 0 else 1.0
    n = model.n_scenarios()
    dd = np.full(n, d)
    s_end = _bounds(model, dd, n)
    tiny = 1e-10
    unstable = solve(model, d * np.minimum(tiny, s_end)).runaway

    kinks = model.kinks_frac()
    sk = d * np.broadcast_to(kinks, (n, kinks.shape[1]))
    sk = np.where((sk > 0) & (sk < s_end[:, None]), sk, np.inf)
    pts = np.sort(sk, axis=1)
    pts = np.where(np.isinf(pts), np.nan, pts)

    def phi(s: FloatArray) -> FloatArray:
        x = np.nan_to_num(s, nan=0.0)
        f = np.maximum(d * model.total_flow_usd(d * x), 0.0)
        out: FloatArray = np.where(np.isnan(s), np.nan, x - model.impact.impact_frac(f))
        return out

    val = phi(pts)
    nxt = np.concatenate([pts[:, 1:], s_end[:, None]], axis=1)
    nxt = np.where(np.isnan(nxt), s_end[:, None], nxt)
    delta = np.minimum(1e-7, 0.5 * (nxt - np.nan_to_num(pts, nan=0.0)))
    after = phi(pts + delta)
    prev_max = np.maximum.accumulate(
        np.concatenate([np.zeros((n, 1)), np.nan_to_num(val, nan=-np.inf)], axis=1), axis=1
    )[:, :-1]
    cand = (val > prev_max + 1e-15) & (after < val) & ~np.isnan(val)
    has = cand.any(axis=1)
    level = np.full(n, np.nan)
    before = np.full(n, np.nan)
    if cand.shape[1] > 0:
        j = np.argmax(cand, axis=1)
        rows = np.arange(n)
        level = np.where(has, val[rows, j], np.nan)
        before = np.where(has, d * pts[rows, j], np.nan)
    after_move = np.full(n, np.nan)
    if has.any():
        bump = level * (1.0 + 1e-9) + 1e-12
        shocks = np.where(has, d * bump, d * 0.5 * s_end)
        after_move = np.where(has, solve(model, shocks).final_move_frac, np.nan)
    shock = np.where(unstable, 0.0, d * level)
    before = np.where(unstable, 0.0, before)
    after_move = np.where(unstable, d * s_end, after_move)
    return CriticalShock(shock, before, after_move, unstable)


def curve(model: StressModel, shocks_frac: Sequence[float] | FloatArray) -> FeedbackResult:
    """Final move over a grid of shocks for a one-scenario model (``--curve``)."""
    if model.n_scenarios() != 1:
        raise GaemiInputError("curve: give a one-scenario model (model.take(i))")
    return solve(model, np.asarray(shocks_frac, dtype=np.float64))
