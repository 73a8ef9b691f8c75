"""The MP3 is made piece by piece while the narration is still being spoken: these
tests hold the shortcuts to the slow, obvious way of doing the same thing, on real
espeak-ng clips and real ffmpeg."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydub import AudioSegment
from pydub.silence import detect_leading_silence

from narrate import audio
from narrate.cache import ClipCache
from narrate.engines.base import VoiceSettings, engine_class
from narrate.export import cutting, lame, measuring, meter, mp3, mp3decode
from narrate.export import loudness as levels
from narrate.models import Clip
from narrate.synthesis import Synthesizer

TEXTS = [
    "Voice is AI-generated.",
    "The harbour reopened on Monday after three weeks of repairs.",
    "Ferries ran on time, the operator said.",
    "Passengers welcomed the news, and traders said business was already picking up again.",
    "Repairs cost four million dollars.",
    "More work is planned for next year, when the northern quay will close for a month.",
    "Thank you for listening.",
]


@pytest.fixture(scope="module")
def clips() -> list[Clip]:
    engine = engine_class("espeak").load(VoiceSettings())
    return [engine.synthesize(text) for text in TEXTS]


def timeline_of(clips: list[Clip], path: Path, on_part=None) -> audio.Timeline:  # type: ignore[no-untyped-def]
    return audio.assemble(((clip, 400) for clip in clips), clips[0].sample_rate, path, on_part=on_part)


def test_pieces_encoded_in_one_run_are_the_bytes_of_pieces_encoded_alone(clips: list[Clip], tmp_path: Path
                                                                          ) -> None:
    timeline = timeline_of(clips, tmp_path / "t.pcm")
    cut = cutting.cut(timeline, seconds=2)
    assert len(cut) >= 3
    together = mp3.encode(timeline, cut, 4.0, 44100, "96k")
    alone = [mp3.encode(timeline, [piece], 4.0, 44100, "96k")[0] for piece in cut]
    assert [e.mp3 for e in together] == [e.mp3 for e in alone]
    # Pieces apart from each other (an edit) still come back in their own order.
    odd = mp3.encode(timeline, cut[::2], 4.0, 44100, "96k")
    assert [e.mp3 for e in odd] == [e.mp3 for e in alone[::2]]


def test_batches_are_consecutive_and_about_equal_in_length() -> None:
    lengths = [24.7, 24.4, 24.5, 20.5, 25.9, 24.0, 21.8, 28.6, 25.7, 23.7, 21.4, 22.3, 24.1]
    bounds = [0]
    for seconds in lengths:
        bounds.append(bounds[-1] + int(seconds * 22050))
    cut = [cutting.Piece(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
    batches = mp3.batches(list(range(len(cut))), cut, 2)
    assert [n for batch in batches for n in batch] == list(range(len(cut)))
    sizes = [sum(cut[n].stop - cut[n].start for n in batch) / 22050 for batch in batches]
    assert abs(sizes[0] - sizes[1]) <= max(lengths)
    assert mp3.batches([3, 4, 9], cut, 5) == [[3], [4], [9]]


@pytest.fixture(params=["libebur128", "ffmpeg"])
def meter_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both meters: libebur128 in this process, and ffmpeg's where libebur128 is missing."""
    if request.param == "ffmpeg":
        monkeypatch.setattr(meter, "available", lambda: False)
    else:
        assert meter.available(), "libebur128 is missing: make installs libebur128-1"
    return str(request.param)


