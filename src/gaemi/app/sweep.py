"""Parameter sweeps: a grid of named axes through an engine, one row per point.

The grid check (:func:`check_spec`), the engines' chunk evaluators
(:func:`evaluate_chunk`, a plain top-level function a Dask worker can run) and the serial
runner live here, once; the Dask runner is a face (:mod:`gaemi.present.dist`). Every point
draws from its own seed (:func:`gaemi.core.sweep.point_seeds`), so the numbers do not
depend on the chunking or the worker count.

Engines
-------
``feedback``
    Axes (any subset; missing ones take the scenario's value): ``underlying`` (str),
    ``korean_aum_usd`` (None keeps the universe's holdings), ``liquidity_scale``
    (multiplies every ADV), ``impact_y`` (the square-root law's Y) and ``shock_frac``
    (required). Options: ``scenario`` (a stress YAML path), ``universe`` (a Universe),
    ``creations`` (``measured`` or a β; absent = none: the identity alone) — each point's
    leveraged funds then trade (L(L−1) + L·β)·A·r with β of the point's shock side (β_down
    for a fall or no move, β_up for a rise) and the panic rule is off, as
    ``gaemi stress --creations`` (:func:`gaemi.app.stress.stress_setup`). Deterministic.
``decay``
    Monte Carlo per point of a daily-reset fund's NAV under constant volatility. Axes:
    ``leverage``, ``vol_annual``, ``horizon_days``, ``drift_annual``. Options ``paths``
    (per point), ``expense_ratio`` (default 0, a hypothetical fund as in
    :func:`gaemi.app.decay.fund`), ``spread_annual`` and ``rate_annual`` (default the
    embedded ``vol_params.yaml`` figures, as :mod:`gaemi.app.decay`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.app.result import Choice, Result
from gaemi.core.sweep import Axis, SweepSpec, point_seeds
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.data.state import MarketState
    from gaemi.data.stress import StressScenario

Progress = Callable[[int, int], None]
Runner = Callable[..., "pd.DataFrame"]

#: Axes each engine understands.
ENGINE_AXES: dict[str, tuple[str, ...]] = {
    "feedback": ("underlying", "korean_aum_usd", "liquidity_scale", "impact_y", "shock_frac"),
    "decay": ("leverage", "vol_annual", "horizon_days", "drift_annual"),
}
#: Probabilities of the NAV-ratio quantiles a decay point reports.
DECAY_PROBS = (0.05, 0.5, 0.95)


def check_spec(spec: SweepSpec) -> None:
    """Refuse an unknown engine or axis, or a missing required axis, in one line."""
    if spec.engine not in ENGINE_AXES:
        raise GaemiInputError(f"engine = {spec.engine!r} must be one of {sorted(ENGINE_AXES)}")
    known = ENGINE_AXES[spec.engine]
    for a in spec.axes:
        if a.name not in known:
            raise GaemiInputError(
                f"{spec.engine} sweep: unknown axis {a.name!r} (known: {', '.join(known)})"
            )
    names = {a.name for a in spec.axes}
    if spec.engine == "feedback" and "shock_frac" not in names:
        raise GaemiInputError("feedback sweep: the shock_frac axis is required")
    if spec.engine == "decay":
        if "vol_annual" not in names:
            raise GaemiInputError("decay sweep: the vol_annual axis is required")
        paths = spec.option("paths", 0)
        if not (isinstance(paths, int) and paths >= 1):
            raise GaemiInputError(f"decay sweep: paths = {paths!r} must be an integer >= 1")


# ----------------------------------------------------------------------------- feedback
@functools.lru_cache(maxsize=4)
def _scenario(path: str | None) -> StressScenario:
    from gaemi.data.stress import load_default_stress, load_stress_scenario

    return load_stress_scenario(path) if path else load_default_stress()


@functools.lru_cache(maxsize=1)
def _default_universe() -> Any:
    from gaemi.data.universe import load_default_universe

    return load_default_universe()


#: Universes with a Korean AUM set, by (id of the base universe, AUM): a parameter set
#: cut by a chunk boundary is built once, not in both chunks (the base is kept alive in
#: the value, so its id cannot be reused while the entry exists).
_KOREAN_AUM_CACHE: dict[tuple[int, float, str], tuple[Any, Any]] = {}
_KOREAN_AUM_CACHE_MAX = 256


def _with_korean_aum(base: Any, aum_usd: float, underlying: str) -> Any:
    """``base`` with ``aum_usd`` of Korean holdings, cut to the funds on ``underlying``.

    The model of an underlying is built from its funds only, so the cut universe gives
    it the same numbers (the sweep's rows equal :func:`feedback_points_reference`, which
    passes the whole universe: tested) while saving :func:`build_stress_model` two
    selections of the whole universe per parameter set (Python loops that hold the GIL).
    """
    key = (id(base), aum_usd, underlying)
    hit = _KOREAN_AUM_CACHE.get(key)
    if hit is not None and hit[0] is base:
        return hit[1]
    universe = base.with_korean_aum(aum_usd).where_underlying(underlying)
    if len(_KOREAN_AUM_CACHE) >= _KOREAN_AUM_CACHE_MAX:
        _KOREAN_AUM_CACHE.clear()
    _KOREAN_AUM_CACHE[key] = (base, universe)
    return universe


def _axis_pos(spec: SweepSpec, start: int, stop: int) -> dict[str, np.ndarray[Any, Any]]:
    """Each axis's value index at points ``start:stop`` (row-major, as :meth:`points`)."""
    idx = np.arange(start, stop, dtype=np.int64)
    pos = np.unravel_index(idx, spec.shape)
    return {a.name: np.asarray(p, dtype=np.int64) for a, p in zip(spec.axes, pos, strict=True)}


