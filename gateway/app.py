"""``create_app(settings)``: the Starlette app, its routes and the lifespan that owns state.

The lifespan builds the long-lived parts once (carrier registry with its connection
pools, directory and its snapshot, the schema; for ``--demo`` also the sandbox
carriers) and yields them as typed state. Per request only the context and its
loaders are new.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from auth.authenticate import GatewayAuthBackend
from auth.commercial import Brand, Commercial, load_commercial, seed_demo_commercial
from auth.directory import DemoKey, Directory, DirectorySnapshot, DirectoryUnavailable
from auth.documents import load_trusted
from auth.policy import RowSlice, row_slice
from auth.roles import audience_of
from connectors import mapping
from connectors.cache import Cache, MemoryCache, RedisCache
from connectors.io import transport_factory
from connectors.models import PartyKind
from connectors.registry import Registry, load_specs
from connectors.sandbox.server import Sandbox, free_port, serve_in_thread
from connectors.shared_redis import SharedRedis
from gateway.context import GatewayContext
from gateway.demo import seed_directory
from gateway.heap import settled
from gateway.http import GraphQLEndpoint, Unavailable
from gateway.loaders import LoaderSet
from gateway.observability import RequestIds, configure_tracing, metrics
from gateway.persisted import DocumentStore, PersistedQueries
from gateway.ratelimit import RateLimiter
from gateway.schema import MAX_TOKENS, GatewaySchema, build_schema
from gateway.schema.documents import PreparedDocuments
from gateway.schema.visibility import audience_schemas
from gateway.serving import open_directory
from gateway.settings import SANDBOX_URL_VAR, Settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from starlette.requests import HTTPConnection
    from starlette.websockets import WebSocket

    from auth.pricing import PricingView
    from auth.principal import Principal
    from auth.tokens import JwtVerifier
    from connectors.models import Carrier

__all__ = ["Runtime", "create_app"]

_ROW_CACHE_SIZE = 10_000
_log = logging.getLogger("switchboard.app")


@dataclass
class Runtime:
    """The long-lived state of one gateway process."""

    settings: Settings
    registry: Registry
    directory: Directory
    auth: GatewayAuthBackend
    snapshot: DirectorySnapshot
    schema: GatewaySchema
    audiences: dict[str, GatewaySchema] = field(default_factory=dict)
    shared: GatewaySchema | None = None
    sandbox: Sandbox | None = None
    sandbox_url: str | None = None
    demo_keys: tuple[DemoKey, ...] = ()
    redis: SharedRedis | None = None
    limiter: RateLimiter = field(default_factory=RateLimiter)
    carriers: dict[str, Carrier] = field(default_factory=dict)
    commercial: Commercial = field(default_factory=Commercial.build)
    persisted: PersistedQueries | None = None
    _rows: dict[tuple[str, str], RowSlice] = field(default_factory=dict)
    _views: dict[tuple[str, str, str], PartyView] = field(default_factory=dict)

    def context_for(self, principal: Principal, loaders: LoaderSet) -> GatewayContext:
        """One request's context for a principal (the app's, the benchmarks')."""
        view = self.view_for(principal)
        settings = self.settings
        operator = principal.kind is PartyKind.OPERATOR
        return GatewayContext(
            cost_budget=settings.operator_cost_budget if operator else settings.cost_budget,
            rate_key=f"{principal.party_id}:{principal.role}",
            rate_limit=settings.operator_rate_limit_per_minute
            if operator
            else settings.rate_limit_per_minute,
            principal=principal,
            registry=self.registry,
            snapshot=self.snapshot,
            rows=self.rows_for(principal),
            loaders=loaders,
            now=datetime.now(UTC),
            carriers=self.carriers,
            audience=audience_of(principal.kind, principal.role),
            pricing=view.pricing,
            brand=view.brand,
            mask=view.mask,
        )

    async def reload(self) -> bool:
        """Re-read the snapshot, pricing, brands and trusted documents; keep the old on failure."""
        try:
            snapshot = await self.directory.snapshot()
            commercial = await load_commercial(self.directory)
            trusted = await load_trusted(self.directory)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            self.directory.mark_down(exc)
            return False
        self.directory.mark_up()
        self.snapshot, self.commercial = snapshot, commercial
        if self.persisted is not None:
            self.persisted.trusted = trusted
        self._rows.clear()
        self._views.clear()
        return True

    def view_for(self, principal: Principal) -> PartyView:
        """Prices, brand and carrier mask of a principal, built once per party and role."""
        key = (principal.party_id, principal.kind.value, principal.role)
        view = self._views.get(key)
        if view is None:
            if len(self._views) > _ROW_CACHE_SIZE:
                self._views.clear()
            view = self._views[key] = PartyView(
                pricing=self.commercial.pricing_view(principal, self.snapshot),
                brand=self.commercial.brand_for(principal, self.snapshot),
                mask=self.commercial.carrier_mask(principal, self.snapshot),
            )
        return view

    def rows_for(self, principal: Principal) -> RowSlice:
        """The principal's row slice, computed once per party over the immutable snapshot."""
        key = (principal.party_id, principal.kind.value)
        rows = self._rows.get(key)
        if rows is None:
            if len(self._rows) > _ROW_CACHE_SIZE:
                self._rows.clear()
            rows = self._rows[key] = row_slice(principal, self.snapshot)
        return rows


