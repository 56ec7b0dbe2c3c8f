"""Error types shared by every layer.

Bad input is reported as :class:`GaemiInputError`: one line that names the field and the
offending value (and, for files, the file and row), so the CLI can print it as it is.
"""

from __future__ import annotations


class GaemiInputError(ValueError):
    """Invalid user input: a parameter, a file row or a scenario field.

    The message is one line and names the field and the value, e.g.
    ``"universe.csv row 7: aum_usd = -5 must be >= 0"``.
    """
