"""End to end with the real engine and real ffmpeg: narrate an article, decode the MP3,
and check what a listener would get."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from audio_tools import decode, duration_ms, probe, similarity, speech_bounds
from conftest import DATA, run_narrate
from narrate.engines.base import VoiceSettings, load_engine
from narrate.normalize import normalize

RATE = 22050


@pytest.fixture(scope="module")
def narrated(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("out")
    result = run_narrate(str(DATA / "reservoir.txt"), "-o", f"{out}/")
    assert result.returncode == 0, result.stderr
    mp3 = next(out.glob("*.mp3"))
    return {"dir": out, "mp3": mp3, "manifest": json.loads(mp3.with_suffix(".json").read_text()),
            "stdout": result.stdout}


def test_writes_mp3_captions_and_manifest_named_after_the_title(narrated: dict) -> None:
    mp3 = narrated["mp3"]
    assert mp3.name == "drought-leaves-valley-reservoir-at-its-lowest-level-since-1976.mp3"
    assert mp3.with_suffix(".vtt").read_text().startswith("WEBVTT")
    assert str(mp3) in narrated["stdout"]
    stem = mp3.stem
    assert sorted(p.name for p in narrated["dir"].iterdir()) == sorted(
        [mp3.name, f"{stem}.vtt", f"{stem}.json", f"{stem}.chapters.json"]
    )


def test_mp3_is_mono_44k_cbr_96k_with_id3v24_tags(narrated: dict) -> None:
    info = probe(narrated["mp3"])
    stream = info["streams"][0]
    assert (stream["codec_name"], stream["channels"], stream["sample_rate"]) == ("mp3", 1, "44100")
    assert int(stream["bit_rate"]) == 96000
    from mutagen.id3 import ID3

    tags = ID3(narrated["mp3"])
    assert tags.version[:2] == (2, 4)
    assert str(tags["TIT2"]) == "Drought Leaves Valley Reservoir at Its Lowest Level Since 1976"
    comment = str(tags.getall("COMM")[0])
    assert "AI-generated voice" in comment and "espeak-ng" in comment and "en-us" in comment


def test_decoded_duration_matches_the_manifest(narrated: dict) -> None:
    manifest_ms = narrated["manifest"]["audio"]["duration_ms"]
    assert abs(duration_ms(narrated["mp3"]) - manifest_ms) <= 0.10 * manifest_ms
    assert 30_000 < manifest_ms < 120_000


def test_utterances_cover_every_sentence_in_order_without_boilerplate(narrated: dict) -> None:
    lines = (DATA / "reservoir.txt").read_text(encoding="utf-8").splitlines()
    body = lines[1:-2]  # the player label above, the author box below
    written = [u["written"] for u in narrated["manifest"]["utterances"]]
    assert " ".join(written).split() == " ".join(body).split()
    spoken = " ".join(u["spoken"] for u in narrated["manifest"]["utterances"])
    assert "About the writer" not in spoken and "Read more" not in spoken
    assert "AI-generated" not in spoken  # said once, by the disclaimer clip
    starts = [u["start_ms"] for u in narrated["manifest"]["utterances"]]
    assert starts == sorted(starts)


def test_each_utterance_span_holds_speech_and_pauses_hold_silence(narrated: dict) -> None:
    samples = decode(narrated["mp3"], RATE)
    utterances = narrated["manifest"]["utterances"]
    for u in utterances:
        a, b = int(u["start_ms"] * RATE / 1000), int(u["end_ms"] * RATE / 1000)
        first, last = speech_bounds(samples[a:b], RATE)
        assert last - first > 0.5 * (b - a), u["written"]
    for prev, nxt in zip(utterances, utterances[1:], strict=False):
        a, b = int((prev["end_ms"] + 60) * RATE / 1000), int((nxt["start_ms"] - 60) * RATE / 1000)
        if b > a:
            assert abs(samples[a:b]).max() < 0.02


def test_opens_with_the_spoken_disclaimer(narrated: dict) -> None:
    disclaimer = narrated["manifest"]["disclaimer"]
    assert disclaimer["text"] == "Voice is AI-generated. Inconsistencies may occur."
    assert disclaimer["start_ms"] <= 30  # MP3 priming delay: decoders play it first
    first_utterance = narrated["manifest"]["utterances"][0]
    assert first_utterance["start_ms"] >= disclaimer["end_ms"] + 800
    # The opening span sounds like the engine speaking the disclaimer on its own.
    engine = load_engine("pyttsx3", VoiceSettings(voice="en-us", rate=175))
    reference_clip = engine.synthesize(normalize(disclaimer["text"]))
    reference = np.frombuffer(reference_clip.pcm, "<i2") / 32768.0
    opening = decode(narrated["mp3"], RATE)[: int(disclaimer["end_ms"] * RATE / 1000)]
    (a, b), (c, d) = speech_bounds(opening, RATE), speech_bounds(reference, RATE)
    assert abs((b - a) - (d - c)) < 0.05 * RATE
    assert similarity(opening[a:b], reference[c:d], RATE) > 0.9


def test_no_disclaimer_shortens_the_file_by_its_span(narrated: dict, tmp_path: Path) -> None:
    result = run_narrate(str(DATA / "reservoir.txt"), "--no-disclaimer", "-o", str(tmp_path / "n.mp3"))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "n.json").read_text())
    assert manifest["disclaimer"] is None
    span = narrated["manifest"]["disclaimer"]
    expected_cut = span["end_ms"] - span["start_ms"] + 900  # the clip and its pause
    cut = duration_ms(narrated["mp3"]) - duration_ms(tmp_path / "n.mp3")
    assert abs(cut - expected_cut) < 80


def test_publishers_own_disclaimer_recording_opens_the_file(tmp_path: Path) -> None:
    import subprocess

    # A recording that sounds nothing like speech: two tone bursts, in a format ffmpeg reads.
    clip = tmp_path / "ours.ogg"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
         "sine=frequency=440:duration=0.6,apad=pad_dur=0.4,aloop=loop=1:size=44100",
         "-ar", "44100", "-c:a", "libvorbis", str(clip)], check=True,
    )
    result = run_narrate(str(DATA / "reservoir.txt"), "--disclaimer-clip", str(clip),
                         "-o", str(tmp_path / "c.mp3"))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "c.json").read_text())
    span = manifest["disclaimer"]
    assert span["clip"].endswith("ours.ogg")
    opening = decode(tmp_path / "c.mp3", RATE)[: int(span["end_ms"] * RATE / 1000)]
    reference = decode(clip, RATE)
    (a, b), (c, d) = speech_bounds(opening, RATE), speech_bounds(reference, RATE)
    assert similarity(opening[a:b], reference[c:d], RATE) > 0.9
    # A pure tone: nearly all energy at 440 Hz.
    spectrum = np.abs(np.fft.rfft(opening[a : a + RATE // 2]))
    assert abs(np.argmax(spectrum) * RATE / (RATE // 2) - 440) < 10


def test_stdin_input_and_explicit_output_file(tmp_path: Path) -> None:
    text = (DATA / "reservoir.txt").read_bytes()
    result = run_narrate("-", "-o", str(tmp_path / "story.mp3"), stdin=text)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "story.mp3").stat().st_size > 10_000
    assert (tmp_path / "story.vtt").exists() and (tmp_path / "story.json").exists()


def test_second_run_reuses_every_clip_from_the_cache(tmp_path: Path) -> None:
    first = run_narrate(str(DATA / "reservoir.txt"), "-o", str(tmp_path / "a.mp3"))
    second = run_narrate(str(DATA / "reservoir.txt"), "-o", str(tmp_path / "b.mp3"))
    assert first.returncode == second.returncode == 0
    assert "0 synthesised" in second.stdout
    assert decode(tmp_path / "a.mp3").tolist() == decode(tmp_path / "b.mp3").tolist()
