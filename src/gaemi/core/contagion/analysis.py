"""What a cascade run means: amplifying cycles, the narrative's steps, the fuse, reverse stress.

* :func:`spectral_radius` — of the linearised change-propagation system (linear and
  saturation edges at their slopes, close feedback at its local gain, rules excluded);
  ρ ≥ 1 means a day's changes do not die out (an amplifying cycle).
* :func:`step_verdicts` — whether each step of the narrative follows from the mechanics.
* :func:`find_fuse` — the smallest scaling of the initial shock that sets off every step.
* :func:`reverse_stress` — the smallest shock reaching an outcome, per Korean AUM level.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

from gaemi.core.contagion.engine import sample_parameters, simulate
from gaemi.core.contagion.hooks import FeedbackFactory, amplification, feedback_factory
from gaemi.core.contagion.model import AMOUNT_KINDS, CascadeModel, Edge, FloatArray, Step
from gaemi.core.contagion.result import CascadeResult, ParamKey
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pandas as pd


# ------------------------------------------------------------------ linearisation
@dataclass(frozen=True)
class Cycle:
    """A closed loop of edges: its nodes, total lag (days) and loop gain."""

    nodes: tuple[str, ...]
    edges: tuple[str, ...]
    lag_days: int
    gain: float
    has_rule: bool

    @property
    def growth_per_day(self) -> float:
        """|gain|^(1/lag): the loop's own spectral radius (∞ for a zero-lag loop)."""
        return abs(self.gain) ** (1.0 / self.lag_days) if self.lag_days > 0 else float("inf")


@dataclass(frozen=True)
class Stability:
    """Spectral radius of the linearised system and the cycles that make it."""

    spectral_radius: float
    amplifying: bool
    close_gain: Mapping[str, float]
    cycles: tuple[Cycle, ...]

    def summary(self) -> str:
        lines = [
            f"spectral radius of the linearised daily system: {self.spectral_radius:.4f} "
            + ("(>= 1: AMPLIFYING — shocks do not die out)" if self.amplifying else "(< 1: damped)")
        ]
        for node, g in self.close_gain.items():
            lines.append(
                f"close feedback on {node}: gain {g:.4f} at a -1% move"
                + (" — no stable close equilibrium" if not np.isfinite(g) or g < 0 else "")
            )
        lines.extend(
            f"cycle {' → '.join((*c.nodes, c.nodes[0]))}: lag {c.lag_days} d, loop gain "
            f"{c.gain:+.4g}, growth/day {c.growth_per_day:.4g}"
            + (" (contains a rule edge: linear gain counted as 0)" if c.has_rule else "")
            for c in self.cycles
        )
        return "\n".join(lines)


def linear_matrices(
    model: CascadeModel, feedback_models: Mapping[str, FeedbackFactory] | None = None
) -> tuple[FloatArray, FloatArray]:
    """(A, g): A[l, target, source] = Σ linear gains with lag l; g = local close gains."""
    n = len(model.nodes)
    idx = {nd.id: i for i, nd in enumerate(model.nodes)}
    A = np.zeros((model.max_lag + 1, n, n))
    for e in model.edges:
        if e.conditional:
            continue  # acts only on a shock day, in place of the forward edge
        if e.kind in ("linear", "saturation"):
            A[e.lag, idx[e.targets[0]], idx[e.source]] += e.params["beta"].value
            for k in range(1, e.span - e.lag + 1):
                if f"beta_{k}" in e.params:
                    A[e.lag + k, idx[e.targets[0]], idx[e.source]] += e.params[f"beta_{k}"].value
    g = np.ones(n)
    P = sample_parameters(model, 1, deterministic=True)
    for i, nd in enumerate(model.nodes):
        if nd.close_feedback is not None:
            fb = nd.close_feedback
            fm = feedback_models or {}
            factory = fm.get(f"node:{nd.id}") or fm.get(fb.model) or feedback_factory(fb.model)
            hook = factory({k: P[(f"feedback:{nd.id}", k)] for k in fb.params})
            out = hook(np.array([-0.01]))
            g[i] = float(amplification(hook)[0]) if bool(out.stable.all()) else np.inf
    return A, g


