"""Persisted documents: Apollo's automatic persisted queries (APQ) and trusted-documents mode.

A portal sends the same few operations thousands of times. With APQ (Apollo Client's
``createPersistedQueryLink``) it sends the sha256 of the text instead of the text, in
``extensions.persistedQuery``, over POST or a cacheable GET; the gateway answers
``PersistedQueryNotFound`` for a hash it does not know, the client sends hash and text
once, and from then on the hash is enough. A hash the gateway knows also skips the
work: the parsed document and its validation per audience are kept in
:class:`~gateway.schema.documents.PreparedDocuments` and the cost per page size in
:class:`~gateway.schema.limits.CostCache`, so a hit neither parses, validates nor
computes a cost. Texts are stored in Redis (``sb:apq:<sha256>``, with a TTL) when it is
configured, so every gateway process knows a hash one of them learned, and in a bounded
in-process LRU always, which carries on alone while Redis is down.

Trusted-documents mode (``SWITCHBOARD_TRUSTED_DOCUMENTS=true``) locks a portal down to
the documents registered from its clients' manifests (:mod:`auth.documents`): they run by
hash, by ``documentId`` or by their exact text; anything else, and any attempt to
register a new document through APQ, is refused. The check is made here for HTTP and by
the schema's document gate for the WebSocket. A document only names fields: whoever runs
it still gets their own audience's schema and row slice.

==========================================  ====  ==============================================
``PERSISTED_QUERY_NOT_FOUND``               200   hash unknown: send hash and text (APQ)
``PERSISTED_QUERY_NOT_SUPPORTED``           200   APQ is off: send the text
``PERSISTED_QUERY_HASH_MISMATCH``           400   the text's sha256 is not the hash sent
``PERSISTED_QUERY_VERSION_NOT_SUPPORTED``   400   ``persistedQuery.version`` is not 1
``PERSISTED_QUERY_NOT_IN_LIST``             403   trusted mode: id or hash not registered
                                                  (404 for an unknown ``documentId`` otherwise)
``QUERY_NOT_IN_SAFELIST``                   403   trusted mode: a text that is not registered
``BAD_REQUEST``                             400   a malformed ``persistedQuery``
==========================================  ====  ==============================================

The codes and statuses follow Apollo Server (APQ) and Apollo Router (safelisting), so
Apollo's clients react to them as they do there.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from http import HTTPStatus
from typing import TYPE_CHECKING, Final

from graphql import GraphQLError

from auth.documents import TrustedDocuments
from auth.principal import Principal
from connectors.models import PartyKind
from gateway.http import Rejected, require_one_operation
from gateway.observability import PERSISTED_QUERIES
from gateway.schema.documents import claimed_hash, sha256_hex

if TYPE_CHECKING:
    from collections.abc import Mapping

    from strawberry.http import GraphQLRequestData

    from connectors.shared_redis import SharedRedis
    from gateway.schema.documents import Prepared, PreparedDocuments

__all__ = [
    "CODES",
    "HASH_MISMATCH",
    "NOT_FOUND",
    "NOT_IN_LIST",
    "NOT_IN_SAFELIST",
    "NOT_SUPPORTED",
    "VERSION_NOT_SUPPORTED",
    "DocumentStore",
    "PersistedQueries",
]

NOT_FOUND: Final = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED: Final = "PERSISTED_QUERY_NOT_SUPPORTED"
HASH_MISMATCH: Final = "PERSISTED_QUERY_HASH_MISMATCH"
VERSION_NOT_SUPPORTED: Final = "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"
NOT_IN_LIST: Final = "PERSISTED_QUERY_NOT_IN_LIST"
NOT_IN_SAFELIST: Final = "QUERY_NOT_IN_SAFELIST"
CODES: Final = (
    NOT_FOUND,
    NOT_SUPPORTED,
    HASH_MISMATCH,
    VERSION_NOT_SUPPORTED,
    NOT_IN_LIST,
    NOT_IN_SAFELIST,
)

REDIS_PREFIX: Final = "sb:apq:"
_SHA256_PREFIX: Final = "sha256:"
_MAX_STORED_CHARS: Final = 64 * 1024 * 1024
"""The in-process store's budget beside its document count: texts may be up to a body long."""

_NOT_IN_SAFELIST_MESSAGE: Final = (
    "This gateway runs registered documents only, and this one is not registered."
)


