"""The last hour minute by minute: who trades when, and the price path into the close.

Time runs from 15:00 to 16:00 ET in one-minute steps (early-close days are not modelled).
At minute t every active participant looks at the move after minute t − 1 and trades the
difference between its target flow and what it has already done:

* dealers hedge gamma every minute, both ways (``continuous``);
* stop-loss clusters fill once, as the price crosses them (``ratchet``);
* margin desks act from ``margin_minute`` (15:30 by default), once per account
  (``ratchet``);
* leveraged funds and redemptions send market-on-close orders at ``moc_minute`` (15:45)
  sized on the move then; the NYSE publishes the imbalance at 15:50 ET (FACTS.md (b)) and
  ``anticipation_frac`` of it is traded ahead by others over 15:50–15:59, who then supply
  it back in the closing auction at 16:00.

Impact is transient (a propagator): the price is r_t = r_exo(t) + I(Q_t) with
Q_t = ρ·Q_{t−1} + q_t and ρ = 2^(−1/half-life). With an infinite half-life the close is
r₀ + I(total flow), one pass of the static loop (:mod:`gaemi.core.feedback`); the path
never goes beyond the static equilibrium.

References
----------
Bouchaud, J.-P., Gefen, Y., Potters, M. & Wyart, M. (2004). Fluctuations and response in
financial markets: the subtle nature of 'random' price changes. Quantitative Finance 4(2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

from gaemi.core.feedback import StressModel, validate_shocks
from gaemi.core.participants import (
    DealerGamma,
    LetfRebalancing,
    MarginSellers,
    Participant,
    RetailRedemptions,
    StopLossLadder,
)
from gaemi.core.universe import FloatArray
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

Timing = Literal["continuous", "ratchet", "margin", "moc"]
ShockPath = Literal["at_start", "linear"]
MINUTES = 60  # 15:00 → 16:00 ET


def default_timing(p: Participant) -> Timing:
    """When a participant trades: by its kind (see the module docstring)."""
    if isinstance(p, DealerGamma):
        return "continuous"
    if isinstance(p, StopLossLadder):
        return "ratchet"
    if isinstance(p, MarginSellers):
        return "margin"
    if isinstance(p, LetfRebalancing | RetailRedemptions):
        return "moc"
    return "ratchet"


@dataclass(frozen=True)
class IntradaySpec:
    """Timing and decay of the last hour (frozen).

    Parameters
    ----------
    half_life_min : float
        Half-life of transient impact in minutes (``inf``: permanent impact).
    moc_minute : int
        Minute after 15:00 when funds size and send their MOC orders (45 → 15:45).
    publish_minute : int
        Minute the closing imbalance is published (50 → 15:50 ET, NYSE).
    anticipation_frac : float
        Share of the published imbalance traded ahead by others (0–1).
    margin_minute : int
        Minute from which margin desks liquidate (30 → 15:30).
    shock_path : {"at_start", "linear"}
        The exogenous move is fully there at 15:00, or grows linearly until ``moc_minute``.
    """

    half_life_min: float = float("inf")
    moc_minute: int = 45
    publish_minute: int = 50
    anticipation_frac: float = 0.0
    margin_minute: int = 30
    shock_path: ShockPath = "at_start"
    timing: dict[str, Timing] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.half_life_min > 0:
            raise GaemiInputError(f"half_life_min = {self.half_life_min!r} must be > 0")
        for name in ("moc_minute", "publish_minute", "margin_minute"):
            v = getattr(self, name)
            if not 0 <= v < MINUTES:
                raise GaemiInputError(f"{name} = {v!r} must be in [0, {MINUTES})")
        if self.publish_minute < self.moc_minute:
            raise GaemiInputError(
                f"publish_minute = {self.publish_minute} is before moc_minute = {self.moc_minute}"
            )
        if not 0.0 <= self.anticipation_frac <= 1.0:
            raise GaemiInputError(
                f"anticipation_frac = {self.anticipation_frac!r} must be in [0, 1]"
            )
        if self.shock_path not in ("at_start", "linear"):
            raise GaemiInputError(f"shock_path = {self.shock_path!r} must be at_start or linear")


def time_labels() -> list[str]:
    """'15:00' … '16:00' (ET), one per step."""
    return [f"{15 + m // 60}:{m % 60:02d}" for m in range(MINUTES + 1)]


@dataclass(frozen=True, eq=False)
class IntradayResult:
    """Price path and trades, minute by minute (frozen).

    Attributes
    ----------
    move_frac : ndarray (n, 61)
        Move from the previous close after each minute, 15:00 … 16:00 ET.
    trades_usd : dict name → ndarray (n, 61)
        Each participant's trade in each minute, USD (+ buys); ``anticipators`` included.
    moc_imbalance_usd : ndarray (n,)
        Net MOC orders sent at ``moc_minute`` (published at ``publish_minute``).
    """

    shock_frac: FloatArray
    move_frac: FloatArray
    trades_usd: dict[str, FloatArray]
    moc_imbalance_usd: FloatArray

    @property
    def close_move_frac(self) -> FloatArray:
        """The closing move (after the 16:00 auction)."""
        out: FloatArray = self.move_frac[:, -1]
        return out

    def to_frame(self, scenario: int = 0) -> pd.DataFrame:
        """One row per minute of one scenario: time, move, each participant's trade."""
        import pandas as pd

        df = pd.DataFrame(
            {
                "minute": np.arange(MINUTES + 1),
                "time_et": time_labels(),
                "move_frac": self.move_frac[scenario],
            }
        )
        for name, t in self.trades_usd.items():
            df[f"{name}_trade_usd"] = t[scenario]
        return df


