"""``switchboard documents``: register manifests (both formats), list, remove; idempotent.

Each test points the CLI at its own SQLite directory and reads the outcome back through
the same ``load_trusted`` the gateway uses.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner, Result

from auth.directory import Directory
from auth.documents import TrustedDocuments, load_trusted
from gateway.cli import app
from tests.support.persisted import apollo_manifest, sha256, write_json

if TYPE_CHECKING:
    from pathlib import Path

ME = "query Me { viewer { role kind } }"
CARRIERS = "query Carriers { carriers { code name } }"
NAMES = "query Names($n: Int) { customers(first: $n) { nodes { name } } }"


@pytest.fixture
def directory_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}"
    monkeypatch.setenv("SWITCHBOARD_DIRECTORY_URL", url)
    return url


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def trusted(url: str) -> TrustedDocuments:
    async def load() -> TrustedDocuments:
        async with await Directory.open(url) as directory:
            return await load_trusted(directory)

    return asyncio.run(load())


def listed() -> list[dict[str, Any]]:
    result = run("documents", "list", "--json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_an_apollo_manifest_registers_once(directory_url: str, tmp_path: Path) -> None:
    manifest = write_json(
        tmp_path / "manifest.json",
        apollo_manifest(("Me", "query", ME), ("Carriers", "query", CARRIERS)),
    )

    first = run("documents", "register", str(manifest))
    again = run("documents", "register", str(manifest), "--json")

    assert (first.exit_code, first.stdout) == (0, "documents 2 created, 0 unchanged\n")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == {"created": 0, "unchanged": 2}
    documents = trusted(directory_url)
    assert set(documents.by_sha) == {sha256(ME), sha256(CARRIERS)}
    assert documents.by_id[sha256(ME)].body == ME
    rows = {r["id"]: r for r in listed()}
    assert rows[sha256(CARRIERS)]["name"] == "Carriers"
    assert rows[sha256(CARRIERS)]["type"] == "query"
    assert rows[sha256(CARRIERS)]["sha256"] == sha256(CARRIERS)
    assert rows[sha256(CARRIERS)]["created_at"] is not None


def test_an_id_to_text_map_registers_under_its_own_ids(directory_url: str, tmp_path: Path) -> None:
    # Relay's persisted output and Codegen's client preset: {id: text}; ids need not be sha256.
    manifest = write_json(tmp_path / "persisted.json", {"relay-me-1": ME, sha256(NAMES): NAMES})

    result = run("documents", "register", str(manifest))

    assert result.exit_code == 0, result.output
    documents = trusted(directory_url)
    assert documents.by_id["relay-me-1"].sha256 == sha256(ME)
    assert documents.by_sha[sha256(ME)].document_id == "relay-me-1"
    # Name and type come from the document when the manifest has none.
    assert (
        documents.by_id["relay-me-1"].operation_name,
        documents.by_id["relay-me-1"].operation_type,
    ) == (
        "Me",
        "query",
    )
    assert run("documents", "register", str(manifest)).stdout == (
        "documents 0 created, 2 unchanged\n"
    )


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        ({"bad": "query { viewer { "}, "bad: Syntax Error"),
        ({"typo": "{ viewer { rol } }"}, "typo: Cannot query field 'rol' on type 'Viewer'"),
        ({"empty": ""}, "empty: the value must be a GraphQL document"),
        (
            {"format": "apollo-persisted-query-manifest", "version": 2, "operations": []},
            "version: 2 is not 1",
        ),
        (
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"body": ME}],
            },
            "operations[0].id: must be a non-empty string",
        ),
        ([ME], "neither an apollo-persisted-query-manifest nor a JSON object"),
    ],
)
def test_an_invalid_manifest_writes_nothing(
    directory_url: str, tmp_path: Path, manifest: Any, problem: str
) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")

    result = run("documents", "register", str(path))

    assert result.exit_code == 2
    assert problem in result.stderr
    assert listed() == []


def test_an_id_cannot_change_its_text(directory_url: str, tmp_path: Path) -> None:
    assert (
        run("documents", "register", str(write_json(tmp_path / "a.json", {"me": ME}))).exit_code
        == 0
    )

    result = run(
        "documents", "register", str(write_json(tmp_path / "b.json", {"me": CARRIERS, "x": NAMES}))
    )

    assert result.exit_code == 2
    assert "already registered with a different text: me" in result.stderr
    assert set(trusted(directory_url).by_id) == {"me"}  # nothing of the second file
    assert trusted(directory_url).by_id["me"].body == ME


def test_remove_forgets_documents(directory_url: str, tmp_path: Path) -> None:
    manifest = write_json(tmp_path / "m.json", {"me": ME, "carriers": CARRIERS})
    assert run("documents", "register", str(manifest)).exit_code == 0

    removed = run("documents", "remove", "me", "unknown")
    again = run("documents", "remove", "me")

    assert (removed.exit_code, removed.stdout) == (0, "removed 1\n")
    assert again.exit_code == 1
    assert [r["id"] for r in listed()] == ["carriers"]
    table = run("documents", "list")
    assert "carriers" in table.stdout
    assert "Carriers" in table.stdout
