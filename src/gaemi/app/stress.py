"""Stress one underlying: the close feedback loop r = r₀ + I(Σ participants' flows(r)).

One set-up (:func:`stress_setup`: the scenario's participants and liquidity sized from the
state's fund universe) serves every face: ``gaemi stress``, ``/api/stress``, the report's
stress section and the Dask sweeps. The pressure threshold is
:func:`gaemi.core.liquidity.threshold_move_frac`; the direction of a curve's critical
shock is chosen in one place (:func:`curve_direction`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gaemi.app.flows import check_korean_aum_usd
from gaemi.app.result import Choice, Result, format_frac
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import ArrayLike

    from gaemi.core.feedback import CriticalShock, FeedbackResult, StressModel
    from gaemi.core.universe import Universe
    from gaemi.data.state import MarketState
    from gaemi.data.stress import StressScenario

#: Default shock into the close (``gaemi stress`` without ``--shock``), fraction.
DEFAULT_SHOCK_FRAC = -0.02
#: The multiples of the scenario's ADV a stress accepts (the HTTP API's bounds, now every
#: face's): 1/20 of today's liquidity to 20 times it. Outside, the square-root impact of a
#: near-empty close is numerically meaningless (1e-300 used to run and print a table).
LIQUIDITY_SCALE_MIN = 0.05
LIQUIDITY_SCALE_MAX = 20.0


def check_liquidity_scale(value: float, name: str = "liquidity_scale") -> float:
    """A multiple of the scenario's ADV in [0.05, 20]; else one line naming ``name``."""
    if not (math.isfinite(value) and LIQUIDITY_SCALE_MIN <= value <= LIQUIDITY_SCALE_MAX):
        raise GaemiInputError(
            f"{name} = {value:g} must be in [{LIQUIDITY_SCALE_MIN:g}, {LIQUIDITY_SCALE_MAX:g}] "
            "(a multiple of the scenario's ADV)"
        )
    return float(value)


def load_scenario(scenario: StressScenario | str | Path | None = None) -> StressScenario:
    """A stress scenario: the given one, a YAML path (sections left out from the default),
    or the embedded default."""
    from gaemi.data.stress import StressScenario, load_default_stress, load_stress_scenario

    if isinstance(scenario, StressScenario):
        return scenario
    if scenario is not None:
        return load_stress_scenario(Path(scenario))
    return load_default_stress()


def stress_underlyings(universe: Universe, scenario: StressScenario | None = None) -> list[str]:
    """Underlyings with close liquidity in the scenario and funds on them in ``universe``
    (``state.universe``)."""
    import numpy as np

    sc = scenario or load_scenario()
    u = universe
    ids = set(np.char.upper(u.underlying_id).tolist()) | set(
        np.char.upper(u.underlying_group).tolist()
    )
    return [uid for uid in sc.underlyings if uid.upper() in ids]


def curve_direction(shocks_frac: ArrayLike) -> float:
    """−1 (the critical shock is searched downward) when the grid holds a fall, else +1.

    The one rule for every face (the CLI used the grid's mean, the web its minimum, the
    report always −1: they disagreed for grids like −1 % … +10 %).
    """
    import numpy as np

    g = np.asarray(shocks_frac, dtype=float)
    return -1.0 if g.size and float(np.min(g)) < 0 else 1.0


def shock_direction(shock_frac: float) -> float:
    """−1 for a fall or no move, +1 for a rise (signs the threshold like the shock)."""
    return -1.0 if shock_frac <= 0 else 1.0


