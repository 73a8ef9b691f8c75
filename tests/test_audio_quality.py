"""Broadcast quality, checked on decoded output: loudness and true peak, click-free
joins, captions that line up with speech onsets, chapters every reader sees in time
order, and every format playing to its stated duration."""

from __future__ import annotations

import html
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from audio_tools import decode, duration_ms, probe
from conftest import DATA, run_narrate

RATE = 22050


def seconds(stamp: str) -> float:
    """'00:01:02.345' → 62.345 (webvtt-py's *_in_seconds are whole seconds)."""
    hours, minutes, rest = stamp.replace(",", ".").split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def ebur128(path: Path, start_s: float | None = None, length_s: float | None = None) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of a file, by ffmpeg's BS.1770 meter."""
    seek = ["-ss", str(start_s), "-t", str(length_s)] if start_s is not None else []
    log = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", *seek, "-i", str(path), "-af",
         "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr
    summary = log[log.rfind("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1).replace("-inf", "-120"))
    return integrated, peak


@pytest.fixture(scope="module")
def sections(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("sections")
    result = run_narrate(str(DATA / "three-sections.md"), "-o", str(out / "s.mp3"),
                         "--captions", "vtt,srt", "--word-timings")
    assert result.returncode == 0, result.stderr
    return {"mp3": out / "s.mp3", "manifest": json.loads((out / "s.json").read_text()), "dir": out}


def test_loudness_on_target_and_true_peak_under_minus_one(sections: dict) -> None:
    integrated, peak = ebur128(sections["mp3"])
    assert abs(integrated - (-16.0)) <= 1.0
    assert peak <= -1.0
    reported = sections["manifest"]["loudness"]
    assert abs(reported["integrated_lufs"] - integrated) <= 1.0
    assert reported["input_lufs"] < -17  # espeak-ng's own level: the gain did the work


def test_loudness_flag_changes_the_target(tmp_path: Path) -> None:
    result = run_narrate(str(DATA / "three-sections.md"), "--loudness", "-20", "-o", str(tmp_path / "q.mp3"))
    assert result.returncode == 0, result.stderr
    integrated, peak = ebur128(tmp_path / "q.mp3")
    assert abs(integrated - (-20.0)) <= 1.0 and peak <= -1.0


@pytest.mark.parametrize("volume_db", [-24, 12])
def test_quiet_and_loud_disclaimer_recordings_are_levelled(tmp_path: Path, volume_db: int) -> None:
    plain = tmp_path / "plain.wav"
    subprocess.run(["espeak-ng", "-v", "en-gb", "-w", str(plain),
                    "This programme is read by a synthetic voice."], check=True)
    clip = tmp_path / "publisher.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(plain), "-af", f"volume={volume_db}dB",
                    str(clip)], check=True)
    out = tmp_path / "d.mp3"
    result = run_narrate(str(DATA / "three-sections.md"), "--disclaimer-clip", str(clip), "-o", str(out))
    assert result.returncode == 0, result.stderr
    integrated, peak = ebur128(out)
    assert abs(integrated - (-16.0)) <= 1.0 and peak <= -1.0
    span = json.loads((tmp_path / "d.json").read_text())["disclaimer"]
    opening, _ = ebur128(out, span["start_ms"] / 1000, (span["end_ms"] - span["start_ms"]) / 1000)
    assert abs(opening - integrated) <= 3.0, "the disclaimer should sit at the narration's level"


def test_every_join_is_click_free_at_sample_level(tmp_path: Path) -> None:
    wav = tmp_path / "j.wav"  # lossless, so the samples at each join are exactly ours
    result = run_narrate(str(DATA / "three-sections.md"), "-o", str(wav))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "j.json").read_text())
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-f", "s16le", "-"],
                         capture_output=True, check=True).stdout
    x = np.frombuffer(raw, "<i2").astype(np.float64) / 32768.0
    rate = manifest["audio"]["sample_rate"]
    spans = [manifest["disclaimer"]] + manifest["utterances"]
    typical_step = np.percentile(np.abs(np.diff(x)), 99)
    for span in spans:
        for edge_ms in (span["start_ms"], span["end_ms"]):
            n = int(edge_ms * rate / 1000)
            window = x[max(0, n - 40) : n + 40]
            assert np.abs(window).max() < 0.01, f"audio at a join ({edge_ms} ms)"
            assert np.abs(np.diff(window)).max() < typical_step / 4, f"a step at a join ({edge_ms} ms)"


