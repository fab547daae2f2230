"""``switchboard keys`` and ``switchboard tokens``: manage API keys, mint demo JWTs.

Both work on the directory the settings name (``SWITCHBOARD_DIRECTORY_URL``), the one
the gateway authenticates against. Errors go to stderr with exit code 2 (bad input) or
1 (nothing to do); what scripts want (a key, a token, JSON) goes alone to stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from auth.roles import ROLES, valid_role
from gateway.cli_support import fail, with_directory
from gateway.settings import Settings

if TYPE_CHECKING:
    from auth.directory import ApiKeyInfo, Directory


__all__ = ["keys_app", "tokens_app"]

keys_app = typer.Typer(
    help="API keys: create (shown once), revoke, list (never the secrets).", no_args_is_help=True
)
tokens_app = typer.Typer(help="JWTs for trying the gateway (demo only).", no_args_is_help=True)

_MAX_TTL_SECONDS = 7 * 24 * 3600


async def _check_party_role(directory: Directory, party_id: str, role: str) -> None:
    party = await directory.party(party_id)
    if party is None:
        fail(f"unknown party {party_id!r}")
    if not valid_role(party.kind, role):
        roles = ", ".join(ROLES[party.kind])
        fail(
            f"party {party_id!r} ({party.kind.value}) has no role {role!r}; choose one of: {roles}"
        )


@keys_app.command("create")
def create_key(
    party: Annotated[str, typer.Option(help="The party id the key authenticates as.")],
    role: Annotated[str, typer.Option(help="A role the party's kind grants.")],
) -> None:
    """Create an API key and print it. It is shown once: only its hash is stored."""

    async def work(directory: Directory) -> str:
        await _check_party_role(directory, party, role)
        return await directory.create_key(party, role)

    key = asyncio.run(with_directory(Settings(), work))
    sys.stderr.write(f"API key for {party} ({role}); store it now, it is not shown again:\n")
    sys.stdout.write(key + "\n")


@keys_app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key id (the middle part of the key).")],
) -> None:
    """Revoke a key; gateways stop accepting it within 30 seconds."""

    async def work(directory: Directory) -> bool:
        return await directory.revoke_key(key_id)

    if not asyncio.run(with_directory(Settings(), work)):
        fail(f"no live key {key_id!r} (unknown or already revoked)", code=1)
    sys.stdout.write(f"revoked {key_id}\n")


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


@keys_app.command("list")
def list_keys(
    party: Annotated[str | None, typer.Option(help="Only this party's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List keys: id, party, role, created, last used, revoked. Never the secrets."""

    async def work(directory: Directory) -> list[ApiKeyInfo]:
        return await directory.list_keys(party)

    rows = [
        {
            "key_id": k.key_id,
            "party": k.party_id,
            "role": k.role,
            "created_at": _when(k.created_at),
            "last_used_at": _when(k.last_used_at),
            "revoked_at": _when(k.revoked_at),
        }
        for k in asyncio.run(with_directory(Settings(), work))
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    sys.stdout.write(
        f"{'KEY ID':<12} {'PARTY':<24} {'ROLE':<10} {'CREATED':<26} LAST USED / REVOKED\n"
    )
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] else (r["last_used_at"] or "never")
        sys.stdout.write(
            f"{r['key_id']:<12} {r['party']:<24} {r['role']:<10} {r['created_at']!s:<26} {state}\n"
        )


_MINT_HELP = (
    "Mint a DEMO JWT, signed with a local key. Refused unless --demo.\n\n"
    "For trying JWT bearer authentication without an identity provider. On first use it "
    "creates an ES256 key pair in the demo key folder (demo-jwt/ beside the SQLite "
    "directory: .switchboard/demo-jwt/ by default; the private key file is mode 0600). "
    "It maps the subject <party>:<role> of issuer 'switchboard-demo' to that party and "
    "role in the directory, and prints a token for the audience 'switchboard-demo-gateway'."
    "\n\n"
    "Only `switchboard serve --demo` trusts that key. Send the token as "
    "'Authorization: Bearer <token>', or as payload.authorization in a WebSocket's "
    "connection_init.\n\n"
    "Real deployments take tokens from their identity provider instead: set "
    "SWITCHBOARD_JWT_ISSUER, SWITCHBOARD_JWT_AUDIENCE and SWITCHBOARD_JWT_JWKS_URL "
    "(or SWITCHBOARD_JWT_PUBLIC_KEYS), and map subjects to parties in the directory."
)


@tokens_app.command("mint", help=_MINT_HELP)
def mint(
    party: Annotated[str, typer.Option(help="The party id the token acts as.")],
    role: Annotated[str, typer.Option(help="A role the party's kind grants.")],
    ttl: Annotated[
        int, typer.Option(min=1, max=_MAX_TTL_SECONDS, help="Lifetime in seconds.")
    ] = 3600,
    demo: Annotated[
        bool, typer.Option("--demo", help="Required: confirms this is the local demo.")
    ] = False,
) -> None:
    """Mint a demo JWT (see ``_MINT_HELP``, shown by ``--help``)."""
    if not demo:
        fail(
            "tokens mint signs with a local demo key that only `switchboard serve --demo` "
            "trusts; pass --demo to confirm. Real tokens come from your identity provider."
        )
    # PyJWT and cryptography's OpenSSL bindings (~19 MiB) load only where tokens are used.
    from auth.tokens import DEMO_AUDIENCE, DEMO_ISSUER, ensure_demo_signing_key, mint_token

    settings = Settings()
    subject = f"{party}:{role}"

    async def work(directory: Directory) -> None:
        await _check_party_role(directory, party, role)
        await directory.add_identity(DEMO_ISSUER, subject, party, role)

    asyncio.run(with_directory(settings, work))
    key = ensure_demo_signing_key(settings.demo_jwt_dir())
    token = mint_token(key, subject=subject, ttl=timedelta(seconds=ttl))
    sys.stderr.write(
        f"demo JWT for {party} ({role}), iss={DEMO_ISSUER} aud={DEMO_AUDIENCE}, "
        f"valid {ttl} s; trusted by `switchboard serve --demo` only:\n"
    )
    sys.stdout.write(token + "\n")
