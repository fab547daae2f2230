"""The shared cache of normalized records, in front of every connector.

Carrier data changes slowly and portals ask for it constantly, so each answer of
each carrier is kept for a short time, per (carrier, batch question, key). What is
cached is normalized records, never a party's view of them: row slices, field
audiences and prices are applied above the cache, so one party's view can never be
served to another. Errors are never cached. Back ends: in-process memory (default)
or Redis, shared by every gateway process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import msgspec

from connectors.base import dropped_of
from connectors.shared_redis import SharedRedis
from connectors.telemetry import CACHE_REQUESTS, labelled

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from redis.asyncio import Redis

    from connectors.base import Connector, Fetch
    from connectors.models import Carrier

__all__ = ["Cache", "CachedConnector", "MemoryCache", "RedisCache"]

T = TypeVar("T")


class Cache(Protocol):
    """Where cached answers live."""

    async def get_many(self, keys: Sequence[str], record: type | None = None) -> list[Any | None]:
        """The cached values of the keys (None where absent, expired or unreadable).

        ``record`` is the record type the values hold (a tuple of them each), for back
        ends that store an encoding and decode it typed.
        """
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

    async def get_many(self, keys: Sequence[str], record: type | None = None) -> list[Any | None]:
        del record  # values are kept as they are
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
    """Redis shared by every gateway process, holding records in a data-only encoding.

    Values are MessagePack (msgspec) behind a version prefix and are decoded into the
    record type the question expects, so a foreign, stale-format or tampered value is a
    miss, never code run in the gateway (no pickle). Redis going away costs hit rate,
    never answers: every operation goes through :class:`SharedRedis`, which answers
    ``None`` while Redis is down, and the connector then asks the carrier.
    """

    def __init__(self, shared: SharedRedis) -> None:
        self.shared = shared
        self._decoders: dict[type, msgspec.msgpack.Decoder[Any]] = {}

    @classmethod
    def from_url(cls, url: str) -> RedisCache:
        """A cache on the Redis at ``url`` (``redis://host:port/db``)."""
        return cls(SharedRedis.from_url(url))

    def _decoder(self, record: type) -> msgspec.msgpack.Decoder[Any]:
        decoder = self._decoders.get(record)
        if decoder is None:
            decoder = self._decoders[record] = msgspec.msgpack.Decoder(tuple[record, ...])  # type: ignore[valid-type]
        return decoder

    async def get_many(self, keys: Sequence[str], record: type | None = None) -> list[Any | None]:
        if not keys:
            return []
        raw = await self.shared.run(lambda r: r.mget(list(keys)))
        if raw is None:
            return [None] * len(keys)
        if record is None:  # only typed reads are safe to answer
            return [None] * len(keys)
        decoder = self._decoder(record)
        return [_decode(decoder, value) for value in raw]

    async def set_many(self, values: Mapping[str, Any], ttl: float) -> None:
        if not values:
            return
        px = max(int(ttl * 1000), 1)
        encoded = {key: _VERSION + _ENCODER.encode(value) for key, value in values.items()}

        async def store(client: Redis) -> None:
            async with client.pipeline(transaction=False) as pipe:
                for key, value in encoded.items():
                    pipe.set(key, value, px=px)
                await pipe.execute()

        await self.shared.run(store)

    async def aclose(self) -> None:
        await self.shared.aclose()


_VERSION = b"sb1:"
_ENCODER = msgspec.msgpack.Encoder(decimal_format="string")


def _decode(decoder: msgspec.msgpack.Decoder[Any], value: object) -> Any | None:  # noqa: ANN401
    """A cached value, or None for anything this version did not write."""
    if not isinstance(value, bytes) or not value.startswith(_VERSION):
        return None
    try:
        return decoder.decode(value[len(_VERSION) :])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


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
        cached = await self.cache.get_many(cache_keys, what.record)
        answer: dict[str, Sequence[T]] = {}
        missing: list[str] = []
        for key, value in zip(keys, cached, strict=True):
            if value is None:
                missing.append(key)
            else:
                answer[key] = value
        carrier = self.inner.carrier.id
        if answer:
            labelled(CACHE_REQUESTS, carrier, what.name, "hit").inc(len(answer))
        if missing:
            labelled(CACHE_REQUESTS, carrier, what.name, "miss").inc(len(missing))
            fetched = await self.inner.fetch(what, missing)
            fresh = {key: fetched.get(key, ()) for key in missing}
            # An answer that left unreadable records out carries their errors: asked
            # again, the carrier gets to report them again, so it is not kept.
            keep = {prefix + k: tuple(v) for k, v in fresh.items() if not dropped_of(v)}
            await self.cache.set_many(keep, self.ttl)
            answer.update(fresh)
        return answer

    async def aclose(self) -> None:
        await self.inner.aclose()
