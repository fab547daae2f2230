"""What reading the carriers' TMF answers costs: JSON decode plus the record readers.

Run it with ``python -m bench.readers`` (``--markdown`` prints the table for
BENCHMARKS.md, ``--profile`` a cProfile of the readers; ``--help`` lists the knobs).

The bodies are the W1 dashboard's 32 (:mod:`bench.peers.world`: the eight benchmark
carriers, seed 7, 60 customers, the customer's account at each): the account, its
services (TMF637 products), bills (TMF678) and orders with milestones (TMF622), recorded
once from the sandbox in process through the real connectors, so query strings, field
projection and paging are what the gateway sends. Each body is then decoded and read
the way :class:`~connectors.protocols.tmf.TmfConnector` does it
(``CarrierClient.decode_json``, then ``TmfConnector._read`` per record), ``--repeat``
passes per round, and the median of ``--rounds`` rounds of ``time.process_time()`` is
reported per body, per record and per W1 request (the 32 bodies once).

No network and no event loop in the timed part: this is the CPU the gateway spends per
request on the carriers' answers once they are in memory, the part the readers own.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from bench.peers.world import load_world
from connectors.base import (
    ACCOUNTS_BY_ID,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    SERVICES_BY_ACCOUNT,
    Fetch,
)
from connectors.errors import UpstreamInvalid
from connectors.protocols.tmf import ENDPOINTS, Endpoint, TmfConnector
from connectors.registry import Registry
from connectors.sandbox.server import Sandbox

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.models import Resource

__all__ = ["Body", "Recording", "main", "read_body", "w1_bodies"]

FETCHES: tuple[Fetch[Any], ...] = (
    ACCOUNTS_BY_ID,
    SERVICES_BY_ACCOUNT,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
)


@dataclass(frozen=True, slots=True)
class Body:
    """One recorded carrier answer and how the connector reads it."""

    carrier: str
    resource: Resource
    connector: TmfConnector
    endpoint: Endpoint
    fallback: str | None
    response: httpx.Response
    records: int


class Recording(httpx.AsyncBaseTransport):
    """The sandbox's answers over ASGI, each read whole and handed to ``keep`` (the benches)."""

    def __init__(self, app: Any, keep: Callable[[httpx.Response], object]) -> None:  # noqa: ANN401
        self.inner = httpx.ASGITransport(app=app)
        self.keep = keep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        kept = httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )
        self.keep(kept)
        return kept


def w1_bodies(*, seed: int = 7, customers: int = 60) -> list[Body]:
    """The JSON bodies the W1 dashboard's 32 GETs are answered with (sandbox, in process)."""
    world = load_world("http://sandbox", seed=seed, customers=customers)
    sandbox = Sandbox(world.specs, world.data)
    recorded: list[httpx.Response] = []

    bodies: list[Body] = []

    async def collect() -> None:
        registry = Registry(
            world.specs, transport_factory=lambda _: Recording(sandbox.app, recorded.append)
        )
        try:
            for pick in world.picks:
                connector = registry.get(pick.spec.id)
                if not isinstance(connector, TmfConnector):
                    raise TypeError(f"{pick.spec.id} is not read by the TMF connector")
                for fetch in FETCHES:
                    recorded.clear()
                    await connector.fetch(fetch, [pick.account_number])
                    link = pick.spec.account_link
                    by_request = link.by_request and fetch.key in ("account", "invoice")
                    fallback = pick.account_number if by_request else link.default_account
                    for response in recorded:
                        body = connector.client.decode_json(response)
                        bodies.append(
                            Body(
                                carrier=pick.spec.id,
                                resource=fetch.resource,
                                connector=connector,
                                endpoint=ENDPOINTS[fetch.resource],
                                fallback=fallback,
                                response=response,
                                records=len(body) if isinstance(body, list) else 0,
                            )
                        )
        finally:
            await registry.aclose()

    asyncio.run(collect())
    return bodies


def read_body(body: Body) -> list[Any]:
    """Decode one body and read each of its records as the connector does."""
    connector = body.connector
    objs = connector.client.decode_json(body.response)
    read = connector._read
    endpoint, fallback = body.endpoint, body.fallback
    return [read(endpoint, obj, position, fallback) for position, obj in enumerate(objs)]


def _decode_only(body: Body) -> object:
    return body.connector.client.decode_json(body.response)


def _time(bodies: list[Body], work: Callable[[Body], object], repeat: int) -> float:
    """CPU seconds for one pass of ``work`` over ``bodies`` (the mean of ``repeat`` passes)."""
    clock = time.process_time
    start = clock()
    for _ in range(repeat):
        for body in bodies:
            work(body)
    return (clock() - start) / repeat


