"""Loudness to target, per ITU-R BS.1770: meters (libebur128 in this process, see
meter.py, or ffmpeg's ebur128 filter where it is missing) and ffmpeg's limiter.

espeak-ng speech sits near −20 LUFS with sample peaks at −0.03 dBFS, so plain gain to
−16 LUFS would clip: the gain is followed by a limiter whose ceiling leaves room for
inter-sample peaks (true peak ≤ −1 dBTP after MP3 encoding). The limiter takes a little
loudness away; for the formats other than MP3 (see pieces.py for MP3) two meters run
at once — one on the narration as it is, one after a trial gain and the limiter — and
the final gain adds back what the limiter took. The levelling pass itself meters its
output, so the manifest reports what was measured on the finished signal. (pyloudnorm
would cost 1.6 s of scipy import, ffmpeg's loudnorm filter 7.6 s a pass.)
"""

from __future__ import annotations

import math
import queue
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from narrate.errors import EncodeError
from narrate.export import meter
from narrate.export.encode import failure, ffmpeg, ffmpeg_output, raw_input, run_ffmpeg
from narrate.models import CodecShare, Levels

LIMIT_DBFS = -2.0  # sample ceiling; MP3 overshoot stays under −1 dBTP
MAX_GAIN_DB = 30.0
TYPICAL_INPUT_LUFS = -21.0  # espeak-ng; only the first guess for the trial gain
SILENT = -70.0
METER = "ebur128=framelog=verbose"
GAIN_STEP_DB = 0.1  # gains are rounded, so an edit elsewhere leaves other pieces cached
TRIAL_STEP_DB = 0.5
RETRIAL_DB = 1.0  # a trial this far from the gain is measured again
STICKY_DB = 0.25  # an edit moving the input loudness less than this keeps the last gain
EXPECTED_LOSS_DB = 2.0


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    peak_db: float | None = None  # sample peak in dBFS (true peak where a meter says so)
    range_lu: float | None = None


def chain(gain_db: float, rate: int) -> str:
    """The ffmpeg filters that bring PCM to ``rate`` (the rate it will play at), apply
    ``gain_db``, then limit peaks. Resampling comes first: a voice made at 22.05 kHz
    with energy high in its band (a neural voice's fricatives) has peaks between its
    samples that a limiter at its own rate never sees, and that play up to 3 dB over
    the ceiling once resampled."""
    limit = 10 ** (LIMIT_DBFS / 20)
    return (f"aresample={rate}:resampler=soxr,volume={gain_db:.2f}dB,"
            f"alimiter=limit={limit:.4f}:attack=5:release=50:level=disabled")


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


# Momentary loudness every 100 ms over 400 ms: exactly BS.1770's gating blocks (75 %
# overlap), so the integrated loudness of pieces measured apart is computed exactly
# from their blocks together.
BLOCKS = "ebur128=metadata=1:framelog=verbose{peak},ametadata=mode=print:key=lavfi.r128.M"
_BLOCK = re.compile(r"\[Parsed_ametadata_(\d+) @ [^\]]*\] lavfi\.r128\.M=(-?[\d.]+|-inf)")


def parse_blocks(stderr: str) -> list[list[float]]:
    """The block loudness printed by each BLOCKS meter, in filter-graph order."""
    found: dict[int, list[float]] = {}
    for match in _BLOCK.finditer(stderr):
        value = match.group(2)
        found.setdefault(int(match.group(1)), []).append(-200.0 if value == "-inf" else float(value))
    return [found[index] for index in sorted(found)]


class Meter(Protocol):
    """Gating blocks of PCM that arrives a chunk at a time."""

    def write(self, pcm: bytes) -> None: ...

    def blocks(self) -> list[float]:
        """Every gating block of what was written (ends the feed)."""

    def abandon(self) -> None:
        """Stop without a reading (the run failed)."""


def stream_meter(rate: int) -> Meter:
    """A meter for PCM at ``rate`` that arrives a chunk at a time: libebur128 in this
    process where it is installed, ffmpeg's meter otherwise."""
    return meter.BlockMeter(rate) if meter.available() else StreamMeter(rate)


def blocks_of(pcm: bytes, rate: int) -> list[float]:
    """The gating blocks of ``pcm`` measured on its own."""
    if meter.available():
        return meter.blocks_of(pcm, rate)
    _, log = ffmpeg_output([*raw_input(rate), "-af", BLOCKS.format(peak=""), "-f", "null", "-"],
                           "measure loudness", stdin=pcm)
    return parse_blocks(log)[0]


