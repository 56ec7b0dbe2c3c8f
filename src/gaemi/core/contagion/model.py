"""The contagion graph: nodes, typed edges, shocks and uncertain parameters (validated).

A :class:`CascadeModel` is built once, checked in its constructor (unknown nodes,
negative lags, cycles with no lag, thresholds outside the source's bounds, a same-day
edge from the US close into the earlier Asian session) and then run any number of times
by :func:`gaemi.core.contagion.engine.simulate`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

from gaemi.errors import GaemiInputError

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

Dist = Literal["fixed", "uniform", "triangular", "loguniform"]
ChangeKind = Literal["relative", "absolute"]
Session = Literal["asia", "us", "global"]
EdgeKind = Literal["linear", "saturation", "threshold", "policy", "rebalance", "margin_call"]
EDGE_KINDS: tuple[str, ...] = get_args(EdgeKind)

#: Order of the sessions inside one day: Seoul/Tokyo trade before New York closes;
#: round-the-clock markets (crypto) are updated last.
SESSION_RANK: dict[str, int] = {"asia": 0, "us": 1, "global": 2}

#: Numeric parameters each edge kind needs (all may carry ranges).
EDGE_PARAMS: dict[str, tuple[str, ...]] = {
    "linear": ("beta",),
    "saturation": ("beta", "cap"),
    "threshold": ("level", "impact"),
    "policy": ("level", "speed", "step"),
    "rebalance": ("weight", "target", "band", "aum"),
    "margin_call": ("loan", "maintenance", "ratio_lo", "ratio_hi", "beta", "sale_frac"),
}
#: Kinds whose effect is an amount (USD, KRW …) times a coefficient per target node.
AMOUNT_KINDS = frozenset({"rebalance", "margin_call"})
#: A linear edge may spread its response over later sessions: ``beta_1`` … ``beta_20``
#: (the source's change on day t moves the target by beta_k x change on day t + lag + k).
MAX_PROFILE = 20
PROFILE_PARAMS: tuple[str, ...] = tuple(f"beta_{k}" for k in range(1, MAX_PROFILE + 1))


@dataclass(frozen=True)
class Param:
    """An uncertain parameter: central value, range, distribution and source.

    ``fixed`` (or ``lo == hi``) always gives ``value``; ``uniform`` and ``loguniform``
    draw on [lo, hi]; ``triangular`` has its mode at ``value``.
    """

    value: float
    lo: float | None = None
    hi: float | None = None
    dist: Dist = "fixed"
    source: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise GaemiInputError(f"parameter value = {self.value!r} must be finite")
        lo, hi = self.bounds
        if not lo <= self.value <= hi:
            raise GaemiInputError(
                f"parameter value = {self.value:g} is outside range [{lo:g}, {hi:g}]"
            )
        if self.dist == "loguniform" and (lo <= 0 or hi <= 0):
            if lo < 0 and hi < 0:
                return
            raise GaemiInputError(f"loguniform range [{lo:g}, {hi:g}] must not contain 0")

    @property
    def bounds(self) -> tuple[float, float]:
        lo = self.value if self.lo is None else self.lo
        hi = self.value if self.hi is None else self.hi
        return float(lo), float(hi)

    @property
    def collapsed(self) -> bool:
        lo, hi = self.bounds
        return self.dist == "fixed" or lo == hi

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        """``n`` draws (the central value repeated when the range is collapsed)."""
        if self.collapsed:
            return np.full(n, self.value)
        lo, hi = self.bounds
        if self.dist == "uniform":
            return rng.uniform(lo, hi, n)
        if self.dist == "triangular":
            return rng.triangular(lo, self.value, hi, n)
        sign = -1.0 if hi < 0 else 1.0  # loguniform on a negative range: mirror it
        a, b = sorted((abs(lo), abs(hi)))
        return sign * np.exp(rng.uniform(math.log(a), math.log(b), n))


@dataclass(frozen=True)
class FeedbackSpec:
    """Close-feedback model of an equity node: a model name and its parameters."""

    model: str
    params: Mapping[str, Param]
    source: str = ""


@dataclass(frozen=True)
class Node:
    """A market node (NDX, USD/KRW, BoK rate …).

    ``change`` says how a day's change is measured: ``relative`` (a decimal fraction of
    the level, e.g. an index return) or ``absolute`` (in the node's unit, e.g. percentage
    points for a rate). ``reversion`` is the daily fraction of the deviation from the
    baseline that decays (log-deviation for relative nodes). ``residual`` holds the
    node's measured "other news" after historical stress days (see
    :func:`gaemi.core.contagion.engine.simulate`).
    """

    id: str
    name: str
    unit: str
    change: ChangeKind
    session: Session
    baseline: float
    lower: float
    upper: float
    equity: bool = False
    reversion: Param | None = None
    close_feedback: FeedbackSpec | None = None
    source: str = ""
    #: Measured residual paths (n_events x n_days, the node's change unit) of the days
    #: after historical stress events, one row per event; row k of every node is the
    #: same event (a Monte Carlo draw takes one event for all nodes). None: no residual.
    residual: FloatArray | None = field(default=None, compare=False, repr=False)
    residual_source: str = ""
    #: When set, ``residual`` holds standardised residuals (each event's path divided by
    #: the node's realised daily volatility before that event) and a draw's residual is
    #: ``residual * residual_vol * residual_scale``: ``residual_vol`` is the node's
    #: realised daily volatility (change units per session) known at the shock — the
    #: regime the scenario is run in. None: ``residual`` is in change units as it is.
    residual_vol: float | None = None
    #: Width multiplier of the residuals, chosen by block cross-validation inside the fit
    #: window (scripts/calibrate_cascade.py); 1 = the measured residuals as they are.
    residual_scale: float = 1.0
    #: Further multipliers by session after the shock: entry k-1 for the node's k-th
    #: session with a residual (its first session after the shock is 1), the last entry
    #: for every later session; empty = 1 throughout.
    residual_scale_sessions: tuple[float, ...] = ()

    @property
    def change_unit(self) -> str:
        """Unit of the node's changes: ``frac`` (a decimal fraction of the level) for a
        relative node; ``pp`` (percentage points) for an absolute node quoted in percent
        (a rate or yield); the node's own unit for any other absolute node."""
        if self.change == "relative":
            return "frac"
        return "pp" if self.unit.strip().lower() in PERCENT_UNITS else self.unit


