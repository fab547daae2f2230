"""A directory already at the newest revision opens without importing Alembic."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from alembic.script import ScriptDirectory

from auth.migrations import latest_revision, make_config

if TYPE_CHECKING:
    from pathlib import Path

OPEN = """
import asyncio, sys
from auth.directory import Directory

async def main(url):
    directory = await Directory.open(url)
    await directory.close()

asyncio.run(main(sys.argv[1]))
print("alembic" in sys.modules)
"""


def test_latest_revision_is_alembics_head() -> None:
    assert latest_revision() == ScriptDirectory.from_config(make_config()).get_current_head()


def test_a_directory_at_head_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}"

    def run() -> str:
        done = subprocess.run(  # noqa: S603 - this interpreter, our own script
            [sys.executable, "-c", OPEN, url],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout.strip()

    assert run() == "True"  # a new directory is migrated
    assert run() == "False"  # at head: nothing to do, Alembic never loaded
