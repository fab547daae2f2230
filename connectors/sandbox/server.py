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
import base64
import contextlib
import random
import secrets
import socket
import threading
import time
from dataclasses import asdict, fields
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.credentials import resolve_url
from connectors.sandbox.dialects import BACK_OFFICES, BackOffice
from connectors.sandbox.faults import Faults, RequestLog, RequestRecord
from connectors.spec import ApiKeyAuth, BasicAuth, OAuth2ClientCredentials

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from starlette.requests import Request
    from starlette.types import ASGIApp, Receive, Scope, Send

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
        self.specs = dict(specs)
        self.back_offices: dict[str, BackOffice] = {
            carrier_id: BACK_OFFICES[spec.protocol](spec, data.carriers[carrier_id])
            for carrier_id, spec in specs.items()
            if carrier_id in data.carriers and spec.protocol in BACK_OFFICES
        }
        self.tokens: dict[str, dict[str, float]] = {}
        self._random = random.Random(seed)
        self._failed: dict[str, int] = {}
        self.app = Starlette(
            routes=[
                Route("/_sandbox/faults/{carrier}", self._faults_endpoint, methods=["GET", "PUT"]),
                Route("/_sandbox/requests", self._requests_endpoint, methods=["GET", "DELETE"]),
                Route("/{carrier}/{path:path}", self._carrier_endpoint, methods=["GET", "POST"]),
            ]
        )

    def set_faults(self, carrier: str, faults: Faults) -> None:
        """Change how one carrier misbehaves (takes effect on its next request)."""
        self.faults[carrier] = faults
        self._failed.pop(carrier, None)

    def reset(self) -> None:
        """Healthy carriers and an empty log (issued OAuth2 tokens stay valid)."""
        self.faults.clear()
        self._failed.clear()
        self.log.clear()

    def revoke_tokens(self, carrier: str) -> None:
        """Forget every OAuth2 token issued for a carrier (its next API call gets 401)."""
        self.tokens.pop(carrier, None)

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
            resource = getattr(request.state, "resource", None) or office.resource_of(path)
            label = "token" if self._token_path(carrier) == path else None
            self.log.add(
                RequestRecord(
                    carrier=carrier,
                    resource=label or (resource.value if resource else "unknown"),
                    path=path,
                    query=str(request.query_params),
                    started=started,
                    ended=self.log.now(),
                )
            )

    async def _answer(
        self, carrier: str, office: BackOffice, path: str, request: Request
    ) -> Response:
        faults = self.faults.get(carrier, Faults())
        if request.method == "POST":
            # Read (and keep) the body now: a hung client may be gone by the time the
            # back office parses it to learn which resource was asked for.
            await request.body()
        if faults.hang_seconds > 0:
            await asyncio.sleep(faults.hang_seconds)
        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        if path == self._token_path(carrier):
            return await self._issue_token(carrier, request, faults)
        if not self._authorized(carrier, request):
            return JSONResponse({"code": "401", "reason": "invalid credentials"}, status_code=401)
        failed = self._failed.get(carrier, 0)
        if (faults.error_rate > 0 and self._random.random() < faults.error_rate) or (
            failed < faults.fail_first
        ):
            self._failed[carrier] = failed + 1
            headers = {} if faults.retry_after is None else {"Retry-After": faults.retry_after}
            return JSONResponse(
                {"code": str(faults.error_status), "reason": "injected fault"},
                status_code=faults.error_status,
                headers=headers,
            )
        if faults.reset_connection:
            return _DroppedMidBody()
        return await office.answer(request, path, faults.garbage)

    def _token_path(self, carrier: str) -> str | None:
        spec = self.specs[carrier]
        if not isinstance(spec.auth, OAuth2ClientCredentials):
            return None
        url = resolve_url(spec.base_url, spec.auth.token_url)
        base = spec.base_url.rstrip("/")
        return url[len(base) :] if url.startswith(base + "/") else None

    def _authorized(self, carrier: str, request: Request) -> bool:
        """Whether the request carries the credentials the carrier file declares."""
        auth = self.specs[carrier].auth
        headers = request.headers
        if isinstance(auth, ApiKeyAuth):
            return headers.get(auth.header) == auth.key
        if isinstance(auth, BasicAuth):
            token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
            return headers.get("authorization") == f"Basic {token}"
        if isinstance(auth, OAuth2ClientCredentials):
            scheme, _, token = headers.get("authorization", "").partition(" ")
            expires = self.tokens.get(carrier, {}).get(token)
            return scheme == "Bearer" and expires is not None and expires > time.monotonic()
        return True

    async def _issue_token(self, carrier: str, request: Request, faults: Faults) -> Response:
        auth = self.specs[carrier].auth
        assert isinstance(auth, OAuth2ClientCredentials)  # noqa: S101 - only routed for oauth2
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("latin-1")).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme == "Basic":
            client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
        if (
            request.method != "POST"
            or form.get("grant_type") != "client_credentials"
            or (client_id, client_secret) != (auth.client_id, auth.client_secret)
        ):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        token = secrets.token_urlsafe(24)
        ttl = faults.token_ttl_seconds
        self.tokens.setdefault(carrier, {})[token] = time.monotonic() + ttl
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": ttl},
            headers={"Cache-Control": "no-store"},
        )

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


class _DroppedMidBody(Response):
    """Promises a body, sends part of it, then fails: the server drops the connection."""

    def __init__(self) -> None:
        super().__init__(status_code=200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        del scope, receive
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'[{"id": "', "more_body": True})
        raise ConnectionResetError("sandbox: connection dropped mid-body (injected fault)")


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
