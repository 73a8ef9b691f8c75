"""The manifest (``<stem>.json``): what was said, when, by which engine, from which
source — the record captions, chapters, feeds and up-to-date checks are built from.
Its schema is documented in README.md ("The manifest")."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from narrate import __version__
from narrate.audio import Timeline
from narrate.config import Settings
from narrate.export.captions import Cue
from narrate.export.tags import Chapter, Tags
from narrate.models import Script

SCHEMA = 1


def disclosure(engine_identity: str, voice: str | None) -> str:
    return (
        f"This narration uses an AI-generated voice ({engine_identity}, voice "
        f"{voice or 'default'}), made with narrate {__version__}. Inconsistencies may occur."
    )


def tags_for(
    script: Script, settings: Settings, provenance: dict[str, str], chapters: tuple[Chapter, ...] = ()
) -> Tags:
    doc = script.document
    return Tags(
        title=doc.title or script.utterances[0].written[:120],
        artist=doc.byline,
        album=doc.publication,
        date=doc.date,
        comment=disclosure(provenance["engine"], settings.voice.voice),
        provenance=provenance,
        chapters=chapters,
        cover=settings.output.cover,
    )


def cues(script: Script, timeline: Timeline, settings: Settings, has_disclaimer: bool) -> list[Cue]:
    spans = list(timeline.spans)
    found = []
    if has_disclaimer:
        first = spans.pop(0)
        found.append(Cue(first.start_ms, first.end_ms, settings.disclaimer.text))
    for utterance, span in zip(script.utterances, spans, strict=True):
        found.append(Cue(span.start_ms, span.end_ms, utterance.written))
    return found


def build(
    script: Script,
    timeline: Timeline,
    settings: Settings,
    *,
    engine_identity: str,
    has_disclaimer: bool,
    stamps: tuple[str, str],
    audio: dict[str, Any],
    files: dict[str, str],
    loudness: dict[str, Any],
    chapters: list[dict[str, Any]],
) -> dict[str, Any]:
    doc = script.document
    spans = list(timeline.spans)
    words = list(timeline.words)
    disclaimer = None
    if has_disclaimer:
        span = spans.pop(0)
        words.pop(0)
        clip = settings.disclaimer.clip
        disclaimer = {
            "text": settings.disclaimer.text,
            "clip": str(clip) if clip else None,
            "start_ms": span.start_ms,
            "end_ms": span.end_ms,
        }
    return {
        "schema": SCHEMA,
        "narrate_version": __version__,
        "fingerprint": stamps[0],
        "settings_fingerprint": stamps[1],
        "source": {
            "path": doc.source,
            "title": doc.title,
            "author": doc.byline,
            "publication": doc.publication,
            "date": doc.date,
            "url": doc.url,
            "sha256": doc.source_sha256,
            "encoding": doc.encoding,
        },
        "settings": {
            "profile": settings.profile,
            "engine": settings.engine,
            "engine_identity": engine_identity,
            "voice": asdict(settings.voice),
            "pauses": asdict(settings.pauses),
        },
        "disclaimer": disclaimer,
        "utterances": [
            {
                "index": u.index,
                "kind": u.kind,
                "written": u.written,
                "spoken": u.spoken,
                "source_span": list(u.span),
                "start_ms": span.start_ms,
                "end_ms": span.end_ms,
                "words": [asdict(w) for w in ws],
            }
            for u, span, ws in zip(script.utterances, spans, words, strict=True)
        ],
        "dropped": [{"text": text, "reason": reason} for text, reason in doc.dropped],
        "audio": audio,
        "files": files,
        "loudness": loudness,
        "chapters": chapters,
    }


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"
