"""Clips → one timeline of PCM, with pydub: trim, fade, pause, join once.

The home of pydub. Each clip's leading and trailing silence is trimmed, a short fade
at both edges keeps every join click-free, and the pause policy puts silence after
each clip. The PCM is joined once at the end (pydub's ``+`` copies everything
accumulated so far, which is quadratic in the article's length).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import overload

from narrate.errors import DependencyError, InputError, OutputError
from narrate.models import Clip, Span, Word

CHUNK_FRAMES = 1 << 17  # ~6 s at 22.05 kHz: what a streamed read holds at a time
SILENCE_DBFS = -50.0
EDGE_MS = 15  # kept around speech when trimming, so consonants are not clipped
FADE_MS = 5


class Words(Sequence[tuple[Word, ...]]):
    """Every part's word timings, held compactly: the texts interned, the times in one
    array (~30 bytes a word instead of ~200 as Word objects, so the timings of an
    hours-long narration stay small); a part's Words are made when it is read."""

    def __init__(self, parts: Iterable[Iterable[Word]] = ()) -> None:
        self._texts: list[str] = []
        self._times = array("q")  # start_ms, end_ms of every word, in order
        self._bounds = array("q", [0])  # where each part's words begin, and the end
        for words in parts:
            self.append(words)

    def append(self, words: Iterable[Word]) -> None:
        for word in words:
            self._texts.append(sys.intern(word.text))
            self._times.extend((word.start_ms, word.end_ms))
        self._bounds.append(len(self._texts))

    def __len__(self) -> int:
        return len(self._bounds) - 1

    @overload
    def __getitem__(self, index: int) -> tuple[Word, ...]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[Word, ...]]: ...

    def __getitem__(self, index: int | slice) -> tuple[Word, ...] | Sequence[tuple[Word, ...]]:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("no such part")
        start, stop, times = self._bounds[index], self._bounds[index + 1], self._times
        return tuple(Word(self._texts[n], times[2 * n], times[2 * n + 1]) for n in range(start, stop))


@dataclass(frozen=True)
class Timeline:
    """The assembled narration: mono s16le PCM in a file, and where everything is."""

    path: Path
    sample_rate: int
    frames: int
    spans: tuple[Span, ...]  # one per part, in order
    words: Sequence[tuple[Word, ...]]  # per part, times relative to the whole timeline (Words)
    seams: tuple[int, ...]  # frame offsets in the middle of each pause: safe places to cut

    @property
    def duration_ms(self) -> float:
        return 1000.0 * self.frames / self.sample_rate

    def remapped(self, to_output: Callable[[int], int], duration_ms: float) -> Timeline:
        """The same timeline with every time mapped by ``to_output`` (where an encoder
        placed it) and the length the encoded file has."""
        return replace(
            self,
            frames=round(duration_ms * self.sample_rate / 1000),
            spans=tuple(Span(to_output(s.start_ms), to_output(s.end_ms)) for s in self.spans),
            words=Words((Word(w.text, to_output(w.start_ms), to_output(w.end_ms)) for w in ws)
                        for ws in self.words),
        )

    def read(self, start: int = 0, stop: int | None = None) -> bytes:
        """PCM of frames [start, stop), in memory: for pieces and excerpts, never for
        a stretch that grows with the narration (``chunks`` streams those)."""
        stop = self.frames if stop is None else stop
        with self.path.open("rb") as handle:
            handle.seek(2 * start)
            return handle.read(2 * (stop - start))

    def chunks(self, start: int = 0, stop: int | None = None, size: int = CHUNK_FRAMES) -> Iterator[bytes]:
        """PCM of frames [start, stop), ``size`` frames at a time: memory holds one chunk
        whatever the stretch's length."""
        stop = self.frames if stop is None else stop
        with self.path.open("rb") as handle:
            handle.seek(2 * start)
            for at in range(start, stop, size):
                chunk = handle.read(2 * (min(stop, at + size) - at))
                if not chunk:
                    return
                yield chunk


def _segment(clip: Clip):  # type: ignore[no-untyped-def]
    from pydub import AudioSegment

    seg = AudioSegment(
        data=clip.pcm,
        sample_width=clip.sample_width,
        frame_rate=clip.sample_rate,
        channels=clip.channels,
    )
    return seg.set_channels(1).set_sample_width(2)


