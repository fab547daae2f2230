"""The HTTP/1.1 transport against raw servers on loopback that misbehave on purpose.

``tests/connectors/test_transport.py`` and the protocol suites hold it to the same
assertions as the other back ends against real ASGI servers; these tests cover what a
well-behaved server never does: silence, garbage, connections closed or reset mid-answer
or while pooled, ``Connection: close``, HTTP/1.0, interim answers, a full pool, a
cancelled call, TLS.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gzip
import ipaddress
import random
import socket
import ssl
import struct
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors import http1
from connectors.errors import UpstreamInvalid
from connectors.http1 import Http1Transport
from connectors.registry import CARRIERS_DIR, load_specs
from connectors.specs.common import RetryPolicy
from connectors.transport import AnswerTooLarge, CarrierClient

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    Handler = Callable[["Peer"], Awaitable[None]]


class Peer:
    """One accepted connection, with helpers to read requests and write raw bytes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int):
        self.reader = reader
        self.writer = writer
        self.n = n  # 0 for the server's first connection

    async def request(self) -> tuple[bytes, bytes] | None:
        """The next request's head and body (Content-Length or chunked), None at EOF."""
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        lines = head.lower().split(b"\r\n")
        length = next((int(h[15:]) for h in lines if h.startswith(b"content-length:")), 0)
        if b"transfer-encoding: chunked" in lines:
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n"))[:-2], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    return head, body
                body += chunk[:-2]
        return head, await self.reader.readexactly(length)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0) rather than a FIN."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


