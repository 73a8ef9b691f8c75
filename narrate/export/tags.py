"""Tags and chapters that travel with the file.

MP3: ID3v2.4 written with mutagen — title, artist, album, date, genre Speech, cover,
the AI-voice disclosure as a comment, a TXXX provenance record, and CHAP frames under
one CTOC. mutagen stores frames ordered by size (then by key), and ffprobe lists
chapters in stored order, so every CHAP frame is made the same size with element ids
that sort in time order: stored order and time order agree for every reader.
Other formats: an ffmetadata file that ffmpeg writes as MP4 atoms / Vorbis comments,
chapters included.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Chapter:
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str | None
    album: str | None
    date: str | None
    comment: str  # the AI-voice disclosure
    provenance: dict[str, str]
    chapters: tuple[Chapter, ...] = ()
    cover: Path | None = None


def _chapter_ids(chapters: Sequence[Chapter]) -> list[str]:
    """Element ids that sort in time order and pad every CHAP frame to one size."""
    sizes = [len(c.title.encode("utf-8")) for c in chapters]
    widest = max(sizes, default=0)
    return [f"ch{n:03d}" + "_" * (widest - size) for n, size in enumerate(sizes)]


def _cover_mime(path: Path) -> str:
    return "image/png" if path.read_bytes()[:4] == b"\x89PNG" else "image/jpeg"


def write_id3(path: Path, tags: Tags) -> None:
    from mutagen.id3 import (
        APIC,
        CHAP,
        COMM,
        CTOC,
        ID3,
        TALB,
        TCON,
        TDRC,
        TIT2,
        TPE1,
        TXXX,
        CTOCFlags,
    )

    id3 = ID3()
    id3.add(TIT2(encoding=3, text=tags.title))
    if tags.artist:
        id3.add(TPE1(encoding=3, text=tags.artist))
    if tags.album:
        id3.add(TALB(encoding=3, text=tags.album))
    if tags.date and tags.date[:4].isdigit():
        id3.add(TDRC(encoding=3, text=tags.date))
    id3.add(TCON(encoding=3, text="Speech"))
    id3.add(COMM(encoding=3, lang="eng", desc="", text=tags.comment))
    id3.add(TXXX(encoding=3, desc="narrate", text=json.dumps(tags.provenance, sort_keys=True)))
    if tags.cover is not None:
        id3.add(APIC(encoding=3, mime=_cover_mime(tags.cover), type=3, desc="Cover",
                     data=tags.cover.read_bytes()))
    ids = _chapter_ids(tags.chapters)
    for element_id, chapter in zip(ids, tags.chapters, strict=True):
        id3.add(CHAP(element_id=element_id, start_time=chapter.start_ms, end_time=chapter.end_ms,
                     sub_frames=[TIT2(encoding=3, text=chapter.title)]))
    if ids:
        id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                     child_element_ids=ids, sub_frames=[TIT2(encoding=3, text="Chapters")]))
    id3.save(str(path), v2_version=4)


def _escape(value: str) -> str:
    for char in ("\\", "=", ";", "#", "\n"):
        value = value.replace(char, "\\" + char)
    return value


def ffmetadata(tags: Tags, with_chapters: bool = True) -> str:
    """The same tags (and chapters) as an ffmetadata file, for ffmpeg's muxers."""
    fields = {
        "title": tags.title,
        "artist": tags.artist,
        "album": tags.album,
        "date": tags.date,
        "genre": "Speech",
        "comment": tags.comment,
        "narrate": json.dumps(tags.provenance, sort_keys=True),
    }
    lines = [";FFMETADATA1"]
    lines += [f"{key}={_escape(value)}" for key, value in fields.items() if value]
    for chapter in tags.chapters if with_chapters else ():
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={chapter.start_ms}",
                  f"END={chapter.end_ms}", f"title={_escape(chapter.title)}"]
    return "\n".join(lines) + "\n"


def write_vorbis_chapters(path: Path, chapters: Sequence[Chapter]) -> None:
    """CHAPTERnnn / CHAPTERnnnNAME comments (Ogg, FLAC), written with mutagen: ffmpeg
    5.1's Ogg muxer shifts them by a second."""
    import mutagen

    audio = mutagen.File(str(path))
    for n, chapter in enumerate(chapters):
        seconds, millis = divmod(chapter.start_ms, 1000)
        minutes, seconds = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        audio[f"CHAPTER{n:03d}"] = f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"
        audio[f"CHAPTER{n:03d}NAME"] = chapter.title
    audio.save()


def write_mp4_cover(path: Path, cover: Path) -> None:
    from mutagen.mp4 import MP4, MP4Cover

    audio = MP4(str(path))
    kind = MP4Cover.FORMAT_PNG if _cover_mime(cover) == "image/png" else MP4Cover.FORMAT_JPEG
    audio["covr"] = [MP4Cover(cover.read_bytes(), imageformat=kind)]
    audio.save()


def podcast_chapters(chapters: Sequence[Chapter]) -> str:
    """The Podcasting 2.0 JSON chapters file (podcast:chapters)."""
    return json.dumps(
        {
            "version": "1.2.0",
            "chapters": [{"startTime": c.start_ms / 1000, "endTime": c.end_ms / 1000,
                          "title": c.title} for c in chapters],
        },
        ensure_ascii=False, indent=2,
    ) + "\n"
