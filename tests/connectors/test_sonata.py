"""The MEF Sonata adapter against its sandbox dialect, beyond the conformance kit.

OAuth2 token reuse with buyer/seller ids on every request, list summaries then details
by id, per-carrier milestone and state vocabularies (unknown codes kept as UNKNOWN plus
the raw code), carrier-local dates, both paging styles, key batching, and what a bad
value or an unreadable record costs: that value, or that record, never its neighbours.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import math
from dataclasses import replace
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
    dropped_of,
)
from connectors.conformance import without_raw_codes
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
    """The raw Sonata details behind a carrier's list (one big page of summaries)."""
    client = registry.clients[spec.id]
    parties = {"buyerId": spec.buyer_id, "sellerId": spec.seller_id}
    params = {filter_param(spec, resource, key): ",".join(keys), **parties, "limit": "1000"}
    path = list_path(spec, resource)
    summaries = (await client.get_json(path, params)).body
    return [(await client.get_json(f"{path}/{s['id']}", parties)).body for s in summaries]


def mocked(spec, docs, **update):
    """A registry whose only carrier lists ``docs`` as summaries and serves their details."""
    spec = spec.model_copy(update={"auth": NoAuth(), **update})
    by_id = {d["id"]: d for d in docs if isinstance(d.get("id"), str)}
    paths = {list_path(spec, r) for r in Resource if r in spec.capabilities}
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.path)
        path = request.url.path.removeprefix(httpx.URL(spec.base_url).path)
        if path in paths:
            summaries = [{"id": d.get("id"), "state": "x"} for d in docs]
            return httpx.Response(200, json=summaries, headers={"X-Total-Count": str(len(docs))})
        record_id = path.rpartition("/")[2]
        if record_id in by_id:
            return httpx.Response(200, json=by_id[record_id])
        return httpx.Response(404, json={"code": "notFound", "reason": "no such record"})

    registry = Registry({spec.id: spec}, transport_factory=lambda _: httpx.MockTransport(handler))
    registry.requests = requests  # type: ignore[attr-defined]
    return registry


def plain(found):
    """Records by key, without the carrier's raw codes (the data set holds none)."""
    return {k: [without_raw_codes(r) for r in v] for k, v in found.items()}


def details(log, spec, resource):
    """The detail GETs (``collection/{id}``) of one resource in the sandbox log."""
    prefix = list_path(spec, resource) + "/"
    return [r for r in log if prefix in r.path]


def lists(log, spec, resource):
    """The list GETs of one resource in the sandbox log."""
    path = list_path(spec, resource)
    return [r for r in log if r.path.endswith(path)]


def most_in_flight(records):
    """The most requests that were ever in flight at once."""
    edges = sorted([(r.started, 1) for r in records] + [(r.ended, -1) for r in records])
    now = peak = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


def wire_order(sandbox, carrier):
    spec = sandbox.specs[carrier]
    order = next(o for o in sandbox.data.carriers[carrier].orders if o.milestones)
    return copy.deepcopy(SonataWriter(spec, {r.value: "/x" for r in Resource}).order(order))


@pytest.mark.parametrize("io", ["aiohttp", "httpx", "h1"])
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
    assert {k: without_raw_codes(o) for k, o in orders.items()} == {
        o.order_id: o for o in data.orders
    }
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


async def test_another_carriers_milestone_name_reads_as_other_with_its_name(sandbox):
    doc = wire_order(sandbox, "tarnwick-networks")
    doc["productOrderItem"][0]["milestone"][0]["name"] = "Delivery Date Confirmed"  # Fjordgate's
    registry = mocked(sandbox.specs["tarnwick-networks"], [doc])
    try:
        found = await registry.get("tarnwick-networks").fetch(ORDERS_BY_ID, [doc["id"]])
    finally:
        await registry.aclose()
    order = found[doc["id"]][0]
    first = order.milestones[0]
    assert (first.kind, first.name) == (MilestoneKind.OTHER, "Delivery Date Confirmed")
    assert order.problems == ()  # an unknown name is not an unreadable value
    assert len(order.milestones) == len(doc["productOrderItem"][0]["milestone"])


