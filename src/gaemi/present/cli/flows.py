"""``gaemi flows``: what leveraged and inverse funds must trade at the close."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gaemi.errors import GaemiInputError
from gaemi.limits import MAX_AUM_USD, MAX_FUND_LEVERAGE, is_fund_leverage
from gaemi.present.cli.common import (
    DataDirOption,
    DateOption,
    DbOption,
    FormatOption,
    KoreanAumOption,
    OutputFormat,
    check_count,
    creations_note,
    describe_move,
    emit,
    format_usd,
    note,
    note_read,
    output_format,
    parse_korean_aum,
    parse_money,
    parse_move,
    parse_move_grid,
    parse_named_moves,
    parse_number,
    single,
    state_from_options,
)

if TYPE_CHECKING:
    from gaemi.app.flows import FlowsResult
    from gaemi.core.universe import Universe

EPILOG = """
Examples:

  gaemi flows --move -5%                      # the default universe, by underlying

  gaemi flows --fund 3:45e9 --moves=-5%:-1%:1%   # the research note's $45B 3x ladder

  gaemi flows --move 1% --by underlying       # per-1% sensitivity and Korean share

  gaemi flows --move -3% --underlying NDX --by fund --format json

  gaemi flows --at NDX=-3.1% --at SOX=-4.5%      # intraday: projected close flow now

  gaemi flows --move -5% --db gaemi.duckdb --date 2025-04-04   # a store's funds that day

  gaemi flows --move -5% --by holder          # Korean / other / unattributed per fund

  gaemi flows --move -5% --by holder --data-dir ../shared/data --date 2025-04-04
"""


def parse_fund(text: str) -> tuple[float, float, str, float]:
    """``L:AUM[:UNDERLYING[:KOREAN_SHARE]]`` → (leverage, aum_usd, underlying, share)."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 4:
        raise GaemiInputError(
            f"fund = {text!r} must be LEVERAGE:AUM[:UNDERLYING[:KOREAN_SHARE]], e.g. 3:45e9"
        )
    lev_text = parts[0].strip()
    if lev_text.endswith("%"):
        raise GaemiInputError(
            f"fund leverage = {lev_text!r} must be a multiple like 3 or -2, not a percent"
        )
    lev = parse_number(lev_text, "fund leverage")
    if not is_fund_leverage(lev):
        raise GaemiInputError(
            f"fund leverage = {lev_text!r} is not a leveraged or inverse fund "
            "(need L > 1 or L < 0, e.g. 3 or -2)"
        )
    if abs(lev) > MAX_FUND_LEVERAGE:
        raise GaemiInputError(
            f"fund leverage = {lev_text!r} is outside "
            f"[-{MAX_FUND_LEVERAGE:g}, {MAX_FUND_LEVERAGE:g}]"
        )
    aum = parse_money(parts[1], "fund aum_usd", maximum=MAX_AUM_USD)
    if aum < 0:
        raise GaemiInputError(f"fund aum_usd = {parts[1]!r} must be >= 0")
    uid = parts[2].strip().upper() if len(parts) > 2 and parts[2].strip() else "HYP"
    share = float("nan")
    if len(parts) == 4:
        share = parse_move(parts[3], "fund korean_share") if parts[3].strip() else share
    return lev, aum, uid, share


