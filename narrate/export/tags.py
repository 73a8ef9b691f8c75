"""Tags that travel with the file, written with mutagen: ID3v2.4 for MP3."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Tags:
    title: str
    artist: str | None
    album: str | None
    date: str | None
    comment: str  # the AI-voice disclosure
    provenance: dict[str, str]


def write_id3(path: Path, tags: Tags) -> None:
    from mutagen.id3 import COMM, ID3, TALB, TCON, TDRC, TIT2, TPE1, TXXX

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
    id3.save(str(path), v2_version=4)


def write_tags(path: Path, fmt: str, tags: Tags) -> None:
    if fmt == "mp3":
        write_id3(path, tags)
