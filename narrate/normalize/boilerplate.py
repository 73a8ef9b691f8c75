"""Boilerplate in scraped articles: what a listener should not hear, decided conservatively.

Rules live in ``data/boilerplate.tsv``: a reason, the most words a paragraph may have for the
rule to apply (a content sentence is long; a player label or a share bar is not), and a
case-insensitive regex. An author box is found by its heading ("About the writer") and takes
everything after it, or by a short bio that ends in "Read more".

>>> classify(["Voice is AI-generated. Inconsistencies may occur.", "Baku said.", "Advertisement"])
['player label', None, 'advertisement']
>>> strip_inline("🎙️ Voice is AI-generated. Inconsistencies may occur. Baku said on Tuesday.")
'Baku said on Tuesday.'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from ._data import Lazy, rows

_AUTHOR_HEADING = Lazy(r"^\W*about the (?:writer|author|reporter)s?\W*$", re.IGNORECASE)
# The heading run into its bio, as a Markdown paragraph or a pasted block joins them.
_AUTHOR_LEAD = Lazy(
    r"^\W*about the (?:writer|author|reporter)s?\b.*\bread more\W*$", re.IGNORECASE | re.DOTALL
)
_BIO = Lazy(
    r"\b(?:is an?|was an?|has been an?)\b.{0,120}\b(?:reporter|correspondent|journalist|editor|"
    r"writer|columnist|contributor|analyst)\b.*(?:\.\.\.|…)?\s*read more\W*$",
    re.IGNORECASE,
)
_PLAYER_INLINE = Lazy(
    r"[\s\U0001f300-\U0001faff\u2600-\u27bf\ufe0f\u200d]*voice is ai-generated\.?\s*"
    r"inconsistencies may occur\.?\s*",
    re.IGNORECASE,
)
_WORD = Lazy(r"\S+")


@cache
def _rules() -> tuple[tuple[str, int, re.Pattern[str]], ...]:
    return tuple((r[0], int(r[1]), re.compile(r[2], re.IGNORECASE)) for r in rows("boilerplate"))


def reason(paragraph: str) -> str | None:
    """Why one paragraph, on its own, is boilerplate; None for content."""
    text = paragraph.strip()
    if not text:
        return None
    count = len(_WORD.rx.findall(text))
    for why, most_words, pattern in _rules():
        if count <= most_words and pattern.search(text):
            return why
    if count <= 80 and (_BIO.rx.search(text) or _AUTHOR_LEAD.rx.search(text)):
        return "author box"
    return None


def classify(paragraphs: Sequence[str]) -> list[str | None]:
    """A reason for each paragraph a listener should not hear, else None.

    An "About the writer" heading makes it and every paragraph after it an author box.
    """
    out: list[str | None] = []
    in_author_box = False
    for paragraph in paragraphs:
        if not in_author_box and _AUTHOR_HEADING.rx.match(paragraph.strip()):
            in_author_box = True
        out.append("author box" if in_author_box else reason(paragraph))
    return out


def strip_inline(text: str) -> str:
    """Remove a player label ("Voice is AI-generated. Inconsistencies may occur.") inside a
    paragraph; anything else comes back unchanged."""
    if "inconsistencies" not in text.lower():
        return text
    stripped = _PLAYER_INLINE.sub(" ", text)
    return " ".join(stripped.split()) if stripped != text else text