def spectral_radius(
    model: CascadeModel, feedback_models: Mapping[str, FeedbackFactory] | None = None
) -> Stability:
    """Spectral radius of c_t = G(A₀c_t + Σ_l A_l c_{t−l}), the linearised daily changes.

    With G = diag(close gains at a −1 % move) and A₀ acyclic, c_t = Σ_l M_l c_{t−l} with
    M_l = (I − G A₀)⁻¹ G A_l; ρ is the largest |eigenvalue| of the companion matrix.
    Rule edges (threshold, policy, rebalance, margin call) have zero slope around the
    baseline and are left out, and so are conditional edges (they replace the forward
    edge on a shock day); a ``beta_k`` profile enters at lag + k; mean reversion acts on
    levels, not changes, and is left out (it only damps). A close feedback with no
    stable equilibrium gives ρ = ∞.
    """
    A, g = linear_matrices(model, feedback_models)
    n = len(model.nodes)
    close_gain = {nd.id: float(g[i]) for i, nd in enumerate(model.nodes) if nd.close_feedback}
    cycles = tuple(_cycles(model, g))
    if not np.isfinite(g).all():
        return Stability(float("inf"), True, close_gain, cycles)
    G = np.diag(g)
    inv = np.linalg.inv(np.eye(n) - G @ A[0])
    p = A.shape[0] - 1
    if p == 0:
        return Stability(0.0, False, close_gain, cycles)
    comp = np.zeros((n * p, n * p))
    for lag in range(1, p + 1):
        comp[:n, (lag - 1) * n : lag * n] = inv @ G @ A[lag]
    if p > 1:
        comp[n:, : n * (p - 1)] = np.eye(n * (p - 1))
    rho = float(np.max(np.abs(np.linalg.eigvals(comp))))
    return Stability(rho, rho >= 1.0, close_gain, cycles)


def _cycles(model: CascadeModel, g: FloatArray, limit: int = 200) -> list[Cycle]:
    """Elementary cycles (DFS from each lowest node), with gains and total lags."""
    idx = {nd.id: i for i, nd in enumerate(model.nodes)}
    adj: dict[int, list[tuple[int, str, int, float, bool]]] = {}
    for e in model.edges:
        if e.conditional:
            continue
        lin = e.kind in ("linear", "saturation")
        gain = e.params["beta"].value if lin else 0.0
        for t in e.targets:
            adj.setdefault(idx[e.source], []).append((idx[t], e.id, e.lag, gain, not lin))
    out: list[Cycle] = []

    def dfs(start: int, v: int, path: list[int], edges: list[tuple[str, int, float, bool]]) -> None:
        for w, eid, lag, gain, rule in adj.get(v, []):
            if len(out) >= limit:
                return
            if w == start:
                es = [*edges, (eid, lag, gain, rule)]
                total_gain = float(np.prod([x[2] for x in es]) * np.prod([g[k] for k in path]))
                out.append(
                    Cycle(
                        tuple(model.nodes[k].id for k in path),
                        tuple(x[0] for x in es),
                        sum(x[1] for x in es),
                        total_gain,
                        any(x[3] for x in es),
                    )
                )
            elif w > start and w not in path:
                dfs(start, w, [*path, w], [*edges, (eid, lag, gain, rule)])

    for s in range(len(model.nodes)):
        dfs(s, s, [s], [])
    return out


# ------------------------------------------------------------------ narrative
#: Edge kinds that are rules (they fire only past a threshold); the parts of a claim
#: such as "stops trigger" or "the BoK hikes". A step whose move happened but one of whose
#: rules did not fire follows only partly.
def _other_way(edge: Edge, amount: float, claim: str, direction: str) -> str:
    """What an edge did when it went against the step's claim, then the claim itself.

    The amount of a trading edge is signed, + = buying (``engine``): "buys 17.13 JPY tn
    of …", so the reason reads as what happened and the claim is quoted as the claim.
    """
    unit = f" {edge.amount_unit}" if edge.amount_unit else ""
    if edge.kind in AMOUNT_KINDS:
        verb = "buys" if amount > 0 else "sells"
        what = f" of {edge.holding}" if edge.holding else ""
        did = f"{edge.id} {verb} {abs(amount):.4g}{unit}{what} (amount {amount:+.4g}, + = buying)"
    else:
        did = f"{edge.id} goes {'up' if amount > 0 else 'down'}: amount {amount:+.4g}{unit}"
    said = f'the note\'s claim: "{claim}"' if claim else f"the step's claim ({direction})"
    return f"{did}, the other way from {said}"


