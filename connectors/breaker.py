"""Circuit breakers per carrier: a carrier that keeps failing fails at once, not after a wait.

Each gateway process keeps one :class:`Breaker` per carrier (the policy comes from the
carrier file, :class:`~connectors.specs.common.BreakerPolicy`). With Redis configured,
an opened breaker is published (``sb:breaker:<carrier>``, expiring when it would
half-open) and every process looks at it at most once a second, so one process's
verdict spares the others the same wait; when Redis is down each process decides alone.

States: ``closed`` (calls go through, failures counted) -> ``open`` (every call fails
fast with ``UpstreamUnavailable`` saying so) -> after ``open_seconds``, ``half_open``
(one probe call goes through: success closes, failure opens again).
"""

from __future__ import annotations

import asyncio
import enum
import time
from typing import TYPE_CHECKING

from connectors.errors import UpstreamUnavailable

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.shared_redis import SharedRedis
    from connectors.specs.common import BreakerPolicy

__all__ = ["Breaker", "BreakerState"]

_SYNC_EVERY = 1.0


class BreakerState(enum.IntEnum):
    """A breaker's state; the values are what the metrics gauge shows."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class Breaker:
    """The circuit breaker of one carrier in one process.

    Example:
        >>> breaker = Breaker("acme", BreakerPolicy(failures=2))  # doctest: +SKIP
        >>> await breaker.before_call()  # raises UpstreamUnavailable while open  # doctest: +SKIP
    """

    def __init__(
        self,
        carrier: str,
        policy: BreakerPolicy,
        *,
        shared: SharedRedis | None = None,
        clock: Callable[[], float] = time.time,
        on_change: Callable[[str, BreakerState], None] | None = None,
    ) -> None:
        self.carrier = carrier
        self.policy = policy
        self.shared = shared
        self._clock = clock
        self._on_change = on_change
        self.state = BreakerState.CLOSED
        self.open_until = 0.0
        self.opened = 0
        self._consecutive = 0
        self._window_start = clock()
        self._calls = 0
        self._failures = 0
        self._probing = False
        self._next_sync = 0.0
        self._key = f"sb:breaker:{carrier}"
        self._tasks: set[asyncio.Task[None]] = set()

    def reset(self) -> None:
        """Closed, with nothing counted (this process only)."""
        self._set(BreakerState.CLOSED)
        self.open_until, self._consecutive, self._calls, self._failures = 0.0, 0, 0, 0
        self._probing = False

    async def before_call(self) -> None:
        """Let a call through, or fail it at once while the breaker is open.

        Raises:
            UpstreamUnavailable: the breaker is open (or half-open with a probe in flight).
        """
        if self.shared is not None:
            await self._sync()
        if self.state is BreakerState.CLOSED:
            return
        now = self._clock()
        if self.state is BreakerState.OPEN and now >= self.open_until:
            self._set(BreakerState.HALF_OPEN)
        if self.state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return
        wait = max(0.0, self.open_until - now)
        raise UpstreamUnavailable(
            f"carrier '{self.carrier}' is failing; its circuit breaker is open "
            f"(next try in {wait:.0f} s)",
            carrier=self.carrier,
        )

    def success(self) -> None:
        """A call succeeded: a half-open breaker closes."""
        self._count(failed=False)
        self._consecutive = 0
        if self.state is not BreakerState.CLOSED:
            self._probing = False
            self._set(BreakerState.CLOSED)
            self._publish(closed=True)

    def failure(self) -> None:
        """A call failed: the breaker may open (a failed probe re-opens it)."""
        self._count(failed=True)
        self._consecutive += 1
        policy = self.policy
        if self.state is BreakerState.HALF_OPEN:
            self._probing = False
            self._open()
        elif self.state is BreakerState.CLOSED and (
            self._consecutive >= policy.failures
            or (
                self._calls >= policy.min_calls
                and self._failures >= policy.error_rate * self._calls
            )
        ):
            self._open()

    def _count(self, *, failed: bool) -> None:
        now = self._clock()
        if now - self._window_start >= self.policy.window_seconds:
            self._window_start, self._calls, self._failures = now, 0, 0
        self._calls += 1
        self._failures += failed

    def _open(self) -> None:
        self.open_until = self._clock() + self.policy.open_seconds
        self.opened += 1
        self._set(BreakerState.OPEN)
        self._publish(closed=False)

    def _set(self, state: BreakerState) -> None:
        if state is not self.state:
            self.state = state
            if self._on_change is not None:
                self._on_change(self.carrier, state)

    def _publish(self, *, closed: bool) -> None:
        shared = self.shared
        if shared is None:
            return
        until, ttl = self.open_until, max(int(self.policy.open_seconds * 1000), 1)

        async def publish() -> None:
            if closed:
                await shared.run(lambda r: r.delete(self._key))
            else:
                await shared.run(lambda r: r.set(self._key, repr(until), px=ttl))

        task = asyncio.get_running_loop().create_task(publish())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync(self) -> None:
        """Adopt another process's open verdict (at most one Redis read a second)."""
        now = self._clock()
        if now < self._next_sync or self.shared is None:
            return
        self._next_sync = now + _SYNC_EVERY
        raw = await self.shared.run(lambda r: r.get(self._key))
        if raw is None:
            return
        try:
            until = float(raw)
        except ValueError:
            return
        if until > now and self.state is BreakerState.CLOSED:
            self.open_until = until
            self._set(BreakerState.OPEN)
