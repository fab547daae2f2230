"""What an operator watches the gateway with: request ids, JSON logs, metrics and traces.

* **Request ids**: every HTTP request gets one (the client's ``X-Request-Id`` when it is
  sane, else a new one); it is echoed in the response's ``X-Request-Id``, bound to every
  log line of the request and put in ``INTERNAL`` errors' ``extensions.requestId``.
* **Logs**: structlog renders one JSON object per line (``SWITCHBOARD_LOG_FORMAT=console``
  for people), stdlib loggers included; one access line per request.
* **Metrics**: prometheus-client's default registry at ``/metrics``: per operation here,
  per carrier in :mod:`connectors.telemetry`. With several worker processes set
  ``PROMETHEUS_MULTIPROC_DIR`` and each scrape aggregates every process.
* **Traces**: off unless ``OTEL_TRACES_EXPORTER`` names an exporter (``console``, or
  ``otlp`` with ``opentelemetry-exporter-otlp`` installed); the standard ``OTEL_*``
  variables configure it. A ``graphql.request`` span wraps each operation, and each
  carrier call is a ``carrier.fetch`` span beneath it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import re
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from opentelemetry import trace
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.responses import Response

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "GRAPHQL_ERRORS",
    "PERSISTED_QUERIES",
    "QUERY_COST",
    "REQUESTS",
    "REQUEST_ID",
    "REQUEST_SECONDS",
    "RequestIds",
    "configure_logging",
    "configure_tracing",
    "logging_config",
    "metrics",
    "prepare_metrics",
    "structured_formatter",
    "tracer",
]

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "switchboard_request_id", default=None
)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

REQUESTS = Counter(
    "switchboard_requests",
    "GraphQL operations by type and outcome (ok, partial: answered with field errors, "
    "rejected: refused before execution).",
    ["operation_type", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "switchboard_request_seconds",
    "Duration of GraphQL operations.",
    ["operation_type"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
GRAPHQL_ERRORS = Counter(
    "switchboard_graphql_errors", "Errors in GraphQL answers by extensions.code.", ["code"]
)
PERSISTED_QUERIES = Counter(
    "switchboard_persisted_queries",
    "Requests naming a persisted document, by outcome (hit, miss, registered, refused).",
    ["outcome"],
)
QUERY_COST = Histogram(
    "switchboard_query_cost",
    "Static cost of the operations asked for.",
    buckets=(10, 100, 1_000, 10_000, 100_000, 1_000_000),
)
_ACCESS = logging.getLogger("switchboard.access")
_LOG = logging.getLogger("switchboard.gateway")
_SHUTTING_DOWN_START: Message = {
    "type": "http.response.start",
    "status": 503,
    "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1")],
}
_SHUTTING_DOWN_BODY: Message = {
    "type": "http.response.body",
    "body": b'{"errors":[{"message":"the gateway is shutting down","extensions":'
    b'{"code":"INTERNAL"}}]}',
}

tracer = trace.get_tracer("switchboard.gateway")
"""Spans of GraphQL operations (``graphql.request``)."""


class RequestIds:
    """ASGI middleware: a request id per HTTP request, echoed, logged and bound to its logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        request_id = given if given is not None and _SANE_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        # When the request arrived, on the loop's clock: its deadline runs from here.
        scope.setdefault("state", {})["arrived"] = asyncio.get_running_loop().time()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except asyncio.CancelledError:
            # Only the server cancels a request: at shutdown, past the grace period. It is
            # answered (if nothing was sent yet) and logged as one line, not a traceback.
            _LOG.warning("request cut short by shutdown", extra={"path": scope.get("path")})
            if status == 500:
                with contextlib.suppress(Exception):
                    await send_with_id(_SHUTTING_DOWN_START)
                    await send_with_id(_SHUTTING_DOWN_BODY)
        finally:
            if scope.get("path") not in {"/healthz", "/readyz", "/metrics"}:
                _ACCESS.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            structlog.contextvars.unbind_contextvars("request_id")
            REQUEST_ID.reset(token)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def metrics(_: Request) -> Response:
    """``/metrics``: the Prometheus text format (every worker's, in multiprocess mode)."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def structured_formatter(fmt: str = "json") -> logging.Formatter:
    """Configure structlog and return the stdlib formatter rendering every record through it.

    A ``logging.config.dictConfig`` factory too: uvicorn's worker processes (``--workers``
    above 1) build their logging from :func:`logging_config`, which names this.
    """
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer() if fmt == "console" else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


_PER_CALL_LOGGERS = ("httpx", "httpcore")
"""Loggers with a line per carrier call at INFO: dozens per dashboard, and the carrier
metrics and spans already say it; their warnings still pass."""


def configure_logging(fmt: str = "json", level: int = logging.INFO) -> None:
    """Route stdlib and structlog records through one renderer: JSON lines or console."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structured_formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our access line replaces it
    for name in _PER_CALL_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def logging_config(fmt: str = "json", level: str = "INFO") -> dict[str, object]:
    """:func:`configure_logging` as a ``dictConfig``, for uvicorn to apply in each worker.

    Worker processes are spawned afresh: the parent's handlers do not reach them.
    """
    quiet = {"handlers": [], "propagate": True, "level": level}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": f"{__name__}.structured_formatter", "fmt": fmt}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": quiet,
            "uvicorn.error": quiet,
            # Our access line (RequestIds) replaces uvicorn's.
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "CRITICAL"},
            **{
                name: {"handlers": [], "propagate": True, "level": "WARNING"}
                for name in _PER_CALL_LOGGERS
            },
        },
    }


def prepare_metrics(workers: int) -> None:
    """Before worker processes start: make ``/metrics`` honest about which process it shows.

    With several workers each keeps its own registry, so a scrape would show whichever
    worker answered. prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``)
    sums them; its files must not outlive the run, so stale ones are removed here.
    """
    if workers <= 1:
        return
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        _LOG.warning(
            "%d workers without PROMETHEUS_MULTIPROC_DIR: /metrics shows one worker per scrape",
            workers,
        )
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def configure_tracing() -> bool:
    """Install an SDK tracer provider when ``OTEL_TRACES_EXPORTER`` asks for one.

    Returns whether tracing is on. Off by default: the API's no-op tracer costs nothing.
    """
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if exporter_name in {"", "none"} or os.environ.get("OTEL_SDK_DISABLED") == "true":
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    exporter: SpanExporter
    if exporter_name == "console":
        exporter = ConsoleSpanExporter()
    elif exporter_name == "otlp":
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[import-not-found]
                OTLPSpanExporter,
            )
        except ImportError:
            logging.getLogger(__name__).warning(
                "OTEL_TRACES_EXPORTER=otlp needs opentelemetry-exporter-otlp-proto-http; "
                "tracing stays off"
            )
            return False
        exporter = OTLPSpanExporter()
    else:
        logging.getLogger(__name__).warning(
            "OTEL_TRACES_EXPORTER=%s is not supported (console, otlp); tracing stays off",
            exporter_name,
        )
        return False
    service = os.environ.get("OTEL_SERVICE_NAME", "switchboard")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return True
