"""SOAP, CSV, REST and GraphQL carriers through the gateway: garbage costs one value or one record.

For the family customer's carrier of each of these families, over real HTTP: one absurd
value inside a record (an amount of -3.4e38 or 10^38, a date in year 9999 or none at all)
leaves that record in the answer with that field ``null`` and one ``UPSTREAM_INVALID``
error at that exact path naming the carrier, the record and the carrier's field; one
record without a readable id among good ones is left out, reported at the list's path,
and every good record still arrives. What changes is compared with the same query
answered while the carrier is healthy, so nothing is hard-coded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from connectors.models import Protocol
from connectors.sandbox.faults import Faults
from tests.e2e.expected import error_keys

if TYPE_CHECKING:
    from tests.e2e.conftest import Carriers, GraphClient
    from tests.e2e.expected import Truth

pytestmark = pytest.mark.e2e

FAMILIES = (Protocol.SOAP, Protocol.CSV, Protocol.REST, Protocol.GRAPHQL)

INVOICES = """
query Invoices($id: ID!) {
  customer(id: $id) {
    invoices(first: 500) {
      totalCount
      nodes {
        invoiceNumber carrier { code } status issuedAt dueAt
        total { amount currency } taxes { amount } billingPeriod { start end }
      }
    }
  }
}
"""
SERVICES = """
query Services($id: ID!) {
  customer(id: $id) {
    services(first: 500) {
      totalCount
      nodes {
        serviceId carrier { code } product status circuitId activatedAt termMonths
        wholesaleCost { amount currency } wholesaleInstall { amount currency }
      }
    }
  }
}
"""
USAGE = """
query Usage($id: ID!) {
  customer(id: $id) {
    usage(first: 500) {
      totalCount
      nodes {
        usageId carrier { code } serviceId startedAt durationSeconds direction
        charge { amount currency }
      }
    }
  }
}
"""
LISTS = {  # list field -> (query, the id field of its nodes)
    "invoices": (INVOICES, "invoiceNumber"),
    "services": (SERVICES, "serviceId"),
    "usage": (USAGE, "usageId"),
}


def _carrier_of(truth: Truth, protocol: Protocol) -> str:
    customer = truth.family_customer()
    return next(
        link.carrier for link in truth.links(customer) if truth.protocol(link.carrier) is protocol
    )


def _list_for(truth: Truth, carrier: str, order: tuple[str, ...]) -> str:
    """The first list of ``order`` the carrier declares."""
    return next(field for field in order if truth.offers(carrier, field))


def _nodes(body: dict[str, Any], field: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = body["data"]["customer"][field]["nodes"]
    return nodes


@pytest.fixture
def customer(truth: Truth, customer_ids: dict[str, str]) -> str:
    return customer_ids[truth.family_customer()]


@pytest.mark.parametrize("protocol", FAMILIES, ids=[p.value for p in FAMILIES])
def test_one_bad_value_is_null_at_its_own_path_and_the_record_arrives(
    protocol: Protocol, graph: GraphClient, carriers: Carriers, truth: Truth, customer: str
) -> None:
    carrier = _carrier_of(truth, protocol)
    field = _list_for(truth, carrier, ("invoices", "services", "usage"))
    query, id_field = LISTS[field]
    healthy = graph.execute(query, {"id": customer})
    assert "errors" not in healthy, healthy["errors"]
    carriers.sandbox.set_faults(carrier, Faults(garbage="bad_value"))

    body = graph.execute(query, {"id": customer})

    before = {n[id_field]: n for n in _nodes(healthy, field)}
    after = _nodes(body, field)
    # Every record is still there, in the same places.
    assert [n[id_field] for n in after] == [n[id_field] for n in _nodes(healthy, field)]
    # What changed is exactly what is reported: null values, each with one error there.
    changed: dict[tuple[Any, ...], str] = {}
    for index, node in enumerate(after):
        old = before[node[id_field]]
        for key, value in node.items():
            if value != old[key]:
                assert value is None, (key, value)
                changed[("customer", field, "nodes", index, key)] = node[id_field]
    assert changed, "the carrier's bad value changed nothing"
    errors = body["errors"]
    assert error_keys(body) == {(path, "UPSTREAM_INVALID", carrier): 1 for path in changed}
    for error in errors:
        path = tuple(error["path"])
        extensions = error["extensions"]
        assert extensions["record"] == changed[path]
        assert extensions["field"]  # the carrier's own name for the value
        assert carrier in error["message"]
    # Not vacuous: the hurt records are the carrier's, and other carriers' are untouched.
    assert {
        n["carrier"]["code"] for i, n in enumerate(after) if any(p[3] == i for p in changed)
    } == {carrier}


@pytest.mark.parametrize("protocol", FAMILIES, ids=[p.value for p in FAMILIES])
def test_one_unreadable_record_is_left_out_and_reported_at_the_list(
    protocol: Protocol, graph: GraphClient, carriers: Carriers, truth: Truth, customer: str
) -> None:
    carrier = _carrier_of(truth, protocol)
    # CSV exports can only lose an id they hold beside the account: calls (or invoices).
    order = ("usage", "invoices") if protocol is Protocol.CSV else ("invoices", "services")
    field = _list_for(truth, carrier, order)
    query, id_field = LISTS[field]
    healthy = graph.execute(query, {"id": customer})
    assert "errors" not in healthy, healthy["errors"]
    carriers.sandbox.set_faults(carrier, Faults(garbage="unreadable_record"))

    body = graph.execute(query, {"id": customer})

    good = {n[id_field]: n for n in _nodes(healthy, field)}
    after = _nodes(body, field)
    missing = set(good) - {n[id_field] for n in after}
    assert missing, "no record was left out"
    assert {good[m]["carrier"]["code"] for m in missing} == {carrier}
    # Every readable record, of this carrier and the others, arrives as it was.
    assert all(node == good[node[id_field]] for node in after)
    assert body["data"]["customer"][field]["totalCount"] == len(good) - len(missing)
    # Reported at the list's path, once per record left out, naming carrier and field.
    assert error_keys(body) == {
        (("customer", field), "UPSTREAM_INVALID", carrier): len(missing),
    }
    for error in body["errors"]:
        assert error["extensions"]["record"]
        assert error["extensions"]["field"]
