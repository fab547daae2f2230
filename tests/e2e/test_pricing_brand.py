"""Prices, private label and carrier masking over the real app, per party.

The demo directory holds markup rules at every tier and one private-label reseller
that hides carriers and bills its customers itself (auth/commercial.py
``demo_commercial``). Chains are recomputed here from the data set's wholesale prices
with ``auth.pricing.price_chain`` (held to independently computed figures in
tests/auth/test_pricing.py); what this file checks is that each party gets its own
slice of them through the graph, and that a masked customer never learns a carrier.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from auth.directory import Directory
from auth.pricing import price_chain, sellers_of
from tests.e2e.conftest import run_gateway

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.e2e.conftest import Carriers, Gateway

pytestmark = pytest.mark.e2e

SERVICES = """
{
  viewer { brand { displayName supportEmail } }
  carriers { id code name }
  services(first: 500) {
    nodes { id serviceId carrier { id code name } account { id } %s }
  }
}
"""
INVOICES = """
{
  invoices(first: 50) {
    nodes { invoiceNumber carrier { code } total { amount } taxes { amount }
            lines { kind amount { amount } } }
  }
}
"""


def _key(gateway: Gateway, party_id: str, role: str) -> str:
    async def create() -> str:
        directory = await Directory.open(gateway.runtime.settings.directory_url)
        try:
            return await directory.create_key(party_id, role)
        finally:
            await directory.close()

    return asyncio.run(create())


@pytest.fixture(scope="module")
def priced(carriers: Carriers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with run_gateway(carriers, tmp_path_factory.mktemp("pricing")) as running:
        yield running


@pytest.fixture(scope="module")
def label(priced: Gateway) -> tuple[str, str]:
    """The private-label reseller and one of its customers."""
    commercial = priced.runtime.commercial
    snapshot = priced.runtime.snapshot
    for party_id, brand in sorted(commercial.brands.items()):
        customers = snapshot.customers_under(party_id)
        if brand.hide_carriers and brand.private_label_billing and customers:
            return party_id, customers[0]
    raise AssertionError("the demo directory has a private-label reseller with customers")


def _chain(gateway: Gateway, carriers: Carriers, service_id: str, carrier: str, customer: str):
    service = next(
        s for s in carriers.data.carriers[carrier].services if s.service_id == service_id
    )
    runtime = gateway.runtime
    sellers = sellers_of(runtime.snapshot, customer)
    return price_chain(
        runtime.commercial.book, sellers, service, customer, datetime.now(UTC).date()
    )


def test_a_masked_customer_sees_its_brand_and_never_a_carrier(priced, carriers, label):
    reseller, customer = label
    brand = priced.runtime.commercial.brands[reseller]
    with priced.client(_key(priced, customer, "admin")) as graph:
        body = graph.data(SERVICES % "price { amount currency }")
        text = json.dumps(body)
    assert body["viewer"]["brand"]["displayName"] == brand.display_name
    assert body["carriers"], "the customer deals with carriers"
    assert {c["name"] for c in body["carriers"]} == {brand.display_name}
    services = body["services"]["nodes"]
    assert services
    assert {s["carrier"]["name"] for s in services} == {brand.display_name}
    decoded = " ".join(
        base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)).decode()
        for s in services
        for v in (s["id"], s["carrier"]["id"], s["account"]["id"])
    )
    for carrier_id, held in carriers.data.carriers.items():
        assert carrier_id not in text
        assert carrier_id not in decoded
        assert held.carrier.name not in text


def test_each_tier_sees_its_own_prices(priced, carriers, label):
    reseller, customer = label
    with priced.client(_key(priced, customer, "billing")) as graph:
        as_customer = graph.data(SERVICES % "price { amount }")["services"]["nodes"]
        hidden = graph.execute(SERVICES % "buyPrice { amount }")
    assert "data" not in hidden  # sellers' prices do not exist for a customer
    with priced.client(_key(priced, reseller, "admin")) as graph:
        as_reseller = graph.data(
            SERVICES % "price { amount } buyPrice { amount } sellPrice { amount }"
        )
        hidden = graph.execute(SERVICES % "wholesaleCost { amount }")
    assert "data" not in hidden  # an agent never sees the carrier's price to the channel

    customer_services = {s["serviceId"]: s for s in as_customer}
    checked = 0
    for node in as_reseller["services"]["nodes"]:
        owner = _owner(priced, node)
        chain = _chain(priced, carriers, node["serviceId"], _carrier_of(priced, node), owner)
        tier = next(t for t in chain.tiers if t.seller_id == reseller)
        assert Decimal(node["buyPrice"]["amount"]) == tier.buy.amount
        assert Decimal(node["sellPrice"]["amount"]) == tier.sell.amount
        assert Decimal(node["price"]["amount"]) == chain.price.amount
        if owner == customer:
            got = customer_services[node["serviceId"]]["price"]["amount"]
            assert Decimal(got) == chain.price.amount
            checked += 1
    assert checked == len(customer_services) > 0


def _owner(gateway: Gateway, node: dict[str, Any]) -> str:
    from gateway.schema.nodes import decode_id

    _, (carrier, account) = decode_id(node["account"]["id"])
    real = _real(gateway, carrier)
    return gateway.runtime.snapshot.link_by_account[(real, account)].customer_id


def _carrier_of(gateway: Gateway, node: dict[str, Any]) -> str:
    from gateway.schema.nodes import decode_id

    _, (carrier, _) = decode_id(node["account"]["id"])
    return _real(gateway, carrier)


def _real(gateway: Gateway, code: str) -> str:
    if code in gateway.runtime.carriers:
        return code
    raise AssertionError(f"a reseller (not masked) should see real carrier codes, got {code}")


def test_a_private_label_customer_gets_consistent_re_rated_invoices(priced, carriers, label):
    _, customer = label
    with priced.client(_key(priced, customer, "billing")) as graph:
        invoices = graph.data(INVOICES)["invoices"]["nodes"]
    assert invoices
    marked_up = 0
    for invoice in invoices:
        lines = invoice["lines"] or []
        total = Decimal(invoice["total"]["amount"])
        if lines:
            assert sum(Decimal(x["amount"]["amount"]) for x in lines) == total
            taxes = sum(Decimal(x["amount"]["amount"]) for x in lines if x["kind"] == "TAX")
            assert taxes == Decimal(invoice["taxes"]["amount"])
        original = next(
            i
            for held in carriers.data.carriers.values()
            for i in held.invoices
            if i.invoice_number == invoice["invoiceNumber"]
        )
        marked_up += total > original.total.amount
    assert marked_up > 0, "the reseller's markups show on its customers' bills"
