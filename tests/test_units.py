"""The one money/number rule of every face and text (``gaemi.units``, issue 19 item 2).

Every expected string is derived by hand in the comment beside it from the rule in the
module docstrings: 1조 = 10¹², 1억 = 10⁸, 1만 = 10⁴ won; T/B = 10¹²/10⁹ dollars with two
decimals, M/k = 10⁶/10³ with one.
"""

from __future__ import annotations

import math

import pytest

from gaemi import units


@pytest.mark.parametrize(
    ("won", "text"),
    [
        (2.215e13, "₩22.15조"),  # 2.215e13 / 1e12 = 22.15 조
        (-2.2151e13, "-₩22.15조"),  # 22.151 rounds to 22.15; the sign before ₩
        (1.5e15, "₩1,500.00조"),  # 1.5e15 / 1e12 = 1500 조, thousands separator
        (1.514e11, "₩1,514억"),  # 1.514e11 / 1e8 = 1514 억: ≥ 100 억, no decimals
        (4.5e9, "₩45.0억"),  # 45 억: 10..100 억 keeps one decimal (3 significant figures)
        (1.4e8, "₩1.40억"),  # 1.4 억: below 10 억 two decimals (was "₩1억", a 29% cut)
        (7.0e7, "₩7,000만"),  # 7e7 / 1e4 = 7000 만 (below 1억, from 10⁶ up)
        (3.5e7, "₩3,500만"),
        (1.0e6, "₩100만"),  # 10⁶ won is the first figure written in 만
        (150_000.0, "₩150,000"),  # below 10⁶ the full figure
        (1234.0, "₩1,234"),
        (0.0, "₩0"),
        (-0.3, "₩0"),  # rounds to zero: no "-₩0"
        # a figure that rounds up into the next unit is written in it
        (9.9996e11, "₩1.00조"),  # 9999.6 억 would print "₩10,000억"; 0.99996조 -> 1.00조
        (9.9996e9, "₩100억"),  # 99.996 억 at one decimal is 100.0: ≥ 100 억, no decimals
        (9.9996e8, "₩10.0억"),  # 9.9996 억 at two decimals is 10.00: one decimal
        (99_999_999.0, "₩1.00억"),  # 9999.9999 만 rounds to 10,000만 = 1.00억
        (999_999.6, "₩100만"),  # rounds to 1,000,000 won = 100만
        (999_999.4, "₩999,999"),
    ],
)
def test_format_krw(won: float, text: str) -> None:
    assert units.format_krw(won) == text
    assert " " not in units.format_krw(won)  # one token: a table cell never wraps inside


@pytest.mark.parametrize(
    ("usd", "text"),
    [
        (2.497e10, "$24.97B"),  # 2.497e10 / 1e9 = 24.97 B (the report's old -2.497e+10)
        (-2.7e9, "-$2.70B"),
        (1.25e12, "$1.25T"),  # 1.25e12 / 1e12 = 1.25 T
        (5.4e8, "$540.0M"),  # 5.4e8 / 1e6 = 540.0 M, one decimal
        (-5.97e7, "-$59.7M"),
        (12_345.0, "$12.3k"),  # 12.345 k at one decimal
        (13_000.0, "$13.0k"),
        (950.0, "$950"),  # below 10³ the whole dollars
        (-0.2, "$0"),  # rounds to zero: no "-$0"
        # a figure that rounds up into the next unit is written in it
        (999_960.0, "$1.0M"),  # 999.96 k at one decimal is 1000.0 k = 1.0 M
        (999.6, "$1.0k"),  # $999.6 rounds to $1000 = 1.0 k
        (999.96e6, "$1.00B"),  # 999.96 M at one decimal is 1000.0 M = 1.00 B
        (999.996e9, "$1.00T"),  # 999.996 B at two decimals is 1000.00 B = 1.00 T
    ],
)
def test_format_usd(usd: float, text: str) -> None:
    assert units.format_usd(usd) == text


@pytest.mark.parametrize("bad", [None, math.nan, math.inf, -math.inf])
def test_missing_amounts_are_a_dash(bad: float | None) -> None:
    assert units.format_krw(bad) == "—"
    assert units.format_usd(bad) == "—"
    assert units.format_frac(bad) == "—"


