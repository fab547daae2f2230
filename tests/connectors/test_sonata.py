"""The MEF Sonata adapter against its sandbox dialect, beyond the conformance kit.

OAuth2 token reuse with buyer/seller ids on every request, per-carrier milestone and
state vocabularies, carrier-local dates, both paging styles, key batching, and the
errors that name carrier, record and field.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import httpx
import pytest

from connectors.base import (
    ACCOUNTS_BY_ID,
    INVOICE_LINES_BY_INVOICE,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    ORDERS_BY_ID,
    QUOTES_BY_ACCOUNT,
    QUOTES_BY_ID,
    SERVICES_BY_ACCOUNT,
    SERVICES_BY_ID,
    TICKETS_BY_ACCOUNT,
    TICKETS_BY_ID,
)
from connectors.errors import (
    CarrierSpecError,
    NotSupportedByCarrier,
    UpstreamInvalid,
    UpstreamUnavailable,
)
from connectors.io import transport_factory
from connectors.models import MilestoneKind, OrderStatus, Resource, known_members
from connectors.protocols.sonata import DEFAULT_CODES, filter_param, list_path
from connectors.registry import CARRIERS_DIR, Registry, load_spec
from connectors.sandbox.faults import Faults
from connectors.sandbox.sonata_wire import SonataWriter
from connectors.spec import NoAuth

if TYPE_CHECKING:
    from pathlib import Path

SONATA = [
    "fjordgate-transit",
    "lanternhill-telecom",
    "redcanyon-fiber",
    "saltmarsh-wholesale",
    "tarnwick-networks",
]
WITH_ORDERS = ["fjordgate-transit", "lanternhill-telecom", "redcanyon-fiber", "tarnwick-networks"]


def accounts(sandbox, carrier):
    return [a.account_number for a in sandbox.data.carriers[carrier].accounts]


async def wire_list(registry, spec, resource, keys, key="account"):
    """The raw Sonata list a carrier answers (one big page), through the carrier's client."""
    params = {
        filter_param(spec, resource, key): ",".join(keys),
        "buyerId": spec.buyer_id,
        "sellerId": spec.seller_id,
        "limit": "1000",
    }
    page = await registry.clients[spec.id].get_json(list_path(spec, resource), params)
    return page.body


def mocked(spec, body):
    """A registry whose only carrier answers every list with ``body`` (no credentials)."""
    spec = spec.model_copy(update={"auth": NoAuth()})

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body, headers={"X-Total-Count": str(len(body))})

    return Registry({spec.id: spec}, transport_factory=lambda _: httpx.MockTransport(handler))


def wire_order(sandbox, carrier):
    spec = sandbox.specs[carrier]
    order = next(o for o in sandbox.data.carriers[carrier].orders if o.milestones)
    return copy.deepcopy(SonataWriter(spec, {r.value: "/x" for r in Resource}).order(order))


@pytest.mark.parametrize("io", ["aiohttp", "httpx"])
async def test_one_token_serves_concurrent_requests_each_naming_buyer_and_seller(sandbox, io):
    carrier = "tarnwick-networks"
    spec = sandbox.specs[carrier].model_copy(update={"max_keys_per_call": 5})
    assert spec.auth.type == "oauth2"
    numbers = accounts(sandbox, carrier)
    sandbox.sandbox.set_faults(carrier, Faults(latency_ms=40))  # calls in flight together
    registry = Registry({carrier: spec}, transport_factory=transport_factory(io))
    try:
        connector = registry.get(carrier)
        asks = [SERVICES_BY_ACCOUNT, INVOICES_BY_ACCOUNT, ORDERS_BY_ACCOUNT, TICKETS_BY_ACCOUNT]
        await asyncio.gather(*(connector.fetch(ask, numbers) for ask in asks))
        await connector.fetch(QUOTES_BY_ACCOUNT, numbers)  # later: the cached token again
        oauth2 = registry.clients[carrier].oauth2
        assert oauth2 is not None
        assert oauth2.token_requests == 1
    finally:
        await registry.aclose()

    log = [r for r in sandbox.sandbox.log.records() if r.carrier == carrier]
    tokens = [r for r in log if r.resource == "token"]
    calls = [r for r in log if r.resource != "token"]
    assert len(tokens) == 1
    assert len(calls) >= len(asks) * math.ceil(len(numbers) / 5) + 1
    assert all(tokens[0].ended <= call.started for call in calls)  # everyone waited for it
    overlapping = [(a, b) for a in calls for b in calls if a.started < b.started < a.ended]
    assert overlapping  # the API calls really were concurrent
    for call in calls:
        query = parse_qs(call.query)
        assert query["buyerId"] == [spec.buyer_id]
        assert query["sellerId"] == [spec.seller_id]


