"""The record cache: answers reused per key, misses batched, errors never kept."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from connectors.base import SERVICES_BY_ACCOUNT
from connectors.cache import MemoryCache, RedisCache
from connectors.errors import UpstreamUnavailable
from connectors.registry import Registry
from connectors.sandbox.faults import Faults
from connectors.shared_redis import SharedRedis
from tests.support.redis import shared_redis

CARRIER = "northwind-fiber"


@pytest.fixture(params=["memory", "redis"])
async def cache(request):
    if request.param == "memory":
        yield MemoryCache()
        return
    client = await shared_redis()
    # A fresh key space per test: the cache prefix is per carrier, so flush ours.
    async for key in client.scan_iter(f"sb:cache:{CARRIER}:*"):
        await client.delete(key)
    yield RedisCache(SharedRedis(client))


def requests(sandbox) -> int:
    return sandbox.sandbox.log.counts().get((CARRIER, "services"), 0)


async def test_a_second_ask_is_answered_from_the_cache(sandbox, cache):
    registry = Registry({CARRIER: sandbox.specs[CARRIER]}, cache=cache, cache_ttl=60)
    keys = [a.account_number for a in sandbox.data.carriers[CARRIER].accounts]
    try:
        first = await registry.get(CARRIER).fetch(SERVICES_BY_ACCOUNT, keys)
        second = await registry.get(CARRIER).fetch(SERVICES_BY_ACCOUNT, keys)
    finally:
        await registry.aclose()
    assert requests(sandbox) == 1
    assert {k: tuple(v) for k, v in first.items()} == {k: tuple(v) for k, v in second.items()}
    assert sum(len(v) for v in second.values()) == len(sandbox.data.carriers[CARRIER].services)


async def test_only_the_missing_keys_reach_the_carrier(sandbox, cache):
    registry = Registry({CARRIER: sandbox.specs[CARRIER]}, cache=cache, cache_ttl=60)
    keys = [a.account_number for a in sandbox.data.carriers[CARRIER].accounts]
    try:
        await registry.get(CARRIER).fetch(SERVICES_BY_ACCOUNT, keys[:2])
        await registry.get(CARRIER).fetch(SERVICES_BY_ACCOUNT, keys)
    finally:
        await registry.aclose()
    queries = [r.query for r in sandbox.sandbox.log.records() if r.resource == "services"]
    assert len(queries) == 2
    assert all(k not in queries[1] for k in keys[:2])


async def test_entries_expire(sandbox, cache):
    registry = Registry({CARRIER: sandbox.specs[CARRIER]}, cache=cache, cache_ttl=0.2)
    keys = [sandbox.data.carriers[CARRIER].accounts[0].account_number]
    try:
        await registry.get(CARRIER).fetch(SERVICES_BY_ACCOUNT, keys)
        await asyncio.sleep(0.3)
        await registry.get(CARRIER).fetch(SERVICES_BY_ACCOUNT, keys)
    finally:
        await registry.aclose()
    assert requests(sandbox) == 2


async def test_errors_are_not_cached(sandbox, cache):
    registry = Registry({CARRIER: sandbox.specs[CARRIER]}, cache=cache, cache_ttl=60)
    keys = [sandbox.data.carriers[CARRIER].accounts[0].account_number + uuid.uuid4().hex[:4]]
    sandbox.sandbox.set_faults(CARRIER, Faults(error_rate=1.0, error_status=500))
    try:
        with pytest.raises(UpstreamUnavailable):
            await registry.get(CARRIER).fetch(SERVICES_BY_ACCOUNT, keys)
        sandbox.sandbox.set_faults(CARRIER, Faults())
        assert await registry.get(CARRIER).fetch(SERVICES_BY_ACCOUNT, keys) == {keys[0]: ()}
    finally:
        await registry.aclose()


async def test_the_memory_cache_stays_bounded():
    cache = MemoryCache(max_entries=3)
    await cache.set_many({f"k{i}": i for i in range(5)}, ttl=60)
    assert await cache.get_many(["k0", "k1", "k2", "k3", "k4"]) == [None, None, 2, 3, 4]
