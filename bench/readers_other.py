"""What reading Sonata, REST and GraphQL answers costs: JSON decode plus the record readers.

Run it with ``python -m bench.readers_other`` (``--markdown`` prints the table for
BENCHMARKS.md, ``--profile`` a cProfile of the readers, ``--golden FILE`` writes what the
readers make of every record and of mutated copies, for comparing two versions).

Every Sonata, REST and GraphQL carrier of ``connectors/carriers`` is asked, in process
against the sandbox (seed 7, 60 customers) through the real connectors, for each
resource it offers for its first ``--accounts`` accounts (and the invoice lines of their
bills). The answers' bodies and every call the connectors make to their record readers
(Sonata: ``SonataReader`` per detail document; REST: ``RestConnector._read`` per record;
GraphQL: ``GraphqlReader`` per node) are recorded once; the timed part decodes the bodies
(``CarrierClient.decode_json``) and replays the reader calls, ``--repeat`` passes per
round, median of ``--rounds`` rounds of ``time.process_time()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import statistics
import time
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from bench.readers import Recording, profile, reader_options
from connectors.base import (
    INVOICE_LINES_BY_INVOICE,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    QUOTES_BY_ACCOUNT,
    SERVICES_BY_ACCOUNT,
    TICKETS_BY_ACCOUNT,
    USAGE_BY_ACCOUNT,
    Fetch,
)
from connectors.errors import ConnectorError
from connectors.protocols.graphql import GraphqlConnector
from connectors.protocols.rest import RestConnector
from connectors.protocols.sonata import SonataConnector
from connectors.registry import CARRIERS_DIR, Registry, carrier_records, load_specs
from connectors.sandbox.dataset import generate
from connectors.sandbox.server import Sandbox

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import httpx

__all__ = ["Call", "Recorded", "golden_lines", "main", "record"]

FAMILIES = ("sonata", "rest", "graphql")
FETCHES: tuple[Fetch[Any], ...] = (
    SERVICES_BY_ACCOUNT,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    TICKETS_BY_ACCOUNT,
    QUOTES_BY_ACCOUNT,
    USAGE_BY_ACCOUNT,
)


@dataclass(frozen=True, slots=True)
class Call:
    """One reader call as the connector made it: the function and its arguments."""

    family: str
    carrier: str
    name: str
    read: Callable[..., Any]
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Recorded:
    """Every body and reader call of one run, by family."""

    bodies: dict[str, list[tuple[Any, httpx.Response]]]
    calls: dict[str, list[Call]]


def _wrap(calls: list[Call], family: str, carrier: str, name: str, read: Any) -> Any:  # noqa: ANN401
    def recording(*args: Any) -> Any:  # noqa: ANN401
        calls.append(Call(family, carrier, name, read, copy.deepcopy(args)))
        return read(*args)

    return recording


def record(*, seed: int = 7, customers: int = 60, accounts: int = 10) -> Recorded:
    """Ask every Sonata, REST and GraphQL carrier of the sandbox, recording what is read."""
    specs = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": "http://sandbox"})
    specs = {k: s for k, s in specs.items() if s.protocol in FAMILIES}
    data = generate(carrier_records(specs), seed=seed, customers=customers)
    sandbox = Sandbox(specs, data)
    current: list[tuple[Any, httpx.Response]] = []

    recorded = Recorded({f: [] for f in FAMILIES}, {f: [] for f in FAMILIES})

    async def collect() -> None:
        registry = Registry(
            specs,
            transport_factory=lambda _: Recording(sandbox.app, lambda r: current.append((None, r))),
        )
        try:
            for carrier_id in sorted(specs):
                connector: Any = registry.get(carrier_id)
                family = specs[carrier_id].protocol
                calls = recorded.calls[family]
                if isinstance(connector, SonataConnector):
                    connector._read = {
                        r: _wrap(calls, family, carrier_id, r.value, f)
                        for r, f in connector._read.items()
                    }
                    reader = connector.reader
                    connector.reader = _Proxy(  # type: ignore[assignment]
                        reader, _wrap(calls, family, carrier_id, "bill_item", reader.bill_item)
                    )
                elif isinstance(connector, RestConnector):
                    connector._read = _wrap(  # type: ignore[method-assign]
                        calls, family, carrier_id, "record", connector._read
                    )
                elif isinstance(connector, GraphqlConnector):
                    connector._readers = {
                        k: _wrap(calls, family, carrier_id, k, f)
                        for k, f in connector._readers.items()
                    }
                held = data.carriers[carrier_id]
                numbers = sorted(a.account_number for a in held.accounts)[:accounts]
                bills: list[str] = []
                for fetch in FETCHES:
                    current.clear()
                    try:
                        found = await connector.fetch(fetch, numbers)
                    except ConnectorError:
                        continue
                    if fetch is INVOICES_BY_ACCOUNT:
                        bills = sorted(i.invoice_number for v in found.values() for i in v)
                    recorded.bodies[family].extend((connector, r) for _, r in current)
                if bills:
                    current.clear()
                    with contextlib.suppress(ConnectorError):
                        await connector.fetch(INVOICE_LINES_BY_INVOICE, bills[:20])
                    recorded.bodies[family].extend((connector, r) for _, r in current)
        finally:
            await registry.aclose()

    asyncio.run(collect())
    return recorded


class _Proxy:
    """A Sonata reader whose ``bill_item`` is recorded (the rest passes through)."""

    def __init__(self, inner: Any, bill_item: Any) -> None:  # noqa: ANN401
        self._inner = inner
        self.bill_item = bill_item

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401
        return getattr(self._inner, name)


def _outcome(call: Call, args: tuple[Any, ...]) -> str:
    try:
        result = call.read(*args)
    except Exception as exc:  # noqa: BLE001 - the golden file records every outcome
        return f"{type(exc).__name__}: {exc} field={getattr(exc, 'field', None)!r}"
    return repr(result)


_BAD: tuple[object, ...] = (
    None,
    "",
    "garbage",
    12,
    -1,
    Decimal("1.5"),
    True,
    [],
    ["x", 1],
    [{"a": 1}],
    {},
    {"unit": "XXX", "value": "abc"},
    {"currency": "usd", "amount": "1e400"},
    {"id": 5},
    "2025-13-45",
    "2025-02-30T10:00:00",
    "9999-01-01T00:00:00Z",
    "UNKNOWN_CODE",
)
_MISSING = object()


def _paths(
    value: object, prefix: tuple[Any, ...] = (), depth: int = 0
) -> Iterator[tuple[Any, ...]]:
    if depth > 4:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key), depth + 1)
    elif isinstance(value, list) and value:
        yield (*prefix, 0)
        yield from _paths(value[0], (*prefix, 0), depth + 1)


def _mutated(obj: object, path: tuple[Any, ...], value: object) -> object:
    out = copy.deepcopy(obj)
    target: Any = out
    for step in path[:-1]:
        target = target[step]
    if value is _MISSING:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


def golden_lines(recorded: Recorded, per_reader: int = 2) -> Iterator[str]:
    """Every call's outcome, then outcomes of mutated copies of a few calls per reader."""
    for family in FAMILIES:
        seen: dict[tuple[str, str, str], int] = {}
        for n, call in enumerate(recorded.calls[family]):
            yield f"{family} {call.carrier} {call.name} #{n}: {_outcome(call, call.args)}"
            key = (call.carrier, call.name, str(getattr(call.args[0], "record", "")))
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > per_reader:
                continue
            where = next(i for i, a in enumerate(call.args) if isinstance(a, dict))
            obj = call.args[where]
            for path in _paths(obj):
                for bad in (_MISSING, *_BAD):
                    args = list(call.args)
                    args[where] = _mutated(obj, path, bad)
                    shown = "missing" if bad is _MISSING else repr(bad)
                    label = ".".join(map(str, path))
                    yield f"  {label}={shown}: {_outcome(call, tuple(args))}"


