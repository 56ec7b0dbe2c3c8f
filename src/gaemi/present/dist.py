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
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

# The grid check, the engines' chunk evaluators and the serial runner live in the
# application layer (one definition for the CLI, Python and the Dask workers).
from gaemi.app.sweep import (
    DECAY_PROBS,
    ENGINE_AXES,
    check_spec,
    evaluate_chunk,
    gather_parts,
    iter_serial,
    run_serial,
)
from gaemi.core.sweep import SweepSpec
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd


Progress = Callable[[int, int], None]

__all__ = [
    "DECAY_PROBS",
    "ENGINE_AXES",
    "check_spec",
    "evaluate_chunk",
    "iter_dask",
    "iter_dask_threads",
    "iter_serial",
    "run_dask",
    "run_serial",
]


def run_dask(
    spec: SweepSpec,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    processes: bool = True,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Every chunk as a Dask task; results gathered in point order (see :func:`iter_dask`)."""
    return gather_parts(
        list(
            iter_dask(
                spec,
                scheduler=scheduler,
                workers=workers,
                processes=processes,
                progress=progress,
            )
        )
    )


def iter_dask(
    spec: SweepSpec,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    processes: bool = True,
    progress: Progress | None = None,
    in_flight: int | None = None,
    help_here: bool = True,
) -> Iterator[pd.DataFrame]:
    """Every chunk as a Dask task, yielded in point order as soon as it can be.

    At most ``in_flight`` chunks (default 2 per worker) are on the workers and a few more
    held here, so a caller that writes each chunk as it comes keeps memory flat in the
    grid size. With ``help_here`` (default) this process, otherwise idle while it waits,
    solves the next chunk itself whenever the chunk due next is not back yet (during the
    workers' start-up, typically): a local cluster is then never slower than ``--serial``
    by more than its start-up. Where a chunk runs does not change its numbers.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``). None starts a
        ``LocalCluster`` on 127.0.0.1 with ``workers`` single-threaded workers, closed
        when the sweep ends.
    processes : bool
        Local workers as processes (a ``LocalCluster``: parallel NumPy and Python, seconds
        to start) or, with False, threads of this one on Dask's threaded scheduler
        (:func:`iter_dask_threads`: no cluster to start, nothing pickled).
    """
    import pandas as pd

    check_spec(spec)
    if workers < 1:
        raise GaemiInputError(f"workers = {workers} must be >= 1")
    if scheduler is None and not processes:
        yield from iter_dask_threads(
            spec, workers=workers, progress=progress, in_flight=in_flight, help_here=help_here
        )
        return
    try:
        import distributed
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise GaemiInputError(
            "gaemi sweep needs Dask: pip install 'gaemi[dist]' (or use --serial)"
        ) from None
    import logging

    dd: Any = distributed  # untyped library: keep mypy's no-untyped-call quiet in one place
    box: dict[str, Any] = {}

    def start_local() -> None:
        import dask

        try:
            # Dask's default MALLOC_TRIM_THRESHOLD_ for worker processes turns off glibc's
            # dynamic mmap threshold, so every temporary array of a chunk is a fresh mmap
            # and page-faulted anew: the feedback kernel ran 5x slower in a worker.
            with dask.config.set(
                {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
            ):
                box["cluster"] = dd.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=processes,
                    protocol="tcp://",  # also for thread workers: tasks go through pickling
                    host="127.0.0.1",
                    dashboard_address=":0",  # any free port: 8787 may be taken
                    silence_logs=logging.ERROR,
                )
            client = dd.Client(box["cluster"])
            box["client"] = client
            # warm the workers (imports, the scenario and universe caches) before they
            # count as ready: until then this process keeps solving chunks itself
            client.run(evaluate_chunk, spec, 0, 1)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    starter = None
    if scheduler is None:
        import threading

        # the cluster starts in the background while this process solves the first
        # chunks itself (the start-up costs seconds; small grids are done before it ends)
        starter = threading.Thread(target=start_local, name="gaemi-dask-start", daemon=True)
        starter.start()
    else:
        try:
            box["client"] = dd.Client(scheduler, timeout="5s")
        except OSError as exc:
            raise GaemiInputError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        chunks = spec.chunks()
        window = max(2, in_flight if in_flight is not None else 2 * workers)
        ahead = window + 2  # chunks solved or in flight ahead of the next one yielded
        token = uuid.uuid4().hex[:12]  # keys unique per sweep on a shared cluster
        slots: dict[int, Any] = {}  # chunk -> Future (on a worker) or DataFrame (here)
        n_futures = next_submit = next_yield = done = 0
        while help_here and next_yield < len(chunks) and starter is not None and starter.is_alive():
            a, b = chunks[next_yield]  # no cluster yet: solve here, in order
            part = evaluate_chunk(spec, a, b)
            next_yield = next_submit = next_yield + 1
            done += b - a
            if progress is not None:
                progress(done, spec.n_points)
            yield part
        if starter is not None:
            starter.join()
            if "error" in box:
                raise box["error"]
        client = box["client"]
        while next_yield < len(chunks):
            while (
                next_submit < len(chunks)
                and n_futures < window
                and next_submit - next_yield < ahead
            ):
                a, b = chunks[next_submit]
                slots[next_submit] = client.submit(
                    evaluate_chunk, spec, a, b, key=f"gaemi-sweep-{token}-{a}-{b}"
                )
                n_futures += 1
                next_submit += 1
            head = slots[next_yield]
            is_future = not isinstance(head, pd.DataFrame)
            if (
                help_here
                and is_future
                and not head.done()
                and next_submit < len(chunks)
                and next_submit - next_yield < ahead
            ):
                # the workers are busy (or still starting): solve the next chunk here
                # rather than wait idle; the numbers do not depend on where a chunk runs
                a, b = chunks[next_submit]
                slots[next_submit] = evaluate_chunk(spec, a, b)
                next_submit += 1
                continue
            part = head.result() if is_future else head
            n_futures -= int(is_future)
            del slots[next_yield]
            a, b = chunks[next_yield]
            next_yield += 1
            done += b - a
            if progress is not None:
                progress(done, spec.n_points)
            yield part
    finally:
        if starter is not None:
            starter.join()
        if "client" in box:
            box["client"].close()
        if "cluster" in box:
            box["cluster"].close()


def iter_dask_threads(
    spec: SweepSpec,
    *,
    workers: int = 2,
    progress: Progress | None = None,
    in_flight: int | None = None,
    help_here: bool = True,
) -> Generator[pd.DataFrame, None, None]:
    """Every chunk as a task of Dask's threaded scheduler, yielded in point order.

    The engines' kernels are NumPy and release the GIL in their array work, so
    ``workers`` threads of this process solve chunks in parallel with none of a
    ``LocalCluster``'s costs: no processes to start (~3 s on 2 cores), no scheduler, no
    spec or universe pickled per task (the threads share this process's objects and
    caches). The graph runs in a background thread; each finished chunk goes through a
    queue of at most ``in_flight`` (default 2 per worker) chunks, so a caller that writes
    each chunk as it comes keeps memory flat in the grid size. Dask itself is imported in
    that background thread; with ``help_here`` (default) the caller's thread solves the
    first chunks meanwhile, so the import costs no waiting. Where a chunk runs does not
    change its numbers (one seed per point).
    """
    import importlib.util
    import queue
    import threading
    from concurrent.futures import ThreadPoolExecutor

    check_spec(spec)
    if workers < 1:
        raise GaemiInputError(f"workers = {workers} must be >= 1")
    if importlib.util.find_spec("dask") is None:  # pragma: no cover - installed extras
        raise GaemiInputError("gaemi sweep needs Dask: pip install 'gaemi[dist]' (or use --serial)")

    chunks = spec.chunks()
    window = max(2, in_flight if in_flight is not None else 2 * workers)
    out: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
    stop = threading.Event()
    turn = threading.Condition()
    taken = [0]  # chunks handed to a thread so far (a thread takes the next one in order)
    yielded = [0]  # chunks the caller has taken back
    fail: list[BaseException] = []
    ready = threading.Event()  # Dask is imported and its graph about to run

    def task() -> None:
        # Dask runs independent tasks in an order of its own (last key first, here), so a
        # task solves the next chunk in point order, not "its" chunk; and it waits while
        # ``window`` chunks are ahead of the caller: memory stays flat in the grid size.
        with turn:
            i = taken[0]
            taken[0] += 1
            while not stop.is_set() and i >= yielded[0] + window:
                turn.wait(0.1)
        if stop.is_set() or i >= len(chunks):  # caller gone, or this process solved it
            return
        out.put((i, evaluate_chunk(spec, *chunks[i])))

    dsk = {f"gaemi-sweep-{j}": (task,) for j in range(len(chunks))}
    pool = ThreadPoolExecutor(workers, thread_name_prefix="gaemi-sweep")

    def run_graph() -> None:
        try:
            # imported here, in the background (~0.2 s): until the graph runs, the caller's
            # thread solves the first chunks itself (see ``help_here``)
            import dask.threaded

            ready.set()
            dask.threaded.get(dsk, list(dsk), pool=pool)
        except BaseException as exc:  # re-raised in the caller's thread
            fail.append(exc)
        finally:
            out.put((-1, None))

    runner = threading.Thread(target=run_graph, name="gaemi-sweep-dask", daemon=True)
    runner.start()
    try:
        got: dict[int, Any] = {}
        done = 0
        for i, (a, b) in enumerate(chunks):
            while i not in got:
                if help_here and not ready.is_set():
                    with turn:  # no Dask yet: take the next chunk in order, as a task would
                        j = taken[0]
                        mine = j < len(chunks) and j < yielded[0] + window
                        taken[0] += int(mine)
                    if mine:
                        got[j] = evaluate_chunk(spec, *chunks[j])
                        continue
                k, part = out.get()
                if k < 0:
                    if fail:
                        raise fail[0]
                    raise RuntimeError(f"sweep: chunk {i} never came back")  # pragma: no cover
                got[k] = part
            part = got.pop(i)
            done += b - a
            if progress is not None:
                progress(done, spec.n_points)
            yield part
            with turn:
                yielded[0] = i + 1
                turn.notify_all()
    finally:
        stop.set()
        with turn:
            turn.notify_all()
        runner.join()
        pool.shutdown(wait=True)
