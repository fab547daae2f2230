"""Per-principal rate limits, weighted by query cost, shared through Redis when it is up.

Each party and role has a budget of cost units per window (a minute by default): a
cheap query spends little, a 50-customer dashboard a lot. A request is admitted while
its principal's window still has budget left, and what it actually cost is spent once
it has run (its cost is only known for sure then; one request may overdraw the window,
the next ones wait). The count lives in Redis (``sb:rate:<key>:<window>``, ``INCRBY``
with an expiry) so every gateway process draws from one budget; when Redis is not
configured or not reachable, each process counts in memory instead, so an outage loosens
the limit by the number of processes but never fails a request.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from redis.asyncio import Redis

    from connectors.shared_redis import SharedRedis

__all__ = ["RateLimiter"]


class RateLimiter:
    """A fixed-window counter of cost units per key.

    Example:
        >>> limiter = RateLimiter(window_seconds=60)
        >>> await limiter.admit("agent-1:admin", limit=10_000)  # None: go ahead  # doctest: +SKIP
        >>> await limiter.spend("agent-1:admin", cost=120)  # doctest: +SKIP
    """

    def __init__(
        self,
        shared: SharedRedis | None = None,
        *,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        max_keys: int = 100_000,
    ) -> None:
        self.shared = shared
        self.window_seconds = window_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._local: dict[str, tuple[int, int]] = {}

    def _window(self) -> tuple[int, float]:
        now = self._clock()
        window = int(now // self.window_seconds)
        return window, (window + 1) * self.window_seconds - now

    async def admit(self, key: str, limit: int) -> float | None:
        """None when ``key`` has budget left in this window, else the seconds until it does."""
        window, retry_after = self._window()
        used: int | None = None
        if self.shared is not None:
            raw = await self.shared.run(lambda r: r.get(f"sb:rate:{key}:{window}"))
            if raw is not None or self.shared.healthy:
                used = int(raw or 0)
        if used is None:
            started, used = self._local.get(key, (window, 0))
            used = used if started == window else 0
        return retry_after if used >= limit else None

    async def spend(self, key: str, cost: int) -> None:
        """Count ``cost`` units against ``key`` in this window."""
        if cost <= 0:
            return
        window, _ = self._window()
        if self.shared is not None:
            done = await self.shared.run(
                lambda r: _spend(r, f"sb:rate:{key}:{window}", cost, self.window_seconds)
            )
            if done is not None:
                return
        started, used = self._local.get(key, (window, 0))
        if len(self._local) >= self._max_keys:
            self._local.clear()
        self._local[key] = (window, (used if started == window else 0) + cost)


async def _spend(client: Redis, key: str, cost: int, window: float) -> bool:
    async with client.pipeline(transaction=True) as pipe:
        pipe.incrby(key, cost)
        pipe.expire(key, int(window) + 1)
        await pipe.execute()
    return True
