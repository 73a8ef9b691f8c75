"""Titles and abbreviations, from ``data/abbreviations.tsv``, each with the context it needs.

>>> normalize("Mr. Smith met Lt. Col. Vindman and Dr. Jones in St. Petersburg.")
'Mister Smith met Lieutenant Colonel Vindman and Doctor Jones in Saint Petersburg.'
>>> normalize("They seized tanks, trucks, etc.")
'They seized tanks, trucks, et cetera.'
>>> normalize("He lives at No. 10, on Elm St. near Mt. Ararat; e.g. Russia vs. Ukraine.")
'He lives at number 10, on Elm Street near Mount Ararat; for example Russia versus Ukraine.'
"""

from __future__ import annotations

import re
from functools import cache

from ._data import Lazy, alternation, rows
from ._sentence import stop
from .cleanup import PLACEHOLDER

_FOLLOWS = {
    "always": "",
    "name": rf"(?= [A-Z{PLACEHOLDER}])",
    "after": "",
    "number": r"(?= ?\d)",
}
_PRECEDES = {"after": r"(?<=\w )"}
_CAPITALISED_BEFORE = Lazy(r"\b[A-Z][\w'&-]*,? $")


@cache
def _table() -> dict[str, list[tuple[str, str]]]:
    """Context → [(written, spoken)]."""
    out: dict[str, list[tuple[str, str]]] = {}
    for written, spoken, context in rows("abbreviations"):
        out.setdefault(context, []).append((written, spoken))
    return out


def _pattern() -> str:
    parts = []
    for context, pairs in _table().items():
        body = alternation(w for w, _ in pairs)
        before = _PRECEDES.get(context, "")
        lead = f"(?:{before})" if before else ""
        parts.append(rf"{lead}(?<![\w.])(?P<{context}>{body})(?![\w]|\.\w){_FOLLOWS[context]}")
    return "|".join(parts)


_ABBREVIATION = Lazy(_pattern)


def _expand(m: re.Match[str]) -> str:
    context = m.lastgroup or "always"
    written = m.group(0)
    if context == "after" and not _CAPITALISED_BEFORE.rx.search(m.string, 0, m.start()):
        return written
    spoken = dict(_table()[context])[written]
    dot = stop(m.string, m.end()) if written.endswith(".") and context != "name" else ""
    return spoken + dot


def normalize(text: str) -> str:
    """Expand every abbreviation whose context fits; leave the rest as written."""
    return _ABBREVIATION.sub(_expand, text)
