"""``gaemi crypto``: a liquidation cascade in leveraged crypto perpetuals, and Korea's slice."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from pathlib import Path
from typing import Annotated

import typer

from gaemi.app.crypto import premium_signal
from gaemi.errors import GaemiInputError, check_above_minus_100, check_known_name
from gaemi.present.cli.common import (
    FormatOption,
    NamedMove,
    OutputFormat,
    SeedOption,
    describe_move,
    emit,
    finite_option,
    format_usd,
    note,
    note_lines,
    output_format,
    parse_money,
    parse_move,
    parse_named_moves,
    parse_positive_frac,
    print_json,
    records,
    single,
)
from gaemi.present.console import format_krw  # the one won formatter of every face

__all__ = ["format_krw", "parse_shock", "premium_signal", "register"]

EPILOG = """
Examples:

  gaemi crypto --shock BTC=-10%                 # the calibrated Oct-2025 population

  gaemi crypto --shock BTC=-4% --depth-scale 0.5   # half the depth: where is the cliff?

  gaemi crypto --shock BTC=-10% --kimchi-premium 2% --kimchi-premium-after 8%

  gaemi crypto --shock BTC=-8% --shock ALT=-25% --format json

  gaemi crypto --shock ETH=+5% --population my_positions.csv

  gaemi crypto --shock BTC=-10% --date 2024-08-05 --data-dir ../shared/data   # dated OI

  gaemi crypto --shock BTC=-10% --open-interest 70B --leveraged-share 5% --long-share 80%
