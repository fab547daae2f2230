"""The schema contract: the GraphQL names DOMAIN.md promises to clients (Relay, codegen).

The expectations are DOMAIN.md's "Schema contract" and its enums written out here (the
design notes live outside the repository), not read back from the code. Fields may be
added freely, so each type must have at least the contract's fields, with its types.
Nullability the contract leaves open follows docs/partial-records.md: a carrier
account's lists are nullable so one failing carrier nulls only its own part.
"""

from __future__ import annotations

import pytest
from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLSchema, get_named_type

from auth.policy import AUDIENCES
from gateway.schema import build_schema
from gateway.schema.errors import CODES
from gateway.schema.visibility import audience_schemas

# list field -> (connection, edge, node, filter input), as DOMAIN.md names them
LISTS = {
    "customers": ("CustomerConnection", "CustomerEdge", "Customer", "CustomerFilter"),
    "services": ("ServiceConnection", "ServiceEdge", "Service", "ServiceFilter"),
    "invoices": ("InvoiceConnection", "InvoiceEdge", "Invoice", "InvoiceFilter"),
    "orders": ("OrderConnection", "OrderEdge", "Order", "OrderFilter"),
    "tickets": ("TicketConnection", "TicketEdge", "TroubleTicket", "TicketFilter"),
}
RECORD_LISTS = ("services", "invoices", "orders", "tickets")

# type -> field -> GraphQL type, where DOMAIN.md gives one (None: the name only)
FIELDS: dict[str, dict[str, str | None]] = {
    "Query": {
        "viewer": "Viewer!",
        "node": "Node",
        "customers": "CustomerConnection!",
        "customer": "Customer",
        "carriers": "[Carrier!]!",
        "services": "ServiceConnection!",
        "invoices": "InvoiceConnection!",
        "orders": "OrderConnection!",
        "tickets": "TicketConnection!",
    },
    "Viewer": {"party": None, "kind": None, "role": None, "brand": None},
    "Customer": {
        "id": "ID!",
        "name": None,
        "agent": None,
        "accounts": "[CarrierAccount!]!",
        "services": "ServiceConnection!",
        "invoices": "InvoiceConnection!",
        "orders": "OrderConnection!",
        "tickets": "TicketConnection!",
    },
    "CarrierAccount": {
        "id": "ID!",
        "carrier": None,
        "accountNumber": None,
        "status": None,
        "services": "ServiceConnection",
        "invoices": "InvoiceConnection",
        "orders": "OrderConnection",
        "tickets": "TicketConnection",
    },
    "Service": {
        "id": "ID!",
        "carrier": None,
        "account": None,
        "circuitId": None,
        "telephoneNumbers": None,
        "product": None,
        "bandwidthMbps": None,
        "status": None,
        "serviceAddress": None,
        "price": "Money",
    },
    "Invoice": {
        "id": "ID!",
        "carrier": None,
        "account": None,
        "invoiceNumber": None,
        "billingPeriod": None,
        "issuedAt": None,
        "dueAt": None,
        "status": None,
        "total": "Money",
        "lines": None,
    },
    "Order": {
        "id": "ID!",
        "carrier": None,
        "account": None,
        "orderId": None,
        "status": None,
        "requestedDate": None,
        "committedDate": None,
        "milestones": None,
        "notes": None,
    },
    "TroubleTicket": {
        "id": "ID!",
        "carrier": None,
        "account": None,
        "service": None,
        "ticketId": None,
        "severity": None,
        "status": None,
        "openedAt": None,
        "resolvedAt": None,
        "slaTarget": None,
        "slaBreached": None,
        "notes": None,
    },
    "Party": {"id": "ID!", "name": None},
    "Carrier": {"id": "ID!", "name": None},
    "Money": {"amount": None, "currency": None},
    "Period": {"start": None, "end": None},
    "OrderMilestone": {"kind": None, "plannedAt": None, "actualAt": None, "missed": None},
    "PageInfo": {"hasNextPage": None, "hasPreviousPage": None},
}
NODES = ("Customer", "CarrierAccount", "Service", "Invoice", "Order", "TroubleTicket")