async def test_an_unmapped_order_state_reads_as_unknown_and_the_order_still_arrives(sandbox):
    carrier = "redcanyon-fiber"
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_record"))
    data = sandbox.data.carriers[carrier]
    registry = Registry({carrier: sandbox.specs[carrier]})
    try:
        found = await registry.get(carrier).fetch(ORDERS_BY_ACCOUNT, accounts(sandbox, carrier))
    finally:
        await registry.aclose()
    orders = [o for rs in found.values() for o in rs]
    assert len(orders) == len(data.orders)  # none left out
    broken = [o for o in orders if o.status_code == "??unmapped??"]
    # The first order of each account: an unmapped state and no orderDate (optional).
    assert len(broken) == len({o.account_number for o in data.orders})
    assert all(o.status is OrderStatus.UNKNOWN and o.ordered_at is None for o in broken)
    assert all(o.problems == () for o in broken)
    truth = {o.order_id: o for o in data.orders}
    for order in broken:  # everything else as the carrier holds it
        held = truth[order.order_id]
        assert replace(
            without_raw_codes(order), status=held.status, ordered_at=held.ordered_at
        ) == (held)


@pytest.mark.parametrize("state_at", ["order", "item"])
async def test_a_standard_code_the_carrier_does_not_use_is_unknown_with_its_code(sandbox, state_at):
    carrier = "redcanyon-fiber"  # upper-case OSS codes, and Sonata's defaults besides
    doc = wire_order(sandbox, carrier)
    target = doc if state_at == "order" else doc["productOrderItem"][0]
    target["state"] = "onIce"
    registry = mocked(sandbox.specs[carrier], [doc])
    try:
        found = await registry.get(carrier).fetch(ORDERS_BY_ID, [doc["id"]])
    finally:
        await registry.aclose()
    order = found[doc["id"]][0]
    read = order if state_at == "order" else order.items[0]
    assert (read.status, read.status_code) == (OrderStatus.UNKNOWN, "onIce")

    target["state"] = "WIP"  # the carrier's own code reads fine
    registry = mocked(sandbox.specs[carrier], [doc])
    try:
        found = await registry.get(carrier).fetch(ORDERS_BY_ID, [doc["id"]])
    finally:
        await registry.aclose()
    order = found[doc["id"]][0]
    read = order if state_at == "order" else order.items[0]
    assert (read.status, read.status_code) == (OrderStatus.IN_PROGRESS, "WIP")


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
    log = lists(sandbox.sandbox.log.records(), spec, Resource.SERVICES)
    assert len(log) == len(data.services) // size + 1
    offsets = [int(parse_qs(r.query)["offset"][0]) for r in log]
    assert offsets == list(range(0, len(log) * size, size))  # one after another
    assert all(a.ended <= b.started for a, b in itertools.pairwise(log))


async def test_accounts_beyond_max_keys_per_call_are_listed_in_concurrent_chunks(sandbox):
    carrier = "redcanyon-fiber"
    spec = sandbox.specs[carrier].model_copy(update={"max_keys_per_call": 4})
    data = sandbox.data.carriers[carrier]
    numbers = accounts(sandbox, carrier)
    assert len(numbers) > 2 * spec.max_keys_per_call
    sandbox.sandbox.set_faults(carrier, Faults(latency_ms=40))
    registry = Registry({carrier: spec})
    try:
        found = await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()
    assert plain(found) == {
        a: [s for s in data.services if s.account_number == a]
        for a in {s.account_number for s in data.services}
    }
    log = sandbox.sandbox.log.records()
    listed = lists(log, spec, Resource.SERVICES)
    assert len(listed) == math.ceil(len(numbers) / spec.max_keys_per_call)
    assert all(len(parse_qs(r.query)["billingAccountId"][0].split(",")) <= 4 for r in listed)
    assert max(r.started for r in listed) < min(r.ended for r in listed)  # all in flight at once
    # Then one detail GET per record, no more, each after the list that named it.
    fetched = details(log, spec, Resource.SERVICES)
    assert sorted(r.path.rpartition("/")[2] for r in fetched) == sorted(
        s.service_id for s in data.services
    )
    assert min(r.started for r in fetched) >= min(r.ended for r in listed)


async def test_details_are_fetched_concurrently_within_the_carriers_bound(sandbox):
    carrier = "tarnwick-networks"
    bound = 3
    spec = sandbox.specs[carrier].model_copy(update={"detail_concurrency": bound})
    data = sandbox.data.carriers[carrier]
    assert len(data.services) > 2 * bound
    sandbox.sandbox.set_faults(carrier, Faults(latency_ms=30))
    registry = Registry({carrier: spec})
    try:
        found = await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, accounts(sandbox, carrier))
    finally:
        await registry.aclose()
    assert sum(len(v) for v in found.values()) == len(data.services)
    fetched = details(sandbox.sandbox.log.records(), spec, Resource.SERVICES)
    assert len(fetched) == len(data.services)
    assert most_in_flight(fetched) == bound  # concurrent, and never more than the bound