@dataclass(frozen=True, slots=True)
class PartyView:
    """What one party in one role sees of prices and brands."""

    pricing: PricingView
    brand: Brand | None
    mask: Brand | None


def _verifiers(settings: Settings) -> list[JwtVerifier]:
    """The JWT verifiers the settings ask for; none, and PyJWT not loaded, if none are.

    PyJWT brings cryptography's OpenSSL bindings (~19 MiB per worker): a gateway that
    only takes API keys does without them. Any JWT setting, even a half-made one that
    ``build_verifiers`` refuses, or ``--demo`` (its own signing key) loads them.
    """
    configured = settings.jwt_issuer or settings.jwt_audience or settings.jwt_jwks_url
    if not (configured or settings.jwt_public_keys or settings.demo):
        return []
    from auth.tokens import build_verifiers

    # Reads key files only (a JWKS is fetched on first use): nothing to close on failure.
    return build_verifiers(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        jwks_url=settings.jwt_jwks_url,
        public_keys=settings.jwt_public_keys,
        algorithms=settings.jwt_algorithms,
        leeway=settings.jwt_leeway_seconds,
        demo_key_dir=settings.demo_jwt_dir() if settings.demo else None,
    )


@contextlib.asynccontextmanager
async def start_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Build everything a gateway process shares between requests; tear it down after."""
    with contextlib.ExitStack() as threads:
        variables = dict(os.environ)
        sandbox_url = settings.sandbox_url
        if settings.demo and sandbox_url is None:
            sandbox_url = f"http://127.0.0.1:{free_port()}"
        if sandbox_url is not None:
            variables[SANDBOX_URL_VAR] = sandbox_url
        specs = load_specs(settings.carrier_directories(), variables)
        sqlite = settings.sqlite_path()
        if sqlite is not None:
            sqlite.parent.mkdir(parents=True, exist_ok=True)
        verifiers = _verifiers(settings)
        directory = await open_directory(settings.directory_url, settings.directory_wait_seconds)
        auth = GatewayAuthBackend(directory, verifiers=verifiers)
        mapping.LIMITS.max_amount = Decimal(repr(settings.max_amount))
        shared = SharedRedis.from_url(settings.redis_url) if settings.redis_url else None
        cache: Cache = MemoryCache() if shared is None else RedisCache(shared)
        registry = Registry(
            specs,
            transport_factory=transport_factory(settings.upstream_io),
            cache=cache,
            cache_ttl=settings.cache_ttl_seconds,
            shared=shared,
        )
        try:
            sandbox = None
            keys: tuple[DemoKey, ...] = ()
            if settings.demo:
                setup = await seed_directory(
                    directory,
                    specs,
                    seed=settings.sandbox_seed,
                    customers=settings.sandbox_customers,
                )
                keys = setup.keys
                services = [s for held in setup.data.carriers.values() for s in held.services]
                await seed_demo_commercial(directory, services)
                if settings.sandbox_url is None and sandbox_url is not None:
                    sandbox = Sandbox(specs, setup.data)
                    port = int(sandbox_url.rsplit(":", 1)[1])
                    threads.enter_context(serve_in_thread(sandbox.app, port=port))
            documents = PreparedDocuments(max_tokens=MAX_TOKENS)
            persisted = PersistedQueries(
                documents,
                DocumentStore(
                    shared,
                    max_documents=settings.apq_max_documents,
                    ttl_seconds=settings.apq_ttl_seconds,
                ),
                trusted=await load_trusted(directory),
                apq=settings.apq,
                trusted_only=settings.trusted_documents,
                operator_bypass=settings.trusted_documents_operator_bypass,
                max_document_bytes=settings.max_body_bytes,
            )
            schema = build_schema(documents=documents, execution=settings.execution)
            yield Runtime(
                carriers={c.id: c for c in registry.carriers()},
                settings=settings,
                registry=registry,
                directory=directory,
                auth=auth,
                snapshot=await directory.snapshot(),
                commercial=await load_commercial(directory),
                schema=schema,
                audiences=audience_schemas(schema),
                shared=build_schema(
                    filter_unauthorized=True, documents=documents, execution=settings.execution
                )
                if settings.unauthorized_fields == "filter"
                else None,
                sandbox=sandbox,
                sandbox_url=sandbox_url,
                demo_keys=keys,
                redis=shared,
                limiter=RateLimiter(shared),
                persisted=persisted,
            )
        finally:
            await registry.aclose()
            await auth.aclose()
            await directory.close()


def create_app(settings: Settings | None = None) -> Starlette:
    """The gateway as an ASGI app (uvicorn runs it; tests run it on loopback)."""
    config = settings or Settings()
    holder: dict[str, Runtime] = {}

    def runtime() -> Runtime:
        return holder["runtime"]

    async def authenticate(conn: HTTPConnection) -> Principal | None:
        try:
            return await runtime().auth.principal_for(conn)
        except DirectoryUnavailable as exc:
            raise Unavailable("directory unavailable; try again shortly") from exc

    async def context_getter(
        request: Request | WebSocket, response: Response | None
    ) -> GatewayContext:
        del response
        rt = runtime()
        if not isinstance(request, Request):
            return rt.context_for(request.state.principal, LoaderSet(rt.registry))
        budget = _deadline_budget(request, rt.settings.operation_deadline_seconds)
        arrived = request.scope.get("state", {}).get("arrived")
        until = (arrived or asyncio.get_running_loop().time()) + budget
        loaders = LoaderSet(rt.registry, until=until, budget=budget)
        return rt.context_for(request.state.principal, loaders)

    async def admit(context: object) -> float | None:
        if not isinstance(context, GatewayContext) or not context.rate_limit:
            return None
        return await runtime().limiter.admit(context.rate_key, context.rate_limit)

    async def settle(context: object) -> None:
        if not isinstance(context, GatewayContext):
            return
        context.release()
        if context.rate_limit and context.charged:
            await runtime().limiter.spend(context.rate_key, context.rate_limit, context.charged)

    def schema_for(context: object) -> GatewaySchema:
        # The audience was fixed when the key was checked; an unknown one sees nothing.
        rt = runtime()
        if rt.shared is not None:
            return rt.shared
        audience = context.audience if isinstance(context, GatewayContext) else ""
        # Roles are checked when keys are made; an unknown one gets the narrowest view.
        return rt.audiences.get(audience) or rt.audiences["customer:viewer"]

    class _LazyEndpoint:
        """Routes to the GraphQL endpoint built once the lifespan has made the schema."""

        endpoint: GraphQLEndpoint | None = None

        async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN204
            if self.endpoint is None:
                self.endpoint = GraphQLEndpoint(
                    runtime().schema,
                    schema_for=schema_for,
                    context_getter=context_getter,
                    authenticate=authenticate,
                    graphiql=config.graphiql,
                    max_body_bytes=config.max_body_bytes,
                    admit=admit,
                    settle=settle,
                    max_response_bytes=config.max_response_bytes,
                    persisted=runtime().persisted,
                )
            await self.endpoint(scope, receive, send)

    graphql = _LazyEndpoint()

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        if "runtime" not in holder:
            return JSONResponse({"status": "starting", "carriers": 0}, status_code=503)
        return JSONResponse(readiness(runtime()))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        configure_tracing()
        async with start_runtime(config) as rt:
            holder["runtime"] = rt
            refresher = asyncio.create_task(_keep_fresh(rt, config.directory_refresh_seconds))
            with _reload_on_sighup(rt), settled():
                try:
                    yield
                finally:
                    refresher.cancel()
                    holder.pop("runtime", None)

    app = Starlette(
        routes=[
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ],
        middleware=[Middleware(RequestIds)],
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    return app


async def _keep_fresh(rt: Runtime, every: float) -> None:
    """Reload the directory and pricing every ``every`` seconds (0: never)."""
    if every <= 0:
        return
    while True:
        await asyncio.sleep(every)
        await rt.reload()


@contextlib.contextmanager
def _reload_on_sighup(rt: Runtime) -> Iterator[None]:
    """``kill -HUP`` reloads the directory and pricing now (main thread's loop only)."""
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[bool]] = set()

    def reload() -> None:
        task = loop.create_task(rt.reload())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    try:
        loop.add_signal_handler(signal.SIGHUP, reload)
    except (RuntimeError, ValueError, NotImplementedError):  # not the main thread
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGHUP)


