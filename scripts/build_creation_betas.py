"""Fit the creation coefficient β of each fund class and write the embedded table.

Reads the issuer daily files (``us-letf-nav-proshares/``) and the total-return index
levels (``index-levels/``) of a ``../shared/data``-style folder, computes each fund's net
creations C_t = ΔS·NAV (S = AUM/NAV) and the move of the index it tracks, and per class
(:data:`gaemi.core.creations.FUND_CLASSES`) fits Σ C_t / Σ A_{t−1} on the AUM-weighted move
(:func:`gaemi.core.creations.fit_class_beta`) on the training window only. Writes
``src/gaemi/data/defaults/creations_beta.csv`` (derived figures with their source and
window; no raw data is copied).

Usage: ``python scripts/build_creation_betas.py [DATA_DIR] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import pandas as pd

from gaemi.core.creations import FUND_CLASSES, fit_class_beta, fund_class, net_creations_usd
from gaemi.data.fund_history import ISSUER_FUNDS, index_levels, load_issuer_funds

#: The training window: before every day the model is judged on (2025-04-03 … 2025-10-10).
TRAIN_FIRST = "2011-01-03"
TRAIN_LAST = "2024-12-31"
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
)


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
    rows = []
    for cls, (tks, c, a, r) in class_panels(args.data_dir, TRAIN_FIRST, TRAIN_LAST).items():
        fit = fit_class_beta(c, a, r)
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
            }
        )
        print(
            f"{cls:11s} beta {fit.beta:+.4f} CI [{fit.ci[0]:+.4f}, {fit.ci[1]:+.4f}] "
            f"n {fit.n_obs} funds {' '.join(tks)}"
        )
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
