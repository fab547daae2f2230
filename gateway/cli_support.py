"""What every directory-writing CLI command shares: a plain error exit and an open directory."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

from auth.directory import Directory

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from gateway.settings import Settings

__all__ = ["fail", "with_directory"]

T = TypeVar("T")


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` to stderr (plain: no wrapping) and exit with ``code``."""
    sys.stderr.write(message + "\n")
    raise typer.Exit(code)


async def with_directory(settings: Settings, work: Callable[[Directory], Awaitable[T]]) -> T:
    """Run ``work`` on the configured directory (a SQLite file's folder is created first)."""
    sqlite = settings.sqlite_path()
    if sqlite is not None:
        sqlite.parent.mkdir(parents=True, exist_ok=True)
    async with await Directory.open(settings.directory_url) as directory:
        return await work(directory)
