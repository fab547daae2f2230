"""Per-request DataLoaders: one per (carrier, batch question), batching and de-duplicating keys.

Every key a request asks for in one tick of the event loop reaches the carrier in one
:meth:`Connector.fetch` call, so a dashboard over 50 customers costs the same number of
upstream calls per carrier as one over a single customer. A failing carrier resolves
every key of its batch to the same :class:`ConnectorError`; the schema decides where
that error shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aiodataloader import DataLoader

from connectors.errors import ConnectorError

if TYPE_CHECKING:
    from connectors.base import Fetch
    from connectors.registry import Registry

__all__ = ["CarrierLoader", "LoaderSet"]

T = TypeVar("T")


class CarrierLoader(DataLoader[str, Sequence[T]]):
    """Batches one kind of question to one carrier."""

    def __init__(self, registry: Registry, carrier: str, what: Fetch[T]) -> None:
        super().__init__(max_batch_size=None)
        self.registry = registry
        self.carrier = carrier
        self.what = what

    async def batch_load_fn(self, keys: list[str]) -> list[Sequence[T]]:
        try:
            found = await self.registry.get(self.carrier).fetch(self.what, keys)
        except ConnectorError as exc:
            if exc.carrier is None:
                exc.carrier = self.carrier
            # aiodataloader rejects the key's future with an Exception value.
            return cast("list[Sequence[T]]", [exc] * len(keys))
        return [found.get(key, ()) for key in keys]

    async def records(self, key: str) -> Sequence[T]:
        """The records behind one key (raises the carrier's ConnectorError)."""
        return await self.load(key)

    async def many(self, keys: Sequence[str]) -> list[Sequence[T]]:
        """The records behind several keys of this carrier, in one batch."""
        return await self.load_many(keys)


class LoaderSet:
    """The loaders of one request, created on first use."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._loaders: dict[tuple[str, str], Any] = {}

    def get(self, carrier: str, what: Fetch[T]) -> CarrierLoader[T]:
        """The loader for one carrier and one batch question."""
        key = (carrier, what.name)
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = CarrierLoader(self.registry, carrier, what)
        return loader
