"""The naive baseline: the same schema with no DataLoaders, carriers called one after another.

:class:`NaiveLoaderSet` is a drop-in for :class:`gateway.loaders.LoaderSet`. Its loaders
keep the ``records(key)`` / ``many(keys)`` API the resolvers use, but every key is its
own :meth:`Connector.fetch` call (no batching, no de-duplication), and every call of the
request waits for one shared :class:`asyncio.Lock`, so no two carrier calls ever overlap
even where the schema gathers them. That models a gateway written resolver by resolver
with a blocking HTTP client: the number of upstream calls grows with the accounts asked
about, and the latency is the sum of the carriers', not the slowest one's.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.errors import ConnectorError
from gateway.loaders import CarrierLoader, LoaderSet

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectors.base import Fetch
    from connectors.registry import Registry

__all__ = ["NaiveLoader", "NaiveLoaderSet"]

T = TypeVar("T")


class NaiveLoader(CarrierLoader[T]):
    """A loader that never batches: one upstream fetch per key, one at a time."""

    def __init__(
        self, registry: Registry, carrier: str, what: Fetch[T], lock: asyncio.Lock
    ) -> None:
        super().__init__(registry, carrier, what)
        self.lock = lock

    async def records(self, key: str) -> Sequence[T]:
        """The records behind one key, fetched alone while no other call is in flight."""
        try:
            async with self.lock:
                found = await self.registry.get(self.carrier).fetch(self.what, [key])
        except ConnectorError as exc:
            if exc.carrier is None:
                exc.carrier = self.carrier
            raise
        return found.get(key, ())

    async def many(self, keys: Sequence[str]) -> list[Sequence[T]]:
        """The records behind several keys: one call per key, one after another."""
        return [await self.records(key) for key in keys]


class NaiveLoaderSet(LoaderSet):
    """The loaders of one naive request; all of them share one lock.

    Pass ``lock`` to share it beyond the request (every request of the process then
    waits for every other one, like a single synchronous worker).
    """

    def __init__(self, registry: Registry, lock: asyncio.Lock | None = None) -> None:
        super().__init__(registry)
        self.lock = lock or asyncio.Lock()
        self._naive: dict[tuple[str, str], Any] = {}

    def get(self, carrier: str, what: Fetch[T]) -> NaiveLoader[T]:
        """The naive loader for one carrier and one batch question."""
        key = (carrier, what.name)
        loader = self._naive.get(key)
        if loader is None:
            loader = self._naive[key] = NaiveLoader(self.registry, carrier, what, self.lock)
        return loader
