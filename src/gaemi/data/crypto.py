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
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gaemi.core.crypto import (
    LONG,
    SHORT,
    KoreanSlice,
    Market,
    Population,
    SideSpec,
    generate_population,
)
from gaemi.errors import GaemiInputError

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
    """(line number, row) pairs; Parquet rows are numbered from 1."""
    if p.suffix.lower() in (".parquet", ".pq"):
        import pandas as pd

        try:
            df = pd.read_parquet(p)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise GaemiInputError(f"{p.name}: cannot read Parquet ({type(exc).__name__})") from None
        return [
            (i + 1, {str(k): v for k, v in r.items()}) for i, r in enumerate(df.to_dict("records"))
        ]
    with p.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None:
            raise GaemiInputError(f"{p.name}: the file is empty")
        return [(i + 2, dict(r)) for i, r in enumerate(reader)]


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


def load_population(path: str | Path, config: CryptoConfig) -> Population:
    """Read a population file (CSV or Parquet), validating every row.

    Errors name the file, the line (CSV, header = line 1) or row (Parquet) and the field,
    e.g. ``pop.csv line 4: leverage = 0 must be > 0``.
    """
    p = Path(path)
    if not p.is_file():
        raise GaemiInputError(f"population file {str(p)!r} does not exist")
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
        size[j] = num("size_usd")
        if size[j] < 0:
            raise GaemiInputError(f"{where}: size_usd = {size[j]:g} must be >= 0")
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
        if entry[j] <= 0:
            raise GaemiInputError(f"{where}: entry price must be > 0")
        mm[j] = (
            float(mm_default[asset[j]])
            if _blank(r.get("maintenance_margin_frac"))
            else num("maintenance_margin_frac")
        )
        if mm[j] < 0:
            raise GaemiInputError(f"{where}: maintenance_margin_frac = {mm[j]:g} must be >= 0")
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