class DocumentStore:
    """Document texts by sha256: an in-process LRU, in front of Redis when there is one.

    Redis failures are :class:`~connectors.shared_redis.SharedRedis`'s to absorb: a
    lookup it cannot make is a miss, a write it cannot make stays in this process.

    Example:
        >>> store = DocumentStore(SharedRedis.from_url("redis://127.0.0.1:6379/0"))
        >>> await store.put(sha, text)
        >>> await store.get(sha) == text
        True
    """

    def __init__(
        self,
        shared: SharedRedis | None = None,
        *,
        max_documents: int = 10_000,
        max_chars: int = _MAX_STORED_CHARS,
        ttl_seconds: float = 86_400,
        prefix: str = REDIS_PREFIX,
    ) -> None:
        self.shared = shared
        self.max_documents = max_documents
        self.max_chars = max_chars
        self.ttl_seconds = ttl_seconds
        self.prefix = prefix
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._chars = 0

    async def get(self, sha: str) -> str | None:
        """The text whose sha256 is ``sha``, if it was stored (here or in Redis)."""
        text = self._texts.get(sha)
        if text is not None:
            self._texts.move_to_end(sha)
            return text
        if self.shared is None:
            return None
        raw = await self.shared.run(lambda r: r.get(self.prefix + sha))
        if not isinstance(raw, bytes):
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if sha256_hex(text) != sha:  # not ours, or tampered with: a miss
            return None
        self._remember(sha, text)
        return text

    async def put(self, sha: str, text: str) -> None:
        """Store a text under its sha256 (the caller has checked that it is)."""
        self._remember(sha, text)
        if self.shared is not None:
            key, value = self.prefix + sha, text.encode("utf-8")
            ttl = max(1, round(self.ttl_seconds)) if self.ttl_seconds > 0 else None
            await self.shared.run(lambda r: r.set(key, value, ex=ttl))

    def _remember(self, sha: str, text: str) -> None:
        old = self._texts.pop(sha, None)
        if old is not None:
            self._chars -= len(old)
        self._texts[sha] = text
        self._chars += len(text)
        while self._texts and (
            len(self._texts) > self.max_documents or self._chars > self.max_chars
        ):
            _, evicted = self._texts.popitem(last=False)
            self._chars -= len(evicted)

    def forget_local(self) -> None:
        """Drop this process's copies (Redis keeps its own)."""
        self._texts.clear()
        self._chars = 0


def _is_operator(context: object) -> bool:
    principal = getattr(context, "principal", None)
    return isinstance(principal, Principal) and principal.kind is PartyKind.OPERATOR


def _requested_hash(persisted: object) -> str:
    """The hash of a well-formed ``extensions.persistedQuery``, else a 400."""
    if not isinstance(persisted, dict):
        raise Rejected(HTTPStatus.BAD_REQUEST, "`extensions.persistedQuery` must be an object.")
    if persisted.get("version") != 1:
        raise Rejected(
            HTTPStatus.BAD_REQUEST,
            "Unsupported persisted query version: only version 1 (sha256) is supported.",
            code=VERSION_NOT_SUPPORTED,
        )
    sha = claimed_hash({"persistedQuery": persisted})
    if sha is None:
        raise Rejected(
            HTTPStatus.BAD_REQUEST,
            "`extensions.persistedQuery.sha256Hash` must be 64 hexadecimal characters.",
        )
    return sha


