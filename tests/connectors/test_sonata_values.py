"""The Sonata value readers that take a Salvage: what the long way reads, problems alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from connectors.mapping import FieldError, Salvage, parse_money
from connectors.models import FieldProblem, Money
from connectors.protocols.sonata_codes import SonataMaps
from connectors.protocols.sonata_records import SonataReader, _term
from connectors.protocols.sonata_values import (
    EMPTY,
    blank,
    coded,
    fast_money,
    instant,
    list_at,
    obj_at,
    object_at,
    objects,
    opt_money,
    opt_str,
    opt_text,
    price,
    read_price,
)
from connectors.registry import CARRIERS_DIR, load_spec
from connectors.specs.sonata import SonataSpec

if TYPE_CHECKING:
    from collections.abc import Callable

VALUES: list[object] = [
    None,
    "",
    "text",
    12,
    True,
    Decimal("1.5"),
    [],
    [{"a": 1}],
    [{"a": 1}, 2],
    {},
    {"k": "v"},
]

MONEY: list[object] = [
    None,
    {},
    {"unit": None, "value": None},
    {"unit": "USD", "value": "12.345"},
    {"unit": "USD", "value": Decimal("-7.5")},
    {"unit": "usd", "value": "1"},
    {"unit": "USD", "value": 3},
    {"unit": "USD", "value": "abc"},
    {"unit": "USD", "value": "NaN"},
    {"unit": "USD", "value": "1e400"},
    {"unit": "USD", "value": "1e30"},
    {"unit": "XXQ", "value": "1"},
    {"unit": 5, "value": "1"},
    {"value": "1"},
    "12.5",
]


def _long_way(read: Callable[[], Any]) -> tuple[Any, tuple[FieldProblem, ...]]:
    s = Salvage()
    return s.get("name", read), s.done()


def _short_way(read: Callable[[Salvage], Any]) -> tuple[Any, tuple[FieldProblem, ...]]:
    s = Salvage()
    return read(s), s.done()


@pytest.mark.parametrize("value", VALUES)
def test_objects_reads_as_list_at(value: object) -> None:
    obj = {"k": value}
    found, problems = _short_way(lambda s: objects(s, "name", obj, "k", "wire.k"))
    expected, expected_problems = _long_way(lambda: list_at(obj, "k", "wire.k"))
    assert found == (expected or [])
    assert problems == expected_problems


@pytest.mark.parametrize("value", VALUES)
def test_object_at_reads_as_obj_at(value: object) -> None:
    obj = {"k": value}
    found, problems = _short_way(lambda s: object_at(s, "name", obj, "k", "wire.k"))
    expected, expected_problems = _long_way(lambda: obj_at(obj, "k", "wire.k"))
    assert found == (expected or EMPTY)
    assert problems == expected_problems


@pytest.mark.parametrize("value", VALUES)
def test_opt_text_reads_as_opt_str(value: object) -> None:
    obj = {"k": value}
    found, problems = _short_way(lambda s: opt_text(s, "name", obj, "k", "wire.k"))
    assert (found, problems) == _long_way(lambda: opt_str(obj, "k", "wire.k"))


@pytest.mark.parametrize(
    "value",
    [None, "2025-03-01T10:00:00+01:00", "2025-03-01", "garbage", 12, "9999-01-01T00:00:00Z"],
)
def test_instant_notes_a_problem_on_the_wire_field(value: object) -> None:
    s = Salvage()
    found = instant(s, "name", {"k": value}, "k", "wire.k")
    if value == "2025-03-01T10:00:00+01:00":
        assert found == datetime(2025, 3, 1, 9, tzinfo=UTC)
        assert s.done() == ()
    elif value is None:
        assert (found, s.done()) == (None, ())
    else:
        assert found is None
        assert [(p.field, p.wire_field) for p in s.done()] == [("name", "wire.k")]


@pytest.mark.parametrize("value", MONEY)
def test_fast_money_is_parse_money_or_declines(value: object) -> None:
    found = fast_money(value)
    if found is not None:
        assert found == parse_money(value, "m")
        assert type(found) is Money


def test_fast_money_takes_the_usual_shape() -> None:
    assert fast_money({"unit": "EUR", "value": "10.005"}) == Money(Decimal("10.00"), "EUR")
    assert fast_money({"unit": "usd", "value": "1"}) is None  # the long way upper-cases it


@pytest.mark.parametrize("value", MONEY)
def test_opt_money_reads_as_parse_money(value: object) -> None:
    obj = {"amount": value}
    found, problems = _short_way(lambda s: opt_money(s, "name", obj, "amount"))
    expected = _long_way(lambda: None if blank(value) else parse_money(value, "amount"))
    assert (found, problems) == expected


@pytest.mark.parametrize("charge", [*MONEY, "not an object"])
@pytest.mark.parametrize("key", ["dutyFreeAmount", "taxIncludedAmount"])
def test_read_price_reads_as_price(charge: object, key: str) -> None:
    prices: dict[object, Any] = {"recurring": {"priceType": "recurring", "price": {key: charge}}}
    if charge == "not an object":
        prices["recurring"]["price"] = charge
    found, problems = _short_way(lambda s: read_price(s, "name", prices, "recurring", "pp"))
    assert (found, problems) == _long_way(lambda: price(prices, "recurring", "pp"))
    assert read_price(Salvage(), "name", prices, "nonRecurring", "pp") is None


def test_coded_keeps_the_raw_code_problem() -> None:
    spec = load_spec(CARRIERS_DIR / "tarnwick-networks.yaml", {})
    assert isinstance(spec, SonataSpec)
    maps = SonataMaps.for_spec(spec)
    s = Salvage()
    assert coded(s, "status", maps.order, None, "state") is None
    assert coded(s, "status", maps.order, "inProgress", "state") is maps.order["inProgress"]
    assert coded(s, "status", maps.order, 5, "state") is None
    with pytest.raises(FieldError) as raised:
        maps.order.lenient(5, "state")
    assert s.done() == (FieldProblem("status", "state", raised.value.problem),)


def _reader() -> SonataReader:
    spec = load_spec(CARRIERS_DIR / "tarnwick-networks.yaml", {})
    assert isinstance(spec, SonataSpec)
    return SonataReader(spec, SonataMaps.for_spec(spec))


@pytest.mark.parametrize(
    "value", ["2025-03-01", "2025-03-01T23:30:00Z", "2025-02-30", "0001-01-01", 7, None]
)
def test_reader_dates_are_memoized_only_when_read(value: object) -> None:
    reader = _reader()
    expected = Salvage()
    day = expected.get("name", lambda: reader._day(value, "wire"))
    for _ in range(2):  # the second read is the memo's
        s = Salvage()
        assert reader._date(s, "name", value, "wire") == day
        assert s.done() == expected.done()
    if isinstance(value, str):
        assert reader._days.get(value) == day
    assert (day is None) == (value is None or expected.done() != ())


@pytest.mark.parametrize(
    "duration",
    [
        None,
        {},
        {"amount": 2, "units": "calendarYears"},
        {"amount": 3, "units": "calendarDays"},
        {"amount": "4", "units": "calendarMonths"},
        {"amount": True, "units": "calendarMonths"},
        {"amount": "x", "units": "calendarMonths"},
        "12 months",
    ],
)
def test_service_terms_read_alike_on_every_path(duration: object) -> None:
    reader = _reader()
    wire = {"productTerm": [{"duration": duration}]}
    service = reader.service(wire, "S-1", "A-1")
    s = Salvage()
    expected = s.get("term_months", lambda: _term({"duration": duration}, "productTerm.duration"))
    assert service.term_months == expected
    assert [p for p in service.problems if p.field == "term_months"] == list(s.done())