class RawServer:
    """An asyncio server on a free 127.0.0.1 port running ``handler`` per connection."""

    def __init__(self, handler: Handler, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.ssl = ssl_context
        self.accepted = 0
        self.open = 0
        self.most_open = 0
        self.closed = asyncio.Event()  # set each time a connection ends
        self.tasks: set[asyncio.Task[None]] = set()
        self.url = ""

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl)
        port = self.server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self.ssl else 'http'}://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        peer = Peer(reader, writer, self.accepted)
        self.accepted += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            await self.handler(peer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: what some tests do on purpose
        finally:
            self.open -= 1
            writer.transport.abort()
            self.closed.set()
            self.tasks.discard(task)


def ok(body: bytes = b"ok", *extra: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n" % len(body)
    return head + b"".join(e + b"\r\n" for e in extra) + b"\r\n" + body


async def answer_all(peer: Peer) -> None:
    """Keep-alive: answer every request with its request line as the body."""
    while (got := await peer.request()) is not None:
        await peer.send(ok(got[0].split(b"\r\n", 1)[0]))


def h1(**limits: float | None) -> Http1Transport:
    return Http1Transport(limits=httpx.Limits(**limits))  # type: ignore[arg-type]


async def get(
    transport: Http1Transport, url: str, method: str = "GET", **kw: Any
) -> httpx.Response:
    timeout = kw.pop("timeout", httpx.Timeout(5.0))
    request = httpx.Request(method, url, extensions={"timeout": timeout.as_dict()}, **kw)
    response = await transport.handle_async_request(request)
    await response.aread()
    return response


# keep-alive and the pool ---------------------------------------------------------------


async def test_one_connection_serves_several_requests():
    transport = h1()
    async with RawServer(answer_all) as server:
        try:
            bodies = [(await get(transport, f"{server.url}/{i}?q=1")).content for i in range(4)]
        finally:
            await transport.aclose()
    assert bodies == [b"GET /%d?q=1 HTTP/1.1" % i for i in range(4)]
    assert server.accepted == 1


async def test_the_request_goes_out_as_httpx_built_it():
    heads = []

    async def record(peer: Peer) -> None:
        while (got := await peer.request()) is not None:
            heads.append(got)
            await peer.send(ok())

    transport = h1()
    async with RawServer(record) as server:
        try:
            await get(transport, f"{server.url.replace('://', '://u:pw@')}/a%20b?x=1,2")
            await get(transport, f"{server.url}/post", "POST", content=b"<Envelope/>")
        finally:
            await transport.aclose()
    port = server.url.rsplit(":", 1)[1]
    assert heads[0] == (
        b"GET /a%20b?x=1,2 HTTP/1.1\r\nHost: 127.0.0.1:" + port.encode() + b"\r\n\r\n",
        b"",
    )  # the URL's credentials are not sent, as over httpx's own pool
    assert heads[1][0].startswith(b"POST /post HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"\r\nContent-Length: 11\r\n" in heads[1][0]
    assert heads[1][1] == b"<Envelope/>"


async def test_a_streamed_body_is_sent_chunked():
    bodies = []

    async def record(peer: Peer) -> None:
        while (got := await peer.request()) is not None:
            bodies.append(got)
            await peer.send(ok())

    async def parts() -> AsyncIterator[bytes]:
        for part in (b"<a>", b"", b"<b/>", b"</a>"):
            yield part

    transport = h1()
    async with RawServer(record) as server:
        try:
            response = await get(transport, f"{server.url}/s", "POST", content=parts())
        finally:
            await transport.aclose()
    assert response.status_code == 200
    assert b"transfer-encoding: chunked" in bodies[0][0].lower()
    assert bodies[0][1] == b"<a><b/></a>"


async def test_the_pool_never_opens_more_than_max_connections():
    async def slow(peer: Peer) -> None:
        while (got := await peer.request()) is not None:
            await asyncio.sleep(0.05)
            await peer.send(ok(got[0].split(b" ")[1]))

    transport = h1(max_connections=2)
    async with RawServer(slow) as server:
        try:
            responses = await asyncio.gather(
                *(get(transport, f"{server.url}/{i}") for i in range(5))
            )
        finally:
            await transport.aclose()
    assert [r.content for r in responses] == [b"/%d" % i for i in range(5)]
    assert server.most_open <= 2
    assert server.accepted == 2  # the waiters were handed the released connections


async def test_a_full_pool_times_out_with_the_pool_budget():
    arrived = asyncio.Event()

    async def hang(peer: Peer) -> None:
        await peer.request()
        arrived.set()
        await asyncio.sleep(10)

    transport = h1(max_connections=1)
    async with RawServer(hang) as server:
        try:
            first = asyncio.create_task(get(transport, f"{server.url}/a"))
            await arrived.wait()
            with pytest.raises(httpx.PoolTimeout):
                await get(transport, f"{server.url}/b", timeout=httpx.Timeout(5.0, pool=0.1))
            first.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await first
        finally:
            await transport.aclose()
    assert server.accepted == 1


async def test_idle_connections_expire():
    transport = h1(keepalive_expiry=0.01)
    async with RawServer(answer_all) as server:
        try:
            await get(transport, f"{server.url}/a")
            await asyncio.sleep(0.1)
            await get(transport, f"{server.url}/b")
        finally:
            await transport.aclose()
    assert server.accepted == 2


# answers that end the connection -------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        ok(b"bye", b"Connection: close"),
        b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nbye",  # 1.0 without keep-alive
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbye",  # delimited by the close
    ],
    ids=["connection-close", "http-1.0", "read-until-close"],
)
async def test_an_answer_that_ends_the_connection_is_read_and_not_reused(answer):
    async def once(peer: Peer) -> None:
        await peer.request()
        await peer.send(answer)
        if b"Content-Length" not in answer:
            peer.writer.close()  # the close ends the body
        await peer.request()  # EOF: the client closes the connection as it should

    transport = h1()
    async with RawServer(once) as server:
        try:
            first = await get(transport, f"{server.url}/a")
            second = await get(transport, f"{server.url}/b")
        finally:
            await transport.aclose()
    assert (first.content, second.content) == (b"bye", b"bye")
    assert server.accepted == 2


async def test_a_connection_the_server_closed_while_pooled_is_replaced():
    async def one_answer(peer: Peer) -> None:
        await peer.request()
        await peer.send(ok(b"%d" % peer.n))  # keep-alive, then closed anyway

    transport = h1()
    async with RawServer(one_answer) as server:
        try:
            assert (await get(transport, f"{server.url}/a")).content == b"0"
            await server.closed.wait()
            await asyncio.sleep(0.01)  # the FIN reaches the client
            second = await get(transport, f"{server.url}/b")
        finally:
            await transport.aclose()
    assert second.content == b"1"
    assert server.accepted == 2


@pytest.mark.parametrize(("method", "retried"), [("GET", True), ("HEAD", True), ("POST", False)])
async def test_a_request_racing_the_servers_idle_close_is_resent_if_it_only_reads(method, retried):
    seen: list[bytes] = []

    async def close_on_second(peer: Peer) -> None:
        while (got := await peer.request()) is not None:
            seen.append(got[0].split(b"\r\n", 1)[0])
            if peer.n == 0 and len(seen) == 2:
                return  # closed as the request arrived: nothing of an answer was sent
            await peer.send(ok())

    transport = h1()
    async with RawServer(close_on_second) as server:
        try:
            await get(transport, f"{server.url}/a")
            if retried:
                response = await get(transport, f"{server.url}/b", method)
                assert response.status_code == 200
            else:
                with pytest.raises(httpx.RemoteProtocolError):
                    await get(transport, f"{server.url}/b", method, content=b"x")
        finally:
            await transport.aclose()
    resent = [f"{method} /b HTTP/1.1".encode()] * (2 if retried else 1)
    assert seen == [b"GET /a HTTP/1.1", *resent]
    assert server.accepted == (2 if retried else 1)


# bodies --------------------------------------------------------------------------------


async def test_chunked_gzip_and_interim_answers_are_read():
    payload = b'{"id": "PRD-1", "status": "active"}' * 40
    packed = gzip.compress(payload)

    async def answers(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        await asyncio.sleep(0.01)  # the rest in another segment
        await peer.send(b"6\r\n world\r\n0\r\n\r\n")
        await peer.request()
        await peer.send(ok(packed, b"Content-Encoding: gzip"))
        await peer.request()
        await peer.send(b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"after 100"))
        await answer_all(peer)

    transport = h1()
    async with RawServer(answers) as server:
        try:
            chunked = await get(transport, f"{server.url}/chunked")
            zipped = await get(transport, f"{server.url}/gzip")
            interim = await get(transport, f"{server.url}/interim")
        finally:
            await transport.aclose()
    assert chunked.content == b"hello world"
    assert zipped.content == payload  # httpx decoded it
    assert zipped.headers["content-encoding"] == "gzip"
    assert (interim.status_code, interim.content) == (200, b"after 100")
    assert interim.extensions["http_version"] == b"HTTP/1.1"
    assert interim.reason_phrase == "OK"
    assert server.accepted == 1


async def test_head_204_and_304_have_no_body_and_keep_the_connection():
    async def bodiless(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")  # HEAD
        await peer.request()
        await peer.send(b"HTTP/1.1 204 No Content\r\n\r\n")
        await peer.request()
        await peer.send(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n")
        await answer_all(peer)

    transport = h1()
    async with RawServer(bodiless) as server:
        try:
            head = await get(transport, f"{server.url}/h", "HEAD")
            empty = await get(transport, f"{server.url}/e")
            same = await get(transport, f"{server.url}/s")
            after = await get(transport, f"{server.url}/after")
        finally:
            await transport.aclose()
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "1234")
    assert (empty.status_code, empty.content) == (204, b"")
    assert (same.status_code, same.content) == (304, b"")
    assert after.content == b"GET /after HTTP/1.1"
    assert server.accepted == 1


# failures ------------------------------------------------------------------------------


async def test_silence_is_a_read_timeout():
    async def silent(peer: Peer) -> None:
        await peer.request()
        await asyncio.sleep(10)

    transport = h1()
    async with RawServer(silent) as server:
        try:
            with pytest.raises(httpx.ReadTimeout):
                await get(transport, f"{server.url}/x", timeout=httpx.Timeout(5.0, read=0.1))
        finally:
            await transport.aclose()


async def test_a_trickle_within_the_read_timeout_is_not_a_timeout():
    async def trickle(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
        for byte in b"slow":
            await asyncio.sleep(0.1)
            await peer.send(bytes([byte]))

    transport = h1()
    async with RawServer(trickle) as server:
        try:
            response = await get(transport, f"{server.url}/x", timeout=httpx.Timeout(5.0, read=0.3))
        finally:
            await transport.aclose()
    assert response.content == b"slow"  # 0.4 s in all, never 0.3 s of silence


@pytest.mark.parametrize(
    "garbage",
    [
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 2OO OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxxxx\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    ],
    ids=["not-http", "status", "header", "chunk-size", "chunk-length", "two-lengths", "length"],
)
async def test_garbage_is_a_remote_protocol_error(garbage):
    async def talk_nonsense(peer: Peer) -> None:
        await peer.request()
        await peer.send(garbage)
        await peer.request()

    transport = h1()
    async with RawServer(talk_nonsense) as server:
        try:
            with pytest.raises(httpx.RemoteProtocolError):
                await get(transport, f"{server.url}/x")
        finally:
            await transport.aclose()


@pytest.mark.parametrize(
    ("ending", "error"),
    [("close", httpx.RemoteProtocolError), ("reset", httpx.ReadError)],
)
async def test_a_connection_ended_mid_body_fails(ending, error):
    async def truncate(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
        await asyncio.sleep(0.01)
        if ending == "reset":
            peer.reset()
        else:
            peer.writer.close()

    transport = h1()
    async with RawServer(truncate) as server:
        try:
            with pytest.raises(error):
                await get(transport, f"{server.url}/x")
        finally:
            await transport.aclose()


async def test_a_server_that_closes_without_answering_is_a_remote_protocol_error():
    async def hang_up(peer: Peer) -> None:
        await peer.request()

    transport = h1()
    async with RawServer(hang_up) as server:
        try:
            with pytest.raises(httpx.RemoteProtocolError):
                await get(transport, f"{server.url}/x")  # a fresh connection: not resent
        finally:
            await transport.aclose()
    assert server.accepted == 1


async def test_a_cancelled_call_closes_its_connection_and_frees_its_slot():
    arrived = asyncio.Event()

    async def hang_first(peer: Peer) -> None:
        if peer.n == 0:
            await peer.request()
            arrived.set()
            await peer.request()  # until the client closes the connection
            return
        await answer_all(peer)

    transport = h1(max_connections=1)
    async with RawServer(hang_first) as server:
        try:
            call = asyncio.create_task(
                get(transport, f"{server.url}/hang", timeout=httpx.Timeout(30.0))
            )
            await arrived.wait()
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            await server.closed.wait()  # the cancelled call's connection was closed
            # Nothing of the cancelled call is left to fire later (its read timer).
            loop = asyncio.get_running_loop()
            pending = [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
            response = await get(transport, f"{server.url}/next")
        finally:
            await transport.aclose()
    assert response.content == b"GET /next HTTP/1.1"
    assert server.accepted == 2
    assert pending == []


async def test_a_refused_connection_is_a_connect_error_and_frees_its_slot():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = h1(max_connections=1)
    try:
        for _ in range(2):  # the failed connection's slot is free for the next try
            with pytest.raises(httpx.ConnectError):
                await get(transport, f"http://127.0.0.1:{port}/x")
    finally:
        await transport.aclose()


async def test_unsupported_schemes_line_breaks_and_a_closed_transport_are_refused():
    transport = h1()
    with pytest.raises(httpx.UnsupportedProtocol):
        await get(transport, "ftp://127.0.0.1/x")
    with pytest.raises(httpx.LocalProtocolError):
        await get(transport, "http://127.0.0.1:1/x", headers={"X": "a\r\nEvil: 1"})
    await transport.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await get(transport, "http://127.0.0.1:1/x")


# TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


def server_context(certificate: tuple[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


async def test_tls_with_a_trusted_certificate(certificate):
    client_context = ssl.create_default_context(cafile=certificate[0])
    transport = Http1Transport(limits=httpx.Limits(), ssl_context=client_context)
    async with RawServer(answer_all, ssl_context=server_context(certificate)) as server:
        try:
            first = await get(transport, f"{server.url}/a")
            second = await get(transport, f"{server.url}/b")
        finally:
            await transport.aclose()
    assert (first.content, second.content) == (b"GET /a HTTP/1.1", b"GET /b HTTP/1.1")
    assert server.accepted == 1


async def test_tls_with_an_untrusted_certificate_is_a_connect_error(certificate):
    transport = Http1Transport(limits=httpx.Limits())  # the system's trust store
    async with RawServer(answer_all, ssl_context=server_context(certificate)) as server:
        try:
            with pytest.raises(httpx.ConnectError):
                await get(transport, f"{server.url}/a")
        finally:
            await transport.aclose()


async def test_a_tls_handshake_never_answered_is_a_connect_timeout():
    async def mute(peer: Peer) -> None:
        await peer.reader.read()  # TCP accepted, TLS never answered

    transport = h1()
    async with RawServer(mute) as server:
        url = server.url.replace("http://", "https://")
        try:
            with pytest.raises(httpx.ConnectTimeout):
                await get(transport, f"{url}/x", timeout=httpx.Timeout(5.0, connect=0.1))
        finally:
            await transport.aclose()


# bad days ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",  # to HEAD
    ],
    ids=["204", "304", "head"],
)
async def test_a_bodiless_answer_is_not_the_answer_to_the_next_request(answer):
    """What an earlier exchange parsed is forgotten: an EOF is no answer to the next one."""

    async def close_on_second(peer: Peer) -> None:
        while (got := await peer.request()) is not None:
            if peer.n == 0 and got[0].startswith(b"GET /b "):
                return  # closed as the request arrived: nothing of an answer was sent
            await peer.send(answer if got[0].startswith((b"GET /a ", b"HEAD")) else ok())

    method = "HEAD" if b"200" in answer else "GET"
    transport = h1()
    async with RawServer(close_on_second) as server:
        try:
            first = await get(transport, f"{server.url}/a", method)
            second = await get(transport, f"{server.url}/b")  # resent on a new connection
        finally:
            await transport.aclose()
    assert first.content == b""
    assert (second.status_code, second.content) == (200, b"ok")
    assert server.accepted == 2


@pytest.mark.parametrize(
    "extra",
    [
        ok(b"smuggled"),  # a whole second answer nobody asked for
        b"HTTP/1.1 500 Broken\r\n",  # the start of one
        b"\x00\xffgarbage",  # not HTTP at all
    ],
    ids=["answer", "partial-answer", "garbage"],
)
@pytest.mark.parametrize("together", [True, False], ids=["same-segment", "later-segment"])
async def test_bytes_after_a_complete_answer_discard_the_connection(extra, together):
    async def overshoot(peer: Peer) -> None:
        while (got := await peer.request()) is not None:
            answer = ok(got[0].split(b"\r\n", 1)[0])
            if peer.n == 0 and together:
                await peer.send(answer + extra)
            elif peer.n == 0:
                await peer.send(answer)
                await asyncio.sleep(0.05)
                await peer.send(extra)
            else:
                await peer.send(answer)

    transport = h1()
    async with RawServer(overshoot) as server:
        try:
            first = await get(transport, f"{server.url}/a")
            await asyncio.sleep(0.1)  # whatever comes after the answer has arrived
            second = await get(transport, f"{server.url}/b")
            third = await get(transport, f"{server.url}/c")
        finally:
            await transport.aclose()
    assert first.content == b"GET /a HTTP/1.1"
    assert second.content == b"GET /b HTTP/1.1"  # never the extra bytes, never an error
    assert third.content == b"GET /c HTTP/1.1"
    assert server.accepted == 2  # the connection that overshot was not reused


async def test_a_body_sent_after_a_head_answer_discards_the_connection():
    async def head_with_body(peer: Peer) -> None:
        while (got := await peer.request()) is not None:
            if got[0].startswith(b"HEAD"):
                await peer.send(ok(b"hello"))  # a HEAD answer has no body: out of step
            else:
                await peer.send(ok(got[0].split(b"\r\n", 1)[0]))

    transport = h1()
    async with RawServer(head_with_body) as server:
        try:
            head = await get(transport, f"{server.url}/h", "HEAD")
            after = await get(transport, f"{server.url}/after")
        finally:
            await transport.aclose()
    assert (head.status_code, head.content) == (200, b"")
    assert after.content == b"GET /after HTTP/1.1"
    assert server.accepted == 2


async def test_an_interim_answer_then_a_close_is_no_answer():
    async def interim_only(peer: Peer) -> None:
        await peer.request()
        await peer.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        await asyncio.sleep(0.05)

    transport = h1()
    async with RawServer(interim_only) as server:
        try:
            with pytest.raises(httpx.RemoteProtocolError):
                await get(transport, f"{server.url}/x")
        finally:
            await transport.aclose()


async def test_a_request_without_read_timeout_after_one_with_is_not_timed():
    async def late_second(peer: Peer) -> None:
        await peer.request()
        await peer.send(ok())
        await peer.request()
        await asyncio.sleep(0.3)
        await peer.send(ok(b"late"))

    transport = h1()
    async with RawServer(late_second) as server:
        try:
            await get(transport, f"{server.url}/a", timeout=httpx.Timeout(5.0, read=0.1))
            response = await get(
                transport, f"{server.url}/b", timeout=httpx.Timeout(5.0, read=None)
            )
        finally:
            await transport.aclose()
    assert response.content == b"late"


def assert_pool_settled(transport: Http1Transport, most: int) -> None:
    """Nothing in flight: no waiters, no more than ``most`` connections, none left timed."""
    assert not transport._waiters
    assert transport._count == len(transport._connections) <= most
    loop = asyncio.get_running_loop()
    live = [h._callback for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
    assert http1._expire not in live  # no pool wait is timed any more
    for callback in live:  # a read timer may lapse on a pooled connection, no other
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, http1._Connection):
            assert owner in transport._connections


async def test_many_calls_cancelled_at_random_leave_the_pool_whole():
    rng = random.Random(7)

    async def slow(peer: Peer) -> None:
        while (got := await peer.request()) is not None:
            await asyncio.sleep(rng.uniform(0, 0.02))
            await peer.send(ok(got[0].split(b" ")[1]))

    transport = h1(max_connections=4)
    async with RawServer(slow) as server:
        try:

            async def call(i: int) -> bytes | None:
                url = f"{server.url}/{i}"
                if i % 2:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(get(transport, url), rng.uniform(0, 0.05))
                    return None
                return (await get(transport, url)).content

            async with asyncio.timeout(60):  # a hang guard only
                bodies = await asyncio.gather(*(call(i) for i in range(200)))
                assert server.most_open <= 4
                assert_pool_settled(transport, 4)
                after = await get(transport, f"{server.url}/after")
        finally:
            await transport.aclose()
    assert [b for b in bodies if b is not None] == [b"/%d" % i for i in range(0, 200, 2)]
    assert after.content == b"/after"


@pytest.mark.parametrize("ending", ["close", "reset"])
async def test_a_server_ending_every_connection_after_its_answer_is_read_and_resent(ending):
    rng = random.Random(3)

    async def one_answer(peer: Peer) -> None:
        got = await peer.request()
        assert got is not None
        await peer.send(ok(got[0].split(b" ")[1]))  # keep-alive, but ended anyway
        await asyncio.sleep(rng.choice([0, 0, 0.001, 0.003]))
        if ending == "reset":
            peer.reset()

    transport = h1(max_connections=1)
    async with RawServer(one_answer) as server:
        try:
            async with asyncio.timeout(60):  # a hang guard only
                bodies = [(await get(transport, f"{server.url}/{i}")).content for i in range(200)]
            assert_pool_settled(transport, 1)
        finally:
            await transport.aclose()
    assert bodies == [b"/%d" % i for i in range(200)]


async def test_a_trickle_cut_by_the_callers_deadline_closes_and_frees_the_connection():
    async def trickle(peer: Peer) -> None:
        if peer.n > 0:
            await answer_all(peer)
            return
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while True:  # a byte every 0.2 s: never silent long enough for the read timeout
            await asyncio.sleep(0.2)
            await peer.send(b"x")

    transport = h1(max_connections=1)
    async with RawServer(trickle) as server:
        try:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(1):
                    await get(transport, f"{server.url}/slow", timeout=httpx.Timeout(5.0))
            async with asyncio.timeout(10):  # a hang guard only
                await server.closed.wait()  # the trickling connection was closed
            assert_pool_settled(transport, 0)
            response = await get(transport, f"{server.url}/next")
        finally:
            await transport.aclose()
    assert response.content == b"GET /next HTTP/1.1"


# answers too large to take in ----------------------------------------------------------


async def endless(peer: Peer, start: bytes, filler: bytes) -> None:
    """``start``, then ``filler`` until the client goes away."""
    await peer.request()
    await peer.send(start)
    while True:
        await peer.send(filler)


@pytest.mark.parametrize(
    ("start", "filler", "message"),
    [
        (b"HTTP/1.1 200 OK\r\nX-Big: ", b"a" * 65536, "head is longer"),  # one endless header
        (b"HTTP/1.1 200 OK\r\n", b"X-Many: header\r\n" * 4096, "head is longer"),
        (b"HTTP/1.1 100 Continue\r\n\r\n", b"HTTP/1.1 100 Continue\r\n\r\n" * 4096, "head is"),
        (b"HTTP/1.1 200 OK\r\n\r\n", b"x" * 65536, "body is longer"),  # read until close
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"ffff\r\n" + b"x" * 65535 + b"\r\n",
            "body is longer",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n",
            b"x" * 65536,
            "body is longer",
        ),
    ],
    ids=["long-header", "many-headers", "endless-interim", "until-close", "chunked", "length"],
)
async def test_an_endless_answer_is_refused_at_the_limit_and_its_connection_closed(
    start, filler, message
):
    async def serve(peer: Peer) -> None:
        if peer.n == 0:
            await endless(peer, start, filler)
        await answer_all(peer)

    transport = Http1Transport(max_head_bytes=256 * 1024, max_body_bytes=1024 * 1024)
    async with RawServer(serve) as server:
        try:
            async with asyncio.timeout(30):  # a hang guard only
                with pytest.raises(httpx.RemoteProtocolError, match=message):
                    await get(transport, f"{server.url}/big")
                await server.closed.wait()  # the connection was closed
            assert_pool_settled(transport, 0)
            after = await get(transport, f"{server.url}/after")
        finally:
            await transport.aclose()
    assert after.content == b"GET /after HTTP/1.1"


async def test_answers_up_to_the_limits_are_read():
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nX-Pad: " + b"p" * 900 + b"\r\n\r\n"

    async def serve(peer: Peer) -> None:
        await peer.request()
        await peer.send(head + b"b" * 1000)
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(10):
            await peer.send(b"64\r\n" + b"c" * 100 + b"\r\n")
        await peer.send(b"0\r\n\r\n")
        await peer.request()
        await peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")  # to HEAD
        await answer_all(peer)

    transport = Http1Transport(max_head_bytes=len(head), max_body_bytes=1000)
    async with RawServer(serve) as server:
        try:
            sized = await get(transport, f"{server.url}/sized")
            chunked = await get(transport, f"{server.url}/chunked")
            head_only = await get(transport, f"{server.url}/head", "HEAD")
            after = await get(transport, f"{server.url}/after")
        finally:
            await transport.aclose()
    assert (sized.content, chunked.content, head_only.content) == (b"b" * 1000, b"c" * 1000, b"")
    assert after.content == b"GET /after HTTP/1.1"
    assert server.accepted == 1


def test_the_default_limits_are_httpx_pools_head_limit_and_64_mib():
    transport = Http1Transport()
    assert (transport._max_head, transport._max_body) == (100 * 1024, 64 * 1024 * 1024)


async def test_an_endless_carrier_answer_is_upstream_invalid_and_not_asked_again():
    async def serve(peer: Peer) -> None:
        await endless(peer, b"HTTP/1.1 200 OK\r\n\r\n", b"[1," * 20000)

    async with RawServer(serve) as server:
        specs = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": server.url})
        spec = specs["northwind-fiber"].model_copy(
            update={"retry": RetryPolicy(attempts=2, backoff_seconds=0.01)}
        )
        transport = Http1Transport(max_body_bytes=1024 * 1024)
        client = CarrierClient(spec, transport=transport)
        try:
            async with asyncio.timeout(30):  # a hang guard only
                with pytest.raises(UpstreamInvalid) as info:
                    await client.get_json("/tmf-api/x")
            assert_pool_settled(transport, 0)
        finally:
            await client.aclose()
    assert info.value.code == "UPSTREAM_INVALID"
    assert info.value.carrier == "northwind-fiber"
    assert "too large" in info.value.message
    assert isinstance(info.value.__cause__, AnswerTooLarge)
    assert server.accepted == 1  # the same answer would come again: not retried
