"""The in-process loudness meter (libebur128) reads what ffmpeg's meter reads, on real
espeak-ng speech at the rates engines produce."""

from __future__ import annotations

import math
import subprocess

import pytest

from narrate.export import loudness as levels
from narrate.export import meter


def test_libebur128_is_installed() -> None:
    """make installs it (Debian's libebur128-1); without it ffmpeg measures, slower."""
    assert meter.available()

SPEECH = ("The harbour reopened on Monday after three weeks of repairs. Ferries ran on time, "
          "the operator said, and traders said business was already picking up again.")


def speech(rate: int) -> bytes:
    """espeak-ng's own reading of SPEECH, resampled by ffmpeg to ``rate``."""
    wav = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", SPEECH],
                         capture_output=True, check=True).stdout
    return subprocess.run(["ffmpeg", "-v", "error", "-i", "pipe:0", "-f", "s16le", "-ac", "1",
                           "-ar", str(rate), "pipe:1"], input=wav, capture_output=True, check=True).stdout


def ffmpeg_blocks(pcm: bytes, rate: int) -> list[float]:
    log = levels.run_ffmpeg(["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
                             "-af", levels.BLOCKS.format(peak=""), "-f", "null", "-"], "measure", stdin=pcm)
    return levels.parse_blocks(log)[0]


@pytest.mark.parametrize("rate", [16000, 22050, 44100])
def test_blocks_are_ffmpegs_blocks(rate: int) -> None:
    pcm = speech(rate)
    ours, theirs = meter.blocks_of(pcm, rate), ffmpeg_blocks(pcm, rate)
    assert len(ours) == len(theirs) == len(pcm) // 2 // (rate // 10)
    assert list(ours[: meter.UNFILLED]) == [meter.SILENT_BLOCK] * meter.UNFILLED
    audible = [(a, b) for a, b in zip(ours, theirs, strict=True) if b > levels.SILENT]
    assert len(audible) > 20
    assert max(abs(a - b) for a, b in audible) < 0.05  # ffmpeg resamples to 48 kHz first
    assert levels.integrated(ours) == pytest.approx(levels.integrated(theirs), abs=0.01)


def test_chunks_of_any_size_read_as_the_whole() -> None:
    pcm = speech(22050)
    chunked = meter.BlockMeter(22050)
    sizes = [1, 999, 4410, 77, 30_001]
    position, n = 0, 0
    while position < len(pcm):
        size = 2 * sizes[n % len(sizes)]
        chunked.write(pcm[position : position + size])
        position, n = position + size, n + 1
    assert chunked.blocks() == meter.blocks_of(pcm, 22050)


def test_silence_and_a_tone_read_as_they_should() -> None:
    rate = 22050
    silent = meter.blocks_of(b"\x00\x00" * rate * 2, rate)
    assert len(silent) == 20 and max(silent) < levels.SILENT
    assert levels.integrated(silent) < levels.SILENT
    # A full-scale 1 kHz sine reads -3.01 LUFS (BS.1770's reference: K-weighting is ~0 dB at 1 kHz).
    tone = b"".join(int(32767 * math.sin(2 * math.pi * 1000 * n / rate)).to_bytes(2, "little", signed=True)
                    for n in range(rate * 2))
    assert levels.integrated(meter.blocks_of(tone, rate)) == pytest.approx(-3.0, abs=0.1)


def test_a_closed_meter_refuses_more_audio() -> None:
    from narrate.errors import EncodeError

    closed = meter.BlockMeter(22050)
    closed.abandon()
    with pytest.raises(EncodeError, match="closed"):
        closed.write(b"\x00\x00" * 4410)


def test_without_libebur128_ffmpeg_measures(monkeypatch: pytest.MonkeyPatch) -> None:
    pcm = speech(22050)
    monkeypatch.setattr(meter, "available", lambda: False)
    assert isinstance(levels.stream_meter(22050), levels.StreamMeter)
    fallback = levels.blocks_of(pcm, 22050)
    monkeypatch.undo()
    ours = levels.blocks_of(pcm, 22050)
    assert levels.integrated(fallback) == pytest.approx(levels.integrated(ours), abs=0.01)


def test_libmpg123_decodes_what_ffmpeg_decodes() -> None:
    """The round trip's decoder: every sample within 1 LSB of ffmpeg's decoder."""
    from narrate.errors import EncodeError
    from narrate.export import mp3decode

    assert mp3decode.available()
    pcm = speech(44100)
    mp3 = subprocess.run(["ffmpeg", "-v", "error", "-f", "s16le", "-ar", "44100", "-ac", "1", "-i", "pipe:0",
                          "-c:a", "libmp3lame", "-b:a", "96k", "-write_xing", "0", "-f", "mp3", "pipe:1"],
                         input=pcm, capture_output=True, check=True).stdout
    theirs = subprocess.run(["ffmpeg", "-v", "error", "-f", "mp3", "-i", "pipe:0", "-f", "s16le", "pipe:1"],
                            input=mp3, capture_output=True, check=True).stdout
    ours = mp3decode.decode(mp3, 44100)
    assert len(ours) == len(theirs) > len(pcm)  # the encoder's delay and padding included
    a, b = memoryview(ours).cast("h"), memoryview(theirs).cast("h")
    assert max(abs(x - y) for x, y in zip(a, b, strict=True)) <= 1
    assert mp3decode.decode(b"", 44100) == b""
    with pytest.raises(EncodeError, match="libmpg123"):
        mp3decode.decode(mp3, 12345)  # no MP3 has that rate


def test_true_peak_sees_between_the_samples() -> None:
    """A quarter-rate sine sampled 45 degrees off its crests: its samples peak 3 dB
    under what plays."""
    rate, amplitude = 44100, 0.5
    tone = b"".join(int(amplitude * 32767 * math.sin(math.pi * n / 2 + math.pi / 4)).to_bytes(
        2, "little", signed=True) for n in range(rate))
    found = meter.BlockMeter(rate, true_peak=True)
    found.write(tone)
    assert found.true_peak_db() == pytest.approx(20 * math.log10(amplitude), abs=0.3)
    found.close()
