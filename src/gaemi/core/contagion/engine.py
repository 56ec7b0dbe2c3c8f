"""Day stepping of a contagion graph, vectorised over Monte Carlo draws.

Order inside day t (fixed, documented): nodes are updated in the model's day order
(a topological order of the lag-0 edges; Asian session, then US, then round-the-clock;
on a shock day, edges into a shocked node are dropped and conditional edges out of it
added). For each node: (1) the impulses that edges scheduled for day t are summed and
mean reversion towards the baseline is added — or, on a day the node is shocked, the
shock replaces both (a shock is the node's whole move that session), (2) an equity
node's close-feedback hook maps that pre-close move to the closing move (not called on a
day when every draw's pre-close move is exactly 0: a hook maps 0 to 0) — where the
hook reports a level-3 circuit-breaker halt (the close-liquidity engine), the close is
the halt level, the pre-close move stops there (a shock row's impact is the move as the
market saw it, as ``gaemi stress`` reports it; a move the links carried past the halt is
logged as ``halt:<node>``) and the close-feedback row's amount is only the flow that
traded before the halt, the rest being ``unfilled_usd``; with ``spx_beta`` (the
close-liquidity engine's hooks carry it) the halt is market-wide
(:mod:`gaemi.core.contagion.breaker`, NYSE Rule 7.12): the shocks of a day's US
session, given together, halt it when their implied S&P 500 move reaches −20 % (each
scaled to that −20 %), a US equity node whose pre-close move or close reaches its halt
level (−20 % × beta) halts it too, and after the trigger no US equity node runs its
close (it stops at its pre-close move, never past its halt level). The closes of a
session are one auction, so when a node stepped LATER in the day order triggers the halt
(its close, its pre-close move or its residual reaches its halt level after an earlier
node has closed), the session is re-solved from its start as halted, per draw, as
:func:`gaemi.app.stress.stress_session` does: the node that triggered runs its close
(and residual) as before and ends at its halt level, every other US equity node stops at
its pre-close move with no close and no residual (its close flow unfilled), and the links
carry those moves. Where the trigger node no longer reaches its halt level without the
earlier nodes' closes (its move came through a link from them), the session halts
part-way through those closes: every earlier node stops at the same fraction of its
close move (then of its residual, when the trigger needs that too) at which the trigger
just reaches its halt level, found per draw by regula falsi on the session's margin to
its trigger (exact in one step when the links are linear; :func:`simulate`); such a
node's close row has the flow that moved it that far as its amount (the hook's
``flow_for_move``, the inverse of its impact) and the rest of its close flow as
``unfilled_usd``. The halted session is then consistent: its implied S&P 500 move is
−20 %, no US equity node below its halt level, all halted together, nothing traded
after the trigger. (3) in a Monte Carlo run, the node's measured residual for
that day after the shock is added (see below), (4) the level is updated and clipped to
the node's bounds, (5) every edge leaving the node is evaluated on the new level/change
and schedules its contribution for day t + lag (and t + lag + k for a ``beta_k``
profile). Every rule that fires is logged with its amount and impact.

Residuals ("other news"). A node with a ``residual`` table (events x days, measured by
scripts/calibrate_cascade.py on the days after historical stress events, fit window only)
gets, in each Monte Carlo draw, the row of one event drawn at random — the same event for
every node, so the residuals keep their cross-correlation, fat tails and volatility
clustering. The tables start on a US stress day (column 0: the Asian session before it
and the US stress day). Column 0 is the first shock day t0 when that shock is in New York
(or later); a node whose session comes before the earliest shocked node's session on t0
(Seoul before a New York shock) starts on day t0 + 1. When the first shock is in the
Asian session, t0 is column 1 for every node (the session after a stress day). A
shocked node gets no residual on its shock day; with no shock, or a
draw whose shocks on t0 are all exactly zero, nothing is drawn (nothing moves). A node
with ``residual_vol`` holds standardised residuals (each event's path divided by the
node's realised volatility before that event): its draw is the table's value times
``residual_vol`` (the node's realised volatility before this shock) times
``residual_scale`` times ``residual_scale_sessions[k - 1]`` on the node's k-th session
after the shock (its first session with a residual is 1; the last entry repeats). The
default residuals are those of large down days (QQQ <= -2.5 % or SOXX <= -3.75 %),
whatever the size of the shock given: for a small shock the bands are those of such a
day. Residuals move the node like any other change, so they pass along the edges; the
central run (``deterministic``) has none.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gaemi.core.contagion.breaker import (
    HALT_TOL,
    halt_level_frac,
    stop_at_trigger,
    us_equity_betas,
)
from gaemi.core.contagion.hooks import (
    CloseFeedback,
    CloseOutcome,
    FeedbackFactory,
    feedback_factory,
)
from gaemi.core.contagion.model import (
    SESSION_RANK,
    BoolArray,
    CascadeModel,
    Edge,
    FloatArray,
    Node,
    shock_day_order,
)
from gaemi.core.contagion.result import CascadeResult, Event, ParamKey
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    pass

IntArray = NDArray[np.int64]
#: Default quantiles of the Monte Carlo bands.
BANDS: tuple[float, ...] = (0.05, 0.5, 0.95)
#: At most this many re-solves of halted sessions (each fixes at least one session of
#: one draw; a run needs one, or two when a halt needs another node's close).
MAX_RESOLVE_PASSES = 8
#: At most this many trial runs of the search for where a halt that needs an earlier
#: node's close stops it (regula falsi on an affine margin needs one).
MAX_SEARCH_STEPS = 60


# ------------------------------------------------------------------ parameters
def sample_parameters(
    model: CascadeModel, n_draws: int, rng: object = None, *, deterministic: bool = False
) -> dict[ParamKey, FloatArray]:
    """Every parameter of the model as an array of ``n_draws`` (central values when
    ``deterministic``). Draws are made in the model's parameter order, so the same seed
    gives the same numbers."""
    if n_draws < 1:
        raise GaemiInputError(f"draws = {n_draws} must be >= 1")
    gen = np.random.default_rng(rng)  # type: ignore[arg-type]
    out: dict[ParamKey, FloatArray] = {}
    for key, p in model.parameters().items():
        out[key] = np.full(n_draws, p.value) if deterministic else p.sample(gen, n_draws)
    return out


# ------------------------------------------------------------------ the run
def simulate(
    model: CascadeModel,
    n_draws: int = 1,
    rng: object = None,
    *,
    deterministic: bool = False,
    params: Mapping[ParamKey, ArrayLike] | None = None,
    shock_scale: ArrayLike | None = None,
    quantiles: tuple[float, ...] = BANDS,
    keep_paths: bool | None = None,
    log_tol: float = 1e-7,
    log_events: bool = True,
    progress: Callable[[int, int], None] | None = None,
    feedback_models: Mapping[str, FeedbackFactory] | None = None,
    residuals: bool = True,
    residual_event: ArrayLike | None = None,
    spx_beta: Mapping[str, float] | None = None,
) -> CascadeResult:
    """Run the cascade over ``model.horizon_days`` days for ``n_draws`` parameter draws.

    Parameters
    ----------
    model : CascadeModel
    n_draws : int
        Monte Carlo draws (ignored when ``params`` or ``shock_scale`` fix the count).
    rng : seed or Generator
        Anything ``numpy.random.default_rng`` accepts; same seed, same result.
    deterministic : bool
        Every parameter at its central value (ranges ignored).
    params : mapping (owner, name) → array, optional
        Overrides for sampled parameters (keys as in ``CascadeModel.parameters``).
    shock_scale : array_like, optional
        Per-draw multiplier of every initial shock (fuse search, reverse stress).
    keep_paths : bool, optional
        Keep every draw's path (default: when n_draws <= 2000).
    log_tol : float
        A linear edge is logged when its contribution exceeds this (target units).
    progress : callable(done_days, total_days), optional
    feedback_models : mapping, optional
        Close-feedback factories that replace the registered ones: keyed by model name,
        or ``node:ID`` for one node (e.g. the full close-liquidity engine on NDX).
    residuals : bool
        Draw the nodes' measured residuals (a random historical event per draw) in a
        run that is not ``deterministic`` (default True). The bands then hold parameter
        uncertainty plus the measured "other news"; False gives parameter uncertainty
        only.
    residual_event : array_like of int, optional
        The historical event (row of the residual tables) of each draw, instead of
        drawing them (replays a draw of an earlier run: ``result.residual_event``);
        applied even when ``deterministic``.
    spx_beta : mapping node id → float, optional
        Turns on the market-wide level-3 circuit breaker
        (:mod:`gaemi.core.contagion.breaker`) with these betas to the S&P 500 (a US
        equity node missing from it: 1). Default: the ``spx_beta`` attribute of
        ``feedback_models`` (the close-liquidity engine's hooks carry the stress
        scenario's betas), else no breaker.

    Returns
    -------
    CascadeResult
    """
    sizes = {n_draws}
    if shock_scale is not None:
        sizes.add(np.atleast_1d(np.asarray(shock_scale)).size)
    for v in (params or {}).values():
        sizes.add(np.atleast_1d(np.asarray(v)).size)
    if residual_event is not None:
        sizes.add(np.atleast_1d(np.asarray(residual_event)).size)
    sizes.discard(1)
    if len(sizes) > 1:
        raise GaemiInputError(f"draw counts disagree: {sorted(sizes)}")
    D = sizes.pop() if sizes else 1
    gen = np.random.default_rng(rng)  # type: ignore[arg-type]
    P = sample_parameters(model, D, gen, deterministic=deterministic)
    n_events = {n.residual.shape[0] for n in model.nodes if n.residual is not None}
    event: IntArray | None = None
    if residual_event is not None:
        if not n_events:
            raise GaemiInputError("residual_event: the scenario has no residual tables")
        event = np.broadcast_to(np.asarray(residual_event, dtype=np.int64), (D,)).copy()
        top = next(iter(n_events))
        if event.min() < 0 or event.max() >= top:
            raise GaemiInputError(f"residual_event must lie in [0, {top - 1}]")
    elif residuals and not deterministic and n_events:
        event = gen.integers(0, n_events.pop(), D)
    for k, v in (params or {}).items():
        if k not in P:
            raise GaemiInputError(f"parameter {k[0]}.{k[1]} is not in the scenario")
        P[k] = np.broadcast_to(np.asarray(v, dtype=np.float64), (D,)).copy()
    scale = (
        np.ones(D)
        if shock_scale is None
        else np.broadcast_to(np.asarray(shock_scale, dtype=np.float64), (D,))
    )
    if spx_beta is None:
        spx_beta = getattr(feedback_models, "spx_beta", None)
    beta = us_equity_betas(model.nodes, None if spx_beta is None else dict(spx_beta))

    zero = np.zeros(D, dtype=np.bool_)
    pre: dict[int, BoolArray] = {}
    trig: dict[tuple[int, int], BoolArray] = {}
    forbid: dict[int, BoolArray] = {}
    frac: dict[int, FloatArray] = {}  # day → how far the stopped nodes got (per draw)
    xstar: dict[tuple[int, int], FloatArray] = {}
    searched: dict[int, BoolArray] = {}

    def make(
        pre: dict[int, BoolArray], frac: dict[int, FloatArray], *, trial: bool = False
    ) -> _Run:
        r = _Run(
            model,
            D,
            P,
            scale,
            quantiles,
            False if trial else keep_paths,
            log_tol,
            False if trial else log_events,
            feedback_models,
        )
        r.beta, r.event, r.pre, r.trig1 = beta, event, pre, trig
        r.frac, r.xstar, r.forbid = frac, xstar, forbid
        return r

    def settle(run: _Run, res: CascadeResult) -> tuple[_Run, CascadeResult]:
        """Re-solve from their start the sessions a later node halted, until none is
        left (per draw; see the module docstring)."""
        for _ in range(MAX_RESOLVE_PASSES):
            if not (run.redo or run.undo or run.retrig):
                break
            for t, (m, who) in run.retrig.items():  # the trigger was another node
                for key in [k for k in trig if k[0] == t]:
                    trig[key] = trig[key] & ~m
                for i, x in who.items():
                    trig[(t, i)] = trig.get((t, i), zero) | (x & m)
                searched[t] = searched.get(t, zero) & ~m  # another trigger: search again
            for t, m in run.undo.items():  # no node reached its halt level this way
                forbid[t] = forbid.get(t, zero) | m
                pre[t] = pre[t] & ~m
            for t, (m, who) in run.redo.items():
                m = m & ~forbid.get(t, zero)
                pre[t] = pre.get(t, zero) | m
                for i, x in who.items():
                    trig[(t, i)] = trig.get((t, i), zero) | (x & m)
            run = make(pre, frac)
            res = run.go(None)
        return run, res

    def search(t: int, todo: BoolArray) -> tuple[BoolArray, FloatArray]:
        """The draws of ``todo`` whose day-t trigger needs the earlier nodes' closes:
        how far those closes (and residuals) got when the trigger reached its halt level
        (0-1 of the close, 1-2 of the residual after it), by regula falsi (Illinois,
        with a halving every third step) on the session's margin. Returns the draws
        found and their fraction (the least one found that halts)."""

        def trial(phi: FloatArray) -> tuple[BoolArray, FloatArray]:
            pr = {**pre, t: pre.get(t, zero) | todo}
            fr = {**frac, t: np.where(todo, phi, frac.get(t, np.zeros(D)))}
            r = make(pr, fr, trial=True)
            r.until = t
            r.go(None)
            g = r.margin.get(t, np.full(D, np.inf))
            return todo & ~r.undo.get(t, zero), g

        _, g_lo = trial(np.zeros(D))
        ok1, g1 = trial(np.ones(D))
        ok2, g2 = trial(np.full(D, 2.0)) if (todo & ~ok1).any() else (ok1, g1)
        found = ok1 | ok2
        # regula falsi on the margin shifted by `aim`: it lands inside the halt, within
        # HALT_TOL of the trigger's threshold (a root of the margin itself may round to
        # either side)
        aim, tiny = 0.25 * HALT_TOL, np.finfo(float).tiny
        lo, hi = np.where(ok1, 0.0, 1.0), np.where(ok1, 1.0, 2.0)
        g_hi = np.where(ok1, g1, g2)
        done = ~found | (g_hi >= -2 * aim)
        h_lo = np.maximum(np.where(ok1, g_lo, g1) + aim, tiny)
        h_hi = np.minimum(g_hi + aim, -tiny)
        side = np.zeros(D)
        for k in range(MAX_SEARCH_STEPS):
            if done.all():
                break
            x = lo + (hi - lo) * h_lo / (h_lo - h_hi)
            bad = ~((x > lo) & (x < hi)) | (k % 3 == 2)
            x = np.where(done, hi, np.where(bad, 0.5 * (lo + hi), x))
            ok, g = trial(x)
            up = ~done & ok  # halts: the new upper end
            dn = ~done & ~ok
            h_lo = np.where(up & (side > 0), 0.5 * h_lo, h_lo)  # Illinois
            h_hi = np.where(dn & (side < 0), 0.5 * h_hi, h_hi)
            hi, h_hi = np.where(up, x, hi), np.where(up, np.minimum(g + aim, -tiny), h_hi)
            lo, h_lo = np.where(dn, x, lo), np.where(dn, np.maximum(g + aim, tiny), h_lo)
            side = np.where(up, 1.0, np.where(dn, -1.0, side))
            done |= (up & (g >= -2 * aim)) | (hi - lo <= 1e-15)
        return todo & found, hi

    run = make(pre, frac)
    res = run.go(progress)
    run, res = settle(run, res)
    for _ in range(MAX_RESOLVE_PASSES + model.horizon_days):
        # a halt that needs an earlier node's close: stop that close (and its residual)
        # where the trigger just reaches its halt level, earliest day first
        days = [t for t in sorted(forbid) if (forbid[t] & ~searched.get(t, zero)).any()]
        if not days:
            break
        t = days[0]
        todo = forbid[t] & ~searched.get(t, zero)
        searched[t] = searched.get(t, zero) | todo
        ok, phi = search(t, todo)
        if not ok.any():
            continue
        pre[t] = pre.get(t, zero) | ok
        frac[t] = np.where(ok, phi, frac.get(t, np.zeros(D)))
        forbid[t] = forbid[t] & ~ok
        run = make(pre, frac)
        res = run.go(None)
        run, res = settle(run, res)
    return res


class _Run:
    """State of one run (internal; the public API is :func:`simulate`)."""

    def __init__(
        self,
        model: CascadeModel,
        D: int,
        P: dict[ParamKey, FloatArray],
        scale: FloatArray,
        quantiles: tuple[float, ...],
        keep_paths: bool | None,
        log_tol: float,
        log_events: bool,
        feedback_models: Mapping[str, FeedbackFactory] | None,
    ) -> None:
        self.m, self.D, self.P, self.scale = model, D, P, scale
        self.q = tuple(quantiles)
        self.keep = D <= 2000 if keep_paths is None else keep_paths
        self.tol, self.log = log_tol, log_events
        self.N, self.H = len(model.nodes), model.horizon_days
        self.B = model.max_lag + 1
        self.idx = {n.id: i for i, n in enumerate(model.nodes)}
        self.base = np.array([n.baseline for n in model.nodes])
        self.lo = np.array([n.lower for n in model.nodes])
        self.hi = np.array([n.upper for n in model.nodes])
        self.out_edges: list[list[Edge]] = [[] for _ in range(self.N)]
        for e in model.edges:
            self.out_edges[self.idx[e.source]].append(e)
        self.hooks: dict[int, CloseFeedback] = {}
        for i, n in enumerate(model.nodes):
            if n.close_feedback is not None:
                fb = n.close_feedback
                if feedback_models is not None and f"node:{n.id}" in feedback_models:
                    factory = feedback_models[f"node:{n.id}"]
                elif feedback_models is not None and fb.model in feedback_models:
                    factory = feedback_models[fb.model]
                else:
                    factory = feedback_factory(fb.model)
                self.hooks[i] = factory({k: P[(f"feedback:{n.id}", k)] for k in fb.params})
        self.shocks: dict[tuple[int, int], list[float]] = {}
        for s in model.shocks:
            self.shocks.setdefault((self.idx[s.node], s.day), []).append(s.move)
        # shocked nodes per day, and the day order on those days
        self.pinned: dict[int, frozenset[str]] = {}
        for i, t in self.shocks:
            self.pinned[t] = self.pinned.get(t, frozenset()) | {model.nodes[i].id}
        self.orders = {
            t: shock_day_order(model.nodes, model.edges, ids) for t, ids in self.pinned.items()
        }
        self.t0 = min(self.pinned) if self.pinned else None
        self.rank0 = (
            min(SESSION_RANK[model.node(n).session] for n in self.pinned[self.t0])
            if self.t0 is not None
            else 0
        )
        self.event: IntArray | None = None
        # a draw whose shocks on t0 are all exactly zero has no stress day: no residuals
        self.stressed = np.zeros(D, dtype=bool)
        if self.t0 is not None:
            for (_, t), mvs in self.shocks.items():
                if t == self.t0:
                    for mv in mvs:
                        self.stressed |= mv * scale != 0
        self.window = max([e.window for e in model.edges if e.kind == "policy"], default=1)
        self.events: list[Event] = []
        self.fired: dict[str, BoolArray] = {k: np.zeros(D, dtype=bool) for k in model.event_names()}
        self.contrib: dict[tuple[str, str], float] = {}
        self.state: dict[str, dict[str, FloatArray]] = {}
        self.diag: dict[str, str] = {}
        #: US equity node id → beta to the S&P 500 (the market-wide breaker; empty: off)
        self.beta: dict[str, float] = {}
        #: day → draws whose US session is re-solved as halted from its start, and
        #: (day, node) → the draws in which that node triggered the halt (its close runs)
        self.pre: dict[int, BoolArray] = {}
        self.trig1: dict[tuple[int, int], BoolArray] = {}
        #: day → draws whose halt needs an earlier node's close (searched part-way; else the
        #: day order stands)
        self.forbid: dict[int, BoolArray] = {}
        #: found by this run: day → (draws to re-solve, node → its trigger draws), and
        #: day → re-solved draws in which no node reached its halt level
        self.redo: dict[int, tuple[BoolArray, dict[int, BoolArray]]] = {}
        self.undo: dict[int, BoolArray] = {}
        #: re-solved draws whose halt another node triggered, after a node taken for the
        #: trigger had closed: day → (those draws, node → the draws it triggered)
        self.retrig: dict[int, tuple[BoolArray, dict[int, BoolArray]]] = {}
        #: day → per draw, how far the stopped nodes got before the trigger (searched by
        #: :func:`simulate` where the trigger needs an earlier node's close); found by this
        #: run on those days: the session's margin to its trigger (<= 0: it triggered)
        self.frac: dict[int, FloatArray] = {}
        self.margin: dict[int, FloatArray] = {}
        #: (day, node) → the node's trigger threshold on its pre-close move (shared cache)
        self.xstar: dict[tuple[int, int], FloatArray] = {}
        #: a trial run of that search stops after this day (None: the whole horizon)
        self.until: int | None = None

    def p(self, owner: str, name: str) -> FloatArray:
        return self.P[(owner, name)]

    def _residual(self, t: int, node: Node) -> FloatArray:
        """The node's measured residual on day t of each draw's event (0 outside it),
        counted in its contribution."""
        r = self._residual_value(t, node)
        key = (f"residual:{node.id}", node.id)
        self.contrib[key] = self.contrib.get(key, 0.0) + float(r.mean())
        return r

    def _residual_value(self, t: int, node: Node) -> FloatArray:
        """The node's measured residual on day t of each draw's event (0 outside it)."""
        assert node.residual is not None
        assert self.event is not None
        if self.t0 is None or t < self.t0:
            return np.zeros(self.D)
        tau = t - self.t0
        before = SESSION_RANK[node.session] < self.rank0
        if tau == 0 and before:
            return np.zeros(self.D)  # its session on t0 came before the shock
        session = tau + (0 if before else 1)  # the node's k-th session after the shock
        if self.rank0 == 0:
            # the first shock is in the Asian session: the tables start on a US stress day
            # (row 0: the Asian session before it, the US stress day itself), so the shocked
            # Asian session is their row 1, and so is that day's US session
            tau += 1
        if tau >= node.residual.shape[1]:
            return np.zeros(self.D)
        mult = node.residual_scale * (1.0 if node.residual_vol is None else node.residual_vol)
        by_session = node.residual_scale_sessions
        if by_session:
            mult *= by_session[min(session, len(by_session)) - 1]
        r: FloatArray = np.where(
            self.stressed,
            mult * np.asarray(node.residual[self.event, tau], dtype=np.float64),
            0.0,
        )
        return r

    # -------------------------------------------------------------- logging
    def _note_shocks(
        self,
        t: int,
        node: Node,
        adds: Sequence[FloatArray],
        halted: BoolArray,
        seen: FloatArray,
        raw: FloatArray,
    ) -> None:
        """One event row per shock added to ``node`` on day ``t``, as the market saw it:
        ``raw`` the move the links and shocks gave, ``seen`` the move after the level-3
        halt (a shock beyond the halt stops at the halt level; FeedbackResult.
        effective_shock_frac, as gaemi stress reports it)."""
        kept = np.divide(seen, raw, out=np.ones(len(raw)), where=raw != 0)
        for add in adds:
            self._note(
                t,
                f"shock:{node.id}",
                "shock",
                "",
                node.id,
                node.id,
                _shock_label(node.id, halted & (add != 0) & (seen != raw), seen),
                add != 0,
                add,
                node.change_unit,
                add * kept,
                halted=halted,
            )

    def _note_close(
        self,
        t: int,
        node: Node,
        out: CloseOutcome,
        seen: FloatArray,
        moved: FloatArray,
        halted: BoolArray,
        label: str | None = None,
    ) -> None:
        """The close-feedback row of ``node`` on day ``t``: ``out`` as the market saw it
        (its ``filled_usd`` traded, else all of ``flow_usd``; ``unfilled_usd`` left by a
        halt), the impact the loop's own move from ``seen`` (the pre-close move as the
        market saw it), fired where the pre-close move ``moved`` exceeds the log
        tolerance; ``label``: its text (default :func:`close_flow_label` of ``out``)."""
        unstable = ~np.asarray(out.stable) & ~halted
        self._note(
            t,
            f"feedback:{node.id}",
            "close_feedback",
            "",
            node.id,
            node.id,
            (close_flow_label(node.id, out) if label is None else label)
            + (" (no stable equilibrium in some draws)" if unstable.any() else ""),
            np.abs(moved) > self.tol,
            out.flow_usd if out.filled_usd is None else out.filled_usd,
            "usd",
            out.move_frac - seen,
            halted=halted,
            unfilled=out.unfilled_usd,
        )

    def _note(
        self,
        t: int,
        name: str,
        kind: str,
        step: str,
        source: str,
        target: str,
        action: str,
        fire: BoolArray,
        amount: FloatArray | None,
        amount_unit: str,
        impact: FloatArray,
        *,
        halted: BoolArray | None = None,
        unfilled: FloatArray | None = None,
        contrib: FloatArray | None = None,
    ) -> None:
        if name in self.fired:
            self.fired[name] |= fire
        part = impact if contrib is None else contrib  # the event's impact, or the true one
        self.contrib[(name, target)] = self.contrib.get((name, target), 0.0) + float(
            np.mean(np.where(fire, part, 0.0))
        )
        if not self.log or t >= self.H:
            return
        k = int(fire.sum())
        if k == 0:
            return
        node = self.m.node(target)
        self.events.append(
            Event(
                day=t,
                event=name,
                kind=kind,
                step=step,
                source=source,
                target=target,
                action=action,
                amount=float(np.mean(amount[fire])) if amount is not None else math.nan,
                amount_unit=amount_unit,
                impact=float(np.mean(np.broadcast_to(impact, fire.shape)[fire])),
                impact_unit=node.change_unit,
                prob=k / self.D,
                halted=0.0 if halted is None else float(np.mean(halted[fire])),
                unfilled_usd=(
                    0.0
                    if unfilled is None
                    else float(np.mean(np.broadcast_to(unfilled, fire.shape)[fire])) + 0.0
                ),
            )
        )

    # -------------------------------------------------------------- market-wide breaker
    def _session(self, t: int) -> _Session:
        """Day t's US session before any node moves: the shocks into it, given together,
        halt it when their implied S&P 500 move reaches −20 %; each shocked node's move
        is then stopped at the trigger (scaled, :func:`breaker.stop_at_trigger`)."""
        sess = _Session(np.zeros(self.D, dtype=np.bool_), {}, {}, {})
        if t in self.pre and self.pre[t].any():
            sess.pre = self.pre[t]
            sess.trig1 = {i: m for (d, i), m in self.trig1.items() if d == t}
            sess.frac = self.frac.get(t)
        ids = [i for i, n in enumerate(self.m.nodes) if n.id in self.beta and (i, t) in self.shocks]
        if not ids:
            return sess
        moves = np.stack([sum(mv * self.scale for mv in self.shocks[(i, t)]) for i in ids])
        betas = np.array([self.beta[self.m.nodes[i].id] for i in ids])
        halted, stopped, _ = stop_at_trigger(moves, betas)
        sess.halt |= halted
        for k, i in enumerate(ids):
            sess.stopped[i] = stopped[k]
        return sess

    def _us_node(
        self, t: int, i: int, c: FloatArray, adds: list[FloatArray], shocked: bool, sess: _Session
    ) -> FloatArray:
        """Day t's move of a US equity node under the market-wide breaker (logged).

        The pre-close move stops at the session's trigger (a shock scaled, links stopped
        at the node's own halt level −20 % × beta); a session halted before this node's
        close runs no close (its close flow is left unfilled); a close that reaches the
        halt level halts the session for every node after it."""
        node = self.m.nodes[i]
        D = self.D
        lvl = float(halt_level_frac(self.beta[node.id]))
        raw = c
        pre = sess.stopped[i] if shocked else c
        pre = np.maximum(pre, lvl) + 0.0  # never past the node's own halt level
        before = sess.halt.copy()  # the session halted before this node's close
        stop = sess.stop(i)  # re-solved as halted: no close, stops at its pre-close move
        reach = pre <= lvl + HALT_TOL
        halted_pre = before | stop | reach
        hook = self.hooks.get(i)
        if sess.frac is not None:  # searching the trigger: how far from it is this node
            self._margin(t, i, raw, stop, shocked, sess)
        out = hook(pre) if hook is not None and pre.any() else None  # 0 → no flow
        final = pre
        in_close = np.zeros(D, dtype=np.bool_)
        part_way = np.zeros(D, dtype=np.bool_)  # the close stopped part-way (for its label)
        closed = np.zeros(D, dtype=np.bool_)  # the whole close ran, a later node halted
        if out is not None:
            close = np.maximum(np.broadcast_to(np.asarray(out.move_frac, dtype=float), (D,)), lvl)
            flow = np.broadcast_to(np.asarray(out.flow_usd, dtype=float), (D,))
            f_own = flow if out.filled_usd is None else out.filled_usd
            u_own = np.zeros(D) if out.unfilled_usd is None else out.unfilled_usd
            in_close = ~halted_pre & (close <= lvl + HALT_TOL)
            final = np.where(halted_pre, pre, close) + 0.0
            halted = halted_pre | in_close
            filled = np.where(halted_pre, 0.0, f_own) + 0.0
            unfilled = np.where(halted_pre, flow, u_own) + 0.0
            if sess.frac is not None:  # stopped part-way through its close (the trigger)
                w = np.where(stop & ~before & ~reach, np.minimum(sess.frac, 1.0), 0.0)
                part = w > 0
                if part.any():
                    moved = pre + w * (close - pre)
                    got = _filled_part(out, w, pre, moved, f_own, flow)
                    final = np.where(part, moved, final) + 0.0
                    filled = np.where(part, got, filled) + 0.0
                    unfilled = np.where(part, flow - got, unfilled) + 0.0
                    part_way = part & (w < 1.0)
                    closed = part & (w >= 1.0)
            shown = replace(
                out, move_frac=final, halted=halted, filled_usd=filled, unfilled_usd=unfilled
            )
        halted = halted_pre | in_close
        sess.own[i] = halted
        real = np.where(stop & ~before, reach, halted)  # a re-solve's stop is no trigger
        sess.trigger.setdefault(i, ~before & real)
        sess.halt |= real
        self._note_shocks(t, node, adds, halted, pre, raw)
        cut = pre != raw
        plain = halted & (out is None)  # no close row to say it: the halt row does
        if not shocked and (cut.any() or plain.any()):
            self._note(
                t,
                f"halt:{node.id}",
                "circuit_breaker",
                "",
                node.id,
                node.id,
                _halt_label(node.id, lvl, self.beta[node.id], cut, pre),
                cut | plain,
                raw - pre,  # the move the links carried past the halt level: never traded
                node.change_unit,
                np.zeros(D),  # a halt is no impact (issue 18)
                halted=halted,
                contrib=pre - raw,
            )
        if out is not None:  # the loop's own move: 0 where the session halted before it
            later = [
                self.m.nodes[j].id for j, tr in sorted(sess.trig1.items()) if (tr & closed).any()
            ]
            label = close_flow_label(
                node.id, shown, part_way=part_way, in_close=in_close, closed=closed, halted_at=later
            )
            self._note_close(t, node, shown, pre, pre, halted, label)
        return final

    def _margin(
        self, t: int, i: int, raw: FloatArray, stop: BoolArray, shocked: bool, sess: _Session
    ) -> None:
        """Fold node ``i``'s distance to triggering the halt into day ``t``'s margin:
        its pre-close move ``raw`` minus the most it can be and still trigger (a stopped
        node: its halt level; a node that runs its close and residual:
        :meth:`_xstar`). Continuous in how far the stopped nodes got, so a secant
        search converges on it (<= 0: the session halts)."""
        lvl = float(halt_level_frac(self.beta[self.m.nodes[i].id]))
        m = raw - (lvl + HALT_TOL)
        if sess.pre is not None and (sess.pre & ~stop).any():  # it may trigger: its threshold
            m = np.where(stop, m, raw - self._xstar(t, i, shocked))
        self.margin[t] = np.minimum(self.margin.get(t, np.full(self.D, np.inf)), m)

    def _xstar(self, t: int, i: int, shocked: bool) -> FloatArray:
        """The largest pre-close move at which node ``i`` triggers the halt on day t, per
        draw: it reaches its halt level by the move itself, by its close (the hook) or
        by its close and its residual. The close is monotone in the pre-close move, so
        bisection on [halt level, 0] finds it (48 halvings: below 1e-15)."""
        key = (t, i)
        if key in self.xstar:
            return self.xstar[key]
        node = self.m.nodes[i]
        lvl = float(halt_level_frac(self.beta[node.id]))
        top = lvl + HALT_TOL
        with_r = self.event is not None and node.residual is not None and not shocked
        down = np.minimum(self._residual_value(t, node), 0.0) if with_r else np.zeros(self.D)
        hook = self.hooks.get(i)
        if hook is None:
            xs: FloatArray = top - down
        else:

            def hits(x: FloatArray) -> BoolArray:
                close = np.broadcast_to(np.asarray(hook(x).move_frac, dtype=float), (self.D,))
                out: BoolArray = (x <= top) | (np.maximum(close, lvl) + down <= top)
                return out

            lo, hi = np.full(self.D, lvl), np.zeros(self.D)
            at0 = hits(hi)
            for _ in range(48):
                mid = 0.5 * (lo + hi)
                h = hits(mid)
                lo, hi = np.where(h, mid, lo), np.where(h, hi, mid)
            xs = np.where(at0, 0.0, lo)
        self.xstar[key] = xs
        return xs

    def _residual_halt(
        self, t: int, i: int, c: FloatArray, r: FloatArray, sess: _Session
    ) -> FloatArray:
        """A US equity node's residual under the breaker: none where its session halted
        (nothing trades), and a residual that carries it to its halt level halts it."""
        node = self.m.nodes[i]
        lvl = float(halt_level_frac(self.beta[node.id]))
        blocked = sess.halt | sess.stop(i)
        if sess.frac is None:
            new = np.where(blocked, c, np.maximum(c + r, lvl)) + 0.0
            hit = ~blocked & (c + r <= lvl + HALT_TOL)
        else:  # a stopped node gets the part of its residual before the trigger
            w = np.where(sess.halt, 0.0, np.where(sess.stop(i), np.clip(sess.frac - 1, 0, 1), 1))
            x = c + w * r
            new = np.where(w > 0, np.maximum(x, lvl), c) + 0.0
            hit = (w > 0) & (x <= lvl + HALT_TOL)
        sess.own[i] = sess.own.get(i, np.zeros(self.D, dtype=np.bool_)) | hit
        sess.trigger[i] = sess.trigger.get(i, np.zeros(self.D, dtype=np.bool_)) | hit
        sess.halt |= hit
        key = (f"halt:{node.id}", node.id)
        self.contrib[key] = self.contrib.get(key, 0.0) + float(np.mean(new - (c + r)))
        return new

    def _session_end(self, t: int, sess: _Session, rec: dict[str, NDArray[np.bool_]]) -> None:
        """Mark every US equity node of a halted session halted, and note the draws to run
        again: a node whose close the engine computed before a later node triggered the
        halt (``redo``; until then it keeps that close and gets a ``halt:<node>`` row), a
        re-solved session that did not halt (``undo``) or that another node than the one
        taken for the trigger halted (``retrig``)."""
        if not self.beta:
            return
        for nid in self.beta:
            rec[nid][t] = sess.halt
        zero = np.zeros(self.D, dtype=np.bool_)
        if sess.pre is not None and (sess.pre & ~sess.halt).any():
            self.undo[t] = sess.pre & ~sess.halt
        if not sess.halt.any():
            return
        # node → the draws halted after its own close (a later node triggered the halt)
        late = {nid: sess.halt & ~sess.own.get(self.idx[nid], zero) for nid in self.beta}
        late_any = np.logical_or.reduce(list(late.values()))
        new = late_any & ~self.forbid.get(t, zero)
        if sess.pre is not None:
            new &= ~sess.pre
            bad = late_any & sess.pre
            if bad.any():
                self.retrig[t] = (bad, {i: tr & bad for i, tr in sess.trigger.items()})
        if new.any():
            self.redo[t] = (new, {i: tr & new for i, tr in sess.trigger.items() if tr.any()})
        who = [self.m.nodes[i].id for i, tr in sess.trigger.items() if tr.any()]
        for nid, after in late.items():
            if not after.any():
                continue
            self._note(
                t,
                f"halt:{nid}",
                "circuit_breaker",
                "",
                nid,
                nid,
                f"the level-3 market-wide circuit breaker halted US trading after {nid}'s "
                f"close (triggered by {', '.join(who) or 'another node'} later in the "
                f"session): {nid} trades no more that day",
                after,
                np.zeros(self.D),
                self.m.node(nid).change_unit,
                np.zeros(self.D),
                halted=after,
            )

    # -------------------------------------------------------------- stepping
    def go(self, progress: Callable[[int, int], None] | None) -> CascadeResult:
        N, D, H = self.N, self.D, self.H
        level = np.repeat(self.base[:, None], D, axis=1)
        hist: list[FloatArray] = [level.copy()]  # hist[-k] = level k days back
        impulse = np.zeros((self.B, N, D))
        mean_path = np.empty((N, H + 1))
        band = np.empty((len(self.q), N, H + 1))
        mean_path[:, 0] = self.base
        band[:, :, 0] = self.base[None, :]
        paths = np.empty((N, H + 1, D)) if self.keep else None
        if paths is not None:
            paths[:, 0, :] = level
        lo_lvl, hi_lvl = level.copy(), level.copy()
        halt_rec = {nid: np.zeros((H, D), dtype=np.bool_) for nid in self.beta}
        for t in range(H):
            slot = t % self.B
            sess = self._session(t)
            for i in self.orders.get(t, self.m.order):
                node = self.m.nodes[i]
                shocked = (i, t) in self.shocks
                c = np.zeros(D) if shocked else impulse[slot, i].copy()
                adds = [mv * self.scale for mv in self.shocks.get((i, t), [])]
                for add in adds:
                    c += add
                if node.reversion is not None and not shocked:
                    dev = (
                        np.log(level[i] / node.baseline)
                        if node.change == "relative"
                        else level[i] - node.baseline
                    )
                    rc = -self.p(f"node:{node.id}", "reversion") * dev
                    c += rc
                    self.contrib[(f"reversion:{node.id}", node.id)] = self.contrib.get(
                        (f"reversion:{node.id}", node.id), 0.0
                    ) + float(rc.mean())
                if node.id in self.beta:  # a US equity node under the market-wide breaker
                    c = self._us_node(t, i, c, adds, shocked, sess)
                    out = None
                    halted, seen = sess.own[i], c
                else:
                    out = self.hooks[i](c) if i in self.hooks and c.any() else None  # 0 → no flow
                    halted, seen = _halt_of(out, c)
                # the shock as the market saw it: a shock beyond a level-3 halt stops at the
                # halt level (FeedbackResult.effective_shock_frac, as gaemi stress reports it)
                if node.id not in self.beta:  # a US node's shock rows: _us_node wrote them
                    self._note_shocks(t, node, adds, halted, seen, c)
                capped = seen != c
                if not shocked and capped.any() and node.id not in self.beta:
                    # links carried the pre-close move past the halt level: the breaker
                    # stops it there (what the links moved beyond it never trades)
                    self._note(
                        t,
                        f"halt:{node.id}",
                        "circuit_breaker",
                        "",
                        node.id,
                        node.id,
                        f"the level-3 circuit breaker halts {node.id}: the move the links "
                        "carried past the halt level never trades",
                        capped,
                        seen,
                        node.change_unit,
                        seen - c,
                        halted=halted,
                    )
                if out is not None:  # the loop's own move: 0 when the shock halted
                    self._note_close(t, node, out, seen, c, halted)
                    c = out.move_frac
                if self.event is not None and node.residual is not None and not shocked:
                    r = self._residual(t, node)
                    c = self._residual_halt(t, i, c, r, sess) if node.id in self.beta else c + r
                if node.change == "relative":
                    new = level[i] * (1.0 + np.maximum(c, -0.99))
                else:
                    new = level[i] + c
                clipped = np.clip(new, node.lower, node.upper)
                hit = clipped != new
                if hit.any():
                    self._note(
                        t,
                        f"bound:{node.id}",
                        "bound",
                        "",
                        node.id,
                        node.id,
                        f"{node.id} held at its bound",
                        hit,
                        clipped,
                        node.unit,
                        _delta(node, level[i], clipped) - c,
                    )
                c_real = _delta(node, level[i], clipped)
                prev = level[i].copy()
                level[i] = clipped
                for e in self.out_edges[i]:
                    self._edge(t, e, i, prev, level[i], c_real, hist, impulse)
            impulse[slot] = 0.0
            self._session_end(t, sess, halt_rec)
            if self.until is not None and t >= self.until:
                break  # a trial of the search: only its day matters
            hist.append(level.copy())
            if len(hist) > self.window + 1:
                hist.pop(0)
            mean_path[:, t + 1] = level.mean(axis=1)
            band[:, :, t + 1] = (
                np.quantile(level, self.q, axis=1) if D > 1 else level[:, 0][None, :]
            )
            if paths is not None:
                paths[:, t + 1, :] = level
            np.minimum(lo_lvl, level, out=lo_lvl)
            np.maximum(hi_lvl, level, out=hi_lvl)
            if progress is not None:
                progress(t + 1, H)
        self._diagnose()
        return CascadeResult(
            model=self.m,
            n_draws=D,
            quantiles=self.q,
            mean_path=mean_path,
            band_path=band,
            paths=paths,
            min_level=lo_lvl,
            max_level=hi_lvl,
            final_level=level,
            events=tuple(self.events),
            fired=self.fired,
            contribution=self.contrib,
            diagnostics=self.diag,
            params=self.P,
            residual_event=self.event,
            halted=halt_rec,
        )

    def _push(self, t: int, e: Edge, target: str, contrib: FloatArray, impulse: FloatArray) -> None:
        if t + e.lag < self.H:
            impulse[(t + e.lag) % self.B, self.idx[target]] += contrib

    def _fire(
        self,
        t: int,
        e: Edge,
        target: str,
        contrib: FloatArray,
        impulse: FloatArray,
        action: str,
        fire: BoolArray,
        amount: FloatArray | None,
        amount_unit: str,
    ) -> None:
        """Apply an edge's contribution after its lag and log it (where it fired)."""
        self._push(t, e, target, contrib, impulse)
        self._note(
            t + e.lag,
            e.id,
            e.kind,
            e.step,
            e.source,
            target,
            action,
            fire,
            amount,
            amount_unit,
            contrib,
        )

    def _edge(
        self,
        t: int,
        e: Edge,
        i: int,
        prev: FloatArray,
        lvl: FloatArray,
        c: FloatArray,
        hist: list[FloatArray],
        impulse: FloatArray,
    ) -> None:
        st = self.state.setdefault(e.id, {})
        tgt = e.targets[0]
        if e.kind in ("linear", "saturation"):
            today = self.pinned.get(t, frozenset())
            if e.conditional and (e.source not in today or tgt in today):
                return  # the reverse of a two-way link: only from a shocked source
            if e.lag == 0 and tgt in today:
                return  # the shock is the target's whole move today
            beta = self.p(e.id, "beta")
            if e.kind == "linear":
                contrib = beta * c
                for k in range(1, e.span - e.lag + 1):
                    if f"beta_{k}" in e.params and t + e.lag + k < self.H:
                        later = self.p(e.id, f"beta_{k}") * c
                        impulse[(t + e.lag + k) % self.B, self.idx[tgt]] += later
                        key = (e.id, tgt)
                        self.contrib[key] = self.contrib.get(key, 0.0) + float(later.mean())
            else:
                cap = self.p(e.id, "cap")
                contrib = cap * np.tanh(beta * c / cap)
            self._fire(
                t,
                e,
                tgt,
                contrib,
                impulse,
                e.action or f"{e.source} → {tgt}",
                np.abs(contrib) > self.tol,
                c,
                self.m.node(e.source).change_unit,
            )
            return
        if e.kind == "threshold":
            L = self.p(e.id, "level")
            beyond = lvl < L if e.direction == "below" else lvl > L
            done = st.setdefault("done", np.zeros(self.D))
            fire = beyond & (done == 0) if e.once else beyond
            done[fire] = 1.0
            _track(st, "seen_min", lvl, np.minimum)
            _track(st, "seen_max", lvl, np.maximum)
            contrib = np.where(fire, self.p(e.id, "impact"), 0.0)
            self._fire(
                t,
                e,
                tgt,
                contrib,
                impulse,
                e.action,
                fire,
                lvl,
                self.m.node(e.source).unit,
            )
            return
        if e.kind == "policy":
            L, S = self.p(e.id, "level"), self.p(e.id, "speed")
            back = hist[-e.window] if len(hist) >= e.window else hist[0]
            j = self.idx[e.source]
            src = self.m.nodes[j]
            speed = lvl / back[j] - 1.0 if src.change == "relative" else lvl - back[j]
            last = st.setdefault("last", np.full(self.D, -1e9))
            up = e.direction == "above"
            fire = np.where(up, (lvl > L) & (speed > S), (lvl < L) & (speed < S))
            fire &= (t - last) >= e.cooldown
            last[fire] = t
            _track(st, "seen_max", lvl, np.maximum)
            _track(st, "seen_min", lvl, np.minimum)
            _track(st, "speed_max", speed, np.maximum)
            _track(st, "speed_min", speed, np.minimum)
            contrib = np.where(fire, self.p(e.id, "step"), 0.0)
            self._fire(
                t,
                e,
                tgt,
                contrib,
                impulse,
                e.action,
                fire,
                lvl,
                src.unit,
            )
            return
        if e.kind == "rebalance":
            w = st.setdefault("w", self.p(e.id, "weight").copy())
            V = st.setdefault("V", self.p(e.id, "aum").copy())
            grow = 1.0 + c
            total = w * grow + (1.0 - w)
            w_new = w * grow / total
            V *= total
            target, band = self.p(e.id, "target"), self.p(e.id, "band")
            _track(st, "w_min", w_new, np.minimum)
            _track(st, "w_max", w_new, np.maximum)
            fire = np.abs(w_new - target) > band
            trade = np.where(fire, (target - w_new) * V, 0.0)
            w[:] = np.where(fire, target, w_new)
            for tg in e.targets:
                contrib = self.p(f"effect:{e.id}", tg) * trade
                self._fire(
                    t,
                    e,
                    tg,
                    contrib,
                    impulse,
                    e.action,
                    fire,
                    trade,
                    e.amount_unit,
                )
            return
        # margin_call
        j = self.idx[e.source]
        R = lvl / self.m.nodes[j].baseline - 1.0
        pf = np.maximum(1.0 + self.p(e.id, "beta") * R, 1e-6)
        m_ratio = self.p(e.id, "maintenance")
        rlo, rhi = self.p(e.id, "ratio_lo"), self.p(e.id, "ratio_hi")
        q = np.clip((m_ratio / pf - rlo) / (rhi - rlo), 0.0, 1.0)
        qmax = st.setdefault("qmax", np.zeros(self.D))
        new = np.maximum(q - qmax, 0.0)
        qmax[:] = np.maximum(qmax, q)
        _track(st, "pf_min", pf, np.minimum)
        sale = self.p(e.id, "sale_frac") * m_ratio * self.p(e.id, "loan") * new
        fire = new > 0
        flow = -sale  # + = buying, a forced sale is negative
        for tg in e.targets:
            contrib = self.p(f"effect:{e.id}", tg) * flow
            self._fire(
                t,
                e,
                tg,
                contrib,
                impulse,
                e.action,
                fire,
                flow,
                e.amount_unit,
            )

    def _diagnose(self) -> None:
        """Why each rule edge did or did not fire: ``<edge> did not fire: <what it saw>``
        (means over the draws; ``fired in N% of draws`` in a Monte Carlo run)."""
        for e in self.m.edges:
            st = self.state.get(e.id, {})
            if not st:
                continue
            share = float(self.fired[e.id].mean())
            fired = (
                f"fired in {share:.0%} of draws"
                if self.D > 1
                else ("fired" if share else "did not fire")
            )
            src = self.m.node(e.source)
            if e.kind == "threshold":
                L = float(self.p(e.id, "level").mean())
                up = e.direction == "above"
                seen = float((st["seen_max"] if up else st["seen_min"]).mean())
                side = (
                    ("above" if seen > L else "below") if up else ("below" if seen < L else "above")
                )
                what = (
                    f"{e.source} {'peaked at' if up else 'fell to'} {seen:.4g}, {side} the "
                    f"level {L:.4g} (fires {e.direction} it)"
                )
            elif e.kind == "policy":
                L, S = float(self.p(e.id, "level").mean()), float(self.p(e.id, "speed").mean())
                up = e.direction == "above"
                lv = float((st["seen_max"] if up else st["seen_min"]).mean())
                sp = float((st["speed_max"] if up else st["speed_min"]).mean())
                rel = src.change == "relative"
                what = (
                    f"{e.source} {'peak' if up else 'low'} {lv:.4g} vs level {L:.4g}; fastest "
                    f"{e.window}-day change "
                    + (f"{sp:+.2%} vs speed {S:+.2%}" if rel else f"{sp:+.4g} vs speed {S:+.4g}")
                    + f" (fires when both are {e.direction})"
                )
            elif e.kind == "rebalance":
                tg, b = float(self.p(e.id, "target").mean()), float(self.p(e.id, "band").mean())
                w0 = float(self.p(e.id, "weight").mean())
                lo, hi = float(st["w_min"].mean()), float(st["w_max"].mean())
                end = float(st["w"].mean())
                outside = lo < tg - b or hi > tg + b
                what = (
                    f"{e.holding or 'the weight of ' + e.source} went from {w0:.2%} to "
                    f"{end:.2%} of the fund (lowest {min(lo, w0):.2%}, highest {max(hi, w0):.2%}), "
                    + ("leaving" if outside else "inside")
                    + f" its band {tg - b:.2%}–{tg + b:.2%} ({tg:.2%} ± {b:.2%})"
                )
            else:  # margin_call
                what = (
                    f"collateral value fell to {float(st['pf_min'].mean()):.2%} of its start; "
                    f"share of loans called {float(st['qmax'].mean()):.3%}"
                )
            self.diag[e.id] = f"{e.id} {fired}: {what}"


