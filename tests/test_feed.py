"""The podcast feed, built from real narrated output and read back with feedparser (the
parser podcast tools use) and ElementTree (for the exact namespaced tags)."""

from __future__ import annotations

import email.utils
import json
import shutil
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

import feedparser
import pytest

from audio_tools import duration_ms
from conftest import run_narrate
from narrate import feed
from narrate.errors import ConfigError, InputError, NarrateError, UsageError

BASE = "https://example.org/show/"
NS = {"itunes": feed.ITUNES_NS, "podcast": feed.PODCAST_NS}
TRICKY_TITLE = 'Fish & Chips < "Big" Deals at Café Zoë\'s'

ARTICLES = {
    "library.md": "# Library Extends Opening Hours\n\n*By Ada Moss · Published Oct. 1, 2026*\n\n"
    "The town library will stay open until nine on weekdays. "
    "The council approved the change on Monday.\n",
    "bakery.md": "# Bakery Wins Regional Prize\n\n*By Ben Ortiz · Published 2026-10-05*\n\n"
    "A small bakery on Mill Street won the regional bread prize. "
    "Its owner said the secret is patience.\n",
    # No date: the feed falls back to when it was narrated.
    "cafe.md": f"# {TRICKY_TITLE}\n\nThe café on the quay cut its prices for the winter. "
    "Regulars said the queue was longer than ever.\n",
}
LATER = (
    "ferry.md",
    "# Ferry Timetable Changes\n\n*By Cy Lund · Published Oct. 3, 2026*\n\n"
    "The morning ferry will leave ten minutes earlier from next week.\n",
)


