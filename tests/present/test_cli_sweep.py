"""``gaemi sweep``: Dask runs equal the single-process run, files, cross-checks, errors."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gaemi.core.sweep import Axis, SweepSpec
from gaemi.present.cli import main
from gaemi.present.dist import run_dask, run_serial

# 4 AUM x 5 liquidity x 5 Y x 10 shocks = 1,000 grid points
GRID = [
    "--korean-aum",
    "10B,45B,90B,150B",
    "--liquidity-scale",
    "0.25:1.25:0.25",
    "--impact-y",
    "0.5:1.3:0.2",
    "--shocks=-10%:-1%:1%",
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = main(["sweep", *args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_thousand_points_on_two_dask_workers_equal_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = tmp_path / "serial.parquet", tmp_path / "dask.parquet"
    rc, _, err = run(capsys, *GRID, "--serial", "--out", str(one))
    assert rc == 0, err
    assert "1,000 points" in err
    # small chunks so that both workers get many tasks and they finish out of order
    rc, _, err = run(capsys, *GRID, "--workers", "2", "--threads", "--chunk", "37", "-o", str(two))
    assert rc == 0, err
    assert "local Dask, 2 workers" in err
    a, b = pd.read_parquet(one), pd.read_parquet(two)
    assert len(a) == 1000
    pd.testing.assert_frame_equal(a, b)  # the same numbers, to the bit
    # the grid is what was asked: every combination once
    assert (
        a.groupby(["korean_aum_usd", "liquidity_scale", "impact_y", "shock_frac"]).ngroups == 1000
    )
    assert sorted(a["shock_frac"].unique()) == pytest.approx(np.arange(-0.10, -0.005, 0.01))
    # the loop never softens a fall (docs/stress.md: flows are procyclical)
    assert (a["final_move_frac"] <= a["shock_frac"] + 1e-15).all()


def test_a_sweep_row_equals_gaemi_stress(capsys: pytest.CaptureFixture[str]) -> None:
    # reference: the existing `gaemi stress` command on the same what-if
    rc, out, _ = run(
        capsys,
        "-u",
        "SOX",
        "--korean-aum",
        "45e9",
        "--liquidity-scale",
        "0.5",
        "--shocks=-3%,-2%",
        "--serial",
        "--format",
        "json",
    )
    assert rc == 0
    rows = json.loads(out)
    assert [r["shock_frac"] for r in rows] == [-0.03, -0.02]
    assert main(
        ["stress", "-s", "-2%", "-u", "SOX", "--korean-aum", "45e9", "--liquidity-scale", "0.5",
         "--format", "json"]
    ) == 0  # fmt: skip
    ref = json.loads(capsys.readouterr().out)[0]
    assert rows[1]["final_move_frac"] == pytest.approx(ref["final_move_frac"], rel=1e-12)
    assert rows[1]["total_flow_usd"] == pytest.approx(ref["total_flow_usd"], rel=1e-12)


def test_more_korean_aum_and_less_liquidity_deepen_the_move(tmp_path: Path) -> None:
    spec = SweepSpec(
        "feedback",
        (
            Axis("korean_aum_usd", (10e9, 90e9)),
            Axis("liquidity_scale", (0.25, 1.0)),
            Axis("shock_frac", (-0.03,)),
        ),
    )
    f = run_serial(spec).set_index(["korean_aum_usd", "liquidity_scale"])["final_move_frac"]
    # the research note's direction: more Korean 3x money, thinner close -> deeper close
    assert f[(90e9, 1.0)] < f[(10e9, 1.0)]
    assert f[(10e9, 0.25)] < f[(10e9, 1.0)]


def decay_spec(chunk: int) -> SweepSpec:
    return SweepSpec(
        "decay",
        (Axis("leverage", (3.0, -3.0)), Axis("vol_annual", (0.0, 0.3, 0.8))),
        # the fund's costs given explicitly, so the zero-vol closed form below is exact
        (
            ("paths", 3000),
            ("expense_ratio", 0.0095),
            ("spread_annual", 0.004),
            ("rate_annual", 0.04),
        ),
        seed=11,
        chunk_points=chunk,
    )


def test_monte_carlo_batch_same_with_one_or_two_workers_and_any_chunking() -> None:
    one = run_dask(decay_spec(1), workers=1, processes=False)
    two = run_dask(decay_spec(1), workers=2, processes=False)
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, run_serial(decay_spec(4)))
    # zero vol: no randomness left; NAV = (1 + c/252)^126 with the daily carry
    # c = (1-L)rho - n(L)s - e (docs/decay.md, FundTerms): L=3 -> -2(0.04) - 2(0.004) - 0.0095;
    # the constant-vol kernel compounds in float32 (decay.simulate_fund), hence rel 2e-5
    flat = one[(one["leverage"] == 3.0) & (one["vol_annual"] == 0.0)].iloc[0]
    assert flat["nav_ratio_p50"] == pytest.approx((1 - 0.0975 / 252) ** 126, rel=2e-5)
    # more volatility, more decay of the median 3x path (volatility drag, DESIGN.md)
    med = one[one["leverage"] == 3.0].set_index("vol_annual")["nav_ratio_p50"]
    assert med[0.8] < med[0.3] < med[0.0]
    # a different seed gives different paths
    other = run_serial(dataclasses.replace(decay_spec(4), seed=12))
    assert not np.allclose(other["nav_ratio_p50"].iloc[1:3], one["nav_ratio_p50"].iloc[1:3])


def test_process_workers_give_the_same_numbers() -> None:
    spec = SweepSpec(
        "feedback",
        (Axis("impact_y", (0.6, 1.0)), Axis("shock_frac", (-0.08, -0.04, -0.02))),
        chunk_points=2,
    )
    pd.testing.assert_frame_equal(run_dask(spec, workers=2), run_serial(spec))


def test_table_shows_the_first_rows_of_a_big_grid(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "--impact-y", "0.5,1", "--shocks=-8%:-0.1%:0.1%", "--serial")
    assert rc == 0
    assert "impact_y[2] x shock_frac[80] = 160 points in 1 chunk on this process" in err
    assert "first 60 of 160 rows" in out


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_other_file_formats(
    tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / f"out{suffix}"
    rc, _, err = run(capsys, "--shocks=-2%,-1%", "--impact-y", "0.7,1", "--serial", "-o", str(f))
    assert rc == 0, err
    df = pd.read_csv(f) if suffix == ".csv" else pd.DataFrame(json.loads(f.read_text()))
    assert len(df) == 4
    assert {"impact_y", "shock_frac", "final_move_frac", "amplification"} <= set(df.columns)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--impact-y", "1"], "give --shocks"),
        (["--shocks=-2%", "--korean-aum", "lots"], "korean-aum"),
        (["--shocks=-2%:-1%"], "START:STOP:STEP"),
        (["--shocks=-2%,-2%"], "repeats"),
        # audit: a repeated single-valued option silently kept the last value
        (["--shocks=-5%", "--shocks=-3%"], "--shocks is given twice (-5%, -3%); give it once"),
        (["--shocks=-2%", "--korean-aum", "1B", "--korean-aum", "2B"], "--korean-aum is given"),
        (["--shocks=-2%", "--seed", "1", "--seed", "2"], "--seed is given twice"),
        (["--engine", "decay", "--vol", "30%", "--vol", "40%"], "--vol is given twice"),
        (["--engine", "decay", "-e", "feedback", "--shocks=-2%"], "--engine is given twice"),
        (["--shocks=-2%", "-o", "a.csv", "--out", "b.csv"], "--out is given twice"),
        (["--shocks=-2%", "--liquidity-scale", "0"], "must be > 0"),
        (["--shocks=-2%", "-u", "XYZ", "--serial"], "XYZ"),
        (["--shocks=-2%", "--out", "x.xlsx", "--serial"], "suffix"),
        (["--shocks=-2%", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "--scheduler"),
        (["--engine", "decay", "--vol", "30%", "--impact-y", "1"], "feedback only"),
        (["--engine", "decay"], "give --vol"),
        (["--engine", "decay", "--vol", "30%", "--paths", "0"], "--paths"),
        (["--shocks=-2%", "--threads", "--processes"], "--threads and --processes"),
        (["--shocks=-2%", "--processes", "--serial"], "--processes is for local Dask"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    rc, out, err = run(capsys, *args)
    assert rc == 2
    assert out == ""
    assert message in err
    assert err.startswith("error: ")
    assert err.count("\n") == 1


def test_unreachable_scheduler_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "--shocks=-2%", "--scheduler", "tcp://127.0.0.1:9")
    assert rc == 2
    assert "cannot connect" in err.splitlines()[-1]


def test_rows_are_streamed_and_a_failed_sweep_leaves_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21: rows go to --out chunk by chunk; a sweep that fails half-way leaves no
    file (nor its hidden temporary) rather than half the rows."""
    import gaemi.app.sweep as app_sweep

    f = tmp_path / "grid.csv"
    rc, _, err = run(capsys, "--shocks=-9%:-1%:1%", "--chunk", "2", "--serial", "-o", str(f))
    assert rc == 0, err
    streamed = pd.read_csv(f)
    assert streamed["point"].tolist() == list(range(9))  # in point order, header once
    # the same rows as gathered in one frame (reference: run_serial)
    spec = SweepSpec("feedback", (Axis("shock_frac", tuple(streamed["shock_frac"])),))
    pd.testing.assert_frame_equal(streamed, run_serial(spec), check_exact=False, rtol=1e-15)
    seen: list[int] = []
    real = app_sweep._ENGINES["feedback"]

    def failing(spec: SweepSpec, a: int, b: int) -> pd.DataFrame:
        seen.append(a)
        if a >= 4:
            raise MemoryError("simulated failure in the third chunk")
        return real(spec, a, b)

    monkeypatch.setitem(app_sweep._ENGINES, "feedback", failing)
    g = tmp_path / "half.parquet"
    with pytest.raises(MemoryError):
        main(["sweep", "--shocks=-9%:-1%:1%", "--chunk", "2", "--serial", "-o", str(g)])
    assert 4 in seen  # it did fail after writing the first chunks
    assert not g.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.csv"]