def test_format_money_dispatches_on_the_currency() -> None:
    assert units.format_money(1.4e8, "KRW") == "₩1.40억"  # as format_krw above
    assert units.format_money(1.4e8, "krw") == "₩1.40억"
    assert units.format_money(13_000.0, "USD") == "$13.0k"  # as format_usd above
    with pytest.raises(ValueError, match="currency = 'EUR'"):
        units.format_money(1.0, "EUR")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-1.184e6, "-1,184,000"),  # an amount: whole units, never -1.184e+06
        (4.5e10, "45,000,000,000"),
        (12.3456, "12.35"),  # four significant digits: 2 decimals for 10..100
        (0.123456, "0.1235"),  # 4 decimals for 0.1..1
        (3.2e-7, "3.2e-07"),  # below 10⁻⁴: four significant digits, %g
        (0.0, "0"),
        (math.nan, "—"),
        (math.inf, "∞"),
        (-math.inf, "-∞"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert units.format_number(value) == text


def test_format_frac_is_a_signed_percent() -> None:
    assert units.format_frac(-0.05) == "-5.00%"  # -0.05 × 100 = -5.00 %
    assert units.format_frac(0.031) == "+3.10%"  # a move carries its sign
    # zero has no sign (one convention with format_cell and money: never "+$0"); a move
    # that rounds to zero at two decimals neither (4e-6 = 0.0004 %)
    assert units.format_frac(0.0) == "0.00%"
    assert units.format_frac(-4e-6) == "0.00%"
    assert units.format_frac(4e-6) == "0.00%"
    assert units.format_frac(5.1e-5) == "+0.01%"  # 0.0051 % rounds to 0.01 %


def _moves() -> list[float]:
    """Moves of every size and sign, zeros, values that round to zero, exact ties."""
    import numpy as np

    rng = np.random.default_rng(19)  # seeded: the same 500 values every run
    sample = (rng.choice([-1.0, 1.0], 500) * 10.0 ** rng.uniform(-7, 1, 500)).tolist()
    return [0.0, -0.0, 4e-6, -4e-6, 5e-5, -5e-5, 0.000125, -0.05, 0.031, 1.0, *sample]


def test_a_move_is_written_one_way() -> None:
    """format_frac, the cell of a move column and a change in ``frac`` are one rule (issue
    19 item 2: format_frac wrote ``+0.00%`` where format_cell wrote ``0.00%``)."""
    for v in _moves():
        want = units.format_frac(v)
        assert units.format_cell("move_frac", v) == want, v
        assert units.format_cell("NDX_shock_frac", v) == want, v
        assert units.format_change(v, "frac") == want, v
        assert units.format_amount(v, "frac") == want, v
    assert units.format_frac(-0.0) == "0.00%"


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (-0.0194, "frac", "-1.94%"),  # -0.0194 × 100
        (0.0, "pp", "0.00 bp"),  # a rate that did not move: no sign
        (-0.0143, "pp", "-1.43 bp"),  # -0.0143 pp × 100 bp/pp
        (0.2145, "pp", "+21.45 bp"),
        (-4e-7, "pp", "0.00 bp"),  # -0.00004 bp rounds to zero
        (23.41, "index points", "+23.41 index points"),  # format_number, signed
        (-12_345.6, "index points", "-12,346 index points"),  # never -1.235e+04
        (math.nan, "frac", "—"),
        (None, "pp", "—"),
    ],
)
def test_format_change(value: float | None, unit: str, text: str) -> None:
    assert units.format_change(value, unit) == text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (-2.493e10, "usd", "-$24.93B"),  # format_usd
        (3.2, "KRW tn", "₩3.20조"),  # 3.2 × 10¹² won: format_krw
        (1.4e8, "krw", "₩1.40억"),
        (-0.05, "frac", "-5.00%"),  # a change: format_change
        (-0.0134, "pp", "-1.34 bp"),
        (math.inf, "usd", "—"),
    ],
)
def test_format_amount(value: float, unit: str, text: str) -> None:
    assert units.format_amount(value, unit) == text


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1509.86, "KRW per USD", "1,509.86 KRW per USD"),  # as quoted, not 1,510
        (2.5, "percent", "2.5 percent"),  # no trailing zeros
        (100.0, "index", "100 index"),
        (2_333_000.0, "KRW per share", "2,333,000 KRW per share"),
        (4.31e12, "USD", "4,310,000,000,000 USD"),  # never 4.31e+12 (format_number)
        (-0.0, "", "0"),
        (math.nan, "USD", "—"),
    ],
)
def test_format_level(value: float, unit: str, text: str) -> None:
    assert units.format_level(value, unit) == text


def test_no_figure_reads_minus_zero() -> None:
    """A percent, a multiple or a figure that rounds to zero has no minus (``-0.0%`` was
    the attribution table's equity loss of a link that moved a node by -1e-9)."""
    assert units.format_cell("equity_loss_frac", -1e-9) == "0.0%"
    assert units.format_cell("rate_annual", -1e-9) == "0.00%"
    assert units.format_cell("pressure_ratio", -1e-9) == "0.00×"
    assert units.format_number(-0.0) == "0"
    assert units.format_cell("drawdown_frac", -0.3512) == "-35.1%"  # a real minus stays


