"""MEF LSO Sonata adapter (Product Inventory, Product Ordering, Trouble Ticket, Quote, Billing).

Written once, driven by a carrier's :class:`~connectors.specs.sonata.SonataSpec`. Every
request carries the carrier's ``buyerId`` and ``sellerId``. A batch is one list request
per chunk of ``max_keys_per_call`` keys, the keys joined in one comma-separated filter
(TMF630 style, which the Sonata lists inherit), chunks fetched concurrently, each list
paged with ``offset``/``limit`` through :func:`connectors.paging.collect` (all pages at
once when the carrier sends ``X-Total-Count``, one after another when it does not).
The lists answer summaries, so each record's details are then retrieved by id
(:class:`SonataConnector`). Records are read by :mod:`connectors.protocols.sonata_records`
with :class:`SonataMaps`, the carrier file's codes merged over this module's
:data:`DEFAULT_CODES`: unmapped codes read as UNKNOWN with the raw code kept, unreadable
values as null plus a field problem, and only a record without a readable id or account
link is left out (reported with the carrier, the record and the field).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast
from urllib.parse import quote

from connectors.base import Records, chunked
from connectors.errors import NotSupportedByCarrier, UpstreamInvalid
from connectors.mapping import FieldError
from connectors.models import Carrier, InvoiceLine, Resource
from connectors.paging import collect
from connectors.protocols.sonata_codes import DEFAULT_CODES, SonataMaps
from connectors.protocols.sonata_records import Json, SonataReader, ref_id, related_ids

if TYPE_CHECKING:
    from connectors.base import Fetch
    from connectors.specs.sonata import SonataSpec
    from connectors.transport import CarrierClient, JsonPage

__all__ = [
    "DEFAULT_CODES",
    "ENDPOINTS",
    "Endpoint",
    "SonataConnector",
    "SonataMaps",
    "filter_param",
    "list_path",
]

T = TypeVar("T")

FilterName = Literal["account", "bill_account", "bill", "id"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a resource lives in the Sonata API family and how its records are read.

    Attributes:
        api: The API's name in its base path (``productInventory``).
        version: Which :class:`~connectors.specs.sonata.SonataVersions` field versions it.
        collection: The resource (``product``): ``GET collection`` lists summaries,
            ``GET collection/{id}`` retrieves one record's details.
        record: The wire record's name, for errors.
        by_account: Which filter selects records by account.
    """

    api: str
    version: str
    collection: str
    record: str
    by_account: FilterName


ENDPOINTS: Mapping[Resource, Endpoint] = {
    Resource.SERVICES: Endpoint(
        "productInventory", "product_inventory", "product", "MEFProduct", "account"
    ),
    Resource.INVOICES: Endpoint(
        "customerBillManagement", "billing", "customerBill", "CustomerBill", "bill_account"
    ),
    # Bill items have no list route: their refs are in the bill, their details by id.
    Resource.INVOICE_LINES: Endpoint(
        "customerBillManagement", "billing", "customerBillItem", "CustomerBillItem", "bill"
    ),
    Resource.ORDERS: Endpoint(
        "productOrderingManagement", "product_order", "productOrder", "ProductOrder", "account"
    ),
    Resource.TICKETS: Endpoint(
        "troubleTicket", "trouble_ticket", "troubleTicket", "TroubleTicket", "account"
    ),
    Resource.QUOTES: Endpoint("quoteManagement", "quote", "quote", "Quote", "account"),
}


def list_path(spec: SonataSpec, resource: Resource) -> str:
    """The collection path of a resource relative to the carrier's base URL."""
    ep = ENDPOINTS[resource]
    return f"{spec.api_root}/{ep.api}/{getattr(spec.versions, ep.version)}/{ep.collection}"


def filter_param(spec: SonataSpec, resource: Resource, key: str) -> str:
    """The query parameter that selects a resource's records by one kind of key."""
    ep = ENDPOINTS[resource]
    which: FilterName = ep.by_account if key == "account" else "id" if key == "id" else "bill"
    return str(getattr(spec.filters, which))


BILL_REFS_TTL = 60.0
"""Seconds a bill's item refs, read with the bill, spare the bill's GET when its items are asked."""
BILL_REFS_KEPT = 10_000

