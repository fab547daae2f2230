"""Demand control over HTTP: hostile documents refused before any work, costs, budgets, rate limits.

The two documents from the issue (45 aliases of 500 x 500 x 500 lists; 22 fragments
each spreading the next twice) are refused with ``QUERY_TOO_COMPLEX`` for the operator
and for a customer viewer alike, without a carrier being asked; the limits themselves
walk each fragment once (counted, not timed). Every query the README, the e2e suite and
the benchmarks send stays under the default budgets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from graphql import parse

from bench.dashboard import dashboard_query
from connectors.models import PartyKind
from gateway.ratelimit import RateLimiter
from gateway.schema import MAX_TOKENS, build_schema
from gateway.schema.limits import MAX_ALIASES, QueryCost, ShapeLimits, _Shape, query_cost
from gateway.settings import Settings
from tests.e2e import queries
from tests.e2e.conftest import run_gateway

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.e2e.conftest import Carriers, Gateway

pytestmark = pytest.mark.e2e

ALIASES_45 = (
    "{ "
    + " ".join(
        f"a{i}: customers(first: 500) {{ nodes {{ services(first: 500) {{ nodes {{ id }} }} "
        f"invoices(first: 500) {{ nodes {{ id lines {{ description }} }} }} }} }}"
        for i in range(45)
    )
    + " }"
)
FRAGMENTS_22 = (
    "query Q { viewer { ...F0 } }\n"
    + "\n".join(f"fragment F{i} on Viewer {{ role ...F{i + 1} ...F{i + 1} }}" for i in range(21))
    + "\nfragment F21 on Viewer { a: role b: role }"
)
README_QUERY = (
    __import__("pathlib").Path("README.md").read_text().split("```graphql")[1].split("```")[0]
)


def test_the_hostile_documents_do_bounded_work_in_validation() -> None:
    counted = 0
    measure = _Shape.measure

    def counting(self: _Shape, selections):  # type: ignore[no-untyped-def]
        nonlocal counted
        counted += 1
        return measure(self, selections)

    document = parse(FRAGMENTS_22)
    shape = _Shape({d.name.value: d for d in document.definitions[1:]})  # type: ignore[union-attr]
    _Shape.measure = counting  # type: ignore[method-assign]
    try:
        depth, aliases = shape.measure(document.definitions[0].selection_set)  # type: ignore[union-attr]
    finally:
        _Shape.measure = measure  # type: ignore[method-assign]
    assert aliases == 2 * 2**21  # the two aliases of F21, once per path that reaches it
    assert depth == 2
    assert counted <= 50  # each selection set about once: not once per path (4 million)

    schema = build_schema()._schema
    fragments = {d.name.value: d for d in document.definitions[1:]}  # type: ignore[union-attr]
    cost = QueryCost(schema, fragments, {})
    operation = document.definitions[0].selection_set  # type: ignore[union-attr]
    assert cost.selection(operation, schema.query_type, in_connection=False) == 1  # viewer
    assert len(cost.memo) == 22  # each fragment costed once
    # each alias: customers 500 x (itself, nodes, services 500 x (itself, nodes),
    # invoices 500 x (itself, nodes, lines 10 x 1))
    per_alias = 500 * (1 + 1 + 500 * 2 + 500 * (1 + 1 + 10))
    assert query_cost(schema, parse(ALIASES_45), None, {}) == 45 * per_alias


@pytest.mark.parametrize(
    ("kind", "role"), [(PartyKind.OPERATOR, "admin"), (PartyKind.CUSTOMER, "viewer")]
)
@pytest.mark.parametrize("document", ["aliases", "fragments"])
def test_the_hostile_documents_are_refused_for_every_key(
    gateway: Gateway, carriers: Carriers, kind: PartyKind, role: str, document: str
) -> None:
    query = ALIASES_45 if document == "aliases" else FRAGMENTS_22
    with gateway.client(gateway.key(kind, role).key) as client:
        response = client.post(query, accept="application/graphql-response+json")
    body = response.json()
    assert response.status_code == 400, body
    assert "data" not in body
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"QUERY_TOO_COMPLEX"}, body
    message = body["errors"][0]["message"]
    if document == "aliases":
        assert "aliases" in message or "cost" in message
    assert not carriers.sandbox.log.records()  # refused before any carrier was asked


def test_over_budget_says_cost_and_limit_and_asks_no_carrier(graph_as, carriers: Carriers) -> None:
    query = "{ customers(first: 500) { nodes { services(first: 500) { nodes { id } } } } }"
    client = graph_as(PartyKind.AGENT)
    body = client.execute(query)
    (error,) = body["errors"]
    cost = 500 * (1 + 1 + 500 * (1 + 1))  # customers x (itself, nodes, services x (...))
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": cost,
        "limit": Settings().cost_budget,
    }
    assert str(cost) in error["message"]
    assert str(Settings().cost_budget) in error["message"]
    assert body.get("data") is None
    assert not carriers.sandbox.log.records()


def test_the_cost_is_reported_when_asked(graph) -> None:
    query = "{ customers(first: 3) { nodes { name accounts { accountNumber } } } }"
    response = graph.http.post("/graphql", json={"query": query, "extensions": {"cost": True}})
    body = response.json()
    # customers: 3 x (itself + nodes + accounts: 10 (a plain list) x 1); nodes do not
    # multiply again
    assert body["extensions"]["cost"] == {
        "requested": 3 * (1 + 1 + 10),
        "limit": Settings().operator_cost_budget,
    }
    assert "extensions" not in graph.http.post("/graphql", json={"query": query}).json()


def test_every_shipped_query_fits_the_default_budgets() -> None:
    schema = build_schema()._schema
    budget = Settings().cost_budget
    shipped = {
        "README": (README_QUERY, {}),
        "bench dashboard of 10": (dashboard_query(10), {}),
        **{
            name: (value, {"first": 50, "last": 50})
            for name, value in vars(queries).items()
            if name.isupper() and isinstance(value, str) and "{" in value
        },
    }
    costs = {
        name: query_cost(schema, parse(text), None, variables)
        for name, (text, variables) in shipped.items()
    }
    over = {name: c for name, c in costs.items() if c > Settings().operator_cost_budget}
    assert not over
    assert costs["README"] <= budget
    assert costs["bench dashboard of 10"] <= budget
    assert ShapeLimits is not None
    assert MAX_ALIASES == 50


@pytest.fixture(scope="module")
def limited_gateway(
    carriers: Carriers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    workdir: Path = tmp_path_factory.mktemp("rate-limited")
    with run_gateway(carriers, workdir, rate_limit_per_minute=2_000) as gateway:
        # An hour-long window: the test cannot straddle two windows.
        gateway.runtime.limiter = RateLimiter(window_seconds=3600)
        yield gateway


def test_a_principal_over_its_rate_limit_gets_429_with_retry_after(
    limited_gateway: Gateway,
) -> None:
    query = "{ customers(first: 5) { nodes { name services(first: 20) { nodes { id } } } } }"
    # 5 x (1 + 1 + 20 x 2) = 210 cost units a request; the window holds 2,000: the tenth
    # request still finds budget left (and overdraws it), the eleventh waits.
    with limited_gateway.client(limited_gateway.key(PartyKind.CUSTOMER, "viewer").key) as viewer:
        statuses = [viewer.post(query).status_code for _ in range(12)]
        refused = viewer.post(query)
    assert statuses == [200] * 10 + [429] * 2
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    (error,) = refused.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(refused.headers["retry-after"])
    # Another party's budget is its own.
    with limited_gateway.client(limited_gateway.key(PartyKind.AGENT).key) as agent:
        assert agent.post(query).status_code == 200


def test_a_document_over_the_token_limit_is_too_complex_over_http(gateway: Gateway) -> None:
    fields = " ".join("viewer { role }" for _ in range(2000))
    with gateway.client(gateway.key(PartyKind.CUSTOMER, "viewer").key) as viewer:
        response = viewer.post(f"{{ {fields} }}", accept="application/graphql-response+json")
        legacy = viewer.post(f"{{ {fields} }}")
    body = response.json()
    # A request error: nothing ran, so 400 under the GraphQL-over-HTTP media type...
    assert response.status_code == 400, body
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": MAX_TOKENS}
    # ... and 200 under application/json, as for any other request error.
    assert legacy.status_code == 200
    assert legacy.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


RESPONSE_CAP = 2_000


@pytest.fixture(scope="module")
def capped_gateway(
    carriers: Carriers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    workdir: Path = tmp_path_factory.mktemp("response-capped")
    with run_gateway(carriers, workdir, max_response_bytes=RESPONSE_CAP) as gateway:
        yield gateway


def test_an_answer_over_the_size_cap_is_replaced_by_an_error(capped_gateway: Gateway) -> None:
    with capped_gateway.client(capped_gateway.key(PartyKind.OPERATOR, "admin").key) as admin:
        small = admin.post("{ viewer { role } }")
        large = admin.post("{ customers(first: 50) { nodes { id name } } }")
    assert small.status_code == 200
    assert small.json()["data"]["viewer"]["role"]
    body = large.json()
    assert len(large.content) < RESPONSE_CAP
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": RESPONSE_CAP}
    assert str(RESPONSE_CAP) in error["message"]
