"""Per-principal rate limits, weighted by query cost, shared through Redis when it is up.

Each party and role has a budget of cost units per window (a minute by default): a
cheap query spends little, a 50-customer dashboard a lot. The counting is the ``limits``
library's sliding-window counter (two counters per key, the previous window weighted by
how much of it still overlaps: no double burst at a window's edge, and constant memory
whatever the budget, which a moving window of one entry per cost unit would not be).

A request is admitted while its principal still has budget left, and what it actually
cost is spent once it has run (one request may use up the rest of the window; the next
ones wait). The counters live in Redis (keys under ``sb:rate``) so every gateway process
draws from one budget; when Redis is not configured or not reachable (the shared
connection's back-off decides, and warns once per interval), each process counts in
memory instead, so an outage loosens the limit by the number of processes but never
fails a request.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, TypeVar

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from limits import RateLimitItem

    from connectors.shared_redis import SharedRedis

__all__ = ["KEY_PREFIX", "RateLimiter"]

KEY_PREFIX = "sb:rate"

T = TypeVar("T")


class RateLimiter:
    """A sliding window of cost units per key.

    Example:
        >>> limiter = RateLimiter(window_seconds=60)
        >>> await limiter.admit("agent-1:admin", limit=10_000)  # None: go ahead  # doctest: +SKIP
        >>> await limiter.spend("agent-1:admin", limit=10_000, cost=120)  # doctest: +SKIP
    """

    def __init__(
        self,
        shared: SharedRedis | None = None,
        *,
        window_seconds: int = 60,
        key_prefix: str = KEY_PREFIX,
    ) -> None:
        self.shared = shared
        self.window_seconds = window_seconds
        self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._redis: SlidingWindowCounterRateLimiter | None = None
        if shared is not None:
            # The shared connection's pool, without client retries: its back-off decides.
            options: dict[str, Any] = {
                "connection_pool": shared.client.connection_pool,
                "retry": Retry(NoBackoff(), 0),
            }
            storage = RedisStorage(
                "async+redis://", implementation="redispy", key_prefix=key_prefix, **options
            )
            self._redis = SlidingWindowCounterRateLimiter(storage)
        self._items: dict[int, RateLimitItem] = {}

    def _item(self, limit: int) -> RateLimitItem:
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = RateLimitItemPerSecond(limit, self.window_seconds)
        return item

    async def _run(self, operation: Callable[[SlidingWindowCounterRateLimiter], Awaitable[T]]) -> T:
        """``operation`` on the Redis counters, or on this process's when Redis is down."""
        if self.shared is not None and self._redis is not None:
            redis = self._redis
            done = await self.shared.run(lambda _client: _boxed(operation(redis)))
            if done is not None:
                return done[0]
        return await operation(self._local)

    async def admit(self, key: str, limit: int) -> float | None:
        """None when ``key`` has budget left in its window, else the seconds until it does."""
        item = self._item(limit)

        async def check(limiter: SlidingWindowCounterRateLimiter) -> float | None:
            if await limiter.test(item, key):
                return None
            stats = await limiter.get_window_stats(item, key)
            return max(0.001, stats.reset_time - time.time())

        return await self._run(check)

    async def spend(self, key: str, limit: int, cost: int) -> None:
        """Count ``cost`` units against ``key`` (at most what is left of its window)."""
        if cost <= 0:
            return
        item = self._item(limit)

        async def charge(limiter: SlidingWindowCounterRateLimiter) -> None:
            # A hit larger than what is left would be refused and count nothing.
            left = (await limiter.get_window_stats(item, key)).remaining
            if left > 0:
                await limiter.hit(item, key, cost=min(cost, left))

        await self._run(charge)


async def _boxed(awaitable: Awaitable[T]) -> tuple[T]:
    # SharedRedis.run answers None for "Redis is down": box the result so None is a value.
    return (await awaitable,)
