"""``gaemi investor``: one account's risk of margin call, ruin and graduation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    DataDirOption,
    DateOption,
    DbOption,
    FormatOption,
    OutputFormat,
    SeedOption,
    check_choice,
    check_count,
    emit,
    finite_option,
    note,
    note_lines,
    output_format,
    parse_money,
    parse_move,
    parse_number,
    parse_positive_frac,
    print_json,
    print_text,
    progress_bar,
    single,
    state_from_options,
    writable_file,
)
from gaemi.units import column_header, format_cell  # one formatter, every face

#: Paths above which a progress bar is shown on stderr.
PROGRESS_MIN_PATHS = 50_000

EPILOG = """
Examples:

  gaemi investor --capital 140000000 --currency KRW --position SOXL=1.0 --margin 0.5

  gaemi investor --capital 140000000 --position SOXL=1 --target 280000000 --months 12

  gaemi investor --capital 50000 --currency USD --position TSLL=0.5 --position NVDL=0.5 \\
      --model garch --months 6

  gaemi investor --capital 13000 --currency USD --position SOXL=1 --days 3 --vol 80%

  gaemi investor --capital 140e6 --position SOXL=1 --margin 0.5 --view text

Replay on real history (prices and USD/KRW of --data-dir; default $GAEMI_SHARED_DATA or
../shared/data):

  gaemi investor --replay --from 2024-07-01 --capital 140M --position SOXL=1 --margin 0.5 \\
      --data-dir ../shared/data

  gaemi investor --replay --from 2020-01-02 --capital 10M --position TQQQ=1 --deposit 1M \\
      --data-dir ../shared/data --html tqqq.html

  gaemi investor --replay --from 2020-01-02 --capital 100M -p TSLL=0.5 -p NVDL=0.5 \\
      --backfill --compare-paths 4000 --format json --data-dir ../shared/data
