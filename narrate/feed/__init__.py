"""The podcast feed of a folder of narrations: it consumes finished outputs (their
manifests and files), so it stands beside batch, not inside export.

``load_channel`` (channel.py) reads the show's settings, ``find_episodes``
(episodes.py) one item per manifest, ``build_feed``/``publish_feed`` (rss.py) the XML.
"""

from narrate.feed.channel import Channel, load_channel
from narrate.feed.episodes import Episode, find_episodes, parse_date
from narrate.feed.rss import ITUNES_NS, PODCAST_NS, build_feed, podcast_guid, publish_feed, write_feed

__all__ = [
    "ITUNES_NS", "PODCAST_NS", "Channel", "Episode", "build_feed", "find_episodes", "load_channel",
    "parse_date", "podcast_guid", "publish_feed", "write_feed",
]
