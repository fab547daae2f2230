"""The upstream client, chosen on evidence: CPU per carrier GET, and per JSON body decoded.

Run it with ``python -m bench.client`` (``--markdown`` prints the tables for
BENCHMARKS.md; ``--help`` lists the knobs). A trivial HTTP server (uvicorn, one ASGI app
answering every GET with the same ~1.5 KB JSON document) runs in a separate process
(``python -m bench.client --serve PORT``), so only the client's CPU is counted: this
process's ``time.process_time()`` over a run of GETs, divided by the GETs. Each
candidate is run at 1 and 16 GETs in flight (16 tasks, each GETting in turn), under
asyncio's own event loop and under uvloop when it is installed; the candidates take
turns, each ``--rounds`` times, and the median round is reported.

Candidates (every httpx one configured as ``CarrierClient`` configures its client: base
URL, an API key header, per-carrier timeouts, 20 connections, TLS context; each GET is a
TMF list call with four query parameters, its body read):

``httpx_aiohttp``
    ``httpx.AsyncClient.request`` over ``httpx_aiohttp.AiohttpTransport``: the carrier
    client before this benchmark.
``httpcore``
    ``httpx.AsyncClient.request`` over httpx's own pool (``upstream_io=httpx``).
``aiohttp``
    ``aiohttp.ClientSession.get`` and ``read()`` alone: the floor, no httpx at all.
``lean``
    ``httpx.AsyncClient.request`` over :class:`connectors.io.AiohttpTransport`, the
    transport of this change: the request's parsed URL handed to aiohttp as an encoded
    ``yarl.URL``, its headers as they are, the body read into the response.
``lean+trust_env``
    the same with ``trust_env=False`` on the httpx client.
``lean+send``
    ``httpx.AsyncClient.send`` of a request built the way ``CarrierClient`` builds it
    (URL assembled from the base URL's parsed parts, headers passed once).
``CarrierClient``
    ``CarrierClient.send`` as adopted: that request, the auth flow and the transport
    driven directly (no ``AsyncClient``: no cookie jar, redirect bookkeeping, event
    hooks or log line per call), over the lean transport. ``CarrierClient/httpcore``
    is the same over httpx's own pool, ``CarrierClient/h1`` over
    :class:`connectors.http1.Http1Transport` (asyncio protocol + httptools).

The JSON table decodes the TMF bodies the sandbox carriers serve (every TMF carrier's
services, invoices, orders and tickets lists for a few accounts): ``json.loads`` with
``parse_float=Decimal`` (before), ``msgspec.json.Decoder(float_hook=Decimal)`` (adopted:
numbers with a fraction or exponent decode as ``Decimal`` from their text, integers stay
``int``; it is checked to give the same objects), and, for reference, both without
Decimal and ``orjson.loads`` when orjson is installed (no Decimal: every money amount
would become a binary float, so it is not a candidate).

Results (2 vCPU AMD EPYC, Python 3.11.7, httpx 0.28.1, httpcore 1.0.9, aiohttp 3.14.5,
yarl 1.25.1, uvloop 0.23.0, msgspec 0.23.0, orjson 3.13.0; ``python -m bench.client
--markdown``, 71 s, other work sharing the 2 cores, so figures move by ~10 %): CPU µs
per GET of a 1,545-byte JSON body, 1,500 GETs per measurement, median of 3 rounds.

=========================  =======  ===========  ============
candidate                  loop     1 in flight  16 in flight
=========================  =======  ===========  ============
httpx_aiohttp (before)     asyncio          487           367
httpcore                   asyncio          896          1099
aiohttp (floor)            asyncio          173            88
lean                       asyncio          417           309
lean+trust_env             asyncio          395           348
lean+send                  asyncio          299           220
CarrierClient (adopted)    asyncio          187           114
CarrierClient/httpcore     asyncio          641           853
httpx_aiohttp (before)     uvloop           431           401
httpcore                   uvloop           819           905
aiohttp (floor)            uvloop           150            77
lean                       uvloop           380           330
lean+trust_env             uvloop           363           301
lean+send                  uvloop           246           174
CarrierClient (adopted)    uvloop           175           109
CarrierClient/httpcore     uvloop           562           799
=========================  =======  ===========  ============

What it says: the transport was never the cost. Swapping httpx_aiohttp for the lean
transport under ``httpx.AsyncClient.request`` saves ~10-18 %; ``trust_env=False`` saves
nothing measurable. The cost is httpx's client layer: URL parsing and merging (three
full parses per call, each validating every character and the host, ``ipaddress``
included) and rebuilt header models (``lean+send``, which skips them, saves another
~30-45 %), then ``AsyncClient.send`` itself, largely the cookie jar's urllib request and
``email.message`` wrappers built for every response (``CarrierClient`` over
``lean+send``: another ~30-50 %). The adopted client costs 27-41 % of the old one per
GET (60-73 % less), within ~15-30 µs of aiohttp alone; over httpx's own pool the same
pipeline saves ~10-30 % too. uvloop takes ~5-15 % off most candidates.

The HTTP/1.1 transport (``connectors/http1.py``, ``upstream_io=h1``, adopted as the
default; httptools 0.9.0, uvloop 0.23.0, ``--markdown``, 67 s, median of 3 rounds),
µs per GET at 1 / 16 in flight: ``CarrierClient`` over aiohttp 121 / 106
(asyncio), 148 / 105 (uvloop); ``CarrierClient/h1`` 52 / 42 (asyncio), 75 / 32 (uvloop);
aiohttp alone 88 / 74 and 110 / 69. At 1 in flight most of what is left is the kernel's
loopback send, and uvloop's figure moves between ~42 and ~75 µs from run to run (where
the scheduler puts the two processes on the 2 cores); at 16 in flight h1 costs ~30-40 %
of the aiohttp transport and about half of aiohttp alone.

JSON decode of the 31 TMF list bodies the sandbox answers (mean 12,040 bytes), µs per
body: ``json.loads(parse_float=Decimal)`` 70.1 (172 MB/s, before);
``msgspec.json.Decoder(float_hook=Decimal)`` 39.1 (308 MB/s, adopted: 44 % less, the
same objects); ``json.loads`` with floats 66.9; ``msgspec.json.decode`` with floats 33.3;
``orjson.loads`` 30.8 (floats only, so not a candidate for money). orjson is not a
dependency: ``pip install orjson`` to get its row.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import httpx
import msgspec
from httpx_aiohttp import AiohttpTransport as HttpxAiohttpTransport

from bench.processes import _child
from connectors.http1 import Http1Transport
from connectors.io import AiohttpTransport
from connectors.sandbox.server import free_port
from connectors.spec import ApiKeyAuth
from connectors.specs.common import Timeouts
from connectors.transport import CarrierClient, shared_ssl_context

__all__ = ["app", "main"]

_HOST = "127.0.0.1"
PATH = "/tmf-api/productInventory/v4/product"
PARAMS = {
    "billingAccount.id": "ACC-100234,ACC-100987",
    "fields": "id,status",
    "offset": "0",
    "limit": "100",
}
CONNECTIONS = 20
CONCURRENCY = (1, 16)


def _body() -> bytes:
    products = [
        {
            "id": f"PRD-{i:06d}",
            "href": f"/tmf-api/productInventory/v4/product/PRD-{i:06d}",
            "name": "Dedicated Internet Access 1 Gbps",
            "status": "active",
            "startDate": "2025-03-14T09:30:00Z",
            "billingAccount": {"id": "ACC-100234"},
            "productPrice": [{"price": {"taxIncludedAmount": {"unit": "USD", "value": 1299.95}}}],
        }
        for i in range(5)
    ]
    return json.dumps(products).encode()


BODY = _body()
_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"x-total-count", b"5")],
}


async def app(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any) -> None:  # noqa: ANN401
    """Every GET answers the same JSON document."""
    if scope["type"] != "http":
        return
    await send(_START)
    await send({"type": "http.response.body", "body": BODY})


# candidates ----------------------------------------------------------------------------

Get = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A way of making the GET: ``open`` it inside the loop, then call ``get`` repeatedly."""

    name: str
    open: Callable[[str], Awaitable[tuple[Get, Callable[[], Awaitable[None]]]]]


