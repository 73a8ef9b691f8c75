"""Cutting a narration into pieces for MP3 encoding, and hashing them.

A narration is cut in the middle of pauses into pieces of about PIECE_SECONDS; each
piece is encoded as its own LAME stream and cached under a hash of its PCM (see
mp3.py), so editing one sentence re-encodes only the piece that holds it. The cuts
depend only on what comes before them, so an edit moves few of them. The excerpt whose
round trip through the codec is measured (measuring.py) is cut here too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from narrate.audio import Timeline

PIECE_SECONDS = 12
EXCERPT_SECONDS = 10


@dataclass(frozen=True)
class Piece:
    start: int  # timeline frames [start, stop)
    stop: int


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



def digest(timeline: Timeline, piece: Piece) -> str:
    """The hash of a piece's PCM: computed once a rendering, part of every key for it."""
    return hashlib.sha256(timeline.read(piece.start, piece.stop)).hexdigest()


def piece_key(kind: str, digest: str, *settings: object) -> str:
    """The cache key of a reading or an encoding (``kind``) of the PCM with ``digest``."""
    material = json.dumps([kind, digest, *map(str, settings)]).encode()
    return hashlib.sha256(material).hexdigest()


def runs(pieces: list[Piece]) -> list[list[Piece]]:
    """``pieces`` (in order) grouped into runs that follow one another in the timeline."""
    found: list[list[Piece]] = []
    for piece in pieces:
        if found and found[-1][-1].stop == piece.start:
            found[-1].append(piece)
        else:
            found.append([piece])
    return found


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

