"""A lean HTTP/1.1 client under the carrier clients' httpx requests: asyncio and httptools.

Carrier calls are the gateway's biggest CPU cost per request, and most of what is left
after ``CarrierClient`` is the I/O library's own machinery (aiohttp's request and
response objects, its stream readers, its timers, its connector). Carriers speak plain
HTTP/1.1, answer with small bodies and are called with one connection per request in
flight, so :class:`Http1Transport` does only that: one ``asyncio.Protocol`` per
connection, ``httptools`` (llhttp) parsing the answer in the protocol callbacks, the
request written as httpx built it in one ``transport.write``, and the body read into the
``httpx.Response``: under half the CPU per GET of the aiohttp transport
(``python -m bench.client``), so it is the default back end (``upstream_io=h1``).

It keeps alive pooled connections per origin, up to ``Limits.max_connections`` in all,
and never reuses one that the answer, an error or a cancellation left in doubt; a GET or
HEAD that finds a pooled connection closed by the server while idle is sent again, once,
on a new one. It does not decompress (httpx does, as over its own pool), keeps no
cookies, follows no redirects and, like the other back ends, reads no proxy settings
from the environment: carriers are called directly.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from typing import TYPE_CHECKING, Any

import httptools
import httpx

from connectors.transport import AnswerTooLarge, shared_ssl_context

if TYPE_CHECKING:
    import ssl

__all__ = ["MAX_BODY_BYTES", "MAX_HEAD_BYTES", "Http1Transport"]

# What one answer may take in memory. The head: httpx's own pool (h11 under httpcore)
# allows 100 KiB too. The body: the whole of it is held until the answer is complete.
MAX_HEAD_BYTES = 100 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024

_DEFAULT_PORTS = {"http": 80, "https": 443}
_RETRIED = frozenset({"GET", "HEAD"})  # resent once when a pooled connection was stale
_NO_TIMEOUTS: dict[str, float | None] = {}
_VERSIONS = {"1.1": b"HTTP/1.1", "1.0": b"HTTP/1.0"}
_CONTENT_ENCODING = b"content-encoding"
_CONTENT_LENGTH = b"content-length"
_NO_BODY_STATUSES = frozenset({204, 304})
_LENGTH_HEADERS = frozenset({b"content-length", b"transfer-encoding"})

# What one exchange hands back: status, reason, HTTP version, raw headers, body, whether
# the body is encoded (httpx decodes it), and whether the connection may be kept alive.
_Answer = tuple[int, bytes, bytes, list[tuple[bytes, bytes]], bytes, bool, bool]


class _Stale(Exception):
    """A pooled connection turned out closed before the request was written."""


class _Origin:
    """Where one (scheme, host, port) connects, and its idle connections (newest last)."""

    __slots__ = ("host", "idle", "port", "server_hostname", "ssl")

    def __init__(self, host: str, port: int, ssl_context: ssl.SSLContext | None) -> None:
        self.host = host
        self.port = port
        self.ssl = ssl_context
        self.server_hostname = host if ssl_context is not None else None
        self.idle: list[_Connection] = []


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: one exchange at a time, parsed as the bytes arrive."""

    __slots__ = (
        "_body",
        "_body_size",
        "_encoded",
        "_head_only",
        "_head_size",
        "_headers",
        "_headers_done",
        "_last",
        "_length",
        "_loop",
        "_max_body",
        "_max_head",
        "_paused",
        "_pool",
        "_read_timeout",
        "_reason",
        "_request",
        "_timer",
        "_waiter",
        "_writable",
        "idle",
        "idle_since",
        "lost",
        "origin",
        "parser",
        "received",
        "retired",
        "transport",
    )

    def __init__(
        self, pool: Http1Transport, origin: _Origin, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._pool = pool
        self.origin = origin
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.lost = False  # connection_lost was called
        self.retired = False  # closed, its pool slot given back
        self.idle = False  # parked in origin.idle
        self.idle_since = 0.0
        self.received = False  # a byte of the current answer arrived
        self._waiter: asyncio.Future[_Answer] | None = None
        self._request: httpx.Request | None = None
        self._head_only = False
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._reason = b""
        self._encoded = False
        self._headers_done = False
        self._read_timeout: float | None = None
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._paused = False
        self._writable: asyncio.Future[None] | None = None
        self._max_head = pool._max_head
        self._max_body = pool._max_body
        self._head_size = 0  # bytes received while the answer's head was incomplete
        self._body_size = 0
        self._length: bytes | None = None  # the answer's Content-Length

    # asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a stream transport

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # nothing was asked: a server out of step
            self.abort()
            return
        self.received = True
        if self._timer is not None:
            self._last = self._loop.time()
        if not self._headers_done:
            self._head_size += len(data)
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            self._fail(httpx.RemoteProtocolError, f"malformed HTTP response: {exc}")
            self.abort()
            return
        if not self._headers_done and self._head_size > self._max_head:
            # httptools keeps a header's name and value until they end: held in check here
            self._refuse(f"the response head is longer than {self._max_head} bytes")

    def eof_received(self) -> bool:
        if self._waiter is not None:
            if (
                self._headers_done
                and self.parser.get_status_code() >= 200  # not an interim answer's end
                and not any(name.lower() in _LENGTH_HEADERS for name, _ in self._headers)
            ):  # delimited by the close: the body is complete
                self._finish(keep_alive=False)
            else:
                self._fail(
                    httpx.RemoteProtocolError,
                    "server disconnected without sending a complete response",
                )
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self._waiter is not None:
            if exc is None:
                self._fail(
                    httpx.RemoteProtocolError,
                    "server disconnected without sending a complete response",
                )
            else:
                self._fail(httpx.ReadError, str(exc) or type(exc).__name__)
        writable = self._writable
        if writable is not None and not writable.done():
            writable.set_result(None)  # the writer sees the connection gone
        self._stop_timer()
        if self.idle:  # closed by the server while pooled: its slot is free again
            self._pool._drop(self)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        writable = self._writable
        if writable is not None and not writable.done():
            writable.set_result(None)

    # httptools callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._waiter is None:  # more after the answer, in the same segment: out of step
            self.abort()
            return
        self._headers = []
        self._body = []
        self._reason = b""
        self._encoded = False
        self._headers_done = False
        self._body_size = 0
        self._length = None

    def on_status(self, reason: bytes) -> None:
        self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))
        if len(name) == 16 and name.lower() == _CONTENT_ENCODING:
            self._encoded = True
        elif len(name) == 14 and name.lower() == _CONTENT_LENGTH:
            self._length = value  # digits: llhttp refuses anything else

    def on_headers_complete(self) -> None:
        self._headers_done = True
        status = self.parser.get_status_code()
        length = self._length
        if (
            length is not None
            and not self._head_only
            and status >= 200
            and status not in _NO_BODY_STATUSES
            and int(length) > self._max_body
        ):
            self._refuse(f"the response body is longer than {self._max_body} bytes")
            return
        if self._head_only and status >= 200:
            # A HEAD answer has no body whatever its headers say; llhttp cannot be told
            # so, so the answer ends here and the connection gets a fresh parser.
            self._finish(keep_alive=self.parser.should_keep_alive())
            self.parser = httptools.HttpResponseParser(self)

    def on_body(self, body: bytes) -> None:
        if self._waiter is None:  # a body to a HEAD answer, after its end: out of step
            self.abort()
            return
        self._body_size += len(body)
        if self._body_size > self._max_body:  # without a Content-Length, or beyond it
            self._refuse(f"the response body is longer than {self._max_body} bytes")
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self.parser.get_status_code() >= 200:  # 1xx: interim, skipped
            self._finish(keep_alive=self.parser.should_keep_alive())

    # the exchange ----------------------------------------------------------------------

    def _finish(self, *, keep_alive: bool) -> None:
        waiter = self._waiter
        if waiter is None:
            return
        self._waiter = None
        if waiter.done():  # cancelled: the caller has gone
            return
        body = self._body
        parser = self.parser
        waiter.set_result(
            (
                parser.get_status_code(),
                self._reason,
                _VERSIONS.get(parser.get_http_version(), b"HTTP/1.1"),
                self._headers,
                body[0] if len(body) == 1 else b"".join(body),
                self._encoded,
                keep_alive,
            )
        )

    def _fail(self, error: type[httpx.TransportError], message: str) -> None:
        waiter = self._waiter
        if waiter is None:
            return
        self._waiter = None
        if not waiter.done():
            waiter.set_exception(error(message, request=self._request))

    def _refuse(self, message: str) -> None:
        """End the exchange with an answer too large to take in, and the connection."""
        self._fail(AnswerTooLarge, message)
        self.abort()

    def _stop_timer(self) -> None:
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()

    def _on_timer(self) -> None:
        # Inactivity: re-armed here, at the last byte plus the timeout, rather than on
        # every chunk received or every exchange; it lapses on an idle connection (and
        # is cancelled when the connection is closed).
        self._timer = None
        timeout = self._read_timeout
        if self._waiter is None or timeout is None:
            return
        due = self._last + timeout
        if due > self._loop.time():
            self._timer = self._loop.call_at(due, self._on_timer)
            return
        self._fail(httpx.ReadTimeout, "timed out waiting for the response")
        self.abort()

    async def exchange(
        self,
        request: httpx.Request,
        data: bytes,
        stream: httpx.AsyncByteStream | None,
        chunked: bool,
        read_timeout: float | None,
    ) -> _Answer:
        """Write the request, then wait for its whole answer."""
        transport = self.transport
        if self.lost or transport is None or transport.is_closing():
            raise _Stale  # nothing was written: safe to send anew whatever the method
        loop = self._loop
        waiter: asyncio.Future[_Answer] = loop.create_future()
        self._waiter = waiter
        self._request = request
        self._head_only = request.method == "HEAD"
        self.received = False
        # What the last exchange parsed is no part of this one: a close before this
        # answer's first byte must not find its headers "done" (a 204 read as this answer).
        self._headers_done = False
        self._headers = []
        self._body = []
        self._head_size = 0
        # A timer armed by an earlier exchange reads these when it fires: this
        # exchange's timeout (None: it lapses), counted from now at the earliest.
        self._read_timeout = read_timeout
        self._last = loop.time()
        try:
            transport.write(data)
            if stream is not None:
                await self._send_stream(transport, stream, request, chunked=chunked)
            if read_timeout is not None and not waiter.done():
                self._last = now = loop.time()
                # A timer left armed by an earlier exchange re-arms itself from _last
                # when it fires; a new one is only needed if it would fire too late.
                timer = self._timer
                if timer is None or timer.when() > now + read_timeout:
                    if timer is not None:
                        timer.cancel()
                    self._timer = loop.call_at(now + read_timeout, self._on_timer)
            return await waiter
        finally:
            self._waiter = None
            self._request = None

    async def _send_stream(
        self,
        transport: asyncio.Transport,
        stream: httpx.AsyncByteStream,
        request: httpx.Request,
        *,
        chunked: bool,
    ) -> None:
        async for chunk in stream:
            if chunk:
                transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                await self._drain(request)
        if chunked:
            transport.write(b"0\r\n\r\n")

    async def _drain(self, request: httpx.Request) -> None:
        if self.lost:
            raise httpx.WriteError("the connection was closed", request=request)
        if not self._paused:
            return
        self._writable = self._loop.create_future()
        try:
            await self._writable
        finally:
            self._writable = None
        if self.lost:
            raise httpx.WriteError("the connection was closed", request=request)

    def abort(self) -> None:
        self._stop_timer()
        transport = self.transport
        if transport is not None:
            transport.abort()


