"""The conformance kit: what every connector must do against its sandbox carrier.

Parametrized over every carrier file the registry finds, so carrier #31 is tested
because it exists. For each carrier:

* **round trip**: for every declared capability, the connector's normalized records
  equal the data set's records for that carrier (money, dates and statuses included);
  an undeclared capability raises ``NotSupportedByCarrier``;
* **paging**: the same round trip with the smallest page size the carrier's paging
  style allows, so every list crosses page boundaries;
* **faults**: injected errors, garbage payloads and hangs past the read timeout map
  to ``UpstreamUnavailable``, ``UpstreamInvalid`` and ``UpstreamTimeout`` naming the
  carrier; in the families that judge each record alone (:data:`TOLERANT_FAMILIES`),
  garbage inside a record (``bad_record``, ``bad_value``, ``unreadable_record``) costs
  that value or that record only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.base import (
    ACCOUNTS_BY_ID,
    INVOICE_LINES_BY_INVOICE,
    INVOICES_BY_ACCOUNT,
    ORDERS_BY_ACCOUNT,
    QUOTES_BY_ACCOUNT,
    SERVICES_BY_ACCOUNT,
    TICKETS_BY_ACCOUNT,
    USAGE_BY_ACCOUNT,
    Fetch,
    dropped_of,
)
from connectors.errors import (
    ConnectorError,
    NotSupportedByCarrier,
    UpstreamInvalid,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from connectors.models import Protocol, Resource
from connectors.registry import Registry
from connectors.sandbox.faults import Faults
from connectors.specs.common import Timeouts

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectors.sandbox.dataset import CarrierData
    from connectors.sandbox.server import Sandbox
    from connectors.spec import CarrierSpec
    from connectors.transport import TransportFactory

__all__ = ["CHECKS", "Check", "ConformanceError", "run_check"]


class ConformanceError(AssertionError):
    """A connector does not behave as the kit requires."""


@dataclass(frozen=True, slots=True)
class Expectation:
    """How to ask for one capability and what the data set says the answer is."""

    fetch: Fetch[Any]
    keys: Callable[[CarrierData], list[str]]
    records: Callable[[CarrierData], Counter[Any]]


def _accounts(data: CarrierData) -> list[str]:
    return [a.account_number for a in data.accounts]


def _invoices(data: CarrierData) -> list[str]:
    return [i.invoice_number for i in data.invoices]


def _lines(data: CarrierData) -> Counter[Any]:
    return Counter((number, line) for number, lines in data.invoice_lines.items() for line in lines)


EXPECTATIONS: dict[Resource, Expectation] = {
    Resource.ACCOUNTS: Expectation(ACCOUNTS_BY_ID, _accounts, lambda d: Counter(d.accounts)),
    Resource.SERVICES: Expectation(SERVICES_BY_ACCOUNT, _accounts, lambda d: Counter(d.services)),
    Resource.INVOICES: Expectation(INVOICES_BY_ACCOUNT, _accounts, lambda d: Counter(d.invoices)),
    Resource.INVOICE_LINES: Expectation(INVOICE_LINES_BY_INVOICE, _invoices, _lines),
    Resource.ORDERS: Expectation(ORDERS_BY_ACCOUNT, _accounts, lambda d: Counter(d.orders)),
    Resource.TICKETS: Expectation(TICKETS_BY_ACCOUNT, _accounts, lambda d: Counter(d.tickets)),
    Resource.USAGE: Expectation(USAGE_BY_ACCOUNT, _accounts, lambda d: Counter(d.usage)),
    Resource.QUOTES: Expectation(QUOTES_BY_ACCOUNT, _accounts, lambda d: Counter(d.quotes)),
}


@dataclass(frozen=True, slots=True)
class Check:
    """One named conformance check."""

    name: str
    run: Callable[[Sandbox, CarrierSpec, TransportFactory | None], Any]


async def _round_trip(
    sandbox: Sandbox, spec: CarrierSpec, transports: TransportFactory | None
) -> None:
    data = sandbox.data.carriers[spec.id]
    registry = Registry({spec.id: spec}, transport_factory=transports)
    try:
        connector = registry.get(spec.id)
        for resource, expect in EXPECTATIONS.items():
            keys = expect.keys(data)
            if resource not in spec.capabilities:
                try:
                    await connector.fetch(expect.fetch, keys[:1] or ["none"])
                except NotSupportedByCarrier as exc:
                    _require(exc.carrier == spec.id, spec, f"{resource}: error names no carrier")
                    continue
                raise ConformanceError(f"{spec.id}: undeclared {resource} did not raise")
            found = await connector.fetch(expect.fetch, keys)
            got: Counter[Any] = Counter()
            for key, records in found.items():
                for record in records:
                    got[(key, record) if resource is Resource.INVOICE_LINES else record] += 1
            _require(
                got == expect.records(data),
                spec,
                f"{resource}: {sum(got.values())} records came back, "
                f"{sum(expect.records(data).values())} expected; first difference: "
                f"{_first_difference(got, expect.records(data))}",
            )
    finally:
        await registry.aclose()


def _first_difference(got: Counter[Any], want: Counter[Any]) -> str:
    extra = got - want
    missing = want - got
    if extra:
        return f"unexpected {next(iter(extra))!r}"
    if missing:
        return f"missing {next(iter(missing))!r}"
    return "none"


def _require(ok: bool, spec: CarrierSpec, message: str) -> None:
    if not ok:
        raise ConformanceError(f"{spec.id}: {message}")


def smallest_pages(spec: CarrierSpec) -> CarrierSpec:
    """The same carrier with pages of 3 records (where its paging style has a size)."""
    paging = getattr(spec, "paging", None)
    if paging is None or not hasattr(paging, "page_size"):
        return spec
    return spec.model_copy(
        update={"paging": paging.model_copy(update={"page_size": 3, "max_pages": 10_000})}
    )


async def _paging(sandbox: Sandbox, spec: CarrierSpec, transports: TransportFactory | None) -> None:
    await _round_trip(sandbox, smallest_pages(spec), transports)


def _first_capability(spec: CarrierSpec) -> Resource:
    for resource in EXPECTATIONS:
        if resource in spec.capabilities and resource is not Resource.INVOICE_LINES:
            return resource
    raise ConformanceError(f"{spec.id}: declares no capability the kit can ask for")


async def _expect_error(
    sandbox: Sandbox,
    spec: CarrierSpec,
    transports: TransportFactory | None,
    faults: Faults,
    error: type[ConnectorError],
) -> None:
    data = sandbox.data.carriers[spec.id]
    expect = EXPECTATIONS[_first_capability(spec)]
    registry = Registry({spec.id: spec}, transport_factory=transports)
    sandbox.set_faults(spec.id, faults)
    try:
        await registry.get(spec.id).fetch(expect.fetch, expect.keys(data))
    except error as exc:
        _require(exc.carrier == spec.id, spec, f"{error.__name__} does not name the carrier")
        return
    except ConnectorError as exc:
        raise ConformanceError(
            f"{spec.id}: {faults} raised {type(exc).__name__} ({exc}), expected {error.__name__}"
        ) from exc
    finally:
        sandbox.set_faults(spec.id, Faults())
        await registry.aclose()
    raise ConformanceError(f"{spec.id}: {faults} raised nothing, expected {error.__name__}")


def _fault(
    faults: Faults, error: type[ConnectorError], *, timeout: bool = False
) -> Callable[[Sandbox, CarrierSpec, TransportFactory | None], Any]:
    async def run(sandbox: Sandbox, spec: CarrierSpec, transports: TransportFactory | None) -> None:
        if timeout:
            spec = spec.model_copy(update={"timeouts": Timeouts(connect=1.0, read=0.2)})
        await _expect_error(sandbox, spec, transports, faults, error)

    return run


TOLERANT_FAMILIES: frozenset[Protocol] = frozenset(
    {Protocol.TMF, Protocol.SOAP, Protocol.CSV, Protocol.REST, Protocol.GRAPHQL}
)
"""Families whose readers judge each value and each record alone (issue 8): garbage
inside a record costs that value or that record, never the list."""

_TOLERANCE_ORDER = (
    Resource.INVOICES,
    Resource.USAGE,
    Resource.SERVICES,
    Resource.ORDERS,
    Resource.TICKETS,
    Resource.QUOTES,
)


async def _answers(
    sandbox: Sandbox, spec: CarrierSpec, transports: TransportFactory | None, faults: Faults
) -> tuple[Mapping[str, Sequence[Any]], Mapping[str, Sequence[Any]]]:
    """One resource's answer from the healthy carrier, then with ``faults`` on."""
    resource = next((r for r in _TOLERANCE_ORDER if r in spec.capabilities), None)
    if resource is None:
        raise ConformanceError(f"{spec.id}: declares no resource with records of its own")
    expect = EXPECTATIONS[resource]
    keys = expect.keys(sandbox.data.carriers[spec.id])
    registry = Registry({spec.id: spec}, transport_factory=transports)
    try:
        clean = await registry.get(spec.id).fetch(expect.fetch, keys)
        sandbox.set_faults(spec.id, faults)
        broken = await registry.get(spec.id).fetch(expect.fetch, keys)
    except ConnectorError as exc:
        raise ConformanceError(f"{spec.id}: {faults.garbage} failed the list: {exc}") from exc
    finally:
        sandbox.set_faults(spec.id, Faults())
        await registry.aclose()
    return clean, broken


