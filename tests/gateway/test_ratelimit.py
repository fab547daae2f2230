"""The cost-weighted rate limiter: windows, recovery, Redis sharing and its fallback."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis

from connectors.shared_redis import SharedRedis
from gateway.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 6000.0

    def __call__(self) -> float:
        return self.now


async def test_budget_runs_out_then_comes_back_with_the_next_window():
    clock = Clock()
    limiter = RateLimiter(window_seconds=60, clock=clock)
    assert await limiter.admit("p:admin", limit=100) is None
    await limiter.spend("p:admin", 70)
    assert await limiter.admit("p:admin", limit=100) is None
    await limiter.spend("p:admin", 70)  # one request may overdraw the window
    clock.now += 15
    assert await limiter.admit("p:admin", limit=100) == pytest.approx(45)
    assert await limiter.admit("q:admin", limit=100) is None  # another party's budget
    clock.now += 45
    assert await limiter.admit("p:admin", limit=100) is None


async def test_processes_sharing_redis_draw_from_one_budget():
    client = aioredis.Redis(host="127.0.0.1", port=6379)
    try:
        await client.ping()
    except OSError:
        await client.aclose()
        pytest.skip("Redis at 127.0.0.1:6379 not reachable (make test starts it)")
    key = f"test-{uuid.uuid4().hex[:8]}:admin"
    clock = Clock()
    shared = SharedRedis(client)
    first = RateLimiter(shared, window_seconds=60, clock=clock)
    second = RateLimiter(shared, window_seconds=60, clock=clock)
    try:
        await first.spend(key, 150)
        assert await second.admit(key, limit=100) is not None
        assert await second.admit(key, limit=200) is None
    finally:
        await client.delete(f"sb:rate:{key}:{int(clock.now // 60)}")
        await client.aclose()


async def test_a_dead_redis_falls_back_to_counting_in_this_process():
    shared = SharedRedis.from_url("redis://127.0.0.1:1/0")
    limiter = RateLimiter(shared, window_seconds=60, clock=Clock())
    try:
        assert await limiter.admit("p:admin", limit=100) is None
        await limiter.spend("p:admin", 120)
        assert await limiter.admit("p:admin", limit=100) is not None
        assert not shared.healthy
    finally:
        await shared.aclose()
