"""TM Forum carriers made from the official specs alone: full and minimal documents.

The TMF counterpart of :mod:`connectors.spec_examples_sonata`, over the Swagger 2 files
in ``shared/specs/tmf`` (TMF666, TMF637, TMF678, TMF622, TMF635, TMF648; TMF621 is not
among them). Each resource's documents are built from its schema the same ways: every
property the schema has (``examples``), only the ``required`` ones (``minimal``), with
unknown extra fields, with every list empty, and with a seller's own code in place of
every enum value. To the spec's required fields each document adds only what any record
needs to be placed: its ``id`` and its account link, as the spec spells it (a
``billingAccount`` reference where the resource has one, a related party referring to a
billing account for TMF635 usage, the ``bill`` reference for a bill's rated items).
:class:`TmfSpecCarrier` serves them over HTTP as list answers, as TMF lists do.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from connectors.models import Resource
from connectors.protocols.tmf import ENDPOINTS
from connectors.spec_examples_sonata import VARIANTS, Variant, _Builder

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.types import Receive, Scope, Send

    from connectors.specs.tmf import TmfSpec

__all__ = ["RESOURCES", "VARIANTS", "Placement", "TmfSpecCarrier", "build", "find_specs", "load"]

Json = dict[str, Any]

RESOURCES: Mapping[Resource, tuple[str, str]] = {
    Resource.ACCOUNTS: ("TMF666-account", "BillingAccount"),
    Resource.SERVICES: ("TMF637-product-inventory", "Product"),
    Resource.INVOICES: ("TMF678-customer-bill", "CustomerBill"),
    Resource.INVOICE_LINES: ("TMF678-customer-bill", "AppliedCustomerBillingRate"),
    Resource.ORDERS: ("TMF622-product-ordering", "ProductOrder"),
    Resource.USAGE: ("TMF635-usage", "Usage"),
    Resource.QUOTES: ("TMF648-quote", "Quote"),
}
"""Resource -> (spec file, schema) for every TMF resource the specs directory holds."""


def find_specs(start: Path | None = None) -> Path | None:
    """The ``shared/specs/tmf`` directory beside this repository (or a parent)."""
    here = (start or Path(__file__)).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "specs" / "tmf"
        if candidate.is_dir():
            return candidate
    return None


@functools.lru_cache(maxsize=16)
def load(directory: Path, name: str) -> Json:
    """One TMF Swagger document, its ``definitions`` where the builder looks for schemas."""
    with (directory / f"{name}.json").open(encoding="utf-8") as handle:
        doc: Json = json.load(handle)
    # The builder reads OpenAPI 3's components.schemas; Swagger 2 names them definitions.
    refs = json.dumps(doc.get("definitions", {})).replace("#/definitions/", "#/components/schemas/")
    return {"components": {"schemas": json.loads(refs)}}


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a document is placed: the account, and the bill for a rated item."""

    account: str
    bill: str = "BILL-1"


def _place(resource: Resource, doc: Json, at: Placement, n: int) -> Json:
    doc["id"] = f"{resource.value}-{n}"
    if resource is Resource.USAGE:
        doc["relatedParty"] = [
            {"id": at.account, "role": "billingAccount", "@referredType": "BillingAccount"}
        ]
    elif resource is Resource.INVOICE_LINES:
        doc["bill"] = {"id": at.bill}
    elif resource is Resource.ACCOUNTS:
        doc["id"] = at.account if n == 1 else f"{at.account}-{n}"
    else:
        doc["billingAccount"] = {"id": at.account}
    if resource is Resource.INVOICES:
        doc["billNo"] = at.bill if n == 1 else f"{at.bill}-{n}"
    return doc


def build(
    directory: Path, resource: Resource, variant: Variant, at: Placement, count: int = 3
) -> list[Json]:
    """``count`` documents of one resource as ``variant`` writes them, placed ``at``."""
    file, schema = RESOURCES[resource]
    builder = _Builder(load(directory, file), variant.full, variant.code)
    return [
        _place(resource, variant.change(builder.object(builder.schema(schema), 0, schema)), at, n)
        for n in range(1, count + 1)
    ]


class TmfSpecCarrier:
    """A TMF carrier on loopback answering every list with the spec-built documents.

    Filters are ignored (the tests ask for the one account the documents are placed at);
    every answer carries ``X-Total-Count``.
    """

    def __init__(self, spec: TmfSpec, docs: Mapping[Resource, list[Json]]) -> None:
        self.routes: dict[str, bytes] = {}
        self.counts: dict[str, int] = {}
        for resource, served in docs.items():
            ep = ENDPOINTS[resource]
            path = f"/tmf-api/{ep.api}/{spec.api_version}/{ep.path}"
            self.routes[path] = json.dumps(served).encode()
            self.counts[path] = len(served)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path = scope["path"]
        body = self.routes.get(path)
        if body is None:
            answer = Response(b'{"code":"404","reason":"Not Found"}', 404)
        else:
            answer = Response(
                body,
                200,
                media_type="application/json",
                headers={"X-Total-Count": str(self.counts[path])},
            )
        await answer(scope, receive, send)
