"""The data set's side of every end-to-end comparison.

The sandbox carriers serve a seeded :class:`DataSet`; the gateway seeds its directory
from the same generator. :class:`Truth` indexes that data set the way the tests ask
("what does customer X hold at carrier Y?") and turns records and gateway answers into
the same comparable rows, so a test asserts ``rows(answer) == truth.rows(...)``.

Rows are multisets (``Counter``) of plain tuples: amounts as ``Decimal`` (parsed from
the GraphQL string), times as aware ``datetime``, days as ``date``, enums by value.

Carriers declare what they offer (their carrier file's ``capabilities``), and the
gateway's contract follows: a merged list (``customer.services``...) silently skips the
carriers that do not declare its resource; a per-account field (an account's details,
``CarrierAccount.services``...) of such a carrier is ``null`` with one
``NOT_SUPPORTED_BY_CARRIER`` error at its path. :meth:`Truth.unsupported` gives those
errors, :func:`error_keys` the errors of an answer in the same shape.

Upstream requests are predicted per (carrier, resource) from each carrier's file:
:func:`page_bounds` for paged APIs, :func:`csv_requests` for monthly CSV exports.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connectors.models import AccountLink, ChannelParty, Protocol, Resource
from connectors.protocols.csv_export import DEFAULT_MONTHS
from connectors.specs.common import NoPaging, OffsetPaging, PagePaging
from connectors.specs.csv_export import CsvSpec
from connectors.specs.sonata import SonataSpec

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from connectors.sandbox.dataset import CarrierData, DataSet
    from connectors.sandbox.faults import RequestRecord
    from connectors.spec import CarrierSpec

__all__ = [
    "ACCOUNT_DETAILS",
    "ACCOUNT_LISTS",
    "DASHBOARD_KINDS",
    "LISTS",
    "NOT_SUPPORTED",
    "ErrorKey",
    "PageBounds",
    "Rows",
    "Truth",
    "csv_requests",
    "dashboard_rows",
    "error_keys",
    "family_rows",
    "knows_last_page",
    "money_amount",
    "page_bounds",
    "request_counts",
    "sonata_requests",
]

LISTS = ("services", "invoices", "orders", "tickets")
"""The customer's rolled-up lists, named as the GraphQL fields and the ``Resource`` values."""

DASHBOARD_KINDS = ("accounts", *LISTS)
"""What ``queries.DASHBOARD`` asks each carrier for: account details (``status``) and lists."""

ACCOUNT_DETAILS = ("name", "status", "billingAddress", "createdAt", "currency")
"""``CarrierAccount`` fields read from the carrier's account API (``Resource.ACCOUNTS``)."""

ACCOUNT_LISTS: Mapping[str, str] = {
    "services": "services",
    "invoices": "invoices",
    "orders": "orders",
    "tickets": "tickets",
    "usage": "usage",
    "quotes": "quotes",
}
"""``CarrierAccount`` list fields -> the resource each asks the carrier for."""

NOT_SUPPORTED = "NOT_SUPPORTED_BY_CARRIER"

Rows = dict[str, Counter[tuple[Any, ...]]]

ErrorKey = tuple[tuple[str | int, ...], str, str | None]
"""An error as the tests compare it: (path, extensions.code, extensions.carrier)."""


def money_amount(value: object) -> Decimal:
    """A money amount from a GraphQL answer: a string, never a float."""
    assert isinstance(value, str), f"money amount {value!r} is not a string"
    return Decimal(value)


