"""Hostile-query limits: rejected at validation with QUERY_TOO_COMPLEX, every time."""

from __future__ import annotations

import pytest
from graphql import parse

from gateway.schema import MAX_TOKENS, build_schema
from gateway.schema.extensions import MAX_ALIASES, MAX_DEPTH
from gateway.schema.limits import CostCache


@pytest.fixture(scope="module")
def schema():
    return build_schema()


def nested(depth: int) -> str:
    inner = "id"
    for _ in range(depth):
        inner = f"services {{ nodes {{ account {{ {inner} }} }} }}"
    return f"{{ customers {{ nodes {{ {inner} }} }} }}"


@pytest.mark.parametrize("attempt", [1, 2])  # the second run is answered from the caches
def test_too_deep_a_query_is_rejected(schema, attempt):
    result = schema.execute_sync(nested(MAX_DEPTH))
    assert result.data is None
    assert result.errors
    extensions = result.errors[0].extensions
    assert extensions["code"] == "QUERY_TOO_COMPLEX"
    assert extensions["depth"] > extensions["limit"] == MAX_DEPTH
    assert "depth" in result.errors[0].message


def test_too_many_aliases_are_rejected(schema):
    fields = " ".join(f"a{i}: viewer {{ role }}" for i in range(MAX_ALIASES + 1))
    result = schema.execute_sync(f"{{ {fields} }}")
    assert result.errors
    assert result.errors[0].extensions == {
        "code": "QUERY_TOO_COMPLEX",
        "aliases": MAX_ALIASES + 1,
        "limit": MAX_ALIASES,
    }


def test_a_huge_document_is_refused_before_validation(schema):
    fields = " ".join("viewer { role }" for _ in range(2000))
    result = schema.execute_sync(f"{{ {fields} }}")
    assert result.errors
    assert "token" in result.errors[0].message.lower()
    assert result.errors[0].extensions == {"code": "QUERY_TOO_COMPLEX", "limit": MAX_TOKENS}


def test_an_ordinary_query_passes_validation(schema):
    result = schema.execute_sync("{ __typename }")
    assert result.errors is None
    assert result.data == {"__typename": "Query"}


def test_costs_are_computed_once_per_document_and_page_sizes(schema):
    costs = CostCache()
    text = "query Q($n: Int) "
    text += "{ customers(first: $n) { nodes { services(first: 4) { nodes { id } } } } }"
    document = parse(text)
    graph = schema._schema
    # customers n x (itself + nodes + services 4 x (itself + nodes))
    assert costs.cost(graph, text, document, None, {"n": 3}) == 3 * (1 + 1 + 4 * 2)
    assert costs.cost(graph, text, document, None, {"n": 3}) == 30
    assert costs.computed == 1
    assert costs.cost(graph, text, document, None, {"n": 7}) == 7 * (1 + 1 + 4 * 2)
    assert costs.computed == 2
