"""Reading MEF Sonata values: optional objects and lists, references, money, durations.

The small value readers :class:`~connectors.protocols.sonata_records.SonataReader` and
the adapter share. Each raises only :class:`~connectors.mapping.FieldError` naming the
wire field; absent optional values are None (or empty), never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connectors.builders import builder
from connectors.currencies import ISO_4217
from connectors.mapping import (
    LIMITS,
    FieldError,
    optional_datetime,
    parse_decimal,
    parse_money,
)
from connectors.models import Address, Money

if TYPE_CHECKING:
    from datetime import datetime

    from connectors.mapping import Salvage, StatusMap

__all__ = [
    "DAYS",
    "EMPTY",
    "MONTHS",
    "ZERO",
    "Json",
    "address",
    "blank",
    "coded",
    "duration",
    "fast_money",
    "instant",
    "list_at",
    "obj_at",
    "object_at",
    "objects",
    "opt_money",
    "opt_str",
    "opt_text",
    "price",
    "prices_by_type",
    "read_price",
    "ref_id",
    "related_ids",
]

Json = Mapping[str, Any]

ZERO = Decimal(0)
EMPTY: Json = {}
_CENT = Decimal("0.01")
_money = builder(Money)
_address = builder(Address)

# MEF TimeUnit -> how many of the unit we report (months, days) one wire unit is.
MONTHS = {"calendarMonths": 1, "calendarYears": 12}
DAYS = {"calendarDays": 1, "businessDays": 1, "calendarWeeks": 7}


def opt_str(obj: Json, key: str, field: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise FieldError(field, "expected a string")


def obj_at(obj: Json, key: str, field: str) -> Json:
    """An optional object: absent -> empty, present but not an object -> FieldError."""
    value = obj.get(key)
    if value is None:
        return EMPTY
    if not isinstance(value, Mapping):
        raise FieldError(field, "expected an object")
    return value


def list_at(obj: Json, key: str, field: str) -> list[Json]:
    """An optional list of objects: absent -> empty; anything else -> FieldError."""
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise FieldError(field, "expected a list of objects")
    return value


def ref_id(obj: Json, key: str) -> str | None:
    """The ``id`` of a reference object at ``key`` when it is a readable string."""
    ref = obj.get(key)
    if isinstance(ref, Mapping):
        value = ref.get("id")
        if isinstance(value, str) and value:
            return value
    return None


def related_ids(obj: Json, key: str, kinds: tuple[str, ...]) -> list[str]:
    """Ids of the related entities (or parties) in ``obj[key]`` whose type is one of ``kinds``."""
    found = []
    entries = obj.get(key)
    if isinstance(entries, list):
        for e in entries:
            if not isinstance(e, Mapping):
                continue
            kind = e.get("@referredType") or e.get("role")
            value = e.get("id")
            if kind in kinds and isinstance(value, str) and value:
                found.append(value)
    return found


def duration(obj: Json, field: str, units: Mapping[str, int]) -> int | None:
    """A MEF ``Duration`` in whole ``units``; a spec unit that does not convert is None."""
    factor = units.get(obj.get("units"))  # type: ignore[arg-type]
    if factor is None:
        return None
    return int(parse_decimal(obj.get("amount"), f"{field}.amount")) * factor


def address(obj: Json) -> Address | None:
    """A MEF ``FieldedAddress`` (street, city, state, postcode, country); None if it has none."""
    parts = [obj.get(k) for k in ("streetName", "city", "stateOrProvince", "postcode", "country")]
    texts = [p if isinstance(p, str) else None for p in parts]
    if not any(texts):
        return None
    return _address(*texts)


def prices_by_type(entries: list[Json]) -> dict[object, Json]:
    return {p.get("priceType"): p for p in entries}


def price(prices: Mapping[object, Json], kind: str, field: str) -> Money | None:
    """A price's duty-free amount (or its tax-included amount when that is all there is)."""
    entry = prices.get(kind)
    if entry is None:
        return None
    charge = obj_at(entry, "price", f"{field}[{kind}].price")
    for key in ("dutyFreeAmount", "taxIncludedAmount"):
        if not blank(charge.get(key)):
            return parse_money(charge[key], f"{field}[{kind}].price.{key}")
    return None


