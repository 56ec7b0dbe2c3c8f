"""The market-wide level-3 circuit breaker: one rule for a US session of several nodes.

The market-wide circuit breakers the SEC approved in 2012 (NYSE Rule 80B as amended,
effective 2013-04-08, since renumbered NYSE Rule 7.12; the other exchanges have matching
rules; NYSE, "Circuit Breakers", usequities.nyx.com; SEC investor.gov glossary, "Stock
market circuit breakers"): a decline of the S&P 500 of 20 % from the prior day's close
(level 3) halts trading in **all** US equities for the rest of the day, whatever the
time; levels 1 (−7 %) and 2 (−13 %) halt 15 minutes, and only up to 15:25 ET. The halt
is market-wide: one underlying cannot halt while another keeps trading.

The S&P 500 move of a session is read from its US equity nodes through the S&P 500
betas of the stress scenario (``spx_beta`` of ``stress_default.yaml``, the same mapping
:class:`gaemi.core.feedback.StressModel` uses for each underlying's halt level
−20 % × beta): the session's implied S&P 500 move is the lowest move_i / beta_i over its
nodes. It triggers the halt when it reaches −20 %. The session then stops at the
trigger: every node stops where it was when the implied S&P 500 move reached −20 %,
which for moves given together (the shocks into the close, every node's move as a share
of its path) is each move scaled by −20 % / (implied S&P 500 move)
(:func:`stop_at_trigger`); the node that triggers ends at its own halt level, every
other node above its own. No close runs after the trigger: the closing selling is left
unfilled. When the trigger is one node's close, every other node stops at its pre-close
move, whichever node the cascade steps first (the session is re-solved from its start,
:mod:`gaemi.core.contagion.engine`); when the trigger reaches its halt level only through
a link from an earlier node's close, that close stops part-way, where the trigger just
reaches it.

Used by ``gaemi stress`` with several underlyings (:func:`gaemi.app.stress.stress_session`)
and by the cascade (:func:`gaemi.core.contagion.simulate` with ``spx_beta``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from gaemi.core.contagion.model import BoolArray, FloatArray, Node

#: The level-3 decline of the S&P 500 from the prior close that halts the day (fraction).
LEVEL3_SPX_FRAC = 0.20
#: Rounding slack: a move within this of the halt level counts as at it.
HALT_TOL = 1e-12
#: β of a US equity node the stress scenario does not map (halts at −20 %, like the S&P).
DEFAULT_SPX_BETA = 1.0


def halt_level_frac(spx_beta: ArrayLike) -> FloatArray:
    """Each node's own halt level: −20 % × its beta to the S&P 500 (floored at −99 %)."""
    out: FloatArray = np.maximum(-LEVEL3_SPX_FRAC * np.asarray(spx_beta, dtype=float), -0.99)
    return out


def implied_spx_frac(move_frac: ArrayLike, spx_beta: ArrayLike) -> FloatArray:
    """The session's implied S&P 500 move, per draw: min over nodes of move_i / beta_i.

    ``move_frac`` has shape ``(k, n)`` (k nodes, n draws) or ``(k,)``; ``spx_beta``
    ``(k,)``. A session without nodes implies no move (0)."""
    m = np.asarray(move_frac, dtype=float)
    b = np.asarray(spx_beta, dtype=float).reshape((-1,) + (1,) * (m.ndim - 1))
    if m.shape[0] == 0:
        return np.zeros(m.shape[1:])
    out: FloatArray = np.min(m / b, axis=0)
    return out


def triggers(spx_move_frac: ArrayLike) -> BoolArray:
    """True where an implied S&P 500 move reaches the level-3 decline (−20 %)."""
    out: BoolArray = np.asarray(spx_move_frac, dtype=float) <= -LEVEL3_SPX_FRAC + HALT_TOL
    return out


def stop_at_trigger(
    move_frac: ArrayLike, spx_beta: ArrayLike
) -> tuple[BoolArray, FloatArray, FloatArray]:
    """Moves given together, stopped where the session's implied S&P 500 hit −20 %.

    Parameters
    ----------
    move_frac : array_like (k, n) or (k,)
        Each node's move (fraction) per draw, all reached together (e.g. the shocks
        into the close).
    spx_beta : array_like (k,)
        Each node's beta to the S&P 500.

    Returns
    -------
    halted : ndarray of bool (n,) or scalar
        The session's implied S&P 500 move reached −20 %: trading halts for the day.
    stopped_frac : ndarray like ``move_frac``
        Each move scaled by −20 % / (implied S&P 500 move) where halted: the level it
        had reached at the trigger (a node's move never ends below its halt level).
    spx_move_frac : ndarray (n,)
        The implied S&P 500 move (before the stop).
    """
    m = np.asarray(move_frac, dtype=float)
    s = implied_spx_frac(m, spx_beta)
    halted = triggers(s)
    factor = np.where(halted, -LEVEL3_SPX_FRAC / np.where(halted, s, -1.0), 1.0)
    stopped: FloatArray = m * factor
    # rounding: the trigger node lands on its halt level, never past it
    stopped = np.maximum(stopped, halt_level_frac(spx_beta).reshape((-1,) + (1,) * (m.ndim - 1)))
    stopped = np.where(halted, stopped, m) + 0.0
    return halted, stopped, s


def us_equity_betas(nodes: Sequence[Node], spx_beta: dict[str, float] | None) -> dict[str, float]:
    """The beta of every US equity node (``session: us``, ``equity: true``): the given
    mapping's, else :data:`DEFAULT_SPX_BETA`. Empty when ``spx_beta`` is None (no
    market-wide breaker)."""
    if spx_beta is None:
        return {}
    up = {k.upper(): float(v) for k, v in spx_beta.items()}
    return {
        n.id: up.get(n.id.upper(), DEFAULT_SPX_BETA)
        for n in nodes
        if n.session == "us" and n.equity
    }
