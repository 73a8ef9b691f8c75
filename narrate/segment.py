"""Split a block of written text into utterances, each with its character span.

Sentence boundaries come from pysbd (rule-based, passes the English "Golden Rules":
abbreviations, initials, decimals, quotes, ellipses). A sentence longer than the
engine's comfortable length is cut at clause boundaries — semicolons, dashes, commas,
then spaces — so that no utterance exceeds ``max_chars``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

DEFAULT_MAX_CHARS = 300
# Preferred cut points, strongest first: the cut falls just after the match.
_CLAUSE_BREAKS = (
    re.compile(r"[;:]\s+"),
    re.compile(r"\s+[—–]\s*|\s*[—–]\s+|(?<=\w)—(?=\w)"),
    re.compile(r",\s+"),
    re.compile(r"\s+"),
)


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _sentences(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for piece in _segmenter().segment(text):
        piece = piece.strip()
        if not piece:
            continue
        start = text.find(piece, pos)
        if start < 0:  # pysbd altered the text: fall back to the rest as one sentence
            rest = text[pos:].strip()
            if rest:
                start = text.index(rest, pos)
                spans.append((start, start + len(rest)))
            return spans
        spans.append((start, start + len(piece)))
        pos = start + len(piece)
    return spans


def _cut(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split text[start:end] into pieces no longer than max_chars, at the strongest
    clause boundary available in the allowed window."""
    if end - start <= max_chars:
        return [(start, end)]
    window = text[start : start + max_chars]
    for pattern in _CLAUSE_BREAKS:
        cuts = [m for m in pattern.finditer(window) if m.start() >= max_chars // 4]
        if cuts:
            cut = cuts[-1]
            keep = 1 if window[cut.start()] in ",;:" else 0  # the comma stays with its clause
            left = (start, start + cut.start() + keep)
            return [left, *_cut(text, start + cut.end(), end, max_chars)]
    return [(start, start + max_chars), *_cut(text, start + max_chars, end, max_chars)]


def split(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[tuple[int, int]]:
    """Character spans of the utterances in ``text``, in order.

    >>> t = "They asked the U.S. to intervene. Mr. Smith agreed."
    >>> [t[a:b] for a, b in split(t)]
    ['They asked the U.S. to intervene.', 'Mr. Smith agreed.']
    """
    if not text.strip():
        return []
    spans: list[tuple[int, int]] = []
    for start, end in _sentences(text):
        spans.extend(_cut(text, start, end, max_chars))
    return [(a, b) for a, b in spans if text[a:b].strip()]
