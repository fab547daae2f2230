"""Upstream I/O back ends for the carrier clients: httpx's own pool, aiohttp, or HTTP/1.1.

Adapters and tests only ever see the httpx API (requests, responses, auth flows, error
types); which I/O runs underneath is a deployment choice. A fan-out gateway pays the
per-call client cost dozens of times per request: :class:`AiohttpTransport` costs about a
third of httpx's own pool per GET on these machines, and ``h1``
(:class:`connectors.http1.Http1Transport`, the default) under half of that again
(``python -m bench.client``, BENCHMARKS.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import aiohttp
import httpx
import yarl

from connectors.http1 import Http1Transport
from connectors.transport import shared_ssl_context

if TYPE_CHECKING:
    import ssl

    from connectors.spec import CarrierSpec
    from connectors.transport import TransportFactory

__all__ = ["AiohttpTransport", "IoBackend", "transport_factory"]

IoBackend = Literal["aiohttp", "httpx", "h1"]

_HTTP_11 = b"HTTP/1.1"
_CONTENT_ENCODING = "Content-Encoding"
_CONTENT_TYPE = ("Content-Type",)
_TimeoutKey = tuple[float | None, float | None, float | None]


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx requests sent over one aiohttp connection pool, converted with little work.

    The request's URL is already parsed and normalized by httpx: it is handed to aiohttp
    as an encoded ``yarl.URL`` (no second parse, quoting or host check), its headers as
    they are, and its timeouts as one ``aiohttp.ClientTimeout`` per distinct budget
    (``connect`` -> ``sock_connect``, ``read`` -> ``sock_read``, ``pool`` -> aiohttp's
    ``connect``, the wait for a pooled connection). The body is read here, so the
    connection is back in the pool before httpx sees the response; aiohttp neither
    decompresses (httpx does, as with its own pool) nor keeps cookies, follows redirects
    or reads proxy settings from the environment. aiohttp's errors become httpx's
    (:func:`_httpx_error`): a refused connection is a ``ConnectError``, a silent one a
    ``ConnectTimeout`` or ``ReadTimeout``.

    The aiohttp session is opened on first use, inside the running event loop.

    Example:
        >>> transport = AiohttpTransport(limits=httpx.Limits(max_connections=20))
        >>> httpx.AsyncClient(transport=transport)  # doctest: +SKIP
    """

    def __init__(self, *, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        self._limits = limits
        self._ssl = ssl_context if ssl_context is not None else shared_ssl_context()
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[_TimeoutKey, aiohttp.ClientTimeout] = {}
        self._closed = False

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("Cannot send a request, as the transport has been closed.")
        limits = self._limits
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,  # 0: no limit, as httpx's None
            keepalive_timeout=limits.keepalive_expiry,
            ssl=self._ssl,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
        )
        return self._session

    def _timeout(self, budget: dict[str, float | None]) -> aiohttp.ClientTimeout:
        key = (budget.get("connect"), budget.get("read"), budget.get("pool"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, sock_connect=key[0], sock_read=key[1], connect=key[2]
            )
        return timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._session or self._open()
        url = request.url
        target = yarl.URL(str(url), encoded=True)
        if url.userinfo:  # httpx's own pool ignores credentials in the URL too
            target = target.with_user(None)
        headers = [(key.decode(), value.decode()) for key, value in request.headers.raw]
        data: bytes | httpx.AsyncByteStream | None
        try:
            data = request.content or None
        except httpx.RequestNotRead:  # a streamed body: aiohttp chunks it itself
            data = request.stream  # type: ignore[assignment]
            headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
        # aiohttp would label a body httpx sent without a Content-Type; send it as built.
        skip = None if data is None or "content-type" in request.headers else _CONTENT_TYPE
        try:
            answer = await session.request(
                request.method,
                target,
                headers=headers,
                data=data,
                skip_auto_headers=skip,
                allow_redirects=False,
                timeout=self._timeout(request.extensions.get("timeout", {})),
            )
            try:
                body = await answer.read()
            finally:
                answer.release()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _httpx_error(exc, request) from exc
        reason = answer.reason
        response = httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            stream=httpx.ByteStream(body),
            extensions={"http_version": _HTTP_11}
            if not reason
            else {"http_version": _HTTP_11, "reason_phrase": reason.encode("latin-1")},
        )
        if _CONTENT_ENCODING not in answer.headers:
            # Nothing for httpx to decode: the body is the content as read. httpx's
            # aread() would take it through its decoder chain to the same bytes.
            response._content = body
        return response

    async def aclose(self) -> None:
        self._closed = True  # for good: a later request raises RuntimeError
        if self._session is not None:
            await self._session.close()


def _httpx_error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception httpx's own pool would raise for an aiohttp failure."""
    message = str(exc) or type(exc).__name__
    error: type[httpx.TransportError]
    match exc:
        case aiohttp.ConnectionTimeoutError():  # connecting, or waiting for the pool
            error = httpx.ConnectTimeout
        case TimeoutError():  # aiohttp's socket read timeout is one too
            error = httpx.ReadTimeout
        case aiohttp.ClientConnectorError():  # refused, unresolvable, TLS handshake
            error = httpx.ConnectError
        case aiohttp.ServerDisconnectedError() | aiohttp.ClientResponseError():
            error = httpx.RemoteProtocolError
        case aiohttp.InvalidURL() | aiohttp.NonHttpUrlClientError():
            error = httpx.UnsupportedProtocol
        case _:  # reset mid-answer, a truncated body, any other I/O failure
            error = httpx.ReadError
    return error(message, request=request)


def transport_factory(backend: IoBackend) -> TransportFactory | None:
    """The transport factory for a back end (``None``: httpx's own pool)."""
    if backend == "httpx":
        return None
    transport = Http1Transport if backend == "h1" else AiohttpTransport

    def build(spec: CarrierSpec) -> httpx.AsyncBaseTransport:
        limits = httpx.Limits(
            max_connections=spec.max_connections, max_keepalive_connections=spec.max_connections
        )
        return transport(limits=limits, ssl_context=shared_ssl_context())

    return build
