"""The GraphQL family against its sandbox: batching, cursors, GraphQL errors, renames."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from pathlib import Path

import httpx
import pytest

from connectors.base import (
    ACCOUNTS_BY_ID,
    INVOICE_LINES_BY_INVOICE,
    INVOICES_BY_ACCOUNT,
    SERVICES_BY_ACCOUNT,
    SERVICES_BY_ID,
    USAGE_BY_ACCOUNT,
    dropped_of,
)
from connectors.errors import (
    CarrierSpecError,
    NotSupportedByCarrier,
    UpstreamInvalid,
    UpstreamUnavailable,
)
from connectors.io import transport_factory
from connectors.models import AccountStatus, ServiceStatus
from connectors.registry import Registry, load_spec
from connectors.sandbox.faults import Faults
from connectors.sandbox.graphql_schema import DRIFT_CODE
from connectors.sandbox.server import Sandbox

RELAY = "lumenvale-networks"  # Relay edges/pageInfo, OAuth2, renamed roots and fields
LIST = "brackenwood-telecom"  # plain list with skip/pageSize, money in cents, US dates
TOKEN = "oriel-voice"  # items/nextToken, epoch seconds, money as JSON numbers
SMALL = "sorrelbank-fibre"  # Relay pages of 20, milestone names with spaces
GRAPHQL_CARRIERS = [RELAY, LIST, TOKEN, SMALL]


def accounts(sandbox, carrier):
    return [a.account_number for a in sandbox.data.carriers[carrier].accounts]


class Recording(httpx.AsyncBaseTransport):
    """An in-process transport to a sandbox app that keeps every request it forwards."""

    def __init__(self, app) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


def local(sandbox, carrier, *, spec=None, data=None):
    """A registry for one carrier wired in-process to a sandbox of its own (own spec/data)."""
    spec = spec or sandbox.specs[carrier]
    world = sandbox.data
    if data is not None:
        world = dataclasses.replace(world, carriers={**world.carriers, carrier: data})
    office = Sandbox({carrier: spec}, world)
    transport = Recording(office.app)
    return Registry({carrier: spec}, transport_factory=lambda _: transport), transport, office


@pytest.mark.parametrize("io", ["aiohttp", "httpx", "h1"])
@pytest.mark.parametrize("carrier", GRAPHQL_CARRIERS)
async def test_one_request_carries_every_account_of_a_batch(sandbox, carrier, io):
    numbers = accounts(sandbox, carrier)
    spec = sandbox.specs[carrier]
    assert 1 < len(numbers) <= spec.max_keys_per_call
    registry = Registry({carrier: spec}, transport_factory=transport_factory(io))
    try:
        found = await registry.get(carrier).fetch(ACCOUNTS_BY_ID, numbers)
    finally:
        await registry.aclose()

    assert {k: list(v) for k, v in found.items()} == {
        a.account_number: [a] for a in sandbox.data.carriers[carrier].accounts
    }
    assert sandbox.sandbox.log.counts()[(carrier, "accounts")] == 1


async def test_the_query_is_an_idempotent_json_post_with_the_keys_as_one_variable(sandbox):
    registry, wire, _ = local(sandbox, LIST)
    numbers = accounts(sandbox, LIST)
    try:
        await registry.get(LIST).fetch(SERVICES_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()

    request = wire.requests[0]  # a few dozen circuits: one page of 100
    assert len(wire.requests) == 1
    assert request.method == "POST"
    assert request.url.path == "/brackenwood-telecom/api/graphql"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert body["variables"] == {"accounts": numbers, "pageSize": 100, "skip": 0}
    assert body["operationName"] == "SwitchboardServicesByAccount"
    assert "circuits(acctNos: $accounts, pageSize: $pageSize, skip: $skip)" in body["query"]


async def test_keys_beyond_max_keys_per_call_go_in_concurrent_chunks(sandbox):
    spec = sandbox.specs[RELAY].model_copy(update={"max_keys_per_call": 2})
    numbers = accounts(sandbox, RELAY)
    sandbox.sandbox.set_faults(RELAY, Faults(latency_ms=150))
    registry = Registry({RELAY: spec})
    try:
        found = await registry.get(RELAY).fetch(SERVICES_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()

    data = sandbox.data.carriers[RELAY]
    assert Counter(s for ss in found.values() for s in ss) == Counter(data.services)
    calls = [r for r in sandbox.sandbox.log.records() if r.resource == "services"]
    assert len(calls) == math.ceil(len(numbers) / 2) > 1
    assert max(r.started for r in calls) < min(r.ended for r in calls)  # all in flight at once


@pytest.mark.parametrize(
    ("carrier", "what", "pages"),
    [
        # Relay: a last page says hasNextPage false; no request past it.
        (RELAY, INVOICE_LINES_BY_INVOICE, lambda n, size: math.ceil(n / size)),
        # nextToken: null on the last page.
        (TOKEN, INVOICES_BY_ACCOUNT, lambda n, size: math.ceil(n / size)),
        # offset list: a short page ends it (an exact multiple costs one empty page).
        (LIST, INVOICE_LINES_BY_INVOICE, lambda n, size: n // size + 1),
    ],
    ids=["relay", "token", "offset"],
)
async def test_pages_are_followed_to_the_end(sandbox, carrier, what, pages):
    spec = sandbox.specs[carrier]
    data = sandbox.data.carriers[carrier]
    if what is INVOICE_LINES_BY_INVOICE:
        keys = [i.invoice_number for i in data.invoices][: spec.max_keys_per_call]
        expected = Counter(line for k in keys for line in data.invoice_lines[k])
    else:
        keys = accounts(sandbox, carrier)
        expected = Counter(data.invoices)
    total = sum(expected.values())
    size = max(2, total // 5)  # five pages or so, and never a page as big as the list
    paging = spec.paging.model_copy(update={"page_size": size})
    registry, wire, _ = local(sandbox, carrier, spec=spec.model_copy(update={"paging": paging}))
    try:
        found = await registry.get(carrier).fetch(what, keys)
    finally:
        await registry.aclose()

    assert Counter(r for rs in found.values() for r in rs) == expected
    assert total >= 10
    queries = [json.loads(r.content) for r in wire.requests if r.url.path.endswith("graphql")]
    assert len(queries) == pages(total, size) >= 5
    where = getattr(paging, "cursor_param", None) or paging.offset_param
    starts = [str(q["variables"].get(where)) for q in queries]
    assert len(set(starts)) == len(starts)  # every page is asked from a new place


async def test_errors_without_data_are_unavailable(sandbox):
    spec = sandbox.specs[RELAY]
    fields = {**spec.fields, "service": {**spec.fields["service"], "mrc": "rate"}}
    asks_unknown_field = spec.model_copy(update={"fields": fields})
    registry = Registry({RELAY: asks_unknown_field})
    try:
        with pytest.raises(UpstreamUnavailable) as info:
            await registry.get(RELAY).fetch(SERVICES_BY_ACCOUNT, accounts(sandbox, RELAY))
    finally:
        await registry.aclose()
    assert info.value.carrier == RELAY
    assert "Cannot query field 'rate' on type 'Subscription'" in info.value.message
    assert sandbox.sandbox.log.counts()[(RELAY, "unknown")] == 1  # validation errors: not retried


async def test_errors_with_partial_data_are_invalid_and_name_the_field(sandbox):
    data = sandbox.data.carriers[RELAY]
    broken = dataclasses.replace(data.services[0], service_id=None)  # the graph's `id: ID!`
    doctored = dataclasses.replace(data, services=(broken, *data.services[1:]))
    registry, _, _ = local(sandbox, RELAY, data=doctored)
    try:
        with pytest.raises(UpstreamInvalid) as info:
            await registry.get(RELAY).fetch(SERVICES_BY_ACCOUNT, [broken.account_number])
    finally:
        await registry.aclose()
    assert info.value.carrier == RELAY
    assert info.value.record == "Subscription"
    assert info.value.field == "id"
    assert "partial data" in info.value.message


async def test_a_bad_record_keeps_the_record_with_unknown_code_and_null_value(sandbox):
    # bad_record no longer voids the list: the drifted status reads UNKNOWN with its raw
    # code, the nulled name is absent (None), and every account still arrives.
    sandbox.sandbox.set_faults(LIST, Faults(garbage="bad_record"))
    registry = Registry({LIST: sandbox.specs[LIST]})
    numbers = accounts(sandbox, LIST)
    try:
        found = await registry.get(LIST).fetch(ACCOUNTS_BY_ID, numbers)
    finally:
        await registry.aclose()
    got = [a for v in found.values() for a in v]
    assert sorted(a.account_number for a in got) == sorted(numbers)
    drifted = [a for a in got if a.status is AccountStatus.UNKNOWN]
    assert len(drifted) == 1
    assert drifted[0].status_code == DRIFT_CODE
    assert drifted[0].name is None
    assert drifted[0].problems == ()
    expected = {a.account_number: a for a in sandbox.data.carriers[LIST].accounts}
    assert dataclasses.replace(
        drifted[0], name=expected[drifted[0].account_number].name, status=None, status_code=None
    ) == dataclasses.replace(expected[drifted[0].account_number], status=None)


async def test_an_enum_value_the_file_does_not_map_reads_unknown_with_its_code(sandbox):
    sandbox.sandbox.set_faults(SMALL, Faults(garbage="bad_record"))
    registry = Registry({SMALL: sandbox.specs[SMALL]})
    try:
        found = await registry.get(SMALL).fetch(SERVICES_BY_ACCOUNT, accounts(sandbox, SMALL))
    finally:
        await registry.aclose()
    got = [s for v in found.values() for s in v]
    assert len(got) == len(sandbox.data.carriers[SMALL].services)
    drifted = [s for s in got if s.status is ServiceStatus.UNKNOWN]
    assert drifted  # the first service of each page
    assert {(s.status_code, s.mrc) for s in drifted} == {(DRIFT_CODE, None)}


@pytest.mark.parametrize("carrier", GRAPHQL_CARRIERS)
async def test_a_bad_value_nulls_that_field_and_keeps_the_record(sandbox, carrier):
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_value"))  # mrc.amount -3.4e38
    registry = Registry({carrier: sandbox.specs[carrier]})
    numbers = accounts(sandbox, carrier)[:1]  # one page: one hurt record
    try:
        found = await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()
    got = [x for v in found.values() for x in v]
    expected = {
        x.service_id: x
        for x in sandbox.data.carriers[carrier].services
        if x.account_number in numbers
    }
    assert sorted(x.service_id for x in got) == sorted(expected)
    hurt = [x for x in got if x.problems]
    assert len(hurt) == 1
    (problem,) = hurt[0].problems
    mrc = sandbox.specs[carrier].field_name("service", "mrc")
    amount = sandbox.specs[carrier].field_name("money", "amount")
    assert (problem.field, problem.wire_field) == ("mrc", f"{mrc}.{amount}")
    assert hurt[0].mrc is None
    # the rest of the record still arrives as the carrier holds it
    held = expected[hurt[0].service_id]
    assert dataclasses.replace(hurt[0], mrc=held.mrc, problems=()) == held
    assert all(x == expected[x.service_id] for x in got if not x.problems)


@pytest.mark.parametrize("carrier", GRAPHQL_CARRIERS)
async def test_an_unreadable_record_is_left_out_and_reported_once(sandbox, carrier):
    sandbox.sandbox.set_faults(carrier, Faults(garbage="unreadable_record"))
    registry = Registry({carrier: sandbox.specs[carrier]})
    numbers = accounts(sandbox, carrier)
    try:
        found = await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    finally:
        await registry.aclose()
    got = [s for v in found.values() for s in v]
    held = sandbox.data.carriers[carrier].services
    pages = math.ceil(len(numbers) / sandbox.specs[carrier].max_keys_per_call)
    assert len(held) - pages <= len(got) < len(held)
    assert all(s in held for s in got)
    dropped = {e for v in found.values() for e in dropped_of(v)}
    assert len(dropped) == len(held) - len(got)
    for error in dropped:
        assert error.carrier == carrier
        assert error.field == sandbox.specs[carrier].field_name("service", "serviceId")
        assert error.record.startswith("#")


async def test_a_failed_query_is_retried_as_a_read(sandbox):
    attempts = sandbox.specs[TOKEN].retry.attempts
    sandbox.sandbox.set_faults(TOKEN, Faults(error_rate=1.0, error_status=503))
    registry = Registry({TOKEN: sandbox.specs[TOKEN]})
    try:
        with pytest.raises(UpstreamUnavailable):
            await registry.get(TOKEN).fetch(SERVICES_BY_ACCOUNT, accounts(sandbox, TOKEN))
    finally:
        await registry.aclose()
    assert len([r for r in sandbox.sandbox.log.records() if r.carrier == TOKEN]) == attempts > 1


async def test_renamed_fields_read_the_same_records_as_the_default_vocabulary(sandbox):
    renamed = sandbox.specs[LIST]
    plain = renamed.model_copy(update={"fields": {}, "roots": {}, "types": {}})
    plain = plain.model_copy(update={"arguments": type(renamed.arguments)()})
    numbers = accounts(sandbox, LIST)
    answers = []
    for spec in (renamed, plain):
        registry, wire, office = local(sandbox, LIST, spec=spec)
        try:
            answers.append(await registry.get(LIST).fetch(SERVICES_BY_ACCOUNT, numbers))
        finally:
            await registry.aclose()
        query = json.loads(wire.requests[0].content)["query"]
        sdl = office.back_offices[LIST].sdl
        if spec is renamed:
            assert "mrc: monthlyRecurring { amount: cents currency: currencyCode }" in query
            assert "page: circuits(acctNos: $accounts" in query
            assert "  circuitRef: ID!\n" in sdl
            assert "serviceId" not in sdl
        else:
            assert "mrc { amount currency }" in query
            assert "  serviceId: ID!\n" in sdl
    assert {k: list(v) for k, v in answers[0].items()} == {
        k: list(v) for k, v in answers[1].items()
    }
    assert sum(len(v) for v in answers[0].values()) == len(sandbox.data.carriers[LIST].services)


@pytest.mark.parametrize("carrier", GRAPHQL_CARRIERS)
async def test_each_carrier_graph_uses_its_own_names(sandbox, carrier):
    spec = sandbox.specs[carrier]
    sdl = sandbox.sandbox.back_offices[carrier].sdl
    for resource, root in spec.roots.items():
        if resource in spec.capabilities:
            assert f"  {root}(" in sdl
    reached = _reached(spec)
    for kind, name in spec.types.items():
        assert (f"type {name} {{" in sdl) == (kind in reached)
    for kind, renames in spec.fields.items():
        if kind in reached:
            assert all(f"  {new}: " in sdl for new in renames.values())


def _reached(spec):
    from connectors.specs.graphql import WIRE_ROOTS, WIRE_TYPES

    seen, todo = set(), [WIRE_ROOTS[r].kind for r in spec.capabilities]
    while todo:
        kind = todo.pop()
        if kind not in seen:
            seen.add(kind)
            todo += [f.kind for f in WIRE_TYPES[kind] if f.kind in WIRE_TYPES]
    return seen


async def test_an_undeclared_resource_is_not_supported(sandbox):
    registry = Registry({LIST: sandbox.specs[LIST]})
    try:
        with pytest.raises(NotSupportedByCarrier) as info:
            await registry.get(LIST).fetch(USAGE_BY_ACCOUNT, accounts(sandbox, LIST))
        assert info.value.carrier == LIST
        assert await registry.get(LIST).fetch(SERVICES_BY_ID, []) == {}
    finally:
        await registry.aclose()
    assert sandbox.sandbox.log.records() == []


GOOD = """\
id: acme-graph
name: Acme Graph
protocol: graphql
base_url: http://127.0.0.1:9/acme-graph
capabilities: [services]
"""


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ("fields: {service: {mrcc: monthly}}\n", "fields", "service has no field mrcc"),
        ("fields: {service: {mrc: monthly rate}}\n", "fields", "pattern"),
        ("fields: {service: {serviceId: circuitId}}\n", "fields", "would share one name"),
        ("arguments: {id: after}\n", "<root>", "distinct names"),
        ("connection: list\npaging: {type: cursor}\n", "<root>", "pages with type: offset"),
        ("paging: {next_cursor_field: cursor}\n", "<root>", "does not fit a relay"),
        ("connection: list\npaging: {total_header: X-Total}\n", "<root>", "total_header"),
        ("formats: {time_zone: Mars/Olympus}\n", "formats.time_zone", "unknown IANA"),
        ("formats: {date: '%m/%Y'}\n", "formats.date", "is not a pattern of %Y, %m and %d"),
        ("formats: {date: '%d %b %Y'}\n", "formats.date", "is not a pattern of %Y, %m and %d"),
        ("types: {service: Query}\n", "<root>", "distinct names"),
    ],
)
def test_carrier_file_mistakes_are_named(tmp_path, extra, field, words):
    path = Path(tmp_path, "acme-graph.yaml")
    path.write_text(GOOD + extra)
    with pytest.raises(CarrierSpecError) as info:
        load_spec(path, {})
    assert info.value.field.startswith(field)
    assert words in str(info.value)


def test_connection_styles_fill_their_paging_names(tmp_path):
    path = Path(tmp_path, "acme-graph.yaml")
    path.write_text(GOOD + "connection: token\npaging: {page_size: 9}\n")
    paging = load_spec(path, {}).paging
    assert paging.model_dump() == {
        "type": "cursor",
        "cursor_param": "nextToken",
        "limit_param": "limit",
        "next_cursor_field": "nextToken",
        "page_size": 9,
        "max_pages": 100,
    }
