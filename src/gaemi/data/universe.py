"""Load a fund universe: the embedded default snapshot, or a user's CSV/Parquet file.

Every row is validated before a :class:`~gaemi.core.universe.Universe` is built; a bad
row raises :class:`~gaemi.errors.GaemiInputError` naming the file, the row (the line
number in a CSV, counting the header as line 1) and the field.

Schema (one row per fund)
-------------------------
required  ``ticker``, ``leverage`` (signed: > 1 or < 0), ``aum_usd`` (0 to $10T) and
          ``underlying_id`` (or ``underlying``, used as the id when no id is given)
optional  ``name``, ``issuer``, ``underlying``, ``underlying_kind``, ``underlying_group``,
          ``asset_class``, ``expense_ratio`` (decimal), ``aum_as_of``,
          ``korean_held_usd`` (USD) or ``korean_share`` (0–1; wins if both are given),
          ``korean_as_of``, ``source_aum``, ``source_korean``, ``confidence``, ``notes``

The Korean share of a fund is ``korean_share`` where the source states it, otherwise
``korean_held_usd / aum_usd``. The two figures may be of different dates (see
``korean_as_of`` and ``aum_as_of``); the report shows both dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gaemi.core.universe import FIELDS, NUMBER_FIELDS, Universe
from gaemi.errors import GaemiInputError
from gaemi.limits import MAX_AUM_USD, MAX_FUND_LEVERAGE, is_fund_leverage

#: The dates of a row (ISO ``YYYY-MM-DD``; a date after today is refused).
DATE_FIELDS = ("aum_as_of", "korean_as_of")
#: Earliest date accepted in them (before the first leveraged ETF, 2006).
MIN_AS_OF = dt.date(1990, 1, 1)

REQUIRED = ("ticker", "leverage", "aum_usd")
OPTIONAL = (
    "name",
    "issuer",
    "underlying_id",
    "underlying",
    "underlying_kind",
    "underlying_group",
    "asset_class",
    "expense_ratio",
    "aum_as_of",
    "korean_held_usd",
    "korean_share",
    "korean_as_of",
    "source_aum",
    "source_korean",
    "confidence",
    "notes",
)
KNOWN_COLUMNS = frozenset(REQUIRED + OPTIONAL)
UNDERLYING_KINDS = ("index", "single_stock", "commodity", "crypto", "rates")
DEFAULT_RESOURCE = "universe.csv"


def default_universe_path() -> Path:
    """Path of the embedded default snapshot (package data)."""
    return Path(str(resources.files("gaemi.data.defaults").joinpath(DEFAULT_RESOURCE)))


def load_default_universe() -> Universe:
    """The embedded default: every fund of the 2026-06-01 snapshot with a known leverage
    (not 1x) and a mapped underlying, the curated funds' Korean shares and sources kept
    (``scripts/build_universe.py``; the left-out funds: :func:`load_excluded_funds`)."""
    return load_universe(default_universe_path(), label="default universe")


def load_universe(
    path: str | Path, *, label: str | None = None, max_bytes: int | None = None
) -> Universe:
    """Read and validate a universe file (``.csv`` or ``.parquet``).

    Parameters
    ----------
    max_bytes : int, optional
        Size limit checked before reading (default 256 MiB, or ``$GAEMI_MAX_INPUT_MB``).

    Raises
    ------
    GaemiInputError
        On a missing file, a file above the size limit, text that is not UTF-8 (a UTF-8
        byte-order mark is accepted), an unknown or missing column, or any invalid row
        (including an ``aum_as_of``/``korean_as_of`` that is not a date or is after today).
    """
    from gaemi.data.yamlio import check_input_file

    p = check_input_file(path, "universe file", max_bytes=max_bytes)
    name = label or p.name
    suffix = p.suffix.lower()
    if suffix == ".csv":
        header, rows = _read_csv(p)
    elif suffix in (".parquet", ".pq"):
        header, rows = _read_parquet(p)
    else:
        raise GaemiInputError(
            f"universe file {p.name}: unknown format {suffix!r} (expected .csv or .parquet)"
        )
    return universe_from_rows(header, rows, source=p.name, label=name)


def _read_csv(p: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    from gaemi.data.yamlio import decode_text

    text = decode_text(p.read_bytes(), p.name)
    if "\x00" in text:
        raise GaemiInputError(f"{p.name}: the file holds NUL bytes (binary, not a CSV)")
    lines = text.splitlines()
    reader = csv.reader(lines)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise GaemiInputError(f"universe file {p.name}: empty file (no header)") from None
    except csv.Error as exc:
        raise GaemiInputError(f"{p.name} line 1: not a readable CSV header ({exc})") from None

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        lineno = 1
        while True:
            lineno += 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise GaemiInputError(f"{p.name} line {lineno}: not readable CSV ({exc})") from None
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise GaemiInputError(
                    f"{p.name} line {lineno}: {len(values)} fields, header has {len(header)}"
                )
            yield lineno, dict(zip(header, values, strict=True))

    return header, rows()


def _read_parquet(p: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(p)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise GaemiInputError(
            f"universe file {p.name}: not a readable Parquet file "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        ) from None
    header = list(table.column_names)
    records = table.to_pylist()
    return header, ((i + 1, rec) for i, rec in enumerate(records))


def _number(src: str, row: int, field: str, value: Any, *, required: bool) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise GaemiInputError(f"{src} row {row}: {field} is missing")
        return math.nan
    try:
        out = float(str(value).strip().replace("_", "")) if isinstance(value, str) else float(value)
    except ValueError:
        raise GaemiInputError(f"{src} row {row}: {field} = {value!r} is not a number") from None
    if math.isnan(out) and required:
        raise GaemiInputError(f"{src} row {row}: {field} = NaN is not allowed")
    if math.isinf(out):
        raise GaemiInputError(f"{src} row {row}: {field} = {value!r} must be finite")
    return out


def _as_of(src: str, row: int, field: str, value: Any) -> str:
    """An optional date field as ``YYYY-MM-DD`` (``""`` when blank); not after today."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        text = _text(value)
        if not text:
            return ""
        try:
            if len(text) != 10:
                raise ValueError(text)
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise GaemiInputError(
                f"{src} row {row}: {field} = {text!r} is not a YYYY-MM-DD date"
            ) from None
    today = _today()
    if day > today:
        raise GaemiInputError(
            f"{src} row {row}: {field} = {day.isoformat()} is after today ({today.isoformat()})"
        )
    if day < MIN_AS_OF:
        raise GaemiInputError(
            f"{src} row {row}: {field} = {day.isoformat()} is before {MIN_AS_OF.isoformat()}"
        )
    return day.isoformat()


