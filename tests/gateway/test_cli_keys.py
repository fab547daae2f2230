"""``switchboard keys`` and ``switchboard tokens``: what they print is what authenticates.

Each test points the CLI at its own SQLite directory (seeded with the small tree of
``tests/auth/conftest.py``) and checks the outcome through the same ``Directory`` and
``GatewayAuthBackend`` the gateway uses.
"""

from __future__ import annotations

import asyncio
import json
import stat
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from typer.testing import CliRunner, Result

from auth.authenticate import GatewayAuthBackend
from auth.directory import Directory
from auth.tokens import DEMO_AUDIENCE, DEMO_ISSUER, build_verifiers
from connectors.models import PartyKind
from gateway.cli import app
from gateway.settings import Settings
from tests.auth.conftest import LINKS, PARTIES

if TYPE_CHECKING:
    from pathlib import Path

    from auth.principal import Principal


@pytest.fixture
def directory_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}"
    monkeypatch.setenv("SWITCHBOARD_DIRECTORY_URL", url)
    monkeypatch.delenv("SWITCHBOARD_JWT_DEMO_KEY_DIR", raising=False)

    async def seed() -> None:
        async with await Directory.open(url) as directory:
            await directory.seed(PARTIES, LINKS)

    asyncio.run(seed())
    return url


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def authenticate(
    url: str, credential: str, *, demo_key_dir: Path | None = None
) -> Principal | None:
    """What a gateway on this directory (a ``--demo`` one, with a key folder) makes of it."""

    async def check() -> Principal | None:
        async with await Directory.open(url) as directory:
            verifiers = build_verifiers(issuer=None, audience=None, demo_key_dir=demo_key_dir)
            backend = GatewayAuthBackend(directory, verifiers=verifiers)
            try:
                return await backend.principal_for_credential(credential)
            finally:
                await backend.aclose()

    return asyncio.run(check())


def list_keys(*args: str) -> list[dict[str, Any]]:
    result = run("keys", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


# --- keys -------------------------------------------------------------------------------


def test_keys_create_list_revoke_round_trip(directory_url: str) -> None:
    created = run("keys", "create", "--party", "agent-1", "--role", "admin")
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    key_id = key.split("_")[1]
    assert key.startswith("sbk_")
    assert "not shown again" in created.stderr

    principal = authenticate(directory_url, key)
    assert principal is not None
    assert (principal.party_id, principal.kind, principal.role) == (
        "agent-1",
        PartyKind.AGENT,
        "admin",
    )
    assert principal.key_id == key_id

    [row] = list_keys("--party", "agent-1")
    assert row["key_id"] == key_id
    assert (row["party"], row["role"], row["revoked_at"]) == ("agent-1", "admin", None)
    assert row["last_used_at"] is not None  # it just authenticated
    listing = run("keys", "list")
    assert key_id in listing.stdout
    assert key not in listing.stdout + json.dumps(list_keys())  # never the secret

    revoked = run("keys", "revoke", key_id)
    assert (revoked.exit_code, revoked.stdout.strip()) == (0, f"revoked {key_id}")
    assert authenticate(directory_url, key) is None
    assert list_keys()[0]["revoked_at"] is not None

    again = run("keys", "revoke", key_id)
    assert again.exit_code == 1
    assert "already revoked" in again.stderr


def test_keys_list_filters_by_party(directory_url: str) -> None:
    for party, role in (("agent-1", "admin"), ("cust-1", "viewer"), ("cust-1", "billing")):
        assert run("keys", "create", "--party", party, "--role", role).exit_code == 0

    assert sorted(r["role"] for r in list_keys("--party", "cust-1")) == ["billing", "viewer"]
    assert len(list_keys()) == 3


@pytest.mark.parametrize(
    ("party", "role", "message"),
    [
        ("agent-1", "billing", "party 'agent-1' (agent) has no role 'billing'"),
        ("cust-1", "finance", "choose one of: admin, billing, technical, viewer"),
        ("nobody", "admin", "unknown party 'nobody'"),
    ],
)
def test_keys_create_refuses_a_role_the_party_cannot_grant(
    directory_url: str, party: str, role: str, message: str
) -> None:
    result = run("keys", "create", "--party", party, "--role", role)

    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert list_keys() == []


# --- tokens mint ------------------------------------------------------------------------


def test_tokens_mint_is_refused_without_demo(directory_url: str, tmp_path: Path) -> None:
    result = run("tokens", "mint", "--party", "agent-1", "--role", "admin")

    assert result.exit_code == 2
    assert "--demo" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "demo-jwt").exists()  # not even a key pair was made


def test_tokens_mint_demo_authenticates_like_the_demo_gateway(
    directory_url: str, tmp_path: Path
) -> None:
    result = run("tokens", "mint", "--party", "cust-3", "--role", "billing", "--demo")

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    key_dir = Settings().demo_jwt_dir()
    assert key_dir == tmp_path / "demo-jwt"  # beside the directory, as the gateway looks
    assert stat.S_IMODE((key_dir / "private.pem").stat().st_mode) == 0o600
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"], claims["sub"]) == (
        DEMO_ISSUER,
        DEMO_AUDIENCE,
        "cust-3:billing",
    )
    assert claims["exp"] - claims["iat"] == 3600

    principal = authenticate(directory_url, token, demo_key_dir=key_dir)
    assert principal is not None
    assert (principal.party_id, principal.kind, principal.role) == (
        "cust-3",
        PartyKind.CUSTOMER,
        "billing",
    )
    assert principal.chain == ("sub-1", "agent-1", "ma-1")
    # A gateway that is not in demo mode does not trust the demo key.
    assert authenticate(directory_url, token) is None


def test_tokens_mint_reuses_the_demo_key_and_honours_ttl(directory_url: str) -> None:
    first = run("tokens", "mint", "--party", "agent-1", "--role", "admin", "--demo")
    second = run("tokens", "mint", "--party", "agent-1", "--role", "admin", "--demo", "--ttl", "60")

    assert (first.exit_code, second.exit_code) == (0, 0)
    headers = [jwt.get_unverified_header(r.stdout.strip()) for r in (first, second)]
    assert headers[0]["kid"] == headers[1]["kid"]
    assert headers[0]["alg"] == "ES256"
    claims = jwt.decode(second.stdout.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60


def test_tokens_mint_refuses_an_invalid_role(directory_url: str) -> None:
    result = run("tokens", "mint", "--party", "agent-1", "--role", "viewer", "--demo")

    assert result.exit_code == 2
    assert "party 'agent-1' (agent) has no role 'viewer'" in result.stderr
    assert result.stdout == ""
