"""``gaemi sweep``: a parameter grid or Monte Carlo batch over an engine, on Dask."""

from __future__ import annotations

import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gaemi.errors import GaemiInputError
from gaemi.present.cli.common import (
    DataDirOption,
    DateOption,
    DbOption,
    FormatOption,
    OutputFormat,
    SeedOption,
    emit,
    note,
    parse_money,
    parse_move,
    parse_number,
    parse_positive_number,
    single,
)

if TYPE_CHECKING:
    import pandas as pd

EPILOG = """
Examples:

  gaemi sweep --korean-aum 10B,45B,90B --liquidity-scale 0.25:1:0.25 \\
      --impact-y 0.5:1.3:0.2 --shocks=-10%:-1%:1% --out grid.parquet

  gaemi sweep -u NDX,SOX --shocks=-8%:-1%:1% --workers 4 --format csv

  gaemi sweep --scheduler tcp://10.0.0.5:8786 --korean-aum 0:150B:5B --shocks=-5%:-1%:1% \\
      --out big.parquet                           # an existing Dask cluster

  gaemi sweep --engine decay --leverage 3,-3 --vol 20%:80%:10% --days 63,126,252 \\
      --paths 20000 --seed 7 --out decay.csv      # Monte Carlo per grid point

  gaemi sweep --shocks=-5%:-1%:1% --serial        # no Dask: one process, same numbers

  gaemi sweep --shocks=-8%:8%:2% --creations measured   # creations of each shock's side
"""

#: Grid points below which a sweep runs in this process unless Dask is asked for by name
#: (``--workers``, ``--threads``, ``--processes`` or ``--scheduler``); from this size a
#: feedback sweep runs on local Dask threads when a core is free (:data:`FREE_CORES_NEEDED`),
#: else here too. Measured by ``benchmarks/bench_sweep.py`` (100,000, 919,100 and
#: 3,400,670 feedback points; docs/scale.md §3, *When Dask pays*): with a core free, 2
#: local Dask threads were 1.03x serial at 100,000 points, 0.85x at 919,100 (ahead in all
#: 5 pairs) and 0.67x at 3,400,670; with no core free (load 2-11 on 2 cores) they were
#: within the noise at every size (0.80-1.47x: a feedback chunk is a quarter Python
#: holding the GIL). 900,000 is 919,100, the smallest size measured ahead, rounded down:
#: a straight line through the grid's best timings at 919,100 and 3,400,670 points puts
#: break-even near 480,000 points, but below 919,100 that line is an extrapolation, never
#: timed. A decay point is a Monte Carlo of
#: thousands of paths, all NumPy: Dask from 2 points, whatever the load.
AUTO_SERIAL_BELOW = {"feedback": 900_000, "decay": 2}
#: Idle cores (``os.cpu_count()`` minus the 1-minute load average, read once when the
#: sweep starts, before it adds its own work) a feedback sweep of at least
#: ``AUTO_SERIAL_BELOW["feedback"]`` points needs to go to Dask by itself: one, for the
#: second thread. The benchmark's quiet run (load 1.2-1.5 counting its own runs, about
#: one core, so the others used well under one) is the case that paid; a platform without
#: a load average counts as free.
FREE_CORES_NEEDED = 1
#: Grid points above which the table view prints only the first rows.
TABLE_MAX_ROWS = 60
#: Values one axis may have.
MAX_AXIS = 100_000


