"""The podcast feed: RSS 2.0 with the iTunes and Podcasting 2.0 namespaces, one item per
narrated article, built from the manifests under a folder.

Everything an item needs comes from the manifest and the files beside it: the enclosure
length is the audio file's size on disk, the duration the manifest's, the GUID is derived
from the article (its URL, else its title and source hash) so it never changes when the
article is narrated again, moved or joined by newer ones. feedgen (and its podcast
extension) writes the XML; the few tags it lacks are added by :class:`_PodcastIndex`.

Channel settings come from ``feed.toml`` in the folder, overridden by the caller::

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

import hashlib
import json
import re
import tomllib
import uuid
import warnings
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from dateutil import parser as dateparser
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from narrate import __version__
from narrate.errors import ConfigError, InputError, UsageError
from narrate.export.staging import Staging

CONFIG_NAME = "feed.toml"
MANIFEST_SCHEMA = 1
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
# podcast:guid is a UUIDv5 of the feed URL in this namespace (Podcasting 2.0 spec).
PODCAST_GUID_NS = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

# fmt: off
# Enclosure MIME types as podcast apps expect them (Apple wants audio/x-m4a for AAC).
AUDIO_MIME = {
    "mp3": "audio/mpeg", "m4a": "audio/x-m4a", "aac": "audio/aac", "ogg": "audio/ogg",
    "opus": "audio/ogg", "wav": "audio/wav", "flac": "audio/flac",
}
CAPTION_MIME = {"vtt": "text/vtt", "srt": "application/x-subrip"}
CHAPTERS_MIME = "application/json+chapters"
# Apple Podcasts' top-level categories (a subcategory may follow after "/").
APPLE_CATEGORIES = (
    "Arts", "Business", "Comedy", "Education", "Fiction", "Government", "Health & Fitness",
    "History", "Kids & Family", "Leisure", "Music", "News", "Religion & Spirituality", "Science",
    "Society & Culture", "Sports", "TV & Film", "Technology", "True Crime",
)
# Zone abbreviations news sites print after a time (dateutil knows only UTC/GMT/Z itself).
ZONES = {
    name: hours * 3600
    for name, hours in {
        "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
        "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "JST": 9, "AEST": 10, "AEDT": 11,
    }.items()
}
# fmt: on
SUMMARY_SENTENCES = 3
SUMMARY_CHARS = 400
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


@dataclass(frozen=True)
class Episode:
    """One narrated article, as the feed sees it. Paths are relative to the feed folder."""

    guid: str
    title: str
    description: str
    published: datetime
    audio: str
    audio_type: str
    length: int
    duration_s: int
    author: str | None
    link: str | None
    transcripts: tuple[tuple[str, str], ...]  # (path, MIME type)
    chapters: str | None
    manifest: Path
    written: datetime  # the manifest's mtime: when it was narrated


def find_episodes(folder: Path) -> list[Episode]:
    """Every narrated article under ``folder`` (recursively), newest first."""
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder")
    episodes = []
    for path in sorted(folder.rglob("*.json")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        record = _read_manifest(path)
        if record is not None:
            episodes.append(episode_from(path, record, folder))
    if not episodes:
        raise InputError(f"no narrated articles under {folder} (no narrate manifests found)")
    _check_unique(episodes)
    return sorted(episodes, key=lambda e: (e.published, e.guid), reverse=True)


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest in ``path``, or None when it is some other JSON file (chapters, …)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not isinstance(record, dict) or not {"schema", "narrate_version", "audio"} <= record.keys():
        return None
    if record["schema"] != MANIFEST_SCHEMA:
        raise InputError(
            f"{path}: manifest schema {record['schema']} is not supported "
            f"(narrate {__version__} reads schema {MANIFEST_SCHEMA})"
        )
    return record


def _check_unique(episodes: list[Episode]) -> None:
    seen: dict[str, Path] = {}
    for episode in episodes:
        if episode.guid in seen:
            raise InputError(
                f"{seen[episode.guid]} and {episode.manifest} narrate the same article; "
                "keep one of them in the feed folder"
            )
        seen[episode.guid] = episode.manifest


def episode_from(path: Path, record: dict[str, Any], folder: Path) -> Episode:
    try:
        return _episode(path, record, folder)
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path} is not a valid narrate manifest (bad or missing {exc})") from None


def _episode(path: Path, record: dict[str, Any], folder: Path) -> Episode:
    source, audio = record["source"], record["audio"]
    audio_path = _sidecar(path, audio["path"], folder)
    fmt = audio.get("format") or Path(audio["path"]).suffix.lstrip(".")
    mime = AUDIO_MIME.get(fmt) or audio.get("mime")
    if not mime:
        raise InputError(f"{path}: unknown audio format {fmt!r}")
    written = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    title = source.get("title") or record["utterances"][0]["written"]
    files = record.get("files") or {}
    captions = record.get("captions")  # a single caption file name, in later manifests
    if isinstance(captions, str):
        files = {Path(captions).suffix.lstrip("."): captions, **files}
    chapters = record.get("chapters") if isinstance(record.get("chapters"), str) else files.get("chapters")
    return Episode(
        guid=guid_for(source, title),
        title=title,
        description=f"{summary(record['utterances'])}\n\n{disclosure(record)}".strip(),
        published=parse_date(source.get("date")) or written,
        audio=_relative(audio_path, folder),
        audio_type=mime,
        length=audio_path.stat().st_size,
        duration_s=round(audio["duration_ms"] / 1000),
        author=source.get("author"),
        link=source.get("url"),
        transcripts=tuple(
            (_relative(_sidecar(path, name, folder), folder), CAPTION_MIME[kind])
            for kind, name in files.items()
            if kind in CAPTION_MIME
        ),
        chapters=_relative(_sidecar(path, chapters, folder), folder) if chapters else None,
        manifest=path,
        written=written,
    )


def _sidecar(manifest: Path, name: str, folder: Path) -> Path:
    """A file the manifest names, which must exist inside the feed folder."""
    path = (manifest.parent / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise InputError(f"{manifest}: {name} lies outside {folder}, so it cannot be published with it")
    if not path.is_file():
        raise InputError(f"{manifest}: {name} is missing (narrate the article again)")
    return path


def _relative(path: Path, folder: Path) -> str:
    return path.relative_to(folder.resolve()).as_posix()


def guid_for(source: dict[str, Any], title: str) -> str:
    """The same article always gets the same GUID: its URL, else a hash of its title and
    its text, never anything about where or when it was narrated."""
    if source.get("url"):
        return str(source["url"]).strip()
    digest = hashlib.sha256(f"{title}\n{source.get('sha256') or ''}".encode()).hexdigest()
    return f"narrate:{digest[:32]}"


def summary(utterances: list[dict[str, Any]]) -> str:
    """The article's first sentences (not its title or headings)."""
    picked: list[str] = []
    for utterance in utterances:
        if utterance.get("kind") in ("title", "heading"):
            continue
        text = utterance["written"]
        if picked and len(" ".join([*picked, text])) > SUMMARY_CHARS:
            break
        picked.append(text)
        if len(picked) == SUMMARY_SENTENCES:
            break
    return " ".join(picked)