_ACCOUNT_TYPES = ("BillingAccount", "billingAccount", "MEFBillingAccount")
_PRODUCT_TYPES = ("Product", "MEFProduct")
_NOT_FOUND = frozenset({404})


def own_account(resource: Resource, doc: Json) -> str | None:
    """The account a detail document names itself, through the relations its spec has."""
    account = ref_id(doc, "billingAccount")
    if account is not None:
        return account
    if resource is Resource.ORDERS:
        items = doc.get("productOrderItem")
        for item in items if isinstance(items, list) else ():
            if isinstance(item, Mapping) and (found := ref_id(item, "billingAccount")):
                return found
    for key in ("relatedEntity", "relatedParty"):
        found_ids = related_ids(doc, key, _ACCOUNT_TYPES)
        if found_ids:
            return found_ids[0]
    return None


def product_refs(resource: Resource, doc: Json) -> list[str]:
    """Products a ticket or order relates to, whose inventory record names the account."""
    if resource is Resource.TICKETS:
        return related_ids(doc, "relatedEntity", _PRODUCT_TYPES)
    if resource is Resource.ORDERS:
        items = doc.get("productOrderItem")
        found = []
        for item in items if isinstance(items, list) else ():
            product = item.get("product") if isinstance(item, Mapping) else None
            if isinstance(product, Mapping) and isinstance(product.get("id"), str):
                found.append(product["id"])
        return found
    return []


