"""A gateway that takes only API keys never loads PyJWT (and cryptography's bindings)."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

START = """
import asyncio, os, sys
from gateway.app import start_runtime
from gateway.settings import Settings

async def main():
    async with start_runtime(Settings()) as runtime:
        print(len(runtime.auth.verifiers), "jwt" in sys.modules)

asyncio.run(main())
"""


def _start(tmp_path: Path, **env: str) -> str:
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", START],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "SWITCHBOARD_DIRECTORY_URL": f"sqlite+aiosqlite:///{tmp_path / 'directory.db'}",
            "SWITCHBOARD_CARRIERS_DIRS": "[]",
            **env,
        },
    )
    return done.stdout.strip().splitlines()[-1]


def test_api_keys_only_leaves_pyjwt_unloaded(tmp_path: Path) -> None:
    assert _start(tmp_path) == "0 False"


def test_an_identity_provider_loads_it(tmp_path: Path) -> None:
    key = tmp_path / "idp.pem"
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    key.write_bytes(pem)
    found = _start(
        tmp_path,
        SWITCHBOARD_JWT_ISSUER="https://idp.example",
        SWITCHBOARD_JWT_AUDIENCE="switchboard",
        SWITCHBOARD_JWT_PUBLIC_KEYS=f'["{key}"]',
    )
    assert found == "1 True"
