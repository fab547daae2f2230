"""Real servers for tests: run an ASGI app under uvicorn in a background thread.

Tests drive the app over a real socket with real clients (httpx, websockets), so
they cover what an in-process transport skips: the HTTP parser, headers as
uvicorn sends them, streaming bodies and the WebSocket handshake.

Example:
    ```python
    with serve_in_thread(app) as base_url:
        httpx.get(f"{base_url}/healthz")
    ```
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.types import ASGIApp
    from uvicorn.config import LifespanType

__all__ = ["serve_in_thread"]


@contextlib.contextmanager
def serve_in_thread(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    startup_timeout: float = 10.0,
    log_level: str = "warning",
    lifespan: LifespanType = "on",
) -> Iterator[str]:
    """Serve ``app`` on a free port of ``host`` and yield its base URL (``http://host:port``).

    The port is chosen by the OS (port 0), so tests may run in parallel. On exit
    the server is asked to stop (``should_exit``), finishes the requests in
    flight, closes its connections and the thread is joined; connections still
    open after ``startup_timeout`` are dropped (``force_exit``).

    ``lifespan="on"`` runs the app's startup before the URL is yielded and makes
    a failing startup an error here rather than a server without its resources.
    """
    config = uvicorn.Config(app, host=host, port=0, log_level=log_level, lifespan=lifespan)
    server = uvicorn.Server(config)
    # uvicorn only installs signal handlers from the main thread, so it is safe here.
    thread = threading.Thread(target=server.run, name="uvicorn-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn exited during startup; see its log above")
        if time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=startup_timeout)
            raise TimeoutError(f"uvicorn did not start within {startup_timeout} s")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout)
        if thread.is_alive():  # a connection the test left open: stop waiting for it
            server.force_exit = True
            thread.join(timeout=startup_timeout)
