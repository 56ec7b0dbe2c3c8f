"""Contagion network ("Indra's Net"): a typed graph of market nodes stepped day by day.

:mod:`.model` (nodes, edges, shocks, parameters; validated), :mod:`.hooks` (close
feedback on equity nodes), :mod:`.engine` (vectorised day stepping and event log),
:mod:`.result` (the frozen result and its frames), :mod:`.analysis` (spectral radius,
narrative verdicts, fuse, reverse stress).

References: Greenwood, Landier & Thesmar (2015), Vulnerable banks, JFE 115(3);
Cont & Schaanning (2017), Fire sales, indirect contagion and systemic stress testing;
Battiston et al. (2012), DebtRank, Scientific Reports 2:541.
"""

from gaemi.core.contagion.analysis import (
    Fuse,
    Outcome,
    ReverseStress,
    Stability,
    StepVerdict,
    find_fuse,
    reverse_stress,
    spectral_radius,
    step_verdicts,
)
from gaemi.core.contagion.engine import sample_parameters, simulate
from gaemi.core.contagion.hooks import (
    FEEDBACK_MODELS,
    CloseFeedback,
    CloseOutcome,
    LinearCloseFeedback,
    register_feedback_model,
)
from gaemi.core.contagion.model import (
    CascadeModel,
    Edge,
    Expectation,
    FeedbackSpec,
    Node,
    Param,
    Shock,
    Step,
)
from gaemi.core.contagion.result import CascadeResult, Event

__all__ = [
    "FEEDBACK_MODELS",
    "CascadeModel",
    "CascadeResult",
    "CloseFeedback",
    "CloseOutcome",
    "Edge",
    "Event",
    "Expectation",
    "FeedbackSpec",
    "Fuse",
    "LinearCloseFeedback",
    "Node",
    "Outcome",
    "Param",
    "ReverseStress",
    "Shock",
    "Stability",
    "Step",
    "StepVerdict",
    "find_fuse",
    "register_feedback_model",
    "reverse_stress",
    "sample_parameters",
    "simulate",
    "spectral_radius",
    "step_verdicts",
]