@dataclass
class _Session:
    """The market-wide breaker's state of one day's US session (per draw)."""

    halt: BoolArray  # the session has halted (so far in the day order)
    stopped: dict[int, FloatArray]  # shocked node → its shock stopped at the trigger
    own: dict[int, BoolArray]  # node → halted at (or before) its own close
    trigger: dict[int, BoolArray]  # node → its move triggered the halt
    #: draws re-solved as halted from the session's start (a later node's close triggered
    #: the halt in an earlier run), and node → the draws in which it was that trigger
    pre: BoolArray | None = None
    trig1: dict[int, BoolArray] = field(default_factory=dict)
    #: per draw, how far a stopped node (``stop``) got before the trigger: 0 at its
    #: pre-close move, 1 after its close, 2 after its close and its residual (None: 0)
    frac: FloatArray | None = None

    def stop(self, i: int) -> BoolArray:
        """Draws in which node ``i`` stops at its pre-close move because the session is
        re-solved as halted and ``i`` is not the node that triggered it."""
        if self.pre is None:
            return np.zeros(self.halt.shape, dtype=np.bool_)
        t = self.trig1.get(i)
        out: BoolArray = self.pre if t is None else self.pre & ~t
        return out


def _halt_label(node_id: str, lvl: float, beta: float, cut: BoolArray, pre: FloatArray) -> str:
    """A ``halt:<node>`` row's text: the market-wide halt, and the move never traded."""
    if cut.any():
        return (
            f"the level-3 circuit breaker halts {node_id} at its halt level {lvl:+.2%} "
            f"(-20% of the S&P 500 x beta {beta:g}): the move the links carried past it "
            "is left unfilled (never traded)"
        )
    return (
        f"the level-3 market-wide circuit breaker halts all US equities: {node_id} stops "
        f"at {float(np.mean(pre)):+.2%} (its move at the trigger)"
    )