def _dt(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, f"{value!r} has no time zone"
    return parsed


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def account_field_resource(field: str) -> str:
    """The resource a ``CarrierAccount`` field asks its carrier for."""
    return "accounts" if field in ACCOUNT_DETAILS else ACCOUNT_LISTS[field]


def error_keys(body: Mapping[str, Any]) -> Counter[ErrorKey]:
    """The errors of an answer as (path, code, carrier); each must say what went wrong.

    A ``NOT_SUPPORTED_BY_CARRIER`` error carries exactly its code and the carrier's id.
    """
    errors = body.get("errors", [])
    for error in errors:
        assert error.get("message"), error
        extensions = error.get("extensions", {})
        if extensions.get("code") == NOT_SUPPORTED:
            assert set(extensions) == {"code", "carrier"}, error
    return Counter(
        (
            tuple(e.get("path") or ()),
            e.get("extensions", {}).get("code"),
            e.get("extensions", {}).get("carrier"),
        )
        for e in errors
    )


# -- rows of gateway answers -------------------------------------------------------------


def dashboard_rows(customer: Mapping[str, Any]) -> Rows:
    """Comparable rows of one ``...Dashboard`` answer (see ``queries.DASHBOARD``)."""
    return {
        "accounts": Counter(
            (a["carrier"]["code"], a["carrier"]["name"], a["accountNumber"], a["status"])
            for a in customer["accounts"]
        ),
        "services": Counter(
            (
                s["carrier"]["code"],
                s["serviceId"],
                s["product"],
                s["status"],
                s["circuitId"],
                s["bandwidthMbps"],
                money_amount(s["wholesaleCost"]["amount"]),
                s["wholesaleCost"]["currency"],
            )
            for s in customer["services"]["nodes"]
        ),
        "invoices": Counter(
            (
                i["carrier"]["code"],
                i["invoiceNumber"],
                i["status"],
                money_amount(i["total"]["amount"]),
                i["total"]["currency"],
                money_amount(i["taxes"]["amount"]),
                date.fromisoformat(i["billingPeriod"]["start"]),
                date.fromisoformat(i["billingPeriod"]["end"]),
            )
            for i in customer["invoices"]["nodes"]
        ),
        "orders": Counter(
            (
                o["carrier"]["code"],
                o["orderId"],
                o["status"],
                tuple(
                    (m["kind"], _dt(m["plannedAt"]), _dt(m["actualAt"])) for m in o["milestones"]
                ),
            )
            for o in customer["orders"]["nodes"]
        ),
        "tickets": Counter(
            (t["carrier"]["code"], t["ticketId"], t["status"], t["severity"], t["priority"])
            for t in customer["tickets"]["nodes"]
        ),
    }


def family_rows(customer: Mapping[str, Any]) -> Rows:
    """Comparable rows of one ``FAMILY_DASHBOARD`` answer; every row starts with its carrier."""
    return {
        "accounts": Counter(
            (
                a["carrier"]["code"],
                a["carrier"]["name"],
                Protocol[a["carrier"]["protocol"]],
                a["accountNumber"],
                a["status"],
            )
            for a in customer["accounts"]
        ),
        "services": Counter(
            (
                s["carrier"]["code"],
                s["serviceId"],
                s["product"],
                s["status"],
                s["circuitId"],
                s["bandwidthMbps"],
                _dt(s["activatedAt"]),
                money_amount(s["wholesaleCost"]["amount"]),
                s["wholesaleCost"]["currency"],
                money_amount(s["wholesaleInstall"]["amount"]),
                s["wholesaleInstall"]["currency"],
                s["termMonths"],
                _day(s["contractEnd"]),
            )
            for s in customer["services"]["nodes"]
        ),
        "invoices": Counter(
            (
                i["carrier"]["code"],
                i["invoiceNumber"],
                i["status"],
                _dt(i["issuedAt"]),
                _dt(i["dueAt"]),
                money_amount(i["total"]["amount"]),
                i["total"]["currency"],
                money_amount(i["taxes"]["amount"]),
                date.fromisoformat(i["billingPeriod"]["start"]),
                date.fromisoformat(i["billingPeriod"]["end"]),
                None
                if i["lines"] is None
                else tuple(
                    sorted(
                        (
                            line["kind"],
                            line["serviceId"],
                            line["description"],
                            Decimal(line["quantity"]),
                            money_amount(line["amount"]["amount"]),
                            line["amount"]["currency"],
                        )
                        for line in i["lines"]
                    )
                ),
            )
            for i in customer["invoices"]["nodes"]
        ),
        "orders": Counter(
            (
                o["carrier"]["code"],
                o["orderId"],
                o["kind"],
                o["status"],
                _dt(o["orderedAt"]),
                tuple(
                    (m["kind"], _dt(m["plannedAt"]), _dt(m["actualAt"])) for m in o["milestones"]
                ),
            )
            for o in customer["orders"]["nodes"]
        ),
        "tickets": Counter(
            (
                t["carrier"]["code"],
                t["ticketId"],
                t["status"],
                t["severity"],
                t["priority"],
                _dt(t["openedAt"]),
            )
            for t in customer["tickets"]["nodes"]
        ),
        "usage": Counter(
            (
                u["carrier"]["code"],
                u["accountNumber"],
                u["usageId"],
                u["serviceId"],
                _dt(u["startedAt"]),
                u["durationSeconds"],
                u["direction"],
                u["callType"],
                money_amount(u["charge"]["amount"]),
                u["charge"]["currency"],
            )
            for u in customer["usage"]["nodes"]
        ),
        "quotes": Counter(
            (
                q["carrier"]["code"],
                q["quoteId"],
                q["status"],
                q["product"],
                tuple(
                    (
                        o["termMonths"],
                        money_amount(o["mrc"]["amount"]),
                        o["mrc"]["currency"],
                        money_amount(o["nrc"]["amount"]),
                        o["intervalDays"],
                    )
                    for o in q["options"]
                ),
            )
            for q in customer["quotes"]["nodes"]
        ),
    }


# -- upstream requests ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageBounds:
    """How many requests one carrier may get for one resource."""

    low: int
    high: int

    def __contains__(self, count: object) -> bool:
        return isinstance(count, int) and self.low <= count <= self.high

    def __add__(self, other: PageBounds) -> PageBounds:
        return PageBounds(self.low + other.low, self.high + other.high)

    @property
    def exact(self) -> int | None:
        """The one allowed count, when there is only one."""
        return self.low if self.low == self.high else None


def knows_last_page(spec: CarrierSpec) -> bool:
    """Whether the carrier's paging tells the adapter it is done without one more request.

    ``offset`` with a total header and ``page`` with a page count say up front how many
    pages there are; a cursor (or a ``Link`` header) is left out of the last page. An
    ``offset`` list without a total, or numbered pages without a count, end only at a
    short page (``connectors.paging``), so a full last page costs one more, empty request.
    """
    paging = spec.paging  # type: ignore[attr-defined]
    if isinstance(paging, OffsetPaging):
        return paging.total_header is not None
    if isinstance(paging, PagePaging):
        return paging.total_pages_field is not None
    return True


def page_bounds(keys: int, records: int, spec: CarrierSpec) -> PageBounds:
    """Requests a batched fetch of ``keys`` keys holding ``records`` records needs.

    The paged adapters (TMF, Sonata, REST, SOAP, GraphQL) send the keys in chunks of
    ``max_keys_per_call`` and page each chunk by ``paging.page_size``. A chunk of ``r``
    records costs ``max(1, ceil(r / size))`` requests where the paging knows the last
    page (:func:`knows_last_page`), ``r // size + 1`` where it ends at a short page, and
    one without paging. With one chunk that is exact; with several, how the records
    fall into chunks is unknown, hence a range.
    """
    if keys == 0:
        return PageBounds(0, 0)
    chunks = math.ceil(keys / spec.max_keys_per_call)
    paging = spec.paging  # type: ignore[attr-defined]
    if isinstance(paging, NoPaging):
        return PageBounds(chunks, chunks)
    size = paging.page_size
    if knows_last_page(spec):
        if chunks == 1:
            exact = max(1, math.ceil(records / size))
            return PageBounds(exact, exact)
        # Most requests: every record in one chunk, the others empty (one request each).
        most = chunks + max(0, records - 1) // size
        return PageBounds(max(chunks, math.ceil(records / size)), most)
    if chunks == 1:
        exact = records // size + 1
        return PageBounds(exact, exact)
    # Fewest requests: each chunk holds up to size - 1 records beyond its full pages.
    spill = max(0, records - chunks * (size - 1))
    return PageBounds(chunks + math.ceil(spill / size), chunks + records // size)


def sonata_requests(kind: str, keys: int, records: int, spec: SonataSpec) -> dict[str, PageBounds]:
    """Requests a Sonata fetch costs, by the resource the sandbox logs them as.

    Sonata lists answer summaries: the list pages (:func:`page_bounds`), then one
    retrieve-by-id per record, no more. Bill items have no list: their refs are in the
    bills' details, already read for the invoice list they hang from, so one GET per item.
    """
    if kind == "invoice_lines":
        return {"invoice_lines": PageBounds(records, records)}
    return {kind: page_bounds(keys, records, spec) + PageBounds(records, records)}


_CSV_LOGGED = {"invoices": "invoices", "lines": "invoice_lines", "usage": "usage"}
"""Export -> the resource the sandbox logs a download of its monthly file as."""


def _months_before(anchor: date, count: int) -> list[date]:
    """First days of the ``count`` full months before ``anchor``'s month, oldest first."""
    base = anchor.year * 12 + anchor.month - 1
    months = []
    for back in range(count, 0, -1):
        year, month0 = divmod(base - back, 12)
        months.append(date(year, month0 + 1, 1))
    return months


def csv_requests(spec: CsvSpec, resource: str, held: CarrierData, anchor: date) -> dict[str, int]:
    """Requests one CSV fetch of ``resource`` costs, by the resource the sandbox logs.

    A file holds every account, so the number of keys does not matter: the account list
    is one file; invoices, invoice lines and usage are one file per month of their
    export for the last ``exports.<export>.months`` full months (adapter defaults 12, 12
    and 3). Invoice lines come from the invoice export itself in the ``lines`` layout
    (logged as ``invoices``), from the ``lines`` export in the ``summary`` layout. A
    carrier with an index asks for it first (logged as ``index``, see
    :func:`request_counts`) and fetches only the months it lists (those the data set
    holds records of).
    """
    if resource == "accounts":
        return {"accounts": 1}
    export = {
        "invoices": "invoices",
        "invoice_lines": "invoices" if spec.invoice_layout == "lines" else "lines",
        "usage": "usage",
    }[resource]
    months = getattr(spec.exports, export).months or DEFAULT_MONTHS[export]
    wanted = _months_before(anchor, months)
    if spec.exports.index is None:
        return {_CSV_LOGGED[export]: len(wanted)}
    if export == "usage":
        held_months = {u.started_at.astimezone(UTC).date().replace(day=1) for u in held.usage}
    else:
        held_months = {i.period_start.replace(day=1) for i in held.invoices}
    files = sum(1 for month in wanted if month in held_months)
    return {_CSV_LOGGED[export]: files, "index": 1}


def request_counts(
    records: Iterable[RequestRecord], specs: Mapping[str, CarrierSpec]
) -> dict[tuple[str, str], int]:
    """Requests per (carrier, resource) in the sandbox log, as the tests count them.

    OAuth2 token requests are left out (the gateway reuses tokens: at most one each);
    a CSV carrier's index file is counted as ``index`` (the sandbox cannot tell which
    export it was asked for).
    """
    counts: Counter[tuple[str, str]] = Counter()
    tokens: Counter[str] = Counter()
    for r in records:
        spec = specs[r.carrier]
        if r.resource == "token":
            tokens[r.carrier] += 1
        elif isinstance(spec, CsvSpec) and r.path == spec.exports.index:
            counts[(r.carrier, "index")] += 1
        else:
            counts[(r.carrier, r.resource)] += 1
    assert all(n <= 1 for n in tokens.values()), f"OAuth2 tokens must be reused: {tokens}"
    return dict(counts)


# -- the data set ----------------------------------------------------------------------


class Truth:
    """The data set, indexed by account and by customer."""

    def __init__(self, data: DataSet) -> None:
        self.data = data
        self._by_account: dict[tuple[str, str], dict[str, list[Any]]] = {}
        for carrier_id, held in data.carriers.items():
            for kind in ("accounts", *LISTS, "usage", "quotes"):
                for record in getattr(held, kind):
                    key = (carrier_id, record.account_number)
                    self._by_account.setdefault(key, {}).setdefault(kind, []).append(record)
        self._by_name = {p.name: p for p in data.customers()}
        assert len(self._by_name) == len(data.customers()), "customer names must be unique"

    def account_of_record(self, type_name: str, carrier: str, key: str) -> tuple[str, str] | None:
        """(carrier, account number) of a record named by its GraphQL type and key."""
        held = self.data.carriers.get(carrier)
        if held is None:
            return None
        records, attribute = {
            "Service": (held.services, "service_id"),
            "Invoice": (held.invoices, "invoice_number"),
            "Order": (held.orders, "order_id"),
            "TroubleTicket": (held.tickets, "ticket_id"),
            "Quote": (held.quotes, "quote_id"),
        }[type_name]
        for record in records:
            if getattr(record, attribute) == key:
                return carrier, record.account_number
        return None

    # -- parties ---------------------------------------------------------------------

    def customer_named(self, name: str) -> ChannelParty:
        return self._by_name[name]

    def customers_by_name(self) -> list[ChannelParty]:
        """Customers in the order the gateway lists them (name, case-folded; then id)."""
        return sorted(self.data.customers(), key=lambda p: (p.name.casefold(), p.id))

    def customers_under(self, party_id: str) -> set[str]:
        """Customer ids in a party's subtree (sub-agents' customers included)."""
        parent = {p.id: p.parent_id for p in self.data.parties}

        def under(pid: str | None) -> bool:
            while pid is not None:
                if pid == party_id:
                    return True
                pid = parent.get(pid)
            return False

        return {p.id for p in self.data.customers() if under(p.id)}

    # -- carriers --------------------------------------------------------------------

    def offers(self, carrier: str, kind: str) -> bool:
        """Whether the carrier declares ``kind`` (a ``Resource`` value) in its file."""
        return Resource(kind) in self.data.carriers[carrier].carrier.capabilities

    def protocol(self, carrier: str) -> Protocol:
        return self.data.carriers[carrier].carrier.protocol

    def unsupported(
        self,
        accounts: Sequence[Mapping[str, Any]],
        fields: Iterable[str],
        path: Sequence[str | int],
    ) -> Counter[ErrorKey]:
        """The errors an answered list of accounts must carry for what its carriers lack.

        ``accounts`` is the list as the gateway answered it (each with ``carrier { code }``)
        at ``path``; ``fields`` are the ``CarrierAccount`` fields the query asked of each
        (``status``, ``services``...). Every field whose resource the account's carrier
        does not declare has one ``NOT_SUPPORTED_BY_CARRIER`` error at its own path.
        """
        fields = list(fields)
        return Counter(
            ((*path, index, field), NOT_SUPPORTED, account["carrier"]["code"])
            for index, account in enumerate(accounts)
            for field in fields
            if not self.offers(account["carrier"]["code"], account_field_resource(field))
        )

    # -- records ---------------------------------------------------------------------

    def links(self, customer_id: str) -> tuple[AccountLink, ...]:
        return self.data.accounts_of(customer_id)

    def carriers_of(self, customer_id: str) -> list[str]:
        return sorted({link.carrier for link in self.links(customer_id)})

    def of_account(self, carrier: str, account_number: str, kind: str) -> list[Any]:
        """What the data set holds for an account (whether or not the carrier offers it)."""
        return list(self._by_account.get((carrier, account_number), {}).get(kind, ()))

    def account_record(self, link: AccountLink) -> Any | None:
        """The account's details as its carrier's account API gives them (None: no such API)."""
        if not self.offers(link.carrier, "accounts"):
            return None
        (record,) = self.of_account(link.carrier, link.account_number, "accounts")
        return record

    def lines_of(self, carrier: str, invoice_number: str) -> tuple[Any, ...]:
        return tuple(self.data.carriers[carrier].invoice_lines.get(invoice_number, ()))

    def of_links(self, links: Iterable[AccountLink], kind: str) -> list[Any]:
        """Records of these accounts, at carriers that offer ``kind`` (the others are not asked)."""
        return [
            r
            for link in links
            if self.offers(link.carrier, kind)
            for r in self.of_account(link.carrier, link.account_number, kind)
        ]

    def of_customer(self, customer_id: str, kind: str, *, without: Sequence[str] = ()) -> list[Any]:
        links = [link for link in self.links(customer_id) if link.carrier not in without]
        return self.of_links(links, kind)

    def rows(self, customer_id: str, *, without: Sequence[str] = ()) -> Rows:
        """What the dashboard of a customer must show, leaving out some carriers' lists.

        Every account is listed (the directory knows it); its ``status`` comes from the
        carrier's account API, so it is None at carriers that declare no ``accounts``.
        """
        names = {c: held.carrier.name for c, held in self.data.carriers.items()}

        def status(link: AccountLink) -> str | None:
            record = self.account_record(link)
            return None if record is None else record.status.value

        def of(kind: str) -> list[Any]:
            return self.of_customer(customer_id, kind, without=without)

        return {
            "accounts": Counter(
                (link.carrier, names[link.carrier], link.account_number, status(link))
                for link in self.links(customer_id)
            ),
            "services": Counter(
                (
                    s.carrier,
                    s.service_id,
                    s.product.value,
                    s.status.value,
                    s.circuit_id,
                    s.bandwidth_mbps,
                    s.mrc.amount,
                    s.mrc.currency,
                )
                for s in of("services")
            ),
            "invoices": Counter(
                (
                    i.carrier,
                    i.invoice_number,
                    i.status.value,
                    i.total.amount,
                    i.total.currency,
                    i.taxes.amount,
                    i.period_start,
                    i.period_end,
                )
                for i in of("invoices")
            ),
            "orders": Counter(
                (
                    o.carrier,
                    o.order_id,
                    o.status.value,
                    tuple((m.kind.value, m.planned_at, m.actual_at) for m in o.milestones),
                )
                for o in of("orders")
                if o.status.is_open
            ),
            "tickets": Counter(
                (t.carrier, t.ticket_id, t.status.value, t.severity.value, t.priority.value)
                for t in of("tickets")
                if t.status.is_open
            ),
        }

    def dashboard_errors(
        self, customer: Mapping[str, Any], path: Sequence[str | int]
    ) -> Counter[ErrorKey]:
        """The errors a healthy ``...Dashboard`` answer at ``path`` carries: account
        ``status`` at carriers without an account API, nothing else."""
        return self.unsupported(customer["accounts"], ["status"], (*path, "accounts"))

    def family_rows(self, customer_id: str, *, without: Sequence[str] = ()) -> Rows:
        """What ``FAMILY_DASHBOARD`` of a customer must show (see :func:`family_rows`).

        Invoice lines are None only where the carrier lists invoices but declares no
        invoice lines (the field is null with a NOT_SUPPORTED error). The carriers in
        ``without`` (failing ones) show their accounts, without status, and no records.
        """
        names = {c: held.carrier.name for c, held in self.data.carriers.items()}
        every = self.links(customer_id)
        links = [link for link in every if link.carrier not in without]

        def status(link: AccountLink) -> str | None:
            record = None if link.carrier in without else self.account_record(link)
            return None if record is None else record.status.value

        def lines(carrier: str, number: str) -> tuple[Any, ...] | None:
            if not self.offers(carrier, "invoice_lines"):
                return None
            return tuple(
                sorted(
                    (
                        line.kind.value,
                        line.service_id,
                        line.description,
                        line.quantity,
                        line.amount.amount,
                        line.amount.currency,
                    )
                    for line in self.lines_of(carrier, number)
                )
            )

        return {
            "accounts": Counter(
                (
                    link.carrier,
                    names[link.carrier],
                    self.protocol(link.carrier),
                    link.account_number,
                    status(link),
                )
                for link in every
            ),
            "services": Counter(
                (
                    s.carrier,
                    s.service_id,
                    s.product.value,
                    s.status.value,
                    s.circuit_id,
                    s.bandwidth_mbps,
                    s.activated_at,
                    s.mrc.amount,
                    s.mrc.currency,
                    s.nrc.amount,
                    s.nrc.currency,
                    s.term_months,
                    s.contract_end,
                )
                for s in self.of_links(links, "services")
            ),
            "invoices": Counter(
                (
                    i.carrier,
                    i.invoice_number,
                    i.status.value,
                    i.issued_at,
                    i.due_at,
                    i.total.amount,
                    i.total.currency,
                    i.taxes.amount,
                    i.period_start,
                    i.period_end,
                    lines(i.carrier, i.invoice_number),
                )
                for i in self.of_links(links, "invoices")
            ),
            "orders": Counter(
                (
                    o.carrier,
                    o.order_id,
                    o.kind.value,
                    o.status.value,
                    o.ordered_at,
                    tuple((m.kind.value, m.planned_at, m.actual_at) for m in o.milestones),
                )
                for o in self.of_links(links, "orders")
                if o.status.is_open
            ),
            "tickets": Counter(
                (
                    t.carrier,
                    t.ticket_id,
                    t.status.value,
                    t.severity.value,
                    t.priority.value,
                    t.opened_at,
                )
                for t in self.of_links(links, "tickets")
                if t.status.is_open
            ),
            "usage": Counter(
                (
                    u.carrier,
                    u.account_number,
                    u.usage_id,
                    u.service_id,
                    u.started_at,
                    u.duration_seconds,
                    u.direction.value,
                    u.call_type.value,
                    u.charge.amount,
                    u.charge.currency,
                )
                for u in self.of_links(links, "usage")
            ),
            "quotes": Counter(
                (
                    q.carrier,
                    q.quote_id,
                    q.status.value,
                    q.product.value,
                    tuple(
                        (o.term_months, o.mrc.amount, o.mrc.currency, o.nrc.amount, o.interval_days)
                        for o in q.options
                    ),
                )
                for q in self.of_links(links, "quotes")
            ),
        }

    def _batch(self, carrier: str, links: Sequence[AccountLink], kind: str) -> tuple[int, int]:
        """(keys, records) of the one batched question ``kind`` puts to a carrier.

        Lists and account details are asked by account; invoice lines by the numbers of
        the invoices listed (only at carriers that list invoices).
        """
        if kind == "invoice_lines":
            if not self.offers(carrier, "invoices"):
                return 0, 0
            invoices = self.of_links(links, "invoices")
            return len(invoices), sum(
                len(self.lines_of(carrier, i.invoice_number)) for i in invoices
            )
        return len(links), len(self.of_links(links, kind))

    def expected_requests(
        self,
        customer_ids: Iterable[str],
        specs: Mapping[str, CarrierSpec],
        kinds: Sequence[str] = DASHBOARD_KINDS,
    ) -> dict[tuple[str, str], PageBounds]:
        """(carrier, resource) -> requests a batched query over these customers needs.

        ``kinds`` are the resources the query asks for (``accounts`` for account details);
        a carrier is asked only for what it declares, once per resource for all keys
        (one loader per carrier and question). Resources are named as the sandbox logs
        them (:func:`request_counts`). A CSV carrier's file is downloaded once per request
        however many questions read it (invoices and, in the one-row-per-line layout,
        their lines; the index).
        """
        at: dict[str, list[AccountLink]] = {}
        for customer in customer_ids:
            for link in self.links(customer):
                at.setdefault(link.carrier, []).append(link)
        expected: dict[tuple[str, str], PageBounds] = {}
        for carrier, links in at.items():
            spec = specs[carrier]
            for kind in kinds:
                if not self.offers(carrier, kind):
                    continue
                keys, records = self._batch(carrier, links, kind)
                if not keys:
                    continue
                if isinstance(spec, CsvSpec):
                    held = self.data.carriers[carrier]
                    costs = {
                        logged: PageBounds(n, n)
                        for logged, n in csv_requests(spec, kind, held, self.data.anchor).items()
                    }
                elif isinstance(spec, SonataSpec):
                    costs = sonata_requests(kind, keys, records, spec)
                else:
                    costs = {kind: page_bounds(keys, records, spec)}
                shared_files = isinstance(spec, CsvSpec)
                for logged, bounds in costs.items():
                    key = (carrier, logged)
                    if key not in expected:
                        expected[key] = bounds
                    elif shared_files:  # the same files: the later question reads them again
                        expected[key] = max(expected[key], bounds, key=lambda b: b.high)
                    else:
                        expected[key] = expected[key] + bounds
        return expected

    # -- customers worth a test ------------------------------------------------------

    def dashboard_customer(self) -> tuple[str, str]:
        """A customer worth a dashboard test, and one of its carriers to break.

        The customer has open orders and open tickets, and accounts at as many carriers
        (then carriers with open work) as any such customer; the carrier declares the
        account API and every list and holds records of each kind for that customer (so
        even a garbled first record breaks every one of its lists and its account's
        details).
        """
        candidates = []
        for party in self.data.customers():
            links = self.links(party.id)
            full = [
                link.carrier
                for link in links
                if all(
                    self.offers(link.carrier, kind)
                    and self.of_account(link.carrier, link.account_number, kind)
                    for kind in DASHBOARD_KINDS
                )
            ]
            if not full:
                continue
            rows = self.rows(party.id)
            open_carriers = {row[0] for row in (*rows["orders"], *rows["tickets"])}
            has_open = bool(rows["orders"]) and bool(rows["tickets"])
            score = (has_open, len(links), len(open_carriers))
            candidates.append((score, party.id, full[0]))
        best = max(score for score, _, _ in candidates)
        return min((pid, carrier) for score, pid, carrier in candidates if score == best)

    def family_customer(self) -> str:
        """The customer the data set gives one account at one carrier of each protocol.

        The generator promises it to the first customer (smallest party id) whenever the
        carriers speak several protocols.
        """
        return min(p.id for p in self.data.customers())
