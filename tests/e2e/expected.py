"""The data set's side of every end-to-end comparison.

The sandbox carriers serve a seeded :class:`DataSet`; the gateway seeds its directory
from the same generator. :class:`Truth` indexes that data set the way the tests ask
("what does customer X hold at carrier Y?") and turns records and gateway answers into
the same comparable rows, so a test asserts ``rows(answer) == truth.rows(...)``.

Rows are multisets (``Counter``) of plain tuples: amounts as ``Decimal`` (parsed from
the GraphQL string), times as aware ``datetime``, days as ``date``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connectors.models import AccountLink, ChannelParty, Resource

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from connectors.sandbox.dataset import DataSet
    from connectors.spec import CarrierSpec

__all__ = [
    "LISTS",
    "Rows",
    "Truth",
    "dashboard_rows",
    "money_amount",
    "page_bounds",
]

LISTS = ("services", "invoices", "orders", "tickets")
"""The customer's rolled-up lists, named as the GraphQL fields and the ``Resource`` values."""

Rows = dict[str, Counter[tuple[Any, ...]]]


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


@dataclass(frozen=True, slots=True)
class PageBounds:
    """How many list requests one carrier may get for one resource."""

    low: int
    high: int

    def __contains__(self, count: object) -> bool:
        return isinstance(count, int) and self.low <= count <= self.high


def page_bounds(keys: int, records: int, spec: CarrierSpec) -> PageBounds:
    """Requests a batched fetch of ``keys`` keys holding ``records`` records needs.

    The TMF adapter sends the keys in chunks of ``max_keys_per_call`` and pages each
    chunk by ``paging.page_size`` (an empty chunk still costs one request). With one
    chunk that is exactly ``max(1, ceil(records / page_size))``; with several, how the
    records fall into chunks is unknown, hence a range.
    """
    size = spec.paging.page_size
    chunks = math.ceil(keys / spec.max_keys_per_call)
    if chunks <= 1:
        exact = max(1, math.ceil(records / size))
        return PageBounds(exact, exact)
    return PageBounds(max(chunks, math.ceil(records / size)), records // size + chunks)


class Truth:
    """The data set, indexed by account and by customer."""

    def __init__(self, data: DataSet) -> None:
        self.data = data
        self._by_account: dict[tuple[str, str], dict[str, list[Any]]] = {}
        for carrier_id, held in data.carriers.items():
            for kind in ("accounts", *LISTS):
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

    # -- records ---------------------------------------------------------------------

    def links(self, customer_id: str) -> tuple[AccountLink, ...]:
        return self.data.accounts_of(customer_id)

    def carriers_of(self, customer_id: str) -> list[str]:
        return sorted({link.carrier for link in self.links(customer_id)})

    def offers(self, carrier: str, kind: str) -> bool:
        return Resource(kind) in self.data.carriers[carrier].carrier.capabilities

    def of_account(self, carrier: str, account_number: str, kind: str) -> list[Any]:
        return list(self._by_account.get((carrier, account_number), {}).get(kind, ()))

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
        """What the dashboard of a customer must show, leaving out some carriers' lists."""
        names = {c: held.carrier.name for c, held in self.data.carriers.items()}
        accounts = [
            a
            for link in self.links(customer_id)
            for a in self.of_account(link.carrier, link.account_number, "accounts")
        ]

        def of(kind: str) -> list[Any]:
            return self.of_customer(customer_id, kind, without=without)

        return {
            "accounts": Counter(
                (a.carrier, names[a.carrier], a.account_number, a.status.value) for a in accounts
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

    def expected_requests(
        self, customer_ids: Iterable[str], specs: Mapping[str, CarrierSpec]
    ) -> dict[tuple[str, str], PageBounds]:
        """(carrier, resource) -> requests a batched dashboard over these customers needs."""
        keys: dict[str, list[AccountLink]] = {}
        for customer in customer_ids:
            for link in self.links(customer):
                keys.setdefault(link.carrier, []).append(link)
        expected = {}
        for carrier, links in keys.items():
            for kind in ("accounts", *LISTS):
                if self.offers(carrier, kind):
                    records = len(self.of_links(links, kind))
                    expected[(carrier, kind)] = page_bounds(len(links), records, specs[carrier])
        return expected

    def dashboard_customer(self) -> tuple[str, str]:
        """A customer worth a dashboard test, and one of its carriers to break.

        The customer has accounts at as many carriers as any, and open orders and
        tickets; the carrier offers every list and holds records of each kind for that
        customer (so even a garbled first record breaks every one of its lists).
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
                    for kind in LISTS
                )
            ]
            if not full:
                continue
            rows = self.rows(party.id)
            open_carriers = {row[0] for row in (*rows["orders"], *rows["tickets"])}
            score = (len(links), len(open_carriers), bool(rows["orders"]), bool(rows["tickets"]))
            candidates.append((score, party.id, full[0]))
        best = max(score for score, _, _ in candidates)
        return min((pid, carrier) for score, pid, carrier in candidates if score == best)