# DOMAIN.md's enums, plus the one fallback docs/partial-records.md adds to each for
# codes no carrier file maps (the raw code is kept beside it).
ENUMS = {
    "ServiceStatus": {"PENDING", "ACTIVE", "SUSPENDED", "DISCONNECTED", "UNKNOWN"},
    "InvoiceStatus": {
        *("ISSUED", "PAYMENT_DUE", "PAID", "OVERDUE", "DISPUTED", "CREDITED", "UNKNOWN"),
    },
    "InvoiceLineKind": {"RECURRING", "ONE_TIME", "USAGE", "TAX", "CREDIT", "ADJUSTMENT", "UNKNOWN"},
    "OrderKind": {"NEW", "CHANGE", "MOVE", "DISCONNECT", "UNKNOWN"},
    "OrderStatus": {
        *("ACKNOWLEDGED", "IN_PROGRESS", "PENDING", "HELD", "PARTIAL", "COMPLETED"),
        *("CANCELLED", "PENDING_CANCELLATION", "REJECTED", "FAILED", "UNKNOWN"),
    },
    "MilestoneKind": {
        *("SUBMITTED", "ACKNOWLEDGED", "FOC", "DESIGN_LAYOUT", "LEC_DUE", "LOOP_ACCEPT"),
        *("INSTALLED", "TEST_AND_TURN_UP", "BILLING_START", "COMPLETED", "OTHER"),
    },
    "TicketType": {"ASSISTANCE", "INFORMATION", "INSTALLATION", "MAINTENANCE", "UNKNOWN"},
    "TicketSeverity": {"MINOR", "MODERATE", "SIGNIFICANT", "EXTENSIVE", "UNKNOWN"},
    "TicketPriority": {"LOW", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN"},
    "ObservedImpact": {"DEGRADED", "INTERMITTENT", "DOWN", "UNKNOWN"},
    "TicketStatus": {
        *("ACKNOWLEDGED", "PENDING", "IN_PROGRESS", "RESOLVED", "CLOSED", "CANCELLED"),
        *("REOPENED", "UNKNOWN"),
    },
}


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def object_type(schema: GraphQLSchema, name: str) -> GraphQLObjectType:
    type_ = schema.get_type(name)
    assert isinstance(type_, GraphQLObjectType), f"{name} is not an object type"
    return type_


@pytest.mark.parametrize("type_name", sorted(FIELDS))
def test_contract_fields_have_their_names_and_types(schema, type_name):
    fields = object_type(schema, type_name).fields
    missing = set(FIELDS[type_name]) - set(fields)
    assert not missing, f"{type_name} lacks {sorted(missing)}"
    wrong = {
        name: str(fields[name].type)
        for name, wanted in FIELDS[type_name].items()
        if wanted is not None and str(fields[name].type) != wanted
    }
    assert wrong == {}


@pytest.mark.parametrize("type_name", NODES)
def test_records_are_relay_nodes(schema, type_name):
    assert [i.name for i in object_type(schema, type_name).interfaces] == ["Node"]
    query = object_type(schema, "Query").fields
    assert str(query["node"].args["id"].type) == "ID!"
    assert str(query["customer"].args["id"].type) == "ID!"


@pytest.mark.parametrize("field", sorted(LISTS))
def test_each_list_has_the_contract_connection_and_edge(schema, field):
    connection, edge, node, filter_input = LISTS[field]
    holders = ["Query", "Customer", "CarrierAccount"] if field in RECORD_LISTS else ["Query"]
    for holder in holders:
        list_field = object_type(schema, holder).fields[field]
        assert get_named_type(list_field.type).name == connection, f"{holder}.{field}"
        args = {name: str(arg.type) for name, arg in list_field.args.items()}
        assert args["first"] == "Int"
        assert args["after"] == "String"
        assert args["filter"] == filter_input
    fields = {name: str(f.type) for name, f in object_type(schema, connection).fields.items()}
    assert fields["edges"] == f"[{edge}!]!"
    assert fields["pageInfo"] == "PageInfo!"
    assert fields["totalCount"] == "Int!"
    edge_fields = {name: str(f.type) for name, f in object_type(schema, edge).fields.items()}
    assert edge_fields == {"cursor": "String!", "node": f"{node}!"}


def test_tickets_lists_are_no_longer_named_after_the_node(schema):
    assert schema.get_type("TroubleTicketConnection") is None
    assert schema.get_type("TroubleTicketEdge") is None
    sdl = build_schema().as_str()
    assert "type TicketConnection {" in sdl
    assert "type TicketEdge {" in sdl


def test_every_audience_sees_the_contract_names():
    views = audience_schemas(build_schema())
    assert set(views) == set(AUDIENCES)
    for audience, view in views.items():
        names = set(view._schema.type_map)
        expected = {name for c, e, _, _ in LISTS.values() for name in (c, e)}
        assert expected <= names, audience
        assert "TroubleTicketConnection" not in names, audience


@pytest.mark.parametrize("enum_name", sorted(ENUMS))
def test_enum_values_are_the_domain_ones(schema, enum_name):
    enum = schema.get_type(enum_name)
    assert isinstance(enum, GraphQLEnumType)
    assert set(enum.values) == ENUMS[enum_name]


def test_error_codes_are_the_documented_list():
    assert set(CODES) == {
        *("UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "QUERY_TOO_COMPLEX"),
        *("UPSTREAM_UNAVAILABLE", "UPSTREAM_TIMEOUT", "UPSTREAM_INVALID"),
        *("NOT_SUPPORTED_BY_CARRIER", "RATE_LIMITED", "INTERNAL"),
    }
