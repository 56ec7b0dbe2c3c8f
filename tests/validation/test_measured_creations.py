"""Measured creations in the flow engine, checked on ../shared/data (issue 16 item 5).

* The embedded class coefficients (``defaults/creations_beta.csv``) are what an
  independent refit of the ProShares issuer data on the training window gives; the window
  ends before every judged stress day.
* ``gaemi flows --creations measured`` on 2025-04-04 (start-of-day AUM of 2025-04-03 from
  the folder, the Nasdaq-100 total-return move of the day) equals A·r·(L(L−1) + L·β)
  summed by hand with the refitted β.
* Out of sample (2025, after the window): the modelled creation trade has the sign of the
  real one on the falls of 2025-04-03/04, i.e. it offsets the rebalancing as the data do.
* The direction-dependent β (β_down on falls, β_up on rises, same window): the embedded
  values are the refit, and ``model`` (what ``measured`` uses) is the one whose modelled
  share of the rebalancing offset is nearer the real same-day share on the 2025 days —
  computed here by hand from the issuer files, per day with the eight funds pooled.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaemi.data.fund_history import ISSUER_FUNDS, index_levels, load_issuer_funds
from gaemi.data.universe import load_creation_betas

TRAIN = ("2011-01-03", "2024-12-31")
#: The judged days (issue 16's 2025 stress days): all after the training window.
JUDGED = ("2025-04-03", "2025-04-04", "2025-04-09", "2025-10-10")
CLASSES = {
    "long_3x": ("TQQQ", "UPRO"),
    "long_2x": ("QLD", "SSO"),
    "inverse_3x": ("SQQQ", "SPXU"),
    "inverse_2x": ("QID", "SDS"),
}


def _class_days(root: Path) -> dict[str, pd.DataFrame]:
    """Per class, per day: Σ ΔS·NAV, Σ A_{t−1}, Σ A_{t−1}·r over the class's funds (plain
    pandas, not gaemi.core.creations)."""
    frames = load_issuer_funds(root)
    levels = index_levels(root)
    out = {}
    for cls, tks in CLASSES.items():
        parts = []
        for t in tks:
            df = frames[t]
            shares = df["aum_usd"] / df["nav_usd"]
            c = shares.diff() * df["nav_usd"]
            a_prev = df["aum_usd"].shift(1)
            r = levels[ISSUER_FUNDS[t].index].pct_change().reindex(df.index)
            parts.append(pd.DataFrame({"c": c, "a": a_prev, "ar": a_prev * r, "r": r}))
        both = pd.concat(parts, keys=tks, names=["fund", "date"]).dropna()
        both = both[(both["a"] > 0)]
        out[cls] = both.groupby(level="date")[["c", "a", "ar"]].sum()
    return out


def _refit(root: Path) -> dict[str, tuple[float, float, float]]:
    """(β, β_down, β_up) per class by least squares over the training days: per day
    y = Σ ΔS·NAV / Σ A_{t−1}, x = Σ A_{t−1}·r / Σ A_{t−1}; y = a + β·x and
    y = a + β_down·min(x, 0) + β_up·max(x, 0)."""
    out = {}
    for cls, day in _class_days(root).items():
        day = day[(day.index >= TRAIN[0]) & (day.index <= TRAIN[1])]
        y = (day["c"] / day["a"]).to_numpy()
        x = (day["ar"] / day["a"]).to_numpy()
        one = np.ones_like(x)
        coef, *_ = np.linalg.lstsq(np.column_stack([one, x]), y, rcond=None)
        two, *_ = np.linalg.lstsq(
            np.column_stack([one, np.minimum(x, 0), np.maximum(x, 0)]), y, rcond=None
        )
        out[cls] = (float(coef[1]), float(two[1]), float(two[2]))
    return out


@pytest.fixture(scope="module")
def refit3(shared_data: Path) -> dict[str, tuple[float, float, float]]:
    return _refit(shared_data)


@pytest.fixture(scope="module")
def refit(refit3: dict[str, tuple[float, float, float]]) -> dict[str, float]:
    return {cls: v[0] for cls, v in refit3.items()}


def test_embedded_betas_are_the_refit_on_a_window_before_the_judged_days(
    refit: dict[str, float],
) -> None:
    emb = load_creation_betas()
    assert emb.train == TRAIN
    assert all(dt.date.fromisoformat(d) > dt.date.fromisoformat(emb.train[1]) for d in JUDGED)
    for cls, beta in refit.items():
        # the file keeps 6 decimals
        assert emb.beta_by_class[cls] == pytest.approx(beta, abs=1e-6), cls
        lo, hi = emb.ci_by_class[cls]
        assert lo < emb.beta_by_class[cls] < hi
    # what the data say: dip-buying in the 3x long funds, money into the 3x inverse funds
    # on rises — both offset the rebalancing; the CIs exclude 0
    assert emb.ci_by_class["long_3x"][1] < 0
    assert emb.ci_by_class["inverse_3x"][0] > 0


def test_measured_flow_on_2025_04_04_is_the_formula_with_the_fitted_beta(
    shared_data: Path, refit3: dict[str, tuple[float, float, float]]
) -> None:
    from gaemi.app.flows import flows
    from gaemi.app.state import load_state
    from gaemi.data.fund_history import load_directional_creation_betas

    # the NDX fell on 2025-04-04: β_down when the table's model is direction-dependent
    direction = load_directional_creation_betas()
    use_down = direction is not None and direction.model == "direction"
    fall_beta = {cls: v[1] if use_down else v[0] for cls, v in refit3.items()}

    day = "2025-04-04"
    state = load_state(data_dir=shared_data, as_of="2025-04-03")  # A_{t−1}
    xndx = index_levels(shared_data)["XNDX"]
    j = int(xndx.index.searchsorted(pd.Timestamp(day)))
    assert xndx.index[j] == pd.Timestamp(day)
    r = float(xndx.iloc[j] / xndx.iloc[j - 1] - 1.0)
    u = state.universe.where_underlying("NDX")
    res = flows(state, universe=u, at={"NDX": r}, creations="measured")
    # by hand: each fund's class from its leverage, β from the refit
    total = 0.0
    for lev, aum in zip(u.leverage, u.aum_usd, strict=True):
        cls = (
            "long_3x"
            if lev >= 2.5
            else "long_2x"
            if lev > 1
            else "inverse_3x"
            if lev <= -2.5
            else "inverse_2x"
        )
        total += aum * r * (lev * (lev - 1.0) + lev * fall_beta[cls])
    got = res.totals()["total_flow_usd"][0]
    assert got == pytest.approx(total, rel=1e-5)  # β in the file has 6 decimals
    none = flows(state, universe=u, at={"NDX": r}).totals()["total_flow_usd"][0]
    print(
        f"\n{day}: NDX {r:+.2%}, {len(u)} funds; close flow none {none / 1e9:+.2f}B, "
        f"measured {got / 1e9:+.2f}B (offset {1 - got / none:.0%})"
    )


def test_out_of_sample_the_modelled_creations_offset_like_the_real_ones(
    shared_data: Path,
) -> None:
    from gaemi.data.fund_history import stress_day_creations

    emb = load_creation_betas()
    real = stress_day_creations(shared_data, JUDGED)
    frames = load_issuer_funds(shared_data)
    levels = index_levels(shared_data)
    rows = []
    for _, row in real.iterrows():
        ts = pd.Timestamp(row["date"])
        model_lc = 0.0
        for t, f in ISSUER_FUNDS.items():
            if f.underlying != row["underlying"]:
                continue
            df, lv = frames[t], levels[f.index]
            k, j = int(df.index.searchsorted(ts)), int(lv.index.searchsorted(ts))
            move = float(lv.iloc[j] / lv.iloc[j - 1] - 1.0)
            cls = next(c for c, tks in CLASSES.items() if t in tks)
            model_lc += f.leverage * emb.beta_by_class[cls] * df["aum_usd"].iloc[k - 1] * move
        rows.append(
            (
                row["date"],
                row["underlying"],
                row["rebalance_flow_usd"],
                model_lc,
                row["creation_trade_usd"],
            )
        )
    print("\nday, underlying, rebalancing, modelled L·β·A·r, real L·C (USD bn), out of sample")
    for d, und, reb, mod, act in rows:
        print(f"{d} {und}: {reb / 1e9:+.2f} {mod / 1e9:+.2f} {act / 1e9:+.2f}")
    for d, _und, reb, mod, act in rows:
        # the model always offsets (sign opposite to the rebalancing) …
        assert np.sign(mod) == -np.sign(reb)
        # … and on the April 2025 falls the real creations did too
        if d in ("2025-04-03", "2025-04-04"):
            assert np.sign(act) == -np.sign(reb)


def _offsets_by_hand(
    root: Path, days: tuple[str, ...], refit3: dict[str, tuple[float, float, float]]
) -> pd.DataFrame:
    """Per day, the eight funds pooled: share of Σ L(L−1)·A_{t−1}·r offset by the real
    Σ L·ΔS·NAV and by Σ L·β·A_{t−1}·r with the single β and with β_down/β_up by the
    sign of each fund's index move (all from the issuer files and index levels)."""
    frames = load_issuer_funds(root)
    levels = index_levels(root)
    rows = []
    for d in days:
        ts = pd.Timestamp(d)
        reb = real = single = direc = 0.0
        for cls, tks in CLASSES.items():
            b, b_down, b_up = refit3[cls]
            for t in tks:
                f, df = ISSUER_FUNDS[t], frames[t]
                lv = levels[f.index]
                k, j = int(df.index.get_loc(ts)), int(lv.index.get_loc(ts))
                r = float(lv.iloc[j] / lv.iloc[j - 1] - 1.0)
                a_prev = float(df["aum_usd"].iloc[k - 1])
                sh = df["aum_usd"] / df["nav_usd"]
                lev = f.leverage
                reb += lev * (lev - 1.0) * a_prev * r
                real += lev * float(sh.iloc[k] - sh.iloc[k - 1]) * float(df["nav_usd"].iloc[k])
                single += lev * b * a_prev * r
                direc += lev * (b_down if r < 0 else b_up) * a_prev * r
        rows.append(
            {"date": d, "real": -real / reb, "single": -single / reb, "direction": -direc / reb}
        )
    return pd.DataFrame(rows)