async def test_a_wrong_seller_id_is_refused_by_the_seller(sandbox):
    carrier = "redcanyon-fiber"
    spec = sandbox.specs[carrier].model_copy(update={"seller_id": "SOMEONE-ELSE"})
    registry = Registry({carrier: spec})
    try:
        with pytest.raises(UpstreamUnavailable, match="HTTP 403") as info:
            await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, accounts(sandbox, carrier))
        assert info.value.carrier == carrier
    finally:
        await registry.aclose()


@pytest.mark.parametrize("carrier", WITH_ORDERS)
async def test_each_carrier_names_milestones_its_own_way(sandbox, carrier):
    spec = sandbox.specs[carrier]
    own = dict(spec.status_maps.milestone or DEFAULT_CODES["milestone"])
    data = sandbox.data.carriers[carrier]
    numbers = sorted({o.account_number for o in data.orders})
    registry = Registry({carrier: spec})
    try:
        wire = await wire_list(registry, spec, Resource.ORDERS, numbers)
        found = await registry.get(carrier).fetch(ORDERS_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()

    orders = {o.order_id: o for rs in found.values() for o in rs}
    assert orders == {o.order_id: o for o in data.orders}
    pairs = [
        (m["name"], read.kind)
        for doc in wire
        for m, read in zip(
            doc["productOrderItem"][0]["milestone"], orders[doc["id"]].milestones, strict=True
        )
    ]
    assert len(pairs) == sum(len(o.milestones) for o in data.orders) > 0
    assert all(MilestoneKind[own[name]] is kind for name, kind in pairs)  # the file's names
    assert {name for name, _ in pairs} <= set(own)


def test_the_same_milestone_has_a_different_name_at_each_carrier(sandbox):
    registry = Registry({c: sandbox.specs[c] for c in WITH_ORDERS})
    names = {c: registry.get(c).maps.milestone.code_for(MilestoneKind.FOC) for c in WITH_ORDERS}
    assert names == {
        "tarnwick-networks": "firmOrderCommitment",
        "fjordgate-transit": "Delivery Date Confirmed",
        "lanternhill-telecom": "FOC Issued",
        "redcanyon-fiber": "FOC",
    }


async def test_another_carriers_milestone_name_is_unmapped(sandbox):
    doc = wire_order(sandbox, "tarnwick-networks")
    doc["productOrderItem"][0]["milestone"][0]["name"] = "Delivery Date Confirmed"  # Fjordgate's
    registry = mocked(sandbox.specs["tarnwick-networks"], [doc])
    try:
        with pytest.raises(UpstreamInvalid) as info:
            await registry.get("tarnwick-networks").fetch(ORDERS_BY_ID, [doc["id"]])
    finally:
        await registry.aclose()
    assert (info.value.record, info.value.field) == (
        "ProductOrder",
        "productOrderItem.milestone.name",
    )
    assert "Delivery Date Confirmed" in info.value.message


async def test_an_unmapped_order_state_names_carrier_record_and_field(sandbox):
    carrier = "redcanyon-fiber"
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_record"))
    registry = Registry({carrier: sandbox.specs[carrier]})
    try:
        with pytest.raises(UpstreamInvalid) as info:
            await registry.get(carrier).fetch(ORDERS_BY_ACCOUNT, accounts(sandbox, carrier))
    finally:
        await registry.aclose()
    error = info.value
    assert (error.carrier, error.record, error.field) == (carrier, "ProductOrder", "state")
    assert carrier in error.message
    assert "??unmapped??" in error.message


@pytest.mark.parametrize(
    ("state_at", "field"), [("order", "state"), ("item", "productOrderItem.state")]
)
async def test_a_standard_code_the_carrier_does_not_use_is_unmapped(sandbox, state_at, field):
    carrier = "redcanyon-fiber"  # upper-case OSS codes, and Sonata's defaults besides
    doc = wire_order(sandbox, carrier)
    target = doc if state_at == "order" else doc["productOrderItem"][0]
    target["state"] = "onIce"
    registry = mocked(sandbox.specs[carrier], [doc])
    try:
        with pytest.raises(UpstreamInvalid) as info:
            await registry.get(carrier).fetch(ORDERS_BY_ID, [doc["id"]])
    finally:
        await registry.aclose()
    assert (info.value.record, info.value.field) == ("ProductOrder", field)

    target["state"] = "WIP"  # the carrier's own code reads fine
    registry = mocked(sandbox.specs[carrier], [doc])
    try:
        found = await registry.get(carrier).fetch(ORDERS_BY_ID, [doc["id"]])
    finally:
        await registry.aclose()
    order = found[doc["id"]][0]
    read = order.status if state_at == "order" else order.items[0].status
    assert read is OrderStatus.IN_PROGRESS


async def test_dates_are_read_in_the_carriers_time_zone(sandbox):
    carrier = "fjordgate-transit"  # Europe/Oslo: local midnight is the previous day in UTC
    spec = sandbox.specs[carrier]
    data = sandbox.data.carriers[carrier]
    numbers = sorted({o.account_number for o in data.orders})
    registry = Registry({carrier: spec})
    try:
        wire = await wire_list(registry, spec, Resource.ORDERS, numbers)
        found = await registry.get(carrier).fetch(ORDERS_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()
    read = {o.order_id: o.requested_date for rs in found.values() for o in rs}
    assert read == {o.order_id: o.requested_date for o in data.orders}
    for doc in wire:
        raw = doc["productOrderItem"][0]["requestedCompletionDate"]
        assert raw.endswith(("+01:00", "+02:00"))
        utc_day = datetime.fromisoformat(raw).astimezone(UTC).date()
        assert utc_day < read[doc["id"]]  # reading it as UTC would be a day early


async def test_without_a_total_count_pages_are_walked_until_a_short_one(sandbox):
    carrier = "fjordgate-transit"
    spec = sandbox.specs[carrier]
    assert spec.paging.total_header is None  # the sandbox sends X-Result-Count only
    size = 4
    spec = spec.model_copy(update={"paging": spec.paging.model_copy(update={"page_size": size})})
    data = sandbox.data.carriers[carrier]
    numbers = accounts(sandbox, carrier)
    assert len(data.services) > size
    registry = Registry({carrier: spec})
    try:
        found = await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()
    assert sorted(s.service_id for rs in found.values() for s in rs) == sorted(
        s.service_id for s in data.services
    )
    log = [r for r in sandbox.sandbox.log.records() if r.resource == "services"]
    assert len(log) == len(data.services) // size + 1
    offsets = [int(parse_qs(r.query)["offset"][0]) for r in log]
    assert offsets == list(range(0, len(log) * size, size))  # one after another
    assert all(a.ended <= b.started for a, b in itertools.pairwise(log))


async def test_keys_beyond_max_keys_per_call_are_split_into_concurrent_chunks(sandbox):
    carrier = "redcanyon-fiber"
    spec = sandbox.specs[carrier].model_copy(update={"max_keys_per_call": 4})
    services = sandbox.data.carriers[carrier].services
    assert len(services) > 2 * spec.max_keys_per_call
    sandbox.sandbox.set_faults(carrier, Faults(latency_ms=40))
    registry = Registry({carrier: spec})
    try:
        found = await registry.get(carrier).fetch(SERVICES_BY_ID, [s.service_id for s in services])
    finally:
        await registry.aclose()
    assert {k: list(v) for k, v in found.items()} == {s.service_id: [s] for s in services}
    log = [r for r in sandbox.sandbox.log.records() if r.resource == "services"]
    assert len(log) == math.ceil(len(services) / spec.max_keys_per_call)
    assert all(len(parse_qs(r.query)["id"][0].split(",")) <= 4 for r in log)
    assert max(r.started for r in log) < min(r.ended for r in log)  # all in flight at once


@pytest.mark.parametrize(
    ("carrier", "fetch", "records", "key"),
    [
        ("tarnwick-networks", QUOTES_BY_ID, "quotes", "quote_id"),
        ("lanternhill-telecom", TICKETS_BY_ID, "tickets", "ticket_id"),
        ("fjordgate-transit", ORDERS_BY_ID, "orders", "order_id"),
    ],
)
async def test_records_by_id_come_back_under_their_own_id(sandbox, carrier, fetch, records, key):
    wanted = list(getattr(sandbox.data.carriers[carrier], records))[:7]
    registry = Registry({carrier: sandbox.specs[carrier]})
    try:
        found = await registry.get(carrier).fetch(fetch, [getattr(r, key) for r in wanted] + ["x"])
    finally:
        await registry.aclose()
    assert {k: list(v) for k, v in found.items()} == {getattr(r, key): [r] for r in wanted}
    assert sandbox.sandbox.log.counts()[(carrier, records)] == 1


async def test_bill_items_are_grouped_under_their_bill(sandbox):
    carrier = "saltmarsh-wholesale"  # UK bill item vocabulary (rental, calls, vat, ...)
    data = sandbox.data.carriers[carrier]
    numbers = [i.invoice_number for i in data.invoices[:30]]
    registry = Registry({carrier: sandbox.specs[carrier]})
    try:
        found = await registry.get(carrier).fetch(INVOICE_LINES_BY_INVOICE, numbers)
    finally:
        await registry.aclose()
    assert {k: list(v) for k, v in found.items()} == {
        n: list(data.invoice_lines[n]) for n in numbers
    }


@pytest.mark.parametrize(
    ("carrier", "fetch"),
    [("lanternhill-telecom", SERVICES_BY_ACCOUNT), ("saltmarsh-wholesale", ACCOUNTS_BY_ID)],
)
async def test_undeclared_resources_are_not_supported(sandbox, carrier, fetch):
    registry = Registry({carrier: sandbox.specs[carrier]})
    try:
        with pytest.raises(NotSupportedByCarrier) as info:
            await registry.get(carrier).fetch(fetch, ["A1"])
    finally:
        await registry.aclose()
    assert info.value.carrier == carrier
    assert sandbox.sandbox.log.records() == []


@pytest.mark.parametrize(("garbage", "record"), [("not_json", None), ("wrong_shape", "MEFProduct")])
async def test_broken_pages_are_invalid(sandbox, garbage, record):
    carrier = "tarnwick-networks"
    sandbox.sandbox.set_faults(carrier, Faults(garbage=garbage))
    registry = Registry({carrier: sandbox.specs[carrier]})
    try:
        with pytest.raises(UpstreamInvalid) as info:
            await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, accounts(sandbox, carrier))
    finally:
        await registry.aclose()
    assert (info.value.carrier, info.value.record) == (carrier, record)


SPEC = """\
id: acme-sonata
name: Acme Sonata
protocol: sonata
base_url: http://127.0.0.1:9/acme
capabilities: [services, orders]
buyer_id: SWB
seller_id: ACME
"""


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("capabilities: [services, accounts]\n", "capabilities"),
        ("capabilities: [usage]\n", "capabilities"),
        ("timezone: Mars/Olympus_Mons\n", "timezone"),
        ("versions: {quote: latest}\n", "versions.quote"),
        ("buyer_id: ''\n", "buyer_id"),
    ],
)
def test_invalid_sonata_carrier_files_name_the_field(tmp_path: Path, extra, field):
    head = "\n".join(
        line for line in SPEC.splitlines() if line.split(":")[0] != extra.split(":")[0]
    )
    path = tmp_path / "acme-sonata.yaml"
    path.write_text(head + "\n" + extra)
    with pytest.raises(CarrierSpecError) as info:
        load_spec(path, {})
    assert info.value.field == field


def test_a_code_mapped_to_an_unknown_name_fails_at_build(tmp_path: Path):
    path = tmp_path / "acme-sonata.yaml"
    path.write_text(SPEC + "codes: {item_action: {relocate: TELEPORT}}\n")
    spec = load_spec(path, {})
    with pytest.raises(CarrierSpecError) as info:
        Registry({spec.id: spec})
    assert "codes.item_action" in str(info.value)
    assert "TELEPORT" in str(info.value)


def test_defaults_cover_every_normalized_value():
    spec = load_spec(CARRIERS_DIR / "tarnwick-networks.yaml", {})
    registry = Registry({spec.id: spec})
    maps = registry.get(spec.id).maps
    for name in ("order", "order_item", "milestone", "ticket", "quote", "invoice", "bill_item"):
        vocabulary = getattr(maps, name)
        assert {
            vocabulary.code_for(member) for member in known_members(vocabulary.enum)
        }  # no KeyError
    assert maps.order.code_for(OrderStatus.HELD) == "held.assessingCharge"  # the SDK's code
    assert maps.order.read("held", "state") is OrderStatus.HELD  # older sellers' code
