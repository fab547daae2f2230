"""Child processes of a benchmark: the sandbox carriers and a served gateway.

Each runs in its own process so that its CPU is not counted as the measuring
process's; :func:`cpu_seconds` reads a child's CPU time from ``/proc`` (Linux).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = ["Child", "cpu_seconds", "gateway_process", "sandbox_process", "stop", "wait_until_up"]

ROOT = Path(__file__).resolve().parent.parent
_HOST = "127.0.0.1"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Child:
    """A running child process and the base URL it serves."""

    process: subprocess.Popen[bytes]
    url: str

    def cpu_seconds(self) -> float:
        """User + system CPU time the child has used so far."""
        return cpu_seconds(self.process.pid)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from ``/proc/<pid>/stat``."""
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime


def wait_until_up(
    process: subprocess.Popen[bytes], url: str, timeout: float, every: float = 0.05
) -> None:
    """Poll ``url`` until it answers 200; raise if ``process`` exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(every)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def _child(
    argv: list[str], url: str, probe: str, env: Mapping[str, str] | None = None
) -> Iterator[Child]:
    process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})})  # noqa: S603
    try:
        wait_until_up(process, url + probe, timeout=60.0)
        yield Child(process, url)
    finally:
        stop(process, grace=10)


def stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, then SIGKILL if it is still running after ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def sandbox_process(
    port: int, *, seed: int, customers: int, latency_ms: float
) -> contextlib.AbstractContextManager[Child]:
    """``python -m connectors.sandbox`` on ``port``, every carrier answering after a delay."""
    argv = [
        sys.executable,
        "-m",
        "connectors.sandbox",
        "--port",
        str(port),
        "--seed",
        str(seed),
        "--customers",
        str(customers),
        "--latency-ms",
        str(latency_ms),
    ]
    return _child(argv, f"http://{_HOST}:{port}", "/_sandbox/faults/bluepeak-telecom")


def gateway_process(port: int, env: Mapping[str, str]) -> contextlib.AbstractContextManager[Child]:
    """The gateway served by uvicorn (``gateway.asgi:app``), configured by ``env``."""
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "gateway.asgi:app",
        "--host",
        _HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return _child(argv, f"http://{_HOST}:{port}", "/readyz", env)
