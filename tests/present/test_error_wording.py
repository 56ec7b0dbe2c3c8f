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
