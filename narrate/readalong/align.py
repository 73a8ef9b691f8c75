"""The read-along's one question: when is each *written* word spoken?

The manifest times the words the engine *said* ("October", "first"); a reader sees the
words as written ("Oct.", "1,"). This module lines the two up, sentence by sentence:

- a written word that says the same thing as a spoken one ("ferry," ↔ "ferry") takes
  its time (difflib's longest matching runs are the anchors);
- between two anchors, a written word that is several spoken ones run together
  ("AI-generated" ↔ "A", "I", "generated") takes their times from the first's start to
  the last's end; the rest of the run shares the run's spoken words out in order
  ("Oct. 1," ↔ "October first": one each; "$2.4" ↔ "two point four million dollars": all);
- a written word with nothing of its own (the engine folded it into a neighbour, or the
  normaliser dropped it) is timed with its neighbour, and consecutive words with the same
  time become one ``Chunk``, highlighted together;
- an engine without word events (espeak, Flite, Festival) still gets word highlighting:
  the sentence's time is shared out by the words' lengths (``Sentence.estimated``).

Pure functions over the manifest's records: the player page and the EPUB both read this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from narrate.export.manifest import Manifest, UtteranceRecord, WordRecord

_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class Chunk:
    """One or more written words (with their punctuation) spoken from ``start_ms`` to ``end_ms``."""

    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Sentence:
    """One utterance as a reader sees it: its words, each timed, and where it belongs."""

    index: int  # the manifest's utterance index; -1 for the disclaimer
    kind: str  # title, heading, paragraph, quote, item, disclaimer
    block: int  # utterances of one block share it (one paragraph, one list item…)
    start_ms: int
    end_ms: int
    chunks: tuple[Chunk, ...]
    estimated: bool = False  # word times shared out by length: the engine gave none


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def sentences(manifest: Manifest) -> list[Sentence]:
    """The disclaimer (when spoken) and every utterance, with their words timed."""
    found = []
    if manifest.disclaimer is not None:
        d = manifest.disclaimer
        found.append(sentence_for(UtteranceRecord(-1, "disclaimer", d.text, start_ms=d.start_ms,
                                                  end_ms=d.end_ms, block=-2)))
    found.extend(sentence_for(u) for u in manifest.utterances)
    return found


def sentence_for(utterance: UtteranceRecord) -> Sentence:
    tokens = _TOKEN.findall(utterance.written)
    start, end = utterance.start_ms, max(utterance.end_ms, utterance.start_ms)
    words = [w for w in utterance.words if _key(w.text)]
    if words:
        times, estimated = _aligned(tokens, words, start, end), False
    else:
        times, estimated = _by_length(tokens, start, end), True
    return Sentence(utterance.index, utterance.kind, utterance.block, start, end,
                    _chunks(tokens, times, end), estimated)


Times = list[tuple[int, int] | None]  # per written token: (start, end), or None: nothing of its own


def _aligned(tokens: list[str], words: list[WordRecord], start: int, end: int) -> Times:
    """Each written token's (start, end), or None where it has nothing of its own."""
    spoken = [_key(w.text) for w in words]
    written = [_key(t) for t in tokens]
    times: Times = [None] * len(tokens)
    matcher = SequenceMatcher(None, written, spoken, autojunk=False)
    i = j = 0
    for block in matcher.get_matching_blocks():  # the last one is (len, len, 0)
        _share(times, written, range(i, block.a), words, spoken, range(j, block.b))
        for n in range(block.size):
            w = words[block.b + n]
            times[block.a + n] = (w.start_ms, w.end_ms)
        i, j = block.a + block.size, block.b + block.size
    return [None if t is None else (min(max(t[0], start), end), min(max(t[1], t[0], start), end))
            for t in times]


def _share(times: Times, written: list[str], rows: range, words: list[WordRecord], spoken: list[str],
           cols: range) -> None:
    """Time the written tokens ``rows`` from the spoken words ``cols`` between two anchors."""
    rows_left, cols_left = list(rows), list(cols)
    while rows_left and cols_left:  # a written word that is spoken words run together
        joined, n = "", 0
        while n < len(cols_left) and len(joined) < len(written[rows_left[0]]):
            joined += spoken[cols_left[n]]
            n += 1
        if not joined or joined != written[rows_left[0]]:
            break
        times[rows_left[0]] = (words[cols_left[0]].start_ms, words[cols_left[n - 1]].end_ms)
        rows_left, cols_left = rows_left[1:], cols_left[n:]
    if not rows_left or not cols_left:
        return
    k, m = len(rows_left), len(cols_left)
    for n, row in enumerate(rows_left):  # in order, each its share of the run
        first = min(n * m // k, m - 1)
        last = max(first, (n + 1) * m // k - 1)
        times[row] = (words[cols_left[first]].start_ms, words[cols_left[last]].end_ms)


def _by_length(tokens: list[str], start: int, end: int) -> Times:
    weights = [len(t) + 1 for t in tokens]
    total, run, times = sum(weights) or 1, 0, []
    for weight in weights:
        begin = start + (end - start) * run // total
        run += weight
        times.append((begin, start + (end - start) * run // total))
    return list(times)


def _chunks(tokens: list[str], times: Times, end: int) -> tuple[Chunk, ...]:
    """Consecutive words that start together (or have no time: their neighbour's) joined;
    each chunk lasts until the next starts, so every moment of the sentence has one."""
    groups: list[tuple[list[str], int]] = []
    for token, (begin, _) in zip(tokens, _filled(times), strict=True):
        if groups and begin <= groups[-1][1]:
            groups[-1][0].append(token)  # spoken with the one before
        else:
            groups.append(([token], begin))
    bounds = [begin for _, begin in groups[1:]] + [end]
    return tuple(Chunk(" ".join(words), begin, max(stop, begin))
                 for (words, begin), stop in zip(groups, bounds, strict=True))


def _filled(times: Times) -> list[tuple[int, int]]:
    """A token without a time takes the one before it (the first: the one after)."""
    known = [t for t in times if t is not None]
    if not known:
        return [(0, 0)] * len(times)
    filled, last = [], known[0]
    for t in times:
        last = t if t is not None else last
        filled.append(last)
    return filled


def word_at(sentences_: list[Sentence], ms: float) -> tuple[Sentence, Chunk] | None:
    """The sentence and chunk being spoken at ``ms`` (None in a pause between sentences),
    as the page's script decides it: the last chunk that has started."""
    for sentence in sentences_:
        if sentence.start_ms <= ms < sentence.end_ms and sentence.chunks:
            started = [c for c in sentence.chunks if c.start_ms <= ms]
            return sentence, (started[-1] if started else sentence.chunks[0])
    return None


def blocks(sentences_: list[Sentence]) -> list[tuple[str, list[Sentence]]]:
    """The article's blocks in order, each ``(kind, its sentences)``: the sentences of one
    paragraph (quote, list item) together; the title, each heading and the disclaimer
    alone. A manifest from before blocks were recorded gives one block per sentence."""
    found: list[tuple[str, list[Sentence]]] = []
    for sentence in sentences_:
        last = found[-1][1][-1] if found else None
        if last is not None and sentence.block >= 0 and sentence.block == last.block:
            found[-1][1].append(sentence)
        else:
            found.append((sentence.kind, [sentence]))
    return found
