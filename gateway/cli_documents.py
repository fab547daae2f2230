"""``switchboard documents``: register the GraphQL documents a locked-down portal may run.

``switchboard documents register MANIFEST.json`` reads the manifest a client build
writes, checks every document against the gateway's schema before writing anything,
then stores them in the directory (``SWITCHBOARD_DIRECTORY_URL``, :mod:`auth.documents`),
where every gateway process finds them at its next directory refresh. Running it twice
changes nothing. Two manifest formats are read:

* Apollo's persisted-query manifest (``npx generate-persisted-query-manifest``)::

    {"format": "apollo-persisted-query-manifest", "version": 1,
     "operations": [{"id": "<sha256>", "name": "Me", "type": "query",
                     "body": "query Me { viewer { role } }"}]}

* a map of id to text, as GraphQL Codegen's client preset (``persistedDocuments``) and
  Relay's ``--persist-output`` write: ``{"<id>": "query Me { viewer { role } }"}``.

Exit codes: 0 done, 1 nothing to do (``remove`` of unknown ids), 2 invalid manifest (every
problem on stderr, as ``operations[2]: message``) or an id already registered with
another text.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path  # noqa: TC003 - typer reads the annotation at runtime
from typing import TYPE_CHECKING, Annotated, Final

import typer
from graphql import GraphQLError, OperationDefinitionNode, parse, specified_rules, validate

from auth.documents import (
    DocumentConflict,
    TrustedDocument,
    list_documents,
    register_documents,
    remove_documents,
)
from gateway.cli_support import fail, with_directory
from gateway.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Sequence

    from graphql import ASTValidationRule, GraphQLSchema

    from auth.directory import Directory


__all__ = ["ManifestError", "documents_app", "read_manifest"]

APOLLO_FORMAT: Final = "apollo-persisted-query-manifest"
_KINDS: Final = frozenset({"query", "mutation", "subscription"})

documents_app = typer.Typer(
    help="Trusted documents: the operations a locked-down portal may run "
    "(SWITCHBOARD_TRUSTED_DOCUMENTS=true).",
    no_args_is_help=True,
)


class ManifestError(ValueError):
    """A manifest that cannot be registered; ``problems`` says where and why."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"invalid manifest {source}: " + "; ".join(problems))


def _apollo(raw: dict[str, object], problems: list[str]) -> list[TrustedDocument]:
    if raw.get("version") != 1:
        problems.append(f"version: {raw.get('version')!r} is not 1")
    operations = raw.get("operations")
    if not isinstance(operations, list):
        problems.append("operations: must be a list")
        return []
    documents = []
    for index, operation in enumerate(operations):
        where = f"operations[{index}]"
        if not isinstance(operation, dict):
            problems.append(f"{where}: must be an object")
            continue
        body, ident = operation.get("body"), operation.get("id")
        name, kind = operation.get("name"), operation.get("type")
        if not isinstance(body, str) or not body.strip():
            problems.append(f"{where}.body: must be a GraphQL document")
        elif not isinstance(ident, str) or not ident:
            problems.append(f"{where}.id: must be a non-empty string")
        elif kind is not None and kind not in _KINDS:
            problems.append(f"{where}.type: {kind!r} is not query, mutation or subscription")
        else:
            documents.append(
                TrustedDocument.of(
                    body,
                    document_id=ident,
                    name=name if isinstance(name, str) else None,
                    kind=kind if isinstance(kind, str) else None,
                )
            )
    return documents


def _mapping(raw: dict[str, object], problems: list[str]) -> list[TrustedDocument]:
    documents = []
    for ident, body in raw.items():
        if not isinstance(body, str) or not body.strip():
            problems.append(f"{ident}: the value must be a GraphQL document")
        else:
            documents.append(TrustedDocument.of(body, document_id=ident))
    return documents


