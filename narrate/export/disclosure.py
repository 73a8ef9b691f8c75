"""The machine-readable disclosure of one output: which layers it carries, and the last
step of its audio file — signing (C2PA), after tags, chapters, cover art and XMP.

Four layers (README, "Disclosure"): the spoken disclaimer (script.py), the tags'
comment (tags.py), the IPTC digital source type in XMP (xmp.py, in MP3, M4A and WAV)
and C2PA Content Credentials (c2pa_sign.py, in MP3, M4A, WAV and FLAC, when a signing
key is given). Without a key, or for Ogg/Opus, the manifest says why it is unsigned.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from narrate import __version__
from narrate.audio import Timeline
from narrate.config import Settings
from narrate.export import c2pa_sign
from narrate.export.manifest import DisclosureRecord
from narrate.export.tags import Tags
from narrate.models import Script

XMP_FORMATS = ("mp3", "m4a", "wav")  # where the XMP packet has a standard place


def claim_for(script: Script, timeline: Timeline, tags: Tags, engine_identity: str,
              settings: Settings) -> c2pa_sign.Claim:
    doc = script.document
    disclaimer = None
    for utterance, span in zip(script.utterances, timeline.spans, strict=True):
        if utterance.kind == "disclaimer":
            disclaimer = {"text": utterance.written, "start_ms": span.start_ms, "end_ms": span.end_ms,
                          "recording": utterance.recording is not None}
    return c2pa_sign.Claim(
        title=tags.title, version=__version__, engine=engine_identity,
        voice=settings.voice.voice or "default", source_title=doc.title, source_url=doc.url,
        source_sha256=doc.source_sha256, source_name=Path(doc.source).name if doc.source != "-" else "-",
        disclaimer=disclaimer,
    )


class Sealed(NamedTuple):
    """How an output's C2PA layer ended: "signed", "unsigned" or "unsupported"."""

    state: str
    signer: str | None = None
    note: str | None = None  # why it is not signed


def sign_last(audio: Path, fmt: str, claim: c2pa_sign.Claim, settings: Settings) -> Sealed:
    """Sign ``audio`` (a staged file whose tags are final) if a key is set and the format
    can hold credentials."""
    signing = settings.signing
    if fmt not in c2pa_sign.MIME:
        note = f"{fmt}: the C2PA SDK (c2pa-python 0.38.1) cannot sign Ogg/Opus files"
        return Sealed("unsupported", None, note if signing.enabled else None)
    if not signing.enabled or signing.cert is None or signing.key is None:
        return Sealed("unsigned", None, "no signing key (--sign-cert/--sign-key)")
    signed = c2pa_sign.sign(audio, fmt, claim, signing.cert, signing.key)
    return Sealed("signed", signed.signer)


def record(script: Script, fmt: str, sealed: Sealed) -> DisclosureRecord:
    spoken = any(u.kind == "disclaimer" for u in script.utterances)
    return DisclosureRecord(spoken=spoken, comment=True, xmp=fmt in XMP_FORMATS, c2pa=sealed.state,
                            signer=sealed.signer, note=sealed.note)


def preflight(settings: Settings, fmt: str) -> None:
    """Before any work: a key that cannot sign (or a missing SDK) fails now, not after
    the synthesis."""
    signing = settings.signing
    if signing.cert is not None and signing.key is not None and fmt in c2pa_sign.MIME:
        c2pa_sign.check(signing.cert, signing.key)
