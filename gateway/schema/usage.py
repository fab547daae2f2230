"""Call records (CDRs) on voice services: the type, the filter and the list recipe."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry

from auth.policy import BILLED, PUBLIC
from connectors import models
from connectors.base import USAGE_BY_ACCOUNT
from gateway.context import GatewayContext
from gateway.schema.common import (
    CallDirection,
    CallType,
    Carrier,
    Money,
    carrier_node,
    declare_connection,
)
from gateway.schema.lists import (
    RecordList,
    among,
    between,
    day_of,
    equals,
    narrow,
    newest_first,
)
from gateway.schema.problems import flag_problems
from gateway.schema.visibility import declare

__all__ = ["USAGE", "CallRecord", "UsageFilter"]


@strawberry.type(description="One rated call on a voice service.")
class CallRecord:
    carrier: Carrier
    account_number: str
    usage_id: str
    service_id: str | None
    started_at: datetime | None
    duration_seconds: int | None
    from_number: str | None
    to_number: str | None
    direction: CallDirection | None  # type: ignore[valid-type]
    call_type: CallType | None  # type: ignore[valid-type]
    charge: Money | None

    @classmethod
    def of(cls, ctx: GatewayContext, r: models.UsageRecord) -> CallRecord:
        node = cls(
            carrier=carrier_node(ctx, r.carrier),
            account_number=r.account_number,
            usage_id=r.usage_id,
            service_id=r.service_id,
            started_at=r.started_at,
            duration_seconds=r.duration_seconds,
            from_number=r.from_number,
            to_number=r.to_number,
            direction=r.direction,
            call_type=r.call_type,
            charge=None if r.charge is None else Money.of(r.charge),
        )
        return flag_problems(ctx, node, r.carrier, r.usage_id, r.problems)


@strawberry.input(description="Narrow a call list; every given condition must hold.")
class UsageFilter:
    carrier: list[str] | None = strawberry.field(
        default=None, description="Carrier codes (see `Carrier.code`)."
    )
    service_id: list[str] | None = None
    direction: models.CallDirection | None = None
    call_type: list[CallType] | None = None  # type: ignore[valid-type]
    started_from: date | None = None
    started_to: date | None = None


def _select(
    records: Iterable[models.UsageRecord], f: UsageFilter | None, now: datetime
) -> list[models.UsageRecord]:
    del now
    f = f or UsageFilter()
    chosen = narrow(
        records,
        among(f.carrier, lambda r: r.carrier),
        among(f.service_id, lambda r: r.service_id),
        equals(f.direction, lambda r: r.direction),
        among(f.call_type, lambda r: r.call_type),
        between(f.started_from, f.started_to, lambda r: day_of(r.started_at)),
    )
    chosen.sort(key=lambda r: (newest_first(r.started_at), r.carrier, r.usage_id))
    return chosen


declare(
    CallRecord,
    carrier=PUBLIC,
    account_number=PUBLIC,
    usage_id=PUBLIC,
    service_id=PUBLIC,
    started_at=PUBLIC,
    duration_seconds=PUBLIC,
    from_number=PUBLIC,
    to_number=PUBLIC,
    direction=PUBLIC,
    call_type=PUBLIC,
    charge=BILLED,
)
declare_connection("CallRecord")

USAGE: RecordList[models.UsageRecord, CallRecord, UsageFilter] = RecordList(
    USAGE_BY_ACCOUNT, _select, CallRecord.of
)
