"""Serving the gateway with uvicorn, stopping it the way an orchestrator expects.

On SIGTERM (or Ctrl-C) the server stops accepting connections, lets in-flight requests
finish within ``shutdown_grace_seconds`` (then cuts them: a hung carrier must not hold a
deploy), runs the lifespan's shutdown (carrier pools, Redis and the directory closed)
and the process exits 0. uvicorn itself re-raises the signal once it has shut down, so
the process would die *by* it (exit 143): a clean, requested stop is not a crash.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from collections.abc import Generator

    from gateway.settings import Settings

__all__ = ["GracefulServer", "serve_app"]


class GracefulServer(uvicorn.Server):
    """uvicorn's server, without re-raising the signal that asked it to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def serve_app(settings: Settings, host: str, port: int, workers: int) -> None:
    """Run ``gateway.asgi:app`` until a signal stops it (one worker in this process)."""
    config = uvicorn.Config(
        "gateway.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # our structured logging is already set up
        access_log=False,  # RequestIds logs one line per request
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds) or None,
    )
    if workers > 1:
        # uvicorn's supervisor forwards the signal to its workers and waits for them.
        uvicorn.run(
            config.app,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=config.timeout_graceful_shutdown,
        )
        return
    GracefulServer(config).run()