def disclosure(record: dict[str, Any]) -> str:
    settings = record.get("settings") or {}
    voice = (settings.get("voice") or {}).get("voice") or "default"
    engine = settings.get("engine_identity") or settings.get("engine") or "a speech engine"
    return (
        f"This narration uses an AI-generated voice ({engine}, voice {voice}), made with "
        f"narrate {record.get('narrate_version', '')}. Inconsistencies may occur."
    )


def parse_date(text: str | None) -> datetime | None:
    """An article date as written ("Oct. 3, 2026", "2026-10-03T09:00+02:00"), or None when
    it lacks a day, month or year (filling those in from today would move it every run)."""
    if not text:
        return None
    try:
        with warnings.catch_warnings():  # a zone we don't know is read as UTC
            warnings.simplefilter("ignore", dateparser.UnknownTimezoneWarning)
            first: datetime = dateparser.parse(text, default=datetime(2000, 1, 1), tzinfos=ZONES)
            second: datetime = dateparser.parse(text, default=datetime(2001, 2, 2), tzinfos=ZONES)
    except (ValueError, OverflowError):
        return None
    if first != second:
        return None
    return first.replace(tzinfo=UTC) if first.tzinfo is None else first


def build_feed(
    folder: Path,
    channel: Channel,
    *,
    base_url: str | None = None,
    limit: int | None = None,
    feed_url: str = "feed.xml",
) -> str:
    """The RSS feed (XML text) for the narrated articles under ``folder``, newest first.

    ``base_url`` is where ``folder`` is published (default: the channel's); enclosure and
    transcript URLs are it plus each file's path under ``folder``. ``feed_url`` is where
    the feed itself will live: a URL, or a path under the base URL.
    """
    base, episodes = _select(folder, channel, base_url, limit)
    return render_feed(episodes, channel, base, _url(base, feed_url))


def _select(
    folder: Path, channel: Channel, base_url: str | None, limit: int | None
) -> tuple[str, list[Episode]]:
    """The base URL and the episodes to publish (checking the arguments first)."""
    base = _base_url(base_url or channel.base_url)
    if limit is not None and limit < 1:
        raise UsageError(f"--limit must be at least 1, not {limit}")
    return base, find_episodes(folder)[:limit]


def render_feed(episodes: list[Episode], channel: Channel, base: str, feed_url: str) -> str:
    generator = _channel(channel, base, feed_url)
    generator.lastBuildDate(max(e.written for e in episodes))
    for episode in episodes:
        _item(generator, episode, base)
    xml: bytes = generator.rss_str(pretty=True)
    return xml.decode("utf-8")


