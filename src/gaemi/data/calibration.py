"""Statistical parameters derived from the history in the store: vols, betas, tails, ADV.

What is measured (every parameter keeps its sample size and sample period):

``vol_annual.<NODE>``            std of daily log returns × sqrt(252) (365 for crypto)
``beta.<NODE>.<DRIVER>``         OLS slope of the node's return on the driver's return
``corr.<NODE>.<DRIVER>``         their correlation
``drop_response.<NODE>.<DRIVER>`` mean node move on intervals where the driver fell more
                                  than ``big_drop`` (e.g. KOSPI after NDX −3 % days)
``drop_beta.<NODE>.<DRIVER>``    that mean divided by the mean driver move on those days
``tail_df.<NODE>``               Student-t degrees of freedom fitted to daily returns
``adv_value.<NODE>``             mean daily traded value (close × volume) in the series'
                                  quote currency (KRW for KRX listings), last 60 rows
``level.<SERIES>``               the latest stored value (with its date)

Time alignment: a node's return from its row ``i-1`` to row ``i`` is paired with the sum
of the driver's log returns on US sessions in ``[d[i-1], d[i])`` for markets that close
before New York on the same calendar date (KRX, the New York noon USD/KRW fixing) and in
``(d[i-1], d[i]]`` for those that close after it (VIX, BTC's UTC day). So a KOSPI move
is paired with the US session(s) the Korean market had not yet seen. The node → symbol
map (with proxies such as QQQ for NDX) is a judgement and lives in
``defaults/calibration_nodes.yaml``; ``defaults/calibration.yaml`` holds the parameters
derived from ../shared/data by ``scripts/calibrate_defaults.py``.

Rows reported by :mod:`gaemi.data.quality` as stale zero-volume rows are dropped, and
returns beyond the split threshold are excluded; both are counted in the notes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.data.quality import SPLIT_RATIO
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

    from gaemi.data.store import Store

NODES_RESOURCE = "calibration_nodes.yaml"
DEFAULT_RESOURCE = "calibration.yaml"
ADV_WINDOW = 60


@dataclass(frozen=True)
class Param:
    """One derived parameter with the sample it comes from."""

    name: str
    value: float
    n: int
    start: str
    end: str
    method: str


@dataclass(frozen=True)
class NodeSpec:
    """Where a market node's history comes from (first available candidate wins)."""

    node: str
    candidates: tuple[tuple[str, str], ...]  # (kind, id): ("prices", "QQQ")
    closes_before_us: bool
    periods_per_year: int = 252
    #: First date used (e.g. after a currency peg ended); "" for all history.
    since: str = ""
    #: The volume column is already a traded value (Yahoo crypto volumes are in USD).
    volume_is_value: bool = False


@dataclass(frozen=True)
class Calibration:
    """Derived parameters and the notes on how they were derived."""

    params: tuple[Param, ...]
    notes: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise GaemiInputError(f"calibration parameter {name!r} is not available")

    def value(self, name: str) -> float:
        return self.get(name).value

    def as_dict(self) -> dict[str, float]:
        return {p.name: p.value for p in self.params}

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "param": p.name,
                    "value": p.value,
                    "n": p.n,
                    "start": p.start,
                    "end": p.end,
                    "method": p.method,
                }
                for p in self.params
            ],
            columns=["param", "value", "n", "start", "end", "method"],
        )


def load_node_specs(path: str | Path | None = None) -> list[NodeSpec]:
    """The node → symbol map (YAML), validated with one-line errors."""
    import yaml

    p = (
        Path(path)
        if path is not None
        else Path(str(resources.files("gaemi.data.defaults").joinpath(NODES_RESOURCE)))
    )
    doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), dict):
        raise GaemiInputError(f"{p.name}: expected a mapping with 'nodes'")
    out = []
    for node, spec in doc["nodes"].items():
        if not isinstance(spec, dict):
            raise GaemiInputError(f"{p.name}: nodes.{node} must be a mapping")
        unknown = set(spec) - {
            "candidates",
            "closes_before_us",
            "periods_per_year",
            "since",
            "volume_is_value",
            "note",
        }
        if unknown:
            raise GaemiInputError(f"{p.name}: nodes.{node}: unknown key {sorted(unknown)[0]!r}")
        cands = []
        for c in spec.get("candidates") or []:
            kind, _, ident = str(c).partition(":")
            if kind not in ("prices", "macro") or not ident:
                raise GaemiInputError(
                    f"{p.name}: nodes.{node}.candidates: {c!r} must be prices:ID or macro:ID"
                )
            cands.append((kind, ident))
        if not cands:
            raise GaemiInputError(f"{p.name}: nodes.{node}.candidates is empty")
        out.append(
            NodeSpec(
                str(node),
                tuple(cands),
                bool(spec.get("closes_before_us", False)),
                int(spec.get("periods_per_year", 252)),
                str(spec.get("since") or ""),
                bool(spec.get("volume_is_value", False)),
            )
        )
    return out


