"""Request ids, structured logs and the /metrics endpoint, on a small app over a real socket."""

from __future__ import annotations

import io
import json
import logging
import time
from typing import TYPE_CHECKING

import httpx
import pytest
import strawberry
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from gateway.http import GraphQLEndpoint, MaskUnexpectedErrors
from gateway.observability import (
    RequestIds,
    configure_logging,
    configure_tracing,
    logging_config,
    metrics,
    prepare_metrics,
)
from gateway.schema.extensions import Observe
from tests.support.servers import serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hello"

    @strawberry.field
    def boom(self) -> str | None:
        raise RuntimeError("internal detail")


async def context_getter(request, response) -> dict[str, object]:
    if request.headers.get("x-break-context"):
        raise RuntimeError("context failed")
    return {}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    schema = strawberry.Schema(query=Query, extensions=[MaskUnexpectedErrors, Observe])
    app = Starlette(
        routes=[
            Route("/graphql", GraphQLEndpoint(schema, context_getter=context_getter)),
            Route("/metrics", metrics),
        ],
        middleware=[Middleware(RequestIds)],
    )
    with serve_in_thread(app) as url:
        yield url


def test_a_sane_request_id_is_echoed_and_others_are_replaced(base_url: str) -> None:
    body = {"query": "{ hello }"}
    given = httpx.post(f"{base_url}/graphql", json=body, headers={"X-Request-Id": "abc-123"})
    generated = httpx.post(f"{base_url}/graphql", json=body)
    hostile = httpx.post(
        f"{base_url}/graphql", json=body, headers={"X-Request-Id": "a b;c" + "y" * 300}
    )
    assert given.headers["x-request-id"] == "abc-123"
    assert len(generated.headers["x-request-id"]) == 32
    assert len(hostile.headers["x-request-id"]) == 32


def test_internal_errors_carry_the_request_id(base_url: str) -> None:
    field = httpx.post(
        f"{base_url}/graphql", json={"query": "{ hello boom }"}, headers={"X-Request-Id": "r-1"}
    )
    whole = httpx.post(
        f"{base_url}/graphql",
        json={"query": "{ hello }"},
        headers={"X-Request-Id": "r-2", "X-Break-Context": "1"},
    )
    (error,) = field.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "r-1"}
    assert "internal detail" not in field.text
    assert whole.status_code == 500
    assert whole.json()["errors"][0]["extensions"] == {"code": "INTERNAL", "requestId": "r-2"}
    assert whole.headers["x-request-id"] == "r-2"


