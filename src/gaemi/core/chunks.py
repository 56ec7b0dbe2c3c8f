"""Monte Carlo in fixed-size blocks of paths, each with its own spawned random stream.

Paths are cut into blocks of ``block_paths``; block k always draws from child k of
``SeedSequence(seed).spawn(...)``, so the numbers depend on the seed and the number of
paths only — not on how many blocks are run at once, in which order, or on how many
threads. Memory is one block per worker plus the per-path outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

import numpy as np

from gaemi.errors import GaemiInputError

#: Paths per block: large enough to amortise Python overhead, small enough for cache.
BLOCK_PATHS = 2048

Progress = Callable[[int, int], None]
#: ``fn(rng, start, stop)`` simulates paths ``start:stop`` and stores its own results.
BlockFn = Callable[[np.random.Generator, int, int], None]


def seed_sequence(rng: Any) -> np.random.SeedSequence:
    """The SeedSequence behind anything ``numpy.random.default_rng`` accepts."""
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        seq = rng.bit_generator.seed_seq
        if isinstance(seq, np.random.SeedSequence):
            return seq
        return np.random.SeedSequence(int(rng.integers(0, 2**63)))
    return np.random.SeedSequence(rng)


def default_workers() -> int:
    """Threads to use: the machine's cores, at most 8 (NumPy releases the GIL in kernels)."""
    return max(1, min(8, os.cpu_count() or 1))


def run_blocks(
    n_paths: int,
    rng: Any,
    fn: BlockFn,
    *,
    block_paths: int = BLOCK_PATHS,
    workers: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Run ``fn`` over all blocks of paths; returns the number of blocks.

    Parameters
    ----------
    n_paths : int
        Total number of paths (>= 1).
    rng : seed, SeedSequence or Generator
        Source of the per-block seeds (same seed → same numbers).
    fn : callable
        ``fn(generator, start, stop)``; must write its results for paths ``start:stop``.
    block_paths : int
        Paths per block (part of the random-number layout: changing it changes draws).
    workers : int, optional
        Threads (default :func:`default_workers`); results do not depend on it.
    progress : callable, optional
        ``progress(done_paths, n_paths)`` after each block, from the calling thread.
    """
    if n_paths < 1:
        raise GaemiInputError(f"paths = {n_paths} must be >= 1")
    if block_paths < 1:
        raise GaemiInputError(f"block_paths = {block_paths} must be >= 1")
    n_blocks = -(-n_paths // block_paths)
    children = seed_sequence(rng).spawn(n_blocks)
    bounds = [(k * block_paths, min(n_paths, (k + 1) * block_paths)) for k in range(n_blocks)]

    def job(k: int) -> int:
        start, stop = bounds[k]
        fn(np.random.Generator(np.random.PCG64(children[k])), start, stop)
        return stop - start

    done = 0
    w = default_workers() if workers is None else max(1, int(workers))
    if w == 1 or n_blocks == 1:
        for k in range(n_blocks):
            done += job(k)
            if progress is not None:
                progress(done, n_paths)
        return n_blocks
    with ThreadPoolExecutor(max_workers=w) as pool:
        futures = [pool.submit(job, k) for k in range(n_blocks)]
        for fut in as_completed(futures):
            done += fut.result()
            if progress is not None:
                progress(done, n_paths)
    return n_blocks
