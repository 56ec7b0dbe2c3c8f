"""Daily return history and the volatility parameters derived from it.

Reads real daily closes (``Date,Close`` CSV files such as ../shared/data or a user's own
file) for the block bootstrap and for fitting GJR-GARCH-t with ``arch``; loads the
embedded defaults (``defaults/vol_params.yaml``: fitted GARCH parameters per underlying,
correlations, short rate, USD/KRW) so the package runs without the history files.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.core.paths import GarchParams
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd

VOL_PARAMS_RESOURCE = "vol_params.yaml"
#: Folder of ``Date,Close`` files inside a shared-data directory.
ADJCLOSE_DIR = "us-adjclose-1993-2026"


def read_close_series(path: str | Path, *, max_bytes: int | None = None) -> pd.Series:
    """A ``Date,Close`` (or ``Adj Close``) CSV as a date-sorted Series of positive closes.

    A blank close (or FRED's ``.``) is a missing day and skipped; any other close that is
    not a finite positive number is refused with its line. The file is checked before
    reading (size limit ``max_bytes``, default 256 MiB or ``$GAEMI_MAX_INPUT_MB``; a close
    above :data:`gaemi.data.quality.MAX_PRICE` is refused too) and must
    be UTF-8 (with or without a byte-order mark).

    Raises
    ------
    GaemiInputError
        If the file is missing, too large, not UTF-8, has no date or close column, or holds
        a close that is not a number, not finite or <= 0.
    """
    import io

    import pandas as pd

    from gaemi.data.quality import MAX_PRICE
    from gaemi.data.yamlio import check_input_file, decode_text

    p = check_input_file(path, "history file", max_bytes=max_bytes)
    text = decode_text(p.read_bytes(), p.name)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise GaemiInputError(f"{p.name}: not a readable CSV ({exc.__class__.__name__})") from None
    cols = {c.lower().strip(): c for c in df.columns}
    date_col = cols.get("date") or cols.get("observation_date")
    close_col = cols.get("adj close") or cols.get("close") or cols.get("adj_close")
    if date_col is None or close_col is None:
        raise GaemiInputError(f"{p.name}: needs a Date column and a Close column")
    dates = pd.to_datetime(df[date_col].astype(str).str[:10], errors="coerce", format="%Y-%m-%d")
    raw = df[close_col].astype(str).str.strip()
    close = pd.to_numeric(raw, errors="coerce")
    bad_date = dates.isna()
    if bad_date.any():
        line = int(np.flatnonzero(bad_date.to_numpy())[0]) + 2
        raise GaemiInputError(
            f"{p.name} line {line}: Date = {df[date_col].iloc[line - 2]!r} is not a YYYY-MM-DD date"
        )
    blank = raw.isin(["", "."])
    values = close.to_numpy(dtype=float)
    ok = np.isfinite(values) & (np.nan_to_num(values) > 0) & (np.nan_to_num(values) <= MAX_PRICE)
    bad = ~blank.to_numpy() & ~ok
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if not np.isfinite(values[i]):
            why = "is not a finite number"
        elif values[i] > MAX_PRICE:
            why = f"is above the {MAX_PRICE:g} limit"
        else:
            why = "is <= 0"
        raise GaemiInputError(
            f"{p.name} line {i + 2}: {close_col} = {raw.iloc[i]!r} {why} (a close must be > 0)"
        )
    s = pd.Series(values, index=pd.DatetimeIndex(dates), name=p.stem).dropna()
    s = s[~s.index.duplicated(keep="last")].sort_index()
    if len(s) < 2:
        raise GaemiInputError(f"{p.name}: fewer than two closes")
    return s


def daily_returns(closes: pd.Series, *, max_abs: float = 0.9) -> pd.Series:
    """Simple close-to-close returns; |r| > ``max_abs`` (split artefacts) is an error."""
    r = closes.pct_change().dropna()
    big = r.abs() > max_abs
    if big.any():
        day = r.index[big.to_numpy()][0].date()
        raise GaemiInputError(
            f"{closes.name}: return {float(r[big].iloc[0]):+.1%} on {day} looks like an "
            "unadjusted split; fix the file"
        )
    return r


def shared_data_dir() -> Path | None:
    """``$GAEMI_SHARED_DATA`` if it names a folder (the package never needs it)."""
    env = os.environ.get("GAEMI_SHARED_DATA")
    if env and Path(env).is_dir():
        return Path(env)
    return None


def history_file(ticker: str, data_dir: str | Path) -> Path:
    """``<data_dir>/us-adjclose-1993-2026/<TICKER>.csv`` (or ``<data_dir>/<TICKER>.csv``)."""
    d = Path(data_dir)
    for cand in (d / ADJCLOSE_DIR / f"{ticker}.csv", d / f"{ticker}.csv"):
        if cand.is_file():
            return cand
    raise GaemiInputError(f"no history file for {ticker!r} under {str(d)!r}")


def joint_returns(
    files: Mapping[str, str | Path], start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """Daily returns of several series on their common dates (columns = keys)."""
    import pandas as pd

    series = {k: read_close_series(p) for k, p in files.items()}
    df = pd.concat(series, axis=1, join="inner", sort=True)
    if start is not None:
        df = df[df.index >= pd.Timestamp(start)]
    if end is not None:
        df = df[df.index <= pd.Timestamp(end)]
    out = pd.DataFrame({k: daily_returns(df[k].rename(k)) for k in df.columns})
    if len(out) < 60:
        raise GaemiInputError(
            f"history of {', '.join(files)} has {len(out)} common days; need at least 60"
        )
    return out


def fit_gjr_garch_t(returns: Sequence[float] | np.ndarray, name: str = "underlying") -> GarchParams:
    """Fit GJR-GARCH(1,1) with Student-t errors (``arch``) to daily simple returns.

    The model is fitted to 100·ln(1+r) (percent log returns, for the optimiser) and the
    parameters are converted back to decimal daily units.
    """
    from arch import arch_model

    r = np.asarray(returns, dtype=np.float64)
    if r.size < 250:
        raise GaemiInputError(f"{name}: {r.size} returns; GARCH needs at least 250")
    y = 100.0 * np.log1p(r)
    res = arch_model(y, mean="Constant", vol="GARCH", p=1, o=1, q=1, dist="t").fit(
        disp="off", show_warning=False
    )
    p = res.params
    sigma_last = float(np.asarray(res.conditional_volatility)[-1]) / 100.0
    return GarchParams(
        omega=float(p["omega"]) / 1e4,
        alpha=float(p["alpha[1]"]),
        gamma=float(p["gamma[1]"]),
        beta=float(p["beta[1]"]),
        nu=float(p["nu"]),
        mu=float(p["mu"]) / 100.0,
        sigma_last=sigma_last,
        name=name,
    )


@dataclass(frozen=True)
class UnderlyingVol:
    """Embedded volatility facts about one underlying (from ``vol_params.yaml``)."""

    underlying_id: str
    proxy: str
    window: str
    realised_vol_annual: float
    recent_vol_annual: float
    garch: GarchParams
    source: str


@dataclass(frozen=True)
class VolDefaults:
    """The embedded volatility, rate and FX defaults."""

    as_of: str
    rate_annual: float
    rate_source: str
    spread_annual: float
    spread_source: str
    usdkrw: float
    usdkrw_as_of: str
    usdkrw_vol_annual: float
    underlyings: dict[str, UnderlyingVol] = field(default_factory=dict)
    correlation: dict[tuple[str, str], float] = field(default_factory=dict)

    def get(self, underlying_id: str) -> UnderlyingVol:
        """Facts for one underlying; unknown ids are an error naming the known ones."""
        key = underlying_id.upper()
        if key not in self.underlyings:
            known = ", ".join(sorted(self.underlyings))
            raise GaemiInputError(
                f"underlying = {underlying_id!r} has no embedded volatility (known: {known}); "
                "give --vol or --history"
            )
        return self.underlyings[key]

    def corr_matrix(self, ids: Sequence[str]) -> np.ndarray:
        """Correlation matrix of daily returns for the given underlyings."""
        n = len(ids)
        c = np.eye(n)
        for i in range(n):
            for j in range(i + 1, n):
                a, b = ids[i].upper(), ids[j].upper()
                if a == b:
                    v = 1.0
                else:
                    got = self.correlation.get((a, b), self.correlation.get((b, a)))
                    if got is None:
                        raise GaemiInputError(
                            f"no embedded correlation between {a} and {b}; give --corr"
                        )
                    v = got
                c[i, j] = c[j, i] = v
        return c


def _num(src: str, key: str, value: Any, lo: float, hi: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise GaemiInputError(f"{src}: {key} = {value!r} is not a number") from None
    if not (math.isfinite(x) and lo <= x <= hi):
        raise GaemiInputError(f"{src}: {key} = {x:g} must be in [{lo:g}, {hi:g}]")
    return x


_FIN_KEYS = frozenset({"rate_annual", "rate_source", "spread_annual", "spread_source", "range"})
_FX_KEYS = frozenset({"usdkrw", "as_of", "vol_annual", "source"})
_UND_KEYS = frozenset(
    {"proxy", "window", "days", "realised_vol_annual", "recent_vol_annual", "garch", "source"}
)
_GARCH_KEYS = frozenset(
    {"omega", "alpha", "gamma", "beta", "nu", "mu", "sigma_last", "long_run_vol_annual"}
)


def _section(src: str, where: str, value: Any, known: frozenset[str]) -> Mapping[str, Any]:
    """A mapping whose keys are all known (unknown keys are errors, not ignored)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise GaemiInputError(f"{src}: {where} must be a mapping")
    unknown = sorted(set(map(str, value)) - known)
    if unknown:
        raise GaemiInputError(f"{src}: unknown field {where}.{unknown[0]}")
    return value


def vol_defaults_from_dict(data: Any, src: str = VOL_PARAMS_RESOURCE) -> VolDefaults:
    """Validate a parsed ``vol_params.yaml`` document."""
    if not isinstance(data, Mapping):
        raise GaemiInputError(f"{src}: expected a mapping at the top level")
    known = {"as_of", "source", "notes", "financing", "fx", "underlyings", "correlation"}
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise GaemiInputError(f"{src}: unknown field {unknown[0]!r}")
    fin = _section(src, "financing", data.get("financing"), _FIN_KEYS)
    fx = _section(src, "fx", data.get("fx"), _FX_KEYS)
    unds: dict[str, UnderlyingVol] = {}
    for uid, rec0 in (data.get("underlyings") or {}).items():
        k = f"underlyings.{uid}"
        rec = _section(src, k, rec0, _UND_KEYS)
        g = _section(src, f"{k}.garch", rec.get("garch"), _GARCH_KEYS)
        unds[str(uid).upper()] = UnderlyingVol(
            underlying_id=str(uid).upper(),
            proxy=str(rec.get("proxy", uid)),
            window=str(rec.get("window", "")),
            realised_vol_annual=_num(
                src, f"{k}.realised_vol_annual", rec.get("realised_vol_annual"), 0, 5
            ),
            recent_vol_annual=_num(
                src, f"{k}.recent_vol_annual", rec.get("recent_vol_annual"), 0, 5
            ),
            garch=GarchParams(
                omega=_num(src, f"{k}.garch.omega", g.get("omega"), 0, 1),
                alpha=_num(src, f"{k}.garch.alpha", g.get("alpha"), 0, 1),
                gamma=_num(src, f"{k}.garch.gamma", g.get("gamma"), -1, 1),
                beta=_num(src, f"{k}.garch.beta", g.get("beta"), 0, 1),
                nu=_num(src, f"{k}.garch.nu", g.get("nu"), 2, 1000),
                mu=_num(src, f"{k}.garch.mu", g.get("mu", 0.0), -1, 1),
                sigma_last=_num(src, f"{k}.garch.sigma_last", g.get("sigma_last"), 0, 1),
                name=str(uid).upper(),
            ),
            source=str(rec.get("source", "")),
        )
    corr: dict[tuple[str, str], float] = {}
    for pair, v in (data.get("correlation") or {}).items():
        a, _, b = str(pair).partition("/")
        if not b:
            raise GaemiInputError(f"{src}: correlation key {pair!r} must be A/B")
        corr[(a.upper(), b.upper())] = _num(src, f"correlation.{pair}", v, -1, 1)
    return VolDefaults(
        as_of=str(data.get("as_of", "")),
        rate_annual=_num(src, "financing.rate_annual", fin.get("rate_annual"), -0.05, 0.3),
        rate_source=str(fin.get("rate_source", "")),
        spread_annual=_num(src, "financing.spread_annual", fin.get("spread_annual"), -0.05, 0.2),
        spread_source=str(fin.get("spread_source", "")),
        usdkrw=_num(src, "fx.usdkrw", fx.get("usdkrw"), 100, 10000),
        usdkrw_as_of=str(fx.get("as_of", "")),
        usdkrw_vol_annual=_num(src, "fx.vol_annual", fx.get("vol_annual"), 0, 2),
        underlyings=unds,
        correlation=corr,
    )


def load_vol_defaults(path: str | Path | None = None) -> VolDefaults:
    """The embedded ``vol_params.yaml`` (or a file of the same schema)."""
    from gaemi.data.yamlio import default_path, read_yaml

    p = default_path(VOL_PARAMS_RESOURCE) if path is None else Path(path)
    return vol_defaults_from_dict(read_yaml(p, "vol params file"), p.name)


INVESTOR_RESOURCE = "investor.yaml"
_INVESTOR_KEYS = {
    "maintenance_ratio": (1.0, 10.0),
    "grace_days": (0.0, 30.0),
    "loan_rate_annual": (0.0, 1.0),
    "forced_sale_discount": (0.0, 1.0),
    "ruin_loss_frac": (0.0, 1.0),
}


@dataclass(frozen=True)
class InvestorDefaults:
    """Embedded judgement parameters of the investor engine, with their sources."""

    maintenance_ratio: float
    grace_days: int
    loan_rate_annual: float
    forced_sale_discount: float
    cure_on_recovery: bool
    ruin_loss_frac: float
    sources: dict[str, str] = field(default_factory=dict)


def load_investor_defaults(path: str | Path | None = None) -> InvestorDefaults:
    """``defaults/investor.yaml`` (or a file of the same schema), validated."""
    from gaemi.data.yamlio import default_path, read_yaml

    p = default_path(INVESTOR_RESOURCE) if path is None else Path(path)
    data, src = read_yaml(p, "investor defaults file"), p.name
    if not isinstance(data, Mapping):
        raise GaemiInputError(f"{src}: expected a mapping at the top level")
    known = {*_INVESTOR_KEYS, "cure_on_recovery", "source"}
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise GaemiInputError(f"{src}: unknown field {unknown[0]!r}")
    vals: dict[str, float] = {}
    sources: dict[str, str] = {}
    for key, (lo, hi) in _INVESTOR_KEYS.items():
        rec = data.get(key)
        if not isinstance(rec, Mapping) or "value" not in rec:
            raise GaemiInputError(f"{src}: {key} must be a mapping with value, range, source")
        vals[key] = _num(src, f"{key}.value", rec["value"], lo, hi)
        sources[key] = str(rec.get("source", ""))
    cure = data.get("cure_on_recovery", {})
    cure_v = cure.get("value", True) if isinstance(cure, Mapping) else cure
    if not isinstance(cure_v, bool):
        raise GaemiInputError(f"{src}: cure_on_recovery.value = {cure_v!r} must be true/false")
    return InvestorDefaults(
        maintenance_ratio=vals["maintenance_ratio"],
        grace_days=int(vals["grace_days"]),
        loan_rate_annual=vals["loan_rate_annual"],
        forced_sale_discount=vals["forced_sale_discount"],
        cure_on_recovery=cure_v,
        ruin_loss_frac=vals["ruin_loss_frac"],
        sources=sources,
    )
