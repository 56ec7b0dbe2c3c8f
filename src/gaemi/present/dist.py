"""Sweeps on Dask: evaluate a :class:`~gaemi.core.sweep.SweepSpec` chunk by chunk.

:func:`evaluate_chunk` runs one chunk of grid points through an engine and returns a
DataFrame (one row per point); it is a plain top-level function, so a Dask worker — in
this process, a local process or a remote machine — can run it. :func:`run_serial`
evaluates every chunk here; :func:`run_dask` sends them to a Dask cluster (a
``LocalCluster`` on 127.0.0.1 by default, any scheduler address otherwise). Every point
draws from its own seed (:func:`gaemi.core.sweep.point_seeds`) and the feedback engine is
elementwise, so both give the same numbers whatever the chunking and the worker count.
Dask is imported only inside :func:`run_dask` (extra ``dist``).

Engines
-------
``feedback``
    Axes (any subset; missing ones take the scenario's value): ``underlying`` (str),
    ``korean_aum_usd`` (None keeps the universe's holdings), ``liquidity_scale``
    (multiplies every ADV), ``impact_y`` (the square-root law's Y) and ``shock_frac``
    (required). Options: ``scenario`` (a stress YAML path). Deterministic.
``decay``
    Monte Carlo per point of a daily-reset fund's NAV under constant volatility. Axes:
    ``leverage``, ``vol_annual``, ``horizon_days``, ``drift_annual``. Options ``paths``
    (per point), ``expense_ratio``, ``spread_annual``, ``rate_annual``.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.core.sweep import SweepSpec, point_seeds
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.data.stress import StressScenario

Progress = Callable[[int, int], None]

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


def _feedback_chunk(spec: SweepSpec, start: int, stop: int) -> pd.DataFrame:
    import dataclasses

    import pandas as pd

    from gaemi.core.feedback import solve
    from gaemi.data.stress import build_stress_model
    from gaemi.data.universe import load_default_universe

    sc = _scenario(spec.option("scenario"))
    base_universe = load_default_universe()
    pts = spec.points(start, stop)
    n = stop - start
    und = pts.get("underlying", np.full(n, str(spec.option("underlying", "NDX"))))
    aum = pts.get("korean_aum_usd", np.full(n, np.nan))
    liq = pts.get("liquidity_scale", np.ones(n))
    y = pts.get("impact_y", np.full(n, float(sc.y)))
    shock = np.asarray(pts["shock_frac"], dtype=np.float64)
    cols: dict[str, np.ndarray[Any, Any]] = {
        "final_move_frac": np.empty(n),
        "extra_move_frac": np.empty(n),
        "amplification": np.empty(n),
        "total_flow_usd": np.empty(n),
        "runaway": np.empty(n, dtype=bool),
        "cb_level": np.empty(n, dtype=np.int64),
    }
    groups: dict[tuple[str, float, float, float], list[int]] = {}
    for i in range(n):
        groups.setdefault((str(und[i]), float(aum[i]), float(liq[i]), float(y[i])), []).append(i)
    universes: dict[float, Any] = {}
    for (u_name, a, lq, yy), idx in groups.items():
        if a not in universes:
            universes[a] = base_universe if math.isnan(a) else base_universe.with_korean_aum(a)
        model = build_stress_model(
            dataclasses.replace(sc, y=yy), universes[a], u_name, adv_scale=lq
        )
        sel = np.asarray(idx)
        res = solve(model, shock[sel])
        cols["final_move_frac"][sel] = res.final_move_frac
        cols["extra_move_frac"][sel] = res.extra_move_frac
        cols["amplification"][sel] = res.amplification
        cols["total_flow_usd"][sel] = res.total_flow_usd
        cols["runaway"][sel] = res.runaway
        cols["cb_level"][sel] = res.cb_level
    return pd.DataFrame({**pts, **cols})


# ----------------------------------------------------------------------------- decay
def _decay_chunk(spec: SweepSpec, start: int, stop: int) -> pd.DataFrame:
    import pandas as pd

    from gaemi.core.decay import simulate_fund
    from gaemi.core.nav import FundTerms
    from gaemi.core.paths import ConstantVol

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
            float(spec.option("expense_ratio", 0.0095)),
            float(spec.option("spread_annual", 0.004)),
        )
        res = simulate_fund(
            terms,
            ConstantVol(float(vol[i]), float(drift[i])),
            int(d),
            paths,
            seeds[i],
            rate_annual=float(spec.option("rate_annual", 0.04)),
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


def _gather(parts: list[pd.DataFrame]) -> pd.DataFrame:
    import pandas as pd

    df = pd.concat(parts, ignore_index=True)
    return df.sort_values("point", kind="stable").reset_index(drop=True)


def run_serial(spec: SweepSpec, progress: Progress | None = None) -> pd.DataFrame:
    """Every chunk in this process, in order."""
    check_spec(spec)
    parts, done = [], 0
    for a, b in spec.chunks():
        parts.append(evaluate_chunk(spec, a, b))
        done += b - a
        if progress is not None:
            progress(done, spec.n_points)
    return _gather(parts)


def run_dask(
    spec: SweepSpec,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    processes: bool = True,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Every chunk as a Dask task; results gathered in point order.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``). None starts a
        ``LocalCluster`` on 127.0.0.1 with ``workers`` single-threaded workers, closed
        when the sweep ends.
    processes : bool
        Local workers as processes (parallel NumPy and Python) or threads of this one.
    """
    check_spec(spec)
    if workers < 1:
        raise GaemiInputError(f"workers = {workers} must be >= 1")
    try:
        import distributed
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise GaemiInputError(
            "gaemi sweep needs Dask: pip install 'gaemi[dist]' (or use --serial)"
        ) from None
    import logging

    dd: Any = distributed  # untyped library: keep mypy's no-untyped-call quiet in one place
    cluster = None
    if scheduler is None:
        cluster = dd.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            protocol="tcp://",  # also for thread workers: tasks go through pickling
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = dd.Client(cluster)
    else:
        try:
            client = dd.Client(scheduler, timeout="5s")
        except OSError as exc:
            raise GaemiInputError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        chunks = spec.chunks()
        token = uuid.uuid4().hex[:12]  # keys unique per sweep on a shared cluster
        futures = [
            client.submit(evaluate_chunk, spec, a, b, key=f"gaemi-sweep-{token}-{a}-{b}")
            for a, b in chunks
        ]
        size = {f.key: b - a for f, (a, b) in zip(futures, chunks, strict=True)}
        parts, done = [], 0
        for fut in dd.as_completed(futures):
            parts.append(fut.result())
            done += size[fut.key]
            if progress is not None:
                progress(done, spec.n_points)
        return _gather(parts)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
