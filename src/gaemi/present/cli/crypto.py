"""``gaemi crypto``: a liquidation cascade in leveraged crypto perpetuals, and Korea's slice."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    OutputFormat,
    describe_move,
    emit,
    finite_option,
    format_usd,
    note,
    note_read,
    parse_move,
    records,
)

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.core.crypto import KoreanLoss, KoreanSlice

EPILOG = """
Examples:

  gaemi crypto --shock BTC=-10%                 # the calibrated Oct-2025 population

  gaemi crypto --shock BTC=-4% --depth-scale 0.5   # half the depth: where is the cliff?

  gaemi crypto --shock BTC=-10% --kimchi-premium 2% --kimchi-premium-after 8%

  gaemi crypto --shock BTC=-8% --shock ALT=-25% --format json

  gaemi crypto --shock ETH=+5% --population my_positions.csv
"""


def parse_shock(text: str) -> tuple[str, float, str]:
    """``ASSET=MOVE`` → (asset, move_frac, the note on how the move was read)."""
    if "=" not in text:
        raise GaemiInputError(f"shock = {text!r} must be ASSET=MOVE, e.g. BTC=-10%")
    name, move = text.split("=", 1)
    name = name.strip().upper()
    if not name:
        raise GaemiInputError(f"shock = {text!r} names no asset")
    value = parse_move(move, f"shock {name}")
    if value <= -1.0:
        raise GaemiInputError(f"shock {name} = {move!r} must be above -100%")
    return name, value, f"{name}: " + describe_move(move, value)


def format_krw(value: float) -> str:
    """₩ with 조 (1e12) / 억 (1e8) units: -₩1.23조, ₩450억."""
    if value != value:  # NaN
        return "—"
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e12:
        return f"{sign}₩{v / 1e12:,.2f}조"
    if v >= 1e8:
        return f"{sign}₩{v / 1e8:,.0f}억"
    return f"{sign}₩{v:,.0f}"


def premium_signal(premium: float, hot: float) -> str:
    """How to read the kimchi premium: hot Korean demand, normal, or a discount."""
    if premium >= hot:
        return f"hot (>= {hot:.0%}: Korean demand running ahead of the world)"
    if premium < 0:
        return "discount (Korean selling or capital leaving)"
    return "normal"


def crypto(
    shock: Annotated[
        list[str] | None,
        typer.Option(
            "--shock",
            "-s",
            help="ASSET=MOVE, e.g. BTC=-10% (repeatable). Assets not named follow BTC by "
            "their beta.",
        ),
    ] = None,
    population: Annotated[
        Path | None,
        typer.Option(
            "--population",
            help="Positions file (CSV/Parquet): asset, side, leverage, size_usd, "
            "entry_price_usd or entry_frac [, maintenance_margin_frac, liquidation_price_usd].",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Crypto config YAML (default: the calibrated one)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", help="Redraw the parametric population with this seed."),
    ] = None,
    depth_scale: Annotated[
        float,
        typer.Option(
            "--depth-scale",
            help="Multiply every book depth by this.",
            callback=finite_option,
        ),
    ] = 1.0,
    usdkrw: Annotated[
        float | None,
        typer.Option("--usdkrw", help="₩ per USD (default: the config's).", callback=finite_option),
    ] = None,
    kimchi_premium: Annotated[
        str | None,
        typer.Option("--kimchi-premium", help="Kimchi/USDT premium before the shock, e.g. 3%."),
    ] = None,
    kimchi_premium_after: Annotated[
        str | None,
        typer.Option(
            "--kimchi-premium-after", help="Premium after the shock (default: unchanged)."
        ),
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Liquidation cascade of leveraged perpetuals after a price shock, to its fixed point.

    Shock → liquidations → forced market orders → impact through each asset's depth curve
    → more liquidations, round by round. Prints liquidations by round and side (round 0:
    what the shock itself touches), each asset's shock and final move, and the loss of the
    Korean holder slice in KRW at the cascade's fixed point. Model and calibration:
    docs/crypto.md.
    """
    import numpy as np

    from gaemi.core.crypto import cascade, korean_slice_loss
    from gaemi.data.crypto import load_crypto_config, load_population

    if not shock:
        raise GaemiInputError("give at least one --shock ASSET=MOVE, e.g. BTC=-10%")
    cfg = load_crypto_config(config)
    shocks: dict[str, float] = {}
    for text in shock:
        name, value, how = parse_shock(text)
        if name in shocks:
            raise GaemiInputError(f"shock {name} is given twice")
        shocks[name] = value
        note_read("read shock " + how)
    if not (np.isfinite(depth_scale) and depth_scale > 0):
        raise GaemiInputError(f"depth-scale = {depth_scale!r} must be > 0")
    market = cfg.market(depth_scale=depth_scale)
    if population is not None and seed is not None:
        raise GaemiInputError("--seed draws the parametric population; not with --population")
    if population is not None:
        pop = load_population(population, cfg)
        n_uw = int(pop.underwater().sum())
        note(
            f"population: {len(pop):,} positions from {population.name}"
            + (f"; {n_uw:,} already underwater (liquidated in round 0)" if n_uw else "")
        )
    else:
        pop, dropped = cfg.population(seed=seed)
        note(
            f"population: {len(pop):,} positions drawn from {cfg.src} ({cfg.name}, seed "
            f"{cfg.seed if seed is None else seed}; {dropped:,} drawn underwater and dropped)"
        )
    res = cascade(pop, market, shocks)
    if not res.converged[0]:
        note("warning: the cascade did not reach its fixed point within the round limit")

    kp = cfg.korea_params
    premium = (
        parse_move(kimchi_premium, "kimchi-premium")
        if kimchi_premium is not None
        else float(kp["kimchi_premium_frac"].value)
    )
    after = (
        parse_move(kimchi_premium_after, "kimchi-premium-after")
        if kimchi_premium_after is not None
        else None
    )
    if usdkrw is not None and not (np.isfinite(usdkrw) and usdkrw > 0):
        raise GaemiInputError(f"usdkrw = {usdkrw!r} must be > 0")
    ks = cfg.korean_slice(usdkrw=usdkrw, premium=premium)
    fx_src = (
        "given on the command line"
        if usdkrw is not None
        else f"{kp['usdkrw'].source}, as of {kp['usdkrw'].as_of or cfg.as_of}"
    )
    note(f"USD/KRW {ks.usdkrw:,.2f} ({fx_src})")
    note(
        f"kimchi premium {premium:+.2%} before"
        + (f", {after:+.2%} after" if after is not None else " (unchanged after)")
        + f": signal {premium_signal(premium, float(kp['premium_signal_hot_frac'].value))}"
    )
    loss = korean_slice_loss(ks, res.final_move_frac, premium_after_frac=after)

    rounds_df = res.rounds_frame(0)
    assets_df = res.to_frame(0)[
        [
            "asset",
            "shock_move_frac",
            "final_move_frac",
            "liquidated_long_usd",
            "liquidated_short_usd",
            "liquidated_total_usd",
            "forced_flow_usd",
        ]
    ]
    korea_df = _korea_frame(cfg.asset_names, ks, loss)
    total = float(res.total_usd()[0])
    share = float(res.long_share()[0])
    caption = (
        f"total {format_usd(total)} liquidated"
        + (f", {share:.0%} longs" if total > 0 else "")
        + f", {int(res.rounds[0])} rounds"
    )
    if fmt == OutputFormat.table:
        emit(rounds_df, fmt, title="Liquidations by round", caption=caption)
        emit(assets_df, fmt, title="Moves and liquidations by asset (+ flow = buying)")
        shown = korea_df.assign(
            holdings_krw=[format_krw(v) for v in korea_df["holdings_krw"]],
            pnl_krw=[format_krw(v) for v in korea_df["pnl_krw"]],
        )
        emit(
            shown,
            fmt,
            title="Korean holder slice (spot + exchange coin lending)",
            caption=f"USD/KRW {ks.usdkrw:,.2f}; loss at the cascade's fixed point",
        )
        return
    frames = [
        rounds_df.assign(section="rounds"),
        assets_df.assign(section="assets"),
        korea_df.assign(section="korea"),
    ]
    if fmt == OutputFormat.json:
        import json
        import sys

        out = []
        for f in frames:
            out.extend(records(f[["section", *[c for c in f.columns if c != "section"]]]))
        json.dump(out, sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
        return
    import pandas as pd

    frames[0] = frames[0].astype({"round": "Int64"})
    both = pd.concat(frames, ignore_index=True)
    emit(both[["section", *[c for c in both.columns if c != "section"]]], fmt)


def _korean_rows(
    names: tuple[str, ...], ks: KoreanSlice, loss: KoreanLoss
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i, a in enumerate(names):
        rows.append(
            {
                "holder": f"spot {a}",
                "holdings_krw": float(ks.holdings_krw[i]),
                "krw_move_frac": float(loss.krw_move_frac[0, i]),
                "pnl_krw": float(ks.holdings_krw[i] * loss.krw_move_frac[0, i]),
                "liquidated_share": float("nan"),
            }
        )
    rows.append(
        {
            "holder": "coin lending (exposure)",
            "holdings_krw": float((ks.lending_equity_krw * ks.lending_leverage).sum()),
            "krw_move_frac": float(loss.krw_move_frac[0] @ ks.lending_weights),
            "pnl_krw": float(loss.lending_pnl_krw[0]),
            "liquidated_share": float(loss.lending_liquidated_equity_share[0]),
        }
    )
    rows.append(
        {
            "holder": "total",
            "holdings_krw": float(ks.holdings_krw.sum()),  # lending exposure sits inside
            "krw_move_frac": float("nan"),
            "pnl_krw": float(loss.total_pnl_krw[0]),
            "liquidated_share": float("nan"),
        }
    )
    return rows


def _korea_frame(names: tuple[str, ...], ks: KoreanSlice, loss: KoreanLoss) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(_korean_rows(names, ks, loss))


def register(app: typer.Typer) -> None:
    """Add ``crypto`` to the app."""
    app.command("crypto", epilog=EPILOG)(crypto)
