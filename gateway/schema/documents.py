"""Each GraphQL document is parsed once and validated once per schema, keyed by its sha256.

Persisted queries only pay off if a document sent by hash skips the work its text would
cost: :class:`PreparedDocuments` keeps the parsed ``DocumentNode`` of each document (keyed by
the sha256 of its text, the key APQ clients send) with its validation errors per audience
schema, and :class:`DocumentCache` hands them to Strawberry instead of parsing and
validating. A document sent as plain text is looked up the same way, so this replaces
Strawberry's ``ParserCache`` and ``ValidationCache``.

A hash the client claims is only a lookup hint: an entry is used when its text equals
the request's text (entries are stored under the hash of their own text), otherwise the
text is hashed here. A ``gate`` (trusted-documents mode, :mod:`gateway.persisted`) may refuse
a document before it is validated; over HTTP the endpoint refuses earlier, so this covers
the transports that run text directly (``graphql-transport-ws``).
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeAlias

from graphql import GraphQLError, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from graphql import ASTValidationRule, DocumentNode, GraphQLSchema

__all__ = [
    "DEFAULT_PREPARED_DOCUMENTS",
    "DocumentCache",
    "Gate",
    "Prepared",
    "PreparedDocuments",
    "claimed_hash",
    "sha256_hex",
]

DEFAULT_PREPARED_DOCUMENTS: Final = 1024
"""Parsed documents kept per process (an AST costs tens of kB; texts are kept elsewhere)."""

_SHA256: Final = re.compile(r"[0-9a-f]{64}")

Gate: TypeAlias = "Callable[[str, object], GraphQLError | None]"
"""``gate(sha256, context)``: the error refusing this document for this request, or ``None``."""

_ValidationKey: TypeAlias = "tuple[GraphQLSchema, tuple[type[ASTValidationRule], ...]]"


def sha256_hex(text: str) -> str:
    """The lowercase hex sha256 of a document's UTF-8 text (the APQ and manifest id)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def claimed_hash(extensions: Mapping[str, object] | None) -> str | None:
    """``extensions.persistedQuery.sha256Hash`` when it is well formed, else ``None``."""
    persisted = (extensions or {}).get("persistedQuery")
    if not isinstance(persisted, dict):
        return None
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str):
        return None
    sha = sha.lower()
    return sha if _SHA256.fullmatch(sha) else None


@dataclass(slots=True, eq=False)
class Prepared:
    """One parsed document and what validating it against each schema found."""

    sha256: str
    text: str
    document: DocumentNode
    errors: dict[_ValidationKey, list[GraphQLError]] = field(default_factory=dict)

    @property
    def operations(self) -> int:
        """How many operations the document defines."""
        return sum(isinstance(d, OperationDefinitionNode) for d in self.document.definitions)

    def validate(
        self, schema: GraphQLSchema, rules: tuple[type[ASTValidationRule], ...]
    ) -> list[GraphQLError]:
        """The validation errors against ``schema`` (computed on the first ask only)."""
        key = (schema, rules)
        known = self.errors.get(key)
        if known is None:
            known = self.errors[key] = validate_document(schema, self.document, rules)
        return known


class PreparedDocuments:
    """A bounded LRU of parsed documents by sha256, shared by every schema of a process.

    Example:
        >>> documents = PreparedDocuments(max_tokens=4000)
        >>> prepared = documents.prepare("{ viewer { role } }")
        >>> documents.get(prepared.sha256) is prepared
        True
    """

    def __init__(
        self, *, max_documents: int = DEFAULT_PREPARED_DOCUMENTS, max_tokens: int | None = None
    ) -> None:
        self.max_documents = max_documents
        self.max_tokens = max_tokens
        self.gate: Gate | None = None
        self._documents: OrderedDict[str, Prepared] = OrderedDict()

    def get(self, sha: str) -> Prepared | None:
        """The prepared document of this hash, if this process has it."""
        prepared = self._documents.get(sha)
        if prepared is not None:
            self._documents.move_to_end(sha)
        return prepared

    def find(self, text: str, claimed: str | None = None) -> tuple[str, Prepared | None]:
        """The hash of ``text`` and its prepared document, trusting ``claimed`` only if it fits."""
        if claimed is not None:
            prepared = self.get(claimed)
            if prepared is not None and (prepared.text is text or prepared.text == text):
                return claimed, prepared
        sha = sha256_hex(text)
        return sha, self.get(sha)

    def prepare(self, text: str, sha: str | None = None) -> Prepared:
        """The prepared document of ``text``, parsing it on the first ask.

        Args:
            text: The document.
            sha: Its sha256 when the caller has already computed (or verified) it.

        Raises:
            GraphQLError: The text does not parse, or has more tokens than allowed.
        """
        sha, prepared = self.find(text, sha)
        if prepared is None:
            document = parse(text, max_tokens=self.max_tokens)
            prepared = Prepared(sha256=sha, text=text, document=document)
            self._documents[sha] = prepared
            while len(self._documents) > self.max_documents:
                self._documents.popitem(last=False)
        return prepared

    def clear(self) -> None:
        """Forget every prepared document."""
        self._documents.clear()

    def __len__(self) -> int:
        return len(self._documents)


class DocumentCache(SchemaExtension):
    """Schema extension: parse and validate from :class:`PreparedDocuments`.

    A document that does not parse is left to Strawberry, which reports the error with
    its usual code (and is not cached).

    Example:
        ```python
        documents = PreparedDocuments(max_tokens=4000)
        schema = strawberry.Schema(Query, extensions=[lambda: DocumentCache(documents)])
        ```
    """

    def __init__(self, documents: PreparedDocuments) -> None:
        super().__init__()
        self.documents = documents
        self.prepared: Prepared | None = None

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is None and ctx.query:
            claimed = claimed_hash(ctx.operation_extensions)
            try:
                self.prepared = self.documents.prepare(ctx.query, claimed)
            except GraphQLError:
                self.prepared = None  # Strawberry parses again and reports it
            else:
                ctx.graphql_document = self.prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        prepared = self.prepared
        if prepared is not None and ctx.pre_execution_errors is None:
            gate = self.documents.gate
            refusal = None if gate is None else gate(prepared.sha256, ctx.context)
            if refusal is not None:
                ctx.pre_execution_errors = [refusal]
            else:
                errors = prepared.validate(ctx.schema._schema, ctx.validation_rules)
                ctx.pre_execution_errors = list(errors)
        yield
