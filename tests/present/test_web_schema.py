"""Property-based API tests generated from the OpenAPI schema (schemathesis): no 5xx.

Every operation gets a bounded number of generated requests, valid and invalid; each
answer must be below 500 and, for 2xx, match the response schema. The schema lists the
known ids (tickers, underlyings, nodes, assets) as enums, so generated valid requests
succeed: every operation must reach a 2xx (issue 21), and a 405 must name every method
of its path in ``Allow``.
"""

from __future__ import annotations

import os
import warnings

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402

from gaemi.present.web.app import create_app  # noqa: E402

if os.environ.get("PYTEST_XDIST_WORKER"):
    # under pytest-xdist schemathesis' generated items run the first operation only (seen
    # with schemathesis 4 / xdist 3.8: /api/health alone): ``make test`` runs this file in
    # a plain process after the parallel part, so it is never weakened silently
    pytest.skip(
        "run without pytest-xdist (make test runs this file in its own process)",
        allow_module_level=True,
    )

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    app = create_app()
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)

#: Operations known not to reach a 2xx yet, and why (kept out of the 2xx check only).
#: (``POST /api/investor/replay`` reaches its 2xx through the OpenAPI example of its request
#: body, a SOXL quarter of 2024, sent by schemathesis' explicit-examples phase.)
KNOWN_NO_2XX: dict[str, str] = {}
#: "METHOD /path" → status codes answered to the generated requests.
STATUSES: dict[str, list[int]] = {}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_never_answers_5xx(case: schemathesis.Case) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        response = case.call()
    STATUSES.setdefault(f"{case.method.upper()} {case.path}", []).append(response.status_code)
    assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:300]}"
    if response.status_code < 300:
        case.validate_response(response)


def _operations() -> list[str]:
    paths = schema.raw_schema["paths"]
    return sorted(f"{m.upper()} {p}" for p, ops in paths.items() for m in ops)


def test_every_operation_reaches_2xx() -> None:
    """Each operation answered at least one generated request with a 2xx (run after the
    generated tests above, in the same session; skipped when they were deselected)."""
    ops = [op for op in _operations() if op not in KNOWN_NO_2XX]
    if not all(op in STATUSES for op in ops):
        pytest.skip("run with test_api_never_answers_5xx (it collects the answers)")
    never = {
        op: sorted(set(STATUSES[op])) for op in ops if not any(200 <= c < 300 for c in STATUSES[op])
    }
    assert not never, f"operations without a 2xx: {never}"
    print(f"{len(ops)} operations, {sum(map(len, STATUSES.values()))} requests, each a 2xx")


def test_405_allow_lists_every_method() -> None:
    """A method a path does not answer is a 405 whose ``Allow`` lists the methods of the
    path from the schema (Starlette listed only the first route's: GET for /api/status)."""
    paths = schema.raw_schema["paths"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

        client = TestClient(app)
    for path, ops in paths.items():
        documented = sorted(m.upper() for m in ops)
        for method in ("DELETE", "PUT", "PATCH", "POST", "GET"):
            if method in documented:
                continue
            r = client.request(method, path)
            assert r.status_code == 405, (method, path)
            assert r.headers["allow"] == ", ".join(documented), (method, path)