def test_direction_dependent_beta_is_kept_only_if_better_out_of_sample(
    shared_data: Path, refit3: dict[str, tuple[float, float, float]]
) -> None:
    from gaemi.data.fund_history import creation_offsets_by_model, load_directional_creation_betas

    emb = load_directional_creation_betas()
    assert emb is not None
    assert emb.train == TRAIN
    for cls, (_, b_down, b_up) in refit3.items():
        assert emb.beta_down_by_class[cls] == pytest.approx(b_down, abs=1e-6), cls
        assert emb.beta_up_by_class[cls] == pytest.approx(b_up, abs=1e-6), cls
        assert emb.ci_down_by_class[cls][0] < b_down < emb.ci_down_by_class[cls][1]
        assert emb.ci_up_by_class[cls][0] < b_up < emb.ci_up_by_class[cls][1]
    tab = _offsets_by_hand(shared_data, JUDGED, refit3)
    err = {m: float(np.mean(np.abs(tab[m] - tab["real"]))) for m in ("single", "direction")}
    print("\nout of sample (fit 2011-01-03..2024-12-31): share of the rebalancing offset")
    print("day         real   single  direction")
    for _, t in tab.iterrows():
        print(f"{t['date']} {t['real']:+7.1%} {t['single']:+7.1%} {t['direction']:+7.1%}")
    print(f"mean |error|: single {err['single']:.1%}, direction {err['direction']:.1%}")
    # the table's choice is the better model out of sample
    assert emb.model == ("direction" if err["direction"] < err["single"] else "single")
    assert emb.oos_check.endswith(f"chosen: {emb.model}")
    # gaemi's own comparison (the one the build script uses) gives the same figures
    models = {
        "single": {c: (v[0], v[0]) for c, v in refit3.items()},
        "direction": {c: (v[1], v[2]) for c, v in refit3.items()},
    }
    ours = creation_offsets_by_model(shared_data, JUDGED, models)
    pooled = ours[ours["underlying"] == "ALL"].reset_index(drop=True)
    for m in ("real", "single", "direction"):
        np.testing.assert_allclose(pooled[f"{m}_offset_frac"], tab[m], rtol=1e-9, atol=1e-12)
