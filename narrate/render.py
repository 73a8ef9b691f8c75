"""Script → finished files: synthesis through the cache, assembly, loudness, export.

The heavy half of the pipeline (worker processes, ffmpeg, pydub), imported only when
there is audio to make, so commands that don't (``narrate script``, an up-to-date
re-run) start fast. ``Render`` owns everything that runs for one narration: the engine
workers, the early loudness meter and the scratch folder. ``start()`` begins what needs
no script (for a new output the workers and the meter load while the text is still
being prepared); ``finish(script)`` makes the files.
"""

from __future__ import annotations

import contextlib
import itertools
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from narrate import audio
from narrate import scratch as scratch_dirs
from narrate.engines.base import VoiceSettings
from narrate.export import loudness as levels
from narrate.export.disclosure import preflight
from narrate.export.encode import ffmpeg
from narrate.export.measuring import EarlyMeasure
from narrate.export.staging import ensure_folder, refuse_to_replace
from narrate.export.target import Target
from narrate.export.writer import output_files, write_outputs
from narrate.models import Clip, Progress, Result, Script, Utterance
from narrate.synthesis import Synthesizer, synthesizer_for

LEVELLING_CLIPS = 8  # a recorded disclaimer is levelled to the voice's first clips


def _levelled_recording(path: Path, voice: list[Clip]) -> Clip:
    """A publisher's recording, levelled to the loudness of the narrating voice (its
    first sentences, up to ~20 s)."""
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


def start_measuring(target: Target, synth: Synthesizer, rate: int | None = None) -> EarlyMeasure | None:
    """For a new MP3: the loudness meter and the round trip's processes, started now
    (they take ~60 ms each to start) at ``rate``, or else the rate the engine's clips
    usually have; None when neither is known. A context manager."""
    rate = rate or synth.rate_hint
    if target.fmt.name != "mp3" or rate is None:
        return None
    out = target.settings.output
    return EarlyMeasure(rate, synth.cache, target_lufs=out.loudness,
                        out_rate=target.fmt.rate(out.sample_rate), bitrate=out.bitrate,
                        round_trip=not (target.hints and target.hints.codec))


class Render:
    """One narration's heavy work: ``with Render(target) as r: r.start(); r.finish(script)``.

    ``synthesizer``: a running Synthesizer to share (a batch's); otherwise one is made
    for this narration and stopped with it."""

    def __init__(self, target: Target, synthesizer: Synthesizer | None = None,
                 progress: Progress | None = None) -> None:
        self.target = target
        self._synth = synthesizer
        self._progress = progress
        self._stack = contextlib.ExitStack()
        self._early: EarlyMeasure | None = None
        self._role_stats = (0, 0)  # clips (synthesised, from the cache) in role voices

    def __enter__(self) -> Render:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _synthesizer(self) -> Synthesizer:
        if self._synth is None:
            self._synth = self._stack.enter_context(synthesizer_for(self.target.settings))
        return self._synth

    def _measure_early(self, rate: int | None = None) -> None:
        self._early = start_measuring(self.target, self._synthesizer(), rate)
        if self._early is not None:
            self._stack.enter_context(self._early)

    def start(self) -> None:
        """For a new output with engines of its own: start the engine workers and the
        loudness meter now. (An edit of an existing one usually needs no workers at all,
        and a shared synthesizer is running already.)"""
        if self._synth is not None or self.target.previous is not None:
            return
        self._synthesizer().start()
        self._measure_early()

    def finish(self, script: Script) -> Result:
        """Narrate ``script`` into the target's files."""
        target = self.target
        ffmpeg()  # fail before the work if ffmpeg is missing
        ensure_folder(target.dest.parent)
        for path in output_files(target):  # before the work, not after it
            refuse_to_replace(path, script.document.source)
        preflight(target.settings, target.fmt.name)
        synth = self._synthesizer()
        scratch = scratch_dirs.make("run")
        self._stack.callback(shutil.rmtree, scratch, ignore_errors=True)
        roles = self._role_clips(script)
        plan = synth.plan([u.spoken for u in script.utterances
                           if u.recording is None and u.index not in roles])

        def on_clip(done: int, total: int) -> None:
            if self._progress:
                self._progress("synthesising", done, total)

        # Clips in order, each as soon as it is made: assembly (and, for a new article,
        # measuring its loudness) runs while the engines are still speaking.
        voice: Iterator[Clip] = map(synth.clip, synth.stream(plan, on_clip))
        first = next(voice, None)
        if first is not None:
            voice = itertools.chain([first], voice)
        rate = (first or next(iter(roles.values()))).sample_rate  # None: all in role voices
        if self._early is not None and self._early.rate != rate:
            self._early.close()
            self._early = None
        if self._early is None and target.previous is None and 2 * len(plan.missing) > plan.distinct:
            self._measure_early(rate)
        parts = _parts(script.utterances, voice, roles)
        timeline = audio.assemble(parts, rate, Path(scratch) / "timeline.pcm", on_part=self._early)
        if self._progress:
            self._progress("encoding", 0, 1)
        written = write_outputs(target, script, timeline, engine_identity=synth.identity(),
                                cache=synth.cache, early=self._early)
        # A shared synthesizer's stats add up every narration it served: this one's
        # counts are its plan's (the clips it found missing were made for it).
        made, reused = ((len(plan.missing), plan.distinct - len(plan.missing)) if synth.shared
                        else (synth.stats.synthesized, synth.stats.from_cache))
        return Result(written.audio, written.files, written.manifest, timeline.duration_ms,
                      len(script.article), made + self._role_stats[0], reused + self._role_stats[1],
                      pieces=written.pieces, notes=written.notes)

    def _role_clips(self, script: Script) -> dict[int, Clip]:
        """The clips of the utterances a profile gives their own voice (title, headings,
        quotations, disclaimer: ``[roles.*]``), by utterance index, each voice through its
        own synthesizer and so its own cache keys. They are few: spoken before the rest."""
        settings = self.target.settings
        wanted: dict[tuple[str, VoiceSettings], list[Utterance]] = {}
        for utterance in script.utterances:
            engine, voice = settings.voice_for(utterance.kind)
            if utterance.recording is None and (engine, voice) != (settings.engine, settings.voice):
                wanted.setdefault((engine, voice), []).append(utterance)
        clips: dict[int, Clip] = {}
        for (engine, voice), utterances in wanted.items():
            synth = self._stack.enter_context(synthesizer_for(replace(settings, engine=engine, voice=voice)))
            for utterance, clip in zip(utterances, synth.synthesize_all([u.spoken for u in utterances]),
                                       strict=True):
                clips[utterance.index] = clip
            self._role_stats = (self._role_stats[0] + synth.stats.synthesized,
                                self._role_stats[1] + synth.stats.from_cache)
        return clips