"""


def parse_shock(text: str, names: Collection[str] | None = None) -> tuple[str, float, str]:
    """``ASSET=MOVE`` → (asset, move_frac, the note on how the move was read): one item of
    ``--shock`` read by the shared :func:`~gaemi.present.cli.common.parse_named_moves`
    (a move above -100 %; ``names``, when given, the assets of the market)."""
    m = _parse_shocks([text], names, read_note=False)[0]
    return m.name, m.move_frac, describe_move(m.move_text, m.move_frac) + f" for {m.name}"


def _parse_shocks(
    items: list[str] | None, names: Collection[str] | None, *, read_note: bool = True
) -> list[NamedMove]:
    """``--shock ASSET=MOVE`` items (each asset once, a price cannot reach zero): read by
    the shared parser, then checked by the rules of every face (:mod:`gaemi.errors`, the
    API's words too): ``--shock BTC = '-100%' must be above -100%``, ``--shock =
    'DOGE=-10%': ASSET must be one of BTC, ETH, SOL, ALT``."""
    out = []
    moves = parse_named_moves(
        items, "--shock", what="ASSET", example="BTC=-10%", read_note=read_note
    )
    for m in moves:  # the move before the name, as the shared parser reads them
        check_above_minus_100(m.move_frac, f"--shock {m.name}", given=m.move_text)
        name = (
            m.name if names is None else check_known_name(m.name, names, "--shock", "ASSET", m.text)
        )
        out.append(dataclasses.replace(m, name=name))
    return out


def _asset_names(config: Path | None) -> tuple[str, ...]:
    """The assets of the crypto market of ``--config`` (default: the calibrated one)."""
    from gaemi.data.crypto import load_crypto_config

    return load_crypto_config(config).asset_names


def _share(text: str, option: str) -> float:
    """A share in [0, 1] from ``8%`` or ``0.08``; one line naming the option otherwise."""
    v = parse_positive_frac(text, option)
    if v > 1:
        raise GaemiInputError(f"{option} = {text!r} must be at most 100%")
    return v


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
    seed_given: SeedOption = None,
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
    date_given: Annotated[
        list[str] | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            help="Positioning before this day: a FACTS.md (i) event's open interest, or the "
            "Coinalyze BTC-perp open interest and funding of the day before (2022-01-03.."
            "2024-09-20, with --data-dir); else the latest dated before it (an event, or the "
            "config's own snapshot after its calibration day), as in gaemi report.",
        ),
    ] = None,
    data_dir_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--data-dir",
            metavar="FOLDER",
            help="A folder laid out like ../shared/data: the Coinalyze files for --date.",
        ),
    ] = None,
    open_interest: Annotated[
        str | None,
        typer.Option(
            "--open-interest",
            metavar="USD",
            help="All-coin open interest, e.g. 70B ($0.1B-$5T); book depth scales with it.",
        ),
    ] = None,
    leveraged_share: Annotated[
        str | None,
        typer.Option(
            "--leveraged-share",
            help="Share of open interest in liquidatable leveraged positions, e.g. 8% "
            "(default: the config's 16%).",
        ),
    ] = None,
    long_share: Annotated[
        str | None,
        typer.Option("--long-share", help="Long share of those positions, e.g. 75% (default 69%)."),
    ] = None,
    funding: Annotated[
        str | None,
        typer.Option(
            "--funding",
            help="Funding per 8 h before the day, e.g. 0.01% (reported, not used by the cascade).",
        ),
    ] = None,
    fmt_given: FormatOption = None,
) -> None:
    """Liquidation cascade of leveraged perpetuals after a price shock, to its fixed point.

    Shock → liquidations → forced market orders → impact through each asset's depth curve
    → more liquidations, round by round. Prints liquidations by round and side (round 0:
    what the shock itself touches), each asset's shock and final move, and the loss of the
    Korean holder slice in KRW at the cascade's fixed point. Model and calibration:
    docs/crypto.md.
    """
    from gaemi.app.crypto import crypto_cascade
    from gaemi.app.decay import check_seed

    seed: int | None = single(seed_given, "--seed")
    if seed is not None:
        check_seed(seed, "--seed")
    fmt = output_format(fmt_given)
    if not shock:
        raise GaemiInputError("give at least one --shock ASSET=MOVE, e.g. BTC=-10%")
    shocks = {m.name: m.move_frac for m in _parse_shocks(shock, _asset_names(config))}
    premium = parse_move(kimchi_premium, "kimchi-premium") if kimchi_premium is not None else None
    after = (
        parse_move(kimchi_premium_after, "kimchi-premium-after")
        if kimchi_premium_after is not None
        else None
    )
    day: str | None = single(date_given, "--date")
    data_dir: Path | None = single(data_dir_given, "--data-dir")
    oi = parse_money(open_interest, "--open-interest") if open_interest is not None else None
    lev = _share(leveraged_share, "--leveraged-share") if leveraged_share is not None else None
    lng = _share(long_share, "--long-share") if long_share is not None else None
    fund = parse_move(funding, "--funding") if funding is not None else None
    res = crypto_cascade(
        None,
        shocks,
        date=day,
        data_dir=data_dir,
        open_interest_usd=oi,
        leveraged_frac_of_oi=lev,
        long_share_frac=lng,
        funding_rate_frac=fund,
        depth_scale=depth_scale,
        population=population,
        config=config,
        rng=seed,
        usdkrw=usdkrw,
        kimchi_premium_frac=premium,
        kimchi_premium_after_frac=after,
    )
    for n in res.notes:
        note(n)
    note_lines(res.warnings, "warning")
    rounds_df = res.to_frame("rounds")
    assets_df = res.to_frame("assets")
    korea_df = res.to_frame("korea")
    total = res.total_liquidated_usd
    share = res.long_share_frac
    caption = (
        f"total {format_usd(total)} liquidated"
        + (f", {share:.0%} longs" if share is not None else "")
        + f", {res.rounds} rounds"
    )
    if fmt == OutputFormat.table:
        emit(rounds_df, fmt, title="Liquidations by round", caption=caption)
        emit(assets_df, fmt, title="Moves and liquidations by asset (+ flow = buying)")
        emit(  # the *_krw columns print through console.format_krw (``₩1.23조``)
            korea_df,
            fmt,
            title="Korean holder slice (spot + exchange coin lending)",
            caption=f"USD/KRW {res.usdkrw:,.2f}; loss at the cascade's fixed point",
        )
        return
    frames = [
        rounds_df.assign(section="rounds"),
        assets_df.assign(section="assets"),
        korea_df.assign(section="korea"),
    ]
    if fmt == OutputFormat.json:
        out = []
        for f in frames:
            out.extend(records(f[["section", *[c for c in f.columns if c != "section"]]]))
        print_json(out)
        return
    import pandas as pd

    frames[0] = frames[0].astype({"round": "Int64"})
    both = pd.concat(frames, ignore_index=True)
    emit(both[["section", *[c for c in both.columns if c != "section"]]], fmt)


def register(app: typer.Typer) -> None:
    """Add ``crypto`` to the app."""
    app.command("crypto", epilog=EPILOG)(crypto)
