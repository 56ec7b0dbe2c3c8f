"""Universe validation in the core: leverage, what-ifs and their limits."""

from __future__ import annotations

import numpy as np
import pytest

from gaemi.core.universe import MAX_AUM_USD, Universe, is_fund_leverage
from gaemi.errors import GaemiInputError


@pytest.mark.parametrize("lev", [0.0, 0.03, 0.5, 0.999, 1.0, np.nan, np.inf])
def test_zero_to_one_is_not_a_fund_leverage(lev: float) -> None:
    # audit: `--fund 3%:45e9` read L = 0.03; L(L-1) < 0 bought on a down day
    assert not is_fund_leverage(lev)
    if np.isfinite(lev):
        with pytest.raises(GaemiInputError) as err:
            Universe.hypothetical([lev], [1e9])
        assert str(err.value) == (
            f"hypothetical funds: fund HYP1 leverage = {float(lev)!r} is not a leveraged or "
            "inverse fund (need L > 1 or L < 0)"
        )


@pytest.mark.parametrize("lev", [-3.0, -2.0, -1.0, -0.5, 1.5, 2.0, 3.0])
def test_leveraged_and_inverse_stay_valid(lev: float) -> None:
    assert is_fund_leverage(lev)
    assert Universe.hypothetical([lev], [1e9]).leverage[0] == lev


def test_korean_what_ifs_are_bounded() -> None:
    u = Universe.hypothetical([3.0], [1e9], ["NDX"], [0.1])
    # the web API's and the universe loader's limit: $10T
    assert MAX_AUM_USD == 1e13
    with pytest.raises(GaemiInputError) as err:
        u.with_korean_aum(1e308)
    assert str(err.value) == "korean_aum_usd = 1e+308 USD must be in [0, 1e+13] ($10T)"
    with pytest.raises(GaemiInputError) as err:
        u.with_korean_holdings({"HYP1": np.float64(2e13)})
    assert str(err.value) == "korean holdings for HYP1: 2e+13 USD must be in [0, 1e+13]"
    assert u.with_korean_aum(1e13).korean_aum_usd[0] == pytest.approx(1e13)
