"""Row slices and field visibility: which records and which fields a principal may see.

Every record a carrier returns belongs to one carrier account; the directory says
which customer owns that account and where the customer sits in the channel tree.
So "may this principal see this record?" reduces to "is the record's account in the
principal's slice?", decided once per request here and checked wherever records
leave the loaders (lists, ``node``, ``_entities``). An account outside the slice
behaves exactly like one that does not exist.

Fields are sliced by audience (party kind and role): each schema field declares one
:class:`Visibility` beside it, and the gateway compiles one schema per audience at
start-up, so the check costs nothing per resolved field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connectors.models import AccountLink, PartyKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from auth.directory import DirectorySnapshot
    from auth.principal import Principal
from auth.roles import ROLES, audience_of

__all__ = [
    "AUDIENCES",
    "BILLED",
    "CHANNEL_PRICE",
    "CUSTOMER_PRICE",
    "INTERNAL_NOTES",
    "OPERATORS",
    "PUBLIC",
    "WHOLESALE",
    "RowSlice",
    "Visibility",
    "row_slice",
    "visible_to",
]


@dataclass(frozen=True, slots=True)
class RowSlice:
    """The customers and carrier accounts one principal may see."""

    customers: tuple[str, ...]
    links: tuple[AccountLink, ...]
    accounts: frozenset[tuple[str, str]]
    carrier: str | None = None
    customer_set: frozenset[str] = frozenset()
    by_customer: Mapping[str, tuple[AccountLink, ...]] = field(default_factory=dict)

    def sees_customer(self, customer_id: str) -> bool:
        """May the principal see this customer at all?"""
        return customer_id in self.customer_set

    def sees_account(self, carrier: str, account_number: str) -> bool:
        """May the principal see records of this carrier account?"""
        return (carrier, account_number) in self.accounts

    def links_of(self, customer_id: str) -> tuple[AccountLink, ...]:
        """The visible accounts of one customer."""
        return self.by_customer.get(customer_id, ())


def row_slice(principal: Principal, snapshot: DirectorySnapshot) -> RowSlice:
    """Which customers and accounts does this principal's party cover?

    Operators see every customer; master agents and agents their subtree; a customer
    itself; a carrier every customer account held at that carrier (and nothing else).
    """
    carrier: str | None = None
    if principal.kind is PartyKind.CARRIER:
        carrier = principal.party_id
        customers = tuple(
            sorted(
                {
                    link.customer_id
                    for links in snapshot.links_by_customer.values()
                    for link in links
                    if link.carrier == carrier
                }
            )
        )
    else:
        customers = snapshot.customers_under(principal.party_id)
    by_customer = {
        customer: tuple(
            link
            for link in snapshot.links_by_customer.get(customer, ())
            if carrier is None or link.carrier == carrier
        )
        for customer in customers
    }
    links = tuple(link for customer in customers for link in by_customer[customer])
    return RowSlice(
        customers=customers,
        links=links,
        accounts=frozenset((link.carrier, link.account_number) for link in links),
        carrier=carrier,
        customer_set=frozenset(customers),
        by_customer=by_customer,
    )


@dataclass(frozen=True, slots=True)
class Visibility:
    """Who may read one schema field: a named set of audiences (``kind:role``)."""

    name: str
    audiences: frozenset[str]

    def allows(self, audience: str) -> bool:
        """May this audience read the field?"""
        return audience in self.audiences


RoleSet = bool | tuple[str, ...]


def visible_to(
    name: str,
    *,
    operator: RoleSet = True,
    carrier: RoleSet = True,
    master_agent: RoleSet = True,
    agent: RoleSet = True,
    customer: RoleSet = True,
) -> Visibility:
    """A visibility rule by party kind: ``True`` (every role), ``False``, or some roles."""
    given = {
        PartyKind.OPERATOR: operator,
        PartyKind.CARRIER: carrier,
        PartyKind.MASTER_AGENT: master_agent,
        PartyKind.AGENT: agent,
        PartyKind.CUSTOMER: customer,
    }
    audiences: set[str] = set()
    for kind, roles in given.items():
        chosen = ROLES[kind] if roles is True else () if roles is False else roles
        unknown = set(chosen) - set(ROLES[kind])
        if unknown:
            raise ValueError(f"rule '{name}': {kind.value} has no role {sorted(unknown)}")
        audiences.update(audience_of(kind, role) for role in chosen)
    return Visibility(name, frozenset(audiences))


AUDIENCES: tuple[str, ...] = tuple(
    audience_of(kind, role) for kind, roles in ROLES.items() for role in roles
)
"""Every audience: one per party kind and role."""

PUBLIC = visible_to("public")
"""Identity, status, dates and structure: everyone in whose row slice the record is."""

WHOLESALE = visible_to(
    "wholesale",
    operator=("admin", "finance"),
    carrier=True,
    master_agent=True,
    agent=False,
    customer=False,
)
"""The carrier's price to the channel (DOMAIN.md: finance/admin operators, carriers, masters)."""

CHANNEL_PRICE = visible_to(
    "channel price",
    operator=("admin", "finance"),
    carrier=False,
    master_agent=True,
    agent=True,
    customer=False,
)
"""A seller's own buy and sell prices (never shown to carriers or customers)."""

CUSTOMER_PRICE = visible_to(
    "customer price",
    operator=("admin", "finance"),
    carrier=False,
    master_agent=True,
    agent=True,
    customer=("admin", "billing", "viewer"),
)
"""What the customer pays: its sellers see it; the carrier does not (margins below it)."""

BILLED = visible_to(
    "billed amounts",
    operator=("admin", "finance"),
    carrier=True,
    master_agent=True,
    agent=True,
    customer=("admin", "billing", "viewer"),
)
"""Invoice and usage amounts: everyone with money in their role."""

INTERNAL_NOTES = visible_to(
    "internal notes",
    operator=("admin", "support"),
    carrier=True,
    master_agent=False,
    agent=False,
    customer=False,
)
"""Carrier-internal remarks on tickets and orders (support and admin operators, the carrier)."""

OPERATORS = visible_to(
    "operators", operator=True, carrier=False, master_agent=False, agent=False, customer=False
)
"""Switchboard's own staff only (e.g. the federation SDL)."""
