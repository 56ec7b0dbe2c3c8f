"""The one rule for money and numbers shown to a person, in every face and every text.

At the bottom of the package (standard library only, like :mod:`gaemi.errors` and
:mod:`gaemi.limits`), so the monitor's indicator details, the application layer's summary
texts and the faces' tables (through :mod:`gaemi.present.console`) all write ``₩22.15조``
and ``$24.97B`` the same way (issue 19: Korean won was written four ways, ``₩19.4tn``,
``22조 1,514억 원``, ``₩140,000,000 (₩1.40억)``, ``₩22.15조``).

Machine output (JSON keys and values, CSV) keeps plain numbers; these are for text.

* :func:`format_krw` — ``₩22.15조``, ``-₩1,514억``, ``₩1.40억``, ``₩3,500만``, ``₩150,000``
* :func:`format_usd` — ``$1.25T``, ``$24.97B``, ``-$540.0M``, ``$12.3k``, ``$950``
* :func:`format_money` — either, by currency code
* :func:`format_number` — a plain figure, never in scientific notation for amounts
* :func:`format_frac` — a fraction as a signed percent (a move): ``-5.00%``, ``0.00%``
* :func:`format_percent` — a fraction as a percent that is not a move (a share, a
  probability, a volatility, a rate a year): ``43.0%``, ``4.35%`` with ``decimals=2``
* :func:`format_change` — a change in its unit (a fraction as a move, percentage points in
  basis points): ``-1.94%``, ``-1.43 bp``
* :func:`format_amount` — an amount in its unit (money by the money rule, a change by
  :func:`format_change`): ``-$24.93B``, ``₩3.20조``, ``-5.00%``
* :func:`format_level` — a market level as quoted, with its unit: ``1,509.86 KRW per USD``
* :func:`format_cell` — a value of a machine column as a table cell, by the unit of the
  key's header (the terminal tables and the HTML report write the same cell for the same
  key and value): ``move_frac`` ``-5.00%``, ``korean_share_frac`` ``43.0%``, ``flow_usd``
  ``-$24.97B``, ``n_funds`` ``1,234``, ``leverage`` ``+3×``
* :func:`column_header` — a machine column name as a person reads it, with its unit:
  ``flow_usd`` → ``Flow at close ($)``, ``NDX_shock_frac`` → ``NDX shock (%)`` (the
  terminal tables and the HTML report say the same header for the same key)
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

__all__ = [
    "COLUMN_HEADERS",
    "HEADER_WORDS",
    "KRW_UNITS",
    "MOVE_WORDS",
    "USD_UNITS",
    "column_header",
    "format_amount",
    "format_cell",
    "format_change",
    "format_frac",
    "format_krw",
    "format_level",
    "format_money",
    "format_number",
    "format_percent",
    "format_usd",
]

#: Won units, largest first: (size in won, suffix). 1조 = 10¹², 1억 = 10⁸, 1만 = 10⁴.
KRW_UNITS: tuple[tuple[float, str], ...] = ((1e12, "조"), (1e8, "억"), (1e4, "만"))
#: Dollar units, largest first: (size in dollars, suffix, decimals).
USD_UNITS: tuple[tuple[float, str, int], ...] = (
    (1e12, "T", 2),
    (1e9, "B", 2),
    (1e6, "M", 1),
    (1e3, "k", 1),
)


def _finite(value: object) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _signed(sign: str, body: str) -> str:
    """``sign`` (``-`` or ``+``) before the body unless it rounded to zero (never ``-$0``,
    ``+₩0``)."""
    return f"{sign}{body}" if sign and any(c in "123456789" for c in body) else body


def _sign(v: float, signed: bool) -> str:
    return "-" if v < 0 else ("+" if signed and v > 0 else "")


def _krw_decimals(n: float) -> int:
    """Decimals for ``n`` 억 or 조: at least three significant figures (1.40, 45.0, 450)."""
    return 2 if n < 10 else (1 if n < 100 else 0)


def format_krw(value: float | None, *, signed: bool = False) -> str:
    """Korean won, the house style of every face: ``₩22.15조``, ``-₩1,514억``, ``₩1.40억``,
    ``₩3,500만``, ``₩150,000`` ("—" for a missing or non-finite value); ``signed=True``
    writes a flow or a P&L with its sign either way (``+₩1.23조``).

    At least 10¹² won in 조 with two decimals; at least 10⁸ in 억 with at least three
    significant figures (``₩1.40억``, ``₩45.0억``, ``₩450억``: a whole number of 억 showed
    140,000,000 won as ``₩1억``); at least 10⁶ in whole 만; below that the full figure. A
    figure that rounds up to the next unit is written in it (999,999,999,999 won is
    ``₩1.00조``, not ``₩10,000억``). One token without spaces, so a table cell never wraps
    inside it (``-22조 1,514억 원`` split over two lines at 80 columns).
    """
    v = _finite(value)
    if v is None:
        return "—"
    sign = _sign(v, signed)
    a = abs(v)
    if a >= 1e12 or round(a / 1e8) >= 10_000:  # 9,999.5억 and up round to 1.00조
        return _signed(sign, f"₩{a / 1e12:,.2f}조")
    if a >= 1e8 or round(a / 1e4) >= 10_000:  # 9,999.5만 and up round to 1.00억
        n = a / 1e8
        d = _krw_decimals(n)
        if round(n, d) >= 10 ** (3 - d) and d > 0:  # 9.999억 -> 10.0억, 99.99억 -> 100억
            d -= 1
        return _signed(sign, f"₩{n:,.{d}f}억")
    if a >= 1e6 or round(a) >= 1_000_000:
        return _signed(sign, f"₩{a / 1e4:,.0f}만")
    return _signed(sign, f"₩{a:,.0f}")


def format_usd(value: float | None, *, signed: bool = False) -> str:
    """US dollars, the house style of every face: ``$1.25T``, ``$13.50B``, ``-$2.70B``,
    ``$540.0M``, ``$12.3k``, ``$950`` ("—" for a missing or non-finite value);
    ``signed=True`` writes a flow with its sign either way (``+$1.24B``).

    T and B with two decimals, M and k with one; a figure that rounds up to the next unit
    is written in it (999,960 is ``$1.0M``, not ``$1000.0k``).
    """
    v = _finite(value)
    if v is None:
        return "—"
    sign = _sign(v, signed)
    a = abs(v)
    for i, (size, suffix, decimals) in enumerate(USD_UNITS):
        n = round(a / size, decimals)
        if n >= 1000 and i > 0:  # rounds up into the unit above
            up_size, up_suffix, up_decimals = USD_UNITS[i - 1]
            return _signed(sign, f"${a / up_size:.{up_decimals}f}{up_suffix}")
        if a >= size:
            return _signed(sign, f"${a / size:,.{decimals}f}{suffix}")
    if round(a) >= 1000:  # 999.5 and up round to $1.0k
        return _signed(sign, f"${a / 1e3:.1f}k")
    return _signed(sign, f"${a:,.0f}")


def format_money(value: float | None, currency: str, *, signed: bool = False) -> str:
    """An amount in its currency: :func:`format_krw` for ``KRW``, :func:`format_usd`
    for ``USD`` (either case); any other code is a ``ValueError``."""
    cur = currency.upper()
    if cur == "KRW":
        return format_krw(value, signed=signed)
    if cur == "USD":
        return format_usd(value, signed=signed)
    raise ValueError(f"currency = {currency!r} must be KRW or USD")


def format_number(value: float) -> str:
    """A plain number for a table, never in scientific notation for amounts:
    ``-1,184,000`` (not ``-1.184e+06``), ``12.35``, ``0.1235``; very small magnitudes
    (below 10⁻⁴) keep four significant digits (``3.2e-07``); "—" for NaN, ``∞``/``-∞``."""
    v = float(value)
    if not math.isfinite(v):
        return "—" if math.isnan(v) else ("∞" if v > 0 else "-∞")
    a = abs(v)
    if a == 0:
        return "0"  # never "-0"
    if a >= 1e4:
        return f"{v:,.0f}"
    if a < 1e-4:
        return f"{v:.4g}"
    decimals = max(0, 3 - math.floor(math.log10(a)))  # four significant digits
    return f"{v:,.{decimals}f}"


def format_frac(value: float | None, *, decimals: int | None = None) -> str:
    """A fraction as a percent with its sign, for a move: -0.05 -> ``-5.00%``, 0.031 ->
    ``+3.10%``; a move that rounds to zero has no sign (``0.00%``, never ``+0.00%`` or
    ``-0.00%``, as for money); "—" for a missing or non-finite value.

    ``decimals`` (default :data:`MOVE_DECIMALS`, 2) only where a figure needs another
    precision: a funding rate per 8 hours of a few hundredths of a percent
    (``format_frac(0.0001, decimals=4)`` is ``+0.0100%``).

    The cell of a move column too: ``format_cell("move_frac", v)`` is ``format_frac(v)``.
    """
    v = _finite(value)
    if v is None:
        return "—"
    d = MOVE_DECIMALS if decimals is None else int(decimals)
    return _signed(_sign(v, True), f"{abs(v):.{d}%}")


def format_percent(value: float | None, *, decimals: int | None = None) -> str:
    """A fraction as a percent that is not a move — a share, a probability, a volatility,
    a loss, a rate a year — without a ``+`` (a negative figure keeps its ``-``, a figure
    that rounds to zero has none: ``0.0%``, never ``-0.0%``); "—" for a missing or
    non-finite value.

    ``decimals`` defaults to :data:`SHARE_DECIMALS` (1: ``43.0%``, as the cell of a share
    or a probability column); a rate a year takes :data:`RATE_DECIMALS` (2: ``4.35%``,
    quoted to the basis point), a round setting its own (``decimals=0``: a 5% threshold).
    """
    v = _finite(value)
    if v is None:
        return "—"
    d = SHARE_DECIMALS if decimals is None else int(decimals)
    return _signed(_sign(v, False), f"{abs(v):.{d}%}")


#: Decimals of a change in basis points (a rate node's change): ``-1.43 bp``.
BP_DECIMALS = 2


def format_change(value: float | None, unit: str = "frac", *, decimals: int | None = None) -> str:
    """A change in its unit, signed as a move (no sign on a change that rounds to zero):
    ``frac`` (a decimal fraction) as :func:`format_frac` (``-1.94%``), ``pp`` (a rate's
    change in percentage points) in basis points (``-1.43 bp``, ``0.00 bp``), any other
    unit as a signed :func:`format_number` with the unit (``+23.41 index points``); "—"
    for a missing or non-finite value.

    ``decimals`` (a fraction's or a bp figure's; default :data:`MOVE_DECIMALS` and
    :data:`BP_DECIMALS`) only where a change is quoted in whole steps: a central bank's
    decision in whole basis points (``format_change(0.25, "pp", decimals=0)`` is
    ``+25 bp``).

    The contagion tables' changes (terminal, HTML report, docs/cascade.md) and the
    dashboard's cascade sentence (``formatChange`` of ``units.js``).
    """
    v = _finite(value)
    if v is None:
        return "—"
    if unit == "frac":
        return format_frac(v, decimals=decimals)
    if unit == "pp":
        d = BP_DECIMALS if decimals is None else int(decimals)
        return _signed(_sign(v, True), f"{abs(v) * 100:.{d}f} bp")
    return f"{_signed(_sign(v, True), format_number(abs(v)))} {unit}".strip()


#: Amount units written in won or dollars by the money rule: (unit, currency, size).
MONEY_UNITS: dict[str, tuple[str, float]] = {
    "usd": ("USD", 1.0),
    "krw": ("KRW", 1.0),
    "krw tn": ("KRW", 1e12),
    "usd bn": ("USD", 1e9),
}


def format_amount(value: float | None, unit: str) -> str:
    """An amount in its unit: money (``usd``, ``krw``, ``KRW tn``, ``USD bn``) by
    :func:`format_money` (``-$24.93B``, ``₩3.20조``), anything else as a change
    (:func:`format_change`: ``-5.00%``, ``-1.34 bp``); "—" for a missing or non-finite
    value. The contagion event table's amounts (terminal and HTML report)."""
    v = _finite(value)
    if v is None:
        return "—"
    money = MONEY_UNITS.get(unit.strip().lower())
    if money is not None:
        return format_money(v * money[1], money[0])
    return format_change(v, unit)