#: Node units that mean "a rate in percent": their absolute changes are percentage points.
PERCENT_UNITS = frozenset({"percent", "%", "pct", "per cent"})


@dataclass(frozen=True)
class Edge:
    """A typed edge from ``source`` to one or more target nodes.

    Kinds (contribution to the target's change on day t + lag):

    * ``linear``: beta · (source change on day t).
    * ``saturation``: cap · tanh(beta · x / cap) — linear for small x, at most ±cap.
    * ``threshold``: ``impact`` when the source level is beyond ``level`` (``direction``
      ``below`` or ``above``); once per run when ``once``.
    * ``policy``: a reaction rule — ``step`` when the source level is beyond ``level``
      *and* its change over ``window`` days is beyond ``speed``, at most once every
      ``cooldown`` days (e.g. a 25 bp hike when the won weakens past a level at a speed).
    * ``rebalance``: a fund holding ``weight`` of ``aum`` in the source asset (the other
      sleeves flat) trades back to ``target`` when the weight leaves ``target ± band``;
      the trade (+ = buying the source asset) times each ``effects`` coefficient.
    * ``margin_call``: loans ``loan`` whose initial collateral ratios are spread
      uniformly on [ratio_lo, ratio_hi]; collateral moves ``beta`` × the source's
      cumulative change; accounts below ``maintenance`` sell ``sale_frac`` of their
      collateral, ``lag`` days later; the sale (a positive amount) times each
      ``effects`` coefficient.

    ``holding`` names what a rebalance edge's ``weight`` is the weight of (e.g. "GPIF's
    foreign-equity sleeve"), for the diagnostics; the source node's id when empty.

    A ``conditional`` edge (linear, lag 0) is the reverse direction of a two-way link
    (SOX → NDX beside NDX → SOX): it acts only on a day its source is shocked and its
    target is not, so that a shock given on either node reaches the other.
    """

    id: str
    kind: EdgeKind
    source: str
    targets: tuple[str, ...]
    lag: int
    params: Mapping[str, Param]
    effects: Mapping[str, Param] = field(default_factory=dict)
    direction: Literal["below", "above"] = "below"
    once: bool = True
    window: int = 1
    cooldown: int = 1
    amount_unit: str = ""
    step: str = ""
    action: str = ""
    source_ref: str = ""
    holding: str = ""
    conditional: bool = False

    @property
    def span(self) -> int:
        """The last day offset the edge reaches: lag plus its longest ``beta_k``."""
        ks = [int(k[5:]) for k in self.params if k.startswith("beta_") and k[5:].isdigit()]
        return self.lag + max(ks, default=0)