def flows(
    move_given: Annotated[
        list[str] | None,
        typer.Option(
            "--move", "-m", metavar="MOVE", help="One move of every underlying: -5% or -0.05."
        ),
    ] = None,
    moves_given: Annotated[
        list[str] | None,
        typer.Option(
            "--moves",
            metavar="START:STOP:STEP",
            help="A ladder START:STOP:STEP, e.g. -10%:10%:1% (use --moves=…).",
        ),
    ] = None,
    underlying: Annotated[
        list[str] | None,
        typer.Option(
            "--underlying",
            "-u",
            help="Only funds on this underlying id or group "
            "(NDX, SOX, semiconductors, TSLA …); repeatable.",
        ),
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="fund | underlying | group | issuer | holder | total")
    ] = "underlying",
    universe: Annotated[
        Path | None, typer.Option("--universe", help="Your own universe CSV/Parquet file.")
    ] = None,
    fund: Annotated[
        list[str] | None,
        typer.Option(
            "--fund",
            help="A hypothetical fund LEVERAGE:AUM[:UNDERLYING[:KOREAN_SHARE]] "
            "instead of the universe, e.g. 3:45e9; repeatable.",
        ),
    ] = None,
    korean_aum_given: KoreanAumOption = None,
    scenario_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            metavar="FILE",
            help="YAML what-if: korean_holdings_usd per ticker, "
            "korean_aum_usd, creations_usd per ticker.",
        ),
    ] = None,
    at: Annotated[
        list[str] | None,
        typer.Option(
            "--at",
            help="Intraday: projected close flow at each underlying's move so "
            "far, UNDERLYING=MOVE (e.g. NDX=-3.1%); repeatable. Others unchanged.",
        ),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            help="With --by fund: show the N funds with the largest flow per move (>= 1; "
            "default: every fund).",
        ),
    ] = None,
    creations_given: Annotated[
        list[str] | None,
        typer.Option(
            "--creations",
            metavar="MODE",
            help="Creations that respond to the move, C = β·A·r: measured (β per fund "
            "class from the issuer data), none (default) or a β for every fund.",
        ),
    ] = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    date: DateOption = None,
    fmt_given: FormatOption = None,
) -> None:
    """Close rebalancing flow ΔE = L(L−1)·A·r + L·C of leveraged/inverse funds, in USD.

    Positive flow is buying the underlying. Korean flow is each fund's Korean share times
    its flow; funds with no Korean data are 'unattributed', never guessed.
    """
    from gaemi.app.flows import flows as compute
    from gaemi.app.flows import korean_detail, state_korean_detail
    from gaemi.core.flows import ladder_moves, parse_groupings
    from gaemi.data.scenario import load_flow_scenario
    from gaemi.data.universe import load_universe

    move: str | None = single(move_given, "--move")
    fmt = output_format(fmt_given)
    moves: str | None = single(moves_given, "--moves")
    korean_aum: str | None = single(korean_aum_given, "--korean-aum")
    scenario: Path | None = single(scenario_given, "--scenario")
    creations_mode: str | None = single(creations_given, "--creations")
    (group,) = parse_groupings([by])
    check_count(top, "--top", "leave it out to show every fund")
    if top is not None and group != "fund":
        raise GaemiInputError(f"--top = {top} needs --by fund (it picks funds, not {group}s)")
    if sum(x is not None and x != [] for x in (move, moves, at)) > 1:
        raise GaemiInputError("give only one of --move, --moves and --at")
    # names as typed (an underlying id or group, e.g. semiconductors); the engine checks them
    at_moves = {m.name: m.move_frac for m in parse_named_moves(at, "--at", upper=False)}
    grid = None
    if at_moves:
        pass  # per-underlying moves: projected_close_flow below
    elif moves is not None:
        grid = ladder_moves(*parse_move_grid(moves, "--moves"))
        note_read(
            f"read --moves {moves} as {grid.size} moves from {grid[0]:+.4g} to {grid[-1]:+.4g}"
        )
    else:
        text = move if move is not None else "1%"
        value = parse_move(text, "--move")
        note_read(
            describe_move(text, value)
            + ("" if move is not None else " (default: per-1% sensitivity)")
        )
        grid = ladder_moves(value, value, 1.0)
    if fund and universe is not None:
        raise GaemiInputError("give either --fund or --universe, not both")
    if fund:
        from gaemi.core.universe import Universe

        parsed = [parse_fund(f) for f in fund]
        u = Universe.hypothetical(
            [p[0] for p in parsed],
            [p[1] for p in parsed],
            [p[2] for p in parsed],
            [p[3] for p in parsed],
        )
    elif universe is not None:
        u = load_universe(universe)
    else:
        state = state_from_options(db, data_dir, date)
        u = state.universe
        detail = state_korean_detail(state)
    if fund or universe is not None:
        detail = korean_detail(u)
    creations = None
    if scenario is not None:
        sc = load_flow_scenario(scenario)
        u = sc.apply(u)
        creations = sc.creations_usd or None
    k_usd = parse_korean_aum(korean_aum) if korean_aum is not None else None
    if underlying:
        whole = u
        u = u.where_underlying(underlying)
        only = ", ".join(underlying)
        for name in at_moves:
            if not _names_funds(u, name) and _names_funds(whole, name):
                raise GaemiInputError(
                    f"--at {name}: {name} is in the universe but left out by "
                    f"--underlying {only}; add it there or drop it from --at"
                )
        if creations:
            kept = {str(t).upper() for t in u.ticker}
            dropped = sorted(t for t in creations if t.upper() not in kept)
            if dropped:
                note(
                    f"scenario creations for {', '.join(dropped)} left out: not on "
                    f"--underlying {only}"
                )
                creations = {t: v for t, v in creations.items() if t.upper() in kept} or None
    res = compute(
        universe=whole if underlying else u,
        moves_frac=grid,
        at=at_moves if grid is None else None,
        korean_aum_usd=k_usd,
        creations_usd=creations,
        underlying=underlying or None,
        by=group,
        korean=detail,
        creations=creations_mode,
    )
    if creations_mode is not None:
        note(creations_note(res.choice("creations")))
    wiped = res.wiped_out_note()
    if wiped is not None:
        note(f"warning: {wiped}")
    result, u = res.result, res.universe
    if group == "holder":
        _emit_by_holder(res, fmt)
        return
    df = res.to_frame()
    if group == "fund":
        df = df[
            [
                "move_frac",
                "ticker",
                "leverage",
                "underlying_id",
                "aum_usd",
                "korean_share",
                "flow_usd",
                "korean_flow_usd",
                "flow_per_pct_usd",
                "wiped_out",
            ]
        ]
        if top is not None:
            df = (
                df.assign(_a=df["flow_usd"].abs())
                .sort_values(["move_frac", "_a"], ascending=[True, False], kind="stable")
                .groupby("move_frac", sort=False)
                .head(top)
                .drop(columns="_a")
            )
    total = result.total_usd()
    caption = (
        "; ".join(
            (f"{r:+.1%}: " if r == r else "at the given moves: ") + f"total {format_usd(t)}"
            for r, t in zip(result.scenario_move_frac, total, strict=True)
        )
        if len(total) <= 4
        else ""
    )
    emit(
        df,
        fmt,
        title=f"Close rebalancing flow by {group} — {u.label}",
        caption=caption + (" · + = buying the underlying" if caption else ""),
    )


