"""A customer dashboard over several carriers: right data, batched calls, carriers in parallel.

The carriers speak different protocol families and declare different capabilities:
merged lists leave out the carriers that do not offer them, and an account's ``status``
at a carrier without an account API is null with a ``NOT_SUPPORTED_BY_CARRIER`` error,
the only errors a healthy dashboard carries.
"""

from __future__ import annotations

import gc
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from connectors import models
from connectors.sandbox.faults import Faults, RequestRecord
from connectors.specs.csv_export import CsvSpec
from connectors.specs.sonata import SonataSpec
from tests.e2e.expected import (
    DASHBOARD_KINDS,
    LISTS,
    ErrorKey,
    Truth,
    dashboard_rows,
    error_keys,
    knows_last_page,
    request_counts,
)
from tests.e2e.queries import CUSTOMER_DASHBOARD, CUSTOMERS_DASHBOARD

if TYPE_CHECKING:
    from collections.abc import Mapping

    from connectors.spec import CarrierSpec
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

    body = graph.execute(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})

    answer = body["data"]["customer"]
    expected = truth.rows(customer)
    assert answer["name"] == truth.data.party(customer).name
    assert dashboard_rows(answer) == expected
    assert error_keys(body) == truth.dashboard_errors(answer, ["customer"])
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

    graph.execute(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})

    counts = request_counts(carriers.sandbox.log.records(), carriers.specs)
    expected = truth.expected_requests([customer], carriers.specs)
    assert counts == {key: bounds.exact for key, bounds in expected.items()}
    # One account per carrier and far fewer records than a page: one request per
    # resource at every paged carrier, one per monthly file at export-only carriers.
    for (carrier, resource), bounds in expected.items():
        spec = carriers.specs[carrier]
        if isinstance(spec, CsvSpec):
            assert resource != "index" or spec.exports.index is not None
            assert bounds.exact is not None
            assert bounds.exact >= 1
        else:
            assert bounds.exact == 1, (carrier, resource, bounds)


def test_dashboard_of_many_customers_batches_instead_of_n_plus_one(
    graph: GraphClient, carriers: Carriers, truth: Truth
) -> None:
    body = graph.execute(CUSTOMERS_DASHBOARD, {"first": MANY})

    answer = body["data"]["customers"]["nodes"]
    listed = [truth.customer_named(c["name"]).id for c in answer]
    assert listed == [p.id for p in truth.customers_by_name()[:MANY]]
    errors: Counter[ErrorKey] = Counter()
    for index, (customer, shown) in enumerate(zip(listed, answer, strict=True)):
        assert dashboard_rows(shown) == truth.rows(customer), customer
        errors += truth.dashboard_errors(shown, ["customers", "nodes", index])
    assert error_keys(body) == errors
    assert errors, "not vacuous: some customer banks at a carrier without an account API"

    counts = request_counts(carriers.sandbox.log.records(), carriers.specs)
    expected = truth.expected_requests(listed, carriers.specs)
    assert set(counts) == set(expected)
    too_many = {
        key: (count, expected[key]) for key, count in counts.items() if count not in expected[key]
    }
    assert not too_many, f"requests (made, allowed) per (carrier, resource): {too_many}"
    paged = {
        key: b for key, b in expected.items() if not isinstance(carriers.specs[key[0]], CsvSpec)
    }
    # Where the records of all 50 customers fit in one page, one request, not 50.
    single = [key for key, bounds in paged.items() if bounds.high == 1]
    assert single, "some (carrier, resource) should fit in one page"
    assert all(counts[key] == 1 for key in single)
    # ... and where they do not, paging (not per-customer calls) explains every request.
    assert any(bounds.low > 1 for bounds in paged.values()), "some should need several pages"
    # Export-only carriers cost one request per monthly file, whatever the customers.
    files = {key: b for key, b in expected.items() if key not in paged}
    assert files, "some customer should bank at an export-only carrier"
    assert all(bounds.exact is not None for bounds in files.values())


def _full_last_page(
    truth: Truth, specs: Mapping[str, CarrierSpec], counted: bool
) -> tuple[int, str, str, int, int]:
    """The fewest first customers (by name) whose batch fills a carrier's last page exactly.

    At a paged carrier whose paging counts its pages (``counted``) or not, in one chunk
    of keys: (customers, carrier, resource, records, page size).
    """
    order = [p.id for p in truth.customers_by_name()]
    for first in range(1, len(order) + 1):
        for carrier, spec in specs.items():
            if isinstance(spec, CsvSpec) or knows_last_page(spec) is not counted:
                continue
            links = [
                link for c in order[:first] for link in truth.links(c) if link.carrier == carrier
            ]
            for kind in DASHBOARD_KINDS:
                if not links or not truth.offers(carrier, kind):
                    continue
                records = len(truth.of_links(links, kind))
                size = spec.paging.page_size  # type: ignore[attr-defined]
                if records and records % size == 0 and len(links) <= spec.max_keys_per_call:
                    return first, carrier, kind, records, size
    raise AssertionError(f"no batch fills a last page exactly ({counted=})")


@pytest.mark.parametrize("counted", [False, True], ids=["ends-at-a-short-page", "counts-pages"])
def test_a_full_last_page_costs_one_more_request_only_without_a_count(
    counted: bool, graph: GraphClient, carriers: Carriers, truth: Truth
) -> None:
    first, carrier, kind, records, size = _full_last_page(truth, carriers.specs, counted)

    body = graph.execute(CUSTOMERS_DASHBOARD, {"first": first})

    listed = [truth.customer_named(c["name"]).id for c in body["data"]["customers"]["nodes"]]
    counts = request_counts(carriers.sandbox.log.records(), carriers.specs)
    # Offset with a total or pages with a count: exactly the full pages. Otherwise the
    # adapter learns the list ended only from one more, empty page.
    # (A Sonata list answers summaries: each record's details are one more GET by id.)
    details = records if isinstance(carriers.specs[carrier], SonataSpec) else 0
    assert counts[(carrier, kind)] - details == records // size + (0 if counted else 1)
    expected = truth.expected_requests(listed, carriers.specs)
    assert {key: counts.get(key) for key in expected} == {
        key: bounds.exact for key, bounds in expected.items()
    }
    assert set(counts) == set(expected)


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

    body = graph.execute(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})

    assert error_keys(body) == truth.dashboard_errors(body["data"]["customer"], ["customer"])
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


def test_an_answered_dashboard_leaves_no_record_to_the_cyclic_collector(
    graph: GraphClient, customer_ids: dict[str, str], dashboard_customer: tuple[str, str]
) -> None:
    # graphql-core's executor ends in a reference cycle that holds the request's
    # context: the context lets go of its loaders and memo once the answer is made, so
    # the records are freed with the answer instead of by a (full) collection.
    customer, _ = dashboard_customer
    gc.collect()
    gc.disable()
    try:
        body = graph.execute(CUSTOMER_DASHBOARD, {"id": customer_ids[customer]})
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        kept = Counter(
            type(o).__name__ for o in gc.garbage if type(o).__module__ == models.__name__
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert body["data"]["customer"]["services"]["nodes"], "the dashboard read records"
    assert kept == Counter()
