"""The ``switchboard`` command: serve the gateway, list demo keys, print the schema."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from auth.directory import DemoKey, Directory, DirectoryUnavailable
from connectors.errors import CarrierSpecError
from connectors.registry import CARRIERS_DIR, load_specs
from connectors.sandbox.server import Sandbox, free_port, serve_in_thread
from gateway.cli_connectors import connectors_app, validate_carrier_files
from gateway.cli_directory import directory_app
from gateway.cli_documents import documents_app
from gateway.cli_keys import keys_app, tokens_app
from gateway.demo import seed_directory
from gateway.observability import configure_logging, prepare_metrics
from gateway.serving import open_directory, serve_app
from gateway.settings import SANDBOX_URL_VAR, Settings

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["main"]

app = typer.Typer(
    help="Switchboard: one GraphQL graph over every carrier's back office.", no_args_is_help=True
)
demo_app = typer.Typer(help="The demo: sandbox carriers and ready-made keys.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(connectors_app, name="connectors")
app.add_typer(directory_app, name="directory")
app.add_typer(documents_app, name="documents")
app.add_typer(keys_app, name="keys")
app.add_typer(tokens_app, name="tokens")
console = Console()

EXAMPLE_QUERY = """{
  viewer { party { name kind } role }
  customers(first: 1) {
    totalCount
    nodes {
      name
      accounts { carrier { name protocol } accountNumber }
      services(first: 5) {
        totalCount
        nodes { carrier { code } product status price { amount currency } }
      }
      invoices(first: 3) { nodes { invoiceNumber status total { amount currency } } }
      orders(filter: {open: true}) {
        nodes { orderId status inJeopardy milestones { kind plannedAt actualAt } }
      }
      tickets(filter: {open: true}) { nodes { ticketId severity status slaBreached } }
    }
  }
}"""


async def _demo_keys(settings: Settings) -> tuple[list[DemoKey], Sandbox, str]:
    url = settings.sandbox_url or f"http://127.0.0.1:{free_port()}"
    specs = load_specs(
        [CARRIERS_DIR, *settings.carriers_dirs], {**os.environ, SANDBOX_URL_VAR: url}
    )
    sqlite = settings.sqlite_path()
    if sqlite is not None:
        sqlite.parent.mkdir(parents=True, exist_ok=True)
    directory = await Directory.open(settings.directory_url)
    try:
        setup = await seed_directory(
            directory, specs, seed=settings.sandbox_seed, customers=settings.sandbox_customers
        )
    finally:
        await directory.close()
    return list(setup.keys), Sandbox(specs, setup.data), url


def _print_keys(keys: list[DemoKey]) -> None:
    # Plain lines, never a table: a key cut to the terminal's width cannot be copied.
    sys.stdout.write("Demo API keys (send as 'Authorization: Bearer <key>'):\n")
    for k in keys:
        sys.stdout.write(f"  {k.kind.value:<13} {k.role:<10} {k.party_id:<22} {k.key}\n")
    sys.stdout.flush()


@app.command()
def serve(
    demo: Annotated[bool, typer.Option(help="Start sandbox carriers and seed demo keys.")] = False,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
) -> None:
    """Run the gateway (GraphQL and GraphiQL at /graphql)."""
    try:
        settings = Settings(demo=True) if demo else Settings()
        configure_logging(settings.log_format)
        validate_carrier_files(settings)
        asyncio.run(_directory_reachable(settings))
        host = host or settings.host
        port = port if port is not None else settings.port
        workers = workers or settings.workers
        env = {"SWITCHBOARD_DEMO": "true" if demo or settings.demo else "false"}
        with serve_sandbox_if_demo(settings, demo or settings.demo) as (keys, url):
            if url is not None:
                env["SWITCHBOARD_SANDBOX_URL"] = url
            os.environ.update(env)
            if keys:
                _print_keys(keys)
                console.print(f"\nGraphiQL: http://{host}:{port}/graphql\nExample query:")
                console.print(EXAMPLE_QUERY, markup=False, highlight=False)
                console.print(
                    f"\ncurl -s http://{host}:{port}/graphql -H 'Authorization: Bearer "
                    f"{keys[0].key}' -H 'Content-Type: application/json' "
                    '-d \'{"query": "{ viewer { party { name kind } role } }"}\'',
                    markup=False,
                    highlight=False,
                )
            prepare_metrics(workers)
            serve_app(settings, host, port, workers)
    except CarrierSpecError as exc:
        sys.stderr.write(f"carrier file error: {exc}\n")
        raise typer.Exit(2) from exc
    except DirectoryUnavailable as exc:
        sys.stderr.write(f"cannot start: {exc}\n")
        raise typer.Exit(3) from exc


async def _directory_reachable(settings: Settings) -> None:
    """Wait for the directory database before serving (one line per failed try)."""
    sqlite = settings.sqlite_path()
    if sqlite is not None:
        sqlite.parent.mkdir(parents=True, exist_ok=True)
    directory = await open_directory(settings.directory_url, settings.directory_wait_seconds)
    await directory.close()


@contextlib.contextmanager
def serve_sandbox_if_demo(
    settings: Settings, demo: bool
) -> Iterator[tuple[list[DemoKey], str | None]]:
    """Seed the demo directory and run the sandbox carriers (demo only) while serving."""
    if not demo:
        yield [], settings.sandbox_url
        return
    keys, sandbox, url = asyncio.run(_demo_keys(settings))
    if settings.sandbox_url is not None:
        yield keys, url
        return
    with serve_in_thread(sandbox.app, port=int(url.rsplit(":", 1)[1])):
        yield keys, url


@demo_app.command("keys")
def demo_keys(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List the demo keys: one per party kind and role."""
    keys, _, _ = asyncio.run(_demo_keys(Settings()))
    if as_json:
        sys.stdout.write(
            json.dumps(
                [
                    {
                        "party": k.party_id,
                        "name": k.name,
                        "kind": k.kind.value,
                        "role": k.role,
                        "key": k.key,
                    }
                    for k in keys
                ],
                indent=2,
            )
            + "\n"
        )
    else:
        _print_keys(keys)


@app.command()
def schema() -> None:
    """Print the schema SDL (the federation subgraph)."""
    from gateway.schema import build_schema

    sys.stdout.write(build_schema().as_str() + "\n")


def main() -> None:
    """Entry point of the ``switchboard`` console script."""
    app()
