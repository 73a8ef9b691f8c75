"""Is an existing output up to date? Decided from its manifest, without touching audio.

The fingerprint covers everything that shapes the output: the source bytes, the
settings (voice, pauses, disclaimer, format, loudness…), the voice model's files (size
and mtime, for engines with model files), whether boilerplate is kept, and the narrate
version. An output counts as up to date when its manifest carries the
same fingerprint and every file it lists is there, with the audio's size and hash and
every sidecar's hash as recorded (a manifest without sidecar hashes, from before they
were recorded, is re-made once). A half-finished earlier run never qualifies: the manifest is renamed into
place last.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from narrate import __version__
from narrate.config import ROLES, Settings
from narrate.engines.base import engine_class
from narrate.errors import NarrateError
from narrate.export import manifest as manifests
from narrate.export.manifest import Manifest
from narrate.models import Levels, Stamps


def settings_fingerprint(settings: Settings, keep_boilerplate: bool) -> str:
    """Everything but the article that shapes an output."""
    # How the work is done (worker count, cache use) does not change what is made.
    shaping = replace(settings, jobs=None, cache=True)
    lexicons = [manifests.size_and_sha256(p)[1] if p.is_file() else "missing" for p in settings.lexicons]
    material = json.dumps([__version__, repr(shaping), lexicons, keep_boilerplate, _model_stamps(settings)])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _model_stamps(settings: Settings) -> list[str]:
    """The stamps of the voice models the narration speaks with (engines with model files
    only): a model replaced under the same name is a change of settings."""
    stamps = []
    for engine, voice in sorted({settings.voice_for(kind) for kind in ("", *ROLES)}, key=repr):
        try:
            stamp = getattr(engine_class(engine), "model_stamp", None)
        except NarrateError:
            continue  # an unknown engine is reported by the narration itself
        if stamp is not None:
            stamps.append(f"{engine}:{stamp(voice)}")
    return stamps


def stamps(source_sha256: str, settings: Settings, keep_boilerplate: bool) -> Stamps:
    shaped = settings_fingerprint(settings, keep_boilerplate)
    material = json.dumps([source_sha256, shaped])
    return Stamps(hashlib.sha256(material.encode("utf-8")).hexdigest(), shaped)


def _manifest_of(dest: Path) -> Manifest | None:
    try:
        return manifests.read(dest.with_suffix(".json"))
    except (OSError, ValueError):
        return None


def previous_levels(dest: Path, settings_stamp: str) -> Levels | None:
    """How the MP3 at ``dest`` was levelled, if the same settings made it: an edited
    article keeps its gain, and so the audio pieces the edit did not touch."""
    manifest = _manifest_of(dest)
    if manifest is None or manifest.settings_fingerprint != settings_stamp or manifest.loudness is None:
        return None
    levels = manifest.loudness.levels
    return levels if levels.true_peak_dbtp is not None else None



def up_to_date(dest: Path, fingerprint: str) -> Manifest | None:
    """The manifest of ``dest`` if it is a complete output made from the same inputs."""
    manifest = _manifest_of(dest)
    if manifest is None or manifest.fingerprint != fingerprint:
        return None
    try:
        if dest.stat().st_size != manifest.audio.bytes:
            return None
        if manifests.size_and_sha256(dest)[1] != manifest.audio.sha256:
            return None
    except OSError:
        return None
    for kind, name in manifest.files.items():  # every sidecar whole, as the audio is
        expected = manifest.file_sha256.get(kind)
        try:
            if expected is None or manifests.size_and_sha256(dest.parent / name)[1] != expected:
                return None  # damaged, replaced, or listed by a manifest that predates the hashes
        except OSError:
            return None
    return manifest