@dataclass(frozen=True, eq=False)
class StressSetup:
    """The feedback model of one underlying and its close liquidity (frozen).

    Attributes
    ----------
    underlying : str
        Underlying id (NDX, SOX …) as the scenario names it.
    scenario_name : str
        The stress scenario's name.
    model : StressModel
        Participants and impact, one scenario.
    adv_usd, closing_share, capacity_usd : float
        ADV after ``liquidity_scale`` (USD), the closing-auction share, and the close's
        capacity = share × ADV (USD).
    sigma_daily, spx_beta : float
        Daily volatility (fraction) and beta to the S&P 500.
    letf_k_usd : float
        K = Σ L(L−1)·A of the funds on the underlying, USD per unit move (Cheng &
        Madhavan 2009); the leveraged funds' flow at a move r is K·r. With creations
        (``creations`` not ``none``) K = Σ (L(L−1) + L·β)·A: the close trade of the
        rebalancing and of the creations that respond to the move.
    creations : Choice, optional
        Which creations the leveraged funds' participant holds, and why
        (:func:`gaemi.app.flows.creations_beta`).
    """

    underlying: str
    scenario_name: str
    model: StressModel
    adv_usd: float
    closing_share: float
    capacity_usd: float
    sigma_daily: float
    spx_beta: float
    letf_k_usd: float
    creations: Choice | None = None

    @property
    def letf_flow_per_pct_usd(self) -> float:
        """The leveraged funds' rebalancing per 1 % move, USD (K × 0.01)."""
        return self.letf_k_usd * 0.01

    def threshold_move_frac(self, direction: float = -1.0) -> float:
        """The close move at which the leveraged funds' flow alone equals the close's
        capacity (capacity / K, :func:`gaemi.core.liquidity.threshold_move_frac`), signed
        by ``direction``; inf when no fund is on the underlying."""
        from gaemi.core.liquidity import threshold_move_frac

        return math.copysign(1.0, direction) * float(
            threshold_move_frac(self.letf_k_usd, self.capacity_usd)
        )

    def liquidity_dict(self, direction: float = -1.0) -> dict[str, Any]:
        """The liquidity block of the JSON (unit-bearing keys)."""
        t = self.threshold_move_frac(direction)
        return {
            "underlying": self.underlying,
            "adv_usd": self.adv_usd,
            "closing_share": self.closing_share,
            "capacity_usd": self.capacity_usd,
            "sigma_daily": self.sigma_daily,
            "spx_beta": self.spx_beta,
            "letf_flow_per_pct_usd": self.letf_flow_per_pct_usd,
            "threshold_move_frac": t if math.isfinite(t) else None,
        }


def stress_setup(
    state: MarketState | None,
    underlying: str,
    *,
    scenario: StressScenario | str | Path | None = None,
    korean_aum_usd: float | None = None,
    liquidity_scale: float = 1.0,
    impact_y: float | None = None,
    universe: Universe | None = None,
    creations: str | float | None = None,
    move_sign: float | None = None,
) -> StressSetup:
    """The stress model of one underlying on the state's funds (the one definition).

    Parameters
    ----------
    state : MarketState
        Its fund universe sizes the leveraged funds' participant (None when ``universe``
        is given).
    underlying : str
        Underlying id with liquidity in the scenario (NDX, SOX, SPX …), case-insensitive.
    scenario : StressScenario or path, optional
        Default: the embedded ``stress_default.yaml``.
    korean_aum_usd : float, optional
        What-if: Korean holdings of the 3x funds total this, USD (in [0, $10T]).
    liquidity_scale : float
        Multiplies the underlying's ADV (and so the close's capacity); > 0.
    impact_y : float, optional
        The square-root law's Y (Tóth et al. 2011); default the scenario's.
    universe : Universe, optional
        Use these funds instead of the state's (a sweep's what-if).
    creations : {"none", "measured"} or float, optional
        Creations that respond to the move, C = β·A·r (:func:`gaemi.app.flows.flows`;
        default ``none``). With ``measured`` or a β the leveraged funds' participant
        trades Σ (L(L−1) + L·β)·A·r and the scenario's retail-redemption ("panic") rule is
        switched off: the measured creations are every holder's, and on the 2011–2024
        days the index fell more than 3 % the 3x long ProShares funds took money in
        (TQQQ +2.2 % of assets on average, 85 % of those days), not out.
    move_sign : float, optional
        The shock's direction (−1 fall, +1 rise): picks β_down or β_up when the measured
        creations depend on the direction (:func:`gaemi.app.flows.creations_beta`;
        default: a fall).
    """
    import numpy as np

    from gaemi.app.flows import creations_beta
    from gaemi.core.flows import rebalance_multiplier
    from gaemi.data.stress import build_stress_model

    check_liquidity_scale(liquidity_scale)
    sc = load_scenario(scenario)
    if impact_y is not None:
        sc = replace(sc, y=float(impact_y))
    if universe is None and state is None:
        raise GaemiInputError("stress_setup: give a state or a universe")
    u = universe if universe is not None else state.universe  # type: ignore[union-attr]
    if korean_aum_usd is not None:
        u = u.with_korean_aum(check_korean_aum_usd(float(korean_aum_usd)))
    liq = sc.liquidity(underlying)
    model = build_stress_model(sc, u, underlying, adv_scale=liquidity_scale)
    sel = u.where_underlying(underlying)
    beta, choice = creations_beta(sel, creations, move_frac=move_sign)
    mult = rebalance_multiplier(sel.leverage)
    if beta is not None:
        mult = mult + sel.leverage * beta
    k = float(np.sum(mult * sel.aum_usd))
    if beta is not None:
        model = _with_creations(model, k, liq.name, choice, beta=beta)
    adv = liq.adv_usd * liquidity_scale
    return StressSetup(
        underlying=liq.name,
        scenario_name=sc.name,
        model=model,
        adv_usd=adv,
        closing_share=liq.closing_share,
        capacity_usd=adv * liq.closing_share,
        sigma_daily=liq.sigma_daily,
        spx_beta=liq.spx_beta,
        letf_k_usd=k,
        creations=choice,
    )