@pytest.mark.parametrize(
    ("carrier", "fetch", "records", "key"),
    [
        ("tarnwick-networks", QUOTES_BY_ID, "quotes", "quote_id"),
        ("lanternhill-telecom", TICKETS_BY_ID, "tickets", "ticket_id"),
        ("fjordgate-transit", ORDERS_BY_ID, "orders", "order_id"),
        ("redcanyon-fiber", SERVICES_BY_ID, "services", "service_id"),
    ],
)
async def test_records_by_id_are_one_detail_get_each(sandbox, carrier, fetch, records, key):
    wanted = list(getattr(sandbox.data.carriers[carrier], records))[:7]
    registry = Registry({carrier: sandbox.specs[carrier]})
    try:
        found = await registry.get(carrier).fetch(fetch, [getattr(r, key) for r in wanted] + ["x"])
    finally:
        await registry.aclose()
    assert plain(found) == {getattr(r, key): [r] for r in wanted}
    log = sandbox.sandbox.log.records()
    # No list: a GET by id for each key (the unknown "x" is a 404, so absent).
    assert len(details(log, sandbox.specs[carrier], Resource(records))) == len(wanted) + 1
    assert sandbox.sandbox.log.counts()[(carrier, records)] == len(wanted) + 1


async def test_bill_items_are_read_from_the_bills_refs(sandbox):
    carrier = "saltmarsh-wholesale"  # UK bill item vocabulary (rental, calls, vat, ...)
    spec = sandbox.specs[carrier]
    data = sandbox.data.carriers[carrier]
    numbers = [i.invoice_number for i in data.invoices[:30]]
    registry = Registry({carrier: spec})
    try:
        found = await registry.get(carrier).fetch(INVOICE_LINES_BY_INVOICE, numbers)
    finally:
        await registry.aclose()
    assert plain(found) == {n: list(data.invoice_lines[n]) for n in numbers}
    log = sandbox.sandbox.log.records()
    # One bill detail per bill, one item detail per item: there is no item list route.
    assert len(details(log, spec, Resource.INVOICES)) == len(numbers)
    items = details(log, spec, Resource.INVOICE_LINES)
    assert len(items) == sum(len(data.invoice_lines[n]) for n in numbers)
    assert not lists(log, spec, Resource.INVOICE_LINES)


async def test_the_bill_item_list_route_does_not_exist(sandbox):
    spec = sandbox.specs["tarnwick-networks"]
    registry = Registry({spec.id: spec})
    try:
        with pytest.raises(UpstreamUnavailable, match="HTTP 404"):
            await wire_list(registry, spec, Resource.INVOICE_LINES, ["INV-1"], key="invoice")
    finally:
        await registry.aclose()


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


# -- one bad value, one unreadable record, and links the spec has ------------------------


@pytest.mark.parametrize(
    ("carrier", "fetch", "field", "wire_field"),
    [
        (
            "tarnwick-networks",
            SERVICES_BY_ACCOUNT,
            "mrc",
            "productPrice[recurring].price.dutyFreeAmount.unit",
        ),
        ("tarnwick-networks", INVOICES_BY_ACCOUNT, "total", "taxIncludedAmount.unit"),
        ("fjordgate-transit", ORDERS_BY_ACCOUNT, "ordered_at", "orderDate"),
        ("lanternhill-telecom", TICKETS_BY_ACCOUNT, "opened_at", "creationDate"),
        ("saltmarsh-wholesale", QUOTES_BY_ACCOUNT, "requested_at", "quoteDate"),
    ],
)
async def test_a_bad_value_nulls_that_value_only(sandbox, carrier, fetch, field, wire_field):
    spec = sandbox.specs[carrier]
    data = sandbox.data.carriers[carrier]
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_value"))
    registry = Registry({carrier: spec})
    try:
        found = await registry.get(carrier).fetch(fetch, accounts(sandbox, carrier))
    finally:
        await registry.aclose()
    held = {getattr(r, _ID[fetch.resource]): r for r in getattr(data, fetch.resource.value)}
    records = [r for rs in found.values() for r in rs]
    assert len(records) == len(held)  # every record still arrives
    hurt = [r for r in records if r.problems]
    assert hurt, "not vacuous: some record carries the bad value"
    for record in hurt:
        (problem,) = record.problems
        assert (problem.field, problem.wire_field) == (field, wire_field)
        assert getattr(record, field) is None
        truth = held[getattr(record, _ID[fetch.resource])]
        kept = replace(without_raw_codes(record), problems=(), **{field: getattr(truth, field)})
        assert kept == truth  # the rest of the record as the carrier holds it
    assert all(
        without_raw_codes(r) == held[getattr(r, _ID[fetch.resource])]
        for r in records
        if not r.problems
    )


