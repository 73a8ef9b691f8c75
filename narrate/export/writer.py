"""The export stage: one timeline → the audio file and everything that ships with it
(tags, chapters, captions, chapters JSON, manifest), all staged and renamed together.

The script and the timeline line up one to one (the disclaimer is utterance 0 when
there is one): every sidecar is built by walking them side by side.
"""

from __future__ import annotations

import hashlib
import importlib
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from narrate import __version__
from narrate.audio import Timeline
from narrate.cache import ClipCache
from narrate.config import Settings
from narrate.errors import OutputError
from narrate.export import disclosure as marks
from narrate.export import loudness as levels
from narrate.export import manifest as manifests
from narrate.export import xmp
from narrate.export.captions import Cue, to_srt, to_vtt
from narrate.export.encode import encode_pcm
from narrate.export.measuring import EarlyMeasure
from narrate.export.mp3 import Rendered, render_mp3, time_map
from narrate.export.staging import Staging
from narrate.export.tags import (
    Chapter,
    Tags,
    append_mp4_xmp,
    ffmetadata,
    podcast_chapters,
    write_id3,
    write_mp4_cover,
    write_vorbis_chapters,
    write_wav_id3,
)
from narrate.export.target import Target
from narrate.models import Script
from narrate.readalong.epub import Narration, write_epub
from narrate.readalong.page import player_page

CAPTION_WRITERS = {"vtt": to_vtt, "srt": to_srt}
VORBIS = {"ogg", "opus", "flac"}  # chapters as Vorbis comments


@dataclass(frozen=True)
class Written:
    audio: Path
    files: tuple[Path, ...]
    manifest: Path
    pieces: tuple[int, int] = (1, 1)  # (encoded this time, all)
    notes: tuple[str, ...] = ()  # what the user should know (chapters grouped, …)


def output_files(target: Target) -> list[Path]:
    """Every file a narration to ``target`` writes: the audio, its sidecars, the manifest."""
    dest, out = target.dest, target.settings.output
    files = [dest, *(dest.with_suffix(f".{kind}") for kind in out.captions)]
    if out.word_timings:
        files.append(dest.with_name(dest.stem + ".words.vtt"))
    files += [dest.with_suffix(".html")] * out.player + [dest.with_suffix(".epub")] * out.epub
    return [*files, dest.with_name(dest.stem + ".chapters.json"), dest.with_suffix(".json")]


def chapters_for(script: Script, timeline: Timeline) -> list[Chapter]:
    """One chapter per heading; before the first heading, the title (or the opening);
    the disclaimer is its own chapter. At most MAX_CHAPTERS (see ``capped``)."""
    return capped(_chapters(script, timeline))


def _chapters(script: Script, timeline: Timeline) -> list[Chapter]:
    starts: list[tuple[str, int]] = []
    title = script.document.title or "Introduction"
    opened = False
    for utterance, span in zip(script.utterances, timeline.spans, strict=True):
        if utterance.kind == "disclaimer":
            starts.append(("Disclaimer", span.start_ms))
        elif utterance.kind == "heading":
            starts.append((utterance.written, span.start_ms))
        elif not opened:
            starts.append((title, span.start_ms))
        opened = opened or utterance.kind != "disclaimer"
    starts[0] = (starts[0][0], 0)  # the first chapter opens the file
    bounds = [s for _, s in starts[1:]] + [round(timeline.duration_ms)]
    return [Chapter(name, start, stop) for (name, start), stop in zip(starts, bounds, strict=True)]


MAX_CHAPTERS = 250  # ID3's table of contents holds at most 255 entries (a one-byte count)


