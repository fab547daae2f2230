"""One carrier down, hung or talking garbage: the rest of the dashboard still arrives.

The failing carrier's part of each rolled-up list it declares is left out and reported
once, at that list's path, with the error code for how it failed and the carrier's id;
its account's own fields (here ``status``) are null with an error at their path (a
``NOT_SUPPORTED_BY_CARRIER`` one when it has no account API, as for any such carrier).
Every other carrier's records are present and correct, and the answer is HTTP 200.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from connectors.models import PartyKind, Protocol
from connectors.sandbox.faults import Faults, GarbageMode, RequestRecord
from tests.e2e.conftest import SHORT_READ_TIMEOUT, Carriers, Gateway, GraphClient
from tests.e2e.expected import LISTS, Truth, dashboard_rows, error_keys
from tests.e2e.queries import ACCOUNT_SERVICES, CUSTOMER_DASHBOARD

pytestmark = pytest.mark.e2e

HANG_SECONDS = 3 * SHORT_READ_TIMEOUT
BODY_ROUTED = frozenset({Protocol.SOAP, Protocol.GRAPHQL})


def assert_carrier_left_out(
    body: dict[str, Any], truth: Truth, customer: str, carrier: str, code: str
) -> None:
    """The dashboard answer lacks ``carrier``'s part, says why, and has everything else."""
    answer = body["data"]["customer"]
    assert answer is not None, body
    index = next(i for i, a in enumerate(answer["accounts"]) if a["carrier"]["code"] == carrier)
    # The broken carrier fails only what it is asked: the lists and details it declares.
    expected_errors = Counter(
        [(("customer", field), code, carrier) for field in LISTS if truth.offers(carrier, field)]
    ) + truth.dashboard_errors(answer, ["customer"])
    if truth.offers(carrier, "accounts"):
        expected_errors[(("customer", "accounts", index, "status"), code, carrier)] += 1
    assert error_keys(body) == expected_errors

    expected = truth.rows(customer, without=[carrier])
    expected["accounts"] = Counter(
        {
            (at, name, number, None if at == carrier else status): n
            for (at, name, number, status), n in expected["accounts"].items()
        }
    )
    assert dashboard_rows(answer) == expected
    for field in LISTS:
        assert answer[field]["totalCount"] == sum(expected[field].values())
    # Not vacuous: without the failure, the broken carrier's records would be there.
    full = truth.rows(customer)
    assert carrier in {row[0] for row in full["services"]}
    assert carrier in {row[0] for row in full["invoices"]}


def test_carrier_answering_errors_is_upstream_unavailable(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    customer, carrier = dashboard_customer
    carriers.sandbox.set_faults(carrier, Faults(error_rate=1.0))

    body = graph.execute(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})

    assert_carrier_left_out(body, truth, customer, carrier, "UPSTREAM_UNAVAILABLE")


@pytest.mark.parametrize("garbage", ["not_json", "wrong_shape"])
def test_carrier_sending_garbage_is_upstream_invalid(
    garbage: GarbageMode,
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    customer, carrier = dashboard_customer
    carriers.sandbox.set_faults(carrier, Faults(garbage=garbage))

    body = graph.execute(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})

    assert_carrier_left_out(body, truth, customer, carrier, "UPSTREAM_INVALID")


def test_carrier_sending_a_bad_record_still_delivers_every_record(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    # Issue 8: an unmapped code and an emptied value inside one record cost that value
    # (UNKNOWN, or null), never the carrier's list (SOAP, CSV, REST and GraphQL carriers).
    customer, carrier = dashboard_customer
    assert truth.protocol(carrier) in {Protocol.SOAP, Protocol.CSV, Protocol.REST, Protocol.GRAPHQL}
    healthy = graph.execute(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})
    carriers.sandbox.set_faults(carrier, Faults(garbage="bad_record"))

    body = graph.execute(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})

    assert error_keys(body) == error_keys(healthy)
    for field in LISTS:
        count = body["data"]["customer"][field]["totalCount"]
        was = healthy["data"]["customer"][field]["totalCount"]
        # Open-only lists may gain a record: an UNKNOWN state is not known to be final.
        assert count == was if field in {"services", "invoices"} else count >= was, field
    assert body["data"] != healthy["data"]  # the carrier's first records did change


def test_carrier_hanging_past_its_read_timeout_is_upstream_timeout(
    short_timeout_gateway: Gateway,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    customer, carrier = dashboard_customer
    carriers.sandbox.set_faults(carrier, Faults(hang_seconds=HANG_SECONDS))
    operator = short_timeout_gateway.key(PartyKind.OPERATOR)

    with short_timeout_gateway.client(operator.key) as graph:
        body = graph.execute(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})
    answered = time.monotonic()

    assert_carrier_left_out(body, truth, customer, carrier, "UPSTREAM_TIMEOUT")
    # One request per resource (a timeout is not retried), each still hanging when the
    # gateway answered. Wait for them to end so they do not land in the next test's log.
    asked = ["accounts", *(field for field in LISTS if truth.offers(carrier, field))]
    hung = _wait_for_requests(carriers, carrier, len(asked), timeout=HANG_SECONDS + 5)
    assert len(hung) == len(asked), [r.resource for r in hung]
    assert answered < min(r.ended for r in hung), "the gateway waited for the hung carrier"
    # Which resource each request asked for: the sandbox tells by path, except where a
    # dialect names it in the body (SOAP, GraphQL), which it reads only after the hang,
    # from a client that has given up: those requests are logged as "unknown".
    if truth.protocol(carrier) in BODY_ROUTED:
        named = Counter(r.resource for r in hung if r.resource != "unknown")
        assert not named - Counter(asked), named
    else:
        assert Counter(r.resource for r in hung) == Counter(asked)


def _wait_for_requests(
    carriers: Carriers, carrier: str, count: int, timeout: float
) -> list[RequestRecord]:
    """The carrier's logged requests once there are ``count`` of them (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        records = [r for r in carriers.sandbox.log.records() if r.carrier == carrier]
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def test_failing_carrier_nulls_only_its_own_account_list(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    customer, carrier = dashboard_customer
    carriers.sandbox.set_faults(carrier, Faults(error_rate=1.0))

    body = graph.execute(ACCOUNT_SERVICES, {"id": customer_ids[customer]})

    assert body["data"]["customer"] is not None, body["errors"]
    accounts = body["data"]["customer"]["accounts"]
    index = next(i for i, a in enumerate(accounts) if a["carrier"]["code"] == carrier)
    path = ("customer", "accounts", index, "services")
    assert error_keys(body) == Counter(
        {(path, "UPSTREAM_UNAVAILABLE", carrier): 1}
    ) + truth.unsupported(accounts, ["services"], ["customer", "accounts"])
    assert accounts[index]["services"] is None
    for account in accounts:
        at = account["carrier"]["code"]
        if at == carrier:
            continue
        if not truth.offers(at, "services"):
            assert account["services"] is None
            continue
        shown = Counter(s["serviceId"] for s in account["services"]["nodes"])
        held = truth.of_account(at, account["accountNumber"], "services")
        assert shown == Counter(s.service_id for s in held)
