"""Run the benchmarks: ``python -m benchmarks.run [--config small|large] [NAME ...]``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from benchmarks._common import write_result


def available() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(
        m.name[len("bench_") :]
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {available()})")
    p.add_argument("--config", default="small", choices=["small", "large"])
    args = p.parse_args(argv)
    names = args.names or available()
    for name in names:
        if name not in available():
            print(
                f"error: unknown benchmark {name!r} (known: {', '.join(available())})",
                file=sys.stderr,
            )
            return 2
        mod = importlib.import_module(f"benchmarks.bench_{name}")
        result = mod.run(args.config)
        out = write_result(f"{name}-{args.config}", {"config": args.config, **result})
        print(f"{name} [{args.config}] -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
