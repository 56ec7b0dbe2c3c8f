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
