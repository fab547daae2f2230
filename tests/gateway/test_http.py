"""GraphQLEndpoint against the GraphQL-over-HTTP spec, over real sockets.

A stand-in schema (not the gateway's) runs under uvicorn in a thread; httpx and
the websockets client talk to it as any client would.
"""

# No `from __future__ import annotations`: Strawberry reads the resolvers' annotations.
import json
from collections.abc import AsyncGenerator, Iterator

import httpx
import pytest
import strawberry
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.types import Info
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from gateway.http import (
    APPLICATION_JSON,
    GRAPHQL_RESPONSE_JSON,
    GraphQLEndpoint,
    MaskUnexpectedErrors,
    mask_unexpected,
    negotiate_media_type,
)
from tests.support.servers import serve_in_thread

GOOD_KEY = "Bearer good-key"
SECRET = "db password is hunter2"
GR_JSON = f"{GRAPHQL_RESPONSE_JSON}; charset=utf-8"
JSON = f"{APPLICATION_JSON}; charset=utf-8"

# --- stand-in schema --------------------------------------------------------------

Context = dict[str, object]


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"hello {name}"

    @strawberry.field
    def whoami(self, info: Info[Context, None]) -> str | None:
        principal = info.context["principal"]
        return None if principal is None else str(principal)

    @strawberry.field
    def forbidden(self) -> str | None:
        raise GraphQLError("not yours", extensions={"code": "FORBIDDEN"})

    @strawberry.field
    def boom(self) -> str | None:
        raise RuntimeError(SECRET)

    @strawberry.field
    def required_boom(self) -> str:
        raise GraphQLError("gone", extensions={"code": "UPSTREAM_UNAVAILABLE"})


@strawberry.type
class Mutation:
    @strawberry.mutation
    def bump(self, by: int = 1) -> int:
        return by + 1


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self, info: Info[Context, None]) -> AsyncGenerator[str, None]:
        for tick in range(2):
            yield f"{info.context['principal']}:{tick}"


masked_schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    extensions=[MaskUnexpectedErrors],
)
bare_schema = strawberry.Schema(query=Query, mutation=Mutation)


async def context_getter(request: Request | WebSocket, response: Response | None) -> Context:
    return {"principal": request.state.principal, "request": request, "response": response}


async def authenticate(connection: HTTPConnection) -> str | None:
    header = connection.headers.get("authorization")
    if header == "Bearer explode":
        raise RuntimeError(SECRET)
    return "acme" if header == GOOD_KEY else None


def build_app() -> Starlette:
    secured = GraphQLEndpoint(
        masked_schema, context_getter=context_getter, authenticate=authenticate
    )
    open_ = GraphQLEndpoint(bare_schema, context_getter=context_getter, graphiql=False)
    small = GraphQLEndpoint(bare_schema, context_getter=context_getter, max_body_bytes=64)
    return Starlette(
        routes=[
            Route("/graphql", secured),
            WebSocketRoute("/graphql", secured),
            Route("/open", open_),
            Route("/small", small),
        ]
    )


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(build_app()) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=base_url, headers={"authorization": GOOD_KEY}, trust_env=False, timeout=10
    ) as http:
        yield http


def post(
    client: httpx.Client, body: object, accept: str = GRAPHQL_RESPONSE_JSON, path: str = "/graphql"
) -> httpx.Response:
    return client.post(path, json=body, headers={"accept": accept})


def codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in response.json()["errors"]]


# --- media types and the happy path ------------------------------------------------


def test_post_json_answers_graphql_response_json(client: httpx.Client) -> None:
    response = post(
        client,
        {
            "query": "query Q($n: String!) { hello(name: $n) }",
            "variables": {"n": "ann"},
            "operationName": "Q",
        },
    )

    assert response.status_code == 200
    assert response.headers["content-type"] == GR_JSON
    assert response.json() == {"data": {"hello": "hello ann"}}


def test_post_json_answers_application_json_to_legacy_clients(client: httpx.Client) -> None:
    response = post(client, {"query": "{ hello }"}, accept=APPLICATION_JSON)

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == {"data": {"hello": "hello world"}}


