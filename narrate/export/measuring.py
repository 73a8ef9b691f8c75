"""Measuring an MP3 narration's loudness: the pieces' gating blocks, and the excerpt's
round trip through the limiter and the codec.

Everything here needs no gain, so it runs while the timeline is still being assembled
(EarlyMeasure: libebur128 reads each part as it is written, and the excerpt makes its
round trip as soon as it is complete); readings are cached under the pieces' hashes, so
an edit re-measures only the piece it touched. The gain itself is decided from these
readings in loudness.py (``mp3_gain``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from narrate.audio import Timeline
from narrate.cache import ClipCache
from narrate.export import loudness as levels
from narrate.export import meter, mp3decode
from narrate.export.cutting import Piece, PieceHashes, excerpt_within, piece_key
from narrate.export.encode import FfmpegChain, raw_input
from narrate.export.lame import mp3_args
from narrate.models import CodecShare

JOBS_GUESS = 2  # meter runs when most pieces are new


def round_trip_runs(rate: int, trial_db: float, out_rate: int, bitrate: str) -> FfmpegChain:
    """The round trip's ffmpeg, started: PCM in at the trial gain, through the limiter
    and LAME, the trial MP3 out; this process meters the PCM and decodes and meters the
    MP3 (libebur128, libmpg123). Where either library is missing, ffmpeg meters the PCM
    too, and a second ffmpeg decodes and meters the MP3 (true peak too)."""
    trial = levels.chain(trial_db, out_rate)
    if meter.available() and mp3decode.available():
        return FfmpegChain([[*raw_input(rate), "-af", trial, *mp3_args(rate, out_rate, bitrate)]],
                           "measure loudness")
    graph = f"[0:a]asplit[a][b];[a]{levels.BLOCKS.format(peak='')}[plain];[b]{trial}[trial]"
    return FfmpegChain([
        [*raw_input(rate), "-filter_complex", graph, "-map", "[plain]", "-f", "null", "-",
         "-map", "[trial]", *mp3_args(rate, out_rate, bitrate)],
        ["-f", "mp3", "-i", "pipe:0", "-af", levels.BLOCKS.format(peak=":peak=true"), "-f", "null", "-"],
    ], "measure loudness")


def round_trip(pcm: bytes, rate: int, trial_db: float, out_rate: int, bitrate: str,
               runs: FfmpegChain | None = None) -> CodecShare:
    """How much loudness the limiter and the MP3 codec take from ``pcm`` at the trial
    gain (at 96 kbps LAME takes ~0.5 LU off espeak-ng's bright voice, and the limiter
    takes more the more gain it gets: both are measured, not assumed), and the true
    peak of what plays. ``runs``: the ffmpeg runs for it, started earlier."""
    runs = runs or round_trip_runs(rate, trial_db, out_rate, bitrate)
    mp3, logs = runs.run(pcm)
    plain: Sequence[float]
    played: Sequence[float]
    if runs.stages == 1:
        plain = meter.blocks_of(pcm, rate)
        heard = meter.BlockMeter(out_rate, true_peak=True)
        try:
            heard.write(mp3decode.decode(mp3, out_rate))
            peak: float | None = heard.true_peak_db()
            played = heard.blocks()
        finally:
            heard.close()
    else:
        (plain,), (played,) = levels.parse_blocks(logs[0]), levels.parse_blocks(logs[1])
        peak = levels.parse_summary(logs[1]).peak_db
    plain_i, played_i = levels.integrated(plain), levels.integrated(played)
    return CodecShare(plain_i + trial_db - played_i, peak if peak is not None else -120.0, trial_db)


def trip_through_cache(cache: ClipCache, pcm: bytes, rate: int, trial_db: float, out_rate: int, bitrate: str,
                       runs: FfmpegChain | None = None) -> CodecShare:
    """The round trip of ``pcm`` from the cache, or measured and cached (``runs``: its
    ffmpeg runs, started earlier; stopped unused on a cache hit)."""
    lame = mp3_args(rate, out_rate, bitrate)
    key = piece_key("trip", hashlib.sha256(pcm).hexdigest(), rate, levels.chain(trial_db, out_rate), *lame)
    entry = cache.get_entry("pieces", key)
    if entry is not None:
        if runs is not None:
            runs.kill()
        return CodecShare(float(entry[0]["loss_db"]), float(entry[0]["true_peak_db"]), trial_db)
    reading = round_trip(pcm, rate, trial_db, out_rate, bitrate, runs)
    cache.put_entry("pieces", key, {"loss_db": reading.loss_db, "true_peak_db": reading.true_peak_db}, b"")
    return reading


def _dealt(blocks: Sequence[float], piece: Piece, origin: int, rate: int) -> Sequence[float]:
    """The blocks of a meter run that started at frame ``origin`` that belong to
    ``piece``: a block every 100 ms, each to the piece its 400 ms window ends in."""
    step = rate // 10
    return blocks[(piece.start - origin + step - 1) // step : (piece.stop - origin + step - 1) // step]


def plain_blocks(timeline: Timeline, pieces: list[Piece], digests: list[str], cache: ClipCache,
           pool: ThreadPoolExecutor, foreseen: Foreseen | None = None
           ) -> tuple[list[Sequence[float]], Callable[[], None]]:
    """Each piece's gating blocks as it is, from the cache where it can, and a function
    that caches the ones measured now (called while the encoders run). When most are
    missing, the stretch from the first to the last is metered at once (in two halves,
    one per core) and its blocks dealt out to the pieces (a block belongs to the piece
    its 400 ms window ends in; cuts lie in silence)."""
    rate = timeline.sample_rate
    keys = [piece_key("plain", digest, rate) for digest in digests]
    found: list[Sequence[float] | None] = []
    for key in keys:
        entry = cache.get_entry("pieces", key)
        found.append(list(entry[0]["blocks"]) if entry is not None else None)
    missing = [n for n, blocks in enumerate(found) if blocks is None]
    if foreseen is not None:
        for n in missing:
            found[n] = _dealt(foreseen.blocks, pieces[n], 0, rate)
    elif len(missing) > 2:
        # Contiguous runs of pieces, one meter per core, each reading its run (libebur128
        # lets go of the GIL while it measures).
        runs = [missing[k * len(missing) // JOBS_GUESS : (k + 1) * len(missing) // JOBS_GUESS]
                for k in range(JOBS_GUESS)]

        def meter_run(run: list[int]) -> None:
            first, last = pieces[run[0]], pieces[run[-1]]
            blocks = levels.blocks_of(timeline.chunks(first.start, last.stop), rate)  # streamed
            for n in run:
                found[n] = _dealt(blocks, pieces[n], first.start, rate)

        list(pool.map(meter_run, [run for run in runs if run]))
    else:
        for n, blocks in zip(missing, pool.map(
                lambda n: levels.blocks_of(timeline.read(pieces[n].start, pieces[n].stop), rate), missing),
                strict=True):
            found[n] = blocks

    def remember() -> None:
        for n in missing:
            cache.put_entry("pieces", keys[n], {"blocks": list(found[n] or [])}, b"")

    return [blocks or [] for blocks in found], remember


@dataclass(frozen=True)
class Foreseen:
    """What EarlyMeasure found: the whole narration's gating blocks, the excerpt's
    round trip at the trial gain, and the pieces with their digests."""

    blocks: Sequence[float]
    excerpt: Piece
    trip: CodecShare | None  # None when it was not needed
    pieces: tuple[list[Piece], list[str]]  # as cut() cuts the finished timeline, and their digests


class EarlyMeasure:
    """The measuring that needs no gain, done while the timeline is being assembled (and
    the engines are still speaking), so that encoding can start the moment the last
    clip is in: a meter reads the narration through a pipe as it is written, and the
    excerpt's round trip runs as soon as the excerpt is complete.

    Assembly calls it after each part with the part's PCM (pause included) and the
    frame of the seam in its pause. A context manager: leaving it unfinished stops the
    meter and the round trip.
    """

    def __init__(self, rate: int, cache: ClipCache, *, target_lufs: float, out_rate: int, bitrate: str,
                 round_trip: bool = True) -> None:
        """``round_trip=False``: the limiter's and codec's share is known already (a
        batch measures it once for all its articles): only the meter runs."""
        self.rate = rate
        self._round_trip = round_trip
        self._cache = cache
        self._settings = (out_rate, bitrate)
        self._trial = levels.trial_gain(target_lufs)
        self._meter = levels.stream_meter(rate)
        self._hashes = PieceHashes(rate)
        self._frames = 0
        self._seams: list[int] = []
        self._held = bytearray()  # the stream from the first seam on, until the excerpt is whole
        self._first = b""  # the first part, while it is the only one
        self._excerpt: Piece | None = None
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._trip: Future[CodecShare] | None = None
        self._done = False
        # The round trip's ffmpeg starts now, so it is ready when the excerpt is.
        self._runs = round_trip_runs(rate, self._trial, out_rate, bitrate) if round_trip else None

    def __call__(self, pcm: bytes, seam: int) -> None:
        self._meter.write(pcm)
        self._hashes.add(pcm, seam)
        start = self._frames
        self._frames += len(pcm) // 2
        if not self._seams:
            self._first = pcm
            self._held += pcm[2 * (seam - start):]
        elif self._excerpt is None:
            self._first = b""
            self._held += pcm
        self._seams.append(seam)
        # The newest seam may be the last part's, which is no seam of the timeline.
        if self._excerpt is None and (found := excerpt_within(self._seams[:-1], None, self.rate)):
            self._start_trip(found)

    def _start_trip(self, found: Piece) -> None:
        self._excerpt = found
        pcm = bytes(self._held[: 2 * (found.stop - found.start)])
        self._held = bytearray()
        if not self._round_trip:
            return
        out_rate, bitrate = self._settings
        runs, self._runs = self._runs, None
        self._trip = self._pool.submit(trip_through_cache, self._cache, pcm, self.rate, self._trial,
                                       out_rate, bitrate, runs)

    def finish(self) -> Foreseen:
        """The readings, once the meter and the round trip are done."""
        if self._excerpt is None:
            if len(self._seams) <= 1:  # one part: the excerpt is all of it
                self._held = bytearray(self._first)
            found = excerpt_within(self._seams[:-1], self._frames, self.rate)
            assert found is not None
            self._start_trip(found)
        assert self._excerpt is not None
        blocks = self._meter.blocks()
        self._done = True
        return Foreseen(blocks, self._excerpt, self._trip.result() if self._trip is not None else None,
                        self._hashes.result())

    def __enter__(self) -> EarlyMeasure:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop whatever is still running (nothing, once finish() has returned)."""
        if not self._done:
            self._done = True
            self._meter.abandon()
        if self._runs is not None:
            self._runs.kill()
            self._runs = None
        self._pool.shutdown(wait=True, cancel_futures=True)
