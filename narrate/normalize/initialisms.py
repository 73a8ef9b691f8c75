"""Initialisms (spelled: U S, B B C, C S T O) versus acronyms (read as words: Nato, Covid).

>>> normalize("The U.S. and the EU asked NATO, the BBC and the CSTO.")
'The U S and the E U asked Nato, the B B C and the C S T O.'
>>> normalize("John F. Kennedy met the CEOs of OPEC and the ICG.")
"John F Kennedy met the C E O's of Opec and the I C G."

Unknown all-caps tokens: spelled when they have no vowel, are at most three letters (unless
``data/common_caps.tsv`` knows them as words: MIX, WAR), or start or end with a consonant
pair no English word starts or ends with; otherwise read as a word. In a shouting all-caps
text only listed initialisms are spelled.
"""

from __future__ import annotations

import re

from ._data import Lazy, mapping, words
from ._sentence import stop

_DOTTED = Lazy(r"(?<![\w.])((?:[A-Z]\.){2,})(?![\w])")
# John F. Kennedy
_INITIAL = Lazy(r"(?<=[a-z.] )([A-Z])\.(?= (?:[A-Z]\. )*[A-Z][a-z])", name="middle initial")
_CAPS = Lazy(r"([A-Z][A-Za-z]*[A-Z])(s|'s)?(?![\w'])", name="capitals")
_WORDS = Lazy(r"[^\W\d_]{2,}")
_VOWELS = set("AEIOUY")
# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"[A-Z][A-Z.]")


def spell(letters: str) -> str:
    """``"BBC"`` → ``B B C``."""
    return " ".join(letters.upper())


def should_spell(token: str, shouting: bool = False) -> bool:
    """The general rule for a capitalised token no list knows."""
    if token in words("initialisms"):
        return True
    if shouting or token in words("common_caps") or not token.isupper():
        return False
    if not _VOWELS & set(token):
        return True
    if len(token) <= 3:
        return True  # a short token no list knows as a word is spelled: LED, SUV, HOA
    if any(a in _VOWELS for a in token[:3]) is False:
        return True
    head, tail = token[:2], token[-2:]
    if not (_VOWELS & set(head)) and head not in words("onsets"):
        return True
    return not (_VOWELS & set(tail)) and tail not in words("codas")


def _dotted(m: re.Match[str]) -> str:
    return spell(m.group(1).replace(".", "")) + stop(m.string, m.end())


def _caps(m: re.Match[str], shouting: bool) -> str:
    token, plural = m.group(1), m.group(2) or ""
    if m.start() and (m.string[m.start() - 1].isalpha() or m.string[m.start() - 1] in "_'"):
        return m.group(0)
    if token in mapping("acronyms"):
        return mapping("acronyms")[token] + plural
    if should_spell(token, shouting):
        return spell(token) + ("'s" if plural else "")
    return token.title() + plural if token.isupper() else token + plural


def _is_shouting(text: str) -> bool:
    tokens = _WORDS.rx.findall(text)
    caps = sum(t.isupper() for t in tokens)
    return caps >= 3 and caps * 2 > len(tokens)


def normalize(text: str) -> str:
    """Dotted initialisms, middle initials, then bare capitalised tokens."""
    if not _GATE.rx.search(text):
        return text
    text = _DOTTED.sub(_dotted, text)
    text = _INITIAL.sub(lambda m: m.group(1) + stop(m.string, m.end()), text)
    shouting = _is_shouting(text)
    return _CAPS.sub(lambda m: _caps(m, shouting), text)
