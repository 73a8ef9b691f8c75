"""The export stage: one timeline → the audio file and everything that ships with it
(tags, chapters, captions, chapters JSON, manifest), all staged and renamed together."""

from __future__ import annotations

import hashlib
import importlib
import threading
from dataclasses import dataclass
from pathlib import Path

from narrate import __version__
from narrate.audio import Timeline
from narrate.cache import ClipCache
from narrate.config import Settings
from narrate.errors import OutputError
from narrate.export import loudness as levels
from narrate.export import manifest as manifests
from narrate.export.captions import Cue, to_srt, to_vtt
from narrate.export.encode import encode_pcm
from narrate.export.formats import Format
from narrate.export.pieces import EarlyMeasure, render_mp3, time_map
from narrate.export.staging import Staging
from narrate.export.tags import (
    Chapter,
    ffmetadata,
    podcast_chapters,
    write_id3,
    write_mp4_cover,
    write_vorbis_chapters,
)
from narrate.models import Script

CAPTION_WRITERS = {"vtt": to_vtt, "srt": to_srt}
VORBIS = {"ogg", "opus", "flac"}  # chapters as Vorbis comments


@dataclass(frozen=True)
class Written:
    audio: Path
    files: tuple[Path, ...]
    manifest: Path
    pieces: tuple[int, int] = (1, 1)  # (encoded this time, all)


def chapters_for(script: Script, timeline: Timeline, has_disclaimer: bool) -> list[Chapter]:
    """One chapter per heading; before the first heading, the title (or the opening);
    the disclaimer is its own chapter."""
    spans = list(timeline.spans)
    end = round(timeline.duration_ms)
    starts: list[tuple[str, int]] = []
    if has_disclaimer:
        starts.append(("Disclaimer", spans.pop(0).start_ms))
    title = script.document.title or "Introduction"
    for n, (utterance, span) in enumerate(zip(script.utterances, spans, strict=True)):
        if utterance.kind == "heading":
            starts.append((utterance.written, span.start_ms))
        elif n == 0:
            starts.append((title, span.start_ms))
    starts[0] = (starts[0][0], 0)  # the first chapter opens the file
    bounds = [s for _, s in starts[1:]] + [end]
    return [Chapter(name, start, stop) for (name, start), stop in zip(starts, bounds, strict=True)]


def word_cues(script: Script, timeline: Timeline, has_disclaimer: bool) -> list[Cue]:
    words = list(timeline.words)[1:] if has_disclaimer else list(timeline.words)
    return [Cue(w.start_ms, w.end_ms, w.text) for group in words for w in group]


def write_outputs(
    script: Script,
    timeline: Timeline,
    settings: Settings,
    dest: Path,
    fmt: Format,
    *,
    engine_identity: str,
    has_disclaimer: bool,
    stamps: tuple[str, str],
    cache: ClipCache,
    previous: dict[str, float] | None = None,
    hints: dict[str, float] | None = None,
    jobs: int = 2,
    early: EarlyMeasure | None = None,
) -> Written:
    out = settings.output
    rate = fmt.rate(out.sample_rate)
    rendered = None
    if fmt.name == "mp3":
        # The tag writer's imports load while the encoders run, not after them.
        threading.Thread(target=importlib.import_module, args=("mutagen.id3",), daemon=True).start()
        rendered = render_mp3(timeline, cache, target_lufs=out.loudness, out_rate=rate,
                              bitrate=out.bitrate, jobs=jobs, previous=previous, hints=hints, early=early)
        gain, input_lufs, measured = rendered.gain_db, rendered.input_lufs, rendered.output
        timeline = timeline.remapped(time_map(rendered, timeline.sample_rate, rate),
                                     1000 * rendered.decoded_frames / rate)
    else:
        gain, before = levels.gain_for(timeline.path, timeline.sample_rate, out.loudness)
        input_lufs = before.integrated_lufs
        levelled = timeline.path.with_suffix(".levelled")
        measured = levels.level(timeline.path, timeline.sample_rate, gain, levelled, rate)
    chapters = chapters_for(script, timeline, has_disclaimer)
    provenance = {
        "narrate": __version__,
        "engine": engine_identity,
        "voice": settings.voice.voice or "default",
        "source_sha256": script.document.source_sha256,
    }
    tags = manifests.tags_for(script, settings, provenance, tuple(chapters))
    with Staging() as staging:
        audio_tmp = staging.path_for(dest)
        metadata = None
        if fmt.name != "mp3":
            metadata = staging.write_text(
                dest.with_suffix(".ffmeta"), ffmetadata(tags, with_chapters=fmt.name not in VORBIS)
            )
        if rendered is not None:
            try:
                with audio_tmp.open("wb") as handle:
                    for chunk in rendered.chunks:
                        handle.write(chunk)
            except OSError as exc:
                raise OutputError(f"cannot write {dest}: {exc.strerror} (is the disk full?)") from None
        else:
            encode_pcm(levelled, rate, audio_tmp, fmt, bitrate=out.bitrate, metadata=metadata)
            levelled.unlink()
        if fmt.name == "mp3":
            write_id3(audio_tmp, tags)
        elif fmt.name == "m4a" and out.cover is not None:
            write_mp4_cover(audio_tmp, out.cover)
        elif fmt.name in VORBIS:
            write_vorbis_chapters(audio_tmp, chapters)
        audio_bytes = audio_tmp.read_bytes()
        sidecars: dict[str, Path] = {}
        cues = manifests.cues(script, timeline, settings, has_disclaimer)
        for kind in out.captions:
            path = dest.with_suffix(f".{kind}")
            staging.write_text(path, CAPTION_WRITERS[kind](cues))
            sidecars[kind] = path
        if out.word_timings:
            path = dest.with_name(dest.stem + ".words.vtt")
            staging.write_text(path, to_vtt(word_cues(script, timeline, has_disclaimer)))
            sidecars["words_vtt"] = path
        chapters_path = dest.with_name(dest.stem + ".chapters.json")
        staging.write_text(chapters_path, podcast_chapters(chapters))
        sidecars["chapters"] = chapters_path
        manifest_path = dest.with_suffix(".json")
        record = manifests.build(
            script, timeline, settings,
            engine_identity=engine_identity,
            has_disclaimer=has_disclaimer,
            stamps=stamps,
            audio={
                "path": dest.name,
                "format": fmt.name,
                "mime": fmt.mime,
                "bitrate": out.bitrate if fmt.uses_bitrate else None,
                "sample_rate": rate,
                "duration_ms": round(timeline.duration_ms),
                "bytes": len(audio_bytes),
                "sha256": hashlib.sha256(audio_bytes).hexdigest(),
            },
            files={kind: path.name for kind, path in sidecars.items()},
            loudness={
                "target_lufs": out.loudness,
                "input_lufs": round(input_lufs, 2),
                "gain_db": round(gain, 2),
                "integrated_lufs": measured.integrated_lufs,
                # MP3: true peak of an excerpt after the codec; others: sample peak
                ("true_peak_dbtp" if rendered is not None else "sample_peak_dbfs"): measured.peak_db,
            },
            chapters=[{"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms} for c in chapters],
        )
        if metadata is not None:
            staging.forget(metadata)
        staging.write_text(manifest_path, manifests.dumps(record))
        staging.commit()
    pieces = (rendered.encoded, len(rendered.chunks)) if rendered is not None else (1, 1)
    return Written(dest, (dest, *sidecars.values(), manifest_path), manifest_path, pieces)