def test_early_measure_agrees_with_measuring_the_finished_narration(clips: list[Clip], tmp_path: Path,
                                                                   meter_kind: str) -> None:
    cache = ClipCache(tmp_path / "cache")
    with measuring.EarlyMeasure(clips[0].sample_rate, cache, target_lufs=-16.0, out_rate=44100,
                             bitrate="96k") as early:
        timeline = timeline_of(clips, tmp_path / "t.pcm", on_part=early)
        foreseen = early.finish()
    # The meter fed while assembling read every gating block of the finished narration.
    whole = levels.blocks_of(timeline.read(), timeline.sample_rate)
    assert len(foreseen.blocks) == len(whole)
    assert levels.integrated(foreseen.blocks) == pytest.approx(levels.integrated(whole), abs=0.01)
    # Its excerpt is the one the finished narration names, and the round trip on it
    # reads what the round trip on the finished narration's excerpt reads.
    assert foreseen.excerpt == cutting.excerpt(timeline, cutting.EXCERPT_SECONDS)
    excerpt = timeline.read(foreseen.excerpt.start, foreseen.excerpt.stop)
    trial = levels.trial_gain(-16.0)
    assert foreseen.trip == measuring.round_trip(excerpt, timeline.sample_rate, trial, 44100, "96k")
    assert 0.5 < foreseen.trip.loss_db < 5
    # And its pieces, hashed as they were written, are the finished narration's.
    cut = cutting.cut(timeline, cutting.PIECE_SECONDS)
    assert foreseen.pieces == (cut, [cutting.digest(timeline, piece) for piece in cut])


def test_early_measure_of_a_single_part_takes_it_whole(clips: list[Clip], tmp_path: Path) -> None:
    with measuring.EarlyMeasure(clips[1].sample_rate, ClipCache(None), target_lufs=-16.0, out_rate=44100,
                             bitrate="96k") as early:
        timeline = timeline_of(clips[1:2], tmp_path / "t.pcm", on_part=early)
        foreseen = early.finish()
    assert foreseen.excerpt == cutting.Piece(0, timeline.frames) == cutting.excerpt(timeline)


def test_early_measure_left_unfinished_stops_its_meter(clips: list[Clip], tmp_path: Path,
                                                       meter_kind: str) -> None:
    with pytest.raises(RuntimeError), measuring.EarlyMeasure(
            clips[0].sample_rate, ClipCache(None), target_lufs=-16.0, out_rate=44100, bitrate="96k") as early:
        timeline_of(clips[:3], tmp_path / "t.pcm", on_part=early)
        raise RuntimeError("the run failed")
    if meter_kind == "ffmpeg":
        assert early._meter._proc.poll() is not None
    else:
        assert not early._meter._state  # libebur128's state is freed


def test_stream_yields_every_key_in_order_once_its_clip_is_cached(tmp_path: Path) -> None:
    texts = [TEXTS[3], TEXTS[0], TEXTS[3], TEXTS[5], TEXTS[6]]  # long and short, one repeated
    cache = ClipCache(tmp_path / "cache")
    with Synthesizer("espeak", VoiceSettings(), jobs=2, cache=cache) as synth:
        plan = synth.plan(texts)
        assert len(plan.missing) == plan.distinct == 4
        for key in synth.stream(plan):
            assert cache.get(key) is not None
        assert list(synth.stream(synth.plan(texts))) == plan.keys == synth.keys(texts)
        assert synth.stats.synthesized == 4 and synth.stats.from_cache == 4


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-32768, 32767), max_size=900), st.sampled_from([8000, 16000, 22050, 44100]),
       st.integers(0, 400))
def test_trimming_reads_silence_exactly_as_pydub_does(samples: list[int], rate: int, pad: int) -> None:
    pcm = b"\x00\x00" * pad + b"".join(s.to_bytes(2, "little", signed=True) for s in samples)
    seg = AudioSegment(data=pcm, sample_width=2, frame_rate=rate, channels=1)
    expected = detect_leading_silence(seg, silence_threshold=audio.SILENCE_DBFS, chunk_size=1)
    assert audio._leading_silence_ms(pcm, rate) == expected


def test_early_measure_without_a_round_trip_only_meters(clips: list[Clip], tmp_path: Path) -> None:
    """In a batch the limiter's and codec's share is measured once: later articles only meter."""
    with measuring.EarlyMeasure(clips[0].sample_rate, ClipCache(None), target_lufs=-16.0, out_rate=44100,
                             bitrate="96k", round_trip=False) as early:
        timeline = timeline_of(clips, tmp_path / "t.pcm", on_part=early)
        foreseen = early.finish()
    assert foreseen.trip is None and early._trip is None
    assert foreseen.excerpt == cutting.excerpt(timeline)
    assert len(foreseen.blocks) == len(levels.blocks_of(timeline.read(), timeline.sample_rate))


