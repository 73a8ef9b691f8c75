"""Who is calling: ``Authorization: Bearer <key>`` → the key's record, or a 401."""

from __future__ import annotations

from typing import Any

from narrate.service.errors import ApiError
from narrate.service.keys import token_hash
from narrate.service.store import Store

CHALLENGE = {"WWW-Authenticate": "Bearer"}


def authenticate(store: Store, header: str) -> dict[str, Any]:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "send an API key: Authorization: Bearer <key>", CHALLENGE)
    key = store.key_by_hash(token_hash(token.strip()))
    if key is None:
        raise ApiError(401, "invalid_key", "this API key is unknown or revoked", CHALLENGE)
    return key
