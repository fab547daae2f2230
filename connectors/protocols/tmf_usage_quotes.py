"""TM Forum wire records for usage and quotes (TMF635 Usage, TMF648 Quote).

Kept beside :mod:`connectors.protocols.tmf_records` for size. TMF635 has no
``billingAccount``: a usage record is placed through a related party that refers to a
billing account (``billingAccount`` is still read where a carrier sends it); lists are
asked for by ``relatedParty.id`` unless the carrier file names another filter. TMF648
quotes name their billing accounts in a list. A quote item's term and installation
interval sit in its product (``productTerm``, characteristic ``intervalDays``). As for
every TMF record, only the id and the account link are required.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.mapping import FieldError, Salvage, parse_datetime, parse_decimal, parse_money
from connectors.models import (
    CallDirection,
    CallType,
    Money,
    Quote,
    QuoteOption,
    UsageRecord,
)
from connectors.protocols.tmf_records import (
    Json,
    TmfMaps,
    _address,
    _characteristics,
    _code,
    _object,
    _opt,
    _product,
    _safe_list,
    _status,
    _str,
    account_link,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["read_quote", "read_usage"]

_DIRECTION = {"inbound": CallDirection.INBOUND, "outbound": CallDirection.OUTBOUND}
_CALL_TYPE = {t.value.lower(): t for t in CallType}


def _int(value: object, field: str) -> int:
    number = parse_decimal(value, field)
    if abs(number) > 10**9:
        raise FieldError(field, "out of range")
    return int(number)


def _pick(table: Mapping[str, Any], value: object, field: str, fallback: Any) -> Any:  # noqa: ANN401
    if not isinstance(value, str):
        raise FieldError(field, "expected a code string")
    return table.get(value.lower(), fallback)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def read_usage(carrier: str, obj: Json, maps: TmfMaps) -> UsageRecord:
    """TMF635 Usage -> UsageRecord (``id`` and an account link are needed)."""
    s = Salvage()
    chars = _characteristics(obj, "usageCharacteristic")
    rated = _safe_list(obj, "ratedProductUsage")
    first = rated[0] if rated else {}
    product = _object(first, "productRef")
    duration, direction, call_type = (
        chars.get("duration"),
        chars.get("direction"),
        chars.get("callType"),
    )
    charge = first.get("taxExcludedRatingAmount")
    return UsageRecord(
        carrier=carrier,
        account_number=account_link(obj, maps.roles),
        usage_id=_str(obj, "id"),
        service_id=_text(product.get("id")),
        started_at=_opt(s, "started_at", obj, "usageDate", parse_datetime),
        duration_seconds=None
        if duration is None
        else s.get("duration_seconds", lambda: _int(duration, "usageCharacteristic.duration")),
        from_number=_text(chars.get("originatingNumber")),
        to_number=_text(chars.get("destinationNumber")),
        direction=None
        if direction is None
        else s.get(
            "direction",
            lambda: _pick(
                _DIRECTION, direction, "usageCharacteristic.direction", CallDirection.UNKNOWN
            ),
        ),
        call_type=None
        if call_type is None
        else s.get(
            "call_type",
            lambda: _pick(_CALL_TYPE, call_type, "usageCharacteristic.callType", CallType.UNKNOWN),
        ),
        charge=None
        if charge is None
        else s.get(
            "charge", lambda: parse_money(charge, "ratedProductUsage.taxExcludedRatingAmount")
        ),
        problems=s.done(),
    )


def _option(item: Json) -> QuoteOption:
    product = _object(item, "product")
    terms = _safe_list(product, "productTerm")
    duration = _object(terms[0], "duration").get("amount") if terms else None
    prices = {p.get("priceType"): p for p in _safe_list(item, "quoteItemPrice")}

    def price(kind: str) -> Money | None:
        amount = _object(_object(prices.get(kind) or {}, "price"), "dutyFreeAmount")
        if not amount:
            return None
        try:
            return parse_money(amount, f"quoteItemPrice[{kind}].price.dutyFreeAmount")
        except FieldError:
            return None

    interval = _characteristics(product).get("intervalDays")

    def number(value: object, field: str) -> int | None:
        try:
            return None if value is None else _int(value, field)
        except FieldError:
            return None

    return QuoteOption(
        term_months=number(duration, "productTerm.duration"),
        mrc=price("recurring"),
        nrc=price("oneTime"),
        interval_days=number(interval, "intervalDays"),
    )


def read_quote(carrier: str, obj: Json, maps: TmfMaps) -> Quote:
    """TMF648 Quote -> Quote (one option per quote item; ``id`` and an account link)."""
    s = Salvage()
    items = _safe_list(obj, "quoteItem")
    product = _object(items[0], "product") if items else {}
    places = _safe_list(product, "place")
    bandwidth = _characteristics(product).get("bandwidthMbps")
    code = _object(product, "productSpecification").get("id")
    state = obj.get("state")
    valid = _object(obj, "validFor").get("endDateTime")
    return Quote(
        carrier=carrier,
        account_number=account_link(obj, maps.roles),
        quote_id=_str(obj, "id"),
        status=_status(s, "status", maps.quote, state, "state"),
        product=None
        if code is None
        else s.get("product", lambda: _product(code, "quoteItem.product.productSpecification.id")),
        bandwidth_mbps=None
        if bandwidth is None
        else s.get(
            "bandwidth_mbps", lambda: _int(bandwidth, "productCharacteristic.bandwidthMbps")
        ),
        service_address=None
        if not places
        else s.get("service_address", lambda: _address(places[0], "quoteItem.product.place")),
        requested_at=_opt(s, "requested_at", obj, "quoteDate", parse_datetime),
        valid_until=None
        if valid is None
        else s.get("valid_until", lambda: parse_datetime(valid, "validFor.endDateTime")),
        options=tuple(_option(item) for item in items),
        status_code=_code(state),
        problems=s.done(),
    )
