"""The customer dashboard benchmark: upstream calls, latency, throughput and gateway CPU.

Run it with ``python -m bench.dashboard`` (``--markdown`` prints BENCHMARKS.md's tables;
``--help`` lists the knobs). For each carrier latency it starts the sandbox carriers as a
separate process (``python -m connectors.sandbox``), then measures the dashboard query
(one customer's accounts, services, invoices, open orders with milestones and open
tickets; ``--customers-per-query`` asks for several customers at once) in four ways:

``gateway``
    This process builds the real runtime (:func:`gateway.app.start_runtime`) and
    executes the query through the schema with a context built as ``create_app`` builds
    it. The sandbox runs elsewhere, so this process's CPU time is the gateway's work:
    schema execution, loaders, the carrier client, parsing the carriers' JSON.
``no-io``
    The same, with :class:`bench.memo.MemoLoaderSet`: the same batching loaders answered
    from records fetched once, so no carrier calls. Its CPU is schema execution,
    resolvers and loaders alone; ``gateway`` minus ``no-io`` is the carrier client.
``naive``
    The same, with :class:`bench.naive.NaiveLoaderSet`: no batching, carrier calls one
    after another. Its answer is checked to be the gateway's.
``gateway-http``
    ``uvicorn gateway.asgi:app`` in a third process, driven over HTTP by an httpx client
    here; its CPU is read from ``/proc``. Adds the HTTP layer, authentication and JSON
    encoding; the load generator's CPU is not counted.

Upstream calls are counted from the sandbox's request log (and, in process, checked
against the registry's own count). CPU is per completed request, averaged over the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from bench.memo import Memo, MemoLoaderSet
from bench.naive import NaiveLoaderSet
from bench.processes import Child, gateway_process, sandbox_process
from connectors.models import PartyKind
from connectors.sandbox.server import free_port
from gateway.app import Runtime, default_directory, start_runtime
from gateway.heap import settled
from gateway.loaders import LoaderSet
from gateway.settings import Settings

if TYPE_CHECKING:
    from auth.directory import DemoKey
    from auth.principal import Principal
    from gateway.context import GatewayContext

__all__ = ["Row", "dashboard_query", "main"]

DASHBOARD_FIELDS = """
fragment Dashboard on Customer {
  id
  name
  accounts { accountNumber status carrier { code name } }
  services(first: 25) {
    totalCount
    nodes {
      serviceId carrier { code } product status bandwidthMbps activatedAt
      price { amount currency } serviceAddress { city state }
    }
  }
  invoices(first: 12) {
    totalCount
    nodes {
      invoiceNumber carrier { code } issuedAt dueAt status
      total { amount currency } taxes { amount currency }
    }
  }
  orders(filter: {open: true}) {
    totalCount
    nodes {
      orderId carrier { code } kind status orderedAt committedDate inJeopardy
      milestones { kind plannedAt actualAt missed }
    }
  }
  tickets(filter: {open: true}) {
    totalCount
    nodes { ticketId carrier { code } severity priority status openedAt slaTarget slaBreached }
  }
}
"""

CUSTOMERS_QUERY = """query Customers($first: Int!) {
  customers(first: $first) { nodes { id accounts { carrier { code } } } }
}"""

LoaderFactory = Callable[[], LoaderSet]


def dashboard_query(count: int) -> str:
    """The dashboard of ``count`` customers, one aliased ``customer(id:)`` field each."""
    params = ", ".join(f"$c{i}: ID!" for i in range(count))
    fields = "\n".join(f"  c{i}: customer(id: $c{i}) {{ ...Dashboard }}" for i in range(count))
    return f"query Dashboard({params}) {{\n{fields}\n}}\n{DASHBOARD_FIELDS}"


@dataclass(frozen=True, slots=True)
class Row:
    """One measured variant at one carrier latency."""

    latency_ms: float
    variant: str
    customers: int
    requests: int
    upstream_per_query: float
    p50_ms: float
    p99_ms: float
    rps: float
    cpu_ms: float
    sandbox_cpu_ms: float
    leaves: int


@dataclass(frozen=True, slots=True)
class Run:
    """What one timed run observed."""

    latencies: list[float]
    wall: float


@dataclass(frozen=True, slots=True)
class Options:
    """The command line."""

    requests: int
    naive_requests: int
    concurrency: int
    latencies: list[float]
    customers_per_query: list[int]
    seed: int
    customers: int
    http: bool
    naive_lock: str
    time_cap: float
    markdown: bool
    profile: Path | None
    cache_ttl: float = 0.0


async def run_load(
    call: Callable[[], Awaitable[object]], requests: int, concurrency: int, time_cap: float
) -> Run:
    """``requests`` calls, ``concurrency`` at a time; none starts after ``time_cap`` seconds."""
    latencies: list[float] = []
    started = time.perf_counter()
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() - started < time_cap:
            remaining -= 1
            t0 = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Run(latencies, time.perf_counter() - started)


def count_leaves(value: object) -> int:
    """Scalar values in a JSON answer (what the executor resolved leaf by leaf)."""
    if isinstance(value, dict):
        return sum(count_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_leaves(v) for v in value)
    return 1


def _percentile(values: Sequence[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True)


@dataclass(frozen=True, slots=True)
class Workload:
    """One dashboard query, its variables and the answer every variant must give."""

    customers: int
    query: str
    variables: dict[str, Any]
    expected: str
    leaves: int


@dataclass(frozen=True, slots=True)
class Usage:
    """What a run cost: wall time per request, CPU seconds of gateway and sandbox, calls."""

    run: Run
    cpu: float
    sandbox_cpu: float
    calls: int

    def row(self, latency_ms: float, variant: str, work: Workload) -> Row:
        done = len(self.run.latencies)
        ms = sorted(t * 1000 for t in self.run.latencies)
        return Row(
            latency_ms=latency_ms,
            variant=variant,
            customers=work.customers,
            requests=done,
            upstream_per_query=self.calls / done,
            p50_ms=_percentile(ms, 50),
            p99_ms=_percentile(ms, 99),
            rps=done / self.run.wall,
            cpu_ms=self.cpu * 1000 / done,
            sandbox_cpu_ms=self.sandbox_cpu * 1000 / done,
            leaves=work.leaves,
        )


class Sandbox:
    """The sandbox child process, seen through its admin endpoints."""

    def __init__(self, child: Child, client: httpx.AsyncClient) -> None:
        self.child = child
        self.client = client

    async def clear(self) -> None:
        """Empty the request log."""
        (await self.client.delete(f"{self.child.url}/_sandbox/requests")).raise_for_status()

    async def count(self) -> int:
        """Requests the carriers served since the log was last emptied."""
        response = await self.client.get(f"{self.child.url}/_sandbox/requests")
        response.raise_for_status()
        return len(response.json())

    async def measure(
        self,
        call: Callable[[], Awaitable[object]],
        requests: int,
        opts: Options,
        gateway_cpu: Callable[[], float],
    ) -> Usage:
        """Run the load and account for it: calls from the log, CPU of both processes."""
        await self.clear()
        sandbox_cpu, cpu = self.child.cpu_seconds(), gateway_cpu()
        run = await run_load(call, requests, opts.concurrency, opts.time_cap)
        cpu, sandbox_cpu = gateway_cpu() - cpu, self.child.cpu_seconds() - sandbox_cpu
        return Usage(run, cpu, sandbox_cpu, await self.count())


class InProcess:
    """Executes queries through the schema of a runtime built in this process."""

    def __init__(self, runtime: Runtime, principal: Principal) -> None:
        self.runtime = runtime
        self.principal = principal

    def context(self, loaders: LoaderSet) -> GatewayContext:
        """The context ``create_app``'s ``context_getter`` builds, with the given loaders."""
        return self.runtime.context_for(self.principal, loaders)

    async def execute(
        self, query: str, variables: dict[str, Any], loaders: LoaderFactory
    ) -> dict[str, Any]:
        """The query's data, run on the principal's audience schema as the app does.

        Raises on any GraphQL error but NOT_SUPPORTED_BY_CARRIER, the documented answer of
        a carrier asked for something it does not offer (e.g. Sonata account details).
        """
        context = self.context(loaders())
        schema = self.runtime.audiences[context.audience]
        result = await schema.execute(query, variable_values=variables, context_value=context)
        context.release()  # as the app's settle hook does
        unexpected = [
            e
            for e in result.errors or ()
            if (e.extensions or {}).get("code") != "NOT_SUPPORTED_BY_CARRIER"
        ]
        if unexpected:
            raise RuntimeError(f"query failed: {[e.formatted for e in unexpected]}")
        if result.data is None:
            raise RuntimeError("query answered no data")
        return result.data


