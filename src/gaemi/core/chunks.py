"""Monte Carlo in chunks of paths whose random numbers do not depend on the chunking.

Paths are numbered 0 … n−1 and cut into *seed blocks* of ``SEED_BLOCK`` paths; seed block
k always draws from child k of ``SeedSequence(seed).spawn(...)``. Work is done in
*chunks* of one or more whole seed blocks, on threads. Every draw puts the path axis
last, and :class:`BlockedRng` fills each seed block's columns from that block's own
stream, so the numbers — and the results — depend on the seed and the number of paths
only: not on the chunk size, the number of threads, or the order chunks finish. Memory
is one chunk per worker plus the per-path outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaemi.errors import GaemiInputError

#: Paths per random stream. Part of the random-number layout: changing it changes draws.
SEED_BLOCK = 2048
#: Default paths per chunk (one seed block: cache-sized arrays, no copies).
CHUNK_PATHS = SEED_BLOCK

Progress = Callable[[int, int], None]


class BlockedRng:
    """Draws for a chunk of paths, each seed block's columns from its own generator.

    Supports what the path models use — ``standard_normal``, ``chisquare``, ``integers``,
    ``standard_exponential``, ``random``
    — with the path axis as the **last** axis of ``size``. With one seed block it hands
    the generator's array through unchanged; with several it fills column slices.
    """

    def __init__(self, generators: Sequence[np.random.Generator], widths: Sequence[int]):
        if len(generators) != len(widths) or not generators:
            raise GaemiInputError("BlockedRng: one generator per seed block is needed")
        self._gens = list(generators)
        self._widths = [int(w) for w in widths]
        self.n_paths = sum(self._widths)

    def _fill(
        self, size: tuple[int, ...], draw: Callable[[np.random.Generator, tuple[int, ...]], Any]
    ) -> NDArray[Any]:
        if size[-1] != self.n_paths:
            raise GaemiInputError(
                f"BlockedRng: last axis {size[-1]} must be the chunk's {self.n_paths} paths"
            )
        if len(self._gens) == 1:
            return np.asarray(draw(self._gens[0], size))
        parts = [
            np.asarray(draw(g, (*size[:-1], w)))
            for g, w in zip(self._gens, self._widths, strict=True)
        ]
        return np.concatenate(parts, axis=-1)

    def standard_normal(self, size: tuple[int, ...], dtype: Any = np.float64) -> NDArray[Any]:
        """Standard normals of ``dtype`` (float64 or float32)."""
        return self._fill(size, lambda g, s: g.standard_normal(s, dtype=dtype))

    def chisquare(self, df: float, size: tuple[int, ...]) -> NDArray[np.float64]:
        """Chi-square variates with ``df`` degrees of freedom."""
        return np.asarray(self._fill(size, lambda g, s: g.chisquare(df, s)), dtype=np.float64)

    def standard_exponential(self, size: tuple[int, ...], dtype: Any = np.float64) -> NDArray[Any]:
        """Unit exponentials of ``dtype`` (ziggurat; float32 is about twice as fast)."""
        return self._fill(size, lambda g, s: g.standard_exponential(s, dtype=dtype))

    def random(self, size: tuple[int, ...], dtype: Any = np.float64) -> NDArray[Any]:
        """Uniforms on [0, 1) of ``dtype``."""
        return self._fill(size, lambda g, s: g.random(s, dtype=dtype))

    def integers(self, low: int, high: int, size: tuple[int, ...]) -> NDArray[np.int64]:
        """Integers in [low, high)."""
        return np.asarray(self._fill(size, lambda g, s: g.integers(low, high, s)), dtype=np.int64)


#: What path models draw from: a NumPy generator or a chunk's blocked streams.
Draws = np.random.Generator | BlockedRng
#: ``fn(draws, start, stop)`` simulates paths ``start:stop`` and stores its own results.
ChunkFn = Callable[[BlockedRng, int, int], None]


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
    fn: ChunkFn,
    *,
    chunk_paths: int = CHUNK_PATHS,
    workers: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Run ``fn`` over all chunks of paths; returns the number of chunks.

    Parameters
    ----------
    n_paths : int
        Total number of paths (>= 1).
    rng : seed, SeedSequence or Generator
        Source of the per-seed-block streams (same seed → same numbers).
    fn : callable
        ``fn(draws, start, stop)``; must write its results for paths ``start:stop``.
    chunk_paths : int
        Paths per chunk, rounded up to whole seed blocks. Results do not depend on it;
        larger chunks mean fewer Python-level steps and more memory.
    workers : int, optional
        Threads (default :func:`default_workers`); results do not depend on it.
    progress : callable, optional
        ``progress(done_paths, n_paths)`` after each chunk, from the calling thread.
    """
    if n_paths < 1:
        raise GaemiInputError(f"paths = {n_paths} must be >= 1")
    if chunk_paths < 1:
        raise GaemiInputError(f"chunk_paths = {chunk_paths} must be >= 1")
    per_chunk = -(-chunk_paths // SEED_BLOCK)
    n_seed_blocks = -(-n_paths // SEED_BLOCK)
    children = seed_sequence(rng).spawn(n_seed_blocks)
    chunks = [
        list(range(k, min(k + per_chunk, n_seed_blocks)))
        for k in range(0, n_seed_blocks, per_chunk)
    ]

    def job(blocks: list[int]) -> int:
        start = blocks[0] * SEED_BLOCK
        stop = min(n_paths, (blocks[-1] + 1) * SEED_BLOCK)
        gens = [np.random.Generator(np.random.PCG64(children[b])) for b in blocks]
        widths = [min(n_paths, (b + 1) * SEED_BLOCK) - b * SEED_BLOCK for b in blocks]
        fn(BlockedRng(gens, widths), start, stop)
        return stop - start

    done = 0
    w = default_workers() if workers is None else max(1, int(workers))
    if w == 1 or len(chunks) == 1:
        for c in chunks:
            done += job(c)
            if progress is not None:
                progress(done, n_paths)
        return len(chunks)
    with ThreadPoolExecutor(max_workers=w) as pool:
        futures = [pool.submit(job, c) for c in chunks]
        for fut in as_completed(futures):
            done += fut.result()
            if progress is not None:
                progress(done, n_paths)
    return len(chunks)
