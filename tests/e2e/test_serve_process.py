"""``switchboard serve`` as a process: graceful SIGTERM, production without the demo catalog.

Each test starts its own gateway process on a free port (and stops only that one).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from connectors.models import PartyKind
from connectors.sandbox.faults import Faults
from connectors.sandbox.server import free_port
from tests.e2e.conftest import CUSTOMERS, SEED
from tests.e2e.queries import CUSTOMER_DASHBOARD

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from tests.e2e.conftest import Carriers, Gateway

pytestmark = pytest.mark.e2e

SWITCHBOARD = str(Path(sys.executable).parent / "switchboard")
GRACE_SECONDS = 2


def start(env: Mapping[str, str], *args: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [SWITCHBOARD, "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "exited")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the gateway did not become ready")


@pytest.fixture
def stopped() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def test_sigterm_drains_within_the_grace_period_and_exits_0(
    carriers: Carriers,
    gateway: Gateway,
    customer_ids: dict[str, str],
    dashboard_customer: tuple[str, str],
    tmp_path: Path,
    stopped: list[subprocess.Popen[bytes]],
) -> None:
    env = {
        "SWITCHBOARD_DEMO": "true",
        "SWITCHBOARD_SANDBOX_URL": carriers.url,
        "SWITCHBOARD_SANDBOX_SEED": str(SEED),
        "SWITCHBOARD_SANDBOX_CUSTOMERS": str(CUSTOMERS),
        "SWITCHBOARD_DIRECTORY_URL": f"sqlite+aiosqlite:///{tmp_path}/directory.db",
        "SWITCHBOARD_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
        "SWITCHBOARD_OPERATION_DEADLINE_SECONDS": "60",
        "SWITCHBOARD_CACHE_TTL_SECONDS": "0",
    }
    process, url = start(env)
    stopped.append(process)
    customer, carrier = dashboard_customer
    carriers.sandbox.set_faults(carrier, Faults(hang_seconds=30))
    key = gateway.key(PartyKind.OPERATOR).key  # the demo keys are the same in every demo
    outcome: dict[str, object] = {}

    def in_flight() -> None:
        try:
            outcome["status"] = httpx.post(
                f"{url}/graphql",
                json={"query": CUSTOMER_DASHBOARD, "variables": {"id": customer_ids[customer]}},
                headers={"Authorization": f"Bearer {key}"},
                timeout=40,
            ).status_code
        except httpx.TransportError as exc:
            outcome["error"] = type(exc).__name__

    request = threading.Thread(target=in_flight)
    request.start()
    for _ in range(100):  # the request reached the hung carrier
        if any(r.carrier == carrier for r in carriers.sandbox.log.records()) or (
            carriers.sandbox.log.records()
        ):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=GRACE_SECONDS + 15)
    took = time.monotonic() - signalled
    request.join(timeout=10)

    assert code == 0
    assert took < GRACE_SECONDS + 10  # bounded by the grace period, not the 30 s hang
    assert outcome  # the in-flight request ended one way or the other
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert "Traceback" not in stderr, stderr


def test_without_demo_only_the_operators_carrier_files_load(
    tmp_path: Path, stopped: list[subprocess.Popen[bytes]]
) -> None:
    own = tmp_path / "carriers"
    own.mkdir()
    shipped = Path("connectors/carriers/northwind-fiber.yaml").read_text()
    (own / "acme-fiber.yaml").write_text(
        shipped.replace("id: northwind-fiber", "id: acme-fiber").replace(
            "${SWITCHBOARD_SANDBOX_URL:-http://127.0.0.1:8700}", "http://127.0.0.1:9"
        )
    )
    env = {
        "SWITCHBOARD_DIRECTORY_URL": f"sqlite+aiosqlite:///{tmp_path}/directory.db",
        "SWITCHBOARD_CARRIERS_DIRS": f'["{own}"]',
    }
    process, url = start(env)
    stopped.append(process)
    ready = httpx.get(f"{url}/readyz").json()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    assert ready["carriers"] == 1
    assert set(ready["breakers"]) == {"acme-fiber"}


def test_an_unreachable_directory_is_waited_for_then_refused_in_one_line(
    tmp_path: Path,
) -> None:
    env = {
        "SWITCHBOARD_DIRECTORY_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/x",
        "SWITCHBOARD_DIRECTORY_WAIT_SECONDS": "1.5",
    }
    result = subprocess.run(  # noqa: S603
        [SWITCHBOARD, "serve", "--port", str(free_port())],
        env={**os.environ, **env},
        capture_output=True,
        timeout=60,
        check=False,
    )
    stderr = result.stderr.decode()
    assert result.returncode == 3
    assert "Traceback" not in stderr, stderr
    assert "cannot start: directory database unreachable" in stderr
    assert "retrying in" in stderr  # one line per failed try