def readiness(rt: Runtime) -> dict[str, object]:
    """``/readyz``: ``ready``, or ``degraded`` (still HTTP 200: keep the instance) with why.

    Degraded means a shared dependency is down and the gateway carries on without it:
    Redis (cache bypassed, breakers and rate limits per process). Open circuit breakers
    are shown but do not degrade the instance: they are the carriers' state, not ours.
    """
    reasons: list[str] = []
    checks: dict[str, object] = {}
    directory = rt.directory
    checks["directory"] = {"healthy": directory.healthy, "error": directory.last_error}
    if not directory.healthy:
        reasons.append(
            f"directory unavailable ({directory.last_error}): known keys and the last "
            "snapshot keep serving"
        )
    if rt.redis is None:
        checks["redis"] = {"configured": False}
    else:
        health = rt.redis.health()
        checks["redis"] = {
            "configured": True,
            "healthy": health.healthy,
            "error": health.last_error,
            "retry_in_seconds": round(health.retry_in_seconds, 1),
        }
        if not health.healthy:
            reasons.append(f"redis unavailable ({health.last_error}): cache bypassed")
    breakers = rt.registry.breakers()
    return {
        "status": "degraded" if reasons else "ready",
        "reasons": reasons,
        "checks": checks,
        "carriers": len(rt.registry),
        "open_breakers": sorted(c for c, b in breakers.items() if b["state"] != "closed"),
        "breakers": breakers,
    }


DEADLINE_HEADER = "x-switchboard-deadline-ms"


def _deadline_budget(request: Request, most: float) -> float:
    """Seconds this request may take: the setting, or less if the client asks (header, ms)."""
    asked = request.headers.get(DEADLINE_HEADER)
    if asked is not None and asked.strip().isdigit():
        return min(most, max(int(asked) / 1000, 0.001))
    return most


def default_directory(path: Path) -> str:
    """The SQLite URL of a directory file."""
    return f"sqlite+aiosqlite:///{path}"
