"""Reading wire values into normalized ones: dates, money, enums, with precise errors.

Every parser raises :class:`FieldError` naming the field it could not read. Readers
judge each value on its own (:class:`Salvage`): a value that cannot be read, or is
absurd (a currency outside ISO 4217, an amount beyond :data:`LIMITS`, a date outside
1900-2200), becomes ``None`` with a :class:`~connectors.models.FieldProblem` on its
record, and the rest of the record still arrives. Only a record whose identity cannot
be read is left out. A status code the carrier file does not map is kept as the
enum's ``UNKNOWN`` (``OTHER``) member plus the raw code (:meth:`StatusMap.lenient`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from connectors.builders import builder
from connectors.currencies import ISO_4217
from connectors.models import FieldProblem, Money

__all__ = [
    "LIMITS",
    "MEMO_LIMIT",
    "FieldError",
    "Salvage",
    "StatusMap",
    "ValueLimits",
    "build_status_map",
    "clear_memos",
    "optional_date",
    "optional_datetime",
    "parse_amount",
    "parse_currency",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_money",
    "require",
]

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

_CENT = Decimal("0.01")
_money = builder(Money)

MEMO_LIMIT = 50_000
"""Entries a date memo holds before it starts again from empty."""
_DATETIMES: dict[str, datetime] = {}
_DATES: dict[str, date] = {}


def clear_memos() -> None:
    """Forget every date and date-time read so far (the next read parses again)."""
    _DATETIMES.clear()
    _DATES.clear()


@dataclass(slots=True)
class ValueLimits:
    """What a carrier value may be before it is refused as absurd (set once at start-up).

    Setting a limit clears the date memos: a date they hold passed the old year bounds.
    """

    max_amount: Decimal = Decimal("1e12")
    earliest_year: int = 1900
    latest_year: int = 2200

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        clear_memos()


LIMITS = ValueLimits()
"""The process's limits; the gateway sets ``max_amount`` from its settings at start-up."""


class FieldError(ValueError):
    """A wire field is missing or holds a value of the wrong shape."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"field '{field}': {problem}")
        self.field = field
        self.problem = problem


class Salvage:
    """Reads one record value by value, keeping what can be read.

    Example:
        >>> salvage = Salvage()
        >>> salvage.get("total", lambda: parse_money({"unit": "xyz", "value": 1}, "amount"))
        >>> salvage.problems[0].wire_field
        'amount.unit'
    """

    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def get(self, field: str, read: Callable[[], T]) -> T | None:
        """``read()``, or None with a problem on ``field`` when it raises FieldError."""
        try:
            return read()
        except FieldError as exc:
            self.problems.append(FieldProblem(field, exc.field, exc.problem))
            return None

    def note(self, field: str, exc: FieldError) -> None:
        """Record a problem found by the caller itself."""
        self.problems.append(FieldProblem(field, exc.field, exc.problem))

    def done(self) -> tuple[FieldProblem, ...]:
        """The problems found, for the record's ``problems`` field."""
        return tuple(self.problems)


class StatusMap(Mapping[str, E]):
    """Carrier status codes -> one normalized enum.

    :meth:`read` refuses a code the map does not hold; :meth:`lenient` keeps it as the
    enum's ``UNKNOWN`` (or ``OTHER``) member, for readers that keep the raw code beside.
    """

    def __init__(self, enum: type[E], codes: Mapping[str, E]) -> None:
        self.enum = enum
        self._codes = dict(codes)
        members = enum.__members__
        self.fallback: E | None = members.get("UNKNOWN") or members.get("OTHER")

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

    def lenient(self, value: object, field: str) -> E:
        """Map one wire code; an unmapped string is the fallback member, not an error.

        Raises:
            FieldError: the value is not a string, or the enum has no fallback member.
        """
        if isinstance(value, str):
            found = self._codes.get(value)
            if found is not None:
                return found
            if self.fallback is not None:
                return self.fallback
        return self.read(value, field)

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
    """An ISO 8601 instant with an offset (``Z`` allowed) -> aware UTC datetime.

    Instants read well are memoized by their text (carriers repeat them from one answer
    to the next); a value that fails is parsed, and fails, every time.
    """
    if value.__class__ is str:
        found = _DATETIMES.get(value)
        if found is not None:
            return found
        instant = _parse_datetime(value, field)
        if len(_DATETIMES) >= MEMO_LIMIT:
            _DATETIMES.clear()
        _DATETIMES[value] = instant
        return instant
    return _parse_datetime(value, field)