def capped(chapters: list[Chapter]) -> list[Chapter]:
    """At most MAX_CHAPTERS: beyond that, neighbouring chapters are grouped evenly, each
    group named after its first chapter with how many it holds ("Budget (+1 more)")."""
    if len(chapters) <= MAX_CHAPTERS:
        return chapters
    grouped = []
    for n in range(MAX_CHAPTERS):
        group = chapters[n * len(chapters) // MAX_CHAPTERS : (n + 1) * len(chapters) // MAX_CHAPTERS]
        more = f" (+{len(group) - 1} more)" if len(group) > 1 else ""
        grouped.append(Chapter(group[0].title + more, group[0].start_ms, group[-1].end_ms))
    return grouped


def cues(script: Script, timeline: Timeline) -> list[Cue]:
    """A caption per utterance, as written (the disclaimer's own words included)."""
    return [Cue(span.start_ms, span.end_ms, u.written)
            for u, span in zip(script.utterances, timeline.spans, strict=True)]


def word_cues(script: Script, timeline: Timeline) -> list[Cue]:
    """A caption per word of the article (the disclaimer's words are not the article's)."""
    return [Cue(w.start_ms, w.end_ms, w.text)
            for u, group in zip(script.utterances, timeline.words, strict=True) if u.kind != "disclaimer"
            for w in group]


def tags_for(script: Script, target: Target, engine_identity: str, chapters: tuple[Chapter, ...]) -> Tags:
    doc, settings = script.document, target.settings
    comment = manifests.disclosure(engine_identity, settings.voice.voice)
    return Tags(
        title=doc.title or script.article[0].written[:120],
        artist=doc.byline,
        album=doc.publication,
        date=doc.date,
        comment=comment,
        provenance={
            "narrate": __version__,
            "engine": engine_identity,
            "voice": settings.voice.voice or "default",
            "source_sha256": doc.source_sha256,
        },
        chapters=chapters,
        cover=settings.output.cover,
        xmp=xmp.packet(comment, f"narrate {__version__}") if target.fmt.name in marks.XMP_FORMATS else None,
    )


def voice_label(settings: Settings, kind: str) -> str:
    """``engine/voice`` of the voice that speaks an utterance of ``kind`` (role voices)."""
    engine, voice = settings.voice_for(kind)
    return f"{engine}/{voice.voice or 'default'}"


def manifest_for(script: Script, timeline: Timeline, target: Target, *, engine_identity: str,
                 audio: manifests.AudioRecord, files: dict[str, str], loudness: manifests.LoudnessRecord,
                 chapters: list[Chapter], file_sha256: dict[str, str] | None = None,
                 layers: manifests.DisclosureRecord | None = None) -> manifests.Manifest:
    doc, settings = script.document, target.settings
    disclaimer = None
    article: list[int] = []  # the utterances' places in the script, the disclaimer's left out
    for n, (utterance, span) in enumerate(zip(script.utterances, timeline.spans, strict=True)):
        if utterance.kind != "disclaimer":
            article.append(n)
            continue
        clip = utterance.recording
        disclaimer = manifests.DisclaimerRecord(utterance.written, str(clip) if clip else None,
                                                span.start_ms, span.end_ms,
                                                "" if clip else voice_label(settings, utterance.kind))
    if len(timeline.words) != len(script.utterances):
        raise ValueError("the timeline's word timings do not line up with the script")

    def record(n: int) -> manifests.UtteranceRecord:  # made as the manifest is written
        utterance, span, words = (script.utterances[article[n]], timeline.spans[article[n]],
                                  timeline.words[article[n]])
        return manifests.UtteranceRecord(
            n, utterance.kind, utterance.written, utterance.spoken, utterance.span,
            span.start_ms, span.end_ms, tuple(manifests.WordRecord(**asdict(w)) for w in words),
            voice_label(settings, utterance.kind), utterance.block,
        )
    return manifests.Manifest(
        fingerprint=target.stamps.inputs,
        settings_fingerprint=target.stamps.settings,
        source=manifests.SourceRecord(doc.source, doc.title, doc.byline, doc.publication, doc.date, doc.url,
                                      doc.source_sha256, doc.encoding),
        settings=manifests.SettingsRecord(settings.profile, settings.engine, engine_identity,
                                          asdict(settings.voice), asdict(settings.pauses)),
        disclaimer=disclaimer,
        utterances=manifests.Records(len(article), record),
        dropped=doc.dropped,
        audio=audio,
        files=files,
        file_sha256=file_sha256 or {},
        loudness=loudness,
        chapters=tuple(chapters),
        layers=layers,
    )


def write_outputs(target: Target, script: Script, timeline: Timeline, *, engine_identity: str,
                  cache: ClipCache, early: EarlyMeasure | None = None) -> Written:
    dest, fmt, out = target.dest, target.fmt, target.settings.output
    rate = fmt.rate(out.sample_rate)
    rendered: Rendered | None = None
    if fmt.name == "mp3":
        # The tag writer's imports load while the encoders run, not after them.
        threading.Thread(target=importlib.import_module, args=("mutagen.id3",), daemon=True).start()
        rendered = render_mp3(timeline, cache, target_lufs=out.loudness, out_rate=rate, bitrate=out.bitrate,
                              jobs=target.jobs, previous=target.previous, hints=target.hints, early=early)
        gain, input_lufs, measured = rendered.gain_db, rendered.input_lufs, rendered.output
        timeline = timeline.remapped(time_map(rendered, timeline.sample_rate, rate),
                                     1000 * rendered.decoded_frames / rate)
    else:
        gain, before = levels.gain_for(timeline.path, timeline.sample_rate, out.loudness, rate)
        input_lufs = before.integrated_lufs
        levelled = timeline.path.with_suffix(".levelled")
        measured = levels.level(timeline.path, timeline.sample_rate, gain, levelled, rate)
    every = _chapters(script, timeline)
    chapters = capped(every)
    tags = tags_for(script, target, engine_identity, tuple(chapters))
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
        if fmt.name == "wav":
            write_wav_id3(audio_tmp, tags)
        elif fmt.name == "m4a" and tags.xmp is not None:
            append_mp4_xmp(audio_tmp, tags.xmp)
        claim = marks.claim_for(script, timeline, tags, engine_identity, target.settings)
        signed = marks.sign_last(audio_tmp, fmt.name, claim, target.settings)  # last: covers every byte
        audio_size, audio_sha256 = manifests.size_and_sha256(audio_tmp)  # streamed, never whole in memory
        sidecars: dict[str, Path] = {}
        hashes: dict[str, str] = {}

        def sidecar(kind: str, path: Path, text: str) -> None:
            staging.write_text(path, text)
            sidecars[kind] = path
            hashes[kind] = hashlib.sha256(text.encode("utf-8")).hexdigest()

        captions = cues(script, timeline)
        for kind in out.captions:
            sidecar(kind, dest.with_suffix(f".{kind}"), CAPTION_WRITERS[kind](captions))
        if out.word_timings:
            words = to_vtt(word_cues(script, timeline))
            sidecar("words_vtt", dest.with_name(dest.stem + ".words.vtt"), words)
        chapters_path = dest.with_name(dest.stem + ".chapters.json")
        sidecar("chapters", chapters_path, podcast_chapters(chapters))
        manifest_path = dest.with_suffix(".json")

        def record_with(files: dict[str, Path]) -> manifests.Manifest:
            return manifest_for(
                script, timeline, target,
                engine_identity=engine_identity,
                audio=manifests.AudioRecord(
                    path=dest.name, format=fmt.name, mime=fmt.mime,
                    bitrate=out.bitrate if fmt.uses_bitrate else None, sample_rate=rate,
                    duration_ms=round(timeline.duration_ms), bytes=audio_size, sha256=audio_sha256,
                ),
                files={kind: path.name for kind, path in files.items()},
                file_sha256={kind: hashes[kind] for kind in files},
                loudness=manifests.LoudnessRecord(
                    target_lufs=out.loudness, input_lufs=round(input_lufs, 2), gain_db=round(gain, 2),
                    integrated_lufs=measured.integrated_lufs,
                    # MP3: true peak of an excerpt after the codec; others: sample peak
                    true_peak_dbtp=measured.peak_db if rendered is not None else None,
                    sample_peak_dbfs=None if rendered is not None else measured.peak_db,
                ),
                chapters=chapters,
                layers=marks.record(script, fmt.name, signed),
            )

        if out.player:  # the read-along page and the book: from the manifest's records
            sidecar("player", dest.with_suffix(".html"), player_page(record_with(sidecars), dest.name))
        if out.epub:
            sidecars["epub"] = dest.with_suffix(".epub")
            book = staging.path_for(sidecars["epub"])
            write_epub([Narration(record_with({}), audio_tmp)], book)
            hashes["epub"] = manifests.size_and_sha256(book)[1]
        record = record_with(sidecars)
        if metadata is not None:
            staging.forget(metadata)
        staging.write_with(manifest_path, record.write)
        staging.commit()
    pieces = (rendered.encoded, len(rendered.chunks)) if rendered is not None else (1, 1)
    notes: tuple[str, ...] = () if len(every) == len(chapters) else (
        f"{len(every)} chapters (one per heading) are more than MP3 players accept: "
        f"grouped into {len(chapters)}",)
    if signed.state == "unsupported" and signed.note:
        notes += (f"not signed: {signed.note}",)
    return Written(dest, (dest, *sidecars.values(), manifest_path), manifest_path, pieces, notes)
