"""The typed values that flow between the stages: Document → Script → Clips → Timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "quote", "item"]


@dataclass(frozen=True)
class Block:
    """A unit of the article's body as written.

    ``start`` is the offset of ``text`` in the decoded source, so every sentence can
    point back at the characters it came from.
    """

    kind: BlockKind
    text: str
    start: int = 0
    level: int = 0


@dataclass(frozen=True)
class Document:
    title: str | None
    blocks: tuple[Block, ...]
    title_start: int = 0  # offset of the title in the source
    byline: str | None = None
    publication: str | None = None
    date: str | None = None
    url: str | None = None
    source: str = "-"
    source_sha256: str = ""
    encoding: str = "utf-8"  # of the source bytes, as read (or detected)
    dropped: tuple[tuple[str, str], ...] = ()  # (text, reason) removed as boilerplate


@dataclass(frozen=True)
class Utterance:
    """One thing the engine says: a sentence (or clause of a long one), a heading, a title."""

    index: int
    written: str
    spoken: str
    block: int
    kind: BlockKind | Literal["title"]
    span: tuple[int, int]  # character offsets of ``written`` in the source text
    pause_after_ms: int = 0


@dataclass(frozen=True)
class Script:
    document: Document
    utterances: tuple[Utterance, ...]


@dataclass(frozen=True)
class Word:
    """A word's position in the text that was spoken and in the clip's audio."""

    text: str
    start_ms: int
    end_ms: int = 0


@dataclass(frozen=True)
class Clip:
    """Self-describing mono PCM: signed little-endian samples at ``sample_rate``."""

    pcm: bytes
    sample_rate: int
    sample_width: int = 2
    channels: int = 1
    words: tuple[Word, ...] = field(default=())

    @property
    def frames(self) -> int:
        return len(self.pcm) // (self.sample_width * self.channels)

    @property
    def duration_ms(self) -> float:
        return 1000.0 * self.frames / self.sample_rate if self.sample_rate else 0.0


@dataclass(frozen=True)
class Span:
    """Where an utterance (or the disclaimer) sits in the finished audio."""

    start_ms: int
    end_ms: int