def _halt_of(out: CloseOutcome | None, move_frac: FloatArray) -> tuple[BoolArray, FloatArray]:
    """Per draw: did a level-3 circuit breaker halt the close, and the pre-close move as
    the market saw it (``move_frac`` stopped at the halt level; ``move_frac`` itself
    without a halt or without a hook that models the breaker)."""
    n = move_frac.shape
    if out is None or out.halted is None:
        return np.zeros(n, dtype=np.bool_), move_frac
    halted = np.broadcast_to(np.asarray(out.halted, dtype=np.bool_), n)
    if out.pre_close_move_frac is None:
        return halted, move_frac
    pre = np.broadcast_to(np.asarray(out.pre_close_move_frac, dtype=float), n)
    seen: FloatArray = np.where(halted, pre, move_frac) + 0.0  # the hook's own clip is no halt
    return halted, seen


def _filled_part(
    out: CloseOutcome,
    w: FloatArray,
    pre: FloatArray,
    moved: FloatArray,
    filled: FloatArray,
    flow: FloatArray,
) -> FloatArray:
    """The close flow that traded when the close stopped at ``w`` of its move (from
    ``pre`` to ``moved``): the flow whose impact is that move (the hook's
    ``flow_for_move``, else ``w`` of the flow: linear impact), on the flow's side and at
    most all of it; the whole close's ``filled`` at ``w`` >= 1."""
    if out.flow_for_move is not None:
        pushed = np.broadcast_to(np.asarray(out.flow_for_move(moved - pre), dtype=float), w.shape)
    else:
        pushed = w * flow
    part = np.clip(pushed, np.minimum(flow, 0.0), np.maximum(flow, 0.0))
    res: FloatArray = np.where(w >= 1.0, filled, part) + 0.0
    return res


