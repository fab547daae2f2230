"""Call records and quotes through the graph, and capabilities a carrier does not offer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.models import Resource
from tests.e2e.expected import error_keys

pytestmark = pytest.mark.e2e

ACCOUNT_LISTS = """
query($id: ID!) {
  customer(id: $id) {
    accounts {
      carrier { code capabilities }
      accountNumber
      usage(first: 500) {
        totalCount
        nodes { usageId serviceId durationSeconds charge { amount currency } }
      }
      quotes(first: 500) {
        totalCount
        nodes { id quoteId status options { termMonths mrc { amount } } }
      }
    }
  }
}
"""

QUOTE_NODE = "query($id: ID!) { node(id: $id) { __typename ... on Quote { quoteId status } } }"


def _customer_with(truth, resource: Resource) -> str:
    for customer in truth.data.customers():
        for link in truth.data.accounts_of(customer.id):
            if resource in truth.data.carriers[link.carrier].carrier.capabilities:
                return customer.id
    raise AssertionError(f"no customer has an account at a carrier offering {resource}")


@pytest.mark.parametrize("resource", [Resource.USAGE, Resource.QUOTES])
def test_account_lists_match_the_data_set_and_undeclared_ones_say_so(
    graph, carriers, truth, customer_ids, resource
):
    customer = _customer_with(truth, resource)
    body = graph.execute(ACCOUNT_LISTS, {"id": customer_ids[customer]})

    field = "usage" if resource is Resource.USAGE else "quotes"
    accounts = body["data"]["customer"]["accounts"]
    # The only errors: NOT_SUPPORTED_BY_CARRIER at each account list its carrier lacks.
    assert error_keys(body) == truth.unsupported(
        accounts, ["usage", "quotes"], ["customer", "accounts"]
    )
    for account in accounts:
        carrier = account["carrier"]["code"]
        data = carriers.data.carriers[carrier]
        offered = resource.value.upper() in account["carrier"]["capabilities"]
        assert offered == truth.offers(carrier, resource.value)
        if not offered:
            assert account[field] is None
            continue
        if resource is Resource.USAGE:
            want = sorted(
                (u.usage_id, u.service_id, u.duration_seconds, u.charge.amount)
                for u in data.usage
                if u.account_number == account["accountNumber"]
            )
            got = sorted(
                (n["usageId"], n["serviceId"], n["durationSeconds"], Decimal(n["charge"]["amount"]))
                for n in account[field]["nodes"]
            )
        else:
            want = sorted(
                (q.quote_id, q.status.value, tuple(o.term_months for o in q.options))
                for q in data.quotes
                if q.account_number == account["accountNumber"]
            )
            got = sorted(
                (n["quoteId"], n["status"], tuple(o["termMonths"] for o in n["options"]))
                for n in account[field]["nodes"]
            )
        assert got == want
        assert account[field]["totalCount"] == len(want)


def test_quote_nodes_round_trip(graph, truth, customer_ids):
    customer = _customer_with(truth, Resource.QUOTES)
    body = graph.execute(ACCOUNT_LISTS, {"id": customer_ids[customer]})
    quotes = [
        q for a in body["data"]["customer"]["accounts"] if a["quotes"] for q in a["quotes"]["nodes"]
    ]
    assert quotes, "the chosen customer should have quotes"
    for quote in quotes[:5]:
        node = graph.data(QUOTE_NODE, {"id": quote["id"]})["node"]
        assert node == {
            "__typename": "Quote",
            "quoteId": quote["quoteId"],
            "status": quote["status"],
        }