class StreamMeter:
    """ffmpeg's meter for PCM that arrives a chunk at a time: it reads it through a pipe
    while it is still being made (fed from a thread of its own, so the producer never
    waits on the meter), and ``blocks()`` returns once the feed ends."""

    def __init__(self, rate: int) -> None:
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by blocks() or abandon()
        cmd = [ffmpeg(), "-hide_banner", "-nostdin", "-nostats", *raw_input(rate),
               "-af", BLOCKS.format(peak=""), "-f", "null", "-"]
        try:
            self._cmd = cmd
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                          stderr=self._log)
        except OSError as exc:
            self._log.close()
            raise EncodeError(f"could not run ffmpeg: {exc}", command=cmd) from None
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        self._broken = False
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._feeder.start()

    def _feed(self) -> None:
        stdin = self._proc.stdin
        assert stdin is not None
        while (chunk := self._chunks.get()) is not None:
            if not self._broken:
                try:
                    stdin.write(chunk)
                except OSError:  # the meter died: blocks() says so
                    self._broken = True
        try:
            stdin.close()
        except OSError:
            self._broken = True

    def write(self, pcm: bytes) -> None:
        self._chunks.put(pcm)

    def blocks(self) -> list[float]:
        """Every gating block of what was written (ends the feed)."""
        self._chunks.put(None)
        self._feeder.join()
        status = self._proc.wait()
        self._log.seek(0)
        log = self._log.read().decode("utf-8", "replace")
        self._log.close()
        found = parse_blocks(log)
        if status != 0 or self._broken or not found:
            raise failure("measure loudness", status, log, self._cmd)
        return found[0]

    def abandon(self) -> None:
        """Stop the meter without a reading (the run failed)."""
        self._proc.kill()
        self._chunks.put(None)
        self._feeder.join()
        self._proc.wait()
        self._log.close()


def integrated(blocks: list[float]) -> float:
    """BS.1770 integrated loudness from gating-block loudness: absolute gate at −70
    LUFS, relative gate 10 LU under the mean of the rest."""
    audible = [b for b in blocks if b > SILENT]
    if not audible:
        return SILENT - 50
    relative = _mean_loudness(audible) - 10
    return _mean_loudness([b for b in audible if b > relative])


def _mean_loudness(blocks: list[float]) -> float:
    return 10 * math.log10(sum(10 ** (b / 10) for b in blocks) / len(blocks))


def measure_file(pcm_path: Path, rate: int, filters: str | None = None) -> Loudness:
    """Integrated loudness of a mono s16le PCM file (after ``filters``, if given)."""
    graph = f"{filters},{METER}" if filters else METER
    log = run_ffmpeg([*raw_input(rate, str(pcm_path)), "-af", graph, "-f", "null", "-"], "measure loudness")
    return parse_summary(log)


def measure_file_blocks(pcm_path: Path, rate: int, chunk_s: int = 60) -> Loudness:
    """Integrated loudness of a mono s16le PCM file, measured in this process a minute at
    a time (libebur128; see meter.py)."""
    found = meter.BlockMeter(rate)
    try:
        with pcm_path.open("rb") as handle:
            while chunk := handle.read(2 * rate * chunk_s):
                found.write(chunk)
    finally:
        found.close()
    return Loudness(integrated(found.blocks()))


def measure(pcm: bytes, rate: int, filters: str | None = None) -> Loudness:
    """Integrated loudness of mono s16le ``pcm`` bytes (after ``filters``, if given)."""
    graph = f"{filters},{METER}" if filters else METER
    log = run_ffmpeg([*raw_input(rate), "-af", graph, "-f", "null", "-"], "measure loudness", stdin=pcm)
    return parse_summary(log)


def apply(pcm: bytes, rate: int, gain_db: float) -> bytes:
    """``pcm`` with ``gain_db`` applied through the limiter (for short clips)."""
    out, _ = ffmpeg_output(
        [*raw_input(rate), "-af", chain(gain_db, rate), "-f", "s16le", "-ar", str(rate), "-ac", "1",
         "pipe:1"],
        "level a clip", stdin=pcm,
    )
    return out


