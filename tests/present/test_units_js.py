"""The dashboard's money formatter is the rule of ``gaemi.units``, string for string (issue
19 item 2: one number formatter for every face).

The dashboard converts USD to KRW in the browser (its currency switch and sliders answer
without a request), so it keeps a formatter: ``static/units.js``, a line-by-line port of
:func:`gaemi.units.format_krw` / :func:`gaemi.units.format_usd` that ``app.js`` and
``replay.js`` both use. This test runs it in headless Chromium (the ``chromium_launch``
fixture of ``tests/conftest.py``) on a table of values and compares every string with the
Python: the hand-checked values of ``tests/test_units.py``, every unit boundary and the
values that round up into the next unit, exact binary ties (Python rounds them half to even,
JavaScript's ``toFixed`` up: ``1.125e9`` is ``$1.12B``), signs, missing values, and a
seeded sample over 19 orders of magnitude.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gaemi import units

pytestmark = pytest.mark.browser

UNITS_JS = Path(units.__file__).parent / "present" / "web" / "static" / "units.js"


def table_of_values() -> list[float | None]:
    hand = [
        2.215e13, -2.2151e13, 1.5e15, 1.514e11, 4.5e9, 1.4e8, 7.0e7, 3.5e7, 1.0e6, 150_000.0,
        1234.0, 0.0, -0.3, 9.9996e11, 9.9996e9, 9.9996e8, 99_999_999.0, 999_999.6, 999_999.4,
        2.497e10, -2.7e9, 1.25e12, 5.4e8, -5.97e7, 12_345.0, 13_000.0, 950.0, -0.2, 999_960.0,
        999.5, 999.4, 2.5, 0.5, 1.5, 1e21, 3.7e25,
    ]  # fmt: skip
    # every unit edge, just below, at and above: 10³ … 10¹⁵, with the factors that round
    # into the next unit at 0, 1 and 2 decimals
    edges = [
        s * 10.0**e * f
        for e in range(2, 16)
        for f in (0.99949, 0.9995, 0.99951, 0.99995, 0.999951, 0.999995, 1.0, 1.00001)
        for s in (1, -1)
    ]
    # exact binary ties at 0, 1 and 2 decimals of each unit (k/8 and k/2 are exact)
    ties = [k / 8 * 10.0**e for k in range(1, 80, 2) for e in (0, 3, 4, 6, 8, 9, 12)]
    ties += [k / 2 * 10.0**e for k in range(1, 40, 2) for e in (0, 3, 4, 6, 8, 9, 12)]
    rng = np.random.default_rng(19)  # seeded: the same 3,000 values every run
    sample = (rng.choice([-1.0, 1.0], 3000) * 10.0 ** rng.uniform(-2, 17, 3000)).tolist()
    rounded = [float(round(v, -int(math.log10(abs(v))) + 2)) for v in sample[:1000]]
    return [*hand, *edges, *ties, *sample, *rounded, None, math.nan, math.inf, -math.inf]


@pytest.fixture(scope="module")
def js_strings(chromium_launch: dict[str, Any]) -> dict[str, list[str]]:
    from playwright.sync_api import sync_playwright

    values = table_of_values()
    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch)
        try:
            page = browser.new_page()
            page.add_script_tag(content=UNITS_JS.read_text(encoding="utf-8"))
            out: dict[str, list[str]] = page.evaluate(
                """(vs) => {
                  const u = window.gaemiUnits;
                  return {
                    krw: vs.map((v) => u.formatKrw(v)),
                    usd: vs.map((v) => u.formatUsd(v)),
                    krw_signed: vs.map((v) => u.formatKrw(v, true)),
                    usd_signed: vs.map((v) => u.formatMoney(v, "usd", true)),
                  };
                }""",
                values,
            )
        finally:
            browser.close()
    return out


@pytest.mark.parametrize(
    ("key", "python"),
    [
        ("krw", lambda v: units.format_krw(v)),
        ("usd", lambda v: units.format_usd(v)),
        ("krw_signed", lambda v: units.format_krw(v, signed=True)),
        ("usd_signed", lambda v: units.format_money(v, "usd", signed=True)),
    ],
)
def test_units_js_writes_money_as_gaemi_units(
    js_strings: dict[str, list[str]], key: str, python: Any
) -> None:
    values = table_of_values()
    want = [python(v) for v in values]
    got = js_strings[key]
    diff = [(v, w, g) for v, w, g in zip(values, want, got, strict=True) if w != g]
    assert not diff, f"{len(diff)} of {len(values)} differ, first (value, python, js): {diff[:5]}"


#: Keys of every unit of gaemi.units.format_cell: money, moves, shares, probabilities, a
#: volatility and a rate a year, multiples, leverage, counts and plain figures.
CELL_KEYS = (
    "flow_usd", "korean_loss_krw", "move_frac", "NDX_shock_frac", "change_frac",
    "next_return_frac", "korean_share_frac", "korean_share", "loss_6m_flat_frac", "prob",
    "prob_loss_50pct", "vol_annual", "vol_frac", "rate_annual", "pressure_ratio",
    "shock_scale", "leverage", "n_funds", "lag_days", "baseline", "claimed",
    "korean_coverage_frac", "long_share_frac", "maintenance_ratio", "equity_loss_frac",
)  # fmt: skip


def cell_values() -> list[float]:
    """Values for every key: hand cases, zeros and values that round to zero (no sign),
    exact ties, and a seeded sample over 12 orders of magnitude (no whole numbers: JSON
    has no integer type, so the dashboard reads a whole number as a count, as Python
    reads an ``int``)."""
    hand = [-0.05, 0.031, 0.0132705, 0.43, 0.1178076, -0.3512, 0.5639, 0.45, -0.0917,
            0.667445, 3.4812, 1509.86, 4.31e10 + 0.5, -2.497e10 - 0.5, 1.514e11 + 0.5,
            0.125, -0.00125, -4e-6, 4e-6, 0.000049999, 3.2e-7, -1.25e-5, 1234.5, 9999.5,
            12.345, 1.5]  # fmt: skip
    rng = np.random.default_rng(1919)  # seeded: the same 400 values every run
    sample = (rng.choice([-1.0, 1.0], 400) * 10.0 ** rng.uniform(-7, 5, 400)).tolist()
    return [v for v in [*hand, *sample] if not float(v).is_integer()]


def test_units_js_writes_cells_as_gaemi_units(chromium_launch: dict[str, Any]) -> None:
    """``formatCell`` of units.js is :func:`gaemi.units.format_cell`, string for string,
    given the key's header (``/api/meta`` sends :func:`gaemi.units.column_header`): the
    terminal, the report and the dashboard write one key's value the same way."""
    from playwright.sync_api import sync_playwright

    values = cell_values()
    headers = {k: units.column_header(k) for k in CELL_KEYS}
    cases = [(k, v) for k in CELL_KEYS for v in values]
    cases += [("halted", True), ("halted", False), ("node", "NDX"), ("flow_usd", None),
              ("leverage", 3), ("leverage", -2), ("leverage", 1.5), ("n_funds", 1234),
              ("days_halted", 2), ("claimed", 43_100_000_000)]  # fmt: skip
    headers.update({k: units.column_header(k) for k in ("halted", "node", "days_halted")})
    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch)
        try:
            page = browser.new_page()
            page.add_script_tag(content=UNITS_JS.read_text(encoding="utf-8"))
            got: list[str] = page.evaluate(
                "([cases, headers]) => cases.map(([k, v]) =>"
                " window.gaemiUnits.formatCell(k, v, headers[k]))",
                [cases, headers],
            )
        finally:
            browser.close()
    want = [units.format_cell(k, v) for k, v in cases]
    diff = [(c, w, g) for c, w, g in zip(cases, want, got, strict=True) if w != g]
    assert not diff, f"{len(diff)} of {len(cases)} differ, first (case, python, js): {diff[:5]}"
    # the table reaches every branch of the rule (the test can fail on any of them)
    for text in ("-$24.97B", "₩1,514억", "-5.00%", "0.00%", "43.0%", "-9.17%", "0.67×",
                 "+3×", "+1.5×", "1,234", "yes", "3.2e-07"):  # fmt: skip
        assert text in want, text