def _parts(utterances: tuple[Utterance, ...], voice: Iterator[Clip],
           roles: dict[int, Clip] | None = None) -> Iterator[tuple[Clip, int]]:
    """(clip, pause after it) for every utterance in order: the engine's clips, a role
    voice's clip where the profile gives one, and a recording where an utterance has one
    (recordings and role voices levelled to the main voice's first clips)."""
    roles = roles or {}
    head: list[Clip] = []
    if roles or any(u.recording is not None for u in utterances):
        head = list(itertools.islice(voice, LEVELLING_CLIPS)) or list(roles.values())
        voice = itertools.chain(head, voice)
    levelled = _levelled_voices(roles, head)
    for utterance in utterances:
        if utterance.recording is not None:
            yield _levelled_recording(utterance.recording, head), utterance.pause_after_ms
        elif utterance.index in levelled:
            yield levelled[utterance.index], utterance.pause_after_ms
        else:
            yield next(voice), utterance.pause_after_ms
    # Run the synthesis stream to its end: a stream left suspended is closed when it is
    # collected, and closing it mid-way stops the engine workers (a batch shares them).
    if next(voice, None) is not None:
        raise RuntimeError("the engines made more clips than the script has utterances")


def _levelled_voices(roles: dict[int, Clip], head: list[Clip]) -> dict[int, Clip]:
    """Role-voice clips, each voice (all its clips at one rate) brought to the loudness of
    the main voice's first clips; the timeline resamples them to its own rate."""
    if not roles or not head:
        return roles
    reference = levels.measure(b"".join(c.pcm for c in head), head[0].sample_rate).integrated_lufs
    out: dict[int, Clip] = {}
    by_rate: dict[int, list[int]] = {}
    for index, clip in roles.items():
        by_rate.setdefault(clip.sample_rate, []).append(index)
    for rate, indexes in by_rate.items():
        own = levels.measure(b"".join(roles[i].pcm for i in indexes), rate).integrated_lufs
        gain = reference - own if min(own, reference) > levels.SILENT else 0.0
        for i in indexes:
            clip = roles[i]
            out[i] = Clip(levels.apply(clip.pcm, rate, gain), rate, words=clip.words) if gain else clip
    return out
