"""Inputs of the crypto liquidation-cascade engine: the config YAML and population files.

The config (``crypto_default.yaml`` is the shipped, calibrated one) gives the assets, their
depth curves, the parametric population and the Korean slice; every judgement parameter is
``{value, source, range}`` and a value outside its range is an error. A population file
(CSV or Parquet, one row per position) replaces the parametric population.

Population file schema
----------------------
required  ``asset`` (a name in the config), ``side`` (long/short), ``leverage`` (> 0),
          ``size_usd`` (notional at the current price, >= 0), and ``entry_price_usd``
          (needs the asset's ``price_usd`` in the config) or ``entry_frac`` (entry / current)
optional  ``maintenance_margin_frac`` (default: the asset's), ``liquidation_price_usd``
          (checked against the formula: below the entry for a long, above for a short),
          ``id``, ``notes``
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gaemi.core.crypto import (
    LONG,
    SHORT,
    KoreanSlice,
    LiquidationLaw,
    Market,
    Population,
    ShockInversion,
    SideSpec,
    generate_population,
)
from gaemi.errors import GaemiInputError
from gaemi.units import format_usd

FloatVec = np.ndarray[Any, np.dtype[np.float64]]

DEFAULT_RESOURCE = "crypto_default.yaml"
TOP_KEYS = frozenset(
    {"name", "as_of", "source", "notes", "population", "market", "assets", "korea", "calibration"}
)
POP_KEYS = frozenset(
    {
        "seed",
        "n_per_side",
        "open_interest_usd",
        "long_frac_of_oi",
        "short_frac_of_oi",
        "long",
        "short",
    }
)
SIDE_KEYS = (
    "leverage_median",
    "leverage_log_sd",
    "leverage_min",
    "entry_log_mean",
    "entry_log_sd",
    "size_log_sd",
)
MARKET_KEYS = (
    "btc_depth_usd_per_pct",
    "depth_floor_frac",
    "thinning_scale_frac",
    "alt_depth_factor",
)
ASSET_PARAMS = (
    "oi_share",
    "beta_to_btc",
    "maintenance_margin_frac",
    "leverage_max",
)
ASSET_KEYS = frozenset({"price_usd", *ASSET_PARAMS})
KOREA_KEYS = frozenset(
    {
        "usdkrw",
        "kimchi_premium_frac",
        "premium_signal_hot_frac",
        "holdings_krw",
        "weights",
        "lending",
    }
)
LENDING_KEYS = frozenset({"borrowed_krw", "leverage", "bucket_weights", "liquidation_margin_frac"})
PARAM_KEYS = frozenset({"value", "source", "range", "as_of"})

POP_REQUIRED = ("asset", "side", "leverage", "size_usd")
POP_OPTIONAL = (
    "entry_price_usd",
    "entry_frac",
    "maintenance_margin_frac",
    "liquidation_price_usd",
    "id",
    "notes",
)


@dataclass(frozen=True)
class Param:
    """A judgement parameter with its source and allowed range."""

    value: Any
    source: str
    range: tuple[float, float]
    as_of: str = ""


def _num(src: str, where: str, v: Any) -> float:
    if isinstance(v, bool):
        raise GaemiInputError(f"{src}: {where} = {v!r} is not a number")
    try:
        out = float(v)
    except (TypeError, ValueError):
        raise GaemiInputError(f"{src}: {where} = {v!r} is not a number") from None
    if not math.isfinite(out):
        raise GaemiInputError(f"{src}: {where} = {v!r} must be finite")
    return out


def _unknown(src: str, where: str, data: Mapping[str, Any], known: frozenset[str]) -> None:
    extra = sorted(set(map(str, data)) - known)
    if extra:
        raise GaemiInputError(
            f"{src}: unknown field {where}{extra[0]!r} (known: {', '.join(sorted(known))})"
        )


def _mapping(src: str, where: str, v: Any) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise GaemiInputError(f"{src}: {where} must be a mapping")
    return v


def _param(src: str, where: str, v: Any, *, vector: bool = False) -> Param:
    """Read ``{value, source, range}``; the value (each element) must lie in the range."""
    if not isinstance(v, Mapping):
        raise GaemiInputError(f"{src}: {where} must be a mapping with value, source and range")
    _unknown(src, f"{where}.", v, PARAM_KEYS)
    for k in ("value", "source", "range"):
        if k not in v:
            raise GaemiInputError(f"{src}: {where}.{k} is missing")
    rng = v["range"]
    if not isinstance(rng, list | tuple) or len(rng) != 2:
        raise GaemiInputError(f"{src}: {where}.range = {rng!r} must be [low, high]")
    lo, hi = _num(src, f"{where}.range", rng[0]), _num(src, f"{where}.range", rng[1])
    if lo > hi:
        raise GaemiInputError(f"{src}: {where}.range = {rng!r} has low > high")
    raw = v["value"]
    if vector:
        if not isinstance(raw, list | tuple) or not raw:
            raise GaemiInputError(f"{src}: {where}.value must be a non-empty list")
        vals: Any = [_num(src, f"{where}.value[{i}]", x) for i, x in enumerate(raw)]
        items = vals
    else:
        vals = _num(src, f"{where}.value", raw)
        items = [vals]
    for x in items:
        if not lo <= x <= hi:
            raise GaemiInputError(
                f"{src}: {where}.value = {x:g} is outside its range [{lo:g}, {hi:g}]"
            )
    if not str(v["source"]).strip():
        raise GaemiInputError(f"{src}: {where}.source is empty")
    return Param(vals, str(v["source"]), (lo, hi), str(v.get("as_of", "")))


@dataclass(frozen=True, eq=False)
class CryptoConfig:
    """A validated crypto config: market, parametric population and Korean slice."""

    name: str
    as_of: str
    source: str
    asset_names: tuple[str, ...]
    price_usd: dict[str, float]
    params: dict[str, Param]
    asset_params: dict[str, dict[str, Param]]
    korea_params: dict[str, Param]
    korea_weights: dict[str, Param]
    calibration: dict[str, Param]
    seed: int
    n_per_side: int
    src: str = "config"
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def v(self, key: str) -> float:
        """Value of a top-level parameter (population or market)."""
        return float(self.params[key].value)

    def av(self, asset: str, key: str) -> float:
        """Value of a per-asset parameter."""
        return float(self.asset_params[asset][key].value)

    def market(self, depth_scale: float = 1.0) -> Market:
        """The assets with their betas and depth curves."""
        return Market.from_lists(
            self.asset_names,
            [self.av(a, "beta_to_btc") for a in self.asset_names],
            self.depth_usd_per_pct(depth_scale=depth_scale),
            self.v("depth_floor_frac"),
            self.v("thinning_scale_frac"),
        )

    def depth_usd_per_pct(
        self, *, depth_scale: float = 1.0, alt_depth_factor: float | None = None
    ) -> np.ndarray[Any, np.dtype[np.float64]]:
        """D0 per asset: BTC's depth × OI-share ratio × the altcoin factor (not for BTC)."""
        d0 = self.v("btc_depth_usd_per_pct") * depth_scale
        alt = self.v("alt_depth_factor") if alt_depth_factor is None else alt_depth_factor
        s0 = self.av(self.asset_names[0], "oi_share")
        return np.array(
            [
                d0 * self.av(a, "oi_share") / s0 * (1.0 if i == 0 else alt)
                for i, a in enumerate(self.asset_names)
            ]
        )

    def maintenance_margin(self) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.array([self.av(a, "maintenance_margin_frac") for a in self.asset_names])

    def side_specs(
        self, long_frac: float | None = None, short_frac: float | None = None
    ) -> dict[tuple[int, int], SideSpec]:
        """Parametric spec per (asset, side); fractions of OI may be overridden (calibration)."""
        oi = self.v("open_interest_usd")
        fr = {
            LONG: self.v("long_frac_of_oi") if long_frac is None else long_frac,
            SHORT: self.v("short_frac_of_oi") if short_frac is None else short_frac,
        }
        out: dict[tuple[int, int], SideSpec] = {}
        for i, a in enumerate(self.asset_names):
            for side, key in ((LONG, "long"), (SHORT, "short")):
                p = {k: float(self.params[f"{key}.{k}"].value) for k in SIDE_KEYS}
                out[(i, side)] = SideSpec(
                    notional_usd=oi * self.av(a, "oi_share") * fr[side],
                    leverage_median=p["leverage_median"],
                    leverage_log_sd=p["leverage_log_sd"],
                    leverage_min=p["leverage_min"],
                    leverage_max=self.av(a, "leverage_max"),
                    entry_log_mean=p["entry_log_mean"],
                    entry_log_sd=p["entry_log_sd"],
                    size_log_sd=p["size_log_sd"],
                )
        return out

    def population(
        self,
        *,
        n_per_side: int | None = None,
        seed: int | None = None,
        long_frac: float | None = None,
        short_frac: float | None = None,
    ) -> tuple[Population, int]:
        """Draw the parametric population (seeded); returns it and the dropped count."""
        return generate_population(
            self.side_specs(long_frac, short_frac),
            self.maintenance_margin(),
            self.n_per_side if n_per_side is None else n_per_side,
            self.seed if seed is None else seed,
        )

    def korean_slice(
        self, *, usdkrw: float | None = None, premium: float | None = None
    ) -> KoreanSlice:
        """The Korean holder slice, optionally with another FX rate or kimchi premium."""
        kp = self.korea_params
        total = float(kp["holdings_krw"].value)
        w = np.array([float(self.korea_weights[a].value) for a in self.asset_names])
        lev = np.asarray(kp["lending.leverage"].value, dtype=np.float64)
        bw = np.asarray(kp["lending.bucket_weights"].value, dtype=np.float64)
        borrowed = float(kp["lending.borrowed_krw"].value)
        # a bucket with leverage L borrows (L − 1)·equity
        with np.errstate(divide="ignore"):
            equity = np.where(lev > 1, borrowed * bw / np.maximum(lev - 1.0, 1e-12), 0.0)
        return KoreanSlice(
            holdings_krw=total * w,
            lending_equity_krw=equity,
            lending_leverage=lev,
            lending_weights=w,
            lending_liquidation_margin_frac=float(kp["lending.liquidation_margin_frac"].value),
            usdkrw=float(kp["usdkrw"].value) if usdkrw is None else usdkrw,
            kimchi_premium_frac=float(kp["kimchi_premium_frac"].value)
            if premium is None
            else premium,
        )


