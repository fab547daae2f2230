"""Upstream I/O back ends for the carrier clients: httpx's own, or aiohttp under httpx.

Adapters and tests only ever see the httpx API; which I/O runs underneath is a
deployment choice. A fan-out gateway pays the per-call client cost dozens of times
per request, and aiohttp's I/O costs about half of httpcore's per GET on these
machines (ARCHITECTURE.md, BENCHMARKS.md), so it is the default.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Literal

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from connectors.transport import shared_ssl_context

if TYPE_CHECKING:
    from connectors.spec import CarrierSpec
    from connectors.transport import TransportFactory

__all__ = ["IoBackend", "transport_factory"]

IoBackend = Literal["aiohttp", "httpx"]


class _AiohttpTransport(AiohttpTransport):
    """httpx-aiohttp with connection failures kept apart from timeouts.

    The library maps every ``aiohttp.ClientConnectionError`` to ``httpx.ConnectTimeout``,
    so a refused connection would read as a timeout; it is a connection error.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.ConnectTimeout as exc:
            cause = exc.__cause__
            if isinstance(cause, aiohttp.ClientConnectionError) and not isinstance(
                cause, aiohttp.ServerTimeoutError | asyncio.TimeoutError
            ):
                raise httpx.ConnectError(str(exc), request=request) from cause
            raise


def transport_factory(backend: IoBackend) -> TransportFactory | None:
    """The transport factory for a back end (``None``: httpx's own pool)."""
    if backend == "httpx":
        return None

    def build(spec: CarrierSpec) -> httpx.AsyncBaseTransport:
        limits = httpx.Limits(
            max_connections=spec.max_connections, max_keepalive_connections=spec.max_connections
        )
        return _AiohttpTransport(limits=limits, trust_env=False, verify=shared_ssl_context())

    return build
