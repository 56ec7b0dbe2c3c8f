"""Import CSV/Parquet files into the store: prices, funds, holdings, macro series, issuer
daily NAV, full-universe snapshots, crypto derivatives and depository lists.

A file is read, every row validated and only then written, in one transaction
(:meth:`gaemi.data.store.Store.transaction`): a bad row — reported by file and line —
or a killed process leaves the store exactly as it was; importing the same file twice
changes nothing. Several files (:func:`import_files`) are validated all before any is
written, then written together in one transaction: all or nothing. The layouts found in
``../shared/data`` are recognised from the header:

* Yahoo/yfinance ``Date,Open,High,Low,Close,Adj Close,Volume`` (any column order; extra
  ``Dividends``/``Stock Splits``/``Capital Gains``; tz-aware timestamps, where the date
  is the exchange's local date; the 3-row ``Price/Ticker/Date`` header of yfinance ≥0.2.5)
* ``Date,Close`` and ``date,close,change_pct`` (close only; ``change_pct`` is derived and
  ignored), CBOE ``DATE,OPEN,HIGH,LOW,CLOSE``, Binance klines (``open_time`` … ``close_time``)
* FRED ``observation_date,SERIES`` (blank = no observation, skipped and counted) and wide
  tables (one series per column)
* investing.com exports (``Date,Price,Open,High,Low,Vol.,Change %`` or the Korean
  ``날짜,종가,시가,고가,저가,거래량,변동 %`` with ``"2015- 08- 28"`` dates, thousands
  separators and ``446.75M`` volumes)
* the issuer's daily NAV file (:mod:`.issuer_nav`), the aggregator's full-universe
  snapshot (:mod:`.universe_snapshot`), Coinalyze positioning (:mod:`.coinalyze`) and the
  Korea Securities Depository's lists (:mod:`.ksd`)

Rows may come newest-first; they are stored by date and the order is reported.
The schema of each kind is documented in ``docs/data.md``.

Layout of this package: one module per kind/format behind one :class:`Reader` protocol
(:mod:`.prices`, :mod:`.macro`, :mod:`.funds`, :mod:`.holdings`, :mod:`.issuer_nav`,
:mod:`.universe_snapshot`, :mod:`.derivatives`, :mod:`.depository`), the shared text
reading (:mod:`._text`), row checks (:mod:`._checks`) and file digest (:mod:`.digest`),
and one pipeline (:mod:`.pipeline`: validate every file, then write in one transaction).
Every name below is importable from ``gaemi.data.importers`` as before the split.
"""

from __future__ import annotations

from gaemi.data.importers._base import (  # noqa: F401 - kept importable from here
    DEFAULT_MAX_BYTES,
    KINDS,
    MIN_DATE,
    ImportOptions,
    ImportResult,
    Kind,
    ProgressFn,
    Reader,
    Table,
    _check_file,
    _csv_only,
    _date32,
    _norm,
    _source_label,
    _today,
    symbol_from_filename,
)
from gaemi.data.importers._checks import (  # noqa: F401 - kept importable from here
    _check_dates,
    _check_finite,
    _check_unique,
    _order_note,
)
from gaemi.data.importers._text import (  # noqa: F401 - kept importable from here
    _DATE_STYLES,
    _NULLS,
    _SUFFIX,
    DATE_NAMES,
    IGNORED_COLUMNS,
    Layout,
    _date_style,
    _dates_from_text,
    _decode_head,
    _numbers_from_text,
    _opt_date,
    _opt_number,
    _plain_rows,
    _read_any,
    _read_csv_fast,
    _read_csv_slow,
    _read_parquet,
    _refuse_literal_nan,
    _sniff,
    parse_date,
    parse_number,
)
from gaemi.data.importers.depository import _KSD_FILES, _ksd_isin_map, read_ksd  # noqa: F401
from gaemi.data.importers.derivatives import (
    _DERIVATIVE_FILES,  # noqa: F401
    read_derivatives,
)
from gaemi.data.importers.digest import (
    DIGEST,
    _BackgroundHash,  # noqa: F401
    file_digest,
)
from gaemi.data.importers.funds import FUND_EXTRA, read_funds
from gaemi.data.importers.holdings import (
    HOLDING_COLUMNS,
    _holdings_table,  # noqa: F401
    read_holdings,
)
from gaemi.data.importers.issuer_nav import read_fund_nav
from gaemi.data.importers.macro import MACRO_VALUE_NAMES, read_macro
from gaemi.data.importers.pipeline import (  # noqa: F401
    READERS,
    SERIES_KEYS,
    PreparedImport,
    _merge_prepared,
    _validated,
    import_file,
    import_files,
    prepare_import,
    prepare_imports,
    validate_file,
    write_imports,
)
from gaemi.data.importers.prices import (
    PRICE_COLUMNS,
    PRICE_VALUES,
    _price_columns,  # noqa: F401
    read_prices,
)
from gaemi.data.importers.shared_data import SKIPPED_FILES, iter_importable
from gaemi.data.importers.universe_snapshot import read_universe

__all__ = [
    "DATE_NAMES",
    "DEFAULT_MAX_BYTES",
    "DIGEST",
    "FUND_EXTRA",
    "HOLDING_COLUMNS",
    "IGNORED_COLUMNS",
    "KINDS",
    "MACRO_VALUE_NAMES",
    "MIN_DATE",
    "PRICE_COLUMNS",
    "PRICE_VALUES",
    "READERS",
    "SERIES_KEYS",
    "SKIPPED_FILES",
    "ImportOptions",
    "ImportResult",
    "Kind",
    "Layout",
    "PreparedImport",
    "ProgressFn",
    "Reader",
    "Table",
    "file_digest",
    "import_file",
    "import_files",
    "iter_importable",
    "parse_date",
    "parse_number",
    "prepare_import",
    "prepare_imports",
    "read_derivatives",
    "read_fund_nav",
    "read_funds",
    "read_holdings",
    "read_ksd",
    "read_macro",
    "read_prices",
    "read_universe",
    "symbol_from_filename",
    "validate_file",
    "write_imports",
]
