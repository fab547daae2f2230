"""Loaders without I/O: the gateway's own loaders, answered from records already fetched.

:class:`MemoLoaderSet` keeps everything the real loaders do per request (one
:class:`gateway.loaders.CarrierLoader` per carrier and batch question, keys batched and
de-duplicated by aiodataloader) but answers each batch from a process-wide memo of
normalized records, filled by the first request that asks. Timing the schema with it
measures execution, resolvers, row slices and loaders alone; what the real gateway
spends on top of that is the carrier client and reading the carriers' JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from gateway.loaders import CarrierLoader, LoaderSet

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectors.base import Fetch
    from connectors.registry import Registry

__all__ = ["Memo", "MemoLoader", "MemoLoaderSet"]

T = TypeVar("T")

Memo = dict[tuple[str, str, str], Any]
"""(carrier, batch question, key) -> the records behind the key."""


class MemoLoader(CarrierLoader[T]):
    """A batching loader that fetches each key once per process, then remembers it."""

    def __init__(self, registry: Registry, carrier: str, what: Fetch[T], memo: Memo) -> None:
        super().__init__(registry, carrier, what)
        self.memo = memo

    async def batch_load_fn(self, keys: list[str]) -> list[Sequence[T]]:
        prefix = (self.carrier, self.what.name)
        missing = [k for k in keys if (*prefix, k) not in self.memo]
        if missing:
            found = await super().batch_load_fn(missing)
            self.memo.update({(*prefix, k): v for k, v in zip(missing, found, strict=True)})
        return [self.memo[(*prefix, k)] for k in keys]


class MemoLoaderSet(LoaderSet):
    """The loaders of one request, all answering from one shared memo."""

    def __init__(self, registry: Registry, memo: Memo) -> None:
        super().__init__(registry)
        self.memo = memo

    def get(self, carrier: str, what: Fetch[T]) -> MemoLoader[T]:
        """The memo loader for one carrier and one batch question."""
        key = (carrier, what.name)
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = MemoLoader(self.registry, carrier, what, self.memo)
        return loader
