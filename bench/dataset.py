"""How long the sandbox takes to generate its data set: the demo and every e2e test pay it.

    python -m bench.dataset [--carriers 30] [--customers 60] [--runs 5]

Prints the best and median wall time of ``connectors.sandbox.dataset.generate`` over the
given number of runs, for carriers of every protocol interleaved.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from connectors.models import Carrier, Protocol, Resource
from connectors.sandbox.dataset import generate


def mixed(count: int) -> list[Carrier]:
    protocols = list(Protocol)
    return [
        Carrier(
            id=f"{protocols[n % len(protocols)].value}-{n}",
            name=f"Carrier {n}",
            protocol=protocols[n % len(protocols)],
            capabilities=frozenset(Resource),
        )
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carriers", type=int, default=30)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    carriers = mixed(args.carriers)
    took = []
    for _ in range(args.runs):
        started = time.perf_counter()
        generate(carriers, anchor=date(2026, 3, 1), customers=args.customers)
        took.append(time.perf_counter() - started)
    print(
        f"{args.carriers} carriers, {args.customers} customers: "
        f"best {min(took) * 1000:.0f} ms, median {statistics.median(took) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
