"""Live probes: can each carrier be reached, authenticated and read right now?

``switchboard connectors check`` runs one probe per carrier: for every declared
capability it asks one batch question (for the given account numbers, or for a key
that matches nothing) and records how long it took and which error, if any, came
back. A probe only reads.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from connectors.base import (
    ACCOUNTS_BY_ID,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    QUOTES_BY_ACCOUNT,
    SERVICES_BY_ACCOUNT,
    TICKETS_BY_ACCOUNT,
    USAGE_BY_ACCOUNT,
    Fetch,
)
from connectors.errors import ConnectorError
from connectors.models import Resource

if TYPE_CHECKING:
    from collections.abc import Sequence

    from connectors.registry import Registry

__all__ = ["PROBE_KEY", "CapabilityResult", "ProbeResult", "probe"]

PROBE_KEY = "switchboard-probe"
"""Asked for when no real account is known: a healthy carrier answers with nothing."""

_QUESTIONS: dict[Resource, Fetch[object]] = {
    Resource.ACCOUNTS: ACCOUNTS_BY_ID,  # type: ignore[dict-item]
    Resource.SERVICES: SERVICES_BY_ACCOUNT,  # type: ignore[dict-item]
    Resource.INVOICES: INVOICES_BY_ACCOUNT,  # type: ignore[dict-item]
    Resource.ORDERS: ORDERS_BY_ACCOUNT,  # type: ignore[dict-item]
    Resource.TICKETS: TICKETS_BY_ACCOUNT,  # type: ignore[dict-item]
    Resource.USAGE: USAGE_BY_ACCOUNT,  # type: ignore[dict-item]
    Resource.QUOTES: QUOTES_BY_ACCOUNT,  # type: ignore[dict-item]
}


@dataclass(frozen=True, slots=True)
class CapabilityResult:
    """How one capability answered."""

    resource: Resource
    ok: bool
    records: int
    seconds: float
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """How one carrier answered every capability it declares."""

    carrier: str
    results: tuple[CapabilityResult, ...]

    @property
    def ok(self) -> bool:
        """Whether every capability answered without an error."""
        return all(r.ok for r in self.results)

    @property
    def seconds(self) -> float:
        """The slowest capability's time (they are asked concurrently)."""
        return max((r.seconds for r in self.results), default=0.0)


async def _ask(
    registry: Registry, carrier: str, resource: Resource, keys: Sequence[str]
) -> CapabilityResult:
    started = time.perf_counter()
    try:
        found = await registry.get(carrier).fetch(_QUESTIONS[resource], list(keys))
    except ConnectorError as exc:
        return CapabilityResult(
            resource, False, 0, time.perf_counter() - started, exc.code, exc.message
        )
    count = sum(len(v) for v in found.values())
    return CapabilityResult(resource, True, count, time.perf_counter() - started)


async def probe(registry: Registry, carrier: str, keys: Sequence[str] = ()) -> ProbeResult:
    """Ask every declared capability of one carrier once, concurrently."""
    spec = registry.specs[carrier]
    asked = [r for r in _QUESTIONS if r in spec.capabilities]
    results = await asyncio.gather(
        *(_ask(registry, carrier, r, keys or [PROBE_KEY]) for r in asked)
    )
    return ProbeResult(carrier, tuple(results))