def simulate_last_hour(
    model: StressModel, shock_frac: ArrayLike, spec: IntradaySpec | None = None
) -> IntradayResult:
    """Step the last hour for every scenario of ``model`` (vectorised over scenarios).

    Parameters
    ----------
    model : StressModel
        Participants and impact (the same as the static loop).
    shock_frac : array_like
        The exogenous move of the day r₀ (see ``spec.shock_path``).
    spec : IntradaySpec, optional
        Timing and decay; defaults as documented there.
    """
    spec = spec or IntradaySpec()
    r0 = validate_shocks(shock_frac)
    n = max(model.n_scenarios(), r0.size)
    if r0.size not in (1, n):
        raise GaemiInputError(f"shock_frac has {r0.size} values but the model {n} scenarios")
    r0 = np.broadcast_to(r0, (n,)).astype(np.float64)
    floor = np.broadcast_to(model.floor_frac, (n,))
    rho = 0.0 if spec.half_life_min == 0 else 2.0 ** (-1.0 / spec.half_life_min)
    steps = np.arange(MINUTES + 1)
    if spec.shock_path == "linear":
        exo = r0[:, None] * np.minimum(steps / max(spec.moc_minute, 1), 1.0)[None, :]
    else:
        exo = np.broadcast_to(r0[:, None], (n, MINUTES + 1))
    timing = {p.name: spec.timing.get(p.name, default_timing(p)) for p in model.participants}
    trades = {p.name: np.zeros((n, MINUTES + 1)) for p in model.participants}
    trades["anticipators"] = np.zeros((n, MINUTES + 1))
    done = {p.name: np.zeros(n) for p in model.participants}
    move = np.zeros((n, MINUTES + 1))
    move[:, 0] = exo[:, 0]
    q_eff = np.zeros(n)
    moc = np.zeros(n)

    def impact(q: FloatArray) -> FloatArray:
        out: FloatArray = model.impact.impact_frac(q[:, None])[:, 0]
        return out

    for t in range(1, MINUTES):
        seen = move[:, t - 1]
        q = np.zeros(n)
        for p in model.participants:
            kind = timing[p.name]
            if kind == "moc" or (kind == "margin" and t < spec.margin_minute):
                continue
            target = p.flow_usd(seen[:, None])[:, 0]
            if kind == "continuous":
                new = target
            else:  # ratchet: a fill is never undone
                new = np.where(target < 0, np.minimum(done[p.name], target), done[p.name])
                new = np.where(target > 0, np.maximum(done[p.name], target), new)
            trade = new - done[p.name]
            done[p.name] = new
            trades[p.name][:, t] = trade
            q += trade
        if t == spec.moc_minute:
            for p in model.participants:
                if timing[p.name] == "moc":
                    order = p.flow_usd(seen[:, None])[:, 0]
                    done[p.name] = order
                    moc += order
        if spec.publish_minute <= t < MINUTES and spec.anticipation_frac > 0:
            ahead = spec.anticipation_frac * moc / (MINUTES - spec.publish_minute)
            trades["anticipators"][:, t] = ahead
            q += ahead
        q_eff = rho * q_eff + q
        move[:, t] = np.maximum(exo[:, t] + impact(q_eff), floor)
    # 16:00 closing auction: MOC orders; anticipators hand back what they took ahead
    given_back = -trades["anticipators"].sum(axis=1)
    for p in model.participants:
        if timing[p.name] == "moc":
            trades[p.name][:, MINUTES] = done[p.name]
    trades["anticipators"][:, MINUTES] = given_back
    q_eff = rho * q_eff + moc + given_back
    move[:, MINUTES] = np.maximum(exo[:, MINUTES] + impact(q_eff), floor)
    return IntradayResult(r0, move, trades, moc)
