"""Acceptance for the protocol families: one customer, one account in each family, one dashboard.

The data set gives its first customer (smallest party id) one account at one carrier of
each protocol family: TM Forum, MEF Sonata, SOAP, CSV exports, proprietary REST and
GraphQL. Through the gateway that customer's dashboard shows exactly what each family's
carrier holds for it, for what the carrier declares. What a carrier does not declare is
left out of merged lists without a word, and is null with ``NOT_SUPPORTED_BY_CARRIER``
(and the carrier's id) at per-account paths: "asking a carrier for something it does not
offer gives NOT_SUPPORTED_BY_CARRIER, not an empty list". Each carrier is asked once per
resource it declares (a CSV carrier once per monthly file), as its carrier file's paging
explains, and never for what it does not declare.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from connectors.models import AccountLink, Protocol, Resource
from connectors.protocols.csv_export import DEFAULT_MONTHS
from connectors.protocols.sonata import list_path
from connectors.sandbox.faults import Faults
from connectors.specs.csv_export import CsvSpec
from connectors.specs.sonata import SonataSpec
from tests.e2e.expected import (
    ACCOUNT_DETAILS,
    ACCOUNT_LISTS,
    NOT_SUPPORTED,
    ErrorKey,
    Rows,
    Truth,
    error_keys,
    family_rows,
    request_counts,
)
from tests.e2e.queries import (
    ACCOUNT_FIELDS,
    CARRIER_PROTOCOLS,
    CUSTOMER_ACCOUNTS,
    FAMILY_DASHBOARD,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tests.e2e.conftest import Carriers, GraphClient

pytestmark = pytest.mark.e2e

FAMILY_LISTS: Mapping[str, str] = {
    "services": "services",
    "invoices": "invoices",
    "orders": "orders",
    "tickets": "tickets",
    "usage": "usage",
    "quotes": "quotes",
}
"""The customer's merged lists in ``FAMILY_DASHBOARD`` -> the resource each asks for."""

FAMILY_KINDS = ("accounts", *FAMILY_LISTS.values(), "invoice_lines")
"""Everything ``FAMILY_DASHBOARD`` asks the carriers for (``accounts``: account status)."""

FAULTS = {
    "error": (Faults(error_rate=1.0), "UPSTREAM_UNAVAILABLE"),
    "not_json": (Faults(garbage="not_json"), "UPSTREAM_INVALID"),
    "wrong_shape": (Faults(garbage="wrong_shape"), "UPSTREAM_INVALID"),
}
"""Faults that break every answer of a carrier, whatever it holds for the customer."""


@pytest.fixture(scope="module")
def family_customer(truth: Truth) -> str:
    return truth.family_customer()


@pytest.fixture(scope="module")
def families(truth: Truth, family_customer: str) -> dict[Protocol, str]:
    """Protocol -> the family customer's carrier of that protocol (one account each)."""
    links = truth.links(family_customer)
    found = {truth.protocol(link.carrier): link.carrier for link in links}
    assert len(found) == len(links), "one account per protocol family"
    return found


def of_carrier(rows: Counter[tuple[Any, ...]], carrier: str) -> Counter[tuple[Any, ...]]:
    """The rows of one carrier (every row starts with its carrier's code)."""
    return Counter({row: n for row, n in rows.items() if row[0] == carrier})


def healthy_errors(truth: Truth, answer: Mapping[str, Any]) -> Counter[ErrorKey]:
    """The errors of a ``FAMILY_DASHBOARD`` answer that no failure causes.

    Account status where the carrier has no account API, and the lines of each listed
    invoice whose carrier declares no invoice lines.
    """
    errors = truth.unsupported(answer["accounts"], ["status"], ["customer", "accounts"])
    for index, invoice in enumerate(answer["invoices"]["nodes"]):
        carrier = invoice["carrier"]["code"]
        if not truth.offers(carrier, "invoice_lines"):
            errors[(("customer", "invoices", "nodes", index, "lines"), NOT_SUPPORTED, carrier)] += 1
    return errors


def assert_lists_complete(answer: Mapping[str, Any], expected: Rows) -> None:
    for field in FAMILY_LISTS:
        connection = answer[field]
        assert connection["totalCount"] == len(connection["nodes"]), f"{field}: not all on a page"
        assert connection["totalCount"] == expected[field].total(), field