def test_every_face_uses_the_same_functions() -> None:
    """The faces' names are this module's functions, not copies of the rule."""
    from gaemi.app import investor, result
    from gaemi.present import console
    from gaemi.present.cli import common

    assert console.format_krw is units.format_krw
    assert console.format_usd is units.format_usd
    assert console.format_money is units.format_money
    assert console.format_number is units.format_number
    assert result.format_usd is units.format_usd
    assert result.format_frac is units.format_frac
    assert investor.format_money is units.format_money
    assert common.format_krw is units.format_krw
    assert common.format_usd is units.format_usd


def test_signed_amounts_carry_their_sign() -> None:
    # a flow or a P&L: + for a gain, - for a loss, none when it rounds to zero
    assert units.format_usd(1.24e9, signed=True) == "+$1.24B"  # 1.24e9 / 1e9 = 1.24 B
    assert units.format_usd(-1.24e9, signed=True) == "-$1.24B"
    assert units.format_usd(1e-3, signed=True) == "$0"  # $0.001 rounds to $0
    assert units.format_krw(1.234e12, signed=True) == "+₩1.23조"  # 1.234 조 at 2 decimals
    assert units.format_money(-5e11, "KRW", signed=True) == "-₩5,000억"  # 5e11 / 1e8
    assert units.format_usd(1.24e9) == "$1.24B"  # unsigned by default


@pytest.mark.parametrize(
    ("key", "currency", "header"),
    [
        # the cases: machine names printed as terminal headers (gaemi flows, stress,
        # cascade --reverse); the unit is the key's last word, in brackets
        ("flow_usd", "USD", "Flow at close ($)"),  # COLUMN_HEADERS: the flow at the close
        ("final_move_frac", "USD", "Final move (%)"),  # _frac -> %
        ("korean_aum_usd", "USD", "Korean-held AUM ($)"),
        ("NDX_shock_frac", "USD", "NDX shock (%)"),  # market words as written, any case
        ("SOX_shock_frac", "USD", "SOX shock (%)"),
        ("aum_source", "USD", "AUM source"),  # no unit word: no brackets
        ("aum_usd", "KRW", "AUM (₩)"),  # a table converted to won
        ("end_value_krw", "USD", "End value (₩)"),
        ("sox_korean_flow_krw", "USD", "SOX Korean-held flow at close (₩)"),
        ("sox_korean_flow_krw", "KRW", "SOX Korean-held flow at close (₩)"),
        ("liquidated_share", "USD", "Liquidated share (%)"),  # _share keeps its word
        ("sox_pressure_ratio", "USD", "SOX pressure ratio (×)"),
        ("vol_annual", "USD", "Volatility (% a year)"),
        ("lag_days", "USD", "Lag (days)"),
        ("days", "USD", "Days"),  # a count alone
        ("us_close_kst", "USD", "US close (KST)"),
        ("usdkrw_next1_move_frac", "USD", "USD/KRW next-session move (%)"),
        ("prob_loss_50pct", "USD", "P(lose ≥50%) (%)"),
        ("prob", "USD", "Probability (%)"),
        ("change_q05", "USD", "Change p5"),
        ("impact (first day)", "USD", "Impact (first day)"),  # already text: kept
        ("Flow at close ($)", "USD", "Flow at close ($)"),  # idempotent
    ],
)
def test_column_header(key: str, currency: str, header: str) -> None:
    assert units.column_header(key, currency) == header


def test_column_headers_carry_the_unit_of_their_key() -> None:
    """Every whole-name header says the unit its machine name carries (a ``*_usd`` key
    reads ($) or (₩), a ``*_frac`` key a percent), so the table of exceptions cannot drift
    from the word rule."""
    want = {"usd": ("($)", "(₩)"), "krw": ("(₩)",), "frac": ("%",)}
    for key in units.COLUMN_HEADERS:
        suffix = key.rsplit("_", 1)[-1]
        for cur in ("USD", "KRW"):
            header = units.column_header(key, cur)
            if suffix in want:
                assert any(u in header for u in want[suffix]), (key, header)
            if suffix == "usd":
                assert header.endswith("(₩)" if cur == "KRW" else "($)"), (key, header)
    with pytest.raises(ValueError, match="currency"):
        units.column_header("flow_usd", "EUR")