@dataclass(frozen=True)
class Shock:
    """A node's move on a day (before that day's close feedback).

    The shock is the node's whole move that session: what the links would have brought
    the node that day is replaced by it (a realised or assumed move already contains
    them). Several shocks of one node on one day add up."""

    node: str
    day: int
    move: float
    source: str = ""


@dataclass(frozen=True)
class Expectation:
    """What a step of the narrative claims: a node moves in a direction, or a rule
    fires with an amount of a sign."""

    node: str = ""
    edge: str = ""
    direction: Literal["up", "down"] = "down"
    text: str = ""


@dataclass(frozen=True)
class Step:
    """One step of a narrative (the research note's table): which events realise it."""

    id: str
    title: str
    claim: str
    events: tuple[str, ...]
    expect: tuple[Expectation, ...] = ()
    note: str = ""


@dataclass(frozen=True, eq=False)
class CascadeModel:
    """A validated contagion graph (frozen; build once, run many times).

    Raises
    ------
    GaemiInputError
        One line naming the bad field: unknown node, duplicate id, negative lag, a cycle
        whose edges all have lag 0, a threshold outside the source's bounds, a lag-0
        edge from a US node into an Asian node (Seoul trades before New York closes).
    """

    name: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    shocks: tuple[Shock, ...]
    horizon_days: int
    steps: tuple[Step, ...] = ()
    description: str = ""
    order: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        ids = [n.id for n in self.nodes]
        if not ids:
            raise GaemiInputError("nodes: a scenario needs at least one node")
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise GaemiInputError(f"nodes: duplicate id {dup[0]!r}")
        if self.horizon_days < 1:
            raise GaemiInputError(f"horizon_days = {self.horizon_days} must be >= 1")
        known = set(ids)
        for n in self.nodes:
            _check_node(n)
        eids = [e.id for e in self.edges]
        dup = sorted({i for i in eids if eids.count(i) > 1})
        if dup:
            raise GaemiInputError(f"edges: duplicate id {dup[0]!r}")
        sizes = {n.residual.shape[0] for n in self.nodes if n.residual is not None}
        if len(sizes) > 1:
            raise GaemiInputError(
                f"nodes: residual tables have different event counts {sorted(sizes)} "
                "(row k of every node must be the same historical event)"
            )
        by_id = {n.id: n for n in self.nodes}
        for e in self.edges:
            _check_edge(e, known, by_id)
        for s in self.shocks:
            if s.node not in known:
                raise GaemiInputError(f"shocks: node = {s.node!r} is not a node")
            if not 0 <= s.day < self.horizon_days:
                raise GaemiInputError(
                    f"shocks: day = {s.day} for {s.node} must be in [0, {self.horizon_days - 1}]"
                )
            if not math.isfinite(s.move):
                raise GaemiInputError(f"shocks: move = {s.move!r} for {s.node} must be finite")
        events = set(self.event_names())
        for st in self.steps:
            for ev in st.events:
                if ev not in events:
                    raise GaemiInputError(
                        f"steps.{st.id}: event {ev!r} is not an edge, feedback or shock"
                    )
            for x in st.expect:
                if x.node and x.node not in known:
                    raise GaemiInputError(f"steps.{st.id}: expect node {x.node!r} is not a node")
                if x.edge and x.edge not in set(eids):
                    raise GaemiInputError(f"steps.{st.id}: expect edge {x.edge!r} is not an edge")
        object.__setattr__(self, "order", _day_order(self.nodes, self.edges))

    # ------------------------------------------------------------ lookups
    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes)

    def index(self, node_id: str) -> int:
        try:
            return self.node_ids.index(node_id)
        except ValueError:
            raise GaemiInputError(f"node = {node_id!r} is not in the scenario") from None

    def node(self, node_id: str) -> Node:
        return self.nodes[self.index(node_id)]

    def edge(self, edge_id: str) -> Edge:
        for e in self.edges:
            if e.id == edge_id:
                return e
        raise GaemiInputError(f"edge = {edge_id!r} is not in the scenario")

    @property
    def max_lag(self) -> int:
        return max((e.span for e in self.edges), default=0)

    def event_names(self) -> list[str]:
        """Names events are logged under: edge ids, ``feedback:NODE``, ``shock:NODE``."""
        out = [e.id for e in self.edges]
        out += [f"feedback:{n.id}" for n in self.nodes if n.close_feedback is not None]
        out += [f"shock:{n.id}" for n in self.nodes]  # any node may be shocked
        return out

    def parameters(self) -> dict[tuple[str, str], Param]:
        """Every parameter by (owner, name): owner is an edge id, ``node:ID`` (reversion),
        ``feedback:ID`` (close feedback) or ``effect:EDGE`` (name = target node)."""
        out: dict[tuple[str, str], Param] = {}
        for n in self.nodes:
            if n.reversion is not None:
                out[(f"node:{n.id}", "reversion")] = n.reversion
            if n.close_feedback is not None:
                for k, p in n.close_feedback.params.items():
                    out[(f"feedback:{n.id}", k)] = p
        for e in self.edges:
            for k, p in e.params.items():
                out[(e.id, k)] = p
            for k, p in e.effects.items():
                out[(f"effect:{e.id}", k)] = p
        return out

    def with_shocks(self, shocks: Sequence[Shock]) -> CascadeModel:
        """The same graph with other initial shocks."""
        return CascadeModel(
            self.name,
            self.nodes,
            self.edges,
            tuple(shocks),
            self.horizon_days,
            self.steps,
            self.description,
        )

    def with_korean_aum(self, total_usd: float) -> CascadeModel:
        """The same graph with the close-feedback Korean AUM of the equity nodes scaled so
        that the central values total ``total_usd`` (each node keeps its share; ranges are
        scaled alike). The what-if of ``gaemi flows --korean-aum``.
        """
        if not math.isfinite(total_usd) or total_usd < 0:
            raise GaemiInputError(f"korean_aum_usd = {total_usd!r} must be a number >= 0")
        base = sum(
            n.close_feedback.params["korean_aum_usd"].value
            for n in self.nodes
            if n.close_feedback is not None and "korean_aum_usd" in n.close_feedback.params
        )
        if base <= 0:
            raise GaemiInputError(
                "korean_aum_usd: the scenario's close-feedback nodes hold no Korean AUM to scale"
            )
        f = total_usd / base
        nodes = []
        for n in self.nodes:
            fb = n.close_feedback
            if fb is not None and "korean_aum_usd" in fb.params:
                p = fb.params["korean_aum_usd"]
                q = replace(
                    p,
                    value=p.value * f,
                    lo=None if p.lo is None else p.lo * f,
                    hi=None if p.hi is None else p.hi * f,
                    source=f"{p.source} (scaled x{f:.3g}: Korean AUM what-if)",
                )
                n = replace(
                    n, close_feedback=replace(fb, params={**fb.params, "korean_aum_usd": q})
                )
            nodes.append(n)
        return CascadeModel(
            self.name,
            tuple(nodes),
            self.edges,
            self.shocks,
            self.horizon_days,
            self.steps,
            self.description,
        )

    def with_horizon(self, horizon_days: int) -> CascadeModel:
        return CascadeModel(
            self.name,
            self.nodes,
            self.edges,
            self.shocks,
            horizon_days,
            self.steps,
            self.description,
        )


