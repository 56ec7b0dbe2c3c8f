"""Reading YAML files with one-line errors, the same way for every scenario and parameter file.

``yaml.safe_load`` only (tags that would build Python objects are refused and named); a
missing file, a syntax error (with its line) or a forbidden tag is a
:class:`~gaemi.errors.GaemiInputError`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from gaemi.errors import GaemiInputError


def default_path(resource: str) -> Path:
    """Path of an embedded file in ``gaemi.data.defaults``."""
    return Path(str(resources.files("gaemi.data.defaults").joinpath(resource)))


def read_yaml(path: str | Path, what: str = "scenario file") -> Any:
    """The parsed document of ``path``; ``what`` names the file in the "does not exist" error."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise GaemiInputError(f"{what} {str(p)!r} does not exist")
    try:
        return yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1}" if mark is not None else ""
        tag = str(exc.problem).split("tag")[-1].strip(" '") if exc.problem else "?"
        raise GaemiInputError(
            f"{p.name}{where}: YAML tag {tag!r} is not allowed (plain data only; safe loader)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise GaemiInputError(f"{p.name}{where}: not valid YAML") from None
    except UnicodeDecodeError:
        raise GaemiInputError(f"{p.name}: not UTF-8 text") from None
