"""Tags and chapters that travel with the file.

MP3: ID3v2.4 written with mutagen — title, artist, album, date, genre Speech, cover,
the AI-voice disclosure as a comment, a TXXX provenance record, and CHAP frames under
one CTOC. mutagen stores frames ordered by size (then by key), and ffprobe lists
chapters in stored order, so every CHAP frame is made the same size with element ids
that sort in time order: stored order and time order agree for every reader.
Other formats: an ffmetadata file that ffmpeg writes as MP4 atoms / Vorbis comments,
chapters included.

The XMP packet (xmp.py: the IPTC digital source type) goes where readers such as
exiftool look for it: in ID3 a PRIV frame owned by "XMP" (MP3, and WAV's ``id3 ``
chunk), in MP4 a top-level ``uuid`` box with XMP's UUID (XMP specification, part 3).
FLAC and Ogg have no standard place for XMP: their comment and C2PA carry the mark.
``read_marks`` reads the disclosure marks back from any audio file, ours or not.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")  # MP4 uuid box holding XMP


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
    xmp: bytes | None = None  # the XMP packet (xmp.py)


def _chapter_ids(chapters: Sequence[Chapter]) -> list[str]:
    """Element ids that sort in time order and pad every CHAP frame to one size."""
    sizes = [len(c.title.encode("utf-8")) for c in chapters]
    widest = max(sizes, default=0)
    return [f"ch{n:03d}" + "_" * (widest - size) for n, size in enumerate(sizes)]


def _cover_mime(path: Path) -> str:
    return "image/png" if path.read_bytes()[:4] == b"\x89PNG" else "image/jpeg"


def write_id3(path: Path, tags: Tags) -> None:
    from mutagen.id3 import ID3

    id3 = ID3()
    for frame in _id3_frames(tags):
        id3.add(frame)
    id3.save(str(path), v2_version=4)


def write_wav_id3(path: Path, tags: Tags) -> None:
    """The same ID3 frames as an MP3's in a WAV file's ``id3 `` chunk (beside the LIST
    INFO chunk ffmpeg writes): the comment, the provenance and the XMP packet."""
    from mutagen.wave import WAVE

    audio = WAVE(str(path))
    if audio.tags is None:
        audio.add_tags()
    assert audio.tags is not None
    for frame in _id3_frames(tags):
        audio.tags.add(frame)
    audio.save(v2_version=4)


def _id3_frames(tags: Tags) -> list[Any]:
    from mutagen.id3 import (
        APIC,
        CHAP,
        COMM,
        CTOC,
        PRIV,
        TALB,
        TCON,
        TDRC,
        TIT2,
        TPE1,
        TXXX,
        CTOCFlags,
    )

    frames: list[Any] = [TIT2(encoding=3, text=tags.title)]
    if tags.artist:
        frames.append(TPE1(encoding=3, text=tags.artist))
    if tags.album:
        frames.append(TALB(encoding=3, text=tags.album))
    if tags.date and tags.date[:4].isdigit():
        frames.append(TDRC(encoding=3, text=tags.date))
    frames.append(TCON(encoding=3, text="Speech"))
    frames.append(COMM(encoding=3, lang="eng", desc="", text=tags.comment))
    frames.append(TXXX(encoding=3, desc="narrate", text=json.dumps(tags.provenance, sort_keys=True)))
    if tags.xmp is not None:
        frames.append(PRIV(owner="XMP", data=tags.xmp))
    if tags.cover is not None:
        frames.append(APIC(encoding=3, mime=_cover_mime(tags.cover), type=3, desc="Cover",
                           data=tags.cover.read_bytes()))
    ids = _chapter_ids(tags.chapters)
    for element_id, chapter in zip(ids, tags.chapters, strict=True):
        frames.append(CHAP(element_id=element_id, start_time=chapter.start_ms, end_time=chapter.end_ms,
                           sub_frames=[TIT2(encoding=3, text=chapter.title)]))
    if ids:
        frames.append(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                           child_element_ids=ids, sub_frames=[TIT2(encoding=3, text="Chapters")]))
    return frames


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


def append_mp4_xmp(path: Path, xmp: bytes) -> None:
    """XMP in a top-level ``uuid`` box appended to an MP4 file (nothing before it moves,
    so the sample offsets ffmpeg wrote stay right)."""
    with path.open("ab") as handle:
        handle.write(struct.pack(">I4s", 8 + 16 + len(xmp), b"uuid") + XMP_UUID + xmp)


def _mp4_boxes(path: Path) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload offset, payload size) of each top-level box of an MP4 file."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        offset = 0
        while offset + 8 <= size:
            handle.seek(offset)
            length, kind = struct.unpack(">I4s", handle.read(8))
            header = 8
            if length == 1:
                length, header = struct.unpack(">Q", handle.read(8))[0], 16
            elif length == 0:
                length = size - offset
            if length < header:
                return
            yield kind, offset + header, length - header
            offset += length


def _mp4_xmp(path: Path) -> bytes | None:
    with path.open("rb") as handle:
        for kind, start, length in _mp4_boxes(path):
            if kind == b"uuid" and length >= 16:
                handle.seek(start)
                if handle.read(16) == XMP_UUID:
                    return handle.read(min(length - 16, 1 << 20))
    return None


@dataclass(frozen=True)
class Marks:
    """What an audio file's own tags say about it (read_marks)."""

    container: str  # mutagen's name for it: MP3, MP4, FLAC, WAVE, OggOpus, OggVorbis…
    title: str | None = None
    comment: str | None = None  # the comment (ID3 COMM, MP4 ©cmt, Vorbis COMMENT/DESCRIPTION)
    provenance: dict[str, str] | None = None  # narrate's own record (ID3 TXXX:narrate)
    xmp: bytes | None = None


def read_marks(path: Path) -> Marks | None:
    """The title, comment, narrate record and XMP packet of any audio file mutagen reads;
    None when it is not an audio file mutagen knows. Raises OSError if unreadable."""
    import mutagen
    from mutagen.id3 import ID3

    try:
        audio = mutagen.File(str(path))
    except mutagen.MutagenError as exc:
        if isinstance(exc.__cause__, OSError):
            raise exc.__cause__ from None
        return None
    if audio is None:
        return None
    container = type(audio).__name__
    tags = audio.tags
    if isinstance(tags, ID3):
        return _id3_marks(container, tags)
    if container == "MP4":
        return Marks(container, _first(tags, "\xa9nam"), _first(tags, "\xa9cmt"), None, _mp4_xmp(path))
    comment = _first(tags, "comment") or _first(tags, "description")
    return Marks(container, _first(tags, "title"), comment, _json(_first(tags, "narrate")), None)


def _id3_marks(container: str, tags: Any) -> Marks:
    comments = tags.getall("COMM")
    records = [f for f in tags.getall("TXXX") if f.desc == "narrate"]
    xmp = [f.data for f in tags.getall("PRIV") if f.owner == "XMP"]
    title = tags.get("TIT2")
    return Marks(container, str(title.text[0]) if title and title.text else None,
                 str(comments[0].text[0]) if comments and comments[0].text else None,
                 _json(str(records[0].text[0])) if records and records[0].text else None,
                 xmp[0] if xmp else None)


def _first(tags: Any, key: str) -> str | None:
    if tags is None:
        return None
    try:
        values = tags.get(key)
    except (KeyError, ValueError):
        return None
    if not values:
        return None
    value = values[0] if isinstance(values, list) else values
    return str(value)


def _json(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        record = json.loads(text)
    except json.JSONDecodeError:
        return None
    return {str(k): str(v) for k, v in record.items()} if isinstance(record, dict) else None
