"""TM Forum Open API adapter (TMF666, TMF637, TMF678, TMF622, TMF621).

Written once, driven by a carrier's :class:`~connectors.spec.TmfSpec`. Batches are one
list request per resource with the keys joined in a comma-separated filter (TMF630
filtering), paged with ``offset``/``limit``: the first page, then the rest at once
when ``X-Total-Count`` says how many there are. Wire records are read by
:mod:`connectors.protocols.tmf_records`, each on its own: a value that cannot be read
is a field problem on its record, and a record whose id or account link cannot be read
is left out and reported (``UpstreamInvalid`` naming the carrier, the record and the
field) while its neighbours arrive.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from connectors.base import Records, chunked, together
from connectors.errors import NotSupportedByCarrier, UpstreamInvalid
from connectors.mapping import FieldError
from connectors.models import Carrier, Resource
from connectors.paging import collect
from connectors.protocols.tmf_records import (
    DEFAULT_STATUS_MAPS,
    Json,
    TmfMaps,
    read_account,
    read_invoice,
    read_invoice_line,
    read_order,
    read_service,
    read_ticket,
)
from connectors.protocols.tmf_usage_quotes import read_quote, read_usage

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from connectors.base import Fetch
    from connectors.spec import TmfSpec
    from connectors.transport import CarrierClient, JsonPage

__all__ = ["DEFAULT_STATUS_MAPS", "ENDPOINTS", "TmfConnector", "TmfMaps"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a resource lives in the TMF API family and how its records are read."""

    api: str
    path: str
    record: str
    filters: Mapping[str, str]
    fields: str
    reader: Callable[[str, Json, TmfMaps], Any]


ENDPOINTS: Mapping[Resource, Endpoint] = {
    Resource.ACCOUNTS: Endpoint(
        "accountManagement",
        "billingAccount",
        "BillingAccount",
        {"id": "id"},
        "id,name,state,contact,accountBalance,createdDate",
        read_account,
    ),
    Resource.SERVICES: Endpoint(
        "productInventory",
        "product",
        "Product",
        {"account": "billingAccount.id", "id": "id"},
        "id,status,startDate,productSerialNumber,billingAccount,productSpecification,"
        "productCharacteristic,place,productPrice,productTerm",
        read_service,
    ),
    Resource.INVOICES: Endpoint(
        "customerBillManagement",
        "customerBill",
        "CustomerBill",
        {"account": "billingAccount.id", "id": "billNo"},
        "id,billNo,billDate,paymentDueDate,state,billingPeriod,billingAccount,"
        "taxIncludedAmount,taxItem",
        read_invoice,
    ),
    Resource.INVOICE_LINES: Endpoint(
        "customerBillManagement",
        "appliedCustomerBillingRate",
        "AppliedCustomerBillingRate",
        {"invoice": "bill.id"},
        "id,bill,type,description,product,characteristic,taxExcludedAmount",
        read_invoice_line,
    ),
    Resource.ORDERS: Endpoint(
        "productOrderingManagement",
        "productOrder",
        "ProductOrder",
        {"account": "billingAccount.id", "id": "id"},
        "",
        read_order,
    ),
    Resource.TICKETS: Endpoint(
        "troubleTicket",
        "troubleTicket",
        "TroubleTicket",
        {"account": "relatedEntity.id", "id": "id"},
        "",
        read_ticket,
    ),
    Resource.USAGE: Endpoint(
        "usageManagement",
        "usage",
        "Usage",
        {"account": "relatedParty.id"},
        "",
        read_usage,
    ),
    Resource.QUOTES: Endpoint(
        "quoteManagement",
        "quote",
        "Quote",
        {"account": "billingAccount.id", "id": "id"},
        "",
        read_quote,
    ),
}


_OWNER_FIELDS = {
    "billingAccount": "billingAccount",
    "bill": "bill",
    "bill.id": "bill",
}
"""Wire fields whose absence a carrier file's fallback may fill: the record's owner."""


def _label(obj: object, position: int) -> str:
    """How an unreadable record is named in its error: its id when it has one."""
    if isinstance(obj, dict):
        ident = obj.get("id")
        if isinstance(ident, str) and 0 < len(ident) <= 80:
            return ident
    return f"#{position + 1}"


