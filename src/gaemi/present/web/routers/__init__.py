"""One router module per engine; :data:`ROUTER_MODULES` lists them in mounting order."""

from __future__ import annotations

#: Modules of ``gaemi.present.web.routers`` that define ``router`` (an ``APIRouter``).
ROUTER_MODULES: tuple[str, ...] = (
    "meta",
    "flows",
    "stress",
    "decay",
    "cascade",
    "crypto",
    "monitor",
    "investor",
)
