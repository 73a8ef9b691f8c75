"""The typed values that flow between the stages: Document → Script → Clips → Timeline
→ Result, and the loudness records that travel beside them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

BlockKind = Literal["heading", "paragraph", "quote", "item"]
UtteranceKind = Literal["heading", "paragraph", "quote", "item", "title", "disclaimer"]
Progress = Callable[[str, int, int], None]  # (stage, done, total)


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
    """One thing the narration says: the AI-voice disclaimer, the title, a heading, a
    sentence (or clause of a long one). ``index`` is its place in the script."""

    index: int
    written: str
    spoken: str
    block: int  # the document block it comes from; -1 for the title and the disclaimer
    kind: UtteranceKind
    span: tuple[int, int]  # character offsets of ``written`` in the source text
    pause_after_ms: int = 0
    recording: Path | None = None  # a publisher's recording to play instead of speaking it


@dataclass(frozen=True)
class Script:
    """Everything the narration says, in order: the disclaimer (when there is one) is
    utterance 0, so the timeline's spans line up with ``utterances`` one to one."""

    document: Document
    utterances: tuple[Utterance, ...]

    @property
    def article(self) -> tuple[Utterance, ...]:
        """The utterances that read the article (all but the disclaimer)."""
        return tuple(u for u in self.utterances if u.kind != "disclaimer")

    @property
    def disclaimer(self) -> Utterance | None:
        return next((u for u in self.utterances if u.kind == "disclaimer"), None)


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


class Stamps(NamedTuple):
    """The fingerprints an output's manifest carries."""

    inputs: str  # the source and the settings: equal means up to date
    settings: str  # the settings alone: equal means an edit may keep the last gain


@dataclass(frozen=True)
class Levels:
    """How an output was levelled (the manifest's ``loudness`` numbers): an edited article
    keeps its gain, so the audio pieces the edit did not touch stay cached."""

    input_lufs: float
    gain_db: float
    integrated_lufs: float
    true_peak_dbtp: float | None = None


@dataclass(frozen=True)
class CodecShare:
    """What the limiter and the MP3 codec take from a voice at a trial gain, measured on
    an excerpt's round trip; one voice and one codec take the same share everywhere."""

    loss_db: float
    true_peak_db: float
    trial_db: float = 0.0


@dataclass
class Hints:
    """Readings the articles of one batch share (one voice, one codec): the first article
    measures the codec's share, the others reuse it."""

    codec: CodecShare | None = None


@dataclass(frozen=True)
class Result:
    """What one narration made (or found up to date)."""

    audio: Path
    files: tuple[Path, ...]
    manifest: Path
    duration_ms: float
    utterances: int  # the article's (the disclaimer not counted)
    synthesized: int
    from_cache: int
    skipped: bool = False  # already up to date: nothing was made
    pieces: tuple[int, int] = (0, 0)  # audio pieces (encoded this time, all)