def optional_datetime(
    salvage: Salvage, name: str, obj: Mapping[str, Any], key: str, field: str | None = None
) -> datetime | None:
    """``obj[key]`` by :func:`parse_datetime`: None when absent, a problem on ``name`` when bad.

    ``field`` is the wire field a problem names (``key`` unless given).
    """
    value = obj.get(key)
    if value.__class__ is str:
        found = _DATETIMES.get(value)
        if found is not None:
            return found
    elif value is None:
        return None
    try:
        return parse_datetime(value, field or key)
    except FieldError as exc:
        salvage.note(name, exc)
        return None


def optional_date(salvage: Salvage, name: str, obj: Mapping[str, Any], key: str) -> date | None:
    """``obj[key]`` by :func:`parse_date`: None when absent, a problem on ``name`` when bad."""
    value = obj.get(key)
    if value.__class__ is str:
        found = _DATES.get(value)
        if found is not None:
            return found
    elif value is None:
        return None
    try:
        return parse_date(value, key)
    except FieldError as exc:
        salvage.note(name, exc)
        return None


def _parse_datetime(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise FieldError(field, "expected an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FieldError(field, f"not an ISO 8601 date-time: '{value[:40]}'") from None
    if parsed.tzinfo is UTC:  # "Z" or "+00:00": already the instant we keep
        _check_year(parsed.year, field)
        return parsed
    if parsed.tzinfo is None:
        raise FieldError(field, "date-time has no UTC offset")
    try:
        instant = parsed.astimezone(UTC)
    except OverflowError:
        raise FieldError(field, f"date-time out of range: '{value[:40]}'") from None
    _check_year(instant.year, field)
    return instant


def _check_year(year: int, field: str) -> None:
    if not LIMITS.earliest_year <= year <= LIMITS.latest_year:
        raise FieldError(field, f"year {year} outside {LIMITS.earliest_year}-{LIMITS.latest_year}")


def parse_date(value: object, field: str) -> date:
    """An ISO 8601 date, or the UTC calendar date of an ISO 8601 instant (memoized alike)."""
    if value.__class__ is str:
        found = _DATES.get(value)
        if found is not None:
            return found
        day = _parse_date(value, field)
        if len(_DATES) >= MEMO_LIMIT:
            _DATES.clear()
        _DATES[value] = day
        return day
    return _parse_date(value, field)


def _parse_date(value: object, field: str) -> date:
    if isinstance(value, str) and len(value) == 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise FieldError(field, f"not an ISO 8601 date: '{value}'") from None
        _check_year(day.year, field)
        return day
    return parse_datetime(value, field).date()


def parse_decimal(value: object, field: str) -> Decimal:
    """A JSON number (decoded as Decimal) or numeric string -> Decimal."""
    if isinstance(value, bool):
        raise FieldError(field, "expected a number, got a boolean")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise FieldError(field, "not a finite number")
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise FieldError(field, "not a finite number")
        return Decimal(repr(value))
    if isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise FieldError(field, f"not a number: '{str(value)[:40]}'") from None
        if not result.is_finite():
            raise FieldError(field, "not a finite number")
        return result
    raise FieldError(field, f"expected a number, got {type(value).__name__}")


def parse_currency(value: object, field: str) -> str:
    """An ISO 4217 code in use (any case on the wire) -> its upper-case spelling."""
    code = value.upper() if isinstance(value, str) else None
    if code not in ISO_4217:
        shown = value[:8] if isinstance(value, str) else type(value).__name__
        raise FieldError(field, f"expected an ISO 4217 currency code, got '{shown}'")
    return code


def parse_amount(value: object, field: str) -> Decimal:
    """A money amount within :data:`LIMITS`, rounded to the cent."""
    amount = parse_decimal(value, field)
    if abs(amount) > LIMITS.max_amount:
        raise FieldError(field, f"amount beyond the bound of {LIMITS.max_amount:,.0f}")
    try:
        return amount.quantize(_CENT)
    except InvalidOperation:  # more digits than the context holds
        raise FieldError(field, "amount out of range") from None


def parse_money(value: object, field: str) -> Money:
    """A TMF-style ``{"unit": "USD", "value": 12.5}`` -> Money rounded to the cent."""
    if value.__class__ is not dict and not isinstance(value, Mapping):
        raise FieldError(field, "expected an object with 'unit' and 'value'")
    unit = value.get("unit")
    if unit.__class__ is str and unit in ISO_4217:  # already upper case, as the codes are
        currency = unit
    else:
        code = unit.upper() if unit.__class__ is str else None
        currency = code if code in ISO_4217 else parse_currency(unit, f"{field}.unit")
    amount = value.get("value")
    if amount.__class__ is Decimal and amount.is_finite() and abs(amount) <= LIMITS.max_amount:
        try:  # parse_amount's steps for the usual amount, without naming the field first
            return _money(amount.quantize(_CENT), currency)
        except InvalidOperation:
            pass  # the long way below names what is wrong with it
    return _money(parse_amount(amount, f"{field}.value"), currency)
