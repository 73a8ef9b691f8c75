"""MP3 made piece by piece: cut at pauses, each piece levelled and encoded as its own
LAME stream, on every core at once, cached by content, and joined frame by frame.

A narration is cut in the middle of pauses into pieces of about PIECE_SECONDS. Its
loudness is measured, and its pieces hashed, as it is assembled (EarlyMeasure:
libebur128 reads each part as it is written, and an excerpt makes a round trip through
the limiter and the codec); then runs of consecutive pieces are encoded (gain, limiter,
resampling, LAME), one ffmpeg per core, each run one input split into its pieces by
``asegment``. Readings and pieces are
cached under a hash of the piece's PCM and settings. Editing one sentence therefore
re-measures and re-encodes only the piece that holds it; everything else comes from the
cache. Memory holds a piece at a time.

CBR MP3 streams join frame by frame. LAME starts every stream 1105 samples late
(576 encoder + 529 decoder delay) and ends it on a whole 1152-sample frame; a joined
file can't carry the LAME tag that lets decoders skip the delay, so every piece plays
that much later than its PCM. Frame counts give each piece's exact decoded length,
and the manifest maps every time through them: captions stay on the decoded audio.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narrate.audio import Timeline
from narrate.cache import ClipCache
from narrate.export import loudness as levels
from narrate.export import meter, mp3decode
from narrate.export.encode import FfmpegChain, ffmpeg_output, raw_input

PIECE_SECONDS = 12
LAME_DELAY = 1105
MP3_FRAME = 1152
GAIN_STEP_DB = 0.1  # gains are rounded, so an edit elsewhere leaves other pieces cached
TRIAL_STEP_DB = 0.5
RETRIAL_DB = 1.0  # a trial this far from the gain is measured again
STICKY_DB = 0.25  # an edit moving the input loudness less than this keeps the last gain
EXPECTED_LOSS_DB = 2.0
EXCERPT_SECONDS = 10
BATCH_SECONDS = 240  # of audio per encoder process
JOBS_GUESS = 2  # meter runs when most pieces are new


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


class PieceHashes:
    """The pieces' digests, hashed as the narration is written, so that none is left to
    hash when the last clip is in. ``add(pcm, seam)`` takes each part (its pause
    included) and the seam in its pause; ``result()`` gives the pieces cut() gives the
    finished timeline, and their digests. A seam that cut() may still refuse (the last
    part's, or one too near the end) is held with a second hash running through it: at
    most one at a time, since a later seam can only be cut once that one is."""

    def __init__(self, rate: int, seconds: float = PIECE_SECONDS) -> None:
        self._target = int(seconds * rate)
        self._frames = 0
        self._parts = 0
        self._cuts: list[int] = []
        self._digests: list[str] = []  # of the piece before each cut
        self._open = hashlib.sha256()  # since the last cut (or the held seam)
        self._held: tuple[int, Any, Any, int] | None = None  # seam, hash before it, through it, its part

    def add(self, pcm: bytes, seam: int) -> None:
        split = 2 * (seam - self._frames)
        self._feed(pcm[:split])
        self._settle(frames=seam)
        if self._held is None and seam - (self._cuts[-1] if self._cuts else 0) >= self._target:
            self._held = (seam, self._open, self._open.copy(), self._parts)
            self._open = hashlib.sha256()
        self._feed(pcm[split:])
        self._frames += len(pcm) // 2
        self._parts += 1

    def result(self) -> tuple[list[Piece], list[str]]:
        """(pieces, their digests) of everything added."""
        self._settle(frames=self._frames, final=True)
        if not self._frames:
            return [], []
        bounds = [0, *self._cuts, self._frames]
        pieces = [Piece(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
        return pieces, [*self._digests, self._open.hexdigest()]

    def _feed(self, data: bytes) -> None:
        self._open.update(data)
        if self._held is not None:
            self._held[2].update(data)

    def _settle(self, frames: int, final: bool = False) -> None:
        """Cut at the held seam once a later part runs far enough past it; at the end,
        let it go if none did (cut() never cuts at the last part's seam)."""
        if self._held is None:
            return
        seam, before, through, part = self._held
        if part < self._parts - (1 if final else 0) and frames - seam >= self._target // 3:
            self._cuts.append(seam)
            self._digests.append(before.hexdigest())
            self._held = None
        elif final:
            self._open = through
            self._held = None


def _digest(timeline: Timeline, piece: Piece) -> str:
    """The hash of a piece's PCM: computed once a rendering, part of every key for it."""
    return hashlib.sha256(timeline.read(piece.start, piece.stop)).hexdigest()


def _key(kind: str, digest: str, *settings: object) -> str:
    material = json.dumps([kind, digest, *map(str, settings)]).encode()
    return hashlib.sha256(material).hexdigest()


def _round_trip_runs(rate: int, trial_db: float, out_rate: int, bitrate: str) -> FfmpegChain:
    """The round trip's ffmpeg, started: PCM in at the trial gain, through the limiter
    and LAME, the trial MP3 out; this process meters the PCM and decodes and meters the
    MP3 (libebur128, libmpg123). Where either library is missing, ffmpeg meters the PCM
    too, and a second ffmpeg decodes and meters the MP3 (true peak too)."""
    trial = f"{levels.chain(trial_db)},aresample={out_rate}:resampler=soxr"
    if meter.available() and mp3decode.available():
        return FfmpegChain([[*raw_input(rate), "-af", trial, *_mp3_args(rate, out_rate, bitrate)]],
                           "measure loudness")
    graph = f"[0:a]asplit[a][b];[a]{levels.BLOCKS.format(peak='')}[plain];[b]{trial}[trial]"
    return FfmpegChain([
        [*raw_input(rate), "-filter_complex", graph, "-map", "[plain]", "-f", "null", "-",
         "-map", "[trial]", *_mp3_args(rate, out_rate, bitrate)],
        ["-f", "mp3", "-i", "pipe:0", "-af", levels.BLOCKS.format(peak=":peak=true"), "-f", "null", "-"],
    ], "measure loudness")


def _round_trip(pcm: bytes, rate: int, trial_db: float, out_rate: int, bitrate: str,
                runs: FfmpegChain | None = None) -> dict[str, float]:
    """How much loudness the limiter and the MP3 codec take from ``pcm`` at the trial
    gain (at 96 kbps LAME takes ~0.5 LU off espeak-ng's bright voice, and the limiter
    takes more the more gain it gets: both are measured, not assumed), and the true
    peak of what plays. ``runs``: the ffmpeg runs for it, started earlier."""
    runs = runs or _round_trip_runs(rate, trial_db, out_rate, bitrate)
    mp3, logs = runs.run(pcm)
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
    return {"loss_db": plain_i + trial_db - played_i, "true_peak_db": peak if peak is not None else -120.0}


def _trip_through_cache(cache: ClipCache, pcm: bytes, rate: int, trial_db: float, out_rate: int, bitrate: str,
                        runs: FfmpegChain | None = None) -> dict[str, float]:
    """The round trip of ``pcm`` from the cache, or measured and cached (``runs``: its
    ffmpeg runs, started earlier; stopped unused on a cache hit)."""
    key = _key("trip", hashlib.sha256(pcm).hexdigest(), rate, trial_db, *_mp3_args(rate, out_rate, bitrate))
    entry = cache.get_entry("pieces", key)
    if entry is not None:
        if runs is not None:
            runs.kill()
        return dict(entry[0])
    reading = _round_trip(pcm, rate, trial_db, out_rate, bitrate, runs)
    cache.put_entry("pieces", key, reading, b"")
    return reading


def _mp3_args(rate: int, out_rate: int, bitrate: str) -> list[str]:
    """LAME's settings for PCM made at ``rate``, encoded at ``out_rate``."""
    return ["-ar", str(out_rate), "-ac", "1", "-c:a", "libmp3lame", "-compression_level", "7",
            *_lowpass(rate, out_rate, bitrate), "-b:a", bitrate, "-write_xing", "0", "-id3v2_version", "0",
            "-f", "mp3", "pipe:1"]


def _lowpass(rate: int, out_rate: int, bitrate: str) -> list[str]:
    """LAME low-passes mono CBR at 1.5 times the frequency its table gives the bitrate,
    which from 64 kbps up is above 16 kHz: at 96 kbps it encodes the whole band. A
    narration made at a lower rate than it is encoded at has nothing above half that
    rate (11 kHz for espeak-ng): low-passing there spends no bits on an empty band and
    spares LAME ~5 % of its work. Never higher than LAME's own choice."""
    if rate >= out_rate or _kbps(bitrate) < 64:
        return []
    return ["-cutoff", str(rate // 2)]


def _kbps(bitrate: str) -> int:
    """ffmpeg's bitrate ("96k" or "96000") in kbps; 0 when it is neither."""
    text = bitrate.strip().lower()
    if text.endswith("k") and text[:-1].isdigit():
        return int(text[:-1])
    return int(text) // 1000 if text.isdigit() else 0


def _runs(pieces: list[Piece]) -> list[list[Piece]]:
    """``pieces`` (in order) grouped into runs that follow one another in the timeline."""
    runs: list[list[Piece]] = []
    for piece in pieces:
        if runs and runs[-1][-1].stop == piece.start:
            runs[-1].append(piece)
        else:
            runs.append([piece])
    return runs


def _encode(timeline: Timeline, pieces: list[Piece], gain_db: float, out_rate: int, bitrate: str
            ) -> list[Encoded]:
    """Level and encode ``pieces`` (in timeline order) with one ffmpeg process, each its
    own LAME stream: starting ffmpeg costs ~80 ms, as much as encoding fifteen seconds of
    speech. Pieces that follow one another are read as one input and split by
    ``asegment``, so their encoders run one after another: encoders fed side by side
    cost a third more CPU (they share the caches)."""
    chain = f"{levels.chain(gain_db)},aresample={out_rate}:resampler=soxr"
    with tempfile.TemporaryDirectory(prefix="narrate-pieces-") as scratch:
        args: list[str] = []
        graph: list[str] = []
        n = 0
        stdin = None
        for k, run in enumerate(_runs(pieces)):
            pcm = timeline.read(run[0].start, run[-1].stop)
            if stdin is None:  # the first run through a pipe: ffmpeg starts while it is read
                stdin, source = pcm, "pipe:0"
            else:
                source = str(Path(scratch) / f"{k}.pcm")
                Path(source).write_bytes(pcm)
            args += raw_input(timeline.sample_rate, source)
            labels = [f"s{n + j}" for j in range(len(run))]
            if len(run) > 1:
                splits = "|".join(str(p.start - run[0].start) for p in run[1:])
                graph.append(f"[{k}:a]asegment=samples={splits}" + "".join(f"[{x}]" for x in labels))
            else:
                graph.append(f"[{k}:a]anull[{labels[0]}]")
            graph += [f"[{x}]{chain}[o{n + j}]" for j, x in enumerate(labels)]
            n += len(run)
        args += ["-filter_complex", ";".join(graph)]
        for j in range(n):
            args += ["-map", f"[o{j}]", *_mp3_args(timeline.sample_rate, out_rate, bitrate)[:-1],
                     str(Path(scratch) / f"{j}.mp3")]
        ffmpeg_output(args, "encode mp3", stdin=stdin)
        encoded = [(Path(scratch) / f"{j}.mp3").read_bytes() for j in range(n)]
    return [Encoded(mp3, mp3_frames(mp3) * MP3_FRAME) for mp3 in encoded]


def _batches(missing: list[int], pieces: list[Piece], count: int) -> list[list[int]]:
    """``missing`` (in order) in ``count`` batches of consecutive pieces, about equal in
    length: each piece goes to the batch its midpoint falls in."""
    total = sum(pieces[n].stop - pieces[n].start for n in missing) or 1
    batches: list[list[int]] = [[] for _ in range(count)]
    done = 0
    for n in missing:
        length = pieces[n].stop - pieces[n].start
        batches[min(count - 1, int((done + length / 2) * count / total))].append(n)
        done += length
    return [batch for batch in batches if batch]


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


def _dealt(blocks: list[float], piece: Piece, origin: int, rate: int) -> list[float]:
    """The blocks of a meter run that started at frame ``origin`` that belong to
    ``piece``: a block every 100 ms, each to the piece its 400 ms window ends in."""
    step = rate // 10
    return blocks[(piece.start - origin + step - 1) // step : (piece.stop - origin + step - 1) // step]


def _plain(timeline: Timeline, pieces: list[Piece], digests: list[str], cache: ClipCache,
           pool: ThreadPoolExecutor, foreseen: Foreseen | None = None
           ) -> tuple[list[list[float]], Callable[[], None]]:
    """Each piece's gating blocks as it is, from the cache where it can, and a function
    that caches the ones measured now (called while the encoders run). When most are
    missing, the stretch from the first to the last is metered at once (in two halves,
    one per core) and its blocks dealt out to the pieces (a block belongs to the piece
    its 400 ms window ends in; cuts lie in silence)."""
    rate = timeline.sample_rate
    keys = [_key("plain", digest, rate) for digest in digests]
    found: list[list[float] | None] = []
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
            blocks = levels.blocks_of(timeline.read(first.start, last.stop), rate)
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
            cache.put_entry("pieces", keys[n], {"blocks": found[n]}, b"")

    return [blocks or [] for blocks in found], remember


def excerpt_within(seams: list[int], frames: int | None, rate: int, seconds: float = EXCERPT_SECONDS
                   ) -> Piece | None:
    """About ``seconds`` of the narration's opening, from pause to pause: from the pause
    after the first part (the disclaimer, or the title) to the first pause ``seconds``
    later. ``seams`` are the pauses known so far and ``frames`` the whole length once
    it is known; None while the excerpt's end is not known yet."""
    start = seams[0] if seams else 0
    later = [seam for seam in seams if seam >= start + seconds * rate]
    if later:
        return Piece(start, later[0])
    return None if frames is None else Piece(start, frames)


def excerpt(timeline: Timeline, seconds: float = EXCERPT_SECONDS) -> Piece:
    found = excerpt_within(list(timeline.seams), timeline.frames, timeline.sample_rate, seconds)
    assert found is not None
    return found


def trial_gain(target_lufs: float) -> float:
    """The gain the excerpt's round trip is first measured at: right for a typical voice."""
    return target_lufs - levels.TYPICAL_INPUT_LUFS + EXPECTED_LOSS_DB


@dataclass(frozen=True)
class Foreseen:
    """What EarlyMeasure found: the whole narration's gating blocks, the excerpt's
    round trip at the trial gain, and the pieces with their digests."""

    blocks: list[float]
    excerpt: Piece
    trip: dict[str, float] | None  # None when it was not needed
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
        self._trial = trial_gain(target_lufs)
        self._meter = levels.stream_meter(rate)
        self._hashes = PieceHashes(rate)
        self._frames = 0
        self._seams: list[int] = []
        self._held = bytearray()  # the stream from the first seam on, until the excerpt is whole
        self._first = b""  # the first part, while it is the only one
        self._excerpt: Piece | None = None
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._trip: Future[dict[str, float]] | None = None
        self._done = False
        # The round trip's ffmpeg starts now, so it is ready when the excerpt is.
        self._runs = _round_trip_runs(rate, self._trial, out_rate, bitrate) if round_trip else None

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
        self._trip = self._pool.submit(_trip_through_cache, self._cache, pcm, self.rate, self._trial,
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


def render_mp3(
    timeline: Timeline, cache: ClipCache, *, target_lufs: float, out_rate: int, bitrate: str, jobs: int,
    previous: dict[str, float] | None = None, progress: Callable[[int, int], None] | None = None,
    hints: dict[str, float] | None = None, early: EarlyMeasure | None = None,
) -> Rendered:
    """Measure, level and encode every piece (cached ones are reused); the MP3 bytes of
    each piece in order and where each starts in the decoded output. ``previous`` is
    the loudness record of the last rendering of this output with the same settings;
    ``hints`` a record shared by the articles of a batch (one voice, one codec): the
    limiter's and codec's share measured once serves the articles after it; ``early``
    the measuring begun while the timeline was assembled."""
    pieces = cut(timeline)
    rate = timeline.sample_rate
    digests: list[str] = []  # set below

    def trip(trial: float) -> dict:
        piece = excerpt(timeline)
        pcm = timeline.read(piece.start, piece.stop)
        return _trip_through_cache(cache, pcm, rate, trial, out_rate, bitrate)

    def encoded(gain: float, meanwhile: Callable[[], None] = lambda: None) -> list[tuple[Encoded, bool]]:
        """Every piece at ``gain`` (and whether it had to be encoded now): cached ones from
        the cache, the rest in one ffmpeg per core; ``meanwhile`` runs while they work."""
        lame = _mp3_args(rate, out_rate, bitrate)
        keys = [_key("mp3", digest, rate, f"{gain:.2f}", *lame) for digest in digests]
        found: list[tuple[Encoded, bool] | None] = []
        for key in keys:
            entry = cache.get_entry("pieces", key)
            found.append((Encoded(entry[1], entry[0]["decoded_frames"]), False) if entry else None)
        missing = [n for n, hit in enumerate(found) if hit is None]
        # One process per core, or per BATCH_SECONDS when there is more: a start saved
        # per piece, and the work still shared out evenly on a busy machine.
        seconds = sum(pieces[n].stop - pieces[n].start for n in missing) / rate
        count = min(len(missing), max(max(1, jobs), math.ceil(seconds / BATCH_SECONDS)))
        batches = _batches(missing, pieces, count)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as encoders:
            made = encoders.map(
                lambda batch: _encode(timeline, [pieces[n] for n in batch], gain, out_rate, bitrate),
                batches,
            )
            meanwhile()
            for batch, results in zip(batches, made, strict=True):
                for n, result in zip(batch, results, strict=True):
                    found[n] = (result, True)
                    cache.put_entry("pieces", keys[n], {"decoded_frames": result.decoded_frames}, result.mp3)
        return [hit for hit in found if hit is not None]

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        # The excerpt's round trip runs alongside the pieces' meters, at a trial gain
        # for a typical voice; it is repeated at the right gain only when that is far off.
        # After an edit, the pieces are encoded at the last gain alongside the meters too.
        typical = trial_gain(target_lufs)
        known = hints if hints and "loss_db" in hints else None
        foreseen = early.finish() if early is not None else None
        if foreseen is not None and foreseen.pieces[0] == pieces:
            digests[:] = foreseen.pieces[1]  # hashed as the narration was written
        else:
            digests[:] = pool.map(lambda piece: _digest(timeline, piece), pieces)  # hashlib frees the GIL
        first_trip: Future[dict] | None = None
        if foreseen is not None and foreseen.trip is not None:
            first_trip = Future()
            first_trip.set_result(foreseen.trip)
        elif previous is None and known is None:
            first_trip = pool.submit(trip, typical)
        hopeful = pool.submit(encoded, previous["gain_db"]) if previous else None
        plain, remember = _plain(timeline, pieces, digests, cache, pool, foreseen)
        input_i = levels.integrated([block for blocks in plain for block in blocks])
        gain, loss, peak = 0.0, 0.0, None
        if previous is not None and abs(input_i - previous["input_lufs"]) < STICKY_DB:
            # An edit barely moves the loudness: keep the last gain, so every piece the
            # edit did not touch is still in the cache.
            gain, loss = previous["gain_db"], previous["input_lufs"] + previous["gain_db"] - previous[
                "integrated_lufs"]
            peak = previous.get("true_peak_dbtp")
            assert hopeful is not None
            remember()
            outcomes = hopeful.result()
        else:
            if input_i > levels.SILENT:
                # What the limiter and codec take is measured on an excerpt at a trial
                # gain near the answer (they usually take ~2 dB).
                if known is not None:
                    reading, trial = known, known["trial"]
                else:
                    reading = first_trip.result() if first_trip is not None else trip(typical)
                    trial = typical
                if abs(target_lufs - input_i + reading["loss_db"] - trial) > RETRIAL_DB:
                    trial = round((target_lufs - input_i + reading["loss_db"]) / TRIAL_STEP_DB)
                    trial *= TRIAL_STEP_DB
                    reading = trip(trial)
                loss = reading["loss_db"]
                if hints is not None and known is None:
                    hints.update(loss_db=loss, true_peak_db=reading["true_peak_db"], trial=trial)
                gain = min(levels.MAX_GAIN_DB, target_lufs - input_i + loss)
                gain = round(gain / GAIN_STEP_DB) * GAIN_STEP_DB
                peak = round(reading["true_peak_db"] + min(0.0, gain - trial), 2)
            if hopeful is not None:
                hopeful.result()  # let it finish: its pieces are cached under the old gain
            outcomes = encoded(gain, remember)
    results = [result for result, _ in outcomes]
    fresh = sum(1 for _, new in outcomes if new)
    if progress:
        progress(len(pieces), len(pieces))
    offsets, position = [], 0
    for piece, result in zip(pieces, results, strict=True):
        offsets.append((piece.start, position + LAME_DELAY, piece.stop))
        position += result.decoded_frames
    output = levels.Loudness(round(input_i + gain - loss, 2), peak, None)
    return Rendered([r.mp3 for r in results], offsets, gain, input_i, output, position, fresh)


def time_map(rendered: Rendered, in_rate: int, out_rate: int) -> Callable[[int], int]:
    """Timeline milliseconds → milliseconds in the decoded MP3."""

    def to_output(ms: int) -> int:
        frame = ms * in_rate // 1000
        for start, out_start, stop in rendered.offsets:
            if frame < stop or (start, out_start, stop) == rendered.offsets[-1]:
                return round(1000 * out_start / out_rate + (frame - start) * 1000 / in_rate)
        return ms

    return to_output

