"""MP3 made piece by piece: each piece levelled and encoded as its own LAME stream, on
every core at once, cached by content, and joined frame by frame.

The narration is cut at pauses into pieces (cutting.py) and measured as it is
assembled (measuring.py); the gain is decided (loudness.mp3_gain); then runs of
consecutive pieces are encoded (gain, limiter, resampling, LAME), one ffmpeg per core,
each run one input split into its pieces by ``asegment``. Pieces are cached under a
hash of their PCM and the settings, so editing one sentence re-encodes only the piece
that holds it. Memory holds a piece at a time. Frame counts give each piece's exact
decoded length (LAME's delay, see lame.py), and the manifest maps every time through
them: captions stay on the decoded audio.
"""

from __future__ import annotations

import itertools
import math
import shutil
from array import array
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import overload

from narrate import scratch as scratch_dirs
from narrate.audio import Timeline
from narrate.cache import ClipCache
from narrate.errors import OutputError
from narrate.export import loudness as levels
from narrate.export.cutting import Piece, cut, digest, excerpt, piece_key, runs
from narrate.export.encode import raw_input, run_ffmpeg
from narrate.export.lame import LAME_DELAY, MP3_FRAME, mp3_args, mp3_frames
from narrate.export.measuring import EarlyMeasure, plain_blocks, trip_through_cache
from narrate.models import CodecShare, Hints, Levels

BATCH_SECONDS = 240  # of audio per encoder process


@dataclass(frozen=True)
class Encoded:
    mp3: bytes
    decoded_frames: int  # samples a decoder yields, at the output rate