def _with_creations(
    model: StressModel, k_usd: float, name: str, choice: Choice, *, beta: Any = None
) -> StressModel:
    """The model with the leveraged funds' K including creations and no panic rule (with
    ``beta``, each fund's β, a wiped-out fund's creations are dropped as in gaemi flows)."""
    import numpy as np

    from gaemi.core.participants import LetfRebalancing, RetailRedemptions

    if not k_usd >= 0:
        raise GaemiInputError(
            f"creations = {choice.value!r} makes the leveraged funds on {name} trade against "
            f"the move (Σ (L(L−1) + L·β)·A = {k_usd:.3g} < 0); the feedback loop needs >= 0"
        )
    parts = []
    for p in model.participants:
        if isinstance(p, LetfRebalancing):
            p = replace(p, k_usd=np.full(p.k_usd.shape, k_usd))  # keeps its funds (unwind)
            if beta is not None and p.fund_leverage is not None:
                p = replace(p, fund_creations_beta=beta)
        elif isinstance(p, RetailRedemptions):
            p = replace(p, elasticity=np.zeros_like(p.elasticity))
        parts.append(p)
    return replace(model, participants=tuple(parts))


def _critical_dict(c: CriticalShock) -> dict[str, Any]:
    return {
        "shock_frac": float(c.shock_frac[0]),
        "move_before_frac": float(c.move_before_frac[0]),
        "move_after_frac": float(c.move_after_frac[0]),
        "unstable": bool(c.unstable[0]),
    }


def point_frame(setup: StressSetup, res: FeedbackResult, direction: float) -> pd.DataFrame:
    """One row per shock: flows, pressures (leveraged funds' and everyone's), breakers."""
    import numpy as np

    from gaemi.core.liquidity import pressure_ratio

    df = res.to_frame()
    df.insert(0, "underlying", setup.underlying)
    cap = setup.capacity_usd
    letf = res.flow_usd.get("letf_rebalancing", np.zeros_like(res.shock_frac))
    df["capacity_usd"] = cap
    # two pressures, never one ambiguous "pressure": the leveraged funds' own flow (what the
    # threshold, the monitor's close_pressure and `gaemi history` use; 1 exactly at
    # threshold_move_frac) and every participant's flow together
    df["letf_pressure_ratio"] = pressure_ratio(letf, cap)
    df["threshold_move_frac"] = setup.threshold_move_frac(direction)
    df["total_pressure_ratio"] = pressure_ratio(res.total_flow_usd, cap)
    return df


@dataclass(frozen=True, kw_only=True)
class StressResult(Result):
    """The close feedback loop for one shock on one underlying (frozen).

    ``to_frame()``: one row (shock, final and extra move, amplification, each participant's
    flow, total flow, capacity, the two pressure ratios, threshold move, critical shock,
    breaker level). ``to_dict()`` adds the ``liquidity`` and ``critical`` blocks.
    """

    setup: StressSetup
    shock_frac: float
    result: FeedbackResult
    critical: CriticalShock
    #: The market-wide level-3 breaker halted the session (:func:`stress_session`).
    session_halted: bool = False
    kind: str = field(default="stress", init=False, repr=False)

    @property
    def direction(self) -> float:
        return shock_direction(self.shock_frac)

    @property
    def final_move_frac(self) -> float:
        return float(self.result.final_move_frac[0])

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        df = point_frame(self.setup, self.result, self.direction)
        df["critical_shock_frac"] = float(self.critical.shock_frac[0])
        if self.session_halted:  # the market-wide level 3 halted every underlying's close
            df["cb_level"] = 3
            df["cb_halt"] = True
        flows = [c for c in df.columns if c.endswith("_flow_usd") and c != "total_flow_usd"]
        cols = [
            "underlying",
            "shock_frac",
            "final_move_frac",
            "extra_move_frac",
            "amplification",
            *flows,
            "total_flow_usd",
            "capacity_usd",
            "letf_pressure_ratio",
            "threshold_move_frac",
            "total_pressure_ratio",
            "critical_shock_frac",
            "runaway",
            "cb_level",
            "cb_halt",
            "spx_move_frac",
        ]
        return df[cols]

    def summary(self) -> str:
        c = float(self.critical.shock_frac[0])
        crit = "no critical shock" if math.isnan(c) else f"critical shock {format_frac(c)}"
        return (
            f"{self.setup.underlying}: a {format_frac(self.shock_frac)} shock closes at "
            f"{format_frac(self.final_move_frac)} after the feedback loop "
            f"({self.setup.scenario_name}); {crit}."
        )

    def extra_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.setup.scenario_name,
            "underlying": self.setup.underlying,
            "shock_frac": self.shock_frac,
            "final_move_frac": self.final_move_frac,
            "liquidity": self.setup.liquidity_dict(self.direction),
            "critical": _critical_dict(self.critical),
        }


