"""Row slices: which customers and carrier accounts a principal may see.

Every record a carrier returns belongs to one carrier account; the directory says
which customer owns that account and where the customer sits in the channel tree.
So "may this principal see this record?" reduces to "is the record's account in the
principal's slice?", decided once per request here and checked wherever records
leave the loaders (lists, ``node``, ``_entities``). An account outside the slice
behaves exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from connectors.models import AccountLink, PartyKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from auth.directory import DirectorySnapshot
    from auth.principal import Principal

__all__ = ["RowSlice", "row_slice"]


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
