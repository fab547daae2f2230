"""Run the sandbox carriers standalone: ``python -m connectors.sandbox --port P``.

Serves every sandbox carrier under ``http://127.0.0.1:P/<carrier id>/`` from one
seeded data set, with the admin endpoints ``/_sandbox/faults/<carrier>`` and
``/_sandbox/requests``. A gateway pointed at it (``SWITCHBOARD_SANDBOX_URL``) with the
same ``--seed`` and ``--customers`` in its directory sees the same world as the demo.
The benchmarks run it as a separate process so its CPU is not counted as the gateway's.

Example:
    ```
    python -m connectors.sandbox --port 8700 --seed 7 --customers 60 --latency-ms 50
    ```
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import uvicorn

from connectors.registry import CARRIERS_DIR, carrier_records, load_specs
from connectors.sandbox.dataset import generate
from connectors.sandbox.faults import Faults
from connectors.sandbox.server import Sandbox

if TYPE_CHECKING:
    from collections.abc import Sequence


__all__ = ["build_sandbox", "main"]

_HOST = "127.0.0.1"


def build_sandbox(*, port: int, seed: int, customers: int, latency_ms: float) -> Sandbox:
    """The sandbox carriers of the shipped carrier files, reachable on ``port``."""
    specs = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": f"http://{_HOST}:{port}"})
    sandbox = Sandbox(specs, generate(carrier_records(specs), seed=seed, customers=customers))
    for carrier in specs:
        sandbox.set_faults(carrier, Faults(latency_ms=latency_ms))
    return sandbox


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options and serve the sandbox until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m connectors.sandbox", description="Serve the sandbox carriers."
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    parser.add_argument("--seed", type=int, default=7, help="data set seed (default 7)")
    parser.add_argument("--customers", type=int, default=60, help="customers (default 60)")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="latency added to every carrier answer"
    )
    args = parser.parse_args(argv)
    sandbox = build_sandbox(
        port=args.port, seed=args.seed, customers=args.customers, latency_ms=args.latency_ms
    )
    uvicorn.run(sandbox.app, host=_HOST, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
