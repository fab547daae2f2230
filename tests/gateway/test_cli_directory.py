"""``switchboard directory import``: counts on success, exit 2 with the problems on errors."""

from __future__ import annotations

import json
import textwrap

import pytest
from typer.testing import CliRunner

from gateway.cli import app

GOOD = textwrap.dedent(
    """\
    parties:
      - {id: ma-1, kind: master_agent, name: Master One}
      - {id: agent-1, kind: agent, name: Agent One, parent_id: ma-1}
      - {id: cust-1, kind: customer, name: Customer One, parent_id: agent-1}
    links:
      - {customer_id: cust-1, carrier: lumen, account_number: L-1}
    rules:
      - {id: ma-all, seller_id: ma-1, scope: all, kind: percent, value: 12}
      - {id: ag-fix, seller_id: agent-1, scope: customer, scope_value: cust-1, kind: fixed,
         value: 10, currency: USD}
    brands:
      - {party_id: agent-1, display_name: Agent One Connect, private_label_billing: true}
    """
)


@pytest.fixture
def directory_env(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_DIRECTORY_URL", f"sqlite+aiosqlite:///{tmp_path}/d.db")
    return tmp_path


def test_import_prints_counts_and_is_idempotent(directory_env):
    path = directory_env / "directory.yaml"
    path.write_text(GOOD)
    runner = CliRunner()

    first = runner.invoke(app, ["directory", "import", str(path)])
    second = runner.invoke(app, ["directory", "import", str(path), "--json"])

    assert first.exit_code == 0, first.output
    assert "parties  3 created, 0 updated, 0 unchanged" in first.stdout
    assert "rules    2 created, 0 updated, 0 unchanged" in first.stdout
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout) == {
        "parties": {"created": 0, "updated": 0, "unchanged": 3},
        "links": {"created": 0, "updated": 0, "unchanged": 1},
        "rules": {"created": 0, "updated": 0, "unchanged": 2},
        "brands": {"created": 0, "updated": 0, "unchanged": 1},
    }


def test_an_invalid_file_exits_2_naming_item_and_field(directory_env):
    path = directory_env / "bad.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            rules:
              - {id: r, seller_id: ghost, scope: all, kind: percent, value: 1}
              - {id: s, seller_id: ghost, scope: all, kind: fixed, value: 1, colour: red}
            """
        )
    )
    result = CliRunner().invoke(app, ["directory", "import", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.stderr
    assert "rules[1].colour: Extra inputs are not permitted" in result.stderr
    assert "rules[1].currency" in result.stderr
    assert result.stdout == ""


def test_a_missing_file_exits_2(directory_env):
    result = CliRunner().invoke(app, ["directory", "import", str(directory_env / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr
