"""Spec-examples conformance for TM Forum: documents built from the official TMF specs.

A carrier that implements the TMF Open APIs to the letter (and no further) is served
over HTTP on loopback from :mod:`connectors.spec_examples_tmf`: every property, only
the required ones, unknown extra fields, empty lists and unknown codes. Every resource
the specs directory holds reads into records, with no record left out and no value
unreadable; codes nobody mapped read as UNKNOWN (OTHER) with the raw code kept.
"""

from __future__ import annotations

import pytest

from connectors.base import (
    ACCOUNTS_BY_ID,
    INVOICE_LINES_BY_INVOICE,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    QUOTES_BY_ACCOUNT,
    SERVICES_BY_ACCOUNT,
    USAGE_BY_ACCOUNT,
    dropped_of,
)
from connectors.models import FALLBACK_VALUES, Resource
from connectors.registry import Registry
from connectors.spec import NoAuth, TmfSpec
from connectors.spec_examples_tmf import (
    RESOURCES,
    VARIANTS,
    Placement,
    TmfSpecCarrier,
    build,
    find_specs,
)
from tests.support.servers import serve_in_thread

SPECS = find_specs()
pytestmark = pytest.mark.skipif(SPECS is None, reason="shared/specs/tmf not found")

AT = Placement(account="BA-SPEC-1", bill="BILL-SPEC-1")
COUNT = 3
FETCHES = {
    Resource.ACCOUNTS: (ACCOUNTS_BY_ID, AT.account),
    Resource.SERVICES: (SERVICES_BY_ACCOUNT, AT.account),
    Resource.INVOICES: (INVOICES_BY_ACCOUNT, AT.account),
    Resource.INVOICE_LINES: (INVOICE_LINES_BY_INVOICE, AT.bill),
    Resource.ORDERS: (ORDERS_BY_ACCOUNT, AT.account),
    Resource.USAGE: (USAGE_BY_ACCOUNT, AT.account),
    Resource.QUOTES: (QUOTES_BY_ACCOUNT, AT.account),
}


def carrier_spec(url: str) -> TmfSpec:
    return TmfSpec(
        id="spec-carrier",
        name="Spec Carrier",
        protocol="tmf",
        base_url=url,
        capabilities=frozenset(RESOURCES),
        auth=NoAuth(),
        fields_projection=False,
    )


def test_every_resource_in_the_specs_directory_is_built():
    assert SPECS is not None
    assert set(RESOURCES) == set(FETCHES)
    for resource, (file, _) in RESOURCES.items():
        assert (SPECS / f"{file}.json").is_file(), resource


@pytest.mark.conformance
@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
async def test_spec_documents_read_into_records(variant):
    assert SPECS is not None
    docs = {r: build(SPECS, r, variant, AT, COUNT) for r in RESOURCES}
    with serve_in_thread(TmfSpecCarrier(carrier_spec("http://127.0.0.1:9"), docs)) as url:
        spec = carrier_spec(url)
        registry = Registry({spec.id: spec})
        try:
            connector = registry.get(spec.id)
            found = {r: await connector.fetch(f, [key]) for r, (f, key) in FETCHES.items()}
        finally:
            await registry.aclose()

    for resource, answer in found.items():
        key = FETCHES[resource][1]
        records = list(answer.get(key, ()))
        dropped = [e for rs in answer.values() for e in dropped_of(rs)]
        assert not dropped, (resource, [e.message for e in dropped])
        expected = 1 if resource is Resource.ACCOUNTS else COUNT  # accounts: asked by id
        assert len(records) == expected, resource
        for record in records:
            assert not getattr(record, "problems", ()), (resource, record.problems)
            if variant.code is not None and getattr(record, "status_code", None):
                assert str(record.status) in FALLBACK_VALUES  # a seller's own state
                assert record.status_code == variant.code


async def test_minimal_documents_leave_optional_values_null():
    assert SPECS is not None
    minimal = next(v for v in VARIANTS if v.name == "minimal")
    docs = {r: build(SPECS, r, minimal, AT, 1) for r in RESOURCES}
    with serve_in_thread(TmfSpecCarrier(carrier_spec("http://127.0.0.1:9"), docs)) as url:
        spec = carrier_spec(url)
        registry = Registry({spec.id: spec})
        try:
            services = await registry.get(spec.id).fetch(SERVICES_BY_ACCOUNT, [AT.account])
            bills = await registry.get(spec.id).fetch(INVOICES_BY_ACCOUNT, [AT.account])
        finally:
            await registry.aclose()
    (service,) = services[AT.account]
    assert (service.service_address, service.mrc, service.status) == (None, None, None)
    (bill,) = bills[AT.account]
    assert (bill.invoice_number, bill.total, bill.issued_at) == (AT.bill, None, None)
