"""Request ids, structured logs and the /metrics endpoint, on a small app over a real socket."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import httpx
import pytest
import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from gateway.http import GraphQLEndpoint, MaskUnexpectedErrors
from gateway.observability import RequestIds, configure_logging, metrics
from tests.support.servers import serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Iterator


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
    schema = strawberry.Schema(query=Query, extensions=[MaskUnexpectedErrors])
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