def _checked(
    document: TrustedDocument,
    schema: GraphQLSchema,
    rules: Sequence[type[ASTValidationRule]],
    where: str,
    problems: list[str],
) -> TrustedDocument:
    """The document with its operation's name and type filled in; problems appended."""
    from gateway.schema import MAX_TOKENS

    try:
        parsed = parse(document.body, max_tokens=MAX_TOKENS)
    except GraphQLError as exc:
        problems.append(f"{where}: {exc.message}")
        return document
    errors = validate(schema, parsed, rules)
    problems.extend(f"{where}: {error.message}" for error in errors)
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        return document
    operation = operations[0]
    return TrustedDocument(
        document.document_id,
        document.sha256,
        document.body,
        document.operation_name or (operation.name.value if operation.name else None),
        document.operation_type or operation.operation.value,
    )


def read_manifest(path: Path, schema: GraphQLSchema) -> list[TrustedDocument]:
    """The documents of a manifest, each parsed and validated against ``schema``.

    Raises:
        ManifestError: the file is not a manifest, or any document is invalid.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ManifestError(str(path), [f"cannot read it as JSON: {exc}"]) from exc
    problems: list[str] = []
    if isinstance(raw, dict) and raw.get("format") == APOLLO_FORMAT:
        documents = _apollo(raw, problems)
        places = [f"operations[{i}]" for i in range(len(documents))]
    elif isinstance(raw, dict) and "format" not in raw:
        documents = _mapping(raw, problems)
        places = [d.document_id for d in documents]
    else:
        raise ManifestError(
            str(path),
            [f"neither an {APOLLO_FORMAT} nor a JSON object of document id to text"],
        )
    from gateway.schema.limits import ShapeLimits  # the schema package is slow to import

    rules = [*specified_rules, ShapeLimits]
    documents = [
        _checked(d, schema, rules, where, problems)
        for d, where in zip(documents, places, strict=True)
    ]
    if problems:
        raise ManifestError(str(path), problems)
    return documents


@documents_app.command("register")
def register(
    manifest: Annotated[Path, typer.Argument(help="Apollo manifest or {id: text} JSON map.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Check every document of MANIFEST against the schema, then register them (idempotent)."""
    from gateway.schema import build_schema

    try:
        documents = read_manifest(manifest, build_schema()._schema)
    except ManifestError as exc:
        fail("\n".join([f"invalid manifest {exc.source}:", *(f"  {p}" for p in exc.problems)]))

    async def work(directory: Directory) -> tuple[int, int]:
        done = await register_documents(directory, documents)
        return done.created, done.unchanged

    try:
        created, unchanged = asyncio.run(with_directory(Settings(), work))
    except DocumentConflict as exc:
        fail(f"not registered: {exc}; give changed documents new ids")
    if as_json:
        sys.stdout.write(json.dumps({"created": created, "unchanged": unchanged}) + "\n")
    else:
        sys.stdout.write(f"documents {created} created, {unchanged} unchanged\n")


@documents_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List registered documents: id, sha256, operation, registered at."""
    rows = [
        {
            "id": d.document_id,
            "sha256": d.sha256,
            "name": d.operation_name,
            "type": d.operation_type,
            "created_at": None if d.created_at is None else d.created_at.isoformat("T", "seconds"),
        }
        for d in asyncio.run(with_directory(Settings(), list_documents))
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    sys.stdout.write(f"{'ID':<66} {'TYPE':<12} {'NAME':<32} REGISTERED\n")
    for r in rows:
        kind, name = r["type"] or "?", r["name"] or "(anonymous)"
        sys.stdout.write(f"{r['id']!s:<66} {kind!s:<12} {name!s:<32} {r['created_at']}\n")


@documents_app.command("remove")
def remove(
    document_ids: Annotated[list[str], typer.Argument(help="Ids as `documents list` shows.")],
) -> None:
    """Remove documents; gateways stop running them at their next directory refresh."""

    async def work(directory: Directory) -> int:
        return await remove_documents(directory, set(document_ids))

    removed = asyncio.run(with_directory(Settings(), work))
    if not removed:
        fail("no such document", code=1)
    sys.stdout.write(f"removed {removed}\n")