@dataclass(frozen=True)
class Published:
    path: Path
    episodes: int


def publish_feed(
    folder: Path, output: Path, channel: Channel, *, base_url: str | None = None, limit: int | None = None
) -> Published:
    """Build the feed for ``folder`` and write it to ``output`` atomically. The feed's own
    URL (atom:link rel=self, podcast:guid) is output's place under the base URL."""
    base, episodes = _select(folder, channel, base_url, limit)
    try:
        where = output.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:  # written elsewhere: assume it is published beside the folder's files
        where = output.name
    write_feed(output, render_feed(episodes, channel, base, _url(base, where)))
    return Published(output, len(episodes))


def write_feed(path: Path, xml: str) -> None:
    """Write the feed atomically: a reader never sees half a feed."""
    with Staging() as staging:
        staging.write_text(path, xml)
        staging.commit()


def _base_url(url: str | None) -> str:
    if not url:
        raise UsageError(f"the feed needs a base URL: pass --base-url or set base_url in {CONFIG_NAME}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"base URL {url!r} must start with https:// (or http://)")
    return url if url.endswith("/") else url + "/"


def _url(base: str, path: str) -> str:
    """``path`` (a file under the base URL, or already a URL) as a URL."""
    return path if urlsplit(path).scheme else urljoin(base, quote(path))


def _channel(channel: Channel, base: str, feed_url: str) -> FeedGenerator:
    generator = FeedGenerator()
    generator.load_extension("podcast")
    generator.register_extension("podcastindex", _PodcastIndex, _PodcastIndexEntry)
    generator.title(channel.title)
    generator.description(channel.description)
    generator.link(href=feed_url, rel="self", type="application/rss+xml")
    generator.link(href=channel.link or base, rel="alternate")  # feedgen: the last link is <link>
    generator.language(channel.language)
    generator.generator(f"narrate {__version__}")
    category, _, sub = (part.strip() for part in channel.category.partition("/"))
    generator.podcast.itunes_category({"cat": category, "sub": sub} if sub else {"cat": category})
    generator.podcast.itunes_type("episodic")
    if channel.author:
        generator.podcast.itunes_author(channel.author)
    if channel.email:
        generator.podcast.itunes_owner(name=channel.author or channel.title, email=channel.email)
    extension: _PodcastIndex = generator.podcastindex
    extension.image = _url(base, channel.image)
    extension.explicit = channel.explicit
    extension.guid = channel.guid or podcast_guid(feed_url)
    return generator


def _item(generator: FeedGenerator, episode: Episode, base: str) -> None:
    entry = generator.add_entry(order="append")
    entry.title(episode.title)
    entry.guid(episode.guid, permalink=False)
    entry.description(episode.description)
    entry.enclosure(_url(base, episode.audio), str(episode.length), episode.audio_type)
    entry.pubDate(episode.published)
    if episode.link:
        entry.link(href=episode.link)
    entry.podcast.itunes_duration(episode.duration_s)
    if episode.author:
        entry.podcast.itunes_author(episode.author)
    extension: _PodcastIndexEntry = entry.podcastindex
    extension.transcripts = [(_url(base, path), mime) for path, mime in episode.transcripts]
    extension.chapters = _url(base, episode.chapters) if episode.chapters else None


def podcast_guid(feed_url: str) -> str:
    """podcast:guid as the Podcasting 2.0 spec derives it: UUIDv5 of the feed URL without
    its scheme and trailing slashes."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NS, bare))


class _PodcastIndex(BaseExtension):
    """Channel tags feedgen lacks or writes in an outdated form: podcast:guid, and
    itunes:image / itunes:explicit (feedgen drops a .jpeg image silently and writes
    explicit as yes/no where Apple now asks for true/false)."""

    def __init__(self) -> None:
        self.image: str | None = None
        self.explicit = False
        self.guid: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS, "itunes": ITUNES_NS}

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        if self.image:
            xml_elem(f"{{{ITUNES_NS}}}image", channel, href=self.image)
        xml_elem(f"{{{ITUNES_NS}}}explicit", channel).text = "true" if self.explicit else "false"
        if self.guid:
            xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self.guid
        return feed


class _PodcastIndexEntry(BaseEntryExtension):
    """Item tags from the Podcasting 2.0 namespace: transcripts and chapters."""

    def __init__(self) -> None:
        self.transcripts: list[tuple[str, str]] = []
        self.chapters: str | None = None

    def extend_rss(self, item: Any) -> Any:
        for url, mime in self.transcripts:
            rel = {"rel": "captions"} if mime in CAPTION_MIME.values() else {}
            xml_elem(f"{{{PODCAST_NS}}}transcript", item, url=url, type=mime, **rel)
        if self.chapters:
            xml_elem(f"{{{PODCAST_NS}}}chapters", item, url=self.chapters, type=CHAPTERS_MIME)
        return item