def _load_1min() -> float | None:
    """The machine's 1-minute load average now, or None where the platform has none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # no getloadavg (Windows), or unobtainable
        return None


class Engine(StrEnum):
    """Engines a sweep can drive."""

    feedback = "feedback"
    decay = "decay"


def _values(text: str, name: str, parse: Callable[[str, str], float]) -> tuple[float, ...]:
    """``a,b,c`` or ``START:STOP:STEP`` (inclusive) read with ``parse`` element by element."""
    import math

    import numpy as np

    s = str(text).strip()
    if ":" in s:
        parts = s.split(":")
        if len(parts) != 3:
            raise GaemiInputError(f"--{name} = {text!r} must be a,b,c or START:STOP:STEP")
        lo, hi = parse(parts[0], f"--{name}"), parse(parts[1], f"--{name}")
        step = parse(parts[2].lstrip("+"), f"--{name}")
        if not step > 0:
            raise GaemiInputError(f"--{name} step = {parts[2]!r} must be > 0")
        if lo > hi:  # the step is > 0: the range goes up from START to STOP
            raise GaemiInputError(
                f"--{name} = {text!r}: START {parts[0]} is above STOP {parts[1]}; "
                f"ranges go up (e.g. {parts[1]}:{parts[0]}:{parts[2]})"
            )
        n = math.floor((hi - lo) / step + 1e-9) + 1
        if n > MAX_AXIS:
            raise GaemiInputError(f"--{name} = {text!r} has {n:,} values; at most {MAX_AXIS:,}")
        grid = lo + step * np.arange(n)
        # 12 significant digits: -10%:-1%:1% gives exactly -0.1, -0.09, ..., -0.01
        digits = 12 - math.floor(math.log10(max(abs(lo), abs(hi), step)))
        vals = [float(v) for v in np.round(grid, digits)]
    else:
        vals = [parse(p.strip(), f"--{name}") for p in s.split(",") if p.strip()]
    if not vals:
        raise GaemiInputError(f"--{name} = {text!r} has no values")
    if len(set(vals)) != len(vals):
        raise GaemiInputError(f"--{name} = {text!r} repeats a value")
    return tuple(vals)


def _axes(engine: Engine, opts: dict[str, str | None]) -> dict[str, tuple[object, ...]]:
    """The grid's axes from the options, in the order of the engine's axes."""
    axes: dict[str, tuple[object, ...]] = {}

    def add(axis: str, flag: str, parse: Callable[[str, str], float]) -> None:
        text = opts.get(flag)
        if text is not None:
            axes[axis] = _values(text, flag, parse)

    if engine == Engine.feedback:
        und = opts.get("underlying")
        if und:
            names = tuple(dict.fromkeys(x.strip().upper() for x in und.split(",") if x.strip()))
            axes["underlying"] = names
        add("korean_aum_usd", "korean-aum", parse_money)
        add("liquidity_scale", "liquidity-scale", parse_positive_number)
        add("impact_y", "impact-y", parse_positive_number)
        add("shock_frac", "shocks", parse_move)
    else:
        for flag in ("korean-aum", "liquidity-scale", "impact-y", "underlying"):
            if opts.get(flag) is not None:
                raise GaemiInputError(f"--{flag} applies to --engine feedback only")
        add("leverage", "leverage", parse_number)
        add("vol_annual", "vol", parse_move)
        add("horizon_days", "days", parse_positive_number)
        add("drift_annual", "drift", parse_move)
    return axes


def _out_suffix(out: Path) -> str:
    """``--out``'s suffix, lower case: .parquet, .csv or .json, else one line."""
    suffix = out.suffix.lower()
    if suffix not in (".parquet", ".csv", ".json"):
        raise GaemiInputError(f"--out {out}: suffix must be .parquet, .csv or .json")
    return suffix


class _RowWriter:
    """Rows to ``--out`` chunk by chunk as they are produced (memory flat in the grid).

    The rows go to a hidden temporary file beside ``out`` that replaces it only when the
    sweep has finished: a failed or interrupted sweep leaves no half-written file.
    """

    def __init__(self, out: Path) -> None:
        import tempfile

        self.out = out
        self.suffix = _out_suffix(out)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self.rows = 0
        self.columns = 0
        self._fh: Any = None
        self._pq: Any = None

    def write(self, df: pd.DataFrame) -> None:
        first = self.rows == 0 and self._fh is None and self._pq is None
        if self.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.tmp, table.schema)
            self._pq.write_table(table)
        elif self.suffix == ".csv":
            if self._fh is None:
                self._fh = self.tmp.open("w", encoding="utf-8", newline="")
            df.to_csv(self._fh, index=False, header=first, lineterminator="\n")
        else:
            import json

            from gaemi.present.cli.common import records

            if self._fh is None:
                self._fh = self.tmp.open("w", encoding="utf-8")
                self._fh.write("[")
            for rec in records(df):
                self._fh.write(
                    ("\n" if self.rows == 0 else ",\n") + json.dumps(rec, allow_nan=False)
                )
                self.rows += 1
            self.columns = df.shape[1]
            return
        self.rows += len(df)
        self.columns = df.shape[1]

    def finish(self) -> None:
        if self.suffix == ".json" and self._fh is not None:
            self._fh.write("\n]\n")
        if self._fh is not None:
            self._fh.close()
        if self._pq is not None:
            self._pq.close()
        os.replace(self.tmp, self.out)

    def abort(self) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._pq is not None:
            self._pq.close()
        self.tmp.unlink(missing_ok=True)


