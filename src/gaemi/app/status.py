"""The composite risk status (LOW … CRITICAL) and every indicator, on one market state.

``gaemi monitor``, ``/api/status`` and the report's status all call :func:`status`, so
with the same store they read the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gaemi.app.result import Result

if TYPE_CHECKING:
    import pandas as pd

    from gaemi.data.state import MarketState
    from gaemi.monitor.indicators import Indicator, MonitorRules
    from gaemi.monitor.status import Status


@dataclass(frozen=True)
class DataAge:
    """How old the newest dated input of a status is on the day it is read for.

    The one staleness rule of the monitor, ``/api/status``, the dashboard and the report:
    the status is stale when its newest dated indicator input is more than the rules'
    ``stale_after_days`` (``monitor_rules.yaml``, 7 days) before the day.

    Attributes
    ----------
    day : date
        The day the status is read for.
    newest : date or None
        The newest as-of date among the indicators (None: no dated input).
    age_days : int or None
        ``day - newest`` in days (negative: data dated after the day).
    limit_days : int
        The staleness limit (the rules' ``stale_after_days``).
    """

    day: dt.date
    newest: dt.date | None
    age_days: int | None
    limit_days: int

    @property
    def stale(self) -> bool:
        """The newest dated input is older than the limit."""
        return self.age_days is not None and self.age_days > self.limit_days


def data_age(indicators: Sequence[Indicator], day: dt.date, stale_after_days: int) -> DataAge:
    """The newest dated indicator input and its age on ``day`` (see :class:`DataAge`)."""
    dated = [i.as_of for i in indicators if i.as_of is not None]
    newest = max(dated) if dated else None
    age = (day - newest).days if newest is not None else None
    return DataAge(day, newest, age, int(stale_after_days))


def status_text(
    status: str, newest: dt.date | None, age: int | None, stale: bool, limit: int | None
) -> str:
    """The status with its age, the one wording of every face: e.g.
    ``HIGH (data as of 2026-03-27, 1 day old)`` or
    ``HIGH — stale: newest market data 125 days old (as of 2026-08-03; limit 7 days)``."""
    if newest is None or age is None:
        return f"{status} (no dated data)"
    days = f"{age} day{'' if age == 1 else 's'} old"
    if age < 0:
        return f"{status} (data as of {newest.isoformat()}, after the day asked)"
    if stale:
        lim = f"; limit {limit} days" if limit is not None else ""
        return f"{status} — stale: newest market data {days} (as of {newest.isoformat()}{lim})"
    return f"{status} (data as of {newest.isoformat()}, {days})"


def past_data_text(age: DataAge) -> str:
    """The headline in place of a status for a day asked past the data, e.g.
    ``no status: 2030-01-01 is 1,247 days after the newest market data (2026-08-03; limit
    7 days)``."""
    return (
        f"no status: {age.day.isoformat()} is {age.age_days:,} days after the newest market "
        f"data ({age.newest}; limit {age.limit_days} days)"
    )


def is_past_data(age: DataAge, *, day_asked: bool, later: bool) -> bool:
    """The one "no status" rule of every face (report, monitor, ``/api/status``, dashboard).

    A day asked for explicitly (``--date``, ``gaemi serve --date``, ``day=``), lying after
    every market observation (``later``: no series has a point after the day) with its
    newest dated indicator input older than the staleness limit, has no status. Today's
    status on old data is still given, flagged stale; a gap inside the data keeps its status.
    """
    return bool(day_asked and age.stale and not later)


def past_data_status(age: DataAge) -> Status:
    """The ``n/a`` status (level 0, rule ``past_the_data``) given in place of a status for a
    day asked past the data (:func:`is_past_data`)."""
    from gaemi.monitor.status import Status

    return Status(
        "n/a",
        0,
        f"No status for {age.day}: the indicators have nothing from that day. Ask for "
        f"a day the data covers (on or before {age.newest}) or import newer data "
        "(`gaemi data import`).",
        "past_the_data",
        (),
    )


def status_fields(status: Status, age: DataAge, past_data: bool) -> dict[str, Any]:
    """The status and its age under the JSON keys every face uses: ``status``,
    ``status_level``, ``status_text`` (the headline: :func:`status_text` or, past the data,
    :func:`past_data_text`), ``status_as_of``, ``status_age_days``, ``status_stale``,
    ``status_past_data``, ``stale_after_days``."""
    text = (
        past_data_text(age)
        if past_data
        else status_text(status.status, age.newest, age.age_days, age.stale, age.limit_days)
    )
    return {
        "status": status.status,
        "status_level": int(status.level),
        "status_text": text,
        "status_as_of": age.newest.isoformat() if age.newest is not None else None,
        "status_age_days": age.age_days,
        "status_stale": age.stale,
        "status_past_data": bool(past_data),
        "stale_after_days": age.limit_days,
    }


def indicator_frame(
    indicators: Sequence[Indicator], day: dt.date, stale_after_days: int
) -> pd.DataFrame:
    """One row per indicator: state, level, value and unit, thresholds, as-of date,
    ``age_days`` against ``day`` and ``stale`` (older than ``stale_after_days``), source."""
    import pandas as pd

    rows = []
    for i in indicators:
        age = i.age_days(day)
        rows.append(
            {
                "indicator": i.id,
                "name": i.name,
                "state": i.state,
                "level": i.level,
                "value": i.value,
                "unit": i.unit,
                "detail": i.detail,
                "thresholds": list(i.thresholds),
                "as_of": i.as_of.isoformat() if i.as_of else None,
                "age_days": age,
                "stale": bool(age is not None and age > stale_after_days),
                "source": i.source,
                "rationale": i.rationale,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True, kw_only=True)
class StatusResult(Result):
    """The status, its reason and every indicator with value, thresholds, as-of and source.

    ``to_frame()``: one row per indicator (``age_days`` against :attr:`day`, ``stale`` when
    older than the rules' limit). ``to_dict()`` adds ``status``, ``level``, ``reason``,
    ``rule``, ``drivers``, ``stale`` (every figure is stale) and ``market``.
    """

    day: dt.date
    status: Status
    indicators: tuple[Indicator, ...]
    stale_after_days: int
    market_label: str
    moves: Mapping[str, float] = field(default_factory=dict)
    #: the day was asked past every observation by more than the limit
    #: (:func:`is_past_data`): ``status`` is ``n/a`` (:func:`past_data_status`)
    past_data: bool = False
    kind: str = field(default="status", init=False, repr=False)

    @property
    def level(self) -> int:
        return int(self.status.level)

    @property
    def stale(self) -> bool:
        """Every dated figure is older than the rules' staleness limit (:func:`data_age`)."""
        return self.data_age.stale

    @property
    def data_age(self) -> DataAge:
        """The newest dated indicator input and its age on :attr:`day`."""
        return data_age(self.indicators, self.day, self.stale_after_days)

    @property
    def headline(self) -> str:
        """The status with its age (``HIGH — stale: ...``) or ``no status: ...``."""
        return str(self.status_fields()["status_text"])

    def status_fields(self) -> dict[str, Any]:
        """The status keys every face's JSON carries (:func:`status_fields`)."""
        return status_fields(self.status, self.data_age, self.past_data)

    def to_frame(self, view: str | None = None) -> pd.DataFrame:
        return indicator_frame(self.indicators, self.day, self.stale_after_days)

    def summary(self) -> str:
        return f"{self.day}: {self.status.status} — {self.status.reason}"

    def extra_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "status": self.status.status,
            "level": self.level,
            "reason": self.status.reason,
            "rule": self.status.rule,
            "drivers": [i.id for i in self.status.drivers],
            "stale": self.stale,
            "stale_after_days": self.stale_after_days,
            "market": self.market_label,
            "moves_frac": dict(self.moves),
            **self.status_fields(),
        }


def status(
    state: MarketState | None = None,
    *,
    moves: Mapping[str, float] | None = None,
    rules: MonitorRules | None = None,
    day_asked: bool = False,
) -> StatusResult:
    """The composite status on ``state``: every indicator, then the rules' combination.

    Parameters
    ----------
    state : MarketState, optional
        From :func:`gaemi.load_state` (default: the embedded default, today).
    moves : mapping, optional
        Today's moves so far as fractions, ``{"NDX": -0.031}`` (NDX and SOX are read).
    rules : MonitorRules, optional
        Thresholds and the combination rule (default: ``monitor_rules.yaml``).
    day_asked : bool, optional
        The state's day was asked for (``--date``), not today by default: a day after
        every market observation by more than the staleness limit then has no status
        (``n/a``, :func:`is_past_data`), as in the report.

    Returns
    -------
    StatusResult
        ``status.status`` (LOW, GUARDED, ELEVATED, HIGH, CRITICAL), ``level`` (0–4),
        ``indicators``; ``to_frame()``, ``to_dict()``, ``summary()``.
    """
    from gaemi.app.state import load_state
    from gaemi.monitor.indicators import compute_indicators, load_default_rules
    from gaemi.monitor.status import composite_status

    st = state if state is not None else load_state()
    r = rules or load_default_rules()
    mv = dict(moves or {})
    ctx: dict[str, Any] = {"moves": mv, "day": st.day}
    # the depository's figures when the state has them (a store or folder with KSD
    # custody): the Korean-holdings indicators use them instead of the press quotes
    if getattr(st, "korean_holdings", None) is not None:
        ctx["korean_holdings"] = st.korean_holdings
        ctx["korean_shares"] = st.korean_shares
    inds = tuple(compute_indicators(st.market, st.universe, r, ctx))
    age = data_age(inds, st.day, r.stale_after_days)
    past = is_past_data(age, day_asked=day_asked, later=bool(getattr(st, "later", None)))
    return StatusResult(
        day=st.day,
        status=past_data_status(age) if past else composite_status(inds, r),
        past_data=past,
        indicators=inds,
        stale_after_days=r.stale_after_days,
        market_label=st.market.label,
        moves=mv,
        warnings=tuple(st.warnings),
        sources=tuple(f"{k}: {v}" for k, v in st.sources.items()),
    )
