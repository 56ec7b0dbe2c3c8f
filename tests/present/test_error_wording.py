"""One wording per input error on every face: the command line and the HTTP API.

The same bad input is sent to ``gaemi`` (stderr: exactly one ``error:`` line, exit code 2,
nothing on stdout) and to the API (a 422 whose JSON ``detail`` is one line). Each face
names the input its own way — the CLI its option (``--shock BTC = '-100%'``), the API its
field (``shocks_frac_by_asset.BTC = -1.0``) — and the rest of the line must be the same
words, written once in :mod:`gaemi.errors` and called by both faces
(``gaemi.app.crypto``/``gaemi.app.contagion`` for the API, ``cli.crypto``/``cli.cascade``).

The expected bodies are the specification of the messages (not computed results); the
node list is the default scenario's own (``cascade_model().node_ids``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gaemi.present.cli import main

ASSETS = "BTC, ETH, SOL, ALT"  # the calibrated crypto market's assets (crypto_default.yaml)


def _nodes() -> str:
    from gaemi.app.contagion import cascade_model

    return ", ".join(cascade_model()[0].node_ids)


@dataclass(frozen=True)
class Case:
    """One bad input: the CLI args and the head of its line, the API request(s) and the
    head of theirs, and the body every face must end with."""

    name: str
    cli: tuple[str, ...]
    cli_head: str
    api: tuple[tuple[str, str, dict[str, Any], str], ...]  # method, path, request, head
    body: str


CASES = [
    Case(
        "crypto unknown asset",
        ("crypto", "--shock", "DOGE=-10%"),
        "--shock = 'DOGE=-10%'",
        (
            (
                "post",
                "/api/crypto",
                {"json": {"shocks_frac_by_asset": {"DOGE": -0.1}}},
                "shocks_frac_by_asset = 'DOGE'",
            ),
            ("get", "/api/crypto", {"params": {"asset": "DOGE"}}, "asset = 'DOGE'"),
        ),
        f": ASSET must be one of {ASSETS}",
    ),
    Case(
        "crypto move of -100%",
        ("crypto", "--shock", "BTC=-100%"),
        "--shock BTC = '-100%'",
        (
            (
                "post",
                "/api/crypto",
                {"json": {"shocks_frac_by_asset": {"BTC": -1.0}}},
                "shocks_frac_by_asset.BTC = -1.0",
            ),
            ("get", "/api/crypto", {"params": {"shock_frac": -1}}, "shock_frac = -1.0"),
        ),
        " must be above -100%",
    ),
    Case(
        "cascade unknown node",
        ("cascade", "--shock", "MOON=-5%"),
        "--shock = 'MOON=-5%'",
        (
            (
                "post",
                "/api/cascade",
                {"json": {"shocks_frac_by_node": {"MOON": -0.05}}},
                "shocks_frac_by_node = 'MOON'",
            ),
        ),
        ": NODE must be one of {nodes}",
    ),
    Case(
        "cascade price move of -100%",
        ("cascade", "--shock", "NDX=-100%"),
        "--shock NDX = '-100%'",
        (
            (
                "post",
                "/api/cascade",
                {"json": {"shocks_frac_by_node": {"NDX": -1.0}}},
                "shocks_frac_by_node.NDX = -1.0",
            ),
            ("get", "/api/cascade", {"params": {"shock_frac": -1}}, "shock_frac = -1.0"),
        ),
        " must be above -100%",
    ),
    # an id given twice: gaemi.errors.given_twice on both faces (moves written as fractions
    # so the two faces quote the same text; the API names the field, the CLI its option)
    Case(
        "crypto asset given twice",
        ("crypto", "--shock", "BTC=-0.05", "--shock", "btc=-0.01"),
        "--shock",
        (
            (
                "post",
                "/api/crypto",
                {"json": {"shocks_frac_by_asset": {"BTC": -0.05, "btc": -0.01}}},
                "shocks_frac_by_asset",
            ),
        ),
        " BTC is given twice (BTC=-0.05, btc=-0.01); give one move per asset",
    ),
    Case(
        "status underlying given twice",
        ("monitor", "--move", "NDX=-0.03", "--move", "ndx=-0.01"),
        "--move",
        (
            (
                "post",
                "/api/status",
                {"json": {"moves_frac_by_underlying": {"NDX": -0.03, "ndx": -0.01}}},
                "moves_frac_by_underlying",
            ),
        ),
        " NDX is given twice (NDX=-0.03, ndx=-0.01); give one move per underlying",
    ),
    # below -100 %: the value reaches the range every move has (core.flows.validate_moves,
    # the CLI's parse_move), not pydantic's list error
    Case(
        "crypto move below -100%",
        ("crypto", "--shock", "BTC=-150%"),
        "--shock BTC = '-150%'",
        (
            (
                "post",
                "/api/crypto",
                {"json": {"shocks_frac_by_asset": {"BTC": -1.5}}},
                "shocks_frac_by_asset.BTC = -1.5",
            ),
            ("get", "/api/crypto", {"params": {"shock_frac": -1.5}}, "shock_frac = -1.5"),
        ),
        " is below -100% (a price cannot go negative)",
    ),
    Case(
        "cascade move below -100%",
        ("cascade", "--shock", "NDX=-150%"),
        "--shock NDX = '-150%'",
        (
            (
                "post",
                "/api/cascade",
                {"json": {"shocks_frac_by_node": {"NDX": -1.5}}},
                "shocks_frac_by_node.NDX = -1.5",
            ),
            ("get", "/api/cascade", {"params": {"shock_frac": -1.5}}, "shock_frac = -1.5"),
        ),
        " is below -100% (a price cannot go negative)",
    ),
]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from gaemi.present.web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's TestClient deprecation notice
        from fastapi.testclient import TestClient

        with TestClient(create_app()) as c:
            yield c


def _cli_line(
    args: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """The one stderr line of a refused command (exit 2, nothing on stdout or on disk)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GAEMI_DB", str(tmp_path / "none.duckdb"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    rc = main(list(args))
    out, err = capsys.readouterr()
    assert rc == 2, err
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("error: "), err
    assert not any(tmp_path.iterdir())
    return err[len("error: ") : -1]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_and_api_word_a_bad_input_alike(
    case: Case,
    client: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = case.body.format(nodes=_nodes())
    line = _cli_line(case.cli, tmp_path, monkeypatch, capsys)
    assert line.startswith(case.cli_head), line
    bodies = {"cli": line[len(case.cli_head) :]}
    for method, path, request, head in case.api:
        r = getattr(client, method)(path, **request)
        assert r.status_code == 422, r.text
        detail = r.json()["detail"]
        assert isinstance(detail, str), detail
        assert "\n" not in detail, detail
        assert detail.startswith(head), detail
        bodies[f"{method} {path}"] = detail[len(head) :]
    assert set(bodies.values()) == {body}, bodies


def test_a_node_given_twice_reads_as_the_library_and_the_cli(
    client: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A cascade node given twice: the API says what the library says (day 0,
    gaemi.errors.given_twice); the CLI says the same and adds its own syntax for a later
    day (``NODE=MOVE@DAY``), which the API's mapping of day-0 moves does not have."""
    from gaemi.app.contagion import cascade_model
    from gaemi.errors import GaemiInputError

    body = " NDX is given twice for day 0 (NDX=-0.05, ndx=-0.01); give one move per node and day"
    with pytest.raises(GaemiInputError) as e:
        cascade_model(shocks=[("NDX", -0.05, 0), ("ndx", -0.01, 0)])
    assert str(e.value) == "shocks" + body
    r = client.post("/api/cascade", json={"shocks_frac_by_node": {"NDX": -0.05, "ndx": -0.01}})
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == "shocks_frac_by_node" + body
    line = _cli_line(
        ("cascade", "--shock", "NDX=-0.05", "--shock", "ndx=-0.01"), tmp_path, monkeypatch, capsys
    )
    assert line == "--shock" + body + " (NODE=MOVE@DAY for later days)"


def test_the_schema_still_states_the_bounds(client: Any) -> None:
    """The lower bound the rule checks is still in the OpenAPI schema (exclusive for a
    crypto price; -1 itself for a cascade node, a rate node may take -1 pp)."""
    spec = client.get("/api/openapi.json").json()
    comps = spec["components"]["schemas"]
    # the mappings list their known ids as properties (install_openapi_ids)
    crypto = comps["CryptoRequest"]["properties"]["shocks_frac_by_asset"]["properties"]["BTC"]
    assert (crypto.get("exclusiveMinimum"), crypto.get("maximum")) == (-1.0, 2.0)
    node = comps["CascadeRequest"]["properties"]["shocks_frac_by_node"]["properties"]["NDX"]
    assert (node.get("minimum"), node.get("maximum")) == (-1.0, 1.0)
    params = {
        (p["name"], path): p["schema"]
        for path in ("/api/crypto", "/api/cascade")
        for p in spec["paths"][path]["get"]["parameters"]
    }
    q = params["shock_frac", "/api/crypto"]
    assert (q.get("exclusiveMinimum"), q.get("maximum")) == (-1.0, 2.0)
    q = params["shock_frac", "/api/cascade"]
    q = next((s for s in q.get("anyOf", [q]) if s.get("type") == "number"), q)
    assert (q.get("minimum"), q.get("maximum")) == (-1.0, 1.0)


def test_the_library_words_them_alike() -> None:
    """Python callers of the application layer get the same lines (``field_name`` names
    the input), and the seed check is the CLI's (``app.decay.check_seed``)."""
    from gaemi.app.contagion import cascade_model
    from gaemi.app.crypto import crypto_cascade
    from gaemi.errors import GaemiInputError

    with pytest.raises(GaemiInputError) as e:
        crypto_cascade(None, {"BTC": -0.1}, rng=-1)
    assert str(e.value) == "seed = -1 must be an integer >= 0"
    with pytest.raises(GaemiInputError) as e:
        crypto_cascade(None, {"doge": -0.1})
    assert str(e.value) == f"shocks_frac = 'doge': ASSET must be one of {ASSETS}"
    with pytest.raises(GaemiInputError) as e:
        cascade_model(shocks=[("NDX", -0.05, 0), ("ndx", -0.01, 0)])
    assert str(e.value) == (
        "shocks NDX is given twice for day 0 (NDX=-0.05, ndx=-0.01); give one move per node and day"
    )


def test_a_rate_node_may_move_minus_one_point(
    client: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """-100 % is refused for a price only: a rate node's move is a change in percentage
    points, so -1.0 is a 1 pp cut (BOK base rate 2.50 % → 1.50 %) on both faces."""
    r = client.post("/api/cascade", json={"shocks_frac_by_node": {"BOK_RATE": -1.0}})
    assert r.status_code == 200, r.text
    bok = next(b for b in r.json()["bands"] if b["node"] == "BOK_RATE")
    assert bok["change_unit"] == "pp"
    assert bok["change_mean"] == pytest.approx(-1.0)
    from gaemi.present.cli.cascade import parse_shocks

    (m,) = parse_shocks(["BOK_RATE=-100%"], ["NDX", "BOK_RATE"], prices=["NDX"], read_note=False)
    assert (m.name, m.move_frac) == ("BOK_RATE", -1.0)
