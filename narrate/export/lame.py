"""LAME, the MP3 encoder: the one place a bitrate becomes LAME's flags, and what its
streams look like (frames, delay).

CBR MP3 streams join frame by frame. LAME starts every stream 1105 samples late
(576 encoder + 529 decoder delay) and ends it on a whole 1152-sample frame; a joined
file can't carry the LAME tag that lets decoders skip the delay, so every piece plays
that much later than its PCM. Frame counts give each piece's exact decoded length.
"""

from __future__ import annotations

LAME_DELAY = 1105
MP3_FRAME = 1152
CODEC_ARGS = ("-c:a", "libmp3lame", "-compression_level", "7")


def encoder_args(rate: int, out_rate: int, bitrate: str) -> list[str]:
    """ffmpeg's arguments for LAME, for PCM made at ``rate`` encoded at ``out_rate`` and
    ``bitrate``: where a bitrate becomes LAME's flags."""
    return ["-ar", str(out_rate), "-ac", "1", *CODEC_ARGS, *lowpass(rate, out_rate, bitrate), "-b:a", bitrate]


def mp3_args(rate: int, out_rate: int, bitrate: str) -> list[str]:
    """``encoder_args`` for a bare stream (no Xing frame, no ID3 tag) on stdout: a piece."""
    return [*encoder_args(rate, out_rate, bitrate), "-write_xing", "0", "-id3v2_version", "0",
            "-f", "mp3", "pipe:1"]


def lowpass(rate: int, out_rate: int, bitrate: str) -> list[str]:
    """LAME low-passes mono CBR at 1.5 times the frequency its table gives the bitrate,
    which from 64 kbps up is above 16 kHz: at 96 kbps it encodes the whole band. A
    narration made at a lower rate than it is encoded at has nothing above half that
    rate (11 kHz for espeak-ng): low-passing there spends no bits on an empty band and
    spares LAME ~5 % of its work. Never higher than LAME's own choice."""
    if rate >= out_rate or kbps(bitrate) < 64:
        return []
    return ["-cutoff", str(rate // 2)]


def kbps(bitrate: str) -> int:
    """ffmpeg's bitrate ("96k" or "96000") in kbps; 0 when it is neither."""
    text = bitrate.strip().lower()
    if text.endswith("k") and text[:-1].isdigit():
        return int(text[:-1])
    return int(text) // 1000 if text.isdigit() else 0


_BITRATES = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_RATES = {0: 44100, 1: 48000, 2: 32000}


def mp3_frames(data: bytes) -> int:
    """MPEG-1 Layer III frames in ``data`` (as LAME writes them), by walking the headers."""
    count, pos = 0, 0
    while pos + 4 <= len(data):
        b1, b2 = data[pos + 1], data[pos + 2]
        if data[pos] != 0xFF or (b1 & 0xFE) != 0xFA:
            raise ValueError(f"no MPEG-1 Layer III frame at byte {pos}")
        bitrate, rate, padding = _BITRATES[b2 >> 4], _RATES[(b2 >> 2) & 3], (b2 >> 1) & 1
        pos += 144 * bitrate * 1000 // rate + padding
        count += 1
    return count

