"""Switchboard beside Hive Gateway + GraphQL Mesh (Node) over the same TMF carriers.

Run it with ``python -m bench.peers.run`` (``--help`` lists the knobs; not part of
``make test``). One command does everything:

1. ``npm ci`` in ``bench/peers`` when ``node_modules`` is missing (exact versions from the
   committed ``package-lock.json``);
2. starts the eight sandbox TMF carriers (``python -m bench.peers.sandbox``) in their own
   process on the load core;
3. writes one trimmed TMF OpenAPI document per carrier (:mod:`bench.peers.openapi`) and
   composes them into a supergraph with ``mesh-compose`` (one prefixed source each);
4. seeds a Switchboard SQLite directory: customer ``cust-w1`` linked to one account at
   each carrier (:mod:`bench.peers.world`) and an operator key;
5. for each gateway in turn (never both at once), starts it pinned to the gateway core
   with ``taskset`` (``switchboard serve --workers 1`` with the record cache off;
   ``hive-gateway supergraph --fork 1``, one Node process), checks its W1 answer (no
   errors; its size, leaves and upstream GETs from the sandbox log), then for each carrier
   latency (the sandbox's ``latency_ms`` knob) and each client count drives it for
   ``--duration`` seconds after ``--warmup`` seconds with an httpx async load generator in
   this process, pinned to the load core with the sandbox, so the load generator's CPU is
   not the gateway's.

Measured per cell: requests/s, p50/p99 latency, the gateway's CPU ms per request (utime +
stime of its process tree from ``/proc``), its RSS at the end of the cell (tree), upstream
GETs per request (sandbox log) and how busy the load core was (sandbox + load generator;
near 100 % means the numbers are the load core's, not the gateway's). It prints one
Markdown table with both gateways and a table of ratios (Switchboard / Hive).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from auth.directory import Directory
from bench.peers.openapi import specs_dir, trimmed_document
from bench.peers.queries import SWITCHBOARD_QUERY, mesh_prefix, mesh_query
from bench.peers.world import (
    CARRIERS_DIR,
    CUSTOMER_ID,
    SANDBOX_URL_VAR,
    World,
    load_world,
    seed_directory,
)
from bench.processes import cpu_seconds, stop, wait_until_up
from connectors.sandbox.server import free_port
from connectors.spec import ApiKeyAuth, BasicAuth, NoAuth
from gateway.schema.nodes import encode_id

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence

__all__ = ["main"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
_HOST = "127.0.0.1"
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
SWITCHBOARD = "Switchboard"
HIVE = "Hive Gateway + Mesh"


# --- processes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Server:
    """A running child process and the base URL it serves."""

    process: subprocess.Popen[bytes]
    url: str

    def tree(self) -> list[int]:
        """The process and its descendants (e.g. a gateway's workers)."""
        return _tree(self.process.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the process tree so far.

        Children that exited are counted in their parent's counters only once waited
        for: these servers keep theirs.
        """
        total = 0.0
        for pid in self.tree():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                total += cpu_seconds(pid)
        return total

    def rss_bytes(self) -> int:
        """Resident set size of the process tree."""
        total = 0
        for pid in self.tree():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                pages = Path(f"/proc/{pid}/statm").read_text(encoding="ascii").split()[1]
                total += int(pages) * _PAGE_SIZE
        return total


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            stat = (entry / "stat").read_text(encoding="ascii")
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            parents.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(parents.get(pid, ()))
    return found


@contextlib.contextmanager
def serve(
    argv: list[str], url: str, probe: str, *, env: Mapping[str, str], cwd: Path, log: Path
) -> Iterator[Server]:
    """Start ``argv`` (output appended to ``log``), wait for ``url + probe``, stop it after."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603
            argv, cwd=cwd, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            wait_until_up(process, url + probe, timeout=90.0, every=0.1)
            yield Server(process, url)
        finally:
            stop(process, grace=15)


def _run(argv: list[str], *, cwd: Path, env: Mapping[str, str] | None = None) -> None:
    print(f"$ {' '.join(argv)}  (in {cwd})", file=sys.stderr)
    subprocess.run(argv, cwd=cwd, env={**os.environ, **(env or {})}, check=True)  # noqa: S603


def ensure_node_modules() -> None:
    """``npm ci`` in bench/peers unless its node_modules are there."""
    if (HERE / "node_modules" / ".bin" / "hive-gateway").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed (Node 20+ and npm are needed for the peer)")
    _run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE)


def _version(package: str) -> str:
    manifest = HERE / "node_modules" / package / "package.json"
    if not manifest.exists():  # a Switchboard-only run does not install the Node peer
        return "not installed"
    version: str = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return version


# --- the Node peer -------------------------------------------------------------------------


def _headers(world: World, carrier_id: str) -> dict[str, str]:
    auth = world.specs[carrier_id].auth
    if isinstance(auth, ApiKeyAuth):
        return {auth.header: auth.key}
    if isinstance(auth, BasicAuth):
        token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if isinstance(auth, NoAuth):
        return {}
    raise SystemExit(f"{carrier_id}: only api_key, basic or no auth is set up for Mesh")


def compose_supergraph(world: World, work: Path) -> Path:
    """One trimmed OpenAPI document per carrier, composed into ``supergraph.graphql``."""
    folder = specs_dir()
    sources = []
    for pick in world.picks:
        spec = pick.spec
        document = work / f"{spec.id}.openapi.json"
        document.write_text(json.dumps(trimmed_document(spec, folder)), encoding="utf-8")
        prefix = mesh_prefix(spec.id)
        sources.append(
            {
                "name": prefix.rstrip("_").capitalize(),
                "prefix": prefix,
                "source": str(document),
                "endpoint": spec.base_url,
                "headers": _headers(world, spec.id),
            }
        )
    listing = work / "mesh-sources.json"
    listing.write_text(json.dumps(sources, indent=2), encoding="utf-8")
    supergraph = work / "supergraph.graphql"
    compose = HERE / "node_modules" / ".bin" / "mesh-compose"
    _run([str(compose), "-o", str(supergraph)], cwd=HERE, env={"PEERS_MESH_SOURCES": str(listing)})
    return supergraph


# --- load ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gateway:
    """How to start one gateway and ask it the W1 dashboard."""

    name: str
    argv: list[str]
    port: int
    probe: str
    env: dict[str, str]
    cwd: Path
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Answer:
    """What one checked W1 answer looked like."""

    size: int
    leaves: int
    upstream: int


@dataclass(frozen=True, slots=True)
class Cell:
    """One gateway at one carrier latency and client count."""

    gateway: str
    latency_ms: float
    clients: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    rss_mib: float
    upstream: float
    sandbox_cpu_ms: float
    load_core_busy: float
    answer: Answer


def count_leaves(value: object) -> int:
    """Scalar values in a JSON answer."""
    if isinstance(value, dict):
        return sum(count_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_leaves(v) for v in value)
    return 1


def records_in(document: dict[str, Any]) -> tuple[int, int, int, int, int]:
    """Accounts, services, bills, orders and milestones in either gateway's W1 answer."""
    data = document["data"]
    if "customer" in data:  # Switchboard: merged, normalized lists
        customer = data["customer"]
        orders = customer["orders"]["nodes"]
        return (
            len(customer["accounts"]),
            len(customer["services"]["nodes"]),
            len(customer["invoices"]["nodes"]),
            len(orders),
            sum(len(o["milestones"]) for o in orders),
        )
    lists: dict[str, list[Any]] = {}  # Mesh: one list per carrier and resource
    for alias, items in data.items():
        lists.setdefault(alias.rsplit("_", 1)[1], []).extend(items)
    return (
        len(lists["accounts"]),
        len(lists["services"]),
        len(lists["invoices"]),
        len(lists["orders"]),
        sum(len(o["milestone"]) for o in lists["orders"]),
    )


def expected_records(world: World) -> tuple[int, int, int, int, int]:
    """What the data set holds for the benchmark's customer."""
    picks = world.picks
    return (
        len(picks),
        sum(p.services for p in picks),
        sum(p.invoices for p in picks),
        sum(p.orders for p in picks),
        sum(p.milestones for p in picks),
    )


def _percentile(values: Sequence[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run_load(
    call: Callable[[], Awaitable[None]], clients: int, seconds: float
) -> tuple[list[float], float]:
    """``clients`` loops of ``call`` until ``seconds`` pass (in-flight calls finish)."""
    latencies: list[float] = []
    started = time.perf_counter()

    async def client() -> None:
        while time.perf_counter() - started < seconds:
            t0 = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies, time.perf_counter() - started


class Sandbox:
    """The sandbox carriers' admin endpoints."""

    def __init__(self, server: Server, world: World, client: httpx.AsyncClient) -> None:
        self.server = server
        self.world = world
        self.client = client

    async def set_latency(self, latency_ms: float) -> None:
        for carrier in self.world.specs:
            url = f"{self.server.url}/_sandbox/faults/{carrier}"
            (await self.client.put(url, json={"latency_ms": latency_ms})).raise_for_status()

    async def clear(self) -> None:
        (await self.client.delete(f"{self.server.url}/_sandbox/requests")).raise_for_status()

    async def count(self) -> int:
        response = await self.client.get(f"{self.server.url}/_sandbox/requests")
        response.raise_for_status()
        return len(response.json())


@dataclass(frozen=True, slots=True)
class Options:
    """The command line."""

    duration: float
    warmup: float
    clients: list[int]
    latencies: list[float]
    seed: int
    customers: int
    gateways: list[str]
    gateway_core: int
    load_core: int
    switchboard_server: str
    cache_ttl: float
    keep: Path | None


async def measure_gateway(
    gateway: Gateway, server: Server, sandbox: Sandbox, opts: Options
) -> list[Cell]:
    """Check the gateway's answer, then every latency and client count against it."""
    cells: list[Cell] = []
    limits = httpx.Limits(max_connections=max(opts.clients), max_keepalive_connections=64)
    headers = {"Content-Type": "application/json", **gateway.headers}
    async with httpx.AsyncClient(
        base_url=server.url, headers=headers, limits=limits, timeout=120.0
    ) as client:

        async def call() -> None:
            response = await client.post("/graphql", content=gateway.body)
            if response.status_code != 200 or b'"errors"' in response.content:
                raise RuntimeError(f"{gateway.name} failed: {response.text[:800]}")

        await sandbox.set_latency(0.0)
        await sandbox.clear()
        response = await client.post("/graphql", content=gateway.body)
        document = response.json()
        if response.status_code != 200 or document.get("errors") or not document.get("data"):
            raise RuntimeError(f"{gateway.name} answered: {response.text[:2000]}")
        answer = Answer(len(response.content), count_leaves(document), await sandbox.count())
        if records_in(document) != expected_records(sandbox.world):
            raise RuntimeError(
                f"{gateway.name} answered {records_in(document)} accounts, services, bills, "
                f"orders, milestones; the data set holds {expected_records(sandbox.world)}"
            )
        await run_load(call, max(opts.clients), 2 * opts.warmup)  # JIT, pools, caches
        for latency in opts.latencies:
            await sandbox.set_latency(latency)
            for clients in opts.clients:
                await run_load(call, clients, opts.warmup)
                await sandbox.clear()
                gateway_cpu, sandbox_cpu = server.cpu_seconds(), sandbox.server.cpu_seconds()
                own_cpu = time.process_time()
                latencies, wall = await run_load(call, clients, opts.duration)
                gateway_cpu = server.cpu_seconds() - gateway_cpu
                sandbox_cpu = sandbox.server.cpu_seconds() - sandbox_cpu
                own_cpu = time.process_time() - own_cpu
                done = len(latencies)
                ms = sorted(t * 1000 for t in latencies)
                cells.append(
                    Cell(
                        gateway=gateway.name,
                        latency_ms=latency,
                        clients=clients,
                        requests=done,
                        rps=done / wall,
                        p50_ms=_percentile(ms, 50),
                        p99_ms=_percentile(ms, 99),
                        cpu_ms=gateway_cpu * 1000 / done,
                        rss_mib=server.rss_bytes() / 2**20,
                        upstream=await sandbox.count() / done,
                        sandbox_cpu_ms=sandbox_cpu * 1000 / done,
                        load_core_busy=(sandbox_cpu + own_cpu) / wall,
                        answer=answer,
                    )
                )
                print(f"  {_describe(cells[-1])}", file=sys.stderr)
    return cells


def _describe(c: Cell) -> str:
    return (
        f"{c.gateway}: {c.latency_ms:g} ms carriers, {c.clients} clients: {c.requests} req, "
        f"{c.rps:.1f} req/s, p50 {c.p50_ms:.0f} ms, p99 {c.p99_ms:.0f} ms, "
        f"CPU {c.cpu_ms:.1f} ms/req, RSS {c.rss_mib:.0f} MiB, load core {c.load_core_busy:.0%}"
    )


# --- the two gateways ------------------------------------------------------------------------


def switchboard_gateway(
    work: Path, sandbox_url: str, key: str, server: str, cache_ttl: float = 0.0
) -> Gateway:
    """``switchboard serve --workers 1``: the benchmark's carriers, cache off, SQLite.

    ``server="uvicorn"`` serves the same app with ``python -m uvicorn gateway.asgi:app``
    instead, whose logging is uvicorn's (warnings only), not ``serve``'s JSON lines.
    """
    port = free_port()
    if server == "serve":
        binary = Path(sys.executable).parent / "switchboard"
        argv = [str(binary), "serve", "--workers", "1", "--host", _HOST, "--port", str(port)]
    else:  # as bench/dashboard.py serves it: no structured logging, warnings only
        argv = [sys.executable, "-m", "uvicorn", "gateway.asgi:app", "--host", _HOST]
        argv += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    env = {
        SANDBOX_URL_VAR: sandbox_url,
        "SWITCHBOARD_CARRIERS_DIRS": json.dumps([str(CARRIERS_DIR)]),
        "SWITCHBOARD_DIRECTORY_URL": f"sqlite+aiosqlite:///{work / 'directory.db'}",
        "SWITCHBOARD_CACHE_TTL_SECONDS": str(cache_ttl),
        "SWITCHBOARD_GRAPHIQL": "false",
    }
    variables = {"id": str(encode_id("Customer", CUSTOMER_ID))}
    body = json.dumps({"query": SWITCHBOARD_QUERY, "variables": variables}).encode()
    headers = {"Authorization": f"Bearer {key}"}
    return Gateway(SWITCHBOARD, argv, port, "/readyz", env, ROOT, headers, body)


def hive_gateway(world: World, work: Path, supergraph: Path) -> Gateway:
    """``hive-gateway supergraph --fork 1``, run in the work folder (no config file there)."""
    port = free_port()
    binary = HERE / "node_modules" / "@graphql-hive" / "gateway" / "dist" / "bin.js"
    node = shutil.which("node") or "node"
    argv = [node, str(binary), "supergraph", str(supergraph), "--fork", "1"]
    argv += ["--host", _HOST, "--port", str(port)]
    env = {"NODE_ENV": "production"}
    body = json.dumps({"query": mesh_query(world.picks)}).encode()
    return Gateway(HIVE, argv, port, "/readiness", env, work, {}, body)


async def bench(opts: Options, work: Path) -> tuple[list[Cell], World]:
    """Everything from the sandbox on; returns the measured cells."""
    port = free_port()
    sandbox_url = f"http://{_HOST}:{port}"
    world = load_world(sandbox_url, seed=opts.seed, customers=opts.customers)
    supergraph = compose_supergraph(world, work) if HIVE_KEY in opts.gateways else None
    directory = await Directory.open(f"sqlite+aiosqlite:///{work / 'directory.db'}")
    try:
        key = await seed_directory(directory, world)
    finally:
        await directory.close()
    sandbox_argv = ["taskset", "-c", str(opts.load_core), sys.executable]
    sandbox_argv += ["-m", "bench.peers.sandbox", "--port", str(port)]
    sandbox_argv += ["--seed", str(opts.seed), "--customers", str(opts.customers)]
    cells: list[Cell] = []
    log = work / "servers.log"
    pin = ["taskset", "-c", str(opts.gateway_core)]
    with serve(
        sandbox_argv, sandbox_url, "/_sandbox/requests", env={}, cwd=ROOT, log=log
    ) as sandbox_server:
        async with httpx.AsyncClient(timeout=30.0) as admin:
            sandbox = Sandbox(sandbox_server, world, admin)
            gateways: list[Gateway] = []
            for name in opts.gateways:
                if name == SWITCHBOARD_KEY:
                    gateways.append(
                        switchboard_gateway(
                            work, sandbox_url, key, opts.switchboard_server, opts.cache_ttl
                        )
                    )
                elif supergraph is not None:
                    gateways.append(hive_gateway(world, work, supergraph))
            for gateway in gateways:
                print(f"{gateway.name}: {' '.join(gateway.argv)}", file=sys.stderr)
                with serve(
                    pin + gateway.argv,
                    f"http://{_HOST}:{gateway.port}",
                    gateway.probe,
                    env=gateway.env,
                    cwd=gateway.cwd,
                    log=log,
                ) as server:
                    cells += await measure_gateway(gateway, server, sandbox, opts)
    return cells, world


# --- the report ------------------------------------------------------------------------------

SWITCHBOARD_KEY = "switchboard"
HIVE_KEY = "hive"


def _f(value: float) -> str:
    return f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"


def format_report(
    cells: list[Cell], world: World, opts: Options, elapsed: float, load_before: float
) -> str:
    """The Markdown tables: both gateways per cell, then the ratios."""
    out: list[str] = []
    out.append(
        "| carriers | clients | gateway | requests | req/s | p50 ms | p99 ms | "
        "CPU ms/req | RSS MiB | upstream GETs/req | answer KB | leaves | sandbox CPU ms/req "
        "| load core busy |"
    )
    out.append("| ---: | ---: | --- |" + " ---: |" * 11)

    def order(c: Cell) -> tuple[float, int, bool]:
        return (c.latency_ms, c.clients, c.gateway != SWITCHBOARD)

    out.extend(
        f"| {c.latency_ms:g} ms | {c.clients} | {c.gateway} | {c.requests} | {_f(c.rps)} | "
        f"{_f(c.p50_ms)} | {_f(c.p99_ms)} | {_f(c.cpu_ms)} | {c.rss_mib:.0f} | "
        f"{c.upstream:.1f} | {c.answer.size / 1000:.1f} | {c.answer.leaves} | "
        f"{_f(c.sandbox_cpu_ms)} | {c.load_core_busy:.0%} |"
        for c in sorted(cells, key=order)
    )
    pairs = {(c.latency_ms, c.clients, c.gateway): c for c in cells}
    ratios: list[str] = []
    for latency in opts.latencies:
        for clients in opts.clients:
            sb = pairs.get((latency, clients, SWITCHBOARD))
            hive = pairs.get((latency, clients, HIVE))
            if sb is None or hive is None:
                continue
            ratios.append(
                f"| {latency:g} ms | {clients} | {sb.rps / hive.rps:.2f} | "
                f"{sb.cpu_ms / hive.cpu_ms:.2f} | {sb.p50_ms / hive.p50_ms:.2f} | "
                f"{sb.p99_ms / hive.p99_ms:.2f} | {sb.rss_mib / hive.rss_mib:.2f} |"
            )
    if ratios:
        out.append("")
        out.append(
            "| carriers | clients | throughput Switchboard/Hive | CPU per request "
            "Switchboard/Hive | p50 Switchboard/Hive | p99 Switchboard/Hive | RSS "
            "Switchboard/Hive |"
        )
        out.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        out.extend(ratios)
    versions = (
        f"@graphql-hive/gateway {_version('@graphql-hive/gateway')}, "
        f"@graphql-mesh/compose-cli {_version('@graphql-mesh/compose-cli')}, "
        f"@omnigraph/openapi {_version('@omnigraph/openapi')}, graphql {_version('graphql')}"
    )
    node = subprocess.run(  # noqa: S603
        [shutil.which("node") or "node", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    out.append("")
    out.append(
        f"({len(world.picks)} TMF carriers, {sum(p.services for p in world.picks)} services, "
        f"{sum(p.invoices for p in world.picks)} bills, {sum(p.orders for p in world.picks)} "
        f"orders with {sum(p.milestones for p in world.picks)} milestones in both answers; "
        f"{opts.duration:g} s "
        f"per cell after {opts.warmup:g} s warm-up; gateways one at a time on core "
        f"{opts.gateway_core}, sandbox and load generator on core {opts.load_core}; "
        f"Python {sys.version.split()[0]}, Node {node}; {versions}; {elapsed:.0f} s in all; "
        f"1-min load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after)"
    )
    return "\n".join(out)


def parse_options(argv: Sequence[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.peers.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--duration", type=float, default=20.0, help="measured seconds per cell (20)")
    add(
        "--warmup",
        type=float,
        default=5.0,
        help="warm-up seconds before each cell, twice that once per gateway first (5)",
    )
    add("--clients", default="1,16", help="concurrent clients, comma-separated (1,16)")
    add("--latencies", default="0,50", help="carrier latencies in ms, comma-separated (0,50)")
    add("--seed", type=int, default=7, help="sandbox data set seed (7)")
    add("--customers", type=int, default=60, help="customers in the data set (60)")
    add(
        "--gateways",
        default=f"{SWITCHBOARD_KEY},{HIVE_KEY}",
        help=f"which to run, comma-separated ({SWITCHBOARD_KEY},{HIVE_KEY})",
    )
    add("--gateway-core", type=int, default=0, help="the core the gateways run on (0)")
    add("--load-core", type=int, default=1, help="the core of sandbox and load generator (1)")
    add(
        "--switchboard-server",
        choices=("serve", "uvicorn"),
        default="serve",
        help="serve: `switchboard serve --workers 1` as shipped (JSON logs, one line per "
        "upstream call); uvicorn: `uvicorn gateway.asgi:app --log-level warning` (serve)",
    )
    add(
        "--cache-ttl",
        type=float,
        default=0.0,
        help="Switchboard's record cache TTL (0, off: W1; 3600 with a warm cache: W4)",
    )
    add("--keep", type=Path, help="keep the work files (specs, supergraph, logs) here")
    args = parser.parse_args(argv)
    gateways = [g.strip() for g in args.gateways.split(",") if g.strip()]
    unknown = set(gateways) - {SWITCHBOARD_KEY, HIVE_KEY}
    if unknown:
        parser.error(f"unknown gateways {sorted(unknown)}")
    return Options(
        duration=args.duration,
        warmup=args.warmup,
        clients=[int(x) for x in args.clients.split(",")],
        latencies=[float(x) for x in args.latencies.split(",")],
        seed=args.seed,
        customers=args.customers,
        gateways=gateways,
        gateway_core=args.gateway_core,
        load_core=args.load_core,
        switchboard_server=args.switchboard_server,
        cache_ttl=args.cache_ttl,
        keep=args.keep,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Install the peer if needed, run every cell, print the tables."""
    opts = parse_options(argv)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    if HIVE_KEY in opts.gateways:
        ensure_node_modules()
    os.sched_setaffinity(0, {opts.load_core})
    with contextlib.ExitStack() as stack:
        if opts.keep is not None:
            opts.keep.mkdir(parents=True, exist_ok=True)
            work = opts.keep.resolve()
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="peers-")))
        cells, world = asyncio.run(bench(opts, work))
    print(format_report(cells, world, opts, time.perf_counter() - started, load_before))


if __name__ == "__main__":
    main()