def crypto_config_from_dict(data: Any, src: str = "crypto config") -> CryptoConfig:
    """Validate a parsed config document (one-line errors naming the field)."""
    top = _mapping(src, "the top level", data)
    _unknown(src, "", top, TOP_KEYS)
    for k in ("population", "market", "assets", "korea"):
        if k not in top:
            raise GaemiInputError(f"{src}: {k} is missing")
    params: dict[str, Param] = {}
    pop = _mapping(src, "population", top["population"])
    _unknown(src, "population.", pop, POP_KEYS)
    for k in ("open_interest_usd", "long_frac_of_oi", "short_frac_of_oi"):
        if k not in pop:
            raise GaemiInputError(f"{src}: population.{k} is missing")
        params[k] = _param(src, f"population.{k}", pop[k])
    for side in ("long", "short"):
        sd = _mapping(src, f"population.{side}", pop.get(side))
        _unknown(src, f"population.{side}.", sd, frozenset(SIDE_KEYS))
        for k in SIDE_KEYS:
            if k not in sd:
                raise GaemiInputError(f"{src}: population.{side}.{k} is missing")
            params[f"{side}.{k}"] = _param(src, f"population.{side}.{k}", sd[k])
    seed = int(_num(src, "population.seed", pop.get("seed", 0)))
    n_per_side = int(_num(src, "population.n_per_side", pop.get("n_per_side", 10000)))
    if not 1 <= n_per_side <= 5_000_000:
        raise GaemiInputError(
            f"{src}: population.n_per_side = {n_per_side} must be in [1, 5000000]"
        )
    mk = _mapping(src, "market", top["market"])
    _unknown(src, "market.", mk, frozenset(MARKET_KEYS))
    for k in MARKET_KEYS:
        if k not in mk:
            raise GaemiInputError(f"{src}: market.{k} is missing")
        params[k] = _param(src, f"market.{k}", mk[k])
    if not 0 < params["depth_floor_frac"].value <= 1:
        raise GaemiInputError(f"{src}: market.depth_floor_frac.value must be in (0, 1]")
    assets = _mapping(src, "assets", top["assets"])
    if not assets:
        raise GaemiInputError(f"{src}: assets is empty")
    names = tuple(str(a) for a in assets)
    if names[0].upper() != "BTC":
        raise GaemiInputError(f"{src}: the first asset must be BTC (the anchor), got {names[0]!r}")
    asset_params: dict[str, dict[str, Param]] = {}
    prices: dict[str, float] = {}
    share_sum = 0.0
    for a in names:
        ad = _mapping(src, f"assets.{a}", assets[a])
        _unknown(src, f"assets.{a}.", ad, ASSET_KEYS)
        asset_params[a] = {}
        for k in ASSET_PARAMS:
            if k not in ad:
                raise GaemiInputError(f"{src}: assets.{a}.{k} is missing")
            asset_params[a][k] = _param(src, f"assets.{a}.{k}", ad[k])
        if "price_usd" in ad:
            p = _num(src, f"assets.{a}.price_usd", ad["price_usd"])
            if p <= 0:
                raise GaemiInputError(f"{src}: assets.{a}.price_usd = {p:g} must be > 0")
            prices[a] = p
        mm = asset_params[a]["maintenance_margin_frac"].value
        lmax = asset_params[a]["leverage_max"].value
        if mm * lmax >= 1:
            raise GaemiInputError(
                f"{src}: assets.{a}: maintenance_margin_frac {mm:g} x leverage_max {lmax:g} "
                "must be < 1 (the liquidation price would be beyond the entry)"
            )
        share_sum += asset_params[a]["oi_share"].value
    if abs(share_sum - 1.0) > 1e-6:
        raise GaemiInputError(f"{src}: assets.*.oi_share sum to {share_sum:g}, not 1")
    ko = _mapping(src, "korea", top["korea"])
    _unknown(src, "korea.", ko, KOREA_KEYS)
    kp: dict[str, Param] = {}
    for k in ("usdkrw", "kimchi_premium_frac", "premium_signal_hot_frac", "holdings_krw"):
        if k not in ko:
            raise GaemiInputError(f"{src}: korea.{k} is missing")
        kp[k] = _param(src, f"korea.{k}", ko[k])
    lend = _mapping(src, "korea.lending", ko.get("lending"))
    _unknown(src, "korea.lending.", lend, LENDING_KEYS)
    for k in sorted(LENDING_KEYS):
        if k not in lend:
            raise GaemiInputError(f"{src}: korea.lending.{k} is missing")
        kp[f"lending.{k}"] = _param(
            src, f"korea.lending.{k}", lend[k], vector=k in ("leverage", "bucket_weights")
        )
    if len(kp["lending.leverage"].value) != len(kp["lending.bucket_weights"].value):
        raise GaemiInputError(
            f"{src}: korea.lending.leverage and bucket_weights must have the same length"
        )
    if abs(sum(kp["lending.bucket_weights"].value) - 1.0) > 1e-6:
        raise GaemiInputError(f"{src}: korea.lending.bucket_weights must sum to 1")
    wts = _mapping(src, "korea.weights", ko.get("weights"))
    _unknown(src, "korea.weights.", wts, frozenset(names))
    kw: dict[str, Param] = {}
    for a in names:
        if a not in wts:
            raise GaemiInputError(f"{src}: korea.weights.{a} is missing")
        kw[a] = _param(src, f"korea.weights.{a}", wts[a])
    wsum = sum(p.value for p in kw.values())
    if abs(wsum - 1.0) > 1e-6:
        raise GaemiInputError(f"{src}: korea.weights sum to {wsum:g}, not 1")
    cal: dict[str, Param] = {}
    if top.get("calibration") is not None:
        cd = _mapping(src, "calibration", top["calibration"])
        for k, v in cd.items():
            cal[str(k)] = _param(src, f"calibration.{k}", v)
    if share_sum <= 0 or asset_params[names[0]]["oi_share"].value <= 0:
        raise GaemiInputError(f"{src}: assets.{names[0]}.oi_share must be > 0")
    return CryptoConfig(
        name=str(top.get("name", src)),
        as_of=str(top.get("as_of", "")),
        source=str(top.get("source", "")),
        asset_names=names,
        price_usd=prices,
        params=params,
        asset_params=asset_params,
        korea_params=kp,
        korea_weights=kw,
        calibration=cal,
        seed=seed,
        n_per_side=n_per_side,
        src=src,
        notes=str(top.get("notes", "")),
    )


def default_config_path() -> Path:
    """Path of the embedded default config (package data)."""
    return Path(str(resources.files("gaemi.data.defaults").joinpath(DEFAULT_RESOURCE)))


def load_crypto_config(path: str | Path | None = None) -> CryptoConfig:
    """Read and validate a crypto config YAML (the embedded default when ``path`` is None)."""
    from gaemi.data.yamlio import read_yaml

    p = default_config_path() if path is None else Path(path)
    return crypto_config_from_dict(read_yaml(p, "crypto config"), p.name)


