"""Print the fund-history tables of docs/history.md and docs/decay.md (issue 16) as Markdown.

Usage (from the repository root)::

    .venv/bin/python scripts/fund_history_tables.py ../shared/data > /tmp/tables.md

Sections: the AUM check (month-start snapshots vs reported AUM), the NAV engine against
the reported NAV, the creations regression per fund, creations on the stress days, and
the stress-day totals of the replay (every replayed underlying, from 2018). Everything
is computed by gaemi.data.fund_history / gaemi.data.history; nothing is fitted here.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from gaemi.data import fund_history as fh
from gaemi.data.history import NAMED_EVENTS, load_folder, run_history, stress_day_totals
from gaemi.data.universe import load_default_universe


def pct(v: float, digits: int = 1) -> str:
    return f"{v * 100:+.{digits}f} %".replace("-", "−")


def usd_b(v: float) -> str:
    return ("+" if v >= 0 else "−") + f"${abs(v) / 1e9:.2f}B"


def main(root: Path) -> None:
    c = fh.aum_replay_check(root)
    print(f"## AUM check ({c['window']}, {', '.join(c['funds'])})\n")
    print("| estimator | median | p95 | max |\n|---|---|---|---|")
    for k in ("interpolated", "plain_carry", "reported"):
        e = c[k]
        print(
            f"| {k} | {e['median_abs_err']:.4f} | {e['p95_abs_err']:.4f} | {e['max_abs_err']:.4g} |"
        )

    print("\n## NAV engine against NAV\n")
    print(
        "| fund | compared with | driven by | leverage | train | spread | test | full-life err "
        "| 5-year err | median daily err | walk-forward |\n" + "|---" * 11 + "|"
    )
    for x in fh.nav_tracking_table(root).to_dict("records"):
        print(
            f"| {x['ticker']} | {x['compared_with']} | {x['driven_by']} | {x['leverage']} | "
            f"{x['train']} | {x['spread_fitted'] * 100:.2f} % | {x['test']} | "
            f"{pct(x['full_err'])} | "
            f"{pct(x['five_year_err'])} | {x['median_abs_daily_err'] * 1e4:.1f} bp | "
            f"{pct(x['walk_forward_err'])} |"
        )
    t = fh.tqqq_must_show(root)
    print(
        f"\nTQQQ {t['window']}: spread {t['spread_fitted_2011_2014']:.4f} (2011–2014), "
        f"error {pct(t['err_fitted_2011_2014'])}, walk-forward {pct(t['walk_forward_err'])}"
    )

    print("\n## Creations on same-day and lagged index moves\n")
    print("| fund | same day | day −1 | day −2 | day −3 | sum (95 % CI) | n |\n" + "|---" * 7 + "|")
    cr = fh.creations_table(root)
    for tk, g in cr.groupby("ticker", sort=False):
        d = g.set_index("term")

        def cell(k: str, d: object = d) -> str:
            r = d.loc[k]  # type: ignore[attr-defined]
            txt = f"{r['coef_frac_per_move']:+.2f} [{r['ci_nw_low']:+.2f}, {r['ci_nw_high']:+.2f}]"
            return txt.replace("-", "−")

        terms = ("move_lag0", "move_lag1", "move_lag2", "move_lag3", "cumulative")
        print(f"| {tk} | " + " | ".join(cell(k) for k in terms) + f" | {int(d['n_obs'].iloc[0])} |")

    print("\n## Creations on the stress days\n")
    print(
        "| date | underlying | index move | A_{t−1} | modelled rebalancing | net creations C_t | "
        "L·C_t | L·C_{t+1} | offset same day | offset two days |\n" + "|---" * 10 + "|"
    )
    for x in fh.stress_day_creations(root).to_dict("records"):
        print(
            f"| {x['date']} | {x['underlying']} | {pct(x['index_move_frac'], 2)} | "
            f"${x['aum_prev_usd'] / 1e9:.1f}B | {usd_b(x['rebalance_flow_usd'])} | "
            f"{usd_b(x['net_creations_usd'])} | {usd_b(x['creation_trade_usd'])} | "
            f"{usd_b(x['creation_trade_next_day_usd'])} | {pct(x['offset_same_day_frac'], 0)} | "
            f"{pct(x['offset_two_days_frac'], 0)} |"
        )

    u = load_default_universe()
    run = run_history(load_folder(root, u.ticker.tolist()), u, start=dt.date(2018, 1, 1), n_boot=50)
    tot = stress_day_totals(run, NAMED_EVENTS)
    print("\n## Stress-day totals (USD billions)\n")
    cols = [c for c in tot.columns if c.endswith("_usd")]
    print("| date | " + " | ".join(c.removesuffix("_flow_usd") for c in cols) + " | reported |")
    print("|---" * (len(cols) + 2) + "|")
    for rec in tot.to_dict("records"):
        vals = " | ".join(f"{rec[c] / 1e9:+.2f}".replace("-", "−") for c in cols)
        print(f"| {rec['date']} | {vals} | {rec['reported_share_of_abs_flow']:.0%} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
