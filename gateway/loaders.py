"""Per-request DataLoaders: one per (carrier, batch question), batching and de-duplicating keys.

Every key a request asks for in one tick of the event loop reaches the carrier in one
:meth:`Connector.fetch` call, so a dashboard over 50 customers costs the same number of
upstream calls per carrier as one over a single customer. A failing carrier resolves
every key of its batch to the same :class:`ConnectorError`; the schema decides where
that error shows. Each batch runs under the request's operation deadline: a carrier
still busy when it passes resolves to ``UpstreamTimeout`` and the answer goes out with
everything else. Each batch is one ``carrier.fetch`` span and one metrics sample. The
batches of one request share its :class:`~connectors.downloads.Downloads`: a file one
batch downloaded (a CSV carrier's monthly bill file) is not downloaded again by a later
batch of the same request (that month's invoice lines).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aiodataloader import DataLoader

from connectors import deadline, downloads
from connectors.errors import ConnectorError, UpstreamTimeout
from connectors.telemetry import CARRIER_CALL_SECONDS, CARRIER_CALLS, labelled, tracer, tracing

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from opentelemetry.trace import Span

    from connectors.base import Fetch
    from connectors.registry import Registry

__all__ = ["CarrierLoader", "LoaderSet"]

T = TypeVar("T")


class CarrierLoader(DataLoader[str, Sequence[T]]):
    """Batches one kind of question to one carrier."""

    def __init__(
        self,
        registry: Registry,
        carrier: str,
        what: Fetch[T],
        until: tuple[float, float] | None = None,
        files: downloads.Downloads | None = None,
    ) -> None:
        super().__init__(max_batch_size=None)
        self.registry = registry
        self.carrier = carrier
        self.what = what
        self.until = until
        self.files = files

    async def batch_load_fn(self, keys: list[str]) -> list[Sequence[T]]:
        if not tracing():
            return await self._measured(keys, None)
        with tracer.start_as_current_span(
            "carrier.fetch",
            attributes={
                "switchboard.carrier": self.carrier,
                "switchboard.resource": self.what.name,
                "switchboard.batch_size": len(keys),
            },
        ) as span:
            return await self._measured(keys, span)

    async def _measured(self, keys: list[str], span: Span | None) -> list[Sequence[T]]:
        carrier, resource = self.carrier, self.what.name
        started = time.perf_counter()
        outcome = "ok"
        try:
            found = await self._fetch(keys)
        except ConnectorError as exc:
            if exc.carrier is None:
                exc.carrier = carrier
            outcome = exc.code
            # aiodataloader rejects the key's future with an Exception value.
            return cast("list[Sequence[T]]", [exc] * len(keys))
        finally:
            if span is not None:
                span.set_attribute("switchboard.outcome", outcome)
            labelled(CARRIER_CALLS, carrier, resource, outcome).inc()
            elapsed = time.perf_counter() - started
            labelled(CARRIER_CALL_SECONDS, carrier, resource).observe(elapsed)
        return [found.get(key, ()) for key in keys]

    async def _fetch(self, keys: list[str]) -> Any:  # noqa: ANN401 - Mapping[str, Sequence[T]]
        connector = self.registry.get(self.carrier)
        if self.until is None:
            with downloads.within(self.files):
                return await connector.fetch(self.what, keys)
        until = _batch_until(self.until[0], self.until[1], asyncio.get_running_loop().time())
        with deadline.within(until), downloads.within(self.files):
            try:
                async with asyncio.timeout_at(until):
                    return await connector.fetch(self.what, keys)
            except TimeoutError:
                raise UpstreamTimeout(
                    f"carrier '{self.carrier}' did not answer before the operation deadline",
                    carrier=self.carrier,
                ) from None

    def records(self, key: str) -> Awaitable[Sequence[T]]:
        """The records behind one key (raises the carrier's ConnectorError).

        A future, not a coroutine: gathered, it costs no task of its own.
        """
        return self.load(key)

    def many(self, keys: Sequence[str]) -> Awaitable[list[Sequence[T]]]:
        """The records behind several keys of this carrier, in one batch (a future)."""
        return self.load_many(keys)


RESERVE_SHARE = 0.1
RESERVE_FLOOR = 0.25


def reserve(budget: float) -> float:
    """The end of a request's time kept for what the first calls' answers lead to.

    A tenth of the budget, at least a quarter second (at most half the budget).
    """
    return min(max(budget * RESERVE_SHARE, RESERVE_FLOOR), budget / 2)


def _batch_until(deadline: float, budget: float, now: float) -> float:
    """When a batch started at ``now`` must end.

    A batch started early (a root list) ends :func:`reserve` before the operation
    deadline, so a hung carrier leaves the fields nested under the records that did
    arrive (an invoice's lines) time to be fetched; a batch started within the reserve
    may run to the deadline itself.
    """
    early = deadline - reserve(budget)
    return early if now < early else deadline


class LoaderSet:
    """The loaders of one request, created on first use.

    ``until`` is the request's operation deadline (``loop.time()``; None: none) and
    ``budget`` the seconds it was set from.
    """

    def __init__(
        self, registry: Registry, *, until: float | None = None, budget: float = 0.0
    ) -> None:
        self.registry = registry
        self.until = None if until is None else (until, budget)
        self.files = downloads.Downloads()
        self._loaders: dict[tuple[str, str], Any] = {}

    def release(self) -> None:
        """Forget every loader, what it cached and the files read (the request is answered)."""
        for loader in self._loaders.values():
            loader.clear_all()
        self._loaders.clear()
        self.files.clear()

    def get(self, carrier: str, what: Fetch[T]) -> CarrierLoader[T]:
        """The loader for one carrier and one batch question."""
        key = (carrier, what.name)
        loader = self._loaders.get(key)
        if loader is None:
            loader = self._loaders[key] = CarrierLoader(
                self.registry, carrier, what, self.until, self.files
            )
        return loader
