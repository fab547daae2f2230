"""GraphQL over HTTP and WebSocket, to the GraphQL-over-HTTP spec, as one Starlette ASGI endpoint.

Strawberry's ``strawberry.asgi.GraphQL`` executes operations well but answers the
transport loosely: it always says ``application/json``, answers 200 for documents
that fail to parse or validate whatever the client accepts, 400 for a mutation
over GET, plain-text bodies for rejected requests, and it builds the context
before it knows who is asking. :class:`GraphQLEndpoint` keeps Strawberry's
execution, GraphiQL and ``graphql-transport-ws`` handling and fixes the rest
through Strawberry's own hooks:

* ``Accept`` negotiation between ``application/graphql-response+json`` and
  ``application/json`` (406 when neither is acceptable), and the spec's status
  codes for each (:func:`negotiate_media_type`, :meth:`GraphQLEndpoint.create_response`);
* 405 (``Allow``), 413, 415 and 400 rejections, each with a GraphQL-shaped body;
* authentication before the context is built, for HTTP requests and for WebSocket
  ``connection_init``;
* no internal exception text in responses (:func:`mask_unexpected`,
  :class:`MaskUnexpectedErrors`).

Every error body is ``{"errors": [{"message": ..., "extensions": {"code": ...}}]}``,
with the codes Apollo uses:

============================  ======================================================
``BAD_REQUEST``               not a well-formed GraphQL-over-HTTP request: bad JSON,
                              batch array, missing or non-string ``query``, unknown
                              ``operationName``, wrong method, media type or size
``GRAPHQL_PARSE_FAILED``      the document does not parse
``GRAPHQL_VALIDATION_FAILED`` the document does not validate against the schema
``BAD_USER_INPUT``            the ``variables`` do not fit the operation's variables
``UNAUTHENTICATED``           ``authenticate`` returned ``None``
``RATE_LIMITED``              ``admit`` refused the request (429, ``Retry-After``)
``QUERY_TOO_COMPLEX``         the answer would exceed ``max_response_bytes``
``INTERNAL``                  an unexpected exception (its text is logged, never sent)
``PERSISTED_QUERY_*``, ...    a persisted document the ``persisted`` hook refused
                              (the codes are listed in :mod:`gateway.persisted`)
============================  ======================================================

Example:
    ```python
    endpoint = GraphQLEndpoint(schema, context_getter=build_context, authenticate=auth)
    app = Starlette(
        routes=[Route("/graphql", endpoint), WebSocketRoute("/graphql", endpoint)]
    )
    ```
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final, TypeAlias, cast

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode, parse
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import MaskErrors
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from gateway.observability import REQUEST_ID

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cross_web import AsyncHTTPRequestAdapter
    from graphql import DocumentNode, GraphQLFormattedError
    from starlette.types import Message, Receive, Scope, Send
    from strawberry.http.base import BaseRequestProtocol
    from strawberry.schema import BaseSchema
    from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
        ConnectionInitMessage,
    )
    from strawberry.types import ExecutionResult

__all__ = [
    "APPLICATION_JSON",
    "GRAPHQL_RESPONSE_JSON",
    "INTERNAL_ERROR_MESSAGE",
    "AuthenticateFn",
    "ContextGetter",
    "GraphQLEndpoint",
    "MaskUnexpectedErrors",
    "PersistedHook",
    "Rejected",
    "Unavailable",
    "mask_unexpected",
    "negotiate_media_type",
    "require_one_operation",
]

logger = logging.getLogger(__name__)

GRAPHQL_RESPONSE_JSON: Final = "application/graphql-response+json"
APPLICATION_JSON: Final = "application/json"
INTERNAL_ERROR_MESSAGE: Final = "Internal server error"

BAD_REQUEST: Final = "BAD_REQUEST"
BAD_USER_INPUT: Final = "BAD_USER_INPUT"
PARSE_FAILED: Final = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED: Final = "GRAPHQL_VALIDATION_FAILED"
UNAUTHENTICATED: Final = "UNAUTHENTICATED"
RATE_LIMITED: Final = "RATE_LIMITED"
QUERY_TOO_COMPLEX: Final = "QUERY_TOO_COMPLEX"
INTERNAL: Final = "INTERNAL"

ContextGetter: TypeAlias = Callable[[Request | WebSocket, Response | None], Awaitable[object]]
"""Builds the per-request context; gets ``None`` as the response for a WebSocket."""

AuthenticateFn: TypeAlias = Callable[[HTTPConnection], Awaitable[object | None]]
"""Returns the principal behind a request, or ``None`` when its credentials are invalid."""

PersistedHook: TypeAlias = Callable[[GraphQLRequestData, object], Awaitable[GraphQLRequestData]]
"""Gives a request that names a persisted document its text, or raises :class:`Rejected`."""

# Where clients put a persisted document's id: the GraphQL-over-HTTP draft, Relay, and others.
_DOCUMENT_ID_FIELDS: Final = ("documentId", "doc_id", "id")

# Operations each method may run: queries only over GET (so GET stays safe and
# cacheable), subscriptions only over the WebSocket.
_ALLOWED_OPERATIONS: Final[Mapping[str, frozenset[OperationType]]] = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}


def mask_unexpected(error: GraphQLError) -> bool:
    """Is this error an unexpected exception whose text must not reach the client?

    Strawberry (through graphql-core) wraps whatever a resolver raises in a
    ``GraphQLError`` and keeps the raised exception in ``original_error``. A
    ``GraphQLError`` raised on purpose (with its ``extensions.code``) is shown
    as is; any other exception is a bug or an outage whose message may carry
    internals, so it is masked. Errors with no original exception (parse,
    validation, variable coercion) describe the client's own request and are
    never masked.

    Plug it into ``MaskErrors(should_mask_error=mask_unexpected)``, or use
    :class:`MaskUnexpectedErrors`, which also sets ``extensions.code``.
    """
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


def _internal_extensions() -> dict[str, object]:
    """``INTERNAL`` plus the request id, so a report can be matched to the gateway's logs."""
    request_id = REQUEST_ID.get()
    return {"code": INTERNAL} if request_id is None else {"code": INTERNAL, "requestId": request_id}


