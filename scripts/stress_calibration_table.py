"""The research note's question, answered by the default stress scenario:
which Korean 3x AUM and which close liquidity turn a −2 % shock into a −5 % close?

Prints the markdown tables of docs/stress.md:

    .venv/bin/python scripts/stress_calibration_table.py

For each underlying (NDX, SOX), impact volume basis (``adv``: the square-root law on daily
volume, the default; ``close``: on the close's capacity) and liquidity scale (× every
ADV), it finds by bisection the total Korean 3x AUM (spread like today's known Korean
holdings, ``Universe.with_korean_aum``) at which the closing move reaches −5 %. The final
move is monotone in that AUM (a law tested in tests/core/test_feedback.py), so bisection
is exact up to its tolerance.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gaemi.core.feedback import solve
from gaemi.data.stress import build_stress_model, load_default_stress
from gaemi.data.universe import load_default_universe

SHOCK = -0.02
TARGET = -0.05
CAP = 10e12  # search limit: $10T of Korean 3x AUM (the universe's limit, gaemi.limits)


def final_move(sc, u, und: str, korean: float | None, scale: float) -> float:  # type: ignore[no-untyped-def]
    uu = u if korean is None else u.with_korean_aum(korean)
    return float(solve(build_stress_model(sc, uu, und, adv_scale=scale), SHOCK).final_move_frac[0])


def required_aum(sc, u, und: str, scale: float) -> float:  # type: ignore[no-untyped-def]
    if final_move(sc, u, und, 0.0, scale) <= TARGET:
        return 0.0
    if final_move(sc, u, und, CAP, scale) > TARGET:
        return np.inf
    lo, hi = 0.0, CAP
    while hi - lo > 1e8:
        mid = 0.5 * (lo + hi)
        if final_move(sc, u, und, mid, scale) <= TARGET:
            hi = mid
        else:
            lo = mid
    return hi


def usd(x: float) -> str:
    if np.isinf(x):
        return f"> ${CAP / 1e12:.0f}T"
    if x == 0:
        return "0 (reached without Korean money)"
    return f"${x / 1e12:.2f}T" if x >= 1e12 else f"${x / 1e9:.0f}B"


def main() -> None:
    base = load_default_stress()
    u = load_default_universe()
    known = float(np.nansum(u.korean_aum_usd[np.abs(u.leverage) >= 3]))
    scales = (1.0, 0.5, 0.25, 0.1)
    print(f"Korean 3x AUM known in the default universe: {usd(known)}\n")
    print("Required total Korean 3x AUM for -2% to close at -5% (default participants):\n")
    print("| underlying | impact volume | " + " | ".join(f"ADV x{s:g}" for s in scales) + " |")
    print("|---|---|" + "---|" * len(scales))
    for und in ("NDX", "SOX"):
        for basis in ("adv", "close"):
            sc = replace(base, volume_basis=basis)
            cells = [usd(required_aum(sc, u, und, s)) for s in scales]
            print(f"| {und} | {basis} | " + " | ".join(cells) + " |")
    print("\nClosing move after a -2% shock (default participants):\n")
    korean = (None, 45e9, 100e9, 200e9)
    heads = ["today" if k is None else usd(k) for k in korean]
    print("| underlying | impact volume | ADV | " + " | ".join(heads) + " |")
    print("|---|---|---|" + "---|" * len(korean))
    for und in ("NDX", "SOX"):
        for basis in ("adv", "close"):
            sc = replace(base, volume_basis=basis)
            for s in (1.0, 0.25):
                cells = [f"{final_move(sc, u, und, k, s):+.2%}" for k in korean]
                print(f"| {und} | {basis} | x{s:g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
