"""gaemi (개미): measure, stress-test and monitor the fragility of concentrated retail leverage.

The public Python API is one flat namespace, loaded lazily (``import gaemi`` stays light:
pandas, DuckDB, Typer and the web stack are imported by the functions that use them)::

    import gaemi
    state = gaemi.load_state()                      # embedded default, today
    gaemi.flows(state, move_frac=-0.05, korean_aum_usd=45e9).to_frame("underlying")
    gaemi.stress(state, "NDX", shock_frac=-0.03).summary()
    gaemi.status(state).status.status

Every capability returns a frozen result with ``to_frame()``, ``summary()``, ``to_dict()``
and ``warnings`` (docs/python.md). The layers, from pure to impure:

``gaemi.core``     numerics: pure functions and frozen dataclasses over NumPy arrays
``gaemi.data``     market state: fund universe, default snapshot, store, importers
``gaemi.monitor``  indicators and the composite status
``gaemi.app``      one function per capability, one result envelope
``gaemi.present``  CLI, report, HTTP API and dashboard
"""

from __future__ import annotations

import importlib

from gaemi.errors import GaemiInputError

TYPE_CHECKING = False  # not `from typing import ...`: importing typing costs ~8 ms here

__version__ = "0.1.0"

#: Public name -> (module, attribute), imported on first use (PEP 562).
_LAZY: dict[str, tuple[str, str]] = {
    # state and results
    "load_state": ("gaemi.app.state", "load_state"),
    "MarketState": ("gaemi.data.state", "MarketState"),
    "Result": ("gaemi.app.result", "Result"),
    # capabilities
    "flows": ("gaemi.app.flows", "flows"),
    "stress": ("gaemi.app.stress", "stress"),
    "stress_curve": ("gaemi.app.stress", "stress_curve"),
    "status": ("gaemi.app.status", "status"),
    "report": ("gaemi.app.report", "report"),
    "decay": ("gaemi.app.decay", "decay"),
    "sideways_decay": ("gaemi.app.decay", "sideways_decay"),
    "investor": ("gaemi.app.investor", "investor"),
    "replay_account": ("gaemi.app.account", "replay_account"),
    "crypto_cascade": ("gaemi.app.crypto", "crypto_cascade"),
    "contagion": ("gaemi.app.contagion", "contagion"),
    "sweep": ("gaemi.app.sweep", "sweep"),
}

__all__ = [
    "GaemiInputError",
    "MarketState",
    "Result",
    "__version__",
    "contagion",
    "crypto_cascade",
    "decay",
    "flows",
    "investor",
    "load_state",
    "replay_account",
    "report",
    "sideways_decay",
    "status",
    "stress",
    "stress_curve",
    "sweep",
]

if TYPE_CHECKING:
    from gaemi.app.account import replay_account
    from gaemi.app.contagion import contagion
    from gaemi.app.crypto import crypto_cascade
    from gaemi.app.decay import decay, sideways_decay
    from gaemi.app.flows import flows
    from gaemi.app.investor import investor
    from gaemi.app.report import report
    from gaemi.app.result import Result
    from gaemi.app.state import load_state
    from gaemi.app.status import status
    from gaemi.app.stress import stress, stress_curve
    from gaemi.app.sweep import sweep
    from gaemi.data.state import MarketState


def __getattr__(name: str) -> object:
    """Import a public name on first use (``gaemi.flows`` imports :mod:`gaemi.app.flows`)."""
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'gaemi' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
