"""``switchboard directory``: load parties, links, markup rules and brands from a file.

``switchboard directory import FILE.yaml`` validates the whole file against itself and
the directory (``SWITCHBOARD_DIRECTORY_URL``) before writing anything, then upserts it:
running it twice changes nothing. The file format is documented in
:mod:`auth.commercial`. Exit codes: 0 done, 2 invalid file (every problem printed on
stderr as ``section[index].field: message``).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path  # noqa: TC003 - typer reads the annotation at runtime
from typing import TYPE_CHECKING, Annotated

import typer

from auth.commercial import DirectoryFileError, import_file
from auth.directory import Directory
from gateway.settings import Settings

if TYPE_CHECKING:
    from auth.commercial import ImportReport

__all__ = ["directory_app"]

directory_app = typer.Typer(
    help="The directory: parties, account links, markup rules and brands.", no_args_is_help=True
)


async def _import(settings: Settings, path: Path) -> ImportReport:
    sqlite = settings.sqlite_path()
    if sqlite is not None:
        sqlite.parent.mkdir(parents=True, exist_ok=True)
    directory = await Directory.open(settings.directory_url)
    try:
        return await import_file(directory, path)
    finally:
        await directory.close()


@directory_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="YAML file: parties, links, rules, brands.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Validate FILE, then create or update what it lists (idempotent)."""
    try:
        report = asyncio.run(_import(Settings(), file))
    except DirectoryFileError as exc:
        # Plain text: a rich console would wrap and shorten paths and field names.
        lines = [f"invalid directory file {exc.source}:", *(f"  {p}" for p in exc.problems)]
        sys.stderr.write("\n".join(lines) + "\n")
        raise typer.Exit(2) from exc
    if as_json:
        document = {
            name: {"created": c.created, "updated": c.updated, "unchanged": c.unchanged}
            for name, c in report.sections()
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    for name, c in report.sections():
        sys.stdout.write(
            f"{name:<8} {c.created} created, {c.updated} updated, {c.unchanged} unchanged\n"
        )
