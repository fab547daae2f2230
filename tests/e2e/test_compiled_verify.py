"""``execution="verify"``, which the e2e suite runs under, notices a compiled answer that differs.

The gateway serves in a thread of this process, so a projector broken here is the one it
runs: the request must fail with INTERNAL rather than answer the tampered bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from gateway.schema import compiled

if TYPE_CHECKING:
    from tests.e2e.conftest import GraphClient

pytestmark = pytest.mark.e2e


def test_a_compiled_answer_that_differs_is_refused(
    graph: GraphClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = compiled._leaf

    def tampered(type_: Any) -> Any:
        project = original(type_)
        return lambda value: "tampered" if isinstance(value, str) else project(value)

    assert graph.data("{ carriers { code name } }")["carriers"]  # honest plans first
    compiled._PLANS.clear()
    monkeypatch.setattr(compiled, "_leaf", tampered)
    try:
        body = graph.execute("{ carriers { code name } }")
    finally:
        monkeypatch.undo()
        compiled._PLANS.clear()
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTERNAL"]
    assert "tampered" not in str(body)