def format_level(value: float | None, unit: str = "") -> str:
    """A market level as it is quoted, with its unit: up to ten significant digits with
    thousands separators and no trailing zeros (``1,509.86 KRW per USD``, ``2.5
    percent``, ``88,430.13 USD``), never in scientific notation (:func:`format_number`
    beyond ten digits); "—" for a missing or non-finite value. A baseline of the contagion
    bands."""
    v = _finite(value)
    if v is None:
        return "—"
    text = f"{v:,.10g}"
    if "e" in text:
        text = format_number(v)
    if text in ("-0", "0"):
        text = "0"
    return f"{text} {unit}".strip()


# ----------------------------------------------------------------------------- headers
#: Whole machine names whose header the word rule of :func:`column_header` cannot derive
#: (a name that says what it measures better than its words). ``{cur}`` is ``$`` or ``₩``.
COLUMN_HEADERS: dict[str, str] = {
    "move_frac": "Move (%)",
    "underlying_group": "Underlying",
    "underlying_id": "Underlying",
    "n_funds": "Funds",
    "korean_aum_usd": "Korean-held AUM ({cur})",
    "flow_per_pct_usd": "Flow per 1% move ({cur})",
    "korean_flow_per_pct_usd": "Korean-held flow per 1% ({cur})",
    "korean_coverage_frac": "Korean share known for (% of AUM)",
    "flow_usd": "Flow at close ({cur})",
    "korean_flow_usd": "Korean-held flow at close ({cur})",
    "letf_flow_per_pct_usd": "Leveraged-fund flow per 1% ({cur})",
    "closing_capacity_usd": "Closing capacity ({cur})",
    "capacity_usd": "Closing capacity ({cur})",
    "close_full_at_move_frac": "Close full at a move of (%)",
    "final_move_at_minus_2pct_frac": "Close after a −2% shock (%)",
    "halted_at_minus_2pct": "Halted at −2%",
    "final_move_at_minus_5pct_frac": "Close after a −5% shock (%)",
    "halted_at_minus_5pct": "Halted at −5%",
    "unfilled_at_minus_5pct_usd": "Unfilled at −5% ({cur})",
    "halt_from_shock_frac": "Halt from a shock of (%)",
    "amount_text": "Amount",
    "impact_text": "Impact",
    "title": "Step of the chain",
    "reason": "Why",
    "ticker": "Fund",
    "leverage": "Leverage (×)",
    "vol_frac": "Volatility (% a year)",
    "vol_source": "Volatility from",
    "loss_3m_flat_frac": "Loss, 3 months flat (%)",
    "loss_6m_flat_frac": "Loss, 6 months flat (%)",
    "aum_lost_6m_flat_usd": "AUM lost, 6 months flat ({cur})",
    "liquidated_usd": "Liquidated ({cur})",
    "long_share_frac": "Longs (% of liquidated)",
    "alt_final_move_frac": "Altcoins final move (%)",
    "korean_loss_krw": "Korean holders' loss (₩)",
    "korean_loss_usd": "Korean holders' loss ({cur})",
    "korean_held_usd": "Korean-held ({cur})",
    "korean_held_krw": "Korean-held (₩)",
    "korean_as_of": "Korean share as of",
    "source_korean": "Korean share source",
    "pressure_ratio": "Flow / closing capacity (×)",
    "model_extra_move_frac": "Extra move from the flow (%)",
    "measured_text": "Measured",
    "could_reconcile": "What could reconcile it",
    # the stress table: each participant's flow at the close, and the feedback's measures
    "letf_usd": "Leveraged funds ({cur})",
    "gamma_usd": "Dealer gamma ({cur})",
    "stops_usd": "Stop orders ({cur})",
    "margin_usd": "Margin calls ({cur})",
    "panic_usd": "Panic selling ({cur})",
    "amplif": "Amplification (×)",
    "amplification": "Amplification (×)",
    "letf_pressure": "Leveraged-fund pressure (×)",
    "letf_pressure_ratio": "Leveraged-fund pressure (×)",
    "total_pressure": "Total-flow pressure (×)",
    "total_pressure_ratio": "Total-flow pressure (×)",
    "past_crit": "Past critical",
    "cb_level": "Circuit-breaker level",
    "cb_halt": "Circuit-breaker halt",
    "shock_scale": "Shock scale (×)",  # a multiple of the scenario's shocks
    "first_fires_at_shock_scale": "First fires at shock scale (×)",
    # probabilities and counts
    "prob": "Probability (%)",
    "n_liquidated_long": "Longs liquidated",
    "n_liquidated_short": "Shorts liquidated",
    "krw_move_frac": "Move in KRW (%)",  # a coin's move as a won holder sees it
    "pnl_krw": "P&L (₩)",
    "pnl_usd": "P&L ({cur})",
    # the investor's account risk: the broker's ratio as Korean brokers quote it (140%)
    "maintenance_ratio": "Maintenance, collateral / loan (%)",
    "median_first_call_day": "Median first margin call (trading day)",
}

