"""One bad value, one unreadable record: the smallest scope loses, everything else arrives.

Over real HTTP against the sandbox, for the TM Forum carrier of the family customer:

* ``bad_value``: the first record of each list answer carries one absurd value (a bill
  total of ``{"unit": "string", "value": -3.4e38}``, a date in year 9999): that field is
  ``null`` with one ``UPSTREAM_INVALID`` at its exact path naming carrier, record and
  field, and the record's other values and every other record still arrive;
* ``unreadable_record``: one record of each list answer has no id or account link: it is
  left out and reported once at the list's path; every readable record arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from connectors.models import Protocol
from connectors.sandbox.faults import Faults
from tests.e2e.queries import FAMILY_DASHBOARD
from tests.e2e.test_families import families, family_customer  # noqa: F401 - fixtures

if TYPE_CHECKING:
    from tests.e2e.conftest import Carriers, GraphClient
    from tests.e2e.expected import Truth

pytestmark = pytest.mark.e2e


IDENTITY = {
    "services": "serviceId",
    "invoices": "invoiceNumber",
    "orders": "orderId",
    "tickets": "ticketId",
    "usage": "usageId",
    "quotes": "quoteId",
}


def mine(body: dict[str, Any], carrier: str) -> list[dict[str, Any]]:
    return [
        e
        for e in body.get("errors", ())
        if e["extensions"].get("carrier") == carrier
        and e["extensions"]["code"] != "NOT_SUPPORTED_BY_CARRIER"
    ]


def test_one_bad_value_is_null_at_its_own_path(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,  # noqa: F811
    families: dict[Protocol, str],  # noqa: F811
) -> None:
    carrier = families[Protocol.TMF]
    healthy = graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[family_customer]})
    carriers.sandbox.set_faults(carrier, Faults(garbage="bad_value"))

    body = graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[family_customer]})

    errors = mine(body, carrier)
    assert errors
    assert {e["extensions"]["code"] for e in errors} == {"UPSTREAM_INVALID"}
    invoices = body["data"]["customer"]["invoices"]["nodes"]
    before = healthy["data"]["customer"]["invoices"]["nodes"]
    assert [i["invoiceNumber"] for i in invoices] == [i["invoiceNumber"] for i in before]
    totals = [e for e in errors if e["path"][-1] == "total"]
    assert totals
    for error in totals:
        path = error["path"]
        assert path[:3] == ["customer", "invoices", "nodes"]
        invoice = invoices[path[3]]
        assert invoice["carrier"]["code"] == carrier
        assert invoice["total"] is None
        assert error["extensions"]["record"] == invoice["invoiceNumber"]
        assert error["extensions"]["field"] == "taxIncludedAmount.unit"
        # The rest of the bill still arrives as the carrier holds it.
        same = before[path[3]]
        # (its lines are their own answer, whose first record broke a value too)
        assert {k: v for k, v in invoice.items() if k not in {"total", "lines"}} == {
            k: v for k, v in same.items() if k not in {"total", "lines"}
        }
    # Other lists keep every record too: the broken value is nulled where it is.
    for field in ("services", "orders", "tickets"):
        got = body["data"]["customer"][field]
        assert got["totalCount"] == healthy["data"]["customer"][field]["totalCount"]
    for error in errors:
        assert error["path"][1] in {"accounts", "services", "invoices", "orders", "tickets"}
        assert len(error["path"]) >= 3


def test_one_unreadable_record_is_left_out_and_reported_once(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,  # noqa: F811
    families: dict[Protocol, str],  # noqa: F811
) -> None:
    carrier = families[Protocol.TMF]
    healthy = graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[family_customer]})
    carriers.sandbox.set_faults(carrier, Faults(garbage="unreadable_record"))

    body = graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[family_customer]})

    errors = mine(body, carrier)
    assert errors
    for error in errors:
        assert error["extensions"]["code"] == "UPSTREAM_INVALID"
        assert error["extensions"]["field"] in {"id", "billingAccount", "bill"}
        assert error["extensions"]["record"]
    lists = {"services", "invoices", "orders", "tickets", "usage", "quotes", "lines"}
    assert all(e["path"][-1] in lists for e in errors)  # at a list, not at a record
    by_list = {e["path"][1] for e in errors if len(e["path"]) == 2}
    assert by_list
    for field in by_list:
        got = body["data"]["customer"][field]["nodes"]
        was = healthy["data"]["customer"][field]["nodes"]
        ours = [n for n in was if n["carrier"]["code"] == carrier]
        left = [n for n in got if n["carrier"]["code"] == carrier]
        reported = sum(1 for e in errors if e["path"] == ["customer", field])
        # the left-out record may be one a filter (open orders) would not have shown
        assert len(ours) - reported <= len(left) <= len(ours)
        key = IDENTITY[field]
        assert {n[key] for n in left} <= {n[key] for n in ours}
        others = [n[key] for n in was if n["carrier"]["code"] != carrier]
        assert [n[key] for n in got if n["carrier"]["code"] != carrier] == others