def _check_node(n: Node) -> None:
    where = f"nodes.{n.id}"
    for name, v in (("baseline", n.baseline), ("bounds lower", n.lower), ("bounds upper", n.upper)):
        if not math.isfinite(v):
            raise GaemiInputError(f"{where}: {name} = {v!r} must be finite")
    if not n.lower < n.upper:
        raise GaemiInputError(f"{where}: bounds [{n.lower:g}, {n.upper:g}] must have lower < upper")
    if not n.lower <= n.baseline <= n.upper:
        raise GaemiInputError(
            f"{where}: baseline = {n.baseline:g} is outside bounds [{n.lower:g}, {n.upper:g}]"
        )
    if n.change == "relative" and n.baseline <= 0:
        raise GaemiInputError(f"{where}: baseline = {n.baseline:g} must be > 0 for relative change")
    if n.session not in SESSION_RANK:
        raise GaemiInputError(f"{where}: session = {n.session!r} must be asia, us or global")
    if n.reversion is not None and not 0 <= n.reversion.bounds[0] <= n.reversion.bounds[1] <= 1:
        raise GaemiInputError(f"{where}: reversion range {n.reversion.bounds} must lie in [0, 1]")
    if n.residual is not None:
        r = np.asarray(n.residual)
        if r.ndim != 2 or r.shape[0] < 1 or r.shape[1] < 1:
            raise GaemiInputError(f"{where}: residual must be a non-empty events x days table")
        if not np.isfinite(r).all():
            raise GaemiInputError(f"{where}: residual has a missing or infinite value")
    if n.residual_vol is not None and not (math.isfinite(n.residual_vol) and n.residual_vol > 0):
        raise GaemiInputError(f"{where}: residual_vol = {n.residual_vol!r} must be > 0")
    if not (math.isfinite(n.residual_scale) and n.residual_scale >= 0):
        raise GaemiInputError(f"{where}: residual_scale = {n.residual_scale!r} must be >= 0")
    if not all(math.isfinite(x) and x >= 0 for x in n.residual_scale_sessions):
        raise GaemiInputError(
            f"{where}: residual_scale_sessions = {n.residual_scale_sessions!r} must be >= 0"
        )


