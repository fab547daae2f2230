"""Relay paging over a list merged across carriers: every record once, in order, to the end."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from tests.e2e.queries import INVOICES_PAGE

if TYPE_CHECKING:
    from tests.e2e.conftest import GraphClient
    from tests.e2e.expected import Truth

pytestmark = pytest.mark.e2e

PAGE = 5


def test_invoices_walk_with_first_and_after(
    graph: GraphClient,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    customer, _ = dashboard_customer
    expected = {(i.carrier, i.invoice_number) for i in truth.of_customer(customer, "invoices")}

    pages = list(
        graph.pages(
            INVOICES_PAGE, {"id": customer_ids[customer]}, ["customer", "invoices"], first=PAGE
        )
    )

    edges = [edge for page in pages for edge in page["edges"]]
    seen = [(e["node"]["carrier"]["code"], e["node"]["invoiceNumber"]) for e in edges]
    assert len(seen) == len(set(seen)), "an invoice came twice"
    assert set(seen) == expected
    assert len(pages) == math.ceil(len(expected) / PAGE)
    assert all(page["totalCount"] == len(expected) for page in pages)
    assert all(len(page["edges"]) == PAGE for page in pages[:-1])
    has_next = [page["pageInfo"]["hasNextPage"] for page in pages]
    has_previous = [page["pageInfo"]["hasPreviousPage"] for page in pages]
    assert has_next == [True] * (len(pages) - 1) + [False]
    assert has_previous == [False] + [True] * (len(pages) - 1)
    assert all(page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"] for page in pages)
    assert len({e["cursor"] for e in edges}) == len(edges)
    issued = [datetime.fromisoformat(e["node"]["issuedAt"]) for e in edges]
    assert issued == sorted(issued, reverse=True), "invoices are listed newest first"
