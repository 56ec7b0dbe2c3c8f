"""Derive the embedded calibration (src/gaemi/data/defaults/calibration.yaml) from the
real history in ../shared/data: import the files below into a temporary store and run
``gaemi.data.calibration.calibrate`` on it.

Run: ``.venv/bin/python scripts/calibrate_defaults.py [--check]`` (``--check`` compares
with the committed file instead of writing it; tests/data/test_calibration.py does too).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from gaemi.data.calibration import DEFAULT_RESOURCE, calibrate, calibration_to_yaml
from gaemi.data.importers import ImportOptions, import_file
from gaemi.data.store import Store

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "gaemi" / "data" / "defaults" / DEFAULT_RESOURCE

#: (file under ../shared/data, kind, options)
FILES: tuple[tuple[str, str, dict[str, object]], ...] = (
    ("us-adjclose-1993-2026/QQQ.csv", "prices", {"close_is_adjusted": True}),
    ("us-adjclose-1993-2026/SOXX.csv", "prices", {"close_is_adjusted": True}),
    ("kospi-kr-rates/kospi.csv", "prices", {"symbol": "^KS11"}),
    ("fx-daily/DEXKOUS.csv", "macro", {"unit": "KRW per USD"}),
    ("vix-cboe/vix-daily.csv", "prices", {"symbol": "^VIX"}),
    ("korea-equities/005930.KS_2000_2026.csv", "prices", {}),
    ("korea-equities/000660.KS_2000_2026.csv", "prices", {}),
    ("crypto/BTC-USD_2020_2025.csv", "prices", {}),
    ("kospi-kr-rates/kr10y_yield.csv", "macro", {"symbol": "KR10Y", "unit": "percent"}),
    ("kospi-kr-rates/us10y_yield.csv", "macro", {"symbol": "US10Y", "unit": "percent"}),
)


def derive(shared: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "cal.duckdb") as store:
        for rel, kind, kw in FILES:
            import_file(store, shared / rel, ImportOptions(kind=kind, **kw))  # type: ignore[arg-type]
        cal = calibrate(store)
    return calibration_to_yaml(
        cal,
        header="Derived by scripts/calibrate_defaults.py from ../shared/data "
        f"({', '.join(r for r, _, _ in FILES)}); do not edit by hand.",
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--check", action="store_true", help="compare, do not write")
    args = p.parse_args(argv)
    text = derive(args.shared)
    if args.check:
        same = OUT.read_text(encoding="utf-8") == text
        print("calibration.yaml is up to date" if same else "calibration.yaml differs")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
