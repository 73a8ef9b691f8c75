"""Symbols and asides: idioms (24/7), ``&``, ``+``, ``/``, ``%``, ``°``; parentheses and brackets.

>>> normalize(idioms("Smith & Wesson; the Q&A; open 24/7; he/she; AT&T."))
'Smith and Wesson; the Q and A; open twenty-four seven; he or she; A T and T.'
>>> normalize("He posted on X (formerly Twitter). Meta (formerly Facebook) said [it] would.")
'He posted on X, formerly Twitter, . Meta, formerly Facebook, said it would.'

Left-over commas are tidied by ``cleanup.tidy``.
"""

from __future__ import annotations

import re
from functools import cache

from ._data import Lazy, alternation, rows

_IDIOM = Lazy(lambda: rf"(?<![\w/])({alternation(_idioms())})(?![\w/])", name="idiom")
_CAPS_AND = Lazy(r"\b([A-Z]{1,3})&([A-Z]{1,3})\b")
_SLASH = Lazy(r"(?<=[a-z])/(?=[a-z])|\s*/\s*", name="slash")
_SYMBOL = Lazy(lambda: rf"\s*({alternation(_singles())})\s*", name="symbol")
_OPEN = Lazy(r"\s*[(]\s*")
_CLOSE = Lazy(r"\s*[)]\s*")
_BRACKET = Lazy(r"[\[\]{}]")
# Angle brackets hugging a capitalised title (Korean and other outlets): <Night Harbour>.
_TITLE_MARKS = Lazy(r"<(?=[A-Z\"'])([^<>\s](?:[^<>]{0,80}[^<>\s])?)>", name="title marks")


@cache
def _table() -> dict[str, str]:
    return {r[0]: r[1] for r in rows("symbols")}


# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"[^\w\s'\".,;:?!-]")


def _idioms() -> list[str]:
    return [k for k in _table() if len(k) > 1]


def _singles() -> list[str]:
    return [k for k in _table() if len(k) == 1]


def _caps_and(m: re.Match[str]) -> str:
    return f"{' '.join(m.group(1))} and {' '.join(m.group(2))}"


def asides(text: str) -> str:
    """``X (formerly Twitter) said`` → ``X, formerly Twitter, said``; brackets vanish."""
    text = _OPEN.sub(", ", text)
    text = _CLOSE.sub(", ", text)
    return _BRACKET.sub("", text)


def idioms(text: str) -> str:
    """Fixed expressions that must be read before the number classes see them."""
    if "/" not in text and "&" not in text and "-" not in text:
        return text
    return _IDIOM.sub(lambda m: _table()[m.group(1)], text)


def normalize(text: str) -> str:
    """Single symbols as words, slashes as "or" between words, parentheses as asides."""
    if not _GATE.rx.search(text):
        return text
    if "<" in text:
        text = _TITLE_MARKS.sub(r"\1", text)
    text = _CAPS_AND.sub(_caps_and, text)
    text = _SLASH.sub(lambda m: " or " if m.group(0) == "/" else " ", text)
    text = _SYMBOL.sub(lambda m: f" {_table()[m.group(1)]} ", text)
    return asides(text)
