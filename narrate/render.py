"""Script → finished files: synthesis through the cache, assembly, loudness, export.

The heavy half of the pipeline (worker processes, ffmpeg, pydub), imported only when
there is audio to make, so commands that don't (``narrate script``, an up-to-date
re-run) start fast.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from narrate import audio
from narrate.config import Settings
from narrate.export import loudness as levels
from narrate.export.encode import ffmpeg
from narrate.export.formats import Format
from narrate.export.pieces import EarlyMeasure
from narrate.export.staging import ensure_folder, refuse_symlink
from narrate.export.writer import write_outputs
from narrate.models import Clip, Script
from narrate.pipeline import Result
from narrate.script import spoken_form
from narrate.synthesis import Synthesizer, synthesizer_for

Progress = Callable[[str, int, int], None]


def _publisher_disclaimer(settings: Settings, voice: list[Clip]) -> Clip:
    """The publisher's recording, levelled to the loudness of the narrating voice (its
    first sentences, up to ~20 s)."""
    path = settings.disclaimer.clip
    assert path is not None
    rate = voice[0].sample_rate
    clip = audio.load_recording(path, rate)
    sample: list[bytes] = []
    for spoken in voice:
        if sum(map(len, sample)) > 2 * rate * 20:
            break
        sample.append(spoken.pcm)
    reference = levels.measure(b"".join(sample), rate)
    own = levels.measure(clip.pcm, rate)
    if own.integrated_lufs <= levels.SILENT or reference.integrated_lufs <= levels.SILENT:
        return clip
    gain = reference.integrated_lufs - own.integrated_lufs
    return Clip(levels.apply(clip.pcm, clip.sample_rate, gain), clip.sample_rate)


def start_measuring(settings: Settings, fmt: Format, synth: Synthesizer,
                    hints: dict[str, float] | None = None, rate: int | None = None) -> EarlyMeasure | None:
    """For a new MP3: the loudness meter and the round trip's processes, started now
    (they take ~60 ms each to start) at ``rate``, or else the rate the engine's clips
    usually have; None when neither is known. A context manager; hand it to render()."""
    rate = rate or synth.rate_hint
    if fmt.name != "mp3" or rate is None:
        return None
    out = settings.output
    return EarlyMeasure(rate, synth.cache, target_lufs=out.loudness,
                        out_rate=fmt.rate(out.sample_rate), bitrate=out.bitrate,
                        round_trip=not (hints and "loss_db" in hints))


def render(
    script: Script,
    settings: Settings,
    dest: Path,
    fmt: Format,
    *,
    stamps: tuple[str, str],
    previous: dict[str, float] | None = None,
    progress: Progress | None = None,
    synthesizer: Synthesizer | None = None,
    hints: dict[str, float] | None = None,
    early: EarlyMeasure | None = None,
) -> Result:
    """Narrate ``script`` into ``dest``. ``stamps`` are the fingerprints of the inputs
    (source and settings) and of the settings alone; ``previous`` the loudness record of
    the output this one replaces, if the same settings made it; ``early`` the measuring
    start_measuring() began (used if the clips have the rate it guessed)."""
    ffmpeg()  # fail before the work if ffmpeg is missing
    ensure_folder(dest.parent)
    refuse_symlink(dest)  # before the work, not after it
    disclaimer = settings.disclaimer
    spoken_disclaimer = disclaimer.enabled and disclaimer.clip is None
    texts = [u.spoken for u in script.utterances]
    if spoken_disclaimer:
        texts = [spoken_form(disclaimer.text), *texts]

    def on_clip(done: int, total: int) -> None:
        if progress:
            progress("synthesising", done, total)

    jobs = settings.jobs if settings.jobs is not None else (os.cpu_count() or 1)
    with contextlib.ExitStack() as stack:
        synth = synthesizer or stack.enter_context(synthesizer_for(settings))
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="narrate-"))
        plan = synth.plan(texts)
        # Clips in order, each as soon as it is made: assembly (and, for a new article,
        # measuring its loudness) runs while the engines are still speaking.
        clips = map(synth.clip, synth.stream(plan, on_clip))
        opening = next(clips) if spoken_disclaimer else None
        first = next(clips)
        rate = first.sample_rate
        narration: Iterator[Clip] = itertools.chain([first], clips)
        if disclaimer.enabled and opening is None:
            head = list(itertools.islice(narration, 8))
            opening = _publisher_disclaimer(settings, head)
            narration = itertools.chain(head, narration)
        parts: Iterator[tuple[Clip, int]] = zip(
            narration, (u.pause_after_ms for u in script.utterances), strict=True)
        if opening is not None:
            parts = itertools.chain([(opening, settings.pauses.disclaimer)], parts)
        if early is not None and early.rate != rate:
            early.close()
            early = None
        if early is None and previous is None and 2 * len(plan.missing) > plan.distinct:
            early = start_measuring(settings, fmt, synth, hints, rate)
            if early is not None:
                stack.enter_context(early)
        timeline = audio.assemble(parts, rate, Path(scratch) / "timeline.pcm", on_part=early)
        if progress:
            progress("encoding", 0, 1)
        written = write_outputs(
            script, timeline, settings, dest, fmt,
            engine_identity=synth.identity(), has_disclaimer=disclaimer.enabled,
            jobs=max(1, jobs), stamps=stamps, previous=previous, cache=synth.cache, hints=hints,
            early=early,
        )
    return Result(
        written.audio, written.files, written.manifest, timeline.duration_ms, len(script.utterances),
        synth.stats.synthesized, synth.stats.from_cache, pieces=written.pieces,
    )