def _feedback_setup(spec: SweepSpec) -> tuple[StressScenario, Any]:
    sc = _scenario(spec.option("scenario"))
    given = spec.option("universe")
    return sc, (given if given is not None else _default_universe())


def _feedback_frame(
    pts: dict[str, np.ndarray[Any, Any]], res_cols: dict[str, np.ndarray[Any, Any]]
) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({**pts, **res_cols})


def _empty_cols(n: int) -> dict[str, np.ndarray[Any, Any]]:
    return {
        "final_move_frac": np.empty(n),
        "extra_move_frac": np.empty(n),
        "amplification": np.empty(n),
        "total_flow_usd": np.empty(n),
        "runaway": np.empty(n, dtype=bool),
        "cb_level": np.empty(n, dtype=np.int64),
    }


def _fill(cols: dict[str, np.ndarray[Any, Any]], sel: Any, res: Any) -> None:
    cols["final_move_frac"][sel] = res.final_move_frac
    cols["extra_move_frac"][sel] = res.extra_move_frac
    cols["amplification"][sel] = res.amplification
    cols["total_flow_usd"][sel] = res.total_flow_usd
    cols["runaway"][sel] = res.runaway
    cols["cb_level"][sel] = res.cb_level


#: ((K on a fall, K on a rise), (β per fund on a fall, on a rise)) with creations, by (id
#: of the point's universe — the Korean-AUM what-if adds assets, so K depends on it —,
#: underlying, creations); the universe is kept alive in the value, so its id cannot be
#: reused while the entry exists.
_CREATIONS_CACHE: dict[
    tuple[int, str, Any], tuple[Any, tuple[tuple[float, float], tuple[Any, Any]]]
] = {}


