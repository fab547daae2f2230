"""Resolver helpers that turn carrier accounts into records through the loaders.

Two shapes of question: one account's records (errors surface at the field), and
many accounts across carriers merged into one list (a failing carrier's part is left
out and recorded as an error at the field's path, so every other carrier's records
still arrive). Records a carrier sent whose identity could not be read are left out
of either and reported once each at the field's path, beside their readable neighbours.
Both go through the per-request loaders, so many resolvers asking in the same tick
share one upstream call per carrier and batch question.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from connectors.base import Fetch, dropped_of
from connectors.errors import ConnectorError, NotSupportedByCarrier
from connectors.models import AccountLink
from gateway.context import GatewayContext
from gateway.schema.common import public_carrier
from gateway.schema.errors import from_connector_error

if TYPE_CHECKING:
    from strawberry.types import Info

__all__ = ["OnAccount", "account_records", "merged_records", "record_by_id"]

T = TypeVar("T")


class OnAccount(Protocol):
    """A record that belongs to one carrier account (every record with an id does)."""

    @property
    def carrier(self) -> str: ...

    @property
    def account_number(self) -> str: ...


A = TypeVar("A", bound=OnAccount)


def _label(ctx: GatewayContext, carrier: str) -> str | None:
    return None if ctx.mask is None else public_carrier(ctx, carrier)


def _path(info: Info[GatewayContext, None]) -> list[str | int]:
    return list(info.path.as_list())


async def merged_records(
    info: Info[GatewayContext, None], links: Iterable[AccountLink], what: Fetch[T]
) -> list[T]:
    """Records of many accounts across carriers; carriers that fail add an error instead.

    Carriers that do not declare ``what.resource`` contribute nothing: a merged list is
    not a question to them.
    """
    ctx = info.context
    by_carrier: dict[str, list[str]] = {}
    for link in links:
        by_carrier.setdefault(link.carrier, []).append(link.account_number)
    asked = [
        c for c in by_carrier if c in ctx.carriers and what.resource in ctx.carriers[c].capabilities
    ]
    results = await asyncio.gather(
        *(ctx.loaders.get(c, what).many(by_carrier[c]) for c in asked),
        return_exceptions=True,
    )
    records: list[T] = []
    for carrier, result in zip(asked, results, strict=True):
        if isinstance(result, ConnectorError):
            if result.carrier is None:
                result.carrier = carrier
            ctx.partial_errors.append(
                from_connector_error(result, _path(info), carrier_label=_label(ctx, carrier))
            )
        elif isinstance(result, BaseException):
            raise result
        else:
            for part in result:
                records.extend(part)
            _report_dropped(info, carrier, result)
    return records


def _report_dropped(
    info: Info[GatewayContext, None], carrier: str, parts: Iterable[Sequence[object]]
) -> None:
    """One error at the field's path per unreadable record (keys of a batch share them)."""
    ctx = info.context
    seen: set[int] = set()
    for part in parts:
        for exc in dropped_of(part):
            if id(exc) not in seen:
                seen.add(id(exc))
                ctx.partial_errors.append(
                    from_connector_error(exc, _path(info), carrier_label=_label(ctx, carrier))
                )


async def account_records(
    info: Info[GatewayContext, None], carrier: str, account_number: str, what: Fetch[T]
) -> Sequence[T]:
    """One account's records; a carrier failure is raised as this field's error."""
    ctx = info.context
    try:
        known = ctx.carriers.get(carrier)
        if known is None or what.resource not in known.capabilities:
            raise NotSupportedByCarrier(
                f"carrier '{carrier}' does not offer {what.resource.value}", carrier=carrier
            )
        found = await ctx.loaders.get(carrier, what).records(account_number)
    except ConnectorError as exc:
        raise from_connector_error(exc, carrier_label=_label(ctx, carrier)) from exc
    _report_dropped(info, carrier, (found,))
    return found


async def record_by_id(
    info: Info[GatewayContext, None], carrier: str, record_id: str, what: Fetch[A]
) -> A | None:
    """One record by its carrier id, or None when absent or outside the viewer's slice."""
    ctx = info.context
    if carrier not in ctx.carriers or what.resource not in ctx.carriers[carrier].capabilities:
        return None
    try:
        found = await ctx.loaders.get(carrier, what).records(record_id)
    except ConnectorError as exc:
        raise from_connector_error(exc, carrier_label=_label(ctx, carrier)) from exc
    for record in found:
        if ctx.rows.sees_account(carrier, record.account_number):
            return record
    return None