def _today() -> dt.date:
    """Today's date (UTC) plus one day's grace for time zones ahead of UTC."""
    return dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).strip()


def universe_from_rows(
    header: Iterable[str],
    rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    source: str,
    label: str,
) -> Universe:
    """Validate rows (``(row_number, record)``) and build a :class:`Universe`."""
    header = list(header)
    unknown = [h for h in header if h not in KNOWN_COLUMNS]
    if unknown:
        raise GaemiInputError(
            f"{source}: unknown column {unknown[0]!r} (known: {', '.join(sorted(KNOWN_COLUMNS))})"
        )
    missing = [c for c in REQUIRED if c not in header]
    if "underlying_id" not in header and "underlying" not in header:
        missing.append("underlying_id")
    if missing:
        raise GaemiInputError(f"{source}: required column {missing[0]!r} is missing")

    cols: dict[str, list[Any]] = {k: [] for k in FIELDS}
    seen: dict[str, int] = {}
    for row, rec in rows:
        ticker = _text(rec.get("ticker")).upper()
        if not ticker:
            raise GaemiInputError(f"{source} row {row}: ticker is missing")
        if ticker in seen:
            raise GaemiInputError(
                f"{source} row {row}: ticker = {ticker!r} duplicates row {seen[ticker]}"
            )
        seen[ticker] = row
        dates = {f: _as_of(source, row, f, rec.get(f)) for f in DATE_FIELDS}
        lev = _number(source, row, "leverage", rec.get("leverage"), required=True)
        if not is_fund_leverage(lev):
            raise GaemiInputError(
                f"{source} row {row}: leverage = {lev:g} is not a leveraged or inverse fund "
                "(need L > 1 or L < 0)"
            )
        if abs(lev) > MAX_FUND_LEVERAGE:
            raise GaemiInputError(
                f"{source} row {row}: leverage = {lev:g} is outside "
                f"[-{MAX_FUND_LEVERAGE:g}, {MAX_FUND_LEVERAGE:g}]"
            )
        aum = _number(source, row, "aum_usd", rec.get("aum_usd"), required=True)
        if aum < 0:
            raise GaemiInputError(f"{source} row {row}: aum_usd = {aum:g} must be >= 0")
        if aum > MAX_AUM_USD:
            raise GaemiInputError(
                f"{source} row {row}: aum_usd = {aum:g} is above the {MAX_AUM_USD:g} ($10T) limit"
            )
        er = _number(source, row, "expense_ratio", rec.get("expense_ratio"), required=False)
        if not math.isnan(er) and not 0 <= er < 0.2:
            raise GaemiInputError(
                f"{source} row {row}: expense_ratio = {er:g} must be a decimal in [0, 0.2)"
            )
        share = _number(source, row, "korean_share", rec.get("korean_share"), required=False)
        held = _number(source, row, "korean_held_usd", rec.get("korean_held_usd"), required=False)
        if not math.isnan(held) and held < 0:
            raise GaemiInputError(f"{source} row {row}: korean_held_usd = {held:g} must be >= 0")
        if not math.isnan(held) and held > MAX_AUM_USD:
            raise GaemiInputError(
                f"{source} row {row}: korean_held_usd = {held:g} is above the "
                f"{MAX_AUM_USD:g} ($10T) limit"
            )
        if math.isnan(share) and not math.isnan(held):
            if aum <= 0:
                raise GaemiInputError(
                    f"{source} row {row}: korean_held_usd = {held:g} with aum_usd = 0"
                )
            share = held / aum
            k_date, a_date = dates["korean_as_of"], dates["aum_as_of"]
            if share > 1 and k_date and a_date and k_date != a_date:
                # holdings and AUM of different dates (FACTS.md's TSLT: $327M Korean-held on
                # 2025-01-21, AUM $283M on 2026-06-01 after the fund shrank): the holding is
                # no share of today's AUM, so the share is unknown (flows: "unattributed")
                share = math.nan
            elif share > 1:
                raise GaemiInputError(
                    f"{source} row {row}: korean_held_usd = {held:g} exceeds aum_usd = {aum:g} "
                    f"(Korean share {share:.0%} > 100%)"
                )
        if not math.isnan(share) and not 0 <= share <= 1:
            raise GaemiInputError(f"{source} row {row}: korean_share = {share:g} must be in [0, 1]")
        uid = _text(rec.get("underlying_id")) or _text(rec.get("underlying"))
        if not uid:
            raise GaemiInputError(f"{source} row {row}: underlying_id is missing")
        kind = _text(rec.get("underlying_kind")) or "index"
        if kind not in UNDERLYING_KINDS:
            raise GaemiInputError(
                f"{source} row {row}: underlying_kind = {kind!r} must be one of "
                f"{', '.join(UNDERLYING_KINDS)}"
            )
        cols["ticker"].append(ticker)
        cols["name"].append(_text(rec.get("name")) or ticker)
        cols["issuer"].append(_text(rec.get("issuer")) or "unknown")
        cols["leverage"].append(lev)
        cols["underlying_id"].append(uid.upper())
        cols["underlying_kind"].append(kind)
        cols["underlying_group"].append(_text(rec.get("underlying_group")) or uid.upper())
        cols["expense_ratio"].append(er)
        cols["aum_usd"].append(aum)
        cols["aum_as_of"].append(dates["aum_as_of"])
        cols["korean_share"].append(share)
        cols["korean_as_of"].append(dates["korean_as_of"])
        cols["source_aum"].append(_text(rec.get("source_aum")))
        cols["source_korean"].append(_text(rec.get("source_korean")))
    if not cols["ticker"]:
        raise GaemiInputError(f"{source}: no funds (the file has a header but no rows)")
    arrays: dict[str, Any] = {
        k: np.asarray(v, dtype=float) if k in NUMBER_FIELDS else np.asarray(v, dtype=str)
        for k, v in cols.items()
    }
    return Universe(**arrays, label=label)


