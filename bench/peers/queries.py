"""The W1 dashboard as each gateway is asked for it.

W1 is one customer's dashboard over eight TMF carriers and four resources: the accounts,
the services (TMF637 products), the bills (TMF678) and the orders with their milestones
(TMF622), about 32 upstream GETs and 2,000 leaves, record cache off.

Switchboard is asked what ``bench/dashboard.py``'s dashboard asks, less the tickets (W1
has four resources) and with every record instead of the first pages (``first: 100``,
orders not filtered to open ones: the Node gateway has no way to tell an open order in
eight vocabularies). Hive Gateway is asked, per carrier, the four prefixed list fields
Mesh made of the trimmed TMF operations, with the arguments Switchboard's TMF adapter
sends (the filter, ``fields=`` where the carrier supports projection, ``limit`` = the
carrier file's page size, ``offset=0``), so both make the same 32 GETs with the same
query strings, and selecting the wire fields Switchboard reads for the fields it
answers with. Answer shapes differ (README "Caveats"): Switchboard answers normalized,
merged lists; Mesh the carriers' records as they are, one list per carrier.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bench.peers.openapi import OPERATIONS
from connectors.models import Resource
from connectors.protocols.tmf import ENDPOINTS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bench.peers.world import Pick

__all__ = ["SWITCHBOARD_QUERY", "mesh_prefix", "mesh_query"]

SWITCHBOARD_QUERY = """query W1($id: ID!) {
  customer(id: $id) {
    id
    name
    accounts { accountNumber name status carrier { code name } }
    services(first: 100) {
      totalCount
      nodes {
        serviceId carrier { code } product status bandwidthMbps activatedAt
        price { amount currency } serviceAddress { city state }
      }
    }
    invoices(first: 100) {
      totalCount
      nodes {
        invoiceNumber carrier { code } issuedAt dueAt status
        total { amount currency } taxes { amount currency }
      }
    }
    orders(first: 100) {
      totalCount
      nodes {
        orderId carrier { code } kind status orderedAt committedDate inJeopardy
        milestones { kind plannedAt actualAt missed }
      }
    }
  }
}
"""

_SELECTIONS = {
    "accounts": ("listBillingAccount", "id name state"),
    "services": (
        "listProduct",
        "id status startDate productSpecification { id } "
        "productCharacteristic { name value } "
        "productPrice { priceType price { dutyFreeAmount { value unit } } } "
        "place { role city stateOrProvince }",
    ),
    "invoices": (
        "listCustomerBill",
        "id billNo billDate paymentDueDate state taxIncludedAmount { value unit } "
        "taxItem { taxAmount { value unit } }",
    ),
    "orders": (
        "listProductOrder",
        "id category state orderDate expectedCompletionDate "
        "milestone { name status plannedDate milestoneDate }",
    ),
}
_RESOURCES = {
    "accounts": Resource.ACCOUNTS,
    "services": Resource.SERVICES,
    "invoices": Resource.INVOICES,
    "orders": Resource.ORDERS,
}


def mesh_prefix(carrier_id: str) -> str:
    """The prefix of a carrier's types and fields in the supergraph (``aldergate_``)."""
    return carrier_id.split("-")[0] + "_"


def _arguments(pick: Pick, resource: str, filter_param: str) -> str:
    spec = pick.spec
    args = {filter_param.replace(".", "_"): pick.account_number}
    fields = ENDPOINTS[_RESOURCES[resource]].fields
    if fields and spec.fields_projection:
        args["fields"] = fields
    text = ", ".join(f"{k}: {json.dumps(v)}" for k, v in args.items())
    return f"{text}, limit: {spec.paging.page_size}, offset: 0"


def mesh_query(picks: Sequence[Pick]) -> str:
    """The W1 dashboard for Hive Gateway: four aliased list fields per carrier."""
    lines = ["query W1 {"]
    for pick in picks:
        prefix = mesh_prefix(pick.spec.id)
        for op in OPERATIONS:
            field, selection = _SELECTIONS[op.resource]
            args = _arguments(pick, op.resource, op.filter_param)
            lines.append(f"  {prefix}{op.resource}: {prefix}{field}({args}) {{ {selection} }}")
    lines.append("}")
    return "\n".join(lines) + "\n"
