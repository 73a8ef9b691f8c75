"""Money: currency symbols and codes, scale suffixes, cents.

>>> normalize("The deal is worth $1.2 billion.")
'The deal is worth one point two billion dollars.'
>>> normalize("They signed a $5bn loan; a coffee costs $3.50.")
'They signed a five billion dollar loan; a coffee costs three dollars and fifty cents.'
>>> normalize("The fund raised £20m and US$5.")
'The fund raised twenty million pounds and five U S dollars.'
"""

from __future__ import annotations

import re

from . import words
from ._data import Lazy, alternation, mapping, rows
from .numbers import NUM, spoken

_MONEY = Lazy(
    lambda: (
        rf"({alternation(r[0] for r in rows('currencies'))}) ?((?:{NUM})(?:\.\d+)?)"
        rf"(?:(-| ?)({alternation(mapping('money_scales'))})\b)?(-(?=[^\W\d_]))?"
    )
)


_ARTICLE = Lazy(r"\b(?:[Aa]n?|[Aa]nother) $")
# text without a match for the gate holds nothing for this class
_GATE = Lazy(r"\d")


def _names(symbol: str) -> tuple[str, ...]:
    return next(r[1:] for r in rows("currencies") if r[0] == symbol)


def _amount(m: re.Match[str]) -> str:
    symbol, amount, joint, scale, hyphen = m.groups()
    if m.start() and (m.string[m.start() - 1].isalnum() or m.string[m.start() - 1] in "_$"):
        return m.group(0)
    one, many, cent, cents = _names(symbol)
    adjective = (
        bool(hyphen)
        or joint == "-"
        or _ARTICLE.rx.search(m.string, max(0, m.start() - 9), m.start()) is not None
    )
    lead = ""
    if scale:
        unit = one if adjective else many
        return f"{lead}{spoken(amount.replace(',', ''))} {mapping('money_scales')[scale]} {unit}"
    whole, _, frac = amount.partition(".")
    if frac and len(frac) != 2:
        return f"{lead}{spoken(amount.replace(',', ''))} {many}"
    major = words.number(whole)
    text = f"{major} {one if adjective or major == 'one' else many}"
    if frac and int(frac):
        minor = words.cardinal(int(frac))
        minor_text = f"{minor} {cent if minor == 'one' else cents}"
        text = minor_text if whole.strip("0") == "" else f"{text} and {minor_text}"
    return lead + text + ("-" if hyphen else "")


def normalize(text: str) -> str:
    """``$25`` → twenty-five dollars; ``a $300 fine`` → a three hundred dollar fine."""
    if not _GATE.rx.search(text):
        return text
    return _MONEY.sub(_amount, text)