class Http1Transport(httpx.AsyncBaseTransport):
    """httpx requests sent over pooled HTTP/1.1 connections, parsed by httptools.

    Timeouts come from the request as httpx gives them: ``connect`` covers TCP and TLS,
    ``read`` is the longest silence while an answer is awaited, ``pool`` the longest
    wait for a connection when ``Limits.max_connections`` are all busy. Idle
    connections expire after ``Limits.keepalive_expiry`` and at most
    ``Limits.max_keepalive_connections`` of them are kept per origin. Failures are httpx's
    exceptions, as httpx's own pool raises them: a refused or unresolvable host or a
    failed TLS handshake is a ``ConnectError``, silence a ``ConnectTimeout``,
    ``ReadTimeout`` or ``PoolTimeout``, a closed connection or a malformed answer a
    ``RemoteProtocolError``, a reset mid-answer a ``ReadError``. An answer whose head
    exceeds ``max_head_bytes`` or whose body exceeds ``max_body_bytes`` (announced by its
    Content-Length, or as it arrives) is a ``RemoteProtocolError`` too, and its
    connection is closed: what one answer holds in memory is bounded.

    Example:
        >>> transport = Http1Transport(limits=httpx.Limits(max_connections=20))
        >>> httpx.AsyncClient(transport=transport)  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_head_bytes: int = MAX_HEAD_BYTES,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        limits = limits if limits is not None else httpx.Limits()
        self._max_head = max_head_bytes
        self._max_body = max_body_bytes
        self._max = limits.max_connections
        self._max_idle = limits.max_keepalive_connections
        self._expiry = limits.keepalive_expiry
        self._ssl = ssl_context if ssl_context is not None else shared_ssl_context()
        self._origins: dict[tuple[str, str, int | None], _Origin] = {}
        self._connections: set[_Connection] = set()
        self._count = 0  # connections open or opening: at most self._max
        self._waiters: collections.deque[
            tuple[_Origin, bool, asyncio.Future[_Connection | None]]
        ] = collections.deque()
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("Cannot send a request, as the transport has been closed.")
        url = request.url
        parts = url._uri_reference  # the parsed parts httpx keeps
        origin = self._origins.get((parts.scheme, parts.host, parts.port))
        if origin is None:
            origin = self._origin(request)
        data = _head(request)
        stream: httpx.AsyncByteStream | None = None
        chunked = False
        try:
            content = request.content
        except httpx.RequestNotRead:  # a streamed body: sent as it comes
            stream = request.stream  # type: ignore[assignment]
            chunked = _is_chunked(request)  # httpx's choice; else it set Content-Length
        else:
            if content:
                data += content
        timeouts: dict[str, float | None] = request.extensions.get("timeout", _NO_TIMEOUTS)
        read_timeout = timeouts.get("read")
        may_retry = stream is None and request.method in _RETRIED
        fresh = False
        while True:
            conn, reused = await self._acquire(origin, request, timeouts, fresh=fresh)
            try:
                status, reason, version, headers, body, encoded, keep_alive = await conn.exchange(
                    request, data, stream, chunked, read_timeout
                )
            except _Stale:  # closed while pooled, seen before anything was written
                self._drop(conn)
                if fresh:
                    raise httpx.RemoteProtocolError(
                        "the connection was closed", request=request
                    ) from None
                fresh = True
                continue
            except (httpx.RemoteProtocolError, httpx.ReadError):
                self._drop(conn)
                if fresh or not (reused and may_retry) or conn.received:
                    raise
                fresh = True  # the server closed it while it was idle: once more, anew
                continue
            except BaseException:  # a timeout, a cancellation: the connection is in doubt
                self._drop(conn)
                raise
            break
        self._release(conn, keep_alive=keep_alive)
        response = httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(body),
            extensions={"http_version": version}
            if not reason
            else {"http_version": version, "reason_phrase": reason},
        )
        if not encoded:
            # Nothing for httpx to decode: the body is the content as read. httpx's
            # aread() would take it through its decoder chain to the same bytes.
            response._content = body
        return response

    def _origin(self, request: httpx.Request) -> _Origin:
        parts = request.url._uri_reference
        scheme = parts.scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme}://'.", request=request
            )
        if not parts.host:
            raise httpx.UnsupportedProtocol("Request URL is missing a host.", request=request)
        port = parts.port if parts.port is not None else _DEFAULT_PORTS[scheme]
        origin = _Origin(parts.host, port, self._ssl if scheme == "https" else None)
        self._origins[scheme, parts.host, parts.port] = origin
        return origin

    # the pool --------------------------------------------------------------------------

    async def _acquire(
        self,
        origin: _Origin,
        request: httpx.Request,
        timeouts: dict[str, float | None],
        *,
        fresh: bool,
    ) -> tuple[_Connection, bool]:
        """A connection for ``origin`` (pooled unless ``fresh``), and whether it was pooled."""
        if not fresh:
            idle = origin.idle
            while idle:
                conn = idle.pop()
                conn.idle = False
                if conn.lost or conn.transport is None or conn.transport.is_closing():
                    self._drop(conn)
                    continue
                if self._expiry is not None and (
                    conn._loop.time() - conn.idle_since > self._expiry
                ):
                    self._drop(conn)
                    continue
                return conn, True
        if self._max is None or self._count < self._max:
            self._count += 1
        elif not self._close_an_idle_connection():
            conn_or_slot = await self._wait(origin, request, timeouts.get("pool"), fresh=fresh)
            if conn_or_slot is not None:
                return conn_or_slot, True
            # else a slot was handed over: counted already
        try:
            conn = await self._connect(origin, request, timeouts.get("connect"))
        except BaseException:
            self._free_slot()
            raise
        return conn, False

    def _close_an_idle_connection(self) -> bool:
        """Close the oldest idle connection to make room; its slot is taken over."""
        oldest: _Connection | None = None
        for origin in self._origins.values():
            if origin.idle and (oldest is None or origin.idle[0].idle_since < oldest.idle_since):
                oldest = origin.idle[0]
        if oldest is None:
            return False
        oldest.origin.idle.remove(oldest)
        oldest.idle = False
        self._retire(oldest)
        return True

    async def _wait(
        self, origin: _Origin, request: httpx.Request, patience: float | None, *, fresh: bool
    ) -> _Connection | None:
        """Wait for a connection to ``origin`` or a free slot (None) as they are released."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[_Connection | None] = loop.create_future()
        entry = (origin, fresh, waiter)
        self._waiters.append(entry)
        timer = None if patience is None else loop.call_later(patience, _expire, waiter)
        try:
            return await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                handed = waiter.result()  # handed over just as this wait ended: give it back
                if handed is None:
                    self._free_slot()
                else:
                    self._release(handed, keep_alive=True)
            else:
                with contextlib.suppress(ValueError):  # gone if aclose() ended the wait
                    self._waiters.remove(entry)
            if isinstance(exc, TimeoutError):
                raise httpx.PoolTimeout(
                    "timed out waiting for a connection from the pool", request=request
                ) from exc
            raise
        finally:
            if timer is not None:
                timer.cancel()

    async def _connect(
        self, origin: _Origin, request: httpx.Request, within: float | None
    ) -> _Connection:
        loop = asyncio.get_running_loop()
        conn = _Connection(self, origin, loop)
        try:
            async with asyncio.timeout(within):
                await loop.create_connection(
                    lambda: conn,
                    origin.host,
                    origin.port,
                    ssl=origin.ssl,
                    server_hostname=origin.server_hostname,
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(
                f"timed out connecting to {origin.host}:{origin.port}", request=request
            ) from exc
        except OSError as exc:  # refused, unresolvable, TLS handshake (ssl.SSLError)
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        if self._closed:  # closed while connecting
            conn.abort()
            raise RuntimeError("Cannot send a request, as the transport has been closed.")
        self._connections.add(conn)
        return conn

    def _release(self, conn: _Connection, *, keep_alive: bool) -> None:
        """Back to the pool (or straight to a waiter) after a complete exchange."""
        transport = conn.transport
        if (
            not keep_alive
            or self._closed
            or conn.lost
            or transport is None
            or transport.is_closing()
        ):
            self._drop(conn)
            return
        waiters = self._waiters
        while waiters:
            origin, fresh, waiter = waiters.popleft()
            if waiter.done():
                continue
            if origin is conn.origin and not fresh:
                waiter.set_result(conn)
            else:  # another origin waits: this slot becomes its new connection
                self._retire(conn)
                waiter.set_result(None)
            return
        idle = conn.origin.idle
        if self._max_idle is not None and len(idle) >= self._max_idle:
            self._drop(conn)
            return
        conn.idle = True
        conn.idle_since = conn._loop.time()
        idle.append(conn)

    def _retire(self, conn: _Connection) -> None:
        """Close a connection without giving its slot back (the caller passes it on)."""
        conn.retired = True
        conn.abort()
        self._connections.discard(conn)

    def _drop(self, conn: _Connection) -> None:
        """Close a connection for good and give its slot to the next waiter."""
        if conn.retired:
            return
        if conn.idle:
            conn.idle = False
            conn.origin.idle.remove(conn)
        self._retire(conn)
        self._free_slot()

    def _free_slot(self) -> None:
        waiters = self._waiters
        while waiters:
            _, _, waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to it: the count stays
                return
        self._count -= 1

    async def aclose(self) -> None:
        self._closed = True  # for good: a later request raises RuntimeError
        while self._waiters:  # first, so no closed connection's slot is handed to them
            _, _, waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(
                    RuntimeError("Cannot send a request, as the transport has been closed.")
                )
        for conn in list(self._connections):
            self._drop(conn)
        await asyncio.sleep(0)  # the aborted transports' connection_lost runs now


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _is_chunked(request: httpx.Request) -> bool:
    value: str = request.headers.get("transfer-encoding", "")
    return value.lower() == "chunked"


def _head(request: httpx.Request) -> bytes:
    """Request line and headers, as httpx built them (``Host`` first, added if missing)."""
    url = request.url
    fields = request.headers._list
    head = [b"%b %b HTTP/1.1\r\n" % (request.method.encode("ascii"), url.raw_path)]
    if (not fields or fields[0][1] != b"host") and not any(k == b"host" for _, k, _ in fields):
        head.append(b"Host: %b\r\n" % url.netloc)
    head += [b"%b: %b\r\n" % (name, value) for name, _, value in fields]
    head.append(b"\r\n")
    data = b"".join(head)
    # One line per header, the request line and the blank one: a CR or LF inside a
    # name, value or the target would make more (and smuggle a header in).
    if data.count(b"\n") != len(head) or data.count(b"\r") != len(head):
        raise httpx.LocalProtocolError("illegal line break in the request head", request=request)
    return data
