"""Carrier files: discovery, variables, and errors that name file, field and expectation."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.errors import CarrierSpecError
from connectors.protocols import ADAPTERS
from connectors.registry import CARRIERS_DIR, Registry, load_spec, load_specs

GOOD = """\
id: acme-tel
name: Acme Tel
protocol: tmf
base_url: ${ACME_URL:-http://127.0.0.1:9}/acme
capabilities: [services]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_every_shipped_carrier_file_validates_and_builds():
    specs = load_specs([CARRIERS_DIR], {"SWITCHBOARD_SANDBOX_URL": "http://127.0.0.1:1"})
    assert len(specs) >= 6
    assert {s.protocol for s in specs.values()} <= set(ADAPTERS)
    assert all(len(Path(CARRIERS_DIR, f"{i}.yaml").read_text().splitlines()) <= 80 for i in specs)
    registry = Registry(specs)
    assert [c.id for c in registry.carriers()] == sorted(specs)


def test_variables_fill_the_file_and_defaults_apply(tmp_path):
    path = write(tmp_path, "acme-tel", GOOD)
    assert load_spec(path, {}).base_url == "http://127.0.0.1:9/acme"
    assert load_spec(path, {"ACME_URL": "https://api.acme.example"}).base_url == (
        "https://api.acme.example/acme"
    )


def test_a_missing_variable_is_named(tmp_path):
    path = write(tmp_path, "acme-tel", GOOD.replace("${ACME_URL:-http://127.0.0.1:9}", "${NOPE}"))
    with pytest.raises(CarrierSpecError) as info:
        load_spec(path, {})
    assert info.value.field == "base_url"
    assert "NOPE" in str(info.value)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (GOOD.replace("protocol: tmf", "protocol: telex"), "protocol"),
        (GOOD.replace("[services]", "[services, teleportation]"), "capabilities"),
        (GOOD + "paging: {page_size: 0}\n", "paging.page_size"),
        (GOOD + "surprise: true\n", "surprise"),
        (GOOD.replace("name: Acme Tel\n", ""), "name"),
    ],
)
def test_invalid_fields_are_named(tmp_path, text, field):
    path = write(tmp_path, "acme-tel", text)
    with pytest.raises(CarrierSpecError) as info:
        load_spec(path, {})
    assert info.value.path == str(path)
    assert info.value.field.startswith(field)
    assert info.value.expected


def test_the_id_must_match_the_file_name(tmp_path):
    path = write(tmp_path, "other-name", GOOD)
    with pytest.raises(CarrierSpecError) as info:
        load_spec(path, {})
    assert info.value.field == "id"


def test_unparseable_yaml_is_reported(tmp_path):
    path = write(tmp_path, "acme-tel", "id: [unclosed\n")
    with pytest.raises(CarrierSpecError) as info:
        load_spec(path, {})
    assert info.value.field == "<file>"


def test_a_status_map_to_an_unknown_enum_name_fails_at_build(tmp_path):
    path = write(tmp_path, "acme-tel", GOOD + "status_maps: {service: {live: ALIVE}}\n")
    spec = load_spec(path, {})
    with pytest.raises(CarrierSpecError) as info:
        Registry({spec.id: spec})
    assert "ALIVE" in str(info.value)
    assert info.value.field == "status_maps"


def test_later_directories_override_earlier_ones(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    write(first, "acme-tel", GOOD)
    write(second, "acme-tel", GOOD.replace("Acme Tel", "Acme Telecom"))
    assert load_specs([first, second], {})["acme-tel"].name == "Acme Telecom"