def test_units_js_writes_moves_and_changes_as_gaemi_units(chromium_launch: dict[str, Any]) -> None:
    """``formatFrac`` and ``formatChange`` of units.js are :func:`gaemi.units.format_frac`
    and :func:`gaemi.units.format_change`, string for string: the dashboard's sentences
    ("At -5.00% on every underlying", "KOSPI -2.97%, JGB10Y -1.89 bp") write a move and a
    rate's change as the tables of every face do (issue 19 item 2: app.js had its own
    ``pct()``, ``-5.0%`` and ``-0.02 pp`` where the terminal wrote ``-5.00%`` and
    ``-1.89 bp``)."""
    from playwright.sync_api import sync_playwright

    values: list[float | None] = [*cell_values(), 0.0, -0.0, 0.5, -1.0, 12_345.6]
    values += [None, math.nan, math.inf]
    units_of = ("frac", "pp", "index points")
    with sync_playwright() as p:
        browser = p.chromium.launch(**chromium_launch)
        try:
            page = browser.new_page()
            page.add_script_tag(content=UNITS_JS.read_text(encoding="utf-8"))
            got: dict[str, list[str]] = page.evaluate(
                """([vs, us]) => {
                  const u = window.gaemiUnits;
                  const out = { frac: vs.map((v) => u.formatFrac(v)) };
                  for (const unit of us) out[unit] = vs.map((v) => u.formatChange(v, unit));
                  return out;
                }""",
                [values, list(units_of)],
            )
        finally:
            browser.close()
    want = {"frac": [units.format_frac(v) for v in values]}
    want.update({u: [units.format_change(v, u) for v in values] for u in units_of})
    for key, python in want.items():
        diff = [(v, w, g) for v, w, g in zip(values, python, got[key], strict=True) if w != g]
        assert not diff, f"{key}: {len(diff)} of {len(values)} differ, first: {diff[:5]}"
    # the table reaches the conventions (the test can fail on them): zero and a move that
    # rounds to zero unsigned, a sign otherwise, basis points, no scientific notation
    for text in ("0.00%", "-5.00%", "+3.10%", "0.00 bp", "-5.00 bp", "+12,346 index points"):
        assert text in want["frac"] + want["pp"] + want["index points"], text


