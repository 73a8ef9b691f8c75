"""Content-addressed clip cache: one file per utterance, verified on every read.

The key covers everything that changes the sound: the engine's identity (name, version,
voice, sample rate), the voice settings and the exact spoken text. Entries are written
to a temporary file and renamed, so processes sharing the cache never see half an
entry; a truncated or corrupted entry fails its checksum, is deleted and re-made.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
import tempfile
from dataclasses import asdict
from pathlib import Path

from narrate.models import Clip, Word

MAGIC = b"NRC1"
FORMAT_VERSION = 1


def default_cache_dir() -> Path:
    override = os.environ.get("NARRATE_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("narrate"))


def clip_key(engine_identity: str, settings: object, spoken: str) -> str:
    material = json.dumps(
        [FORMAT_VERSION, engine_identity, repr(settings), spoken], ensure_ascii=False
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class ClipCache:
    """A directory of clips. ``ClipCache(None)`` is a cache that never holds anything."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / "clips" / key[:2] / f"{key}.clip"

    def get(self, key: str) -> Clip | None:
        if self.root is None:
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        clip = _decode(data)
        if clip is None:
            with contextlib.suppress(OSError):
                path.unlink()
        return clip

    def put(self, key: str, clip: Clip) -> bool:
        """Store ``clip``; False when the cache cannot be written (full disk, no rights)."""
        if self.root is None:
            return False
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".clip")
            with os.fdopen(fd, "wb") as out:
                out.write(_encode(clip))
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(tmp)
            return False
        return True

    def info(self) -> tuple[int, int]:
        """(entries, bytes) held."""
        if self.root is None or not (self.root / "clips").is_dir():
            return 0, 0
        files = list((self.root / "clips").glob("*/*.clip"))
        return len(files), sum(f.stat().st_size for f in files)

    def clear(self) -> int:
        count = 0
        if self.root is None or not (self.root / "clips").is_dir():
            return 0
        for f in (self.root / "clips").glob("*/*"):
            with contextlib.suppress(OSError):
                f.unlink()
                count += 1
        return count


def _encode(clip: Clip) -> bytes:
    header = json.dumps(
        {
            "rate": clip.sample_rate,
            "width": clip.sample_width,
            "channels": clip.channels,
            "bytes": len(clip.pcm),
            "sha256": hashlib.sha256(clip.pcm).hexdigest(),
            "words": [asdict(w) for w in clip.words],
        }
    ).encode("utf-8")
    return MAGIC + struct.pack("<I", len(header)) + header + clip.pcm


def _decode(data: bytes) -> Clip | None:
    try:
        if data[:4] != MAGIC:
            return None
        (size,) = struct.unpack("<I", data[4:8])
        header = json.loads(data[8 : 8 + size])
        pcm = data[8 + size :]
        if len(pcm) != header["bytes"] or hashlib.sha256(pcm).hexdigest() != header["sha256"]:
            return None
        words = tuple(Word(**w) for w in header["words"])
        return Clip(pcm, header["rate"], header["width"], header["channels"], words)
    except (ValueError, KeyError, TypeError, struct.error):
        return None
