"""The library API: ``narrate_file(source, settings, output)`` does the whole job.

ingest → script → synthesis → assembly → export. No click, no printing: progress goes
through a callback, failures are NarrateErrors.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from narrate import audio
from narrate.cache import ClipCache, default_cache_dir
from narrate.config import Settings
from narrate.errors import InputError
from narrate.export import encode as encoder
from narrate.export import loudness as levels
from narrate.export.staging import ensure_folder
from narrate.export.writer import write_outputs
from narrate.ingest import read_document
from narrate.models import Clip, Script
from narrate.naming import slugify
from narrate.script import build_script, drop_boilerplate, spoken_form
from narrate.synthesis import Synthesizer

Progress = Callable[[str, int, int], None]
DEFAULT_OUTPUT_DIR = Path("output")


@dataclass(frozen=True)
class Result:
    audio: Path
    files: tuple[Path, ...]
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


def _publisher_disclaimer(settings: Settings, voice: Clip) -> Clip:
    """The publisher's recording, levelled to the loudness of the narrating voice."""
    path = settings.disclaimer.clip
    assert path is not None
    clip = audio.load_recording(path, voice.sample_rate)
    reference = levels.measure(voice.pcm, voice.sample_rate)
    own = levels.measure(clip.pcm, voice.sample_rate)
    if own.integrated_lufs <= levels.SILENT or reference.integrated_lufs <= levels.SILENT:
        return clip
    gain = reference.integrated_lufs - own.integrated_lufs
    return Clip(levels.apply(clip.pcm, clip.sample_rate, gain), clip.sample_rate)


def narrate_file(
    source: str,
    settings: Settings,
    output: str | Path | None = None,
    *,
    progress: Progress | None = None,
    keep_boilerplate: bool = False,
) -> Result:
    script = load_script(source, settings, keep_boilerplate)
    dest = output_path(script, settings, output)
    fmt_name = settings.output.format
    if output is not None and dest.suffix.lower().lstrip(".") in encoder.FORMATS:
        fmt_name = dest.suffix.lower().lstrip(".")
    fmt = encoder.format_for(fmt_name)
    encoder.ffmpeg()  # fail before the work if ffmpeg is missing
    ensure_folder(dest.parent)
    cache = ClipCache(default_cache_dir() if settings.cache else None)
    disclaimer = settings.disclaimer
    spoken_disclaimer = disclaimer.enabled and disclaimer.clip is None
    texts = [u.spoken for u in script.utterances]
    if spoken_disclaimer:
        texts = [spoken_form(disclaimer.text), *texts]

    def on_clip(done: int, total: int) -> None:
        if progress:
            progress("synthesising", done, total)

    jobs = settings.jobs if settings.jobs is not None else (os.cpu_count() or 1)
    with Synthesizer(settings.engine, settings.voice, jobs=jobs, cache=cache) as synth, \
            tempfile.TemporaryDirectory(prefix="narrate-") as scratch:
        keys = synth.synthesize(texts, on_clip)
        identity = synth.identity()
        narration = keys[1:] if spoken_disclaimer else keys
        parts: Iterator[tuple[Clip, int]] = (
            (synth.clip(k), u.pause_after_ms) for k, u in zip(narration, script.utterances, strict=True)
        )
        if spoken_disclaimer:
            parts = itertools.chain([(synth.clip(keys[0]), settings.pauses.disclaimer)], parts)
        elif disclaimer.enabled:
            opening = _publisher_disclaimer(settings, synth.clip(narration[0]))
            parts = itertools.chain([(opening, settings.pauses.disclaimer)], parts)
        if progress:
            progress("assembling", 0, 1)
        rate = synth.clip(narration[0]).sample_rate
        timeline = audio.assemble(parts, rate, Path(scratch) / "timeline.pcm")
        if progress:
            progress("encoding", 0, 1)
        written = write_outputs(
            script, timeline, settings, dest, fmt,
            engine_identity=identity, has_disclaimer=disclaimer.enabled, jobs=max(1, jobs),
        )
    stats = synth.stats
    return Result(
        written.audio, written.files, written.manifest, timeline.duration_ms,
        len(script.utterances), stats.synthesized, stats.from_cache,
    )