def blank(money: object) -> bool:
    """An absent amount: missing, null, or a ``Money`` with neither unit nor value."""
    return money is None or (
        isinstance(money, Mapping) and money.get("unit") is None and money.get("value") is None
    )


def coded(s: Salvage, field: str, vocabulary: StatusMap[Any], raw: object, wire: str) -> Any:  # noqa: ANN401
    """A coded value: absent -> None; unmapped -> UNKNOWN/OTHER; not a string -> problem."""
    if raw is None:
        return None
    try:
        return vocabulary.lenient(raw, wire)
    except FieldError as exc:
        s.note(field, exc)
        return None


def objects(s: Salvage, name: str, obj: Json, key: str, field: str) -> list[Json]:
    """:func:`list_at`, or an empty list with a problem on ``name``."""
    value = obj.get(key)
    if value is None:
        return []
    if isinstance(value, list):
        for v in value:
            if v.__class__ is not dict and not isinstance(v, Mapping):
                break
        else:
            return value
    s.note(name, FieldError(field, "expected a list of objects"))
    return []


def object_at(s: Salvage, name: str, obj: Json, key: str, field: str) -> Json:
    """:func:`obj_at`, or an empty object with a problem on ``name``."""
    value = obj.get(key)
    if value is None:
        return EMPTY
    if value.__class__ is dict or isinstance(value, Mapping):
        return value
    s.note(name, FieldError(field, "expected an object"))
    return EMPTY


def opt_text(s: Salvage, name: str, obj: Json, key: str, field: str) -> str | None:
    """:func:`opt_str`, or None with a problem on ``name``."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    s.note(name, FieldError(field, "expected a string"))
    return None


def instant(s: Salvage, name: str, obj: Json, key: str, field: str) -> datetime | None:
    """The instant at ``key`` (None if absent), or None with a problem on ``name``."""
    return optional_datetime(s, name, obj, key, field)


def fast_money(value: object) -> Money | None:
    """``{"unit": "USD", "value": "12.5"}`` read as :func:`parse_money` would, else None.

    None means "not the usual shape": the caller reads it the long way, which also
    names whatever is wrong with it.
    """
    if value.__class__ is not dict:
        return None
    unit = value.get("unit")
    amount = value.get("value")
    if unit.__class__ is not str or unit not in ISO_4217:
        return None
    if amount.__class__ is str:
        try:
            amount = Decimal(amount)
        except ArithmeticError:
            return None
    elif amount.__class__ is not Decimal:
        return None
    if not amount.is_finite() or abs(amount) > LIMITS.max_amount:
        return None
    try:
        return _money(amount.quantize(_CENT), unit)
    except ArithmeticError:
        return None


def opt_money(s: Salvage, name: str, obj: Json, key: str) -> Money | None:
    """An optional ``Money`` at ``key`` (blank is None), or None with a problem on ``name``."""
    value = obj.get(key)
    found = fast_money(value)
    if found is not None or blank(value):
        return found
    try:
        return parse_money(value, key)
    except FieldError as exc:
        s.note(name, exc)
        return None


def read_price(
    s: Salvage, name: str, prices: Mapping[object, Json], kind: str, field: str
) -> Money | None:
    """:func:`price`, or None with a problem on ``name``."""
    entry = prices.get(kind)
    if entry is None:
        return None
    if entry.__class__ is dict:
        charge = entry.get("price")
        if charge.__class__ is dict:
            found = fast_money(charge.get("dutyFreeAmount"))
            if found is not None:
                return found
    try:
        return price(prices, kind, field)
    except FieldError as exc:
        s.note(name, exc)
        return None