def _check_edge(e: Edge, known: set[str], by_id: Mapping[str, Node]) -> None:
    where = f"edges.{e.id}"
    if e.kind not in EDGE_KINDS:
        raise GaemiInputError(f"{where}: kind = {e.kind!r} must be one of {', '.join(EDGE_KINDS)}")
    if e.source not in known:
        raise GaemiInputError(f"{where}: from = {e.source!r} is not a node")
    if not e.targets:
        raise GaemiInputError(f"{where}: needs a target node")
    for t in e.targets:
        if t not in known:
            raise GaemiInputError(f"{where}: to = {t!r} is not a node")
    if e.lag < 0:
        raise GaemiInputError(f"{where}: lag = {e.lag} must be >= 0 (days)")
    missing = [p for p in EDGE_PARAMS[e.kind] if p not in e.params]
    if missing:
        raise GaemiInputError(f"{where}: {e.kind} edge needs parameter {missing[0]!r}")
    extra = sorted(set(e.params) - set(EDGE_PARAMS[e.kind]))
    if e.kind == "linear":
        extra = [k for k in extra if k not in PROFILE_PARAMS]
    if extra:
        raise GaemiInputError(f"{where}: {e.kind} edge has no parameter {extra[0]!r}")
    if e.conditional and (e.kind != "linear" or e.lag != 0 or e.span != 0):
        raise GaemiInputError(
            f"{where}: a conditional edge must be linear with lag 0 and no beta_k profile"
        )
    if e.kind in AMOUNT_KINDS and set(e.effects) != set(e.targets):
        raise GaemiInputError(f"{where}: effects must name every target node")
    src = by_id[e.source]
    if e.lag == 0:
        for t in e.targets:
            if SESSION_RANK[src.session] > SESSION_RANK[by_id[t].session]:
                raise GaemiInputError(
                    f"{where}: lag = 0 from {e.source} ({src.session} session) into {t} "
                    f"({by_id[t].session} session) runs backwards in the day: use lag >= 1"
                )
    if e.kind in ("threshold", "policy"):
        lo, hi = e.params["level"].bounds
        if lo < src.lower or hi > src.upper:
            raise GaemiInputError(
                f"{where}: threshold level range [{lo:g}, {hi:g}] is outside the bounds of "
                f"{e.source} [{src.lower:g}, {src.upper:g}]"
            )
        if e.direction not in ("below", "above"):
            raise GaemiInputError(f"{where}: direction = {e.direction!r} must be below or above")
    if e.kind == "policy" and (e.window < 1 or e.cooldown < 1):
        raise GaemiInputError(f"{where}: window and cooldown must be >= 1 day")
    if e.kind == "rebalance":
        if src.change != "relative":
            raise GaemiInputError(f"{where}: rebalance source {e.source} must have relative change")
        for name in ("weight", "target", "band"):
            lo, hi = e.params[name].bounds
            if not 0 <= lo <= hi <= 1:
                raise GaemiInputError(f"{where}: {name} range [{lo:g}, {hi:g}] must lie in [0, 1]")
    if e.kind == "margin_call":
        if src.change != "relative":
            raise GaemiInputError(
                f"{where}: margin_call source {e.source} must have relative change"
            )
        if e.params["maintenance"].bounds[0] < 1:
            raise GaemiInputError(
                f"{where}: maintenance = {e.params['maintenance'].value:g} must be >= 1"
            )
        if e.params["ratio_lo"].bounds[1] >= e.params["ratio_hi"].bounds[0]:
            raise GaemiInputError(f"{where}: ratio_lo must be below ratio_hi")


