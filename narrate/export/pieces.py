"""MP3 made piece by piece: cut at pauses, each piece levelled and encoded on its own,
on every core at once, cached by content, and joined frame by frame.

A narration is cut in the middle of pauses into pieces of about PIECE_SECONDS. Each
piece is measured (loudness as it is, and through a trial gain and the limiter) and
then encoded (gain, limiter, resampling, LAME) by its own ffmpeg process, and both
results are cached under a hash of the piece's PCM and settings. Editing one sentence
therefore re-measures and re-encodes only the piece that holds it; everything else
comes from the cache. Memory holds a piece at a time.

CBR MP3 streams join frame by frame. LAME starts every stream 1105 samples late
(576 encoder + 529 decoder delay) and ends it on a whole 1152-sample frame; a joined
file can't carry the LAME tag that lets decoders skip the delay, so every piece plays
that much later than its PCM. Frame counts give each piece's exact decoded length,
and the manifest maps every time through them: captions stay on the decoded audio.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from narrate.audio import Timeline
from narrate.cache import ClipCache
from narrate.export import loudness as levels
from narrate.export.encode import ffmpeg_output, raw_input

PIECE_SECONDS = 60
LAME_DELAY = 1105
MP3_FRAME = 1152
GAIN_STEP_DB = 0.1  # gains are rounded, so an edit elsewhere leaves other pieces cached
TRIAL_STEP_DB = 0.5
EXPECTED_LOSS_DB = 2.0
EXCERPT_SECONDS = 30


@dataclass(frozen=True)
class Piece:
    start: int  # timeline frames [start, stop)
    stop: int


@dataclass(frozen=True)
class Encoded:
    mp3: bytes
    decoded_frames: int  # samples a decoder yields, at the output rate


def cut(timeline: Timeline, seconds: float = PIECE_SECONDS) -> list[Piece]:
    """Pieces of about ``seconds``, cut at the first pause after each stretch. The cuts
    depend only on what comes before them, so an edit moves few of them."""
    target = int(seconds * timeline.sample_rate)
    cuts, last = [], 0
    for seam in timeline.seams:
        if seam - last >= target and timeline.frames - seam >= target // 3:
            cuts.append(seam)
            last = seam
    bounds = [0, *cuts, timeline.frames]
    return [Piece(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def _key(kind: str, pcm: bytes, *settings: object) -> str:
    digest = hashlib.sha256(pcm)
    digest.update(json.dumps([kind, *map(str, settings)]).encode())
    return digest.hexdigest()


def _plain_blocks(pcm: bytes, rate: int) -> list[float]:
    """Gating blocks of the piece as it is."""
    _, log = ffmpeg_output([*raw_input(rate), "-af", levels.BLOCKS.format(peak=""), "-f", "null", "-"],
                           "measure loudness", stdin=pcm)
    return levels.parse_blocks(log)[0]


def _round_trip(pcm: bytes, rate: int, trial_db: float, out_rate: int, bitrate: str) -> dict[str, float]:
    """How much loudness the limiter and the MP3 codec take from ``pcm`` at the trial
    gain (at 96 kbps LAME takes ~0.5 LU off espeak-ng's bright voice, and the limiter
    takes more the more gain it gets: both are measured, not assumed), and the true
    peak of what plays."""
    meter = levels.BLOCKS.format(peak="")
    graph = (f"[0:a]asplit[a][b];[a]{meter}[plain];"
             f"[b]{levels.chain(trial_db)},aresample={out_rate}:resampler=soxr[trial]")
    trial, log = ffmpeg_output(
        [*raw_input(rate), "-filter_complex", graph, "-map", "[plain]", "-f", "null", "-",
         "-map", "[trial]", *_mp3_args(out_rate, bitrate)],
        "measure loudness", stdin=pcm,
    )
    (plain,) = levels.parse_blocks(log)
    _, log = ffmpeg_output(["-f", "mp3", "-i", "pipe:0", "-af", levels.BLOCKS.format(peak=":peak=true"),
                            "-f", "null", "-"], "measure loudness", stdin=trial)
    (played,) = levels.parse_blocks(log)
    plain_i, played_i = levels.integrated(plain), levels.integrated(played)
    peak = levels.parse_summary(log).peak_db
    return {"loss_db": plain_i + trial_db - played_i, "true_peak_db": peak if peak is not None else -120.0}


def _mp3_args(out_rate: int, bitrate: str) -> list[str]:
    return ["-ar", str(out_rate), "-ac", "1", "-c:a", "libmp3lame", "-compression_level", "7",
            "-b:a", bitrate, "-write_xing", "0", "-id3v2_version", "0", "-f", "mp3", "pipe:1"]


def _encode(pcm: bytes, rate: int, gain_db: float, out_rate: int, bitrate: str) -> Encoded:
    mp3, _ = ffmpeg_output(
        [*raw_input(rate), "-af", f"{levels.chain(gain_db)},aresample={out_rate}:resampler=soxr",
         *_mp3_args(out_rate, bitrate)],
        "encode mp3", stdin=pcm,
    )
    return Encoded(mp3, mp3_frames(mp3) * MP3_FRAME)


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


@dataclass(frozen=True)
class Rendered:
    chunks: list[bytes]
    offsets: list[tuple[int, int, int]]  # (piece start frame, its output start sample, stop frame)
    gain_db: float
    input_lufs: float
    output: levels.Loudness
    decoded_frames: int  # the whole file's, at the output rate
    encoded: int = 0  # pieces encoded this time (the rest came from the cache)


def excerpt(timeline: Timeline, seconds: float = EXCERPT_SECONDS) -> Piece:
    """About ``seconds`` from the middle of the narration, from pause to pause."""
    rate, seams = timeline.sample_rate, list(timeline.seams)
    if timeline.frames <= seconds * rate or not seams:
        return Piece(0, timeline.frames)
    middle = timeline.frames // 2 - int(seconds * rate / 2)
    start = min(seams, key=lambda s: abs(s - middle))
    later = [s for s in seams if s >= start + seconds * rate]
    return Piece(start, later[0] if later else timeline.frames)


def render_mp3(
    timeline: Timeline, cache: ClipCache, *, target_lufs: float, out_rate: int, bitrate: str, jobs: int,
    progress: Callable[[int, int], None] | None = None,
) -> Rendered:
    """Measure, level and encode every piece (cached ones are reused); the MP3 bytes of
    each piece in order and where each starts in the decoded output."""
    pieces = cut(timeline)
    rate = timeline.sample_rate

    def cached(kind: str, piece: Piece, make: Callable[[bytes], dict], *settings: object) -> dict:
        pcm = timeline.read(piece.start, piece.stop)
        key = _key(kind, pcm, rate, *settings)
        entry = cache.get_entry("pieces", key)
        if entry is not None:
            return entry[0]
        header = make(pcm)
        cache.put_entry("pieces", key, header, b"")
        return header

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        plain = list(pool.map(
            lambda p: cached("plain", p, lambda pcm: {"blocks": _plain_blocks(pcm, rate)}), pieces
        ))
        input_i = levels.integrated([b for entry in plain for b in entry["blocks"]])
        gain, loss, peak = 0.0, 0.0, None
        if input_i > levels.SILENT:
            # What the limiter and codec take is measured on an excerpt at a trial gain near
            # the answer (they usually take ~2 dB), rounded so that an edit elsewhere keeps
            # the reading cached.
            trial = round((target_lufs - input_i + EXPECTED_LOSS_DB) / TRIAL_STEP_DB) * TRIAL_STEP_DB
            reading = cached("trip", excerpt(timeline),
                             lambda pcm: _round_trip(pcm, rate, trial, out_rate, bitrate),
                             trial, out_rate, bitrate)
            loss = reading["loss_db"]
            gain = min(levels.MAX_GAIN_DB, target_lufs - input_i + loss)
            gain = round(gain / GAIN_STEP_DB) * GAIN_STEP_DB
            peak = reading["true_peak_db"] + min(0.0, gain - trial)
        done, fresh = [0], [0]

        def encoded(piece: Piece) -> Encoded:
            pcm = timeline.read(piece.start, piece.stop)
            key = _key("mp3", pcm, rate, f"{gain:.2f}", out_rate, bitrate)
            entry = cache.get_entry("pieces", key)
            if entry is not None:
                result = Encoded(entry[1], entry[0]["decoded_frames"])
            else:
                fresh[0] += 1
                result = _encode(pcm, rate, gain, out_rate, bitrate)
                cache.put_entry("pieces", key, {"decoded_frames": result.decoded_frames}, result.mp3)
            done[0] += 1
            if progress:
                progress(done[0], len(pieces))
            return result

        results = list(pool.map(encoded, pieces))
    offsets, position = [], 0
    for piece, result in zip(pieces, results, strict=True):
        offsets.append((piece.start, position + LAME_DELAY, piece.stop))
        position += result.decoded_frames
    output = levels.Loudness(round(input_i + gain - loss, 2), peak, None)
    return Rendered([r.mp3 for r in results], offsets, gain, input_i, output, position, fresh[0])


def time_map(rendered: Rendered, in_rate: int, out_rate: int) -> Callable[[int], int]:
    """Timeline milliseconds → milliseconds in the decoded MP3."""

    def to_output(ms: int) -> int:
        frame = ms * in_rate // 1000
        for start, out_start, stop in rendered.offsets:
            if frame < stop or (start, out_start, stop) == rendered.offsets[-1]:
                return round(1000 * out_start / out_rate + (frame - start) * 1000 / in_rate)
        return ms

    return to_output