def _replay(calls: list[Call]) -> None:
    for call in calls:
        with contextlib.suppress(Exception):  # an unreadable record is part of the work
            call.read(*call.args)


def _decode(bodies: list[tuple[Any, httpx.Response]]) -> None:
    for connector, response in bodies:
        connector.client.decode_json(response)


def _time(work: Callable[[], None], repeat: int) -> float:
    clock = time.process_time
    start = clock()
    for _ in range(repeat):
        work()
    return (clock() - start) / repeat


def main(argv: list[str] | None = None) -> None:
    """Parse the options, record, then measure, profile or write the golden file."""
    parser = reader_options("python -m bench.readers_other", __doc__, repeat=20)
    parser.add_argument("--accounts", type=int, default=10, help="accounts asked per carrier")
    parser.add_argument("--golden", help="write every reader outcome to this file instead")
    options = parser.parse_args(argv)
    recorded = record(accounts=options.accounts)
    if options.golden:
        with open(options.golden, "w", encoding="utf-8") as out:  # noqa: PTH123
            out.writelines(line + "\n" for line in golden_lines(recorded))
        return
    every = [c for f in FAMILIES for c in recorded.calls[f]]
    for _ in range(5):  # warm: memos filled, code paths taken
        _replay(every)
    if options.profile:
        profile(partial(_replay, every), options.repeat, options.top)
        return
    rows = []
    for family in FAMILIES:
        calls, bodies = recorded.calls[family], recorded.bodies[family]
        reads = [_time(partial(_replay, calls), options.repeat) for _ in range(options.rounds)]
        decodes = [_time(partial(_decode, bodies), options.repeat) for _ in range(options.rounds)]
        read_us, decode_us = statistics.median(reads) * 1e6, statistics.median(decodes) * 1e6
        rows.append((family, len(bodies), len(calls), decode_us, read_us))
    if options.markdown:
        print("| family | bodies | records | decode µs | read µs | µs per body | µs per record |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for family, n_bodies, n_calls, decode_us, read_us in rows:
        per_body = (decode_us + read_us) / max(n_bodies, 1)
        per_record = read_us / max(n_calls, 1)
        if options.markdown:
            print(
                f"| {family} | {n_bodies} | {n_calls} | {decode_us:.0f} | {read_us:.0f} "
                f"| {per_body:.1f} | {per_record:.2f} |"
            )
        else:
            print(
                f"{family:8} bodies {n_bodies:4d} records {n_calls:5d} decode {decode_us:8.0f} µs"
                f" read {read_us:8.0f} µs  /body {per_body:7.1f}  /record {per_record:6.2f}"
            )


if __name__ == "__main__":
    main()
