"""Return history loaders, the GARCH fit and the embedded vol/investor defaults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gaemi.core.paths import GarchParams, GjrGarchT
from gaemi.data.returns import (
    daily_returns,
    fit_gjr_garch_t,
    joint_returns,
    load_investor_defaults,
    load_vol_defaults,
    read_close_series,
)
from gaemi.errors import GaemiInputError


def test_simulator_and_arch_fit_agree() -> None:
    # Cross-check: paths from our GJR-GARCH-t recursion, fitted by arch's likelihood,
    # give back the parameters (those of QQQ in vol_params.yaml, persistence 0.98).
    true = GarchParams(3.5e-6, 0.0125, 0.1995, 0.868, 5.77, 0.0, None, "NDX")
    r = GjrGarchT((true,), drift_annual=None).sample(np.random.default_rng(0), 8000, 1)[:, 0, 0]
    fit = fit_gjr_garch_t(r, "NDX")
    assert fit.long_run_vol_annual == pytest.approx(true.long_run_vol_annual, rel=0.15)
    assert fit.persistence == pytest.approx(true.persistence, abs=0.03)
    assert fit.gamma == pytest.approx(true.gamma, abs=0.08)
    assert fit.nu == pytest.approx(true.nu, rel=0.35)


def test_embedded_defaults_load_and_are_sane() -> None:
    vd = load_vol_defaults()
    # FACTS.md (c): QQQ realised vol 16–36% a year 2018–2025; SOX proxy SOXX higher.
    assert 0.15 < vd.get("NDX").realised_vol_annual < 0.35
    assert vd.get("SOX").realised_vol_annual > vd.get("NDX").realised_vol_annual
    assert 1000 < vd.usdkrw < 2000  # FACTS.md (d): 1350–1510 in 2025–26
    c = vd.corr_matrix(["TSLA", "NVDA"])
    assert c[0, 1] == c[1, 0]
    assert 0 < c[0, 1] < 1
    with pytest.raises(GaemiInputError, match="no embedded volatility"):
        vd.get("NOPE")
    inv = load_investor_defaults()
    assert inv.maintenance_ratio == 1.4  # FACTS.md (d): usual maintenance ratio 140%
    assert inv.grace_days == 2  # FACTS.md (d): misu by D+2, forced sale D+3
    assert "NOT FOUND" in inv.sources["loan_rate_annual"]


def test_read_close_series_errors(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("Date,Close\n2020-01-02,10\n2020-01-03,0\n")
    with pytest.raises(GaemiInputError, match="<= 0"):
        read_close_series(p)
    p.write_text("When,Close\n2020-01-02,10\n")
    with pytest.raises(GaemiInputError, match="Date column"):
        read_close_series(p)
    with pytest.raises(GaemiInputError, match="does not exist"):
        read_close_series(tmp_path / "missing.csv")
    p.write_text("Date,Close\n2020-01-02,10\n2020-01-03,0.5\n")  # -95% in a day
    with pytest.raises(GaemiInputError, match="split"):
        daily_returns(read_close_series(p))


def test_joint_returns_on_real_history(shared_data: Path) -> None:
    d = shared_data / "us-adjclose-1993-2026"
    df = joint_returns({"TSLA": d / "TSLA.csv", "NVDA": d / "NVDA.csv"}, start="2020-01-01")
    assert list(df.columns) == ["TSLA", "NVDA"]
    # FACTS.md (c): TSLA realised vol 54–90% a year 2020–2025
    assert 0.5 < df["TSLA"].std() * np.sqrt(252) < 0.8


def test_vol_params_unknown_keys_are_errors() -> None:
    import yaml

    from gaemi.data.returns import VOL_PARAMS_RESOURCE, vol_defaults_from_dict

    path = Path(__file__).resolve().parents[2] / "src/gaemi/data/defaults" / VOL_PARAMS_RESOURCE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["underlyings"]["NDX"]["garch"]["omgea"] = 1e-6
    with pytest.raises(GaemiInputError, match=r"underlyings\.NDX\.garch\.omgea"):
        vol_defaults_from_dict(data)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["financing"]["rate_annual"] = 0.9
    with pytest.raises(GaemiInputError, match=r"financing\.rate_annual"):
        vol_defaults_from_dict(data)