async def pick_customers(gateway: InProcess, count: int) -> list[str]:
    """Customer IDs, those with accounts at the most carriers first."""
    data = await gateway.execute(
        CUSTOMERS_QUERY, {"first": 500}, lambda: LoaderSet(gateway.runtime.registry)
    )
    nodes = data["customers"]["nodes"]

    def spread(node: dict[str, Any]) -> tuple[int, int]:
        carriers = {a["carrier"]["code"] for a in node["accounts"]}
        return (-len(carriers), -len(node["accounts"]))

    ranked = sorted(nodes, key=spread)
    if len(ranked) < count:
        raise SystemExit(f"only {len(ranked)} customers; ask for fewer per query")
    return [n["id"] for n in ranked[:count]]


async def measure_in_process(
    gateway: InProcess,
    sandbox: Sandbox,
    work: Workload,
    loaders: LoaderFactory,
    requests: int,
    opts: Options,
    profile: cProfile.Profile | None = None,
) -> Usage:
    """Time ``requests`` executions of the query in this process (CPU: this process)."""

    async def call() -> None:
        await gateway.execute(work.query, work.variables, loaders)

    registry = gateway.runtime.registry
    before = registry.upstream_calls()
    if profile is not None:
        profile.enable()
    usage = await sandbox.measure(call, requests, opts, time.process_time)
    if profile is not None:
        profile.disable()
    if usage.calls != registry.upstream_calls() - before:
        raise RuntimeError("the sandbox log and the registry disagree on upstream calls")
    return usage


