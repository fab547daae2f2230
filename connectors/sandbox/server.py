"""The sandbox carriers as one real ASGI app, and a way to run it on loopback.

Every sandbox carrier lives under ``/<carrier id>/`` of one uvicorn server, so a
carrier file's base URL is ``${SWITCHBOARD_SANDBOX_URL}/<carrier id>``. The app
applies each carrier's fault knobs, logs every request with monotonic start and end
times, and exposes ``/_sandbox/faults/<carrier>`` (GET, PUT) and
``/_sandbox/requests`` (GET, DELETE) so out-of-process users (the demo, benchmarks)
can steer it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import threading
from dataclasses import asdict, fields
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.sandbox.faults import Faults, RequestLog, RequestRecord
from connectors.sandbox.tmf_app import TmfCarrierBackOffice

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from starlette.requests import Request
    from starlette.types import ASGIApp

    from connectors.sandbox.dataset import DataSet
    from connectors.spec import CarrierSpec

__all__ = ["Sandbox", "free_port", "serve_in_thread"]

_JSON = "application/json"


class Sandbox:
    """Every sandbox carrier's back office, its fault knobs and its request log."""

    def __init__(self, specs: Mapping[str, CarrierSpec], data: DataSet, *, seed: int = 1) -> None:
        self.data = data
        self.log = RequestLog()
        self.faults: dict[str, Faults] = {}
        self.back_offices = {
            carrier_id: TmfCarrierBackOffice(spec, data.carriers[carrier_id])
            for carrier_id, spec in specs.items()
            if carrier_id in data.carriers and spec.protocol == "tmf"
        }
        self._random = random.Random(seed)
        self.app = Starlette(
            routes=[
                Route("/_sandbox/faults/{carrier}", self._faults_endpoint, methods=["GET", "PUT"]),
                Route("/_sandbox/requests", self._requests_endpoint, methods=["GET", "DELETE"]),
                Route("/{carrier}/{path:path}", self._carrier_endpoint, methods=["GET"]),
            ]
        )

    def set_faults(self, carrier: str, faults: Faults) -> None:
        """Change how one carrier misbehaves (takes effect on its next request)."""
        self.faults[carrier] = faults

    def reset(self) -> None:
        """Healthy carriers and an empty log."""
        self.faults.clear()
        self.log.clear()

    async def _carrier_endpoint(self, request: Request) -> Response:
        carrier = request.path_params["carrier"]
        office = self.back_offices.get(carrier)
        if office is None:
            return JSONResponse({"code": "404", "reason": "unknown carrier"}, status_code=404)
        path = "/" + request.path_params["path"]
        started = self.log.now()
        try:
            return await self._answer(carrier, office, path, request)
        finally:
            resource = office.resource_of(path)
            self.log.add(
                RequestRecord(
                    carrier=carrier,
                    resource=resource.value if resource else "unknown",
                    path=path,
                    query=str(request.query_params),
                    started=started,
                    ended=self.log.now(),
                )
            )

    async def _answer(
        self, carrier: str, office: TmfCarrierBackOffice, path: str, request: Request
    ) -> Response:
        faults = self.faults.get(carrier, Faults())
        if faults.hang_seconds > 0:
            await asyncio.sleep(faults.hang_seconds)
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        if not office.authorized(request.headers):
            return JSONResponse({"code": "401", "reason": "invalid credentials"}, status_code=401)
        if faults.error_rate > 0 and self._random.random() < faults.error_rate:
            return JSONResponse(
                {"code": str(faults.error_status), "reason": "injected fault"},
                status_code=faults.error_status,
            )
        status, body, total = office.list_page(path, request.query_params)
        match faults.garbage:
            case "not_json":
                return Response("<html><body>502 Bad Gateway</body></html>", 200, media_type=_JSON)
            case "wrong_shape":
                return Response('{"items": "not a list"}', 200, media_type=_JSON)
            case "bad_record":
                docs = json.loads(body)
                if isinstance(docs, list) and docs:
                    docs[0]["status"] = docs[0]["state"] = "??unmapped??"
                    docs[0].pop("billingAccount", None)
                body = json.dumps(docs)
            case "none":
                pass
        return Response(body, status, media_type=_JSON, headers={"X-Total-Count": str(total)})

    async def _faults_endpoint(self, request: Request) -> Response:
        carrier = request.path_params["carrier"]
        if carrier not in self.back_offices:
            return JSONResponse({"error": "unknown carrier"}, status_code=404)
        if request.method == "PUT":
            known = {f.name for f in fields(Faults)}
            try:
                changes = await request.json()
            except ValueError:
                return JSONResponse({"error": "body must be JSON"}, status_code=400)
            if not isinstance(changes, dict) or not set(changes) <= known:
                return JSONResponse({"error": f"knobs are {sorted(known)}"}, status_code=400)
            self.set_faults(carrier, self.faults.get(carrier, Faults()).with_(**changes))
        return JSONResponse(asdict(self.faults.get(carrier, Faults())))

    async def _requests_endpoint(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.log.clear()
        return JSONResponse([asdict(r) for r in self.log.records()])


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Run an ASGI app under uvicorn in a background thread; yields its base URL."""
    port = port or free_port(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="auto",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"server on {host}:{port} failed to start")
        threading.Event().wait(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
