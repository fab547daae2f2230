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
import ssl
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from typing import Any

import httpx

from connectors.credentials import OAuth2ClientCredentialsAuth
from connectors.errors import UpstreamInvalid, UpstreamTimeout, UpstreamUnavailable
from connectors.spec import ApiKeyAuth, BasicAuth, CarrierSpec, OAuth2ClientCredentials

__all__ = ["CarrierClient", "JsonPage", "TransportFactory", "shared_ssl_context"]

TransportFactory = Callable[[CarrierSpec], httpx.AsyncBaseTransport]


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every carrier client (each costs ~50-100 ms to build)."""
    return ssl.create_default_context()


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
        self, spec: CarrierSpec, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.spec = spec
        self.calls = 0
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
        does): only those are retried. Error statuses in ``pass_statuses`` are handed back
        unretried for the adapter to read (a SOAP Fault travels as HTTP 500).

        Raises:
            UpstreamTimeout: connect or read budget exceeded.
            UpstreamUnavailable: connection failed or the carrier answered an error status.
        """
        policy = self.spec.retry
        carrier = self.spec.id
        attempts = policy.attempts if idempotent else 1
        for attempt in range(1, attempts + 1):
            self.calls += 1
            try:
                response = await self._client.request(
                    method, path, params=params, content=content, json=json_body, headers=headers
                )
            except httpx.TimeoutException as exc:
                # Never retried: a hung carrier would otherwise cost its budget twice.
                raise UpstreamTimeout(
                    f"carrier '{carrier}' did not answer in time", carrier=carrier
                ) from exc
            except httpx.TransportError as exc:
                if attempt < attempts:
                    await asyncio.sleep(policy.backoff_seconds * attempt)
                    continue
                raise UpstreamUnavailable(
                    f"carrier '{carrier}' could not be reached", carrier=carrier
                ) from exc
            status = response.status_code
            if status >= 400 and status not in pass_statuses:
                if status in policy.statuses and attempt < attempts:
                    await asyncio.sleep(policy.backoff_seconds * attempt)
                    continue
                raise UpstreamUnavailable(
                    f"carrier '{carrier}' answered HTTP {status}", carrier=carrier
                )
            return response
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

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
