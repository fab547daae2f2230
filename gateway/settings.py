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
    upstream_io: Literal["aiohttp", "httpx"] = Field(
        default="aiohttp", description="I/O under the carriers' httpx clients."
    )
    graphiql: bool = True
    max_body_bytes: int = Field(default=1_000_000, ge=1024)

    def sqlite_path(self) -> Path | None:
        """The SQLite file of the directory, when it is one (its folder is created)."""
        prefix = "sqlite+aiosqlite:///"
        if self.directory_url.startswith(prefix):
            return Path(self.directory_url.removeprefix(prefix))
        return None
