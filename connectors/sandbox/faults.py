"""Fault knobs and the request log of the sandbox carriers.

Tests, the demo and the benchmarks turn these knobs per carrier (added latency,
error rate, hanging past a timeout, garbage payloads) and read the log to assert how
many requests the gateway made and whether calls to different carriers overlapped.
The sandbox may run in another thread than the test, so both are guarded by a lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Literal

__all__ = ["Faults", "GarbageMode", "RequestLog", "RequestRecord"]

GarbageMode = Literal[
    "none", "not_json", "wrong_shape", "bad_record", "bad_value", "unreadable_record"
]
"""``bad_value``: one value of the first record is absurd or unreadable (the record must
still arrive with that field null); ``unreadable_record``: one record among good ones has
an identity (id or account link) that cannot be read (only it is left out)."""


@dataclass(frozen=True, slots=True)
class Faults:
    """How one sandbox carrier misbehaves.

    Attributes:
        latency_ms: added before every answer.
        error_rate: share of requests answered with ``error_status`` (0.0 - 1.0).
        error_status: the HTTP status of injected errors.
        hang_seconds: when > 0, every request sleeps this long before answering
            (set it past the carrier's read timeout to simulate a hung back office).
        garbage: answer with a body that breaks the wire contract.
        token_ttl_seconds: lifetime of the OAuth2 tokens the carrier issues.
        retry_after: a ``Retry-After`` value sent with injected errors (e.g. with 429).
        fail_first: the first N requests after the knobs are set fail with
            ``error_status`` (then the carrier is healthy): for retries and breakers.
        reset_connection: start every answer, then drop the connection mid-body.
    """

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    hang_seconds: float = 0.0
    garbage: GarbageMode = "none"
    token_ttl_seconds: int = 3600
    retry_after: str | None = None
    fail_first: int = 0
    reset_connection: bool = False

    def with_(self, **changes: object) -> Faults:
        """A copy with some knobs changed."""
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request a sandbox carrier served, with its monotonic start and end."""

    carrier: str
    resource: str
    path: str
    query: str
    started: float
    ended: float


@dataclass
class RequestLog:
    """Thread-safe record of every request the sandbox carriers served."""

    _records: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def records(self) -> list[RequestRecord]:
        """A copy of everything recorded so far."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def counts(self) -> dict[tuple[str, str], int]:
        """Requests per (carrier, resource)."""
        result: dict[tuple[str, str], int] = {}
        for r in self.records():
            result[(r.carrier, r.resource)] = result.get((r.carrier, r.resource), 0) + 1
        return result

    @staticmethod
    def now() -> float:
        return time.monotonic()