def _shock_label(node_id: str, halted: BoolArray, seen: FloatArray) -> str:
    """The shock row's text: where a level-3 halt stopped the shock itself (``halted``:
    the draws whose shock went past the halt level), says where the move stopped."""
    if not halted.any():
        return f"initial move of {node_id}"
    where = f"{float(np.mean(seen[halted])):+.2%}"
    share = "" if halted.all() else f" in {halted.mean():.0%} of draws"
    return (
        f"initial move of {node_id}; the level-3 circuit breaker halts trading{share}: the "
        f"move stops at the halt level ({where})"
    )


def _delta(node: Node, old: FloatArray, new: FloatArray) -> FloatArray:
    out: FloatArray = new / old - 1.0 if node.change == "relative" else new - old
    return out


def _track(
    st: dict[str, FloatArray],
    key: str,
    x: FloatArray,
    op: Callable[[FloatArray, FloatArray], FloatArray],
) -> None:
    st[key] = op(st[key], x) if key in st else np.array(x, dtype=np.float64, copy=True)


def close_flow_label(
    node_id: str,
    out: CloseOutcome,
    *,
    part_way: BoolArray | None = None,
    in_close: BoolArray | None = None,
    closed: BoolArray | None = None,
    halted_at: Sequence[str] = (),
) -> str:
    """The event text of a close-feedback row: says whose flow the amount is.

    The linear hook's flow is leveraged-fund rebalancing only; the close-liquidity engine's
    is every participant of ``gaemi stress`` (funds, dealer gamma, stops, margin sellers,
    redemptions), so its amount is larger than the funds' own rebalancing at that move.
    Where a level-3 halt stopped the close (``out.halted``), the row says when, per kind of
    halted draw (each with its share of draws in a Monte Carlo that mixes them):

    * ``part_way`` (per draw, optional): the market-wide halt, triggered by a linked node,
      stopped this close part-way: "during the close (a linked node reached its halt
      level)", what traded and what was left unfilled;
    * ``in_close`` (per draw, optional): this node's own close reached its halt level:
      "during its own close", what traded and the rest unfilled. None: the halted draws
      that traded (a hook's own halt within its close);
    * ``closed`` (per draw, optional): the whole close ran and a node stepped later
      (``halted_at``, its ids) halted the session after it: "after a full close", what
      traded, no unfilled clause;
    * the other halted draws: "before the close", nothing traded, all of it unfilled.
    """
    from gaemi.units import format_usd

    kor = f"Korean-held {format_usd(float(out.korean_flow_usd.mean()), signed=True)}"
    who = ", ".join(_PARTICIPANT_WORDS.get(p, p.replace("_", " ")) for p in out.participants)
    halted = np.asarray(out.halted) if out.halted is not None else np.zeros(1, dtype=np.bool_)
    if not (halted.any() and out.filled_usd is not None and out.unfilled_usd is not None):
        if not out.participants:
            return f"leveraged-fund close rebalancing on {node_id} ({kor})"
        return f"close flow of all participants on {node_id} ({who}; {kor})"
    who = who or "leveraged funds"
    h = np.broadcast_to(halted, np.shape(out.move_frac))

    def among(m: BoolArray | None) -> BoolArray:
        got: BoolArray = h & np.broadcast_to(False if m is None else m, h.shape)
        return got

    part = among(part_way)
    full = among(closed) & ~part
    traded = np.broadcast_to(np.asarray(out.filled_usd, dtype=float), h.shape) != 0
    own = (among(in_close) if in_close is not None else h & traded) & ~part & ~full
    kinds = (part, own, h & ~(part | own | full), full)
    cols = (out.move_frac, out.filled_usd, out.unfilled_usd)
    tail = f" (close flow of all participants: {who}; {kor})"
    return _halt_label_of_close(node_id, cols, kinds, halted_at) + tail