@dataclass(frozen=True, kw_only=True)
class StressCurveResult(Result):
    """The closing move over a grid of shocks on one underlying, and the critical shock."""

    setup: StressSetup
    result: FeedbackResult
    critical: CriticalShock
    direction: float
    #: Per grid move: the market-wide level-3 breaker halted the session
    #: (:func:`stress_curve_session`); None for one underlying alone.
    session_halted: np.ndarray[Any, np.dtype[np.bool_]] | None = None
    kind: str = field(default="stress_curve", init=False, repr=False)

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """One row per shock (the engine's columns and ``past_critical``); ``view="points"``
        adds the capacity, the two pressure ratios and the threshold move."""
        import numpy as np

        if view == "points":
            df = point_frame(self.setup, self.result, self.direction)
        else:
            df = self.result.to_frame()
            df.insert(0, "underlying", self.setup.underlying)
        if self.session_halted is not None:  # the level 3 halted every underlying's close
            h = np.asarray(self.session_halted, dtype=bool)
            df["cb_level"] = np.where(h, 3, df["cb_level"].to_numpy())
            df["cb_halt"] = h | df["cb_halt"].to_numpy()
        c = float(self.critical.shock_frac[0])
        df["past_critical"] = (
            np.sign(self.direction) * (df["shock_frac"].to_numpy() - c) >= 0
            if not np.isnan(c)
            else False
        )
        return df

    def summary(self) -> str:
        u = self.setup.underlying
        c = float(self.critical.shock_frac[0])
        if self.critical.unstable[0]:
            return f"{u}: unstable — any shock runs to the limit"
        if math.isnan(c):
            return f"{u}: no jump before the breaker floor (no critical shock)"
        return (
            f"{u}: critical shock {format_frac(c)} — the close jumps from "
            f"{format_frac(float(self.critical.move_before_frac[0]))} to "
            f"{format_frac(float(self.critical.move_after_frac[0]))}"
        )

    def extra_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.setup.scenario_name,
            "underlying": self.setup.underlying,
            "liquidity": self.setup.liquidity_dict(self.direction),
            "critical": _critical_dict(self.critical),
        }


def state_sources(state: MarketState) -> tuple[str, ...]:
    """The state's sources as ``part: where`` lines (a result's ``sources``)."""
    return tuple(f"{k}: {v}" for k, v in state.sources.items())