def _masked(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        INTERNAL_ERROR_MESSAGE,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=_internal_extensions(),
    )


class MaskUnexpectedErrors(MaskErrors):
    """Schema extension: unexpected exceptions become ``Internal server error``.

    Uses :func:`mask_unexpected` to pick them and answers
    ``{"message": "Internal server error", "extensions": {"code": "INTERNAL"}}``,
    keeping ``path`` and ``locations``. Strawberry logs the original error,
    traceback included, before the extension replaces it.

    Example:
        ```python
        schema = strawberry.Schema(query=Query, extensions=[MaskUnexpectedErrors])
        ```
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=mask_unexpected, error_message=INTERNAL_ERROR_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return _masked(error)


_EXACT: Final = 2  # specificity of a range naming the media type itself


def _parse_accept(accept: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media_range, *params = (piece.strip() for piece in part.split(";"))
        if not media_range:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media_range.lower(), quality))
    return ranges


def _match(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int] | None:
    """The quality and specificity of the most specific range naming ``media_type``."""
    main_type = media_type.split("/", 1)[0]
    specificity_of = {media_type: _EXACT, f"{main_type}/*": 1, "*/*": 0}
    best: tuple[int, float] | None = None
    for media_range, quality in ranges:
        specificity = specificity_of.get(media_range)
        if specificity is not None and (best is None or specificity > best[0]):
            best = (specificity, quality)
    return None if best is None else (best[1], best[0])


def negotiate_media_type(accept: str | None) -> str | None:
    """Which response media type does this ``Accept`` header ask for?

    Follows the GraphQL-over-HTTP spec's rules before its watershed:

    * no (or an empty) ``Accept``: ``application/json``;
    * the highest ``q`` wins, and a type the client names beats one it only
      reaches through ``*/*`` or ``application/*``;
    * on a tie between two named types, ``application/graphql-response+json``;
      on a tie through a wildcard alone (``*/*``, as curl sends), the legacy
      ``application/json``;
    * ``None`` when neither is acceptable: the caller answers 406.
    """
    if accept is None or not accept.strip():
        return APPLICATION_JSON
    ranges = _parse_accept(accept)
    best: tuple[tuple[float, int, bool], str] | None = None
    for media_type in (GRAPHQL_RESPONSE_JSON, APPLICATION_JSON):
        match = _match(media_type, ranges)
        if match is None or match[0] <= 0:
            continue
        quality, specificity = match
        # Named explicitly, the new type is preferred; reached by wildcard, the legacy one.
        preferred = (media_type == GRAPHQL_RESPONSE_JSON) == (specificity == _EXACT)
        key = (quality, specificity, preferred)
        if best is None or key > best[0]:
            best = (key, media_type)
    return None if best is None else best[1]


class _Rejection(HTTPException):
    """A request answered without executing it, as a GraphQL-shaped error body."""

    def __init__(
        self,
        status: HTTPStatus,
        message: str,
        *,
        code: str = BAD_REQUEST,
        headers: Mapping[str, str] | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(status, message)
        self.code = code
        self.headers = dict(headers or {})
        self.details = dict(details or {})


class Rejected(_Rejection):
    """A request refused before execution, answered ``status`` with ``extensions.code``.

    Example:
        >>> raise Rejected(HTTPStatus.FORBIDDEN, "not allowed", code="QUERY_NOT_IN_SAFELIST")
    """


class Unavailable(_Rejection):
    """Something the request needs is down for now: 503 with ``Retry-After``, code INTERNAL."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(
            HTTPStatus.SERVICE_UNAVAILABLE,
            message,
            code=INTERNAL,
            headers={"Retry-After": str(retry_after)},
            details={"retryAfter": retry_after},
        )


