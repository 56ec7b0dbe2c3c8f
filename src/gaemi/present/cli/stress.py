"""``gaemi stress``: how far the close feedback loop carries a shock, per underlying."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    DataDirOption,
    DateOption,
    DbOption,
    FormatOption,
    KoreanAumOption,
    OutputFormat,
    creations_note,
    describe_move,
    emit,
    format_frac,
    note,
    note_read,
    output_format,
    parse_korean_aum,
    parse_move,
    parse_move_grid,
    single,
    single_float,
    state_from_options,
)

EPILOG = """
Examples:

  gaemi stress --shock -2%  # every underlying of the default scenario

  gaemi stress --shock -2% --underlying NDX --korean-aum 45e9

  # final move against shock, critical shock
  gaemi stress --underlying SOX --curve

  gaemi stress --shock -3% --liquidity-scale 0.25 --format json

  # override any default parameter
  gaemi stress --shock -2% --scenario my_stress.yaml
"""


_SHORT = {
    "letf_rebalancing_flow_usd": "letf_usd",
    "dealer_gamma_flow_usd": "gamma_usd",
    "stop_loss_flow_usd": "stops_usd",
    "margin_calls_flow_usd": "margin_usd",
    "retail_redemptions_flow_usd": "panic_usd",
    "final_move_frac": "final_move_frac",
    "amplification": "amplif",
    "letf_pressure_ratio": "letf_pressure",
    "threshold_move_frac": "threshold_move_frac",
    "total_pressure_ratio": "total_pressure",
    "critical_shock_frac": "critical_move_frac",
    "spx_move_frac": "spx_move_frac",
    "past_critical": "past_crit",
}


_PRESSURE_CAPTION = (  # in the words of the table's headers (gaemi.units.column_header)
    "+ = buying; leveraged-fund pressure = |leveraged funds' flow| / close capacity (the "
    "monitor's close_pressure; 1 at the threshold move, the close move in the shock's "
    "direction); total-flow pressure = |all participants' flow| / close capacity"
)


def stress(
    shock_given: Annotated[
        list[str] | None,
        typer.Option(
            "--shock",
            "-s",
            metavar="MOVE",
            help="The move into the close: -2% or -0.02 (default -2%).",
        ),
    ] = None,
    underlying: Annotated[
        list[str] | None,
        typer.Option(
            "--underlying",
            "-u",
            help="Underlying id (NDX, SOX, SPX, TSLA, NVDA …); repeatable. Default: every "
            "underlying with liquidity in the scenario.",
        ),
    ] = None,
    scenario_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            metavar="FILE",
            help="Stress YAML; sections left out come from the default.",
        ),
    ] = None,
    korean_aum_given: KoreanAumOption = None,
    liquidity_scale_given: Annotated[
        list[float] | None,
        typer.Option(
            "--liquidity-scale",
            metavar="SCALE",
            help="Multiply every ADV (0.5 = half the liquidity; default 1).",
        ),
    ] = None,
    curve: Annotated[
        bool,
        typer.Option(
            "--curve", help="Final move against shock over a grid; marks the critical shock."
        ),
    ] = False,
    shocks_given: Annotated[
        list[str] | None,
        typer.Option(
            "--shocks",
            metavar="START:STOP:STEP",
            help="Grid for --curve, START:STOP:STEP (use --shocks=…; default -10%:-0.5%:0.5%).",
        ),
    ] = None,
    intraday: Annotated[
        bool,
        typer.Option(
            "--intraday",
            help="The last hour minute by minute for one underlying: price path and who "
            "traded what when (MOC at 15:45, imbalance published 15:50 ET).",
        ),
    ] = False,
    half_life_given: Annotated[
        list[float] | None,
        typer.Option(
            "--half-life",
            metavar="MINUTES",
            help="With --intraday: impact half-life in minutes (default inf).",
        ),
    ] = None,
    anticipation_given: Annotated[
        list[float] | None,
        typer.Option(
            "--anticipation",
            metavar="SHARE",
            help="With --intraday: share of the imbalance traded ahead (0-1; default 0).",
        ),
    ] = None,
    creations_given: Annotated[
        list[str] | None,
        typer.Option(
            "--creations",
            metavar="MODE",
            help="Creations that respond to the move, C = β·A·r: measured (β per fund "
            "class from the issuer data; replaces the panic rule), none (default) or a β.",
        ),
    ] = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    date: DateOption = None,
    fmt_given: FormatOption = None,
) -> None:
    """Closing move after the feedback loop r = r₀ + I(Σ participants' flows(r)).

    Participants: leveraged-ETF rebalancing, dealer short gamma, stop-loss ladders,
    margin-call sellers, retail redemptions. Impact: square-root law (default) or linear.
    Flags the market-wide circuit breakers (only level 3, -20% of the S&P 500, halts
    after 15:25 ET). Parameters and their sources: docs/stress.md.
    """
    import pandas as pd

    from gaemi.app.stress import (
        check_liquidity_scale,
        load_scenario,
        stress_curve_session,
        stress_session,  # one US session: the market-wide breaker
        stress_setup,
    )

    shock: str | None = single(shock_given, "--shock")
    fmt = output_format(fmt_given)
    scenario: Path | None = single(scenario_given, "--scenario")
    korean_aum: str | None = single(korean_aum_given, "--korean-aum")
    scale = single_float(liquidity_scale_given, "--liquidity-scale")
    liquidity_scale = 1.0 if scale is None else scale
    shocks: str = single(shocks_given, "--shocks") or "-10%:-0.5%:0.5%"
    hl = single_float(half_life_given, "--half-life", allow_inf=True)
    half_life = math.inf if hl is None else hl
    ant = single_float(anticipation_given, "--anticipation")
    anticipation = 0.0 if ant is None else ant
    if curve and shock is not None:
        raise GaemiInputError("give either --shock or --curve (with --shocks=START:STOP:STEP)")
    check_liquidity_scale(liquidity_scale, "--liquidity-scale")
    sc = load_scenario(scenario)
    aum = parse_korean_aum(korean_aum) if korean_aum is not None else None
    state = state_from_options(db, data_dir, date)
    names = [x.upper() for x in underlying] if underlying else list(sc.underlyings)
    kw: dict[str, Any] = {
        "scenario": sc,
        "korean_aum_usd": aum,
        "liquidity_scale": liquidity_scale,
        "creations": single(creations_given, "--creations"),
    }
    # every underlying checked before anything is printed
    setups = [stress_setup(state, n, **kw) for n in names]
    if kw["creations"] is not None and setups and setups[0].creations is not None:
        note(creations_note(setups[0].creations))
    if curve:
        from gaemi.core.flows import ladder_moves

        grid = ladder_moves(*parse_move_grid(shocks, "shocks"))
        note_read(
            f"read --shocks {shocks} as {grid.size} shocks from {grid[0]:+.4g} to {grid[-1]:+.4g}"
        )
        results = stress_curve_session(state, names, grid, **kw)  # one session per move
        out = pd.concat([r.to_frame() for r in results], ignore_index=True)
        if fmt == OutputFormat.table:
            out = out.drop(columns=["extra_move_frac", "runaway"]).rename(columns=_SHORT)
        emit(
            out,
            fmt,
            title=f"Close feedback curve — {sc.name}",
            caption="; ".join(r.summary() for r in results),
        )
        return
    text = shock if shock is not None else "-2%"
    value = parse_move(text, "shock")
    if intraday:
        from gaemi.core.intraday import IntradaySpec, simulate_last_hour

        if len(names) != 1:
            raise GaemiInputError("--intraday: give one --underlying")
        setup = stress_setup(state, names[0], move_sign=value, **kw)  # β of the move's side
        note_read(describe_move(text, value))
        spec = IntradaySpec(half_life_min=half_life, anticipation_frac=anticipation)
        res = simulate_last_hour(setup.model, value, spec)
        df = res.to_frame()
        if fmt == OutputFormat.table:
            df = df.rename(
                columns={k.replace("_flow_usd", "_trade_usd"): v for k, v in _SHORT.items()}
            )
            trade_cols = [c for c in df.columns if c.endswith("_usd")]
            df[trade_cols] = df[trade_cols].where(df[trade_cols].abs() >= 0.5, 0.0)
            active = (df[trade_cols] != 0).any(axis=1)
            df = df[(df["minute"] % 5 == 0) | (df["minute"] >= 45) | active]
        emit(
            df,
            fmt,
            title=f"{setup.underlying}: the last hour, shock {format_frac(value)} — {sc.name}",
            caption=f"close {format_frac(float(res.close_move_frac[0]))}; MOC imbalance "
            f"sent 15:45, published 15:50 ET; rows: every 5 min, minutes with trades, "
            "every minute from 15:45",
        )
        return
    if value <= -1.0:
        raise GaemiInputError(f"shock = {text!r} is at or below -100%")
    note_read(describe_move(text, value) + ("" if shock is not None else " (default)"))
    df = pd.concat(
        [r.to_frame() for r in stress_session(state, names, value, **kw)], ignore_index=True
    )
    if fmt == OutputFormat.table:  # narrower headers on screen; JSON/CSV keep full names
        df = df.drop(columns=["extra_move_frac", "runaway", "spx_move_frac"]).rename(columns=_SHORT)
    emit(
        df,
        fmt,
        title=f"Close feedback stress — {sc.name}",
        caption=_PRESSURE_CAPTION + "; circuit-breaker halt: only level 3 halts after 15:25 ET",
    )


def register(app: typer.Typer) -> None:
    """Add ``stress`` to the app."""
    app.command("stress", epilog=EPILOG)(stress)