def test_missing_accept_means_application_json(client: httpx.Client) -> None:
    request = client.build_request("POST", "/graphql", json={"query": "{ hello }"})
    del request.headers["accept"]

    response = client.send(request)

    assert response.status_code == 200
    assert response.headers["content-type"] == JSON


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, APPLICATION_JSON),
        ("", APPLICATION_JSON),
        ("*/*", APPLICATION_JSON),
        ("application/*", APPLICATION_JSON),
        (APPLICATION_JSON, APPLICATION_JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, {APPLICATION_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{APPLICATION_JSON}, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{APPLICATION_JSON}, {GRAPHQL_RESPONSE_JSON};q=0.9", APPLICATION_JSON),
        (f"{GRAPHQL_RESPONSE_JSON}, */*;q=0.8", GRAPHQL_RESPONSE_JSON),
        ("text/html,application/xhtml+xml,*/*;q=0.8", APPLICATION_JSON),
        (f"{APPLICATION_JSON};q=0, */*", GRAPHQL_RESPONSE_JSON),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("text/html", None),
        ("application/xml", None),
        (f"{GRAPHQL_RESPONSE_JSON};q=0", None),
    ],
)
def test_negotiate_media_type(accept: str | None, expected: str | None) -> None:
    assert negotiate_media_type(accept) == expected


@pytest.mark.parametrize("accept", ["application/xml", "text/html"])
def test_unacceptable_accept_is_406(client: httpx.Client, accept: str) -> None:
    response = client.get("/graphql", params={"query": "{ hello }"}, headers={"accept": accept})

    assert response.status_code == 406
    assert response.headers["content-type"] == JSON
    assert codes(response) == ["BAD_REQUEST"]


def test_get_runs_queries_with_json_encoded_variables(client: httpx.Client) -> None:
    response = client.get(
        "/graphql",
        params={
            "query": "query($n: String!) { hello(name: $n) }",
            "variables": json.dumps({"n": "bo"}),
            "extensions": "",
        },
        headers={"accept": GRAPHQL_RESPONSE_JSON},
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"hello": "hello bo"}}


def test_post_runs_mutations(client: httpx.Client) -> None:
    response = post(client, {"query": "mutation { bump(by: 2) }"})

    assert response.status_code == 200
    assert response.json() == {"data": {"bump": 3}}


# --- methods -----------------------------------------------------------------------


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
def test_mutation_over_get_is_405_allowing_post(client: httpx.Client, accept: str) -> None:
    response = client.get(
        "/graphql", params={"query": "mutation { bump }"}, headers={"accept": accept}
    )

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    assert codes(response) == ["BAD_REQUEST"]
    assert "data" not in response.json()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(client: httpx.Client, method: str) -> None:
    response = client.request(method, "/graphql", json={"query": "{ hello }"})

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert codes(response) == ["BAD_REQUEST"]


def test_subscription_over_post_is_400(client: httpx.Client) -> None:
    response = post(client, {"query": "subscription { ticks }"})

    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


# --- request errors: status by media type -----------------------------------------


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ hello ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("query($n: Int!) { bump: hello }", None, "GRAPHQL_VALIDATION_FAILED"),  # unused variable
        ("query($n: String!) { hello(name: $n) }", {"n": 3}, "BAD_USER_INPUT"),
        ("query($n: String!) { hello(name: $n) }", None, "BAD_USER_INPUT"),
    ],
)
@pytest.mark.parametrize(
    ("accept", "status"), [(GRAPHQL_RESPONSE_JSON, 400), (APPLICATION_JSON, 200)]
)
def test_document_errors_status_depends_on_media_type(
    client: httpx.Client, query: str, variables: object, code: str, accept: str, status: int
) -> None:
    response = post(client, {"query": query, "variables": variables}, accept=accept)

    assert response.status_code == status
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    body = response.json()
    assert "data" not in body  # a request error has no data entry at all
    assert codes(response) == [code] * len(body["errors"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "no `query`"),
        ({"query": ""}, "no `query`"),
        ({"query": 1}, "`query` must be a string"),
        ({"query": ["{ hello }"]}, "`query` must be a string"),
        ({"query": "{ hello }", "variables": "{}"}, "`variables` must be an object"),
        ({"query": "{ hello }", "variables": []}, "`variables` must be an object"),
        ({"query": "{ hello }", "extensions": 1}, "`extensions` must be an object"),
        ({"query": "{ hello }", "operationName": 3}, "`operationName` must be a string"),
        ({"query": "query A { hello }", "operationName": "B"}, 'Unknown operation named "B"'),
        ({"query": "query A { hello } query B { hello }"}, "Must provide operationName"),
        ({"query": "mutation A { bump } mutation B { bump }"}, "Must provide operationName"),
        ("just a string", "must be a JSON object"),
        ([{"query": "{ hello }"}, {"query": "{ hello }"}], "Batched requests"),
    ],
)
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
def test_malformed_requests_are_400_in_both_media_types(
    client: httpx.Client, body: object, message: str, accept: str
) -> None:
    response = post(client, body, accept=accept)

    assert response.status_code == 400
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    (error,) = response.json()["errors"]
    assert message in error["message"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert "data" not in response.json()


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"query": "{ hello }"', b"\xff\xfe", b"[" * 100_000, b""]
)
def test_bad_json_is_400(client: httpx.Client, content: bytes) -> None:
    response = client.post(
        "/graphql",
        content=content,
        headers={"content-type": "application/json", "accept": GRAPHQL_RESPONSE_JSON},
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"message": "Request body is not valid JSON.", "extensions": {"code": "BAD_REQUEST"}}
        ]
    }


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/graphql",
        "application/json; charset=latin-1",
        "application/jsonx",
    ],
)
def test_unsupported_content_type_is_415(client: httpx.Client, content_type: str | None) -> None:
    headers = {"accept": GRAPHQL_RESPONSE_JSON}
    if content_type is not None:
        headers["content-type"] = content_type
    # httpx sends no content-type of its own for raw `content`
    response = client.post("/graphql", content=b'{"query": "{ hello }"}', headers=headers)

    assert response.status_code == 415
    assert codes(response) == ["BAD_REQUEST"]


