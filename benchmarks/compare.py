"""Compare two benchmark JSON files as ratios: ``python -m benchmarks.compare OLD NEW``.

Every numeric key ending in ``_s`` (seconds) or ``_mib`` (peak memory) is printed as
NEW/OLD; below 1 is faster or leaner.
Only compare files measured on the same machine.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, int | float) and key.endswith(("_s", "_mib")):
            out[key] = float(v)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m benchmarks.compare OLD.json NEW.json", file=sys.stderr)
        return 2
    from pathlib import Path

    old, new = (flatten(json.loads(Path(a).read_text())) for a in args)
    for key in sorted(set(old) & set(new)):
        ratio = new[key] / old[key] if old[key] > 0 else float("nan")
        print(f"{key:60s} {old[key]:12.6f} {new[key]:12.6f}  x{ratio:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
