"""Reading wire values into normalized ones: dates, money, enums, with precise errors.

Every parser raises :class:`FieldError` naming the field it could not read; the
adapter that called it adds carrier and record and re-raises ``UpstreamInvalid``.
A value is never guessed: an unmapped status code is an error, not a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from connectors.models import Money

__all__ = [
    "FieldError",
    "StatusMap",
    "build_status_map",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_money",
    "require",
]

E = TypeVar("E", bound=StrEnum)

_CENT = Decimal("0.01")


class FieldError(ValueError):
    """A wire field is missing or holds a value of the wrong shape."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"field '{field}': {problem}")
        self.field = field
        self.problem = problem


class StatusMap(Mapping[str, E]):
    """Carrier status codes -> one normalized enum; unknown codes are errors."""

    def __init__(self, enum: type[E], codes: Mapping[str, E]) -> None:
        self.enum = enum
        self._codes = dict(codes)

    def __getitem__(self, code: str) -> E:
        return self._codes[code]

    def __iter__(self):  # type: ignore[no-untyped-def]  # noqa: ANN204 - Mapping protocol
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def read(self, value: object, field: str) -> E:
        """Map one wire code, naming the field when the code is not in the map."""
        if not isinstance(value, str):
            raise FieldError(field, f"expected a status code string, got {type(value).__name__}")
        try:
            return self._codes[value]
        except KeyError:
            raise FieldError(field, f"unmapped {self.enum.__name__} code '{value}'") from None

    def code_for(self, member: E) -> str:
        """The first (preferred) wire code for a normalized value; used by the sandbox."""
        for code, value in self._codes.items():
            if value is member:
                return code
        raise KeyError(member)


def build_status_map(
    enum: type[E], defaults: Mapping[str, str], overrides: Mapping[str, str], origin: str
) -> StatusMap[E]:
    """Merge a carrier's codes over the adapter's defaults; the carrier's codes come first.

    Raises:
        ValueError: a code maps to a name that is not a member of ``enum`` (message names
            ``origin``, the code and the allowed names).
    """
    codes: dict[str, E] = {}
    for source in (overrides, defaults):
        for code, name in source.items():
            if code in codes:
                continue
            try:
                codes[code] = enum[name]
            except KeyError:
                allowed = ", ".join(enum.__members__)
                raise ValueError(
                    f"{origin}: code '{code}' maps to '{name}', expected one of: {allowed}"
                ) from None
    return StatusMap(enum, codes)


def require(obj: Mapping[str, Any], key: str, field: str | None = None) -> Any:  # noqa: ANN401
    """The value at ``key``, or a FieldError naming it when absent or null."""
    value = obj.get(key)
    if value is None:
        raise FieldError(field or key, "missing")
    return value


def parse_datetime(value: object, field: str) -> datetime:
    """An ISO 8601 instant with an offset (``Z`` allowed) -> aware UTC datetime."""
    if not isinstance(value, str):
        raise FieldError(field, "expected an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(field, f"not an ISO 8601 date-time: '{value[:40]}'") from None
    if parsed.tzinfo is None:
        raise FieldError(field, "date-time has no UTC offset")
    return parsed.astimezone(UTC)


def parse_date(value: object, field: str) -> date:
    """An ISO 8601 date, or the UTC calendar date of an ISO 8601 instant."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise FieldError(field, f"not an ISO 8601 date: '{value}'") from None
    return parse_datetime(value, field).date()


def parse_decimal(value: object, field: str) -> Decimal:
    """A JSON number (decoded as Decimal) or numeric string -> Decimal."""
    if isinstance(value, bool):
        raise FieldError(field, "expected a number, got a boolean")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise FieldError(field, f"not a number: '{str(value)[:40]}'") from None
        if not result.is_finite():
            raise FieldError(field, "not a finite number")
        return result
    raise FieldError(field, f"expected a number, got {type(value).__name__}")


def parse_money(value: object, field: str) -> Money:
    """A TMF-style ``{"unit": "USD", "value": 12.5}`` -> Money rounded to the cent."""
    if not isinstance(value, Mapping):
        raise FieldError(field, "expected an object with 'unit' and 'value'")
    unit = value.get("unit")
    if not isinstance(unit, str) or len(unit) != 3 or not unit.isalpha():
        raise FieldError(f"{field}.unit", "expected an ISO 4217 currency code")
    amount = parse_decimal(value.get("value"), f"{field}.value")
    return Money(amount.quantize(_CENT), unit.upper())
