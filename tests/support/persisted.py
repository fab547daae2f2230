"""Persisted-document helpers for tests: hashes, APQ extensions, client manifests."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = ["apollo_manifest", "apq", "sha256", "write_json"]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def apq(text_or_hash: str, *, version: object = 1, is_hash: bool = False) -> dict[str, Any]:
    """``extensions`` naming a document by its sha256, as Apollo's persisted-query link sends."""
    sha = text_or_hash if is_hash else sha256(text_or_hash)
    return {"persistedQuery": {"version": version, "sha256Hash": sha}}


def apollo_manifest(*operations: tuple[str, str, str]) -> dict[str, Any]:
    """Apollo's persisted-query manifest of (name, type, body) operations, ids their sha256."""
    return {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [
            {"id": sha256(body), "name": name, "type": kind, "body": body}
            for name, kind, body in operations
        ],
    }


def write_json(path: Path, document: Mapping[str, Any]) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
