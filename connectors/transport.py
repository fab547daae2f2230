"""The one seam every carrier call goes through: a pooled httpx client per carrier.

It owns base URL, credentials, per-carrier connect/read timeouts, connection limits
and the read-retry policy, and it maps every transport failure to the connector
error tree (the most specific type, ``raise ... from exc``). The transport itself
is injectable so tests, benchmarks and faster I/O back ends plug in without any
adapter noticing.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import ssl
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import httpx

from connectors import deadline
from connectors.breaker import Breaker
from connectors.credentials import OAuth2ClientCredentialsAuth
from connectors.errors import (
    UpstreamInvalid,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.spec import ApiKeyAuth, BasicAuth, CarrierSpec, OAuth2ClientCredentials
from connectors.telemetry import BREAKER_STATE, CARRIER_RATE_LIMITED, CARRIER_RETRIES

if TYPE_CHECKING:
    from connectors.breaker import BreakerState
    from connectors.shared_redis import SharedRedis

__all__ = ["CarrierClient", "JsonPage", "TransportFactory", "shared_ssl_context"]

TransportFactory = Callable[[CarrierSpec], httpx.AsyncBaseTransport]


def _breaker_changed(carrier: str, state: BreakerState) -> None:
    BREAKER_STATE.labels(carrier).set(int(state))


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every carrier client (each costs ~50-100 ms to build)."""
    return ssl.create_default_context()


def _retry_after(response: httpx.Response) -> float | None:
    """The carrier's ``Retry-After`` in seconds (a number or an HTTP date), if it sent one."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class JsonPage:
    """A decoded JSON answer and the headers it came with."""

    __slots__ = ("body", "headers")

    def __init__(self, body: Any, headers: httpx.Headers) -> None:  # noqa: ANN401 - JSON is Any
        self.body = body
        self.headers = headers


class CarrierClient:
    """Pooled HTTP access to one carrier, with its time budget and retry policy.

    Example:
        >>> client = CarrierClient(spec)  # doctest: +SKIP
        >>> page = await client.get_json("/tmf-api/productInventory/v4/product")  # doctest: +SKIP
    """

    def __init__(
        self,
        spec: CarrierSpec,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        shared: SharedRedis | None = None,
    ) -> None:
        self.spec = spec
        self.calls = 0
        self.breaker = Breaker(spec.id, spec.breaker, shared=shared, on_change=_breaker_changed)
        BREAKER_STATE.labels(spec.id).set(0)
        self.oauth2: OAuth2ClientCredentialsAuth | None = None
        headers = {"Accept": "application/json", "User-Agent": "switchboard-gateway"}
        auth: httpx.Auth | None = None
        match spec.auth:
            case ApiKeyAuth(header=header, key=key):
                headers[header] = key
            case BasicAuth(username=username, password=password):
                auth = httpx.BasicAuth(username, password)
            case OAuth2ClientCredentials():
                auth = self.oauth2 = OAuth2ClientCredentialsAuth(
                    spec.auth, carrier=spec.id, base_url=spec.base_url
                )
            case _:
                pass
        self._client = httpx.AsyncClient(
            base_url=spec.base_url,
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(spec.timeouts.read, connect=spec.timeouts.connect),
            limits=httpx.Limits(
                max_connections=spec.max_connections,
                max_keepalive_connections=spec.max_connections,
            ),
            transport=transport,
            verify=shared_ssl_context(),
        )

    async def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        json_body: object = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
        pass_statuses: Collection[int] = frozenset(),
    ) -> httpx.Response:
        """Send one request with the carrier's budget, retrying reads per its policy.

        ``path`` is relative to the base URL, or absolute (a carrier's ``next`` link).
        ``idempotent`` says the request only reads (a SOAP or GraphQL query over POST
        does): only those are retried, after a jittered exponential back-off or the
        carrier's ``Retry-After``, and never past the operation deadline. Error statuses
        in ``pass_statuses`` are handed back unretried for the adapter to read (a SOAP
        Fault travels as HTTP 500). The carrier's circuit breaker sees every attempt.

        Raises:
            UpstreamTimeout: connect or read budget exceeded.
            UpstreamRateLimited: the carrier answered 429 and waiting is not possible.
            UpstreamUnavailable: connection failed, the carrier answered an error status,
                or its circuit breaker is open.
        """
        policy = self.spec.retry
        carrier = self.spec.id
        breaker = self.breaker
        attempts = policy.attempts if idempotent else 1
        for attempt in range(1, attempts + 1):
            await breaker.before_call()
            self.calls += 1
            try:
                response = await self._client.request(
                    method, path, params=params, content=content, json=json_body, headers=headers
                )
            except asyncio.CancelledError:
                remaining = deadline.remaining()
                if remaining is not None and remaining <= 0:
                    breaker.failure()  # cut by the deadline: the carrier did not answer in time
                raise
            except httpx.TimeoutException as exc:
                breaker.failure()
                raise UpstreamTimeout(
                    f"carrier '{carrier}' did not answer in time", carrier=carrier
                ) from exc
            except httpx.TransportError as exc:
                breaker.failure()
                if attempt < attempts and await self._pause(attempt, None):
                    continue
                raise UpstreamUnavailable(
                    f"carrier '{carrier}' could not be reached", carrier=carrier
                ) from exc
            status = response.status_code
            if status < 400 or status in pass_statuses:
                breaker.success()
                return response
            if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
                breaker.failure()
            else:  # it answered: a 4xx is the request's fault, a 429 asks us to slow down
                breaker.success()
            retry_after = _retry_after(response)
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                CARRIER_RATE_LIMITED.labels(carrier).inc()
            if (
                status in policy.statuses
                and attempt < attempts
                and await self._pause(attempt, retry_after)
            ):
                continue
            if status == HTTPStatus.TOO_MANY_REQUESTS:
                raise UpstreamRateLimited(
                    f"carrier '{carrier}' is rate limiting requests"
                    + ("" if retry_after is None else f" (retry after {retry_after:.0f} s)"),
                    carrier=carrier,
                    retry_after=retry_after,
                )
            raise UpstreamUnavailable(
                f"carrier '{carrier}' answered HTTP {status}", carrier=carrier
            )
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    async def _pause(self, attempt: int, retry_after: float | None) -> bool:
        """Wait before attempt ``attempt + 1``; False when that would pass the deadline."""
        policy = self.spec.retry
        if retry_after is not None:
            delay = retry_after
        else:
            ceiling = min(policy.max_backoff_seconds, policy.backoff_seconds * 2 ** (attempt - 1))
            delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not crypto
        remaining = deadline.remaining()
        if remaining is not None and delay >= remaining:
            return False
        CARRIER_RETRIES.labels(self.spec.id).inc()
        await asyncio.sleep(delay)
        return True

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> JsonPage:
        """GET a JSON document (numbers with a fraction decode as Decimal).

        Raises:
            UpstreamTimeout, UpstreamUnavailable: as :meth:`send`.
            UpstreamInvalid: the body is not JSON.
        """
        response = await self.send("GET", path, params=params)
        return JsonPage(self.decode_json(response), response.headers)

    def decode_json(self, response: httpx.Response) -> Any:  # noqa: ANN401 - JSON is Any
        """The JSON body of a response, or UpstreamInvalid naming the carrier."""
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError as exc:
            raise UpstreamInvalid(
                f"carrier '{self.spec.id}' sent a body that is not JSON", carrier=self.spec.id
            ) from exc

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._client.aclose()
