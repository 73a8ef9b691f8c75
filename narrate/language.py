"""English knowledge the sentence splitter and the normaliser share, as data: one home.

``data/sentence_words.tsv`` lists the words that decide where a sentence ends, each with
its role (starter, title, number, suffix, exclaimed, speech). Read on first use, then
cached; nothing happens at import time.

>>> "However" in sentence_words("starter")
True
>>> "Gen" in sentence_words("title")
True
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data"


@cache
def _roles() -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for line in (DATA / "sentence_words.tsv").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, role = (field.strip() for field in line.split("\t"))
            found.setdefault(role, set()).add(word)
    return {role: frozenset(words) for role, words in found.items()}


def sentence_words(role: str) -> frozenset[str]:
    """The words listed with ``role`` (see the table's header for the roles)."""
    return _roles().get(role, frozenset())