@dataclass
class _Series:
    node: str
    source: str
    dates: NDArray[np.datetime64]  # dates of returns (end of interval)
    prev: NDArray[np.datetime64]  # start of each return interval
    ret: NDArray[np.float64]  # log returns
    close: NDArray[np.float64]
    volume: NDArray[np.float64] | None
    spec: NodeSpec


def _load_series(store: Store, spec: NodeSpec, notes: list[str]) -> _Series | None:
    for kind, ident in spec.candidates:
        if kind == "prices":
            df = store.prices(ident)
            if df.empty:
                continue
            close = df["close"].to_numpy(float)
            adj = df["adj_close"].to_numpy(float)
            level = np.where(np.isnan(adj), close, adj)
            vol = df["volume"].to_numpy(float)
            has_vol = bool(np.nan_to_num(vol).max(initial=0) > 0)
            if has_vol:
                same = np.zeros(len(level), dtype=bool)
                same[1:] = level[1:] == level[:-1]
                stale = (vol == 0) & same
                if stale.any():
                    notes.append(f"{spec.node} ({ident}): dropped {int(stale.sum())} stale rows")
                    keep = ~stale
                    df, level, vol = df[keep], level[keep], vol[keep]
            dates = df["date"].to_numpy().astype("datetime64[D]")
            volume: NDArray[np.float64] | None = vol if has_vol else None
        else:
            m = store.macro_series(ident)
            if m.empty:
                continue
            dates = m["date"].to_numpy().astype("datetime64[D]")
            level = m["value"].to_numpy(float)
            volume = None
        if spec.since:
            recent = dates >= np.datetime64(spec.since, "D")
            dates, level = dates[recent], level[recent]
            volume = volume[recent] if volume is not None else None
        ok = np.isfinite(level) & (level > 0)
        if (~ok).any():
            notes.append(f"{spec.node} ({ident}): dropped {int((~ok).sum())} rows <= 0")
        dates, level = dates[ok], level[ok]
        if volume is not None:
            volume = volume[ok]
        if level.size < 3:
            continue
        ret = np.diff(np.log(level))
        jump = np.abs(ret) > math.log(SPLIT_RATIO)
        if jump.any():
            notes.append(
                f"{spec.node} ({ident}): excluded {int(jump.sum())} split-like returns "
                f"({', '.join(str(d) for d in dates[1:][jump][:3])})"
            )
        keep = ~jump
        return _Series(
            spec.node,
            f"{kind}:{ident}",
            dates[1:][keep],
            dates[:-1][keep],
            ret[keep],
            level,
            volume,
            spec,
        )
    notes.append(f"{spec.node}: none of {[c[1] for c in spec.candidates]} is in the store")
    return None