async def measure_http(
    sandbox: Sandbox, key: DemoKey, workloads: list[Workload], opts: Options, directory: Path
) -> list[tuple[Workload, Usage]]:
    """Serve the gateway in its own process and drive it over HTTP (CPU: that process)."""
    env = {
        "SWITCHBOARD_DEMO": "true",
        "SWITCHBOARD_SANDBOX_URL": sandbox.child.url,
        "SWITCHBOARD_DIRECTORY_URL": default_directory(directory),
        "SWITCHBOARD_SANDBOX_SEED": str(opts.seed),
        "SWITCHBOARD_SANDBOX_CUSTOMERS": str(opts.customers),
        "SWITCHBOARD_GRAPHIQL": "false",
        "SWITCHBOARD_CACHE_TTL_SECONDS": str(opts.cache_ttl),
    }
    results: list[tuple[Workload, Usage]] = []
    limits = httpx.Limits(max_connections=opts.concurrency)
    headers = {"Authorization": f"Bearer {key.key}"}
    with gateway_process(free_port(), env) as child:
        async with httpx.AsyncClient(
            base_url=child.url, headers=headers, limits=limits, timeout=120.0
        ) as client:
            for work in workloads:
                body = {"query": work.query, "variables": work.variables}

                async def call(body: dict[str, Any] = body) -> dict[str, Any]:
                    response = await client.post("/graphql", json=body)
                    response.raise_for_status()
                    answer: dict[str, Any] = response.json()
                    codes = {e.get("extensions", {}).get("code") for e in answer.get("errors", ())}
                    if codes - {"NOT_SUPPORTED_BY_CARRIER"}:
                        raise RuntimeError(f"query failed: {response.text[:500]}")
                    return answer

                if _canonical((await call())["data"]) != work.expected:
                    raise RuntimeError("the HTTP answer differs from the in-process one")
                await run_load(call, opts.concurrency, opts.concurrency, opts.time_cap)
                usage = await sandbox.measure(call, opts.requests, opts, child.cpu_seconds)
                results.append((work, usage))
    return results


