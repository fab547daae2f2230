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
