"""Fit the creation coefficient β of each fund class and write the embedded table.

Reads the issuer daily files (``us-letf-nav-proshares/``) and the total-return index
levels (``index-levels/``) of a ``../shared/data``-style folder, computes each fund's net
creations C_t = ΔS·NAV (S = AUM/NAV) and the move of the index it tracks, and per class
(:data:`gaemi.core.creations.FUND_CLASSES`) fits Σ C_t / Σ A_{t−1} on the AUM-weighted move
(:func:`gaemi.core.creations.fit_class_beta`) on the training window only. Writes
``src/gaemi/data/defaults/creations_beta.csv`` (derived figures with their source and
window; no raw data is copied).

Direction-dependent β. The same window also gives, per class, one β for falls and one
for rises (:func:`gaemi.core.creations.fit_class_beta_by_direction`: y = a +
β_down·min(x, 0) + β_up·max(x, 0)), written beside the single β (columns ``beta_down`` …
``n_up``; readers of the older columns are unaffected). Which of the two
``--creations measured`` uses is decided out of sample, never on the fit window: on the
2025 stress days :data:`JUDGED` (after the window), the share of the eight funds'
rebalancing flow the real same-day creations offset against what each model offsets
(:func:`gaemi.data.fund_history.creation_offsets_by_model`); the model with the smaller
mean absolute error over those days (all eight funds pooled per day) is written in the
``model`` column (``direction`` or ``single``) and the errors in ``oos_check``.
Result on the 2011-01-03..2024-12-31 fit: direction-dependent kept. Share of the
rebalancing offset, real / single β / direction (eight funds pooled): 2025-04-03
27 / 15 / 23 %, 04-04 51 / 15 / 23 %, 04-09 (a rally) −10 / +15 / +8 %, 10-10
21 / 15 / 23 %; mean error 12.9 points against 19.6, better on each of the four days.
Per underlying it is better on 7 of the 8 day×underlying rows (SPX 2025-10-10: 18 %
against the real 12 %, the single β 11 %). Both still miss 2025-04-04 (half of the
selling offset) and neither gives the rally's creations adding to the buying (the fitted
β_up of the 3x long funds is negative). The script prints the table. Published
sell-side flow estimates are never fitted, nor used to choose.

Usage: ``python scripts/build_creation_betas.py [DATA_DIR] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pandas as pd

from gaemi.core.creations import (
    FUND_CLASSES,
    fit_class_beta,
    fit_class_beta_by_direction,
    fund_class,
    net_creations_usd,
)
from gaemi.data.fund_history import (
    ISSUER_FUNDS,
    creation_offsets_by_model,
    index_levels,
    load_issuer_funds,
)

#: The training window: before every day the model is judged on (2025-04-03 … 2025-10-10).
TRAIN_FIRST = "2011-01-03"
TRAIN_LAST = "2024-12-31"
#: The out-of-sample days that choose between the single and the direction-dependent β
#: (issue 16's 2025 stress days, all after TRAIN_LAST).
JUDGED: tuple[str, ...] = ("2025-04-03", "2025-04-04", "2025-04-09", "2025-10-10")
OUT = Path(__file__).resolve().parents[1] / "src/gaemi/data/defaults/creations_beta.csv"
COLUMNS = (
    "fund_class",
    "beta_frac_per_move",
    "ci_low",
    "ci_high",
    "intercept_frac",
    "n_obs",
    "r2",
    "train_first",
    "train_last",
    "funds",
    "source",
    "beta_down",
    "ci_down_low",
    "ci_down_high",
    "n_down",
    "beta_up",
    "ci_up_low",
    "ci_up_high",
    "n_up",
    "model",
    "oos_check",
)


def choose_model(table: pd.DataFrame) -> tuple[str, float, float]:
    """``direction`` when its mean |modelled − real offset| over the days (all funds
    pooled: the ``ALL`` rows) is below the single β's, else ``single``; with both errors.
    """
    pooled = table[table["underlying"] == "ALL"]
    real = pooled["real_offset_frac"].to_numpy(float)
    err_single = float(np.mean(np.abs(pooled["single_offset_frac"].to_numpy(float) - real)))
    err_dir = float(np.mean(np.abs(pooled["direction_offset_frac"].to_numpy(float) - real)))
    return ("direction" if err_dir < err_single else "single"), err_single, err_dir


def class_panels(data_dir: str | Path, first: str, last: str) -> dict[str, tuple]:
    """Per class: (days, C, A_{t−1}, r) arrays (funds × days) on [first, last]."""
    frames = load_issuer_funds(data_dir)
    levels = index_levels(data_dir)
    days = pd.bdate_range(first, last)
    out: dict[str, tuple] = {}
    for cls in FUND_CLASSES:
        tks = [
            t
            for t, f in ISSUER_FUNDS.items()
            if str(fund_class(f.leverage)) == cls and t in frames and f.index in levels
        ]
        c_rows, a_rows, r_rows = [], [], []
        for t in tks:
            df = frames[t]
            c = pd.Series(
                net_creations_usd(df["shares"].to_numpy(), df["nav_usd"].to_numpy()), index=df.index
            )
            a_prev = df["aum_usd"].shift(1)
            r = levels[ISSUER_FUNDS[t].index].pct_change().reindex(df.index)
            c_rows.append(c.reindex(days).to_numpy(float))
            a_rows.append(a_prev.reindex(days).to_numpy(float))
            r_rows.append(r.reindex(days).to_numpy(float))
        out[cls] = (tks, np.array(c_rows), np.array(a_rows), np.array(r_rows))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "data_dir", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared/data")
    )
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    fits = {}
    for cls, (tks, c, a, r) in class_panels(args.data_dir, TRAIN_FIRST, TRAIN_LAST).items():
        fits[cls] = (tks, fit_class_beta(c, a, r), fit_class_beta_by_direction(c, a, r))
    models = {
        "single": {cls: (f.beta, f.beta) for cls, (_, f, _) in fits.items()},
        "direction": {cls: (d.beta_down, d.beta_up) for cls, (_, _, d) in fits.items()},
    }
    table = creation_offsets_by_model(args.data_dir, JUDGED, models)
    chosen, err_single, err_dir = choose_model(table)
    oos = (
        f"out of sample {' '.join(JUDGED)} (after the fit window), mean |modelled - real "
        f"same-day offset| of the eight funds' rebalancing: direction "
        f"{err_dir * 100:.1f} pts, single {err_single * 100:.1f} pts; chosen: {chosen}"
    )
    rows = []
    for cls, (tks, fit, dfit) in fits.items():
        rows.append(
            {
                "fund_class": cls,
                "beta_frac_per_move": f"{fit.beta:.6f}",
                "ci_low": f"{fit.ci[0]:.6f}",
                "ci_high": f"{fit.ci[1]:.6f}",
                "intercept_frac": f"{fit.intercept:.6g}",
                "n_obs": fit.n_obs,
                "r2": f"{fit.r2:.4f}",
                "train_first": TRAIN_FIRST,
                "train_last": TRAIN_LAST,
                "funds": " ".join(tks),
                "source": "ProShares daily NAV/shares/AUM (us-letf-nav-proshares, issuer files "
                "via millbo01/IPF-data); index-levels XNDX/SPXTR; C_t = dS*NAV, OLS with "
                "Newey-West CI (scripts/build_creation_betas.py)",
                "beta_down": f"{dfit.beta_down:.6f}",
                "ci_down_low": f"{dfit.ci_down[0]:.6f}",
                "ci_down_high": f"{dfit.ci_down[1]:.6f}",
                "n_down": dfit.n_down,
                "beta_up": f"{dfit.beta_up:.6f}",
                "ci_up_low": f"{dfit.ci_up[0]:.6f}",
                "ci_up_high": f"{dfit.ci_up[1]:.6f}",
                "n_up": dfit.n_up,
                "model": chosen,
                "oos_check": oos,
            }
        )
        print(
            f"{cls:11s} beta {fit.beta:+.4f} CI [{fit.ci[0]:+.4f}, {fit.ci[1]:+.4f}] "
            f"down {dfit.beta_down:+.4f} [{dfit.ci_down[0]:+.4f}, {dfit.ci_down[1]:+.4f}] "
            f"n {dfit.n_down}, up {dfit.beta_up:+.4f} [{dfit.ci_up[0]:+.4f}, "
            f"{dfit.ci_up[1]:+.4f}] n {dfit.n_up}; funds {' '.join(tks)}"
        )
    print("day        und  move     real   single direction  (share of rebalancing offset)")
    for _, t in table.iterrows():
        print(
            f"{t['date']} {t['underlying']:4s} {t['index_move_frac']:+7.2%} "
            f"{t['real_offset_frac']:+7.1%} {t['single_offset_frac']:+7.1%} "
            f"{t['direction_offset_frac']:+7.1%}"
        )
    print(oos)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
