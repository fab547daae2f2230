"""The ``filter`` deployment mode: one shared schema; fields outside the audience are null."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from connectors.models import PartyKind
from tests.e2e.conftest import Carriers, Gateway, run_gateway

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.e2e

QUERY = """
fragment Money on Service { wholesaleCost { amount } }
{
  services(first: 3) { nodes { serviceId price { amount } ...Money } }
  tickets(first: 2) { nodes { ticketId internalNotes { text } } }
}
"""


@pytest.fixture(scope="module")
def filtering(carriers: Carriers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    workdir: Path = tmp_path_factory.mktemp("filter-mode")
    with run_gateway(carriers, workdir, unauthorized_fields="filter") as running:
        yield running


def test_fields_outside_the_audience_answer_null_with_forbidden(filtering: Gateway):
    with filtering.client(filtering.key(PartyKind.CUSTOMER, "admin").key) as graph:
        body = graph.execute(QUERY)
    services = body["data"]["services"]["nodes"]
    tickets = body["data"]["tickets"]["nodes"]
    assert services, "the customer has services"
    assert all(s["wholesaleCost"] is None and s["price"] is not None for s in services)
    assert all(t["internalNotes"] is None for t in tickets)
    forbidden = sorted(tuple(e["path"]) for e in body["errors"])
    expected = sorted(
        [("services", "nodes", i, "wholesaleCost") for i in range(len(services))]
        + [("tickets", "nodes", i, "internalNotes") for i in range(len(tickets))]
    )
    assert forbidden == expected
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}


def test_an_audience_that_may_read_them_gets_values(filtering: Gateway):
    with filtering.client(filtering.key(PartyKind.OPERATOR, "admin").key) as graph:
        data = graph.data(QUERY)
    assert all(s["wholesaleCost"]["amount"] for s in data["services"]["nodes"])


def test_the_shared_schema_is_the_same_for_everyone(filtering: Gateway):
    query = '{ __type(name: "Service") { fields { name } } }'
    seen = []
    for kind, role in [(PartyKind.CUSTOMER, "viewer"), (PartyKind.OPERATOR, "admin")]:
        with filtering.client(filtering.key(kind, role).key) as graph:
            seen.append(sorted(f["name"] for f in graph.data(query)["__type"]["fields"]))
    assert seen[0] == seen[1]
    assert "wholesaleCost" in seen[0]
