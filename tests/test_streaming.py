"""The parts that keep a long narration's memory flat (issue 21, class 16): each streams
or holds compactly, and gives exactly what the whole-in-memory way gave."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from narrate import audio
from narrate.errors import EncodeError
from narrate.export import loudness as levels
from narrate.export import manifest as manifests
from narrate.export.encode import raw_input, run_ffmpeg
from narrate.export.tags import Chapter
from narrate.models import Word


def _manifest(utterances: int) -> manifests.Manifest:
    records = tuple(
        manifests.UtteranceRecord(n, "paragraph", f"Sentence {n} — “quoted”\n", f"sentence {n}", (n, n + 9),
                                  100 * n, 100 * n + 90,
                                  tuple(manifests.WordRecord(w, 100 * n + k, 100 * n + k + 5)
                                        for k, w in enumerate(("sentence", str(n)))), "pyttsx3/en-us")
        for n in range(utterances))
    return manifests.Manifest(
        fingerprint="f", settings_fingerprint="s", source=manifests.SourceRecord("a\udcff.md", "Tïtle"),
        settings=manifests.SettingsRecord(voice={"rate": 175}, pauses={}),
        disclaimer=manifests.DisclaimerRecord("Voice is AI-generated.", None, 0, 900, "pyttsx3/en-us"),
        utterances=records, audio=manifests.AudioRecord("a.mp3", "mp3"), files={"vtt": "a.vtt"},
        loudness=manifests.LoudnessRecord(-16.0, -20.0, 4.0, -16.1, -1.5),
        chapters=(Chapter("Intro", 0, 900),), dropped=(("Share this", "share button"),))


@pytest.mark.parametrize("utterances", [0, 1, 3])
def test_the_manifest_is_written_as_json_dumps_wrote_it(utterances: int) -> None:
    """Byte for byte the text of json.dumps(indent=2) (schema 1 unchanged), record by record."""
    manifest = _manifest(utterances)
    whole = json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n"
    assert manifest.dumps() == whole
    lazy = replace(manifest, utterances=manifests.Records(utterances, lambda n: manifest.utterances[n]))
    assert lazy.dumps() == whole
    assert manifests.Manifest.from_dict(json.loads(whole)).utterances == manifest.utterances


def test_records_are_a_sequence_made_on_demand() -> None:
    made: list[int] = []

    def make(n: int) -> manifests.UtteranceRecord:
        made.append(n)
        return manifests.UtteranceRecord(n, "paragraph", str(n))

    records = manifests.Records(3, make)
    assert len(records) == 3 and made == []
    assert [r.written for r in records] == ["0", "1", "2"] and records[-1].index == 2
    with pytest.raises(IndexError):
        records[3]


def test_word_timings_are_compact_and_read_back_as_words() -> None:
    parts = [[Word("harbour", 10, 400), Word("reopens", 420, 900)], [], [Word("today", 1000, 1300)]]
    words = audio.Words(parts)
    assert len(words) == 3
    assert list(words) == [tuple(p) for p in parts]
    assert words[-1] == (Word("today", 1000, 1300),) and words[1:] == [(), (Word("today", 1000, 1300),)]
    with pytest.raises(IndexError):
        words[3]


def test_timeline_chunks_are_the_whole_read(tmp_path: Path) -> None:
    path = tmp_path / "t.pcm"
    path.write_bytes(bytes(range(256)) * 100)  # 12,800 frames
    timeline = audio.Timeline(path, 8000, 12_800, (), audio.Words(), ())
    for start, stop, size in [(0, None, 1000), (7, 12_345, 999), (100, 100, 10), (0, 5, 1 << 17)]:
        chunks = list(timeline.chunks(start, stop, size))
        assert b"".join(chunks) == timeline.read(start, stop)
        assert all(len(c) <= 2 * size for c in chunks)


def test_ffmpeg_fed_chunks_reads_them_all_and_reports_failures() -> None:
    rate = 8000
    tone = (b"\x00\x40\x00\xc0" * (rate // 2)) * 3  # 3 s
    whole = levels.blocks_of(tone, rate)
    assert list(whole) == list(levels.blocks_of(iter([tone[:5000], tone[5000:]]), rate))
    log = run_ffmpeg([*raw_input(rate), "-f", "null", "-"], "read", stdin=iter([tone[:5000], tone[5000:]]))
    assert "Output #0" in log

    def broken():  # the input fails half-way: the caller hears of it, not of a short file
        yield tone[:5000]
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        run_ffmpeg([*raw_input(rate), "-f", "null", "-"], "read", stdin=broken())
    with pytest.raises(EncodeError, match="ffmpeg failed to read"):
        run_ffmpeg([*raw_input(rate), "-af", "nosuchfilter", "-f", "null", "-"], "read", stdin=iter([tone]))
