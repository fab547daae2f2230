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
