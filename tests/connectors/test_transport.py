"""The carrier client's own request pipeline and the lean transports under it.

``CarrierClient`` builds its requests without ``httpx.AsyncClient`` and drives the auth
flow and the transport itself; these tests hold what it builds against what httpx
builds, and run the aiohttp and HTTP/1.1 transports against a real server on loopback:
what arrives there, keep-alive and the pool limit, bodies, timeouts and failures as
httpx's error types (and so as the connector errors).
"""

from __future__ import annotations

import asyncio
import gzip
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import aiohttp
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import UpstreamInvalid, UpstreamTimeout, UpstreamUnavailable
from connectors.http1 import Http1Transport
from connectors.io import AiohttpTransport, _httpx_error, transport_factory
from connectors.registry import CARRIERS_DIR, load_specs
from connectors.sandbox.server import free_port
from connectors.spec import ApiKeyAuth, BasicAuth, OAuth2ClientCredentials
from connectors.specs.common import RetryPolicy, Timeouts
from connectors.transport import CarrierClient, _Urls
from tests.support.servers import serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.io import IoBackend

# request building ----------------------------------------------------------------------

BASES = [
    "http://127.0.0.1:8700/northwind-fiber",
    "http://127.0.0.1:8700/northwind-fiber/",
    "http://127.0.0.1:8700",
    "https://API.Example.com:443/v1/tmf",
    "http://example.com:80/a%20b/",
    "https://[::1]:8443/x",
    "https://user:pw@carrier.example/base",
    "http://carrier.example/base?x=1",
]
PATH_TEXT = st.text(
    alphabet=st.sampled_from(list("abcAZ09-._~/%:@!$&'()*+,;=?#[] \"<>`{}|\\^é\t.")), max_size=40
)
URLS = st.one_of(
    PATH_TEXT.map(lambda p: "/" + p),
    PATH_TEXT,
    PATH_TEXT.map(lambda p: "http://127.0.0.1:8700/" + p),
    PATH_TEXT.map(lambda p: "https://api.example.com/v1/tmf/" + p),
    st.sampled_from(["/", "", "//evil.example/x", "/a/./b", "/a/../b", "/?", "/x?", "/x?a=1&a=2"]),
)
PARAMS = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=8), st.text(max_size=12), max_size=4),
)


def httpx_url(base: str, url: str, params: dict[str, str] | None) -> httpx.URL:
    client = httpx.AsyncClient(base_url=base, transport=httpx.MockTransport(lambda _: None))
    return client.build_request("GET", url, params=params).url


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(base=st.sampled_from(BASES), url=URLS, params=PARAMS)
def test_urls_resolve_as_httpx_resolves_them(base, url, params):
    try:
        want = httpx_url(base, url, params)
    except httpx.InvalidURL:
        with pytest.raises(httpx.InvalidURL):
            _Urls(base).resolve(url, params)
        return
    got, _ = _Urls(base).resolve(url, params)
    assert str(got) == str(want)
    assert got == want
    assert (got.raw_path, got.netloc, got.scheme) == (want.raw_path, want.netloc, want.scheme)


def test_the_common_urls_are_built_without_httpx_parsing():
    urls = _Urls("http://127.0.0.1:8700/northwind-fiber")
    _, own = urls.resolve("/tmf-api/productInventory/v4/product", {"a.id": "A1,A2", "limit": "9"})
    assert own
    _, own = urls.resolve("http://127.0.0.1:8700/northwind-fiber/x?offset=100&limit=100", None)
    assert own
    _, own = urls.resolve("https://elsewhere.example/x", None)
    assert not own


def client_spec(url: str, **update: Any):
    spec = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": url})["northwind-fiber"]
    return spec.model_copy(update={"base_url": f"{url}/northwind-fiber", **update})


