"""Plain text (typed or scraped from a web page) → Document blocks.

Paragraphs are separated by blank lines. Scraped text often has one paragraph per line
and no blank lines at all: a chunk whose lines each end a sentence (or are long) is read
as one paragraph per line; otherwise its lines are hard wraps and are joined.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from narrate.models import Block

_SENTENCE_END = re.compile(r"""[.!?…:]["'”’)\]]*\s*$""")
_LONG_LINE = 100


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """(offset, chunk) for each run of non-blank lines."""
    # Anchored at line starts, and blank space before the first visible character matched
    # only as such: a line of 100,000 spaces is one failed attempt, not 100,000.
    for match in re.finditer(r"(?m)^(?:[^\S\n]*\S[^\n]*(?:\n|$))+", text):
        yield match.start(), match.group(0)


def _lines_are_paragraphs(lines: list[str]) -> bool:
    """Hard-wrapped prose ends most lines mid-sentence; scraped text ends most lines
    with a sentence (or runs far past any wrap width)."""
    if len(lines) == 1:
        return True
    whole = sum(1 for ln in lines if _SENTENCE_END.search(ln) or len(ln) >= _LONG_LINE)
    return whole * 2 >= len(lines)


def _lines(chunk: str, offset: int) -> Iterator[tuple[int, str]]:
    for match in re.finditer(r"[^\n]+", chunk):
        line = match.group(0)
        if line.strip():
            lead = len(line) - len(line.lstrip())
            yield offset + match.start() + lead, line.strip()


def looks_like_headline(line: str) -> bool:
    """Short, no sentence-final full stop, and more than one word."""
    words = line.split()
    return 1 < len(words) <= 20 and len(line) <= 150 and not line.rstrip().endswith((".", ","))


def paragraphs(text: str) -> list[Block]:
    blocks: list[Block] = []
    for offset, chunk in _chunks(text):
        lines = list(_lines(chunk, offset))
        if _lines_are_paragraphs([ln for _, ln in lines]):
            blocks.extend(Block("paragraph", ln, start) for start, ln in lines)
        else:
            joined = " ".join(ln for _, ln in lines)
            blocks.append(Block("paragraph", joined, lines[0][0]))
    return blocks


def take_title(blocks: list[Block]) -> tuple[Block | None, list[Block]]:
    """(title block, rest): the first block is the title when it looks like a headline
    and a paragraph follows it."""
    if len(blocks) > 1 and blocks[0].kind == "paragraph" and looks_like_headline(blocks[0].text):
        return blocks[0], blocks[1:]
    return None, blocks
