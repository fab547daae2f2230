"""The ``switchboard`` command: demo keys and the schema printout."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from gateway.cli import EXAMPLE_QUERY, app
from gateway.demo import DEMO_ROLES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_demo_keys_json_lists_one_key_per_kind_and_role(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_DIRECTORY_URL", f"sqlite+aiosqlite:///{tmp_path}/d.db")
    runner = CliRunner()

    first = runner.invoke(app, ["demo", "keys", "--json"])
    second = runner.invoke(app, ["demo", "keys", "--json"])

    assert first.exit_code == 0, first.output
    keys = json.loads(first.stdout)
    assert keys == json.loads(second.stdout)  # stable across runs on the same directory
    pairs = {(k["kind"], k["role"]) for k in keys}
    assert pairs == {(kind.value, role) for kind, roles in DEMO_ROLES.items() for role in roles}
    assert all(set(k) >= {"party", "kind", "role", "key"} for k in keys)
    assert all(k["key"].startswith("sbk_") for k in keys)


def test_schema_prints_federation_sdl():
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert re.search(r"type Customer implements Node @key\(fields: \"id\"\)", result.stdout)
    assert "type Query" in result.stdout


def test_the_readme_shows_the_example_query_the_cli_prints():
    squash = " ".join
    readme = README.read_text()
    assert squash(EXAMPLE_QUERY.split()) in squash(readme.split())


def _broken_carriers_dir(tmp_path, monkeypatch) -> Path:
    broken = tmp_path / "carriers"
    broken.mkdir()
    (broken / "acme-tel.yaml").write_text(
        "id: acme-tel\nname: Acme Tel\nprotocol: tmf\nbase_url: http://127.0.0.1:9\n"
        "capabilities: [services, teleportation]\n"
    )
    monkeypatch.setenv("SWITCHBOARD_CARRIERS_DIRS", json.dumps([str(broken)]))
    return broken


def test_connectors_list_json_names_every_carrier_file():
    result = CliRunner().invoke(app, ["connectors", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    files = sorted(p.stem for p in (README.parent / "connectors" / "carriers").glob("*.yaml"))
    assert [r["id"] for r in rows] == files
    assert all({"id", "name", "protocol", "capabilities"} <= set(r) for r in rows)


def test_connectors_schema_is_a_json_schema_of_the_carrier_file():
    result = CliRunner().invoke(app, ["connectors", "schema"])
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["$schema"].startswith("https://json-schema.org/")
    assert "tmf" in json.dumps(document)
    assert document.get("discriminator", {}).get("propertyName") == "protocol" or "oneOf" in (
        json.dumps(document)
    )


def test_connectors_check_demo_probes_every_sandbox_carrier():
    result = CliRunner().invoke(app, ["connectors", "check", "--demo"])
    assert result.exit_code == 0, result.output
    for row in json.loads(CliRunner().invoke(app, ["connectors", "list", "--json"]).stdout):
        assert row["id"] in result.stdout


def test_connectors_check_rejects_unknown_ids():
    result = CliRunner().invoke(app, ["connectors", "check", "--demo", "no-such-carrier"])
    assert result.exit_code == 2
    assert "no-such-carrier" in result.output


def test_a_broken_carrier_file_stops_list_check_and_serve(tmp_path, monkeypatch):
    broken = _broken_carriers_dir(tmp_path, monkeypatch)
    for command in (["connectors", "list"], ["connectors", "check"], ["serve"]):
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert str(broken / "acme-tel.yaml") in result.output
        assert "capabilities" in result.output
