"""The show a feed describes: its settings from ``feed.toml`` in the folder, overridden
by the caller, checked against what podcast directories accept::

    title = "Castlemere Daily, read aloud"
    description = "Local news, narrated."
    image = "https://example.org/cover.jpg"   # or a path relative to the base URL
    base_url = "https://example.org/podcast/"
    author = "Castlemere Daily"
    email = "podcast@example.org"
    language = "en"
    category = "News/Daily News"               # Apple category, optional "/Subcategory"
    explicit = false
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from narrate.errors import ConfigError, UsageError

CONFIG_NAME = "feed.toml"
# fmt: off
# Apple Podcasts' top-level categories (a subcategory may follow after "/").
APPLE_CATEGORIES = (
    "Arts", "Business", "Comedy", "Education", "Fiction", "Government", "Health & Fitness",
    "History", "Kids & Family", "Leisure", "Music", "News", "Religion & Spirituality", "Science",
    "Society & Culture", "Sports", "TV & Film", "Technology", "True Crime",
)
# fmt: on
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@dataclass(frozen=True)
class Channel:
    """The show: what podcast apps display above the episodes."""

    title: str
    description: str
    image: str  # artwork URL (JPEG or PNG, 1400-3000 px square), or a path under the base URL
    link: str | None = None  # the show's web page; default: the base URL
    author: str | None = None
    email: str | None = None  # owner e-mail, used by directories to verify ownership
    language: str = "en"
    category: str = "News"  # "Category" or "Category/Subcategory" from Apple's list
    explicit: bool = False
    base_url: str | None = None  # where the folder is published
    guid: str | None = None  # podcast:guid; default: derived from the feed URL


# Required fields → the flag that sets them (the feed.toml key is the field name).
_REQUIRED = {"title": "--title", "description": "--description", "image": "--image"}


def load_channel(folder: Path, **overrides: Any) -> Channel:
    """Channel settings from ``folder/feed.toml`` (if any), overridden by every
    ``overrides`` value that is not None."""
    config = folder / CONFIG_NAME
    values = _read_config(config) if config.is_file() else {}
    values.update({key: value for key, value in overrides.items() if value is not None})
    known = {f.name for f in fields(Channel)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UsageError(f"unknown channel setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
    for key, flag in _REQUIRED.items():
        if not values.get(key):
            raise UsageError(f"the feed needs a {key}: pass {flag} or set {key} in {config}")
    channel = Channel(**values)
    _check_channel(channel)
    return channel


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    types = {f.name: bool if f.name == "explicit" else str for f in fields(Channel)}
    for key, value in data.items():
        if key not in types:
            raise ConfigError(f"{path}: unknown key {key!r} (known: {', '.join(sorted(types))})")
        if not isinstance(value, types[key]):
            raise ConfigError(f"{path}: {key} must be a {types[key].__name__}, not {value!r}")
    return data


def _check_channel(channel: Channel) -> None:
    if not _LANGUAGE.match(channel.language):
        raise ConfigError(f"language {channel.language!r} is not a language code such as en or en-GB")
    top = channel.category.split("/")[0].strip()
    if top not in APPLE_CATEGORIES:
        raise ConfigError(
            f"category {top!r} is not an Apple Podcasts category (one of: {', '.join(APPLE_CATEGORIES)})"
        )
    if channel.email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", channel.email):
        raise ConfigError(f"e-mail {channel.email!r} is not an e-mail address")
    if not urlsplit(channel.image).path.lower().endswith((".jpg", ".jpeg", ".png")):
        raise ConfigError(f"artwork {channel.image!r} must be a .jpg or .png image")
