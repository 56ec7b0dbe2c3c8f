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

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

# The grid check, the engines' chunk evaluators and the serial runner live in the
# application layer (one definition for the CLI, Python and the Dask workers).
from gaemi.app.sweep import (
    DECAY_PROBS,
    ENGINE_AXES,
    check_spec,
    evaluate_chunk,
    gather_parts,
    run_serial,
)
from gaemi.core.sweep import SweepSpec
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd


Progress = Callable[[int, int], None]

__all__ = ["DECAY_PROBS", "ENGINE_AXES", "check_spec", "evaluate_chunk", "run_dask", "run_serial"]


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
            dashboard_address=":0",  # any free port: 8787 may be taken by another cluster
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
        return gather_parts(parts)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