def _error_body(
    message: str, code: str, details: Mapping[str, object] | None = None
) -> dict[str, list[GraphQLFormattedError]]:
    return {"errors": [{"message": message, "extensions": {"code": code, **(details or {})}}]}


def _is_request_error(result: ExecutionResult) -> bool:
    """Did the operation fail before execution started?

    Parse and validation failures arrive as ``PreExecutionError``. Variable
    coercion failures come back from graphql-core's ``execute`` as plain results
    with no data and only path-less errors: a field error always has a path.
    """
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def _request_error_code(result: ExecutionResult, error: GraphQLError) -> str:
    if isinstance(result, PreExecutionError):
        return PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else VALIDATION_FAILED
    return BAD_USER_INPUT


def _format_error(error: GraphQLError, default_code: str | None) -> GraphQLFormattedError:
    formatted = error.formatted
    if default_code is None or (error.extensions or {}).get("code") is not None:
        return formatted
    # `formatted["extensions"]` is the error's own dict: copy, never mutate it.
    return {**formatted, "extensions": {**(error.extensions or {}), "code": default_code}}


def _status_for(body: GraphQLHTTPResponse, media_type: str) -> int:
    """The spec's status code for a GraphQL response body in ``media_type``.

    With ``application/graphql-response+json`` the status follows the body: a
    ``data`` entry means execution started (200, even with field errors), no
    ``data`` means a request error (400), or a server failure (500) when every
    error is an internal one. Legacy ``application/json`` clients get 200 for
    every well-formed request.
    """
    if "data" in body or media_type != GRAPHQL_RESPONSE_JSON:
        return HTTPStatus.OK
    codes = {_code_of(error) for error in body.get("errors") or []}
    return HTTPStatus.INTERNAL_SERVER_ERROR if codes == {INTERNAL} else HTTPStatus.BAD_REQUEST