_ID = {
    Resource.SERVICES: "service_id",
    Resource.INVOICES: "invoice_number",
    Resource.ORDERS: "order_id",
    Resource.TICKETS: "ticket_id",
    Resource.QUOTES: "quote_id",
}


async def test_a_bad_bill_item_amount_nulls_that_amount_only(sandbox):
    carrier = "tarnwick-networks"
    data = sandbox.data.carriers[carrier]
    numbers = [i.invoice_number for i in data.invoices[:20]]
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_value"))
    registry = Registry({carrier: sandbox.specs[carrier]})
    try:
        found = await registry.get(carrier).fetch(INVOICE_LINES_BY_INVOICE, numbers)
    finally:
        await registry.aclose()
    for number in numbers:
        lines = list(found.get(number, ()))
        assert len(lines) == len(data.invoice_lines[number])
        first, *rest = lines
        assert first.amount is None
        assert [(p.field, p.wire_field) for p in first.problems] == [
            ("amount", "taxExcludedAmount.unit")
        ]
        assert (
            replace(
                without_raw_codes(first), problems=(), amount=data.invoice_lines[number][0].amount
            )
            == (data.invoice_lines[number][0])
        )
        assert [without_raw_codes(r) for r in rest] == list(data.invoice_lines[number][1:])


@pytest.mark.parametrize(
    ("carrier", "fetch"),
    [
        ("tarnwick-networks", SERVICES_BY_ACCOUNT),
        ("tarnwick-networks", INVOICES_BY_ACCOUNT),
        ("redcanyon-fiber", ORDERS_BY_ACCOUNT),
        ("lanternhill-telecom", TICKETS_BY_ACCOUNT),
        ("tarnwick-networks", QUOTES_BY_ACCOUNT),
    ],
)
async def test_an_unreadable_record_is_left_out_and_reported_beside_its_neighbours(
    sandbox, carrier, fetch
):
    spec = sandbox.specs[carrier]
    paging = spec.paging.model_copy(update={"page_size": 1000})
    spec = spec.model_copy(update={"max_keys_per_call": 1000, "paging": paging})  # one answer
    data = sandbox.data.carriers[carrier]
    held = getattr(data, fetch.resource.value)
    numbers = accounts(sandbox, carrier)
    sandbox.sandbox.set_faults(carrier, Faults(garbage="unreadable_record"))
    registry = Registry({carrier: spec})
    try:
        found = await registry.get(carrier).fetch(fetch, numbers)
    finally:
        await registry.aclose()
    records = [r for rs in found.values() for r in rs]
    assert len(records) == len(held) - 1  # only the one without a readable id
    assert {without_raw_codes(r) for r in records} < set(held)
    reported = {id(e): e for rs in found.values() for e in dropped_of(rs)}
    (error,) = reported.values()
    assert (error.carrier, error.record, error.field) == (carrier, "#0", "id")
    # It rides along with every key of the chunk, for gather to report once.
    assert all(dropped_of(found[k]) == (error,) for k in found)


async def test_an_unreadable_bill_item_ref_is_left_out_of_its_bill_only(sandbox):
    carrier = "saltmarsh-wholesale"
    data = sandbox.data.carriers[carrier]
    numbers = [i.invoice_number for i in data.invoices[:10]]
    sandbox.sandbox.set_faults(carrier, Faults(garbage="unreadable_record"))
    registry = Registry({carrier: sandbox.specs[carrier]})
    try:
        found = await registry.get(carrier).fetch(INVOICE_LINES_BY_INVOICE, numbers)
    finally:
        await registry.aclose()
    first_bills = {
        min(
            (i for i in data.invoices if i.account_number == a), key=lambda i: i.invoice_number
        ).invoice_number
        for a in {i.account_number for i in data.invoices}
    }
    hurt = [n for n in numbers if n in first_bills and data.invoice_lines[n]]
    assert hurt, "not vacuous"
    for number in numbers:
        lines = [without_raw_codes(r) for r in found.get(number, ())]
        if number in hurt:
            assert lines == list(data.invoice_lines[number][1:])
            (error,) = dropped_of(found[number])
            assert (error.carrier, error.record, error.field) == (
                carrier,
                f"{number}#0",
                "customerBillItem.id",
            )
        else:
            assert lines == list(data.invoice_lines[number])
            assert dropped_of(found.get(number, ())) == ()


