"""What authorization costs per request: the same dashboard as an operator and as a customer.

The customer's request runs everything authorization adds on the hot path: its own
audience schema (compiled at start-up), its row slice, and its pricing view (a price
chain per service). The operator admin sees everything, with no markups applied to its
view. Both ask for the same customer's dashboard (the demo customer, whose accounts
span every protocol family), alternating in rounds so drift hits both alike. Two I/O
modes: real carrier calls (sandbox in another process, no cache) and ``no-io`` (records
fetched once, then served from memory) which isolates the gateway's own work.

Run: ``.venv/bin/python -m bench.authz [--requests 200] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.dashboard import InProcess, dashboard_query
from bench.memo import MemoLoaderSet
from bench.processes import sandbox_process
from connectors.models import PartyKind
from connectors.sandbox.server import free_port
from gateway.app import default_directory, start_runtime
from gateway.loaders import LoaderSet
from gateway.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from gateway.context import GatewayContext

CUSTOMER_ID = "query { customers(first: 1) { nodes { id } } }"


class Unauthorized(InProcess):
    """The baseline: full schema, every row, no pricing view (no authorization at all)."""

    def context(self, loaders: LoaderSet) -> GatewayContext:
        context = super().context(loaders)
        context.pricing = None
        context.brand = context.mask = None
        return context

    async def execute(
        self, query: str, variables: dict[str, Any], loaders: Callable[[], LoaderSet]
    ) -> dict[str, Any]:
        result = await self.runtime.schema.execute(
            query, variable_values=variables, context_value=self.context(loaders())
        )
        if result.data is None:
            raise RuntimeError(f"query failed: {result.errors}")
        return result.data


async def _measure(
    gateway: InProcess,
    query: str,
    variables: dict[str, Any],
    loaders: Callable[[], LoaderSet],
    requests: int,
) -> list[float]:
    cpu: list[float] = []
    for _ in range(requests):
        start = time.process_time()
        await gateway.execute(query, variables, loaders)
        cpu.append((time.process_time() - start) * 1000)
    return cpu


async def run(requests: int, rounds: int) -> list[tuple[str, str, float, float]]:
    port = free_port()
    with (
        sandbox_process(port, seed=7, customers=60, latency_ms=0) as child,
        tempfile.TemporaryDirectory(prefix="switchboard-authz-") as tmp,
    ):
        settings = Settings(
            demo=True,
            sandbox_url=child.url,
            sandbox_seed=7,
            sandbox_customers=60,
            directory_url=default_directory(Path(tmp) / "directory.db"),
            cache_ttl_seconds=0,
        )
        async with start_runtime(settings) as rt:
            operator_key = next(
                k for k in rt.demo_keys if k.kind is PartyKind.OPERATOR and k.role == "admin"
            )
            customer_key = next(
                k for k in rt.demo_keys if k.kind is PartyKind.CUSTOMER and k.role == "admin"
            )
            operator = await rt.directory.authenticate(operator_key.key)
            customer = await rt.directory.authenticate(customer_key.key)
            if operator is None or customer is None:
                raise RuntimeError("the demo keys do not authenticate")
            as_customer = InProcess(rt, customer)
            as_operator = InProcess(rt, operator)
            baseline = Unauthorized(rt, operator)
            ids = await as_customer.execute(CUSTOMER_ID, {}, lambda: LoaderSet(rt.registry))
            variables = {"c0": ids["customers"]["nodes"][0]["id"]}
            query = dashboard_query(1)
            memo: dict[Any, Any] = {}
            modes: dict[str, Callable[[], LoaderSet]] = {
                "carrier calls": lambda: LoaderSet(rt.registry),
                "no-io": lambda: MemoLoaderSet(rt.registry, memo),
            }
            rows = []
            for mode, loaders in modes.items():
                who = {
                    "no authorization": baseline,
                    "operator admin": as_operator,
                    "customer admin": as_customer,
                }
                samples: dict[str, list[float]] = {name: [] for name in who}
                for gateway in who.values():  # warm-up, and every one must answer
                    await _measure(gateway, query, variables, loaders, 5)
                per_round = max(requests // rounds, 1)
                for _ in range(rounds):
                    for name, gateway in who.items():
                        samples[name] += await _measure(
                            gateway, query, variables, loaders, per_round
                        )
                base = statistics.median(samples["no authorization"])
                for who, cpu in samples.items():
                    median = statistics.median(cpu)
                    rows.append((mode, who, median, (median / base - 1) * 100))
            return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()
    rows = asyncio.run(run(opts.requests, opts.rounds))
    print("| mode | principal | gateway CPU ms/request (median) | vs no authorization |")
    print("| --- | --- | ---: | ---: |")
    for mode, who, median, delta in rows:
        print(f"| {mode} | {who} | {median:.2f} | {delta:+.1f}% |")


if __name__ == "__main__":
    main()
