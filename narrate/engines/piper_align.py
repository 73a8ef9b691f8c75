"""Word timings from Piper's phoneme alignments (pure functions, no Piper needed).

Piper reports, for every chunk (one per sentence it found in the text), each phoneme it
spoke with the number of audio samples it took: ``^`` opens, ``$`` closes, a space ends a
word, punctuation is a pause. The phonemes are grouped back into words and the groups
matched, in order, to the words of the text that was spoken.

>>> spans = phoneme_words([("^", 100), ("h", 50), ("i", 50), (" ", 20), ("j", 40), ("o", 40), ("$", 10)])
>>> spans
[(100, 200), (220, 300)]
>>> words_from_spans("Hi Jo", spans)
[('Hi', 100, 200), ('Jo', 220, 300)]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

MARKERS = {"^", "$", "_"}  # Piper's begin, end and pad symbols
PAUSES = set(" ,.;:!?¡¿—–-…\"'«»“”()")  # a space or a punctuation mark: not part of a word
_PART = re.compile(r"[^\W_]+")  # letters or digits: espeak-ng speaks "twenty-one" as two words


def phoneme_words(alignment: Iterable[tuple[str, int]], offset: int = 0) -> list[tuple[int, int]]:
    """(start, end) sample of each spoken word, from (phoneme, samples) pairs in order."""
    spans: list[tuple[int, int]] = []
    position, start = offset, None
    for phoneme, samples in alignment:
        if phoneme in MARKERS or phoneme in PAUSES:
            if start is not None:
                spans.append((start, position))
                start = None
        elif start is None:
            start = position
        position += int(samples)
    if start is not None:
        spans.append((start, position))
    return spans


def words_from_spans(text: str, spans: Sequence[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """Each written word of ``text`` with the span of the phoneme words it became.

    Usually one word is one span, or one per hyphenated part ("twenty-one"); when
    espeak-ng read the text otherwise, the words are spread over the spans in order, in
    proportion to their parts, so every word still gets a place in the audio."""
    words = [w for w in text.split() if _PART.search(w)]
    if not words or not spans:
        return []
    parts = [max(1, len(_PART.findall(w.replace("[[", "").replace("]]", "")))) for w in words]
    total = sum(parts)
    if total == len(spans):
        bounds = [sum(parts[:i]) for i in range(len(words) + 1)]
    else:  # proportional: word i covers spans [bounds[i], bounds[i+1])
        bounds = [round(sum(parts[:i]) * len(spans) / total) for i in range(len(words) + 1)]
    out = []
    for i, word in enumerate(words):
        first, last = bounds[i], max(bounds[i + 1], bounds[i] + 1)
        first, last = min(first, len(spans) - 1), min(last, len(spans))
        out.append((word, spans[first][0], spans[last - 1][1]))
    return _share_repeats(out)


def _share_repeats(words: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Words given the same span (more words than spans) split it evenly, in order."""
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(words):
        j = i
        while j + 1 < len(words) and words[j + 1][1:] == words[i][1:]:
            j += 1
        start, end = words[i][1], words[i][2]
        step = (end - start) / (j - i + 1)
        for k in range(i, j + 1):
            out.append((words[k][0], round(start + (k - i) * step), round(start + (k - i + 1) * step)))
        i = j + 1
    return out
