"""The TMF adapter against the sandbox: round trips, paging, capabilities and faults."""

from __future__ import annotations

import math
from collections import Counter

import httpx
import pytest

from connectors.base import (
    INVOICES_BY_ACCOUNT,
    SERVICES_BY_ACCOUNT,
    SERVICES_BY_ID,
    dropped_of,
)
from connectors.errors import (
    UpstreamInvalid,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.io import transport_factory
from connectors.models import ServiceStatus
from connectors.registry import Registry
from connectors.sandbox.faults import Faults
from connectors.sandbox.server import free_port
from connectors.spec import Timeouts

CARRIER_IDS = [
    "bluepeak-telecom",
    "harborlight-voice",
    "ironbridge-comms",
    "meridian-wave",
    "northwind-fiber",
    "tallgrass-telecom",
]


@pytest.fixture(params=["aiohttp", "httpx", "h1"])
async def registry(sandbox, request):
    reg = Registry(sandbox.specs, transport_factory=transport_factory(request.param))
    yield reg
    await reg.aclose()


async def test_paging_is_exhausted_across_page_boundaries(sandbox, registry):
    carrier = "bluepeak-telecom"  # page_size 25
    spec = sandbox.specs[carrier]
    data = sandbox.data.carriers[carrier]
    numbers = [a.account_number for a in data.accounts][: spec.max_keys_per_call]
    expected = [i for i in data.invoices if i.account_number in set(numbers)]
    assert len(expected) > spec.paging.page_size  # the test needs several pages

    found = await registry.get(carrier).fetch(INVOICES_BY_ACCOUNT, numbers)

    assert Counter(r for rs in found.values() for r in rs) == Counter(expected)
    counts = sandbox.sandbox.log.counts()
    assert counts[(carrier, "invoices")] == math.ceil(len(expected) / spec.paging.page_size)


async def test_keys_beyond_max_keys_per_call_are_split(sandbox):
    carrier = "meridian-wave"
    spec = sandbox.specs[carrier].model_copy(update={"max_keys_per_call": 4})
    data = sandbox.data.carriers[carrier]
    ids = [s.service_id for s in data.services]
    assert len(ids) > spec.max_keys_per_call
    registry = Registry({carrier: spec})
    try:
        found = await registry.get(carrier).fetch(SERVICES_BY_ID, ids)
    finally:
        await registry.aclose()

    assert {k: list(v) for k, v in found.items()} == {s.service_id: [s] for s in data.services}
    requests = sandbox.sandbox.log.counts()[(carrier, "services")]
    assert requests >= math.ceil(len(ids) / spec.max_keys_per_call)


@pytest.mark.parametrize(
    ("faults", "error"),
    [
        (Faults(error_rate=1.0, error_status=503), UpstreamUnavailable),
        (Faults(error_rate=1.0, error_status=404), UpstreamUnavailable),
        (Faults(garbage="not_json"), UpstreamInvalid),
        (Faults(garbage="wrong_shape"), UpstreamInvalid),
    ],
)
async def test_faults_map_to_connector_errors(sandbox, registry, faults, error):
    carrier = "northwind-fiber"
    sandbox.sandbox.set_faults(carrier, faults)
    numbers = [a.account_number for a in sandbox.data.carriers[carrier].accounts]
    with pytest.raises(error) as info:
        await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    assert info.value.carrier == carrier


async def test_an_unmapped_code_reads_as_unknown_with_the_raw_code(sandbox, registry):
    carrier = "ironbridge-comms"
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_record"))
    numbers = [a.account_number for a in sandbox.data.carriers[carrier].accounts]
    found = await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    records = [r for rs in found.values() for r in rs]
    assert len(records) == len(sandbox.data.carriers[carrier].services)
    odd = [r for r in records if r.status_code == "??unmapped??"]
    assert len(odd) >= 1
    assert {r.status for r in odd} == {ServiceStatus.UNKNOWN}
    assert all(not r.problems for r in odd)  # a code nobody mapped is not an error


async def test_one_bad_value_nulls_that_field_only(sandbox, registry):
    carrier = "ironbridge-comms"
    sandbox.sandbox.set_faults(carrier, Faults(garbage="bad_value"))
    numbers = [a.account_number for a in sandbox.data.carriers[carrier].accounts]
    found = await registry.get(carrier).fetch(INVOICES_BY_ACCOUNT, numbers)
    records = [r for rs in found.values() for r in rs]
    truth = {i.invoice_number: i for i in sandbox.data.carriers[carrier].invoices}
    assert {r.invoice_number for r in records} == set(truth)
    broken = [r for r in records if r.problems]
    assert broken
    for record in broken:
        (problem,) = record.problems
        assert (problem.field, problem.wire_field) == ("total", "taxIncludedAmount.unit")
        assert record.total is None
        expected = truth[record.invoice_number]
        assert (record.status, record.issued_at, record.taxes) == (
            expected.status,
            expected.issued_at,
            expected.taxes,
        )


async def test_one_unreadable_record_is_left_out_and_reported(sandbox, registry):
    carrier = "ironbridge-comms"
    sandbox.sandbox.set_faults(carrier, Faults(garbage="unreadable_record"))
    numbers = [a.account_number for a in sandbox.data.carriers[carrier].accounts]
    found = await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    records = [r for rs in found.values() for r in rs]
    dropped = {id(e): e for rs in found.values() for e in dropped_of(rs)}
    services = sandbox.data.carriers[carrier].services
    assert len(records) == len(services) - len(dropped) >= len(services) - 2
    assert dropped
    for error in dropped.values():
        assert error.carrier == carrier
        assert error.field in {"id", "billingAccount"}
        assert error.record


async def test_retries_only_retryable_statuses(sandbox, registry):
    carrier = "northwind-fiber"
    attempts = sandbox.specs[carrier].retry.attempts
    sandbox.sandbox.set_faults(carrier, Faults(error_rate=1.0, error_status=503))
    numbers = [sandbox.data.carriers[carrier].accounts[0].account_number]
    with pytest.raises(UpstreamUnavailable):
        await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    assert sandbox.sandbox.log.counts()[(carrier, "services")] == attempts

    sandbox.sandbox.reset()
    sandbox.sandbox.set_faults(carrier, Faults(error_rate=1.0, error_status=400))
    with pytest.raises(UpstreamUnavailable):
        await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
    assert sandbox.sandbox.log.counts()[(carrier, "services")] == 1


@pytest.mark.parametrize("io", ["aiohttp", "httpx", "h1"])
async def test_a_hung_carrier_times_out(sandbox, io):
    carrier = "harborlight-voice"
    spec = sandbox.specs[carrier].model_copy(update={"timeouts": Timeouts(connect=1.0, read=0.3)})
    registry = Registry({carrier: spec}, transport_factory=transport_factory(io))
    sandbox.sandbox.set_faults(carrier, Faults(hang_seconds=1.0))
    try:
        numbers = [sandbox.data.carriers[carrier].accounts[0].account_number]
        with pytest.raises(UpstreamTimeout) as info:
            await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, numbers)
        assert info.value.carrier == carrier
    finally:
        await registry.aclose()


