"""Bad days at a carrier of each family: throttled, resetting, hung, flapping, tripping its breaker.

Every case breaks one carrier of the family customer's dashboard and checks, over real
HTTP against the sandbox, that its part is left out with the right code and carrier at
the right paths while every other carrier's records arrive; that the operation deadline
bounds a hung carrier; that retries and ``Retry-After`` are honoured (seen in the
sandbox's request log, with its recorded start and end times); and that a carrier that
keeps failing trips its circuit breaker, which then fails fast and shows in ``/readyz``.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from connectors.models import Protocol
from connectors.sandbox.faults import Faults
from gateway.cli import app
from gateway.loaders import reserve
from tests.e2e.expected import error_keys, family_rows
from tests.e2e.queries import FAMILY_DASHBOARD
from tests.e2e.test_families import (
    FAMILY_LISTS,
    assert_lists_complete,
    families,  # noqa: F401 - fixture
    family_customer,  # noqa: F401 - fixture
    healthy_errors,
    of_carrier,
)

if TYPE_CHECKING:
    from collections import Counter

    from tests.e2e.conftest import Carriers, Gateway, GraphClient
    from tests.e2e.expected import ErrorKey, Truth

pytestmark = pytest.mark.e2e

HANG_SECONDS = 3.0
DEADLINE_MS = 1500
"""The deadline's reserve must hold the invoice lines of every healthy carrier, and a
Sonata seller's lines are one GET per bill item (~80 here)."""

FAULTS: dict[str, tuple[Faults, str]] = {
    "throttled": (Faults(error_rate=1.0, error_status=429, retry_after="30"), "RATE_LIMITED"),
    "reset": (Faults(reset_connection=True), "UPSTREAM_UNAVAILABLE"),
    "bad_gateway": (Faults(error_rate=1.0, error_status=502), "UPSTREAM_UNAVAILABLE"),
}
"""Transport faults on every answer, and the code each must surface as."""


def expected_errors(
    truth: Truth, answer: dict[str, Any], carrier: str, code: str
) -> Counter[ErrorKey]:
    """The healthy dashboard's errors plus one per list (and account status) of ``carrier``."""
    errors = healthy_errors(truth, answer)
    for field, resource in FAMILY_LISTS.items():
        if truth.offers(carrier, resource):
            errors[(("customer", field), code, carrier)] += 1
    if truth.offers(carrier, "accounts"):
        index = next(i for i, a in enumerate(answer["accounts"]) if a["carrier"]["code"] == carrier)
        errors[(("customer", "accounts", index, "status"), code, carrier)] += 1
    return errors


def assert_only_carrier_missing(
    body: dict[str, Any], truth: Truth, customer: str, carrier: str, code: str
) -> None:
    answer = body["data"]["customer"]
    assert answer is not None, body
    assert error_keys(body) == expected_errors(truth, answer, carrier, code)
    expected = truth.family_rows(customer, without=[carrier])
    assert family_rows(answer) == expected
    assert_lists_complete(answer, expected)
    full = truth.family_rows(customer)
    assert any(of_carrier(full[field], carrier) for field in FAMILY_LISTS)  # not vacuous


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("protocol", list(Protocol), ids=str)
def test_a_transport_fault_of_any_family_is_left_out_with_its_code(
    protocol: Protocol,
    fault: str,
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,  # noqa: F811
    families: dict[Protocol, str],  # noqa: F811
) -> None:
    carrier = families[protocol]
    faults, code = FAULTS[fault]
    variables = {"id": customer_ids[family_customer]}
    graph.execute(FAMILY_DASHBOARD, variables)
    healthy = sum(1 for r in carriers.sandbox.log.records() if r.carrier == carrier)
    carriers.sandbox.log.clear()
    carriers.sandbox.set_faults(carrier, faults)

    body = graph.execute(FAMILY_DASHBOARD, variables)

    assert_only_carrier_missing(body, truth, family_customer, carrier, code)
    if fault == "throttled":
        # Retry-After (30 s) reaches past the deadline: not waited for, said to the client.
        mine = [e for e in body["errors"] if e["extensions"]["code"] == "RATE_LIMITED"]
        assert mine
        assert {e["extensions"].get("retryAfter") for e in mine} == {30}
        asked = [r for r in carriers.sandbox.log.records() if r.carrier == carrier]
        assert 0 < len(asked) <= healthy  # none sent twice


@pytest.mark.parametrize("protocol", list(Protocol), ids=str)
def test_a_hung_carrier_costs_the_deadline_not_its_read_timeout(
    protocol: Protocol,
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,  # noqa: F811
    families: dict[Protocol, str],  # noqa: F811
) -> None:
    carrier = families[protocol]
    carriers.sandbox.set_faults(carrier, Faults(hang_seconds=HANG_SECONDS))

    asked = time.monotonic()
    body = graph.execute(
        FAMILY_DASHBOARD,
        {"id": customer_ids[family_customer]},
        **{"X-Switchboard-Deadline-Ms": str(DEADLINE_MS)},
    )
    answered = time.monotonic()

    assert_only_carrier_missing(body, truth, family_customer, carrier, "UPSTREAM_TIMEOUT")
    # The answer waited for the deadline, and went out long before the hung carrier
    # would have answered (its read timeout is 10 s; it hangs 3 s).
    budget = DEADLINE_MS / 1000
    assert budget - reserve(budget) <= answered - asked < HANG_SECONDS
    healthy = [r for r in carriers.sandbox.log.records() if r.carrier != carrier]
    assert healthy
    assert all(r.ended <= answered for r in healthy)
    # The hung requests end (and are logged) after the hang: let them, before the next test.
    time.sleep(max(0.0, asked + HANG_SECONDS + 0.3 - time.monotonic()))