async def bench_latency(
    latency_ms: float, opts: Options, profile: cProfile.Profile | None
) -> list[Row]:
    """Every variant at one carrier latency, against a fresh sandbox process."""
    rows: list[Row] = []
    port = free_port()
    sandbox_cm = sandbox_process(
        port, seed=opts.seed, customers=opts.customers, latency_ms=latency_ms
    )
    with sandbox_cm as child, tempfile.TemporaryDirectory(prefix="switchboard-bench-") as tmp:
        settings = Settings(
            demo=True,
            sandbox_url=child.url,
            directory_url=default_directory(Path(tmp) / "directory.db"),
            sandbox_seed=opts.seed,
            sandbox_customers=opts.customers,
            cache_ttl_seconds=opts.cache_ttl,  # 0 by default: the fan-out itself, not the cache
        )
        async with (
            start_runtime(settings) as rt,
            httpx.AsyncClient(timeout=30.0) as admin,
        ):
            with settled():  # as the served gateway's lifespan does
                rows += await _bench_runtime(rt, admin, child, Path(tmp), latency_ms, opts, profile)
    return rows


async def _bench_runtime(
    rt: Runtime,
    admin: httpx.AsyncClient,
    child: Child,
    tmp: Path,
    latency_ms: float,
    opts: Options,
    profile: cProfile.Profile | None,
) -> list[Row]:
    """Every variant against one built runtime."""
    rows: list[Row] = []
    sandbox = Sandbox(child, admin)
    key = next(k for k in rt.demo_keys if k.kind is PartyKind.OPERATOR and k.role == "admin")
    principal = await rt.directory.authenticate(key.key)
    if principal is None:
        raise RuntimeError("the operator's demo key does not authenticate")
    gateway = InProcess(rt, principal)
    ids = await pick_customers(gateway, max(opts.customers_per_query))
    process_lock = asyncio.Lock()

    def batched() -> LoaderSet:
        return LoaderSet(rt.registry)

    memo: Memo = {}

    def no_io() -> LoaderSet:
        return MemoLoaderSet(rt.registry, memo)

    def naive() -> LoaderSet:
        return NaiveLoaderSet(rt.registry, process_lock if opts.naive_lock == "process" else None)

    workloads: list[Workload] = []
    for customers in opts.customers_per_query:
        query = dashboard_query(customers)
        variables: dict[str, Any] = {f"c{i}": c for i, c in enumerate(ids[:customers])}
        data = await gateway.execute(query, variables, batched)
        work = Workload(customers, query, variables, _canonical(data), count_leaves(data))
        workloads.append(work)
        for name, loaders in (("naive", naive), ("no-io", no_io)):
            if _canonical(await gateway.execute(query, variables, loaders)) != work.expected:
                raise RuntimeError(f"the {name} answer differs ({customers} customers)")

        async def warm(work: Workload = work) -> None:
            await gateway.execute(work.query, work.variables, batched)

        await run_load(warm, opts.concurrency, opts.concurrency, opts.time_cap)
        usage = await measure_in_process(
            gateway, sandbox, work, batched, opts.requests, opts, profile
        )
        rows.append(usage.row(latency_ms, "gateway", work))
        usage = await measure_in_process(gateway, sandbox, work, no_io, opts.requests, opts)
        rows.append(usage.row(latency_ms, "no-io", work))
        usage = await measure_in_process(gateway, sandbox, work, naive, opts.naive_requests, opts)
        rows.append(usage.row(latency_ms, "naive", work))
    if opts.http:
        served = await measure_http(sandbox, key, workloads, opts, tmp / "http.db")
        rows += [usage.row(latency_ms, "gateway-http", work) for work, usage in served]
    return rows


COLUMNS = (
    ("variant", "variant"),
    ("customers/query", "customers"),
    ("leaves", "leaves"),
    ("requests", "requests"),
    ("upstream calls/query", "upstream_per_query"),
    ("p50 ms", "p50_ms"),
    ("p99 ms", "p99_ms"),
    ("req/s", "rps"),
    ("gateway CPU ms/req", "cpu_ms"),
    ("sandbox CPU ms/req", "sandbox_cpu_ms"),
)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if value < 100 else f"{value:.0f}"
    return str(value)


