"""The wire value parsers: what the date memos remember, and what they never do."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from connectors import mapping
from connectors.mapping import (
    FieldError,
    Salvage,
    optional_date,
    optional_datetime,
    parse_date,
    parse_datetime,
    parse_money,
)
from connectors.models import FieldProblem, Money


@pytest.fixture(autouse=True)
def empty_memos():
    mapping.clear_memos()
    yield
    mapping.clear_memos()


def _error(parse, value, field="f"):
    with pytest.raises(FieldError) as caught:
        parse(value, field)
    return caught.value.field, caught.value.problem


def test_an_offset_is_normalised_to_utc_when_read_and_when_remembered():
    first = parse_datetime("2025-06-30T23:30:00-05:00", "f")
    again = parse_datetime("2025-06-30T23:30:00-05:00", "g")
    assert first == again == datetime(2025, 7, 1, 4, 30, tzinfo=UTC)
    assert first.tzinfo is UTC
    assert again.tzinfo is UTC
    assert parse_date("2025-06-30T23:30:00-05:00", "f") == date(2025, 7, 1)
    assert parse_date("2025-06-30T23:30:00-05:00", "f") == date(2025, 7, 1)


@pytest.mark.parametrize(
    ("good", "bad", "problem"),
    [
        ("2025-06-30T10:00:00Z", "2025-06-30T10:00:00", "date-time has no UTC offset"),
        ("2025-06-30T10:00:00Z", "2025-06-31T10:00:00Z", "not an ISO 8601 date-time"),
        ("2025-06-30T10:00:00Z", "1899-12-31T23:00:00Z", "year 1899 outside 1900-2200"),
        ("2200-12-31T23:00:00Z", "2200-12-31T23:00:00-02:00", "year 2201 outside 1900-2200"),
    ],
)
def test_a_bad_date_time_fails_every_time_after_good_ones(good, bad, problem):
    parse_datetime(good, "f")
    parse_datetime(good, "f")
    for field in ("first", "second"):
        wire, said = _error(parse_datetime, bad, field)
        assert wire == field
        assert said.startswith(problem)
    assert parse_datetime(good, "f") == datetime.fromisoformat(good).astimezone(UTC)


@pytest.mark.parametrize(
    ("good", "bad", "problem"),
    [
        ("2025-06-30", "2025-06-31", "not an ISO 8601 date"),
        ("2025-06-30", "2201-01-01", "year 2201 outside 1900-2200"),
        ("2025-06-30", "2025-06-30T10:00:00", "date-time has no UTC offset"),
    ],
)
def test_a_bad_date_fails_every_time_after_good_ones(good, bad, problem):
    assert parse_date(good, "f") == parse_date(good, "f") == date(2025, 6, 30)
    for field in ("first", "second"):
        wire, said = _error(parse_date, bad, field)
        assert wire == field
        assert said.startswith(problem)


@pytest.mark.parametrize("value", [None, 20250630, [], {}, ["2025-06-30"], True])
def test_values_that_are_not_strings_still_fail_as_field_errors(value):
    assert _error(parse_datetime, value) == ("f", "expected an ISO 8601 date-time string")
    assert _error(parse_date, value) == ("f", "expected an ISO 8601 date-time string")


def test_the_memos_are_bounded(monkeypatch):
    monkeypatch.setattr(mapping, "MEMO_LIMIT", 5)
    for day in range(1, 29):
        assert parse_datetime(f"2025-02-{day:02d}T00:00:00Z", "f").day == day
        assert parse_date(f"2025-02-{day:02d}", "f").day == day
        assert len(mapping._DATETIMES) <= 5
        assert len(mapping._DATES) <= 5


def test_changing_the_year_limits_forgets_what_was_remembered(monkeypatch):
    assert parse_datetime("2150-01-01T00:00:00Z", "f").year == 2150
    assert parse_date("2150-01-01", "f").year == 2150
    monkeypatch.setattr(mapping.LIMITS, "latest_year", 2100)
    assert _error(parse_datetime, "2150-01-01T00:00:00Z") == ("f", "year 2150 outside 1900-2100")
    assert _error(parse_date, "2150-01-01") == ("f", "year 2150 outside 1900-2100")


def test_optional_readers_salvage_like_the_parsers():
    obj = {"ok": "2025-06-30T23:30:00-05:00", "bad": "2025-06-30T10:00:00", "odd": 7}
    s = Salvage()
    for _ in range(2):  # read, then remembered
        assert optional_datetime(s, "at", obj, "ok") == datetime(2025, 7, 1, 4, 30, tzinfo=UTC)
        assert optional_date(s, "on", obj, "ok") == date(2025, 7, 1)
    assert optional_datetime(s, "at", obj, "absent") is None
    assert optional_date(s, "on", obj, "absent") is None
    assert s.done() == ()
    assert optional_datetime(s, "at", obj, "bad") is None
    assert optional_date(s, "on", obj, "odd") is None
    assert s.done() == (
        FieldProblem("at", "bad", "date-time has no UTC offset"),
        FieldProblem("on", "odd", "expected an ISO 8601 date-time string"),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"unit": "USD", "value": Decimal("12.345")}, Money(Decimal("12.34"), "USD")),
        ({"unit": "usd", "value": Decimal("-0")}, Money(Decimal("-0.00"), "USD")),
        ({"unit": "EUR", "value": 3}, Money(Decimal("3.00"), "EUR")),
        ({"unit": "GBP", "value": "1.5"}, Money(Decimal("1.50"), "GBP")),
    ],
)
def test_money_reads_the_same_on_every_path(value, expected):
    money = parse_money(value, "f")
    assert money == expected
    assert repr(money) == repr(expected)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"unit": "USD", "value": Decimal("1e13")}, ("f.value", "amount beyond the bound of")),
        ({"unit": "USD", "value": Decimal("NaN")}, ("f.value", "not a finite number")),
        ({"unit": "USD", "value": True}, ("f.value", "expected a number, got a boolean")),
        ({"unit": "XYZ", "value": Decimal(1)}, ("f.unit", "expected an ISO 4217 currency code")),
    ],
)
def test_bad_money_names_the_field(value, error):
    field, problem = _error(parse_money, value)
    assert (field, problem[: len(error[1])]) == error
