"""The public Python API: `import gaemi` gives every capability, lazily (issue 15)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import gaemi

#: The public names (a change here is a change of the public API: say so in the notes).
PUBLIC = {
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
}


def test_public_names_are_pinned() -> None:
    assert set(gaemi.__all__) == PUBLIC
    assert len(gaemi.__all__) == len(PUBLIC)  # no name twice
    assert set(gaemi._LAZY) == PUBLIC - {"GaemiInputError", "__version__"}


@pytest.mark.parametrize("name", sorted(PUBLIC - {"__version__"}))
def test_every_public_name_resolves_with_a_docstring(name: str) -> None:
    obj = getattr(gaemi, name)
    assert obj.__doc__, f"gaemi.{name} has no docstring"
    assert name in dir(gaemi)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        gaemi.nope  # noqa: B018


def test_import_gaemi_loads_no_capability() -> None:
    """Lazy: `import gaemi` imports neither gaemi.app nor pandas; a name loads its module."""
    code = (
        "import sys, gaemi; before = sorted(m for m in sys.modules if m.startswith("
        "('gaemi.app', 'pandas', 'numpy'))); gaemi.flows; "
        "print(';'.join(before), 'gaemi.app.flows' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True"], out


def test_functions_that_draw_take_rng_or_seed() -> None:
    """Randomness is explicit wherever a capability draws (STYLE.md 6)."""
    import inspect

    for name in ("investor", "crypto_cascade", "contagion", "decay"):
        params = inspect.signature(getattr(gaemi, name)).parameters
        assert {"rng", "seed"} & set(params), f"gaemi.{name} takes no rng/seed"
