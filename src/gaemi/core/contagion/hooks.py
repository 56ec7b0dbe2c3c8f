"""Close-feedback hooks: the equity node's move before the close → the closing move.

The contagion engine calls a :class:`CloseFeedback` once per equity node and day with
the day's pre-close move of every Monte Carlo draw (a 1-D array) and gets back the
closing move and the forced flow behind it. A hook is built per run from the node's
sampled parameters by a :data:`FeedbackFactory` registered in :data:`FEEDBACK_MODELS`
(``linear`` here; the full close-liquidity engine registers itself as ``engine`` when
it is installed, see :mod:`gaemi.core.contagion.engine_hook`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from gaemi.core.contagion.model import BoolArray, FloatArray
from gaemi.errors import GaemiInputError


@dataclass(frozen=True)
class CloseOutcome:
    """What the close did to one equity node, per draw.

    Attributes
    ----------
    move_frac : ndarray (n_draws,)
        Closing move, decimal fraction.
    flow_usd : ndarray (n_draws,)
        Forced close flow of the modelled participants at that move, USD (+ buys).
    korean_flow_usd : ndarray (n_draws,)
        The Korean-held part of ``flow_usd``, USD.
    stable : ndarray of bool (n_draws,)
        False where the loop has no stable equilibrium and the move was capped.
    participants : tuple of str
        Who ``flow_usd`` covers, for the event label (e.g. ``("letf_rebalancing",
        "dealer_gamma", …)`` for the close-liquidity engine). Empty: leveraged-fund
        rebalancing only (the linear hook, K = other + Korean fund exposure).
    halted : ndarray of bool (n_draws,), optional
        The level-3 circuit breaker halted trading for the day before the close
        (:attr:`gaemi.core.feedback.FeedbackResult.halted`): ``move_frac`` is the halt
        level, not an equilibrium. None: the hook has no breaker (the linear hook).
    pre_close_move_frac : ndarray (n_draws,), optional
        The pre-close move as the market saw it: the move given to the hook, stopped at
        the halt level where a halt came before it
        (:attr:`gaemi.core.feedback.FeedbackResult.effective_shock_frac`, the same rule
        as ``gaemi stress``). None: the move given.
    filled_usd, unfilled_usd : ndarray (n_draws,), optional
        The part of ``flow_usd`` that traded before a halt, and the rest, which the halt
        left unfilled (USD, + buys; :class:`gaemi.core.feedback.FeedbackResult`). None:
        all of ``flow_usd`` traded.
    flow_for_move : callable, optional
        The inverse of the hook's impact: move (fraction, per draw) → the flow whose
        impact it is (USD, + buys). The engine uses it when the market-wide halt stops
        this close part-way (:mod:`gaemi.core.contagion.engine`). None: linear impact
        (the flow in proportion to the move, exact for the linear hook).
    """

    move_frac: FloatArray
    flow_usd: FloatArray
    korean_flow_usd: FloatArray
    stable: BoolArray
    participants: tuple[str, ...] = ()
    halted: BoolArray | None = None
    pre_close_move_frac: FloatArray | None = None
    filled_usd: FloatArray | None = None
    unfilled_usd: FloatArray | None = None
    flow_for_move: Callable[[FloatArray], FloatArray] | None = None


class CloseFeedback(Protocol):
    """Maps the day's pre-close move (per draw) to the closing move (per draw).

    A hook must map a zero move to a zero move with zero flow (no move, no forced
    trade): the engine skips the call on days when every draw's move is exactly 0.
    """

    def __call__(self, move_frac: FloatArray) -> CloseOutcome: ...


#: Builds a hook from the node's sampled parameters (each an array of n_draws or 1).
FeedbackFactory = Callable[[Mapping[str, FloatArray]], CloseFeedback]


@dataclass(frozen=True)
class LinearCloseFeedback:
    """Linear close feedback r = r₀ / (1 − λK), capped at ±``max_move_frac``.

    K = ``k_other_usd`` + ``korean_multiplier`` · ``korean_aum_usd`` is the leveraged
    funds' rebalancing flow per unit move, USD (K = Σ L(L−1)·A, :mod:`gaemi.core.flows`);
    λ = ``impact_per_usd`` is the linear price impact of close flow (fraction per USD,
    Kyle's lambda). The fixed point of r = r₀ + λ·K·r exists and is stable for λK < 1;
    for λK ≥ 1 the move runs to the cap (the US market-wide circuit breaker, 20 %).

    References: Cheng & Madhavan (2009); Kyle (1985).
    """

    k_other_usd: FloatArray
    korean_aum_usd: FloatArray
    korean_multiplier: FloatArray
    impact_per_usd: FloatArray
    max_move_frac: FloatArray

    @classmethod
    def from_params(cls, p: Mapping[str, FloatArray]) -> LinearCloseFeedback:
        need = ("k_other_usd", "korean_aum_usd", "korean_multiplier", "impact_per_usd")
        missing = [k for k in need if k not in p]
        if missing:
            raise GaemiInputError(f"close_feedback linear: needs parameter {missing[0]!r}")
        cap = p.get("max_move_frac", np.array([0.2]))
        return cls(
            np.asarray(p["k_other_usd"], dtype=np.float64),
            np.asarray(p["korean_aum_usd"], dtype=np.float64),
            np.asarray(p["korean_multiplier"], dtype=np.float64),
            np.asarray(p["impact_per_usd"], dtype=np.float64),
            np.asarray(cap, dtype=np.float64),
        )

    @property
    def k_usd(self) -> FloatArray:
        out: FloatArray = self.k_other_usd + self.korean_multiplier * self.korean_aum_usd
        return out

    def __call__(self, move_frac: FloatArray) -> CloseOutcome:
        r0 = np.asarray(move_frac, dtype=np.float64)
        k = self.k_usd
        lk = self.impact_per_usd * k
        stable = np.broadcast_to(lk < 1.0, r0.shape)
        denom = np.where(lk < 1.0, 1.0 - lk, 1.0)
        r = np.where(stable, r0 / denom, np.sign(r0) * self.max_move_frac)
        r = np.clip(r, -self.max_move_frac, self.max_move_frac)
        return CloseOutcome(
            move_frac=r,
            flow_usd=k * r,
            korean_flow_usd=self.korean_multiplier * self.korean_aum_usd * r,
            stable=np.asarray(stable, dtype=np.bool_),
        )


FEEDBACK_MODELS: dict[str, FeedbackFactory] = {"linear": LinearCloseFeedback.from_params}


def register_feedback_model(name: str, factory: FeedbackFactory) -> None:
    """Make ``close_feedback: {model: NAME}`` available to scenarios."""
    FEEDBACK_MODELS[name] = factory


def feedback_factory(name: str) -> FeedbackFactory:
    """The factory registered under ``name`` (one-line error when unknown)."""
    if name not in FEEDBACK_MODELS:
        raise GaemiInputError(
            f"close_feedback model = {name!r} is unknown "
            f"(known: {', '.join(sorted(FEEDBACK_MODELS))})"
        )
    return FEEDBACK_MODELS[name]


def amplification(hook: CloseFeedback, probe: float = -0.01) -> FloatArray:
    """Secant gain (close move)/(pre-close move) at a −1 % move, per draw.

    For a linear hook this is the local gain 1/(1 − λK) at any move; for square-root
    impact the slope at zero is infinite, so a typical daily move is the probe.
    """
    out = hook(np.array([probe]))
    gain: FloatArray = out.move_frac / probe
    return gain
