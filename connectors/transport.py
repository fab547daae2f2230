"""The one seam every carrier call goes through: pooled httpx access per carrier.

It owns base URL, credentials, per-carrier connect/read timeouts, connection limits
and the read-retry policy, and it maps every transport failure to the connector
error tree (the most specific type, ``raise ... from exc``). The transport itself
is injectable so tests, benchmarks and faster I/O back ends plug in without any
adapter noticing.

Every call is an ``httpx.Request`` through the carrier's ``httpx.Auth`` flow and an
``httpx.AsyncBaseTransport``, answered by an ``httpx.Response``, with httpx's error
types; what ``httpx.AsyncClient`` adds per call and a carrier call never uses (URL
parsing and merging repeated for every request, header models rebuilt, a cookie jar,
redirect bookkeeping, a log line) is left out: the client builds its requests from
parts parsed once and drives the auth flow and the transport itself
(``python -m bench.client`` measures the difference).
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import re
import ssl
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote_plus

import httpx
import msgspec

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
    from httpx._urlparse import ParseResult
    from prometheus_client import Counter

    from connectors.shared_redis import SharedRedis

__all__ = ["AnswerTooLarge", "CarrierClient", "JsonPage", "TransportFactory", "shared_ssl_context"]

TransportFactory = Callable[[CarrierSpec], httpx.AsyncBaseTransport]


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


_JSON = msgspec.json.Decoder(float_hook=Decimal)
_NO_BODY = httpx.ByteStream(b"")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})  # httpx sends Content-Length: 0 for these
_MAX_URL = 65_536  # httpx's limit; longer URLs take its path (and its InvalidURL)

# Characters httpx leaves as they are in a path and in a query (printable ASCII, minus
# what it percent-encodes there); '%' stays too, escape or not. URLs made only of these
# come out of httpx's parsing unchanged, so they can be assembled without it.
_PATH_CHARS = re.escape("".join(c for c in map(chr, range(0x21, 0x7F)) if c not in '"#<>?`{}'))
_QUERY_CHARS = re.escape("".join(c for c in map(chr, range(0x21, 0x7F)) if c not in '"#<>'))
_PLAIN_URL = re.compile(f"(/(?!/)[{_PATH_CHARS}]*)(?:\\?([{_QUERY_CHARS}]*))?")
_UNQUOTED = re.compile(r"[A-Za-z0-9_.\-~,]*")  # what urlencode() keeps, and "," (%2C)


def _not_json(constant: str) -> NoReturn:  # json's parse_constant hook
    raise ValueError(f"{constant} is not a JSON number")


def _client_headers(headers: Mapping[str, str]) -> httpx.Headers:
    """``headers`` over httpx.AsyncClient's defaults, merged as the client merges them."""
    merged = httpx.Headers(
        {
            "Accept": "*/*",
            "Accept-Encoding": "gzip, deflate",  # what httpx decodes without extras
            "Connection": "keep-alive",
            "User-Agent": f"python-httpx/{httpx.__version__}",
        }
    )
    merged.update(headers)
    return merged


def _urlencode(params: Mapping[str, str]) -> str | None:
    """``str(httpx.QueryParams(params))`` (urllib's urlencode) for string pairs, else None."""
    parts = []
    for key, value in params.items():
        if type(key) is not str or type(value) is not str:
            return None
        k = key.replace(",", "%2C") if _UNQUOTED.fullmatch(key) else quote_plus(key)
        v = value.replace(",", "%2C") if _UNQUOTED.fullmatch(value) else quote_plus(value)
        parts.append(f"{k}={v}")
    return "&".join(parts)


class AnswerTooLarge(httpx.RemoteProtocolError):
    """An answer whose head or body passed the transport's size limit (read no further).

    The carrier client reports it as an invalid answer at once: sending the request
    again would only download the same oversized answer again.
    """


