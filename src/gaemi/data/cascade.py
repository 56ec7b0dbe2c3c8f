"""Cascade scenario files (YAML) → a validated :class:`~gaemi.core.contagion.CascadeModel`.

Loaded with ``yaml.safe_load`` (tags that construct objects are refused); every problem
is one line naming the file and the field. Format (see docs/cascade.md)::

    name: Six-step chain
    horizon_days: 20
    calibration: cascade_calibration.yaml      # resolves `calibrated:` parameters
    nodes:
      NDX: {name: Nasdaq-100, unit: index, change: relative, session: us,
            baseline: 100, bounds: [1, 1000], equity: true,
            close_feedback: {model: linear, params: {...}}}
      VIX: {..., reversion: {calibrated: vix_reversion}}
    edges:
      - {id: ndx_vix, kind: linear, from: NDX, to: VIX, lag: 0,
         beta: {calibrated: vix_on_ndx}, step: "3", source: scripts/calibrate_cascade.py}
    shocks:
      - {node: NDX, day: 0, move: -0.05}
    steps:
      - {id: "1", title: Trigger, claim: ..., events: [shock:NDX]}

A parameter is a number, or ``{value, range: [lo, hi], dist, source}``, or
``{calibrated: KEY}`` (value and range from the calibration file, which may be
overridden).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gaemi.core.contagion.model import (
    AMOUNT_KINDS,
    EDGE_KINDS,
    EDGE_PARAMS,
    PROFILE_PARAMS,
    CascadeModel,
    Edge,
    Expectation,
    FeedbackSpec,
    Node,
    Param,
    Shock,
    Step,
)
from gaemi.errors import GaemiInputError

DEFAULTS = Path(__file__).resolve().parent / "defaults"
DEFAULT_SCENARIO = DEFAULTS / "cascade_default.yaml"

TOP_KEYS = frozenset(
    {
        "name",
        "description",
        "source",
        "horizon_days",
        "calibration",
        "nodes",
        "edges",
        "shocks",
        "steps",
        "residuals",
    }
)
NODE_KEYS = frozenset(
    {
        "name",
        "unit",
        "change",
        "session",
        "baseline",
        "bounds",
        "equity",
        "reversion",
        "close_feedback",
        "source",
        "notes",
    }
)
EDGE_KEYS = frozenset(
    {
        "id",
        "kind",
        "from",
        "to",
        "lag",
        "effects",
        "direction",
        "once",
        "window",
        "cooldown",
        "amount_unit",
        "step",
        "action",
        "holding",
        "conditional",
        "source",
        "notes",
    }
)
PARAM_KEYS = frozenset({"value", "range", "dist", "source", "calibrated", "notes"})
DISTS = ("fixed", "uniform", "triangular", "loguniform")


def _num(where: str, value: Any) -> float:
    if isinstance(value, bool):
        raise GaemiInputError(f"{where} = {value!r} is not a number")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise GaemiInputError(f"{where} = {value!r} is not a number") from None
    if not math.isfinite(out):
        raise GaemiInputError(f"{where} = {value!r} must be finite")
    return out


def _int(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise GaemiInputError(f"{where} = {value!r} must be a whole number")
    return int(value)


def _map(where: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise GaemiInputError(f"{where}: expected a mapping")
    return value


def _unknown(where: str, data: Mapping[str, Any], known: frozenset[str]) -> None:
    extra = sorted(set(map(str, data)) - known)
    if extra:
        raise GaemiInputError(
            f"{where}: unknown field {extra[0]!r} (known: {', '.join(sorted(known))})"
        )


class _Loader:
    def __init__(self, src: str, calibration: Mapping[str, Any]) -> None:
        self.src = src
        self.cal = calibration

    def param(self, where: str, value: Any, source: str = "") -> Param:
        if not isinstance(value, Mapping):
            return Param(_num(where, value), source=source)
        _unknown(where, value, PARAM_KEYS)
        src = str(value.get("source", source))
        center: float | None = None
        rng: Any = value.get("range")
        if "calibrated" in value:
            key = str(value["calibrated"])
            if key not in self.cal:
                raise GaemiInputError(
                    f"{where}: calibrated = {key!r} is not in the calibration file"
                )
            entry = self.cal[key]
            center = _num(f"{where} (calibration {key})", entry["value"])
            if rng is None and "range" in entry:
                rng = entry["range"]
            if "source" not in value:
                src = f"calibration {key}: {entry.get('what', '')}, {entry.get('window', '')}"
        if "value" in value:
            center = _num(f"{where}.value", value["value"])
        if center is None:
            raise GaemiInputError(f"{where}: needs a value (or calibrated: KEY)")
        lo = hi = None
        if rng is not None:
            if not isinstance(rng, list | tuple) or len(rng) != 2:
                raise GaemiInputError(f"{where}.range must be [low, high]")
            lo, hi = _num(f"{where}.range low", rng[0]), _num(f"{where}.range high", rng[1])
            if lo > hi:
                raise GaemiInputError(f"{where}.range [{lo:g}, {hi:g}] must have low <= high")
        dist = str(value.get("dist", "uniform" if rng is not None else "fixed"))
        if dist not in DISTS:
            raise GaemiInputError(f"{where}.dist = {dist!r} must be one of {', '.join(DISTS)}")
        try:
            return Param(center, lo, hi, dist, src)  # type: ignore[arg-type]
        except GaemiInputError as exc:
            raise GaemiInputError(f"{where}: {exc}") from None

    def node(self, nid: str, data: Any) -> Node:
        where = f"nodes.{nid}"
        d = _map(where, data)
        _unknown(where, d, NODE_KEYS)
        for k in ("unit", "change", "session", "baseline", "bounds"):
            if k not in d:
                raise GaemiInputError(f"{where}: missing field {k!r}")
        change = str(d["change"])
        if change not in ("relative", "absolute"):
            raise GaemiInputError(f"{where}.change = {change!r} must be relative or absolute")
        b = d["bounds"]
        if not isinstance(b, list | tuple) or len(b) != 2:
            raise GaemiInputError(f"{where}.bounds must be [lower, upper]")
        src = str(d.get("source", ""))
        fb = None
        if d.get("close_feedback") is not None:
            f = _map(f"{where}.close_feedback", d["close_feedback"])
            _unknown(
                f"{where}.close_feedback", f, frozenset({"model", "params", "source", "notes"})
            )
            fsrc = str(f.get("source", src))
            params = _map(f"{where}.close_feedback.params", f.get("params", {}))
            fb = FeedbackSpec(
                str(f.get("model", "linear")),
                {
                    str(k): self.param(f"{where}.close_feedback.params.{k}", v, fsrc)
                    for k, v in params.items()
                },
                fsrc,
            )
        rev = d.get("reversion")
        return Node(
            id=nid,
            name=str(d.get("name", nid)),
            unit=str(d["unit"]),
            change=change,  # type: ignore[arg-type]
            session=str(d["session"]),  # type: ignore[arg-type]
            baseline=_num(f"{where}.baseline", d["baseline"]),
            lower=_num(f"{where}.bounds lower", b[0]),
            upper=_num(f"{where}.bounds upper", b[1]),
            equity=bool(d.get("equity", False)),
            reversion=None if rev is None else self.param(f"{where}.reversion", rev, src),
            close_feedback=fb,
            source=src,
        )

    def edge(self, k: int, data: Any) -> Edge:
        d = _map(f"edges[{k}]", data)
        eid = str(d.get("id", f"edge{k}"))
        where = f"edges.{eid}"
        kind = str(d.get("kind", ""))
        if kind not in EDGE_KINDS:
            raise GaemiInputError(f"{where}.kind = {kind!r} must be one of {', '.join(EDGE_KINDS)}")
        allowed = EDGE_KEYS | frozenset(EDGE_PARAMS[kind])
        if kind == "linear":
            allowed |= frozenset(PROFILE_PARAMS)
        _unknown(where, d, allowed)
        for key in ("from", "to"):
            if key not in d:
                raise GaemiInputError(f"{where}: missing field {key!r}")
        to = d["to"]
        targets = tuple(str(t) for t in (to if isinstance(to, list | tuple) else [to]))
        src = str(d.get("source", ""))
        if not src:
            raise GaemiInputError(
                f"{where}: every edge needs a source (where its numbers come from)"
            )
        params = {p: self.param(f"{where}.{p}", d[p], src) for p in EDGE_PARAMS[kind] if p in d}
        if kind == "linear":
            params.update(self.profile(where, d, src))
        effects: dict[str, Param] = {}
        if kind in AMOUNT_KINDS:
            eff = _map(f"{where}.effects", d.get("effects", {}))
            effects = {str(t): self.param(f"{where}.effects.{t}", v, src) for t, v in eff.items()}
        direction = str(d.get("direction", "below"))
        if direction not in ("below", "above"):
            raise GaemiInputError(f"{where}.direction = {direction!r} must be below or above")
        return Edge(
            id=eid,
            kind=kind,  # type: ignore[arg-type]
            source=str(d["from"]),
            targets=targets,
            lag=_int(f"{where}.lag", d.get("lag", 0)),
            params=params,
            effects=effects,
            direction=direction,  # type: ignore[arg-type]
            once=bool(d.get("once", True)),
            window=_int(f"{where}.window", d.get("window", 1)),
            cooldown=_int(f"{where}.cooldown", d.get("cooldown", 1)),
            amount_unit=str(d.get("amount_unit", "")),
            step=str(d.get("step", "")),
            action=str(d.get("action", f"{d['from']} → {', '.join(targets)}")),
            source_ref=src,
            holding=str(d.get("holding", "")),
            conditional=bool(d.get("conditional", False)),
        )

    def profile(self, where: str, d: Mapping[str, Any], src: str) -> dict[str, Param]:
        """``beta_k`` of a linear edge: given ones, else the calibrated beta's profile
        (value ± 2 standard errors, uniform)."""
        given = {p: self.param(f"{where}.{p}", d[p], src) for p in PROFILE_PARAMS if p in d}
        b = d.get("beta")
        if given or not isinstance(b, Mapping) or "calibrated" not in b:
            return given
        entry = self.cal.get(str(b["calibrated"]), {})
        prof = entry.get("profile") or []
        ses = entry.get("profile_se") or [0.0] * len(prof)
        if len(prof) > len(PROFILE_PARAMS) or len(ses) != len(prof):
            raise GaemiInputError(f"{where}: calibrated profile needs <= 20 betas, each with se")
        key = str(b["calibrated"])
        out = {}
        for k, (v, se) in enumerate(zip(prof, ses, strict=True), start=1):
            v = _num(f"{where}.beta_{k} (calibration {key})", v)
            se = abs(_num(f"{where}.beta_{k} se (calibration {key})", se))
            out[f"beta_{k}"] = Param(
                v,
                v - 2 * se,
                v + 2 * se,
                "uniform" if se > 0 else "fixed",
                f"calibration {key}: {entry.get('what', '')}, {entry.get('window', '')}",
            )
        return out

    def shock(self, k: int, data: Any) -> Shock:
        where = f"shocks[{k}]"
        d = _map(where, data)
        _unknown(where, d, frozenset({"node", "day", "move", "source"}))
        if "node" not in d or "move" not in d:
            raise GaemiInputError(f"{where}: needs node and move")
        return Shock(
            str(d["node"]),
            _int(f"{where}.day", d.get("day", 0)),
            _num(f"{where}.move", d["move"]),
            str(d.get("source", "")),
        )

    def step(self, k: int, data: Any) -> Step:
        d = _map(f"steps[{k}]", data)
        sid = str(d.get("id", k + 1))
        where = f"steps.{sid}"
        _unknown(where, d, frozenset({"id", "title", "claim", "events", "expect", "notes"}))
        exp = []
        for j, x in enumerate(d.get("expect", []) or []):
            xd = _map(f"{where}.expect[{j}]", x)
            _unknown(f"{where}.expect[{j}]", xd, frozenset({"node", "edge", "direction", "text"}))
            direction = str(xd.get("direction", "down"))
            if direction not in ("up", "down"):
                raise GaemiInputError(
                    f"{where}.expect[{j}].direction = {direction!r} must be up or down"
                )
            exp.append(
                Expectation(
                    str(xd.get("node", "")),
                    str(xd.get("edge", "")),
                    direction,  # type: ignore[arg-type]
                    str(xd.get("text", "")),
                )
            )
        return Step(
            sid,
            str(d.get("title", "")),
            str(d.get("claim", "")),
            tuple(str(e) for e in d.get("events", []) or []),
            tuple(exp),
            str(d.get("notes", "")),
        )


def cascade_from_dict(
    data: Any,
    src: str = "scenario",
    calibration: Mapping[str, Any] | None = None,
    residuals: Mapping[str, Any] | None = None,
) -> CascadeModel:
    """Validate a parsed scenario document (``calibration``: the ``edges`` mapping of a
    calibration file, for ``calibrated:`` parameters; ``residuals``: node id → events x
    days residual table, see :func:`load_residuals`)."""
    try:
        return _build(data, src, calibration or {}, residuals or {})
    except GaemiInputError as exc:
        msg = str(exc)
        raise GaemiInputError(msg if msg.startswith(f"{src}:") else f"{src}: {msg}") from None


def _build(
    data: Any, src: str, calibration: Mapping[str, Any], residuals: Mapping[str, Any]
) -> CascadeModel:
    import dataclasses

    d = _map("top level", data)
    _unknown("top level", d, TOP_KEYS)
    ld = _Loader(src, calibration)
    nodes_raw = _map("nodes", d.get("nodes"))
    nodes = tuple(ld.node(str(k), v) for k, v in nodes_raw.items())
    label = str(residuals.get("_source", "residuals"))
    scaling: Mapping[str, tuple[float, float, tuple[float, ...]]] = residuals.get("_scaling") or {}
    nodes = tuple(
        dataclasses.replace(
            n,
            residual=residuals[n.id],
            residual_source=label,
            residual_vol=scaling[n.id][0] if n.id in scaling else None,
            residual_scale=scaling[n.id][1] if n.id in scaling else 1.0,
            residual_scale_sessions=scaling[n.id][2] if n.id in scaling else (),
        )
        if n.id in residuals
        else n
        for n in nodes
    )
    edges_raw = d.get("edges", []) or []
    if not isinstance(edges_raw, list):
        raise GaemiInputError("edges: expected a list")
    edges = tuple(ld.edge(k, e) for k, e in enumerate(edges_raw))
    shocks = tuple(ld.shock(k, s) for k, s in enumerate(d.get("shocks", []) or []))
    steps = tuple(ld.step(k, s) for k, s in enumerate(d.get("steps", []) or []))
    return CascadeModel(
        name=str(d.get("name", src)),
        nodes=nodes,
        edges=edges,
        shocks=shocks,
        horizon_days=_int("horizon_days", d.get("horizon_days", 20)),
        steps=steps,
        description=str(d.get("description", "")),
    )


def read_yaml(path: Path) -> Any:
    """``yaml.safe_load`` of a file with one-line errors (tags that build objects refused)."""
    from gaemi.data.yamlio import read_yaml as read

    return read(path)


def load_calibration(path: Path) -> dict[str, Any]:
    """The ``edges`` entries of a calibration file written by scripts/calibrate_cascade.py."""
    doc = read_yaml(path)
    if not isinstance(doc, Mapping) or not isinstance(doc.get("edges"), Mapping):
        raise GaemiInputError(f"{path.name}: calibration file needs an 'edges' mapping")
    return dict(doc["edges"])


def load_residual_scaling(path: Path) -> dict[str, tuple[float, float, tuple[float, ...]]]:
    """Node id → (realised daily volatility at the scenario's date, width multiplier,
    multipliers by session after the shock) of the ``residual_scaling`` entry of a
    calibration file (empty when it has none: its residuals are then in change units).
    See scripts/calibrate_cascade.py."""
    doc = read_yaml(path)
    sc = doc.get("residual_scaling") if isinstance(doc, Mapping) else None
    if not sc:
        return {}
    nodes = sc.get("nodes") if isinstance(sc, Mapping) else None
    if not isinstance(nodes, Mapping):
        raise GaemiInputError(f"{path.name}: residual_scaling needs a 'nodes' mapping")
    out: dict[str, tuple[float, float, tuple[float, ...]]] = {}
    for nid, v in nodes.items():
        try:
            ses = tuple(float(x) for x in v.get("scale_sessions", []) or [])
            out[str(nid)] = (float(v["vol"]), float(v["scale"]), ses)
        except (KeyError, TypeError, ValueError):
            raise GaemiInputError(
                f"{path.name}: residual_scaling.nodes.{nid} needs numbers 'vol' and 'scale'"
            ) from None
    return out


def load_residuals(path: Path) -> dict[str, Any]:
    """The residual table written by scripts/calibrate_cascade.py (CSV: ``event, day``
    then one column per node; ``#`` lines are comments) as node id → array
    (events x days). ``_source`` names the file and its events."""
    import csv

    import numpy as np

    rows: list[list[str]] = []
    with path.open(encoding="utf-8") as fh:
        reader = csv.reader(line for line in fh if not line.startswith("#"))
        header = next(reader, None)
        rows = [r for r in reader if r]
    if not header or header[:2] != ["event", "day"] or len(header) < 3:
        raise GaemiInputError(f"{path.name}: residual file needs columns event, day, NODE...")
    events = list(dict.fromkeys(r[0] for r in rows))
    days = max((int(r[1]) for r in rows), default=-1) + 1
    if len(rows) != len(events) * days:
        raise GaemiInputError(f"{path.name}: every event needs days 0..{days - 1}")
    try:
        vals = np.array([[float(x) for x in r[2:]] for r in rows], dtype=np.float64)
    except ValueError as exc:
        raise GaemiInputError(f"{path.name}: {exc}") from None
    cube = vals.reshape(len(events), days, len(header) - 2)
    out: dict[str, Any] = {n: cube[:, :, j].copy() for j, n in enumerate(header[2:])}
    out["_source"] = f"{path.name}: {len(events)} days {events[0]}..{events[-1]}"
    out["_events"] = events
    return out


def _beside(p: Path, name: str, what: str) -> Path:
    cp = p.parent / name
    if not cp.is_file():
        cp = DEFAULTS / name
    if not cp.is_file():
        raise GaemiInputError(f"{p.name}: {what} = {name!r} not found")
    return cp


def load_cascade(path: str | Path | None = None) -> CascadeModel:
    """Read and validate a cascade scenario (the default six-step chain when None)."""
    p = DEFAULT_SCENARIO if path is None else Path(path)
    data = read_yaml(p)
    cal: dict[str, Any] = {}
    res: dict[str, Any] = {}
    scaling: dict[str, tuple[float, float, tuple[float, ...]]] = {}
    if isinstance(data, Mapping) and data.get("calibration"):
        cal_path = _beside(p, str(data["calibration"]), "calibration")
        cal = load_calibration(cal_path)
        scaling = load_residual_scaling(cal_path)
    if isinstance(data, Mapping) and data.get("residuals"):
        res = load_residuals(_beside(p, str(data["residuals"]), "residuals"))
        if scaling:
            res["_scaling"] = scaling
    return cascade_from_dict(data, p.name, cal, res)


# ----------------------------------------------------------------------------- engine hook
class EngineFeedbackModels(dict[str, Any]):
    """The close-liquidity engine's hooks (``node:ID`` → factory) and ``spx_beta``: the
    stress scenario's beta to the S&P 500 of every underlying, which turns on the
    market-wide level-3 circuit breaker in :func:`gaemi.core.contagion.simulate` (one
    rule with ``gaemi stress``, :mod:`gaemi.core.contagion.breaker`)."""

    spx_beta: dict[str, float]


def stress_spx_betas(stress: Any = None) -> dict[str, float]:
    """Underlying id → its beta to the S&P 500 in the stress scenario (default scenario
    when None): the mapping behind every halt level (−20 % × beta)."""
    from gaemi.data.stress import load_default_stress

    sc = stress if stress is not None else load_default_stress()
    return {uid: float(sc.liquidity(uid).spx_beta) for uid in sc.underlyings}


def engine_feedback_models(
    model: CascadeModel, stress: Any = None, universe: Any = None
) -> dict[str, Any]:
    """Close-feedback hooks from the close-liquidity engine (:mod:`gaemi.core.feedback`)
    for every equity node that the stress scenario has liquidity for (NDX, SOX …).

    Each hook solves r = r₀ + I(Σ flows(r)) exactly with the stress scenario's
    participants (LETF rebalancing, dealer gamma, stop-losses, Korean margin sellers,
    retail redemptions) and impact. The node's sampled ``korean_aum_usd`` scales the
    Korean-held participants per draw (margin sellers, redemptions) and adds
    ``korean_multiplier`` × (korean_aum_usd − today's Korean AUM) to the LETF K — extra
    Korean money is extra fund AUM, as in the linear hook. The scenario's own impact
    parameters are not used by these hooks (the stress scenario's liquidity is).

    Returns a mapping ``node:ID`` → factory for :func:`gaemi.core.contagion.simulate`
    whose ``spx_beta`` (the stress scenario's betas) turns on the market-wide level-3
    circuit breaker there: when the session's implied S&P 500 move reaches −20 %, every
    US equity node halts (:mod:`gaemi.core.contagion.breaker`).
    """
    from dataclasses import replace

    import numpy as np

    from gaemi.core.contagion.hooks import CloseOutcome
    from gaemi.core.feedback import StressModel, solve
    from gaemi.data.stress import build_stress_model, korean_long_aum, load_default_stress
    from gaemi.data.universe import load_default_universe

    sc = stress if stress is not None else load_default_stress()
    uni = universe if universe is not None else load_default_universe()
    out = EngineFeedbackModels()
    out.spx_beta = stress_spx_betas(sc)
    for n in model.nodes:
        if n.close_feedback is None or n.id.upper() not in sc.underlyings:
            continue
        base = build_stress_model(sc, uni, n.id)
        kor0, _ = korean_long_aum(uni, n.id)

        def factory(p: Mapping[str, Any], base: StressModel = base, kor0: float = kor0) -> Any:
            a_kr = np.atleast_1d(np.asarray(p.get("korean_aum_usd", [kor0]), dtype=float))
            mult = np.atleast_1d(np.asarray(p.get("korean_multiplier", [6.0]), dtype=float))
            f = a_kr / kor0 if kor0 > 0 else np.ones_like(a_kr)
            parts: list[Any] = []
            for q in base.participants:
                x: Any = q
                if x.name == "letf_rebalancing":
                    x = replace(x, k_usd=x.k_usd + mult * (a_kr - kor0))
                elif x.name == "margin_calls":
                    x = replace(x, position_usd=x.position_usd * f)
                elif x.name == "retail_redemptions":
                    x = replace(x, aum_usd=x.aum_usd * f)
                parts.append(x)
            sm = replace(base, participants=tuple(parts))
            names = tuple(q.name for q in parts)

            def hook(move_frac: Any) -> CloseOutcome:
                r0 = np.clip(np.asarray(move_frac, dtype=float), -0.99, 1.0)
                res = solve(sm, r0)
                r = res.final_move_frac
                kor_flow = mult * a_kr * r
                for k in ("margin_calls", "retail_redemptions"):
                    if k in res.flow_usd:
                        kor_flow = kor_flow + res.flow_usd[k]
                return CloseOutcome(
                    move_frac=r,
                    flow_usd=res.total_flow_usd,
                    korean_flow_usd=np.broadcast_to(kor_flow, r.shape),
                    stable=~res.runaway,
                    participants=names,
                    # a level-3 halt as gaemi stress reports it (issue 18): the close is the
                    # halt level, the pre-close move stops there, the rest is unfilled
                    halted=res.halted,
                    pre_close_move_frac=res.effective_shock_frac,
                    filled_usd=res.filled_usd,
                    unfilled_usd=res.unfilled_usd,
                    # the flow whose impact is a move (a close the halt stops part-way)
                    flow_for_move=lambda mv: np.reshape(
                        sm.impact.flow_for_move(np.asarray(mv, dtype=float)[:, None]), -1
                    ),
                )

            return hook

        out[f"node:{n.id}"] = factory
    return out
