"""Row slices over the real app: each demo key sees exactly the rows of its party.

An agent sees the customers of its subtree, a customer only itself, a carrier only its
own records; a record outside the slice behaves as if it did not exist (``null``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from connectors.models import PartyKind
from tests.e2e.conftest import Gateway, GraphClient
from tests.e2e.queries import (
    CARRIERS,
    CUSTOMER_NAME,
    CUSTOMER_NAMES,
    NODE,
    SERVICE_IDS,
    SERVICES_PAGE,
)

if TYPE_CHECKING:
    from tests.e2e.expected import Truth

pytestmark = pytest.mark.e2e

Connect = Callable[..., GraphClient]


def customer_names(graph: GraphClient) -> list[str]:
    customers = graph.data(CUSTOMER_NAMES)["customers"]
    names = [c["name"] for c in customers["nodes"]]
    assert customers["totalCount"] == len(names)
    return names


def all_services(graph: GraphClient) -> Counter[tuple[str, str]]:
    """(carrier, service id) of every service in the viewer's slice, walking all pages."""
    found: Counter[tuple[str, str]] = Counter()
    for page in graph.pages(SERVICES_PAGE, {}, ["services"], first=100):
        found.update((s["carrier"]["code"], s["serviceId"]) for s in page["nodes"])
        assert page["totalCount"] >= found.total()
    return found


def services_of(truth: Truth, customers: set[str]) -> Counter[tuple[str, str]]:
    return Counter(
        (s.carrier, s.service_id) for c in customers for s in truth.of_customer(c, "services")
    )


def service_of_other_party(
    graph: GraphClient, customer_ids: dict[str, str], customer: str, not_carrier: str = ""
) -> dict[str, Any]:
    """A service of ``customer`` (not at ``not_carrier``) as the operator sees it."""
    services = graph.data(SERVICE_IDS, {"id": customer_ids[customer]})["customer"]["services"]
    return next(s for s in services["nodes"] if s["carrier"]["code"] != not_carrier)


def test_agent_sees_the_customers_of_its_subtree(
    graph_as: Connect, gateway: Gateway, truth: Truth
) -> None:
    agent = gateway.key(PartyKind.AGENT).party_id
    mine = truth.customers_under(agent)
    assert mine, "the demo agent should have customers"
    graph = graph_as(PartyKind.AGENT)

    names = customer_names(graph)

    assert Counter(names) == Counter(truth.data.party(c).name for c in mine)
    assert all_services(graph) == services_of(truth, mine)


def test_master_agent_sees_every_customer_below_it(
    graph_as: Connect, gateway: Gateway, truth: Truth
) -> None:
    master = gateway.key(PartyKind.MASTER_AGENT).party_id

    names = customer_names(graph_as(PartyKind.MASTER_AGENT))

    mine = truth.customers_under(master)
    assert Counter(names) == Counter(truth.data.party(c).name for c in mine)


def test_customer_sees_only_itself(
    graph_as: Connect,
    graph: GraphClient,
    gateway: Gateway,
    truth: Truth,
    customer_ids: dict[str, str],
) -> None:
    me = gateway.key(PartyKind.CUSTOMER).party_id
    other = next(
        c.id for c in truth.data.customers() if c.id != me and truth.of_customer(c.id, "services")
    )
    others_service = service_of_other_party(graph, customer_ids, other)
    my_service = service_of_other_party(graph, customer_ids, me)
    customer = graph_as(PartyKind.CUSTOMER)

    assert customer_names(customer) == [truth.data.party(me).name]
    assert all_services(customer) == services_of(truth, {me})
    assert customer.data(CUSTOMER_NAME, {"id": customer_ids[other]}) == {"customer": None}
    assert customer.data(NODE, {"id": others_service["id"]}) == {"node": None}
    assert customer.data(NODE, {"id": my_service["id"]})["node"] == {
        "__typename": "Service",
        "id": my_service["id"],
        "serviceId": my_service["serviceId"],
    }


def test_carrier_sees_only_its_own_services(
    graph_as: Connect,
    graph: GraphClient,
    gateway: Gateway,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    carrier = gateway.key(PartyKind.CARRIER).party_id
    customer, _ = dashboard_customer
    elsewhere = service_of_other_party(graph, customer_ids, customer, not_carrier=carrier)
    graph = graph_as(PartyKind.CARRIER)

    services = all_services(graph)

    # What the carrier holds and declares (a carrier without a service API shows none).
    held = truth.data.carriers[carrier].services if truth.offers(carrier, "services") else ()
    assert services == Counter((s.carrier, s.service_id) for s in held)
    assert held, "not vacuous: the demo carrier should offer and hold services"
    assert graph.data(CARRIERS) == {"carriers": [{"code": carrier}]}
    assert graph.data(NODE, {"id": elsewhere["id"]}) == {"node": None}


@pytest.mark.parametrize(
    ("kind", "role"), [(PartyKind.CUSTOMER, "viewer"), (PartyKind.AGENT, "admin")]
)
def test_carriers_are_only_those_the_party_deals_with(gateway: Gateway, truth, kind, role):
    key = gateway.key(kind, role)
    customers = truth.customers_under(key.party_id) | (
        {key.party_id} if kind is PartyKind.CUSTOMER else set()
    )
    expected = sorted({link.carrier for link in truth.data.links if link.customer_id in customers})
    with gateway.client(key.key) as graph:
        listed = [c["code"] for c in graph.data(CARRIERS)["carriers"]]
    assert listed == expected
    assert len(expected) < len(gateway.runtime.carriers)
