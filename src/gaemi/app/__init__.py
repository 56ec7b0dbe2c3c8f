"""The application layer: one function per capability, between ``monitor``/``data``/``core``
and the faces (CLI, HTTP API, report, Dask sweeps).

Each capability takes a :class:`~gaemi.data.state.MarketState` (from :func:`load_state`)
and typed parameters with units in their names, and returns a frozen
:class:`~gaemi.app.result.Result`. Submodules are imported on use (``gaemi.app.flows``).
"""
