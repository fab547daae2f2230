"""Normalized records -> one REST carrier's wire documents: its carrier file, inverted.

The sandbox's REST back office serves the data set through this writer, so every
carrier of the family gets a back office in its own dialect from its file alone: each
field at the file's wire path, instants and dates in its formats and time zone, money
in its format, codes in its vocabulary (the first code a map gives for a value). It
walks the same record schemas (:data:`~connectors.protocols.rest_records.SCHEMAS`) and
resolved :class:`~connectors.protocols.rest.Layout` as the adapter's reader.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from connectors.protocols.rest import SCHEMAS
from connectors.protocols.rest_records import EPOCH
from connectors.specs.rest import ADDRESS_PARTS

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from decimal import Decimal

    from connectors.models import Money, Resource
    from connectors.protocols.rest import Layout, Record
    from connectors.protocols.rest_records import Codes, Formats

__all__ = ["RestWriter", "Wire"]

Wire = dict[str, Any]
Convert = Callable[[Any], object]
_SECOND = timedelta(seconds=1)
_MILLI = timedelta(milliseconds=1)


def instant_writer(formats: Formats) -> Callable[[datetime], str | int]:
    """The inverse of the adapter's instant reader for one resource's formats."""
    fmt, zone = formats.datetime, formats.zone
    if fmt == "epoch":
        return lambda value: (value - EPOCH) // _SECOND
    if fmt == "epoch_ms":
        return lambda value: (value - EPOCH) // _MILLI
    if fmt == "iso":
        if zone is UTC:
            return lambda value: value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return lambda value: value.astimezone(zone).isoformat()
    return lambda value: value.astimezone(zone).strftime(fmt)


def _money_writer(formats: Formats) -> Callable[[Money], int | str | float]:
    if formats.money == "cents":
        return lambda value: int(value.amount.scaleb(2))
    if formats.money == "string":
        return lambda value: str(value.amount)
    return lambda value: float(value.amount)


def _same(value: object) -> object:
    return value


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _place(doc: Wire, steps: tuple[str, ...], value: object) -> None:
    *parents, leaf = steps
    for step in parents:
        doc = doc.setdefault(step, {})
    doc[leaf] = value


class _Writer:
    """One record schema compiled against one carrier's layout, formats and codes."""

    def __init__(
        self,
        record: Record,
        paths: Mapping[str, str],
        address: Mapping[str, str],
        formats: Formats,
        codes: Mapping[str, Codes[Any]],
        currency: str,
    ) -> None:
        self.key = record.key
        attributes = {f.name for f in dataclasses.fields(record.make)}
        instant, money = instant_writer(formats), _money_writer(formats)
        date_format = formats.date
        parts = {p: tuple(address.get(p, p).split(".")) for p in ADDRESS_PARTS}
        self.fields: list[tuple[Callable[[Any, Any], Any], tuple[str, ...], Convert]] = []
        for f in record.fields:
            kind = f.kind.rstrip("?")
            convert: Convert
            match kind:
                case "instant":
                    convert = instant
                case "day":
                    convert = (
                        (lambda v: v.isoformat())
                        if date_format == "iso"
                        else (lambda v: v.strftime(date_format))
                    )
                case "money":
                    convert = money
                case "decimal":
                    convert = _number
                case "code":
                    convert = codes[f.vocabulary].write
                case "texts":
                    convert = list
                case "address":
                    convert = lambda v: _address(v, parts)  # noqa: E731
                case "list":
                    assert f.of is not None  # noqa: S101 - the schema table is static
                    nested = {
                        n[len(f.name) + 1 :]: w
                        for n, w in paths.items()
                        if n.startswith(f"{f.name}.")
                    }
                    convert = _Writer(f.of, nested, address, formats, codes, currency).write_all
                case _:
                    convert = _same
            get: Callable[[Any, Any], Any]
            if f.name in attributes:
                get = _attribute(f.name)
            elif f.name == record.key:
                get = _key
            else:  # the currency of a record that only carries it in its amounts
                get = _constant(currency)
            self.fields.append((get, tuple(paths[f.name].split(".")), convert))

    def write(self, record: Any, key: str | None = None) -> Wire:  # noqa: ANN401 - any record
        """A wire document with every non-null field at its path, in the carrier's formats."""
        doc: Wire = {}
        for get, steps, convert in self.fields:
            value = get(record, key)
            if value is not None:
                _place(doc, steps, convert(value))
        return doc

    def write_all(self, records: Sequence[Any]) -> list[Wire]:
        """Write the items of a nested list."""
        return [self.write(r) for r in records]


def _attribute(name: str) -> Callable[[Any, Any], Any]:
    return lambda record, key: getattr(record, name)


def _key(record: object, key: object) -> object:
    return key


def _constant(value: object) -> Callable[[Any, Any], Any]:
    return lambda record, key: value


def _address(value: Any, parts: Mapping[str, tuple[str, ...]]) -> Wire:  # noqa: ANN401
    doc: Wire = {}
    for part, steps in parts.items():
        _place(doc, steps, getattr(value, part))
    return doc


class RestWriter:
    """Normalized records -> wire documents in one REST carrier's layout and vocabulary.

    Example:
        >>> writer = RestWriter(layouts(spec), spec.address, "USD")  # doctest: +SKIP
        >>> writer.write(Resource.SERVICES, service)["acct"]["no"]  # doctest: +SKIP
        'ACC-1001'
    """

    def __init__(
        self, layouts: Mapping[Resource, Layout], address: Mapping[str, str], currency: str
    ) -> None:
        self._writers = {
            resource: _Writer(
                SCHEMAS[resource], layout.fields, address, layout.formats, layout.codes, currency
            )
            for resource, layout in layouts.items()
        }

    def write(self, resource: Resource, record: Any) -> Wire:  # noqa: ANN401 - any record
        """One record (for invoice lines: ``(invoice number, line)``) as a wire document."""
        writer = self._writers[resource]
        if writer.key is not None:
            key, record = record
            return writer.write(record, key)
        return writer.write(record)
