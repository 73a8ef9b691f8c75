"""Secrets and signatures: API tokens (only their hash is kept), the webhook signature
and signed audio URLs. Pure functions; the store keeps what they make."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

TOKEN_PREFIX = "nk_"
SIGNATURE_HEADER = "X-Narrate-Signature"


def new_token() -> tuple[str, str]:
    """(key id, token): the token is shown once; the id names the key in lists."""
    key_id = secrets.token_hex(4)
    return key_id, f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(24)}"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign_body(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``X-Narrate-Signature`` header: ``t=<unix time>,v1=<hex HMAC-SHA256 of
    "<t>." + body with the key's secret>``. The receiver checks both the HMAC and that
    ``t`` is recent (the replay window)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode("utf-8"), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def verify_signature(
    secret: str, body: bytes, header: str, window_s: int = 300, now: float | None = None
) -> bool:
    """The receiver's check (the README shows the same in a few lines)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        stamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > window_s:
        return False
    expected = sign_body(secret, body, stamp)
    return hmac.compare_digest(expected, header.strip())


def sign_path(server_secret: str, path: str, expires: int) -> str:
    message = f"{path}\n{expires}".encode()
    return hmac.new(server_secret.encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]


def signed_query(server_secret: str, path: str, ttl_s: int) -> str:
    expires = int(time.time()) + ttl_s
    return f"expires={expires}&sig={sign_path(server_secret, path, expires)}"


def check_signed(server_secret: str, path: str, expires: str | None, sig: str | None) -> bool:
    if not expires or not sig or not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(sign_path(server_secret, path, int(expires)), sig)
