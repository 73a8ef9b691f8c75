"""Loudness to target, per ITU-R BS.1770, with ffmpeg's ebur128 meter and a limiter.

espeak-ng speech sits near −20 LUFS with sample peaks at −0.03 dBFS, so plain gain to
−16 LUFS would clip: the gain is followed by a limiter whose ceiling leaves room for
inter-sample peaks (true peak ≤ −1 dBTP after MP3 encoding). The limiter takes a
little loudness away, so the first pass measures the audio *after* gain and limiter
and the final gain is corrected by what is still missing. pyloudnorm would cost 1.6 s
of scipy import; ffmpeg's loudnorm filter 7.6 s a pass; this costs ~0.4 s.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

from narrate.errors import EncodeError
from narrate.export.encode import ffmpeg

LIMIT_DBFS = -2.0  # sample ceiling; MP3 overshoot stays under −1 dBTP
MAX_GAIN_DB = 30.0


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float | None = None
    range_lu: float | None = None


def chain(gain_db: float, sample_rate: int) -> str:
    """The ffmpeg filter chain that applies ``gain_db`` then limits peaks."""
    limit = 10 ** (LIMIT_DBFS / 20)
    return (
        f"aresample={sample_rate},volume={gain_db:.2f}dB,"
        f"alimiter=limit={limit:.4f}:attack=5:release=50:level=disabled"
    )


def parse_summary(stderr: str) -> Loudness:
    """Read the summary ebur128 prints at the end of a run."""
    summary = stderr[stderr.rfind("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    if not integrated:
        raise EncodeError("ffmpeg's loudness meter gave no reading", stderr=stderr)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    lra = re.search(r"LRA:\s+(-?[\d.]+) LU", summary)

    def number(match: re.Match[str] | None) -> float | None:
        return None if match is None else float(match.group(1).replace("-inf", "-120"))

    return Loudness(number(integrated) or -120.0, number(peak), number(lra))


def measure(pcm: bytes, in_rate: int, filters: str | None = None, true_peak: bool = False) -> Loudness:
    """Integrated loudness of mono s16le ``pcm`` (after ``filters``, if given)."""
    meter = "ebur128=peak=true" if true_peak else "ebur128"
    graph = f"{filters},{meter}" if filters else meter
    cmd = [
        ffmpeg(), "-hide_banner", "-nostdin", "-nostats",
        "-f", "s16le", "-ar", str(in_rate), "-ac", "1", "-i", "pipe:0",
        "-af", graph, "-f", "null", "-",
    ]
    result = subprocess.run(cmd, input=pcm, capture_output=True, check=False)
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        raise EncodeError("ffmpeg could not measure loudness", command=cmd, stderr=stderr)
    return parse_summary(stderr)


def gain_for(pcm: bytes, in_rate: int, target_lufs: float) -> tuple[float, Loudness]:
    """(gain in dB that brings ``pcm`` to ``target_lufs`` through the limiter, input reading)."""
    before = measure(pcm, in_rate)
    if before.integrated_lufs <= -70:  # silence: nothing to level
        return 0.0, before
    gain = min(MAX_GAIN_DB, target_lufs - before.integrated_lufs)
    limited = measure(pcm, in_rate, chain(gain, in_rate))
    gain = min(MAX_GAIN_DB, gain + (target_lufs - limited.integrated_lufs))
    return gain, before