def format_tables(rows: list[Row], opts: Options, *, markdown: bool) -> str:
    """One table per carrier latency, plain or Markdown."""
    out: list[str] = []
    order = {"gateway": 0, "gateway-http": 1, "no-io": 2, "naive": 3}
    for latency in opts.latencies:
        mine = sorted(
            (r for r in rows if r.latency_ms == latency),
            key=lambda r: (r.customers, order.get(r.variant, 9)),
        )
        title = f"Carrier latency {latency:g} ms, concurrency {opts.concurrency}"
        header = [name for name, _ in COLUMNS]
        cells = [[_cell(getattr(r, attr)) for _, attr in COLUMNS] for r in mine]
        if markdown:
            out.append(f"#### {title}\n")
            out.append("| " + " | ".join(header) + " |")
            out.append(
                "|" + "|".join(" --- " if i == 0 else " ---: " for i in range(len(header))) + "|"
            )
            out.extend("| " + " | ".join(c) + " |" for c in cells)
        else:
            widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
            out.append(title)
            out.append("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
            out.extend(
                "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells
            )
        out.append("")
    return "\n".join(out)


def parse_options(argv: Sequence[str] | None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.dashboard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--requests", type=int, default=200, help="measured requests per variant (200)")
    add(
        "--naive-requests",
        type=int,
        default=32,
        help="measured requests of the naive variant, which is slow (32)",
    )
    add("--concurrency", type=int, default=8, help="requests in flight (8)")
    add("--latencies", default="0,50", help="carrier latencies in ms, comma-separated (0,50)")
    add("--customers-per-query", default="1,10", help="dashboard sizes, comma-separated (1,10)")
    add("--seed", type=int, default=7, help="sandbox data set seed (7)")
    add("--customers", type=int, default=60, help="customers in the data set (60)")
    add("--no-http", dest="http", action="store_false", help="skip the served gateway")
    add(
        "--naive-lock",
        choices=("request", "process"),
        default="request",
        help="naive calls never overlap within a request (default) or within the process",
    )
    add(
        "--time-cap",
        type=float,
        default=10.0,
        help="no run starts a request after this many seconds (10)",
    )
    add(
        "--cache-ttl",
        type=float,
        default=0.0,
        help="record cache TTL in seconds (0, off: measure the fan-out; W4 turns it on)",
    )
    add("--markdown", action="store_true", help="print Markdown tables (BENCHMARKS.md)")
    add(
        "--profile",
        type=Path,
        help="write cProfile stats of the in-process gateway runs here (slows them)",
    )
    args = parser.parse_args(argv)
    return Options(
        requests=args.requests,
        naive_requests=args.naive_requests,
        concurrency=args.concurrency,
        latencies=[float(x) for x in args.latencies.split(",")],
        customers_per_query=[int(x) for x in args.customers_per_query.split(",")],
        seed=args.seed,
        customers=args.customers,
        http=args.http,
        naive_lock=args.naive_lock,
        cache_ttl=args.cache_ttl,
        time_cap=args.time_cap,
        markdown=args.markdown,
        profile=args.profile,
    )


async def _main(opts: Options) -> list[Row]:
    profile = cProfile.Profile() if opts.profile else None
    rows: list[Row] = []
    for latency in opts.latencies:
        rows += await bench_latency(latency, opts, profile)
    if profile is not None and opts.profile is not None:
        profile.dump_stats(opts.profile)
    return rows


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    with contextlib.suppress(ImportError):
        import uvloop

        return uvloop.new_event_loop
    return None


def main(argv: Sequence[str] | None = None) -> None:
    """Run every variant at every latency and print the tables."""
    opts = parse_options(argv)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    factory = _loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        rows = runner.run(_main(opts))
    print(format_tables(rows, opts, markdown=opts.markdown))
    loop = "uvloop" if factory else "asyncio"
    print(
        f"({len(rows)} runs in {time.perf_counter() - started:.0f} s; event loop {loop}; "
        f"naive lock per {opts.naive_lock}; {os.cpu_count()} CPUs; 1-min load average "
        f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after)"
    )


if __name__ == "__main__":
    main()
