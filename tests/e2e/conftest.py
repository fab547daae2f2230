"""The end-to-end world: sandbox carriers and the real gateway, each under uvicorn on loopback.

One session builds it once (a second of start-up) and every test shares it:

* ``carriers``: every sandbox carrier of ``connectors/carriers`` (six protocol families:
  TMF, Sonata, SOAP, CSV exports, REST, GraphQL; each declaring its own capabilities)
  serving the data set of seed 7 with 60 customers, with their fault knobs and request
  log;
* ``gateway``: ``create_app(Settings(demo=True, sandbox_url=...))`` on its own SQLite
  directory; the demo seeds that directory from the same generator and does not start a
  sandbox of its own, and its demo keys (one party of each kind, every role) log in;
* ``short_timeout_gateway``: a second gateway, started only by the tests that need it,
  whose carrier files override one carrier's read timeout (0.5 s) so a hung carrier
  times out quickly;
* ``graph`` (operator admin) and ``graph_as(kind, role)``: httpx clients of ``/graphql``.

Every test starts and ends with healthy carriers and an empty request log.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import yaml

from connectors.models import PartyKind
from connectors.registry import CARRIERS_DIR, carrier_records, load_specs
from connectors.sandbox.dataset import DataSet, generate
from connectors.sandbox.server import Sandbox, free_port
from connectors.sandbox.server import serve_in_thread as serve_on_port
from gateway.app import Runtime, create_app
from gateway.settings import Settings
from tests.e2e.expected import Truth
from tests.e2e.queries import CUSTOMER_IDS, SAMPLE_NODES
from tests.support.servers import serve_in_thread

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from pathlib import Path

    from auth.directory import DemoKey
    from connectors.spec import CarrierSpec

SEED = 7
CUSTOMERS = 60
SHORT_READ_TIMEOUT = 0.5
HTTP_TIMEOUT = 30.0


@dataclass(frozen=True)
class Carriers:
    """The sandbox carriers on loopback and the data set they serve."""

    url: str
    specs: Mapping[str, CarrierSpec]
    data: DataSet
    sandbox: Sandbox


class GraphClient:
    """``/graphql`` of one gateway, authenticated with one key (or none)."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def post(
        self, query: str, variables: Mapping[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = dict(variables)
        return self.http.post("/graphql", json=body, headers=headers)

    def execute(
        self, query: str, variables: Mapping[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        """The response body of an operation answered with HTTP 200."""
        response = self.post(query, variables, **headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/json")
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of an operation that must succeed without errors."""
        body = self.execute(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def pages(
        self,
        query: str,
        variables: Mapping[str, Any],
        path: Sequence[str],
        *,
        first: int,
        max_pages: int = 1000,
    ) -> Iterator[dict[str, Any]]:
        """Walk a connection with ``first``/``after``: each page's connection object.

        ``query`` takes ``$first`` and ``$after``; ``path`` leads from ``data`` to the
        connection, which must select ``pageInfo { hasNextPage endCursor }``.
        """
        after = None
        for _ in range(max_pages):
            connection = self.data(query, {**variables, "first": first, "after": after})
            for key in path:
                connection = connection[key]
            yield connection
            if not connection["pageInfo"]["hasNextPage"]:
                return
            after = connection["pageInfo"]["endCursor"]
        raise AssertionError(f"still a next page after {max_pages} pages")


@dataclass(frozen=True)
class Gateway:
    """A running gateway: its base URL, its runtime and the demo keys it created."""

    url: str
    runtime: Runtime

    def key(self, kind: PartyKind, role: str = "admin") -> DemoKey:
        return next(k for k in self.runtime.demo_keys if k.kind is kind and k.role == role)

    @contextlib.contextmanager
    def client(self, key: str | None) -> Iterator[GraphClient]:
        headers = {} if key is None else {"authorization": f"Bearer {key}"}
        with httpx.Client(
            base_url=self.url, headers=headers, trust_env=False, timeout=HTTP_TIMEOUT
        ) as http:
            yield GraphClient(http)


@contextlib.contextmanager
def run_gateway(carriers: Carriers, workdir: Path, **settings: Any) -> Iterator[Gateway]:
    """Serve ``create_app`` in demo mode against the given sandbox carriers."""
    app = create_app(
        Settings(
            demo=True,
            sandbox_url=carriers.url,
            directory_url=f"sqlite+aiosqlite:///{workdir}/directory.db",
            sandbox_seed=SEED,
            sandbox_customers=CUSTOMERS,
            # Every answer of the e2e suite is computed compiled and interpreted, and
            # must be byte-identical (gateway.schema.GatewaySchema.verify).
            **{"cache_ttl_seconds": 0, "execution": "verify", **settings},
        )
    )
    with serve_in_thread(app) as url:
        runtime: Runtime = app.state.runtime()
        assert runtime.sandbox is None, "the demo must use our sandbox, not start its own"
        # The directory was seeded from the same generator as the sandbox's data set.
        assert set(runtime.snapshot.link_by_account.values()) == set(carriers.data.links)
        _RUNNING.append(runtime)
        try:
            yield Gateway(url=url, runtime=runtime)
        finally:
            _RUNNING.remove(runtime)


_RUNNING: list[Runtime] = []
"""Gateways the session runs: each test starts with their circuit breakers closed."""


@pytest.fixture(scope="session")
def carriers() -> Iterator[Carriers]:
    url = f"http://127.0.0.1:{free_port()}"
    specs = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": url})
    data = generate(carrier_records(specs), seed=SEED, customers=CUSTOMERS)
    sandbox = Sandbox(specs, data)
    port = int(url.rsplit(":", 1)[1])
    with serve_on_port(sandbox.app, port=port):
        yield Carriers(url=url, specs=specs, data=data, sandbox=sandbox)


@pytest.fixture(scope="session")
def truth(carriers: Carriers) -> Truth:
    return Truth(carriers.data)


@pytest.fixture(scope="session")
def gateway(carriers: Carriers, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with run_gateway(carriers, tmp_path_factory.mktemp("gateway")) as running:
        yield running


@pytest.fixture(scope="session")
def dashboard_customer(truth: Truth) -> tuple[str, str]:
    """(customer party id, one of its carriers to break) for the dashboard tests."""
    return truth.dashboard_customer()


@pytest.fixture(scope="session")
def short_timeout_gateway(
    carriers: Carriers,
    dashboard_customer: tuple[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Gateway]:
    """A gateway whose copy of the broken carrier's file has a 0.5 s read timeout."""
    _, carrier = dashboard_customer
    overrides = tmp_path_factory.mktemp("carriers")
    raw = yaml.safe_load((CARRIERS_DIR / f"{carrier}.yaml").read_text(encoding="utf-8"))
    raw["timeouts"] = {"connect": 1.0, "read": SHORT_READ_TIMEOUT}
    (overrides / f"{carrier}.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    workdir = tmp_path_factory.mktemp("short-timeout-gateway")
    with run_gateway(carriers, workdir, carriers_dirs=[overrides]) as running:
        assert running.runtime.registry.specs[carrier].timeouts.read == SHORT_READ_TIMEOUT
        yield running


@pytest.fixture(scope="session")
def customer_ids(gateway: Gateway, truth: Truth) -> dict[str, str]:
    """Customer party id -> its global ID, as the operator's customer list gives it."""
    with gateway.client(gateway.key(PartyKind.OPERATOR).key) as graph:
        nodes = graph.data(CUSTOMER_IDS)["customers"]["nodes"]
    ids = {truth.customer_named(n["name"]).id: n["id"] for n in nodes}
    assert len(ids) == len(truth.data.customers())
    return ids


@pytest.fixture(scope="session")
def sample_nodes(
    gateway: Gateway, customer_ids: dict[str, str], dashboard_customer: tuple[str, str]
) -> dict[str, dict[str, Any]]:
    """One node of every type as the gateway shows it: type name -> its id and naming field."""
    customer, _ = dashboard_customer
    with gateway.client(gateway.key(PartyKind.OPERATOR).key) as graph:
        c = graph.data(SAMPLE_NODES, {"id": customer_ids[customer]})["customer"]
    account = c["accounts"][0]
    found = {
        "Customer": {"id": c["id"], "name": c["name"]},
        "Party": c["agent"],
        "Carrier": account["carrier"],
        "CarrierAccount": {"id": account["id"], "accountNumber": account["accountNumber"]},
        "Service": c["services"]["nodes"][0],
        "Invoice": c["invoices"]["nodes"][0],
        "Order": c["orders"]["nodes"][0],
        "TroubleTicket": c["tickets"]["nodes"][0],
    }
    return {typename: {"__typename": typename, **node} for typename, node in found.items()}


@pytest.fixture(autouse=True)
def _healthy_carriers(carriers: Carriers) -> Iterator[None]:
    """Every test starts and ends with healthy carriers, closed breakers and an empty log."""
    carriers.sandbox.reset()
    for runtime in _RUNNING:
        runtime.registry.reset_breakers()
    yield
    carriers.sandbox.reset()
    for runtime in _RUNNING:
        runtime.registry.reset_breakers()


@pytest.fixture
def graph_as(gateway: Gateway) -> Iterator[Callable[..., GraphClient]]:
    """Clients of the gateway for a demo key of a party kind and role (closed after the test)."""
    with contextlib.ExitStack() as stack:

        def connect(kind: PartyKind, role: str = "admin") -> GraphClient:
            return stack.enter_context(gateway.client(gateway.key(kind, role).key))

        yield connect


@pytest.fixture
def graph(graph_as: Callable[..., GraphClient]) -> GraphClient:
    """The operator admin's client: sees every customer, every field."""
    return graph_as(PartyKind.OPERATOR)