def _driver_sums(node: _Series, driver: _Series) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Sum of driver log returns over each node interval (see the module docstring)."""
    cum = np.concatenate([[0.0], np.cumsum(driver.ret)])
    dd = driver.dates
    side: Any = "left" if node.spec.closes_before_us else "right"
    lo = np.searchsorted(dd, node.prev, side=side)
    hi = np.searchsorted(dd, node.dates, side=side)
    sums = cum[hi] - cum[lo]
    has = hi > lo
    # only intervals inside the driver's history, and not spanning more than a week
    inside = (node.prev >= driver.prev[0]) & (node.dates <= dd[-1])
    short = (node.dates - node.prev) <= np.timedelta64(7, "D")
    return sums, has & inside & short


def _span(d: NDArray[np.datetime64]) -> tuple[str, str]:
    return (str(d.min()), str(d.max())) if d.size else ("", "")


def calibrate(
    store: Store,
    *,
    nodes: Sequence[NodeSpec] | None = None,
    drivers: Sequence[str] = ("NDX", "SOX"),
    big_drop: float = 0.03,
) -> Calibration:
    """Derive the parameters from whatever history the store holds.

    Raises
    ------
    GaemiInputError
        If no driver series is in the store (nothing can be calibrated).
    """
    from scipy import stats

    if not 0 < big_drop < 1:
        raise GaemiInputError(f"big_drop = {big_drop!r} must be a fraction in (0, 1)")
    specs = list(nodes) if nodes is not None else load_node_specs()
    notes: list[str] = []
    series: dict[str, _Series] = {}
    for spec in specs:
        s = _load_series(store, spec, notes)
        if s is not None:
            series[spec.node] = s
    if not any(d in series for d in drivers):
        raise GaemiInputError(
            f"no driver series ({', '.join(drivers)}) in the store: import e.g. QQQ and SOXX "
            "prices first"
        )
    params: list[Param] = []
    for node, s in series.items():
        a, b = _span(s.dates)
        ppy = s.spec.periods_per_year
        params.append(
            Param(
                f"vol_annual.{node}",
                float(np.std(s.ret, ddof=1) * math.sqrt(ppy)),
                int(s.ret.size),
                a,
                b,
                f"std of daily log returns x sqrt({ppy}), {s.source}",
            )
        )
        if s.ret.size >= 250:
            z = (s.ret - s.ret.mean()) / s.ret.std(ddof=1)
            df_t, _, _ = stats.t.fit(z, floc=0.0)
            params.append(
                Param(
                    f"tail_df.{node}",
                    float(df_t),
                    int(z.size),
                    a,
                    b,
                    f"Student-t fit (loc 0) to standardised daily log returns, {s.source}",
                )
            )
        if s.volume is not None and s.volume.size:
            tail = slice(-ADV_WINDOW, None)
            traded = s.volume if s.spec.volume_is_value else s.close * s.volume
            adv = float(np.mean(traded[tail]))
            d_all = np.concatenate([s.prev[:1], s.dates])
            ta, tb = _span(d_all[tail])
            params.append(
                Param(
                    f"adv_value.{node}",
                    adv,
                    int(min(ADV_WINDOW, s.volume.size)),
                    ta,
                    tb,
                    f"mean daily traded value, last {ADV_WINDOW} rows, {s.source} "
                    "(quote currency of the series)",
                )
            )
    threshold = math.log1p(-big_drop)
    for drv in drivers:
        if drv not in series:
            continue
        dser = series[drv]
        for node, s in series.items():
            if node in drivers and node == drv:
                continue
            x, ok = _driver_sums(s, dser)
            y = s.ret[ok]
            x = x[ok]
            if x.size < 30:
                notes.append(f"{node} vs {drv}: {x.size} paired days, too few for a beta")
                continue
            a, b = _span(s.dates[ok])
            slope = float(np.polyfit(x, y, 1)[0])
            corr = float(np.corrcoef(x, y)[0, 1])
            params.append(
                Param(f"beta.{node}.{drv}", slope, int(x.size), a, b, "OLS slope, log returns")
            )
            params.append(
                Param(f"corr.{node}.{drv}", corr, int(x.size), a, b, "Pearson, log returns")
            )
            big = x < threshold
            if big.sum() >= 5:
                da, db = _span(s.dates[ok][big])
                resp = float(np.expm1(y[big]).mean())
                move = float(np.expm1(x[big]).mean())
                params.append(
                    Param(
                        f"drop_response.{node}.{drv}",
                        resp,
                        int(big.sum()),
                        da,
                        db,
                        f"mean simple move when {drv} fell more than {big_drop:.0%}",
                    )
                )
                params.append(
                    Param(
                        f"drop_beta.{node}.{drv}",
                        resp / move,
                        int(big.sum()),
                        da,
                        db,
                        f"mean move / mean {drv} move on its <-{big_drop:.0%} days",
                    )
                )
    for sid in ("DEXKOUS", "KR10Y", "US10Y"):
        m = store.macro_series(sid)
        if not m.empty:
            d = str(m["date"].iloc[-1])
            params.append(
                Param(f"level.{sid}", float(m["value"].iloc[-1]), 1, d, d, "latest stored value")
            )
    return Calibration(tuple(params), tuple(notes), {k: v.source for k, v in series.items()})


def save_calibration(store: Store, cal: Calibration) -> None:
    """Replace the store's calibration table with ``cal`` (one transaction)."""
    now = datetime.now(UTC)
    with store.transaction() as con:
        con.execute("DELETE FROM calibration")
        for p in cal.params:
            con.execute(
                "INSERT INTO calibration VALUES (?, ?, ?, CAST(? AS DATE), CAST(? AS DATE), ?, ?)",
                [p.name, p.value, p.n, p.start or None, p.end or None, p.method, now],
            )


def calibration_to_yaml(cal: Calibration, *, header: str) -> str:
    """The YAML text of the embedded default (values rounded to 10 significant digits)."""
    import yaml

    doc = {
        "note": header,
        "sources": dict(sorted(cal.sources.items())),
        "notes": list(cal.notes),
        "params": {
            p.name: {
                "value": float(f"{p.value:.10g}"),
                "n": p.n,
                "start": p.start,
                "end": p.end,
                "method": p.method,
            }
            for p in cal.params
        },
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def load_default_calibration() -> Calibration:
    """The parameters derived from ../shared/data, shipped as package data."""
    import yaml

    p = Path(str(resources.files("gaemi.data.defaults").joinpath(DEFAULT_RESOURCE)))
    doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    params = tuple(
        Param(name, float(v["value"]), int(v["n"]), str(v["start"]), str(v["end"]), v["method"])
        for name, v in (doc.get("params") or {}).items()
    )
    return Calibration(params, tuple(doc.get("notes") or ()), dict(doc.get("sources") or {}))
