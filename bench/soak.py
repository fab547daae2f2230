"""The soak benchmark: minutes of mixed dashboards while a fifth of the carriers misbehave.

Run it with ``python -m bench.soak`` (``--seconds 300`` by default; ``--help`` lists the
knobs). It starts the sandbox carriers and a served gateway (``uvicorn gateway.asgi:app``)
as separate processes, turns a share of the carriers faulty (hung past every timeout,
answering 5xx, sending garbage (not JSON, a record with unmapped codes and a missing
field) or dropping connections mid-answer), then drives dashboards of random customers
over HTTP with a few demo keys at a fixed concurrency until the time is up. Not part of
the test suite.

It reports what the issue's acceptance asks of a gateway on a bad day:

* gateway HTTP 5xx answers (must be 0) and the error codes seen in answers;
* latency against the operation deadline (every answer within deadline + 10 %);
* the gateway's RSS sampled every few seconds (flat after warm-up), and its CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bench.dashboard import CUSTOMERS_QUERY, dashboard_query
from bench.processes import Child, gateway_process, sandbox_process
from connectors.registry import CARRIERS_DIR, load_specs
from connectors.sandbox.server import free_port
from gateway.app import default_directory

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["FAULTS", "main"]

# One entry per kind of bad day, dealt round-robin to the faulty carriers.
FAULTS: tuple[tuple[str, dict[str, object]], ...] = (
    ("hung", {"hang_seconds": 120.0}),
    ("5xx", {"error_rate": 1.0, "error_status": 503}),
    ("not_json", {"garbage": "not_json"}),
    ("bad_record", {"garbage": "bad_record"}),
    ("reset", {"reset_connection": True}),
)
_KEY_KINDS = (("operator", "admin"), ("master_agent", "admin"), ("agent", "admin"))


@dataclass
class Tally:
    """What the load saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    codes: collections.Counter[str] = field(default_factory=collections.Counter)
    transport_errors: int = 0
    rss_mb: list[tuple[float, float]] = field(default_factory=list)


def rss_mb(pid: int) -> float:
    """Resident set size of a process, in MiB (``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def set_faults(
    client: httpx.AsyncClient, sandbox: Child, share: float, seed: int
) -> dict[str, str]:
    """Make ``share`` of the carriers faulty (chosen by ``seed``); carrier id -> fault."""
    specs = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": sandbox.url})
    carriers = sorted(specs)
    chosen = random.Random(seed).sample(carriers, max(1, round(len(carriers) * share)))
    dealt: dict[str, str] = {}
    for index, carrier in enumerate(sorted(chosen)):
        name, knobs = FAULTS[index % len(FAULTS)]
        response = await client.put(f"{sandbox.url}/_sandbox/faults/{carrier}", json=knobs)
        response.raise_for_status()
        dealt[carrier] = name
    return dealt


async def demo_keys(env: dict[str, str]) -> dict[tuple[str, str], str]:
    """The demo keys of the gateway's directory (``switchboard demo keys --json``)."""
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "switchboard"),
        "demo",
        "keys",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
    )
    out, _ = await process.communicate()
    return {(k["kind"], k["role"]): k["key"] for k in json.loads(out)}


async def visible_customers(client: httpx.AsyncClient, key: str) -> list[str]:
    """Customer ids a key sees (the dashboards it will ask for)."""
    response = await client.post(
        "/graphql",
        json={"query": CUSTOMERS_QUERY, "variables": {"first": 500}},
        headers={"Authorization": f"Bearer {key}"},
    )
    response.raise_for_status()
    return [n["id"] for n in response.json()["data"]["customers"]["nodes"]]


async def drive(
    client: httpx.AsyncClient,
    pool: Sequence[tuple[str, list[str]]],
    tally: Tally,
    *,
    seconds: float,
    concurrency: int,
    seed: int,
) -> None:
    """Dashboards of 1-3 random customers with random keys until ``seconds`` pass."""
    rng = random.Random(seed)
    stop = time.monotonic() + seconds

    async def worker() -> None:
        while time.monotonic() < stop:
            key, customers = rng.choice(pool)
            count = min(len(customers), rng.choice((1, 1, 2, 3)))
            chosen = rng.sample(customers, count)
            body = {
                "query": dashboard_query(count),
                "variables": {f"c{i}": c for i, c in enumerate(chosen)},
            }
            started = time.perf_counter()
            try:
                response = await client.post(
                    "/graphql", json=body, headers={"Authorization": f"Bearer {key}"}
                )
            except httpx.TransportError:
                tally.transport_errors += 1
                continue
            tally.latencies.append(time.perf_counter() - started)
            tally.statuses[response.status_code] += 1
            try:
                errors = response.json().get("errors") or ()
            except ValueError:
                errors = ({"extensions": {"code": "NOT_JSON_ANSWER"}},)
            for error in errors:
                tally.codes[str((error.get("extensions") or {}).get("code"))] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def sample_rss(
    pid: int, tally: Tally, started: float, every: float, stop: asyncio.Event
) -> None:
    """RSS every ``every`` seconds until ``stop`` is set."""
    while not stop.is_set():
        tally.rss_mb.append((time.monotonic() - started, rss_mb(pid)))
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except TimeoutError:
            continue