def test_first_customer_holds_an_account_in_every_protocol_family(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,
) -> None:
    assert family_customer == min(p.id for p in truth.data.customers())

    protocols = {
        c["code"]: Protocol[c["protocol"]] for c in graph.data(CARRIER_PROTOCOLS)["carriers"]
    }
    accounts = graph.data(CUSTOMER_ACCOUNTS, {"id": customer_ids[family_customer]})["customer"][
        "accounts"
    ]

    # The graph says which protocol each carrier speaks, as its carrier file does.
    assert protocols == {cid: Protocol(spec.protocol) for cid, spec in carriers.specs.items()}
    # The customer's accounts are the data set's, and span all six families, once each.
    assert Counter((a["carrier"]["code"], a["accountNumber"]) for a in accounts) == Counter(
        (link.carrier, link.account_number) for link in truth.links(family_customer)
    )
    spanned = Counter(protocols[a["carrier"]["code"]] for a in accounts)
    assert spanned == Counter(set(Protocol))
    assert len(Protocol) == 6


def test_family_dashboard_shows_what_each_family_holds(
    graph: GraphClient,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,
    families: dict[Protocol, str],
) -> None:
    body = graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[family_customer]})

    answer = body["data"]["customer"]
    assert answer["name"] == truth.data.party(family_customer).name
    shown, expected = family_rows(answer), truth.family_rows(family_customer)
    for protocol, carrier in families.items():
        for kind in expected:
            assert of_carrier(shown[kind], carrier) == of_carrier(expected[kind], carrier), (
                protocol,
                carrier,
                kind,
            )
    assert shown == expected  # and nothing of any other carrier
    assert error_keys(body) == healthy_errors(truth, answer)
    assert_lists_complete(answer, expected)

    # Merged lists hold records only of carriers that declare them, although the data
    # set holds records of undeclared kinds too (so leaving them out is tested).
    for field, resource in FAMILY_LISTS.items():
        assert all(truth.offers(row[0], resource) for row in shown[field]), field
    undeclared = [
        (link.carrier, resource)
        for link in truth.links(family_customer)
        for resource in FAMILY_LISTS.values()
        if not truth.offers(link.carrier, resource)
        and truth.of_account(link.carrier, link.account_number, resource)
    ]
    assert undeclared, "some carrier should hold records it does not declare"
    # Not vacuous: every family shows records, and some account has no account API.
    for protocol, carrier in families.items():
        assert any(of_carrier(shown[field], carrier) for field in FAMILY_LISTS), protocol
    assert error_keys(body), "some carrier of the customer should have no account API"


def test_family_dashboard_asks_each_carrier_once_per_declared_resource(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,
    families: dict[Protocol, str],
) -> None:
    graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[family_customer]})

    counts = request_counts(carriers.sandbox.log.records(), carriers.specs)
    expected = truth.expected_requests([family_customer], carriers.specs, FAMILY_KINDS)
    assert counts == {key: bounds.exact for key, bounds in expected.items()}
    assert {carrier for carrier, _ in counts} == set(families.values())
    for (carrier, resource), bounds in expected.items():
        if resource != "index":
            assert truth.offers(carrier, resource), (carrier, resource)
        if isinstance(carriers.specs[carrier], CsvSpec) or resource == "invoice_lines":
            # One per monthly file; invoice lines are asked by the 12 invoice numbers,
            # whose lines may fill more than one page.
            assert bounds.exact is not None, (carrier, resource)
            assert bounds.exact >= 1, (carrier, resource)
        elif isinstance(carriers.specs[carrier], SonataSpec):
            # Summaries, then each record's details: checked below, list by detail.
            assert bounds.exact is not None, (carrier, resource)
        else:
            # One account per carrier, far fewer records than a page: one request.
            assert bounds.exact == 1, (carrier, resource, bounds)
    # The Sonata carrier: one list per resource, then one GET by id per record listed
    # (no N+1 beyond that), each after the list that named it; bill items by id from
    # the listed bills' refs, with no list at all.
    sonata = families[Protocol.SONATA]
    spec_s = carriers.specs[sonata]
    assert isinstance(spec_s, SonataSpec)
    log = [r for r in carriers.sandbox.log.records() if r.carrier == sonata]
    (account,) = [link for link in truth.links(family_customer) if link.carrier == sonata]
    bills = truth.of_account(sonata, account.account_number, "invoices")
    for resource in ("services", "invoices", "orders", "tickets", "quotes", "invoice_lines"):
        if not truth.offers(sonata, resource) or resource not in FAMILY_KINDS:
            continue
        path = list_path(spec_s, Resource(resource))
        listed = [r for r in log if r.path.endswith(path)]
        fetched = [r for r in log if f"{path}/" in r.path]
        if resource == "invoice_lines":
            held = sum(len(truth.lines_of(sonata, b.invoice_number)) for b in bills)
            assert (len(listed), len(fetched)) == (0, held), resource
            continue
        held_records = truth.of_account(sonata, account.account_number, resource)
        ids = sorted(r.path.rpartition("/")[2] for r in fetched)
        # (A bill's details, read for the list, also give its items' refs: read once.)
        key = {"services": "service_id", "orders": "order_id", "tickets": "ticket_id",
               "quotes": "quote_id", "invoices": "invoice_number"}[resource]  # fmt: skip
        assert ids == sorted(getattr(r, key) for r in held_records), resource
        assert len(listed) == 1, resource  # one account, far fewer records than a page
        assert all(f.started >= min(x.ended for x in listed) for f in fetched), resource
    # The CSV carrier: one download per month of its invoice export, as its file says.
    csv = families[Protocol.CSV]
    spec = carriers.specs[csv]
    assert isinstance(spec, CsvSpec)
    months = spec.exports.invoices.months or DEFAULT_MONTHS["invoices"]
    # (In the one-row-per-line layout the lines are read from the same files, downloaded
    # once per request.)
    assert counts[(csv, "invoices")] == months


