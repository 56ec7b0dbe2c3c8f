"""Issue 21.1: a table-driven corpus of malformed inputs for every data-layer loader.

Each case builds one bad file (or document) in a fresh folder and asserts that the loader
raises :class:`~gaemi.errors.GaemiInputError` whose message is ONE line naming the field
(or file problem) and the offending value, that no NumPy ``RuntimeWarning`` is emitted
and that the folder is unchanged afterwards (the loaders never write). The valid base
rows of each table load (tested below), so every refusal comes from the one bad value.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gaemi.errors import GaemiInputError


@dataclass(frozen=True)
class Case:
    """One malformed input: the loader it goes to, how to make it, what the error names."""

    loader: str
    name: str
    make: Callable[[Path], Any]  # builds the input under a folder; returns the call's input
    expect: str  # regex the one-line message must contain


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


# ------------------------------------------------------------------ loaders under test
def _universe(arg: Any) -> Any:
    from gaemi.data.universe import load_universe

    path, kw = arg if isinstance(arg, tuple) else (arg, {})
    return load_universe(path, **kw)


def _population(arg: Any) -> Any:
    from gaemi.data.crypto import load_crypto_config, load_population

    path, kw = arg if isinstance(arg, tuple) else (arg, {})
    return load_population(path, load_crypto_config(), **kw)


def _yaml(arg: Any) -> Any:
    from gaemi.data.yamlio import read_yaml

    path, kw = arg if isinstance(arg, tuple) else (arg, {})
    return read_yaml(path, **kw)


def _flow_scenario(arg: Any) -> Any:
    from gaemi.data.scenario import load_flow_scenario

    return load_flow_scenario(arg)


def _stress_scenario(arg: Any) -> Any:
    from gaemi.data.stress import load_stress_scenario

    return load_stress_scenario(arg)


def _crypto_config(arg: Any) -> Any:
    from gaemi.data.crypto import load_crypto_config

    return load_crypto_config(arg)


def _vol_params(arg: Any) -> Any:
    from gaemi.data.returns import load_vol_defaults

    return load_vol_defaults(arg)


def _investor(arg: Any) -> Any:
    from gaemi.data.returns import load_investor_defaults

    return load_investor_defaults(arg)


def _history(arg: Any) -> Any:
    from gaemi.data.returns import read_close_series

    path, kw = arg if isinstance(arg, tuple) else (arg, {})
    return read_close_series(path, **kw)


def _market(arg: Any) -> Any:
    from gaemi.data.market import snapshot_from_documents

    return snapshot_from_documents([("m.yaml", arg)], label="test")


def _prices(arg: Any) -> Any:
    from gaemi.data.quality import refuse_bad_prices

    return refuse_bad_prices("p.csv", arg)


LOADERS: dict[str, Callable[[Any], Any]] = {
    "universe": _universe,
    "population": _population,
    "yaml": _yaml,
    "flow_scenario": _flow_scenario,
    "stress_scenario": _stress_scenario,
    "crypto_config": _crypto_config,
    "vol_params": _vol_params,
    "investor_defaults": _investor,
    "history": _history,
    "market": _market,
    "prices": _prices,
}


def _file(name: str, data: bytes | str) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / name
        p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return p

    return make


def _with(make: Callable[[Path], Path], **kw: Any) -> Callable[[Path], Any]:
    return lambda d: (make(d), kw)


CASES: list[Case] = []

# ------------------------------------------------------------------ universe
U_HEADER = (
    "ticker,leverage,underlying_id,aum_usd,aum_as_of,korean_held_usd,korean_share,"
    "korean_as_of,expense_ratio,underlying_kind"
)
U_GOOD = "TQQQ,3,NDX,39349000000,2026-06-01,3400000000,,2026-01-15,0.0084,index"
U_FIELDS = U_HEADER.split(",")


def _u_row(**over: str) -> str:
    vals = dict(
        zip(U_FIELDS, ["SOXL", "3", "SOX", "1e10", "2026-06-01", "", "", "", "", ""], strict=True)
    )
    vals.update(over)
    return ",".join(vals[f] for f in U_FIELDS)


def _u(name: str, expect: str, **over: str) -> None:
    body = f"{U_HEADER}\n{U_GOOD}\n{_u_row(**over)}\n"
    CASES.append(Case("universe", name, _file("u.csv", body), expect))


#: Bad values by field: (value, what the one-line error must contain).
U_BAD_VALUES: dict[str, list[tuple[str, str]]] = {
    "leverage": [
        ("", "leverage is missing"),
        ("abc", "leverage = 'abc' is not a number"),
        ("nan", "leverage = NaN"),
        ("inf", "leverage = 'inf' must be finite"),
        ("-inf", "leverage = '-inf' must be finite"),
        ("1e308", r"leverage = 1e\+308"),
        ("0.5", "leverage = 0.5 is not a leveraged"),
        ("1", "leverage = 1 is not a leveraged"),
        ("0", "leverage = 0 is not a leveraged"),
        ("11", r"leverage = 11 is outside"),
        ("-11", r"leverage = -11 is outside"),
    ],
    "aum_usd": [
        ("", "aum_usd is missing"),
        ("x", "aum_usd = 'x' is not a number"),
        ("nan", "aum_usd = NaN"),
        ("inf", "aum_usd = 'inf' must be finite"),
        ("-1", "aum_usd = -1 must be >= 0"),
        ("1e308", r"aum_usd = 1e\+308 is above"),
        ("1e14", r"aum_usd = 1e\+14 is above"),
    ],
    "korean_held_usd": [
        ("-1", "korean_held_usd = -1 must be >= 0"),
        ("1e308", r"korean_held_usd = 1e\+308 is above"),
        ("inf", "korean_held_usd = 'inf' must be finite"),
        ("x", "korean_held_usd = 'x' is not a number"),
        ("2e10", r"korean_held_usd = 2e\+10 exceeds aum_usd"),
    ],
    "korean_share": [
        ("1.5", "korean_share = 1.5 must be in"),
        ("-0.1", "korean_share = -0.1 must be in"),
        ("inf", "korean_share = 'inf' must be finite"),
        ("x", "korean_share = 'x' is not a number"),
        ("1e308", r"korean_share = 1e\+308 must be in"),
    ],
    "expense_ratio": [
        ("0.5", "expense_ratio = 0.5 must be"),
        ("-0.01", "expense_ratio = -0.01 must be"),
        ("inf", "expense_ratio = 'inf' must be finite"),
        ("x", "expense_ratio = 'x' is not a number"),
    ],
    "aum_as_of": [
        ("2026-13-01", "aum_as_of = '2026-13-01' is not a YYYY-MM-DD date"),
        ("06/01/2026", "aum_as_of = '06/01/2026' is not a YYYY-MM-DD date"),
        ("yesterday", "aum_as_of = 'yesterday' is not a YYYY-MM-DD date"),
        ("2026-6-1", "aum_as_of = '2026-6-1' is not a YYYY-MM-DD date"),
        ("2026-02-30", "aum_as_of = '2026-02-30' is not a YYYY-MM-DD date"),
        ("2099-01-01", r"aum_as_of = 2099-01-01 is after today"),
        ("1900-01-01", r"aum_as_of = 1900-01-01 is before 1990-01-01"),
    ],
    "korean_as_of": [
        ("2099-01-01", "korean_as_of = 2099-01-01 is after today"),
        ("Jan 2026", "korean_as_of = 'Jan 2026' is not a YYYY-MM-DD date"),
    ],
}
for field_, rows in U_BAD_VALUES.items():
    # korean_as_of is checked only where a Korean share is given
    extra = {"korean_share": "0.1"} if field_ == "korean_as_of" else {}
    for value, expect in rows:
        _u(f"{field_}={value!r}", expect, **{field_: value}, **extra)
_u(
    "underlying_kind='stocks'",
    "underlying_kind = 'stocks' must be one of",
    underlying_kind="stocks",
)
_u("ticker=''", "ticker is missing", ticker="")
_u("ticker=duplicate", "ticker = 'TQQQ' duplicates row 2", ticker="tqqq")
_u("underlying_id=''", "underlying_id is missing", underlying_id="")

_U_OK = f"{U_HEADER}\n{U_GOOD}\n"
for name, make, expect in [
    ("unknown column", _file("u.csv", "colour," + _U_OK), "unknown column 'colour'"),
    ("missing column", _file("u.csv", "ticker,leverage,aum_usd\nX,3,1\n"), "'underlying_id'"),
    ("header only", _file("u.csv", U_HEADER + "\n"), "no funds"),
    ("empty file", _file("u.csv", ""), "empty file"),
    ("extra field", _file("u.csv", _U_OK + U_GOOD.replace("TQQQ", "UPRO") + ",x\n"), "11 fields"),
    (
        "Latin-1",
        _file("u.csv", (_U_OK + "X,3,NDX,1,,,,,,index\n").replace("X,", "É,").encode("latin-1")),
        "byte 0xc9 is not UTF-8",
    ),
    ("UTF-16 LE", _file("u.csv", _U_OK.encode("utf-16")), "UTF-16"),
    ("UTF-16 BE", _file("u.csv", b"\xfe\xff" + _U_OK.encode("utf-16-be")), "UTF-16"),
    ("UTF-32", _file("u.csv", _U_OK.encode("utf-32")), "UTF-32"),
    ("NUL bytes", _file("u.csv", _U_OK.replace("TQQQ", "TQ\x00Q")), "NUL bytes"),
    (
        "too big",
        _with(_file("u.csv", _U_OK), max_bytes=64),
        r"above the universe file limit of 64 bytes",
    ),
    ("a directory", lambda d: d, "is a directory, not a file"),
    ("missing file", lambda d: d / "nope.csv", "universe file '.*nope.csv' does not exist"),
    ("unknown suffix", _file("u.xlsx", _U_OK), r"unknown format '\.xlsx'"),
    ("corrupt parquet", _file("u.parquet", b"PAR1 not really"), "not a readable Parquet file"),
]:
    CASES.append(Case("universe", name, make, expect))

# ------------------------------------------------------------------ crypto population
P_HEADER = "asset,side,leverage,size_usd,entry_frac,maintenance_margin_frac,liquidation_price_usd"
P_GOOD = "BTC,long,10,1000000,1.0,,"
P_FIELDS = P_HEADER.split(",")


def _p(name: str, expect: str, **over: str) -> None:
    vals = dict(zip(P_FIELDS, P_GOOD.split(","), strict=True))
    vals.update(over)
    header = P_HEADER
    if "entry_price_usd" in over:
        vals.pop("entry_frac")
        header = header.replace("entry_frac", "entry_price_usd")
    row = ",".join(vals[f] for f in header.split(","))
    # with entry_price_usd the good row enters at the config's BTC price_usd (121704.74)
    good = P_GOOD if "entry_price_usd" not in over else "BTC,long,10,1000000,121704.74,,"
    body = f"{header}\n{good}\n{row}\n"
    CASES.append(Case("population", name, _file("pop.csv", body), expect))


_p("asset='DOGE'", "line 3: asset = 'DOGE' is not in the config", asset="DOGE")
_p("asset=''", "asset = '' is not in the config", asset="")
_p("side='up'", "side = 'up' must be long or short", side="up")
_p("side=''", "side = '' must be long or short", side="")
#: Bad values by field: (value, what the one-line error must contain).
P_BAD_VALUES: dict[str, list[tuple[str, str]]] = {
    "leverage": [
        ("0", "leverage = 0 must be > 0"),
        ("-3", "leverage = -3 must be > 0"),
        ("x", "leverage = 'x' is not a number"),
        ("nan", "leverage = 'nan' must be finite"),
        ("inf", "leverage = 'inf' must be finite"),
        ("1e308", r"leverage = 1e\+308 is above the 1000x limit"),
        ("5000", "leverage = 5000 is above the 1000x limit"),
        ("", "leverage is empty"),
    ],
    "size_usd": [
        ("-5", "size_usd = -5 must be >= 0"),
        ("1e308", r"size_usd = 1e\+308 is above the 5e\+12 limit"),
        ("6e12", r"size_usd = 6e\+12 is above"),
        ("inf", "size_usd = 'inf' must be finite"),
        ("nan", "size_usd = 'nan' must be finite"),
        ("x", "size_usd = 'x' is not a number"),
        ("", "size_usd is empty"),
    ],
    "entry_frac": [
        ("0", "entry_frac = '0' must be > 0"),
        ("-1", "entry_frac = '-1' must be > 0"),
        ("inf", "entry_frac = 'inf' must be finite"),
        ("1e308", r"entry_frac = '1e308' puts the entry at 1e\+308x"),
        ("1e-300", "entry_frac = '1e-300' puts the entry at 1e-300x"),
        ("x", "entry_frac = 'x' is not a number"),
    ],
    "entry_price_usd": [
        ("1e308", "entry_price_usd = '1e308' puts the entry"),
        ("0", "entry_price_usd = '0' must be > 0"),
        ("-inf", "entry_price_usd = '-inf' must be finite"),
    ],
    "maintenance_margin_frac": [
        ("-0.1", r"maintenance_margin_frac = -0.1 must be in \[0, 1\)"),
        ("1.5", r"maintenance_margin_frac = 1.5 must be in \[0, 1\)"),
        ("inf", "maintenance_margin_frac = 'inf' must be finite"),
        ("0.2", r"maintenance_margin_frac 0.2 x leverage 10 >= 1"),
    ],
    "liquidation_price_usd": [
        ("inf", "liquidation_price_usd = 'inf' must be finite"),
        ("1e308", r"liquidation_price_usd = 1e\+308 is above the entry"),
        ("x", "liquidation_price_usd = 'x' is not a number"),
    ],
}
for field_, rows in P_BAD_VALUES.items():
    for value, expect in rows:
        _p(f"{field_}={value!r}", expect, **{field_: value})

_P_OK = f"{P_HEADER}\n{P_GOOD}\n"
for name, make, expect in [
    (
        "missing column",
        _file("pop.csv", "asset,side,leverage\nBTC,long,10\n"),
        "missing column 'size_usd'",
    ),
    (
        "no entry column",
        _file("pop.csv", "asset,side,leverage,size_usd\nBTC,long,10,1\n"),
        "entry_price_usd or an entry_frac",
    ),
    (
        "unknown column",
        _file("pop.csv", P_HEADER + ",colour\n" + P_GOOD + ",red\n"),
        "unknown column 'colour'",
    ),
    ("empty file", _file("pop.csv", ""), "the file is empty"),
    ("header only", _file("pop.csv", P_HEADER + "\n"), "no positions"),
    (
        "extra field",
        _file("pop.csv", _P_OK + P_GOOD + ",x\n"),
        "line 3: more fields than the header",
    ),
    (
        "Latin-1",
        _file(
            "pop.csv",
            (_P_OK + "BTC,long,10,1000000,1.0,,,\n")
            .replace("BTC,long,10,1000000,1.0,,,", "BTC,lóng,10,1,1,,")
            .encode("latin-1"),
        ),
        "line 3: byte 0xf3 is not UTF-8",
    ),
    ("UTF-16", _file("pop.csv", _P_OK.encode("utf-16")), "UTF-16"),
    ("UTF-16 BE", _file("pop.csv", b"\xfe\xff" + _P_OK.encode("utf-16-be")), "UTF-16"),
    ("NUL bytes", _file("pop.csv", _P_OK.replace("long", "lo\x00ng")), "NUL bytes"),
    ("too big", _with(_file("pop.csv", _P_OK), max_bytes=10), "above the population file limit"),
    ("a directory", lambda d: d, "is a directory, not a file"),
    ("missing file", lambda d: d / "nope.csv", "population file '.*nope.csv' does not exist"),
    ("corrupt parquet", _file("pop.parquet", b"PAR1 garbage"), "cannot read Parquet"),
]:
    CASES.append(Case("population", name, make, expect))

# ------------------------------------------------------------------ YAML (every loader)
DEEP_BLOCK = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v: 1\n"
for name, make, expect in [
    (
        "duplicate top key",
        _file("s.yaml", "a: 1\nb: 2\na: 3\n"),
        "line 3: duplicate key 'a' \\(first on line 1\\)",
    ),
    ("duplicate nested key", _file("s.yaml", "a:\n  x: 1\n  x: 2\n"), "line 3: duplicate key 'x'"),
    ("duplicate flow key", _file("s.yaml", "a: {x: 1, x: 2}\n"), "line 1: duplicate key 'x'"),
    ("duplicate numeric key", _file("s.yaml", "1: a\n1: b\n"), "duplicate key 1"),
    ("deep block nesting", _file("s.yaml", DEEP_BLOCK), "nesting deeper than 50 levels"),
    (
        "deep flow sequence",
        _file("s.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n"),
        "nesting deeper than 50",
    ),
    (
        "deep flow mapping",
        _file("s.yaml", "a: " + "{b: " * 200 + "1" + "}" * 200 + "\n"),
        "nesting deeper than 50",
    ),
    (
        "deep sequence of sequences",
        _file("s.yaml", "".join("  " * i + "-\n" for i in range(80)) + "  " * 80 + "- 1\n"),
        "nesting deeper than 50",
    ),
    (
        "python tag",
        _file("s.yaml", "a: !!python/object/apply:os.system [ls]\n"),
        "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
    ("syntax error", _file("s.yaml", "a: [1, 2\n"), "line 2: not valid YAML"),
    ("tab indentation", _file("s.yaml", "a:\n\tb: 1\n"), "line 2: not valid YAML"),
    (
        "Latin-1",
        _file("s.yaml", "name: caf\xe9\n".encode("latin-1")),
        "s.yaml line 1: byte 0xe9 is not UTF-8",
    ),
    ("UTF-16", _file("s.yaml", "a: 1\n".encode("utf-16")), "UTF-16"),
    (
        "too big",
        _with(_file("s.yaml", "a: 1\n" * 100), max_bytes=100),
        "above the scenario file limit of 100 bytes",
    ),
    ("a directory", lambda d: d, "is a directory, not a file"),
    ("missing", lambda d: d / "none.yaml", "scenario file '.*none.yaml' does not exist"),
    ("unhashable key", _file("s.yaml", "? [1, 2]\n: x\n? [1, 2]\n: y\n"), "not valid YAML"),
]:
    CASES.append(Case("yaml", name, make, expect))

for k, (loader, fname, body, expect) in enumerate(
    [
        (
            "flow_scenario",
            "f.yaml",
            "korean_aum_usd: 1e9\nkorean_aum_usd: 2e9\n",
            "f.yaml line 2: duplicate key 'korean_aum_usd'",
        ),
        ("flow_scenario", "f.yaml", "korean_aum_usd: .nan\n", "korean_aum_usd"),
        ("flow_scenario", "f.yaml", "korean_aum_usd: .inf\n", "korean_aum_usd"),
        ("flow_scenario", "f.yaml", "korean_aum_usd: 1.0e+308\n", "korean_aum_usd"),
        ("flow_scenario", "f.yaml", "korean_aum_usd: lots\n", "korean_aum_usd"),
        (
            "flow_scenario",
            "f.yaml",
            "creations_usd:\n  SOXL: -1e9\n  SOXL: 1e9\n",
            "line 3: duplicate key 'SOXL'",
        ),
        ("flow_scenario", "f.yaml", "korean_holdings_usd:\n  TQQQ: .inf\n", "TQQQ"),
        (
            "flow_scenario",
            "f.yaml",
            "creations_usd: " + "[" * 100 + "]" * 100 + "\n",
            "nesting deeper than 50",
        ),
        (
            "stress_scenario",
            "st.yaml",
            "name: a\nname: b\n",
            "st.yaml line 2: duplicate key 'name'",
        ),
        ("stress_scenario", "st.yaml", DEEP_BLOCK, "nesting deeper than 50"),
        (
            "crypto_config",
            "c.yaml",
            "name: a\nassets: {}\nname: b\n",
            "c.yaml line 3: duplicate key 'name'",
        ),
        ("crypto_config", "c.yaml", "x:\n\ty: 1\n", "c.yaml line 2: not valid YAML"),
        (
            "vol_params",
            "v.yaml",
            "as_of: 2026-01-01\nas_of: 2026-01-02\n",
            "v.yaml line 2: duplicate key 'as_of'",
        ),
        (
            "investor_defaults",
            "i.yaml",
            "grace_days:\n  value: 2\n  value: 3\n",
            "i.yaml line 3: duplicate key 'value'",
        ),
        ("investor_defaults", "i.yaml", "a: 1\n".encode("utf-16"), "i.yaml: the file is UTF-16"),
    ]
):
    CASES.append(Case(loader, f"{k}: {expect[:40]}", _file(fname, body), expect))

# ------------------------------------------------------------------ history closes
H_OK = "Date,Close\n2020-01-02,10\n2020-01-03,11\n"
for name, body, expect in [
    ("text close", H_OK + "2020-01-06,abc\n", "line 4: Close = 'abc' is not a finite number"),
    ("inf close", H_OK + "2020-01-06,inf\n", "line 4: Close = 'inf' is not a finite number"),
    ("nan close", H_OK + "2020-01-06,NaN\n", "line 4: Close = 'NaN' is not a finite number"),
    ("negative close", H_OK + "2020-01-06,-1\n", "line 4: Close = '-1' is <= 0"),
    ("zero close", H_OK + "2020-01-06,0\n", "line 4: Close = '0' is <= 0"),
    (
        "1e308 close",
        H_OK + "2020-01-06,1e308\n",
        r"line 4: Close = '1e308' is above the 1e\+12 limit",
    ),
    ("bad date", H_OK + "2020-13-06,12\n", "line 4: Date = '2020-13-06'"),
    ("no close column", "Date,Open\n2020-01-02,1\n", "needs a Date column and a Close column"),
    ("one close", "Date,Close\n2020-01-02,10\n", "fewer than two closes"),
    ("empty", "", "not a readable CSV"),
    ("Latin-1", (H_OK + "2020-01-06,12,é\n").encode("latin-1"), "line 4: byte 0xe9 is not UTF-8"),
    ("UTF-16", H_OK.encode("utf-16"), "UTF-16"),
]:
    CASES.append(Case("history", name, _file("h.csv", body), expect))
CASES.append(
    Case(
        "history",
        "too big",
        _with(_file("h.csv", H_OK), max_bytes=8),
        "above the history file limit",
    )
)
CASES.append(
    Case("history", "missing", lambda d: d / "none.csv", "history file '.*none.csv' does not exist")
)


# ------------------------------------------------------------------ market documents
def _obs(**point: Any) -> Callable[[Path], Any]:
    base: dict[str, Any] = {"value": 1400.0, "as_of": "2026-01-02", "source": "FRED"}
    base.update(point)
    base = {k: v for k, v in base.items() if v is not None}
    return lambda d: {"observations": {"usdkrw_level": {"unit": "krw_per_usd", **base}}}


for name, make, expect in [
    ("value nan", _obs(value=math.nan), "usdkrw_level.value = nan must be finite"),
    ("value inf", _obs(value=math.inf), "usdkrw_level.value = inf must be finite"),
    ("value text", _obs(value="high"), "usdkrw_level.value = 'high' is not a number"),
    (
        "as_of bad",
        _obs(as_of="2026-02-30"),
        "usdkrw_level.as_of = '2026-02-30' is not a YYYY-MM-DD",
    ),
    ("no source", _obs(source=None), "usdkrw_level point is missing 'source'"),
    (
        "no unit",
        lambda d: {"observations": {"x": {"value": 1, "as_of": "2026-01-01", "source": "s"}}},
        "x is missing 'unit'",
    ),
    (
        "not a mapping",
        lambda d: {"observations": [1, 2]},
        "expected a mapping with an 'observations' mapping",
    ),
]:
    CASES.append(Case("market", name, make, expect))


# ------------------------------------------------------------------ price columns (importers)
def _px(col: str, bad: float) -> Callable[[Path], Any]:
    def make(d: Path) -> Any:
        cols = {c: np.array([10.0, 11.0, 12.0]) for c in ("open", "high", "low", "close")}
        cols[col] = np.array([10.0, bad, 12.0])
        return cols

    return make


for col in ("open", "close"):
    for bad, expect in [
        (-3.0, "= -3 must be > 0"),
        (0.0, "= 0 must be > 0"),
        (math.inf, "= inf must be finite"),
        (-math.inf, "= -inf must be finite"),
        (1e308, r"= 1e\+308 is above the 1e\+12 limit"),
    ]:
        CASES.append(Case("prices", f"{col}={bad}", _px(col, bad), f"p.csv row 2: {col} {expect}"))


# ------------------------------------------------------------------ the tests
@pytest.mark.parametrize("case", CASES, ids=[f"{c.loader}:{c.name}" for c in CASES])
def test_malformed_input_is_one_line(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    arg = case.make(folder)
    before = _snapshot(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(GaemiInputError) as exc:
            LOADERS[case.loader](arg)
    msg = str(exc.value)
    assert msg, "empty message"
    assert "\n" not in msg, repr(msg)
    assert msg.strip() == msg, repr(msg)
    assert re.search(case.expect, msg), f"{msg!r} does not match {case.expect!r}"
    assert "Traceback" not in msg
    assert _snapshot(folder) == before  # nothing written, nothing changed


def test_corpus_size() -> None:
    """Issue 21.1 asks for at least 100 malformed inputs across the data loaders."""
    counts: dict[str, int] = {}
    for c in CASES:
        counts[c.loader] = counts.get(c.loader, 0) + 1
    assert len(CASES) >= 100, counts
    assert set(counts) == set(LOADERS)
    assert len({(c.loader, c.name) for c in CASES}) == len(CASES)


# ------------------------------------------------------------------ the accepted side
def test_base_rows_load(tmp_path: Path) -> None:
    """The corpus's base rows are valid: each refusal comes from the one bad value."""
    (tmp_path / "u.csv").write_text(f"{U_HEADER}\n{U_GOOD}\n{_u_row()}\n", encoding="utf-8")
    u = _universe(tmp_path / "u.csv")
    assert list(u.ticker) == ["TQQQ", "SOXL"]
    (tmp_path / "pop.csv").write_text(_P_OK + P_GOOD.replace("long", "short") + "\n")
    assert len(_population(tmp_path / "pop.csv")) == 2
    (tmp_path / "h.csv").write_text(H_OK + "2020-01-06,\n2020-01-07,.\n")
    assert list(_history(tmp_path / "h.csv")) == [10.0, 11.0]  # blank and "." are missing days


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf8", "utf8-bom"])
def test_utf8_with_or_without_bom_is_accepted(tmp_path: Path, bom: bytes) -> None:
    (tmp_path / "u.csv").write_bytes(bom + f"{U_HEADER}\n{U_GOOD}\n".encode())
    assert list(_universe(tmp_path / "u.csv").ticker) == ["TQQQ"]
    (tmp_path / "pop.csv").write_bytes(bom + _P_OK.encode())
    pop = _population(tmp_path / "pop.csv")
    assert len(pop) == 1
    assert float(pop.leverage[0]) == 10.0
    (tmp_path / "s.yaml").write_bytes(bom + "name: café\nkorean_aum_usd: 45e9\n".encode())
    assert _flow_scenario(tmp_path / "s.yaml").korean_aum_usd == 45e9
    (tmp_path / "h.csv").write_bytes(bom + H_OK.encode())
    assert len(_history(tmp_path / "h.csv")) == 2