class SonataConnector:
    """A connector for any carrier that speaks MEF LSO Sonata.

    A list operation answers summaries (``MEFProduct_Find``, ``CustomerBill_Find``,
    ``ProductOrder_Find``, ``Quote_Find``, ``TroubleTicket_Find``); the records are the
    details each summary's id retrieves, fetched concurrently (at most
    ``detail_concurrency`` at once per batch). A fetch by id retrieves the details
    directly. Bill items are the details of the refs a bill's details hold (a bill read
    in the last :data:`BILL_REFS_TTL` seconds is not fetched again for them). Each record
    is linked to its account through the relations its spec has (``billingAccount``, a
    related entity or party, the account of a related product), else the account the
    request asked for when it asked for one, else the carrier file's
    ``default_account``; a record with no readable id or account is left out and
    reported beside its neighbours (:class:`~connectors.base.Records`).
    """

    def __init__(self, spec: SonataSpec, client: CarrierClient) -> None:
        self.spec = spec
        self.client = client
        self.maps = SonataMaps.for_spec(spec)
        self.reader = SonataReader(spec, self.maps)
        self._paths = {r: list_path(spec, r) for r in ENDPOINTS}
        self._parties = {"buyerId": spec.buyer_id, "sellerId": spec.seller_id}
        self._carrier = spec.record()
        # Bill id -> (when read, its customerBillItem refs): a bill listed a moment ago
        # need not be fetched again for its items (issued bills do not change).
        self._bill_refs: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._read: Mapping[Resource, Callable[[Json, str, str], Any]] = {
            Resource.SERVICES: self.reader.service,
            Resource.INVOICES: self.reader.invoice,
            Resource.ORDERS: self.reader.order,
            Resource.TICKETS: self.reader.ticket,
            Resource.QUOTES: self.reader.quote,
        }

    @property
    def carrier(self) -> Carrier:
        return self._carrier

    async def fetch(self, what: Fetch[T], keys: Sequence[str]) -> Mapping[str, Sequence[T]]:
        ep = ENDPOINTS.get(what.resource)
        if ep is None or what.resource not in self.spec.capabilities:
            raise NotSupportedByCarrier(
                f"carrier '{self.spec.id}' does not offer {what.resource.value}",
                carrier=self.spec.id,
            )
        slots = asyncio.Semaphore(self.spec.detail_concurrency)
        if what.resource is Resource.INVOICE_LINES:
            parts = await asyncio.gather(*(self._bill_items(key, slots) for key in keys))
            return cast("Mapping[str, Sequence[T]]", dict(zip(keys, parts, strict=True)))
        if what.key == "id":
            chunks: list[Sequence[str]] = [[key] for key in keys]
            batches = await asyncio.gather(*(self._by_id(ep, key, slots) for key in keys))
        else:
            chunks = chunked(keys, self.spec.max_keys_per_call)
            param = filter_param(self.spec, what.resource, what.key)
            batches = await asyncio.gather(
                *(self._listed(what.resource, ep, param, chunk, slots) for chunk in chunks)
            )
        grouped: dict[str, list[Any]] = defaultdict(list)
        dropped: dict[str, list[UpstreamInvalid]] = defaultdict(list)
        for chunk, (records, lost) in zip(chunks, batches, strict=True):
            for record in records:
                grouped[what.key_of(record)].append(record)
            if lost:
                for key in chunk:  # which key a lost record belonged to is unknown
                    dropped[key].extend(lost)
        return {
            key: Records(grouped.get(key, ()), dropped=dropped[key])
            if key in dropped
            else grouped[key]
            for key in {*grouped, *dropped}
        }

    def _invalid(self, ep: Endpoint, record: str, field: str, problem: str) -> UpstreamInvalid:
        carrier = self.spec.id
        return UpstreamInvalid(
            f"carrier '{carrier}' sent a {ep.record} '{record}' with {problem}",
            carrier=carrier,
            record=record,
            field=field,
        )

    async def _detail(self, resource: Resource, record_id: str, slots: asyncio.Semaphore) -> Any:  # noqa: ANN401
        """One record's details (``GET collection/{id}``); None when the carrier has no such id."""
        path = f"{self._paths[resource]}/{quote(record_id, safe='')}"
        async with slots:
            response = await self.client.send(
                "GET", path, params=self._parties, pass_statuses=_NOT_FOUND
            )
        if response.status_code in _NOT_FOUND:
            return None
        return self.client.decode_json(response)

    async def _by_id(
        self, ep: Endpoint, key: str, slots: asyncio.Semaphore
    ) -> tuple[list[Any], list[UpstreamInvalid]]:
        resource = self._resource_of(ep)
        doc = await self._detail(resource, key, slots)
        if doc is None:
            return [], []
        return await self._records(resource, ep, [(key, doc)], None, slots)

    async def _listed(
        self,
        resource: Resource,
        ep: Endpoint,
        param: str,
        chunk: Sequence[str],
        slots: asyncio.Semaphore,
    ) -> tuple[list[Any], list[UpstreamInvalid]]:
        """The records of one chunk of accounts: the list's summaries, then their details."""
        summaries = await self._list(resource, ep, param, chunk)
        ids: list[str] = []
        lost: list[UpstreamInvalid] = []
        for n, summary in enumerate(summaries):
            record_id = summary.get("id") if isinstance(summary, Mapping) else None
            if isinstance(record_id, str) and record_id:
                ids.append(record_id)
            else:
                lost.append(self._invalid(ep, f"#{n}", "id", "no readable id in the list"))
        docs = await asyncio.gather(*(self._detail(resource, i, slots) for i in ids))
        found = [(i, d) for i, d in zip(ids, docs, strict=True) if d is not None]
        hint = chunk[0] if len(chunk) == 1 else None
        records, unread = await self._records(resource, ep, found, hint, slots)
        return records, lost + unread

    def _resource_of(self, ep: Endpoint) -> Resource:
        return next(r for r, e in ENDPOINTS.items() if e is ep)

    async def _records(
        self,
        resource: Resource,
        ep: Endpoint,
        docs: Sequence[tuple[str, Any]],
        hint: str | None,
        slots: asyncio.Semaphore,
    ) -> tuple[list[Any], list[UpstreamInvalid]]:
        """Read detail documents, linking each to its account; unreadable ones are lost."""
        lost: list[UpstreamInvalid] = []
        linked: list[tuple[str, Json, str | None]] = []
        for asked, doc in docs:
            if not isinstance(doc, Mapping):
                lost.append(self._invalid(ep, asked, "", "a body that is not an object"))
                continue
            record_id = doc.get("id", asked)
            if not isinstance(record_id, str) or not record_id:
                lost.append(self._invalid(ep, asked, "id", "no readable id"))
                continue
            linked.append((record_id, doc, own_account(resource, doc)))
        products = {
            p for _, doc, account in linked if account is None for p in product_refs(resource, doc)
        }
        owners = await self._product_accounts(products, slots)
        records = []
        for record_id, doc, account in linked:
            account = (
                account
                or next((owners[p] for p in product_refs(resource, doc) if owners.get(p)), None)
                or hint
                or self.spec.default_account
            )
            if account is None:
                lost.append(self._invalid(ep, record_id, "billingAccount", "no account link"))
                continue
            if resource is Resource.INVOICES:
                self._remember_refs(record_id, doc.get("customerBillItem"))
            try:
                records.append(self._read[resource](doc, record_id, account))
            except (FieldError, TypeError, ValueError, KeyError, AttributeError, ArithmeticError):
                # A last resort: readers salvage value by value, so this drops one record.
                lost.append(self._invalid(ep, record_id, "", "a malformed document"))
        return records, lost

    async def _product_accounts(
        self, products: set[str], slots: asyncio.Semaphore
    ) -> dict[str, str | None]:
        """Product id -> the account its inventory record names (only where it is offered)."""
        if not products or Resource.SERVICES not in self.spec.capabilities:
            return {}
        wanted = sorted(products)
        docs = await asyncio.gather(*(self._detail(Resource.SERVICES, p, slots) for p in wanted))
        return {
            p: ref_id(d, "billingAccount") if isinstance(d, Mapping) else None
            for p, d in zip(wanted, docs, strict=True)
        }

    async def _bill_items(self, bill: str, slots: asyncio.Semaphore) -> Sequence[InvoiceLine]:
        """A bill's items: the refs its details hold, each item's details by id."""
        ep = ENDPOINTS[Resource.INVOICE_LINES]
        kept = self._bill_refs.get(bill)
        if kept is not None and time.monotonic() - kept[0] < BILL_REFS_TTL:
            refs = kept[1]
        else:
            doc = await self._detail(Resource.INVOICES, bill, slots)
            if not isinstance(doc, Mapping):
                return []
            refs = doc.get("customerBillItem")
            self._remember_refs(bill, refs)
        if not isinstance(refs, list):
            return []
        lost: list[UpstreamInvalid] = []
        ids: list[str | None] = []
        inline: list[Json | None] = []
        for n, ref in enumerate(refs):
            item_id = ref.get("id") if isinstance(ref, Mapping) else None
            if not isinstance(item_id, str) or not item_id:
                lost.append(
                    self._invalid(ep, f"{bill}#{n}", "customerBillItem.id", "no readable id")
                )
                continue
            # Some sellers embed the whole item in the bill; read it where it is.
            whole = isinstance(ref, Mapping) and "customerBillItemType" in ref
            ids.append(None if whole else item_id)
            inline.append(ref if whole else None)
        fetched = await asyncio.gather(
            *(self._detail(Resource.INVOICE_LINES, i, slots) for i in ids if i is not None)
        )
        got = iter(fetched)
        lines: list[InvoiceLine] = []
        for item_id, embedded in zip(ids, inline, strict=True):
            item = embedded if embedded is not None else next(got)
            if item is None:
                continue
            if not isinstance(item, Mapping):
                lost.append(self._invalid(ep, str(item_id), "", "a body that is not an object"))
                continue
            try:
                lines.append(self.reader.bill_item(item))
            except (FieldError, TypeError, ValueError, KeyError, AttributeError, ArithmeticError):
                lost.append(self._invalid(ep, str(item_id), "", "a malformed document"))
        return Records(lines, dropped=lost) if lost else lines

    def _remember_refs(self, bill: str, refs: object) -> None:
        kept = self._bill_refs
        kept[bill] = (time.monotonic(), refs)
        kept.move_to_end(bill)
        while len(kept) > BILL_REFS_KEPT:
            kept.popitem(last=False)

    async def _list(
        self, resource: Resource, ep: Endpoint, param: str, keys: Sequence[str]
    ) -> list[Any]:
        """Every summary matching the keys, however many pages that takes."""
        path = self._paths[resource]
        params = {param: ",".join(keys), **self._parties}
        carrier = self.spec.id

        async def page(query: Mapping[str, str], url: str | None) -> JsonPage:
            answer = await self.client.get_json(url or path, query)
            if not isinstance(answer.body, list):
                raise UpstreamInvalid(
                    f"carrier '{carrier}' sent a {ep.record} list that is not a JSON array",
                    carrier=carrier,
                    record=ep.record,
                )
            return answer

        return await collect(
            self.spec.paging, page, lambda answer: answer.body, params, carrier=carrier
        )

    async def aclose(self) -> None:
        await self.client.aclose()
