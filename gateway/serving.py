"""Serving the gateway with uvicorn: waiting for its database, stopping as orchestrators expect.

At start-up the directory database may not be up yet (a deploy racing its database):
:func:`open_directory` retries with back-off, one log line per try.

On SIGTERM (or Ctrl-C) the server stops accepting connections, lets in-flight requests
finish within ``shutdown_grace_seconds`` (then cuts them: a hung carrier must not hold a
deploy), runs the lifespan's shutdown (carrier pools, Redis and the directory closed)
and the process exits 0. uvicorn itself re-raises the signal once it has shut down, so
the process would die *by* it (exit 143): a clean, requested stop is not a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from typing import TYPE_CHECKING

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from auth.directory import Directory, DirectoryUnavailable
from gateway.observability import logging_config

if TYPE_CHECKING:
    from collections.abc import Generator

    from gateway.settings import Settings

__all__ = ["GracefulServer", "open_directory", "serve_app"]

_log = logging.getLogger("switchboard.serving")


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
            # Workers are spawned afresh: they set up the same JSON logging themselves.
            log_config=logging_config(settings.log_format),
            access_log=False,
            timeout_graceful_shutdown=config.timeout_graceful_shutdown,
        )
        return
    GracefulServer(config).run()


async def open_directory(url: str, wait_seconds: float) -> Directory:
    """Open the directory, retrying with back-off while its database is unreachable.

    One log line per failed attempt, no traceback; after ``wait_seconds`` it gives up
    with :class:`DirectoryUnavailable` naming the last error.
    """
    give_up = time.monotonic() + wait_seconds
    delay = 0.5
    while True:
        try:
            return await Directory.open(url)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            if time.monotonic() + delay > give_up:
                raise DirectoryUnavailable(
                    f"directory database unreachable after {wait_seconds:.0f} s ({reason})"
                ) from exc
            _log.warning("directory database unreachable (%s); retrying in %.1f s", reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
