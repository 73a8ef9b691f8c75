"""The episodes a feed lists: one per narrated article under a folder, each built from
its manifest and the files beside it. The enclosure length is the audio file's size on
disk, the duration the manifest's; the GUID is derived from the article (its URL, else
its title and source hash) so it never changes when the article is narrated again,
moved or joined by newer ones.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dateutil import parser as dateparser

from narrate.errors import InputError
from narrate.export import manifest as manifests
from narrate.export.manifest import Manifest, UtteranceRecord

# fmt: off
# Enclosure MIME types as podcast apps expect them (Apple wants audio/x-m4a for AAC).
AUDIO_MIME = {
    "mp3": "audio/mpeg", "m4a": "audio/x-m4a", "aac": "audio/aac", "ogg": "audio/ogg",
    "opus": "audio/ogg", "wav": "audio/wav", "flac": "audio/flac",
}
CAPTION_MIME = {"vtt": "text/vtt", "srt": "application/x-subrip"}
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
    disclosure: str = ""  # the AI-voice disclosure (podcast:txt purpose="ai-content")


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


def _read_manifest(path: Path) -> Manifest | None:
    """The manifest in ``path``, or None when it is some other JSON file (chapters, …)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not manifests.is_manifest(record):
        return None
    try:
        return Manifest.from_dict(record)
    except manifests.UnsupportedSchema as exc:
        raise InputError(f"{path}: {exc}") from None
    except manifests.ManifestError as exc:
        raise InputError(f"{path} is not a valid narrate manifest ({exc})") from None


def _check_unique(episodes: list[Episode]) -> None:
    seen: dict[str, Path] = {}
    for episode in episodes:
        if episode.guid in seen:
            raise InputError(
                f"{seen[episode.guid]} and {episode.manifest} narrate the same article; "
                "keep one of them in the feed folder"
            )
        seen[episode.guid] = episode.manifest


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (a control character in one
    manifest, written by an older narrate or by hand, must not cost the whole feed)."""
    return _NOT_XML.sub("", text)


def web_link(url: str | None) -> str | None:
    """Only an http(s) URL is a link: ``javascript:``, ``data:``, ``file:`` never reach a feed."""
    if not url:
        return None
    url = xml_text(url).strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    return url if scheme in ("http", "https") and "://" in url and not re.search(r"\s", url) else None


def episode_from(path: Path, manifest: Manifest, folder: Path) -> Episode:
    source, audio = manifest.source, manifest.audio
    audio_path = _sidecar(path, audio.path, folder)
    fmt = audio.format or Path(audio.path).suffix.lstrip(".")
    mime = AUDIO_MIME.get(fmt) or audio.mime
    if not mime:
        raise InputError(f"{path}: unknown audio format {fmt!r}")
    if not manifest.utterances:
        raise InputError(f"{path} is not a valid narrate manifest (bad or missing 'utterances')")
    written = datetime.fromtimestamp(int(path.stat().st_mtime), UTC)
    title = xml_text(source.title or manifest.utterances[0].written)
    chapters = manifest.files.get("chapters")
    if not math.isfinite(audio.duration_ms) or audio.duration_ms < 0:
        raise InputError(f"{path} is not a valid narrate manifest (bad 'duration_ms')")
    return Episode(
        guid=guid_for(source.url, title, source.sha256),
        title=title,
        description=xml_text(f"{summary(manifest.utterances)}\n\n{manifest.disclosure()}".strip()),
        published=parse_date(source.date) or written,
        audio=_relative(audio_path, folder),
        audio_type=mime,
        length=audio_path.stat().st_size,
        duration_s=round(audio.duration_ms / 1000),
        author=xml_text(source.author) if source.author else None,
        link=web_link(source.url),
        transcripts=tuple(
            (_relative(_sidecar(path, name, folder), folder), CAPTION_MIME[kind])
            for kind, name in manifest.files.items()
            if kind in CAPTION_MIME
        ),
        chapters=_relative(_sidecar(path, chapters, folder), folder) if chapters else None,
        manifest=path,
        written=written,
        disclosure=xml_text(manifest.disclosure()),
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


def guid_for(url: str | None, title: str, sha256: str) -> str:
    """The same article always gets the same GUID: its URL, else a hash of its title and
    its text, never anything about where or when it was narrated."""
    if link := web_link(url):
        return link
    digest = hashlib.sha256(f"{title}\n{sha256 or ''}".encode()).hexdigest()
    return f"narrate:{digest[:32]}"


def summary(utterances: tuple[UtteranceRecord, ...]) -> str:
    """The article's first sentences (not its title or headings)."""
    picked: list[str] = []
    for utterance in utterances:
        if utterance.kind in ("title", "heading"):
            continue
        text = utterance.written
        if picked and len(" ".join([*picked, text])) > SUMMARY_CHARS:
            break
        picked.append(text)
        if len(picked) == SUMMARY_SENTENCES:
            break
    return " ".join(picked)


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