@dataclass(frozen=True, slots=True)
class Row:
    """One resource's figures (or the whole request's)."""

    name: str
    bodies: int
    records: int
    decode_us: float
    total_us: float

    @property
    def read_us(self) -> float:
        return self.total_us - self.decode_us


def measure(bodies: list[Body], *, repeat: int, rounds: int) -> list[Row]:
    """Per-resource rows and a last row for the 32 bodies together; medians of rounds.

    Each group of bodies is timed as a whole (a clock read per body would cost more
    than some bodies do); groups and the two kinds of work take turns in every round.
    """
    groups: dict[str, list[Body]] = {}
    for body in bodies:
        groups.setdefault(body.resource.value, []).append(body)
    groups["W1 request (all bodies)"] = bodies
    decode: dict[str, list[float]] = {name: [] for name in groups}
    total: dict[str, list[float]] = {name: [] for name in groups}
    for _ in range(rounds):
        for name, group in groups.items():
            decode[name].append(_time(group, _decode_only, repeat))
            total[name].append(_time(group, read_body, repeat))
    return [
        Row(
            name=name,
            bodies=len(group),
            records=sum(b.records for b in group),
            decode_us=statistics.median(decode[name]) * 1e6,
            total_us=statistics.median(total[name]) * 1e6,
        )
        for name, group in groups.items()
    ]


def _check(bodies: list[Body]) -> None:
    """Every record of the W1 bodies reads (none is left out as unreadable)."""
    left_out = [
        f"{body.carrier} {body.resource}: {record}"
        for body in bodies
        for record in read_body(body)
        if isinstance(record, UpstreamInvalid)
    ]
    if left_out:
        raise AssertionError("; ".join(left_out))


def profile(work: Callable[[], object], repeat: int, top: int) -> None:
    """CProfile ``repeat`` calls of ``work``; print the ``top`` functions by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        work()
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)


def reader_options(prog: str, doc: str | None, *, repeat: int) -> argparse.ArgumentParser:
    """The options every readers bench takes: passes, rounds, output and profiling."""
    parser = argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=repeat, help="passes per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (the median is kept)")
    parser.add_argument("--markdown", action="store_true", help="a markdown table")
    parser.add_argument("--profile", action="store_true", help="cProfile the readers instead")
    parser.add_argument("--top", type=int, default=30, help="functions --profile prints")
    return parser


def _print(rows: list[Row], *, markdown: bool, repeat: int, rounds: int) -> None:
    if markdown:
        print(
            f"\n### Decode + read of the W1 bodies, CPU µs, "
            f"{repeat} passes per round, median of {rounds} rounds\n"
        )
        print(
            "| bodies of | bodies | records | decode µs | read µs | "
            "decode+read µs | µs per body | µs per record |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            print(
                f"| {r.name} | {r.bodies} | {r.records} | {r.decode_us:.0f} | {r.read_us:.0f} "
                f"| {r.total_us:.0f} | {r.total_us / r.bodies:.1f} "
                f"| {r.total_us / max(r.records, 1):.2f} |"
            )
        return
    print(
        f"{'bodies of':24} {'bodies':>6} {'records':>7} {'decode':>8} {'read':>8} "
        f"{'total':>8} {'/body':>7} {'/record':>8}   (CPU µs)"
    )
    for r in rows:
        print(
            f"{r.name:24} {r.bodies:6d} {r.records:7d} {r.decode_us:8.0f} {r.read_us:8.0f} "
            f"{r.total_us:8.0f} {r.total_us / r.bodies:7.1f} {r.total_us / max(r.records, 1):8.2f}"
        )


def main(argv: list[str] | None = None) -> None:
    """Parse the options, record the bodies, measure, print."""
    parser = reader_options("python -m bench.readers", __doc__, repeat=200)
    parser.add_argument("--seed", type=int, default=7, help="data set seed (7)")
    parser.add_argument("--customers", type=int, default=60, help="customers in the data set")
    options = parser.parse_args(argv)
    started = time.monotonic()
    bodies = w1_bodies(seed=options.seed, customers=options.customers)
    _check(bodies)
    for _ in range(20):  # warm: memos filled, code paths taken
        for body in bodies:
            read_body(body)
    if options.profile:
        profile(lambda: [read_body(body) for body in bodies], options.repeat, options.top)
        return
    rows = measure(bodies, repeat=options.repeat, rounds=options.rounds)
    _print(rows, markdown=options.markdown, repeat=options.repeat, rounds=options.rounds)
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
