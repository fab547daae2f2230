"""One Redis connection for shared state that must degrade, never fail.

The record cache, the circuit breakers and the rate limiter keep their shared state
in Redis when one is configured. Redis may go away at any time; when it does, each of
them carries on with per-process state. This module is where that is decided once:
every operation is bounded by short timeouts, a failure marks Redis unhealthy and
starts a back-off during which no call is even attempted (so a dead Redis costs
nothing per request and the connection pool is never exhausted), one warning is
logged per interval instead of a traceback per call, and a probe after the back-off
brings it back.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from redis.asyncio import Redis

__all__ = ["RedisHealth", "SharedRedis"]

T = TypeVar("T")

_log = logging.getLogger("switchboard.redis")


@dataclass(frozen=True, slots=True)
class RedisHealth:
    """What ``/readyz`` says about Redis."""

    configured: bool
    healthy: bool
    last_error: str | None
    retry_in_seconds: float


class SharedRedis:
    """A Redis client whose failures turn into ``None`` answers and a back-off.

    Example:
        >>> shared = SharedRedis.from_url("redis://127.0.0.1:6379/0")  # doctest: +SKIP
        >>> await shared.run(lambda r: r.get("key"))  # None when Redis is down  # doctest: +SKIP
    """

    def __init__(
        self,
        client: Redis,
        *,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 15.0,
        warn_every_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.warn_every_seconds = warn_every_seconds
        self._clock = clock
        self._healthy = True
        self._failures = 0
        self._next_try = 0.0
        self._last_error: str | None = None
        self._last_warning = -float("inf")
        self.errors = 0

    @classmethod
    def from_url(
        cls, url: str, *, timeout_seconds: float = 0.25, max_connections: int = 64
    ) -> SharedRedis:
        """A client with short timeouts and a bounded pool that waits briefly, never errors."""
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout_seconds,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
        )
        # No client-side retries: a failure here is handled by backing off, not by waiting.
        return cls(aioredis.Redis(connection_pool=pool, retry=Retry(NoBackoff(), 0)))

    @property
    def healthy(self) -> bool:
        """Whether the last operation succeeded (or none failed yet)."""
        return self._healthy

    def health(self) -> RedisHealth:
        """Health for readiness probes and logs."""
        return RedisHealth(
            configured=True,
            healthy=self._healthy,
            last_error=self._last_error,
            retry_in_seconds=max(0.0, self._next_try - self._clock()) if not self._healthy else 0,
        )

    async def run(self, operation: Callable[[Redis], Awaitable[T]]) -> T | None:
        """``operation(client)``, or None when Redis is down or inside its back-off."""
        if not self._healthy and self._clock() < self._next_try:
            return None
        try:
            result = await operation(self.client)
        except (RedisError, OSError, TimeoutError) as exc:
            self._fail(exc)
            return None
        if not self._healthy:
            _log.warning("redis is reachable again; shared state is back")
        self._healthy, self._failures, self._last_error = True, 0, None
        return result

    def _fail(self, exc: BaseException) -> None:
        self.errors += 1
        self._failures += 1
        self._healthy = False
        self._last_error = f"{type(exc).__name__}: {exc}"[:200]
        delay = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (self._failures - 1))
        now = self._clock()
        self._next_try = now + delay
        if now - self._last_warning >= self.warn_every_seconds:
            self._last_warning = now
            _log.warning(
                "redis unavailable (%s); using per-process state, next try in %.1f s",
                self._last_error,
                delay,
            )

    async def aclose(self) -> None:
        """Close the client and every pooled connection (the pool was handed in)."""
        await self.client.aclose()
        await self.client.connection_pool.disconnect()
