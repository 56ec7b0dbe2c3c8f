"""The Korean-AUM what-if of the contagion model (`gaemi cascade --korean-aum`)."""

from __future__ import annotations

import json

import pytest

from gaemi.data.cascade import load_cascade
from gaemi.errors import GaemiInputError
from gaemi.present.cli import main


def korean_total(model: object) -> float:
    return sum(
        n.close_feedback.params["korean_aum_usd"].value
        for n in model.nodes  # type: ignore[attr-defined]
        if n.close_feedback is not None and "korean_aum_usd" in n.close_feedback.params
    )


def test_with_korean_aum_scales_every_node_alike() -> None:
    base = load_cascade()
    what_if = base.with_korean_aum(45e9)
    # the research note's case: $45B of Korean 3x AUM in total
    assert korean_total(what_if) == pytest.approx(45e9)
    b = {
        n.id: n.close_feedback.params["korean_aum_usd"].value
        for n in base.nodes
        if n.close_feedback is not None and "korean_aum_usd" in n.close_feedback.params
    }
    w = {n.id: n.close_feedback.params["korean_aum_usd"].value for n in what_if.nodes if n.id in b}
    f = 45e9 / korean_total(base)
    assert all(w[k] == pytest.approx(v * f) for k, v in b.items())
    assert base.with_korean_aum(korean_total(base)).parameters().keys() == base.parameters().keys()


def test_with_korean_aum_rejects_bad_totals() -> None:
    with pytest.raises(GaemiInputError, match="korean_aum_usd = -1"):
        load_cascade().with_korean_aum(-1.0)


def test_more_korean_aum_deepens_the_close(capsys: pytest.CaptureFixture[str]) -> None:
    def ndx_rebalancing(*extra: str) -> dict[str, object]:
        assert main(["cascade", "--view", "events", "--format", "json", *extra]) == 0
        rows = json.loads(capsys.readouterr().out)
        return next(r for r in rows if r["node"] == "NDX" and r["step"] == "2")

    base = ndx_rebalancing()
    big = ndx_rebalancing("--korean-aum", "45e9")
    # more Korean 3x money → more forced selling and a deeper extra move (DESIGN.md §1)
    assert big["amount"] < base["amount"] < 0
    assert big["impact"] < base["impact"] < 0