def test_per_account_fields_say_not_supported_for_what_a_carrier_lacks(
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,
    families: dict[Protocol, str],
) -> None:
    body = graph.execute(ACCOUNT_FIELDS, {"id": customer_ids[family_customer]})

    accounts = body["data"]["customer"]["accounts"]
    fields = [*ACCOUNT_DETAILS, *ACCOUNT_LISTS]
    expected_errors = truth.unsupported(accounts, fields, ["customer", "accounts"])
    assert error_keys(body) == expected_errors
    assert {carrier for _, _, carrier in expected_errors} >= {
        families[Protocol.SONATA],
        families[Protocol.CSV],
    }, "not vacuous: Sonata and CSV carriers lack some resources"
    for account in accounts:
        carrier = account["carrier"]["code"]
        link = AccountLink(family_customer, carrier, account["accountNumber"])
        record = truth.account_record(link)
        details = (
            account["name"],
            account["status"],
            account["billingAddress"] and account["billingAddress"]["country"],
            account["createdAt"] and datetime.fromisoformat(account["createdAt"]),
            account["currency"],
        )
        if record is None:
            assert details == (None,) * len(details), carrier
        else:
            assert details == (
                record.name,
                record.status.value,
                record.billing_address.country,
                record.created_at,
                record.currency,
            ), carrier
        for field, resource in ACCOUNT_LISTS.items():
            if truth.offers(carrier, resource):
                held = truth.of_account(carrier, link.account_number, resource)
                assert account[field] == {"totalCount": len(held)}, (carrier, field)
            else:
                assert account[field] is None, (carrier, field)
    # Nothing undeclared was asked upstream.
    counts = request_counts(carriers.sandbox.log.records(), carriers.specs)
    assert all(truth.offers(c, r) for c, r in counts if r != "index"), counts


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("protocol", list(Protocol), ids=str)
def test_a_failing_carrier_of_any_family_is_left_out(
    protocol: Protocol,
    fault: str,
    graph: GraphClient,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    family_customer: str,
    families: dict[Protocol, str],
) -> None:
    carrier = families[protocol]
    faults, code = FAULTS[fault]
    carriers.sandbox.set_faults(carrier, faults)

    body = graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[family_customer]})

    answer = body["data"]["customer"]
    assert answer is not None, body
    # Errors only for what the broken carrier declares: each merged list once, and its
    # account's status (already NOT_SUPPORTED where it has no account API).
    expected_errors = healthy_errors(truth, answer)
    for field, resource in FAMILY_LISTS.items():
        if truth.offers(carrier, resource):
            expected_errors[(("customer", field), code, carrier)] += 1
    if truth.offers(carrier, "accounts"):
        index = next(i for i, a in enumerate(answer["accounts"]) if a["carrier"]["code"] == carrier)
        expected_errors[(("customer", "accounts", index, "status"), code, carrier)] += 1
    assert error_keys(body) == expected_errors

    expected = truth.family_rows(family_customer, without=[carrier])
    assert family_rows(answer) == expected
    assert_lists_complete(answer, expected)
    # Not vacuous: the healthy dashboard shows records of the broken carrier.
    full = truth.family_rows(family_customer)
    assert any(of_carrier(full[field], carrier) for field in FAMILY_LISTS)