def _emit_by_holder(res: FlowsResult, fmt: OutputFormat) -> None:
    """``--by holder``: every fund's flow split by holder, then a total row per move."""
    df = res.to_frame("by_holder")
    t = res.totals()
    parts = []
    for j, mv in enumerate(t["moves_frac"][:4]):
        kor, oth = t["korean_flow_usd"][j], t["other_flow_usd"][j]
        parts.append(
            (f"{mv:+.1%}: " if mv is not None else "")
            + f"Korean {format_usd(kor) if kor is not None else 'unknown'}"
            + f" · other {format_usd(oth) if oth is not None else 'unknown'}"
            + f" · unattributed {format_usd(t['unattributed_flow_usd'][j])}"
        )
    caption = "; ".join(parts) + (
        f" ({t['n_funds_korean_known']} of {t['n_funds']} funds with a known Korean share; "
        "unknown share = unattributed, never 0% Korean) · + = buying"
    )
    if fmt == OutputFormat.table:
        srcs: dict[str, list[str]] = {}
        for tick, src in zip(df["ticker"], df["source_korean"], strict=True):
            if src and tick not in srcs.get(src, []):
                srcs.setdefault(src, []).append(str(tick))
        caption += "".join(f"\nsource of {', '.join(ts)}: {src}" for src, ts in srcs.items())
        df = df.assign(korean_share=df["korean_share"].map(lambda x: "" if x != x else f"{x:.1%}"))[
            [
                "move_frac",
                "ticker",
                "flow_usd",
                "korean_share",
                "korean_as_of",
                "basis",
                "korean_flow_usd",
                "other_flow_usd",
                "unattributed_flow_usd",
            ]
        ]
    emit(df, fmt, title=f"Close rebalancing flow by holder — {res.universe.label}", caption=caption)


def _names_funds(u: Universe, name: str) -> bool:
    """True if ``name`` is an underlying id or group of some fund in universe ``u``."""
    import numpy as np

    ids = np.char.upper(u.underlying_id)
    groups = np.char.upper(u.underlying_group)
    return bool(((ids == name.upper()) | (groups == name.upper())).any())


def register(app: typer.Typer) -> None:
    """Add ``flows`` to the app."""
    app.command("flows", epilog=EPILOG)(flows)
