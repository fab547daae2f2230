"""The persisted-document store and resolver without the app: Redis, fallback, modes.

Redis is the real one at 127.0.0.1:6379 under a key prefix of this test's own (removed
after); the outage is a port nothing listens on.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from http import HTTPStatus
from typing import TYPE_CHECKING

import pytest
from strawberry.http import GraphQLRequestData

from auth.documents import TrustedDocument, TrustedDocuments
from auth.principal import Principal
from connectors.models import PartyKind
from connectors.sandbox.server import free_port
from connectors.shared_redis import SharedRedis
from gateway.http import Rejected
from gateway.persisted import DocumentStore, PersistedQueries
from gateway.schema.documents import PreparedDocuments
from tests.support.persisted import apq, sha256
from tests.support.redis import shared_redis

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

ME = "query Me { viewer { role } }"
OTHER = "query Other { viewer { kind } }"


@pytest.fixture
async def shared() -> AsyncIterator[tuple[SharedRedis, str]]:
    """A live SharedRedis and a key prefix nobody else uses (cleaned up after)."""
    client = await shared_redis()
    prefix = f"sb:test-apq:{uuid.uuid4().hex}:"
    try:
        yield SharedRedis(client), prefix
    finally:
        async for key in client.scan_iter(f"{prefix}*"):
            await client.delete(key)
        await client.aclose()


async def test_redis_shares_texts_between_stores(shared: tuple[SharedRedis, str]) -> None:
    redis, prefix = shared
    one = DocumentStore(redis, prefix=prefix, ttl_seconds=120)
    other = DocumentStore(redis, prefix=prefix)  # another process: nothing of its own

    await one.put(sha256(ME), ME)

    assert await other.get(sha256(ME)) == ME
    assert await other.get(sha256(OTHER)) is None
    assert 0 < await redis.client.ttl(prefix + sha256(ME)) <= 120


async def test_a_text_in_redis_under_another_hash_is_a_miss(
    shared: tuple[SharedRedis, str],
) -> None:
    redis, prefix = shared
    await redis.client.set(prefix + sha256(ME), OTHER.encode())

    assert await DocumentStore(redis, prefix=prefix).get(sha256(ME)) is None


async def test_with_redis_down_the_process_keeps_its_own_texts() -> None:
    down = SharedRedis.from_url(f"redis://127.0.0.1:{free_port()}/0", timeout_seconds=0.2)
    store = DocumentStore(down)
    try:
        await store.put(sha256(ME), ME)
        found = await store.get(sha256(ME))
        missing = await store.get(sha256(OTHER))
    finally:
        await down.aclose()

    assert (found, missing) == (ME, None)
    assert not down.healthy


async def test_the_in_process_store_is_bounded_by_count_and_size() -> None:
    store = DocumentStore(max_documents=2, max_chars=len(ME) + len(OTHER) + 10)
    texts = [f"{{ viewer {{ role }} }} # {i}" for i in range(3)]
    for text in texts:
        await store.put(sha256(text), text)
    big = "{ viewer { role } }" + " " * 100

    assert [await store.get(sha256(t)) for t in texts] == [None, texts[1], texts[2]]
    await store.put(sha256(big), big)
    assert [await store.get(sha256(t)) for t in texts] == [None, None, None]
    assert await store.get(sha256(big)) is None  # larger than the whole budget


def test_a_claimed_hash_never_stands_in_for_another_text() -> None:
    documents = PreparedDocuments()
    me = documents.prepare(ME)

    sha, prepared = documents.find(OTHER, claimed=me.sha256)

    assert (sha, prepared) == (sha256(OTHER), None)
    assert documents.find(ME, claimed=me.sha256) == (me.sha256, me)
    assert documents.prepare(OTHER, me.sha256).sha256 == sha256(OTHER)


def context_of(kind: PartyKind) -> object:
    """A request context as the resolver sees one: it has the principal."""

    class Context:
        def __init__(self) -> None:
            party = f"{kind.value}-1"
            self.principal = Principal(party, kind, "admin", chain=(party,), name=party)

    return Context()


def request(
    query: str | None = None, extensions: dict[str, object] | None = None
) -> GraphQLRequestData:
    return GraphQLRequestData(
        query=query, variables=None, operation_name=None, extensions=extensions
    )


async def test_operator_bypass_lets_only_the_operator_run_unregistered_text() -> None:
    persisted = PersistedQueries(
        PreparedDocuments(), DocumentStore(), trusted_only=True, operator_bypass=True
    )

    ran = await persisted(request(ME), context_of(PartyKind.OPERATOR))
    with pytest.raises(Rejected) as refused:
        await persisted(request(ME), context_of(PartyKind.AGENT))

    assert ran.query == ME
    assert (refused.value.status_code, refused.value.code) == (
        HTTPStatus.FORBIDDEN,
        "QUERY_NOT_IN_SAFELIST",
    )
    assert persisted.gate(sha256(ME), context_of(PartyKind.OPERATOR)) is None
    assert persisted.gate(sha256(ME), context_of(PartyKind.AGENT)) is not None


async def test_without_apq_only_registered_documents_run_by_hash() -> None:
    store = DocumentStore()
    registered = TrustedDocuments.build([TrustedDocument.of(OTHER, document_id="other-1")])
    persisted = PersistedQueries(PreparedDocuments(), store, trusted=registered, apq=False)
    context = context_of(PartyKind.CUSTOMER)

    with pytest.raises(Rejected) as unknown:
        await persisted(request(extensions=apq(ME)), context)
    ran = await persisted(request(ME, apq(ME)), context)
    by_hash = await persisted(request(extensions=apq(OTHER)), context)
    by_id = await persisted(request(extensions={"documentId": "other-1"}), context)

    assert (unknown.value.status_code, unknown.value.code) == (
        HTTPStatus.OK,
        "PERSISTED_QUERY_NOT_SUPPORTED",
    )
    assert unknown.value.reason == "PersistedQueryNotSupported"
    assert ran.query == ME
    assert await store.get(sha256(ME)) is None  # run, not learned
    assert by_hash.query == by_id.query == OTHER


async def test_several_operations_without_a_name_are_refused_from_the_cached_parse() -> None:
    two = "query A { viewer { role } } query B { viewer { kind } }"
    persisted = PersistedQueries(PreparedDocuments(), DocumentStore())
    context = context_of(PartyKind.CUSTOMER)
    named = GraphQLRequestData(query=two, variables=None, operation_name="B", extensions=apq(two))
    await persisted(named, context)  # registered

    with pytest.raises(Rejected) as refused:
        await persisted(request(extensions=apq(two)), context)
    named = await persisted(replace(named, query=None), context)

    assert refused.value.status_code == HTTPStatus.BAD_REQUEST
    assert "operationName" in refused.value.reason
    assert named.query == two
