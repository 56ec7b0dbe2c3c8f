"""Fund snapshots (kind ``funds``): the universe schema plus ``as_of``.

Korean columns become ``holdings`` rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gaemi.data.importers._base import ImportOptions, Table, _check_file, _source_label
from gaemi.data.importers._text import _opt_date, _opt_number, _plain_rows
from gaemi.data.importers.holdings import _holdings_table
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pyarrow as pa


FUND_EXTRA = ("as_of", "shares_outstanding", "nav_usd", "source")


def read_funds(path: str | Path, opts: ImportOptions) -> tuple[Table, pa.Table, pa.Table | None]:
    """Fund snapshots (the universe schema of :mod:`gaemi.data.universe` plus ``as_of``,
    ``shares_outstanding``, ``nav_usd``, ``source``); Korean columns go to ``holdings``."""
    import pyarrow as pa

    from gaemi.data.universe import universe_from_rows

    p = Path(path)
    name = p.name
    _check_file(p, opts.max_bytes)
    header, rows, word = _plain_rows(p, name)
    if "as_of" not in header and "aum_as_of" not in header:
        raise GaemiInputError(f"{name}: required column 'as_of' (or 'aum_as_of') is missing")
    uni_header = [h for h in header if h not in FUND_EXTRA]
    uni_rows = [(ln, {k: v for k, v in r.items() if k not in FUND_EXTRA}) for ln, r in rows]
    u = universe_from_rows(uni_header, uni_rows, source=name, label=name)
    now = datetime.now(UTC)
    default_src = opts.source or _source_label(p)
    fund_recs: dict[str, list[Any]] = {c: [] for c in ("ticker", "as_of", "shares", "nav", "src")}
    hold: dict[str, list[Any]] = {c: [] for c in ("ticker", "as_of", "held", "share", "src")}
    for i, (ln, rec) in enumerate(rows):
        where = f"{name} {word} {ln}"
        as_of = _opt_date(where, rec.get("as_of") or rec.get("aum_as_of"), "as_of", required=True)
        fund_recs["ticker"].append(str(u.ticker[i]))
        fund_recs["as_of"].append(as_of)
        fund_recs["shares"].append(
            _opt_number(where, rec.get("shares_outstanding"), "shares_outstanding")
        )
        fund_recs["nav"].append(_opt_number(where, rec.get("nav_usd"), "nav_usd"))
        src = str(rec.get("source") or rec.get("source_aum") or "").strip()
        fund_recs["src"].append(src or default_src)
        held = _opt_number(where, rec.get("korean_held_usd"), "korean_held_usd")
        share = _opt_number(where, rec.get("korean_share"), "korean_share")
        if held is not None or share is not None:
            k_as_of = (
                _opt_date(where, rec.get("korean_as_of"), "korean_as_of", required=False) or as_of
            )
            hold["ticker"].append(str(u.ticker[i]))
            hold["as_of"].append(k_as_of)
            hold["held"].append(held)
            hold["share"].append(share)
            ksrc = str(rec.get("source_korean") or "").strip()
            hold["src"].append(ksrc or default_src)
    n = len(u)
    funds = pa.table(
        {
            "ticker": pa.array(fund_recs["ticker"], pa.string()),
            "as_of": pa.array(fund_recs["as_of"], pa.date32()),
            "name": pa.array(u.name.tolist(), pa.string()),
            "issuer": pa.array(u.issuer.tolist(), pa.string()),
            "leverage": pa.array(u.leverage, pa.float64()),
            "underlying_id": pa.array(u.underlying_id.tolist(), pa.string()),
            "underlying_kind": pa.array(u.underlying_kind.tolist(), pa.string()),
            "underlying_group": pa.array(u.underlying_group.tolist(), pa.string()),
            "expense_ratio": pa.array(u.expense_ratio, pa.float64(), from_pandas=True),
            "aum_usd": pa.array(u.aum_usd, pa.float64()),
            "shares_outstanding": pa.array(fund_recs["shares"], pa.float64()),
            "nav_usd": pa.array(fund_recs["nav"], pa.float64()),
            "source": pa.array(fund_recs["src"], pa.string()),
            "retrieved_at": pa.array([now] * n, pa.timestamp("us", tz="UTC")),
        }
    )
    holdings = None
    if hold["ticker"]:
        holdings = _holdings_table(hold, now)
    lines = np.asarray([ln for ln, _ in rows], dtype=np.int64)
    t = Table(name, header, {}, lines, line_word=word)
    return t, funds, holdings
