"""A parameter sweep as data: a grid of named axes, cut into chunks, one seed per point.

A sweep is the Cartesian product of its axes (row-major: the last axis varies fastest),
numbered 0 … n−1. It is cut into chunks of consecutive points; point i draws its random
numbers from child i of ``SeedSequence(seed)`` (what ``SeedSequence(seed).spawn(n)[i]``
returns, built without spawning the n − 1 others). So a point's result depends on the
seed and the point only — not on the chunk size, the number of workers, or the order in
which chunks finish. The engines that evaluate a chunk live at the edges
(:mod:`gaemi.present.dist`); this module holds no engine and no scheduler.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gaemi.errors import GaemiInputError

#: Default grid points per chunk: a few thousand scenarios keep a task well above the
#: scheduler's per-task overhead (~1 ms) and its memory small.
CHUNK_POINTS = 4096
#: Largest grid accepted (the gathered result is one row per point).
MAX_POINTS = 50_000_000


@dataclass(frozen=True)
class Axis:
    """One swept parameter: its name (with units, e.g. ``korean_aum_usd``) and values."""

    name: str
    values: tuple[float, ...] | tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise GaemiInputError(f"sweep axis name {self.name!r} must be an identifier")
        if len(self.values) == 0:
            raise GaemiInputError(f"sweep axis {self.name}: needs at least one value")
        if len(set(self.values)) != len(self.values):
            raise GaemiInputError(f"sweep axis {self.name}: values repeat ({self.values!r})")
        for v in self.values:
            if isinstance(v, float) and not math.isfinite(v):
                raise GaemiInputError(f"sweep axis {self.name}: value {v!r} is not finite")

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep: an engine name, its axes, options, a seed and the chunk size.

    Parameters
    ----------
    engine : str
        Which engine evaluates a point (``"feedback"``, ``"decay"``); interpreted by the
        presentation layer, not here.
    axes : sequence of Axis
        The grid (row-major, last axis fastest). Axis names must be distinct.
    options : sequence of (str, value)
        Engine settings that are the same at every point (paths per point, scenario file).
    seed : int
        Root of the per-point seeds.
    chunk_points : int
        Points per chunk (results do not depend on it).
    """

    engine: str
    axes: tuple[Axis, ...]
    options: tuple[tuple[str, Any], ...] = ()
    seed: int = 0
    chunk_points: int = CHUNK_POINTS

    def __post_init__(self) -> None:
        names = [a.name for a in self.axes]
        if not names:
            raise GaemiInputError("a sweep needs at least one axis")
        if len(set(names)) != len(names):
            raise GaemiInputError(f"sweep axes repeat a name: {names}")
        if self.chunk_points < 1:
            raise GaemiInputError(f"chunk_points = {self.chunk_points} must be >= 1")
        if self.seed < 0:
            raise GaemiInputError(f"seed = {self.seed} must be >= 0")
        if self.n_points > MAX_POINTS:
            raise GaemiInputError(
                f"sweep of {self.n_points:,} points is above the limit of {MAX_POINTS:,}"
            )

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values on each axis."""
        return tuple(len(a) for a in self.axes)

    @property
    def n_points(self) -> int:
        """Grid points: the product of the axis lengths."""
        return math.prod(self.shape)

    def option(self, name: str, default: Any = None) -> Any:
        """An engine option by name."""
        return dict(self.options).get(name, default)

    def chunks(self) -> list[tuple[int, int]]:
        """``(start, stop)`` point ranges of the chunks, in order."""
        n, c = self.n_points, self.chunk_points
        return [(a, min(n, a + c)) for a in range(0, n, c)]

    def points(self, start: int, stop: int) -> dict[str, NDArray[Any]]:
        """The axis values of points ``start:stop``, one array per axis, plus ``point``."""
        if not 0 <= start <= stop <= self.n_points:
            raise GaemiInputError(f"points {start}:{stop} outside 0:{self.n_points}")
        idx = np.arange(start, stop, dtype=np.int64)
        out: dict[str, NDArray[Any]] = {"point": idx}
        for axis, pos in zip(self.axes, np.unravel_index(idx, self.shape), strict=True):
            out[axis.name] = np.asarray(axis.values)[pos]
        return out


def point_seeds(seed: int, start: int, stop: int) -> list[np.random.SeedSequence]:
    """Children ``start:stop`` of ``SeedSequence(seed)``, equal to ``spawn(stop)[start:]``.

    ``SeedSequence.spawn`` gives child i the spawn key ``(i,)`` under the parent's entropy;
    building those keys directly lets a chunk make its own seeds in O(chunk) time.
    """
    if not 0 <= start <= stop:
        raise GaemiInputError(f"seed range {start}:{stop} is not valid")
    root = np.random.SeedSequence(seed)
    return [
        np.random.SeedSequence(
            root.entropy, spawn_key=(*root.spawn_key, i), pool_size=root.pool_size
        )
        for i in range(start, stop)
    ]