def shock_day_order(
    nodes: Sequence[Node], edges: Sequence[Edge], pinned: frozenset[str]
) -> tuple[int, ...]:
    """Order of node updates on a day when the nodes ``pinned`` are shocked: edges into
    a shocked node carry nothing that day (the shock replaces them), and a conditional
    edge acts when its source is shocked and its target is not.

    Raises on a cycle left with no lag (one line naming the nodes).
    """
    used = []
    for e in edges:
        targets = tuple(t for t in e.targets if t not in pinned)
        if not targets:
            continue
        if e.conditional:
            if e.source not in pinned:
                continue
            e = replace(e, conditional=False, targets=targets)
        else:
            e = replace(e, targets=targets)
        used.append(e)
    return _day_order(nodes, used)


def _day_order(nodes: Sequence[Node], edges: Sequence[Edge]) -> tuple[int, ...]:
    """Order of node updates inside a day: a topological order of the lag-0 edges,
    Asian session first, then US, then round-the-clock, declaration order on ties.

    Raises on a cycle whose edges all have lag 0 (it has no defined order in a day).
    """
    idx = {n.id: i for i, n in enumerate(nodes)}
    n = len(nodes)
    succ: list[set[int]] = [set() for _ in range(n)]
    indeg = [0] * n
    for e in edges:
        if e.lag != 0 or e.conditional:
            continue
        s = idx[e.source]
        for t in e.targets:
            j = idx[t]
            if j == s:
                raise GaemiInputError(f"edges.{e.id}: a self-loop needs lag >= 1")
            if j not in succ[s]:
                succ[s].add(j)
                indeg[j] += 1
    ready = [i for i in range(n) if indeg[i] == 0]
    order: list[int] = []
    while ready:
        ready.sort(key=lambda i: (SESSION_RANK[nodes[i].session], i))
        i = ready.pop(0)
        order.append(i)
        for j in sorted(succ[i]):
            indeg[j] -= 1
            if indeg[j] == 0:
                ready.append(j)
    if len(order) < n:
        stuck = [nodes[i].id for i in range(n) if i not in order]
        raise GaemiInputError(
            f"edges: cycle with no lag among {', '.join(stuck)} (give one edge lag >= 1)"
        )
    return tuple(order)
