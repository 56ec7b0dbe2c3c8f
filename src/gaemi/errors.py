"""Error types shared by every layer.

Bad input is reported as :class:`GaemiInputError`: one line that names the field and the
offending value (and, for files, the file and row), so the CLI can print it as it is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any


class GaemiInputError(ValueError):
    """Invalid user input: a parameter, a file row or a scenario field.

    The message is one line and names the field and the value, e.g.
    ``"universe.csv row 7: aum_usd = -5 must be >= 0"``.
    """


# ------------------------------------------------------------ the words of shared input rules
# One wording per error on every face: the CLI names its option (``--shock BTC = '-100%'
# …``), the HTTP API its field (``shocks_frac_by_asset.BTC = -1.0 …``); the rest of the line
# is the same. The command line and the application layer call these, never their own words.


def quoted(value: object, limit: int = 40) -> str:
    """A value as an error shows it: a string quoted (cut to ``limit`` characters when
    absurdly long, a 300-digit number), anything else by its ``repr`` (``-1.0``)."""
    if not isinstance(value, str):
        return repr(value)
    return repr(value) if len(value) <= limit else repr(value[: limit - 1] + "…")


def check_above_minus_100(move_frac: float, field: str, given: object = None) -> float:
    """A price move must be above -100 %: a price falls 100 % only to zero, where no model
    here has a market (the crypto liquidation math divides by 1 + move; the cascade floors
    a price change at -99 %). NaN and infinities fail too.

    ``field`` names the input (``--shock BTC``, ``shocks_frac_by_asset.BTC``), ``given`` the
    value as the user gave it (``'-100%'``; default ``move_frac``):
    ``--shock BTC = '-100%' must be above -100%``.
    """
    mv = float(move_frac)
    if not (mv > -1.0 and mv < float("inf")):
        raise GaemiInputError(
            f"{field} = {quoted(move_frac if given is None else given)} must be above -100%"
        )
    return mv


def check_known_name(
    name: str, known: Iterable[str], field: str, what: str, given: object = None
) -> str:
    """``name`` as ``known`` spells it (case-insensitive), or one line naming them:
    ``--shock = 'DOGE=-10%': ASSET must be one of BTC, ETH, SOL, ALT`` (``given``: the
    input as the user gave it, default ``name``; ``what``: the kind of name, ``ASSET``)."""
    spelled = {str(k).upper(): str(k) for k in known}
    key = str(name).upper()
    if key not in spelled:
        raise GaemiInputError(
            f"{field} = {quoted(name if given is None else given)}: {what} must be one of "
            + ", ".join(spelled.values())
        )
    return spelled[key]


def given_twice(
    field: str, name: str, first: str, second: str, per: str, day: int | None = None
) -> GaemiInputError:
    """The error of one id given twice (on one ``day``, when moves have days); ``per`` says
    what one move is for: ``--shock NDX is given twice for day 0 (NDX=-5%, ndx=-1%); give
    one move per node and day``."""
    on_day = "" if day is None else f" for day {day}"
    return GaemiInputError(
        f"{field} {name} is given twice{on_day} ({first}, {second}); give one move per {per}"
    )


def check_choice(value: Any, choices: Collection[Any], name: str) -> Any:
    """A value that must be one of ``choices`` (``--view``, ``--on-conflict`` …): one line
    naming them otherwise, ``view = 'nope' must be one of summary, drawdown, text``."""
    if value not in choices:
        raise GaemiInputError(f"{name} = {value!r} must be one of {', '.join(choices)}")
    return value
