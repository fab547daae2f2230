"""What a persisted-query hit saves: the served gateway profiled on text and on hash.

    python -m bench.apq [--requests 200]

Serves ``create_app`` (demo mode over a sandbox process, record cache on so carrier I/O
does not drown the difference) with uvicorn in this process's main thread, and drives it
from a second thread: the README dashboard sent as text, then registered through APQ and
sent as its hash alone. The server's thread is profiled during each phase; the table
shows CPU per request and the calls that parsing, validation, cost analysis and
compiled-plan building made (a hit must make none).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import pstats
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from bench.dashboard import dashboard_query
from bench.processes import sandbox_process
from connectors.models import PartyKind
from connectors.sandbox.server import free_port
from gateway.app import create_app, default_directory
from gateway.schema.nodes import encode_id
from gateway.settings import Settings

WATCHED = {
    "parse": ("graphql/language/parser.py", "parse"),
    "validate": ("graphql/validation/validate.py", "validate"),
    "cost": ("gateway/schema/limits.py", "query_cost"),
    "plan": ("gateway/schema/compiled.py", "_compile"),
}


def _calls(profile: cProfile.Profile) -> dict[str, int]:
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    found = dict.fromkeys(WATCHED, 0)
    for (filename, _line, function), (_cc, calls, *_rest) in stats.items():
        for name, (suffix, wanted) in WATCHED.items():
            if filename.endswith(suffix) and function == wanted:
                found[name] += calls
    return found


def _drive(url: str, key: str, query: str, variables: dict[str, Any], requests: int,
           phases: list[tuple[str, cProfile.Profile, float]], loop: asyncio.AbstractEventLoop,
           server: uvicorn.Server) -> None:  # fmt: skip
    sha = hashlib.sha256(query.encode()).hexdigest()
    hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha}}
    headers = {"Authorization": f"Bearer {key}"}
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            first = client.post("/graphql", json={"query": query, "variables": variables})
            first.raise_for_status()
            bodies = {
                "text": {"query": query, "variables": variables},
                "hash": {"variables": variables, "extensions": hashed},
            }
            missing = client.post("/graphql", json=bodies["hash"]).json()
            codes = [e["extensions"]["code"] for e in missing.get("errors", [])]
            # The text request may already have taught the gateway the hash: both fine.
            if "data" not in missing and codes != ["PERSISTED_QUERY_NOT_FOUND"]:
                raise RuntimeError(f"unexpected answer to an unknown hash: {missing}")
            client.post(
                "/graphql", json={**bodies["text"], "extensions": hashed}
            ).raise_for_status()
            fresh = iter(range(10**9))

            def body_of(name: str) -> dict[str, Any]:
                if name == "new text":  # a comment makes each document one never seen
                    return {"query": f"{query}\n# {next(fresh)}", "variables": variables}
                return bodies[name]

            for name in ("new text", "text", "hash"):
                for _ in range(20):  # warm
                    client.post("/graphql", json=body_of(name)).raise_for_status()
                started = _server_cpu(loop)
                _send(client, body_of, name, requests)
                spent = _server_cpu(loop) - started
                profile = cProfile.Profile()
                loop.call_soon_threadsafe(profile.enable)
                _send(client, body_of, name, requests)
                loop.call_soon_threadsafe(profile.disable)
                phases.append((name, profile, spent / requests))
    finally:
        server.should_exit = True


def _send(client: httpx.Client, body_of: Any, name: str, requests: int) -> None:  # noqa: ANN401
    for _ in range(requests):
        answer = client.post("/graphql", json=body_of(name))
        answer.raise_for_status()
        errors = answer.json().get("errors", [])
        if any(e["extensions"]["code"] != "NOT_SUPPORTED_BY_CARRIER" for e in errors):
            raise RuntimeError(answer.text)


def _server_cpu(loop: asyncio.AbstractEventLoop) -> float:
    """CPU time of the server's thread, read on that thread."""
    done = threading.Event()
    box: list[float] = []

    def read() -> None:
        box.append(time.thread_time())
        done.set()

    loop.call_soon_threadsafe(read)
    done.wait()
    return box[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with (
        sandbox_process(free_port(), seed=7, customers=60, latency_ms=0) as child,
        tempfile.TemporaryDirectory(prefix="switchboard-apq-") as tmp,
    ):
        app = create_app(
            Settings(
                demo=True,
                sandbox_url=child.url,
                directory_url=default_directory(Path(tmp) / "directory.db"),
                cache_ttl_seconds=3600,
                log_format="console",
            )
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        phases: list[tuple[str, cProfile.Profile, float]] = []

        async def serve() -> None:
            loop = asyncio.get_running_loop()

            def start_driver() -> None:
                runtime = app.state.runtime()
                key = next(
                    k for k in runtime.demo_keys
                    if k.kind is PartyKind.OPERATOR and k.role == "admin"
                )  # fmt: skip
                customers = [link.customer_id for link in runtime.snapshot.link_by_account.values()]
                query = dashboard_query(1)
                threading.Thread(
                    target=_drive,
                    args=(
                        f"http://127.0.0.1:{port}",
                        key.key,
                        query,
                        {"c0": encode_id("Customer", customers[0])},
                        args.requests,
                        phases,
                        loop,
                        server,
                    ),
                    daemon=True,
                ).start()

            async def when_ready() -> None:
                while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
                    await asyncio.sleep(0.05)
                start_driver()

            ready = asyncio.create_task(when_ready())
            await server.serve()
            await ready

        asyncio.run(serve())
    print("| request | server CPU ms/req | parse | validate | cost | plan |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, profile, cpu in phases:
        calls = _calls(profile)
        print(
            f"| {name} | {cpu * 1000:.2f} | {calls['parse']} | {calls['validate']} | "
            f"{calls['cost']} | {calls['plan']} |"
        )
    print(
        f"({args.requests} requests each, CPU of the server's thread unprofiled; calls "
        "counted over another as many, profiled. 'new text': a document never seen before "
        "each time; 'text': the same text again; 'hash': APQ, the hash alone)"
    )


if __name__ == "__main__":
    main()