#: How a word of a machine name reads: markets and abbreviations as written, short words
#: spelled out (matched in lower case, so ``NDX_shock_frac`` and ``ndx_shock_frac`` agree).
HEADER_WORDS: dict[str, str] = {
    **{
        k: k.upper()
        for k in (
            "ndx", "sox", "spx", "vix", "kospi", "btc", "eth", "qqq", "soxx", "tqqq",
            "soxl", "tsla", "nvda", "aum", "etf", "letf", "oi", "krx", "us", "krw", "usd",
            "id", "fx", "jgb10y", "usdkrw_fx",
        )
    },
    "usdkrw": "USD/KRW",
    "samsung": "Samsung",
    "skhynix": "SK hynix",
    "hynix": "SK hynix",
    "alt": "altcoins",
    "alts": "altcoins",
    "d0": "day-0",
    "next1": "next-session",
    "n": "number of",
    "vol": "volatility",
    "abs": "absolute",
    "err": "error",
    "max": "maximum",
    "min": "minimum",
    "pnl": "P&L",
    "cb": "circuit-breaker",
    "dist": "distribution",
    "q05": "p5",
    "q50": "median",
    "q95": "p95",
}  # fmt: skip

#: The last word of a machine name that is its unit: (unit in brackets, whether the word
#: stays in the header). ``{cur}`` is ``$`` or ``₩``.
HEADER_UNITS: dict[str, tuple[str, bool]] = {
    "usd": ("{cur}", False),
    "krw": ("₩", False),
    "frac": ("%", False),
    "pct": ("%", False),
    "share": ("%", True),
    "ratio": ("×", True),
    "annual": ("% a year", False),
    "days": ("days", False),
    "et": ("ET", False),
    "kst": ("KST", False),
    "utc": ("UTC", False),
}
_MACHINE = re.compile(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*")
_MARKET_FLOW = re.compile(r"([a-z0-9]+?)(_korean)?_flow_(usd|krw)")
_PROB_LOSS = re.compile(r"prob_loss_(\d+)pct(_ever|_at_end)?")


def _word(w: str) -> str:
    low = w.lower()
    if low in HEADER_WORDS:
        return HEADER_WORDS[low]
    m = re.fullmatch(r"(\d+)pct", low)
    return f"{m.group(1)}%" if m else low


def column_header(key: str, currency: str = "USD") -> str:
    """The header a person reads for a machine column name, with its unit in brackets:
    ``flow_usd`` → ``Flow at close ($)``, ``final_move_frac`` → ``Final move (%)``,
    ``korean_aum_usd`` → ``Korean-held AUM ($)``, ``NDX_shock_frac`` → ``NDX shock (%)``,
    ``aum_source`` → ``AUM source``, ``us_close_kst`` → ``US close (KST)``.

    The one rule of the terminal tables and the HTML report (JSON and CSV keep the machine
    names). A name in :data:`COLUMN_HEADERS` takes its header from there; otherwise the
    last word gives the unit (:data:`HEADER_UNITS`: ``_usd`` $, ``_krw`` ₩, ``_frac`` and
    ``_pct`` %, ``_share`` %, ``_ratio`` ×, ``_annual`` % a year, ``_days``, ``_et``/
    ``_kst``/``_utc``), the words read as in :data:`HEADER_WORDS`, the first letter is
    upper case. ``currency="KRW"`` writes money in ₩ (a table converted to won: a
    ``*_krw`` column renamed from ``*_usd`` takes the USD name's header). A header that is
    already text (a space or a bracket in it) only gets its first letter in upper case.
    """
    if currency.upper() not in ("KRW", "USD"):
        raise ValueError(f"currency = {currency!r} must be KRW or USD")
    if not _MACHINE.fullmatch(key):
        return key[:1].upper() + key[1:]
    cur = "₩" if currency.upper() == "KRW" else "$"
    name = key
    if cur == "₩" and key.endswith("_krw") and key not in COLUMN_HEADERS:
        name = key[:-4] + "_usd"
    if name in COLUMN_HEADERS:
        return COLUMN_HEADERS[name].format(cur=cur)
    low = name.lower()
    m = _MARKET_FLOW.fullmatch(low)
    if m and HEADER_WORDS.get(m.group(1), "").isupper():  # ndx_flow_usd, sox_korean_flow_krw
        who = " Korean-held" if m.group(2) else ""
        unit = "₩" if m.group(3) == "krw" and cur == "$" else cur
        return f"{HEADER_WORDS[m.group(1)]}{who} flow at close ({unit})"
    m = _PROB_LOSS.fullmatch(low)
    if m:  # prob_loss_50pct -> P(lose ≥50%) (%), the decay summary's own words
        when = {"_ever": " ever", "_at_end": " at the end"}.get(m.group(2) or "", "")
        return f"P(lose ≥{m.group(1)}%{when}) (%)"
    words = name.split("_")
    if len(words) > 3 and low.endswith(("_usd_per_pct", "_krw_per_pct")):  # $ per 1% move
        unit = "₩" if words[-3].lower() == "krw" else cur
        text = " ".join(_word(w) for w in words[:-3])
        return f"{text[:1].upper() + text[1:]} per 1% ({unit})"
    unit, keep = HEADER_UNITS.get(words[-1].lower(), ("", True))
    if len(words) == 1:
        unit, keep = "", True  # "days" alone is a count, "share" alone a word
    if not keep:
        words = words[:-1]
    if words[0].lower() == "prob":
        words, unit = ["probability", *words[1:]], "%"
    text = " ".join(_word(w) for w in words)
    text = text[:1].upper() + text[1:]
    return f"{text} ({unit.format(cur=cur)})" if unit else text


# ----------------------------------------------------------------------------- cells
#: Decimals of a percent: a move (``-5.00%``, like :func:`format_frac`), a rate a year
#: (``4.35%``, quoted to the basis point), a share, a probability or a volatility
#: (``43.0%``).
MOVE_DECIMALS = 2
RATE_DECIMALS = 2
SHARE_DECIMALS = 1
#: Decimals of a multiple (``0.67×``) other than a fund's leverage (``+3×``, as written).
TIMES_DECIMALS = 2
#: Words of a machine name that make a percent a move (signed): ``final_move_frac``,
#: ``NDX_shock_frac``, ``change_frac``, ``next_return_frac``, ``kimchi_premium_frac``.
MOVE_WORDS = frozenset(
    {"move", "moves", "shock", "shocks", "change", "return", "premium", "net", "error"}
)


@lru_cache(maxsize=4096)  # per cell of every table: the same few keys, header rule once each
def _unit_of(key: str) -> str:
    """The unit in the brackets at the end of the key's header (``$``, ``₩``, ``%``,
    ``×``, ``% a year``, ``days``), or ``""``; a share of something (``% of AUM``,
    ``% of liquidated``) is ``%``."""
    m = re.search(r"\(([^()]*)\)$", column_header(key))
    unit = m.group(1) if m else ""
    return "%" if unit.startswith("% of ") else unit  # a share of something: (% of AUM)


def _is_move(key: str) -> bool:
    return any(w in MOVE_WORDS for w in key.lower().split("_"))


def format_cell(key: str, value: object) -> str:
    """A value of the machine column ``key`` as a table cell, by the unit its header
    carries (:func:`column_header`), the one rule of the terminal tables and the HTML
    report:

    * ``($)``/``(₩)`` money — :func:`format_usd`/:func:`format_krw`: ``-$24.97B``, ``₩1.40억``
    * ``(%)`` a move (a word of :data:`MOVE_WORDS` in the key) — signed, two decimals
      (:func:`format_frac`; no sign on a figure that rounds to zero, as for money:
      ``0.00%``): ``-5.00%``, ``+1.33%``; any other percent (a share, a
      probability, a loss) — unsigned, one decimal: ``43.0%`` (``0.0%``, never ``-0.0%``)
    * ``(% a year)`` — a volatility with one decimal (``45.0%``), a rate with two (``4.35%``)
    * ``(×)`` — a multiple with two decimals (``0.67×``); ``leverage`` signed as a fund
      names it, at most two decimals (``+3×``, ``-2×``, ``+1.5×``)
    * a count (an integer, ``n_*``, ``(days)``, ``(trading day)``) — thousands
      separators: ``1,234``
    * yes/no for a boolean; "—" for a missing or non-finite value; other figures by
      :func:`format_number` (never in scientific notation); text as it is.
    """
    if value is None:
        return "—"
    if isinstance(value, bool) or type(value).__name__ in ("bool", "bool_"):  # numpy's too
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    v = _finite(value)
    if v is None:
        try:
            return format_number(float(value))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(value)
    unit = _unit_of(key)
    if unit == "$":
        return format_usd(v)
    if unit == "₩":
        return format_krw(v)
    if unit == "%":
        if _is_move(key):  # format_frac's -5.00%, with no sign on a zero (never -0.00%)
            return format_frac(v)
        return format_percent(v)  # a share, a probability, a loss: 43.0%, never -0.0%
    if unit == "% a year":
        vol = "vol" in key.lower().split("_") or key.lower().startswith("vol")
        return format_percent(v, decimals=SHARE_DECIMALS if vol else RATE_DECIMALS)
    if unit == "×":
        if key.lower() == "leverage":  # as a fund names it: +3×, -2×, +1.5×
            text = f"{abs(v):.{TIMES_DECIMALS}f}".rstrip("0").rstrip(".")
            return f"{'-' if v < 0 and text != '0' else '+'}{text}×"
        return _signed(_sign(v, False), f"{abs(v):,.{TIMES_DECIMALS}f}×")
    integer = isinstance(value, int) or type(value).__name__.startswith(("int", "uint"))
    count = key.lower().startswith("n_") or unit in ("days", "trading day")
    if integer or (count and v.is_integer()):
        return f"{v:,.0f}"
    return format_number(v)
