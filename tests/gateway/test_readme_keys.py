"""The demo keys printed in the README are the ones the demo directory issues."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from gateway.cli import app

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_the_demo_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_DIRECTORY_URL", f"sqlite+aiosqlite:///{tmp_path}/d.db")
    result = CliRunner().invoke(app, ["demo", "keys", "--json"])
    assert result.exit_code == 0, result.output
    issued = {(k["kind"], k["role"], k["party"], k["key"]) for k in json.loads(result.stdout)}
    listed = set(
        re.findall(
            r"^\| (\w+) \| (\w+) \| `([\w-]+)` \| `(sbk_[\w-]+)` \|$",
            README.read_text(),
            re.MULTILINE,
        )
    )
    assert listed == issued


def test_the_readme_error_codes_are_the_codes_the_gateway_raises() -> None:
    from gateway import http, persisted
    from gateway.schema.errors import CODES

    readme = Path("README.md").read_text(encoding="utf-8")
    bullet = readme.split("- **Errors** carry `extensions.code` from one list:")[1].split("\n- ")[0]
    listed = set(re.findall(r"`([A-Z][A-Z_]+)`", bullet))
    raised = {
        *CODES,
        *persisted.CODES,
        http.BAD_REQUEST,
        http.PARSE_FAILED,
        http.VALIDATION_FAILED,
    }
    assert listed == raised