def _halt_label_of_close(
    node_id: str,
    cols: tuple[FloatArray, FloatArray, FloatArray],
    kinds: tuple[BoolArray, BoolArray, BoolArray, BoolArray],
    halted_at: Sequence[str],
) -> str:
    """The halt clauses of a close row, one per kind of halted draw that occurs (masks
    ``kinds``: stopped part-way by a linked node's halt, halted during its own close,
    halted before its close, halted after its full close), each with its share of draws
    where the row does not cover every draw. ``cols``: the close's move, filled and
    unfilled flow (per draw); ``halted_at``: the nodes whose halt came after a full close."""
    from gaemi.units import format_usd

    def clause(mask: BoolArray, kind: int) -> str:
        move, filled, unfilled = (
            float(np.mean(np.broadcast_to(c, mask.shape)[mask])) for c in cols
        )
        share = "" if mask.all() else f" in {mask.mean():.0%} of draws"
        side = "selling" if unfilled <= 0 else "buying"
        done = f"{format_usd(filled, signed=True)} traded"
        left = f"{format_usd(abs(unfilled))} of {side} left unfilled"
        if kind == 0:
            why = " (a linked node reached its halt level)"
            return f"during the close{share}{why} at {move:+.2%}: {done}, {left}"
        if kind == 1:
            why = " (its close reached its halt level)"
            return f"during its own close{share}{why} at {move:+.2%}: {done}, {left}"
        if kind == 2:
            return f"before the close{share} at {move:+.2%}: {left}, {done}"
        later = f", at {' or '.join(halted_at)}" if halted_at else ""
        return f"after a full close{share} at {move:+.2%}: {done}; the session halted later{later}"

    said = [clause(m, k) for k, m in enumerate(kinds) if m.any()]
    return f"level-3 circuit breaker halts {node_id} " + "; ".join(said)


#: Short words for the close-liquidity engine's participants in event labels.
_PARTICIPANT_WORDS = {
    "letf_rebalancing": "leveraged funds",
    "dealer_gamma": "dealer gamma",
    "stop_loss": "stops",
    "margin_calls": "margin calls",
    "retail_redemptions": "redemptions",
}