def _code_of(formatted_error: object) -> object:
    extensions = cast("dict[str, Any]", formatted_error).get("extensions") or {}
    return extensions.get("code")


def _limit_body(receive: Receive, max_body_bytes: int) -> Receive:
    """Wrap ``receive`` so a request body longer than the limit is refused mid-stream."""
    received = 0

    async def limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_body_bytes:
                raise _too_large(max_body_bytes)
        return message

    return limited


def _too_large(max_body_bytes: int) -> _Rejection:
    return _Rejection(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        f"Request body is larger than {max_body_bytes} bytes.",
    )


@dataclass(frozen=True, slots=True)
class _AwaitingConnectionInit:
    """Stands in for the WebSocket context until ``connection_init`` authenticates."""

    websocket: WebSocket


class _AuthenticatingTransportWSHandler(BaseGraphQLTransportWSHandler[object, None]):
    """``graphql-transport-ws`` that authenticates ``connection_init`` first.

    Strawberry builds the context at the handshake and only then reads
    ``connection_init``, whose payload carries a browser client's credentials.
    This handler builds the context once the payload is known, so
    ``context_getter`` sees ``websocket.state.principal`` as it sees
    ``request.state.principal`` over HTTP. A rejection closes with 4403, a
    failure of ``authenticate`` or ``context_getter`` with 4500.
    """

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload", {})
        if isinstance(self.context, _AwaitingConnectionInit) and isinstance(payload, dict):
            endpoint = cast("GraphQLEndpoint", self.view)
            try:
                context = await endpoint.open_websocket_context(self.context.websocket, payload)
            except Exception:
                logger.exception("Unhandled error opening a GraphQL WebSocket connection")
                self.connection_init_received = True
                await self.websocket.close(code=4500, reason=INTERNAL_ERROR_MESSAGE)
                return
            if context is None:
                self.connection_init_received = True
                await self.websocket.close(code=4403, reason="Forbidden")
                return
            self.context = context
            if endpoint.schema_for is not None:
                self.schema = endpoint.schema_for(context)
        await super().handle_connection_init(message)