def _creations_sides(
    base: Any, underlying: str, creations: Any
) -> tuple[tuple[float, float], tuple[Any, Any]]:
    """(K_down, K_up) = Σ (L(L−1) + L·β)·A of the funds on ``underlying`` (USD per unit
    move) and the β per fund behind them (in the funds' order: a wiped-out fund's part of
    K is dropped), each with β of a fall and of a rise
    (:func:`gaemi.app.flows.creations_beta`)."""
    key = (id(base), underlying, creations)
    hit = _CREATIONS_CACHE.get(key)
    if hit is not None and hit[0] is base:
        return hit[1]
    from gaemi.app.flows import creations_beta
    from gaemi.core.creations import close_flow_multiplier

    sel = base.where_underlying(underlying)
    down, _ = creations_beta(sel, creations, move_frac=-1.0)
    up, _ = creations_beta(sel, creations, move_frac=1.0)
    k_down, k_up = (
        float(np.sum(close_flow_multiplier(sel.leverage, beta) * sel.aum_usd))
        for beta in (down, up)
    )
    out = ((k_down, k_up), (down, up))
    if len(_CREATIONS_CACHE) >= _KOREAN_AUM_CACHE_MAX:
        _CREATIONS_CACHE.clear()
    _CREATIONS_CACHE[key] = (base, out)
    return out


def _with_creations(
    model: Any,
    k_down_usd: float,
    k_up_usd: float,
    shock: np.ndarray[Any, Any],
    name: str,
    value: Any,
    *,
    betas: tuple[Any, Any] | None = None,
) -> Any:
    """The n-scenario model with each point's K of its shock side (a fall or no move:
    K_down; a rise: K_up) and no panic rule — the model ``gaemi stress --creations`` solves
    for that shock (:func:`gaemi.app.stress.stress_setup`); with ``betas`` (β per fund on
    a fall, on a rise) a wiped-out fund's creations are dropped as in gaemi flows."""
    import dataclasses

    from gaemi.core.participants import LetfRebalancing, RetailRedemptions

    fall = shock <= 0  # gaemi.app.stress.shock_direction: no move is a fall
    for k_side, used in ((k_down_usd, fall.any()), (k_up_usd, (~fall).any())):
        if used and not k_side >= 0:
            raise GaemiInputError(
                f"creations = {value!r} makes the leveraged funds on {name} trade against "
                f"the move (Σ (L(L−1) + L·β)·A = {k_side:.3g} < 0); the feedback loop needs >= 0"
            )
    k = np.where(fall, k_down_usd, k_up_usd).astype(np.float64)
    parts = []
    for p in model.participants:
        if isinstance(p, LetfRebalancing):
            p = dataclasses.replace(p, k_usd=k)  # keeps its funds (unwind past a wipe-out)
            if betas is not None and p.fund_leverage is not None:
                b_down, b_up = (np.asarray(b, dtype=np.float64) for b in betas)
                beta = np.where(fall[:, None], b_down[None, :], b_up[None, :])
                p = dataclasses.replace(p, fund_creations_beta=beta)
        elif isinstance(p, RetailRedemptions):
            p = dataclasses.replace(p, elasticity=np.zeros_like(p.elasticity))
        parts.append(p)
    return dataclasses.replace(model, participants=tuple(parts))


