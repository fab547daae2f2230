"""Spec-examples conformance for MEF LSO Sonata: documents built from the official specs.

A seller that implements the Sonata specs to the letter (and no further) is served over
HTTP on loopback from :mod:`connectors.spec_examples_sonata`: examples, required-only
objects, unknown extra fields, empty lists and unknown codes. Every resource the Sonata
family supports reads into records, each with no unreadable value and none left out.
"""

from __future__ import annotations

import pytest

from connectors.base import (
    INVOICE_LINES_BY_INVOICE,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    QUOTES_BY_ACCOUNT,
    QUOTES_BY_ID,
    SERVICES_BY_ACCOUNT,
    SERVICES_BY_ID,
    TICKETS_BY_ACCOUNT,
    TICKETS_BY_ID,
    dropped_of,
)
from connectors.models import FALLBACK_VALUES, Resource
from connectors.registry import Registry
from connectors.spec import NoAuth
from connectors.spec_examples_sonata import RESOURCES, VARIANTS, SpecCarrier, build, find_specs
from connectors.specs.sonata import SONATA_RESOURCES, SonataSpec
from tests.support.servers import serve_in_thread

SPECS = find_specs()
pytestmark = pytest.mark.skipif(SPECS is None, reason="shared/specs/mef-sonata not found")

ACCOUNT = "BA-SPEC-1"
DECLARED = "BA-DECLARED"
BY_ACCOUNT = {
    Resource.SERVICES: SERVICES_BY_ACCOUNT,
    Resource.INVOICES: INVOICES_BY_ACCOUNT,
    Resource.ORDERS: ORDERS_BY_ACCOUNT,
    Resource.TICKETS: TICKETS_BY_ACCOUNT,
    Resource.QUOTES: QUOTES_BY_ACCOUNT,
}
COUNT = 3


def carrier_spec(url: str) -> SonataSpec:
    return SonataSpec(
        id="spec-seller",
        name="Spec Seller",
        protocol="sonata",
        base_url=url,
        capabilities=SONATA_RESOURCES,
        auth=NoAuth(),
        buyer_id="BUYER",
        seller_id="SELLER",
    )


def test_every_resource_the_family_supports_is_built_from_the_specs():
    assert set(RESOURCES) == set(SONATA_RESOURCES)


@pytest.mark.conformance
@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
async def test_spec_documents_read_into_records(variant):
    assert SPECS is not None
    docs = {r: build(SPECS, r, variant, COUNT) for r in RESOURCES}
    template = carrier_spec("http://127.0.0.1:9")
    app = SpecCarrier(template, SPECS, docs)
    with serve_in_thread(app) as url:
        spec = carrier_spec(url)
        registry = Registry({spec.id: spec})
        try:
            connector = registry.get(spec.id)
            found = {r: await connector.fetch(f, [ACCOUNT]) for r, f in BY_ACCOUNT.items()}
            bills = [i.invoice_number for i in _all(found[Resource.INVOICES])]
            lines = await connector.fetch(INVOICE_LINES_BY_INVOICE, bills)
        finally:
            await registry.aclose()
        # By id no account was asked for: records naming none take the carrier file's.
        declared = spec.model_copy(update={"default_account": DECLARED})
        registry = Registry({spec.id: declared})
        try:
            connector = registry.get(spec.id)
            by_id = {
                r: await connector.fetch(f, [d["id"] for d in docs[r]])
                for r, f in (
                    (Resource.SERVICES, SERVICES_BY_ID),
                    (Resource.TICKETS, TICKETS_BY_ID),
                    (Resource.QUOTES, QUOTES_BY_ID),
                )
            }
        finally:
            await registry.aclose()

    for resource, answer in found.items():
        records = _all(answer)
        assert len(records) == COUNT, (variant.name, resource)
        assert all(dropped_of(v) == () for v in answer.values()), (variant.name, resource)
        assert [r.problems for r in records] == [()] * COUNT, (variant.name, resource)
        # The ids the seller wrote, linked to the account asked for (or the one they name).
        ids = [getattr(r, _ID[resource]) for r in records]
        assert sorted(ids) == sorted(d["id"] for d in docs[resource]), (variant.name, resource)
    assert len(bills) == COUNT
    for bill in bills:
        items = list(lines[bill])
        assert len(items) == COUNT, variant.name
        assert [i.problems for i in items] == [()] * COUNT, variant.name
    for resource, answer in by_id.items():
        assert {k: len(v) for k, v in answer.items()} == {d["id"]: 1 for d in docs[resource]}
        assert all(r.problems == () for v in answer.values() for r in v)
        assert all(r.account_number != ACCOUNT for v in answer.values() for r in v)
    # The details really came from the retrieve-by-id paths, one GET per record.
    detail_gets = [p for p in app.requests if p.rsplit("/", 1)[-1].endswith(("-1", "-2", "-3"))]
    assert len(detail_gets) >= COUNT * len(RESOURCES)

    # (Quote's state is optional: a minimal quote has none, and reads as null.)
    statuses = [r.status for answer in found.values() for r in _all(answer) if r.status_code]
    assert len(statuses) >= COUNT * (len(BY_ACCOUNT) - 1)
    if variant.code is not None:  # a seller's own codes: UNKNOWN, the raw code kept
        assert all(s is not None and s.value in FALLBACK_VALUES for s in statuses)
        codes = {r.status_code for a in found.values() for r in _all(a)} - {None}
        assert codes == {variant.code}
    else:  # the specs' own codes are all in the defaults
        assert all(s is not None and s.value not in FALLBACK_VALUES for s in statuses)


async def test_a_full_example_fills_the_optional_values_it_carries():
    assert SPECS is not None
    examples = next(v for v in VARIANTS if v.name == "examples")
    docs = {r: build(SPECS, r, examples, 1) for r in RESOURCES}
    app = SpecCarrier(carrier_spec("http://127.0.0.1:9"), SPECS, docs)
    with serve_in_thread(app) as url:
        spec = carrier_spec(url)
        registry = Registry({spec.id: spec})
        try:
            connector = registry.get(spec.id)
            (service,) = _all(await connector.fetch(SERVICES_BY_ACCOUNT, [ACCOUNT]))
            (bill,) = _all(await connector.fetch(INVOICES_BY_ACCOUNT, [ACCOUNT]))
            (order,) = _all(await connector.fetch(ORDERS_BY_ACCOUNT, [ACCOUNT]))
        finally:
            await registry.aclose()
    doc = docs[Resource.SERVICES][0]
    # The product names its own billing account: that link wins over the one asked for.
    assert service.account_number == doc["billingAccount"]["id"] != ACCOUNT
    assert service.activated_at is not None
    assert service.mrc is not None
    assert service.mrc.currency == "USD"
    assert bill.account_number == docs[Resource.INVOICES][0]["billingAccount"]["id"]
    assert bill.total is not None
    assert bill.issued_at is not None
    assert order.items
    assert order.ordered_at is not None


_ID = {
    Resource.SERVICES: "service_id",
    Resource.INVOICES: "invoice_number",
    Resource.ORDERS: "order_id",
    Resource.TICKETS: "ticket_id",
    Resource.QUOTES: "quote_id",
}


def _all(answer):
    """Every record of a fetch, whichever account each is linked to."""
    return [r for records in answer.values() for r in records]
