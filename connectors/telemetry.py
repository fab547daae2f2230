"""What an operator watches carriers with: Prometheus metrics and OpenTelemetry spans.

Metrics live in prometheus-client's default registry (the gateway serves it at
``/metrics``); spans go through the OpenTelemetry API, which is a no-op until the
gateway installs an SDK tracer provider (``OTEL_*`` settings), so tracing costs nothing
when it is off (:func:`tracing` lets hot paths skip even the no-op spans). Labels are
bounded: carrier ids come from carrier files, resources and outcomes from fixed lists.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "BREAKER_STATE",
    "CACHE_REQUESTS",
    "CARRIER_CALLS",
    "CARRIER_CALL_SECONDS",
    "CARRIER_RATE_LIMITED",
    "CARRIER_RETRIES",
    "labelled",
    "tracer",
    "tracing",
]

CARRIER_CALLS = Counter(
    "switchboard_carrier_calls",
    "Batch calls to carriers, by carrier, resource and outcome (ok or the error code).",
    ["carrier", "resource", "outcome"],
)
CARRIER_CALL_SECONDS = Histogram(
    "switchboard_carrier_call_seconds",
    "Duration of batch calls to carriers (paging and detail requests included).",
    ["carrier", "resource"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CARRIER_RETRIES = Counter(
    "switchboard_carrier_retries", "HTTP requests to carriers sent again.", ["carrier"]
)
CARRIER_RATE_LIMITED = Counter(
    "switchboard_carrier_rate_limited",
    "Carrier answers of HTTP 429 (each attempt).",
    ["carrier"],
)
BREAKER_STATE = Gauge(
    "switchboard_breaker_state",
    "Circuit breaker per carrier: 0 closed, 1 half-open, 2 open.",
    ["carrier"],
)
CACHE_REQUESTS = Counter(
    "switchboard_cache_requests",
    "Record cache look-ups by outcome (hit, miss, error: Redis unreachable or a bad entry).",
    ["carrier", "resource", "outcome"],
)

_CHILDREN: dict[tuple[object, tuple[str, ...]], Any] = {}


def labelled(metric: Counter | Gauge | Histogram, *values: str) -> Any:  # noqa: ANN401
    """``metric.labels(*values)``, looked up once per label set.

    prometheus-client checks and locks on every ``labels()`` call (~3 µs), and the hot
    paths sample several metrics per carrier call. Label sets are bounded (see above).
    """
    key = (metric, values)
    child = _CHILDREN.get(key)
    if child is None:
        child = _CHILDREN[key] = metric.labels(*values)
    return child


tracer = trace.get_tracer("switchboard.carriers")
"""Spans of carrier calls (``carrier.fetch``)."""


def tracing() -> bool:
    """Whether a tracer provider is installed (spans cost ~5 µs each even as no-ops)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
