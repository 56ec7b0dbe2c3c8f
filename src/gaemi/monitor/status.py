"""The composite risk status (LOW … CRITICAL) and its one-sentence reason.

Rules come from ``monitor_rules.yaml`` and are tried top to bottom: a rule matches when at
least ``count`` of the indicators it looks at (``among``, default all available) reach
``level``. The reason names the rule and the highest indicators with their details.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gaemi.monitor.indicators import LEVELS, Indicator, MonitorRules


@dataclass(frozen=True)
class Status:
    """The composite status of one day."""

    status: str
    level: int
    reason: str
    rule: str
    drivers: tuple[Indicator, ...]

    @property
    def exit_code(self) -> int:
        """For cron: 0 for LOW, else 10 + level (11 GUARDED … 14 CRITICAL).

        Offset by 10 so a status never reads as the CLI's bad-input code 2.
        """
        return 0 if self.level == 0 else 10 + self.level


def composite_status(
    indicators: Sequence[Indicator], rules: MonitorRules, max_drivers: int = 3
) -> Status:
    """Apply the rules to the available indicators."""
    available = [i for i in indicators if i.level is not None]
    for rule in rules.status_rules:
        among = rule.get("among") or None
        pool = [i for i in available if among is None or i.id in among]
        hits = [i for i in pool if i.level is not None and i.level >= rule["level"]]
        if len(hits) >= rule["count"]:
            status = str(rule["status"])
            ranked = sorted(available, key=lambda i: -(i.level or 0))
            drivers = tuple(i for i in ranked if (i.level or 0) > 0)[:max_drivers]
            why = str(rule.get("why", ""))
            parts = "; ".join(f"{i.name}: {i.detail}" for i in drivers)
            reason = f"{status}: {why}" + (f" — {parts}" if parts else "")
            return Status(status, LEVELS.index(status), reason, why, drivers)
    # the rules file must end with a catch-all rule; validated to be non-empty
    return Status("LOW", 0, "LOW: no rule matched", "", ())
