"""Is an existing output up to date? Decided from its manifest, without touching audio.

The fingerprint covers everything that shapes the output: the source bytes, the
settings (voice, pauses, disclaimer, format, loudness…), whether boilerplate is kept,
and the narrate version. An output counts as up to date when its manifest carries the
same fingerprint and every file it lists is there, with the audio's size and hash as
recorded. A half-finished earlier run never qualifies: the manifest is renamed into
place last.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from narrate import __version__
from narrate.config import Settings


def settings_fingerprint(settings: Settings, keep_boilerplate: bool) -> str:
    """Everything but the article that shapes an output."""
    # How the work is done (worker count, cache use) does not change what is made.
    shaping = replace(settings, jobs=None, cache=True)
    lexicons = [_sha256(p) if p.is_file() else "missing" for p in settings.lexicons]
    material = json.dumps([__version__, repr(shaping), lexicons, keep_boilerplate])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def fingerprint(source_sha256: str, settings: Settings, keep_boilerplate: bool) -> str:
    material = json.dumps([source_sha256, settings_fingerprint(settings, keep_boilerplate)])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def previous_loudness(dest: Path, settings_stamp: str) -> dict[str, float] | None:
    """The loudness record of the output at ``dest`` if the same settings made it: an
    edited article keeps its gain, and so the audio pieces the edit did not touch."""
    try:
        manifest = json.loads(dest.with_suffix(".json").read_text(encoding="utf-8"))
        if manifest.get("settings_fingerprint") != settings_stamp:
            return None
        loudness = manifest["loudness"]
        return {k: float(loudness[k]) for k in ("input_lufs", "gain_db", "integrated_lufs", "true_peak_dbtp")}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def up_to_date(dest: Path, fingerprint: str) -> dict[str, Any] | None:
    """The manifest of ``dest`` if it is a complete output made from the same inputs."""
    try:
        manifest = json.loads(dest.with_suffix(".json").read_text(encoding="utf-8"))
        if manifest.get("fingerprint") != fingerprint:
            return None
        audio = manifest["audio"]
        if dest.stat().st_size != audio["bytes"] or _sha256(dest) != audio["sha256"]:
            return None
        if not all((dest.parent / name).is_file() for name in manifest.get("files", {}).values()):
            return None
        return manifest
    except (OSError, ValueError, KeyError, TypeError):
        return None
