"""One pipeline for every kind: read and validate every file (no store touched), then
merge them in ONE transaction (all or nothing; idempotent)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gaemi.data.importers._base import (
    KINDS,
    ImportOptions,
    ImportResult,
    ProgressFn,
    Reader,
    Table,
    _check_file,
    _source_label,
)
from gaemi.data.importers.depository import read_ksd
from gaemi.data.importers.derivatives import read_derivatives
from gaemi.data.importers.digest import _BackgroundHash
from gaemi.data.importers.funds import read_funds
from gaemi.data.importers.holdings import read_holdings
from gaemi.data.importers.issuer_nav import read_fund_nav
from gaemi.data.importers.macro import read_macro
from gaemi.data.importers.prices import read_prices
from gaemi.data.importers.universe_snapshot import read_universe
from gaemi.data.store import MergeResult, Store
from gaemi.errors import GaemiInputError

if TYPE_CHECKING:
    import pyarrow as pa


def validate_file(path: str | Path, opts: ImportOptions) -> dict[str, pa.Table]:
    """Read and validate a file without touching any store; the tables it would write."""
    return _validated(Path(path), opts)[1]


def _one(table: str, read: Callable[[Path, ImportOptions], tuple[Table, pa.Table]]) -> Reader:
    """A reader returning one Arrow table as a :class:`Reader` writing ``table``."""

    def reader(p: Path, opts: ImportOptions) -> tuple[Table, dict[str, pa.Table]]:
        t, arrow = read(p, opts)
        return t, {table: arrow}

    return reader


def _funds_reader(p: Path, opts: ImportOptions) -> tuple[Table, dict[str, pa.Table]]:
    t, funds, hold = read_funds(p, opts)
    out = {"fund_snapshots": funds}
    if hold is not None:
        out["holdings"] = hold
    return t, out


#: The reader of each kind (the :class:`Reader` protocol): one module per kind/format.
READERS: dict[str, Reader] = {
    "prices": _one("prices", read_prices),
    "funds": _funds_reader,
    "holdings": _one("holdings", read_holdings),
    "macro": _one("macro", read_macro),
    "fund_nav": _one("fund_nav", read_fund_nav),
    "universe": _one("universe_snapshots", read_universe),
    "derivatives": _one("derivatives", read_derivatives),
    "ksd": read_ksd,
}


def _validated(p: Path, opts: ImportOptions) -> tuple[Table, dict[str, pa.Table]]:
    if opts.kind not in KINDS:
        raise GaemiInputError(f"kind = {opts.kind!r} must be one of {', '.join(KINDS)}")
    return READERS[opts.kind](p, opts)


def import_file(
    store: Store,
    path: str | Path,
    opts: ImportOptions,
    *,
    progress: ProgressFn | None = None,
) -> ImportResult:
    """Validate ``path`` completely, then merge it into ``store`` in one transaction.

    Raises
    ------
    GaemiInputError
        On the first bad row (file and line named) or a conflict with stored values
        under ``on_conflict="error"``; the store is then unchanged.
    """
    p = Path(path)
    steps = 3
    if progress:
        progress(0, steps)
    prep = prepare_import(p, opts)
    try:
        if progress:
            progress(1, steps)
        with store.transaction():
            results = _merge_prepared(store, prep, opts)
            if progress:
                progress(2, steps)
    finally:
        prep.cancel()
    if progress:
        progress(3, steps)
    return prep.result(results)


#: Store table -> (the column naming its series, its date column), for summaries.
SERIES_KEYS: dict[str, tuple[str, str]] = {
    "prices": ("symbol", "date"),
    "macro": ("series_id", "date"),
    "fund_nav": ("ticker", "date"),
    "derivatives": ("metric", "date"),
    "ksd_holdings": ("ticker", "as_of"),
    "ksd_flows": ("ticker", "as_of"),
}


@dataclass(eq=False)
class PreparedImport:
    """A file read and validated, not yet written: the tables it would merge.

    Its digest (:func:`file_digest`) is computed in a background thread beside the
    parse, the validation and the merge; it is first needed by the import log.
    """

    path: Path
    kind: str
    table: Table
    tables: dict[str, pa.Table]
    hashing: _BackgroundHash

    def cancel(self) -> None:
        """Stop the background hash (it is done or no longer needed)."""
        self.hashing.cancel()

    def result(self, results: Sequence[MergeResult]) -> ImportResult:
        """The :class:`ImportResult` of merging this file with ``results``."""
        import pyarrow.compute as pc

        tables = self.tables
        first = tables[next(iter(tables))]
        key, dcol = SERIES_KEYS.get(next(iter(tables)), ("ticker", "as_of"))
        series = self.table.series or tuple(sorted(pc.unique(first.column(key)).to_pylist()))
        mm = pc.min_max(first.column(dcol)).as_py()
        return ImportResult(
            file=self.path.name,
            kind=self.kind,
            results=tuple(results),
            notes=tuple(self.table.notes),
            series=series,
            first_date=str(mm["min"] or ""),
            last_date=str(mm["max"] or ""),
        )


def prepare_import(path: str | Path, opts: ImportOptions) -> PreparedImport:
    """Read and validate one file without touching any store (see :func:`import_files`)."""
    p = Path(path)
    if opts.kind not in KINDS:
        raise GaemiInputError(f"kind = {opts.kind!r} must be one of {', '.join(KINDS)}")
    _check_file(p, opts.max_bytes)
    hashing = _BackgroundHash(p)
    try:
        table, tables = _validated(p, opts)
    except BaseException:
        hashing.cancel()
        raise
    return PreparedImport(p, opts.kind, table, tables, hashing)


def _merge_prepared(store: Store, prep: PreparedImport, opts: ImportOptions) -> list[MergeResult]:
    """Merge a validated file and log it (inside the caller's transaction)."""
    p, table, tables = prep.path, prep.table, prep.tables
    results: list[MergeResult] = []
    for tname, arrow in tables.items():
        results.append(
            store.merge(
                tname,
                arrow,
                on_conflict=opts.on_conflict,
                label=p.name,
                provenance=table.provenance,
            )
        )
    total = MergeResult(
        "+".join(tables),
        sum(r.rows for r in results),
        sum(r.inserted for r in results),
        sum(r.replaced for r in results),
        sum(r.unchanged for r in results),
        sum(r.kept for r in results),
    )
    if total.changed:
        store.log_import(
            opts.kind,
            total,
            file=str(p.resolve()),
            digest=prep.hashing.result(),
            source=opts.source or _source_label(p),
            notes=table.notes,
        )
    return results


def import_files(
    store: Store,
    paths: Sequence[str | Path],
    opts: ImportOptions,
    *,
    progress: ProgressFn | None = None,
) -> list[ImportResult]:
    """Validate EVERY file first, then merge them all in ONE transaction: all or nothing.

    Nothing is written until every file has been read and validated
    (:func:`prepare_imports`); then the files are merged in the order given
    (:func:`write_imports`): a later file meets the rows of an earlier one as stored rows,
    so two files that disagree on a key are a conflict like any other. A bad file, or a
    conflict in any file under ``on_conflict="error"``, rolls the whole batch back: the
    store is unchanged and the one-line error names the file. The import log gets one row
    per file that changed something, in the same transaction. ``progress(done, total)``
    counts two steps per file: validated, then written. One file is :func:`import_file`.
    """
    ps = [Path(x) for x in paths]
    if len(ps) == 1:
        return [import_file(store, ps[0], opts, progress=progress)]
    n = len(ps)
    prepared = prepare_imports(
        ps, opts, progress=None if progress is None else (lambda i, _n: progress(i, 2 * n))
    )
    return write_imports(
        store,
        prepared,
        opts,
        progress=None if progress is None else (lambda i, _n: progress(n + i, 2 * n)),
    )


def prepare_imports(
    paths: Sequence[str | Path], opts: ImportOptions, *, progress: ProgressFn | None = None
) -> list[PreparedImport]:
    """Read and validate every file, writing nothing; a bad file raises a one-line
    :class:`GaemiInputError` naming it (and, in a batch, its place and that nothing was
    imported). The validated tables are held in memory until :func:`write_imports` (each
    file is at most ``opts.max_bytes``)."""
    ps = [Path(x) for x in paths]
    n = len(ps)
    prepared: list[PreparedImport] = []
    try:
        for i, p in enumerate(ps):
            try:
                prepared.append(prepare_import(p, opts))
            except GaemiInputError as exc:
                if n == 1:
                    raise
                raise GaemiInputError(
                    f"{exc} (file {i + 1} of {n}; nothing was imported)"
                ) from None
            if progress:
                progress(i + 1, n)
    except BaseException:
        for prep in prepared:
            prep.cancel()
        raise
    return prepared


def write_imports(
    store: Store,
    prepared: Sequence[PreparedImport],
    opts: ImportOptions,
    *,
    progress: ProgressFn | None = None,
) -> list[ImportResult]:
    """Merge validated files into ``store`` in ONE transaction, in order; any error (a
    conflict under ``on_conflict="error"``) rolls all of them back and names the file."""
    n = len(prepared)
    all_results: list[list[MergeResult]] = []
    try:
        with store.transaction():
            for i, prep in enumerate(prepared):
                try:
                    all_results.append(_merge_prepared(store, prep, opts))
                except GaemiInputError as exc:
                    if n == 1:
                        raise
                    raise GaemiInputError(
                        f"{exc} (file {i + 1} of {n}; the {n} files are one transaction: "
                        "nothing was imported)"
                    ) from None
                if progress:
                    progress(i + 1, n)
    finally:
        for prep in prepared:
            prep.cancel()
    return [prep.result(r) for prep, r in zip(prepared, all_results, strict=True)]
