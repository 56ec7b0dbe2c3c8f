"""The fund universe as arrays: one entry per leveraged or inverse fund.

A :class:`Universe` is a frozen column store (NumPy arrays of equal length) that the flow,
feedback and decay engines consume. Loading it from files lives in :mod:`gaemi.data`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from gaemi.errors import GaemiInputError
from gaemi.limits import MAX_AUM_USD as MAX_AUM_USD
from gaemi.limits import is_fund_leverage as is_fund_leverage

FloatArray = NDArray[np.float64]
StrArray = NDArray[np.str_]
UnderlyingKind = Literal["index", "single_stock", "commodity", "crypto", "rates"]

#: String columns of a universe, in display order.
TEXT_FIELDS: tuple[str, ...] = (
    "ticker",
    "name",
    "issuer",
    "underlying_id",
    "underlying_kind",
    "underlying_group",
    "aum_as_of",
    "korean_as_of",
    "source_aum",
    "source_korean",
)
#: Numeric columns of a universe.
NUMBER_FIELDS: tuple[str, ...] = (
    "leverage",
    "expense_ratio",
    "aum_usd",
    "korean_share",
)
#: Every column of a universe, in display order.
FIELDS: tuple[str, ...] = (
    "ticker",
    "name",
    "issuer",
    "leverage",
    "underlying_id",
    "underlying_kind",
    "underlying_group",
    "expense_ratio",
    "aum_usd",
    "aum_as_of",
    "korean_share",
    "korean_as_of",
    "source_aum",
    "source_korean",
)


def _text(values: Sequence[str] | NDArray[np.str_], n: int, name: str) -> StrArray:
    arr = np.asarray(values, dtype=np.str_)
    if arr.shape != (n,):
        raise GaemiInputError(f"{name}: expected {n} values, got shape {arr.shape}")
    return arr


def _num(values: Sequence[float] | FloatArray, n: int, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise GaemiInputError(f"{name}: expected {n} values, got shape {arr.shape}")
    return arr


@dataclass(frozen=True, eq=False)
class Universe:
    """Leveraged and inverse funds as parallel arrays.

    Parameters
    ----------
    ticker, name, issuer : array of str
        Identity of each fund. Tickers are unique.
    leverage : array of float
        Signed daily leverage L (3, 2, -1, -3 …). 0 ≤ L ≤ 1 is not a leveraged or
        inverse fund.
    underlying_id : array of str
        Short identifier of what the fund tracks (``"NDX"``, ``"SOX"``, ``"TSLA"``).
    underlying_kind, underlying_group : array of str
        ``index``/``single_stock``/… and a reporting group (``NDX``, ``semiconductors``, …).
    expense_ratio : array of float
        Annual expense ratio as a decimal (0.0082 = 0.82 %).
    aum_usd : array of float
        Start-of-day net assets A in USD, ``aum_as_of`` the date of that figure.
    korean_share : array of float
        Fraction of the fund held by Korean residents, in [0, 1]; NaN where unknown.
    korean_as_of : array of str
        Date of the Korean holding figure ('' where unknown).
    source_aum, source_korean : array of str
        Where the figures come from.
    """

    ticker: StrArray
    name: StrArray
    issuer: StrArray
    leverage: FloatArray
    underlying_id: StrArray
    underlying_kind: StrArray
    underlying_group: StrArray
    expense_ratio: FloatArray
    aum_usd: FloatArray
    aum_as_of: StrArray
    korean_share: FloatArray
    korean_as_of: StrArray
    source_aum: StrArray
    source_korean: StrArray
    label: str = field(default="universe")

    def __post_init__(self) -> None:
        n = len(np.asarray(self.ticker))
        for name in TEXT_FIELDS:
            object.__setattr__(self, name, _text(getattr(self, name), n, name))
        for name in NUMBER_FIELDS:
            object.__setattr__(self, name, _num(getattr(self, name), n, name))
        self._validate()
        for name in (*TEXT_FIELDS, *NUMBER_FIELDS):
            getattr(self, name).flags.writeable = False

    def _validate(self) -> None:
        def bad(i: int, fieldname: str, value: object, why: str) -> GaemiInputError:
            return GaemiInputError(
                f"{self.label}: fund {self.ticker[i]!s} {fieldname} = {value!r} {why}"
            )

        seen: set[str] = set()
        for i, t in enumerate(self.ticker):
            if not str(t).strip():
                raise GaemiInputError(f"{self.label}: fund #{i + 1} ticker is empty")
            if t in seen:
                raise bad(i, "ticker", str(t), "is duplicated")
            seen.add(str(t))
        for i, lev in enumerate(self.leverage):
            if not np.isfinite(lev):
                raise bad(i, "leverage", float(lev), "must be a finite number")
            if not is_fund_leverage(float(lev)):
                raise GaemiInputError(
                    f"{self.label}: fund {self.ticker[i]!s} leverage = {float(lev)!r} is not a "
                    "leveraged or inverse fund (need L > 1 or L < 0)"
                )
        for i, a in enumerate(self.aum_usd):
            if not np.isfinite(a) or a < 0:
                raise bad(i, "aum_usd", float(a), "must be a finite number >= 0")
        for i, e in enumerate(self.expense_ratio):
            if not (np.isnan(e) or 0.0 <= e < 0.2):
                raise bad(i, "expense_ratio", float(e), "must be a decimal in [0, 0.2)")
        for i, k in enumerate(self.korean_share):
            if not (np.isnan(k) or 0.0 <= k <= 1.0):
                raise bad(i, "korean_share", float(k), "must be in [0, 1]")

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return int(self.ticker.shape[0])

    @property
    def korean_aum_usd(self) -> FloatArray:
        """Korean-held assets per fund in USD (NaN where the share is unknown)."""
        return self.korean_share * self.aum_usd

    @property
    def korean_known(self) -> NDArray[np.bool_]:
        """True where the fund's Korean share is known."""
        return ~np.isnan(self.korean_share)

    def columns(self) -> dict[str, NDArray[np.generic]]:
        """All columns by name, in display order."""
        return {name: getattr(self, name) for name in FIELDS}

    # ------------------------------------------------------------------ selection
    def select(self, mask: NDArray[np.bool_] | Sequence[bool]) -> Universe:
        """The funds where ``mask`` is true, as a new universe."""
        m = np.asarray(mask, dtype=bool)
        if m.shape != (len(self),):
            raise GaemiInputError(f"mask: expected {len(self)} values, got shape {m.shape}")
        kwargs = {name: getattr(self, name)[m] for name in (*TEXT_FIELDS, *NUMBER_FIELDS)}
        return Universe(**kwargs, label=self.label)

    def where_underlying(self, underlying: str | Sequence[str]) -> Universe:
        """Funds on the given underlying id(s) or group(s), case-insensitive.

        Raises
        ------
        GaemiInputError
            If a name matches no underlying id or group in the universe.
        """
        wanted = [underlying] if isinstance(underlying, str) else list(underlying)
        ids = np.char.upper(self.underlying_id)
        groups = np.char.upper(self.underlying_group)
        mask = np.zeros(len(self), dtype=bool)
        for w in wanted:
            hit = (ids == w.upper()) | (groups == w.upper())
            if not hit.any():
                known = ", ".join(sorted(set(self.underlying_id.tolist()))[:12])
                raise GaemiInputError(
                    f"underlying = {w!r} is not in the universe (known ids include: {known} …)"
                )
            mask |= hit
        return self.select(mask)

    def where_ticker(self, tickers: Sequence[str]) -> Universe:
        """Funds with the given tickers (case-insensitive); unknown tickers are an error."""
        upper = np.char.upper(self.ticker)
        mask = np.zeros(len(self), dtype=bool)
        for t in tickers:
            hit = upper == t.upper()
            if not hit.any():
                raise GaemiInputError(f"ticker = {t!r} is not in the universe")
            mask |= hit
        return self.select(mask)

    # ------------------------------------------------------------------ what-ifs
    def with_korean_holdings(self, holdings_usd: Mapping[str, float]) -> Universe:
        """Override Korean holdings of named funds (USD); non-Korean holders are kept.

        A fund's AUM becomes its non-Korean assets plus the new Korean assets, so adding
        Korean money grows the fund rather than displacing other holders.
        """
        korean = np.nan_to_num(self.korean_aum_usd, nan=0.0)
        other = self.aum_usd - korean
        new_korean = korean.copy()
        known = self.korean_share.copy()
        upper = np.char.upper(self.ticker)
        for t, usd in holdings_usd.items():
            if not np.isfinite(usd) or not 0 <= usd <= MAX_AUM_USD:
                raise GaemiInputError(
                    f"korean holdings for {t}: {float(usd):g} USD must be in [0, {MAX_AUM_USD:g}]"
                )
            hit = np.flatnonzero(upper == t.upper())
            if hit.size == 0:
                raise GaemiInputError(f"ticker = {t!r} is not in the universe")
            new_korean[hit] = usd
            known[hit] = 0.0  # marks as known; share set below
        aum = other + new_korean
        share = np.where(
            np.isnan(known),
            np.nan,
            np.divide(new_korean, aum, out=np.zeros_like(aum), where=aum > 0),
        )
        return replace(
            self,
            aum_usd=aum,
            korean_share=share,
            label=f"{self.label} (Korean holdings overridden)",
        )

    def with_korean_aum(self, total_usd: float, *, leverage_at_least: float = 3.0) -> Universe:
        """Scale Korean holdings so that they total ``total_usd`` in the selected funds.

        The total is spread over funds with ``|L| >= leverage_at_least`` in proportion to
        their known Korean holdings (or to AUM if none is known), non-Korean assets kept.
        This is the research note's what-if ("$45B of Korean 3x AUM").
        """
        if not np.isfinite(total_usd) or not 0 <= total_usd <= MAX_AUM_USD:
            raise GaemiInputError(
                f"korean_aum_usd = {float(total_usd):g} USD must be in [0, {MAX_AUM_USD:g}] ($10T)"
            )
        sel = np.abs(self.leverage) >= leverage_at_least
        if not sel.any():
            raise GaemiInputError(
                f"leverage_at_least = {leverage_at_least} selects no fund in {self.label}"
            )
        korean = np.nan_to_num(self.korean_aum_usd, nan=0.0)
        weights = np.where(sel, korean, 0.0)
        if weights.sum() <= 0:
            weights = np.where(sel, self.aum_usd, 0.0)
        weights = weights / weights.sum()
        target = {
            str(t): float(total_usd * w) for t, w in zip(self.ticker, weights, strict=True) if w > 0
        }
        return self.with_korean_holdings(target)

    @staticmethod
    def hypothetical(
        leverage: Sequence[float],
        aum_usd: Sequence[float],
        underlying_id: Sequence[str] | None = None,
        korean_share: Sequence[float] | None = None,
    ) -> Universe:
        """A universe of hypothetical funds (``HYP1``, ``HYP2``, …) for what-if questions."""
        n = len(leverage)
        if len(aum_usd) != n:
            raise GaemiInputError("hypothetical funds: leverage and aum_usd differ in length")
        uid = list(underlying_id) if underlying_id is not None else ["HYP"] * n
        ks = list(korean_share) if korean_share is not None else [np.nan] * n
        blank = [""] * n
        return Universe(
            ticker=np.array([f"HYP{i + 1}" for i in range(n)]),
            name=np.array([f"hypothetical {lev:+g}x fund" for lev in leverage]),
            issuer=np.array(["hypothetical"] * n),
            leverage=np.asarray(leverage, dtype=float),
            underlying_id=np.array(uid),
            underlying_kind=np.array(["index"] * n),
            underlying_group=np.array(uid),
            expense_ratio=np.full(n, np.nan),
            aum_usd=np.asarray(aum_usd, dtype=float),
            aum_as_of=np.array(blank),
            korean_share=np.asarray(ks, dtype=float),
            korean_as_of=np.array(blank),
            source_aum=np.array(["user input"] * n),
            source_korean=np.array(["user input" if not np.isnan(k) else "" for k in ks]),
            label="hypothetical funds",
        )