def sweep(
    engine_given: Annotated[
        list[Engine] | None,
        typer.Option(
            "--engine",
            "-e",
            metavar="feedback|decay",
            help="Engine to drive at every grid point (feedback).",
        ),
    ] = None,
    underlying_given: Annotated[
        list[str] | None,
        typer.Option(
            "--underlying",
            "-u",
            metavar="LIST",
            help="feedback: underlyings, e.g. NDX,SOX (NDX).",
        ),
    ] = None,
    korean_aum_given: Annotated[
        list[str] | None,
        typer.Option(
            "--korean-aum",
            metavar="VALUES",
            help="feedback: Korean 3x holdings, USD: 10B,45B or 0:150B:5B (default: as held).",
        ),
    ] = None,
    liquidity_scale_given: Annotated[
        list[str] | None,
        typer.Option(
            "--liquidity-scale",
            metavar="VALUES",
            help="feedback: ADV multipliers, 0.25,0.5,1 or 0.25:1:0.25.",
        ),
    ] = None,
    impact_y_given: Annotated[
        list[str] | None,
        typer.Option(
            "--impact-y",
            metavar="VALUES",
            help="feedback: square-root impact Y values (scenario's).",
        ),
    ] = None,
    shocks_given: Annotated[
        list[str] | None,
        typer.Option(
            "--shocks",
            metavar="VALUES",
            help="feedback: moves into the close, -5%,-2% or -10%:-1%:1%.",
        ),
    ] = None,
    scenario_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--scenario",
            metavar="FILE",
            help="feedback: stress YAML (default built in).",
        ),
    ] = None,
    creations_given: Annotated[
        list[str] | None,
        typer.Option(
            "--creations",
            metavar="MODE",
            help="feedback: creations that respond to the move, C = β·A·r: measured (β "
            "per fund class and side of each point's shock; replaces the panic rule), "
            "none (default) or a β — each row as gaemi stress --creations.",
        ),
    ] = None,
    leverage_given: Annotated[
        list[str] | None,
        typer.Option(
            "--leverage",
            metavar="VALUES",
            help="decay: fund leverages, e.g. 3,-3 (3).",
        ),
    ] = None,
    vol_given: Annotated[
        list[str] | None,
        typer.Option(
            "--vol",
            metavar="VALUES",
            help="decay: annual vols, 20%:80%:10% (required).",
        ),
    ] = None,
    days_given: Annotated[
        list[str] | None,
        typer.Option(
            "--days",
            metavar="VALUES",
            help="decay: horizons in trading days (126).",
        ),
    ] = None,
    drift_given: Annotated[
        list[str] | None,
        typer.Option(
            "--drift",
            metavar="VALUES",
            help="decay: annual drifts of the underlying (0).",
        ),
    ] = None,
    paths_given: Annotated[
        list[int] | None,
        typer.Option(
            "--paths",
            metavar="N",
            help="decay: Monte Carlo paths per grid point (10000).",
        ),
    ] = None,
    seed_given: SeedOption = None,
    chunk_given: Annotated[
        list[int] | None,
        typer.Option(
            "--chunk",
            metavar="N",
            help="Grid points per task (feedback 4096, decay 8).",
        ),
    ] = None,
    scheduler_given: Annotated[
        list[str] | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Address of a running Dask scheduler (tcp://host:8786).",
        ),
    ] = None,
    workers_given: Annotated[
        list[int] | None,
        typer.Option(
            "--workers",
            "-w",
            metavar="N",
            help="Local Dask workers (default: the machine's cores; none for a feedback grid "
            "that is small or on a busy machine).",
        ),
    ] = None,
    threads: Annotated[
        bool,
        typer.Option("--threads", help="Local workers as threads of this process (the default)."),
    ] = False,
    processes: Annotated[
        bool,
        typer.Option(
            "--processes", help="Local workers as processes (a LocalCluster; slower to start)."
        ),
    ] = False,
    serial: Annotated[
        bool, typer.Option("--serial", help="No Dask: every chunk in this process.")
    ] = False,
    out_given: Annotated[
        list[Path] | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="Write all rows to .parquet, .csv or .json.",
        ),
    ] = None,
    fmt_given: FormatOption = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    date: DateOption = None,
) -> None:
    """Run an engine over a parameter grid (Korean AUM x liquidity x impact Y x shock) on Dask.

    The grid is the product of the given axes, cut into chunks; each chunk is a Dask task
    (threads of this process by default; --processes or --scheduler for more). A
    feedback sweep that names no workers (--workers, --threads, --processes, --scheduler
    or --serial) runs on local Dask threads when its grid has at least 900,000 points
    and a core is free (the 1-minute load average at most the number of cores minus 1),
    else in this process: Dask does not pay below that size or on a busy machine; the
    note line says which and why. Every grid point draws from its own seed (child i of
    SeedSequence(seed)), so the numbers do not depend on the number of workers or the
    chunk size. Results: one row per grid point, to --out or stdout.
    """
    import math

    from gaemi.app.decay import check_seed
    from gaemi.app.sweep import chunk_for_workers, gather_parts, iter_serial, sweep_spec
    from gaemi.present.cli.common import (
        check_count,
        check_creations,
        creations_note,
        output_format,
        progress_bar,
        state_from_options,
        writable_file,
    )
    from gaemi.present.dist import iter_dask

    # declared as lists so that a repeat is refused, not silently the last one (single())
    engine: Engine = single(engine_given, "--engine", Engine.feedback)
    underlying: str | None = single(underlying_given, "--underlying")
    korean_aum: str | None = single(korean_aum_given, "--korean-aum")
    liquidity_scale: str | None = single(liquidity_scale_given, "--liquidity-scale")
    impact_y: str | None = single(impact_y_given, "--impact-y")
    shocks: str | None = single(shocks_given, "--shocks")
    scenario: Path | None = single(scenario_given, "--scenario")
    creations: str | None = single(creations_given, "--creations")
    leverage: str | None = single(leverage_given, "--leverage")
    vol: str | None = single(vol_given, "--vol")
    days: str | None = single(days_given, "--days")
    drift: str | None = single(drift_given, "--drift")
    paths: int = single(paths_given, "--paths", 10_000)
    seed: int = check_seed(single(seed_given, "--seed", 0), "--seed")
    chunk: int | None = single(chunk_given, "--chunk")
    scheduler: str | None = single(scheduler_given, "--scheduler")
    workers: int | None = single(workers_given, "--workers")
    out: Path | None = single(out_given, "--out")
    fmt = output_format(fmt_given)
    opts = {
        "underlying": underlying,
        "korean-aum": korean_aum,
        "liquidity-scale": liquidity_scale,
        "impact-y": impact_y,
        "shocks": shocks,
        "leverage": leverage,
        "vol": vol,
        "days": days,
        "drift": drift,
    }
    if check_creations(creations) is not None and engine != Engine.feedback:
        raise GaemiInputError("--creations applies to --engine feedback only")
    if engine == Engine.feedback and shocks is None:
        raise GaemiInputError("feedback sweep: give --shocks (e.g. --shocks=-10%:-1%:1%)")
    if engine == Engine.decay and vol is None:
        raise GaemiInputError("decay sweep: give --vol (e.g. --vol 20%:80%:10%)")
    check_count(paths, "--paths")
    if scheduler is not None and (serial or workers is not None):
        raise GaemiInputError("--scheduler runs on that cluster: drop --serial/--workers")
    check_count(workers, "--workers")
    if threads and processes:
        raise GaemiInputError("--threads and --processes: give one of them")
    if (threads or processes) and (serial or scheduler is not None):
        flag = "--threads" if threads else "--processes"
        raise GaemiInputError(f"{flag} is for local Dask workers: drop --serial/--scheduler")
    if out is not None:
        _out_suffix(out)
        writable_file(out, "--out")  # before any work: nothing computed for nowhere
    state = (
        state_from_options(db, data_dir, date)
        if engine == Engine.feedback and (db or data_dir or date)
        else None
    )
    axes = _axes(engine, opts)
    n_points = math.prod(len(v) for v in axes.values())
    # where it runs when nothing says: small feedback grids here; big ones on Dask threads
    # when a core is free (the load read once, now, before this sweep adds its own work)
    auto = not serial and scheduler is None and workers is None and not (threads or processes)
    below = AUTO_SERIAL_BELOW[engine.value]
    why_here = why_dask = ""
    if auto and n_points < below:
        why_here = f"below {below:,} points; --workers N for Dask"
    elif auto and engine == Engine.feedback:
        cores = os.cpu_count() or 1
        load = _load_1min()
        on = f"on {cores} core{'s' if cores != 1 else ''}"
        if cores < 2:
            why_here = "1 core, none for a second worker; --workers N for Dask"
        elif load is None:
            why_dask = f"{below:,} points or more; no load average here, taken as free"
        elif cores - load >= FREE_CORES_NEEDED:
            why_dask = f"{below:,} points or more and a core free: load {load:.2f} {on}"
        else:
            why_here = f"load {load:.2f} {on}, no core free; --workers N for Dask"
    serial = serial or bool(why_here)
    n_workers = workers if workers is not None else max(1, min(8, os.cpu_count() or 1))
    if chunk is None and not serial and scheduler is None:
        # enough chunks for every local worker to stay busy to the end (same numbers)
        chunk = chunk_for_workers(engine.value, n_points, n_workers)
    spec = sweep_spec(
        engine.value,
        axes,
        scenario=None if scenario is None else str(scenario),
        paths=paths,
        rng=seed,
        chunk_points=chunk,
        state=state,
        creations=creations,
    )
    if creations is not None:
        from gaemi.app.sweep import creations_choice

        note(creations_note(creations_choice(creations)))
    kind = "processes" if processes else "threads"
    where = (
        f"this process ({why_here})"
        if why_here
        else "this process"
        if serial
        else f"Dask scheduler {scheduler}"
        if scheduler
        else f"local Dask, {n_workers} workers ({kind}{'; ' + why_dask if why_dask else ''})"
    )
    shape = " x ".join(f"{a.name}[{len(a)}]" for a in spec.axes)
    n_chunks = len(spec.chunks())
    note(
        f"sweep {engine.value}: {shape} = {spec.n_points:,} points in "
        f"{n_chunks} chunk{'s' if n_chunks != 1 else ''} on {where}, seed {seed}"
    )
    with progress_bar(spec.n_points, "grid points", True) as cb:
        parts = (
            iter_serial(spec, progress=cb)
            if serial
            else iter_dask(
                spec, scheduler=scheduler, workers=n_workers, processes=processes, progress=cb
            )
        )
        if out is not None:
            writer = _RowWriter(out)
            try:
                for part in parts:
                    writer.write(part)
            except BaseException:
                writer.abort()
                raise
            writer.finish()
        elif fmt == OutputFormat.csv:
            import sys

            for k, part in enumerate(parts):  # streamed: memory flat in the grid size
                part.to_csv(sys.stdout, index=False, header=k == 0, lineterminator="\n")
            return
        elif fmt == OutputFormat.table:
            import pandas as pd

            head: list[pd.DataFrame] = []
            total = kept = 0
            for part in parts:  # only the rows the table shows are kept
                total += len(part)
                if kept < TABLE_MAX_ROWS:
                    head.append(part.head(TABLE_MAX_ROWS - kept))
                    kept += len(head[-1])
            df = pd.concat(head, ignore_index=True)
        else:
            df = gather_parts(list(parts))
    if out is not None:
        note(f"wrote {writer.rows:,} rows x {writer.columns} columns to {out}")
        return
    caption = ""
    if fmt == OutputFormat.table and total > TABLE_MAX_ROWS:
        caption = f"first {TABLE_MAX_ROWS} of {total:,} rows; --out FILE or --format csv for all"
    emit(df, fmt, title=f"Sweep — {engine.value}", caption=caption)


def register(app: typer.Typer) -> None:
    """Add ``sweep`` to the app."""
    app.command("sweep", epilog=EPILOG)(sweep)
