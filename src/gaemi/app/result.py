"""The envelope every capability returns: a frozen result with a table, a summary, JSON.

One capability (flows, stress, status …) is one function of :mod:`gaemi.app` that takes a
:class:`~gaemi.data.state.MarketState` and typed parameters and returns a subclass of
:class:`Result`. Every face — the CLI, the HTTP API, the report, a notebook — renders the
same object, so they cannot disagree.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

# Money and percents in text follow the one rule of gaemi.units (re-exported here: the
# application layer's summaries and the faces import them from this module).
from gaemi.units import format_frac as format_frac
from gaemi.units import format_usd as format_usd

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Choice:
    """A judgement value the capability chose, and why (shown with the result).

    Attributes
    ----------
    name : str
        What was chosen, with its unit in the name (``vol_annual``, ``threshold_rule``).
    value : Any
        The value used (a number, a string, a tuple).
    why : str
        Where it comes from: "calibration.yaml: 60-day realised vol of SOXX", "user input".
    """

    name: str
    value: Any
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": clean_value(self.value), "why": self.why}


@dataclass(frozen=True, kw_only=True)
class Result:
    """Base of every capability's result (frozen; subclasses add their own fields).

    Attributes
    ----------
    warnings : tuple of str
        Stale data, estimated inputs, defaults used: said, never printed by the capability.
    choices : tuple of Choice
        Judgement values chosen by the capability (which volatility, which threshold rule)
        and why.
    sources : tuple of str
        Where the inputs came from (the state's sources, a file, a paper's formula).

    Notes
    -----
    A subclass implements :meth:`to_frame` (its main table; ``view`` picks another one) and
    :meth:`summary`; :meth:`to_dict` is then JSON-ready with unit-bearing keys (``flow_usd``,
    ``move_frac``): ``{"kind", "summary", "records", "warnings", "choices", "sources"}``
    plus whatever :meth:`extra_dict` adds.
    """

    warnings: tuple[str, ...] = ()
    choices: tuple[Choice, ...] = ()
    sources: tuple[str, ...] = ()

    #: name used in ``to_dict()["kind"]`` (set by each subclass)
    kind: str = field(default="result", init=False, repr=False)

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        """The result's table (``view`` picks one of several when the result has them)."""
        raise NotImplementedError

    def summary(self) -> str:
        """A short text: the answer in one or two sentences."""
        raise NotImplementedError

    def extra_dict(self) -> dict[str, Any]:
        """Scalars a subclass adds to :meth:`to_dict` (keys with units)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: records of :meth:`to_frame`, warnings, choices, sources."""
        out: dict[str, Any] = {"kind": self.kind, "summary": self.summary()}
        out.update({k: clean_value(v) for k, v in self.extra_dict().items()})
        out["records"] = records(self.to_frame())
        out["warnings"] = list(self.warnings)
        out["choices"] = [c.to_dict() for c in self.choices]
        out["sources"] = list(self.sources)
        return out

    def choice(self, name: str) -> Choice:
        """The judgement value called ``name``."""
        for c in self.choices:
            if c.name == name:
                return c
        raise KeyError(name)


def clean_value(v: Any) -> Any:
    """A JSON-ready scalar: NumPy scalars become Python ones, NaN/inf become None."""
    if hasattr(v, "item") and not isinstance(v, (list, tuple, dict)):
        with contextlib.suppress(ValueError, TypeError):
            v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, tuple | list):
        return [clean_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): clean_value(x) for k, x in v.items()}
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN becomes null, NumPy scalars become Python ones."""
    out = []
    for rec in df.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for k, v in rec.items():
            if hasattr(v, "item"):
                v = v.item()
            if isinstance(v, float) and not math.isfinite(v):
                v = None
            clean[str(k)] = v
        out.append(clean)
    return out
