"""``switchboard connectors``: list the carrier catalog, probe carriers live, export the format."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from auth.directory import Directory
from connectors.errors import CarrierSpecError
from connectors.io import transport_factory
from connectors.probe import ProbeResult, probe
from connectors.registry import CARRIERS_DIR, Registry, carrier_records, load_specs
from connectors.sandbox.dataset import generate
from connectors.sandbox.server import Sandbox, free_port, serve_in_thread
from connectors.spec import SPEC_ADAPTER
from gateway.settings import SANDBOX_URL_VAR, Settings

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from connectors.spec import CarrierSpec

__all__ = ["connectors_app", "validate_carrier_files"]

connectors_app = typer.Typer(
    help="The carrier catalog: list, probe, file format.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)


def _fail(message: str) -> None:
    # Plain text: a rich console would wrap and shorten file paths and field names.
    sys.stderr.write(message + "\n")


def _load(
    settings: Settings, sandbox_url: str | None = None, *, catalog: bool = True
) -> dict[str, CarrierSpec]:
    """The carrier files: every shipped one (``catalog``), or only those ``serve`` loads."""
    variables = dict(os.environ)
    url = sandbox_url or settings.sandbox_url
    if url is not None:
        variables[SANDBOX_URL_VAR] = url
    directories = (
        [CARRIERS_DIR, *settings.carriers_dirs] if catalog else settings.carrier_directories()
    )
    try:
        return load_specs(directories, variables)
    except CarrierSpecError as exc:
        _fail(f"carrier file error: {exc}")
        raise typer.Exit(2) from exc


def validate_carrier_files(settings: Settings) -> None:
    """Stop with a clear message (exit 2) when a carrier file ``serve`` loads is unusable."""
    specs = _load(settings, catalog=False)

    async def build() -> None:
        registry = Registry(specs)
        await registry.aclose()

    try:
        asyncio.run(build())
    except CarrierSpecError as exc:
        _fail(f"carrier file error: {exc}")
        raise typer.Exit(2) from exc


@connectors_app.command("list")
def list_carriers(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Every carrier file found: id, name, protocol, capabilities."""
    specs = _load(Settings())
    ordered = sorted(specs.values(), key=lambda s: s.id)
    if as_json:
        rows = [
            {
                "id": s.id,
                "name": s.name,
                "protocol": s.protocol,
                "capabilities": sorted(c.value for c in s.capabilities),
                "base_url": s.base_url,
            }
            for s in ordered
        ]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"{len(ordered)} carriers")
    for column in ("id", "name", "protocol", "capabilities"):
        table.add_column(column)
    for s in ordered:
        table.add_row(s.id, s.name, s.protocol, ", ".join(sorted(c.value for c in s.capabilities)))
    console.print(table)


@connectors_app.command("schema")
def schema() -> None:
    """The JSON Schema of the carrier file format (for editors and CI)."""
    document = SPEC_ADAPTER.json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "Switchboard carrier file"
    sys.stdout.write(json.dumps(document, indent=2) + "\n")


@contextlib.contextmanager
def _demo_sandbox(
    settings: Settings,
) -> Iterator[tuple[dict[str, CarrierSpec], dict[str, list[str]]]]:
    url = f"http://127.0.0.1:{free_port()}"
    specs = _load(settings, url)
    data = generate(
        carrier_records(specs), seed=settings.sandbox_seed, customers=settings.sandbox_customers
    )
    sandbox = Sandbox(specs, data)
    keys = {c: [a.account_number for a in d.accounts[:5]] for c, d in data.carriers.items()}
    with serve_in_thread(sandbox.app, port=int(url.rsplit(":", 1)[1])):
        yield specs, keys


async def _directory_keys(settings: Settings) -> dict[str, list[str]]:
    sqlite = settings.sqlite_path()
    if sqlite is not None and not sqlite.exists():
        return {}
    directory = await Directory.open(settings.directory_url)
    try:
        links = await directory.links()
    finally:
        await directory.close()
    keys: dict[str, list[str]] = {}
    for link in links:
        if len(keys.setdefault(link.carrier, [])) < 5:
            keys[link.carrier].append(link.account_number)
    return keys


