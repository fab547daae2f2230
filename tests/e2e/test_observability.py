"""Watching the real gateway: /metrics after a dashboard, one span per carrier call.

Tracing uses an SDK tracer provider with an in-memory exporter, installed once for the
test process (OpenTelemetry allows one global provider); the gateway's tracers are
proxies that start recording as soon as it is set.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from connectors.models import PartyKind
from tests.e2e.conftest import run_gateway
from tests.e2e.queries import FAMILY_DASHBOARD

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.e2e.conftest import Carriers, Gateway, GraphClient
    from tests.e2e.expected import Truth

pytestmark = pytest.mark.e2e

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    return _EXPORTER


@pytest.fixture(scope="module")
def observed(carriers: Carriers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway that executes each operation once (``verify`` would count three)."""
    workdir = tmp_path_factory.mktemp("observed")
    with run_gateway(carriers, workdir, execution="compiled") as running:
        yield running


@pytest.fixture
def graph(observed: Gateway) -> Iterator[GraphClient]:
    with observed.client(observed.key(PartyKind.OPERATOR, "admin").key) as client:
        yield client


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in a Prometheus text exposition."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_operations_and_carrier_calls(
    graph: GraphClient, carriers: Carriers, customer_ids: dict[str, str], truth: Truth
) -> None:
    before = graph.http.get("/metrics").text
    graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[truth.family_customer()]})
    after = graph.http.get("/metrics")

    assert after.status_code == 200
    text = after.text
    queries = sum(
        sample(text, "switchboard_requests_total", operation_type="query", outcome=o)
        - sample(before, "switchboard_requests_total", operation_type="query", outcome=o)
        for o in ("ok", "partial")
    )
    assert queries == 1
    assert "switchboard_request_seconds_bucket" in text
    assert "switchboard_query_cost_bucket" in text
    carrier = next(r.carrier for r in carriers.sandbox.log.records())
    assert sample(text, "switchboard_carrier_calls_total", carrier=carrier, outcome="ok") > 0
    assert sample(text, "switchboard_carrier_call_seconds_count", carrier=carrier) > 0
    assert f'switchboard_breaker_state{{carrier="{carrier}"}} 0.0' in text
    assert sample(text, "switchboard_graphql_errors_total", code="NOT_SUPPORTED_BY_CARRIER") > 0


def test_one_span_per_carrier_call_under_the_request_span(
    graph: GraphClient,
    spans: InMemorySpanExporter,
    carriers: Carriers,
    customer_ids: dict[str, str],
    truth: Truth,
) -> None:
    spans.clear()
    graph.execute(FAMILY_DASHBOARD, {"id": customer_ids[truth.family_customer()]})

    finished = spans.get_finished_spans()
    (request,) = [s for s in finished if s.name == "graphql.request"]
    calls = [s for s in finished if s.name == "carrier.fetch"]
    assert request.attributes["graphql.operation.type"] == "query"
    assert calls
    for span in calls:
        assert span.context.trace_id == request.context.trace_id
        assert span.parent is not None
        assert {
            "switchboard.carrier",
            "switchboard.resource",
            "switchboard.batch_size",
            "switchboard.outcome",
        } <= set(span.attributes)
    # One batch per carrier and question: the loaders' invariant, seen in the spans.
    per_question = Counter(
        (s.attributes["switchboard.carrier"], s.attributes["switchboard.resource"]) for s in calls
    )
    assert set(per_question.values()) == {1}
    asked = {(r.carrier, r.resource) for r in carriers.sandbox.log.records()}
    spanned = {(c, str(q).split("_by_")[0]) for c, q in per_question}
    assert {pair for pair in asked if pair[1] not in {"token", "unknown", "index"}} <= spanned