def _ticket(sandbox, carrier="tarnwick-networks"):
    spec = sandbox.specs[carrier]
    ticket = next(t for t in sandbox.data.carriers[carrier].tickets if t.service_id)
    doc = copy.deepcopy(SonataWriter(spec, {r.value: "/x" for r in Resource}).ticket(ticket))
    return ticket, doc


async def test_a_ticket_is_linked_to_its_account_through_a_related_billing_account(sandbox):
    ticket, doc = _ticket(sandbox)
    assert "billingAccount" not in doc  # TroubleTicket has no billingAccount
    registry = mocked(sandbox.specs["tarnwick-networks"], [doc])
    try:
        found = await registry.get("tarnwick-networks").fetch(TICKETS_BY_ID, [doc["id"]])
    finally:
        await registry.aclose()
    assert without_raw_codes(found[doc["id"]][0]) == ticket


async def test_a_ticket_naming_only_a_product_is_linked_through_the_products_account(sandbox):
    ticket, doc = _ticket(sandbox)
    doc["relatedEntity"] = [e for e in doc["relatedEntity"] if e["@referredType"] == "Product"]
    product = {
        "id": ticket.service_id,
        "status": "active",
        "billingAccount": {"id": "ACC-OF-PRODUCT"},
    }
    registry = mocked(sandbox.specs["tarnwick-networks"], [doc, product])
    try:
        found = await registry.get("tarnwick-networks").fetch(TICKETS_BY_ID, [doc["id"]])
    finally:
        await registry.aclose()
    (read,) = found[doc["id"]]
    assert read.account_number == "ACC-OF-PRODUCT"
    assert read.service_id == ticket.service_id
    assert any(p.endswith(f"/product/{ticket.service_id}") for p in registry.requests)


async def test_a_record_naming_no_account_takes_the_one_asked_for_then_the_carrier_files(sandbox):
    _, doc = _ticket(sandbox, "lanternhill-telecom")  # no inventory API to ask
    doc["relatedEntity"] = [e for e in doc["relatedEntity"] if e["@referredType"] == "Product"]
    spec = sandbox.specs["lanternhill-telecom"]
    registry = mocked(spec, [doc])
    try:
        connector = registry.get(spec.id)
        by_account = await connector.fetch(TICKETS_BY_ACCOUNT, ["ASKED-1"])  # one account asked
        by_id = await connector.fetch(TICKETS_BY_ID, [doc["id"]])  # none: nothing links it
    finally:
        await registry.aclose()
    assert [t.account_number for t in by_account["ASKED-1"]] == ["ASKED-1"]
    assert [t for rs in by_id.values() for t in rs] == []
    (error,) = dropped_of(by_id[doc["id"]])
    assert (error.record, error.field) == (doc["id"], "billingAccount")

    registry = mocked(spec, [doc], default_account="DECLARED-9")
    try:
        by_id = await registry.get(spec.id).fetch(TICKETS_BY_ID, [doc["id"]])
    finally:
        await registry.aclose()
    assert [t.account_number for t in by_id[doc["id"]]] == ["DECLARED-9"]


async def test_a_bill_just_listed_is_not_fetched_again_for_its_items(sandbox):
    carrier = "tarnwick-networks"
    spec = sandbox.specs[carrier]
    data = sandbox.data.carriers[carrier]
    registry = Registry({carrier: spec})
    try:
        connector = registry.get(carrier)
        bills = await connector.fetch(INVOICES_BY_ACCOUNT, accounts(sandbox, carrier))
        numbers = [i.invoice_number for rs in bills.values() for i in rs]
        sandbox.sandbox.log.clear()
        found = await connector.fetch(INVOICE_LINES_BY_INVOICE, numbers)
    finally:
        await registry.aclose()
    assert plain(found) == {
        n: list(data.invoice_lines[n]) for n in numbers if data.invoice_lines[n]
    }
    log = sandbox.sandbox.log.records()
    assert details(log, spec, Resource.INVOICES) == []  # the refs came with the list's details
    assert len(details(log, spec, Resource.INVOICE_LINES)) == sum(
        len(data.invoice_lines[n]) for n in numbers
    )
