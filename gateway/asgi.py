"""The ASGI app uvicorn imports (``gateway.asgi:app``), configured from the environment."""

from __future__ import annotations

from gateway.app import create_app
from gateway.settings import Settings

__all__ = ["app"]

app = create_app(Settings())