def test_json_content_type_with_utf8_charset_is_accepted(client: httpx.Client) -> None:
    response = client.post(
        "/graphql",
        content='{"query": "{ hello(name: \\"zoë\\") }"}'.encode(),
        headers={
            "content-type": "application/json; charset=UTF-8",
            "accept": GRAPHQL_RESPONSE_JSON,
        },
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"hello": "hello zoë"}}


def test_declared_oversized_body_is_413(client: httpx.Client) -> None:
    response = post(client, {"query": "{ hello }", "pad": "x" * 100}, path="/small")

    assert response.status_code == 413
    assert codes(response) == ["BAD_REQUEST"]


def test_streamed_oversized_body_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ hello }", "pad": "'
        yield b"x" * 40
        yield b"x" * 40
        yield b'"}'

    response = client.post(
        "/small",
        content=chunks(),  # chunked: no Content-Length to check up front
        headers={"content-type": "application/json", "accept": GRAPHQL_RESPONSE_JSON},
    )

    assert response.status_code == 413
    assert codes(response) == ["BAD_REQUEST"]


def test_body_within_limit_is_served(client: httpx.Client) -> None:
    response = post(client, {"query": "{ hello }"}, path="/small")

    assert response.status_code == 200


# --- execution errors ----------------------------------------------------------------


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
def test_field_errors_keep_partial_data_and_200(client: httpx.Client, accept: str) -> None:
    response = post(client, {"query": "{ hello forbidden }"}, accept=accept)

    assert response.status_code == 200
    assert response.json() == {
        "data": {"hello": "hello world", "forbidden": None},
        "errors": [
            {
                "message": "not yours",
                "locations": [{"line": 1, "column": 9}],
                "path": ["forbidden"],
                "extensions": {"code": "FORBIDDEN"},
            }
        ],
    }


def test_null_data_after_execution_is_still_200_with_data_entry(client: httpx.Client) -> None:
    response = post(client, {"query": "{ requiredBoom }"})

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert codes(response) == ["UPSTREAM_UNAVAILABLE"]


@pytest.mark.parametrize("path", ["/graphql", "/open"])  # with and without the schema extension
def test_unexpected_exceptions_are_masked(client: httpx.Client, path: str) -> None:
    response = post(client, {"query": "{ hello boom }"}, path=path)

    assert response.status_code == 200
    assert SECRET not in response.text
    assert "Traceback" not in response.text
    assert response.json() == {
        "data": {"hello": "hello world", "boom": None},
        "errors": [
            {
                "message": "Internal server error",
                "locations": [{"line": 1, "column": 9}],
                "path": ["boom"],
                "extensions": {"code": "INTERNAL"},
            }
        ],
    }


def test_mask_unexpected_tells_deliberate_from_unexpected_errors() -> None:
    assert mask_unexpected(GraphQLError("wrapped", original_error=RuntimeError("x")))
    assert not mask_unexpected(GraphQLError("deliberate", original_error=GraphQLError("x")))
    assert not mask_unexpected(GraphQLError("validation"))