class _Urls:
    """Request URLs against a carrier's base URL, as ``httpx.AsyncClient`` resolves them.

    httpx parses every URL it is given and the base URL again on each merge (its
    validation, quoting, host and IP address checks: most of its per-request cost). A
    URL relative to the base, or absolute on the base's own origin, that holds only
    characters httpx keeps as they are is assembled here from the base's parsed parts;
    the result equals httpx's (``tests/connectors/test_transport.py`` holds the two
    side by side), anything else is left to httpx.
    """

    __slots__ = ("_origin", "_parts", "_prefix", "base")

    def __init__(self, base_url: str) -> None:
        base = httpx.URL(base_url)
        if not base.raw_path.endswith(b"/"):  # httpx.AsyncClient's base_url rule
            base = base.copy_with(raw_path=base.raw_path + b"/")
        self.base = base
        parts = base._uri_reference  # the parsed parts httpx keeps
        plain = parts.query is None and parts.fragment is None and not parts.userinfo
        self._parts = parts if plain else None
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._prefix = parts.path or "/"  # an empty path is "/" (httpx's raw_path)

    def _plain(
        self, parts: ParseResult, url: str, params: Mapping[str, str] | None
    ) -> tuple[str | None, str | None]:
        """Path and query of a URL httpx would keep as it is; (None, None) otherwise."""
        if url.startswith("/"):  # relative: appended to the base path
            match = _PLAIN_URL.fullmatch(url)
            if match is None:
                return None, None
            path = self._prefix + match[1][1:]
        elif url.startswith(self._origin):  # absolute, on the base's own origin
            match = _PLAIN_URL.fullmatch(url, len(self._origin))
            if match is None:
                return None, None
            path = match[1]
        else:
            return None, None
        if "/." in path:  # maybe a dot segment: httpx would remove it
            return None, None
        if params is None:
            return path, match[2]
        if not params:  # httpx drops the query for empty params
            return path, None
        query = _urlencode(params)
        return (None, None) if query is None else (path, query)

    def resolve(self, url: str, params: Mapping[str, str] | None) -> tuple[httpx.URL, bool]:
        """The URL to request, and whether it was built here (so on the base's origin)."""
        parts = self._parts
        if parts is not None and len(url) < _MAX_URL:
            path, query = self._plain(parts, url, params)
            if path is not None:
                resolved = httpx.URL.__new__(httpx.URL)
                resolved._uri_reference = parts._replace(path=path, query=query)
                return resolved, True
        merged = httpx.URL(url)
        if merged.is_relative_url:
            base = self.base
            merged = base.copy_with(raw_path=base.raw_path + merged.raw_path.lstrip(b"/"))
        if params is not None:
            merged = merged.copy_with(params=params)
        return merged, False


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
        gauge = BREAKER_STATE.labels(spec.id)  # labelled once, not at every change
        gauge.set(0)
        self.breaker = Breaker(
            spec.id, spec.breaker, shared=shared, on_change=lambda _, state: gauge.set(int(state))
        )
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
        self._auth = auth
        self._urls = _Urls(spec.base_url)
        self._headers = _client_headers(headers)
        self._host_headers = httpx.Headers([(b"Host", self._urls.base.netloc), *self._headers.raw])
        timeout = httpx.Timeout(spec.timeouts.read, connect=spec.timeouts.connect)
        self._extensions: dict[str, Any] = {"timeout": timeout.as_dict()}
        if transport is None:  # httpx's own pool, configured as httpx.AsyncClient would
            transport = httpx.AsyncHTTPTransport(
                verify=shared_ssl_context(),
                limits=httpx.Limits(
                    max_connections=spec.max_connections,
                    max_keepalive_connections=spec.max_connections,
                ),
            )
        self._transport = transport
        self._closed = False
        self._rate_limited: Counter | None = None  # labelled metric children, made on first use
        self._retries: Counter | None = None

    def _request(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        content: bytes | None,
        json_body: object,
        headers: Mapping[str, str] | None,
    ) -> httpx.Request:
        """The request ``httpx.AsyncClient.build_request`` would build, built for less.

        A relative URL or one on the carrier's own origin, made of characters httpx
        would not re-encode, is assembled from the base URL's parsed parts; the common
        bodiless request reuses the client's headers (``Host`` included) as they stand.
        Anything else goes through httpx's own URL merging and request encoding.
        """
        resolved, own_origin = self._urls.resolve(url, params)
        method = method.upper()
        if (
            own_origin
            and content is None
            and json_body is None
            and headers is None
            and method not in _BODY_METHODS
        ):
            request = httpx.Request(
                method,
                resolved,
                headers=self._host_headers,
                stream=_NO_BODY,
                extensions=self._extensions,
            )
            request.read()  # as httpx.Request(content=None) leaves it: read, and empty
            return request
        merged = self._headers.copy()
        if headers:
            merged.update(headers)
        return httpx.Request(
            method,
            resolved,
            headers=merged,
            content=content,
            json=json_body,
            extensions=self._extensions,
        )

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """Send a request through the auth flow and the transport; the body is read.

        What ``httpx.AsyncClient.send`` does for a carrier client, less what no carrier
        call uses (cookie persistence, event hooks, redirect bookkeeping, a log line per
        request): the auth flow sees every response and may answer it with another
        request (a token fetch, a retry with a fresh token); those requests get the
        carrier's timeouts too. A response is closed if anything fails before it is
        handed back.
        """
        if self._closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        auth = self._auth
        transport = self._transport
        if auth is None and request.url.userinfo:  # as httpx: URL credentials are Basic
            url = request.url
            auth = httpx.BasicAuth(url.username, url.password)
        if auth is None:
            response = await transport.handle_async_request(request)
            response.request = request
            try:
                await response.aread()
            except BaseException:
                await response.aclose()
                raise
            return response
        flow = auth.async_auth_flow(request)
        try:
            request = await flow.__anext__()
            while True:
                if "timeout" not in request.extensions:
                    request.extensions["timeout"] = self._extensions["timeout"]
                response = await transport.handle_async_request(request)
                response.request = request
                try:
                    try:
                        request = await flow.asend(response)
                    except StopAsyncIteration:
                        await response.aread()
                        return response
                    await response.aread()
                except BaseException:
                    await response.aclose()
                    raise
        finally:
            await flow.aclose()

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
                response = await self._exchange(
                    self._request(method, path, params, content, json_body, headers)
                )
            except asyncio.CancelledError:
                remaining = deadline.remaining()
                if remaining is not None and remaining <= 0:
                    breaker.failure()  # cut by the deadline: the carrier did not answer in time
                raise
            except AnswerTooLarge as exc:
                breaker.failure()
                raise UpstreamInvalid(
                    f"carrier '{carrier}' sent an answer too large to read ({exc})",
                    carrier=carrier,
                ) from exc
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
                if self._rate_limited is None:
                    self._rate_limited = CARRIER_RATE_LIMITED.labels(carrier)
                self._rate_limited.inc()
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
        if self._retries is None:
            self._retries = CARRIER_RETRIES.labels(self.spec.id)
        self._retries.inc()
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
        """The JSON body of a response, or UpstreamInvalid naming the carrier.

        Numbers with a fraction or an exponent decode as ``Decimal`` (from their text:
        money stays exact), integers as ``int``. msgspec decodes the UTF-8 JSON carriers
        send; what it refuses is read again by ``json.loads``, which also takes a byte
        order mark, UTF-16 or UTF-32 and lone surrogate escapes. ``NaN`` and
        ``Infinity`` are not JSON and neither decoder takes them.
        """
        body = response.content
        try:
            return _JSON.decode(body)
        except (msgspec.DecodeError, RecursionError):
            pass  # json.loads below reads what msgspec refuses, or says why it is not JSON
        try:
            return json.loads(body, parse_float=Decimal, parse_constant=_not_json)
        except (ValueError, RecursionError) as exc:
            raise UpstreamInvalid(
                f"carrier '{self.spec.id}' sent a body that is not JSON", carrier=self.spec.id
            ) from exc

    async def aclose(self) -> None:
        """Close pooled connections."""
        self._closed = True
        await self._transport.aclose()