RULE_KINDS = frozenset({"threshold", "policy", "rebalance", "margin_call"})

#: Smallest change of a node for a step's claimed direction to hold, in the node's change
#: unit (a fraction for price nodes, percentage points for rates): half a unit of the
#: last digit every face prints a change with (+0.00% is 1e-4 of a fraction; +0.00 bp is
#: 1e-4 pp), so a move that prints as 0.00% or 0.00 bp never makes a step follow. Below
#: it a move is a numerical trace of a remote link, not the move a step claims: a KOSPI
#: −20% shock moves SOX by −0.001% (Korean margin sellers' US sales) and ALTS by
#: −0.0005%, which made steps 2 and 8 say ``yes``. The verdicts and the fuse use it.
MIN_STEP_MOVE = 5e-5


def _moved(change: FloatArray | float, direction: str) -> np.ndarray:
    """Per draw: did the change go ``direction`` by at least :data:`MIN_STEP_MOVE`?"""
    x = np.asarray(change, dtype=np.float64)
    out: np.ndarray = x >= MIN_STEP_MOVE if direction == "up" else x <= -MIN_STEP_MOVE
    return out


@dataclass(frozen=True)
class StepVerdict:
    """Whether a step of the narrative follows from the mechanics in a run.

    ``verdict`` is ``yes`` (its events fired, every rule it names fired and the claimed
    directions hold), ``partly`` (the claimed moves happened but a rule it names did not
    fire, e.g. VIX spikes but stays below the stop-loss level) or ``no``; ``follows`` is
    ``verdict == "yes"``. ``reason`` says what happened, with the numbers.
    """

    step: str
    title: str
    claim: str
    prob: float
    follows: bool
    reason: str
    verdict: Literal["yes", "partly", "no"] = "no"


def _fmt_change(node_change: str, unit: str, v: float) -> str:
    """A change in words: % for relative nodes, bp for rates (pp × 100), else its unit —
    :func:`gaemi.units.format_change`, as the event tables write it."""
    from gaemi.units import format_change

    return format_change(v, "frac" if node_change == "relative" else unit)


def _fmt_small(node_change: str, unit: str, v: float) -> str:
    """A change below the printed precision: −0.0010%, +0.0040 bp."""
    if node_change == "relative":
        return f"{v:+.4%}"
    return f"{v * 100:+.4f} bp" if unit == "pp" else f"{v:+.4g} {unit}"