def stress(
    state: MarketState,
    underlying: str,
    shock_frac: float = DEFAULT_SHOCK_FRAC,
    *,
    scenario: StressScenario | str | Path | None = None,
    korean_aum_usd: float | None = None,
    liquidity_scale: float = 1.0,
    creations: str | float | None = None,
) -> StressResult:
    """The closing move of ``underlying`` after the close feedback loop.

    Solves r = r₀ + I(Σ_p flow_p(r)) for the shock r₀ (:func:`gaemi.core.feedback.solve`):
    participants are leveraged-ETF rebalancing (ΔE = L(L−1)·A·r, Cheng & Madhavan 2009),
    dealer short gamma, stop-loss ladders, margin calls and retail redemptions; impact is
    the square-root law Δp/p = Y·σ_d·√(Q/V) (Tóth et al. 2011). Parameters and sources:
    docs/stress.md.

    Parameters
    ----------
    state : MarketState
        From :func:`gaemi.load_state`.
    underlying : str
        ``"NDX"``, ``"SOX"``, ``"SPX"`` … (with liquidity in the scenario).
    shock_frac : float
        The move into the close, fraction (−0.03 = −3 %); > −1.
    scenario, korean_aum_usd, liquidity_scale, creations
        See :func:`stress_setup`.

    Returns
    -------
    StressResult
        ``final_move_frac``, ``to_frame()`` (one row), ``to_dict()``, ``summary()``.
    """
    from gaemi.core.feedback import critical_shock, solve

    if not (math.isfinite(shock_frac) and shock_frac > -1.0):
        raise GaemiInputError(f"shock_frac = {shock_frac!r} must be a finite move above -100%")
    setup = stress_setup(
        state,
        underlying,
        scenario=scenario,
        korean_aum_usd=korean_aum_usd,
        liquidity_scale=liquidity_scale,
        creations=creations,
        move_sign=shock_direction(shock_frac),
    )
    d = shock_direction(shock_frac)
    return StressResult(
        setup=setup,
        shock_frac=float(shock_frac),
        result=solve(setup.model, [float(shock_frac)]),
        critical=critical_shock(setup.model, d),
        warnings=tuple(state.warnings),
        choices=(setup.creations,) if setup.creations is not None else (),
        sources=state_sources(state),
    )


def stress_curve(
    state: MarketState,
    underlying: str,
    shocks_frac: ArrayLike,
    *,
    scenario: StressScenario | str | Path | None = None,
    korean_aum_usd: float | None = None,
    liquidity_scale: float = 1.0,
    creations: str | float | None = None,
) -> StressCurveResult:
    """The closing move over a grid of shocks and the critical shock (Gennotte–Leland).

    The critical shock is searched in the direction :func:`curve_direction` gives (down
    when the grid holds a fall); the result's ``choices`` say which.
    """
    import numpy as np

    from gaemi.core.feedback import critical_shock, curve

    grid: np.ndarray[Any, Any] = np.asarray(shocks_frac, dtype=float)
    setup = stress_setup(
        state,
        underlying,
        scenario=scenario,
        korean_aum_usd=korean_aum_usd,
        liquidity_scale=liquidity_scale,
        creations=creations,
        move_sign=curve_direction(grid),
    )
    d = curve_direction(grid)
    return StressCurveResult(
        setup=setup,
        result=curve(setup.model, grid),
        critical=critical_shock(setup.model, d),
        direction=d,
        choices=(
            Choice(
                "critical_direction",
                d,
                "the grid holds a fall: searched downward"
                if d < 0
                else "the grid holds no fall: searched upward",
            ),
            *((setup.creations,) if setup.creations is not None else ()),
        ),
        warnings=tuple(state.warnings),
        sources=state_sources(state),
    )


def _session_halt(
    results: list[FeedbackResult], models: list[StressModel], shocks_frac: Any, betas: Any
) -> tuple[list[FeedbackResult], np.ndarray[Any, np.dtype[np.bool_]]]:
    """The market-wide level-3 rule on the loops of one US session's underlyings (the one
    rule of :func:`stress_session` and :func:`stress_curve_session`).

    ``results[i]`` is underlying i's loop at its shocks ``shocks_frac[i]`` (k underlyings,
    n shocks each, one session per column), ``betas`` their S&P 500 betas. A column halts
    when its shocks reach −20 % of the S&P 500 (every underlying stops at the trigger,
    :func:`gaemi.core.contagion.breaker.stop_at_trigger`), when one underlying's own loop
    halts (the others stop at their shock) or when the closes together imply −20 %. An
    underlying that did not halt by its own loop is then stopped there, with no close:
    ``filled_usd`` 0 and ``unfilled_usd`` the flow its loop would have sent from there.
    Returns the results and the halted columns."""
    import numpy as np

    from gaemi.core.contagion.breaker import implied_spx_frac, stop_at_trigger, triggers
    from gaemi.core.feedback import solve

    x = np.asarray(shocks_frac, dtype=float)
    b = np.asarray(betas, dtype=float)
    halted0, stopped, _ = stop_at_trigger(x, b)
    finals = np.stack([r.final_move_frac for r in results])
    own = np.stack([np.asarray(r.halted, dtype=bool) for r in results]) & ~halted0
    session = halted0 | own.any(axis=0) | triggers(implied_spx_frac(finals, b))
    stops = np.where(halted0, stopped, np.where(own, finals, x))
    out = []
    for i, res in enumerate(results):
        redo = session & ~own[i]
        if redo.any():
            loop = solve(models[i], stops[i][redo])  # the close it would have sent

            def put(old: Any, new: Any, redo: Any = redo) -> Any:
                a = np.array(np.broadcast_to(old, x.shape[1:]), copy=True)
                a[redo] = np.broadcast_to(new, (int(redo.sum()),))
                return a

            res = replace(
                res,
                final_move_frac=put(res.final_move_frac, stops[i][redo]),
                runaway=put(res.runaway, False),
                flow_usd={p: put(v, loop.flow_usd[p]) for p, v in res.flow_usd.items()},
                absorbed_usd=put(res.absorbed_usd, 0.0),
                halted=put(res.halted, True),
                filled_usd=put(res.filled_usd, 0.0),
                unfilled_usd=put(res.unfilled_usd, loop.total_flow_usd + 0.0),
            )
        out.append(res)
    return out, session


