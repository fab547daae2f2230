"""``together``: gather without a task for the single call most batches are."""

from __future__ import annotations

import asyncio

import pytest

from connectors.base import together


async def _task_of(value: int) -> tuple[int, asyncio.Task[object] | None]:
    await asyncio.sleep(0)
    return value, asyncio.current_task()


async def test_a_single_call_runs_in_the_callers_task() -> None:
    [(value, task)] = await together([_task_of(1)])
    assert value == 1
    assert task is asyncio.current_task()


async def test_several_calls_run_concurrently_and_keep_their_order() -> None:
    started: list[int] = []
    all_started, release = asyncio.Event(), asyncio.Event()

    async def wait(value: int) -> int:
        started.append(value)
        if len(started) == 3:
            all_started.set()
        await release.wait()
        return value

    pending = asyncio.ensure_future(together([wait(1), wait(2), wait(3)]))
    await asyncio.wait_for(all_started.wait(), 5)  # all three wait at once
    release.set()
    assert await pending == [1, 2, 3]


async def test_a_failure_is_raised_to_the_caller() -> None:
    async def fail() -> int:
        raise LookupError("gone")

    with pytest.raises(LookupError, match="gone"):
        await together([fail()])
    with pytest.raises(LookupError, match="gone"):
        await together([_task_of(1), fail()])