# --- authentication --------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "good-key"])
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, APPLICATION_JSON])
def test_bad_or_missing_credentials_are_401(
    base_url: str, authorization: str | None, accept: str
) -> None:
    headers = {"accept": accept, **({"authorization": authorization} if authorization else {})}
    with httpx.Client(base_url=base_url, trust_env=False) as anonymous:
        response = anonymous.post("/graphql", json={"query": "{ whoami }"}, headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    assert response.json() == {
        "errors": [{"message": "invalid credentials", "extensions": {"code": "UNAUTHENTICATED"}}]
    }


def test_principal_reaches_the_context(client: httpx.Client) -> None:
    response = post(client, {"query": "{ whoami }"})

    assert response.json() == {"data": {"whoami": "acme"}}


def test_without_authenticate_the_principal_is_none(client: httpx.Client) -> None:
    response = post(client, {"query": "{ whoami }"}, path="/open")

    assert response.json() == {"data": {"whoami": None}}


def test_failing_authenticate_is_a_masked_500(client: httpx.Client) -> None:
    response = client.post(
        "/graphql", json={"query": "{ hello }"}, headers={"authorization": "Bearer explode"}
    )

    assert response.status_code == 500
    assert SECRET not in response.text
    assert response.json() == {
        "errors": [{"message": "Internal server error", "extensions": {"code": "INTERNAL"}}]
    }


# --- GraphiQL --------------------------------------------------------------------------


def test_browsers_get_graphiql_without_credentials(base_url: str) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    with httpx.Client(base_url=base_url, trust_env=False) as browser:
        response = browser.get("/graphql", headers={"accept": accept})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


def test_get_without_query_from_non_browser_is_400(client: httpx.Client) -> None:
    response = client.get("/graphql", headers={"accept": "*/*"})

    assert response.status_code == 400
    assert response.headers["content-type"] == JSON
    assert codes(response) == ["BAD_REQUEST"]


def test_graphiql_can_be_switched_off(client: httpx.Client) -> None:
    response = client.get("/open", headers={"accept": "text/html,*/*;q=0.8"})

    assert response.status_code == 400
    assert codes(response) == ["BAD_REQUEST"]


# --- WebSocket (graphql-transport-ws) ----------------------------------------------------


def ws_connect(base_url: str, headers: dict[str, str] | None = None) -> ClientConnection:
    return connect(
        base_url.replace("http://", "ws://") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        additional_headers=headers,
        proxy=None,
        open_timeout=5,
        close_timeout=5,
    )


def receive(ws: ClientConnection) -> dict[str, object]:
    message = json.loads(ws.recv(timeout=5))
    assert isinstance(message, dict)
    return message


def subscribe_ticks(ws: ClientConnection) -> list[object]:
    ws.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { ticks }"}})
    )
    ticks = []
    while (message := receive(ws))["type"] == "next":
        ticks.append(message["payload"])
    assert message == {"id": "1", "type": "complete"}
    return ticks


def test_ws_connection_init_payload_authenticates(base_url: str) -> None:
    with ws_connect(base_url) as ws:
        assert ws.subprotocol == "graphql-transport-ws"
        ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": GOOD_KEY}}))
        assert receive(ws) == {"type": "connection_ack"}

        assert subscribe_ticks(ws) == [{"data": {"ticks": "acme:0"}}, {"data": {"ticks": "acme:1"}}]


def test_ws_upgrade_authorization_header_authenticates(base_url: str) -> None:
    with ws_connect(base_url, headers={"Authorization": GOOD_KEY}) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert receive(ws) == {"type": "connection_ack"}

        assert subscribe_ticks(ws)[0] == {"data": {"ticks": "acme:0"}}


@pytest.mark.parametrize(
    ("headers", "payload"),
    [
        (None, {}),
        (None, {"authorization": "Bearer wrong"}),
        (None, {"authorization": 42}),
        ({"Authorization": GOOD_KEY}, {"authorization": "Bearer wrong"}),  # the payload wins
    ],
)
def test_ws_bad_credentials_close_with_4403(
    base_url: str, headers: dict[str, str] | None, payload: dict[str, object]
) -> None:
    with ws_connect(base_url, headers=headers) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=5)

    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "Forbidden")


def test_ws_subscribe_before_connection_init_is_refused(base_url: str) -> None:
    with ws_connect(base_url) as ws:
        ws.send(
            json.dumps(
                {"id": "1", "type": "subscribe", "payload": {"query": "subscription { ticks }"}}
            )
        )
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=5)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


def test_ws_failing_authenticate_closes_with_4500_without_detail(base_url: str) -> None:
    with ws_connect(base_url) as ws:
        ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": "Bearer explode"}})
        )
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=5)

    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4500, "Internal server error")
