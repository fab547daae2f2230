"""Finds carrier files, validates them and builds one connector per carrier.

Carrier files live in ``connectors/carriers/*.yaml`` (plus any extra directory the
settings name). ``${VAR}`` and ``${VAR:-default}`` in a file are filled from the
given variables, so the same file points at the sandbox in tests and the demo and at
the carrier's real URL in production. A file that does not validate stops start-up
with a :class:`CarrierSpecError` naming the file, the field and what was expected.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from connectors.cache import CachedConnector
from connectors.errors import CarrierSpecError
from connectors.protocols import ADAPTERS
from connectors.spec import SPEC_ADAPTER, CarrierSpec
from connectors.transport import CarrierClient, TransportFactory

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from connectors.base import Connector
    from connectors.cache import Cache
    from connectors.models import Carrier
    from connectors.shared_redis import SharedRedis

__all__ = ["CARRIERS_DIR", "Registry", "carrier_records", "load_spec", "load_specs"]

CARRIERS_DIR = Path(__file__).parent / "carriers"

_VAR = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


def _interpolate(value: Any, variables: Mapping[str, str], path: str, field: str) -> Any:  # noqa: ANN401
    if isinstance(value, str):

        def fill(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in variables:
                return variables[name]
            if default is not None:
                return default
            raise CarrierSpecError(path, field or "<root>", f"variable ${{{name}}} is not set")

        return _VAR.sub(fill, value)
    if isinstance(value, dict):
        return {
            k: _interpolate(v, variables, path, f"{field}.{k}" if field else str(k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(v, variables, path, f"{field}[{i}]") for i, v in enumerate(value)]
    return value


def load_spec(path: Path, variables: Mapping[str, str]) -> CarrierSpec:
    """Read and validate one carrier file.

    Raises:
        CarrierSpecError: unreadable YAML, a missing variable, or an invalid field.
    """
    name = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CarrierSpecError(name, "<file>", f"readable YAML ({exc})") from exc
    if not isinstance(raw, dict):
        raise CarrierSpecError(name, "<root>", "a mapping of carrier settings")
    data = _interpolate(raw, variables, name, "")
    try:
        spec: CarrierSpec = SPEC_ADAPTER.validate_python(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        if loc and loc[0] == data.get("protocol"):
            loc = loc[1:]  # the discriminator's tag is not a field of the file
        if err["type"] in {"union_tag_invalid", "union_tag_not_found"} and not loc:
            loc = ["protocol"]
        field = ".".join(str(p) for p in loc) or "<root>"
        raise CarrierSpecError(name, field, err["msg"]) from exc
    if spec.id != path.stem:
        raise CarrierSpecError(name, "id", f"the file name's stem '{path.stem}'")
    return spec


def load_specs(directories: Iterable[Path], variables: Mapping[str, str]) -> dict[str, CarrierSpec]:
    """Every carrier file in the directories, by carrier id (later directories win)."""
    specs: dict[str, CarrierSpec] = {}
    for directory in directories:
        for path in sorted(directory.glob("*.yaml")):
            spec = load_spec(path, variables)
            specs[spec.id] = spec
    return specs


def carrier_records(specs: Mapping[str, CarrierSpec]) -> list[Carrier]:
    """Every carrier of the files as a record, ordered by id (what the data set takes)."""
    return [spec.record() for spec in sorted(specs.values(), key=lambda s: s.id)]


class Registry:
    """Carrier id -> connector, built once at start-up and shared by every request."""

    def __init__(
        self,
        specs: Mapping[str, CarrierSpec],
        *,
        transport_factory: TransportFactory | None = None,
        cache: Cache | None = None,
        cache_ttl: float = 0.0,
        shared: SharedRedis | None = None,
    ) -> None:
        self.specs = dict(specs)
        self.cache = cache
        self._connectors: dict[str, Connector] = {}
        self.clients: dict[str, CarrierClient] = {}
        for carrier_id, spec in self.specs.items():
            transport = transport_factory(spec) if transport_factory else None
            client = CarrierClient(spec, transport=transport, shared=shared)
            try:
                connector = ADAPTERS[spec.protocol](spec, client)
            except ValueError as exc:
                raise CarrierSpecError(carrier_id, "status_maps", str(exc)) from exc
            if cache is not None and cache_ttl > 0:
                connector = CachedConnector(connector, cache, cache_ttl)
            self._connectors[carrier_id] = connector
            self.clients[carrier_id] = client

    @classmethod
    def from_directories(
        cls,
        directories: Iterable[Path],
        variables: Mapping[str, str],
        *,
        transport_factory: TransportFactory | None = None,
    ) -> Registry:
        """Load, validate and build every carrier file found."""
        return cls(load_specs(directories, variables), transport_factory=transport_factory)

    def __contains__(self, carrier_id: object) -> bool:
        return carrier_id in self._connectors

    def __iter__(self) -> Iterator[str]:
        return iter(self._connectors)

    def __len__(self) -> int:
        return len(self._connectors)

    def get(self, carrier_id: str) -> Connector:
        """The connector for a carrier id (KeyError if unknown)."""
        return self._connectors[carrier_id]

    def carriers(self) -> list[Carrier]:
        """Every carrier, ordered by id."""
        return [self._connectors[c].carrier for c in sorted(self._connectors)]

    def breakers(self) -> dict[str, dict[str, object]]:
        """Each carrier's circuit breaker: state, when an open one half-opens, times opened."""
        return {
            carrier: {
                "state": client.breaker.state.name.lower(),
                "open_until": client.breaker.open_until or None,
                "opened": client.breaker.opened,
            }
            for carrier, client in sorted(self.clients.items())
        }

    def reset_breakers(self) -> None:
        """Close every carrier's breaker in this process (operators, tests)."""
        for client in self.clients.values():
            client.breaker.reset()

    def upstream_calls(self) -> int:
        """Wire requests made so far, all carriers together."""
        return sum(c.calls for c in self.clients.values())

    async def aclose(self) -> None:
        """Close every carrier's connection pool."""
        for connector in self._connectors.values():
            await connector.aclose()
        if self.cache is not None:
            await self.cache.aclose()
