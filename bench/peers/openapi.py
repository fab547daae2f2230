"""The OpenAPI documents GraphQL Mesh composes: the TMF specs, trimmed to four list GETs.

For each carrier, one Swagger 2.0 document holds the four list operations the W1
dashboard needs, taken from the official TM Forum specs in ``shared/specs/tmf``
(TMF666 ``listBillingAccount``, TMF637 ``listProduct``, TMF678 ``listCustomerBill``,
TMF622 ``listProductOrder``) with every definition their answers reach, under the
carrier's own API version. Mesh turns each into a GraphQL source of four query fields.

The specs cannot describe the sandbox carriers' answers as they are, so the trimmed
documents differ from them in four ways (README "Caveats"):

* each operation gains its TMF630 filter parameter (``id`` for accounts,
  ``billingAccount.id`` for the rest): the specs list only ``fields``, ``offset`` and
  ``limit``, and Mesh sends only declared parameters;
* status enums (``ProductStatusType``, ``ProductOrderStateType``, the bill's
  ``stateValue``) become strings: the carriers write their own vocabularies, as real
  ones do (Switchboard's carrier files map them), and Mesh would reject unknown members;
* ``RelatedPlaceRefOrValue`` gains the ``GeographicAddress`` fields a place given by
  value carries (``city``, ``stateOrProvince`` ...), which Mesh cannot know otherwise;
* TMF622 v4 has no order milestones: ``ProductOrder.milestone`` is added with TMF's
  ``Milestone`` shape (as in TMF622 v5 and TMF641), which the carriers write.

Definitions that two specs name alike but define differently (beyond descriptions) are
kept apart with the spec's number as a suffix.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.spec_examples import find_specs

if TYPE_CHECKING:
    from pathlib import Path

    from connectors.spec import TmfSpec

__all__ = ["OPERATIONS", "Operation", "specs_dir", "trimmed_document"]

Json = dict[str, Any]

_REF = re.compile(r"#/definitions/([A-Za-z0-9_.\-]+)")


@dataclass(frozen=True, slots=True)
class Operation:
    """One list operation: its spec, its place in the API family, its filter parameter."""

    resource: str
    spec_file: str
    tag: str
    api: str
    path: str
    filter_param: str


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "accounts", "TMF666-account.json", "TMF666", "accountManagement", "billingAccount", "id"
    ),
    Operation(
        "services",
        "TMF637-product-inventory.json",
        "TMF637",
        "productInventory",
        "product",
        "billingAccount.id",
    ),
    Operation(
        "invoices",
        "TMF678-customer-bill.json",
        "TMF678",
        "customerBillManagement",
        "customerBill",
        "billingAccount.id",
    ),
    Operation(
        "orders",
        "TMF622-product-ordering.json",
        "TMF622",
        "productOrderingManagement",
        "productOrder",
        "billingAccount.id",
    ),
)

_RELAXED_ENUMS = frozenset({"ProductStatusType", "ProductOrderStateType", "stateValue"})
_ADDRESS_FIELDS = ("streetName", "city", "stateOrProvince", "postcode", "country")
_MILESTONE: Json = {
    "type": "object",
    "description": "A milestone of an order (TMF's Milestone, as TMF622 v5 and TMF641 have it).",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "message": {"type": "string"},
        "status": {"type": "string"},
        "milestoneDate": {"type": "string", "format": "date-time"},
        "plannedDate": {"type": "string", "format": "date-time"},
        "@type": {"type": "string"},
    },
}


def specs_dir() -> Path:
    """``shared/specs/tmf`` beside the repository."""
    found = find_specs("tmf")
    if found is None:
        raise SystemExit("shared/specs/tmf (the TM Forum OpenAPI specs) is not beside the repo")
    return found


def _reachable(definitions: Json, root: str) -> list[str]:
    seen: list[str] = []
    stack = [root]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.append(name)
        stack.extend(_REF.findall(json.dumps(definitions[name])))
    return seen


def _shape(schema: object) -> object:
    """A schema without its descriptions (what decides whether two definitions agree)."""
    if isinstance(schema, dict):
        return {k: _shape(v) for k, v in schema.items() if k != "description"}
    if isinstance(schema, list):
        return [_shape(v) for v in schema]
    return schema


def _rename_refs(value: object, renames: dict[str, str]) -> object:
    text = json.dumps(value)
    text = _REF.sub(lambda m: f"#/definitions/{renames.get(m.group(1), m.group(1))}", text)
    return json.loads(text)


def _adapt(definitions: Json) -> None:
    """The four departures from the specs (module docstring)."""
    for name in _RELAXED_ENUMS:
        if name in definitions:
            definitions[name] = {"type": "string", "description": f"{name} (any vocabulary)"}
    place = definitions.get("RelatedPlaceRefOrValue")
    if place is not None:
        for name in _ADDRESS_FIELDS:
            place["properties"].setdefault(name, {"type": "string"})
    order = definitions.get("ProductOrder")
    if order is not None:
        definitions["Milestone"] = copy.deepcopy(_MILESTONE)
        order["properties"]["milestone"] = {
            "type": "array",
            "items": {"$ref": "#/definitions/Milestone"},
        }


def _operation(op: Operation, source: Json, renames: dict[str, str]) -> Json:
    path = source["paths"][f"/{op.path}"]["get"]
    ok = copy.deepcopy(path["responses"]["200"])
    parameters = [p for p in path["parameters"] if p.get("in") == "query"]
    parameters.append(
        {
            "name": op.filter_param,
            "in": "query",
            "type": "string",
            "required": False,
            "description": "TMF630 filter: comma-separated values",
        }
    )
    result: Json = {
        "operationId": path["operationId"],
        "summary": path.get("summary", ""),
        "parameters": parameters,
        "responses": {"200": _rename_refs(ok, renames)},
    }
    return result


def trimmed_document(spec: TmfSpec, folder: Path) -> Json:
    """One carrier's four list operations and the definitions they reach."""
    paths: Json = {}
    definitions: Json = {}
    for op in OPERATIONS:
        source = json.loads((folder / op.spec_file).read_text(encoding="utf-8"))
        ok = source["paths"][f"/{op.path}"]["get"]["responses"]["200"]
        root = _REF.findall(json.dumps(ok))[0]
        names = _reachable(source["definitions"], root)
        renames = {
            n: f"{n}_{op.tag}"
            for n in names
            if n in definitions and _shape(definitions[n]) != _shape(source["definitions"][n])
        }
        for name in names:
            target = renames.get(name, name)
            if target not in definitions:
                definitions[target] = _rename_refs(source["definitions"][name], renames)
        paths[f"/tmf-api/{op.api}/{spec.api_version}/{op.path}"] = {
            "get": _operation(op, source, renames)
        }
    _adapt(definitions)
    return {
        "swagger": "2.0",
        "info": {
            "title": f"{spec.name}: TMF666/637/678/622 list operations",
            "version": spec.api_version,
            "description": "Trimmed from the TM Forum Open API specs by bench/peers/openapi.py.",
        },
        "basePath": "/",
        "schemes": ["http"],
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": paths,
        "definitions": definitions,
    }