def _feedback_chunk(spec: SweepSpec, start: int, stop: int) -> pd.DataFrame:
    """Points ``start:stop`` in one vectorised solve per (underlying, Korean AUM).

    The liquidity scale and impact Y of every point go into one n-scenario model
    (:func:`gaemi.data.stress.build_stress_model` with arrays) solved with its shocks by
    :func:`gaemi.core.feedback.solve` — the kernel of the feedback benchmark — so the
    cost follows the number of points, not the number of parameter sets.
    """
    from gaemi.core.feedback import solve
    from gaemi.data.stress import build_stress_model

    sc, base_universe = _feedback_setup(spec)
    pts = spec.points(start, stop)
    pos = _axis_pos(spec, start, stop)
    n = stop - start
    zero = np.zeros(n, dtype=np.int64)
    und_pos, aum_pos = pos.get("underlying", zero), pos.get("korean_aum_usd", zero)
    n_aum = dict(zip([a.name for a in spec.axes], spec.shape, strict=True)).get("korean_aum_usd", 1)
    keys, inverse = np.unique(und_pos * n_aum + aum_pos, return_inverse=True)
    liq = pts.get("liquidity_scale")
    y = pts.get("impact_y")
    shock = np.asarray(pts["shock_frac"], dtype=np.float64)
    creations = spec.option("creations")
    cols = _empty_cols(n)
    for k in range(len(keys)):
        sel = np.flatnonzero(inverse == k)
        i0 = int(sel[0])
        u_name = str(pts["underlying"][i0]) if "underlying" in pts else None
        u_name = u_name or str(spec.option("underlying", "NDX"))
        universe = base_universe
        if "korean_aum_usd" in pts:
            universe = _with_korean_aum(base_universe, float(pts["korean_aum_usd"][i0]), u_name)
        model = build_stress_model(
            sc,
            universe,
            u_name,
            adv_scale=1.0 if liq is None else np.asarray(liq[sel], dtype=np.float64),
            y=None if y is None else np.asarray(y[sel], dtype=np.float64),
        )
        if creations is not None:
            (k_down, k_up), betas = _creations_sides(universe, u_name, creations)
            model = _with_creations(model, k_down, k_up, shock[sel], u_name, creations, betas=betas)
        _fill(cols, sel, solve(model, shock[sel]))
    return _feedback_frame(pts, cols)


def feedback_points_reference(spec: SweepSpec, start: int, stop: int) -> pd.DataFrame:
    """The same rows as :func:`evaluate_chunk`, one scalar model and solve per point.

    The plain path the vectorised one is tested against (slow: ~1 ms a point).
    """
    import dataclasses

    from gaemi.core.feedback import solve
    from gaemi.data.stress import build_stress_model

    check_spec(spec)
    sc, base_universe = _feedback_setup(spec)
    pts = spec.points(start, stop)
    n = stop - start
    cols = _empty_cols(n)
    creations = spec.option("creations")
    for i in range(n):
        if creations is not None:  # the model gaemi stress --creations solves
            _fill(cols, slice(i, i + 1), _stress_point(spec, sc, base_universe, pts, i))
            continue
        universe = base_universe
        if "korean_aum_usd" in pts:
            universe = base_universe.with_korean_aum(float(pts["korean_aum_usd"][i]))
        scen = sc if "impact_y" not in pts else dataclasses.replace(sc, y=float(pts["impact_y"][i]))
        model = build_stress_model(
            scen,
            universe,
            str(pts["underlying"][i])
            if "underlying" in pts
            else str(spec.option("underlying", "NDX")),
            adv_scale=float(pts["liquidity_scale"][i]) if "liquidity_scale" in pts else 1.0,
        )
        _fill(cols, slice(i, i + 1), solve(model, [float(pts["shock_frac"][i])]))
    return _feedback_frame(pts, cols)


def _stress_point(spec: SweepSpec, sc: Any, base_universe: Any, pts: dict[str, Any], i: int) -> Any:
    """Point ``i`` solved on :func:`gaemi.app.stress.stress_setup`'s model (creations of
    the shock's side, as ``gaemi stress --creations``)."""
    from gaemi.app.stress import shock_direction, stress_setup
    from gaemi.core.feedback import solve

    shock = float(pts["shock_frac"][i])
    setup = stress_setup(
        None,
        str(pts["underlying"][i]) if "underlying" in pts else str(spec.option("underlying", "NDX")),
        scenario=sc,
        korean_aum_usd=float(pts["korean_aum_usd"][i]) if "korean_aum_usd" in pts else None,
        liquidity_scale=float(pts["liquidity_scale"][i]) if "liquidity_scale" in pts else 1.0,
        impact_y=float(pts["impact_y"][i]) if "impact_y" in pts else None,
        universe=base_universe,
        creations=spec.option("creations"),
        move_sign=shock_direction(shock),
    )
    return solve(setup.model, [shock])


