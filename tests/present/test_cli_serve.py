"""``gaemi serve`` without the ``web`` extra: one line naming the extra, exit 2 (issue 19:
it was a 39-line traceback ending in ``No module named 'uvicorn'``).

A package set to ``None`` in ``sys.modules`` makes ``import`` raise ImportError, as on a
plain ``pip install gaemi``.
"""

from __future__ import annotations

import sys

import pytest

from gaemi.present.cli import main


@pytest.mark.parametrize("missing", ["uvicorn", "fastapi"])
def test_serve_without_web_extra_is_one_line(
    missing: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)
    if missing == "fastapi":  # the app module would import it; drop any cached copy
        for mod in [m for m in sys.modules if m.startswith("gaemi.present.web")]:
            monkeypatch.delitem(sys.modules, mod)
    rc = main(["serve", "--port", "0"])
    out, err = capsys.readouterr()
    assert rc == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("error: gaemi serve needs the web extra")
    assert f"({missing} is not installed)" in err
    assert "pip install 'gaemi[web]'" in err