def test_yaml_merge_keys_and_shipped_files_still_load() -> None:
    """Merge keys (``<<``) are no duplicates; every shipped YAML passes the guards."""
    from gaemi.data.yamlio import default_path, parse_yaml, read_yaml

    doc = parse_yaml("base: &b {x: 1, y: 2}\nover:\n  <<: *b\n  y: 3\n", "m.yaml")
    assert doc["over"] == {"x": 1, "y": 3}
    shipped = sorted(default_path("").glob("*.yaml"))
    assert len(shipped) >= 5
    for p in shipped:
        assert read_yaml(p, "default") is not None, p.name


def test_size_limit_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "u.csv").write_text(f"{U_HEADER}\n{U_GOOD}\n" + "\n" * 2048)
    monkeypatch.setenv("GAEMI_MAX_INPUT_MB", "0.001")  # 1,048 bytes < the 2.2 kB file
    with pytest.raises(GaemiInputError, match=r"u.csv: file is 2.2 KiB, above .* 1.0 KiB"):
        _universe(tmp_path / "u.csv")
    monkeypatch.setenv("GAEMI_MAX_INPUT_MB", "lots")
    with pytest.raises(GaemiInputError, match="GAEMI_MAX_INPUT_MB = 'lots'"):
        _universe(tmp_path / "u.csv")
    monkeypatch.delenv("GAEMI_MAX_INPUT_MB")
    assert len(_universe(tmp_path / "u.csv")) == 1


def test_sparse_huge_universe_refused_before_reading(tmp_path: Path) -> None:
    """A 2 GiB file (sparse: no disk used) is refused by its size, without being read."""
    import resource

    p = tmp_path / "big.csv"
    with p.open("wb") as fh:
        fh.write(f"{U_HEADER}\n".encode())
        fh.truncate(2 * 1024**3)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(GaemiInputError, match=r"big.csv: file is 2.0 GiB, above .* 256.0 MiB"):
        _universe(p)
    # ru_maxrss is in KiB on Linux: the peak grew by far less than the file's 2 GiB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0 < 100 * 1024


def test_future_date_uses_today(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ "After today" is measured from the clock (one day of grace for time zones)."""
    from gaemi.data import universe

    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
    (tmp_path / "u.csv").write_text(f"{U_HEADER}\n" + _u_row(aum_as_of=tomorrow) + "\n")
    assert list(_universe(tmp_path / "u.csv").aum_as_of) == [tomorrow]
    monkeypatch.setattr(universe, "_today", lambda: dt.date(2026, 1, 1))
    with pytest.raises(GaemiInputError, match=r"aum_as_of = \d{4}-\d\d-\d\d is after today"):
        _universe(tmp_path / "u.csv")
