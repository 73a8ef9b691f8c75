"""The service's settings: built-in defaults < a TOML file (``--config``) < flags."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from narrate.errors import ConfigError, UsageError


@dataclass(frozen=True)
class ServiceConfig:
    data: Path = Path("narrate-data")  # the database, the audio, everything the service keeps
    host: str = "127.0.0.1"
    port: int = 8150
    workers: int = 2  # jobs narrated at once (threads sharing one engine pool)
    jobs: int | None = None  # engine worker processes (default: one per core)
    profile: str = "default"  # voice profile when a request names none
    max_body_bytes: int = 2 * 1024 * 1024
    max_text_chars: int = 200_000
    rate_per_minute: int = 600  # writes per key per minute
    queue_limit: int = 1000  # queued jobs before submissions are refused
    audio: str = "public"  # "public", or "signed": audio only through signed URLs
    signed_url_ttl_s: int = 24 * 3600
    retry_base_s: float = 30.0  # first webhook retry after ~this, doubling each time
    retry_max_s: float = 3600.0  # the longest wait between two attempts
    retry_for_s: float = 24 * 3600.0  # give up on a delivery this long after the event
    webhook_timeout_s: float = 10.0
    shutdown_grace_s: float = 30.0  # SIGTERM: running jobs get this long to finish
    base_url: str | None = None  # public URL of the service (links, feed); default: from the request
    feed_title: str = "narrate newsroom"
    feed_description: str = "Narrated articles"
    feed_image: str = "https://example.invalid/cover.png"

    @property
    def database(self) -> Path:
        return self.data / "narrate.db"

    @property
    def articles(self) -> Path:
        return self.data / "articles"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_config(path: Path | None = None, **flags: Any) -> ServiceConfig:
    """The configuration from ``path`` (a TOML file, its ``[serve]`` table or top level)
    with every flag that is not None on top."""
    values: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"service config {path}: {exc}") from None
        values = dict(data.get("serve", data))
    values.update({k: v for k, v in flags.items() if v is not None})
    known = {f.name for f in fields(ServiceConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"service config: unknown setting(s) {', '.join(unknown)}")
    if "data" in values:
        values["data"] = Path(values["data"])
    config = replace(ServiceConfig(), **values)
    if config.audio not in ("public", "signed"):
        raise ConfigError(f"service config: audio must be 'public' or 'signed', not {config.audio!r}")
    if config.workers < 1:
        raise UsageError("--workers must be at least 1")
    return config
