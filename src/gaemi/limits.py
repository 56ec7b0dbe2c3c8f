"""Input limits shared by the core, the loaders, the CLI and the web API.

Plain constants and one predicate (standard library only), so that the command line can
read them without loading NumPy. Each is a sanity bound on user input, not a market fact.
"""

from __future__ import annotations

import math

#: Largest AUM or Korean holding accepted, USD: $10T, about 4x the whole KOSPI's market
#: value (the research note's what-if is $45B); beyond it the engines overflow.
MAX_AUM_USD = 1e13

#: Largest one-day move accepted: +1000 % (an underlying rising elevenfold in a day); a
#: fall is bounded by −100 %.
MAX_MOVE_FRAC = 10.0

#: Largest |leverage| of a fund (the listed products are within ±5x).
MAX_FUND_LEVERAGE = 10.0


def is_fund_leverage(lev: float) -> bool:
    """True for a leveraged (L > 1) or inverse (L < 0) fund's leverage.

    0 ≤ L ≤ 1 is no such fund: L = 1 is a plain fund, 0 < L < 1 a de-levered one (and
    ``3%`` read as 0.03 is a typo for 3) — its close flow L(L−1)·A·r has the wrong sign.
    NaN and infinities are no leverage either.
    """
    return math.isfinite(lev) and (lev < 0.0 or lev > 1.0)