@pytest.mark.parametrize("io", ["aiohttp", "httpx", "h1"])
async def test_an_unreachable_carrier_is_unavailable(sandbox, io):
    carrier = "northwind-fiber"
    closed = f"http://127.0.0.1:{free_port()}/x"  # nothing listens there
    spec = sandbox.specs[carrier].model_copy(update={"base_url": closed})
    registry = Registry({carrier: spec}, transport_factory=transport_factory(io))
    try:
        with pytest.raises(UpstreamUnavailable):
            await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, ["A1"])
    finally:
        await registry.aclose()


async def test_wrong_credentials_are_refused_by_the_sandbox(sandbox):
    carrier = "bluepeak-telecom"  # api_key auth
    spec = sandbox.specs[carrier]
    bad = spec.model_copy(update={"auth": spec.auth.model_copy(update={"key": "wrong"})})
    registry = Registry({carrier: bad})
    try:
        with pytest.raises(UpstreamUnavailable, match="HTTP 401"):
            await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, ["A1"])
    finally:
        await registry.aclose()


async def test_total_count_header_must_be_numeric(sandbox):
    carrier = "northwind-fiber"
    spec = sandbox.specs[carrier]

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[], headers={"X-Total-Count": "lots"})

    registry = Registry({carrier: spec}, transport_factory=lambda _: httpx.MockTransport(handler))
    try:
        with pytest.raises(UpstreamInvalid) as info:
            await registry.get(carrier).fetch(SERVICES_BY_ACCOUNT, ["A1"])
        assert info.value.field == "X-Total-Count"
    finally:
        await registry.aclose()
