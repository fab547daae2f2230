"""The cost-weighted rate limiter: windows, recovery, Redis sharing and its fallback."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from connectors.shared_redis import SharedRedis
from gateway.ratelimit import RateLimiter
from tests.support.redis import shared_redis


async def test_budget_runs_out_then_comes_back():
    limiter = RateLimiter(window_seconds=1)
    assert await limiter.admit("p:admin", limit=100) is None
    await limiter.spend("p:admin", 100, 70)
    assert await limiter.admit("p:admin", limit=100) is None
    await limiter.spend("p:admin", 100, 70)  # spends what is left of the window: 30
    wait = await limiter.admit("p:admin", limit=100)
    assert wait is not None
    assert 0 < wait <= 2  # a sliding window: at most two windows until it has fully slid
    assert await limiter.admit("q:admin", limit=100) is None  # another party's budget
    await asyncio.sleep(wait + 0.05)
    assert await limiter.admit("p:admin", limit=100) is None


@pytest.fixture
async def local_redis():
    client = await shared_redis()
    yield client
    await client.aclose()


async def test_processes_sharing_redis_draw_from_one_budget(local_redis):
    prefix = f"test-rate-{uuid.uuid4().hex[:8]}"
    shared = SharedRedis(local_redis)
    first = RateLimiter(shared, window_seconds=60, key_prefix=prefix)
    second = RateLimiter(shared, window_seconds=60, key_prefix=prefix)
    try:
        await first.spend("p:admin", 100, 150)  # capped at the window's 100
        assert await second.admit("p:admin", limit=100) is not None
        assert await second.admit("p:admin", limit=200) is None
        assert await local_redis.keys(f"{prefix}:*")  # the count is in Redis
        assert shared.healthy
    finally:
        keys = await local_redis.keys(f"{prefix}:*")
        if keys:
            await local_redis.delete(*keys)


async def test_a_dead_redis_falls_back_to_counting_in_this_process(caplog):
    shared = SharedRedis.from_url("redis://127.0.0.1:1/0")
    limiter = RateLimiter(shared, window_seconds=60)
    try:
        with caplog.at_level(logging.WARNING, logger="switchboard.redis"):
            assert await limiter.admit("p:admin", limit=100) is None
            await limiter.spend("p:admin", 100, 120)
            for _ in range(20):
                assert await limiter.admit("p:admin", limit=100) is not None
        assert not shared.healthy
        warnings = [r for r in caplog.records if r.name == "switchboard.redis"]
        assert len(warnings) == 1  # one warning for the outage, not one per call
        assert all(r.exc_info is None for r in warnings)  # and never a traceback
    finally:
        await shared.aclose()