class TmfConnector:
    """A connector for any carrier that speaks the TM Forum Open APIs."""

    def __init__(self, spec: TmfSpec, client: CarrierClient) -> None:
        self.spec = spec
        self.client = client
        self.maps = TmfMaps.for_spec(spec)
        self._carrier = spec.record()

    @property
    def carrier(self) -> Carrier:
        return self._carrier

    def path(self, resource: Resource) -> str:
        """The list path of a resource, relative to the carrier's base URL."""
        ep = ENDPOINTS[resource]
        return f"/tmf-api/{ep.api}/{self.spec.api_version}/{ep.path}"

    async def fetch(self, what: Fetch[T], keys: Sequence[str]) -> Mapping[str, Sequence[T]]:
        if what.resource not in self.spec.capabilities or what.resource not in ENDPOINTS:
            raise NotSupportedByCarrier(
                f"carrier '{self.spec.id}' does not offer {what.resource.value}",
                carrier=self.spec.id,
            )
        ep = ENDPOINTS[what.resource]
        link = self.spec.account_link
        # A record naming no account belongs to the one asked for only if one was asked for.
        by_request = link.by_request and what.key in ("account", "invoice")
        step = 1 if by_request else self.spec.max_keys_per_call
        default = None if what.resource is Resource.INVOICE_LINES else link.default_account
        chunks = chunked(keys, step)
        lists = await together([self._list(what, ep, chunk) for chunk in chunks])
        grouped: dict[str, list[T]] = defaultdict(list)
        dropped: dict[str, list[UpstreamInvalid]] = defaultdict(list)
        for chunk, objs in zip(chunks, lists, strict=True):
            fallback = chunk[0] if by_request else default
            for position, obj in enumerate(objs):
                record = self._read(ep, obj, position, fallback)
                if isinstance(record, UpstreamInvalid):
                    # Its key is unknown: the keys of its request share the report.
                    for key in chunk:
                        dropped[key].append(record)
                elif what.resource is Resource.INVOICE_LINES:
                    invoice, line = record
                    grouped[invoice].append(line)
                else:
                    grouped[what.key_of(record)].append(record)
        if not dropped:
            return grouped
        return {key: Records(grouped.get(key, ()), dropped=dropped.get(key, ())) for key in keys}

    def _read(self, ep: Endpoint, obj: object, position: int, fallback: str | None) -> Any:  # noqa: ANN401
        """One record, or the UpstreamInvalid that leaves it out (identity unreadable).

        ``fallback`` places a record that names no owner (account, or bill for a line)
        where the carrier file says its records belong.
        """
        carrier = self.spec.id
        if not isinstance(obj, dict):
            label = _label(obj, position)
            return UpstreamInvalid(
                f"carrier '{carrier}' sent a {ep.record} that is not an object ({label})",
                carrier=carrier,
                record=label,
            )
        try:
            try:
                return ep.reader(carrier, obj, self.maps)
            except FieldError as exc:
                owner = _OWNER_FIELDS.get(exc.field)
                if fallback is None or owner is None:
                    raise
                return ep.reader(carrier, {**obj, owner: {"id": fallback}}, self.maps)
        except FieldError as exc:
            label = _label(obj, position)
            return UpstreamInvalid(
                f"carrier '{carrier}' sent a {ep.record} that cannot be placed ({label}): {exc}",
                carrier=carrier,
                record=label,
                field=exc.field,
            )
        except (TypeError, ValueError, AttributeError, ArithmeticError):
            label = _label(obj, position)
            return UpstreamInvalid(
                f"carrier '{carrier}' sent a malformed {ep.record} ({label})",
                carrier=carrier,
                record=label,
            )

    async def _page(self, ep: Endpoint, path: str, params: dict[str, str]) -> JsonPage:
        page = await self.client.get_json(path, params)
        if not isinstance(page.body, list):
            raise UpstreamInvalid(
                f"carrier '{self.spec.id}' sent a {ep.record} list that is not a JSON array",
                carrier=self.spec.id,
                record=ep.record,
            )
        return page

    async def _list(self, what: Fetch[Any], ep: Endpoint, keys: Sequence[str]) -> list[Any]:
        """Every record matching the keys, however many pages that takes."""
        path = self.path(what.resource)
        param = ep.filters[what.key]
        if what.key == "account":
            param = self.spec.account_link.filters.get(what.resource, param)
        params = {param: ",".join(keys)}
        if self.spec.fields_projection and ep.fields:
            params["fields"] = ep.fields

        async def fetch(query: Mapping[str, str], url: str | None) -> JsonPage:
            return await self._page(ep, url or path, dict(query))

        return await collect(
            self.spec.paging, fetch, lambda page: page.body, params, carrier=self.spec.id
        )

    async def aclose(self) -> None:
        await self.client.aclose()
