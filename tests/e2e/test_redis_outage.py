"""A Redis outage costs hit rate, never answers.

The test starts its own ``redis-server`` on a free port (the shared one on 6379 is never
touched), serves the gateway with its cache there, kills Redis mid-test and checks
every dashboard still arrives complete from the carriers with no ``INTERNAL`` error and
``/readyz`` degraded; then starts Redis again on the same port and checks the cache is
used again (carriers not asked) and ``/readyz`` is ready. It also plants a pickle in a
cache key: it is read as a miss and never run.
"""

from __future__ import annotations

import pickle
import shutil
import subprocess
import time
from typing import TYPE_CHECKING, Any

import pytest
import redis

from connectors.models import PartyKind
from connectors.sandbox.server import free_port
from tests.e2e.conftest import run_gateway
from tests.e2e.expected import dashboard_rows
from tests.e2e.queries import CUSTOMER_DASHBOARD

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.e2e.conftest import Carriers, Gateway
    from tests.e2e.expected import Truth

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not on PATH"),
]


class OwnRedis:
    """A redis-server of this test's own, on a port of its own."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
            except redis.ConnectionError:
                time.sleep(0.05)
            else:
                return
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


class Trap:
    """Unpickled, it creates a file: the proof that a planted pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="module")
def cached_gateway(
    carriers: Carriers, own_redis: OwnRedis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    workdir: Path = tmp_path_factory.mktemp("redis-outage")
    with run_gateway(
        carriers,
        workdir,
        redis_url=f"redis://127.0.0.1:{own_redis.port}/0",
        cache_ttl_seconds=300,
    ) as gateway:
        shared = gateway.runtime.redis
        assert shared is not None
        shared.max_backoff_seconds = 0.2  # come back quickly once Redis is up again
        yield gateway


def ask(gateway: Gateway, customer: str) -> dict[str, Any]:
    with gateway.client(gateway.key(PartyKind.OPERATOR).key) as client:
        return client.execute(CUSTOMER_DASHBOARD, {"id": customer})


def asked_carriers(carriers: Carriers) -> int:
    return len(carriers.sandbox.log.records())


def test_a_redis_outage_costs_hit_rate_never_answers(
    cached_gateway: Gateway,
    own_redis: OwnRedis,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
) -> None:
    customer = dashboard_customer[0]
    customer_id = customer_ids[customer]
    expected = truth.rows(customer)
    with cached_gateway.client(None) as anonymous:
        probe = anonymous.http

        first = ask(cached_gateway, customer_id)
        assert dashboard_rows(first["data"]["customer"]) == expected
        carriers.sandbox.log.clear()
        cached = ask(cached_gateway, customer_id)
        assert dashboard_rows(cached["data"]["customer"]) == expected
        assert asked_carriers(carriers) == 0  # all from the cache
        assert probe.get("/readyz").json()["status"] == "ready"

        own_redis.kill()
        for _ in range(3):
            carriers.sandbox.log.clear()
            body = ask(cached_gateway, customer_id)
            assert dashboard_rows(body["data"]["customer"]) == expected
            codes = {e["extensions"]["code"] for e in body.get("errors", ())}
            assert "INTERNAL" not in codes
            assert asked_carriers(carriers) > 0  # answered by the carriers themselves
        ready = probe.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["redis"]["healthy"] is False
        assert "redis" in ready.json()["reasons"][0]

        own_redis.start()
        time.sleep(0.3)  # past the back-off
        ask(cached_gateway, customer_id)  # refills the (empty) cache
        carriers.sandbox.log.clear()
        again = ask(cached_gateway, customer_id)
        assert dashboard_rows(again["data"]["customer"]) == expected
        assert asked_carriers(carriers) == 0
        assert probe.get("/readyz").json()["status"] == "ready"


def test_a_pickle_in_the_cache_is_a_miss_never_code(
    cached_gateway: Gateway,
    own_redis: OwnRedis,
    carriers: Carriers,
    truth: Truth,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
    tmp_path: Path,
) -> None:
    customer = dashboard_customer[0]
    customer_id = customer_ids[customer]
    client = redis.Redis(host="127.0.0.1", port=own_redis.port)
    ask(cached_gateway, customer_id)
    keys = list(client.scan_iter("sb:cache:*"))
    assert keys
    marker = tmp_path / "pickle-ran"
    for key in keys:
        client.set(key, pickle.dumps(Trap(marker)))
    carriers.sandbox.log.clear()
    body = ask(cached_gateway, customer_id)
    assert dashboard_rows(body["data"]["customer"]) == truth.rows(customer)
    assert asked_carriers(carriers) > 0  # every planted entry was a miss
    assert not marker.exists()  # and none was unpickled
    assert "INTERNAL" not in {e["extensions"]["code"] for e in body.get("errors", ())}