def _counts(found: Mapping[str, Sequence[Any]]) -> dict[str, int]:
    return {k: len(v) for k, v in found.items() if v}


async def _bad_record(
    sandbox: Sandbox, spec: CarrierSpec, transports: TransportFactory | None
) -> None:
    """An unmapped code and an emptied value: every record still arrives (tolerant families)."""
    faults = Faults(garbage="bad_record")
    if spec.protocol not in TOLERANT_FAMILIES:
        await _expect_error(sandbox, spec, transports, faults, UpstreamInvalid)
        return
    clean, broken = await _answers(sandbox, spec, transports, faults)
    _require(_counts(broken) == _counts(clean), spec, "bad_record: records went missing")
    _require(
        not any(dropped_of(v) for v in broken.values()), spec, "bad_record: a record was dropped"
    )
    before = {r for v in clean.values() for r in v}
    _require(
        any(r not in before for v in broken.values() for r in v), spec, "bad_record: no change"
    )


async def _bad_value(
    sandbox: Sandbox, spec: CarrierSpec, transports: TransportFactory | None
) -> None:
    """One absurd value: its record arrives with that value None and one problem naming it."""
    if spec.protocol not in TOLERANT_FAMILIES:
        return
    clean, broken = await _answers(sandbox, spec, transports, Faults(garbage="bad_value"))
    _require(_counts(broken) == _counts(clean), spec, "bad_value: records went missing")
    hurt = [r for v in broken.values() for r in v if getattr(r, "problems", ())]
    _require(bool(hurt), spec, "bad_value: no record reports a problem")
    for record in hurt:
        for problem in record.problems:
            _require(
                getattr(record, problem.field, "?") is None,
                spec,
                f"bad_value: {problem.field} has a problem but is not None",
            )