def test_round_trip_runs_started_early_and_never_used_are_stopped(meter_kind: str) -> None:
    runs = measuring.round_trip_runs(22050, 5.0, 44100, "96k")
    assert runs.stages == (1 if meter_kind == "libebur128" else 2)
    runs.kill()
    assert all(proc.poll() is not None for proc in runs._procs)


def test_round_trip_in_this_process_reads_what_two_ffmpeg_runs_read(
        clips: list[Clip], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """libebur128 and libmpg123 here, or ffmpeg's meter and decoder in a second run: the
    limiter's and codec's share and the true peak come out the same."""
    timeline = timeline_of(clips, tmp_path / "t.pcm")
    piece = cutting.excerpt(timeline)
    pcm = timeline.read(piece.start, piece.stop)
    here = measuring.round_trip(pcm, timeline.sample_rate, 7.0, 44100, "96k")
    monkeypatch.setattr(mp3decode, "available", lambda: False)
    ffmpeg_only = measuring.round_trip(pcm, timeline.sample_rate, 7.0, 44100, "96k")
    assert 0.5 < here.loss_db < 5
    assert here.loss_db == pytest.approx(ffmpeg_only.loss_db, abs=0.1)
    assert here.true_peak_db == pytest.approx(ffmpeg_only.true_peak_db, abs=0.3)
    assert here.true_peak_db < -1.0


def test_measuring_started_at_a_guessed_rate_gives_way_to_the_clips_rate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's rate hint starts the meter before the first clip; when the clips
    come at another rate, that meter is dropped and one at their rate measures."""
    import json

    from narrate.config import Settings
    from narrate.engines.pyttsx3_engine import Pyttsx3Engine
    from narrate.export.target import Target
    from narrate.models import Stamps
    from narrate.pipeline import narrate_file
    from narrate.render import start_measuring
    from narrate.synthesis import synthesizer_for

    def target(fmt: str) -> Target:
        return Target(tmp_path / f"x.{fmt}", Settings().resolved(fmt), Stamps("", ""))

    with synthesizer_for(Settings()) as synth:
        early = start_measuring(target("mp3"), synth)
        assert early is not None and early.rate == 22050
        early.close()
        assert start_measuring(target("wav"), synth) is None
    monkeypatch.setattr(Pyttsx3Engine, "rate_hint", 16000, raising=False)
    finished: list[int] = []
    real_finish = measuring.EarlyMeasure.finish

    def finish(self: measuring.EarlyMeasure) -> measuring.Foreseen:
        finished.append(self.rate)
        return real_finish(self)

    monkeypatch.setattr(measuring.EarlyMeasure, "finish", finish)
    src = tmp_path / "a.txt"
    src.write_text("Harbour Reopens\n\n" + " ".join(TEXTS[1:]) + "\n", encoding="utf-8")
    result = narrate_file(str(src), Settings(), tmp_path / "a.mp3")
    manifest = json.loads(result.manifest.read_text())
    assert abs(manifest["loudness"]["integrated_lufs"] + 16) <= 1
    assert manifest["audio"]["sample_rate"] == 44100 and manifest["audio"]["duration_ms"] > 10_000
    assert finished == [22050]  # the meter at the guessed rate was dropped, not used


def test_lame_low_passes_at_the_narrations_own_band_and_the_sound_stays(
        clips: list[Clip], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 22.05 kHz narration has nothing above 11 kHz: LAME is told so (it would encode
    the whole band at 96 kbps mono), and what plays is as loud and as bright below it."""
    import subprocess

    import numpy as np

    assert lame.lowpass(22050, 44100, "96k") == ["-cutoff", "11025"]
    assert lame.lowpass(16000, 44100, "128000") == ["-cutoff", "8000"]
    assert lame.lowpass(44100, 44100, "96k") == lame.lowpass(22050, 44100, "32k") == []
    timeline = timeline_of(clips, tmp_path / "t.pcm")
    whole = [cutting.Piece(0, timeline.frames)]
    (low,) = mp3.encode(timeline, whole, 4.0, 44100, "96k")
    monkeypatch.setattr(lame, "lowpass", lambda *_: [])
    (full,) = mp3.encode(timeline, whole, 4.0, 44100, "96k")
    assert low.decoded_frames == full.decoded_frames and low.mp3 != full.mp3

    def decoded(mp3: bytes) -> bytes:
        return subprocess.run(["ffmpeg", "-v", "error", "-f", "mp3", "-i", "pipe:0", "-f", "s16le", "pipe:1"],
                              input=mp3, capture_output=True, check=True).stdout

    pcm_a, pcm_b = decoded(low.mp3), decoded(full.mp3)
    loudness = [levels.integrated(levels.blocks_of(pcm, 44100)) for pcm in (pcm_a, pcm_b)]
    assert loudness[0] == pytest.approx(loudness[1], abs=0.1)
    a, b = (np.frombuffer(pcm, dtype="<i2").astype(np.float64) for pcm in (pcm_a, pcm_b))
    freqs = np.fft.rfftfreq(len(a), 1 / 44100)
    power_a, power_b = np.abs(np.fft.rfft(a)) ** 2, np.abs(np.fft.rfft(b)) ** 2
    for lo, hi in [(100, 1000), (1000, 4000), (4000, 10000)]:
        band = (freqs >= lo) & (freqs < hi)
        assert 10 * np.log10(power_a[band].sum() / power_b[band].sum()) == pytest.approx(0, abs=0.3)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 1500), st.integers(1, 600)), min_size=1, max_size=40),
       st.sampled_from([0.5, 1.0, 2.0]))