def test_a_failed_read_is_retried_after_a_back_off_and_the_answer_is_whole(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,  # noqa: F811
    families: dict[Protocol, str],  # noqa: F811
) -> None:
    carrier = families[Protocol.TMF]
    carriers.sandbox.set_faults(carrier, Faults(fail_first=2, error_status=503))

    body = graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[family_customer]})

    answer = body["data"]["customer"]
    assert error_keys(body) == healthy_errors(truth, answer)
    assert family_rows(answer) == truth.family_rows(family_customer)
    asked = [r for r in carriers.sandbox.log.records() if r.carrier == carrier]
    distinct = {(r.path, r.query) for r in asked}
    assert len(asked) == len(distinct) + 2  # the two failed requests were sent again


def test_retry_after_within_the_deadline_is_waited_for(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,  # noqa: F811
    families: dict[Protocol, str],  # noqa: F811
) -> None:
    carrier = families[Protocol.REST]
    carriers.sandbox.set_faults(carrier, Faults(fail_first=1, error_status=429, retry_after="1"))

    body = graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[family_customer]})

    answer = body["data"]["customer"]
    assert error_keys(body) == healthy_errors(truth, answer)
    assert family_rows(answer) == truth.family_rows(family_customer)
    asked = sorted(
        (r for r in carriers.sandbox.log.records() if r.carrier == carrier), key=lambda r: r.started
    )
    first, *rest = asked
    again = next(r for r in rest if (r.path, r.query) == (first.path, first.query))
    assert again.started - first.ended >= 1.0  # the carrier's Retry-After, from the log


def test_a_carrier_that_keeps_failing_trips_its_breaker_and_then_fails_fast(
    graph: GraphClient,
    gateway: Gateway,
    carriers: Carriers,
    customer_ids: dict[str, str],
    family_customer: str,  # noqa: F811
    families: dict[Protocol, str],  # noqa: F811
) -> None:
    carrier = families[Protocol.TMF]
    carriers.sandbox.set_faults(carrier, Faults(error_rate=1.0, error_status=503))
    variables = {"id": customer_ids[family_customer]}
    policy = gateway.runtime.registry.specs[carrier].breaker

    graph.execute(FAMILY_DASHBOARD, variables)  # more than `failures` failed calls
    assert gateway.runtime.registry.breakers()[carrier]["state"] == "open"
    carriers.sandbox.log.clear()
    body = graph.execute(FAMILY_DASHBOARD, variables)

    assert not [r for r in carriers.sandbox.log.records() if r.carrier == carrier]
    mine = [
        e
        for e in body["errors"]
        if e["extensions"].get("carrier") == carrier
        and e["extensions"]["code"] != "NOT_SUPPORTED_BY_CARRIER"
    ]
    assert mine
    assert all(e["extensions"]["code"] == "UPSTREAM_UNAVAILABLE" for e in mine)
    assert all("circuit breaker is open" in e["message"] for e in mine)
    ready = graph.http.get("/readyz").json()
    assert ready["status"] == "ready"  # a carrier's breaker is its state, not ours
    assert ready["open_breakers"] == [carrier]
    assert ready["breakers"][carrier]["open_until"] > 0
    assert policy.open_seconds > 0
    shown = CliRunner().invoke(app, ["connectors", "status", "--url", gateway.url, "--json"])
    assert shown.exit_code == 1  # a breaker is open
    assert json.loads(shown.stdout)[carrier]["state"] == "open"
    table = CliRunner().invoke(app, ["connectors", "status", "--url", gateway.url])
    assert carrier in table.stdout


@pytest.mark.parametrize("protocol", list(Protocol), ids=str)
def test_a_slow_carrier_inside_the_deadline_is_waited_for_not_retried(
    protocol: Protocol,
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,  # noqa: F811
    families: dict[Protocol, str],  # noqa: F811
) -> None:
    carrier = families[protocol]
    variables = {"id": customer_ids[family_customer]}
    graph.execute(FAMILY_DASHBOARD, variables)
    healthy = sum(1 for r in carriers.sandbox.log.records() if r.carrier == carrier)
    carriers.sandbox.log.clear()
    carriers.sandbox.set_faults(carrier, Faults(latency_ms=300))

    body = graph.execute(FAMILY_DASHBOARD, variables)

    answer = body["data"]["customer"]
    assert error_keys(body) == healthy_errors(truth, answer)
    assert family_rows(answer) == truth.family_rows(family_customer)
    slow = [r for r in carriers.sandbox.log.records() if r.carrier == carrier]
    assert len(slow) == healthy  # waited for, never sent twice
    # slow, as the sandbox's own log says (asyncio.sleep may end a few microseconds early)
    assert min(r.ended - r.started for r in slow) >= 0.29