def encode(timeline: Timeline, pieces: list[Piece], gain_db: float, out_rate: int, bitrate: str,
           keep: Callable[[int, Encoded], Encoded] = lambda _, encoded: encoded) -> list[Encoded]:
    """Level and encode ``pieces`` (in timeline order) with one ffmpeg process, each its
    own LAME stream: starting ffmpeg costs ~80 ms, as much as encoding fifteen seconds of
    speech. Pieces that follow one another are read as one input and split by
    ``asegment``, so their encoders run one after another: encoders fed side by side
    cost a third more CPU (they share the caches). ``keep(n, encoded)`` sees each piece
    as it is read back and gives what is kept of it (the caller caches it and keeps its
    length: a batch's MP3 is never all in memory)."""
    chain = levels.chain(gain_db, out_rate)
    scratch = scratch_dirs.make("pieces")
    try:
        args: list[str] = []
        graph: list[str] = []
        n = 0
        stdin: Iterator[bytes] | None = None
        for k, run in enumerate(runs(pieces)):
            pcm = timeline.chunks(run[0].start, run[-1].stop)  # streamed: a chunk in memory at a time
            if stdin is None:  # the first run through a pipe: ffmpeg starts while it is read
                stdin, source = pcm, "pipe:0"
            else:
                source = str(Path(scratch) / f"{k}.pcm")
                with open(source, "wb") as handle:
                    handle.writelines(pcm)
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
            args += ["-map", f"[o{j}]", *mp3_args(timeline.sample_rate, out_rate, bitrate)[:-1],
                     str(Path(scratch) / f"{j}.mp3")]
        run_ffmpeg(args, "encode mp3", stdin=stdin)
        kept = []
        for j in range(n):
            mp3 = (Path(scratch) / f"{j}.mp3").read_bytes()
            kept.append(keep(j, Encoded(mp3, mp3_frames(mp3) * MP3_FRAME)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return kept


def batches(missing: list[int], pieces: list[Piece], count: int) -> list[list[int]]:
    """``missing`` (in order) in ``count`` batches of consecutive pieces, about equal in
    length: each piece goes to the batch its midpoint falls in."""
    total = sum(pieces[n].stop - pieces[n].start for n in missing) or 1
    found: list[list[int]] = [[] for _ in range(count)]
    done = 0
    for n in missing:
        length = pieces[n].stop - pieces[n].start
        found[min(count - 1, int((done + length / 2) * count / total))].append(n)
        done += length
    return [batch for batch in found if batch]


@dataclass(frozen=True)
class Rendered:
    chunks: Sequence[bytes]
    offsets: list[tuple[int, int, int]]  # (piece start frame, its output start sample, stop frame)
    gain_db: float
    input_lufs: float
    output: levels.Loudness
    decoded_frames: int  # the whole file's, at the output rate
    encoded: int = 0  # pieces encoded this time (the rest came from the cache)


def render_mp3(
    timeline: Timeline, cache: ClipCache, *, target_lufs: float, out_rate: int, bitrate: str, jobs: int,
    previous: Levels | None = None, progress: Callable[[int, int], None] | None = None,
    hints: Hints | None = None, early: EarlyMeasure | None = None,
) -> Rendered:
    """Measure, level and encode every piece (cached ones are reused); the MP3 bytes of
    each piece in order and where each starts in the decoded output. ``previous``: how
    the last rendering of this output with the same settings was levelled; ``hints``
    readings shared by the articles of a batch (one voice, one codec): the limiter's and
    codec's share measured once serves the articles after it; ``early`` the measuring
    begun while the timeline was assembled."""
    pieces = cut(timeline)
    rate = timeline.sample_rate
    digests: list[str] = []  # set below
    chosen: list[str] = []  # the cache keys of the pieces at each gain encoded, the last one's last

    def trip(trial: float) -> CodecShare:
        piece = excerpt(timeline)
        pcm = timeline.read(piece.start, piece.stop)
        return trip_through_cache(cache, pcm, rate, trial, out_rate, bitrate)

    def encoded(gain: float, meanwhile: Callable[[], None] = lambda: None) -> list[tuple[Encoded, bool]]:
        """Every piece at ``gain`` (and whether it had to be encoded now): cached ones from
        the cache, the rest in one ffmpeg per core; ``meanwhile`` runs while they work."""
        lame = mp3_args(rate, out_rate, bitrate)
        filters = levels.chain(gain, out_rate)  # in the key: a change of chain re-encodes
        keys = [piece_key("mp3", digest, rate, filters, *lame) for digest in digests]
        found: list[tuple[Encoded, bool] | None] = []
        for key in keys:  # a cached piece's bytes stay in the cache until they are written
            entry = cache.get_entry("pieces", key)
            found.append((Encoded(b"", entry[0]["decoded_frames"]), False) if entry else None)
        missing = [n for n, hit in enumerate(found) if hit is None]
        # One process per core, or per BATCH_SECONDS when there is more: a start saved
        # per piece, and the work still shared out evenly on a busy machine.
        seconds = sum(pieces[n].stop - pieces[n].start for n in missing) / rate
        count = min(len(missing), max(max(1, jobs), math.ceil(seconds / BATCH_SECONDS)))
        shares = batches(missing, pieces, count)
        def store(batch: list[int]) -> Callable[[int, Encoded], Encoded]:
            def kept(j: int, result: Encoded) -> Encoded:  # into the cache as it is read back
                cached = cache.put_entry("pieces", keys[batch[j]], {"decoded_frames": result.decoded_frames},
                                         result.mp3)
                return Encoded(b"", result.decoded_frames) if cached else result
            return kept

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as encoders:
            made = encoders.map(lambda batch: encode(timeline, [pieces[n] for n in batch], gain, out_rate,
                                                     bitrate, store(batch)), shares)
            meanwhile()
            for batch, results in zip(shares, made, strict=True):
                for n, result in zip(batch, results, strict=True):
                    found[n] = (result, True)
        chosen.extend(keys)
        return [hit for hit in found if hit is not None]

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        # The excerpt's round trip runs alongside the pieces' meters, at a trial gain
        # for a typical voice; it is repeated at the right gain only when that is far off.
        # After an edit, the pieces are encoded at the last gain alongside the meters too.
        typical = levels.trial_gain(target_lufs)
        known = hints.codec if hints is not None else None
        foreseen = early.finish() if early is not None else None
        if foreseen is not None and foreseen.pieces[0] == pieces:
            digests[:] = foreseen.pieces[1]  # hashed as the narration was written
        else:
            digests[:] = pool.map(lambda piece: digest(timeline, piece), pieces)  # hashlib frees the GIL
        first_trip: Future[CodecShare] | None = None
        if foreseen is not None and foreseen.trip is not None:
            first_trip = Future()
            first_trip.set_result(foreseen.trip)
        elif previous is None and known is None:
            first_trip = pool.submit(trip, typical)
        hopeful = pool.submit(encoded, previous.gain_db) if previous else None
        plain, remember = plain_blocks(timeline, pieces, digests, cache, pool, foreseen)
        input_i = levels.integrated(array("d", itertools.chain.from_iterable(plain)))

        def first() -> CodecShare:
            if known is not None:
                return known
            return first_trip.result() if first_trip is not None else trip(typical)

        decided = levels.mp3_gain(target_lufs, input_i, previous, first, trip)
        if hints is not None and known is None and decided.share is not None:
            hints.codec = decided.share
        if hopeful is not None and levels.keeps_gain(previous, input_i):
            remember()
            outcomes = hopeful.result()
        else:
            if hopeful is not None:
                hopeful.result()  # let it finish: its pieces are cached under the old gain
            outcomes = encoded(decided.gain_db, remember)
    results = [result for result, _ in outcomes]
    fresh = sum(1 for _, new in outcomes if new)
    if progress:
        progress(len(pieces), len(pieces))
    offsets, position = [], 0
    for piece, result in zip(pieces, results, strict=True):
        offsets.append((piece.start, position + LAME_DELAY, piece.stop))
        position += result.decoded_frames
    heard = round(input_i + decided.gain_db - decided.loss_db, 2)
    output = levels.Loudness(heard, decided.true_peak_db, None)
    keys = chosen[-len(results) :]  # the outcomes' keys: those of the last encoded() that ran
    chunks = PieceBytes(cache, [(r.mp3, key) for r, key in zip(results, keys, strict=True)])
    return Rendered(chunks, offsets, decided.gain_db, input_i, output, position, fresh)


class PieceBytes(Sequence[bytes]):
    """The MP3 bytes of each piece, in order, read from the cache one at a time as they
    are written (an hours-long narration's MP3 is never all in memory); a piece the cache
    could not hold is kept in memory."""

    def __init__(self, cache: ClipCache, parts: list[tuple[bytes, str]]) -> None:
        self._cache = cache
        self._parts = parts

    def __len__(self) -> int:
        return len(self._parts)

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[bytes]: ...

    def __getitem__(self, index: int | slice) -> bytes | Sequence[bytes]:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(len(self)))]
        held, key = self._parts[index]
        if held:
            return held
        entry = self._cache.get_entry("pieces", key)
        if entry is None:
            raise OutputError("an encoded piece vanished from the cache during the run; run again")
        return entry[1]


def time_map(rendered: Rendered, in_rate: int, out_rate: int) -> Callable[[int], int]:
    """Timeline milliseconds → milliseconds in the decoded MP3."""

    def to_output(ms: int) -> int:
        frame = ms * in_rate // 1000
        for start, out_start, stop in rendered.offsets:
            if frame < stop or (start, out_start, stop) == rendered.offsets[-1]:
                return round(1000 * out_start / out_rate + (frame - start) * 1000 / in_rate)
        return ms

    return to_output

