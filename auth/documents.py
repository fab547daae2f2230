"""Trusted GraphQL documents: the operations a locked-down portal may run, in the directory.

A portal built with Apollo Client, GraphQL Codegen or Relay knows at build time every
operation it will send; its manifest is registered with ``switchboard documents
register`` and, with ``SWITCHBOARD_TRUSTED_DOCUMENTS=true``, the gateway runs nothing
else. The documents live in the directory database (table ``trusted_documents``, owned
by the Alembic migrations) rather than in a manifest file beside each gateway: every
gateway process already reads the directory and re-reads it every
``SWITCHBOARD_DIRECTORY_REFRESH_SECONDS`` (and on SIGHUP), so one registration reaches
them all, survives restarts and needs no file deployment. Which documents may run is
who-may-do-what data, like API keys, so it sits in ``auth/``; it knows nothing of GraphQL
beyond the text.

A document is kept under the id its manifest gives (Apollo's ``id``, the keys of a
Codegen or Relay map) and found by that id or by the sha256 of its text (what APQ clients
send). Ids are immutable: registering an id again with the same text changes nothing,
with another text is refused.

Example:
    >>> doc = TrustedDocument.of("query Me { viewer { role } }", name="Me", kind="query")
    >>> await register_documents(directory, [doc])
    Registered(created=1, unchanged=0)
    >>> (await load_trusted(directory)).by_sha[doc.sha256].body
    'query Me { viewer { role } }'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import delete, insert, select

from auth.tables import TrustedDocumentRow

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping
    from datetime import datetime

    from auth.directory import Directory

__all__ = [
    "DocumentConflict",
    "Registered",
    "TrustedDocument",
    "TrustedDocuments",
    "list_documents",
    "load_trusted",
    "register_documents",
    "remove_documents",
]


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    """One registered document: its id, the sha256 of its text, the text, what it is."""

    document_id: str
    sha256: str
    body: str
    operation_name: str | None = None
    operation_type: str | None = None
    created_at: datetime | None = None

    @classmethod
    def of(
        cls,
        body: str,
        *,
        document_id: str | None = None,
        name: str | None = None,
        kind: str | None = None,
    ) -> Self:
        """A document for ``body``; its id is its sha256 unless the manifest names one."""
        sha = hashlib.sha256(body.encode("utf-8")).hexdigest()
        return cls(document_id or sha, sha, body, name, kind)


@dataclass(frozen=True, slots=True)
class TrustedDocuments:
    """Every registered document, by id and by sha256 (immutable; rebuilt on reload)."""

    by_id: Mapping[str, TrustedDocument]
    by_sha: Mapping[str, TrustedDocument]

    @classmethod
    def build(cls, documents: Iterable[TrustedDocument] = ()) -> Self:
        ordered = sorted(documents, key=lambda d: d.document_id)
        return cls(
            by_id=MappingProxyType({d.document_id: d for d in ordered}),
            by_sha=MappingProxyType({d.sha256: d for d in ordered}),
        )

    def __len__(self) -> int:
        return len(self.by_id)


@dataclass(frozen=True, slots=True)
class Registered:
    """What one registration did."""

    created: int
    unchanged: int


class DocumentConflict(ValueError):
    """An id already registered with another text (ids are immutable)."""

    def __init__(self, document_ids: Collection[str]) -> None:
        self.document_ids = sorted(document_ids)
        super().__init__(
            "already registered with a different text: " + ", ".join(self.document_ids)
        )


def _document(row: Any) -> TrustedDocument:  # noqa: ANN401 (a SQLAlchemy Row)
    return TrustedDocument(
        document_id=row.document_id,
        sha256=row.sha256,
        body=row.body,
        operation_name=row.operation_name,
        operation_type=row.operation_type,
        created_at=row.created_at,
    )


async def list_documents(directory: Directory) -> list[TrustedDocument]:
    """Every registered document, by id."""
    row = TrustedDocumentRow
    columns = (row.document_id, row.sha256, row.body, row.operation_name, row.operation_type)
    async with directory.engine.connect() as conn:
        rows = await conn.execute(select(*columns, row.created_at).order_by(row.document_id))
        return [_document(r) for r in rows]


async def load_trusted(directory: Directory) -> TrustedDocuments:
    """The registered documents as the gateway's immutable lookup tables."""
    return TrustedDocuments.build(await list_documents(directory))


async def register_documents(
    directory: Directory, documents: Iterable[TrustedDocument]
) -> Registered:
    """Add documents in one transaction; already registered ones are left as they are.

    Raises:
        DocumentConflict: an id is registered (or listed twice) with another text;
            nothing is written.
    """
    wanted: dict[str, TrustedDocument] = {}
    conflicts: set[str] = set()
    for document in documents:
        seen = wanted.setdefault(document.document_id, document)
        if seen.sha256 != document.sha256:
            conflicts.add(document.document_id)
    row = TrustedDocumentRow
    async with directory.engine.begin() as conn:
        existing = {
            r.document_id: r.sha256
            for r in await conn.execute(
                select(row.document_id, row.sha256).where(row.document_id.in_(list(wanted)))
            )
        }
        conflicts.update(i for i, sha in existing.items() if wanted[i].sha256 != sha)
        if conflicts:
            raise DocumentConflict(conflicts)
        new = [d for i, d in wanted.items() if i not in existing]
        if new:
            await conn.execute(
                insert(row),
                [
                    {
                        "document_id": d.document_id,
                        "sha256": d.sha256,
                        "operation_name": d.operation_name,
                        "operation_type": d.operation_type,
                        "body": d.body,
                    }
                    for d in new
                ],
            )
    return Registered(created=len(new), unchanged=len(wanted) - len(new))


async def remove_documents(directory: Directory, document_ids: Collection[str]) -> int:
    """Remove documents by id; returns how many there were."""
    row = TrustedDocumentRow
    async with directory.engine.begin() as conn:
        result = await conn.execute(delete(row).where(row.document_id.in_(list(document_ids))))
        return int(result.rowcount or 0)
