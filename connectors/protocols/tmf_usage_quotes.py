"""TM Forum wire records for usage and quotes (TMF635 Usage, TMF648 Quote).

Kept beside :mod:`connectors.protocols.tmf_records` for size. Extensions beyond the
v4 resource models: both carry ``billingAccount`` (as TMF666 references) so lists can
be filtered by account like every other TMF resource; a quote item's term and
installation interval sit in its product (``productTerm``, characteristic
``intervalDays``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.mapping import FieldError, parse_datetime, parse_decimal, parse_money
from connectors.models import (
    CallDirection,
    CallType,
    Quote,
    QuoteOption,
    UsageRecord,
)
from connectors.protocols.tmf_records import (
    Json,
    TmfMaps,
    _address,
    _characteristics,
    _list,
    _product,
    _ref_id,
    _str,
)

__all__ = ["read_quote", "read_usage"]

_DIRECTION = {"inbound": CallDirection.INBOUND, "outbound": CallDirection.OUTBOUND}
_CALL_TYPE = {t.value.lower(): t for t in CallType}


def _chars(obj: Json, key: str) -> dict[str, Any]:
    return {_str(c, "name", f"{key}.name"): c.get("value") for c in _list(obj, key)}


def _pick(table: Mapping[str, Any], value: object, field: str) -> Any:  # noqa: ANN401
    if not isinstance(value, str) or value not in table:
        raise FieldError(field, f"unmapped code '{value}'")
    return table[value]


def read_usage(carrier: str, obj: Json, maps: TmfMaps) -> UsageRecord:
    """TMF635 Usage -> UsageRecord."""
    del maps
    chars = _chars(obj, "usageCharacteristic")
    rated = _list(obj, "ratedProductUsage")
    if not rated:
        raise FieldError("ratedProductUsage", "missing")
    product = rated[0].get("productRef")
    if not isinstance(product, Mapping):
        raise FieldError("ratedProductUsage.productRef", "missing")
    number = chars.get("originatingNumber")
    other = chars.get("destinationNumber")
    if not isinstance(number, str) or not isinstance(other, str):
        raise FieldError("usageCharacteristic", "originating/destination number missing")
    return UsageRecord(
        carrier=carrier,
        account_number=_ref_id(obj, "billingAccount"),
        usage_id=_str(obj, "id"),
        service_id=_str(product, "id", "ratedProductUsage.productRef.id"),
        started_at=parse_datetime(obj.get("usageDate"), "usageDate"),
        duration_seconds=int(parse_decimal(chars.get("duration"), "usageCharacteristic.duration")),
        from_number=number,
        to_number=other,
        direction=_pick(_DIRECTION, chars.get("direction"), "usageCharacteristic.direction"),
        call_type=_pick(_CALL_TYPE, chars.get("callType"), "usageCharacteristic.callType"),
        charge=parse_money(
            rated[0].get("taxExcludedRatingAmount"), "ratedProductUsage.taxExcludedRatingAmount"
        ),
    )


def _option(item: Json) -> QuoteOption:
    product = item.get("product")
    if not isinstance(product, Mapping):
        raise FieldError("quoteItem.product", "missing")
    terms = _list(product, "productTerm")
    if not terms:
        raise FieldError("quoteItem.product.productTerm", "missing")
    prices = {p.get("priceType"): p for p in _list(item, "quoteItemPrice")}

    def price(kind: str) -> Any:  # noqa: ANN401
        entry = prices.get(kind)
        if entry is None:
            raise FieldError("quoteItem.quoteItemPrice", f"no '{kind}' price")
        return parse_money(
            (entry.get("price") or {}).get("dutyFreeAmount"),
            f"quoteItemPrice[{kind}].price.dutyFreeAmount",
        )

    chars = _characteristics(product)
    return QuoteOption(
        term_months=int(
            parse_decimal((terms[0].get("duration") or {}).get("amount"), "productTerm.duration")
        ),
        mrc=price("recurring"),
        nrc=price("oneTime"),
        interval_days=int(parse_decimal(chars.get("intervalDays"), "intervalDays")),
    )


def read_quote(carrier: str, obj: Json, maps: TmfMaps) -> Quote:
    """TMF648 Quote -> Quote (one option per quote item)."""
    items = _list(obj, "quoteItem")
    if not items:
        raise FieldError("quoteItem", "missing")
    product = items[0].get("product")
    if not isinstance(product, Mapping):
        raise FieldError("quoteItem.product", "missing")
    places = _list(product, "place")
    if not places:
        raise FieldError("quoteItem.product.place", "missing")
    bandwidth = _characteristics(product).get("bandwidthMbps")
    return Quote(
        carrier=carrier,
        account_number=_ref_id(obj, "billingAccount"),
        quote_id=_str(obj, "id"),
        status=maps.quote.read(obj.get("state"), "state"),
        product=_product(
            (product.get("productSpecification") or {}).get("id"),
            "quoteItem.product.productSpecification.id",
        ),
        bandwidth_mbps=None
        if bandwidth is None
        else int(parse_decimal(bandwidth, "productCharacteristic.bandwidthMbps")),
        service_address=_address(places[0], "quoteItem.product.place"),
        requested_at=parse_datetime(obj.get("quoteDate"), "quoteDate"),
        valid_until=parse_datetime(
            (obj.get("validFor") or {}).get("endDateTime"), "validFor.endDateTime"
        ),
        options=tuple(_option(item) for item in items),
    )
