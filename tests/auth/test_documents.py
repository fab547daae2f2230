"""Trusted documents in the directory, on SQLite and PostgreSQL: ids are immutable."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from auth.documents import (
    DocumentConflict,
    Registered,
    TrustedDocument,
    list_documents,
    load_trusted,
    register_documents,
    remove_documents,
)
from tests.support.persisted import sha256

if TYPE_CHECKING:
    from auth.directory import Directory

ME = TrustedDocument.of("query Me { viewer { role } }", name="Me", kind="query")
RELAY = TrustedDocument.of("query Kind { viewer { kind } }", document_id="relay-kind-1")


async def test_registering_twice_changes_nothing(directory: Directory) -> None:
    first = await register_documents(directory, [ME, RELAY])
    again = await register_documents(directory, [ME, RELAY, ME])

    assert (first, again) == (Registered(2, 0), Registered(0, 2))
    trusted = await load_trusted(directory)
    me = trusted.by_id[sha256(ME.body)]
    assert (me.sha256, me.body, me.operation_name, me.operation_type) == (
        ME.sha256,
        ME.body,
        "Me",
        "query",
    )
    assert me.created_at is not None
    assert trusted.by_sha[RELAY.sha256].document_id == "relay-kind-1"
    assert len(trusted) == 2


async def test_an_id_keeps_its_text(directory: Directory) -> None:
    await register_documents(directory, [RELAY])
    changed = TrustedDocument.of("query Kind { viewer { role } }", document_id="relay-kind-1")

    with pytest.raises(DocumentConflict) as conflict:
        await register_documents(directory, [ME, changed])
    with pytest.raises(DocumentConflict):
        await register_documents(
            directory, [ME, TrustedDocument.of(RELAY.body, document_id=ME.document_id)]
        )

    assert conflict.value.document_ids == ["relay-kind-1"]
    assert [d.document_id for d in await list_documents(directory)] == ["relay-kind-1"]


async def test_removed_documents_are_gone(directory: Directory) -> None:
    await register_documents(directory, [ME, RELAY])

    assert await remove_documents(directory, ["relay-kind-1", "unknown"]) == 1
    assert await remove_documents(directory, ["relay-kind-1"]) == 0
    assert set((await load_trusted(directory)).by_id) == {ME.document_id}
