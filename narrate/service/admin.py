"""Managing API keys (``narrate serve keys create|list|revoke``): the library side, with
no web stack, so keys can be made before the server first starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from narrate.errors import UsageError
from narrate.service import keys
from narrate.service.config import ServiceConfig
from narrate.service.store import Store


@dataclass(frozen=True)
class NewKey:
    key_id: str
    token: str  # shown once: only its hash is stored
    secret: str  # signs this key's webhooks


def create_key(config: ServiceConfig, label: str = "", webhook_url: str | None = None) -> NewKey:
    if webhook_url is not None and not webhook_url.startswith(("http://", "https://")):
        raise UsageError(f"--webhook {webhook_url!r} must be an http:// or https:// URL")
    key_id, token = keys.new_token()
    secret = keys.new_secret()
    store = Store(config.database)
    try:
        store.add_key(key_id, keys.token_hash(token), secret, label, webhook_url)
    finally:
        store.close()
    return NewKey(key_id, token, secret)


def list_keys(config: ServiceConfig) -> list[dict[str, Any]]:
    store = Store(config.database)
    try:
        return store.keys()
    finally:
        store.close()


def revoke_key(config: ServiceConfig, key_id: str) -> None:
    store = Store(config.database)
    try:
        if not store.revoke_key(key_id):
            raise UsageError(f"no active key {key_id!r} (see narrate serve keys list)")
    finally:
        store.close()
