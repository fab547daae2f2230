"""Persisted documents over the real app: Apollo's APQ protocol, Redis, trusted documents.

* APQ as ``@apollo/client/link/persisted-queries`` drives it: a hash the gateway does not
  know is answered ``PersistedQueryNotFound`` (HTTP 200), hash and text register it, and
  from then on the hash alone runs it, over POST or GET; a hit neither parses, validates
  nor computes a cost (spies on the functions that would).
* With Redis, a document one process learned is known to a process that never saw it.
* A document is only text: whoever runs it gets their own audience and row slice.
* Trusted-documents mode runs only what ``switchboard documents register`` loaded (by
  hash, ``documentId`` or exact text), refuses everything else over HTTP and WebSocket,
  and learns nothing through APQ.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
import redis
import strawberry.schema.schema
from typer.testing import CliRunner
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from connectors.models import PartyKind
from gateway import http
from gateway.cli import app as cli
from gateway.schema import documents, limits
from tests.e2e.conftest import run_gateway
from tests.e2e.queries import CUSTOMER_NAMES
from tests.support.persisted import apollo_manifest, apq, sha256, write_json

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    import httpx

    from tests.e2e.conftest import Carriers, Gateway, GraphClient
    from tests.e2e.expected import Truth

pytestmark = pytest.mark.e2e

ME = "query Me { viewer { role kind } }"
COSTS = "query Costs { services(first: 3) { nodes { serviceId wholesaleCost { amount } } } }"
CARRIER_CODES = "query CarrierCodes { carriers { code } }"
NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


def fresh(text: str) -> str:
    """``text`` with a comment no other test (or earlier run against Redis) has sent."""
    return f"{text}\n# {uuid.uuid4().hex}\n"


def post(graph: GraphClient, body: dict[str, Any]) -> httpx.Response:
    return graph.http.post("/graphql", json=body)


def get(graph: GraphClient, **params: Any) -> httpx.Response:
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return graph.http.get("/graphql", params=encoded)


def code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return sorted(n["name"] for n in body["data"]["customers"]["nodes"])


# --- APQ ----------------------------------------------------------------------------------


def test_an_unknown_hash_is_asked_for_then_registered_then_enough(graph: GraphClient) -> None:
    text = fresh(ME)
    expected = graph.data(ME)

    unknown = post(graph, {"extensions": apq(text)})
    registered = post(graph, {"query": text, "extensions": apq(text)})
    hit = post(graph, {"extensions": apq(text), "operationName": "Me"})

    assert (unknown.status_code, unknown.json()) == (200, NOT_FOUND)
    assert (registered.status_code, registered.json()) == (200, {"data": expected})
    assert (hit.status_code, hit.json()) == (200, {"data": expected})


def test_a_text_whose_hash_is_not_the_one_sent_is_refused_and_not_stored(
    graph: GraphClient,
) -> None:
    text, other = fresh(ME), fresh(ME)

    mismatch = post(graph, {"query": other, "extensions": apq(text)})

    assert mismatch.status_code == 400
    assert mismatch.json()["errors"][0]["message"] == "provided sha does not match query"
    assert code(mismatch) == "PERSISTED_QUERY_HASH_MISMATCH"
    assert post(graph, {"extensions": apq(text)}).json() == NOT_FOUND


@pytest.mark.parametrize(
    ("extensions", "expected"),
    [
        (apq(ME, version=2), "PERSISTED_QUERY_VERSION_NOT_SUPPORTED"),
        (apq("abc123", is_hash=True), "BAD_REQUEST"),
        ({"persistedQuery": "abc"}, "BAD_REQUEST"),
    ],
    ids=["version-2", "short-hash", "not-an-object"],
)
def test_a_malformed_persisted_query_is_a_bad_request(
    graph: GraphClient, extensions: dict[str, Any], expected: str
) -> None:
    response = post(graph, {"extensions": extensions})

    assert response.status_code == 400
    assert code(response) == expected


def test_hashed_queries_run_over_get(graph: GraphClient) -> None:
    # Apollo's useGETForHashedQueries: the hash in a JSON-encoded `extensions` parameter.
    text = fresh("query Names($n: Int) { customers(first: $n) { nodes { name } } }")
    variables = {"n": 2}

    unknown = get(graph, extensions=apq(text), variables=variables)
    post(graph, {"query": text, "variables": variables, "extensions": apq(text)})
    hit = get(graph, extensions=apq(text), variables=variables, operationName="Names")

    assert (unknown.status_code, unknown.json()) == (200, NOT_FOUND)
    assert hit.status_code == 200
    assert hit.json() == {"data": graph.data(text, variables)}
    assert len(hit.json()["data"]["customers"]["nodes"]) == 2


def test_a_hit_neither_parses_validates_nor_computes_a_cost(
    graph: GraphClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: Counter[str] = Counter()

    def spy(module: object, name: str, kind: str) -> None:
        original: Callable[..., Any] = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            calls[kind] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    # Every parse, validate and cost function a request can reach on its way to execution.
    spy(documents, "parse", "parse")
    spy(http, "parse", "parse")
    spy(strawberry.schema.schema, "parse", "parse")
    spy(strawberry.schema.schema, "validate", "validate")
    spy(limits, "query_cost", "cost")
    # Anonymous, so the endpoint's one-operation check needs the parsed document too.
    text = fresh("query($n: Int) { customers(first: $n) { totalCount nodes { name } } }")
    variables = {"n": 3}

    registered = post(graph, {"query": text, "variables": variables, "extensions": apq(text)})
    after_registering = dict(calls)
    hits = [
        post(graph, {"variables": variables, "extensions": apq(text)}),
        post(graph, {"variables": variables, "extensions": apq(text)}),
        get(graph, variables=variables, extensions=apq(text)),
    ]

    assert after_registering == {"parse": 1, "validate": 1, "cost": 1}
    assert dict(calls) == after_registering
    assert [h.json() for h in hits] == [registered.json()] * 3
    assert len(registered.json()["data"]["customers"]["nodes"]) == 3


def test_a_document_one_party_registered_answers_another_only_its_own_rows(
    gateway: Gateway, graph_as: Callable[..., GraphClient], truth: Truth
) -> None:
    operator, customer = graph_as(PartyKind.OPERATOR), graph_as(PartyKind.CUSTOMER)
    agent = graph_as(PartyKind.AGENT)
    mine = gateway.key(PartyKind.CUSTOMER)
    text = fresh(CUSTOMER_NAMES)

    everyone = names(post(operator, {"query": text, "extensions": apq(text)}))
    own = names(post(customer, {"extensions": apq(text)}))
    agents = names(post(agent, {"extensions": apq(text)}))

    assert len(everyone) == len(truth.data.customers())
    assert own == [mine.name]
    subtree = truth.customers_under(gateway.key(PartyKind.AGENT).party_id)
    assert agents == sorted(truth.data.party(c).name for c in subtree)
    assert len(agents) < len(everyone)


def test_a_document_naming_fields_another_audience_lacks_fails_validation_for_it(
    graph_as: Callable[..., GraphClient],
) -> None:
    operator, customer = graph_as(PartyKind.OPERATOR), graph_as(PartyKind.CUSTOMER)
    text = fresh(COSTS)

    costs = post(operator, {"query": text, "extensions": apq(text)})
    refused = post(customer, {"extensions": apq(text)})

    assert costs.status_code == 200
    assert costs.json()["data"]["services"]["nodes"][0]["wholesaleCost"] is not None
    assert "data" not in refused.json()
    assert code(refused) == "GRAPHQL_VALIDATION_FAILED"
    assert "wholesaleCost" in refused.json()["errors"][0]["message"]


# --- APQ in Redis -------------------------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis at 127.0.0.1:6379 not reachable (make test starts it)")
    with contextlib.closing(client):
        yield client


@pytest.fixture(scope="module")
def redis_gateway(
    carriers: Carriers, redis_client: redis.Redis, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    workdir = tmp_path_factory.mktemp("apq-redis")
    with run_gateway(carriers, workdir, redis_url=REDIS_URL, apq_ttl_seconds=600) as running:
        yield running


def test_with_redis_a_process_that_never_saw_a_document_knows_its_hash(
    redis_gateway: Gateway, redis_client: redis.Redis
) -> None:
    text = fresh(ME)
    key = f"sb:apq:{sha256(text)}"
    persisted = redis_gateway.runtime.persisted
    assert persisted is not None
    try:
        with redis_gateway.client(redis_gateway.key(PartyKind.OPERATOR).key) as graph:
            registered = post(graph, {"query": text, "extensions": apq(text)})
            assert redis_client.get(key) == text.encode()
            assert 0 < redis_client.ttl(key) <= 600
            # What another gateway process has: Redis, and nothing of its own.
            persisted.store.forget_local()
            persisted.documents.clear()
            hit = post(graph, {"extensions": apq(text)})
    finally:
        redis_client.delete(key)

    assert registered.status_code == 200
    assert (
        hit.json()
        == registered.json()
        == {"data": {"viewer": {"role": "admin", "kind": "OPERATOR"}}}
    )


# --- trusted documents --------------------------------------------------------------------

NAMES = "query Names { customers(first: 500) { nodes { name } } }"
RELAY_ID = "relay-carrier-codes-1"


@pytest.fixture(scope="module")
def trusted_gateway(
    carriers: Carriers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    """A locked-down gateway whose documents were registered with the CLI before it started."""
    workdir = tmp_path_factory.mktemp("trusted")
    env = {"SWITCHBOARD_DIRECTORY_URL": f"sqlite+aiosqlite:///{workdir}/directory.db"}
    apollo = write_json(
        workdir / "apollo.json", apollo_manifest(("Me", "query", ME), ("Names", "query", NAMES))
    )
    relay = write_json(workdir / "relay.json", {RELAY_ID: CARRIER_CODES})
    for manifest in (apollo, relay):
        result = CliRunner().invoke(cli, ["documents", "register", str(manifest)], env=env)
        assert result.exit_code == 0, result.output
    settings = {"trusted_documents": True, "directory_refresh_seconds": 0.5}
    with run_gateway(carriers, workdir, **settings) as running:
        yield running


@pytest.fixture
def locked(trusted_gateway: Gateway) -> Iterator[Callable[..., GraphClient]]:
    with contextlib.ExitStack() as stack:

        def connect_as(kind: PartyKind) -> GraphClient:
            return stack.enter_context(trusted_gateway.client(trusted_gateway.key(kind).key))

        yield connect_as


@pytest.mark.parametrize(
    "body",
    [
        {"extensions": apq(ME)},
        {"query": ME},
        {"query": ME, "extensions": apq(ME)},
        {"documentId": f"sha256:{sha256(ME)}"},
        {"documentId": sha256(ME)},
        {"doc_id": sha256(ME)},
    ],
    ids=[
        "apq-hash",
        "text",
        "apq-hash-and-text",
        "document-id-sha256",
        "document-id",
        "relay-doc-id",
    ],
)
def test_trusted_mode_runs_a_registered_apollo_manifest_document(
    locked: Callable[..., GraphClient], body: dict[str, Any]
) -> None:
    response = post(locked(PartyKind.OPERATOR), body)

    assert (response.status_code, response.json()) == (
        200,
        {"data": {"viewer": {"role": "admin", "kind": "OPERATOR"}}},
    )


@pytest.mark.parametrize(
    "body",
    [
        {"documentId": RELAY_ID},
        {"id": RELAY_ID},
        {"query": CARRIER_CODES},
        {"extensions": apq(CARRIER_CODES)},
    ],
    ids=["document-id", "id", "text", "apq-hash"],
)
def test_trusted_mode_runs_a_registered_id_map_document(
    locked: Callable[..., GraphClient], body: dict[str, Any]
) -> None:
    response = post(locked(PartyKind.CUSTOMER), body)

    assert response.status_code == 200
    assert response.json()["data"]["carriers"]


def test_trusted_mode_refuses_what_was_not_registered(locked: Callable[..., GraphClient]) -> None:
    operator = locked(PartyKind.OPERATOR)  # no bypass unless it is turned on
    text = fresh(ME)

    as_text = post(operator, {"query": text})
    by_hash = post(operator, {"extensions": apq(text)})
    by_id = post(operator, {"documentId": "nobody-registered-this"})
    learning = post(operator, {"query": text, "extensions": apq(text)})
    after = post(operator, {"extensions": apq(text)})

    assert (as_text.status_code, code(as_text)) == (403, "QUERY_NOT_IN_SAFELIST")
    assert (by_hash.status_code, code(by_hash)) == (403, "PERSISTED_QUERY_NOT_IN_LIST")
    assert (by_id.status_code, code(by_id)) == (403, "PERSISTED_QUERY_NOT_IN_LIST")
    assert (learning.status_code, code(learning)) == (403, "QUERY_NOT_IN_SAFELIST")
    assert (after.status_code, code(after)) == (403, "PERSISTED_QUERY_NOT_IN_LIST")
    assert "data" not in as_text.json()


def test_trusted_mode_still_answers_each_party_its_own_rows(
    trusted_gateway: Gateway, locked: Callable[..., GraphClient]
) -> None:
    own = names(post(locked(PartyKind.CUSTOMER), {"extensions": apq(NAMES)}))
    everyone = names(post(locked(PartyKind.OPERATOR), {"extensions": apq(NAMES)}))

    assert own == [trusted_gateway.key(PartyKind.CUSTOMER).name]
    assert len(everyone) > 1


def until(ask: Callable[[], httpx.Response], status: int) -> httpx.Response:
    """Ask again (for up to 10 s) until the answer has ``status``: the next directory refresh."""
    deadline = time.monotonic() + 10
    response = ask()
    while response.status_code != status and time.monotonic() < deadline:
        time.sleep(0.2)
        response = ask()
    return response


def test_documents_registered_or_removed_while_serving_apply_at_the_next_refresh(
    trusted_gateway: Gateway, locked: Callable[..., GraphClient], tmp_path: Path
) -> None:
    text = fresh(ME)
    env = {"SWITCHBOARD_DIRECTORY_URL": trusted_gateway.runtime.settings.directory_url}
    operator = locked(PartyKind.OPERATOR)
    assert post(operator, {"documentId": "late-1"}).status_code == 403

    manifest = write_json(tmp_path / "late.json", {"late-1": text})
    assert CliRunner().invoke(cli, ["documents", "register", str(manifest)], env=env).exit_code == 0
    registered = until(lambda: post(operator, {"documentId": "late-1"}), 200)
    assert CliRunner().invoke(cli, ["documents", "remove", "late-1"], env=env).exit_code == 0
    removed = until(lambda: post(operator, {"documentId": "late-1"}), 403)

    assert registered.json()["data"]["viewer"]["kind"] == "OPERATOR"
    assert code(removed) == "PERSISTED_QUERY_NOT_IN_LIST"


def ws_run(gateway: Gateway, query: str) -> dict[str, Any]:
    """The first answer to ``query`` over ``graphql-transport-ws`` as the operator."""
    ws: ClientConnection
    with connect(
        gateway.url.replace("http://", "ws://") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        additional_headers={"Authorization": f"Bearer {gateway.key(PartyKind.OPERATOR).key}"},
        proxy=None,
        open_timeout=5,
        close_timeout=5,
    ) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "connection_ack"}
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        answer: dict[str, Any] = json.loads(ws.recv(timeout=10))
        return answer


def test_trusted_mode_holds_over_the_websocket_too(trusted_gateway: Gateway) -> None:
    refused = ws_run(trusted_gateway, fresh(ME))
    allowed = ws_run(trusted_gateway, ME)

    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "QUERY_NOT_IN_SAFELIST"
    assert allowed["type"] == "next"
    assert allowed["payload"]["data"]["viewer"]["kind"] == "OPERATOR"