"""

VIEWS = ("summary", "drawdown", "text")


def parse_positions(items: list[str]) -> list[tuple[str, float]]:
    """``SOXL=1.0`` or ``TSLL=0.5,NVDL=0.5`` (repeatable) → [(ticker, weight)]."""
    out: list[tuple[str, float]] = []
    for item in items:
        for part in str(item).split(","):
            if not part.strip():
                continue
            tic, sep, w = part.partition("=")
            if not sep or not tic.strip():
                raise GaemiInputError(f"position = {part!r} must be TICKER=WEIGHT, e.g. SOXL=1.0")
            weight = parse_number(w.strip(), f"position {tic.strip()} weight")
            out.append((tic.strip().upper(), weight))
    if not out:
        raise GaemiInputError("give at least one --position, e.g. --position SOXL=1.0")
    tickers = [t for t, _ in out]
    dup = sorted({t for t in tickers if tickers.count(t) > 1})
    if dup:
        raise GaemiInputError(f"position {dup[0]} is given twice")
    return out


def parse_ratio(text: str, name: str) -> float:
    """``140%`` or ``1.4`` → 1.4."""
    return parse_number(text, name, "a ratio (write 140% or 1.4)")


def investor(
    capital: Annotated[
        str, typer.Option("--capital", help="Your own money: 140000000, 140M, 13000.")
    ],
    position: Annotated[
        list[str],
        typer.Option("--position", "-p", help="TICKER=WEIGHT of the money invested; repeatable."),
    ],
    currency: Annotated[str, typer.Option("--currency", help="KRW or USD.")] = "KRW",
    margin: Annotated[
        float,
        typer.Option(
            "--margin",
            help="Margin loan as a multiple of capital (0.5 = +50%).",
            callback=finite_option,
        ),
    ] = 0.0,
    maintenance: Annotated[
        str | None,
        typer.Option("--maintenance", help="Maintenance ratio collateral/loan: 140% or 1.4."),
    ] = None,
    grace_days: Annotated[
        int | None, typer.Option("--grace-days", help="Closes to cure a call (Korea: 2).")
    ] = None,
    loan_rate: Annotated[
        str | None, typer.Option("--loan-rate", help="Margin loan interest, e.g. 8%.")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="Cash out ('graduate') at this account value.")
    ] = None,
    months: Annotated[
        float | None, typer.Option("--months", help="Horizon in months.", callback=finite_option)
    ] = None,
    days: Annotated[int | None, typer.Option("--days", help="Horizon in trading days.")] = None,
    model: Annotated[str, typer.Option("--model", help="constant | garch | bootstrap")] = "garch",
    vol: Annotated[
        str | None, typer.Option("--vol", help="Constant annual vol of every underlying: 60%.")
    ] = None,
    drift: Annotated[
        str | None, typer.Option("--drift", help="Expected annual return of the underlyings.")
    ] = None,
    history: Annotated[
        list[Path] | None,
        typer.Option("--history", help="Bootstrap: CSV Date,Close per underlying."),
    ] = None,
    fx: Annotated[str | None, typer.Option("--fx", help="KRW per USD (default: embedded).")] = None,
    fx_vol: Annotated[
        str | None, typer.Option("--fx-vol", help="USD/KRW annual vol (default: embedded).")
    ] = None,
    fx_beta: Annotated[
        float | None,
        typer.Option(
            "--fx-beta",
            help="USD/KRW log change per unit NDX/SOX log return (default: calibrated; "
            "0 = the won moves independently).",
            callback=finite_option,
        ),
    ] = None,
    paths: Annotated[int, typer.Option("--paths", help="Monte Carlo paths.")] = 20_000,
    seed_given: SeedOption = None,
    view: Annotated[str, typer.Option("--view", help="summary | drawdown | text")] = "summary",
    workers: Annotated[int | None, typer.Option("--workers", help="Threads.")] = None,
    fmt_given: FormatOption = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    date: DateOption = None,
    replay: Annotated[
        bool,
        typer.Option(
            "--replay",
            help="Replay the account on real prices and USD/KRW from --from (no simulation).",
            rich_help_panel="Replay on real history",
        ),
    ] = False,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="YYYY-MM-DD",
            help="Replay: first day (bought at its close).",
            rich_help_panel="Replay on real history",
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="YYYY-MM-DD",
            help="Replay: last day (default: the last day every price is known).",
            rich_help_panel="Replay on real history",
        ),
    ] = None,
    deposit: Annotated[
        str | None,
        typer.Option(
            "--deposit",
            help="Replay: money added on the first trading day of each month (적립식).",
            rich_help_panel="Replay on real history",
        ),
    ] = None,
    rebalance: Annotated[
        str,
        typer.Option(
            "--rebalance",
            help="Replay: none | monthly | quarterly (back to the weights).",
            rich_help_panel="Replay on real history",
        ),
    ] = "none",
    stop_loss: Annotated[
        str | None,
        typer.Option(
            "--stop-loss",
            help="Replay: sell everything at the next open after losing this much (30%).",
            rich_help_panel="Replay on real history",
        ),
    ] = None,
    top_up: Annotated[
        str | None,
        typer.Option(
            "--top-up",
            help="Replay: money added per margin call on its deadline to cure it.",
            rich_help_panel="Replay on real history",
        ),
    ] = None,
    sale_discount: Annotated[
        str | None,
        typer.Option(
            "--sale-discount",
            help="Replay: price cut of a forced sale below the open (default investor.yaml).",
            rich_help_panel="Replay on real history",
        ),
    ] = None,
    backfill: Annotated[
        bool,
        typer.Option(
            "--backfill",
            help="Replay: extend a fund before it existed from its index (marked synthetic).",
            rich_help_panel="Replay on real history",
        ),
    ] = False,
    compare_paths: Annotated[
        int,
        typer.Option(
            "--compare-paths",
            help="Replay: paths of the forward simulation from the first day (0: none).",
            rich_help_panel="Replay on real history",
        ),
    ] = 0,
    html_out: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Replay: also write a self-contained HTML page with the charts.",
            rich_help_panel="Replay on real history",
        ),
    ] = None,
) -> None:
    """Monte Carlo of one account: probabilities of a margin call, a forced sale, losing
    50% and 90%, and reaching a target before ruin; drawdown distribution. With --replay:
    the same account on real history (margin calls, forced sales, equity in KRW and USD).
    """
    replay_given: dict[str, Any] = {
        "--from": from_,
        "--to": to,
        "--deposit": deposit,
        "--rebalance": None if rebalance == "none" else rebalance,
        "--stop-loss": stop_loss,
        "--top-up": top_up,
        "--sale-discount": sale_discount,
        "--backfill": backfill or None,
        "--compare-paths": compare_paths or None,
        "--html": html_out,
    }
    if replay:
        sim_only: dict[str, Any] = {
            "--months": months,
            "--days": days,
            "--vol": vol,
            "--drift": drift,
            "--history": history or None,
            "--fx": fx,
            "--fx-vol": fx_vol,
            "--fx-beta": fx_beta,
            "--workers": workers,
            "--model": None if model == "garch" else model,
            "--view": None if view == "summary" else view,
            "--paths": None if paths == 20_000 else paths,
        }
        for opt, v in sim_only.items():
            if v is not None:
                hint = " (the replay runs from --from to --to)"
                if opt == "--paths":
                    hint = " (use --compare-paths for the forward simulation)"
                raise GaemiInputError(f"{opt} = {v!r} does not apply to --replay{hint}")
        _replay(
            capital=capital,
            position=position,
            currency=currency,
            margin=margin,
            maintenance=maintenance,
            grace_days=grace_days,
            loan_rate=loan_rate,
            target=target,
            from_=from_,
            to=to,
            deposit=deposit,
            rebalance=rebalance,
            stop_loss=stop_loss,
            top_up=top_up,
            sale_discount=sale_discount,
            backfill=backfill,
            compare_paths=compare_paths,
            html_out=html_out,
            seed_given=seed_given,
            fmt_given=fmt_given,
            db=db,
            data_dir=data_dir,
            date=date,
        )
        return
    for opt, v in replay_given.items():
        if v is not None:
            raise GaemiInputError(f"{opt} = {v!r} needs --replay")
    from gaemi.app.decay import check_paths_memory, check_seed, horizon_days
    from gaemi.app.investor import INVESTOR_BYTES_PER_PATH
    from gaemi.app.investor import investor as run

    seed: int = single(seed_given, "--seed", 0)
    fmt = output_format(fmt_given)
    check_choice(view, VIEWS, "view")
    check_count(paths, "paths")
    check_count(workers, "--workers")
    cur = currency.strip().upper()
    if cur not in ("KRW", "USD"):
        raise GaemiInputError(f"currency = {currency!r} must be KRW or USD")
    cap = parse_money(capital, "capital")
    if cap <= 0:
        raise GaemiInputError(f"capital = {capital!r} must be > 0")
    n_days = horizon_days(months, days)
    maint = None if maintenance is None else parse_ratio(maintenance, "maintenance")
    loan_r = None if loan_rate is None else parse_positive_frac(loan_rate, "loan-rate")
    pos = parse_positions(position)
    fx_v = None if fx is None else parse_money(fx, "fx")
    fxv = None if fx_vol is None else parse_positive_frac(fx_vol, "fx-vol")
    target_v = None if target is None else parse_money(target, "target")
    vol_v = None if vol is None else parse_positive_frac(vol, "vol")
    drift_v = None if drift is None else parse_move(drift, "drift")
    check_seed(seed, "--seed")
    check_paths_memory(paths, INVESTOR_BYTES_PER_PATH, "--paths")
    state = state_from_options(db, data_dir, date)
    with progress_bar(paths, "accounts", paths >= PROGRESS_MIN_PATHS) as cb:
        res = run(
            state,
            cap,
            pos,
            currency=cur,
            margin=margin,
            maintenance_ratio=maint,
            grace_days=grace_days,
            loan_rate_annual=loan_r,
            target=target_v,
            days=n_days,
            model=model,
            vol_annual=vol_v,
            drift_annual=drift_v,
            history=history,
            usdkrw=fx_v,
            fx_vol_annual=fxv,
            fx_beta=fx_beta,
            paths=paths,
            rng=seed,
            workers=workers,
            progress=cb,
        )
    for n in res.notes:
        note(n)
    note_lines(res.warnings, "warning", state.warnings)
    if view == "text":
        print_text(res.summary())
        return
    if fmt == OutputFormat.table:
        note(res.summary())
    if view == "drawdown":
        emit(res.to_frame("drawdown"), fmt, title="Maximum drawdown and end value, by percentile")
        return
    import pandas as pd

    s: dict[str, Any] = res.summary_dict()
    if fmt == OutputFormat.table:
        emit(pd.DataFrame(account_risk_rows(s)), fmt, title="Account risk")
        return
    emit(res.to_frame(), fmt)


#: Replays whose trading days + forward paths reach this show a progress bar on stderr.
REPLAY_PROGRESS_MIN_STEPS = 2_500


def _replay(
    *,
    capital: str,
    position: list[str],
    currency: str,
    margin: float,
    maintenance: str | None,
    grace_days: int | None,
    loan_rate: str | None,
    target: str | None,
    from_: str | None,
    to: str | None,
    deposit: str | None,
    rebalance: str,
    stop_loss: str | None,
    top_up: str | None,
    sale_discount: str | None,
    backfill: bool,
    compare_paths: int,
    html_out: Path | None,
    seed_given: list[int] | None,
    fmt_given: list[OutputFormat] | None,
    db: list[Path] | None,
    data_dir: list[Path] | None,
    date: list[str] | None,
) -> None:
    """``gaemi investor --replay``: thin over :func:`gaemi.app.account.replay_account`."""
    import sys

    import numpy as np

    from gaemi.app.account import replay_account
    from gaemi.app.decay import check_seed
    from gaemi.app.state import parse_day
    from gaemi.app.validate import default_data_dir

    if from_ is None:
        raise GaemiInputError("--from is missing: --replay needs a first day, e.g. 2024-07-01")
    fmt = output_format(fmt_given)
    seed: int = single(seed_given, "--seed", 0)
    check_seed(seed, "--seed")
    if compare_paths < 0:
        raise GaemiInputError(f"compare-paths = {compare_paths} must be >= 0")
    if compare_paths:
        from gaemi.app.decay import check_paths_memory
        from gaemi.app.investor import INVESTOR_BYTES_PER_PATH

        check_paths_memory(compare_paths, INVESTOR_BYTES_PER_PATH, "--compare-paths")
    cap = parse_money(capital, "capital")
    pos = parse_positions(position)
    d0 = parse_day(from_, "from")
    d1 = None if to is None else parse_day(to, "to")
    maint = None if maintenance is None else parse_ratio(maintenance, "maintenance")
    loan_r = None if loan_rate is None else parse_positive_frac(loan_rate, "loan-rate")
    target_v = None if target is None else parse_money(target, "target")
    dep = 0.0 if deposit is None else parse_money(deposit, "deposit")
    stop_v = None if stop_loss is None else parse_positive_frac(stop_loss, "stop-loss")
    top_v = 0.0 if top_up is None else parse_money(top_up, "top-up")
    disc = None if sale_discount is None else parse_positive_frac(sale_discount, "sale-discount")
    if html_out is not None:
        writable_file(html_out, "--html")
    one_dir: Path | None = single(data_dir, "--data-dir")
    prices = one_dir if one_dir is not None else default_data_dir()
    if prices is None:
        raise GaemiInputError(
            "data-dir = None: --replay needs real prices; pass --data-dir ../shared/data "
            "(or set GAEMI_SHARED_DATA)"
        )
    from gaemi.app.state import load_state

    # the state's notes are printed after the replay ran: a refused account (weights,
    # tickers, dates before the data) is then the one stderr line (issue 21)
    state = load_state(
        db=single(db, "--db"),
        data_dir=one_dir,
        as_of=single(date, "--date") if date else None,
    )
    end_guess = d1 or dt.date.today()
    est_days = int(np.busday_count(d0, max(end_guess, d0))) + 1
    steps = est_days + compare_paths
    # a terminal only: Rich's transient bar leaves a blank line on a pipe
    show = steps >= REPLAY_PROGRESS_MIN_STEPS and sys.stderr.isatty()
    with progress_bar(steps, "replay", show) as cb:
        scaled = None
        if cb is not None:
            bar = cb

            def scaled(done: int, total: int) -> None:
                bar(round(done / max(total, 1) * steps), steps)

        res = replay_account(
            state,
            cap,
            pos,
            start=d0,
            end=d1,
            data_dir=prices,
            currency=currency,
            margin=margin,
            maintenance_ratio=maint,
            grace_days=grace_days,
            loan_rate_annual=loan_r,
            forced_sale_discount=disc,
            deposit=dep,
            rebalance=rebalance,
            stop_loss_frac=stop_v,
            target=target_v,
            top_up_max=top_v,
            backfill=backfill,
            forward_paths=compare_paths,
            rng=seed,
            progress=scaled,
        )
    note_lines(state.warnings)
    note_lines(res.warnings, "warning", state.warnings)
    if html_out is not None:
        from gaemi.present.report.replay_html import render_replay_html

        html_out.write_text(render_replay_html(res), encoding="utf-8")
        note(f"wrote {html_out}")
    if fmt == OutputFormat.json:
        print_json(res.to_dict(), ensure_ascii=False)
        return
    if fmt == OutputFormat.csv:
        emit(res.to_frame("daily"), fmt)
        return
    print_text(res.summary())
    emit(_events_table(res), fmt, title="Margin calls, top-ups, forced sales")
    if res.forward is not None and not res.forward.empty:
        emit(res.forward, fmt, title="Realised outcome in the forward simulation")


def _events_table(res: Any) -> Any:
    """The events with money in the account's currency and USD, for the terminal."""
    import pandas as pd

    ev = res.to_frame("events")
    c = res.currency
    if ev.empty:
        return pd.DataFrame({"event": ["no margin call, sale, ruin or graduation"]})
    out = ev[["date", "event"]].copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    # the key carries its currency, so the header does too ("Amount (₩)", "Amount ($)")
    # and emit writes each cell by the one rule (gaemi.units.format_cell)
    out[f"amount_{c.lower()}"] = ev[f"amount_{c.lower()}"].astype(float)
    if c != "USD":
        out["amount_usd"] = ev["amount_usd"].astype(float)
    out["at"] = ev["price_basis"]
    out["detail"] = ev["detail"] + ev["synthetic"].map({True: " (synthetic)", False: ""})
    return out


def account_risk_rows(summary: dict[str, Any]) -> list[dict[str, str]]:
    """The "Account risk" table: one row per key of the summary, the key's header with its
    unit (:func:`gaemi.units.column_header`: ``Capital (₩)``, ``Maintenance, collateral /
    loan (%)``) and its value by the one cell rule (:func:`gaemi.units.format_cell`:
    ``₩1.40억``, ``140.0%``, ``18.6%``, ``-15.30%``), as every table of every face."""
    return [{"metric": column_header(k), "value": format_cell(k, v)} for k, v in summary.items()]


def register(app: typer.Typer) -> None:
    """Add ``investor`` to the app."""
    app.command("investor", epilog=EPILOG)(investor)
