"""What reading the SOAP and CSV carriers' answers costs: parsing plus the record readers.

Run it with ``python -m bench.readers_legacy`` (``--markdown`` prints the table for
BENCHMARKS.md, ``--profile`` a cProfile of the readers; ``--help`` lists the knobs).

The bodies are those the 10-customer dashboard (``python -m bench.dashboard
--customers-per-query 10``) asks the SOAP and CSV carriers for: the shipped carrier
files (``connectors/carriers``), the sandbox data set (seed 7, 60 customers), the ten
customers with accounts at the most carriers, and their accounts at each SOAP carrier
(accounts, services, invoices, orders, tickets) and CSV carrier (accounts, invoices),
one batch per carrier and resource. They are recorded once from the sandbox in process
through the real connectors, so request bodies, paging and export paths are what the
gateway sends. Each body is then read the way the connectors do it: SOAP
``SoapConnector._page`` (XML parse, envelope) then ``SoapConnector._read`` per record;
CSV ``open_table`` (decode, CSV parse, wanted rows) then the export's ``read_*``.
``--repeat`` passes per round; the median of ``--rounds`` rounds of
``time.process_time()`` is reported per family and resource, per body and per record.

No network and no event loop in the timed part: this is the CPU the gateway spends per
request on these answers once they are in memory.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench.readers import Recording, profile, reader_options
from connectors.base import (
    ACCOUNTS_BY_ID,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    SERVICES_BY_ACCOUNT,
    TICKETS_BY_ACCOUNT,
    Fetch,
)
from connectors.errors import UpstreamInvalid
from connectors.protocols.csv_export import CsvExportConnector
from connectors.protocols.csv_export_records import open_table
from connectors.protocols.soap import SoapConnector
from connectors.registry import CARRIERS_DIR, Registry, carrier_records, load_specs
from connectors.sandbox.dataset import DataSet, generate
from connectors.sandbox.server import Sandbox

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import httpx

    from connectors.models import Resource

__all__ = ["Body", "dashboard_bodies", "main", "read_body"]

SOAP_FETCHES: tuple[Fetch[Any], ...] = (
    ACCOUNTS_BY_ID,
    SERVICES_BY_ACCOUNT,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    TICKETS_BY_ACCOUNT,
)
CSV_FETCHES: tuple[Fetch[Any], ...] = (ACCOUNTS_BY_ID, INVOICES_BY_ACCOUNT)


@dataclass(frozen=True, slots=True)
class Body:
    """One recorded carrier answer and how its connector reads it."""

    family: str
    carrier: str
    resource: Resource
    read: Callable[[], list[Any]]
    parse: Callable[[], object]
    records: int


def top_customers(data: DataSet, count: int) -> list[str]:
    """The ``count`` customers with accounts at the most carriers (the dashboard's pick)."""

    def spread(customer: str) -> tuple[int, int]:
        links = data.accounts_of(customer)
        return (-len({link.carrier for link in links}), -len(links))

    return sorted((c.id for c in data.customers()), key=spread)[:count]


def _soap_reader(
    connector: SoapConnector, resource: Resource, response: httpx.Response
) -> tuple[Callable[[], list[Any]], Callable[[], object]]:
    op = connector._operations[resource]

    def parse() -> object:
        return connector._page(op, response)

    def read() -> list[Any]:
        elements = connector._page(op, response).body.records
        out: list[Any] = []
        for element in elements:
            try:
                out.append(connector._read(op, element))
            except UpstreamInvalid as exc:
                out.append(exc)
        return out

    return read, parse


def _csv_reader(
    connector: CsvExportConnector, fetch: Fetch[Any], path: str, body: bytes, keys: Sequence[str]
) -> tuple[Callable[[], list[Any]], Callable[[], object]]:
    kind, key, reader = connector._plans[(fetch.resource, fetch.key)]
    export, layout, wanted = connector.layout.exports[kind], connector.layout, frozenset(keys)

    def parse() -> object:
        return open_table(layout, export, path, body, key, wanted)

    def read() -> list[Any]:
        table = open_table(layout, export, path, body, key, wanted)
        return [*reader(table), *table.dropped]

    return read, parse


def dashboard_bodies(*, seed: int = 7, customers: int = 60, count: int = 10) -> list[Body]:
    """The SOAP and CSV answers of the ``count``-customer dashboard (sandbox, in process)."""
    specs = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": "http://sandbox"})
    data = generate(carrier_records(specs), seed=seed, customers=customers)
    sandbox = Sandbox(specs, data)
    accounts: dict[str, list[str]] = {}
    for customer in top_customers(data, count):
        for link in data.accounts_of(customer):
            accounts.setdefault(link.carrier, []).append(link.account_number)
    recorded: list[httpx.Response] = []

    bodies: list[Body] = []

    async def collect() -> None:
        registry = Registry(
            specs, transport_factory=lambda _: Recording(sandbox.app, recorded.append)
        )
        try:
            for carrier, keys in sorted(accounts.items()):
                connector = registry.get(carrier)
                if isinstance(connector, SoapConnector):
                    family, fetches = "SOAP", SOAP_FETCHES
                elif isinstance(connector, CsvExportConnector):
                    family, fetches = "CSV", CSV_FETCHES
                else:
                    continue
                for fetch in fetches:
                    if fetch.resource not in connector.spec.capabilities:
                        continue
                    recorded.clear()
                    await connector.fetch(fetch, keys)
                    paths: list[str] = []
                    if isinstance(connector, CsvExportConnector):
                        plan = connector._plans[(fetch.resource, fetch.key)]
                        paths = await connector._paths(connector.layout.exports[plan[0]])
                    for response in recorded:
                        if isinstance(connector, SoapConnector):
                            read, parse = _soap_reader(connector, fetch.resource, response)
                        else:
                            url = response.request.url.path
                            path = next((p for p in paths if url.endswith(p)), "")
                            if not path:  # a token or the export index, not a file
                                continue
                            read, parse = _csv_reader(
                                connector, fetch, path, response.content, keys
                            )
                        records = len(read())
                        bodies.append(Body(family, carrier, fetch.resource, read, parse, records))
        finally:
            await registry.aclose()

    asyncio.run(collect())
    return bodies


def read_body(body: Body) -> list[Any]:
    """Parse one body and read each of its records as the connector does."""
    return body.read()


def _time(bodies: list[Body], repeat: int, *, parse_only: bool = False) -> float:
    """CPU seconds for one pass over ``bodies`` (the mean of ``repeat`` passes)."""
    works = [b.parse if parse_only else b.read for b in bodies]
    clock = time.process_time
    start = clock()
    for _ in range(repeat):
        for work in works:
            work()
    return (clock() - start) / repeat


@dataclass(frozen=True, slots=True)
class Row:
    """One family and resource's figures (or a whole family's)."""

    name: str
    bodies: int
    records: int
    parse_us: float
    total_us: float

    @property
    def read_us(self) -> float:
        return self.total_us - self.parse_us


def measure(bodies: list[Body], *, repeat: int, rounds: int) -> list[Row]:
    """Per family-and-resource rows, then one row per family; medians of rounds."""
    groups: dict[str, list[Body]] = {}
    for body in bodies:
        groups.setdefault(f"{body.family} {body.resource.value}", []).append(body)
    for family in ("SOAP", "CSV"):
        groups[f"{family} (all bodies)"] = [b for b in bodies if b.family == family]
    times: dict[str, list[float]] = {name: [] for name in groups}
    parse: dict[str, list[float]] = {name: [] for name in groups}
    for _ in range(rounds):
        for name, group in groups.items():
            parse[name].append(_time(group, repeat, parse_only=True))
            times[name].append(_time(group, repeat))
    return [
        Row(
            name=name,
            bodies=len(group),
            records=sum(b.records for b in group),
            parse_us=statistics.median(parse[name]) * 1e6,
            total_us=statistics.median(times[name]) * 1e6,
        )
        for name, group in groups.items()
        if group
    ]


def _print(rows: list[Row], *, markdown: bool, repeat: int, rounds: int) -> None:
    if markdown:
        print(
            f"\n### Parse + read of the 10-customer dashboard's SOAP and CSV bodies, CPU µs, "
            f"{repeat} passes per round, median of {rounds} rounds\n"
        )
        print(
            "| bodies of | bodies | records | parse µs | read µs | parse+read µs "
            "| read µs per body | read µs per record |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            print(
                f"| {r.name} | {r.bodies} | {r.records} | {r.parse_us:.0f} | {r.read_us:.0f} "
                f"| {r.total_us:.0f} | {r.read_us / r.bodies:.1f} "
                f"| {r.read_us / max(r.records, 1):.2f} |"
            )
        return
    print(
        f"{'bodies of':20} {'bodies':>6} {'records':>7} {'parse':>7} {'read':>7} {'total':>7} "
        f"{'read/body':>9} {'read/rec':>8}   (CPU µs)"
    )
    for r in rows:
        print(
            f"{r.name:20} {r.bodies:6d} {r.records:7d} {r.parse_us:7.0f} {r.read_us:7.0f} "
            f"{r.total_us:7.0f} {r.read_us / r.bodies:9.1f} {r.read_us / max(r.records, 1):8.2f}"
        )


def main(argv: list[str] | None = None) -> None:
    """Parse the options, record the bodies, measure, print."""
    parser = reader_options("python -m bench.readers_legacy", __doc__, repeat=50)
    parser.add_argument("--seed", type=int, default=7, help="data set seed (7)")
    parser.add_argument("--customers", type=int, default=60, help="customers in the data set")
    parser.add_argument("--count", type=int, default=10, help="customers on the dashboard")
    options = parser.parse_args(argv)
    started = time.monotonic()
    bodies = dashboard_bodies(seed=options.seed, customers=options.customers, count=options.count)
    for _ in range(5):  # warm: memos filled, code paths taken
        for body in bodies:
            body.read()
    if options.profile:
        profile(lambda: [body.read() for body in bodies], options.repeat, options.top)
        return
    rows = measure(bodies, repeat=options.repeat, rounds=options.rounds)
    _print(rows, markdown=options.markdown, repeat=options.repeat, rounds=options.rounds)
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