def test_pieces_hashed_as_written_are_the_pieces_cut_from_the_finished_timeline(
        parts: list[tuple[int, int]], seconds: float) -> None:
    """PieceHashes decides each cut as the parts come, and hashes as it goes: the same
    pieces and digests as cutting and hashing the finished timeline."""
    import hashlib

    rate = 1000
    hashes = cutting.PieceHashes(rate, seconds)
    data, seams = bytearray(), []
    for n, (speech, pause) in enumerate(parts):
        pcm = bytes([n % 251, 7]) * speech + b"\x00\x00" * pause
        seams.append(len(data) // 2 + speech + pause // 2)
        hashes.add(pcm, seams[-1])
        data += pcm
    frames = len(data) // 2
    timeline = audio.Timeline(Path("unused"), rate, frames, (), (), tuple(seams[:-1]))
    expected = cutting.cut(timeline, seconds)
    found, digests = hashes.result()
    assert found == expected
    assert digests == [hashlib.sha256(data[2 * p.start : 2 * p.stop]).hexdigest() for p in expected]


def test_the_limiter_holds_the_peaks_that_play_not_only_the_samples(tmp_path: Path) -> None:
    """A voice made at 22.05 kHz with energy high in its band (a neural voice's loud
    fricative) has peaks between its samples. Limited at its own rate they slip through
    and play over the ceiling once resampled; so the narration is resampled first and
    the limiter holds what plays. A tone at a quarter of the rate, sampled 45° off its
    crests, hides its peaks 3 dB under the samples: the worst case."""
    import math
    import subprocess

    import numpy as np

    rate, seconds = 22050, 3
    n = np.arange(rate * seconds)
    tone = 0.3 * np.sin(2 * math.pi * (rate / 4) * n / rate + math.pi / 4)
    pcm = (tone * 32767).astype("<i2").tobytes()
    clip = Clip(pcm, rate)
    timeline = timeline_of([clip], tmp_path / "t.pcm")
    (encoded,) = mp3.encode(timeline, [cutting.Piece(0, timeline.frames)], 12.0, 44100, "96k")
    path = tmp_path / "tone.mp3"
    path.write_bytes(encoded.mp3)
    log = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true",
                          "-f", "null", "-"], capture_output=True, text=True, check=True).stderr
    peak = float(log[log.rfind("True peak:"):].split("Peak:")[1].split("dBFS")[0])
    assert peak <= -1.0, peak
