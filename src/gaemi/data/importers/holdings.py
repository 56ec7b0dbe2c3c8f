"""Korean holdings per fund and date (kind ``holdings``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.data.importers._base import ImportOptions, Table, _check_file, _source_label
from gaemi.data.importers._text import _opt_date, _opt_number, _plain_rows
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pyarrow as pa


def _holdings_table(hold: dict[str, list[Any]], now: datetime) -> pa.Table:
    import pyarrow as pa

    k = len(hold["ticker"])
    return pa.table(
        {
            "ticker": pa.array(hold["ticker"], pa.string()),
            "as_of": pa.array(hold["as_of"], pa.date32()),
            "korean_held_usd": pa.array(hold["held"], pa.float64()),
            "korean_share": pa.array(hold["share"], pa.float64()),
            "source": pa.array(hold["src"], pa.string()),
            "retrieved_at": pa.array([now] * k, pa.timestamp("us", tz="UTC")),
        }
    )


HOLDING_COLUMNS = frozenset(
    {"ticker", "as_of", "korean_as_of", "date", "korean_held_usd", "korean_share", "source"}
)


def read_holdings(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table]:
    """Korean holdings per fund and date (``ticker, as_of, korean_held_usd | korean_share``)."""
    p = Path(path)
    name = p.name
    _check_file(p, opts.max_bytes)
    header, rows, word = _plain_rows(p, name)
    unknown = [h for h in header if h not in HOLDING_COLUMNS]
    if unknown:
        raise GaemiInputError(
            f"{name}: unknown column {unknown[0]!r} for holdings "
            f"(known: {', '.join(sorted(HOLDING_COLUMNS))})"
        )
    if "ticker" not in header:
        raise GaemiInputError(f"{name}: required column 'ticker' is missing")
    if "korean_held_usd" not in header and "korean_share" not in header:
        raise GaemiInputError(f"{name}: needs a korean_held_usd or korean_share column")
    if not rows:
        raise GaemiInputError(f"{name}: no rows (the file has a header only)")
    hold: dict[str, list[Any]] = {c: [] for c in ("ticker", "as_of", "held", "share", "src")}
    seen: dict[tuple[str, date], int] = {}
    default_src = opts.source or _source_label(p)
    for ln, rec in rows:
        where = f"{name} {word} {ln}"
        ticker = str(rec.get("ticker") or "").strip().upper()
        if not ticker:
            raise GaemiInputError(f"{where}: ticker is missing")
        d = _opt_date(
            where,
            rec.get("as_of") or rec.get("korean_as_of") or rec.get("date"),
            "as_of",
            required=True,
        )
        assert d is not None
        if (ticker, d) in seen:
            raise GaemiInputError(
                f"{where}: ticker/as_of {ticker} {d} duplicates {word} {seen[ticker, d]}"
            )
        seen[ticker, d] = ln
        held = _opt_number(where, rec.get("korean_held_usd"), "korean_held_usd")
        share = _opt_number(where, rec.get("korean_share"), "korean_share")
        if held is None and share is None:
            raise GaemiInputError(f"{where}: korean_held_usd and korean_share are both missing")
        if share is not None and share > 1:
            raise GaemiInputError(f"{where}: korean_share = {share:g} must be in [0, 1]")
        hold["ticker"].append(ticker)
        hold["as_of"].append(d)
        hold["held"].append(held)
        hold["share"].append(share)
        src = str(rec.get("source") or "").strip()
        hold["src"].append(src or default_src)
    lines = np.asarray([ln for ln, _ in rows], dtype=np.int64)
    return Table(name, header, {}, lines, line_word=word), _holdings_table(hold, datetime.now(UTC))
