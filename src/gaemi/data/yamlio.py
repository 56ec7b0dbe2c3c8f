"""Reading input files with one-line errors: every YAML the package loads, and the guarded
reading of user text files (size, encoding).

YAML: the safe loader only (tags that would build Python objects are refused and named),
plus two refusals PyYAML does not make on its own — a **duplicate key** in one mapping
(PyYAML silently keeps the last value) and **nesting deeper than**
:data:`MAX_YAML_DEPTH` levels (PyYAML's composer recurses and would end in a
``RecursionError``). A missing file, a syntax error (with its line), a forbidden tag, a
duplicate key (with both lines), too deep a nesting (with its line), a file above the
size limit or text that is not UTF-8 is a :class:`~gaemi.errors.GaemiInputError`.

Text files (universe, population, history CSVs): :func:`check_input_file` refuses a
missing path, a directory and a file above the size limit *before* reading it;
:func:`read_text` accepts UTF-8 with or without a byte-order mark and refuses UTF-16/32
and other encodings (Latin-1 …) in one line naming the file and the first bad byte.

The size limit is :data:`DEFAULT_MAX_INPUT_BYTES` (256 MiB) for data files and
:data:`DEFAULT_MAX_YAML_BYTES` (16 MiB) for YAML; the environment variable
``GAEMI_MAX_INPUT_MB`` (a positive number of MiB) overrides both, and every loader takes
a ``max_bytes`` keyword.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from gaemi.errors import GaemiInputError

#: Deepest nesting of mappings/sequences accepted in a YAML file (the shipped files use 5).
MAX_YAML_DEPTH = 50
#: Size limit of a universe, population or history file before it is read (bytes).
DEFAULT_MAX_INPUT_BYTES = 256 * 1024**2
#: Size limit of a YAML file (the largest shipped one is ~40 kB).
DEFAULT_MAX_YAML_BYTES = 16 * 1024**2
#: Environment variable overriding the size limits, in MiB.
MAX_INPUT_ENV = "GAEMI_MAX_INPUT_MB"

_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian byte-order mark)"),
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian byte-order mark)"),
    (b"\xfe\xff", "UTF-16 (big-endian byte-order mark)"),
    (b"\xff\xfe", "UTF-16 (little-endian byte-order mark)"),
)


def default_path(resource: str) -> Path:
    """Path of an embedded file in ``gaemi.data.defaults``."""
    return Path(str(resources.files("gaemi.data.defaults").joinpath(resource)))


def max_input_bytes(default: int = DEFAULT_MAX_INPUT_BYTES) -> int:
    """The size limit in bytes: ``$GAEMI_MAX_INPUT_MB`` when set, else ``default``."""
    env = os.environ.get(MAX_INPUT_ENV, "").strip()
    if not env:
        return default
    try:
        mb = float(env)
    except ValueError:
        raise GaemiInputError(f"{MAX_INPUT_ENV} = {env!r} is not a number of MiB") from None
    if not (0 < mb < 1e9):
        raise GaemiInputError(f"{MAX_INPUT_ENV} = {env!r} must be a positive number of MiB")
    return int(mb * 1024**2)


def _size_text(n: float) -> str:
    for unit, k in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{int(n)} bytes"


def check_input_file(path: str | Path, what: str, *, max_bytes: int | None = None) -> Path:
    """``path`` as a :class:`Path` once it is known to be a regular file within the limit.

    Raises
    ------
    GaemiInputError
        "``what`` 'PATH' does not exist", "... is a directory, not a file" or
        "NAME: file is 2.0 GiB, above the limit of 256.0 MiB (set GAEMI_MAX_INPUT_MB)".
    """
    p = Path(path)
    if not p.exists():
        raise GaemiInputError(f"{what} {str(p)!r} does not exist")
    if not p.is_file():
        kind = "a directory" if p.is_dir() else "not a regular file"
        raise GaemiInputError(f"{what} {str(p)!r} is {kind}, not a file")
    limit = max_input_bytes() if max_bytes is None else int(max_bytes)
    size = p.stat().st_size
    if size > limit:
        raise GaemiInputError(
            f"{p.name}: file is {_size_text(size)}, above the {what} limit of "
            f"{_size_text(limit)} (set {MAX_INPUT_ENV} to raise it)"
        )
    return p


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text of ``data`` (a leading UTF-8 byte-order mark dropped).

    Raises
    ------
    GaemiInputError
        For UTF-16/UTF-32 (named by their byte-order mark) and any byte sequence that is not
        UTF-8 (Latin-1, Windows-1252 …), naming the first bad byte and its line.
    """
    for bom, label in _BOMS:
        if data.startswith(bom):
            raise GaemiInputError(f"{name}: the file is {label}, not UTF-8; save it as UTF-8")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise GaemiInputError(
            f"{name} line {line}: byte 0x{bad} is not UTF-8 (Latin-1 or another encoding?); "
            "save the file as UTF-8"
        ) from None


def read_text(path: str | Path, what: str, *, max_bytes: int | None = None) -> str:
    """The UTF-8 text of a user file, checked by :func:`check_input_file` first."""
    p = check_input_file(path, what, max_bytes=max_bytes)
    return decode_text(p.read_bytes(), p.name)


def _loader(name: str) -> Any:
    import yaml

    class GuardedLoader(yaml.SafeLoader):
        """Safe loader refusing duplicate keys and nesting deeper than MAX_YAML_DEPTH."""

        _depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self._depth += 1
            try:
                if self._depth > MAX_YAML_DEPTH:
                    mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                    raise GaemiInputError(
                        f"{name} line {mark.line + 1}: nesting deeper than {MAX_YAML_DEPTH} "
                        "levels is not accepted"
                    )
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        first = seen.get(key)
                    except TypeError:  # an unhashable key: PyYAML refuses it itself
                        continue
                    line = key_node.start_mark.line + 1
                    if first is not None:
                        raise GaemiInputError(
                            f"{name} line {line}: duplicate key {key!r} (first on line {first})"
                        )
                    seen[key] = line
            return super().construct_mapping(node, deep=deep)

    return GuardedLoader


def parse_yaml(text: str, name: str) -> Any:
    """The document of YAML ``text`` (``name`` labels the errors), with the guards above."""
    import yaml

    try:
        return yaml.load(text, Loader=_loader(name))  # a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = str(exc.problem or "")
        if "tag" not in problem:
            raise GaemiInputError(f"{name}{where}: not valid YAML ({problem})") from None
        quoted = re.search(r"'([^']*)'", problem)
        tag = quoted.group(1) if quoted else "?"
        raise GaemiInputError(
            f"{name}{where}: YAML tag {tag!r} is not allowed (plain data only; safe loader)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise GaemiInputError(f"{name}{where}: not valid YAML") from None
    except RecursionError:  # a guard missed: never a traceback
        raise GaemiInputError(f"{name}: nesting too deep") from None


def read_yaml(
    path: str | Path, what: str = "scenario file", *, max_bytes: int | None = None
) -> Any:
    """The parsed document of ``path``; ``what`` names the file in the "does not exist" error.

    Every YAML file the package reads (scenarios, parameter files, the monitor rules, the
    calibrations) comes through here: size limit, UTF-8 (BOM accepted), duplicate keys and
    nesting refused, safe loader only.
    """
    limit = max_input_bytes(DEFAULT_MAX_YAML_BYTES) if max_bytes is None else max_bytes
    p = check_input_file(path, what, max_bytes=limit)
    return parse_yaml(decode_text(p.read_bytes(), p.name), p.name)