def _leading_silence_ms(pcm: bytes, rate: int) -> int:
    """pydub's ``detect_leading_silence(chunk_size=1)`` on mono s16 ``pcm``, done on the
    bytes: one audioop call per millisecond instead of an AudioSegment per millisecond."""
    import audioop  # noqa: PLC0415 - deprecated in 3.11, as pydub's own use of it

    length_ms = round(1000 * (len(pcm) // 2) / rate)
    per_ms = rate / 1000.0
    ms = 0
    while ms < length_ms:
        start, stop = int(ms * per_ms), int((ms + 1) * per_ms)
        chunk = pcm[2 * start : 2 * stop]
        if chunk and len(chunk) < 2 * (stop - start):  # pydub pads a short last chunk with silence
            chunk += b"\x00\x00" * (stop - start - len(chunk) // 2)
        if chunk and audioop.rms(chunk, 2) > _SILENT_RMS:
            break
        ms += 1
    return ms


_SILENT_RMS = 32768 * 10 ** (SILENCE_DBFS / 20)  # below this a millisecond is silence


def _trim_bounds(seg) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(start_ms, end_ms) of the speech in ``seg``, with a small margin."""
    import audioop  # noqa: PLC0415

    pcm, rate = seg.raw_data, seg.frame_rate
    lead = _leading_silence_ms(pcm, rate)
    tail = _leading_silence_ms(audioop.reverse(pcm, 2), rate)
    start = max(0, lead - EDGE_MS)
    end = min(len(seg), len(seg) - tail + EDGE_MS)
    if end <= start:  # all silence: keep it whole rather than lose it
        return 0, len(seg)
    return start, end


def prepare(clip: Clip, sample_rate: int) -> tuple[bytes, tuple[Word, ...]]:
    """Trimmed, faded, resampled PCM of one clip and its word times (ms from its start)."""
    seg = _segment(clip)
    start, end = _trim_bounds(seg)
    seg = seg[start:end]
    if seg.frame_rate != sample_rate:
        seg = seg.set_frame_rate(sample_rate)
    fade = min(FADE_MS, len(seg) // 4)
    if fade > 0:
        seg = seg.fade_in(fade).fade_out(fade)
    length = len(seg)
    words = tuple(
        Word(w.text, min(max(0, w.start_ms - start), length), min(max(0, w.end_ms - start), length))
        for w in clip.words
    )
    return seg.raw_data, words


def silence(ms: int, sample_rate: int) -> bytes:
    return b"\x00\x00" * int(sample_rate * ms / 1000)


def assemble(parts: Iterable[tuple[Clip, int]], sample_rate: int, path: Path,
             on_part: Callable[[bytes, int], None] | None = None) -> Timeline:
    """Write (clip, pause_after_ms) parts, one at a time, into one timeline at
    ``sample_rate`` in ``path``. Memory holds one clip at a time, whatever the length.
    ``on_part`` sees each part as written (its PCM, pause included, and the frame of
    the seam in its pause)."""
    spans: list[Span] = []
    words = Words()
    seams: list[int] = []
    frames = 0
    try:
        out = path.open("wb")
    except OSError as exc:
        raise OutputError(f"cannot write the working audio in {path.parent}: {exc.strerror}") from None
    with out:
        for clip, pause_ms in parts:
            pcm, clip_words = prepare(clip, sample_rate)
            start_ms = round(1000 * frames / sample_rate)
            frames += len(pcm) // 2
            spans.append(Span(start_ms, round(1000 * frames / sample_rate)))
            words.append(Word(w.text, w.start_ms + start_ms, w.end_ms + start_ms) for w in clip_words)
            gap = silence(pause_ms, sample_rate)
            seams.append(frames + len(gap) // 4)
            frames += len(gap) // 2
            try:
                out.write(pcm)
                out.write(gap)
            except OSError as exc:
                raise OutputError(
                    f"cannot write the working audio in {path.parent}: {exc.strerror} (is the disk full?)"
                ) from None
            if on_part is not None:
                on_part(pcm + gap, seams[-1])
    return Timeline(path, sample_rate, frames, tuple(spans), words, tuple(seams[:-1]))


def load_recording(path: Path, sample_rate: int) -> Clip:
    """Decode any file ffmpeg reads into a mono 16-bit clip at ``sample_rate``."""
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

    if not path.is_file():
        raise InputError(f"disclaimer clip {path}: no such file")
    try:
        seg = AudioSegment.from_file(str(path))
    except CouldntDecodeError:
        raise InputError(f"disclaimer clip {path}: ffmpeg cannot decode it as audio") from None
    except FileNotFoundError:
        raise DependencyError("ffmpeg is missing; install it with: apt-get install ffmpeg") from None
    if len(seg) == 0:
        raise InputError(f"disclaimer clip {path} holds no audio")
    seg = seg.set_channels(1).set_sample_width(2).set_frame_rate(sample_rate)
    return Clip(seg.raw_data, sample_rate)