# --------------------------------------------------------------------- creations β
CREATIONS_BETA_RESOURCE = "creations_beta.csv"


@dataclass(frozen=True)
class CreationBetas:
    """The measured creation coefficient of each fund class (frozen).

    ``beta_by_class`` maps a class of :data:`gaemi.core.creations.FUND_CLASSES` to β,
    the fraction of start-of-day assets created per unit same-day move of the underlying
    (C = β·A·r); ``ci_by_class`` its Newey–West 95 % interval; ``train`` the fit's window
    (first, last day); ``source`` where the figures come from.
    """

    beta_by_class: dict[str, float]
    ci_by_class: dict[str, tuple[float, float]]
    train: tuple[str, str]
    source: str

    def describe(self) -> str:
        """One line: each class's β with its CI, the window and the source."""
        parts = [
            f"{c} {b:+.3f} [{self.ci_by_class[c][0]:+.3f}, {self.ci_by_class[c][1]:+.3f}]"
            for c, b in self.beta_by_class.items()
        ]
        return (
            f"measured same-day creations per unit move, fitted {self.train[0]}..{self.train[1]}: "
            + "; ".join(parts)
            + f" ({self.source})"
        )


def creation_beta_rows(
    path: str | Path | None = None,
) -> tuple[str, list[dict[str, str]], set[str]]:
    """The file's name, rows and header fields of ``defaults/creations_beta.csv`` (or
    ``path``); a file that cannot be read is one line
    (:class:`gaemi.errors.GaemiInputError`). The one reader of that file for
    :func:`load_creation_betas` and
    :func:`gaemi.data.fund_history.load_directional_creation_betas`."""
    p = (
        Path(str(resources.files("gaemi.data.defaults").joinpath(CREATIONS_BETA_RESOURCE)))
        if path is None
        else Path(path)
    )
    try:
        with open(p, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            return p.name, list(reader), set(reader.fieldnames or ())
    except OSError as e:
        raise GaemiInputError(f"creations beta file {p.name}: cannot be read ({e.strerror})") from e


def creation_beta_class(row: Mapping[str, str], src: str, i: int) -> str:
    """A row's fund class, refused in one line unless it is a known class."""
    from gaemi.core.creations import FUND_CLASSES

    cls = (row.get("fund_class") or "").strip()
    if cls not in FUND_CLASSES:
        raise GaemiInputError(f"{src} row {i}: fund_class = {cls!r} is not a known class")
    return cls


def creation_beta_number(row: Mapping[str, str], field: str, src: str, i: int) -> float:
    """A finite number of a row, refused in one line naming file, row, field and value."""
    try:
        v = float(row.get(field) or "nan")
    except ValueError:
        v = float("nan")
    if not math.isfinite(v):
        raise GaemiInputError(f"{src} row {i}: {field} = {row.get(field)!r} is not a number")
    return v


def load_creation_betas(path: str | Path | None = None) -> CreationBetas:
    """The embedded creation coefficients (``defaults/creations_beta.csv``, written by
    ``scripts/build_creation_betas.py`` from the ProShares issuer data)."""
    src, rows, _fields = creation_beta_rows(path)
    beta: dict[str, float] = {}
    ci: dict[str, tuple[float, float]] = {}
    windows: set[tuple[str, str]] = set()
    source = ""
    for i, row in enumerate(rows, start=2):
        cls = creation_beta_class(row, src, i)
        vals = [
            creation_beta_number(row, f, src, i)
            for f in ("beta_frac_per_move", "ci_low", "ci_high")
        ]
        beta[cls], ci[cls] = vals[0], (vals[1], vals[2])
        windows.add((row.get("train_first", ""), row.get("train_last", "")))
        source = row.get("source", "") or source
    if not beta:
        raise GaemiInputError(f"creations beta file {src}: no rows")
    first = min(w[0] for w in windows)
    last = max(w[1] for w in windows)
    return CreationBetas(beta, ci, (first, last), f"{src}: {source}")


# ------------------------------------------------------- the whole-universe companions
EXCLUDED_RESOURCE = "universe_excluded.csv"
AUM_HISTORY_RESOURCE = "universe_aum_history.csv"
LEVERAGE_HISTORY_RESOURCE = "leverage_history.csv"


def _default_rows(resource: str) -> list[dict[str, str]]:
    p = Path(str(resources.files("gaemi.data.defaults").joinpath(resource)))
    with open(p, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_excluded_funds() -> list[dict[str, str]]:
    """Funds of the 2026-06-01 snapshot left out of the embedded universe, with the reason
    (``leverage variable``, ``leverage unknown``, ``leverage 1x``, ``AUM unknown``,
    ``not daily reset``, ``underlying not mapped``): listed, never guessed
    (``scripts/build_universe.py``)."""
    return _default_rows(EXCLUDED_RESOURCE)


def load_aum_history() -> dict[str, list[tuple[str, float, str]]]:
    """Dated AUM of each embedded fund in the five 2026 monthly snapshots:
    ticker → [(aum_as_of, aum_usd, source), …] oldest first."""
    out: dict[str, list[tuple[str, float, str]]] = {}
    for r in _default_rows(AUM_HISTORY_RESOURCE):
        out.setdefault(r["ticker"], []).append((r["aum_as_of"], float(r["aum_usd"]), r["source"]))
    for v in out.values():
        v.sort()
    return out


def load_leverage_history() -> dict[str, list[tuple[float, str, str]]]:
    """Leverage with validity dates where it changed (FACTS.md §(j)):
    ticker → [(leverage, valid_from, valid_to), …] ('' = open end)."""
    out: dict[str, list[tuple[float, str, str]]] = {}
    for r in _default_rows(LEVERAGE_HISTORY_RESOURCE):
        out.setdefault(r["ticker"], []).append(
            (float(r["leverage"]), r["valid_from"], r["valid_to"])
        )
    return out


def leverage_on(ticker: str, day: dt.date | str, today: float) -> float:
    """The fund's leverage on ``day``: its dated leverage where it changed, else ``today``."""
    d = str(day)
    for lev, first, last in load_leverage_history().get(ticker.upper(), []):
        if (not first or first <= d) and (not last or d <= last):
            return lev
    return today


def default_universe_on(universe: Universe, day: dt.date) -> tuple[Universe, str | None]:
    """The embedded universe with each fund's AUM from the latest dated snapshot on or
    before ``day`` (:func:`load_aum_history`) and its leverage of that day
    (:func:`leverage_on`); funds with no snapshot by then are left out. Days on or after
    the universe's own AUM date, or before every snapshot, return it unchanged (None).
    """
    from dataclasses import replace

    dates = sorted(set(universe.aum_as_of.tolist()) - {""})
    iso = day.isoformat()
    hist = load_aum_history()
    first = min((v[0][0] for v in hist.values() if v), default=None)
    if not dates or iso >= dates[0] or first is None or iso < first:
        return universe, None
    keep = np.zeros(len(universe), dtype=bool)
    aum = universe.aum_usd.copy()
    as_of = universe.aum_as_of.copy()
    src = universe.source_aum.copy()
    lev = universe.leverage.copy()
    for i, tk in enumerate(universe.ticker.tolist()):
        known = [h for h in hist.get(tk, []) if h[0] <= iso]
        if known:
            keep[i] = True
            as_of[i], aum[i], src[i] = known[-1]
            lev[i] = leverage_on(tk, day, float(lev[i]))
    u = replace(universe, aum_usd=aum, aum_as_of=as_of, source_aum=src, leverage=lev)
    out = u.select(keep)
    used = sorted(set(out.aum_as_of.tolist()))
    return out, (
        f"embedded universe on {iso}: AUM of {len(out)} funds from the dated snapshot(s) "
        f"{', '.join(used)} ({len(universe) - len(out)} funds not listed by then)"
    )