def test_the_table_reaches_the_cases_that_differ_from_plain_javascript() -> None:
    """The table holds the values where a naive port would go wrong (the test can fail):
    an exact tie JavaScript's toFixed rounds up and Python to even, and a figure that
    rounds into the next unit."""
    values = table_of_values()
    cases = [
        (1.125e9, units.format_usd, "$1.12B"),  # an exact tie: toFixed(2) gives 1.13
        (2.5, units.format_usd, "$2"),  # toFixed(0) gives 3
        (999_960.0, units.format_usd, "$1.0M"),  # not $1000.0k
        (9.9996e11, units.format_krw, "₩1.00조"),  # not ₩10,000억
    ]
    for value, python, text in cases:
        assert value in values
        assert python(value) == text


def test_the_dashboard_has_no_other_money_formatter() -> None:
    """``app.js`` and ``replay.js`` take their money text from ``units.js`` only (no 조/억/만
    or B/M division of their own), and the page loads ``units.js`` before them."""
    import re

    static = UNITS_JS.parent
    for name in ("app.js", "replay.js"):
        js = (static / name).read_text(encoding="utf-8")
        assert "gaemiUnits" in js, name
        assert not re.search(r"/ ?1e(4|8|12)\)[^\n]*(조|억|만)", js), name
        assert not re.search(r"/ ?1e(6|9|12)\)\.toFixed\(\d\)\}[BMT]", js), name
    page = (static / "index.html").read_text(encoding="utf-8")
    assert page.index("/static/units.js") < page.index("/static/app.js")
    assert page.index("/static/units.js") < page.index("/static/replay.js")


def test_dashboard_headers_are_the_one_header_rule() -> None:
    """The dashboard's table headers carry their unit in the shown currency, by the rule of
    the terminal and the report (issue 19: units in every column header): ``/api/meta``
    sends :func:`gaemi.units.column_header` of every ``th[data-key]`` of the page, in USD
    and KRW, and ``app.js`` writes them into the headers."""
    import re
    import warnings

    from gaemi.present.web.app import create_app

    with warnings.catch_warnings():  # Starlette's deprecation of its httpx TestClient
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    page = (UNITS_JS.parent / "index.html").read_text(encoding="utf-8")
    keys = re.findall(r'<th scope="col" data-key="([a-z_]+)"', page)
    assert len(keys) == 11  # the flows table (7) and the crypto Korean holders (4)
    with TestClient(create_app()) as client:
        response = client.get("/api/meta")
    assert response.status_code == 200, response.text
    headers = response.json()["column_headers"]
    for key in keys:
        for cur in ("USD", "KRW"):
            assert headers[key][cur] == units.column_header(key, cur), key
    assert headers["flow_usd"] == {"USD": "Flow at close ($)", "KRW": "Flow at close (₩)"}
    assert "renderHeaders" in (UNITS_JS.parent / "app.js").read_text(encoding="utf-8")


def test_dashboard_sentences_use_the_one_rule() -> None:
    """The dashboard's sentences write moves, changes, shares and multiples with units.js
    (``formatFrac``, ``formatChange``, ``formatCell``), never a percent of their own (issue
    19 item 2: app.js had ``pct()``, ``-5.0%`` where the tables wrote ``-5.00%``); the
    headers app.js gives ``formatCell`` for the keys no table of the page shows are
    :func:`gaemi.units.column_header`'s, so a sentence's cell is the terminal's cell."""
    import re

    static = UNITS_JS.parent
    for name in ("app.js", "replay.js"):
        js = (static / name).read_text(encoding="utf-8")
        assert not re.search(r"function pct\b|\bpct\(", js), name
        assert not re.search(r"\* ?100\)\.toFixed\(\d\)\}? ?%", js), name  # (x * 100).toFixed(1)%
    app = (static / "app.js").read_text(encoding="utf-8")
    assert "formatFrac(moveFrac())" in app  # "At -5.00% on every underlying …"
    assert "formatChange(b.change_mean, b.change_unit)" in app  # "JGB10Y -1.89 bp"
    assert 'cellText("long_share_frac", c.long_share_frac)' in app  # "(63.2% longs)"
    block = app.split("const SENTENCE_HEADERS = {", 1)[1].split("};", 1)[0]
    headers = dict(re.findall(r'(\w+): "([^"]*)"', block))
    assert len(headers) >= 8
    for key, header in headers.items():
        assert header == units.column_header(key), key