class GraphQLEndpoint(GraphQL[object, None]):
    """The ``/graphql`` endpoint: Strawberry's view held to the GraphQL-over-HTTP spec.

    Answers POST (``application/json`` bodies) and GET (queries only, from the
    query string), serves GraphiQL to browsers and runs ``graphql-transport-ws``
    on WebSocket connections. Checks, in order: method (405), GraphiQL page
    (served without authentication), ``Accept`` (406), POST ``Content-Type``
    (415), declared body size (413), ``authenticate`` (401), then the body
    itself (413, 400) and the operation (405 for a mutation over GET).

    Args:
        schema: the Strawberry schema to execute. Add :class:`MaskUnexpectedErrors`
            to its extensions so WebSocket results are masked too; HTTP results
            are masked here in any case.
        context_getter: builds the context from the request (or websocket) and
            the sub-response whose headers, cookies and status a resolver may
            set (``None`` for a websocket). The principal is in
            ``request.state.principal`` / ``websocket.state.principal``
            (``None`` when no ``authenticate`` is given).
        graphiql: serve the GraphiQL page to browsers that GET without a query.
        authenticate: awaited with each HTTP request, and with each WebSocket
            connection at ``connection_init`` (its ``authorization`` payload
            entry, when present, stands in for the upgrade's ``Authorization``
            header). ``None`` rejects: 401 over HTTP, close code 4403 over a
            websocket.
        max_body_bytes: the largest request body accepted (413 beyond).
        persisted: resolves persisted documents (``extensions.persistedQuery``, a
            ``documentId``) into their text before execution, and then checks the
            operation count itself (on its cached parse) in place of the endpoint.
        schema_for: picks the schema to run for a request's (or connection's) context,
            e.g. the authenticated party's audience view; ``schema`` when omitted.

    Example:
        ```python
        async def build_context(request, response):
            return GatewayContext(principal=request.state.principal)


        endpoint = GraphQLEndpoint(schema, context_getter=build_context, authenticate=auth)
        ```
    """

    graphql_transport_ws_handler_class = _AuthenticatingTransportWSHandler

    def __init__(
        self,
        schema: BaseSchema,
        *,
        context_getter: ContextGetter,
        graphiql: bool = True,
        authenticate: AuthenticateFn | None = None,
        max_body_bytes: int = 1_000_000,
        schema_for: Callable[[object], BaseSchema] | None = None,
        admit: Callable[[object], Awaitable[float | None]] | None = None,
        settle: Callable[[object], Awaitable[None]] | None = None,
        max_response_bytes: int = 0,
        persisted: PersistedHook | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            multipart_uploads_enabled=False,
        )
        self.context_getter = context_getter
        self.authenticate = authenticate
        self.max_body_bytes = max_body_bytes
        self.schema_for = schema_for
        self.admit = admit
        self.settle = settle
        self.max_response_bytes = max_response_bytes
        self.persisted = persisted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            websocket = WebSocket(scope, receive=receive, send=send)
            await self.run(websocket, context=_AwaitingConnectionInit(websocket))
            return
        if scope["type"] != "http":  # pragma: no cover - routers send only these two
            raise ValueError(f"Unsupported ASGI scope type: {scope['type']!r}")
        request = Request(scope, receive=_limit_body(receive, self.max_body_bytes))
        try:
            response = await self._respond(request)
        except Exception:
            # Whatever escaped (authenticate, context_getter, a bug here) is logged
            # with its traceback; the client learns only that it happened.
            logger.exception("Unhandled error answering a GraphQL request")
            details = _internal_extensions()
            details.pop("code")
            response = self._error_response(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                INTERNAL_ERROR_MESSAGE,
                INTERNAL,
                APPLICATION_JSON,
                details=details,
            )
        await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response:
        adapter = self.request_adapter_class(request)
        if request.method not in _ALLOWED_OPERATIONS:
            return self._error_response(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "GraphQL is served over GET and POST only.",
                BAD_REQUEST,
                negotiate_media_type(request.headers.get("accept")) or APPLICATION_JSON,
                headers={"Allow": "GET, POST"},
            )
        if self.should_render_graphql_ide(adapter):
            return await self.render_graphql_ide(request)
        media_type = negotiate_media_type(request.headers.get("accept"))
        if media_type is None:
            return self._error_response(
                HTTPStatus.NOT_ACCEPTABLE,
                f"Accept must allow {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}.",
                BAD_REQUEST,
                APPLICATION_JSON,
            )
        try:
            if request.method == "POST":
                self._check_post_headers(request)
            principal = None if self.authenticate is None else await self.authenticate(request)
            if self.authenticate is not None and principal is None:
                return self._error_response(
                    HTTPStatus.UNAUTHORIZED,
                    "invalid credentials",
                    UNAUTHENTICATED,
                    media_type,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            request.state.principal = principal
            return await self.run(request)
        except HTTPException as exc:
            code = exc.code if isinstance(exc, _Rejection) else BAD_REQUEST
            headers = exc.headers if isinstance(exc, _Rejection) else None
            details = exc.details if isinstance(exc, _Rejection) else None
            return self._error_response(
                exc.status_code, exc.reason, code, media_type, headers, details
            )

    def _check_post_headers(self, request: Request) -> None:
        content_type, params = parse_content_type(request.headers.get("content-type", ""))
        charset = params.get("charset", "utf-8").lower()
        if content_type != APPLICATION_JSON or charset not in {"utf-8", "utf8"}:
            raise _Rejection(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "POST bodies must be application/json (UTF-8).",
            )
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise _too_large(self.max_body_bytes)

    def _error_response(
        self,
        status: int,
        message: str,
        code: str,
        media_type: str,
        headers: Mapping[str, str] | None = None,
        details: Mapping[str, object] | None = None,
    ) -> Response:
        return Response(
            self.encode_json(_error_body(message, code, details)),
            status_code=status,
            headers=headers,
            media_type=f"{media_type}; charset=utf-8",
        )

    async def open_websocket_context(
        self, websocket: WebSocket, payload: Mapping[str, object]
    ) -> object | None:
        """Authenticate a websocket at ``connection_init`` and build its context.

        Returns ``None`` when ``authenticate`` rejects the connection. The
        payload's ``authorization`` entry, when present, replaces the upgrade
        request's ``Authorization`` header for ``authenticate``, so one backend
        reads credentials from headers for both transports.
        """
        principal: object | None = None
        if self.authenticate is not None:
            credentials = payload.get("authorization", payload.get("Authorization"))
            if credentials is not None and not isinstance(credentials, str):
                return None
            connection = (
                websocket if credentials is None else _with_authorization(websocket, credentials)
            )
            principal = await self.authenticate(connection)
            if principal is None:
                return None
        websocket.state.principal = principal
        return await self.context_getter(websocket, None)

    # -- Strawberry hooks ---------------------------------------------------------

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # Strawberry also renders for `*/*`, which would hand curl an HTML page;
        # only a browser navigation (which names text/html) gets GraphiQL.
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and request.query_params.get("query") is None
            and "text/html" in request.headers.get("accept", "")
        )

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> object:
        return await self.context_getter(
            request, response if isinstance(response, Response) else None
        )

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        # Set after construction, so Starlette adds no content-type header of its own.
        sub_response.media_type = (
            negotiate_media_type(request.headers.get("accept")) or APPLICATION_JSON
        )
        return sub_response

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        # UTF-8 as is (no \u escapes); values the schema serialized are JSON types already.
        return orjson.dumps(data, default=str)

    def parse_json(self, data: str | bytes) -> object:
        try:
            return self.decode_json(data)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, deep nesting
            raise _Rejection(HTTPStatus.BAD_REQUEST, "Request body is not valid JSON.") from exc

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        if request.method == "GET":
            # An empty parameter (`?variables=`) means absent, as in a form.
            present = {name: value for name, value in request.query_params.items() if value}
            data: object = self.parse_query_params(present)
        else:
            data = self.parse_json(await request.get_body())
        if isinstance(data, list):
            raise _Rejection(
                HTTPStatus.BAD_REQUEST,
                "Batched requests (a JSON array of operations) are not supported; "
                "send one operation per request.",
            )
        if not isinstance(data, dict):
            raise _Rejection(HTTPStatus.BAD_REQUEST, "The request body must be a JSON object.")
        query = data.get("query")
        variables = data.get("variables")
        operation_name = data.get("operationName")
        extensions = data.get("extensions")
        # A missing query is left to the schema: a persisted-query extension may supply it.
        for name, value, kind in (
            ("query", query, str),
            ("operationName", operation_name, str),
            ("variables", variables, dict),
            ("extensions", extensions, dict),
        ):
            if value is not None and not isinstance(value, kind):
                expected = "a string" if kind is str else "an object"
                raise _Rejection(HTTPStatus.BAD_REQUEST, f"`{name}` must be {expected} or null.")
        ids = (data.get(name) for name in _DOCUMENT_ID_FIELDS)
        document_id = next((value for value in ids if isinstance(value, str) and value), None)
        if document_id is not None:
            extensions = {**(extensions or {}), "documentId": document_id}
        return GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=operation_name,
            extensions=extensions,
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: object,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        method = request_adapter.method
        if self.persisted is not None:
            request_data = await self.persisted(request_data, context)
        elif request_data.operation_name is None and request_data.query:
            _require_single_operation(request_data.query)
        schema = self.schema if self.schema_for is None else self.schema_for(context)
        if self.admit is not None:
            wait = await self.admit(context)
            if wait is not None:
                seconds = max(1, math.ceil(wait))
                raise _Rejection(
                    HTTPStatus.TOO_MANY_REQUESTS,
                    f"Rate limit exceeded; retry in {seconds} s.",
                    code=RATE_LIMITED,
                    headers={"Retry-After": str(seconds)},
                    details={"retryAfter": seconds},
                )
        try:
            result = await schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=_ALLOWED_OPERATIONS[method],
                operation_extensions=request_data.extensions,
            )
        except MissingQueryError as exc:
            raise _Rejection(HTTPStatus.BAD_REQUEST, "The request has no `query`.") from exc
        except CannotGetOperationTypeError as exc:
            raise _Rejection(HTTPStatus.BAD_REQUEST, exc.as_http_error_reason()) from exc
        except InvalidOperationTypeError as exc:
            # The spec: a mutation over GET is 405, naming the method that would work.
            if method == "GET" and exc.operation_type is OperationType.MUTATION:
                raise _Rejection(
                    HTTPStatus.METHOD_NOT_ALLOWED,
                    "Mutations must be sent with POST.",
                    headers={"Allow": "POST"},
                ) from exc
            raise _Rejection(
                HTTPStatus.BAD_REQUEST,
                f"{exc.as_http_error_reason(method)}; subscriptions run over the WebSocket.",
            ) from exc
        if self.settle is not None:
            await self.settle(context)
        return result

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        request_error = _is_request_error(result)
        errors: list[object] = []
        for error in result.errors or []:
            if mask_unexpected(error):
                # Backstop for a schema built without MaskUnexpectedErrors.
                errors.append(_masked(error).formatted)
            else:
                code = _request_error_code(result, error) if request_error else None
                errors.append(_format_error(error, code))
        body: GraphQLHTTPResponse = {}
        # The GraphQL spec: a request error (before execution) has no `data` entry.
        if not request_error:
            body["data"] = result.data
        if errors:
            body["errors"] = errors
        if result.extensions:
            body["extensions"] = result.extensions
        return body

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        if isinstance(response_data, list):  # pragma: no cover - parse_http_body refuses batches
            raise TypeError("batched responses are not supported")
        media_type = sub_response.media_type or APPLICATION_JSON
        body = self.encode_json(response_data)
        if self.max_response_bytes and len(body) > self.max_response_bytes:
            limit = self.max_response_bytes
            response_data = {
                "data": None,
                "errors": [
                    {
                        "message": f"The answer is larger than {limit} bytes; ask for less "
                        "(smaller pages, fewer fields).",
                        "extensions": {"code": QUERY_TOO_COMPLEX, "limit": limit},
                    }
                ],
            }
            body = self.encode_json(response_data)
        response = Response(
            body,
            # A status a resolver set on the sub-response wins, as in Strawberry.
            status_code=sub_response.status_code or _status_for(response_data, media_type),
            media_type=f"{media_type}; charset=utf-8",
        )
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        return response


def _require_single_operation(query: str) -> None:
    """Refuse a document of several operations sent without ``operationName``.

    The GraphQL spec makes that a request error, but Strawberry quietly runs the
    first operation (possibly a mutation the client did not mean). Parsing twice
    costs a little, and only requests without ``operationName`` pay it.
    """
    try:
        document = parse(query, no_location=True)
    except GraphQLError:
        return  # the schema reports the syntax error with its code
    require_one_operation(document)


def require_one_operation(document: DocumentNode) -> None:
    """Refuse (400) a document of several operations sent without ``operationName``."""
    operations = [
        node for node in document.definitions if isinstance(node, OperationDefinitionNode)
    ]
    if len(operations) > 1:
        raise Rejected(
            HTTPStatus.BAD_REQUEST,
            "Must provide operationName if query contains multiple operations.",
        )


def _with_authorization(websocket: WebSocket, credentials: str) -> HTTPConnection:
    headers = [
        (name, value) for name, value in websocket.scope["headers"] if name != b"authorization"
    ]
    headers.append((b"authorization", credentials.encode("latin-1", errors="replace")))
    return HTTPConnection({**websocket.scope, "headers": headers})