def _limits() -> httpx.Limits:
    return httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)


def _httpx_client(
    url: str, transport: httpx.AsyncBaseTransport | None, *, trust_env: bool = True
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{url}/northwind-fiber",
        headers={
            "Accept": "application/json",
            "User-Agent": "switchboard-gateway",
            "X-Api-Key": "bench",
        },
        timeout=httpx.Timeout(8.0, connect=2.0),
        limits=_limits(),
        transport=transport,
        verify=shared_ssl_context(),
        trust_env=trust_env,
    )


def _via_request(
    transport: Callable[[], httpx.AsyncBaseTransport | None], *, trust_env: bool = True
) -> Callable[[str], Awaitable[tuple[Get, Callable[[], Awaitable[None]]]]]:
    async def open_(url: str) -> tuple[Get, Callable[[], Awaitable[None]]]:
        client = _httpx_client(url, transport(), trust_env=trust_env)

        async def get() -> None:
            await client.request("GET", PATH, params=PARAMS)

        return get, client.aclose

    return open_


def _carrier_client(url: str, transport: httpx.AsyncBaseTransport | None) -> CarrierClient:
    from connectors.registry import CARRIERS_DIR, load_specs

    spec = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": url})["northwind-fiber"]
    spec = spec.model_copy(
        update={
            "auth": ApiKeyAuth(type="api_key", header="X-Api-Key", key="bench"),
            "timeouts": Timeouts(connect=2.0, read=8.0),
            "max_connections": CONNECTIONS,
        }
    )
    return CarrierClient(spec, transport=transport)


