"""The benchmark's eight TMF sandbox carriers, standalone: ``python -m bench.peers.sandbox``.

Like ``python -m connectors.sandbox``, but serving the carrier files of
``bench/peers/carriers`` (see :mod:`bench.peers.world`). Every carrier lives under
``http://127.0.0.1:PORT/<carrier id>/``, with the admin endpoints
``/_sandbox/faults/<carrier>`` (the latency knob) and ``/_sandbox/requests`` (the log).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import uvicorn

from bench.peers.world import load_world
from connectors.sandbox.faults import Faults
from connectors.sandbox.server import Sandbox

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["main"]

_HOST = "127.0.0.1"


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options and serve the carriers until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.peers.sandbox", description="Serve the benchmark's TMF carriers."
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    parser.add_argument("--seed", type=int, default=7, help="data set seed (7)")
    parser.add_argument("--customers", type=int, default=60, help="customers (60)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    args = parser.parse_args(argv)
    world = load_world(f"http://{_HOST}:{args.port}", seed=args.seed, customers=args.customers)
    sandbox = Sandbox(world.specs, world.data)
    for carrier in world.specs:
        sandbox.set_faults(carrier, Faults(latency_ms=args.latency_ms))
    uvicorn.run(sandbox.app, host=_HOST, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