def report(tally: Tally, opts: argparse.Namespace, dealt: dict[str, str], cpu: float) -> str:
    """BENCHMARKS.md's soak section."""
    ms = sorted(t * 1000 for t in tally.latencies)
    done = len(ms)
    bound_ms = opts.deadline * 1100
    over = sum(1 for t in ms if t > bound_ms)
    five_xx = sum(n for status, n in tally.statuses.items() if status >= 500)
    warm = [mb for at, mb in tally.rss_mb if at >= opts.warmup]
    quantiles = statistics.quantiles(ms, n=100, method="inclusive") if done > 1 else ms * 99
    faulty = ", ".join(f"{c}: {f}" for c, f in sorted(dealt.items()))
    statuses = ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items()))
    codes = ", ".join(f"{c}: {n}" for c, n in tally.codes.most_common())
    rss = f"{warm[0]:.0f} / {warm[-1]:.0f} / {max(warm):.0f}" if warm else "no sample after warm-up"
    p50, p99 = quantiles[49], quantiles[98]
    lines = [
        f"Soak: {opts.seconds:.0f} s, {opts.concurrency} clients, carriers at "
        f"{opts.latency_ms:.0f} ms, {len(dealt)} of 30 carriers faulty ({faulty}), "
        f"deadline {opts.deadline:.1f} s.",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| answers | {done} ({done / opts.seconds:.1f}/s) |",
        f"| gateway HTTP 5xx | {five_xx} |",
        f"| HTTP statuses | {statuses} |",
        f"| transport errors (no answer) | {tally.transport_errors} |",
        f"| p50 / p99 / max latency ms | {p50:.0f} / {p99:.0f} / {ms[-1]:.0f} |",
        f"| answers over deadline + 10 % ({bound_ms:.0f} ms) | {over} |",
        f"| gateway CPU ms per answer | {cpu * 1000 / max(done, 1):.1f} |",
        f"| RSS MiB after warm-up ({opts.warmup:.0f} s): first / last / max | {rss} |",
        f"| error codes in answers | {codes} |",
    ]
    return "\n".join(lines)


async def run(opts: argparse.Namespace) -> str:
    """Start both processes, break the carriers, drive the load, report."""
    with (
        tempfile.TemporaryDirectory(prefix="switchboard-soak-") as tmp,
        sandbox_process(
            free_port(), seed=opts.seed, customers=opts.customers, latency_ms=opts.latency_ms
        ) as sandbox,
    ):
        env = {
            "SWITCHBOARD_DEMO": "true",
            "SWITCHBOARD_SANDBOX_URL": sandbox.url,
            "SWITCHBOARD_DIRECTORY_URL": default_directory(Path(tmp) / "directory.db"),
            "SWITCHBOARD_SANDBOX_SEED": str(opts.seed),
            "SWITCHBOARD_SANDBOX_CUSTOMERS": str(opts.customers),
            "SWITCHBOARD_GRAPHIQL": "false",
            "SWITCHBOARD_OPERATION_DEADLINE_SECONDS": str(opts.deadline),
        }
        env.update(dict(item.split("=", 1) for item in opts.env))
        with gateway_process(free_port(), env) as gateway:
            limits = httpx.Limits(max_connections=opts.concurrency)
            async with (
                httpx.AsyncClient(timeout=30.0) as admin,
                httpx.AsyncClient(base_url=gateway.url, limits=limits, timeout=60.0) as client,
            ):
                keys = await demo_keys(env)
                pool = [
                    (keys[kind], await visible_customers(client, keys[kind]))
                    for kind in _KEY_KINDS
                    if kind in keys
                ]
                pool = [(key, customers) for key, customers in pool if customers]
                dealt = await set_faults(admin, sandbox, opts.faulty_share, opts.seed)
                tally = Tally()
                stop = asyncio.Event()
                started = time.monotonic()
                sampler = asyncio.create_task(
                    sample_rss(gateway.process.pid, tally, started, opts.rss_every, stop)
                )
                cpu = gateway.cpu_seconds()
                await drive(
                    client,
                    pool,
                    tally,
                    seconds=opts.seconds,
                    concurrency=opts.concurrency,
                    seed=opts.seed,
                )
                cpu = gateway.cpu_seconds() - cpu
                stop.set()
                await sampler
    return report(tally, opts, dealt, cpu)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, run the soak, print the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    add = parser.add_argument
    add("--seconds", type=float, default=300.0, help="how long to drive the load (300)")
    add("--warmup", type=float, default=60.0, help="RSS is judged after this many seconds (60)")
    add("--concurrency", type=int, default=16, help="clients in flight (16)")
    add("--latency-ms", type=float, default=50.0, help="latency of every carrier (50)")
    add("--faulty-share", type=float, default=0.2, help="share of carriers made faulty (0.2)")
    add("--deadline", type=float, default=5.0, help="the gateway's operation deadline, s (5)")
    add("--rss-every", type=float, default=5.0, help="RSS sampling interval, s (5)")
    add("--seed", type=int, default=7, help="data set and fault choice seed (7)")
    add("--customers", type=int, default=60, help="customers in the data set (60)")
    add("--env", action="append", default=[], help="extra KEY=VALUE for the gateway")
    opts = parser.parse_args(argv)
    print(asyncio.run(run(opts)))


if __name__ == "__main__":
    main()
