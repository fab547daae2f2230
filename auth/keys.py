"""API key format, generation and hashing, kept apart from storage.

A key looks like ``sbk_<key_id>_<secret>``: the fixed prefix makes leaked keys easy to
grep for (and for secret scanners to match), the key id is the public lookup handle that
can be logged, and the secret is high-entropy random. The directory stores only
:func:`hash_secret` of the whole key, so a database dump never yields a usable key.

Example:
    >>> full_key, key_id = generate_key()
    >>> parse_key(full_key) == key_id
    True
    >>> verify_key(full_key, hash_secret(full_key))
    True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import string
from typing import Final

__all__ = [
    "DEFAULT_PREFIX",
    "DEMO_SEED",
    "KEY_ID_ALPHABET",
    "RESERVED_KEY_ID_PREFIX",
    "demo_key",
    "generate_key",
    "hash_secret",
    "parse_key",
    "verify_key",
]

DEFAULT_PREFIX = "sbk"
"""The prefix of every Switchboard API key (``sbk_...``)."""

KEY_ID_ALPHABET = string.ascii_lowercase + string.digits
"""Key ids use lowercase letters and digits only: url-safe and free of ``_``, the separator."""

KEY_ID_LENGTH = 10
SECRET_BYTES = 32
RESERVED_KEY_ID_PREFIX = "demo"
"""Key ids starting with this are reserved for deterministic demo keys."""

# Upper bound on what we even look at: a real key is ~60 characters, so anything far
# longer is garbage and is rejected before any regex or hashing work.
_MAX_KEY_LENGTH = 256
# Secrets are url-safe base64 (``token_urlsafe``), which may itself contain ``_`` and
# ``-``; prefix and key id never contain ``_``, so the first two underscores split the key.
_SECRET_PATTERN = r"[A-Za-z0-9_-]{43,}"  # noqa: S105 (a regex, not a secret)
_KEY_ID_PATTERN = r"[a-z0-9]{8,12}"
_PREFIX_PATTERN = re.compile(r"[a-z][a-z0-9]{0,15}")


def _key_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(prefix)}_(?P<key_id>{_KEY_ID_PATTERN})_{_SECRET_PATTERN}")


_DEFAULT_KEY_PATTERN = _key_pattern(DEFAULT_PREFIX)


def _check_prefix(prefix: str) -> None:
    if _PREFIX_PATTERN.fullmatch(prefix) is None:
        raise ValueError(f"key prefix must match {_PREFIX_PATTERN.pattern!r}, got {prefix!r}")


def generate_key(prefix: str = DEFAULT_PREFIX) -> tuple[str, str]:
    """Generate a new random API key.

    Args:
        prefix: The greppable prefix; lowercase letters and digits, starting with a letter.

    Returns:
        ``(full_key, key_id)`` where ``full_key`` is ``<prefix>_<key_id>_<secret>``; the
        key id is 10 characters of ``[a-z0-9]`` and the secret is
        ``secrets.token_urlsafe(32)`` (32 random bytes, 43 characters).

    Raises:
        ValueError: If ``prefix`` is not a valid key prefix.
    """
    _check_prefix(prefix)
    while True:
        key_id = "".join(secrets.choice(KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH))
        # "demo..." ids belong to the deterministic demo keys; never hand one out at random.
        if not key_id.startswith(RESERVED_KEY_ID_PREFIX):
            break
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return f"{prefix}_{key_id}_{secret}", key_id


def parse_key(full_key: object, prefix: str = DEFAULT_PREFIX) -> str | None:
    """Extract the key id from a well-formed key.

    Never raises for bad input: anything that is not a string of the expected shape
    yields ``None``.

    Args:
        full_key: The key as presented by the client.
        prefix: The expected prefix.

    Returns:
        The key id, or ``None`` if ``full_key`` is malformed.
    """
    if not isinstance(full_key, str) or len(full_key) > _MAX_KEY_LENGTH:
        return None
    pattern = _DEFAULT_KEY_PATTERN if prefix == DEFAULT_PREFIX else _key_pattern(prefix)
    match = pattern.fullmatch(full_key)
    return None if match is None else match.group("key_id")


def hash_secret(full_key: str) -> str:
    """Hash a full key for storage and lookup.

    A plain SHA-256 (no salt, no slow KDF) is deliberate and sufficient here: keys carry
    256 bits of randomness, so there is nothing to brute-force or look up in a rainbow
    table, and the authentication hot path stays cheap. Passwords would need a slow KDF;
    random API keys do not.

    Args:
        full_key: The whole key, prefix and key id included.

    Returns:
        The lowercase hex SHA-256 digest of the key.
    """
    return hashlib.sha256(full_key.encode("utf-8")).hexdigest()


def verify_key(full_key: str, stored_hash: str) -> bool:
    """Check a presented key against a stored hash in constant time.

    Args:
        full_key: The key as presented by the client.
        stored_hash: The hash kept in the directory.

    Returns:
        Whether the key hashes to ``stored_hash``.
    """
    return hmac.compare_digest(hash_secret(full_key), stored_hash)


# DEMO ONLY. This seed is public (it is in the source), so every key derived from it is
# public too: anyone can compute the demo key of any (party, role). It exists so that
# `switchboard serve --demo` prints the same keys on every restart of the same demo
# directory file. Never call demo_key / Directory.ensure_demo_keys outside --demo.
DEMO_SEED: Final = b"switchboard-demo-only-NOT-A-SECRET-v1"


def demo_key(party_id: str, role: str, prefix: str = DEFAULT_PREFIX) -> tuple[str, str]:
    """Derive the deterministic demo key of a (party, role). Demo only: the seed is public.

    The secret is ``HMAC-SHA256(DEMO_SEED, party_id + role)`` in unpadded url-safe base64;
    the key id is ``demo`` plus 6 hex characters derived from that digest, so the same
    pair always yields the same key whatever order the demo lists its keys in.

    Args:
        party_id: The party the key authenticates as.
        role: The role it grants.
        prefix: The key prefix.

    Returns:
        ``(full_key, key_id)``, in the same shape as :func:`generate_key`.
    """
    _check_prefix(prefix)
    # A separator that cannot occur in ids keeps ("ab", "c") and ("a", "bc") apart.
    message = f"{party_id}\x1f{role}".encode()
    digest = hmac.new(DEMO_SEED, message, hashlib.sha256).digest()
    secret = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    key_id = RESERVED_KEY_ID_PREFIX + hashlib.sha256(b"key-id:" + digest).hexdigest()[:6]
    return f"{prefix}_{key_id}_{secret}", key_id