def step_verdicts(result: CascadeResult) -> list[StepVerdict]:
    """For each step: did its events fire, did every rule it names fire, and did the
    claimed directions hold?

    ``prob`` is the share of draws in which at least one of the step's events fired; an
    event or rule counts as fired when it fired in any draw; the directions are checked
    on the mean path (node expectations: the extreme change from the baseline in the
    claimed direction; edge expectations: the sign of the rule's logged amounts).
    """
    m = result.model
    kinds = {e.id: e.kind for e in m.edges}
    none = np.zeros(result.n_draws, dtype=bool)
    out: list[StepVerdict] = []
    for st in m.steps:
        any_fired = np.zeros(result.n_draws, dtype=bool)
        for ev in st.events:
            any_fired |= result.fired.get(ev, none)
        prob = float(any_fired.mean())
        fired = [ev for ev in st.events if bool(result.fired.get(ev, none).any())]
        silent = [ev for ev in st.events if ev not in fired]
        silent_rules = [ev for ev in silent if kinds.get(ev) in RULE_KINDS]

        def why_silent(evs: Sequence[str]) -> list[str]:
            diag = [result.diagnostics[ev] for ev in evs if ev in result.diagnostics]
            rest = [ev for ev in evs if ev not in result.diagnostics]
            if rest:
                diag.append(f"{', '.join(rest)} did not fire")
            return diag

        problems: list[str] = []  # what contradicts the claim
        happened: list[str] = []  # what the claim got right, with numbers
        ok = prob > 0
        if not ok:
            problems.extend(why_silent(st.events))
            if any(x.edge in st.events for x in st.expect):
                st = Step(
                    st.id,
                    st.title,
                    st.claim,
                    st.events,
                    tuple(x for x in st.expect if not x.edge),
                    st.note,
                )
        for x in st.expect:
            if x.node:
                i = m.index(x.node)
                node = m.nodes[i]
                lvl = result.mean_path[i]
                ch = lvl / node.baseline - 1.0 if node.change == "relative" else lvl - node.baseline
                val = float(ch.max() if x.direction == "up" else ch.min())
                said = _fmt_change(node.change, node.change_unit, val)
                if bool(_moved(val, x.direction)):
                    happened.append(f"{x.node} {x.direction} {said}")
                else:
                    ok = False
                    why = f"{x.node} does not go {x.direction} ({x.text or 'claimed'})"
                    if val > 0 if x.direction == "up" else val < 0:  # the way claimed, too little
                        why += (
                            f": it moves {_fmt_small(node.change, node.change_unit, val)}, "
                            "less than the "
                            f"{_fmt_small(node.change, node.change_unit, MIN_STEP_MOVE)[1:]} "
                            "a step needs (a move that prints as zero is no move)"
                        )
                    problems.append(why)
            if x.edge:
                first = m.edge(x.edge).targets[0]  # one amount per firing, not per target
                amts = [e.amount for e in result.events if e.event == x.edge and e.target == first]
                if not amts:
                    ok = False
                    problems.append(
                        f"{x.edge} never fires, so '{x.text}' cannot happen"
                        + (
                            f" ({result.diagnostics[x.edge]})"
                            if x.edge in result.diagnostics
                            else ""
                        )
                    )
                else:
                    s = float(np.sum(amts))
                    held = s > 0 if x.direction == "up" else s < 0
                    if held:
                        happened.append(f"{x.edge} amount {s:+.4g}")
                    else:
                        ok = False
                        problems.append(_other_way(m.edge(x.edge), s, x.text, x.direction))
        fired_rules = [ev for ev in fired if kinds.get(ev) in RULE_KINDS]
        if ok and not happened:
            happened.append(f"{', '.join(fired)} fired")
        elif fired_rules:
            happened.append(f"{', '.join(fired_rules)} fired")
        verdict: Literal["yes", "partly", "no"]
        if ok and not silent_rules:
            verdict, reason = "yes", "follows: " + "; ".join(happened)
        elif ok:
            verdict = "partly"
            reason = (
                "partly: " + "; ".join(happened) + ", but " + "; ".join(why_silent(silent_rules))
            )
        else:
            if prob > 0:
                problems.extend(why_silent(silent))
            verdict, reason = "no", "; ".join(problems)
            if happened:
                reason += "; what did happen: " + "; ".join(happened)
        halts = _halts(result, st.events)
        if halts:  # a halted close is no sale: say so wherever the step names that close
            reason += (
                f"; the level-3 circuit breaker halted the close of {halts}: the close "
                "selling there was left unfilled"
            )
        out.append(StepVerdict(st.id, st.title, st.claim, prob, verdict == "yes", reason, verdict))
    return out


def _halts(result: CascadeResult, events: Sequence[str]) -> str:
    """``NDX (day 0), SOX (day 0)``: the closes of the step's close-feedback events that a
    level-3 circuit breaker halted (the event log's ``halted``), or empty."""
    seen: dict[str, list[int]] = {}
    for e in result.events:
        if e.event in events and e.kind == "close_feedback" and e.halted > 0:
            seen.setdefault(e.target, []).append(e.day)
    return ", ".join(
        f"{n} (day{'s' if len(d) > 1 else ''} {', '.join(map(str, sorted(set(d))))})"
        for n, d in seen.items()
    )