def test_a_dollars_per_percent_key_is_money() -> None:
    # btc_depth_usd_per_pct is dollars of depth per 1% move: the header said "BTC depth
    # USD per (%)" (the last word "pct") and a cell would have read 25000000000.0%
    assert units.column_header("btc_depth_usd_per_pct") == "BTC depth per 1% ($)"
    assert units.column_header("btc_depth_usd_per_pct", "KRW") == "BTC depth per 1% (₩)"
    assert units.format_cell("btc_depth_usd_per_pct", 2.5e8) == "$250.0M"  # 2.5e8 / 1e6


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        # (%) a move (a word of MOVE_WORDS in the key): a sign and two decimals
        ("move_frac", -0.05, "-5.00%"),  # -0.05 × 100 = -5.00 %
        ("move_frac", 0.031, "+3.10%"),  # as format_frac
        ("NDX_shock_frac", -0.0542, "-5.42%"),
        ("change_frac", 0.158, "+15.80%"),  # the terminal wrote +15.8%, the report +16%
        ("next_return_frac", -0.0123, "-1.23%"),
        ("move_frac", 0.0, "0.00%"),  # no sign on zero, as money (never "+$0")
        ("move_frac", -4e-6, "0.00%"),  # -0.0004 % rounds to zero: not "-0.00%"
        # (%) any other percent: a share, a probability, a loss: no sign, one decimal
        ("korean_share_frac", 0.43, "43.0%"),
        ("korean_share", 0.1178076, "11.8%"),  # _share: header "Korean share (%)"
        ("loss_6m_flat_frac", 0.13539, "13.5%"),  # a loss is not a move
        ("drawdown_frac", -0.3512, "-35.1%"),  # a negative share keeps its minus
        ("prob", 0.5639, "56.4%"),  # header "Probability (%)"
        ("prob_loss_50pct", 0.25, "25.0%"),
        # a share of something: "(% of AUM)" is a percent (it read 0.4300)
        ("korean_coverage_frac", 0.43, "43.0%"),
        ("long_share_frac", 0.6320, "63.2%"),  # header "Longs (% of liquidated)"
        ("maintenance_ratio", 1.4, "140.0%"),  # Korean brokers' 140% (investor.yaml)
        ("median_first_call_day", 37.0, "37"),  # a trading day: a count
        # (% a year): a volatility with one decimal, a rate with two
        ("vol_annual", 0.45, "45.0%"),
        ("vol_frac", 0.6, "60.0%"),  # COLUMN_HEADERS: "Volatility (% a year)"
        ("rate_annual", -0.0917, "-9.17%"),
        # money: format_usd / format_krw
        ("flow_usd", -2.497e10, "-$24.97B"),
        ("unfilled_usd", -1.0446e11, "-$104.46B"),
        ("korean_loss_krw", -2.2151e13, "-₩22.15조"),
        ("amount_krw", 4.34e6, "₩434만"),  # 4.34e6 / 1e4 = 434 만
        # (×): two decimals; a fund's leverage signed as written
        ("pressure_ratio", 0.667445, "0.67×"),
        ("shock_scale", 3.4812, "3.48×"),
        ("leverage", 3.0, "+3×"),
        ("leverage", -2.0, "-2×"),
        # counts: thousands separators
        ("n_funds", 1234.0, "1,234"),
        ("days_halted", 2, "2"),
        ("lag_days", 1.0, "1"),
        ("step_count", 12_345, "12,345"),  # an integer of any key
        # other figures: format_number (never scientific notation)
        ("claimed", 43_100_000_000.0, "43,100,000,000"),
        ("baseline", 1509.86, "1,510"),  # four significant digits
        # yes/no, missing, text
        ("halted", True, "yes"),
        ("halted", False, "no"),
        ("flow_usd", None, "—"),
        ("flow_usd", math.nan, "—"),
        ("node", "NDX", "NDX"),
    ],
)
def test_format_cell(key: str, value: object, text: str) -> None:
    assert units.format_cell(key, value) == text


def test_format_cell_reads_numpy_values() -> None:
    import numpy as np

    assert units.format_cell("halted", np.bool_(True)) == "yes"
    assert units.format_cell("n_funds", np.int64(1234)) == "1,234"
    assert units.format_cell("move_frac", np.float64(-0.05)) == "-5.00%"


def test_terminal_and_report_write_the_same_cell() -> None:
    """The terminal's ``emit`` and the HTML report write one key's value the same way
    (issue 19 item 2: the terminal wrote ``+1.00%``/``-2.0%`` where the report wrote
    ``+1%``): both are :func:`gaemi.units.format_cell`."""
    from gaemi.present.cli.common import _cell
    from gaemi.present.report.render import cell

    cases = [
        ("move_frac", 0.01), ("change_frac", -0.02), ("korean_share_frac", 0.43),
        ("flow_usd", -2.497e10), ("korean_loss_krw", 1.514e11), ("leverage", 3.0),
        ("pressure_ratio", 0.667), ("n_funds", 3.0), ("halted", True), ("prob", 0.5),
        ("vol_annual", 0.45), ("claimed", 4.31e10), ("flow_usd", math.nan),
    ]  # fmt: skip
    for key, value in cases:
        assert _cell(key, value) == cell(key, value, None) == units.format_cell(key, value)
    assert _cell("move_frac", 0.01) == "+1.00%"
    assert _cell("change_frac", -0.02) == "-2.00%"