async def _open_send(url: str) -> tuple[Get, Callable[[], Awaitable[None]]]:
    """AsyncClient.send of the request CarrierClient builds (its URL and headers)."""
    client = _httpx_client(url, AiohttpTransport(limits=_limits()))
    builder = _carrier_client(url, httpx.MockTransport(lambda _: httpx.Response(200)))

    async def get() -> None:
        await client.send(builder._request("GET", PATH, PARAMS, None, None, None))

    return get, client.aclose


def _open_carrier(
    transport: Callable[[], httpx.AsyncBaseTransport | None],
) -> Callable[[str], Awaitable[tuple[Get, Callable[[], Awaitable[None]]]]]:
    async def open_(url: str) -> tuple[Get, Callable[[], Awaitable[None]]]:
        client = _carrier_client(url, transport())

        async def get() -> None:
            await client.send("GET", PATH, params=PARAMS)

        return get, client.aclose

    return open_


async def _open_aiohttp(url: str) -> tuple[Get, Callable[[], Awaitable[None]]]:
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=CONNECTIONS, ssl=shared_ssl_context()),
        headers={"Accept": "application/json", "X-Api-Key": "bench"},
    )
    target = f"{url}/northwind-fiber{PATH}"
    timeout = aiohttp.ClientTimeout(sock_connect=2.0, sock_read=8.0)

    async def get() -> None:
        async with session.get(target, params=PARAMS, timeout=timeout) as response:
            await response.read()

    return get, session.close


def _httpx_aiohttp() -> httpx.AsyncBaseTransport:
    return HttpxAiohttpTransport(limits=_limits(), trust_env=False, verify=shared_ssl_context())


CANDIDATES = (
    Candidate("httpx_aiohttp", _via_request(_httpx_aiohttp)),
    Candidate("httpcore", _via_request(lambda: None)),
    Candidate("aiohttp", _open_aiohttp),
    Candidate("lean", _via_request(lambda: AiohttpTransport(limits=_limits()))),
    Candidate(
        "lean+trust_env",
        _via_request(lambda: AiohttpTransport(limits=_limits()), trust_env=False),
    ),
    Candidate("lean+send", _open_send),
    Candidate("CarrierClient", _open_carrier(lambda: AiohttpTransport(limits=_limits()))),
    Candidate("CarrierClient/httpcore", _open_carrier(lambda: None)),
    Candidate("CarrierClient/h1", _open_carrier(lambda: Http1Transport(limits=_limits()))),
)