def verdicts_frame(verdicts: Sequence[StepVerdict]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([v.__dict__ for v in verdicts])


# ------------------------------------------------------------------ fuse
@dataclass(frozen=True)
class Fuse:
    """The smallest multiple of the scenario's initial shocks that fires every step."""

    scale: float
    shocks: Mapping[str, float]
    reached: bool
    missing_at_max: tuple[str, ...]
    max_scale: float
    step_scale: Mapping[str, float]


def _chain_fired(result: CascadeResult, steps: Sequence[str] | None) -> np.ndarray:
    ok = np.ones(result.n_draws, dtype=bool)
    for st in result.model.steps:
        if (steps is None or st.id in steps) and st.events:
            ok &= _step_holds(result, st)
    return ok


def _step_holds(result: CascadeResult, st: Step) -> np.ndarray:
    """Per draw: one of the step's events fired, every rule it names fired (its verdict
    would be ``yes``, not ``partly``) and its claimed node directions hold (on any day of
    the horizon)."""
    m = result.model
    f = np.zeros(result.n_draws, dtype=bool)
    for ev in st.events:
        f |= result.fired[ev]
    kinds = {e.id: e.kind for e in m.edges}
    for ev in st.events:  # every rule the step names must fire ("stops trigger")
        if kinds.get(ev) in RULE_KINDS:
            f &= result.fired[ev]
    for x in st.expect:
        if x.node:  # its furthest change over the path, the way claimed
            ch = result.change(x.node, "max" if x.direction == "up" else "min")
            f &= _moved(ch, x.direction)
    return f


def max_shock_scale(model: CascadeModel) -> float:
    """Largest multiple of the shocks that keeps every relative shock above −99 %."""
    worst = max(
        (abs(s.move) for s in model.shocks if model.node(s.node).change == "relative"),
        default=0.0,
    )
    return 0.99 / worst if worst > 0 else 100.0


def find_fuse(
    model: CascadeModel,
    *,
    steps: Sequence[str] | None = None,
    n_grid: int = 400,
    feedback_models: Mapping[str, FeedbackFactory] | None = None,
) -> Fuse:
    """Smallest shock multiple s (central parameters) at which every step's events fire
    and its claimed node directions hold.

    A vectorised scan of s on (0, s_max] (every grid point is one "draw"), then a finer
    scan between the last miss and the first hit. s_max keeps shocks above −99 %.
    """
    if not model.shocks:
        raise GaemiInputError("fuse: the scenario has no initial shock to scale")
    smax = max_shock_scale(model)
    grid = np.linspace(smax / n_grid, smax, n_grid)
    res = simulate(
        model,
        deterministic=True,
        shock_scale=grid,
        log_events=False,
        feedback_models=feedback_models,
    )
    hit = _chain_fired(res, steps)
    shocks = {s.node: s.move for s in model.shocks}
    per_step: dict[str, float] = {}
    for st in model.steps:
        f = _step_holds(res, st)
        per_step[st.id] = float(grid[int(np.argmax(f))]) if f.any() else float("nan")
    if not hit.any():
        missing = tuple(k for k, v in per_step.items() if not np.isfinite(v))
        return Fuse(float("nan"), {}, False, missing, smax, per_step)
    k = int(np.argmax(hit))
    lo = grid[k - 1] if k > 0 else 0.0
    fine = np.linspace(lo, grid[k], 101)[1:]
    res2 = simulate(
        model,
        deterministic=True,
        shock_scale=fine,
        log_events=False,
        feedback_models=feedback_models,
    )
    hit2 = _chain_fired(res2, steps)
    s = float(fine[int(np.argmax(hit2))]) if hit2.any() else float(grid[k])
    return Fuse(s, {n: v * s for n, v in shocks.items()}, True, (), smax, per_step)


# ------------------------------------------------------------------ reverse stress
@dataclass(frozen=True)
class Outcome:
    """A target outcome, e.g. USDKRW level >= 1600 or KOSPI change <= −10 %."""

    node: str
    measure: Literal["level", "change"]
    op: Literal[">=", "<="]
    value: float

    def reached(self, result: CascadeResult) -> np.ndarray:
        """Per draw: did the node reach the outcome on any day of the horizon?"""
        i = result.model.index(self.node)
        node = result.model.nodes[i]
        x = result.max_level[i] if self.op == ">=" else result.min_level[i]
        if self.measure == "change":
            x = x / node.baseline - 1.0 if node.change == "relative" else x - node.baseline
        out: np.ndarray = x >= self.value if self.op == ">=" else x <= self.value
        return out

    def describe(self) -> str:
        return f"{self.node} {self.measure} {self.op} {self.value:g}"

    def met_at_baseline(self, model: CascadeModel) -> bool:
        """Does the node already satisfy the outcome at its baseline (no shock at all)?"""
        node = model.node(self.node)
        x = node.baseline if self.measure == "level" else 0.0
        return bool(x >= self.value if self.op == ">=" else x <= self.value)


@dataclass(frozen=True)
class ReverseStress:
    """Per Korean-AUM level, the smallest shock multiple that reaches the outcome.

    ``min_scale`` is NaN where the outcome is not reached even at the largest multiple
    (shocks of −99 %), and 0 for every level when ``met_at_baseline`` (the node's
    baseline already satisfies the outcome: no shock is needed)."""

    outcome: Outcome
    korean_aum_usd: FloatArray
    min_scale: FloatArray
    shocks: Mapping[str, float]
    base_korean_aum_usd: float
    met_at_baseline: bool = False

    def status(self, scale: float) -> str:
        if self.met_at_baseline:
            return "met at baseline (no shock needed)"
        return "reached" if np.isfinite(scale) else "not reached at -99% shocks"

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = []
        for a, s in zip(self.korean_aum_usd, self.min_scale, strict=True):
            rec: dict[str, object] = {"korean_aum_usd": float(a), "shock_scale": float(s)}
            for n, v in self.shocks.items():
                # + 0.0: no shock prints as 0.0%, not -0.0%
                rec[f"{n}_shock_frac"] = float(v * s) + 0.0 if np.isfinite(s) else np.nan
            rec["outcome"] = self.status(float(s))
            rows.append(rec)
        return pd.DataFrame(rows)


def korean_aum_keys(model: CascadeModel) -> list[ParamKey]:
    return [k for k in model.parameters() if k[1] == "korean_aum_usd"]


def reverse_stress(
    model: CascadeModel,
    outcome: Outcome,
    korean_aum_factors: ArrayLike = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
    *,
    n_shock: int = 200,
    feedback_models: Mapping[str, FeedbackFactory] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ReverseStress:
    """Smallest shock multiple reaching ``outcome`` for each multiple of Korean AUM.

    Korean AUM enters through the close-feedback parameters ``korean_aum_usd`` (every
    equity node that has one is scaled by the same factor). One vectorised run covers
    the whole grid (factors × shock multiples), central values for everything else.
    An outcome the baseline already meets (``USDKRW >= 1500`` with the won at 1509.86)
    needs no shock: every level gets multiple 0 and ``met_at_baseline`` is set.
    """
    model.index(outcome.node)
    keys = korean_aum_keys(model)
    if not keys:
        raise GaemiInputError(
            "reverse stress: no close feedback with korean_aum_usd in the scenario"
        )
    f = np.asarray(korean_aum_factors, dtype=np.float64)
    if (f < 0).any() or not np.isfinite(f).all():
        raise GaemiInputError("reverse stress: Korean AUM factors must be finite and >= 0")
    base = model.parameters()
    base_aum = float(sum(base[k].value for k in keys))
    shocks = {x.node: x.move for x in model.shocks}
    if outcome.met_at_baseline(model):
        return ReverseStress(outcome, f * base_aum, np.zeros_like(f), shocks, base_aum, True)
    smax = max_shock_scale(model)
    s = np.linspace(smax / n_shock, smax, n_shock)
    F, S = np.meshgrid(f, s, indexing="ij")
    params = {k: base[k].value * F.ravel() for k in keys}
    res = simulate(
        model,
        deterministic=True,
        params=params,
        shock_scale=S.ravel(),
        log_events=False,
        feedback_models=feedback_models,
        progress=progress,
    )
    hit = outcome.reached(res).reshape(F.shape)
    first = np.where(hit.any(axis=1), s[np.argmax(hit, axis=1)], np.nan)
    # refine between the last miss and the first hit of each Korean-AUM level
    ok = np.isfinite(first)
    if ok.any():
        k = 50
        step = s[1] - s[0] if s.size > 1 else s[0]
        lo = np.maximum(first[ok] - step, 0.0)
        fine = lo[:, None] + (first[ok] - lo)[:, None] * np.linspace(0, 1, k + 1)[None, 1:]
        ff = np.repeat(f[ok], k)
        res2 = simulate(
            model,
            deterministic=True,
            params={key: base[key].value * ff for key in keys},
            shock_scale=fine.ravel(),
            log_events=False,
            feedback_models=feedback_models,
        )
        hit2 = outcome.reached(res2).reshape(fine.shape)
        first[ok] = fine[np.arange(fine.shape[0]), np.argmax(hit2, axis=1)]
    return ReverseStress(outcome, f * base_aum, first, shocks, base_aum)
