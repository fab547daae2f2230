"""The shared cache of normalized records, in front of every connector.

Carrier data changes slowly and portals ask for it constantly, so each answer of
each carrier is kept for a short time, per (carrier, batch question, key). What is
cached is normalized records, never a party's view of them: row slices, field
audiences and prices are applied above the cache, so one party's view can never be
served to another. Errors are never cached. Back ends: in-process memory (default)
or Redis, shared by every gateway process.
"""

from __future__ import annotations

import pickle
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import redis.asyncio as aioredis

    from connectors.base import Connector, Fetch
    from connectors.models import Carrier

__all__ = ["Cache", "CachedConnector", "MemoryCache", "RedisCache"]

T = TypeVar("T")


class Cache(Protocol):
    """Where cached answers live."""

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        """The cached values of the keys (None where absent or expired)."""
        ...

    async def set_many(self, values: Mapping[str, Any], ttl: float) -> None:
        """Keep the values for ``ttl`` seconds."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class MemoryCache:
    """A bounded in-process cache (least recently stored entries go first)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        now = time.monotonic()
        found: list[Any | None] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= now:
                found.append(None)
            else:
                found.append(entry[1])
        return found

    async def set_many(self, values: Mapping[str, Any], ttl: float) -> None:
        expires = time.monotonic() + ttl
        for key, value in values.items():
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def aclose(self) -> None:
        self._entries.clear()


class RedisCache:
    """Redis shared by every gateway process; values are pickled normalized records.

    Only this gateway writes these keys (prefix ``sb:cache:``), so unpickling them is
    reading our own data back; point it at a Redis no untrusted party can write to.
    """

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client

    @classmethod
    def from_url(cls, url: str) -> RedisCache:
        """A cache on the Redis at ``url`` (``redis://host:port/db``)."""
        import redis.asyncio as aioredis

        return cls(aioredis.Redis.from_url(url))

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        if not keys:
            return []
        raw = await self.client.mget(list(keys))
        return [
            pickle.loads(r) if isinstance(r, bytes) else None  # noqa: S301 - our own records
            for r in raw
        ]

    async def set_many(self, values: Mapping[str, Any], ttl: float) -> None:
        if not values:
            return
        async with self.client.pipeline(transaction=False) as pipe:
            for key, value in values.items():
                pipe.set(
                    key,
                    pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
                    px=max(int(ttl * 1000), 1),
                )
            await pipe.execute()

    async def aclose(self) -> None:
        await self.client.aclose()


class CachedConnector:
    """A connector whose answers are kept per key for ``ttl`` seconds.

    Keys already cached are answered from the cache; only the others reach the
    carrier, still in one batch.
    """

    def __init__(self, inner: Connector, cache: Cache, ttl: float) -> None:
        self.inner = inner
        self.cache = cache
        self.ttl = ttl
        self._prefix = f"sb:cache:{inner.carrier.id}:"

    @property
    def carrier(self) -> Carrier:
        return self.inner.carrier

    async def fetch(self, what: Fetch[T], keys: Sequence[str]) -> Mapping[str, Sequence[T]]:
        prefix = f"{self._prefix}{what.name}:"
        cache_keys = [prefix + key for key in keys]
        cached = await self.cache.get_many(cache_keys)
        answer: dict[str, Sequence[T]] = {}
        missing: list[str] = []
        for key, value in zip(keys, cached, strict=True):
            if value is None:
                missing.append(key)
            else:
                answer[key] = value
        if missing:
            fetched = await self.inner.fetch(what, missing)
            fresh = {key: tuple(fetched.get(key, ())) for key in missing}
            await self.cache.set_many({prefix + k: v for k, v in fresh.items()}, self.ttl)
            answer.update(fresh)
        return answer

    async def aclose(self) -> None:
        await self.inner.aclose()
