"""The podcast feed: RSS 2.0 with the iTunes and Podcasting 2.0 namespaces, one item per
narrated article (see episodes.py), written atomically. feedgen (and its podcast
extension) writes the XML; the few tags it lacks are added by :class:`_PodcastIndex`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from narrate import __version__
from narrate.errors import UsageError
from narrate.export.staging import Staging
from narrate.feed.channel import CONFIG_NAME, Channel
from narrate.feed.episodes import CAPTION_MIME, Episode, find_episodes

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
# podcast:guid is a UUIDv5 of the feed URL in this namespace (Podcasting 2.0 spec).
PODCAST_GUID_NS = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
CHAPTERS_MIME = "application/json+chapters"
# podcast:txt purpose="ai-content": the machine-readable AI disclosure podcast hosts use
AI_CONTENT = "ai-content"
CHANNEL_DISCLOSURE = ("Episodes of this podcast are narrated with an AI-generated voice (narrate, "
                      "offline text-to-speech). Inconsistencies may occur.")


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
    extension.disclosure = episode.disclosure or None


def podcast_guid(feed_url: str) -> str:
    """podcast:guid as the Podcasting 2.0 spec derives it: UUIDv5 of the feed URL without
    its scheme and trailing slashes."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NS, bare))


class _PodcastIndex(BaseExtension):
    """Channel tags feedgen lacks or writes in an outdated form: podcast:guid, the AI
    disclosure (podcast:txt purpose="ai-content"), and
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
        xml_elem(f"{{{PODCAST_NS}}}txt", channel, purpose=AI_CONTENT).text = CHANNEL_DISCLOSURE
        return feed


class _PodcastIndexEntry(BaseEntryExtension):
    """Item tags from the Podcasting 2.0 namespace: transcripts, chapters and the AI
    disclosure (podcast:txt purpose="ai-content", beside the sentence in the description)."""

    def __init__(self) -> None:
        self.transcripts: list[tuple[str, str]] = []
        self.chapters: str | None = None
        self.disclosure: str | None = None

    def extend_rss(self, item: Any) -> Any:
        for url, mime in self.transcripts:
            rel = {"rel": "captions"} if mime in CAPTION_MIME.values() else {}
            xml_elem(f"{{{PODCAST_NS}}}transcript", item, url=url, type=mime, **rel)
        if self.chapters:
            xml_elem(f"{{{PODCAST_NS}}}chapters", item, url=self.chapters, type=CHAPTERS_MIME)
        if self.disclosure:
            xml_elem(f"{{{PODCAST_NS}}}txt", item, purpose=AI_CONTENT).text = self.disclosure
        return item
