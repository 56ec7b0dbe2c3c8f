"""Calibrate the crypto cascade across the FACTS.md (i) events and print the leave-one-out table.

Reads ../shared/data (Binance daily candles, Coinalyze files; read where they are, never
copied) and the event table ``src/gaemi/data/defaults/crypto_events.yaml``:

1. the in-sample fit on every event (leveraged fraction of open interest per leverage
   regime, crash-short ratio, mean position age): the values a dated positioning uses;
2. the leave-one-event-out table (fit on the other events, judge on the held-out one):
   docs/crypto.md section 3 and tests/validation/test_crypto_events.py.

Run: ``.venv/bin/python scripts/calibrate_crypto_events.py [--shared ../shared/data] [--json]``
(about 10 s).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gaemi.data.crypto import calibrate_crypto_events, crypto_leave_one_out

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--json", action="store_true", help="print the LOO table as JSON")
    p.add_argument("--pooled", action="store_true", help="one leveraged fraction for all dates")
    args = p.parse_args(argv)
    fit = calibrate_crypto_events(args.shared, regimes=not args.pooled)
    table = crypto_leave_one_out(args.shared, implied_shock=True, regimes=not args.pooled)
    if args.json:
        json.dump(json.loads(table.to_json(orient="records")), sys.stdout, indent=1)
        return 0
    print("in-sample fit on all events:")
    print(f"  leveraged fraction of OI, pooled: {fit.leveraged_frac_of_oi:.4f}")
    for regime, k in fit.leveraged_frac_by_regime:
        print(f"  leveraged fraction of OI, {regime}: {k:.4f}")
    print(f"  crash shorts per liquidated long dollar: {fit.crash_short_per_long_usd:.2f}")
    print(f"  mean position age, days: {fit.entry_age_days:g}")
    print("leave-one-event-out (fit on the others, judge on the held-out event):")
    print(
        "| event | OI (all coins) | BTC low | reported | model (held out) | x | long share "
        "rep. / model | implied BTC shock |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for _, r in table.iterrows():
        rep_sh = r["reported_long_share"]
        share = (
            f"{rep_sh:.0%} / {r['model_long_share']:.0%}"
            if rep_sh == rep_sh and rep_sh is not None
            else f"— / {r['model_long_share']:.0%}"
        )
        shock = f"{r['implied_btc_shock_frac']:+.1%}" + (
            "" if r["implied_shock_exact"] else " (cliff)"
        )
        print(
            f"| {r['event']} | ${r['open_interest_usd'] / 1e9:.0f}B "
            f"| {r['btc_low_move_frac']:+.1%} "
            f"| ${r['reported_total_usd'] / 1e9:.2f}B | ${r['model_total_usd'] / 1e9:.2f}B "
            f"| {r['total_ratio']:.2f} {'ok' if r['total_ok'] else 'MISS'} | {share}"
            + ("" if r["long_share_ok"] is None else (" ok" if r["long_share_ok"] else " MISS"))
            + f" | {shock} |"
        )
    n_sh = int(table["reported_long_share"].notna().sum())
    print(
        f"totals within x1.5: {int(table['total_ok'].sum())}/{len(table)}; long share within "
        f"10 points: {int((table['long_share_ok'] == True).sum())}/{n_sh}"  # noqa: E712
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
