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
* :func:`format_frac` — a fraction as a signed percent (a move): ``-5.00%``
"""

from __future__ import annotations

import math

__all__ = [
    "KRW_UNITS",
    "USD_UNITS",
    "format_frac",
    "format_krw",
    "format_money",
    "format_number",
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
    if a == 0 or a >= 1e4:
        return f"{v:,.0f}"
    if a < 1e-4:
        return f"{v:.4g}"
    decimals = max(0, 3 - math.floor(math.log10(a)))  # four significant digits
    return f"{v:,.{decimals}f}"


def format_frac(value: float | None) -> str:
    """A fraction as a percent with its sign, for a move: -0.05 -> ``-5.00%``, 0.031 ->
    ``+3.10%`` ("—" for a missing or non-finite value)."""
    v = _finite(value)
    if v is None:
        return "—"
    return f"{v:+.2%}"