# ----------------------------------------------------------------------------- decay
def _decay_chunk(spec: SweepSpec, start: int, stop: int) -> pd.DataFrame:
    import pandas as pd

    from gaemi.app.decay import vol_defaults
    from gaemi.core.decay import simulate_fund
    from gaemi.core.nav import FundTerms
    from gaemi.core.paths import ConstantVol

    vd = vol_defaults()
    pts = spec.points(start, stop)
    n = stop - start
    lev = pts.get("leverage", np.full(n, 3.0))
    vol = pts["vol_annual"]
    days = pts.get("horizon_days", np.full(n, 126.0))
    drift = pts.get("drift_annual", np.zeros(n))
    paths = int(spec.option("paths"))
    seeds = point_seeds(spec.seed, start, stop)
    q = np.empty((n, len(DECAY_PROBS)))
    mean = np.empty(n)
    loss = np.empty(n)
    for i in range(n):
        d = float(days[i])
        if d != round(d) or d < 1:
            raise GaemiInputError(f"decay sweep: horizon_days = {d:g} must be a whole number >= 1")
        terms = FundTerms(
            float(lev[i]),
            float(spec.option("expense_ratio", 0.0)),
            float(spec.option("spread_annual", vd.spread_annual)),
        )
        res = simulate_fund(
            terms,
            ConstantVol(float(vol[i]), float(drift[i])),
            int(d),
            paths,
            seeds[i],
            rate_annual=float(spec.option("rate_annual", vd.rate_annual)),
            workers=1,
        )
        q[i] = np.quantile(res.nav_ratio, DECAY_PROBS)
        mean[i] = float(np.mean(res.nav_ratio))
        loss[i] = res.prob_loss(0.5)
    out = pd.DataFrame(pts)
    for k, p in enumerate(DECAY_PROBS):
        out[f"nav_ratio_p{round(100 * p):02d}"] = q[:, k]
    out["nav_ratio_mean"] = mean
    out["loss_half_prob"] = loss
    out["paths"] = paths
    return out


_ENGINES: dict[str, Callable[[SweepSpec, int, int], pd.DataFrame]] = {
    "feedback": _feedback_chunk,
    "decay": _decay_chunk,
}


def evaluate_chunk(spec: SweepSpec, start: int, stop: int) -> pd.DataFrame:
    """Points ``start:stop`` of the sweep through its engine (one row per point)."""
    check_spec(spec)
    return _ENGINES[spec.engine](spec, start, stop)


def gather_parts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    df = pd.concat(parts, ignore_index=True)
    return df.sort_values("point", kind="stable").reset_index(drop=True)


def iter_serial(spec: SweepSpec, progress: Progress | None = None) -> Iterator[pd.DataFrame]:
    """Every chunk in this process, in point order, each yielded as soon as it is solved
    (a caller that writes them as they come keeps memory flat in the grid size)."""
    check_spec(spec)
    done = 0
    for a, b in spec.chunks():
        part = evaluate_chunk(spec, a, b)
        done += b - a
        if progress is not None:
            progress(done, spec.n_points)
        yield part


def run_serial(spec: SweepSpec, progress: Progress | None = None) -> pd.DataFrame:
    """Every chunk in this process, in order, gathered into one frame."""
    return gather_parts(list(iter_serial(spec, progress)))


# --------------------------------------------------------------------------- spec + result
#: Default points per chunk of each engine.
CHUNK_POINTS = {"feedback": 65_536, "decay": 8}


#: Chunks per local worker :func:`chunk_for_workers` aims at (the last ones balance the load).
CHUNKS_PER_WORKER = 4


