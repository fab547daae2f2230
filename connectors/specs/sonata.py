"""The carrier file of a MEF LSO Sonata carrier (inter-carrier wholesale APIs).

Sonata carriers share one wire contract (the MEF Sonata SDK's OpenAPI files); what
differs between them is what this spec holds: the buyer and seller ids every request
carries, API versions, page size and whether the total count is sent, the carrier's
time zone (its date-valued fields are local calendar dates), the names of the list
filters and of the extension fields the family relies on, and the carrier's own codes
for states, actions, ticket types, bill item types and product offerings. Default
vocabularies live in the adapter (:mod:`connectors.protocols.sonata_records`).
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from connectors.models import Resource
from connectors.specs.common import CarrierBase, OffsetPaging, Strict

__all__ = [
    "SONATA_RESOURCES",
    "SonataCodes",
    "SonataFields",
    "SonataFilters",
    "SonataSpec",
    "SonataVersions",
]

SONATA_RESOURCES = frozenset(
    {
        Resource.SERVICES,
        Resource.INVOICES,
        Resource.INVOICE_LINES,
        Resource.ORDERS,
        Resource.TICKETS,
        Resource.QUOTES,
    }
)
"""What a Sonata carrier can offer: Sonata has no account or usage (CDR) API."""


class SonataVersions(Strict):
    """The version segment of each Sonata API's base path (``.../productInventory/v7``)."""

    product_inventory: str = Field(default="v7", pattern=r"^v\d+$")
    product_order: str = Field(default="v10", pattern=r"^v\d+$")
    trouble_ticket: str = Field(default="v4", pattern=r"^v\d+$")
    quote: str = Field(default="v8", pattern=r"^v\d+$")
    billing: str = Field(default="v2", pattern=r"^v\d+$")


class SonataFilters(Strict):
    """Query parameters that select list records; values are comma-separated (TMF630).

    ``bill`` and ``id`` are kept for older carrier files: look-ups by id and bill items
    use the retrieve-by-id paths, which take no filter.

    Only ``billingAccountId`` (product inventory) and ``billingAccount.id`` (billing)
    are documented by the SDK; the other lists have no account filter, so carriers of
    this family accept the same ``account`` parameter there (docs/connectors.md).
    """

    account: str = "billingAccountId"
    bill_account: str = "billingAccount.id"
    bill: str = "customerBill.id"
    id: str = "id"


class SonataFields(Strict):
    """Names of the fields a carrier puts in ``productConfiguration`` and its extensions."""

    bandwidth: str = "bandwidthMbps"
    telephone_numbers: str = "telephoneNumbers"
    circuit_id: str = "circuitId"
    term_end: str = "termEndDate"
    milestone_planned: str = "plannedDate"
    sla_target: str = "slaTargetDate"


class SonataCodes(Strict):
    """Carrier codes -> normalized enum names beyond ``status_maps``, merged over defaults."""

    order_item: dict[str, str] = Field(default_factory=dict)
    item_action: dict[str, str] = Field(default_factory=dict)
    ticket_type: dict[str, str] = Field(default_factory=dict)
    observed_impact: dict[str, str] = Field(default_factory=dict)
    bill_item: dict[str, str] = Field(default_factory=dict)
    product: dict[str, str] = Field(default_factory=dict)


class SonataSpec(CarrierBase):
    """A carrier speaking MEF LSO Sonata (Product Inventory, Order, Ticket, Quote, Billing).

    Example:
        >>> SonataSpec(id="acme-sonata", name="Acme", protocol="sonata",  # doctest: +SKIP
        ...     base_url="https://api.acme.example", capabilities={"services"},
        ...     buyer_id="SWB", seller_id="ACME")
    """

    protocol: Literal["sonata"]
    buyer_id: str = Field(min_length=1, max_length=64)
    seller_id: str = Field(min_length=1, max_length=64)
    api_root: str = Field(default="/mefApi/sonata", pattern=r"^/[A-Za-z0-9/_-]*[^/]$")
    versions: SonataVersions = SonataVersions()
    paging: OffsetPaging = OffsetPaging(page_size=50)
    timezone: str = "UTC"
    filters: SonataFilters = SonataFilters()
    fields: SonataFields = SonataFields()
    codes: SonataCodes = SonataCodes()
    detail_concurrency: int = Field(default=16, ge=1, le=64)
    """At most this many detail GETs (records behind list summaries) in flight per batch."""
    default_account: str | None = Field(default=None, min_length=1, max_length=64)
    """The buyer's account for records that name none (Sonata quotes and tickets need not)."""

    @field_validator("capabilities")
    @classmethod
    def _offered_by_sonata(cls, value: frozenset[Resource]) -> frozenset[Resource]:
        extra = value - SONATA_RESOURCES
        if extra:
            names = ", ".join(sorted(r.value for r in extra))
            raise ValueError(f"Sonata has no API for: {names}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone '{value}'") from None
        return value