def test_caption_cues_start_within_50_ms_of_speech_onset(sections: dict) -> None:
    rate = 44100
    x = decode(sections["mp3"], rate)
    for u in sections["manifest"]["utterances"]:
        start = int(u["start_ms"] * rate / 1000)
        lo = max(0, start - rate // 5)
        sound = np.nonzero(np.abs(x[lo : start + rate // 5]) > 10 ** (-50 / 20))[0]  # −50 dBFS
        assert len(sound), u["written"]
        onset_ms = 1000 * (lo + sound[0]) / rate
        assert abs(onset_ms - u["start_ms"]) <= 50, (u["written"], onset_ms, u["start_ms"])


def test_captions_parse_and_match_the_manifest(sections: dict) -> None:
    import webvtt

    manifest = sections["manifest"]
    vtt = webvtt.read(str(sections["dir"] / "s.vtt"))
    srt = webvtt.from_srt(str(sections["dir"] / "s.srt"))
    expected = [manifest["disclaimer"]["text"]] + [u["written"] for u in manifest["utterances"]]
    assert [html.unescape(c.text) for c in vtt] == expected
    assert [c.text for c in srt] == expected
    spans = [manifest["disclaimer"]] + manifest["utterances"]
    for cue, span in zip(vtt, spans, strict=True):
        assert abs(seconds(cue.start) * 1000 - span["start_ms"]) <= 1
        assert abs(seconds(cue.end) * 1000 - span["end_ms"]) <= 1
    assert any("$180,000" in c.text for c in vtt)  # the written form, not the spoken one


def test_word_level_captions_follow_the_words(sections: dict) -> None:
    import webvtt

    words = webvtt.read(str(sections["dir"] / "s.words.vtt"))
    manifest_words = [w for u in sections["manifest"]["utterances"] for w in u["words"]]
    assert [c.text for c in words] == [w["text"] for w in manifest_words]
    starts = [seconds(c.start) for c in words]
    assert starts == sorted(starts)
    x = decode(sections["mp3"], RATE)
    for cue in list(words)[:: max(1, len(words) // 12)]:  # a word cue holds sound
        a, b = int(seconds(cue.start) * RATE), int(seconds(cue.end) * RATE)
        assert np.abs(x[a:b]).max() > 0.05, cue.text


def test_chapters_per_heading_in_time_order_for_ffprobe_and_mutagen(sections: dict) -> None:
    from mutagen.id3 import ID3

    expected = ["Disclaimer", "Library Opens Night Reading Room", "Who asked for it", "What it costs",
                "When it starts"]
    chapters = probe(sections["mp3"])["chapters"]
    assert [c["tags"]["title"] for c in chapters] == expected
    starts = [float(c["start_time"]) for c in chapters]
    assert starts == sorted(starts) and starts[0] == 0
    tags = ID3(sections["mp3"])
    stored = tags.getall("CHAP")  # in the order the frames sit in the file
    assert [str(f.sub_frames["TIT2"]) for f in stored] == expected
    assert [f.start_time for f in stored] == sorted(f.start_time for f in stored)
    toc = tags.getall("CTOC")[0]
    assert list(toc.child_element_ids) == [f.element_id for f in stored]
    headings = [u for u in sections["manifest"]["utterances"] if u["kind"] == "heading"]
    for heading, chapter in zip(headings, stored[2:], strict=True):
        assert abs(chapter.start_time - heading["start_ms"]) <= 1
    podcast = json.loads((sections["dir"] / "s.chapters.json").read_text())
    assert [c["title"] for c in podcast["chapters"]] == expected


def test_article_without_headings_gets_disclaimer_and_title_chapters(tmp_path: Path) -> None:
    result = run_narrate(str(DATA / "reservoir.txt"), "-o", str(tmp_path / "r.mp3"))
    assert result.returncode == 0, result.stderr
    titles = [c["tags"]["title"] for c in probe(tmp_path / "r.mp3")["chapters"]]
    assert titles == ["Disclaimer", "Drought Leaves Valley Reservoir at Its Lowest Level Since 1976"]


def test_tags_carry_byline_date_genre_disclosure_and_provenance(sections: dict) -> None:
    from mutagen.id3 import ID3

    tags = ID3(sections["mp3"])
    assert str(tags["TPE1"]) == "Sam Okoro"
    assert str(tags["TDRC"]) == "2026-03-14"
    assert str(tags["TCON"]) == "Speech"
    assert "AI-generated voice" in str(tags.getall("COMM")[0])
    provenance = json.loads(str(tags.getall("TXXX:narrate")[0]))
    assert provenance["source_sha256"] == sections["manifest"]["source"]["sha256"]
    assert provenance["engine"].startswith("pyttsx3")


FORMATS = [("mp3", "mp3"), ("m4a", "aac"), ("ogg", "opus"), ("opus", "opus"), ("wav", "pcm_s16le"),
           ("flac", "flac")]


@pytest.mark.parametrize(("suffix", "codec"), FORMATS)
def test_every_format_plays_to_its_stated_duration(tmp_path: Path, suffix: str, codec: str) -> None:
    out = tmp_path / f"a.{suffix}"
    result = run_narrate(str(DATA / "three-sections.md"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    info = probe(out)
    assert info["streams"][0]["codec_name"] == codec
    assert info["streams"][0]["channels"] == 1
    stated = json.loads((tmp_path / "a.json").read_text())["audio"]["duration_ms"]
    assert abs(duration_ms(out) - stated) <= 0.02 * stated + 60
    if suffix in ("mp3", "m4a", "ogg", "opus", "flac"):
        assert len(info["chapters"]) == 5
    integrated, _ = ebur128(out)  # every format is levelled, not only MP3
    assert abs(integrated - (-16.0)) <= 1.0


def test_cover_art_is_embedded(tmp_path: Path) -> None:
    cover = tmp_path / "cover.png"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=navy:s=64x64", "-frames:v", "1",
                    str(cover)], check=True)
    for suffix in ("mp3", "m4a"):
        out = tmp_path / f"c.{suffix}"
        result = run_narrate(str(DATA / "three-sections.md"), "--cover", str(cover), "-o", str(out))
        assert result.returncode == 0, result.stderr
        if suffix == "mp3":
            from mutagen.id3 import ID3

            assert ID3(out).getall("APIC")[0].data == cover.read_bytes()
        else:
            from mutagen.mp4 import MP4

            assert bytes(MP4(out)["covr"][0]) == cover.read_bytes()