REQUESTS = [
    ("GET", "/tmf-api/x", {"account.id": "A1,A2", "fields": "id,status"}, None, None, None),
    ("GET", "/tmf-api/x?offset=100", None, None, None, None),
    ("GET", "http://127.0.0.1:8700/northwind-fiber/x?offset=1", None, None, None, None),
    ("GET", "https://elsewhere.example/x?offset=1", None, None, None, None),
    ("GET", "/export/a.csv", None, None, None, {"Accept": "text/csv"}),
    ("DELETE", "/x", None, None, None, None),
    ("POST", "/soap", None, b"<Envelope/>", None, {"SOAPAction": "urn:get"}),
    ("POST", "/graphql", None, None, {"query": "{ a }", "variables": {"n": 1.5}}, None),
    ("POST", "/empty", None, None, None, None),
    ("get", "/lower", {}, None, None, None),
]


@pytest.mark.parametrize("auth", [None, ApiKeyAuth(type="api_key", header="X-Key", key="k")])
@pytest.mark.parametrize(("method", "url", "params", "content", "json_body", "headers"), REQUESTS)
def test_requests_are_built_as_httpx_builds_them(
    method, url, params, content, json_body, headers, auth
):
    update = {} if auth is None else {"auth": auth}
    spec = client_spec("http://127.0.0.1:8700", **update)
    client = CarrierClient(spec, transport=httpx.MockTransport(lambda _: httpx.Response(200)))
    default = {"Accept": "application/json", "User-Agent": "switchboard-gateway"}
    reference = httpx.AsyncClient(
        base_url=spec.base_url,
        headers=default if auth is None else {**default, "X-Key": "k"},
        timeout=httpx.Timeout(spec.timeouts.read, connect=spec.timeouts.connect),
    )
    want = reference.build_request(
        method, url, params=params, content=content, json=json_body, headers=headers
    )
    got = client._request(method, url, params, content, json_body, headers)
    assert (got.method, got.url) == (want.method, want.url)
    assert got.headers.raw == want.headers.raw
    assert got.content == want.content
    assert got.extensions == want.extensions


# the lean transports against a real server ----------------------------------------------


class Upstream:
    """A carrier stand-in: echoes requests, and can be slow, compress or fail."""

    def __init__(self) -> None:
        self.peers: list[int] = []
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.hang_token = False
        self.notify: Callable[[], object] | None = None  # called from the server's thread

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.peers.append(scope["client"][1])
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        seen = {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode(),
            "headers": headers,
            "body": body.decode(),
        }
        self.requests.append(seen)
        if self.notify is not None:
            self.notify()
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self._answer(scope["path"].removeprefix("/northwind-fiber"), seen, send)
        finally:
            self.in_flight -= 1

    async def _answer(self, path: str, seen: dict[str, Any], send: Any) -> None:
        status, extra, payload = 200, [], json.dumps(seen).encode()
        if path.startswith("/slow"):
            await asyncio.sleep(0.2)
        elif path == "/hang" or (path == "/token" and self.hang_token):
            await asyncio.sleep(3)
        elif path == "/token":
            payload = json.dumps({"access_token": "tok", "expires_in": 3600}).encode()
        elif path == "/gzip":
            payload, extra = gzip.compress(payload), [(b"content-encoding", b"gzip")]
        elif path == "/money":
            payload = b'{"amount": 1299.95, "count": 3, "big": 123456789012345678901234567890}'
        elif path == "/drop":
            head = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
            await send({"type": "http.response.start", "status": 200, "headers": head})
            await send({"type": "http.response.body", "body": b'[{"id": "', "more_body": True})
            raise ConnectionResetError("dropped mid-body")
        head = [(b"content-type", b"application/json"), *extra]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": payload})


@pytest.fixture(scope="module")
def served():
    upstream = Upstream()
    with serve_in_thread(upstream, lifespan="off") as url:
        yield upstream, url


@pytest.fixture
def upstream(served):
    upstream, url = served
    upstream.peers.clear()
    upstream.requests.clear()
    upstream.most_in_flight = 0
    upstream.hang_token = False
    upstream.notify = None
    return upstream, url


@pytest.fixture(params=["aiohttp", "h1"])
def lean(request):
    """The back ends under test here: the aiohttp pool and the HTTP/1.1 client."""
    return request.param


def lean_client(io: IoBackend, url: str, **update: Any) -> CarrierClient:
    spec = client_spec(url, **update)
    factory = transport_factory(io)
    assert factory is not None
    return CarrierClient(spec, transport=factory(spec))


