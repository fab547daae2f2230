"""A customer dashboard over several carriers: right data, batched calls, carriers in parallel."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import pytest

from connectors.sandbox.faults import Faults, RequestRecord
from tests.e2e.expected import LISTS, Truth, dashboard_rows
from tests.e2e.queries import CUSTOMER_DASHBOARD, CUSTOMERS_DASHBOARD

if TYPE_CHECKING:
    from tests.e2e.conftest import Carriers, GraphClient

pytestmark = pytest.mark.e2e

MANY = 50


def test_dashboard_shows_what_every_carrier_holds_for_the_customer(
    graph: GraphClient,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    customer, _ = dashboard_customer
    assert len(truth.carriers_of(customer)) >= 3, "the test needs a multi-carrier customer"

    answer = graph.data(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})["customer"]

    expected = truth.rows(customer)
    assert answer["name"] == truth.data.party(customer).name
    assert dashboard_rows(answer) == expected
    for field in LISTS:
        assert answer[field]["totalCount"] == sum(expected[field].values())
    # Not vacuous: the customer has open work at its carriers.
    assert expected["orders"]
    assert expected["tickets"]


def test_dashboard_makes_one_request_per_carrier_and_resource(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    customer, _ = dashboard_customer

    graph.data(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})

    counts = resource_counts(carriers)
    expected = truth.expected_requests([customer], carriers.specs)
    assert set(counts) == set(expected)
    # One account per carrier and far fewer records than a page: one request each.
    assert all(bounds.low == bounds.high == 1 for bounds in expected.values())
    assert counts == dict.fromkeys(expected, 1)


def test_dashboard_of_many_customers_batches_instead_of_n_plus_one(
    graph: GraphClient, carriers: Carriers, truth: Truth
) -> None:
    answer = graph.data(CUSTOMERS_DASHBOARD, {"first": MANY})["customers"]["nodes"]

    listed = [truth.customer_named(c["name"]).id for c in answer]
    assert listed == [p.id for p in truth.customers_by_name()[:MANY]]
    for customer, shown in zip(listed, answer, strict=True):
        assert dashboard_rows(shown) == truth.rows(customer), customer

    counts = resource_counts(carriers)
    expected = truth.expected_requests(listed, carriers.specs)
    assert set(counts) == set(expected)
    too_many = {
        key: (count, expected[key]) for key, count in counts.items() if count not in expected[key]
    }
    assert not too_many, f"requests (made, allowed) per (carrier, resource): {too_many}"
    # Where the records of all 50 customers fit in one page, one request, not 50.
    single = [key for key, bounds in expected.items() if bounds.high == 1]
    assert single, "some (carrier, resource) should fit in one page"
    assert all(counts[key] == 1 for key in single)
    # ... and where they do not, paging (not per-customer calls) explains every request.
    paged = [key for key, bounds in expected.items() if bounds.low > 1]
    assert paged, "some (carrier, resource) should need several pages"


def resource_counts(carriers: Carriers) -> dict[tuple[str, str], int]:
    """Requests per (carrier, resource), without OAuth2 token requests (at most one each)."""
    counts = carriers.sandbox.log.counts()
    tokens = {key: n for key, n in counts.items() if key[1] == "token"}
    assert all(n <= 1 for n in tokens.values()), f"OAuth2 tokens must be reused: {tokens}"
    return {key: n for key, n in counts.items() if key[1] != "token"}


def _max_carriers_in_flight(records: list[RequestRecord]) -> int:
    """The most distinct carriers with a request in flight at one instant."""
    return max(
        len({r.carrier for r in records if r.started <= moment.started <= r.ended})
        for moment in records
    )


def test_dashboard_calls_carriers_concurrently(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    customer, _ = dashboard_customer
    customer_carriers = truth.carriers_of(customer)
    for carrier in carriers.specs:
        carriers.sandbox.set_faults(carrier, Faults(latency_ms=50))

    graph.data(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})

    records = carriers.sandbox.log.records()
    assert Counter(r.carrier for r in records).keys() == set(customer_carriers)
    overlapping = [
        (a.carrier, b.carrier)
        for a in records
        for b in records
        if a.carrier < b.carrier and a.started <= b.ended and b.started <= a.ended
    ]
    assert overlapping, "no two carriers were ever called at the same time"
    assert _max_carriers_in_flight(records) >= min(3, len(customer_carriers))
