"""Circuit breakers, read retries and the deadline, at the carrier client.

Breaker transitions run on an injected clock; retries and ``Retry-After`` run against
a real sandbox carrier over HTTP, counted in its request log; the Redis-shared breaker
uses the Redis at 127.0.0.1:6379 under a carrier id no other test uses.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from connectors import deadline
from connectors.breaker import Breaker, BreakerState
from connectors.errors import UpstreamRateLimited, UpstreamUnavailable
from connectors.sandbox.faults import Faults
from connectors.shared_redis import SharedRedis
from connectors.specs.common import BreakerPolicy, RetryPolicy
from connectors.transport import CarrierClient
from tests.support.redis import shared_redis

CARRIER = "northwind-fiber"
PATH = "/tmf-api/productInventory/v4/product"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_consecutive_failures_open_then_a_probe_closes():
    clock = Clock()
    changes: list[BreakerState] = []
    breaker = Breaker(
        "acme",
        BreakerPolicy(failures=3, open_seconds=10),
        clock=clock,
        on_change=lambda _, state: changes.append(state),
    )
    for _ in range(2):
        await breaker.before_call()
        breaker.failure()
    assert breaker.state is BreakerState.CLOSED
    await breaker.before_call()
    breaker.failure()
    assert breaker.state is BreakerState.OPEN

    with pytest.raises(UpstreamUnavailable, match="circuit breaker is open"):
        await breaker.before_call()
    clock.now += 10
    await breaker.before_call()  # the probe
    assert breaker.state is BreakerState.HALF_OPEN
    with pytest.raises(UpstreamUnavailable):  # one probe at a time
        await breaker.before_call()
    breaker.success()
    assert breaker.state is BreakerState.CLOSED
    assert changes == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]


async def test_a_failed_probe_opens_again_for_a_full_period():
    clock = Clock()
    breaker = Breaker("acme", BreakerPolicy(failures=1, open_seconds=5), clock=clock)
    breaker.failure()
    clock.now += 5
    await breaker.before_call()
    breaker.failure()
    assert breaker.state is BreakerState.OPEN
    assert breaker.open_until == clock.now + 5
    assert breaker.opened == 2


async def test_an_error_rate_over_the_window_opens_it():
    clock = Clock()
    policy = BreakerPolicy(failures=100, error_rate=0.5, min_calls=10, window_seconds=30)
    breaker = Breaker("acme", policy, clock=clock)
    for i in range(9):
        breaker.failure() if i % 2 else breaker.success()
    assert breaker.state is BreakerState.CLOSED  # 4 of 9: under min_calls anyway
    breaker.failure()
    assert breaker.state is BreakerState.OPEN  # 5 of 10


async def test_a_window_that_ended_forgets_its_calls():
    clock = Clock()
    policy = BreakerPolicy(failures=100, error_rate=0.5, min_calls=4, window_seconds=30)
    breaker = Breaker("acme", policy, clock=clock)
    for _ in range(3):
        breaker.failure()
    clock.now += 31
    breaker.success()
    breaker.failure()
    assert breaker.state is BreakerState.CLOSED


async def test_an_open_verdict_is_shared_through_redis():
    client = await shared_redis()
    carrier = f"test-breaker-{uuid.uuid4().hex[:8]}"
    shared = SharedRedis(client)
    policy = BreakerPolicy(failures=1, open_seconds=30)
    first, second = Breaker(carrier, policy, shared=shared), Breaker(carrier, policy, shared=shared)
    try:
        await first.before_call()
        first.failure()
        for _ in range(50):  # publishing is fire-and-forget
            if await client.exists(f"sb:breaker:{carrier}"):
                break
            await asyncio.sleep(0.01)
        with pytest.raises(UpstreamUnavailable, match="circuit breaker is open"):
            await second.before_call()
        assert second.state is BreakerState.OPEN
    finally:
        await client.delete(f"sb:breaker:{carrier}")
        await client.aclose()


async def test_a_dead_redis_leaves_each_process_to_decide_alone():
    shared = SharedRedis.from_url("redis://127.0.0.1:1/0")
    breaker = Breaker("acme", BreakerPolicy(failures=1), shared=shared)
    try:
        await breaker.before_call()  # no Redis: the local verdict (closed) stands
        breaker.failure()
        assert breaker.state is BreakerState.OPEN
        assert not shared.healthy
    finally:
        await shared.aclose()


def client_for(sandbox, **retry: object) -> CarrierClient:
    spec = sandbox.specs[CARRIER]
    spec = spec.model_copy(
        update={
            "retry": RetryPolicy(**{"backoff_seconds": 0.01, **retry}),
            "breaker": BreakerPolicy(failures=50),
        }
    )
    return CarrierClient(spec)


def requests(sandbox) -> int:
    return sum(1 for r in sandbox.sandbox.log.records() if r.carrier == CARRIER)


async def test_reads_are_retried_until_they_succeed(sandbox):
    sandbox.sandbox.set_faults(CARRIER, Faults(fail_first=2, error_status=503))
    client = client_for(sandbox, attempts=3)
    try:
        response = await client.send("GET", PATH)
    finally:
        await client.aclose()
    assert response.status_code == 200
    assert requests(sandbox) == 3


async def test_writes_are_never_retried(sandbox):
    sandbox.sandbox.set_faults(CARRIER, Faults(fail_first=1, error_status=503))
    client = client_for(sandbox, attempts=3)
    try:
        with pytest.raises(UpstreamUnavailable, match="HTTP 503"):
            await client.send("POST", PATH, json_body={}, idempotent=False)
    finally:
        await client.aclose()
    assert requests(sandbox) == 1


async def test_retry_after_is_honoured_inside_the_deadline(sandbox):
    sandbox.sandbox.set_faults(CARRIER, Faults(fail_first=1, error_status=429, retry_after="1"))
    client = client_for(sandbox, attempts=2)
    try:
        response = await client.send("GET", PATH)
    finally:
        await client.aclose()
    first, second = sorted(
        (r for r in sandbox.sandbox.log.records() if r.carrier == CARRIER), key=lambda r: r.started
    )
    assert response.status_code == 200
    assert second.started - first.ended >= 1.0


async def test_a_retry_after_past_the_deadline_is_rate_limited_at_once(sandbox):
    sandbox.sandbox.set_faults(CARRIER, Faults(error_rate=1.0, error_status=429, retry_after="120"))
    client = client_for(sandbox, attempts=3)
    loop = asyncio.get_running_loop()
    try:
        with deadline.within(loop.time() + 2.0), pytest.raises(UpstreamRateLimited) as caught:
            await client.send("GET", PATH)
    finally:
        await client.aclose()
    assert caught.value.retry_after == 120
    assert caught.value.code == "RATE_LIMITED"
    assert requests(sandbox) == 1


async def test_a_connection_dropped_mid_body_is_retried_then_unavailable(sandbox):
    sandbox.sandbox.set_faults(CARRIER, Faults(reset_connection=True))
    client = client_for(sandbox, attempts=2)
    try:
        with pytest.raises(UpstreamUnavailable):
            await client.get_json(PATH)
    finally:
        await client.aclose()
    assert requests(sandbox) == 2
