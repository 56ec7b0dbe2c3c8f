"""gaemi (개미): measure, stress-test and monitor the fragility of concentrated retail leverage.

Importing :mod:`gaemi` is light (NumPy only); pandas, DuckDB, Typer and the web stack are
imported by the modules that use them. The layers, from pure to impure:

``gaemi.core``     numerics: pure functions and frozen dataclasses over NumPy arrays
``gaemi.data``     market state: fund universe, default snapshot, store, importers
``gaemi.monitor``  indicators and the composite status
``gaemi.present``  CLI, report, HTTP API and dashboard
"""

from gaemi.errors import GaemiInputError

__version__ = "0.1.0"
__all__ = ["GaemiInputError", "__version__"]