def chunk_for_workers(engine: str, n_points: int, workers: int) -> int:
    """Points per chunk for ``workers`` local workers: the engine's default, made smaller
    when the grid would otherwise give fewer than :data:`CHUNKS_PER_WORKER` chunks per
    worker (e.g. 100,000 shocks: 2 chunks of 65,536 and 34,464 leave one worker idle half
    the time; 8 chunks of 12,500 do not). The rows do not depend on it."""
    if engine not in CHUNK_POINTS:
        raise GaemiInputError(f"engine = {engine!r} must be one of {sorted(CHUNK_POINTS)}")
    if workers < 1:
        raise GaemiInputError(f"workers = {workers} must be >= 1")
    return max(1, min(CHUNK_POINTS[engine], -(-n_points // (CHUNKS_PER_WORKER * workers))))


def sweep_spec(
    engine: str = "feedback",
    axes: Mapping[str, Sequence[Any]] | None = None,
    *,
    scenario: str | None = None,
    paths: int = 10_000,
    expense_ratio: float | None = None,
    rng: int = 0,
    chunk_points: int | None = None,
    state: MarketState | None = None,
    creations: str | float | None = None,
) -> SweepSpec:
    """A checked sweep: the axes in the given order, the engine's options, the seed.

    The decay engine's rate and spread are the embedded ``vol_params.yaml`` figures (the
    set-up of :func:`gaemi.app.decay.decay`); the feedback engine uses the state's fund
    universe when a state is given. A feedback sweep evaluates its first point here, so a
    bad scenario or underlying fails before any worker starts. ``creations``
    (``none`` | ``measured`` | a β, :func:`gaemi.app.flows.parse_creations`; feedback
    only) is an option of the spec unless ``none``: the default spec, and its rows, are
    those of a sweep without creations.
    """
    if engine not in ENGINE_AXES:
        raise GaemiInputError(f"engine = {engine!r} must be one of {sorted(ENGINE_AXES)}")
    mode: str | float = "none"
    if creations is not None:
        from gaemi.app.flows import parse_creations

        mode = parse_creations(creations)
        if engine != "feedback" and mode != "none":
            raise GaemiInputError(f"creations = {creations!r} applies to the feedback engine only")
    if not (isinstance(rng, int) and rng >= 0):
        raise GaemiInputError(f"seed = {rng!r} must be an integer >= 0")
    ax = [Axis(k, tuple(v)) for k, v in (axes or {}).items()]
    options: list[tuple[str, Any]] = []
    if engine == "feedback":
        if scenario is not None:
            options.append(("scenario", str(scenario)))
        if state is not None:
            options.append(("universe", state.universe))
        if mode != "none":
            options.append(("creations", mode))
    else:
        from gaemi.app.decay import vol_defaults

        if not (isinstance(paths, int) and paths >= 1):
            raise GaemiInputError(f"paths = {paths!r} must be an integer >= 1")
        from gaemi.app.decay import DECAY_BYTES_PER_PATH, check_paths_memory

        check_paths_memory(paths, DECAY_BYTES_PER_PATH)  # one point at a time per worker
        vd = vol_defaults()
        options += [
            ("paths", paths),
            ("expense_ratio", 0.0 if expense_ratio is None else float(expense_ratio)),
            ("spread_annual", vd.spread_annual),
            ("rate_annual", vd.rate_annual),
        ]
    spec = SweepSpec(
        engine,
        tuple(ax),
        tuple(options),
        seed=rng,
        chunk_points=CHUNK_POINTS[engine] if chunk_points is None else chunk_points,
    )
    check_spec(spec)
    if engine == "feedback":  # fail here, not on a worker, on a bad scenario/underlying
        evaluate_chunk(spec, 0, 1)
    return spec


@dataclass(frozen=True, kw_only=True)
class SweepResult(Result):
    """One row per grid point: the axis values, then the engine's outputs.

    Attributes
    ----------
    spec : SweepSpec
        The grid, options, seed and chunking.
    frame : DataFrame
        The rows, in point order.
    """

    spec: SweepSpec
    frame: pd.DataFrame
    kind: str = field(default="sweep", init=False, repr=False)

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """All rows (``point`` then the axes, then the outputs)."""
        return self.frame

    def summary(self) -> str:
        shape = " x ".join(f"{a.name}[{len(a)}]" for a in self.spec.axes)
        return (
            f"sweep {self.spec.engine}: {shape} = {self.spec.n_points:,} points, "
            f"seed {self.spec.seed}"
        )

    def extra_dict(self) -> dict[str, Any]:
        return {
            "engine": self.spec.engine,
            "points": self.spec.n_points,
            "seed": self.spec.seed,
            "options": {k: v for k, v in self.spec.options if k != "universe"},
        }


def sweep(
    state: MarketState | None = None,
    engine: str = "feedback",
    *,
    axes: Mapping[str, Sequence[Any]] | None = None,
    scenario: str | None = None,
    paths: int = 10_000,
    expense_ratio: float | None = None,
    rng: int = 0,
    chunk_points: int | None = None,
    runner: Runner | None = None,
    progress: Progress | None = None,
    creations: str | float | None = None,
) -> SweepResult:
    """Run an engine over the product of ``axes`` (row-major, last axis fastest).

    Parameters
    ----------
    state : MarketState, optional
        Its fund universe feeds the feedback engine (default: the embedded one).
    engine : {"feedback", "decay"}
        ``feedback``: the close-liquidity fixed point r = r0 + I(Σ flows(r)) per point;
        ``decay``: a Monte Carlo of a fund's NAV per point (quantiles of F_T/F_0).
    axes : mapping of axis name to values
        feedback: ``underlying``, ``korean_aum_usd``, ``liquidity_scale``, ``impact_y``,
        ``shock_frac`` (required); decay: ``leverage``, ``vol_annual`` (required),
        ``horizon_days``, ``drift_annual``.
    rng : int
        Root seed; point i draws from child i of ``SeedSequence(rng)``.
    runner : callable(spec, progress=...) -> DataFrame, optional
        Where the chunks run (default: this process, :func:`run_serial`; the CLI passes
        :func:`gaemi.present.dist.run_dask`). The numbers do not depend on it.
    creations : {"none", "measured"} or float, optional
        feedback: creations that respond to the move, C = β·A·r (default ``none``, as
        :func:`gaemi.app.stress.stress`): each point's leveraged funds trade
        (L(L−1) + L·β)·A·r with β of the point's shock side and the panic rule is off —
        the row equals ``gaemi stress --creations`` at that shock. The result's
        ``choices`` say which (:func:`creations_choice`).

    References
    ----------
    Bouchaud et al. (2018), *Trades, Quotes and Prices*, ch. 12 (square-root impact);
    Avellaneda & Zhang (2010) (decay).
    """
    spec = sweep_spec(
        engine,
        axes,
        scenario=scenario,
        paths=paths,
        expense_ratio=expense_ratio,
        rng=rng,
        chunk_points=chunk_points,
        state=state,
        creations=creations,
    )
    run = runner if runner is not None else run_serial
    df = run(spec, progress=progress)
    return SweepResult(
        spec=spec,
        frame=df,
        sources=("stress scenario: " + (scenario or "embedded default"),)
        if engine == "feedback"
        else ("vol_params.yaml (rate, spread)",),
        choices=(creations_choice(creations),) if engine == "feedback" else (),
    )


def creations_choice(creations: str | float | None) -> Choice:
    """The creations :class:`Choice` of a feedback sweep: which, why, and that each point
    takes the β of its shock's side (:func:`gaemi.app.flows.creations_beta`)."""
    from gaemi.app.flows import creations_beta, parse_creations

    choice = creations_beta(_default_universe(), creations, move_frac=-1.0)[1]
    if parse_creations(creations) == "none":
        return choice
    return Choice(
        choice.name,
        choice.value,
        choice.why + "; each grid point takes the β of its shock's side (a fall or no "
        "move: β_down; a rise: β_up) and the panic rule is off, as gaemi stress --creations",
    )


__all__ = [
    "DECAY_PROBS",
    "ENGINE_AXES",
    "SweepResult",
    "check_spec",
    "chunk_for_workers",
    "creations_choice",
    "evaluate_chunk",
    "feedback_points_reference",
    "gather_parts",
    "iter_serial",
    "run_serial",
    "sweep",
    "sweep_spec",
]
