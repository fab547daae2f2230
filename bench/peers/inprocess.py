"""W1 in one process: gateway CPU per dashboard with carrier calls, cached, or without I/O.

``python -m bench.peers.inprocess`` (``--help`` for the knobs) serves the benchmark's
eight TMF carriers (``python -m bench.peers.sandbox``) in a child process, builds the
gateway's runtime in this one (``start_runtime``, record cache off unless ``--cache-ttl``,
the heap settled as ``switchboard serve`` settles it) and executes the W1 query
(:data:`bench.peers.queries.SWITCHBOARD_QUERY`) as the operator's admin, timing this
process's CPU (``time.process_time()``) over ``--requests`` requests, one at a time:

``io``
    every request through fresh loaders: 32 carrier GETs, decoding, reading, execution;
``no-io``
    loaders answering from records fetched once per process (``bench/memo.py``): what
    is left is execution (resolvers, node building, projection) and the loaders;
``cached``
    as ``io`` with the record cache warm (``--cache-ttl``, W4 in process).

Every mode's answer is checked to be the ``io`` answer before it is timed. HTTP serving
(uvicorn, authentication, encoding) is not included: ``python -m bench.peers.run``
measures the served gateway.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvloop

from auth.directory import Directory
from bench.memo import Memo, MemoLoaderSet
from bench.peers.queries import SWITCHBOARD_QUERY
from bench.peers.world import (
    CARRIERS_DIR,
    CUSTOMER_ID,
    SANDBOX_URL_VAR,
    load_world,
    seed_directory,
)
from bench.processes import stop, wait_until_up
from connectors.sandbox.server import free_port
from gateway.app import start_runtime
from gateway.heap import settled
from gateway.loaders import LoaderSet
from gateway.schema.nodes import encode_id
from gateway.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from auth.principal import Principal
    from gateway.app import Runtime

__all__ = ["main"]

_HOST = "127.0.0.1"
MODES = ("io", "no-io", "cached")


async def _execute(rt: Runtime, principal: Principal, loaders: LoaderSet) -> dict[str, Any]:
    context = rt.context_for(principal, loaders)
    schema = rt.audiences[context.audience]
    variables = {"id": str(encode_id("Customer", CUSTOMER_ID))}
    result = await schema.execute(
        SWITCHBOARD_QUERY, variable_values=variables, context_value=context
    )
    context.release()  # as the app's settle hook does
    if result.errors or result.data is None:
        raise RuntimeError(f"W1 failed: {[e.formatted for e in result.errors or ()]}")
    return result.data


async def _measure(
    rt: Runtime,
    principal: Principal,
    make: Callable[[], LoaderSet],
    requests: int,
    rounds: int,
) -> tuple[float, dict[str, Any]]:
    answer = await _execute(rt, principal, make())
    for _ in range(20):  # warm: plans, pools, memos
        await _execute(rt, principal, make())
    per_round = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(requests):
            await _execute(rt, principal, make())
        per_round.append((time.process_time() - started) * 1000 / requests)
    return statistics.median(per_round), answer


async def _run(args: argparse.Namespace, sandbox_url: str, work: Path) -> list[tuple[str, float]]:
    world = load_world(sandbox_url, seed=args.seed, customers=args.customers)
    directory_url = f"sqlite+aiosqlite:///{work / 'directory.db'}"
    directory = await Directory.open(directory_url)
    try:
        key = await seed_directory(directory, world)
    finally:
        await directory.close()
    os.environ.update(
        {
            SANDBOX_URL_VAR: sandbox_url,
            "SWITCHBOARD_CARRIERS_DIRS": json.dumps([str(CARRIERS_DIR)]),
            "SWITCHBOARD_DIRECTORY_URL": directory_url,
            "SWITCHBOARD_GRAPHIQL": "false",
        }
    )
    rows = []
    for mode in args.modes:
        ttl = args.cache_ttl if mode == "cached" else 0.0
        os.environ["SWITCHBOARD_CACHE_TTL_SECONDS"] = str(ttl)
        async with start_runtime(Settings()) as rt:
            principal = await rt.directory.authenticate(key)
            if principal is None:
                raise RuntimeError("the operator's key does not authenticate")
            memo: Memo = {}

            def make(rt: Runtime = rt, memo: Memo = memo, mode: str = mode) -> LoaderSet:
                if mode == "no-io":
                    return MemoLoaderSet(rt.registry, memo)
                return LoaderSet(rt.registry)

            expected = await _execute(rt, principal, LoaderSet(rt.registry))
            with settled():
                cpu, answer = await _measure(rt, principal, make, args.requests, args.rounds)
            if answer != expected:
                raise RuntimeError(f"the {mode} answer differs from the io answer")
        rows.append((mode, cpu))
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, run the modes, print a Markdown table."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.peers.inprocess", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--modes", default=",".join(MODES), help="io,no-io,cached (all)")
    parser.add_argument("--requests", type=int, default=300, help="requests per round (300)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median is shown (3)")
    parser.add_argument("--cache-ttl", type=float, default=3600.0, help="cached mode TTL, s")
    parser.add_argument("--seed", type=int, default=7, help="data set seed (7)")
    parser.add_argument("--customers", type=int, default=60, help="customers (60)")
    args = parser.parse_args(argv)
    args.modes = [m for m in args.modes.split(",") if m]
    unknown = set(args.modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes: {sorted(unknown)}")
    port = free_port()
    sandbox_url = f"http://{_HOST}:{port}"
    argv_sandbox = [sys.executable, "-m", "bench.peers.sandbox", "--port", str(port)]
    argv_sandbox += ["--seed", str(args.seed), "--customers", str(args.customers)]
    sandbox = subprocess.Popen(argv_sandbox)  # noqa: S603 - this interpreter, our module
    try:
        wait_until_up(sandbox, f"{sandbox_url}/_sandbox/requests", timeout=60.0)
        with (
            tempfile.TemporaryDirectory() as tmp,
            asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
        ):
            rows = runner.run(_run(args, sandbox_url, Path(tmp)))
    finally:
        with contextlib.suppress(ProcessLookupError):
            stop(sandbox, grace=10)
    print("| mode | gateway CPU ms/request (median of rounds) |")
    print("| --- | ---: |")
    for mode, cpu in rows:
        print(f"| {mode} | {cpu:.2f} |")
    print(
        f"\n({args.requests} requests x {args.rounds} rounds per mode, one at a time; "
        f"uvloop; Python {sys.version.split()[0]})"
    )


if __name__ == "__main__":
    main()