def narrate(article: Path, dest: Path) -> None:
    result = run_narrate(str(article), "-o", f"{dest}/", "-q")
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three articles narrated into ``shows/``; a fourth into ``later/`` to add afterwards."""
    root = tmp_path_factory.mktemp("feed")
    for name, text in ARTICLES.items():
        (root / name).write_text(text, encoding="utf-8")
        narrate(root / name, root / "show")
    (root / LATER[0]).write_text(LATER[1], encoding="utf-8")
    narrate(root / LATER[0], root / "later")
    return {"show": root / "show", "later": root / "later"}


@pytest.fixture
def show(narrated: dict[str, Path], tmp_path: Path) -> Path:
    """A private copy of the three-article folder (mtimes kept), with a feed.toml."""
    folder = tmp_path / "show"
    shutil.copytree(narrated["show"], folder)
    (folder / "feed.toml").write_text(
        'title = "Harbour & Town <Daily>"\ndescription = "Local news, read aloud."\n'
        'image = "cover.jpg"\nauthor = "Town Desk"\nemail = "desk@example.org"\n'
        'category = "News/Daily News"\n',
        encoding="utf-8",
    )
    return folder


def build(folder: Path, **kwargs: object) -> str:
    return feed.build_feed(folder, feed.load_channel(folder), base_url=BASE, **kwargs)  # type: ignore[arg-type]


def manifests(folder: Path) -> dict[str, dict]:
    found = {}
    for path in folder.rglob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        if "audio" in record:
            found[record["source"]["title"]] = {**record, "_dir": path.parent}
    return found


def manifest_of(folder: Path, prefix: str) -> Path:
    """The manifest whose name starts with ``prefix`` (not the chapters JSON beside it)."""
    (path,) = [p for p in folder.glob(f"{prefix}*.json") if not p.name.endswith(".chapters.json")]
    return path


def local_path(url: str, folder: Path) -> Path:
    assert url.startswith(BASE)
    return folder / unquote(url[len(BASE) :])


# -- the feed as a podcast app reads it ------------------------------------------------


def test_well_formed_with_apple_required_channel_tags(show: Path) -> None:
    xml = build(show)
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    channel = parsed.feed
    assert channel.title == "Harbour & Town <Daily>"
    assert channel.subtitle == "Local news, read aloud."
    assert channel.language == "en"
    assert channel.image.href == BASE + "cover.jpg"
    assert [t.term for t in channel.tags] == ["News", "Daily News"]
    assert channel.authors[0].email == "desk@example.org"
    root = ET.fromstring(xml.encode())
    assert root.find("channel/itunes:explicit", NS).text == "false"
    assert root.find("channel/itunes:category", NS).get("text") == "News"
    assert root.find("channel/podcast:guid", NS).text == feed.podcast_guid(BASE + "feed.xml")


def test_items_carry_required_tags_and_escape_titles(show: Path) -> None:
    parsed = feedparser.parse(build(show))
    assert len(parsed.entries) == 3
    for entry in parsed.entries:
        (enclosure,) = entry.enclosures
        assert entry.title and entry.id and not entry.guidislink
        assert enclosure.href.startswith(BASE) and int(enclosure.length) > 0
        assert enclosure.type == "audio/mpeg"
    assert TRICKY_TITLE in [entry.title for entry in parsed.entries]


def test_enclosures_match_the_files_and_durations_match_the_audio(show: Path) -> None:
    parsed = feedparser.parse(build(show))
    for entry in parsed.entries:
        audio = local_path(entry.enclosures[0].href, show)
        assert int(entry.enclosures[0].length) == audio.stat().st_size
        assert abs(int(entry.itunes_duration) * 1000 - duration_ms(audio)) <= 1000


def test_transcripts_chapters_and_description(show: Path) -> None:
    parsed = feedparser.parse(build(show))
    records = manifests(show)
    for entry in parsed.entries:
        record = records[entry.title]
        assert entry.podcast_transcript["type"] == "text/vtt"
        assert local_path(entry.podcast_transcript["url"], show).read_text().startswith("WEBVTT")
        assert entry.podcast_chapters["type"] == "application/json+chapters"
        chapters = json.loads(local_path(entry.podcast_chapters["url"], show).read_text())
        assert chapters["chapters"]
        first_sentence = record["utterances"][1]["written"]
        assert entry.summary.startswith(first_sentence)
        assert entry.summary.endswith(
            "AI-generated voice ("
            + record["settings"]["engine_identity"]
            + ", voice en-us), made with narrate "
            + record["narrate_version"]
            + ". Inconsistencies may occur."
        )


def test_dates_newest_first_and_limit(show: Path) -> None:
    parsed = feedparser.parse(build(show))
    titles = [entry.title for entry in parsed.entries]
    # The undated article takes its narration time (today), then Oct 5, then Oct 1.
    assert titles == [TRICKY_TITLE, "Bakery Wins Regional Prize", "Library Extends Opening Hours"]
    assert parsed.entries[1].published == "Mon, 05 Oct 2026 00:00:00 +0000"
    assert parsed.entries[2].published == "Thu, 01 Oct 2026 00:00:00 +0000"
    undated = email.utils.parsedate_to_datetime(parsed.entries[0].published)
    manifest = manifest_of(show, "fish-")
    assert undated == datetime.fromtimestamp(int(manifest.stat().st_mtime), UTC)
    limited = feedparser.parse(build(show, limit=2))
    assert [entry.title for entry in limited.entries] == titles[:2]


def test_rebuild_is_identical_and_new_articles_keep_old_items(show: Path, narrated: dict[str, Path]) -> None:
    first = build(show)
    assert build(show) == first
    before = {e.id: (e.title, e.published) for e in feedparser.parse(first).entries}
    shutil.copytree(narrated["later"], show / "later editions")
    after = feedparser.parse(build(show))
    items = {e.id: (e.title, e.published) for e in after.entries}
    assert len(items) == 4
    assert {guid: items[guid] for guid in before} == before
    assert [e.title for e in after.entries][2] == "Ferry Timetable Changes"
    assert after.entries[2].enclosures[0].href.startswith(BASE + "later%20editions/ferry-")


def test_guid_survives_moving_and_renaming(show: Path, tmp_path: Path) -> None:
    before = {e.title: e.id for e in feedparser.parse(build(show)).entries}
    moved = tmp_path / "moved" / "deeper"
    shutil.copytree(show, moved)
    for path in moved.glob("library-*"):
        path.rename(path.with_name(path.name.replace("library-", "renamed-")))
    manifest = manifest_of(moved, "renamed-")
    record = json.loads(manifest.read_text(encoding="utf-8"))
    for key in ("files",):
        record[key] = {k: v.replace("library-", "renamed-") for k, v in record[key].items()}
    record["audio"]["path"] = record["audio"]["path"].replace("library-", "renamed-")
    manifest.write_text(json.dumps(record), encoding="utf-8")
    after = {e.title: e.id for e in feedparser.parse(build(moved)).entries}
    assert after == before


def test_guid_is_the_article_url_when_known(show: Path) -> None:
    manifest = manifest_of(show, "bakery-")
    record = json.loads(manifest.read_text(encoding="utf-8"))
    record["source"]["url"] = "https://news.example.org/bakery?id=7&lang=en"
    manifest.write_text(json.dumps(record), encoding="utf-8")
    root = ET.fromstring(build(show).encode())
    guids = {item.findtext("title"): item.find("guid") for item in root.iter("item")}
    guid = guids["Bakery Wins Regional Prize"]
    assert guid.text == "https://news.example.org/bakery?id=7&lang=en"
    assert guid.get("isPermaLink") == "false"


def test_chapters_key_in_the_manifest_is_used(show: Path) -> None:
    manifest = manifest_of(show, "bakery-")
    record = json.loads(manifest.read_text(encoding="utf-8"))
    chapters = record["files"].pop("chapters")
    record["chapters"] = chapters  # a later manifest may name the file at the top level
    manifest.write_text(json.dumps(record), encoding="utf-8")
    entry = next(e for e in feedparser.parse(build(show)).entries if e.title.startswith("Bakery"))
    assert entry.podcast_chapters["url"] == BASE + chapters


def test_write_feed_is_atomic_and_readable(show: Path) -> None:
    out = show / "feed.xml"
    feed.write_feed(out, build(show))
    feed.write_feed(out, build(show))
    assert not feedparser.parse(out.read_bytes()).bozo
    assert sorted(p.name for p in show.iterdir() if p.name.startswith(".")) == []


def test_publish_feed_names_its_own_url(show: Path, tmp_path: Path) -> None:
    channel = feed.load_channel(show)
    inside = feed.publish_feed(show, show / "podcast" / "feed v2.xml", channel, base_url=BASE, limit=1)
    assert inside.episodes == 1
    root = ET.fromstring(inside.path.read_bytes())
    self_link = root.find("channel/{http://www.w3.org/2005/Atom}link").get("href")
    assert self_link == BASE + "podcast/feed%20v2.xml"
    assert root.findtext("channel/podcast:guid", namespaces=NS) == feed.podcast_guid(self_link)
    outside = feed.publish_feed(show, tmp_path / "elsewhere" / "show.xml", channel, base_url=BASE)
    assert outside.episodes == 3
    assert f'href="{BASE}show.xml"' in outside.path.read_text(encoding="utf-8")


def test_feed_command(show: Path) -> None:
    from narrate.cli import cli

    if "feed" not in cli.commands:
        pytest.skip("narrate feed is not wired into the CLI yet")
    result = run_narrate("feed", str(show), "--base-url", BASE, "--limit", "2", "--title", "Flagged & <b>")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{show / 'feed.xml'}  (2 episodes)"
    parsed = feedparser.parse((show / "feed.xml").read_bytes())
    assert not parsed.bozo and parsed.feed.title == "Flagged & <b>" and len(parsed.entries) == 2
    (show / "feed.toml").unlink()
    missing = run_narrate("feed", str(show), "--base-url", BASE)
    assert missing.returncode == 2
    assert (
        missing.stderr.strip()
        == f"narrate: error: the feed needs a title: pass --title or set title in {show}/feed.toml"
    )


# -- channel settings ------------------------------------------------------------------


def test_flags_override_feed_toml(show: Path) -> None:
    channel = feed.load_channel(
        show,
        title="Flag Title",
        explicit=True,
        image="https://cdn.example/a.png",
        language="en-GB",
        description=None,
    )
    assert (channel.title, channel.description, channel.explicit) == (
        "Flag Title",
        "Local news, read aloud.",
        True,
    )
    xml = feed.build_feed(show, channel, base_url="https://example.org/show")
    root = ET.fromstring(xml.encode())
    assert root.find("channel/itunes:explicit", NS).text == "true"
    assert root.find("channel/itunes:image", NS).get("href") == "https://cdn.example/a.png"
    assert root.findtext("channel/language") == "en-GB"


@pytest.mark.parametrize(
    ("toml", "overrides", "error", "message"),
    [
        ("", {}, UsageError, "pass --title or set title in"),
        ('title = "T"', {}, UsageError, "pass --description"),
        ('title = "T"\ndescription = "D"', {}, UsageError, "pass --image"),
        (
            'title = "T"\ndescription = "D"\nimage = "a.jpg"',
            {"category": "Newz"},
            ConfigError,
            "not an Apple Podcasts category",
        ),
        ('title = "T"\ndescription = "D"\nimage = "a.gif"', {}, ConfigError, "must be a .jpg or .png"),
        (
            'title = "T"\ndescription = "D"\nimage = "a.jpg"\nemail = "nobody"',
            {},
            ConfigError,
            "not an e-mail",
        ),
        (
            'title = "T"\ndescription = "D"\nimage = "a.jpg"\nlanguage = "English!"',
            {},
            ConfigError,
            "language",
        ),
        ('title = "T"\ncolour = "red"', {}, ConfigError, "unknown key 'colour'"),
        ("explicit = 'yes'", {}, ConfigError, "explicit must be a bool"),
        ("title = ", {}, ConfigError, "feed.toml"),
    ],
)
def test_channel_errors_are_one_line(
    tmp_path: Path, toml: str, overrides: dict, error: type, message: str
) -> None:
    (tmp_path / "feed.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(error) as caught:
        feed.load_channel(tmp_path, **overrides)
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("base_url", "limit", "message"),
    [
        (None, None, "pass --base-url"),
        ("ftp://example.org/", None, "must start with https://"),
        ("example.org/show", None, "must start with https://"),
        (BASE, 0, "--limit must be at least 1"),
    ],
)
def test_usage_errors(show: Path, base_url: str | None, limit: int | None, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        feed.build_feed(show, feed.load_channel(show), base_url=base_url, limit=limit)


def test_base_url_from_feed_toml(show: Path) -> None:
    with (show / "feed.toml").open("a", encoding="utf-8") as config:
        config.write('base_url = "https://cdn.example.org/pod"\n')
    xml = feed.build_feed(show, feed.load_channel(show))
    assert 'url="https://cdn.example.org/pod/' in xml


# -- manifests that cannot make an item ------------------------------------------------


def test_input_errors(show: Path, tmp_path: Path) -> None:
    channel = feed.load_channel(show)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no narrated articles"):
        feed.build_feed(tmp_path / "empty", channel, base_url=BASE)
    shutil.copytree(show, tmp_path / "twice")  # the same articles again, in a subfolder
    with pytest.raises(InputError, match="narrate the same article"):
        feed.build_feed(show.parent, channel, base_url=BASE)
    next(show.glob("bakery-*.mp3")).unlink()
    with pytest.raises(InputError, match=r"bakery-.*\.mp3 is missing"):
        feed.build_feed(show, channel, base_url=BASE)


def test_unsupported_or_broken_manifests(show: Path) -> None:
    manifest = manifest_of(show, "library-")
    record = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**record, "schema": 99}), encoding="utf-8")
    with pytest.raises(InputError, match="schema 99 is not supported"):
        build(show)
    manifest.write_text(json.dumps({**record, "audio": {"path": "x.mp3"}}), encoding="utf-8")
    with pytest.raises(InputError, match="x.mp3 is missing"):
        build(show)
    manifest.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read"):
        build(show)
    manifest.write_text(json.dumps({**record, "audio": {"path": "../../etc/passwd"}}), encoding="utf-8")
    with pytest.raises(NarrateError, match="outside"):
        build(show)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oct. 3, 2026", datetime(2026, 10, 3, tzinfo=UTC)),
        ("2026-10-05", datetime(2026, 10, 5, tzinfo=UTC)),
        ("3 October 2026, 14:30", datetime(2026, 10, 3, 14, 30, tzinfo=UTC)),
        ("2026-10-03T09:00:00+02:00", datetime(2026, 10, 3, 7, 0, tzinfo=UTC)),
        ("Oct. 3, 2026 9:00 a.m. EDT", datetime(2026, 10, 3, 13, 0, tzinfo=UTC)),
        ("Oct. 3, 2026 9:00 XYZT", datetime(2026, 10, 3, 9, 0, tzinfo=UTC)),
        ("October", None),  # no day or year: would drift with today's date
        ("last Tuesday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(text: str | None, expected: datetime | None) -> None:
    assert feed.parse_date(text) == expected