async def test_a_get_arrives_as_sent_and_the_answer_reads(upstream, lean):
    _, url = upstream
    client = lean_client(lean, url, auth=ApiKeyAuth(type="api_key", header="X-Api-Key", key="k1"))
    try:
        page = await client.get_json("/tmf-api/product", {"account.id": "A1,A2", "limit": "5"})
    finally:
        await client.aclose()
    seen = page.body
    assert seen["method"] == "GET"
    assert seen["path"] == "/northwind-fiber/tmf-api/product"
    assert seen["query"] == "account.id=A1%2CA2&limit=5"
    assert seen["headers"]["host"] == url.removeprefix("http://")
    assert seen["headers"]["accept"] == "application/json"
    assert seen["headers"]["user-agent"] == "switchboard-gateway"
    assert seen["headers"]["x-api-key"] == "k1"
    assert page.headers["content-type"] == "application/json"


async def test_connections_are_kept_alive_and_pooled_up_to_the_limit(upstream, lean):
    server, url = upstream
    client = lean_client(lean, url, max_connections=2)
    try:
        for _ in range(5):
            await client.send("GET", "/fast")
        assert len(set(server.peers)) == 1  # one connection, kept warm
        server.peers.clear()
        await asyncio.gather(*(client.send("GET", "/slow") for _ in range(6)))
    finally:
        await client.aclose()
    assert len(set(server.peers)) <= 2
    assert server.most_in_flight == 2


async def test_bodies_are_sent(upstream, lean):
    _, url = upstream
    client = lean_client(lean, url)
    try:
        soap = await client.send("POST", "/soap", content=b"<Envelope/>", idempotent=False)
        graphql = await client.send("POST", "/graphql", json_body={"query": "{ a }"})
    finally:
        await client.aclose()
    assert soap.json()["body"] == "<Envelope/>"
    assert soap.json()["headers"]["content-length"] == "11"
    assert "content-type" not in soap.json()["headers"]  # none was set: none is sent
    assert json.loads(graphql.json()["body"]) == {"query": "{ a }"}
    assert graphql.json()["headers"]["content-type"] == "application/json"


async def test_a_compressed_answer_is_decoded_by_httpx(upstream, lean):
    _, url = upstream
    client = lean_client(lean, url)
    try:
        page = await client.get_json("/gzip")
    finally:
        await client.aclose()
    assert page.body["path"] == "/northwind-fiber/gzip"
    assert page.headers["content-encoding"] == "gzip"


async def test_basic_auth_is_sent(upstream, lean):
    _, url = upstream
    client = lean_client(lean, url, auth=BasicAuth(type="basic", username="u", password="p"))
    try:
        page = await client.get_json("/x")
    finally:
        await client.aclose()
    assert page.body["headers"]["authorization"] == "Basic dTpw"  # u:p


async def test_oauth2_token_then_call(upstream, lean):
    server, url = upstream
    auth = OAuth2ClientCredentials(
        type="oauth2", token_url=f"{url}/token", client_id="id", client_secret="s"
    )
    client = lean_client(lean, url, auth=auth)
    try:
        page = await client.get_json("/x")
    finally:
        await client.aclose()
    assert page.body["headers"]["authorization"] == "Bearer tok"
    assert [r["path"] for r in server.requests] == ["/token", "/northwind-fiber/x"]


@pytest.mark.parametrize("io", ["aiohttp", "httpx", "h1"])
async def test_a_hung_token_endpoint_times_out_with_the_carriers_budget(upstream, io):
    server, url = upstream
    server.hang_token = True
    auth = OAuth2ClientCredentials(
        type="oauth2", token_url=f"{url}/token", client_id="id", client_secret="s"
    )
    spec = client_spec(url, auth=auth, timeouts=Timeouts(connect=1.0, read=0.2))
    factory = transport_factory(io)
    client = CarrierClient(spec, transport=factory(spec) if factory else None)
    try:
        with pytest.raises(UpstreamTimeout):
            await client.get_json("/x")
    finally:
        await client.aclose()