def stress_session(
    state: MarketState,
    underlyings: list[str] | tuple[str, ...],
    shock_frac: float | Mapping[str, float] = DEFAULT_SHOCK_FRAC,
    **kw: Any,
) -> list[StressResult]:
    """The same shock (or one shock per underlying: ``shock_frac`` a mapping underlying →
    shock) on several underlyings of one US session, with the market-wide level-3
    circuit breaker (:mod:`gaemi.core.contagion.breaker`, the cascade's rule).

    NYSE Rule 7.12 / Nasdaq Rule 4121: the S&P 500 down 20 % from the prior close halts
    all US equities for the rest of the day. The session's implied S&P 500 move is the
    lowest move / ``spx_beta`` over the underlyings. (1) When the shock itself reaches
    −20 % there, trading halts before the close: every underlying stops at the shock
    scaled to the S&P 500's −20 % (the trigger one at its own halt level −20 % × beta)
    and no close runs. (2) Otherwise, when one underlying's close loop reaches its halt
    level (:func:`gaemi.core.feedback.solve` halts it), the session halts there: every
    other underlying stops at its pre-close move, the shock. A halted underlying's close
    flow is left unfilled (``unfilled_usd``: the flow of the loop from where it stopped;
    ``filled_usd`` 0 unless its own loop carried it to the halt). With one underlying
    this is :func:`stress` exactly.

    ``kw``: ``scenario``, ``korean_aum_usd``, ``liquidity_scale``, ``creations`` as in
    :func:`stress`.
    """
    import numpy as np

    if isinstance(shock_frac, Mapping):
        by = {str(k).upper(): float(v) for k, v in shock_frac.items()}
        missing = [u for u in underlyings if u.upper() not in by]
        if missing:
            raise GaemiInputError(f"shock_frac: no shock for underlying {missing[0]!r}")
        shocks = [by[u.upper()] for u in underlyings]
    else:
        shocks = [float(shock_frac)] * len(underlyings)
    results = [stress(state, u, x, **kw) for u, x in zip(underlyings, shocks, strict=True)]
    if len(results) < 2:
        return results
    res, session = _session_halt(
        [r.result for r in results],
        [r.setup.model for r in results],
        np.array(shocks)[:, None],
        [r.setup.spx_beta for r in results],
    )
    if not session[0]:
        return results
    return [replace(r, result=x, session_halted=True) for r, x in zip(results, res, strict=True)]


def stress_curve_session(
    state: MarketState,
    underlyings: list[str] | tuple[str, ...],
    shocks_frac: ArrayLike,
    **kw: Any,
) -> list[StressCurveResult]:
    """:func:`stress_curve` on several underlyings of one US session: at each grid move
    the market-wide level-3 breaker applies as in :func:`stress_session` (the shock on
    every underlying; one halts → all halt, the others stopped at the shock, their close
    flow unfilled; a shock that reaches −20 % of the S&P 500 stops all at the trigger).
    Each underlying's critical shock stays its own (the loop before any halt). With one
    underlying this is :func:`stress_curve` exactly.

    ``kw``: ``scenario``, ``korean_aum_usd``, ``liquidity_scale``, ``creations``.
    """
    import numpy as np

    results = [stress_curve(state, u, shocks_frac, **kw) for u in underlyings]
    if len(results) < 2:
        return results
    grid = np.asarray(results[0].result.shock_frac, dtype=float)
    res, session = _session_halt(
        [r.result for r in results],
        [r.setup.model for r in results],
        np.broadcast_to(grid, (len(results), grid.size)),
        [r.setup.spx_beta for r in results],
    )
    return [
        replace(r, result=x, session_halted=session.copy())
        for r, x in zip(results, res, strict=True)
    ]
