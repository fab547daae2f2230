"""Spec-examples conformance for TMF: documents built from the TM Forum specs alone.

A carrier on loopback serves, for every resource the TMF family reads, the documents
``connectors.spec_examples`` builds from ``shared/specs/tmf`` (the specs' examples,
required-only objects, extra fields, empty lists, unknown codes), naming their account
each way the spec allows. Every one must read into a record with its identity, no
unreadable value and nothing left out.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from connectors.base import (
    ACCOUNTS_BY_ID,
    INVOICE_LINES_BY_INVOICE,
    INVOICES_BY_ACCOUNT,
    INVOICES_BY_ID,
    ORDERS_BY_ACCOUNT,
    ORDERS_BY_ID,
    QUOTES_BY_ACCOUNT,
    QUOTES_BY_ID,
    SERVICES_BY_ACCOUNT,
    SERVICES_BY_ID,
    USAGE_BY_ACCOUNT,
    Fetch,
    dropped_of,
)
from connectors.models import Resource
from connectors.protocols.tmf import TmfConnector
from connectors.registry import Registry
from connectors.sandbox.server import serve_in_thread
from connectors.spec import TmfSpec
from connectors.spec_examples import (
    SELLER_CODE,
    TMF_RESOURCES,
    VARIANTS,
    Link,
    SchemaBuilder,
    TmfSpecCarrier,
    Variant,
    find_specs,
    links_of,
    load_openapi,
    tmf_documents,
)
from connectors.specs.tmf import TmfAccountLink

if TYPE_CHECKING:
    from collections.abc import Iterator

SPECS = find_specs("tmf")
pytestmark = pytest.mark.skipif(SPECS is None, reason="shared/specs/tmf is not beside the repo")

ACCOUNTS = ["ACC-1", "ACC-2"]
BILLS = ["CB-1", "CB-2"]
BY_OWNER: dict[Resource, Fetch[Any]] = {
    Resource.ACCOUNTS: ACCOUNTS_BY_ID,
    Resource.SERVICES: SERVICES_BY_ACCOUNT,
    Resource.INVOICES: INVOICES_BY_ACCOUNT,
    Resource.INVOICE_LINES: INVOICE_LINES_BY_INVOICE,
    Resource.ORDERS: ORDERS_BY_ACCOUNT,
    Resource.USAGE: USAGE_BY_ACCOUNT,
    Resource.QUOTES: QUOTES_BY_ACCOUNT,
}
BY_ID: dict[Resource, Fetch[Any]] = {
    Resource.SERVICES: SERVICES_BY_ID,
    Resource.INVOICES: INVOICES_BY_ID,
    Resource.ORDERS: ORDERS_BY_ID,
    Resource.QUOTES: QUOTES_BY_ID,
}
ID_FIELD = {
    Resource.ACCOUNTS: "account_number",
    Resource.SERVICES: "service_id",
    Resource.INVOICES: "invoice_number",
    Resource.ORDERS: "order_id",
    Resource.USAGE: "usage_id",
    Resource.QUOTES: "quote_id",
}


@dataclass(frozen=True)
class Case:
    resource: Resource
    variant: Variant
    link: Link

    @property
    def name(self) -> str:
        return f"{self.resource.value}-{self.variant.name}-{self.link}"

    @property
    def owners(self) -> list[str]:
        return BILLS if self.resource is Resource.INVOICE_LINES else ACCOUNTS


def _cases() -> list[Case]:
    if SPECS is None:
        return []
    return [
        Case(resource, variant, link)
        for resource, variant in itertools.product(TMF_RESOURCES, VARIANTS)
        for link in links_of(SPECS, resource)
    ]


CASES = _cases()


def _spec(case: Case, url: str) -> TmfSpec:
    return TmfSpec(
        id="spec-carrier",
        name="A carrier of the TMF specs",
        protocol="tmf",
        base_url=f"{url}/{case.name}",
        capabilities=frozenset(TMF_RESOURCES),
        fields_projection=False,
        account_link={"by_request": case.link == "none"},
    )


@dataclass
class Served:
    url: str
    docs: dict[str, list[tuple[str, dict[str, Any]]]]
    carrier: TmfSpecCarrier


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    assert SPECS is not None
    docs = {
        case.name: tmf_documents(SPECS, case.resource, case.variant, case.link, case.owners)
        for case in CASES
    }
    routes = {}
    for case in CASES:
        path = TmfConnector(_spec(case, "http://x"), None).path(case.resource)  # type: ignore[arg-type]
        routes[f"/{case.name}{path}"] = docs[case.name]
    carrier = TmfSpecCarrier(routes)
    with serve_in_thread(carrier) as url:
        yield Served(url, docs, carrier)


def test_every_tmf_resource_has_cases():
    assert {c.resource for c in CASES} == set(TMF_RESOURCES)
    assert {c.variant.name for c in CASES} == {v.name for v in VARIANTS}
    # TMF635 usage has no billingAccount: only related parties (or the carrier file) place it.
    assert {c.link for c in CASES if c.resource is Resource.USAGE} == {"relatedParty", "none"}


def test_minimal_objects_keep_only_what_the_spec_requires():
    assert SPECS is not None
    quote = SchemaBuilder(load_openapi(SPECS / "TMF648-quote.json"), full=False).build("Quote")
    assert quote == {"quoteItem": [{}]}  # TMF648: a quote requires items, an item nothing
    product = SchemaBuilder(
        load_openapi(SPECS / "TMF637-product-inventory.json"), full=False
    ).build("Product")
    assert product == {}  # nothing of a TMF637 product is required


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_spec_documents_read_into_records(served: Served, case: Case):
    served_docs = served.docs[case.name]
    registry = Registry({"spec-carrier": _spec(case, served.url)})
    try:
        connector = registry.get("spec-carrier")
        found = await connector.fetch(BY_OWNER[case.resource], case.owners)
        by_id = None
        if case.resource in BY_ID and case.link != "none":
            by_id = await connector.fetch(
                BY_ID[case.resource], [doc["id"] for _, doc in served_docs]
            )
    finally:
        await registry.aclose()

    for owner in case.owners:
        records = found.get(owner, [])
        assert dropped_of(records) == ()
        want = [doc["id"] for o, doc in served_docs if o == owner]
        if case.resource is Resource.INVOICE_LINES:
            assert len(records) == len(want)  # lines carry no id of their own
        else:
            assert sorted(getattr(r, ID_FIELD[case.resource]) for r in records) == sorted(want)
            assert {r.account_number for r in records} == {owner}
        for record in records:
            assert record.problems == (), record.problems
            if case.variant.code is not None and getattr(record, "status_code", None):
                # The carrier's own code, or a free-text state the spec leaves open.
                assert record.status.name == "UNKNOWN"
    if by_id is not None:
        assert {k: len(v) for k, v in by_id.items()} == {doc["id"]: 1 for _, doc in served_docs}
        assert all(dropped_of(v) == () for v in by_id.values())


@pytest.mark.parametrize("resource", [Resource.SERVICES, Resource.ORDERS, Resource.QUOTES])
async def test_unknown_state_codes_read_as_unknown_with_the_raw_code(served: Served, resource):
    case = next(
        c
        for c in CASES
        if c.resource is resource and c.variant.code is not None and c.link == "billingAccount"
    )
    registry = Registry({"spec-carrier": _spec(case, served.url)})
    try:
        found = await registry.get("spec-carrier").fetch(BY_OWNER[resource], ACCOUNTS)
    finally:
        await registry.aclose()

    records = [r for rs in found.values() for r in rs]
    assert records
    assert {(r.status.name, r.status_code) for r in records} == {("UNKNOWN", SELLER_CODE)}


async def test_records_naming_no_account_take_the_carrier_files_default(served: Served):
    case = next(
        c
        for c in CASES
        if c.resource is Resource.SERVICES and c.variant.name == "minimal" and c.link == "none"
    )
    spec = _spec(case, served.url).model_copy(
        update={"account_link": TmfAccountLink(default_account="ACC-9")}
    )
    ids = [doc["id"] for _, doc in served.docs[case.name]]
    registry = Registry({"spec-carrier": spec})
    try:
        found = await registry.get("spec-carrier").fetch(SERVICES_BY_ID, ids)
    finally:
        await registry.aclose()

    assert {k: [(r.service_id, r.account_number) for r in v] for k, v in found.items()} == {
        i: [(i, "ACC-9")] for i in ids
    }


async def test_a_related_party_in_a_role_the_carrier_file_names_places_usage(served: Served):
    assert SPECS is not None
    docs = tmf_documents(SPECS, Resource.USAGE, VARIANTS[1], "none", ACCOUNTS)
    for owner, doc in docs:
        doc["relatedParty"] = [{"id": owner, "role": "Customer", "@referredType": "Organization"}]
    case = Case(Resource.USAGE, VARIANTS[1], "none")
    spec = _spec(case, served.url).model_copy(
        update={
            "base_url": f"{served.url}/roles",
            "account_link": TmfAccountLink(
                roles={"customer"}, filters={Resource.USAGE: "party.id"}
            ),
        }
    )
    registry = Registry({"spec-carrier": spec})
    served.carrier.routes["/roles" + TmfConnector(spec, None).path(Resource.USAGE)] = docs  # type: ignore[arg-type]
    try:
        found = await registry.get("spec-carrier").fetch(USAGE_BY_ACCOUNT, ACCOUNTS)
    finally:
        await registry.aclose()

    assert {k: sorted(r.usage_id for r in v) for k, v in found.items()} == {
        a: sorted(d["id"] for o, d in docs if o == a) for a in ACCOUNTS
    }
    # One request for both accounts: the link came from each record, not from the request.
    asked = [q for p, q in served.carrier.requests if p.startswith("/roles")]
    assert [q.get("party.id") for q in asked] == ["ACC-1,ACC-2"]
