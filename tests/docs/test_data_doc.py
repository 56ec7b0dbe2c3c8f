"""docs/data.md holds (issue 19 item 7): the next-session responses quoted from the
embedded calibration, and the defaults the page states, are those of the code.

The embedded ``calibration.yaml`` itself is re-derived from ../shared/data by
``tests/present/test_cli_data.py`` (KOSPI and USD/KRW through ``gaemi data calibrate``);
here the page's sentence is rebuilt from it.
"""

from __future__ import annotations

import inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _text() -> str:
    return " ".join((ROOT / "docs" / "data.md").read_text(encoding="utf-8").split())


def _pct(v: float, decimals: int) -> str:
    return f"{v * 100:+.{decimals}f} %".replace("-", "−")


def test_drop_responses_are_the_embedded_calibration() -> None:
    from gaemi.data.calibration import load_default_calibration

    cal = load_default_calibration()

    def resp(node: str, decimals: int = 2) -> tuple[str, int, str, str]:
        e = cal.get(f"drop_response.{node}.NDX")
        return _pct(e.value, decimals), e.n, str(e.start)[:4], str(e.end)[:4]

    kospi, usdkrw = resp("KOSPI"), resp("USDKRW")
    sam, hyn = resp("SAMSUNG"), resp("SKHYNIX")
    vix, btc = resp("VIX", 1), resp("BTC", 1)
    beta = cal.value("drop_beta.KOSPI.NDX")
    assert sam[1] == hyn[1]
    want = (
        f"KOSPI moves {kospi[0]} on average the next Korean session (n = {kospi[1]}, drop "
        f"beta {beta:.2f}), USD/KRW {usdkrw[0]} (n = {usdkrw[1]}, since {usdkrw[2]}), "
        f"Samsung {sam[0]} and SK Hynix {hyn[0]} (n = {sam[1]}), VIX {vix[0]} the same day "
        f"(n = {vix[1]}), BTC {btc[0]} (n = {btc[1]}, {btc[2]}–{btc[3]})."
    )
    assert want in _text()
    # "NDX (QQQ) days down more than 3 %": the threshold the defaults were derived with
    from gaemi.data.calibration import calibrate

    drop = inspect.signature(calibrate).parameters["big_drop"].default
    assert f"on NDX (QQQ) days down more than {drop * 100:.0f} %" in _text()


def test_calibrate_drop_option_default() -> None:
    # `gaemi data calibrate --drop` defaults to the engine's own 3 %
    from gaemi.data.calibration import calibrate
    from gaemi.present.cli.data import calibrate_cmd as cli_calibrate

    engine = inspect.signature(calibrate).parameters["big_drop"].default
    cli = inspect.signature(cli_calibrate).parameters
    drop = [p.default for p in cli.values() if "drop" in p.name]
    assert drop == [engine]
    assert f"more than `--drop` ({engine * 100:.0f} %)" in _text()


def test_import_benchmark_file_and_chunks(tmp_path: Path) -> None:
    # "a 1M-row, 100-symbol prices CSV (115 MB …)": the benchmark's own file, made here at
    # a tenth of the rows (rows have the same fields, so the size scales by 10); "~110
    # chunks of 1 MB": that size over pyarrow's default CSV block size (1 MiB)
    import sys

    import pyarrow.csv as pacsv

    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_import import SIZES, make_file

    assert SIZES["large"] == 1_000_000
    tenth = make_file(tmp_path / "p.csv", SIZES["large"] // 10).stat().st_size
    large_mb = tenth * 10 / 1e6
    text = _text()
    assert "imports a 1M-row, 100-symbol prices CSV (115 MB;" in text
    assert abs(large_mb / 115 - 1) < 0.03, large_mb
    block = pacsv.ReadOptions().block_size
    assert block == 1 << 20
    chunks = tenth * 10 / block
    assert "the pyarrow reader returns ~110 chunks of 1 MB" in text
    assert abs(chunks / 110 - 1) < 0.05, chunks


def test_input_limits_are_the_codes() -> None:
    # the refusal table: each limit the page states is the constant the loader applies
    from gaemi.data.crypto import POP_ENTRY_FRAC_RANGE, POP_MAX_LEVERAGE, POP_MAX_SIZE_USD
    from gaemi.data.quality import SPLIT_RATIO
    from gaemi.limits import MAX_AUM_USD

    text = _text()
    assert f"above ${MAX_AUM_USD / 1e12:.0f}T (`gaemi.limits.MAX_AUM_USD`)" in text
    lo, hi = POP_ENTRY_FRAC_RANGE
    assert (
        f"`leverage` above {POP_MAX_LEVERAGE:.0f}x, `size_usd` above "
        f"${POP_MAX_SIZE_USD / 1e12:.0f}T, an entry outside 1/{1 / lo:.0f}–{hi:.0f}x "
        "today's price"
    ) in text
    assert f"a one-day price ratio beyond {SPLIT_RATIO}x either way" in text
