"""The content-addressed cache: clips (one per spoken sentence and voice) and rendered
pieces (encoded MP3 for one stretch of a narration), each verified on every read.

A clip's key covers everything that changes its sound: the engine's identity (name,
version), the voice settings and the exact spoken text. A piece's key covers its PCM
and every encoding setting. Entries are written to a temporary file and renamed, so
processes sharing the cache never see half an entry; a truncated or corrupted entry
fails its checksum, is deleted and re-made, never played.
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
from typing import Any

from narrate.models import Clip, Word
from narrate.scratch import alive

MAGIC = b"NRC1"
FORMAT_VERSION = 1
KINDS = {"clips": ".clip", "pieces": ".piece"}


def default_cache_dir() -> Path:
    override = os.environ.get("NARRATE_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("narrate"))


def clip_key(engine_identity: str, settings: object, spoken: str) -> str:
    material = json.dumps([FORMAT_VERSION, engine_identity, repr(settings), spoken], ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class ClipCache:
    """A directory of verified entries. ``ClipCache(None)`` never holds anything."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.last_error: OSError | None = None  # why the last put failed
        self._swept = False  # orphans of killed writers removed (once, before the first put)

    def _path(self, kind: str, key: str) -> Path:
        assert self.root is not None
        return self.root / kind / key[:2] / f"{key}{KINDS[kind]}"

    # -- any entry: a JSON header and a payload ---------------------------------------
    def get_entry(self, kind: str, key: str) -> tuple[dict[str, Any], bytes] | None:
        if self.root is None:
            return None
        path = self._path(kind, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        entry = _unpack(data)
        if entry is None:
            with contextlib.suppress(OSError):
                path.unlink()
        return entry

    def put_entry(self, kind: str, key: str, header: dict[str, Any], payload: bytes) -> bool:
        """Store an entry; False when the cache cannot be written (full disk, no rights)."""
        if self.root is None:
            return False
        if not self._swept:
            self._swept = True
            self.remove_orphans()  # a run killed outright left them; this one writes next
        path = self._path(kind, key)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The writer's PID in the name: a worker killed mid-write leaves a file that
            # the process that killed it can find and remove (remove_partial).
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{os.getpid()}-", suffix=KINDS[kind])
            with os.fdopen(fd, "wb") as out:
                out.write(_pack(header, payload))
            os.replace(tmp, path)
        except OSError as exc:
            self.last_error = exc
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            return False
        return True

    def remove_partial(self, pids: list[int]) -> None:
        """Remove the entries processes ``pids`` were writing when they were killed."""
        if self.root is None:
            return
        for pid in pids:
            for kind in KINDS:
                for partial in (self.root / kind).glob(f"*/.tmp-{pid}-*"):
                    with contextlib.suppress(OSError):
                        partial.unlink()

    def remove_orphans(self) -> None:
        """Remove the entries that processes no longer alive were writing (a worker or
        a whole run killed mid-write); a live writer's are left alone."""
        if self.root is None:
            return
        for kind in KINDS:
            for partial in (self.root / kind).glob("*/.tmp-*"):
                pid = partial.name[5:].split("-", 1)[0]
                if pid.isdigit() and not alive(int(pid)):
                    with contextlib.suppress(OSError):
                        partial.unlink()

    # -- clips ------------------------------------------------------------------------
    def get(self, key: str) -> Clip | None:
        entry = self.get_entry("clips", key)
        if entry is None:
            return None
        header, pcm = entry
        try:
            words = tuple(Word(**w) for w in header["words"])
            return Clip(pcm, header["rate"], header["width"], header["channels"], words)
        except (KeyError, TypeError):
            return None

    def put(self, key: str, clip: Clip) -> bool:
        header = {
            "rate": clip.sample_rate,
            "width": clip.sample_width,
            "channels": clip.channels,
            "words": [asdict(w) for w in clip.words],
        }
        return self.put_entry("clips", key, header, clip.pcm)

    # -- housekeeping -----------------------------------------------------------------
    def _files(self, kind: str | None = None) -> list[Path]:
        if self.root is None:
            return []
        kinds = [kind] if kind else list(KINDS)
        return [f for k in kinds for f in (self.root / k).glob(f"*/*{KINDS[k]}")]

    def info(self, kind: str | None = None) -> tuple[int, int]:
        """(entries, bytes) held, of one kind or all."""
        files = self._files(kind)
        return len(files), sum(f.stat().st_size for f in files)

    def clear(self) -> int:
        count = 0
        for f in self._files():
            with contextlib.suppress(OSError):
                f.unlink()
                count += 1
        return count


def _pack(header: dict[str, Any], payload: bytes) -> bytes:
    meta = dict(header, bytes=len(payload), sha256=hashlib.sha256(payload).hexdigest())
    blob = json.dumps(meta).encode("utf-8")
    return MAGIC + struct.pack("<I", len(blob)) + blob + payload


def _unpack(data: bytes) -> tuple[dict[str, Any], bytes] | None:
    try:
        if data[:4] != MAGIC:
            return None
        (size,) = struct.unpack("<I", data[4:8])
        header = json.loads(data[8 : 8 + size])
        payload = data[8 + size :]
        if len(payload) != header["bytes"] or hashlib.sha256(payload).hexdigest() != header["sha256"]:
            return None
        return header, payload
    except (ValueError, KeyError, TypeError, struct.error):
        return None