def test_metrics_are_served_in_the_prometheus_format(base_url: str) -> None:
    response = httpx.get(f"{base_url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE switchboard_requests_total counter" in response.text
    assert "# TYPE switchboard_request_seconds histogram" in response.text


def test_logs_are_one_json_object_per_line_with_the_request_id(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("json")
        import structlog

        structlog.contextvars.bind_contextvars(request_id="rid-9")
        logging.getLogger("switchboard.test").warning("carrier %s slow", "acme")
        structlog.contextvars.unbind_contextvars("request_id")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "carrier acme slow"
    assert record["level"] == "warning"
    assert record["logger"] == "switchboard.test"
    assert record["request_id"] == "rid-9"
    assert "timestamp" in record


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """JSON logging on the root logger for one test, written to a buffer.

    A buffer, not capsys: the server thread logs after the response is sent.
    """
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    buffer = io.StringIO()
    try:
        configure_logging("json")
        (handler,) = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(buffer)
        yield buffer
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = False


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_error_responses_echo_the_request_id_too(base_url: str) -> None:
    not_json = httpx.post(
        f"{base_url}/graphql",
        content=b"{not json",
        headers={"Content-Type": "application/json", "X-Request-Id": "bad-1"},
    )
    missing = httpx.get(f"{base_url}/nowhere", headers={"X-Request-Id": "lost-1"})
    assert not_json.status_code == 400
    assert not_json.headers["x-request-id"] == "bad-1"
    assert missing.status_code == 404
    assert missing.headers["x-request-id"] == "lost-1"


def test_each_request_logs_one_access_line_with_its_request_id(
    base_url: str, json_logs: io.StringIO
) -> None:
    ok = httpx.post(
        f"{base_url}/graphql", json={"query": "{ hello }"}, headers={"X-Request-Id": "acc-1"}
    )
    httpx.get(f"{base_url}/metrics", headers={"X-Request-Id": "acc-2"})  # not logged

    # The line is written once the response has gone out: wait for it (generously).
    deadline = time.monotonic() + 5
    while '"acc-1"' not in json_logs.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    lines = _json_lines(json_logs.getvalue())
    access = [line for line in lines if line.get("logger") == "switchboard.access"]
    assert ok.status_code == 200
    assert [line["request_id"] for line in access] == ["acc-1"]
    (line,) = access
    assert line["method"] == "POST"
    assert line["path"] == "/graphql"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["level"] == "info"


def test_worker_processes_get_the_same_json_logging(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``--workers`` above 1: uvicorn applies logging_config() in each spawned worker."""
    import logging.config

    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    access_level = logging.getLogger("uvicorn.access").level
    try:
        logging.config.dictConfig(logging_config("json"))
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
        logging.getLogger("uvicorn.access").info("uvicorn's own access line")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        logging.getLogger("uvicorn.access").setLevel(access_level)
        logging.getLogger("uvicorn.access").propagate = True
    lines = _json_lines(capsys.readouterr().err)
    assert [(line["logger"], line["event"]) for line in lines] == [
        ("uvicorn.error", "Started server process [42]")
    ]
    assert lines[0]["level"] == "info"
    assert "timestamp" in lines[0]


def test_several_workers_share_metrics_through_a_cleaned_multiprocess_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stale = tmp_path / "counter_1234.db"
    stale.write_bytes(b"old run")
    kept = tmp_path / "notes.txt"
    kept.write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    prepare_metrics(1)
    assert stale.exists()  # one process: its own registry, nothing to share
    prepare_metrics(4)
    assert not stale.exists()
    assert kept.exists()

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    with caplog.at_level(logging.WARNING, logger="switchboard.gateway"):
        prepare_metrics(4)
    assert "PROMETHEUS_MULTIPROC_DIR" in caplog.text


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    # One global provider per process (OpenTelemetry's rule): shared with the e2e tests.
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


def graphql_request_spans(exporter: InMemorySpanExporter) -> list[object]:
    return [s for s in exporter.get_finished_spans() if s.name == "graphql.request"]


def test_one_request_span_per_operation_with_its_request_id(
    base_url: str, spans: InMemorySpanExporter
) -> None:
    spans.clear()
    httpx.post(
        f"{base_url}/graphql",
        json={"query": "query Greeting { hello }", "operationName": "Greeting"},
        headers={"X-Request-Id": "span-1"},
    )
    httpx.post(
        f"{base_url}/graphql", json={"query": "{ hello boom }"}, headers={"X-Request-Id": "span-2"}
    )
    httpx.get(f"{base_url}/metrics")  # no operation, no span

    found = sorted(
        (dict(s.attributes) for s in graphql_request_spans(spans)),
        key=lambda a: str(a["switchboard.request_id"]),
    )
    assert found == [
        {
            "graphql.operation.type": "query",
            "graphql.operation.name": "Greeting",
            "switchboard.outcome": "ok",
            "switchboard.request_id": "span-1",
        },
        {
            "graphql.operation.type": "query",
            "graphql.operation.name": "",
            "switchboard.outcome": "partial",
            "switchboard.request_id": "span-2",
        },
    ]


def test_tracing_stays_off_unless_an_exporter_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    before = trace.get_tracer_provider()
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert configure_tracing() is False
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert configure_tracing() is False
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin-of-the-future")
    assert configure_tracing() is False
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert configure_tracing() is False
    assert trace.get_tracer_provider() is before
