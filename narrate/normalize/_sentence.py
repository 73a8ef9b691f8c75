"""Does an abbreviation's dot also end the sentence? Shared by the classes that eat dots.

>>> ends_sentence("He left at 3 p.m.", 17)
True
>>> ends_sentence("the U.S. and", 8)
False
"""

from __future__ import annotations

from narrate.language import sentence_words

from ._data import Lazy

_END = Lazy(r"""[\s"')]*$""")
_NEXT_WORD = Lazy(r"""\s*["']?\s*([^\W\d_]+)""")


def ends_sentence(text: str, end: int) -> bool:
    """True when ``text[end:]`` is empty (up to closing quotes) or starts a new sentence."""
    if _END.rx.match(text, end):
        return True
    m = _NEXT_WORD.rx.match(text, end)
    return m is not None and m.group(1) in sentence_words("starter")


def stop(text: str, end: int) -> str:
    """``"."`` when the dot at ``end - 1`` doubles as a full stop, else ``""``."""
    return "." if ends_sentence(text, end) else ""