async def _unreadable_record(
    sandbox: Sandbox, spec: CarrierSpec, transports: TransportFactory | None
) -> None:
    """One record without its identity: only it is left out, and it is reported."""
    if spec.protocol not in TOLERANT_FAMILIES:
        return
    clean, broken = await _answers(sandbox, spec, transports, Faults(garbage="unreadable_record"))
    lost = sum(_counts(clean).values()) - sum(_counts(broken).values())
    errors = {id(e): e for v in broken.values() for e in dropped_of(v)}
    _require(lost > 0, spec, "unreadable_record: nothing was left out")
    _require(
        len(errors) == lost, spec, f"unreadable_record: {lost} left out, {len(errors)} reported"
    )
    _require(
        all(e.carrier == spec.id and e.record for e in errors.values()),
        spec,
        "unreadable_record: an error names no carrier or record",
    )


CHECKS: Sequence[Check] = (
    Check("round_trip", _round_trip),
    Check("paging", _paging),
    Check("unavailable", _fault(Faults(error_rate=1.0, error_status=503), UpstreamUnavailable)),
    Check("not_found", _fault(Faults(error_rate=1.0, error_status=404), UpstreamUnavailable)),
    Check("not_parseable", _fault(Faults(garbage="not_json"), UpstreamInvalid)),
    Check("wrong_shape", _fault(Faults(garbage="wrong_shape"), UpstreamInvalid)),
    Check("bad_record", _bad_record),
    Check("bad_value", _bad_value),
    Check("unreadable_record", _unreadable_record),
    Check("timeout", _fault(Faults(hang_seconds=0.6), UpstreamTimeout, timeout=True)),
)


async def run_check(
    check: Check, sandbox: Sandbox, spec: CarrierSpec, transports: TransportFactory | None = None
) -> None:
    """Run one check for one carrier (raises ConformanceError when it fails)."""
    await check.run(sandbox, spec, transports)