# ------------------------------------------------------------------ population files
def _rows(p: Path) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; Parquet rows are numbered from 1.

    CSV: UTF-8 with or without a byte-order mark; other encodings are refused in one line
    (:func:`~gaemi.data.yamlio.decode_text`)."""
    if p.suffix.lower() in (".parquet", ".pq"):
        import pandas as pd

        try:
            df = pd.read_parquet(p)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise GaemiInputError(f"{p.name}: cannot read Parquet ({type(exc).__name__})") from None
        return [
            (i + 1, {str(k): v for k, v in r.items()}) for i, r in enumerate(df.to_dict("records"))
        ]
    import io

    from gaemi.data.yamlio import decode_text

    text = decode_text(p.read_bytes(), p.name)
    if "\x00" in text:
        raise GaemiInputError(f"{p.name}: the file holds NUL bytes (binary, not a CSV)")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if reader.fieldnames is None:
            raise GaemiInputError(f"{p.name}: the file is empty")
        reader.fieldnames = [f.strip() for f in reader.fieldnames]
        out: list[tuple[int, dict[str, str]]] = []
        for r in reader:
            line = reader.line_num
            if None in r:
                raise GaemiInputError(
                    f"{p.name} line {line}: more fields than the header's {len(reader.fieldnames)}"
                )
            out.append((line, dict(r)))
    except csv.Error as exc:
        line = reader.line_num
        raise GaemiInputError(f"{p.name} line {line}: not readable CSV ({exc})") from None
    return out


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


#: Bounds of a population row (sanity limits, not market facts): leverage up to 1000x (the
#: highest any venue offers is ~1001x; Binance caps at 125x), one position at most the
#: upper end of :data:`OPEN_INTEREST_RANGE_USD`, an entry within 1/1000 to 1000x today.
POP_MAX_LEVERAGE = 1000.0
POP_MAX_SIZE_USD = 5.0e12
POP_ENTRY_FRAC_RANGE = (1e-3, 1e3)


def load_population(
    path: str | Path, config: CryptoConfig, *, max_bytes: int | None = None
) -> Population:
    """Read a population file (CSV or Parquet), validating every row.

    Errors name the file, the line (CSV, header = line 1) or row (Parquet) and the field,
    e.g. ``pop.csv line 4: leverage = 0 must be > 0``. The file is refused before reading
    when above ``max_bytes`` (default 256 MiB, or ``$GAEMI_MAX_INPUT_MB``); values beyond
    :data:`POP_MAX_LEVERAGE`, :data:`POP_MAX_SIZE_USD` or :data:`POP_ENTRY_FRAC_RANGE` are
    refused (they would overflow the cascade's sums).
    """
    from gaemi.data.yamlio import check_input_file

    p = check_input_file(path, "population file", max_bytes=max_bytes)
    rows = _rows(p)
    if not rows:
        raise GaemiInputError(f"{p.name}: no positions")
    cols = set(rows[0][1])
    missing = [c for c in POP_REQUIRED if c not in cols]
    if missing:
        raise GaemiInputError(f"{p.name}: missing column {missing[0]!r}")
    if "entry_price_usd" not in cols and "entry_frac" not in cols:
        raise GaemiInputError(f"{p.name}: give an entry_price_usd or an entry_frac column")
    unknown = sorted(cols - set(POP_REQUIRED) - set(POP_OPTIONAL))
    if unknown:
        raise GaemiInputError(f"{p.name}: unknown column {unknown[0]!r}")
    upper = {a.upper(): i for i, a in enumerate(config.asset_names)}
    mm_default = config.maintenance_margin()
    n = len(rows)
    asset = np.empty(n, dtype=np.int64)
    side = np.empty(n, dtype=np.int64)
    lev = np.empty(n)
    entry = np.empty(n)
    size = np.empty(n)
    mm = np.empty(n)
    for j, (line, r) in enumerate(rows):
        where = f"{p.name} line {line}"

        def num(col: str, row: dict[str, Any] = r, w: str = where) -> float:
            v = row.get(col)
            if _blank(v):
                raise GaemiInputError(f"{w}: {col} is empty")
            return _num(w, col, v)

        a = str(r.get("asset", "")).strip().upper()
        if a not in upper:
            raise GaemiInputError(
                f"{where}: asset = {r.get('asset')!r} is not in the config "
                f"({', '.join(config.asset_names)})"
            )
        asset[j] = upper[a]
        sd = str(r.get("side", "")).strip().lower()
        if sd not in ("long", "short"):
            raise GaemiInputError(f"{where}: side = {r.get('side')!r} must be long or short")
        side[j] = LONG if sd == "long" else SHORT
        lev[j] = num("leverage")
        if lev[j] <= 0:
            raise GaemiInputError(f"{where}: leverage = {lev[j]:g} must be > 0")
        if lev[j] > POP_MAX_LEVERAGE:
            raise GaemiInputError(
                f"{where}: leverage = {lev[j]:g} is above the {POP_MAX_LEVERAGE:g}x limit"
            )
        size[j] = num("size_usd")
        if size[j] < 0:
            raise GaemiInputError(f"{where}: size_usd = {size[j]:g} must be >= 0")
        if size[j] > POP_MAX_SIZE_USD:
            raise GaemiInputError(
                f"{where}: size_usd = {size[j]:g} is above the {POP_MAX_SIZE_USD:g} limit "
                "(the largest open interest accepted)"
            )
        name = config.asset_names[asset[j]]
        if not _blank(r.get("entry_frac")):
            entry[j] = num("entry_frac")
            price = config.price_usd.get(name)
        else:
            price = config.price_usd.get(name)
            if price is None:
                raise GaemiInputError(
                    f"{where}: entry_price_usd needs assets.{name}.price_usd in the config "
                    "(or give entry_frac)"
                )
            entry[j] = num("entry_price_usd") / price
        entry_col = "entry_frac" if not _blank(r.get("entry_frac")) else "entry_price_usd"
        if entry[j] <= 0:
            raise GaemiInputError(
                f"{where}: {entry_col} = {r.get(entry_col)!r} must be > 0 (entry price)"
            )
        lo, hi = POP_ENTRY_FRAC_RANGE
        if not lo <= entry[j] <= hi:
            raise GaemiInputError(
                f"{where}: {entry_col} = {r.get(entry_col)!r} puts the entry at {entry[j]:.3g}x "
                f"today's price, outside [{lo:g}, {hi:g}]"
            )
        mm[j] = (
            float(mm_default[asset[j]])
            if _blank(r.get("maintenance_margin_frac"))
            else num("maintenance_margin_frac")
        )
        if not 0 <= mm[j] < 1:
            raise GaemiInputError(f"{where}: maintenance_margin_frac = {mm[j]:g} must be in [0, 1)")
        liq_frac = entry[j] * (1.0 - side[j] * (1.0 / lev[j] - mm[j]))
        if mm[j] * lev[j] >= 1.0:
            kind = "above" if side[j] == LONG else "below"
            raise GaemiInputError(
                f"{where}: liquidation {kind} entry for a {sd} (maintenance_margin_frac "
                f"{mm[j]:g} x leverage {lev[j]:g} >= 1)"
            )
        if not _blank(r.get("liquidation_price_usd")):
            liq = num("liquidation_price_usd")
            e_usd = entry[j] * price if price is not None else None
            if e_usd is not None and side[j] == LONG and liq >= e_usd:
                raise GaemiInputError(
                    f"{where}: liquidation_price_usd = {liq:g} is above the entry "
                    f"{e_usd:g} for a long"
                )
            if e_usd is not None and side[j] == SHORT and liq <= e_usd:
                raise GaemiInputError(
                    f"{where}: liquidation_price_usd = {liq:g} is below the entry "
                    f"{e_usd:g} for a short"
                )
            if price is not None and not math.isclose(liq / price, liq_frac, rel_tol=1e-3):
                raise GaemiInputError(
                    f"{where}: liquidation_price_usd = {liq:g} disagrees with entry, leverage "
                    f"and maintenance margin ({liq_frac * price:.6g})"
                )
    return Population(asset, side, lev, entry, size, mm)


# ------------------------------------------------------------------ dated positioning
#: Open interest outside this is not a market (USD, all coins): above the whole crypto
#: market's value (~$4T at its 2025 peak) or below a single mid-size venue.
OPEN_INTEREST_RANGE_USD = (1.0e8, 5.0e12)
#: The calibrated default's all-coin open interest (FACTS.md f); depths scale from it.
DEFAULT_OPEN_INTEREST_USD = 217.0e9


@dataclass(frozen=True)
class Positioning:
    """Leveraged-derivatives positioning on a date: the dated input of the cascade.

    Attributes
    ----------
    date : str
        ISO date the positioning describes (the day before the shock).
    open_interest_usd : float
        All-coin open interest, USD, within :data:`OPEN_INTEREST_RANGE_USD`.
    leveraged_frac_of_oi : float or None
        Share of open interest held as leveraged directional positions a liquidation engine
        can close (long + short); None keeps the config's.
    long_share_frac : float or None
        Long share of that leveraged notional, in (0, 1); None keeps the config's.
    funding_rate_frac : float or None
        Funding per 8 h before the date (fraction; 1e-4 = the 0.01 % baseline). Reported
        with the positioning; the cascade does not use it.
    long_leverage_median, short_leverage_median : float or None
        Median leverage of each side (the leverage mix); None keeps the config's.
    entry_age_days : float or None
        Mean age of positions, days: with a price path, entries are drawn from it.
    sources : dict
        Field → where its value comes from; values that are assumptions say so.
    """

    date: str
    open_interest_usd: float
    leveraged_frac_of_oi: float | None = None
    long_share_frac: float | None = None
    funding_rate_frac: float | None = None
    long_leverage_median: float | None = None
    short_leverage_median: float | None = None
    entry_age_days: float | None = None
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lo, hi = OPEN_INTEREST_RANGE_USD
        oi = self.open_interest_usd
        if not (isinstance(oi, int | float) and math.isfinite(oi) and lo <= oi <= hi):
            raise GaemiInputError(
                f"open_interest_usd = {oi!r} must be between ${lo:.0e} and ${hi:.0e} "
                "(all-coin open interest)"
            )
        checks: tuple[tuple[str, float | None, float, float], ...] = (
            ("leveraged_frac_of_oi", self.leveraged_frac_of_oi, 0.0, 1.0),
            ("long_share_frac", self.long_share_frac, 0.0, 1.0),
            ("funding_rate_frac", self.funding_rate_frac, -0.1, 0.1),
            ("long_leverage_median", self.long_leverage_median, 1.0, 125.0),
            ("short_leverage_median", self.short_leverage_median, 1.0, 125.0),
            ("entry_age_days", self.entry_age_days, 0.0, 365.0),
        )
        for name, v, a, b in checks:
            if v is None:
                continue
            if not (math.isfinite(v) and a <= v <= b) or (
                name in ("long_share_frac", "entry_age_days") and v in (a, b)
            ):
                lo_b, hi_b = (
                    ("(", ")") if name in ("long_share_frac", "entry_age_days") else ("[", "]")
                )
                raise GaemiInputError(
                    f"positioning {self.date}: {name} = {v!r} is outside {lo_b}{a:g}, {b:g}{hi_b}"
                )


def _with_value(p: Param, value: float, source: str) -> Param:
    """A copy of a parameter with a new value (its range widened to hold it) and source."""
    lo, hi = p.range
    return Param(value, source, (min(lo, value), max(hi, value)), p.as_of)


def with_positioning(cfg: CryptoConfig, pos: Positioning) -> CryptoConfig:
    """The config with a dated positioning in place of its own (depth scales with OI).

    Book depth is proportional to open interest (the default's assumption), so the BTC depth
    is multiplied by ``pos.open_interest_usd / cfg``'s open interest.
    """
    import dataclasses

    params = dict(cfg.params)
    src = f"positioning {pos.date}"
    old_oi = cfg.v("open_interest_usd")
    params["open_interest_usd"] = _with_value(
        params["open_interest_usd"],
        pos.open_interest_usd,
        pos.sources.get("open_interest_usd", src),
    )
    kappa = (
        cfg.v("long_frac_of_oi") + cfg.v("short_frac_of_oi")
        if pos.leveraged_frac_of_oi is None
        else pos.leveraged_frac_of_oi
    )
    share = (
        cfg.v("long_frac_of_oi") / (cfg.v("long_frac_of_oi") + cfg.v("short_frac_of_oi"))
        if pos.long_share_frac is None
        else pos.long_share_frac
    )
    params["long_frac_of_oi"] = _with_value(params["long_frac_of_oi"], kappa * share, src)
    params["short_frac_of_oi"] = _with_value(params["short_frac_of_oi"], kappa * (1 - share), src)
    if pos.long_leverage_median is not None:
        params["long.leverage_median"] = _with_value(
            params["long.leverage_median"], pos.long_leverage_median, src
        )
    if pos.short_leverage_median is not None:
        params["short.leverage_median"] = _with_value(
            params["short.leverage_median"], pos.short_leverage_median, src
        )
    depth = cfg.v("btc_depth_usd_per_pct") * pos.open_interest_usd / old_oi
    params["btc_depth_usd_per_pct"] = _with_value(
        params["btc_depth_usd_per_pct"], depth, f"{src}: scaled with open interest"
    )
    return dataclasses.replace(
        cfg, name=f"{cfg.name} with positioning of {pos.date}", as_of=pos.date, params=params
    )


# ------------------------------------------------------------------ event history
BINANCE_DIR = "crypto-derivatives/binance-spot-daily"
COINALYZE_DIR = "crypto-derivatives/coinalyze-btc-perp-2022-2024"
EVENTS_RESOURCE = "crypto_events.yaml"
#: Days of price path before an event from which entries are drawn.
PATH_DAYS = 60


def read_binance_daily(shared_dir: str | Path, coin: str) -> Any:
    """Binance spot daily candles of ``coin`` (BTC or ETH), both shared files merged.

    Returns a DataFrame indexed by UTC day with ``open, high, low, close`` (USD).
    """
    import pandas as pd

    d = Path(shared_dir) / BINANCE_DIR
    old = d / f"{coin}USDT_1d.csv"
    new = d / f"{coin}USDT_1d_2024-2026.csv"
    if not old.is_file():
        raise GaemiInputError(f"price file {str(old)!r} does not exist")
    a = pd.read_csv(old)
    a.index = pd.to_datetime(a["timestamp"])
    a = a[["open", "high", "low", "close"]]
    if new.is_file():
        b = pd.read_csv(new)
        b.index = pd.to_datetime(b["open_time"].str[:10])
        b = b[["open", "high", "low", "close"]]
        a = pd.concat([a, b[~b.index.isin(a.index)]])
    a = a.sort_index().astype(float)
    if (a <= 0).any().any():
        raise GaemiInputError(f"{old.name}: a price is <= 0")
    return a


@dataclass(frozen=True, eq=False)
class EventPath:
    """Observed prices of an event window per config asset, relative to the open before it.

    ``path_low_frac``/``path_high_frac`` (A, K): the K days before the window (oldest
    first). ``low_frac``/``high_frac``/``close_frac`` (A,): the window's lowest low, highest
    high and last close. Assets other than BTC take ETH's path (the only altcoin with daily
    candles for every event in ../shared/data; a proxy).
    """

    start: str
    end: str
    open_usd: dict[str, float]
    low_frac: np.ndarray[Any, np.dtype[np.float64]]
    high_frac: np.ndarray[Any, np.dtype[np.float64]]
    close_frac: np.ndarray[Any, np.dtype[np.float64]]
    path_low_frac: np.ndarray[Any, np.dtype[np.float64]]
    path_high_frac: np.ndarray[Any, np.dtype[np.float64]]


def event_path(
    shared_dir: str | Path,
    start: str,
    end: str,
    asset_names: tuple[str, ...],
    *,
    days: int = PATH_DAYS,
    prices: dict[str, Any] | None = None,
) -> EventPath:
    """The price path of an event window from the Binance daily files."""
    import pandas as pd

    px = prices if prices is not None else {}
    rows: dict[str, tuple[float, float, float, float, Any, Any]] = {}
    for coin in ("BTC", "ETH"):
        if coin not in px:
            px[coin] = read_binance_daily(shared_dir, coin)
        df = px[coin]
        t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
        if t0 not in df.index or t1 not in df.index:
            raise GaemiInputError(f"event window {start}..{end}: no {coin} candle in the files")
        i0 = int(df.index.get_loc(t0))
        i1 = int(df.index.get_loc(t1))
        if i0 < days:
            raise GaemiInputError(f"event {start}: fewer than {days} {coin} days before it")
        p0 = float(df["open"].iloc[i0])
        win = df.iloc[i0 : i1 + 1]
        hist = df.iloc[i0 - days : i0]
        rows[coin] = (
            p0,
            float(win["low"].min()) / p0,
            float(win["high"].max()) / p0,
            float(win["close"].iloc[-1]) / p0,
            hist["low"].to_numpy() / p0,
            hist["high"].to_numpy() / p0,
        )
    pick = [rows["BTC"] if a.upper() == "BTC" else rows["ETH"] for a in asset_names]
    return EventPath(
        start=start,
        end=end,
        open_usd={"BTC": rows["BTC"][0], "ETH": rows["ETH"][0]},
        low_frac=np.array([r[1] for r in pick]),
        high_frac=np.array([r[2] for r in pick]),
        close_frac=np.array([r[3] for r in pick]),
        path_low_frac=np.array([r[4] for r in pick]),
        path_high_frac=np.array([r[5] for r in pick]),
    )


@dataclass(frozen=True)
class CryptoEvent:
    """A liquidation event of FACTS.md (i): what was reported and the positioning before it."""

    id: str
    start: str
    end: str
    reported_total_usd: Param
    reported_long_share: Param | None
    btc_open_interest_usd: Param | None
    btc_open_interest_assumption: bool
    data: str  # "" or "coinalyze"


@dataclass(frozen=True)
class CryptoEvents:
    """The event table and its global assumptions (``crypto_events.yaml``)."""

    events: tuple[CryptoEvent, ...]
    assumptions: dict[str, Param]
    regime_split: str = ""
    regime_source: str = ""


def load_crypto_events(path: str | Path | None = None) -> CryptoEvents:
    """Read and validate the event table (the embedded one when ``path`` is None)."""
    from gaemi.data.yamlio import read_yaml

    p = (
        Path(str(resources.files("gaemi.data.defaults").joinpath(EVENTS_RESOURCE)))
        if path is None
        else Path(path)
    )
    src = p.name
    top = _mapping(src, "the top level", read_yaml(p, "crypto events"))
    _unknown(
        src, "", top, frozenset({"as_of", "source", "assumptions", "leverage_cap_cut", "events"})
    )
    cut = _mapping(src, "leverage_cap_cut", top.get("leverage_cap_cut", {"date": ""}))
    split = str(cut.get("date", "") or "")
    if split:
        try:
            dt.date.fromisoformat(split)
        except ValueError:
            raise GaemiInputError(
                f"{src}: leverage_cap_cut.date = {split!r} is not an ISO date"
            ) from None
    am = _mapping(src, "assumptions", top.get("assumptions"))
    need = ("btc_share_of_open_interest", "coinalyze_coverage", "long_share_of_leveraged_oi")
    _unknown(src, "assumptions.", am, frozenset(need))
    assumptions = {}
    for k in need:
        if k not in am:
            raise GaemiInputError(f"{src}: assumptions.{k} is missing")
        assumptions[k] = _param(src, f"assumptions.{k}", am[k])
    raw = top.get("events")
    if not isinstance(raw, list) or not raw:
        raise GaemiInputError(f"{src}: events must be a non-empty list")
    keys = frozenset(
        {
            "id",
            "window",
            "reported_total_usd",
            "reported_long_share",
            "btc_open_interest_usd",
            "data",
        }
    )
    out: list[CryptoEvent] = []
    seen: set[str] = set()
    for j, e in enumerate(raw):
        ev = _mapping(src, f"events[{j}]", e)
        _unknown(src, f"events[{j}].", ev, keys)
        eid = str(ev.get("id", "")).strip()
        where = f"events[{j}] ({eid})"
        if not eid or eid in seen:
            raise GaemiInputError(f"{src}: {where}: id must be present and unique")
        seen.add(eid)
        win = ev.get("window")
        if not isinstance(win, list) or len(win) != 2:
            raise GaemiInputError(f"{src}: {where}.window = {win!r} must be [start, end]")
        try:
            d0, d1 = (dt.date.fromisoformat(str(x)) for x in win)
        except ValueError:
            raise GaemiInputError(f"{src}: {where}.window = {win!r} must be ISO dates") from None
        if d1 < d0:
            raise GaemiInputError(f"{src}: {where}.window ends before it starts")
        total = _param(src, f"{where}.reported_total_usd", ev.get("reported_total_usd"))
        share = (
            None
            if ev.get("reported_long_share") is None
            else _param(
                src,
                f"{where}.reported_long_share",
                {**ev["reported_long_share"], "range": [0.0, 1.0]},
            )
        )
        data = str(ev.get("data", "") or "")
        if data not in ("", "coinalyze"):
            raise GaemiInputError(f"{src}: {where}.data = {data!r} must be coinalyze or absent")
        oi_raw = ev.get("btc_open_interest_usd")
        if data == "" and oi_raw is None:
            raise GaemiInputError(f"{src}: {where}: give btc_open_interest_usd or data: coinalyze")
        oi = None
        assumed = False
        if oi_raw is not None:
            om = dict(_mapping(src, f"{where}.btc_open_interest_usd", oi_raw))
            assumed = bool(om.pop("assumption", False))
            om.setdefault("range", list(OPEN_INTEREST_RANGE_USD))
            oi = _param(src, f"{where}.btc_open_interest_usd", om)
        out.append(
            CryptoEvent(
                id=eid,
                start=d0.isoformat(),
                end=d1.isoformat(),
                reported_total_usd=total,
                reported_long_share=share,
                btc_open_interest_usd=oi,
                btc_open_interest_assumption=assumed,
                data=data,
            )
        )
    return CryptoEvents(tuple(out), assumptions, split, str(cut.get("source", "")))


def coinalyze_positioning(shared_dir: str | Path, day: str, events: CryptoEvents) -> Positioning:
    """Positioning before ``day`` from the Coinalyze daily files (2022-01-03..2024-09-20).

    Open interest: the previous UTC day's BTC-perp open interest (sum over markets) × the
    coverage ratio to all BTC futures venues ÷ BTC's share of all-coin open interest (both
    assumptions of ``crypto_events.yaml``, with their sources). Funding: the previous day's
    open-interest-weighted funding per 8 h.
    """
    import pandas as pd

    tab = _coinalyze_table(shared_dir)
    prev = pd.Timestamp(day) - pd.Timedelta(days=1)
    if prev not in tab.index:
        first, last = tab.index.min().date(), tab.index.max().date()
        raise GaemiInputError(
            f"date = {day}: the Coinalyze file covers {first}..{last} (the day before is "
            "needed); give the open interest yourself"
        )
    perp_oi = float(np.asarray(tab["open_interest_usd"])[tab.index.get_loc(prev)])
    funding = float(np.asarray(tab["funding_rate_frac"])[tab.index.get_loc(prev)])
    cov = events.assumptions["coinalyze_coverage"]
    share = events.assumptions["btc_share_of_open_interest"]
    btc_oi = perp_oi * float(cov.value)
    return Positioning(
        date=day,
        open_interest_usd=btc_oi / float(share.value),
        funding_rate_frac=None if math.isnan(funding) else funding,
        sources={
            "open_interest_usd": (
                f"Coinalyze BTC-perp OI on {prev.date()} {format_usd(perp_oi)}"
                f" x coverage {float(cov.value):g} (assumption: {cov.source.split(';')[0]}) / "
                f"BTC share {float(share.value):g} (assumption)"
            ),
            "funding_rate_frac": f"Coinalyze, OI-weighted, {prev.date()}",
        },
    )


_coinalyze_cache: dict[str, Any] = {}


def _coinalyze_table(shared_dir: str | Path) -> Any:
    """The Coinalyze daily totals indexed by day (read once per folder)."""
    from gaemi.data.importers.coinalyze import daily_totals

    folder = Path(shared_dir) / COINALYZE_DIR
    tab = _coinalyze_cache.get(str(folder))
    if tab is None:
        tab = daily_totals(folder).set_index("date")
        _coinalyze_cache[str(folder)] = tab
    return tab


def event_positioning(
    event: CryptoEvent, events: CryptoEvents, shared_dir: str | Path | None
) -> Positioning:
    """Positioning before an event: Coinalyze when flagged, else its FACTS.md figure."""
    if event.data == "coinalyze":
        if shared_dir is None:
            raise GaemiInputError(f"event {event.id}: its positioning needs the Coinalyze files")
        return coinalyze_positioning(shared_dir, event.start, events)
    assert event.btc_open_interest_usd is not None  # checked when loading
    share = events.assumptions["btc_share_of_open_interest"]
    oi = event.btc_open_interest_usd
    flag = "assumption: " if event.btc_open_interest_assumption else ""
    return Positioning(
        date=event.start,
        open_interest_usd=float(oi.value) / float(share.value),
        sources={
            "open_interest_usd": (
                f"BTC OI {format_usd(float(oi.value))} ({flag}{oi.source.strip()}) / BTC share "
                f"{float(share.value):g} (assumption)"
            )
        },
    )


def _iso_day(day: str | dt.date) -> str:
    """``day`` as an ISO date string, or a one-line error naming it."""
    d = day.isoformat() if isinstance(day, dt.date) else str(day)
    try:
        dt.date.fromisoformat(d)
    except ValueError:
        # the words of gaemi.app.state.parse_day (the app layer's date rule)
        raise GaemiInputError(f"date = {d!r} is not a YYYY-MM-DD date") from None
    return d


def positioning_for_date(
    day: str | dt.date,
    *,
    shared_dir: str | Path | None = None,
    events: CryptoEvents | None = None,
) -> Positioning:
    """Estimated positioning before ``day``: a FACTS.md event, else the Coinalyze files.

    Raises a one-line :class:`GaemiInputError` when neither covers the date (then give the
    open interest and the rest yourself, :class:`Positioning`).
    """
    d = _iso_day(day)
    evs = events if events is not None else load_crypto_events()
    for e in evs.events:
        if e.start == d and e.data != "coinalyze":
            return event_positioning(e, evs, shared_dir)
    if shared_dir is not None and (Path(shared_dir) / COINALYZE_DIR).is_dir():
        return coinalyze_positioning(shared_dir, d, evs)
    raise GaemiInputError(
        f"date = {d}: no positioning on file (FACTS.md events: "
        f"{', '.join(e.id for e in evs.events if e.data != 'coinalyze')}; Coinalyze "
        "2022-01-03..2024-09-20 needs the shared data folder); give the open interest yourself"
    )


def positioning_on_file(
    day: str | dt.date,
    *,
    shared_dir: str | Path | None = None,
    events: CryptoEvents | None = None,
) -> Positioning | None:
    """:func:`positioning_for_date` when something on file covers ``day``, else None.

    None only when neither a FACTS.md event starting that day nor the Coinalyze files
    (the day before in them) cover it; a date that is not ISO, or an unreadable file,
    still raises its one-line error.
    """
    import pandas as pd

    d = _iso_day(day)
    evs = events if events is not None else load_crypto_events()
    if any(e.start == d and e.data != "coinalyze" for e in evs.events):
        return positioning_for_date(d, shared_dir=shared_dir, events=evs)
    if shared_dir is None or not (Path(shared_dir) / COINALYZE_DIR).is_dir():
        return None
    prev = pd.Timestamp(d) - pd.Timedelta(days=1)
    if prev not in _coinalyze_table(shared_dir).index:
        return None
    return coinalyze_positioning(shared_dir, d, evs)


# ------------------------------------------------------------------ event model
#: Mean position ages tried by the calibration, days.
ENTRY_AGE_GRID_DAYS = (3.0, 7.0, 15.0, 30.0)
#: Crash-short notional per liquidated long dollar tried by the calibration.
CRASH_SHORT_GRID = tuple(float(x) for x in np.round(np.arange(0.0, 3.0001, 0.01), 2))


@dataclass(frozen=True)
class EventUnits:
    """Liquidations of one event per unit of positioning (the model is linear in them).

    ``long_per_usd``: longs liquidated per dollar of leveraged long notional at the window's
    extremes; ``short_per_usd``: standing shorts per dollar of short notional;
    ``crash_short_per_usd``: shorts opened at the low and squeezed by the rebound to the
    window's close, per dollar of such shorts.
    """

    long_per_usd: float
    short_per_usd: float
    crash_short_per_usd: float


def crash_short_specs(
    cfg: CryptoConfig, notional_usd: float = 1.0
) -> dict[tuple[int, int], SideSpec]:
    """The shorts opened during a fall, priced around the day's low (entry log-mean 0).

    ``notional_usd`` × each asset's ``oi_share``; leverage median and log-sd and the entry
    log-sd from the calibration (``crash_short_*``), the minimum leverage and size spread
    of the standing shorts, each asset's ``leverage_max``.
    """
    cal = cfg.calibration
    return {
        (i, SHORT): SideSpec(
            notional_usd=notional_usd * cfg.av(a, "oi_share"),
            leverage_median=float(cal["crash_short_leverage_median"].value),
            leverage_log_sd=float(cal["crash_short_leverage_log_sd"].value),
            leverage_min=float(cfg.params["short.leverage_min"].value),
            leverage_max=cfg.av(a, "leverage_max"),
            entry_log_mean=0.0,
            entry_log_sd=float(cal["crash_short_entry_log_sd"].value),
            size_log_sd=float(cfg.params["short.size_log_sd"].value),
        )
        for i, a in enumerate(cfg.asset_names)
    }


def crash_short_population(
    cfg: CryptoConfig, notional_usd: float = 1.0, *, seed: int
) -> Population:
    """:func:`crash_short_specs` drawn with ``seed`` (``cfg.n_per_side`` a side)."""
    pop, _ = generate_population(
        crash_short_specs(cfg, notional_usd), cfg.maintenance_margin(), cfg.n_per_side, seed
    )
    return pop


def event_units(cfg: CryptoConfig, path: EventPath, entry_age_days: float) -> EventUnits:
    """Static ladder count at the observed extremes for unit notionals (seeded)."""
    from gaemi.core.crypto import generate_path_population, liquidations_at_extremes

    A = len(cfg.asset_names)
    specs_all = cfg.side_specs(long_frac=1.0, short_frac=1.0)
    oi = cfg.v("open_interest_usd")

    def unit(side: int) -> dict[tuple[int, int], SideSpec]:
        out = {}
        for (a, s), sp in specs_all.items():
            if s == side:
                out[(a, s)] = SideSpec(
                    notional_usd=sp.notional_usd / oi,
                    leverage_median=sp.leverage_median,
                    leverage_log_sd=sp.leverage_log_sd,
                    leverage_min=sp.leverage_min,
                    leverage_max=sp.leverage_max,
                    entry_log_mean=0.0,
                    entry_log_sd=0.0,
                    size_log_sd=sp.size_log_sd,
                )
        return out

    lo = np.log(path.low_frac)
    hi = np.log(path.high_frac)
    res = []
    for k, side in enumerate((LONG, SHORT)):
        pop, _ = generate_path_population(
            unit(side),
            cfg.maintenance_margin(),
            cfg.n_per_side,
            cfg.seed + k,
            path_low_frac=path.path_low_frac,
            path_high_frac=path.path_high_frac,
            entry_age_days=entry_age_days,
        )
        nl, ns = liquidations_at_extremes(pop, A, lo, hi)
        res.append(float(nl.sum()) if side == LONG else float(ns.sum()))
    # crash shorts: entered around the low (log-sd 3 %), 10x median; rebound = close / low
    crash = crash_short_population(cfg, seed=cfg.seed + 2)
    rebound = np.log(path.close_frac / path.low_frac)
    _, ns = liquidations_at_extremes(crash, A, np.zeros(A), rebound)
    return EventUnits(res[0], res[1], float(ns.sum()))


@dataclass(frozen=True)
class EventFit:
    """Parameters fitted across events (the rest of the positioning is per event).

    ``leveraged_frac_of_oi`` is the fraction for every date unless
    ``leveraged_frac_by_regime`` holds one for the date's leverage regime
    (:func:`leverage_regime`).
    """

    leveraged_frac_of_oi: float
    crash_short_per_long_usd: float
    entry_age_days: float
    events: tuple[str, ...]
    leveraged_frac_by_regime: tuple[tuple[str, float], ...] = ()
    regime_split: str = ""

    def kappa(self, day: str | None) -> float:
        """Leveraged fraction of open interest on ``day`` (its regime's, if fitted)."""
        if day is None or not self.regime_split:
            return self.leveraged_frac_of_oi
        return dict(self.leveraged_frac_by_regime).get(
            leverage_regime(day, self.regime_split), self.leveraged_frac_of_oi
        )


def leverage_regime(day: str, split: str) -> str:
    """``"high-cap"`` before ``split`` (exchanges offered 100-125x), else ``"20x-cap"``."""
    return "high-cap" if day < split else "20x-cap"


def event_prediction(
    units: EventUnits,
    open_interest_usd: float,
    long_share: float,
    fit: EventFit,
    day: str | None = None,
) -> tuple[float, float]:
    """Model total (USD) and long share of one event (``day`` picks the leverage regime)."""
    k = fit.kappa(day) * open_interest_usd
    lng = k * long_share * units.long_per_usd
    sht = k * (1 - long_share) * units.short_per_usd + fit.crash_short_per_long_usd * lng * (
        units.crash_short_per_usd
    )
    tot = lng + sht
    return tot, (lng / tot if tot > 0 else math.nan)


def fit_events(
    units: Mapping[tuple[str, float], EventUnits],
    oi: Mapping[str, float],
    events: Sequence[CryptoEvent],
    long_share: float,
    regime_split: str = "",
) -> EventFit:
    """Fit the leveraged fraction, the crash-short ratio and the entry age on ``events``.

    For each entry age of :data:`ENTRY_AGE_GRID_DAYS`: the crash-short ratio minimises the
    squared long-share error on the events with a reported split (the leveraged fraction
    cancels in the share); the leveraged fraction is then the geometric mean ratio of
    reported to modelled totals (least squares in logs) — one per leverage regime when
    ``regime_split`` is given (a regime with no event takes the pooled value). The entry
    age with the smallest log-total error wins.
    """
    best: tuple[float, EventFit] | None = None
    ids = tuple(e.id for e in events)
    for age in ENTRY_AGE_GRID_DAYS:
        c_best, c_err = 0.0, math.inf
        shared = [e for e in events if e.reported_long_share is not None]
        for c in CRASH_SHORT_GRID:
            f = EventFit(1.0, c, age, ids)
            err = 0.0
            for e in shared:
                assert e.reported_long_share is not None
                _, sh = event_prediction(units[(e.id, age)], oi[e.id], long_share, f)
                err += (sh - float(e.reported_long_share.value)) ** 2
            if err < c_err - 1e-15:
                c_best, c_err = c, err
        f1 = EventFit(1.0, c_best, age, ids)
        logs = np.array(
            [
                math.log(float(e.reported_total_usd.value))
                - math.log(event_prediction(units[(e.id, age)], oi[e.id], long_share, f1)[0])
                for e in events
            ]
        )
        pooled = float(np.mean(logs))
        by_regime: dict[str, float] = {}
        centre = np.full(len(events), pooled)
        if regime_split:
            reg = np.array([leverage_regime(e.start, regime_split) for e in events])
            for r in sorted(set(reg.tolist())):
                by_regime[r] = float(np.mean(logs[reg == r]))
                centre[reg == r] = by_regime[r]
        sse = float(np.sum((logs - centre) ** 2))
        fit = EventFit(
            math.exp(pooled),
            c_best,
            age,
            ids,
            tuple((r, math.exp(v)) for r, v in by_regime.items()),
            regime_split,
        )
        if best is None or sse < best[0]:
            best = (sse, fit)
    assert best is not None
    return best[1]


#: Leave-one-event-out targets (issue 18): total within x1.5, long share within 10 points.
LOO_TOTAL_FACTOR = 1.5
LOO_LONG_SHARE_PP = 10.0


def _event_inputs(
    shared_dir: str | Path, cfg: CryptoConfig, evs: CryptoEvents
) -> tuple[dict[str, EventPath], dict[str, Positioning], dict[tuple[str, float], EventUnits]]:
    """Price paths, dated positionings and unit liquidations of every event."""
    prices: dict[str, Any] = {}
    paths: dict[str, EventPath] = {}
    pos: dict[str, Positioning] = {}
    units: dict[tuple[str, float], EventUnits] = {}
    for e in evs.events:
        paths[e.id] = event_path(shared_dir, e.start, e.end, cfg.asset_names, prices=prices)
        pos[e.id] = event_positioning(e, evs, shared_dir)
        for age in ENTRY_AGE_GRID_DAYS:
            units[(e.id, age)] = event_units(cfg, paths[e.id], age)
    return paths, pos, units


def calibrate_crypto_events(
    shared_dir: str | Path,
    *,
    config: CryptoConfig | None = None,
    events: CryptoEvents | None = None,
    regimes: bool = True,
) -> EventFit:
    """Fit the event parameters on EVERY event of the table (in sample; the shipped fit).

    Use :func:`crypto_leave_one_out` to judge the model: this fit has seen every reported
    total. ``EventFit.kappa(date)`` is the leveraged fraction to give a :class:`Positioning`
    of that date.
    """
    cfg = config if config is not None else load_crypto_config()
    evs = events if events is not None else load_crypto_events()
    _, pos, units = _event_inputs(shared_dir, cfg, evs)
    oi = {k: p.open_interest_usd for k, p in pos.items()}
    long_share = float(evs.assumptions["long_share_of_leveraged_oi"].value)
    return fit_events(units, oi, evs.events, long_share, evs.regime_split if regimes else "")


def crypto_leave_one_out(
    shared_dir: str | Path,
    *,
    config: CryptoConfig | None = None,
    events: CryptoEvents | None = None,
    implied_shock: bool = False,
    regimes: bool = True,
    model: str = "density",
) -> Any:
    """Leave-one-event-out validation of the crypto cascade on FACTS.md (i) events.

    ``model="density"`` (the default, issue 18.3): the measured liquidation law
    (:func:`fit_event_law`, fitted on the Coinalyze BTC-perp days, event days left out)
    gives each event's long and short liquidations from its dated open interest and its
    observed price range and the 30-day run-up / drawdown before it; two numbers are fitted
    on the OTHER events: the scale from the law's BTC-perp-measured liquidations to the
    reported all-coin total (in logs: the median or a time-weighted mean, whichever an inner
    leave-one-out among the other events predicts best, :func:`gaemi.core.crypto.choose_estimator`)
    and a logit offset of the long share (all-coin against BTC-perp; mean or median, chosen
    the same way). Columns as below plus ``law_total_usd``, ``law_long_share``,
    ``fit_scale``, ``fit_scale_estimator``, ``fit_half_life_years`` (NaN for the median),
    ``fit_long_share_offset_logit``, ``fit_long_share_estimator``,
    ``law_fitted_on``, ``funding_prev_frac``, ``btc_high_move_frac``, ``btc_runup_30d_log``,
    ``btc_drawdown_30d_log``; ``implied_btc_shock_frac`` is always given (the observed low
    less the price impact of the modelled BTC long liquidations). ``model="ladder"``: the
    earlier population-ladder model below (``regimes`` and ``implied_shock`` apply to it).

    For each event: fit the leveraged fraction of open interest, the crash-short ratio and
    the mean position age on the *other* events (:func:`fit_events`), then predict the
    held-out event's total and long share from its own dated positioning (open interest
    from FACTS.md or Coinalyze) and its observed price path (Binance daily candles).
    Reported totals judge the model only on the held-out event.

    Parameters
    ----------
    shared_dir : path
        The ``../shared/data`` folder (Binance candles and Coinalyze files).
    config : CryptoConfig, optional
        Leverage mix, asset split and seeds (default: the shipped config).
    events : CryptoEvents, optional
        The event table (default: the shipped ``crypto_events.yaml``).
    regimes : bool
        Fit the leveraged fraction separately before and after the exchanges' leverage-cap
        cut (``leverage_cap_cut`` of the event table, 2021-07-19); False pools all events.
    implied_shock : bool
        Also find, with the held-out fit, the exogenous BTC shock whose cascade reaches the
        event's observed BTC low (:func:`gaemi.core.crypto.invert_shock`).

    Returns
    -------
    pandas.DataFrame
        One row per event: ``event``, ``open_interest_usd``, ``open_interest_source``,
        ``btc_low_move_frac``, ``reported_total_usd``, ``model_total_usd``,
        ``total_ratio`` (model / reported), ``total_ok`` (within ×1.5),
        ``reported_long_share``, ``model_long_share``, ``long_share_error_pp``,
        ``long_share_ok`` (within 10 points; NaN/None without a reported split),
        ``fit_leveraged_frac_of_oi``, ``fit_crash_short_per_long_usd``,
        ``fit_entry_age_days``, ``leverage_regime``, ``fitted_on`` (the other events), and
        with ``implied_shock`` ``implied_btc_shock_frac`` and ``implied_shock_exact`` (False:
        the observed low lies in a jump of the cascade, the shock is its near side).
    """
    import pandas as pd

    cfg = config if config is not None else load_crypto_config()
    evs = events if events is not None else load_crypto_events()
    if model == "density":
        return _density_leave_one_out(shared_dir, cfg, evs, DENSITY_EXCLUDED_DAYS)
    if model != "ladder":
        raise GaemiInputError(f"model = {model!r} must be density or ladder")
    long_share = float(evs.assumptions["long_share_of_leveraged_oi"].value)
    paths, pos, units = _event_inputs(shared_dir, cfg, evs)
    oi = {k: p.open_interest_usd for k, p in pos.items()}
    rows = []
    for e in evs.events:
        train = [x for x in evs.events if x.id != e.id]
        fit = fit_events(units, oi, train, long_share, evs.regime_split if regimes else "")
        tot, sh = event_prediction(
            units[(e.id, fit.entry_age_days)], oi[e.id], long_share, fit, e.start
        )
        rep = float(e.reported_total_usd.value)
        rep_sh = None if e.reported_long_share is None else float(e.reported_long_share.value)
        row: dict[str, Any] = {
            "event": e.id,
            "open_interest_usd": oi[e.id],
            "open_interest_source": pos[e.id].sources.get("open_interest_usd", ""),
            "btc_low_move_frac": float(paths[e.id].low_frac[0] - 1.0),
            "reported_total_usd": rep,
            "model_total_usd": tot,
            "total_ratio": tot / rep,
            "total_ok": bool(1 / LOO_TOTAL_FACTOR <= tot / rep <= LOO_TOTAL_FACTOR),
            "reported_long_share": rep_sh,
            "model_long_share": sh,
            "long_share_error_pp": None if rep_sh is None else 100 * (sh - rep_sh),
            "long_share_ok": None
            if rep_sh is None
            else bool(abs(100 * (sh - rep_sh)) <= LOO_LONG_SHARE_PP),
            "leverage_regime": leverage_regime(e.start, fit.regime_split)
            if fit.regime_split
            else "pooled",
            "fit_leveraged_frac_of_oi": fit.kappa(e.start),
            "fit_crash_short_per_long_usd": fit.crash_short_per_long_usd,
            "fit_entry_age_days": fit.entry_age_days,
            "fitted_on": ",".join(fit.events),
        }
        if implied_shock:
            inv = _implied_shock(cfg, pos[e.id], paths[e.id], fit, long_share)
            row["implied_btc_shock_frac"] = inv.shock_frac
            row["implied_shock_exact"] = inv.exact
        rows.append(row)
    return pd.DataFrame(rows)


def _implied_shock(
    cfg: CryptoConfig, pos: Positioning, path: EventPath, fit: EventFit, long_share: float
) -> ShockInversion:
    """Exogenous BTC shock whose cascade reaches the event's BTC low (positioning of the fit)."""
    import dataclasses

    from gaemi.core.crypto import generate_path_population, invert_shock

    p = dataclasses.replace(
        pos, leveraged_frac_of_oi=fit.kappa(pos.date), long_share_frac=long_share
    )
    c = with_positioning(cfg, p)
    pop, _ = generate_path_population(
        c.side_specs(),
        c.maintenance_margin(),
        c.n_per_side,
        c.seed,
        path_low_frac=path.path_low_frac,
        path_high_frac=path.path_high_frac,
        entry_age_days=fit.entry_age_days,
    )
    return invert_shock(pop, c.market(), float(path.low_frac[0] - 1.0), asset=cfg.asset_names[0])


# ------------------------------------------------------- measured liquidation density
#: FACTS.md (i).1/(i).3 days inside the Coinalyze file: they (and the day either side)
#: never enter the liquidation law, so no reported event day is fitted on.
DENSITY_EXCLUDED_DAYS = (
    "2022-05-09",
    "2022-05-11",
    "2022-05-12",
    "2022-06-13",
    "2022-11-08",
    "2022-11-09",
    "2024-03-05",
    "2024-08-05",
)
DENSITY_EXCLUDE_PAD_DAYS = 1
#: Days before a day over which its run-up and drawdown are measured.
RUNUP_DAYS = 30


def coinalyze_day_features(shared_dir: str | Path) -> Any:
    """One row per Coinalyze day: BTC-perp liquidation rates and the BTC day's range.

    Columns: ``oi_prev_usd`` (the previous day's BTC-perp open interest), ``long_rate`` and
    ``short_rate`` (the day's long / short liquidations over ``oi_prev_usd``), ``down``
    (−ln low/open), ``up`` (ln high/open), ``runup`` (ln open / lowest low of the
    :data:`RUNUP_DAYS` days before), ``drawdown`` (ln open / highest high of those days),
    ``funding_prev_frac`` (the previous day's OI-weighted funding per 8 h). Prices: Binance
    spot daily (UTC).
    """
    import pandas as pd

    tab = _coinalyze_table(shared_dir)
    px = read_binance_daily(shared_dir, "BTC")
    runup = np.log(px["open"] / px["low"].rolling(RUNUP_DAYS).min().shift(1))
    drawdown = np.log(px["open"] / px["high"].rolling(RUNUP_DAYS).max().shift(1))
    oi_prev = tab["open_interest_usd"].shift(1)
    # the previous row is the previous day only where the file has no gap
    gap = pd.Series(tab.index, index=tab.index).diff() != pd.Timedelta(days=1)
    oi_prev[gap] = np.nan
    out = pd.DataFrame(
        {
            "oi_prev_usd": oi_prev,
            "long_rate": tab["liquidations_long_usd"] / oi_prev,
            "short_rate": tab["liquidations_short_usd"] / oi_prev,
            "funding_prev_frac": tab["funding_rate_frac"].shift(1),
        }
    ).join(
        pd.DataFrame(
            {
                "down": -np.log(px["low"] / px["open"]),
                "up": np.log(px["high"] / px["open"]),
                "runup": runup,
                "drawdown": drawdown,
            }
        ),
        how="inner",
    )
    return out.dropna(subset=["oi_prev_usd", "down", "runup"])


def fit_event_law(
    shared_dir: str | Path, *, exclude_days: Sequence[str] = DENSITY_EXCLUDED_DAYS
) -> tuple[LiquidationLaw, str]:
    """The liquidation law fitted on the Coinalyze days (measured BTC-perp liquidations).

    Returns the law and a one-line description of what it was fitted on. Each day of
    ``exclude_days`` and :data:`DENSITY_EXCLUDE_PAD_DAYS` either side is left out; no
    reported (FACTS.md) total enters the fit.
    """
    import pandas as pd

    from gaemi.core.crypto import fit_liquidation_law

    f = coinalyze_day_features(shared_dir)
    keep = np.ones(len(f), dtype=bool)
    pad = pd.Timedelta(days=DENSITY_EXCLUDE_PAD_DAYS)
    for d in exclude_days:
        t = pd.Timestamp(d)
        keep &= ~((f.index >= t - pad) & (f.index <= t + pad))
    g = f[keep]
    law = fit_liquidation_law(
        g["down"], g["up"], g["runup"], g["drawdown"], g["long_rate"], g["short_rate"]
    )
    first, last = g.index.min().date(), g.index.max().date()
    desc = (
        f"Coinalyze BTC-perp daily liquidations / OI of the day before, {first}..{last}, "
        f"{law.n_days} days ({len(f) - len(g)} event days ±{DENSITY_EXCLUDE_PAD_DAYS} left out)"
    )
    return law, desc


def path_runup_drawdown(path: EventPath) -> tuple[FloatVec, FloatVec]:
    """Per asset: ln(open / lowest low) and ln(open / highest high) of the last 30 days."""
    lo = np.asarray(path.path_low_frac)[:, -RUNUP_DAYS:]
    hi = np.asarray(path.path_high_frac)[:, -RUNUP_DAYS:]
    return -np.log(lo.min(axis=1)), -np.log(hi.max(axis=1))


def event_law_liquidations(
    law: LiquidationLaw, cfg: CryptoConfig, path: EventPath, open_interest_usd: float
) -> tuple[float, float, float]:
    """Law liquidations of an event window (USD): long, short, and BTC longs.

    Each config asset holds ``oi_share`` of the open interest and moves by its path (BTC's
    or, for every other asset, ETH's: the only altcoin with Binance candles for every event).
    A window of several days counts as one range (lowest low, highest high).
    """
    share = np.array([cfg.av(a, "oi_share") for a in cfg.asset_names])
    oi = open_interest_usd * share / share.sum()
    runup, drawdown = path_runup_drawdown(path)
    lr, sr = law.rates(-np.log(path.low_frac), np.log(path.high_frac), runup, drawdown)
    return float(oi @ lr), float(oi @ sr), float(oi[0] * lr[0])


def _logit(p: float) -> float:
    q = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(q / (1 - q))


@dataclass(frozen=True)
class _LawEvent:
    """One event's law inputs and outputs (internal to the leave-one-out)."""

    e: CryptoEvent
    path: EventPath
    pos: Positioning
    law_usd: float
    law_share: float
    btc_long: float
    year: float
    log_scale: float


def _density_leave_one_out(
    shared_dir: str | Path, cfg: CryptoConfig, evs: CryptoEvents, law_days: Sequence[str]
) -> Any:
    """Leave-one-event-out of the measured-density model (see :func:`crypto_leave_one_out`)."""
    import pandas as pd

    from gaemi.core.crypto import (
        choose_estimator,
        describe_estimator,
        impact_log_move,
        location_estimate,
    )

    law, law_src = fit_event_law(shared_dir, exclude_days=law_days)
    prices: dict[str, Any] = {}
    recs: list[_LawEvent] = []
    for e in evs.events:
        path = event_path(shared_dir, e.start, e.end, cfg.asset_names, prices=prices)
        pos = event_positioning(e, evs, shared_dir)
        lng, sht, btc_long = event_law_liquidations(law, cfg, path, pos.open_interest_usd)
        d = dt.date.fromisoformat(e.start)
        recs.append(
            _LawEvent(
                e=e,
                path=path,
                pos=pos,
                law_usd=lng + sht,
                law_share=lng / (lng + sht),
                btc_long=btc_long,
                year=d.year + (d.timetuple().tm_yday - 0.5) / 365.25,
                log_scale=math.log(float(e.reported_total_usd.value) / (lng + sht)),
            )
        )
    rows = []
    for i, r in enumerate(recs):
        e = r.e
        train = [x for j, x in enumerate(recs) if j != i]
        lv = np.array([x.log_scale for x in train])
        yr = np.array([x.year for x in train])
        kind = choose_estimator(lv, yr)
        scale = math.exp(location_estimate(kind, lv, yr, r.year))
        gaps = np.array(
            [
                _logit(float(x.e.reported_long_share.value)) - _logit(x.law_share)
                for x in train
                if x.e.reported_long_share is not None
            ]
        )
        if gaps.size:
            gy = np.zeros(gaps.size)
            okind = choose_estimator(gaps, gy, (float("inf"), "median"))
            offset = location_estimate(okind, gaps, gy, 0.0)
        else:
            okind, offset = float("inf"), 0.0
        tot = scale * r.law_usd
        sh = 1.0 / (1.0 + math.exp(-(_logit(r.law_share) + offset)))
        rep = float(e.reported_total_usd.value)
        rep_sh = None if e.reported_long_share is None else float(e.reported_long_share.value)
        path = r.path
        # the exogenous BTC move: the observed low less the impact of the BTC longs' forced
        # selling (book depth scaled with the dated open interest)
        market = with_positioning(cfg, r.pos).market()
        impact = float(
            impact_log_move(market, np.array([-scale * r.btc_long] + [0.0] * (len(market) - 1)))[0]
        )
        low_log = float(np.log(path.low_frac[0]))
        # a crash's exogenous move is a fall: when the modelled impact exceeds the low (thin
        # book or too large a total), the shock is capped at 0 and flagged not exact
        shock_log = min(low_log - impact, 0.0)
        runup, drawdown = path_runup_drawdown(path)
        rows.append(
            {
                "event": e.id,
                "open_interest_usd": r.pos.open_interest_usd,
                "open_interest_source": r.pos.sources.get("open_interest_usd", ""),
                "funding_prev_frac": r.pos.funding_rate_frac,
                "btc_low_move_frac": float(path.low_frac[0] - 1.0),
                "btc_high_move_frac": float(path.high_frac[0] - 1.0),
                "btc_runup_30d_log": float(runup[0]),
                "btc_drawdown_30d_log": float(drawdown[0]),
                "law_total_usd": r.law_usd,
                "reported_total_usd": rep,
                "model_total_usd": tot,
                "total_ratio": tot / rep,
                "total_ok": bool(1 / LOO_TOTAL_FACTOR <= tot / rep <= LOO_TOTAL_FACTOR),
                "reported_long_share": rep_sh,
                "law_long_share": r.law_share,
                "model_long_share": sh,
                "long_share_error_pp": None if rep_sh is None else 100 * (sh - rep_sh),
                "long_share_ok": None
                if rep_sh is None
                else bool(abs(100 * (sh - rep_sh)) <= LOO_LONG_SHARE_PP),
                "fit_scale": scale,
                "fit_scale_estimator": describe_estimator(kind),
                "fit_half_life_years": float("nan") if kind == "median" else float(kind),
                "fit_long_share_offset_logit": offset,
                "fit_long_share_estimator": describe_estimator(okind),
                "law_fitted_on": law_src,
                "fitted_on": ",".join(x.e.id for x in train),
                "implied_btc_shock_frac": float(np.expm1(shock_log)),
                "implied_shock_exact": bool(low_log - impact < 0.0),
            }
        )
    return pd.DataFrame(rows)


#: Realised BTC fall (the other assets by their beta) at which a dated population is
#: matched to the measured liquidation law (:func:`law_leveraged_share`).
LAW_REFERENCE_MOVE = -0.10
_law_cache: dict[str, tuple[LiquidationLaw, str]] = {}


def law_leveraged_share(
    shared_dir: str | Path,
    cfg: CryptoConfig,
    pos: Positioning,
    *,
    reference_move_frac: float = LAW_REFERENCE_MOVE,
) -> tuple[float, str]:
    """The leveraged share of open interest that makes a dated population agree with the law.

    The config's population with the positioning ``pos`` (its open interest, long share and
    leverage mix) is read statically at a realised BTC fall of ``reference_move_frac`` (the
    other assets by their ``beta_to_btc``); its leveraged share is scaled so that what it
    liquidates there equals the measured law (:func:`fit_event_law`: Coinalyze BTC-perp
    days, no reported total) for the date's open interest and the 30-day run-up / drawdown
    before ``pos.date`` (Binance daily candles). Returns the share and a one-line source.
    """
    from gaemi.core.crypto import liquidations_at_extremes

    if not -1.0 < reference_move_frac < 0.0:
        raise GaemiInputError(f"reference move = {reference_move_frac!r} must be a fall")
    key = str(Path(shared_dir).resolve())
    if key not in _law_cache:
        _law_cache[key] = fit_event_law(shared_dir)
    law, desc = _law_cache[key]
    path = event_path(shared_dir, pos.date, pos.date, cfg.asset_names)
    runup, drawdown = path_runup_drawdown(path)
    c = with_positioning(cfg, pos)
    beta = np.array([c.av(a, "beta_to_btc") for a in c.asset_names])
    down = -math.log1p(reference_move_frac) * beta
    share = np.array([c.av(a, "oi_share") for a in c.asset_names])
    oi = pos.open_interest_usd * share / share.sum()
    lr, sr = law.rates(down, np.zeros_like(down), runup, drawdown)
    target = float(oi @ (lr + sr))
    pop, _ = c.population()
    nl, ns = liquidations_at_extremes(pop, len(c.asset_names), -down, np.zeros_like(down))
    got = float(nl.sum() + ns.sum())
    kappa_now = c.v("long_frac_of_oi") + c.v("short_frac_of_oi")
    if got <= 0:
        raise GaemiInputError(
            f"date = {pos.date}: the population liquidates nothing at BTC "
            f"{reference_move_frac:+.0%}; give the leveraged share yourself"
        )
    kappa = kappa_now * target / got
    if not 0 < kappa <= 1:
        raise GaemiInputError(
            f"date = {pos.date}: the law asks for a leveraged share of {kappa:.3g} of open "
            "interest (outside (0, 1]); give it yourself"
        )
    return kappa, (
        f"measured liquidation law at a realised BTC {reference_move_frac:+.0%} "
        f"({format_usd(target)} on this OI and 30-day path; {desc})"
    )
