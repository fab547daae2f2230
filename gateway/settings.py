"""Typed settings from ``SWITCHBOARD_*`` environment variables, with embedded defaults.

With nothing set, the gateway runs on a SQLite directory under ``.switchboard/`` and
the carrier files in ``connectors/carriers``; ``--demo`` adds the sandbox carriers,
seeds the directory from the sandbox data set and creates one key per party kind
and role.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.registry import CARRIERS_DIR

__all__ = ["SANDBOX_URL_VAR", "Settings"]

SANDBOX_URL_VAR = "SWITCHBOARD_SANDBOX_URL"


class Settings(BaseSettings):
    """Everything the gateway can be told at start-up."""

    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    demo: bool = False
    directory_url: str = "sqlite+aiosqlite:///.switchboard/directory.db"
    carriers_dirs: list[Path] = Field(default_factory=list)
    sandbox_url: str | None = Field(
        default=None, description="Base URL of running sandbox carriers (the demo starts its own)."
    )
    sandbox_seed: int = 7
    sandbox_customers: int = Field(default=60, ge=1, le=5000)
    cache_ttl_seconds: float = Field(
        default=30.0,
        ge=0,
        le=86_400,
        description="How long carrier answers are reused (0 turns the cache off).",
    )
    redis_url: str | None = Field(
        default=None, description="Share the cache through Redis (in-process memory if unset)."
    )
    upstream_io: Literal["aiohttp", "httpx", "h1"] = Field(
        default="h1",
        description="The transport under the carriers' httpx requests: the lean HTTP/1.1 "
        "client of connectors/http1.py (h1), aiohttp, or httpcore (httpx).",
    )
    execution: Literal["compiled", "interpreted", "verify"] = Field(
        default="compiled",
        description=(
            "compiled: plain subtrees are projected by code generated per document; "
            "interpreted: graphql-core completes every field (the reference); "
            "verify: both, answers compared byte for byte (tests and canaries; twice the CPU)."
        ),
    )
    unauthorized_fields: Literal["reject", "filter"] = Field(
        default="reject",
        description=(
            "reject: each audience gets its own schema (hidden fields do not exist); "
            "filter: one shared schema, hidden fields answer null with FORBIDDEN."
        ),
    )
    operation_deadline_seconds: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Every request's deadline: carriers still busy then answer UPSTREAM_TIMEOUT "
        "and the response goes out with everything else (a client may ask for less with the "
        "X-Switchboard-Deadline-Ms header).",
    )
    max_amount: float = Field(
        default=1e12,
        gt=0,
        le=1e18,
        description="Carrier amounts beyond this are refused as absurd (null plus an error).",
    )
    cost_budget: int = Field(
        default=100_000,
        ge=0,
        description="The most one query may cost for carriers, agents and customers "
        "(0: no limit; README 'Demand control' has the cost model).",
    )
    operator_cost_budget: int = Field(
        default=1_000_000, ge=0, description="The same for the operator's own staff."
    )
    rate_limit_per_minute: int = Field(
        default=3_000_000,
        ge=0,
        description="Cost units one party and role may spend per minute (0: no limit).",
    )
    operator_rate_limit_per_minute: int = Field(
        default=30_000_000, ge=0, description="The same for the operator's own staff."
    )
    max_response_bytes: int = Field(
        default=16_000_000,
        ge=0,
        description="Answers larger than this are replaced by a QUERY_TOO_COMPLEX error.",
    )
    directory_wait_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="At start-up, how long to retry an unreachable directory database.",
    )
    directory_refresh_seconds: float = Field(
        default=30.0,
        ge=0,
        le=86_400,
        description="How often the directory and pricing are re-read (0: only on SIGHUP).",
    )
    shutdown_grace_seconds: float = Field(
        default=10.0,
        ge=0,
        le=600,
        description="On SIGTERM, how long in-flight requests may still run before they "
        "are cut; then carrier pools close and the process exits 0.",
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="`switchboard serve` logs: JSON lines, or for people."
    )
    graphiql: bool = True
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    apq: bool = Field(
        default=True,
        description="Automatic persisted queries: clients may send a document's sha256 in "
        "place of its text, after sending both once (README 'Persisted documents').",
    )
    apq_ttl_seconds: float = Field(
        default=86_400,
        ge=0,
        description="How long Redis keeps a document learned through APQ (0: until evicted).",
    )
    apq_max_documents: int = Field(
        default=10_000, ge=1, description="Documents each process keeps in memory for APQ."
    )
    trusted_documents: bool = Field(
        default=False,
        description="Run only the documents registered with `switchboard documents register`.",
    )
    trusted_documents_operator_bypass: bool = Field(
        default=False,
        description="In trusted-documents mode, let the operator's own staff run any document.",
    )
    # JWT bearer tokens from an identity provider: on when issuer, audience and a key
    # source (JWKS URL and/or PEM public keys) are all set; see auth/tokens.py.
    jwt_issuer: str | None = Field(default=None, description="The identity provider's `iss`.")
    jwt_audience: str | None = Field(default=None, description="The `aud` its tokens carry.")
    jwt_jwks_url: str | None = Field(default=None, description="The provider's JWKS URL.")
    jwt_public_keys: list[Path] = Field(
        default_factory=list, description="PEM public keys of the provider (static keys)."
    )
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    jwt_leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    jwt_demo_key_dir: Path | None = Field(
        default=None,
        description="--demo only: where the key `switchboard tokens mint --demo` signs with "
        "lives (default: demo-jwt/ beside the SQLite directory, else .switchboard/demo-jwt).",
    )

    def carrier_directories(self) -> list[Path]:
        """Where the gateway's carrier files are: the operator's own (``carriers_dirs``).

        The 30 carriers shipped in ``connectors/carriers`` are the sandbox's fictional
        catalog: they load only for the demo, or when a sandbox URL is given (tests and
        benchmarks run the sandbox elsewhere).
        """
        sandbox = self.demo or self.sandbox_url is not None
        return [*([CARRIERS_DIR] if sandbox else []), *self.carriers_dirs]

    def sqlite_path(self) -> Path | None:
        """The SQLite file of the directory, when it is one (its folder is created)."""
        prefix = "sqlite+aiosqlite:///"
        if self.directory_url.startswith(prefix):
            return Path(self.directory_url.removeprefix(prefix))
        return None

    def demo_jwt_dir(self) -> Path:
        """The folder of the ``--demo`` JWT signing key (gateway and CLI agree on it)."""
        if self.jwt_demo_key_dir is not None:
            return self.jwt_demo_key_dir
        sqlite = self.sqlite_path()
        return (sqlite.parent if sqlite is not None else Path(".switchboard")) / "demo-jwt"
