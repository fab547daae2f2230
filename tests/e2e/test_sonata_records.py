"""A Sonata carrier's bad value or unreadable record, as the graph shows it over HTTP.

The family customer's one Sonata account, through the real gateway and the sandbox
carrier: one absurd value nulls that field alone (one ``UPSTREAM_INVALID`` at its path,
naming carrier, record and wire field) while the record and its neighbours arrive; one
record without a readable id is left out and reported once at the list's path; an
unmapped state reads ``UNKNOWN`` with the carrier's own code in ``statusCode``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from connectors.models import Protocol
from connectors.sandbox.faults import Faults

if TYPE_CHECKING:
    from tests.e2e.conftest import Carriers, GraphClient
    from tests.e2e.expected import Truth

QUERY = """
query SonataLists($id: ID!) {
  customer(id: $id) {
    services(first: 500) { nodes { serviceId carrier { code } status statusCode
      wholesaleCost { amount currency } activatedAt termMonths } }
    invoices(first: 500) { nodes { invoiceNumber carrier { code } status statusCode
      total { amount currency } issuedAt dueAt } }
    orders(first: 500) { nodes { orderId carrier { code } status statusCode orderedAt kind } }
    tickets(first: 500) { nodes { ticketId carrier { code } status statusCode openedAt } }
    quotes(first: 500) { nodes { quoteId carrier { code } status statusCode requestedAt } }
  }
}
"""

# list field -> (record id field, the field bad_value breaks, its wire field, a sibling)
BROKEN: dict[str, tuple[str, str, str, str]] = {
    "services": (
        "serviceId",
        "wholesaleCost",
        "productPrice[recurring].price.dutyFreeAmount.unit",
        "activatedAt",
    ),
    "invoices": ("invoiceNumber", "total", "taxIncludedAmount.unit", "issuedAt"),
    "orders": ("orderId", "orderedAt", "orderDate", "kind"),
    "tickets": ("ticketId", "openedAt", "creationDate", "status"),
    "quotes": ("quoteId", "requestedAt", "quoteDate", "status"),
}
_ID_OF = {
    "services": "service_id",
    "invoices": "invoice_number",
    "orders": "order_id",
    "tickets": "ticket_id",
    "quotes": "quote_id",
}


@pytest.fixture(scope="module")
def sonata(truth: Truth) -> tuple[str, str, str]:
    """(customer party id, its Sonata carrier, the account there)."""
    customer = truth.family_customer()
    (link,) = [
        link for link in truth.links(customer) if truth.protocol(link.carrier) is Protocol.SONATA
    ]
    return customer, link.carrier, link.account_number


def _ask(graph: GraphClient, customer_ids: dict[str, str], customer: str) -> dict[str, Any]:
    return graph.execute(QUERY, {"id": customer_ids[customer]})


def _mine(answer: dict[str, Any], field: str, carrier: str) -> list[tuple[int, dict[str, Any]]]:
    nodes = answer["data"]["customer"][field]["nodes"]
    return [(i, n) for i, n in enumerate(nodes) if n["carrier"]["code"] == carrier]


def _offered(truth: Truth, carrier: str, account: str) -> list[str]:
    return [f for f in BROKEN if truth.offers(carrier, f) and truth.of_account(carrier, account, f)]


def test_a_bad_value_is_null_at_its_field_with_one_error_there(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    sonata: tuple[str, str, str],
) -> None:
    customer, carrier, account = sonata
    lists = _offered(truth, carrier, account)
    assert lists, "not vacuous: the Sonata account holds records"
    carriers.sandbox.set_faults(carrier, Faults(garbage="bad_value"))

    body = _ask(graph, customer_ids, customer)

    errors = [e for e in body.get("errors", []) if e["extensions"].get("carrier") == carrier]
    seen = set()
    for field in lists:
        id_field, broken, wire, sibling = BROKEN[field]
        held = truth.of_account(carrier, account, field)
        mine = _mine(body, field, carrier)
        # Every record arrives, the broken one too.
        assert sorted(n[id_field] for _, n in mine) == sorted(
            getattr(r, _ID_OF[field]) for r in held
        ), field
        nulled = [(i, n) for i, n in mine if n[broken] is None]
        (index, node), *_ = nulled
        assert node[sibling] is not None, (field, "the rest of the record arrives")
        at = [e for e in errors if e["path"] == ["customer", field, "nodes", index, broken]]
        assert len(at) == 1, (field, errors)
        (error,) = at
        ext = error["extensions"]
        assert (ext["code"], ext["carrier"], ext["record"], ext["field"]) == (
            "UPSTREAM_INVALID",
            carrier,
            node[id_field],
            wire,
        )
        seen.add(field)
    # No other error for this carrier: one bad value costs one error, nothing more.
    assert len(errors) == len(seen)


def test_an_unreadable_record_is_left_out_and_reported_once_at_the_list(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    sonata: tuple[str, str, str],
) -> None:
    customer, carrier, account = sonata
    lists = _offered(truth, carrier, account)
    assert lists, "not vacuous: the Sonata account holds records"
    carriers.sandbox.set_faults(carrier, Faults(garbage="unreadable_record"))

    body = _ask(graph, customer_ids, customer)

    errors = [e for e in body.get("errors", []) if e["extensions"].get("carrier") == carrier]
    for field in lists:
        id_field = BROKEN[field][0]
        held = sorted(getattr(r, _ID_OF[field]) for r in truth.of_account(carrier, account, field))
        shown = sorted(n[id_field] for _, n in _mine(body, field, carrier))
        # The list's first summary had no id: only that record is missing.
        assert len(shown) == len(held) - 1, field
        assert set(shown) < set(held), field
        at = [e for e in errors if e["path"] == ["customer", field]]
        assert len(at) == 1, (field, errors)
        ext = at[0]["extensions"]
        assert (ext["code"], ext["carrier"], ext.get("field")) == (
            "UPSTREAM_INVALID",
            carrier,
            "id",
        )
    assert len(errors) == len(lists)


def test_an_unmapped_state_reads_unknown_with_the_carriers_code(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    sonata: tuple[str, str, str],
) -> None:
    customer, carrier, account = sonata
    lists = _offered(truth, carrier, account)
    assert lists, "not vacuous: the Sonata account holds records"
    carriers.sandbox.set_faults(carrier, Faults(garbage="bad_record"))

    body = _ask(graph, customer_ids, customer)

    assert not [e for e in body.get("errors", []) if e["extensions"].get("carrier") == carrier]
    for field in lists:
        mine = [n for _, n in _mine(body, field, carrier)]
        assert len(mine) == len(truth.of_account(carrier, account, field)), field
        unknown = [n for n in mine if n["statusCode"] == "??unmapped??"]
        assert len(unknown) == 1, field  # the account's first record
        assert unknown[0]["status"] == "UNKNOWN", field
        assert all(n["status"] != "UNKNOWN" for n in mine if n not in unknown), field