async def _probe_all(
    specs: Mapping[str, CarrierSpec],
    ids: Sequence[str],
    keys: Mapping[str, list[str]],
    settings: Settings,
) -> list[ProbeResult]:
    registry = Registry(
        {i: specs[i] for i in ids}, transport_factory=transport_factory(settings.upstream_io)
    )
    results: list[ProbeResult] = []
    try:
        with Progress(console=errors, transient=True) as progress:
            task = progress.add_task("probing carriers", total=len(ids))

            async def one(carrier: str) -> None:
                results.append(await probe(registry, carrier, keys.get(carrier, ())))
                progress.advance(task)

            await asyncio.gather(*(one(c) for c in ids))
    finally:
        await registry.aclose()
    return sorted(results, key=lambda r: r.carrier)


def _report(results: Sequence[ProbeResult]) -> None:
    table = Table(title="carrier probes")
    for column in ("carrier", "result", "ms", "capabilities", "problem"):
        table.add_column(column)
    for r in results:
        problems = "; ".join(
            f"{c.resource.value}: {c.code} {c.message}" for c in r.results if not c.ok
        )
        table.add_row(
            r.carrier,
            "[green]ok[/green]" if r.ok else "[red]FAIL[/red]",
            f"{r.seconds * 1000:.0f}",
            ", ".join(c.resource.value for c in r.results),
            problems,
        )
    console.print(table)


@connectors_app.command("check")
def check(
    carrier_ids: Annotated[
        list[str] | None, typer.Argument(help="Carrier ids (default: all).")
    ] = None,
    demo: Annotated[bool, typer.Option(help="Probe the sandbox carriers (started here).")] = False,
) -> None:
    """Probe carriers live; exits non-zero if any capability of any carrier fails."""
    settings = Settings()
    with contextlib.ExitStack() as stack:
        if demo:
            specs, keys = stack.enter_context(_demo_sandbox(settings))
        else:
            specs = _load(settings)
            keys = asyncio.run(_directory_keys(settings))
        ids = list(carrier_ids or sorted(specs))
        unknown = [i for i in ids if i not in specs]
        if unknown:
            _fail(f"unknown carrier ids: {', '.join(unknown)}")
            raise typer.Exit(2)
        results = asyncio.run(_probe_all(specs, ids, keys, settings))
    _report(results)
    failed = [r.carrier for r in results if not r.ok]
    if failed:
        _fail(f"{len(failed)} of {len(results)} carriers failed: {', '.join(failed)}")
        raise typer.Exit(1)


@connectors_app.command("status")
def status(
    url: Annotated[
        str | None,
        typer.Option(help="A running gateway's base URL (default: this host's settings)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Circuit breakers of a running gateway, from its /readyz (exit 1 if any is open)."""
    settings = Settings()
    base = url or f"http://{settings.host}:{settings.port}"
    try:
        response = httpx.get(f"{base.rstrip('/')}/readyz", timeout=5.0)
        ready = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        _fail(f"cannot read {base}/readyz: {exc}")
        raise typer.Exit(2) from exc
    breakers: dict[str, dict[str, object]] = ready.get("breakers") or {}
    if as_json:
        sys.stdout.write(json.dumps(breakers, indent=2) + "\n")
    else:
        table = Table(title=f"{base} is {ready.get('status')}")
        for column in ("carrier", "breaker", "opened (times)", "half-opens at"):
            table.add_column(column)
        for carrier, breaker in breakers.items():
            until = breaker.get("open_until")
            table.add_row(
                carrier,
                str(breaker.get("state")),
                str(breaker.get("opened")),
                "" if not isinstance(until, int | float) else _clock(until),
            )
        console.print(table)
    if any(b.get("state") != "closed" for b in breakers.values()):
        raise typer.Exit(1)


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%S UTC")