def gain_for(pcm_path: Path, rate: int, target_lufs: float, out_rate: int) -> tuple[float, Loudness]:
    """(gain in dB that brings the PCM file to ``target_lufs`` through the limiter at
    ``out_rate``, the input's own reading)."""
    trial = target_lufs - TYPICAL_INPUT_LUFS
    with ThreadPoolExecutor(max_workers=2) as pool:
        plain = pool.submit(measure_file_blocks if meter.available() else measure_file, pcm_path, rate)
        limited = pool.submit(measure_file, pcm_path, rate, chain(trial, out_rate))
        before, after = plain.result(), limited.result()
    if before.integrated_lufs <= SILENT:  # silence: nothing to level
        return 0.0, before
    gain = target_lufs - before.integrated_lufs
    if abs(gain - trial) > 2.0:  # far from the guess: measure the limiter at this gain
        trial, after = gain, measure_file(pcm_path, rate, chain(gain, out_rate))
    loss = before.integrated_lufs + trial - after.integrated_lufs
    return min(MAX_GAIN_DB, gain + loss), before


def level(pcm_path: Path, rate: int, gain_db: float, out_path: Path, out_rate: int) -> Loudness:
    """Apply gain and limiter, resample to ``out_rate`` into ``out_path``, and meter the
    levelled signal on the way. The meter reads sample peaks: ffmpeg's true-peak meter
    costs 0.8 s for five minutes of speech, more than the rest of this pass; the
    limiter's −2 dBFS ceiling keeps true peaks under −1 dBTP (the tests measure them)."""
    graph = (
        f"[0:a]{chain(gain_db, out_rate)},asplit[out][meter];"
        f"[meter]ebur128=peak=sample:framelog=verbose[measured]"
    )
    log = run_ffmpeg(
        [*raw_input(rate, str(pcm_path)), "-filter_complex", graph,
         "-map", "[out]", "-f", "s16le", "-ar", str(out_rate), "-ac", "1", str(out_path),
         "-map", "[measured]", "-f", "null", "-"],
        "level the audio",
    )
    return parse_summary(log)


# -- the MP3 gain decision ------------------------------------------------------------------
def trial_gain(target_lufs: float) -> float:
    """The gain the excerpt's round trip is first measured at: right for a typical voice."""
    return target_lufs - TYPICAL_INPUT_LUFS + EXPECTED_LOSS_DB


def keeps_gain(previous: Levels | None, input_lufs: float) -> bool:
    """An edit that barely moves the loudness keeps the last gain, so every piece the
    edit did not touch is still in the cache."""
    return previous is not None and abs(input_lufs - previous.input_lufs) < STICKY_DB


@dataclass(frozen=True)
class Gain:
    """The gain an MP3 narration is encoded at, and what the limiter and codec take."""

    gain_db: float
    loss_db: float
    true_peak_db: float | None
    share: CodecShare | None = None  # the round trip it was decided from (None: kept or silent)


def mp3_gain(target_lufs: float, input_lufs: float, previous: Levels | None,
             first: Callable[[], CodecShare], measure: Callable[[float], CodecShare]) -> Gain:
    """The gain that brings a narration measured at ``input_lufs`` to ``target_lufs``
    after the limiter and the codec: the last gain when an edit keeps it; otherwise from
    what the codec takes at a trial gain near the answer (``first()``: the reading at
    the first trial; ``measure(trial)``: a round trip at another, when that one is far
    off)."""
    if previous is not None and keeps_gain(previous, input_lufs):
        loss = previous.input_lufs + previous.gain_db - previous.integrated_lufs
        return Gain(previous.gain_db, loss, previous.true_peak_dbtp)
    if input_lufs <= SILENT:
        return Gain(0.0, 0.0, None)
    reading = first()
    if abs(target_lufs - input_lufs + reading.loss_db - reading.trial_db) > RETRIAL_DB:
        trial = round((target_lufs - input_lufs + reading.loss_db) / TRIAL_STEP_DB) * TRIAL_STEP_DB
        reading = measure(trial)
    gain = min(MAX_GAIN_DB, target_lufs - input_lufs + reading.loss_db)
    gain = round(gain / GAIN_STEP_DB) * GAIN_STEP_DB
    peak = round(reading.true_peak_db + min(0.0, gain - reading.trial_db), 2)
    return Gain(gain, reading.loss_db, peak, reading)


def measure_media(path: Path) -> Loudness:
    """Integrated loudness and true peak (dBTP) of any audio file ffmpeg decodes."""
    log = run_ffmpeg(["-i", str(path), "-vn", "-af", "ebur128=peak=true", "-f", "null", "-"],
                     "measure loudness")
    return parse_summary(log)