class PersistedQueries:
    """Resolves persisted documents for the endpoint and gates them for the schema.

    Call it with a request before execution (it is the endpoint's ``persisted`` hook):
    it returns the request with its document's text, or raises
    :class:`~gateway.http.Rejected`. It also installs :meth:`gate` on ``documents`` when
    trusted-documents mode is on.

    Args:
        documents: The parsed documents the schema uses (shared with ``build_schema``).
        store: Where APQ texts live.
        trusted: The registered documents (replace the attribute to reload them).
        apq: Whether clients may register documents by sending hash and text.
        trusted_only: Trusted-documents mode: run registered documents only.
        operator_bypass: In trusted-documents mode, let the operator's own staff run
            any document (and register through APQ).
        max_document_bytes: The largest text stored through APQ.

    Example:
        ```python
        persisted = PersistedQueries(documents, DocumentStore(shared), trusted=trusted)
        endpoint = GraphQLEndpoint(schema, context_getter=..., persisted=persisted)
        ```
    """

    def __init__(
        self,
        documents: PreparedDocuments,
        store: DocumentStore,
        *,
        trusted: TrustedDocuments | None = None,
        apq: bool = True,
        trusted_only: bool = False,
        operator_bypass: bool = False,
        max_document_bytes: int = 1_000_000,
    ) -> None:
        self.documents = documents
        self.store = store
        self.trusted = trusted if trusted is not None else TrustedDocuments.build()
        self.apq = apq
        self.trusted_only = trusted_only
        self.operator_bypass = operator_bypass
        self.max_document_bytes = max_document_bytes
        if trusted_only:
            documents.gate = self.gate

    def locked(self, context: object) -> bool:
        """Does this request's principal run registered documents only?"""
        return self.trusted_only and not (self.operator_bypass and _is_operator(context))

    def gate(self, sha: str, context: object) -> GraphQLError | None:
        """The schema's check of a document it is about to run (any transport)."""
        if sha in self.trusted.by_sha or not self.locked(context):
            return None
        PERSISTED_QUERIES.labels("refused").inc()
        return GraphQLError(_NOT_IN_SAFELIST_MESSAGE, extensions={"code": NOT_IN_SAFELIST})

    async def __call__(self, data: GraphQLRequestData, context: object) -> GraphQLRequestData:
        extensions: Mapping[str, object] = data.extensions or {}
        locked = self.locked(context)
        text, sha = data.query, None
        persisted = extensions.get("persistedQuery")
        document_id = extensions.get("documentId")
        if persisted is not None:
            sha = _requested_hash(persisted)
            if text is not None and sha256_hex(text) != sha:
                PERSISTED_QUERIES.labels("refused").inc()
                raise Rejected(
                    HTTPStatus.BAD_REQUEST, "provided sha does not match query", code=HASH_MISMATCH
                )
            text = self._trusted_text(sha, text) if locked else await self._apq_text(sha, text)
        elif isinstance(document_id, str) and text is None:
            sha, text = await self._by_document_id(document_id, locked)
        elif locked and text is not None:
            sha = sha256_hex(text)
            if sha not in self.trusted.by_sha:
                PERSISTED_QUERIES.labels("refused").inc()
                raise Rejected(HTTPStatus.FORBIDDEN, _NOT_IN_SAFELIST_MESSAGE, code=NOT_IN_SAFELIST)
        if text is None:
            return data  # the endpoint answers that there is no query
        prepared = self._prepared(text, sha) if sha or data.operation_name is None else None
        if prepared is not None and data.operation_name is None:
            require_one_operation(prepared.document)
        if sha is None:
            return data
        # The hint lets the schema find the prepared document without hashing the text again.
        hint = {**extensions, "persistedQuery": {"version": 1, "sha256Hash": sha}}
        query = prepared.text if prepared is not None else text
        return dataclasses.replace(data, query=query, extensions=hint)

    def _prepared(self, text: str, sha: str | None) -> Prepared | None:
        try:
            return self.documents.prepare(text, sha)
        except GraphQLError:
            return None  # the schema reports the syntax error with its code

    def _trusted_text(self, sha: str, text: str | None) -> str:
        document = self.trusted.by_sha.get(sha)
        if document is None and text is None:
            document = self.trusted.by_id.get(sha)
        if document is None:
            PERSISTED_QUERIES.labels("refused").inc()
            if text is None:
                raise Rejected(
                    HTTPStatus.FORBIDDEN,
                    f"Persisted query {sha} is not in this gateway's list of trusted documents.",
                    code=NOT_IN_LIST,
                )
            # An APQ registration: nothing new is learned in trusted-documents mode.
            raise Rejected(HTTPStatus.FORBIDDEN, _NOT_IN_SAFELIST_MESSAGE, code=NOT_IN_SAFELIST)
        PERSISTED_QUERIES.labels("hit").inc()
        return document.body

    async def _apq_text(self, sha: str, text: str | None) -> str:
        if text is not None:
            if self.apq and len(text.encode("utf-8")) <= self.max_document_bytes:
                prepared = self._prepared(text, sha)
                if prepared is not None:  # only documents that parse are worth keeping
                    await self.store.put(sha, prepared.text)
                    PERSISTED_QUERIES.labels("registered").inc()
            return text
        known = await self._known(sha)
        if known is not None:
            PERSISTED_QUERIES.labels("hit").inc()
            return known
        PERSISTED_QUERIES.labels("miss").inc()
        if not self.apq:
            raise Rejected(HTTPStatus.OK, "PersistedQueryNotSupported", code=NOT_SUPPORTED)
        raise Rejected(HTTPStatus.OK, "PersistedQueryNotFound", code=NOT_FOUND)

    async def _known(self, sha: str) -> str | None:
        """The text of a hash: registered, or (with APQ on) learned by this or another process."""
        document = self.trusted.by_sha.get(sha) or self.trusted.by_id.get(sha)
        if document is not None:
            return document.body
        if not self.apq:
            return None
        prepared = self.documents.get(sha)
        if prepared is not None:
            return prepared.text
        return await self.store.get(sha)

    async def _by_document_id(self, document_id: str, locked: bool) -> tuple[str, str]:
        document = self.trusted.by_id.get(document_id)
        if document is not None:
            PERSISTED_QUERIES.labels("hit").inc()
            return document.sha256, document.body
        sha = claimed_hash(
            {"persistedQuery": {"sha256Hash": document_id.removeprefix(_SHA256_PREFIX)}}
        )
        if sha is not None and document_id.startswith(_SHA256_PREFIX):
            if locked:
                return sha, self._trusted_text(sha, None)  # refuses an unknown one
            text = await self._known(sha)
            if text is not None:
                PERSISTED_QUERIES.labels("hit").inc()
                return sha, text
        PERSISTED_QUERIES.labels("refused" if locked else "miss").inc()
        raise Rejected(
            HTTPStatus.FORBIDDEN if locked else HTTPStatus.NOT_FOUND,
            f"No persisted document has the id {document_id!r}.",
            code=NOT_IN_LIST,
        )