async def _measure(get: Get, requests: int, concurrency: int) -> float:
    """CPU microseconds per GET over ``requests`` GETs, ``concurrency`` in flight."""
    per_task = requests // concurrency

    async def worker() -> None:
        for _ in range(per_task):
            await get()

    start = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - start) / (per_task * concurrency) * 1e6


async def _round(
    url: str, candidates: tuple[Candidate, ...], requests: int
) -> dict[tuple[str, int], float]:
    found: dict[tuple[str, int], float] = {}
    for candidate in candidates:
        get, close = await candidate.open(url)
        try:
            for _ in range(100):  # warm: connections open, caches filled
                await get()
            await asyncio.gather(*(get() for _ in range(CONNECTIONS)))
            for concurrency in CONCURRENCY:
                found[candidate.name, concurrency] = await _measure(get, requests, concurrency)
        finally:
            await close()
    return found


def _loops() -> dict[str, Callable[[], asyncio.AbstractEventLoop] | None]:
    loops: dict[str, Callable[[], asyncio.AbstractEventLoop] | None] = {"asyncio": None}
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return loops
    loops["uvloop"] = uvloop.new_event_loop
    return loops


def _get_table(url: str, options: argparse.Namespace) -> list[tuple[str, str, float, float]]:
    """(candidate, loop, µs/GET at 1 in flight, at 16) rows."""
    wanted = tuple(c for c in CANDIDATES if not options.only or c.name in options.only)
    rows = []
    for loop_name, factory in _loops().items():
        rounds: list[dict[tuple[str, int], float]] = []
        for _ in range(options.rounds):
            with asyncio.Runner(loop_factory=factory) as runner:
                rounds.append(runner.run(_round(url, wanted, options.requests)))
        for candidate in wanted:
            one, many = (
                statistics.median(r[candidate.name, c] for r in rounds) for c in CONCURRENCY
            )
            rows.append((candidate.name, loop_name, one, many))
            print(f"  {candidate.name:24} {loop_name:8} {one:7.1f} {many:7.1f}", file=sys.stderr)
    return rows


# JSON decoding -------------------------------------------------------------------------


