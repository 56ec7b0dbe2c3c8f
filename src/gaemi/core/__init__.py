"""Numerical core: pure functions and frozen dataclasses over NumPy arrays.

Nothing here imports the CLI, the web stack, plotting or the network.
"""