@pytest.mark.parametrize("io", ["aiohttp", "httpx", "h1"])
async def test_a_slow_answer_is_a_read_timeout(upstream, io):
    _, url = upstream
    spec = client_spec(url, timeouts=Timeouts(connect=1.0, read=0.2))
    factory = transport_factory(io)
    client = CarrierClient(spec, transport=factory(spec) if factory else None)
    try:
        with pytest.raises(UpstreamTimeout) as info:
            await client.send("GET", "/hang")
    finally:
        await client.aclose()
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


@pytest.mark.parametrize("transport_type", [AiohttpTransport, Http1Transport])
async def test_a_refused_connection_is_a_connect_error(transport_type):
    closed = f"http://127.0.0.1:{free_port()}"
    transport = transport_type(limits=httpx.Limits(max_connections=2))
    try:
        with pytest.raises(httpx.ConnectError):
            await transport.handle_async_request(httpx.Request("GET", f"{closed}/x"))
    finally:
        await transport.aclose()


async def test_a_connection_dropped_mid_body_is_retried_then_unavailable(upstream, lean):
    server, url = upstream
    client = lean_client(lean, url, retry=RetryPolicy(attempts=2, backoff_seconds=0.01))
    try:
        with pytest.raises(UpstreamUnavailable) as info:
            await client.get_json("/drop")
    finally:
        await client.aclose()
    assert isinstance(info.value.__cause__, httpx.TransportError)
    assert [r["path"] for r in server.requests] == ["/northwind-fiber/drop"] * 2


async def test_a_cancelled_call_leaves_the_pool_usable(upstream, lean):
    server, url = upstream
    client = lean_client(lean, url, max_connections=1)
    loop, arrived = asyncio.get_running_loop(), asyncio.Event()
    server.notify = lambda: loop.call_soon_threadsafe(arrived.set)
    try:
        call = asyncio.create_task(client.send("GET", "/hang"))
        await arrived.wait()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        response = await client.send("GET", "/fast")
    finally:
        await client.aclose()
    assert response.status_code == 200


async def test_a_closed_client_sends_nothing(upstream, lean):
    server, url = upstream
    client = lean_client(lean, url)
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await client.send("GET", "/x")
    assert server.requests == []


def test_aiohttp_failures_become_httpx_errors():
    request = httpx.Request("GET", "http://127.0.0.1:1/")
    key = aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 1, False, True, None, None, None)
    cases = [
        (aiohttp.ConnectionTimeoutError("connect"), httpx.ConnectTimeout),
        (aiohttp.SocketTimeoutError("read"), httpx.ReadTimeout),
        (TimeoutError(), httpx.ReadTimeout),
        (
            aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused")),
            httpx.ConnectError,
        ),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError),
        (aiohttp.ClientPayloadError("truncated"), httpx.ReadError),
        (aiohttp.ClientOSError(104, "reset"), httpx.ReadError),
        (aiohttp.InvalidURL("x"), httpx.UnsupportedProtocol),
    ]
    for failure, expected in cases:
        error = _httpx_error(failure, request)
        assert type(error) is expected, failure
        assert error.request is request


# JSON --------------------------------------------------------------------------------


def decode(body: bytes) -> Any:
    client = CarrierClient(
        client_spec("http://127.0.0.1:1"), transport=httpx.MockTransport(lambda _: None)
    )
    return client.decode_json(httpx.Response(200, content=body))


def test_json_numbers_with_a_fraction_are_decimal_and_integers_int():
    body = decode(b'{"amount": 1299.95, "n": 3, "e": 1e2, "big": 123456789012345678901234567890}')
    assert body == {
        "amount": Decimal("1299.95"),
        "n": 3,
        "e": Decimal("1E+2"),
        "big": 123456789012345678901234567890,
    }
    assert [type(v) for v in body.values()] == [Decimal, int, Decimal, int]


def test_json_in_a_bom_or_utf16_is_still_read():
    assert decode(b"\xef\xbb\xbf[1.5]") == [Decimal("1.5")]
    assert decode('{"a": "é"}'.encode("utf-16")) == {"a": "é"}


@pytest.mark.parametrize(
    "body", [b"", b"[1] x", b'"\xff"', b"NaN", b"[Infinity]", b"{'a': 1}", b"[" * 5000]
)
def test_a_body_that_is_not_json_is_upstream_invalid(body):
    with pytest.raises(UpstreamInvalid, match="not JSON"):
        decode(body)