def tmf_bodies() -> list[bytes]:
    """The JSON bodies the sandbox's TMF carriers answer list calls with (in process)."""
    from connectors.base import (
        INVOICES_BY_ACCOUNT,
        ORDERS_BY_ACCOUNT,
        SERVICES_BY_ACCOUNT,
        TICKETS_BY_ACCOUNT,
    )
    from connectors.registry import CARRIERS_DIR, Registry, carrier_records, load_specs
    from connectors.sandbox.dataset import generate
    from connectors.sandbox.server import Sandbox

    specs = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": "http://sandbox"})
    tmf = {i: s for i, s in specs.items() if s.protocol == "tmf"}
    data = generate(carrier_records(specs), seed=7, customers=60)
    sandbox = Sandbox(specs, data)
    bodies: list[bytes] = []

    class Recording(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.inner = httpx.ASGITransport(app=sandbox.app)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()
            if response.status_code == 200 and body[:1] in (b"[", b"{"):
                bodies.append(body)
            return httpx.Response(response.status_code, headers=response.headers, content=body)

    async def collect() -> None:
        registry = Registry(tmf, transport_factory=lambda _: Recording())
        try:
            for carrier in tmf:
                accounts = [a.account_number for a in data.carriers[carrier].accounts[:8]]
                for fetch in (
                    SERVICES_BY_ACCOUNT,
                    INVOICES_BY_ACCOUNT,
                    ORDERS_BY_ACCOUNT,
                    TICKETS_BY_ACCOUNT,
                ):
                    if fetch.resource in tmf[carrier].capabilities:
                        await registry.get(carrier).fetch(fetch, accounts)
        finally:
            await registry.aclose()

    asyncio.run(collect())
    return bodies


def _decoders() -> dict[str, Callable[[bytes], Any]]:
    decoders: dict[str, Callable[[bytes], Any]] = {
        "json.loads(parse_float=Decimal)": lambda b: json.loads(b, parse_float=Decimal),
        "msgspec.json.Decoder(float_hook=Decimal)": msgspec.json.Decoder(float_hook=Decimal).decode,
        "json.loads (floats)": json.loads,
        "msgspec.json.decode (floats)": msgspec.json.decode,
    }
    try:
        import orjson
    except ImportError:
        print("  orjson is not installed: not measured", file=sys.stderr)
    else:
        decoders["orjson.loads (floats)"] = orjson.loads
    return decoders


def _decode_table(repeat: int) -> tuple[list[tuple[str, float, float]], int, int]:
    """(decoder, µs per body, MB/s) rows, the body count and their mean size."""
    bodies = tmf_bodies()
    decoders = _decoders()
    exact = decoders["json.loads(parse_float=Decimal)"]
    adopted = decoders["msgspec.json.Decoder(float_hook=Decimal)"]
    for body in bodies:  # the same objects: Decimal for fractions, int for integers
        if _typed(adopted(body)) != _typed(exact(body)):
            raise AssertionError(f"msgspec and json.loads disagree on {body[:200]!r}")
    size = sum(map(len, bodies))
    rows = []
    for name, decode in decoders.items():
        samples = []
        for _ in range(5):
            start = time.process_time()
            for _ in range(repeat):
                for body in bodies:
                    decode(body)
            samples.append(time.process_time() - start)
        best = statistics.median(samples)
        rows.append((name, best / (repeat * len(bodies)) * 1e6, size * repeat / best / 1e6))
    return rows, len(bodies), size // len(bodies)


def _typed(value: Any) -> Any:  # noqa: ANN401
    """A JSON value with each number's type kept beside it (1 == Decimal(1) otherwise)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


# command line --------------------------------------------------------------------------


@contextlib.contextmanager
def _server() -> Iterator[str]:
    port = free_port()
    argv = [sys.executable, "-m", "bench.client", "--serve", str(port)]
    with _child(argv, f"http://{_HOST}:{port}", "/") as child:
        yield child.url


def _serve(port: int) -> None:
    import uvicorn

    uvicorn.run("bench.client:app", host=_HOST, port=port, log_level="warning", access_log=False)


def main(argv: list[str] | None = None) -> None:
    """Parse the options, measure, print the tables."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.client", description=(__doc__ or "").split("\n\n", 1)[0]
    )
    parser.add_argument("--requests", type=int, default=1500, help="GETs per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (the median is kept)")
    parser.add_argument("--decode-repeat", type=int, default=20, help="passes over the bodies")
    parser.add_argument("--only", nargs="*", help="candidates to run (default: all)")
    parser.add_argument("--no-decode", action="store_true", help="skip the JSON table")
    parser.add_argument("--markdown", action="store_true", help="markdown tables")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.serve:
        _serve(options.serve)
        return
    started = time.monotonic()
    with _server() as url:
        rows = _get_table(url, options)
    print(
        f"\n### CPU per GET (µs), {len(BODY)}-byte JSON body, "
        f"{options.requests} GETs per measurement, median of {options.rounds} rounds\n"
    )
    print("| candidate | loop | 1 in flight | 16 in flight |")
    print("| --- | --- | ---: | ---: |")
    for name, loop, one, many in rows:
        print(f"| {name} | {loop} | {one:.0f} | {many:.0f} |")
    if not options.no_decode:
        decode_rows, count, mean = _decode_table(options.decode_repeat)
        print(f"\n### JSON decode, {count} sandbox TMF bodies (mean {mean} bytes)\n")
        print("| decoder | µs per body | MB/s |")
        print("| --- | ---: | ---: |")
        for name, micros, rate in decode_rows:
            print(f"| {name} | {micros:.1f} | {rate:.0f} |")
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
