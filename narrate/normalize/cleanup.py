"""Unicode cleanup before the semiotic classes, and the final tidy after them.

>>> clean("🎙️ “Hello”—world")
'"Hello", world'
>>> tidy("He posted on X , formerly Twitter , .")
'He posted on X, formerly Twitter.'
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from ._data import Lazy, rows

PLACEHOLDER = "\ue000-\uf8ff"  # lexicon output is parked in the private-use area meanwhile

# Emoji, pictographs and their glue: variation selectors, ZWJ, keycaps, skin tones, tags.
_EMOJI = Lazy(
    lambda: (
        "[0-9#*]\ufe0f?\u20e3|[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff"
        "\u2190-\u21ff\u2300-\u23ff\u25a0-\u25ff\u3030\u303d\u3297\u3299\u00a9\u00ae\u2122\u2139"
        "\ufe00-\ufe0f\u200d\u20e3\U000e0000-\U000e007f\U0001f1e6-\U0001f1ff]+"
    )
)
# Invisible format characters (soft hyphen, zero-width space, bidi marks, BOM, tags, ...).
_FORMAT = Lazy(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]+"
)
_VULGAR = Lazy(lambda: "(\\d?)([" + "".join(r[0] for r in rows("vulgar_fractions")) + "])")
_DIGIT_DASH = Lazy(lambda: r"(?<=\d) ?[\u2010-\u2015\u2212] ?(?=\d)")
_DASH = Lazy(lambda: r"[\u2012-\u2015\u2e3a\u2e3b]|--+|(?<=\s)[-\u2212](?=\s)")
_QUOTES = {
    **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc`\u00b4", "'"),
    **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
    **dict.fromkeys("\u2010\u2011\u2212", "-"),
    "\u2044": "/",
}


_CONTROL = Lazy(
    lambda: "[\\x00-\\x08\\x0e-\\x1f\\x7f-\\x9f\\ud800-\\udfff\\ue000-\\uf8ff\\U000f0000-\\U0010ffff]+"
)


@cache
def _quotes() -> dict[int, str]:
    return str.maketrans(_QUOTES)


def sanitize(text: str) -> str:
    """Drop characters no rule should ever see: controls, private use, lone surrogates."""
    return _CONTROL.sub("", text)


def _vulgar(m) -> str:  # type: ignore[no-untyped-def]
    frac = {r[0]: f"{r[1]}/{r[2]}" for r in rows("vulgar_fractions")}[m.group(2)]
    return f"{m.group(1)} and {frac} " if m.group(1) else f" {frac} "


# Non-ASCII characters that are not plain letters or digits (or are odd numerals like 〇).
_STRAY = Lazy(r"[^\x00-\x7f]+")
_SYMBOLS_USED = frozenset("£€¥₹₽₩₺₴₪₦°§№×÷‰≈≤≥")  # non-ASCII symbols some class reads


def _stray(m: re.Match[str]) -> str:
    """Keep letters, digits, marks on letters, lexicon placeholders and the symbols a class
    reads; anything else becomes a space now, so no later rule sees it glue two words."""
    run, out = m.group(0), []
    before = m.string[m.start() - 1] if m.start() else " "
    for ch in run:
        if ch.isalpha() or ch.isdecimal() or ch in _SYMBOLS_USED or "\ue000" <= ch <= "\uf8ff":
            out.append(ch)
        elif unicodedata.category(ch)[0] == "M" and before.isalpha():
            out.append(ch)
            continue
        else:
            out.append(" ")
        before = ch
    return "".join(out)


def clean(text: str) -> str:
    """NFKC, straight quotes, dashes as pauses, no emoji, single spaces.

    ``"1½ miles"`` → ``"1 and 1/2 miles"``; ``"2020–2023"`` → ``"2020-2023"``;
    ``"USSR—first"`` → ``"USSR, first"``.
    """
    if not text.isascii():
        text = _EMOJI.sub(" ", text)
        text = _FORMAT.sub("", text)
        text = _VULGAR.sub(_vulgar, text)
        text = unicodedata.normalize("NFKC", text).translate(_quotes())
        text = _DIGIT_DASH.sub("-", text)
        text = _DASH.sub(", ", text)
        text = _STRAY.sub(_stray, text)
    elif "-" in text:
        text = _DASH.sub(", ", text)
    text = _WORD_DIGIT.sub(_word_digit, text)
    return " ".join(text.split())


# A lower-case word run into a number ("top10", "aka1") reads as the word, then the
# number; otherwise the word only becomes itself once the number is words (not idempotent).
# Not a unit after a number: "3 km³" is "3 km3" once NFKC has run.
_WORD_DIGIT = Lazy(lambda: r"(?<![\w.@/#-])([a-z]{2,})(?=\d)")


def _word_digit(m: re.Match[str]) -> str:
    if m.string.endswith(" ", 0, m.start()) and m.string[m.start() - 2 : m.start() - 1].isdigit():
        return m.group(0)  # a unit after a number: "3 km3"
    return m.group(1) + " "


# --- the final tidy --------------------------------------------------------------------

_ALLOWED = Lazy(lambda: rf"_|[^\w\s'\-.,;:?!\"{PLACEHOLDER}]|[^\W_a-zA-Z{PLACEHOLDER}]")
_LOOSE_HYPHEN = Lazy(lambda: rf"(?<![^\W_{PLACEHOLDER}])-+|-+(?![^\W_{PLACEHOLDER}])|(?<=-)-+")
_PUNCT_SPACE = Lazy(lambda: r"\s+(?=[.,;:?!])")
_COMMA_RUN = Lazy(lambda: r",(?:[\s,]*,)+")
_COMMA_BEFORE = Lazy(lambda: r",+\s*(?=[.;:?!])")
_AFTER_STOP = Lazy(lambda: r"(?<=[.;:?!])\s*,+")
_LEADING = Lazy(lambda: r"^[\s,;:.]+")
_EMPTY_QUOTES = Lazy(lambda: r'"\s*[,;:]?\s*"')
# A full stop still glued between letters here ("one.ly", left when a number became
# words next to a dot) would turn into a domain on a second pass: part the words.
_GLUED_DOT = Lazy(lambda: r"(?<=[^\W\d_])\.(?=[^\W\d_])")


def _keep_or_drop(m) -> str:  # type: ignore[no-untyped-def]
    ch = m.group(0)
    cat = unicodedata.category(ch)
    if cat[0] == "M" and m.start() > 0 and m.string[m.start() - 1].isalpha():
        return ch
    if ch.isalpha():
        return ch
    return "" if cat == "Cf" else " "


def tidy(text: str) -> str:
    """Only letters, spaces, apostrophes, inner hyphens and sentence punctuation survive;
    commas never double up or stand before final punctuation.

    ``"a , , b ,."`` → ``"a, b."``; ``"- x -y"`` → ``"x -y"`` (becomes ``"x y"``).
    """
    text = _ALLOWED.sub(_keep_or_drop, text)
    if "-" in text:
        text = _LOOSE_HYPHEN.sub(" ", text)
    if '"' in text:
        text = _EMPTY_QUOTES.sub(" ", text)
    text = " ".join(text.split())
    text = _PUNCT_SPACE.sub("", text)
    if "." in text:
        text = _GLUED_DOT.sub(" ", text)
    text = _COMMA_RUN.sub(",", text)
    text = _COMMA_BEFORE.sub("", text)
    text = _AFTER_STOP.sub("", text)
    return _LEADING.sub("", text).strip()
