"""The library API: ``narrate_file(source, settings, output)`` does the whole job.

ingest → script → synthesis → assembly → export. No click, no printing: progress goes
through a callback, failures are NarrateErrors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from narrate import __version__, audio
from narrate.cache import ClipCache, default_cache_dir
from narrate.config import Settings
from narrate.errors import InputError
from narrate.export import encode as encoder
from narrate.export import manifest as manifests
from narrate.export.captions import to_vtt
from narrate.export.staging import Staging
from narrate.export.tags import write_tags
from narrate.ingest import read_document
from narrate.models import Clip, Script
from narrate.naming import slugify
from narrate.script import build_script, drop_boilerplate
from narrate.synthesis import Synthesizer

Progress = Callable[[str, int, int], None]
DEFAULT_OUTPUT_DIR = Path("output")


@dataclass(frozen=True)
class Result:
    audio: Path
    captions: Path
    manifest: Path
    duration_ms: float
    utterances: int
    synthesized: int
    from_cache: int


def load_script(source: str, settings: Settings, keep_boilerplate: bool = False) -> Script:
    doc = drop_boilerplate(read_document(source), keep=keep_boilerplate)
    script = build_script(doc, settings)
    if not script.utterances:
        name = "standard input" if source == "-" else source
        raise InputError(f"{name} has nothing to speak after normalisation")
    return script


def output_path(script: Script, settings: Settings, output: str | Path | None) -> Path:
    """Where the audio goes: ``output`` as given, or a folder (an existing one, or a path
    ending in /) plus a name from the title."""
    doc = script.document
    stem_source = doc.title or (Path(doc.source).stem if doc.source != "-" else "")
    name = slugify(stem_source) + encoder.format_for(settings.output.format).suffix
    if output is None:
        return DEFAULT_OUTPUT_DIR / name
    if Path(output).is_dir() or str(output).endswith(("/", "\\")):
        return Path(output) / name
    return Path(output)


def _disclaimer(settings: Settings, sample_rate: int) -> Clip | None:
    d = settings.disclaimer
    if not d.enabled or d.clip is None:
        return None
    return audio.load_recording(d.clip, sample_rate)


def narrate_file(
    source: str,
    settings: Settings,
    output: str | Path | None = None,
    *,
    progress: Progress | None = None,
    keep_boilerplate: bool = False,
) -> Result:
    script = load_script(source, settings, keep_boilerplate)
    fmt_name = settings.output.format
    dest = output_path(script, settings, output)
    if output is not None and dest.suffix.lower().lstrip(".") in encoder.FORMATS:
        fmt_name = dest.suffix.lower().lstrip(".")
    fmt = encoder.format_for(fmt_name)
    encoder.ffmpeg()  # fail before the work if ffmpeg is missing
    cache = ClipCache(default_cache_dir() if settings.cache else None)
    texts = [u.spoken for u in script.utterances]
    speak_disclaimer = settings.disclaimer.enabled and settings.disclaimer.clip is None
    if speak_disclaimer:
        texts = [settings.disclaimer.text, *texts]

    def on_clip(done: int, total: int) -> None:
        if progress:
            progress("synthesising", done, total)

    with Synthesizer(settings.engine, settings.voice, jobs=settings.jobs, cache=cache) as synth:
        clips = synth.synthesize_all(texts, on_clip)
        identity = synth.identity()
        stats = synth.stats
    rate = clips[0].sample_rate
    parts = [(c, u.pause_after_ms) for c, u in zip(clips[-len(script.utterances) :], script.utterances, strict=True)]
    disclaimer = clips[0] if speak_disclaimer else _disclaimer(settings, rate)
    if disclaimer is not None:
        parts.insert(0, (disclaimer, settings.pauses.disclaimer))
    if progress:
        progress("assembling", 0, 1)
    timeline = audio.assemble(parts, rate)

    with Staging() as staging:
        audio_tmp = staging.path_for(dest)
        if progress:
            progress("encoding", 0, 1)
        encoder.encode(
            timeline.pcm, rate, audio_tmp, fmt,
            bitrate=settings.output.bitrate, out_rate=settings.output.sample_rate,
        )
        provenance = {
            "narrate": __version__,
            "engine": identity,
            "voice": settings.voice.voice or "default",
            "source_sha256": script.document.source_sha256,
        }
        write_tags(audio_tmp, fmt.name, manifests.tags_for(script, settings, provenance))
        audio_bytes = audio_tmp.read_bytes()
        captions = dest.with_suffix(".vtt")
        has_disclaimer = disclaimer is not None
        staging.write_text(captions, to_vtt(manifests.cues(script, timeline, settings, has_disclaimer)))
        manifest = dest.with_suffix(".json")
        record = manifests.build(
            script, timeline, settings,
            engine_identity=identity,
            has_disclaimer=has_disclaimer,
            audio={
                "path": dest.name,
                "format": fmt.name,
                "bitrate": settings.output.bitrate if fmt.uses_bitrate else None,
                "sample_rate": settings.output.sample_rate,
                "duration_ms": round(timeline.duration_ms),
                "bytes": len(audio_bytes),
                "sha256": hashlib.sha256(audio_bytes).hexdigest(),
            },
            captions=captions.name,
        )
        staging.write_text(manifest, manifests.dumps(record))
        staging.commit()
    return Result(
        dest, captions, manifest, timeline.duration_ms, len(script.utterances),
        stats.synthesized, stats.from_cache,
    )