def test_csv_on_stdout_is_streamed_with_one_header(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "--shocks=-9%:-1%:1%", "--chunk", "4", "--serial", "-f", "csv")
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("point,shock_frac,")
    assert len(lines) == 10
    assert sum(line.startswith("point,") for line in lines) == 1


def test_default_two_workers_are_threads_with_rows_identical_to_serial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 21: the default local Dask (threads on Dask's threaded scheduler, chunks cut
    for the worker count) writes the same rows as --serial, to the bit."""
    grid = ["--korean-aum", "0:150B:15B", "--liquidity-scale", "0.25:1:0.25",
            "--impact-y", "0.5,1", "--shocks=-10%:-1%:0.5%"]  # fmt: skip
    one, two = tmp_path / "serial.parquet", tmp_path / "dask.parquet"
    rc, _, err = run(capsys, *grid, "--serial", "-o", str(one))
    assert rc == 0, err
    rc, _, err = run(capsys, *grid, "--workers", "2", "-o", str(two))
    assert rc == 0, err
    # 11 x 4 x 2 x 19 = 1,672 points; ceil(1672 / (4 chunks x 2 workers)) = 209 a chunk
    assert "= 1,672 points in 8 chunks on local Dask, 2 workers (threads)" in err
    a, b = pd.read_parquet(one), pd.read_parquet(two)
    assert len(a) == 1672
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_thread_workers_stream_in_order_within_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading
    import time

    import gaemi.present.dist as dist

    spec = SweepSpec("feedback", (Axis("shock_frac", tuple(-k / 1000 for k in range(1, 61))),),
                     chunk_points=2)  # fmt: skip
    started: list[int] = []
    real = dist.evaluate_chunk

    def spy(s: SweepSpec, a: int, b: int) -> pd.DataFrame:
        started.append(a)
        return real(s, a, b)

    monkeypatch.setattr(dist, "evaluate_chunk", spy)
    taken = 0
    most_ahead = 0
    for k, part in enumerate(dist.iter_dask_threads(spec, workers=2, in_flight=3)):
        assert part["point"].iloc[0] == 2 * k  # in point order
        taken += 1
        time.sleep(0.002)  # a slow writer: the workers must wait, not run ahead
        most_ahead = max(most_ahead, len(started) - taken)
    assert taken == 30
    assert sorted(started) == list(range(0, 60, 2))  # every chunk solved once
    assert most_ahead <= 3  # never more than in_flight chunks ahead of the caller
    # a caller that stops early stops the workers: no sweep thread is left behind
    g = dist.iter_dask_threads(spec, workers=2, in_flight=2)
    next(g)
    g.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("gaemi-sweep")]


def test_a_failing_chunk_on_thread_workers_is_raised_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gaemi.present.dist as dist
    from gaemi.errors import GaemiInputError

    spec = SweepSpec("feedback", (Axis("shock_frac", tuple(-k / 1000 for k in range(1, 21))),),
                     chunk_points=2)  # fmt: skip
    real = dist.evaluate_chunk

    def failing(s: SweepSpec, a: int, b: int) -> pd.DataFrame:
        if a == 10:
            raise GaemiInputError("simulated bad point 10")
        return real(s, a, b)

    monkeypatch.setattr(dist, "evaluate_chunk", failing)
    got: list[pd.DataFrame] = []

    def consume() -> None:
        got.extend(dist.iter_dask_threads(spec, workers=2))

    with pytest.raises(GaemiInputError, match="simulated bad point 10"):
        consume()
    # some of the chunks before it came back, in order (one may be cut short by the error)
    assert [int(p["point"].iloc[0]) for p in got] == list(range(0, 2 * len(got), 2))
    assert len(got) <= 5


def test_small_feedback_grids_run_here_unless_dask_is_asked_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 21: below the measured crossover (AUTO_SERIAL_BELOW, docs/scale.md §3) a
    feedback sweep given no --workers/--threads/--processes/--scheduler runs in this
    process, whatever the load; naming workers still runs Dask, and a decay batch (heavy
    points) uses Dask."""
    from gaemi.present.cli.sweep import AUTO_SERIAL_BELOW

    # bench_sweep with a core free: 2 workers behind at 100,000 points (1.03x serial),
    # ahead at the 919,100-point grid (0.85x): the threshold lies between
    assert 100_000 < AUTO_SERIAL_BELOW["feedback"] <= 919_100
    # the help says the same number
    rc, out, _ = run(capsys, "--help")
    assert rc == 0
    assert f"at least {AUTO_SERIAL_BELOW['feedback']:,} points and a core is free" in " ".join(
        out.split()
    )
    rc, _, err = run(capsys, "--shocks=-9%:-1%:1%", "-f", "csv")
    assert rc == 0, err
    below = f"below {AUTO_SERIAL_BELOW['feedback']:,} points; --workers N for Dask"
    assert f"9 points in 1 chunk on this process ({below})" in err
    rc, _, err = run(capsys, "--shocks=-9%:-1%:1%", "--workers", "2", "-f", "csv")
    assert rc == 0, err
    assert "on local Dask, 2 workers (threads)" in err
    rc, _, err = run(capsys, "--shocks=-9%:-1%:1%", "--threads", "-f", "csv")
    assert rc == 0, err
    assert "on local Dask" in err
    rc, _, err = run(capsys, "-e", "decay", "--vol", "20%,40%", "--paths", "50", "-f", "csv")
    assert rc == 0, err
    assert "on local Dask" in err


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="Dask by itself needs 2 cores")
def test_big_feedback_grids_go_to_dask_only_when_a_core_is_free(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21: a feedback sweep that names no workers goes to local Dask threads from
    AUTO_SERIAL_BELOW points when the 1-minute load average, read once at the start, is
    at most cores - FREE_CORES_NEEDED (or the platform has none); else it runs here. The
    note line says which and why, and the rows are the same either way. (The threshold is
    set to 10 points here so that the grids stay cheap; its value is tested above.)"""
    import gaemi.app.sweep as app_sweep
    import gaemi.present.cli.sweep as cli_sweep
    import gaemi.present.dist as dist

    monkeypatch.setitem(cli_sweep.AUTO_SERIAL_BELOW, "feedback", 10)
    assert cli_sweep.FREE_CORES_NEEDED == 1  # "a core free"
    cores = os.cpu_count() or 1
    ran: list[str] = []
    reads: list[float] = []
    real_serial, real_dask = app_sweep.iter_serial, dist.iter_dask

    def serial_spy(*a: object, **k: object) -> object:
        ran.append("here")
        return real_serial(*a, **k)  # type: ignore[arg-type]

    def dask_spy(*a: object, **k: object) -> object:
        ran.append("dask")
        return real_dask(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(app_sweep, "iter_serial", serial_spy)
    monkeypatch.setattr(dist, "iter_dask", dask_spy)

    def sweep_at(load: float | None, shocks: str) -> tuple[str, str]:
        if load is None:
            monkeypatch.delattr(os, "getloadavg", raising=False)  # e.g. Windows
        else:

            def getloadavg() -> tuple[float, float, float]:
                reads.append(load)
                return (load, 9.0, 9.0)  # only the 1-minute figure counts

            monkeypatch.setattr(os, "getloadavg", getloadavg, raising=False)
        ran.clear()
        reads.clear()
        rc, out, err = run(capsys, f"--shocks={shocks}", "-f", "csv")
        assert rc == 0, err
        assert len(ran) == 1
        return out, err

    ten, nine = "-10%:-1%:1%", "-9%:-1%:1%"
    # one point short of the threshold: here, the load not even read
    _, err = sweep_at(0.0, nine)
    assert "9 points in 1 chunk on this process (below 10 points; --workers N for Dask)" in err
    assert (ran, reads) == (["here"], [])
    # at the threshold, idle machine: Dask threads, the default worker count
    n = max(1, min(8, cores))
    rows_dask, err = sweep_at(0.0, ten)
    why = f"10 points or more and a core free: load 0.00 on {cores} cores"
    assert f"on local Dask, {n} workers (threads; {why})" in err
    assert (ran, reads) == (["dask"], [0.0])  # read once
    # exactly one core idle is free (load <= cores - 1) ...
    _, err = sweep_at(cores - 1.0, ten)
    assert f"a core free: load {cores - 1:.2f} on {cores} cores)" in err
    assert ran == ["dask"]
    # ... a little more load is not: here, and the note says why and what to do
    rows_here, err = sweep_at(cores - 0.99, ten)
    busy = f"load {cores - 0.99:.2f} on {cores} cores, no core free; --workers N for Dask"
    assert f"10 points in 1 chunk on this process ({busy})" in err
    assert (ran, reads) == (["here"], [cores - 0.99])
    assert rows_here == rows_dask  # the same rows (CSV: each float's repr, all bits)
    _, err = sweep_at(cores + 2.5, ten)
    assert f"(load {cores + 2.5:.2f} on {cores} cores, no core free;" in err
    assert ran == ["here"]
    # a platform without a load average counts as free
    _, err = sweep_at(None, ten)
    assert "(threads; 10 points or more; no load average here, taken as free)" in err
    assert ran == ["dask"]

    # named workers or --serial decide, whatever the load: the load is not read
    def idle() -> tuple[float, float, float]:
        reads.append(0.0)
        return (0.0, 0.0, 0.0)

    monkeypatch.setattr(os, "getloadavg", idle, raising=False)
    ran.clear()
    reads.clear()
    rc, _, err = run(capsys, f"--shocks={ten}", "--serial", "-f", "csv")
    assert rc == 0, err
    assert "on this process, seed 0" in err
    assert (ran, reads) == (["here"], [])
    # one core: no second thread to gain from, whatever the load says
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    ran.clear()
    rc, _, err = run(capsys, f"--shocks={ten}", "-f", "csv")
    assert rc == 0, err
    assert "on this process (1 core, none for a second worker; --workers N for Dask)" in err
    assert ran == ["here"]


def test_a_measured_creations_row_equals_gaemi_stress_for_a_fall_and_a_rise(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--creations measured``: each row's leveraged funds trade (L(L−1) + L·β)·A·r with β
    of its shock's side, as ``gaemi stress --creations measured`` (the reference: that
    command's JSON at the same shock, underlying, Korean AUM and liquidity scale)."""
    what_if = ["-u", "NDX", "--korean-aum", "45e9", "--liquidity-scale", "0.5"]
    args = [*what_if, "--shocks=-6%,5%", "--format", "json", "--creations", "measured"]
    rc, out, err = run(capsys, *args, "--serial")
    assert rc == 0, err
    assert "creations: measured" in err
    assert "the β of its shock's side" in err
    rows = json.loads(out)
    # the same rows on 2 Dask threads, one point a task
    rc, out2, err = run(capsys, *args, "--workers", "2", "--threads", "--chunk", "1")
    assert rc == 0, err
    assert json.loads(out2) == rows
    rc, out_none, _ = run(capsys, *what_if, "--shocks=-6%,5%", "--format", "json", "--serial")
    assert rc == 0
    none = json.loads(out_none)
    for row, row_none, shock in zip(rows, none, ("-6%", "5%"), strict=True):
        assert main(["stress", "-s", shock, *what_if, "--creations", "measured", "-f", "json"]) == 0
        ref = json.loads(capsys.readouterr().out)[0]
        assert row["shock_frac"] == ref["shock_frac"]
        for key in ("final_move_frac", "extra_move_frac", "amplification", "total_flow_usd"):
            assert row[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-15), key
        assert (row["runaway"], row["cb_level"]) == (ref["runaway"], ref["cb_level"])
        # and not the sweep without creations: long 3x dip-buying (β < 0) shrinks the flow
        assert abs(row["total_flow_usd"]) < abs(row_none["total_flow_usd"])


def test_creations_is_refused_for_decay_and_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "--engine", "decay", "--vol", "20%", "--creations", "measured")
    assert rc == 2
    assert "--creations applies to --engine feedback only" in err
    rc, _, err = run(capsys, "--shocks=-2%", "--creations", "lots")
    assert rc == 2
    assert "creations = 'lots'" in err
